#!/usr/bin/env bats
# Stopping a broker of a replicated cluster on purpose: SIGTERM hands its
# leaderships to other in-sync replicas before it exits, and a rolling
# restart of every broker under acks=all load loses nothing.  And the
# leaders' ISR changes that make it safe: a follower that stops leaves
# the ISR, and joins again when it catches up.

load helpers
load cluster

# The load of the rolling restart ends with the test, however it ends:
# its input stops when the file is there, and the producer is stopped by
# its PID.
PRODUCER_PID=""
teardown() {
	touch "$BATS_TEST_TMPDIR/restarted"
	if [ -n "$PRODUCER_PID" ]; then
		kill -KILL "$PRODUCER_PID" 2>/dev/null
		wait "$PRODUCER_PID" 2>/dev/null || true
	fi
	teardown_brokers
}

# partitions_json ON TOPIC: TOPIC's partitions as node ON's metadata has them.
partitions_json() {
	curl -sf --max-time 5 "${NODE_URL[$1]}/v1/metadata?topics=$2" |
		jq -c '.topics[0].partitions'
}

# led_by ON TOPIC ID: how many partitions of TOPIC broker ID leads, as
# node ON sees it.
led_by() {
	partitions_json "$1" "$2" | jq --argjson id "$3" '[.[] | select(.leader == $id)] | length'
}

# fully_in_sync ON TOPIC RF: every partition of TOPIC has a leader and RF
# members in its ISR, as node ON sees it.
fully_in_sync() {
	partitions_json "$1" "$2" |
		jq -e --argjson rf "$3" 'length > 0 and all(.[]; .leader >= 0 and (.isr | length) == $rf)'
}

# logged ID TEXT: node ID's log holds TEXT.
logged() {
	grep -q -- "$2" "$BATS_TEST_TMPDIR/node$1/broker.log"
}

# brokers_list: every node's address, for clients that must outlive any one.
brokers_list() {
	local i list=""
	for ((i = 1; i <= CLUSTER_SIZE; i++)); do
		list+="${list:+,}127.0.0.1:${NODE_PORT[$i]}"
	done
	echo "$list"
}

# other_node ID: a node that is not ID.
other_node() {
	[ "$1" = 1 ] && echo 2 || echo 1
}

# isr_of ON TOPIC: partition 0's ISR, sorted, as node ON sees it ("1,2,3").
isr_of() {
	partitions_json "$1" "$2" | jq -r '.[0].isr | sort | map(tostring) | join(",")'
}

# isr_is ON TOPIC ISR: for wait_for.
isr_is() {
	[ "$(isr_of "$1" "$2")" = "$3" ]
}

@test "a follower that stops fetching leaves the ISR, and joins it again once it catches up" {
	# Silent for a minute before it is fenced: only its leader's ISR
	# change can take it out.
	start_cluster 3 replica.lag.time.max.ms=1000 broker.session.timeout.ms=60000
	wait_cluster_alive
	run -0 slog-topics create lagging -P 1 -R 3 -c min.insync.replicas=2
	wait_for 400 fully_in_sync 1 lagging 3
	local leader c f i rest=""
	leader=$(partitions_json 1 lagging | jq '.[0].leader')
	c=$(cluster_controller)
	for i in 3 2 1; do
		[ "$i" != "$leader" ] && [ "$i" != "$c" ] && f=$i
	done
	for i in 1 2 3; do
		[ "$i" = "$f" ] || rest+="${rest:+,}$i"
	done
	kill -STOP "${NODE_PID[$f]}"
	wait_for 200 isr_is "$leader" lagging "$rest" || {
		kill -CONT "${NODE_PID[$f]}"
		partitions_json "$leader" lagging >&2
		false
	}
	run -0 grep -E "partition lagging-0: the controller took ISR \\[[0-9,]+\\]" \
		"$BATS_TEST_TMPDIR/node$leader/broker.log"
	# Two in sync of three: acks=all writes go on without it.
	run -0 slog-produce -b "127.0.0.1:${NODE_PORT[$leader]}" -t lagging --acks all \
		--timeout-ms 10000 <<<"while it sleeps"
	kill -CONT "${NODE_PID[$f]}"
	wait_for 200 isr_is "$leader" lagging 1,2,3
}

@test "a broker stopped with SIGTERM hands its leaderships to other brokers before it exits" {
	start_cluster 3
	wait_cluster_alive
	run -0 slog-topics create moved -P 6 -R 3
	wait_for 400 fully_in_sync 1 moved 3
	local b o
	b=$(partitions_json 1 moved | jq '.[0].leader')
	o=$(other_node "$b")
	[ "$(led_by "$o" moved "$b")" -gt 0 ]
	stop_broker "${NODE_PID[$b]}"
	# It said so before it stopped, and what it said is what the others see.
	run -0 grep -n "controlled shutdown: this broker leads no partition now" \
		"$BATS_TEST_TMPDIR/node$b/broker.log"
	run -0 led_by "$o" moved "$b"
	assert_output 0
	wait_for 200 bash -c "curl -sf '${NODE_URL[$o]}/v1/metadata?topics=moved' |
		jq -e --argjson b $b 'all(.topics[0].partitions[]; .leader >= 0 and .leader != \$b)'"
}

