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
