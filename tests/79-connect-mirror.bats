#!/usr/bin/env bats
# slog-connect's mirror between two independent clusters (a single broker
# each): east is the source, west the target.

load helpers
load connect

setup() {
	start_broker east
	EAST=127.0.0.1:$BROKER_PORT
	start_broker west
	WEST=127.0.0.1:$BROKER_PORT
	export BROKER=$WEST SLOG_BROKERS=$WEST
}

# mirror_conf NAME KEY=VALUE...: an exact mirror of east, quick to notice changes.
mirror_conf() {
	local name=$1
	shift
	connector_conf "$name" connector.class=mirror "source.bootstrap.servers=$EAST" \
		refresh.topics.interval.seconds=1 sync.group.offsets.interval.seconds=1 "$@"
}

# records TOPIC CLUSTER [ARGS...]: the topic's records as slog-consume -J prints them.
records() {
	local topic=$1 cluster=$2
	shift 2
	slog-consume -b "$cluster" -t "$topic" -e -q -J "$@"
}

# The next offset of TOPIC's partition P on CLUSTER (its high watermark).
end_of() {
	curl -sf "http://$2/v1/topics/$1/partitions/${3:-0}/offsets" | jq .offset
}

# same_end TOPIC P: the copy on west has caught up with east.
same_end() {
	[ "$(end_of "$1" "$EAST" "$2")" = "$(end_of "$1" "$WEST" "$2")" ]
}

# A group's committed offset of TOPIC-P on CLUSTER, or "none".
committed() {
	curl -sf "http://$2/v1/groups/$1/offsets" |
		jq -r --arg t "$3" --argjson p "${4:-0}" \
			'[.offsets[] | select(.topic == $t and .partition == $p) | .offset][0] // "none"'
}

@test "the mirror copies a topic byte for byte: offsets, keys, values, headers, timestamps" {
	slog-topics -b "$EAST" create orders -P 2 -c retention.ms=2d
	printf '%s\n' \
		'{"partition":0,"key":"k1","value":"one","timestamp":1700000000000,"headers":[{"key":"h","value":"x"},{"key":"h","value":"y"}]}' \
		'{"partition":1,"key":null,"value":"two","timestamp":1700000000001}' \
		'{"partition":0,"key":"k3","value_b64":"3q2+7w==","timestamp":1700000000002}' \
		'{"partition":0,"key":"k4","value":null,"timestamp":1700000000003}' |
		slog-produce -b "$EAST" -t orders -J
	seq 1 50 | slog-produce -b "$EAST" -t orders -p 1 -z zstd
	start_connect "$(mirror_conf m)"
	wait_for 200 same_end orders 0
	wait_for 200 same_end orders 1
	for p in 0 1; do
		records orders "$EAST" -p "$p" >"$BATS_TEST_TMPDIR/east.$p"
		records orders "$WEST" -p "$p" >"$BATS_TEST_TMPDIR/west.$p"
		cmp "$BATS_TEST_TMPDIR/east.$p" "$BATS_TEST_TMPDIR/west.$p"
		# The batches themselves, compressed as they were (both leaders are at epoch 0).
		cmp <(curl -sf -H 'Accept: application/x-slog-batch' "http://$EAST/v1/topics/orders/partitions/$p/records?offset=0") \
			<(curl -sf -H 'Accept: application/x-slog-batch' "http://$WEST/v1/topics/orders/partitions/$p/records?offset=0")
	done
	[ "$(wc -l <"$BATS_TEST_TMPDIR/east.0")" = 3 ]
	[ "$(wc -l <"$BATS_TEST_TMPDIR/west.1")" = 51 ]
	run --separate-stderr slog-topics describe orders --json
	[ "$(echo "$output" | jq -r '.topics[0].configs[] | select(.name == "retention.ms") | .value')" = 172800000 ]
	[ "$(echo "$output" | jq -r '.topics[0].configs[] | select(.name == "mirror.source") | .value')" = "$(curl -sf "http://$EAST/v1/cluster" | jq -r .cluster_id)/orders" ]
}

@test "the mirror follows new records, a new partition and a new topic" {
	slog-topics -b "$EAST" create orders
	seq 1 5 | slog-produce -b "$EAST" -t orders
	start_connect "$(mirror_conf m)"
	wait_for 200 same_end orders 0
	seq 6 9 | slog-produce -b "$EAST" -t orders
	slog-topics -b "$EAST" add-partitions orders -P 2
	seq 10 12 | slog-produce -b "$EAST" -t orders -p 1
	slog-topics -b "$EAST" create payments
	seq 13 14 | slog-produce -b "$EAST" -t payments
	wait_for 400 same_end orders 0
	wait_for 400 same_end orders 1
	wait_for 400 same_end payments 0
	cmp <(records orders "$EAST" -p 1) <(records orders "$WEST" -p 1)
	cmp <(records payments "$EAST") <(records payments "$WEST")
	[ "$(end_of orders "$WEST" 0)" = 9 ]
}

@test "the mirror leaves out internal topics and the topics excluded" {
	slog-topics -b "$EAST" create keep skip.replica drop
	echo a | slog-produce -b "$EAST" -t keep
	echo b | slog-produce -b "$EAST" -t drop
	start_connect "$(mirror_conf m topics.exclude=drop,.*\\.replica)"
	wait_for 200 same_end keep 0
	run --separate-stderr slog-topics list
	assert_success
	refute_line drop
	refute_line skip.replica
	refute_line __consumer_offsets
}

@test "a produce to a mirror topic fails with READ_ONLY_TOPIC until slog-connect mirror promote" {
	slog-topics -b "$EAST" create orders
	echo a | slog-produce -b "$EAST" -t orders
	start_connect "$(mirror_conf m)"
	wait_for 200 same_end orders 0
	run --separate-stderr slog-produce -t orders <<<"local"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"read-only"* ]]
	run --separate-stderr slog-connect mirror promote orders
	assert_success
	echo local | slog-produce -t orders
	# The mirror leaves the promoted copy alone from then on.
	echo b | slog-produce -b "$EAST" -t orders
	wait_for 200 grep -q "topic 'orders' is not copied" "$CONNECT_LOG"
	run --separate-stderr slog-consume -t orders -e -f '%o %s\n'
	assert_output $'0 a\n1 local'
}

