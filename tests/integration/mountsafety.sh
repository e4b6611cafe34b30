#!/usr/bin/env bash
# tests/integration/mountsafety.sh - mounts are root's, made where they were
# asked, and an image is known by what it is, not by its name (issue 24,
# findings 2, 4 and 5), on real loop devices with real ntfs-3g:
#
#   user nobody can neither read a file of a read-only mount nor write to a
#   read-write one, nor list the mount point (uid=0,gid=0,umask=077;
#   noexec,nodev,nosuid); /mnt/winrescue is made 0700, and corrected (and
#   said) when it was 0755 - in a mount namespace of its own over a tmpfs
#   /mnt, so that the machine's /mnt/winrescue, which other runs use, is
#   never touched; --at in a directory others can write to, or not root's,
#   is refused; a mount point swapped for a link while it is mounted (a
#   WINRESCUE_NTFS_3G stand-in swaps it before it runs the real ntfs-3g, as
#   a race winner would) gets nothing mounted on the link's target, and
#   nothing is left mounted when winrescue says it failed; an image whose
#   loop device is mounted, reached through a hard link after its first name
#   was deleted (the kernel then names it "... (deleted)"), is refused by
#   fix as the image is: exit 32, its bytes unchanged; so is one attached
#   through a bind mount in a namespace since gone.
# Needs root, loop devices, FUSE.

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../lib.sh"
. "$HERE/disks.sh"

wr_require_root_loop_fuse
wr_require_tools jq sfdisk losetup partx mkntfs ntfs-3g sha256sum runuser unshare
[ -x "$WR_BIN" ] || wr_bail "$WR_BIN not built"
id nobody >/dev/null 2>&1 || wr_bail "no user nobody"

wr_tmpdir_to T
# nobody may walk to the mount points: only the mounts' own modes keep it out
chmod 0755 "$T"
export WINRESCUE_LOG=$T/audit.jsonl

make_data_disk "$T/data.img" || wr_bail "make_data_disk"
wr_attach_to D "$T/data.img" || wr_bail "attach data"
P=$(_wrd_part "$D" 1) || wr_bail "no ${D}p1"
echo "# data=$D"

mounted_at() { awk -v d="$1" '$1 == d { print $2 }' /proc/mounts | tail -n 1; }
mount_opts() { awk -v d="$1" '$2 == d { print $4 }' /proc/mounts | tail -n 1; }
run() {
	local what=$1 want=$2
	shift 2
	OUT=$("$WR_BIN" "$@" 2>"$T/err")
	RC=$?
	ERR=$(cat "$T/err")
	expect_eq "$what: exit $want" "$want" "$RC"
}
as_nobody() { runuser -u nobody -- "$@" 2>/dev/null; }
umount_quiet() { "$WR_BIN" umount "$1" >/dev/null 2>&1; }
wr_cleanup_add "'$WR_BIN' umount '$P' >/dev/null 2>&1"

# ------------------------------------------- finding 2: root's alone
run "mount --rw at $T/rw" 0 mount --rw --yes "$P" --at "$T/rw"
opts=$(mount_opts "$T/rw")
for o in rw nodev nosuid noexec; do
	case ",$opts," in *",$o,"*) ok "read-write mount: $o" ;; *) nok "read-write mount without $o: $opts" ;; esac
done
expect_eq "the mount's root: mode 0700, root's" "700 0 0" "$(stat -c '%a %u %g' "$T/rw")"
echo "the SAM hive, say" >"$T/rw/secret.txt" && ok "root writes a file" || nok "root cannot write"
as_nobody cat "$T/rw/secret.txt" && nok "nobody reads a file of a read-write mount" ||
	ok "nobody cannot read a file of a read-write mount"
as_nobody sh -c "echo planted >'$T/rw/evil.dll'" && nok "nobody writes into a read-write mount" ||
	ok "nobody cannot write into a read-write mount"
as_nobody sh -c "echo planted >>'$T/rw/secret.txt'" && nok "nobody appends to a file of a read-write mount" ||
	ok "nobody cannot change a file of a read-write mount"
as_nobody ls "$T/rw" >/dev/null && nok "nobody lists a read-write mount" || ok "nobody cannot list a read-write mount"
[ -e "$T/rw/evil.dll" ] && nok "evil.dll was planted" || ok "nothing planted"
expect_eq "secret.txt as root wrote it" "the SAM hive, say" "$(cat "$T/rw/secret.txt")"
run "umount the read-write mount" 0 umount "$P"

run "mount read-only at $T/ro" 0 mount "$P" --at "$T/ro"
opts=$(mount_opts "$T/ro")
for o in ro nodev nosuid noexec; do
	case ",$opts," in *",$o,"*) ok "read-only mount: $o" ;; *) nok "read-only mount without $o: $opts" ;; esac
done
[ -f "$T/ro/secret.txt" ] && ok "root reads what it wrote" || nok "secret.txt missing"
as_nobody cat "$T/ro/secret.txt" && nok "nobody reads a file of a read-only mount" ||
	ok "nobody cannot read a file of a read-only mount"
