#!/usr/bin/env bats
# slog-connect's sink loop (sink_run): one task of a sink connector, with
# a test class that writes what it was given on stdout when flushed
# (sink-test-tool task), against a real broker: the group connect-<name>,
# commits after the sink's flush, transforms' failures through the error
# policy, and the lag of each partition.

load helpers
load sink_tool

# conf NAME KEY=VALUE...: a test-sink connector file named NAME; prints its path.
conf() {
	local f=$BATS_TEST_TMPDIR/$1.conf kv
	printf 'name = %s\nconnector.class = test-sink\n' "$1" >"$f"
	shift
	for kv in "$@"; do
		printf '%s = %s\n' "${kv%%=*}" "${kv#*=}" >>"$f"
	done
	echo "$f"
}

# start_task OUT FILE: the task in the background, flushed records to OUT.out.
start_task() {
	"$TOOL" task -w "bootstrap.servers=127.0.0.1:$BROKER_PORT" -w offset.flush.interval.ms=200 \
		"$2" >"$BATS_TEST_TMPDIR/$1.out" 2>"$BATS_TEST_TMPDIR/$1.err" 3>&- &
	MEMBER_PIDS+=($!)
	TASK_PID=$!
}

# task_ends: wait for the task to end by itself; its exit status in $status.
task_ends() {
	status=0
	wait "$TASK_PID" || status=$?
}

# stop_task: SIGTERM, then task_ends.
stop_task() {
	kill -TERM "$TASK_PID"
	task_ends
}

# deliver OUT FILE OFFSETS: run the task until connect-app has committed
# OFFSETS, stop it (it must exit 0); $output is then "OFFSET VALUE" per
# record it flushed.
deliver() {
	start_task "$1" "$2"
	committed_is connect-app "$3"
	stop_task
	[ "$status" -eq 0 ]
	run cut -d' ' -f2,4 "$BATS_TEST_TMPDIR/$1.out"
}

@test "a sink task delivers each partition in order, and connect-NAME commits what it flushed" {
	slog-topics create t -P 2
	seq 1 30 | awk '{print "k" $1 ":v" $1}' | slog-produce -t t -p 0 -K:
	seq 1 20 | awk '{print "k" $1 ":v" $1}' | slog-produce -t t -p 1 -K:
	start_task s "$(conf app topics=t)"
	wait_for 200 has_lines "$BATS_TEST_TMPDIR/s.out" 50
	committed_is connect-app "t-0=30 t-1=20"
	stop_task
	[ "$status" -eq 0 ]
	[ "$(count_lines "$BATS_TEST_TMPDIR/s.out")" -eq 50 ]
	in_order "$BATS_TEST_TMPDIR/s.out"
	grep -q '^t-0 29 k30 v30$' "$BATS_TEST_TMPDIR/s.out"
	# The lag of each partition it read, as /metrics shows it.
	grep -q '^gauge sink_lag_records{topic="t",partition="0"} 0$' "$BATS_TEST_TMPDIR/s.err"
	run slog-groups describe connect-app --json
	[ "$(jq -r '.groups[0].members | length' <<<"$output")" = 0 ]
}

@test "a sink whose flush fails leaves the committed offsets unchanged, and a restart delivers again" {
	slog-topics create t -P 1
	seq 1 5 | slog-produce -t t
	f=$(conf app topics=t test.fail.flush=true)
	start_task bad "$f"
	task_ends
	[ "$status" -eq 1 ]
	grep -q 'sink-test-tool: task: the test sink refuses to flush' "$BATS_TEST_TMPDIR/bad.err"
	# Nothing delivered was committed (the start, offset 0, may be).
	run offsets connect-app
	[ "$output" = "" ] || [ "$output" = "t-0=0" ]
	[ "$(count_lines "$BATS_TEST_TMPDIR/bad.out")" -eq 0 ]

	deliver good "$(conf app topics=t)" "t-0=5"
	[ "$output" = $'0 1\n1 2\n2 3\n3 4\n4 5' ]
}

# The transforms of the next two tests: records whose value is "drop"
# are filtered out; insert-field fails on a value that is not JSON.
CHAIN=(transforms=skip,mark transforms.skip.type=filter 'transforms.skip.value.regex=^drop$'
       transforms.mark.type=insert-field transforms.mark.static.field=src
       transforms.mark.static.value=x)

@test "a record the transforms fail on goes to the dead-letter topic, a dropped one is passed over" {
	slog-topics create t -P 1
	printf '{"n":1}\nfail\ndrop\n{"n":2}\n' | slog-produce -t t
	deliver s "$(conf app topics=t "${CHAIN[@]}" errors.tolerance=all \
		errors.deadletterqueue.topic.name=dlq)" "t-0=4"
	[ "$output" = $'0 {"n":1,"src":"x"}\n3 {"n":2,"src":"x"}' ]
	run slog-consume -t dlq -e -f '%s %h\n'
	[ "$status" -eq 0 ]
	[[ "$output" == "fail "* ]]
	[[ "$output" == *"__connect.errors.stage=TRANSFORMATION"* ]]
	[[ "$output" == *"__connect.errors.offset=1"* ]]
	grep -q '^records 2 dead_letter 1 skipped 0 transform_errors 1$' "$BATS_TEST_TMPDIR/s.err"
}

@test "with errors.tolerance none a transform failure fails the task, committing nothing past the record" {
	slog-topics create t -P 1
	printf '{"n":1}\nfail\n{"n":2}\n' | slog-produce -t t
	start_task s "$(conf app topics=t "${CHAIN[@]}")"
	task_ends
	[ "$status" -eq 1 ]
	grep -q "TRANSFORMATION failed (errors.tolerance=none)" "$BATS_TEST_TMPDIR/s.err"
	run offsets connect-app
	[ "$output" = "" ] || [ "$output" = "t-0=1" ]
}

@test "a sink with topics.regex reads a topic created after it started" {
	slog-topics create app-1 -P 1
	echo one | slog-produce -t app-1
	start_task s "$(conf app 'topics.regex=^app-')"
	wait_for 200 has_lines "$BATS_TEST_TMPDIR/s.out" 1
	slog-topics create app-2 -P 1
	echo two | slog-produce -t app-2
	wait_for 400 grep -q '^app-2-0 0 NULL two$' "$BATS_TEST_TMPDIR/s.out"
	committed_is connect-app "app-1-0=1 app-2-0=1"
	stop_task
	[ "$status" -eq 0 ]
}

@test "a sink waits for a topic it names that is created after it started" {
	start_task s "$(conf app topics=later)"
	wait_for 200 grep -q "topic 'later' does not exist: reading it once it is created" \
		"$BATS_TEST_TMPDIR/s.err"
	slog-topics create later -P 1
	echo x | slog-produce -t later
	committed_is connect-app "later-0=1"
	stop_task
	[ "$status" -eq 0 ]
	[ "$(cat "$BATS_TEST_TMPDIR/s.out")" = "later-0 0 NULL x" ]
}
