#!/usr/bin/env bats
# Power loss: brokers whose data dirs sit on lossyfs (tests/tool/lossyfs.c)
# lose, at each cut, everything they had not fsynced, as a machine whose
# power fails does.  slog fsyncs before it counts a record as durable
# (replication.md §7), so no cut of one node, of the last in-sync
# replica, or of the whole cluster at once may lose an acknowledged
# record.  Slow and failing fsyncs come from lossyfs too.  Needs root and
# FUSE.
#
# The oracle is tests/replication.bash's: every acks=all acknowledgement
# is read back at its offset with its value, no offset holds two values,
# and the replicas hold the same bytes below the high watermark.

load fault
load ../cluster
load ../replication
load lossyfs

# As in 68-replication-faults: fencing after 2 s, out of the ISR after
# 2 s behind, leadership left where the faults put it.
FAST=(broker.session.timeout.ms=2000 broker.heartbeat.interval.ms=250
	replica.lag.time.max.ms=2000 auto.leader.rebalance.enable=false)

setup() {
	require_lossyfs
}

teardown() {
	stop_members
	teardown_brokers
	lossyfs_unmount_all
	no_sanitizer_reports
	lossyfs_no_sanitizer_reports
}

cluster_up() {
	start_cluster "$@"
	wait_cluster_alive
	SLOG_BROKERS=$(all_brokers)
	export SLOG_BROKERS
}

