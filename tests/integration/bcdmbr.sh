#!/usr/bin/env bash
# tests/integration/bcdmbr.sh - BIOS-era BCD stores as Windows writes them,
# on loop disks laid out exactly as they name. The device elements are the
# bytes of a real store (WR_BCD_MBR_REAL: a Windows Server 2008 R2 loader on
# MBR disk a5d76409, C: at byte 0x6500000 = 101 MiB) put in with
# hivexregedit --merge, never with winrescue's own encoder; what fix-boot
# writes is read back with hivexregedit and sfdisk, never with winrescue.
#
#   (a) the helper that makes the elements gives the real bytes back for
#       the real signature and offset;
#   (b) one partition at 101 MiB holding the boot manager and Windows:
#       diagnose finds nothing (exit 0), the devices read as MBR disk
#       a5d76409 (never a GUID made of it);
#   (c) its signature changed: bcd-device-mismatch naming "MBR disk
#       a5d76409" and "partition at 101.0 MiB", no GUID; fix-boot puts the
#       signature back (sfdisk reads it, the store's bytes untouched); undo
#       brings the change back byte for byte;
#   (d) C: moved to 120 MiB: the mismatch says the partitions moved; fix-boot
#       without --rewrite-bcd is refused (needs-rewrite, nothing written);
#       --rewrite-bcd names the new offset (its plan, then the element
#       byte for byte); undo puts the store back byte for byte; the hive
#       worker, confined once the copy is open, is stopped when told to
#       try open, execve or a socket (WINRESCUE_WORKER_ESCAPE);
#   (e) the same three with System Reserved at 1 MiB holding the boot
#       manager and C: at 101 MiB: only the loader's elements change;
#   (f) a GPT store (the fixtures' UEFI disk) and an MBR store side by
#       side: both clean;
#   (g) --rewrite-bcd from GPT to MBR (an MBR disk whose store names the
#       fixture's GPT disk) and back (a GPT disk whose ESP store names MBR
#       partitions): the elements are the real layouts byte for byte;
#   (h) the legacy partition form and an unknown style: bcd-device-unknown,
#       exit 8, fix-boot cannot tell; a blank disk named to fix-boot;
#   (i) a changed signature with C: moved (only the rewrite names it); what
#       the rewrite cannot tell, refused with nothing written: one partition
#       named for two, two Windows on the disk, a copy of the disk attached.
# Every command names the suite's own disks. Needs root, loop devices,
# FUSE (ntfs-3g), mtools and hivex's tools.

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../lib.sh"
. "$HERE/../lib-json.sh"
. "$HERE/disks.sh"

wr_require_root_loop_fuse
wr_require_fixtures
wr_require_tools jq sfdisk losetup partx mkntfs ntfs-3g mkfs.vfat mcopy sha256sum timeout \
	hivexregedit
[ -x "$WR_BIN" ] || wr_bail "$WR_BIN not built"
for t in "$WR_NTFS_STATE" "$WR_HIVE_EDIT"; do
	[ -x "$t" ] || make -C "$WR_ROOT" --no-print-directory "${t#"$WR_ROOT"/}" >/dev/null ||
		wr_bail "cannot build $t"
done

wr_tmpdir_to T
export WINRESCUE_LOG=$T/audit.jsonl
export WINRESCUE_UNDO_DIR=$T/undo
SIG=a5d76409
MIB=1048576
LOADER_OFF=$((0x6500000))	# 101 MiB, as the real store names it

. "$HERE/../lib-boot.sh"
fixboot_text() {
	# shellcheck disable=SC2046
	wr_only $(own_disks) -- timeout 120 "$WR_BIN" fix-boot "$@" >"$T/out.txt" 2>&1 </dev/null
	RC=$?
}
mismatch_msg() { jq -r '[.findings[] | select(.code == "bcd-device-mismatch") | .message] | join(" | ")' "$T/d.json"; }
# store_element PART OBJECT ELEMENT: the element as hivexregedit reads it
# from the store on the NTFS partition PART (mounted read-only by ntfs-3g)
store_element() {
	local m=$T/m.$$ out
	mkdir -p "$m"
	wr_mount_ntfs "$1" "$m" ro || { echo "cannot mount $1"; return 1; }
	cp "$m/Boot/BCD" "$T/store.copy"
	wr_umount "$m"
	out=$(wr_bcd_element "$T/store.copy" "$2" "$3")
	echo "$out"
}

