#!/usr/bin/env bats
# Partitions replicate: followers fetch the leader's batches over
# POST /v1/replica/fetch, hold the same bytes, and catch up after a
# restart.

load helpers
load cluster

# cluster_topic NAME [KEY=VALUE]...: a one-partition topic with three
# replicas on a fresh three-node cluster with those settings; LEADER is
# its leader's node id.
cluster_topic() {
	local name=$1
	shift
	start_cluster 3 "$@"
	wait_cluster_alive
	slog-topics create "$name" -P 1 -R 3
	wait_for 200 has_leader "$name"
	LEADER=$(leader_of "$name")
}

# leader_of T [NODE]: the leader of T's partition 0 as NODE (default 1) has it.
leader_of() {
	curl -sf "${NODE_URL[${2:-1}]}/v1/metadata?topics=$1" | jq -r '.topics[0].partitions[0].leader'
}

has_leader() {
	[ "$(leader_of "$1")" -ge 1 ] 2>/dev/null
}

# segments NODE TOPIC: the bytes of the partition's segment files on NODE.
segments() {
	cat "$BATS_TEST_TMPDIR/node$1/data/$2-0/"*.log
}

# same_bytes NODE TOPIC: NODE's segments hold exactly the leader's bytes.
same_bytes() {
	cmp -s <(segments "$LEADER" "$2") <(segments "$1" "$2")
}

# led_by_other T OLD NODE: NODE names a leader of T other than OLD.
led_by_other() {
	local l
	l=$(leader_of "$1" "$3") && [ "$l" -ge 1 ] && [ "$l" != "$2" ]
}

# followers: the two nodes that do not lead.
followers() {
	local i
	for i in 1 2 3; do
		[ "$i" != "$LEADER" ] && echo "$i"
	done
}

@test "a topic with three replicas produced with acks=all is readable, and every replica holds the leader's bytes" {
	local f
	cluster_topic three
	export SLOG_BROKERS=127.0.0.1:${NODE_PORT[$LEADER]}
	seq 1 200 | slog-produce -t three -p 0 --acks all
	run -0 --separate-stderr slog-consume -t three -p 0 -o beginning -e
	[ "${#lines[@]}" -eq 200 ]
	[ "${lines[199]}" = 200 ]
	# acks=all answered once every in-sync replica had the records on
	# disk: the followers hold them now, byte for byte.
	[ -s "$BATS_TEST_TMPDIR/node$LEADER/data/three-0/00000000000000000000.log" ]
	for f in $(followers); do
		same_bytes "$f" three
	done
}

@test "a follower that was stopped catches up after it restarts" {
	local f
	cluster_topic again
	export SLOG_BROKERS=127.0.0.1:${NODE_PORT[$LEADER]}
	seq 1 50 | slog-produce -t again -p 0 --acks all
	f=$(followers | head -n 1)
	# A kill would do as well: what counts is what it missed meanwhile.
	stop_broker "${NODE_PID[$f]}" || true
	seq 51 100 | slog-produce -t again -p 0 --acks 1
	run -1 same_bytes "$f" again
	start_node "$f"
	wait_for 400 node_listening "$f"
	wait_for 400 same_bytes "$f" again
	run -0 --separate-stderr slog-consume -t again -p 0 -o beginning -e
	[ "${#lines[@]}" -eq 100 ]
}

@test "after its leader is killed the partition is led by a follower, and the old leader comes back as its follower" {
	local old f
	cluster_topic failover broker.session.timeout.ms=3s
	old=$LEADER
	f=$(followers | head -n 1)
	export SLOG_BROKERS=127.0.0.1:${NODE_PORT[$f]}
	seq 1 50 | slog-produce -t failover -p 0 --acks all
	kill -KILL "${NODE_PID[$old]}"
	wait "${NODE_PID[$old]}" 2>/dev/null || true
	run -0 wait_for 400 led_by_other failover "$old" "$f"
	LEADER=$(leader_of failover "$f")
	seq 51 100 | slog-produce -t failover -p 0 --acks all --timeout-ms 20000
	start_node "$old"
	wait_for 400 node_listening "$old"
	run -0 wait_for 400 same_bytes "$old" failover
	run -0 --separate-stderr slog-consume -t failover -p 0 -o beginning -e
	[ "${#lines[@]}" -eq 100 ]
	[ "${lines[99]}" = 100 ]
}

