#!/usr/bin/env bats
# slog-connect's HTTP sink against a scripted endpoint (tests/tool/http-target.py):
# retries, Retry-After, dead letters, and nothing dropped.

load helpers
load connect

TARGET_PID=

setup() {
	start_broker
	TARGET_LOG=$BATS_TEST_TMPDIR/target.log
	TARGET_PORT=$(free_ports 1)
}

teardown() {
	stop_target
	teardown_connect
	teardown_brokers
}

# start_target [--script LIST] [--then STATUS]: the endpoint on TARGET_PORT.
start_target() {
	python3 "$SLOG_ROOT/tests/tool/http-target.py" "$TARGET_PORT" "$TARGET_LOG" "$@" \
		>"$BATS_TEST_TMPDIR/target.out" 2>&1 3>&- &
	TARGET_PID=$!
	wait_for 200 grep -q listening "$BATS_TEST_TMPDIR/target.out"
}

stop_target() {
	[ -n "$TARGET_PID" ] || return 0
	kill -TERM "$TARGET_PID" 2>/dev/null
	reap "$TARGET_PID" 100
	TARGET_PID=
}

# requests [STATUS]: how many requests the endpoint answered (with STATUS).
requests() {
	jq -s --argjson s "${1:-0}" '[.[] | select($s == 0 or .status == $s)] | length' "$TARGET_LOG" 2>/dev/null
}

# answered N [STATUS]: the endpoint has answered N requests (with STATUS).
answered() {
	[ "$(requests "${2:-0}")" -eq "$1" ]
}

# topic_holds TOPIC N: TOPIC holds N records.
topic_holds() {
	[ "$(slog-consume -t "$1" -e -f '%o\n' | wc -l)" -eq "$2" ]
}

# The values the endpoint took with 2xx answers, one a line, in order.
delivered_values() {
	jq -r 'select(.status < 300) | .body' "$TARGET_LOG" | jq -r '.value' 2>/dev/null
}

# http_conf NAME KEY=VALUE...: an http-sink on topic t aimed at the endpoint.
http_conf() {
	local name=$1
	shift
	connector_conf "$name" connector.class=http-sink topics=t \
		"http.url=http://127.0.0.1:$TARGET_PORT/in/%t/%p" errors.retry.delay.max.ms=200 "$@"
}

@test "an HTTP sink against 500, then 400, then 200 drops nothing and dead-letters the 400's records" {
	slog-topics create t
	slog-topics create dlq
	seq 1 10 | slog-produce -t t
	start_target --script 500,400 --then 200
	conf=$(http_conf hs batch.max.records=5 errors.tolerance=all \
		errors.deadletterqueue.topic.name=dlq)
	start_connect "$conf"
	wait_for 400 answered 1 200
	# The first batch: 500, sent again, 400: to the dead-letter topic.
	jq -s -e '[.[].status] == [500, 400, 200]' "$TARGET_LOG"
	jq -s -e '.[0].headers["idempotency-key"] == "t-0-0-4" and .[0].body == .[1].body' "$TARGET_LOG"
	jq -s -e '.[2].headers["idempotency-key"] == "t-0-5-9" and .[2].path == "/in/t/0"' "$TARGET_LOG"
	[ "$(delivered_values)" = "$(seq 6 10)" ]
	# The dead letters are acknowledged before the commit that follows the 200.
	wait_for 400 topic_holds dlq 5
	run --separate-stderr slog-consume -t dlq -e -J
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 5 ]
	[ "$(jq -r .value <<<"$output")" = "$(seq 1 5)" ]
	jq -e -s 'map(.headers | from_entries) | all(
		."__connect.errors.topic" == "t" and ."__connect.errors.partition" == "0" and
		."__connect.errors.connector.name" == "hs" and ."__connect.errors.stage" == "TASK_PUT" and
		(."__connect.errors.exception.message" | test("HTTP 400: request 2: no")))' <<<"$output"
	jq -e -s 'map(.headers | from_entries | ."__connect.errors.offset") == ["0","1","2","3","4"]' <<<"$output"
}

@test "an HTTP sink waits as long as Retry-After asks" {
	slog-topics create t
	seq 1 3 | slog-produce -t t
	start_target --script 503@2 --then 200
	start_connect "$(http_conf hs)"
	wait_for 400 answered 1 200
	jq -s -e '(.[1].time - .[0].time) >= 1.9' "$TARGET_LOG"
	[ "$(delivered_values)" = "$(seq 1 3)" ]
}

@test "an HTTP sink retries while the endpoint is down and delivers once it is up" {
	slog-topics create t
	seq 1 3 | slog-produce -t t
	start_connect "$(http_conf hs)"
	wait_for 400 grep -q "retry 1 in" "$BATS_TEST_TMPDIR/connect.log"
	start_target
	wait_for 400 answered 1 200
	[ "$(delivered_values)" = "$(seq 1 3)" ]
}

@test "an HTTP sink with no dead-letter topic fails on a 400 and commits nothing" {
	slog-topics create t
	seq 1 3 | slog-produce -t t
	start_target --then 400
	start_connect "$(http_conf hs)"
	wait_for 400 grep -q "errors.tolerance=none.*HTTP 400: request 1: no" "$BATS_TEST_TMPDIR/connect.log"
	# The failed task restarts from the committed offsets: once the endpoint
	# takes them, the same records come again.
	stop_target
	start_target
	wait_for 600 answered 1 200
	[ "$(delivered_values)" = "$(seq 1 3)" ]
}

@test "an HTTP sink sends its headers and bearer token, a secret read from a file" {
	slog-topics create t
	echo hello | slog-produce -t t
	printf 's3cret\n' >"$BATS_TEST_TMPDIR/token"
	start_target
	start_connect "$(http_conf hs "http.auth.bearer=\${file:$BATS_TEST_TMPDIR/token}" \
		'http.headers=X-One: 1|X-Two: two words')"
	wait_for 400 answered 1 200
	jq -s -e '.[0].headers | .authorization == "Bearer s3cret" and ."x-one" == "1" and
		."x-two" == "two words" and ."content-type" == "application/x-ndjson"' "$TARGET_LOG"
}

@test "an HTTP sink sends a JSON array, or one value per request" {
	slog-topics create t
	seq 1 3 | slog-produce -t t
	start_target
	start_connect "$(http_conf arr http.format=json-array)"
	wait_for 400 answered 1 200
	jq -s -e '.[0].body | fromjson | map(.value) == ["1","2","3"]' "$TARGET_LOG"
	stop_connect
	: >"$TARGET_LOG"
	start_connect "$(http_conf rec http.format=record)"
	wait_for 400 answered 3 200
	jq -s -e 'map(.body) == ["1","2","3"] and
		map(.headers["idempotency-key"]) == ["t-0-0-0","t-0-1-1","t-0-2-2"]' "$TARGET_LOG"
}

@test "an HTTP sink stops at once while a slow server holds its request, and sends it again later" {
	slog-topics create t
	seq 1 3 | slog-produce -t t
	start_target --script 200~60
	start_connect "$(http_conf hs)"
	wait_for 400 answered 1
	SECONDS=0
	stop_connect
	[ "$SECONDS" -lt 10 ]
	# The request was never answered, so nothing was committed: a new run
	# sends it again (the held request's line is cleared, so that only the
	# new run's requests count).
	stop_target
	: >"$TARGET_LOG"
	start_target
	start_connect "$(http_conf hs)"
	wait_for 400 answered 1 200
	[ "$(delivered_values)" = "$(seq 1 3)" ]
}
