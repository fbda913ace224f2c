#!/usr/bin/env bats
# The consumer group protocol over HTTP, spoken with curl: joins,
# releases before reassignment, long-polled heartbeats, fencing of
# commits, and the internal topic's protections.

load helpers

setup() {
	start_broker --set group.min.session.timeout.ms=500
	slog-topics create t -P 4
}

# hb GROUP JSON [QUERY]: one heartbeat; prints the answer, fails on an error status.
hb() {
	curl -sf -X POST "$BROKER_URL/v1/groups/$1/heartbeat${3:-}" --json "$2"
}

# call METHOD PATH [JSON]: prints "STATUS BODY".
call() {
	curl -s -o "$BATS_TEST_TMPDIR/body" -w '%{http_code} ' -X "$1" "$BROKER_URL$2" ${3:+--json "$3"}
	cat "$BATS_TEST_TMPDIR/body"
}

parts() {
	jq -c '[.assignment[].partitions[]]' <<<"$1"
}

@test "a partition moves to a new member only after its owner releases it" {
	a=$(hb g '{"topics":["t"],"client_id":"a"}')
	ida=$(jq -r .member_id <<<"$a")
	[ "$(parts "$a")" = '[0,1,2,3]' ]
	[ "$(jq .member_epoch <<<"$a")" -ge 1 ]
	hb g "{\"member_id\":\"$ida\",\"member_epoch\":$(jq .member_epoch <<<"$a"),\"owned\":[{\"topic\":\"t\",\"partitions\":[0,1,2,3]}]}" >/dev/null

	b=$(hb g '{"topics":["t"],"client_id":"b"}')
	idb=$(jq -r .member_id <<<"$b")
	# b's target is half, but a still owns it all: b gets nothing yet.
	[ "$(parts "$b")" = '[]' ]
	[ "$(jq .pending_partitions <<<"$b")" -eq 2 ]
	a=$(hb g "{\"member_id\":\"$ida\",\"member_epoch\":1,\"owned\":[{\"topic\":\"t\",\"partitions\":[0,1,2,3]}]}")
	[ "$(parts "$a")" = '[0,1]' ]
	b=$(hb g "{\"member_id\":\"$idb\",\"member_epoch\":1,\"owned\":[]}")
	[ "$(parts "$b")" = '[]' ]
	# a releases 2 and 3: now they are b's.
	hb g "{\"member_id\":\"$ida\",\"member_epoch\":$(jq .member_epoch <<<"$a"),\"owned\":[{\"topic\":\"t\",\"partitions\":[0,1]}]}" >/dev/null
	b=$(hb g "{\"member_id\":\"$idb\",\"member_epoch\":1,\"owned\":[]}")
	[ "$(parts "$b")" = '[2,3]' ]
	[ "$(jq .pending_partitions <<<"$b")" -eq 0 ]
}

@test "a waiting heartbeat is answered as soon as the group changes" {
	a=$(hb g '{"topics":["t"]}')
	ida=$(jq -r .member_id <<<"$a")
	owned='[{"topic":"t","partitions":[0,1,2,3]}]'
	hb g "{\"member_id\":\"$ida\",\"member_epoch\":$(jq .member_epoch <<<"$a"),\"owned\":$owned}" >/dev/null
	# a settled member waits (up to 5 s here) ...
	hb g "{\"member_id\":\"$ida\",\"member_epoch\":$(jq .member_epoch <<<"$a"),\"owned\":$owned}" \
		'?max_wait_ms=5000' >"$BATS_TEST_TMPDIR/waited" &
	waiter=$!
	sleep 0.2
	kill -0 "$waiter"
	# ... until a second member joins: then it hears at once that it has less.
	start=$(date +%s%N)
	hb g '{"topics":["t"]}' >/dev/null
	wait "$waiter"
	[ $((($(date +%s%N) - start) / 1000000)) -lt 2000 ]
	[ "$(parts "$(cat "$BATS_TEST_TMPDIR/waited")")" = '[0,1]' ]
}

