#!/usr/bin/env bats
# Every program behaves like a Unix tool: help, version, usage errors,
# exit codes, and its options are documented where users look.

load helpers

PROGRAMS=(slog-broker slog-produce slog-consume slog-topics slog-groups slog-connect)

@test "every program prints its help on stdout and exits 0" {
	for p in "${PROGRAMS[@]}"; do
		run --separate-stderr "$p" -h
		assert_success
		assert_output --partial "usage: $p"
		[ -z "$stderr" ]
	done
}

@test "every program prints its version with -V" {
	for p in "${PROGRAMS[@]}"; do
		run --separate-stderr "$p" -V
		assert_success
		assert_line --index 0 --regexp "^$p [0-9]+\.[0-9]+\.[0-9]+$"
		assert_output --partial "zstd"
	done
}

@test "an unknown option is a usage error: exit 2, the synopsis on stderr, nothing on stdout" {
	for p in "${PROGRAMS[@]}"; do
		run --separate-stderr "$p" --no-such-option
		[ "$status" -eq 2 ]
		[ -z "$output" ]
		[[ "$stderr" == *"usage: $p"* ]]
	done
}

@test "a bad number in an option is a usage error that names the option" {
	run --separate-stderr slog-produce -t t -p lots
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"-p: 'lots' is not an integer"* ]]
	run --separate-stderr slog-consume -t t -c -5
	[ "$status" -eq 2 ]
	run --separate-stderr slog-produce -t t --linger-ms forever
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"--linger-ms"* ]]
}

@test "conflicting options are refused one by one" {
	run --separate-stderr slog-produce -t t -k a -K :
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"cannot use -k with -K"* ]]
	run --separate-stderr slog-consume -t t -J -f '%s'
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"cannot use -f with -J"* ]]
	run --separate-stderr slog-produce -J -D ,
	[ "$status" -eq 2 ]
	run --separate-stderr slog-topics list --if-exists
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"--if-exists is not an option of list"* ]]
}

@test "a required topic is asked for" {
	run --separate-stderr slog-produce
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"-t TOPIC"* ]]
	run --separate-stderr slog-consume
	[ "$status" -eq 2 ]
	run --separate-stderr slog-topics
	[ "$status" -eq 2 ]
}

@test "every long option is in the program's man page and its completions" {
	local root=$SLOG_ROOT
	for p in "${PROGRAMS[@]}"; do
		run "$p" --list-options
		assert_success
		[ -f "$root/man/$p.1" ]
		[ -f "$root/completions/$p.bash" ]
		[ -f "$root/completions/_$p" ]
		while read -r opt; do
			case "$opt" in
			--*)
				grep -q -- "${opt#--}" "$root/man/$p.1" || { echo "$p: $opt not in man/$p.1"; false; }
				;;
			esac
		done <<<"$output"
	done
}

@test "the bash completion offers the program's options" {
	local root=$SLOG_ROOT
	for p in "${PROGRAMS[@]}"; do
		run bash -c "source '$root/completions/$p.bash'; COMP_WORDS=($p --); COMP_CWORD=1; _${p//-/_}; printf '%s\n' \"\${COMPREPLY[@]}\""
		assert_success
		assert_line --partial -- "--help"
	done
}

@test "the zsh completions parse, and define their completion function" {
	local root=$SLOG_ROOT
	for p in "${PROGRAMS[@]}"; do
		run zsh -n "$root/completions/_$p"
		assert_success
		# Sourced (its last line then runs outside completion and fails,
		# quietly), the file defines _<program>.
		run zsh -fc "source '$root/completions/_$p' >/dev/null 2>&1; (( \$+functions[_$p] ))"
		assert_success
	done
}

@test "a broker that cannot be reached is an error within the timeout, not a hang" {
	run --separate-stderr timeout 20 slog-topics -b 127.0.0.1:1 --timeout-ms 2000 list
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"cannot reach the broker"* ]]
	run --separate-stderr timeout 20 bash -c 'echo x | slog-produce -b 127.0.0.1:1 --timeout-ms 2000 -t t'
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"cannot reach"* ]]
	run --separate-stderr timeout 20 slog-consume -b 127.0.0.1:1 --timeout-ms 2000 -t t -e
	[ "$status" -eq 1 ]
}

@test "SLOG_BROKERS chooses the broker when -b is not given" {
	start_broker
	run --separate-stderr slog-topics list
	assert_success
	SLOG_BROKERS=127.0.0.1:1 run --separate-stderr slog-topics --timeout-ms 1000 list
	[ "$status" -eq 1 ]
	SLOG_BROKERS=127.0.0.1:1 run --separate-stderr slog-topics -b "127.0.0.1:$BROKER_PORT" list
	assert_success
}
