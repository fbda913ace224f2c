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
	(cd "$M" && python3 -c "
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

# ---- power cuts of brokers ---------------------------------------------------

# cut_dropped ID: the bytes node ID's file system has dropped at its cuts.
cut_dropped() {
	lossyfs_stat "$(power_dir "$1")" dropped_bytes
}

# every_partition_led TOPIC N: each of its N partitions has a leader in
# its ISR (with unclean election off, the clean path found one).
every_partition_led() {
	topic_json "$1" | jq -e --argjson n "$2" '[.partitions[] | select(.leader >= 0 and
		(.isr | index(.leader)) != null)] | length == $n' >/dev/null
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

# single_node_cuts ROUNDS: ROUNDS power cuts, one node at a time, each
# under its own acks=all load: the leader of partition 0 on even rounds,
# a follower of it on odd ones (a minority whose tail is cut, which must
# truncate by epoch and rejoin).  Each round waits for the whole ISR
# before the next cut.
single_node_cuts() {
	local rounds=$1 i id l files=() dropped=0 acked=0
	for ((i = 1; i <= rounds; i++)); do
		l=$(partition_leader t 0)
		if ((i % 2 == 0)); then id=$l; else id=$(((l % 3) + 1)); fi
		load_start t 400 1000 "r$i"
		wait_for 200 acked_at_least 100 "r$i"
		power_cut "$id"
		restart_node "$id"
		load_wait
		load_all_acked 400 "r$i"
		files+=("$BATS_TEST_TMPDIR/r$i.acked")
		wait_for 600 all_in_isr t 3 || { topic_json t >&2; return 1; }
	done
	check_acked t "${files[@]}"
	for id in 1 2 3; do dropped=$((dropped + $(cut_dropped "$id"))); done
	acked=$(cat "${files[@]}" | wc -l)
	figure "single-node power cuts=$rounds acked=$acked lost=0 dropped_bytes=$dropped"
	replicas_converge t 0 1 2
}

@test "power cuts of one broker at a time under acks=all load lose no acknowledged record" {
	power_node_dirs 1 2 3
	cluster_up 3 "${FAST[@]}"
	slog-topics create t -P 3 -R 3 -c min.insync.replicas=2
	single_node_cuts "${POWER_CUTS_SINGLE:-4}"
}
