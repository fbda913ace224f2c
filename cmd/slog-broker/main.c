/*
 * slog-broker: the server.  This file reads the options and the
 * configuration, wires the modules together, waits for a signal, and
 * shuts down in order.  Exit status: 0 after a clean shutdown, 1 when
 * the broker cannot start or stop cleanly, 2 for a usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker.h"
#include "cli.h"
#include "cluster/broker_heartbeat.h"
#include "cluster/broker_lifecycle.h"
#include "cluster/controlled_shutdown.h"
#include "cluster/forward.h"
#include "cluster/isr_sender.h"
#include "cluster/meta_follower.h"
#include "cluster/replica_fetcher.h"
#include "groups/group_coordinator.h"
#include "groups/offsets_store.h"
#include "http/http_conns.h"
#include "http/http_defer.h"
#include "http/http_server.h"
#include "log.h"
#include "meta/controller.h"
#include "meta/meta_publisher.h"
#include "meta/meta_state.h"
#include "metrics.h"
#include "replica/fetch_wait.h"
#include "replica/log_cleaner.h"
#include "replica/registry.h"
#include "replica/scheduler.h"
#include "sd_notify.h"
#include "storage/dir_gate.h"
#include "storage/fd_cache.h"
#include "storage/fileio.h"
#include "storage/flusher.h"
#include "units.h"

static const char synopsis[] =
	"usage: slog-broker [-c FILE] [--set KEY=VALUE | -X KEY=VALUE]... [--check-config]\n"
	"       slog-broker --help-config | -h | -V\n";

static void usage(void)
{
	printf("%s\n", synopsis);
	printf("The slog server: stores partitions and serves the HTTP API.\n\n"
	       "  -c, --config FILE       read key = value settings from FILE\n"
	       "  -s, --set KEY=VALUE     set one key (repeatable; wins over FILE and SLOG_* variables)\n"
	       "  -X KEY=VALUE            the same as --set\n"
	       "      --check-config      check the configuration, print the effective values, exit\n"
	       "      --help-config       list every key with its default and meaning\n"
	       "  -h, --help              show this help\n"
	       "  -V, --version           show the version\n\n"
	       "With no configuration it serves 127.0.0.1:9292 with data in ./slog-data.\n"
	       "Each key may also come from the environment as SLOG_<KEY>, upper case with\n"
	       "dots as _ (SLOG_LOG_DIRS); --set wins over it, and it over FILE.\n"
	       "See slog-broker(1) and slog-broker.conf(5).\n");
}

enum { OPT_CHECK = 256, OPT_HELP_CONFIG, OPT_LIST };

static const struct option longopts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "set", required_argument, NULL, 's' },
	{ "check-config", no_argument, NULL, OPT_CHECK },
	{ "help-config", no_argument, NULL, OPT_HELP_CONFIG },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "list-options", no_argument, NULL, OPT_LIST },
	{ NULL, 0, NULL, 0 },
};

static void help_config(void)
{
	printf("%-40s %-16s %s\n", "KEY", "DEFAULT", "MEANING");
	for (size_t i = 0; i < broker_conf_ndefs; i++) {
		const struct conf_def *d = &broker_conf_defs[i];
		printf("%-40s %-16s %s\n", d->key, d->def ? d->def : "-", d->doc);
	}
	printf("\nTopic keys (set per topic; the broker key in brackets sets the default):\n");
	for (size_t i = 0; i < topic_conf_ndefs; i++) {
		const struct topic_conf_def *t = &topic_conf_defs[i];
		printf("%-40s %-16s %s%s%s%s\n", t->def.key, t->def.def ? t->def.def : "-", t->def.doc,
		       t->broker_key ? " [" : "", t->broker_key ? t->broker_key : "",
		       t->broker_key ? "]" : "");
	}
}

/* "host:port", "http://host:port", "[::1]:port" -> host and port. */
static int parse_listener(const char *s, char *host, size_t size, int *port, struct err *e)
{
	const char *p = s, *colon;
	int64_t v;

	if (strncmp(p, "http://", 7) == 0)
		p += 7;
	else if (strstr(p, "://"))
		return err_set(e, SLOG_EINVALID_CONFIG, "'%s': only http:// is served", s);
	if (*p == '[') {
		const char *close = strchr(p, ']');
		if (!close || close[1] != ':')
			return err_set(e, SLOG_EINVALID_CONFIG, "'%s' is not [host]:port", s);
		snprintf(host, size, "%.*s", (int)(close - p - 1), p + 1);
		colon = close + 1;
	} else {
		colon = strrchr(p, ':');
		if (!colon)
			return err_set(e, SLOG_EINVALID_CONFIG, "'%s' is not host:port", s);
		snprintf(host, size, "%.*s", (int)(colon - p), p);
	}
	if (units_parse_int(colon + 1, 0, 65535, &v, NULL))
		return err_set(e, SLOG_EINVALID_CONFIG, "'%s' has no valid port", s);
	*port = (int)v;
	return 0;
}

