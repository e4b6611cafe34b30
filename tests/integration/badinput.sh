#!/bin/bash
# tests/integration/badinput.sh - `winrescue list` on hostile input: every damaged
# object carries its own error, everything else still lists, nothing crashes,
# no library talks on stderr, nothing is written.
#
#  (a) I/O errors from a real block device: images served by nbdkit through
#      nbdfuse onto a file, attached with losetup:
#        eio-all    the Windows-made NTFS fixture, every read fails
#                   (nbdkit --filter=error error-pread-rate=1)
#        eio-late   a 3-partition NTFS disk whose reads start failing after the
#                   kernel read its table (error filter's error-pread-file toggled)
#        eio-region a 3-partition NTFS disk whose partition 2 is unreadable,
#                   p1 and p3 read fine (nbdkit eval plugin, errors by offset; the
#                   error filter has no region option)
#  (b) corrupt GPT: primary header zeroed (backup intact), both headers zeroed
#  (c) corrupt NTFS boot sector on partition 2 of 3
#  (f) probe limits: a disk served slowly by nbdkit's delay filter with a
#      1 s time limit (its probe process killed), with one probe process and
#      with several: only that disk carries the reason; a probe process
#      killed from outside: its disks probed again, all listed; a crafted
#      boot sector that makes libblkid ask for 2 GiB under a 256 MiB limit:
#      only that partition carries the reason; on a whole-disk NTFS volume the
#      disk carries it (text, JSON, the TUI's details), never an empty dos disk
#  (g) stale firmware RAID metadata (Promise, 63 sectors before the end): at
#      the end of an NTFS partition it is not that partition's content (libblkid
#      runs firmware RAID probers on whole disks only, so blkid -p on the
#      partition says ntfs); at the end of a bare whole disk it is
#  (d) usage errors
#  (h) not root: one line and exit 1 from every command and the TUI; --help
#      and list --sysroot (a captured tree) work without root
#  (e) every image unchanged (sha256)
# Needs root, loop devices, FUSE, nbdkit, nbdfuse. Run as root.

. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/../lib-json.sh"
. "$(dirname "${BASH_SOURCE[0]}")/../lib-tui.sh"

wr_require_root_loop_fuse
wr_require_fixtures
for tool in nbdkit nbdfuse fusermount3 mkntfs sfdisk jq tmux; do
	command -v "$tool" >/dev/null || { nok "$tool is not installed (make deps)"; wr_finish; exit; }
done
if [ ! -x "$WR_BIN" ]; then
	nok "winrescue binary not found at $WR_BIN (run make all)"
	wr_finish
	exit
fi

wr_tmpdir_to T || { nok "mktemp"; wr_finish; exit; }
declare -A SHA
IO_RE='I/O|[Ii]nput/output|EIO|[Rr]ead error'

# mk_ntfs_disk IMG dos|gpt DISKID NPARTS PART_MIB LABELPREFIX
# A disk image with NPARTS partitions of PART_MIB MiB, each a fresh NTFS volume.
mk_ntfs_disk() {
	local img=$1 pt=$2 id=$3 n=$4 mib=$5 lp=$6 i start size vol=$1.vol
	truncate -s $(((n * mib + 2) * 1048576)) "$img"
	{
		echo "label: $pt"
		echo "label-id: $id"
		for ((i = 0; i < n; i++)); do
			if [ "$pt" = gpt ]; then echo ",${mib}M,EBD0A0A2-B9E5-4433-87C0-68B6B72699C7"; else echo ",${mib}M,7"; fi
		done
	} | sfdisk -q "$img" || return 1
	for ((i = 0; i < n; i++)); do
		start=$(sfdisk -J "$img" | jq ".partitiontable.partitions[$i].start")
		size=$(sfdisk -J "$img" | jq ".partitiontable.partitions[$i].size")
		rm -f "$vol"
		truncate -s $((size * 512)) "$vol"
		mkntfs -q -F -Q -s 512 -p "$start" -H 255 -S 63 -L "$lp$((i + 1))" "$vol" >/dev/null 2>&1 || return 1
		dd if="$vol" of="$img" bs=512 seek="$start" conv=notrunc,sparse status=none || return 1
	done
	rm -f "$vol"
}

