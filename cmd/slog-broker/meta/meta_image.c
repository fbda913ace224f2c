/*
 * meta_image.c: one node's committed metadata.  See meta_image.h.
 *
 * Every change to the image goes the same way, on a voter (the quorum's
 * apply) and on an observer (what it fetched): the entry is decoded and
 * each of its records checked readable first, and only then, under the
 * lock, applied record by record, the offset advanced by its count and
 * the entry kept in the ring.  So an entry this node cannot read changes
 * nothing, and one it can read changes the image exactly as on every
 * other node, skipped records included.
 *
 * The ring keeps the entries' text, not their parsed records: it is what
 * followers are sent, rarely, while every entry passes through it.  The
 * lock is a leaf: nothing else is taken under it, and on_change runs
 * after it is released.
 */
#include "meta/meta_image.h"

#include <stdlib.h>
#include <string.h>

#include "cluster/quorum.h"
#include "log.h"
#include "xalloc.h"

/* The version of entries and snapshots this node writes and reads. */
#define META_IMAGE_VERSION 1

#define unreadable(e, ...) err_set((e), SLOG_ECORRUPT_MESSAGE, __VA_ARGS__)

void meta_image_init(struct meta_image *img, size_t ring_entries, int32_t v0_node)
{
	memset(img, 0, sizeof(*img));
	pthread_mutex_init(&img->lock, NULL);
	meta_state_init(&img->state);
	img->state.v0_node = v0_node;
	atomic_store(&img->offset, 0);
	img->cap = ring_entries > 0 ? ring_entries : 1;
	img->ring = xcalloc(img->cap, sizeof(*img->ring));
}

static struct meta_image_entry *ring_at(const struct meta_image *img, size_t i)
{
	return &img->ring[(img->head + i) % img->cap];
}

/* Empty the ring; it starts again at the image's offset. */
static void ring_clear(struct meta_image *img)
{
	for (size_t i = 0; i < img->n; i++)
		free(ring_at(img, i)->text);
	img->head = img->n = 0;
	img->ring_start = atomic_load(&img->offset);
}

/* Keep an entry (text taken), evicting the oldest when full. */
static void ring_push(struct meta_image *img, int64_t offset, int32_t count, char *text,
		      size_t len)
{
	struct meta_image_entry *slot;

	if (img->n == img->cap) {
		free(img->ring[img->head].text);
		img->head = (img->head + 1) % img->cap;
		img->n--;
	}
	slot = ring_at(img, img->n++);
	slot->offset = offset;
	slot->count = count;
	slot->text = text;
	slot->len = len;
	img->ring_start = ring_at(img, 0)->offset;
}

void meta_image_free(struct meta_image *img)
{
	if (!img->ring)
		return;
	ring_clear(img);
	free(img->ring);
	img->ring = NULL;
	meta_state_free(&img->state);
	pthread_mutex_destroy(&img->lock);
}

char *meta_entry_encode(json_t *records, size_t *len)
{
	json_t *entry;
	char *text;

	*len = 0;
	if (!json_is_array(records))
		return NULL;
	entry = json_pack("{s:i, s:O}", "v", META_IMAGE_VERSION, "records", records);
	text = entry ? json_dumps(entry, JSON_COMPACT) : NULL;
	json_decref(entry);
	if (!text) {
		/* Only memory can fail here; xalloc.h says why that is fatal. */
		log_error("metadata entry: out of memory");
		abort();
	}
	*len = strlen(text);
	return text;
}

/* The version of an entry or a snapshot: this node's, or unreadable. */
static int check_version(json_t *obj, const char *what, struct err *e)
{
	json_t *v = json_object_get(obj, "v");

	if (!json_is_object(obj))
		return unreadable(e, "metadata %s is not a JSON object", what);
	if (!json_is_integer(v) || json_integer_value(v) < 1)
		return unreadable(e, "metadata %s without a version", what);
	if (json_integer_value(v) > META_IMAGE_VERSION)
		return unreadable(e, "metadata %s of version %lld, newer than version %d that this "
				     "node reads: upgrade this node", what,
				  (long long)json_integer_value(v), META_IMAGE_VERSION);
	return 0;
}

