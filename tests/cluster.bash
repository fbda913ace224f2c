# tests/cluster.bash: several brokers on loopback, started by hand.
#
# start_cluster writes one configuration per node, as an operator would
# (node.id, listeners, controller.quorum.voters with each voter's Raft
# port, controller.quorum.bootstrap.servers, log.dirs), starts every node
# and waits until each says it is listening.  Node I keeps its data and
# log in $BATS_TEST_TMPDIR/nodeI; NODE_PID[I], NODE_PORT[I] and
# NODE_URL[I] say where it runs.  Every PID also goes to BROKER_PIDS, so
# the shared teardown stops exactly these processes.
#
# Two lists of hooks let tests place nodes elsewhere, several at once
# (a namespace, a faked clock, a data dir on another file system).  Each
# function named in CLUSTER_PLACE_HOOKS is called with ID once the ports
# are chosen and may set NODE_HOST[ID] (the node's address, default
# 127.0.0.1) or add to NODE_WRAP[ID] (words run before slog-broker, such
# as "ip netns exec NS"); each in CLUSTER_PREPARE_HOOKS is called with ID
# before the node first starts (to mount its data directory, say).  Add a
# hook with cluster_hook.

NODE_PID=()
NODE_PORT=()
NODE_RAFT=()
NODE_URL=()
NODE_SKIP=()
NODE_HOST=()
NODE_WRAP=()
CLUSTER_PLACE_HOOKS=()
CLUSTER_PREPARE_HOOKS=()

# cluster_hook place|prepare FUNCTION: call FUNCTION ID for every node
# (once, however often it is added), after the hooks added before it.
cluster_hook() {
	local -n hooks=CLUSTER_${1^^}_HOOKS
	local h
	for h in "${hooks[@]}"; do
		[ "$h" = "$2" ] && return 0
	done
	hooks+=("$2")
}

# run_cluster_hooks place|prepare ID
run_cluster_hooks() {
	local -n hooks=CLUSTER_${1^^}_HOOKS
	local h
	for h in "${hooks[@]}"; do
		"$h" "$2" || return 1
	done
}

# node_host ID: the address node ID listens on.
node_host() {
	echo "${NODE_HOST[$1]:-127.0.0.1}"
}

# write_node_config ID ROLES [KEY=VALUE]...: DIR/nodeID/broker.conf.
write_node_config() {
	local id=$1 roles=$2 dir=$BATS_TEST_TMPDIR/node$1 voters="" boot="" v
	shift 2
	for v in $CLUSTER_VOTERS; do
		voters+="${voters:+,}$v@$(node_host "$v"):${NODE_RAFT[$v]}"
		boot+="${boot:+,}$(node_host "$v"):${NODE_PORT[$v]}"
	done
	mkdir -p "$dir"
	{
		echo "node.id = $id"
		echo "process.roles = $roles"
		echo "listeners = $(node_host "$id"):${NODE_PORT[$id]}"
		echo "controller.quorum.voters = $voters"
		echo "controller.quorum.bootstrap.servers = $boot"
		echo "log.dirs = $dir/data"
		for v in "$@"; do
			echo "${v%%=*} = ${v#*=}"
		done
	} >"$dir/broker.conf"
}

# start_node ID: start node ID on its configuration; wait for its port.
start_node() {
	local id=$1 dir=$BATS_TEST_TMPDIR/node$1 log skip wrap
	log=$dir/broker.log
	touch "$log"
	skip=$(($(wc -l <"$log") + 1))
	read -ra wrap <<<"${NODE_WRAP[$id]:-}"
	# "ip netns exec" execs the broker, so $! is the broker's PID.
	"${wrap[@]}" slog-broker -c "$dir/broker.conf" >>"$log" 2>&1 3>&- &
	NODE_PID[$id]=$!
	BROKER_PIDS+=("$!")
	NODE_SKIP[$id]=$skip
}

