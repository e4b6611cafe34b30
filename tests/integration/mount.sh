#!/usr/bin/env bash
# tests/integration/mount.sh - `winrescue mount` and `winrescue umount` on
# real loop devices with real ntfs-3g (and the kernel, through libmount):
#
#   read-only by default and read-write on clean volumes; every unsafe NTFS
#   state refused for --rw (exit 32) and still mountable read-only;
#   --discard-hibernation (and its confirmation), then `list` no longer
#   says hibernated; the rescue disk, a mounted volume, BitLocker, a regular
#   file where the node should be: refused; ntfs-3g's silent read-only
#   fallback detected; umount, umount all (only what winrescue mounted, as
#   the audit log records it: a mount made by hand beside it, or made again
#   by hand in its place, is left and named; --everything takes it too, in a
#   mount namespace of its own), a busy mount (naming the
#   process), the rescue system's own mounts; --json and --dry-run; the
#   audit log holds every plan and result, and no action runs without it;
#   bad input (names, mount points, a missing ntfs-3g) gets one clear line
#   and a documented exit code; images unchanged by every read-only mount.
# Needs root, loop devices, FUSE.

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../lib.sh"
. "$HERE/disks.sh"

wr_require_root_loop_fuse
wr_require_fixtures
wr_require_tools jq sfdisk losetup partx mkntfs ntfs-3g mkfs.ext4 mkfs.vfat sha256sum flock
[ -x "$WR_BIN" ] || wr_bail "$WR_BIN not built"
[ -x "$WR_NTFS_STATE" ] || make -C "$WR_ROOT" --no-print-directory build/tests/ntfs-state >/dev/null ||
	wr_bail "cannot build $WR_NTFS_STATE"

wr_tmpdir_to T
export WINRESCUE_LOG=$T/audit.jsonl
wr_cleanup_add "'$WR_BIN' umount all >/dev/null 2>&1"

# ------------------------------------------------------------ the disks
make_states_disk "$T/states.img" || wr_bail "make_states_disk"
make_bios_disk "$T/bios.img" 0x2345bcde || wr_bail "make_bios_disk"
make_collision_disk "$T/ro.img" 0x0e0e0e0e || wr_bail "make_collision_disk (ro)"
# misc: ext4 data, FAT32, a locked BitLocker volume (its headers as libblkid reads them)
truncate -s 64M "$T/misc.img"
sfdisk -q "$T/misc.img" >/dev/null <<-EOF || wr_bail "sfdisk misc"
	label: gpt
	start=2048, size=16MiB, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name="linuxdata"
	size=16MiB, type=$WR_GUID_BASIC, name="fat"
	size=16MiB, type=$WR_GUID_BASIC, name="bitlocker"
EOF
wr_attach_to MISC "$T/misc.img" || wr_bail "attach misc"
for n in 1 2 3; do _wrd_part "$MISC" $n >/dev/null || wr_bail "no ${MISC}p$n"; done
mkfs.ext4 -q -L linuxdata "${MISC}p1" || wr_bail "mkfs.ext4"
_wrd_mkfat "${MISC}p2" FATDATA || wr_bail "mkfs.vfat"
printf '\xeb\x58\x90-FVE-FS-' | dd of="${MISC}p3" conv=notrunc status=none
printf '\x00\x00\x01\x00\x00\x00\x00\x00' | dd of="${MISC}p3" bs=1 seek=176 conv=notrunc status=none
printf '\x55\xaa' | dd of="${MISC}p3" bs=1 seek=510 conv=notrunc status=none
printf -- '-FVE-FS-\x30\x00\x02\x00' | dd of="${MISC}p3" bs=1 seek=65536 conv=notrunc status=none
blockdev --flushbufs "${MISC}p3"
[ "$(blkid -p -o value -s TYPE "${MISC}p3")" = BitLocker ] && ok "libblkid sees BitLocker on ${MISC}p3" ||
	nok "the BitLocker stand-in is not BitLocker to libblkid"

wr_attach_to ST "$T/states.img" || wr_bail "attach states"
declare -A SP
for i in "${!WR_STATES[@]}"; do
	SP[${WR_STATES[$i]}]=$(_wrd_part "$ST" $((i + 1))) || wr_bail "no node for ${WR_STATES[$i]}"
