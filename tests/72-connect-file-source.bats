#!/usr/bin/env bats
# slog-connect's file source: tail -F into a topic, through rotations,
# truncation and kill -9, with Kafka's FileStreamSource configs.

load helpers
load connect

setup() {
	start_broker
	LOGS=$BATS_TEST_TMPDIR/logs
	mkdir -p "$LOGS"
}

# values TOPIC: every value in the topic, one a line.
values() {
	slog-consume -t "$1" -e
}

# has_lines TOPIC N: the topic holds at least N records.
has_lines() {
	[ "$(slog-consume -t "$1" -e | wc -l)" -ge "$2" ]
}

# distinct TOPIC: how many different values the topic holds.
distinct() {
	slog-consume -t "$1" -e | sort -u | wc -l
}

# following PATH: the connector has opened PATH (read.from=end counts from then).
following() {
	wait_for 400 grep -q "following '$1' from" "$CONNECT_LOG"
}

# file_source NAME KEY=VALUE...: a file-source connector's file.
file_source() {
	local name=$1
	shift
	connector_conf "$name" connector.class=file-source "$@"
}

@test "lines appended to a followed file arrive in the topic, in order, with their path and offset" {
	slog-topics create app
	printf 'one\ntwo\n' >"$LOGS/app.log"
	start_connect "$(file_source tail file.paths="$LOGS/app.log" topic=app)"
	printf 'three\nfour\n' >>"$LOGS/app.log"
	wait_for 400 has_lines app 4
	run --separate-stderr values app
	assert_output $'one\ntwo\nthree\nfour'
	run --separate-stderr slog-consume -t app -e -c 2 -J
	[[ "${lines[1]}" == *"{\"key\":\"file.path\",\"value\":\"$LOGS/app.log\"}"* ]]
	[[ "${lines[1]}" == *'{"key":"file.offset","value":"4"}'* ]]
}

@test "file.headers=false sends lines without the file.path and file.offset headers" {
	slog-topics create app
	echo plain >"$LOGS/app.log"
	start_connect "$(file_source tail file.paths="$LOGS/app.log" topic=app file.headers=false)"
	wait_for 400 has_lines app 1
	run --separate-stderr slog-consume -t app -e -J
	[[ "$output" == *'"value":"plain"'* ]]
	[[ "$output" != *file.path* ]]
}

@test "an unterminated last line waits for its newline; key=path keys records by their file" {
	slog-topics create app
	start_connect "$(file_source tail file.paths="$LOGS/app.log" topic=app key=path)"
	printf 'whole\nhalf' >>"$LOGS/app.log"
	wait_for 400 has_lines app 1
	printf ' done\n' >>"$LOGS/app.log"
	wait_for 400 has_lines app 2
	run --separate-stderr slog-consume -t app -e -f '%k|%s\n'
	assert_output "$LOGS/app.log|whole
$LOGS/app.log|half done"
}

