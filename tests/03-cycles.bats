#!/usr/bin/env bats
# No two source files of the broker, slog-consume or libcommon call each
# other (tests/cycles, over the objects' symbols), apart from a list of
# known cycles that can only shrink.  The check also runs on objects made
# here with a deliberate cycle, so that it cannot pass by seeing nothing.

load helpers

# The objects of the build whose programs are tested.
objdir() {
	if [ "$SLOG_BIN" = "$SLOG_ROOT/bin" ]; then
		echo "$SLOG_ROOT/build"
	else
		dirname "$SLOG_BIN"
	fi
}

@test "no source files call each other beyond the known cycles" {
	[ -d "$(objdir)/libcommon" ] || skip "no objects next to $SLOG_BIN"
	run "$SLOG_ROOT/tests/cycles" "$(objdir)"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[[ "${lines[-1]}" =~ ^cycles:\ [0-9]+\ objects ]]
}

@test "the cycle check fails on two files that call each other, and on a known cycle gone" {
	local d=$BATS_TEST_TMPDIR/objs
	mkdir -p "$d/libcommon" "$d/cmd/slog-broker" "$d/cmd/slog-consume"
	printf 'int pong(int);\nint ping(int n) { return n ? pong(n - 1) : 0; }\n' >"$d/a.c"
	printf 'int ping(int);\nint pong(int n) { return n ? ping(n - 1) : 1; }\n' >"$d/b.c"
	printf 'int ping(int);\nint lone(void) { return ping(3); }\n' >"$d/c.c"
	cc -c -o "$d/libcommon/a.o" "$d/a.c"
	cc -c -o "$d/libcommon/b.o" "$d/b.c"
	cc -c -o "$d/cmd/slog-broker/c.o" "$d/c.c"
	run "$SLOG_ROOT/tests/cycles" "$d"
	[ "$status" -eq 1 ]
	[[ "$output" == *"these files call each other: libcommon/a.o libcommon/b.o"* ]]
	[[ "$output" == *"known cycle \"libcommon/cli.o libcommon/client_config.o\" is gone"* ]]
	[[ "$output" != *"c.o"* ]]
}
