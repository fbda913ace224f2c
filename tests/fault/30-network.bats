#!/usr/bin/env bats
# Network faults under acks=all load: brokers in network namespaces
# (tests/fault/netns.bash) with links cut by nftables, one way or both,
# flapping or losing packets at random, and links slowed or stalled by a
# proxy.  The oracle is the history of acks=all acknowledgements
# (tests/replication.bash): every acknowledged record is read back at
# its offset with its value, and the replicas converge to the same bytes
# below the high watermark once the network heals; the flapping link runs
# the recorded workload and its history check (tests/fault/history.bash)
# as well.  Needs root but for the proxy's tests, which run on loopback.

load fault
load ../cluster
load ../replication
load netns
load history

# Short timeouts keep each scenario to seconds: a silent broker is fenced
# after 1.5 s, a follower behind for 1 s leaves the ISR, and leadership
# stays where the faults put it.
FAST=(broker.session.timeout.ms=1500 broker.heartbeat.interval.ms=200
	replica.lag.time.max.ms=1000 auto.leader.rebalance.enable=false)

teardown() {
	workload_stop
	stop_members
	teardown_brokers
	netns_teardown
	no_sanitizer_reports
}

# net_cluster N [--observers M] SETTINGS...: N+M namespaces and a
# cluster in them, every broker alive, clients bootstrapping from all.
net_cluster() {
	local nodes=$1
	[ "${2:-}" = --observers ] && nodes=$((nodes + $3))
	netns_setup "$nodes"
	cluster_up "$@"
	local i
	for ((i = 1; i <= nodes; i++)); do
		netns_node_pid_is_broker "$i"
	done
}

# cluster_up N [--observers M] SETTINGS...: start a cluster, wait until
# every broker is alive, and give clients every node to bootstrap from.
cluster_up() {
	start_cluster "$@"
	wait_cluster_alive
	SLOG_BROKERS=$(all_brokers)
	export SLOG_BROKERS
}

# own_view ID TOPIC: node ID's own metadata of TOPIC's partitions:
# leader, leader epoch and ISR of each, one line.
own_view() {
	curl -sf --max-time 1 "${NODE_URL[$1]}/v1/topics/$2" |
		jq -ce '[.partitions[] | [.partition, .leader, .leader_epoch, (.isr | sort)]]'
}

# views TOPIC: every node's own view, one line each.
views() {
	local i
	for ((i = 1; i <= CLUSTER_SIZE; i++)); do
		echo "$i $(own_view "$i" "$1")"
	done
}

# views_agree TOPIC: every node answers and tells the same view of TOPIC
# (the metadata converged; for wait_for).
views_agree() {
	local i first view
	first=$(own_view 1 "$1") || return 1
	for ((i = 2; i <= CLUSTER_SIZE; i++)); do
		view=$(own_view "$i" "$1") || return 1
		[ "$view" = "$first" ] || return 1
	done
}

# unchanged_for SECONDS CMD...: CMD prints the same thing every 0.2 s
# for SECONDS; on a change, says what changed and fails.
unchanged_for() {
	local end first now
	end=$(($(date +%s%N) + $(awk -v s="$1" 'BEGIN { printf "%d", s * 1e9 }')))
	shift
	first=$("$@")
	while [ "$(date +%s%N)" -lt "$end" ]; do
		sleep 0.2
		now=$("$@")
		if [ "$now" != "$first" ]; then
			printf '%s changed from\n%s\nto\n%s\n' "$*" "$first" "$now" >&2
			return 1
		fi
	done
}

# controller_moved ID C: node ID names a controller, and not C.
controller_moved() {
	local id
	id=$(curl -sf --max-time 1 "${NODE_URL[$1]}/v1/cluster" | jq -er '.controller.id // empty') &&
		[ "$id" != "$2" ]
}

# own_hw ID TOPIC P: the high watermark node ID answers for TOPIC-P
# (asked directly, whether or not it still leads).
own_hw() {
	curl -sf --max-time 1 "${NODE_URL[$1]}/v1/topics/$2/partitions/$3/offsets?at=latest" | jq -er .offset
}

