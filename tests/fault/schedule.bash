# tests/fault/schedule.bash: a schedule of random faults under a workload
# that records its history, then the check of that history.  Load after
# helpers, cluster, replication, history, nemesis, netns and lossyfs.
#
# schedule_run SEED DURATION starts a 3-node cluster (replication factor
# 3, min.insync.replicas=2), the workload of history.bash, and until
# DURATION seconds have passed applies faults drawn at random, each held a
# few seconds and then healed.  The kinds are process (kill -9, SIGSTOP,
# rolling restart: nemesis.bash), clock (libfaketime), network (nftables
# between namespaces: netns.bash) and disk (power cut and failing fsync on
# lossyfs: lossyfs.bash).  The first round draws one fault of every kind
# this machine can make, in a random order, so even a short schedule
# makes each once; a kind it cannot make is named with the reason.  Then
# every fault is healed, the cluster must converge, history_check judges
# the history, and the figures table is printed.
#
# RANDOM, seeded with SEED, draws every choice: the same seed draws the
# same faults on the same nodes in the same order again (what the cluster
# does meanwhile is timing, and differs).  A fault's targets are named by
# role (a partition's leader, the controller), looked up as it starts.

SCHEDULE_KINDS=()
SCHEDULE_SETTINGS=(broker.session.timeout.ms=3000 broker.heartbeat.interval.ms=250
	replica.lag.time.max.ms=3000 controlled.shutdown.timeout.ms=5000)

# schedule_say TEXT...: a line of progress where the user sees it (bats's
# fd 3), with the seconds since the schedule started.
schedule_say() {
	printf '# [%4d s] %s\n' "$((SECONDS - SCHEDULE_T0))" "$*" >&3
}

# schedule_kinds: which kinds of fault this machine can make; says why
# for each it cannot.  Sets SCHEDULE_KINDS; must run before start_cluster
# (the network and the disk are set up for the nodes).
schedule_kinds() {
	SCHEDULE_KINDS=(process)
	if nemesis_clock_lib_ok; then
		SCHEDULE_KINDS+=(clock)
	fi
	if schedule_can network; then
		netns_setup 3
		# shellcheck disable=SC2034 # netns.bash notes its faults there
		NET_HISTORY=$SCHEDULE_H
		SCHEDULE_KINDS+=(network)
	fi
	if schedule_can disk; then
		lossyfs_sweep
		power_node_dirs 1 2 3
		SCHEDULE_KINDS+=(disk)
	fi
	if [[ " ${SCHEDULE_KINDS[*]} " == *" clock "* ]]; then
		nemesis_clock_setup
	fi
}

# nemesis_clock_lib_ok: libfaketime is there; says so when not.
nemesis_clock_lib_ok() {
	nemesis_faketime_lib >/dev/null && return 0
	schedule_say "skipping clock faults: libfaketime is not installed (Debian package faketime)"
	return 1
}

# schedule_can network|disk: the tools for that kind are here and this
# is root; says why not otherwise.
schedule_can() {
	local why="" t
	[ "$(id -u)" = 0 ] || why="needs root"
	case $1 in
	network)
		for t in ip nft flock; do
			command -v "$t" >/dev/null || why=${why:-"needs $t"}
		done
		;;
	disk)
		command -v fusermount3 >/dev/null || why=${why:-"needs fusermount3 (fuse3)"}
		[ -c /dev/fuse ] || why=${why:-"needs /dev/fuse"}
		[ -x "$SLOG_LOSSYFS" ] || why=${why:-"needs $SLOG_LOSSYFS (built where libfuse3-dev is)"}
		;;
	esac
	[ -z "$why" ] && return 0
	schedule_say "skipping $1 faults: $why"
	return 1
}

# Every draw of RANDOM happens in this shell, never in a $(...) subshell
# (bash reseeds RANDOM there), and as many draws are made whatever the
# cluster answers, so a seed replays the same sequence.  The draws set
# HOLD, NODE and IDS.

# schedule_hold: HOLD, how long a fault lasts, in seconds.
schedule_hold() {
	HOLD=$((1 + RANDOM % SCHEDULE_HOLD_MAX))
}