# The store: the fixture's, its boot manager's device at BMOFF and its
# loader's the real element (or the elements given), winload.exe
# make_store FILE BM_HEX LOADER_HEX
make_store() {
	_wrd_hive BCD >"$1" &&
		wr_bcd_set "$1" "$WR_BCD_BOOTMGR" 11000001 "$2" &&
		wr_bcd_set "$1" "$WR_BCD_LOADER" 11000001 "$3" &&
		wr_bcd_set "$1" "$WR_BCD_LOADER" 21000001 "$3" &&
		"$WR_HIVE_EDIT" "$1" sz "Objects\\$WR_BCD_LOADER\\Elements\\12000002" Element \
			'\Windows\system32\winload.exe'
}
fill_store() {
	mkdir -p "$1/Boot" && cp "$T/store.new" "$1/Boot/BCD" &&
		{ printf 'BOOTMGR (winrescue test stand-in)\n'; head -c 65536 /dev/zero; } >"$1/bootmgr"
}
fill_all() { fill_store "$1" && _wrd_fill_windows_oddcase "$1"; }

# make_real_disk IMG LAYOUT CSTART: MBR disk a5d76409 with standard boot
# code; LAYOUT one: C: alone at CSTART (bytes), active, holding the boot
# manager, the store and Windows; sysres: System Reserved at 1 MiB (active,
# the boot manager and the store) and C: at CSTART. The store is $T/store.new.
make_real_disk() {
	local img=$1 layout=$2 cstart=$(($3 / 512)) dev
	_wrd_new "$img" $(($3 / MIB + 80))M || return 1
	if [ "$layout" = one ]; then
		printf 'label: dos\nlabel-id: 0x%s\nstart=%s, size=64MiB, type=7, bootable\n' "$SIG" "$cstart"
	else
		printf 'label: dos\nlabel-id: 0x%s\nstart=2048, size=100MiB, type=7, bootable\nstart=%s, size=64MiB, type=7\n' \
			"$SIG" "$cstart"
	fi | sfdisk -q "$img" >/dev/null || { _wrd_err "sfdisk $img"; return 1; }
	_wrd_mbr_code "$img" || return 1
	wr_attach_to dev "$img" || return 1
	if [ "$layout" = one ]; then
		_wrd_mkntfs "$(_wrd_part "$dev" 1)" Windows &&
			_wrd_populate "$(_wrd_part "$dev" 1)" "$img" fill_all
	else
		_wrd_mkntfs "$(_wrd_part "$dev" 1)" "System Reserved" &&
			_wrd_mkntfs "$(_wrd_part "$dev" 2)" Windows &&
			_wrd_populate "$(_wrd_part "$dev" 1)" "$img" fill_store &&
			_wrd_populate "$(_wrd_part "$dev" 2)" "$img" _wrd_fill_windows_oddcase
	fi
	local rc=$?
	wr_release "$dev"
	return $rc
}

# ------------------------------------------- (a) the real element
expect_eq "(a) the helper gives Windows' element back for a5d76409 at 0x6500000" \
	"$WR_BCD_MBR_REAL" "$(wr_bcd_mbr_hex "$SIG" "$LOADER_OFF")"

