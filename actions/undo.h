/*
 * undo.h - undo files: the sectors an action overwrote, saved before it
 * wrote, so that `winrescue undo FILE` can put them back byte for byte.
 *
 * Layout (winrescue(8), UNDO FILES):
 *   "WINRESCUE-UNDO 1\n"
 *   one line of JSON: action, device, device_size, created, job, extents,
 *     bytes, ranges [{offset, length, what}] (for people; the binary part
 *     below is what counts); for a partition of an image file (IMAGE:N)
 *     also image and offset: the offsets of the ranges are the volume's,
 *     which starts offset bytes into image
 *   per extent: offset, length, old_hash, new_hash (little-endian u64),
 *     then length bytes: the contents before the write
 *   "WINRESCUE-UNDO-END\n"
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

#define UNDO_MAGIC "WINRESCUE-UNDO 1\n"
#define UNDO_END "WINRESCUE-UNDO-END\n"
#define UNDO_DEFAULT_DIR "/var/lib/winrescue/undo"

/* One range of the device as an action plans to overwrite it. */
struct undo_range {
	uint64_t off, len;
	uint64_t new_hash;	/* hash64 of the bytes that will be written */
	const char *what;	/* "primary boot sector", for people */
};

struct undo_writer {
	int fd;
	char *path;
	size_t expected, written;
	uint64_t base;		/* where the volume starts on the descriptor read (IMAGE:N) */
};

/*
 * Create a new undo file in dir (made when missing, 0700) named for the
 * time, the device's kernel name and the action, and write its header.
 * 0, or -1 with why in *err (nothing left behind).
 */
int undo_begin(struct undo_writer *w, const char *dir, const char *devname, const char *action,
	       const char *device, uint64_t device_size, const char *job_id,
	       const struct undo_range *r, size_t n, char **err);
/*
 * Save range r as devfd holds it now (read in chunks, so memory stays
 * small). *old_hash: the hash of what was saved. 0 or -1 with why in *err.
 */
int undo_add(struct undo_writer *w, int devfd, const struct undo_range *r, uint64_t *old_hash,
	     char **err);
/* The end line, then fsync of the file and of its directory. 0 or -1. */
int undo_finish(struct undo_writer *w, char **err);
/* Remove an unfinished undo file (nothing was written with it). */
void undo_abort(struct undo_writer *w);
/*
 * The whole undo file for ranges r[0..n) of devfd (device: its path, for
 * words): begun, each range saved and checked to hold still what the plan
 * read (old[i], its hash), finished and synced; tick (may be NULL) after
 * each range. 0 with the file's path in w->path, or -1 with why in *err and
 * nothing left behind (fix and fix-boot).
 */
int undo_save(struct undo_writer *w, const char *dir, const char *devname, const char *action,
	      const char *device, uint64_t device_size, const char *job_id,
	      const struct undo_range *r, const uint64_t *old, size_t n, int devfd,
	      void (*tick)(void *data, size_t done, size_t n), void *data, char **err);
/*
 * undo_save() for a volume offset bytes into the file image (IMAGE:N):
 * devfd is the file, the ranges are the volume's; both are recorded.
 */
int undo_save_at(struct undo_writer *w, const char *dir, const char *devname, const char *action,
		 const char *device, uint64_t device_size, const char *job_id, const char *image,
		 uint64_t offset, const struct undo_range *r, const uint64_t *old, size_t n,
		 int devfd, void (*tick)(void *data, size_t done, size_t n), void *data, char **err);

struct undo_extent {
	uint64_t off, len, old_hash, new_hash;
	uint64_t data_pos;	/* where the saved bytes start in the file */
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
};

/* Open and validate an undo file (header, sizes, end line). 0 or -1 with why. */
int undo_open(const char *path, struct undo_file *u, char **err);
void undo_close(struct undo_file *u);
/* Write extent x's saved bytes back onto devfd (at u->base + its offset) and sync them; 0 or errno. */
int undo_restore_extent(const struct undo_file *u, const struct undo_extent *x, int devfd);
/*
 * Put back extents 0..last of the undo file onto fd after a write failed
 * (the failed one may be half written: it is put back, not judged). True
 * when every one holds its saved bytes again.
 */
bool undo_rollback(const char *undo_path, int fd, size_t last);
/* The hash of a range of fd (as the device holds it); 0 or -errno. */
int undo_hash_range(int fd, uint64_t off, uint64_t len, uint64_t *hash);

#endif
