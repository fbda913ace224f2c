#!/usr/bin/env bats
# Power loss under slog-connect's file sink: its files sit on lossyfs
# (tests/tool/lossyfs.c), which throws away at each cut whatever was not
# fsynced, file bytes and names alike.  The sink fsyncs every file, and
# the directory of every file and directory it made, before the group
# commits: after a cut the files must still hold every committed record.
# With file.fsync = never the same cut loses records, which shows the
# oracle can fail.  Needs root and FUSE.

load fault
load lossyfs
load ../connect

setup() {
	require_lossyfs
	start_broker
	OUT=$BATS_TEST_TMPDIR/out
	lossyfs_mount "$OUT"
}

teardown() {
	teardown_connect
	teardown_brokers
	lossyfs_unmount_all
}

# group_lag GROUP N: the group has committed all but N records.
group_lag() {
	slog-groups describe "$1" --json | jq -e --argjson n "$2" '.groups[0].lag == $n'
}

# sink_then_cut FSYNC: sink 2000 values into $OUT/t/part-%p.txt, wait
# until the group committed them all, kill -9 slog-connect and cut the
# power of $OUT; SURVIVED is how many distinct values the files still hold.
sink_then_cut() {
	slog-topics create t -P 2
	seq 1 2000 | slog-produce -t t --partitioner roundrobin
	start_connect "$(connector_conf fs connector.class=file-sink topics=t \
		"file.path=$OUT/%t/part-%p.txt" "file.fsync=$1")"
	wait_for 400 group_lag connect-fs 0
	kill_connect
	lossyfs_ctl "$OUT" cut >/dev/null
	SURVIVED=$(cat "$OUT"/t/part-*.txt 2>/dev/null | sort -u | wc -l)
}

@test "a power cut after the commit loses no record a file sink committed" {
	sink_then_cut commit
	[ "$SURVIVED" -eq 2000 ]
}

@test "without fsync the same power cut loses committed records" {
	sink_then_cut never
	[ "$SURVIVED" -lt 2000 ]
}
