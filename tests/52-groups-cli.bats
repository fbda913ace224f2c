#!/usr/bin/env bats
# slog-groups as a user drives it: lag that is unknown, describing every
# group, deleting offsets, the reset targets and scopes, and names checked
# before any request.

load helpers

setup() {
	MEMBER_PIDS=()
	start_broker
}

teardown() {
	stop_members
	teardown_brokers
}

# start_member GROUP TOPIC [ARGS...]: a slog-consume member in the background.
start_member() {
	slog-consume -g "$1" -t "$2" --client-id "m-$1" "${@:3}" \
		>"$BATS_TEST_TMPDIR/$1.out" 2>"$BATS_TEST_TMPDIR/$1.err" 3>&- &
	MEMBER_PIDS+=($!)
}

# stable GROUP: the group is Stable with one member.
stable() {
	slog-groups describe "$1" --json |
		jq -e '.groups[0].state == "Stable" and (.groups[0].members | length) == 1' >/dev/null
}

# offsets GROUP: its committed offsets as "topic-partition=offset" words.
offsets() {
	curl -sf "$BROKER_URL/v1/groups/$1/offsets" |
		jq -r '[.offsets[] | "\(.topic)-\(.partition)=\(.offset)"] | join(" ")'
}

# Topic a (2 partitions, 5 records each), topic b (1 partition, 3 records).
make_topics() {
	slog-topics create a -P 2
	slog-topics create b -P 1
	seq 5 | slog-produce -t a -p 0
	seq 5 | slog-produce -t a -p 1
	seq 3 | slog-produce -t b
}

@test "a group that has committed nothing has an unknown total lag, and --max-lag 0 fails naming the partitions" {
	slog-topics create o2 -P 2
	seq 20 | slog-produce -t o2 -p 0
	start_member ml o2 --commit-interval-ms 3600000
	wait_for 200 stable ml
	run --separate-stderr slog-groups describe ml --max-lag 0
	assert_failure 1
	assert_line --partial 'Total lag: unknown'
	assert_stderr_has "o2-0"
	assert_stderr_has "o2-1"
	run slog-groups describe ml --json
	assert_success
	jq -e '.groups[0].lag == null and .groups[0].unknown_lag_partitions == 2 and .groups[0].known_lag == 0' <<<"$output"
}

@test "a partly committed group shows its known lag as a lower bound" {
	make_topics
	slog-groups reset-offsets g -t a:0 --to-offset 1 --execute 2>/dev/null
	start_member g a --commit-interval-ms 3600000 -o end
	wait_for 200 stable g
	run slog-groups describe g
	assert_success
	assert_line --partial 'Total lag: unknown (at least 4;'
	run slog-groups describe g --json
	jq -e '.groups[0].lag == null and .groups[0].known_lag == 4 and .groups[0].unknown_lag_partitions == 1' <<<"$output"
}

@test "the total lag is the sum of the partitions' lags when every one is known" {
	make_topics
	slog-groups reset-offsets g -t a --to-earliest --execute 2>/dev/null
	slog-groups reset-offsets g -t b --to-offset 1 --execute 2>/dev/null
	run slog-groups describe g
	assert_line --partial 'Total lag: 12'
	run slog-groups describe g --max-lag 12
	assert_success
	run slog-groups describe g --max-lag 11
	assert_failure 1
	run slog-groups describe g --json
	jq -e '.groups[0].lag == 12 and .groups[0].known_lag == 12 and .groups[0].unknown_lag_partitions == 0' <<<"$output"
}

@test "describe with no group describes every group" {
	run slog-groups describe --json
	assert_success
	assert_output '{"groups":[]}'
	make_topics
	slog-groups reset-offsets g1 -t a --to-earliest --execute 2>/dev/null
	slog-groups reset-offsets g2 -t b --to-earliest --execute 2>/dev/null
	run slog-groups describe --json
	assert_success
	[ "$(jq -c '[.groups[].group]' <<<"$output")" = '["g1","g2"]' ]
	run slog-groups describe
	assert_line --partial 'Group: g1'
	assert_line --partial 'Group: g2'
	# The man page's example: only the Stable groups (there are none).
	run bash -c 'slog-groups list --state Stable | xargs -r slog-groups describe --json'
	assert_success
	assert_output ''
}

