/*
 * sd_notify.h: tell systemd (Type=notify) that a server is ready or
 * stopping, without linking libsystemd: one datagram to $NOTIFY_SOCKET.
 * A no-op when the variable is unset.
 */
#ifndef SLOG_SD_NOTIFY_H
#define SLOG_SD_NOTIFY_H

/* Send state ("READY=1", "STOPPING=1", "STATUS=..."); 0 or -1. */
int sd_notify_send(const char *state);

#endif
