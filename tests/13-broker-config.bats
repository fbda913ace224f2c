#!/usr/bin/env bats
# slog-broker's configuration as an operator meets it: a port that is taken.

load helpers

# check_config ARGS...: slog-broker --check-config with ARGS, run from the
# test's directory so that nothing is made in the checkout.
check_config() {
	cd "$BATS_TEST_TMPDIR"
	run --separate-stderr slog-broker "$@" --check-config
}

@test "a broker that cannot bind its port exits 1 and leaves no data directory" {
	start_broker
	cd "$BATS_TEST_TMPDIR"
	run --separate-stderr slog-broker --set "listeners=127.0.0.1:$BROKER_PORT" \
		--set "log.dirs=$BATS_TEST_TMPDIR/second"
	[ "$status" -eq 1 ]
	assert_stderr_has "cannot listen on 127.0.0.1:$BROKER_PORT"
	[[ "$stderr" != *"shutting down"* ]]
	[[ "$stderr" != *"stopped"* ]]
	[ ! -e "$BATS_TEST_TMPDIR/second" ]
	# With no log.dirs at all, no ./slog-data either.
	run --separate-stderr slog-broker --set "listeners=127.0.0.1:$BROKER_PORT"
	[ "$status" -eq 1 ]
	[ ! -e "$BATS_TEST_TMPDIR/slog-data" ]
}