# scenario LAYOUT BMOFF: (b)-(d) or (e) on one layout; BMOFF is where the
# boot manager's partition starts (its store names it there)
scenario() {
	local L=$1 bmoff=$2 tag=$3 cpart bmpart img=$T/$1.img moved=$T/$1-moved.img D S0 S1 UNDO
	local bm_hex
	bm_hex=$(wr_bcd_mbr_hex "$SIG" "$bmoff")
	make_store "$T/store.new" "$bm_hex" "$WR_BCD_MBR_REAL" || wr_bail "make_store"
	make_real_disk "$img" "$L" "$LOADER_OFF" || wr_bail "make_real_disk $L"
	wr_attach_to D "$img" || wr_bail "attach $img"
	if [ "$L" = one ]; then cpart=${D}p1 bmpart=${D}p1; else cpart=${D}p2 bmpart=${D}p1; fi

	# (b) the disk the store names: clean
	diagnose
	expect_eq "($tag) the disk the real store names: exit 0, no mismatch" "0 0" \
		"$RC $(n_found bcd-device-mismatch -)"
	expect_eq "($tag) the loader's osdevice is C: ($cpart)" "$cpart" \
		"$(jq -r --arg d "$cpart" '.windows[] | select(.device == $d) | .default.osdevice' "$T/d.json")"
	expect_eq "($tag) the store is read where it is" "$bmpart \\Boot\\BCD" \
		"$(jq -r --arg d "$cpart" '.windows[] | select(.device == $d) | "\(.store.device) \(.store.file)"' "$T/d.json")"
	expect_eq "($tag) list --json: the loader names MBR disk $SIG at byte $LOADER_OFF" \
		"$SIG $LOADER_OFF null" \
		"$("$WR_BIN" list --json "$D" | jq -r --arg d "$bmpart" --arg l "$WR_BCD_LOADER" '.disks[].partitions[] | select(.path == $d) |
			.bcd_store.entries[] | select(.id == $l) | .osdevice | "\(.disk_signature) \(.offset) \(.ptuuid)"')"
	expect_eq "($tag) no GUID made of the signature anywhere" "" \
		"$(grep -io "$SIG-0000" "$T/d.txt" "$T/d.json")"

	# (c) the signature changed: fix-boot puts it back
	set_disk_id "$D" 0x11112222 || wr_bail "sfdisk --disk-id"
	S0=$(sha "$img")
	diagnose
	expect_eq "($tag) signature changed: exit 4, bcd-device-mismatch" "4 1" "$RC $(n_found bcd-device-mismatch -)"
	expect_match "($tag) the mismatch names MBR disk $SIG and the partition at 101.0 MiB" \
		"names MBR disk $SIG, which is not this disk.*the partition at 101\.0 MiB" "$(mismatch_msg)"
	expect_eq "($tag) no GPT in its words" "" "$(mismatch_msg | grep -o 'GPT')"
	expect_eq "($tag) the repair: signature 11112222 back to $SIG" "11112222 $SIG false" \
		"$(jq -r --arg d "$D" '.repairs[] | select(.disk == $d) | "\(.from) \(.to) \(.kind_changed)"' "$T/d.json")"
	fixboot "$D" --yes
	expect_eq "($tag) fix-boot: exit 0, fixed" "0 fixed" "$RC $(code)"
	UNDO=$(jq -r '.undo_file // empty' "$T/out.json")
	expect_eq "($tag) sfdisk reads the signature again" "0x$SIG" "$(disk_id "$D")"
	expect_eq "($tag) the store's loader element untouched (hivexregedit)" "$WR_BCD_MBR_REAL" \
		"$(store_element "$bmpart" "$WR_BCD_LOADER" 21000001)"
	diagnose
	expect_eq "($tag) after fix-boot: exit 0" 0 "$RC"
	undo "$UNDO" --yes
	expect_eq "($tag) undo brings the changed signature back byte for byte" "0 $S0" "$RC $(sha "$img")"
	wr_release "$D"

	# (d) C: moved to 120 MiB: --rewrite-bcd names the new offset
	make_real_disk "$moved" "$L" $((120 * MIB)) || wr_bail "make_real_disk moved"
	wr_attach_to D "$moved" || wr_bail "attach $moved"
	if [ "$L" = one ]; then cpart=${D}p1 bmpart=${D}p1; else cpart=${D}p2 bmpart=${D}p1; fi
	diagnose
	expect_eq "($tag) moved: exit 4, bcd-device-mismatch" "4 1" "$RC $(n_found bcd-device-mismatch -)"
	expect_match "($tag) moved: the disk is the one named, the partition is not at 101.0 MiB" \
		"names MBR disk $SIG, but not partitions it has .*the partition at 101\.0 MiB.*starts at 120\.0 MiB: the partitions moved" \
		"$(mismatch_msg)"
	expect_eq "($tag) moved: fixable with --rewrite-bcd" "true true" \
		"$(jq -r --arg d "$D" '[.repairs[] | select(.disk == $d) | .rewrite_bcd] + [.findings[] | select(.code == "bcd-device-mismatch") | .fixable] | map(tostring) | join(" ")' "$T/d.json")"
	expect_match "($tag) moved: the next step is --rewrite-bcd" "fix-boot $D --rewrite-bcd" \
		"$(jq -r '.findings[] | select(.code == "bcd-device-mismatch") | .next' "$T/d.json")"
	expect_match "($tag) moved: the device's words say no partition of that disk is there" \
		"partition at 101\.0 MiB: no partition of that disk is there" "$(tr '\n' ' ' <"$T/d.txt" | tr -s ' ')"
	S1=$(sha "$moved")
	fixboot "$D" --yes
	expect_eq "($tag) moved: fix-boot without --rewrite-bcd refused (32, needs-rewrite)" "32 needs-rewrite" \
		"$RC $(code)"
	expect_eq "($tag) moved: nothing written (sha256)" "$S1" "$(sha "$moved")"
	fixboot_text "$D" --rewrite-bcd --dry-run
	expect_match "($tag) moved: the plan names the partition at 120.0 MiB" \
		"osdevice name MBR disk $SIG, partition at 120\.0 MiB \(it names MBR disk $SIG, partition at 101\.0 MiB\)" \
		"$(tr '\n' ' ' <"$T/out.txt" | tr -s ' ')"
	expect_match "($tag) moved: it counts the elements that change" \
		"Rewrite the $([ "$L" = one ] && echo 3 || echo 2) device elements" "$(cat "$T/out.txt")"
	expect_eq "($tag) moved: no warning about an identity the store no longer names" "" \
		"$(grep -o 'keeps its present identity' "$T/out.txt")"
	expect_eq "($tag) moved: --dry-run wrote nothing" "$S1" "$(sha "$moved")"
	# the hive worker is confined once the store's copy is open (issue 24)
	for how in open execve socket; do
		WINRESCUE_WORKER_ESCAPE=$how fixboot_text "$D" --rewrite-bcd --dry-run
		expect_match "($tag) moved: a hive worker that tries $how is stopped, and fix-boot says so" \
			"reading the store as a registry hive stopped: .*outside its sandbox" "$RC $(cat "$T/out.txt")"
	done
	expect_eq "($tag) moved: ... nothing written" "$S1" "$(sha "$moved")"
	fixboot "$D" --rewrite-bcd --yes
	expect_eq "($tag) moved: --rewrite-bcd: exit 0, fixed" "0 fixed" "$RC $(code)"
	UNDO=$(jq -r '.undo_file // empty' "$T/out.json")
	expect_eq "($tag) moved: the loader's elements are the real layout at 120 MiB, byte for byte" \
		"$(wr_bcd_mbr_hex "$SIG" $((120 * MIB))) $(wr_bcd_mbr_hex "$SIG" $((120 * MIB)))" \
		"$(store_element "$bmpart" "$WR_BCD_LOADER" 11000001) $(store_element "$bmpart" "$WR_BCD_LOADER" 21000001)"
	expect_eq "($tag) moved: the boot manager's element names its partition ($bmoff)" \
		"$(wr_bcd_mbr_hex "$SIG" "$([ "$L" = one ] && echo $((120 * MIB)) || echo "$bmoff")")" \
		"$(store_element "$bmpart" "$WR_BCD_BOOTMGR" 11000001)"
	expect_eq "($tag) moved: the signature stays" "0x$SIG" "$(disk_id "$D")"
	diagnose
	expect_eq "($tag) moved: after the rewrite: exit 0" "0 0" "$RC $(n_found bcd-device-mismatch -)"
	undo "$UNDO" --yes
	expect_eq "($tag) moved: undo puts the store back byte for byte" "0 $S1" "$RC $(sha "$moved")"
	# a copy of the disk as it was (same signature, C: where the store says) attached
	# beside: which disk the store means cannot be told; fix-boot refuses, writes nothing
	if [ "$L" = sysres ]; then
		make_real_disk "$T/copy.img" "$L" "$LOADER_OFF" || wr_bail "copy"
		wr_attach_to C2 "$T/copy.img" || wr_bail "attach copy"
		S1=$(sha "$moved")
		fixboot "$D" --rewrite-bcd --yes
		expect_eq "($tag) moved, with a copy holding its signature: refused (32, collision)" \
			"32 collision" "$RC $(code)"
		expect_match "($tag) ... the refusal names both disks and says to detach the copy" \
			"$D.*$C2.*same MBR disk signature $SIG" "$(jq -r .message "$T/out.json") $(jq -r .next "$T/out.json")"
		expect_eq "($tag) ... nothing written (sha256 of both)" "$S1" "$(sha "$moved")"
		wr_release "$C2"
		rm -f "$T/copy.img"
	fi
	wr_release "$D"
	rm -f "$img" "$moved"
}