# acked_grows_by N: the load gets N more acknowledgements (within 20 s).
acked_grows_by() {
	local want=$(($(acked_count) + $1))
	wait_for 400 acked_at_least "$want"
}

# finish TOPIC "P..." [ACKED-FILE]...: heal; once acknowledgements
# come again, stop the load (its records in flight are answered first)
# and check every acknowledgement; wait until the replicas of
# partitions P... converge.
finish() {
	local topic=$1 partitions=$2
	shift 2
	net_heal
	acked_grows_by 100
	kill -TERM "$LOAD_PID"
	load_wait
	check_acked "$topic" "$BATS_TEST_TMPDIR/load.acked" "$@"
	# shellcheck disable=SC2086 # a list of partitions
	replicas_converge "$topic" $partitions
}

# load_begin RATE [NAME [PRODUCE-OPTION]...]: load_start on topic t, a
# load that runs until finish stops it; waits until the first 100
# records are acknowledged.
load_begin() {
	load_start t 1000000 "$@"
	wait_for 200 acked_at_least 100
}

# trio_cluster: three voters and topic t (RF=3, min.insync.replicas=2);
# C is the controller, P a partition led by L, not the controller, and F
# the follower of P that is not the controller either.
trio_cluster() {
	net_cluster 3 "${FAST[@]}"
	slog-topics create t -P 3 -R 3 -c min.insync.replicas=2
	C=$(live_controller)
	P=$(led_by_other_than t "$C")
	L=$(partition_leader t "$P")
	F=$((6 - C - L))
}

# apart_cluster: the controller (node 1) alone, three brokers 2-4, topic
# t (RF=3, min.insync.replicas=2); P a partition none of whose replicas
# is the controller, L its leader.
apart_cluster() {
	net_cluster 1 --observers 3 "${FAST[@]}"
	slog-topics create t -P 4 -R 3 -c min.insync.replicas=2
	P=$(partition_without t 1)
	L=$(partition_leader t "$P")
}

# hw_moved N: the watermarks sampled into $BATS_TEST_TMPDIR/hw took N
# values or more.
hw_moved() {
	[ "$(sort -u "$BATS_TEST_TMPDIR/hw" 2>/dev/null | wc -l)" -ge "$1" ]
}

# never_back FILE: the numbers of FILE, one a line, never go down.
never_back() {
	awk 'NR > 1 && $1 < last { print "high watermark " last " then " $1; bad = 1 }
		{ last = $1 } END { exit bad }' "$1"
}

# served_since_kept SERVED HW [FINAL]: every record of SERVED
# (slog-consume -J lines) is below HW and at its offset with its value
# in FINAL (default: what the last check_acked of t read).
served_since_kept() {
	python3 - "$1" "${3:-$BATS_TEST_TMPDIR/check-t.ndjson}" "$2" <<'EOF'
import json, sys
served, final_file, hw = sys.argv[1], sys.argv[2], int(sys.argv[3])
final = {}
for line in open(final_file):
    r = json.loads(line)
    final[(r["partition"], r["offset"])] = r["value"]
bad = []
for line in open(served):
    r = json.loads(line)
    key = (r["partition"], r["offset"])
    if r["offset"] >= hw or final.get(key) != r["value"]:
        bad.append("served %r at %d/%d (high watermark %d); the log holds %r"
                   % (r["value"], key[0], key[1], hw, final.get(key)))
print("\n".join(bad[:10]), file=sys.stderr)
sys.exit(1 if bad else 0)
EOF
}

# ---- the tools themselves --------------------------------------------------------

# probe FILE CMD...: touch FILE unless CMD timed out (status 124).
probe() {
	local file=$1 rc=0
	shift
	"$@" 2>/dev/null || rc=$?
	[ "$rc" = 124 ] || touch "$file"
}

