#!/usr/bin/env bats
# The offsets of a group without members go after offsets.retention.minutes:
# the scheduler runs the groups' expiry job, which writes tombstones and
# forgets the group.

load helpers

@test "an idle group's offsets expire; a group with a member keeps them" {
	start_broker --set offsets.retention.minutes=3s --set offsets.retention.check.interval.ms=100 \
		--set group.min.session.timeout.ms=500
	slog-topics create t -P 2
	curl -sf -X POST "$BROKER_URL/v1/groups/idle/offsets" \
		--json '{"offsets":[{"topic":"t","partition":0,"offset":1},{"topic":"t","partition":1,"offset":2}]}' >/dev/null
	run curl -s "$BROKER_URL/v1/groups/idle"
	[ "$(jq '.partitions | length' <<<"$output")" -eq 2 ]
	# A member keeps its group, and the group's offsets, past the retention.
	member=$(curl -sf -X POST "$BROKER_URL/v1/groups/busy/heartbeat" --json '{"topics":["t"]}')
	id=$(jq -r .member_id <<<"$member")
	epoch=$(jq -r .member_epoch <<<"$member")
	curl -sf -X POST "$BROKER_URL/v1/groups/busy/heartbeat" \
		--json "{\"member_id\":\"$id\",\"member_epoch\":$epoch,\"owned\":$(jq -c .assignment <<<"$member")}" >/dev/null
	curl -sf -X POST "$BROKER_URL/v1/groups/busy/offsets" \
		--json "{\"member_id\":\"$id\",\"member_epoch\":$epoch,\"offsets\":[{\"topic\":\"t\",\"partition\":0,\"offset\":5}]}" >/dev/null
	# The member heartbeats until the idle group is gone.
	gone=
	for _ in $(seq 80); do
		curl -sf -X POST "$BROKER_URL/v1/groups/busy/heartbeat" \
			--json "{\"member_id\":\"$id\",\"member_epoch\":$epoch}" >/dev/null
		if [ "$(curl -s -o /dev/null -w '%{http_code}' "$BROKER_URL/v1/groups/idle")" = 404 ]; then
			gone=1
			break
		fi
		sleep 0.25
	done
	[ -n "$gone" ]
	run curl -sf "$BROKER_URL/v1/groups/busy/offsets"
	[ "$(jq -c '[.offsets[] | [.partition, .offset]]' <<<"$output")" = '[[0,5]]' ]
	# The tombstones are durable: after a restart the idle group stays gone.
	restart_broker --set group.min.session.timeout.ms=500
	# The restarted broker leads again, then reads its groups back.
	wait_for 200 curl -sf -o /dev/null "$BROKER_URL/v1/groups/busy/offsets"
	wait_for 200 bash -c "[ \$(curl -s -o /dev/null -w '%{http_code}' '$BROKER_URL/v1/groups/idle') != 503 ]"
	run curl -s -o /dev/null -w '%{http_code}' "$BROKER_URL/v1/groups/idle"
	[ "$output" = 404 ]
	run curl -sf "$BROKER_URL/v1/groups/busy/offsets"
	[ "$(jq -c '[.offsets[] | [.partition, .offset]]' <<<"$output")" = '[[0,5]]' ]
}
