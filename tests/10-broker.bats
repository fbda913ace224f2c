#!/usr/bin/env bats
# slog-broker as a daemon: configuration, readiness, locking, shutdown,
# systemd notification, and what survives a restart.

load helpers

@test "with no configuration the broker serves 127.0.0.1:9292 with data in ./slog-data" {
	cd "$BATS_TEST_TMPDIR"
	run --separate-stderr slog-broker --check-config
	assert_success
	assert_line "listeners = 127.0.0.1:9292  # default"
	assert_line "log.dirs = ./slog-data  # default"
	[ ! -e slog-data ]
}

@test "a config file, SLOG_ variables and --set layer in that order" {
	cat >"$BATS_TEST_TMPDIR/b.conf" <<-'CONF'
		# a comment
		num.partitions = 3
		log.retention.ms = 2d
		log.segment.bytes = 64MiB
	CONF
	SLOG_NUM_PARTITIONS=4 run --separate-stderr slog-broker -c "$BATS_TEST_TMPDIR/b.conf" \
		--set log.retention.ms=1h --check-config
	assert_success
	assert_line "num.partitions = 4  # env SLOG_NUM_PARTITIONS"
	assert_line "log.retention.ms = 3600000  # command line --set"
	assert_line "log.segment.bytes = 67108864  # file $BATS_TEST_TMPDIR/b.conf:4"
}

@test "an unknown key or a bad value is an error that names it" {
	run --separate-stderr slog-broker --set num.partitons=3 --check-config
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"unknown config key 'num.partitons'"* ]]
	run --separate-stderr slog-broker --set log.retention.ms=soon --check-config
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"log.retention.ms"* ]]
	printf 'num.partitions = 2\nlog.segment.bytes = huge\n' >"$BATS_TEST_TMPDIR/bad.conf"
	run --separate-stderr slog-broker -c "$BATS_TEST_TMPDIR/bad.conf" --check-config
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"bad.conf:2: log.segment.bytes"* ]]
	run --separate-stderr slog-broker -c /nonexistent/slog.conf
	[ "$status" -eq 1 ]
}

@test "--help-config lists every key with its default" {
	run --separate-stderr slog-broker --help-config
	assert_success
	assert_output --partial "log.flush.on.ack"
	assert_output --partial "retention.ms"
	assert_output --partial "auto.create.topics.enable"
}

@test "the broker answers health, readiness and metrics" {
	start_broker
	run curl -sf "$BROKER_URL/healthz"
	assert_success
	assert_output '{"status":"ok"}'
	run curl -sf "$BROKER_URL/readyz"
	assert_output '{"status":"ready"}'
	slog-topics create m
	echo hello | slog-produce -t m
	slog-consume -t m -e >/dev/null
	run curl -sf "$BROKER_URL/metrics"
	assert_success
	assert_line --partial 'slog_topic_records_in_total{topic="m"} 1'
	assert_line --partial 'slog_requests_total{api="produce",status="2xx"}'
	assert_line --partial 'slog_request_duration_seconds_bucket{api="fetch",le="+Inf"}'
	assert_line --partial 'slog_partition_log_end_offset{topic="m",partition="0"} 1'
	assert_line --partial 'slog_partition_size_bytes{topic="m",partition="0"}'
	assert_line --regexp '^process_resident_memory_bytes [0-9]+$'
}

@test "a second broker on the same data directory is refused, naming the first" {
	start_broker
	local first=$BROKER_PID
	run --separate-stderr slog-broker --set listeners=127.0.0.1:0 --set "log.dirs=$BROKER_DIR/data"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"is in use by another broker (pid $first)"* ]]
	run curl -sf "$BROKER_URL/healthz"
	assert_success
}

@test "SIGTERM stops the broker cleanly within 5 seconds" {
	start_broker
	slog-topics create t
	seq 1 1000 | slog-produce -t t
	local start=$SECONDS
	stop_broker
	[ $((SECONDS - start)) -le 5 ]
	grep -q "stopped$" "$BROKER_DIR/broker.log"
	[ -e "$BROKER_DIR/data/.clean-shutdown" ]
	[ -s "$BROKER_DIR/data/recovery-point-offset-checkpoint" ]
}