# links N: "A>B" for each node A in 0..N (0: the root namespace) and B in
# 1..N that A reaches: a TCP connection from A to B's port 7000, where
# nothing listens, is refused within a second (B's reset came back)
# rather than left unanswered.  The probes run side by side.
links() {
	local a b cmd dir=$BATS_TEST_TMPDIR/links out=""
	rm -rf "$dir"
	mkdir "$dir"
	for ((a = 0; a <= $1; a++)); do
		for ((b = 1; b <= $1; b++)); do
			[ "$a" = "$b" ] && continue
			cmd=()
			[ "$a" = 0 ] || cmd=(ip netns exec "$(netns_name "$a")")
			probe "$dir/$a>$b" "${cmd[@]}" timeout 1 bash -c "exec 4<>/dev/tcp/$(netns_addr "$b")/7000" 3>&- &
		done
	done
	wait
	for ((a = 0; a <= $1; a++)); do
		for ((b = 1; b <= $1; b++)); do
			[ -e "$dir/$a>$b" ] && out+="$a>$b "
		done
	done
	echo "${out% }"
}

# cut_set_has ID FROM: node ID's table drops what node FROM sends it.
cut_set_has() {
	net_nft "$1" list set inet "$NETNS_TABLE" cut_from | grep -qwF "$(netns_addr "$2")"
}
cut_set_lacks() {
	! cut_set_has "$1" "$2"
}

@test "the network faults cut exactly the links they name, and a heal restores them all" {
	netns_setup 3
	local all="0>1 0>2 0>3 1>2 1>3 2>1 2>3 3>1 3>2"
	net_partition 1 "2 3"
	run -0 links 3
	assert_output "0>1 0>2 0>3 2>3 3>2"
	net_isolate 3
	run -0 links 3
	assert_output "0>1 0>2"
	net_heal
	run -0 links 3
	assert_output "$all"
	net_isolate 2 --keep-clients
	run -0 links 3
	assert_output "0>1 0>2 0>3 1>3 3>1"
	net_heal
	# A flap comes and goes; the heal stops it.
	net_flap 1 2 300
	wait_for 40 cut_set_has 1 2
	wait_for 40 cut_set_lacks 1 2
	net_heal
	run -0 links 3
	assert_output "$all"
}

@test "the deposed leader's reads are checked: a value the log does not hold, or an offset at or past its watermark, fails" {
	local d=$BATS_TEST_TMPDIR
	printf '%s\n' '{"partition":0,"offset":0,"value":"a"}' '{"partition":0,"offset":1,"value":"b"}' >"$d/final"
	printf '%s\n' '{"partition":0,"offset":0,"value":"a"}' >"$d/served"
	run -0 served_since_kept "$d/served" 1 "$d/final"
	printf '%s\n' '{"partition":0,"offset":1,"value":"x"}' >"$d/served"
	run -1 served_since_kept "$d/served" 2 "$d/final"
	[[ "$output" == *"served 'x' at 0/1"* ]]
	printf '%s\n' '{"partition":0,"offset":1,"value":"b"}' >"$d/served"
	run -1 served_since_kept "$d/served" 1 "$d/final"
	printf '%s\n' 3 5 5 9 >"$d/hw"
	run -0 never_back "$d/hw"
	printf '%s\n' 3 5 4 9 >"$d/hw"
	run -1 never_back "$d/hw"
	[ "$output" = "high watermark 5 then 4" ]
}

@test "a leader cut from the controller alone loses no acknowledged record and serves nothing that later changes" {
	# Scenario 5: its clients and followers still reach it.
	apart_cluster
	local others hw
	load_begin 200 load -p "$P"
	net_cut "$L" 1
	wait_for 200 leader_is_not t "$P" "$L"
	others=$(all_brokers "$L")
	SLOG_BROKERS=$others produce_numbered t "$P" all during 100
	# Deposed but not told: its followers have left it, so its high
	# watermark stands still while the new leader takes writes.
	hw=$(own_hw "$L" t "$P")
	SLOG_BROKERS=$others produce_numbered t "$P" all after 100
	run -0 own_hw "$L" t "$P"
	[ "$output" = "$hw" ]
	SLOG_BROKERS=$(node_host "$L"):${NODE_PORT[$L]} \
		slog-consume -t t -p "$P" -e -J -q --timeout-ms 5000 >"$BATS_TEST_TMPDIR/deposed.ndjson"
	[ -s "$BATS_TEST_TMPDIR/deposed.ndjson" ]
	finish t "$P" "$BATS_TEST_TMPDIR/during.acked" "$BATS_TEST_TMPDIR/after.acked"
	served_since_kept "$BATS_TEST_TMPDIR/deposed.ndjson" "$hw"
}