done
wr_attach_to BIOS "$T/bios.img" || wr_bail "attach bios"
_wrd_part "$BIOS" 2 >/dev/null || wr_bail "no ${BIOS}p2"
C=${BIOS}p2
ntfs_make_dirty "$C" >/dev/null && ntfs_make_hibernated "$C" >/dev/null || wr_bail "C: state"
echo "# states=$ST bios=$BIOS misc=$MISC"

declare -A SHA
for img in states bios misc; do SHA[$img]=$(sha256sum "$T/$img.img" | cut -c1-64); done

mounted_at() { awk -v d="$1" '$1 == d { print $2 }' /proc/mounts | tail -n 1; }
mounted_mode() { awk -v d="$1" '$1 == d { split($4, o, ","); print o[1] }' /proc/mounts | tail -n 1; }
# run WHAT EXPECTED-RC ARGS...: winrescue ARGS; OUT/ERR/RC kept
run() {
	local what=$1 want=$2
	shift 2
	OUT=$("$WR_BIN" "$@" 2>"$T/err")
	RC=$?
	ERR=$(cat "$T/err")
	expect_eq "$what: exit $want" "$want" "$RC"
}
# every stderr line is winrescue's own (no ntfs-3g, libmount or libntfs-3g text)
own_words() {
	local bad
	bad=$(printf '%s\n' "$ERR" | grep -v -e '^winrescue: ' -e '^Next: ' -e '^Warning: ' -e '^Plan (' \
		-e '^  [0-9]*\. ' -e '^     [^ ]' -e '^  /dev/' -e '^Will be lost: ' -e '^$' | head -3)
	[ -z "$bad" ] && ok "$1: stderr in winrescue's words" || nok "$1: foreign stderr: $bad"
}
umount_quiet() { "$WR_BIN" umount "$1" >/dev/null 2>&1; }
# The suite's own disks: the loop devices backed by files of $T. Other
# Windows disks may be attached beside them (another suite, a `make demo`):
# mount names a volume, and where no name is given (system) it runs seeing
# only these (wr_only); mount points are judged as the machine is.
own_disks() { wr_own_disks "$T"; }

# ------------------------------------------------- read-only, read-write
H=${SP[healthy]}
# /mnt/winrescue/healthy, or healthy-<name> while another volume of the
# machine (another suite's states disk) is labelled healthy too
HD=$(wr_mount_dir "$H")
run "mount healthy (default)" 0 mount "$H"
[ "$(mounted_at "$H")" = "$HD" ] || HD=$(wr_mount_dir "$H")
expect_match "where: /mnt/winrescue/<label> (-<name> when the label is not unique)" \
	"^/mnt/winrescue/healthy(-$(basename "$H"))?\$" "$HD"
expect_eq "read-only by default, at /mnt/winrescue/<label>" "$HD ro" \
	"$(mounted_at "$H") $(mounted_mode "$H")"
expect_match "says how it mounted" "Mounted $H read-only at $HD \(ntfs-3g\)" "$OUT"
mountpoint -q "$HD" && ok "$HD is a mount point" || nok "not a mount point"
run "mount it again" 32 mount "$H"
expect_match "mounted already: says where" "already mounted at $HD" "$ERR"
own_words "mount it again"
run "umount healthy" 0 umount "$H"
expect_eq "unmounted" "" "$(mounted_at "$H")"
[ -d "$HD" ] && nok "mount point left behind" || ok "mount point removed"

run "mount --rw healthy without --yes" 32 mount --rw "$H"
expect_match "read-write needs a confirmation" "needs a confirmation" "$ERR"
expect_eq "nothing mounted without --yes" "" "$(mounted_at "$H")"
run "mount --rw --yes healthy" 0 mount --rw --yes "$H" --at "$T/h"
expect_eq "read-write at --at, windows_names" "$T/h rw" "$(mounted_at "$H") $(mounted_mode "$H")"
grep " $T/h " /proc/self/mountinfo | grep -q 'fuseblk' && ok "through ntfs-3g (fuseblk)" || nok "not fuseblk"
echo hello >"$T/h/written.txt" && ok "a file written" || nok "cannot write"
run "umount by mount point" 0 umount "$T/h"
[ -d "$T/h" ] && ok "an --at directory is left in place" || nok "--at directory removed"
ntfsls "$H" 2>/dev/null | grep -q written.txt && ok "the file is on the volume after umount (flushed)" ||
	nok "written.txt not on the volume"

