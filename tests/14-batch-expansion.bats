#!/usr/bin/env bats
# Compressed batches that expand far beyond their size: a bomb is refused
# before it costs its expansion, and an NDJSON fetch of a legal one answers
# max_bytes of text, not the whole batch rendered (a zero byte is six
# bytes of JSON).  Memory is the broker's peak RSS (VmHWM).

load helpers

setup() {
	start_broker
}

# The broker's peak resident memory so far, in KiB.
vmhwm() {
	awk '/^VmHWM:/ { print $2 }' "/proc/$BROKER_PID/status"
}

# produce_file TOPIC FILE: POST a batch file; $output is "status body".
produce_file() {
	run curl -s -o "$BATS_TEST_TMPDIR/answer" -w '%{http_code}' -X POST \
		"$BROKER_URL/v1/topics/$1/partitions/0/records" \
		-H 'Content-Type: application/x-slog-batch' --data-binary "@$2"
	output="$output $(cat "$BATS_TEST_TMPDIR/answer")"
}

# fetch_ndjson TOPIC OFFSET MAX_BYTES: the body in $BATS_TEST_TMPDIR/body,
# the headers in $BATS_TEST_TMPDIR/headers; NEXT is Slog-Next-Offset.
fetch_ndjson() {
	curl -sf -D "$BATS_TEST_TMPDIR/headers" -o "$BATS_TEST_TMPDIR/body" \
		"$BROKER_URL/v1/topics/$1/partitions/0/records?offset=$2&max_bytes=$3"
	NEXT=$(tr -d '\r' <"$BATS_TEST_TMPDIR/headers" | awk -F': ' 'tolower($1) == "slog-next-offset" { print $2 }')
	HW=$(tr -d '\r' <"$BATS_TEST_TMPDIR/headers" | awk -F': ' 'tolower($1) == "slog-high-watermark" { print $2 }')
}

@test "a zstd bomb is refused with MESSAGE_TOO_LARGE before it costs its expansion" {
	# 200 records of 1 MiB of zeros: about 9 KB sent, 200 MiB decompressed.
	"$SLOG_TEST_TOOL" bomb-batch --records 200 --record-bytes 1MiB >"$BATS_TEST_TMPDIR/bomb"
	[ "$(stat -c %s "$BATS_TEST_TMPDIR/bomb")" -lt 32768 ]
	curl -sf -o /dev/null -X POST "$BROKER_URL/v1/topics" --json '{"name":"bomb"}'
	before=$(vmhwm)
	produce_file bomb "$BATS_TEST_TMPDIR/bomb"
	assert_output --partial '413 '
	assert_output --partial MESSAGE_TOO_LARGE
	assert_output --partial message.max.uncompressed.bytes
	after=$(vmhwm)
	echo "VmHWM before $before KiB, after $after KiB" >&3
	[ $((after - before)) -lt $((32 * 1024)) ]
	run slog-topics offsets bomb --json
	[ "$(echo "$output" | jq '.partitions[0].latest')" = 0 ]
}

@test "a batch within message.max.uncompressed.bytes is accepted, and the key can raise the limit" {
	"$SLOG_TEST_TOOL" bomb-batch --records 20 --record-bytes 1MiB >"$BATS_TEST_TMPDIR/b20"
	restart_broker --set message.max.uncompressed.bytes=8MiB
	slog-topics create small
	produce_file small "$BATS_TEST_TMPDIR/b20"
	assert_output --partial '413 '
	restart_broker --set message.max.uncompressed.bytes=32MiB
	produce_file small "$BATS_TEST_TMPDIR/b20"
	assert_output --partial '200 '
	assert_output --partial '"record_count":20'
}

@test "an NDJSON fetch with max_bytes=1 of a compressible batch answers one record, in bounded memory" {
	# 48 records of 512 KiB of zeros: each renders to about 3 MiB of NDJSON.
	"$SLOG_TEST_TOOL" bomb-batch --records 48 --record-bytes 512KiB >"$BATS_TEST_TMPDIR/b48"
	slog-topics create zeros
	produce_file zeros "$BATS_TEST_TMPDIR/b48"
	assert_output --partial '200 '
	before=$(vmhwm)
	fetch_ndjson zeros 0 1
	size=$(stat -c %s "$BATS_TEST_TMPDIR/body")
	after=$(vmhwm)
	echo "answer $size bytes; VmHWM before $before KiB, after $after KiB" >&3
	[ "$(wc -l <"$BATS_TEST_TMPDIR/body")" -eq 1 ]
	[ "$(jq .offset "$BATS_TEST_TMPDIR/body")" = 0 ]
	[ "$size" -lt $((4 * 1024 * 1024)) ]
	[ "$NEXT" = 1 ]
	[ $((after - before)) -lt $((48 * 1024)) ]
	# Mid-batch: two records fit in 6.5 MB, a third does not.
	fetch_ndjson zeros 1 6500000
	[ "$(jq -s 'map(.offset) | join(",")' "$BATS_TEST_TMPDIR/body")" = '"1,2"' ]
	[ "$NEXT" = 3 ]
}