# node_listening ID: the node's latest run said it listens.
node_listening() {
	tail -n +"${NODE_SKIP[$1]}" "$BATS_TEST_TMPDIR/node$1/broker.log" | grep -q 'listening on'
}

# start_cluster N [--observers M] [KEY=VALUE]...: N voting nodes (both
# roles), then M nodes that are only brokers; the settings go to every
# node.  Waits until every node listens.
start_cluster() {
	local n=$1 observers=0 i ports
	shift
	if [ "${1:-}" = --observers ]; then
		observers=$2
		shift 2
	fi
	mapfile -t ports < <(free_ports $((2 * (n + observers))))
	CLUSTER_VOTERS=""
	for ((i = 1; i <= n + observers; i++)); do
		NODE_PORT[$i]=${ports[$((2 * i - 2))]}
		NODE_RAFT[$i]=${ports[$((2 * i - 1))]}
		run_cluster_hooks place "$i" || return 1
		NODE_URL[$i]=http://$(node_host "$i"):${NODE_PORT[$i]}
		[ "$i" -le "$n" ] && CLUSTER_VOTERS+=" $i"
	done
	for ((i = 1; i <= n + observers; i++)); do
		if [ "$i" -le "$n" ]; then
			write_node_config "$i" broker,controller "$@"
		else
			write_node_config "$i" broker "$@"
		fi
		run_cluster_hooks prepare "$i" || return 1
		start_node "$i"
	done
	for ((i = 1; i <= n + observers; i++)); do
		if ! wait_for 400 node_listening "$i"; then
			echo "node $i did not start:" >&2
			cat "$BATS_TEST_TMPDIR/node$i/broker.log" >&2
			return 1
		fi
	done
	CLUSTER_SIZE=$((n + observers))
	export SLOG_BROKERS=$(node_host 1):${NODE_PORT[1]}
}

# all_brokers [ID]: every node's address (but node ID's), as a client's
# bootstrap list.
all_brokers() {
	local i list=""
	for ((i = 1; i <= CLUSTER_SIZE; i++)); do
		[ "$i" = "${1:-}" ] || list+="${list:+,}$(node_host "$i"):${NODE_PORT[$i]}"
	done
	echo "$list"
}

# cluster_json ID: GET /v1/cluster on node ID.
cluster_json() {
	curl -sf --max-time 5 "${NODE_URL[$1]}/v1/cluster"
}

# broker_state ON ID: broker ID's state as node ON's /v1/cluster says.
broker_state() {
	cluster_json "$1" | jq -r --argjson id "$2" '.brokers[] | select(.id == $id) | .state'
}

# state_is ON ID STATE: for wait_for.
state_is() {
	[ "$(broker_state "$1" "$2")" = "$3" ]
}

# alive_count_is ON N: node ON lists N brokers alive.
alive_count_is() {
	[ "$(cluster_json "$1" | jq '[.brokers[] | select(.state == "alive")] | length')" = "$2" ]
}

# cluster_controller: the controller's id as node 1 (or the first node
# that answers) reports it.
cluster_controller() {
	local i id
	for ((i = 1; i <= CLUSTER_SIZE; i++)); do
		id=$(cluster_json "$i" | jq -r '.controller.id // empty') || continue
		[ -n "$id" ] && echo "$id" && return 0
	done
	return 1
}

# wait_cluster_alive: every node is alive and ready.
wait_cluster_alive() {
	local i
	wait_for 400 alive_count_is 1 "$CLUSTER_SIZE" || {
		cluster_json 1 >&2
		return 1
	}
	for ((i = 1; i <= CLUSTER_SIZE; i++)); do
		wait_for 200 curl -sf "${NODE_URL[$i]}/readyz" || return 1
	done
}

# a_follower: a voting node that is not the controller.
a_follower() {
	local c i
	c=$(cluster_controller) || return 1
	for ((i = 1; i <= CLUSTER_SIZE; i++)); do
		[ "$i" != "$c" ] && echo "$i" && return 0
	done
	return 1
}
