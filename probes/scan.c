/* scan.c - probes_scan(): one read-only snapshot of everything attached. */
#include "probes/probes.h"
#include "probes/bcd.h"
#include "probes/mbr.h"
#include "probes/ntfs_boot.h"
#include "probes/ntfs_layout.h"
#include "probes/worker.h"
#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
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

/* The memory limit of this probe worker in MiB (0: none, or not a worker). */
static unsigned long worker_mem_mb_now;
/* In a probe worker: where it says it goes on (one byte per disk step), else -1. */
static int worker_hb = -1;

unsigned long probe_worker_mem_mb(void)
{
	return worker_mem_mb_now;
}

/* A sign of life for the parent's time limit: a step of one disk is done. */
void probe_progress(void)
{
	if (worker_hb >= 0 && write(worker_hb, "", 1) < 0) {
		/* a full pipe is proof enough (non-blocking): nothing to do */
	}
}

/*
 * A probe step's -errno in words: ENOMEM in a worker under its memory limit
 * means the limit stopped it (a crafted boot sector can make libblkid ask
 * for gigabytes), and says so.
 */
const char *probe_errno_words(int rc)
{
	static char buf[128];

	if (rc == -ENOMEM && worker_mem_mb_now) {
		snprintf(buf, sizeof(buf), "probing stopped: it needed more than %lu MiB of memory "
			 "(WINRESCUE_PROBE_MEM_MB)", worker_mem_mb_now);
		return buf;
	}
	return strerror(-rc);
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
 *   1. sysfs (size, model, kernel partitions) and use (mounts, holders);
 *      open each disk; announce its partition table areas
 *   2. partition tables (libblkid, libfdisk); announce every partition's
 *      superblock areas
 *   3. filesystems (libblkid); for NTFS, announce $MFT and $MFTMirr
 *   4. NTFS: announce the system files ($UpCase, $Bitmap, $LogFile...)
 *   5. NTFS state (libntfs-3g, reading through what was announced for
 *      the volume: readcache in prefetch.c); roles
 */
struct ntfs_job {
	struct disk *d;
	struct volume *vol;
	uint64_t off, size;
	char *name;
	int fd;
	struct prefetch_plan hints;	/* what was announced for this volume */
};

struct batch {
	struct disk **disks;
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
	struct ntfs_job *jb;
	size_t n0 = b->plan.n;

	b->jobs = xrealloc(b->jobs, b->njobs + 1, sizeof(*b->jobs));
	jb = &b->jobs[b->njobs++];
	*jb = (struct ntfs_job){ .d = d, .vol = v, .off = off, .size = size, .name = name, .fd = fd };
	/* both boot sectors, read in the superblock stage */
	prefetch_add(&jb->hints, off + size, off, 512);
	prefetch_add(&jb->hints, off + size, off + size - 512, 512);
	ntfs_prefetch_boot(fd, off, size, &b->plan);
	prefetch_keep(&jb->hints, &b->plan, n0);
}

/* sysfs and use; a name that is not a disk to list comes back cleared. */
static bool stage_sysfs(const struct probe_ctx *ctx, const struct mount_table *mt, struct disk *d)
{
	char *blockdir, *sysdir;

	if (!sysfs_read_disk(ctx, d)) {
		disk_free_fields(d);
		memset(d, 0, sizeof(*d));
		return false;
	}
	blockdir = path_join_root(ctx->sysroot, "/sys/block");
	sysdir = xasprintf("%s/%s", blockdir, d->name);
	mounts_usage(mt, sysdir, d->name, d->major, d->minor, &d->vol.use);
	for (size_t j = 0; j < d->nparts; j++) {
		struct partition *p = &d->parts[j];
		if (p->name) {
			char *psys = xasprintf("%s/%s", sysdir, p->name);
			mounts_usage(mt, psys, p->name, p->major, p->minor, &p->vol.use);
			free(psys);
		}
	}
	free(sysdir);
	free(blockdir);
	return true;
}

char *probes_node_error(const char *path, const struct stat *st, unsigned major, unsigned minor)
{
	if (!S_ISBLK(st->st_mode))
		return xasprintf("%s is not a block device (%s stands in its place); nothing was "
				 "read from it: remove it, the kernel's node is %u:%u", path,
				 S_ISREG(st->st_mode) ? "a regular file" : "another kind of file",
				 major, minor);
	if (major(st->st_rdev) != major || minor(st->st_rdev) != minor)
		return xasprintf("%s is now a different device (%u:%u, expected %u:%u)", path,
				 major(st->st_rdev), minor(st->st_rdev), major, minor);
	return NULL;
}

/*
 * Partitions are read through the whole disk's descriptor, but actions
 * open their nodes: a node that is not the kernel's partition device is
 * the partition's error (a missing node is not: the probe does not need it).
 */
static void check_partition_nodes(const struct probe_ctx *ctx, struct disk *d)
{
	for (size_t i = 0; i < d->nparts; i++) {
		struct partition *p = &d->parts[i];
		char *node;
		struct stat st;

		if (!p->path || !p->name)
			continue;
		node = path_join_root(ctx->sysroot, p->path);
		if (stat(node, &st) == 0)
			p->error = probes_node_error(p->path, &st, p->major, p->minor);
		free(node);
	}
}

static void stage_open(const struct probe_ctx *ctx, struct batch *b, struct disk *d, int *fdp)
{
	char *devpath = path_join_root(ctx->sysroot, d->path);
	struct stat st;
	int fd = open(devpath, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	*fdp = -1;
	if (fd < 0) {
		d->error = xasprintf("cannot open %s: %s", devpath, strerror(errno));
	} else if (fstat(fd, &st) < 0) {
		d->error = xasprintf("cannot read the status of %s: %s", devpath, strerror(errno));
		close(fd);
	} else if ((d->error = probes_node_error(d->path, &st, d->major, d->minor))) {
		/* the node must be the kernel's device, still the one the scan saw */
		close(fd);
	} else {
		check_partition_nodes(ctx, d);
		prefetch_start(fd);
		prefetch_tables(&b->plan, d->size, d->log_sector);
		prefetch_issue(fd, &b->plan);
		*fdp = fd;
	}
	free(devpath);
}

static ssize_t fd_read(void *ctx, void *buf, size_t len, uint64_t off)
{
	return pread(*(int *)ctx, buf, len, (off_t)off);
}

/*
 * Whether the size bytes of fd are one NTFS volume rather than a disk with
 * a partition table, where libblkid found a "dos" table: an NTFS boot
 * sector keeps 0x55AA, so its boot code passes for an MBR whenever
 * libblkid's NTFS prober says no (a damaged primary boot sector), or
 * fails (a crafted one makes it ask for gigabytes, and the probe worker's
 * memory limit stops it). Sector 0 naming itself NTFS, or an intact
 * primary, is never an MBR; an intact backup in the last sectors counts
 * only when the volume it describes starts at sector 0 (the backup of a
 * disk's last partition describes that partition alone).
 */
static bool ntfs_whole(int fd, uint64_t size)
{
	struct nb_verdict v;

	nb_examine(fd_read, &fd, size, &v);
	if (!v.read_errno && memcmp(v.primary + NL_BS_OEM, "NTFS    ", 8) == 0)
		return true;
	if (v.chosen == 1)
		return true;
	return v.chosen == 2 && v.claimed_bytes + v.geom.sector + 8192 > size;
}

static void stage_table(struct batch *b, struct disk *d, int *fdp)
{
	char *pttype = NULL;
	int rc = fsprobe_table(*fdp, d->size, &d->vol, &pttype);

	if (rc < 0) {
		d->error = xasprintf("cannot read the disk: %s", probe_errno_words(rc));
		free(pttype);
		close(*fdp);
		*fdp = -1;
		return;
	}
	if (pttype && strcmp(pttype, "dos") == 0 && ntfs_whole(*fdp, d->size)) {
		free(pttype);	/* a file system on the whole disk: stage_fs says what */
		pttype = NULL;
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
			prefetch_superblocks(&b->plan, p->start, p->size, FSPROBE_PARTITION);
	}
	if (!d->pttype && !d->vol.fs_error)
		prefetch_superblocks(&b->plan, 0, d->size, FSPROBE_DISK);
	prefetch_issue(*fdp, &b->plan);
}

static void stage_fs_partition(struct batch *b, struct disk *d, struct partition *p, int fd)
{
	int rc;

	if (p->container || p->size == 0 || p->error)
		return;
	if (p->start > d->size || p->size > d->size - p->start) {
		p->error = xstrdup("the partition extends beyond the end of the disk");
		return;
	}
	rc = fsprobe_volume(fd, p->start, p->size, FSPROBE_PARTITION, &p->vol);
	if (rc < 0) {
		p->error = xasprintf("cannot read the partition: %s", probe_errno_words(rc));
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
		int rc = fsprobe_volume(fd, 0, d->size, d->pttype ? FSPROBE_HYBRID : FSPROBE_DISK,
					 &d->vol);
		if (rc < 0) {
			d->error = xasprintf("cannot read the disk: %s", probe_errno_words(rc));
			return;
		}
		if (!d->pttype && !d->vol.fstype && d->vol.fs_error) {
			rc = ptable_probe(d, fd);	/* ambivalent signatures: ask libfdisk */
			if (rc < 0)
				d->error = xasprintf("cannot read the partition table: %s",
						     strerror(-rc));
		}
	}
	/* the BIOS boot chain's first sector: a dos disk's, or one that may have lost its signature */
	if (d->pttype ? strcmp(d->pttype, "dos") == 0 : !d->vol.fstype && !d->vol.fs_error) {
		mbr_probe(d, fd);
		if (!d->pttype && !d->mbr.lost_table)
			memset(&d->mbr, 0, sizeof(d->mbr));	/* an empty disk, not a BIOS one */
	}
	for (size_t i = 0; i < d->nparts; i++)
		stage_fs_partition(b, d, &d->parts[i], fd);
	/* an MBR that lost its signature holds partitions, not one volume: the
	 * backup boot sector of its last NTFS partition is not the disk's */
	if (is_ntfs(&d->vol) || (!d->pttype && !d->vol.fstype && !d->vol.fs_error &&
				 !d->mbr.lost_table && ntfs_looks_like(fd, 0, d->size)))
		add_ntfs_job(b, d, &d->vol, fd, 0, d->size, xstrdup(d->path));
	prefetch_issue(fd, &b->plan);
}

static void probe_batch(const struct probe_ctx *ctx, const struct mount_table *mt,
			struct batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		b->fds[i] = -1;
		if (stage_sysfs(ctx, mt, b->disks[i]))
			stage_open(ctx, b, b->disks[i], &b->fds[i]);
		probe_progress();
	}
	for (size_t i = 0; i < b->n; i++) {
		if (b->fds[i] >= 0)
			stage_table(b, b->disks[i], &b->fds[i]);
		probe_progress();
	}
	for (size_t i = 0; i < b->n; i++) {
		if (b->fds[i] >= 0)
			stage_fs(b, b->disks[i], b->fds[i]);
		probe_progress();
	}
	for (size_t j = 0; j < b->njobs; j++) {
		struct ntfs_job *jb = &b->jobs[j];
		size_t n0 = b->plan.n;

		ntfs_prefetch_meta(jb->fd, jb->off, jb->size, jb->d->log_sector, &jb->hints,
				   &b->plan);
		prefetch_keep(&jb->hints, &b->plan, n0);
		if (j + 1 == b->njobs || b->jobs[j + 1].fd != jb->fd)
			prefetch_issue(jb->fd, &b->plan);
	}
	for (size_t j = 0; j < b->njobs; j++) {
		struct ntfs_job *jb = &b->jobs[j];
		ntfs_probe(jb->vol, jb->fd, jb->off, jb->size, jb->d->log_sector, jb->name,
			   &jb->hints);
		probe_progress();
		free(jb->name);
		prefetch_plan_free(&jb->hints);
	}
	for (size_t i = 0; i < b->n; i++) {
		struct disk *d = b->disks[i];
		if (!d->name)
			continue;	/* not a disk */
		for (size_t j = 0; j < d->nparts; j++) {
			struct partition *p = &d->parts[j];
			p->role = roles_partition(p->parttype, &p->vol);
			if (p->role == PART_ROLE_ESP && b->fds[i] >= 0 && p->vol.fstype &&
			    strcmp(p->vol.fstype, "vfat") == 0) {
				esp_read_bcd(&p->vol, b->fds[i], p->start);
				esp_read_loaders(&p->vol, b->fds[i], p->start);
				probe_progress();
			}
		}
		if (d->vol.fstype || d->vol.ntfs)
			d->vol_role = roles_partition(NULL, &d->vol);
		if (b->fds[i] >= 0)
			close(b->fds[i]);
	}
	free(b->jobs);
	prefetch_plan_free(&b->plan);
}

/* Probe disks[0..n) in batches of BATCH_DISKS open descriptors. */
static void probe_list(const struct probe_ctx *ctx, const struct mount_table *mt,
		       struct disk **disks, size_t n)
{
	int fds[BATCH_DISKS];

	for (size_t first = 0; first < n; first += BATCH_DISKS) {
		struct batch b = { .disks = disks + first, .fds = fds,
				   .n = n - first < BATCH_DISKS ? n - first : BATCH_DISKS };
		probe_batch(ctx, mt, &b);
	}
}

/*
 * Probe workers. The disks are dealt out to WINRESCUE_PROBE_JOBS processes
 * (default: one per online CPU, at most PROBE_JOBS_MAX; always at least
 * one), forked for the scan; each probes its share and sends the disks
 * back through a pipe (wire.c). The probes parse what damaged disks hold
 * through libraries (libblkid, libfdisk, libntfs-3g), so a worker runs
 * under a memory limit (RLIMIT_AS) and a time limit that runs from its
 * last sign of life (a byte on a second pipe after each step of a disk): a
 * library that crashes, asks for gigabytes (a crafted NTFS boot sector
 * makes libblkid read 2 GiB) or hangs on a dying disk costs only its own
 * disks, which carry the reason, and never this process, its terminal or
 * a small rescue VM's memory. When a worker with several disks fails, each
 * of them is probed again in a worker of its own, so only the culprit
 * keeps the error. WINRESCUE_PROBE_JOBS=0 probes in this process (for
 * debugging only: nothing is limited).
 */
#define PROBE_JOBS_MAX 8

struct worker {
	pid_t pid;
	int fd;			/* read end of its pipe, -1 once at EOF */
	struct disk **disks;	/* its share, in the order it sends them */
	size_t n;
	int hb;			/* read end of its heartbeat pipe, -1 once closed */
	struct wire_buf in;
	double deadline;	/* monotonic seconds: its last sign of life + the time limit */
	bool timed_out;		/* killed at its deadline */
};

/* How many probe workers this scan runs at once (for the memory default). */
static size_t jobs_now = 1;

/* The memory limit of one worker (worker.c: WINRESCUE_PROBE_MEM_MB or its default). */
static unsigned long probe_mem_mb(void)
{
	return worker_mem_mb(jobs_now);
}

static unsigned long probe_timeout_s(void)
{
	return worker_timeout_s();
}

/* 0: probe in this process (WINRESCUE_PROBE_JOBS=0, or no disk). */
static size_t probe_jobs(size_t ndisks)
{
	const char *env = getenv("WINRESCUE_PROBE_JOBS");
	long jobs = sysconf(_SC_NPROCESSORS_ONLN);

	if (env && *env) {
		char *end;
		long v = strtol(env, &end, 10);
		if (*end == '\0' && v == 0)
			return 0;
		if (*end == '\0' && v >= 1)
			jobs = v;
	}
	if (jobs < 1)
		jobs = 1;
	if (jobs > PROBE_JOBS_MAX)
		jobs = PROBE_JOBS_MAX;
	return (size_t)jobs < ndisks ? (size_t)jobs : ndisks;
}

/*
 * In a probe worker, before it parses anything: the child set up as every
 * worker is (worker.c: its own process group, so that mtools dies with it
 * at the time limit; killed when winrescue ends; its memory limit; an
 * allocation that fails ends it with the status read as "out of memory").
 */
static void worker_limits(void)
{
	worker_mem_mb_now = worker_enter(probe_mem_mb());
	/* root (it opens the devices as it goes), mtools runs from here: the deny-list */
	if (worker_confine(WORKER_CONFINE_ROOT_READER) < 0)
		_exit(2);
}

/* In the child: the limits, then probe, send, and leave without atexit handlers. */
static void __attribute__((noreturn)) worker_run(const struct probe_ctx *ctx,
						 const struct mount_table *mt, struct worker *wk,
						 int out, int hb)
{
	struct wire_buf b = { 0 };

	worker_hb = hb;
	worker_limits();
	probe_list(ctx, mt, wk->disks, wk->n);
	for (size_t i = 0; i < wk->n; i++)
		wire_put_disk(&b, wk->disks[i]);
	_exit(write_all(out, b.data, b.len) ? 0 : 1);
}

static bool worker_start(const struct probe_ctx *ctx, const struct mount_table *mt,
			 struct worker *wk)
{
	int p[2], h[2];

	wk->fd = wk->hb = -1;
	if (pipe2(p, O_CLOEXEC) < 0)
		return false;
	if (pipe2(h, O_CLOEXEC | O_NONBLOCK) < 0) {
		close(p[0]);
		close(p[1]);
		return false;
	}
	wk->pid = fork();
	if (wk->pid < 0) {
		close(p[0]);
		close(p[1]);
		close(h[0]);
		close(h[1]);
		return false;
	}
	if (wk->pid == 0) {
		close(p[0]);
		close(h[0]);
		worker_run(ctx, mt, wk, p[1], h[1]);
	}
	worker_adopt(wk->pid);
	close(p[1]);
	close(h[1]);
	wk->fd = p[0];
	wk->hb = h[0];
	wk->deadline = monotonic_s() + (double)probe_timeout_s();
	return true;
}

/* Read what a worker's pipe holds now (0: more may come; 1: its end). */
static int worker_read(struct worker *wk)
{
	struct wire_buf *b = &wk->in;
	ssize_t r;

	wire_reserve(b, 65536);
	r = read(wk->fd, b->data + b->len, b->cap - b->len);
	if (r > 0) {
		b->len += (size_t)r;
		return 0;
	}
	if (r < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	return 1;
}

static void worker_close(struct worker *wk)
{
	if (wk->fd >= 0)
		close(wk->fd);
	if (wk->hb >= 0)
		close(wk->hb);
	wk->fd = wk->hb = -1;
}

/* Whether the worker's pipe is at its end already (it finished in time). */
static bool worker_done_now(struct worker *wk)
{
	for (;;) {
		struct pollfd p = { .fd = wk->fd, .events = POLLIN };
		if (poll(&p, 1, 0) <= 0 || !(p.revents & (POLLIN | POLLHUP | POLLERR)))
			return false;
		if (worker_read(wk))
			return true;
	}
}

/*
 * Read every worker's pipe to its end, whichever has something first. A
 * worker's deadline moves on with each sign of life (a disk step done); one
 * silent for the whole time limit is killed (its disks then carry the
 * reason), unless its answer is complete already.
 */
static void workers_drain(struct worker *wk, size_t n)
{
	struct pollfd *pf = xcalloc(2 * n, sizeof(*pf));
	struct worker **of = xcalloc(2 * n, sizeof(*of));

	for (;;) {
		double now = monotonic_s(), next = -1;
		size_t np = 0;

		for (size_t i = 0; i < n; i++) {
			if (wk[i].fd < 0)
				continue;
			if (now >= wk[i].deadline) {
				if (!worker_done_now(&wk[i])) {
					worker_kill(wk[i].pid);
					wk[i].timed_out = true;
				}
				worker_close(&wk[i]);
				continue;
			}
			if (next < 0 || wk[i].deadline < next)
				next = wk[i].deadline;
			of[np] = &wk[i];
			pf[np++] = (struct pollfd){ .fd = wk[i].fd, .events = POLLIN };
			if (wk[i].hb >= 0) {
				of[np] = &wk[i];
				pf[np++] = (struct pollfd){ .fd = wk[i].hb, .events = POLLIN };
			}
		}
		if (!np)
			break;
		double wait_ms = (next - now) * 1000 + 1;
		int ms = wait_ms > 60000 ? 60000 : (int)wait_ms;
		int rc = poll(pf, np, ms);
		if (rc < 0 && errno != EINTR) {
			/* cannot wait for them: stop them, as at a deadline */
			for (size_t i = 0; i < n; i++)
				if (wk[i].fd >= 0) {
					worker_kill(wk[i].pid);
					wk[i].timed_out = true;
					worker_close(&wk[i]);
				}
			break;
		}
		for (size_t k = 0; rc > 0 && k < np; k++) {
			struct worker *w = of[k];
			if (!(pf[k].revents & (POLLIN | POLLHUP | POLLERR)) || w->fd < 0)
				continue;
			if (pf[k].fd == w->hb) {
				char junk[256];
				ssize_t r = read(w->hb, junk, sizeof(junk));
				if (r > 0)
					w->deadline = monotonic_s() + (double)probe_timeout_s();
				else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
					close(w->hb);
					w->hb = -1;
				}
			} else if (worker_read(w)) {
				worker_close(w);
			}
		}
	}
	free(pf);
	free(of);
}

/* Why a worker's disks did not come back, in words. */
static char *worker_failure(const struct worker *wk, int status)
{
	if (wk->timed_out)
		return xasprintf("it took longer than %lu s (WINRESCUE_PROBE_TIMEOUT)",
				 probe_timeout_s());
	if (WIFEXITED(status) && WEXITSTATUS(status) == WORKER_EXIT_OOM)
		return xasprintf("it needed more than %lu MiB of memory (WINRESCUE_PROBE_MEM_MB)",
				 probe_mem_mb());
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS)
		return xstrdup("the probe tried something a parser never needs (a system call "
			       "outside its sandbox) and was stopped: the disk may be crafted");
	if (WIFEXITED(status) && WEXITSTATUS(status) == 2)
		return xstrdup("the probe's sandbox could not be set up");
	if (WIFSIGNALED(status))
		return xasprintf("the probe crashed (signal %d, %s)", WTERMSIG(status),
				 strsignal(WTERMSIG(status)));
	if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		return xasprintf("the probe failed (exit status %d)", WEXITSTATUS(status));
	return xstrdup("the probe sent an incomplete answer");
}

