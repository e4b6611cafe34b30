#!/usr/bin/env bash
# tests/integration/bootchain.sh - the BIOS boot chain: `winrescue diagnose`
# finds each break, `winrescue fix-boot` mends it, `winrescue undo` puts it
# back byte for byte, on a real BIOS Windows disk (loop device: MBR with real
# boot code, System Reserved with bootmgr and \Boot\BCD active, C: with
# \Windows), and QEMU proves that the boot code written starts the active
# partition:
#
#   (a) healthy, with real boot code of each kind (syslinux's mbr.bin,
#       altmbr.bin, GRUB's boot.img from Debian's packages): diagnose says
#       nothing about the chain (exit 0); list --json names the code;
#       a UEFI disk's ESP loaders present, then each missing;
#   (b) each damage made with dd/sfdisk: zeroed code, bytes that are not
#       code, a lost 0x55AA, no active partition, the flag on C:, the
#       hidden sectors of System Reserved's boot sector, C:'s backup boot
#       sector differing: each found (exit 4, or 0 for a note, and its
#       code), mended (sha256 of the whole image as before the damage),
#       undone byte for byte (sha256 of the damaged image), mended again;
#       the code written is Debian's mbr.bin byte for byte;
#   (c) unknown code (it reads the disk): a note, nothing written without
#       --mbr-code, written with it;
#   (d) refusals: no --yes without a terminal, a mounted volume, the rescue
#       system's disk, two disks to mend at once; nothing written;
#   (e) QEMU (TCG, SeaBIOS, no rescue system) boots the image: with the MBR
#       code zeroed, System Reserved's test boot sector (it writes a word to
#       COM1) never runs; after fix-boot it does;
#   (f) System Reserved's primary boot sector zeroed: named, with winrescue
#       fix as the next step (not bcd-missing), and mended by it.
# Needs root, loop devices, FUSE, mtools, QEMU, syslinux-common, grub-pc-bin.

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../lib.sh"
. "$HERE/../lib-json.sh"
. "$HERE/disks.sh"

wr_require_root_loop_fuse
wr_require_fixtures
wr_require_tools jq sfdisk losetup partx mkntfs ntfs-3g mkfs.vfat mcopy mdel sha256sum timeout \
	qemu-system-x86_64 mkfs.ext4
GRUB_IMG=/usr/lib/grub/i386-pc/boot.img
ALT_MBR=/usr/lib/syslinux/mbr/altmbr.bin
for f in "$WR_MBR_BIN" "$GRUB_IMG" "$ALT_MBR"; do
	if [ ! -r "$f" ]; then
		[ "${CI:-}" = true ] && { echo "FAIL: $f missing (make deps)" >&2; exit 1; }
		wr_skip "$f missing (make deps)"
	fi
done
[ -x "$WR_BIN" ] || wr_bail "$WR_BIN not built"
for t in "$WR_NTFS_STATE" "$WR_HIVE_EDIT"; do
	[ -x "$t" ] || make -C "$WR_ROOT" --no-print-directory "${t#"$WR_ROOT"/}" >/dev/null ||
		wr_bail "cannot build $t"
done

wr_tmpdir_to T
export WINRESCUE_LOG=$T/audit.jsonl
export WINRESCUE_UNDO_DIR=$T/undo

# the boot chain's findings (bootchain.c), as a jq array
CHAIN='["mbr-code-missing","mbr-code-unknown","mbr-signature-missing","no-active-partition",
	"active-without-bootmgr","bootmgr-missing","ntfs-hidden-sectors","ntfs-bootsector-mismatch",
	"esp-missing","bootmgfw-missing","fallback-loader-missing"]'
