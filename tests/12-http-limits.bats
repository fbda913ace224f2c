#!/usr/bin/env bats
# Connection limits, deadlines, request sizes, browser safety and framing
# of the HTTP front end: what a hostile or broken client cannot do.

load helpers

CONNS=$SLOG_ROOT/tests/tool/http-conns.py
HOLDERS=()

teardown() {
	local pid
	for pid in "${HOLDERS[@]}"; do
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null || true
	done
	teardown_brokers
}

# hold N [SRC] < bytes: N sockets that sent the bytes (maybe none) and wait.
hold() {
	local out=$BATS_TEST_TMPDIR/hold.$RANDOM
	# A command run with & reads /dev/null unless told otherwise.
	cat >"$out.in"
	python3 "$CONNS" hold "$BROKER_PORT" "$@" <"$out.in" >"$out" 2>&1 3>&- &
	HOLDERS+=($!)
	wait_for 200 grep -q '^open' "$out"
	cat "$out"
}

# all_accepted: the broker's listening socket has no connection left
# in its accept queue.  Until then a held socket may still wait there,
# and a request could take the free slot it was meant to fill.
all_accepted() {
	[ "$(ss -Hltn "sport = :$BROKER_PORT" | awk '{ print $2 }')" = 0 ]
}

# refused URL [TEXT]: the broker answers URL 429 THROTTLING_QUOTA_EXCEEDED
# (its body holding TEXT).
refused() {
	local out
	out=$(curl -s -m 2 -w ' %{http_code}' "$1")
	[[ $out == *'"code":"THROTTLING_QUOTA_EXCEEDED"'*' 429' ]] && [[ $out == *"${2:-}"* ]]
}

# raw: send stdin on one connection, print the answer (CRs removed).
raw() {
	python3 "$CONNS" raw "$BROKER_PORT" "${1:-5}" | tr -d '\r'
}

vm() { # vm FIELD: the broker's /proc status field in kB
	awk -v f="$1:" '$1 == f { print $2 }' "/proc/$BROKER_PID/status"
}

@test "sockets that fill max.connections leave /healthz answering and the rest refused with 429" {
	start_broker --set max.connections=20
	hold 20 </dev/null
	wait_for 100 all_accepted
	run -0 refused "$BROKER_URL/v1/metadata"
	run curl -s -m 2 -o /dev/null -w '%{http_code}' "$BROKER_URL/healthz"
	assert_output 200
}

@test "a socket past the health reserve is answered 429 and closed at once" {
	start_broker --set max.connections=4
	hold 40 </dev/null
	wait_for 100 all_accepted
	run -0 refused "$BROKER_URL/v1/metadata" '"message":"too many connections"'
}

@test "idle sockets are closed by the header deadline and health checks come back" {
	start_broker --set max.connections=4 --set http.request.header.timeout.ms=500
	hold 40 </dev/null
	wait_for 100 curl -sf -m 1 "$BROKER_URL/v1/metadata"
}

@test "max.connections.per.ip refuses one address's extra sockets, not another's" {
	start_broker --set max.connections.per.ip=5
	hold 10 </dev/null
	# Refused once every held socket is accepted (some may wait in the backlog).
	run -0 wait_for 40 bash -c "[ \"\$(curl -s -m 2 -o /dev/null -w '%{http_code}' '$BROKER_URL/healthz')\" = 000 ]"
	run curl -s -m 2 --interface 127.0.0.2 -o /dev/null -w '%{http_code}' "$BROKER_URL/healthz"
	assert_output 200
}

@test "a slowloris sending a header line every 200 ms is cut by the header deadline" {
	start_broker --set http.request.header.timeout.ms=1000
	run python3 "$CONNS" slowloris "$BROKER_PORT" 10 200 6000
	assert_output --regexp '^closed 10 of 10 after (1|2)[0-9]{3} ms$'
}

@test "a body that trickles one byte every 200 ms is cut by the body deadline" {
	start_broker --set http.request.body.timeout.ms=1000
	run python3 "$CONNS" slowbody "$BROKER_PORT" 10 200 6000
	assert_output --regexp '^closed 10 of 10 after (1|2)[0-9]{3} ms$'
}

@test "2,000 long polls wait together and the append that wakes them still connects" {
	start_broker --set max.connections.per.ip=0
	curl -sf -X POST "$BROKER_URL/v1/topics" -H 'Content-Type: application/json' -d '{"name":"lp"}' >/dev/null
	local out=$BATS_TEST_TMPDIR/lp
	python3 "$CONNS" longpoll "$BROKER_PORT" 2000 \
		'/v1/topics/lp/partitions/0/records?offset=0&max_wait_ms=30000' >"$out" 2>&1 3>&- &
	HOLDERS+=($!)
	wait_for 400 grep -q '^waiting 2000' "$out"
	run curl -s -m 2 -o /dev/null -w '%{http_code}' "$BROKER_URL/healthz"
	assert_output 200
	run curl -s -m 5 -w ' %{http_code}' -X POST "$BROKER_URL/v1/topics/lp/partitions/0/records" --data-binary wake
	assert_output --partial ' 200'
}

