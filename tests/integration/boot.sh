#!/usr/bin/env bash
# tests/integration/boot.sh - `winrescue diagnose` and `winrescue fix-boot`
# on real disks (loop devices, sfdisk, mkntfs, mkfs.vfat, mtools) holding
# the fixtures' real BCD store and SYSTEM hive and a SOFTWARE hive made
# with hivex:
#
#   (a) a UEFI disk with the GUIDs the BCD names: the store read from the
#       ESP through mtools, every device matched, exit 0; list shows the
#       product facts and the ESP's store;
#   (b) the same disk after its GUID changed (sfdisk --disk-id): exit 4,
#       bcd-device-mismatch naming the disk and the GUID it had; diagnose
#       and fix-boot --dry-run write nothing (sha256); fix-boot without
#       --yes and no terminal is refused; fix-boot --yes puts the GUID back
#       (sfdisk reads it, diagnose exit 0, an undo file, the audit log);
#       undo brings the mismatch back byte for byte (sha256);
#   (c) a disk holding the GUID the BCD expects attached too: fix-boot
#       refuses (the collision would come back), nothing written;
#       --rewrite-bcd makes the ESP's store name the disk as it is now
#       (mtools finds its clusters), undo puts the store back byte for byte;
#   (d) an MBR disk with System Reserved whose BCD (made with hivex from the
#       real one) names its signature and offsets: exit 0; signature
#       changed: exit 4, fix-boot, exit 0, undo, exit 4; a clone holding the
#       old signature: --rewrite-bcd rewrites \Boot\BCD in place (refused
#       while the hive has changes in its logs or the volume is in Fast
#       Startup state), the store names the disk, undo restores it;
#   (e) refusals and bad input: a mounted partition (fix-boot refused, in
#       use), a damaged BCD on the ESP (bcd-unreadable, exit 8), no store
#       (bcd-missing), Safe Mode set, updates pending, a hibernated Windows,
#       a missing winload, two Windows installations, a disk that is not
#       there; never a crash, nothing written;
#   (f) two disks with one GUID, a default that names no entry, SYSTEM_B
#       (changes in its logs), a missing control set, a damaged SYSTEM
#       hive, a hibernated Windows, a BitLocker volume: each its finding,
#       weight and exit status;
#   (g) a disk grown since it was partitioned: libfdisk would move its backup
#       GPT header too, so fix-boot refuses (it changes only the identity);
#       another DISK: nothing to do there; a partition named instead of a
#       disk; Windows without a device node (partx); a damaged store: fix-boot
#       cannot tell (1).
# Every command names the suite's own disks (diagnose and list take them as
# DISK... filters, fix-boot sees only them through wr_only): other Windows
# disks attached beside (another suite, a `make demo`) change nothing.
# Needs root, loop devices, FUSE (ntfs-3g) and mtools.

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../lib.sh"
. "$HERE/../lib-json.sh"
. "$HERE/disks.sh"

wr_require_root_loop_fuse
wr_require_fixtures
wr_require_tools jq sfdisk losetup partx mkntfs ntfs-3g ntfsfix mkfs.vfat mcopy sha256sum timeout od
[ -x "$WR_BIN" ] || wr_bail "$WR_BIN not built"
for t in "$WR_NTFS_STATE" "$WR_HIVE_EDIT"; do
	[ -x "$t" ] || make -C "$WR_ROOT" --no-print-directory "${t#"$WR_ROOT"/}" >/dev/null ||
		wr_bail "cannot build $t"
done

wr_tmpdir_to T
export WINRESCUE_LOG=$T/audit.jsonl
export WINRESCUE_UNDO_DIR=$T/undo

. "$HERE/../lib-boot.sh"

# ------------------------------------------- (a) a UEFI disk the BCD names
diagnose
expect_eq "(a) before any Windows disk is attached: windows-not-found, exit 8" "8 1" \
	"$RC $(n_found windows-not-found -)"
make_uefi_disk "$T/uefi.img" bcd || wr_bail "make_uefi_disk"
wr_attach_to U "$T/uefi.img" || wr_bail "attach"
UP1=${U}p1 UP3=${U}p3
S0=$(sha "$T/uefi.img")

diagnose
expect_eq "(a) diagnose: nothing stops the boot (exit 0)" 0 "$RC"
expect_eq "(a) one Windows installation on the UEFI disk" "$UP3" \
	"$(jq -r --arg d "$U" '[.windows[] | select(.disk_path == $d)][0].device' "$T/d.json")"
