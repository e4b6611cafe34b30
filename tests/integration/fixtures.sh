#!/bin/bash
# tests/integration/fixtures.sh - `winrescue list --json` against real-world images
# that this project did not make ($WINRESCUE_FIXTURES, read in place):
#
#  (a) blkid/*.img.xz: util-linux's own images; every field winrescue reports for
#      the loop device must agree with util-linux's X.expected (blkid -p output).
#  (b) disks/fs.multiple.xz: a real MBR disk with btrfs/ext4/exFAT/NTFS partitions.
#  (c) ntfs-corrupt/*.img.tar.xz: 2 clean + 24 deliberately damaged NTFS volumes,
#      all attached at once: everything lists, clean ones carry no error, and a
#      table of what winrescue reports for each damaged one.
#
# Every image is decompressed to a scratch directory, attached read-write (so a
# stray write would show) and must be byte-identical (sha256) after listing.
# Needs root, loop devices; run as root: tests/integration/fixtures.sh

. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/../lib-json.sh"

wr_require_root_loop_fuse
wr_require_fixtures
if [ ! -x "$WR_BIN" ]; then
	nok "winrescue binary not found at $WR_BIN (run make all)"
	wr_finish
	exit
fi

FX=$WINRESCUE_FIXTURES
wr_tmpdir_to T || { nok "mktemp"; wr_finish; exit; }
declare -A SHA DEV

