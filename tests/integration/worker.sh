#!/usr/bin/env bash
# tests/integration/worker.sh - what parses an untrusted volume runs in a
# limited worker process (probes/worker.c), and what that worker starts
# dies with it (issue 24, findings 3 and 6):
#
#   (a) an 8-byte change of a folder's $INDEX_ALLOCATION allocated size: the
#       runs bound what the checker sizes by it (a finding, no abort);
#   (b) $MFT made to claim every cluster of a 2 TB (sparse) volume, 2^31
#       records (48 GiB to check them): once "out of memory" and abort
#       (exit 134) in winrescue itself; now check exits 8 with one line
#       naming the volume, and fix (its planning check) refuses the same way,
#       nothing written;
#   (c) the check worker's sandbox: one told to try execve, open or socket
#       after it dropped its privileges is killed, and check says so (exit 8);
#       a volume checks clean inside it;
#   (d) a hanging stand-in mcopy (beside a copy of winrescue, where a bundle
#       keeps mtools) on an ESP: the probe worker is killed at its time limit,
#       and no mcopy (nor its child) is left behind;
#   (e) the probe workers stay root (they open devices as they go) under a
#       deny-list: one told to try a socket, an open for writing, ptrace or
#       mount is killed, and list says so for that disk.
# Needs root, loop devices, FUSE (ntfs-3g), mkfs.vfat.

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../lib.sh"
. "$HERE/disks.sh"

wr_require_root_loop_fuse
wr_require_tools mkntfs ntfs-3g sfdisk losetup partx mkfs.vfat pgrep jq cmp
[ -x "$WR_BIN" ] || wr_bail "$WR_BIN not built"
DMG=${WR_NTFS_DAMAGE:-$WR_ROOT/build/tests/ntfs-damage}
# made (again when its source is newer: a stale tool knows fewer kinds of damage)
[ -n "${WR_NTFS_DAMAGE:-}" ] || make -C "$WR_ROOT" --no-print-directory build/tests/ntfs-damage >/dev/null ||
	wr_bail "cannot build $DMG"

wr_tmpdir_to T
export WINRESCUE_LOG=$T/audit.jsonl

# ------------------------------------------------- (a) $INDEX_ALLOCATION's size
truncate -s 64M "$T/dir.img"
mkntfs -q -F -f "$T/dir.img" >/dev/null 2>&1 || wr_bail "mkntfs"
mkdir -p "$T/mnt"
ntfs-3g "$T/dir.img" "$T/mnt" || wr_bail "ntfs-3g"
wr_cleanup_add "umount '$T/mnt'"
mkdir "$T/mnt/big"
for i in $(seq 1 300); do : >"$T/mnt/big/a-file-with-a-long-name-$i.txt"; done
DIR=$(stat -c %i "$T/mnt/big")
wr_umount "$T/mnt" || wr_bail "umount"
cp --sparse=always "$T/dir.img" "$T/dir-clean.img"
"$DMG" "$T/dir.img" index-alloc-size "$DIR" 0x7fffffff0000 || wr_bail "index-alloc-size"
"$WR_BIN" check --json "$T/dir.img" >"$T/out.json" 2>"$T/err.txt"
RC=$?
expect_eq "a folder's \$INDEX_ALLOCATION claiming 128 TiB: exit 4, mft-attr-sizes on its record" \
	"4 $DIR" "$RC $(jq -r '[.checks[0].findings[] | select(.code == "mft-attr-sizes")][0].record' "$T/out.json")"

# ------------------------------------------------- (b) $MFT claiming the volume
truncate -s 2T "$T/claim.img"
mkntfs -q -F -f "$T/claim.img" >/dev/null 2>&1 || wr_bail "mkntfs 2T"
"$DMG" "$T/claim.img" mft-claim || wr_bail "mft-claim"
"$WR_BIN" check "$T/claim.img" >"$T/out.txt" 2>"$T/err.txt"
RC=$?
expect_eq "\$MFT claiming every cluster of 2 TB: exit 8 (not 134, an abort)" 8 "$RC"
expect_match "... one line naming the volume and what happened" \
	"^winrescue: $T/claim.img could not be checked: .*(memory|MiB)" "$(head -n 1 "$T/err.txt")"
expect_eq "... and no 'out of memory' abort" 0 "$(grep -c 'out of memory' "$T/err.txt")"
"$WR_BIN" check --json "$T/claim.img" >"$T/out.json" 2>/dev/null
expect_eq "... --json: exit 8, status check-failed, the reason in the check" "8 check-failed true" \
	"$? $(jq -r '.result.code // .code' "$T/out.json") $(jq '.checks[0].summary | test("could not be checked")' "$T/out.json")"
sum_before=$(dd if="$T/claim.img" bs=1M count=64 status=none | sha256sum)
"$WR_BIN" fix "$T/claim.img" --yes --undo-dir "$T/undo" >"$T/out.txt" 2>"$T/err.txt"
RC=$?
expect_eq "fix on it: its planning check fails cleanly (exit 8), one line" "8 1" \
	"$RC $(grep -c "could not be checked, so no repair can be planned" "$T/err.txt")"
expect_eq "... nothing written (no undo file, the volume's start as it was)" "0 $sum_before" \
	"$(ls "$T/undo" 2>/dev/null | wc -l) $(dd if="$T/claim.img" bs=1M count=64 status=none | sha256sum)"
rm -f "$T/claim.img"

