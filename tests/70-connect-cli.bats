#!/usr/bin/env bats
# slog-connect's command line: usage errors, check, connector files
# (Kafka's names, ${ENV}, unknown keys), and run's life: it starts its
# connectors, stops cleanly on SIGTERM, reloads on SIGHUP, and restarts a
# failing connector alone.

load helpers
load connect

# A Kafka Connect standalone file source config, as Kafka ships it.
kafka_file_source() {
	cat >"$BATS_TEST_TMPDIR/connect-file-source.properties" <<EOF2
name=local-file-source
connector.class=FileStreamSource
tasks.max=1
file=$BATS_TEST_TMPDIR/test.txt
topic=connect-test
EOF2
	printf '%s\n' "$BATS_TEST_TMPDIR/connect-file-source.properties"
}

@test "slog-connect without a command is a usage error" {
	run -2 --separate-stderr slog-connect
	[ -z "$output" ]
	[[ "$stderr" == *"usage: slog-connect"* ]]
}

@test "an unknown command is a usage error naming it" {
	run -2 --separate-stderr slog-connect frobnicate
	[[ "$stderr" == *"frobnicate"* ]]
	[[ "$stderr" == *"usage: slog-connect"* ]]
}

@test "check without a file is a usage error" {
	run -2 --separate-stderr slog-connect check
	[[ "$stderr" == *"usage: slog-connect"* ]]
}

@test "an option of another command is a usage error" {
	run -2 --separate-stderr slog-connect check --reset x.conf
	[[ "$stderr" == *"--reset is not an option of check"* ]]
	run -2 --separate-stderr slog-connect offsets app --reset --set-offset '{}'
	[[ "$stderr" == *"cannot use --reset with --set-offset"* ]]
	run -2 --separate-stderr slog-connect status --format yaml
	[[ "$stderr" == *"--format: 'yaml'"* ]]
}

@test "-h lists the commands on stdout and -V prints the version" {
	run -0 --separate-stderr slog-connect -h
	assert_output --partial "usage: slog-connect"
	assert_output --partial "check FILE"
	[ -z "$stderr" ]
	run -0 slog-connect -V
	assert_line --index 0 --regexp '^slog-connect [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "check accepts Kafka's FileStreamSource config unchanged and prints the resolved keys" {
	local f
	f=$(kafka_file_source)
	run -0 --separate-stderr slog-connect check "$f"
	assert_line --partial "connector local-file-source, class file-source"
	assert_line "topic = connect-test  # file $f:5"
	assert_line --regexp "^tasks.max = 1  # file .*:3$"
}

@test "check names an unknown key with its file and line" {
	local f
	f=$(connector_conf typo connector.class=file-source "file=$BATS_TEST_TMPDIR/in.txt" \
		topic=t fiel.paths=x)
	run -1 --separate-stderr slog-connect check "$f"
	[ -z "$output" ]
	[[ "$stderr" == *"$f:5"* ]]
	[[ "$stderr" == *"fiel.paths"* ]]
}

@test "check of several files reports every broken one and exits 1" {
	local good bad1 bad2
	good=$(connector_conf good connector.class=file-source "file=$BATS_TEST_TMPDIR/a" topic=t)
	bad1=$(connector_conf bad1 connector.class=no-such-class)
	bad2=$(connector_conf bad2 connector.class=file-source tasks.max=lots)
	run -1 --separate-stderr slog-connect check "$bad1" "$good" "$bad2"
	[[ "$stderr" == *"unknown class 'no-such-class'"* ]]
	[[ "$stderr" == *"$bad2:3: tasks.max"* ]]
	assert_line --partial "connector good, class file-source"
}

@test "\${ENV} and \${ENV:-default} are replaced; an unset variable is an error naming it" {
	local f
	f=$(connector_conf 'app-${CONNECT_TEST_HOST}' connector.class=file-source \
		'file=${CONNECT_TEST_DIR:-/var/log}/app.log' 'topic=${CONNECT_TEST_TOPIC}')
	CONNECT_TEST_HOST=web1 CONNECT_TEST_TOPIC=logs run -0 --separate-stderr slog-connect check "$f"
	assert_line --partial "connector app-web1"
	assert_line --regexp '^file = /var/log/app.log  # '
	assert_line --regexp '^topic = logs  # '
	CONNECT_TEST_HOST=web1 run -1 --separate-stderr slog-connect check "$f"
	[[ "$stderr" == *"$f:4: topic"* ]]
	[[ "$stderr" == *"CONNECT_TEST_TOPIC is not set"* ]]
}

@test "Kafka's TimestampRouter placeholders \${topic} and \${timestamp} are left for the transform" {
	local f
	f=$(connector_conf tr connector.class=file-sink file=/tmp/out topics=t transforms=r \
		transforms.r.type=TimestampRouter 'transforms.r.topic.format=${topic}-${timestamp}')
	run -0 --separate-stderr slog-connect check "$f"
	assert_line --regexp '^transforms.r.topic.format = \$\{topic\}-\$\{timestamp\}  # '
}