scenario one "$LOADER_OFF" b-d
scenario sysres "$MIB" e

# ------------------------------------------- (f) GPT and MBR side by side
make_store "$T/store.new" "$(wr_bcd_mbr_hex "$SIG" "$MIB")" "$WR_BCD_MBR_REAL" || wr_bail "make_store"
make_real_disk "$T/bios.img" sysres "$LOADER_OFF" || wr_bail "make_real_disk"
make_uefi_disk "$T/uefi.img" bcd || wr_bail "make_uefi_disk"
wr_attach_to B "$T/bios.img" || wr_bail "attach bios"
wr_attach_to U "$T/uefi.img" || wr_bail "attach uefi"
diagnose
expect_eq "(f) a GPT store and an MBR store side by side: exit 0, no mismatch" "0 0" \
	"$RC $(n_found bcd-device-mismatch -)"
[ "$RC" = 0 ] || cat "$T/d.txt" >&2
expect_eq "(f) both Windows found, each store naming its own disk" "${B}p2 ${U}p3" \
	"$(jq -r '[.windows[] | select(.default.osdevice == .device) | .device] | sort | join(" ")' "$T/d.json")"

# ------------------------------------------- (g) --rewrite-bcd GPT <-> MBR
# an MBR disk whose store names the fixture's GPT disk (as a disk converted
# from GPT would): the elements become the real MBR layout
wr_release "$U"
_wrd_hive BCD >"$T/store.new" &&
	"$WR_HIVE_EDIT" "$T/store.new" sz "Objects\\$WR_BCD_LOADER\\Elements\\12000002" Element \
		'\Windows\system32\winload.exe' || wr_bail "GPT store"
