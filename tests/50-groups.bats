#!/usr/bin/env bats
# Consumer groups: slog-consume -g splitting partitions, failover,
# committed offsets across restarts, and slog-groups.

load helpers

MEMBER_PIDS=()

setup() {
	# Short sessions are allowed so that a killed member expires quickly.
	start_broker --set group.min.session.timeout.ms=500
}

teardown() {
	stop_members
	teardown_brokers
}

# start_member NAME GROUP [ARGS...]: a slog-consume member in the
# background, printing "value" lines to $BATS_TEST_TMPDIR/NAME.out.
start_member() {
	local name=$1 group=$2
	shift 2
	slog-consume -g "$group" -t t --client-id "$name" -f '%s\n' "$@" \
		>"$BATS_TEST_TMPDIR/$name.out" 2>"$BATS_TEST_TMPDIR/$name.err" 3>&- &
	MEMBER_PIDS+=($!)
	LAST_MEMBER=$!
}

# The number of partitions each member holds, as "client=count" lines, sorted.
holdings() {
	slog-groups describe "$1" --json |
		jq -r '.groups[0].members[] | "\(.client_id)=\([.assignment[].partitions[]] | length)"' | sort
}

# group_is GROUP STATE MEMBERS: the group is in STATE with MEMBERS members.
group_is() {
	slog-groups describe "$1" --json |
		jq -e --arg s "$2" --argjson n "$3" \
			'.groups[0].state == $s and (.groups[0].members | length) == $n' >/dev/null
}

# Every partition of the group is held by exactly one member.
assert_disjoint() {
	local held
	held=$(slog-groups describe "$1" --json | jq -r '.groups[0].members[].assignment[] | .topic as $t | .partitions[] | "\($t)-\(.)"' | sort)
	[ "$(sort -u <<<"$held")" = "$held" ] || { echo "held twice: $held" >&2; return 1; }
}

# has_distinct N: the members have written N distinct values so far.
has_distinct() {
	[ "$(cat "$BATS_TEST_TMPDIR"/*.out | sort -un | wc -l)" -eq "$1" ]
}

@test "three members share six partitions, a fourth takes some, a leaver's go to the rest" {
	slog-topics create t -P 6
	start_member m1 g
	start_member m2 g
	start_member m3 g
	wait_for 200 group_is g Stable 3
	run holdings g
	assert_output $'m1=2\nm2=2\nm3=2'
	assert_disjoint g

	start_member m4 g
	wait_for 200 group_is g Stable 4
	run holdings g
	# Balanced (2,2,1,1) and sticky: the newcomer only took partitions.
	[ "$(cut -d= -f2 <<<"$output" | sort | tr '\n' ' ')" = "1 1 2 2 " ]
	assert_disjoint g

	kill -TERM "${MEMBER_PIDS[0]}"
	wait "${MEMBER_PIDS[0]}"
	wait_for 200 group_is g Stable 3
	run holdings g
	refute_listed m1=2
	[ "$(cut -d= -f2 <<<"$output" | tr '\n' ' ')" = "2 2 2 " ]
	assert_disjoint g
}

@test "a member killed with -9 loses its partitions after its session; nothing is skipped" {
	slog-topics create t -P 6
	for m in m1 m2 m3; do
		start_member $m g --session-timeout-ms 1500 --commit-interval-ms 200
	done
	wait_for 200 group_is g Stable 3
	victim=${MEMBER_PIDS[0]}
	seq 1 3000 | awk '{print "k" $1 ":" $1}' | slog-produce -t t -K:
	wait_for 200 has_distinct 3000
	kill -KILL "$victim"
	wait "$victim" 2>/dev/null || true
	seq 3001 6000 | awk '{print "k" $1 ":" $1}' | slog-produce -t t -K:
	# The session (1.5 s) expires, the others take over from the commits.
	wait_for 400 group_is g Stable 2
	wait_for 200 has_distinct 6000
	run bash -c "cat '$BATS_TEST_TMPDIR'/*.out | sort -un"
	assert_output "$(seq 1 6000)"
	run holdings g
	[ "$(cut -d= -f2 <<<"$output" | tr '\n' ' ')" = "3 3 " ]
}

@test "each group reads every record; a group goes on where it stopped" {
	slog-topics create t
	seq 1 100 | slog-produce -t t
	run --separate-stderr slog-consume -g a -t t -c 10
	assert_output "$(seq 1 10)"
	run --separate-stderr slog-consume -g a -t t -c 10
	assert_output "$(seq 11 20)"
	run --separate-stderr slog-consume -g b -t t -e
	assert_output "$(seq 1 100)"
	run --separate-stderr slog-consume -g a -t t -e
	assert_output "$(seq 21 100)"
	run --separate-stderr slog-consume -g a -t t -e
	assert_output ''
	# -o only counts where the group has no offset.
	run --separate-stderr slog-consume -g c -t t -e -o end
	assert_output ''
	assert_stderr_has 'group c has no offset for t-0: starting at the end'
	seq 101 105 | slog-produce -t t
	run --separate-stderr slog-consume -g c -t t -e -o beginning
	assert_output "$(seq 101 105)"
	run --separate-stderr slog-consume -g b -t t -e -o stored
	assert_output "$(seq 101 105)"
}

