/*
 * meta_log.h: the metadata log, which is the quorum's (cluster/quorum.h).
 *
 * A node with the controller role votes in the metadata quorum: its Raft
 * log lives in metadata.log.dir, by default __cluster_metadata in the
 * first log directory (a name without the "-<n>" suffix, so that no topic
 * partition's directory can ever be it), and its committed entries are
 * applied to the node's image (meta_image.h) on the quorum's thread.  A
 * node that is only a broker has no quorum: what feeds its image follows
 * a voter's (cluster/meta_follower.h).  Either way the publisher
 * (meta_publisher.h) makes the broker follow the image, and the
 * controller (controller.h) proposes changes through the quorum.
 *
 * A cluster of one is the same code: a quorum of one voter, which leads
 * as soon as it starts and commits an entry once its own write is
 * durable.
 *
 * Opening also imports a metadata log of the format before the quorum
 * (meta_migrate.h): it is moved aside to <dir>.migrated, and once the
 * quorum runs, the state it replays to is committed as one entry while
 * the image has no cluster yet.  Only a node that is the quorum's one
 * voter imports: its log is the cluster's whole history.
 */
#ifndef SLOG_META_LOG_H
#define SLOG_META_LOG_H

#include <jansson.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "cluster/quorum.h"
#include "err.h"
#include "meta/meta_image.h"
#include "meta/meta_state.h"
#include "storage/log_dirs.h"

#define META_LOG_DIR_NAME "__cluster_metadata"
#define META_LOG_MIGRATED_SUFFIX ".migrated"

struct meta_log {
	char dir[4200];         /* the quorum's directory, for messages */
	char cluster_id[24];    /* this node's, from meta.properties: a new
				 * cluster's first record, if this node makes it */
	char joined[24];        /* the cluster recorded in dir/cluster.id when
				 * this node first saw it; "" before */
	_Atomic int refused;    /* the image is another cluster's: stop */
	struct quorum *quorum;  /* NULL on a node that is only a broker */
};

/* The file in the metadata directory that records which cluster the
 * node joined: meta.properties alone cannot tell a node that never
 * joined (whose id is its own, made at its first start) from one whose
 * meta.properties came from elsewhere. */
#define META_LOG_CLUSTER_FILE "cluster.id"

struct meta_log_config {
	int32_t node_id;
	int voter;                         /* this node has the controller role */
	const char *dir;                   /* from meta_log_locate() */
	const struct quorum_voter *voters; /* controller.quorum.voters, or this node alone */
	size_t nvoters;
	const char *bind;                  /* where Raft listens; NULL: its voter address */
	unsigned election_timeout_ms;
	unsigned snapshot_threshold;       /* entries between snapshots */
	int64_t request_timeout_ms;        /* for the import's commit */
};

/*
 * The metadata log's directory into out: configured (metadata.log.dir)
 * if set, else first_log_dir/__cluster_metadata.  A log at the old place,
 * first_log_dir/__cluster_metadata-0, is moved there first (durably).
 */
int meta_log_locate(const char *configured, const char *first_log_dir, char *out, size_t size,
		    struct err *e);

/*
 * Start this node's part of the metadata log: its quorum with img as
 * the state machine (a voter), after importing a log of the old format.
 * A dir/cluster.id that is not ml->cluster_id (meta.properties') is
 * SLOG_EINCONSISTENT_CLUSTER_ID naming both.
 * Returns once the quorum runs; a voter alone has applied everything it
 * committed before.
 */
int meta_log_open(struct meta_log *ml, const struct meta_log_config *cfg, struct meta_image *img,
		  struct err *e);

/*
 * Apply one committed record at offset (-1: proposed) to s.  One that
 * does not fit the state (it lost a race) is logged and skipped: 0, s
 * unchanged, the same on every broker.  Bytes that cannot be read are
 * SLOG_ECORRUPT_MESSAGE, naming the log's directory and the offset.
 */
int meta_log_apply(const struct meta_log *ml, struct meta_state *s, json_t *rec, int64_t offset,
		   struct err *e);

/*
 * The image has cluster image_id.  A node that never joined a cluster
 * takes it: recorded in dir/cluster.id, and in every meta.properties of
 * dirs when it is not the node's own id yet.  A node that joined another
 * is SLOG_EINCONSISTENT_CLUSTER_ID naming both (and ml->refused is set).
 */
int meta_log_join(struct meta_log *ml, const char *image_id, struct log_dirs *dirs,
		  int32_t node_id, struct err *e);

/* Stop the quorum (pending proposals fail); safe when never opened. */
void meta_log_close(struct meta_log *ml);

#endif
