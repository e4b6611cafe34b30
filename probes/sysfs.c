/* sysfs.c - disks and kernel partitions from <sysroot>/sys, like lsblk does. */
#include "probes/probes.h"
#include "lib/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool is_skipped_name(const char *name)
{
	return str_starts_with(name, "ram") || str_starts_with(name, "zram") ||
	       (str_starts_with(name, "mmcblk") && strstr(name, "boot") != NULL);
}

static bool dir_is_empty(int dirfd, const char *rel)
{
	int fd = openat(dirfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	bool empty = true;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return true;
	}
	while ((de = readdir(d)))
		if (de->d_name[0] != '.') {
			empty = false;
			break;
		}
	closedir(d);
	return empty;
}

static bool parse_devno(const char *s, unsigned *major, unsigned *minor)
{
	return s && sscanf(s, "%u:%u", major, minor) == 2;
}

/* Transport from where the device sits in the sysfs device tree. */
static char *transport_of(const char *sysdir, const char *name)
{
	char real[PATH_MAX];

	if (str_starts_with(name, "loop") || str_starts_with(name, "nbd"))
		return xstrdup("virtual");
	if (!realpath(sysdir, real))
		return NULL;
	if (strstr(real, "/devices/virtual/"))
		return xstrdup("virtual");
	if (strstr(real, "/nvme"))
		return xstrdup("nvme");
	if (strstr(real, "/virtio"))
		return xstrdup("virtio");
	if (strstr(real, "/usb"))
		return xstrdup("usb");
	if (strstr(real, "/mmc_host/"))
		return xstrdup("mmc");
	if (strstr(real, "/vbd-") || strstr(real, "/xen"))
		return xstrdup("xen");
	if (strstr(real, "/ata"))
		return xstrdup("sata");
	if (strstr(real, "/end_device-") || strstr(real, "/sas"))
		return xstrdup("sas");
	if (strstr(real, "/host"))
		return xstrdup("scsi");
	return NULL;
}

static int cmp_disks(const void *a, const void *b)
{
	const struct disk *x = a, *y = b;
	bool lx = str_starts_with(x->name, "loop"), ly = str_starts_with(y->name, "loop");

	/* real disks first, in the kernel's natural order; loop devices last */
	if (lx != ly)
		return lx ? 1 : -1;
	return strverscmp(x->name, y->name);
}

static int cmp_parts(const void *a, const void *b)
{
	const struct partition *x = a, *y = b;

	return x->number < y->number ? -1 : x->number > y->number;
}

void sysfs_sort_partitions(struct disk *d)
{
	if (d->nparts)
		qsort(d->parts, d->nparts, sizeof(*d->parts), cmp_parts);
}

/* Kernel partitions of the disk whose sysfs directory is open at dfd. */
static void read_partitions(int dfd, struct disk *d)
{
	int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;

	if (!dir) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(dir))) {
		uint64_t num, start, size;
		struct partition *p;
		char *devno;
		int pfd;

		if (de->d_name[0] == '.' || !str_starts_with(de->d_name, d->name))
			continue;
		pfd = openat(dfd, de->d_name, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (pfd < 0)
			continue;
		if (!read_u64_at(pfd, "partition", &num)) {
			close(pfd);
			continue;
		}
		d->parts = xrealloc(d->parts, d->nparts + 1, sizeof(*d->parts));
		p = &d->parts[d->nparts++];
		memset(p, 0, sizeof(*p));
		p->name = xstrdup(de->d_name);
		p->path = xasprintf("/dev/%s", de->d_name);
		p->number = num;
		if (read_u64_at(pfd, "start", &start))
			p->start = start * 512;
		if (read_u64_at(pfd, "size", &size))
			p->size = size * 512;
		devno = read_line_at(pfd, "dev");
		parse_devno(devno, &p->major, &p->minor);
		free(devno);
		close(pfd);
	}
	closedir(dir);
	sysfs_sort_partitions(d);
}

int sysfs_list_disks(const struct probe_ctx *ctx, struct disk **disks, size_t *ndisks)
{
	char *blockdir = path_join_root(ctx->sysroot, "/sys/block");
	DIR *dir = opendir(blockdir);
	struct dirent *de;
	int rc = 0;

	*disks = NULL;
	*ndisks = 0;
	if (!dir) {
		rc = -errno;
		free(blockdir);
		return rc;
	}
	while ((de = readdir(dir))) {
		struct disk *d;

		if (de->d_name[0] == '.' || is_skipped_name(de->d_name))
			continue;
		*disks = xrealloc(*disks, *ndisks + 1, sizeof(**disks));
		d = &(*disks)[(*ndisks)++];
		memset(d, 0, sizeof(*d));
		d->name = xstrdup(de->d_name);
		d->path = xasprintf("/dev/%s", de->d_name);
	}
	closedir(dir);
	free(blockdir);
	if (*ndisks)
		qsort(*disks, *ndisks, sizeof(**disks), cmp_disks);
	return 0;
}

/*
 * Whether the sysfs directory open at dfd is a disk to list: not gone
 * since the listing, not empty (an unused loop device), not a dm or md
 * device (built on other disks, not a disk itself). *size: its sectors.
 */
static bool is_listed_at(int dfd, uint64_t *size)
{
	*size = 0;
	return dfd >= 0 && read_u64_at(dfd, "size", size) && *size != 0 && dir_is_empty(dfd, "slaves");
}

