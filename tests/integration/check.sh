#!/usr/bin/env bash
# tests/integration/check.sh - `winrescue check`, the read-only file system
# check, on real images and loop devices:
#
#   (a) ../shared/fixtures/ntfs-corrupt: every bad-* image damaged (exit 4)
#       with the finding that names its damage, both clean-* images clean
#       (exit 0), none modified (sha256), none crashing or hanging under
#       ASan/UBSan (build/san/winrescue, with a time limit);
#   (b) damage made here on a fresh mkntfs volume, one kind per pass: a wrong
#       link count, an orphaned record, a cluster marked free while in use,
#       a cross-linked cluster, a broken index entry - each found with its
#       record number and path;
#   (w) what Windows volumes hold, made by ntfs-3g, clean as Windows' chkdsk
#       finds them (no error, no warning; ntfsfix -n agrees): 8.3 names beside
#       long ones, hard links, a file with 300 names, streams, reparse points,
#       System Volume Information, object ids, owners and permissions
#       ($Secure), $Extend\$RmMetadata and a sparse $UsnJrnl:$J; a fragmented
#       volume whose $MFT, folder indexes, a file and a sparse file continue
#       in extension records (and the fuzz harness on that $MFT). Then damage
#       to what is followed there (an extension record's runs on another
#       file's clusters, an attribute list naming a free record, pieces that
#       do not add up or leave a gap, a torn $MFT extension record), each
#       found with its own code;
#   (c) every NTFS state of the inventory tests: warnings, never errors;
#   (d) the same through loop devices: a partition, `all`, a volume mounted
#       read-write refused (exit 32) naming the mount, one mounted read-only
#       checked as it is (nothing writes to it; the mount left alone), a
#       volume held open by a process refused naming it; ext4 through
#       e2fsck -n, also mounted read-only by winrescue; --json, --progress;
#   (e) bad input: a truncated image (ntfs-truncated), an unknown name
#       (exit 16), a file that is no file system (exit 16), no argument, an
#       image whose boot sector makes libblkid ask for 2 GiB (probed in a
#       limited worker; the checker judges it from its backup).
# Needs root, loop devices, FUSE.

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../lib.sh"
. "$HERE/../lib-json.sh"
. "$HERE/disks.sh"

wr_require_root_loop_fuse
wr_require_fixtures
wr_require_tools jq sfdisk losetup partx mkntfs ntfs-3g ntfsfix python3 mkfs.ext4 sha256sum timeout e2fsck /usr/bin/time
[ -x "$WR_BIN" ] || wr_bail "$WR_BIN not built"
SAN=${WR_SAN_BIN:-$WR_ROOT/build/san/winrescue}
DMG=${WR_NTFS_DAMAGE:-$WR_ROOT/build/tests/ntfs-damage}
NWIN=${WR_NTFS_WINDOWS:-$WR_ROOT/build/tests/ntfs-windows}
FUZZ=${WR_FUZZ_BIN:-$WR_ROOT/build/san/fuzz-ntfs}
for t in "$SAN" "$DMG" "$NWIN" "$FUZZ" "$WR_NTFS_STATE"; do
	[ -x "$t" ] || make -C "$WR_ROOT" --no-print-directory "${t#"$WR_ROOT"/}" >/dev/null ||
		wr_bail "cannot build $t"
done

wr_tmpdir_to T
export WINRESCUE_LOG=$T/audit.jsonl

# check IMG/DEV [BIN]: run it, JSON into $T/out.json, exit status into RC
check() {
	local bin=${2:-$WR_BIN}
	timeout 120 "$bin" check --json "$1" >"$T/out.json" 2>"$T/err.txt"
	RC=$?
}
codes() { jq -r '[.checks[0].findings[] | select(.severity == "error") | .code] | unique | join(" ")' "$T/out.json"; }
has_code() { jq -e --arg c "$1" '.checks[0].findings | any(.code == $c)' "$T/out.json" >/dev/null; }
# finding CODE: "record path" of the first finding with that code
finding() { jq -r --arg c "$1" '[.checks[0].findings[] | select(.code == $c)][0] | "\(.record) \(.path)"' "$T/out.json"; }

