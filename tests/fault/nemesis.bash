# tests/fault/nemesis.bash: process faults on a cluster of
# tests/cluster.bash (load helpers, cluster and replication first).
#
# A fault here is what an operator's worst night does to brokers: kill -9
# of any set of them (a partition's leader, the controller, all at once),
# SIGSTOP past the session timeout (a VM frozen by its host, a GC pause,
# a swap storm), a rolling restart, and a jump of one broker's wall clock
# (NTP stepping it, a VM resumed on another host).  Each fault notes its
# start and its end in the history directory NEMESIS_HISTORY, when it is
# set, with history.bash's nemesis_note, so the checker can
# show which fault was active around an anomaly.
#
# The clock jump uses libfaketime: nemesis_clock_setup, called before
# start_cluster, starts every node through the preload library with its
# own offset file, which nemesis_clock rewrites on the running broker.
# Only the wall clock moves: CLOCK_MONOTONIC stays true, as it does when
# NTP steps a real clock, because that is the clock slog's timers must
# use.  The offset file is read again at every clock read
# (FAKETIME_NO_CACHE): a jump takes effect at once, for a cost too small to
# see in acks=all latency.

NEMESIS_HISTORY=${NEMESIS_HISTORY:-}
NEMESIS_CLOCK_DIR=""

# The notes are history.bash's.
if ! declare -F nemesis_note >/dev/null; then
	# shellcheck source=tests/fault/history.bash
	. "$(dirname "${BASH_SOURCE[0]}")/history.bash"
fi

# nemesis_record FAULT PHASE NODES [DETAIL]: note the fault in the
# history, if there is one.
nemesis_record() {
	[ -n "$NEMESIS_HISTORY" ] || return 0
	nemesis_note "$NEMESIS_HISTORY" "$@"
}

# ---- whom to hit --------------------------------------------------------------

# nemesis_pick WHAT: node ids, one per line.  WHAT is "leader TOPIC P",
# "controller", "all", "one" (a node at random), "minority" (one),
# "majority" (all but one) or "some" (a random non-empty set).  RANDOM
# decides, so a seeded schedule picks the same nodes again.
nemesis_pick() {
	local what=$1 i ids=()
	case "$what" in
	leader) partition_leader "$2" "$3" | jq -e 'select(. >= 0)' ;;
	controller) live_controller ;;
	all) seq 1 "$CLUSTER_SIZE" ;;
	one | minority) echo $((RANDOM % CLUSTER_SIZE + 1)) ;;
	majority)
		i=$((RANDOM % CLUSTER_SIZE + 1))
		seq 1 "$CLUSTER_SIZE" | grep -vx "$i"
		;;
	some)
		while [ "${#ids[@]}" = 0 ]; do
			for ((i = 1; i <= CLUSTER_SIZE; i++)); do
				((RANDOM % 2)) && ids+=("$i")
			done
		done
		printf '%s\n' "${ids[@]}"
		;;
	*)
		echo "nemesis_pick: unknown target '$what'" >&2
		return 2
		;;
	esac
}

# ---- kill -9 --------------------------------------------------------------------

# nemesis_kill ID...: kill -9 those nodes at once (one kill(1), so no one
# of them sees another go) and wait until they are gone.  They stay down
# until nemesis_restart.
nemesis_kill() {
	nemesis_record kill start "$*"
	kill_nodes "$@"
}

# nemesis_restart ID...: start the killed nodes again on their data, in
# the order given; wait until each listens.
nemesis_restart() {
	local id
	for id in "$@"; do
		start_node "$id"
	done
	for id in "$@"; do
		if ! wait_for 400 node_listening "$id"; then
			echo "node $id did not start again:" >&2
			tail -n 30 "$BATS_TEST_TMPDIR/node$id/broker.log" >&2
			return 1
		fi
	done
	nemesis_record kill end "$*"
}

# ---- SIGSTOP ----------------------------------------------------------------------

# nemesis_pause ID: SIGSTOP node ID.  For as long as the caller waits it
# neither heartbeats nor fetches nor answers: past broker.session.timeout.ms
# the controller fences it, past replica.lag.time.max.ms its leaders drop
# it from their ISRs, and a leader it was goes on believing it leads.
nemesis_pause() {
	nemesis_record pause start "$1"
	kill -STOP "${NODE_PID[$1]}"
}

# nemesis_resume ID: SIGCONT node ID.
nemesis_resume() {
	kill -CONT "${NODE_PID[$1]}" 2>/dev/null || true
	nemesis_record pause end "$1"
}

# ---- rolling restart ----------------------------------------------------------------

# nemesis_in_sync: every partition of every topic has a leader and its
# whole replica set in its ISR, as the controller (or any node) sees it.
nemesis_in_sync() {
	local i url
	for ((i = 1; i <= CLUSTER_SIZE; i++)); do
		url=${NODE_URL[$i]}
		curl -sf --max-time 1 "$url/v1/metadata" | jq -e '
			all(.topics[].partitions[]; .leader >= 0 and
			    ((.isr | sort) == (.replicas | sort)))' >/dev/null && return 0
	done
	return 1
}

# nemesis_rolling_restart [SETTLE-TRIES]: stop each node with SIGTERM
# (a controlled shutdown: its leaderships move first), start it again, and
# go on to the next only once it is alive and every partition is back in
# sync, as an operator's script would (SETTLE-TRIES of 0.05 s, default
# 600).  Fails, naming the node, if the cluster does not settle.
nemesis_rolling_restart() {
	local tries=${1:-600} i all
	all=$(seq -s ' ' 1 "$CLUSTER_SIZE")
	nemesis_record rolling-restart start "$all"
	for ((i = 1; i <= CLUSTER_SIZE; i++)); do
		stop_broker "${NODE_PID[$i]}" || true
		restart_node "$i" || return 1
		if ! wait_for "$tries" nemesis_in_sync; then
			echo "rolling restart: partitions not in sync after node $i came back:" >&2
			curl -sf --max-time 2 "${NODE_URL[$i]}/v1/metadata" |
				jq -c '.topics[] | {name, partitions: [.partitions[] | {partition, leader, isr}]}' >&2
			return 1
		fi
	done
	nemesis_record rolling-restart end "$all"
}