/*
 * Workers killed in the middle of a read on a dying or slow disk exit only
 * when the kernel gives the read up (uninterruptible sleep): they are not
 * waited for, but reaped at the next scan, so that a hung disk never hangs
 * the listing (nor the TUI).
 */
static pid_t *unreaped;
static size_t nunreaped;

static void reap_old(void)
{
	size_t keep = 0;

	for (size_t i = 0; i < nunreaped; i++)
		if (waitpid(unreaped[i], NULL, WNOHANG) == 0)
			unreaped[keep++] = unreaped[i];
	nunreaped = keep;
}

static void reap(const struct worker *wk, int *status)
{
	if (!wk->timed_out) {
		worker_reap(wk->pid, status, true);
		return;
	}
	for (int i = 0; i < 20; i++) {	/* 100 ms for a quick exit */
		if (worker_reap(wk->pid, status, false) != 0)
			return;
		nanosleep(&(struct timespec){ .tv_nsec = 5 * 1000000L }, NULL);
	}
	unreaped = xrealloc(unreaped, nunreaped + 1, sizeof(*unreaped));
	unreaped[nunreaped++] = wk->pid;
}

/*
 * Take the worker's disks in place of our unprobed copies; the ones that
 * did not come back go into *failed (to be probed again one by one), or,
 * when retry is false, carry the reason.
 */
