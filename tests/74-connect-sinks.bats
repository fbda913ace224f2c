#!/usr/bin/env bats
# slog-connect's file and exec sinks: records of a topic into files and
# commands, as group connect-<name>, committed only after they are written.

load helpers
load connect

setup() {
	start_broker
	OUT=$BATS_TEST_TMPDIR/out
	mkdir -p "$OUT"
}

# produce TOPIC FIRST LAST: the values FIRST..LAST, one record each,
# spread over the topic's partitions.
produce() {
	seq "$2" "$3" | slog-produce -t "$1" --partitioner roundrobin
}

# lines_in N GLOB...: the files hold N lines together (each GLOB is
# expanded at each call, so that files created meanwhile count).
lines_in() {
	local n=$1
	shift
	# shellcheck disable=SC2068
	[ "$(cat $@ 2>/dev/null | wc -l)" -eq "$n" ]
}

# distinct_in N GLOB...: the files hold N distinct lines together.
distinct_in() {
	local n=$1
	shift
	# shellcheck disable=SC2068
	[ "$(cat $@ 2>/dev/null | sort -u | wc -l)" -eq "$n" ]
}

@test "a file sink writes each value of a topic on its own line" {
	slog-topics create t
	produce t 1 5
	conf=$(connector_conf fs connector.class=file-sink topics=t "file.path=$OUT/t.txt")
	start_connect "$conf"
	wait_for 200 lines_in 5 "$OUT/t.txt"
	[ "$(cat "$OUT/t.txt")" = "$(seq 1 5)" ]
}

@test "Kafka's FileStreamSink config runs unchanged" {
	slog-topics create connect-test
	produce connect-test 1 3
	conf=$(connector_conf local-file-sink \
		connector.class=org.apache.kafka.connect.file.FileStreamSinkConnector tasks.max=1 \
		"file=$OUT/test.sink.txt" topics=connect-test)
	start_connect "$conf"
	wait_for 200 lines_in 3 "$OUT/test.sink.txt"
	[ "$(cat "$OUT/test.sink.txt")" = "$(seq 1 3)" ]
}

@test "check names what is wrong with a sink's keys" {
	run -1 --separate-stderr slog-connect check "$(connector_conf a connector.class=FileStreamSink topics=t)"
	assert_stderr_has "file.path (or Kafka's file): required"
	run -1 --separate-stderr slog-connect check "$(connector_conf b connector.class=file-sink \
		topics=t file.path=/x file.format=json)"
	assert_stderr_has "file.format: format 'json': not value, ndjson, or a format with % tokens"
	run -1 --separate-stderr slog-connect check "$(connector_conf c connector.class=http-sink \
		topics=t http.url=http://x 'http.retry.on=5xx,oops')"
	assert_stderr_has "http.retry.on: 'oops' is not a status (429), a class (5xx) or network"
	run -1 --separate-stderr slog-connect check "$(connector_conf d connector.class=exec-sink \
		topics=t "exec.command=echo 'x")"
	assert_stderr_has "exec.command: command 'echo 'x': unclosed quote"
}

@test "a file sink in ndjson writes what slog-consume -J prints" {
	slog-topics create t
	printf 'k1 v1\nk2 v2\n' | slog-produce -t t -K ' ' -H h=x
	conf=$(connector_conf fs connector.class=file-sink topics=t file.format=ndjson \
		"file.path=$OUT/t.ndjson")
	start_connect "$conf"
	wait_for 200 lines_in 2 "$OUT/t.ndjson"
	slog-consume -t t -e -J >"$BATS_TEST_TMPDIR/want"
	diff "$BATS_TEST_TMPDIR/want" "$OUT/t.ndjson"
}

@test "a file sink writes records by a slog-consume -f format" {
	slog-topics create t
	printf 'a 1\nb 2\n' | slog-produce -t t -K ' '
	conf=$(connector_conf fs connector.class=file-sink topics=t 'file.format=%k=%s@%o\n' \
		"file.path=$OUT/t.txt")
	start_connect "$conf"
	wait_for 200 lines_in 2 "$OUT/t.txt"
	[ "$(cat "$OUT/t.txt")" = "$(printf 'a=1@0\nb=2@1')" ]
}

@test "a file sink's path template gives each partition its own file" {
	slog-topics create t -P 2
	seq 1 20 | slog-produce -t t --partitioner roundrobin
	conf=$(connector_conf fs connector.class=file-sink topics=t "file.path=$OUT/%t/part-%p.txt")
	start_connect "$conf"
	wait_for 200 lines_in 20 "$OUT/t/part-0.txt" "$OUT/t/part-1.txt"
	slog-consume -t t -p 0 -e -f '%s\n' >"$BATS_TEST_TMPDIR/p0"
	diff "$BATS_TEST_TMPDIR/p0" "$OUT/t/part-0.txt"
}

@test "a file sink rolls to the next file before one passes file.max.bytes" {
	slog-topics create t
	produce t 100 199
	conf=$(connector_conf fs connector.class=file-sink topics=t "file.path=$OUT/t.log" \
		file.max.bytes=100)
	start_connect "$conf"
	wait_for 200 lines_in 100 "$OUT/t.log*"
	# 100 lines of 4 bytes: 25 a file, t.log then t.log.1 ... t.log.3, in order.
	[ "$(wc -c <"$OUT/t.log")" -eq 100 ]
	[ "$(cat "$OUT/t.log" "$OUT/t.log.1" "$OUT/t.log.2" "$OUT/t.log.3")" = "$(seq 100 199)" ]
	[ ! -e "$OUT/t.log.4" ]
}