# diagnose of this suite's disks only ($B, $U: other suites' Windows disks may
# be attached meanwhile, with collisions of their own): JSON into $T/d.json,
# its exit status into RC
diagnose() {
	local disks=()
	[ -n "${B:-}" ] && [ -b "$B" ] && disks+=("$B")
	[ -n "${U:-}" ] && [ -b "$U" ] && disks+=("$U")
	timeout 120 "$WR_BIN" diagnose --json "${disks[@]}" >"$T/d.json" 2>"$T/err.txt" </dev/null
	RC=$?
}
# the chain's findings about disk $1 or its partitions, as a JSON array
mine() {
	jq --arg d "$1" --argjson c "$CHAIN" '[.findings[] | select(.device != null and
		(.device == $d or (.device | startswith($d + "p"))) and (.code as $x | $c | index($x)))]' "$T/d.json"
}
# fix-boot looks at every disk: it sees only this suite's (wr_only), so that another
# suite's copy of a disk with the same signature never answers for one of these
fixboot() {
	# shellcheck disable=SC2046
	wr_only $(wr_own_disks "$T") -- timeout 120 "$WR_BIN" fix-boot --json "$@" >"$T/out.json" \
		2>"$T/err.txt" </dev/null
	RC=$?
}
undo() {
	timeout 120 "$WR_BIN" undo --json "$@" >"$T/out.json" 2>"$T/err.txt" </dev/null
	RC=$?
}
# the codes of the chain's findings about this disk or its partitions
codes() {
	mine "$1" | jq -r '[.[] | .code] | sort | join(" ")'
}
weight() {
	{ mine "${B:-none}"; mine "${U:-none}"; } | jq -rs --arg c "$1" '[add[] | select(.code == $c) | .weight][0]'
}
next_of() {
	{ mine "${B:-none}"; mine "${U:-none}"; } | jq -rs --arg c "$1" '[add[] | select(.code == $c) | .next][0]'
}
sha() { wr_sha "$1"; }
code_of() { "$WR_BIN" list --json 2>/dev/null | jq -r --arg d "$1" '.disks[] | select(.path == $d) | .mbr.boot_code'; }
flush() { sync; blockdev --flushbufs "$1" 2>/dev/null; }
# put bytes (printf format) at OFFSET of DEV (a block device: never a file made in /dev)
poke() {
	[ -b "$1" ] || { nok "$1 is not a block device"; return 1; }
	printf "$3" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none && flush "$1"
}
# the partition nodes of $B, made again where a table re-read or partx -d dropped them
nodes() {
	[ -b "$P1" ] && [ -b "$P2" ] && return 0
	partx -a "$B" >/dev/null 2>&1
	_wrd_part "$B" 1 >/dev/null && _wrd_part "$B" 2 >/dev/null
}

make_bios_disk "$T/bios.img" 0x0b0c4a1e bcd || wr_bail "make_bios_disk"
wr_attach_to B "$T/bios.img" || wr_bail "attach"
P1=${B}p1 P2=${B}p2

# the boot sector of System Reserved runs this when the BIOS starts it (it
# is read at 0:7C00 and jumps to 0x54): write the word to COM1, halt.
# cli; xor ax,ax; mov ds,ax; mov si,7C6Ah; mov dx,3F8h;
# l: lodsb; test al,al; jz h; out dx,al; jmp l; h: hlt; jmp h; the word
WORD=WINRESCUE-CHAINLOAD-OK
poke "$P1" $((0x54)) '\xfa\x31\xc0\x8e\xd8\xbe\x6a\x7c\xba\xf8\x03\xac\x84\xc0\x74\x03\xee\xeb\xf8\xf4\xeb\xfd'"$WORD"'\r\n\x00' ||
	wr_bail "test boot sector"

# ----------------------------------------------------------- (a) healthy
diagnose
expect_eq "(a) a healthy BIOS disk (syslinux's code): exit 0, nothing about its chain" "0 " \
	"$RC $(codes "$B")"
expect_eq "(a) list --json: its boot code is syslinux's, signature present" "syslinux true false" \
	"$("$WR_BIN" list --json | jq -r --arg d "$B" '.disks[] | select(.path == $d) | .mbr | "\(.boot_code) \(.signature) \(.lost_table)"')"