/* One --set or -X, as given. */
struct set_opt {
	const char *opt; /* "--set" or "-X" */
	const char *pair;
};

static int load_config(struct broker *b, const char *file, const struct set_opt *sets, int nsets,
		       struct err *e)
{
	const char *adv;
	int rc = conf_init(&b->conf, broker_conf_defs, broker_conf_ndefs, e);

	if (!rc && file)
		rc = conf_load_file(&b->conf, file, e);
	if (!rc)
		rc = conf_load_env(&b->conf, "SLOG_", e);
	for (int i = 0; !rc && i < nsets; i++)
		rc = conf_set_pair_from(&b->conf, sets[i].pair, CONF_SRC_CMDLINE, sets[i].opt, e);
	if (rc)
		return rc;
	if (parse_listener(conf_get_str(&b->conf, "listeners"), b->listen_host,
			   sizeof(b->listen_host), &b->listen_port, e))
		return conf_wrap_key(&b->conf, "listeners", e);
	adv = conf_get_str(&b->conf, "advertised.listeners");
	if (adv && parse_listener(adv, b->host, sizeof(b->host), &b->port, e))
		return conf_wrap_key(&b->conf, "advertised.listeners", e);
	b->node_id = (int32_t)conf_get_num(&b->conf, "node.id");
	rc = broker_config_cluster(&b->conf, b->node_id, &b->roles, b->voters, &b->nvoters, e);
	if (rc)
		return rc;
	b->flush_on_ack = conf_get_bool(&b->conf, "log.flush.on.ack");
	b->fetch_max_wait_ms = conf_get_num(&b->conf, "fetch.max.wait.ms");
	b->request_max_bytes = conf_get_num(&b->conf, "socket.request.max.bytes");
	log_set_level((enum log_level)conf_get_num(&b->conf, "log.level"));
	if (conf_get_num(&b->conf, "group.min.session.timeout.ms") >
	    conf_get_num(&b->conf, "group.max.session.timeout.ms")) {
		const char *key = conf_get_source(&b->conf, "group.min.session.timeout.ms") !=
						  CONF_SRC_DEFAULT
					  ? "group.min.session.timeout.ms"
					  : "group.max.session.timeout.ms";
		err_set(e, SLOG_EINVALID_CONFIG,
			"group.min.session.timeout.ms is larger than group.max.session.timeout.ms");
		return conf_wrap_key(&b->conf, key, e);
	}
	/* Checking every topic default once catches a bad broker-wide default. */
	{
		struct topic_config tc;
		rc = topic_config_resolve(&b->conf, NULL, &tc, e);
	}
	return rc;
}

static int keep_partition(void *arg, const char *topic, int32_t partition)
{
	struct meta_topic *mt = meta_find(arg, topic);

	return mt && partition < mt->partitions;
}

/*
 * A topic's partition count for the group coordinator (meta_lock held),
 * from the published metadata: the registry holds only the partitions
 * placed on this node, and a group reads partitions led anywhere.
 */
static int32_t topic_partitions(void *arg, const char *topic)
{
	struct broker *b = arg;
	struct meta_topic *mt = meta_find(&b->meta, topic);

	return mt ? mt->partitions : 0;
}

static struct group_coordinator *start_groups(struct broker *b)
{
	struct gc_config cfg = {
		.default_session_ms = conf_get_num(&b->conf, "group.consumer.session.timeout.ms"),
		.min_session_ms = conf_get_num(&b->conf, "group.min.session.timeout.ms"),
		.max_session_ms = conf_get_num(&b->conf, "group.max.session.timeout.ms"),
		.interval_ms = conf_get_num(&b->conf, "group.consumer.heartbeat.interval.ms"),
		.meta_lock = &b->meta_lock,
		.partitions = topic_partitions,
		.arg = b,
	};

