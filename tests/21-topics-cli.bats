#!/usr/bin/env bats
# slog-topics as a user types it: times for offsets --at, the delete
# prompt, long and filtered listings, JSON and its schema, the health
# filters of describe, and topic names checked before any request.

load helpers

setup() {
	start_broker
}

# on_tty ANSWER CMD...: run CMD on a pseudo-terminal (stdin, stdout and
# stderr); type ANSWER and a newline when it asks "[y/N]".  Prints what
# the terminal showed; the status is CMD's.
on_tty() {
	python3 - "$@" <<'EOF'
import os, pty, select, sys
answer = sys.argv[1].encode() + b"\n"
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
seen, sent = b"", False
while select.select([fd], [], [], 20)[0]:
    try:
        data = os.read(fd, 4096)
    except OSError:
        break
    if not data:
        break
    seen += data
    if not sent and b"[y/N]" in seen:
        os.write(fd, answer)
        sent = True
sys.stdout.write(seen.decode(errors="replace").replace("\r", ""))
sys.exit(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
EOF
}

# produce_at TOPIC TIMESTAMP VALUE: one record with that timestamp into partition 0.
produce_at() {
	printf '{"value":"%s","timestamp":%s}\n' "$3" "$2" | slog-produce -J -t "$1" -p 0
}

@test "offsets --at takes a duration before now, a date, or @ms" {
	slog-topics create t1 -P 3
	local now
	now=$(($(date +%s) * 1000))
	produce_at t1 1000 old
	produce_at t1 "$now" new
	run --separate-stderr slog-topics offsets t1 --at -1h --json
	assert_success
	[ "$(echo "$output" | jq -c '[.partitions[].at]')" = '[1,0,0]' ]
	run --separate-stderr slog-topics offsets t1 --at 1970-01-01 --json
	assert_success
	[ "$(echo "$output" | jq '.partitions[0].at')" = 0 ]
	run --separate-stderr slog-topics offsets t1 --at @1001
	assert_success
	assert_line --regexp '^0 +0 +2 +1$'
}

@test "a bad --at is a usage error before any request" {
	slog-topics create t1 -P 3
	run -2 --separate-stderr slog-topics offsets t1 --at yesterday
	[ "$(grep -c "yesterday" <<<"$stderr")" -eq 1 ]
	assert_stderr_has "--at"
	assert_output ''
	# No broker needed to say so.
	run -2 --separate-stderr slog-topics -b 127.0.0.1:1 offsets t1 --at 1h
}

@test "delete on a terminal says what goes and keeps the topics on no" {
	slog-topics create keep1 -P 2
	seq 1 5 | slog-produce -t keep1 -p 1
	run -1 on_tty n slog-topics delete keep1
	[[ "$output" == *"keep1"*"2 partitions"*"5 records"*"[y/N]"* ]]
	run slog-topics list
	assert_line keep1
}

@test "delete on a terminal deletes on yes, and -y does not ask" {
	slog-topics create gone1 gone2
	run -0 on_tty y slog-topics delete gone1
	[[ "$output" == *"[y/N]"* ]]
	run -0 on_tty n slog-topics delete -y gone2
	[[ "$output" != *"[y/N]"* ]]
	run slog-topics list
	refute_listed gone1
	refute_listed gone2
}

@test "delete not on a terminal does not ask" {
	slog-topics create quiet
	run -0 --separate-stderr slog-topics delete quiet </dev/null
	run slog-topics list
	refute_listed quiet
}

@test "delete -r deletes the topics whose names match, and says so when none does" {
	slog-topics create app.a
	slog-topics create app.b
	slog-topics create other
	run -0 --separate-stderr slog-topics delete -r '^app\.' </dev/null
	run -0 user_topics
	assert_output other
	run -1 --separate-stderr slog-topics delete -r '^app\.' </dev/null
	assert_stderr_has "no topic matches '^app\.'"
	run -0 --separate-stderr slog-topics delete -r '^app\.' --if-exists </dev/null
	run -2 --separate-stderr slog-topics delete
	assert_stderr_has "delete needs a topic name or -r REGEX"
}

@test "list -l shows partitions, replication factor, records, size and cleanup policy" {
	slog-topics create big -P 3 -c cleanup.policy=compact
	slog-topics create small
	seq 1 7 | sed 's/^/k/; s/$/:v/' | slog-produce -t big -p 2 -K :
	run -0 --separate-stderr slog-topics list -l
	assert_line --index 0 --regexp '^NAME +PARTITIONS +REPLICAS +RECORDS +SIZE +CLEANUP-POLICY$'
	assert_line --regexp '^big +3 +1 +7 +[0-9.]+ [KM]?i?B +compact$'
	assert_line --regexp '^small +1 +1 +0 +0 B +delete$'
	run -0 --separate-stderr slog-topics list -l --format json
	[ "$(echo "$output" | jq -c '.topics[0] | [.name,.partitions,.replication_factor,.records,.cleanup_policy]')" = '["big",3,1,7,"compact"]' ]
	[ "$(echo "$output" | jq '.topics[0].size_bytes > 0')" = true ]
}

@test "list -r keeps the names that match an extended regex" {
	slog-topics create orders.eu orders.us payments
	run -0 --separate-stderr slog-topics list -r '^orders\.(eu|us)$'
	assert_output $'orders.eu\norders.us'
	run -0 --separate-stderr slog-topics list -r 'pay|nothing' --format json
	[ "$(echo "$output" | jq -c '[.topics[].name]')" = '["payments"]' ]
	run -2 --separate-stderr slog-topics list -r '('
	assert_stderr_has "-r"
}

@test "--format json works on every read command, and --format help prints the schema" {
	slog-topics create fj
	run -0 --separate-stderr slog-topics list --format json
	[ "$(echo "$output" | jq -r '.topics[0].name')" = fj ]
	run -0 --separate-stderr slog-topics describe fj --format json
	[ "$(echo "$output" | jq -r '.topics[0].name')" = fj ]
	run -0 --separate-stderr slog-topics offsets fj --format json
	[ "$(echo "$output" | jq -r '.topic')" = fj ]
	run -0 --separate-stderr slog-topics describe --format help
	echo "$output" | jq -e '.properties.topics' >/dev/null
	run -0 --separate-stderr slog-topics offsets --format help
	echo "$output" | jq -e '.properties.partitions' >/dev/null
	run -2 --separate-stderr slog-topics list --format yaml
	assert_stderr_has "yaml"
}

@test "a topic whose ISR is below min.insync.replicas is reported, exit 1" {
	slog-topics create weak -P 2 -c min.insync.replicas=2
	slog-topics create fine
	run -1 --separate-stderr slog-topics describe --under-min-isr-partitions
	assert_line --regexp '^Topic: weak '
	assert_line --regexp '^  1 +1 +0 +1 +1 '
	refute_output --partial 'fine'
	run -0 --separate-stderr slog-topics describe fine --under-min-isr-partitions
	assert_output ''
}

@test "partitions at min.insync.replicas are reported, exit 1" {
	slog-topics create atmin
	run -1 --separate-stderr slog-topics describe atmin --at-min-isr-partitions --format json
	[ "$(echo "$output" | jq -c '[.topics[].partitions[].partition]')" = '[0]' ]
}

@test "with nothing under-replicated the filter prints nothing and exits 0" {
	slog-topics create rep -P 2
	run -0 --separate-stderr slog-topics describe --under-replicated-partitions
	assert_output ''
}

@test "a partition whose log dir went offline is unavailable, exit 1" {
	teardown_brokers
	SLOG_FAULT_FSYNC_FAIL=/doomed-0/0 start_broker
	slog-topics create doomed
	run -0 --separate-stderr slog-topics describe --unavailable-partitions
	curl -s -H 'Content-Type: text/plain' --data-binary r \
		"$BROKER_URL/v1/topics/doomed/partitions/0/records?acks=all" >/dev/null
	run -1 --separate-stderr slog-topics describe doomed --unavailable-partitions
	assert_line --regexp '^  0 +'
	run -0 --separate-stderr slog-topics describe doomed --format json
	[ "$(echo "$output" | jq '.topics[0].partitions[0].offline')" = true ]
}

@test "--topics-with-overrides shows the topics with their own configs, exit 1" {
	slog-topics create own -c retention.ms=1d
	slog-topics create plain
	run -1 --separate-stderr slog-topics describe --topics-with-overrides
	assert_line --regexp '^Topic: own '
	assert_line --regexp '^    retention.ms +86400000 +topic$'
	refute_output --partial 'plain'
	refute_output --partial 'cleanup.policy'
	run -0 --separate-stderr slog-topics describe plain --topics-with-overrides
	assert_output ''
}

@test "a bad topic name is a usage error before any request, in every command" {
	local args
	for args in "create" "describe" "delete" "offsets" "add-partitions -P 2" \
		"alter -c retention.ms=1"; do
		# shellcheck disable=SC2086
		run -2 --separate-stderr slog-topics -b 127.0.0.1:1 $args 'bad name'
		assert_stderr_has "'bad name'"
		assert_stderr_has "letters, digits"
	done
	run -2 --separate-stderr slog-topics -b 127.0.0.1:1 describe ok '..'
	assert_stderr_has "'..'"
}

@test "the docs show sizes as describe prints them, share/ as it is, and keyless records" {
	slog-topics create sz
	seq 1 2000 | slog-produce -t sz
	run -0 slog-topics describe sz
	assert_line --regexp '^  0 .* [0-9.]+ KiB$'
	! grep -q 'sizes in bytes' "$SLOG_ROOT/man/slog-topics.1"
	grep -q 'KiB' "$SLOG_ROOT/man/slog-topics.1"
	! grep -q 'cluster scripts' "$SLOG_ROOT/README.md"
	grep -qi 'without a key' "$SLOG_ROOT/README.md"
}