mkdir -p "$T/m"
wr_mount_ntfs "${B}p1" "$T/m" || wr_bail "mount"
cp "$T/store.new" "$T/m/Boot/BCD" || nok "(g) copy the GPT store"
wr_umount "$T/m"
diagnose
expect_eq "(g) a GPT store on an MBR disk: bcd-device-mismatch, the disk changed kind" "4 1 true true" \
	"$RC $(n_found bcd-device-mismatch -) $(jq -r --arg d "$B" '.repairs[] | select(.disk == $d) | "\(.kind_changed) \(.rewrite_bcd)"' "$T/d.json")"
S2=$(sha "$T/bios.img")
fixboot "$B" --yes
expect_eq "(g) fix-boot without --rewrite-bcd: refused, nothing written" "32 needs-rewrite $S2" \
	"$RC $(code) $(sha "$T/bios.img")"
fixboot "$B" --rewrite-bcd --yes
expect_eq "(g) GPT to MBR: --rewrite-bcd: exit 0, fixed" "0 fixed" "$RC $(code)"
UNDO=$(jq -r '.undo_file // empty' "$T/out.json")
expect_eq "(g) GPT to MBR: the loader's elements are Windows' own MBR element, byte for byte" \
	"$WR_BCD_MBR_REAL $WR_BCD_MBR_REAL" \
	"$(store_element "${B}p1" "$WR_BCD_LOADER" 11000001) $(store_element "${B}p1" "$WR_BCD_LOADER" 21000001)"
expect_eq "(g) GPT to MBR: the boot manager's, the real layout at 1 MiB" \
	"$(wr_bcd_mbr_hex "$SIG" "$MIB")" "$(store_element "${B}p1" "$WR_BCD_BOOTMGR" 11000001)"
diagnose
expect_eq "(g) GPT to MBR: diagnose exit 0" "0 0" "$RC $(n_found bcd-device-mismatch -)"
undo "$UNDO" --yes
expect_eq "(g) GPT to MBR: undo, byte for byte" "0 $S2" "$RC $(sha "$T/bios.img")"
wr_release "$B"

# and back: the fixture's GPT disk whose ESP store names MBR partitions
wr_attach_to U "$T/uefi.img" || wr_bail "attach uefi"
_wrd_hive BCD >"$T/fixture.bcd" || wr_bail "fixture BCD"
cp "$T/fixture.bcd" "$T/store.new" &&
	wr_bcd_set "$T/store.new" "$WR_BCD_BOOTMGR" 11000001 "$(wr_bcd_mbr_hex "$SIG" "$MIB")" &&
	wr_bcd_set "$T/store.new" "$WR_BCD_LOADER" 11000001 "$WR_BCD_MBR_REAL" &&
	wr_bcd_set "$T/store.new" "$WR_BCD_LOADER" 21000001 "$WR_BCD_MBR_REAL" || wr_bail "MBR store"
