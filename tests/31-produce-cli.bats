#!/usr/bin/env bats
# slog-produce as a user types it: missing and bad topics, -J partitions
# and the exact copy, interrupts, the -O report, -T and -l.
#
# Every broker here refuses to create topics on a produce, so every
# topic is created first, as a user of a real cluster does.

load helpers

setup() {
	start_broker --set auto.create.topics.enable=false
}

# A test that stops its broker (SIGSTOP) lets it go on before teardown
# ends it, so nothing is left stopped.
teardown() {
	local pid
	[ -n "${PROD:-}" ] && kill -KILL "$PROD" 2>/dev/null
	[ -n "${STUB:-}" ] && kill -TERM "$STUB" 2>/dev/null
	for pid in "${BROKER_PIDS[@]}"; do
		kill -CONT "$pid" 2>/dev/null || true
	done
	teardown_brokers
}

# The copy recipe's comparison: every record without its topic, in
# partition and offset order.
records_of() {
	slog-consume -t "$1" -e -J | jq -c 'del(.topic)' | sort -t, -k1,1 -k2,2n
}

@test "a produce to a topic that does not exist exits 1 and says how to create it" {
	run --separate-stderr bash -c 'echo x | slog-produce -t oders'
	[ "$status" -eq 1 ]
	assert_stderr_has "slog-produce: topic 'oders' does not exist; create it with: slog-topics create oders"
	run slog-topics list
	refute_listed oders
}

@test "a broker that answers 404 UNKNOWN_TOPIC_OR_PARTITION gets the same message" {
	"$SLOG_ROOT/tests/tool/stub-broker.py" UNKNOWN_TOPIC_OR_PARTITION 404 \
		>"$BATS_TEST_TMPDIR/stub" 2>&1 3>&- &
	STUB=$!
	wait_for 200 grep -q 'listening on' "$BATS_TEST_TMPDIR/stub"
	local port
	port=$(sed -n 's/listening on //p' "$BATS_TEST_TMPDIR/stub")
	run --separate-stderr bash -c "echo x | slog-produce -b 127.0.0.1:$port -t oders"
	[ "$status" -eq 1 ]
	assert_stderr_has "slog-produce: topic 'oders' does not exist; create it with: slog-topics create oders"
}

# second_line_fails TOPIC BAD MESSAGE: of -J lines to TOPIC, BAD and BAD
# again, the first is delivered and the others fail; stderr says MESSAGE.
second_line_fails() {
	slog-topics create "$1"
	printf '{"topic":"%s","value":"%s"}\n' "$1" 1 "$2" 2 "$2" 3 >"$BATS_TEST_TMPDIR/in"
	run --separate-stderr slog-produce -J <"$BATS_TEST_TMPDIR/in"
	[ "$status" -eq 1 ]
	assert_stderr_has "$3"
	run slog-consume -t "$1" -e
	assert_output 1
}

@test "a -J line naming a topic that does not exist is an error naming the line" {
	second_line_fails ta nope "line 2: topic 'nope' does not exist; create it with: slog-topics create nope"
}

@test "an invalid topic name is a usage error before any request" {
	# Nothing listens on port 1: a request would fail with exit 1.
	run --separate-stderr bash -c "echo x | slog-produce -b 127.0.0.1:1 -t 'bad name'"
	[ "$status" -eq 2 ]
	assert_stderr_has "invalid topic 'bad name'"
}

@test "an invalid topic on a -J line is an error naming the line" {
	second_line_fails tv 'a b' "line 2: invalid topic 'a b'"
}

@test "-J keeps each line's partition when -t names another topic" {
	slog-topics create src -P 3
	slog-topics create dst -P 3
	for p in 0 1 2; do
		echo "in-$p" | slog-produce -t src -p "$p"
	done
	slog-consume -t src -e -J | slog-produce -J -t dst
	run slog-consume -t dst -e -f '%p %s\n'
	[ "$(echo "$output" | sort)" = $'0 in-0\n1 in-1\n2 in-2' ]
}

