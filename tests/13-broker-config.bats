#!/usr/bin/env bats
# slog-broker's configuration as an operator meets it: --check-config's
# effective values, comments in the file, where a bad value was set,
# -X and SLOG_<KEY>, a port that is taken, and `make install`.

load helpers

# check_config ARGS...: slog-broker --check-config with ARGS, run from the
# test's directory so that nothing is made in the checkout.
check_config() {
	cd "$BATS_TEST_TMPDIR"
	run --separate-stderr slog-broker "$@" --check-config
}

@test "--check-config shows log.retention.ms as log.retention.hours makes it" {
	check_config --set log.retention.hours=1.5
	assert_success
	assert_line "log.retention.ms = 5400000  # derived from log.retention.hours"
	assert_line "log.retention.hours = 1.5  # command line --set"
}

@test "--check-config shows log.retention.ms as log.retention.minutes makes it, over the hours" {
	check_config --set log.retention.minutes=90 --set log.retention.hours=1
	assert_success
	assert_line "log.retention.ms = 5400000  # derived from log.retention.minutes"
	assert_line "log.retention.minutes = 90  # command line --set"
}

@test "--check-config prints hours and minutes keys in their own units" {
	check_config
	assert_success
	assert_line "log.retention.hours = 168  # default"
	assert_line "log.roll.hours = 168  # default"
	assert_line "offsets.retention.minutes = 10080  # default"
	assert_line "log.roll.ms = 604800000  # derived from log.roll.hours"
	assert_line "advertised.listeners = 127.0.0.1:9292  # derived from listeners"
}

@test "what --check-config prints loads back with the same effective values" {
	check_config --set log.retention.hours=1.5 --set log.roll.hours=20m --set listeners=127.0.0.1:9393
	assert_success
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/printed.conf"
	local first=$output
	check_config -c "$BATS_TEST_TMPDIR/printed.conf"
	assert_success
	diff <(sed 's/  #.*//' <<<"$first") <(sed 's/  #.*//' <<<"$output")
}

@test "a # after a value in the config file starts a comment" {
	printf 'listeners = 127.0.0.1:19494 # the port\nlog.dirs = %s/x   # data\n' "$BATS_TEST_TMPDIR" \
		>"$BATS_TEST_TMPDIR/c.conf"
	check_config -c "$BATS_TEST_TMPDIR/c.conf"
	assert_success
	assert_line "listeners = 127.0.0.1:19494  # file $BATS_TEST_TMPDIR/c.conf:1"
	assert_line "log.dirs = $BATS_TEST_TMPDIR/x  # file $BATS_TEST_TMPDIR/c.conf:2"
}

@test "a # inside a word or in double quotes stays part of the value" {
	printf 'log.dirs = "/srv/a #1"\nmetadata.log.dir = /srv/meta#2\n' >"$BATS_TEST_TMPDIR/c.conf"
	check_config -c "$BATS_TEST_TMPDIR/c.conf"
	assert_success
	assert_line "log.dirs = /srv/a #1  # file $BATS_TEST_TMPDIR/c.conf:1"
	assert_line "metadata.log.dir = /srv/meta#2  # file $BATS_TEST_TMPDIR/c.conf:2"
}

@test "a bad listeners value in the config file is named with its file and line" {
	printf '# broker\n\nlisteners = 127.0.0.1:port\n' >"$BATS_TEST_TMPDIR/c.conf"
	check_config -c "$BATS_TEST_TMPDIR/c.conf"
	[ "$status" -eq 1 ]
	assert_stderr_has "slog-broker: $BATS_TEST_TMPDIR/c.conf:3: listeners: '127.0.0.1:port' has no valid port"
}

@test "keys that disagree name the file and line of the one that was set" {
	printf 'group.min.session.timeout.ms = 2h\n' >"$BATS_TEST_TMPDIR/c.conf"
	check_config -c "$BATS_TEST_TMPDIR/c.conf"
	[ "$status" -eq 1 ]
	assert_stderr_has "$BATS_TEST_TMPDIR/c.conf:1: group.min.session.timeout.ms: group.min.session.timeout.ms is larger"
}

@test "a bad value given with --set or -X names the option" {
	check_config --set listeners=nowhere
	[ "$status" -eq 1 ]
	assert_stderr_has "slog-broker: --set listeners: 'nowhere' is not host:port"
	check_config -X log.segment.bytes=huge
	[ "$status" -eq 1 ]
	assert_stderr_has "slog-broker: -X log.segment.bytes: 'huge' is not a size"
	check_config -X no.such.key=1
	[ "$status" -eq 1 ]
	assert_stderr_has "-X: unknown config key 'no.such.key'"
}

@test "a bad value in a SLOG_ variable names the variable" {
	SLOG_LISTENERS=nowhere check_config
	[ "$status" -eq 1 ]
	assert_stderr_has "slog-broker: environment SLOG_LISTENERS: 'nowhere' is not host:port"
}

@test "-X KEY=VALUE sets a key as --set does" {
	check_config -X num.partitions=5 --set log.retention.ms=1h
	assert_success
	assert_line "num.partitions = 5  # command line -X"
	assert_line "log.retention.ms = 3600000  # command line --set"
}

@test "SLOG_LOG_DIRS sets log.dirs; -X wins over it and it over the file" {
	printf 'log.dirs = /from/file\nnum.partitions = 2\nlog.level = warn\n' >"$BATS_TEST_TMPDIR/c.conf"
	SLOG_LOG_DIRS=/from/env SLOG_NUM_PARTITIONS=3 check_config -c "$BATS_TEST_TMPDIR/c.conf" \
		-X num.partitions=4
	assert_success
	assert_line "log.dirs = /from/env  # env SLOG_LOG_DIRS"
	assert_line "num.partitions = 4  # command line -X"
	assert_line "log.level = warn  # file $BATS_TEST_TMPDIR/c.conf:3"
}

