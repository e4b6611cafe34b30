/*
 * probes.h - the pieces probes_scan() is made of. Internal to probes/ and
 * the unit tests; front ends use inventory.h only.
 *
 * Call order inside probes_scan():
 *   sysfs_list_disks()          the names in <sysroot>/sys/block
 *   mounts_load()               mountinfo (libmount) and /proc/swaps
 *   probe workers (scan.c)      the disks dealt out to WINRESCUE_PROBE_JOBS
 *                               processes, sent back with wire.c; each probes
 *                               its batch in stages over all its disks:
 *     sysfs_read_disk()         size, model..., kernel partitions
 *     mounts_usage()            mountpoints, swap, holders of every device
 *     open read-only            + prefetch_tables()
 *     fsprobe_table() (libblkid), ptable_probe() (libfdisk)
 *                               + prefetch_superblocks() for every partition
 *     fsprobe_volume() (libblkid) + ntfs_prefetch_boot()
 *     ntfs_prefetch_meta()      runlists of the NTFS system files
 *     ntfs_probe() (libntfs-3g), roles_partition()
 *   mounts_rescue_disks()       whole disks behind the running system (in the
 *                               parent while the workers probe; after the
 *                               probing when it runs in this process)
 *   roles_disk()                disk roles
 *   findings_build()            snapshot-wide findings
 */
#ifndef WINRESCUE_PROBES_H
#define WINRESCUE_PROBES_H

#include "probes/inventory.h"

#include <sys/types.h>

/* ---- sysfs.c ---- */
/*
 * The candidates in <sysroot>/sys/block (all but ram, zram and mmc boot
 * areas), named and in listing order; -errno when the directory is
 * unreadable. sysfs_read_disk() fills each in, or rules it out.
 */
int sysfs_list_disks(const struct probe_ctx *ctx, struct disk **disks, size_t *ndisks);
/*
 * Size, sectors, model, transport, loop backing file and kernel partitions
 * of the named disk d. False when it is not a disk to list: gone since the
 * listing, empty (an unused loop device), or built on other disks (dm, md).
 */
bool sysfs_read_disk(const struct probe_ctx *ctx, struct disk *d);
/*
 * Whole-disk kernel names behind block device maj:min: partitions lead to
 * their disk, dm/md devices to their slaves, loop devices to the disk that
 * holds their backing file (through mt). Adds names to *names.
 */
struct mount_table;
void sysfs_whole_disks_of(const struct probe_ctx *ctx, const struct mount_table *mt,
			  unsigned major, unsigned minor, char ***names, size_t *n, int depth);
/*
 * Whether the candidate name is a disk to list: sysfs_read_disk()'s rule,
 * without reading the rest. Disks are numbered over every candidate that
 * passes, so that a filtered scan numbers them as a full one does.
 */
bool sysfs_disk_listed(const struct probe_ctx *ctx, const char *name);
/* Order d->parts by partition number (kernel and table entries alike). */
void sysfs_sort_partitions(struct disk *d);
/* maj:min of a kernel block device name ("sda4", "dm-0"); false if unknown. */
bool sysfs_devno_of(const struct probe_ctx *ctx, const char *name, unsigned *major, unsigned *minor);

/* ---- mounts.c ---- */
struct mount_entry {
	char *target;
	char *source;
	char *fstype;
	char *fs_options;
	unsigned major, minor;
	bool rw;
};

struct mount_table {
	struct mount_entry *entries;
	size_t n;
	char **swaps;		/* kernel names of active swap devices */
	size_t nswaps;
	char *error;		/* mountinfo unreadable */
};

int mounts_load(const struct probe_ctx *ctx, struct mount_table *mt);
void mounts_free(struct mount_table *mt);
/* The mount whose target is the longest prefix of path, or NULL. */
const struct mount_entry *mounts_find_containing(const struct mount_table *mt, const char *path);
/* Mountpoints, rw, swap and holders of one block device into *u. */
void mounts_usage(const struct mount_table *mt, const char *sysdir, const char *name,
		  unsigned major, unsigned minor, struct usage *u);
/* True for mounts that belong to the running system (not /mnt, /media...). */
bool mounts_is_system(const struct mount_entry *me);
/*
 * Whole disks backing the running system: every system mount followed
 * through overlay dirs, loop files, dm/md slaves and partitions, plus swap.
 * names[i] comes with reasons[i] ("/ is on sda4").
 */