@test "members are told their mistakes: unknown ids, future epochs, bad sessions" {
	run call POST /v1/groups/g/heartbeat '{"member_id":"nobody","member_epoch":3}'
	assert_output --partial '404 '
	assert_output --partial UNKNOWN_MEMBER_ID
	a=$(hb g '{"topics":["t"]}')
	ida=$(jq -r .member_id <<<"$a")
	run call POST /v1/groups/g/heartbeat "{\"member_id\":\"$ida\",\"member_epoch\":99}"
	assert_output --partial FENCED_MEMBER_EPOCH
	run call POST /v1/groups/g/heartbeat '{"topics":["t"],"session_timeout_ms":100}'
	assert_output --partial INVALID_SESSION_TIMEOUT
	run call POST /v1/groups/g/heartbeat '{"topics":["t"],"bogus":1}'
	assert_output --partial 'unknown field'
	run call POST /v1/groups/g/heartbeat '{"member_epoch":0}'
	assert_output --partial '400 '
	run call POST /v1/groups/g/leave "{\"member_id\":\"$ida\"}"
	assert_output --partial '"member_epoch":-1'
	run call POST /v1/groups/g/heartbeat "{\"member_id\":\"$ida\",\"member_epoch\":1}"
	assert_output --partial UNKNOWN_MEMBER_ID
}

@test "a silent member's session expires and its partitions go to the others" {
	a=$(hb g '{"topics":["t"],"session_timeout_ms":600}')
	[ "$(jq .heartbeat_interval_ms <<<"$a")" -le 200 ]
	b=$(hb g '{"topics":["t"]}')
	idb=$(jq -r .member_id <<<"$b")
	# Only b heartbeats; a expires after 600 ms and b gets everything.
	wait_for 100 bash -c "curl -sf -X POST '$BROKER_URL/v1/groups/g/heartbeat' \
		--json '{\"member_id\":\"$idb\",\"member_epoch\":1,\"owned\":[]}' |
		jq -e '[.assignment[].partitions[]] == [0,1,2,3]'"
	grep -q 'expired' "$BROKER_DIR/broker.log"
}

@test "commits are fenced by member epoch and ownership" {
	a=$(hb g '{"topics":["t"]}')
	ida=$(jq -r .member_id <<<"$a")
	ea=$(jq .member_epoch <<<"$a")
	commit() {
		call POST /v1/groups/g/offsets "{\"member_id\":\"$ida\",\"member_epoch\":$1,\"offsets\":[{\"topic\":\"t\",\"partition\":$2,\"offset\":$3,\"metadata\":\"m\"}]}"
	}
	run commit "$ea" 1 7
	assert_output --partial '200 '
	run call GET /v1/groups/g/offsets
	[ "$(cut -d' ' -f2- <<<"$output" | jq -c '.offsets[] | [.partition, .offset, .metadata]')" = '[1,7,"m"]' ]
	run commit $((ea - 1)) 1 8
	assert_output --partial STALE_MEMBER_EPOCH
	b=$(hb g '{"topics":["t"]}')
	hb g "{\"member_id\":\"$ida\",\"member_epoch\":$ea,\"owned\":[{\"topic\":\"t\",\"partitions\":[0,1]}]}" >/dev/null
	a=$(hb g "{\"member_id\":\"$ida\",\"member_epoch\":$ea,\"owned\":[{\"topic\":\"t\",\"partitions\":[0,1]}]}")
	ea=$(jq .member_epoch <<<"$a")
	# a gave partitions 2 and 3 away: it may not commit them any more.
	mine=$(parts "$a" | jq '.[0]')
	theirs=$(jq -n --argjson m "$(parts "$a")" '[0,1,2,3] - $m | .[0]')
	run commit "$ea" "$theirs" 5
	assert_output --partial STALE_MEMBER_EPOCH
	run commit "$ea" "$mine" 5
	assert_output --partial '200 '
	# Nobody else commits for a group with members.
	run call POST /v1/groups/g/offsets '{"offsets":[{"topic":"t","partition":0,"offset":1}]}'
	assert_output --partial NON_EMPTY_GROUP
	run call POST /v1/groups/g/offsets "{\"member_id\":\"$ida\",\"member_epoch\":$ea,\"offsets\":[{\"topic\":\"t\",\"partition\":9,\"offset\":1}]}"
	assert_output --partial UNKNOWN_TOPIC_OR_PARTITION
	run call POST /v1/groups/g/offsets "{\"member_id\":\"$ida\",\"member_epoch\":$ea,\"offsets\":[{\"topic\":\"t\",\"partition\":$mine,\"offset\":1,\"metadata\":\"$(head -c 5000 /dev/zero | tr '\0' x)\"}]}"
	assert_output --partial OFFSET_METADATA_TOO_LARGE
	run call POST /v1/groups/g/offsets "{\"member_id\":\"$ida\",\"member_epoch\":$ea,\"offsets\":[{\"topic\":\"t\",\"partition\":$mine,\"offset\":-1}]}"
	assert_output --partial '400 '
}

