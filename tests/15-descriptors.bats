#!/usr/bin/env bats
# File descriptors: a floor on segment.bytes, segment files kept open only
# while the cache has room for them, and a broker that keeps serving and
# stops cleanly when its segments far outnumber its descriptor limit.

load helpers

FD_LIMIT=512
SEGMENTS=800

# flood: SEGMENTS one-record produces of 40 KB to topic "tiny" (64 KiB
# segments), so that every produce rolls a new segment; prints the statuses.
flood() {
	head -c 40000 /dev/zero | tr '\0' x >"$BATS_TEST_TMPDIR/value"
	curl -s -o /dev/null -w '%{http_code}\n' --data-binary @"$BATS_TEST_TMPDIR/value" \
		"$BROKER_URL/v1/topics/tiny/partitions/0/records?acks=1&n=[1-$SEGMENTS]" | sort | uniq -c
}

# A broker under a low descriptor limit, flooded.  (Below about 512
# descriptors the broker keeps too few for sockets to test anything.)
start_flooded_broker() {
	ulimit -n "$FD_LIMIT"
	start_broker
	curl -sf -X POST "$BROKER_URL/v1/topics" -H 'Content-Type: application/json' \
		-d '{"name":"tiny","configs":{"segment.bytes":"64KiB"}}' >/dev/null
	run flood
	assert_output "    $SEGMENTS 200"
	[ "$(ls "$BROKER_DIR"/data/tiny-0/*.log | wc -l)" -ge "$SEGMENTS" ]
}

open_fds() {
	ls "/proc/$BROKER_PID/fd" | wc -l
}

@test "a segment.bytes below the 64 KiB floor is refused with INVALID_CONFIG, naming the key and the floor" {
	start_broker
	run curl -s -X POST "$BROKER_URL/v1/topics" -H 'Content-Type: application/json' \
		-d '{"name":"tiny","configs":{"segment.bytes":14}}'
	[ "$(jq -r .error.code <<<"$output")" = INVALID_CONFIG ]
	[[ "$(jq -r .error.message <<<"$output")" == *"segment.bytes"*"65536"* ]]
	slog-topics create t
	run curl -s -X PATCH "$BROKER_URL/v1/topics/t/configs" -H 'Content-Type: application/json' \
		-d '{"segment.bytes":"64KiB"}'
	[ "$(jq -r '.configs[]|select(.name=="segment.bytes").value' <<<"$output")" = 65536 ]
	run curl -s -X PATCH "$BROKER_URL/v1/topics/t/configs" -H 'Content-Type: application/json' \
		-d '{"segment.bytes":"1KiB"}'
	[ "$(jq -r .error.code <<<"$output")" = INVALID_CONFIG ]
}

@test "the broker refuses log.segment.bytes and offsets.topic.segment.bytes below the floor" {
	run --separate-stderr slog-broker --set log.segment.bytes=14 --check-config
	[ "$status" -eq 1 ]
	assert_stderr_has "log.segment.bytes: '14' is out of range [65536,"
	run --separate-stderr slog-broker --set offsets.topic.segment.bytes=16KiB --check-config
	[ "$status" -eq 1 ]
	assert_stderr_has "offsets.topic.segment.bytes"
}

@test "with more segments than descriptors, produce, fetch of the oldest segment and /healthz still work" {
	start_flooded_broker
	run curl -s -o /dev/null -w '%{http_code}' "$BROKER_URL/healthz"
	assert_output 200
	run curl -s -w '\n%{http_code}' --data-binary more \
		"$BROKER_URL/v1/topics/tiny/partitions/0/records?acks=all"
	assert_line --index 1 200
	# The oldest segment's descriptor was closed long ago: read it again.
	run curl -s -o "$BATS_TEST_TMPDIR/batch" -w '%{http_code}' \
		-H 'Accept: application/x-slog-batch' "$BROKER_URL/v1/topics/tiny/partitions/0/records?offset=0"
	assert_output 200
	[ "$(stat -c %s "$BATS_TEST_TMPDIR/batch")" -gt 40000 ]
	run slog-consume -t tiny -p 0 -o 0 -c 1 -e -f '%o %S\n'
	assert_output "0 40000"
	run slog-consume -t tiny -p 0 -o "$SEGMENTS" -c 1 -e -f '%o %s\n'
	assert_output "$SEGMENTS more"
}

@test "the broker's descriptors stay bounded however many segments it rolls" {
	start_flooded_broker
	# Half the limit for segment files, a few for the broker itself.
	[ "$(open_fds)" -le $((FD_LIMIT / 2 + 32)) ]
}

@test "a topic with four times more partitions than descriptors is created, written and read" {
	ulimit -n "$FD_LIMIT"
	start_broker
	# The broker's own (listeners, threads' wake-up pipes, connections
	# between its parts) before any partition: partitions add none.
	local base
	base=$(open_fds)
	run --separate-stderr slog-topics create wide -P 1000
	assert_success
	[ "$(open_fds)" -le $((base + 2)) ]
	run bash -c "curl -s -o /dev/null -w '%{http_code}\n' --data-binary r \
		'$BROKER_URL/v1/topics/wide/partitions/[0-999]/records' | sort | uniq -c"
	assert_output "   1000 200"
	run slog-consume -t wide -p 999 -o 0 -c 1 -e
	assert_output r
	[ "$(open_fds)" -le $((FD_LIMIT / 2 + 32)) ]
}

@test "SIGTERM stops a broker holding more segments than descriptors, exit 0" {
	start_flooded_broker
	stop_broker
	grep -q 'slog-broker info: stopped$' "$BROKER_DIR/broker.log"
}

# exhaust_descriptors: lower the broker's limit to its lowest free
# descriptor number, so that nothing more can be opened or accepted.
exhaust_descriptors() {
	local lowest=0
	while [ -e "/proc/$BROKER_PID/fd/$lowest" ]; do
		lowest=$((lowest + 1))
	done
	prlimit --pid "$BROKER_PID" --nofile="$lowest:$lowest"
}

@test "SIGTERM exits 0 while the broker has no descriptor left to accept a connection" {
	# libmicrohttpd's listener spins on EMFILE; stopping it used to race
	# with that loop and abort.  The race is narrow: try a few times.
	local round c
	for round in 1 2 3 4 5 6 7 8 9 10; do
		start_broker "b$round"
		exhaust_descriptors
		for c in 1 2 3 4; do
			curl -s -m 5 "$BROKER_URL/healthz" >/dev/null 2>&1 3>&- &
		done
		run -28 curl -s -m 0.5 "$BROKER_URL/healthz"
		stop_broker
		grep -q 'slog-broker info: stopped$' "$BROKER_DIR/broker.log"
	done
}
