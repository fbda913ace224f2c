# tests/connect.bash: what the slog-connect bats files share.  Load it
# after helpers:
#
#   load helpers
#   load connect
#
# start_connect [RUN_ARGS...]   slog-connect run in the background (stdout and
#                               stderr to $BATS_TEST_TMPDIR/connect.log) against
#                               the broker of start_broker ($BROKER, else
#                               $SLOG_BROKERS), its REST API on a free port;
#                               sets CONNECT_PID, CONNECT_URL, CONNECT_LOG
#                               and waits until it has started its
#                               connectors and (once it serves one) /healthz
# stop_connect                  SIGTERM, a bounded wait, by PID; its status
# kill_connect                  kill -9, by PID
# connect_ready                 GET /readyz answers 200
# connector_conf NAME KEY=VALUE...   writes $BATS_TEST_TMPDIR/NAME.conf
#                               (name = NAME first) and prints its path
#
# teardown stops slog-connect, then the brokers; a file that defines its
# own teardown calls teardown_connect itself.

CONNECT_PIDS=()

# connector_conf NAME KEY=VALUE...
connector_conf() {
	local name=$1 path=$BATS_TEST_TMPDIR/$1.conf kv
	shift
	{
		printf 'name = %s\n' "$name"
		for kv in "$@"; do
			printf '%s = %s\n' "${kv%%=*}" "${kv#*=}"
		done
	} >"$path"
	printf '%s\n' "$path"
}

# start_connect [RUN_ARGS...]
start_connect() {
	# stdin is passed on (<&0: a background job would get an empty one),
	# for `start_connect -`.
	local port brokers=${BROKER:-$SLOG_BROKERS}
	port=$(free_ports 1)
	CONNECT_URL=http://127.0.0.1:$port
	CONNECT_LOG=$BATS_TEST_TMPDIR/connect.log
	touch "$CONNECT_LOG"
	local skip=$(($(wc -l <"$CONNECT_LOG") + 1))
	slog-connect run --set "bootstrap.servers=$brokers" --set "listeners=$CONNECT_URL" \
		"$@" <&0 >>"$CONNECT_LOG" 2>&1 3>&- &
	CONNECT_PID=$!
	CONNECT_PIDS+=("$CONNECT_PID")
	if ! wait_for 400 bash -c "tail -n +$skip '$CONNECT_LOG' | grep -q 'started [0-9]* connector'"; then
		echo "slog-connect did not start:" >&2
		cat "$CONNECT_LOG" >&2
		return 1
	fi
	# A REST API answers /healthz once it is up.
	if tail -n +"$skip" "$CONNECT_LOG" | grep -q 'REST API on' &&
		! wait_for 200 curl -sf "$CONNECT_URL/healthz"; then
		echo "slog-connect does not answer $CONNECT_URL/healthz:" >&2
		cat "$CONNECT_LOG" >&2
		return 1
	fi
}

# stop_connect [PID]: SIGTERM, wait up to 20 s, then SIGKILL (status 1).
stop_connect() {
	stop_pid "${1:-$CONNECT_PID}" 400
}

# kill_connect [PID]
kill_connect() {
	local pid=${1:-$CONNECT_PID}
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

connect_ready() {
	[ "$(curl -s -o "$BATS_TEST_TMPDIR/readyz.body" -w '%{http_code}' "$CONNECT_URL/readyz")" = 200 ]
}

teardown_connect() {
	local pid
	for pid in "${CONNECT_PIDS[@]}"; do
		kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null || true
	done
	CONNECT_PIDS=()
}

teardown() {
	teardown_connect
	teardown_brokers
}
