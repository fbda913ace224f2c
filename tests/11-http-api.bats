#!/usr/bin/env bats
# The HTTP API spoken with curl: curl is a client too.

load helpers

setup() {
	start_broker
}

@test "curl produces NDJSON that slog-consume reads back" {
	slog-topics create web
	run curl -sf -X POST "$BROKER_URL/v1/topics/web/records" -H 'Content-Type: application/x-ndjson' \
		--data-binary $'{"key":"k1","value":"one"}\n{"key":"k2","value":"two","headers":{"h":"x"}}\n'
	assert_success
	assert_output --partial '"topic":"web"'
	run --separate-stderr slog-consume -t web -e -f '%k=%s %h\n'
	assert_success
	assert_line "k1=one "
	assert_line "k2=two h=x"
}

@test "slog-produce writes what curl fetches as NDJSON, with the offsets headers" {
	slog-topics create back
	printf 'a\nb\nc\n' | slog-produce -t back
	run curl -sf -D "$BATS_TEST_TMPDIR/h" "$BROKER_URL/v1/topics/back/partitions/0/records?offset=1"
	assert_success
	[ "${#lines[@]}" -eq 2 ]
	[ "$(echo "${lines[0]}" | jq -r .value)" = b ]
	[ "$(echo "${lines[1]}" | jq -r .offset)" = 2 ]
	grep -qi '^Slog-High-Watermark: 3' "$BATS_TEST_TMPDIR/h"
	grep -qi '^Slog-Log-Start-Offset: 0' "$BATS_TEST_TMPDIR/h"
	grep -qi '^Slog-Next-Offset: 3' "$BATS_TEST_TMPDIR/h"
}

@test "record batches go in and come out byte for byte" {
	"$SLOG_TEST_TOOL" batch alpha beta >"$BATS_TEST_TMPDIR/in.batch"
	slog-topics create bin
	run curl -sf -X POST "$BROKER_URL/v1/topics/bin/partitions/0/records" \
		-H 'Content-Type: application/x-slog-batch' --data-binary "@$BATS_TEST_TMPDIR/in.batch"
	assert_success
	[ "$(echo "$output" | jq .record_count)" = 2 ]
	curl -sf -H 'Accept: application/x-slog-batch' -o "$BATS_TEST_TMPDIR/out.batch" \
		"$BROKER_URL/v1/topics/bin/partitions/0/records?offset=0"
	# Only the broker-assigned fields (offset, leader epoch: bytes 0-15) may differ.
	cmp <(tail -c +17 "$BATS_TEST_TMPDIR/in.batch") <(tail -c +17 "$BATS_TEST_TMPDIR/out.batch")
}

@test "a corrupt batch is refused with CORRUPT_MESSAGE and changes nothing" {
	"$SLOG_TEST_TOOL" batch alpha >"$BATS_TEST_TMPDIR/b"
	printf 'X' | dd of="$BATS_TEST_TMPDIR/b" bs=1 seek=70 conv=notrunc status=none
	slog-topics create c
	run curl -s -o "$BATS_TEST_TMPDIR/out" -w '%{http_code}' -X POST \
		"$BROKER_URL/v1/topics/c/partitions/0/records" -H 'Content-Type: application/x-slog-batch' \
		--data-binary "@$BATS_TEST_TMPDIR/b"
	assert_output 400
	grep -q CORRUPT_MESSAGE "$BATS_TEST_TMPDIR/out"
	run slog-topics offsets c --json
	[ "$(echo "$output" | jq '.partitions[0].latest')" = 0 ]
}

@test "a wrong content type is refused with 415" {
	run curl -s -w '%{http_code}' -o /dev/null -X POST "$BROKER_URL/v1/topics/t/partitions/0/records" \
		-H 'Content-Type: image/png' --data-binary x
	assert_output 415
}

@test "unknown paths are 404 and wrong methods 405 with Allow" {
	run curl -s -w '%{http_code}' -o /dev/null "$BROKER_URL/v1/nothing"
	assert_output 404
	run curl -s -D - -o /dev/null -X PUT "$BROKER_URL/v1/topics"
	assert_output --partial "405"
	assert_output --partial "Allow: GET, POST"
}

@test "a fetch past the end is OFFSET_OUT_OF_RANGE with the log's bounds" {
	slog-topics create r
	echo x | slog-produce -t r
	run curl -s "$BROKER_URL/v1/topics/r/partitions/0/records?offset=5"
	assert_output --partial '"code":"OFFSET_OUT_OF_RANGE"'
	assert_output --partial '"high_watermark":1'
	run curl -s -w '%{http_code}' -o /dev/null "$BROKER_URL/v1/topics/r/partitions/0/records?offset=5"
	assert_output 416
}

