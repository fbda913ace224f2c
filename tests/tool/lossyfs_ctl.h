/* tests/tool/lossyfs_ctl.h: lossyfs's control socket.
 *
 * A test drives a mounted lossyfs through a UNIX stream socket: one
 * command line per connection ("cut", "fsync-fail on", "stats", ...),
 * one answer line back, "ok ..." or "error ...".  The server runs one
 * thread of its own; the client is the same program run as
 * `lossyfs --ctl SOCKET COMMAND...`.
 */
#ifndef LOSSYFS_CTL_H
#define LOSSYFS_CTL_H

#include <stddef.h>

/* Answers one command line into reply (a NUL-terminated line). */
typedef void ctl_handler(const char *line, char *reply, size_t size);

struct ctl_server;

/* Listen on path (an old socket file there is replaced) and serve each
 * connection with handle, on a thread.  NULL on failure (errno set). */
struct ctl_server *ctl_start(const char *path, ctl_handler *handle);

/* Stop serving, join the thread, remove the socket file, free. */
void ctl_stop(struct ctl_server *s);

/* Send the words as one command to the server at path and print its
 * answer on stdout.  0 if it answered "ok", 1 if not, 2 if it could not
 * be reached. */
int ctl_client(const char *path, int argc, char **argv);

#endif
