#!/usr/bin/env bats
# Log compaction: the newest record of each key survives, readers never
# miss it while the cleaner works, tombstones go after
# delete.retention.ms, a crash mid-clean leaves a consistent log, and
# __consumer_offsets stays small.

load helpers

READER_PID=

setup() {
	start_broker --set log.cleaner.backoff.ms=50ms
}

teardown() {
	[ -n "$READER_PID" ] && kill "$READER_PID" 2>/dev/null && wait "$READER_PID" 2>/dev/null
	teardown_brokers
}

# 1,000 keys written 100 times each: k<N> = r<round>.
write_rounds() {
	awk 'BEGIN { for (r = 1; r <= 100; r++) for (k = 1; k <= 1000; k++) print "k" k ":r" r }' |
		slog-produce -t c -K:
}

# Enough other records to roll the active segment (64 KiB), so that
# what came before can be cleaned.
roll() {
	seq 1 3000 | awk -v t="$RANDOM" '{ print "filler" $1 ":" t "-" $1 "-0123456789" }' |
		slog-produce -t c -K:
}

offsets_smaller_than() {
	[ "$(slog-topics describe __consumer_offsets --json | jq '.topics[0].partitions[0].size_bytes')" -lt "$1" ]
}

# Is topic c's partition 0 smaller than $1 bytes on disk?
size_below() {
	[ "$(slog-topics describe c --json | jq '.topics[0].partitions[0].size_bytes')" -lt "$1" ]
}

# The records of the k keys, "key value" (value "NULL" for a tombstone).
keyed() {
	slog-consume -t c -e -Z -f '%k %s\n' 2>/dev/null | grep '^k'
}

passes_over() {
	[ "$(count_lines "$BATS_TEST_TMPDIR/reader-passes")" -gt "$1" ]
}

# After more writes, are there n keyed records?  (Writes make a clean due.)
roll_until_keys() {
	roll
	key_count_is "$1"
}

key_count_is() {
	[ "$(keyed | wc -l)" -eq "$1" ]
}

@test "compaction keeps exactly the last value of each key; readers never miss it" {
	slog-topics create c -c cleanup.policy=compact -c segment.bytes=64KiB \
		-c min.cleanable.dirty.ratio=0.01
	write_rounds
	# Readers go through the log again and again while it is cleaned:
	# each must see r100 as the last value of every key.
	(
		while :; do
			slog-consume -t c -e -f '%k %s\n' 2>/dev/null | grep '^k' |
				awk '{ last[$1] = $2 } END { n = 0; for (k in last) { n++; if (last[k] != "r100") bad++ }
				     if (n != 1000 || bad) print "pass saw " n " keys, " bad + 0 " stale" }' \
				>>"$BATS_TEST_TMPDIR/reader-errors"
			echo pass >>"$BATS_TEST_TMPDIR/reader-passes"
		done
	) 3>&- &
	READER_PID=$!
	roll
	wait_for 400 key_count_is 1000
	# A few more passes of the reader after the clean, too.
	passes=$(count_lines "$BATS_TEST_TMPDIR/reader-passes")
	wait_for 400 passes_over "$((passes + 2))"
	kill "$READER_PID"
	wait "$READER_PID" 2>/dev/null || true
	READER_PID=
	[ ! -s "$BATS_TEST_TMPDIR/reader-errors" ] || { cat "$BATS_TEST_TMPDIR/reader-errors"; false; }
	run keyed
	assert_output "$(seq 1 1000 | awk '{ print "k" $1 " r100" }')"
	# Offsets were kept: the survivors are the last 1,000 of the 100,000.
	run bash -c "slog-consume -t c -e -f '%k %o\n' 2>/dev/null | grep '^k' | sort -k2n | head -1"
	assert_output 'k1 99000'
	# 100,000 records (about 1.2 MB as written) became 1,000, plus the
	# fillers that rolled the segment.  The size right after writing is no
	# measure: the cleaner may already have run by then.  Nor is the size
	# when the keys are down to 1,000: the cleaned segments replace the
	# old ones, and the old files go, a moment later on a loaded machine.
	wait_for 400 size_below 300000
	wait_for 400 grep -q 'compacted' "$BROKER_DIR/broker.log"
}

