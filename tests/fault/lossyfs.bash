# tests/fault/lossyfs.bash: power loss for the fault tests.
#
# lossyfs (tests/tool/lossyfs.c, built as build/tests/lossyfs) is a FUSE
# file system over DIR.backing mounted at DIR that keeps apart whatever
# was not fsynced: file bytes and sizes since each file's last
# fsync/fdatasync, names since the last fsync of their directory.  A
# "cut" throws all of that away, as a power cut would.
#
#   lossyfs_mount DIR            mount one (DIR made if missing, empty)
#   lossyfs_ctl DIR COMMAND...   cut | stats | fsync-fail on|off | fsync-delay MS
#   lossyfs_unmount_all          teardown: every mount of this test, then
#                                any a killed run of this machine left
#   power_node_dirs ID...        the cluster nodes ID... get their data
#                                dir (log.dirs and the metadata log in it)
#                                on lossyfs, through a prepare hook (power_prepare_node)
#   power_cut ID...              kill -9 the nodes, wait until they are
#                                gone, then cut their file systems; the
#                                test restarts them (restart_node; both
#                                from tests/replication.bash)
#
# Mounts are named lossyfs.<bats pid> in /proc/mounts: two bats passes
# running at once never touch each other's, and a sweep unmounts those
# of runs whose bats is gone.  Each mount's control socket lives in a
# short directory of its own (a UNIX socket path has 108 bytes at most).

LOSSYFS_DIRS=()
LOSSYFS_PIDS=()
LOSSYFS_SOCKS=()
LOSSYFS_SOCKDIR=
POWER_NODES=()

: "${SLOG_LOSSYFS:=$(dirname "${SLOG_TEST_TOOL:-$SLOG_ROOT/build/tests/slog-test-tool}")/lossyfs}"

# lossyfs_owner: the pid whose mounts these are (the bats run's).
lossyfs_owner() {
	echo "${BATS_ROOT_PID:-$$}"
}

# require_lossyfs: skip unless root with FUSE and a built lossyfs.
require_lossyfs() {
	require_root fusermount3 mountpoint curl jq python3
	[ -c /dev/fuse ] || skip "needs /dev/fuse"
	[ -x "$SLOG_LOSSYFS" ] || skip "needs $SLOG_LOSSYFS (libfuse3-dev when it was built)"
	lossyfs_sweep
}