# ---------------------------------------------------------------- attach
# (a) util-linux images
for xzf in "$FX"/blkid/*.img.xz; do
	n=$(basename "$xzf" .img.xz)
	wr_unxz "$xzf" "$T/$n.img" || { nok "decompress $n"; continue; }
	SHA[$n]=$(wr_sha "$T/$n.img")
	wr_attach_to "DEV[$n]" "$T/$n.img" || { nok "attach $n"; unset 'DEV[$n]'; }
done
# (b) the forensics-samples disk
wr_unxz "$FX/disks/fs.multiple.xz" "$T/fs.multiple.img"
SHA[fs.multiple]=$(wr_sha "$T/fs.multiple.img")
wr_attach_to "DEV[fs.multiple]" "$T/fs.multiple.img" || nok "attach fs.multiple"

if [ "${#DEV[@]}" -lt 10 ]; then
	nok "could not attach all (a)/(b) images (${#DEV[@]} of 10)"
fi

# ---------------------------------------------------------------- list (a)+(b)
echo "# ${#DEV[@]} fixture disks"
# this suite's own disks (others attached beside are neither read nor counted)
# shellcheck disable=SC2046
wr_list "$T/ab" -- $(wr_own_disks "$T")
wr_list_checks "list with util-linux and forensics images" "$T/ab"
L=$T/ab

# ---------------------------------------------------------------- (a) filesystem images
for exp in "$FX"/blkid/*.expected; do
	n=$(basename "$exp" .expected)
	case $n in pt-*) continue ;; esac
	d=${DEV[$n]:-}
	[ -n "$d" ] || { nok "$n: not attached"; continue; }
	unset E
	declare -A E=()
	while IFS='=' read -r k v; do
		[ -n "$k" ] && E[$k]=$v
	done <"$exp"
	w="$n ($d)"

	expect_eq "$w: disk present" "$d" "$(jdisk "$L" "$d" .path)"
	expect_eq "$w: disk error" null "$(jdisk "$L" "$d" .error)"
	expect_eq "$w: size" "$(stat -c %s "$T/$n.img")" "$(jdisk "$L" "$d" .size)"
	expect_eq "$w: pttype (ID_PART_TABLE_TYPE)" "${E[ID_PART_TABLE_TYPE]:-null}" "$(jdisk "$L" "$d" .pttype)"
	expect_eq "$w: ptuuid (ID_PART_TABLE_UUID)" "${E[ID_PART_TABLE_UUID]:-null}" "$(jdisk "$L" "$d" .ptuuid)"
	expect_eq "$w: whole-disk volume, no partitions" 0 "$(jdisk "$L" "$d" '.partitions | length')"
	expect_eq "$w: fstype (ID_FS_TYPE)" "${E[ID_FS_TYPE]}" "$(jdisk "$L" "$d" .fstype)"
	if [ -n "${E[ID_FS_LABEL_ENC]:-}" ]; then
		label=$(wr_udev_decode "${E[ID_FS_LABEL_ENC]}")
	else
		label=null
	fi
	expect_eq "$w: label (ID_FS_LABEL_ENC)" "$label" "$(jdisk "$L" "$d" .label)"
	uuid=null
	[ -n "${E[ID_FS_UUID_ENC]:-}" ] && uuid=$(wr_udev_decode "${E[ID_FS_UUID_ENC]}")
	expect_eq "$w: uuid (ID_FS_UUID)" "$uuid" "$(jdisk "$L" "$d" .uuid)"
	case ${E[ID_FS_TYPE]} in
	ntfs | vfat | exfat) role=data ;;
	*) role=other ;;
	esac
	expect_eq "$w: volume_role (no Windows on it)" "$role" "$(jdisk "$L" "$d" .volume_role)"
	expect_eq "$w: not in use" "[]" "$(jdisk "$L" "$d" '.mountpoints | tojson')"

	if [ "${E[ID_FS_TYPE]}" = ntfs ]; then
		info=$(ntfsinfo -m "$T/$n.img" 2>/dev/null)
		ver=$(printf '%s\n' "$info" | sed -n 's/^[[:space:]]*Volume Version: //p')
		recsz=$(printf '%s\n' "$info" | sed -n 's/^[[:space:]]*MFT Record Size: //p')
		flags=$(printf '%s\n' "$info" | sed -n 's/^[[:space:]]*Volume Flags: //p')
		dirty=false
		[ $((flags & 1)) = 1 ] && dirty=true
		expect_eq "$w: ntfs.opened" true "$(jdisk "$L" "$d" .ntfs.opened)"
		expect_eq "$w: ntfs.error" null "$(jdisk "$L" "$d" .ntfs.error)"
		expect_eq "$w: ntfs.cluster_size (ID_FS_FSBLOCKSIZE)" "${E[ID_FS_FSBLOCKSIZE]}" "$(jdisk "$L" "$d" .ntfs.cluster_size)"
		expect_eq "$w: ntfs.sector_size (ID_FS_BLOCK_SIZE)" "${E[ID_FS_BLOCK_SIZE]}" "$(jdisk "$L" "$d" .ntfs.sector_size)"
		expect_eq "$w: ntfs.size (ID_FS_FSSIZE)" "${E[ID_FS_FSSIZE]}" "$(jdisk "$L" "$d" .ntfs.size)"
		expect_eq "$w: ntfs.label exact UTF-8" "$label" "$(jdisk "$L" "$d" .ntfs.label)"
		expect_eq "$w: ntfs.serial (ID_FS_UUID, lower-case)" "${uuid,,}" "$(jdisk "$L" "$d" .ntfs.serial)"
		expect_eq "$w: ntfs.version (ntfsinfo)" "$ver" "$(jdisk "$L" "$d" .ntfs.version)"
		expect_eq "$w: ntfs.mft_record_size (ntfsinfo)" "$recsz" "$(jdisk "$L" "$d" .ntfs.mft_record_size)"
		expect_eq "$w: ntfs.dirty (ntfsinfo flags $flags)" "$dirty" "$(jdisk "$L" "$d" .ntfs.dirty)"
		expect_eq "$w: ntfs.windows" false "$(jdisk "$L" "$d" .ntfs.windows)"
		# the raw JSON must carry the label as UTF-8 text or \u escapes, never mangled
		expect_eq "$w: label in raw JSON decodes to the same UTF-8 bytes" \
			"$(printf '%s' "$label" | od -An -tx1 | tr -d ' \n')" \
			"$(jdisk "$L" "$d" .label | tr -d '\n' | od -An -tx1 | tr -d ' \n')"
	else
		expect_eq "$w: no ntfs object" null "$(jdisk "$L" "$d" .ntfs)"
	fi
done

# ---------------------------------------------------------------- (a) partition-table images
# util-linux's pt expected format:
#   size: 10485760, sector size: 512, PT: gpt, offset: 512, id=dd27f98d-...
#   #1:         34       2014  0x0 name='ThisIsName' uuid='...' type='ebd0a0a2-...'
#   #5:       7936       4864  0x7 (freebsd)        <- nested (BSD) slice
for exp in "$FX"/blkid/pt-*.expected; do
	n=$(basename "$exp" .expected)
	d=${DEV[$n]:-}
	[ -n "$d" ] || { nok "$n: not attached"; continue; }
	w="$n ($d)"
	hdr=$(head -1 "$exp")
	size=$(sed -n 's/^size: \([0-9]*\),.*/\1/p' <<<"$hdr")
	ssz=$(sed -n 's/.*sector size: \([0-9]*\),.*/\1/p' <<<"$hdr")
	pt=$(sed -n 's/.*PT: \([a-z]*\),.*/\1/p' <<<"$hdr")
	id=$(sed -n 's/.*id=\([0-9a-f-]*\).*/\1/p' <<<"$hdr")

	expect_eq "$w: disk present" "$d" "$(jdisk "$L" "$d" .path)"
	expect_eq "$w: disk error" null "$(jdisk "$L" "$d" .error)"
	expect_eq "$w: size" "$size" "$(jdisk "$L" "$d" .size)"
	expect_eq "$w: log_sec" "$ssz" "$(jdisk "$L" "$d" .log_sec)"
	expect_eq "$w: pttype" "$pt" "$(jdisk "$L" "$d" .pttype)"
	expect_eq "$w: ptuuid" "$id" "$(jdisk "$L" "$d" .ptuuid)"
	expect_eq "$w: no pt_warnings" 0 "$(jdisk "$L" "$d" '.pt_warnings | length')"

	nprimary=0 nall=0
	while read -r line; do
		[[ $line =~ ^#([0-9]+):[[:space:]]+([0-9]+)[[:space:]]+([0-9]+)[[:space:]]+(0x[0-9a-f]+)(.*)$ ]] || continue
		num=${BASH_REMATCH[1]} start=$((BASH_REMATCH[2] * ssz)) psize=$((BASH_REMATCH[3] * ssz))
		code=${BASH_REMATCH[4]} rest=${BASH_REMATCH[5]}
		nall=$((nall + 1))
		sel=".partitions | map(select(.number == $num))"
		if [[ $rest == *"("*")"* ]]; then
			# nested BSD slice: libblkid sees it; the kernel and libfdisk may not.
			# When winrescue lists it, it must be where util-linux says.
			got=$(jdisk "$L" "$d" "$sel | length")
			if [ "$got" = 0 ]; then
				echo "# $w: nested slice #$num$rest not listed (kernel node: $([ -e "${d}p$num" ] && echo yes || echo no))"
			else
				expect_eq "$w: nested #$num start" "$start" "$(jdisk "$L" "$d" "$sel | .[0].start")"
				expect_eq "$w: nested #$num size" "$psize" "$(jdisk "$L" "$d" "$sel | .[0].size")"
			fi
			continue
		fi
		nprimary=$((nprimary + 1))
		expect_eq "$w: partition #$num listed once" 1 "$(jdisk "$L" "$d" "$sel | length")"
		expect_eq "$w: #$num path" "${d}p$num" "$(jdisk "$L" "$d" "$sel | .[0].path")"
		expect_eq "$w: #$num start (bytes)" "$start" "$(jdisk "$L" "$d" "$sel | .[0].start")"
		expect_eq "$w: #$num size (bytes)" "$psize" "$(jdisk "$L" "$d" "$sel | .[0].size")"
		expect_eq "$w: #$num error" null "$(jdisk "$L" "$d" "$sel | .[0].error")"
		if [ "$pt" = gpt ]; then
			ptype=$(sed -n "s/.* type='\([^']*\)'.*/\1/p" <<<"$rest")
			expect_eq "$w: #$num parttype" "$ptype" "$(jdisk "$L" "$d" "$sel | .[0].parttype")"
			name=$(sed -n "s/.* name='\([^']*\)'.*/\1/p" <<<"$rest")
			expect_eq "$w: #$num partlabel" "$name" "$(jdisk "$L" "$d" "$sel | .[0].partlabel")"
		else
			expect_eq "$w: #$num parttype" "$code" "$(jdisk "$L" "$d" "$sel | .[0].parttype")"
		fi
		puuid=$(sed -n "s/.* uuid='\([^']*\)'.*/\1/p" <<<"$rest")
		expect_eq "$w: #$num partuuid" "$puuid" "$(jdisk "$L" "$d" "$sel | .[0].partuuid")"
	done <"$exp"
	cnt=$(jdisk "$L" "$d" '.partitions | length')
	if [ "$cnt" -ge "$nprimary" ] 2>/dev/null && [ "$cnt" -le "$nall" ]; then
		ok "$w: $cnt partitions listed (util-linux: $nprimary primary, $nall with nested)"
	else
		nok "$w: $cnt partitions listed, util-linux has $nprimary primary ($nall with nested)"
	fi
	echo "# $w: whole-disk fstype=$(jdisk "$L" "$d" .fstype) (blkid -p: $(blkid -p -o value -s TYPE "$T/$n.img" 2>/dev/null | tr '\n' ' ')) findings=[$(jfind "$L" "$d")]"
done

# ---------------------------------------------------------------- (b) fs.multiple
d=${DEV[fs.multiple]}
w="fs.multiple ($d)"
expect_eq "$w: disk present" "$d" "$(jdisk "$L" "$d" .path)"
expect_eq "$w: disk error" null "$(jdisk "$L" "$d" .error)"
expect_eq "$w: size (250 MiB)" 262144000 "$(jdisk "$L" "$d" .size)"
expect_eq "$w: pttype" dos "$(jdisk "$L" "$d" .pttype)"
expect_eq "$w: ptuuid" 8350c7f6 "$(jdisk "$L" "$d" .ptuuid)"
expect_eq "$w: whole-disk fstype" null "$(jdisk "$L" "$d" .fstype)"
expect_eq "$w: 4 partitions" 4 "$(jdisk "$L" "$d" '.partitions | length')"
sectors=(2048 227328 309248 391168)
fstypes=(btrfs ext4 exfat ntfs)
codes=(0x83 0x83 0x7 0x7)
roles=(other other data data)
for i in 0 1 2 3; do
	num=$((i + 1)) p=${d}p$((i + 1))
	sz=$(sfdisk -J "$T/fs.multiple.img" | jq ".partitiontable.partitions[$i].size")
	expect_eq "$w: p$num path" "$p" "$(jdisk "$L" "$d" ".partitions | map(select(.number == $num)) | .[0].path")"
	expect_eq "$w: p$num start (bytes)" $((sectors[i] * 512)) "$(jpart "$L" "$p" .start)"
	expect_eq "$w: p$num size (bytes)" $((sz * 512)) "$(jpart "$L" "$p" .size)"
	expect_eq "$w: p$num parttype" "${codes[i]}" "$(jpart "$L" "$p" .parttype)"
	expect_eq "$w: p$num partuuid" "8350c7f6-0$num" "$(jpart "$L" "$p" .partuuid)"
	expect_eq "$w: p$num fstype" "${fstypes[i]}" "$(jpart "$L" "$p" .fstype)"
	expect_eq "$w: p$num uuid (blkid -p)" "$(blkid -p -o value -s UUID "$p")" "$(jpart "$L" "$p" .uuid)"
	expect_eq "$w: p$num error" null "$(jpart "$L" "$p" .error)"
	expect_eq "$w: p$num role" "${roles[i]}" "$(jpart "$L" "$p" .role)"
	expect_eq "$w: p$num not in use" false "$(jpart "$L" "$p" .in_use)"
done
p=${d}p4
expect_eq "$w: p4 ntfs.opened" true "$(jpart "$L" "$p" .ntfs.opened)"
expect_eq "$w: p4 ntfs.error" null "$(jpart "$L" "$p" .ntfs.error)"
expect_eq "$w: p4 ntfs.serial" "$(blkid -p -o value -s UUID "$p" | tr A-F a-f)" "$(jpart "$L" "$p" .ntfs.serial)"
expect_eq "$w: p1..p3 carry no ntfs object" "null null null" \
	"$(jpart "$L" "${d}p1" .ntfs) $(jpart "$L" "${d}p2" .ntfs) $(jpart "$L" "${d}p3" .ntfs)"
# free space is real free space: inside the disk, overlapping no partition
expect_eq "$w: unallocated regions lie inside the disk and outside every partition" true \
	"$(jdisk "$L" "$d" '. as $k | [.unallocated[] as $u | ($u.start >= 0 and $u.size > 0
		and $u.start + $u.size <= $k.size
		and all($k.partitions[]; .start >= $u.start + $u.size or .start + .size <= $u.start))] | all')"