@test "a returning leader ends with exactly the new leader's log, whatever its followers missed" {
	local old f g
	cluster_topic diverge broker.session.timeout.ms=3s
	old=$LEADER
	f=$(followers | sed -n 1p)
	g=$(followers | sed -n 2p)
	export SLOG_BROKERS=127.0.0.1:${NODE_PORT[$old]}
	seq 1 50 | slog-produce -t diverge -p 0 --acks all
	# These go to the leader alone, unless a follower's long poll in
	# flight takes them (it may: its socket holds the answer): either
	# way, the old leader must end with what the new one has.
	kill -STOP "${NODE_PID[$f]}" "${NODE_PID[$g]}"
	seq 1001 1010 | slog-produce -t diverge -p 0 --acks 1
	kill -KILL "${NODE_PID[$old]}"
	wait "${NODE_PID[$old]}" 2>/dev/null || true
	kill -CONT "${NODE_PID[$f]}" "${NODE_PID[$g]}"
	run -0 wait_for 400 led_by_other diverge "$old" "$f"
	LEADER=$(leader_of diverge "$f")
	export SLOG_BROKERS=127.0.0.1:${NODE_PORT[$LEADER]}
	seq 51 55 | slog-produce -t diverge -p 0 --acks all --timeout-ms 20000
	start_node "$old"
	wait_for 400 node_listening "$old"
	run -0 wait_for 400 same_bytes "$old" diverge
	run -0 --separate-stderr slog-consume -t diverge -p 0 -o beginning -e
	[ "${lines[0]}" = 1 ]
	[ "${lines[49]}" = 50 ]
	[ "${lines[${#lines[@]} - 5]}" = 51 ]
	[ "${lines[${#lines[@]} - 1]}" = 55 ]
}

# same_leader T: two partitions of T led by one broker, as "A B LEADER".
same_leader() {
	curl -sf "${NODE_URL[1]}/v1/metadata?topics=$1" | jq -r '
		.topics[0].partitions | group_by(.leader) | map(select(length > 1))[0] |
		"\(.[0].partition) \(.[1].partition) \(.[0].leader)"'
}

@test "a follower that leaves during a long poll of several partitions leaves its leader serving" {
	local a b l f inc body
	start_cluster 3
	wait_cluster_alive
	slog-topics create polled -P 4 -R 3
	wait_for 200 has_leader polled
	read -r a b l <<<"$(same_leader polled)"
	f=$((l % 3 + 1))
	inc=$(cluster_json "$l" | jq -r --argjson id "$f" '.brokers[] | select(.id == $id) | .incarnation')
	body='{"replica_id":'$f',"broker_epoch":"'$inc'","max_wait_ms":5000,"max_bytes":100000,"partitions":[
		{"topic":"polled","partition":'$a',"offset":0,"durable_offset":0,"log_start_offset":0,"max_bytes":1000},
		{"topic":"polled","partition":'$b',"offset":0,"durable_offset":0,"log_start_offset":0,"max_bytes":1000}]}'
	# The poll waits on both partitions; its client gives up first.
	run -28 curl -s --max-time 0.5 -H 'Content-Type: application/json' -d "$body" \
		"${NODE_URL[$l]}/v1/replica/fetch"
	export SLOG_BROKERS=127.0.0.1:${NODE_PORT[$l]}
	echo one | slog-produce -t polled -p "$a"
	echo two | slog-produce -t polled -p "$b"
	echo three | slog-produce -t polled -p "$b"
	run -0 curl -sf "${NODE_URL[$l]}/readyz"
}

