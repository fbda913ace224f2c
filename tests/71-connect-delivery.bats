#!/usr/bin/env bats
# slog-connect's path into slog: the record writer (order, progress that
# waits for acknowledgements), the error policy's dead letters, and the
# offset store, driven as a source task drives them (connect-test-tool).

load helpers

setup() {
	start_broker
	TOOL=$(dirname "$SLOG_TEST_TOOL")/connect-test-tool
}

teardown() {
	if [ -n "${TOOL_PID:-}" ]; then
		kill -KILL "$TOOL_PID" 2>/dev/null || true
		wait "$TOOL_PID" 2>/dev/null || true
	fi
	teardown_brokers
}

# keyed N: N NDJSON records, keys k0..k6 in turn, values 1..N.
keyed() {
	local i
	for ((i = 1; i <= $1; i++)); do
		printf '{"key":"k%d","value":"%d"}\n' $((i % 7)) "$i"
	done
}

# big: one record of 600 bytes of value.
big() {
	printf '{"key":"big","value":"%s"}\n' "$(printf 'x%.0s' {1..600})"
}

# open_writer TOPIC [ARGS...]: connect-test-tool write to TOPIC in the
# background, its input on fd 5 (a fifo), its first record (value 1)
# delivered before this returns, so that it has looked TOPIC up.
open_writer() {
	local topic=$1
	shift
	mkfifo "$BATS_TEST_TMPDIR/in"
	"$TOOL" write -b "$SLOG_BROKERS" -t "$topic" "$@" <"$BATS_TEST_TMPDIR/in" \
		>"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" &
	TOOL_PID=$!
	exec 5>"$BATS_TEST_TMPDIR/in"
	printf '{"key":"a","value":"1"}\n' >&5
	wait_for 200 bash -c "[ \"\$(slog-consume -t '$topic' -e)\" = 1 ]"
}

# close_writer: end its input and wait; WRITER_STATUS is its exit status,
# $output its stdout.
close_writer() {
	exec 5>&-
	WRITER_STATUS=0
	wait "$TOOL_PID" || WRITER_STATUS=$?
	TOOL_PID=
	cat "$BATS_TEST_TMPDIR/err" >&2
	output=$(cat "$BATS_TEST_TMPDIR/out")
}

# headers_of TOPIC: each record's headers as KEY=VALUE lines.
headers_of() {
	slog-consume -t "$1" -e -J | python3 -c '
import json, sys
for line in sys.stdin:
    for h in json.loads(line)["headers"]:
        print("%s=%s" % (h["key"], h["value"]))'
}

