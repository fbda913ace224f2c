/*
 * quorum_entry.c: entries as libraft takes them, and the adapter from
 * libraft's state machine calls to struct quorum_fsm.  See quorum.h.
 */
#include <raft.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/quorum.h"

/*
 * libraft takes only entries whose length is a multiple of 8, so an entry
 * is framed: a header of 8 bytes (the payload's length, little-endian
 * u32, and a u32 format number, 0), the payload, then zeros to a multiple
 * of 8.
 */
#define FRAME_HEADER 8

static size_t frame_size(size_t len)
{
	return (FRAME_HEADER + len + 7) & ~(size_t)7;
}

int quorum_entry_frame(const void *data, size_t len, struct raft_buffer *out)
{
	uint8_t *b;

	if (len > UINT32_MAX - 16)
		return -1;
	b = raft_malloc(frame_size(len));
	if (!b)
		return -1;
	memset(b, 0, frame_size(len));
	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t)(len >> (8 * i));
	memcpy(b + FRAME_HEADER, data, len);
	out->base = b;
	out->len = frame_size(len);
	return 0;
}

/* The payload of a framed entry; -1 when the frame is not one. */
static int unframe(const struct raft_buffer *buf, const void **data, size_t *len)
{
	const uint8_t *b = buf->base;
	uint32_t n = 0, format = 0;

	if (buf->len < FRAME_HEADER)
		return -1;
	for (int i = 0; i < 4; i++) {
		n |= (uint32_t)b[i] << (8 * i);
		format |= (uint32_t)b[4 + i] << (8 * i);
	}
	if (format != 0 || n > buf->len - FRAME_HEADER)
		return -1;
	*data = b + FRAME_HEADER;
	*len = n;
	return 0;
}

static int fsm_apply(struct raft_fsm *rf, const struct raft_buffer *buf, void **result)
{
	struct quorum_fsm *f = rf->data;
	const void *data;
	size_t len;
	int status = 0;
	int rc = unframe(buf, &data, &len) ? -1 : f->apply(f->arg, data, len, &status);

	/* The status travels in the pointer: raft neither reads nor frees it. */
	*result = (void *)(intptr_t)status;
	return rc ? RAFT_CORRUPT : 0;
}

static int fsm_snapshot(struct raft_fsm *rf, struct raft_buffer *bufs[], unsigned *n)
{
	struct quorum_fsm *f = rf->data;
	void *data;
	size_t len;
	struct raft_buffer *b;

	if (f->snapshot(f->arg, &data, &len))
		return RAFT_BUSY; /* skip this round; raft tries again later */
	b = raft_malloc(sizeof(*b));
	if (b)
		b->base = raft_malloc(len ? len : 1);
	if (!b || !b->base) {
		raft_free(b);
		free(data);
		return RAFT_NOMEM;
	}
	memcpy(b->base, data, len);
	b->len = len;
	free(data);
	*bufs = b;
	*n = 1;
	return 0;
}

static int fsm_restore(struct raft_fsm *rf, struct raft_buffer *buf)
{
	struct quorum_fsm *f = rf->data;

	if (f->restore(f->arg, buf->base, buf->len))
		return RAFT_CORRUPT;
	/* On success the state machine owns the buffer (raft's contract). */
	raft_free(buf->base);
	return 0;
}

void quorum_raft_fsm(struct raft_fsm *out, struct quorum_fsm *fsm)
{
	memset(out, 0, sizeof(*out));
	out->version = 1;
	out->data = fsm;
	out->apply = fsm_apply;
	out->snapshot = fsm_snapshot;
	out->restore = fsm_restore;
}

