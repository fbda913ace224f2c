/*
 * replica_fetcher.c: the follower's fetches (replica_fetcher.h).
 *
 * A manager thread keeps one session per leader: on each poke it scans
 * the registry for partitions this node follows (replication_position)
 * and starts a session for a leader that has none, or stops one whose
 * leader leads nothing followed here any more.  A session is a thread
 * with its own kept-alive connection (peer_client.h): one leader's slow
 * disk or dead link never delays another's partitions.
 *
 * A session's loop: between fetches it picks up the partitions it
 * carries when the metadata changed (a generation counter); it builds
 * one request from every partition's replication_position, posts it,
 * reads the framed answer (replica_frames.h, every length checked), and
 * acts on each frame in order: truncate on a diverging epoch or an
 * offset out of range, else append (CRC-checked).  It then fsyncs every
 * partition it appended to, so that the next fetch reports as durable
 * only what is on disk (D2), and only then applies the leader's HW (a
 * follower's HW never passes its own log end).
 *
 * The request's timeout is the long poll plus a margin, and a stop cuts
 * the call in flight (peer_client_stop), so shutting down never waits a
 * poll out.
 *
 * Locks: f->lock guards the sessions list, the generation and the stop
 * flags, and is never held across a fetch; a session's partitions are
 * its thread's alone.  meta_lock is taken (for reading) only to take
 * references to the registry's partitions and to read the leader's
 * address, never while a log's lock is wanted.
 */
#include "cluster/replica_fetcher.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "clock.h"
#include "cluster/peer_client.h"
#include "cluster/replica_frames.h"
#include "log.h"
#include "replica/ops.h"
#include "replica/registry.h"
#include "replica/replication.h"
#include "xalloc.h"

/* Added to the long poll for the answer to arrive: a leader that says
 * nothing for this long is treated as unreachable. */
#define FETCH_MARGIN_MS 5000

/* Sessions are matched to the metadata at each poke, and at least this
 * often: a poke that came while this fetcher was starting (before the
 * publisher could see it) is not lost for long. */
#define RESCAN_MS 5000

/* Partitions in one request, at most: its JSON stays well within the
 * leader's http.json.max.bytes (1 MiB by default); a follower of more
 * takes turns, each fetch starting where the last one stopped. */
#define FETCH_MAX_PARTS 1000

/* A partition a session carries. */
struct fpart {
	struct partition *p;     /* a reference */
	int32_t leader_epoch;    /* the epoch it was picked up in */
	int parked;              /* FENCED_LEADER_EPOCH: until its epoch changes */
	int64_t retry_ms;        /* backing off until then (monotonic) */
	int last_rc;             /* the failure last logged (0: none since) */
	/* This fetch's, when the partition is in it. */
	int asked;
	struct replica_position pos;
	int touched;             /* appended to: flush before the HW */
	int64_t hw, log_start;   /* the leader's, to apply after the flush */
	int apply_hw;
};

struct session {
	struct replica_fetcher *f;
	int32_t leader;
	pthread_t thread;
	struct peer_client *pc;
	int stop;                /* f->lock */
	uint64_t seen;           /* the generation its partitions are from */
	struct fpart *parts;
	size_t nparts;
	size_t first, turn;      /* where this fetch's partitions start, and the next's */
	int last_rc;             /* the last failure logged, not to repeat it */
	struct session *next;    /* f->lock */
};

struct replica_fetcher {
	struct broker *b;
	pthread_mutex_t lock;
	pthread_cond_t cond;     /* pokes, stops, and backoffs' ends */
	uint64_t gen;            /* + 1 at each poke */
	uint64_t managed;        /* the generation the manager last acted on */
	int stopping;
	pthread_t manager;
	struct session *sessions;
	/* Settings, read once. */
	int64_t backoff_ms, wait_ms, part_max, resp_max;
};

/* ---- which partitions a leader carries ---- */

/* References to every local partition, taken under meta_lock (briefly:
 * nothing here waits for a log), for the caller to put back. */
static struct partition **all_partitions(struct broker *b, size_t *n)
{
	struct partition **v = NULL;
	size_t cap = 0;