# ------------------------------------------------- (c) the sandbox
"$WR_BIN" check "$T/dir-clean.img" >"$T/out.txt" 2>"$T/err.txt"
expect_eq "a clean volume checks clean in the sandboxed worker" 0 $?
for how in execve open socket; do
	WINRESCUE_WORKER_ESCAPE=$how "$WR_BIN" check "$T/dir-clean.img" >"$T/out.txt" 2>"$T/err.txt"
	RC=$?
	expect_eq "a check worker that tries $how after the drop: killed, exit 8" 8 "$RC"
	expect_match "... and check says so, naming the volume" \
		"$T/dir-clean.img could not be checked: .*outside its sandbox" "$(head -n 1 "$T/err.txt")"
done

# the confined check worker as the kernel sees it: an id of its own (not root,
# not nobody's 65534, no groups), no_new_privs, a seccomp filter
WINRESCUE_WORKER_ESCAPE=hold "$WR_BIN" check "$T/dir-clean.img" >"$T/out.txt" 2>"$T/err.txt" &
CHK=$!
st=
for ((i = 0; i < 40; i++)); do
	for c in $(pgrep -P "$CHK" 2>/dev/null); do
		s=$(cat "/proc/$c/status" 2>/dev/null)
		grep -q '^Seccomp:[[:space:]]*2' <<<"$s" && { st=$s; break 2; }
	done
	sleep 0.1
done
wait "$CHK"
expect_eq "held: the check still ends clean (exit 0)" 0 "$?"
uid=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' <<<"$st")
read -r u1 u2 u3 u4 <<<"$uid"
expect_eq "the worker's uids: one id, its own (not 0, not 65534)" "1 yes" \
	"$(printf '%s\n' $uid | sort -u | wc -l) $([ -n "$u1" ] && [ "$u1" != 0 ] && [ "$u1" != 65534 ] && echo yes)"
expect_eq "its gid the same, no supplementary groups" "$u1 " \
	"$(awk '/^Gid:/ { print $2 }' <<<"$st") $(awk '/^Groups:/ { $1 = ""; print substr($0, 2) }' <<<"$st")"
expect_eq "no_new_privs and a seccomp filter" "1 2" \
	"$(awk '/^NoNewPrivs:/ { print $2 }' <<<"$st") $(awk '/^Seccomp:/ { print $2 }' <<<"$st")"
# writing anything but its answer (its standard output) kills it
WINRESCUE_WORKER_ESCAPE=write-stdout "$WR_BIN" check "$T/dir-clean.img" >"$T/out.txt" 2>"$T/err.txt"
expect_eq "a worker writing its standard output: killed, exit 8" 8 "$?"

# ------------------------------------------------- (d) a hanging mcopy
_wrd_new "$T/esp.img" 64M || wr_bail "esp image"
sfdisk -q "$T/esp.img" >/dev/null <<-EOF || wr_bail "sfdisk"
	label: gpt
	start=2048, size=48MiB, type=$WR_GUID_ESP, name="EFI system partition"
EOF
wr_attach_to ESPDEV "$T/esp.img" || wr_bail "attach"
ESPP=$(_wrd_part "$ESPDEV" 1) || wr_bail "no partition"
_wrd_mkfat "$ESPP" SYSTEM || wr_bail "mkfs.vfat"
# a copy of winrescue with mtools beside it, as a bundle keeps it: the stand-in
# starts a child and hangs, both under a name no other process has
mkdir -p "$T/bin"
cp "$WR_BIN" "$T/bin/winrescue"
HANG=wr-hang-$$-$RANDOM
cp "$(command -v sleep)" "$T/bin/$HANG"
printf '#!/bin/sh\n"%s" 600 &\nexec "%s" 600\n' "$T/bin/$HANG" "$T/bin/$HANG" >"$T/bin/mcopy"
chmod +x "$T/bin/mcopy"
wr_cleanup_add "pkill -KILL -f '$T/bin/$HANG'"
t0=$(date +%s)
WINRESCUE_PROBE_TIMEOUT=2 timeout 120 "$T/bin/winrescue" list --json "$(basename "$ESPDEV")" \
	>"$T/list.json" 2>"$T/err.txt"
RC=$?
t1=$(date +%s)
expect_eq "list with a hanging mcopy: exit 0, within the time limit" "0 true" \
	"$RC $([ $((t1 - t0)) -lt 60 ] && echo true)"
expect_match "... the disk says its probe was stopped at the time limit" "longer than 2 s" \
	"$(jq -r '.disks[0].error // empty' "$T/list.json")"
sleep 0.5
left=$(pgrep -f "$T/bin/$HANG" | wc -l)
expect_eq "... no mcopy (nor its child) left behind" 0 "$left"

# ------------------------------------------------- (e) the probe workers' deny-list
"$WR_BIN" list --json "$(basename "$ESPDEV")" >"$T/list.json" 2>"$T/err.txt"
expect_eq "list under the probe's filter: exit 0, no error for the disk" "0 " \
	"$? $(jq -r '.disks[0].error // empty' "$T/list.json")"
for how in socket open-write ptrace mount; do
	WINRESCUE_WORKER_ESCAPE=probe:$how "$WR_BIN" list --json "$(basename "$ESPDEV")" \
		>"$T/list.json" 2>"$T/err.txt"
	RC=$?
	expect_match "a probe worker that tries $how: killed, and the disk says so (exit $RC)" \
		"outside its sandbox" "$(jq -r '.disks[0].error // empty' "$T/list.json")"
done

wr_run_cleanup
wr_finish
