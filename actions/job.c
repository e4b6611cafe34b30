/*
 * job.c - the one flow every action goes through (see action.h): fresh
 * probe, target, preflight, plan; then audit log, locks, run, audit log.
 */
#include "actions/action.h"
#include "actions/undo.h"
#include "lib/safedir.h"
#include "lib/util.h"
#include "probes/probes.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const struct action *const actions[] = { &action_mount, &action_umount, &action_check, &action_fix,
					  NULL };

const struct action *action_find(const char *name)
{
	for (size_t i = 0; actions[i]; i++)
		if (strcmp(actions[i]->name, name) == 0)
			return actions[i];
	return NULL;
}

const struct action *action_for_key(int key)
{
	for (size_t i = 0; actions[i]; i++)
		if (actions[i]->key == key)
			return actions[i];
	return NULL;
}

const char *action_risk_name(enum action_risk r)
{
	static const char *const n[] = { "read-only", "mounts", "writes-filesystem",
					 "writes-partition-table" };
	return (unsigned)r < sizeof(n) / sizeof(n[0]) ? n[r] : "unknown";
}

const char *vol_label(const struct vol_ref *v)
{
	if (v->vol->ntfs && v->vol->ntfs->label && *v->vol->ntfs->label)
		return v->vol->ntfs->label;
	return v->vol->label && *v->vol->label ? v->vol->label : NULL;
}

const char *vol_name(const struct vol_ref *v)
{
	const char *name = v->part ? v->part->name : v->disk->name;

	/* a partition only the table knows has neither */
	return name ? name : v->path ? v->path : "(no device node)";
}

int job_result(struct job *job, int status, const char *code, const char *next,
	       const char *fmt, ...)
{
	va_list ap;

	free(job->res.code);
	free(job->res.message);
	free(job->res.next);
	job->res.status = status;
	job->res.code = xstrdup(code);
	job->res.next = xstrdup(next);
	va_start(ap, fmt);
	job->res.message = xvasprintf(fmt, ap);
	va_end(ap);
	return status;
}

/* Append the formatted sentence to a list (warnings, steps). */
static void vadd(char ***v, size_t *n, const char *fmt, va_list ap)
{
	char *s = xvasprintf(fmt, ap);

	strv_add(v, n, s);
	free(s);
}

void job_warn(struct job *job, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vadd(&job->res.warnings, &job->res.nwarnings, fmt, ap);
	va_end(ap);
}

void job_plan_step(struct job *job, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vadd(&job->plan.steps, &job->plan.nsteps, fmt, ap);
	va_end(ap);
}

void job_plan_warn(struct job *job, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vadd(&job->plan.warnings, &job->plan.nwarnings, fmt, ap);
	va_end(ap);
}

static double elapsed_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

bool job_confirmed_by(const struct job *job, const char *typed)
{
	const char *word = job->plan.confirm_word;

	if (!typed || !*typed || !word)
		return false;
	return strcmp(typed, word) == 0 ||
	       (job->ntargets == 1 && job->targets[0].path && strcmp(typed, job->targets[0].path) == 0);
}

bool job_cancelled(const struct job *job)
{
	return job->cancel && *job->cancel;
}

static void report(struct job *job, uint64_t done, uint64_t total)
{
	struct action_progress p = {
		.step = job->step ? job->step : "",
		.step_no = job->step_no,
		.nsteps = job->plan.nsteps,
		.done = done,
		.total = total,
		.elapsed = elapsed_since(&job->started),
	};

	if (job->progress)
		job->progress(job->progress_data, &p);
}

bool job_step(struct job *job, const char *fmt, ...)
{
	va_list ap;

	if (job_cancelled(job))
		return false;
	free(job->step);
	va_start(ap, fmt);
	job->step = xvasprintf(fmt, ap);
	va_end(ap);
	job->step_no++;
	report(job, 0, 0);
	return !job_cancelled(job);
}

void job_tick(struct job *job, uint64_t done, uint64_t total)
{
	report(job, done, total);
}

struct mount_record *job_add_mount(struct job *job)
{
	struct action_result *r = &job->res;

	r->mounts = xrealloc(r->mounts, r->nmounts + 1, sizeof(*r->mounts));
	memset(&r->mounts[r->nmounts], 0, sizeof(*r->mounts));
	return &r->mounts[r->nmounts++];
}