# writer SCRIPT: run python3 on SCRIPT in the mount $M (os imported, sync
# and fsync_dir defined).
writer() {
	(cd "$M" && SOCK=$(lossyfs_sock "$M") && export SOCK SLOG_LOSSYFS && python3 -c "
import os
def sync(name, data, mode='wb'):
    with open(name, mode) as f:
        f.write(data); f.flush(); os.fsync(f.fileno())
def fsync_dir(name='.'):
    fd = os.open(name, os.O_RDONLY | os.O_DIRECTORY); os.fsync(fd); os.close(fd)
$1")
}

@test "lossyfs keeps the bytes a fsync covered and drops the rest at a power cut" {
	M=$BATS_TEST_TMPDIR/m
	lossyfs_mount "$M"
	writer "
sync('kept', b'durable')
with open('kept', 'ab') as f: f.write(b'+lost')
sync('shrunk', b'0123456789')
os.truncate('shrunk', 4)
sync('grown', b'ab')
with open('grown', 'r+b') as f: f.truncate(1); f.seek(5); f.write(b'x')
with open('dd', 'wb') as f: f.write(b'A' * 10000); f.flush(); os.fdatasync(f.fileno()); f.write(b'B' * 10000)
fsync_dir()"
	[ "$(cat "$M/kept")" = durable+lost ]
	[ "$(stat -c %s "$M/shrunk")" = 4 ]
	[ "$(lossyfs_stat "$M" dirty_files)" = 4 ]
	run -0 lossyfs_ctl "$M" cut
	assert_output --regexp '^ok cut: [0-9]+ bytes of 4 files dropped'
	[ "$(cat "$M/kept")" = durable ]
	[ "$(cat "$M/shrunk")" = 0123456789 ]
	[ "$(cat "$M/grown")" = ab ]
	[ "$(stat -c %s "$M/dd")" = 10000 ]
	[ "$(tr -d A <"$M/dd" | wc -c)" = 0 ]
	# What a fsync covers after the cut is there after the next.
	writer "sync('kept', b'again', 'ab')"
	lossyfs_ctl "$M" cut
	[ "$(cat "$M/kept")" = durableagain ]
}

@test "lossyfs undoes the names whose directory was not fsynced at a power cut" {
	M=$BATS_TEST_TMPDIR/m
	lossyfs_mount "$M"
	writer "
sync('old', b'1'); sync('gone', b'2'); sync('moved', b'3'); os.mkdir('d')
fsync_dir()
os.mkdir('d2'); sync('d2/f', b'6'); fsync_dir('d2')
sync('new', b'4')
os.unlink('gone')
os.rename('moved', 'd/there')
sync('tmp', b'5'); os.rename('tmp', 'old')"
	run -0 ls "$M"
	assert_output "$(printf '%s\n' d d2 new old)"
	run -0 lossyfs_ctl "$M" cut
	run -0 ls -A "$M"
	# d2's fsync made d2/f durable, and with it every change before (an
	# ordered journal, as ext4's): d2 itself stays.
	assert_output "$(printf '%s\n' d d2 gone moved old)"
	[ "$(cat "$M/old")" = 1 ]
	[ "$(cat "$M/gone")" = 2 ]
	[ "$(cat "$M/moved")" = 3 ]
	[ "$(cat "$M/d2/f")" = 6 ]
}

@test "lossyfs agrees with a model of page cache and disk under random writes, truncates and fsyncs" {
	M=$BATS_TEST_TMPDIR/m
	lossyfs_mount "$M"
	local seed=$RANDOM
	echo "seed $seed" >&2
	writer "
import random, subprocess
rnd = random.Random($seed)
seen, disk = bytearray(), bytearray()
def same(what):
    with open('f', 'rb') as g: got = g.read()
    assert got == bytes(what), 'read %d bytes, the model has %d' % (len(got), len(what))
sync('f', b'')
fsync_dir()
fd = os.open('f', os.O_RDWR)
for step in range(3000):
    op = rnd.random()
    if op < 0.6:
        off, n = rnd.randrange(0, 70000), rnd.randrange(1, 9000)
        data = bytes([rnd.randrange(256)]) * n
        os.pwrite(fd, data, off)
        if off > len(seen): seen.extend(bytes(off - len(seen)))
        seen[off:off + n] = data
    elif op < 0.75:
        size = rnd.randrange(0, 80000)
        os.ftruncate(fd, size)
        del seen[size:]
        seen.extend(bytes(size - len(seen)))
    elif op < 0.85:
        os.fsync(fd)
        disk = bytearray(seen)
    elif op < 0.95:
        same(seen)
    else:
        os.close(fd)
        subprocess.run([os.environ['SLOG_LOSSYFS'], '--ctl', os.environ['SOCK'], 'cut'],
                       check=True, stdout=subprocess.DEVNULL)
        seen = bytearray(disk)
        same(disk)
        fd = os.open('f', os.O_RDWR)
os.close(fd)"
}

# ---- the oracle sees a loss ---------------------------------------------------

# one_broker_cut [SETTING]...: a broker on lossyfs, 200 records
# acknowledged with acks=all to t-0, a power cut, the broker started
# again; LEFT is how many of them it still holds.
one_broker_cut() {
	local set=() v
	for v in "$@"; do set+=(--set "$v"); done
	lossyfs_mount "$BATS_TEST_TMPDIR/broker/data"
	start_broker "${set[@]}"
	slog-topics create t -P 1
	produce_numbered t 0 all acked 200
	[ "$(acked_count acked)" = 200 ]
	kill -KILL "$BROKER_PID"
	wait "$BROKER_PID" 2>/dev/null || true
	lossyfs_ctl "$BATS_TEST_TMPDIR/broker/data" cut >&2
	BROKER_PORT_WANTED=$BROKER_PORT start_broker "${set[@]}"
	LEFT=$(slog-consume -t t -p 0 -e -q --timeout-ms 5000 | grep -c '^acked-') || true
	echo "$LEFT of 200 acknowledged records left" >&2
}

@test "a broker that answers before it fsyncs loses acknowledged records at a power cut" {
	# log.flush.on.ack=false is Kafka's way (and NATS's before its
	# Jepsen report): the suite must see what it costs.
	one_broker_cut log.flush.on.ack=false
	[ "$LEFT" -lt 200 ]
}

@test "a broker that fsyncs before it answers keeps every acknowledged record at a power cut" {
	one_broker_cut
	[ "$LEFT" = 200 ]
}

# ---- power cuts of brokers ---------------------------------------------------

# cut_dropped ID: the bytes node ID's file system has dropped at its cuts.
cut_dropped() {
	lossyfs_stat "$(power_dir "$1")" dropped_bytes
}

# every_partition_led TOPIC N: each of its N partitions has a leader in
# its ISR (with unclean election off, the clean path found one).
every_partition_led() {
	topic_json "$1" | jq -e --argjson n "$2" '[.partitions[] | .leader as $l |
		select($l >= 0 and (.isr | index($l)) != null)] | length == $n' >/dev/null
}

