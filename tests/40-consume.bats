#!/usr/bin/env bats
# slog-consume: offsets, stopping, formats, JSON, partitions, pipes.

load helpers

setup() {
	start_broker
	slog-topics create ten
	seq 1 10 | slog-produce -t ten
}

@test "by default it reads from the beginning; -e stops at the end" {
	run --separate-stderr slog-consume -t ten -e
	assert_success
	assert_output "$(seq 1 10)"
}

@test "-o accepts beginning, end, N, -N and +N" {
	run slog-consume -t ten -e -o 7
	assert_output $'8\n9\n10'
	run slog-consume -t ten -e -o -2
	assert_output $'9\n10'
	run slog-consume -t ten -e -o +8
	assert_output $'9\n10'
	run slog-consume -t ten -e -o end
	assert_output ''
	run slog-consume -t ten -e -o beginning -c 1
	assert_output 1
}

@test "-o @TIME starts at the first record that new, @T1:T2 stops before T2" {
	slog-topics create t3
	printf '{"value":"a","timestamp":1000}\n{"value":"b","timestamp":2000}\n{"value":"c","timestamp":3000}\n' |
		slog-produce -J -t t3
	run slog-consume -t t3 -e -o @1500ms
	assert_output $'b\nc'
	run slog-consume -t t3 -o @1000ms:3000ms
	assert_output $'a\nb'
	run slog-consume -t t3 -e -o 's@2000ms'
	assert_output $'b\nc'
	run slog-consume -t t3 -e -o '@1970-01-01T00:00:02Z'
	assert_output $'b\nc'
	run slog-consume -t t3 -e -o @-1h
	assert_output ''
}

@test "a bad -o is a usage error; an offset past the end is exit 1" {
	run --separate-stderr slog-consume -t ten -o sometime
	[ "$status" -eq 2 ]
	run --separate-stderr slog-consume -t ten -e -o 99
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"offset 99 is out of range for ten-0"* ]]
}

@test "-c stops after COUNT records" {
	run slog-consume -t ten -c 3
	assert_output $'1\n2\n3'
}

@test "-f prints kcat's tokens, %d dates and escapes" {
	local t
	for t in fmt dates; do slog-topics create "$t"; done
	printf 'k\tv\n' | slog-produce -t fmt -K '\t' -H h=x
	run --separate-stderr slog-consume -t fmt -e -f '%t|%p|%o|%k|%K|%s|%S|%h|%%\t|\n'
	assert_output $'fmt|0|0|k|1|v|1|h=x|%\t|'
	printf '{"value":"d","timestamp":1700000000123}\n' | slog-produce -J -t dates
	run slog-consume -t dates -e -f '%T %d\n'
	assert_output '1700000000123 2023-11-14T22:13:20.123Z'
	TZ=UTC run slog-consume -t dates -e -f '%d{%Y/%m/%d %H:%M}\n'
	assert_output '2023/11/14 22:13'
	run --separate-stderr slog-consume -t dates -e -f '%q'
	[ "$status" -eq 2 ]
}

@test "-Z prints null keys and values as NULL" {
	slog-topics create nulls
	printf '{"key":null,"value":null}\n' | slog-produce -J -t nulls
	run slog-consume -t nulls -e -f '%k,%s,%K,%S\n'
	assert_output ',,-1,-1'
	run slog-consume -t nulls -e -Z -f '%k,%s\n'
	assert_output 'NULL,NULL'
}

@test "-J prints one NDJSON object per record, binary-safe" {
	slog-topics create js
	printf '{"key":"k","value_b64":"/wA=","headers":[{"key":"a","value":"1"}]}\n' | slog-produce -J -t js
	run --separate-stderr slog-consume -t js -e -J
	assert_success
	[ "${#lines[@]}" -eq 1 ]
	[ "$(echo "$output" | jq -c '{topic,partition,offset,key,value_b64,headers}')" = \
	  '{"topic":"js","partition":0,"offset":0,"key":"k","value_b64":"/wA=","headers":[{"key":"a","value":"1"}]}' ]
}

@test "-p reads chosen partitions; by default all are merged" {
	slog-topics create multi -P 3
	for p in 0 1 2; do seq $((p * 10 + 1)) $((p * 10 + 10)) | slog-produce -t multi -p $p; done
	run slog-consume -t multi -e
	[ "${#lines[@]}" -eq 30 ]
	run slog-consume -t multi -e -p 1
	assert_output "$(seq 11 20)"
	run slog-consume -t multi -e -p 0,2
	[ "${#lines[@]}" -eq 20 ]
	run --separate-stderr slog-consume -t multi -e -p 5
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"no partition 5"* ]]
}

@test "a topic that does not exist is exit 1" {
	run --separate-stderr slog-consume -t nothing -e
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"topic 'nothing' does not exist"* ]]
}

@test "without -e it follows new records as they arrive" {
	slog-consume -t ten -o end -u >"$BATS_TEST_TMPDIR/follow" 3>&- &
	local c=$!
	sleep 0.3
	echo eleven | slog-produce -t ten
	wait_for 200 grep -q eleven "$BATS_TEST_TMPDIR/follow"
	kill -INT "$c"
	local rc=0
	wait "$c" || rc=$?
	[ "$rc" -eq 0 ]
	run cat "$BATS_TEST_TMPDIR/follow"
	assert_output eleven
}

@test "| head ends it cleanly with status 0" {
	slog-topics create many
	seq 1 200000 | slog-produce -t many
	run bash -c 'set -o pipefail; slog-consume -t many | head -3'
	assert_success
	assert_output $'1\n2\n3'
}

@test "-u writes each record as soon as it is read" {
	slog-consume -t ten -u -o -1 >"$BATS_TEST_TMPDIR/u" 3>&- &
	local c=$!
	wait_for 200 grep -q 10 "$BATS_TEST_TMPDIR/u"
	kill -TERM "$c"
	wait "$c"
}

@test "--max-bytes bounds each fetch and still reads everything" {
	slog-topics create mb
	seq 1 5000 | slog-produce -t mb --batch-bytes 2KiB
	run slog-consume -t mb -e --max-bytes 4KiB
	[ "${#lines[@]}" -eq 5000 ]
}

@test "-v prints a summary on stderr only" {
	run --separate-stderr slog-consume -t ten -e -v
	[ "${#lines[@]}" -eq 10 ]
	[[ "$stderr" == *"10 records from ten"* ]]
}