static void worker_collect(const struct probe_ctx *ctx, const struct mount_table *mt,
			   struct worker *wk, bool retry, struct disk ***failed, size_t *nfailed)
{
	const unsigned char *pos = wk->in.data, *end = wk->in.data + wk->in.len;
	char *why = NULL;
	int status = 0;
	bool ok = true;

	reap(wk, &status);
	for (size_t i = 0; i < wk->n; i++) {
		struct disk *d = wk->disks[i], got;

		if (ok && wire_get_disk(&pos, end, &got)) {
			disk_free_fields(d);
			*d = got;
			continue;
		}
		if (ok) {
			disk_free_fields(&got);	/* what a short answer left */
			ok = false;
			why = worker_failure(wk, status);
		}
		if (retry) {
			*failed = xrealloc(*failed, *nfailed + 1, sizeof(**failed));
			(*failed)[(*nfailed)++] = d;
			continue;
		}
		/* what sysfs says still lists, with the reason for the rest */
		if (stage_sysfs(ctx, mt, d) && !d->error)
			d->error = xasprintf("probing %s stopped: %s", d->path, why);
	}
	free(why);
	free(wk->in.data);
	wk->in = (struct wire_buf){ 0 };
}

/* A scan in progress: the disks dealt out to workers. */
struct probe_run {
	struct disk **all;	/* every disk, grouped by worker */
	size_t n, jobs;
	struct worker *wk;	/* NULL: probed in this process */
};

