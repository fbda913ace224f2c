/*
 * test_forward.c: admin requests relayed to the controller
 * (cluster/forward.h).
 *
 * The URL and query a forward is sent to, and how a NOT_CONTROLLER
 * answer is told apart; then the forwarder against small HTTP servers on
 * loopback that record what they were sent and answer as a test says: the
 * request arrives as it came with Slog-Forwarded: 1, the answer comes back
 * as it is, a target that is not the controller or cannot be reached
 * passes the request on to the next, a silent one is cut off at the
 * deadline, and stopping finishes what is in flight.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <semaphore.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cluster/forward.h"
#include "log.h"
#include "unit.h"

/* ---- the pure parts ---- */

static int url_is(const char *base, const char *path, const char *query, const char *want)
{
	struct buf out = BUF_INIT;
	int ok;

	forward_url(&out, base, path, query);
	ok = strcmp(buf_cstr(&out), want) == 0;
	if (!ok)
		unit_diag("  got '%s', expected '%s'", buf_cstr(&out), want);
	buf_free(&out);
	return ok;
}

static void test_the_url_keeps_the_path_and_query(void)
{
	CHECK(url_is("http://127.0.0.1:9", "/v1/topics", NULL, "http://127.0.0.1:9/v1/topics"));
	CHECK(url_is("http://h:9", "/v1/topics/t.1/configs", "validate_only=true",
		     "http://h:9/v1/topics/t.1/configs?validate_only=true"));
	/* The server decoded the path: each segment is encoded again. */
	CHECK(url_is("http://h:9", "/v1/topics/a b?/partitions", "",
		     "http://h:9/v1/topics/a%20b%3F/partitions"));
	CHECK(url_is("http://h:9", "/v1/topics/", NULL, "http://h:9/v1/topics/"));
}

static void test_query_arguments_are_encoded(void)
{
	struct buf q = BUF_INIT;

	forward_query_add(&q, "if_exists", "true");
	forward_query_add(&q, "flag", NULL);
	forward_query_add(&q, "k", "a&b=c");
	CHECK(strcmp(buf_cstr(&q), "if_exists=true&flag&k=a%26b%3Dc") == 0);
	buf_free(&q);
}

static void test_not_controller_is_told_apart(void)
{
	struct buf b = BUF_INIT;

	buf_adds(&b, "{\"error\":{\"code\":\"NOT_CONTROLLER\",\"message\":\"x\"}}");
	CHECK(forward_not_controller(503, &b));
	CHECK(!forward_not_controller(200, &b));
	buf_reset(&b);
	buf_adds(&b, "{\"error\":{\"code\":\"LEADER_NOT_AVAILABLE\",\"message\":\"x\"}}");
	CHECK(!forward_not_controller(503, &b));
	buf_reset(&b);
	buf_adds(&b, "<html>busy</html>");
	CHECK(!forward_not_controller(503, &b));
	buf_free(&b);
}

/* ---- a server that records one request per connection ---- */

struct server {
	int fd, port;
	const char *answer;     /* the whole HTTP answer; NULL: never answer */
	pthread_t thread;
	pthread_mutex_t lock;
	char seen[4096];        /* the last request, as it came */
	int requests;
	int held[8], nheld;     /* connections left unanswered */
};

/* Read a request: headers, then Content-Length bytes. */
static size_t read_request(int c, char *out, size_t cap)
{
	size_t n = 0;
	const char *end = NULL;
	long body = 0;

	while (n + 1 < cap) {
		ssize_t k = read(c, out + n, cap - n - 1);
		if (k <= 0)
			break;
		n += (size_t)k;
		out[n] = '\0';
		if (!end && (end = strstr(out, "\r\n\r\n"))) {
			const char *cl = strcasestr(out, "Content-Length:");
			body = cl && cl < end ? strtol(cl + 15, NULL, 10) : 0;
		}
		if (end && (long)(n - (size_t)(end + 4 - out)) >= body)
			break;
	}
	return n;
}

static void *serve(void *arg)
{
	struct server *s = arg;
	char req[4096];
	int c;

	while ((c = accept(s->fd, NULL, NULL)) >= 0) {
		size_t n = read_request(c, req, sizeof(req));
		pthread_mutex_lock(&s->lock);
		memcpy(s->seen, req, n + 1 < sizeof(s->seen) ? n + 1 : sizeof(s->seen));
		s->seen[sizeof(s->seen) - 1] = '\0';
		s->requests++;
		pthread_mutex_unlock(&s->lock);
		if (!s->answer && s->nheld < 8) {
			s->held[s->nheld++] = c;
			continue;
		}
		if (s->answer && write(c, s->answer, strlen(s->answer)) < 0)
			unit_diag("  the test server could not answer");
		close(c);
	}
	return NULL;
}