expect_eq "(a) its store is the ESP's, read through mtools" "$UP1 \\EFI\\Microsoft\\Boot\\BCD" \
	"$(jq -r --arg d "$UP3" '.windows[] | select(.device == $d) | "\(.store.device) \(.store.file)"' "$T/d.json")"
expect_eq "(a) the default loader's device and osdevice are C:" "$UP3 $UP3" \
	"$(jq -r --arg d "$UP3" '.windows[] | select(.device == $d) | "\(.default.device) \(.default.osdevice)"' "$T/d.json")"
expect_eq "(a) the boot manager's device is the ESP" "$UP1" \
	"$(jq -r --arg d "$UP3" '.windows[] | select(.device == $d) | .bootmgr.device' "$T/d.json")"
expect_eq "(a) the product name from the SOFTWARE hive" "Windows Server 2019 Datacenter 17763.4010" \
	"$(jq -r --arg d "$UP3" '.windows[] | select(.device == $d) | "\(.product_name) \(.build)"' "$T/d.json")"
expect_eq "(a) no bcd finding about the ESP" 0 "$(n_found bcd-device-mismatch "$UP1")"
expect_match "(a) the text verdict" "nothing found that would stop Windows" "$(cat "$T/d.txt")"
expect_eq "(a) schema 1.7" "1.7" "$(jq -r '.schema.version | map(tostring) | join(".")' "$T/d.json")"

own_list --json >"$T/list.json" 2>/dev/null
expect_eq "(a) list: the ESP's bcd_store (file, 17 entries)" "\\EFI\\Microsoft\\Boot\\BCD 17" \
	"$(jq -r --arg p "$UP1" '.disks[].partitions[] | select(.path == $p) | .bcd_store | "\(.file) \(.entries | length)"' "$T/list.json")"
expect_eq "(a) list: windows.product_name, edition, version, build, display_version" \
	"Windows Server 2019 Datacenter ServerDatacenter 10.0 17763.4010 1809" \
	"$(jq -r --arg p "$UP3" '.disks[].partitions[] | select(.path == $p) | .windows | "\(.product_name) \(.edition) \(.version) \(.build) \(.display_version)"' "$T/list.json")"
expect_eq "(a) list: winload.efi seen, no pending updates" "true false false" \
	"$(jq -r --arg p "$UP3" '.disks[].partitions[] | select(.path == $p) | .windows | "\(.winload_efi) \(.pending_xml) \(.reboot_pending)"' "$T/list.json")"
expect_match "(a) list text: the product on the Windows line" \
	"Windows Server 2019 Datacenter 1809 build 17763.4010 on $UP3" "$(own_list 2>/dev/null)"
expect_eq "(a) diagnose and list wrote nothing (sha256)" "$S0" "$(sha "$T/uefi.img")"

# ------------------------------------------- (b) its disk GUID changed
NEWID=11111111-2222-3333-4444-555555555555
set_disk_id "$U" "$NEWID" || wr_bail "sfdisk --disk-id"
S1=$(sha "$T/uefi.img")
diagnose
expect_eq "(b) diagnose: something stops the boot (exit 4)" 4 "$RC"
expect_eq "(b) one bcd-device-mismatch about the ESP's store" 1 "$(n_found bcd-device-mismatch "$UP1")"
expect_eq "(b) it is fixable" true \
	"$(jq -r --arg d "$UP1" '.findings[] | select(.code == "bcd-device-mismatch" and .device == $d) | .fixable' "$T/d.json")"
expect_eq "(b) the repair: the disk, from the new GUID to the BCD's" "$U $NEWID $WR_BCD_DISK null" \
	"$(jq -r --arg d "$U" '.repairs[] | select(.disk == $d) | "\(.disk) \(.from) \(.to) \(.refused)"' "$T/d.json")"
expect_match "(b) the text names the 0xc000000e case and the likely disk" \
	"0xc000000e.* Disk [0-9]+ \\($U\\) is most likely that disk" "$(tr '\n' ' ' <"$T/d.txt")"
expect_eq "(b) diagnose wrote nothing (sha256)" "$S1" "$(sha "$T/uefi.img")"

