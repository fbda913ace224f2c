#!/usr/bin/env bats
# Shell pipelines: what slog is for.

load helpers

setup() {
	start_broker
}

@test "consume -J | produce -J copies keys, values, headers and timestamps exactly" {
	local t
	for t in src dst; do slog-topics create "$t"; done
	{
		printf '%s\n' '{"key":"a","value":"text","timestamp":1111,"headers":[{"key":"h","value":"1"},{"key":"h","value":"2"}]}'
		printf '%s\n' '{"key_b64":"gA==","value_b64":"AAEC/w==","timestamp":2222}'
		printf '%s\n' '{"key":null,"value":null,"timestamp":3333}'
		printf '%s\n' '{"key":"","value":"","timestamp":4444,"headers":[{"key":"n","value":null}]}'
	} | slog-produce -J -t src
	slog-consume -t src -e -J | slog-produce -J -t dst
	diff <(slog-consume -t src -e -J | jq -c 'del(.topic)') <(slog-consume -t dst -e -J | jq -c 'del(.topic)')
}

@test "every byte value survives the round trip" {
	local t
	for t in blob blob2; do slog-topics create "$t"; done
	head -c 4096 /dev/urandom >"$BATS_TEST_TMPDIR/blob"
	slog-produce -t blob -D '' "$BATS_TEST_TMPDIR/blob"
	slog-consume -t blob -e -J | slog-produce -J -t blob2
	slog-consume -t blob2 -e -f '%s' | cmp - "$BATS_TEST_TMPDIR/blob"
}

@test "consume | jq | produce transforms a topic" {
	local t
	for t in nums tens; do slog-topics create "$t"; done
	for i in 1 2 3; do echo "{\"n\":$i}"; done | slog-produce -t nums
	slog-consume -t nums -e | jq -c '{n: (.n * 10)}' | slog-produce -t tens
	run slog-consume -t tens -e
	assert_output $'{"n":10}\n{"n":20}\n{"n":30}'
}

@test "a pipeline moves a million records and loses none" {
	slog-topics create big
	seq 1 1000000 | slog-produce -t big
	run bash -c 'slog-consume -t big -e | wc -l'
	assert_output 1000000
	run bash -c 'slog-consume -t big -e | awk "{s+=\$1} END {printf \"%.0f\\n\", s}"'
	assert_output 500000500000
}
