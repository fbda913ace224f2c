#!/usr/bin/env bats
# The build and the test runner, as a developer meets them: a second
# `make` does nothing, and tests/run says which file it runs.

load helpers

# The make variables of the build whose programs are under test, or skip.
build_of_bin() {
	case "$SLOG_BIN" in
	"$SLOG_ROOT/bin") BUILD_ARGS=() ;;
	"$SLOG_ROOT/build/asan/bin") BUILD_ARGS=(O=build/asan SANITIZE=1) ;;
	*) skip "the programs under test ($SLOG_BIN) are not a build of this checkout" ;;
	esac
}

@test "a second make rebuilds nothing" {
	build_of_bin
	# make check built it; -q answers 1 if anything (a test's object
	# deleted as an intermediate, say) would be made again.
	run make -C "$SLOG_ROOT" -q "${BUILD_ARGS[@]}" all
	[ "$status" -eq 0 ]
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