fixboot --dry-run
expect_eq "(b) fix-boot --dry-run: exit 0" 0 "$RC"
expect_match "(b) the plan names the GUIDs" "Set the GPT disk GUID of $U .* from $NEWID to $WR_BCD_DISK" \
	"$(jq -r '.plan.steps[0]' "$T/out.json")"
expect_eq "(b) --dry-run wrote nothing (sha256)" "$S1" "$(sha "$T/uefi.img")"
# shellcheck disable=SC2046
wr_only $(own_disks) -- "$WR_BIN" fix-boot >/dev/null 2>&1 </dev/null
expect_eq "(b) no --yes and no terminal: refused (32)" 32 "$?"
expect_eq "(b) nothing written without --yes (sha256)" "$S1" "$(sha "$T/uefi.img")"

data_sha() { dd if="$1" bs=1M skip=1 count=298 2>/dev/null | sha256sum | cut -d' ' -f1; }
D1=$(data_sha "$T/uefi.img")
fixboot --yes
expect_eq "(b) fix-boot --yes: exit 0" 0 "$RC"
expect_eq "(b) code fixed" fixed "$(code)"
UNDO=$(jq -r '.undo_file // empty' "$T/out.json")
expect_eq "(b) the undo file is in WINRESCUE_UNDO_DIR" "$WINRESCUE_UNDO_DIR" "$(dirname "$UNDO")"
ok_if() { if [ "$2" = 0 ]; then ok "$1"; else nok "$1"; fi; }
[ -s "$UNDO" ]; ok_if "(b) the undo file exists" $?
expect_eq "(b) sfdisk reads the BCD's disk GUID again" "$WR_BCD_DISK" "$(disk_id "$U")"
expect_eq "(b) the partitions are still there" "4" "$(ls "$U"p* 2>/dev/null | wc -l)"
diagnose
expect_eq "(b) diagnose after fix-boot: exit 0" 0 "$RC"
expect_eq "(b) no mismatch left" 0 "$(n_found bcd-device-mismatch -)"
expect_eq "(b) the audit log has fix-boot's plan and result" "plan result" \
	"$(jq -r 'select(.action == "fix-boot") | .event' "$WINRESCUE_LOG" | tail -2 | tr '\n' ' ' | sed 's/ $//')"
expect_eq "(b) only the partition table changed: the partitions did not" "$D1" \
	"$(data_sha "$T/uefi.img")"
undo "$UNDO" --yes
expect_eq "(b) undo: exit 0" 0 "$RC"
expect_eq "(b) undo brings the changed GUID back byte for byte (sha256)" "$S1" "$(sha "$T/uefi.img")"
diagnose
expect_eq "(b) after undo: the mismatch again (exit 4)" "4 1" "$RC $(n_found bcd-device-mismatch "$UP1")"

# the same disk used by the running system (a file system of it mounted outside
# /mnt, as a rescue system's own): hands off, whatever its BCD says
mkfs.ext4 -q "${U}p2" || wr_bail "mkfs.ext4 on the MSR"
S_RES=$(sha "$T/uefi.img")
mkdir -p "$T/sysroot" && mount -o ro,noload "${U}p2" "$T/sysroot" &&
	wr_cleanup_add "umount '$T/sysroot'" || wr_bail "mount"
fixboot "$U" --yes
expect_eq "(b) the rescue system's own disk: refused (32, rescue-disk)" "32 rescue-disk" "$RC $(code)"
fixboot "$U" --rewrite-bcd --yes
expect_eq "(b) ... --rewrite-bcd too" "32 rescue-disk" "$RC $(code)"
umount "$T/sysroot" && wr_cleanup_forget "umount '$T/sysroot'"
expect_eq "(b) nothing written to it (sha256)" "$S_RES" "$(sha "$T/uefi.img")"
# the MSR as it was (no file system): the image as (b) left it
dd if=/dev/zero of="${U}p2" bs=1M count=16 status=none
S1=$(sha "$T/uefi.img")

# ------------------------------------------- (c) the GUID it expects is taken
_wrd_new "$T/twin.img" 8M
printf 'label: gpt\nlabel-id: %s\nstart=2048, size=4MiB\n' "$WR_BCD_DISK" | sfdisk -q "$T/twin.img" >/dev/null
wr_attach_to TWIN "$T/twin.img" || wr_bail "attach twin"
diagnose
expect_match "(c) the repair is refused: the collision would come back" "already has GPT disk GUID $WR_BCD_DISK" \
	"$(jq -r --arg d "$U" '.repairs[] | select(.disk == $d) | .refused' "$T/d.json")"