@test "files a glob matches later are followed from their first line" {
	slog-topics create app
	echo a1 >"$LOGS/a.log"
	echo ignored >"$LOGS/a.txt"
	start_connect "$(file_source glob "file.paths=$LOGS/*.log" topic=app read.from=end)"
	following "$LOGS/a.log"
	echo b1 >"$LOGS/b.log"
	echo a2 >>"$LOGS/a.log"
	wait_for 400 has_lines app 2
	run --separate-stderr bash -c "slog-consume -t app -e | sort"
	assert_output $'a2\nb1'
}

@test "rotation by rename loses no line, even lines written to the old file after the rename" {
	slog-topics create app
	start_connect "$(file_source tail file.paths="$LOGS/app.log" topic=app)"
	local i
	exec 4>>"$LOGS/app.log"
	for i in $(seq 1 3000); do
		echo "$i" >&4
		if [ $((i % 1000)) -eq 0 ]; then
			mv "$LOGS/app.log" "$LOGS/app.log.1"
			echo "$i-late" >&4 # the writer has not reopened yet
			exec 4>>"$LOGS/app.log"
		fi
	done
	exec 4>&-
	wait_for 600 has_lines app 3003
	run --separate-stderr bash -c "slog-consume -t app -e | sort -u | wc -l"
	assert_output 3003
	run --separate-stderr bash -c "slog-consume -t app -e | wc -l"
	assert_output 3003
	grep -q "renamed or deleted; reading it to its end" "$CONNECT_LOG"
}

@test "rotation by copytruncate loses no line and is logged as a truncation" {
	slog-topics create app
	start_connect "$(file_source tail file.paths="$LOGS/app.log" topic=app)"
	seq 1 1000 >>"$LOGS/app.log"
	wait_for 400 has_lines app 1000
	cp "$LOGS/app.log" "$LOGS/app.log.1"
	: >"$LOGS/app.log"
	seq 1001 1500 >>"$LOGS/app.log"
	wait_for 400 has_lines app 1500
	run --separate-stderr bash -c "slog-consume -t app -e | sort -n | uniq | wc -l"
	assert_output 1500
	run --separate-stderr values app
	[ "${lines[1000]}" = 1001 ]
	grep -q "app.log' was truncated" "$CONNECT_LOG"
}

# append_paced CHUNKS [ROTATE_EVERY]: lines 1..CHUNKS*200 to app.log, 200
# each 0.1 s; every ROTATE_EVERY chunks a rotation as logrotate's `create`
# makes it (app.log.1 -> app.log.2, app.log -> app.log.1).
append_paced() {
	local c
	for c in $(seq 0 $(($1 - 1))); do
		seq $((c * 200 + 1)) $((c * 200 + 200)) >>"$LOGS/app.log"
		if [ -n "${2:-}" ] && [ $(((c + 1) % $2)) -eq 0 ]; then
			[ -e "$LOGS/app.log.1" ] && mv "$LOGS/app.log.1" "$LOGS/app.log.2"
			mv "$LOGS/app.log" "$LOGS/app.log.1"
		fi
		sleep 0.1
	done
}

# kill_during N CHUNKS [ROTATE_EVERY]: slog-connect is killed with -9 once
# N lines arrived, and started again, while append_paced writes; then every
# line must arrive (else status 1).  Sets DUPS to how many came more than
# once.
kill_during() {
	local conf total
	conf=$(file_source tail file.paths="$LOGS/app.log" topic=app)
	start_connect "$conf" || return 1
	append_paced "$2" "${3:-}" &
	local writer=$!
	wait_for 400 has_lines app "$1" || return 1
	kill_connect
	start_connect "$conf" || return 1
	wait "$writer"
	total=$(($2 * 200))
	wait_for 600 bash -c "[ \$(slog-consume -t app -e | sort -u | wc -l) -ge $total ]" || return 1
	[ "$(slog-consume -t app -e | sort -n | uniq | wc -l)" -eq "$total" ] || return 1
	DUPS=$(($(slog-consume -t app -e | wc -l) - total))
}

@test "kill -9 mid-stream then a restart loses no line and repeats at most about a second of them" {
	slog-topics create app
	# 2000 lines a second for 5 s.  Not in a $(...) subshell: the second
	# slog-connect it starts must be known to this shell's teardown.
	kill_during 3000 50
	echo "duplicates after kill -9: $DUPS" >&3
	# Progress is saved every second: 2000 lines a second, and slack for a
	# busy machine's slower flushes.
	[ "$DUPS" -le 4000 ]
}

@test "kill -9 while logrotate renames (app.log -> .1 -> .2) loses no line" {
	slog-topics create app
	# 6000 lines over about 3 s, a rotation every 1000.
	kill_during 1500 30 5
}

@test "a stop saves progress: a restart repeats no line" {
	slog-topics create app
	local conf
	conf=$(file_source tail file.paths="$LOGS/app.log" topic=app)
	seq 1 500 >"$LOGS/app.log"
	start_connect "$conf"
	wait_for 400 has_lines app 500
	stop_connect
	seq 501 600 >>"$LOGS/app.log"
	start_connect "$conf"
	wait_for 400 has_lines app 600
	run --separate-stderr bash -c "slog-consume -t app -e | wc -l"
	assert_output 600
	stop_connect
	run --separate-stderr slog-connect -b "$SLOG_BROKERS" offsets tail --format json
	assert_success
	echo "$output"
	[[ "$output" == *"\"path\":\"$LOGS/app.log\""* ]]
	[[ "$output" == *"\"pos\":$(stat -c %s "$LOGS/app.log")"* ]]
}

@test "a stop while the broker is down takes seconds, and a restart delivers what was left" {
	slog-topics create app
	local conf
	conf=$(file_source tail file.paths="$LOGS/app.log" topic=app)
	seq 1 100 >"$LOGS/app.log"
	start_connect "$conf"
	wait_for 400 has_lines app 100
	stop_broker
	seq 101 200 >>"$LOGS/app.log"
	# stop_connect waits 20 s, then kills and fails.
	stop_connect
	restart_broker
	start_connect "$conf"
	wait_for 600 has_lines app 200
	[ "$(distinct app)" -eq 200 ]
}

@test "a Kafka FileStreamSource config runs unchanged" {
	slog-topics create connect-test
	cd "$BATS_TEST_TMPDIR"
	printf 'foo\nbar\n' >test.txt
	cat >connect-file-source.properties <<-'EOF'
		name=local-file-source
		connector.class=FileStreamSource
		tasks.max=1
		file=test.txt
		topic=connect-test
	EOF
	start_connect connect-file-source.properties
	wait_for 400 has_lines connect-test 2
	run --separate-stderr values connect-test
	assert_output $'foo\nbar'
}

@test "Kafka's full class name works too" {
	slog-topics create connect-test
	echo hello >"$LOGS/in.txt"
	start_connect "$(connector_conf full \
		connector.class=org.apache.kafka.connect.file.FileStreamSourceConnector \
		file="$LOGS/in.txt" topic=connect-test)"
	wait_for 400 has_lines connect-test 1
	run --separate-stderr values connect-test
	assert_output hello
}

@test "ndjson framing keeps keys, values and headers" {
	slog-topics create app
	cat >"$LOGS/app.ndjson" <<-'EOF'
		{"key":"k1","value":"v1","headers":[{"key":"h","value":"x"}]}
		{"key":"k2","value":"v2","headers":{"trace":"t-2"}}
	EOF
	start_connect "$(file_source nd file.paths="$LOGS/app.ndjson" topic=app file.format=ndjson)"
	wait_for 400 has_lines app 2
	run --separate-stderr slog-consume -t app -e -J
	[[ "${lines[0]}" == *'"key":"k1","value":"v1"'* ]]
	[[ "${lines[0]}" == *'{"key":"h","value":"x"}'* ]]
	[[ "${lines[1]}" == *'"key":"k2","value":"v2"'* ]]
	[[ "${lines[1]}" == *'{"key":"trace","value":"t-2"}'* ]]
	[[ "${lines[1]}" == *'"file.offset"'* ]]
}

@test "an ndjson line that does not parse goes to the dead-letter topic, and the next lines go on" {
	slog-topics create app
	slog-topics create app.dlq
	printf '{"value":"ok1"}\nnot json\n{"value":"ok2"}\n' >"$LOGS/app.ndjson"
	start_connect "$(file_source nd file.paths="$LOGS/app.ndjson" topic=app file.format=ndjson \
		errors.tolerance=all errors.deadletterqueue.topic.name=app.dlq)"
	wait_for 400 has_lines app 2
	wait_for 400 has_lines app.dlq 1
	run --separate-stderr values app
	assert_output $'ok1\nok2'
	run --separate-stderr slog-consume -t app.dlq -e -J
	[[ "$output" == *'"value":"not json"'* ]]
	[[ "$output" == *'"__connect.errors.stage","value":"VALUE_CONVERTER"'* ]]
	[[ "$output" == *"\"__connect.errors.source\",\"value\":\"file:$LOGS/app.ndjson@16\""* ]]
}

@test "read.from=end skips what a file held at start, not what comes later" {
	slog-topics create app
	seq 1 5 >"$LOGS/app.log"
	start_connect "$(file_source tail file.paths="$LOGS/app.log" topic=app read.from=end)"
	following "$LOGS/app.log"
	echo 6 >>"$LOGS/app.log"
	wait_for 400 has_lines app 1
	run --separate-stderr values app
	assert_output 6
}

@test "key=regex: takes the key from the line, and a line it does not match has none" {
	slog-topics create app
	printf 'user=ann did x\nno user here\n' >"$LOGS/app.log"
	start_connect "$(file_source rx file.paths="$LOGS/app.log" topic=app 'key=regex:user=([a-z]+)')"
	wait_for 400 has_lines app 2
	run --separate-stderr slog-consume -t app -e -f '%k|%s\n'
	assert_output $'ann|user=ann did x\n|no user here'
}

@test "a custom delimiter and a long-line limit" {
	slog-topics create app
	printf 'a;bb;this-is-too-long;c;' >"$LOGS/app.txt"
	start_connect "$(file_source d file.paths="$LOGS/app.txt" topic=app 'file.delimiter=;' \
		max.line.bytes=8 on.long.line=skip)"
	wait_for 400 has_lines app 3
	run --separate-stderr values app
	assert_output $'a\nbb\nc'
	grep -q "skipping a record of 16 bytes" "$CONNECT_LOG"
}

@test "file.exit.on.eof loads the files, waits for every acknowledgement, and exits 0" {
	slog-topics create app
	seq 1 100 >"$LOGS/a.log"
	printf 'x\ny' >"$LOGS/b.log" # no newline at its end: loaded all the same
	local conf
	conf=$(file_source batch "file.paths=$LOGS/*.log" topic=app file.exit.on.eof=true)
	run --separate-stderr timeout 60 slog-connect run --set "bootstrap.servers=$SLOG_BROKERS" \
		--set listeners= "$conf"
	[ "$status" -eq 0 ] || { echo "$stderr"; false; }
	run --separate-stderr bash -c "slog-consume -t app -e | sort"
	assert_output "$( (seq 1 100; echo x; echo y) | sort)"
}

@test "file.exit.on.eof fails (exit 1) when a file it matched cannot be read" {
	local unreadable=/proc/sys/vm/drop_caches # mode 0200: not even root reads it
	[ -e "$unreadable" ] && ! cat "$unreadable" 2>/dev/null || skip "no unreadable file here"
	slog-topics create app
	seq 1 10 >"$LOGS/a.log"
	local conf
	conf=$(file_source batch "file.paths=$LOGS/a.log,$unreadable" topic=app file.exit.on.eof=true)
	run --separate-stderr timeout 60 slog-connect run --set "bootstrap.servers=$SLOG_BROKERS" \
		--set listeners= "$conf"
	[ "$status" -eq 1 ] || { echo "$stderr"; false; }
	[[ "$stderr" == *"file '$unreadable' could not be read; the load is incomplete"* ]]
	run --separate-stderr bash -c "slog-consume -t app -e | wc -l"
	assert_output 10
}

@test "file.format=bytes makes a whole file one record" {
	slog-topics create app
	printf 'line 1\nline 2\n' >"$LOGS/doc.txt"
	local conf
	conf=$(file_source whole file.paths="$LOGS/doc.txt" topic=app file.format=bytes \
		file.exit.on.eof=true)
	run --separate-stderr timeout 60 slog-connect run --set "bootstrap.servers=$SLOG_BROKERS" \
		--set listeners= "$conf"
	[ "$status" -eq 0 ]
	run --separate-stderr slog-consume -t app -e -J
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *'"value":"line 1\nline 2\n"'* ]]
}

@test "a bad key or missing file.paths is refused by check, naming the key" {
	run --separate-stderr slog-connect check "$(file_source bad file.paths=/x topic=t key=bogus)"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"key: 'bogus' is not none, path or regex:<re>"* ]]
	run --separate-stderr slog-connect check "$(file_source bad2 topic=t)"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"file.paths: required"* ]]
	run --separate-stderr slog-connect check "$(file_source bad3 file.paths=/x topic=t 'key=regex:(a)(b)')"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"has 2 groups; it needs one"* ]]
}

@test "/metrics shows each file's lag in bytes" {
	slog-topics create app
	seq 1 10 >"$LOGS/app.log"
	start_connect "$(file_source tail file.paths="$LOGS/app.log" topic=app)"
	wait_for 400 has_lines app 10
	wait_for 100 bash -c "curl -sf '$CONNECT_URL/metrics' | grep -q 'source_lag_bytes{.*file=\"$LOGS/app.log\"} 0'"
}

@test "a file renamed while slog-connect was killed is found again and its rest delivered" {
	slog-topics create app
	local conf
	conf=$(file_source tail file.paths="$LOGS/app.log" topic=app)
	start_connect "$conf"
	seq 1 1000 >>"$LOGS/app.log"
	wait_for 400 has_lines app 1000
	# Progress is saved once a second: kill it once it was.
	local size
	size=$(stat -c %s "$LOGS/app.log")
	wait_for 200 bash -c "slog-connect -b '$SLOG_BROKERS' offsets tail --format json | grep -q '\"pos\":$size'"
	kill_connect
	seq 1001 1500 >>"$LOGS/app.log"
	mv "$LOGS/app.log" "$LOGS/app.log.1"
	seq 1501 2000 >>"$LOGS/app.log"
	start_connect "$conf"
	wait_for 400 has_lines app 2000
	wait_for 200 grep -q "app.log.1' was rotated while not followed" "$CONNECT_LOG"
	run --separate-stderr bash -c "slog-consume -t app -e | sort -n | uniq | wc -l"
	assert_output 2000
}