@test "bad topic names and group ids are usage errors before any request" {
	local nowhere=(-b 127.0.0.1:1)
	run --separate-stderr slog-groups "${nowhere[@]}" reset-offsets g -t 'bad name' --to-earliest
	assert_failure 2
	assert_stderr_has "'bad name'"
	run --separate-stderr slog-groups "${nowhere[@]}" reset-offsets g -t a,b --to-earliest
	assert_failure 2
	assert_stderr_has "'a,b'"
	run --separate-stderr slog-groups "${nowhere[@]}" reset-offsets g -t 'x y:0' --to-earliest
	assert_failure 2
	run --separate-stderr slog-groups "${nowhere[@]}" delete-offsets g -t 'bad/name'
	assert_failure 2
	assert_stderr_has "'bad/name'"
	run --separate-stderr slog-groups "${nowhere[@]}" reset-offsets g -t a --to-group ''
	assert_failure 2
	run --separate-stderr slog-groups "${nowhere[@]}" delete-offsets '' -t a
	assert_failure 2
}

@test "--format csv is only for a reset-offsets plan, and --lag-only does not go with --members" {
	run --separate-stderr slog-groups -b 127.0.0.1:1 describe g --format csv
	assert_failure 2
	assert_stderr_has "--format csv"
	run --separate-stderr slog-groups -b 127.0.0.1:1 describe g --format yaml
	assert_failure 2
	run --separate-stderr slog-groups -b 127.0.0.1:1 describe g --lag-only --members
	assert_failure 2
	assert_stderr_has "--lag-only"
}

@test "delete-offsets removes a group's offsets for a topic or some partitions, and they stay gone after a restart" {
	make_topics
	slog-groups reset-offsets g -t a -t b --to-offset 2 --execute 2>/dev/null
	[ "$(offsets g)" = "a-0=2 a-1=2 b-0=2" ]
	run slog-groups delete-offsets g -t a:1
	assert_success
	assert_output --regexp '^TOPIC +PARTITION'
	assert_line --regexp '^a +1$'
	[ "$(offsets g)" = "a-0=2 b-0=2" ]
	run slog-groups delete-offsets g -t b --json
	assert_success
	[ "$(jq -c '.partitions' <<<"$output")" = '[{"topic":"b","partition":0}]' ]
	restart_broker
	# The restarted broker leads again, then reads its groups back.
	wait_for 200 curl -sf -o /dev/null "$BROKER_URL/v1/groups/g/offsets"
	[ "$(offsets g)" = "a-0=2" ]
	run slog-groups describe g --json
	[ "$(jq -c '[.groups[0].partitions[] | [.topic, .partition]]' <<<"$output")" = '[["a",0]]' ]
}

@test "the broker deletes offsets over HTTP with DELETE /v1/groups/{g}/offsets" {
	make_topics
	slog-groups reset-offsets g -t a -t b --to-offset 2 --execute 2>/dev/null
	run curl -s -X DELETE "$BROKER_URL/v1/groups/g/offsets?topic=a&partitions=0,1"
	assert_output '{"group":"g","offsets_deleted":2,"partitions":[{"topic":"a","partition":0},{"topic":"a","partition":1}]}'
	run curl -s -o /dev/null -w '%{http_code}' -X DELETE "$BROKER_URL/v1/groups/g/offsets"
	assert_output 400
	run curl -s -X DELETE "$BROKER_URL/v1/groups/nosuch/offsets?topic=a"
	assert_output --partial GROUP_ID_NOT_FOUND
	[ "$(offsets g)" = "b-0=2" ]
}

@test "delete-offsets is refused while a member of the group subscribes to the topic" {
	make_topics
	slog-groups reset-offsets g -t b --to-offset 1 --execute 2>/dev/null
	start_member g a
	wait_for 200 stable g
	run --separate-stderr slog-groups delete-offsets g -t a
	assert_failure 1
	assert_stderr_has "subscribed to topic 'a'"
	run curl -s -X DELETE "$BROKER_URL/v1/groups/g/offsets?topic=a"
	assert_output --partial GROUP_SUBSCRIBED_TO_TOPIC
	# A topic no member reads can go.
	run slog-groups delete-offsets g -t b
	assert_success
	run --separate-stderr slog-groups delete-offsets nosuch -t a
	assert_failure 1
	assert_stderr_has "group 'nosuch'"
}

@test "reset-offsets --to-current keeps the committed offsets, and takes the log end where there is none" {
	make_topics
	slog-groups reset-offsets g -t a:0 --to-offset 3 --execute 2>/dev/null
	run --separate-stderr slog-groups reset-offsets g -t a --to-current --format csv
	assert_success
	assert_output $'a,0,3\na,1,5'
	slog-groups reset-offsets g -t a --to-current --execute 2>/dev/null
	[ "$(offsets g)" = "a-0=3 a-1=5" ]
}

