#!/usr/bin/env bats
# Brokers in a cluster: registration, heartbeats, fencing, observers.

load helpers
load cluster

# incarnation ON ID: broker ID's incarnation as node ON lists it.
incarnation() {
	cluster_json "$1" | jq -r --argjson id "$2" '.brokers[] | select(.id == $id) | .incarnation'
}

# logged ID TEXT: node ID's log holds TEXT.
logged() {
	grep -q -- "$2" "$BATS_TEST_TMPDIR/node$1/broker.log"
}

@test "a single broker is alive and ready in its own cluster" {
	start_broker
	run -0 curl -sf "$BROKER_URL/readyz"
	run -0 curl -sf "$BROKER_URL/v1/cluster"
	[ "$(jq -r '.brokers[0].state' <<<"$output")" = alive ]
	[ "$(jq -r '.controller.id' <<<"$output")" = 1 ]
	[ "$(jq -r '.quorum.voters[0].lag' <<<"$output")" = 0 ]
}

@test "a poll of the metadata log waits for the next change and gets it" {
	start_broker
	local offset
	offset=$(curl -sf "$BROKER_URL/v1/meta/records" | jq .offset)
	curl -sf --max-time 20 "$BROKER_URL/v1/meta/records?after=$offset&wait_ms=15000" \
		>"$BATS_TEST_TMPDIR/poll" &
	local poll=$!
	slog-topics create polled
	wait_for 100 test -s "$BATS_TEST_TMPDIR/poll"
	wait "$poll"
	run -0 jq -r '.entries[0].records[] | select(.type == "topic") | .name' "$BATS_TEST_TMPDIR/poll"
	assert_output polled
}

@test "a bad heartbeat is refused with 400" {
	start_broker
	run -0 curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
		-d '{"id":0,"incarnation":"x","endpoints":[],"meta_offset":0}' \
		"$BROKER_URL/v1/cluster/heartbeat"
	assert_output 400
	run -0 curl -s -H 'Content-Type: application/json' \
		-d '{"id":2,"incarnation":"x","endpoints":[],"meta_offset":0,"extra":1}' \
		"$BROKER_URL/v1/cluster/heartbeat"
	assert_output --partial 'unknown field \"extra\"'
}

@test "every broker of a three-node cluster is alive in /v1/cluster" {
	start_cluster 3
	wait_cluster_alive
	for i in 1 2 3; do
		run -0 cluster_json "$i"
		[ "$(jq '[.brokers[] | select(.state == "alive")] | length' <<<"$output")" = 3 ]
		[ "$(jq '.quorum.voters | length' <<<"$output")" = 3 ]
		[ "$(jq -r '.controller.url' <<<"$output")" != null ]
	done
}

@test "a heartbeat to a node that is not the controller is sent to the controller" {
	start_cluster 3
	wait_cluster_alive
	local f c
	f=$(a_follower)
	c=$(cluster_controller)
	run -0 curl -s -w ' %{http_code}' -H 'Content-Type: application/json' \
		-d '{"id":9,"incarnation":"x","endpoints":[],"meta_offset":0}' \
		"${NODE_URL[$f]}/v1/cluster/heartbeat"
	assert_output --partial NOT_CONTROLLER
	assert_output --partial "\"url\":\"${NODE_URL[$c]}\""
	[[ "$output" == *" 503" ]]
}

@test "a broker killed with -9 is fenced at once when its connection closes" {
	# A session far longer than the wait: only the closed connection can fence.
	start_cluster 3 broker.session.timeout.ms=60s
	wait_cluster_alive
	local f c
	f=$(a_follower)
	c=$(cluster_controller)
	kill -KILL "${NODE_PID[$f]}"
	wait_for 60 state_is "$c" "$f" fenced
	wait_for 60 logged "$c" "broker $f (incarnation .*) fenced: its heartbeat connection closed"
}

@test "a broker that stops heartbeating is fenced after the session timeout" {
	start_cluster 3 broker.session.timeout.ms=1500ms
	wait_cluster_alive
	local f c
	f=$(a_follower)
	c=$(cluster_controller)
	# Stopped, its connection stays open: only its silence can fence it,
	# and not before the session timeout less one heartbeat interval
	# (500 ms) from the stop, however slowly this test polls.
	local t0 ms
	t0=$(date +%s%N)
	kill -STOP "${NODE_PID[$f]}"
	wait_for 100 state_is "$c" "$f" fenced
	ms=$((($(date +%s%N) - t0) / 1000000))
	[ "$ms" -ge 900 ] || { echo "fenced $ms ms after its stop"; false; }
	kill -CONT "${NODE_PID[$f]}"
	wait_for 60 logged "$c" "broker $f (incarnation .*) fenced: no heartbeat for over 1500 ms"
	wait_for 200 state_is "$c" "$f" alive
}