@test "--set overrides a connector's key and an unknown one is refused" {
	local f
	f=$(kafka_file_source)
	run -0 --separate-stderr slog-connect --set topic=other check "$f"
	assert_line "topic = other  # command line --set"
	run -1 --separate-stderr slog-connect --set no.such.key=1 check "$f"
	[[ "$stderr" == *"no.such.key"* ]]
}

@test "status without a running slog-connect fails naming where it looked" {
	local port
	port=$(free_ports 1)
	run -1 --separate-stderr slog-connect --url "http://127.0.0.1:$port" status
	[[ "$stderr" == *"127.0.0.1:$port"* ]]
}

@test "run starts Kafka's file source config and stops cleanly on SIGTERM" {
	start_broker
	slog-topics create connect-test
	printf 'one\ntwo\n' >"$BATS_TEST_TMPDIR/test.txt"
	start_connect "$(kafka_file_source)"
	wait_for 200 connect_ready
	run -0 slog-consume -t connect-test -e -o beginning
	assert_output $'one\ntwo'
	stop_connect
	grep -q 'stopped$' "$CONNECT_LOG"
}

@test "run - reads one connector from stdin" {
	start_broker
	slog-topics create stdin-topic
	printf 'x\n' >"$BATS_TEST_TMPDIR/in.txt"
	printf 'name = from-stdin\nconnector.class = file-source\nfile = %s\ntopic = stdin-topic\n' \
		"$BATS_TEST_TMPDIR/in.txt" >"$BATS_TEST_TMPDIR/stdin.conf"
	start_connect - <"$BATS_TEST_TMPDIR/stdin.conf"
	wait_for 200 bash -c "slog-consume -t stdin-topic -e -o beginning | grep -qx x"
	stop_connect
}

@test "a connector with enabled = false is loaded but not run" {
	start_broker
	start_connect "$(connector_conf idle connector.class=file-source \
		"file=$BATS_TEST_TMPDIR/none.txt" topic=t enabled=false)"
	run -0 --separate-stderr slog-connect --url "$CONNECT_URL" status idle --format json
	[ "$(jq -r .connector.state <<<"$output")" = STOPPED ]
	stop_connect
}

@test "SIGHUP starts an added connector and keeps one whose file broke" {
	start_broker
	slog-topics create ta tb
	mkdir "$BATS_TEST_TMPDIR/d"
	printf 'a\n' >"$BATS_TEST_TMPDIR/a.txt"
	printf 'b\n' >"$BATS_TEST_TMPDIR/b.txt"
	printf 'name = a\nconnector.class = file-source\nfile = %s\ntopic = ta\n' \
		"$BATS_TEST_TMPDIR/a.txt" >"$BATS_TEST_TMPDIR/d/a.conf"
	start_connect "$BATS_TEST_TMPDIR/d"
	printf 'name = b\nconnector.class = file-source\nfile = %s\ntopic = tb\n' \
		"$BATS_TEST_TMPDIR/b.txt" >"$BATS_TEST_TMPDIR/d/b.conf"
	printf 'oops\n' >>"$BATS_TEST_TMPDIR/d/a.conf"
	kill -HUP "$CONNECT_PID"
	wait_for 200 bash -c "slog-consume -t tb -e -o beginning | grep -qx b"
	grep -q "reload: .*a.conf:5" "$CONNECT_LOG"
	run -0 --separate-stderr slog-connect --url "$CONNECT_URL" status a --format json
	[ "$(jq -r .connector.state <<<"$output")" = RUNNING ]
	stop_connect
}

@test "a failing connector restarts alone, with a growing backoff, while the others run" {
	start_broker
	slog-topics create good
	printf 'g\n' >"$BATS_TEST_TMPDIR/g.txt"
	printf 'm\n' >"$BATS_TEST_TMPDIR/m.txt"
	start_connect "$(connector_conf good connector.class=file-source \
		"file=$BATS_TEST_TMPDIR/g.txt" topic=good)" \
		"$(connector_conf bad connector.class=file-source \
		"file=$BATS_TEST_TMPDIR/m.txt" topic=missing)"
	wait_for 200 bash -c "slog-consume -t good -e -o beginning | grep -qx g"
	# Failed at start, after 1 s, then waits 2 s: the backoff doubles.
	wait_for 200 grep -q 'bad: failed: .*missing.*; restarting in 2 s' "$CONNECT_LOG"
	run -0 --separate-stderr slog-connect --url "$CONNECT_URL" status bad --format json
	[ "$(jq -r '.tasks[0].state' <<<"$output")" = FAILED ]
	[[ "$(jq -r '.tasks[0].trace' <<<"$output")" == *"'missing' does not exist"* ]]
	run -0 --separate-stderr slog-connect --url "$CONNECT_URL" status good --format json
	[ "$(jq -r '.tasks[0].state' <<<"$output")" = RUNNING ]
	run -1 grep -q 'good: restarting' "$CONNECT_LOG"
	# Once the topic exists, the next restart delivers.
	slog-topics create missing
	wait_for 300 bash -c "slog-consume -t missing -e -o beginning | grep -qx m"
	stop_connect
}