# lossyfs_mount DIR: mount lossyfs over DIR.backing at DIR; wait until
# it is mounted and answers on its socket.
lossyfs_mount() {
	local dir=$1 sock pid
	if [ -z "$LOSSYFS_SOCKDIR" ]; then
		LOSSYFS_SOCKDIR=$(mktemp -d /tmp/lossyfs.XXXXXX) || return 1
	fi
	sock=$LOSSYFS_SOCKDIR/${#LOSSYFS_DIRS[@]}.sock
	mkdir -p "$dir" "$dir.backing"
	"$SLOG_LOSSYFS" --fsname "lossyfs.$(lossyfs_owner)" "$dir.backing" "$dir" "$sock" \
		>>"$dir.lossyfs.log" 2>&1 3>&- &
	pid=$!
	LOSSYFS_DIRS+=("$dir")
	LOSSYFS_PIDS+=("$pid")
	LOSSYFS_SOCKS+=("$sock")
	if ! wait_for 200 lossyfs_answers "$sock" || ! mountpoint -q "$dir"; then
		echo "lossyfs did not mount $dir:" >&2
		cat "$dir.lossyfs.log" >&2
		return 1
	fi
}

lossyfs_answers() {
	"$SLOG_LOSSYFS" --ctl "$1" stats
}

# lossyfs_sock DIR: the control socket of the mount at DIR.
lossyfs_sock() {
	local i
	for i in "${!LOSSYFS_DIRS[@]}"; do
		[ "${LOSSYFS_DIRS[$i]}" = "$1" ] && echo "${LOSSYFS_SOCKS[$i]}" && return 0
	done
	echo "no lossyfs is mounted at $1" >&2
	return 1
}

# lossyfs_ctl DIR COMMAND...: one command to the mount at DIR; prints the
# answer; fails unless it was "ok ...".
lossyfs_ctl() {
	local sock
	sock=$(lossyfs_sock "$1") || return 1
	shift
	"$SLOG_LOSSYFS" --ctl "$sock" "$@"
}

# lossyfs_stat DIR KEY: one figure of the mount's stats.
lossyfs_stat() {
	lossyfs_ctl "$1" stats | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# lossyfs_unmount DIR PID: unmount (lazily if busy) and wait for the
# daemon to end, by its pid.
lossyfs_unmount() {
	local dir=$1 pid=$2
	if mountpoint -q "$dir" 2>/dev/null; then
		fusermount3 -u "$dir" 2>/dev/null || fusermount3 -u -z "$dir" 2>/dev/null || true
	fi
	[ -n "$pid" ] || return 0
	reap "$pid" 100
}

# lossyfs_unmount_all: every mount this test made, then the sweep.
# Safe to call more than once and when nothing was mounted.
lossyfs_unmount_all() {
	local i
	for i in "${!LOSSYFS_DIRS[@]}"; do
		lossyfs_unmount "${LOSSYFS_DIRS[$i]}" "${LOSSYFS_PIDS[$i]}"
	done
	LOSSYFS_DIRS=() LOSSYFS_PIDS=() LOSSYFS_SOCKS=()
	[ -n "$LOSSYFS_SOCKDIR" ] && rm -rf "$LOSSYFS_SOCKDIR"
	LOSSYFS_SOCKDIR=
	lossyfs_sweep
}

# lossyfs_no_sanitizer_reports: no lossyfs of this test (an ASan build's,
# under make check) reported a memory error or a leak at its exit.
lossyfs_no_sanitizer_reports() {
	local logs
	mapfile -t logs < <(find "$BATS_TEST_TMPDIR" -name '*.lossyfs.log' -exec \
		grep -l -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' {} +)
	[ "${#logs[@]}" = 0 ] && return 0
	echo "sanitizer reports in ${logs[*]}:" >&2
	grep -h -A 20 -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "${logs[@]}" | head -60 >&2
	return 1
}

# lossyfs_sweep: unmount what runs that are gone left mounted (their
# bats was killed before its teardown ran).  Another live run's mounts
# are left alone.
lossyfs_sweep() {
	local src mnt fstype owner
	while read -r src mnt fstype _; do
		[ "$fstype" = fuse.lossyfs ] || continue
		owner=${src#lossyfs.}
		[[ "$owner" =~ ^[0-9]+$ ]] || continue
		[ "$owner" = "$(lossyfs_owner)" ] && continue
		kill -0 "$owner" 2>/dev/null && continue
		mnt=$(printf '%b' "$mnt")
		fusermount3 -u -z "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null || true
	done </proc/mounts
}

# ---- cluster nodes ---------------------------------------------------------

# power_node_dirs ID...: node ID's data dir (its log.dirs, and with it
# the metadata log) goes on lossyfs when the node is first started.
# Call before start_cluster.
power_node_dirs() {
	POWER_NODES+=("$@")
	cluster_hook prepare power_prepare_node
}

# power_prepare_node ID (a prepare hook of tests/cluster.bash).
power_prepare_node() {
	local id
	for id in "${POWER_NODES[@]}"; do
		[ "$id" = "$1" ] || continue
		lossyfs_mount "$BATS_TEST_TMPDIR/node$1/data"
		return
	done
}

# power_dir ID: the lossyfs mount of node ID.
power_dir() {
	echo "$BATS_TEST_TMPDIR/node$1/data"
}

# power_cut ID...: a power cut of the nodes: kill -9 each (by its pid)
# and reap it, so that no request of it is still on its way through
# FUSE, then cut the file system of each.
power_cut() {
	local id
	kill_nodes "$@"
	for id in "$@"; do
		lossyfs_ctl "$(power_dir "$id")" cut >&2 || return 1
	done
}
