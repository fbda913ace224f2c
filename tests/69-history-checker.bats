#!/usr/bin/env bats
# The fault suite's history checker (tests/fault/checker.py): fed a small
# history with one anomaly of each kind it must fail naming that kind; a
# clean history passes and duplicates are only counted.  Then one real
# run: a workload on three nodes while a partition leader is killed with
# -9 and started again, whose history must pass.  Needs no root.

load helpers
load cluster
load replication
load fault/history

setup() {
	H=$BATS_TEST_TMPDIR/h
	mkdir -p "$H"
	CHECKER=$BATS_TEST_DIRNAME/fault/checker.py
}

teardown() {
	workload_stop
	stop_members
	teardown_brokers
	no_sanitizer_reports
}

# clean_history: two writes acknowledged and read, one indeterminate, a
# group commit fetched back, and the final read of t-0 that holds them.
clean_history() {
	cat >"$H/h1.jsonl" <<'EOF'
{"t":100.0,"proc":"h1","type":"invoke","f":"produce","topic":"t","partition":0,"value":"h1-000001","node":1}
{"t":100.1,"proc":"h1","type":"ok","f":"produce","topic":"t","partition":0,"value":"h1-000001","node":1,"offset":0}
{"t":100.2,"proc":"h1","type":"invoke","f":"produce","topic":"t","partition":0,"value":"h1-000002","node":1}
{"t":100.3,"proc":"h1","type":"ok","f":"produce","topic":"t","partition":0,"value":"h1-000002","node":1,"offset":1}
{"t":100.4,"proc":"h1","type":"invoke","f":"produce","topic":"t","partition":0,"value":"h1-000003","node":1}
{"t":110.4,"proc":"h1","type":"info","f":"produce","topic":"t","partition":0,"value":"h1-000003","node":1,"error":"timed out"}
EOF
	cat >"$H/r1.jsonl" <<'EOF'
{"t":100.5,"proc":"r1","type":"ok","f":"read","topic":"t","partition":0,"offset":0,"value":"h1-000001"}
{"t":100.6,"proc":"r1","type":"ok","f":"read","topic":"t","partition":0,"offset":1,"value":"h1-000002"}
EOF
	cat >"$H/g1.jsonl" <<'EOF'
{"t":100.7,"proc":"g1","type":"invoke","f":"commit","group":"g","topic":"t","partition":0,"offset":2}
{"t":100.8,"proc":"g1","type":"ok","f":"commit","group":"g","topic":"t","partition":0,"offset":2}
{"t":100.9,"proc":"g1","type":"invoke","f":"committed","group":"g"}
{"t":101.0,"proc":"g1","type":"ok","f":"committed","group":"g","offsets":[{"topic":"t","partition":0,"offset":2}]}
EOF
	final_log 2 h1-000001 h1-000002
}

# final_log HW VALUE...: H/final.jsonl: t-0 holds the VALUEs from offset 0.
final_log() {
	local hw=$1 o=0 v
	shift
	: >"$H/final.jsonl"
	for v in "$@"; do
		echo "{\"t\":200.0,\"proc\":\"final\",\"type\":\"ok\",\"f\":\"read\",\"topic\":\"t\",\"partition\":0,\"offset\":$o,\"value\":\"$v\",\"final\":true}" >>"$H/final.jsonl"
		o=$((o + 1))
	done
	echo "{\"t\":200.1,\"proc\":\"final\",\"type\":\"ok\",\"f\":\"final\",\"topic\":\"t\",\"partition\":0,\"high_watermark\":$hw,\"log_start_offset\":0,\"leader\":1}" >>"$H/final.jsonl"
}

# fails_with KIND: the checker exits 1, counting KIND as the failure.
fails_with() {
	run -1 python3 "$CHECKER" "$H"
	assert_output --partial "result: FAIL ($1)"
	assert_output --partial "${1^^}: "
}

@test "a clean history passes the checker" {
	clean_history
	run -0 python3 "$CHECKER" "$H"
	assert_output --partial "result: pass"
	assert_output --partial "lost                             0  ok       acknowledged writes lost"
}

