/*
 * test_cluster_client.c: the client's pure judgements: which failures are
 * worth another try and where, and where a partition's leader is in a
 * metadata answer or an error answer.  No request is made.
 */
#include <jansson.h>
#include <string.h>

#include "cluster_client.h"
#include "unit.h"

static void test_a_broker_without_a_controller_is_asked_again(void)
{
	CHECK(cluster_should_retry(SLOG_ENOT_CONTROLLER, 0, 0));
	CHECK(cluster_should_retry(SLOG_EBROKER_NOT_AVAILABLE, 0, 0));
	CHECK(cluster_should_retry(SLOG_ELEADER_NOT_AVAILABLE, 0, 0));
}

static void test_a_change_is_sent_again_only_when_it_never_left(void)
{
	CHECK(cluster_should_retry(SLOG_ENETWORK, 1, 0));
	CHECK(!cluster_should_retry(SLOG_ENETWORK, 0, 0));
	CHECK(cluster_should_retry(SLOG_EREQUEST_TIMED_OUT, 1, 0));
	CHECK(!cluster_should_retry(SLOG_EREQUEST_TIMED_OUT, 0, 0));
	/* A GET changes nothing: a broken connection is reason enough. */
	CHECK(cluster_should_retry(SLOG_ENETWORK, 0, 1));
	CHECK(!cluster_should_retry(SLOG_EREQUEST_TIMED_OUT, 0, 1));
}

static void test_an_answer_about_the_request_is_final(void)
{
	CHECK(!cluster_should_retry(SLOG_ETOPIC_ALREADY_EXISTS, 0, 0));
	CHECK(!cluster_should_retry(SLOG_EUNKNOWN_TOPIC_OR_PARTITION, 0, 1));
	CHECK(!cluster_should_retry(SLOG_EINVALID_REPLICATION_FACTOR, 0, 0));
}

static void test_a_partition_looks_for_its_leader_when_it_moved_or_is_down(void)
{
	CHECK(cluster_leader_moved(SLOG_ENOT_LEADER));
	CHECK(cluster_leader_moved(SLOG_ELEADER_NOT_AVAILABLE));
	CHECK(cluster_leader_moved(SLOG_EBROKER_NOT_AVAILABLE));
	CHECK(cluster_leader_moved(SLOG_ENETWORK));
	CHECK(!cluster_leader_moved(SLOG_EMESSAGE_TOO_LARGE));
	CHECK(!cluster_leader_moved(SLOG_EREQUEST_TIMED_OUT));
	/* A deposed epoch means stale metadata; an unknown one, a broker
	 * that has not caught up with it yet: retried where it is. */
	CHECK(cluster_leader_moved(SLOG_EFENCED_LEADER_EPOCH));
	CHECK(!cluster_leader_moved(SLOG_EUNKNOWN_LEADER_EPOCH));
}

static void test_a_group_call_waits_for_its_coordinator_to_move(void)
{
	CHECK(cluster_group_retry_coordinator(SLOG_ENOT_COORDINATOR));
	CHECK(cluster_group_retry_coordinator(SLOG_ECOORDINATOR_NOT_AVAILABLE));
	CHECK(!cluster_group_retry_coordinator(SLOG_EGROUP_ID_NOT_FOUND));
	CHECK(!cluster_group_retry_coordinator(SLOG_ESTALE_MEMBER_EPOCH));
}

static void test_a_produce_is_sent_again_while_the_leader_changes(void)
{
	CHECK(cluster_produce_retriable(SLOG_ENOT_LEADER));
	CHECK(cluster_produce_retriable(SLOG_ELEADER_NOT_AVAILABLE));
	CHECK(cluster_produce_retriable(SLOG_EBROKER_NOT_AVAILABLE));
	CHECK(cluster_produce_retriable(SLOG_EFENCED_LEADER_EPOCH));
	CHECK(cluster_produce_retriable(SLOG_EUNKNOWN_LEADER_EPOCH));
	CHECK(cluster_produce_retriable(SLOG_ENETWORK));
}

static void test_a_produce_is_sent_again_while_replicas_catch_up(void)
{
	CHECK(cluster_produce_retriable(SLOG_ENOT_ENOUGH_REPLICAS));
	CHECK(cluster_produce_retriable(SLOG_ENOT_ENOUGH_REPLICAS_AFTER_APPEND));
	CHECK(cluster_produce_retriable(SLOG_EREQUEST_TIMED_OUT));
	CHECK(cluster_produce_retriable(SLOG_ESTORAGE));
}

static void test_a_produce_refused_for_what_it_is_fails_at_once(void)
{
	CHECK(!cluster_produce_retriable(SLOG_EMESSAGE_TOO_LARGE));
	CHECK(!cluster_produce_retriable(SLOG_ECORRUPT_MESSAGE));
	CHECK(!cluster_produce_retriable(SLOG_EUNKNOWN_TOPIC_OR_PARTITION));
	CHECK(!cluster_produce_retriable(SLOG_EINVALID_REQUEST));
}

static void test_only_an_answer_after_the_append_leaves_a_produce_in_doubt(void)
{
	CHECK(cluster_produce_ambiguous(SLOG_ENOT_ENOUGH_REPLICAS_AFTER_APPEND));
	CHECK(cluster_produce_ambiguous(SLOG_EREQUEST_TIMED_OUT));
	CHECK(cluster_produce_ambiguous(SLOG_ESTORAGE));
	/* Refused before anything was appended. */
	CHECK(!cluster_produce_ambiguous(SLOG_ENOT_ENOUGH_REPLICAS));
	CHECK(!cluster_produce_ambiguous(SLOG_ENOT_LEADER));
	CHECK(!cluster_produce_ambiguous(SLOG_EFENCED_LEADER_EPOCH));
	CHECK(!cluster_produce_ambiguous(SLOG_EUNKNOWN_LEADER_EPOCH));
}