@test "-p overrides the partition of -J lines" {
	slog-topics create pover -P 3
	printf '%s\n' '{"partition":0,"value":"a"}' '{"partition":1,"value":"b"}' | slog-produce -J -t pover -p 2
	run slog-consume -t pover -p 2 -e
	assert_output $'a\nb'
}

@test "a -J line whose partition the topic lacks is an error naming line, partition and count" {
	slog-topics create narrow
	run --separate-stderr bash -c "printf '%s\n' '{\"partition\":0,\"value\":\"a\"}' '{\"partition\":2,\"value\":\"b\"}' | slog-produce -J -t narrow"
	[ "$status" -eq 1 ]
	assert_stderr_has "line 2: topic 'narrow' has no partition 2 (it has 1)"
	run slog-consume -t narrow -e
	assert_output a
}

@test "copy a topic exactly: partitions, keys, values, headers, timestamps and offsets" {
	slog-topics create orders -P 3
	# Spread over every partition, so that placing again cannot match by chance.
	seq 1000 | slog-produce -t orders --partitioner roundrobin
	printf 'alice:login\nbob:logout\n' | slog-produce -t orders -K : -H via=test -H via=again
	printf '%s\n' '{"key_b64":"AP8=","value":null,"timestamp":1234}' | slog-produce -J -t orders -p 1
	# The README's recipe.
	slog-topics create orders-copy -P 3
	slog-consume -t orders -e -J | slog-produce -J -t orders-copy
	records_of orders >"$BATS_TEST_TMPDIR/a"
	records_of orders-copy >"$BATS_TEST_TMPDIR/b"
	[ "$(count_lines "$BATS_TEST_TMPDIR/a")" -eq 1003 ]
	cmp "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b"
}

# The broker of these tests is stopped (SIGSTOP) once the producer has
# its metadata: what is sent then gets no answer.  -T shows when the
# producer has read a record.
start_stalled_produce() {
	local timeout=$1
	slog-topics create rs
	mkfifo "$BATS_TEST_TMPDIR/in"
	slog-produce -t rs -T --timeout-ms "$timeout" <"$BATS_TEST_TMPDIR/in" \
		>"$BATS_TEST_TMPDIR/tee" 2>"$BATS_TEST_TMPDIR/err" 3>&- &
	PROD=$!
	exec 4>"$BATS_TEST_TMPDIR/in"
	echo c0 >&4
	wait_for 200 grep -qx c0 "$BATS_TEST_TMPDIR/tee"
	kill -STOP "$BROKER_PID"
	printf 'c1\nc2\n' >&4
	wait_for 200 grep -qx c2 "$BATS_TEST_TMPDIR/tee"
}

# The stalled producer's exit status is 1; its stderr is then $output.
stalled_produce_fails() {
	local rc=0
	wait "$PROD" || rc=$?
	[ "$rc" -eq 1 ]
	run cat "$BATS_TEST_TMPDIR/err"
}

@test "records whose answer never came are not acknowledged, and a retry may duplicate them" {
	start_stalled_produce 1500
	exec 4>&-
	stalled_produce_fails
	assert_output --partial "not acknowledged"
	assert_output --partial "may have been written"
	assert_output --regexp "[23] of 3 records were not acknowledged"
	refute_output --partial "not delivered"
}

@test "the first interrupt says how long slog-produce waits for how many records" {
	start_stalled_produce 60000
	kill -INT "$PROD"
	wait_for 100 grep -q 'interrupt again to give up' "$BATS_TEST_TMPDIR/err"
	run cat "$BATS_TEST_TMPDIR/err"
	assert_output --regexp "waiting up to (5[0-9]|60) s for [23] unacknowledged records; interrupt again to give up"
	# Still waiting; once the broker answers, every record is acknowledged.
	kill -0 "$PROD"
	kill -CONT "$BROKER_PID"
	wait "$PROD"
	run slog-consume -t rs -e
	assert_output $'c0\nc1\nc2'
}

