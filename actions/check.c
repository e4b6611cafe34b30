/*
 * check.c - `check`: is the file system of a volume sound? Read-only, on
 * volumes nothing else uses.
 *
 * NTFS goes through our own checker (probes/ntfs_check.c), since ntfsfix
 * -n misses most damage and Debian's ntfsck checks nothing. Other file
 * systems go through their own checker in its no-change mode (e2fsck -n,
 * fsck.fat -n, fsck.exfat -n, xfs_repair -n, btrfs check --readonly),
 * whose verdict is reported in the same form. The device is opened
 * O_EXCL, as e2fsck does: the kernel then refuses when a mount or another
 * exclusive user (ntfs-3g, a running fsck) holds it.
 *
 * A volume mounted read-only, and only read-only, is checked as it is:
 * nothing writes to it (winrescue's own read-only mounts replay no journal:
 * ntfs-3g ro, ext3/4 noload, xfs norecovery, btrfs nologreplay), so the
 * bytes the checker reads are the bytes on the disk, as e2fsck -n also
 * reads a read-only mounted file system. The mount holds the device
 * exclusively, so it is opened without O_EXCL then; the mount's mode is
 * read again after the check, and a remount read-write meanwhile voids the
 * verdict (exit 8). A read-write mount is refused as before: the driver
 * changes the volume under the checker.
 */
#include "actions/action.h"
#include "actions/verdict.h"
#include "lib/util.h"
#include "probes/probes.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* A standard checker in its read-only mode, and how to read its exit status. */
struct fsck_tool {
	const char *fstype;
	const char *prog;
	const char *args[4];	/* before the device */
	const char *package;	/* Debian's */
	bool one_means_errors;	/* exits 1 when it found errors (not fsck's 4) */
};

static const struct fsck_tool tools[] = {
	{ "ext2", "e2fsck", { "-n", "-f", NULL }, "e2fsprogs", false },
	{ "ext3", "e2fsck", { "-n", "-f", NULL }, "e2fsprogs", false },
	{ "ext4", "e2fsck", { "-n", "-f", NULL }, "e2fsprogs", false },
	{ "vfat", "fsck.fat", { "-n", NULL }, "dosfstools", true },
	{ "exfat", "fsck.exfat", { "-n", NULL }, "exfatprogs", false },
	{ "xfs", "xfs_repair", { "-n", NULL }, "xfsprogs", true },
	{ "btrfs", "btrfs", { "check", "--readonly", NULL }, "btrfs-progs", true },
};

static const struct fsck_tool *tool_for(const struct volume *v)
{
	for (size_t i = 0; v->fstype && i < sizeof(tools) / sizeof(tools[0]); i++)
		if (strcmp(tools[i].fstype, v->fstype) == 0)
			return &tools[i];
	return NULL;
}

/* Mounted, every mount read-only, and used by nothing else: checked as it is. */
static bool mounted_read_only(const struct vol_ref *v)
{
	const struct usage *u = &v->vol->use;

	return u->nmountpoints && !u->mounted_rw && !u->swap && !u->nholders;
}

/* What keeps v from being checked now (vol_busy(), but a read-only mount is no obstacle). */
static char *check_busy(const struct vol_ref *v)
{
	return mounted_read_only(v) ? NULL : vol_busy(v);
}

static char *check_applies(const struct vol_ref *v, const struct inventory *inv,
			   const struct action_opts *o)
{
	char *busy;

	(void)inv;
	(void)o;
	if (!v->path)
		return xstrdup("the kernel has no device for it");
	if (!volume_is_ntfs(v->vol) && !tool_for(v->vol))
		return v->vol->fstype ? xasprintf("no checker for %s", v->vol->fstype)
				      : xstrdup("no file system on it");
	if ((busy = check_busy(v))) {
		bool rw = v->vol->use.mounted_rw;
		free(busy);
		return xstrdup(rw ? "it is mounted read-write: unmount it first (a read-only "
				    "mount can be checked)" : "it is in use: unmount it first");
	}
	return NULL;
}

/*
 * The device to read: opened O_EXCL (vol_open_exclusive), or, mounted
 * read-only, shared with that mount (which holds it exclusively).
 */
