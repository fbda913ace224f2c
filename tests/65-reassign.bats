#!/usr/bin/env bats
# tests/65-reassign.bats: the controller's partition changes on a cluster
# of three brokers started by hand (tests/cluster.bash): a killed
# leader's partitions elect another in-sync replica with a newer epoch; a
# fenced broker leaves every ISR, into the ELR when the ISR is below
# min.insync.replicas; the controller refuses an ISR change from a stale broker epoch,
# or an old partition epoch; a move by slog-topics shows in describe
# and ends with the new replicas in sync, the records copied; leadership
# goes back to the preferred replica; a bad move is a usage error
# before any request.

load helpers
load cluster

setup() {
	# The usage tests need no brokers.
	[[ $BATS_TEST_DESCRIPTION == *"usage"* ]] && return
	if [[ $BATS_TEST_DESCRIPTION == *"preferred"* ]]; then
		start_cluster 3 broker.session.timeout.ms=3s leader.imbalance.check.interval.seconds=1
	else
		start_cluster 3 broker.session.timeout.ms=3s
	fi
	wait_cluster_alive
}

# describe_json T: slog-topics describe T --json.
describe_json() {
	slog-topics -b "127.0.0.1:${NODE_PORT[$ASK]}" describe "$1" --json
}

# part T P FIELD: FIELD of partition P of T as node ASK describes it (compact JSON).
part() {
	describe_json "$1" | jq -c ".topics[0].partitions[] | select(.partition == $2) | .$3"
}

# part_is T P FILTER: a jq test on partition P of T, for wait_for.
part_is() {
	describe_json "$1" | jq -e ".topics[0].partitions[] | select(.partition == $2) | $3" >/dev/null
}

# every_node_has T N: every node has topic T with N partitions led.
every_node_has() {
	local i
	for ((i = 1; i <= CLUSTER_SIZE; i++)); do
		curl -sf "${NODE_URL[$i]}/v1/metadata?topics=$1" |
			jq -e ".topics[0].partitions | length == $2 and all(.leader > 0)" >/dev/null ||
			return 1
	done
}

# create T N RF: make topic T and wait until every node has it.
create() {
	slog-topics create "$1" -P "$2" -R "$3" && wait_for 200 every_node_has "$1" "$2"
}

# alter_isr BODY: POST /v1/cluster/partitions/alter to the controller;
# prints the answer, then the status on a line of its own.
alter_isr() {
	curl -s -w '\n%{http_code}' -X POST "${NODE_URL[$(cluster_controller)]}/v1/cluster/partitions/alter" \
		--json "$1"
}

# incarnation ID: broker ID's registered incarnation (its broker epoch).
incarnation() {
	cluster_json 1 | jq -r --argjson id "$1" '.brokers[] | select(.id == $id) | .incarnation'
}

# a node that is not $1
other_than() {
	local i
	for ((i = 1; i <= CLUSTER_SIZE; i++)); do
		[ "$i" != "$1" ] && echo "$i" && return 0
	done
}

@test "killing a partition leader's broker moves leadership to another ISR member with a newer epoch" {
	run -0 create moved 1 3
	ASK=1
	old=$(part moved 0 leader)
	epoch=$(part moved 0 leader_epoch)
	ASK=$(other_than "$old")
	kill -KILL "${NODE_PID[$old]}"
	run -0 wait_for 400 part_is moved 0 ".leader != $old and .leader > 0"
	run -0 part moved 0 leader_epoch
	[ "$output" -gt "$epoch" ]
	run -0 part moved 0 isr
	refute_output --partial "$old"
}

@test "a fenced broker leaves the ISR of every partition it holds" {
	run -0 create fence 2 3
	ASK=1
	victim=$(part fence 0 leader)
	ASK=$(other_than "$victim")
	kill -KILL "${NODE_PID[$victim]}"
	run -0 wait_for 400 state_is "$ASK" "$victim" fenced
	for p in 0 1; do
		run -0 wait_for 100 part_is fence "$p" "(.isr | index($victim)) == null"
		run -0 part fence "$p" replicas
		assert_output --partial "$victim"
	done
}

@test "the controller refuses an ISR change from a stale broker epoch" {
	run -0 create stale 1 3
	ASK=1
	leader=$(part stale 0 leader)
	run -0 alter_isr "{\"broker\":$leader,\"broker_epoch\":\"old\",\"topic\":\"stale\",\"partition\":0,
		\"leader_epoch\":0,\"partition_epoch\":0,\"isr\":[$leader]}"
	assert_line --index 1 409
	assert_line --index 0 --partial '"code":"STALE_BROKER_EPOCH"'
}

