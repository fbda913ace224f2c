#!/usr/bin/env bats
# slog-produce: every option, and every way delivery can fail.

load helpers

setup() {
	start_broker
}

@test "lines of stdin become records of the topic, in order" {
	slog-topics create lines
	seq 1 1000 | slog-produce -t lines
	run --separate-stderr slog-consume -t lines -e
	assert_success
	[ "${#lines[@]}" -eq 1000 ]
	[ "$output" = "$(seq 1 1000)" ]
}

@test "files given as arguments are read in turn" {
	slog-topics create files
	printf 'a\nb\n' >"$BATS_TEST_TMPDIR/f1"
	printf 'c\n' >"$BATS_TEST_TMPDIR/f2"
	slog-produce -t files "$BATS_TEST_TMPDIR/f1" "$BATS_TEST_TMPDIR/f2"
	run slog-consume -t files -e
	assert_output $'a\nb\nc'
	run --separate-stderr slog-produce -t files /nonexistent
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"cannot open '/nonexistent'"* ]]
}

@test "-p sends every record to one partition; a missing partition fails" {
	slog-topics create parts -P 3
	seq 1 10 | slog-produce -t parts -p 2
	run slog-consume -t parts -p 2 -e
	[ "${#lines[@]}" -eq 10 ]
	run --separate-stderr bash -c 'seq 1 3 | slog-produce -t parts -p 7'
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"has no partition 7"* ]]
	[[ "$stderr" == *"3 of 3 records were not delivered"* ]]
}

@test "-k gives every record the key; -K splits key and value" {
	slog-topics create keys
	printf 'a\nb\n' | slog-produce -t keys -k fixed
	printf 'k1:v1\nk2:v2:w\nnokey\n' | slog-produce -t keys -K :
	run slog-consume -t keys -e -f '%k|%K|%s\n'
	assert_output $'fixed|5|a\nfixed|5|b\nk1|2|v1\nk2|2|v2:w\n|-1|nokey'
}

@test "the same key lands in the partition Kafka's murmur2 gives it" {
	slog-topics create hashed -P 7
	for k in foobar 21 abc user-42; do
		printf '%s:v\n' "$k" | slog-produce -t hashed -K :
		local want
		want=$("$SLOG_TEST_TOOL" partition "$k" 7)
		run slog-consume -t hashed -p "$want" -e -f '%k\n'
		assert_line "$k"
	done
	# Kafka's own vector: murmur2("foobar") = -790332482.
	[ "$("$SLOG_TEST_TOOL" partition foobar 7)" -eq $(( (-790332482 & 0x7fffffff) % 7 )) ]
}

@test "keyless records fill a batch of one partition at a time" {
	slog-topics create sticky -P 4
	seq 1 100 | slog-produce -t sticky
	run slog-consume -t sticky -e -f '%p\n'
	[ "$(echo "$output" | sort -u | wc -l)" -eq 1 ]
}

@test "--partitioner roundrobin spreads records evenly" {
	slog-topics create rr -P 4
	seq 1 100 | slog-produce -t rr --partitioner roundrobin
	run slog-consume -t rr -e -f '%p\n'
	[ "$(echo "$output" | sort | uniq -c | awk '{print $1}' | sort -u)" = 25 ]
}

@test "-D splits records at any bytes; -D '' makes each file one record" {
	local t
	for t in delim nul whole; do slog-topics create "$t"; done
	printf 'a;;b;;c' | slog-produce -t delim -D ';;'
	run slog-consume -t delim -e -f '[%s]'
	assert_output '[a][b][c]'
	printf 'x\0y\0' | slog-produce -t nul -D '\0'
	run slog-consume -t nul -e -f '%s,'
	assert_output 'x,y,'
	printf 'one\ntwo\n' >"$BATS_TEST_TMPDIR/whole"
	slog-produce -t whole -D '' "$BATS_TEST_TMPDIR/whole" "$BATS_TEST_TMPDIR/whole"
	run slog-consume -t whole -e -f '%S;'
	assert_output '8;8;'
}

