/*
 * fuzz_offsets.c: libFuzzer target for the records of __consumer_offsets,
 * which every coordinator reads back from its disk (offsets_record.h).
 *
 * The input is a record: its key up to the first newline, its value
 * after it; without a newline the value is null (a tombstone).  What
 * decodes must fit the coordinator's fields, and encoded again (as
 * offsets_store_append() writes it) must decode to the same commit.
 */
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "groups/offsets_record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void check_again(const struct offsets_record *or, enum offsets_record_kind kind)
{
	struct offsets_record back;
	struct record r;

	if (offsets_record_encode(or->group, &or->o, kind == OFFSETS_RECORD_TOMBSTONE, &r) != 0)
		return; /* a string the writer refuses: never written */
	FUZZ_CHECK(offsets_record_decode(&r, &back) == kind);
	FUZZ_CHECK(strcmp(back.group, or->group) == 0);
	FUZZ_CHECK(strcmp(back.o.tp.topic, or->o.tp.topic) == 0);
	FUZZ_CHECK(back.o.tp.partition == or->o.tp.partition);
	if (kind == OFFSETS_RECORD_COMMIT) {
		FUZZ_CHECK(back.o.offset == or->o.offset && back.o.commit_ms == or->o.commit_ms);
		FUZZ_CHECK(same_str(back.o.metadata, or->o.metadata));
	}
	offsets_record_clear(&back);
	offsets_record_free_text(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	struct record r = { .key = data, .key_len = (int32_t)(nl ? nl - data : (long)size) };
	struct offsets_record or;
	enum offsets_record_kind kind;

	if (size > INT32_MAX)
		return 0;
	if (nl) {
		r.value = nl + 1;
		r.value_len = (int32_t)(size - (size_t)(nl - data) - 1);
	} else {
		r.value_len = -1;
	}
	kind = offsets_record_decode(&r, &or);
	if (kind != OFFSETS_RECORD_SKIP) {
		FUZZ_CHECK(strlen(or.group) <= GC_GROUP_MAX);
		FUZZ_CHECK(or.o.tp.partition >= 0);
		FUZZ_CHECK(kind != OFFSETS_RECORD_COMMIT || or.o.offset >= 0);
		check_again(&or, kind);
	}
	offsets_record_clear(&or);
	return 0;
}
