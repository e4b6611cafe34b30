#!/usr/bin/env bash
# tests/integration/verdicts.sh - one truth across views (issue 18): a
# volume's state and its next step are decided once and list (text and
# JSON), check, fix and diagnose say the same; the step is the first that
# works here, and the test runs it to prove it works; disk numbers agree
# whatever a view filters. On real loop devices (sfdisk, mkntfs, ntfs-3g),
# each damage made with dd:
#
#   (a) a BIOS Windows disk as Windows leaves it: "no problem seen" (the
#       quick look is not a check, never "healthy"), the next step a check;
#       Disk N the same in the full list, in list DISK, in JSON; disk:N/part:M
#       from list names that volume in check; DISK filters that match
#       nothing: exit 16 in list, diagnose, check all and the TUI;
#   (b) C:'s primary boot sector zeroed: one finding naming the copy, the
#       next step 'winrescue fix' (never a mount ntfs-3g refuses, never
#       chkdsk), the BCD makes it the Windows volume ([SYSTEM]), diagnose
#       says windows-damaged with the same step (never windows-not-found);
#       the plan names the target beyond mix-up; the step run: repaired
#       (code corrected), then "no problem seen" and diagnose exit 0;
#   (c) the backup boot sector zeroed on a hibernated volume: "backup boot
#       sector damaged, hibernated"; the step carries --discard-hibernation
#       and the loss; plain fix is refused (32), the step as given works;
#   (d) the MFT record of \Windows\System32\config damaged: "a folder
#       unreadable", never "no problem seen"; diagnose: windows-damaged, not
#       windows-not-found; the step 'winrescue check'; check finds errors
#       and its next step (the data off with a read-only mount, then chkdsk
#       from Windows RE) works: the mount succeeds;
#   (e) the SYSTEM hive damaged on a sound volume: "SYSTEM hive unreadable",
#       the step a check; the check finds no errors, so its step names
#       RegBack; a SOFTWARE hive that is not there "does not exist";
#   (f) a dirty volume checked: "no errors (checked), dirty"; "clean" and
#       "dirty" never in one sentence;
#   (g) a data disk whose only NTFS volume cannot be read: windows-not-found
#       names it and says check it, never "attach the disk";
#   (h) a clone resized: duplicate-serial says cloned and resized, with both
#       sizes; the same size: a copy;
#   (i) a mount point longer than the Mounted column: cut from the left in
#       the table, whole below it.
# Needs root, loop devices and FUSE (ntfs-3g).

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../lib.sh"
. "$HERE/../lib-json.sh"
. "$HERE/disks.sh"

wr_require_root_loop_fuse
wr_require_fixtures
wr_require_tools jq sfdisk losetup partx mkntfs ntfs-3g ntfsresize sha256sum timeout od
[ -x "$WR_BIN" ] || wr_bail "$WR_BIN not built"
for t in "$WR_NTFS_STATE" "$WR_HIVE_EDIT"; do
	[ -x "$t" ] || make -C "$WR_ROOT" --no-print-directory "${t#"$WR_ROOT"/}" >/dev/null ||
		wr_bail "cannot build $t"
done

wr_tmpdir_to T
export WINRESCUE_LOG=$T/audit.jsonl
export WINRESCUE_UNDO_DIR=$T/undo

