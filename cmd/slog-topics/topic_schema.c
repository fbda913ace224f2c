/*
 * topic_schema.c: --format help, the JSON Schema of what --format json
 * prints, so that a script can be written against stable field names
 * (as rpk's --format help does).
 */
#include <stdio.h>
#include <string.h>

#include "topics_cmd.h"

#define OBJ(props, req) "{\"type\":\"object\",\"properties\":{" props "},\"required\":[" req "]}"
#define ARR(items) "{\"type\":\"array\",\"items\":" items "}"
#define INT "{\"type\":\"integer\"}"
#define STR "{\"type\":\"string\"}"
#define BOOL "{\"type\":\"boolean\"}"
#define SCHEMA "{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\","
#define TOPICS(item) SCHEMA \
	"\"type\":\"object\",\"properties\":{\"topics\":" ARR(item) "},\"required\":[\"topics\"]}\n"

static const char list_schema[] = TOPICS(OBJ(
	"\"name\":" STR ",\"id\":" STR ",\"partitions\":" INT ",\"replication_factor\":" INT
	",\"internal\":" BOOL,
	"\"name\",\"id\",\"partitions\",\"replication_factor\",\"internal\""));

static const char long_schema[] = TOPICS(OBJ(
	"\"name\":" STR ",\"id\":" STR ",\"internal\":" BOOL ",\"partitions\":" INT
	",\"replication_factor\":" INT ",\"records\":" INT ",\"size_bytes\":" INT
	",\"cleanup_policy\":" STR,
	"\"name\",\"id\",\"internal\",\"partitions\",\"replication_factor\",\"records\","
	"\"size_bytes\",\"cleanup_policy\""));

/*
 * partitions and configs are left out by the health filters that do not
 * pick them; a move in progress lists its replicas in adding and
 * removing, and elr the replicas that may lead though out of the ISR; a partition's offsets, size and offline flag come from its
 * leader, and are left out when the leader did not answer.
 */
static const char describe_schema[] = TOPICS(OBJ(
	"\"name\":" STR ",\"id\":" STR ",\"internal\":" BOOL ",\"replication_factor\":" INT
	",\"partitions\":" ARR(OBJ(
		"\"partition\":" INT ",\"leader\":" INT ",\"leader_url\":{\"type\":[\"string\",\"null\"]}"
		",\"leader_epoch\":" INT ",\"partition_epoch\":" INT ",\"replicas\":" ARR(INT)
		",\"isr\":" ARR(INT) ",\"elr\":" ARR(INT) ",\"adding\":" ARR(INT)
		",\"removing\":" ARR(INT)
		",\"offline\":" BOOL ",\"log_start_offset\":" INT ",\"high_watermark\":" INT
		",\"log_end_offset\":" INT ",\"size_bytes\":" INT,
		"\"partition\",\"leader\",\"leader_url\",\"leader_epoch\",\"replicas\",\"isr\""))
	",\"configs\":" ARR(OBJ(
		"\"name\":" STR ",\"value\":" STR
		",\"source\":{\"enum\":[\"default\",\"broker\",\"topic\"]},\"doc\":" STR,
		"\"name\",\"value\",\"source\"")),
	"\"name\",\"id\",\"internal\",\"replication_factor\""));

/* at is there only with --at; -1 stands for an offset the broker did not give. */
static const char offsets_schema[] = SCHEMA
	"\"type\":\"object\",\"properties\":{\"topic\":" STR ",\"partitions\":" ARR(OBJ(
		"\"partition\":" INT ",\"earliest\":" INT ",\"latest\":" INT ",\"at\":" INT,
		"\"partition\",\"earliest\",\"latest\"")) "},\"required\":[\"topic\",\"partitions\"]}\n";

int topics_print_schema(const char *command, int long_list)
{
	const char *s = NULL;

	if (strcmp(command, "list") == 0)
		s = long_list ? long_schema : list_schema;
	else if (strcmp(command, "describe") == 0)
		s = describe_schema;
	else if (strcmp(command, "offsets") == 0)
		s = offsets_schema;
	if (!s)
		return -1;
	fputs(s, stdout);
	return 0;
}