# all_in_isr TOPIC N: every replica of each of its N partitions is in
# the ISR again.
all_in_isr() {
	topic_json "$1" | jq -e --argjson n "$2" '[.partitions[] |
		select((.isr | length) == (.replicas | length))] | length == $n' >/dev/null
}

# figure LINE: a line for tests/fault/power-loop (and the TAP log).
figure() {
	echo "# figure: $*" >&3
}

# load_stop: end the load at once (SIGKILL: a SIGTERM would let it wait
# out its requests in flight, a minute when no broker answers them);
# what it had not heard back about is indeterminate, and so is a line
# the kill cut short.
load_stop() {
	local f=$BATS_TEST_TMPDIR/$LOAD_NAME.acked
	kill -KILL "$LOAD_PID" 2>/dev/null || true
	wait "$LOAD_PID" 2>/dev/null || true
	if [ -s "$f" ] && [ "$(tail -c 1 "$f" | wc -l)" = 0 ]; then
		python3 -c "import sys; d = open(sys.argv[1], 'rb').read(); open(sys.argv[1], 'wb').write(d[:d.rfind(b'\\n') + 1])" "$f"
	fi
}

# cuts_verdict KIND ROUNDS ACKED-FILE...: every acknowledged record of
# the rounds is read back, the replicas agree, and the figures line.
cuts_verdict() {
	local kind=$1 rounds=$2 id dropped=0 acked
	shift 2
	check_acked t "$@"
	for id in 1 2 3; do dropped=$((dropped + $(cut_dropped "$id"))); done
	acked=$(cat "$@" | wc -l)
	figure "$kind power cuts=$rounds acked=$acked lost=0 dropped_bytes=$dropped"
	replicas_converge t 0 1 2
}

# single_node_cuts ROUNDS: ROUNDS power cuts, one node at a time, each
# under its own acks=all load: the leader of partition 0 on even rounds,
# a follower of it on odd ones (a minority whose tail is cut, which must
# truncate by epoch and rejoin).  Each round waits for the whole ISR
# before the next cut.
single_node_cuts() {
	local rounds=$1 i id l files=()
	for ((i = 1; i <= rounds; i++)); do
		l=$(partition_leader t 0)
		if ((i % 2 == 0)); then id=$l; else id=$(((l % 3) + 1)); fi
		load_start t 400 1000 "r$i"
		wait_for 200 acked_at_least 100 "r$i"
		echo "$(date +%T.%N) round $i: power cut of node $id" >&2
		power_cut "$id"
		restart_node "$id"
		echo "$(date +%T.%N) round $i: node $id listens again" >&2
		load_wait
		load_all_acked 400 "r$i"
		files+=("$BATS_TEST_TMPDIR/r$i.acked")
		echo "$(date +%T.%N) round $i: load acknowledged" >&2
		wait_for 600 all_in_isr t 3 || { topic_json t >&2; return 1; }
		echo "$(date +%T.%N) round $i: every replica in the ISR" >&2
	done
	cuts_verdict single-node "$rounds" "${files[@]}"
}

@test "power cuts of one broker at a time under acks=all load lose no acknowledged record" {
	power_node_dirs 1 2 3
	cluster_up 3 "${FAST[@]}"
	slog-topics create t -P 3 -R 3 -c min.insync.replicas=2
	single_node_cuts "${POWER_CUTS_SINGLE:-2}"
}