/* The same device as the screen showed: same node, same filesystem identity. */
static bool same_volume(const struct vol_ref *a, const struct vol_ref *b)
{
	const char *ua = a->vol->uuid, *ub = b->vol->uuid;

	if (a->major != b->major || a->minor != b->minor)
		return false;
	if ((ua == NULL) != (ub == NULL) || (ua && strcmp(ua, ub) != 0))
		return false;
	return (a->vol->fstype == NULL) == (b->vol->fstype == NULL) &&
	       (!a->vol->fstype || strcmp(a->vol->fstype, b->vol->fstype) == 0);
}

static void add_target(struct job *job, const struct vol_ref *v)
{
	job->targets = xrealloc(job->targets, job->ntargets + 1, sizeof(*job->targets));
	job->targets[job->ntargets++] = *v;
}

/* The loop disk of the inventory backed by the file real (its index in *di), or NULL. */
static const struct disk *loop_of(const struct inventory *inv, const char *real, size_t *di)
{
	struct stat want, st;
	bool known = real && stat(real, &want) == 0;
	const struct disk *d;

	/* the same file by any name: a hard link or another path to it is the same image */
	if (known && (d = target_loop_of_file(inv, &want, di)))
		return d;
	/* the kernel could not be asked (no node): the name it gives */
	for (size_t i = 0; real && i < inv->ndisks; i++)
		if (inv->disks[i].loop_backing &&
		    (strcmp(inv->disks[i].loop_backing, real) == 0 ||
		     (known && stat(inv->disks[i].loop_backing, &st) == 0 &&
		      st.st_dev == want.st_dev && st.st_ino == want.st_ino))) {
			*di = i;
			return &inv->disks[i];
		}
	return NULL;
}

/*
 * The image file at real (as named: spec) probed as the inventory would
 * probe a whole disk, its table and partitions too (probes_image, in a
 * limited probe worker), into job->image. ACT_OK, or the failure in job->res.
 */
static int probe_image_file(struct job *job, const char *spec, char *real)
{
	struct disk *d;
	struct stat st;
	int fd = open(real, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		free(real);
		return job_result(job, ACT_FAILED, "unreadable", "Check the file's name and rights.",
				  "%s cannot be read: %s.", spec, strerror(e));
	}
	d = job->image = xcalloc(1, sizeof(*d));
	d->number = SIZE_MAX;	/* a file, not a disk of this machine: no Disk N */
	d->path = real;
	d->name = xstrdup(basename(real));
	d->size = (uint64_t)st.st_size;
	d->log_sector = d->phys_sector = 512;
	probes_image(fd, d);
	close(fd);
	if (d->error)
		return job_result(job, ACT_FAILED, "probe-failed", NULL, "%s.", d->error);
	return ACT_OK;
}

/* "IMAGE:N" where IMAGE is a regular file and N a partition number: true, *file and *n. */
static bool image_part_spec(const char *spec, char **file, size_t *n)
{
	const char *colon = strrchr(spec, ':');
	struct stat st;
	char *end;
	unsigned long long v;

	/* disk:N is a disk as list numbers them (a file named "disk": ./disk:N) */
	if (!colon || colon == spec || !colon[1] || str_starts_with(spec, "/dev/") ||
	    str_starts_with(spec, "disk:"))
		return false;
	errno = 0;
	v = strtoull(colon + 1, &end, 10);
	if (*end || errno || colon[1] == '-' || colon[1] == '+')
		return false;
	*file = xasprintf("%.*s", (int)(colon - spec), spec);
	if (stat(*file, &st) != 0 || !S_ISREG(st.st_mode)) {
		free(*file);
		return false;
	}
	*n = (size_t)v;
	return true;
}

/* One partition of an image in words, as IMAGE:N names it, for a candidate line. */
static char *image_part_words(const char *name, const struct partition *p)
{
	char a[32], b[32], *what, *s;
	const char *label = p->vol.label;

	if (p->container)
		what = xstrdup("extended (it holds logical partitions)");
	else if (p->error)
		what = xasprintf("unreadable: %s", p->error);
	else if (p->vol.fstype)
		what = xasprintf("%s%s%s%s", p->vol.fstype, label ? " \"" : "", label ? label : "",
				 label ? "\"" : "");
	else
		what = xstrdup(p->vol.fs_error ? p->vol.fs_error : "no file system recognised");
	s = xasprintf("%s:%zu  start %s, size %s, type %s%s%s%s, %s", name, p->number,
		      size_human(p->start, a, sizeof(a)), size_human(p->size, b, sizeof(b)),
		      p->parttype ? p->parttype : "-", p->parttype_name ? " (" : "",
		      p->parttype_name ? p->parttype_name : "", p->parttype_name ? ")" : "", what);
	free(what);
	return s;
}

