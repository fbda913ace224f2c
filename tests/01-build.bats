#!/usr/bin/env bats
# The build and the test runner, as a developer meets them: a second
# `make` does nothing, and tests/run says which file it runs.

load helpers

# The build directory of the programs under test, or skip.
build_of_bin() {
	case "$SLOG_BIN" in
	"$SLOG_ROOT/bin") BUILD_DIR=build ;;
	"$SLOG_ROOT/build/asan/bin") BUILD_DIR=build/asan ;;
	*) skip "the programs under test ($SLOG_BIN) are not a build of this checkout" ;;
	esac
}

@test "a build keeps the objects of tests and benches, so a second make rebuilds nothing" {
	build_of_bin
	# make took them for intermediates and deleted them after linking;
	# their .d files name them, so the next make built them all again.
	local f missing=()
	for f in tests/unit/test_*.c tests/unit/unit.c bench/*.c tests/fuzz/fuzz_*.c; do
		[ -e "$SLOG_ROOT/$BUILD_DIR/${f%.c}.o" ] || missing+=("$f")
	done
	[ ${#missing[@]} -eq 0 ] || { echo "objects deleted: ${missing[*]}"; false; }
}

@test "tests/run names each file before its results and ends with the count" {
	build_of_bin
	local bin=${SLOG_BIN#"$SLOG_ROOT"/}
	run env -u BATS_TEST_TMPDIR "$SLOG_ROOT/tests/run" --bats "$bin" --filter '^tests/00-cli\.bats$'
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "== tests/00-cli.bats (bats"*", $bin)" ]]
	[[ "${lines[1]}" == "[bats"*"] 1.."* ]]
	[[ "${lines[-1]}" =~ ^[0-9]+\ passed,\ 0\ failed$ ]]
}
