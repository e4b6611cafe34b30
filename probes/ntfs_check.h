/*
 * ntfs_check.h - the read-only NTFS checker behind `winrescue check` and
 * the plans of `winrescue fix`: seven passes over raw sectors, like
 * chkdsk /scan, never a write (the descriptor is opened O_RDONLY by the
 * caller, and nothing here has a write path).
 *
 *   1 boot sector and its backup      5 volume $Bitmap vs every runlist
 *   2 $MFT vs $MFTMirr                6 directory indexes, orphans, links
 *   3 every MFT record                7 $LogFile, hibernation, $Volume, $UpCase
 *   4 $MFT's $BITMAP vs records in use
 *
 * Memory is bounded by the volume's size, not by its damage: $MFT is read
 * in 4 MiB chunks; per record we keep a few bytes; findings stop being
 * stored after NC_MAX_FINDINGS, or NC_MAX_PER_CODE of one code (counted,
 * never lost from the totals).
 */
#ifndef WINRESCUE_NTFS_CHECK_H
#define WINRESCUE_NTFS_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "probes/ntfs_boot.h"

enum nc_severity { NC_INFO = 0, NC_WARNING, NC_ERROR };

/* Who can repair it. */
enum nc_repair {
	NC_REPAIR_NONE = 0,	/* nothing to repair (information, or a state) */
	NC_REPAIR_FIX,		/* winrescue fix */
	NC_REPAIR_CHKDSK,	/* Windows' chkdsk /f */
};

struct nc_finding {
	enum nc_severity severity;
	char *code;		/* stable: "mft-link-count" (winrescue(8) lists them) */
	int pass;		/* 1..7 */
	int64_t record;		/* MFT record number, -1 when none */
	char *path;		/* "\\dir.00\\file.0" where known, else NULL */
	char *message;		/* one plain sentence */
	enum nc_repair repair;
};

#define NC_MAX_FINDINGS 5000
#define NC_MAX_PER_CODE 50	/* findings of one code kept; the rest counted */
#define NC_PASSES 7

enum nc_logfile { NC_LOG_UNKNOWN = 0, NC_LOG_EMPTY, NC_LOG_CLEAN, NC_LOG_UNCLEAN, NC_LOG_FAST_RESTART };

/* A run of clusters of a non-resident attribute. */
struct nc_run {
	uint64_t vcn, lcn, len;	/* lcn NC_SPARSE: a hole */
};
#define NC_SPARSE UINT64_MAX

struct nc_report {
	struct nc_finding *findings;
	size_t nfindings;
	size_t dropped;			/* findings beyond the limits, counted only */
	size_t errors, warnings;	/* all of them, dropped ones too */
	char *op_error;			/* the check could not be done: why (exit 8) */
	int passes_done;

	/* what was found, for the summary and for fix's plans */
	struct nb_verdict boot;
	struct nb_mirr mirr;
	bool mirr_checked;
	uint64_t records, in_use, files, dirs;
	uint64_t mft_bytes;		/* bytes of $MFT read */
	uint64_t unreadable;		/* records that could not be read */
	uint64_t io_errors;		/* reads the device refused (a failing disk), not reads
					 * outside the volume (a volume cut short) */
	enum nc_logfile logfile;
	unsigned logfile_major, logfile_minor;
	struct nc_run *logfile_runs;	/* $LogFile's $DATA */
	size_t nlogfile_runs;
	uint64_t logfile_size;
	int hibernated;			/* 1 yes, 0 no, -1 cannot be told */
	uint64_t hiberfil_off;		/* hiberfil.sys's first byte on the volume (0: none) */
	uint32_t hiberfil_len;		/* contiguous bytes there, at most 4096 (its header page) */
	bool volume_flags_known;
	uint16_t volume_flags;		/* $VOLUME_INFORMATION flags */
	unsigned ntfs_major, ntfs_minor;
};

struct nc_callbacks {
	/* a pass starts (1..NC_PASSES); false: stop (cancelled) */
	bool (*pass)(void *data, int pass, const char *what);
	/* progress inside a pass, in bytes */
	void (*tick)(void *data, uint64_t done, uint64_t total);
	void *data;
	/* optional, nc_check_confined only: asked between beats; true: stop now */
	bool (*cancelled)(void *data);
};