run "dirty: read-write mounts" 0 mount --rw --yes "${SP[dirty]}"
expect_match "dirty: a warning" "marked dirty" "$ERR"
expect_eq "dirty: rw" rw "$(mounted_mode "${SP[dirty]}")"
umount_quiet "${SP[dirty]}"

# ---------------------------------------------- unsafe states for --rw
for st in hibernated fast-restart unclean mftmirr bootsector; do
	dev=${SP[$st]}
	run "$st: --rw refused" 32 mount --rw --yes "$dev"
	expect_eq "$st: nothing mounted" "" "$(mounted_at "$dev")"
	expect_match "$st: one sentence naming the device" "^winrescue: Refused: .*$dev" "$ERR"
	expect_match "$st: and the next step" "^Next: " "$ERR"
	own_words "$st --rw"
done
expect_match "fast-restart: says Fast Startup" "Fast Startup" "$("$WR_BIN" mount --rw --yes "${SP[fast-restart]}" 2>&1)"
for st in hibernated fast-restart unclean bootsector; do
	dev=${SP[$st]}
	before=$(sha256sum "$dev" | cut -c1-64)
	run "$st: read-only mounts" 0 mount "$dev"
	expect_eq "$st: read-only" ro "$(mounted_mode "$dev")"
	umount_quiet "$dev"
	expect_eq "$st: the volume unchanged by the read-only mount (sha256)" "$before" \
		"$(sha256sum "$dev" | cut -c1-64)"
done
# ntfs-3g refuses this one even read-only: said in our words
run "mftmirr: read-only fails cleanly" 1 mount "${SP[mftmirr]}"
expect_match "mftmirr: ntfs-3g's refusal translated" "ntfs-3g could not mount ${SP[mftmirr]}: the volume is damaged" "$ERR"
own_words "mftmirr ro"
[ -d /mnt/winrescue/mftmirr ] && nok "mftmirr: mount point left behind" || ok "mftmirr: no mount point left"

# ------------------------------------------------- --discard-hibernation
run "--discard-hibernation without --rw" 16 mount --discard-hibernation "${SP[hibernated]}"
run "discard without --yes" 32 mount --rw --discard-hibernation "${SP[hibernated]}"
expect_match "discard: the loss in words" "Will be lost: The hibernated Windows session" "$ERR"
run "discard --json --dry-run: the plan only" 0 mount --rw --discard-hibernation --dry-run --json "${SP[hibernated]}"
expect_match "dry run: remove_hiberfile in the plan" "remove_hiberfile" "$(jq -r '.plan.steps[]' <<<"$OUT")"
expect_eq "dry run: the loss" true "$(jq '.plan.loss != null' <<<"$OUT")"
expect_eq "dry run: nothing mounted" "" "$(mounted_at "${SP[hibernated]}")"
run "discard --yes (hibernated)" 0 mount --rw --discard-hibernation --yes "${SP[hibernated]}"
expect_eq "discard: read-write" rw "$(mounted_mode "${SP[hibernated]}")"
# still mounted: the whole disk's page cache must not hide what ntfs-3g wrote
expect_eq "discard: list says not hibernated while it is mounted" false \
	"$("$WR_BIN" list --json "$ST" | jq -r --arg p "${SP[hibernated]}" '.disks[].partitions[] | select(.path == $p) | .ntfs.hibernated')"
umount_quiet "${SP[hibernated]}"
# the journal's worker keeps root (libntfs-3g opens the device) under a deny-list (issue 24)
log_before=$("$WR_BIN" list --json "$ST" | jq -r --arg p "${SP[fast-restart]}" '.disks[].partitions[] | select(.path == $p) | .ntfs.logfile')
for how in socket execve ptrace; do
	WINRESCUE_WORKER_ESCAPE=$how run "discard: a journal worker that tries $how is stopped" 1 \
		mount --rw --discard-hibernation --yes "${SP[fast-restart]}"
	expect_match "... and mount says so (journal-reset-failed)" \
		"journal of ${SP[fast-restart]} could not be emptied: .*outside its sandbox" "$ERR"
	expect_eq "... nothing mounted" "" "$(mounted_at "${SP[fast-restart]}")"
done
expect_eq "... and its journal as it was (not emptied)" "$log_before" \
	"$("$WR_BIN" list --json "$ST" | jq -r --arg p "${SP[fast-restart]}" '.disks[].partitions[] | select(.path == $p) | .ntfs.logfile')"
