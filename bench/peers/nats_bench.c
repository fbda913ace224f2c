/*
 * bench/peers/nats_bench.c: NATS JetStream through its official C client,
 * measured the way bench/compare measures slog.
 *
 *   nats_bench URL COUNT SIZE
 *
 * Creates the file-stored stream "bench" (subject "bench"), publishes
 * COUNT messages of SIZE bytes asynchronously with at most 4096 awaiting
 * their acknowledgement, waits for every acknowledgement, then reads all
 * of them back with an ordered push consumer.  Prints one line:
 * "publish_seconds read_seconds errors".  JetStream acknowledges a
 * message once it is in its file store's buffers, before any fsync.
 */
#include <nats/nats.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static atomic_long received;
static atomic_long errors;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_pub_error(jsCtx *js, jsPubAckErr *pae, void *closure)
{
	(void)js;
	(void)pae;
	(void)closure;
	atomic_fetch_add(&errors, 1);
}

static void on_msg(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
	(void)nc;
	(void)sub;
	(void)closure;
	atomic_fetch_add(&received, 1);
	natsMsg_Destroy(msg);
}

static int fail(const char *what, natsStatus s)
{
	fprintf(stderr, "nats_bench: %s: %s\n", what, natsStatus_GetText(s));
	return 1;
}

int main(int argc, char **argv)
{
	natsConnection *nc = NULL;
	natsSubscription *sub = NULL;
	jsCtx *js = NULL;
	jsOptions jo;
	jsStreamConfig cfg;
	jsStreamInfo *si = NULL;
	jsSubOptions so;
	jsErrCode jerr = 0;
	const char *subjects[] = { "bench" };
	long count, size;
	double t0, pub_s, read_s, last_progress;
	long seen = -1;
	char *data;
	natsStatus s;

	if (argc != 4) {
		fprintf(stderr, "usage: nats_bench URL COUNT SIZE\n");
		return 2;
	}
	count = strtol(argv[2], NULL, 10);
	size = strtol(argv[3], NULL, 10);
	if (count < 1 || size < 1 || size > (1 << 20)) {
		fprintf(stderr, "nats_bench: COUNT and SIZE (at most 1 MiB) must be positive\n");
		return 2;
	}
	data = malloc((size_t)size);
	if (!data)
		return 1;
	memset(data, 'x', (size_t)size);
	if ((s = natsConnection_ConnectTo(&nc, argv[1])) != NATS_OK)
		return fail("connect", s);
	jsOptions_Init(&jo);
	jo.PublishAsync.MaxPending = 4096;
	jo.PublishAsync.StallWait = 30000;
	jo.PublishAsync.ErrHandler = on_pub_error;
	if ((s = natsConnection_JetStream(&js, nc, &jo)) != NATS_OK)
		return fail("jetstream", s);
	js_DeleteStream(js, "bench", NULL, NULL);
	jsStreamConfig_Init(&cfg);
	cfg.Name = "bench";
	cfg.Subjects = subjects;
	cfg.SubjectsLen = 1;
	cfg.Storage = js_FileStorage;
	if ((s = js_AddStream(&si, js, &cfg, NULL, &jerr)) != NATS_OK)
		return fail("add stream", s);
	jsStreamInfo_Destroy(si);

	t0 = now_s();
	for (long i = 0; i < count; i++)
		if ((s = js_PublishAsync(js, "bench", data, (int)size, NULL)) != NATS_OK)
			return fail("publish", s);
	if ((s = js_PublishAsyncComplete(js, NULL)) != NATS_OK)
		return fail("publish complete", s);
	pub_s = now_s() - t0;

	jsSubOptions_Init(&so);
	so.Ordered = true;
	t0 = now_s();
	last_progress = t0;
	if ((s = js_Subscribe(&sub, js, "bench", on_msg, NULL, NULL, &so, &jerr)) != NATS_OK)
		return fail("subscribe", s);
	natsSubscription_SetPendingLimits(sub, -1, -1);
	/* Bounded: give up when nothing arrives for 30 s. */
	while (atomic_load(&received) < count) {
		long r = atomic_load(&received);
		if (r != seen) {
			seen = r;
			last_progress = now_s();
		} else if (now_s() - last_progress > 30) {
			fprintf(stderr, "nats_bench: read stalled at %ld of %ld\n", r, count);
			return 1;
		}
		nats_Sleep(1);
	}
	read_s = now_s() - t0;
	printf("%.4f %.4f %ld\n", pub_s, read_s, atomic_load(&errors));
	natsSubscription_Unsubscribe(sub);
	natsSubscription_Destroy(sub);
	jsCtx_Destroy(js);
	natsConnection_Destroy(nc);
	free(data);
	return 0;
}