static int server_start(struct server *s, const char *answer)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);

	memset(s, 0, sizeof(*s));
	s->answer = answer;
	pthread_mutex_init(&s->lock, NULL);
	s->fd = socket(AF_INET, SOCK_STREAM, 0);
	if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&a, sizeof(a)) || listen(s->fd, 8) ||
	    getsockname(s->fd, (struct sockaddr *)&a, &len))
		return -1;
	s->port = ntohs(a.sin_port);
	return pthread_create(&s->thread, NULL, serve, s);
}

static void server_stop(struct server *s)
{
	shutdown(s->fd, SHUT_RDWR);
	pthread_join(s->thread, NULL);
	close(s->fd);
	for (int i = 0; i < s->nheld; i++)
		close(s->held[i]);
	pthread_mutex_destroy(&s->lock);
}

static void server_url(const struct server *s, char *out, size_t size)
{
	snprintf(out, size, "http://127.0.0.1:%d", s->port);
}

/* A port nobody listens on: bound, then closed. */
static int dead_port(void)
{
	struct server s;
	int port;

	if (server_start(&s, "") < 0)
		return 1;
	port = s.port;
	server_stop(&s);
	return port;
}

/* ---- the forwarder ---- */

/* What done was told, and when. */
struct outcome {
	sem_t done;
	int rc;
	long status;
	char target[FORWARD_URL_MAX];
	char content_type[64];
	char body[512];
};

static void on_done(void *arg, struct forward_result *res)
{
	struct outcome *o = arg;

	o->rc = res->rc;
	o->status = res->status;
	snprintf(o->target, sizeof(o->target), "%s", res->target);
	snprintf(o->content_type, sizeof(o->content_type), "%s", res->content_type);
	snprintf(o->body, sizeof(o->body), "%s", buf_cstr(&res->body));
	sem_post(&o->done);
}

static int done_within(struct outcome *o, int64_t ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)(ms / 1000 + 1);
	return sem_timedwait(&o->done, &ts) == 0;
}

#define CREATED                                                                      \
	"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 13\r\n" \
	"Connection: close\r\n\r\n{\"made\":true}"
#define NOT_CONTROLLER                                                                 \
	"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"           \
	"Content-Length: 50\r\nConnection: close\r\n\r\n"                                  \
	"{\"error\":{\"code\":\"NOT_CONTROLLER\",\"message\":\"no\"}}"
#define INVALID                                                                        \
	"HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n"                   \
	"Content-Length: 51\r\nConnection: close\r\n\r\n"                                  \
	"{\"error\":{\"code\":\"INVALID_CONFIG\",\"message\":\"bad\"}}"

/* Forward a PATCH with a JSON body to targets; 1 when done came. */
static int forward_to(struct forwarder *fw, const char *const *targets, size_t n, int64_t ms,
		      struct outcome *o)
{
	static const char body[] = "{\"retention.ms\":\"1d\"}";
	struct forward_request rq = { .method = "PATCH", .path = "/v1/topics/t/configs",
				      .query = "validate_only=true",
				      .content_type = "application/json", .body = body,
				      .len = sizeof(body) - 1 };

	memset(o, 0, sizeof(*o));
	sem_init(&o->done, 0, 0);
	rq.deadline_ms = clock_mono_ms() + ms;
	for (size_t i = 0; i < n; i++)
		rq.targets[rq.ntargets++] = targets[i];
	forward_submit(fw, &rq, on_done, o);
	return done_within(o, ms);
}

static void test_a_request_goes_as_it_came_and_its_answer_comes_back(void)
{
	struct forwarder *fw = forwarder_start(NULL);
	struct server s;
	struct outcome o;
	char url[64];
	const char *t[1] = { url };

	REQUIRE(fw);
	REQUIRE(server_start(&s, CREATED) == 0);
	server_url(&s, url, sizeof(url));
	REQUIRE(forward_to(fw, t, 1, 5000, &o));
	CHECK_EQ(o.rc, 0);
	CHECK_EQ(o.status, 201);
	CHECK(strcmp(o.body, "{\"made\":true}") == 0);
	CHECK(strcmp(o.content_type, "application/json") == 0);
	CHECK(strcmp(o.target, url) == 0);
	pthread_mutex_lock(&s.lock);
	CHECK(strncmp(s.seen, "PATCH /v1/topics/t/configs?validate_only=true HTTP/1.1\r\n", 56) == 0);
	CHECK(strstr(s.seen, "\r\nSlog-Forwarded: 1\r\n") != NULL);
	CHECK(strstr(s.seen, "\r\nContent-Type: application/json\r\n") != NULL);
	CHECK(strstr(s.seen, "\r\n\r\n{\"retention.ms\":\"1d\"}") != NULL);
	pthread_mutex_unlock(&s.lock);
	/* An error answer is relayed as it is, too. */
	server_stop(&s);
	REQUIRE(server_start(&s, INVALID) == 0);
	server_url(&s, url, sizeof(url));
	REQUIRE(forward_to(fw, t, 1, 5000, &o));
	CHECK_EQ(o.rc, 0);
	CHECK_EQ(o.status, 400);
	CHECK(strstr(o.body, "INVALID_CONFIG") != NULL);
	server_stop(&s);
	forwarder_stop(fw);
}

