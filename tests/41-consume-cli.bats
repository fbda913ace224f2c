#!/usr/bin/env bats
# slog-consume's command line: a reader that goes away, the -o grammar,
# topic arguments, --idle, -q, -r, the format tokens and --null-literal.

load helpers

setup() {
	start_broker
	slog-topics create ten
	seq 1 10 | slog-produce -t ten
}

# members_of GROUP: how many members the group has now.
members_of() {
	slog-groups describe "$1" --json | jq '.groups[0].members | length'
}

# gone PID: the process has exited.
gone() {
	! kill -0 "$1" 2>/dev/null
}

@test "a follower whose reader left exits at once, with no new record to write" {
	run timeout 20 bash -c 'slog-consume -t ten | head -n 5 >/dev/null; echo "${PIPESTATUS[0]}"'
	assert_success
	assert_output 0
}

@test "a follower at the end exits when its reader closes without reading" {
	run timeout 20 bash -c 'slog-consume -t ten -o end | head -n 0; echo "${PIPESTATUS[0]}"'
	assert_success
	assert_output 0
}

@test "a group member whose reader left commits, leaves the group and exits 0" {
	run timeout 20 bash -c 'slog-consume -g gidle -t ten 2>/dev/null | head -n 3 >/dev/null; echo "${PIPESTATUS[0]}"'
	assert_success
	assert_output 0
	run members_of gidle
	assert_output 0
	run bash -c "slog-groups describe gidle --json | jq '.groups[0].partitions[0].offset'"
	assert_output 10
}

@test "-o @DATE with seconds in local time starts there" {
	local now t
	slog-topics create tt
	now=$(date +%s000)
	for i in 0 1 2; do
		echo "{\"timestamp\":$((now - 3600000 + i * 60000)),\"value\":\"v$i\"}"
	done | slog-produce -J -t tt
	t=$(date -d @$(((now - 3600000 + 60000) / 1000)) +%Y-%m-%dT%H:%M:%S)
	run --separate-stderr slog-consume -t tt -e -o "@$t"
	assert_success
	assert_output $'v1\nv2'
}

@test "-o @T without -e starts at T and goes on following" {
	slog-topics create tf
	printf '%s\n' '{"timestamp":1000,"value":"a"}' '{"timestamp":2000,"value":"b"}' |
		slog-produce -J -t tf
	# c comes after the consumer started, or before: either way it is read.
	( sleep 0.5; echo '{"timestamp":3000,"value":"c"}' | slog-produce -J -t tf ) 3>&- &
	local late=$!
	run timeout 20 slog-consume -t tf -o "@$(date -d @2 +%Y-%m-%dT%H:%M:%S)" -c 2
	wait "$late"
	assert_success
	assert_output $'b\nc'
}

@test "-o @SECONDS reads a 10-digit time as seconds and a 13-digit one as ms" {
	slog-topics create ts
	printf '%s\n' '{"timestamp":1796021409000,"value":"old"}' \
		'{"timestamp":1796021411000,"value":"new"}' | slog-produce -J -t ts
	run --separate-stderr slog-consume -t ts -e -o @1796021410
	assert_output new
	run --separate-stderr slog-consume -t ts -e -o @1796021410000
	assert_output new
	run --separate-stderr slog-consume -t ts -e -o @1796021409s:1796021410s
	assert_output old
}

@test "-o N:M reads from N and stops before M, without -e" {
	run timeout 20 slog-consume -t ten -o 2:5
	assert_success
	assert_output $'3\n4\n5'
}

@test "-o :end and -o N:end stop at the end as it was at start" {
	run timeout 20 slog-consume -t ten -o :end
	assert_success
	assert_output "$(seq 1 10)"
	run timeout 20 slog-consume -t ten -o 8:end
	assert_output $'9\n10'
	run timeout 20 slog-consume -t ten -o :3
	assert_output $'1\n2\n3'
}

@test "-o P=N starts partition P at N and the others where -o says" {
	slog-topics create pp -P 2
	seq 1 5 | slog-produce -t pp -p 0
	seq 11 15 | slog-produce -t pp -p 1
	run --separate-stderr slog-consume -t pp -e -o 1=3 -o end
	assert_success
	assert_output $'14\n15'
	run --separate-stderr slog-consume -t pp -e -p 0 -o 0=-1
	assert_output 5
	run --separate-stderr slog-consume -t pp -e -o 2=0
	[ "$status" -eq 1 ]
	assert_stderr_has "no partition 2"
}