	return gc_start(&cfg);
}

/* The groups' periodic work, run by the scheduler (replica/), which does
 * not know groups/. */
static const struct scheduler_job group_jobs[] = {
	{ "offsets.retention.check.interval.ms", offsets_store_expire },
};

/* How many committed entries the image keeps for brokers that follow it. */
#define IMAGE_RING_ENTRIES 1024

/* This node's part of the metadata log: its quorum, if a voter. */
static int open_metadata(struct broker *b, const char *cluster_id, struct err *e)
{
	char mdir[4200];
	struct meta_log_config mc = {
		.node_id = b->node_id,
		.voter = (b->roles & BROKER_ROLE_CONTROLLER) != 0,
		.dir = mdir,
		.voters = b->voters,
		.nvoters = b->nvoters,
		.election_timeout_ms =
			(unsigned)conf_get_num(&b->conf, "controller.quorum.election.timeout.ms"),
		.snapshot_threshold = (unsigned)conf_get_num(&b->conf, "metadata.snapshot.records"),
		.request_timeout_ms = conf_get_num(&b->conf, "controller.quorum.request.timeout.ms"),
	};
	int rc = meta_log_locate(conf_get_str(&b->conf, "metadata.log.dir"), b->dirs.v[0].path,
				 mdir, sizeof(mdir), e);

	snprintf(b->mlog.cluster_id, sizeof(b->mlog.cluster_id), "%s", cluster_id);
	if (!rc)
		rc = meta_log_open(&b->mlog, &mc, &b->image, e);
	b->quorum = b->mlog.quorum;
	return rc;
}

/*
 * The image's cluster must be meta.properties'.  A voter alone has the
 * whole committed state in its image now: partition directories it does
 * not know are orphans (a deletion that a crash interrupted).  Elsewhere
 * the image may still be behind, and nothing is removed.
 */
static int check_image(struct broker *b, const char *cluster_id, struct err *e)
{
	struct meta_state s;
	int64_t offset;
	int rc = meta_image_copy_state(&b->image, &s, &offset, e);

	if (rc)
		return rc;
	if (s.cluster_id[0] && strcmp(s.cluster_id, cluster_id) != 0)
		rc = err_set(e, SLOG_EINCONSISTENT_CLUSTER_ID,
			     "the metadata log %s belongs to cluster %s, meta.properties to %s",
			     b->mlog.dir, s.cluster_id, cluster_id);
	else if (b->quorum && b->nvoters == 1)
		log_dirs_remove_orphans(&b->dirs, keep_partition, &s);
	meta_state_free(&s);
	return rc;
}

/*
 * The image changed, on the thread that feeds it: wake whoever follows.
 * The publisher; the polls of GET /v1/meta/records (none is registered
 * once the waiters stopped, so the list is not touched then); and this
 * broker's heartbeat, so that the controller learns the new offset now.
 */
static void image_changed(void *arg)
{
	struct broker *b = arg;

	meta_publisher_wake(b->publisher);
	fetch_waits_notify(b->waits, &b->meta_waiters);
	broker_heartbeat_nudge(b->heartbeat);
}

/* The controller's calls that the brokers' lifecycle makes. */
/*
 * The committed offsets' topic is made by the controller: a broker that
 * is not the controller cannot make it when a group first needs it.  The
 * controller waits one session timeout after its election, so that the
 * brokers starting with it have registered and the topic's partitions
 * spread over them.
 */
static void controller_duties(struct broker *b, int64_t active_ms)
{
	static int64_t warned_at = -1;
	struct err e;

	controller_partition_duties(b, active_ms);
	if (active_ms < conf_get_num(&b->conf, "broker.session.timeout.ms"))
		return;
	if (offsets_store_ensure(b, &e) && warned_at != active_ms / 60000) {
		warned_at = active_ms / 60000; /* once a minute at most */
		log_warn("cannot create %s yet: %s", OFFSETS_TOPIC, e.msg);
	}
}

static const struct lc_controller lifecycle_controller = {
	controller_active, controller_register_broker, controller_set_broker_state,
	controller_replicas_offline, controller_duties,
};