@test "offsets shows a stopped source's saved position, and --reset forgets it" {
	start_broker
	slog-topics create t
	printf 'a\nb\n' >"$BATS_TEST_TMPDIR/in.txt"
	start_connect "$(connector_conf reader connector.class=file-source \
		"file=$BATS_TEST_TMPDIR/in.txt" topic=t)"
	wait_for 200 bash -c "[ \$(slog-consume -t t -e -o beginning | wc -l) -eq 2 ]"
	stop_connect
	run -0 --separate-stderr slog-connect offsets reader
	assert_output --partial "\"path\":\"$BATS_TEST_TMPDIR/in.txt\""
	assert_output --partial '"pos":4'
	run -0 --separate-stderr slog-connect offsets reader --format json
	[ "$(jq '.offsets | length' <<<"$output")" -eq 1 ]
	run -0 --separate-stderr slog-connect offsets reader --reset
	[ -z "$output" ]
	run -0 --separate-stderr slog-connect offsets reader
	[ -z "$output" ]
}

@test "mirror takes only promote, and promote refuses a topic that is no mirror" {
	run -2 --separate-stderr slog-connect mirror demote t
	[[ "$stderr" == *"unknown action 'demote'"* ]]
	start_broker
	slog-topics create plain
	run -1 --separate-stderr slog-connect mirror promote plain
	[[ "$stderr" == *"cannot promote 'plain'"* ]]
}

@test "under systemd run says READY=1, RELOADING=1 around a reload, and STOPPING=1" {
	local sock=$BATS_TEST_TMPDIR/notify.sock
	start_broker
	slog-topics create t
	"$SLOG_TEST_TOOL" notify-listen "$sock" 30 >"$BATS_TEST_TMPDIR/notify.out" 3>&- &
	local listener=$!
	wait_for 100 grep -q listening "$BATS_TEST_TMPDIR/notify.out"
	NOTIFY_SOCKET=$sock start_connect "$(connector_conf n connector.class=file-source \
		"file=$BATS_TEST_TMPDIR/in.txt" topic=t)"
	wait_for 100 grep -q READY=1 "$BATS_TEST_TMPDIR/notify.out"
	kill -HUP "$CONNECT_PID"
	wait_for 100 grep -q RELOADING=1 "$BATS_TEST_TMPDIR/notify.out"
	stop_connect
	wait "$listener"
	run cat "$BATS_TEST_TMPDIR/notify.out"
	assert_line RELOADING=1
	assert_line STOPPING=1
	[ "$(grep -c READY=1 "$BATS_TEST_TMPDIR/notify.out")" -eq 2 ]
}

@test "check names a bad transform key with its file and line" {
	local f
	f=$(connector_conf tr connector.class=file-source "file=$BATS_TEST_TMPDIR/a" topic=t \
		transforms=drop transforms.drop.type=filter transforms.drop.no.such=1)
	run -1 --separate-stderr slog-connect check "$f"
	[[ "$stderr" == *"$f:7"* ]]
	[[ "$stderr" == *"no.such"* ]]
}

@test "check accepts Kafka's FileStreamSink config unchanged" {
	cat >"$BATS_TEST_TMPDIR/connect-file-sink.properties" <<EOF2
name=local-file-sink
connector.class=FileStreamSink
tasks.max=1
file=$BATS_TEST_TMPDIR/test.sink.txt
topics=connect-test
EOF2
	run -0 --separate-stderr slog-connect check "$BATS_TEST_TMPDIR/connect-file-sink.properties"
	assert_line --partial "connector local-file-sink, class file-sink"
	assert_line --regexp '^topics = connect-test  # '
}

@test "with file.exit.on.eof run is a batch load: it exits 0 once everything is delivered" {
	start_broker
	slog-topics create batch
	seq 1 100 >"$BATS_TEST_TMPDIR/in.txt"
	run -0 --separate-stderr timeout 60 slog-connect --set listeners= run \
		"$(connector_conf load connector.class=file-source "file=$BATS_TEST_TMPDIR/in.txt" \
			topic=batch file.exit.on.eof=true)"
	run -0 --separate-stderr slog-consume -t batch -e -o beginning
	[ "${#lines[@]}" -eq 100 ]
}

@test "a second SIGTERM exits at once while a connector still drains" {
	start_broker
	slog-topics create t
	# A broker that does not answer: the connector's drain waits for it.
	kill -STOP "$BROKER_PID"
	printf 'a\n' >"$BATS_TEST_TMPDIR/in.txt"
	start_connect "$(connector_conf s connector.class=file-source \
		"file=$BATS_TEST_TMPDIR/in.txt" topic=t)"
	kill -TERM "$CONNECT_PID"
	wait_for 100 grep -q 'stopping: every connector drains' "$CONNECT_LOG"
	kill -0 "$CONNECT_PID"
	kill -TERM "$CONNECT_PID"
	local rc=0
	wait_for 100 bash -c "! kill -0 $CONNECT_PID 2>/dev/null"
	wait "$CONNECT_PID" || rc=$?
	kill -CONT "$BROKER_PID"
	[ "$rc" -eq 1 ]
	grep -q 'second signal: exiting before every connector drained' "$CONNECT_LOG"
}
