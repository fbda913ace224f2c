# tests/fault/history.bash: a workload that records what its clients were
# told, fault notes beside it, and the check of both.  Load it after
# helpers.bash and cluster.bash (it uses all_brokers, CLUSTER_SIZE and the
# nodes' data directories).
#
#   workload_start H TOPIC [--partitions N] [--http] [--rate R] [--duration S]
#       Create TOPIC if it does not exist (N partitions, default 3;
#       replication factor min(3, nodes); min.insync.replicas min(2, that)),
#       then start, each writing H/<name>.jsonl: producers with acks=all
#       (c1 through slog-produce, h1 and h2 over HTTP; --http: h1 and h2
#       only), R acknowledged-or-not writes a second in all (default 200);
#       r1 reading every partition from the start, r2 re-reading old
#       offsets; g1, a member of group TOPIC-group that commits what it
#       read and fetches its offsets back; a1, creating and deleting side
#       topics.  Each stops by itself after S seconds (default 900).
#       Their PIDs go to WORKLOAD_PIDS (and MEMBER_PIDS, which
#       replication.bash's teardown stops).
#   workload_stop
#       SIGTERM every workload process, let each finish its request in
#       flight (slog-produce waits for its answers), then wait for them;
#       what still runs after 45 s is killed (its open requests are then
#       indeterminate).  Safe to call twice, and in teardown.
#   nemesis_note H FAULT PHASE NODES [DETAIL]
#       Note a fault in H/nemesis.jsonl: PHASE start or end, NODES the ids
#       ("2" or "1 3").  A failed fsync is noted "fsync-fail start ID" once
#       the failure has happened (an fsync of an armed hook or lossyfs
#       fails at once): acknowledgements by that broker of writes sent after
#       the note fail the check, until "fsync-fail end ID".
#   history_check H TOPIC...
#       Read every partition of each TOPIC whole from its current leader
#       (waiting, up to HISTORY_WAIT seconds, default 30, for the high
#       watermark to pass every acknowledged offset), decode the in-sync
#       replicas' logs below it, then run checker.py: prints the counts and
#       the events around each anomaly (also kept in H/check.txt and, as
#       JSON, H/check.json); status 1 on any lost, reordered, two-valued,
#       vanished, regressed or refused-yet-present write, or an
#       acknowledgement after a failed fsync.
#   workload_acked H      the number of writes acknowledged so far
#   workload_acked_at_least H N   for wait_for

HISTORY_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WORKLOAD_PIDS=()

# workload_py ARG...: tests/fault/workload.py, bootstrapping from every node.
workload_py() {
	python3 "$HISTORY_DIR/workload.py" --brokers "$(all_brokers)" "$@"
}

# workload_spawn H NAME ROLE ARG...: one background client.  Python is
# started here, not through a function: $! must be its own PID, so that
# signals reach it.
workload_spawn() {
	local h=$1 name=$2
	shift 2
	python3 "$HISTORY_DIR/workload.py" --brokers "$(all_brokers)" "$@" \
		--duration "$WORKLOAD_DURATION" --history "$h" --proc "$name" 2>>"$h/$name.log" 3>&- &
	WORKLOAD_PIDS+=("$!")
	MEMBER_PIDS+=("$!")
}

workload_start() {
	local h=$1 topic=$2 partitions=3 http_only=0 rate=200 per
	WORKLOAD_DURATION=900
	shift 2
	while [ $# -gt 0 ]; do
		case $1 in
		--partitions) partitions=$2 && shift ;;
		--http) http_only=1 ;;
		--rate) rate=$2 && shift ;;
		--duration) WORKLOAD_DURATION=$2 && shift ;;
		*) echo "workload_start: unknown option $1" >&2 && return 2 ;;
		esac
		shift
	done
	mkdir -p "$h"
	workload_py setup --topic "$topic" --partitions "$partitions" >/dev/null || return 1
	if [ "$http_only" = 1 ]; then
		per=$(python3 -c "print($rate / 2)")
	else
		per=$(python3 -c "print($rate / 3)")
		workload_spawn "$h" c1 produce --via cli --topic "$topic" --rate "$per"
	fi
	workload_spawn "$h" h1 produce --via http --topic "$topic" --rate "$per"
	workload_spawn "$h" h2 produce --via http --topic "$topic" --rate "$per"
	workload_spawn "$h" r1 consume --topic "$topic"
	workload_spawn "$h" r2 consume --rescan --topic "$topic"
	workload_spawn "$h" g1 group --topic "$topic" --group "$topic-group"
	workload_spawn "$h" a1 admin --topic "$topic"
}

workload_stop() {
	local pid
	for pid in "${WORKLOAD_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${WORKLOAD_PIDS[@]}"; do
		reap "$pid" 900
	done
	WORKLOAD_PIDS=()
}

nemesis_note() {
	local h=$1 fault=$2 phase=$3 nodes=$4 detail=${5:-}
	mkdir -p "$h"
	python3 - "$fault" "$phase" "$nodes" "$detail" >>"$h/nemesis.jsonl" <<'EOF'
import json, sys, time
fault, phase, nodes, detail = sys.argv[1:]
ids = [int(n) if n.isdigit() else n for n in nodes.replace(",", " ").split()]
print(json.dumps({"t": round(time.time(), 6), "proc": "nemesis", "type": "info", "f": "nemesis",
                  "fault": fault, "phase": phase, "nodes": ids, "detail": detail},
                 separators=(",", ":")))
EOF
}

history_check() {
	local h=$1 i dirs=() rc=0
	shift
	for ((i = 1; i <= ${CLUSTER_SIZE:-0}; i++)); do
		dirs+=(--node-dir "$i=$BATS_TEST_TMPDIR/node$i/data")
	done
	if ! workload_py final --history "$h" --wait "${HISTORY_WAIT:-30}" "${dirs[@]}" "$@"; then
		echo "history_check: the final read of $* did not run" >&2
		return 1
	fi
	python3 "$HISTORY_DIR/checker.py" --json "$h/check.json" "$h" >"$h/check.txt" || rc=$?
	cat "$h/check.txt"
	return "$rc"
}

workload_acked() {
	cat "$1"/*.jsonl 2>/dev/null | grep -c '"type":"ok","f":"produce"'
}

workload_acked_at_least() {
	[ "$(workload_acked "$1")" -ge "$2" ]
}
