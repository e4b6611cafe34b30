#!/usr/bin/env bash
# tests/demo.sh - `make demo`: a simulated broken Windows server on loop
# devices, winrescue's TUI opened on it, and everything removed afterwards,
# including whatever was mounted from the TUI.
#
# The patient: a BIOS-era Windows disk (System Reserved + C:) whose C: was
# left hibernated and dirty; a data disk; a clone of the Windows disk with
# the same MBR signature, the classic cause of "winload.exe 0xc000000e"
# after a restore; and a UEFI Windows disk whose GUID Windows changed, so
# that its BCD names a disk that is not there (b in the TUI, or
# `winrescue diagnose`). Without a terminal, the demo prints `winrescue
# list` and `winrescue diagnose`.
#
# Everything it makes goes at the end, also when its TUI is killed or its
# terminal goes away (the cleanup runs from an EXIT trap): what the TUI left
# mounted from the demo's disks is unmounted and its mount point under
# /mnt/winrescue removed (and /mnt/winrescue itself when the demo made it),
# the loop devices detached, and the demo's directory removed with the
# images, the audit log and the undo files (WINRESCUE_LOG and
# WINRESCUE_UNDO_DIR point into it).
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/integration/disks.sh"

if [ "$(id -u)" != 0 ]; then
	echo "make demo needs root (loop devices and ntfs-3g): run 'sudo make demo'" >&2
	exit 1
fi
wr_require_fixtures
wr_tmpdir_to dir || exit 1
export WINRESCUE_LOG=$dir/audit.jsonl
export WINRESCUE_UNDO_DIR=$dir/undo
[ -e /mnt/winrescue ] && made_base="" || made_base=yes

echo "Building a simulated broken Windows server in $dir ..."
make_bios_disk "$dir/windows.img" 0x1234abcd bcd || exit 1
make_uefi_disk "$dir/uefi.img" bcd || exit 1
sfdisk -q --disk-id "$dir/uefi.img" 11111111-2222-3333-4444-555555555555 >/dev/null || exit 1
make_data_disk "$dir/data.img" || exit 1
make_collision_disk "$dir/clone.img" 0x1234abcd || exit 1
wr_attach_to win "$dir/windows.img" || exit 1
# dirty first: ntfsfix refuses a hibernated volume
ntfs_make_dirty "${win}p2" >/dev/null || exit 1
ntfs_make_hibernated "${win}p2" >/dev/null || exit 1
wr_attach_to data "$dir/data.img" || exit 1
wr_attach_to clone "$dir/clone.img" || exit 1
wr_attach_to uefi "$dir/uefi.img" || exit 1

# Unmount (flushing) what the TUI mounted from the demo's disks, whatever
# was left mounted at quit, and remove the mount points it made; runs before
# the loop devices are detached (cleanups run last first).
demo_unmount() {
	local d m i
	for d in "$@"; do
		for m in $(awk -v d="$d" 'index($1, d "p") == 1 { print $2 }' /proc/mounts); do
			# winrescue flushes and waits for ntfs-3g; then by hand; lazily at last
			"$WR_BIN" umount "$m" >/dev/null 2>&1 || umount "$m" 2>/dev/null ||
				umount -l "$m" 2>/dev/null
			case $m in /mnt/winrescue/*)
				for ((i = 0; i < 50; i++)); do
					mountpoint -q "$m" || break
					sleep 0.1
				done
				rmdir "$m" 2>/dev/null ;;
			esac
		done
	done
	[ -n "$made_base" ] && rmdir /mnt/winrescue 2>/dev/null
	return 0
}
wr_cleanup_add "demo_unmount '$win' '$data' '$clone' '$uefi'"

echo "Windows disk: $win   data disk: $data   clone with the same signature: $clone   UEFI disk: $uefi"
rc=0
if [ -t 0 ] && [ -t 1 ]; then
	echo "Opening winrescue (press ? for the keys, q to quit) ..."
	sleep 1
	"$WR_BIN" tui || rc=$?
else
	echo "(no terminal: the text view; on a terminal 'make demo' opens the TUI)"
	echo
	"$WR_BIN" list || rc=$?
	echo
	echo "(scripted form: $WR_BIN list --json)"
	echo
	"$WR_BIN" diagnose
	echo "(diagnose exit $?: 4 means something found stops the boot; fix-boot would fix the UEFI disk)"
fi
if [ -s "$WINRESCUE_LOG" ]; then
	echo
	echo "What the demo session did (the audit log, $WINRESCUE_LOG):"
	jq -r '"  \(.time)  \(.action) \(.event)  \(.message // (.plan.steps | join("; ")))"' \
		"$WINRESCUE_LOG" 2>/dev/null
fi
echo "Cleaning up: unmounting what is still mounted, detaching $win, $data, $clone and $uefi, removing $dir (images, audit log, undo files)"
exit $rc
