/*
 * action.h - everything that changes state or runs long, behind one safety
 * layer. One registry serves the scripted commands (cli/) and the TUI
 * (tui/); they differ only in how they ask and how they render.
 *
 * The flow of one action on one target, in this order:
 *
 *   action_find(name) / action_for_key(key)    which action
 *   act->applies(vol, inv)                     why it does not apply, in words,
 *                                              for a menu (NULL: it applies)
 *   job_prepare()                              a fresh probes_scan(); the target
 *                                              resolved in it (and checked to be
 *                                              the one the screen showed); the
 *                                              preflight rules on that fresh
 *                                              state; the plan, in words
 *   -- the front end shows the plan; asks for the typed device name (TUI)
 *      or --yes (scripts) when plan.confirm; stops here on --dry-run --
 *   job_run()                                  audit log: the plan (refused when
 *                                              it cannot be written); an exclusive
 *                                              flock on each whole disk; run() with
 *                                              progress callbacks and a cancel
 *                                              flag; audit log: the result
 *   -- the front end re-probes and redraws --
 *
 * Actions never print and never draw: plans, progress, results and
 * refusals are data (struct job). Statuses are the exit codes of the
 * scripted mode (winrescue(8)).
 */
#ifndef WINRESCUE_ACTION_H
#define WINRESCUE_ACTION_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "probes/inventory.h"
#include "probes/ntfs_check.h"

enum action_status {
	ACT_OK = 0,
	ACT_FAILED = 1,		/* could not be done; nothing was changed unless said */
	ACT_CORRECTED = 1,	/* fix: errors were corrected (fsck's 1; res.code "corrected") */
	ACT_ERRORS_LEFT = 4,	/* check/fix: the file system has errors (fsck's 4) */
	ACT_OPERATIONAL = 8,	/* check/fix: the check could not be done (fsck's 8) */
	ACT_USAGE = 16,		/* unknown or ambiguous name, bad option */
	ACT_REFUSED = 32,	/* refused by a safety rule, or cancelled */
};

enum action_risk {
	RISK_READ_ONLY = 0,
	RISK_MOUNTS,		/* mounts or unmounts a filesystem */
	RISK_WRITES_FS,		/* writes inside a filesystem */
	RISK_WRITES_TABLE,	/* writes a partition table or boot configuration */
};

/* "read-only", "mounts", "writes-filesystem", "writes-partition-table" */
const char *action_risk_name(enum action_risk r);

/* A volume of a snapshot: a partition, or a filesystem on a whole disk. */
struct vol_ref {
	const struct disk *disk;
	size_t disk_index;		/* the N of "Disk N" */
	const struct partition *part;	/* NULL: the filesystem on the whole disk */
	const struct volume *vol;
	const char *path;		/* device node; NULL when the kernel has none */
	unsigned major, minor;
	enum part_role role;
	/* a partition of an image file (IMAGE:N): path names it ("IMAGE:N"),
	 * the bytes are file's, from offset on; NULL and 0 for a device */
	const char *file;
	uint64_t offset;
};

/* The volume's label: NTFS's own, else libblkid's; NULL when none. */
const char *vol_label(const struct vol_ref *v);
/* "loop0p2": the device's kernel name, or its path when it has none. */
const char *vol_name(const struct vol_ref *v);

/* What the person asked for; each action reads the options it knows. */
struct action_opts {
	bool rw;			/* mount: read-write */
	bool discard_hibernation;	/* mount, fix: accept losing the hibernated session */
	bool discard_journal;		/* fix: accept losing the unwritten journal */
	bool clear_dirty;		/* fix: clear the dirty flag instead of setting it */
	const char *undo_dir;		/* fix: where undo files go; NULL: WINRESCUE_UNDO_DIR or the default */
	const char *device;		/* undo: the volume to restore, when not the one recorded */
	bool rewrite_bcd;		/* fix-boot: rewrite the store's devices, not the disk's identity */
	bool mbr_code;			/* fix-boot: write standard MBR boot code whatever code is there */
	const char *at;			/* mount: mount point */
	bool everything;		/* umount all: also what winrescue did not mount */
	bool dry_run;			/* the plan only */
	const char *log_path;		/* audit log; NULL: WINRESCUE_LOG or the default */
	/* check all DISK...: look at these disks only (kernel names), as if the
	 * others were not attached; NULL: every disk of this machine */
	char *const *only;
	size_t nonly;
};

