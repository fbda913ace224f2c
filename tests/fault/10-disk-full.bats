#!/usr/bin/env bats
# A full disk: writes fail with a storage error, reads go on, nothing
# acknowledged is lost, and nothing is corrupted.  Needs root (tmpfs).

load fault

setup() {
	require_root
	MNT=$BATS_TEST_TMPDIR/small
	mkdir -p "$MNT"
	mount -t tmpfs -o size=3m tmpfs "$MNT"
}

teardown() {
	teardown_brokers
	umount "$MNT" 2>/dev/null || umount -l "$MNT" 2>/dev/null || true
}

@test "a full disk answers with a storage error, keeps serving reads and corrupts nothing" {
	BROKER_DIR_OVERRIDE=1
	# The metadata quorum's log preallocates segments of 8 MiB: it lives
	# off the small disk, which is the partitions'.
	slog-broker --set listeners=127.0.0.1:0 --set "log.dirs=$MNT/data" --set log.segment.bytes=512KiB \
		--set "metadata.log.dir=$BATS_TEST_TMPDIR/metadata" \
		>>"$BATS_TEST_TMPDIR/broker.log" 2>&1 3>&- &
	BROKER_PID=$!
	BROKER_PIDS+=("$BROKER_PID")
	wait_for 400 grep -q "listening on" "$BATS_TEST_TMPDIR/broker.log" || { cat "$BATS_TEST_TMPDIR/broker.log"; false; }
	BROKER_PORT=$(grep -o 'listening on http://[^ ]*' "$BATS_TEST_TMPDIR/broker.log" | sed 's/.*://')
	export SLOG_BROKERS=127.0.0.1:$BROKER_PORT
	slog-topics create full
	# Fill the disk, then leave 200 KiB for the log.
	dd if=/dev/zero of="$MNT/filler" bs=64k status=none 2>/dev/null || true
	truncate -s -200K "$MNT/filler"

	run --separate-stderr bash -c "seq 1 2000000 | slog-produce -t full -O --timeout-ms 1500 --batch-bytes 16KiB >'$BATS_TEST_TMPDIR/acked'"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"KAFKA_STORAGE_ERROR"* || "$stderr" == *"No space left"* ]]
	local acked
	acked=$(count_lines "$BATS_TEST_TMPDIR/acked")
	[ "$acked" -gt 0 ]

	# Reads still work, and hold exactly what was acknowledged.
	run --separate-stderr slog-consume -t full -e
	assert_success
	[ "${#lines[@]}" -eq "$acked" ]
	[ "${lines[$((acked - 1))]}" -eq "$acked" ]
	run curl -s -w ' %{http_code}' -X POST "http://127.0.0.1:$BROKER_PORT/v1/topics/full/partitions/0/records" \
		--data-binary "$(head -c 100000 /dev/zero | tr '\0' z)"
	[[ "$output" == *KAFKA_STORAGE_ERROR*" 507" ]]

	# Room again: a restart finds a consistent log that takes writes.
	rm -f "$MNT/filler"
	stop_broker "$BROKER_PID" || true
	BROKER_PORT_WANTED=$BROKER_PORT
	slog-broker --set "listeners=127.0.0.1:$BROKER_PORT" --set "log.dirs=$MNT/data" \
		--set "metadata.log.dir=$BATS_TEST_TMPDIR/metadata" \
		>>"$BATS_TEST_TMPDIR/broker2.log" 2>&1 3>&- &
	BROKER_PID=$!
	BROKER_PIDS+=("$BROKER_PID")
	wait_for 400 grep -q "listening on" "$BATS_TEST_TMPDIR/broker2.log"
	run --separate-stderr slog-consume -t full -e
	[ "${#lines[@]}" -eq "$acked" ]
	echo more | slog-produce -t full
	run slog-consume -t full -e -o -1
	assert_output more
}