_wrd_mtools mcopy -o -i "${U}p1" "$T/store.new" ::/EFI/Microsoft/Boot/BCD || wr_bail "mcopy"
diagnose
expect_eq "(g) an MBR store on a GPT disk: the disk changed kind" "4 true" \
	"$RC $(jq -r --arg d "$U" '.repairs[] | select(.disk == $d) | .kind_changed' "$T/d.json")"
S3=$(sha "$T/uefi.img")
fixboot "$U" --rewrite-bcd --yes
expect_eq "(g) MBR to GPT: --rewrite-bcd: exit 0, fixed" "0 fixed" "$RC $(code)"
UNDO=$(jq -r '.undo_file // empty' "$T/out.json")
MTOOLS_SKIP_CHECK=1 mcopy -n -i "${U}p1" ::/EFI/Microsoft/Boot/BCD "$T/esp.after" 2>/dev/null ||
	nok "(g) mcopy the store back"
for e in "$WR_BCD_LOADER 11000001" "$WR_BCD_LOADER 21000001" "$WR_BCD_BOOTMGR 11000001"; do
	# shellcheck disable=SC2086
	expect_eq "(g) MBR to GPT: $e is the fixture's GPT element again, byte for byte" \
		"$(wr_bcd_element "$T/fixture.bcd" $e)" "$(wr_bcd_element "$T/esp.after" $e)"
done
diagnose
expect_eq "(g) MBR to GPT: diagnose exit 0" "0 0" "$RC $(n_found bcd-device-mismatch -)"
undo "$UNDO" --yes
expect_eq "(g) MBR to GPT: undo, byte for byte" "0 $S3" "$RC $(sha "$T/uefi.img")"

# ------------------------------------------- (h) forms winrescue does not read
# the legacy partition form (device type 2) and a partition style that is
# neither GPT nor MBR: the device is not known (exit 8), never judged clean
# nor rewritten; fix-boot cannot tell
wr_release "$U"
for form in legacy raw; do
	hex=$WR_BCD_MBR_REAL
	if [ $form = legacy ]; then hex=${hex/06,00,00,00,00,00,00,00,48/02,00,00,00,00,00,00,00,48}
	else hex=${hex/01,00,00,00,09,64,d7,a5/02,00,00,00,09,64,d7,a5}; fi
	make_store "$T/store.new" "$(wr_bcd_mbr_hex "$SIG" "$MIB")" "$hex" || wr_bail "make_store $form"
	make_real_disk "$T/$form.img" sysres "$LOADER_OFF" || wr_bail "make_real_disk $form"
	wr_attach_to D "$T/$form.img" || wr_bail "attach $form"
	diagnose
	expect_eq "(h) $form: bcd-device-unknown, exit 8, no mismatch" "8 1 0" \
		"$RC $(n_found bcd-device-unknown -) $(n_found bcd-device-mismatch -)"
	[ "$RC" = 8 ] || cat "$T/d.txt" >&2
	expect_match "(h) $form: the words say what is not read" \
		"$([ $form = legacy ] && echo 'legacy form \(device type 2\)' || echo 'partition style 2')" \
		"$(jq -r '.findings[] | select(.code == "bcd-device-unknown") | .message' "$T/d.json")"
	S4=$(sha "$T/$form.img")
	fixboot "$D" --rewrite-bcd --yes
	expect_eq "(h) $form: fix-boot --rewrite-bcd cannot tell (1, not-known), nothing written" \
		"1 not-known $S4" "$RC $(code) $(sha "$T/$form.img")"
	wr_release "$D"
	rm -f "$T/$form.img"
done
# ------------------------------------------- (i) what --rewrite-bcd cannot tell
# the signature changed and C: moved: only the rewrite names it (the present
# signature, the new offset)
make_store "$T/store.new" "$(wr_bcd_mbr_hex "$SIG" "$MIB")" "$WR_BCD_MBR_REAL" || wr_bail "make_store"
make_real_disk "$T/sm.img" sysres $((120 * MIB)) || wr_bail "make_real_disk sm"
wr_attach_to D "$T/sm.img" || wr_bail "attach sm"
set_disk_id "$D" 0x11112222 || wr_bail "sfdisk --disk-id"
diagnose
expect_eq "(i) signature changed and C: moved: a rewrite only" "4 true true" \
	"$RC $(jq -r --arg d "$D" '.repairs[] | select(.disk == $d) | "\(.rewrite_bcd) \(.refused != null)"' "$T/d.json")"