/* The controller has this broker alive: systemd may count on it now. */
static void broker_alive(void *arg)
{
	(void)arg;
	sd_notify_send("READY=1");
}

/*
 * The cluster's threads, before HTTP serves: a voter's view of the
 * brokers, an observer's fetch of the metadata log, and this broker's
 * heartbeat.
 */
static void start_membership(struct broker *b)
{
	if (b->quorum)
		b->lifecycle = broker_lifecycle_start(b, &lifecycle_controller);
	else
		b->follower = meta_follower_start(b);
	if (b->roles & BROKER_ROLE_BROKER)
		b->heartbeat = broker_heartbeat_start(b, broker_alive, b);
}

/* The publisher, before anything feeds the image. */
static void start_publisher(struct broker *b)
{
	b->publisher = meta_publisher_start(b);
	b->image.change_arg = b;
	b->image.on_change = image_changed;
}

/* The image published before serving: the topics it holds are opened. */
static void await_publisher(struct broker *b)
{
	int64_t wait = conf_get_num(&b->conf, "controller.quorum.request.timeout.ms");
	struct err e;

	if (meta_publisher_await(b->publisher, atomic_load(&b->image.offset),
				 clock_mono_ms() + wait, &e))
		log_warn("serving before every topic is open (they are tried again): %s", e.msg);
}

/*
 * A voter of a larger quorum that restarts knows what its log holds but
 * not what is committed until the quorum's leader tells it: its image
 * starts nearly empty.  Serving then would tell clients that topics do
 * not exist (UNKNOWN_TOPIC_OR_PARTITION, which they do not retry) in the
 * middle of a rolling restart.  So, as a Kafka broker does not serve
 * before its first metadata catch-up, it waits, bounded, until a leader
 * is known and everything committed is applied and published.  The
 * quorum's traffic has ports of its own: nothing here waits for HTTP.
 */
static void await_catch_up(struct broker *b)
{
	int64_t wait = conf_get_num(&b->conf, "controller.quorum.request.timeout.ms");
	int64_t deadline = clock_mono_ms() + wait;
	struct quorum_view v;

	if (!b->quorum || b->nvoters < 2)
		return;
	for (;;) {
		quorum_view(b->quorum, &v);
		if (v.leader_id > 0 && v.commit_index > 0 && v.applied >= v.commit_index)
			break;
		if (v.failed || clock_mono_ms() >= deadline) {
			log_warn("serving before this node has caught up with the metadata quorum "
				 "(no leader known, or not applied, after %lld ms)", (long long)wait);
			return;
		}
		usleep(10000);
	}
	await_publisher(b);
}

/*
 * A voter alone is the controller as soon as its quorum has applied its
 * log: it makes the cluster (its first record) if new, and registers
 * this broker.  In a larger cluster the broker's heartbeat registers it
 * with whichever node leads.
 */
static int join_cluster(struct broker *b, const char *cluster_id, struct err *e)
{
	int64_t deadline = clock_mono_ms() +
			   conf_get_num(&b->conf, "controller.quorum.request.timeout.ms");
	json_t *endpoints;
	int rc = 0;

	meta_new_id(b->incarnation);
	if (!b->quorum || b->nvoters != 1)
		return 0;
	while (!controller_active(b, NULL) && clock_mono_ms() < deadline)
		usleep(5000);
	if (!controller_active(b, NULL))
		return err_set(e, SLOG_ENOT_CONTROLLER,
			       "the metadata quorum in %s did not become ready in %lld ms: can it "
			       "write there? (its log preallocates segments of 8 MiB)", b->mlog.dir,
			       (long long)conf_get_num(&b->conf, "controller.quorum.request.timeout.ms"));
	pthread_mutex_lock(&b->image.lock);
	if (!b->image.state.cluster_id[0])
		rc = 1;
	pthread_mutex_unlock(&b->image.lock);
	if (rc)
		rc = controller_bootstrap(b, cluster_id, e);
	if (rc || !(b->roles & BROKER_ROLE_BROKER))
		return rc;
	endpoints = json_pack("[{s:s, s:s, s:i}]", "name", "http", "host", b->host, "port", b->port);
	rc = controller_register_broker(b, b->node_id, b->incarnation, endpoints, e);
	json_decref(endpoints);
	return rc;
}

