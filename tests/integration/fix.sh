#!/usr/bin/env bash
# tests/integration/fix.sh - `winrescue fix` and `winrescue undo` on real
# NTFS volumes (loop devices, image files, the fixtures):
#
#   (a) every NTFS state of the inventory tests: a healthy, dirty or
#       clean-journal volume has nothing to repair (exit 0, nothing written);
#       hibernated, Fast Startup and unclean-journal volumes are refused
#       (exit 32, the loss stated, not one byte changed) unless the loss is
#       accepted; a broken $MFTMirr and a damaged backup boot sector are
#       repaired (exit 1). After each repair `ntfsfix -n` returns 0, check
#       finds no error, ntfs-3g mounts it read-write; undo puts the volume
#       back byte for byte (sha256);
#   (b) the fixtures: every damaged primary boot sector and every $MFT
#       system record whose $MFTMirr copy is intact repaired (then check
#       clean, ntfsfix -n 0, undo restores sha256); damage only chkdsk can
#       repair: exit 4, the dirty flag set; clean images untouched;
#   (c) refusals, each changing nothing: a mounted volume, ext4, `all`, no
#       --yes without a terminal, an undo directory on a disk being
#       rescued, --dry-run; undo refused on a volume changed since, on
#       another volume (other-target), with a damaged (its MAC fails: 32),
#       truncated or foreign undo file;
#   (d2) read errors in the middle of $MFT (nbdkit's eval plugin through
#       nbdfuse and a loop device): check names the device and the records
#       (exit 4), fix refuses to write to a failing disk (32), nothing written;
#   (d3) a write the device refuses mid-fix (nbdkit's eval plugin): what was
#       written is put back, exit 8, the volume unchanged (sha256);
#   (d) a power cut mid-fix: the volume slowed down by nbdkit's delay
#       filter (nbdfuse + a loop device), winrescue killed with SIGKILL
#       after its first writes; the undo file then restores the original;
#   (f) IMAGE:N, a partition of a whole disk's image (MBR, System Reserved
#       and C:): the image named whole gets its partitions listed, no
#       verdict (16); IMAGE:2 checked; IMAGE:9 a clear error; C:'s primary
#       boot sector damaged, fix IMAGE:2 writes nothing outside it, undo
#       restores the whole image (sha256), also through the loop partition
#       once the image is attached; undo refused once the partition moved;
#   (e) --json fields and the audit log.
# Needs root, loop devices, FUSE, nbdkit and nbdfuse.

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../lib.sh"
. "$HERE/../lib-json.sh"
. "$HERE/disks.sh"

wr_require_root_loop_fuse
wr_require_fixtures
wr_require_tools jq sfdisk losetup partx mkntfs ntfs-3g ntfsfix mkfs.ext4 sha256sum timeout \
	nbdkit nbdfuse fusermount3
[ -x "$WR_BIN" ] || wr_bail "$WR_BIN not built"
[ -x "$WR_NTFS_STATE" ] || make -C "$WR_ROOT" --no-print-directory build/tests/ntfs-state >/dev/null ||
	wr_bail "cannot build $WR_NTFS_STATE"

wr_tmpdir_to T
export WINRESCUE_LOG=$T/audit.jsonl
export WINRESCUE_UNDO_DIR=$T/undo

# fix VOL ARGS...: JSON into $T/out.json, exit status into RC
fix() {
	local vol=$1
	shift
	timeout 120 "$WR_BIN" fix --json "$vol" "$@" >"$T/out.json" 2>"$T/err.txt" </dev/null
	RC=$?
}
undo() {
	timeout 120 "$WR_BIN" undo --json "$@" >"$T/out.json" 2>"$T/err.txt" </dev/null
	RC=$?
}
code() { jq -r '.code' "$T/out.json"; }
undo_file() { jq -r '.undo_file // empty' "$T/out.json"; }
errors_after() { jq -r '.checks[0].errors // "none"' "$T/out.json"; }
check_rc() { timeout 120 "$WR_BIN" check "$1" >/dev/null 2>&1; echo $?; }
ntfsfix_rc() { ntfsfix -n "$1" >/dev/null 2>&1; echo $?; }
sha() { wr_sha "$1"; }
n_undo() { ls "$WINRESCUE_UNDO_DIR" 2>/dev/null | wc -l; }
# rw_mount DEV: ntfs-3g mounts it read-write, a file is written, unmounted
rw_mount() {
	local m=$T/mnt
	wr_mount_ntfs "$1" "$m" >/dev/null 2>&1 || return 1
	[ "$(awk -v m="$m" '$2 == m { split($4, o, ","); print o[1] }' /proc/mounts)" = rw ] &&
		echo written >"$m/after-fix.txt"
	local rc=$?
	wr_umount "$m" || return 1
	return $rc
}