as_nobody ls "$T/ro" >/dev/null && nok "nobody lists a read-only mount" || ok "nobody cannot list a read-only mount"
as_nobody stat "$T/ro/secret.txt" >/dev/null && nok "nobody sees a file's status in a read-only mount" ||
	ok "nobody cannot even see a file's status"
run "umount the read-only mount" 0 umount "$P"

# /mnt/winrescue: in a namespace of its own, over a tmpfs /mnt of its own
cat >"$T/base.sh" <<EOF
trap '"$WR_BIN" umount "$P" >/dev/null 2>&1' EXIT
mount -t tmpfs -o mode=0755 tmpfs /mnt || exit 9
mkdir -m 0755 /mnt/winrescue
"$WR_BIN" mount "$P" --json >"$T/base1.json" 2>/dev/null; echo \$? >"$T/base1.rc"
stat -c '%a %u' /mnt/winrescue >"$T/base1.mode"
runuser -u nobody -- ls /mnt/winrescue >/dev/null 2>&1; echo \$? >"$T/base1.ls"
"$WR_BIN" umount "$P" >/dev/null 2>&1
rmdir /mnt/winrescue
"$WR_BIN" mount "$P" --json >"$T/base2.json" 2>/dev/null; echo \$? >"$T/base2.rc"
stat -c '%a %u' /mnt/winrescue >"$T/base2.mode"
"$WR_BIN" umount "$P" >/dev/null 2>&1
EOF
unshare -m --propagation private bash "$T/base.sh"
expect_eq "/mnt/winrescue 0755 before: mount exit 0" 0 "$(cat "$T/base1.rc" 2>/dev/null)"
expect_eq "/mnt/winrescue made 0700 (root's)" "700 0" "$(cat "$T/base1.mode" 2>/dev/null)"
expect_eq "nobody cannot list /mnt/winrescue" 2 "$(cat "$T/base1.ls" 2>/dev/null)"
expect_match "the result says it was corrected" "/mnt/winrescue was mode 0755, open to other users; it is now 0700" \
	"$(jq -r '.warnings[]?' "$T/base1.json" 2>/dev/null)"
expect_eq "/mnt/winrescue missing before: mount exit 0" 0 "$(cat "$T/base2.rc" 2>/dev/null)"
expect_eq "/mnt/winrescue created 0700" "700 0" "$(cat "$T/base2.mode" 2>/dev/null)"
expect_eq "created: no correction said" 0 "$(jq '[.warnings[]? | select(test("/mnt/winrescue was mode"))] | length' "$T/base2.json" 2>/dev/null)"
expect_eq "nothing of the namespace's mounts is mounted here" "" "$(mounted_at "$P")"

# ------------------------------------------- finding 4: --at held by descriptor
mkdir -m 1777 "$T/pub"
run "--at in a directory everyone can write to" 32 mount "$P" --at "$T/pub/x" --json
expect_eq "... code" mountpoint-unsafe "$(jq -r .code <<<"$OUT")"
expect_match "... says why" "lies in $T/pub, which can be written by other users" "$(jq -r .message <<<"$OUT")"
[ -e "$T/pub/x" ] && nok "$T/pub/x was created" || ok "nothing created there"
mkdir "$T/users" && chown nobody "$T/users"
run "--at in a directory of another user" 32 mount "$P" --at "$T/users/x"
expect_match "... says why" "lies in $T/users, which is not owned by root" "$ERR"
expect_eq "refusals: nothing mounted" "" "$(mounted_at "$P")"
# a link on the way (another user's, to a directory of root's): refused, never followed
mkdir -p "$T/users/home" "$T/linked" && chown nobody "$T/users/home"
runuser -u nobody -- ln -s "$T/linked" "$T/users/home/win" || nok "ln -s as nobody"
run "--at through another user's symbolic link" 32 mount "$P" --at "$T/users/home/win/x" --json
expect_eq "... nothing created where the link points" "" "$(ls -A "$T/linked")"
ln -s "$T/linked" "$T/rootlink"
run "--at through a symbolic link of root's" 32 mount "$P" --at "$T/rootlink/x" --json
expect_match "... says a link is on the way" "symbolic link" "$(jq -r .message <<<"$OUT")"
expect_eq "links: nothing mounted, nothing created" " " "$(mounted_at "$P") $(ls -A "$T/linked")"

