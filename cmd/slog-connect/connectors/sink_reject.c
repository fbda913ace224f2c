/*
 * sink_reject.c: a sink's refused records through the error policy
 * (sink_reject.h).
 */
#include "buf.h"
#include "connectors/sink_reject.h"
#include "runtime/connector.h"
#include "runtime/error_policy.h"

int sink_reject(struct connect_task *t, struct crec *r, const struct err *cause, struct err *e)
{
	/* error_policy_failed() rewrites r's topic: the origin keeps a copy. */
	struct buf topic = BUF_INIT;
	buf_adds(&topic, buf_cstr(&r->topic));
	struct error_origin o = {
		.stage = STAGE_TASK_PUT,
		.topic = buf_cstr(&topic),
		.partition = r->partition,
		.offset = r->offset,
		.source = NULL,
	};
	int rc = error_policy_failed(t->errors, r, &o, cause, e);
	if (rc == 1)
		rc = error_policy_send(t->errors, r, e);
	buf_free(&topic);
	return rc < 0 ? rc : 0;
}

int sink_reject_batch(struct connect_task *t, struct sink_batch *b, const struct err *cause,
		      struct err *e)
{
	for (size_t i = 0; i < b->n; i++) {
		int rc = sink_reject(t, &b->recs[i], cause, e);
		if (rc < 0)
			return rc;
	}
	return 0;
}