expect_eq "(c) fixable only by rewriting the store (collision)" "true true" \
	"$(jq -r --arg d "$UP1" --arg k "$U" '"\(.findings[] | select(.code == "bcd-device-mismatch" and .device == $d) | .fixable) \(.repairs[] | select(.disk == $k) | .collision)"' "$T/d.json")"
expect_match "(c) the next step names the command: fix-boot DISK --rewrite-bcd" "fix-boot $U --rewrite-bcd" \
	"$(jq -r --arg d "$UP1" '.findings[] | select(.code == "bcd-device-mismatch" and .device == $d) | .next' "$T/d.json")"
fixboot "$U" --yes
expect_eq "(c) fix-boot refused (32, collision)" "32 collision" "$RC $(code)"
expect_eq "(c) nothing written (sha256)" "$S1" "$(sha "$T/uefi.img")"

# --rewrite-bcd: the ESP's store made to name the disk as it is now (mtools finds its clusters)
MTOOLS_SKIP_CHECK=1 mcopy -n -i "$UP1" ::/EFI/Microsoft/Boot/BCD "$T/bcd.before" >/dev/null 2>&1
fixboot "$U" --rewrite-bcd --dry-run
expect_eq "(c) --rewrite-bcd --dry-run: exit 0" 0 "$RC"
expect_match "(c) the plan: the device elements of the ESP's store, to the present GUID" \
	"Rewrite the [0-9]+ device elements of the BCD store on $UP1 .* name GPT disk $WR_BCD_DISK: they will name $U as it is now, $NEWID" \
	"$(jq -r '.plan.steps[0]' "$T/out.json")"
expect_eq "(c) --dry-run wrote nothing (sha256)" "$S1" "$(sha "$T/uefi.img")"
fixboot "$U" --rewrite-bcd --yes
expect_eq "(c) --rewrite-bcd: exit 0, fixed" "0 fixed" "$RC $(code)"
UNDO=$(jq -r '.undo_file // empty' "$T/out.json")
expect_eq "(c) the disk kept its GUID" "$NEWID" "$(disk_id "$U")"
expect_eq "(c) the whole store as it was, beside the undo file" "$(sha "$T/bcd.before")" \
	"$(sha "$UNDO.BCD")"
diagnose
expect_eq "(c) the store names the disk: no mismatch about it" 0 "$(n_found bcd-device-mismatch "$UP1")"
expect_eq "(c) its loader's osdevice is C: again" "$UP3" \
	"$(jq -r --arg d "$UP3" '.windows[] | select(.device == $d) | .default.osdevice' "$T/d.json")"
MTOOLS_SKIP_CHECK=1 mcopy -n -i "$UP1" ::/EFI/Microsoft/Boot/BCD "$T/bcd.after" >/dev/null 2>&1
expect_eq "(c) the store is still a hive hivex reads whole (17 objects)" 17 \
	"$(own_list --json 2>/dev/null | jq -r --arg p "$UP1" '.disks[].partitions[] | select(.path == $p) | .bcd_store.entries | length')"
expect_eq "(c) the store file kept its size" 32768 "$(stat -c %s "$T/bcd.after")"
undo "$UNDO" --yes
expect_eq "(c) undo of the rewrite: exit 0, the image byte for byte" "0 $S1" "$RC $(sha "$T/uefi.img")"
wr_detach "$TWIN"

# ------------------------------------------- (e) refusals on the UEFI disk
wr_mount_ntfs "$UP3" "$T/mnt" ro || wr_bail "mount"
fixboot "$U" --yes
expect_eq "(e) a mounted partition: fix-boot refused (32, in-use)" "32 in-use" "$RC $(code)"
wr_umount "$T/mnt" || wr_bail "umount"
expect_eq "(e) nothing written (sha256)" "$S1" "$(sha "$T/uefi.img")"
fixboot nosuchdisk --yes
expect_eq "(e) a disk that is not there: usage (16)" 16 "$RC"
expect_match "(e) its error names it" "nosuchdisk" "$(jq -r '.message' "$T/out.json")"

