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

#include "probes/bcd.h"
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
	bool fixable;		/* fix-boot resolves it (with --rewrite-bcd when its repair says so) */
};

/* A device of the store as it names it, and its partition as it is now (--rewrite-bcd). */
struct diag_move {
	struct bcd_device from, to;	/* GPT or MBR kinds only; .present unused */
	const char *what;		/* "the default loader's osdevice" */
};

/*
 * What fix-boot would write to resolve a bcd-device-mismatch: an identity
 * put back; or, with --rewrite-bcd, the store's devices made to name the
 * partitions as they are now (moves: the disk-wide change alone does not
 * do when a partition moved or the disk changed from GPT to MBR or back).
 */
struct diag_repair {
	size_t disk_index;
	char *disk;		/* /dev/sdb */
	bool gpt;
	char *from_id, *to_id;	/* the disk's GUID or signature now, and what the BCD expects */
	size_t part_number;	/* GPT: a partition whose GUID goes back too (0: none) */
	char *part_from, *part_to;
	char *store;		/* the store whose devices it makes match again (for words) */
	char *refused;		/* why it cannot be done (a collision would come back), or NULL */
	bool collision;		/* refused only because another disk holds that identity */
	bool rewrite;		/* refused, but --rewrite-bcd can do it (a collision, a
				 * partition moved, the disk's other kind) */
	bool kind_changed;	/* the store names a GPT disk and it is MBR now, or back */
	bool moved;		/* the identity alone would not do (kind, a partition moved,
				 * partition GUIDs): rewrite names each partition as it is */
	struct diag_move *moves;
	size_t nmoves;
};

/*
 * What fix-boot would write to mend the BIOS boot chain of one disk
 * (actions/bootchain.c): the MBR's boot code, its 0x55AA, the active flag,
 * the hidden sectors of NTFS boot sectors. Only the bytes named change.
 */
struct diag_chain {
	size_t disk_index;
	char *disk;		/* /dev/sdb */
	bool code;		/* write the standard boot code (the MBR's first 440 bytes) */
	bool code_unknown;	/* the code there is not recognised: replaced with --mbr-code only */
	bool signature;		/* write 0x55 0xAA at byte 510 */
	size_t active;		/* the partition to mark active, the others cleared (0: none) */
	size_t nhidden;		/* NTFS volumes whose hidden sectors go right */
	struct diag_hidden {
		size_t part;	/* partition number */
		uint64_t start;	/* bytes */
		uint32_t want;	/* the partition's first sector */
	} hidden[4];
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
	struct diag_chain *chain;	/* BIOS boot chains fix-boot can mend */
	size_t nchain;
	int status;		/* 0 nothing stops the boot, 4 something does, 8 not readable */
	const struct check_memos *memos;	/* checks the volumes' verdicts count (the TUI's) */
};

/* Whether the disk has the identity the store names already (only its partitions differ). */
bool diag_repair_same_disk(const struct diag_repair *r);
/* What fix-boot does for r, in words (NULL: nothing, it is refused). */
const char *diag_repair_how(const struct diag_repair *r);

/* Diagnose the disks of inv that are not the rescue system's. */
void diagnose(const struct inventory *inv, struct diagnosis *d);
/*
 * The same, the volumes judged with the checks of memos (the TUI's
 * session: its boot page says what its rows say). memos may be NULL.
 */
struct check_memos;
void diagnose_checked(const struct inventory *inv, const struct check_memos *memos,
		      struct diagnosis *d);
void diagnosis_free(struct diagnosis *d);
/* The diagnosis in one sentence, as every view ends it (caller frees). */
char *diagnosis_verdict(const struct diagnosis *d);
/* "blocks-boot", "note", "unknown" */
const char *diag_weight_name(enum diag_weight w);
/* Append a finding whose message is made already (bootchain.c). */
struct diag_finding *diag_add_text(struct diagnosis *d, enum diag_weight w, enum severity sev,
				   const char *code, const char *device, const char *next,
				   const char *message);
/*
 * The boot chain from the firmware to the BCD store, per Windows
 * installation (bootchain.c): BIOS disks' MBR code, signature, active flag,
 * NTFS hidden sectors and boot sector copies; UEFI disks' ESP and its boot
 * loaders. Findings, and what fix-boot can mend in d->chain.
 */
void bootchain_diagnose(const struct inventory *inv, struct diagnosis *d);
/*
 * Whether bootchain_diagnose() says why no store starts the Windows of this
 * disk (esp-missing: a GPT disk without an ESP; no-active-partition: System
 * Reserved is there, not marked active), instead of bcd-missing.
 */
bool bootchain_says_no_store(const struct inventory *inv, size_t disk_index);
/*
 * Whether fix-boot sets partition p's hidden sectors (BPB 0x1C): p belongs
 * to the BIOS boot chain of its disk (the partition with bootmgr and the
 * store, the active one, or one holding Windows, on a dos disk with one
 * partition holding bootmgr and a store), and Windows left no session on it
 * that a write would break (hibernated, Fast Startup, an unclean journal,
 * or a hiberfil.sys that cannot be read). Every view asks this one rule.
 */
bool bootchain_mends_hidden(const struct inventory *inv, size_t disk_index,
			    const struct partition *p);
/* Whether fix-boot mends something of chain c (mbr_code: --mbr-code, unknown code too). */
bool diag_chain_doable(const struct diag_chain *c, bool mbr_code);
/* Why p's hidden sectors are left alone although they are in the chain, or NULL. */
const char *bootchain_hidden_blocked(const struct partition *p);
/* The standard MBR boot code fix-boot writes (syslinux's mbr.bin, actions/mbr_code.c). */
extern const unsigned char mbr_code_syslinux[440];

#endif