/* The leader URL of partition i of meta's first topic. */
static int leader_is(const char *meta_text, size_t i, const char *want)
{
	json_t *meta = json_loads(meta_text, 0, NULL);
	json_t *t = json_array_get(json_object_get(meta, "topics"), 0);
	char url[300];
	int ok;

	cluster_leader_url(meta, json_array_get(json_object_get(t, "partitions"), i), "http://boot:1",
			   url, sizeof(url));
	ok = strcmp(url, want) == 0;
	if (!ok)
		unit_diag("  partition %zu: '%s', expected '%s'", i, url, want);
	json_decref(meta);
	return ok;
}

static void test_a_leader_is_found_by_its_id_among_the_brokers(void)
{
	const char *meta = "{\"brokers\":[{\"id\":1,\"url\":\"http://a:1\"},"
			   "{\"node_id\":2,\"host\":\"b\",\"port\":2}],"
			   "\"topics\":[{\"partitions\":[{\"partition\":0,\"leader\":2},"
			   "{\"partition\":1,\"leader\":1},{\"partition\":2,\"leader\":9},"
			   "{\"partition\":3,\"leader\":-1}]}]}";

	CHECK(leader_is(meta, 0, "http://b:2"));
	CHECK(leader_is(meta, 1, "http://a:1"));
	/* Not listed, or none: where the cluster was reached. */
	CHECK(leader_is(meta, 2, "http://boot:1"));
	CHECK(leader_is(meta, 3, "http://boot:1"));
}

static void test_a_leader_url_in_the_partition_wins(void)
{
	const char *meta = "{\"brokers\":[{\"id\":1,\"url\":\"http://a:1\"},{\"id\":2,\"url\":\"http://b:2\"}],"
			   "\"topics\":[{\"partitions\":[{\"partition\":0,\"leader\":1,"
			   "\"leader_url\":\"http://c:3\"},"
			   "{\"partition\":1,\"leader\":{\"id\":2,\"url\":\"http://d:4\"}}]}]}";

	CHECK(leader_is(meta, 0, "http://c:3"));
	CHECK(leader_is(meta, 1, "http://d:4"));
}

static void test_a_cluster_of_one_is_reached_as_it_was(void)
{
	const char *meta = "{\"brokers\":[{\"node_id\":1,\"host\":\"0.0.0.0\",\"port\":9}],"
			   "\"topics\":[{\"partitions\":[{\"partition\":0,\"leader\":1}]}]}";

	CHECK(leader_is(meta, 0, "http://boot:1"));
}

/* The broker an error answer body names under key, or "". */
static const char *named(const char *body, const char *key)
{
	static char base[300];
	struct http_response r;

	http_response_init(&r);
	buf_adds(&r.body, body);
	if (!http_error_where(&r, key, base, sizeof(base)))
		base[0] = '\0';
	http_response_free(&r);
	return base;
}

static void test_not_leader_names_the_new_leader(void)
{
	CHECK(strcmp(named("{\"error\":{\"code\":\"NOT_LEADER\",\"leader\":{\"id\":2,"
			   "\"url\":\"http://h:7\"}}}", "leader"), "http://h:7") == 0);
	CHECK(strcmp(named("{\"error\":{\"coordinator\":{\"host\":\"c\",\"port\":5}}}",
			   "coordinator"), "http://c:5") == 0);
	CHECK(strcmp(named("{\"error\":{\"code\":\"NOT_LEADER\"}}", "leader"), "") == 0);
	CHECK(strcmp(named("{\"error\":{\"leader\":{\"url\":\"ftp://x\"}}}", "leader"), "") == 0);
	CHECK(strcmp(named("not json", "leader"), "") == 0);
}

int main(void)
{
	unit_run("a broker without a controller is asked again",
		 test_a_broker_without_a_controller_is_asked_again);
	unit_run("a change is sent again only when it never left",
		 test_a_change_is_sent_again_only_when_it_never_left);
	unit_run("an answer about the request is final", test_an_answer_about_the_request_is_final);
	unit_run("a partition looks for its leader when it moved or is down",
		 test_a_partition_looks_for_its_leader_when_it_moved_or_is_down);
	unit_run("a group call waits for its coordinator to move",
		 test_a_group_call_waits_for_its_coordinator_to_move);
	unit_run("a produce is sent again while the leader changes",
		 test_a_produce_is_sent_again_while_the_leader_changes);
	unit_run("a produce is sent again while replicas catch up",
		 test_a_produce_is_sent_again_while_replicas_catch_up);
	unit_run("a produce refused for what it is fails at once",
		 test_a_produce_refused_for_what_it_is_fails_at_once);
	unit_run("only an answer after the append leaves a produce in doubt",
		 test_only_an_answer_after_the_append_leaves_a_produce_in_doubt);
	unit_run("a leader is found by its id among the brokers",
		 test_a_leader_is_found_by_its_id_among_the_brokers);
	unit_run("a leader url in the partition wins", test_a_leader_url_in_the_partition_wins);
	unit_run("a cluster of one is reached as it was", test_a_cluster_of_one_is_reached_as_it_was);
	unit_run("NOT_LEADER names the new leader", test_not_leader_names_the_new_leader);
	return unit_done();
}