@test "__consumer_offsets is the broker's: no produce, delete, growth, creation or policy change by hand" {
	curl -sf -X POST "$BROKER_URL/v1/groups/g/offsets" \
		--json '{"offsets":[{"topic":"t","partition":0,"offset":1}]}' >/dev/null
	run slog-topics describe __consumer_offsets --json
	[ "$(jq '.topics[0].internal' <<<"$output")" = true ]
	[ "$(jq '.topics[0].partitions | length' <<<"$output")" -eq 50 ]
	[ "$(jq -r '.topics[0].configs[] | select(.name == "cleanup.policy") | .value' <<<"$output")" = compact ]
	run --separate-stderr slog-produce -t __consumer_offsets <<<x
	assert_failure 1
	run --separate-stderr slog-topics delete __consumer_offsets
	assert_failure 1
	assert_stderr_has internal
	run --separate-stderr slog-topics add-partitions __consumer_offsets -P 60
	assert_failure 1
	run call POST /v1/topics '{"name":"__consumer_offsets"}'
	assert_output --partial INVALID_TOPIC
	# Its cleanup.policy stays compact; other configs may change.
	run --separate-stderr slog-topics alter __consumer_offsets -c cleanup.policy=delete
	assert_failure 1
	assert_stderr_has 'stays compact'
	run call PATCH /v1/topics/__consumer_offsets/configs '{"delete":["cleanup.policy"]}'
	assert_output --partial INVALID_TOPIC
	slog-topics alter __consumer_offsets -c segment.ms=1d
	# What is in it reads as JSON.
	run --separate-stderr slog-consume -t __consumer_offsets -e -f '%k %s\n'
	assert_output --partial '{"group":"g","topic":"t","partition":0} {"offset":1,'
}

@test "a group id is 1 to 255 bytes without control characters or a slash" {
	run call POST /v1/groups/%01x/heartbeat '{"topics":["t"]}'
	assert_output --partial INVALID_GROUP_ID
	long=$(head -c 300 /dev/zero | tr '\0' g)
	run call GET "/v1/groups/$long"
	assert_output --partial INVALID_GROUP_ID
	run call GET /v1/groups/nobody
	assert_output --partial GROUP_ID_NOT_FOUND
	run call DELETE /v1/groups/nobody
	assert_output --partial GROUP_ID_NOT_FOUND
	# An empty commit writes nothing and makes no group.
	run call POST /v1/groups/nobody/offsets '{"offsets":[]}'
	assert_output '200 {"group":"nobody","committed":0}'
	run call GET /v1/groups/nobody
	assert_output --partial GROUP_ID_NOT_FOUND
	# The clients refuse what the broker would: '/' would split the path.
	run --separate-stderr slog-consume -g a/b -t t -e
	assert_failure 2
	assert_stderr_has "a group id has no '/'"
	run --separate-stderr slog-groups describe a/b
	assert_failure 2
}

@test "a member cannot claim partitions it was never given" {
	a=$(hb g '{"topics":["t"],"client_id":"a"}')
	ida=$(jq -r .member_id <<<"$a")
	all='[{"topic":"t","partitions":[0,1,2,3]}]'
	hb g "{\"member_id\":\"$ida\",\"member_epoch\":$(jq .member_epoch <<<"$a"),\"owned\":$all}" >/dev/null
	b=$(hb g '{"topics":["t"],"client_id":"b"}')
	idb=$(jq -r .member_id <<<"$b")
	# b, given nothing yet, claims everything; then a leaves.
	hb g "{\"member_id\":\"$idb\",\"member_epoch\":$(jq .member_epoch <<<"$b"),\"owned\":$all}" >/dev/null
	curl -sf -X POST "$BROKER_URL/v1/groups/g/leave" --json "{\"member_id\":\"$ida\"}" >/dev/null
	# c's half is free at once: b's claim did not count.
	c=$(hb g '{"topics":["t"],"client_id":"c"}')
	[ "$(jq .pending_partitions <<<"$c")" -eq 0 ]
	[ "$(parts "$c" | jq length)" -eq 2 ]
}
