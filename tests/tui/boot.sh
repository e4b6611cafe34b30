#!/usr/bin/env bash
# tests/tui/boot.sh - the TUI's Boot diagnosis screen (b) and fix-boot on
# it (F), in a real terminal (tmux) on a real UEFI disk (loop device) that
# carries the fixture BCD's GUIDs, then its disk GUID changed as Windows
# changes it after a collision:
#   b shows the installation, its store on the ESP, where the boot manager
#     and the default loader point, bcd-device-mismatch with the disk it
#     most likely was, "F fixes it", and the verdict;
#   F shows the plan and asks for the disk's name; nothing is written
#     before it is typed; typed: the GUID is back (sfdisk), an undo file;
#   b again: nothing stops the boot; the undo from the log (U) brings the
#     changed GUID back byte for byte; q exits 0;
#   a BIOS disk whose MBR boot code is zeroed: b says mbr-code-missing and
#     that F fixes it; F's plan, the name typed, the image as it was.
# Needs root, loop devices, FUSE, tmux, mtools.

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../lib.sh"
. "$HERE/../lib-json.sh"
. "$HERE/../integration/disks.sh"

wr_require_root_loop_fuse
wr_require_fixtures
wr_require_tools tmux jq sfdisk losetup partx mkntfs ntfs-3g mkfs.vfat mcopy sha256sum
. "$HERE/../lib-tui.sh"

[ -x "$WR_BIN" ] || wr_bail "$WR_BIN not built"
[ -x "$WR_HIVE_EDIT" ] || make -C "$WR_ROOT" --no-print-directory build/tests/hive-edit >/dev/null ||
	wr_bail "cannot build $WR_HIVE_EDIT"

wr_tmpdir_to T
export WINRESCUE_LOG=$T/audit.jsonl

make_uefi_disk "$T/uefi.img" bcd || wr_bail "make_uefi_disk"
wr_attach_to U "$T/uefi.img" || wr_bail "attach"
NAME=$(basename "$U")
NEWID=11111111-2222-3333-4444-555555555555
sfdisk -q --disk-id "$U" "$NEWID" >/dev/null 2>&1 || wr_bail "sfdisk --disk-id"
partx -a "$U" >/dev/null 2>&1
SHA_CHANGED=$(wr_sha "$T/uefi.img")
[ -n "$SHA_CHANGED" ] || wr_bail "no sha256 of the image"

tui_start_env bt 80x24 vt220 "LINES=24 COLUMNS=80 WINRESCUE_UNDO_DIR=$T/undo" tui "$U" ||
	wr_bail "start"
tui_wait bt 'q:Quit' 10 || nok "no main screen: $(tui_screen bt | head -5)"
expect_match "the key bar names b" 'b:Boot' "$(tui_screen bt)"
tui_keys bt b
if tui_wait bt 'Boot diagnosis' 10; then
	ok "b opens the Boot diagnosis"
	expect_match "it names the installation and its store on the ESP" \
		"boot configuration: .EFI.Microsoft.Boot.BCD on ${U}p1" "$(tui_screen bt)"
	expect_match "it names the mismatch and that F fixes it" 'bcd-device-mismatch  \(F fixes it\)' \
		"$(tui_screen bt)"
	expect_match "the key bar offers F" 'F: fix-boot' "$(tui_screen bt)"
	tui_keys bt G
	tui_settle bt
	expect_match "the verdict, at the end" 'Verdict: Windows would not start normally' "$(tui_screen bt)"
	tui_keys bt F
	if tui_wait_plan bt "Type $NAME and press Enter" 20; then
		expect_match "the plan names the GUIDs" "$WR_BCD_DISK" "$(tui_screen bt)"
		expect_eq "nothing written before the name is typed" "$SHA_CHANGED" "$(wr_sha "$T/uefi.img")"
		tui_keys bt -l "$NAME"
		tui_keys bt Enter
		if tui_wait bt 'has the identity the BCD store expects again' 30; then
			ok "fix-boot from the TUI: done"
			expect_match "the result names the undo file" "$T/undo/" "$(tui_screen bt)"
		else
			nok "no result: $(tui_screen bt | sed -n 4,20p)"
		fi
		tui_keys bt Enter
		tui_wait bt 'q:Quit' 5
	else
		nok "F asks for no name: $(tui_screen bt | sed -n 4,20p)"
	fi