@test "a fetch at the end waits for the next record (long poll)" {
	slog-topics create lp
	echo first | slog-produce -t lp
	(sleep 0.5; echo second | slog-produce -t lp) 3>&- &
	local start=$SECONDS
	run curl -sf "$BROKER_URL/v1/topics/lp/partitions/0/records?offset=1&max_wait_ms=20000"
	assert_success
	[ "$(echo "$output" | jq -r .value)" = second ]
	[ $((SECONDS - start)) -lt 10 ]
}

@test "a fetch at the end with nothing new answers empty after max_wait_ms" {
	slog-topics create idle
	echo x | slog-produce -t idle
	run curl -s -w ' %{http_code} %{time_total}' \
		"$BROKER_URL/v1/topics/idle/partitions/0/records?offset=1&max_wait_ms=300"
	[[ "$output" == " 200 "* ]]
	awk -v t="${output##* }" 'BEGIN { exit !(t >= 0.25 && t < 5) }'
}

@test "offsets by earliest, latest and time" {
	slog-topics create times
	printf '{"value":"old","timestamp":1000}\n{"value":"mid","timestamp":2000}\n{"value":"new","timestamp":3000}\n' |
		slog-produce -J -t times
	run curl -sf "$BROKER_URL/v1/topics/times/partitions/0/offsets?at=earliest"
	[ "$(echo "$output" | jq .offset)" = 0 ]
	run curl -sf "$BROKER_URL/v1/topics/times/partitions/0/offsets?at=latest"
	[ "$(echo "$output" | jq .offset)" = 3 ]
	run curl -sf "$BROKER_URL/v1/topics/times/partitions/0/offsets?at=1500"
	[ "$(echo "$output" | jq .offset)" = 1 ]
	[ "$(echo "$output" | jq .timestamp)" = 2000 ]
	run curl -sf "$BROKER_URL/v1/topics/times/partitions/0/offsets?at=9999"
	[ "$(echo "$output" | jq .offset)" = 3 ]
}

@test "topics are managed over HTTP, with Kafka's error names" {
	run curl -s -w ' %{http_code}' -X POST "$BROKER_URL/v1/topics" --json '{"name":"h1","partitions":2}'
	[[ "$output" == *" 201" ]]
	run curl -s -w ' %{http_code}' -X POST "$BROKER_URL/v1/topics" --json '{"name":"h1"}'
	[[ "$output" == *TOPIC_ALREADY_EXISTS*" 409" ]]
	run curl -s -X PATCH "$BROKER_URL/v1/topics/h1/configs" --json '{"retention.ms":"1h"}'
	[ "$(echo "$output" | jq -r '.configs[]|select(.name=="retention.ms").value')" = 3600000 ]
	run curl -s -X PATCH "$BROKER_URL/v1/topics/h1/configs" --json '{"retention.ms":"whenever"}'
	assert_output --partial INVALID_CONFIG
	run curl -s -X POST "$BROKER_URL/v1/topics/h1/partitions" --json '{"count":1}'
	assert_output --partial INVALID_PARTITIONS
	run curl -s -X DELETE "$BROKER_URL/v1/topics/h1"
	assert_output --partial '"deleted":true'
	run curl -s -w ' %{http_code}' "$BROKER_URL/v1/topics/h1"
	[[ "$output" == *UNKNOWN_TOPIC_OR_PARTITION*" 404" ]]
}

@test "metadata and cluster name this broker as the leader of everything" {
	slog-topics create meta -P 2
	run curl -sf "$BROKER_URL/v1/cluster"
	[ "$(echo "$output" | jq '.brokers[0].port')" = "$BROKER_PORT" ]
	run curl -sf "$BROKER_URL/v1/metadata?topics=meta,missing"
	[ "$(echo "$output" | jq '.topics[0].partitions | length')" = 2 ]
	[ "$(echo "$output" | jq -r '.topics[0].partitions[1].isr[0]')" = 1 ]
	[ "$(echo "$output" | jq -r '.topics[1].error.code')" = UNKNOWN_TOPIC_OR_PARTITION ]
}

@test "acks=0, 1 and all are each answered; a bad acks is refused" {
	slog-topics create acks
	for a in 0 1 all; do
		run curl -sf -X POST "$BROKER_URL/v1/topics/acks/partitions/0/records?acks=$a" --data-binary x
		assert_success
	done
	run curl -s -w ' %{http_code}' -X POST "$BROKER_URL/v1/topics/acks/partitions/0/records?acks=2" --data-binary x
	[[ "$output" == *" 400" ]]
}

