#!/usr/bin/env bash
# tests/fuzz/corpus.sh DIR - the fuzz corpus, cut from the real NTFS images
# of ../shared/fixtures/ntfs-corrupt (read in place, never copied into the
# repository): boot sectors, MFT records and index blocks of clean and
# damaged volumes, each behind the byte that picks its parser
# (tests/fuzz/fuzz_ntfs.c: 0 boot sector, 1 MFT record, 2 index block,
# 3 runlist, 4 BCD device element, from the real BCD store of hives/, 5 FAT
# boot sector, 6 MBR, 7 a whole $MFT: the system records and files whose
# attributes continue in extension records, named by attribute lists, 8 a
# whole volume made by mkntfs and ntfs-3g, as pieces: fuzz_ntfs.c vol_check).
set -eu
out=$1
FX=${WINRESCUE_FIXTURES:-$(cd "$(dirname "$0")/../.." && pwd)/../shared/fixtures}
mkdir -p "$out"
tmp=$(mktemp -d /tmp/winrescue-corpus.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

le() { od -An -t u"$2" -j "$3" -N "$2" "$1" | tr -d ' '; }
seed() { { printf "\\x$(printf %02x "$2")"; cat; } >"$out/$1"; }

for name in clean-ntfs_default bad-mft_record_bad_fields bad-mft_attr_bad_fields \
	    bad-mft_non_attr_bad_fields bad-mft_file_corrupt_attrlist bad-bs_total_sectors; do
	tar -xJOf "$FX/ntfs-corrupt/$name.img.tar.xz" | cp --sparse=always /dev/stdin "$tmp/img"
	bps=$(le "$tmp/img" 2 11)
	spc=$(le "$tmp/img" 1 13)
	mft=$(( $(le "$tmp/img" 8 48) * bps * spc ))
	size=$(stat -c %s "$tmp/img")
	{ head -c 512 "$tmp/img"; tail -c 512 "$tmp/img"; } | seed "$name.boot" 0
	for r in 0 1 2 3 5 6 9 10 11 24 64 65 66 67 68 69 70 71 72 73 74 75; do
		dd if="$tmp/img" bs=1024 skip=$((mft / 1024 + r)) count=1 status=none | seed "$name.rec$r" 1
	done
	# index blocks: the first few INDX signatures on 4096-byte boundaries
	n=0
	for off in $(grep -obUa INDX "$tmp/img" | cut -d: -f1); do
		[ $((off % 4096)) = 0 ] || continue
		dd if="$tmp/img" bs=4096 skip=$((off / 4096)) count=1 status=none | seed "$name.indx$n" 2
		n=$((n + 1))
		[ $n -ge 3 ] && break
	done
	dd if="$tmp/img" bs=1 skip=$((mft + 0x140)) count=64 status=none | seed "$name.runs" 3
	# an $MFT: records 0-15, and the first files with an attribute list and their
	# extension records (each record lands at the number in its header)
	for r in $(seq 0 15) 64 65 66 67 68 69 70 72 77 82 85 86 87 88 92 107; do
		dd if="$tmp/img" bs=1024 skip=$((mft / 1024 + r)) count=1 status=none
	done | seed "$name.mft" 7
	[ "$size" -gt 0 ]
done
# BCD device elements, cut from the real store: type 6 (a qualified partition),
# size 0x48, 16 bytes after the start of each element
xz -dc "$FX/hives/BCD.xz" >"$tmp/bcd"
n=0
for off in $(LC_ALL=C grep -obUaP '\x06\x00\x00\x00\x00\x00\x00\x00\x48\x00\x00\x00' "$tmp/bcd" | cut -d: -f1); do
	[ "$off" -ge 16 ] || continue
	dd if="$tmp/bcd" bs=1 skip=$((off - 16)) count=88 status=none | seed "bcd.dev$n" 4
	n=$((n + 1))
	[ $n -ge 4 ] && break
done
[ $n -ge 1 ]
# and the element Windows writes for an MBR disk (the style at 0x34), from the
# real store tests/integration/disks.sh holds (WR_BCD_MBR_REAL)
mbr=$(sed -n '/^WR_BCD_MBR_REAL=/,/[^\\]$/p' "$(dirname "$0")/../integration/disks.sh" |
	sed 's/^WR_BCD_MBR_REAL=//; s/\\$//' | tr -d '\n')
[ ${#mbr} = $((88 * 3 - 1)) ] || { echo "corpus.sh: WR_BCD_MBR_REAL not found" >&2; exit 1; }
printf "$(printf '%s' "$mbr" | sed 's/\([0-9a-f][0-9a-f]\),*/\\x\1/g')" | seed bcd.mbr 4

# FAT boot sectors as mkfs.vfat writes them (an ESP is FAT32; FAT16 and FAT12 too)
for fat in 12 16 32; do
	rm -f "$tmp/fat"
	truncate -s $((fat == 32 ? 40 : 8))M "$tmp/fat"
	mkfs.vfat -F "$fat" "$tmp/fat" >/dev/null 2>&1 || continue
	head -c 512 "$tmp/fat" | seed "fat$fat.fat" 5
done
# MBRs: syslinux's and GRUB's boot code (Debian's syslinux-common, grub-pc-bin)
# over a table sfdisk writes, as a BIOS Windows disk has one
rm -f "$tmp/mbr"
truncate -s 64M "$tmp/mbr"
printf 'label: dos\nstart=2048, size=20MiB, type=7, bootable\nsize=+, type=7\n' | sfdisk -q "$tmp/mbr" >/dev/null 2>&1 &&
	for code in /usr/lib/syslinux/mbr/mbr.bin /usr/lib/syslinux/mbr/gptmbr.bin /usr/lib/grub/i386-pc/boot.img; do
		[ -r "$code" ] || continue
		dd if="$code" of="$tmp/mbr" bs=440 count=1 conv=notrunc status=none
		head -c 512 "$tmp/mbr" | seed "mbr.$(basename "$code")" 6
	done
# whole volumes: mkntfs, then a folder of 12 long names (an index in blocks) by
# ntfs-3g; the non-zero sectors as pieces, $UpCase as the table the harness
# builds, runs of one byte as fills (fuzz_ntfs.c vol_check); at most 64 KiB
vol_seed() { python3 "$(dirname "$0")/vol_seed.py" "$1" | seed "$2.vol" 8; }
truncate -s 4M "$tmp/vol"
if mkntfs -q -F -f -c 4096 "$tmp/vol" >/dev/null 2>&1; then
	vol_seed "$tmp/vol" mkntfs
	mkdir -p "$tmp/mnt"
	if ntfs-3g "$tmp/vol" "$tmp/mnt" 2>/dev/null; then
		mkdir "$tmp/mnt/dir"
		for i in $(seq 1 12); do : >"$tmp/mnt/dir/a-file-name-long-enough-to-need-index-blocks-of-its-own-$i"; done
		umount "$tmp/mnt"
		vol_seed "$tmp/vol" folder
	fi
fi
ls "$out" | wc -l
