#!/usr/bin/env bats
# slog-connect's exec connectors: a command's output into a topic
# (exec-source), records into a command (exec-sink).

load helpers
load connect

setup() {
	start_broker
	slog-topics create out
}

# has_lines TOPIC N: the topic holds at least N records.
has_lines() {
	[ "$(slog-consume -t "$1" -e | wc -l)" -ge "$2" ]
}

# exec_source NAME KEY=VALUE...: an exec-source connector's file, writing to out.
exec_source() {
	local name=$1
	shift
	connector_conf "$name" connector.class=exec-source topic=out "$@"
}

# ---- exec-source ----------------------------------------------------------

@test "exec-source: each line a command prints is a record, and a command that ends for good finishes the connector" {
	start_connect "$(exec_source seq 'exec.command=seq 1 100' exec.restart=never)"
	wait_for 400 has_lines out 100
	run --separate-stderr slog-consume -t out -e
	assert_output "$(seq 1 100)"
	wait_for 200 grep -q "seq: finished" "$CONNECT_LOG"
}

@test "exec-source: words are split as a shell would, without a shell" {
	start_connect "$(exec_source words "exec.command=printf '%s|%s\\n' 'a b' \"c d\" \$HOME" \
		exec.restart=never)"
	wait_for 400 has_lines out 2
	run --separate-stderr slog-consume -t out -e
	assert_output $'a b|c d\n$HOME|'
}

@test "exec-source: exec.shell=true runs the command with /bin/sh, and stderr goes to the log" {
	start_connect "$(exec_source sh 'exec.command=echo one; echo oops >&2; echo two' exec.shell=true \
		exec.restart=never)"
	wait_for 400 has_lines out 2
	run --separate-stderr slog-consume -t out -e
	assert_output $'one\ntwo'
	wait_for 200 grep -q "sh: /bin/sh: oops" "$CONNECT_LOG"
}

@test "exec-source: scheduled mode runs the command every exec.interval.ms" {
	start_connect "$(exec_source tick 'exec.command=echo tick' exec.mode=scheduled exec.interval.ms=200ms)"
	wait_for 400 has_lines out 3
	run --separate-stderr bash -c "slog-consume -t out -e | sort -u"
	assert_output tick
}

@test "exec-source: exec.restart=on-failure starts a failing command again, backing off" {
	start_connect "$(exec_source flaky 'exec.command=sh -c "echo try; exit 3"' exec.restart=on-failure)"
	wait_for 400 has_lines out 3
	grep -q "ended (exit 3)" "$CONNECT_LOG"
	grep -q "starting it again in 1000 ms" "$CONNECT_LOG"
	grep -q "starting it again in 2000 ms" "$CONNECT_LOG"
}

@test "exec-source: a command that prints offsets on fd 3 resumes from the last acknowledged one" {
	local script=$BATS_TEST_TMPDIR/gen.sh
	cat >"$script" <<-'EOF'
		n=${SLOG_CONNECT_OFFSET:-0}
		for i in 1 2 3; do
			n=$((n + 1))
			echo "line$n"
			echo "$n" >&$SLOG_CONNECT_OFFSET_FD
		done
	EOF
	local conf
	conf=$(exec_source gen "exec.command=sh $script" exec.restart=never)
	start_connect "$conf"
	wait_for 400 has_lines out 3
	wait_for 200 grep -q "gen: finished" "$CONNECT_LOG"
	stop_connect
	start_connect "$conf"
	wait_for 400 has_lines out 6
	grep -q "with SLOG_CONNECT_OFFSET=3" "$CONNECT_LOG"
	run --separate-stderr slog-consume -t out -e
	assert_output $'line1\nline2\nline3\nline4\nline5\nline6'
}

@test "exec-source: ndjson output keeps keys and headers" {
	start_connect "$(exec_source nd \
		"exec.command=printf '{\"key\":\"k\",\"value\":\"v\",\"headers\":{\"h\":\"x\"}}\\n'" \
		exec.format=ndjson exec.restart=never)"
	wait_for 400 has_lines out 1
	run --separate-stderr slog-consume -t out -e -J
	[[ "$output" == *'"key":"k","value":"v"'* ]]
	[[ "$output" == *'{"key":"h","value":"x"}'* ]]
}

@test "exec-source: a command that cannot start fails the connector, saying why" {
	start_connect "$(exec_source missing exec.command=/nonexistent/prog)"
	wait_for 200 grep -q "exec.command '/nonexistent/prog': No such file or directory" "$CONNECT_LOG"
	run --separate-stderr slog-connect status missing --url "$CONNECT_URL"
	[[ "$output" == *FAILED* ]]
}

@test "exec-source: a stop ends the command and delivers what it printed" {
	start_connect "$(exec_source forever 'exec.command=sh -c "seq 1 50; exec sleep 600"')"
	wait_for 400 has_lines out 50
	stop_connect
	run --separate-stderr slog-consume -t out -e
	assert_output "$(seq 1 50)"
	grep -q "stopped 'sh -c \"seq 1 50; exec sleep 600\"'" "$CONNECT_LOG"
}

@test "exec-source: check refuses a command with an open quote" {
	run --separate-stderr slog-connect check "$(exec_source bad "exec.command=echo 'open")"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"exec.command"* ]]
}
