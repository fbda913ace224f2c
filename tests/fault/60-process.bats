#!/usr/bin/env bats
# Process faults on a replicated cluster (tests/fault/nemesis.bash): a
# follower frozen past the lag time, wall-clock jumps on the leader and the
# controller, rolling restarts of a cluster with many partitions, and
# min.insync.replicas changed under load.  The oracle is the history of
# acks=all acknowledgements (tests/replication.bash): every acknowledged
# record is read back at its offset with its value, and the replicas hold
# the same bytes below the high watermark.

load fault
load ../cluster
load ../replication
load nemesis

teardown() {
	stop_members
	nemesis_clock_teardown
	teardown_brokers
	no_sanitizer_reports
}

# cluster_up N SETTINGS...: start a cluster, wait until every broker is
# alive, and give clients every node to bootstrap from.
cluster_up() {
	start_cluster "$@"
	wait_cluster_alive
	SLOG_BROKERS=$(all_brokers)
	export SLOG_BROKERS
}

# bystander LEADER CONTROLLER: a node that is neither.
bystander() {
	local i
	for i in 3 2 1; do
		[ "$i" != "$1" ] && [ "$i" != "$2" ] && echo "$i" && return 0
	done
	return 1
}

# epochs TOPIC: every partition's "partition:leader:leader_epoch", one line.
epochs() {
	topic_json "$1" | jq -r '[.partitions[] | "\(.partition):\(.leader):\(.leader_epoch)"] | join(" ")'
}

# stamp_near TOPIC P SECONDS: partition P's leader stamps records within a
# minute of the true time plus SECONDS (for wait_for: the jump has taken).
stamp_near() {
	local s want
	s=$(nemesis_stamp "$1" "$2") || return 1
	want=$(($(date +%s) + $3))
	[ "$s" -gt $((want - 60)) ] && [ "$s" -lt $((want + 60)) ]
}

# led_by TOPIC ID: a partition of TOPIC that node ID leads.
led_by() {
	topic_json "$1" | jq -er --argjson id "$2" '[.partitions[] | select(.leader == $id)][0].partition'
}

# offline_partitions ID: node ID's slog_offline_partitions gauge.
offline_partitions() {
	curl -sf --max-time 2 "${NODE_URL[$1]}/metrics" | awk '$1 == "slog_offline_partitions" { print $2 }'
}

# min_isr_is ID TOPIC N: node ID's metadata has TOPIC's min.insync.replicas at N.
min_isr_is() {
	curl -sf --max-time 2 "${NODE_URL[$1]}/v1/topics/$2/configs" |
		jq -e --arg n "$3" '.configs[] | select(.name == "min.insync.replicas") | .value == $n' >/dev/null
}

# produce_answer ID TOPIC P VALUE: send VALUE with acks=all to node ID
# over HTTP; print "ok" or the error code it answers.
produce_answer() {
	curl -s --max-time 30 -H 'Content-Type: text/plain' --data-binary "$4" \
		"${NODE_URL[$1]}/v1/topics/$2/partitions/$3/records?acks=all" |
		jq -r 'if .error then .error.code else "ok" end'
}

@test "a follower frozen past the lag time leaves the ISR through the controller, then catches up and rejoins" {
	# Fenced only after half a minute: its leader's ISR change, which the
	# controller commits, is what must take it out.
	cluster_up 3 replica.lag.time.max.ms=1000 broker.session.timeout.ms=30000 \
		broker.heartbeat.interval.ms=250 auto.leader.rebalance.enable=false
	slog-topics create t -P 1 -R 3 -c min.insync.replicas=2
	local l f n
	l=$(partition_leader t 0)
	f=$(bystander "$l" "$(live_controller)")
	load_start t 5000 1000
	wait_for 200 acked_at_least 300
	nemesis_pause "$f"
	wait_for 200 not_in_isr t 0 "$f" || {
		nemesis_resume "$f"
		topic_json t >&2
		false
	}
	# The controller's metadata shows it first; the leader logs the
	# change when the controller's answer reaches it.
	run -0 wait_for 100 grep -qE "partition t-0: the controller took ISR \\[[0-9,]+\\]" \
		"$BATS_TEST_TMPDIR/node$l/broker.log"
	# Two of three in sync: acks=all goes on without it.
	n=$(acked_count)
	wait_for 200 acked_at_least $((n + 500))
	nemesis_resume "$f"
	wait_for 400 in_isr t 0 "$f"
	load_wait
	check_acked t "$BATS_TEST_TMPDIR/load.acked"
	load_all_acked 5000
	replicas_converge t 0
}

