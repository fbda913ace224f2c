#!/usr/bin/env bats
# A schedule of random faults of every kind under a workload that records
# its history (tests/fault/schedule.bash): process, clock, network and
# disk faults, each applied then healed, then the history's check.  make
# check runs a short one with a fixed seed; make torture (or
# tests/fault/schedule) a long one, SCHEDULE_SEED and SCHEDULE_DURATION
# saying which.  The seed is printed: the same seed draws the same faults.

load fault
load ../cluster
load ../replication
load history
load nemesis
load netns
load lossyfs
load schedule

teardown() {
	schedule_teardown
}

@test "a schedule of random process, clock, network and disk faults loses no acknowledged write" {
	schedule_run "${SCHEDULE_SEED:-14}" "${SCHEDULE_DURATION:-30}"
}

# gone PID: no process PID (bash has reaped it).
gone() {
	! kill -0 "$1" 2>/dev/null
}

@test "a broker that exits without a fault asking is counted against the schedule and started again" {
	SCHEDULE_T0=$SECONDS SCHEDULE_CRASHES=0 NEMESIS_HISTORY=$BATS_TEST_TMPDIR/history
	start_cluster 1
	local pid=${NODE_PID[1]}
	# A signal the schedule did not send stands for a crash (SIGKILL: an
	# ASan build would report a SIGSEGV as its own finding).
	kill -KILL "$pid"
	wait_for 200 gone "$pid"
	schedule_crashed 3>/dev/null
	[ "$SCHEDULE_CRASHES" = 1 ]
	[ "${NODE_PID[1]}" != "$pid" ]
	wait_for 200 curl -sf "${NODE_URL[1]}/healthz"
	run -0 jq -r 'select(.fault == "crash") | .nodes[0]' "$NEMESIS_HISTORY/nemesis.jsonl"
	assert_output 1
}