/* Start probing disks[0..n): fork the workers (or, jobs 0, probe them here). */
static void probe_start(const struct probe_ctx *ctx, const struct mount_table *mt,
			struct disk *disks, size_t n, struct probe_run *run)
{
	size_t jobs = probe_jobs(n);

	jobs_now = jobs;
	*run = (struct probe_run){ .all = xcalloc(n ? n : 1, sizeof(*run->all)), .n = n,
				   .jobs = jobs };
	if (!jobs) {
		for (size_t i = 0; i < n; i++)
			run->all[i] = &disks[i];
		probe_list(ctx, mt, run->all, n);
		return;
	}
	/* deal the disks out in turn: neighbours (sda, sdb...) often alike */
	for (size_t k = 0, i = 0; k < jobs; k++)
		for (size_t j = k; j < n; j += jobs)
			run->all[i++] = &disks[j];
	run->wk = xcalloc(jobs, sizeof(*run->wk));
	for (size_t k = 0, first = 0; k < jobs; k++) {
		struct worker *wk = &run->wk[k];
		wk->disks = run->all + first;
		wk->n = (n - k + jobs - 1) / jobs;
		first += wk->n;
		if (!worker_start(ctx, mt, wk))
			wk->pid = 0;	/* cannot fork: probed here in probe_finish() */
	}
}