bool sysfs_disk_listed(const struct probe_ctx *ctx, const char *name)
{
	char *blockdir = path_join_root(ctx->sysroot, "/sys/block");
	char *sysdir = xasprintf("%s/%s", blockdir, name);
	int dfd = open(sysdir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	uint64_t size;
	bool ok = is_listed_at(dfd, &size);

	if (dfd >= 0)
		close(dfd);
	free(sysdir);
	free(blockdir);
	return ok;
}

bool sysfs_read_disk(const struct probe_ctx *ctx, struct disk *d)
{
	char *blockdir = path_join_root(ctx->sysroot, "/sys/block");
	char *sysdir = xasprintf("%s/%s", blockdir, d->name), *devno;
	uint64_t size = 0, v;
	int dfd = open(sysdir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	bool ok = false;

	free(blockdir);
	if (!is_listed_at(dfd, &size))
		goto out;
	ok = true;
	d->size = size * 512;
	devno = read_line_at(dfd, "dev");
	parse_devno(devno, &d->major, &d->minor);
	free(devno);
	d->log_sector = read_u64_at(dfd, "queue/logical_block_size", &v) ? (unsigned)v : 512;
	d->phys_sector = read_u64_at(dfd, "queue/physical_block_size", &v) ? (unsigned)v : d->log_sector;
	d->removable = read_u64_at(dfd, "removable", &v) && v;
	d->readonly = read_u64_at(dfd, "ro", &v) && v;
	d->model = read_line_at(dfd, "device/model");
	d->vendor = read_line_at(dfd, "device/vendor");
	if (d->vendor && str_starts_with(d->vendor, "0x")) {
		/* virtio and PCI devices give a numeric vendor id: not a name */
		free(d->vendor);
		d->vendor = NULL;
	}
	d->serial = read_line_at(dfd, "device/serial");
	if (!d->serial)
		d->serial = read_line_at(dfd, "serial");
	d->transport = transport_of(sysdir, d->name);
	d->loop_backing = read_line_at(dfd, "loop/backing_file");
	read_partitions(dfd, d);
out:
	if (dfd >= 0)
		close(dfd);
	free(sysdir);
	return ok;
}

bool sysfs_devno_of(const struct probe_ctx *ctx, const char *name, unsigned *major, unsigned *minor)
{
	char *blockdir = path_join_root(ctx->sysroot, "/sys/block");
	char *devno = read_line_fmt("%s/%s/dev", blockdir, name);
	bool ok;

	/* a partition: /sys/block/<disk>/<name>/dev (captured trees have no /sys/class) */
	if (!devno) {
		DIR *dir = opendir(blockdir);
		struct dirent *de;
		while (dir && !devno && (de = readdir(dir)))
			if (de->d_name[0] != '.' && str_starts_with(name, de->d_name))
				devno = read_line_fmt("%s/%s/%s/dev", blockdir, de->d_name, name);
		if (dir)
			closedir(dir);
	}
	ok = parse_devno(devno, major, minor);
	free(devno);
	free(blockdir);
	return ok;
}

void sysfs_whole_disks_of(const struct probe_ctx *ctx, const struct mount_table *mt,
			  unsigned major, unsigned minor, char ***names, size_t *n, int depth)
{
	char *link, *base, *slavesdir;
	char real[PATH_MAX];
	DIR *dir;
	struct dirent *de;

	if (depth > 8)
		return;
	base = path_join_root(ctx->sysroot, "/sys/dev/block");
	link = xasprintf("%s/%u:%u", base, major, minor);
	free(base);
	if (!realpath(link, real)) {
		free(link);
		return;
	}
	free(link);

	/* a partition: its parent directory is the whole disk */
	char *partfile = xasprintf("%s/partition", real);
	struct stat st;
	bool is_part = stat(partfile, &st) == 0;
	free(partfile);
	if (is_part) {
		char *slash = strrchr(real, '/');
		if (slash)
			*slash = '\0';
	}
	const char *name = strrchr(real, '/') ? strrchr(real, '/') + 1 : real;

	/* dm/md: follow every slave */
	slavesdir = xasprintf("%s/slaves", real);
	dir = opendir(slavesdir);
	if (dir) {
		bool any = false;
		while ((de = readdir(dir))) {
			unsigned ma, mi;
			char *devno;
			if (de->d_name[0] == '.')
				continue;
			/* each entry links to the slave's own sysfs directory */
			devno = read_line_fmt("%s/%s/dev", slavesdir, de->d_name);
			if (parse_devno(devno, &ma, &mi)) {
				any = true;
				sysfs_whole_disks_of(ctx, mt, ma, mi, names, n, depth + 1);
			}
			free(devno);
		}
		closedir(dir);
		if (any) {
			free(slavesdir);
			return;
		}
	}
	free(slavesdir);

	/* loop: the disk behind the backing file counts too */
	if (str_starts_with(name, "loop") && mt) {
		char *backing = read_line_fmt("%s/loop/backing_file", real);
		if (backing) {
			const struct mount_entry *me = mounts_find_containing(mt, backing);
			if (me && (me->major || me->minor))
				sysfs_whole_disks_of(ctx, mt, me->major, me->minor, names, n, depth + 1);
			free(backing);
		}
	}
	if (!strv_contains(*names, *n, name))
		strv_add(names, n, name);
}