/* A mount as an action found or left it. */
struct mount_record {
	char *device;
	char *label;
	char *mountpoint;
	char *driver;		/* "ntfs-3g", "ntfs3", "vfat", "ext4"... */
	char *fstype;		/* as mountinfo names it: "fuseblk", "ntfs3"... */
	bool rw;		/* the mode obtained (or held), read back from mountinfo */
	enum tristate rw_requested;	/* mount: what was asked; unknown for umount */
	bool mounted;		/* mounted after the action */
	bool created_dir;	/* the action created the mount point */
	uint64_t mount_id;	/* mount: the mount made (mount_id_at()); 0: not known */
	bool mount_id_unique;	/* mount_id is unique in this boot (Linux 6.8+) */
	char *boot_id;		/* mount: the boot it was made in */
	enum tristate by_winrescue;	/* umount: whether winrescue made it (audit log) */
};

struct action_plan {
	char **steps;		/* what will be done, in order, in words */
	size_t nsteps;
	char **warnings;	/* what the person should know first */
	size_t nwarnings;
	char *loss;		/* what will be lost (accepted by confirming); NULL: nothing */
	bool writes;		/* something on a disk will change */
	bool confirm;		/* a typed confirmation (TUI) or --yes (scripts) is needed */
	char *confirm_word;	/* what to type: the device's kernel name */
	char **targets;		/* each target beyond mix-up: "Disk 3 partition 2: /dev/sdb2 ...
				 * on /dev/sdb (serial WD-123)", shown with every confirmation */
	size_t ntargets;
};

/* One volume checked (check): NTFS by our checker, others by their own. */
struct fs_check {
	char *device;		/* the device or image file */
	char *fstype;
	char *checker;		/* "winrescue" (NTFS) or the program run: "e2fsck" */
	int status;		/* 0 clean, 4 errors left, 8 could not check, 32 cancelled */
	char *summary;		/* one sentence */
	char *tool_output;	/* a standard checker's own words (JSON, audit log) */
	uint64_t size;		/* bytes checked */
	double seconds;
	struct nc_report rep;	/* NTFS */
	/* what it means, as every view says it (actions/verdict.h) */
	char *state;		/* "3 errors (checked)", "no errors (checked), dirty" */
	char *next;		/* the next step, or NULL */
	char *command;		/* its winrescue command, or NULL */
};

struct action_result {
	int status;		/* enum action_status */
	char *code;		/* stable: "mounted", "rescue-disk", "hibernated"... */
	char *message;		/* one sentence, our words, naming the device */
	char *next;		/* the next step, or NULL */
	char *tool_message;	/* a tool's or library's own words: JSON and audit log only */
	char **warnings;
	size_t nwarnings;
	char **candidates;	/* ambiguous or unknown names: what could be meant */
	size_t ncandidates;
	struct mount_record *mounts;
	size_t nmounts;
	struct fs_check *checks;
	size_t nchecks;
	char *undo_file;	/* fix: the undo file written (winrescue undo FILE) */
	uint64_t bytes_written;	/* fix, undo: bytes of the volume rewritten */
};

struct action_progress {
	const char *step;	/* the step running now, in words */
	size_t step_no, nsteps;	/* 1-based; nsteps from the plan */
	uint64_t done, total;	/* bytes; total 0: not known */
	double elapsed;		/* seconds since the run started */
};

typedef void (*action_progress_fn)(void *data, const struct action_progress *p);

struct job;

/* One way of doing an action, for the TUI's chooser (mount: ro, rw, rw discarding). */
struct action_variant {
	const char *label;
	const char *detail;	/* what it means; the loss in words when there is one */
	bool rw, discard_hibernation;
	bool discard_journal, clear_dirty;	/* fix */
};

