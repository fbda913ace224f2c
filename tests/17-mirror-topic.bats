#!/usr/bin/env bats
# A mirror topic (mirror.source): read-only to producers, written only by
# its mirror at the source's offsets, writable again once promoted.

load helpers
load cluster

setup() {
	start_broker
}

# The batches of topic $1 partition 0 from offset $2, as the broker stores them.
fetch_batches() {
	curl -sf -H 'Accept: application/x-slog-batch' "$BROKER_URL/v1/topics/$1/partitions/0/records?offset=$2"
}

# POST body $3 (Content-Type $2) to path $1; the status, the answer in $BATS_TEST_TMPDIR/out.
post() {
	curl -s -o "$BATS_TEST_TMPDIR/out" -w '%{http_code}' -X POST -H "Content-Type: $2" \
		--data-binary "$3" "$BROKER_URL$1"
}

# POST file $2 to topic $1 partition 0 as a mirror.
mirror_post() {
	post "/v1/topics/$1/partitions/0/records?mirror=true" application/x-slog-batch "@$2"
}

@test "mirror.source is set at create, listed, and removed by alter" {
	slog-topics create m -c mirror.source=east/orders
	run --separate-stderr slog-topics describe m --json
	assert_success
	[ "$(echo "$output" | jq -r '.topics[0].configs[] | select(.name == "mirror.source") | .value')" = east/orders ]
	slog-topics alter m --delete-config mirror.source
	run --separate-stderr slog-topics describe m --json
	[ "$(echo "$output" | jq '[.topics[0].configs[] | select(.name == "mirror.source")] | length')" = 0 ]
}

@test "a mirror.source that is not cluster/topic is refused with INVALID_CONFIG" {
	run --separate-stderr slog-topics create m -c mirror.source=nocluster
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"INVALID_CONFIG"* || "$stderr" == *"is not <cluster-id>/<topic>"* ]]
}

@test "a produce to a mirror topic fails with READ_ONLY_TOPIC" {
	slog-topics create m -c mirror.source=east/orders
	run post /v1/topics/m/records application/x-ndjson '{"value":"x"}'
	assert_output 403
	[ "$(jq -r .error.code "$BATS_TEST_TMPDIR/out")" = READ_ONLY_TOPIC ]
	run --separate-stderr slog-produce -t m <<<"x"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"read-only"* ]]
	run slog-topics offsets m --json
	[ "$(echo "$output" | jq '.partitions[0].latest')" = 0 ]
}

@test "a mirror's batches keep their source offsets, and a re-send is skipped" {
	slog-topics create src
	slog-topics create m -c mirror.source=east/src
	for v in a b c d e f; do echo "$v" | slog-produce -t src; done
	fetch_batches src 2 >"$BATS_TEST_TMPDIR/b"
	run mirror_post m "$BATS_TEST_TMPDIR/b"
	assert_output 200
	[ "$(jq .base_offset "$BATS_TEST_TMPDIR/out")" = 2 ]
	[ "$(jq .last_offset "$BATS_TEST_TMPDIR/out")" = 5 ]
	run mirror_post m "$BATS_TEST_TMPDIR/b"
	assert_output 200
	run --separate-stderr slog-consume -t m -e -f '%o %s\n'
	assert_success
	assert_output $'2 c\n3 d\n4 e\n5 f'
	run slog-topics offsets m --at earliest --json
	[ "$(echo "$output" | jq '.partitions[0].offset // .partitions[0].earliest')" = 2 ]
	# The bytes are the source's but for the leader epoch (bytes 12-15, outside the CRC).
	cmp <(fetch_batches src 2 | tail -c +17) <(fetch_batches m 2 | tail -c +17)
}

@test "a mirror's append to a topic without mirror.source is refused" {
	slog-topics create plain src
	echo a | slog-produce -t src
	fetch_batches src 0 >"$BATS_TEST_TMPDIR/b"
	run mirror_post plain "$BATS_TEST_TMPDIR/b"
	assert_output 400
	[ "$(jq -r .error.code "$BATS_TEST_TMPDIR/out")" = INVALID_REQUEST ]
	[[ "$(jq -r .error.message "$BATS_TEST_TMPDIR/out")" == *"not a mirror topic"* ]]
}

@test "a mirror appends only record batches to a partition" {
	slog-topics create m -c mirror.source=east/src
	run post "/v1/topics/m/partitions/0/records?mirror=true" application/x-ndjson '{"value":"x"}'
	assert_output 400
	[ "$(jq -r .error.code "$BATS_TEST_TMPDIR/out")" = INVALID_REQUEST ]
	run post "/v1/topics/m/partitions/0/records?mirror=maybe" application/x-slog-batch x
	assert_output 400
}

@test "removing mirror.source promotes the topic: producers write after the mirrored records" {
	slog-topics create src
	slog-topics create m -c mirror.source=east/src
	printf 'a\nb\n' | slog-produce -t src
	fetch_batches src 0 >"$BATS_TEST_TMPDIR/b"
	run mirror_post m "$BATS_TEST_TMPDIR/b"
	assert_output 200
	slog-topics alter m --delete-config mirror.source
	echo c | slog-produce -t m
	run --separate-stderr slog-consume -t m -e -f '%o %s\n'
	assert_output $'0 a\n1 b\n2 c'
	run mirror_post m "$BATS_TEST_TMPDIR/b"
	assert_output 400
}

@test "the followers of a mirror topic keep up across a gap the source left" {
	slog-topics create src
	for v in a b c d e f; do echo "$v" | slog-produce -t src; done
	curl -sf -H 'Accept: application/x-slog-batch' "$BROKER_URL/v1/topics/src/partitions/0/records?offset=0&max_bytes=1" >"$BATS_TEST_TMPDIR/first"
	fetch_batches src 5 >"$BATS_TEST_TMPDIR/last"
	start_cluster 2
	wait_cluster_alive
	slog-topics create m -R 2 -c mirror.source=east/src
	wait_for 200 bash -c "[ \"\$(curl -sf '${NODE_URL[1]}/v1/metadata?topics=m' | jq '.topics[0].partitions[0].isr | length')\" = 2 ]"
	leader=$(curl -sf "${NODE_URL[1]}/v1/metadata?topics=m" | jq -r '.topics[0].partitions[0].leader_url')
	for f in first last; do
		run curl -s --max-time 20 -o "$BATS_TEST_TMPDIR/out" -w '%{http_code}' -X POST \
			-H 'Content-Type: application/x-slog-batch' --data-binary "@$BATS_TEST_TMPDIR/$f" \
			"$leader/v1/topics/m/partitions/0/records?mirror=true&acks=all"
		assert_output 200
	done
	# acks=all answered: the follower has offset 5, past the gap 1..4.
	[ "$(jq .last_offset "$BATS_TEST_TMPDIR/out")" = 5 ]
	[ "$(curl -sf "${NODE_URL[1]}/v1/metadata?topics=m" | jq '.topics[0].partitions[0].isr | length')" = 2 ]
}
