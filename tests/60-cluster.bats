#!/usr/bin/env bats
# Clusters as a user makes them with slog-cluster: each test starts its own
# on 127.0.0.1 in its own directory, on ports slog-cluster finds free, and
# teardown kills exactly the brokers whose pids that cluster wrote.

load helpers

SLOG_CLUSTER=$SLOG_ROOT/share/cluster/slog-cluster
export SLOG_BROKER=$SLOG_BIN/slog-broker
# A node that takes longer than this to register is a failure, not a wait.
export SLOG_CLUSTER_TIMEOUT=60 SLOG_CLUSTER_STOP_TIMEOUT=10

CLUSTER_DIRS=()

# cluster_start N [NAME]: a cluster of N nodes in $BATS_TEST_TMPDIR/NAME
# (default "c"); sets DIR and BROKERS.
cluster_start() {
	DIR=$BATS_TEST_TMPDIR/${2:-c}
	CLUSTER_DIRS+=("$DIR")
	run --separate-stderr "$SLOG_CLUSTER" start -n "$1" -d "$DIR"
	if [ "$status" -ne 0 ]; then
		echo "slog-cluster start -n $1 failed ($status):" "$stderr" >&2
		return 1
	fi
	BROKERS=$output
	[ "$(cat "$DIR/brokers")" = "$BROKERS" ]
}

# url ID [DIR]: node ID's base URL.
url() {
	local d=${2:-$DIR}
	echo "http://127.0.0.1:$(sed -n 's/^listeners = 127\.0\.0\.1://p' "$d/node$1/broker.conf")"
}

# addr ID: node ID's host:port, as -b takes it.
addr() {
	url "$1" | sed 's|^http://||'
}

# cluster_json ID: GET /v1/cluster from node ID.
cluster_json() {
	curl -sf --max-time 5 "$(url "$1")/v1/cluster"
}

# metadata ID: node ID's /v1/metadata, keys sorted, one line.
metadata() {
	curl -sf --max-time 5 "$(url "$1")/v1/metadata" | jq -cS .
}

# agree IDS...: every node named answers the same /v1/metadata as the first.
agree() {
	local first id m
	first=$(metadata "$1") || return 1
	for id in "${@:2}"; do
		m=$(metadata "$id") || return 1
		[ "$m" = "$first" ] || return 1
	done
}

# has_topic ID TOPIC: node ID's metadata lists TOPIC.
has_topic() {
	curl -sf --max-time 5 "$(url "$1")/v1/metadata" |
		jq -e --arg t "$2" '[.topics[]? | select(.name == $t)] | length == 1' >/dev/null
}

controller_of() {
	cluster_json "$1" | jq -er '.controller.id'
}

# new_controller OLD ID: node ID sees a controller other than OLD.
new_controller() {
	local c
	c=$(controller_of "$2") && [ "$c" != "$1" ]
}

teardown() {
	local d f pid
	for d in "${CLUSTER_DIRS[@]}"; do
		for f in "$d"/node*/pid; do
			[ -e "$f" ] || continue
			pid=$(cat "$f")
			# Only a process still running this cluster's config is ours.
			tr '\0' '\n' 2>/dev/null <"/proc/$pid/cmdline" | grep -qxF "${f%/pid}/broker.conf" &&
				kill -KILL "$pid" 2>/dev/null
		done
	done
	teardown_brokers
}

@test "three nodes come up, register, and answer the same metadata after a create" {
	cluster_start 3
	run -0 cluster_json 2
	[ "$(jq '[.brokers[] | select(.state == "alive")] | length' <<<"$output")" = 3 ]
	[ "$(jq -c '[.quorum.voters[].id] | sort' <<<"$output")" = "[1,2,3]" ]
	jq -e '.controller.id | IN(1, 2, 3)' <<<"$output"
	run -0 slog-topics -b "$BROKERS" create orders -P 3
	# Answered once every alive broker has it: no wait is needed, but the
	# bound on that wait is not the point here.
	wait_for 100 agree 1 2 3
	has_topic 3 orders
}

