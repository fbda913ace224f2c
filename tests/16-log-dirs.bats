#!/usr/bin/env bats
# Log dirs: a failed fsync takes the whole directory offline, and the
# broker says so; the high watermarks a stop leaves behind.  The fault is real to the broker: the test hook
# SLOG_FAULT_FSYNC_FAIL (fileio.h) fails every fsync of matching paths.

load helpers

# produce_to TOPIC PARTITION: POST one record with acks=all; prints the
# body and the status.
produce_to() {
	curl -s -w ' %{http_code}' -H 'Content-Type: text/plain' --data-binary 'r' \
		"$BROKER_URL/v1/topics/$1/partitions/$2/records?acks=all"
}

# dir_of TOPIC-N: the log dir that holds the partition.
dir_of() {
	local d
	for d in "$BROKER_DIR"/a "$BROKER_DIR"/b; do
		[ -d "$d/$1" ] && echo "$d" && return 0
	done
	return 1
}

@test "a failed fsync takes its log dir offline: no writes there, readyz and metrics name it" {
	local data=$BATS_TEST_TMPDIR/broker
	# The metadata log has a dir of its own: a failure of its dir would
	# stop the broker (the next test but one).
	SLOG_FAULT_FSYNC_FAIL=/doomed-0/0 start_broker --set "log.dirs=$data/a,$data/b" \
		--set "metadata.log.dir=$data/meta"
	slog-topics create doomed -P 1
	slog-topics create other -P 4
	local bad good same= elsewhere= p
	bad=$(dir_of doomed-0)
	for p in 0 1 2 3; do
		if [ "$(dir_of "other-$p")" = "$bad" ]; then same=$p; else elsewhere=$p; fi
	done
	[ -n "$same" ] && [ -n "$elsewhere" ]
	good=$(dir_of "other-$elsewhere")
	run produce_to other "$same"
	[[ "$output" == *" 200" ]]

	run produce_to doomed 0
	[[ "$output" == *KAFKA_STORAGE_ERROR*" 507" ]]
	# Its neighbour on the same disk acknowledges nothing more ...
	run produce_to other "$same"
	[[ "$output" == *KAFKA_STORAGE_ERROR*offline*" 507" ]]
	# ... while a partition on the other disk goes on.
	run produce_to other "$elsewhere"
	[[ "$output" == *" 200" ]]

	run curl -s -w ' %{http_code}' "$BROKER_URL/readyz"
	[[ "$output" == *'"status":"log_dir_offline"'*"\"dir\":\"$bad\""*" 503" ]]
	[[ "$output" != *"\"dir\":\"$good\""* ]]
	run curl -sf "$BROKER_URL/healthz"
	assert_success
	run curl -sf "$BROKER_URL/metrics"
	assert_success
	assert_line "slog_log_dir_offline{dir=\"$bad\"} 1"
	assert_line "slog_log_dir_offline{dir=\"$good\"} 0"
	assert_line --regexp '^slog_offline_partitions [2-9][0-9]*$'
	# The log says it once, naming the directory.
	[ "$(grep -c "log dir $bad is offline" "$BROKER_DIR/broker.log")" -eq 1 ]
}

@test "a restart brings an offline log dir back with every acknowledged record" {
	local meta=metadata.log.dir=$BATS_TEST_TMPDIR/meta
	SLOG_FAULT_FSYNC_FAIL=/doomed-0/0 start_broker --set "$meta"
	slog-topics create doomed -P 1
	slog-topics create kept -P 1
	seq 1 5 | slog-produce -t kept
	run produce_to doomed 0
	[[ "$output" == *" 507" ]]
	run curl -s -w ' %{http_code}' "$BROKER_URL/readyz"
	[[ "$output" == *" 503" ]]
	# Not a clean stop: the next start checks the directory in full.
	run stop_broker
	[ "$status" -ne 0 ]
	[ ! -e "$BROKER_DIR/data/.clean-shutdown" ]
	restart_broker --set "$meta"
	run curl -sf "$BROKER_URL/readyz"
	assert_output '{"status":"ready"}'
	run --separate-stderr slog-consume -t kept -e
	assert_success
	assert_output "$(seq 1 5)"
	echo more | slog-produce -t doomed
	run --separate-stderr slog-consume -t doomed -e -o -1
	assert_output more
}

@test "a failed fsync in the metadata log's dir stops the broker with status 1, and a restart keeps what it acknowledged" {
	SLOG_FAULT_FSYNC_FAIL=/doomed-0/0 start_broker
	slog-topics create doomed -P 1
	slog-topics create kept -P 1
	seq 1 5 | slog-produce -t kept
	run produce_to doomed 0
	[[ "$output" != *" 200" ]]
	# It stops by itself, as after SIGTERM, and says why.
	local rc=0
	wait_for 400 bash -c "! kill -0 $BROKER_PID"
	wait "$BROKER_PID" || rc=$?
	[ "$rc" = 1 ]
	grep -q "stopping: the metadata log's dir $BROKER_DIR/data/__cluster_metadata is offline" \
		"$BROKER_DIR/broker.log"
	restart_broker
	run --separate-stderr slog-consume -t kept -e
	assert_output "$(seq 1 5)"
}

@test "a stopped broker leaves each partition's high watermark in replication-offset-checkpoint" {
	start_broker
	slog-topics create hw -P 2
	local i
	for i in 1 2 3; do
		run produce_to hw 0
		[[ "$output" == *" 200" ]]
	done
	stop_broker
	run cat "$BROKER_DIR/data/replication-offset-checkpoint"
	assert_line "hw 0 3"
	assert_line "hw 1 0"
	restart_broker
	run --separate-stderr slog-consume -t hw -p 0 -e
	assert_success
	assert_output "$(printf 'r\nr\nr')"
}
