/* tests/tool/lossyfs_ctl.c: the control socket, server and client.
 *
 * One connection carries one command, so the client needs no framing
 * beyond a newline and the server never waits on a slow client for
 * longer than a read timeout.
 */
#include "lossyfs_ctl.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#define CTL_LINE 256
#define CTL_REPLY 1024

struct ctl_server {
	int fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	ctl_handler *handle;
	pthread_t thread;
};

static int ctl_address(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sa->sun_path, path, strlen(path) + 1);
	return 0;
}

/* Read one line (up to CTL_LINE - 1 bytes, the newline dropped). */
static int read_line(int fd, char *line, size_t size)
{
	size_t n = 0;

	while (n + 1 < size) {
		ssize_t r = read(fd, line + n, size - 1 - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
		if (memchr(line, '\n', n))
			break;
	}
	line[n] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	return n > 0 ? 0 : -1;
}

static void write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		len -= (size_t)w;
	}
}

static void serve_one(struct ctl_server *s, int c)
{
	struct timeval tv = { .tv_sec = 5 };
	char line[CTL_LINE], reply[CTL_REPLY];

	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (read_line(c, line, sizeof(line)) != 0)
		return;
	s->handle(line, reply, sizeof(reply) - 1);
	reply[strcspn(reply, "\n")] = '\0';
	write_all(c, reply, strlen(reply));
	write_all(c, "\n", 1);
}

static void *serve(void *arg)
{
	struct ctl_server *s = arg;

	for (;;) {
		int c = accept(s->fd, NULL, NULL);

		if (c < 0 && (errno == EINTR || errno == ECONNABORTED))
			continue;
		if (c < 0)
			return NULL; /* shut down by ctl_stop */
		serve_one(s, c);
		close(c);
	}
}

struct ctl_server *ctl_start(const char *path, ctl_handler *handle)
{
	struct ctl_server *s = calloc(1, sizeof(*s));
	struct sockaddr_un sa;

	if (!s)
		return NULL;
	s->handle = handle;
	if (ctl_address(path, &sa) != 0)
		goto fail;
	memcpy(s->path, sa.sun_path, sizeof(s->path));
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		goto fail;
	unlink(path);
	if (bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(s->fd, 8) != 0 ||
	    (errno = pthread_create(&s->thread, NULL, serve, s)) != 0) {
		close(s->fd);
		goto fail;
	}
	return s;
fail:
	free(s);
	return NULL;
}

void ctl_stop(struct ctl_server *s)
{
	if (!s)
		return;
	shutdown(s->fd, SHUT_RDWR);
	pthread_join(s->thread, NULL);
	close(s->fd);
	unlink(s->path);
	free(s);
}

int ctl_client(const char *path, int argc, char **argv)
{
	char line[CTL_LINE] = "", reply[CTL_REPLY];
	struct sockaddr_un sa;
	size_t n = 0;
	int fd, i;

	for (i = 0; i < argc; i++) {
		int w = snprintf(line + n, sizeof(line) - n, "%s%s", i ? " " : "", argv[i]);

		if (w < 0 || (size_t)w >= sizeof(line) - n - 1) {
			fprintf(stderr, "lossyfs: command too long\n");
			return 2;
		}
		n += (size_t)w;
	}
	line[n++] = '\n';
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || ctl_address(path, &sa) != 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		fprintf(stderr, "lossyfs: cannot reach '%s': %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 2;
	}
	write_all(fd, line, n);
	if (read_line(fd, reply, sizeof(reply)) != 0) {
		fprintf(stderr, "lossyfs: no answer from '%s'\n", path);
		close(fd);
		return 2;
	}
	close(fd);
	printf("%s\n", reply);
	return strncmp(reply, "ok", 2) == 0 ? 0 : 1;
}