# list of our disks only (other Windows disks may be attached to this machine)
lst() { timeout 120 "$WR_BIN" list "$@" </dev/null 2>"$T/err.txt"; }
# the verdict of a device in $T/l.json
verdict() { jq -r --arg d "$1" --arg f "$2" '[.disks[] | (., .partitions[]) | select(.path == $d) | .verdict[$f]][0]' "$T/l.json"; }
findings_of() { jq -r --arg d "$1" '[.findings[] | select(.device == $d) | .code] | join(" ")' "$T/l.json"; }
action_of() { jq -r --arg d "$1" --arg c "$2" '[.findings[] | select(.device == $d and .code == $c) | .action][0]' "$T/l.json"; }
diag() {
	timeout 120 "$WR_BIN" diagnose --json "$@" >"$T/d.json" 2>"$T/err.txt" </dev/null
	RC=$?
}
dcode() { jq -r --arg c "$1" '[.findings[] | select(.code == $c)] | length' "$T/d.json"; }
dnext() { jq -r --arg c "$1" '[.findings[] | select(.code == $c) | .next][0]' "$T/d.json"; }
mft_record_off() {	# DEV REC: the byte offset of MFT record REC
	local bps spc lcn
	bps=$(ntfs_le "$1" 11 2) && spc=$(ntfs_le "$1" 13 1) && lcn=$(ntfs_le "$1" 48 8) || return 1
	[ "$spc" -gt 128 ] && spc=$((1 << (256 - spc)))
	echo $((lcn * bps * spc + $2 * 1024))
}
inode_of() {		# DEV PATH: the MFT record of PATH (ntfs-3g's inode numbers are records)
	local m rc=0 ino
	m=$(mktemp -d "$T/ino.XXXXXX") || return 1
	wr_mount_ntfs "$1" "$m" -o ro || return 1
	ino=$(stat -c %i "$m/$2") || rc=1
	wr_umount "$m"
	rmdir "$m"
	[ $rc = 0 ] && echo "$ino"
}

# ------------------------------------------------------------------ (a)
make_bios_disk "$T/win.img" 0x5eed0001 bcd || wr_bail "cannot build the BIOS disk"
wr_attach_to W "$T/win.img" || wr_bail "cannot attach the BIOS disk"
P1=${W}p1 P2=${W}p2
lst --json "$W" >"$T/l.json"
expect_eq "(a) list DISK exit 0" 0 "$?"
expect_eq "(a) C: no problem seen" "no problem seen" "$(verdict "$P2" state)"
expect_eq "(a) C: not checked" false "$(verdict "$P2" checked)"
expect_match "(a) C: the summary says the quick look is not a check" "not checked" "$(verdict "$P2" summary)"
expect_eq "(a) C: the next step is a check" "winrescue check $P2" "$(verdict "$P2" command)"
lst "$W" >"$T/l.txt"
if grep -qi healthy "$T/l.txt"; then nok "(a) the text never says healthy"; else ok "(a) the text never says healthy"; fi
expect_match "(a) the State column says it" "no problem seen" "$(grep "^ *2  $P2" "$T/l.txt")"

# Disk N: the full list, list DISK, the JSON and the resolvers agree. Disks
# are numbered as the machine lists them, so a loop device another program
# attaches meanwhile moves them all: read the full list before and after,
# and compare only when nothing moved in between.
index_in() { jq -r --arg p "$W" '.disks[] | select(.path == $p) | .index' "$1"; }
for try in 1 2 3 4 5; do
	lst --json >"$T/all.json"
	lst --json "$W" >"$T/l.json"
	lst "$W" >"$T/l.txt"
	lst --json >"$T/all2.json"
	[ "$(index_in "$T/all.json")" = "$(index_in "$T/all2.json")" ] && break
	sleep 1
done
N=$(index_in "$T/all.json")
expect_eq "(a) the number in list DISK = in the full list" "$N" "$(index_in "$T/l.json")"
expect_match "(a) list DISK's header says Disk $N" "^Disk $N  \[SYSTEM\]" "$(head -n 1 "$T/l.txt")"
lst "disk:$N" >"$T/l2.txt"
expect_eq "(a) list disk:N shows that disk" "$(head -n 1 "$T/l.txt")" "$(head -n 1 "$T/l2.txt")"
lst "$P2" >"$T/l3.txt"
expect_eq "(a) list PARTITION shows its disk" "$(head -n 1 "$T/l.txt")" "$(head -n 1 "$T/l3.txt")"
timeout 120 "$WR_BIN" check "disk:$N/part:2" --json >"$T/c.json" 2>/dev/null </dev/null
expect_eq "(a) check disk:N/part:2 checks that volume" "$P2" "$(jq -r '.targets[0].device' "$T/c.json")"
expect_eq "(a) its disk number in the JSON" "$N" "$(jq -r '.targets[0].disk_number' "$T/c.json")"
expect_eq "(a) the check's state" "no errors (checked)" "$(jq -r '.checks[0].state' "$T/c.json")"
for cmd in "list /dev/winrescue-no-such-disk" "diagnose disk:99999" "check all /dev/winrescue-nope" \
	"tui /dev/winrescue-nope" "list $T"; do
	# shellcheck disable=SC2086
	out=$(timeout 60 "$WR_BIN" $cmd 2>&1 </dev/null)
	rc=$?
	expect_eq "(a) '$cmd' matches no disk: exit 16" 16 "$rc"
	expect_match "(a) '$cmd' says which name" "no disk of this machine is named" "$out"
