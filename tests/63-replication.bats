#!/usr/bin/env bats
# Partitions replicate: followers fetch the leader's batches over
# POST /v1/replica/fetch, hold the same bytes, and catch up after a
# restart.

load helpers
load cluster

# cluster_topic NAME: a one-partition topic with three replicas on a
# fresh three-node cluster; LEADER is its leader's node id.
cluster_topic() {
	start_cluster 3
	wait_cluster_alive
	slog-topics create "$1" -P 1 -R 3
	wait_for 200 has_leader "$1"
	LEADER=$(leader_of "$1")
}

leader_of() {
	curl -sf "${NODE_URL[1]}/v1/metadata?topics=$1" | jq -r '.topics[0].partitions[0].leader'
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