@test "SLOG_ variables that name no broker key are left alone" {
	SLOG_BROKERS=elsewhere:1 SLOG_NO_SUCH_KEY=1 check_config
	assert_success
	refute_output --partial elsewhere
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

@test "make install puts programs, pages, the systemd unit and the example config under DESTDIR and PREFIX" {
	local dest=$BATS_TEST_TMPDIR/root
	run make -C "$SLOG_ROOT" -s install DESTDIR="$dest" PREFIX=/opt/slog
	assert_success
	[ -x "$dest/opt/slog/bin/slog-broker" ]
	[ -x "$dest/opt/slog/bin/slog-produce" ]
	[ -f "$dest/opt/slog/share/man/man5/slog-broker.conf.5" ]
	[ -f "$dest/opt/slog/share/slog/slog-broker.conf" ]
	[ -f "$dest/etc/slog/slog-broker.conf" ]
	local unit=$dest/opt/slog/lib/systemd/system/slog-broker.service
	[ -f "$unit" ]
	grep -qx 'ExecStart=/opt/slog/bin/slog-broker -c /etc/slog/slog-broker.conf' "$unit"
	grep -qx 'DynamicUser=yes' "$unit"
	grep -qx 'StateDirectory=slog' "$unit"
	# Nothing is left with a placeholder, and nothing lands outside DESTDIR.
	run grep -rIlE '@[A-Z]+@' "$dest"
	[ -z "$output" ]
	# The installed config is one the installed broker accepts.
	run --separate-stderr "$dest/opt/slog/bin/slog-broker" -c "$dest/etc/slog/slog-broker.conf" --check-config
	assert_success
	assert_line "log.dirs = /var/lib/slog  # file $dest/etc/slog/slog-broker.conf:7"
}

@test "make install keeps a config file the operator already has" {
	local dest=$BATS_TEST_TMPDIR/root
	mkdir -p "$dest/etc/slog"
	echo 'num.partitions = 7' >"$dest/etc/slog/slog-broker.conf"
	run make -C "$SLOG_ROOT" -s install DESTDIR="$dest" PREFIX=/usr
	assert_success
	[ "$(cat "$dest/etc/slog/slog-broker.conf")" = 'num.partitions = 7' ]
	[ -f "$dest/usr/share/slog/slog-broker.conf" ]
}

@test "the installed systemd unit passes systemd-analyze verify" {
	command -v systemd-analyze >/dev/null || skip "systemd-analyze is not installed"
	local dest=$BATS_TEST_TMPDIR/root
	run make -C "$SLOG_ROOT" -s install DESTDIR="$dest" PREFIX=/usr/local
	assert_success
	# verify wants ExecStart's program where the unit says; point it there.
	sed "s|/usr/local/bin/slog-broker|$dest/usr/local/bin/slog-broker|" \
		"$dest/usr/local/lib/systemd/system/slog-broker.service" >"$BATS_TEST_TMPDIR/slog-broker.service"
	# --man=no: the pages it names are in DESTDIR, not where man looks.
	run systemd-analyze verify --man=no "$BATS_TEST_TMPDIR/slog-broker.service"
	assert_success
	refute_output --partial slog-broker.service
}

@test "a controller that is not among the voters is refused, naming both keys" {
	check_config --set node.id=4 --set controller.quorum.voters=1@127.0.0.1:9293,2@127.0.0.1:9295
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"process.roles includes controller, but node.id 4 is not among controller.quorum.voters"* ]]
}

@test "a voter without the controller role is refused, naming both keys" {
	check_config --set node.id=2 --set process.roles=broker \
		--set controller.quorum.voters=1@127.0.0.1:9293,2@127.0.0.1:9295 \
		--set controller.quorum.bootstrap.servers=127.0.0.1:9292
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"node.id 2 is a voter in controller.quorum.voters, but process.roles (broker) does not include controller"* ]]
}

@test "a broker that is not a voter needs controller.quorum.bootstrap.servers" {
	check_config --set node.id=4 --set process.roles=broker \
		--set controller.quorum.voters=1@127.0.0.1:9293
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"needs controller.quorum.bootstrap.servers"* ]]
	check_config --set node.id=4 --set process.roles=broker \
		--set controller.quorum.voters=1@127.0.0.1:9293 \
		--set controller.quorum.bootstrap.servers=127.0.0.1:9292
	assert_success
}

@test "every key --help-config lists is described in slog-broker.conf(5), topic keys among the topic keys" {
	local page=$SLOG_ROOT/man/slog-broker.conf.5 missing=""
	run -0 slog-broker --help-config
	local key section=broker
	for line in "${lines[@]:1}"; do
		if [[ "$line" == "Topic keys"* ]]; then
			section=topic
			continue
		fi
		key=${line%% *}
		[ -n "$key" ] || continue
		# The key as an item of its own section of the page.
		awk -v k=".It Cm $key" -v s="$section" '
			/^\.Sh BROKER KEYS/ { in_s = (s == "broker") }
			/^\.Sh TOPIC KEYS/ { in_s = (s == "topic") }
			/^\.Sh TOPIC DEFAULTS/ { in_s = 0 }
			in_s && $0 == k { found = 1 }
			END { exit !found }' "$page" || missing+=" $section:$key"
	done
	[ -z "$missing" ] || { echo "not in $page:$missing"; false; }
}