static int check_open(const struct vol_ref *v, char **why, int *status)
{
	struct stat st;
	int fd;

	if (!mounted_read_only(v))
		return vol_open_exclusive(v, O_RDONLY, why, status);
	if ((fd = open(v->path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) < 0 ||
	    !S_ISBLK(st.st_mode) || major(st.st_rdev) != v->major || minor(st.st_rdev) != v->minor) {
		*status = ACT_OPERATIONAL;
		*why = xasprintf("%s cannot be opened: %s.", v->path,
				 fd < 0 ? strerror(errno) : "it is no longer the device listed");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/*
 * After a check of a read-only mounted volume: still read-only everywhere
 * it was mounted, or the verdict is void (a remount read-write, or a new
 * mount in its place, may have changed what was read).
 */
static void recheck_read_only(const struct vol_ref *v, struct fs_check *c)
{
	static const struct probe_ctx here = { 0 };
	const struct usage *u = &v->vol->use;
	struct mount_info mi;

	if (!mounted_read_only(v) || c->status == ACT_REFUSED)
		return;
	for (size_t k = 0; k < u->nmountpoints; k++) {
		bool rw = false;
		if (probes_mount_at(&here, u->mountpoints[k], &mi)) {
			rw = mi.rw;
			mount_info_free(&mi);
		}
		if (!rw)
			continue;
		free(c->summary);
		c->status = ACT_OPERATIONAL;
		c->summary = xasprintf("%s was remounted read-write at %s during the check: what "
				       "was read may have changed under the checker, so there is no "
				       "verdict; unmount it (winrescue umount %s) and check again.",
				       v->path, u->mountpoints[k], v->path);
		return;
	}
}

static void check_select_all(struct job *job)
{
	struct vol_ref *all;
	size_t n = target_all(job->inv, &all);

	for (size_t i = 0; i < n; i++) {
		char *why;
		if (all[i].disk->role == DISK_ROLE_RESCUE || !all[i].path)
			continue;
		if (!volume_is_ntfs(all[i].vol) && !tool_for(all[i].vol))
			continue;
		/* "all" means every volume that can be checked now: the busy ones are named */
		if ((why = check_busy(&all[i]))) {
			job_warn(job, "Not checked: %s.", why);
			free(why);
			continue;
		}
		job->targets = xrealloc(job->targets, job->ntargets + 1, sizeof(*job->targets));
		job->targets[job->ntargets++] = all[i];
	}
	free(all);
}

static int check_preflight(struct job *job)
{
	if (!job->ntargets)
		return job_result(job, ACT_USAGE, "nothing-to-check",
				  "'winrescue list' shows the volumes and their file systems.",
				  "No volume outside the rescue system has a file system winrescue can "
				  "check.");
	for (size_t i = 0; i < job->ntargets; i++) {
		const struct vol_ref *v = &job->targets[i];
		char *busy = check_busy(v);

		if (busy) {
			bool rw = v->vol->use.mounted_rw;
			char *next = v->vol->use.nmountpoints
				? xasprintf("Unmount it first (winrescue umount %s): a file system "
					    "mounted read-write changes under a checker (a read-only "
					    "mount can be checked).", v->path)
				: xstrdup("Stop what uses it first.");
			int rc = job_result(job, ACT_REFUSED, rw ? "mounted-rw" : "in-use", next,
					    "Refused: %s%s; a volume in use cannot be checked.", busy,
					    rw ? " read-write" : "");
			free(busy);
			free(next);
			return rc;
		}
		if (!v->path)
			return job_result(job, ACT_FAILED, "no-device", NULL,
					  "%s has no device node to read.", vol_name(v));
		/* the standard checkers read a device or a file, not a range of one */
		if (v->file && !volume_is_ntfs(v->vol) && tool_for(v->vol))
			return job_result(job, ACT_USAGE, "no-checker",
					  "Attach the image read-only with its partitions (losetup -r -P "
					  "--show -f IMAGE) and check the loop partition.",
					  "%s holds %s: %s reads a whole device or file, not a partition "
					  "inside an image.", v->path, v->vol->fstype, tool_for(v->vol)->prog);
		if (!volume_is_ntfs(v->vol) && !tool_for(v->vol))
			return job_result(job, ACT_USAGE, "no-checker",
					  "winrescue checks NTFS itself, and ext2/3/4, FAT, exFAT, XFS "
					  "and Btrfs through their own checkers.",
					  "%s: no checker for %s.", v->path,
					  v->vol->fstype ? v->vol->fstype : "unknown content");
	}
	return ACT_OK;
}

static void check_plan(struct job *job)
{
	for (size_t i = 0; i < job->ntargets; i++) {
		const struct vol_ref *v = &job->targets[i];
		const struct fsck_tool *t = tool_for(v->vol);

		if (mounted_read_only(v))
			job_plan_warn(job, "%s is mounted read-only at %s: it is checked as it is, "
				      "since nothing writes to a read-only mount; a remount read-write "
				      "during the check voids the verdict.", v->path,
				      v->vol->use.mountpoints[0]);
		if (volume_is_ntfs(v->vol)) {
			for (int p = 1; p <= NC_PASSES; p++)
				job_plan_step(job, "%s: check the %s (pass %d of %d)", v->path,
					      nc_pass_name(p), p, NC_PASSES);
		} else {
			job_plan_step(job, "%s: run %s %s%s%s (read-only)", v->path, t->prog, t->args[0],
				      t->args[1] ? " " : "", t->args[1] ? t->args[1] : "");
		}
	}
	job->plan.writes = false;
	job->plan.confirm = false;
}

struct ntfs_progress {
	struct job *job;
	const char *dev;
};

static bool on_pass(void *data, int pass, const char *what)
{
	struct ntfs_progress *p = data;

	return job_step(p->job, "%s: check the %s (pass %d of %d)", p->dev, what, pass, NC_PASSES);
}

static void on_tick(void *data, uint64_t done, uint64_t total)
{
	job_tick(((struct ntfs_progress *)data)->job, done, total);
}

static bool on_cancelled(void *data)
{
	return job_cancelled(((struct ntfs_progress *)data)->job);
}

/*
 * NTFS through our checker, in a confined worker (nc_check_confined): a
 * crafted volume that crashes it or asks for all the memory is that
 * volume's operational error (exit 8), never the end of winrescue.
 */
static void check_ntfs(struct job *job, const struct vol_ref *v, struct fs_check *c)
{
	struct ntfs_progress pr = { job, v->path };
	struct nc_callbacks cb = { on_pass, on_tick, &pr, on_cancelled };
	struct nc_report *r = &c->rep;
	double t0 = monotonic_s();
	int fd = check_open(v, &c->summary, &c->status), rc;

	c->checker = xstrdup("winrescue");
	if (fd < 0)
		return;
	rc = nc_check_confined(fd, v->offset, c->size, v->path, &cb, r);
	close(fd);
	c->seconds = monotonic_s() - t0;
	if (rc > 0) {
		c->status = ACT_REFUSED;
		c->summary = xasprintf("%s: cancelled after %d of %d passes.", v->path, r->passes_done,
				       NC_PASSES);
		return;
	}
	if (rc < 0) {
		c->status = ACT_OPERATIONAL;
		c->summary = xasprintf("%s could not be checked: %s.", v->path, r->op_error);
		return;
	}
	c->status = r->errors ? ACT_ERRORS_LEFT : ACT_OK;
	char *what = r->records
		? xasprintf("%d passes, %" PRIu64 " MFT records (%" PRIu64 " files, %" PRIu64
			    " folders) in %.1f s", r->passes_done, r->records, r->files, r->dirs,
			    c->seconds)
		: xasprintf("%d of %d passes", r->passes_done, NC_PASSES);
	/* what was found, in facts; what to do is the verdict's (verdict_of_check) */
	if (!r->errors) {
		bool dirty = r->volume_flags_known && (r->volume_flags & 1);
		char *warn = r->warnings ? xasprintf(", with %zu warning%s", r->warnings,
						     r->warnings == 1 ? "" : "s") : xstrdup("");
		/* "clean" and "dirty" never in one sentence */
		c->summary = dirty ? xasprintf("%s: NTFS has no errors (%s)%s; the volume is marked "
					       "dirty, so Windows runs chkdsk at its next start.",
					       v->path, what, warn)
				   : xasprintf("%s: NTFS has no errors (%s)%s.", v->path, what, warn);
		free(warn);
	} else {
		size_t byfix = nc_count_errors(r, NC_REPAIR_FIX), bychk = r->errors - byfix;
		char *split = byfix && bychk ? xasprintf(": %zu that winrescue fix repairs, %zu that "
							 "need chkdsk /f", byfix, bychk)
					     : xstrdup(byfix ? ", each one winrescue fix repairs"
							     : ", each one for chkdsk /f");
		c->summary = xasprintf("%s: NTFS has %zu error%s (%s)%s.", v->path, r->errors,
				       r->errors == 1 ? "" : "s", what, split);
		free(split);
	}
	free(what);
}

static void check_other(struct job *job, const struct vol_ref *v, struct fs_check *c)
{
	const struct fsck_tool *t = tool_for(v->vol);
	char *prog = find_program(t->prog), *out = NULL;
	const char *argv[8];
	size_t n = 0;
	double t0 = monotonic_s();
	int st, fd;

	c->checker = xstrdup(t->prog);
	if (!prog) {
		c->status = ACT_OPERATIONAL;
		c->summary = xasprintf("%s: %s is not installed (Debian package %s); %s was not "
				       "checked.", v->path, t->prog, t->package, v->path);
		return;
	}
	/* the same exclusivity test as for NTFS, then let the checker open it */
	if ((fd = check_open(v, &c->summary, &c->status)) < 0) {
		free(prog);
		return;
	}
	close(fd);
	if (!job_step(job, "%s: run %s (read-only)", v->path, t->prog)) {
		c->status = ACT_REFUSED;
		c->summary = xasprintf("%s: cancelled.", v->path);
		free(prog);
		return;
	}
	argv[n++] = prog;
	for (size_t i = 0; t->args[i]; i++)
		argv[n++] = t->args[i];
	argv[n++] = v->path;
	argv[n] = NULL;
	st = job_spawn_captured(job, (char *const *)argv, &out);
	c->seconds = monotonic_s() - t0;
	c->tool_output = out;
	free(prog);
	if (st < 0) {
		c->status = ACT_OPERATIONAL;
		c->summary = xasprintf("%s: %s could not be started: %s.", v->path, t->prog,
				       strerror(-st));
	} else if (st == 0) {
		c->status = ACT_OK;
		c->summary = xasprintf("%s: %s found no errors (%s -n).", v->path, v->vol->fstype,
				       t->prog);
	} else if ((t->one_means_errors && st == 1) || st == 4 || st == 2 || st == 1) {
		c->status = ACT_ERRORS_LEFT;
		c->summary = xasprintf("%s: %s found errors in the %s file system (exit %d); run it "
				       "without -n to repair, after copying the data off.", v->path,
				       t->prog, v->vol->fstype, st);
	} else {
		c->status = ACT_OPERATIONAL;
		c->summary = xasprintf("%s: %s could not check it (exit %d).", v->path, t->prog, st);
	}
}

static int check_run(struct job *job)
{
	struct action_result *res = &job->res;
	int all = 0;
	size_t bad = 0;

	res->checks = xcalloc(job->ntargets, sizeof(*res->checks));
	for (size_t i = 0; i < job->ntargets; i++) {
		const struct vol_ref *v = &job->targets[i];
		struct fs_check *c = &res->checks[res->nchecks++];

		c->device = xstrdup(v->path);
		c->fstype = xstrdup(volume_is_ntfs(v->vol) ? "ntfs" : v->vol->fstype);
		c->size = vol_size(v);
		if (volume_is_ntfs(v->vol))
			check_ntfs(job, v, c);
		else
			check_other(job, v, c);
		recheck_read_only(v, c);
		if (mounted_read_only(v) && (c->status == ACT_OK || c->status == ACT_ERRORS_LEFT))
			job_warn(job, "%s was checked while mounted read-only at %s (nothing writes "
				 "to a read-only mount).", v->path, v->vol->use.mountpoints[0]);
		verdict_of_check(job->inv, v, c, false);
		all |= c->status;
		bad += c->status != ACT_OK;
		if (c->status == ACT_REFUSED && job_cancelled(job))
			break;
	}
	if (all & ACT_REFUSED)
		return job_result(job, ACT_REFUSED, job_cancelled(job) ? "cancelled" : "in-use",
				  NULL, "%s", res->nchecks == 1 ? res->checks[0].summary
				  : "Not every volume could be checked.");
	if (res->nchecks == 1)
		return job_result(job, all, all == ACT_OK ? "clean" : all & ACT_OPERATIONAL
				  ? "check-failed" : "errors-left", res->checks[0].next, "%s",
				  res->checks[0].summary);
	return job_result(job, all, all == ACT_OK ? "clean" : all & ACT_OPERATIONAL ? "check-failed"
			  : "errors-left", NULL, "%zu volumes checked: %s.", res->nchecks,
			  bad ? "see each one's result" : "all clean");
}

const struct action action_check = {
	.name = "check",
	.label = "Check (like chkdsk /scan)",
	.key = 'c',
	.risk = RISK_READ_ONLY,
	.takes_all = true,
	.takes_files = true,
	.applies = check_applies,
	.select_all = check_select_all,
	.preflight = check_preflight,
	.plan = check_plan,
	.run = check_run,
};
