#!/usr/bin/env bats
# The systemd template unit of a cluster node, slog-broker@ID.service, as
# `make install` puts it: one instance per node id, each reading its own
# config, checked by systemd-analyze verify (which needs no running systemd).

load helpers

# install_under PREFIX: make install with every path under the test's
# directory, so that the installed units name programs and pages that exist.
install_under() {
	prefix=$BATS_TEST_TMPDIR/root/usr
	etc=$BATS_TEST_TMPDIR/root/etc
	run make -C "$SLOG_ROOT" -s install PREFIX="$prefix" SYSCONFDIR="$etc"
	assert_success
	unit=$prefix/lib/systemd/system/slog-broker@.service
	[ -f "$unit" ]
}

@test "make install puts the slog-broker@ template unit and slog-cluster beside the broker" {
	install_under
	[ -x "$prefix/bin/slog-cluster" ]
	[ -f "$prefix/share/man/man1/slog-cluster.1" ]
	# Nothing is left with a placeholder.
	run grep -cE '@[A-Z]+@' "$unit"
	[ "$output" = 0 ]
}

@test "each slog-broker@ instance reads the config named by its node id" {
	install_under
	grep -qx "ExecStart=$prefix/bin/slog-broker -c $etc/slog/broker-%i.conf" "$unit"
	# Ready means registered: the broker's READY=1, not the fork.
	grep -qx 'Type=notify' "$unit"
	grep -qx 'Restart=on-failure' "$unit"
	# The same user and data directory as slog-broker.service.
	grep -qx 'DynamicUser=yes' "$unit"
	grep -qx 'StateDirectory=slog' "$unit"
	grep -qx 'Conflicts=slog-broker.service' "$unit"
}

@test "the installed slog-broker@ template passes systemd-analyze verify, man pages included" {
	command -v systemd-analyze >/dev/null || skip "systemd-analyze is not installed (share/install-deps installs it)"
	install_under
	# verify instantiates a template itself; it runs man for Documentation=.
	MANPATH=$prefix/share/man run systemd-analyze verify "$unit"
	assert_success
	refute_output --partial 'slog-broker@'
}

# slog-connect's units, installed the same way.
connect_units() {
	install_under
	cunit=$prefix/lib/systemd/system/slog-connect.service
	ctpl=$prefix/lib/systemd/system/slog-connect@.service
	[ -f "$cunit" ] && [ -f "$ctpl" ]
}

@test "make install puts slog-connect.service, its template and its user beside the broker's units" {
	connect_units
	run grep -chE '@[A-Z]+@' "$cunit" "$ctpl"
	[ "$output" = "$(printf '0\n0')" ]
	grep -qx 'u slog-connect - "slog-connect" /nonexistent' "$prefix/lib/sysusers.d/slog-connect.conf"
	[ -f "$etc/slog/connect.conf" ] && [ -d "$etc/slog/connect.d" ]
}

@test "slog-connect.service is ready by notify, reloads by SIGHUP and reads /var/log through adm" {
	connect_units
	grep -qx "ExecStart=$prefix/bin/slog-connect run -c $etc/slog/connect.conf $etc/slog/connect.d" "$cunit"
	grep -qx 'Type=notify' "$cunit"
	grep -qE '^WatchdogSec=[1-9]' "$cunit"
	grep -qx 'ExecReload=/bin/kill -HUP $MAINPID' "$cunit"
	grep -qx 'Restart=on-failure' "$cunit"
	grep -qx 'User=slog-connect' "$cunit"
	grep -qx 'SupplementaryGroups=adm' "$cunit"
	grep -qx 'ProtectSystem=strict' "$cunit"
	# Progress lives in the cluster: no state directory.
	run grep -c '^StateDirectory' "$cunit"
	[ "$output" = 0 ]
	# The stop timeout stays above an http-source's 30 s drain.
	run sed -n 's/^TimeoutStopSec=//p' "$cunit"
	[ "$output" -gt 30 ]
}

@test "each slog-connect@ instance runs its own connector file alone, under a memory limit" {
	connect_units
	grep -q "^ExecStart=$prefix/bin/slog-connect run .* $etc/slog/connect.d/%i.conf\$" "$ctpl"
	grep -qE '^MemoryMax=[0-9]+' "$ctpl"
	grep -qx 'Conflicts=slog-connect.service' "$ctpl"
	grep -qx 'Type=notify' "$ctpl"
	grep -qx 'ExecReload=/bin/kill -HUP $MAINPID' "$ctpl"
}

@test "the installed slog-connect units pass systemd-analyze verify" {
	command -v systemd-analyze >/dev/null || skip "systemd-analyze is not installed (share/install-deps installs it)"
	connect_units
	MANPATH=$prefix/share/man run systemd-analyze verify "$cunit" "$ctpl"
	assert_success
	refute_output --partial 'slog-connect'
}