# ---- the wall clock -------------------------------------------------------------------

# nemesis_faketime_lib: the path of libfaketime's multi-threaded preload
# library (slog-broker has threads), or status 1.
nemesis_faketime_lib() {
	local f
	for f in /usr/lib/*/faketime/libfaketimeMT.so.1 /usr/lib/faketime/libfaketimeMT.so.1 \
		/usr/local/lib/faketime/libfaketimeMT.so.1; do
		[ -e "$f" ] && echo "$f" && return 0
	done
	return 1
}

# nemesis_clock_setup: make start_cluster start every node under
# libfaketime, its offset at +0.  Call before start_cluster, after
# whatever places the nodes (a namespace, say): the faked clock adds to
# their NODE_WRAP.  Status 1, saying why, when libfaketime is not installed.
nemesis_clock_setup() {
	local lib
	lib=$(nemesis_faketime_lib) || {
		echo "libfaketime is not installed (Debian package faketime)" >&2
		return 1
	}
	NEMESIS_CLOCK_DIR=$BATS_TEST_TMPDIR/clock
	NEMESIS_FAKETIME_LIB=$lib
	mkdir -p "$NEMESIS_CLOCK_DIR"
	cluster_hook place nemesis_clock_wrap
}

# nemesis_clock_teardown: libfaketime leaves a shared-memory file and a
# semaphore in /dev/shm for every process it ran in; remove those of the
# brokers this test started (a running process keeps its mapping).
nemesis_clock_teardown() {
	local pid
	[ -n "${NEMESIS_CLOCK_DIR:-}" ] || return 0
	for pid in "${BROKER_PIDS[@]}"; do
		rm -f "/dev/shm/faketime_shm_$pid" "/dev/shm/sem.faketime_sem_$pid"
	done
}

# nemesis_clock_wrap ID: add libfaketime to node ID's NODE_WRAP.  Record
# timestamps, group offsets' commit times and retention read the faked
# wall clock; files keep their real times (NO_FAKE_STAT), as they do when
# a real clock steps.  libfaketime's "monotonic fix" of
# pthread_cond_timedwait, on by default with this glibc, is off: with it
# the broker's condition variables on CLOCK_MONOTONIC (clock_cond_init)
# woke at once and spun, making every acks=all answer ten times slower
# and the idle broker busy.  An ASan broker refuses a preload library ahead of
# its runtime unless verify_asan_link_order is off.
nemesis_clock_wrap() {
	local f=$NEMESIS_CLOCK_DIR/node$1.offset asan=${ASAN_OPTIONS:-}
	echo "+0" >"$f"
	NODE_WRAP[$1]="${NODE_WRAP[$1]:-} env LD_PRELOAD=$NEMESIS_FAKETIME_LIB"
	NODE_WRAP[$1]+=" FAKETIME_TIMESTAMP_FILE=$f FAKETIME_NO_CACHE=1"
	NODE_WRAP[$1]+=" FAKETIME_DONT_FAKE_MONOTONIC=1 FAKETIME_FORCE_MONOTONIC_FIX=0 NO_FAKE_STAT=1"
	NODE_WRAP[$1]+=" ASAN_OPTIONS=${asan:+$asan:}verify_asan_link_order=0"
}

# nemesis_clock ID SECONDS: from now on node ID's wall clock reads
# SECONDS (signed) away from the true time; 0 sets it right again (and
# ends the fault in the history).  The running broker sees the jump at its
# next clock read after at most a second.
nemesis_clock() {
	local id=$1 s=$2
	[ -n "$NEMESIS_CLOCK_DIR" ] || {
		echo "nemesis_clock: nemesis_clock_setup was not called before start_cluster" >&2
		return 1
	}
	case "$s" in
	-*) echo "$s" ;;
	*) echo "+${s#+}" ;;
	esac >"$NEMESIS_CLOCK_DIR/node$id.offset.new"
	mv "$NEMESIS_CLOCK_DIR/node$id.offset.new" "$NEMESIS_CLOCK_DIR/node$id.offset"
	if [ "${s#+}" = 0 ]; then
		nemesis_record clock end "$id"
	else
		nemesis_record clock start "$id" "${s} s"
	fi
}

# nemesis_stamp TOPIC P: the time (whole seconds) partition P's leader
# stamps on a record sent now over HTTP without one: its wall clock, to
# see that a jump took.  The record ("stamp", acks=1) stays in the log;
# it is read back once the high watermark passes it.
nemesis_stamp() {
	local url off s tries=100
	url=$(partition_field "$1" "$2" leader_url | jq -er .) || return 1
	off=$(curl -sf --max-time 5 -H 'Content-Type: text/plain' --data-binary stamp \
		"$url/v1/topics/$1/partitions/$2/records?acks=1" | jq -er .base_offset) || return 1
	while [ "$tries" -gt 0 ]; do
		s=$(curl -sf --max-time 5 "$url/v1/topics/$1/partitions/$2/records?offset=$off&max_wait_ms=1000" |
			jq -r --argjson o "$off" 'select(.offset == $o) | .timestamp / 1000 | floor')
		[ -n "$s" ] && echo "$s" && return 0
		tries=$((tries - 1))
	done
	return 1
}