@test "validate_only checks a creation or a config change and changes nothing" {
	run curl -sf -X POST "$BROKER_URL/v1/topics" --json '{"name":"v1","partitions":2,"validate_only":true}'
	assert_output '{"name":"v1","valid":true}'
	run curl -s -w ' %{http_code}' "$BROKER_URL/v1/topics/v1"
	[[ "$output" == *" 404" ]]
	slog-topics create v2
	run curl -sf -X PATCH "$BROKER_URL/v1/topics/v2/configs" --json '{"retention.ms":"2h","validate_only":true}'
	[ "$(echo "$output" | jq -r '.configs[]|select(.name=="retention.ms").value')" = 7200000 ]
	run curl -sf "$BROKER_URL/v1/topics/v2/configs"
	[ "$(echo "$output" | jq -r '.configs[]|select(.name=="retention.ms").source')" = default ]
}

@test "an unknown field in an admin body is refused, not ignored" {
	run curl -s -w ' %{http_code}' -X POST "$BROKER_URL/v1/topics" --json '{"name":"typo","partition":3}'
	[[ "$output" == *'unknown field \"partition\"'*" 400" ]]
	run curl -s -w ' %{http_code}' "$BROKER_URL/v1/topics/typo"
	[[ "$output" == *" 404" ]]
}

@test "records encoded by the broker follow the topic's timestamp rules" {
	slog-topics create ts -c message.timestamp.after.max.ms=1m
	local future=$(( ($(date +%s) + 7200) * 1000 ))
	run curl -s -w ' %{http_code}' -X POST "$BROKER_URL/v1/topics/ts/partitions/0/records" \
		-H 'Content-Type: application/x-ndjson' --data-binary "{\"value\":\"x\",\"timestamp\":$future}"
	[[ "$output" == *INVALID_TIMESTAMP*"line 1"*" 400" ]]
	slog-topics create lat -c message.timestamp.type=LogAppendTime
	curl -sf -X POST "$BROKER_URL/v1/topics/lat/records" -H 'Content-Type: application/x-ndjson' \
		--data-binary '{"value":"x","timestamp":1000}' >/dev/null
	run slog-consume -t lat -e -f '%T\n'
	[ "$output" -gt 1000 ]
}

@test "producing to a missing partition of a missing topic creates nothing" {
	run curl -s -w ' %{http_code}' -X POST "$BROKER_URL/v1/topics/newp/partitions/3/records" --data-binary x
	[[ "$output" == *" 404" ]]
	run curl -s -w ' %{http_code}' "$BROKER_URL/v1/topics/newp"
	[[ "$output" == *" 404" ]]
}

@test "a produce to a topic that does not exist is 404 UNKNOWN_TOPIC_OR_PARTITION naming it, and creates nothing" {
	run curl -s -w ' %{http_code}' -X POST "$BROKER_URL/v1/topics/oders/records" --data-binary x
	[[ "$output" == *'"code":"UNKNOWN_TOPIC_OR_PARTITION"'*"topic 'oders' does not exist"*" 404" ]]
	run curl -s -w ' %{http_code}' -X POST "$BROKER_URL/v1/topics/oders/partitions/0/records" --data-binary x
	[[ "$output" == *'"code":"UNKNOWN_TOPIC_OR_PARTITION"'*"topic 'oders' does not exist"*" 404" ]]
	run curl -s -w ' %{http_code}' "$BROKER_URL/v1/topics/oders"
	[[ "$output" == *" 404" ]]
}

@test "a produce creates its topic when auto.create.topics.enable is set" {
	restart_broker --set auto.create.topics.enable=true
	run curl -s -w ' %{http_code}' -X POST "$BROKER_URL/v1/topics/made/records" --data-binary x
	[[ "$output" == *" 200" ]]
	run curl -sf "$BROKER_URL/v1/topics/made"
	assert_success
}

@test "metadata says why it did not auto-create a topic, as auto-create is off by default" {
	run curl -sf "$BROKER_URL/v1/metadata?topics=off&auto_create=1"
	[[ "$(echo "$output" | jq -r '.topics[0].error.message')" == *"auto.create.topics.enable is off"* ]]
	run curl -sf "$BROKER_URL/v1/metadata?topics=bad!name&auto_create=true"
	[ "$(echo "$output" | jq -r '.topics[0].error.code')" = INVALID_TOPIC_EXCEPTION ]
}

@test "media types are matched without regard to case" {
	slog-topics create ci
	run curl -sf -X POST "$BROKER_URL/v1/topics/ci/partitions/0/records" -H 'Content-Type: TEXT/Plain' --data-binary x
	assert_success
}
