#!/usr/bin/env bats
# tests/62-cluster-admin.bats: admin requests and partition requests on
# a cluster of three brokers started by hand (tests/cluster.bash): an
# admin request sent to a broker that is not the controller, or not a
# voter, is forwarded and works everywhere; a
# forwarded request is never forwarded again; produce and fetch to a
# broker that does not lead the partition answer NOT_LEADER naming the
# leader; every broker describes every topic alike; slog-topics describe
# shows leaders, replicas, ISR and epochs, with offsets from each leader.

load helpers
load cluster

# The active controller's id, as node 1 knows it from its metadata.
controller() {
	curl -sf "${NODE_URL[1]}/v1/metadata" | jq -r .controller
}

controller_known() {
	[ "$(controller)" -gt 0 ]
}

# CONTROLLER: the controller's id; FOLLOWER: the URL of a broker that is not it.
find_follower() {
	wait_for 100 controller_known || return 1
	CONTROLLER=$(controller)
	FOLLOWER=${URLS[0]}
	[ "$CONTROLLER" != 1 ] || FOLLOWER=${URLS[1]}
}

# follower_call METHOD PATH [JSON] [CURL-ARG]...: the request to FOLLOWER;
# prints the body, then the status on a line of its own.
follower_call() {
	local method=$1 path=$2 body=${3:-}
	shift $(($# < 3 ? $# : 3))
	curl -s -w '\n%{http_code}' -X "$method" "$FOLLOWER$path" ${body:+--json "$body"} "$@"
}

has_topic() {
	curl -sf "$1/v1/metadata?topics=$2" | jq -e ".topics[0].partitions | length == $3"
}

# on_every_broker T N: every broker's metadata has topic T with N partitions.
on_every_broker() {
	local url
	for url in "${URLS[@]}"; do
		has_topic "$url" "$1" "$2" || return 1
	done
}

# create T N: create topic T of N partitions, and wait until every broker has it.
create() {
	slog-topics create "$1" -P "$2" && wait_for 100 on_every_broker "$1" "$2"
}

# config_is URL T KEY VALUE: topic T's config KEY is VALUE on the broker at URL.
config_is() {
	curl -sf "$1/v1/topics/$2/configs" |
		jq -e ".configs[] | select(.name == \"$3\") | .value == \"$4\""
}

# no_topic URL T: the broker at URL knows no topic T.
no_topic() {
	curl -sf "$1/v1/metadata?topics=$2" |
		jq -e '.topics[0].error.code == "UNKNOWN_TOPIC_OR_PARTITION"'
}

# Three voters, each also a broker; the test about a broker that is not a
# voter gets a fourth node, a broker only.  URLS[i] is node i+1's.
setup() {
	if [[ $BATS_TEST_DESCRIPTION == *"not a voter"* ]]; then
		start_cluster 3 --observers 1
	else
		start_cluster 3
	fi
	wait_cluster_alive
	URLS=("${NODE_URL[@]}")
}

@test "a topic created on a broker that is not the controller is made and every broker has it" {
	local url
	find_follower
	run -0 follower_call POST /v1/topics '{"name":"orders","partitions":3}'
	assert_line 201
	assert_line --partial '"name":"orders"'
	wait_for 100 on_every_broker orders 3
}

@test "alter, add partitions and delete sent to a broker that is not the controller work" {
	local url
	find_follower
	run -0 follower_call POST /v1/topics '{"name":"t","partitions":1}'
	assert_line 201
	run -0 follower_call PATCH /v1/topics/t/configs '{"retention.ms":"1h"}'
	assert_line 200
	assert_line --partial '"name":"retention.ms","value":"3600000","source":"topic"'
	wait_for 100 config_is "${URLS[2]}" t retention.ms 3600000
	run -0 follower_call POST /v1/topics/t/partitions '{"count":2}'
	assert_line 200
	wait_for 100 on_every_broker t 2
	run -0 follower_call DELETE /v1/topics/t
	assert_line 200
	for url in "${URLS[@]}"; do
		wait_for 100 no_topic "$url" t
	done
}

@test "a topic created on a broker that is not a voter reaches the controller" {
	run -0 curl -s -w '\n%{http_code}' -X POST "${URLS[3]}/v1/topics" \
		--json '{"name":"far","partitions":4}'
	assert_line 201
	wait_for 100 on_every_broker far 4
	run -0 curl -sf "${URLS[3]}/v1/metadata"
	assert_output --partial "\"controller\":$(controller),"
}

@test "the controller's refusal comes back as it is through a broker that is not the controller" {
	find_follower
	run -0 follower_call POST /v1/topics '{"name":"big","partitions":1,"replication_factor":4}'
	assert_line 400
	assert_line --partial INVALID_REPLICATION_FACTOR
}

@test "a forwarded request that reaches a broker that is not the controller is not forwarded again" {
	find_follower
	run -0 follower_call POST /v1/topics '{"name":"loop","partitions":1}' -H 'Slog-Forwarded: 1'
	assert_line 503
	assert_line --partial '"code":"NOT_CONTROLLER"'
	assert_line --partial "\"controller\":{\"id\":$CONTROLLER,"
	run -0 no_topic "${URLS[0]}" loop
}

# LEADER_OF and OTHER_URL for partition p of topic t: its leader's id, and
# the URL of a broker that does not lead it.
leader_and_other() {
	local meta
	meta=$(curl -sf "${URLS[0]}/v1/metadata?topics=$1")
	LEADER_OF=$(jq -r ".topics[0].partitions[$2].leader" <<<"$meta")
	LEADER_URL=$(jq -r ".topics[0].partitions[$2].leader_url" <<<"$meta")
	OTHER_URL=${URLS[$((LEADER_OF % 3))]}
}

@test "a produce to a broker that does not lead the partition answers NOT_LEADER naming the leader" {
	run -0 create spread 3
	leader_and_other spread 0
	run -0 curl -s -w '\n%{http_code}' -X POST "$OTHER_URL/v1/topics/spread/partitions/0/records" \
		-H 'Content-Type: text/plain' --data-binary 'hello'
	assert_line 421
	assert_line --partial '"code":"NOT_LEADER"'
	assert_line --partial "\"leader\":{\"id\":$LEADER_OF,\"url\":\"$LEADER_URL\"}"
	run -0 curl -s -w '\n%{http_code}' -X POST "$LEADER_URL/v1/topics/spread/partitions/0/records" \
		-H 'Content-Type: text/plain' --data-binary 'hello'
	assert_line 200
}

@test "a fetch from a broker that does not lead the partition answers NOT_LEADER naming the leader" {
	run -0 create spread 3
	leader_and_other spread 1
	run -0 curl -s -w '\n%{http_code}' "$OTHER_URL/v1/topics/spread/partitions/1/records?offset=0"
	assert_line 421
	assert_line --partial "\"leader\":{\"id\":$LEADER_OF,\"url\":\"$LEADER_URL\"}"
	run -0 curl -s -w '\n%{http_code}' "$LEADER_URL/v1/topics/spread/partitions/1/records?offset=0"
	assert_line 200
}

# The partitions of topic t as broker URL's metadata has them.
placement_at() {
	curl -sf "$1/v1/metadata?topics=$2" |
		jq -c '.topics[0].partitions | map({partition, leader, leader_url, replicas, isr, leader_epoch})'
}

@test "every broker describes the topics with the same leaders, replicas and ISR" {
	local want
	run -0 create spread 6
	want=$(placement_at "${URLS[0]}" spread)
	[ "$(jq 'map(.leader) | unique | length' <<<"$want")" = 3 ] # leaders spread
	run -0 placement_at "${URLS[1]}" spread
	assert_output "$want"
	run -0 placement_at "${URLS[2]}" spread
	assert_output "$want"
}

@test "slog-topics describe shows each partition's leader, replicas, ISR and epoch, and offsets from its leader" {
	local p url
	run -0 create spread 3
	for p in 0 1 2; do
		leader_and_other spread "$p"
		run -0 curl -sf -X POST "$LEADER_URL/v1/topics/spread/partitions/$p/records" \
			-H 'Content-Type: text/plain' --data-binary $'a\nb'
	done
	run -0 --separate-stderr slog-topics -b "${URLS[0]#http://}" describe spread --format json
	run -0 jq -c '.topics[0].partitions[] | [.partition, .leader > 0, .replicas == [.leader],
		.isr == [.leader], .leader_epoch, .high_watermark]' <<<"$output"
	assert_output $'[0,true,true,true,0,2]\n[1,true,true,true,0,2]\n[2,true,true,true,0,2]'
	run -0 --separate-stderr slog-topics -b "${URLS[1]#http://}" describe spread
	assert_line --regexp '^  PARTITION +LEADER +EPOCH +REPLICAS +ISR +LOG-START +HIGH-WATERMARK +SIZE$'
	for p in 0 1 2; do
		leader_and_other spread "$p"
		assert_line --regexp "^  $p +$LEADER_OF +0 +$LEADER_OF +$LEADER_OF +0 +2 +[0-9]"
	done
}

@test "a consumer group reads and commits through a broker that is not the controller" {
	local b
	find_follower
	b=${FOLLOWER#http://}
	run -0 slog-topics -b "$b" create events
	wait_for 100 on_every_broker events 1
	printf 'a\nb\nc\n' | slog-produce -b "$b" -t events
	# __consumer_offsets does not exist yet: the controller makes it.
	run -0 --separate-stderr slog-consume -b "$b" -g readers -t events -e --timeout-ms 30000
	[ "${#lines[@]}" -eq 3 ]
	# Its offset was committed at the coordinator, wherever events-0 is led.
	run -0 --separate-stderr slog-groups -b "$b" describe readers --format json
	[ "$(jq '.groups[0].partitions[] | select(.topic == "events") | .offset' <<<"$output")" = 3 ]
}
