/*
 * consumer_start.c: where a partition starts reading (the group's
 * committed offset, else -o's start, bounded by -e's end), and where its
 * fetches go (its leader's records resource).  Called by consumer.c.
 */
#include "consumer_internal.h"

#include <stdio.h>
#include <stdlib.h>

#include "log.h"

/* Where a partition's fetches go: its leader's records resource. */
void consumer_set_leader(struct cpart *cp, const char *leader)
{
	struct buf url = BUF_INIT;

	if (leader != cp->leader)
		snprintf(cp->leader, sizeof(cp->leader), "%s", leader);
	buf_addf(&url, "%s/v1/topics/", leader);
	http_escape(&url, cp->topic);
	buf_addf(&url, "/partitions/%d/records", cp->id);
	free(cp->url);
	cp->url = buf_detach(&url, NULL);
}

/* One partition's offset "at" (earliest, latest, or a time in ms). */
static int offset_at(struct consumer *c, struct cpart *cp, const char *at, int64_t deadline,
		     int64_t *out, struct err *e)
{
	struct buf path = BUF_INIT;
	json_t *j;
	int rc;

	buf_adds(&path, "/v1/topics/");
	http_escape(&path, cp->topic);
	buf_addf(&path, "/partitions/%d/offsets?at=%s", cp->id, at);
	rc = cluster_partition_json(c->cl, cp->topic, cp->id, cp->leader, sizeof(cp->leader), path.data,
				    deadline, &j, e);
	buf_free(&path);
	consumer_set_leader(cp, cp->leader); /* the lookup may have found it elsewhere */
	if (rc)
		return rc;
	*out = json_integer_value(json_object_get(j, "offset"));
	json_decref(j);
	return 0;
}

/* Where partition id starts: its own -o P=START, else -o's. */
static const struct offset_spec *partition_spec(const struct consumer_opts *o, int32_t id)
{
	for (int i = 0; i < o->nstarts; i++)
		if (o->starts[i].partition == id)
			return &o->starts[i].spec;
	return &o->start;
}

/* Where a partition starts: at committed if it is an offset of the log,
 * else where -o says; with -e, where it ends. */
int consumer_start_at(struct consumer *c, struct cpart *cp, int64_t committed,
			     int64_t deadline, struct err *e)
{
	const struct offset_spec *s = partition_spec(c->o, cp->id);
	int64_t start, hw, at;
	char ms[32];
	int rc;

	rc = offset_at(c, cp, "earliest", deadline, &start, e);
	if (!rc)
		rc = offset_at(c, cp, "latest", deadline, &hw, e);
	if (rc)
		return rc;
	cp->end = c->o->exit_at_end ? hw : -1;
	if (c->o->start.stop_offset >= 0 && (cp->end < 0 || c->o->start.stop_offset < cp->end))
		cp->end = c->o->start.stop_offset;
	cp->committed = committed;
	if (committed >= start && committed <= hw) {
		cp->next = committed;
		goto out;
	}
	if (committed >= 0)
		consumer_log(c, LOG_LEVEL_WARN, "%s-%d: the committed offset %lld is outside the log [%lld, %lld]; "
				"starting at the %s", cp->topic, cp->id, (long long)committed,
				(long long)start, (long long)hw, s->kind == OFF_END ? "end" : "beginning");
	switch (s->kind) {
	case OFF_STORED:
	case OFF_BEGINNING: cp->next = start; break;
	case OFF_END: cp->next = hw; break;
	case OFF_FROM_END: cp->next = hw - s->n < start ? start : hw - s->n; break;
	case OFF_FROM_START: cp->next = start + s->n > hw ? hw : start + s->n; break;
	case OFF_ABSOLUTE:
		if (s->n < start || s->n > hw)
			return err_set(e, SLOG_EOFFSET_OUT_OF_RANGE,
				       "offset %lld is out of range for %s-%d: it holds [%lld, %lld)",
				       (long long)s->n, cp->topic, cp->id, (long long)start,
				       (long long)hw);
		cp->next = s->n;
		break;
	case OFF_TIME:
		snprintf(ms, sizeof(ms), "%lld", (long long)s->n);
		rc = offset_at(c, cp, ms, deadline, &at, e);
		if (rc)
			return rc;
		cp->next = at;
		break;
	}
out:
	cp->written = cp->next;
	cp->done = cp->end >= 0 && cp->next >= cp->end;
	return 0;
}