@test "mirror promote refuses a topic that is no mirror" {
	slog-topics create plain
	run --separate-stderr slog-connect mirror promote plain
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"not a mirror topic"* ]]
	run --separate-stderr slog-connect mirror promote absent
	[ "$status" -eq 1 ]
}

@test "a consumer group fails over to the target with its offsets and goes on without loss" {
	slog-topics -b "$EAST" create orders
	seq 1 10 | slog-produce -b "$EAST" -t orders
	run --separate-stderr slog-consume -b "$EAST" -t orders -g billing -c 6 -f '%s\n'
	assert_success
	[ "$(committed billing "$EAST" orders)" = 6 ]
	start_connect "$(mirror_conf m)"
	wait_for 200 same_end orders 0
	wait_for 200 bash -c "[ \"\$(curl -sf http://$WEST/v1/groups/billing/offsets | jq '.offsets[0].offset')\" = 6 ]"
	slog-connect mirror promote orders
	seq 11 12 | slog-produce -t orders
	run --separate-stderr slog-consume -t orders -g billing -e -f '%s\n'
	assert_success
	assert_output "$(seq 7 12)"
}

@test "group offsets on the target are never moved back" {
	slog-topics -b "$EAST" create orders
	seq 1 10 | slog-produce -b "$EAST" -t orders
	slog-consume -b "$EAST" -t orders -g billing -c 3 -q -f '%s\n' >>"$BATS_TEST_TMPDIR/read"
	start_connect "$(mirror_conf m)"
	wait_for 200 same_end orders 0
	wait_for 200 bash -c "[ \"\$(curl -sf http://$WEST/v1/groups/billing/offsets | jq '.offsets[0].offset')\" = 3 ]"
	# The group reads on at the target (an administrative commit, as a tool would).
	curl -sf -X POST "http://$WEST/v1/groups/billing/offsets" --json '{"offsets":[{"topic":"orders","partition":0,"offset":8}]}'
	# The source's later commit, behind it, is not copied over it.
	slog-consume -b "$EAST" -t orders -g billing -c 2 -q -f '%s\n' >>"$BATS_TEST_TMPDIR/read"
	[ "$(committed billing "$EAST" orders)" = 5 ]
	# Groups are copied in name order: once "probe", committed later, is
	# on the target, a round has read billing's last commit.
	slog-consume -b "$EAST" -t orders -g probe -c 1 -q -f '%s\n' >>"$BATS_TEST_TMPDIR/read"
	wait_for 200 bash -c "[ \"\$(curl -sf http://$WEST/v1/groups/probe/offsets | jq '.offsets[0].offset')\" = 1 ]"
	[ "$(committed billing "$WEST" orders)" = 8 ]
}

