/*
 * err.h: slog's error codes, their names and their HTTP statuses.
 *
 * Errors are values.  A function that can fail returns 0 or a negative
 * SLOG_E* code and, when the caller passes a struct err, fills it with a
 * human message that names the subject ("segment 00..42.log: short read").
 * Only a program's main() decides to print it and which exit code follows.
 *
 * The names are Kafka's protocol error names, so that what a user reads in
 * an answer ({"error":{"code":"NOT_LEADER",...}}) is what the Kafka world
 * calls it, and a later Kafka-protocol listener can map them one to one.
 * err_name() and err_from_name() convert; err_http_status() is the status
 * the HTTP API answers with.
 */
#ifndef SLOG_ERR_H
#define SLOG_ERR_H

#include <stddef.h>

/* The X-macro keeps code, name and HTTP status in one row. */
#define SLOG_ERRORS(X)                                                    \
	X(UNKNOWN, "UNKNOWN_SERVER_ERROR", 500)                           \
	X(NOMEM, "OUT_OF_MEMORY", 503)                                    \
	X(CORRUPT_MESSAGE, "CORRUPT_MESSAGE", 400)                        \
	X(INVALID_RECORD, "INVALID_RECORD", 400)                          \
	X(OFFSET_OUT_OF_RANGE, "OFFSET_OUT_OF_RANGE", 416)                \
	X(UNKNOWN_TOPIC_OR_PARTITION, "UNKNOWN_TOPIC_OR_PARTITION", 404)  \
	X(NOT_LEADER, "NOT_LEADER", 421)                                  \
	X(LEADER_NOT_AVAILABLE, "LEADER_NOT_AVAILABLE", 503)              \
	X(MESSAGE_TOO_LARGE, "MESSAGE_TOO_LARGE", 413)                    \
	X(NOT_ENOUGH_REPLICAS, "NOT_ENOUGH_REPLICAS", 503)                \
	X(REQUEST_TIMED_OUT, "REQUEST_TIMED_OUT", 504)                    \
	X(INVALID_CONFIG, "INVALID_CONFIG", 400)                          \
	X(INVALID_REQUEST, "INVALID_REQUEST", 400)                        \
	X(UNSUPPORTED_MEDIA_TYPE, "UNSUPPORTED_MEDIA_TYPE", 415)          \
	X(UNSUPPORTED_COMPRESSION_TYPE, "UNSUPPORTED_COMPRESSION_TYPE", 400) \
	X(INVALID_TIMESTAMP, "INVALID_TIMESTAMP", 400)                    \
	X(TOPIC_ALREADY_EXISTS, "TOPIC_ALREADY_EXISTS", 409)              \
	X(INVALID_TOPIC, "INVALID_TOPIC_EXCEPTION", 400)                  \
	X(INVALID_PARTITIONS, "INVALID_PARTITIONS", 400)                  \
	X(INVALID_REPLICATION_FACTOR, "INVALID_REPLICATION_FACTOR", 400)  \
	X(POLICY_VIOLATION, "POLICY_VIOLATION", 403)                      \
	X(KAFKA_STORAGE_ERROR, "KAFKA_STORAGE_ERROR", 507)                \
	X(NOT_COORDINATOR, "NOT_COORDINATOR", 421)                        \
	X(COORDINATOR_NOT_AVAILABLE, "COORDINATOR_NOT_AVAILABLE", 503)    \
	X(UNKNOWN_MEMBER_ID, "UNKNOWN_MEMBER_ID", 404)                    \
	X(FENCED_MEMBER_EPOCH, "FENCED_MEMBER_EPOCH", 409)                \
	X(STALE_MEMBER_EPOCH, "STALE_MEMBER_EPOCH", 409)                  \
	X(INVALID_GROUP_ID, "INVALID_GROUP_ID", 400)                      \
	X(OFFSET_METADATA_TOO_LARGE, "OFFSET_METADATA_TOO_LARGE", 400)    \
	X(GROUP_ID_NOT_FOUND, "GROUP_ID_NOT_FOUND", 404)                  \
	X(NON_EMPTY_GROUP, "NON_EMPTY_GROUP", 409)                        \
	X(GROUP_SUBSCRIBED_TO_TOPIC, "GROUP_SUBSCRIBED_TO_TOPIC", 409)    \
	X(INVALID_SESSION_TIMEOUT, "INVALID_SESSION_TIMEOUT", 400)        \
	X(NOT_FOUND, "NOT_FOUND", 404)                                    \
	X(METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED", 405)                  \
	X(THROTTLING_QUOTA_EXCEEDED, "THROTTLING_QUOTA_EXCEEDED", 429)    \
	X(NETWORK_EXCEPTION, "NETWORK_EXCEPTION", 503)                    \
	X(LOG_DIR_LOCKED, "LOG_DIR_LOCKED", 500)                          \
	X(IO, "IO_ERROR", 500)                                            \
	X(UNEXPECTED_APPEND_OFFSET, "UNEXPECTED_APPEND_OFFSET", 500)    \
	X(FENCED_LEADER_EPOCH, "FENCED_LEADER_EPOCH", 409)                \
	X(UNKNOWN_LEADER_EPOCH, "UNKNOWN_LEADER_EPOCH", 409)             \
	X(NOT_CONTROLLER, "NOT_CONTROLLER", 503)                          \
	X(STALE_BROKER_EPOCH, "STALE_BROKER_EPOCH", 409)                  \
	X(INCONSISTENT_CLUSTER_ID, "INCONSISTENT_CLUSTER_ID", 409)        \
	X(BROKER_NOT_AVAILABLE, "BROKER_NOT_AVAILABLE", 503)              \
	X(NOT_ENOUGH_REPLICAS_AFTER_APPEND, "NOT_ENOUGH_REPLICAS_AFTER_APPEND", 503) \
	X(OFFSET_NOT_AVAILABLE, "OFFSET_NOT_AVAILABLE", 503)              \
	X(INELIGIBLE_REPLICA, "INELIGIBLE_REPLICA", 409)                  \
	X(INVALID_UPDATE_VERSION, "INVALID_UPDATE_VERSION", 409)          \
	X(REASSIGNMENT_IN_PROGRESS, "REASSIGNMENT_IN_PROGRESS", 409)      \
	X(LOG_TRUNCATION, "LOG_TRUNCATION", 409)                          \
	X(READ_ONLY_TOPIC, "READ_ONLY_TOPIC", 403)

#define SLOG_OK 0

/* Row numbers in the table; the codes are -2, -3, ... in the same order,
 * so that every SLOG_E* is negative and -1 stays free for libc habits. */
enum {
#define SLOG_ERR_ENUM(sym, name, status) SLOG_EIDX_##sym,
	SLOG_ERRORS(SLOG_ERR_ENUM)
#undef SLOG_ERR_ENUM
	SLOG_EIDX_COUNT_
};
#define SLOG_ERR_CODE(sym) (-2 - SLOG_EIDX_##sym)

#define SLOG_EUNKNOWN SLOG_ERR_CODE(UNKNOWN)
#define SLOG_ENOMEM SLOG_ERR_CODE(NOMEM)
#define SLOG_ECORRUPT_MESSAGE SLOG_ERR_CODE(CORRUPT_MESSAGE)
#define SLOG_EINVALID_RECORD SLOG_ERR_CODE(INVALID_RECORD)
#define SLOG_EOFFSET_OUT_OF_RANGE SLOG_ERR_CODE(OFFSET_OUT_OF_RANGE)
#define SLOG_EUNKNOWN_TOPIC_OR_PARTITION SLOG_ERR_CODE(UNKNOWN_TOPIC_OR_PARTITION)
#define SLOG_ENOT_LEADER SLOG_ERR_CODE(NOT_LEADER)
#define SLOG_ELEADER_NOT_AVAILABLE SLOG_ERR_CODE(LEADER_NOT_AVAILABLE)
#define SLOG_EMESSAGE_TOO_LARGE SLOG_ERR_CODE(MESSAGE_TOO_LARGE)
#define SLOG_ENOT_ENOUGH_REPLICAS SLOG_ERR_CODE(NOT_ENOUGH_REPLICAS)
#define SLOG_EREQUEST_TIMED_OUT SLOG_ERR_CODE(REQUEST_TIMED_OUT)
#define SLOG_EINVALID_CONFIG SLOG_ERR_CODE(INVALID_CONFIG)
#define SLOG_EINVALID_REQUEST SLOG_ERR_CODE(INVALID_REQUEST)
#define SLOG_EUNSUPPORTED_MEDIA_TYPE SLOG_ERR_CODE(UNSUPPORTED_MEDIA_TYPE)
#define SLOG_EUNSUPPORTED_COMPRESSION_TYPE SLOG_ERR_CODE(UNSUPPORTED_COMPRESSION_TYPE)
#define SLOG_EINVALID_TIMESTAMP SLOG_ERR_CODE(INVALID_TIMESTAMP)
#define SLOG_ETOPIC_ALREADY_EXISTS SLOG_ERR_CODE(TOPIC_ALREADY_EXISTS)
#define SLOG_EINVALID_TOPIC SLOG_ERR_CODE(INVALID_TOPIC)
#define SLOG_EINVALID_PARTITIONS SLOG_ERR_CODE(INVALID_PARTITIONS)
#define SLOG_EINVALID_REPLICATION_FACTOR SLOG_ERR_CODE(INVALID_REPLICATION_FACTOR)
#define SLOG_EPOLICY_VIOLATION SLOG_ERR_CODE(POLICY_VIOLATION)
#define SLOG_ESTORAGE SLOG_ERR_CODE(KAFKA_STORAGE_ERROR)
#define SLOG_ENOT_COORDINATOR SLOG_ERR_CODE(NOT_COORDINATOR)
#define SLOG_ECOORDINATOR_NOT_AVAILABLE SLOG_ERR_CODE(COORDINATOR_NOT_AVAILABLE)
#define SLOG_EUNKNOWN_MEMBER_ID SLOG_ERR_CODE(UNKNOWN_MEMBER_ID)
#define SLOG_EFENCED_MEMBER_EPOCH SLOG_ERR_CODE(FENCED_MEMBER_EPOCH)
#define SLOG_ESTALE_MEMBER_EPOCH SLOG_ERR_CODE(STALE_MEMBER_EPOCH)
#define SLOG_EINVALID_GROUP_ID SLOG_ERR_CODE(INVALID_GROUP_ID)
#define SLOG_EOFFSET_METADATA_TOO_LARGE SLOG_ERR_CODE(OFFSET_METADATA_TOO_LARGE)
#define SLOG_EGROUP_ID_NOT_FOUND SLOG_ERR_CODE(GROUP_ID_NOT_FOUND)
#define SLOG_ENON_EMPTY_GROUP SLOG_ERR_CODE(NON_EMPTY_GROUP)
#define SLOG_EGROUP_SUBSCRIBED_TO_TOPIC SLOG_ERR_CODE(GROUP_SUBSCRIBED_TO_TOPIC)
#define SLOG_EINVALID_SESSION_TIMEOUT SLOG_ERR_CODE(INVALID_SESSION_TIMEOUT)
#define SLOG_ENOT_FOUND SLOG_ERR_CODE(NOT_FOUND)
#define SLOG_EMETHOD_NOT_ALLOWED SLOG_ERR_CODE(METHOD_NOT_ALLOWED)
#define SLOG_ETHROTTLED SLOG_ERR_CODE(THROTTLING_QUOTA_EXCEEDED)
#define SLOG_ENETWORK SLOG_ERR_CODE(NETWORK_EXCEPTION)
#define SLOG_ELOG_DIR_LOCKED SLOG_ERR_CODE(LOG_DIR_LOCKED)
#define SLOG_EIO SLOG_ERR_CODE(IO)
/* A replica's batches do not start at its log end (plog_append_replica). */
#define SLOG_EUNEXPECTED_APPEND_OFFSET SLOG_ERR_CODE(UNEXPECTED_APPEND_OFFSET)
#define SLOG_EFENCED_LEADER_EPOCH SLOG_ERR_CODE(FENCED_LEADER_EPOCH)
#define SLOG_EUNKNOWN_LEADER_EPOCH SLOG_ERR_CODE(UNKNOWN_LEADER_EPOCH)
#define SLOG_ENOT_CONTROLLER SLOG_ERR_CODE(NOT_CONTROLLER)
#define SLOG_ESTALE_BROKER_EPOCH SLOG_ERR_CODE(STALE_BROKER_EPOCH)
#define SLOG_EINCONSISTENT_CLUSTER_ID SLOG_ERR_CODE(INCONSISTENT_CLUSTER_ID)
#define SLOG_EBROKER_NOT_AVAILABLE SLOG_ERR_CODE(BROKER_NOT_AVAILABLE)
/* Appended, but the ISR fell below min.insync.replicas before the high
 * watermark passed it: the outcome is unknown to the producer. */
#define SLOG_ENOT_ENOUGH_REPLICAS_AFTER_APPEND SLOG_ERR_CODE(NOT_ENOUGH_REPLICAS_AFTER_APPEND)
/* A new leader's high watermark is still below its epoch's start (KIP-207). */
#define SLOG_EOFFSET_NOT_AVAILABLE SLOG_ERR_CODE(OFFSET_NOT_AVAILABLE)
#define SLOG_EINELIGIBLE_REPLICA SLOG_ERR_CODE(INELIGIBLE_REPLICA)
#define SLOG_EINVALID_UPDATE_VERSION SLOG_ERR_CODE(INVALID_UPDATE_VERSION)
#define SLOG_EREASSIGNMENT_IN_PROGRESS SLOG_ERR_CODE(REASSIGNMENT_IN_PROGRESS)
/* Records a consumer read are gone from the partition (KIP-320). */
#define SLOG_ELOG_TRUNCATION SLOG_ERR_CODE(LOG_TRUNCATION)
/* A produce to a mirror topic (mirror.source set): only its mirror writes
 * to it until it is promoted (KIP-1279's read-only mirror topics). */
#define SLOG_EREAD_ONLY_TOPIC SLOG_ERR_CODE(READ_ONLY_TOPIC)

/* A filled-in error: the code and a message naming what failed. */
struct err {
	int code;
	char msg[320];
};

/*
 * Record an error in e (which may be NULL) and return code, so that a
 * failure reads as one line: return err_set(e, SLOG_EIO, "open %s: %s", ...).
 * A message already in e is replaced.
 */
int err_set(struct err *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prefix the message already in e with "what: " (for adding context). */
int err_wrap(struct err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Clear e (code 0, empty message). */
void err_clear(struct err *e);

/* The Kafka-style name of a code, "UNKNOWN_SERVER_ERROR" for unknown ones. */
const char *err_name(int code);

/* The code for a name, or SLOG_EUNKNOWN when the name is not ours. */
int err_from_name(const char *name);

/* The HTTP status the API answers a code with (200 for SLOG_OK). */
int err_http_status(int code);

#endif
