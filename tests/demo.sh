#!/usr/bin/env bash
# tests/demo.sh - `make demo`: build a simulated broken Windows server disk
# on loop devices, run winrescue on it, and clean everything up.
#
# The patient: a BIOS-era Windows disk (System Reserved + C:) whose C: was
# left hibernated and dirty, next to a clone of that disk with the same MBR
# signature, the classic cause of "winload.exe 0xc000000e" after a restore.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/integration/disks.sh"

if [ "$(id -u)" != 0 ]; then
	echo "make demo needs root (loop devices and ntfs-3g): run 'sudo make demo'" >&2
	exit 1
fi
wr_require_fixtures
wr_tmpdir_to dir || exit 1

echo "Building a simulated broken Windows disk in $dir ..."
make_bios_disk "$dir/windows.img" 0x1234abcd || exit 1
make_collision_disk "$dir/clone.img" 0x1234abcd || exit 1
wr_attach_to win "$dir/windows.img" || exit 1
# dirty first: ntfsfix refuses a hibernated volume
ntfs_make_dirty "${win}p2" >/dev/null || exit 1
ntfs_make_hibernated "${win}p2" >/dev/null || exit 1
wr_attach_to clone "$dir/clone.img" || exit 1
echo "Windows disk: $win   clone with the same signature: $clone"
echo

"$WR_BIN" list
rc=$?
echo
echo "(scripted form: $WR_BIN list --json)"
echo "Cleaning up: detaching $win and $clone, removing $dir"
exit $rc