# ------------------------------------------------------- (a) the NTFS states
make_states_disk "$T/states.img" || wr_bail "make_states_disk"
wr_attach_to DEV "$T/states.img" || wr_bail "attach"
part() { _wrd_part "$DEV" "$1"; }
P_HEALTHY=$(part 1) P_DIRTY=$(part 2) P_HIB=$(part 3) P_FAST=$(part 4) P_UNCLEAN=$(part 5)
P_CLEANLOG=$(part 6) P_MIRR=$(part 7) P_BOOT=$(part 8) || wr_bail "partitions"

for p in "$P_HEALTHY" "$P_DIRTY" "$P_CLEANLOG"; do
	s=$(sha "$p")
	fix "$p" --yes
	expect_eq "$p ($(jq -r '.targets[0].label' "$T/out.json")): nothing to repair (exit 0)" \
		"0 nothing-to-fix" "$RC $(code)"
	expect_eq "$p: not one byte written" "$s" "$(sha "$p")"
done
expect_eq "nothing to repair: no undo file made" 0 "$(n_undo)"

# --clear-dirty on the dirty volume, and back
s=$(sha "$P_DIRTY")
fix "$P_DIRTY" --clear-dirty --yes
expect_eq "dirty --clear-dirty: corrected (exit 1)" "1 corrected" "$RC $(code)"
expect_eq "dirty --clear-dirty: the flag is clear (ntfs-3g reads it)" clean \
	"$("$WR_NTFS_STATE" "$P_DIRTY" dirty show 2>/dev/null)"
U=$(undo_file)
[ -s "$U" ] && ok "dirty --clear-dirty: the undo file exists ($U)" || nok "no undo file: $(cat "$T/err.txt")"
undo "$U" --yes
expect_eq "undo: restored (exit 0)" "0 restored" "$RC $(code)"
expect_eq "undo: the dirty volume byte for byte" "$s" "$(sha "$P_DIRTY")"
undo "$U" --yes
expect_eq "undo twice: nothing to undo, nothing written" "0 nothing-to-undo $s" "$RC $(code) $(sha "$P_DIRTY")"

# the states that lose something: refused without the flag, repaired with it
# STATE PART FLAG REFUSAL-CODE
while read -r st p flag refusal; do
	s=$(sha "$p")
	before=$(n_undo)
	fix "$p" --yes
	expect_eq "$st: refused without $flag (exit 32, $refusal)" "32 $refusal" "$RC $(code)"
	expect_match "$st: the refusal states what would be lost" 'lost|lose' "$(jq -r .message "$T/out.json")"
	expect_match "$st: the refusal names the flag" "${flag#--}" "$(jq -r .next "$T/out.json")"
	expect_eq "$st: refused, not one byte written, no undo file" "$s $before" "$(sha "$p") $(n_undo)"
	fix "$p" "$flag" --dry-run
	expect_eq "$st $flag --dry-run: the plan, with the loss" "0 true" \
		"$RC $(jq '.plan.loss != null and .plan.confirm' "$T/out.json")"
	expect_eq "$st --dry-run: nothing written" "$s" "$(sha "$p")"
	fix "$p" "$flag" --yes
	expect_eq "$st $flag: corrected (exit 1)" "1 corrected" "$RC $(code)"
	expect_eq "$st $flag: check finds no error after it" 0 "$(check_rc "$p")"
	expect_eq "$st $flag: ntfsfix -n returns 0" 0 "$(ntfsfix_rc "$p")"
	U=$(undo_file)
	undo "$U" --yes
	expect_eq "$st: undo restores it byte for byte" "0 $s" "$RC $(sha "$p")"
	fix "$p" "$flag" --yes
	rw_mount "$p" && ok "$st: ntfs-3g mounts it read-write after fix" ||
		nok "$st: ntfs-3g does not mount it read-write after fix"
done <<EOF
hibernated $P_HIB --discard-hibernation hibernated
fast-startup $P_FAST --discard-hibernation fast-startup
unclean $P_UNCLEAN --discard-journal journal-unclean
EOF
expect_eq "fast-startup after fix: the journal is empty" "empty -" \
	"$("$WR_NTFS_STATE" "$P_FAST" logfile show 2>/dev/null)"
fix "$P_HIB" --discard-journal --yes
expect_eq "a flag that discards nothing there: nothing to repair" "0" "$RC"

# the damage ntfsfix repairs
for st in mirr boot; do
	[ $st = mirr ] && p=$P_MIRR || p=$P_BOOT
	s=$(sha "$p")
	expect_eq "$st: ntfsfix -n or check sees the damage first" 4 "$(check_rc "$p")"
	fix "$p" --yes
	expect_eq "$st: corrected (exit 1)" "1 corrected 0" "$RC $(code) $(errors_after)"
	expect_eq "$st: check clean after it" 0 "$(check_rc "$p")"
	expect_eq "$st: ntfsfix -n returns 0 after it" 0 "$(ntfsfix_rc "$p")"
	expect_eq "$st: the dirty flag set (Windows runs chkdsk)" dirty \
		"$("$WR_NTFS_STATE" "$p" dirty show 2>/dev/null)"
	U=$(undo_file)
	undo "$U" --dry-run
	expect_eq "$st: undo --dry-run writes nothing" "0 $(sha "$p")" "$RC $(sha "$p")"
	undo "$U" --yes
	expect_eq "$st: undo restores it byte for byte" "0 $s" "$RC $(sha "$p")"
