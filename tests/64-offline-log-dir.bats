#!/usr/bin/env bats
# A log dir whose fsync fails in a cluster (replication spec D7, scenario
# 22): the broker stops leading and following every partition in it and
# says so in its heartbeats; the controller takes those replicas out of
# the ISR and elects new leaders; nothing is acknowledged after the
# failure, and a restart brings the broker back as a follower.
#
# The fault is real to the broker: node 3 starts with
# SLOG_FAULT_FSYNC_FAIL (fileio.h), which fails every fsync of a segment
# whose base offset is 100 to 199.  The topic rolls a segment every
# 100 ms, so a partition under load has a hundred or so records
# acknowledged before its first such fsync fails.

load helpers
load cluster
load replication

FAULT=/000000000000000001
# The lag time is long on purpose: a replica whose dir failed must leave
# the ISR because its broker said so, not because it stopped fetching.
SETTINGS=(broker.session.timeout.ms=2000 broker.heartbeat.interval.ms=250
	replica.lag.time.max.ms=30000 auto.leader.rebalance.enable=false)

fsync_fails_on_3() {
	if [ "$1" = 3 ]; then
		NODE_WRAP[3]="env SLOG_FAULT_FSYNC_FAIL=$FAULT"
	fi
	return 0
}
cluster_hook place fsync_fails_on_3

# Node 3's metadata log is not in the failing dir: a broker whose
# metadata log's dir fails stops (tests/16-log-dirs.bats).
metadata_apart_on_3() {
	[ "$1" = 3 ] || return 0
	echo "metadata.log.dir = $BATS_TEST_TMPDIR/node3/meta" >>"$BATS_TEST_TMPDIR/node3/broker.conf"
}
cluster_hook prepare metadata_apart_on_3

cluster_up() {
	start_cluster 3 "${SETTINGS[@]}"
	wait_cluster_alive
	SLOG_BROKERS=$(all_brokers)
	export SLOG_BROKERS
	slog-topics create t -P 3 -R 3 -c min.insync.replicas=2 -c segment.ms=100
}

# offline_at ID: the wall-clock time (seconds) at which node ID logged
# that a log dir went offline; fails while it has not.
offline_at() {
	local line
	line=$(grep -m1 'log dir .* is offline' "$BATS_TEST_TMPDIR/node$1/broker.log") || return 1
	date -u -d "${line%% *}" +%s.%N
}

# direct_start URL P: in the background, POST one acks=all record at a
# time to partition P of topic t on URL until direct_stop, noting each
# request's start time and status in direct.log, and each acknowledged
# one in direct.acked as load_start does.
direct_start() {
	python3 - "$1" "$2" "$BATS_TEST_TMPDIR" <<'EOF' 3>&- &
import json, os, sys, time, urllib.error, urllib.request
url, part, tmp = sys.argv[1], int(sys.argv[2]), sys.argv[3]
target = "%s/v1/topics/t/partitions/%d/records?acks=all" % (url, part)
log, acked = open(tmp + "/direct.log", "w"), open(tmp + "/direct.acked", "w")
i, deadline = 0, time.monotonic() + 120
while not os.path.exists(tmp + "/direct.stop") and time.monotonic() < deadline:
    i += 1
    value = "direct-%06d" % i
    start = time.time()
    req = urllib.request.Request(target, data=value.encode(), method="POST",
                                 headers={"Content-Type": "text/plain"})
    try:
        with urllib.request.urlopen(req, timeout=35) as r:
            status, body = r.status, json.load(r)
    except urllib.error.HTTPError as e:
        status, body = e.code, None
    except (OSError, ValueError):
        status, body = 0, None
    log.write("%.3f %d\n" % (start, status))
    log.flush()
    if status == 200:
        acked.write("%d %d %s\n" % (part, body["base_offset"], value))
        acked.flush()
    time.sleep(0.03)
EOF
	DIRECT_PID=$!
	MEMBER_PIDS+=("$DIRECT_PID")
}

direct_stop() {
	touch "$BATS_TEST_TMPDIR/direct.stop"
	wait "$DIRECT_PID" 2>/dev/null || true
}

