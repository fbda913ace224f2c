/*
 * api_dir_gate.c: handlers take a log dir's slot before storage calls
 * that may block (dir_gate.h), and wait for one without a thread.
 */
#include "broker.h"
#include "http/api.h"
#include "storage/dir_gate.h"

static void wake(struct dir_gate_wait *w)
{
	http_resume(w->arg);
}

int api_enter_dirs(struct request *r, uint64_t dirs, struct dir_gate_wait *w,
		   int (*cont)(struct request *r))
{
	struct dir_gate *g = r->b->gate;
	int in = dir_gate_try(g, dirs, w);

	if (in == 1)
		return 1;
	if (in < 0) {
		http_reply_error(r, SLOG_ESTORAGE,
				 "the partition's log dir did not answer before the broker stopped");
		return 0;
	}
	/*
	 * Full: suspend first, then queue.  A wake can come from another
	 * thread as soon as the waiter is queued, and a resume must never
	 * come before its suspend.
	 */
	w->wake = wake;
	w->arg = r;
	http_suspend(r, cont);
	in = dir_gate_enter(g, dirs, w);
	if (in == 1)
		dir_gate_leave(g, dirs); /* a slot freed meanwhile: give it back */
	if (in != 0)
		http_resume(r);          /* and let cont try again at once */
	return 0;
}