@test "-H adds headers in order, repeated names kept" {
	slog-topics create hdr
	echo v | slog-produce -t hdr -H a=1 -H b=2 -H a=3
	run slog-consume -t hdr -e -f '%h\n'
	assert_output 'a=1,b=2,a=3'
}

@test "-Z sends empty keys and values as null (tombstones)" {
	slog-topics create tomb
	printf 'k:\n:v\n' | slog-produce -t tomb -K : -Z
	run slog-consume -t tomb -e -J
	[ "$(echo "${lines[0]}" | jq -c '[.key,.value]')" = '["k",null]' ]
	[ "$(echo "${lines[1]}" | jq -c '[.key,.value]')" = '[null,"v"]' ]
}

@test "-J reads NDJSON: keys, binary values, headers, timestamps and per-line topics" {
	local t
	for t in j1 j2; do slog-topics create "$t"; done
	printf '%s\n' '{"topic":"j1","key":"k","value_b64":"AP8=","timestamp":1234,"headers":[{"key":"h","value":null}]}' \
		'{"topic":"j2","value":"two"}' | slog-produce -J
	run slog-consume -t j1 -e -J
	[ "$(echo "$output" | jq -c '[.key,.value_b64,.timestamp,.headers]')" = '["k","AP8=",1234,[{"key":"h","value":null}]]' ]
	run slog-consume -t j2 -e
	assert_output two
}

@test "a malformed NDJSON line N is named; records before it are delivered, none after" {
	slog-topics create bad
	run --separate-stderr bash -c "printf '%s\n' '{\"value\":\"1\"}' '{\"value\":\"2\"}' '{\"value\":3}' '{\"value\":\"4\"}' | slog-produce -J -t bad"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"line 3"* ]]
	[[ "$stderr" == *"value"* ]]
	run slog-consume -t bad -e
	assert_output $'1\n2'
}

@test "-z zstd compresses batches that every reader reads" {
	slog-topics create z
	seq 1 5000 | slog-produce -t z -z zstd
	run slog-consume -t z -e
	[ "$output" = "$(seq 1 5000)" ]
	local size
	size=$(slog-topics describe z --json | jq '.topics[0].partitions[0].size_bytes')
	[ "$size" -lt 20000 ]
}

@test "--acks 0, 1 and all all deliver" {
	local t
	for t in acks0 acks1 acksall; do slog-topics create "$t"; done
	for a in 0 1 all; do
		seq 1 100 | slog-produce -t "acks$a" --acks "$a"
		run slog-consume -t "acks$a" -e
		[ "${#lines[@]}" -eq 100 ]
	done
}

@test "--batch-bytes and --linger-ms shape the batches" {
	local t
	for t in small large; do slog-topics create "$t"; done
	seq 1 1000 | slog-produce -t small --batch-bytes 200
	seq 1 1000 | slog-produce -t large --batch-bytes 1MiB --linger-ms 50
	local small large
	small=$(curl -s -H 'Accept: application/x-slog-batch' "$BROKER_URL/v1/topics/small/partitions/0/records?offset=0&max_bytes=100000" | wc -c)
	large=$(curl -s -H 'Accept: application/x-slog-batch' "$BROKER_URL/v1/topics/large/partitions/0/records?offset=0&max_bytes=100000" | wc -c)
	# Many small batches carry more headers than one large batch.
	[ "$small" -gt "$large" ]
	run slog-consume -t small -e
	[ "${#lines[@]}" -eq 1000 ]
}

@test "--max-in-flight and --timeout-ms are accepted and bounded" {
	slog-topics create mif -P 8
	seq 1 2000 | slog-produce -t mif --max-in-flight 2 --timeout-ms 10000 --partitioner roundrobin
	run slog-consume -t mif -e
	[ "${#lines[@]}" -eq 2000 ]
	run --separate-stderr slog-produce -t mif --max-in-flight 0
	[ "$status" -eq 2 ]
}

@test "-O reports partition and offset of every acknowledged record; -c stops early" {
	slog-topics create rep -P 2
	run --separate-stderr bash -c 'seq 1 10 | slog-produce -t rep -p 1 -O -c 4'
	assert_success
	assert_output $'1 0\n1 1\n1 2\n1 3'
}