@test "the controller takes an ISR change from the leader and refuses an old partition epoch" {
	run -0 create shrink 1 3
	ASK=1
	leader=$(part shrink 0 leader)
	inc=$(incarnation "$leader")
	body="{\"broker\":$leader,\"broker_epoch\":\"$inc\",\"topic\":\"shrink\",\"partition\":0,
		\"leader_epoch\":0,\"partition_epoch\":0,\"isr\":[$leader]}"
	run -0 alter_isr "$body"
	assert_line --index 1 200
	run -0 jq -c '.partition | [.isr, .partition_epoch]' <<<"${lines[0]}"
	assert_output "[[$leader],1]"
	run -0 alter_isr "$body"
	assert_line --index 1 409
	assert_line --index 0 --partial '"code":"INVALID_UPDATE_VERSION"'
	run -0 alter_isr "${body/\"leader_epoch\":0/\"leader_epoch\":-1}"
	assert_line --index 1 400
}

@test "an ISR change asked of a broker that is not the controller answers NOT_CONTROLLER naming it" {
	run -0 create notc 1 3
	c=$(cluster_controller)
	f=$(other_than "$c")
	run -0 curl -s -w '\n%{http_code}' -X POST "${NODE_URL[$f]}/v1/cluster/partitions/alter" \
		--json '{"broker":1,"broker_epoch":"x","topic":"notc","partition":0,"leader_epoch":0,"partition_epoch":0,"isr":[1]}'
	assert_line --index 1 503
	run -0 jq -r '.error.code, .error.controller.id' <<<"${lines[0]}"
	assert_output "NOT_CONTROLLER
$c"
}

# ids_except LIST...: the ids 1..3 not among LIST, comma-separated.
ids_except() {
	local i out=""
	for i in 1 2 3; do
		[[ " $* " == *" $i "* ]] || out+="${out:+,}$i"
	done
	echo "$out"
}

@test "slog-topics alter --replicas moves a partition to fewer brokers and describe shows the new set" {
	run -0 create fewer 2 3
	ASK=1
	run -0 --separate-stderr slog-topics alter fewer --replicas '0=3,1;1=2,3'
	assert_stderr_has "partition fewer-0: replicas 3,1"
	run -0 wait_for 100 part_is fewer 0 '.replicas == [3,1] and (.isr | sort) == [1,3] and .adding == []'
	run -0 part fewer 1 replicas
	assert_output "[2,3]"
	run -0 part fewer 0 leader
	assert_output --regexp '^[13]$'
}

@test "a move to a broker that is down stays in progress and describe shows it" {
	run -0 create pending 1 1
	ASK=1
	old=$(part pending 0 leader)
	down=$(ids_except "$old" "$(cluster_controller)" | cut -d, -f1)
	ASK=$(ids_except "$down" | cut -d, -f1)
	kill -KILL "${NODE_PID[$down]}"
	run -0 wait_for 200 state_is "$ASK" "$down" fenced
	export SLOG_BROKERS=127.0.0.1:${NODE_PORT[$ASK]}
	run -0 --separate-stderr slog-topics alter pending --replicas "0=$down"
	assert_stderr_has "(moving)"
	run -0 wait_for 100 part_is pending 0 ".adding == [$down] and .removing == [$old]"
	run -0 part pending 0 replicas
	assert_output "[$down,$old]"
	run -0 --separate-stderr slog-topics describe pending
	assert_line "  Partition 0 is moving: adding $down, removing $old"
	# One move at a time.
	run -1 --separate-stderr slog-topics alter pending --replicas "0=$old"
	assert_stderr_has "partition 0: the partition is being moved already"
}

@test "slog-topics alter --reassignment-json takes Kafka's plan for several topics" {
	run -0 create plan_a 1 3
	run -0 create plan_b 1 3
	ASK=1
	cat >"$BATS_TEST_TMPDIR/plan.json" <<'EOF'
{"version":1,"partitions":[
 {"topic":"plan_a","partition":0,"replicas":[2,3],"log_dirs":["any","any"]},
 {"topic":"plan_b","partition":0,"replicas":[1,2]}]}
EOF
	run -0 --separate-stderr slog-topics alter --reassignment-json "$BATS_TEST_TMPDIR/plan.json"
	run -0 wait_for 100 part_is plan_a 0 '.replicas == [2,3]'
	run -0 wait_for 100 part_is plan_b 0 '.replicas == [1,2]'
	# With a name, the plan may move only that topic.
	run -2 --separate-stderr slog-topics alter plan_a --reassignment-json "$BATS_TEST_TMPDIR/plan.json"
	assert_stderr_has "the plan moves topic 'plan_b', not 'plan_a'"
}