/*
 * Each of the disks of failed workers again, in a worker of its own, as
 * many at a time as the scan had workers.
 */
static void probe_singly(const struct probe_ctx *ctx, const struct mount_table *mt,
			 struct disk **disks, size_t n, size_t at_once)
{
	struct worker *wk = xcalloc(n ? n : 1, sizeof(*wk));

	if (!at_once)
		at_once = 1;
	for (size_t first = 0; first < n; first += at_once) {
		size_t m = n - first < at_once ? n - first : at_once;
		for (size_t i = first; i < first + m; i++) {
			wk[i].disks = &disks[i];
			wk[i].n = 1;
			if (!worker_start(ctx, mt, &wk[i]))
				wk[i].pid = 0;
		}
		workers_drain(wk + first, m);
		for (size_t i = first; i < first + m; i++) {
			if (wk[i].pid > 0) {
				worker_collect(ctx, mt, &wk[i], false, NULL, NULL);
			} else if (stage_sysfs(ctx, mt, disks[i]) && !disks[i]->error) {
				disks[i]->error = xasprintf("probing %s stopped: no process could be "
							    "started for it", disks[i]->path);
			}
		}
	}
	free(wk);
}

/* Wait for the workers and take their disks. */
static void probe_finish(const struct probe_ctx *ctx, const struct mount_table *mt,
			 struct probe_run *run)
{
	struct disk **failed = NULL;
	size_t nfailed = 0;