# whole_cluster_cuts ROUNDS: ROUNDS power cuts of all three nodes at
# once, each under its own acks=all load, the nodes started again in a
# random order.  The load stops at the cut (what it had not heard back
# about is indeterminate); a second load after each restart must be
# acknowledged whole.  Unclean election is off (the default), so a
# leader for every partition means the clean path (ISR, ELR, last
# leader) found one.
whole_cluster_cuts() {
	local rounds=$1 i id files=() order
	for ((i = 1; i <= rounds; i++)); do
		load_start t 100000 1000 "w$i"
		wait_for 200 acked_at_least 100 "w$i"
		power_cut 1 2 3
		LOAD_NAME=w$i load_stop
		files+=("$BATS_TEST_TMPDIR/w$i.acked")
		order=$(shuf -e 1 2 3 | tr '\n' ' ')
		echo "round $i: started again in the order $order" >&2
		for id in $order; do
			start_node "$id"
		done
		for id in 1 2 3; do
			wait_for 400 node_listening "$id" || return 1
		done
		wait_cluster_alive
		wait_for 400 every_partition_led t 3 || { topic_json t >&2; return 1; }
		load_start t 200 1000 "a$i"
		load_wait
		load_all_acked 200 "a$i"
		files+=("$BATS_TEST_TMPDIR/a$i.acked")
		wait_for 600 all_in_isr t 3 || { topic_json t >&2; return 1; }
	done
	cuts_verdict whole-cluster "$rounds" "${files[@]}"
}

@test "power cuts of the whole cluster, started again in random order, lose no acknowledged record" {
	power_node_dirs 1 2 3
	cluster_up 3 "${FAST[@]}"
	slog-topics create t -P 3 -R 3 -c min.insync.replicas=2
	run -0 topic_json t
	[ "$(jq -r '.configs[] | select(.name == "unclean.leader.election.enable") | .value' <<<"$output")" = false ]
	whole_cluster_cuts "${POWER_CUTS_WHOLE:-1}"
	# The metadata log is on lossyfs too: libraft's O_DSYNC writes.
	[ "$(lossyfs_stat "$(power_dir 1)" sync_writes)" -gt 0 ]
}

# ---- the scenarios of replication.md §9 ------------------------------------------

# In these the controller (node 1) holds no replica of the partition
# under test and its disk is not cut: the faults hit the brokers 2-4 only.

# observers_up: node 1 the one controller, brokers 2, 3 and 4 on lossyfs;
# topic t (4 partitions, RF 3, min.insync.replicas 2); P is a partition
# without node 1, L its leader and F1, F2 its followers.
observers_up() {
	local ids
	power_node_dirs 2 3 4
	cluster_up 1 --observers 3 "${FAST[@]}" "$@"
	slog-topics create t -P 4 -R 3 -c min.insync.replicas=2
	P=$(partition_without t 1)
	L=$(partition_leader t "$P")
	mapfile -t ids < <(partition_field t "$P" replicas | jq -r --argjson l "$L" '.[] | select(. != $l)')
	F1=${ids[0]} F2=${ids[1]}
}

@test "the last in-sync replica losing power loses no acknowledged record (KIP-966)" {
	observers_up
	load_start t 2000 1000 load -p "$P"
	wait_for 200 acked_at_least 300
	power_cut "$F1"
	wait_for 200 not_in_isr t "$P" "$F1"
	power_cut "$F2"
	wait_for 200 isr_is t "$P" "$L"
	# The ISR is below min.insync.replicas: the high watermark stands
	# still and F2, which holds everything below it, is eligible.
	run -0 partition_field t "$P" elr
	assert_output "[$F2]"
	power_cut "$L"
	# The last replica standing comes back first, with its unsynced tail
	# gone, and leads again; the others truncate to it.
	restart_node "$L"
	wait_for 400 leader_is t "$P" "$L"
	restart_node "$F1"
	restart_node "$F2"
	load_wait
	check_acked t "$BATS_TEST_TMPDIR/load.acked"
	load_all_acked 2000
	replicas_converge t "$P"
}