	*n = 0;
	pthread_rwlock_rdlock(&b->meta_lock);
	for (size_t i = 0; i < b->ntopics; i++) {
		struct topic *t = b->topics[i];

		for (int32_t j = 0; j < t->npart; j++) {
			if (!t->parts[j] || atomic_load(&t->parts[j]->deleted))
				continue;
			v = xgrow(v, &cap, *n + 1, sizeof(*v));
			v[(*n)++] = partition_get(t->parts[j]);
		}
	}
	pthread_rwlock_unlock(&b->meta_lock);
	return v;
}

/* Call fn with every local partition this node follows now and its
 * position (without meta_lock: a position reads the log's state). */
static void each_followed(struct broker *b,
			  void (*fn)(void *arg, struct partition *p, const struct replica_position *pos),
			  void *arg)
{
	size_t n;
	struct partition **v = all_partitions(b, &n);

	for (size_t i = 0; i < n; i++) {
		struct replica_position pos;

		if (replication_position(v[i], &pos) == 0)
			fn(arg, v[i], &pos);
		partition_put(v[i]);
	}
	free(v);
}

struct pick {
	struct session *s;
	struct fpart *old;
	size_t nold;
	struct fpart *v;
	size_t n, cap;
};

/* A partition of s's leader: carried on, with its parking and backoff
 * kept while its epoch is the same. */
static void pick_one(void *arg, struct partition *p, const struct replica_position *pos)
{
	struct pick *pk = arg;
	struct fpart *fp;
	int32_t epoch = pos->leader_epoch;

	if (pos->leader != pk->s->leader)
		return;
	pk->v = xgrow(pk->v, &pk->cap, pk->n + 1, sizeof(*pk->v));
	fp = &pk->v[pk->n++];
	*fp = (struct fpart){ .p = partition_get(p), .leader_epoch = epoch };
	for (size_t i = 0; i < pk->nold; i++)
		if (pk->old[i].p == p && pk->old[i].leader_epoch == epoch) {
			fp->parked = pk->old[i].parked;
			fp->retry_ms = pk->old[i].retry_ms;
			fp->last_rc = pk->old[i].last_rc;
		}
}

static void drop_parts(struct fpart *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		partition_put(v[i].p);
	free(v);
}

/* Pick up s's partitions again: the metadata changed. */
static void session_regroup(struct session *s)
{
	struct broker *b = s->f->b;
	struct pick pk = { .s = s, .old = s->parts, .nold = s->nparts };

	each_followed(b, pick_one, &pk);
	drop_parts(s->parts, s->nparts);
	s->parts = pk.v;
	s->nparts = pk.n;
}

/* ---- one fetch ---- */

/* Log a failure of s once, not at every retry of it. */
static void session_failed(struct session *s, const struct err *e)
{
	int stopping;

	pthread_mutex_lock(&s->f->lock);
	stopping = s->stop;
	pthread_mutex_unlock(&s->f->lock);
	if (stopping || s->last_rc == e->code)
		return;
	s->last_rc = e->code;
	log_warn("replica fetcher: fetching from broker %d: %s", s->leader, e->msg);
}

/* fp's entry in the request; 0 when it does not go into this one. */
static json_t *part_request(struct session *s, struct fpart *fp, int64_t now)
{
	struct broker *b = s->f->b;
	struct replica_position *pos = &fp->pos;

	if (fp->parked || fp->retry_ms > now || atomic_load(&fp->p->deleted))
		return NULL;
	/* Followed elsewhere or in another epoch now: the regroup that the
	 * change's poke brings drops or renews it. */
	if (replication_position(fp->p, pos) || pos->leader != s->leader ||
	    pos->leader_epoch != fp->leader_epoch)
		return NULL;
	if (!b->flush_on_ack) /* page-cache positions, as Kafka counts them */
		pos->durable = pos->offset;
	fp->asked = 1;
	return json_pack("{s:s, s:i, s:I, s:i, s:i, s:I, s:I, s:I}", "topic", fp->p->topic->name,
			 "partition", (int)fp->p->id, "offset", (json_int_t)pos->offset,
			 "leader_epoch", (int)pos->leader_epoch, "last_fetched_epoch",
			 (int)pos->last_fetched_epoch, "durable_offset", (json_int_t)pos->durable,
			 "log_start_offset", (json_int_t)pos->log_start, "max_bytes",
			 (json_int_t)s->f->part_max);
}