struct action {
	const char *name;	/* the scripted command: "mount" */
	const char *label;	/* the TUI's words: "Mount" */
	int key;		/* the TUI's letter key */
	enum action_risk risk;
	bool takes_all;		/* "all" names every volume it applies to */
	bool takes_files;	/* an image file may be named instead of a volume */
	const struct action_variant *variants;	/* ending with a NULL label; NULL: one way */
	/* The target from spec when it is not a volume's name (undo: an undo file);
	 * NULL: job_resolve_spec(). ACT_OK, or the failure in job->res. */
	int (*resolve)(struct job *job, const char *spec);
	/* Why it does not apply to v in inv as o asks (NULL: the defaults), in words
	 * (malloc'ed), or NULL when it applies. */
	char *(*applies)(const struct vol_ref *v, const struct inventory *inv,
			 const struct action_opts *o);
	/* "all": the targets in inv (ACT_OK) */
	void (*select_all)(struct job *job);
	/* The rules on the fresh snapshot: ACT_OK, or the refusal in job->res. */
	int (*preflight)(struct job *job);
	void (*plan)(struct job *job);
	/* Do it: ACT_OK or the failure, in job->res either way. */
	int (*run)(struct job *job);
	void (*free_priv)(void *priv);
};

/* One run of an action: from the fresh probe to the result. */
struct job {
	const struct action *act;
	struct action_opts opts;
	char *spec;			/* the target as named */
	struct inventory *inv;		/* the fresh snapshot of job_prepare() */
	struct vol_ref *targets;	/* resolved in inv */
	size_t ntargets;
	struct action_plan plan;
	struct action_result res;
	char *log_path;			/* the audit log used */
	char *id;			/* ties the audit records of this job */
	/* during job_run() */
	action_progress_fn progress;
	void *progress_data;
	volatile sig_atomic_t *cancel;
	struct timespec started;
	struct disk *image;		/* an image file named as the target (check) */
	size_t step_no;
	char *step;			/* the step running now */
	void *priv;			/* the action's own state, freed by free_priv */
};

/* The registry, in menu order, ending with NULL. */
extern const struct action *const actions[];
const struct action *action_find(const char *name);
const struct action *action_for_key(int key);

extern const struct action action_mount;
extern const struct action action_umount;
extern const struct action action_check;
extern const struct action action_fix;
extern const struct action action_undo;
extern const struct action action_fix_boot;

/*
 * Resolve spec in a fresh snapshot, run the preflight rules and make the
 * plan. seen (may be NULL) is the volume as a screen showed it: when the
 * fresh snapshot holds another device under its name, or none, the job
 * says so instead of acting on it. Returns job->res.status; the job is to
 * be freed with job_free() whatever it returns.
 */
int job_prepare(struct job *job, const struct action *act, const char *spec,
		const struct vol_ref *seen, const struct action_opts *opts);

/*
 * Do a prepared job (never one whose preparation failed): the locks; then,
 * since a person may have read the plan and typed for a while, a fresh
 * probe and preparation, going on only with the very same plan; the plan to
 * the audit log, run(), the result to the audit log. cancel may be NULL;
 * progress may be NULL. Returns job->res.status.
 */
int job_run(struct job *job, action_progress_fn progress, void *progress_data,
	    volatile sig_atomic_t *cancel);
#define RECHECK_AFTER_MS 500

void job_free(struct job *job);

/*
 * The title of a result, for a dialog: what happened, in words ("Repaired",
 * "Errors remain", "Refused"...). The status is an exit code (fsck's 1 is
 * "corrected"); this says what it means.
 */
const char *job_result_title(const struct job *job);

/*
 * Whether what a person typed confirms the plan: the device's kernel name
 * (plan.confirm_word) or its path, exactly. Both front ends ask this.
 */
bool job_confirmed_by(const struct job *job, const char *typed);

/* ---- for the actions themselves (actions/job.c) ---- */