@test "an indeterminate write found twice is counted as a duplicate and passes" {
	clean_history
	final_log 4 h1-000001 h1-000002 h1-000003 h1-000003
	run -0 python3 "$CHECKER" "$H"
	assert_output --partial "duplicated                       1  counted  values written more than once"
	assert_output --partial "duplicated: 'h1-000003' is in t at 0/2, 0/3"
	assert_output --partial "result: pass"
}

@test "an acknowledged write missing from the final log fails the check as lost" {
	clean_history
	head -1 "$H/r1.jsonl" >"$H/r1.new" && mv "$H/r1.new" "$H/r1.jsonl"
	final_log 1 h1-000001
	echo '{"t":100.05,"proc":"nemesis","type":"info","f":"nemesis","fault":"kill","phase":"start","nodes":[2],"detail":""}' >"$H/nemesis.jsonl"
	fails_with lost
	assert_output --partial "'h1-000002' acknowledged at t-0 offset 1; the final read has nothing there"
	# The events around it are shown, with their times from the start,
	# and the last fault before them.
	assert_output --partial ">     +0.300 h1       ok     produce"
	assert_output --partial "last fault before:     +0.050 nemesis"
}

@test "acknowledgements whose offsets go back fail the check as reordered" {
	clean_history
	cat >>"$H/h1.jsonl" <<'EOF'
{"t":101.0,"proc":"h1","type":"invoke","f":"produce","topic":"t","partition":0,"value":"h1-000004","node":1}
{"t":101.1,"proc":"h1","type":"ok","f":"produce","topic":"t","partition":0,"value":"h1-000004","node":1,"offset":3}
{"t":101.2,"proc":"h1","type":"invoke","f":"produce","topic":"t","partition":0,"value":"h1-000005","node":1}
{"t":101.3,"proc":"h1","type":"ok","f":"produce","topic":"t","partition":0,"value":"h1-000005","node":1,"offset":2}
EOF
	final_log 4 h1-000001 h1-000002 h1-000005 h1-000004
	fails_with reordered
	assert_output --partial "'h1-000005' acknowledged after 'h1-000004', at offset 2 below its 3"
}

@test "an in-sync replica holding another value below the high watermark fails the check as two-valued" {
	clean_history
	echo '{"t":200.2,"proc":"final","type":"ok","f":"replica","topic":"t","partition":0,"replica":2,"high_watermark":2,"records":[[0,"h1-000001"],[1,"zz-000009"]]}' >>"$H/final.jsonl"
	fails_with two-valued
	assert_output --partial "t-0 offset 1 held 'h1-000002' (acknowledged to h1) and 'zz-000009' (replica 2's log)"
}

@test "a read that the final log no longer holds fails the check as vanished" {
	clean_history
	echo '{"t":110.5,"proc":"r1","type":"ok","f":"read","topic":"t","partition":0,"offset":2,"value":"h1-000003"}' >>"$H/r1.jsonl"
	fails_with vanished
	assert_output --partial "r1 read 'h1-000003' at t-0 offset 2; the final read has nothing there"
}

@test "a group offset fetched lower than before fails the check as regressed" {
	clean_history
	cat >>"$H/g1.jsonl" <<'EOF'
{"t":101.1,"proc":"g1","type":"invoke","f":"committed","group":"g"}
{"t":101.2,"proc":"g1","type":"ok","f":"committed","group":"g","offsets":[{"topic":"t","partition":0,"offset":1}]}
EOF
	fails_with regressed
	assert_output --partial "group g t-0: fetched 1 after a commit acknowledged 2"
}

@test "an acknowledgement by a broker after its fsync failed fails the check" {
	clean_history
	echo '{"t":100.15,"proc":"nemesis","type":"info","f":"nemesis","fault":"fsync-fail","phase":"start","nodes":[1],"detail":""}' >"$H/nemesis.jsonl"
	fails_with acked-after-fsync-failure
	assert_output --partial "broker 1 acknowledged 'h1-000002' (t-0 offset 1), sent after its fsync failed"
}