static void test_a_node_that_is_not_the_controller_passes_it_on(void)
{
	struct forwarder *fw = forwarder_start(NULL);
	struct server a, b;
	struct outcome o;
	char ua[64], ub[64], dead[64];
	const char *t[3] = { dead, ua, ub };

	REQUIRE(fw);
	snprintf(dead, sizeof(dead), "http://127.0.0.1:%d", dead_port());
	REQUIRE(server_start(&a, NOT_CONTROLLER) == 0);
	REQUIRE(server_start(&b, CREATED) == 0);
	server_url(&a, ua, sizeof(ua));
	server_url(&b, ub, sizeof(ub));
	REQUIRE(forward_to(fw, t, 3, 5000, &o));
	CHECK_EQ(o.rc, 0);
	CHECK_EQ(o.status, 201);
	CHECK(strcmp(o.target, ub) == 0);
	CHECK_EQ(a.requests, 1);
	/* When none is the controller, the last answer is the answer. */
	REQUIRE(forward_to(fw, t, 2, 5000, &o));
	CHECK_EQ(o.rc, 0);
	CHECK_EQ(o.status, 503);
	CHECK(strstr(o.body, "NOT_CONTROLLER") != NULL);
	/* And when none can be reached, the reason. */
	REQUIRE(forward_to(fw, t, 1, 5000, &o));
	CHECK_EQ(o.rc, SLOG_ENETWORK);
	CHECK(strcmp(o.target, dead) == 0);
	/* No target at all: nobody to ask. */
	REQUIRE(forward_to(fw, t, 0, 5000, &o));
	CHECK_EQ(o.rc, SLOG_ENOT_CONTROLLER);
	server_stop(&a);
	server_stop(&b);
	forwarder_stop(fw);
}

static void test_a_silent_controller_is_cut_off_at_the_deadline(void)
{
	struct forwarder *fw = forwarder_start(NULL);
	struct server s;
	struct outcome o;
	char url[64];
	const char *t[1] = { url };
	int64_t start = clock_mono_ms();

	REQUIRE(fw);
	REQUIRE(server_start(&s, NULL) == 0);
	server_url(&s, url, sizeof(url));
	REQUIRE(forward_to(fw, t, 1, 300, &o));
	CHECK_EQ(o.rc, SLOG_EREQUEST_TIMED_OUT);
	CHECK(clock_mono_ms() - start < 2000);
	forwarder_stop(fw);
	server_stop(&s);
}

static void test_stopping_finishes_what_is_in_flight(void)
{
	struct forwarder *fw = forwarder_start(NULL);
	struct server s;
	struct outcome o;
	char url[64];
	struct forward_request rq = { .method = "DELETE", .path = "/v1/topics/t" };

	REQUIRE(fw);
	REQUIRE(server_start(&s, NULL) == 0);
	server_url(&s, url, sizeof(url));
	memset(&o, 0, sizeof(o));
	sem_init(&o.done, 0, 0);
	rq.targets[rq.ntargets++] = url;
	rq.deadline_ms = clock_mono_ms() + 60000;
	forward_submit(fw, &rq, on_done, &o);
	for (int i = 0; i < 500 && !s.requests; i++)
		usleep(10000);
	CHECK_EQ(s.requests, 1);
	forwarder_stop(fw);
	REQUIRE(done_within(&o, 0));
	CHECK_EQ(o.rc, SLOG_ELEADER_NOT_AVAILABLE);
	server_stop(&s);
}

int main(void)
{
	log_set_level(LOG_LEVEL_ERROR);
	unit_run("the URL keeps the path and the query", test_the_url_keeps_the_path_and_query);
	unit_run("query arguments are encoded", test_query_arguments_are_encoded);
	unit_run("NOT_CONTROLLER is told apart from other answers", test_not_controller_is_told_apart);
	unit_run("a request goes as it came and its answer comes back",
		 test_a_request_goes_as_it_came_and_its_answer_comes_back);
	unit_run("a node that is not the controller passes it on",
		 test_a_node_that_is_not_the_controller_passes_it_on);
	unit_run("a silent controller is cut off at the deadline",
		 test_a_silent_controller_is_cut_off_at_the_deadline);
	unit_run("stopping finishes what is in flight", test_stopping_finishes_what_is_in_flight);
	return unit_done();
}