done
fix "$P_MIRR" --yes
rw_mount "$P_MIRR" && ok "mirr: ntfs-3g mounts it read-write after fix" || nok "mirr: no rw mount after fix"

# --------------------------------------------------------- (b) the fixtures
declare -A FULL=(
	[bad-bs_bytes_per_sector]=1 [bad-bs_filesystem_siganture]=1 [bad-bs_index_record_size]=1
	[bad-bs_mft_cluster_number]=1 [bad-bs_mft_record_size]=1 [bad-bs_mftmirror_cluster_number]=1
	[bad-bs_sector_per_cluster]=1 [bad-bs_sector_signature]=1 [bad-bs_total_sectors]=1
	[bad-mft_file_bad_base_mft_record]=1 [bad-mft_file_bad_fixup_value_count]=1
	[bad-mft_file_bad_fixup_value_offset]=1 [bad-mft_file_missing_filename_attr]=1
)
for tx in "$WINRESCUE_FIXTURES"/ntfs-corrupt/*.img.tar.xz; do
	name=$(basename "$tx" .img.tar.xz)
	img=$T/$name.img
	tar -xJOf "$tx" | cp --sparse=always /dev/stdin "$img" || { nok "$name: extract"; continue; }
	s=$(sha "$img")
	fix "$img" --dry-run
	expect_eq "$name: --dry-run writes nothing" "$s" "$(sha "$img")"
	fix "$img" --yes
	case $name in
	clean-*)
		expect_eq "$name: nothing to repair, untouched" "0 $s" "$RC $(sha "$img")"
		continue ;;
	esac
	if [ -n "${FULL[$name]:-}" ]; then
		expect_eq "$name: repaired (exit 1), check clean, ntfsfix -n 0" "1 0 0" \
			"$RC $(check_rc "$img") $(ntfsfix_rc "$img")"
	else
		expect_eq "$name: errors left for chkdsk (exit 4)" 4 "$RC"
		timeout 60 "$WR_BIN" check --json "$img" >"$T/chk.json" 2>/dev/null
		expect_eq "$name: the dirty flag set so that Windows runs chkdsk" true \
			"$(jq '.checks[0].dirty' "$T/chk.json")"
	fi
	U=$(undo_file)
	if [ -n "$U" ]; then
		undo "$U" --yes
		expect_eq "$name: undo restores the image byte for byte" "0 $s" "$RC $(sha "$img")"
	fi
done
# the $MFT record 0 without $DATA: its intact mirror copy goes back, never the reverse
img=$T/bad-mft_file_missing_data_attr.img
fix "$img" --yes
timeout 60 "$WR_BIN" check --json "$img" >"$T/chk.json" 2>/dev/null
expect_eq "missing_data_attr: \$MFT's record 0 restored from \$MFTMirr" "false false" \
	"$(jq '.checks[0].findings | (any(.code == "mft-missing-data")) , (any(.code == "mft-system-record-bad"))' "$T/chk.json" | tr '\n' ' ' | sed 's/ $//')"

# damage to $Volume's own record (3), which the dirty flag also changes: the
# whole $MFTMirr zeroed, and $MFT's record 3 torn (its mirror copy intact)
for dmg in mirror-zeroed volume-torn; do
	img=$T/$dmg.img
	truncate -s 32M "$img" && mkntfs -F -q -f "$img" >/dev/null 2>&1 || nok "mkntfs $dmg"
	bps=$(ntfs_le "$img" 11 2) spc=$(ntfs_le "$img" 13 1)
	if [ $dmg = mirror-zeroed ]; then
		lcn=$(ntfs_le "$img" 56 8)
		dd if=/dev/zero of="$img" bs=1024 seek=$((lcn * bps * spc / 1024)) count=4 conv=notrunc status=none
	else
		lcn=$(ntfs_le "$img" 48 8)
		printf 'BAAD' | dd of="$img" bs=1 seek=$((lcn * bps * spc + 3 * 1024)) conv=notrunc status=none
	fi
	s=$(sha "$img")
	expect_eq "$dmg: check sees it (exit 4)" 4 "$(check_rc "$img")"
	fix "$img" --yes
	expect_eq "$dmg: corrected (exit 1), nothing left" "1 corrected 0" "$RC $(code) $(errors_after)"
	expect_eq "$dmg: ntfsfix -n returns 0 after it" 0 "$(ntfsfix_rc "$img")"
	expect_eq "$dmg: the dirty flag set in the repaired record" dirty \
		"$("$WR_NTFS_STATE" "$img" dirty show 2>/dev/null)"
	undo "$(undo_file)" --yes
	expect_eq "$dmg: undo restores it byte for byte" "0 $s" "$RC $(sha "$img")"
done

# ------------------------------------------------------------ (c) refusals
s=$(sha "$P_HEALTHY")
wr_mount_ntfs "$P_HEALTHY" "$T/busy" -o ro >/dev/null 2>&1 || nok "mount $P_HEALTHY"
fix "$P_HEALTHY" --yes
expect_eq "a mounted volume: refused (exit 32, in-use)" "32 in-use" "$RC $(code)"
expect_match "a mounted volume: the refusal names the mount" "mounted at $T/busy" "$(jq -r .message "$T/out.json")"
wr_umount "$T/busy"
expect_eq "a mounted volume: nothing written" "$s" "$(sha "$P_HEALTHY")"

mkfs.ext4 -q -F "$T/ext4.img" 16M >/dev/null 2>&1 || nok "mkfs.ext4"
fix "$T/ext4.img" --yes
expect_eq "ext4: not NTFS (exit 16)" "16 not-ntfs" "$RC $(code)"
"$WR_BIN" fix all --yes >/dev/null 2>&1
expect_eq "fix all: a usage error (exit 16)" 16 "$?"
"$WR_BIN" fix >/dev/null 2>&1
expect_eq "fix without a volume: exit 16" 16 "$?"
"$WR_BIN" undo >/dev/null 2>&1
expect_eq "undo without a file: exit 16" 16 "$?"
ntfs_break_mftmirr "$P_MIRR" >/dev/null || nok "break mftmirr again"
s=$(sha "$P_MIRR")
"$WR_BIN" fix "$P_MIRR" </dev/null >/dev/null 2>"$T/err.txt"
expect_eq "no --yes and no terminal: refused (exit 32)" 32 "$?"
expect_match "no --yes: says to add --yes" 'add --yes' "$(cat "$T/err.txt")"
expect_eq "no --yes: nothing written" "$s" "$(sha "$P_MIRR")"
wr_mount_ntfs "$P_CLEANLOG" "$T/patient" -o ro >/dev/null 2>&1 || nok "mount $P_CLEANLOG"
fix "$P_MIRR" --yes --undo-dir "$T/patient/undo"
expect_eq "an undo directory on a disk being rescued: refused (exit 32)" "32 undo-dir" "$RC $(code)"
wr_umount "$T/patient"
expect_eq "undo directory refused: nothing written" "$s" "$(sha "$P_MIRR")"
"$WR_BIN" fix "$P_MIRR" --discard-nothing >/dev/null 2>&1
expect_eq "an unknown option: exit 16" 16 "$?"

# undo on a volume changed since in the same bytes: refused
fix "$P_DIRTY" --clear-dirty --yes
U=$(undo_file)
"$WR_NTFS_STATE" "$P_DIRTY" dirty set >/dev/null 2>&1 || nok "set dirty again"
s=$(sha "$P_DIRTY")
undo "$U" --yes
expect_eq "undo after the volume changed there: refused (exit 32)" "32 changed-since" "$RC $(code)"
expect_match "changed-since: names the bytes" 'bytes [0-9]+-[0-9]+' "$(jq -r .message "$T/out.json")"
expect_eq "changed-since: nothing written" "$s" "$(sha "$P_DIRTY")"
# onto another volume of the same size: its bytes are neither old nor new
s=$(sha "$P_HEALTHY")
undo "$U" "$P_HEALTHY" --yes
expect_eq "undo onto another volume: refused (exit 32)" "32 other-target $s" "$RC $(code) $(sha "$P_HEALTHY")"
# damaged, truncated and foreign undo files
size=$(stat -c %s "$U")
head -c $((size - 30)) "$U" >"$T/truncated.undo"
undo "$T/truncated.undo" --yes
expect_eq "a truncated undo file: exit 1 (bad-undo-file)" "1 bad-undo-file" "$RC $(code)"
expect_match "truncated: says nothing was written by it" 'incomplete' "$(jq -r .message "$T/out.json")"
# beside the genuine one (its key proves it), one saved byte changed: the MAC fails
cp -p "$U" "$WINRESCUE_UNDO_DIR/damaged.undo"
hdr=$(($(head -n 2 "$U" | wc -c) + 32 + 100))	# inside the first saved range
printf '\xee' | dd of="$WINRESCUE_UNDO_DIR/damaged.undo" bs=1 seek=$hdr conv=notrunc status=none
"$WR_NTFS_STATE" "$P_DIRTY" dirty clear >/dev/null 2>&1
s=$(sha "$P_DIRTY")
undo "$WINRESCUE_UNDO_DIR/damaged.undo" --yes
expect_eq "saved bytes changed: refused (exit 32, untrusted-undo-file), nothing written" \
	"32 untrusted-undo-file $s" "$RC $(code) $(sha "$P_DIRTY")"
rm -f "$WINRESCUE_UNDO_DIR/damaged.undo"
echo "not an undo file" >"$T/foreign.undo"
undo "$T/foreign.undo" --yes
expect_eq "a file that is no undo file: exit 1" "1 bad-undo-file" "$RC $(code)"
expect_match "the error names the file" "$T/foreign.undo" "$(cat "$T/err.txt")"

# ------------------------------------------------ (d) a power cut mid-fix
CUT=$T/cut.img
truncate -s 32M "$CUT" && mkntfs -F -q -f "$CUT" >/dev/null 2>&1 || wr_bail "mkntfs cut"
ntfs_break_mftmirr "$CUT" >/dev/null && ntfs_break_backup_bootsector "$CUT" >/dev/null || wr_bail "break cut"
SCUT=$(sha "$CUT")
mkdir -p "$T/nbd"
nbdkit -f -U "$T/nbd.sock" --filter=delay file "$CUT" delay-write=700ms &
NBDKIT=$!
wr_cleanup_add "wr_stop $NBDKIT"
for ((i = 0; i < 50; i++)); do [ -S "$T/nbd.sock" ] && break; sleep 0.1; done
nbdfuse "$T/nbd/disk" --unix "$T/nbd.sock" &
wr_cleanup_add "wr_fuse_umount '$T/nbd'"
for ((i = 0; i < 50; i++)); do [ -s "$T/nbd/disk" ] && break; sleep 0.1; done
SLOW=$(losetup -f --show "$T/nbd/disk") || wr_bail "losetup nbd"
wr_cleanup_add "wr_detach '$SLOW'"
fix "$SLOW" --dry-run
nranges=$(jq -r '.plan.steps[0]' "$T/out.json" | grep -Eo 'Save the [0-9]+' | grep -Eo '[0-9]+')
[ "${nranges:-0}" -ge 3 ] && ok "power cut: $nranges ranges to write" || nok "power cut: plan $(cat "$T/out.json")"
# the backup boot sector is written first: kill as soon as it reaches the image
bs_off=$(jq -r '.plan.steps[1]' "$T/out.json" | grep -Eo 'byte [0-9]+' | grep -Eo '[0-9]+')
old=$(dd if="$CUT" bs=1 skip="$bs_off" count=512 status=none | md5sum)
rm -rf "$WINRESCUE_UNDO_DIR"
"$WR_BIN" fix "$SLOW" --yes >/dev/null 2>&1 &
FP=$!
for ((i = 0; i < 300; i++)); do
	[ "$(dd if="$CUT" bs=1 skip="$bs_off" count=512 status=none | md5sum)" != "$old" ] && break
	sleep 0.05
done
kill -9 $FP
wait $FP 2>/dev/null
[ "$i" -lt 300 ] && ok "power cut: killed with SIGKILL after the first write" || nok "power cut: no write seen"
[ "$(sha "$CUT")" != "$SCUT" ] && ok "power cut: the volume was partly written" || nok "power cut: nothing written"
U=$(ls "$WINRESCUE_UNDO_DIR"/* 2>/dev/null | head -n 1)
[ -s "$U" ] && tail -c 84 "$U" | grep -Eq '^WINRESCUE-UNDO-END [0-9a-f]{64}$' && ok "power cut: the undo file is complete" ||
	nok "power cut: no complete undo file"
undo "$U" "$SLOW" --dry-run
expect_match "power cut: undo sees the ranges not yet written" 'already hold' "$(jq -r '.plan.warnings[]' "$T/out.json")"
undo "$U" "$SLOW" --yes
expect_eq "power cut: undo restores (exit 0)" "0 restored" "$RC $(code)"
sync
expect_eq "power cut: the original byte for byte" "$SCUT" "$(sha "$CUT")"

# ------------------------------- (d2) read errors in the middle of $MFT
# nbdkit's eval plugin answers EIO for 20 KiB in the middle of $MFT (records
# 700-719 of a volume with 1500 files), served through nbdfuse, a loop device
IOI=$T/ioerr.img
truncate -s 32M "$IOI" && mkntfs -F -q -f "$IOI" >/dev/null 2>&1 && wr_mount_ntfs "$IOI" "$T/iom" >/dev/null &&
	mkdir "$T/iom/d" && (cd "$T/iom/d" && for i in $(seq 1500); do : >"f$i"; done) && wr_umount "$T/iom" ||
	wr_bail "the read-error volume"
bps=$(ntfs_le "$IOI" 11 2) spc=$(ntfs_le "$IOI" 13 1) mftlcn=$(ntfs_le "$IOI" 48 8) || wr_bail "boot sector"
BAD_A=$((mftlcn * bps * spc + 700 * 1024)) BAD_B=$((mftlcn * bps * spc + 720 * 1024))
SIO=$(sha "$IOI")
mkdir -p "$T/nbd2"
nbdkit -f -U "$T/nbd2.sock" eval get_size="stat -Lc %s '$IOI'" \
	pread="if [ \$((\$4 + \$3)) -gt $BAD_A ] && [ \$4 -lt $BAD_B ]; then echo 'EIO injected' >&2; exit 1; fi
dd if='$IOI' skip=\$4 count=\$3 iflag=count_bytes,skip_bytes status=none" \
	pwrite="dd of='$IOI' seek=\$4 conv=notrunc oflag=seek_bytes status=none" 2>/dev/null &
NBDKIT2=$!
wr_cleanup_add "wr_stop $NBDKIT2"
for ((i = 0; i < 50; i++)); do [ -S "$T/nbd2.sock" ] && break; sleep 0.1; done
nbdfuse "$T/nbd2/disk" --unix "$T/nbd2.sock" 2>/dev/null &
wr_cleanup_add "wr_fuse_umount '$T/nbd2'"
for ((i = 0; i < 50; i++)); do [ -s "$T/nbd2/disk" ] && break; sleep 0.1; done
EIO=$(losetup -f --show "$T/nbd2/disk") || wr_bail "losetup nbd2"
wr_cleanup_add "wr_detach '$EIO'"
timeout 120 "$WR_BIN" check --json "$EIO" >"$T/out.json" 2>/dev/null
expect_eq "read errors mid-\$MFT: check exits 4 with mft-unreadable" "4 true" \
	"$? $(jq '.checks[0].findings | any(.code == "mft-unreadable")' "$T/out.json")"
msg=$(jq -r '.checks[0].findings[] | select(.code == "mft-unreadable") | .message' "$T/out.json")
expect_match "read errors: the finding names the device" "of \\\$MFT cannot be read from $EIO: Input/output error" "$msg"
# the records named cover the unreadable ones (700-719), whatever the read size
range=$(sed -n 's/^Records \([0-9]*\) to \([0-9]*\) .*/\1 \2/p' <<<"$msg")
[ -n "$range" ] && [ "${range% *}" -le 700 ] && [ "${range#* }" -ge 719 ] && [ "${range#* }" -le 800 ] &&
	ok "read errors: records ${range/ / to } named (700-719 unreadable)" || nok "read errors: records named: '$msg'"
