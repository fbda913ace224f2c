#!/usr/bin/env bats
# The metadata log and the broker's reserved names.

load helpers

@test "a produce to __cluster_metadata is refused and the broker still restarts" {
	start_broker
	run curl -s -X POST "$BROKER_URL/v1/topics/__cluster_metadata/partitions/0/records" \
		--data-binary $'hello\nworld'
	assert_output --partial INVALID_TOPIC_EXCEPTION
	run -0 slog-topics create kept
	restart_broker
	run -0 slog-topics list
	assert_line kept
	refute_listed __cluster_metadata
}

@test "creating a topic whose name starts with __ is refused" {
	start_broker
	run -1 slog-topics create __mine
	assert_output --partial "starting with '__'"
	run -0 slog-topics create _single
}

@test "clients cannot write to __consumer_offsets" {
	start_broker
	run curl -s -X POST "$BROKER_URL/v1/topics/__consumer_offsets/partitions/0/records" \
		--data-binary 'x'
	assert_output --partial INVALID_TOPIC_EXCEPTION
}

@test "the metadata log lives outside the topic namespace, and an old layout moves there" {
	start_broker
	run -0 slog-topics create kept
	[ -d "$BROKER_DIR/data/__cluster_metadata" ]
	[ ! -e "$BROKER_DIR/data/__cluster_metadata-0" ]
	stop_broker
	mv "$BROKER_DIR/data/__cluster_metadata" "$BROKER_DIR/data/__cluster_metadata-0"
	restart_broker
	run -0 slog-topics list
	assert_line kept
	[ -d "$BROKER_DIR/data/__cluster_metadata" ]
	[ ! -e "$BROKER_DIR/data/__cluster_metadata-0" ]
}

@test "metadata.log.dir puts the metadata log where it says" {
	start_broker --set "metadata.log.dir=$BATS_TEST_TMPDIR/meta"
	run -0 slog-topics create kept
	[ -d "$BATS_TEST_TMPDIR/meta" ]
	[ ! -e "$BROKER_DIR/data/__cluster_metadata" ]
	restart_broker --set "metadata.log.dir=$BATS_TEST_TMPDIR/meta"
	run -0 slog-topics list
	assert_line kept
}

@test "creating a topic with many partitions does not hold up a produce to another topic" {
	start_broker
	run -0 slog-topics create other
	curl -s -o /dev/null -X POST "$BROKER_URL/v1/topics" --json '{"name":"wide","partitions":4000}' &
	local create=$!
	wait_for 400 test -d "$BROKER_DIR/data/wide-0"
	run -0 curl -sf -m 10 -X POST "$BROKER_URL/v1/topics/other/records" --data-binary x
	# The produce was answered while the create was still opening logs.
	local opened
	opened=$(find "$BROKER_DIR/data" -maxdepth 1 -name 'wide-*' | wc -l)
	echo "partition directories when the produce was answered: $opened" >&2
	[ "$opened" -lt 4000 ]
	wait "$create"
	run -0 slog-topics describe wide
}

@test "a request may not ask for more than max.partitions.per.request partitions" {
	start_broker --set max.partitions.per.request=10
	run curl -s -X POST "$BROKER_URL/v1/topics" --json '{"name":"w","partitions":11}'
	assert_output --partial max.partitions.per.request
	run -0 slog-topics create w -P 10
	run curl -s -X POST "$BROKER_URL/v1/topics/w/partitions" --json '{"count":21}'
	assert_output --partial max.partitions.per.request
	run -0 curl -sf -X POST "$BROKER_URL/v1/topics/w/partitions" --json '{"count":20}'
}

@test "a deleted partition left half-removed is gone after a restart" {
	start_broker
	run -0 slog-topics create t
	stop_broker
	mkdir -p "$BROKER_DIR/data/t-0.AAAAAAAAAAAAAAAAAAAAAA-delete"
	restart_broker
	[ ! -e "$BROKER_DIR/data/t-0.AAAAAAAAAAAAAAAAAAAAAA-delete" ]
	[ -d "$BROKER_DIR/data/t-0" ]
}