@test "reset-offsets --from-file applies a plan printed with --format csv" {
	make_topics
	slog-groups reset-offsets g -t a -t b --to-earliest --format csv >"$BATS_TEST_TMPDIR/plan.csv" 2>/dev/null
	[ "$(cat "$BATS_TEST_TMPDIR/plan.csv")" = $'a,0,0\na,1,0\nb,0,0' ]
	# Edited by hand: a header, a comment and a blank line are fine.
	printf 'topic,partition,offset\n# rewind a-1\na,1,2\n\nb,0,1\n' >"$BATS_TEST_TMPDIR/edit.csv"
	run slog-groups reset-offsets g --from-file "$BATS_TEST_TMPDIR/plan.csv" --execute
	assert_success
	run slog-groups reset-offsets g --from-file "$BATS_TEST_TMPDIR/edit.csv" --execute
	assert_success
	[ "$(offsets g)" = "a-0=0 a-1=2 b-0=1" ]
	printf 'a,0,1\nb,x,1\n' >"$BATS_TEST_TMPDIR/bad.csv"
	run --separate-stderr slog-groups reset-offsets g --from-file "$BATS_TEST_TMPDIR/bad.csv"
	assert_failure 2
	assert_stderr_has "bad.csv:2:"
	run --separate-stderr slog-groups reset-offsets g --from-file "$BATS_TEST_TMPDIR/bad.csv" -t a
	assert_failure 2
}

@test "reset-offsets --to-group copies another group's offsets" {
	make_topics
	slog-groups reset-offsets src -t a:1 -t b --to-offset 2 --execute 2>/dev/null
	run slog-groups reset-offsets dst --to-group src --execute
	assert_success
	[ "$(offsets dst)" = "a-1=2 b-0=2" ]
	# Only the topics named; partitions src has no offset for are left as they are.
	slog-groups reset-offsets only -t a:0 --to-offset 4 --execute 2>/dev/null
	run --separate-stderr slog-groups reset-offsets only -t a --to-group src --execute
	assert_success
	[ "$(offsets only)" = "a-0=4 a-1=2" ]
	run --separate-stderr slog-groups reset-offsets dst --to-group nosuch
	assert_failure 1
	assert_stderr_has "group 'nosuch'"
}

@test "reset-offsets --all-topics resets every topic the group has offsets for" {
	make_topics
	slog-topics create c
	slog-groups reset-offsets g -t a:0 -t b --to-offset 1 --execute 2>/dev/null
	run slog-groups reset-offsets g --all-topics --to-latest --execute --json
	assert_success
	[ "$(jq -c '[.partitions[] | [.topic, .partition, .new_offset]]' <<<"$output")" = '[["a",0,5],["a",1,5],["b",0,3]]' ]
	[ "$(offsets g)" = "a-0=5 a-1=5 b-0=3" ]
	run --separate-stderr slog-groups reset-offsets g --all-topics -t a --to-latest
	assert_failure 2
}

@test "describe --lag-only shows only partitions with a lag or an unknown one" {
	make_topics
	slog-groups reset-offsets g -t a:0 --to-offset 5 --execute 2>/dev/null
	slog-groups reset-offsets g -t a:1 --to-offset 2 --execute 2>/dev/null
	slog-groups reset-offsets g -t b --to-offset 3 --execute 2>/dev/null
	run slog-groups describe g --lag-only
	assert_success
	assert_line --regexp '^  a +1 +2 +0 +5 +3 '
	refute_line --regexp '^  a +0 '
	refute_line --regexp '^  b +0 '
	run slog-groups describe g --lag-only --json
	[ "$(jq -c '[.groups[0].partitions[] | [.topic, .partition]]' <<<"$output")" = '[["a",1]]' ]
}

@test "describe --members lists members with client id, host, epoch and assigned partitions" {
	make_topics
	start_member g a
	wait_for 200 stable g
	run slog-groups describe g --members
	assert_success
	assert_line --index 0 --regexp '^GROUP +MEMBER-ID +EPOCH +CLIENT-ID +HOST +PARTITIONS +ASSIGNMENT$'
	assert_line --index 1 --regexp '^g +[^ ]+ +[0-9]+ +m-g +127\.0\.0\.1 +2 +a:0,1$'
	run slog-groups describe g --members --json
	jq -e '.groups[0].group == "g" and .groups[0].members[0].client_id == "m-g" and .groups[0].members[0].assignment == [{"topic":"a","partitions":[0,1]}] and (.groups[0] | has("partitions") | not)' <<<"$output"
}