# a damaged store on the ESP: said in words, exit 8 (not 0, not a crash)
head -c 8192 /dev/urandom >"$T/bad.bcd"
MTOOLS_SKIP_CHECK=1 mcopy -o -i "$UP1" "$T/bad.bcd" ::/EFI/Microsoft/Boot/BCD >/dev/null 2>&1 || wr_bail "mcopy"
diagnose
expect_eq "(e) a damaged BCD: exit 8" 8 "$RC"
expect_match "(e) bcd-unreadable says why" "cannot be read as a registry hive" \
	"$(jq -r --arg d "$UP1" '.findings[] | select(.code == "bcd-unreadable" and .device == $d) | .message' "$T/d.json")"
MTOOLS_SKIP_CHECK=1 mdel -i "$UP1" ::/EFI/Microsoft/Boot/BCD >/dev/null 2>&1 || wr_bail "mdel"
diagnose
expect_eq "(e) no store on the ESP: bcd-missing, exit 4" "4 1" "$RC $(n_found bcd-missing "$UP3")"
wr_detach "$U"

# ------------------------------------------- (d) an MBR disk and its own BCD
make_bios_disk "$T/bios.img" 0x5cbea03e bcd || wr_bail "make_bios_disk"
wr_attach_to B "$T/bios.img" || wr_bail "attach"
diagnose
expect_eq "(d) the MBR store names this disk: exit 0" 0 "$RC"
expect_eq "(d) its store is System Reserved's \\Boot\\BCD" "${B}p1 \\Boot\\BCD" \
	"$(jq -r --arg d "${B}p2" '.windows[] | select(.device == $d) | "\(.store.device) \(.store.file)"' "$T/d.json")"
expect_eq "(d) the default loader names C: by signature and offset" "${B}p2" \
	"$(jq -r --arg d "${B}p2" '.windows[] | select(.device == $d) | .default.osdevice' "$T/d.json")"
set_disk_id "$B" 0xdeadbeef || wr_bail "sfdisk --disk-id"
S2=$(sha "$T/bios.img")
diagnose
expect_eq "(d) signature changed: exit 4" 4 "$RC"
expect_eq "(d) the repair: signature deadbeef back to 5cbea03e" "deadbeef 5cbea03e" \
	"$(jq -r --arg d "$B" '.repairs[] | select(.disk == $d) | "\(.from) \(.to)"' "$T/d.json")"
fixboot "$B" --yes
expect_eq "(d) fix-boot: exit 0, fixed" "0 fixed" "$RC $(code)"
UNDO=$(jq -r '.undo_file // empty' "$T/out.json")
expect_eq "(d) sfdisk reads the signature again" 0x5cbea03e "$(disk_id "$B")"
diagnose
expect_eq "(d) after fix-boot: exit 0" 0 "$RC"
undo "$UNDO" --yes
expect_eq "(d) undo restores it byte for byte" "0 $S2" "$RC $(sha "$T/bios.img")"
diagnose
expect_eq "(d) after undo: exit 4 again" 4 "$RC"
# --rewrite-bcd on NTFS (System Reserved's \Boot\BCD, located through libntfs-3g), a clone
# holding the signature the store expects attached
make_collision_disk "$T/clone.img" 0x5cbea03e || wr_bail "make_collision_disk"
wr_attach_to CL "$T/clone.img" || wr_bail "attach clone"
diagnose
expect_eq "(d) the clone has the signature: only a rewrite can fix it" "true" \
	"$(jq -r --arg d "$B" '.repairs[] | select(.disk == $d) | .collision' "$T/d.json")"