@test "the mirror's progress shows as the lag of group connect-NAME on the source" {
	slog-topics -b "$EAST" create orders
	seq 1 4 | slog-produce -b "$EAST" -t orders
	start_connect "$(mirror_conf m)"
	wait_for 200 same_end orders 0
	wait_for 200 bash -c "[ \"\$(curl -sf http://$EAST/v1/groups/connect-m/offsets | jq '.offsets[0].offset')\" = 4 ]"
	run --separate-stderr slog-groups -b "$EAST" describe connect-m --json
	assert_success
	[ "$(echo "$output" | jq '[.. | .lag? // empty] | add')" = 0 ]
	curl -sf "$CONNECT_URL/metrics" | grep -q 'slog_connect_mirror_lag_records{.*topic="orders",partition="0"} 0'
	curl -sf "$CONNECT_URL/metrics" | grep -q '^slog_connect_mirror_latency_seconds{'
	wait_for 200 connect_ready
	run --separate-stderr slog-connect status m --url "$CONNECT_URL" --format json
	assert_success
	[ "$(echo "$output" | jq -r .connector.state)" = RUNNING ]
}

@test "a mirror restarted after kill -9 goes on without a gap or a duplicate" {
	slog-topics -b "$EAST" create orders
	seq 1 100 | slog-produce -b "$EAST" -t orders
	start_connect "$(mirror_conf m)"
	wait_for 200 same_end orders 0
	kill_connect
	seq 101 200 | slog-produce -b "$EAST" -t orders
	start_connect "$(mirror_conf m)"
	# The killed member's partition comes free once its 10 s session ends.
	wait_for 600 same_end orders 0
	cmp <(records orders "$EAST") <(records orders "$WEST")
}

@test "a copy deleted on the target is copied again from the start" {
	slog-topics -b "$EAST" create orders
	seq 1 20 | slog-produce -b "$EAST" -t orders
	start_connect "$(mirror_conf m)"
	wait_for 200 same_end orders 0
	stop_connect
	slog-topics -b "$WEST" delete orders -y
	start_connect "$(mirror_conf m)"
	wait_for 200 same_end orders 0
	cmp <(records orders "$EAST") <(records orders "$WEST")
}

@test "two clusters mirroring each other in translate mode do not loop" {
	slog-topics -b "$EAST" create events
	slog-topics -b "$WEST" create events
	seq 1 3 | slog-produce -b "$EAST" -t events
	seq 4 5 | slog-produce -b "$WEST" -t events
	# east -> west, and west -> east.
	BROKER=$WEST start_connect "$(mirror_conf ew mirror.mode=translate topics=events)"
	BROKER=$EAST start_connect "$(connector_conf we connector.class=mirror \
		"source.bootstrap.servers=$WEST" mirror.mode=translate topics=events \
		refresh.topics.interval.seconds=1)"
	# Each connector read everything its source has: a loop would have added more.
	wait_for 400 bash -c "[ \"\$(curl -sf http://$EAST/v1/topics/events/partitions/0/offsets | jq .offset)\" = 5 ] &&
		[ \"\$(curl -sf http://$WEST/v1/topics/events/partitions/0/offsets | jq .offset)\" = 5 ] &&
		[ \"\$(curl -sf http://$EAST/v1/groups/connect-ew/offsets | jq '.offsets[0].offset')\" = 5 ] &&
		[ \"\$(curl -sf http://$WEST/v1/groups/connect-we/offsets | jq '.offsets[0].offset')\" = 5 ]"
	[ "$(end_of events "$EAST")" = 5 ]
	[ "$(end_of events "$WEST")" = 5 ]
	run --separate-stderr slog-consume -b "$WEST" -t events -e -f '%s %h\n'
	assert_success
	assert_line --partial "1 slog.mirror.src=$(curl -sf "http://$EAST/v1/cluster" | jq -r .cluster_id)/events/0/0"
	assert_line "4 "
}

@test "slog-connect check takes MirrorMaker 2's class name and says what a mirror file lacks" {
	run --separate-stderr slog-connect check "$(connector_conf m connector.class=org.apache.kafka.connect.mirror.MirrorSourceConnector "source.bootstrap.servers=$EAST")"
	assert_success
	assert_line --partial 'topics.exclude = .*[-.]internal,.*\.replica,__.*'
	run --separate-stderr slog-connect check "$(connector_conf m connector.class=mirror)"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"m.conf: source.bootstrap.servers: required"* ]]
	run --separate-stderr slog-connect check "$(mirror_conf m mirror.mode=exact 'topic.rename.regex=(.*)')"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"topic.rename.regex: renamed copies need mirror.mode = translate"* ]]
	run --separate-stderr slog-connect check "$(mirror_conf m 'topics=a,(b')"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"topics: '(b' is not a regular expression"* ]]
}