@test "a move to a broker that is not registered is refused and changes nothing" {
	run -0 create unknown 1 3
	ASK=1
	run -1 --separate-stderr slog-topics alter unknown --replicas '0=1,2,9'
	assert_stderr_has "broker 9 is not registered"
	run -0 part unknown 0 replicas
	assert_output --regexp '^\[[1-3],[1-3],[1-3]\]$'
	run -1 --separate-stderr slog-topics alter unknown --replicas '5=1'
	assert_stderr_has "does not exist"
}

@test "slog-topics alter --replicas with bad input is a usage error" {
	local bad
	for bad in x 0 0= '0=1,1' '-1=1' '0=a' '0=1;' '0=0'; do
		run -2 --separate-stderr slog-topics -b 127.0.0.1:1 alter t --replicas "$bad"
		assert_stderr_has "slog-topics: --replicas:"
	done
	run -2 --separate-stderr slog-topics -b 127.0.0.1:1 alter --replicas '0=1'
	assert_stderr_has "alter needs a topic name"
	echo '{"partitions":[{"topic":"t","partition":0,"replicas":[]}]}' >"$BATS_TEST_TMPDIR/bad.json"
	run -2 --separate-stderr slog-topics -b 127.0.0.1:1 alter --reassignment-json "$BATS_TEST_TMPDIR/bad.json"
	assert_stderr_has "replicas must be a list"
	echo '{"partitions":' >"$BATS_TEST_TMPDIR/bad.json"
	run -2 --separate-stderr slog-topics -b 127.0.0.1:1 alter --reassignment-json "$BATS_TEST_TMPDIR/bad.json"
	assert_stderr_has "bad.json:"
	run -2 --separate-stderr slog-topics -b 127.0.0.1:1 alter t --replicas 0=1 --reassignment-json x
	assert_stderr_has "cannot use --replicas with --reassignment-json"
}

@test "a move to a new broker copies the records, ends once it is in sync, and describe shows the new set" {
	run -0 create journey 1 2
	ASK=1
	read -r a b < <(part journey 0 replicas | jq -r '"\(.[0]) \(.[1])"')
	c=$(ids_except "$a" "$b")
	run -0 slog-produce -t journey -p 0 --acks all <<<$'one\ntwo\nthree'
	epoch=$(part journey 0 leader_epoch)
	run -0 --separate-stderr slog-topics alter journey --replicas "0=$c,$a"
	run -0 wait_for 400 part_is journey 0 ".replicas == [$c,$a] and .adding == [] and .removing == []"
	run -0 part journey 0 'isr | sort'
	assert_output "$(jq -cn --argjson a "$a" --argjson c "$c" '[$a, $c] | sort')"
	run -0 part journey 0 leader_epoch
	[ "$output" -gt "$epoch" ]
	run -0 part journey 0 high_watermark
	assert_output 3
	run -0 --separate-stderr slog-consume -t journey -o beginning -e
	assert_output $'one\ntwo\nthree'
}

@test "leadership goes back to the preferred replica once it is back in sync" {
	run -0 create home 1 3
	ASK=1
	preferred=$(part home 0 'replicas[0]')
	run -0 part home 0 leader
	assert_output "$preferred"
	ASK=$(other_than "$preferred")
	export SLOG_BROKERS=127.0.0.1:${NODE_PORT[$ASK]}
	kill -KILL "${NODE_PID[$preferred]}"
	run -0 wait_for 400 part_is home 0 ".leader != $preferred and .leader > 0"
	run -0 slog-produce -t home -p 0 --acks all <<<'while away'
	start_node "$preferred"
	run -0 wait_for 600 part_is home 0 ".leader == $preferred"
	run -0 part home 0 isr
	assert_output --partial "$preferred"
}

@test "a broker fenced while its ISR is below min.insync.replicas becomes an eligible leader until min.insync.replicas changes, and describe shows it" {
	run -0 slog-topics create strict -P 1 -R 3 -c min.insync.replicas=3
	run -0 wait_for 200 every_node_has strict 1
	ASK=1
	leader=$(part strict 0 leader)
	victim=$(ids_except "$leader" "$(cluster_controller)" | cut -d, -f1)
	ASK=$(ids_except "$victim" | cut -d, -f1)
	export SLOG_BROKERS=127.0.0.1:${NODE_PORT[$ASK]}
	kill -KILL "${NODE_PID[$victim]}"
	run -0 wait_for 400 part_is strict 0 ".elr == [$victim] and (.isr | index($victim)) == null"
	run -0 --separate-stderr slog-topics describe strict
	assert_line "  Partition 0 eligible leaders (ELR): $victim"
	# It was made for the old min.insync.replicas.
	run -0 --separate-stderr slog-topics alter strict -c min.insync.replicas=2
	run -0 wait_for 100 part_is strict 0 '.elr == []'
}