@test "a broker that is the only replica of its partitions stops without waiting for them" {
	start_cluster 3
	wait_cluster_alive
	run -0 slog-topics create single -P 3 -R 1
	wait_for 400 fully_in_sync 1 single 1
	local b
	b=$(partitions_json 1 single | jq '.[0].leader')
	stop_broker "${NODE_PID[$b]}"
	# The controller may leave it the leader or make the partition
	# leaderless; either way nothing is waited for.
	run -0 grep -E "controlled shutdown: this broker (leads no partition now|still leads 1 partition\\(s\\) that no other in-sync replica can take)" \
		"$BATS_TEST_TMPDIR/node$b/broker.log"
	run -1 logged "$b" "waiting for the leadership"
	run -1 logged "$b" "stopping anyway"
}

@test "a broker whose leaderships cannot move stops after controlled.shutdown.timeout.ms, naming how many it leads" {
	start_cluster 3 controlled.shutdown.timeout.ms=1000
	wait_cluster_alive
	run -0 slog-topics create stuck -P 3 -R 3
	wait_for 400 fully_in_sync 1 stuck 3
	local b led i
	b=$(partitions_json 1 stuck | jq '.[0].leader')
	led=$(led_by "$b" stuck "$b")
	# No controller is left to move anything.
	for i in 1 2 3; do
		[ "$i" = "$b" ] || kill -STOP "${NODE_PID[$i]}"
	done
	stop_broker "${NODE_PID[$b]}"
	for i in 1 2 3; do
		[ "$i" = "$b" ] || kill -CONT "${NODE_PID[$i]}"
	done
	grep -qE "controlled shutdown: after 1000 ms this broker still leads $led partition\\(s\\) that other brokers could lead; stopping anyway" \
		"$BATS_TEST_TMPDIR/node$b/broker.log" || {
		echo "expected $led partition(s) in:" >&2
		grep 'controlled shutdown' "$BATS_TEST_TMPDIR/node$b/broker.log" >&2
		return 1
	}
}

@test "a restarted broker serves only once it has caught up: its first answers know every topic" {
	start_cluster 3
	wait_cluster_alive
	run -0 slog-topics create known -P 3 -R 3
	wait_for 400 fully_in_sync 1 known 3
	local b
	b=$(a_follower)
	stop_broker "${NODE_PID[$b]}"
	start_node "$b"
	# Asked as soon as it answers at all.
	wait_for 400 curl -sf -o "$BATS_TEST_TMPDIR/first" "${NODE_URL[$b]}/v1/metadata?topics=known"
	run -0 jq -r '.topics[0].error.code // "none"' "$BATS_TEST_TMPDIR/first"
	assert_output none
	run -0 bash -c "tail -n +${NODE_SKIP[$b]} '$BATS_TEST_TMPDIR/node$b/broker.log' | grep 'listening on'"
	refute_output --partial " 0 topics"
}

@test "a rolling restart of every broker under acks=all load loses no record and fails none" {
	start_cluster 3 replica.lag.time.max.ms=2000
	wait_cluster_alive
	run -0 slog-topics create rolled -P 3 -R 3 -c min.insync.replicas=2
	wait_for 400 fully_in_sync 1 rolled 3
	local brokers i rc=0 n
	brokers=$(brokers_list)
	# Records trickle in for the whole restart, numbered; every one must be
	# acknowledged.
	(i=0
	while [ ! -e "$BATS_TEST_TMPDIR/restarted" ]; do
		i=$((i + 1))
		echo "$i"
		((i % 20)) || sleep 0.05
	done
	echo "$i" >"$BATS_TEST_TMPDIR/sent") | slog-produce -b "$brokers" -t rolled --acks all \
		--timeout-ms 60000 >"$BATS_TEST_TMPDIR/produce.out" 2>"$BATS_TEST_TMPDIR/produce.err" 3>&- &
	PRODUCER_PID=$!
	for i in 1 2 3; do
		stop_broker "${NODE_PID[$i]}"
		logged "$i" "controlled shutdown: this broker leads no partition now"
		start_node "$i"
		wait_for 400 node_listening "$i"
		wait_for 400 state_is "$(other_node "$i")" "$i" alive
		wait_for 600 fully_in_sync "$i" rolled 3 || {
			partitions_json "$i" rolled >&2
			false
		}
	done
	touch "$BATS_TEST_TMPDIR/restarted"
	wait "$PRODUCER_PID" || rc=$?
	PRODUCER_PID=""
	cat "$BATS_TEST_TMPDIR/produce.err"
	[ "$rc" = 0 ]
	n=$(cat "$BATS_TEST_TMPDIR/sent")
	[ "$n" -gt 100 ]
	run -0 cat "$BATS_TEST_TMPDIR/produce.err"
	refute_output --partial "not acknowledged"
	run -0 slog-consume -b "$brokers" -t rolled -e
	[ "$(sort -un <<<"$output" | wc -l)" = "$n" ]
	[ "$(sort -n <<<"$output" | head -1)" = 1 ]
	[ "$(sort -n <<<"$output" | tail -1)" = "$n" ]
}