@test "a file sink killed with kill -9 and restarted loses no record" {
	slog-topics create t -P 3
	produce t 1 3000
	conf=$(connector_conf fs connector.class=file-sink topics=t "file.path=$OUT/t-%p.txt")
	start_connect "$conf"
	wait_for 200 bash -c "cat '$OUT'/t-*.txt 2>/dev/null | grep -q ."
	kill_connect
	produce t 3001 5000
	start_connect "$conf"
	# The killed member's partitions come back once its session (10 s) ends.
	wait_for 800 distinct_in 5000 "$OUT/t-*.txt"
	# At least once: every value is there; a replay after the kill may repeat some.
	[ "$(cat "$OUT"/t-*.txt | sort -n | uniq)" = "$(seq 1 5000)" ]
}

# group_members GROUP N: the group has N members.
group_members() {
	slog-groups describe "$1" --json | jq -e --argjson n "$2" '.groups[0].members | length == $n'
}

# group_lag GROUP N: the group's total lag is N.
group_lag() {
	slog-groups describe "$1" --json | jq -e --argjson n "$2" '.groups[0].lag == $n'
}

@test "two sink processes of one connector split its partitions, and slog-groups shows their lag" {
	slog-topics create t -P 4
	conf=$(connector_conf shared connector.class=file-sink topics=t "file.path=$OUT/t-%p.txt")
	start_connect "$conf"
	FIRST_PID=$CONNECT_PID
	start_connect "$conf"
	wait_for 400 group_members connect-shared 2
	seq 1 400 | slog-produce -t t --partitioner roundrobin
	wait_for 400 distinct_in 400 "$OUT/t-*.txt"
	wait_for 400 group_lag connect-shared 0
	run --separate-stderr slog-groups describe connect-shared
	[ "$status" -eq 0 ]
	assert_line --partial 'Total lag: 0'
	# Each process holds its own partitions: no partition is held twice.
	held=$(slog-groups describe connect-shared --json |
		jq -r '.groups[0].members[].assignment[] | .topic as $t | .partitions[] | "\($t)-\(.)"' | sort)
	[ "$(wc -l <<<"$held")" -eq 4 ]
	[ "$(sort -u <<<"$held")" = "$held" ]
	kill -TERM "$FIRST_PID"
	reap "$FIRST_PID" 200
}

@test "an exec sink in batch mode hands every record to its command" {
	slog-topics create t
	produce t 1 50
	conf=$(connector_conf ex connector.class=exec-sink topics=t exec.shell=true \
		"exec.command=cat >> '$OUT/exec.txt'")
	start_connect "$conf"
	wait_for 200 lines_in 50 "$OUT/exec.txt"
	[ "$(cat "$OUT/exec.txt")" = "$(seq 1 50)" ]
}

@test "an exec sink retries a failing command until it succeeds" {
	slog-topics create t
	produce t 1 10
	# The first two runs fail; the third appends the batch.
	cat >"$BATS_TEST_TMPDIR/flaky" <<-EOF
		#!/bin/sh
		n=\$(cat '$OUT/runs' 2>/dev/null || echo 0)
		echo \$((n + 1)) >'$OUT/runs'
		[ "\$n" -ge 2 ] || exit 7
		cat >>'$OUT/exec.txt'
	EOF
	chmod +x "$BATS_TEST_TMPDIR/flaky"
	conf=$(connector_conf ex connector.class=exec-sink topics=t \
		"exec.command=$BATS_TEST_TMPDIR/flaky" errors.retry.timeout=30s \
		errors.retry.delay.max.ms=200)
	start_connect "$conf"
	wait_for 400 lines_in 10 "$OUT/exec.txt"
	[ "$(cat "$OUT/exec.txt")" = "$(seq 1 10)" ]
	grep -q "exit 7; retry 1" "$BATS_TEST_TMPDIR/connect.log"
}

@test "an exec sink whose command keeps failing dead-letters the batch once its retries are spent" {
	slog-topics create t
	slog-topics create dlq
	produce t 1 3
	conf=$(connector_conf ex connector.class=exec-sink topics=t exec.shell=true \
		"exec.command=exit 3" errors.retry.timeout=1s \
		errors.retry.delay.max.ms=200 errors.tolerance=all errors.deadletterqueue.topic.name=dlq)
	start_connect "$conf"
	wait_for 400 group_lag connect-ex 0
	run --separate-stderr slog-consume -t dlq -e -J
	[ "$status" -eq 0 ]
	[ "$(jq -r .value <<<"$output" | sort -n)" = "$(seq 1 3)" ]
	jq -e -s 'map(.headers | from_entries) | all(
		."__connect.errors.stage" == "TASK_PUT" and
		(."__connect.errors.exception.message" | test("exit 3")))' <<<"$output"
}

@test "an exec sink in stream mode delivers a record per answer line" {
	slog-topics create t
	produce t 1 20
	conf=$(connector_conf ex connector.class=exec-sink topics=t exec.mode=stream exec.shell=true \
		"exec.command=while read -r v; do echo \"\$v\" >> '$OUT/stream.txt'; echo ok; done")
	start_connect "$conf"
	wait_for 200 lines_in 20 "$OUT/stream.txt"
	[ "$(cat "$OUT/stream.txt")" = "$(seq 1 20)" ]
	wait_for 200 group_lag connect-ex 0
}