@test "translate mode copies into renamed topics with the source's position in a header" {
	slog-topics -b "$EAST" create orders
	printf '%s\n' '{"key":"k","value":"v","timestamp":1700000000000,"headers":{"h":"x"}}' |
		slog-produce -b "$EAST" -t orders -J
	start_connect "$(mirror_conf m 'topic.rename.regex=(.*)' 'topic.rename.replacement=east.$1')"
	wait_for 200 bash -c "[ \"\$(curl -sf http://$WEST/v1/topics/east.orders/partitions/0/offsets | jq .offset)\" = 1 ]"
	run --separate-stderr slog-consume -t east.orders -e -J
	assert_success
	id=$(curl -sf "http://$EAST/v1/cluster" | jq -r .cluster_id)
	[ "$(echo "$output" | jq -c '[.key, .value, .timestamp, .headers]')" = "[\"k\",\"v\",1700000000000,[{\"key\":\"h\",\"value\":\"x\"},{\"key\":\"slog.mirror.src\",\"value\":\"$id/orders/0/0\"},{\"key\":\"slog.mirror.origin\",\"value\":\"$id\"}]]" ]
	# A renamed copy is an ordinary topic.
	echo local | slog-produce -t east.orders
}

@test "in exact mode a topic that is itself a mirror is not copied back" {
	slog-topics -b "$WEST" create back
	echo w | slog-produce -b "$WEST" -t back
	# west -> east makes east's back a mirror topic; east -> west must not copy it back.
	BROKER=$EAST start_connect "$(connector_conf we connector.class=mirror \
		"source.bootstrap.servers=$WEST" topics=back refresh.topics.interval.seconds=1)"
	wait_for 200 same_end back 0
	BROKER=$WEST start_connect "$(mirror_conf ew topics=back)"
	wait_for 200 grep -q "ew: topic 'back' is not copied: it is itself a mirror topic" "$CONNECT_LOG"
	[ "$(end_of back "$WEST")" = 1 ]
}

@test "two mirror processes of the same file split the source's partitions" {
	slog-topics -b "$EAST" create orders -P 4
	for p in 0 1 2 3; do seq 1 5 | slog-produce -b "$EAST" -t orders -p "$p"; done
	conf=$(mirror_conf m)
	start_connect "$conf"
	start_connect "$conf"
	for p in 0 1 2 3; do wait_for 400 same_end orders "$p"; done
	# Both are members of connect-m on the source, each with some of the partitions.
	wait_for 400 bash -c "[ \"\$(curl -sf http://$EAST/v1/groups/connect-m | jq '[.members[] | select(.assignment | length > 0)] | length')\" = 2 ]"
}

@test "tasks.max = 2 runs two members of connect-NAME in one process" {
	slog-topics -b "$EAST" create orders -P 2
	for p in 0 1; do seq 1 5 | slog-produce -b "$EAST" -t orders -p "$p"; done
	start_connect "$(mirror_conf m tasks.max=2)"
	for p in 0 1; do wait_for 400 same_end orders "$p"; done
	wait_for 400 bash -c "[ \"\$(curl -sf http://$EAST/v1/groups/connect-m | jq '[.members[] | select(.assignment | length > 0)] | length')\" = 2 ]"
	cmp <(records orders "$EAST" -p 1) <(records orders "$WEST" -p 1)
}