	if (run->wk) {
		workers_drain(run->wk, run->jobs);
		for (size_t k = 0; k < run->jobs; k++) {
			struct worker *wk = &run->wk[k];
			if (wk->pid > 0)
				worker_collect(ctx, mt, wk, wk->n > 1, &failed, &nfailed);
			else
				probe_list(ctx, mt, wk->disks, wk->n);
		}
		if (nfailed)
			probe_singly(ctx, mt, failed, nfailed, run->jobs);
	}
	free(failed);
	free(run->wk);
	free(run->all);
}

/*
 * The partitions of an image file's table (libfdisk) and what each holds
 * (libblkid, as list probes a partition; NTFS through its backup boot
 * sector too, on the types Windows keeps NTFS under), for IMAGE:N.
 */
static void probe_image_parts(int fd, struct disk *d)
{
	char *table = d->pttype;
	int rc;

	d->pttype = NULL;	/* ptable_probe sets what libfdisk reads */
	rc = ptable_probe(d, fd);
	if (rc < 0)
		d->error = xasprintf("cannot read the partition table of %s: %s", d->path,
				     strerror(-rc));
	if (!d->pttype)
		d->pttype = table;	/* a table libfdisk does not read */
	else
		free(table);
	for (size_t i = 0; i < d->nparts; i++) {
		struct partition *p = &d->parts[i];
		if (p->container || !p->size)
			continue;
		if (p->start > d->size || p->size > d->size - p->start) {
			p->error = xstrdup("the partition extends beyond the end of the image");
			continue;
		}
		rc = fsprobe_volume(fd, p->start, p->size, FSPROBE_PARTITION, &p->vol);
		if (rc < 0)
			p->error = xasprintf("cannot read the partition: %s", probe_errno_words(rc));
		else if (!p->vol.fstype && !p->vol.fs_error && windows_parttype(p->parttype) &&
			 ntfs_looks_like(fd, p->start, p->size))
			p->vol.fstype = xstrdup("ntfs");
		probe_progress();
	}
}

/* An image file as one volume, as the inventory probes a whole disk. */
static void probe_image_here(int fd, struct disk *d)
{
	char *pttype = NULL;

	fsprobe_table(fd, d->size, &d->vol, &pttype);
	/* an NTFS boot sector keeps 0x55AA: with its primary damaged, libblkid may
	 * take the boot code for an MBR (ntfs_whole) */
	if (pttype && strcmp(pttype, "dos") == 0 && ntfs_whole(fd, d->size)) {
		free(pttype);
		pttype = NULL;
	}
	d->pttype = pttype;
	if (pttype) {
		probe_image_parts(fd, d);
		return;
	}
	fsprobe_volume(fd, 0, d->size, FSPROBE_DISK, &d->vol);
	/* libblkid reads only the primary boot sector: NTFS through its backup too */
	if (!d->vol.fstype && ntfs_looks_like(fd, 0, d->size))
		d->vol.fstype = xstrdup("ntfs");
}

void probes_image(int fd, struct disk *d)
{
	struct wire_buf b = { 0 };
	struct worker wk = { .n = 1, .fd = -1, .hb = -1 };
	struct disk got;
	int p[2], status = 0;

	jobs_now = 1;
	if (!probe_jobs(1) || pipe2(p, O_CLOEXEC) < 0 || (wk.pid = fork()) < 0) {
		probe_image_here(fd, d);	/* WINRESCUE_PROBE_JOBS=0, or no process */
		return;
	}
	if (wk.pid == 0) {
		close(p[0]);
		worker_limits();
		probe_image_here(fd, d);
		wire_put_disk(&b, d);
		_exit(write_all(p[1], b.data, b.len) ? 0 : 1);
	}
	worker_adopt(wk.pid);
	close(p[1]);
	wk.fd = p[0];
	wk.deadline = monotonic_s() + (double)probe_timeout_s();
	workers_drain(&wk, 1);
	reap(&wk, &status);
	const unsigned char *pos = wk.in.data;
	if (wire_get_disk(&pos, wk.in.data + wk.in.len, &got)) {
		/* what the file is stays ours; what it holds comes from the worker */
		d->vol = got.vol;
		d->pttype = got.pttype;
		d->ptuuid = got.ptuuid;
		d->pt_warnings = got.pt_warnings;
		d->npt_warnings = got.npt_warnings;
		d->parts = got.parts;
		d->nparts = got.nparts;
		d->free = got.free;
		d->nfree = got.nfree;
		d->error = got.error;
		memset(&got.vol, 0, sizeof(got.vol));
		got.pttype = got.ptuuid = got.error = NULL;
		got.pt_warnings = NULL;
		got.parts = NULL;
		got.free = NULL;
		got.npt_warnings = got.nparts = got.nfree = 0;
		disk_free_fields(&got);
	} else {
		disk_free_fields(&got);
		char *why = worker_failure(&wk, status);
		d->error = xasprintf("probing %s stopped: %s", d->path, why);
		free(why);
	}
	free(wk.in.data);
}

/* The partition a drive letter of a Windows installation names, among the disks attached. */
static const struct partition *letter_partition(const struct inventory *inv,
						const struct win_letter *l)
{
	char want[37];

	if (l->kind == WIN_LETTER_GPT)
		bcd_guid_text(l->part_guid, want);
	else if (l->kind == WIN_LETTER_MBR)
		snprintf(want, sizeof(want), "%08x", l->mbr_signature);
	else
		return NULL;
	for (size_t i = 0; i < inv->ndisks; i++) {
		const struct disk *d = &inv->disks[i];
		bool disk_ok = l->kind == WIN_LETTER_GPT ||
			       (d->pttype && strcmp(d->pttype, "dos") == 0 && d->ptuuid &&
				strcasecmp(d->ptuuid, want) == 0);
		for (size_t k = 0; disk_ok && k < d->nparts; k++) {
			const struct partition *p = &d->parts[k];
			if (l->kind == WIN_LETTER_GPT ? p->partuuid && strcasecmp(p->partuuid, want) == 0
						      : p->start == l->mbr_offset)
				return p;
		}
	}
	return NULL;
}