/* The request's body, or NULL when no partition is to be fetched now. */
static char *fetch_body(struct session *s, int64_t now, size_t *asked)
{
	struct broker *b = s->f->b;
	json_t *parts = json_array(), *body;
	char *text;

	size_t k;

	*asked = 0;
	for (size_t i = 0; i < s->nparts; i++)
		s->parts[i].asked = s->parts[i].touched = s->parts[i].apply_hw = 0;
	s->first = s->nparts ? s->turn % s->nparts : 0;
	for (k = 0; k < s->nparts && *asked < FETCH_MAX_PARTS; k++) {
		json_t *one = part_request(s, &s->parts[(s->first + k) % s->nparts], now);

		if (one) {
			json_array_append_new(parts, one);
			(*asked)++;
		}
	}
	s->turn = s->first + k;
	if (!*asked) {
		json_decref(parts);
		return NULL;
	}
	body = json_pack("{s:i, s:s, s:I, s:i, s:I, s:o}", "replica_id", (int)b->node_id,
			 "broker_epoch", b->incarnation, "max_wait_ms", (json_int_t)s->f->wait_ms,
			 "min_bytes", 1, "max_bytes", (json_int_t)s->f->resp_max, "partitions", parts);
	text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	return text;
}

/* Errors of a leader whose metadata is a step behind or ahead of this
 * node's: they pass within a few backoffs, and say nothing worth a log
 * line each time.  So does a leader whose log dir failed (KAFKA_STORAGE_
 * ERROR): it logs that itself, once, and the controller moves every
 * partition of the dir within a heartbeat: a line per partition here
 * would only repeat it. */
static int transient(int code)
{
	return code == SLOG_ENOT_LEADER || code == SLOG_EUNKNOWN_LEADER_EPOCH ||
	       code == SLOG_ELEADER_NOT_AVAILABLE || code == SLOG_EUNKNOWN_TOPIC_OR_PARTITION ||
	       code == SLOG_ESTORAGE;
}

static int64_t leo(struct partition *p)
{
	int64_t end;

	plog_offsets(p->log, NULL, &end);
	return end;
}

/* fp failed with code: it backs off, and the failure is logged once, not
 * at every retry of it. */
static void part_failed(struct session *s, struct fpart *fp, int code, const char *msg)
{
	fp->retry_ms = clock_mono_ms() + s->f->backoff_ms;
	if (fp->last_rc == code)
		return;
	fp->last_rc = code;
	if (transient(code))
		log_debug("replica fetcher: %s-%d from broker %d: %s", fp->p->topic->name, fp->p->id,
			  s->leader, msg);
	else
		log_warn("replica fetcher: %s-%d from broker %d: %s", fp->p->topic->name, fp->p->id,
			 s->leader, msg);
}

/* A partition's error: FENCED parks it until its metadata changes; an
 * offset out of range truncates or restarts the log; the rest back off. */
static void frame_error(struct session *s, struct fpart *fp, const struct replica_frame *fr)
{
	struct broker *b = s->f->b;
	struct err e;

	if (fr->error == SLOG_EFENCED_LEADER_EPOCH) {
		fp->parked = 1;
		log_info("replica fetcher: %s-%d parked until new metadata: %s", fp->p->topic->name,
			 fp->p->id, fr->message);
		return;
	}
	if (fr->error != SLOG_EOFFSET_OUT_OF_RANGE)
		return part_failed(s, fp, fr->error, fr->message);
	if (replication_out_of_range(b, fp->p, fr->log_start_offset, fr->log_end_offset, &e))
		return part_failed(s, fp, e.code, e.msg);
	if (leo(fp->p) == fp->pos.offset) /* within the leader's log after all */
		part_failed(s, fp, fr->error, fr->message);
	/* Otherwise truncated or restarted: fetch again at once. */
}

