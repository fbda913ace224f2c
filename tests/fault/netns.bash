# tests/fault/netns.bash: brokers in network namespaces, and the faults
# nftables can make between them.  Load after helpers and cluster.
#
# netns_setup N makes a bridge in the root namespace and N namespaces,
# each joined to it by a veth pair, and adds netns_place_node to the cluster's place hooks so
# that start_cluster puts node I in namespace I at its own address.
# Clients stay in the root namespace ("node 0") and reach every node
# through the bridge, whose address they send from.
#
# Every fault is a drop rule in the receiving node's own nftables table
# (a table in a namespace dies with it, so nothing outlives a test): a
# packet from A to B is dropped as it arrives at B, the way a cut cable
# loses it, so the sender's socket sees silence, not an error.  Packets
# to node 0 are dropped as they leave the node instead: the root
# namespace's rules are the machine's, never touched here.  The cut
# itself is an element of a set (cut_from: sources dropped on input,
# cut_to: destinations dropped on output), so a cut is healed on its
# own, atomically, by deleting the element.
#
# Names and subnets are unique per run: two bats passes run side by
# side as root.  A run takes a slot S (0-255) under a lock in
# /run/slog-netns, marked with its owner (BATS_ROOT_PID and its start
# time); its namespaces are slogfSnI, its bridge slogfSbr, its veths
# slogfSvI, its subnet 10.213.S.0/24 (SLOG_NETNS_BASE changes the
# 10.213).  A slot whose owner is gone is swept before slots are handed
# out: its namespaces (and whatever still runs in them), bridge and
# veths go.
#
# Without root only the delay proxy works (proxy_* below, on loopback);
# netns_setup then skips the test with the reason.

NETNS_RUN_DIR=/run/slog-netns
NETNS_TABLE=slog_fault
NETNS_SLOT=
NETNS_N=0
NET_FLAP_PID=
NET_FLAP_PIDS=()
PROXY_PIDS=()
declare -gA PROXY_PORT=() PROXY_STATE=() PROXY_FRONT=()

# ---- the slot: names, subnet, owner ------------------------------------------

netns_prefix() { echo "slogf$1"; }

# netns_name I / netns_addr I: node I's namespace and address (node 0:
# the root namespace, whose address on the bridge is .1).
netns_name() { echo "$(netns_prefix "$NETNS_SLOT")n$1"; }
netns_addr() {
	if [ "$1" = 0 ]; then
		echo "$NETNS_NET.1"
	else
		echo "$NETNS_NET.$((10 + $1))"
	fi
}

# netns_owner_id PID: "PID STARTTIME" (the start time tells a reused PID
# from the process that took the slot); fails if PID is not running.
netns_owner_id() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	echo "$1 $(echo "$stat" | cut -d' ' -f20)"
}

# netns_sweep S: remove what slot S made: kill what still runs in its
# namespaces (brokers of a run that died; nothing else enters them),
# delete the namespaces, the veths and the bridge.
netns_sweep() {
	local prefix ns pids
	prefix=$(netns_prefix "$1")
	for ns in $(ip netns list 2>/dev/null | awk '{ print $1 }' | grep "^${prefix}n[0-9]*$"); do
		mapfile -t pids < <(ip netns pids "$ns" 2>/dev/null)
		[ "${#pids[@]}" = 0 ] || kill -KILL "${pids[@]}" 2>/dev/null || true
		ip netns del "$ns" 2>/dev/null || true
	done
	for ns in $(ip -o link show 2>/dev/null | awk -F': ' '{ print $2 }' | sed 's/@.*//' |
		grep "^${prefix}\(v[0-9]*\|br\)$"); do
		ip link del "$ns" 2>/dev/null || true
	done
	rm -rf "${NETNS_RUN_DIR:?}/$1"
}