expect_eq "read errors: no other error invented" 1 "$(jq '.checks[0].errors' "$T/out.json")"
fix "$EIO" --yes
expect_eq "read errors: fix refuses to write to a failing disk (exit 32)" "32 read-errors" "$RC $(code)"
expect_match "read errors: fix says to image it first" 'ddrescue' "$(jq -r .next "$T/out.json")"
expect_eq "read errors: nothing written" "$SIO" "$(sha "$IOI")"

# ------------------------------- (d3) a write the device refuses, mid-fix
# nbdkit's eval plugin answers EIO to writes into $MFTMirr: the backup boot
# sector is written first, then the mirror's write fails; fix puts back what
# it wrote and says so; the volume is as it was, byte for byte
WF=$T/wfail.img
truncate -s 32M "$WF" && mkntfs -F -q -f "$WF" >/dev/null 2>&1 || wr_bail "mkntfs wfail"
ntfs_break_mftmirr "$WF" >/dev/null && ntfs_break_backup_bootsector "$WF" >/dev/null || wr_bail "break wfail"
MIRR=$(($(ntfs_le "$WF" 56 8) * $(ntfs_le "$WF" 11 2) * $(ntfs_le "$WF" 13 1)))
SWF=$(sha "$WF")
mkdir -p "$T/nbd3"
nbdkit -f -U "$T/nbd3.sock" eval get_size="stat -Lc %s '$WF'" \
	pread="dd if='$WF' skip=\$4 count=\$3 iflag=count_bytes,skip_bytes status=none" \
	pwrite="if [ \$((\$4 + \$3)) -gt $MIRR ] && [ \$4 -lt $((MIRR + 4096)) ]; then cat >/dev/null; echo 'EIO injected' >&2; exit 1; fi