expect_eq "(a) list --json: hidden sectors of System Reserved's boot sector copies" "2048 2048" \
	"$("$WR_BIN" list --json | jq -r --arg p "$P1" '.disks[].partitions[] | select(.path == $p) | .ntfs | "\(.hidden_sectors) \(.hidden_sectors_backup)"')"
S0=$(sha "$T/bios.img")
dd if="$GRUB_IMG" of="$B" bs=440 count=1 conv=notrunc status=none && flush "$B"
diagnose
expect_eq "(a) GRUB's boot.img: recognised, nothing said" "grub 0 " "$(code_of "$B") $RC $(codes "$B")"
dd if="$ALT_MBR" of="$B" bs=439 count=1 conv=notrunc status=none && flush "$B"
diagnose
expect_eq "(a) syslinux's altmbr.bin: recognised, nothing said" "syslinux 0 " "$(code_of "$B") $RC $(codes "$B")"
dd if="$WR_MBR_BIN" of="$B" bs=440 count=1 conv=notrunc status=none && flush "$B"
expect_eq "(a) back to mbr.bin: the image as it was" "$S0" "$(sha "$T/bios.img")"

# a UEFI disk: the ESP's two loaders
make_uefi_disk "$T/uefi.img" || wr_bail "make_uefi_disk"
wr_attach_to U "$T/uefi.img" || wr_bail "attach uefi"
diagnose
expect_eq "(a) a UEFI disk with both loaders: nothing about its chain" "" "$(codes "$U")"
expect_eq "(a) list --json: the ESP's loaders" "present present" \
	"$("$WR_BIN" list --json | jq -r --arg p "${U}p1" '.disks[].partitions[] | select(.path == $p) | .esp_loaders | "\(.bootmgfw) \(.fallback)"')"
MTOOLS_SKIP_CHECK=1 mdel -i "${U}p1" ::/EFI/Boot/bootx64.efi >/dev/null 2>&1 || wr_bail "mdel bootx64"
diagnose
expect_eq "(a) no \\EFI\\Boot\\bootx64.efi: fallback-loader-missing, a note" "fallback-loader-missing note" \
	"$(codes "$U") $(weight fallback-loader-missing)"
MTOOLS_SKIP_CHECK=1 mdel -i "${U}p1" ::/EFI/Microsoft/Boot/bootmgfw.efi >/dev/null 2>&1 || wr_bail "mdel bootmgfw"
diagnose
expect_eq "(a) no bootmgfw.efi either: bootmgfw-missing stops the boot" "bootmgfw-missing fallback-loader-missing blocks-boot" \
	"$(codes "$U") $(weight bootmgfw-missing)"
expect_match "(a) ... its next step is Windows RE's bcdboot" "bcdboot C:.Windows /s S: /f UEFI" \
	"$(next_of bootmgfw-missing)"
wr_release "$U"
U=none

# ------------------------------------------- (b) each damage, mended, undone
# damage NAME CODE STATUS WEIGHT: diagnose finds CODE (exit STATUS); fix-boot
# mends it (the image as S0); undo brings the damage back byte for byte;
# fix-boot mends it again
damage() {
	local name=$1 want=$2 status=$3 w=$4 sd undo_file
	sd=$(sha "$T/bios.img")
	[ "$sd" != "$S0" ] || { nok "($name) the damage changed nothing"; return; }
	diagnose
	expect_eq "($name) diagnose: $want ($w), exit $status" "$status $want $w" \
		"$RC $(codes "$B") $(weight "$want")"
	expect_match "($name) its next step is the exact command" "^'winrescue fix-boot $B'" "$(next_of "$want")"
	expect_eq "($name) fixable" true "$(mine "$B" | jq -r --arg c "$want" '[.[] | select(.code == $c) | .fixable][0]')"
	fixboot "$B" --dry-run
	expect_eq "($name) --dry-run: exit 0, nothing written" "0 $sd" "$RC $(sha "$T/bios.img")"
	fixboot "$B" --yes
	expect_eq "($name) fix-boot --yes: exit 0, fixed" "0 fixed" "$RC $(jq -r .code "$T/out.json")"
	undo_file=$(jq -r '.undo_file // empty' "$T/out.json")
	nodes
	expect_eq "($name) the image is byte for byte as before the damage (sha256)" "$S0" "$(sha "$T/bios.img")"
	diagnose
	expect_eq "($name) diagnose after: exit 0, nothing about the chain" "0 " "$RC $(codes "$B")"
	undo "$undo_file" --yes
	expect_eq "($name) undo: exit 0, the damaged image byte for byte" "0 $sd" "$RC $(sha "$T/bios.img")"
	nodes
	fixboot "$B" --yes
	nodes
	expect_eq "($name) mended again" "0 $S0" "$RC $(sha "$T/bios.img")"
}

