/*
 * ntfs_layout.h - the NTFS on-disk structures winrescue parses itself
 * (boot sector, MFT records, attributes, attribute lists, index blocks,
 * $LogFile restart pages), as byte offsets and little-endian accessors.
 *
 * The checker reads damaged volumes, so nothing here is a packed struct
 * cast over a buffer: every field is read through nl_le*() at an offset
 * the caller has bounds-checked, which keeps the parsers alignment-clean
 * under UBSan and makes each bound explicit. Offsets follow the NTFS 3.1
 * layout as ntfs-3g's layout.h and Microsoft's documentation give it.
 * This is the one place these numbers live (the fuzz harness relies on it).
 */
#ifndef WINRESCUE_NTFS_LAYOUT_H
#define WINRESCUE_NTFS_LAYOUT_H

#include <stdint.h>
#include <string.h>

static inline uint16_t nl_le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t nl_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t nl_le64(const uint8_t *p) { return nl_le32(p) | (uint64_t)nl_le32(p + 4) << 32; }
static inline void nl_put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }

/* An MFT reference: 48-bit record number, 16-bit sequence number. */
#define NL_MREF(r)	((r) & 0xffffffffffffULL)
#define NL_MSEQ(r)	((uint16_t)((r) >> 48))

/* ---- boot sector ($Boot, sector 0; the backup after the volume's last sector) ---- */
#define NL_BS_SIZE		512
#define NL_BS_OEM		0x03	/* "NTFS    " */
#define NL_BS_BYTES_PER_SECTOR	0x0b	/* u16 */
#define NL_BS_SECTORS_PER_CLUSTER 0x0d	/* u8; > 0x80: 2^(256 - value) */
#define NL_BS_RESERVED_SECTORS	0x0e	/* u16, 0 */
#define NL_BS_FATS		0x10	/* u8, 0 */
#define NL_BS_ROOT_ENTRIES	0x11	/* u16, 0 */
#define NL_BS_SECTORS16		0x13	/* u16, 0 */
#define NL_BS_MEDIA		0x15	/* u8 */
#define NL_BS_SECTORS_PER_FAT	0x16	/* u16, 0 */
#define NL_BS_HIDDEN_SECTORS	0x1c	/* u32: the partition's first sector (BIOS boot code reads with it) */
#define NL_BS_LARGE_SECTORS	0x20	/* u32, 0 */
#define NL_BS_TOTAL_SECTORS	0x28	/* u64: the volume, without the backup sector */
#define NL_BS_MFT_LCN		0x30	/* u64 */
#define NL_BS_MFTMIRR_LCN	0x38	/* u64 */
#define NL_BS_CLUSTERS_PER_MFT_RECORD 0x40	/* s8; < 0: 2^-value bytes */
#define NL_BS_CLUSTERS_PER_INDEX_RECORD 0x44	/* s8, as above */
#define NL_BS_SERIAL		0x48	/* u64 */
#define NL_BS_END_MARKER	0x1fe	/* 0x55 0xaa */

/* ---- multi-sector records (FILE, INDX, RSTR): the update sequence array ---- */
#define NL_REC_MAGIC		0x00	/* u32 */
#define NL_REC_USA_OFS		0x04	/* u16 */
#define NL_REC_USA_COUNT	0x06	/* u16: 1 + one per 512-byte stride */
#define NL_USA_STRIDE		512

#define NL_MAGIC_FILE		0x454c4946u	/* "FILE" */
#define NL_MAGIC_BAAD		0x44414142u	/* "BAAD": chkdsk found a torn write */
#define NL_MAGIC_INDX		0x58444e49u	/* "INDX" */
#define NL_MAGIC_RSTR		0x52545352u	/* "RSTR" */
#define NL_MAGIC_CHKD		0x444b4843u	/* "CHKD" */