@test "kill -9 of the controller: another node is elected and creates still work" {
	cluster_start 3
	local old others=() id
	old=$(controller_of 1)
	run -0 "$SLOG_CLUSTER" kill -d "$DIR" "$old"
	for id in 1 2 3; do [ "$id" = "$old" ] || others+=("$id"); done
	wait_for 200 new_controller "$old" "${others[0]}"
	wait_for 200 new_controller "$old" "${others[1]}"
	run -0 slog-topics -b "$(addr "${others[0]}"),$(addr "${others[1]}")" --timeout-ms 10000 \
		create after-failover -P 2
	has_topic "${others[0]}" after-failover
	wait_for 100 agree "${others[@]}"
}

@test "a node restarted after 10,000 metadata records catches up through a snapshot" {
	# A snapshot every 16 entries, keeping 16 behind it: a node 50
	# entries behind cannot be sent the entries it lacks.
	SLOG_METADATA_SNAPSHOT_RECORDS=16 cluster_start 3
	local i ctl node cfg=$BATS_TEST_TMPDIR/creates
	# The node restarted is one that is not the controller.
	ctl=$(controller_of 1)
	node=$((ctl % 3 + 1))
	run -0 "$SLOG_CLUSTER" kill -d "$DIR" "$node"
	# 10,050 records: 50 topics of 200 partitions (a topic record and one
	# per partition each), one entry each, on one kept-alive connection.
	for ((i = 1; i <= 50; i++)); do
		[ "$i" = 1 ] || echo next
		printf 'url = "%s/v1/topics"\nheader = "Content-Type: application/json"\n' "$(url "$ctl")"
		printf 'data = "{\\"name\\":\\"bulk-%d\\",\\"partitions\\":200}"\n' "$i"
		printf 'output = "/dev/null"\nwrite-out = "%%{http_code}\\n"\n'
	done >"$cfg"
	run -0 curl -s -K "$cfg"
	[ "$(grep -c '^201$' <<<"$output")" = 50 ]
	run -0 "$SLOG_CLUSTER" start-node -d "$DIR" "$node"
	wait_for 200 agree 1 2 3
	has_topic "$node" bulk-50
	# It was sent the leader's snapshot: the entries it lacked were gone.
	grep -q "installed a snapshot from the leader" "$DIR/node$node/broker.log"
}

@test "five nodes: three voters and two observers, all with the same metadata" {
	cluster_start 5
	run -0 cluster_json 4
	[ "$(jq '[.brokers[] | select(.state == "alive")] | length' <<<"$output")" = 5 ]
	[ "$(jq -c '[.quorum.voters[].id] | sort' <<<"$output")" = "[1,2,3]" ]
	grep -qx 'process.roles = broker' "$DIR/node4/broker.conf"
	grep -qx 'process.roles = broker' "$DIR/node5/broker.conf"
	# An admin request to an observer reaches the controller.
	run -0 slog-topics -b "$(addr 4)" create seen-everywhere -P 5
	wait_for 100 agree 1 2 3 4 5
	has_topic 5 seen-everywhere
}

@test "a node with another cluster's id refuses to start, naming both ids" {
	cluster_start 1 other
	local other_id ours_id props
	other_id=$(sed -n 's/^cluster.id=//p' "$DIR/node1/data/meta.properties")
	cluster_start 3
	props=$DIR/node3/data/meta.properties
	ours_id=$(sed -n 's/^cluster.id=//p' "$props")
	[ -n "$other_id" ] && [ -n "$ours_id" ] && [ "$other_id" != "$ours_id" ]
	run -0 "$SLOG_CLUSTER" stop -d "$DIR"
	sed -i "s/^cluster.id=.*/cluster.id=$other_id/" "$props"
	SLOG_CLUSTER_TIMEOUT=20 run -1 "$SLOG_CLUSTER" start-node -d "$DIR" 3
	assert_output --partial "node 3"
	assert_output --partial "$other_id"
	assert_output --partial "$ours_id"
}

