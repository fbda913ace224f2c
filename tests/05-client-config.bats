#!/usr/bin/env bats
# The client configuration of slog-produce, slog-consume, slog-topics and
# slog-groups: -X key=value, SLOG_<KEY>, a config file (-F, else
# ~/.config/slog/slog.conf), and which of them wins.

load helpers

# conf TEXT: write TEXT to $BATS_TEST_TMPDIR/slog.conf.
conf() {
	CONF=$BATS_TEST_TMPDIR/slog.conf
	printf '%s\n' "$@" >"$CONF"
}

# A broker whose address only the config names, and a topic "t" on it.
setup_broker_and_topic() {
	start_broker
	slog-topics create t -P 1 >/dev/null
	ADDR=$SLOG_BROKERS
	unset SLOG_BROKERS
}

@test "a config file given with -F sets the brokers of every client" {
	setup_broker_and_topic
	conf "brokers = $ADDR"
	run --separate-stderr slog-topics -F "$CONF" list
	assert_success
	assert_output t
	run --separate-stderr bash -c "echo hello | slog-produce -F '$CONF' -t t"
	assert_success
	run --separate-stderr slog-consume -F "$CONF" -t t -e
	assert_success
	assert_output hello
	run --separate-stderr slog-groups --config-file "$CONF" list
	assert_success
}

@test "the per-user file ~/.config/slog/slog.conf is read when it exists" {
	setup_broker_and_topic
	mkdir -p "$BATS_TEST_TMPDIR/home/.config/slog"
	printf 'brokers = %s\n' "$ADDR" >"$BATS_TEST_TMPDIR/home/.config/slog/slog.conf"
	HOME=$BATS_TEST_TMPDIR/home XDG_CONFIG_HOME= run --separate-stderr slog-topics list
	assert_success
	assert_output t
	mkdir -p "$BATS_TEST_TMPDIR/xdg/slog"
	printf 'brokers = %s\n' "$ADDR" >"$BATS_TEST_TMPDIR/xdg/slog/slog.conf"
	XDG_CONFIG_HOME=$BATS_TEST_TMPDIR/xdg run --separate-stderr slog-topics list
	assert_success
	assert_output t
}

@test "SLOG_CONFIG_FILE names the config file" {
	setup_broker_and_topic
	conf "brokers = $ADDR"
	SLOG_CONFIG_FILE=$CONF run --separate-stderr slog-topics list
	assert_success
	assert_output t
}

@test "a config file that -F names must exist" {
	run --separate-stderr slog-topics -F "$BATS_TEST_TMPDIR/none.conf" list
	[ "$status" -eq 2 ]
	assert_stderr_has "cannot read config file '$BATS_TEST_TMPDIR/none.conf'"
}

@test "-X key=value sets a key as its option would" {
	setup_broker_and_topic
	run --separate-stderr slog-topics -X "brokers=$ADDR" list
	assert_success
	assert_output t
	run --separate-stderr slog-topics --set "brokers=$ADDR" list
	assert_success
}

@test "SLOG_<KEY> sets a key: SLOG_TIMEOUT_MS" {
	SLOG_TIMEOUT_MS=1500 run --separate-stderr slog-produce -X list
	assert_success
	assert_line --regexp '^timeout\.ms +1500 +SLOG_TIMEOUT_MS +30000 '
	SLOG_LINGER_MS=40 run --separate-stderr slog-produce -X list
	assert_line --regexp '^linger\.ms +40 +SLOG_LINGER_MS '
}

@test "a flag beats the environment, which beats the file" {
	setup_broker_and_topic
	conf "brokers = 127.0.0.1:1" "timeout.ms = 1000"
	SLOG_BROKERS=$ADDR run --separate-stderr slog-topics -F "$CONF" list
	assert_success
	SLOG_BROKERS=127.0.0.1:1 run --separate-stderr slog-topics -F "$CONF" -b "$ADDR" list
	assert_success
	SLOG_BROKERS=127.0.0.1:1 run --separate-stderr slog-topics -F "$CONF" -X "brokers=$ADDR" list
	assert_success
	SLOG_TIMEOUT_MS=2000 run --separate-stderr slog-topics -F "$CONF" -X list
	assert_line --regexp "^brokers +127\.0\.0\.1:1 +$CONF:1 "
	assert_line --regexp '^timeout\.ms +2000 +SLOG_TIMEOUT_MS '
}

@test "of -X and the option itself, the later wins" {
	run --separate-stderr slog-topics -X timeout.ms=1000 --timeout-ms 2000 -X list
	assert_line --regexp '^timeout\.ms +2000 +--timeout-ms '
	run --separate-stderr slog-topics --timeout-ms 2000 -X timeout.ms=1000 -X list
	assert_line --regexp '^timeout\.ms +1000 +-X '
}

@test "-X list prints every key the program takes, its value, source, default and doc" {
	run --separate-stderr slog-consume -X list
	assert_success
	assert_line --index 0 --regexp '^KEY +VALUE +SOURCE +DEFAULT +DESCRIPTION$'
	assert_line --regexp '^brokers +127\.0\.0\.1:9292 +default +127\.0\.0\.1:9292 +brokers'
	assert_line --regexp '^session\.timeout\.ms '
	[[ "$output" != *linger.ms* ]]
	run --separate-stderr slog-groups -X list
	assert_success
	[[ "$output" != *session.timeout.ms* ]]
	assert_line --regexp '^timeout\.ms '
}

@test "a key no slog program knows is an error naming the file and line" {
	conf "# settings" "brokers = 127.0.0.1:1" "" "bootstrap.servers = x"
	run --separate-stderr slog-topics -F "$CONF" list
	[ "$status" -eq 2 ]
	assert_stderr_has "$CONF:4: unknown key 'bootstrap.servers'"
	conf "brokers 127.0.0.1:1"
	run --separate-stderr slog-topics -F "$CONF" list
	[ "$status" -eq 2 ]
	assert_stderr_has "$CONF:1: expected 'key = value'"
}