# schedule_placed: each node runs where its faults can reach it: in its
# namespace when there are network faults (else they would cut nothing).
schedule_placed() {
	local i
	[ -n "${NETNS_SLOT:-}" ] || return 0
	for ((i = 1; i <= CLUSTER_SIZE; i++)); do
		netns_node_pid_is_broker "$i" || {
			echo "node $i is not in its namespace: network faults would cut nothing" >&2
			return 1
		}
	done
}

# schedule_node: NODE, a node by role: the leader of a random partition of
# the workload's topic, the controller, or any; the last when the others
# cannot be asked (a fault may have left none).
schedule_node() {
	local role=$((RANDOM % 3)) p=$((RANDOM % 3)) any=$((RANDOM % 3 + 1))
	NODE=""
	case $role in
	0) NODE=$(nemesis_pick leader "$SCHEDULE_TOPIC" "$p" 2>/dev/null) ;;
	1) NODE=$(live_controller 2>/dev/null) ;;
	esac
	[ -n "$NODE" ] || NODE=$any
}

# schedule_set: IDS, a set of nodes: one by role, a random non-empty
# set, a majority, or all.
schedule_set() {
	local how=$((RANDOM % 4)) bits=$((RANDOM % 7 + 1)) i
	schedule_node
	case $how in
	0) IDS=$NODE ;;
	1) IDS=""; for i in 1 2 3; do ((bits & (1 << (i - 1)))) && IDS+="$i "; done ;;
	2) IDS=$(seq -s ' ' 1 3 | sed "s/\b$NODE\b//") ;;
	3) IDS="1 2 3" ;;
	esac
}

# ---- one fault of each kind, applied then healed -------------------------------

schedule_process() {
	local ids id hold
	schedule_hold
	hold=$HOLD
	schedule_set
	ids=$IDS
	schedule_node
	id=$NODE
	case $((RANDOM % 5)) in
	0 | 1)
		schedule_say "kill -9 nodes $ids, restarted after $hold s"
		# shellcheck disable=SC2086 # a list of ids
		nemesis_kill $ids
		sleep "$hold"
		# shellcheck disable=SC2086
		nemesis_restart $ids
		;;
	2 | 3)
		hold=$((hold + 3))
		schedule_say "SIGSTOP node $id for $hold s"
		nemesis_pause "$id"
		sleep "$hold"
		nemesis_resume "$id"
		;;
	4)
		schedule_say "rolling restart"
		nemesis_rolling_restart 600 || schedule_say "rolling restart: the cluster did not settle"
		;;
	esac
}

schedule_clock() {
	local id s hold
	schedule_node
	id=$NODE
	s=$(((RANDOM % 2 ? 1 : -1) * (60 + RANDOM % 7141)))
	schedule_hold
	hold=$HOLD
	schedule_say "clock of node $id moved by $s s for $hold s"
	nemesis_clock "$id" "$s"
	sleep "$hold"
	nemesis_clock "$id" 0
}

schedule_network() {
	local a b hold
	schedule_node
	a=$NODE
	b=$(((a + RANDOM % 2) % 3 + 1))
	schedule_hold
	hold=$HOLD
	case $((RANDOM % 6)) in
	0) schedule_say "node $a isolated"; net_isolate "$a" ;;
	1) schedule_say "node $a cut from the others, not from clients"; net_isolate "$a" --keep-clients ;;
	2) schedule_say "link $a-$b cut"; net_cut "$a" "$b" ;;
	3) schedule_say "link $a->$b cut one way"; net_cut_oneway "$a" "$b" ;;
	4) schedule_say "20% packet loss everywhere"; net_loss 20 ;;
	5) schedule_say "link $a-$b flapping every 500 ms"; net_flap "$a" "$b" 500 ;;
	esac
	sleep "$((hold + 2))"
	net_heal
	schedule_say "network healed"
}

