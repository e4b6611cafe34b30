/*
 * diagnose.h - why Windows would not boot, as far as it can be seen from
 * outside: the BCD store that starts each Windows installation, the
 * devices it names matched to the disks attached, the state of the
 * volumes and hives. One pure function of a snapshot: `diagnose`, the
 * TUI's Boot diagnosis screen and fix-boot's plan all read it.
 */
#ifndef WINRESCUE_DIAGNOSE_H
#define WINRESCUE_DIAGNOSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "probes/inventory.h"

/* What the finding means for the next boot (the exit status is made of these). */
enum diag_weight {
	DIAG_NOTE = 0,		/* worth knowing; Windows starts anyway */
	DIAG_BLOCKS,		/* Windows would not start (or not normally): exit 4 */
	DIAG_UNKNOWN,		/* the evidence could not be read: exit 8 unless something blocks */
};

struct diag_finding {
	enum diag_weight weight;
	enum severity severity;
	char *code;		/* stable: "bcd-device-mismatch", "fast-startup"... */
	char *device;		/* the device it is about, or NULL */
	char *message;		/* one sentence, plain words, naming the device */
	char *next;		/* the next step, or NULL */
	bool fixable;		/* fix-boot resolves it (--rewrite-bcd when its repair is a collision) */
};

/* What fix-boot would write to resolve a bcd-device-mismatch: an identity put back. */
struct diag_repair {
	size_t disk_index;
	char *disk;		/* /dev/sdb */
	bool gpt;
	char *from_id, *to_id;	/* the disk's GUID or signature now, and what the BCD expects */
	size_t part_number;	/* GPT: a partition whose GUID goes back too (0: none) */
	char *part_from, *part_to;
	char *store;		/* the store whose devices it makes match again (for words) */
	char *refused;		/* why it cannot be done (a collision would come back), or NULL */
	bool collision;		/* refused only because another disk holds that identity:
				 * rewriting the store's devices (--rewrite-bcd) still can */
};

/* One Windows installation and the boot configuration that starts it. */
struct diag_windows {
	size_t disk_index;
	const struct partition *part;	/* NULL: on the whole disk */
	const struct volume *vol;
	const char *device;
	const struct volume *store;	/* the BCD store its disk boots with, or NULL */
	const char *store_device;
	const struct bcd_entry *bootmgr, *loader;	/* loader: the default entry */
};

struct diagnosis {
	struct diag_windows *win;
	size_t nwin;
	struct diag_finding *f;
	size_t nf;
	struct diag_repair *rep;
	size_t nrep;
	int status;		/* 0 nothing stops the boot, 4 something does, 8 not readable */
};

/* Diagnose the disks of inv that are not the rescue system's. */
void diagnose(const struct inventory *inv, struct diagnosis *d);
void diagnosis_free(struct diagnosis *d);
/* "blocks-boot", "note", "unknown" */
const char *diag_weight_name(enum diag_weight w);

#endif