/*
 * A partitioned image named whole, or a partition it does not have: the
 * message names its partitions (as candidates, one per line, each as
 * IMAGE:N) and the command to use. Returns ACT_USAGE.
 */
static int image_partitions_result(struct job *job, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int image_partitions_result(struct job *job, const char *name, const char *fmt, ...)
{
	const struct disk *d = job->image;
	size_t pick = 0;
	char *msg, *next;
	va_list ap;

	for (size_t i = 0; i < d->nparts; i++) {
		char *w = image_part_words(name, &d->parts[i]);
		strv_add(&job->res.candidates, &job->res.ncandidates, w);
		free(w);
		/* the example: its first NTFS partition, else its first */
		if (!pick || (volume_is_ntfs(&d->parts[i].vol) && !volume_is_ntfs(&d->parts[pick - 1].vol)))
			pick = i + 1;
	}
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	next = pick ? xasprintf("Name one of them as %s:N, e.g. 'winrescue %s %s:%zu'.", name,
				job->act->name, name, d->parts[pick - 1].number)
		    : xstrdup("It holds no partition to check.");
	job_result(job, ACT_USAGE, "image-partitioned", next, "%s", msg);
	free(msg);
	free(next);
	return ACT_USAGE;
}

/*
 * An image file as the target: the loop device it is attached to when it
 * is (so that the rules on mounted volumes apply), else the file itself,
 * probed as the inventory would probe a whole disk (probes_image). A file
 * with a partition table is not one volume: the answer names its
 * partitions, each as IMAGE:N.
 */
static int resolve_image(struct job *job, const char *spec)
{
	char *real = realpath(spec, NULL);
	const struct disk *l;
	size_t di;
	int rc;

	if ((l = loop_of(job->inv, real, &di))) {
		free(real);
		if (l->nparts) {
			char *parts = target_partition_names(l);
			rc = job_result(job, ACT_USAGE, "image-partitioned",
					"Name one of its partitions as 'winrescue list' shows them.",
					"%s is attached as %s, which holds partitions: %s.", spec,
					l->path, parts);
			free(parts);
			return rc;
		}
		add_target(job, &(struct vol_ref){ .disk = l, .disk_index = di, .vol = &l->vol,
						   .path = l->path, .major = l->major,
						   .minor = l->minor, .role = l->vol_role });
		return ACT_OK;
	}
	if (!real)
		return job_result(job, ACT_FAILED, "unreadable", "Check the file's name and rights.",
				  "%s cannot be read: %s.", spec, strerror(errno));
	if ((rc = probe_image_file(job, spec, real)) != ACT_OK)
		return rc;
	if (job->image->pttype)
		return image_partitions_result(job, spec, "%s holds a partition table (%s), not one "
					       "file system: its partitions are:", spec,
					       job->image->pttype);
	add_target(job, &(struct vol_ref){ .disk = job->image, .disk_index = (size_t)-1,
					   .vol = &job->image->vol, .path = job->image->path,
					   .role = PART_ROLE_DATA });
	return ACT_OK;
}

/*
 * IMAGE:N, partition N of an image file's table: its volume is read (and
 * written) in the file from the partition's start, never beyond its end.
 * Attached to a loop device with its partitions, the loop partition is the
 * target instead, so that the rules on mounted volumes apply.
 */
static int resolve_image_part(struct job *job, const char *spec, char *file, size_t n)
{
	char *real = realpath(file, NULL);
	const struct disk *l;
	struct partition *p = NULL;
	size_t di;
	int rc;

	if ((l = loop_of(job->inv, real, &di))) {
		free(real);
		free(file);
		for (size_t i = 0; i < l->nparts; i++)
			if (l->parts[i].number == n && l->parts[i].path) {
				add_target(job, &(struct vol_ref){
					.disk = l, .disk_index = di, .part = &l->parts[i],
					.vol = &l->parts[i].vol, .path = l->parts[i].path,
					.major = l->parts[i].major, .minor = l->parts[i].minor,
					.role = l->parts[i].role });
				return ACT_OK;
			}
		return job_result(job, ACT_USAGE, "image-attached",
				  "Detach it (losetup -d), or name the partition of the loop device "
				  "as 'winrescue list' shows it (partx -a makes missing ones).",
				  "%s is attached as %s, which has no partition %zu the kernel knows: "
				  "its bytes are not read behind the loop device's back.", spec, l->path, n);
	}
	if (!real) {
		free(file);
		return job_result(job, ACT_FAILED, "unreadable", "Check the file's name and rights.",
				  "%s cannot be read: %s.", spec, strerror(errno));
	}
	if ((rc = probe_image_file(job, spec, real)) != ACT_OK) {
		free(file);
		return rc;
	}
	struct disk *d = job->image;
	for (size_t i = 0; i < d->nparts; i++)
		if (d->parts[i].number == n)
			p = &d->parts[i];
	/* the file as it was named, in what is said */
	if (!d->pttype)
		rc = job_result(job, ACT_USAGE, "image-not-partitioned",
				"Name the file alone: it is one volume.",
				"%s holds no partition table, so it has no partition %zu.", file, n);
	else if (!p)
		rc = image_partitions_result(job, file, "%s has no partition %zu: its partitions "
					     "are:", file, n);
	else if (p->container)
		rc = image_partitions_result(job, file, "%s is an extended partition: it holds other "
					     "partitions, not a file system; the partitions are:", spec);
	else if (p->error)
		rc = job_result(job, ACT_FAILED, "unreadable", NULL, "%s cannot be read: %s.", spec,
				p->error);
	free(file);
	if (rc != ACT_OK)
		return rc;
	/* names for the messages, the undo file and the typed confirmation */
	p->path = xasprintf("%s:%zu", d->path, n);
	p->name = xasprintf("%s:%zu", d->name, n);
	add_target(job, &(struct vol_ref){ .disk = d, .disk_index = (size_t)-1, .part = p,
					   .vol = &p->vol, .path = p->path, .role = PART_ROLE_DATA,
					   .file = d->path, .offset = p->start });
	return ACT_OK;
}

int job_resolve_spec(struct job *job, const char *spec, const struct vol_ref *seen)
{
	struct stat st;

	struct vol_ref v;
	char *err = NULL;
	int rc;

	if (job->act->takes_all && strcmp(spec, "all") == 0) {
		job->act->select_all(job);
		return ACT_OK;
	}
	if (job->act->takes_files && strncmp(spec, "/dev/", 5) != 0 && stat(spec, &st) == 0 &&
	    S_ISREG(st.st_mode))
		return resolve_image(job, spec);
	size_t pn;
	char *file;
	if (job->act->takes_files && image_part_spec(spec, &file, &pn))
		return resolve_image_part(job, spec, file, pn);
	rc = target_resolve(job->inv, spec, &v, &err, &job->res.candidates, &job->res.ncandidates);
	if (rc != ACT_OK) {
		if (seen) {
			/* the screen showed it: it is gone, not mistyped */
			rc = job_result(job, ACT_FAILED, "vanished",
					"The screen shows the disks as they are now. Nothing was done.",
					"%s is no longer attached: it vanished since the screen was "
					"drawn.", spec);
		} else {
			rc = job_result(job, ACT_USAGE, job->res.ncandidates > 1 ? "ambiguous-volume"
									     : "unknown-volume",
					"Name the volume by its device or as disk:N/part:M; "
					"'winrescue list' shows them.", "%s", err);
		}
		free(err);
		return rc;
	}
	free(err);
	if (seen && !same_volume(seen, &v))
		return job_result(job, ACT_FAILED, "changed", "The screen shows the disks as they are "
				  "now: look, then choose again. Nothing was done.",
				  "%s is not the volume the screen showed any more (its device "
				  "or file system changed since).", spec);
	add_target(job, &v);
	return ACT_OK;
}

int job_prepare(struct job *job, const struct action *act, const char *spec,
		const struct vol_ref *seen, const struct action_opts *opts)
{
	/* every disk of this machine; the ones named for a look that writes nothing */
	const struct probe_ctx real = { .only = act->risk == RISK_READ_ONLY ? opts->only : NULL,
					.nonly = act->risk == RISK_READ_ONLY ? opts->nonly : 0 };
	int rc;

	memset(job, 0, sizeof(*job));
	job->act = act;
	job->opts = *opts;
	job->spec = xstrdup(spec);
	job->log_path = xstrdup(audit_path(opts));
	job->inv = probes_scan(&real);
	if (job->inv->error)
		return job_result(job, ACT_FAILED, "probe-failed", "Is /sys mounted?",
				  "The disks cannot be listed: %s.", job->inv->error);
	rc = act->resolve ? act->resolve(job, spec) : job_resolve_spec(job, spec, seen);
	if (rc != ACT_OK)
		return rc;
	rc = act->preflight(job);
	if (rc != ACT_OK) {
		/* a refusal is part of the record too (best effort: nothing was done) */
		if (rc == ACT_REFUSED && act->risk != RISK_READ_ONLY && !opts->dry_run) {
			char *err = NULL;
			audit_record(job, "refused", &err);
			free(err);
		}
		return rc;
	}
	act->plan(job);
	/* every confirmation names the target beyond mix-up: number, node, serial */
	for (size_t i = 0; i < job->ntargets; i++) {
		char *id = target_identity(&job->targets[i]);
		strv_add(&job->plan.targets, &job->plan.ntargets, id);
		free(id);
	}
	return job_result(job, ACT_OK, "planned", NULL, "Ready.");
}

int job_refuse_undo_dir(struct job *job)
{
	const char *dir = undo_dir_of(&job->opts);
	char *where = target_on_patient(job->inv, dir), *why = NULL;
	int rc, fd;

	if (!where) {
		/* root's alone, reached without a symbolic link (or to be made so) */
		if ((fd = safedir_open(dir, SAFEDIR_MISSING_OK, 0, &why)) >= 0)
			close(fd);
		if (!why)
			return ACT_OK;
		rc = job_result(job, ACT_REFUSED, "undo-dir",
				"Give --undo-dir DIR (or WINRESCUE_UNDO_DIR): a directory of root's on "
				"the rescue system that nobody else can write to (a new one from "
				"'mktemp -d' will do).",
				"Refused: the undo directory %s cannot be trusted: %s; an undo file there "
				"could be replaced by another user. Nothing was written.", dir, why);
		free(why);
		return rc;
	}
	rc = job_result(job, ACT_REFUSED, "undo-dir",
			"Give --undo-dir DIR (or WINRESCUE_UNDO_DIR): a directory of root's on "
			"the rescue system that nobody else can write to (a new one from "
			"'mktemp -d' will do).",
			"Refused: the undo directory %s is %s; undo files never go onto the "
			"disks being rescued.", dir, where);
	free(where);
	return rc;
}

const char *undo_dir_of(const struct action_opts *opts)
{
	const char *env = getenv("WINRESCUE_UNDO_DIR");

	if (opts->undo_dir && *opts->undo_dir)
		return opts->undo_dir;
	return env && *env ? env : UNDO_DEFAULT_DIR;
}

static bool same_plan(const struct action_plan *a, const struct action_plan *b)
{
	if (a->nsteps != b->nsteps || (a->loss == NULL) != (b->loss == NULL) ||
	    (a->loss && strcmp(a->loss, b->loss) != 0))
		return false;
	for (size_t i = 0; i < a->nsteps; i++)
		if (strcmp(a->steps[i], b->steps[i]) != 0)
			return false;
	return true;
}

/*
 * The state may change while a person reads the plan and types the name
 * (another shell mounts the volume, the disk is detached): probe and
 * prepare again, and go on only with the plan that was shown. The fresh
 * job takes the place of the old one.
 */
static int recheck(struct job *job)
{
	struct job fresh, old;
	bool single = job->ntargets == 1 && strcmp(job->spec, "all") != 0;
	int rc = job_prepare(&fresh, job->act, job->spec, single ? &job->targets[0] : NULL,
			     &job->opts);

	if (rc == ACT_OK && !same_plan(&job->plan, &fresh.plan))
		rc = job_result(&fresh, ACT_FAILED, "changed",
				"Look at the disks again (r in the TUI) and start over.",
				"Nothing was done: the disks changed since the plan was shown.");
	old = *job;
	*job = fresh;
	job_free(&old);
	return rc;
}

int job_run(struct job *job, action_progress_fn progress, void *progress_data,
	    volatile sig_atomic_t *cancel)
{
	struct disk_locks locks = { 0 };
	bool changes = job->act->risk != RISK_READ_ONLY;
	char *err = NULL;
	int rc;

	/* the disks first, then one more fresh look under the lock */
	if (changes && job->ntargets && locks_take(job, &locks, &err) < 0) {
		rc = job_result(job, ACT_FAILED, "locked",
				"Wait for the other program (a partitioning tool, another winrescue) "
				"to finish, then try again.", "%s.", err);
		free(err);
		audit_record(job, "refused", &err);
		free(err);
		return rc;
	}
	/* a read-only action runs right after its plan: nothing to look at again */
	if (changes && recheck(job) != ACT_OK) {
		locks_release(&locks);
		if (changes && job->res.status != ACT_REFUSED) {
			audit_record(job, "refused", &err);	/* job_prepare logged refusals */
			free(err);
		}
		return job->res.status;
	}
	job->progress = progress;
	job->progress_data = progress_data;
	job->cancel = cancel;
	clock_gettime(CLOCK_MONOTONIC, &job->started);
	if (changes && audit_record(job, "plan", &err) < 0) {
		locks_release(&locks);
		rc = job_result(job, ACT_REFUSED, "audit-log",
				"Give --log FILE (or WINRESCUE_LOG) in a directory of root's on the "
				"rescue system that nobody else can write to (a new one from "
				"'mktemp -d' will do).",
				"Refused: the audit log cannot be written: %s.", err);
		free(err);
		return rc;
	}
	rc = job->act->run(job);
	locks_release(&locks);
	if (changes && audit_record(job, "result", &err) < 0) {
		job_warn(job, "The result could not be added to the audit log %s: %s.",
			 job->log_path, err);
		free(err);
	}
	return rc;
}

static void free_plan(struct action_plan *p)
{
	strv_free(p->steps, p->nsteps);
	strv_free(p->warnings, p->nwarnings);
	free(p->loss);
	free(p->confirm_word);
	strv_free(p->targets, p->ntargets);
}

static void free_result(struct action_result *r)
{
	free(r->code);
	free(r->message);
	free(r->next);
	free(r->tool_message);
	strv_free(r->warnings, r->nwarnings);
	strv_free(r->candidates, r->ncandidates);
	for (size_t i = 0; i < r->nmounts; i++) {
		struct mount_record *m = &r->mounts[i];
		free(m->device);
		free(m->label);
		free(m->mountpoint);
		free(m->driver);
		free(m->fstype);
		free(m->boot_id);
	}
	free(r->mounts);
	for (size_t i = 0; i < r->nchecks; i++) {
		struct fs_check *c = &r->checks[i];
		free(c->device);
		free(c->fstype);
		free(c->checker);
		free(c->summary);
		free(c->tool_output);
		free(c->state);
		free(c->next);
		free(c->command);
		nc_report_free(&c->rep);
	}
	free(r->checks);
	free(r->undo_file);
}

const char *job_result_title(const struct job *job)
{
	const struct action_result *r = &job->res;
	const char *code = r->code ? r->code : "";

	if (strcmp(code, "cancelled") == 0)
		return "Cancelled";
	if (strcmp(code, "changed") == 0 || strcmp(code, "vanished") == 0)
		return "The disks changed";	/* nothing was done: not a failure */
	if (r->status == ACT_REFUSED)
		return "Refused";
	if (strcmp(code, "corrected") == 0)
		return "Repaired";
	if (strcmp(code, "nothing-to-fix") == 0)
		return r->status == ACT_OK ? "Nothing to repair" : "Nothing fix can repair";
	if (r->status == ACT_ERRORS_LEFT)
		return job->act == &action_fix ? "Errors remain" : "Errors found";
	if (r->status == ACT_OPERATIONAL)
		return "Could not be done";
	if (r->status == ACT_USAGE)
		return "Not possible";
	if (r->status == ACT_OK)
		return job->act == &action_undo ? "Restored" : "Done";
	return "Failed";
}

void job_free(struct job *job)
{
	if (job->priv && job->act && job->act->free_priv)
		job->act->free_priv(job->priv);
	free_plan(&job->plan);
	free_result(&job->res);
	free(job->targets);
	if (job->image) {
		disk_free_fields(job->image);
		free(job->image);
	}
	inventory_free(job->inv);
	free(job->spec);
	free(job->log_path);
	free(job->id);
	free(job->step);
	memset(job, 0, sizeof(*job));
}