done
timeout 120 "$WR_BIN" check all "$W" --json >"$T/c.json" 2>/dev/null </dev/null
expect_eq "(a) check all DISK checks its two volumes, no other" "$P1 $P2" \
	"$(jq -r '[.checks[].device] | sort | join(" ")' "$T/c.json")"

# ------------------------------------------------------------------ (b)
H0=$(wr_sha "$W")
dd if=/dev/zero of="$P2" bs=512 count=1 conv=notrunc status=none && sync
lst --json "$W" >"$T/l.json"
expect_eq "(b) C: primary boot sector damaged" "primary boot sector damaged" "$(verdict "$P2" state)"
expect_eq "(b) C: damaged" true "$(verdict "$P2" damaged)"
expect_eq "(b) C: the step is fix" "winrescue fix $P2" "$(verdict "$P2" command)"
nx=$(verdict "$P2" next)
case $nx in *mount* | *chkdsk*) nok "(b) never a mount or chkdsk that cannot open it: $nx" ;;
*) ok "(b) never a mount or chkdsk that cannot open it" ;; esac
expect_eq "(b) one finding, naming the copy" "ntfs-bootsector-mismatch" "$(findings_of "$P2")"
expect_match "(b) the finding names the primary" "primary boot sector is damaged" \
	"$(jq -r --arg d "$P2" '.findings[] | select(.device == $d) | .message' "$T/l.json")"
expect_eq "(b) the finding's step = the volume's" "$nx" "$(action_of "$P2" ntfs-bootsector-mismatch)"
expect_eq "(b) the BCD makes it the Windows volume" windows \
	"$(jq -r --arg d "$P2" '.disks[].partitions[] | select(.path == $d) | .role' "$T/l.json")"
expect_eq "(b) and its disk the system disk" system \
	"$(jq -r --arg d "$W" '.disks[] | select(.path == $d) | .role' "$T/l.json")"
diag "$W"
expect_eq "(b) diagnose: exit 4" 4 "$RC"
expect_eq "(b) diagnose: windows-damaged" 1 "$(dcode windows-damaged)"
expect_eq "(b) diagnose: never windows-not-found" 0 "$(dcode windows-not-found)"
expect_eq "(b) diagnose's step = list's" "$nx" "$(dnext windows-damaged)"
timeout 120 "$WR_BIN" fix "$P2" --dry-run >"$T/plan.txt" 2>&1 </dev/null
expect_match "(b) the plan names the target: number, node, disk, serial" \
	"On Disk [0-9]+ partition 2: $P2, 87.0 MiB NTFS, on $W \(no serial" "$(tr '\n' ' ' <"$T/plan.txt" | tr -s ' ')"
timeout 120 "$WR_BIN" fix "$P2" --yes --json >"$T/f.json" 2>"$T/err.txt" </dev/null
expect_eq "(b) the step works: fix exit 1 (corrected)" 1 "$?"
expect_eq "(b) code corrected" corrected "$(jq -r .code "$T/f.json")"
expect_eq "(b) after the fix: no errors (checked), dirty" "no errors (checked), dirty" \
	"$(jq -r '.checks[0].state' "$T/f.json")"