@test "SIGINT stops the broker too, answering a waiting fetch" {
	start_broker
	slog-topics create t
	echo x | slog-produce -t t
	curl -s "$BROKER_URL/v1/topics/t/partitions/0/records?offset=1&max_wait_ms=30000" \
		>"$BATS_TEST_TMPDIR/fetch.out" 3>&- &
	local curl_pid=$!
	wait_for 100 grep -q 'api="fetch"' <(curl -s "$BROKER_URL/metrics") || true
	sleep 0.2
	kill -INT "$BROKER_PID"
	wait_for 100 bash -c "! kill -0 $curl_pid 2>/dev/null"
	wait_for 200 bash -c "! kill -0 $BROKER_PID 2>/dev/null"
	local rc=0
	wait "$BROKER_PID" || rc=$?
	[ "$rc" -eq 0 ]
}

@test "under systemd the broker says READY=1 and STOPPING=1" {
	local sock=$BATS_TEST_TMPDIR/notify.sock
	"$SLOG_TEST_TOOL" notify-listen "$sock" 20 >"$BATS_TEST_TMPDIR/notify.out" 3>&- &
	local listener=$!
	wait_for 100 grep -q listening "$BATS_TEST_TMPDIR/notify.out"
	NOTIFY_SOCKET=$sock start_broker
	wait_for 100 grep -q READY=1 "$BATS_TEST_TMPDIR/notify.out"
	stop_broker
	wait "$listener"
	run cat "$BATS_TEST_TMPDIR/notify.out"
	assert_line READY=1
	assert_line STOPPING=1
}

@test "a restart keeps topics, their configs and their records" {
	start_broker
	slog-topics create kept -P 3 -c retention.ms=2d -c segment.bytes=1MiB
	seq 1 500 | slog-produce -t kept -K ,
	restart_broker
	run --separate-stderr slog-topics describe kept --json
	assert_success
	[ "$(echo "$output" | jq '.topics[0].partitions | length')" -eq 3 ]
	[ "$(echo "$output" | jq -r '.topics[0].configs[] | select(.name=="retention.ms") | .source')" = topic ]
	[ "$(echo "$output" | jq -r '.topics[0].configs[] | select(.name=="retention.ms") | .value')" = 172800000 ]
	run --separate-stderr slog-consume -t kept -e
	assert_success
	[ "$(echo "$output" | sort -n | tr '\n' ' ')" = "$(seq 1 500 | tr '\n' ' ')" ]
}

@test "after a crash (kill -9) the broker recovers every acknowledged record" {
	start_broker
	slog-topics create crash
	seq 1 20000 | slog-produce -t crash --acks all
	kill -KILL "$BROKER_PID"
	wait "$BROKER_PID" || true
	[ ! -e "$BROKER_DIR/data/.clean-shutdown" ]
	BROKER_PORT_WANTED=$BROKER_PORT start_broker
	run --separate-stderr slog-consume -t crash -e
	assert_success
	[ "${#lines[@]}" -eq 20000 ]
	[ "${lines[0]}" = 1 ]
	[ "${lines[19999]}" = 20000 ]
}

@test "a torn tail left by a crash is cut back to the last whole batch" {
	start_broker
	slog-topics create torn
	seq 1 100 | slog-produce -t torn
	local seg=$BROKER_DIR/data/torn-0/00000000000000000000.log
	kill -KILL "$BROKER_PID"
	wait "$BROKER_PID" || true
	# Half a batch of garbage, as a write cut short by power loss leaves.
	head -c 37 /dev/urandom >>"$seg"
	BROKER_PORT_WANTED=$BROKER_PORT start_broker
	grep -q "cut" "$BROKER_DIR/broker.log"
	run --separate-stderr slog-consume -t torn -e
	assert_success
	[ "${#lines[@]}" -eq 100 ]
	echo 101 | slog-produce -t torn
	run --separate-stderr slog-consume -t torn -e -o -1
	assert_output 101
}