schedule_disk() {
	local id ids hold whole=$((RANDOM % 3))
	schedule_hold
	hold=$HOLD
	schedule_node
	id=$NODE
	ids=$id
	[ "$whole" = 0 ] && ids="1 2 3"
	case $((RANDOM % 3)) in
	0 | 1)
		schedule_say "power cut of nodes $ids (unsynced writes dropped)"
		nemesis_record power-cut start "$ids"
		# shellcheck disable=SC2086 # a list of ids
		power_cut $ids
		sleep "$hold"
		# shellcheck disable=SC2086
		nemesis_restart $ids
		nemesis_record power-cut end "$ids"
		;;
	2)
		schedule_say "fsyncs fail with EIO on node $id for $hold s, then it restarts"
		lossyfs_ctl "$(power_dir "$id")" fsync-fail on >/dev/null
		nemesis_record fsync-fail start "$id"
		sleep "$hold"
		kill_node "$id" 2>/dev/null || true
		lossyfs_ctl "$(power_dir "$id")" fsync-fail off >/dev/null
		nemesis_record fsync-fail end "$id"
		restart_node "$id"
		;;
	esac
}

# schedule_settle: after a fault, wait (bounded) until every node is alive
# and every partition in sync, so that faults test recovery rather than
# pile up; says so and goes on when the cluster does not settle.
schedule_settle() {
	schedule_crashed
	wait_for 600 nemesis_in_sync && wait_for 200 alive_count_is 1 3 && return 0
	schedule_say "the cluster did not settle within 40 s; going on"
}

# schedule_crashed: a broker that exited without being told to is a
# failure of the run (a crash, an abort, an exit on an error it should
# have survived): say so with the end of its log, count it in
# SCHEDULE_CRASHES, and start it again so the schedule goes on.
schedule_crashed() {
	local i rc
	for ((i = 1; i <= CLUSTER_SIZE; i++)); do
		kill -0 "${NODE_PID[$i]}" 2>/dev/null && continue
		rc=0
		wait "${NODE_PID[$i]}" 2>/dev/null || rc=$?
		SCHEDULE_CRASHES=$((SCHEDULE_CRASHES + 1))
		schedule_say "node $i exited by itself (status $rc); the end of its log:"
		tail -n 15 "$BATS_TEST_TMPDIR/node$i/broker.log" | sed 's/^/#     /' >&3
		nemesis_record crash start "$i" "status $rc"
		restart_node "$i" || return 1
	done
}

# ---- the whole run -------------------------------------------------------------

# schedule_heal: end every fault that may still be on.
schedule_heal() {
	local i
	[ -n "${NETNS_SLOT:-}" ] && net_heal
	for ((i = 1; i <= CLUSTER_SIZE; i++)); do
		[ -n "$NEMESIS_CLOCK_DIR" ] && nemesis_clock "$i" 0
		kill -CONT "${NODE_PID[$i]}" 2>/dev/null || true
		if ! kill -0 "${NODE_PID[$i]}" 2>/dev/null; then
			nemesis_restart "$i" || return 1
		fi
	done
}