@test "the broker raises its soft RLIMIT_NOFILE to the hard limit" {
	local hard
	hard=$(ulimit -Hn)
	ulimit -Sn 1024
	start_broker
	run awk '/^Max open files/ { print $4, $5 }' "/proc/$BROKER_PID/limits"
	assert_output "$hard $hard"
}

@test "max.connections beyond RLIMIT_NOFILE is lowered to leave descriptors for segments" {
	ulimit -n 2048
	start_broker --set max.connections=10000 --set num.network.threads=2
	# 2048 - 16 for health checks - 2 x 64 to answer 429 - 64 for directories
	# and checkpoints leaves 1840, split evenly between segment files and
	# connections
	run grep -o 'max.connections 10000 lowered to [0-9]*' "$BROKER_DIR/broker.log"
	assert_output 'max.connections 10000 lowered to 920'
}

@test "a lying Content-Length reserves no memory" {
	start_broker
	local before after
	before=$(vm VmSize)
	hold 20 < <(printf 'POST /v1/topics/t/records HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 104857600\r\n\r\n')
	after=$(vm VmSize)
	[ $((after - before)) -lt 262144 ] || { echo "VmSize $before -> $after kB"; false; }
	run vm VmHWM
	[ "$output" -lt 204800 ]
}

@test "request bytes over queued.max.request.bytes are answered 429 before the body" {
	start_broker --set queued.max.request.bytes=1MiB
	{ printf 'POST /v1/topics/q/records HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000000\r\n\r\n'
	  head -c 600000 /dev/zero | tr '\0' x; } >"$BATS_TEST_TMPDIR/part"
	hold 1 <"$BATS_TEST_TMPDIR/part"
	printf 'POST /v1/topics/q/records HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 700000\r\n\r\n' \
		>"$BATS_TEST_TMPDIR/next"
	# The held body may still be on its way in: ask until it is counted.
	wait_for 20 bash -c "python3 '$CONNS' raw $BROKER_PORT 1 <'$BATS_TEST_TMPDIR/next' | grep -q 'HTTP/1.1 429'"
	run raw 1 <"$BATS_TEST_TMPDIR/next"
	assert_output --partial 'HTTP/1.1 429'
	assert_output --partial '"code":"THROTTLING_QUOTA_EXCEEDED"'
}

@test "a JSON body over http.json.max.bytes is refused with 413 JSON" {
	start_broker
	head -c 2000000 /dev/zero | tr '\0' ' ' >"$BATS_TEST_TMPDIR/big"
	run curl -s -w ' %{http_code}' -X POST "$BROKER_URL/v1/groups/g/heartbeat" \
		-H 'Content-Type: application/json' --data-binary @"$BATS_TEST_TMPDIR/big"
	assert_output --partial '"code":"MESSAGE_TOO_LARGE"'
	assert_output --partial 'http.json.max.bytes'
	assert_output --partial ' 413'
}

@test "the memory of a large JSON body is given back after the answer" {
	# ASan's allocator keeps freed blocks in quarantine: glibc's is measured.
	if ldd "$(command -v slog-broker)" | grep -q libasan; then
		skip "resident memory is glibc malloc's, not ASan's"
	fi
	start_broker --set http.json.max.bytes=64MiB
	python3 -c 'import sys; sys.stdout.write("[" + ",".join(["[1,2,{\"a\":\"b\"}]"] * 1200000) + "]")' \
		>"$BATS_TEST_TMPDIR/big.json"
	run curl -s -w ' %{http_code}' -X POST "$BROKER_URL/v1/groups/g/heartbeat" \
		-H 'Content-Type: application/json' --data-binary @"$BATS_TEST_TMPDIR/big.json"
	assert_output --partial ' 400'
	# The tree is freed after the answer is on its way: poll.
	rss_below() { [ "$(vm VmRSS)" -lt 102400 ]; }
	wait_for 200 rss_below || { echo "VmRSS $(vm VmRSS) kB, VmHWM $(vm VmHWM) kB"; false; }
}

@test "a request from an Origin not in http.cors.allowed.origins is refused with 403" {
	start_broker
	run curl -s -w ' %{http_code}' -X POST "$BROKER_URL/v1/topics" -H 'Origin: http://evil.example' \
		-H 'Content-Type: text/plain' -d '{"name":"victim"}'
	assert_output --partial '"code":"POLICY_VIOLATION"'
	assert_output --partial ' 403'
	run curl -s "$BROKER_URL/v1/topics"
	refute_output --partial victim
}