/* The partition a BCD device names (GPT: disk and partition GUIDs; MBR: signature and offset). */
static const struct partition *bcd_partition(const struct inventory *inv, const struct bcd_device *b,
					      bool *disk_seen)
{
	char disk[37], part[37];

	if (b->kind == BCD_DEV_GPT) {
		bcd_guid_text(b->disk_guid, disk);
		bcd_guid_text(b->part_guid, part);
	} else if (b->kind == BCD_DEV_MBR) {
		snprintf(disk, sizeof(disk), "%08x", b->disk_signature);
	} else {
		return NULL;
	}
	for (size_t i = 0; i < inv->ndisks; i++) {
		const struct disk *d = &inv->disks[i];
		if (!d->ptuuid || strcasecmp(d->ptuuid, disk) != 0)
			continue;
		*disk_seen = true;
		for (size_t k = 0; k < d->nparts; k++) {
			const struct partition *p = &d->parts[k];
			if (b->kind == BCD_DEV_GPT ? p->partuuid && strcasecmp(p->partuuid, part) == 0
						   : p->start == b->part_offset)
				return p;
		}
	}
	return NULL;
}

static void bcd_match(const struct inventory *inv, struct bcd_device *b)
{
	bool seen = false;
	const struct partition *p = bcd_partition(inv, b, &seen);

	b->disk_listed = seen;
	free(b->present);
	b->present = p && p->path ? xstrdup(p->path) : NULL;
}

/* Drive letters and BCD devices matched to the partitions of the disks listed. */
static void match_letters(struct inventory *inv)
{
	for (size_t i = 0; i < inv->ndisks; i++)
		for (size_t k = 0; k <= inv->disks[i].nparts; k++) {
			struct volume *v = k < inv->disks[i].nparts ? &inv->disks[i].parts[k].vol
								    : &inv->disks[i].vol;
			for (size_t j = 0; v->bcd && j < v->bcd->n; j++) {
				struct bcd_entry *e = &v->bcd->e[j];
				if (e->has_device)
					bcd_match(inv, &e->device);
				if (e->has_osdevice)
					bcd_match(inv, &e->osdevice);
			}
			if (!v->ntfs || !v->ntfs->win)
				continue;
			for (size_t j = 0; j < v->ntfs->win->nletters; j++) {
				struct win_letter *l = &v->ntfs->win->letters[j];
				const struct partition *p = letter_partition(inv, l);
				free(l->present);
				l->present = p && p->path ? xstrdup(p->path) : NULL;
			}
		}
}

/*
 * "Disk N" for every candidate that is a disk to list, in listing order,
 * before any filter: disk:N names the same disk in a view of some disks
 * as in the full list.
 */
static void number_disks(const struct probe_ctx *ctx, struct disk *disks, size_t n)
{
	size_t next = 0;

	for (size_t i = 0; i < n; i++)
		disks[i].number = sysfs_disk_listed(ctx, disks[i].name) ? next++ : SIZE_MAX;
}

/*
 * The numbers again, from the disks as they are once probed: a loop device
 * attached or detached while the workers probed would otherwise leave a
 * disk without a number, or a gap. A disk gone since keeps the number it
 * had; one still without a number (came and went meanwhile) is not listed.
 */
static void renumber_disks(const struct probe_ctx *ctx, struct inventory *inv)
{
	struct disk *all = NULL;
	size_t n = 0, keep = 0;

	if (sysfs_list_disks(ctx, &all, &n) == 0) {
		number_disks(ctx, all, n);
		for (size_t i = 0; i < inv->ndisks; i++)
			for (size_t k = 0; k < n; k++)
				if (all[k].number != SIZE_MAX && strcmp(all[k].name, inv->disks[i].name) == 0)
					inv->disks[i].number = all[k].number;
	}
	for (size_t k = 0; k < n; k++)
		disk_free_fields(&all[k]);
	free(all);
	for (size_t i = 0; i < inv->ndisks; i++) {
		if (inv->disks[i].number == SIZE_MAX) {
			disk_free_fields(&inv->disks[i]);
			continue;
		}
		inv->disks[keep++] = inv->disks[i];
	}
	inv->ndisks = keep;
}

char *probes_disk_name(const struct probe_ctx *ctx, const char *spec, char **err)
{
	struct disk *disks = NULL;
	size_t n = 0;
	char *name = NULL, *end, real[PATH_MAX];
	const char *want = spec;

	*err = NULL;
	if (sysfs_list_disks(ctx, &disks, &n) < 0) {
		*err = xstrdup("the disks cannot be listed (is /sys mounted?)");
		return NULL;
	}
	number_disks(ctx, disks, n);
	/* a /dev/disk/by-* link names the node it points to */
	if (str_starts_with(spec, "/dev/") && (!ctx->sysroot || !strcmp(ctx->sysroot, "/")) &&
	    realpath(spec, real) && str_starts_with(real, "/dev/"))
		want = real;
	if (str_starts_with(want, "/dev/"))
		want += 5;
	if (str_starts_with(want, "disk:")) {
		unsigned long long k = strtoull(want + 5, &end, 10);
		if (want[5] >= '0' && want[5] <= '9' && !*end)
			for (size_t i = 0; i < n && !name; i++)
				if (disks[i].number == k)
					name = xstrdup(disks[i].name);
	} else if (*want && !strchr(want, '/')) {
		for (size_t i = 0; i < n && !name; i++)
			if (strcmp(disks[i].name, want) == 0 && disks[i].number != SIZE_MAX)
				name = xstrdup(disks[i].name);
		/* a partition: its disk */
		for (size_t i = 0; i < n && !name; i++) {
			char *dir = path_join_root(ctx->sysroot, "/sys/block");
			char *part = xasprintf("%s/%s/%s/partition", dir, disks[i].name, want);
			if (disks[i].number != SIZE_MAX && access(part, F_OK) == 0)
				name = xstrdup(disks[i].name);
			free(part);
			free(dir);
		}
	}
	if (!name)
		*err = xasprintf("no disk of this machine is named '%s' (a disk: /dev/sdb, sdb, or disk:N "
				 "as 'winrescue list' numbers them)", spec);
	for (size_t i = 0; i < n; i++)
		disk_free_fields(&disks[i]);
	free(disks);
	return name;
}

