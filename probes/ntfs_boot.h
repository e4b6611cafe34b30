/*
 * ntfs_boot.h - the NTFS boot sector, its backup and $MFTMirr, judged from
 * raw sectors. Shared by the inventory (probes/ntfs.c) and the checker
 * (probes/ntfs_check.c), so that `list`, `check` and `fix` always agree on
 * which copy is the good one.
 *
 * Each copy of the boot sector is judged alone: the backup is looked for
 * where the primary says the volume ends *and* in the last sector of the
 * partition or device, so a primary with a corrupted size field cannot
 * send us to the wrong sector and make the intact backup look damaged.
 */
#ifndef WINRESCUE_NTFS_BOOT_H
#define WINRESCUE_NTFS_BOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Reads len bytes at off (from the volume's first byte); as pread(). */
typedef ssize_t (*nb_read_fn)(void *ctx, void *buf, size_t len, uint64_t off);

struct nb_geometry {
	uint32_t sector;	/* bytes per sector */
	uint32_t cluster;	/* bytes per cluster */
	uint32_t record;	/* bytes per MFT record */
	uint32_t index_block;	/* bytes per index block */
	uint64_t sectors;	/* number of sectors of the volume (backup excluded) */
	uint64_t clusters;	/* sectors * sector / cluster */
	uint64_t mft_lcn, mftmirr_lcn;
	uint64_t serial;
};

/* What is wrong with one copy, as bits (0: a valid NTFS boot sector). */
enum nb_problem {
	NB_SIGNATURE = 1u << 0,		/* not "NTFS    " at offset 3 */
	NB_END_MARKER = 1u << 1,	/* not 0x55 0xAA at offset 510 */
	NB_BYTES_PER_SECTOR = 1u << 2,
	NB_SECTORS_PER_CLUSTER = 1u << 3,
	NB_MFT_RECORD_SIZE = 1u << 4,
	NB_INDEX_RECORD_SIZE = 1u << 5,
	NB_TOTAL_SECTORS = 1u << 6,	/* zero, or fewer than the system files need */
	NB_MFT_LCN = 1u << 7,		/* $MFT outside the volume */
	NB_MFTMIRR_LCN = 1u << 8,	/* $MFTMirr outside the volume, or on $MFT */
	NB_FAT_FIELDS = 1u << 9,	/* FAT fields that NTFS keeps zero are not */
	NB_NPROBLEMS = 10,
};

/* Judge one copy alone: the problem bits; *g is filled as far as it can be. */
unsigned nb_parse(const uint8_t bs[512], struct nb_geometry *g);
/* A stable code ("bs-bytes-per-sector") and words with the value found, for one bit. */
const char *nb_problem_code(unsigned bit);
char *nb_problem_words(unsigned bit, const uint8_t bs[512]);
/* Just the value of that field ("512"), to set beside the other copy's. */
char *nb_problem_value(unsigned bit, const uint8_t bs[512]);

/* Whether two copies agree in every field but the boot code (BPB through the serial, 0x55AA). */
bool nb_same_fields(const uint8_t *a, const uint8_t *b);
/* The fields in which two copies differ, as problem bits (the damage, named). */
unsigned nb_differing(const uint8_t *a, const uint8_t *b);
/*
 * Two valid copies that differ in their hidden-sectors field (BPB 0x1C)
 * alone: which one names the partition's start sector, the one to keep
 * (1 the primary, 2 the backup); 0 when neither does, or they differ in
 * more than that field. fix and every verdict choose the copy with it.
 */
int nb_hidden_side(const uint8_t *primary, const uint8_t *backup, uint64_t start);

struct nb_verdict {
	int read_errno;			/* the primary could not be read (nothing else is known) */
	unsigned primary_problems;
	bool backup_found;		/* a sector was read at a backup position */
	uint64_t backup_off;		/* where (bytes from the volume's start) */
	unsigned backup_problems;	/* of the copy at backup_off */
	int backup_errno;		/* no backup position could be read */
	bool differ;			/* both valid, their meaningful fields differ */
	bool code_differs;		/* both valid, same fields, other boot code */
	bool backup_misplaced;		/* a valid backup where the primary does not put it */
	bool truncated;			/* the chosen copy claims more than the device holds */
	uint64_t claimed_bytes, have_bytes;
	int chosen;			/* 0: no valid copy; 1: primary; 2: backup */
	struct nb_geometry geom;	/* of the chosen copy */
	uint8_t primary[512], backup[512];
};