@test "--commit before and --commit after both commit exactly what was written with -c" {
	slog-topics create t
	seq 1 50 | slog-produce -t t
	run --separate-stderr slog-consume -g early -t t -e --commit before -c 7
	assert_output "$(seq 1 7)"
	run slog-groups describe early --json
	[ "$(jq '.groups[0].partitions[0].offset' <<<"$output")" -eq 7 ]
	run --separate-stderr slog-consume -g early -t t -e
	assert_output "$(seq 8 50)"
	run --separate-stderr slog-consume -g after -t t -e -c 7
	assert_output "$(seq 1 7)"
	run slog-groups describe after --json
	[ "$(jq '.groups[0].partitions[0].offset' <<<"$output")" -eq 7 ]
}

@test "a restarted broker keeps the offsets; a running member rejoins and skips nothing" {
	slog-topics create t -P 3
	start_member m1 g --commit-interval-ms 100
	seq 1 1000 | awk '{print "k" $1 ":" $1}' | slog-produce -t t -K:
	wait_for 200 has_distinct 1000
	# Everything read is committed before the broker goes.
	wait_for 200 bash -c "slog-groups describe g --json | jq -e '.groups[0].lag == 0 and ([.groups[0].partitions[].offset] | add) == 1000'"
	restart_broker --set group.min.session.timeout.ms=500
	seq 1001 2000 | awk '{print "k" $1 ":" $1}' | slog-produce -t t -K:
	wait_for 400 has_distinct 2000
	run sort -n "$BATS_TEST_TMPDIR/m1.out"
	# Nothing read twice (all was committed), nothing skipped.
	assert_output "$(seq 1 2000)"
	# The member hears of the restart at its next heartbeat, which may come
	# after it has read the new records: wait for the notice.
	wait_for 400 grep -q 'join again' "$BATS_TEST_TMPDIR/m1.err"
	kill -TERM "$LAST_MEMBER"
	wait "$LAST_MEMBER"
	# A new member of the group after another restart reads only what is new.
	restart_broker
	seq 2001 2010 | awk '{print "k" $1 ":" $1}' | slog-produce -t t -K:
	run --separate-stderr bash -c 'slog-consume -g g -t t -e | sort -n'
	assert_output "$(seq 2001 2010)"
}

@test "a member the restarted broker forgot goes on from what it printed, not from its last commit" {
	slog-topics create t -P 3
	# No commit before it stops: all it prints is past the group's offsets.
	start_member m1 g --commit-interval-ms 3600000
	seq 1 300 | awk '{print "k" $1 ":" $1}' | slog-produce -t t -K:
	wait_for 200 has_distinct 300
	restart_broker --set group.min.session.timeout.ms=500
	wait_for 400 grep -q 'join again' "$BATS_TEST_TMPDIR/m1.err"
	wait_for 200 group_is g Stable 1
	seq 301 600 | awk '{print "k" $1 ":" $1}' | slog-produce -t t -K:
	wait_for 400 has_distinct 600
	run sort -n "$BATS_TEST_TMPDIR/m1.out"
	assert_output "$(seq 1 600)"
	kill -TERM "$LAST_MEMBER"
	wait "$LAST_MEMBER"
	# On its way out it committed all it printed.
	slog-groups describe g --json | jq -e '([.groups[0].partitions[].offset] | add) == 600'
}

@test "slog-groups list and describe show members, assignment, offsets and lag" {
	slog-topics create t -P 2
	seq 1 10 | awk '{print "k" $1 ":" $1}' | slog-produce -t t -K:
	slog-consume -g done -t t -e >/dev/null 2>&1
	seq 11 14 | awk '{print "k" $1 ":" $1}' | slog-produce -t t -K:
	start_member live live
	wait_for 200 group_is live Stable 1
	run slog-groups list
	assert_output $'done\nlive'
	run slog-groups list --state stable
	assert_output live
	run slog-groups describe done
	assert_success
	assert_line --partial 'Group: done  State: Empty  Members: 0'
	assert_line --partial 'Total lag: 4'
	assert_line --regexp '^  t +0 +[0-9]+ +0 +[0-9]+ +[0-9]+ +- +-$'
	run slog-groups describe live
	assert_line --partial 'State: Stable  Members: 1'
	assert_line --regexp 'MEMBER-ID +EPOCH +CLIENT-ID +HOST +SESSION-MS +ASSIGNMENT'
	assert_line --regexp ' live +127\.0\.0\.1 +45000 +t:0,1$'
	run slog-groups describe done --max-lag 3
	assert_failure 1
	run slog-groups describe done --max-lag 4
	assert_success
	run --separate-stderr slog-groups describe nosuch
	assert_failure 1
	assert_stderr_has "group 'nosuch'"
	run slog-groups list --json
	[ "$(jq -c '[.groups[] | [.group, .state, .members]]' <<<"$output")" = '[["done","Empty",0],["live","Stable",1]]' ]
}