@test "-v prints a summary on stderr and nothing on stdout" {
	slog-topics create v
	run --separate-stderr bash -c 'seq 1 10 | slog-produce -t v -v'
	assert_success
	[ -z "$output" ]
	[[ "$stderr" == *"10 of 10 records acknowledged"* ]]
}

@test "a topic that does not exist is an error, as auto-create is off by default" {
	run --separate-stderr bash -c 'echo x | slog-produce -t absent'
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"topic 'absent' does not exist"* ]]
	run slog-topics list
	refute_listed absent
}

@test "a topic is created on first write when auto-create is on" {
	restart_broker --set num.partitions=3 --set auto.create.topics.enable=true
	echo x | slog-produce -t auto
	run slog-topics describe auto --json
	[ "$(echo "$output" | jq '.topics[0].partitions | length')" = 3 ]
}

@test "a record over max.message.bytes is refused with its line and the limit" {
	slog-topics create tiny -c max.message.bytes=200
	run --separate-stderr bash -c "{ echo ok; head -c 500 /dev/zero | tr '\\0' x; echo; echo fine; } | slog-produce -t tiny"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"line 2"* ]]
	[[ "$stderr" == *"max.message.bytes (200)"* ]]
	[[ "$stderr" == *"1 of 3 records were not delivered"* ]]
	run slog-consume -t tiny -e
	assert_output $'ok\nfine'
}

@test "the broker answers MESSAGE_TOO_LARGE for a batch over the limit" {
	slog-topics create tiny2 -c max.message.bytes=100
	run curl -s -w ' %{http_code}' -X POST "$BROKER_URL/v1/topics/tiny2/partitions/0/records" \
		--data-binary "$(head -c 300 /dev/zero | tr '\0' y)"
	[[ "$output" == *MESSAGE_TOO_LARGE*" 413" ]]
}

@test "a broker that is down: exit 1 within the timeout, the count on stderr" {
	stop_broker
	run --separate-stderr timeout 30 bash -c 'seq 1 5 | slog-produce -t down --timeout-ms 1500'
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"cannot reach"* ]]
}

@test "a record that runs out of time between two retries says what the last try got" {
	slog-topics create gone
	mkfifo "$BATS_TEST_TMPDIR/in"
	slog-produce -t gone -O --timeout-ms 1000 <"$BATS_TEST_TMPDIR/in" \
		>"$BATS_TEST_TMPDIR/acked" 2>"$BATS_TEST_TMPDIR/err" 3>&- &
	local prod=$! rc=0
	exec 4>"$BATS_TEST_TMPDIR/in"
	echo 1 >&4
	wait_for 200 test -s "$BATS_TEST_TMPDIR/acked"
	stop_broker
	# Line 2 is refused at once and retried with a growing backoff.  A
	# trickle of lines after it (a pace, not a wait) keeps the producer
	# waking, so that it sees line 2's deadline pass between two tries.
	echo 2 >&4
	local n=0
	# The producer may exit between the check and the write: the write then
	# fails (EPIPE) instead of killing the test's shell with SIGPIPE.
	trap '' PIPE
	while kill -0 "$prod" 2>/dev/null && [ $n -lt 1000 ]; do
		echo more >&4 2>/dev/null || break
		n=$((n + 1))
		sleep 0.01
	done
	exec 4>&-
	wait "$prod" || rc=$?
	[ "$rc" -eq 1 ]
	grep -q 'from line 2 not delivered to gone-0: gave up at the timeout, after NETWORK_EXCEPTION' \
		"$BATS_TEST_TMPDIR/err"
}

@test "memory stays bounded while the broker cannot keep up" {
	kill -STOP "$BROKER_PID"
	yes 0123456789012345678901234567890123456789 | slog-produce -t bp --buffer-bytes 4MiB --timeout-ms 60000 \
		>/dev/null 2>&1 3>&- &
	local prod=$!
	sleep 2
	local rss
	rss=$(awk '/VmRSS/ {print $2}' "/proc/$prod/status")
	kill -CONT "$BROKER_PID"
	# What the producer does once the broker answers again is not this
	# test's: it may have ended already.
	kill -TERM "$prod" 2>/dev/null || true
	wait "$prod" || true
	# 4 MiB of buffer and the batch being filled: far below what yes produced in 2 s.
	[ "$rss" -lt 65536 ]
}