# direct_acked_only_before T: direct.log has an acknowledgement of a request
# started before T, at least one request started after T, and no
# acknowledgement of a request started after T (the broker's time and
# the client's are the same clock).
direct_acked_only_before() {
	awk -v t="$1" '
		$2 == 200 && $1 < t { before++ }
		$1 >= t { after++ }
		$2 == 200 && $1 >= t { bad++; print "acknowledged at " $1 ", after the failure at " t }
		END {
			if (!before) print "no request was acknowledged before the failure at " t
			if (!after) print "no request was sent after the failure at " t
			exit !(before && after && !bad)
		}' "$BATS_TEST_TMPDIR/direct.log" >&2
}

# offline_replica_of P ID: the partition's record marks ID's replica offline.
offline_replica_of() {
	partition_field t "$1" offline_replicas | jq -e --argjson id "$2" 'index($id) != null' >/dev/null
}

@test "a leader whose log dir fails gives the partition to another in-sync replica and acknowledges nothing after" {
	cluster_up
	local p t_fail
	p=$(topic_json t | jq -er '[.partitions[] | select(.leader == 3)][0].partition')
	direct_start "${NODE_URL[3]}" "$p"
	wait_for 200 grep -q ' 200$' "$BATS_TEST_TMPDIR/direct.log"
	load_start t 1000 200 load -p "$p"
	wait_for 400 offline_at 3
	t_fail=$(offline_at 3)
	# The leadership goes to another ISR member, and node 3 leaves the ISR.
	wait_for 200 leader_is_not t "$p" 3
	wait_for 100 not_in_isr t "$p" 3
	offline_replica_of "$p" 3
	run -0 partition_field t "$p" isr
	assert_output --regexp '^\[[12],[12]\]$'
	# Node 3 says why it is not ready.
	run -0 curl -s -w ' %{http_code}' "${NODE_URL[3]}/readyz"
	[[ "$output" == *'"status":"log_dir_offline"'*" 503" ]]
	load_wait
	direct_stop
	direct_acked_only_before "$t_fail"
	load_all_acked 1000
	check_acked t "$BATS_TEST_TMPDIR/load.acked" "$BATS_TEST_TMPDIR/direct.acked"
}

@test "a broker restarted after its log dir failed comes back as a follower and rejoins the ISR" {
	cluster_up
	local p l
	p=$(topic_json t | jq -er '[.partitions[] | select(.leader == 3)][0].partition')
	load_start t 600 200 load -p "$p"
	wait_for 400 offline_at 3
	wait_for 200 leader_is_not t "$p" 3
	l=$(partition_leader t "$p")
	load_wait
	load_all_acked 600
	kill_node 3
	# Started again without the fault: the disk was replaced.
	# shellcheck disable=SC2034 # start_node reads it
	NODE_WRAP[3]=""
	restart_node 3
	wait_for 400 in_isr t "$p" 3
	run -1 offline_replica_of "$p" 3
	run -0 partition_leader t "$p"
	assert_output "$l"
	run -0 curl -sf "${NODE_URL[3]}/readyz"
	produce_numbered t "$p" all after 20
	check_acked t "$BATS_TEST_TMPDIR/load.acked" "$BATS_TEST_TMPDIR/after.acked"
	replicas_converge t "$p"
}

@test "a follower whose log dir fails leaves the ISR at once while acks=all goes on with the other two" {
	cluster_up
	local p start
	p=$(led_by_other_than t 3)
	load_start t 1000 200 load -p "$p"
	wait_for 400 offline_at 3
	start=$SECONDS
	# Its broker reports it: no waiting out replica.lag.time.max.ms (30 s).
	wait_for 100 not_in_isr t "$p" 3
	[ $((SECONDS - start)) -lt 10 ]
	offline_replica_of "$p" 3
	run -0 partition_leader t "$p"
	[ "$output" != 3 ]
	load_wait
	load_all_acked 1000
	check_acked t "$BATS_TEST_TMPDIR/load.acked"
}

@test "the check of acknowledgements after the failure fails on one" {
	local log=$BATS_TEST_TMPDIR/direct.log
	printf '%s\n' '100.000 200' '100.400 200' '101.000 507' '101.200 421' >"$log"
	run -0 direct_acked_only_before 100.500
	printf '%s\n' '100.000 200' '101.000 507' '101.200 200' >"$log"
	run -1 direct_acked_only_before 100.500
	assert_output --partial 'acknowledged at 101.200'
	# A run that saw only one side of the failure proves nothing.
	printf '%s\n' '101.000 507' >"$log"
	run -1 direct_acked_only_before 100.500
	printf '%s\n' '100.000 200' >"$log"
	run -1 direct_acked_only_before 100.500
}