@test "a broker stopped with SIGTERM shuts down, then is fenced" {
	start_cluster 3
	wait_cluster_alive
	local f c
	f=$(a_follower)
	c=$(cluster_controller)
	stop_broker "${NODE_PID[$f]}"
	wait_for 100 state_is "$c" "$f" fenced
	wait_for 60 logged "$c" "broker $f (incarnation .*) fenced"
	run -0 grep -E "broker $f \(incarnation [^)]*\) (shutting down|fenced)" \
		"$BATS_TEST_TMPDIR/node$c/broker.log"
	[ "${#lines[@]}" = 2 ]
	[[ "${lines[0]}" == *"shutting down"* ]]
	[[ "${lines[1]}" == *fenced* ]]
}

@test "an observer follows the topics created on the controllers" {
	start_cluster 3 --observers 1
	wait_cluster_alive
	# One partition per broker, the observer's included.  The controller's
	# answer is not what this test is about.
	curl -s -o /dev/null -H 'Content-Type: application/json' -d '{"name":"seen","partitions":4}' \
		"${NODE_URL[$(cluster_controller)]}/v1/topics"
	wait_for 400 bash -c "curl -sf '${NODE_URL[4]}/v1/metadata?topics=seen' |
		jq -e '.topics[0].partitions | length == 4'" || {
		cat "$BATS_TEST_TMPDIR/node4/broker.log"
		false
	}
	# Its own image, not the controller's answer: every broker alive.
	run -0 curl -sf -H 'Slog-Forwarded: 1' "${NODE_URL[4]}/v1/cluster"
	[ "$(jq '[.brokers[] | select(.state == "alive")] | length' <<<"$output")" = 4 ]
	[ "$(jq '.quorum' <<<"$output")" = null ]
	# Its long poll does not hold up its shutdown.
	stop_broker "${NODE_PID[4]}" || {
		cat "$BATS_TEST_TMPDIR/node4/broker.log"
		false
	}
}

@test "a broker restarted comes back alive with a new incarnation" {
	start_cluster 3
	wait_cluster_alive
	local f c before
	f=$(a_follower)
	c=$(cluster_controller)
	before=$(incarnation "$c" "$f")
	stop_broker "${NODE_PID[$f]}"
	wait_for 100 state_is "$c" "$f" fenced
	start_node "$f"
	wait_for 400 node_listening "$f"
	wait_for 200 state_is "$c" "$f" alive
	[ "$(incarnation "$c" "$f")" != "$before" ]
	wait_for 100 curl -sf "${NODE_URL[$f]}/readyz"
}

@test "after the controller is killed, the new one keeps the others alive and fences it" {
	start_cluster 3 broker.session.timeout.ms=2s
	wait_cluster_alive
	local c n i
	c=$(cluster_controller)
	kill -KILL "${NODE_PID[$c]}"
	for ((i = 1; i <= 3; i++)); do
		[ "$i" != "$c" ] && n=$i
	done
	new_controller() {
		local id
		id=$(cluster_json "$n" | jq -r '.controller.id // empty')
		[ -n "$id" ] && [ "$id" != "$c" ]
	}
	wait_for 400 new_controller
	wait_for 200 state_is "$n" "$c" fenced
	for ((i = 1; i <= 3; i++)); do
		[ "$i" = "$c" ] || state_is "$n" "$i" alive
	done
}

@test "a topic is served by every broker as soon as its creation is answered" {
	start_cluster 3
	wait_cluster_alive
	local c i
	c=$(cluster_controller)
	# One partition on each broker: each serves the topic once it has
	# published the change.
	run -0 curl -sf -H 'Content-Type: application/json' -d '{"name":"everywhere","partitions":3}' \
		"${NODE_URL[$c]}/v1/topics"
	for i in 1 2 3; do
		run -0 curl -sf "${NODE_URL[$i]}/v1/metadata?topics=everywhere"
		[ "$(jq '.topics[0].partitions | length' <<<"$output")" = 3 ]
	done
}

@test "an observer restarted while the controller is down answers 503, not 'does not exist', until it has the metadata" {
	start_cluster 1 --observers 1
	wait_cluster_alive
	slog-topics -b "127.0.0.1:${NODE_PORT[1]}" create known
	wait_for 400 bash -c "curl -sf '${NODE_URL[2]}/v1/metadata?topics=known' |
		jq -e '.topics[0].partitions | length == 1'"
	stop_broker "${NODE_PID[1]}"
	stop_broker "${NODE_PID[2]}"
	start_node 2
	wait_for 400 node_listening 2
	run -0 curl -s -w '\n%{http_code}' "${NODE_URL[2]}/v1/metadata?topics=known"
	assert_line --index 1 503
	assert_line --index 0 --partial BROKER_NOT_AVAILABLE
	run -0 curl -s -o /dev/null -w '%{http_code}' --data-binary x \
		"${NODE_URL[2]}/v1/topics/known/partitions/0/records"
	assert_output 503
	start_node 1
	wait_for 400 bash -c "curl -sf '${NODE_URL[2]}/v1/metadata?topics=known' |
		jq -e '.topics[0].partitions | length == 1'"
}
