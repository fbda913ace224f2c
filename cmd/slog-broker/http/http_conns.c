/*
 * http_conns.c: connection slots, the limit and the deadlines.
 * See http_conns.h.
 *
 * Cutting a socket: the reaper calls shutdown(SHUT_RDWR), never close().
 * The descriptor stays libmicrohttpd's, which sees the hang-up in its
 * epoll loop and closes it on its own thread; the reaper and the close
 * notification take the same lock, and libmicrohttpd sends that
 * notification before it closes the descriptor, so the reaper never shuts
 * down a number that was already reused for another file.
 */
#include "http/http_conns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "storage/fd_cache.h"
#include "xalloc.h"

#define RESERVE_HEADER_MS 1000
#define REAP_EVERY_MS 100

struct slot {
	struct http_conns *c;
	int fd;
	int health_only;
	int flags;
	enum http_conn_phase phase;
	int64_t deadline_ms; /* 0: none */
	int cut;
	uint64_t id;         /* unique in this process: pointers are reused */
	struct slot *prev, *next; /* guarded by c->lock */
};

struct http_conns {
	struct http_conn_limits l;
	pthread_mutex_t lock; /* guards the list, count, the slots' deadlines */
	pthread_cond_t cond;
	struct slot *head;
	int count;
	int64_t ncut;
	uint64_t last_id;
	int stop;
	pthread_t reaper;
};

/* The answer for a socket past the reserve: written once, then cut. */
static const char refuse[] =
	"HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\n"
	"Connection: close\r\nContent-Length: 80\r\n\r\n"
	"{\"error\":{\"code\":\"THROTTLING_QUOTA_EXCEEDED\",\"message\":\"too many connections\"}}\n";

static void cut_locked(struct http_conns *c, struct slot *s)
{
	shutdown(s->fd, SHUT_RDWR);
	s->cut = 1;
	s->deadline_ms = 0;
	c->ncut++;
}

static void *reaper_main(void *arg)
{
	struct http_conns *c = arg;

	pthread_mutex_lock(&c->lock);
	while (!c->stop) {
		int64_t now = clock_mono_ms();

		for (struct slot *s = c->head; s; s = s->next)
			if (s->deadline_ms && s->deadline_ms <= now && !s->cut)
				cut_locked(c, s);
		clock_cond_wait_until(&c->cond, &c->lock, now + REAP_EVERY_MS);
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

struct http_conns *http_conns_new(const struct http_conn_limits *l)
{
	struct http_conns *c = xcalloc(1, sizeof(*c));

	c->l = *l;
	pthread_mutex_init(&c->lock, NULL);
	clock_cond_init(&c->cond);
	pthread_create(&c->reaper, NULL, reaper_main, c);
	return c;
}

void http_conns_free(struct http_conns *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	c->stop = 1;
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->reaper, NULL);
	while (c->head) {
		struct slot *s = c->head;
		c->head = s->next;
		free(s);
	}
	pthread_mutex_destroy(&c->lock);
	pthread_cond_destroy(&c->cond);
	free(c);
}

static int conn_fd(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);

	return ci ? ci->connect_fd : -1;
}

static void slot_open(struct http_conns *c, struct MHD_Connection *conn, void **ctx)
{
	struct slot *s = xcalloc(1, sizeof(*s));
	int64_t now = clock_mono_ms();

	s->c = c;
	s->fd = conn_fd(conn);
	s->phase = HTTP_CONN_HEADERS;
	pthread_mutex_lock(&c->lock);
	c->count++;
	s->id = ++c->last_id;
	s->health_only = c->count > c->l.max;
	s->deadline_ms = now + (s->health_only && c->l.header_ms > RESERVE_HEADER_MS
					? RESERVE_HEADER_MS : c->l.header_ms);
	s->next = c->head;
	if (c->head)
		c->head->prev = s;
	c->head = s;
	if (c->count > c->l.max + c->l.reserve && s->fd >= 0) {
		/* Best effort: a socket buffer takes this much at once. */
		if (write(s->fd, refuse, sizeof(refuse) - 1) < 0)
			log_debug("http: refusing a connection: write failed");
		cut_locked(c, s);
	}
	pthread_mutex_unlock(&c->lock);
	*ctx = s;
}

static void slot_close(struct http_conns *c, struct slot *s)
{
	pthread_mutex_lock(&c->lock);
	if (s->prev)
		s->prev->next = s->next;
	else
		c->head = s->next;
	if (s->next)
		s->next->prev = s->prev;
	c->count--;
	pthread_mutex_unlock(&c->lock);
	free(s);
}

void http_conns_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
		       enum MHD_ConnectionNotificationCode code)
{
	if (code == MHD_CONNECTION_NOTIFY_STARTED)
		slot_open(cls, conn, socket_context);
	else if (*socket_context)
		slot_close(cls, *socket_context);
	if (code != MHD_CONNECTION_NOTIFY_STARTED)
		*socket_context = NULL;
}