lst --json "$W" >"$T/l.json"
expect_eq "(b) list after: the boot sector is whole again" true \
	"$(jq -r --arg d "$P2" '.disks[].partitions[] | select(.path == $d) | .ntfs.bootsector_ok' "$T/l.json")"
expect_eq "(b) list after: dirty (fix asks Windows for chkdsk), nothing damaged" "false dirty" \
	"$(verdict "$P2" damaged) $(verdict "$P2" state)"
diag "$W"
expect_eq "(b) diagnose after: no windows-damaged" 0 "$(dcode windows-damaged)"
expect_eq "(b) diagnose after: exit 0" 0 "$RC"
timeout 120 "$WR_BIN" undo "$(jq -r .undo_file "$T/f.json")" --yes >/dev/null 2>&1 </dev/null
expect_eq "(b) undo: the disk as before the fix" "$(dd if=/dev/zero bs=512 count=1 status=none | sha256sum | cut -c1-64)" \
	"$(dd if="$P2" bs=512 count=1 status=none | sha256sum | cut -c1-64)"
# back to a sound C: for what follows
timeout 120 "$WR_BIN" fix "$P2" --yes --clear-dirty >/dev/null 2>&1 </dev/null
expect_eq "(b) damage, fix, undo, fix keeping the flag as it was: the disk as it was" "$H0" "$(wr_sha "$W")"

# ------------------------------------------------------------------ (c)
ntfs_make_hibernated "$P2" || wr_bail "cannot hibernate C:"
bps=$(ntfs_le "$P2" 11 2) nsec=$(ntfs_le "$P2" 40 8)
dd if=/dev/zero of="$P2" bs=1 seek=$((nsec * bps)) count=512 conv=notrunc status=none && sync
lst --json "$W" >"$T/l.json"
expect_eq "(c) the damaged copy and the state, in words" "backup boot sector damaged, hibernated" \
	"$(verdict "$P2" state)"