@test "a leader that loses power with an unsynced tail truncates it by epoch and rejoins" {
	observers_up
	load_start t 2000 1000 load -p "$P"
	wait_for 200 acked_at_least 300
	# Its fsyncs lag by half a second: what it appended meanwhile is in
	# no durable state when the power goes.
	lossyfs_ctl "$(power_dir "$L")" fsync-delay 500
	wait_for 100 test "$(lossyfs_stat "$(power_dir "$L")" dirty_bytes)" -gt 0
	power_cut "$L"
	[ "$(cut_dropped "$L")" -gt 0 ]
	lossyfs_ctl "$(power_dir "$L")" fsync-delay 0
	wait_for 200 leader_is_not t "$P" "$L"
	restart_node "$L"
	wait_for 400 in_isr t "$P" "$L"
	load_wait
	check_acked t "$BATS_TEST_TMPDIR/load.acked"
	load_all_acked 2000
	replicas_converge t "$P"
}

@test "a follower whose fsync takes 5 s leaves the ISR while acks=all goes on" {
	observers_up
	load_start t 100000 500 load -p "$P"
	wait_for 200 acked_at_least 200
	lossyfs_ctl "$(power_dir "$F1")" fsync-delay 5000
	# Its network is fine and it keeps fetching, but its durable offset
	# lags: out after replica.lag.time.max.ms (2 s).
	wait_for 300 not_in_isr t "$P" "$F1"
	local n
	n=$(acked_count)
	wait_for 200 acked_at_least $((n + 200))
	not_in_isr t "$P" "$F1"
	lossyfs_ctl "$(power_dir "$F1")" fsync-delay 0
	wait_for 400 in_isr t "$P" "$F1"
	LOAD_NAME=load load_stop
	check_acked t "$BATS_TEST_TMPDIR/load.acked"
	replicas_converge t "$P"
}

# produce_to ID VALUE: POST VALUE to partition P on node ID with
# acks=all; prints the body and the status.
produce_to() {
	curl -s -m 20 -w ' %{http_code}' -H 'Content-Type: text/plain' --data-binary "$2" \
		"${NODE_URL[$1]}/v1/topics/t/partitions/$P/records?acks=all"
}

@test "an fsync that fails on the leader acknowledges nothing after it and takes its log dir offline" {
	observers_up
	local dir i
	dir=$(power_dir "$L")
	load_start t 100000 500 load -p "$P"
	wait_for 200 acked_at_least 200
	lossyfs_ctl "$dir" fsync-fail on
	wait_for 200 grep -q "log dir $dir is offline" "$BATS_TEST_TMPDIR/node$L/broker.log"
	# Every write sent to it from now on is refused.
	for i in 1 2 3; do
		run -0 produce_to "$L" "after-$i"
		[[ "$output" != *" 200" ]]
	done
	run curl -s -w ' %{http_code}' "${NODE_URL[$L]}/readyz"
	[[ "$output" == *'"status":"log_dir_offline"'*"\"dir\":\"$dir\""*" 503" ]]
	run -0 curl -sf "${NODE_URL[$L]}/metrics"
	assert_line "slog_log_dir_offline{dir=\"$dir\"} 1"
	[ "$(lossyfs_stat "$dir" fsync_errors)" -gt 0 ]
	# What it held only in memory is gone with the power; everything
	# acknowledged is still there, and none of the refused writes.
	LOAD_NAME=load load_stop
	power_cut "$L"
	lossyfs_ctl "$dir" fsync-fail off
	restart_node "$L"
	check_acked t "$BATS_TEST_TMPDIR/load.acked"
	none_read t after
}
