#!/usr/bin/env bats
# A stalled disk: one log dir's file system is frozen (fsfreeze), so every
# write to it blocks.  Health checks, metadata and the partitions of the
# other log dir keep answering; the requests to the frozen dir wait and
# complete once it thaws, and nothing acknowledged is lost.  Needs root
# (a loop-mounted ext4 image).

load fault

setup() {
	require_root mkfs.ext4 fsfreeze losetup mountpoint curl
	loop_mount 64M "$BATS_TEST_TMPDIR/slow"
	BG_PIDS=()
}

teardown() {
	local pid
	# Thaw first: a broker blocked in a write to a frozen file system
	# cannot even be killed until the write returns.
	if [ -n "${LOOP_MNT:-}" ]; then
		fsfreeze -u "$LOOP_MNT" 2>/dev/null || true
	fi
	for pid in "${BG_PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	teardown_brokers
	loop_unmount
}

# in_time URL [CURL ARGS]...: URL answers 200 within 5 s.
in_time() {
	local url=$1 code
	shift
	code=$(curl -s -m 5 -o "$BATS_TEST_TMPDIR/answer" -w '%{http_code} %{time_total}' "$@" "$url")
	echo "$url: $code" >&2
	[ "${code%% *}" = 200 ]
}

# produce_bg PARTITION VALUE: a produce of VALUE in the background; its
# status goes to $BATS_TEST_TMPDIR/bg.VALUE.
produce_bg() {
	curl -s -m 120 -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: text/plain' \
		--data-binary "$2" "$BROKER_URL/v1/topics/t/partitions/$1/records?acks=all" \
		>"$BATS_TEST_TMPDIR/bg.$2" 2>&1 &
	BG_PIDS+=($!)
}

