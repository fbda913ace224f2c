# tests/replication.bash: what the replication tests share, on top of
# helpers.bash and cluster.bash (load those first).
#
# The oracle of a replication test is its history of acknowledgements.
# load_start sends numbered records ("NAME-000001", ...) with
# slog-produce --acks all and keeps one line "partition offset value" per
# acknowledged record.  check_acked then reads every partition back and
# asserts that each acknowledged record is at its offset with its value,
# that no offset was acknowledged for two values, and that no offset is
# missing or read twice.  same_bytes_below_hw compares the replicas' log
# files byte for byte below the leader's high watermark.  Records that
# were sent but not acknowledged are indeterminate: they may be there or
# not, once or (after a retry) twice.

MEMBER_PIDS=()

# ---- where a partition is ----------------------------------------------------

# node_answers ID: node ID answers over HTTP within a second (a stopped
# or killed node does not).
node_answers() {
	curl -sf --max-time 1 "${NODE_URL[$1]}/healthz" >/dev/null
}

# live_controller: the controller's id as the first node that answers
# within a second says it (cluster_controller waits 5 s on a stopped one).
live_controller() {
	local i id
	for ((i = 1; i <= CLUSTER_SIZE; i++)); do
		id=$(curl -sf --max-time 1 "${NODE_URL[$i]}/v1/cluster" | jq -er '.controller.id // empty') ||
			continue
		echo "$id"
		return 0
	done
	return 1
}

# topic_json TOPIC: GET /v1/topics/TOPIC as the controller sees it (its
# metadata is the committed one), else as the first node that answers.
topic_json() {
	local c i
	if c=$(live_controller) && curl -sf --max-time 1 "${NODE_URL[$c]}/v1/topics/$1"; then
		return 0
	fi
	for ((i = 1; i <= CLUSTER_SIZE; i++)); do
		curl -sf --max-time 1 "${NODE_URL[$i]}/v1/topics/$1" && return 0
	done
	return 1
}

# partition_field TOPIC P FIELD: one field of partition P (jq syntax,
# without the dot: leader, leader_epoch, isr, replicas ...), compact.
partition_field() {
	topic_json "$1" | jq -ce --argjson p "$2" ".partitions[] | select(.partition == \$p) | .$3"
}

# partition_leader TOPIC P: the leader's id (-1 or null: none).
partition_leader() {
	partition_field "$1" "$2" leader
}

# leader_is TOPIC P ID / leader_is_not TOPIC P ID: for wait_for.  "Not"
# means another live leader, not "none".
leader_is() {
	[ "$(partition_leader "$1" "$2")" = "$3" ]
}
leader_is_not() {
	local l
	l=$(partition_leader "$1" "$2") || return 1
	[ "$l" != "$3" ] && [ "$l" != -1 ] && [ "$l" != null ]
}

# isr_is TOPIC P LIST: the ISR, as a sorted comma list, is LIST ("1,2,3").
isr_is() {
	[ "$(partition_field "$1" "$2" isr | jq -r 'sort | join(",")')" = "$3" ]
}

# in_isr TOPIC P ID / not_in_isr TOPIC P ID
in_isr() {
	partition_field "$1" "$2" isr | jq -e --argjson id "$3" 'index($id) != null' >/dev/null
}
not_in_isr() {
	partition_field "$1" "$2" isr | jq -e --argjson id "$3" 'index($id) == null' >/dev/null
}

# led_by_other_than TOPIC ID: a partition of TOPIC whose leader is not ID.
led_by_other_than() {
	topic_json "$1" | jq -er --argjson id "$2" \
		'[.partitions[] | select(.leader != $id and .leader >= 0)][0].partition'
}

# partition_without TOPIC ID: a partition of TOPIC none of whose
# replicas is ID.
partition_without() {
	topic_json "$1" | jq -er --argjson id "$2" \
		'[.partitions[] | select(.replicas | index($id) == null)][0].partition'
}

# partition_hw TOPIC P: the high watermark as the leader answers it
# (offsets?at=latest: a new leader answers OFFSET_NOT_AVAILABLE, and this
# fails, until its HW reaches the start of its epoch).
partition_hw() {
	local url
	url=$(partition_field "$1" "$2" leader_url | jq -er .) || return 1
	curl -sf --max-time 2 "$url/v1/topics/$1/partitions/$2/offsets?at=latest" | jq -er .offset
}

# hw_at_least TOPIC P N: for wait_for.
hw_at_least() {
	local hw
	hw=$(partition_hw "$1" "$2") || return 1
	[ "$hw" -ge "$3" ]
}

# ---- nodes -----------------------------------------------------------------------