void mounts_rescue_disks(const struct probe_ctx *ctx, const struct mount_table *mt,
			 char ***names, char ***reasons, size_t *n);

/* ---- ptable.c (libfdisk, read-only) ---- */
int ptable_probe(struct disk *d, int fd);

/* ---- fsprobe.c (libblkid, low-level, no cache) ---- */
/*
 * The partition-table pass over a whole disk: *pttype is the table type
 * (NULL when there is none); an undecidable content is recorded in
 * v->fs_error. Returns -errno on an I/O error, 0 otherwise.
 */
int fsprobe_table(int fd, uint64_t size, struct volume *v, char **pttype);
/* What a probed range is; it decides which libblkid probers run. */
enum fsprobe_range {
	FSPROBE_DISK,		/* a whole disk without a partition table: all */
	FSPROBE_PARTITION,	/* a partition: all that libblkid runs on a partition device */
	FSPROBE_HYBRID,		/* a partitioned whole disk: iso9660 and udf only, since
				 * boot media (an ISO image on a USB stick) carry an MBR too */
};
/*
 * Filesystem signatures in [off, off+size) of fd into v. Returns -errno on
 * an I/O error, 0 otherwise (ambivalence is recorded in v->fs_error).
 */
int fsprobe_volume(int fd, uint64_t off, uint64_t size, enum fsprobe_range what,
		   struct volume *v);

/* ---- prefetch.c (read-ahead hints; see the comment in prefetch.c) ---- */
struct prefetch_range {
	uint64_t off, len;
};

/* Ranges to announce together: sorted and merged when issued. */
struct prefetch_plan {
	struct prefetch_range *r;
	size_t n, cap;
};

/* Read only what is asked on fd from now on: no device read-ahead. */
void prefetch_start(int fd);
/* Add [off, off+len), clipped at limit (the end of the disk or volume). */
void prefetch_add(struct prefetch_plan *pl, uint64_t limit, uint64_t off, uint64_t len);
/* Start reading the plan's ranges of fd in the background; empties the plan. */
void prefetch_issue(int fd, struct prefetch_plan *pl);
void prefetch_plan_free(struct prefetch_plan *pl);
/* Append src's ranges from index from on to dst (to remember what was announced). */
void prefetch_keep(struct prefetch_plan *dst, const struct prefetch_plan *src, size_t from);
/* The partition table areas at both ends of a disk with this logical sector size. */
void prefetch_tables(struct prefetch_plan *pl, uint64_t disk_size, unsigned sector);
/* The places libblkid's superblock probers read in [off, off+size). */
void prefetch_superblocks(struct prefetch_plan *pl, uint64_t off, uint64_t size,
			  enum fsprobe_range what);

/*
 * Reads of fd served from the announced ranges in hints: each range is
 * read whole on first use and kept. Other reads go straight to fd.
 */
struct readcache {
	int fd;
	struct prefetch_range *r;	/* announced, page-aligned, sorted, merged */
	unsigned char **data;		/* r[i] in memory, NULL until first used */
	ssize_t *have;			/* bytes of r[i] read; -1 when it could not be */
	size_t n;
};

/* Without hints (NULL or empty) every read goes to fd and nothing is allocated. */
void readcache_init(struct readcache *c, int fd, const struct prefetch_plan *hints);
/* Like pread() retried to the full length: the bytes read, or -1 (errno). */
ssize_t readcache_pread(struct readcache *c, void *buf, size_t len, uint64_t off);
void readcache_free(struct readcache *c);

/* ---- ntfs.c (libntfs-3g through a read-only device layer) ---- */
/*
 * NTFS state of [off, off+size) of fd into v->ntfs (never left NULL), and
 * its \Boot\BCD into v->bcd. name is used in messages; hints are the
 * ranges announced for this volume (or NULL).
 */
void ntfs_probe(struct volume *v, int fd, uint64_t off, uint64_t size, unsigned sector_size,
		const char *name, const struct prefetch_plan *hints);
/*
 * The most a hive copied into memory (which the worker's memory limit does
 * not see) may hold: half that limit, and 128 MiB (real SOFTWARE hives
 * reach about 100 MiB).
 */
uint64_t probe_hive_cap(void);
/*
 * A file to be changed in place (fix-boot --rewrite-bcd): its bytes, and
 * where on the volume each unit (cluster) of it lies, so that changed
 * bytes are written to the device (with an undo file) and not through a
 * file system driver.
 */