/*
 * A log dir went offline (a flusher's, a fetcher's or a request's thread):
 * the controller hears of its replicas at once, not at the next
 * heartbeat, and the fetcher drops them from its fetches (replication
 * spec D7).  Neither call blocks.
 */
/* A voter whose metadata log sits in a log dir that went offline. */
static int metadata_dir_offline(struct broker *b)
{
	for (size_t i = 0; b->quorum && i < b->dirs.n; i++) {
		const char *p = b->dirs.v[i].path;
		size_t n = strlen(p);

		if (dir_health_offline(&b->dirs.v[i].health) && strncmp(b->mlog.dir, p, n) == 0 &&
		    b->mlog.dir[n] == '/')
			return 1;
	}
	return 0;
}

static void dir_went_offline(void *arg)
{
	struct broker *b = arg;

	if (metadata_dir_offline(b)) {
		/* Kafka's broker stops when its metadata log's dir fails
		 * (KIP-858): its metadata could no longer be kept, and
		 * libraft's own handling of a failing disk is not to be
		 * relied on.  The quorum stops now, the broker after. */
		quorum_fail(b->quorum, "the metadata log's dir is offline after a failed fsync");
		log_error("stopping: the metadata log's dir %s is offline", b->mlog.dir);
		b->metadata_failed = 1;
		kill(getpid(), SIGTERM);
		return;
	}
	broker_heartbeat_nudge(b->heartbeat);
	replica_fetcher_poke(b->fetcher);
}

/* Logs, metadata, topics: everything before the port opens. */
static int open_storage(struct broker *b, struct err *e)
{
	char cluster_id[24] = "", new_id[24];
	int rc;

	fio_faults_from_env(); /* a test hook; see fileio.h */
	meta_new_id(new_id); /* the cluster's, if these dirs are fresh */
	if (conf_get_num(&b->conf, "log.segment.open.files.max") > 0)
		fd_cache_set_max((size_t)conf_get_num(&b->conf, "log.segment.open.files.max"));
	rc = log_dirs_open(&b->dirs, conf_get_str(&b->conf, "log.dirs"), b->node_id, new_id,
			   cluster_id, e);
	if (rc)
		return rc;
	for (size_t i = 0; i < b->dirs.n; i++)
		dir_health_watch(&b->dirs.v[i].health, dir_went_offline, b);
	start_publisher(b);
	rc = open_metadata(b, cluster_id, e);
	if (!rc)
		rc = check_image(b, cluster_id, e);
	if (rc)
		return rc;
	await_publisher(b);
	rc = join_cluster(b, cluster_id, e);
	if (rc)
		return rc;
	b->groups = start_groups(b);
	return offsets_store_load(b, e);
}

/*
 * One thread per core, but at least 4: requests that block on a stalled
 * log dir hold threads (up to all but one, dir_gate.h), and the others
 * must be enough for everything else.
 */
static int default_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 4 ? 4 : n > 256 ? 256 : (int)n;
}

/* The threads that resume suspended requests; each resumes what it holds. */
static void stop_waiters(struct broker *b)
{
	if (b->flusher)
		flusher_stop(b->flusher);
	b->flusher = NULL;
	if (b->waits)
		fetch_waits_stop(b->waits);
	b->waits = NULL;
	forwarder_stop(b->forward);
	b->forward = NULL;
	http_defer_stop(b->defer);
	b->defer = NULL;
}

/* The metadata and the logs, once nothing serves: 0, or 1 if a log
 * did not close cleanly. */
static int close_storage(struct broker *b)
{
	struct err e;
	int rc = 0;

	/* The quorum first: pending proposals fail, and the image changes no
	 * more, so the publisher stops between two changes. */
	meta_log_close(&b->mlog);
	b->quorum = NULL;
	if (b->publisher) {
		b->image.on_change = NULL;
		meta_publisher_stop(b->publisher);
		b->publisher = NULL;
		scheduler_checkpoint(b);
	}
	/* The image changes no more: nothing nudges the heartbeat now. */
	broker_heartbeat_free(b->heartbeat);
	b->heartbeat = NULL;
	isr_sender_free(b->isr_sender);
	b->isr_sender = NULL;
	if (registry_close_all(b, &e)) {
		log_error("%s", e.msg);
		rc = 1;
	}
	log_dirs_close(&b->dirs, rc == 0);
	meta_image_free(&b->image);
	meta_state_free(&b->meta);
	return rc;
}