step=$(verdict "$P2" command)
expect_eq "(c) the step carries the flag fix needs here" "winrescue fix $P2 --discard-hibernation" "$step"
expect_match "(c) and the loss" "session is lost" "$(verdict "$P2" next)"
timeout 120 "$WR_BIN" fix "$P2" --yes >/dev/null 2>&1 </dev/null
expect_eq "(c) plain fix is refused (the step without its flag would fail)" 32 "$?"
# shellcheck disable=SC2086
timeout 120 "$WR_BIN" ${step#winrescue } --yes --json >"$T/f.json" 2>/dev/null </dev/null
expect_eq "(c) the step as given works (1: corrected)" 1 "$?"
lst --json "$W" >"$T/l.json"
expect_eq "(c) after it: the backup is whole, the session gone" "true false" \
	"$(jq -r --arg d "$P2" '.disks[].partitions[] | select(.path == $d) | "\(.ntfs.bootsector_ok) \(.ntfs.hibernated)"' "$T/l.json")"
timeout 120 "$WR_BIN" fix "$P2" --yes --clear-dirty >/dev/null 2>&1 </dev/null

# (c2) the primary's hidden sectors wrong, the backup's right (a moved
# partition's copy): the copy that names the volume's start is kept, never
# the wrong one copied over the right one
start=$(_wrd_start "$P2")
le32() { printf "\\x%02x\\x%02x\\x%02x\\x%02x" $(($1 & 255)) $((($1 >> 8) & 255)) $((($1 >> 16) & 255)) $((($1 >> 24) & 255)); }
printf "$(le32 $((start + 8)))" | dd of="$P2" bs=1 seek=28 conv=notrunc status=none && sync
lst --json "$W" >"$T/l.json"
expect_eq "(c2) the copy and the field, in words" "primary boot sector's hidden sectors wrong" \
	"$(verdict "$P2" state)"
expect_eq "(c2) the step is fix" "winrescue fix $P2" "$(verdict "$P2" command)"
timeout 120 "$WR_BIN" fix "$P2" --yes --clear-dirty >/dev/null 2>&1 </dev/null
expect_eq "(c2) fix: corrected" 1 "$?"
expect_eq "(c2) both copies name the volume's start" "$start $start" \
	"$(ntfs_le "$P2" 28 4) $(ntfs_le "$P2" $((nsec * bps + 28)) 4)"

# (c3) C:'s hidden sectors wrong in both copies (a disk moved): the one rule of
# bootchain.c says whether fix-boot may set them; list and diagnose give its
# step alike; on a volume Windows left in Fast Startup state nothing writes it
put_hidden() {	# DEV VALUE: both copies' hidden sectors
	printf "$(le32 "$2")" | dd of="$1" bs=1 seek=28 conv=notrunc status=none &&
		printf "$(le32 "$2")" | dd of="$1" bs=1 seek=$((nsec * bps + 28)) conv=notrunc status=none && sync
}
put_hidden "$P2" 4096
"$WR_NTFS_STATE" "$P2" logfile fast-restart || wr_bail "cannot set Fast Startup on C:"
HC=$(wr_sha "$P2")
lst --json "$W" >"$T/l.json"
expect_match "(c3) Fast Startup: the field named, and why fix-boot leaves it" \
	"fix-boot writes nothing here while Windows was shut down with Fast Startup" \
	"$(action_of "$P2" ntfs-hidden-sectors)"
diag "$W"
expect_eq "(c3) diagnose's step = list's" "$(action_of "$P2" ntfs-hidden-sectors)" \
	"$(jq -r --arg d "$P2" '[.findings[] | select(.code == "ntfs-hidden-sectors" and .device == $d) | .next][0]' "$T/d.json")"
expect_eq "(c3) not offered to fix-boot" false \
	"$(jq -r --arg d "$P2" '[.findings[] | select(.code == "ntfs-hidden-sectors" and .device == $d) | .fixable][0]' "$T/d.json")"
wr_only $(wr_own_disks "$T") -- timeout 120 "$WR_BIN" fix-boot "$W" --yes >/dev/null 2>&1 </dev/null
expect_eq "(c3) fix-boot writes nothing to the Fast Startup volume" "$HC" "$(wr_sha "$P2")"
"$WR_NTFS_STATE" "$P2" logfile empty || wr_bail "cannot reset C:'s journal"
lst --json "$W" >"$T/l.json"
step=$(action_of "$P2" ntfs-hidden-sectors)
expect_match "(c3) without the session: the step is fix-boot on the disk" "^'winrescue fix-boot $W' sets the field right in both copies" "$step"
diag "$W"
expect_eq "(c3) diagnose's step = list's" "$step" \
	"$(jq -r --arg d "$P2" '[.findings[] | select(.code == "ntfs-hidden-sectors" and .device == $d) | .next][0]' "$T/d.json")"
wr_only $(wr_own_disks "$T") -- timeout 120 "$WR_BIN" fix-boot "$W" --yes >/dev/null 2>&1 </dev/null
expect_eq "(c3) the step works: both copies name the volume's start" "$start $start" \
	"$(ntfs_le "$P2" 28 4) $(ntfs_le "$P2" $((nsec * bps + 28)) 4)"
lst --json "$W" >"$T/l.json"
expect_eq "(c3) and list no longer says it" "" "$(action_of "$P2" ntfs-hidden-sectors | grep -v '^null$')"

# ------------------------------------------------------------------ (d)
rec=$(inode_of "$P2" windows/system32/CONFIG) || wr_bail "cannot find config's record"
off=$(mft_record_off "$P2" "$rec") || wr_bail "cannot place record $rec"
expect_eq "(d) record $rec is a FILE record" FILE "$(dd if="$P2" bs=1 skip="$off" count=4 status=none)"
printf 'XXXX' | dd of="$P2" bs=1 seek="$off" conv=notrunc status=none && sync
lst --json "$W" >"$T/l.json"
expect_eq "(d) a folder unreadable, never no problem seen" "a folder unreadable" "$(verdict "$P2" state)"
expect_match "(d) the finding names the folder" '[Ss]ystem32.([Cc]onfig|CONFIG) cannot be read' \
	"$(jq -r --arg d "$P2" '.findings[] | select(.code == "ntfs-folder-unreadable" and .device == $d) | .message' "$T/l.json")"
expect_eq "(d) still the Windows volume" windows \
	"$(jq -r --arg d "$P2" '.disks[].partitions[] | select(.path == $d) | .role' "$T/l.json")"
expect_eq "(d) the step is a check" "winrescue check $P2" "$(verdict "$P2" command)"
expect_eq "(d) no-windows-disk is not said" 0 "$(jq '[.findings[] | select(.code == "no-windows-disk")] | length' "$T/l.json")"
diag "$W"
expect_eq "(d) diagnose: windows-damaged" 1 "$(dcode windows-damaged)"
expect_eq "(d) diagnose: never windows-not-found" 0 "$(dcode windows-not-found)"
expect_match "(d) diagnose's step is the check" "winrescue check $P2" "$(dnext windows-damaged)"
expect_eq "(d) diagnose: exit 8 (what Windows would meet cannot be read)" 8 "$RC"
timeout 300 "$WR_BIN" check "$P2" --json >"$T/c.json" 2>/dev/null </dev/null
expect_eq "(d) check finds errors: exit 4" 4 "$?"
nx=$(jq -r '.checks[0].next' "$T/c.json")
expect_match "(d) its step: the data off first" "winrescue mount $P2" "$nx"
expect_match "(d) then chkdsk from Windows RE" "chkdsk /f on it from Windows RE" "$nx"
timeout 120 "$WR_BIN" mount "$P2" --at "$T/mnt-d" --json >"$T/m.json" 2>/dev/null </dev/null
expect_eq "(d) the mount it advises works" 0 "$?"
expect_eq "(d) mounted read-only" ro "$(jq -r '.mounts[0].mode' "$T/m.json")"
timeout 120 "$WR_BIN" umount "$T/mnt-d" >/dev/null 2>&1 </dev/null
expect_eq "(d) and unmounted again" "" "$(awk -v m="$T/mnt-d" '$2 == m' /proc/mounts)"
printf 'FILE' | dd of="$P2" bs=1 seek="$off" conv=notrunc status=none && sync

# ------------------------------------------------------------------ (e)
M=$T/mnt-e
mkdir -p "$M"
wr_mount_ntfs "$P2" "$M" || wr_bail "cannot mount C:"
head -c 65536 /dev/urandom >"$M/windows/system32/CONFIG/system"
rm -f "$M/windows/system32/CONFIG/SOFTWARE"
wr_umount "$M"
lst --json "$W" >"$T/l.json"
expect_eq "(e) SYSTEM hive unreadable" "SYSTEM hive unreadable" "$(verdict "$P2" state)"
expect_eq "(e) the step is a check" "winrescue check $P2" "$(verdict "$P2" command)"
timeout 300 "$WR_BIN" check "$P2" --json >"$T/c.json" 2>/dev/null </dev/null
expect_eq "(e) the volume checks without errors" 0 "$?"
expect_match "(e) so the hive file itself: RegBack, from Windows RE" "RegBack" \
	"$(jq -r '.checks[0].next' "$T/c.json")"
# a hive that is not there: "does not exist", never "cannot be opened"
wr_mount_ntfs "$P2" "$M" || wr_bail "cannot mount C:"
_wrd_hive SYSTEM >"$M/windows/system32/CONFIG/system"
wr_umount "$M"
lst --json "$W" >"$T/l.json"
expect_match "(e) a missing SOFTWARE hive does not exist" "SOFTWARE hive does not exist" \
	"$(jq -r --arg d "$P2" '.disks[].partitions[] | select(.path == $d) | .windows.software_error' "$T/l.json")"

# ------------------------------------------------------------------ (f)
ntfs_make_dirty "$P2" || wr_bail "cannot make C: dirty"
timeout 300 "$WR_BIN" check "$P2" --json >"$T/c.json" 2>/dev/null </dev/null
expect_eq "(f) a dirty volume without errors: exit 0" 0 "$?"
expect_eq "(f) its state" "no errors (checked), dirty" "$(jq -r '.checks[0].state' "$T/c.json")"
timeout 300 "$WR_BIN" check "$P2" >"$T/c.txt" 2>&1 </dev/null
bad=$(grep -iE 'clean.*dirty|dirty.*clean' "$T/c.txt")
expect_eq "(f) clean and dirty never in one sentence of the text" "" "$bad"
for f in summary state next; do
	expect_eq "(f) ... nor in the JSON's $f" false \
		"$(jq -r --arg f "$f" '.checks[0][$f] // "" | test("clean"; "i") and test("dirty"; "i")' "$T/c.json")"
done

# ------------------------------------------------------------------ (g)
_wrd_new "$T/data.img" 64M
sfdisk -q "$T/data.img" >/dev/null <<-EOF
	label: dos
	label-id: 0x5eed0002
	start=2048, size=+, type=7
EOF
wr_attach_to D "$T/data.img" || wr_bail "cannot attach the data disk"
_wrd_mkntfs "${D}p1" Data || wr_bail "mkntfs"
dd if=/dev/zero of="${D}p1" bs=512 count=1 conv=notrunc status=none && sync
diag "$D"
expect_eq "(g) windows-not-found names the unreadable volume" "${D}p1" \
	"$(jq -r '[.findings[] | select(.code == "windows-not-found") | .device][0]' "$T/d.json")"
nx=$(dnext windows-not-found)
expect_match "(g) and says check it" "winrescue check ${D}p1" "$nx"
case $nx in *console* | *ttach*) nok "(g) never 'attach the disk': $nx" ;; *) ok "(g) never 'attach the disk'" ;; esac
lst --json "$D" >"$T/l.json"
expect_eq "(g) list: no no-windows-disk either" 0 "$(jq '[.findings[] | select(.code == "no-windows-disk")] | length' "$T/l.json")"

