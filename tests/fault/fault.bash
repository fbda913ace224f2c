# tests/fault/fault.bash: what the root-only fault tests share.
#
# These tests mount file systems, freeze them or fill them; they need
# root and a few system tools.  require_root skips (with the reason)
# where they cannot run, so the suite stays green on a developer's
# machine; tests/run runs them only as root anyway.

load ../helpers

# require_root [TOOL]...: skip unless root and every TOOL is installed.
require_root() {
	local tool
	[ "$(id -u)" = 0 ] || skip "needs root (mounts, loop devices, fsfreeze)"
	for tool in "$@"; do
		command -v "$tool" >/dev/null || skip "needs $tool"
	done
}

# loop_mount SIZE DIR: an ext4 file system of SIZE on a loop device,
# mounted on DIR; sets LOOP_DEV and LOOP_MNT for loop_unmount.
loop_mount() {
	local img=$BATS_TEST_TMPDIR/disk.img
	LOOP_MNT=$2
	truncate -s "$1" "$img"
	mkfs.ext4 -q -F "$img" >/dev/null
	LOOP_DEV=$(losetup --find --show "$img")
	mkdir -p "$LOOP_MNT"
	mount "$LOOP_DEV" "$LOOP_MNT"
}

# loop_unmount: thaw, unmount and detach what loop_mount made; safe to
# call when any step of it did not happen, and under set -e.
loop_unmount() {
	if [ -n "${LOOP_MNT:-}" ]; then
		fsfreeze -u "$LOOP_MNT" 2>/dev/null || true
		if mountpoint -q "$LOOP_MNT"; then
			umount "$LOOP_MNT" 2>/dev/null || umount -l "$LOOP_MNT" 2>/dev/null || true
		fi
	fi
	if [ -n "${LOOP_DEV:-}" ]; then
		losetup -d "$LOOP_DEV" 2>/dev/null || true
	fi
	LOOP_MNT= LOOP_DEV=
}
