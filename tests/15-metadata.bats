#!/usr/bin/env bats
# The metadata log (the quorum's, and the format before it), the data
# dir's meta.properties, and the broker's reserved names.

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

# The cluster id the broker wrote into its data dir's meta.properties.
cluster_id() {
	sed -n 's/^cluster.id=//p' "$BROKER_DIR/data/meta.properties"
}

@test "a metadata log written before records had versions still starts the broker" {
	start_broker
	local id
	id=$(cluster_id)
	stop_broker
	rm -r "$BROKER_DIR/data/__cluster_metadata"
	run -0 "$SLOG_TEST_TOOL" metadata-append "$BROKER_DIR/data/__cluster_metadata" \
		"{\"type\":\"cluster\",\"cluster_id\":\"$id\"}" \
		'{"type":"topic","name":"old","id":"AAAAAAAAAAAAAAAAAAAAAA","partitions":2,"replication_factor":1,"configs":{"retention.ms":"86400000"}}' \
		'{"type":"partitions","name":"old","count":3}'
	restart_broker
	run --separate-stderr slog-topics describe old --json
	assert_success
	[ "$(echo "$output" | jq '.topics[0].partitions | length')" = 3 ]
	[ "$(echo "$output" | jq -r '.topics[0].configs[]|select(.name=="retention.ms").value')" = 86400000 ]
	run curl -s -X POST "$BROKER_URL/v1/topics/old/partitions/2/records" --data-binary 'kept'
	assert_output --partial '"base_offset":0'
	restart_broker
	run -0 curl -s "$BROKER_URL/v1/topics/old/partitions/2/records?offset=0"
	assert_output --partial kept
}

@test "a metadata record of a newer version stops the broker, naming the version" {
	start_broker
	run -0 slog-topics create kept
	stop_broker
	run -0 "$SLOG_TEST_TOOL" metadata-append "$BROKER_DIR/data/__cluster_metadata" \
		'{"v":99,"type":"fence","id":1}'
	run -1 slog-broker --set listeners=127.0.0.1:0 --set "log.dirs=$BROKER_DIR/data"
	assert_output --partial "version 99"
	assert_output --partial "upgrade"
	assert_output --partial "$BROKER_DIR/data/__cluster_metadata"
}

@test "a data dir of another node refuses to start, naming both node ids" {
	start_broker
	stop_broker
	run -1 slog-broker --set listeners=127.0.0.1:0 --set "log.dirs=$BROKER_DIR/data" --set node.id=2
	assert_output --partial "belongs to node.id 1, but this broker is node.id 2"
}

@test "a data dir of another cluster refuses to start, naming both cluster ids" {
	start_broker
	local id
	id=$(cluster_id)
	stop_broker
	sed -i "s/^cluster.id=.*/cluster.id=BBBBBBBBBBBBBBBBBBBBBB/" "$BROKER_DIR/data/meta.properties"
	run -1 slog-broker --set listeners=127.0.0.1:0 --set "log.dirs=$BROKER_DIR/data"
	assert_output --partial "belongs to cluster $id, meta.properties to BBBBBBBBBBBBBBBBBBBBBB"
}

@test "an import of an old metadata log cut short by a crash is done at the next start" {
	start_broker
	local id
	id=$(cluster_id)
	stop_broker
	rm -r "$BROKER_DIR/data/__cluster_metadata"
	run -0 "$SLOG_TEST_TOOL" metadata-append "$BROKER_DIR/data/__cluster_metadata.migrated" \
		"{\"type\":\"cluster\",\"cluster_id\":\"$id\"}" \
		'{"type":"topic","name":"old","id":"AAAAAAAAAAAAAAAAAAAAAA","partitions":1,"replication_factor":1}'
	restart_broker
	run -0 slog-topics list
	assert_line old
}