/*
 * Check the NTFS volume of size bytes at off on fd (opened read-only).
 * dev names it in messages. Returns 0 when the passes ran (findings in r,
 * r->errors says whether any is an error), -1 when the check could not be
 * done (r->op_error), 1 when cancelled.
 */
int nc_check(int fd, uint64_t off, uint64_t size, const char *dev, const struct nc_callbacks *cb,
	     struct nc_report *r);
/*
 * nc_check in a worker (worker.h): confined to reading fd (opened by the
 * caller, before the worker drops its privileges), under a memory and a
 * time limit. The same results; a worker that crashes, runs out of memory
 * or goes silent is a check that could not be done (-1, r->op_error says
 * what happened), never the end of winrescue.
 */
int nc_check_confined(int fd, uint64_t off, uint64_t size, const char *dev,
		      const struct nc_callbacks *cb, struct nc_report *r);
void nc_report_free(struct nc_report *r);
/*
 * A report as bytes and back (wire.c), for the check worker: what
 * nc_check filled in a child comes back whole, or the answer is short
 * (false; what was read is freed by nc_report_free as usual).
 */
struct wire_buf;
void wire_put_report(struct wire_buf *b, const struct nc_report *r);
bool wire_get_report(const unsigned char **pos, const unsigned char *end, struct nc_report *r);
/* The errors of r that how repairs (as far as they were kept, not dropped). */
size_t nc_count_errors(const struct nc_report *r, enum nc_repair how);

const char *nc_severity_name(enum nc_severity s);	/* "error", "warning", "info" */
const char *nc_repair_name(enum nc_repair r);		/* "none", "fix", "chkdsk" */
const char *nc_pass_name(int pass);			/* "boot sector", ... */

/*
 * The value of the first resident attribute of type in an MFT record
 * (fixups applied) of size bytes, bounds-checked; NULL when none.
 */
uint8_t *nc_resident_value(uint8_t *rec, uint32_t size, uint32_t type, uint32_t *vlen);

/*
 * Which copy of system record recno ($MFT's first ones, raw) is the good
 * one: nb_mirr_record_cmp, and where both look intact but differ, the
 * copy in which the record walk finds faults (or that is no base record
 * in use, or a $MFT without $BITMAP) is the damaged one. The checker,
 * the inventory and fix all decide with this.
 */
enum nb_mirr_state nc_mirr_judge(const uint8_t *mft, const uint8_t *mirr, uint32_t size,
				 uint32_t recno, uint64_t clusters);

/* ---- the parsers, exposed for the fuzz harness and the unit tests ---- */

/* Decode a runlist (mapping pairs) of len bytes; 0, or a reason in words. */
const char *nc_decode_runs(const uint8_t *p, size_t len, uint64_t lowest_vcn, uint64_t clusters,
			   struct nc_run **runs, size_t *nruns);

/* One MFT record (fixups applied) walked as the checker does; findings into r. */
void nc_check_record_buf(uint8_t *rec, uint32_t size, uint64_t recno, uint64_t clusters,
			 struct nc_report *r);
/* One index block (fixups not yet applied) walked as the checker does. */
void nc_check_index_buf(uint8_t *blk, uint32_t size, uint64_t vcn, struct nc_report *r);
/*
 * Passes 3 to 7 on an $MFT held in memory, in a blank volume of 65536
 * clusters of 4 KiB, $MFT where its record 0's $DATA says: buf is chunks
 * of rs bytes, first records (raw) - at their places, those after them at
 * the number their header gives (a file's records far into $MFT) - then
 * any chunks "CLUS", a 32-bit LCN and what that cluster holds (a
 * non-resident attribute list, say). At most 128 records. What crosses
 * records - attribute lists, the pieces of an attribute in extension
 * records, $MFT's own pieces, folders, links - runs as on a volume.
 * Findings (and op_error) into r.
 */
void nc_check_mft_buf(const uint8_t *buf, size_t len, uint32_t rs, struct nc_report *r);

#endif