@test "a second interrupt gives up at once with the unacknowledged count" {
	start_stalled_produce 60000
	kill -INT "$PROD"
	wait_for 100 grep -q 'interrupt again to give up' "$BATS_TEST_TMPDIR/err"
	kill -INT "$PROD"
	# Well before the 60 s timeout.
	wait_for 100 bash -c "! kill -0 $PROD"
	kill -0 "$PROD" 2>/dev/null && return 1
	stalled_produce_fails
	assert_output --regexp "gave up on [23] unacknowledged records"
	assert_output --regexp "[23] of 3 records were not acknowledged"
}

@test "-O prints partition and offset by default, and the topic with --report-format" {
	slog-topics create ta
	slog-topics create tb -P 2
	run --separate-stderr bash -c "printf '%s\n' '{\"topic\":\"ta\",\"value\":\"1\"}' '{\"topic\":\"tb\",\"partition\":1,\"value\":\"2\"}' | slog-produce -J -O"
	assert_success
	[ "$(echo "$output" | sort)" = $'0 0\n1 0' ]
	run --separate-stderr bash -c "printf '%s\n' '{\"topic\":\"ta\",\"value\":\"3\"}' | slog-produce -J -O --report-format '%t %p %o\n'"
	assert_success
	assert_output 'ta 0 1'
}

@test "--report-format prints the tokens of slog-consume -f" {
	slog-topics create rf -P 2
	run --separate-stderr bash -c "printf '%s\n' '{\"key\":\"k1\",\"value\":\"v\",\"timestamp\":1234}' | slog-produce -J -t rf -p 1 --report-format '%t|%p|%o|%k|%T|%s\n'"
	assert_success
	assert_output 'rf|1|0|k1|1234|v'
}

@test "--report-format json prints one object per record" {
	slog-topics create rj
	run --separate-stderr bash -c "printf '%s\n' '{\"key\":\"k\",\"value\":\"v\",\"timestamp\":99}' '{\"key_b64\":\"AP8=\",\"value\":\"w\"}' '{\"value\":\"x\"}' | slog-produce -J -t rj --report-format json"
	assert_success
	[ "${#lines[@]}" -eq 3 ]
	[ "$(echo "${lines[0]}" | jq -c .)" = '{"topic":"rj","partition":0,"offset":0,"timestamp":99,"key":"k"}' ]
	[ "$(echo "${lines[1]}" | jq -c '[.offset,.key_b64]')" = '[1,"AP8="]' ]
	[ "$(echo "${lines[2]}" | jq -c '[.offset,.key]')" = '[2,null]' ]
}

@test "-O takes no format: -O json is refused with a hint" {
	slog-topics create ta
	run --separate-stderr bash -c 'echo hi | slog-produce -t ta -O json'
	[ "$status" -eq 2 ]
	assert_stderr_has "--report-format json"
}

@test "-T copies each record to stdout as it is read" {
	slog-topics create tee
	run --separate-stderr bash -c "printf 'k:a\nb\n' | slog-produce -t tee -K : -T"
	assert_success
	assert_output $'k:a\nb'
	run slog-consume -t tee -e -f '%k=%s\n'
	assert_output $'k=a\n=b'
}

@test "-T cannot be used with -O: both write to stdout" {
	run --separate-stderr slog-produce -t x -T -O
	[ "$status" -eq 2 ]
	assert_stderr_has "cannot use -T with -O"
}

@test "-l reads FILE arguments record by record; -D '' keeps each file one record" {
	slog-topics create lf
	printf 'a\nb\n' >"$BATS_TEST_TMPDIR/f1"
	printf 'c\n' >"$BATS_TEST_TMPDIR/f2"
	slog-produce -t lf -l "$BATS_TEST_TMPDIR/f1" "$BATS_TEST_TMPDIR/f2"
	run slog-consume -t lf -e -f '[%s]'
	assert_output '[a][b][c]'
	run --separate-stderr slog-produce -t lf -l -D '' "$BATS_TEST_TMPDIR/f1"
	[ "$status" -eq 2 ]
	assert_stderr_has "cannot use -l with -D ''"
}