# refused: changes waiting in the store's logs (its two sequence numbers differ)
mkdir -p "$T/m"
wr_mount_ntfs "${B}p1" "$T/m" || wr_bail "mount p1"
SEQ=$(od -An -tu4 -j4 -N4 "$T/m/Boot/BCD" | tr -d ' ')
"$WR_HIVE_EDIT" "$T/m/Boot/BCD" seq "$SEQ" $((SEQ + 1)) || nok "(d) hive-edit seq"
wr_umount "$T/m"
S3=$(sha "$T/bios.img")
fixboot "$B" --rewrite-bcd --yes
expect_eq "(d) a store with changes in its logs: refused (32, hive-dirty)" "32 hive-dirty" "$RC $(code)"
expect_eq "(d) nothing written (sha256)" "$S3" "$(sha "$T/bios.img")"
wr_mount_ntfs "${B}p1" "$T/m" || wr_bail "mount p1"
"$WR_HIVE_EDIT" "$T/m/Boot/BCD" seq "$SEQ" "$SEQ" || nok "(d) hive-edit seq back"
wr_umount "$T/m"
# refused: the volume holding the store in Fast Startup state
"$WR_NTFS_STATE" "${B}p1" logfile fast-restart >/dev/null || nok "(d) ntfs-state fast-restart"
S3=$(sha "$T/bios.img")
fixboot "$B" --rewrite-bcd --yes
expect_eq "(d) the store's volume in Fast Startup state: refused (32, hibernated)" "32 hibernated" "$RC $(code)"
expect_eq "(d) nothing written (sha256)" "$S3" "$(sha "$T/bios.img")"
"$WR_NTFS_STATE" "${B}p1" logfile empty >/dev/null || nok "(d) ntfs-state empty"
S3=$(sha "$T/bios.img")
fixboot "$B" --rewrite-bcd --yes
expect_eq "(d) --rewrite-bcd on System Reserved: exit 0, fixed" "0 fixed" "$RC $(code)"
UNDO=$(jq -r '.undo_file // empty' "$T/out.json")
expect_eq "(d) the disk kept its signature" 0xdeadbeef "$(disk_id "$B")"
diagnose
expect_eq "(d) the store names the disk again: no mismatch about it" 0 "$(n_found bcd-device-mismatch "${B}p1")"
expect_eq "(d) its loader's osdevice is C:" "${B}p2" \
	"$(jq -r --arg d "${B}p2" '.windows[] | select(.device == $d) | .default.osdevice' "$T/d.json")"
expect_eq "(d) ntfs-3g still reads the store (the file system is sound)" 0 \
	"$(ntfsfix -n "${B}p1" >/dev/null 2>&1; echo $?)"
undo "$UNDO" --yes
expect_eq "(d) undo of the rewrite: exit 0, the image byte for byte" "0 $S3" "$RC $(sha "$T/bios.img")"
wr_detach "$CL"
set_disk_id "$B" 0x5cbea03e || wr_bail "sfdisk --disk-id back"

# Safe Mode, pending updates, a missing winload, a hibernated Windows: in words
mkdir -p "$T/m"
wr_mount_ntfs "${B}p1" "$T/m" || wr_bail "mount p1"
"$WR_HIVE_EDIT" "$T/m/Boot/BCD" bin8 "Objects\\$WR_BCD_LOADER\\Elements\\25000080" Element 0 ||
	nok "(e) hive-edit safeboot"
wr_umount "$T/m"
wr_mount_ntfs "${B}p2" "$T/m" || wr_bail "mount p2"
mkdir -p "$T/m/windows/WinSxS" && echo '<PendingTransaction/>' >"$T/m/windows/WinSxS/pending.xml"
rm -f "$T/m/windows/system32/winload.exe"
wr_umount "$T/m"
"$WR_NTFS_STATE" "${B}p2" logfile fast-restart >/dev/null || nok "(e) ntfs-state fast-restart"
diagnose
expect_eq "(e) Safe Mode set: safe-mode-set" 1 "$(n_found safe-mode-set "${B}p1")"
expect_eq "(e) pending.xml: pending-updates" 1 "$(n_found pending-updates "${B}p2")"
expect_eq "(e) winload.exe gone: bcd-path-missing" 1 "$(n_found bcd-path-missing "${B}p2")"
expect_eq "(e) Fast Startup: fast-startup (a note)" "note" \
	"$(jq -r --arg d "${B}p2" '.findings[] | select(.code == "fast-startup" and .device == $d) | .weight' "$T/d.json")"
expect_eq "(e) exit 4 (the loader is missing)" 4 "$RC"

# two Windows installations: each with its own store
make_uefi_disk "$T/uefi2.img" bcd || wr_bail "make_uefi_disk 2"
wr_attach_to U "$T/uefi2.img" || wr_bail "attach 2"
diagnose
# (in disk order, which follows the loop numbers this machine gave out)
expect_eq "(e) two installations, two stores" "$(printf '%s\n' "${B}p1" "${U}p1" | sort | tr '\n' ' ')" \
	"$(jq -r --arg a "${B}p2" --arg b "${U}p3" '.windows[] | select(.device == $a or .device == $b) | .store.device' "$T/d.json" | sort | tr '\n' ' ')"