@test "acknowledgements after the fsync failure ended, or by another broker, pass" {
	clean_history
	cat >"$H/nemesis.jsonl" <<'EOF'
{"t":100.11,"proc":"nemesis","type":"info","f":"nemesis","fault":"fsync-fail","phase":"start","nodes":[2],"detail":""}
{"t":100.12,"proc":"nemesis","type":"info","f":"nemesis","fault":"fsync-fail","phase":"start","nodes":[1],"detail":""}
{"t":100.13,"proc":"nemesis","type":"info","f":"nemesis","fault":"fsync-fail","phase":"end","nodes":[1],"detail":"restarted"}
EOF
	run -0 python3 "$CHECKER" "$H"
	assert_output --partial "faults: 2 (fsync-fail 2)"
}

@test "a write refused on every attempt that is in the log fails the check" {
	clean_history
	cat >>"$H/h1.jsonl" <<'EOF'
{"t":111.0,"proc":"h1","type":"invoke","f":"produce","topic":"t","partition":0,"value":"h1-000004","node":1}
{"t":111.1,"proc":"h1","type":"fail","f":"produce","topic":"t","partition":0,"value":"h1-000004","node":1,"error":"NOT_ENOUGH_REPLICAS"}
EOF
	final_log 3 h1-000001 h1-000002 h1-000004
	fails_with failed-write-present
	assert_output --partial "'h1-000004' was refused on every attempt, yet is in t-0 at 2"
}

@test "a partition the final read could not read fails the check as unchecked" {
	clean_history
	echo '{"t":200.3,"proc":"final","type":"fail","f":"final","topic":"t","partition":1,"error":"no leader known"}' >>"$H/final.jsonl"
	fails_with unchecked
}

@test "a final read that skips an offset below the high watermark fails the check as a gap" {
	clean_history
	final_log 3 h1-000001 h1-000002
	fails_with gap
	assert_output --partial "the final read of t-0 lacks 1 offsets below the high watermark 3, from 2"
}

@test "a leader killed with -9 under the workload leaves a history that passes the check" {
	start_cluster 3 min.insync.replicas=2 broker.session.timeout.ms=2000 \
		broker.heartbeat.interval.ms=250 replica.lag.time.max.ms=2000 \
		auto.leader.rebalance.enable=false
	wait_cluster_alive
	workload_start "$H" t --partitions 3 --rate 150 --duration 60
	wait_for 400 workload_acked_at_least "$H" 100
	local l n
	l=$(partition_leader t 0)
	nemesis_note "$H" kill start "$l" "partition t-0's leader"
	kill_node "$l"
	wait_for 200 leader_is_not t 0 "$l"
	n=$(workload_acked "$H")
	wait_for 400 workload_acked_at_least "$H" $((n + 150))
	restart_node "$l"
	nemesis_note "$H" kill end "$l"
	n=$(workload_acked "$H")
	wait_for 400 workload_acked_at_least "$H" $((n + 60))
	workload_stop
	run -0 history_check "$H" t
	assert_output --partial "result: pass"
	# Writes were acknowledged on both sides of the kill, and the final
	# read and the group's fetches had something to check.
	run -0 python3 - "$H" <<'EOF'
import glob, json, sys
events = [json.loads(l) for f in glob.glob(sys.argv[1] + "/*.jsonl") for l in open(f)]
kill = next(e["t"] for e in events if e["f"] == "nemesis")
acks = [e["t"] for e in events if e["f"] == "produce" and e["type"] == "ok"]
print(sum(t < kill for t in acks), sum(t > kill for t in acks),
      sum(e["f"] == "read" and e.get("final", False) for e in events),
      sum(e["f"] == "committed" and e["type"] == "ok" for e in events))
EOF
	local before after final committed
	read -r before after final committed <<<"$output"
	echo "acknowledged before the kill $before, after $after; final read $final; group fetches $committed"
	[ "$before" -ge 100 ] && [ "$after" -ge 210 ] && [ "$final" -ge 310 ] && [ "$committed" -ge 1 ]
	# The final read speaks: one acknowledgement forged into the real
	# history is found lost, its offset holding two values.
	cp -r "$H" "$BATS_TEST_TMPDIR/forged"
	echo '{"t":1.0,"proc":"x1","type":"ok","f":"produce","topic":"t","partition":0,"value":"x1-000001","offset":1}' \
		>"$BATS_TEST_TMPDIR/forged/x1.jsonl"
	run -1 python3 "$CHECKER" "$BATS_TEST_TMPDIR/forged"
	assert_output --partial "result: FAIL (lost, two-valued)"
}