# ------------------------------------------------------------------ (h)
_wrd_new "$T/a.img" 48M
_wrd_new "$T/b.img" 96M
mkntfs -Q -q -F "$T/a.img" >/dev/null 2>&1 || wr_bail "mkntfs a.img"
cp --sparse=always "$T/a.img" "$T/c.img"
dd if="$T/a.img" of="$T/b.img" conv=notrunc,sparse status=none
ntfsresize -f -b -P "$T/b.img" >/dev/null 2>&1 </dev/null || wr_bail "ntfsresize b.img"
wr_attach_to A "$T/a.img" && wr_attach_to B "$T/b.img" && wr_attach_to C "$T/c.img" ||
	wr_bail "cannot attach the clones"
lst --json "$A" "$B" >"$T/l.json"
m=$(jq -r '[.findings[] | select(.code == "duplicate-serial") | .message][0]' "$T/l.json")
expect_match "(h) resized clone: cloned, then resized" "cloned from the other, then resized" "$m"
expect_match "(h) with both sizes" "48.0 MiB.*96.0 MiB" "$m"
lst --json "$A" "$C" >"$T/l.json"
expect_match "(h) the same size: a copy" "one is a copy of the other" \
	"$(jq -r '[.findings[] | select(.code == "duplicate-serial") | .message][0]' "$T/l.json")"

# ------------------------------------------------------------------ (i)
LONG=$T/a-mount-point-with-a-long-name/Data-Volume
mkdir -p "$LONG"
wr_mount_ntfs "$A" "$LONG" -o ro || wr_bail "cannot mount $A"
lst "$A" >"$T/l.txt"
row=$(grep "^  -  $A " "$T/l.txt")
expect_match "(i) the column cut from the left, at a component" '\.\.\./Data-Volume' "$row"
expect_match "(i) the whole mount point below the table" "$A is mounted at $LONG" "$(tr '\n' ' ' <"$T/l.txt" | tr -s ' ')"
wr_umount "$LONG"

wr_finish
