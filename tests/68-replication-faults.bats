#!/usr/bin/env bats
# Replication under faults: kill -9, SIGSTOP, diverged logs, too few
# replicas.  The oracle is the history of acks=all acknowledgements
# (tests/replication.bash): every acknowledged record is read back at its
# offset with its value, and replicas hold the same bytes below the high
# watermark.

load helpers
load cluster
load replication

# Short timeouts keep the tests fast: a silent broker is fenced after 2 s,
# a follower behind for 2 s leaves the ISR, and leadership stays where the
# faults put it.
FAST=(broker.session.timeout.ms=2000 broker.heartbeat.interval.ms=250
	replica.lag.time.max.ms=2000 auto.leader.rebalance.enable=false)
# For the tests that stop replicas on purpose for a moment: long enough
# that the pause neither fences them nor drops them from the ISR.
PATIENT=(broker.session.timeout.ms=10000 broker.heartbeat.interval.ms=250
	replica.lag.time.max.ms=10000 auto.leader.rebalance.enable=false)

# cluster_up N [--observers M] SETTINGS...: start a cluster, wait until
# every broker is alive, and give clients every node to bootstrap from.
cluster_up() {
	start_cluster "$@"
	wait_cluster_alive
	SLOG_BROKERS=$(all_brokers)
	export SLOG_BROKERS
}

@test "a partition leader killed with -9 under acks=all load loses no acknowledged record" {
	cluster_up 3 "${FAST[@]}"
	slog-topics create t -P 3 -R 3 -c min.insync.replicas=2
	local c p l
	c=$(live_controller)
	p=$(led_by_other_than t "$c")
	l=$(partition_leader t "$p")
	load_start t 3000 1000
	wait_for 200 acked_at_least 300
	kill_node "$l"
	wait_for 200 leader_is_not t "$p" "$l"
	load_wait
	check_acked t "$BATS_TEST_TMPDIR/load.acked"
	load_all_acked 3000
	restart_node "$l"
	replicas_converge t 0 1 2
}

@test "three leaders killed one after another lose no acknowledged record" {
	# Each new leader is killed as soon as it leads, and each killed one
	# started again at once: followers hold records of different epochs
	# that the next leader may lack (KIP-279's fast successive elections).
	cluster_up 1 --observers 3 "${FAST[@]}"
	slog-topics create t -P 4 -R 3 -c min.insync.replicas=2
	local p l i
	p=$(partition_without t 1)
	load_start t 4000 1000 load -p "$p"
	wait_for 200 acked_at_least 300
	for i in 1 2 3; do
		l=$(partition_leader t "$p")
		kill_node "$l"
		wait_for 200 leader_is_not t "$p" "$l"
		restart_node "$l"
	done
	load_wait
	check_acked t "$BATS_TEST_TMPDIR/load.acked"
	load_all_acked 4000
	replicas_converge t "$p"
}

@test "every acknowledged record is at its offset after kill -9 of every broker at once" {
	cluster_up 3 "${FAST[@]}"
	slog-topics create t -P 3 -R 3 -c min.insync.replicas=2
	load_start t 3000 1000
	wait_for 200 acked_at_least 500
	kill -KILL "${NODE_PID[1]}" "${NODE_PID[2]}" "${NODE_PID[3]}"
	local i
	for i in 1 2 3; do
		{ wait "${NODE_PID[$i]}"; } 2>/dev/null || true
	done
	cp "$BATS_TEST_TMPDIR/load.acked" "$BATS_TEST_TMPDIR/before-crash.acked"
	for i in 3 1 2; do
		start_node "$i"
	done
	for i in 1 2 3; do
		wait_for 400 node_listening "$i"
	done
	wait_cluster_alive
	check_acked t "$BATS_TEST_TMPDIR/before-crash.acked"
	load_wait
	check_acked t "$BATS_TEST_TMPDIR/load.acked"
	load_all_acked 3000
	replicas_converge t 0 1 2
}