dd if=/dev/zero of="$B" bs=440 count=1 conv=notrunc status=none && flush "$B"
damage zeroed mbr-code-missing 4 blocks-boot
expect_eq "(zeroed) the code written is Debian's mbr.bin, byte for byte" "$(sha "$WR_MBR_BIN")" \
	"$(head -c 440 "$T/bios.img" | sha256sum | cut -d' ' -f1)"
expect_eq "(zeroed) the audit log has fix-boot's plan and result" "plan result" \
	"$(jq -r 'select(.action == "fix-boot") | .event' "$WINRESCUE_LOG" | tail -2 | tr '\n' ' ' | sed 's/ $//')"

# bytes that are not code: text, as a dd of the wrong file leaves (no INT 13h in it)
yes 'not boot code; ' | head -c 440 | dd of="$B" bs=440 count=1 conv=notrunc status=none && flush "$B"
expect_eq "(not-code) list --json says not-code" not-code "$(code_of "$B")"
damage not-code mbr-code-missing 4 blocks-boot

poke "$B" 510 '\x00\x00'
partx -d "$B" >/dev/null 2>&1	# as at the next start: no table read, no partitions
damage signature mbr-signature-missing 4 blocks-boot

sfdisk -q -A "$B" - >/dev/null 2>&1; nodes
damage no-active no-active-partition 4 blocks-boot

sfdisk -q -A "$B" 2 >/dev/null 2>&1; nodes
damage active-on-C active-without-bootmgr 4 blocks-boot

# a disk moved: both copies name the old start; fix-boot sets both
bps1=$(ntfs_le "$P1" 11 2) nsec1=$(ntfs_le "$P1" 40 8)
poke "$P1" 28 '\x00\x10\x00\x00'	# hidden sectors 4096, the partition starts at 2048
poke "$P1" $((nsec1 * bps1 + 28)) '\x00\x10\x00\x00'
damage hidden ntfs-hidden-sectors 4 blocks-boot

# the primary's alone: the backup is right, and winrescue fix keeps it (as list says)
poke "$P1" 28 '\x00\x10\x00\x00'
diagnose
expect_eq "(hidden-primary) ntfs-hidden-sectors, blocks-boot" "4 ntfs-hidden-sectors blocks-boot" \
	"$RC $(codes "$B") $(weight ntfs-hidden-sectors)"
step=$(next_of ntfs-hidden-sectors)
expect_match "(hidden-primary) the step is winrescue fix on it" "^'winrescue fix $P1' writes the backup's field" "$step"
expect_eq "(hidden-primary) list gives the same step" "$step" \
	"$("$WR_BIN" list --json "$B" 2>/dev/null | jq -r --arg d "$P1" '[.findings[] | select(.code == "ntfs-hidden-sectors" and .device == $d) | .action][0]')"
timeout 120 "$WR_BIN" fix "$P1" --yes --clear-dirty >/dev/null 2>&1 </dev/null
expect_eq "(hidden-primary) the step works: both copies name the partition's start" "2048 2048" \
	"$(ntfs_le "$P1" 28 4) $(ntfs_le "$P1" $((nsec1 * bps1 + 28)) 4)"
