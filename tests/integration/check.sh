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
#   (c) every NTFS state of the inventory tests: warnings, never errors;
#   (d) the same through loop devices: a partition, `all`, a mounted volume
#       refused (exit 32) naming the mount, a volume held open by a process
#       refused naming it; ext4 through e2fsck -n; --json, --progress;
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
wr_require_tools jq sfdisk losetup partx mkntfs ntfs-3g mkfs.ext4 sha256sum timeout e2fsck /usr/bin/time
[ -x "$WR_BIN" ] || wr_bail "$WR_BIN not built"
SAN=${WR_SAN_BIN:-$WR_ROOT/build/san/winrescue}
DMG=${WR_NTFS_DAMAGE:-$WR_ROOT/build/tests/ntfs-damage}
for t in "$SAN" "$DMG" "$WR_NTFS_STATE"; do
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
	"$("$WR_BIN" list --json | jq -r --arg d "$BPS" '.disks[] | select(.path == $d) | .ntfs.bootsector_detail')"
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
# mounted: refused, naming where
wr_mount_ntfs "${SP[healthy]}" "$T/mnt" ro || nok "mount"
"$WR_BIN" check "${SP[healthy]}" >"$T/o.txt" 2>"$T/e.txt"
expect_eq "a mounted volume: refused (exit 32)" 32 $?
expect_match "a mounted volume: says where and what to do" "mounted at $T/mnt.*[Uu]nmount it first \\(winrescue umount ${SP[healthy]}" \
	"$(tr '\n' ' ' <"$T/e.txt")"
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
ntfs-3g "${SP[healthy]}" "$T/mnt" -o ro && wr_cleanup_add "umount '$T/mnt'"
"$WR_BIN" check "${SP[healthy]}" >/dev/null 2>"$T/e.txt"
expect_eq "a volume ntfs-3g holds: refused (exit 32)" 32 $?
wr_umount "$T/mnt"
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
# all: every non-rescue volume that has a checker
"$WR_BIN" check --json all >"$T/all.json" 2>/dev/null
rc=$?
expect_eq "check all: exit 4 (the damaged partitions) " 4 "$((rc & 4))"
expect_eq "check all: the healthy partition among them, clean" 0 \
	"$(jq -r --arg d "${SP[healthy]}" '.checks[] | select(.device == $d) | .status' "$T/all.json")"
wr_mount_ntfs "${SP[healthy]}" "$T/mnt" ro || nok "mount"
"$WR_BIN" check all >/dev/null 2>"$T/e.txt"
expect_match "check all: a mounted volume is skipped, named in a warning" \
	"Warning: Not checked: ${SP[healthy]} is already mounted at $T/mnt" "$(cat "$T/e.txt")"
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