/* Is fp still followed from this leader in the epoch it was asked in? */
static int still_followed(struct session *s, const struct fpart *fp)
{
	int32_t leader, epoch;

	return replication_role(fp->p, &leader, &epoch) == REPLICA_FOLLOWER &&
	       leader == s->leader && epoch == fp->pos.leader_epoch;
}

/* Act on one partition's frame: truncate, or append what came. */
static void frame_apply(struct session *s, struct fpart *fp, const struct replica_frame *fr)
{
	struct broker *b = s->f->b;
	struct err e;
	int rc = 0;

	if (!still_followed(s, fp))
		return; /* the metadata moved on meanwhile: the answer is stale */
	if (fr->error)
		return frame_error(s, fp, fr);
	if (fr->diverging_epoch >= 0) {
		/* Durable before the next fetch names a later offset; no HW
		 * from this answer (KAFKA-14704). */
		rc = replication_truncate_diverging(b, fp->p, fr->diverging_epoch,
						    fr->diverging_end_offset, &e);
	} else if (fr->len) {
		rc = replication_follower_append(b, fp->p, fr->data, fr->len, &e);
		/* A damaged batch keeps what came before it. */
		fp->touched = leo(fp->p) > fp->pos.offset;
	}
	if (rc)
		return part_failed(s, fp, e.code, e.msg);
	fp->last_rc = 0;
	if (fr->diverging_epoch < 0) {
		fp->apply_hw = 1;
		fp->hw = fr->high_watermark;
		fp->log_start = fr->log_start_offset;
	}
}

/* Read the answer's frames, one per partition asked, in order. */
static int read_answer(struct session *s, const struct buf *answer, struct err *e)
{
	const uint8_t *data = (const uint8_t *)answer->data;
	size_t pos = 0;

	for (size_t k = 0; k < s->nparts; k++) {
		struct fpart *fp = &s->parts[(s->first + k) % s->nparts];
		struct replica_frame fr;
		int rc;

		if (!fp->asked)
			continue;
		rc = replica_frame_next(data, answer->len, &pos, &fr, e);
		if (rc == 0)
			return err_set(e, SLOG_ECORRUPT_MESSAGE, "the answer ends before %s-%d",
				       fp->p->topic->name, fp->p->id);
		if (rc < 0)
			return rc;
		if (strcmp(fr.topic, fp->p->topic->name) != 0 || fr.partition != fp->p->id)
			return err_set(e, SLOG_ECORRUPT_MESSAGE, "the answer has %s-%d where %s-%d was asked",
				       fr.topic, fr.partition, fp->p->topic->name, fp->p->id);
		frame_apply(s, fp, &fr);
	}
	return 0;
}

/* After the appends: fsync each partition appended to (D2), then apply
 * the leader's HW, which never passes what this log holds. */
static void finish_fetch(struct session *s)
{
	struct broker *b = s->f->b;

	for (size_t i = 0; i < s->nparts; i++) {
		struct fpart *fp = &s->parts[i];
		struct err e;

		if (fp->touched && b->flush_on_ack) {
			if (plog_flush(fp->p->log, leo(fp->p), &e)) {
				part_failed(s, fp, e.code, e.msg);
				continue;
			}
		}
		if (fp->apply_hw)
			replication_follower_hw(b, fp->p, fp->hw, fp->log_start);
	}
}

/* Every partition asked backs off (the leader could not be asked). */
static void back_off_asked(struct session *s)
{
	int64_t until = clock_mono_ms() + s->f->backoff_ms;

	for (size_t i = 0; i < s->nparts; i++)
		if (s->parts[i].asked)
			s->parts[i].retry_ms = until;
}

/* The leader's base URL from the published metadata; -1 when unknown. */
static int leader_url(struct session *s, char *url, size_t size)
{
	struct broker *b = s->f->b;
	int rc;

	pthread_rwlock_rdlock(&b->meta_lock);
	rc = ops_broker_url(b, s->leader, url, size);
	pthread_rwlock_unlock(&b->meta_lock);
	return rc;
}