@test "a leader stopped past the session timeout loses nothing it acknowledged and rejoins as a follower" {
	cluster_up 3 "${FAST[@]}"
	slog-topics create t -P 3 -R 3 -c min.insync.replicas=2
	local c p l epoch
	c=$(live_controller)
	p=$(led_by_other_than t "$c")
	l=$(partition_leader t "$p")
	epoch=$(partition_field t "$p" leader_epoch)
	load_start t 4000 1000
	wait_for 200 acked_at_least 300
	kill_node "$l" STOP
	# Fenced once its session times out; another replica leads and takes
	# writes.  (The load's request in flight to the stopped leader waits
	# for it or for its timeout, as a Kafka producer's does.)
	wait_for 200 leader_is_not t "$p" "$l"
	SLOG_BROKERS=$(all_brokers "$l") produce_numbered t "$p" all during 100
	kill_node "$l" CONT
	wait_for 400 in_isr t "$p" "$l"
	run -0 partition_leader t "$p"
	[ "$output" != "$l" ]
	run -0 partition_field t "$p" leader_epoch
	[ "$output" -gt "$epoch" ]
	load_wait
	check_acked t "$BATS_TEST_TMPDIR/load.acked" "$BATS_TEST_TMPDIR/during.acked"
	load_all_acked 4000
	replicas_converge t 0 1 2
}

@test "a client whose first bootstrap broker hangs reaches the cluster through the others" {
	cluster_up 3 "${FAST[@]}"
	slog-topics create t -P 3 -R 3 -c min.insync.replicas=2
	kill_node 1 STOP
	wait_for 200 leader_is_not t 0 1
	wait_for 200 leader_is_not t 1 1
	wait_for 200 leader_is_not t 2 1
	# Node 1 accepts connections and never answers.
	run -0 --separate-stderr slog-produce -b "$(all_brokers)" -t t --acks all --timeout-ms 15000 -O <<<x
	kill_node 1 CONT
}

@test "a follower that fetched records a new leader lacks truncates them and converges" {
	# One controller that the faults never touch, three brokers for the
	# partition: A leads, B follows, C is paused while B fetches what
	# A takes with acks=1; then B and A die and C, still in the ISR, leads.
	cluster_up 1 --observers 3 "${PATIENT[@]}"
	slog-topics create t -P 4 -R 3
	local p a b c ids
	p=$(partition_without t 1)
	a=$(partition_leader t "$p")
	mapfile -t ids < <(partition_field t "$p" replicas | jq -r --argjson a "$a" '.[] | select(. != $a)')
	b=${ids[0]} c=${ids[1]}
	produce_numbered t "$p" all before 50
	wait_for 200 same_log "$a" "$c" t "$p"
	pause_followers t "$p" "$a" "$c"
	produce_numbered t "$p" 1 lost 20
	wait_for 200 same_log "$a" "$b" t "$p"
	kill_node "$b"
	wait_for 200 not_in_isr t "$p" "$b"
	kill_node "$a"
	wait_for 200 leader_is t "$p" "$c"
	kill_node "$c" CONT
	produce_numbered t "$p" all after 50
	restart_node "$a"
	restart_node "$b"
	replicas_converge t "$p"
	check_acked t "$BATS_TEST_TMPDIR/before.acked" "$BATS_TEST_TMPDIR/after.acked"
	none_read t lost
}

@test "acks=all is refused with NOT_ENOUGH_REPLICAS while two of three replicas are down" {
	# The controller (node 1) holds no replica of the partition, so that it
	# stays up to take the two brokers out of the ISR.
	cluster_up 1 --observers 3 "${FAST[@]}"
	slog-topics create t -P 4 -R 3 -c min.insync.replicas=2
	local p l ids hw
	p=$(partition_without t 1)
	l=$(partition_leader t "$p")
	mapfile -t ids < <(partition_field t "$p" replicas | jq -r --argjson l "$l" '.[] | select(. != $l)')
	run -0 slog-produce -t t -p "$p" --acks all <<<first
	kill_node "${ids[0]}"
	kill_node "${ids[1]}"
	wait_for 200 isr_is t "$p" "$l"
	hw=$(partition_hw t "$p")
	run -1 --separate-stderr slog-produce -t t -p "$p" --acks all --timeout-ms 2000 <<<refused
	assert_stderr_has NOT_ENOUGH_REPLICAS
	run -0 curl -s -w ' %{http_code}' -X POST \
		"${NODE_URL[$l]}/v1/topics/t/partitions/$p/records?acks=all" -d refused
	assert_output --partial '"code":"NOT_ENOUGH_REPLICAS"'
	[[ "$output" == *" 503" ]]
	# Refused at the check: nothing was appended.
	run -0 curl -sf "${NODE_URL[$l]}/v1/topics/t"
	[ "$(jq --argjson p "$p" '.partitions[] | select(.partition == $p) | .log_end_offset' <<<"$output")" = 1 ]
	run -0 partition_hw t "$p"
	assert_output "$hw"
	run -0 slog-consume -t t -p "$p" -e -q
	assert_output first
	# One replica back in the ISR is enough again.
	restart_node "${ids[0]}"
	wait_for 400 in_isr t "$p" "${ids[0]}"
	run -0 slog-produce -t t -p "$p" --acks all -O <<<accepted
	assert_output "$p 1"
}

