/*
 * bench/peers/redis_read.c: the catch-up read rate of a Redis stream,
 * through the official C client (hiredis).
 *
 *   redis_read HOST PORT KEY COUNT PAGE
 *
 * Reads COUNT entries of stream KEY from its start with XRANGE, PAGE
 * entries per call, each call starting after the last id the previous
 * one returned (an exclusive range).  Prints one line: "entries seconds".
 */
#include <hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	redisContext *c;
	char start[64] = "-";
	long count, page, got = 0;
	double t0;

	if (argc != 6) {
		fprintf(stderr, "usage: redis_read HOST PORT KEY COUNT PAGE\n");
		return 2;
	}
	count = strtol(argv[4], NULL, 10);
	page = strtol(argv[5], NULL, 10);
	c = redisConnect(argv[1], (int)strtol(argv[2], NULL, 10));
	if (!c || c->err) {
		fprintf(stderr, "redis_read: cannot connect: %s\n", c ? c->errstr : "out of memory");
		return 1;
	}
	t0 = now_s();
	while (got < count) {
		redisReply *r = redisCommand(c, "XRANGE %s %s + COUNT %ld", argv[3], start, page);
		redisReply *last;

		if (!r || r->type != REDIS_REPLY_ARRAY) {
			fprintf(stderr, "redis_read: XRANGE failed: %s\n",
				r && r->type == REDIS_REPLY_ERROR ? r->str : c->errstr);
			return 1;
		}
		if (r->elements == 0) {
			freeReplyObject(r);
			break;
		}
		got += (long)r->elements;
		last = r->element[r->elements - 1];
		if (last->type != REDIS_REPLY_ARRAY || last->elements < 1 ||
		    last->element[0]->type != REDIS_REPLY_STRING || last->element[0]->len > 60) {
			fprintf(stderr, "redis_read: unexpected XRANGE reply\n");
			return 1;
		}
		snprintf(start, sizeof(start), "(%s", last->element[0]->str);
		freeReplyObject(r);
	}
	printf("%ld %.4f\n", got, now_s() - t0);
	redisFree(c);
	return got == count ? 0 : 1;
}