/* ---- MFT record header ---- */
#define NL_MFT_LSN		0x08	/* u64 */
#define NL_MFT_SEQUENCE		0x10	/* u16 */
#define NL_MFT_LINK_COUNT	0x12	/* u16 */
#define NL_MFT_ATTRS_OFFSET	0x14	/* u16 */
#define NL_MFT_FLAGS		0x16	/* u16 */
#define NL_MFT_BYTES_IN_USE	0x18	/* u32 */
#define NL_MFT_BYTES_ALLOCATED	0x1c	/* u32 */
#define NL_MFT_BASE_RECORD	0x20	/* u64 MFT reference; 0 in a base record */
#define NL_MFT_NEXT_INSTANCE	0x28	/* u16 */
#define NL_MFT_RECORD_NUMBER	0x2c	/* u32, NTFS 3.1 only (usa_ofs >= 0x30) */
#define NL_MFT_HEADER_31	0x30	/* header size with the record number */
#define NL_MFT_HEADER_30	0x2a

#define NL_MFT_IN_USE		0x0001
#define NL_MFT_DIRECTORY	0x0002	/* has a $I30 index */
#define NL_MFT_EXTEND		0x0004	/* a file of $Extend */
#define NL_MFT_VIEW_INDEX	0x0008	/* has a view index ($Secure, $ObjId ...) */
#define NL_MFT_KNOWN_FLAGS	0x000f

/* the system files, by record number */
enum {
	NL_FILE_MFT = 0, NL_FILE_MFTMIRR = 1, NL_FILE_LOGFILE = 2, NL_FILE_VOLUME = 3,
	NL_FILE_ATTRDEF = 4, NL_FILE_ROOT = 5, NL_FILE_BITMAP = 6, NL_FILE_BOOT = 7,
	NL_FILE_BADCLUS = 8, NL_FILE_SECURE = 9, NL_FILE_UPCASE = 10, NL_FILE_EXTEND = 11,
	NL_FILE_FIRST_USER = 16,
};

/* ---- attribute record header ---- */
#define NL_ATTR_TYPE		0x00	/* u32 */
#define NL_ATTR_LENGTH		0x04	/* u32 */
#define NL_ATTR_NON_RESIDENT	0x08	/* u8 */
#define NL_ATTR_NAME_LENGTH	0x09	/* u8, UTF-16 units */
#define NL_ATTR_NAME_OFFSET	0x0a	/* u16 */
#define NL_ATTR_FLAGS		0x0c	/* u16 */
#define NL_ATTR_INSTANCE	0x0e	/* u16 */
/* resident */
#define NL_ATTR_VALUE_LENGTH	0x10	/* u32 */
#define NL_ATTR_VALUE_OFFSET	0x14	/* u16 */
#define NL_ATTR_RESIDENT_HEADER	0x18
/* non-resident */
#define NL_ATTR_LOWEST_VCN	0x10	/* u64 */
#define NL_ATTR_HIGHEST_VCN	0x18	/* u64 */
#define NL_ATTR_MAPPING_PAIRS	0x20	/* u16: offset of the runlist */
#define NL_ATTR_COMPRESSION_UNIT 0x22	/* u8 */
#define NL_ATTR_ALLOCATED_SIZE	0x28	/* u64 */
#define NL_ATTR_DATA_SIZE	0x30	/* u64 */
#define NL_ATTR_INITIALIZED_SIZE 0x38	/* u64 */
#define NL_ATTR_NONRES_HEADER	0x40

#define NL_ATTR_COMPRESSED	0x00ff
#define NL_ATTR_ENCRYPTED	0x4000
#define NL_ATTR_SPARSE		0x8000

enum nl_attr_type {
	NL_AT_STANDARD_INFORMATION = 0x10,
	NL_AT_ATTRIBUTE_LIST = 0x20,
	NL_AT_FILE_NAME = 0x30,
	NL_AT_OBJECT_ID = 0x40,
	NL_AT_SECURITY_DESCRIPTOR = 0x50,
	NL_AT_VOLUME_NAME = 0x60,
	NL_AT_VOLUME_INFORMATION = 0x70,
	NL_AT_DATA = 0x80,
	NL_AT_INDEX_ROOT = 0x90,
	NL_AT_INDEX_ALLOCATION = 0xa0,
	NL_AT_BITMAP = 0xb0,
	NL_AT_REPARSE_POINT = 0xc0,
	NL_AT_EA_INFORMATION = 0xd0,
	NL_AT_EA = 0xe0,
	NL_AT_PROPERTY_SET = 0xf0,
	NL_AT_LOGGED_UTILITY_STREAM = 0x100,
	NL_AT_END = 0xffffffffu,
};