/* Every record of an entry readable, and their count within an offset. */
static int check_records(json_t *records, struct err *e)
{
	json_t *rec;
	size_t i;

	if (!json_is_array(records))
		return unreadable(e, "metadata entry without records");
	if (json_array_size(records) > INT32_MAX)
		return unreadable(e, "metadata entry of %zu records", json_array_size(records));
	json_array_foreach(records, i, rec) {
		int rc = meta_record_check(rec, e);
		if (rc) {
			err_wrap(e, "metadata entry, record %zu", i);
			return rc;
		}
	}
	return 0;
}

/* An entry's bytes as its records (a new reference to the entry). */
static int entry_decode(const void *data, size_t len, json_t **entry, struct err *e)
{
	json_error_t je;
	json_t *root = json_loadb(data, len, 0, &je);
	int rc;

	if (!root)
		return unreadable(e, "metadata entry is not JSON: %s", je.text);
	rc = check_version(root, "entry", e);
	if (!rc)
		rc = check_records(json_object_get(root, "records"), e);
	if (rc) {
		json_decref(root);
		return rc;
	}
	*entry = root;
	return 0;
}

/*
 * Apply checked records (borrowed) at the image's offset, under the lock;
 * keep text (taken) in the ring.  The code of the first record that did
 * not fit, or 0.
 */
static int apply_locked(struct meta_image *img, json_t *records, char *text, size_t len)
{
	int64_t at = atomic_load(&img->offset);
	size_t count = json_array_size(records);
	int status = 0;
	json_t *rec;
	size_t i;

	json_array_foreach(records, i, rec) {
		struct err why;
		int rc = meta_state_apply(&img->state, rec, &why);
		if (rc) {
			log_warn("metadata record at offset %lld does not apply, skipped: %s",
				 (long long)(at + (int64_t)i), why.msg);
			if (!status)
				status = rc;
		}
	}
	if (count == 0) {
		free(text); /* nothing a follower needs */
		return status;
	}
	atomic_store(&img->offset, at + (int64_t)count);
	ring_push(img, at, (int32_t)count, text, len);
	return status;
}

static void changed(struct meta_image *img)
{
	if (img->on_change)
		img->on_change(img->change_arg);
}

int meta_image_apply(struct meta_image *img, const void *data, size_t len, int *status,
		     struct err *e)
{
	json_t *entry;
	char *text;
	int ignored, rc = entry_decode(data, len, &entry, e);

	if (rc)
		return rc;
	if (!status)
		status = &ignored;
	text = xmalloc(len + 1);
	memcpy(text, data, len);
	text[len] = '\0';
	pthread_mutex_lock(&img->lock);
	*status = apply_locked(img, json_object_get(entry, "records"), text, len);
	pthread_mutex_unlock(&img->lock);
	json_decref(entry);
	changed(img);
	return 0;
}

/* {"v":1,"offset":N,"state":...} of the image, under the lock. */
static json_t *snapshot_locked(struct meta_image *img)
{
	return json_pack("{s:i, s:I, s:o}", "v", META_IMAGE_VERSION, "offset",
			 (json_int_t)atomic_load(&img->offset), "state",
			 meta_state_encode(&img->state));
}

int meta_image_snapshot(struct meta_image *img, void **data, size_t *len, struct err *e)
{
	json_t *snap;
	char *text;

	pthread_mutex_lock(&img->lock);
	snap = snapshot_locked(img);
	pthread_mutex_unlock(&img->lock);
	text = json_dumps(snap, JSON_COMPACT);
	json_decref(snap);
	if (!text)
		return err_set(e, SLOG_ENOMEM, "metadata snapshot: out of memory");
	*data = text;
	*len = strlen(text);
	return 0;
}

