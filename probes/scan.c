/* scan.c - probes_scan(): one read-only snapshot of everything attached. */
#include "probes/probes.h"
#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

const char *disk_role_name(enum disk_role r)
{
	static const char *const n[] = { "unknown", "rescue", "system", "data" };
	return (unsigned)r < sizeof(n) / sizeof(n[0]) ? n[r] : "unknown";
}

const char *part_role_name(enum part_role r)
{
	static const char *const n[] = { "other", "boot", "esp", "msr", "recovery",
					 "windows", "data", "bitlocker", "swap" };
	return (unsigned)r < sizeof(n) / sizeof(n[0]) ? n[r] : "other";
}

const char *ntfs_logfile_name(enum ntfs_logfile l)
{
	static const char *const n[] = { "unknown", "clean", "unclean", "fast-restart", "empty" };
	return (unsigned)l < sizeof(n) / sizeof(n[0]) ? n[l] : "unknown";
}

const char *severity_name(enum severity s)
{
	static const char *const n[] = { "info", "warning", "error" };
	return (unsigned)s < sizeof(n) / sizeof(n[0]) ? n[s] : "error";
}

/* Partition types under which Windows keeps NTFS volumes. */
static bool windows_parttype(const char *t)
{
	static const char *const types[] = { "0x7", "0x17", "0x27", "0x42",
		"ebd0a0a2-b9e5-4433-87c0-68b6b72699c7", "de94bba4-06d1-4d40-a16a-bfd50179d6ac", NULL };
	for (int i = 0; t && types[i]; i++)
		if (strcmp(t, types[i]) == 0)
			return true;
	return false;
}

static bool is_ntfs(const struct volume *v)
{
	return v->fstype && strcmp(v->fstype, "ntfs") == 0;
}

/*
 * The probes of a batch of disks run in stages, each over every disk of
 * the batch, so that the reads one stage announces (prefetch.c) travel
 * together while the previous stage still works:
 *
 *   1. open each disk; announce its partition table areas
 *   2. partition tables (libblkid, libfdisk); announce every partition's
 *      superblock areas
 *   3. filesystems (libblkid); for NTFS, announce $MFT and $MFTMirr
 *   4. NTFS: announce the system files ($UpCase, $Bitmap, $LogFile...)
 *   5. NTFS state (libntfs-3g); roles
 */
struct ntfs_job {
	struct disk *d;
	struct volume *vol;
	uint64_t off, size;
	char *name;
	int fd;
};

struct batch {
	struct disk *disks;
	int *fds;
	size_t n;
	struct ntfs_job *jobs;
	size_t njobs;
	struct prefetch_plan plan;
};

/* A disk's descriptors stay open for the whole batch; at most this many. */
#define BATCH_DISKS 128

static void add_ntfs_job(struct batch *b, struct disk *d, struct volume *v, int fd,
			 uint64_t off, uint64_t size, char *name)
{
	b->jobs = xrealloc(b->jobs, b->njobs + 1, sizeof(*b->jobs));
	b->jobs[b->njobs++] = (struct ntfs_job){ .d = d, .vol = v, .off = off, .size = size,
						 .name = name, .fd = fd };
	ntfs_prefetch_boot(fd, off, size, &b->plan);
}