static int shutdown_broker(struct broker *b)
{
	int64_t deadline = clock_mono_ms() + 4000;
	int rc;

	/* Controlled shutdown while everything still serves: the controller
	 * (maybe this node) marks this broker shutting_down and moves its
	 * leaderships. */
	controlled_shutdown_run(b);
	broker_heartbeat_stop(b->heartbeat);
	meta_follower_stop(b->follower);
	b->follower = NULL;
	b->stopping = 1;
	/* Nothing is appended to a followed log, nor an ISR changed, past here. */
	replica_fetcher_stop(b->fetcher);
	b->fetcher = NULL;
	isr_sender_stop(b->isr_sender);
	/* A broker that never served says only why (main), not that it stops. */
	if (b->ready) {
		sd_notify_send("STOPPING=1");
		log_info("shutting down");
	}
	if (b->http) {
		http_quiesce(b->http);
		/* Answer long polls now, then let requests in flight finish. */
		fetch_waits_wake_all(b->waits);
		if (b->gate)
			dir_gate_close(b->gate);
		if (b->groups)
			gc_quiesce(b->groups);
		while (http_active(b->http) > 0 && clock_mono_ms() < deadline)
			usleep(5000);
		/* libmicrohttpd must not stop with a connection suspended: run
		 * no more handlers, let the flusher and the fetch waits resume
		 * what waits on them, answer the rest 503, then stop it. */
		http_close_handlers(b->http);
		stop_waiters(b);
		http_abandon(b->http, clock_mono_ms() + 2000);
		http_stop(b->http);
	}
	/* A change in flight ends by its deadline (controller.h). */
	broker_lifecycle_stop(b->lifecycle);
	b->lifecycle = NULL;
	if (b->groups)
		gc_stop(b->groups);
	if (b->cleaner)
		log_cleaner_stop(b->cleaner);
	if (b->sched)
		scheduler_stop(b->sched);
	stop_waiters(b);
	rc = close_storage(b);
	if (b->metrics)
		metrics_free(b->metrics);
	dir_gate_free(b->gate);
	conf_free(&b->conf);
	pthread_rwlock_destroy(&b->meta_lock);
	if (b->ready)
		log_info("stopped%s", rc ? " with errors" : "");
	return rc;
}

/* What the command line asks for besides the configuration's keys. */
struct args {
	const char *file;
	struct set_opt sets[256];
	int nsets, check;
};