@test "kill -9 of the broker mid-produce: what was acknowledged is there, in order, once" {
	slog-topics create k9
	seq 1 100000000 | slog-produce -t k9 -O --timeout-ms 2000 --linger-ms 1 --batch-bytes 16KiB \
		>"$BATS_TEST_TMPDIR/acked" 2>"$BATS_TEST_TMPDIR/err" 3>&- &
	local prod=$!
	wait_for 400 test -s "$BATS_TEST_TMPDIR/acked"
	sleep 0.3
	kill -KILL "$BROKER_PID"
	wait "$BROKER_PID" || true
	local rc=0
	wait "$prod" || rc=$?
	[ "$rc" -eq 1 ]
	local acked read failed
	acked=$(count_lines "$BATS_TEST_TMPDIR/acked")
	# Records in flight at the kill are "not acknowledged" (they may have
	# been written), the rest "not delivered": the counts hold both.
	read=$(sed -n 's/.* of \([0-9]*\) records were not [a-z]*.*/\1/p' "$BATS_TEST_TMPDIR/err")
	failed=$(sed -n 's/^slog-produce: \([0-9]*\) of [0-9]* records were not [a-z]*.*/\1/p' "$BATS_TEST_TMPDIR/err")
	[ -n "$read" ] && [ -n "$failed" ]
	[ $((acked + failed)) -eq "$read" ]
	[ "$acked" -gt 0 ]
	BROKER_PORT_WANTED=$BROKER_PORT start_broker
	slog-consume -t k9 -e >"$BATS_TEST_TMPDIR/got"
	# Every acknowledged record, in order, exactly once, at the offset reported.
	head -n "$acked" "$BATS_TEST_TMPDIR/got" | cmp - <(seq 1 "$acked")
	[ "$(awk '{print $2}' "$BATS_TEST_TMPDIR/acked" | tail -1)" -eq $((acked - 1)) ]
	[ "$(sort "$BATS_TEST_TMPDIR/got" | uniq -d | wc -l)" -eq 0 ]
}

# Produces and fetches use their partition on a reference, without
# meta_lock: deleting (and auto-creating again) the topic under them must
# not crash, leak, or leave them unanswered.  The suite runs this under
# ASan too.
@test "produces and fetches racing the deletion of their topic are answered, and the broker stops cleanly" {
	(
		for i in $(seq 1 150); do
			curl -s -o /dev/null -w '%{http_code}\n' -X POST -H 'Content-Type: text/plain' \
				--data-binary "a$i" "$BROKER_URL/v1/topics/race/records?acks=all"
			curl -s -o /dev/null -w '%{http_code}\n' -X POST -H 'Content-Type: text/plain' \
				--data-binary "b$i" "$BROKER_URL/v1/topics/race/partitions/0/records?acks=1"
			curl -s -o /dev/null -w '%{http_code}\n' \
				"$BROKER_URL/v1/topics/race/partitions/0/records?offset=$i&max_wait_ms=20"
		done >"$BATS_TEST_TMPDIR/codes"
	) &
	local producer=$! deletes=0
	while kill -0 "$producer" 2>/dev/null && [ "$deletes" -lt 1000 ]; do
		slog-topics delete race --if-exists
		deletes=$((deletes + 1))
	done
	wait "$producer"
	[ "$(count_lines "$BATS_TEST_TMPDIR/codes")" -eq 450 ]
	# 416: a fetch past the end of a topic created again.
	run grep -cv -e '^200$' -e '^404$' -e '^416$' "$BATS_TEST_TMPDIR/codes"
	assert_output 0
	[ "$(curl -s -m 5 -o /dev/null -w '%{http_code}' "$BROKER_URL/healthz")" = 200 ]
	stop_broker
}