# Unmount the FUSE file (nbdfuse then exits, and nbdkit with it); the process
# is ours: kill it by pid only if it does not go. (A function with locals: code
# eval'ed by wr_run_cleanup must not touch its loop variable.)
nbd_stop() {
	local dir=$1 pid=$2 n
	fusermount3 -u "$dir" 2>/dev/null || fusermount3 -u -z "$dir" 2>/dev/null
	for ((n = 0; n < 25; n++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.2
	done
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}

# nbd_serve VAR NAME NBDKIT-ARGS... : serve through nbdkit + nbdfuse; VAR = the FUSE file
# (sets a variable rather than printing: the cleanup must be registered in this shell)
nbd_serve() {
	local _nb_var=$1 name=$2 dir=$T/nbd-$2 pid i
	shift 2
	mkdir -p "$dir"
	nbdfuse -r -P "$dir.pid" "$dir/disk.img" --command nbdkit -s --exit-with-parent -r "$@" \
		</dev/null >>"$T/nbd-$name.log" 2>&1 &
	pid=$!
	wr_cleanup_add "nbd_stop '$dir' $pid"
	for ((i = 0; i < 100; i++)); do
		[ -s "$dir.pid" ] && [ -e "$dir/disk.img" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	[ -e "$dir/disk.img" ] || { echo "nbdfuse did not start for $name: $(cat "$T/nbd-$name.log")" >&2; return 1; }
	printf -v "$_nb_var" '%s' "$dir/disk.img"
}

# attach_ro_to VAR IMG: like lib.sh's wr_attach_to, read-only (for the FUSE files)
attach_ro_to() {
	local _ar_dev
	_ar_dev=$(losetup -f --show -r -P "$2") || { echo "losetup -r failed for $2" >&2; return 1; }
	wr_cleanup_add "wr_detach '$_ar_dev'"
	partx -a "$_ar_dev" >/dev/null 2>&1 || true
	printf -v "$1" '%s' "$_ar_dev"
}

# Does PART (or its ntfs object) carry an error matching an I/O problem?
part_io_error() { # OUT PARTDEV
	local e
	e="$(jpart "$1" "$2" .error) $(jpart "$1" "$2" '.ntfs.error // empty')"
	printf '%s' "$e" | grep -Eq "$IO_RE"
}

# ---------------------------------------------------------------- build images
wr_unxz "$WINRESCUE_FIXTURES/blkid/ntfs.img.xz" "$T/eio-all.img"
mk_ntfs_disk "$T/eio-late.img" dos 0xe0e0e0e3 3 8 LATE || nok "build eio-late.img"
mk_ntfs_disk "$T/eio-region.img" dos 0xe0e0e0e2 3 8 REGION || nok "build eio-region.img"
mk_ntfs_disk "$T/control.img" gpt 0c0c0c0c-0000-4000-8000-00000000000c 3 8 CTRL || nok "build control.img"
mk_ntfs_disk "$T/gpt-primary.img" gpt 9a9a9a9a-0000-4000-8000-000000000001 2 8 GPTA || nok "build gpt-primary.img"
mk_ntfs_disk "$T/gpt-both.img" gpt 9b9b9b9b-0000-4000-8000-000000000002 2 8 GPTB || nok "build gpt-both.img"
mk_ntfs_disk "$T/ntfs-bs.img" dos 0xb5b5b5b5 3 8 BS || nok "build ntfs-bs.img"
mk_ntfs_disk "$T/raid-part.img" dos 0xa1d0a1d0 1 8 RAIDP || nok "build raid-part.img"
truncate -s 8M "$T/raid-disk.img"

# (b) GPT damage: LBA 1 is the primary header, the last LBA the backup header
sfdisk -J "$T/gpt-primary.img" >"$T/gpt-primary.json"
dd if=/dev/zero of="$T/gpt-primary.img" bs=512 seek=1 count=1 conv=notrunc status=none
last=$(($(stat -c %s "$T/gpt-both.img") / 512 - 1))
dd if=/dev/zero of="$T/gpt-both.img" bs=512 seek=1 count=1 conv=notrunc status=none
dd if=/dev/zero of="$T/gpt-both.img" bs=512 seek="$last" count=1 conv=notrunc status=none

# (c) NTFS boot sector of partition 2: clusters per index record (offset 0x44) = 7,
# as in ntfs-corrupt/bad-bs_index_record_size: libblkid still calls it ntfs,
# ntfs-3g refuses it, the backup boot sector (last sector) stays intact.
bs_start=$(sfdisk -J "$T/ntfs-bs.img" | jq '.partitiontable.partitions[1].start')
printf '\x07' | dd of="$T/ntfs-bs.img" bs=1 seek=$((bs_start * 512 + 0x44)) conv=notrunc status=none

# (g) "Promise Technology, Inc." 63 sectors before the end of partition 1, and
# of a bare (zeroed, unpartitioned) disk
promise() { # IMG END-SECTOR
	printf 'Promise Technology, Inc.' |
		dd of="$1" bs=512 seek=$(($2 - 63)) conv=notrunc status=none
}
promise "$T/raid-part.img" "$(sfdisk -J "$T/raid-part.img" | jq '.partitiontable.partitions[0] | .start + .size')"
promise "$T/raid-disk.img" $((8 * 2048))

for n in eio-all eio-late eio-region control gpt-primary gpt-both ntfs-bs raid-part raid-disk; do
	SHA[$n]=$(wr_sha "$T/$n.img")
done

# ---------------------------------------------------------------- serve + attach
# eio-all: every read fails from the start
touch "$T/eio-all.flag"
nbd_serve f eio-all --filter=error file "$T/eio-all.img" \
	error-pread=EIO error-pread-rate=1 error-pread-file="$T/eio-all.flag" || nok "serve eio-all"
attach_ro_to EIO_ALL "$f" || nok "attach eio-all"

# eio-late: the kernel reads the table, then every read fails
nbd_serve f eio-late --filter=error file "$T/eio-late.img" \
	error-pread=EIO error-pread-rate=1 error-pread-file="$T/eio-late.flag" || nok "serve eio-late"
attach_ro_to EIO_LATE "$f" || nok "attach eio-late"

# eio-region: partition 2 of eio-region.img is unreadable
r_start=$(sfdisk -J "$T/eio-region.img" | jq '.partitiontable.partitions[1].start * 512')
r_end=$(sfdisk -J "$T/eio-region.img" | jq '.partitiontable.partitions[1] | (.start + .size) * 512')
cat >"$T/pread.sh" <<EOF
#!/bin/bash
# nbdkit eval pread: \$1=pread \$2=handle \$3=count \$4=offset
if [ \$((\$4 + \$3)) -gt $r_start ] && [ \$4 -lt $r_end ]; then
	echo "EIO injected unreadable sector" >&2
	exit 1
fi
exec dd if='$T/eio-region.img' iflag=skip_bytes,count_bytes skip="\$4" count="\$3" bs=1M status=none
EOF
chmod +x "$T/pread.sh"
nbd_serve f eio-region eval get_size="echo $(stat -c %s "$T/eio-region.img")" \
	pread="'$T/pread.sh' \"\$@\"" || nok "serve eio-region"
attach_ro_to EIO_REGION "$f" || nok "attach eio-region"

wr_attach_to CONTROL "$T/control.img" || nok "attach control"
wr_attach_to GPT_PRIMARY "$T/gpt-primary.img" || nok "attach gpt-primary"
wr_attach_to GPT_BOTH "$T/gpt-both.img" || nok "attach gpt-both"
wr_attach_to NTFS_BS "$T/ntfs-bs.img" || nok "attach ntfs-bs"
wr_attach_to RAID_PART "$T/raid-part.img" || nok "attach raid-part"
wr_attach_to RAID_DISK "$T/raid-disk.img" || nok "attach raid-disk"

# now make eio-late fail, and drop what the page cache kept of it
touch "$T/eio-late.flag"
blockdev --flushbufs "$EIO_LATE" "$EIO_LATE"p* 2>/dev/null
echo 1 >/proc/sys/vm/drop_caches
if dd if="$EIO_LATE" of=/dev/null bs=4096 count=1 iflag=direct status=none 2>/dev/null; then
	nok "setup: $EIO_LATE still reads after the error flag was set"
else
	ok "setup: $EIO_LATE fails reads (partitions: $(ls "$EIO_LATE"p* 2>/dev/null | tr '\n' ' '))"
fi
if dd if="$EIO_ALL" of=/dev/null bs=4096 count=1 iflag=direct status=none 2>/dev/null; then
	nok "setup: $EIO_ALL reads although every read should fail"
fi
if dd if="$EIO_REGION"p2 of=/dev/null bs=4096 count=1 iflag=direct status=none 2>/dev/null ||
	! dd if="$EIO_REGION"p3 of=/dev/null bs=4096 count=1 iflag=direct status=none 2>/dev/null; then
	nok "setup: $EIO_REGION p2 should fail and p3 read"
fi

# ---------------------------------------------------------------- list
# this suite's own disks (the files under $T) and the machine's (the rescue
# system's: a failing disk must not hide them): others attached beside
# (another suite, a `make demo`) are neither read nor counted
OWN=$( (wr_own_disks "$T"; wr_system_disks) | tr '\n' ' ')
# shellcheck disable=SC2086
wr_list "$T/l" -- $OWN
wr_list_checks "list --json with I/O errors and corrupt tables" "$T/l"
L=$T/l

# text view: same rules on stderr, no library message on stdout either
rc=0
# shellcheck disable=SC2086
timeout -k 10 "$WR_LIST_TIMEOUT" "$WR_BIN" list $OWN >"$T/text.out" 2>"$T/text.err" || rc=$?
expect_eq "text list: exit status" 0 "$rc"
wr_check_stderr "text list" "$T/text.err"
lib=$(grep -E 'Failed to (mount|read|open|load)|NTFS signature is missing|does not match \$MFT|is not a power of 2|Unrecoverable error|ntfs_[a-z_]+\(|nbd_aio' "$T/text.out" | head -3)
expect_eq "text list: no libntfs-3g/libnbd message on stdout" "" "$lib"
for d in "$EIO_ALL" "$EIO_LATE" "$EIO_REGION" "$CONTROL" "$GPT_PRIMARY" "$GPT_BOTH" "$NTFS_BS"; do
	grep -q "${d#/dev/}" "$T/text.out" || nok "text list: ${d#/dev/} not shown"
done

# ---------------------------------------------------------------- (a) I/O errors
d=$EIO_ALL
expect_eq "(a) eio-all $d: listed" "$d" "$(jdisk "$L" "$d" .path)"
e="$(jdisk "$L" "$d" .error) $(jdisk "$L" "$d" '.ntfs.error // empty')"
expect_match "(a) eio-all $d: disk carries an I/O error" "$IO_RE" "$e"
echo "# (a) eio-all $d: $(jdisk_c "$L" "$d" '{error, pttype, fstype, ntfs: (.ntfs | if . then {opened, error} else null end), findings: null}')"
expect_eq "(a) eio-all $d: size still known" "$(stat -c %s "$T/eio-all.img")" "$(jdisk "$L" "$d" .size)"

d=$EIO_LATE
expect_eq "(a) eio-late $d: listed" "$d" "$(jdisk "$L" "$d" .path)"
e="$(jdisk "$L" "$d" '[.error, (.partitions[]? | .error, .ntfs.error?)] | map(select(. != null)) | join(" | ")')"
expect_match "(a) eio-late $d: disk or its partitions carry an I/O error" "$IO_RE" "$e"
echo "# (a) eio-late $d: $e"
for p in "$d"p1 "$d"p2 "$d"p3; do
	[ -e "$p" ] || continue
	[ "$(jpart "$L" "$p" .path)" = "<absent>" ] && continue
	if part_io_error "$L" "$p" || jdisk "$L" "$d" .error | grep -Eq "$IO_RE"; then
		ok "(a) eio-late $p: carries the I/O error (itself or its disk)"
	else
		nok "(a) eio-late $p: listed as if readable: $(jpart "$L" "$p" '{error, fstype, ntfs: (.ntfs | if . then {opened, error} else null end)} | tojson')"
	fi
done

d=$EIO_REGION
expect_eq "(a) eio-region $d: listed" "$d" "$(jdisk "$L" "$d" .path)"
expect_eq "(a) eio-region $d: disk error (table readable)" null "$(jdisk "$L" "$d" .error)"
expect_eq "(a) eio-region $d: pttype" dos "$(jdisk "$L" "$d" .pttype)"
expect_eq "(a) eio-region $d: ptuuid" e0e0e0e2 "$(jdisk "$L" "$d" .ptuuid)"
expect_eq "(a) eio-region $d: 3 partitions" 3 "$(jdisk "$L" "$d" '.partitions | length')"
if part_io_error "$L" "$d"p2; then
	ok "(a) eio-region ${d}p2: carries an I/O error"
else
	nok "(a) eio-region ${d}p2: no I/O error: $(jpart "$L" "$d"p2 '{error, fstype, ntfs: (.ntfs | if . then {opened, error} else null end)} | tojson')"
fi
expect_eq "(a) eio-region ${d}p2: start still listed" "$r_start" "$(jpart "$L" "$d"p2 .start)"
echo "# (a) eio-region ${d}p2: $(jpart "$L" "$d"p2 '{error, fstype, ntfs: (.ntfs | if . then {opened, error} else null end)} | tojson') findings=[$(jfind "$L" "$d"p2)]"
for i in 1 3; do
	p=$d"p$i"
	expect_eq "(a) eio-region $p: no error" null "$(jpart "$L" "$p" .error)"
	expect_eq "(a) eio-region $p: fstype" ntfs "$(jpart "$L" "$p" .fstype)"
	expect_eq "(a) eio-region $p: label" "REGION$i" "$(jpart "$L" "$p" .label)"
	expect_eq "(a) eio-region $p: ntfs opened" true "$(jpart "$L" "$p" .ntfs.opened)"
	expect_eq "(a) eio-region $p: ntfs error" null "$(jpart "$L" "$p" .ntfs.error)"
done

# every other disk lists normally: the machine's own disks and our healthy loop
# devices (loop devices of other suites running at the same time are theirs);
# a disk this machine cannot read either, such as a device the sandbox forbids
# opening, is reported, not held against winrescue
bad=" $EIO_ALL $EIO_LATE $GPT_BOTH "
others=$(jq -r --arg t "$T/" '.disks[] | select((.name | startswith("loop") | not) or ((.loop_backing // "") | startswith($t)))
		| "\(.path)\t\(.error)"' "$L.json" 2>/dev/null |
	while IFS=$'\t' read -r p e; do
		case $bad in *" $p "*) continue ;; esac
		[ "$e" = null ] && continue
		if dd if="$p" of=/dev/null bs=4096 count=1 iflag=direct status=none 2>/dev/null; then
			echo "$p: $e"
		else
			echo "# $p is unreadable here too ($(dd if="$p" of=/dev/null count=1 status=none 2>&1 | sed 's/.*: //')): winrescue says: $e" >&2
		fi
	done)
expect_eq "(a) every other readable disk lists without error" "" "$others"
for d in $(ls -d /sys/block/* | xargs -n1 basename); do
	[ "$(cat "/sys/block/$d/size" 2>/dev/null)" -gt 0 ] 2>/dev/null || continue
	case $d in loop*) case " $EIO_ALL $EIO_LATE $EIO_REGION $CONTROL $GPT_PRIMARY $GPT_BOTH $NTFS_BS " in *" /dev/$d "*) ;; *) continue ;; esac ;; esac
	expect_eq "(a) /dev/$d listed" "/dev/$d" "$(jdisk "$L" "/dev/$d" .path)"
done
d=$CONTROL
expect_eq "(a) control $d: gpt, 3 partitions, no error" "gpt 3 null" \
	"$(jdisk "$L" "$d" '"\(.pttype) \(.partitions | length) \(.error)"')"
for i in 1 2 3; do
	expect_eq "(a) control ${d}p$i: ntfs CTRL$i opened, no error" "ntfs CTRL$i true null null" \
		"$(jpart "$L" "${d}p$i" '"\(.fstype) \(.label) \(.ntfs.opened) \(.ntfs.error) \(.error)"')"
done

# ---------------------------------------------------------------- (b) corrupt GPT
d=$GPT_PRIMARY
w="(b) gpt-primary-zeroed $d"
expect_eq "$w: listed" "$d" "$(jdisk "$L" "$d" .path)"
expect_eq "$w: disk error" null "$(jdisk "$L" "$d" .error)"
expect_eq "$w: pttype (backup header used)" gpt "$(jdisk "$L" "$d" .pttype)"
expect_eq "$w: ptuuid" 9a9a9a9a-0000-4000-8000-000000000001 "$(jdisk "$L" "$d" .ptuuid)"
expect_eq "$w: 2 partitions" 2 "$(jdisk "$L" "$d" '.partitions | length')"
for i in 0 1; do
	expect_eq "$w: p$((i + 1)) start/size/partuuid" \
		"$(jq -r ".partitiontable.partitions[$i] | \"\(.start * 512) \(.size * 512) \(.uuid | ascii_downcase)\"" "$T/gpt-primary.json")" \
		"$(jpart "$L" "${d}p$((i + 1))" '"\(.start) \(.size) \(.partuuid)"')"
	expect_eq "$w: p$((i + 1)) ntfs GPTA$((i + 1))" "ntfs GPTA$((i + 1)) null" \
		"$(jpart "$L" "${d}p$((i + 1))" '"\(.fstype) \(.label) \(.error)"')"
done
n=$(jdisk "$L" "$d" '.pt_warnings | length')
if [ "$n" -gt 0 ] 2>/dev/null; then
	ok "$w: pt_warnings: $(jdisk "$L" "$d" '.pt_warnings | join(" / ")')"
else
	nok "$w: pt_warnings is empty (libfdisk warns: $(fdisk -l "$T/gpt-primary.img" 2>&1 | grep -i corrupt))"
fi
expect_match "$w: pt-warning finding" 'warning:pt-warning' "$(jfind "$L" "$d")"

d=$GPT_BOTH
w="(b) gpt-both-zeroed $d"
expect_eq "$w: listed" "$d" "$(jdisk "$L" "$d" .path)"
s=$(jdisk "$L" "$d" '"error=\(.error) pttype=\(.pttype) warnings=\(.pt_warnings | length) parts=\(.partitions | length)"')
echo "# $w: $s findings=[$(jfind "$L" "$d")]"
echo "# $w: partitions: $(jdisk "$L" "$d" '[.partitions[] | {number, path, start, size, parttype, parttype_name, fstype, error}] | tojson') (kernel nodes: $(ls "$d"p* 2>/dev/null | tr '\n' ' '))"
# "PMBR" is libblkid's name for a protective MBR without a usable GPT: no table
if [ "$(jdisk "$L" "$d" '.error != null or .pttype == null or .pttype == "PMBR" or (.pt_warnings | length > 0)')" = true ]; then
	ok "$w: carries an error, a warning or shows no table"
else
	nok "$w: lists as a healthy disk: $s"
fi

# ---------------------------------------------------------------- (c) corrupt NTFS boot sector
d=$NTFS_BS
w="(c) ntfs-bs $d"
expect_eq "$w: listed without disk error" "$d null" "$(jdisk "$L" "$d" '"\(.path) \(.error)"')"
expect_eq "$w: 3 partitions" 3 "$(jdisk "$L" "$d" '.partitions | length')"
p=${d}p2
expect_eq "$w: p2 fstype (blkid -p says $(blkid -p -o value -s TYPE "$p"))" \
	"$(blkid -p -o value -s TYPE "$p")" "$(jpart "$L" "$p" .fstype)"
e="$(jpart "$L" "$p" '[.error, .ntfs.error?] | map(select(. != null)) | join(" | ")')"
if [ -n "$e" ] && [ "$e" != "<absent>" ]; then
	ok "$w: p2 carries its error: $e"
else
	nok "$w: p2 carries no error: $(jpart "$L" "$p" 'tojson')"
fi
expect_eq "$w: p2 ntfs.opened (ntfs-3g refuses it)" false "$(jpart "$L" "$p" .ntfs.opened)"
bs=$(jpart "$L" "$p" .ntfs.bootsector_ok)
if [ "$bs" != true ]; then ok "$w: p2 bootsector_ok is not true ($bs)"; else nok "$w: p2 bootsector_ok true although primary and backup differ"; fi
echo "# $w: p2 findings=[$(jfind "$L" "$p")]"
for i in 1 3; do
	expect_eq "$w: sibling p$i lists normally" "ntfs BS$i true null null" \
		"$(jpart "$L" "${d}p$i" '"\(.fstype) \(.label) \(.ntfs.opened) \(.ntfs.error) \(.error)"')"
done

# ---------------------------------------------------------------- (g) stale RAID metadata
w="(g) raid-part $RAID_PART"
want=$(blkid -p -o value -s TYPE "${RAID_PART}p1")
expect_eq "$w: blkid -p on the partition says ntfs" ntfs "$want"
expect_eq "$w: p1 is ntfs, opened, without error (as blkid -p ${RAID_PART}p1)" "$want RAIDP1 true null null" \
	"$(jpart "$L" "${RAID_PART}p1" '"\(.fstype) \(.label) \(.ntfs.opened) \(.fs_error) \(.error)"')"
w="(g) raid-disk $RAID_DISK"
want=$(blkid -p -o value -s TYPE "$RAID_DISK")
expect_eq "$w: blkid -p on the whole disk finds the Promise metadata" promise_fasttrack_raid_member "$want"
expect_eq "$w: the whole disk's content, as blkid -p says" "$want null null" \
	"$(jdisk "$L" "$RAID_DISK" '"\(.fstype) \(.pttype) \(.error)"')"

# ---------------------------------------------------------------- (d) usage errors
usage() { # WHAT EXPECTED-RC [REGEX] -- ARGS...
	local what=$1 want=$2 re=$3 rc=0 lines
	shift 4
	timeout -k 5 60 "$WR_BIN" "$@" >"$T/u.out" 2>"$T/u.err" || rc=$?
	expect_eq "(d) $what: exit status" "$want" "$rc"
	lines=$(grep -c '' "$T/u.err")
	expect_eq "(d) $what: one line on stderr" 1 "$lines"
	[ -n "$re" ] && expect_match "(d) $what: message" "$re" "$(head -1 "$T/u.err")"
	expect_eq "(d) $what: nothing on stdout" "" "$(cat "$T/u.out")"
}
usage "list --bogus" 16 'bogus' -- list --bogus
usage "frobnicate" 16 'frobnicate' -- frobnicate
usage "--sysroot /nonexistent list" 1 '/nonexistent' -- --sysroot /nonexistent list

# ---------------------------------------------------------------- (h) not root
# Every command reads the disks: without root one line says so (exit 1),
# before anything is read or logged; --help works, and so does list on a
# captured tree (--sysroot opens no device of this machine).
NR=$(mktemp -d /tmp/winrescue-nr.XXXXXX) && wr_cleanup_add "rm -rf '$NR'"
chmod 755 "$NR" && tar -C "$NR" -xJf "$WINRESCUE_FIXTURES/sysfs/simple-nvme.tar.xz"
nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
NOT_ROOT='winrescue needs root to read disks: run it as root (sudo winrescue ...).'
asnobody() { # WHAT -- ARGS...
	local what=$1 rc=0
	shift 2
	WINRESCUE_LOG=$NR/audit.jsonl WINRESCUE_UNDO_DIR=$NR/undo timeout -k 5 60 \
		setpriv --reuid=nobody --regid=nogroup --clear-groups "$WR_BIN" "$@" \
		>"$T/nr.out" 2>"$T/nr.err" </dev/null || rc=$?
	expect_eq "(h) not root: $what: exit 1" 1 "$rc"
	expect_eq "(h) not root: $what: that one line" "$NOT_ROOT" "$(cat "$T/nr.err")"
	expect_eq "(h) not root: $what: nothing on stdout" "" "$(cat "$T/nr.out")"
}
asnobody "no command (the TUI)" --
asnobody "tui" -- tui
asnobody "a disk for the TUI" -- "$CONTROL"
asnobody "list" -- list
asnobody "list --json" -- list --json
asnobody "mount" -- mount "${CONTROL}p1"
asnobody "mount --dry-run" -- mount --dry-run "${CONTROL}p1"
asnobody "umount all" -- umount all
asnobody "check all" -- check all
asnobody "check a volume" -- check "${CONTROL}p1"
asnobody "check an image file" -- check "$NR"
asnobody "fix --yes" -- fix --yes "${CONTROL}p1"
asnobody "undo" -- undo "$NR/none.undo"
asnobody "diagnose" -- diagnose
asnobody "fix-boot --dry-run" -- fix-boot --dry-run "$CONTROL"
[ -e "$NR/audit.jsonl" ] || [ -e "$NR/undo" ] && nok "(h) not root: something was logged or made" ||
	ok "(h) not root: nothing logged, no undo directory made"
for c in list mount umount check fix undo diagnose fix-boot tui; do
	rc=0
	nobody "$WR_BIN" "$c" --help >"$T/nr.out" 2>"$T/nr.err" </dev/null || rc=$?
	expect_eq "(h) not root: $c --help: exit 0" 0 "$rc"
	expect_match "(h) not root: $c --help: the usage" '^Usage: winrescue' "$(head -1 "$T/nr.out")"
done
rc=0
nobody "$WR_BIN" --help >"$T/nr.out" 2>&1 || rc=$?
expect_eq "(h) not root: --help: exit 0" 0 "$rc"
for args in "--sysroot $NR/simple-nvme list" "list --sysroot $NR/simple-nvme"; do
	rc=0
	# shellcheck disable=SC2086
	nobody "$WR_BIN" $args >"$T/nr.out" 2>"$T/nr.err" </dev/null || rc=$?
	expect_eq "(h) not root: $args: a captured tree lists (exit 0)" 0 "$rc"
	expect_match "(h) not root: $args: its partitions" '/dev/nvme0n1p2 .*/home' "$(cat "$T/nr.out")"
done
rc=0
nobody "$WR_BIN" --sysroot "$NR/simple-nvme" list --json >"$T/nr.out" 2>/dev/null || rc=$?
expect_eq "(h) not root: list --json of a captured tree: its 3 disks" "0 3" "$rc $(jq '.disks | length' "$T/nr.out")"
# the TUI on a real terminal: the same line, the terminal left as it was
TUI_PROG=/usr/bin/setpriv tui_start nr 80x24 xterm --reuid=nobody --regid=nogroup --clear-groups "$WR_BIN"
expect_eq "(h) not root: the TUI in a terminal: exit 1" 1 "$(tui_wait_exit nr 20)"
expect_eq "(h) not root: the TUI in a terminal: that one line" "$NOT_ROOT" "$(cat "$TUI_DIR/nr.err")"
expect_eq "(h) not root: the TUI in a terminal: terminal modes unchanged" \
	"$(cat "$TUI_DIR/nr.stty-before")" "$(cat "$TUI_DIR/nr.stty-after")"
tui_stop nr

# ---------------------------------------------------------------- (f) a probe process dies
# Every read of the slow disk takes 0.5 s, so probing it takes seconds.
w="(f) probe limits"
mk_ntfs_disk "$T/slow.img" dos 0x51051051 2 8 SLOW || nok "$w: build slow.img"
SLOW=
# (f1) a time limit of 1 s: the probe process is killed (SIGKILL); each of its
# disks is probed again in a process of its own, so only the slow one keeps
# the error; with one probe process (as on a one-CPU machine) and with several
if nbd_serve f slow --filter=delay file "$T/slow.img" delay-read=500ms && attach_ro_to SLOW "$f"; then
	for jobs in 1 ""; do
		wj="$w, WINRESCUE_PROBE_JOBS=${jobs:-unset}"
		rc=0
		# shellcheck disable=SC2046
		WINRESCUE_PROBE_JOBS=$jobs WINRESCUE_PROBE_TIMEOUT=1 timeout 120 "$WR_BIN" list --json $(wr_own_disks "$T") \
			>"$T/f.json" 2>"$T/f.err" || rc=$?
		L=$T/f
		expect_eq "$wj: the list completes (exit 0), nothing on stderr" "0 " "$rc $(cat "$T/f.err")"
		expect_eq "$wj: $SLOW carries the reason in words" \
			"probing $SLOW stopped: it took longer than 1 s (WINRESCUE_PROBE_TIMEOUT)" \
			"$(jdisk "$L" "$SLOW" .error)"
		expect_eq "$wj: no other disk lost" 1 \
			"$(jq '[.disks[] | select((.error // "") | test("^probing .* stopped"))] | length' "$L.json")"
		expect_eq "$wj: the control disk intact" "gpt 3 CTRL1" \
			"$(jdisk "$L" "$CONTROL" '"\(.pttype) \(.partitions | length) \(.partitions[0].label)"')"
	done
	expect_match "$w: the text listing says it too" "probing $SLOW stopped: it took longer than" \
		"$(WINRESCUE_PROBE_TIMEOUT=1 "$WR_BIN" list $(wr_own_disks "$T") 2>&1)"
	# the TUI on the same disks: the reason on the screen, r probes again
	# (killed again), the screen keeps working, q leaves the terminal as it was
	tui_start_env fl 80x24 vt220 "LINES=24 COLUMNS=80 WINRESCUE_PROBE_TIMEOUT=1" tui \
		"$(basename "$SLOW")" "$(basename "$CONTROL")" || nok "$w: TUI start"
	if tui_wait fl 'q:Quit' 20; then
		# the disks are drawn in name order, the first one selected: Tab only
		# when the slow disk comes second (loop numbers depend on what else is
		# attached to the machine)
		[ "${SLOW#/dev/loop}" -gt "${CONTROL#/dev/loop}" ] && tui_keys fl Tab
		tui_settle fl
		expect_match "$w: TUI: the slow disk marked unreadable" 'unreadable' "$(tui_screen fl)"
		tui_keys fl Enter
		tui_wait fl 'Details: ' 5
		expect_match "$w: TUI: its details give the reason" 'took longer than 1 s' "$(tui_screen fl)"
		tui_keys fl Escape
		tui_wait fl 'q:Quit' 5
		tui_keys fl r
		sleep 1
		tui_settle fl
		tui_keys fl g
		tui_settle fl
		expect_match "$w: TUI: after r the screen still works (the control disk)" 'CTRL1' "$(tui_screen fl)"
		tui_keys fl q
		expect_eq "$w: TUI: q exits 0" 0 "$(tui_wait_exit fl 20)"
		expect_eq "$w: TUI: terminal modes restored" "$(cat "$TUI_DIR/fl.stty-before")" \
			"$(cat "$TUI_DIR/fl.stty-after" 2>/dev/null)"
	else
		nok "$w: TUI: no main screen: $(tui_screen fl | head -5)"
	fi
	tui_stop fl
	# (f2) a probe process killed from outside: its disks are probed again, each
	# in a process of its own, and all of them list
	# shellcheck disable=SC2046
	WINRESCUE_PROBE_JOBS=1 "$WR_BIN" list --json $(wr_own_disks "$T") >"$T/f2.json" 2>"$T/f2.err" &
	wpid=$!
	killed=
	for ((n = 0; n < 100; n++)); do
		kids=$(ps -o pid=,stat= --ppid "$wpid" | awk '$2 !~ /^Z/ { printf "%s ", $1 }')
		if [ -n "$kids" ] && [ "$n" -ge 3 ]; then
			kill -KILL $kids && killed=$kids
			break
		fi
		kill -0 "$wpid" 2>/dev/null || break
		sleep 0.1
	done
	rc=0
	wait "$wpid" || rc=$?
	if [ -n "$killed" ]; then ok "$w: the probe process killed from outside ($killed)"; else nok "$w: no probe process to kill"; fi
	expect_eq "$w: killed from outside: exit 0" 0 "$rc"
	expect_eq "$w: killed from outside: probed again, every disk listed" "dos 0" \
		"$(jdisk "$T/f2" "$SLOW" '.pttype') $(jq '[.disks[] | select((.error // "") | test("^probing .* stopped"))] | length' "$T/f2.json")"
else
	nok "$w: cannot serve slow.img through nbdkit's delay filter"
fi
# (f3) a crafted boot sector: clusters per MFT record (offset 0x40) = -30, so
# libblkid's NTFS prober reads two 1 GiB records (blkid -p needs 2 GiB and
# seconds for it); under the memory limit only that partition says why
truncate -s 9G "$T/crafted.img"
printf 'label: gpt\nstart=2048, size=8GiB, type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7\n' |
	sfdisk -q "$T/crafted.img" || nok "$w: crafted.img table"
CRAFT=$(losetup -f --show -P "$T/crafted.img") && wr_cleanup_add "wr_detach '$CRAFT'"
partx -a "$CRAFT" >/dev/null 2>&1
mkntfs -F -q -f -Q "${CRAFT}p1" >/dev/null 2>&1 || nok "$w: mkntfs crafted"
printf '\xe2' | dd of="${CRAFT}p1" bs=1 seek=64 conv=notrunc status=none && sync
blockdev --flushbufs "${CRAFT}p1"
for jobs in 1 ""; do
	wj="$w, WINRESCUE_PROBE_JOBS=${jobs:-unset}"
	rc=0
	# shellcheck disable=SC2046
	WINRESCUE_PROBE_JOBS=$jobs WINRESCUE_PROBE_MEM_MB=256 timeout 120 "$WR_BIN" list --json \
		$(wr_own_disks "$T") >"$T/m.json" 2>"$T/m.err" || rc=$?
	expect_eq "$wj: crafted boot sector: the list completes (exit 0)" 0 "$rc"
	expect_match "$wj: the partition says the memory limit stopped it" \
		'needed more than 256 MiB of memory \(WINRESCUE_PROBE_MEM_MB\)' "$(jpart "$T/m" "${CRAFT}p1" .error)"
	expect_eq "$wj: crafted: the control disk intact" "gpt 3 CTRL1" \
		"$(jdisk "$T/m" "$CONTROL" '"\(.pttype) \(.partitions | length) \(.partitions[0].label)"')"
done
wr_detach "$CRAFT"
wr_cleanup_forget "wr_detach '$CRAFT'"
rm -f "$T/crafted.img"

# (f4) the same boot sector on a whole-disk NTFS volume (no partition table):
# its 0x55AA made libblkid take it for an MBR once its NTFS prober ran out of
# memory, and the disk listed as an empty dos disk, all of it unallocated,
# with no reason; it says that probing stopped and why, as the partition does
truncate -s 8G "$T/crafted-whole.img"
mkntfs -F -q -f -Q "$T/crafted-whole.img" >/dev/null 2>&1 || nok "$w: mkntfs crafted-whole"
printf '\xe2' | dd of="$T/crafted-whole.img" bs=1 seek=64 conv=notrunc status=none
WHOLE=$(losetup -f --show "$T/crafted-whole.img") && wr_cleanup_add "wr_detach '$WHOLE'"
for jobs in 1 ""; do
	wj="$w, whole disk, WINRESCUE_PROBE_JOBS=${jobs:-unset}"
	rc=0
	# shellcheck disable=SC2046
	WINRESCUE_PROBE_JOBS=$jobs WINRESCUE_PROBE_MEM_MB=256 timeout 120 "$WR_BIN" list --json \
		$(wr_own_disks "$T") >"$T/mw.json" 2>"$T/mw.err" || rc=$?
	expect_eq "$wj: the list completes (exit 0)" 0 "$rc"
	expect_match "$wj: the disk says the memory limit stopped its probe" \
		'probing stopped: it needed more than 256 MiB of memory \(WINRESCUE_PROBE_MEM_MB\)' \
		"$(jdisk "$T/mw" "$WHOLE" .error)"
	expect_eq "$wj: not an empty dos disk (no table, no partitions, no free space)" "null 0 0" \
		"$(jdisk "$T/mw" "$WHOLE" '"\(.pttype) \(.partitions | length) \(.free // [] | length)"')"
	expect_eq "$wj: the control disk intact" "gpt 3 CTRL1" \
		"$(jdisk "$T/mw" "$CONTROL" '"\(.pttype) \(.partitions | length) \(.partitions[0].label)"')"
done
# shellcheck disable=SC2046
WINRESCUE_PROBE_MEM_MB=256 timeout 120 "$WR_BIN" list $(wr_own_disks "$T") >"$T/mw.txt" 2>/dev/null
blk=$(awk -v d="$WHOLE" '$0 ~ "^Disk " { on = ($NF == d) } on' "$T/mw.txt")
expect_match "$w, whole disk: text: the reason under the disk" \
	"error: .*probing stopped: it needed more than 256 MiB of memory" "$blk"
printf '%s' "$blk" | grep -Eq 'dos|unallocated' && nok "$w, whole disk: text: listed as a dos disk or unallocated: $blk" ||
	ok "$w, whole disk: text: neither dos nor unallocated"
# the TUI's details of that disk: the same reason
tui_start_env mw 100x40 xterm "LINES=40 COLUMNS=100 WINRESCUE_PROBE_MEM_MB=256" tui "$WHOLE"
if tui_wait mw 'q:Quit' 60; then
	tui_keys mw Enter
	if tui_wait mw 'probing stopped' 10; then
		ok "$w, whole disk: the TUI's details say probing stopped"
		expect_match "$w, whole disk: ... and why" 'needed more than 256 MiB' "$(tui_screen mw | tr -d '\n' | tr -s ' ')"
	else
		nok "$w, whole disk: the TUI's details: $(tui_screen mw | head -20)"
	fi
	tui_keys mw Escape q
	tui_wait_exit mw 10 >/dev/null
else
	nok "$w, whole disk: the TUI did not start: $(cat "$TUI_DIR/mw.err")"
fi
tui_stop mw
wr_detach "$WHOLE"
wr_cleanup_forget "wr_detach '$WHOLE'"
rm -f "$T/crafted-whole.img"

# ---------------------------------------------------------------- (e) images unchanged
wr_expect_images_unchanged "(e)" "$T"

wr_finish