/* The default resolver: "all", an image file (takes_files), or a volume's name. */
int job_resolve_spec(struct job *job, const char *spec, const struct vol_ref *seen);
/* The directory for undo files: opts->undo_dir, $WINRESCUE_UNDO_DIR or the default. */
const char *undo_dir_of(const struct action_opts *opts);
/* ACT_OK, or the refusal when that directory is on a disk being rescued (fix, fix-boot). */
int job_refuse_undo_dir(struct job *job);

/* Set the result; fmt makes the message. Returns status. */
int job_result(struct job *job, int status, const char *code, const char *next,
	       const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void job_warn(struct job *job, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void job_plan_step(struct job *job, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void job_plan_warn(struct job *job, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Report that the next step starts (progress callback); false when cancelled. */
bool job_step(struct job *job, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Report progress inside the current step (bytes; total 0 when unknown). */
void job_tick(struct job *job, uint64_t done, uint64_t total);
bool job_cancelled(const struct job *job);
struct mount_record *job_add_mount(struct job *job);

/* ---- spawn.c: helper programs, their output kept in memory ---- */

/*
 * Run argv (argv[0] a path) with stdin /dev/null and stdout/stderr kept in
 * *out (malloc'ed, trimmed; NULL when silent), in a process group of its
 * own, with a progress tick every 100 ms. The exit status (128+N after
 * signal N), or -errno when it could not be started.
 */
int job_spawn_captured(struct job *job, char *const argv[], char **out);
/* A memory file for captured output; its trimmed text (NULL when empty). */
int job_capture_fd(void);
char *job_captured(int fd);

/* ---- target.c: naming volumes ---- */

/*
 * The volume spec names in inv: a device path or kernel name ("/dev/sdb2",
 * "sdb2", a /dev/disk/by-* link), "disk:N/part:M" (or "disk:N" for a
 * filesystem on the whole disk), "system" (the Windows volume of the
 * system disk), a directory where a volume is mounted, or a label (exact,
 * then ignoring case). ACT_OK and *out, or ACT_USAGE with the reason in
 * *err and what could be meant in *cand (both malloc'ed).
 */
int target_resolve(const struct inventory *inv, const char *spec, struct vol_ref *out,
		   char **err, char ***cand, size_t *ncand);
/*
 * The partitions of disk d by their real device nodes, for a
 * message: "/dev/nvme0n1p1, /dev/nvme0n1p2 or disk:0/part:M". Caller frees.
 */
char *target_partition_names(const struct disk *d);
/*
 * A whole disk by its device (/dev/sdb, sdb) or as disk:N: ACT_OK and *out
 * (part NULL: the disk itself), or ACT_USAGE with why in *err (fix-boot,
 * and undo of what fix-boot wrote).
 */
int target_resolve_disk(const struct inventory *inv, const char *spec, struct vol_ref *out,
			char **err);
/*
 * The disk whose device, or one of whose partitions' device, is path: true
 * with its index in *di and the partition in *part (NULL: the whole disk).
 */
bool target_device_at(const struct inventory *inv, const char *path, size_t *di,
		      const struct partition **part);
/* The volume of inv's disk di: partition p, or the file system on the whole disk (p NULL). */
struct vol_ref target_ref(const struct inventory *inv, size_t di, const struct partition *p);
/* Every volume of inv, in disk order, for menus and "all". */
size_t target_all(const struct inventory *inv, struct vol_ref **out);
/* The mounted volumes of disks that are not the rescue disk (umount all). */
size_t target_mounted(const struct inventory *inv, struct vol_ref **out);
/*
 * The volume of inv mounted where dir is (the deepest mount point that
 * holds it): false when dir is on no listed volume (a tmpfs, an overlay
 * root: the rescue system's own).
 */
bool target_holding_dir(const struct inventory *inv, const char *dir, struct vol_ref *out);
/* The real path of the deepest part of path that exists (a directory to make is judged by it). */
char *target_existing_ancestor(const char *path);
/*
 * Whether path (made or not yet) would be on a volume of a disk that is
 * not the rescue system's: NULL, or where, in words ("inside /dev/sdb2, a
 * volume of Disk 1, ..."). Nothing winrescue writes for itself (the audit
 * log, mount points) may go there. Caller frees.
 */
char *target_on_patient(const struct inventory *inv, const char *path);
/*
 * What keeps v busy (mounted, swap, a device-mapper holder), in words, or
 * NULL; a whole disk is busy when one of its partitions is.
 */
char *vol_busy(const struct vol_ref *v);
/* Its size in bytes: the partition's, or the whole disk's. */
uint64_t vol_size(const struct vol_ref *v);
/* NTFS by winrescue's own probe or by libblkid. */
bool volume_is_ntfs(const struct volume *v);
/*
 * The refusals of an action that writes to v (fix, undo): the rescue
 * system's disk, a volume in use. ACT_OK, or the refusal in job->res;
 * what says what cannot be done ("repaired").
 */
int job_refuse_unwritable(struct job *job, const struct vol_ref *v, const char *what);
/*
 * The volume's device (or image file; for IMAGE:N the file, its volume at
 * v->offset) opened with flags (O_RDONLY or
 * O_RDWR), and O_EXCL when it is a block device: the kernel then refuses
 * while a mount or another exclusive user holds it, as e2fsck relies on.
 * -1 with the refusal in words in *why (naming the holders, as fuser
 * would) and ACT_REFUSED or ACT_OPERATIONAL in *status.
 */
int vol_open_exclusive(const struct vol_ref *v, int flags, char **why, int *status);

struct stat;
/*
 * The loop disk of inv that serves the regular file with status st, by
 * identity (LOOP_GET_STATUS64: the backing file's device and inode), so
 * that a hard link, a bind-mounted path or a name the file no longer has
 * is the same image; its index in *di. NULL when none does.
 */
const struct disk *target_loop_of_file(const struct inventory *inv, const struct stat *st,
				       size_t *di);
/* The loop device of this machine (any, listed or not) that serves that file, or NULL. Caller frees. */
char *target_file_attached(const struct stat *st);
/* "Disk 1 partition 2 (/dev/sdb2, 87.0 MiB, "Windows")": a candidate in words. */
char *target_describe(const struct vol_ref *v);
/*
 * The volume and its disk in words no other disk shares: "Disk 3 partition
 * 2: /dev/sdb2, 87.0 MiB NTFS "Windows", on /dev/sdb (serial WD-123,
 * 128.0 GiB)". A number alone can name another disk tomorrow; the device
 * node and serial cannot be mistaken.
 */
char *target_identity(const struct vol_ref *v);

/* ---- json.c: plans and results as JSON (the scripted mode and the audit log) ---- */

struct json_object;
struct json_object *job_plan_json(const struct job *job);
/* status, code, message, next, tool_message, warnings, candidates, mounts */
void job_result_json(const struct job *job, struct json_object *into);
/* The targets: device, disk, label, fstype, uuid. */
struct json_object *job_targets_json(const struct job *job);

/* ---- audit.c: the audit log ---- */

/* The audit log to use: opts->log_path, else $WINRESCUE_LOG, else the default. */
const char *audit_path(const struct action_opts *opts);
#define AUDIT_DEFAULT_PATH "/var/log/winrescue/audit.jsonl"

/*
 * Append one record ("plan", "result" or "refused") for the job, fsynced.
 * The log must not be on a disk that is not the rescue system's (checked
 * in job->inv). 0, or -1 with why in *err.
 */
int audit_record(struct job *job, const char *event, char **err);

/* What this process wrote to the audit log, for the TUI's log screen. */
struct audit_entry {
	char *time;		/* local "HH:MM:SS" */
	char *event;
	char *action;
	char *target;
	char *text;		/* the plan's steps or the result's message */
	char *undo_file;	/* a result's undo file (fix), for Undo on the log screen */
	int status;
};
size_t audit_session(const struct audit_entry **out);
void audit_session_free(void);

/* ---- lock.c: exclusive flock on whole disks while they change ---- */

struct disk_locks {
	int *fds;
	size_t n;
};

/* Lock every whole disk of the job's targets (each once, in name order). */
int locks_take(struct job *job, struct disk_locks *l, char **err);
void locks_release(struct disk_locks *l);

#endif