expect_eq "(hidden-primary) ... and only that field changed: the image as before the damage" "$S0" \
	"$(sha "$T/bios.img")"
diagnose
expect_eq "(hidden-primary) diagnose after: nothing about the chain" "0 " "$RC $(codes "$B")"

# C:'s backup boot sector differs: a note for the boot, mended by winrescue fix (as list says)
ntfs_break_backup_bootsector "$P2" || wr_bail "break the backup"
SD=$(sha "$T/bios.img")
diagnose
expect_eq "(backup) ntfs-bootsector-mismatch about C:, a note (exit 0)" "0 ntfs-bootsector-mismatch note" \
	"$RC $(codes "$B") $(weight ntfs-bootsector-mismatch)"
expect_match "(backup) its next step is winrescue fix on C:" "^'winrescue fix $P2'" "$(next_of ntfs-bootsector-mismatch)"
fixboot "$B" --yes
expect_eq "(backup) fix-boot has nothing of its own to do there (0), nothing written" "0 nothing-to-fix $SD" \
	"$RC $(jq -r .code "$T/out.json") $(sha "$T/bios.img")"
timeout 120 "$WR_BIN" fix "$P2" --yes --json >"$T/out.json" 2>"$T/err.txt" </dev/null
expect_eq "(backup) winrescue fix repairs it" 1 "$?"
undo_file=$(jq -r '.undo_file // empty' "$T/out.json")
expect_eq "(backup) both copies the same again" "$(dd if="$P2" bs=512 count=1 status=none | sha256sum)" \
	"$(dd if="$P2" bs=512 skip=$(($(ntfs_le "$P2" 40 8))) count=1 status=none | sha256sum)"
diagnose
expect_eq "(backup) diagnose after: nothing about the chain" "0 " "$RC $(codes "$B")"
undo "$undo_file" "$P2" --yes
expect_eq "(backup) undo: the damaged image byte for byte" "0 $SD" "$RC $(sha "$T/bios.img")"
timeout 120 "$WR_BIN" fix "$P2" --yes --clear-dirty >/dev/null 2>&1 </dev/null
diagnose
expect_eq "(backup) mended again" "0 " "$RC $(codes "$B")"
S0=$(sha "$T/bios.img")

# ------------------------------------------------------- (c) unknown code
# code that reads the disk (INT 13h) but that no pattern knows: a note
{ printf '\xfa\xb4\x42\xcd\x13'; head -c 435 /dev/zero; } | dd of="$B" bs=440 count=1 conv=notrunc status=none
flush "$B"
SU=$(sha "$T/bios.img")
diagnose
expect_eq "(c) unknown code: mbr-code-unknown, a note, exit 0" "0 mbr-code-unknown note" \
	"$RC $(codes "$B") $(weight mbr-code-unknown)"
expect_match "(c) its next step names --mbr-code" "fix-boot $B --mbr-code" "$(next_of mbr-code-unknown)"
fixboot "$B" --yes
expect_eq "(c) fix-boot without --mbr-code leaves it (0, nothing written)" "0 nothing-to-fix $SU" \
	"$RC $(jq -r .code "$T/out.json") $(sha "$T/bios.img")"
fixboot "$B" --mbr-code --yes
expect_eq "(c) --mbr-code writes the standard code" "0 fixed $S0" "$RC $(jq -r .code "$T/out.json") $(sha "$T/bios.img")"
fixboot "$B" --mbr-code --rewrite-bcd --yes
expect_eq "(c) --mbr-code with --rewrite-bcd: usage (16)" 16 "$RC"

# ------------------------------------------------------------ (d) refusals
dd if=/dev/zero of="$B" bs=440 count=1 conv=notrunc status=none && flush "$B"
SZ=$(sha "$T/bios.img")
wr_only $(wr_own_disks "$T") -- "$WR_BIN" fix-boot "$B" >/dev/null 2>&1 </dev/null
expect_eq "(d) no --yes and no terminal: refused (32)" "32 $SZ" "$? $(sha "$T/bios.img")"
wr_mount_ntfs "$P2" "$T/mnt" ro || wr_bail "mount C:"
fixboot "$B" --yes
expect_eq "(d) a volume of the disk mounted: refused (32, in-use), nothing written" "32 in-use $SZ" \
	"$RC $(jq -r .code "$T/out.json") $(sha "$T/bios.img")"
