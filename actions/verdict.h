/*
 * verdict.h - what a volume's state means and what to do next, decided
 * once for every view: list (text and JSON), check, diagnose, and the
 * TUI's rows, details and boot page all render what is decided here.
 *
 * A verdict is made from everything known about the volume: the quick look
 * of the snapshot (probes/), and a check's result when one has run on it
 * since (struct check_memo; the quick look is not a check, and the words
 * say so). Its next step is the first one that works here, in this order:
 * a winrescue command that repairs it, then one that gets the data off,
 * then what must be done in Windows (and how to get there); never a step
 * winrescue knows will fail.
 */
#ifndef WINRESCUE_VERDICT_H
#define WINRESCUE_VERDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "probes/inventory.h"

struct vol_ref;
struct fs_check;

/*
 * What a check of a volume found, in a few numbers (a check's report is
 * big). It reads every structure the quick look judges (boot sectors,
 * $MFTMirr, every record and folder) and the volume's state, so where it
 * ran, its word counts instead of the quick look's.
 */
struct check_memo {
	char *device;		/* the device checked */
	uint64_t serial;	/* its NTFS serial then (0: not NTFS), to match the volume */
	int status;		/* 0 no errors, 4 errors left, 8 could not be checked */
	size_t errors, warnings;
	size_t by_fix;		/* errors 'winrescue fix' repairs */
	bool read_errors;	/* the device would not return some sectors */
	bool ntfs;		/* our checker ran: the states below are known */
	int hibernated;		/* 1 yes, 0 no, -1 cannot be told */
	int logfile;		/* enum nc_logfile */
	int dirty;		/* 1 yes, 0 no, -1 not known */
	bool after_write;	/* made after a write (fix): what the quick look read through
				 * the file system (hives, stores) predates it and is not used */
	uint64_t look;		/* the quick look's state of the volume when it ran: a volume
				 * changed since (by anything) no longer matches */
	char *summary;		/* the check's own sentence */
};

/* What check c found on v, as a memo (check_memo_free). */
void check_memo_of(const struct vol_ref *v, const struct fs_check *c, struct check_memo *m);
void check_memo_free(struct check_memo *m);
/*
 * The verdict on v once check c has run on it (a check, or the one fix
 * runs after repairing: after_write, when inv's look predates the write):
 * its state, next step and command into c.
 */
void verdict_of_check(const struct inventory *inv, const struct vol_ref *v, struct fs_check *c,
		      bool after_write);

/* The checks of a session (the TUI), each kept until the volume changes. */
struct check_memos {
	struct check_memo *m;
	size_t n;
};

/*
 * Keep what c found on v, replacing an older one of v. v is the volume as
 * a look right after the check sees it (its state is the memo's look).
 */
void check_memos_add(struct check_memos *ms, const struct vol_ref *v, const struct fs_check *c);
/*
 * The check of v, when one ran on it as it is now: the same device, serial
 * and quick look (boot sectors, $MFTMirr, flags, journal, hibernation,
 * folders read); else NULL.
 */
const struct check_memo *check_memos_find(const struct check_memos *ms, const struct vol_ref *v);
/* Forget the checks of the volumes of disk (a path): something wrote to it. */
void check_memos_forget_disk(struct check_memos *ms, const struct inventory *inv, const char *device);
void check_memos_free(struct check_memos *ms);

struct verdict {
	enum severity severity;	/* the worst of its findings; SEV_INFO when none */
	bool damaged;		/* something read on it failed or contradicted itself */
	bool checked;		/* a check's result is part of it */
	char *state;		/* short, for a table column: "primary boot sector damaged, dirty",
				 * "no problem seen" (the quick look), "no errors (checked)", "-" */
	char *summary;		/* one sentence: what is known, and how */
	char *next;		/* the next step, one sentence; NULL: nothing to do */
	char *command;		/* the winrescue command of that step, or NULL */
	struct finding *findings;	/* each with its own next step, in the same order */
	size_t nfindings;
};

/* The verdict on v of inv; chk (may be NULL) is v's check since the snapshot. */
void verdict_of(const struct inventory *inv, const struct vol_ref *v, const struct check_memo *chk,
		struct verdict *out);
void verdict_free(struct verdict *v);

/*
 * Every finding to show for inv: each volume's (as verdict_of makes them,
 * with the checks of memos when given), then the snapshot's own (two disks
 * with one signature, ...), in disk order. Free with findings_free().
 */
size_t verdict_findings(const struct inventory *inv, const struct check_memos *memos,
			struct finding **out);
void findings_free(struct finding *f, size_t n);

/*
 * The next step v's verdict gives for its finding code (diagnose and the
 * boot chain say about a volume what list says), or NULL when the verdict
 * has no such finding. Caller frees.
 */
char *verdict_step(const struct inventory *inv, const struct vol_ref *v,
		   const struct check_memos *memos, const char *code);

/* "Disk 3 partition 2" or "Disk 3", as every view numbers disks. */
char *verdict_where(const struct vol_ref *v);

#endif
