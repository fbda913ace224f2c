#!/usr/bin/env bats
# The programs against a cluster: a -b list with a broker that is down,
# a partition leader that moved (NOT_LEADER), no controller for a while
# (NOT_CONTROLLER), and retries that end at the timeout.
#
# tests/tool/stub-broker.py stands in front of the real broker as another
# broker that answers what a cluster answers while it changes.

load helpers

setup() {
	start_broker --set auto.create.topics.enable=false
	REAL=127.0.0.1:$BROKER_PORT
	MEMBER_PIDS=()
}

# The stubs are stopped as background members are.
teardown() {
	stop_members
	teardown_brokers
}

# A port on which nothing listens: the kernel's pick, closed at once.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_stub ARGS...: stub-broker.py ARGS; sets STUB (address) and STUB_LOG
# (its "METHOD PATH STATUS" lines).
start_stub() {
	STUB_LOG=$BATS_TEST_TMPDIR/stub.$((${#MEMBER_PIDS[@]} + 1))
	"$SLOG_ROOT/tests/tool/stub-broker.py" "$@" >"$STUB_LOG" 2>&1 3>&- &
	MEMBER_PIDS+=("$!")
	wait_for 200 grep -q 'listening on' "$STUB_LOG"
	STUB=127.0.0.1:$(sed -n 's/listening on //p' "$STUB_LOG")
}

# A group g that has read topic t, for slog-groups to list.
make_group_g() {
	slog-topics create t
	echo x | slog-produce -t t
	slog-consume -t t -g g -e >/dev/null
}

# produce_once: the record "once" to t through the stub, which must
# succeed and leave it on the real broker exactly once.
produce_once() {
	run --separate-stderr bash -c "echo once | slog-produce -b $STUB -t t --timeout-ms 5000"
	assert_success
	run slog-consume -t t -e
	assert_output once
}

# The number of requests the stub answered whose line matches REGEX.
stub_count() {
	grep -cE "$1" "$STUB_LOG" || true
}

@test "slog-produce skips a broker that is down at the head of -b" {
	slog-topics create t
	dead=127.0.0.1:$(free_port)
	run --separate-stderr bash -c "echo x | slog-produce -b $dead,$REAL -t t"
	assert_success
	run slog-consume -t t -e
	assert_output x
}

@test "slog-consume skips a broker that is down at the head of -b" {
	slog-topics create t
	echo x | slog-produce -t t
	run --separate-stderr slog-consume -b "127.0.0.1:$(free_port),$REAL" -t t -e
	assert_success
	assert_output x
}

@test "slog-topics skips a broker that is down at the head of -b" {
	run --separate-stderr slog-topics -b "127.0.0.1:$(free_port),$REAL" create t
	assert_success
	run -0 user_topics
	assert_output t
}

@test "slog-groups skips a broker that is down at the head of -b" {
	make_group_g
	run --separate-stderr slog-groups -b "127.0.0.1:$(free_port),$REAL" list
	assert_success
	assert_output g
}

@test "a broker that does not take the connection is skipped before the timeout" {
	start_stub --silent
	SECONDS=0
	run --separate-stderr timeout 30 slog-topics -b "$STUB,$REAL" --timeout-ms 10000 create t
	assert_success
	[ "$SECONDS" -lt 8 ]
	run -0 user_topics
	assert_output t
}

@test "when no broker of -b answers, each program exits 1 naming every broker" {
	local d1 d2
	d1=127.0.0.1:$(free_port)
	d2=127.0.0.1:$(free_port)
	for cmd in "slog-topics list" "slog-groups list" "slog-consume -t t -e" \
		"slog-produce -t t </dev/null"; do
		run --separate-stderr bash -c "${cmd/ / -b $d1,$d2 --timeout-ms 2000 }"
		[ "$status" -eq 1 ]
		assert_stderr_has "cannot reach any broker"
		assert_stderr_has "$d1"
		assert_stderr_has "$d2"
	done
}

@test "a record sent to a broker that is no longer the leader lands once, on the leader" {
	slog-topics create t
	start_stub NOT_LEADER 421 --leader "http://$REAL" --forward "http://$REAL"
	produce_once
	[ "$(stub_count '^POST /v1/topics/t/partitions/0/records')" -eq 1 ]
}

@test "slog-consume follows NOT_LEADER to the partition's leader" {
	slog-topics create t
	printf 'a\nb\n' | slog-produce -t t
	start_stub NOT_LEADER 421 --leader "http://$REAL" --forward "http://$REAL"
	run --separate-stderr slog-consume -b "$STUB" -t t -e --timeout-ms 5000
	assert_success
	assert_output "a
b"
}

@test "a leader that refuses the connection is looked up again, and the record lands once" {
	slog-topics create t
	start_stub NOT_LEADER 421 --times 0 --forward "http://$REAL" \
		--metadata-leader "http://127.0.0.1:$(free_port),http://$REAL"
	produce_once
	[ "$(stub_count '^GET /v1/metadata')" -ge 2 ]
}

@test "an admin call answered NOT_CONTROLLER is made again until a controller answers" {
	start_stub NOT_CONTROLLER 503 --times 2 --forward "http://$REAL"
	run --separate-stderr slog-topics -b "$STUB" --timeout-ms 5000 create t
	assert_success
	[ "$(stub_count '^POST /v1/topics 503')" -eq 2 ]
	[ "$(stub_count '^POST /v1/topics 201')" -eq 1 ]
	run -0 user_topics
	assert_output t
}

@test "slog-groups retries an admin call answered NOT_CONTROLLER" {
	make_group_g
	start_stub NOT_CONTROLLER 503 --times 1 --forward "http://$REAL"
	run --separate-stderr slog-groups -b "$STUB" --timeout-ms 5000 list
	assert_success
	assert_output g
}

@test "a retry gives up at the timeout and says what the last try got" {
	start_stub NOT_CONTROLLER 503
	SECONDS=0
	run --separate-stderr timeout 20 slog-topics -b "$STUB" --timeout-ms 1500 create t
	[ "$status" -eq 1 ]
	[ "$SECONDS" -lt 10 ]
	assert_stderr_has "gave up at the timeout after"
	assert_stderr_has "NOT_CONTROLLER"
	[ "$(stub_count '^POST /v1/topics 503')" -ge 3 ]
}

@test "a produce whose leader never comes back gives up at the timeout, not delivered" {
	slog-topics create t
	start_stub LEADER_NOT_AVAILABLE 503 --forward "http://$REAL"
	run --separate-stderr timeout 20 bash -c "echo x | slog-produce -b $STUB -t t --timeout-ms 1500"
	[ "$status" -eq 1 ]
	assert_stderr_has "not delivered"
	assert_stderr_has "gave up at the timeout"
	run slog-consume -t t -e
	assert_output ""
}

# produce_in_order: 1..60 to t through the stub, one line every 20 ms so
# that batches queue behind the one being retried; every record must land
# once, in the order read.
produce_in_order() {
	run --separate-stderr bash -c "for i in \$(seq 1 60); do echo \$i; sleep 0.02; done |
		slog-produce -b $STUB -t t --linger-ms 0 --batch-bytes 100 --timeout-ms 10000"
	assert_success
	run slog-consume -t t -e
	assert_output "$(seq 1 60)"
}

@test "a produce answered FENCED_LEADER_EPOCH is sent again, and the partition keeps its order" {
	slog-topics create t
	start_stub FENCED_LEADER_EPOCH 409 --times 5 --forward "http://$REAL"
	produce_in_order
	[ "$(stub_count '^POST /v1/topics/t/partitions/0/records[^ ]* 409')" -eq 5 ]
	# A fenced epoch means stale metadata: the leader is looked up again.
	[ "$(stub_count '^GET /v1/metadata')" -ge 2 ]
}

@test "a produce answered NOT_ENOUGH_REPLICAS is sent again, and the partition keeps its order" {
	slog-topics create t
	start_stub NOT_ENOUGH_REPLICAS 503 --times 5 --forward "http://$REAL"
	produce_in_order
	[ "$(stub_count '^POST /v1/topics/t/partitions/0/records[^ ]* 503')" -eq 5 ]
}

@test "a produce answered UNKNOWN_LEADER_EPOCH is sent again to the same leader" {
	slog-topics create t
	start_stub UNKNOWN_LEADER_EPOCH 409 --times 2 --forward "http://$REAL"
	produce_once
	[ "$(stub_count '^GET /v1/metadata')" -eq 1 ]
}

@test "slog-consume -g exits 1 when its last commit is refused" {
	slog-topics create t
	printf 'a\nb\n' | slog-produce -t t
	start_stub UNKNOWN_MEMBER_ID 404 --only '^POST /v1/groups/g/offsets' --forward "http://$REAL"
	run --separate-stderr slog-consume -b "$STUB" -g g -t t -e --timeout-ms 5000
	[ "$status" -eq 1 ]
	assert_output "a
b"
	assert_stderr_has "group g: commit failed"
	# Nothing was committed: the group would read it all again.
	run -0 bash -c "curl -sf 'http://$REAL/v1/groups/g/offsets' | jq -c .offsets"
	assert_output "[]"
}

@test "slog-consume sends the partition's leader epoch with its fetches" {
	slog-topics create t
	echo a | slog-produce -t t
	start_stub UNKNOWN 500 --times 0 --forward "http://$REAL"
	run --separate-stderr slog-consume -b "$STUB" -t t -e --timeout-ms 5000
	assert_success
	assert_output a
	[ "$(stub_count '^GET /v1/topics/t/partitions/0/records.*leader_epoch=0 200')" -ge 1 ]
}

@test "slog-consume retries a fetch answered UNKNOWN_LEADER_EPOCH" {
	slog-topics create t
	printf 'a\nb\n' | slog-produce -t t
	start_stub UNKNOWN_LEADER_EPOCH 409 --times 2 --only 'records' --forward "http://$REAL"
	run --separate-stderr slog-consume -b "$STUB" -t t -e --timeout-ms 5000
	assert_success
	assert_output "a
b"
	[ "$(stub_count '^GET /v1/topics/t/partitions/0/records.* 409')" -eq 2 ]
}

# A partition whose leader changes under a following consumer, to a
# replica whose log diverged at offset 5: the old leader (a broker of its
# own) has a..j, the new one (REAL, behind the stub) a..e then x, y, and
# says the epoch of what was read ends at 5.  Starts the consumer with
# ARGS in the background (its output in OUT, its stderr in ERR), lets it
# read all ten, then kills the old leader.
follow_a_truncating_leader() {
	local real_brokers=$SLOG_BROKERS
	slog-topics create t
	printf '%s\n' a b c d e x y | slog-produce -t t
	start_broker old --set auto.create.topics.enable=false
	OLD_PID=$BROKER_PID
	local old=http://127.0.0.1:$BROKER_PORT
	slog-topics -b "$old" create t
	printf '%s\n' a b c d e f g h i j | slog-produce -b "$old" -t t
	export SLOG_BROKERS=$real_brokers
	start_stub UNKNOWN 500 --times 0 --forward "http://$REAL" --metadata-leader "$old,self" \
		--end-offset 5
	OUT=$BATS_TEST_TMPDIR/out ERR=$BATS_TEST_TMPDIR/err
	slog-consume -b "$STUB" -t t -u --timeout-ms 10000 "$@" >"$OUT" 2>"$ERR" 3>&- &
	CONSUMER_PID=$!
	MEMBER_PIDS+=("$CONSUMER_PID")
	wait_for 200 bash -c "[ \$(wc -l <'$OUT') -ge 10 ]"
	kill -KILL "$OLD_PID"
}

@test "slog-consume says which records a leader change truncated, and goes on from the new leader's end" {
	follow_a_truncating_leader
	wait_for 200 bash -c "[ \$(wc -l <'$OUT') -ge 12 ]"
	run cat "$OUT"
	assert_output "$(printf '%s\n' a b c d e f g h i j x y)"
	run cat "$ERR"
	assert_output --partial "partition t-0 was truncated: offsets 5..9 read before a leader change are gone; continuing at 5"
}

@test "slog-consume --on-truncation fail exits 1 when a leader change truncated records it read" {
	local rc=0
	follow_a_truncating_leader --on-truncation fail
	wait_for 200 bash -c "! kill -0 $CONSUMER_PID 2>/dev/null"
	wait "$CONSUMER_PID" || rc=$?
	[ "$rc" -eq 1 ]
	run cat "$ERR"
	assert_output --partial "partition t-0 was truncated (LOG_TRUNCATION): offsets 5..9"
	run cat "$OUT"
	assert_output "$(printf '%s\n' a b c d e f g h i j)"
}

@test "a produce answered NOT_ENOUGH_REPLICAS_AFTER_APPEND until the timeout is reported not acknowledged" {
	slog-topics create t
	start_stub NOT_ENOUGH_REPLICAS_AFTER_APPEND 503 --forward "http://$REAL"
	run --separate-stderr timeout 20 bash -c "echo x | slog-produce -b $STUB -t t --timeout-ms 1500"
	[ "$status" -eq 1 ]
	# Sent again, as Kafka's producer does; but the leader may have it.
	[ "$(stub_count '^POST /v1/topics/t/partitions/0/records[^ ]* 503')" -ge 2 ]
	assert_stderr_has "not acknowledged"
	assert_stderr_has "NOT_ENOUGH_REPLICAS_AFTER_APPEND"
}
