#!/usr/bin/env bats
# slog-topics: create, list, describe, alter, add partitions, delete.

load helpers

setup() {
	start_broker
}

@test "create makes a topic with the partitions and configs asked" {
	run --separate-stderr slog-topics create orders -P 3 -c retention.ms=1d -c cleanup.policy=compact
	assert_success
	run --separate-stderr slog-topics describe orders --json
	[ "$(echo "$output" | jq '.topics[0].partitions | length')" = 3 ]
	[ "$(echo "$output" | jq -r '.topics[0].configs[]|select(.name=="cleanup.policy").value')" = compact ]
	[ "$(echo "$output" | jq -r '.topics[0].configs[]|select(.name=="retention.ms").value')" = 86400000 ]
}

@test "creating an existing topic fails unless --if-not-exists" {
	slog-topics create dup
	run --separate-stderr slog-topics create dup
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"'dup' already exists"* ]]
	run --separate-stderr slog-topics create dup --if-not-exists
	assert_success
}

@test "--dry-run checks a creation and creates nothing" {
	run --separate-stderr slog-topics create dry -P 2 --dry-run
	assert_success
	run --separate-stderr slog-topics list
	refute_listed dry
	run --separate-stderr slog-topics create dry -c retention.ms=never --dry-run
	[ "$status" -eq 1 ]
}

@test "a replication factor above the number of brokers is refused, saying why" {
	run --separate-stderr slog-topics create wide -R 3
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"replication factor 3 is larger than the 1 available broker"* ]]
}

@test "bad names and unknown configs are refused with the reason" {
	run --separate-stderr slog-topics create 'no/slash'
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"letters, digits"* ]]
	run --separate-stderr slog-topics create x -c retention.mss=1
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"unknown topic config 'retention.mss'"* ]]
}

@test "list prints one name per line, or JSON" {
	slog-topics create b-topic a-topic
	run --separate-stderr slog-topics list
	assert_success
	assert_output $'a-topic\nb-topic'
	run --separate-stderr slog-topics list --json
	[ "$(echo "$output" | jq -r '[.topics[].name] | join(",")')" = a-topic,b-topic ]
}

@test "describe shows leader, epoch, replicas, ISR, offsets, size and configs with source" {
	slog-topics create d -P 2 -c segment.bytes=1MiB
	seq 1 10 | slog-produce -t d -p 1
	run --separate-stderr slog-topics describe d
	assert_success
	assert_line --regexp '^Topic: d  Id: [A-Za-z0-9_-]{22}  Partitions: 2  Replication factor: 1$'
	assert_line --regexp '^  PARTITION +LEADER +EPOCH +REPLICAS +ISR +LOG-START +HIGH-WATERMARK +SIZE$'
	assert_line --regexp '^  1 +1 +0 +1 +1 +0 +10 +[0-9]+ B$'
	assert_line --regexp '^    segment.bytes +1048576 +topic$'
	assert_line --regexp '^    retention.ms +604800000 +default$'
}

@test "describe with no name describes every topic; a missing one is exit 1" {
	slog-topics create one two
	run --separate-stderr slog-topics describe --json
	[ "$(echo "$output" | jq '.topics | length')" = 2 ]
	run --separate-stderr slog-topics describe one missing
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"'missing'"* ]]
	assert_output --partial "Topic: one"
}

@test "alter sets and deletes configs, with units, and refuses bad ones" {
	slog-topics create a -c retention.ms=1d
	run --separate-stderr slog-topics alter a -c segment.bytes=64MiB --delete-config retention.ms
	assert_success
	run slog-topics describe a --json
	[ "$(echo "$output" | jq -r '.topics[0].configs[]|select(.name=="segment.bytes").value')" = 67108864 ]
	[ "$(echo "$output" | jq -r '.topics[0].configs[]|select(.name=="retention.ms").source')" = default ]
	run --separate-stderr slog-topics alter a -c segment.bytes=lots
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"segment.bytes"* ]]
	run --separate-stderr slog-topics alter a -c max.message.bytes=1KiB --dry-run
	assert_success
	run slog-topics describe a --json
	[ "$(echo "$output" | jq -r '.topics[0].configs[]|select(.name=="max.message.bytes").source')" = default ]
	run --separate-stderr slog-topics alter nope -c retention.ms=1
	[ "$status" -eq 1 ]
}

@test "a broker-wide default shows as source broker" {
	restart_broker --set log.retention.hours=48
	slog-topics create bd
	run slog-topics describe bd --json
	[ "$(echo "$output" | jq -r '.topics[0].configs[]|select(.name=="retention.ms").value')" = 172800000 ]
	[ "$(echo "$output" | jq -r '.topics[0].configs[]|select(.name=="retention.ms").source')" = broker ]
}

@test "add-partitions grows a topic, only upward, and warns about keys" {
	slog-topics create g -P 2
	run --separate-stderr slog-topics add-partitions g -P 5
	assert_success
	[[ "$stderr" == *"different partition"* ]]
	run slog-topics describe g --json
	[ "$(echo "$output" | jq '.topics[0].partitions | length')" = 5 ]
	run --separate-stderr slog-topics add-partitions g -P 3
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"can only grow"* ]]
	seq 1 50 | slog-produce -t g -p 4
	run slog-consume -t g -p 4 -e
	[ "${#lines[@]}" -eq 50 ]
}

@test "delete removes the files and the name is free again at once" {
	slog-topics create gone -P 2
	seq 1 100 | slog-produce -t gone
	[ -d "$BROKER_DIR/data/gone-0" ]
	run --separate-stderr slog-topics delete gone
	assert_success
	[ ! -e "$BROKER_DIR/data/gone-0" ]
	[ ! -e "$BROKER_DIR/data/gone-1" ]
	slog-topics create gone
	echo fresh | slog-produce -t gone
	run slog-consume -t gone -e
	assert_output fresh
}

@test "delete of a missing topic fails unless --if-exists" {
	run --separate-stderr slog-topics delete ghost
	[ "$status" -eq 1 ]
	run --separate-stderr slog-topics delete ghost --if-exists
	assert_success
}

@test "a deleted topic stays deleted after a restart" {
	slog-topics create tmp
	slog-topics delete tmp
	restart_broker
	run slog-topics list
	refute_listed tmp
}

@test "offsets shows earliest and latest per partition, and at a time" {
	slog-topics create o
	printf '{"value":"a","timestamp":1000}\n{"value":"b","timestamp":5000}\n' | slog-produce -J -t o
	run --separate-stderr slog-topics offsets o --at @4000ms --json
	assert_success
	[ "$(echo "$output" | jq '.partitions[0].earliest')" = 0 ]
	[ "$(echo "$output" | jq '.partitions[0].latest')" = 2 ]
	[ "$(echo "$output" | jq '.partitions[0].at')" = 1 ]
	run --separate-stderr slog-topics offsets o
	assert_line --regexp '^0 +0 +2$'
}
