#!/usr/bin/env bats
# Damaged data on disk: what the broker serves, keeps and cuts.

load helpers

# post_batch TOPIC VALUE...: one batch of VALUEs to partition 0 (acks=all).
post_batch() {
	local topic=$1
	shift
	"$SLOG_TEST_TOOL" batch "$@" >"$BATS_TEST_TMPDIR/post.batch"
	curl -sf -X POST "$BROKER_URL/v1/topics/$topic/partitions/0/records?acks=all" \
		-H 'Content-Type: application/x-slog-batch' --data-binary "@$BATS_TEST_TMPDIR/post.batch"
}

# flip_byte FILE POSITION: change one byte in place.
flip_byte() {
	local b
	b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	printf "\\x$(printf %02x $((b ^ 4)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# crash_restart: kill -9 and start again on the same data and port.
crash_restart() {
	kill -KILL "$BROKER_PID"
	wait "$BROKER_PID" || true
	BROKER_PORT_WANTED=$BROKER_PORT start_broker
}

@test "a fetch of a batch altered on disk answers CORRUPT_MESSAGE instead of its records" {
	start_broker
	slog-topics create t
	post_batch t a0 a1 a2 a3 a4
	post_batch t b0 b1 b2 b3 b4
	local seg=$BROKER_DIR/data/t-0/00000000000000000000.log size
	size=$(stat -c %s "$seg")
	# The last value byte of the second batch, under the running broker.
	flip_byte "$seg" $((size - 2))
	run curl -s -o "$BATS_TEST_TMPDIR/out" -w '%{http_code}' "$BROKER_URL/v1/topics/t/partitions/0/records?offset=5"
	assert_output 400
	[ "$(jq -r .error.code "$BATS_TEST_TMPDIR/out")" = CORRUPT_MESSAGE ]
	jq -r .error.message "$BATS_TEST_TMPDIR/out" | grep -q 'offsets 5-9'
	# What comes before it is still served; the damage is remembered.
	run --separate-stderr curl -sf "$BROKER_URL/v1/topics/t/partitions/0/records?offset=0"
	assert_success
	[ "${#lines[@]}" -eq 5 ]
	curl -sf "$BROKER_URL/metrics" | grep -q '^slog_partition_corrupt_ranges{topic="t",partition="0"} 1$'
}

@test "after a clean stop, a bad batch added to the tail is cut and a new append is not placed behind it" {
	start_broker
	slog-topics create t
	post_batch t a0 a1 a2 a3 a4
	post_batch t b0 b1 b2 b3 b4
	post_batch t c0 c1 c2 c3 c4
	stop_broker
	# A copy of the last batch at offset 15, one value byte flipped (bad CRC).
	local seg=$BROKER_DIR/data/t-0/00000000000000000000.log
	"$SLOG_TEST_TOOL" batch c0 c1 c2 c3 c4 >"$BATS_TEST_TMPDIR/bad"
	printf '\x00\x00\x00\x00\x00\x00\x00\x0f' | dd of="$BATS_TEST_TMPDIR/bad" conv=notrunc status=none
	flip_byte "$BATS_TEST_TMPDIR/bad" $(($(stat -c %s "$BATS_TEST_TMPDIR/bad") - 2))
	cat "$BATS_TEST_TMPDIR/bad" >>"$seg"
	BROKER_PORT_WANTED=$BROKER_PORT start_broker
	grep -q "cut .* bytes at offset 15" "$BROKER_DIR/broker.log"
	run --separate-stderr curl -sf "$BROKER_URL/v1/topics/t/partitions/0/records?offset=13"
	assert_success
	[ "${#lines[@]}" -eq 2 ]
	run --separate-stderr post_batch t d0
	assert_success
	[ "$(echo "$output" | jq .base_offset)" = 15 ]
	# Acknowledged with acks=all: a crash does not take it.
	crash_restart
	run --separate-stderr curl -sf "$BROKER_URL/v1/topics/t/partitions/0/records?offset=15"
	assert_success
	[ "$(echo "$output" | jq -r .value)" = d0 ]
}

@test "a flipped byte in an old segment loses no later segment and no offset is given twice" {
	start_broker --set log.segment.bytes=1MiB
	slog-topics create old
	local i
	for i in $(seq 1 5000); do printf '%s-%0900d\n' "$i" 0; done |
		slog-produce -t old --acks all
	local dir=$BROKER_DIR/data/old-0 before segs
	kill -KILL "$BROKER_PID"
	wait "$BROKER_PID" || true
	before=$(ls "$dir"/*.log | wc -l)
	[ "$before" -ge 4 ]
	# A value byte in the middle of the second segment.
	segs=($(ls "$dir"/*.log))
	flip_byte "${segs[1]}" 500000
	BROKER_PORT_WANTED=$BROKER_PORT start_broker --set log.segment.bytes=1MiB
	grep -q "are damaged" "$BROKER_DIR/broker.log"
	[ "$(ls "$dir"/*.log | wc -l)" -eq "$before" ]
	run --separate-stderr slog-topics offsets old --json
	[ "$(echo "$output" | jq '.partitions[0].latest')" = 5000 ]
	# The records after the damage are all there.
	run --separate-stderr slog-consume -t old -o 4000 -e
	assert_success
	[ "${#lines[@]}" -eq 1000 ]
	# The next append gets a new offset.
	run --separate-stderr post_batch old new
	[ "$(echo "$output" | jq .base_offset)" = 5000 ]
	curl -sf "$BROKER_URL/metrics" | grep -q '^slog_partition_corrupt_ranges{topic="old",partition="0"} 1$'
}
