/*
 * undo.h - undo files: the sectors an action overwrote, saved before it
 * wrote, so that `winrescue undo FILE` can put them back byte for byte.
 *
 * Layout (winrescue(8), UNDO FILES):
 *   "WINRESCUE-UNDO 2\n"
 *   one line of JSON: action, device, device_size, created, job, extents,
 *     bytes, ranges [{offset, length, what}] (for people: they must agree
 *     with the binary part below), target (the identity of what was
 *     written: undo_identity()), areas [{kind, offset, length}] (what the
 *     action declared it may write: every range lies inside one); for a
 *     partition of an image file (IMAGE:N) also image and offset: the
 *     offsets of the ranges are the volume's, which starts offset bytes
 *     into image
 *   per extent: offset, length, old_hash, new_hash (little-endian u64),
 *     then length bytes: the contents before the write
 *   "WINRESCUE-UNDO-END " 64 hex digits "\n": HMAC-SHA256 of every byte
 *     before this line, keyed with the undo directory's key
 * The key is 32 random bytes in DIR.key beside the undo directory DIR,
 * root's, 0600, made on first use. An undo file is trusted only where
 * winrescue wrote it: a root-owned file in a root-owned directory nobody
 * else can write, reached without symbolic links (lib/safedir.h), whose
 * MAC the key beside that directory proves.
 * The file is complete and fsynced (with its directory) before the first
 * sector is written, so one without its end line means nothing was
 * written. Hashes are hash64(): the old one proves the saved copy intact,
 * the new one tells "written by that action" from "changed since".
 */
#ifndef WINRESCUE_UNDO_H
#define WINRESCUE_UNDO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UNDO_MAGIC "WINRESCUE-UNDO 2\n"
#define UNDO_MAGIC_V1 "WINRESCUE-UNDO 1\n"	/* before the MAC: never trusted */
#define UNDO_END "WINRESCUE-UNDO-END "		/* then the MAC in hex, then "\n" */
#define UNDO_END_LEN (sizeof(UNDO_END) - 1 + 64 + 1)
#define UNDO_KEY_LEN 32
/* undo_open(): the file is not one winrescue can trust (exit 32, not 1) */
#define UNDO_UNTRUSTED (-2)
#define UNDO_OLD_FORMAT (-3)	/* written by an older winrescue, without a MAC: refused */
#define UNDO_DEFAULT_DIR "/var/lib/winrescue/undo"

/* One range of the device as an action plans to overwrite it. */
struct undo_range {
	uint64_t off, len;
	uint64_t new_hash;	/* hash64 of the bytes that will be written */
	const char *what;	/* "primary boot sector", for people */
};

/*
 * A part of the target an action may write, declared by the action from
 * the structure it read (fix: the boot sectors, $MFT's first records, ...),
 * recorded in the undo file; every range saved lies inside one. Kinds:
 * fix: "boot-sector", "mft-records", "mftmirr-records" ($Volume is record 3
 * of both), "logfile", "hiberfil-header"; fix-boot: "partition-table" (the
 * first and last MiB of the disk: MBR, GPT headers and entries, the
 * identity's fields), "boot-sector" (a partition's, for its hidden
 * sectors); rewrite-bcd: "bcd-store" (the store's clusters).
 */
struct undo_area {
	const char *kind;
	uint64_t off, len;
};

struct json_object;

/* What binds an undo file to its target and its action. */
struct undo_bind {
	const struct undo_area *areas;
	size_t nareas;
	struct json_object *target;	/* undo_identity(); the caller's */
};

struct undo_writer {
	int fd;
	int dirfd;		/* the undo directory, as the safe walk opened it */
	char *path;
	size_t expected, written;
	uint64_t base;		/* where the volume starts on the descriptor read (IMAGE:N) */
	uint8_t key[UNDO_KEY_LEN];
};

/*
 * Save range r as devfd holds it now (read in chunks, so memory stays
 * small). *old_hash: the hash of what was saved. 0 or -1 with why in *err.
 */
int undo_add(struct undo_writer *w, int devfd, const struct undo_range *r, uint64_t *old_hash,
	     char **err);