expect_eq "(e) no error on stderr" "" "$(cat "$T/err.txt")"
expect_eq "(e) diagnose wrote nothing to the audit log" 0 \
	"$(jq -r 'select(.action == "diagnose")' "$WINRESCUE_LOG" | wc -l)"

# -------------------------------- (f) the hives and the volume, each in words
wr_detach "$B"
# a clone of the second UEFI disk's GUID: Windows would rename one of them
_wrd_new "$T/twin2.img" 8M
printf 'label: gpt\nlabel-id: %s\nstart=2048, size=4MiB\n' "$WR_BCD_DISK" | sfdisk -q "$T/twin2.img" >/dev/null
wr_attach_to TW "$T/twin2.img" || wr_bail "attach twin2"
diagnose
expect_eq "(f) two disks with one GUID: signature-collision, blocks the boot" "blocks-boot" \
	"$(jq -r --arg a "$TW" --arg b "$U" '[.findings[] | select(.code == "signature-collision" and (.device == $a or .device == $b))][0].weight' "$T/d.json")"
wr_detach "$TW"
# the boot manager's default names no entry
wr_mount_ntfs "${U}p3" "$T/m" || wr_bail "mount C:"
cp "$T/m/Windows/System32/config/SYSTEM" "$T/SYSTEM.good"
wr_umount "$T/m"
MTOOLS_SKIP_CHECK=1 mcopy -n -i "${U}p1" ::/EFI/Microsoft/Boot/BCD "$T/bcd.f" >/dev/null 2>&1 || wr_bail "mcopy out"
cp "$T/bcd.f" "$T/bcd.good"
"$WR_HIVE_EDIT" "$T/bcd.f" sz "Objects\\$WR_BCD_BOOTMGR\\Elements\\23000003" Element \
	'{00000000-0000-0000-0000-000000000001}' || nok "(f) hive-edit default"
MTOOLS_SKIP_CHECK=1 mcopy -o -i "${U}p1" "$T/bcd.f" ::/EFI/Microsoft/Boot/BCD >/dev/null 2>&1 || wr_bail "mcopy in"
diagnose
expect_eq "(f) the default names no entry: bcd-default-missing, exit 4" "4 1" \
	"$RC $(n_found bcd-default-missing "${U}p1")"
MTOOLS_SKIP_CHECK=1 mcopy -o -i "${U}p1" "$T/bcd.good" ::/EFI/Microsoft/Boot/BCD >/dev/null 2>&1 || wr_bail "mcopy back"
# SYSTEM hives: changes in its logs, a control set that is not there, a damaged one
put_system() {
	wr_mount_ntfs "${U}p3" "$T/m" || return 1
	cat "$1" >"$T/m/Windows/System32/config/SYSTEM"
	wr_umount "$T/m"
}
_wrd_hive SYSTEM_B >"$T/SYSTEM.dirty" && put_system "$T/SYSTEM.dirty" || wr_bail "SYSTEM_B"
diagnose
expect_eq "(f) SYSTEM_B: hive-dirty (a note), nothing stops the boot" "0 note" \
	"$RC $(jq -r --arg d "${U}p3" '.findings[] | select(.code == "hive-dirty" and .device == $d) | .weight' "$T/d.json")"
cp "$T/SYSTEM.good" "$T/SYSTEM.cs"
"$WR_HIVE_EDIT" "$T/SYSTEM.cs" dword Select Current 9 && put_system "$T/SYSTEM.cs" || wr_bail "Select"
diagnose
expect_eq "(f) Select\\Current 9: controlset-missing, exit 4" "4 1" "$RC $(n_found controlset-missing "${U}p3")"
_wrd_hive corrupted_system_hive >"$T/SYSTEM.bad" && put_system "$T/SYSTEM.bad" || wr_bail "corrupted hive"
diagnose
expect_eq "(f) a damaged SYSTEM hive: hive-unreadable, exit 8" "8 1" "$RC $(n_found hive-unreadable "${U}p3")"
expect_match "(f) ... in words" "Windows on ${U}p3: .*SYSTEM cannot be read" \
	"$(jq -r --arg d "${U}p3" '.findings[] | select(.code == "hive-unreadable" and .device == $d) | .message' "$T/d.json")"