# schedule_faults DURATION: the first round (one of every kind), then
# random kinds until DURATION seconds have passed since the start.
schedule_faults() {
	local duration=$1 round=() k i
	round=("${SCHEDULE_KINDS[@]}")
	for ((i = ${#round[@]} - 1; i > 0; i--)); do
		k=$((RANDOM % (i + 1)))
		local t=${round[$i]}
		round[i]=${round[$k]}
		round[k]=$t
	done
	for k in "${round[@]}"; do
		"schedule_$k"
		schedule_settle
	done
	while [ $((SECONDS - SCHEDULE_T0)) -lt "$duration" ]; do
		k=${SCHEDULE_KINDS[$((RANDOM % ${#SCHEDULE_KINDS[@]}))]}
		"schedule_$k"
		schedule_settle
	done
}

# schedule_run SEED DURATION: the whole schedule; status 1 on any anomaly
# or a cluster that does not converge once healed.
schedule_run() {
	local seed=$1 duration=$2 rc=0 rate
	SCHEDULE_T0=$SECONDS
	SCHEDULE_CRASHES=0
	SCHEDULE_H=$BATS_TEST_TMPDIR/history
	SCHEDULE_TOPIC=sched
	# shellcheck disable=SC2034 # nemesis.bash notes its faults there
	NEMESIS_HISTORY=$SCHEDULE_H
	SCHEDULE_HOLD_MAX=$(((duration >= 120) ? 6 : 3))
	rate=${SCHEDULE_RATE:-$(((duration >= 120) ? 600 : 200))}
	mkdir -p "$SCHEDULE_H"
	RANDOM=$seed
	schedule_say "seed $seed, $duration s (replay: make torture SEED=$seed DURATION=$duration)"
	schedule_kinds
	start_cluster 3 "${SCHEDULE_SETTINGS[@]}"
	wait_cluster_alive
	schedule_placed
	SLOG_BROKERS=$(all_brokers)
	export SLOG_BROKERS
	workload_start "$SCHEDULE_H" "$SCHEDULE_TOPIC" --partitions 3 --rate "$rate" \
		--duration $((duration + 600))
	wait_for 400 workload_acked_at_least "$SCHEDULE_H" 50
	schedule_say "nodes at $(all_brokers); workload running (${rate} writes/s); faults: ${SCHEDULE_KINDS[*]}"
	schedule_faults "$duration"
	schedule_crashed || rc=1
	schedule_say "final heal"
	schedule_heal || rc=1
	workload_stop
	if ! wait_for 1200 nemesis_in_sync; then
		schedule_say "the cluster did not converge within 60 s of the final heal"
		rc=1
	fi
	history_check "$SCHEDULE_H" "$SCHEDULE_TOPIC" >"$SCHEDULE_H/history-check.out" || rc=1
	sed 's/^/# /' "$SCHEDULE_H/history-check.out" >&3
	if [ "$SCHEDULE_CRASHES" -gt 0 ]; then
		schedule_say "$SCHEDULE_CRASHES broker exits that no fault asked for"
		rc=1
	fi
	schedule_figures "$seed" "$duration" | tee "$SCHEDULE_H/figures.md" | sed 's/^/# /' >&3
	return "$rc"
}

# schedule_figures SEED DURATION: the figures table of the run, from the
# checker's counts (check.json) and the faults noted in the history.
schedule_figures() {
	python3 - "$SCHEDULE_H" "$1" "$2" <<'EOF'
import collections, json, os, sys
h, seed, duration = sys.argv[1], sys.argv[2], sys.argv[3]
c = json.load(open(os.path.join(h, "check.json")))
kind = {"kill": "process", "pause": "process", "rolling-restart": "process", "clock": "clock",
        "power-cut": "disk", "fsync-fail": "disk"}
faults = collections.Counter()
names = collections.Counter()
for line in open(os.path.join(h, "nemesis.jsonl")):
    e = json.loads(line)
    if e.get("phase") != "start":
        continue
    names[e["fault"]] += 1
    if e["fault"] != "crash":
        faults[kind.get(e["fault"], "network")] += 1
rows = [
    ("seed, duration", "%s, %s s" % (seed, duration)),
    ("writes acknowledged (acks=all)", c["acknowledged"]),
    ("faults", "%d: %s" % (sum(faults.values()),
                           ", ".join("%s %d" % kv for kv in sorted(faults.items())))),
    ("faults by name", ", ".join("%s %d" % kv for kv in sorted(names.items()) if kv[0] != "crash")),
    ("lost", c["lost"]),
    ("duplicates (counted only)", c["duplicated"]),
    ("reordered", c["reordered"]),
    ("offsets with two values", c["two-valued"]),
    ("vanished reads", c["vanished"]),
    ("group-offset regressions", c["regressed"]),
    ("acks after fsync failure", c["acked-after-fsync-failure"]),
    ("broker exits no fault asked for", names.get("crash", 0)),
    ("result", "FAIL (%s)" % ", ".join(c["failed"]) if c["failed"] else "pass"),
]
print("| figure | value |")
print("|---|---|")
for k, v in rows:
    print("| %s | %s |" % (k, v))
EOF
}

# schedule_teardown: what a schedule leaves, however it ended: the
# workload, the brokers, the network, the file systems.
schedule_teardown() {
	workload_stop
	stop_members
	nemesis_clock_teardown
	teardown_brokers
	[ -n "${NETNS_SLOT:-}" ] && netns_teardown
	lossyfs_unmount_all
	no_sanitizer_reports
}
