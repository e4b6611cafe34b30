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

static void probe_partition(struct disk *d, struct partition *p, int fd)
{
	char *name;
	int rc;

	if (p->container || p->size == 0)
		return;
	if (p->start + p->size > d->size) {
		p->error = xstrdup("the partition extends beyond the end of the disk");
		return;
	}
	rc = fsprobe_volume(fd, p->start, p->size, false, &p->vol, NULL);
	if (rc < 0) {
		p->error = xasprintf("cannot read the partition: %s", strerror(-rc));
		return;
	}
	/* blkid reads only the primary boot sector; a damaged one hides NTFS */
	if (is_ntfs(&p->vol) || (!p->vol.fstype && !p->vol.fs_error &&
				 windows_parttype(p->parttype) && ntfs_looks_like(fd, p->start, p->size))) {
		name = p->path ? xstrdup(p->path) : xasprintf("%s partition %zu", d->path, p->number);
		p->vol.ntfs = ntfs_probe(fd, p->start, p->size, d->log_sector, name);
		free(name);
	}
}

static void probe_disk(struct disk *d, int fd)
{
	char *pttype = NULL;
	struct stat st;
	int rc;

	/* the node must still be the device the scan saw */
	if (fstat(fd, &st) == 0 && S_ISBLK(st.st_mode) &&
	    (major(st.st_rdev) != d->major || minor(st.st_rdev) != d->minor)) {
		d->error = xasprintf("%s is now a different device (%u:%u, expected %u:%u)", d->path,
				     major(st.st_rdev), minor(st.st_rdev), d->major, d->minor);
		return;
	}
	rc = fsprobe_volume(fd, 0, d->size, true, &d->vol, &pttype);
	if (rc < 0) {
		d->error = xasprintf("cannot read the disk: %s", strerror(-rc));
		free(pttype);
		return;
	}
	/*
	 * libblkid decides whether there is a table at all, as lsblk does: a
	 * FAT or NTFS boot sector also ends in 55 aa, and libfdisk alone
	 * would read it as an MBR full of garbage partitions. When blkid could
	 * not decide (ambivalent), libfdisk gets its chance.
	 */
	if (pttype || (!d->vol.fstype && d->vol.fs_error)) {
		rc = ptable_probe(d, fd);
		if (rc < 0)
			d->error = xasprintf("cannot read the partition table: %s", strerror(-rc));
	}
	if (!d->pttype && pttype)
		d->pttype = xstrdup(pttype);	/* a table libfdisk does not read */
	free(pttype);

	for (size_t i = 0; i < d->nparts; i++) {
		struct partition *p = &d->parts[i];
		probe_partition(d, p, fd);
		p->role = roles_partition(p->parttype, &p->vol);
	}
	if (is_ntfs(&d->vol) || (!d->pttype && !d->vol.fstype && !d->vol.fs_error &&
				 ntfs_looks_like(fd, 0, d->size)))
		d->vol.ntfs = ntfs_probe(fd, 0, d->size, d->log_sector, d->path);
	if (d->vol.fstype || d->vol.ntfs)
		d->vol_role = roles_partition(NULL, &d->vol);
}

/*
 * Ask the kernel to read, in the background and in large requests, the
 * places every probe looks at first: table areas at both ends of the disk,
 * the start and end of each partition (boot sectors, superblocks, backup
 * boot sectors). The probes' many small reads then hit the page cache
 * instead of waiting one by one on a slow (cloud, loop) disk.
 */
static void prefetch(int fd, const struct disk *d)
{
	const uint64_t head = 1 << 20, tail = 64 << 10;

	posix_fadvise(fd, 0, (off_t)(d->size < head ? d->size : head), POSIX_FADV_WILLNEED);
	if (d->size > head)
		posix_fadvise(fd, (off_t)(d->size - head), (off_t)head, POSIX_FADV_WILLNEED);
	for (size_t i = 0; i < d->nparts; i++) {
		const struct partition *p = &d->parts[i];
		if (p->size < 2 * head) {
			posix_fadvise(fd, (off_t)p->start, (off_t)p->size, POSIX_FADV_WILLNEED);
			continue;
		}
		posix_fadvise(fd, (off_t)p->start, (off_t)head, POSIX_FADV_WILLNEED);
		posix_fadvise(fd, (off_t)(p->start + p->size - tail), (off_t)tail, POSIX_FADV_WILLNEED);
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

	/* open every disk first and start reading ahead on all of them at once */
	int *fds = xcalloc(inv->ndisks, sizeof(int));
	for (size_t i = 0; i < inv->ndisks; i++) {
		struct disk *d = &inv->disks[i];
		char *devpath = path_join_root(ctx->sysroot, d->path);
		fds[i] = open(devpath, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		if (fds[i] < 0)
			d->error = xasprintf("cannot open %s: %s", devpath, strerror(errno));
		else
			prefetch(fds[i], d);
		free(devpath);
	}

	for (size_t i = 0; i < inv->ndisks; i++) {
		struct disk *d = &inv->disks[i];
		char *sysdir = xasprintf("%s/%s", blockdir, d->name);
		bool is_rescue = false;
		int fd = fds[i];

		mounts_usage(&mt, sysdir, d->name, d->major, d->minor, &d->vol.use);
		for (size_t j = 0; j < d->nparts; j++) {
			struct partition *p = &d->parts[j];
			if (p->name) {
				char *psys = xasprintf("%s/%s", sysdir, p->name);
				mounts_usage(&mt, psys, p->name, p->major, p->minor, &p->vol.use);
				free(psys);
			}
		}

		if (fd >= 0) {
			probe_disk(d, fd);
			close(fd);
		}
		for (size_t r = 0; r < nrescue; r++)
			if (strcmp(rescue[r], d->name) == 0) {
				is_rescue = true;
				d->role_reason = xstrdup(reasons[r]);
			}
		d->role = roles_disk(d, is_rescue);
		if (d->role == DISK_ROLE_RESCUE && !d->role_reason)
			d->role_reason = xstrdup("boot medium of the rescue system (iso9660)");
		free(sysdir);
	}
	free(fds);
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