dd of='$WF' seek=\$4 conv=notrunc oflag=seek_bytes status=none" 2>/dev/null &
NBDKIT3=$!
wr_cleanup_add "wr_stop $NBDKIT3"
for ((i = 0; i < 50; i++)); do [ -S "$T/nbd3.sock" ] && break; sleep 0.1; done
nbdfuse "$T/nbd3/disk" --unix "$T/nbd3.sock" 2>/dev/null &
wr_cleanup_add "wr_fuse_umount '$T/nbd3'"
for ((i = 0; i < 50; i++)); do [ -s "$T/nbd3/disk" ] && break; sleep 0.1; done
WDEV=$(losetup -f --show "$T/nbd3/disk") || wr_bail "losetup nbd3"
wr_cleanup_add "wr_detach '$WDEV'"
fix "$WDEV" --yes
expect_eq "a write refused mid-fix: exit 8 (write-failed)" "8 write-failed" "$RC $(code)"
expect_match "a write refused: it says what was put back" 'put back: the volume is as it was' \
	"$(jq -r .message "$T/out.json")"
expect_match "a write refused: it names the range and the error" '\$MFTMirr records at byte [0-9]+ .*Input/output error' \
	"$(jq -r .message "$T/out.json")"
wr_detach "$WDEV"
wr_cleanup_forget "wr_detach '$WDEV'"
expect_eq "a write refused: the volume byte for byte as before" "$SWF" "$(sha "$WF")"