/* The end line with the MAC, then fsync of the file and of its directory. 0 or -1. */
int undo_finish(struct undo_writer *w, char **err);
/* Remove an unfinished undo file (nothing was written with it). */
void undo_abort(struct undo_writer *w);
/*
 * The whole undo file for ranges r[0..n) of devfd (device: its path, for
 * words), in dir (made when missing, 0700, refused when not root's alone:
 * lib/safedir.h), bound by b: begun, each range saved and checked to hold
 * still what the plan read (old[i], its hash), finished and synced; tick
 * (may be NULL) after each range. A range outside b's areas, or an area
 * the action may not write, is refused before anything is saved. 0 with
 * the file's path in w->path, or -1 with why in *err and nothing left
 * behind (fix and fix-boot).
 */
int undo_save(struct undo_writer *w, const char *dir, const char *devname, const char *action,
	      const char *device, uint64_t device_size, const char *job_id,
	      const struct undo_bind *b, const struct undo_range *r, const uint64_t *old, size_t n,
	      int devfd, void (*tick)(void *data, size_t done, size_t n), void *data, char **err);
/*
 * undo_save() for a volume offset bytes into the file image (IMAGE:N):
 * devfd is the file, the ranges are the volume's; both are recorded.
 */
int undo_save_at(struct undo_writer *w, const char *dir, const char *devname, const char *action,
		 const char *device, uint64_t device_size, const char *job_id,
		 const struct undo_bind *b, const char *image, uint64_t offset,
		 const struct undo_range *r, const uint64_t *old, size_t n, int devfd,
		 void (*tick)(void *data, size_t done, size_t n), void *data, char **err);

struct undo_extent {
	uint64_t off, len, old_hash, new_hash;
	uint64_t data_pos;	/* where the saved bytes start in the file */
	char *what;		/* from the header's ranges, for people */
};

struct undo_file {
	char *path;
	int fd;
	char *action, *device, *created, *job;
	char *image;		/* IMAGE:N: the image file, NULL for a device */
	uint64_t offset;	/* IMAGE:N: where the volume started in it */
	uint64_t base;		/* where the volume starts on the descriptor written
				 * (undo_open: offset; the caller sets it for another target) */
	uint64_t device_size, bytes;
	struct undo_extent *ext;
	size_t n;
	struct json_object *target;	/* the identity recorded (undo_identity()) */
};

/*
 * Open and validate an undo file: where it lies (lib/safedir.h: root's,
 * nobody else's to write, no symbolic link), its MAC with the key beside
 * its directory, its header, that every range lies in an area its action
 * may write. 0; -1 with why (damaged or incomplete); UNDO_UNTRUSTED with
 * why (not provably winrescue's for this place: refused).
 */
int undo_open(const char *path, struct undo_file *u, char **err);
void undo_close(struct undo_file *u);
/* Write extent x's saved bytes back onto devfd (at u->base + its offset) and sync them; 0 or errno. */
int undo_restore_extent(const struct undo_file *u, const struct undo_extent *x, int devfd);
/*
 * Put back extents 0..last of the undo file onto fd after a write failed
 * (the failed one may be half written: it is put back, not judged). True
 * when every one holds its saved bytes again. The file is opened with
 * undo_open()'s rules.
 */
bool undo_rollback(const char *undo_path, int fd, size_t last);
/* The hash of a range of fd (as the device holds it); 0 or -errno. */
int undo_hash_range(int fd, uint64_t off, uint64_t len, uint64_t *hash);

/* ---- undo_bind.c: what an undo file is bound to ---- */

struct vol_ref;
/*
 * The identity of v as an undo file records it: its size; the file
 * system's serial (UUID); for a partition the table's id (pt_id: that one
 * instead of the disk's, for fix-boot, which changes it), the partition's
 * start and UUID; the disk's serial where it has one; for an image file, or
 * a loop device's backing file, its device and inode. New object.
 */
struct json_object *undo_identity(const struct vol_ref *v, const char *pt_id);
/* Where v is not what rec recorded, in words ("its file system serial is ..."), or NULL. */
char *undo_identity_differs(struct json_object *rec, const struct vol_ref *v);

#endif