@test "a leader and one follower cut from the controller and the third replica acknowledge nothing until healed, and lose nothing" {
	# Scenario 6, min.insync.replicas=2: the controller's side has one
	# replica (too few to acknowledge); the other side cannot shrink its
	# ISR without the controller.
	apart_cluster
	local f1 f2
	read -r f1 f2 < <(partition_field t "$P" replicas |
		jq -r --argjson l "$L" '[.[] | select(. != $l)] | join(" ")')
	load_begin 200 load -p "$P"
	net_partition "$L $f1" "1 $f2"
	wait_for 200 state_is 1 "$L" fenced
	wait_for 200 state_is 1 "$f1" fenced
	run -0 unchanged_for 1.5 acked_count
	finish t "$P"
}

@test "the controller cut away while ISRs change loses no change: every node ends on the same ISRs and epochs" {
	# Scenario 16: node 4 (a broker only) is isolated, so the leaders of
	# its partitions shrink their ISRs and the controller fences it; the
	# controller itself is cut away among those changes, and a new one
	# takes over from the two other voters.
	net_cluster 3 --observers 1 "${FAST[@]}"
	slog-topics create t -P 2 -R 3 -c min.insync.replicas=2
	local c
	c=$(live_controller)
	load_begin 200
	net_isolate 4 --keep-clients
	# Any moment is a valid run; this one falls among the leaders' shrink
	# requests (after replica.lag.time.max.ms) and before the fence.
	sleep 1.1
	net_isolate "$c" --keep-clients
	wait_for 200 controller_moved $((c % 3 + 1)) "$c"
	finish t "0 1"
	wait_for 400 views_agree t || {
		views t >&2
		false
	}
}

@test "a metadata quorum without a majority moves no leader and no ISR, and acks=all waits until it heals" {
	# Scenario 17: each voter alone; clients still reach all.  Every
	# partition would need its ISR shrunk to go on, which needs the
	# quorum, so nothing is acknowledged and nothing moves.
	net_cluster 3 "${FAST[@]}"
	slog-topics create t -P 1 -R 3 -c min.insync.replicas=2
	load_begin 200
	views t >"$BATS_TEST_TMPDIR/before"
	net_partition 1 2 3
	# Answers already on their way may arrive; then nothing more, past
	# the session and lag timeouts.
	sleep 0.5
	run -0 unchanged_for 2.5 acked_count
	views t >"$BATS_TEST_TMPDIR/during"
	run -0 diff "$BATS_TEST_TMPDIR/before" "$BATS_TEST_TMPDIR/during"
	finish t 0
}

@test "a link between leader and follower flapping every second never moves the high watermark back" {
	# Scenario 28: the leader keeps the controller; the follower drops
	# out of the ISR and back in as the link comes and goes.  The whole
	# recorded workload runs (producers over the CLI and HTTP, readers, a
	# committing group), and its history is checked.
	trio_cluster
	local h=$BATS_TEST_TMPDIR/history end n
	workload_start "$h" t --rate 150
	wait_for 400 workload_acked_at_least "$h" 50
	net_flap "$L" "$F" 1000
	# Sample the leader's watermark for 4 s of flapping, and on until it
	# was seen to move three times (20 s at most).
	end=$(($(date +%s) + 4))
	while [ "$(date +%s)" -lt "$end" ] || { ! hw_moved 3 && [ "$(date +%s)" -lt $((end + 16)) ]; }; do
		own_hw "$L" t "$P" >>"$BATS_TEST_TMPDIR/hw" || true
		sleep 0.05
	done
	run -0 never_back "$BATS_TEST_TMPDIR/hw"
	hw_moved 3
	net_heal
	n=$(workload_acked "$h")
	wait_for 400 workload_acked_at_least "$h" $((n + 50))
	workload_stop
	history_check "$h" t
}

