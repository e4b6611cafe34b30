/*
 * disk_layout.h - the few on-disk fields outside NTFS (ntfs_layout.h) that
 * winrescue reads itself; libraries read everything else.
 *
 * FAT boot sector (BIOS Parameter Block): where the data area starts and how
 * big a cluster is, so that the clusters mshowfat names become byte offsets
 * (fix-boot --rewrite-bcd writes the ESP's BCD store in place); mtools reads
 * the rest. Bounds-checked: fuzzed (tests/fuzz).
 *
 * MBR and GPT: the fields a change of disk identity may touch, to check
 * that libfdisk's new table differs from the old one in those only
 * (fix-boot); libfdisk reads and writes the tables.
 *
 * MBR boot chain (probes/mbr.c, fix-boot): the 440 bytes of boot code, the
 * four primary entries (read by us only when the 0x55AA signature is gone
 * and no library reads the table any more), the signature itself.
 *
 * BCD device element (the binary value of a store's 11000001/21000001
 * elements; hivex reads the hive, probes/bcd.c this value): anchored in
 * stores Windows wrote, never in our own encoder. A qualified partition
 * (type 6) of a GPT disk, from the fixtures' UEFI store (Windows 10):
 *   00: options GUID (zeros)   10: 06000000 00000000 48000000 00000000
 *   20: partition GUID         30: 00000000 00000000 (local disk, GPT)
 *   38: disk GUID              48: zeros to 0x58 (88 bytes)
 * The same of an MBR disk, from a Windows Server 2008 R2 loader's store
 * (signature a5d76409, C: at byte 0x6500000):
 *   20: 00005006 00000000 00000000 00000000 (u64 byte offset, zeros)
 *   30: 00000000 01000000 (local disk, MBR) 38: 0964d7a5 then 12 zeros
 * The legacy partition form (type 2) is in no store we have: it is kept
 * raw, neither decoded nor rewritten.
 */
#ifndef WINRESCUE_DISK_LAYOUT_H
#define WINRESCUE_DISK_LAYOUT_H

#define PT_MBR_DISK_SIGNATURE	440	/* u32 in sector 0 */
#define MBR_SECTOR		512
#define MBR_CODE_SIZE		440	/* bytes 0..439: boot code */
#define MBR_TABLE		446	/* four 16-byte entries */
#define MBR_ENTRY_SIZE		16
#define MBR_ENTRIES		4
#define MBR_ENTRY_STATUS	0	/* u8: 0x80 active, 0x00 not */
#define MBR_ENTRY_TYPE		4	/* u8: 0 unused */
#define MBR_ENTRY_LBA		8	/* u32: first sector */
#define MBR_ENTRY_SECTORS	12	/* u32 */
#define MBR_STATUS_ACTIVE	0x80
#define MBR_SIGNATURE		510	/* 0x55 0xaa */
#define GPT_HDR_CRC		16	/* u32: CRC32 of the header */
#define GPT_HDR_ALTERNATE_LBA	32	/* u64: the other header */
#define GPT_HDR_DISK_GUID	56	/* 16 bytes */
#define GPT_HDR_ENTRIES_LBA	72	/* u64: this header's entry array */
#define GPT_HDR_ENTRY_SIZE	84	/* u32 */
#define GPT_HDR_ENTRIES_CRC	88	/* u32: CRC32 of the entry array */
#define GPT_ENTRY_UNIQUE_GUID	16	/* 16 bytes: the partition's own GUID */

#define BCD_DEV_TYPE		0x10	/* u32: 1 boot, 2 partition, 3 file, 4 ramdisk, 6 qualified
					 * partition, 8 locate */
#define BCD_DEV_SIZE		0x18	/* u32: bytes from BCD_DEV_TYPE on */
#define BCD_DEV_MIN		0x20	/* the header, up to the device's own fields */
#define BCD_DEV_PART_ID		0x20	/* 16 bytes: GPT partition GUID; MBR u64 byte offset */
#define BCD_DEV_LOCAL_TYPE	0x30	/* u32: 0 a local hard disk (every store seen) */
#define BCD_DEV_PART_STYLE	0x34	/* u32: 0 GPT, 1 MBR (2 raw: not decoded) */
#define BCD_DEV_DISK_ID		0x38	/* 16 bytes: GPT disk GUID; MBR u32 signature, zeros */
#define BCD_DEV_PART_END	0x48
#define BCD_STYLE_GPT		0
#define BCD_STYLE_MBR		1

#include <stdint.h>
#include <string.h>

#define FAT_BPB_SIZE		512
#define FAT_BYTES_PER_SECTOR	11	/* u16 */
#define FAT_SECTORS_PER_CLUSTER	13	/* u8 */
#define FAT_RESERVED_SECTORS	14	/* u16 */
#define FAT_NUM_FATS		16	/* u8 */
#define FAT_ROOT_ENTRIES	17	/* u16: FAT12/16's fixed root directory; 0 on FAT32 */
#define FAT_TOTAL_SECTORS16	19	/* u16 */
#define FAT_SECTORS_PER_FAT16	22	/* u16: 0 on FAT32 */
#define FAT_TOTAL_SECTORS32	32	/* u32 */
#define FAT_SECTORS_PER_FAT32	36	/* u32 (FAT32) */
#define FAT_SIGNATURE		510	/* 0x55 0xaa */

struct fat_geometry {
	uint64_t data_start;	/* bytes from the volume's start to cluster 2 */
	uint64_t cluster_bytes;
	uint64_t clusters;	/* in the data area */
};

static inline uint32_t fat_le(const uint8_t *p, int n)
{
	uint32_t v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* The geometry of the boot sector bs (FAT_BPB_SIZE bytes): NULL, or why it is not FAT. */
static inline const char *fat_geometry(const uint8_t *bs, struct fat_geometry *g)
{
	uint32_t bps = fat_le(bs + FAT_BYTES_PER_SECTOR, 2), spc = bs[FAT_SECTORS_PER_CLUSTER];
	uint32_t reserved = fat_le(bs + FAT_RESERVED_SECTORS, 2), nfats = bs[FAT_NUM_FATS];
	uint32_t root = fat_le(bs + FAT_ROOT_ENTRIES, 2), fatsz = fat_le(bs + FAT_SECTORS_PER_FAT16, 2);
	uint64_t total = fat_le(bs + FAT_TOTAL_SECTORS16, 2), meta;

	memset(g, 0, sizeof(*g));
	if (bs[FAT_SIGNATURE] != 0x55 || bs[FAT_SIGNATURE + 1] != 0xaa)
		return "no boot sector signature";
	if (bps != 512 && bps != 1024 && bps != 2048 && bps != 4096)
		return "bytes per sector";
	if (!spc || (spc & (spc - 1)))
		return "sectors per cluster";
	if (!reserved || !nfats || nfats > 4)
		return "reserved sectors or FAT count";
	if (!fatsz)
		fatsz = fat_le(bs + FAT_SECTORS_PER_FAT32, 4);
	if (!total)
		total = fat_le(bs + FAT_TOTAL_SECTORS32, 4);
	meta = reserved + (uint64_t)nfats * fatsz + ((uint64_t)root * 32 + bps - 1) / bps;
	if (!fatsz || total <= meta)
		return "sizes that do not fit";
	g->data_start = meta * bps;
	g->cluster_bytes = (uint64_t)bps * spc;
	g->clusters = (total - meta) / spc;
	return NULL;
}

#endif