@test "records arrive in order per key, and done_upto reaches the last one sent" {
	slog-topics create orders -P 4
	run --separate-stderr "$TOOL" write -b "$SLOG_BROKERS" -t orders < <(keyed 3000)
	assert_success
	assert_output "sent 3000 done_upto 3000 dead_letter 0 skipped 0 errors 0"
	run --separate-stderr bash -c 'slog-consume -t orders -e -J | python3 -c "
import json, sys
last, n = {}, 0
for line in sys.stdin:
    r = json.loads(line)
    v = int(r[\"value\"])
    assert last.get(r[\"key\"], 0) < v, line
    last[r[\"key\"]] = v
    n += 1
print(n, len(last))"'
	assert_success
	assert_output "3000 7"
}

@test "producer.override keys shape the batches: zstd and small batches still deliver all" {
	slog-topics create shaped -P 2
	run --separate-stderr "$TOOL" write -b "$SLOG_BROKERS" -t shaped \
		-s producer.override.compression.type=zstd -s producer.override.batch.size=200 \
		-s producer.override.linger.ms=0 -s producer.override.acks=1 < <(keyed 500)
	assert_success
	assert_output "sent 500 done_upto 500 dead_letter 0 skipped 0 errors 0"
	run --separate-stderr slog-consume -t shaped -e
	[ "${#lines[@]}" -eq 500 ]
}

@test "a record over max.message.bytes goes to the dead-letter topic with Kafka's error headers" {
	slog-topics create small -c max.message.bytes=300
	run --separate-stderr "$TOOL" write -b "$SLOG_BROKERS" -t small \
		-s errors.tolerance=all -s errors.deadletterqueue.topic.name=small.dlq \
		< <(keyed 3; big; keyed 2)
	assert_success
	assert_output "sent 6 done_upto 6 dead_letter 1 skipped 0 errors 1"
	run slog-consume -t small -e
	assert_output $'1\n2\n3\n1\n2'
	run slog-consume -t small.dlq -e -f '%k %S\n'
	assert_output "big 600"
	run headers_of small.dlq
	assert_output - <<'EOF'
__connect.errors.topic=small
__connect.errors.connector.name=test-connector
__connect.errors.task.id=0
__connect.errors.stage=KAFKA_PRODUCE
__connect.errors.class.name=test-source
__connect.errors.exception.class.name=MESSAGE_TOO_LARGE
__connect.errors.exception.message=a record of 673 bytes is over max.message.bytes (300) of topic 'small'
EOF
}

@test "dead letters carry no error headers when context headers are disabled" {
	slog-topics create small -c max.message.bytes=300
	run --separate-stderr "$TOOL" write -b "$SLOG_BROKERS" -t small -s errors.tolerance=all \
		-s errors.deadletterqueue.topic.name=small.dlq \
		-s errors.deadletterqueue.context.headers.enable=false < <(big)
	assert_success
	run headers_of small.dlq
	assert_output ""
	run slog-consume -t small.dlq -e -f '%k\n'
	assert_output "big"
}

@test "a record over max.message.bytes fails the writer with errors.tolerance=none" {
	slog-topics create small -c max.message.bytes=300
	run --separate-stderr "$TOOL" write -b "$SLOG_BROKERS" -t small < <(keyed 1; big; keyed 1)
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"KAFKA_PRODUCE failed (errors.tolerance=none): a record of 673 bytes is over max.message.bytes (300) of topic 'small'"* ]]
	[[ "$output" == "sent 2 done_upto "[01]" "* ]]
}

@test "with errors.tolerance=all and no dead-letter topic a failed record is skipped and counted" {
	slog-topics create small -c max.message.bytes=300
	run --separate-stderr "$TOOL" write -b "$SLOG_BROKERS" -t small -s errors.tolerance=all \
		< <(keyed 2; big)
	assert_success
	assert_output "sent 3 done_upto 3 dead_letter 0 skipped 1 errors 1"
	run slog-consume -t small -e
	assert_output $'1\n2'
}

@test "a batch the broker refuses as too large is sent again record by record: only the large one is dead-lettered" {
	slog-topics create later
	open_writer later -s errors.tolerance=all -s errors.deadletterqueue.topic.name=later.dlq \
		-s producer.override.linger.ms=200
	# The writer knows the topic's old limit: the broker is the one to refuse,
	# and the large record shares its batch with others.
	slog-topics alter later -c max.message.bytes=300
	{ printf '{"key":"a","value":"2"}\n'; big; printf '{"key":"a","value":"3"}\n'; } >&5
	close_writer
	[ "$WRITER_STATUS" -eq 0 ]
	assert_output "sent 4 done_upto 4 dead_letter 1 skipped 0 errors 1"
	run slog-consume -t later -e
	assert_output $'1\n2\n3'
	run slog-consume -t later.dlq -e -f '%k\n'
	assert_output "big"
	run headers_of later.dlq
	assert_line "__connect.errors.exception.class.name=MESSAGE_TOO_LARGE"
	assert_line "__connect.errors.topic=later"
}

@test "records the broker never acknowledges fail the writer at the delivery timeout" {
	slog-topics create gone
	open_writer gone -s producer.override.delivery.timeout.ms=1500
	stop_broker
	printf '{"value":"2"}\n' >&5
	close_writer
	[ "$WRITER_STATUS" -eq 1 ]
	assert_output "sent 2 done_upto 1 dead_letter 0 skipped 0 errors 1"
	run cat "$BATS_TEST_TMPDIR/err"
	assert_output --partial "KAFKA_PRODUCE failed (errors.tolerance=none)"
	assert_output --partial "gave up at the timeout"
}

@test "a dead-letter topic that cannot take the record fails the writer" {
	slog-topics create small -c max.message.bytes=300
	slog-topics create small.dlq -c max.message.bytes=300
	run --separate-stderr "$TOOL" write -b "$SLOG_BROKERS" -t small -s errors.tolerance=all \
		-s errors.deadletterqueue.topic.name=small.dlq < <(big)
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"cannot dead-letter a record"*"over max.message.bytes (300) of topic 'small.dlq'"* ]]
}

@test "offsets saved are read back when the store is opened again" {
	run "$TOOL" offsets -b "$SLOG_BROKERS" -T __connect_offsets -c app put '{"file":"/a"}' '{"pos":10}'
	assert_success
	"$TOOL" offsets -b "$SLOG_BROKERS" -T __connect_offsets -c app put '{"file":"/b"}' '{"pos":7}'
	"$TOOL" offsets -b "$SLOG_BROKERS" -T __connect_offsets -c app put '{"file":"/a"}' '{"pos":20}'
	"$TOOL" offsets -b "$SLOG_BROKERS" -T __connect_offsets -c other put '{"file":"/a"}' '{"pos":1}'
	run "$TOOL" offsets -b "$SLOG_BROKERS" -T __connect_offsets -c app list
	assert_success
	assert_output '[{"offset":{"pos":7},"partition":{"file":"/b"}},{"offset":{"pos":20},"partition":{"file":"/a"}}]'
}

@test "offsets are kept in Kafka Connect's form in __connect_offsets, created compacted" {
	"$TOOL" offsets -b "$SLOG_BROKERS" -T __connect_offsets -c app put '{"file":"/a","dev":2049}' '{"pos":10}'
	run slog-consume -t __connect_offsets -e -f '%k|%s\n'
	assert_output '["app",{"dev":2049,"file":"/a"}]|{"pos":10}'
	run --separate-stderr bash -c "slog-topics describe __connect_offsets --format json |
		python3 -c 'import json, sys; print(len(json.load(sys.stdin)[\"topics\"][0][\"partitions\"]))'"
	assert_output 25
	run --separate-stderr slog-topics describe __connect_offsets --topics-with-overrides
	assert_output --regexp "cleanup.policy +compact +topic"
}

@test "a reset writes tombstones: the connector's offsets are gone, another's stay" {
	"$TOOL" offsets -b "$SLOG_BROKERS" -T __connect_offsets -c app put '{"file":"/a"}' '{"pos":10}'
	"$TOOL" offsets -b "$SLOG_BROKERS" -T __connect_offsets -c other put '{"file":"/a"}' '{"pos":1}'
	run "$TOOL" offsets -b "$SLOG_BROKERS" -T __connect_offsets -c app reset
	assert_success
	run "$TOOL" offsets -b "$SLOG_BROKERS" -T __connect_offsets -c app list
	assert_output '[]'
	run "$TOOL" offsets -b "$SLOG_BROKERS" -T __connect_offsets -c other list
	assert_output '[{"offset":{"pos":1},"partition":{"file":"/a"}}]'
	run slog-consume -t __connect_offsets -e -J
	assert_output --partial '"key":"[\"app\",{\"file\":\"/a\"}]","value":null'
}

@test "slog-connect's __connect_ topics may be created; other __ names stay the broker's" {
	run -0 slog-topics create __connect_status
	run -1 slog-topics create __mine
	assert_output --partial "starting with '__'"
}