struct inventory *probes_scan(const struct probe_ctx *ctx)
{
	struct inventory *inv = xcalloc(1, sizeof(*inv));
	struct mount_table mt;
	struct probe_run run;
	char **rescue = NULL, **reasons = NULL;
	size_t nrescue = 0, kept = 0;
	int rc;

	rc = sysfs_list_disks(ctx, &inv->disks, &inv->ndisks);
	if (rc < 0) {
		char *blockdir = path_join_root(ctx->sysroot, "/sys/block");
		inv->error = xasprintf("cannot read %s: %s", blockdir, strerror(-rc));
		free(blockdir);
		return inv;
	}
	number_disks(ctx, inv->disks, inv->ndisks);
	if (ctx->only) {
		size_t keep = 0;
		for (size_t i = 0; i < inv->ndisks; i++) {
			if (strv_contains(ctx->only, ctx->nonly, inv->disks[i].name))
				inv->disks[keep++] = inv->disks[i];
			else
				disk_free_fields(&inv->disks[i]);
		}
		inv->ndisks = keep;
	}
	mounts_load(ctx, &mt);
	reap_old();
	probe_start(ctx, &mt, inv->disks, inv->ndisks, &run);
	mounts_rescue_disks(ctx, &mt, &rescue, &reasons, &nrescue);
	probe_finish(ctx, &mt, &run);

	for (size_t i = 0; i < inv->ndisks; i++) {
		struct disk *d = &inv->disks[i];
		bool is_rescue = false;

		if (!d->name)
			continue;	/* not a disk after all (sysfs_read_disk) */
		for (size_t r = 0; r < nrescue; r++)
			if (strcmp(rescue[r], d->name) == 0) {
				is_rescue = true;
				d->role_reason = xstrdup(reasons[r]);
			}
		d->role = roles_disk(d, is_rescue);
		if (d->role == DISK_ROLE_RESCUE && !d->role_reason)
			d->role_reason = xstrdup("boot medium of the rescue system (iso9660)");
		inv->disks[kept++] = *d;
	}
	inv->ndisks = kept;
	renumber_disks(ctx, inv);
	strv_free(rescue, nrescue);
	strv_free(reasons, nrescue);
	mounts_free(&mt);
	match_letters(inv);
	roles_from_boot(inv);
	findings_build(inv);
	return inv;
}

static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static bool same_volume(const struct volume *a, const struct volume *b)
{
	if (!same_str(a->fstype, b->fstype) || !same_str(a->label, b->label) ||
	    !same_str(a->uuid, b->uuid) || a->use.nmountpoints != b->use.nmountpoints ||
	    !a->ntfs != !b->ntfs)
		return false;
	for (size_t i = 0; i < a->use.nmountpoints; i++)
		if (!same_str(a->use.mountpoints[i], b->use.mountpoints[i]))
			return false;
	return !a->ntfs || (a->ntfs->serial == b->ntfs->serial && a->ntfs->dirty == b->ntfs->dirty &&
			    a->ntfs->hibernated == b->ntfs->hibernated &&
			    a->ntfs->logfile == b->ntfs->logfile &&
			    a->ntfs->bootcopies == b->ntfs->bootcopies &&
			    a->ntfs->mftmirr == b->ntfs->mftmirr &&
			    a->ntfs->hidden_sectors == b->ntfs->hidden_sectors &&
			    a->ntfs->hidden_sectors_backup == b->ntfs->hidden_sectors_backup);
}

bool inventory_same(const struct inventory *a, const struct inventory *b, bool filtered)
{
	if (!filtered && a->ndisks != b->ndisks)
		return false;
	for (size_t i = 0, j = 0; i < a->ndisks; i++) {
		const struct disk *x = &a->disks[i], *y = NULL;
		for (; j < b->ndisks && !y; j++)
			if (same_str(b->disks[j].name, x->name))
				y = &b->disks[j];
		if (!y || x->number != y->number || !same_str(x->name, y->name) || x->size != y->size ||
		    !same_str(x->serial, y->serial) || !same_str(x->pttype, y->pttype) ||
		    !same_str(x->ptuuid, y->ptuuid) || x->nparts != y->nparts || x->role != y->role ||
		    x->mbr.code != y->mbr.code || x->mbr.signature != y->mbr.signature ||
		    x->mbr.lost_table != y->mbr.lost_table || !same_volume(&x->vol, &y->vol))
			return false;
		for (size_t k = 0; k < x->nparts; k++) {
			const struct partition *p = &x->parts[k], *q = &y->parts[k];
			if (!same_str(p->path, q->path) || p->number != q->number ||
			    p->start != q->start || p->size != q->size || p->role != q->role ||
			    p->bootable != q->bootable ||
			    !same_volume(&p->vol, &q->vol))
				return false;
		}
	}
	return true;
}

void inventory_free(struct inventory *inv)
{
	if (!inv)
		return;
	for (size_t i = 0; i < inv->ndisks; i++)
		disk_free_fields(&inv->disks[i]);
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