put_system "$T/SYSTEM.good" || wr_bail "SYSTEM back"
# a hibernated Windows; a BitLocker volume beside it (its headers as libblkid reads them)
ntfs_make_hibernated "${U}p3" >/dev/null || wr_bail "hibernated"
printf '\xeb\x58\x90-FVE-FS-' | dd of="${U}p4" conv=notrunc status=none
printf '\x00\x00\x01\x00\x00\x00\x00\x00' | dd of="${U}p4" bs=1 seek=176 conv=notrunc status=none
printf '\x55\xaa' | dd of="${U}p4" bs=1 seek=510 conv=notrunc status=none
printf -- '-FVE-FS-\x30\x00\x02\x00' | dd of="${U}p4" bs=1 seek=65536 conv=notrunc status=none
blockdev --flushbufs "${U}p4"
diagnose
expect_eq "(f) hiberfil.sys: ntfs-hibernated (a note)" "note" \
	"$(jq -r --arg d "${U}p3" '.findings[] | select(.code == "ntfs-hibernated" and .device == $d) | .weight' "$T/d.json")"
expect_eq "(f) BitLocker: bitlocker-locked, exit 8" "8 1" "$RC $(n_found bitlocker-locked "${U}p4")"
S4=$(sha "$T/uefi2.img")
fixboot "$U" --yes
expect_eq "(f) nothing to fix: exit 0, nothing written" "0 nothing-to-fix $S4" "$RC $(code) $(sha "$T/uefi2.img")"
expect_eq "(f) no error on stderr, ever" "" "$(cat "$T/err.txt")"
wr_detach "$U"

# ------------------ (g) a disk grown since it was partitioned (as clouds do)
make_uefi_disk "$T/grown.img" bcd || wr_bail "make_uefi_disk grown"
sfdisk -q --disk-id "$T/grown.img" "$NEWID" >/dev/null || wr_bail "disk id"
truncate -s +64M "$T/grown.img"
wr_attach_to G "$T/grown.img" || wr_bail "attach grown"
S5=$(sha "$T/grown.img")
diagnose
expect_eq "(g) the mismatch is found on the grown disk" 1 "$(n_found bcd-device-mismatch "${G}p1")"
fixboot "$G" --yes
expect_eq "(g) libfdisk would move the backup header too: refused as a failure (1), nothing written" \
	"1 $S5" "$RC $(sha "$T/grown.img")"
expect_match "(g) it says why and what to run instead" "does not fit the disk as it is now.*sgdisk -e" \
	"$(jq -r '.message' "$T/out.json")"
# a disk named that the mismatch is not about: nothing to do there (0), said so
_wrd_new "$T/other.img" 8M
printf 'label: gpt\nstart=2048, size=4MiB\n' | sfdisk -q "$T/other.img" >/dev/null
wr_attach_to O "$T/other.img" || wr_bail "attach other"
fixboot "$O" --yes
expect_eq "(g) fix-boot on another disk than the mismatch's: 0, nothing to do there" \
	"0 nothing-to-fix" "$RC $(code)"
expect_match "(g) ... it names that disk" "Nothing to do on $O" "$(jq -r '.message' "$T/out.json")"
# a partition named instead of the disk: said so, with the disk
fixboot "${G}p3" --yes
expect_eq "(g) a partition named: usage (16)" 16 "$RC"
expect_match "(g) ... naming its disk" "is a partition of $G: name the disk" "$(jq -r '.message' "$T/out.json")"
# C:'s partition without a device node (no udev): said, with the partx to run
partx -d --nr 3 "$G" >/dev/null 2>&1
diagnose
expect_eq "(g) Windows without a device node: no-device-node, exit 8" "8 1" "$RC $(n_found no-device-node "$G")"
expect_match "(g) ... its next step is partx -a" "partx -a $G" \
	"$(jq -r '.findings[] | select(.code == "no-device-node") | .next' "$T/d.json")"
fixboot "$G" --yes
expect_eq "(g) ... fix-boot cannot tell (1)" "1 not-known" "$RC $(code)"
partx -a "$G" >/dev/null 2>&1
# the store unreadable: fix-boot cannot tell (1), not "nothing to do"
MTOOLS_SKIP_CHECK=1 mcopy -o -i "${G}p1" "$T/bad.bcd" ::/EFI/Microsoft/Boot/BCD >/dev/null 2>&1 || wr_bail "mcopy"
fixboot "$G" --yes
expect_eq "(g) a damaged store: fix-boot fails (1, not-known)" "1 not-known" "$RC $(code)"

wr_finish