@test "tombstones delete keys, and go themselves after delete.retention.ms" {
	slog-topics create c -c cleanup.policy=compact -c segment.bytes=64KiB \
		-c min.cleanable.dirty.ratio=0.01 -c delete.retention.ms=3s
	write_rounds
	seq 1 100 | awk '{ print "k" $1 ":" }' | slog-produce -t c -K: -Z
	roll
	# Cleaned once: the deleted keys are tombstones, kept for now.
	wait_for 400 key_count_is 1000
	run keyed
	[ "$(grep -c ' NULL$' <<<"$output")" -eq 100 ]
	[ "$(grep -c ' r100$' <<<"$output")" -eq 900 ]
	# Past delete.retention.ms the next clean drops them (new writes make it due).
	wait_for 100 roll_until_keys 900
	run keyed
	refute_output --partial NULL
	assert_output "$(seq 101 1000 | awk '{ print "k" $1 " r100" }')"
}

@test "keyless records are refused on a compacted topic" {
	slog-topics create c -c cleanup.policy=compact
	run --separate-stderr slog-produce -t c <<<'no key'
	assert_failure 1
	assert_stderr_has 'needs a key'
}

@test "a broker killed while it cleans restarts with a consistent log" {
	stop_broker
	# A slow cleaner, to be caught in the act.
	start_broker --set log.cleaner.backoff.ms=50ms --set log.cleaner.io.max.bytes.per.second=512KiB
	slog-topics create c -c cleanup.policy=compact -c segment.bytes=64KiB \
		-c min.cleanable.dirty.ratio=0.01
	write_rounds
	roll
	wait_for 400 bash -c "ls '$BROKER_DIR'/data/c-0/ | grep -q '\\.cleaned\$'"
	kill -KILL "$BROKER_PID"
	wait "$BROKER_PID" 2>/dev/null || true
	# Recovered with the cleaner off: nothing half-made is left.
	start_broker --set log.cleaner.enable=false
	run ls "$BROKER_DIR/data/c-0"
	refute_output --regexp '\.(cleaned|swap|deleted)$'
	# Every key's newest value is there (older ones may be too), in offset order.
	run bash -c "slog-consume -t c -e -f '%o %k %s\n' 2>/dev/null"
	sort -n -c <<<"$output"
	[ "$(grep ' k' <<<"$output" | awk '{ last[$2] = $3 } END { for (k in last) if (last[k] == "r100") n++; print n }')" -eq 1000 ]
	# And the cleaner finishes the job after the next start.
	stop_broker
	start_broker --set log.cleaner.backoff.ms=50ms
	roll
	wait_for 400 key_count_is 1000
	run keyed
	assert_output "$(seq 1 1000 | awk '{ print "k" $1 " r100" }')"
}

@test "__consumer_offsets stays small under constant commits" {
	stop_broker
	start_broker --set log.cleaner.backoff.ms=50ms --set offsets.topic.num.partitions=1 \
		--set offsets.topic.segment.bytes=64KiB
	slog-topics create t
	for i in $(seq 1 3000); do
		[ "$i" -gt 1 ] && echo next
		printf 'url = "%s/v1/groups/g/offsets"\nheader = "Content-Type: application/json"\ndata = "{\\"offsets\\":[{\\"topic\\":\\"t\\",\\"partition\\":0,\\"offset\\":%d}]}"\n' \
			"$BROKER_URL" "$i"
	done >"$BATS_TEST_TMPDIR/commits"
	curl -sf -K "$BATS_TEST_TMPDIR/commits" >/dev/null
	# 3,000 commits of ~120 bytes would be ~360 KB; compacted, the active
	# segment (at most 64 KiB) and a small cleaned one.
	wait_for 400 offsets_smaller_than 131072
	run slog-groups describe g --json
	[ "$(jq '.groups[0].partitions[0].offset' <<<"$output")" -eq 3000 ]
	restart_broker --set offsets.topic.num.partitions=1
	run slog-groups describe g --json
	[ "$(jq '.groups[0].partitions[0].offset' <<<"$output")" -eq 3000 ]
}