static void stage_open(const struct probe_ctx *ctx, struct batch *b, struct disk *d, int *fdp)
{
	char *devpath = path_join_root(ctx->sysroot, d->path);
	struct stat st;
	int fd = open(devpath, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	*fdp = -1;
	if (fd < 0) {
		d->error = xasprintf("cannot open %s: %s", devpath, strerror(errno));
	} else if (fstat(fd, &st) == 0 && S_ISBLK(st.st_mode) &&
		   (major(st.st_rdev) != d->major || minor(st.st_rdev) != d->minor)) {
		/* the node must still be the device the scan saw */
		d->error = xasprintf("%s is now a different device (%u:%u, expected %u:%u)", d->path,
				     major(st.st_rdev), minor(st.st_rdev), d->major, d->minor);
		close(fd);
	} else {
		prefetch_start(fd);
		prefetch_tables(&b->plan, d->size);
		prefetch_issue(fd, &b->plan);
		*fdp = fd;
	}
	free(devpath);
}

static void stage_table(struct batch *b, struct disk *d, int *fdp)
{
	char *pttype = NULL;
	int rc = fsprobe_table(*fdp, d->size, &d->vol, &pttype);

	if (rc < 0) {
		d->error = xasprintf("cannot read the disk: %s", strerror(-rc));
		free(pttype);
		close(*fdp);
		*fdp = -1;
		return;
	}
	/*
	 * libblkid decides whether there is a table at all, as lsblk does: a
	 * FAT or NTFS boot sector also ends in 55 aa, and libfdisk alone
	 * would read it as an MBR full of garbage partitions. When blkid could
	 * not decide (ambivalent), libfdisk gets its chance.
	 */
	if (pttype || d->vol.fs_error) {
		rc = ptable_probe(d, *fdp);
		if (rc < 0)
			d->error = xasprintf("cannot read the partition table: %s", strerror(-rc));
	}
	if (!d->pttype && pttype)
		d->pttype = xstrdup(pttype);	/* a table libfdisk does not read */
	free(pttype);

	for (size_t i = 0; i < d->nparts; i++) {
		struct partition *p = &d->parts[i];
		if (!p->container && p->size && p->start + p->size <= d->size)
			prefetch_superblocks(&b->plan, p->start, p->size);
	}
	if (!d->pttype && !d->vol.fs_error)
		prefetch_superblocks(&b->plan, 0, d->size);
	prefetch_issue(*fdp, &b->plan);
}

static void stage_fs_partition(struct batch *b, struct disk *d, struct partition *p, int fd)
{
	int rc;

	if (p->container || p->size == 0)
		return;
	if (p->start + p->size > d->size) {
		p->error = xstrdup("the partition extends beyond the end of the disk");
		return;
	}
	rc = fsprobe_volume(fd, p->start, p->size, false, &p->vol);
	if (rc < 0) {
		p->error = xasprintf("cannot read the partition: %s", strerror(-rc));
		return;
	}
	/* blkid reads only the primary boot sector; a damaged one hides NTFS */
	if (is_ntfs(&p->vol) || (!p->vol.fstype && !p->vol.fs_error &&
				 windows_parttype(p->parttype) && ntfs_looks_like(fd, p->start, p->size)))
		add_ntfs_job(b, d, &p->vol, fd, p->start, p->size,
			     p->path ? xstrdup(p->path)
				     : xasprintf("%s partition %zu", d->path, p->number));
}

static void stage_fs(struct batch *b, struct disk *d, int fd)
{
	/* the whole disk: every prober when there is no table, else only
	 * hybrid boot media; an undecided table already went to libfdisk */
	if (!d->vol.fs_error) {
		int rc = fsprobe_volume(fd, 0, d->size, d->pttype != NULL, &d->vol);
		if (rc < 0) {
			d->error = xasprintf("cannot read the disk: %s", strerror(-rc));
			return;
		}
		if (!d->pttype && !d->vol.fstype && d->vol.fs_error && !d->nparts) {
			rc = ptable_probe(d, fd);	/* ambivalent signatures: ask libfdisk */
			if (rc < 0)
				d->error = xasprintf("cannot read the partition table: %s",
						     strerror(-rc));
		}
	}
	for (size_t i = 0; i < d->nparts; i++)
		stage_fs_partition(b, d, &d->parts[i], fd);
	if (is_ntfs(&d->vol) || (!d->pttype && !d->vol.fstype && !d->vol.fs_error &&
				 ntfs_looks_like(fd, 0, d->size)))
		add_ntfs_job(b, d, &d->vol, fd, 0, d->size, xstrdup(d->path));
	prefetch_issue(fd, &b->plan);
}

static void probe_batch(const struct probe_ctx *ctx, struct batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		stage_open(ctx, b, &b->disks[i], &b->fds[i]);
	for (size_t i = 0; i < b->n; i++)
		if (b->fds[i] >= 0)
			stage_table(b, &b->disks[i], &b->fds[i]);
	for (size_t i = 0; i < b->n; i++)
		if (b->fds[i] >= 0)
			stage_fs(b, &b->disks[i], b->fds[i]);
	for (size_t j = 0; j < b->njobs; j++) {
		struct ntfs_job *jb = &b->jobs[j];
		ntfs_prefetch_meta(jb->fd, jb->off, jb->size, jb->d->log_sector, &b->plan);
		if (j + 1 == b->njobs || b->jobs[j + 1].fd != jb->fd)
			prefetch_issue(jb->fd, &b->plan);
	}
	for (size_t j = 0; j < b->njobs; j++) {
		struct ntfs_job *jb = &b->jobs[j];
		jb->vol->ntfs = ntfs_probe(jb->fd, jb->off, jb->size, jb->d->log_sector, jb->name);
		free(jb->name);
	}
	for (size_t i = 0; i < b->n; i++) {
		struct disk *d = &b->disks[i];
		for (size_t j = 0; j < d->nparts; j++)
			d->parts[j].role = roles_partition(d->parts[j].parttype, &d->parts[j].vol);
		if (d->vol.fstype || d->vol.ntfs)
			d->vol_role = roles_partition(NULL, &d->vol);
		if (b->fds[i] >= 0)
			close(b->fds[i]);
	}
	free(b->jobs);
	prefetch_plan_free(&b->plan);
}

/* Probe disks[0..n) in batches of BATCH_DISKS open descriptors. */
static void probe_disks(const struct probe_ctx *ctx, struct disk *disks, size_t n)
{
	int fds[BATCH_DISKS];

	for (size_t first = 0; first < n; first += BATCH_DISKS) {
		struct batch b = { .disks = disks + first, .fds = fds,
				   .n = n - first < BATCH_DISKS ? n - first : BATCH_DISKS };
		probe_batch(ctx, &b);
	}
}

struct inventory *probes_scan(const struct probe_ctx *ctx)
{
	struct inventory *inv = xcalloc(1, sizeof(*inv));
	struct mount_table mt;
	char **rescue = NULL, **reasons = NULL, *blockdir;
	size_t nrescue = 0;
	int rc;

	blockdir = path_join_root(ctx->sysroot, "/sys/block");
	rc = sysfs_list_disks(ctx, &inv->disks, &inv->ndisks);
	if (rc < 0) {
		inv->error = xasprintf("cannot read %s: %s", blockdir, strerror(-rc));
		free(blockdir);
		return inv;
	}
	mounts_load(ctx, &mt);
	mounts_rescue_disks(ctx, &mt, &rescue, &reasons, &nrescue);

	for (size_t i = 0; i < inv->ndisks; i++) {
		struct disk *d = &inv->disks[i];
		char *sysdir = xasprintf("%s/%s", blockdir, d->name);

		mounts_usage(&mt, sysdir, d->name, d->major, d->minor, &d->vol.use);
		for (size_t j = 0; j < d->nparts; j++) {
			struct partition *p = &d->parts[j];
			if (p->name) {
				char *psys = xasprintf("%s/%s", sysdir, p->name);
				mounts_usage(&mt, psys, p->name, p->major, p->minor, &p->vol.use);
				free(psys);
			}
		}
		free(sysdir);
	}

	probe_disks(ctx, inv->disks, inv->ndisks);

	for (size_t i = 0; i < inv->ndisks; i++) {
		struct disk *d = &inv->disks[i];
		bool is_rescue = false;

		for (size_t r = 0; r < nrescue; r++)
			if (strcmp(rescue[r], d->name) == 0) {
				is_rescue = true;
				d->role_reason = xstrdup(reasons[r]);
			}
		d->role = roles_disk(d, is_rescue);
		if (d->role == DISK_ROLE_RESCUE && !d->role_reason)
			d->role_reason = xstrdup("boot medium of the rescue system (iso9660)");
	}
	free(blockdir);
	strv_free(rescue, nrescue);
	strv_free(reasons, nrescue);
	mounts_free(&mt);
	findings_build(inv);
	return inv;
}

static void usage_free(struct usage *u)
{
	strv_free(u->mountpoints, u->nmountpoints);
	strv_free(u->holders, u->nholders);
}

static void volume_free(struct volume *v)
{
	free(v->fstype);
	free(v->label);
	free(v->uuid);
	free(v->version);
	free(v->usage);
	free(v->fs_error);
	ntfs_state_free(v->ntfs);
	usage_free(&v->use);
}

void inventory_free(struct inventory *inv)
{
	if (!inv)
		return;
	for (size_t i = 0; i < inv->ndisks; i++) {
		struct disk *d = &inv->disks[i];
		for (size_t j = 0; j < d->nparts; j++) {
			struct partition *p = &d->parts[j];
			free(p->name);
			free(p->path);
			free(p->parttype);
			free(p->parttype_name);
			free(p->partuuid);
			free(p->partlabel);
			free(p->attrs);
			free(p->error);
			volume_free(&p->vol);
		}
		free(d->parts);
		free(d->free);
		free(d->name);
		free(d->path);
		free(d->model);
		free(d->vendor);
		free(d->serial);
		free(d->transport);
		free(d->loop_backing);
		free(d->pttype);
		free(d->ptuuid);
		strv_free(d->pt_warnings, d->npt_warnings);
		volume_free(&d->vol);
		free(d->role_reason);
		free(d->error);
	}
	free(inv->disks);
	for (size_t i = 0; i < inv->nfindings; i++) {
		free(inv->findings[i].code);
		free(inv->findings[i].device);
		free(inv->findings[i].message);
		free(inv->findings[i].action);
	}
	free(inv->findings);
	free(inv->error);
	free(inv);
}