# ------------------------------- (f) a partition of an image file (IMAGE:N)
# A whole disk's image with an MBR table (System Reserved and C:, both NTFS):
# named whole it gets no verdict but its partitions; IMAGE:2 is checked and
# repaired in place, reading and writing only that partition's bytes; the
# undo file records the image and the offset, and undo puts it back.
w="(f) IMAGE:N"
make_bios_disk "$T/disk.img" 0x7e57da7a || wr_bail "$w: make_bios_disk"
IMG=$T/disk.img
P2_START=$(($(sfdisk -J "$IMG" | jq '.partitiontable.partitions[1].start') * 512))
P2_SIZE=$(($(sfdisk -J "$IMG" | jq '.partitiontable.partitions[1].size') * 512))
outside() { # the image's bytes outside partition 2
	{ head -c "$P2_START" "$IMG"; tail -c +$((P2_START + P2_SIZE + 1)) "$IMG"; } | sha256sum | cut -c1-64
}
S0=$(sha "$IMG")
timeout 120 "$WR_BIN" check "$IMG" >"$T/o.txt" 2>"$T/e.txt"
expect_eq "$w: check IMAGE (partitioned): exit 16, nothing on stdout" "16 " "$? $(cat "$T/o.txt")"
expect_match "$w: says it holds a partition table" \
	"^winrescue: $IMG holds a partition table \(dos\), not one file system: its partitions are:" "$(head -1 "$T/e.txt")"
