/*
 * mount.h - the rules and choices of `mount` and `umount`, apart from the
 * doing, so that they can be read and tested on their own (and the TUI's
 * menu and the scripted command use the very same rules).
 */
#ifndef WINRESCUE_ACTIONS_MOUNT_H
#define WINRESCUE_ACTIONS_MOUNT_H

#include "actions/action.h"

/* Why an action may not go on: its status, a stable code and words. */
struct refusal {
	int status;		/* ACT_REFUSED (a safety rule) or ACT_FAILED (cannot) */
	const char *code;
	char *message;
	char *next;
};
void refusal_free(struct refusal *r);

/*
 * Whether v may be mounted as o asks: false, or true with the
 * refusal in *r. The rescue disk, a volume already in use, BitLocker,
 * no file system, an NTFS volume no driver opens (its primary boot sector
 * damaged); for read-write also hibernation, Fast Startup, an
 * unclean or unreadable journal, damage (or a $MFTMirr that could not be
 * compared), unless o->discard_hibernation
 * accepts losing a hibernated or Fast Startup session.
 */
bool mount_refused(const struct inventory *inv, const struct vol_ref *v, const struct action_opts *o,
		   struct refusal *r);

enum mount_driver {
	DRV_NONE = 0,	/* nothing can mount it here: why in why_none */
	DRV_NTFS_3G,	/* the ntfs-3g program (FUSE) */
	DRV_NTFS3,	/* the kernel's ntfs3 */
	DRV_KERNEL,	/* the kernel's driver for the type, through libmount */
};

struct mount_method {
	enum mount_driver driver;
	char *name;		/* "ntfs-3g", "ntfs3", "vfat"... */
	char *fstype;		/* the type given to mount(2): "ntfs3", "vfat"... */
	char *options;		/* everything passed with -o */
	char *why_none;		/* DRV_NONE: why, in words, with what to do */
};

/*
 * How to mount v as o asks. filesystems is the text of /proc/filesystems;
 * ntfs_3g the path of the ntfs-3g program, NULL when there is none. NTFS
 * goes to the kernel's ntfs3 when filesystems lists it, else to ntfs-3g;
 * discarding a hibernated session takes ntfs-3g (remove_hiberfile).
 */
void mount_method_choose(const struct vol_ref *v, const struct action_opts *o,
			 const char *filesystems, const char *ntfs_3g, struct mount_method *m);
void mount_method_free(struct mount_method *m);

/* The ntfs-3g program: $WINRESCUE_NTFS_3G, beside winrescue, in $PATH, /sbin... */
char *mount_find_ntfs_3g(void);

#define MOUNT_BASE "/mnt/winrescue"

/*
 * Where v goes without --at: MOUNT_BASE/<label>, or <label>-<name> when
 * another volume of inv has that label too, or <name> without a label.
 * The label is made safe for a path. Caller frees.
 */
char *mount_default_dir(const struct vol_ref *v, const struct inventory *inv);

/*
 * Why dir cannot take a mount (exists and is not an empty directory, is a
 * mount point, lies on a disk being rescued), or NULL; *code the stable code.
 */
char *mount_dir_problem(const char *dir, const struct inventory *inv, const char **code);

/* ---- mount_log.c: the mounts winrescue made (umount all, the TUI's quit) ---- */

/*
 * The mount at dir: its ID, unique for the machine's uptime (*unique,
 * Linux 6.8 and later) or the reusable one of mountinfo. False when dir
 * cannot be looked at.
 */
bool mount_id_at(const char *dir, uint64_t *id, bool *unique);
/* This boot's /proc/sys/kernel/random/boot_id, or NULL. Caller frees. */
char *mount_boot_id(void);

/* A mount winrescue made that is still mounted as it made it. */
struct our_mount {
	struct vol_ref v;	/* the volume, in the inventory given */
	char *mountpoint;
	long pid;		/* the winrescue process that mounted it */
};

/*
 * The mounts of inv (outside the rescue disk) that winrescue made, as the
 * audit log at log_path records them ("result" records of mount, across
 * runs): the same device at the same mount point, and the same mount (its
 * mount ID in this boot) where the record has one, so that a volume
 * unmounted and mounted again by hand is not counted; a later umount
 * record of winrescue's ends one. No log: none. *err (malloc'ed) when the
 * log cannot be read. Free with our_mounts_free().
 */
size_t mount_log_ours(const struct inventory *inv, const char *log_path, struct our_mount **out,
		      char **err);
bool mount_log_has(const struct our_mount *ours, size_t n, const char *device, const char *dir);
void our_mounts_free(struct our_mount *ours, size_t n);
/*
 * What `umount` without a name unmounts: the one mount winrescue made that
 * is still mounted (a fresh look and the audit log of o), as its mount
 * point; NULL with why in *err (none, or several: they are listed, and
 * what others mounted is named, never taken). Both malloc'ed.
 */
char *umount_default(const struct action_opts *o, char **err);

#endif