umount_quiet "$P"	# (what a refusal that failed left mounted: the next test starts clean)
# the stand-in: the mount point swapped for a link, then the real ntfs-3g
mkdir "$T/at" "$T/victim"
cat >"$T/swap-ntfs-3g" <<EOF
#!/bin/bash
mv "$T/at" "$T/at.moved" && ln -s "$T/victim" "$T/at"
exec "$(command -v ntfs-3g)" "\$@"
EOF
chmod +x "$T/swap-ntfs-3g"
OUT=$(WINRESCUE_NTFS_3G=$T/swap-ntfs-3g "$WR_BIN" mount "$P" --at "$T/at" --json 2>/dev/null)
RC=$?
[ -L "$T/at" ] && ok "the stand-in swapped $T/at for a link" || nok "the stand-in did not swap"
expect_eq "swapped mount point: fails (exit 1)" 1 "$RC"
expect_eq "... code" mountpoint-changed "$(jq -r .code <<<"$OUT")"
expect_match "... says the mount was undone" "the mount was undone: nothing is mounted" "$(jq -r .message <<<"$OUT")"
mountpoint -q "$T/victim" && nok "mounted over the link's target" || ok "nothing mounted over the link's target"
mountpoint -q "$T/at.moved" && nok "left mounted on the moved directory" || ok "nothing left on the moved directory"
expect_eq "$P mounted nowhere" "" "$(mounted_at "$P")"
expect_eq "the link's target untouched" "" "$(ls -A "$T/victim")"
expect_eq "the result: nothing mounted" false "$(jq '[.mounts[]? | .mounted] | any' <<<"$OUT")"
umount_quiet "$P"
rm -f "$T/at" 2>/dev/null && rmdir "$T/at.moved" 2>/dev/null
run "and without the stand-in, --at works" 0 mount "$P" --at "$T/at"
expect_eq "... there" "$T/at" "$(mounted_at "$P")"
run "umount" 0 umount "$P"

# ------------------------------------------- finding 5: an image by identity
truncate -s 16M "$T/one.img"
mkntfs -q -F -f -L hardlink "$T/one.img" >/dev/null 2>&1 || wr_bail "mkntfs one.img"
ntfs_break_backup_bootsector "$T/one.img" || wr_bail "break the backup boot sector"
HL=$(losetup -f --show "$T/one.img") || wr_bail "losetup one.img"
wr_cleanup_add "wr_detach '$HL'"
wr_mount_ntfs "$HL" "$T/hlm" ro || wr_bail "ntfs-3g $HL"
ln "$T/one.img" "$T/link.img"
SHA=$(sha256sum "$T/one.img" | cut -c1-64)
run "fix of the image, its loop device mounted" 32 fix "$T/one.img" --yes
run "fix of a hard link to it" 32 fix "$T/link.img" --yes
rm "$T/one.img"
expect_match "the first name deleted: the kernel says so" "one.img \(deleted\)" "$(cat "/sys/block/${HL#/dev/}/loop/backing_file")"
run "fix of the hard link, the first name deleted" 32 fix "$T/link.img" --yes
expect_match "... refused as the image is: mounted" "Refused: $HL is already mounted at $T/hlm" "$ERR"
run "check --json of the hard link (the damage it finds: exit 4)" 4 check "$T/link.img" --json
expect_eq "... reads the loop device that serves it" "$HL" "$(jq -r ".targets[0].device" <<<"$OUT")"
expect_eq "the image unchanged (sha256)" "$SHA" "$(sha256sum "$T/link.img" | cut -c1-64)"
# a loop device the snapshot does not hold (as one attached after the image
# was named: here hidden from /sys/block): the file is still never opened
# for writing behind it
OUT=$(wr_only "${D#/dev/}" -- "$WR_BIN" fix "$T/link.img" --yes 2>"$T/err")
RC=$?
expect_eq "fix of the hard link, its loop device not in the snapshot: exit 32" 32 "$RC"
expect_match "... refused: the file is attached" "Refused: $T/link.img is attached as $HL" "$(cat "$T/err")"
expect_eq "the image still unchanged (sha256)" "$SHA" "$(sha256sum "$T/link.img" | cut -c1-64)"
# attached through a bind mount in a mount namespace now gone: the kernel
# names the backing file by a path that means nothing here ("/two.img")
mkdir "$T/real" "$T/view"
truncate -s 16M "$T/real/two.img"
mkntfs -q -F -f -L bindmnt "$T/real/two.img" >/dev/null 2>&1 || wr_bail "mkntfs two.img"
ntfs_break_backup_bootsector "$T/real/two.img" || wr_bail "break two.img's backup boot sector"
BL=$(unshare -m --propagation private sh -c "mount --bind '$T/real' '$T/view' && losetup -f --show '$T/view/two.img'") ||
	wr_bail "losetup through a bind mount"
wr_cleanup_add "wr_detach '$BL'"
wr_mount_ntfs "$BL" "$T/blm" ro || wr_bail "ntfs-3g $BL"
SHA2=$(sha256sum "$T/real/two.img" | cut -c1-64)
expect_eq "attached through a bind mount: the kernel's name for it is not its path here" "/two.img" \
	"$(cat "/sys/block/${BL#/dev/}/loop/backing_file")"
run "fix of an image attached through a bind mount" 32 fix "$T/real/two.img" --yes
expect_match "... refused as the image is: mounted" "Refused: $BL is already mounted at $T/blm" "$ERR"
expect_eq "that image unchanged (sha256)" "$SHA2" "$(sha256sum "$T/real/two.img" | cut -c1-64)"

wr_finish