@test "slog-broker with no configuration is still one node that serves as before" {
	start_broker
	run -0 slog-topics create plain -P 2
	run -0 bash -c 'printf "a\nb\n" | slog-produce -t plain -p 0'
	run -0 slog-consume -t plain -p 0 -o beginning -e
	assert_output "a
b"
	run -0 curl -sf "$BROKER_URL/v1/cluster"
	[ "$(jq -c '[.brokers[] | {id, state}]' <<<"$output")" = '[{"id":1,"state":"alive"}]' ]
	[ "$(jq -c '[.quorum.voters[].id]' <<<"$output")" = "[1]" ]
	[ "$(jq -c '.controller.id' <<<"$output")" = 1 ]
}

@test "slog-cluster status names each node, its pid and state; stop leaves none running" {
	cluster_start 2
	run -0 "$SLOG_CLUSTER" status -d "$DIR"
	assert_line --regexp "^1 [0-9]+ running alive$"
	assert_line --regexp "^2 [0-9]+ running alive$"
	local pids
	pids=$(cat "$DIR"/node*/pid)
	run -0 "$SLOG_CLUSTER" stop -d "$DIR"
	for pid in $pids; do
		! kill -0 "$pid" 2>/dev/null || [ "$(awk '{print $3}' "/proc/$pid/stat")" = Z ]
	done
	run -0 "$SLOG_CLUSTER" status -d "$DIR"
	assert_output "1 - stopped -
2 - stopped -"
}

@test "a node that cannot start is named with the end of its log, and the others are stopped" {
	DIR=$BATS_TEST_TMPDIR/c
	CLUSTER_DIRS+=("$DIR")
	mkdir -p "$DIR/node2"
	# A file where node 2's data directory goes.
	echo x >"$DIR/node2/data"
	run -1 "$SLOG_CLUSTER" start -n 2 -d "$DIR"
	assert_output --partial "node 2 exited while starting; the end of $DIR/node2/broker.log:"
	assert_output --partial "$DIR/node2/data"
	run -0 "$SLOG_CLUSTER" status -d "$DIR"
	assert_output "1 - stopped -
2 - stopped -"
	[ ! -e "$DIR/brokers" ]
}

@test "slog-cluster configs writes one config a host that the broker accepts" {
	local out=$BATS_TEST_TMPDIR/conf
	run -0 "$SLOG_CLUSTER" configs -n 4 --hosts mq1,mq2,mq3,mq4 -o "$out"
	assert_output "$out/broker-1.conf
$out/broker-2.conf
$out/broker-3.conf
$out/broker-4.conf"
	grep -qx 'controller.quorum.voters = 1@mq1:9293,2@mq2:9293,3@mq3:9293' "$out/broker-4.conf"
	grep -qx 'controller.quorum.bootstrap.servers = mq1:9292,mq2:9292,mq3:9292' "$out/broker-4.conf"
	grep -qx 'process.roles = broker' "$out/broker-4.conf"
	grep -qx 'process.roles = broker,controller' "$out/broker-3.conf"
	grep -qx 'advertised.listeners = mq2:9292' "$out/broker-2.conf"
	grep -qx 'log.dirs = /var/lib/slog/broker-2' "$out/broker-2.conf"
	local id
	for id in 1 2 3 4; do
		cd "$BATS_TEST_TMPDIR"
		run -0 slog-broker -c "$out/broker-$id.conf" --check-config
	done
}

@test "slog-cluster usage errors exit 2 and say what is wrong" {
	run -2 "$SLOG_CLUSTER"
	assert_output --partial "a command is needed"
	run -2 "$SLOG_CLUSTER" start -d "$BATS_TEST_TMPDIR/c"
	assert_output --partial "start needs -n N"
	run -2 "$SLOG_CLUSTER" start -n x -d "$BATS_TEST_TMPDIR/c"
	assert_output --partial "-n wants a number of nodes"
	run -2 "$SLOG_CLUSTER" configs -n 3 --hosts a,b -o "$BATS_TEST_TMPDIR/conf"
	assert_output --partial "--hosts names 2 hosts for 3 brokers"
	run -2 "$SLOG_CLUSTER" kill -d "$BATS_TEST_TMPDIR/c"
	assert_output --partial "kill needs a node ID"
	run -2 "$SLOG_CLUSTER" frobnicate
	assert_output --partial "unknown command 'frobnicate'"
	[ ! -e "$BATS_TEST_TMPDIR/c" ]
}