/* Read and judge both copies of the boot sector of a volume of size bytes. */
void nb_examine(nb_read_fn rd, void *ctx, uint64_t size, struct nb_verdict *v);

/* The number of records $MFTMirr holds (as Windows and ntfs-3g count them). */
uint32_t nb_mftmirr_records(const struct nb_geometry *g);

/*
 * Apply the update sequence fixups of a multi-sector record in place.
 * 0 when they are right; else the NB_FIXUP_* reason. Nothing is changed
 * unless every check passes.
 */
enum nb_fixup { NB_FIXUP_OK = 0, NB_FIXUP_OFFSET, NB_FIXUP_COUNT, NB_FIXUP_MISMATCH };
int nb_fixup(uint8_t *rec, uint32_t size);

/*
 * The reverse, before a record (fixups applied, checked by nb_fixup) is
 * written: the update sequence number incremented as NTFS does on every
 * write, each stride's last two bytes saved into the array and replaced by it.
 */
void nb_unfixup(uint8_t *rec, uint32_t size);

enum nb_mirr_state {
	NB_MIRR_OK = 0,
	NB_MIRR_UNREADABLE,		/* read_errno says why */
	NB_MIRR_OUTSIDE,		/* the boot sector puts them outside the volume */
	NB_MIRR_MFT_BAD,		/* record `record` is damaged in $MFT, intact in $MFTMirr */
	NB_MIRR_MIRR_BAD,		/* ... intact in $MFT, damaged in $MFTMirr */
	NB_MIRR_BOTH_BAD,		/* ... damaged in both */
	NB_MIRR_DIFFER,			/* both intact, different contents */
};

struct nb_mirr {
	enum nb_mirr_state state;
	uint32_t record;		/* the first record that does not match */
	uint32_t nrecords;
	int read_errno;
};

/* How record recno's two copies compare; nb_mirr_record_cmp or a deeper judge. */
typedef enum nb_mirr_state (*nb_mirr_judge_fn)(const uint8_t *mft, const uint8_t *mirr,
						uint32_t size, uint32_t recno, uint64_t clusters);
/* Compare the records $MFTMirr mirrors with $MFT's first ones (judge NULL: nb_mirr_record_cmp). */
void nb_mftmirr_compare(nb_read_fn rd, void *ctx, uint64_t size, const struct nb_geometry *g,
			nb_mirr_judge_fn judge, struct nb_mirr *m);
/* A valid FILE record (magic, fixups, sizes): used to judge a copy alone. */
bool nb_record_sane(const uint8_t *rec, uint32_t size);
/*
 * The same for record recno of the ones $MFTMirr mirrors, which must also
 * hold what makes them usable: $MFT, $MFTMirr and $LogFile a non-resident
 * $DATA, $Volume its $VOLUME_INFORMATION. A copy without it is the damaged
 * one, however intact its header (a repair must copy the other over it).
 */
bool nb_system_record_sane(const uint8_t *rec, uint32_t size, uint32_t recno);
/* Record recno as $MFT (a) and $MFTMirr (b) hold it, raw: which copy is good. */
enum nb_mirr_state nb_mirr_record_cmp(const uint8_t *a, const uint8_t *b, uint32_t size,
				      uint32_t recno);

/*
 * The attributes of a record (fixups applied) in order, each inside its
 * used bytes, stopping quietly at the end marker or at the first that does
 * not fit.
 */
struct nb_attr_iter {
	const uint8_t *b;
	uint32_t pos, used;
};
void nb_attr_iter_init(struct nb_attr_iter *it, const uint8_t *b, uint32_t rs);
const uint8_t *nb_attr_next(struct nb_attr_iter *it, uint32_t *alen);

#endif