expect_match "(i) ... the words say why the identity alone would not do" \
	"its MBR signature is 11112222 now\. Putting it back would not do: .*the partitions moved" "$(mismatch_msg)"
fixboot "$D" --rewrite-bcd --yes
expect_eq "(i) ... --rewrite-bcd: the loader names the present signature at 120 MiB" \
	"0 fixed $(wr_bcd_mbr_hex 11112222 $((120 * MIB)))" \
	"$RC $(code) $(store_element "${D}p1" "$WR_BCD_LOADER" 21000001)"
wr_release "$D"
rm -f "$T/sm.img"
# two devices naming one partition that are two now (the boot manager and
# the loader both at 50 MiB): which is which cannot be told
make_store "$T/store.new" "$(wr_bcd_mbr_hex "$SIG" $((50 * MIB)))" "$(wr_bcd_mbr_hex "$SIG" $((50 * MIB)))" ||
	wr_bail "make_store"
make_real_disk "$T/cf.img" sysres $((120 * MIB)) || wr_bail "make_real_disk cf"
wr_attach_to D "$T/cf.img" || wr_bail "attach cf"
diagnose
expect_eq "(i) one partition named for two: no rewrite offered" "4 false" \
	"$RC $(jq -r --arg d "$D" '.repairs[] | select(.disk == $d) | .rewrite_bcd' "$T/d.json")"
S5=$(sha "$T/cf.img")
fixboot "$D" --rewrite-bcd --yes
expect_eq "(i) ... fix-boot --rewrite-bcd refused (32), nothing written" "32 $S5" "$RC $(sha "$T/cf.img")"
wr_release "$D"
rm -f "$T/cf.img"
# two Windows on the disk (an old one at 120 MiB, C: at 200 MiB), the store
# naming 101 MiB: which one its loader meant cannot be told
make_store "$T/store.new" "$(wr_bcd_mbr_hex "$SIG" "$MIB")" "$WR_BCD_MBR_REAL" || wr_bail "make_store"
_wrd_new "$T/two.img" 300M || wr_bail "two.img"
printf 'label: dos\nlabel-id: 0x%s\nstart=2048, size=100MiB, type=7, bootable\nstart=%s, size=64MiB, type=7\nstart=%s, size=64MiB, type=7\n' \
	"$SIG" $((120 * 2048)) $((200 * 2048)) | sfdisk -q "$T/two.img" >/dev/null || wr_bail "sfdisk two"
_wrd_mbr_code "$T/two.img" || wr_bail "mbr code"
wr_attach_to D "$T/two.img" || wr_bail "attach two"
_wrd_mkntfs "${D}p1" "System Reserved" && _wrd_mkntfs "${D}p2" Old && _wrd_mkntfs "${D}p3" Windows &&
	_wrd_populate "${D}p1" "$T/two.img" fill_store &&
	_wrd_populate "${D}p2" "$T/two.img" _wrd_fill_windows_oddcase &&
	_wrd_populate "${D}p3" "$T/two.img" _wrd_fill_windows_oddcase || wr_bail "populate two"
diagnose
expect_eq "(i) two Windows on the disk: a repair, no rewrite offered" "false" \
	"$(jq -r --arg d "$D" '[.repairs[] | select(.disk == $d) | .rewrite_bcd] | unique | map(tostring) | join(" ")' "$T/d.json")"
expect_match "(i) ... the words say which two" "holds more than one Windows \(${D}p2 and ${D}p3\)" "$(mismatch_msg)"
S5=$(sha "$T/two.img")
fixboot "$D" --rewrite-bcd --yes
expect_eq "(i) ... fix-boot --rewrite-bcd refused (32), nothing written" "32 $S5" "$RC $(sha "$T/two.img")"
wr_release "$D"
rm -f "$T/two.img"

# a disk with neither Windows nor a store named to fix-boot: said so
fixboot "$BLANK" --yes
expect_match "(h) fix-boot on a blank disk: nothing to do, and why" \
	"holds neither Windows nor a BCD store" "$(jq -r '.plan.steps[]?, .message' "$T/out.json")"

wr_finish