/* One fetch of every partition that is due; 0 when none was. */
static int session_fetch(struct session *s)
{
	struct replica_fetcher *f = s->f;
	struct http_response r;
	char url[300], *body;
	size_t asked;
	struct err e;
	int64_t max_answer;
	int rc;

	body = fetch_body(s, clock_mono_ms(), &asked);
	if (!body)
		return 0;
	max_answer = 2 * f->resp_max + f->b->request_max_bytes +
		     (int64_t)asked * REPLICA_FRAME_HEADER_MAX;
	http_response_init(&r);
	rc = leader_url(s, url, sizeof(url));
	if (rc)
		err_set(&e, SLOG_EBROKER_NOT_AVAILABLE, "broker %d has no known address", s->leader);
	else
		rc = peer_post_raw(s->pc, url, "/v1/replica/fetch", body, strlen(body),
				   clock_mono_ms() + f->wait_ms + FETCH_MARGIN_MS, max_answer, &r, &e);
	if (!rc)
		rc = read_answer(s, &r.body, &e);
	if (rc) {
		session_failed(s, &e);
		back_off_asked(s);
	} else {
		s->last_rc = 0;
	}
	finish_fetch(s);
	http_response_free(&r);
	free(body);
	return 1;
}

/* ---- sessions ---- */

/* When the next partition's backoff ends; INT64_MAX when none waits
 * (parked ones wait for a poke). */
static int64_t next_retry(const struct session *s)
{
	int64_t at = INT64_MAX;

	for (size_t i = 0; i < s->nparts; i++)
		if (!s->parts[i].parked && s->parts[i].retry_ms < at)
			at = s->parts[i].retry_ms;
	return at;
}

/* Wait for a poke, a stop, or until at (f->lock held). */
static void session_wait(struct session *s, int64_t at)
{
	struct replica_fetcher *f = s->f;
	int64_t cap = clock_mono_ms() + 60000;

	if (at > cap)
		at = cap;
	while (!s->stop && f->gen == s->seen && clock_mono_ms() < at)
		clock_cond_wait_until(&f->cond, &f->lock, at);
}

static void *session_main(void *arg)
{
	struct session *s = arg;
	struct replica_fetcher *f = s->f;

	pthread_mutex_lock(&f->lock);
	while (!s->stop) {
		uint64_t gen = f->gen;

		pthread_mutex_unlock(&f->lock);
		if (gen != s->seen) {
			session_regroup(s);
			s->seen = gen;
		}
		if (session_fetch(s)) {
			pthread_mutex_lock(&f->lock);
			continue;
		}
		pthread_mutex_lock(&f->lock);
		session_wait(s, next_retry(s));
	}
	pthread_mutex_unlock(&f->lock);
	drop_parts(s->parts, s->nparts);
	s->parts = NULL;
	s->nparts = 0;
	return NULL;
}

static struct session *session_start(struct replica_fetcher *f, int32_t leader)
{
	struct session *s = xcalloc(1, sizeof(*s));

	s->f = f;
	s->leader = leader;
	s->pc = peer_client_new();
	if (pthread_create(&s->thread, NULL, session_main, s)) {
		log_error("replica fetcher: cannot start a thread for broker %d", leader);
		peer_client_free(s->pc);
		free(s);
		return NULL;
	}
	log_info("replica fetcher: fetching from broker %d", leader);
	return s;
}

/* Stop and free sessions already unlinked (without f->lock). */
static void sessions_end(struct replica_fetcher *f, struct session *list)
{
	for (struct session *s = list; s; s = s->next) {
		pthread_mutex_lock(&f->lock);
		s->stop = 1;
		pthread_cond_broadcast(&f->cond);
		pthread_mutex_unlock(&f->lock);
		peer_client_stop(s->pc);
	}
	while (list) {
		struct session *next = list->next;

		pthread_join(list->thread, NULL);
		log_info("replica fetcher: no longer fetching from broker %d", list->leader);
		peer_client_free(list->pc);
		free(list);
		list = next;
	}
}