# kill_node ID [SIGNAL]: send SIGNAL (default KILL) to node ID; for KILL,
# wait until it is gone.
kill_node() {
	local sig=${2:-KILL}
	kill -"$sig" "${NODE_PID[$1]}"
	if [ "$sig" = KILL ]; then
		{ wait "${NODE_PID[$1]}"; } 2>/dev/null || true
	fi
}

# kill_nodes ID...: kill -9 every node named in one call, as one power
# failure would, then reap each.
kill_nodes() {
	local id pids=()
	for id in "$@"; do
		pids+=("${NODE_PID[$id]}")
	done
	kill -KILL "${pids[@]}" 2>/dev/null || true
	for id in "$@"; do
		{ wait "${NODE_PID[$id]}"; } 2>/dev/null || true
	done
}

# restart_node ID: start node ID again on its data and port; wait until
# it listens.
restart_node() {
	start_node "$1"
	if ! wait_for 400 node_listening "$1"; then
		echo "node $1 did not start again:" >&2
		tail -n 30 "$BATS_TEST_TMPDIR/node$1/broker.log" >&2
		return 1
	fi
}

# unread_from ID LEADER: node ID holds bytes from node LEADER that it has
# not read (an answer that came while it was stopped).
unread_from() {
	ss -Htnp state established "( dport = :${NODE_PORT[$2]} )" |
		awk -v pid="pid=${NODE_PID[$1]}," 'index($0, pid) && $1 > 0 { found = 1 } END { exit !found }'
}

# pause_followers TOPIC P LEADER ID...: SIGSTOP the followers ID... of
# TOPIC-P so that nothing LEADER appends from now on reaches them.  A
# follower stopped while its long poll waits at the leader would still get
# the answer (into its socket, read when it resumes), so one record
# ("marker-000001", acks=1) is appended to answer every waiting poll, and
# each follower is waited for until that answer is in its socket.  A
# follower that had no poll out when stopped gets nothing more anyway:
# for it the wait ends at its bound.
pause_followers() {
	local topic=$1 p=$2 leader=$3 id
	shift 3
	for id in "$@"; do
		kill_node "$id" STOP
	done
	produce_numbered "$topic" "$p" 1 marker 1
	for id in "$@"; do
		wait_for 60 unread_from "$id" "$leader" || true
	done
}

# ---- the load and its history --------------------------------------------------

