#!/usr/bin/env bats
# slog-connect's http-source: webhooks and NDJSON posts into topics,
# answered 2xx only once the broker has every record.

load helpers
load connect

setup() {
	start_broker
	slog-topics create hooks
	HTTP_PORT=$(free_ports 1)
	HTTP_URL=http://127.0.0.1:$HTTP_PORT
}

# start_source KEY=VALUE...: an http-source on $HTTP_URL writing to hooks.
start_source() {
	local conf
	conf=$(connector_conf web connector.class=http-source "http.listener=$HTTP_URL" topic=hooks "$@")
	start_connect "$conf"
	wait_for 200 connect_ready
}

# post PATH BODY [CURL_ARGS...]: the status, the body in $BATS_TEST_TMPDIR/answer.
post() {
	local path=$1 body=$2
	shift 2
	curl -s -o "$BATS_TEST_TMPDIR/answer" -D "$BATS_TEST_TMPDIR/answer.headers" \
		-w '%{http_code}' --data-binary "$body" "$@" "$HTTP_URL$path"
}

@test "a POST of NDJSON lands in the topic one record a line, keyed by key.pointer" {
	start_source http.body=ndjson key.pointer=/user/id
	run post / $'{"user":{"id":"u1"},"n":1}\n{"user":{"id":"u2"},"n":2}\n'
	assert_output 200
	run cat "$BATS_TEST_TMPDIR/answer"
	assert_output '{"records":2}'
	run --separate-stderr slog-consume -t hooks -e -f '%k %s\n'
	assert_success
	assert_output $'u1 {"user":{"id":"u1"},"n":1}\nu2 {"user":{"id":"u2"},"n":2}'
}

@test "a JSON array body gives one record per element" {
	start_source http.body=json-array key.pointer=/id
	run post / '[{"id":1,"v":"a"}, {"id":2,"v":"b"}, {"id":3,"v":"c"}]'
	assert_output 200
	run --separate-stderr slog-consume -t hooks -e -f '%k %s\n'
	assert_output $'1 {"id":1,"v":"a"}\n2 {"id":2,"v":"b"}\n3 {"id":3,"v":"c"}'
}

@test "the request headers chosen become record headers" {
	start_source "http.headers.include=X-GitHub-Event, X-Request-Id"
	run post / '{"action":"opened"}' -H 'X-GitHub-Event: issues' -H 'X-Request-Id: r-7' -H 'X-Other: no'
	assert_output 200
	run --separate-stderr slog-consume -t hooks -e -J
	assert_success
	assert_output --partial '"value":"{\"action\":\"opened\"}"'
	assert_output --partial '{"key":"X-GitHub-Event","value":"issues"}'
	assert_output --partial '{"key":"X-Request-Id","value":"r-7"}'
	refute_output --partial 'X-Other'
}

@test "paths go to their own topics, and an unknown path gets 404" {
	slog-topics create orders
	start_source "http.paths=/orders=orders"
	run post /orders '{"o":1}'
	assert_output 200
	run post /other '{"o":2}'
	assert_output 404
	run --separate-stderr slog-consume -t orders -e
	assert_output '{"o":1}'
	run --separate-stderr slog-consume -t hooks -e
	assert_output ''
}

@test "without the bearer token a request gets 401 and writes nothing" {
	start_source http.auth.bearer=s3cret
	run post / '{"a":1}'
	assert_output 401
	grep -qi '^WWW-Authenticate: Bearer' "$BATS_TEST_TMPDIR/answer.headers"
	run post / '{"a":2}' -H 'Authorization: Bearer wrong'
	assert_output 401
	run post / '{"a":3}' -H 'Authorization: Bearer s3cret'
	assert_output 200
	run --separate-stderr slog-consume -t hooks -e
	assert_output '{"a":3}'
}

@test "a malformed body gets 400 and writes nothing of it" {
	start_source http.body=ndjson
	run post / $'{"ok":1}\n{broken\n{"ok":3}\n'
	assert_output 400
	run cat "$BATS_TEST_TMPDIR/answer"
	assert_output --partial 'line 2'
	run post / '{"ok":4}'
	assert_output 200
	run --separate-stderr slog-consume -t hooks -e
	assert_output '{"ok":4}'
}

@test "a body over http.max.body.bytes gets 413" {
	start_source http.max.body.bytes=100
	run post / "$(head -c 200 /dev/zero | tr '\0' x)"
	assert_output 413
}

@test "with the broker stopped a request gets 503 in its time, never a 2xx" {
	start_source http.request.timeout.ms=1500
	run post / '{"first":1}'
	assert_output 200
	stop_broker
	run post / '{"second":2}' -m 10
	assert_output 503
	grep -qi '^Retry-After: 1' "$BATS_TEST_TMPDIR/answer.headers"
	# And slog-connect still stops cleanly, with nothing left to wait for.
	stop_connect
}

@test "a request slog does not acknowledge in time gets 503 with Retry-After, and still arrives" {
	start_source http.request.timeout.ms=1000
	run post / '{"first":1}'
	assert_output 200
	# A broker that answers nothing (SIGSTOP) holds the records unacknowledged.
	kill -STOP "$BROKER_PID"
	run post / '{"second":2}' -m 10
	kill -CONT "$BROKER_PID"
	assert_output 503
	grep -qi '^Retry-After: 1' "$BATS_TEST_TMPDIR/answer.headers"
	# The records were sent: they land once the broker answers (at least once).
	has_second() { slog-consume -t hooks -e 2>/dev/null | grep -qx '{"second":2}'; }
	wait_for 200 has_second
}

@test "when more than http.max.pending.bytes wait, requests get 429 with Retry-After" {
	start_source http.max.pending.bytes=10 http.request.timeout.ms=20000
	# One record first, so that the writer knows the topic's leader.
	run post / '{"a":1}'
	assert_output 200
	kill -STOP "$BROKER_PID"
	# The first request waits for a broker that answers nothing ...
	curl -s -o /dev/null --data-binary '{"waiting":true}' -m 30 "$HTTP_URL/" &
	local waiter=$!
	# ... and the next is turned away at once, told when to come back.  (A
	# probe that came first waits like the first: the client gives up on
	# it, and the next probe finds them both waiting.)
	busy() { [ "$(post / '{"next":1}' -m 2)" = 429 ]; }
	wait_for 200 busy
	grep -qi '^Retry-After: 1' "$BATS_TEST_TMPDIR/answer.headers"
	kill -CONT "$BROKER_PID"
	wait "$waiter"
}

@test "a GET is refused with 405" {
	start_source
	run curl -s -o /dev/null -w '%{http_code}' "$HTTP_URL/"
	assert_output 405
}

@test "check refuses a bad path list or key pointer, naming the key and its line" {
	local conf
	conf=$(connector_conf bad connector.class=http-source topic=hooks http.paths=oops)
	run -1 --separate-stderr slog-connect check "$conf"
	assert_equal "$stderr" "slog-connect: $conf:4: http.paths: 'oops' is not /PATH=TOPIC"
	conf=$(connector_conf bad connector.class=http-source topic=hooks key.pointer=user)
	run -1 --separate-stderr slog-connect check "$conf"
	assert_equal "$stderr" "slog-connect: $conf:4: key.pointer: 'user' is not a JSON pointer (it starts with /)"
}