@test "an allowed Origin gets CORS headers and its preflight is answered" {
	start_broker --set http.cors.allowed.origins=http://ui.example
	run curl -s -D - -o /dev/null -X OPTIONS "$BROKER_URL/v1/topics" -H 'Origin: http://ui.example' \
		-H 'Access-Control-Request-Method: POST'
	assert_output --partial 'HTTP/1.1 204'
	assert_output --partial 'Access-Control-Allow-Origin: http://ui.example'
	assert_output --partial 'Access-Control-Allow-Methods: GET, POST, PATCH, DELETE'
	run curl -s -D - "$BROKER_URL/healthz" -H 'Origin: http://ui.example'
	assert_output --partial 'Access-Control-Allow-Origin: http://ui.example'
}

@test "a JSON body that is not typed application/json is refused with 415" {
	start_broker
	run curl -s -w ' %{http_code}' -X POST "$BROKER_URL/v1/topics" -d '{"name":"form"}'
	assert_output --partial '"code":"UNSUPPORTED_MEDIA_TYPE"'
	assert_output --partial ' 415'
	run curl -s -w ' %{http_code}' -X POST "$BROKER_URL/v1/topics" --json '{"name":"typed"}'
	assert_output --partial ' 201'
}

@test "a Host that is not a name of the broker is refused with 403 (DNS rebinding)" {
	start_broker
	run curl -s -w ' %{http_code}' "$BROKER_URL/v1/topics" -H 'Host: rebind.example:9292'
	assert_output --partial '"code":"POLICY_VIOLATION"'
	assert_output --partial ' 403'
	local h
	for h in "localhost:$BROKER_PORT" localhost "127.0.0.1:$BROKER_PORT" "[::1]:$BROKER_PORT" 10.1.2.3; do
		run curl -s -o /dev/null -w '%{http_code}' "$BROKER_URL/healthz" -H "Host: $h"
		assert_output 200
	done
}

@test "two different Content-Length headers are refused with 400 JSON" {
	start_broker
	run raw 3 < <(printf 'POST /v1/topics/t/records HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1\r\nContent-Length: 5\r\n\r\nhello')
	assert_output --partial 'HTTP/1.1 400'
	assert_output --partial '"message":"conflicting Content-Length headers"'
}

@test "Content-Length with Transfer-Encoding chunked is refused with 400 JSON" {
	start_broker
	run raw 3 < <(printf 'POST /v1/topics/t/records HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n')
	assert_output --partial 'HTTP/1.1 400'
	assert_output --partial '"code":"INVALID_REQUEST"'
}

@test "a Content-Length over socket.request.max.bytes gets 413 at once and no 100 Continue" {
	start_broker
	run raw 3 < <(printf 'POST /v1/topics/t/records HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 900000000\r\nExpect: 100-continue\r\n\r\n')
	refute_output --partial '100 Continue'
	refute_output --partial '<timeout>'
	assert_output --partial 'HTTP/1.1 413'
	assert_output --partial '"code":"MESSAGE_TOO_LARGE"'
}

@test "4,000 query arguments are answered with 400 JSON" {
	start_broker
	local q
	q=$(python3 -c 'print("&".join("a%d=1" % i for i in range(4000)))')
	run curl -s -m 3 -w ' %{http_code}' "$BROKER_URL/healthz?$q"
	assert_output --partial '"code":"INVALID_REQUEST"'
	assert_output --partial ' 400'
	q=$(python3 -c 'print("&".join("a" for i in range(4000)))')
	run curl -s -m 3 -w ' %{http_code}' "$BROKER_URL/healthz?$q"
	assert_output --partial 'more than 100 query arguments'
}

@test "SIGTERM while long polls and acks=all produces wait exits 0" {
	start_broker
	curl -sf -X POST "$BROKER_URL/v1/topics" --json '{"name":"st"}' >/dev/null
	local out=$BATS_TEST_TMPDIR/lp
	python3 "$CONNS" longpoll "$BROKER_PORT" 200 \
		'/v1/topics/st/partitions/0/records?offset=100&max_wait_ms=30000' >"$out" 2>&1 3>&- &
	HOLDERS+=($!)
	wait_for 200 grep -q '^waiting 200' "$out"
	for i in 1 2 3 4; do
		(while curl -s -m 5 -X POST "$BROKER_URL/v1/topics/st/partitions/0/records?acks=all" \
			--data-binary "p$i" >/dev/null 2>&1; do :; done) 3>&- &
		HOLDERS+=($!)
	done
	stop_broker
	run grep -E 'ERROR: AddressSanitizer|Fatal error|runtime error' "$BROKER_DIR/broker.log"
	assert_failure 1
}