# netns_take_slot: under the lock, sweep the slots of dead runs and take
# the lowest free one whose subnet no route uses; prints it.
netns_take_slot() {
	local me s owner
	me=$(netns_owner_id "${BATS_ROOT_PID:-$$}") || return 1
	mkdir -p "$NETNS_RUN_DIR"
	(
		flock 9 || exit 1
		for s in "$NETNS_RUN_DIR"/*/; do
			[ -d "$s" ] || continue
			s=$(basename "$s")
			owner=$(cat "$NETNS_RUN_DIR/$s/owner" 2>/dev/null)
			if [ "$(netns_owner_id "${owner%% *}" 2>/dev/null)" != "$owner" ]; then
				netns_sweep "$s"
			fi
		done
		for ((s = 0; s < 256; s++)); do
			[ -e "$NETNS_RUN_DIR/$s" ] && continue
			ip -4 route show | grep -q "^${NETNS_BASE_NET}\.$s\." && continue
			mkdir "$NETNS_RUN_DIR/$s" && echo "$me" >"$NETNS_RUN_DIR/$s/owner" && echo "$s" && exit 0
		done
		exit 1
	) 9>"$NETNS_RUN_DIR/lock"
}

# ---- setup and teardown ---------------------------------------------------------

# netns_table_def: the fault table of a namespace, empty of faults.
netns_table_def() {
	cat <<EOF
table inet $NETNS_TABLE {
	set cut_from { type ipv4_addr; }
	set cut_to { type ipv4_addr; }
	chain input { type filter hook input priority filter - 10; policy accept; ip saddr @cut_from drop; }
	chain output { type filter hook output priority filter - 10; policy accept; ip daddr @cut_to drop; }
}
EOF
}

# netns_setup N: the bridge and N namespaces (see the top); skips the
# test where this machine cannot make them.  The links are made by one
# "ip -batch" in the root namespace and one in each namespace: process
# starts are what setting up costs on a loaded machine.
netns_setup() {
	local n=$1 i ns br prefix
	[ "$(id -u)" = 0 ] || skip "needs root (network namespaces, nftables)"
	for i in ip nft flock; do
		command -v "$i" >/dev/null || skip "needs $i"
	done
	NETNS_BASE_NET=${SLOG_NETNS_BASE:-10.213}
	NETNS_SLOT=$(netns_take_slot) || skip "no free network namespace slot in $NETNS_RUN_DIR"
	NETNS_NET=$NETNS_BASE_NET.$NETNS_SLOT
	NETNS_N=$n
	cluster_hook place netns_place_node
	prefix=$(netns_prefix "$NETNS_SLOT")
	br=${prefix}br
	# The bridge skips the root namespace's firewall (br_netfilter would
	# pass bridged frames through it): only this file's rules apply.
	{
		echo "link add $br type bridge nf_call_iptables 0 nf_call_ip6tables 0 nf_call_arptables 0"
		echo "addr add $(netns_addr 0)/24 dev $br"
		echo "link set $br up"
		for ((i = 1; i <= n; i++)); do
			echo "netns add $(netns_name "$i")"
			echo "link add ${prefix}v$i type veth peer name eth0 netns $(netns_name "$i")"
			echo "link set ${prefix}v$i master $br up"
		done
	} | ip -batch - || skip "cannot make a bridge and network namespaces here"
	for ((i = 1; i <= n; i++)); do
		ns=$(netns_name "$i")
		printf '%s\n' "addr add $(netns_addr "$i")/24 dev eth0" "link set eth0 up" "link set lo up" |
			ip -n "$ns" -batch -
		netns_table_def | ip netns exec "$ns" nft -f - || skip "nftables does not work in a namespace"
	done
}

# netns_place_node ID (a place hook): node ID listens at its namespace's address and
# runs in it.  "ip netns exec" execs the broker in place, so the PID
# start_node records is the broker's own (netns_node_pid_is_broker).
netns_place_node() {
	[ -n "$NETNS_SLOT" ] || return 0
	if [ "$1" -gt "$NETNS_N" ]; then
		echo "node $1: netns_setup made only $NETNS_N namespaces" >&2
		return 1
	fi
	NODE_HOST[$1]=$(netns_addr "$1")
	NODE_WRAP[$1]="ip netns exec $(netns_name "$1")"
}

# netns_node_pid_is_broker ID: NODE_PID[ID] is slog-broker itself, in
# node ID's namespace: killing that PID kills the broker.
netns_node_pid_is_broker() {
	local pid=${NODE_PID[$1]} ns
	ns=$(stat -c 'net:[%i]' "/run/netns/$(netns_name "$1")") || return 1
	[ "$(basename "$(readlink "/proc/$pid/exe")")" = slog-broker ] &&
		[ "$(readlink "/proc/$pid/ns/net")" = "$ns" ]
}

# netns_teardown: stop the flapping and the proxies, delete the
# namespaces, veths and bridge, free the slot.  Safe to call twice, and
# when netns_setup stopped half way.  Stop the brokers first: a
# namespace lives on while a process runs in it (netns_sweep kills what
# is left).
netns_teardown() {
	local pid
	net_flap_stop
	for pid in "${PROXY_PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	PROXY_PIDS=()
	if [ -n "$NETNS_SLOT" ]; then
		netns_sweep "$NETNS_SLOT"
		NETNS_SLOT=
	fi
	return 0
}

# ---- faults ------------------------------------------------------------------------

# net_nft ID NFT-ARGS...: nft in node ID's namespace.
net_nft() {
	local id=$1
	shift
	ip netns exec "$(netns_name "$id")" nft "$@"
}

# net_apply add|delete FROM:TO...: drop (or stop dropping) the packets
# from node FROM to node TO, for each pair; one nft transaction per
# namespace touched.
net_apply() {
	local op=$1 pair from to id
	local -A script=()
	shift
	for pair in "$@"; do
		from=${pair%:*} to=${pair#*:}
		[ "$from" != "$to" ] || continue
		if [ "$to" != 0 ]; then
			script[$to]+="$op element inet $NETNS_TABLE cut_from { $(netns_addr "$from") }"$'\n'
		else
			script[$from]+="$op element inet $NETNS_TABLE cut_to { $(netns_addr 0) }"$'\n'
		fi
	done
	for id in "${!script[@]}"; do
		printf '%s' "${script[$id]}" | net_nft "$id" -f - || return 1
	done
}

# net_note FAULT NODES [DETAIL]: record a fault's start in the history
# NET_HISTORY when one is kept (tests/fault/history.bash).
net_note() {
	if [ -n "${NET_HISTORY:-}" ] && declare -F nemesis_note >/dev/null; then
		nemesis_note "$NET_HISTORY" "$1" start "$2" "${3:-}"
	fi
	return 0
}

# net_cut A B: nothing passes between nodes A and B, either way.
net_cut() {
	net_apply add "$1:$2" "$2:$1" && net_note cut "$1 $2"
}

# net_cut_oneway FROM TO: packets from FROM to TO are lost; the other way
# still passes (so TCP, which needs both, stalls; what gets through is
# the other side's retransmissions).
net_cut_oneway() {
	net_apply add "$1:$2" && net_note cut-oneway "$1 $2"
}

# net_isolate ID [--keep-clients]: node ID reaches no other node, and no
# client unless --keep-clients.
net_isolate() {
	local id=$1 j pairs=()
	for ((j = 1; j <= NETNS_N; j++)); do
		pairs+=("$id:$j" "$j:$id")
	done
	[ "${2:-}" = --keep-clients ] || pairs+=("$id:0" "0:$id")
	net_apply add "${pairs[@]}" && net_note isolate "$id" "${2:-}"
}

# net_partition "A B" "C" ...: nodes in different groups reach each
# other no more; within a group all passes.  Node 0 (the clients) may be
# in a group; if not, it still reaches everyone.
net_partition() {
	local i j a b groups=("$@") pairs=()
	for ((i = 0; i < ${#groups[@]}; i++)); do
		for ((j = i + 1; j < ${#groups[@]}; j++)); do
			for a in ${groups[$i]}; do
				for b in ${groups[$j]}; do
					pairs+=("$a:$b" "$b:$a")
				done
			done
		done
	done
	net_apply add "${pairs[@]}" && net_note partition "$*"
}

# net_loss PCT [A B]: each packet between A and B (default: every packet
# a node receives, and every one it sends to the clients) is lost with
# probability PCT%, drawn by nftables' numgen.
net_loss() {
	local pct=$1 i drop="numgen random mod 100 < $1 drop"
	if [ $# -ge 3 ]; then
		net_loss_one "$2" "$3" "$pct" && net_loss_one "$3" "$2" "$pct" || return 1
	else
		for ((i = 1; i <= NETNS_N; i++)); do
			# shellcheck disable=SC2086 # the rule is words
			net_nft "$i" add rule inet "$NETNS_TABLE" input iifname eth0 $drop &&
				net_loss_one "$i" 0 "$pct" || return 1
		done
	fi
	net_note loss "${2:-} ${3:-}" "$pct%"
}

# net_loss_one FROM TO PCT: packets from FROM to TO are lost at PCT%.
net_loss_one() {
	local from=$1 to=$2 drop="numgen random mod 100 < $3 drop"
	# shellcheck disable=SC2086 # the rule is words
	if [ "$to" != 0 ]; then
		net_nft "$to" add rule inet "$NETNS_TABLE" input ip saddr "$(netns_addr "$from")" $drop
	else
		net_nft "$from" add rule inet "$NETNS_TABLE" output ip daddr "$(netns_addr 0)" $drop
	fi
}

# net_flap A B PERIOD_MS: in the background, cut the link A-B for
# PERIOD_MS, heal it for PERIOD_MS, and so on until net_heal (or
# net_flap_stop).  NET_FLAP_PID is the flapper's PID.
net_flap() {
	local a=$1 b=$2 half stop=$BATS_TEST_TMPDIR/net-flap-stop
	half=$(awk -v ms="$3" 'BEGIN { printf "%.3f", ms / 1000 }')
	rm -f "$stop"
	(
		while [ ! -e "$stop" ]; do
			net_apply add "$a:$b" "$b:$a"
			sleep "$half"
			net_apply delete "$a:$b" "$b:$a"
			[ -e "$stop" ] || sleep "$half"
		done
	) >/dev/null 2>&1 3>&- &
	NET_FLAP_PID=$!
	NET_FLAP_PIDS+=("$!")
	net_note flap "$a $b" "${3}ms"
}

# net_flap_stop: every flapper stops at the end of its current half
# period (so none adds a cut after a heal), or is killed after 10 s.
net_flap_stop() {
	local pid
	[ "${#NET_FLAP_PIDS[@]}" = 0 ] && return 0
	touch "$BATS_TEST_TMPDIR/net-flap-stop"
	for pid in "${NET_FLAP_PIDS[@]}"; do
		reap "$pid" 200
	done
	NET_FLAP_PIDS=()
	NET_FLAP_PID=
}

# net_heal: every fault ends: the flapping stops and each namespace's
# table is replaced by an empty one, in one nft transaction each.
net_heal() {
	local i
	net_flap_stop
	for ((i = 1; i <= NETNS_N; i++)); do
		{
			echo "table inet $NETNS_TABLE"
			echo "delete table inet $NETNS_TABLE"
			netns_table_def
		} | net_nft "$i" -f - || return 1
	done
	if [ -n "${NET_HISTORY:-}" ] && declare -F nemesis_note >/dev/null; then
		nemesis_note "$NET_HISTORY" network end "" heal
	fi
	return 0
}

# ---- the delay proxy (tests/tool/delay-proxy.py): slow and stalled links ----------
#
# nftables only drops; a link that is slow, or that holds what it is
# given without losing it, needs the proxy.  It works without root: on
# loopback it listens on 127.0.0.1, in namespaces on the bridge address
# (which every node reaches).

# proxy_host: where proxies listen.
proxy_host() {
	if [ -n "$NETNS_SLOT" ]; then netns_addr 0; else echo 127.0.0.1; fi
}

# proxy_start NAME TARGET: a proxy NAME in front of TARGET (host:port);
# its port in PROXY_PORT[NAME].
proxy_start() {
	local name=$1 out=$BATS_TEST_TMPDIR/proxy-$1
	PROXY_STATE[$name]="delay 0"$'\n'"stall off"
	python3 "$SLOG_ROOT/tests/tool/delay-proxy.py" "$(proxy_host):0" "$2" "$out.ctl" \
		>"$out.out" 2>"$out.err" 3>&- &
	PROXY_PIDS+=("$!")
	if ! wait_for 200 grep -q 'listening on' "$out.out"; then
		echo "proxy $name did not start:" >&2
		cat "$out.err" >&2
		return 1
	fi
	PROXY_PORT[$name]=$(sed -n 's/^listening on .*://p' "$out.out")
}

# proxy_ctl NAME delay MS | stall on|off: change what proxy NAME does;
# returns once the proxy has applied it.
proxy_ctl() {
	local name=$1 key=$2 value=$3 out=$BATS_TEST_TMPDIR/proxy-$1 seen
	PROXY_STATE[$name]=$(echo "${PROXY_STATE[$name]}" | grep -v "^$key ")$'\n'"$key $value"
	seen=$(count_lines "$out.err")
	echo "${PROXY_STATE[$name]}" >"$out.ctl.new"
	mv "$out.ctl.new" "$out.ctl"
	wait_for 200 proxy_applied "$out.err" "$seen" "$key" "$value"
}

# proxy_applied ERR-FILE SKIP KEY VALUE: past its first SKIP lines, the
# proxy's stderr says it applied KEY VALUE.
proxy_applied() {
	local want
	case "$3" in
	delay) want="delay $4 ms" ;;
	*) want="stall $4" ;;
	esac
	tail -n +"$(($2 + 1))" "$1" | grep -q -- "$want"
}

# proxy_front_node ID: (before start_cluster) clients and the other
# nodes reach node ID only through a proxy "nodeID": its advertised
# listener is the proxy's.  Its own requests to others go direct.
proxy_front_node() {
	PROXY_FRONT[$1]=1
	cluster_hook prepare proxy_prepare_node
}

# proxy_prepare_node ID (a prepare hook): start the proxy in front of
# node ID if asked.
proxy_prepare_node() {
	[ -n "${PROXY_FRONT[$1]:-}" ] || return 0
	proxy_start "node$1" "$(node_host "$1"):${NODE_PORT[$1]}" || return 1
	echo "advertised.listeners = $(proxy_host):${PROXY_PORT[node$1]}" \
		>>"$BATS_TEST_TMPDIR/node$1/broker.conf"
}