@test "the replica fetch endpoint answers a bad request with 400 and a clear message" {
	start_broker
	run -0 curl -s -w '\n%{http_code}' -H 'Content-Type: application/json' \
		-d '{"replica_id":2,"broker_epoch":"x","max_bytes":1000,"partitions":[]}' \
		"$BROKER_URL/v1/replica/fetch"
	assert_line 400
	assert_line --partial '"partitions\" must be an array of 1 to 10000 partitions'
	run -0 curl -s -w '\n%{http_code}' -H 'Content-Type: application/json' \
		-d '{"replica_id":2,"broker_epoch":"x","max_bytes":1000,"partitions":[{"topic":"t","partition":0,"offset":-4,"durable_offset":0,"log_start_offset":0,"max_bytes":10}]}' \
		"$BROKER_URL/v1/replica/fetch"
	assert_line 400
	assert_line --partial '\"offset\" must be an integer from 0 to'
	run -0 curl -s -w '\n%{http_code}' -H 'Content-Type: application/json' \
		-d '{"replica_id":2,"broker_epoch":"x","max_bytes":1000,"partitions":[{"topic":"t","partition":0,"offset":0,"durable_offset":0,"log_start_offset":0,"max_bytes":10,"extra":1}]}' \
		"$BROKER_URL/v1/replica/fetch"
	assert_line 400
	assert_line --partial 'unknown field \"extra\" in a partition'
	run -0 curl -s -w '\n%{http_code}' -H 'Content-Type: application/json' -d 'nope' \
		"$BROKER_URL/v1/replica/fetch"
	assert_line 400
	assert_line --partial '"code":"INVALID_REQUEST"'
}

@test "a replica fetch answers each partition in a frame of its own, in the order asked" {
	start_broker
	slog-topics create framed
	printf 'a\nb\n' | slog-produce -t framed -p 0
	local inc body
	inc=$(curl -sf "$BROKER_URL/v1/cluster" | jq -r '.brokers[0].incarnation')
	body='{"replica_id":1,"broker_epoch":"'$inc'","max_bytes":100000,"partitions":[
		{"topic":"nothere","partition":0,"offset":0,"durable_offset":0,"log_start_offset":0,"max_bytes":100},
		{"topic":"framed","partition":0,"offset":0,"leader_epoch":7,"durable_offset":0,"log_start_offset":0,"max_bytes":100}]}'
	run -0 curl -s -D "$BATS_TEST_TMPDIR/headers" -H 'Content-Type: application/json' -d "$body" \
		"$BROKER_URL/v1/replica/fetch"
	run -0 grep -i '^content-type: application/x-slog-replica-fetch' "$BATS_TEST_TMPDIR/headers"
	run -0 curl -s -H 'Content-Type: application/json' -d "$body" "$BROKER_URL/v1/replica/fetch"
	[ "$(jq -r .topic <<<"${lines[0]}")" = nothere ]
	[ "$(jq -r .error.code <<<"${lines[0]}")" = UNKNOWN_TOPIC_OR_PARTITION ]
	[ "$(jq -r .bytes <<<"${lines[0]}")" = 0 ]
	[ "$(jq -r .topic <<<"${lines[1]}")" = framed ]
	[ "$(jq -r .error.code <<<"${lines[1]}")" = UNKNOWN_LEADER_EPOCH ]
}

@test "a consumer fetch names the leader epoch and the log end, and checks a leader epoch it is given" {
	start_broker
	slog-topics create epochs
	printf 'a\nb\nc\n' | slog-produce -t epochs -p 0
	run -0 curl -s -D - -o /dev/null "$BROKER_URL/v1/topics/epochs/partitions/0/records?offset=0&leader_epoch=0"
	assert_line --partial 'Slog-Leader-Epoch: 0'
	assert_line --partial 'Slog-Log-End-Offset: 3'
	run -0 curl -s -w '\n%{http_code}' "$BROKER_URL/v1/topics/epochs/partitions/0/records?offset=0&leader_epoch=4"
	assert_line 409
	assert_line --partial '"code":"UNKNOWN_LEADER_EPOCH"'
	run -0 curl -s "$BROKER_URL/v1/topics/epochs/partitions/0/epochs/0/end-offset"
	assert_output '{"epoch":0,"end_offset":3}'
	# An epoch newer than any the log knows ends nowhere yet.
	run -0 curl -s "$BROKER_URL/v1/topics/epochs/partitions/0/epochs/9/end-offset"
	assert_output '{"epoch":-1,"end_offset":-1}'
}