@test "a deposed leader's records that no follower fetched are truncated when it returns" {
	# One controller that the faults never touch; A leads the partition.
	# With B and C paused, A takes records with acks=1 and dies; B or C
	# leads and takes new records; A comes back and must drop its own.
	cluster_up 1 --observers 3 "${PATIENT[@]}"
	slog-topics create t -P 4 -R 3
	local p a ids
	p=$(partition_without t 1)
	a=$(partition_leader t "$p")
	mapfile -t ids < <(partition_field t "$p" replicas | jq -r --argjson a "$a" '.[] | select(. != $a)')
	produce_numbered t "$p" all before 50
	wait_for 200 same_log "$a" "${ids[0]}" t "$p"
	wait_for 200 same_log "$a" "${ids[1]}" t "$p"
	pause_followers t "$p" "$a" "${ids[@]}"
	produce_numbered t "$p" 1 stale 20
	kill_node "$a"
	kill_node "${ids[0]}" CONT
	kill_node "${ids[1]}" CONT
	wait_for 200 leader_is_not t "$p" "$a"
	produce_numbered t "$p" all after 50
	restart_node "$a"
	replicas_converge t "$p"
	check_acked t "$BATS_TEST_TMPDIR/before.acked" "$BATS_TEST_TMPDIR/after.acked"
	none_read t stale
	run -0 grep -c '' "$BATS_TEST_TMPDIR/stale.acked"
	assert_output 20
}

@test "a partition whose last in-sync replica died is led by an eligible replica that returns, with nothing acknowledged lost" {
	# KIP-966's last replica standing: B dies (the ISR keeps two), C dies
	# (the ISR falls below min.insync.replicas: C becomes eligible, the
	# high watermark stops), then A, the last in-sync replica.  C, back
	# first, holds everything acknowledged and may lead.
	cluster_up 1 --observers 3 "${FAST[@]}"
	slog-topics create t -P 4 -R 3 -c min.insync.replicas=2
	local p a b c ids
	p=$(partition_without t 1)
	a=$(partition_leader t "$p")
	mapfile -t ids < <(partition_field t "$p" replicas | jq -r --argjson a "$a" '.[] | select(. != $a)')
	b=${ids[0]} c=${ids[1]}
	load_start t 2000 1000 load -p "$p"
	wait_for 200 acked_at_least 300
	kill_node "$b"
	wait_for 200 not_in_isr t "$p" "$b"
	kill_node "$c"
	wait_for 200 isr_is t "$p" "$a"
	run -0 partition_field t "$p" elr
	assert_output "[$c]"
	kill_node "$a"
	restart_node "$c"
	wait_for 400 leader_is t "$p" "$c"
	restart_node "$a"
	restart_node "$b"
	load_wait
	check_acked t "$BATS_TEST_TMPDIR/load.acked"
	load_all_acked 2000
	replicas_converge t "$p"
}

# moved_to TOPIC P IDS: the move of TOPIC-P to IDS (a JSON array) is over.
moved_to() {
	partition_field "$1" "$2" "replicas == $3 and (.adding // []) == [] and (.removing // []) == []" |
		grep -qx true
}

@test "a partition moved to another broker under acks=all load loses no acknowledged record" {
	cluster_up 1 --observers 3 "${FAST[@]}"
	slog-topics create t -P 1 -R 3 -c min.insync.replicas=2
	local l spare target
	l=$(partition_leader t 0)
	spare=$(partition_field t 0 replicas | jq -r '[1,2,3,4] - . | .[0]')
	# The leader leaves: the move must hand over leadership as well.
	target=$(partition_field t 0 replicas | jq -c --argjson l "$l" --argjson s "$spare" \
		'[$s] + (. - [$l])')
	load_start t 3000 1000
	wait_for 200 acked_at_least 300
	run -0 --separate-stderr slog-topics alter t --replicas "0=$(jq -r 'join(",")' <<<"$target")"
	wait_for 400 moved_to t 0 "$target"
	load_wait
	check_acked t "$BATS_TEST_TMPDIR/load.acked"
	load_all_acked 3000
	replicas_converge t 0
}
