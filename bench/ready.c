/*
 * bench/ready.c: how long a server takes to accept connections.
 *
 *   ready COMMAND [ARG...]
 *
 * Picks a free loopback port, replaces "{port}" in the arguments with it,
 * starts COMMAND (its output to /dev/null) and connects to the port every
 * 100 µs until it accepts, for at most 10 s.  Prints "pid port ms" and
 * exits, leaving the server running for the caller to use and to stop by
 * its pid.  The time is from fork to the first accepted connection.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "xalloc.h"

static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

static int accepts(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), ok;

	if (fd < 0)
		return 0;
	ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

int main(int argc, char **argv)
{
	char portstr[16], **args;
	int port = free_port();
	int64_t t0;
	pid_t pid;

	if (argc < 2) {
		fprintf(stderr, "usage: ready COMMAND [ARG...]\n");
		return 2;
	}
	if (port < 0) {
		perror("ready: no free port");
		return 1;
	}
	snprintf(portstr, sizeof(portstr), "%d", port);
	args = xcalloc((size_t)argc, sizeof(*args));
	for (int i = 1; i < argc; i++) {
		char *at = strstr(argv[i], "{port}");
		if (at) {
			size_t n = strlen(argv[i]) + sizeof(portstr);
			args[i - 1] = xmalloc(n);
			snprintf(args[i - 1], n, "%.*s%s%s", (int)(at - argv[i]), argv[i], portstr,
				 at + 6);
		} else {
			args[i - 1] = argv[i];
		}
	}
	t0 = clock_mono_ns();
	pid = fork();
	if (pid < 0) {
		perror("ready: fork");
		return 1;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(null, 1);
		dup2(null, 2);
		setsid(); /* not in the caller's process group: it stops the server by pid */
		execvp(args[0], args);
		_exit(127);
	}
	while (!accepts(port)) {
		if (clock_mono_ns() - t0 > 10 * 1000000000LL) {
			fprintf(stderr, "ready: %s did not accept on port %d within 10 s\n", args[0],
				port);
			kill(pid, SIGTERM);
			return 1;
		}
		usleep(100);
	}
	printf("%d %d %.2f\n", (int)pid, port, (double)(clock_mono_ns() - t0) / 1e6);
	return 0;
}