else
	nok "b opens nothing: $(tui_screen bt | sed -n 1,20p)"
fi
expect_eq "the GUID is the BCD's again" "$WR_BCD_DISK" \
	"$(sfdisk --dump "$U" 2>/dev/null | awk '/^label-id:/ { print tolower($2) }')"
tui_keys bt b
if tui_wait bt 'Boot diagnosis' 10; then
	tui_keys bt G
	tui_settle bt
	expect_match "b again: nothing stops the boot" 'nothing found that would stop Windows' "$(tui_screen bt)"
	tui_keys bt q
	tui_wait bt 'q:Quit' 5
else
	nok "b again opens nothing"
fi
tui_keys bt l
if tui_wait bt 'U: undo a fix' 5; then
	tui_keys bt U
	if tui_wait_plan bt "Type $NAME and press Enter" 10; then
		tui_keys bt -l "$NAME"
		tui_keys bt Enter
		if tui_wait bt 'restored from' 20; then ok "undo from the log: done"; else nok "undo: $(tui_screen bt | sed -n 6,18p)"; fi
		tui_keys bt Enter
	else
		nok "U asks for no name: $(tui_screen bt | sed -n 4,20p)"
	fi
else
	nok "the log offers no undo: $(tui_screen bt | sed -n 1,20p)"
fi
tui_wait bt 'q:Quit' 5
expect_eq "undo: the changed GUID back, byte for byte" "$SHA_CHANGED" "$(wr_sha "$T/uefi.img")"
tui_keys bt q
expect_eq "q: exit 0" 0 "$(tui_wait_exit bt 15)"
tui_stop bt

# a BIOS disk whose MBR boot code is zeroed: b names mbr-code-missing, F mends it
make_bios_disk "$T/bios.img" 0x5cbea03e bcd || wr_bail "make_bios_disk"
S_OK=$(wr_sha "$T/bios.img")
dd if=/dev/zero of="$T/bios.img" bs=440 count=1 conv=notrunc status=none
wr_attach_to B "$T/bios.img" || wr_bail "attach bios"
BNAME=$(basename "$B")
S_ZERO=$(wr_sha "$T/bios.img")
tui_start_env bc 80x24 vt220 "LINES=24 COLUMNS=80 WINRESCUE_UNDO_DIR=$T/undo" tui "$B" ||
	wr_bail "start (bios)"
tui_wait bc 'q:Quit' 10 || nok "no main screen (bios): $(tui_screen bc | head -5)"
tui_keys bc b
if tui_wait bc 'Boot diagnosis' 10; then
	expect_match "(bios) b names mbr-code-missing and that F fixes it" 'mbr-code-missing  \(F fixes it\)' \
		"$(tui_screen bc)"
	tui_keys bc F
	if tui_wait bc "Type $BNAME and press Enter" 20; then
		expect_match "(bios) the plan: standard boot code in the first 440 bytes" "first 440 bytes" \
			"$(tui_screen bc)"
		expect_eq "(bios) nothing written before the name is typed" "$S_ZERO" "$(wr_sha "$T/bios.img")"
		tui_keys bc -l "$BNAME"
		tui_keys bc Enter
		if tui_wait bc 'boot chain of .* is mended' 30; then
			ok "(bios) fix-boot from the TUI: the chain mended"
		else
			nok "(bios) no result: $(tui_screen bc | sed -n 4,20p)"
		fi
		tui_keys bc Enter
		tui_wait bc 'q:Quit' 5
	else
		nok "(bios) F asks for no name: $(tui_screen bc | sed -n 4,20p)"
	fi
else
	nok "(bios) b opens nothing: $(tui_screen bc | sed -n 1,20p)"
fi
expect_eq "(bios) the image as it was before its code was zeroed (sha256)" "$S_OK" "$(wr_sha "$T/bios.img")"
tui_keys bc q
expect_eq "(bios) q: exit 0" 0 "$(tui_wait_exit bc 15)"
tui_stop bc

wr_finish
