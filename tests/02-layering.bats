#!/usr/bin/env bats
# The broker's folders are layers (storage <- replica <- meta, groups <-
# http), and tests/layering holds the includes to them.  The check runs
# on this checkout, and on copies with a deliberate fault, so that it
# cannot pass by seeing nothing.

load helpers

# A copy of the broker's sources and libcommon in $BATS_TEST_TMPDIR/tree.
copy_tree() {
	TREE=$BATS_TEST_TMPDIR/tree
	mkdir -p "$TREE/cmd"
	cp -r "$SLOG_ROOT/cmd/slog-broker" "$TREE/cmd/"
	cp -r "$SLOG_ROOT/libcommon" "$TREE/"
}

@test "the broker's layers include only downward" {
	run "$SLOG_ROOT/tests/layering"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[[ "${lines[-1]}" =~ ^layering:\ [0-9]+\ files,\ 0\ violations ]]
}

@test "the layering check fails when a lower layer includes a higher one" {
	copy_tree
	run "$SLOG_ROOT/tests/layering" "$TREE"
	[ "$status" -eq 0 ]
	echo '#include "http/api.h"' >>"$TREE/cmd/slog-broker/storage/segment.c"
	echo '#include "meta/meta_state.h"' >>"$TREE/cmd/slog-broker/replica/fetch_wait.c"
	echo '#include "broker.h"' >>"$TREE/cmd/slog-broker/storage/fileio.c"
	run "$SLOG_ROOT/tests/layering" "$TREE"
	[ "$status" -eq 1 ]
	[[ "$output" == *"storage/segment.c includes http/api.h: storage may not use http"* ]]
	[[ "$output" == *"replica/fetch_wait.c includes meta/meta_state.h"* ]]
	[[ "$output" == *"storage/fileio.c includes broker.h: storage may not use the top level"* ]]
	[[ "${lines[-1]}" =~ ^layering:\ [0-9]+\ files,\ 3\ violations ]]
}

@test "the layering check allows a layer its own headers, those below, and libcommon's" {
	copy_tree
	echo '#include "storage/segment.h"' >>"$TREE/cmd/slog-broker/http/http_policy.c"
	echo '#include "groups/group_assignor.h"' >>"$TREE/cmd/slog-broker/meta/meta_state.c"
	echo '#include "http/api.h"' >>"$TREE/cmd/slog-broker/main.c"
	echo '#include "xalloc.h"' >>"$TREE/cmd/slog-broker/storage/offset_map.c"
	run "$SLOG_ROOT/tests/layering" "$TREE"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
}

@test "the layering check wants broker headers by path, and files in a layer" {
	copy_tree
	echo '#include "segment.h"' >>"$TREE/cmd/slog-broker/replica/registry.c"
	echo '#include "no_such.h"' >>"$TREE/cmd/slog-broker/http/api_admin.c"
	mkdir "$TREE/cmd/slog-broker/gossip"
	echo '#include "err.h"' >"$TREE/cmd/slog-broker/gossip/rumour.c"
	run "$SLOG_ROOT/tests/layering" "$TREE"
	[ "$status" -eq 1 ]
	[[ "$output" == *'replica/registry.c includes "segment.h": include broker headers by path'* ]]
	[[ "$output" == *'by path (storage/segment.h)'* ]]
	[[ "$output" == *'http/api_admin.c includes "no_such.h": neither a broker header nor libcommon'* ]]
	[[ "$output" == *"gossip/rumour.c: not in a known layer"* ]]
}

@test "a known exception the code no longer needs fails the layering check" {
	copy_tree
	sed -i '/#include "broker.h"/d' "$TREE/cmd/slog-broker/replica/ops_metadata.c"
	run "$SLOG_ROOT/tests/layering" "$TREE"
	[ "$status" -eq 1 ]
	[[ "$output" == *'known exception "replica/ops_metadata.c broker.h" is no longer needed'* ]]
}