struct file_map {
	uint8_t *data;
	uint64_t size;
	uint64_t unit;		/* bytes per entry of dev */
	uint64_t *dev;		/* byte offset on the volume of file bytes [i*unit, (i+1)*unit) */
	size_t n;
};
void file_map_free(struct file_map *m);
/*
 * path (components separated by '/', case ignored) on the NTFS volume
 * that is the whole of fd (size bytes), through libntfs-3g read-only.
 * Refused for a file that is resident, compressed, sparse or encrypted.
 * 0, or -1 with why in *why (words).
 */
int ntfs_file_map(int fd, uint64_t size, unsigned sector_size, const char *path,
		  struct file_map *m, char **why);
/* The same for path on the FAT volume (an ESP) that is fd: mtools' mcopy and mshowfat (esp.c). */
int esp_file_map(int fd, const char *path, struct file_map *m, char **why);
/* A BCD store copied into the memory file fd, decoded into v (file: its path, for words). */
void probe_bcd_fd(int fd, const char *file, struct volume *v);
/*
 * An ESP's \EFI\Microsoft\Boot\BCD, read with mtools' mcopy from
 * [off, ...) of the disk open at fd (no mount), decoded into v (esp.c).
 */
void esp_read_bcd(struct volume *v, int fd, uint64_t off);
/* Whether the ESP at off holds \EFI\Microsoft\Boot\bootmgfw.efi and \EFI\Boot\bootx64.efi. */
void esp_read_loaders(struct volume *v, int fd, uint64_t off);
/*
 * Read-ahead hints, in two stages: from the boot sector ($MFT head,
 * $MFTMirr, backup boot sector), then, once those have arrived, from the
 * system files' runlists ($UpCase, $AttrDef, $Bitmap, $LogFile, root index).
 */
void ntfs_prefetch_boot(int fd, uint64_t off, uint64_t size, struct prefetch_plan *pl);
void ntfs_prefetch_meta(int fd, uint64_t off, uint64_t size, unsigned sector_size,
			const struct prefetch_plan *hints, struct prefetch_plan *pl);
/* Whether [off, off+size) holds an NTFS boot sector at its start or its end. */
bool ntfs_looks_like(int fd, uint64_t off, uint64_t size);
/*
 * Probe an image file (fd, d->path, d->size set) as one volume, as the
 * inventory probes a whole disk, in a probe worker under the same limits:
 * d->pttype when it holds a partition table, with its partitions (start,
 * size, type, and what each holds, as list probes a partition), else
 * d->vol; d->error when the probe stopped (the reason in words).
 */
void probes_image(int fd, struct disk *d);
/*
 * A probe step's -errno in words (scan.c); in a probe worker, ENOMEM says
 * that the worker's memory limit stopped it.
 */
const char *probe_errno_words(int rc);
/* In a probe worker: a sign of life for its time limit (a step of a disk done, a MiB read). */
void probe_progress(void);
/* In a probe worker: its memory limit in MiB; 0 elsewhere. */
unsigned long probe_worker_mem_mb(void);
void ntfs_state_free(struct ntfs_state *st);

/* ---- wire.c ---- */
/* Free every heap block a disk owns (not the struct itself). */
void disk_free_fields(struct disk *d);

/* A growing byte buffer. */
struct wire_buf {
	unsigned char *data;
	size_t len, cap;
};

/* Room for n more bytes after b->len. */
void wire_reserve(struct wire_buf *b, size_t n);
/* Append a probed disk to b, for the parent process to rebuild. */
void wire_put_disk(struct wire_buf *b, const struct disk *d);
/*
 * Rebuild a disk from [*pos, end) into *d (overwritten, not freed) and
 * advance *pos. False when the input is short: *d is then still safe to
 * free, with what could be read.
 */
bool wire_get_disk(const unsigned char **pos, const unsigned char *end, struct disk *d);

/* ---- roles.c ---- */
enum part_role roles_partition(const char *parttype, const struct volume *v);
enum disk_role roles_disk(const struct disk *d, bool rescue);
/*
 * A volume a BCD store's OS loader starts Windows from is the Windows
 * volume, and its disk the system disk, even when its NTFS cannot be read
 * far enough to see \Windows (a damaged boot sector or MFT record): after
 * the BCD devices are matched to the partitions.
 */
void roles_from_boot(struct inventory *inv);

/* ---- findings.c ---- */
void findings_build(struct inventory *inv);
void findings_add(struct inventory *inv, enum severity sev, const char *code,
		  const char *device, const char *action, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

#endif