# A thread of the broker sleeps in the kernel, uninterruptibly (a write
# to the frozen file system).
broker_in_d_state() {
	grep -q '^State:[[:space:]]*D' /proc/"$BROKER_PID"/task/*/status
}

# workers_waiting N: at least N request threads of the broker wait on a
# lock (a futex), as a read does behind an append blocked in its write.
workers_waiting() {
	local t n=0
	for t in /proc/"$BROKER_PID"/task/*; do
		[ "$(cat "$t/comm")" = MHD-worker ] && grep -q futex "$t/wchan" && n=$((n + 1))
	done
	[ "$n" -ge "$1" ]
}

# freeze_under_produce THREADS: a broker with THREADS request threads and
# log dirs fast and frozen, topic t with partition $slow in the frozen
# one (which holds "before") and $fast in the other; the produce of
# frozen1 to $slow is blocked in its write.
freeze_under_produce() {
	start_broker --set "log.dirs=$BATS_TEST_TMPDIR/fast,$LOOP_MNT/data" \
		--set num.network.threads="$1"
	slog-topics create t -P 2
	if [ -d "$LOOP_MNT/data/t-0" ]; then slow=0 fast=1; else slow=1 fast=0; fi
	[ -d "$LOOP_MNT/data/t-$slow" ]
	[ -d "$BATS_TEST_TMPDIR/fast/t-$fast" ]
	in_time "$BROKER_URL/v1/topics/t/partitions/$slow/records?acks=all" -d before

	fsfreeze -f "$LOOP_MNT"
	produce_bg "$slow" frozen1
	wait_for 200 broker_in_d_state
}

# create_in_time: topic u, created in the background, is answered 201
# within 5 s.  Its partition goes to the fast dir (fewer partitions: t
# has one in each, and ties go to the first), so the create itself needs
# nothing from the frozen one.
create_in_time() {
	curl -s -m 120 -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
		-d '{"name":"u","partitions":1}' "$BROKER_URL/v1/topics" >"$BATS_TEST_TMPDIR/bg.create" 2>&1 &
	BG_PIDS+=($!)
	wait_for 100 test -s "$BATS_TEST_TMPDIR/bg.create"
	run cat "$BATS_TEST_TMPDIR/bg.create"
	assert_output 201
	[ -d "$BATS_TEST_TMPDIR/fast/u-0" ]
}

# thaw_and_finish VALUE...: thaw, wait for every background request, and
# check that the produce of each VALUE was acknowledged.
thaw_and_finish() {
	local pid v
	fsfreeze -u "$LOOP_MNT"
	for pid in "${BG_PIDS[@]}"; do
		wait "$pid"
	done
	BG_PIDS=()
	for v in "$@"; do
		run cat "$BATS_TEST_TMPDIR/bg.$v"
		assert_output 200
	done
}

@test "a frozen log dir leaves health, metadata and the other log dir answering" {
	freeze_under_produce 2
	produce_bg "$slow" frozen2
	produce_bg "$slow" frozen3
	curl -s -m 120 -o "$BATS_TEST_TMPDIR/slow-fetch" "$BROKER_URL/v1/topics/t/partitions/$slow/records?offset=0" &
	BG_PIDS+=($!)

	in_time "$BROKER_URL/healthz"
	in_time "$BROKER_URL/readyz"
	in_time "$BROKER_URL/metrics"
	in_time "$BROKER_URL/v1/metadata"
	in_time "$BROKER_URL/v1/topics"
	in_time "$BROKER_URL/v1/topics/t"
	in_time "$BROKER_URL/v1/topics/t/partitions/$fast/records?acks=all" -d elsewhere
	in_time "$BROKER_URL/v1/topics/t/partitions/$fast/records?offset=0"
	run cat "$BATS_TEST_TMPDIR/answer"
	assert_output --partial '"value":"elsewhere"'
	# The frozen dir's requests are still waiting.
	[ ! -s "$BATS_TEST_TMPDIR/bg.frozen1" ]

	thaw_and_finish frozen1 frozen2 frozen3
	run cat "$BATS_TEST_TMPDIR/slow-fetch"
	assert_output --partial '"value":"before"'
	run --separate-stderr slog-consume -t t -p "$slow" -e
	assert_success
	[ "${#lines[@]}" -eq 4 ]
	assert_line before
	assert_line frozen1
	assert_line frozen2
	assert_line frozen3
}

# The create waits for meta_lock behind any request that holds it across
# a write to the frozen dir, and every request after the create waits
# behind the create: the produce path must not hold it across its writes.
# Requests go one at a time: the HTTP server may accept connections that
# arrive together on one thread, where they wait behind the first.
@test "a topic created while a log dir is frozen does not stop health, metadata or the other log dir" {
	freeze_under_produce 4
	create_in_time

	in_time "$BROKER_URL/healthz"
	in_time "$BROKER_URL/v1/metadata"
	run cat "$BATS_TEST_TMPDIR/answer"
	assert_output --partial '"u"'
	in_time "$BROKER_URL/v1/topics/t/partitions/$fast/records?acks=all" -d elsewhere
	in_time "$BROKER_URL/v1/topics/t/partitions/$fast/records?offset=0"
	run cat "$BATS_TEST_TMPDIR/answer"
	assert_output --partial '"value":"elsewhere"'
	in_time "$BROKER_URL/v1/topics/u/partitions/0/records?acks=all" -d new
	in_time "$BROKER_URL/v1/topics/u/partitions/0/records?offset=0"
	run cat "$BATS_TEST_TMPDIR/answer"
	assert_output --partial '"value":"new"'
	[ ! -s "$BATS_TEST_TMPDIR/bg.frozen1" ]
	produce_bg "$slow" frozen2

	thaw_and_finish frozen1 frozen2
	run --separate-stderr slog-consume -t t -p "$slow" -e
	assert_success
	[ "${#lines[@]}" -eq 3 ]
	assert_line before
	assert_line frozen1
	assert_line frozen2
}

# A produce keeps its partition by reference, not by meta_lock: the
# delete goes through at once, the write in progress finishes into the
# deleted log, the produce waiting for the dir's slot finds its topic
# gone, and the files go when the last of them lets go.
@test "a topic deleted while a log dir is frozen goes at once; its produces answer at thaw" {
	freeze_under_produce 2
	# One slot per dir with 2 threads: frozen1 has it, frozen2 waits.
	produce_bg "$slow" frozen2
	in_time "$BROKER_URL/v1/topics/t" -X DELETE
	in_time "$BROKER_URL/healthz"
	in_time "$BROKER_URL/v1/metadata"
	run cat "$BATS_TEST_TMPDIR/answer"
	refute_output --partial '"t"'
	[ -d "$LOOP_MNT/data/t-$slow" ]

	thaw_and_finish frozen1
	run cat "$BATS_TEST_TMPDIR/bg.frozen2"
	assert_output 404
	wait_for 100 bash -c "! ls -d '$LOOP_MNT'/data/t-* 2>/dev/null"
	in_time "$BROKER_URL/healthz"
}

# A fetch of the frozen dir's partition waits behind the blocked append
# for the partition log's lock: it must not hold meta_lock meanwhile, or
# a topic create queues behind it and everything else behind the create.
@test "a fetch waiting on a frozen log dir does not stop a topic create or metadata" {
	freeze_under_produce 4
	curl -s -m 120 -o "$BATS_TEST_TMPDIR/slow-fetch" \
		"$BROKER_URL/v1/topics/t/partitions/$slow/records?offset=0" &
	BG_PIDS+=($!)
	wait_for 200 workers_waiting 1
	create_in_time
	in_time "$BROKER_URL/v1/metadata"
	in_time "$BROKER_URL/v1/topics/t/partitions/$fast/records?offset=0"

	thaw_and_finish frozen1
	run cat "$BATS_TEST_TMPDIR/slow-fetch"
	assert_output --partial '"value":"before"'
}