expect_eq "$w: image unchanged after listing (sha256)" "${SHA[fs.multiple]}" "$(wr_sha "$T/fs.multiple.img")"

# ---------------------------------------------------------------- (c) ntfs-corrupt
declare -A CDEV
for tx in "$FX"/ntfs-corrupt/*.img.tar.xz; do
	n=$(basename "$tx" .img.tar.xz)
	members=$(tar -tJf "$tx" | grep -c -v '/$')
	if [ "$members" != 1 ]; then
		nok "$n: tar holds $members files, expected one image"
		continue
	fi
	tar -xJOf "$tx" | cp --sparse=always /dev/stdin "$T/$n.img" || { nok "$n: extract"; continue; }
	SHA[$n]=$(wr_sha "$T/$n.img")
	wr_attach_to "CDEV[$n]" "$T/$n.img" || { nok "$n: attach"; unset 'CDEV[$n]'; }
done
ncorrupt=$(ls "$FX"/ntfs-corrupt/*.img.tar.xz | wc -l)
expect_eq "ntfs-corrupt: all $ncorrupt images attached at once" "$ncorrupt" "${#CDEV[@]}"

echo "# $((${#DEV[@]} + ${#CDEV[@]})) fixture disks"
# shellcheck disable=SC2046
wr_list "$T/c" -- $(wr_own_disks "$T")
wr_list_checks "list with all ntfs-corrupt images attached" "$T/c"
L=$T/c

missing=""
for n in "${!CDEV[@]}"; do
	[ "$(jdisk "$L" "${CDEV[$n]}" .path)" = "${CDEV[$n]}" ] || missing="$missing $n(${CDEV[$n]})"
done
expect_eq "ntfs-corrupt: every image listed" "" "${missing# }"
# the (a)/(b) devices are still attached: they must still list after the damaged ones appear
missing=""
for n in "${!DEV[@]}"; do
	[ "$(jdisk "$L" "${DEV[$n]}" .error)" = null ] || missing="$missing $n"
done
expect_eq "ntfs-corrupt: healthy neighbours still list without error" "" "${missing# }"

for n in clean-ntfs_default clean-formatted_on_windows; do
	d=${CDEV[$n]:-}
	[ -n "$d" ] || { nok "$n: not attached"; continue; }
	w="$n ($d)"
	expect_eq "$w: fstype" ntfs "$(jdisk "$L" "$d" .fstype)"
	expect_eq "$w: disk error" null "$(jdisk "$L" "$d" .error)"
	expect_eq "$w: pttype (blkid -p: no partition table)" null "$(jdisk "$L" "$d" .pttype)"
	expect_eq "$w: no finding of severity error" "" \
		"$(jfind "$L" "$d" | tr ',' '\n' | grep '^error:' | sort -u | tr '\n' ' ')"
	expect_eq "$w: ntfs.opened" true "$(jdisk "$L" "$d" .ntfs.opened)"
	expect_eq "$w: ntfs.error" null "$(jdisk "$L" "$d" .ntfs.error)"
	expect_eq "$w: no ntfs-* error finding" "" \
		"$(jfind "$L" "$d" | tr ',' '\n' | grep '^error:ntfs-' | tr '\n' ' ')"
	expect_eq "$w: no probe-error finding" "" \
		"$(jfind "$L" "$d" | tr ',' '\n' | grep ':probe-error' | tr '\n' ' ')"
	expect_eq "$w: mftmirr_ok" true "$(jdisk "$L" "$d" .ntfs.mftmirr_ok)"
	expect_eq "$w: bootsector_ok" true "$(jdisk "$L" "$d" .ntfs.bootsector_ok)"
done

echo "#"
echo "# What winrescue list reports for each damaged NTFS image"
echo "# (reference columns: blkid -p TYPE, whether ntfs-3g opens it: ntfsinfo -f; findings: code x count)"
printf '# %-36s %-6s %-6s %-6s %-7s %-7s %-7s %-30s %s\n' image blkid ntfs3g fstype opened mirr_ok bs_ok findings "error (disk | ntfs)"
for n in $(printf '%s\n' "${!CDEV[@]}" | sort); do
	case $n in bad-*) ;; *) continue ;; esac
	d=${CDEV[$n]}
	bt=$(blkid -p -o value -s TYPE "$T/$n.img" 2>/dev/null)
	if ntfsinfo -f -m "$T/$n.img" >/dev/null 2>&1; then n3=opens; else n3=fails; fi
	printf '# %-36s %-6s %-6s %-6s %-7s %-7s %-7s %-30s %s | %s\n' "${n#bad-}" "${bt:--}" "$n3" \
		"$(jdisk "$L" "$d" .fstype)" "$(jdisk "$L" "$d" .ntfs.opened)" \
		"$(jdisk "$L" "$d" .ntfs.mftmirr_ok)" "$(jdisk "$L" "$d" .ntfs.bootsector_ok)" \
		"$(jfind "$L" "$d" | tr ',' '\n' | sed 's/^[a-z]*://' | sort | uniq -c | awk 'NF { printf "%s%s%s", (n++ ? "," : ""), $2, ($1 > 1 ? "x" $1 : "") }')" \
		"$(jdisk "$L" "$d" .error)" "$(jdisk "$L" "$d" .ntfs.error)"
	# the damaged object may say whatever is true, but it must not pass as healthy
	# while ntfs-3g refuses it: never "no problem seen" then (one truth, issue 18)
	if [ "$n3" = fails ]; then
		st=$(jdisk "$L" "$d" '.verdict.state')
		expect_eq "${n#bad-}: ntfs-3g refuses it, so the verdict says damaged ($st)" true \
			"$(jdisk "$L" "$d" '.verdict.damaged')"
	fi
done
echo "#"

# ---------------------------------------------------------------- images unchanged
wr_expect_images_unchanged "after listing" "$T"

wr_finish