[ "$log_before" != empty ] && ok "... which holds a journal ($log_before)" || nok "fast-restart's journal is empty before the discard"
run "discard --yes (Fast Startup)" 0 mount --rw --discard-hibernation --yes "${SP[fast-restart]}"
expect_eq "discard Fast Startup: read-write" rw "$(mounted_mode "${SP[fast-restart]}")"
umount_quiet "${SP[fast-restart]}"
"$WR_BIN" list --json "$ST" >"$T/after.json"
jp() { jq -r --arg p "$1" ".disks[].partitions[] | select(.path == \$p) | $2" "$T/after.json"; }
expect_eq "after discarding: list says not hibernated" false "$(jp "${SP[hibernated]}" .ntfs.hibernated)"
expect_eq "after discarding Fast Startup: journal emptied" empty "$(jp "${SP[fast-restart]}" .ntfs.logfile)"
expect_eq "after discarding Fast Startup: dirty (chkdsk at next start)" true "$(jp "${SP[fast-restart]}" .ntfs.dirty)"
run "unclean: discarding does not make it safe" 32 mount --rw --discard-hibernation --yes "${SP[unclean]}"

# ------------------------------------------------------------ refusals
run "BitLocker: refused" 32 mount "${MISC}p3"
expect_match "BitLocker: says locked" "BitLocker and locked" "$ERR"
run "a rescue-system disk: refused" 32 mount /dev/vda
expect_match "rescue disk: says so" "rescue system's own disk" "$ERR"
# a loop disk the running system uses (an ext4 mounted outside /mnt) is a rescue disk too
truncate -s 24M "$T/sys.img"
printf 'label: dos\nstart=2048, size=8MiB, type=83\nsize=8MiB, type=83\n' | sfdisk -q "$T/sys.img" >/dev/null
wr_attach_to SYS "$T/sys.img" || wr_bail "attach sys"
_wrd_part "$SYS" 2 >/dev/null || wr_bail "no ${SYS}p2"
mkfs.ext4 -q "${SYS}p1" && mkfs.ext4 -q -L healthy "${SYS}p2"
mkdir -p "$T/sysroot" && mount "${SYS}p1" "$T/sysroot" && wr_cleanup_add "umount '$T/sysroot'"
run "a volume of a disk the rescue system mounts: refused" 32 mount "${SYS}p2"
expect_match "that disk is the rescue disk" "rescue system's own disk" "$ERR"
run "umount of the rescue system's own mount: refused" 32 umount "$T/sysroot"
expect_match "rescue mount: says so" "by the rescue system itself" "$ERR"
expect_eq "rescue mount stays" "$T/sysroot" "$(mounted_at "${SYS}p1")"

# a regular file where the partition node should be (no udev recreates it);
# afterwards the kernel makes the node again (partx -d/-a): a node made by
# hand would outlive the device and stand in the way of the next one
P=${ST}p1
renode() { rm -f "$1" && partx -d --nr 1 "$2" 2>/dev/null; partx -a --nr 1 "$2" 2>/dev/null; }
wr_cleanup_add "renode '$P' '$ST'"
rm -f "$P" && dd if="$T/states.img" of="$P" bs=1M count=4 status=none
run "a regular file at $P: list still works" 0 list --json "$ST"
expect_match "list: the partition says not a block device" "not a block device" \
	"$(jq -r --arg p "$P" '.disks[].partitions[] | select(.path == $p) | .error' <<<"$OUT")"
