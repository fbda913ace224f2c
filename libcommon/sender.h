/*
 * sender.h: record batches' produce requests to the brokers (slog-produce,
 * slog-connect; batcher.h fills its queues).
 *
 * Batches wait in a queue per partition; at most one request per
 * partition is in flight (so a retry can never reorder a partition's
 * records), up to max_in_flight across partitions, all driven by one
 * curl multi handle.  When a partition's request finishes, every batch
 * that queued up behind it goes in the next request, so a fast input
 * sends large requests.
 *
 * A request that fails for a reason that may pass (the broker is down or
 * restarting, NOT_LEADER, a leader epoch fenced or not known yet, too
 * few replicas in sync, a storage error: cluster_produce_retriable()) is
 * retried after a backoff (backoff.h: 50 ms doubling to 1 s) until its
 * batches' deadline; then, or for an error that will not pass
 * (MESSAGE_TOO_LARGE, a bad record), its batches are reported failed.
 * The done callback gets each batch's outcome exactly once.  While a
 * partition's request is retried nothing else of that partition is sent,
 * so its batches are written in the order they were read.
 *
 * When the partition's leader moved (NOT_LEADER, LEADER_NOT_AVAILABLE,
 * BROKER_NOT_AVAILABLE, FENCED_LEADER_EPOCH) or its broker cannot be
 * reached, the moved callback is asked where the retry goes, just before
 * it is sent: with the leader a NOT_LEADER answer named, or "" to look it
 * up.
 *
 * A failed batch is not always an unwritten one: a request that timed
 * out, or whose connection broke after it was sent, may have been
 * appended with its answer lost.  Such batches carry maybe_written, so
 * that they are reported "not acknowledged" rather than "not delivered":
 * sending them again may write them twice.
 */
#ifndef SLOG_SENDER_H
#define SLOG_SENDER_H

#include <curl/curl.h>
#include <stdint.h>

#include "backoff.h"
#include "buf.h"
#include "err.h"
#include "http_client.h"

struct send_part;

struct send_batch {
	struct send_part *sp;
	struct buf data;    /* one record batch */
	int32_t records;
	int64_t payload_bytes; /* the records' keys and values */
	int64_t first_line; /* for messages: the first record's tag (batcher.h) */
	int64_t *tags;      /* every record's tag, when the batcher keeps them; or NULL */
	int64_t deadline_ms;
	/* A request carrying it reached the broker and got no clear refusal:
	 * the records may be written even if no acknowledgement comes. */
	int maybe_written;
	/* Sent in a request of its own (sender_set_isolate). */
	int alone;
	struct send_batch *next;
};

struct send_part {
	char *url;          /* POST target, with ?acks= */
	struct send_batch *head, *tail;   /* waiting */
	struct send_batch *inflight;      /* the request on the wire */
	struct backoff backoff;
	int64_t retry_at_ms;
	int64_t stale_since;    /* the leader moved then: ask where before the retry */
	char moved_to[300];     /* the leader NOT_LEADER named, or "" */
	struct err last_error;  /* the broker's last answer while retrying */
	CURL *easy;
	struct curl_slist *headers;
	struct send_batch *rd_batch;      /* where curl reads the request body next */
	size_t rd_off;
	struct http_response resp;
	void *owner;        /* the producer's partition */
};

struct sender;

/*
 * done(b, rc, e, base_offset): b is delivered (rc 0, records from
 * base_offset on) or failed for good.  The callback frees b.
 */
typedef void (*sender_done_fn)(void *arg, struct send_batch *b, int rc, const struct err *e,
			       int64_t base_offset);

/*
 * moved(sp, moved_to): sp's leader moved; set sp->url (sender_set_url)
 * for the retry, to moved_to or (when "") where the cluster says.
 */
typedef void (*sender_moved_fn)(void *arg, struct send_part *sp, const char *moved_to);

struct sender *sender_new(int max_in_flight, sender_done_fn done, sender_moved_fn moved,
			  void *arg);
void sender_free(struct sender *s);

/*
 * With isolate on, a request of several batches refused as
 * MESSAGE_TOO_LARGE is not reported: each of its batches is sent again
 * alone, ahead of what waits, so only the batch over the limit fails (a
 * broker refuses the whole request for one batch; Kafka's producer
 * splits such batches too).  Off by default.
 */
void sender_set_isolate(struct sender *s, int on);

/*
 * Put list (linked by next, in order) at the front of sp's queue, ahead
 * of what waits there: batches made again from one that failed, so that
 * they keep their place in the partition's order.
 */
void sender_requeue_front(struct sender *s, struct send_part *sp, struct send_batch *list);

/* Register a partition (url taken) so that its queue is served. */
void sender_add_part(struct sender *s, struct send_part *sp, char *url);

/* Where sp's requests go from now on (url taken). */
void sender_set_url(struct send_part *sp, char *url);

void sender_enqueue(struct sender *s, struct send_batch *b);

/*
 * Start what can start, wait up to timeout_ms for network activity or
 * for extra (may be NULL: input readiness), and finish what finished.
 */
int sender_poll(struct sender *s, struct curl_waitfd *extra, int timeout_ms, struct err *e);

/* Requests on the wire, and batches waiting or in flight. */
int sender_in_flight(const struct sender *s);
int64_t sender_pending(const struct sender *s);
/* The earliest retry time of a waiting batch (INT64_MAX if none). */
int64_t sender_next_retry(const struct sender *s);

/* The latest deadline of a batch waiting or in flight (INT64_MIN if none). */
int64_t sender_last_deadline(const struct sender *s);

/* Fail every waiting batch (shutdown: give up on what is not in flight). */
void sender_fail_waiting(struct sender *s, int code, const char *why);

/*
 * Give up on everything at once, the requests on the wire too: their
 * batches are reported with maybe_written set (they may have arrived).
 */
void sender_abort(struct sender *s, const char *why);

#endif
