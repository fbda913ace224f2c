/*
 * topic_ensure.c: look a topic up, create it when missing.  See
 * topic_ensure.h.
 */
#include "runtime/topic_ensure.h"

#include "backoff.h"
#include "clock.h"

static int create(struct cluster *cl, const char *name, int32_t partitions, int32_t replication,
		  json_t *configs, int64_t deadline_ms, struct err *e)
{
	json_t *req = json_pack("{s:s, s:i}", "name", name, "partitions", partitions);
	int rc;

	if (replication > 0) {
		if ((size_t)replication > cl->brokers.n && cl->brokers.n > 0)
			replication = (int32_t)cl->brokers.n;
		json_object_set_new(req, "replication_factor", json_integer(replication));
	}
	if (configs)
		json_object_set(req, "configs", configs);
	rc = cluster_json(cl, "POST", "/v1/topics", req, deadline_ms, NULL, e);
	json_decref(req);
	/* Another task (or process) may have made it meanwhile: as good. */
	if (rc == SLOG_ETOPIC_ALREADY_EXISTS)
		rc = 0;
	if (rc)
		err_wrap(e, "cannot create topic '%s'", name);
	return rc;
}

int topic_ensure(struct cluster *cl, const char *name, int32_t partitions, int32_t replication,
		 json_t *configs, int64_t deadline_ms, struct err *e)
{
	struct backoff bo = { 0 };
	struct topic_meta m;
	int created = 0, rc;

	for (;;) {
		rc = cluster_topic(cl, name, 0, deadline_ms, &m, e);
		if (!rc) {
			topic_meta_free(&m);
			return 0;
		}
		if (rc == SLOG_EUNKNOWN_TOPIC_OR_PARTITION && !created) {
			if ((rc = create(cl, name, partitions, replication, configs, deadline_ms, e)))
				return rc;
			created = 1;
			continue;
		}
		/* Just created: its partitions get leaders in a moment. */
		if (!created || backoff_sleep(&bo, deadline_ms))
			return rc;
	}
}