static struct slot *slot_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

uint64_t http_conns_id(struct MHD_Connection *conn)
{
	struct slot *s = slot_of(conn);

	return s ? s->id : 0;
}

void http_conns_phase(struct MHD_Connection *conn, enum http_conn_phase ph)
{
	struct slot *s = slot_of(conn);
	struct http_conns *c;
	int64_t now = clock_mono_ms(), ms;

	if (!s)
		return;
	c = s->c;
	pthread_mutex_lock(&c->lock);
	/* A new connection's headers count from the accept, not from the
	 * request line: an idle socket that sends nothing is cut too. */
	if (ph == HTTP_CONN_HEADERS && s->phase == HTTP_CONN_HEADERS) {
		pthread_mutex_unlock(&c->lock);
		return;
	}
	if (ph == HTTP_CONN_HEADERS)
		s->flags = 0;
	ms = ph == HTTP_CONN_HEADERS ? c->l.header_ms
	     : ph == HTTP_CONN_BODY  ? c->l.body_ms
	     : ph == HTTP_CONN_IDLE  ? c->l.idle_ms
				     : 0;
	if (s->health_only && ph != HTTP_CONN_BUSY && (!ms || ms > RESERVE_HEADER_MS))
		ms = RESERVE_HEADER_MS;
	s->phase = ph;
	if (!s->cut)
		s->deadline_ms = ms > 0 ? now + ms : 0;
	pthread_mutex_unlock(&c->lock);
}

int http_conns_health_only(struct MHD_Connection *conn)
{
	struct slot *s = slot_of(conn);

	return s && s->health_only;
}

void http_conns_set_flags(struct MHD_Connection *conn, int flags)
{
	struct slot *s = slot_of(conn);

	if (s)
		s->flags |= flags;
}

int http_conns_flags(struct MHD_Connection *conn)
{
	struct slot *s = slot_of(conn);

	return s ? s->flags : 0;
}

/*
 * Every socket is a descriptor: raise the soft RLIMIT_NOFILE to the hard
 * limit, keep what the segment descriptor cache may hold (fd_cache.h) and
 * 64 more (directories, checkpoints, the metadata log) for the logs, and
 * fit max.connections into the rest.
 */
/* Descriptors beside the segment files: directories, checkpoints, the
 * metadata log.  And the fewest segment files the cache is cut to. */
#define FILES_EXTRA 64
#define FILES_MIN 32

void http_conns_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int http_conns_budget(int want, int reserve, int shrink_files)
{
	struct rlimit rl;
	rlim_t files, left;
	int room;

	http_conns_raise_nofile();
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return want;
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (rlim_t)INT32_MAX)
		return want;
	files = (rlim_t)fd_cache_max() + FILES_EXTRA;
	if ((rlim_t)want + (rlim_t)reserve + files <= rl.rlim_cur)
		return want;
	left = rl.rlim_cur > (rlim_t)reserve + FILES_EXTRA ? rl.rlim_cur - reserve - FILES_EXTRA : 0;
	if (shrink_files && left / 2 < (rlim_t)fd_cache_max()) {
		fd_cache_set_max(left / 2 > FILES_MIN ? (size_t)(left / 2) : FILES_MIN);
		files = (rlim_t)fd_cache_max() + FILES_EXTRA;
	}
	room = rl.rlim_cur > files + (rlim_t)reserve + 1 ? (int)(rl.rlim_cur - files - (rlim_t)reserve)
							  : 1;
	if (room >= want)
		return want;
	log_warn("max.connections %d lowered to %d: RLIMIT_NOFILE is %llu and %llu descriptors "
		 "stay for log files", want, room, (unsigned long long)rl.rlim_cur,
		 (unsigned long long)files);
	return room;
}

int http_conns_listen(const char *host, int port, int *bound, struct err *e)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE };
	struct addrinfo *res, *ai;
	char service[16];
	int fd = -1, one = 1, gai;

	snprintf(service, sizeof(service), "%d", port);
	gai = getaddrinfo(*host ? host : NULL, service, &hints, &res);
	if (gai)
		return err_set(e, SLOG_EINVALID_CONFIG, "listeners: cannot resolve '%s': %s", host,
			       gai_strerror(gai));
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 1024) == 0)
			break;
		close(fd);
		fd = -1;
	}
	if (fd < 0) {
		int errnum = errno;
		freeaddrinfo(res);
		return err_set(e, SLOG_EIO, "cannot listen on %s:%d: %s", host, port, strerror(errnum));
	}
	*bound = http_conns_port(fd);
	freeaddrinfo(res);
	return fd;
}

int http_conns_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
		return -1;
	return ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
					      : ((struct sockaddr_in *)&ss)->sin_port);
}