@test "a bad -o range or partition start is a usage error" {
	run --separate-stderr slog-consume -t ten -o 5:2
	[ "$status" -eq 2 ]
	run --separate-stderr slog-consume -t ten -o x=1
	[ "$status" -eq 2 ]
	run --separate-stderr slog-consume -t ten -o 0=5:9
	[ "$status" -eq 2 ]
	run --separate-stderr slog-consume -g g -t ten -o 2:5
	[ "$status" -eq 2 ]
}

@test "-t a,b reads both topics" {
	slog-topics create tb
	echo b | slog-produce -t tb
	run --separate-stderr slog-consume -t ten,tb -e -c 11 -f '%t\n'
	assert_success
	[ "$(sort -u <<<"$output" | tr '\n' ' ')" = "tb ten " ]
}

@test "an invalid topic name is a usage error before any request" {
	run --separate-stderr slog-consume -b 127.0.0.1:1 -t 'bad name' -e
	[ "$status" -eq 2 ]
	assert_stderr_has "bad name"
}

@test "a topic named twice is read once" {
	run --separate-stderr slog-consume -t ten -t ten,ten -e
	assert_success
	assert_output "$(seq 1 10)"
}

@test "a group member whose topic is deleted leaves the group and exits 1" {
	slog-topics create dt
	echo a | slog-produce -t dt
	slog-consume -g dg -t dt >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" &
	local c=$! rc=0
	wait_for 200 grep -q a "$BATS_TEST_TMPDIR/out"
	slog-topics delete dt
	wait_for 400 gone "$c"
	wait "$c" || rc=$?
	[ "$rc" -eq 1 ]
	run cat "$BATS_TEST_TMPDIR/err"
	assert_output --partial "'dt'"
	assert_output --partial "leaving the group"
	# Left: no member, or (no offset left either) no group at all.
	run --separate-stderr members_of dg
	[[ "$output" == 0 || "$output" == "" ]]
}

@test "--idle exits 0 once no new record came for that long" {
	run --separate-stderr timeout 20 slog-consume -t ten --idle 300ms
	assert_success
	assert_output "$(seq 1 10)"
}

@test "-q silences notices but not errors" {
	run --separate-stderr slog-consume -g gq -t ten -e
	assert_stderr_has "has no offset"
	run --separate-stderr slog-consume -g gq2 -t ten -e -q
	assert_success
	[ -z "$stderr" ]
	run --separate-stderr slog-consume -t nothing -e -q
	[ "$status" -eq 1 ]
	assert_stderr_has "nothing"
}

@test "-f %l %[ %] print lag, log start and high watermark" {
	run --separate-stderr slog-consume -t ten -e -o 7 -f '%o %l %[ %]\n'
	assert_success
	assert_output $'7 2 0 10\n8 1 0 10\n9 0 0 10'
}

@test "-f takes \\xNN escapes" {
	run --separate-stderr slog-consume -t ten -e -c 2 -f '%s\x2c\x41\n'
	assert_success
	assert_output $'1,A\n2,A'
	run --separate-stderr slog-consume -t ten -e -f '\xZZ'
	[ "$status" -eq 2 ]
}

@test "-r reads every topic whose name matches" {
	slog-topics create re-a
	slog-topics create re-b
	echo a | slog-produce -t re-a
	echo b | slog-produce -t re-b
	run --separate-stderr slog-consume -r '^re-[ab]$' -e -f '%t %s\n'
	assert_success
	[ "$(sort <<<"$output" | tr '\n' ' ')" = "re-a a re-b b " ]
	run --separate-stderr slog-consume -r '^nomatch' -e
	[ "$status" -eq 1 ]
	run --separate-stderr slog-consume -r '(' -e
	[ "$status" -eq 2 ]
}

@test "--null-literal prints a null as the given text; -Z still prints NULL" {
	slog-topics create nl
	echo '{"value":null}' | slog-produce -J -t nl
	run --separate-stderr slog-consume -t nl -e --null-literal '<nil>'
	assert_output '<nil>'
	run --separate-stderr slog-consume -t nl -e -Z
	assert_output NULL
}