# ---------------------------------------------------------------- (a) fixtures
declare -A WANT=(
	[bad-bs_bytes_per_sector]=bs-bytes-per-sector
	[bad-bs_filesystem_siganture]=bs-signature
	[bad-bs_index_record_size]=bs-index-record-size
	[bad-bs_mft_cluster_number]=bs-mft-lcn
	[bad-bs_mft_record_size]=bs-mft-record-size
	[bad-bs_mftmirror_cluster_number]=bs-mftmirr-lcn
	[bad-bs_sector_per_cluster]=bs-sectors-per-cluster
	[bad-bs_sector_signature]=bs-end-marker
	[bad-bs_total_sectors]=bs-total-sectors
	[bad-mft_attr_bad_fields]="mft-attr-type mft-attr-length mft-attr-name mft-attr-order mft-attr-value"
	[bad-mft_bitmap_unset_mft_in_use]=mft-bitmap-unset
	[bad-mft_bitmap_unset_mft_in_use_2]="mft-bitmap-unset mft-orphan"
	[bad-mft_file_bad_base_mft_record]=mft-base-record
	[bad-mft_file_bad_fixup_value_count]=mft-fixup-count
	[bad-mft_file_bad_fixup_value_offset]=mft-fixup-offset
	[bad-mft_file_bad_link_count]=mft-link-count
	[bad-mft_file_bad_sequence_number]="mft-sequence index-entry-stale"
	[bad-mft_file_corrupt_attrlist]=mft-attrlist-missing
	[bad-mft_file_missing_attrlist]=mft-attrlist-missing
	[bad-mft_file_missing_bitmap_attr]=mft-bitmap-missing
	[bad-mft_file_missing_data_attr]=mft-missing-data
	[bad-mft_file_missing_filename_attr]=mft-missing-filename
	[bad-mft_non_attr_bad_fields]="mft-runlist mft-attr-sizes"
	[bad-mft_record_bad_fields]="mft-record-magic mft-fixup-offset mft-fixup-count mft-sequence mft-link-count mft-attrs-offset mft-flags mft-used-size mft-allocated-size mft-base-record mft-attr-instance"
)
# mft_record_bad_fields: the record of each damaged file, as its README lists them
declare -A RECORD_OF=(
	[mft-record-magic]=65 [mft-fixup-offset]=66 [mft-fixup-count]=67 [mft-sequence]=68
	[mft-link-count]=69 [mft-attrs-offset]=70 [mft-flags]=71 [mft-used-size]=72
	[mft-allocated-size]=73 [mft-base-record]=74 [mft-attr-instance]=75
)
declare -A SHA
n=0
for tx in "$WINRESCUE_FIXTURES"/ntfs-corrupt/*.img.tar.xz; do
	name=$(basename "$tx" .img.tar.xz)
	tar -xJOf "$tx" | cp --sparse=always /dev/stdin "$T/$name.img" || { nok "$name: extract"; continue; }
	SHA[$name]=$(wr_sha "$T/$name.img")
	n=$((n + 1))
	check "$T/$name.img" "$SAN"
	if grep -Eq 'ERROR: AddressSanitizer|runtime error' "$T/err.txt"; then
		nok "$name: ASan/UBSan: $(grep -E 'ERROR|runtime error' "$T/err.txt" | head -n 1)"
	fi
	case $name in
	clean-*)
		expect_eq "$name: clean (exit 0, no error)" "0 " "$RC $(codes)"
		continue ;;
	esac
	expect_eq "$name: damaged (exit 4)" 4 "$RC"
	missing=""
	for c in ${WANT[$name]:-?}; do has_code "$c" || missing="$missing $c"; done
	expect_eq "$name: names its damage (${WANT[$name]:-no expectation})" "" "${missing# }"
done
expect_eq "every fixture image checked" "$(ls "$WINRESCUE_FIXTURES"/ntfs-corrupt/*.img.tar.xz | wc -l)" "$n"
check "$T/bad-mft_record_bad_fields.img"
wrong=""
for c in "${!RECORD_OF[@]}"; do
	jq -e --arg c "$c" --argjson r "${RECORD_OF[$c]}" \
		'.checks[0].findings | any(.code == $c and .record == $r)' "$T/out.json" >/dev/null ||
		wrong="$wrong $c@${RECORD_OF[$c]}"
done
expect_eq "mft_record_bad_fields: each damaged field found in its own record" "" "${wrong# }"
expect_eq "mft_record_bad_fields: the record's path where its names are readable" \
	'\dir.00\file.3' "$(finding mft-sequence | cut -d' ' -f2)"
check "$T/bad-mft_bitmap_unset_mft_in_use.img"
expect_eq "mft_bitmap_unset_mft_in_use: record and path" '65 \dir.00\file.0' "$(finding mft-bitmap-unset)"
check "$T/bad-bs_total_sectors.img"
expect_match "bad-bs_total_sectors: the primary is the damaged copy, the backup's value given" \
	'primary boot sector is damaged: the number of sectors is 100; the intact backup has 20479' \
	"$(jq -r '.checks[0].findings[0].message' "$T/out.json")"
check "$T/bad-bs_bytes_per_sector.img"
expect_eq "bad-bs_bytes_per_sector: checked through the backup, all 7 passes" 7 \
	"$(jq -r '.checks[0].passes_done' "$T/out.json")"
# the inventory shares the boot sector code: the same verdict in `list`
wr_attach_to BPS "$T/bad-bs_bytes_per_sector.img" || wr_bail "attach"
expect_match "list: the primary boot sector named as the damaged one" \
	'primary boot sector is damaged \(bytes per sector is 500' \
	"$("$WR_BIN" list --json "$BPS" | jq -r --arg d "$BPS" '.disks[] | select(.path == $d) | .ntfs.bootsector_detail')"
wr_release "$BPS"
wr_expect_images_unchanged "check on the fixtures" "$T"

# ---------------------------------------------------------------- (b) made here
truncate -s 64M "$T/made.img"
mkntfs -q -F -f -L made "$T/made.img" >/dev/null 2>&1 || wr_bail "mkntfs"
mkdir -p "$T/mnt"
ntfs-3g "$T/made.img" "$T/mnt" || wr_bail "ntfs-3g"
wr_cleanup_add "umount '$T/mnt'"
mkdir "$T/mnt/docs"
head -c 20000 /dev/urandom >"$T/mnt/docs/a.bin"
head -c 20000 /dev/urandom >"$T/mnt/docs/b.bin"
echo hello >"$T/mnt/docs/c.txt"
echo bye >"$T/mnt/docs/gone.txt"
declare -A INO
for f in a.bin b.bin c.txt gone.txt; do INO[$f]=$(stat -c %i "$T/mnt/docs/$f"); done
DOCS=$(stat -c %i "$T/mnt/docs")
rm "$T/mnt/docs/gone.txt"
wr_umount "$T/mnt" || wr_bail "umount"
check "$T/made.img"
expect_eq "fresh mkntfs volume with files: clean" "0 " "$RC $(codes)"

# what real volumes hold, made by ntfs-3g, must check clean (no false
# positives): a folder of 2000 files with 100 deleted (an index with many
# blocks, so a $BITMAP value of 16 bytes or more, as C:\Windows\System32
# has; once taken for a broken root), Unicode names, hard links, symbolic
# links (reparse points), an alternate data stream, a sparse file, compressed
# files, a fragmented file, a folder 40 levels deep
truncate -s 128M "$T/big.img"
mkntfs -q -F -f "$T/big.img" >/dev/null 2>&1 &&
	ntfs-3g -o compression,streams_interface=windows "$T/big.img" "$T/mnt" || wr_bail "big.img"
(
	set -e
	cd "$T/mnt"
	mkdir many comp
	(cd many && for i in $(seq 2000); do : >"file-$i ünïcödé.txt"; done)
	for i in $(seq 100); do rm "many/file-$((i * 13)) ünïcödé.txt"; done
	head -c 50000 /dev/urandom >data.bin
	ln data.bin link1 && ln data.bin many/link2
	ln -s data.bin symlink && ln -s /nowhere/abs abslink
	echo stream >"data.bin:ads"
	truncate -s 50M sparse.bin && dd if=/dev/urandom of=sparse.bin bs=4k count=1 seek=5000 conv=notrunc status=none
	python3 -c "import os; os.setxattr('comp', 'system.ntfs_attrib_be', bytes.fromhex('00000800'))"
	for i in $(seq 10); do yes "compressible $i" | head -c 200000 >"comp/c$i.txt"; done
	for i in $(seq 30); do head -c 4096 /dev/urandom >>frag.bin; head -c 4096 /dev/urandom >"fill$i"; done
	p=deep; for i in $(seq 40); do p=$p/level$i; done; mkdir -p "$p" && echo leaf >"$p/leaf"
) || nok "filling big.img"
wr_umount "$T/mnt" || wr_bail "umount big"
check "$T/big.img"
expect_eq "what ntfs-3g makes (big folder, links, streams, sparse, compressed, deep): clean" "0 " "$RC $(codes)"
expect_eq "... with no warning either" 0 "$(jq '.checks[0].warnings' "$T/out.json")"
# 1900 in the big folder, data.bin (its hard links are names of one file),
# 2 symlinks, sparse.bin, 10 compressed, frag.bin, 30 fillers, leaf; made.img has 3
expect_eq "... every file found" 1943 \
	"$(($(jq '.checks[0].files' "$T/out.json") - $(jq '.checks[0].files' <<<"$("$WR_BIN" check --json "$T/made.img")")))"
rm -f "$T/big.img"

# ---------------------------------------------------------------- (w) Windows' own
# what every Windows volume holds, as ntfs-3g writes it: clean, and not by
# chance - each thing is first shown to be there
truncate -s 256M "$T/win.img"
mkntfs -q -F -f -L WIN "$T/win.img" >/dev/null 2>&1 &&
	ntfs-3g -o streams_interface=xattr,permissions "$T/win.img" "$T/mnt" 2>/dev/null || wr_bail "win.img"
wr_cleanup_add "umount '$T/mnt'"
python3 - "$T/mnt" <<'PY' || nok "filling win.img"
import os, sys
r = sys.argv[1]
def dos(p, n): os.setxattr(p, 'system.ntfs_dos_name', n.encode(), follow_symlinks=False)
def attrib(p, v): os.setxattr(p, 'system.ntfs_attrib_be', v.to_bytes(4, 'big'), follow_symlinks=False)
# 8.3 names in their own $FILE_NAME beside the long ones, on folders and files
for d, s in (('Program Files', 'PROGRA~1'), ('Program Files (x86)', 'PROGRA~2'), ('ProgramData', 'PROGRA~3')):
    os.mkdir(f'{r}/{d}'); dos(f'{r}/{d}', s)
os.mkdir(f'{r}/Program Files/Common Files'); dos(f'{r}/Program Files/Common Files', 'COMMON~1')
for i in range(300):
    p = f'{r}/Program Files/Common Files/long file name {i:04d}.dll'
    with open(p, 'wb') as f: f.write(os.urandom(100 + i))
    dos(p, f'LO{i:04X}~1.DLL')
# a name that is its own 8.3 name (one WIN32_AND_DOS $FILE_NAME)
with open(f'{r}/README.TXT', 'w') as f: f.write('hello\n')
dos(f'{r}/README.TXT', 'README.TXT')
# hard links: to a file with an 8.3 name, and 300 names of one file (they overflow
# its record into extension records, named by an attribute list)
p = f'{r}/Program Files/linked target.exe'
with open(p, 'wb') as f: f.write(os.urandom(5000))
dos(p, 'LINKED~1.EXE')
os.link(p, f'{r}/ProgramData/link one.exe'); os.link(p, f'{r}/link two.exe')
os.mkdir(f'{r}/links')
with open(f'{r}/links/many.dat', 'wb') as f: f.write(b'x' * 3000)
for i in range(300):
    os.link(f'{r}/links/many.dat', f'{r}/links/name {i:03d} of many.dat')
# alternate data streams: a Zone.Identifier, and 200 on one file (an attribute list)
with open(f'{r}/streams.txt', 'w') as f: f.write('main\n')
os.setxattr(f'{r}/streams.txt', 'user.Zone.Identifier', b'[ZoneTransfer]\r\nZoneId=3\r\n')
with open(f'{r}/many streams.txt', 'w') as f: f.write('main\n')
for i in range(200):
    os.setxattr(f'{r}/many streams.txt', f'user.stream{i:03d}', os.urandom(40))
# reparse points: symbolic links, and a junction as Windows has one in C:\
os.symlink('Program Files', f'{r}/relative symlink')
os.symlink('/Windows/System32', f'{r}/absolute symlink')
os.mkdir(f'{r}/Documents and Settings'); dos(f'{r}/Documents and Settings', 'DOCUME~1')
sub, prn = '\\??\\C:\\Users'.encode('utf-16le'), 'C:\\Users'.encode('utf-16le')
data = (0).to_bytes(2, 'little') + len(sub).to_bytes(2, 'little') + (len(sub) + 2).to_bytes(2, 'little') \
    + len(prn).to_bytes(2, 'little') + sub + b'\0\0' + prn + b'\0\0'
os.setxattr(f'{r}/Documents and Settings', 'system.ntfs_reparse_data',
            (0xA0000003).to_bytes(4, 'little') + len(data).to_bytes(2, 'little') + b'\0\0' + data)
attrib(f'{r}/Documents and Settings', 0x2 | 0x4 | 0x10 | 0x400)
# System Volume Information, hidden and system, with what Windows keeps there
svi = f'{r}/System Volume Information'
os.mkdir(svi)
for n, size in (('tracking.log', 20480), ('IndexerVolumeGuid', 78), ('WPSettings.dat', 12),
                ('{3808876b-c176-4e48-b7ae-04046e6cc752}', 65536)):
    with open(f'{svi}/{n}', 'wb') as f: f.write(os.urandom(size))
os.makedirs(f'{svi}/SPP/OnlineMetadataCache')
attrib(svi, 0x2 | 0x4 | 0x10)
# object ids (entries of $Extend\$ObjId), as link tracking sets them
for n in ('streams.txt', 'README.TXT', 'Program Files'):
    os.setxattr(f'{r}/{n}', 'system.ntfs_object_id', os.urandom(16))
# owners and permissions of their own: 60 security descriptors more in $Secure
os.mkdir(f'{r}/Users')
for i in range(60):
    p = f'{r}/Users/user{i}.dat'
    open(p, 'w').close()
    os.chown(p, 1000 + i, 2000 + i)
    os.chmod(p, 0o600 + i % 64)
PY
PF=$(stat -c %i "$T/mnt/Program Files")
MANY=$(stat -c %i "$T/mnt/links/many.dat")
expect_eq "win.img: many.dat has 301 names" 301 "$(stat -c %h "$T/mnt/links/many.dat")"
wr_umount "$T/mnt" || wr_bail "umount win"
"$NWIN" "$T/win.img" txf && "$NWIN" "$T/win.img" usnjrnl $((32 << 20)) || nok "ntfs-windows"
ntfsinfo -F '/Program Files' "$T/win.img" >"$T/info.txt" 2>/dev/null
expect_eq "win.img: \\Program Files has a DOS and a Win32 \$FILE_NAME, link count 2" "DOS Win32 2" \
	"$(grep -o 'Namespace:.*' "$T/info.txt" | awk '{print $2}' | sort | tr '\n' ' ')$(awk '/Hard Links:/ {print $5}' "$T/info.txt")"
ntfsinfo -i "$MANY" "$T/win.img" >"$T/info.txt" 2>/dev/null
expect_eq "win.img: many.dat's names fill extension records (an attribute list)" "yes yes" \
	"$(grep -q 'ATTRIBUTE_LIST' "$T/info.txt" && echo yes) $(grep 'FILE_NAME (0x30) from mft record' "$T/info.txt" | grep -vq "record $MANY " && echo yes)"
expect_eq "win.img: \$Secure's indexes of descriptors outgrew its record" yes \
	"$(ntfsinfo -i 9 "$T/win.img" 2>/dev/null | grep -q 'INDEX_ALLOCATION' && echo yes)"
expect_eq "win.img: \$UsnJrnl:\$J is sparse, \$RmMetadata\\\$TxfLog holds its log" "yes yes" \
	"$(ntfsinfo -v -F '/$Extend/$UsnJrnl' "$T/win.img" 2>/dev/null | grep -q 'Attribute flags:.*0x8000' && echo yes) $(ntfsinfo -F '/$Extend/$RmMetadata/$TxfLog/$TxfLog.blf' "$T/win.img" >/dev/null 2>&1 && echo yes)"
check "$T/win.img" "$SAN"
expect_eq "Windows' own (8.3 names, links, 300 names, streams, junction, \$Extend...): clean" "0 " "$RC $(codes)"
expect_eq "... with no warning either" 0 "$(jq '.checks[0].warnings' "$T/out.json")"
expect_eq "... ntfsfix -n agrees" 0 "$(ntfsfix -n "$T/win.img" >/dev/null 2>&1; echo $?)"
cp --sparse=always "$T/win.img" "$T/dmg.img"
"$DMG" "$T/dmg.img" link-count "$PF" 1 || nok "ntfs-damage link-count"
check "$T/dmg.img"
expect_eq "a folder with an 8.3 name whose link count says 1: mft-link-count, its 2 names counted" \
	"4 $PF \\Program Files true" \
	"$RC $(finding mft-link-count) $(jq '.checks[0].findings | any(.message | test("it has 2 name"))' "$T/out.json")"
rm -f "$T/win.img" "$T/dmg.img"

# a fragmented volume: 1-cluster holes everywhere (2-cluster files cut to one),
# then new records ($MFT grows into them), a folder index that grows with them,
# a file and a sparse file written into them: each continues in extension records
truncate -s 40M "$T/frag.img"
mkntfs -q -F -f "$T/frag.img" >/dev/null 2>&1 && ntfs-3g "$T/frag.img" "$T/mnt" || wr_bail "frag.img"
wr_cleanup_add "umount '$T/mnt'"
python3 - "$T/mnt" <<'PY' || nok "filling frag.img"
import errno, os, sys
r = sys.argv[1]
os.mkdir(f'{r}/fill')
i = 0
while True:
    try:
        with open(f'{r}/fill/f{i}', 'wb') as f: f.write(b'\0' * 8192)
    except OSError as e:
        if e.errno != errno.ENOSPC: raise
        if os.path.exists(f'{r}/fill/f{i}'): os.unlink(f'{r}/fill/f{i}')
        break
    i += 1
for j in range(i):
    os.truncate(f'{r}/fill/f{j}', 4096)
os.mkdir(f'{r}/many')
for n in range(6000):
    open(f'{r}/many/file {n}', 'wb').close()
with open(f'{r}/big.bin', 'wb') as f: f.write(os.urandom(1500000))
with open(f'{r}/sparse.bin', 'wb') as f:
    for k in range(600):
        f.seek(k * 3 * 4096); f.write(os.urandom(4096))
PY
declare -A FR
for f in big.bin sparse.bin many fill fill/f1; do FR[$f]=$(stat -c %i "$T/mnt/$f"); done
MFTSIZE=$(stat -c %s "$T/mnt/\$MFT")
wr_umount "$T/mnt" || wr_bail "umount frag"
pieces() { "$DMG" "$T/frag.img" pieces "$@" 2>/dev/null | wc -l; }
expect_eq "frag.img: \$MFT, big.bin, sparse.bin, the two folder indexes each in several pieces" \
	"true true true true true" \
	"$(for n in "0" "${FR[big.bin]}" "${FR[sparse.bin]}" "${FR[many]} index" "${FR[fill]} index"; do
		[ "$(pieces $n)" -ge 2 ] && echo -n true || echo -n false; echo -n ' '; done | sed 's/ $//')"
check "$T/frag.img" "$SAN"
expect_eq "a fragmented volume (\$MFT, indexes, files in extension records): clean" "0 " "$RC $(codes)"
expect_eq "... with no warning either" 0 "$(jq '.checks[0].warnings' "$T/out.json")"
expect_eq "... every record of \$MFT checked" "$((MFTSIZE / 1024))" "$(jq '.checks[0].records' "$T/out.json")"
expect_eq "... ntfsfix -n agrees" 0 "$(ntfsfix -n "$T/frag.img" >/dev/null 2>&1; echo $?)"
# the fuzz harness's whole-$MFT parser, from this $MFT in pieces: records 0-31
# and the cluster of record 0's (non-resident) attribute list
python3 - "$T/frag.img" "$T/frag.mft" <<'PY' || nok "cutting the fuzz seed"
import struct, sys
img = open(sys.argv[1], 'rb')
bs = img.read(512)
cs = struct.unpack_from('<H', bs, 11)[0] * bs[13]
img.seek(struct.unpack_from('<Q', bs, 0x30)[0] * cs)
recs = img.read(32 * 1024)
r0 = bytearray(recs[:1024])
usa, n = struct.unpack_from('<HH', r0, 4)
for i in range(1, n):
    r0[i * 512 - 2:i * 512] = r0[usa + 2 * i:usa + 2 * i + 2]
p, lcn = struct.unpack_from('<H', r0, 0x14)[0], None
while struct.unpack_from('<I', r0, p)[0] not in (0x20, 0xffffffff):
    p += struct.unpack_from('<I', r0, p + 4)[0]
if struct.unpack_from('<I', r0, p)[0] == 0x20 and r0[p + 8]:
    mp = p + struct.unpack_from('<H', r0, p + 0x20)[0]
    lb, ob = r0[mp] & 15, r0[mp] >> 4
    lcn = int.from_bytes(r0[mp + 1 + lb:mp + 1 + lb + ob], 'little', signed=True)
out = bytearray(b'\x07') + recs
if lcn is not None:
    img.seek(lcn * cs)
    out += b'CLUS' + struct.pack('<I', lcn) + img.read(1016)
open(sys.argv[2], 'wb').write(out)
sys.exit(0 if lcn is not None else 1)
PY
"$FUZZ" -n 3000 "$T/frag.mft" >/dev/null 2>"$T/fuzz.err"
expect_eq "the fuzz harness on this \$MFT in pieces: 3000 mutants, no crash, no ASan/UBSan report" "0 " \
	"$? $(grep -E 'ERROR|runtime error' "$T/fuzz.err" | head -n 1)"
# damage to what is followed: REC of the nth piece (1 = the first) of a file's $DATA
piece_rec() { "$DMG" "$T/frag.img" pieces "$1" | sed -n "${2}p" | cut -d' ' -f1; }
BIG=${FR[big.bin]}
BIG2=$(piece_rec "$BIG" 2)
BIGN=$(piece_rec "$BIG" "$(pieces "$BIG")")
MFT2=$(piece_rec 0 2)
fdamaged() {
	local code=$1 rec=$2 path=$3; shift 3
	cp --sparse=always "$T/frag.img" "$T/dmg.img"
	"$DMG" "$T/dmg.img" "$@" || { nok "ntfs-damage $*"; return; }
	check "$T/dmg.img" "$SAN"
	expect_eq "fragmented, ntfs-damage $*: exit 4, $code at record $rec ($path)" "4 $rec $path" \
		"$RC $(finding "$code")"
}
fdamaged clusters-cross-linked "$BIG" '\big.bin' piece-lcn "$BIG2" "$("$DMG" "$T/frag.img" lcn "${FR[fill/f1]}")"
expect_match "... naming the other file's record too" "Records ${FR[fill/f1]} and $BIG both own" \
	"$(jq -r '.checks[0].findings[] | select(.code == "clusters-cross-linked") | .message' "$T/out.json")"
fdamaged mft-attrlist-entry "$BIG" '\big.bin' free "$BIG2"
expect_match "... a record not in use" "places attribute type 0x80 in record $BIG2, a record not in use" \
	"$(jq -r '.checks[0].findings[] | select(.code == "mft-attrlist-entry") | .message' "$T/out.json")"
fdamaged mft-attr-sizes "$BIG" '\big.bin' alloc-size "$BIG" 40960
expect_match "... the pieces' records named" "pieces \\(records $BIG to $BIGN\\) map" \
	"$(jq -r '.checks[0].findings[] | select(.code == "mft-attr-sizes") | .message' "$T/out.json")"
fdamaged mft-attr-extents "$BIG" '\big.bin' piece-shift "$BIGN" 1
fdamaged mft-data-unmapped 0 null baad "$MFT2"
expect_eq "... and the torn record itself: mft-record-baad" "$MFT2 null" "$(finding mft-record-baad)"
rm -f "$T/frag.img" "$T/dmg.img"

# damage KIND ARGS... ; then: EXPECTED-CODE EXPECTED-RECORD EXPECTED-PATH
damaged() {
	local code=$1 rec=$2 path=$3; shift 3
	cp --sparse=always "$T/made.img" "$T/dmg.img"
	"$DMG" "$T/dmg.img" "$@" || { nok "ntfs-damage $*"; return; }
	check "$T/dmg.img"
	expect_eq "ntfs-damage $*: exit 4, $code at record $rec ($path)" "4 $rec $path" "$RC $(finding "$code")"
}
damaged mft-link-count "${INO[c.txt]}" '\docs\c.txt' link-count "${INO[c.txt]}" 2
damaged mft-orphan "${INO[gone.txt]}" '\docs\gone.txt' in-use "${INO[gone.txt]}"
damaged bitmap-free-in-use "${INO[a.bin]}" '\docs\a.bin' bitmap-clear "${INO[a.bin]}"
damaged clusters-cross-linked "${INO[b.bin]}" '\docs\b.bin' cross-link "${INO[a.bin]}" "${INO[b.bin]}"
damaged index-entry-dangling "$DOCS" '\docs' index-ref "$DOCS" c.txt 4000
damaged index-entry-name "$DOCS" '\docs' index-ref "$DOCS" c.txt "${INO[a.bin]}"
damaged mft-sequence "${INO[c.txt]}" '\docs\c.txt' sequence "${INO[c.txt]}" 0

# ---------------------------------------------------------------- (c) NTFS states
for st in "logfile unclean:logfile-unclean" "logfile fast-restart:logfile-fast-restart" \
	  "dirty set:volume-dirty" "logfile empty:"; do
	cp --sparse=always "$T/made.img" "$T/st.img"
	"$WR_NTFS_STATE" "$T/st.img" ${st%%:*} >/dev/null || { nok "ntfs-state ${st%%:*}"; continue; }
	check "$T/st.img"
	w=${st#*:}
	expect_eq "state ${st%%:*}: exit 0, no error${w:+, warning $w}" "0  ${w:+true}" \
		"$RC $(codes) $([ -n "$w" ] && has_code "$w" && echo true)"
done
cp --sparse=always "$T/made.img" "$T/hib.img"
ntfs-3g "$T/hib.img" "$T/mnt" && printf 'hibr' >"$T/mnt/hiberfil.sys" && wr_umount "$T/mnt" ||
	nok "hiberfil.sys"
check "$T/hib.img"
expect_eq "hibernated: exit 0 with the warning" "0 true" "$RC $(has_code hibernated && echo true)"
expect_eq "hibernated: in the JSON" true "$(jq -r '.checks[0].hibernated' "$T/out.json")"

# ---------------------------------------------------------------- (d) devices
make_states_disk "$T/states.img" || wr_bail "make_states_disk"
wr_attach_to ST "$T/states.img" || wr_bail "attach states"
declare -A SP
for i in "${!WR_STATES[@]}"; do SP[${WR_STATES[$i]}]=$(_wrd_part "$ST" $((i + 1))); done
check "${SP[healthy]}"
expect_eq "a healthy partition of a loop disk: clean" "0 " "$RC $(codes)"
check "${SP[mftmirr]}"
expect_eq "the states disk's mftmirr partition: mftmirr-differs" "4 true" "$RC $(has_code mftmirr-differs && echo true)"
check "${SP[bootsector]}"
expect_eq "the states disk's bootsector partition: the backup named" "4 true" \
	"$RC $(jq -e '.checks[0].findings | any(.code | startswith("bs-"))' "$T/out.json" >/dev/null && echo true)"
# mounted read-write: refused, naming where (the driver changes it under the checker)
wr_mount_ntfs "${SP[healthy]}" "$T/mnt" || nok "mount"
"$WR_BIN" check "${SP[healthy]}" >"$T/o.txt" 2>"$T/e.txt"
expect_eq "a volume mounted read-write: refused (exit 32)" 32 $?
expect_match "a volume mounted read-write: says where and what to do" \
	"mounted at $T/mnt read-write.*[Uu]nmount it first \\(winrescue umount ${SP[healthy]}" \
	"$(tr '\n' ' ' <"$T/e.txt")"
"$WR_BIN" check --json "${SP[healthy]}" >"$T/o.json" 2>/dev/null
expect_eq "a volume mounted read-write: code mounted-rw" mounted-rw "$(jq -r .code "$T/o.json")"
wr_umount "$T/mnt"
# mounted read-only (by hand, ntfs-3g -o ro): nothing writes to it, so it is
# checked as it is, the mount left alone and the volume unchanged
before=$(sha256sum "${SP[healthy]}" | cut -c1-64)
wr_mount_ntfs "${SP[healthy]}" "$T/mnt" ro || nok "mount ro"
"$WR_BIN" check "${SP[healthy]}" >"$T/o.txt" 2>"$T/e.txt"
expect_eq "a volume mounted read-only: checked (exit 0)" 0 $?
expect_match "... its verdict" "^${SP[healthy]}: NTFS has no errors" "$(cat "$T/o.txt")"
expect_match "... says it was checked while mounted read-only" \
	"Warning: ${SP[healthy]} was checked while mounted read-only at $T/mnt" "$(cat "$T/e.txt")"
expect_eq "... still mounted read-only" "$T/mnt ro" \
	"$(awk -v d="${SP[healthy]}" '$1 == d { split($4, o, ","); print $2, o[1] }' /proc/mounts)"
wr_umount "$T/mnt"
expect_eq "... the volume unchanged (sha256)" "$before" "$(sha256sum "${SP[healthy]}" | cut -c1-64)"
# a damaged volume mounted read-only: its errors found as they are on the disk
wr_mount_ntfs "${SP[bootsector]}" "$T/mnt" ro || nok "mount bootsector ro"
check "${SP[bootsector]}"
expect_eq "a damaged volume mounted read-only: its errors (exit 4)" "4 true" \
	"$RC $(jq -e '.checks[0].findings | any(.code | startswith("bs-"))' "$T/out.json" >/dev/null && echo true)"
wr_umount "$T/mnt"
# held open exclusively by a process (as a running fsck holds it): refused, naming it
"$DMG" "${SP[healthy]}" hold 300 &
hpid=$!
wr_cleanup_add "kill $hpid"
sleep 0.5
"$WR_BIN" check "${SP[healthy]}" >/dev/null 2>"$T/e.txt"
expect_eq "a volume another program holds exclusively: refused (exit 32)" 32 $?
expect_match "... naming the program and its pid" "held open by ntfs-damage \\(pid $hpid\\)" "$(cat "$T/e.txt")"
kill $hpid 2>/dev/null
wait $hpid 2>/dev/null
# winrescue's own read-only mount of ext4 (libmount, noload): e2fsck -n reads it as it is
truncate -s 32M "$T/ext-ro.img"
mkfs.ext4 -q -F -L extro "$T/ext-ro.img" || wr_bail "mkfs.ext4 ext-ro"
wr_attach_to EXTRO "$T/ext-ro.img" || wr_bail "attach ext-ro"
"$WR_BIN" mount --log "$T/mount-audit.jsonl" --at "$T/mnt-ext" "$EXTRO" >/dev/null 2>&1 && wr_cleanup_add "umount '$T/mnt-ext'" ||
	nok "winrescue mount of the ext4 volume"
check "$EXTRO"
expect_eq "ext4 mounted read-only by winrescue: e2fsck -n says clean" "0 e2fsck clean" \
	"$RC $(jq -r '.checks[0] | "\(.checker) \(.verdict)"' "$T/out.json")"
wr_umount "$T/mnt-ext"
wr_release "$EXTRO"
# ext4 through e2fsck -n
truncate -s 32M "$T/ext.img"
mkfs.ext4 -q -F "$T/ext.img" || wr_bail "mkfs.ext4"
check "$T/ext.img"
expect_eq "ext4 image: e2fsck -n says clean" "0 e2fsck clean" \
	"$RC $(jq -r '.checks[0] | "\(.checker) \(.verdict)"' "$T/out.json")"
printf '\xff\xff\xff\xff' | dd of="$T/ext.img" bs=1 seek=$((1024 + 0x4c)) conv=notrunc status=none
dd if=/dev/zero of="$T/ext.img" bs=1024 seek=2 count=2 conv=notrunc status=none
check "$T/ext.img"
expect_eq "damaged ext4 image: errors (exit 4 or 8)" true "$([ "$RC" = 4 ] || [ "$RC" = 8 ]; echo $([ $? = 0 ] && echo true))"
# all: every non-rescue volume that has a checker, of the disks named (this
# suite's own: the volumes of other disks attached beside are not read)
"$WR_BIN" check --json all "$ST" >"$T/all.json" 2>/dev/null
rc=$?
expect_eq "check all: exit 4 (the damaged partitions) " 4 "$((rc & 4))"
expect_eq "check all: the healthy partition among them, clean" 0 \
	"$(jq -r --arg d "${SP[healthy]}" '.checks[] | select(.device == $d) | .status' "$T/all.json")"
expect_eq "check all $ST: the volumes of that disk only, every one of them" \
	"true ${#WR_STATES[@]}" "$(jq -r --arg p "${ST}p" '"\([.checks[].device | startswith($p)] | all) \(.checks | length)"' "$T/all.json")"
wr_mount_ntfs "${SP[healthy]}" "$T/mnt" || nok "mount"
"$WR_BIN" check all "$ST" >/dev/null 2>"$T/e.txt"
expect_match "check all: a volume mounted read-write is skipped, named in a warning" \
	"Warning: Not checked: ${SP[healthy]} is already mounted at $T/mnt" "$(cat "$T/e.txt")"
wr_umount "$T/mnt"
wr_mount_ntfs "${SP[healthy]}" "$T/mnt" ro || nok "mount"
"$WR_BIN" check --json all "$ST" >"$T/all.json" 2>/dev/null
expect_eq "check all: a volume mounted read-only is checked, clean" 0 \
	"$(jq -r --arg d "${SP[healthy]}" '.checks[] | select(.device == $d) | .status' "$T/all.json")"
wr_umount "$T/mnt"
"$WR_BIN" check --progress "${SP[healthy]}" >/dev/null 2>"$T/p.txt"
expect_eq "--progress: one line per pass on stderr" 7 "$(grep -c 'pass [1-7] of 7' "$T/p.txt")"

# ---------------------------------------------------------------- (e) bad input
head -c $((40 * 1024 * 1024)) "$T/made.img" >"$T/short.img"
check "$T/short.img"
expect_eq "a truncated image: ntfs-truncated, exit 4" "4 true" "$RC $(has_code ntfs-truncated && echo true)"
expect_match "a truncated image: both sizes given" "needs 67108864 bytes.*holds 41943040" \
	"$(jq -r '.checks[0].findings[] | select(.code == "ntfs-truncated") | .message' "$T/out.json")"
"$WR_BIN" check /dev/no-such-disk >/dev/null 2>"$T/e.txt"
expect_eq "an unknown volume: exit 16" 16 $?
head -c 1048576 /dev/urandom >"$T/random.img"
"$WR_BIN" check "$T/random.img" >/dev/null 2>"$T/e.txt"
expect_eq "a file that is no file system: exit 16, one line naming it" "16 1" \
	"$? $(grep -c "$T/random.img" "$T/e.txt")"
"$WR_BIN" check >/dev/null 2>&1
expect_eq "no volume named: exit 16" 16 $?
# an 8 GiB (sparse) image whose clusters per MFT record is -30: libblkid's NTFS
# prober would read two 1 GiB records (2.1 GiB, 20 s in process); the image's
# probe runs in a probe worker under the memory limit, and the checker still
# judges it from the intact backup boot sector
truncate -s 8G "$T/crafted.img"
mkntfs -F -q -f -Q "$T/crafted.img" >/dev/null 2>&1 || nok "mkntfs crafted"
printf '\xe2' | dd of="$T/crafted.img" bs=1 seek=64 conv=notrunc status=none
WINRESCUE_PROBE_MEM_MB=256 /usr/bin/time -f %M -o "$T/rss.txt" timeout 120 "$WR_BIN" check --json \
	"$T/crafted.img" >"$T/out.json" 2>"$T/err.txt"
RC=$?
expect_eq "a crafted MFT record size on an 8 GiB image: exit 4, bs-mft-record-size" "4 true" \
	"$RC $(has_code bs-mft-record-size && echo true)"
rss=$(tail -n 1 "$T/rss.txt")
[ "${rss:-999999999}" -lt 300000 ] && ok "... within the probe memory limit (peak RSS $rss KiB)" ||
	nok "... peak RSS ${rss:-unknown} KiB: the image was not probed under the limit"
rm -f "$T/crafted.img"
expect_eq "check wrote nothing to the audit log (read-only)" 0 "$(cat "$WINRESCUE_LOG" 2>/dev/null | wc -l)"

wr_run_cleanup
wr_finish