@test "keys of another slog program in the shared file are ignored" {
	setup_broker_and_topic
	conf "brokers = $ADDR" "linger.ms = 20" "acks = 1" "client.id = reporting" \
		"session.timeout.ms = 10s" "commit = before"
	run --separate-stderr slog-topics -F "$CONF" list
	assert_success
	assert_output t
	# The group keys are slog-consume's, but without -g they do not apply.
	run --separate-stderr slog-consume -F "$CONF" -t t -e
	assert_success
	run --separate-stderr slog-groups -F "$CONF" list
	assert_success
}

@test "a file's group keys apply to slog-consume -g" {
	setup_broker_and_topic
	echo one | slog-produce -b "$ADDR" -t t
	conf "brokers = $ADDR" "client.id = reporting"
	run --separate-stderr slog-consume -F "$CONF" -X list
	assert_line --regexp "^client\.id +reporting +$CONF:2 "
	run --separate-stderr slog-consume -F "$CONF" -g g1 -t t -e
	assert_success
	assert_output one
}

@test "a file's partitioner yields to -p" {
	setup_broker_and_topic
	conf "brokers = $ADDR" "partitioner = random"
	run --separate-stderr bash -c "echo x | slog-produce -F '$CONF' -t t -p 0"
	assert_success
	run --separate-stderr bash -c "echo x | slog-produce -F '$CONF' -t t -X partitioner=random -p 0"
	[ "$status" -eq 2 ]
	assert_stderr_has "cannot use -p with --partitioner"
}

@test "-X with a key this program does not take is a usage error naming the key" {
	run --separate-stderr slog-topics -X linger.ms=5 list
	[ "$status" -eq 2 ]
	assert_stderr_has "slog-topics does not take 'linger.ms' (slog-produce does)"
	run --separate-stderr slog-produce -t t -X no.such.key=1
	[ "$status" -eq 2 ]
	assert_stderr_has "unknown key 'no.such.key'"
	run --separate-stderr slog-produce -t t -X brokers
	[ "$status" -eq 2 ]
	assert_stderr_has "-X: 'brokers' is not KEY=VALUE or list"
}

@test "a bad value names where it came from: file line, variable or -X" {
	conf "brokers = 127.0.0.1:1" "timeout.ms = soon"
	run --separate-stderr slog-topics -F "$CONF" list
	[ "$status" -eq 2 ]
	assert_stderr_has "slog-topics: $CONF:2: --timeout-ms: 'soon'"
	SLOG_ACKS=most run --separate-stderr slog-produce -t t
	[ "$status" -eq 2 ]
	assert_stderr_has "slog-produce: SLOG_ACKS: --acks: 'most' is not 0, 1 or all"
	run --separate-stderr slog-consume -t t -X max.bytes=huge
	[ "$status" -eq 2 ]
	assert_stderr_has "slog-consume: -X max.bytes: --max-bytes:"
	# A flag's own bad value reads as before.
	run --separate-stderr slog-topics --timeout-ms soon list
	[ "$status" -eq 2 ]
	assert_stderr_has "slog-topics: --timeout-ms: 'soon'"
}

@test "an option's value that looks like -X is a value" {
	setup_broker_and_topic
	echo v | slog-produce -b "$ADDR" -t t -k -X
	run --separate-stderr slog-consume -b "$ADDR" -t t -e -f '%k\n'
	assert_success
	assert_output -- -X
}

@test "a broker given without a port is asked on port 9292" {
	# Nothing may listen on 127.0.0.3:9292; if something does, it answered.
	run --separate-stderr slog-topics -b 127.0.0.3 --timeout-ms 2000 list
	[ "$status" -eq 0 ] || assert_stderr_has "http://127.0.0.3:9292/"
	conf "brokers = 127.0.0.3"
	run --separate-stderr slog-topics -F "$CONF" --timeout-ms 2000 list
	[ "$status" -eq 0 ] || assert_stderr_has "http://127.0.0.3:9292/"
}

@test "a bad broker address is a usage error before any request, in every client" {
	local cmd
	for cmd in "slog-produce -t t" "slog-consume -t t -e" "slog-topics list" "slog-groups list"; do
		# shellcheck disable=SC2086
		run -2 --separate-stderr $cmd -b 127.0.0.1:0 </dev/null
		assert_stderr_has "port '0' is not 1 to 65535"
	done
	SLOG_BROKERS='h:1,[::1' run -2 --separate-stderr slog-topics list
	assert_stderr_has "bad broker address '[::1'"
}

@test "every key of the example config file is one a client takes" {
	# Uncomment every key: each program reads the whole file without error.
	sed 's/^#\([a-z]\)/\1/' "$SLOG_ROOT/share/slog.conf.example" >"$BATS_TEST_TMPDIR/all.conf"
	for p in slog-produce slog-consume slog-topics slog-groups; do
		run --separate-stderr "$p" -F "$BATS_TEST_TMPDIR/all.conf" -X list
		assert_success
		assert_line --regexp "^brokers +127\.0\.0\.1:9292 +$BATS_TEST_TMPDIR/all.conf:[0-9]+ "
	done
	# ... and names every key there is.
	for p in slog-produce slog-consume; do
		run --separate-stderr "$p" -F "$BATS_TEST_TMPDIR/all.conf" -X list
		while read -r key _ source _; do
			[ "$key" = KEY ] || [[ "$source" == */all.conf:* ]] ||
				{ echo "$p: $key is not in the example"; false; }
		done <<<"$output"
	done
}