wr_umount "$T/mnt" || wr_bail "umount"
# two BIOS Windows disks to mend: name one
make_bios_disk "$T/bios2.img" 0x0b0c4a2e bcd || wr_bail "make_bios_disk 2"
dd if=/dev/zero of="$T/bios2.img" bs=440 count=1 conv=notrunc status=none
wr_attach_to B2 "$T/bios2.img" || wr_bail "attach 2"
S2=$(sha "$T/bios2.img")
fixboot --dry-run	# no DISK: whatever else is attached, nothing may be written
expect_eq "(d) two disks to mend, none named: usage (16, several-disks)" "16 several-disks" \
	"$RC $(jq -r '"\(.code)\(if .code == "several-disks" then "" else " " + ([.targets[].device] | join(",")) end)"' "$T/out.json")"
expect_eq "(d) ... nothing written to either" "$SZ $S2" "$(sha "$T/bios.img") $(sha "$T/bios2.img")"
wr_release "$B2"
# the rescue system's own disk (a file system of it mounted outside /mnt)
_wrd_new "$T/rescue.img" 32M
printf 'label: dos\nstart=2048, type=83\n' | sfdisk -q "$T/rescue.img" >/dev/null || wr_bail "sfdisk rescue"
wr_attach_to R "$T/rescue.img" || wr_bail "attach rescue"
mkfs.ext4 -q "$(_wrd_part "$R" 1)" || wr_bail "mkfs.ext4"
mkdir -p "$T/sysroot" && mount -o ro,noload "${R}p1" "$T/sysroot" && wr_cleanup_add "umount '$T/sysroot'" ||
	wr_bail "mount rescue"
SR=$(sha "$T/rescue.img")
fixboot "$R" --mbr-code --yes
expect_eq "(d) the rescue system's disk: refused (32, rescue-disk), nothing written" "32 rescue-disk $SR" \
	"$RC $(jq -r .code "$T/out.json") $(sha "$T/rescue.img")"
umount "$T/sysroot" && wr_cleanup_forget "umount '$T/sysroot'"
wr_release "$R"

# ------------------------------------------------- (e) QEMU boots the image
# boot IMG: the serial output of SeaBIOS booting IMG (a copy-on-write
# snapshot: the image is not written), stopped once the word is there
boot() {
	local out=$T/serial.$2 i
	rm -f "$out"
	timeout 60 qemu-system-x86_64 -machine pc,accel=tcg -m 64 -nodefaults -display none \
		-serial "file:$out" -drive "file=$1,format=raw,if=ide,snapshot=on" -no-reboot \
		</dev/null >/dev/null 2>&1 &
	local qp=$!
	wr_cleanup_add "kill $qp"
	for ((i = 0; i < 50; i++)); do
		grep -q "$WORD" "$out" 2>/dev/null && break
		sleep 0.2
	done
	kill "$qp" 2>/dev/null
	wait "$qp" 2>/dev/null
	wr_cleanup_forget "kill $qp"
	cat "$out" 2>/dev/null
}
sync
expect_eq "(e) QEMU: the MBR code zeroed, the test boot sector never runs (10 s)" "" \
	"$(boot "$T/bios.img" before | grep -o "$WORD")"
fixboot "$B" --yes
expect_eq "(e) fix-boot writes the boot code" "0 fixed" "$RC $(jq -r .code "$T/out.json")"
sync
expect_match "(e) QEMU: after fix-boot the MBR code starts System Reserved's boot sector" "$WORD" \
	"$(boot "$T/bios.img" after)"
expect_eq "(e) no error on stderr" "" "$(cat "$T/err.txt")"