# load_start TOPIC COUNT RATE [NAME] [PRODUCE-OPTION]...: in the
# background, send COUNT records NAME-000001 ... (NAME defaults to "load")
# at RATE records/s with slog-produce --acks all, round robin over the
# partitions (PRODUCE-OPTIONs, such as -p N, replace that).  Acknowledgements go to $BATS_TEST_TMPDIR/NAME.acked, one
# "partition offset value" line each; slog-produce's stderr to NAME.err.
# Sets LOAD_PID (slog-produce's pid).
load_start() {
	local topic=$1 count=$2 rate=$3 name=${4:-load}
	shift 3
	[ $# -gt 0 ] && shift
	[ $# -gt 0 ] || set -- --partitioner roundrobin
	slog-produce -t "$topic" --acks all --linger-ms 0 \
		--timeout-ms 60000 --report-format '%p %o %s\n' "$@" \
		< <(numbered_lines "$name" "$count" "$rate") \
		>"$BATS_TEST_TMPDIR/$name.acked" 2>"$BATS_TEST_TMPDIR/$name.err" 3>&- &
	LOAD_PID=$!
	MEMBER_PIDS+=("$LOAD_PID")
}

# numbered_lines NAME COUNT RATE: NAME-000001 ... at RATE lines/s, each
# written at once.
numbered_lines() {
	python3 - "$@" <<'EOF'
import signal, sys, time
signal.signal(signal.SIGPIPE, signal.SIG_DFL)
name, count, rate = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
start = time.monotonic()
for i in range(1, count + 1):
    due = start + (i - 1) / rate
    now = time.monotonic()
    if due > now:
        time.sleep(due - now)
    sys.stdout.write("%s-%06d\n" % (name, i))
    sys.stdout.flush()
EOF
}

# produce_numbered TOPIC P ACKS NAME COUNT: send NAME-000001 ... NAME-COUNT
# to partition P with --acks ACKS and wait; the acknowledgements are added
# to $BATS_TEST_TMPDIR/NAME.acked as load_start writes them.
produce_numbered() {
	local topic=$1 p=$2 acks=$3 name=$4 count=$5
	numbered_lines "$name" "$count" 1000000 |
		slog-produce -t "$topic" -p "$p" --acks "$acks" --report-format '%p %o %s\n' \
			>>"$BATS_TEST_TMPDIR/$name.acked" 2>>"$BATS_TEST_TMPDIR/$name.err"
}

# acked_count [NAME]: how many records have been acknowledged so far.
acked_count() {
	count_lines "$BATS_TEST_TMPDIR/${1:-load}.acked"
}

# acked_at_least N [NAME]: for wait_for.
acked_at_least() {
	[ "$(acked_count "${2:-}")" -ge "$1" ]
}

# load_wait [TRIES]: wait (0.05 s a try, default 1200: a minute) for the
# load to end; LOAD_RC is slog-produce's exit status.  Fails if it ran on.
load_wait() {
	local tries=${1:-1200}
	while kill -0 "$LOAD_PID" 2>/dev/null && [ "$tries" -gt 0 ]; do
		sleep 0.05
		tries=$((tries - 1))
	done
	if kill -0 "$LOAD_PID" 2>/dev/null; then
		echo "slog-produce still running; its stderr:" >&2
		cat "$BATS_TEST_TMPDIR"/*.err >&2
		return 1
	fi
	LOAD_RC=0
	wait "$LOAD_PID" 2>/dev/null || LOAD_RC=$?
}

# load_all_acked COUNT [NAME]: the load ended with status 0 and every one
# of its COUNT records was acknowledged.
load_all_acked() {
	local name=${2:-load} n
	n=$(acked_count "$name")
	if [ "$LOAD_RC" != 0 ] || [ "$n" != "$1" ]; then
		echo "slog-produce exited $LOAD_RC with $n of $1 records acknowledged; its stderr:" >&2
		tail -n 20 "$BATS_TEST_TMPDIR/$name.err" >&2
		return 1
	fi
}

# no_sanitizer_reports: no broker log of this test holds a sanitizer's
# report.  Under ASan a broker that dies of one looks like a killed
# broker, which these tests survive by design: its log is the only sign.
no_sanitizer_reports() {
	local logs
	mapfile -t logs < <(grep -l -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' \
		"$BATS_TEST_TMPDIR"/node*/broker.log 2>/dev/null)
	[ "${#logs[@]}" = 0 ] && return 0
	echo "sanitizer reports in ${logs[*]}:" >&2
	grep -h -A 20 -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "${logs[@]}" | head -60 >&2
	return 1
}

# Loads are background clients: teardown stops them by pid as it stops
# the consumers of the group tests (MEMBER_PIDS), then the brokers, and
# fails the test if a broker reported a memory error.
teardown() {
	stop_members
	teardown_brokers
	no_sanitizer_reports
}

# ---- the checker -------------------------------------------------------------

# check_acked TOPIC ACKED-FILE...: every acknowledged record of the files
# ("partition offset value" lines) is read back at its offset with its
# value.  Waits first until each partition's high watermark passes its
# highest acknowledged offset, then reads every partition from the start
# (slog-consume -e -J) and asserts: no offset acknowledged for two values,
# no offset read twice, no gap between the first and last offset read,
# every acknowledged record at its offset with its value.
check_acked() {
	local topic=$1 p top out=$BATS_TEST_TMPDIR/check-$1.ndjson
	shift
	while read -r p top; do
		if ! wait_for 600 hw_at_least "$topic" "$p" "$((top + 1))"; then
			echo "$topic-$p: high watermark $(partition_hw "$topic" "$p" 2>/dev/null)" \
				"never passed acknowledged offset $top" >&2
			topic_json "$topic" >&2
			return 1
		fi
	done < <(awk '{ if (!($1 in m) || $2 > m[$1]) m[$1] = $2 } END { for (p in m) print p, m[p] }' "$@")
	if ! slog-consume -t "$topic" -e -J -q --timeout-ms 20000 >"$out"; then
		echo "slog-consume -t $topic -e failed" >&2
		return 1
	fi
	python3 - "$out" "$@" <<'EOF'
import json, sys
consumed, acked_files = sys.argv[1], sys.argv[2:]
errors = []
acked = {}
for f in acked_files:
    for line in open(f):
        p, o, v = line.split(" ", 2)
        key, v = (int(p), int(o)), v.rstrip("\n")
        if key in acked and acked[key] != v:
            errors.append("offset %d/%d acknowledged for two values: %r and %r" % (key + (acked[key], v)))
        acked[key] = v
read = {}
for line in open(consumed):
    r = json.loads(line)
    key = (r["partition"], r["offset"])
    if key in read:
        errors.append("offset %d/%d read twice: %r and %r" % (key + (read[key], r["value"])))
    read[key] = r["value"]
by_partition = {}
for p, o in read:
    by_partition.setdefault(p, []).append(o)
for p, offsets in sorted(by_partition.items()):
    offsets.sort()
    if offsets[-1] - offsets[0] + 1 != len(offsets):
        missing = sorted(set(range(offsets[0], offsets[-1] + 1)) - set(offsets))
        errors.append("partition %d: offsets %s... missing between %d and %d" %
                      (p, missing[:5], offsets[0], offsets[-1]))
lost = 0
for key, v in sorted(acked.items()):
    if read.get(key) != v:
        lost += 1
        if lost <= 10:
            errors.append("acknowledged %r at %d/%d, read %r" % ((v,) + key + (read.get(key),)))
if lost:
    errors.append("%d of %d acknowledged records not at their offset" % (lost, len(acked)))
for e in errors:
    print(e, file=sys.stderr)
sys.exit(1 if errors else 0)
EOF
}

# ---- the replicas' bytes -----------------------------------------------------------

# replica_dir ID TOPIC P: where node ID keeps partition TOPIC-P.
replica_dir() {
	echo "$BATS_TEST_TMPDIR/node$1/data/$2-$3"
}

# same_bytes_below_hw TOPIC P: every replica of TOPIC-P holds, below the
# leader's high watermark, the same record batches byte for byte (its
# segments' .log files read in order, up to the end of the last batch
# that ends at or below the HW), and each holds every offset below it.
same_bytes_below_hw() {
	local topic=$1 p=$2 hw replicas id dirs=()
	hw=$(partition_hw "$topic" "$p") || {
		echo "$topic-$p: no high watermark from its leader" >&2
		return 1
	}
	replicas=$(partition_field "$topic" "$p" replicas | jq -r '.[]') || return 1
	for id in $replicas; do
		dirs+=("$id=$(replica_dir "$id" "$topic" "$p")")
	done
	python3 - "$topic-$p" "$hw" "${dirs[@]}" <<'EOF'
import glob, hashlib, os, struct, sys
name, hw, replicas = sys.argv[1], int(sys.argv[2]), sys.argv[3:]

def prefix(d):
    """The bytes of the whole batches of d's log that end at or below hw,
    and the offset after the last of them."""
    data = b"".join(open(f, "rb").read() for f in sorted(glob.glob(os.path.join(d, "*.log"))))
    pos, end = 0, None
    while pos + 27 <= len(data):
        base, length = struct.unpack_from(">qi", data, pos)
        last = base + struct.unpack_from(">i", data, pos + 23)[0]
        if length < 15 or pos + 12 + length > len(data) or last + 1 > hw:
            break
        pos, end = pos + 12 + length, last + 1
    return data[:pos], end

seen, errors = {}, []
for r in replicas:
    rid, d = r.split("=", 1)
    data, end = prefix(d)
    if hw > 0 and end != hw:
        errors.append("%s: replica %s holds batches up to offset %s, below the high watermark %d"
                      % (name, rid, end, hw))
    seen[rid] = data
ids = list(seen)
for rid in ids[1:]:
    a, b = seen[ids[0]], seen[rid]
    if a != b:
        at = next((i for i in range(min(len(a), len(b))) if a[i] != b[i]), min(len(a), len(b)))
        errors.append("%s: replicas %s and %s differ below the high watermark %d: %d and %d bytes, first difference at byte %d"
                      % (name, ids[0], rid, hw, len(a), len(b), at))
for e in errors:
    print(e, file=sys.stderr)
sys.exit(1 if errors else 0)
EOF
}

# same_log NODE1 NODE2 TOPIC P: the two nodes' copies of TOPIC-P are the
# same bytes, all of them (their .log files read in order).
same_log() {
	cmp -s <(cat "$(replica_dir "$1" "$3" "$4")"/*.log) <(cat "$(replica_dir "$2" "$3" "$4")"/*.log)
}

# none_read TOPIC NAME: no record the last check_acked of TOPIC read has
# a value NAME-...
none_read() {
	local f=$BATS_TEST_TMPDIR/check-$1.ndjson
	if jq -se --arg n "$2-" 'any(.[]; .value | startswith($n))' "$f" >/dev/null; then
		echo "records $2-... were read back:" >&2
		jq -c --arg n "$2-" 'select(.value | startswith($n)) | [.partition, .offset, .value]' "$f" |
			head >&2
		return 1
	fi
}

# replicas_converge TOPIC P...: wait (up to 20 s) until every replica of
# each partition is in its ISR and holds the leader's bytes below the HW.
replicas_converge() {
	local topic=$1 p n
	shift
	for p in "$@"; do
		n=$(partition_field "$topic" "$p" replicas | jq -r 'sort | join(",")') || return 1
		if ! wait_for 400 isr_is "$topic" "$p" "$n"; then
			echo "$topic-$p: the ISR stays $(partition_field "$topic" "$p" isr), not $n" >&2
			return 1
		fi
		if ! wait_for 400 same_bytes_below_hw "$topic" "$p"; then
			same_bytes_below_hw "$topic" "$p"
			return 1
		fi
	done
}