run "mount of the regular file: refused" 32 mount "$P"
expect_match "regular file: says not a block device" "not a block device" "$ERR"
renode "$P" "$ST"
[ -b "$P" ] && ok "the kernel made $P again" || nok "$P missing after partx -a"
# and at the whole-disk node: its own table is never read
D=$MISC
read -r DMAJ DMIN < <(stat -L -c '%t %T' "$D" | while read -r a b; do echo $((16#$a)) $((16#$b)); done)
wr_cleanup_add "rm -f '$D'; mknod '$D' b $DMAJ $DMIN"
rm -f "$D" && cp --sparse=always "$T/bios.img" "$D"
run "a regular file at $D: list" 0 list --json "$D"
expect_match "list: the disk says not a block device" "not a block device" \
	"$(jq -r --arg d "$D" '.disks[] | select(.path == $d) | .error' <<<"$OUT")"
expect_eq "list: the file's table is not listed as the disk's" null \
	"$(jq -r --arg d "$D" '.disks[] | select(.path == $d) | .ptuuid' <<<"$OUT")"
run "text view: partition table unreadable" 0 list "$D"
expect_match "text: unreadable, not 'no partition table'" "partition table unreadable  $D" "$OUT"
rm -f "$D" && mknod "$D" b "$DMAJ" "$DMIN"

# ------------------------------------------- ntfs-3g's read-only fallback
RO=$(losetup -f --show -r -P "$T/ro.img") || wr_bail "losetup -r"
wr_cleanup_add "wr_detach '$RO'"
_wrd_part "$RO" 1 >/dev/null
run "read-write on a read-only device" 1 mount --rw --yes "${RO}p1" --json
expect_eq "fallback: code" read-only-fallback "$(jq -r .code <<<"$OUT")"
expect_eq "fallback: the mode obtained" ro "$(jq -r '.mounts[0].mode' <<<"$OUT")"
expect_eq "fallback: the mode asked" rw "$(jq -r '.mounts[0].requested_mode' <<<"$OUT")"
expect_eq "fallback: really read-only" ro "$(mounted_mode "${RO}p1")"
expect_match "fallback: said in words" "mounted read-only at .* not read-write as asked" "$ERR"
umount_quiet "${RO}p1"

# ------------------------------------------------- other file systems
run "ext4 read-only (libmount)" 0 mount "${MISC}p1" --json
expect_eq "ext4: driver" ext4 "$(jq -r '.mounts[0].driver' <<<"$OUT")"
expect_eq "ext4: mode" ro "$(mounted_mode "${MISC}p1")"
expect_match "ext4: read-only without journal replay" "ro,nodev,nosuid,noexec,noload" "$(jq -r '.plan.steps[]' <<<"$OUT")"
umount_quiet "${MISC}p1"
if grep -qw vfat /proc/filesystems; then
	run "FAT32 read-only" 0 mount "${MISC}p2"
	umount_quiet "${MISC}p2"
else
	run "FAT32 without a vfat driver in this kernel" 1 mount "${MISC}p2"
	expect_match "no vfat: said in words" "The kernel could not mount ${MISC}p2 \(vfat\)" "$ERR"
	own_words "vfat"
fi

# ------------------------------------------------------- umount
run "umount with nothing mounted" 16 umount
expect_match "nothing mounted: said" "nothing is mounted" "$ERR"
run "umount all with nothing mounted" 0 umount all
"$WR_BIN" mount "$H" >/dev/null 2>&1 && "$WR_BIN" mount "${SP[dirty]}" >/dev/null 2>&1
run "umount without a name, two mounted" 16 umount
expect_match "lists the candidates" "2 volumes are mounted" "$ERR"
HM=$(mounted_at "$H")
# two volumes are labelled "healthy" now (the rescue disk's ext4 too): the name is added
expect_eq "a label two volumes share: the device name added" "/mnt/winrescue/healthy-$(basename "$H")" "$HM"
(cd "$HM" && exec sleep 60) &
busy=$!
wr_cleanup_add "kill $busy"
sleep 0.3
run "umount of a busy mount" 32 umount "$H"
expect_match "busy: names the process" "in use by sleep \(pid $busy: its current directory is there\)" "$ERR"
expect_eq "busy: still mounted" "$HM" "$(mounted_at "$H")"
kill "$busy"; wait "$busy" 2>/dev/null
run "umount all" 0 umount all --json
expect_eq "umount all: both" 2 "$(jq '[.mounts[] | select(.mounted == false)] | length' <<<"$OUT")"
expect_eq "umount all: both winrescue's" "true true" \
	"$(jq -r '[.mounts[] | select(.mounted == false) | .by_winrescue] | join(" ")' <<<"$OUT")"
expect_eq "nothing of this suite's left under /mnt/winrescue" "" \
	"$(awk -v a="$H" -v b="${SP[dirty]}" '$2 ~ "^/mnt/winrescue" && ($1 == a || $1 == b) {print $2}' /proc/mounts)"

# ------------------------------- umount all: only what winrescue mounted
# One volume mounted by winrescue, one by hand (ntfs-3g) beside it: all takes
# winrescue's (the audit log records its mounts, with their mount IDs) and
# names the other, saying why and how to unmount it.
run "mount (for umount all)" 0 mount --json "$H"
HM=$(mounted_at "$H")
UNIQUE=$(jq -r '.mounts[0].mount_id_unique' <<<"$OUT")
expect_match "mount: the mount's ID recorded" '^[0-9]+ (true|false) [0-9a-f-]{36}$' \
	"$(jq -r '.mounts[0] | "\(.mount_id) \(.mount_id_unique) \(.boot_id)"' <<<"$OUT")"
mkdir -p "$T/byhand" && ntfs-3g -o ro "${SP[dirty]}" "$T/byhand" && wr_cleanup_add "umount '$T/byhand'"
run "umount all --dry-run: the plan" 0 umount all --dry-run
expect_match "dry run: unmounts winrescue's" "Flush and unmount $H from $HM" "$OUT"
expect_match "dry run: names the one it leaves" "Warning: Left mounted: ${SP[dirty]} at $T/byhand" "$OUT"
run "umount all: winrescue's mount and one made by hand" 0 umount all
expect_eq "umount all: took winrescue's" "" "$(mounted_at "$H")"
expect_eq "umount all: left the one made by hand" "$T/byhand" "$(mounted_at "${SP[dirty]}")"
expect_match "umount all: says what it did" "Unmounted $H from $HM; what winrescue did not mount is left as it is" "$OUT"
expect_match "umount all: what was left, why, and how to unmount it" \
	"Warning: Left mounted: ${SP[dirty]} at $T/byhand: winrescue did not mount it \(the audit log $WINRESCUE_LOG records no mount of winrescue's that is still mounted there\); 'winrescue umount $T/byhand' unmounts it, 'winrescue umount --everything all' everything mounted from the disks being rescued\." \
	"$(tr '\n' ' ' <<<"$ERR" | sed 's/  */ /g')"
printf '%s' "$ERR" | grep -q "$T/sysroot" && nok "umount all named the rescue system's own mount" ||
	ok "umount all: the rescue system's own mount is not among what it left"
expect_eq "umount all: the rescue system's own mount stays" "$T/sysroot" "$(mounted_at "${SYS}p1")"
run "umount all --json: only the one made by hand is mounted" 0 umount all --json
expect_eq "umount all --json: it is left, not winrescue's" "${SP[dirty]} $T/byhand true false" \
	"$(jq -r --arg d "${SP[dirty]}" '.mounts[] | select(.device == $d) | "\(.device) \(.mountpoint) \(.mounted) \(.by_winrescue)"' <<<"$OUT")"
expect_eq "umount all --json: its warning" 1 \
	"$(jq --arg d "${SP[dirty]}" '[.warnings[] | select(startswith("Left mounted: " + $d + " "))] | length' <<<"$OUT")"
expect_eq "umount all --json: nothing of winrescue's was mounted" "nothing-mounted 0" \
	"$(jq -r '"\(.code) \([.mounts[] | select(.mounted == false)] | length)"' <<<"$OUT")"
# without a name: the one winrescue mounted, never the one made by hand
"$WR_BIN" mount "$H" >/dev/null 2>&1
run "umount without a name: winrescue's, beside one made by hand" 0 umount
expect_eq "umount without a name: took winrescue's" "" "$(mounted_at "$H")"
expect_eq "umount without a name: left the other" "$T/byhand" "$(mounted_at "${SP[dirty]}")"
run "umount without a name: nothing of winrescue's mounted" 16 umount
expect_match "... says so, naming what is mounted" \
	"nothing winrescue mounted is mounted.*${SP[dirty]} .* at $T/byhand" "$(tr '\n' ' ' <<<"$ERR")"
# a mount of winrescue's (an earlier run: the log persists across runs),
# unmounted and made again by hand at the same place from the same device,
# is not winrescue's any more
"$WR_BIN" mount "$H" >/dev/null 2>&1
HM=$(mounted_at "$H")
umount "$HM" && ntfs-3g -o ro "$H" "$HM" && wr_cleanup_add "umount '$HM'"
run "umount all: one of winrescue's, unmounted and mounted again by hand" 0 umount all
if [ "$UNIQUE" = true ]; then
	expect_eq "... is not winrescue's: left mounted" "$HM" "$(mounted_at "$H")"
	expect_match "... and named" "Left mounted: $H at $HM" "$(tr '\n' ' ' <<<"$ERR")"
else
	echo "# $(uname -r) gives no unique mount IDs (Linux 6.8+): a mount made again by hand in the same place is taken for winrescue's"
fi
wr_umount "$HM"
rmdir "$HM"
# --everything: the one made by hand too, the rescue system's own mount never.
# In a mount namespace of its own (unshare -m): whatever else is mounted on
# this machine (another suite's disks, a `make demo`) is unmounted only in
# the namespace's copy of the mount table, never for the others.
mkdir -p "$T/byhand2"
cat >"$T/everything.sh" <<EOF
"$WR_BIN" mount "$H" >/dev/null 2>&1 || echo "mount failed" >&2
ntfs-3g -o ro "${SP[dirty]}" "$T/byhand2" || echo "ntfs-3g failed" >&2
"$WR_BIN" umount --everything all --json >"$T/ev.json" 2>"$T/ev.err"
echo \$? >"$T/ev.rc"
awk '{ print \$1, \$2 }' /proc/self/mounts >"$T/ev.mounts"
"$WR_BIN" umount --everything "$H" >/dev/null 2>"$T/ev-usage.err"
echo \$? >>"$T/ev.rc"
EOF
unshare -m --propagation private bash "$T/everything.sh"
expect_eq "--everything: exit 0 (with a volume named: usage, 16)" "0 16" "$(tr '\n' ' ' <"$T/ev.rc" | sed 's/ $//')"
expect_eq "--everything: winrescue's unmounted" false \
	"$(jq -r --arg d "$H" '.mounts[] | select(.device == $d) | .mounted' "$T/ev.json")"
expect_eq "--everything: the one made by hand unmounted too" false \
	"$(jq -r --arg d "${SP[dirty]}" --arg m "$T/byhand2" '.mounts[] | select(.device == $d and .mountpoint == $m) | .mounted' "$T/ev.json")"
grep -q -e "^${SP[dirty]} " -e "^$H " "$T/ev.mounts" && nok "--everything: a mount of this suite's is left" ||
	ok "--everything: none of this suite's mounts left (in its namespace)"
grep -q " $T/sysroot\$" "$T/ev.mounts" && ok "--everything: the rescue system's own mount stays" ||
	nok "--everything: the rescue system's own mount was unmounted"
expect_match "--everything with a volume: one line" "^winrescue: --everything goes with all" "$(cat "$T/ev-usage.err")"
expect_eq "--everything in its namespace only: nothing of it mounted here" "" "$(mounted_at "$H")$(mounted_at "${SP[dirty]}" | grep byhand2)"
run "mount --everything: an option of umount" 16 mount --everything "$H"
wr_umount "$T/byhand"

# ------------------------------------------------------ bad input
run "unknown volume" 16 mount no-such-volume
expect_match "unknown: one line naming it" "^winrescue: no volume is named 'no-such-volume'" "$ERR"
run "ambiguous label" 16 mount healthy
expect_match "ambiguous: lists the candidates" "$H \(Disk [0-9]+ partition 1" "$ERR"
run "ambiguous --json" 16 mount --json healthy
# two of this suite's (and any other volume of the machine labelled healthy)
expect_eq "ambiguous --json: every volume labelled healthy, this suite's two among them" \
	"$("$WR_BIN" list --json | jq '[.disks[] | if ((.partitions // []) | length) == 0 then . else .partitions[] end | select((.ntfs.label // .label) == "healthy")] | length') true" \
	"$(jq -r --arg a "$H" --arg b "${SYS}p2" '"\(.candidates | length) \([.candidates[] | startswith($a + " ") or startswith($b + " ")] | map(select(.)) | length == 2)"' <<<"$OUT")"
# without a name: the Windows volume of the system disk, this suite's disks alone in sight
OUT=$(wr_only $(own_disks) -- "$WR_BIN" mount --dry-run 2>"$T/err")
RC=$?
expect_eq "mount without a name: the Windows volume (dry run): exit 0" 0 "$RC"
expect_match "system is C: of the Windows disk" "Mount $C " "$OUT"
run "a whole disk with partitions" 16 mount "$ST"
# loop names end in a digit: the kernel's partitions are loopNp1, never loopN1
expect_match "a whole disk: its real partitions named" "name one of them \\(${ST}p1, ${ST}p2, ${ST}p3, ${ST}p4, \\.\\.\\. or disk:[0-9]+/part:M\\)" "$ERR"
run "check of a whole disk with partitions" 16 check "$ST"
expect_match "check: its real partitions named" "${ST}p1, ${ST}p2" "$ERR"
run "unknown option" 16 mount --bogus "$H"
run "two volumes" 16 mount "$H" "${SP[dirty]}"
mkdir -p "$T/full" && touch "$T/full/file"
run "--at a directory that is not empty" 32 mount "$H" --at "$T/full"
expect_match "not empty: says so" "is not empty: mounting there would hide its files" "$ERR"
run "--at a file" 32 mount "$H" --at "$T/full/file"
# (a disk another suite attaches meanwhile can void the plan: "the disks changed")
for ((try = 0; try < 3; try++)); do
	"$WR_BIN" mount --rw --yes "${SP[clean-logfile]}" >/dev/null 2>"$T/cl.err" && break
	grep -q 'changed since' "$T/cl.err" || break
done
CLD=$(mounted_at "${SP[clean-logfile]}")
if [ -n "$CLD" ]; then
	run "--at inside a Windows volume" 32 mount "$H" --at "$CLD/sub"
	expect_match "inside a Windows volume: says so" "is inside ${SP[clean-logfile]}" "$ERR"
	run "--log on a Windows volume" 32 mount "$H" --log "$CLD/logs/audit.jsonl"
	expect_match "log on a Windows volume: refused" "which is not the rescue system's disk" "$ERR"
	[ -e "$CLD/logs" ] && nok "the log's directory was made on the Windows volume" ||
		ok "nothing written to the Windows volume for the log"
	umount_quiet "${SP[clean-logfile]}"
else
	nok "clean-logfile could not be mounted read-write: $(cat "$T/cl.err")"
fi
mkdir -p "$T/rofs" && mount -t tmpfs -o ro tmpfs "$T/rofs" && wr_cleanup_add "umount '$T/rofs'"
run "a read-only place for the audit log" 32 mount "$H" --log "$T/rofs/audit.jsonl"
expect_match "read-only log: names the file and the next step" "audit log cannot be written: .*$T/rofs" "$ERR"
expect_match "read-only log: next step" "Next: Give --log FILE" "$ERR"
expect_eq "read-only log: nothing mounted" "" "$(mounted_at "$H")"
if ! grep -qw ntfs3 /proc/filesystems; then
	WINRESCUE_NTFS_3G=/nonexistent/ntfs-3g run "no ntfs-3g and no ntfs3" 1 mount "$H"
	expect_match "no driver: says what to install" "install ntfs-3g" "$ERR"
	expect_eq "no driver: nothing mounted" "" "$(mounted_at "$H")"
fi
run "mount --sysroot" 16 --sysroot /tmp mount "$H"

# ------------------------------------------------------- the audit log
n_plan=$(jq -r 'select(.event == "plan") | .id' "$WINRESCUE_LOG" | sort -u | wc -l)
n_result=$(jq -r 'select(.event == "result") | .id' "$WINRESCUE_LOG" | sort -u | wc -l)
expect_eq "audit: a result for every plan" "$n_plan" "$n_result"
[ "$n_plan" -ge 15 ] && ok "audit: $n_plan plans recorded" || nok "audit: only $n_plan plans"
expect_eq "audit: every line is JSON" 0 "$(jq -c . "$WINRESCUE_LOG" >/dev/null 2>&1; echo $?)"
expect_eq "audit: the refusals too" true \
	"$(jq -s '[.[] | select(.event == "refused" and .code == "hibernated")] | length > 0' "$WINRESCUE_LOG")"
expect_eq "audit: the discarding, with its loss" true \
	"$(jq -s '[.[] | select(.event == "plan" and .options.discard_hibernation and .plan.loss != null)] | length >= 2' "$WINRESCUE_LOG")"
expect_eq "audit: one discarding plan for it (no record of the dry run or the unconfirmed one)" 1 \
	"$(jq -s --arg d "${SP[hibernated]}" '[.[] | select(.spec == $d and .event == "plan" and .options.discard_hibernation)] | length' "$WINRESCUE_LOG")"
flock -n "$ST" true && ok "no lock left on $ST" || nok "$ST still locked"

# ----------------------------------------- read-only mounts wrote nothing
run "bios: C: read-only" 0 mount "$C"
umount_quiet "$C"
expect_eq "bios.img unchanged by its read-only mount (sha256)" "${SHA[bios]}" "$(sha256sum "$T/bios.img" | cut -c1-64)"
expect_eq "misc.img unchanged by the read-only ext4 mount and the refusals (sha256)" "${SHA[misc]}" \
	"$(sha256sum "$T/misc.img" | cut -c1-64)"
wr_finish