expect_match "$w: partition 1: number, start, size, type, file system" \
	"^  $IMG:1  start 1.0 MiB, size [0-9.]+ MiB, type 0x7 \(HPFS/NTFS/exFAT\), ntfs \"System Reserved\"$" "$(sed -n 2p "$T/e.txt")"
expect_match "$w: partition 2 too" "^  $IMG:2  start [0-9.]+ MiB, size [0-9.]+ MiB, type 0x7 .*, ntfs \"Windows\"$" \
	"$(sed -n 3p "$T/e.txt")"
expect_match "$w: how to name one" "^Next: Name one of them as $IMG:N, e.g. 'winrescue check $IMG:1'" "$(sed -n 4p "$T/e.txt")"
timeout 120 "$WR_BIN" check --json "$IMG" >"$T/o.json" 2>/dev/null
expect_eq "$w: --json: code, no verdict, the partitions as candidates" "image-partitioned null 2" \
	"$(jq -r '"\(.code) \(.checks) \(.candidates | length)"' "$T/o.json")"
timeout 120 "$WR_BIN" fix --yes "$IMG" >/dev/null 2>"$T/e.txt"
expect_eq "$w: fix IMAGE (partitioned): exit 16, nothing written" "16 $S0" "$? $(sha "$IMG")"
timeout 120 "$WR_BIN" check --json "$IMG:2" >"$T/o.json" 2>"$T/e.txt"
expect_eq "$w: check IMAGE:2: the NTFS verdict (clean)" "0 $IMG:2 ntfs winrescue clean $P2_SIZE" \
	"$? $(jq -r '.checks[0] | "\(.device) \(.fstype) \(.checker) \(.verdict) \(.size)"' "$T/o.json")"
timeout 120 "$WR_BIN" check "$IMG:9" >"$T/o.txt" 2>"$T/e.txt"
expect_eq "$w: IMAGE:9: exit 16" 16 $?
expect_match "$w: IMAGE:9: a clear error with its partitions" \
	"^winrescue: $IMG has no partition 9: its partitions are: .*$IMG:1 .*$IMG:2 " "$(tr '\n' ' ' <"$T/e.txt")"
timeout 120 "$WR_BIN" check "$T/nothing.img:1" >/dev/null 2>"$T/e.txt"
expect_eq "$w: a file that does not exist, :1: exit 16" 16 $?
# the primary boot sector of partition 2 damaged (bytes per sector zeroed)
printf '\0\0' | dd of="$IMG" bs=1 seek=$((P2_START + 11)) conv=notrunc status=none
S1=$(sha "$IMG")
O1=$(outside)
check_json() { timeout 120 "$WR_BIN" check --json "$1" >"$T/o.json" 2>/dev/null; RC=$?; }
check_json "$IMG:2"
expect_eq "$w: the damaged boot sector found (exit 4, bs-bytes-per-sector)" "4 true" \
	"$RC $(jq -e '.checks[0].findings | any(.code == "bs-bytes-per-sector")' "$T/o.json")"
