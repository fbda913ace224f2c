#!/usr/bin/env bats
# Groups and clients across a broker's death in a replicating cluster:
# __consumer_offsets is replicated, a group's new coordinator reads its
# offsets back from its copy of the log, and slog-produce --acks all
# follows a partition's new leader without losing a record.

load helpers
load cluster

setup() {
	MEMBER_PIDS=()
}

# Background producers and consumers are stopped as the brokers are.
teardown() {
	stop_members
	teardown_brokers
}

# Three brokers that notice a dead one within a second.
start_three() {
	start_cluster 3 broker.session.timeout.ms=1500ms broker.heartbeat.interval.ms=200ms
	wait_cluster_alive
}

# coordinator_of GROUP [BROKERS]: the id of the group's coordinator.
coordinator_of() {
	slog-groups ${2:+-b "$2"} --timeout-ms 20000 describe "$1" --json |
		jq -r '.groups[0].coordinator.node_id // .coordinator.node_id'
}

# leader_of TOPIC ON: partition 0's leader as node ON's metadata says.
leader_of() {
	curl -sf --max-time 5 "${NODE_URL[$2]}/v1/metadata?topics=$1" |
		jq -r '.topics[0].partitions[0].leader'
}

# committed_of GROUP BROKERS: "topic partition offset" lines of the group.
committed_of() {
	slog-groups -b "$2" --timeout-ms 20000 describe "$1" --json |
		jq -r '(.groups[0] // .).partitions[] | "\(.topic) \(.partition) \(.offset)"'
}

# lines_slowly N: 1 to N, one line every 10 ms.
lines_slowly() {
	local i
	for ((i = 1; i <= $1; i++)); do
		echo "$i"
		sleep 0.01
	done
}

@test "__consumer_offsets has as many replicas as there are brokers, up to three" {
	start_three
	slog-topics create t
	echo x | slog-produce -t t
	slog-consume -t t -g g -e --timeout-ms 20000 >/dev/null
	run -0 bash -c "curl -sf '${NODE_URL[1]}/v1/metadata?topics=__consumer_offsets' |
		jq '[.topics[0].partitions[].replicas | length] | unique'"
	assert_output "[
  3
]"
}

@test "a group keeps its committed offsets when its coordinator's broker is killed" {
	start_three
	slog-topics create t -P 2 -R 3
	seq 1 10 | slog-produce -t t --acks all
	slog-consume -t t -g g -e --timeout-ms 20000 >/dev/null
	local before coord others
	before=$(committed_of g "$SLOG_BROKERS")
	coord=$(coordinator_of g)
	others=$(all_brokers "$coord")
	kill -KILL "${NODE_PID[$coord]}"
	# The survivors elect a new coordinator, which reads the group back.
	wait_for 200 bash -c "[ \"\$(coordinator_of g '$others')\" != '$coord' ]"
	run -0 committed_of g "$others"
	assert_output "$before"
}

@test "a consumer of the group resumes from its offsets after a coordinator failover" {
	start_three
	slog-topics create t -R 3
	seq 1 10 | slog-produce -t t --acks all
	slog-consume -t t -g g -e --timeout-ms 20000 >/dev/null
	local coord others
	coord=$(coordinator_of g)
	others=$(all_brokers "$coord")
	kill -KILL "${NODE_PID[$coord]}"
	seq 11 15 | slog-produce -b "$others" -t t --acks all --timeout-ms 30000
	run --separate-stderr slog-consume -b "$others" -t t -g g -e --timeout-ms 30000
	assert_success
	assert_output "$(seq 11 15)"
}

@test "slog-produce --acks all delivers every record, in order, when the partition's leader is killed" {
	start_three
	slog-topics create t -R 3
	local leader others out=$BATS_TEST_TMPDIR/produced pid rc=0
	leader=$(leader_of t 1)
	others=$(all_brokers "$leader")
	# A steady input, so that records are in flight when the leader dies.
	lines_slowly 300 | slog-produce -b "$SLOG_BROKERS,$others" -t t --acks all --linger-ms 0 \
		--timeout-ms 60000 -O >"$out" 2>"$out.err" 3>&- &
	pid=$! # slog-produce's
	MEMBER_PIDS+=("$pid")
	wait_for 200 bash -c "[ \$(wc -l <'$out') -ge 50 ]"
	kill -KILL "${NODE_PID[$leader]}"
	wait_for 1200 bash -c "! kill -0 $pid 2>/dev/null"
	wait "$pid" || rc=$?
	[ "$rc" -eq 0 ] || { cat "$out.err" >&2; false; }
	# Every record is there; a retry after a lost answer may have written
	# one twice, but never out of order.
	run -0 bash -c "slog-consume -b '$others' -t t -e --timeout-ms 30000 | awk '!seen[\$0]++'"
	assert_output "$(seq 1 300)"
}

@test "slog-groups list shows the groups of every coordinator, each once" {
	start_three
	slog-topics create t -R 3
	echo x | slog-produce -t t
	local g
	# Enough groups that every broker coordinates some.
	for g in a b c d e f g h; do
		slog-consume -t t -g "$g" -e --timeout-ms 20000 >/dev/null
	done
	for i in 1 2 3; do
		run --separate-stderr slog-groups -b "127.0.0.1:${NODE_PORT[$i]}" list
		assert_success
		assert_output "$(printf '%s\n' a b c d e f g h)"
	done
}

@test "slog-consume follows a partition to its new leader from where it was, without gap or repeat" {
	start_three
	slog-topics create t -R 3
	local leader others out=$BATS_TEST_TMPDIR/consumed
	seq 1 100 | slog-produce -t t --acks all
	leader=$(leader_of t 1)
	others=$(all_brokers "$leader")
	slog-consume -b "$SLOG_BROKERS,$others" -t t -u --timeout-ms 30000 >"$out" 2>"$out.err" 3>&- &
	MEMBER_PIDS+=("$!")
	wait_for 200 bash -c "[ \$(wc -l <'$out') -ge 100 ]"
	kill -KILL "${NODE_PID[$leader]}"
	seq 101 200 | slog-produce -b "$others" -t t --acks all --timeout-ms 30000
	wait_for 400 bash -c "[ \$(wc -l <'$out') -ge 200 ]"
	run cat "$out"
	assert_output "$(seq 1 200)"
	# A clean election loses nothing the consumer read.
	run cat "$out.err"
	refute_output --partial "truncated"
}