@test "a follower whose answers from the leader are lost one way leaves the ISR while acks=all goes on" {
	trio_cluster
	load_begin 200 load -p "$P"
	net_cut_oneway "$L" "$F"
	wait_for 200 not_in_isr t "$P" "$F"
	acked_grows_by 100
	finish t "$P"
}

@test "a node that alone reaches both halves keeps the controller and a leader, and loses nothing" {
	# A bridge: the controller C and the leader L of partition P no longer
	# reach each other; F reaches both.  The quorum keeps C (the cut-off
	# voter's elections are pre-votes that F, hearing C, refuses), L is
	# fenced and P gets a new leader that takes writes.  L itself, still
	# reached by the load, holds its acks=all requests until it hears of
	# its deposition: the load's acknowledgements go on after the heal.
	trio_cluster
	load_begin 200 load -p "$P"
	net_cut "$C" "$L"
	wait_for 200 leader_is_not t "$P" "$L"
	SLOG_BROKERS=$(all_brokers "$L") produce_numbered t "$P" all during 100
	run -0 curl -sf --max-time 2 "${NODE_URL[$F]}/v1/cluster"
	[ "$(jq -r .controller.id <<<"$output")" = "$C" ]
	finish t "$P" "$BATS_TEST_TMPDIR/during.acked"
}

@test "random loss of a fifth of all packets slows acks=all but loses nothing" {
	net_cluster 3 "${FAST[@]}"
	slog-topics create t -P 1 -R 3 -c min.insync.replicas=2
	load_begin 200
	net_loss 20
	acked_grows_by 100
	finish t 0
}

# ---- links slowed and stalled by the proxy: these run on loopback, without root ----

# proxy_cluster: three nodes on loopback, each reached by clients and
# peers through its own proxy (nodeI), topic t; sets L, the leader of
# partition P, which is not the controller (whose stall would fence
# everyone, a different test).  A follower's fetch answers come every
# replica.fetch.wait.max.ms (500 ms) plus twice the proxy's delay, so
# the lag time here is longer than FAST's.
proxy_cluster() {
	local i
	for i in 1 2 3; do
		proxy_front_node "$i"
	done
	cluster_up 3 broker.session.timeout.ms=1500 broker.heartbeat.interval.ms=200 \
		replica.lag.time.max.ms=2500 auto.leader.rebalance.enable=false
	slog-topics create t -P 3 -R 3 -c min.insync.replicas=2
	P=$(led_by_other_than t "$(live_controller)")
	L=$(partition_leader t "$P")
}

@test "links to the leader stalled past the lag time lose no acknowledged record, and the followers rejoin after" {
	proxy_cluster
	load_begin 200 load -p "$P"
	proxy_ctl "node$L" stall on
	# Its followers cannot fetch: it drops them from the ISR (and, short
	# of min.insync.replicas, could acknowledge nothing even if its
	# clients reached it).
	wait_for 200 isr_is t "$P" "$L"
	proxy_ctl "node$L" stall off
	finish t "$P"
}

@test "a delay of 300 ms on every link to the leader slows acknowledgements and moves no replica out of the ISR" {
	proxy_cluster
	load_begin 200 load -p "$P"
	proxy_ctl "node$L" delay 300
	run -0 curl -s -o "$BATS_TEST_TMPDIR/answer" -w '%{time_total}' -X POST -H 'Content-Type: text/plain' --data-binary delayed \
		"http://127.0.0.1:${PROXY_PORT[node$L]}/v1/topics/t/partitions/$P/records?acks=all"
	# The request and its answer each waited in the proxy.
	awk -v t="$output" 'BEGIN { exit !(t >= 0.6) }'
	jq -e '.base_offset >= 0' "$BATS_TEST_TMPDIR/answer"
	run -0 unchanged_for 2 partition_field t "$P" isr
	acked_grows_by 100
	proxy_ctl "node$L" delay 0
	finish t "$P"
}