fix "$IMG:2" --yes
U=$(undo_file)
expect_eq "$w: fix IMAGE:2 --yes: corrected (exit 1)" "1 corrected" "$RC $(code)"
expect_eq "$w: nothing outside the partition written" "$O1" "$(outside)"
check_json "$IMG:2"
expect_eq "$w: after the fix, no error" "0 0" "$RC $(jq -r '.checks[0].errors' "$T/o.json")"
expect_eq "$w: the undo file records the image and the offset" "$IMG $P2_START $IMG:2 $P2_SIZE" \
	"$(sed -n 2p "$U" | jq -r '"\(.image) \(.offset) \(.device) \(.device_size)"')"
undo "$U" --yes
expect_eq "$w: undo: restored (exit 0)" "0 restored" "$RC $(code)"
expect_eq "$w: undo: the whole image as before the fix (sha256)" "$S1" "$(sha "$IMG")"
# the same undo file onto the image attached with its partitions: the loop partition
fix "$IMG:2" --yes
U=$(undo_file)
wr_attach_to IMGDEV "$IMG" || wr_bail "$w: attach"
_wrd_part "$IMGDEV" 2 >/dev/null
check_json "$IMG:2"
expect_eq "$w: attached: IMAGE:2 is its loop partition" "${IMGDEV}p2" "$(jq -r '.checks[0].device' "$T/o.json")"
undo "$U" --yes
expect_eq "$w: undo through the loop partition: restored" "0 restored ${IMGDEV}p2" \
	"$RC $(code) $(jq -r '.targets[0].device' "$T/out.json")"
wr_release "$IMGDEV"
expect_eq "$w: ... the whole image as before (sha256)" "$S1" "$(sha "$IMG")"
# partition 2 starting 4 KiB earlier since (the same size): refused, nothing written
fix "$IMG:2" --yes
U=$(undo_file)
printf 'label: dos\nlabel-id: 0x7e57da7a\nstart=2048, size=%d, type=7, bootable\nstart=%d, size=%d, type=7\n' \
	$(($(sfdisk -J "$IMG" | jq '.partitiontable.partitions[0].size') - 8)) $((P2_START / 512 - 8)) \
	$((P2_SIZE / 512)) | sfdisk -q --no-reread "$IMG" >/dev/null 2>&1 || nok "$w: sfdisk (move)"
S3=$(sha "$IMG")
undo "$U" --yes
expect_eq "$w: undo after the partition moved: refused (32), nothing written" "32 other-volume $S3" \
	"$RC $(code) $(sha "$IMG")"
expect_match "$w: ... saying where it starts now and where it started" \
	"starts at byte $((P2_START - 4096)) of $IMG now; .* when it started at byte $P2_START" \
	"$(jq -r .message "$T/out.json")"
# IMAGE:N on an image with no table, and on an image attached without that partition
truncate -s 16M "$T/plain.img" && mkntfs -Q -q -F "$T/plain.img" >/dev/null 2>&1 || nok "$w: mkntfs plain.img"
timeout 120 "$WR_BIN" check --json "$T/plain.img:1" >"$T/o.json" 2>"$T/e.txt"
expect_eq "$w: IMAGE:1 of an image without a table: exit 16, image-not-partitioned" "16 image-not-partitioned" \
	"$? $(jq -r .code "$T/o.json")"
rm -f "$T/plain.img"
wr_attach_to IMGDEV "$IMG" || wr_bail "$w: attach"
S4=$(sha "$IMG")
timeout 120 "$WR_BIN" fix --json --yes "$IMG:9" >"$T/o.json" 2>"$T/e.txt"
expect_eq "$w: attached, IMAGE:9: exit 16, image-attached, nothing written" "16 image-attached $S4" \
	"$? $(jq -r .code "$T/o.json") $(sha "$IMG")"
wr_release "$IMGDEV"
rm -f "$IMG"

# ------------------------------------------------ (e) JSON and the audit log
fix "$P_BOOT" --yes 2>/dev/null
ntfs_break_backup_bootsector "$P_BOOT" >/dev/null
fix "$P_BOOT" --yes
expect_eq "--json: schema, status, undo_file, bytes_written, the check after" "[1,7] 1 true 512 0" \
	"$(jq -rc '"\(.schema.version) \(.status) \(.undo_file | test("\\.undo$")) \(.bytes_written) \(.checks[0].errors)"' "$T/out.json")"
expect_eq "audit log: the fix's plan and result, the result with its undo file" "plan result true" \
	"$(jq -rs '[.[] | select(.action == "fix" and .event != "refused")] | .[-2:] | "\(.[0].event) \(.[1].event) \(.[1].undo_file != null)"' "$WINRESCUE_LOG")"
expect_eq "audit log: refusals recorded" true \
	"$(jq -s 'any(.[]; .action == "fix" and .event == "refused")' "$WINRESCUE_LOG")"
expect_eq "audit log: undo recorded" true \
	"$(jq -s 'any(.[]; .action == "undo" and .event == "result")' "$WINRESCUE_LOG")"

wr_finish