# ------------------- (f) System Reserved's primary boot sector zeroed
# nothing on it can be read (no bootmgr, no store seen): the damaged copy is
# named, with winrescue fix (which writes the intact backup over it), not
# bcd-missing's "rebuild from Windows RE"
nodes
dd if=/dev/zero of="$P1" bs=512 count=1 conv=notrunc status=none && flush "$P1"
diagnose
expect_eq "(f) a zeroed primary boot sector on the active partition: ntfs-bootsector-mismatch, blocks-boot" \
	"4 ntfs-bootsector-mismatch blocks-boot" "$RC $(codes "$B") $(weight ntfs-bootsector-mismatch)"
expect_match "(f) its next step is winrescue fix on it" "^'winrescue fix $P1'" "$(next_of ntfs-bootsector-mismatch)"
expect_eq "(f) no bcd-missing beside it" 0 \
	"$(jq --arg d "$P2" '[.findings[] | select(.code == "bcd-missing" and .device == $d)] | length' "$T/d.json")"
timeout 120 "$WR_BIN" fix "$P1" --yes --clear-dirty >/dev/null 2>&1 </dev/null
diagnose
expect_eq "(f) after winrescue fix: nothing about the chain" "0 " "$RC $(codes "$B")"

# ------------------- (g) logical partitions past the first MiB: the active flag
# libfdisk must read the whole table (the extended boot records far on the
# disk) in fix-boot's memory copy, as it does on the disk, before it sets a flag
_wrd_new "$T/ext.img" 160M || wr_bail "ext.img"
printf 'label: dos\nlabel-id: 0x5eed0e0e\nstart=2048, size=40MiB, type=7\nsize=60MiB, type=7\ntype=5\nsize=20MiB, type=7\nsize=+, type=7\n' |
	sfdisk -q "$T/ext.img" >/dev/null || wr_bail "sfdisk ext.img"
wr_attach_to E "$T/ext.img" || wr_bail "attach ext.img"
for n in 1 2 5 6; do _wrd_part "$E" "$n" >/dev/null || wr_bail "no ${E}p$n"; done
_WRD_BCD_SIG=5eed0e0e
_wrd_mkntfs "${E}p1" "System Reserved" && _wrd_mkntfs "${E}p2" Windows &&
	_wrd_mkntfs "${E}p5" Data1 && _wrd_mkntfs "${E}p6" Data2 &&
	_wrd_populate "${E}p1" "$T/ext.img" _wrd_fill_sysres &&
	_wrd_populate "${E}p2" "$T/ext.img" _wrd_fill_windows_oddcase || wr_bail "populate ext.img"
_WRD_BCD_SIG=
dd if="$WR_MBR_BIN" of="$E" bs=440 count=1 conv=notrunc status=none && flush "$E"
SE=$(sha "$E")
dd if="$E" bs=1M count=160 status=none >"$T/ext.before"
timeout 120 "$WR_BIN" diagnose --json "$E" >"$T/d.json" 2>"$T/err.txt" </dev/null
expect_eq "(g) logical partitions, none active: no-active-partition" 1 \
	"$(jq --arg d "$E" '[.findings[] | select(.code == "no-active-partition")] | length' "$T/d.json")"
fixboot "$E" --yes
expect_eq "(g) fix-boot sets the flag through libfdisk" "0 fixed" "$RC $(jq -r .code "$T/out.json")"
expect_eq "(g) only partition 1 is active now (sfdisk)" "${E}p1" \
	"$(sfdisk --dump "$E" 2>/dev/null | awk '/bootable/ { print $1 }')"
expect_eq "(g) one byte of the disk changed: partition 1's flag" "447 0 200" \
	"$(dd if="$E" bs=1M count=160 status=none | cmp -l "$T/ext.before" - 2>/dev/null | tr -s ' ' | sed 's/^ //')"
undo "$(jq -r '.undo_file // empty' "$T/out.json")" --yes
expect_eq "(g) undo: the disk byte for byte" "0 $SE" "$RC $(sha "$E")"

wr_finish
