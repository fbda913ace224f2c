#!/usr/bin/env bats
# The consumer engine with a program's own sink (sink-test-tool engine),
# as slog-connect's sinks and mirror use it: records in
# order, commits only of what the sink flushed, partitions split between
# members, and topics matched by a regex as they appear.

load helpers
load sink_tool

# start_sink NAME [ARGS...]: an engine with the test sink in the background;
# what it flushed goes to NAME.out, its log and releases to NAME.err.
start_sink() {
	local name=$1
	shift
	"$TOOL" engine "$@" \
		>"$BATS_TEST_TMPDIR/$name.out" 2>"$BATS_TEST_TMPDIR/$name.err" 3>&- &
	MEMBER_PIDS+=($!)
	LAST_MEMBER=$!
}

# stop_sink PID: SIGTERM, and its exit status in $status.
stop_sink() {
	kill -TERM "$1"
	status=0
	wait "$1" || status=$?
}

# members_hold GROUP N: the group is Stable with N members, each holding a partition.
members_hold() {
	slog-groups describe "$1" --json |
		jq -e --argjson n "$2" '.groups[0].state == "Stable" and (.groups[0].members | length) == $n
			and all(.groups[0].members[]; ([.assignment[].partitions[]] | length) > 0)' >/dev/null
}

@test "a sink gets each partition's records in order, and the group commits what it flushed" {
	slog-topics create t -P 3
	for p in 0 1 2; do seq 1 40 | sed "s/^/p$p-/" | slog-produce -t t -p "$p"; done
	start_sink s --commit-ms 200 "127.0.0.1:$BROKER_PORT" g t
	wait_for 200 has_lines "$BATS_TEST_TMPDIR/s.out" 120
	committed_is g "t-0=40 t-1=40 t-2=40"
	stop_sink "$LAST_MEMBER"
	[ "$status" -eq 0 ]
	in_order "$BATS_TEST_TMPDIR/s.out"
	[ "$(count_lines "$BATS_TEST_TMPDIR/s.out")" -eq 120 ]
	grep -q '^t-1 39 NULL p1-40$' "$BATS_TEST_TMPDIR/s.out"
	# The engine says nothing on stderr itself: only through its log.
	run grep -v -e '^log ' -e '^released ' "$BATS_TEST_TMPDIR/s.err"
	[ "$output" = "" ]
}

@test "a sink whose flush fails commits nothing, and its records come again on restart" {
	slog-topics create t -P 1
	seq 1 10 | slog-produce -t t
	start_sink bad --fail-flush --commit-ms 200 "127.0.0.1:$BROKER_PORT" g t
	pid=$LAST_MEMBER
	wait_for 200 grep -q 'refuses to flush' "$BATS_TEST_TMPDIR/bad.err"
	status=0
	wait "$pid" || status=$?
	[ "$status" -eq 1 ]
	grep -q '^sink-test-tool: engine: the test sink refuses to flush$' "$BATS_TEST_TMPDIR/bad.err"
	# Nothing delivered was committed (the start, offset 0, may be).
	run offsets g
	[ "$output" = "" ] || [ "$output" = "t-0=0" ]

	start_sink good --commit-ms 200 "127.0.0.1:$BROKER_PORT" g t
	wait_for 200 has_lines "$BATS_TEST_TMPDIR/good.out" 10
	committed_is g "t-0=10"
	stop_sink "$LAST_MEMBER"
	[ "$status" -eq 0 ]
	[ "$(head -1 "$BATS_TEST_TMPDIR/good.out")" = "t-0 0 NULL 1" ]
	[ "$(count_lines "$BATS_TEST_TMPDIR/good.out")" -eq 10 ]
}

@test "two members of a group split the partitions, and each delivers only its own" {
	slog-topics create t -P 4
	start_sink a --commit-ms 200 "127.0.0.1:$BROKER_PORT" g t
	wait_for 200 members_hold g 1
	start_sink b --commit-ms 200 "127.0.0.1:$BROKER_PORT" g t
	wait_for 300 members_hold g 2
	# a gave b partitions: it flushed and released them first.
	wait_for 100 grep -q '^released t-' "$BATS_TEST_TMPDIR/a.err"
	for p in 0 1 2 3; do seq 1 25 | sed "s/^/p$p-/" | slog-produce -t t -p "$p"; done
	wait_for 300 eval '[ "$(cat "$BATS_TEST_TMPDIR"/a.out "$BATS_TEST_TMPDIR"/b.out | wc -l)" -ge 100 ]'
	committed_is g "t-0=25 t-1=25 t-2=25 t-3=25"
	in_order "$BATS_TEST_TMPDIR/a.out"
	in_order "$BATS_TEST_TMPDIR/b.out"
	a_parts=$(cut -d' ' -f1 "$BATS_TEST_TMPDIR/a.out" | sort -u)
	b_parts=$(cut -d' ' -f1 "$BATS_TEST_TMPDIR/b.out" | sort -u)
	[ -n "$a_parts" ] && [ -n "$b_parts" ]
	[ -z "$(comm -12 <(echo "$a_parts") <(echo "$b_parts"))" ]
	[ "$(cat "$BATS_TEST_TMPDIR"/a.out "$BATS_TEST_TMPDIR"/b.out | wc -l)" -eq 100 ]
}

@test "a topic created later that matches the regex is read too" {
	slog-topics create logs-a -P 1
	echo a1 | slog-produce -t logs-a
	slog-topics create other -P 1
	echo o1 | slog-produce -t other
	start_sink s --commit-ms 200 --refresh-ms 300 --regex '^logs-' "127.0.0.1:$BROKER_PORT" g
	wait_for 200 has_lines "$BATS_TEST_TMPDIR/s.out" 1
	slog-topics create logs-b -P 2
	echo b1 | slog-produce -t logs-b -p 1
	wait_for 300 grep -q '^logs-b-1 0 NULL b1$' "$BATS_TEST_TMPDIR/s.out"
	committed_is g "logs-a-0=1 logs-b-0=0 logs-b-1=1"
	stop_sink "$LAST_MEMBER"
	[ "$status" -eq 0 ]
	run grep -c . "$BATS_TEST_TMPDIR/s.out"
	[ "$output" = 2 ]
}

@test "a regex that matches nothing yet waits for its first topic" {
	start_sink s --commit-ms 200 --refresh-ms 300 --regex '^late$' "127.0.0.1:$BROKER_PORT" g
	wait_for 100 grep -q "no topic matches '^late\$' yet" "$BATS_TEST_TMPDIR/s.err"
	slog-topics create late -P 1
	echo x | slog-produce -t late
	wait_for 300 grep -q '^late-0 0 NULL x$' "$BATS_TEST_TMPDIR/s.out"
	stop_sink "$LAST_MEMBER"
	[ "$status" -eq 0 ]
}

@test "a sink that takes batches gets each batch whole, with its base and last offsets" {
	slog-topics create t -P 1
	seq 1 5 | slog-produce -t t
	seq 6 8 | slog-produce -t t
	start_sink s --batches --commit-ms 200 "127.0.0.1:$BROKER_PORT" g t
	committed_is g "t-0=8"
	stop_sink "$LAST_MEMBER"
	[ "$status" -eq 0 ]
	run cat "$BATS_TEST_TMPDIR/s.out"
	[ "$output" = $'t-0 batch 0 4\nt-0 batch 5 7' ]
}
