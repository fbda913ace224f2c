# tests/helpers.bash: what every slog bats test shares.
#
# Each test gets its own temporary directory ($BATS_TEST_TMPDIR).  Brokers
# start on a free port of the pass's range (free_ports), read back from the
# broker's own "listening on" line, with their data in that directory, and
# are stopped by PID in teardown: never by name.  Waits poll a bounded
# number of times; nothing sleeps a fixed time to hope something happened.

bats_require_minimum_version 1.5.0
load /usr/lib/bats/bats-support/load.bash
load /usr/lib/bats/bats-assert/load.bash

SLOG_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
: "${SLOG_BIN:=$SLOG_ROOT/bin}"
: "${SLOG_TEST_TOOL:=$SLOG_ROOT/build/tests/slog-test-tool}"
PATH="$SLOG_BIN:$PATH"
export SLOG_TEST_TOOL
unset SLOG_BROKERS
# The user's own client config file must not change what a test sees.
unset SLOG_CONFIG_FILE
export XDG_CONFIG_HOME=$BATS_RUN_TMPDIR/xdg-config

BROKER_PIDS=()

# wait_for TRIES CMD...: run CMD up to TRIES times, 0.05 s apart, until it succeeds.
wait_for() {
	local tries=$1
	shift
	while [ "$tries" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		tries=$((tries - 1))
		sleep 0.05
	done
	return 1
}

# reap PID TRIES: wait up to TRIES × 50 ms for the process to exit, then
# kill it with SIGKILL; reap it either way.
reap() {
	local pid=$1 tries=$2
	while kill -0 "$pid" 2>/dev/null && [ "$tries" -gt 0 ]; do
		sleep 0.05
		tries=$((tries - 1))
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# free_ports N: N ports free on 127.0.0.1 now, one per line.  They come
# from SLOG_TEST_PORTS (LO-HI; tests/run gives each build's pass its own
# range), below the kernel's ephemeral ports: a port the kernel hands to
# some connection's client end meanwhile cannot be a node's, and a pass
# running beside this one never picks the same port.
free_ports() {
	python3 - "$1" "${SLOG_TEST_PORTS:-20000-32767}" <<'EOF'
import random, socket, sys
n = int(sys.argv[1])
lo, hi = (int(x) for x in sys.argv[2].split("-"))
ports = []
for port in random.sample(range(lo, hi + 1), hi + 1 - lo):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        s.close()
    ports.append(port)
    if len(ports) == n:
        break
print("\n".join(str(p) for p in ports))
EOF
}

# start_broker [NAME] [--set KEY=VALUE]...: start a broker with data in
# $BATS_TEST_TMPDIR/NAME (default "broker"); sets BROKER_PID, BROKER_PORT,
# BROKER_URL, BROKER_DIR and exports SLOG_BROKERS.
start_broker() {
	local name=broker
	if [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; then
		name=$1
		shift
	fi
	BROKER_DIR=$BATS_TEST_TMPDIR/$name
	mkdir -p "$BROKER_DIR"
	local listen=127.0.0.1:${BROKER_PORT_WANTED:-$(free_ports 1)} log=$BROKER_DIR/broker.log
	# Only what this run writes counts: a restart appends to the same log.
	touch "$log"
	local skip=$(($(wc -l <"$log") + 1))
	slog-broker --set "listeners=$listen" --set "log.dirs=$BROKER_DIR/data" "$@" \
		>>"$log" 2>&1 3>&- &
	BROKER_PID=$!
	BROKER_PIDS+=("$BROKER_PID")
	if ! wait_for 400 bash -c "tail -n +$skip '$log' | grep -q 'listening on'"; then
		echo "broker did not start:" >&2
		cat "$log" >&2
		return 1
	fi
	BROKER_PORT=$(tail -n +"$skip" "$log" | grep -o 'listening on http://[^ ]*' | sed 's/.*://')
	BROKER_URL=http://127.0.0.1:$BROKER_PORT
	export SLOG_BROKERS=127.0.0.1:$BROKER_PORT
}

# stop_pid PID TRIES: SIGTERM, then wait up to TRIES × 50 ms for the
# process to exit; 0 if it exited cleanly, 1 if it had to be killed,
# else its exit status.
stop_pid() {
	local pid=$1 tries=$2 rc=0
	kill -TERM "$pid" 2>/dev/null || return 0
	while kill -0 "$pid" 2>/dev/null && [ "$tries" -gt 0 ]; do
		sleep 0.05
		tries=$((tries - 1))
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid" 2>/dev/null
		rc=1
	fi
	wait "$pid" 2>/dev/null || rc=$?
	return $rc
}

# stop_broker [PID]: stop it within 10 s; 0 if it exited cleanly.
stop_broker() {
	stop_pid "${1:-$BROKER_PID}" 200
}

# restart_broker [--set ...]: stop the broker and start it again on the
# same data and the same port.
restart_broker() {
	local name
	name=$(basename "$BROKER_DIR")
	stop_broker "$BROKER_PID"
	BROKER_PORT_WANTED=$BROKER_PORT start_broker "$name" "$@"
}

teardown_brokers() {
	local pid
	for pid in "${BROKER_PIDS[@]}"; do
		kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null || true
	done
	BROKER_PIDS=()
}

teardown() {
	teardown_brokers
}

# stop_members: kill every background consumer whose PID is in MEMBER_PIDS.
stop_members() {
	local pid
	for pid in "${MEMBER_PIDS[@]}"; do
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null || true
	done
	MEMBER_PIDS=()
}

# The number of lines of a file.
count_lines() {
	wc -l <"$1" | tr -d ' '
}

# assert_stderr_has TEXT: the $stderr of a "run --separate-stderr" holds TEXT.
assert_stderr_has() {
	if [[ "$stderr" != *"$1"* ]]; then
		echo "stderr does not hold '$1':" >&2
		echo "$stderr" >&2
		return 1
	fi
}

# refute_listed LINE: $output has no line equal to LINE.  (bats-assert's
# refute_line trips over an empty $output under set -u.)
refute_listed() {
	local l
	while IFS= read -r l; do
		if [ "$l" = "$1" ]; then
			echo "'$1' is listed:" >&2
			echo "$output" >&2
			return 1
		fi
	done <<<"$output"
}

# user_topics [-b BROKERS]: slog-topics list without the broker's own
# topics.  The controller makes __consumer_offsets one session timeout
# after it starts, so a test that lists topics may or may not see it.
user_topics() {
	slog-topics "$@" list -r '^[^_]'
}