/* ---- the manager ---- */

struct leaders {
	int32_t *v;
	size_t n, cap;
};

static void add_leader(void *arg, struct partition *p, const struct replica_position *pos)
{
	struct leaders *l = arg;
	int32_t leader = pos->leader;

	(void)p;
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i] == leader)
			return;
	l->v = xgrow(l->v, &l->cap, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = leader;
}

static int has_leader(const struct leaders *l, int32_t id)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i] == id)
			return 1;
	return 0;
}

/* Match the sessions to the leaders (f->lock held); returns those to end. */
static struct session *match_sessions(struct replica_fetcher *f, const struct leaders *l)
{
	struct session **sp = &f->sessions, *gone = NULL;

	while (*sp) {
		struct session *s = *sp;

		if (has_leader(l, s->leader)) {
			sp = &s->next;
			continue;
		}
		*sp = s->next;
		s->next = gone;
		gone = s;
	}
	for (size_t i = 0; i < l->n; i++) {
		struct session *s;

		for (s = f->sessions; s && s->leader != l->v[i]; s = s->next)
			;
		if (!s && (s = session_start(f, l->v[i]))) {
			s->next = f->sessions;
			f->sessions = s;
		}
	}
	return gone;
}

static void *manager_main(void *arg)
{
	struct replica_fetcher *f = arg;
	struct session *gone;

	pthread_mutex_lock(&f->lock);
	while (!f->stopping) {
		struct leaders l = { 0 };

		if (f->managed == f->gen) {
			int64_t at = clock_mono_ms() + RESCAN_MS;

			while (!f->stopping && f->managed == f->gen && clock_mono_ms() < at)
				clock_cond_wait_until(&f->cond, &f->lock, at);
			if (f->managed == f->gen)
				f->gen++; /* the rescan: every session regroups too */
			pthread_cond_broadcast(&f->cond);
			continue;
		}
		f->managed = f->gen;
		pthread_mutex_unlock(&f->lock);
		each_followed(f->b, add_leader, &l);
		pthread_mutex_lock(&f->lock);
		gone = match_sessions(f, &l);
		pthread_mutex_unlock(&f->lock);
		free(l.v);
		sessions_end(f, gone);
		pthread_mutex_lock(&f->lock);
	}
	gone = f->sessions;
	f->sessions = NULL;
	pthread_mutex_unlock(&f->lock);
	sessions_end(f, gone);
	return NULL;
}

struct replica_fetcher *replica_fetcher_start(struct broker *b)
{
	struct replica_fetcher *f = xcalloc(1, sizeof(*f));

	f->b = b;
	f->backoff_ms = conf_get_num(&b->conf, "replica.fetch.backoff.ms");
	f->wait_ms = conf_get_num(&b->conf, "replica.fetch.wait.max.ms");
	f->part_max = conf_get_num(&b->conf, "replica.fetch.max.bytes");
	f->resp_max = conf_get_num(&b->conf, "replica.fetch.response.max.bytes");
	pthread_mutex_init(&f->lock, NULL);
	clock_cond_init(&f->cond);
	f->gen = 1; /* the partitions opened at start are followed at once */
	if (pthread_create(&f->manager, NULL, manager_main, f)) {
		log_error("replica fetcher: cannot start its thread: followers fetch nothing");
		pthread_cond_destroy(&f->cond);
		pthread_mutex_destroy(&f->lock);
		free(f);
		return NULL;
	}
	return f;
}

void replica_fetcher_stop(struct replica_fetcher *f)
{
	if (!f)
		return;
	pthread_mutex_lock(&f->lock);
	f->stopping = 1;
	pthread_cond_broadcast(&f->cond);
	pthread_mutex_unlock(&f->lock);
	pthread_join(f->manager, NULL);
	pthread_cond_destroy(&f->cond);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

void replica_fetcher_poke(struct replica_fetcher *f)
{
	if (!f)
		return;
	pthread_mutex_lock(&f->lock);
	f->gen++;
	pthread_cond_broadcast(&f->cond);
	pthread_mutex_unlock(&f->lock);
}