/* Replace the image by a snapshot (borrowed), decoded whole first. */
static int restore_json(struct meta_image *img, json_t *snap, struct err *e)
{
	json_t *off = json_object_get(snap, "offset");
	struct meta_state s;
	int rc = check_version(snap, "snapshot", e);

	if (rc)
		return rc;
	if (!json_is_integer(off) || json_integer_value(off) < 0)
		return unreadable(e, "metadata snapshot without an offset");
	meta_state_init(&s);
	s.v0_node = img->state.v0_node;
	rc = meta_state_decode(&s, json_object_get(snap, "state"), e);
	if (rc)
		return rc;
	pthread_mutex_lock(&img->lock);
	meta_state_free(&img->state);
	img->state = s;
	atomic_store(&img->offset, (int64_t)json_integer_value(off));
	ring_clear(img);
	pthread_mutex_unlock(&img->lock);
	changed(img);
	return 0;
}

int meta_image_restore(struct meta_image *img, const void *data, size_t len, struct err *e)
{
	json_error_t je;
	json_t *snap = json_loadb(data, len, 0, &je);
	int rc;

	if (!snap)
		return unreadable(e, "metadata snapshot is not JSON: %s", je.text);
	rc = restore_json(img, snap, e);
	json_decref(snap);
	return rc;
}