@test "wall-clock jumps of an hour on the leader and the controller elect nobody, fence nobody and lose nothing" {
	nemesis_clock_setup || skip "no libfaketime"
	cluster_up 3 broker.session.timeout.ms=2000 broker.heartbeat.interval.ms=250 \
		replica.lag.time.max.ms=2000 auto.leader.rebalance.enable=false
	# A producer's clock an hour ahead of the broker's is refused by the
	# default message.timestamp.after.max.ms: that refusal is not this
	# test's question.
	slog-topics create t -P 3 -R 3 -c min.insync.replicas=2 -c message.timestamp.after.max.ms=-1
	wait_for 400 nemesis_in_sync
	local c l p pc before i n skip=()
	c=$(live_controller)
	p=$(led_by_other_than t "$c")
	l=$(partition_leader t "$p")
	pc=$(led_by t "$c")
	before=$(epochs t)
	load_start t 100000 500
	wait_for 200 acked_at_least 300
	for i in 1 2 3; do
		skip[i]=$(count_lines "$BATS_TEST_TMPDIR/node$i/broker.log")
	done
	for i in 3600 -3600; do
		nemesis_clock "$l" "$i"
		nemesis_clock "$c" $((-i))
		wait_for 100 stamp_near t "$p" "$i"
		wait_for 100 stamp_near t "$pc" $((-i))
		# Several session timeouts and lag times under the jumped clocks.
		n=$(acked_count)
		wait_for 300 acked_at_least $((n + 1500))
	done
	nemesis_clock "$l" 0
	nemesis_clock "$c" 0
	wait_for 100 stamp_near t "$p" 0
	kill "$LOAD_PID" 2>/dev/null || true
	load_wait
	check_acked t "$BATS_TEST_TMPDIR/load.acked"
	# No broker was fenced, no leader changed, no ISR shrank.
	run -0 epochs t
	assert_output "$before"
	run -0 live_controller
	assert_output "$c"
	run -0 nemesis_in_sync
	for i in 1 2 3; do
		run -1 grep -E 'fenced|took ISR|is the controller' \
			<(tail -n +$((skip[i] + 1)) "$BATS_TEST_TMPDIR/node$i/broker.log")
	done
	replicas_converge t 0 1 2
}

@test "two rolling restarts of a cluster with many partitions leave none offline or out of sync" {
	cluster_up 3 broker.session.timeout.ms=2000 broker.heartbeat.interval.ms=250 \
		replica.lag.time.max.ms=2000
	slog-topics create t -P 12 -R 3 -c min.insync.replicas=2
	wait_for 600 nemesis_in_sync
	load_start t 100000 500
	wait_for 200 acked_at_least 200
	nemesis_rolling_restart
	nemesis_rolling_restart
	kill "$LOAD_PID" 2>/dev/null || true
	load_wait
	local i
	for i in 1 2 3; do
		run -0 offline_partitions "$i"
		assert_output 0
	done
	run -0 nemesis_in_sync
	check_acked t "$BATS_TEST_TMPDIR/load.acked"
	[ "$(acked_count)" -gt 1000 ]
}

@test "min.insync.replicas raised to 3 and lowered to 2 under load governs both the append and the acknowledgement" {
	# The follower frozen below stays registered: only its leader's ISR
	# change takes it out.
	cluster_up 3 replica.lag.time.max.ms=1500 broker.session.timeout.ms=30000 \
		broker.heartbeat.interval.ms=250 auto.leader.rebalance.enable=false
	slog-topics create t -P 1 -R 3 -c min.insync.replicas=2
	local l f
	l=$(partition_leader t 0)
	f=$(bystander "$l" "$(live_controller)")
	load_start t 100000 200
	wait_for 200 acked_at_least 100
	run -0 slog-topics alter t -c min.insync.replicas=3
	run -0 wait_for 200 min_isr_is "$l" t 3
	run -0 produce_answer "$l" t 0 "three in sync"
	assert_output ok
	# Appended while three were in sync; the third stops before it has
	# it, the ISR shrinks to two: the high watermark stands still and the
	# acknowledgement waits.
	nemesis_pause "$f"
	produce_answer "$l" t 0 "after the pause" >"$BATS_TEST_TMPDIR/pending" &
	MEMBER_PIDS+=("$!")
	wait_for 200 not_in_isr t 0 "$f"
	# Two in sync, three wanted: the append's check refuses.
	run -0 produce_answer "$l" t 0 "below the minimum"
	assert_output NOT_ENOUGH_REPLICAS
	run -0 cat "$BATS_TEST_TMPDIR/pending"
	assert_output ""
	# Two are enough again: the waiting record commits and is acknowledged.
	run -0 slog-topics alter t -c min.insync.replicas=2
	run -0 wait_for 200 min_isr_is "$l" t 2
	run -0 wait_for 200 grep -qx ok "$BATS_TEST_TMPDIR/pending"
	run -0 produce_answer "$l" t 0 "two are enough again"
	assert_output ok
	nemesis_resume "$f"
	wait_for 400 in_isr t 0 "$f"
	kill "$LOAD_PID" 2>/dev/null || true
	load_wait || true
	check_acked t "$BATS_TEST_TMPDIR/load.acked"
	replicas_converge t 0
}