@test "a record beyond a lowered message.max.uncompressed.bytes is refused as NDJSON and served as a batch" {
	"$SLOG_TEST_TOOL" bomb-batch --records 3 --record-bytes 2MiB >"$BATS_TEST_TMPDIR/b3"
	slog-topics create big
	produce_file big "$BATS_TEST_TMPDIR/b3"
	assert_output --partial '200 '
	restart_broker --set message.max.uncompressed.bytes=1MiB
	run curl -s -w ' %{http_code}' "$BROKER_URL/v1/topics/big/partitions/0/records?offset=1"
	assert_output --partial MESSAGE_TOO_LARGE
	assert_output --partial '"offset":1'
	assert_output --partial ' 413'
	run curl -s -o "$BATS_TEST_TMPDIR/batch" -w '%{http_code}' -H 'Accept: application/x-slog-batch' \
		"$BROKER_URL/v1/topics/big/partitions/0/records?offset=1"
	assert_output 200
	cmp <(tail -c +17 "$BATS_TEST_TMPDIR/b3") <(tail -c +17 "$BATS_TEST_TMPDIR/batch")
}

@test "following Slog-Next-Offset with a small max_bytes reads every record exactly once" {
	slog-topics create walk
	for i in 1 2 3; do
		seq -f "text-$i-%g" 1 7 | curl -sf -o /dev/null -X POST \
			"$BROKER_URL/v1/topics/walk/partitions/0/records" -H 'Content-Type: text/plain' --data-binary @-
	done
	"$SLOG_TEST_TOOL" bomb-batch --records 5 --record-bytes 100 >"$BATS_TEST_TMPDIR/b5"
	produce_file walk "$BATS_TEST_TMPDIR/b5"
	assert_output --partial '200 '
	offsets=() next=0 answers=0
	while :; do
		fetch_ndjson walk "$next" 300
		[ "$NEXT" -gt "$next" ] || break
		offsets+=($(jq .offset "$BATS_TEST_TMPDIR/body"))
		next=$NEXT answers=$((answers + 1))
		[ "$answers" -lt 100 ]
	done
	[ "$next" = 26 ] && [ "$HW" = 26 ]
	[ "${offsets[*]}" = "$(seq -s ' ' 0 25)" ]
	# Small answers, so the walk stopped inside batches.
	[ "$answers" -gt 4 ]
}

@test "a negative timestamp is refused with INVALID_TIMESTAMP in a batch as in NDJSON" {
	"$SLOG_TEST_TOOL" bomb-batch --records 1 --record-bytes 1 --timestamp -5 >"$BATS_TEST_TMPDIR/neg"
	slog-topics create ts
	produce_file ts "$BATS_TEST_TMPDIR/neg"
	assert_output --partial '400 '
	assert_output --partial INVALID_TIMESTAMP
	assert_output --partial 'timestamp -5 is negative'
	"$SLOG_TEST_TOOL" bomb-batch --records 1 --record-bytes 1 --timestamp -1 >"$BATS_TEST_TMPDIR/none"
	produce_file ts "$BATS_TEST_TMPDIR/none"
	assert_output --partial INVALID_TIMESTAMP
	run curl -s -w ' %{http_code}' -X POST "$BROKER_URL/v1/topics/ts/partitions/0/records" \
		-H 'Content-Type: application/x-ndjson' --data-binary '{"value":"x","timestamp":-1}'
	assert_output --partial INVALID_TIMESTAMP
	assert_output --partial 'timestamp -1 is negative'
	assert_output --partial ' 400'
	"$SLOG_TEST_TOOL" bomb-batch --records 1 --record-bytes 1 --timestamp 0 >"$BATS_TEST_TMPDIR/zero"
	produce_file ts "$BATS_TEST_TMPDIR/zero"
	assert_output --partial '200 '
}

@test "a negative timestamp is refused even where the broker stamps its own time" {
	curl -sf -o /dev/null -X POST "$BROKER_URL/v1/topics" \
		--json '{"name":"lat","configs":{"message.timestamp.type":"LogAppendTime"}}'
	"$SLOG_TEST_TOOL" bomb-batch --records 1 --record-bytes 1 --timestamp -5 >"$BATS_TEST_TMPDIR/neg"
	produce_file lat "$BATS_TEST_TMPDIR/neg"
	assert_output --partial '400 '
	assert_output --partial INVALID_TIMESTAMP
	run curl -s -w ' %{http_code}' -X POST "$BROKER_URL/v1/topics/lat/partitions/0/records" \
		-H 'Content-Type: application/x-ndjson' --data-binary '{"value":"x","timestamp":-1}'
	assert_output --partial INVALID_TIMESTAMP
	assert_output --partial ' 400'
}