/* 1 when the program is done: -h, -V, --help-config, --list-options. */
static int parse_args(int argc, char **argv, struct args *a)
{
	int c;

	opterr = 0; /* our message, not getopt's */
	while ((c = getopt_long(argc, argv, ":c:s:X:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': a->file = optarg; break;
		case 's':
		case 'X':
			if (a->nsets == (int)(sizeof(a->sets) / sizeof(a->sets[0])))
				cli_usage_error(synopsis, "too many --set options");
			a->sets[a->nsets].opt = c == 'X' ? "-X" : "--set";
			a->sets[a->nsets++].pair = optarg;
			break;
		case OPT_CHECK: a->check = 1; break;
		case OPT_HELP_CONFIG: help_config(); return 1;
		case 'h': usage(); return 1;
		case 'V':
			cli_print_version();
			printf("libmicrohttpd %s\n", MHD_get_version());
			return 1;
		case OPT_LIST: cli_list_options(longopts); return 1;
		default: cli_option_error(synopsis, argv, c);
		}
	}
	if (optind < argc)
		cli_usage_error(synopsis, "unexpected argument '%s'", argv[optind]);
	return 0;
}

/*
 * Before any thread starts: SIGTERM and SIGINT blocked (main() waits for
 * them), the metadata lock, and room in the descriptor table, which
 * sockets and segment files share.
 */
static void prepare_process(struct broker *b, sigset_t *mask)
{
	pthread_rwlockattr_t ra;

	sigemptyset(mask);
	sigaddset(mask, SIGTERM);
	sigaddset(mask, SIGINT);
	pthread_sigmask(SIG_BLOCK, mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	pthread_rwlockattr_init(&ra);
	pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&b->meta_lock, &ra);
	pthread_rwlockattr_destroy(&ra);
	/* Records written before they had versions placed every partition
	 * on the one broker that wrote them: this one. */
	meta_state_init(&b->meta);
	b->meta.v0_node = b->node_id;
	meta_image_init(&b->image, IMAGE_RING_ENTRIES, b->node_id);
	http_conns_raise_nofile();
}

/* After the storage is open: the threads that serve, HTTP last. */
static int start_serving(struct broker *b, int listen_fd, struct err *e)
{
	int threads = (int)conf_get_num(&b->conf, "num.network.threads");

	b->flusher = flusher_start(b->dirs.n);
	b->sched = scheduler_start(b, group_jobs, sizeof(group_jobs) / sizeof(group_jobs[0]));
	if (conf_get_bool(&b->conf, "log.cleaner.enable"))
		b->cleaner = log_cleaner_start(b);
	if (threads == 0)
		threads = default_threads();
	/* A stalled log dir may hold all threads but one (dir_gate.h). */
	b->gate = dir_gate_new(threads - 1);
	/* A voter alone is always the controller: it never forwards. */
	if (b->nvoters > 1 || !(b->roles & BROKER_ROLE_CONTROLLER)) {
		b->forward = forwarder_start(e);
		if (!b->forward)
			return -1;
	}
	if (b->roles & BROKER_ROLE_CONTROLLER) {
		b->defer = http_defer_start();
		if (!b->defer)
			return err_set(e, SLOG_EIO, "cannot start the thread of metadata changes");
	}
	/* Replication once the published metadata says who leads what. */
	b->fetcher = replica_fetcher_start(b);
	b->isr_sender = isr_sender_start(b);
	b->http = http_start(b, listen_fd, threads, e);
	return b->http ? 0 : -1;
}

int main(int argc, char **argv)
{
	static struct broker broker;
	static struct args a;
	struct broker *b = &broker;
	int sig, listen_fd, bound;
	sigset_t mask;
	struct err e;

	cli_init(argv[0]);
	if (parse_args(argc, argv, &a))
		return 0;
	b->started_ms = clock_wall_ms();
	if (load_config(b, a.file, a.sets, a.nsets, &e)) {
		cli_error("%s", e.msg);
		return 1;
	}
	if (!b->host[0]) {
		memcpy(b->host, b->listen_host, sizeof(b->host));
		b->port = b->listen_port;
	}
	if (a.check) {
		broker_config_print(&b->conf, stdout);
		conf_free(&b->conf);
		return 0;
	}

	/*
	 * The port before the data: a broker that cannot listen (the port is
	 * taken, the address is not this host's) must fail before it creates
	 * or claims a log dir, and leave nothing behind.  Connections made
	 * while the logs are recovered wait in the backlog.
	 */
	listen_fd = http_conns_listen(b->listen_host, b->listen_port, &bound, &e);
	if (listen_fd < 0) {
		cli_error("%s", e.msg);
		conf_free(&b->conf);
		return 1;
	}
	/* The port this broker registers and redirects to. */
	if (b->listen_port == 0 && b->port == 0)
		b->port = bound;

	prepare_process(b, &mask);
	b->metrics = metrics_new();
	b->waits = fetch_waits_start();
	if (open_storage(b, &e)) {
		cli_error("%s", e.msg);
		close(listen_fd);
		shutdown_broker(b);
		return 1;
	}
	start_membership(b);
	await_catch_up(b);
	if (start_serving(b, listen_fd, &e)) {
		cli_error("%s", e.msg);
		shutdown_broker(b);
		return 1;
	}
	b->ready = 1;
	log_info("listening on http://%s:%d (node %d, cluster %s, %zu topics, data in %s)",
		 b->listen_host, http_port(b->http), b->node_id, b->meta.cluster_id, b->ntopics,
		 conf_get_str(&b->conf, "log.dirs"));
	/* A broker is ready once the controller has it alive (broker_alive). */
	if (!b->heartbeat)
		sd_notify_send("READY=1");

	while (sigwait(&mask, &sig) != 0 && errno == EINTR)
		;
	log_info("received %s", sig == SIGINT ? "SIGINT" : "SIGTERM");
	/* Stopped by its publisher (refused): its data is another cluster's. */
	return shutdown_broker(b) || b->mlog.refused || b->metadata_failed ? 1 : 0;
}