/* The ring's index of the entry starting at offset, or -1. */
static long ring_find(const struct meta_image *img, int64_t offset)
{
	size_t lo = 0, hi = img->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int64_t o = ring_at(img, mid)->offset;
		if (o == offset)
			return (long)mid;
		if (o < offset)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* {"offset":o,"records":[...]} of a ring entry (parsed when applied). */
static json_t *entry_answer(const struct meta_image_entry *x)
{
	json_t *root = json_loadb(x->text, x->len, 0, NULL);
	json_t *out = json_pack("{s:I, s:O}", "offset", (json_int_t)x->offset, "records",
				json_object_get(root, "records"));

	json_decref(root);
	return out;
}

/* The entries from ring index i on, at most max of them. */
static json_t *entries_locked(struct meta_image *img, size_t i, size_t max)
{
	json_t *entries = json_array();

	for (; i < img->n && json_array_size(entries) < max; i++) {
		json_t *one = entry_answer(ring_at(img, i));
		if (one)
			json_array_append_new(entries, one);
	}
	return entries;
}

int meta_image_since(struct meta_image *img, int64_t after, size_t max_entries, json_t **out,
		     struct err *e)
{
	int64_t end;
	long at = 0;

	pthread_mutex_lock(&img->lock);
	end = atomic_load(&img->offset);
	if (after < 0 || after > end) {
		pthread_mutex_unlock(&img->lock);
		return err_set(e, SLOG_EOFFSET_OUT_OF_RANGE,
			       "metadata offset %lld is not in [0, %lld]", (long long)after,
			       (long long)end);
	}
	/* A follower between entries, or behind the ring, starts over. */
	if (after < end)
		at = ring_find(img, after);
	if (at < 0)
		*out = json_pack("{s:I, s:o}", "offset", (json_int_t)end, "snapshot",
				 snapshot_locked(img));
	else
		*out = json_pack("{s:I, s:o}", "offset", (json_int_t)end, "entries",
				 after < end ? entries_locked(img, (size_t)at,
							       max_entries ? max_entries : 1)
					     : json_array());
	pthread_mutex_unlock(&img->lock);
	return 0;
}

/*
 * A fetched entry: {"offset":o,"records":[...]} with readable records.
 * *records borrowed from entry.
 */
static int fetched_entry(json_t *entry, int64_t *offset, json_t **records, struct err *e)
{
	json_t *off = json_object_get(entry, "offset");

	if (!json_is_integer(off) || json_integer_value(off) < 0)
		return unreadable(e, "fetched metadata entry without an offset");
	*offset = (int64_t)json_integer_value(off);
	*records = json_object_get(entry, "records");
	return check_records(*records, e);
}

/*
 * The first of entries (borrowed, checked) that is new at offset end:
 * *first its index; every entry from there must follow the one before,
 * the first starting at end.
 */
static int fetched_check(json_t *entries, int64_t end, size_t *first, struct err *e)
{
	int64_t next = -1;
	size_t i;

	*first = json_array_size(entries);
	for (i = 0; i < json_array_size(entries); i++) {
		json_t *records = NULL;
		int64_t o = 0, after;
		int rc = fetched_entry(json_array_get(entries, i), &o, &records, e);
		if (rc) {
			err_wrap(e, "fetched metadata entry %zu", i);
			return rc;
		}
		after = o + (int64_t)json_array_size(records);
		if (next < 0 && after <= end)
			continue; /* had it already */
		if (o != (next < 0 ? end : next))
			return unreadable(e, "fetched metadata entry at offset %lld, where %lld was "
					     "next", (long long)o, (long long)(next < 0 ? end : next));
		if (next < 0)
			*first = i;
		next = after;
	}
	return 0;
}

static int apply_fetched_entries(struct meta_image *img, json_t *entries, struct err *e)
{
	size_t first;
	int rc;

	if (!json_is_array(entries))
		return unreadable(e, "fetched metadata answer without entries or a snapshot");
	pthread_mutex_lock(&img->lock);
	rc = fetched_check(entries, atomic_load(&img->offset), &first, e);
	for (size_t i = first; rc == 0 && i < json_array_size(entries); i++) {
		json_t *records = json_object_get(json_array_get(entries, i), "records");
		size_t len;
		char *text = meta_entry_encode(records, &len);
		apply_locked(img, records, text, len);
	}
	pthread_mutex_unlock(&img->lock);
	if (rc == 0 && first < json_array_size(entries))
		changed(img);
	return rc;
}

int meta_image_apply_fetched(struct meta_image *img, json_t *answer, struct err *e)
{
	json_t *snap = json_object_get(answer, "snapshot");
	json_t *off = json_object_get(snap, "offset");

	if (!snap)
		return apply_fetched_entries(img, json_object_get(answer, "entries"), e);
	/* Sent only to a follower the ring no longer serves: never behind it. */
	if (json_is_integer(off) && json_integer_value(off) < atomic_load(&img->offset))
		return unreadable(e, "fetched metadata snapshot at offset %lld is behind this "
				     "node's %lld", (long long)json_integer_value(off),
				  (long long)atomic_load(&img->offset));
	return restore_json(img, snap, e);
}

int meta_image_copy_state(struct meta_image *img, struct meta_state *out, int64_t *offset,
			  struct err *e)
{
	int rc;

	pthread_mutex_lock(&img->lock);
	rc = meta_state_copy(out, &img->state, e);
	*offset = atomic_load(&img->offset);
	pthread_mutex_unlock(&img->lock);
	return rc;
}

/* ---- the quorum's state machine ---- */

static int fsm_apply(void *arg, const void *data, size_t len, int *status)
{
	struct err e;
	int rc = meta_image_apply(arg, data, len, status, &e);

	if (rc)
		log_error("metadata quorum: %s", e.msg);
	return rc;
}

static int fsm_snapshot(void *arg, void **data, size_t *len)
{
	struct err e;
	int rc = meta_image_snapshot(arg, data, len, &e);

	if (rc)
		log_error("metadata quorum: %s", e.msg);
	return rc;
}

static int fsm_restore(void *arg, const void *data, size_t len)
{
	struct err e;
	int rc = meta_image_restore(arg, data, len, &e);

	if (rc)
		log_error("metadata quorum: restoring a snapshot: %s", e.msg);
	return rc;
}

void meta_image_fsm(struct meta_image *img, struct quorum_fsm *fsm)
{
	fsm->arg = img;
	fsm->apply = fsm_apply;
	fsm->snapshot = fsm_snapshot;
	fsm->restore = fsm_restore;
}