/* ---- $FILE_NAME value (also the key of a $I30 index entry) ---- */
#define NL_FN_PARENT		0x00	/* u64 MFT reference */
#define NL_FN_ALLOCATED_SIZE	0x28
#define NL_FN_DATA_SIZE		0x30
#define NL_FN_FILE_ATTRIBUTES	0x38	/* u32 */
#define NL_FN_NAME_LENGTH	0x40	/* u8, UTF-16 units */
#define NL_FN_NAME_TYPE		0x41	/* u8 */
#define NL_FN_NAME		0x42
#define NL_FN_POSIX		0
#define NL_FN_WIN32		1
#define NL_FN_DOS		2	/* the 8.3 alias of a WIN32 name */
#define NL_FN_WIN32_AND_DOS	3

/* ---- $VOLUME_INFORMATION value ---- */
#define NL_VI_MAJOR		0x08	/* u8 */
#define NL_VI_MINOR		0x09	/* u8 */
#define NL_VI_FLAGS		0x0a	/* u16 */
#define NL_VI_SIZE		0x0c
#define NL_VOLUME_DIRTY		0x0001
#define NL_VOLUME_MODIFIED_BY_CHKDSK 0x8000

/* ---- $ATTRIBUTE_LIST entry ---- */
#define NL_AL_TYPE		0x00	/* u32 */
#define NL_AL_LENGTH		0x04	/* u16 */
#define NL_AL_NAME_LENGTH	0x06	/* u8 */
#define NL_AL_NAME_OFFSET	0x07	/* u8 */
#define NL_AL_LOWEST_VCN	0x08	/* u64 */
#define NL_AL_MREF		0x10	/* u64 MFT reference */
#define NL_AL_INSTANCE		0x18	/* u16 */
#define NL_AL_HEADER		0x1a

/* ---- $INDEX_ROOT value, index header, INDX block, index entry ---- */
#define NL_IR_TYPE		0x00	/* u32: the indexed attribute type (0x30 for $I30) */
#define NL_IR_COLLATION		0x04	/* u32 */
#define NL_IR_BLOCK_SIZE	0x08	/* u32 */
#define NL_IR_CLUSTERS_PER_BLOCK 0x0c	/* u8 */
#define NL_IR_HEADER		0x10	/* the index header follows */

#define NL_IH_ENTRIES_OFFSET	0x00	/* u32, from the index header */
#define NL_IH_INDEX_LENGTH	0x04	/* u32 */
#define NL_IH_ALLOCATED_SIZE	0x08	/* u32 */
#define NL_IH_FLAGS		0x0c	/* u8: 1 = has sub-nodes */
#define NL_IH_SIZE		0x10

#define NL_INDX_VCN		0x10	/* u64 */
#define NL_INDX_HEADER		0x18	/* the index header follows */

#define NL_IE_MREF		0x00	/* u64 */
#define NL_IE_LENGTH		0x08	/* u16 */
#define NL_IE_KEY_LENGTH	0x0a	/* u16 */
#define NL_IE_FLAGS		0x0c	/* u16 */
#define NL_IE_KEY		0x10
#define NL_IE_NODE		0x01	/* a sub-node VCN in the entry's last 8 bytes */
#define NL_IE_END		0x02	/* the last entry of a node (no key) */

#define NL_COLLATION_FILE_NAME	0x01

/* ---- $LogFile restart page ---- */
#define NL_RP_SYSTEM_PAGE_SIZE	0x10	/* u32 */
#define NL_RP_LOG_PAGE_SIZE	0x14	/* u32 */
#define NL_RP_RESTART_AREA	0x18	/* u16 offset */
#define NL_RP_MINOR		0x1a	/* s16 */
#define NL_RP_MAJOR		0x1c	/* s16 */
#define NL_RA_CLIENT_IN_USE	0x0c	/* u16 */
#define NL_RA_FLAGS		0x0e	/* u16 */
#define NL_RA_CLEAN		0x0002
#define NL_LOGFILE_NO_CLIENT	0xffff

#endif