@test "reset-offsets plans, applies with --execute, and refuses an active group" {
	local t
	for t in t ts; do slog-topics create "$t"; done
	seq 1 100 | slog-produce -t t
	printf '%s\n' a b c | slog-produce -t t
	slog-consume -g g -t t -e >/dev/null 2>&1
	# A plan changes nothing.
	run --separate-stderr slog-groups reset-offsets g -t t --to-earliest
	assert_success
	assert_output --regexp 'g +t +0 +103 +0'
	assert_stderr_has 'add --execute'
	# A partition named twice is planned once.
	run --separate-stderr slog-groups reset-offsets g -t t -t t:0 --to-earliest --json
	assert_success
	[ "$(jq '.partitions | length' <<<"$output")" -eq 1 ]
	run --separate-stderr slog-consume -g g -t t -e
	assert_output ''
	slog-groups reset-offsets g -t t:0 --to-earliest --execute
	run --separate-stderr slog-consume -g g -t t -e -f '%o\n'
	assert_equal "$(count_lines <(printf '%s\n' "$output"))" 103
	slog-groups reset-offsets g -t t --to-offset 40 --execute
	run --separate-stderr slog-consume -g g -t t -e -c 1
	assert_output 41
	slog-groups reset-offsets g -t t --shift-by -5 --execute
	run --separate-stderr slog-consume -g g -t t -e -c 1
	assert_output 37
	printf '%s\n' '{"value":"x","timestamp":1000}' '{"value":"y","timestamp":2000}' \
		'{"value":"z","timestamp":3000}' | slog-produce -J -t ts
	slog-groups reset-offsets g -t ts --to-datetime 2000ms --execute
	run --separate-stderr slog-consume -g g -t ts -e
	assert_output $'y\nz'
	slog-groups reset-offsets g -t ts --to-datetime 1970-01-01T00:00:03Z --execute
	run --separate-stderr slog-consume -g g -t ts -e
	assert_output z
	slog-groups reset-offsets g -t t --to-earliest --execute
	slog-groups reset-offsets g -t t --to-latest --execute
	run --separate-stderr slog-consume -g g -t t -e
	assert_output ''
	# Out of the log: moved to its edge, with a word on stderr.
	run --separate-stderr slog-groups reset-offsets g -t t --to-offset 5000 --json
	assert_stderr_has 'outside the log'
	[ "$(jq -c '.partitions[0] | [.current_offset, .new_offset]' <<<"$output")" = '[103,103]' ]
	[ "$(jq '.executed' <<<"$output")" = false ]
	# A group that does not exist is made by the reset.
	slog-groups reset-offsets fresh -t t --to-offset 100 --execute
	run --separate-stderr slog-consume -g fresh -t t -e
	assert_output $'a\nb\nc'

	start_member busy g
	wait_for 200 group_is g Stable 1
	run --separate-stderr slog-groups reset-offsets g -t t --to-earliest --execute
	assert_failure 1
	assert_stderr_has 'active member'
	run slog-groups describe g --json
	[ "$(jq '.groups[0].partitions[0].offset' <<<"$output")" -ne 0 ]
}

@test "slog-groups delete removes an empty group and refuses an active one" {
	slog-topics create t
	seq 1 5 | slog-produce -t t
	slog-consume -g old -t t -e >/dev/null 2>&1
	start_member busy busy
	wait_for 200 group_is busy Stable 1
	run --separate-stderr slog-groups delete busy
	assert_failure 1
	assert_stderr_has 'active members'
	run slog-groups delete old
	assert_success
	run slog-groups list
	assert_output busy
	run --separate-stderr slog-groups delete old
	assert_failure 1
	run slog-groups delete old --if-exists
	assert_success
	# Its offsets are gone for good, also after a restart.
	restart_broker
	run --separate-stderr slog-consume -g old -t t -e
	assert_output "$(seq 1 5)"
}

@test "group options are checked: -p, -o and --commit need the right company" {
	slog-topics create t
	run --separate-stderr slog-consume -g g -t t -p 0
	assert_failure 2
	assert_stderr_has '-p cannot be used with -g'
	run --separate-stderr slog-consume -g g -t t -o 5
	assert_failure 2
	run --separate-stderr slog-consume -t t -o stored
	assert_failure 2
	run --separate-stderr slog-consume -t t --commit after
	assert_failure 2
	run --separate-stderr slog-consume -g g -t t --commit sometimes
	assert_failure 2
	run --separate-stderr slog-groups reset-offsets g -t t
	assert_failure 2
	run --separate-stderr slog-groups reset-offsets g -t t --to-earliest --to-latest
	assert_failure 2
	run --separate-stderr slog-groups describe g --execute
	assert_failure 2
	run --separate-stderr slog-groups describe ''
	assert_failure 2
	assert_stderr_has 'a group id has 1 to 255 bytes'
	run --separate-stderr slog-consume -g g -t t --session-timeout-ms 100 -e
	assert_failure 1
	assert_stderr_has 'session timeout 100 ms'
	run --separate-stderr slog-consume -g g -t nosuch -e
	assert_failure 1
	assert_stderr_has "topic 'nosuch' does not exist"
}
