/*
 * mount.c - `mount` (Online) and `umount` (Offline).
 *
 * Mounting is where data gets lost: a hibernated or Fast Startup volume
 * mounted read-write throws the Windows session away, ntfs-3g silently
 * falls back to read-only, a dirty volume makes the kernel's ntfs3 refuse
 * with a cryptic message. So: read-only unless asked; read-write only on
 * a volume whose state allows it (mount_refused()); the mode obtained is
 * read back from mountinfo, never assumed; ntfs-3g and mount helpers talk
 * into a buffer, never to the screen, and their words are translated.
 */
#include <sys/stat.h>	/* before any ntfs-3g header */

#include "actions/mount.h"
#include "actions/verdict.h"
#include "lib/ntfslog.h"
#include "lib/util.h"
#include "probes/worker.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libmount.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <ntfs-3g/types.h>
#include <ntfs-3g/layout.h>
#include <ntfs-3g/volume.h>

extern char **environ;

/* ---- refusals ---- */

void refusal_free(struct refusal *r)
{
	free(r->message);
	free(r->next);
	memset(r, 0, sizeof(*r));
}

static bool refuse(struct refusal *r, int status, const char *code, char *message, char *next)
{
	r->status = status;
	r->code = code;
	r->message = message;
	r->next = next;
	return true;
}

static bool fs_is(const struct volume *v, const char *t)
{
	return v->fstype && strcmp(v->fstype, t) == 0;
}

/* The volume's next step, as every view words it (verdict.h). */
static char *verdict_next(const struct inventory *inv, const struct vol_ref *v, const char *fallback)
{
	struct verdict vd;
	char *next;

	verdict_of(inv, v, NULL, &vd);
	next = xstrdup(vd.next ? vd.next : fallback);
	verdict_free(&vd);
	return next;
}

/* The read-write rules of NTFS: Windows' state must allow writing. */
static bool ntfs_rw_refused(const struct inventory *inv, const struct vol_ref *v,
			    const struct action_opts *o, struct refusal *r)
{
	const struct ntfs_state *n = v->vol->ntfs;
	const char *dev = v->path;
	static const char *const discard_hint =
		"; to write anyway, accept losing the hibernated Windows session and its unsaved "
		"work (--discard-hibernation; in the TUI, the choice that discards it)";

	if (ntfs_damaged(n) || n->mftmirr_ok == TRI_UNKNOWN)
		return refuse(r, ACT_REFUSED, "damaged",
			      xasprintf("Refused: %s is damaged (%s), and writing to it could make "
					"it worse.", dev,
					n->error ? n->error
					: n->mftmirr_ok == TRI_NO ? "$MFTMirr does not match $MFT"
					: n->mftmirr_ok == TRI_UNKNOWN ? "$MFTMirr cannot be compared with $MFT"
								       : "its boot sectors differ"),
			      verdict_next(inv, v, "Mount it read-only (the default) to copy the "
					   "data off."));
	if (n->hibernated == TRI_YES && !o->discard_hibernation)
		return refuse(r, ACT_REFUSED, "hibernated",
			      xasprintf("Refused: Windows on %s is hibernated (hiberfil.sys holds a "
					"saved session); what is written now is lost, or corrupts the "
					"volume, when Windows resumes.", dev),
			      xasprintf("Mount it read-only (the default), or resume Windows and "
					"shut it down fully%s.", discard_hint));
	if (n->hibernated == TRI_UNKNOWN)
		return refuse(r, ACT_REFUSED, "hibernation-unknown",
			      xasprintf("Refused: whether Windows is hibernated on %s cannot be read "
					"(hiberfil.sys is unreadable).", dev),
			      xstrdup("Mount it read-only (the default)."));
	if (n->logfile == NTFS_LOGFILE_FAST_RESTART && !o->discard_hibernation)
		return refuse(r, ACT_REFUSED, "fast-startup",
			      xasprintf("Refused: %s was shut down with Windows Fast Startup: Windows "
					"keeps its file system metadata cached for its next start, and "
					"changes made now would be overwritten or corrupt the volume.",
					dev),
			      xasprintf("Mount it read-only (the default), or start Windows and shut "
					"it down fully (shutdown /s /t 0, or Fast Startup off)%s.",
					discard_hint));
	if (n->logfile == NTFS_LOGFILE_UNCLEAN)
		return refuse(r, ACT_REFUSED, "unclean-journal",
			      xasprintf("Refused: the journal ($LogFile) of %s was not closed cleanly: "
					"it holds changes Windows has not yet written, which writing "
					"now would lose.", dev),
			      xstrdup("Mount it read-only (the default); let Windows replay the "
				      "journal at its next start (or run chkdsk /f), then try again."));
	if (n->logfile == NTFS_LOGFILE_UNKNOWN)
		return refuse(r, ACT_REFUSED, "journal-unknown",
			      xasprintf("Refused: the journal ($LogFile) of %s cannot be read, so it "
					"is not known whether it holds changes Windows has not yet "
					"written.", dev),
			      xstrdup("Mount it read-only (the default)."));
	return false;
}

bool mount_refused(const struct inventory *inv, const struct vol_ref *v, const struct action_opts *o,
		   struct refusal *r)
{
	const struct volume *vol = v->vol;
	const char *dev = v->path;
	char *busy;

	memset(r, 0, sizeof(*r));
	if (!dev)
		return refuse(r, ACT_FAILED, "no-device-node",
			      xasprintf("Disk %zu partition %zu has no device node: the kernel did "
					"not create one.", v->disk->number, v->part ? v->part->number : 0),
			      xasprintf("Run 'partx -a %s' to have the kernel read the table, then "
					"try again.", v->disk->path));
	if (v->disk->role == DISK_ROLE_RESCUE)
		return refuse(r, ACT_REFUSED, "rescue-disk",
			      xasprintf("Refused: %s is on Disk %zu, the rescue system's own disk: "
					"%s; winrescue never mounts or changes it.", dev,
					v->disk->number, v->disk->role_reason ? v->disk->role_reason
									    : "it runs this system"),
			      xstrdup("Pick a volume of the Windows disk: 'winrescue list' marks it "
				      "[SYSTEM]."));
	if (v->part && v->part->error && strstr(v->part->error, "block device"))
		return refuse(r, ACT_REFUSED, "not-block-device", xasprintf("Refused: %s.", v->part->error),
			      xasprintf("Look at what stands at %s; nothing was written.", dev));
	if (v->disk->error && strstr(v->disk->error, "block device"))
		return refuse(r, ACT_REFUSED, "not-block-device",
			      xasprintf("Refused: %s.", v->disk->error),
			      xasprintf("Look at what stands at %s; nothing was written.", v->disk->path));
	if ((busy = vol_busy(v))) {
		refuse(r, ACT_REFUSED, vol->use.nmountpoints ? "already-mounted" : "in-use",
		       xasprintf("Refused: %s.", busy),
		       vol->use.nmountpoints
			       ? xasprintf("Use %s as it is, or unmount it first: winrescue umount %s.",
					   vol->use.mountpoints[0], dev)
			       : xstrdup("Stop what uses it first."));
		free(busy);
		return true;
	}
	if (fs_is(vol, "BitLocker"))
		return refuse(r, ACT_REFUSED, "bitlocker-locked",
			      xasprintf("Refused: %s is encrypted with BitLocker and locked: its "
					"files cannot be read.", dev),
			      xstrdup("Unlock it first with the recovery key (dislocker, or "
				      "cryptsetup open --type bitlk), then mount the unlocked device."));
	if ((v->part && v->part->error) || (!v->part && v->disk->error))
		return refuse(r, ACT_FAILED, "unreadable",
			      xasprintf("%s cannot be read: %s.", dev,
					v->part ? v->part->error : v->disk->error),
			      xstrdup("Check the disk in the provider's console."));
	if (v->part && v->part->container)
		return refuse(r, ACT_FAILED, "no-filesystem",
			      xasprintf("%s is an extended partition: it holds other partitions, "
					"not a file system.", dev),
			      xstrdup("Mount one of the logical partitions inside it."));
	if (!vol->fstype && !vol->ntfs)
		return refuse(r, ACT_FAILED, "no-filesystem",
			      xasprintf("%s holds no file system winrescue recognises%s.", dev,
					v->role == PART_ROLE_MSR ? " (it is the Microsoft Reserved "
								   "partition, which holds none)" : ""),
			      xstrdup("Nothing to mount there; 'winrescue list' shows the volumes."));
	if (fs_is(vol, "swap") || (vol->usage && strcmp(vol->usage, "filesystem") != 0 && !vol->ntfs))
		return refuse(r, ACT_FAILED, "no-filesystem",
			      xasprintf("%s holds %s (%s), not a file system to mount.", dev,
					fs_is(vol, "swap") ? "swap space" : "no file system",
					vol->fstype ? vol->fstype : "unknown"),
			      xstrdup("Nothing to mount there; 'winrescue list' shows the volumes."));
	/* ntfs-3g and ntfs3 read only the primary boot sector: a mount would fail */
	if (vol->ntfs && vol->ntfs->bootcopies == NTFS_BOOT_PRIMARY_BAD)
		return refuse(r, ACT_FAILED, "damaged",
			      xasprintf("%s cannot be mounted: its primary boot sector is damaged, "
					"and no NTFS driver reads the intact backup.", dev),
			      verdict_next(inv, v, "winrescue fix repairs it from the backup."));
	if ((o->rw || o->discard_hibernation) && vol->ntfs && ntfs_rw_refused(inv, v, o, r))
		return true;
	return false;
}

/* ---- drivers and options ---- */

void mount_method_free(struct mount_method *m)
{
	free(m->name);
	free(m->fstype);
	free(m->options);
	free(m->why_none);
	memset(m, 0, sizeof(*m));
}

/* Whether /proc/filesystems (its text: "nodev\tsysfs", "\text4") lists type. */
static bool fs_listed(const char *filesystems, const char *type)
{
	size_t l = strlen(type);

	for (const char *p = filesystems; p && *p;) {
		const char *eol = strchrnul(p, '\n'), *name = eol;
		while (name > p && name[-1] != '\t')
			name--;
		if ((size_t)(eol - name) == l && strncmp(name, type, l) == 0)
			return true;
		p = *eol ? eol + 1 : NULL;
	}
	return false;
}

/* Files of NTFS and FAT mounts: root's, mode 0700 (others may not even list them). */
#define ROOT_ONLY "uid=0,gid=0,umask=077"

void mount_method_choose(const struct vol_ref *v, const struct action_opts *o,
			 const char *filesystems, const char *ntfs_3g, struct mount_method *m)
{
	const struct volume *vol = v->vol;
	bool rw = o->rw || o->discard_hibernation;
	/* root's alone: nothing run from it, no devices, no set-uid (issue 24) */
	const char *base = rw ? "rw,nodev,nosuid,noexec" : "ro,nodev,nosuid,noexec";

	memset(m, 0, sizeof(*m));
	if (vol->ntfs || fs_is(vol, "ntfs")) {
		bool ntfs3 = fs_listed(filesystems, "ntfs3");
		if (o->discard_hibernation && !ntfs_3g) {
			m->why_none = xstrdup("discarding the hibernated session needs ntfs-3g (its "
					      "remove_hiberfile option), which is not installed: install "
					      "ntfs-3g (apt-get install ntfs-3g)");
		} else if (ntfs3 && !o->discard_hibernation) {
			m->driver = DRV_NTFS3;
			m->name = xstrdup("ntfs3");
			m->fstype = xstrdup("ntfs3");
			/* ntfs3 refuses a dirty volume read-write without force */
			m->options = xasprintf("%s,%s%s%s", base, ROOT_ONLY, rw ? ",windows_names" : "",
					       rw && vol->ntfs && vol->ntfs->dirty == TRI_YES ? ",force" : "");
		} else if (ntfs_3g) {
			m->driver = DRV_NTFS_3G;
			m->name = xstrdup("ntfs-3g");
			m->fstype = xstrdup("fuseblk");
			/* norecover: never reset a journal behind the person's back */
			/* as root, ntfs-3g adds allow_other: the modes alone keep others out */
			m->options = xasprintf("%s,%s%s%s", base, ROOT_ONLY,
					       rw ? ",windows_names,norecover" : "",
					       o->discard_hibernation ? ",remove_hiberfile" : "");
		} else {
			m->why_none = xstrdup("the kernel has no ntfs3 driver (it is not in "
					      "/proc/filesystems) and ntfs-3g is not installed: install "
					      "ntfs-3g (apt-get install ntfs-3g), or load ntfs3 "
					      "(modprobe ntfs3)");
		}
		return;
	}
	m->driver = DRV_KERNEL;
	m->name = xstrdup(vol->fstype);
	m->fstype = xstrdup(vol->fstype);
	/* read-only means nothing written: no journal replay on the way in */
	const char *norec = "";
	if (!rw && (fs_is(vol, "ext3") || fs_is(vol, "ext4")))
		norec = ",noload";
	else if (!rw && fs_is(vol, "xfs"))
		norec = ",norecovery";
	else if (!rw && fs_is(vol, "btrfs"))
		norec = ",rescue=nologreplay";
	/* FAT and exFAT have no owners on disk: the mount gives them (ext4 & co keep theirs) */
	m->options = xasprintf("%s%s%s", base, norec,
			       fs_is(vol, "vfat") || fs_is(vol, "exfat") ? "," ROOT_ONLY : "");
}

char *mount_find_ntfs_3g(void)
{
	const char *env = getenv("WINRESCUE_NTFS_3G");

	if (env && *env)
		return is_executable(env) ? xstrdup(env) : NULL;
	/* a bundle keeps ntfs-3g beside winrescue */
	return find_bundled("ntfs-3g");
}

/* ---- mount points ---- */

/* A label as one path component: no '/', no control characters, no blanks. */
static char *path_safe(const char *label)
{
	char *s = sanitize_terminal(label);

	for (char *p = s; *p; p++)
		if (*p == '/' || *p == ' ' || *p == '?' || *p == '\\' || *p == '*' || *p == '\t')
			*p = '_';
	if (s[0] == '.')
		s[0] = '_';
	return s;
}

char *mount_default_dir(const struct vol_ref *v, const struct inventory *inv)
{
	const char *label = vol_label(v);
	struct vol_ref *all;
	size_t n = target_all(inv, &all), same = 0;
	char *safe, *dir;

	if (!label) {
		free(all);
		return xasprintf("%s/%s", MOUNT_BASE, vol_name(v));
	}
	for (size_t i = 0; i < n; i++) {
		const char *l = vol_label(&all[i]);
		if (l && strcasecmp(l, label) == 0)
			same++;
	}
	free(all);
	safe = path_safe(label);
	dir = same > 1 ? xasprintf("%s/%s-%s", MOUNT_BASE, safe, vol_name(v))
		       : xasprintf("%s/%s", MOUNT_BASE, safe);
	free(safe);
	return dir;
}

/* Whether the open directory d has nothing in it (false when d is NULL); closes d. */
static bool dirp_empty(DIR *d)
{
	struct dirent *de;
	bool empty = true;

	if (!d)
		return false;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			empty = false;
	closedir(d);
	return empty;
}

static bool dir_empty(const char *dir)
{
	return dirp_empty(opendir(dir));
}

/* Why a directory with status st may not hold a mount point: not root's, or others write to it. */
static const char *dir_unsafe(const struct stat *st)
{
	if (st->st_uid != 0)
		return "is not owned by root";
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return "can be written by other users";
	return NULL;
}

/*
 * Why the directory that holds dir (when it exists) may not: another user
 * who can write there could put a link in dir's place while it is mounted.
 */
static char *parent_unsafe(const char *dir)
{
	char *parent = xstrdup(dir), *slash = strrchr(parent, '/'), *s = NULL;
	const char *why;
	struct stat st;

	if (slash)
		slash[slash == parent] = '\0';
	if (lstat(parent, &st) == 0 && S_ISDIR(st.st_mode) && (why = dir_unsafe(&st)))
		s = xasprintf("the mount point %s lies in %s, which %s: another user could put a "
			      "link in its place while it is mounted", dir, parent, why);
	free(parent);
	return s;
}

char *mount_dir_problem(const char *dir, const struct inventory *inv, const char **code)
{
	struct stat st;
	char *where, real[PATH_MAX];
	struct mount_info mi;
	static const struct probe_ctx here = { 0 };

	*code = NULL;
	if (dir[0] != '/') {
		*code = "bad-mountpoint";
		return xasprintf("the mount point %s is not an absolute path", dir);
	}
	if (stat(dir, &st) == 0) {
		if (!S_ISDIR(st.st_mode)) {
			*code = "bad-mountpoint";
			return xasprintf("%s exists and is not a directory", dir);
		}
		if (probes_mount_at(&here, realpath(dir, real) ? real : dir, &mi)) {
			char *s = xasprintf("something is already mounted at %s (%s)", dir,
					    mi.source ? mi.source : mi.fstype);
			mount_info_free(&mi);
			*code = "mountpoint-busy";
			return s;
		}
		if (!dir_empty(dir)) {
			*code = "mountpoint-not-empty";
			return xasprintf("%s is not empty: mounting there would hide its files", dir);
		}
	}
	if ((where = parent_unsafe(dir))) {
		*code = "mountpoint-unsafe";
		return where;
	}
	/* the deepest part of the path that exists decides where it would be */
	where = target_on_patient(inv, dir);
	if (where) {
		char *s = xasprintf("%s is %s", dir, where);
		free(where);
		*code = "mountpoint-on-patient";
		return s;
	}
	return NULL;
}

/* ---- doing it ---- */

static void wait_released(struct job *job, const char *dev);

/* fds 1 and 2 into a buffer while a library may run a helper program. */
struct redirect {
	int fd, saved1, saved2;
};

static void redirect_begin(struct redirect *r)
{
	fflush(stdout);
	fflush(stderr);
	r->fd = job_capture_fd();
	/* close-on-exec copies: a helper (a FUSE daemon) must not keep the terminal */
	r->saved1 = fcntl(1, F_DUPFD_CLOEXEC, 3);
	r->saved2 = fcntl(2, F_DUPFD_CLOEXEC, 3);
	if (r->fd >= 0 && r->saved1 >= 0 && r->saved2 >= 0) {
		dup2(r->fd, 1);
		dup2(r->fd, 2);
	}
}

static char *redirect_end(struct redirect *r)
{
	char *s;

	fflush(stdout);
	fflush(stderr);
	if (r->saved1 >= 0) {
		dup2(r->saved1, 1);
		close(r->saved1);
	}
	if (r->saved2 >= 0) {
		dup2(r->saved2, 2);
		close(r->saved2);
	}
	s = job_captured(r->fd);
	if (r->fd >= 0)
		close(r->fd);
	return s;
}

/* ntfs-3g's exit status (NTFS_VOLUME_*) in our words. */
static const char *ntfs_3g_reason(int status)
{
	switch (status) {
	case NTFS_VOLUME_NOT_NTFS: return "it is not an NTFS volume";
	case NTFS_VOLUME_CORRUPT: return "the volume is damaged";
	case NTFS_VOLUME_HIBERNATED: return "Windows is hibernated or was shut down with Fast Startup";
	case NTFS_VOLUME_UNCLEAN_UNMOUNT: return "the journal was not closed cleanly";
	case NTFS_VOLUME_LOCKED: return "the device is in use by another program";
	case NTFS_VOLUME_RAID: return "the device is part of a RAID set";
	case NTFS_VOLUME_NO_PRIVILEGE: return "it needs root";
	case NTFS_VOLUME_OUT_OF_MEMORY: return "it ran out of memory";
	case NTFS_VOLUME_FUSE_ERROR: return "FUSE is not available (is /dev/fuse there? modprobe fuse)";
	default: return NULL;
	}
}

/* What the journal worker says: how far it got, errno, libntfs-3g's last words. */
struct journal_answer {
	int32_t stage;		/* 0 done, 1 the volume did not open, 2 the reset failed */
	int32_t err;
	char library[256];
};

/* In the worker: libntfs-3g opens the volume, empties $LogFile, sets the dirty flag. */
static int discard_journal_child(void *arg, struct wire_buf *b)
{
	const char *dev = arg;
	struct journal_answer a = { 0 };
	ntfs_volume *vol;

	ntfslog_reset();
	vol = ntfs_mount(dev, NTFS_MNT_FORENSIC);	/* no hibernation or journal checks */
	if (!vol) {
		a.stage = 1;
		a.err = errno;
	} else {
		if (ntfs_logfile_reset(vol) < 0 ||
		    ntfs_volume_write_flags(vol, (le16)(vol->flags | VOLUME_IS_DIRTY)) < 0)
			a.stage = 2;
		if (ntfs_umount(vol, FALSE) < 0)
			a.stage = 2;
		a.err = a.stage ? (errno ? errno : EIO) : 0;
		snprintf(a.library, sizeof(a.library), "%s", ntfslog_last());
	}
	wire_reserve(b, sizeof(a));
	memcpy(b->data + b->len, &a, sizeof(a));
	b->len += sizeof(a);
	return 0;
}

/*
 * Fast Startup: empty the journal, mark the volume for chkdsk. libntfs-3g
 * parses the volume to do it, in a limited worker (worker.h): a crafted
 * volume that crashes it or asks for all the memory fails this mount,
 * never winrescue.
 */
static int discard_journal(struct job *job, const char *dev)
{
	struct worker_opts o = { "the journal's reset", WORKER_CONFINE_ROOT_WRITER, NULL, NULL };
	struct worker_result wr;
	struct journal_answer a;

	if (worker_call(&o, discard_journal_child, (void *)dev, &wr) < 0 ||
	    wr.answer.len != sizeof(a)) {
		if (wr.status == WORKER_OK)
			wr.status = WORKER_FAILED;	/* a short answer */
		char *why = worker_failure_words(&wr);
		worker_result_free(&wr);
		int rc = job_result(job, ACT_FAILED, "journal-reset-failed",
				    "Check the volume with chkdsk /f in Windows before mounting it "
				    "read-write; mount it read-only meanwhile.",
				    "The journal of %s could not be emptied: the process that reads the "
				    "volume stopped (%s).", dev, why);
		free(why);
		return rc;
	}
	memcpy(&a, wr.answer.data, sizeof(a));
	worker_result_free(&wr);
	a.library[sizeof(a.library) - 1] = '\0';
	if (a.stage == 1)
		return job_result(job, ACT_FAILED, "journal-reset-failed",
				  "Nothing was changed; mount it read-only instead.",
				  "The journal of %s cannot be emptied: libntfs-3g cannot open the "
				  "volume for writing (%s).", dev, strerror(a.err));
	if (a.stage) {
		job->res.tool_message = a.library[0] ? xstrdup(a.library) : NULL;
		return job_result(job, ACT_FAILED, "journal-reset-failed",
				  "Check the volume with chkdsk /f in Windows.",
				  "The journal of %s could not be emptied completely (%s).", dev,
				  strerror(a.err));
	}
	return ACT_OK;
}

struct mount_priv {
	char *dir;
	int dirfd;		/* dir, held: O_PATH, never followed through a link; or -1 */
	int parentfd;		/* the directory that holds it, or -1 */
	bool dir_exists;
	bool discard_journal;	/* Fast Startup with --discard-hibernation */
	struct mount_method m;
	char *ntfs_3g;
};

static void mount_priv_free(void *p)
{
	struct mount_priv *mp = p;

	free(mp->dir);
	if (mp->dirfd >= 0)
		close(mp->dirfd);
	if (mp->parentfd >= 0)
		close(mp->parentfd);
	mount_method_free(&mp->m);
	free(mp->ntfs_3g);
	free(mp);
}

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "re");
	char *s = NULL;
	size_t cap = 0;
	ssize_t n;

	if (!f)
		return xstrdup("");
	n = getdelim(&s, &cap, '\0', f);
	fclose(f);
	if (n < 0) {
		free(s);
		return xstrdup("");
	}
	return s;
}

static char *mount_applies(const struct vol_ref *v, const struct inventory *inv,
			   const struct action_opts *opts)
{
	static const struct action_opts ro = { 0 };
	const struct action_opts *o = opts ? opts : &ro;
	const struct ntfs_state *n = v->vol->ntfs;
	struct refusal r;
	char *why;

	if (!mount_refused(inv, v, o, &r)) {
		if (o->discard_hibernation && (!n || (n->hibernated != TRI_YES &&
						      n->logfile != NTFS_LOGFILE_FAST_RESTART)))
			return xasprintf("%s holds no hibernated or Fast Startup session to discard.",
					 v->path);
		return NULL;
	}
	why = xasprintf("%s %s", r.message, r.next);
	refusal_free(&r);
	return why;
}

static int refused_result(struct job *job, struct refusal *r)
{
	int rc = job_result(job, r->status, r->code, r->next, "%s", r->message);

	refusal_free(r);
	return rc;
}

/*
 * dir (absolute) made plain without looking at the disk: "//" and "." go,
 * ".." takes the part before it. Symbolic links are not followed here:
 * the mount point is then opened part by part with O_NOFOLLOW, so a link
 * anywhere on the way is refused, never taken (a link another user made
 * would move root's mount elsewhere). NULL when ".." climbs above "/".
 */
static char *canonical_dir(const char *dir)
{
	char *copy = xstrdup(dir), *save = NULL, **parts = NULL;
	size_t n = 0;
	bool above = false;

	for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (!strcmp(c, "."))
			continue;
		if (!strcmp(c, "..")) {
			if (n)
				free(parts[--n]);
			else
				above = true;
			continue;
		}
		strv_add(&parts, &n, c);
	}
	free(copy);
	if (above) {
		strv_free(parts, n);
		return NULL;
	}
	char *out = xstrdup("");
	for (size_t i = 0; i < n; i++) {
		char *t = xasprintf("%s/%s", out, parts[i]);
		free(out);
		out = t;
	}
	strv_free(parts, n);
	if (!*out) {
		free(out);
		out = xstrdup("/");
	}
	return out;
}

static int mount_preflight(struct job *job)
{
	const struct vol_ref *v = &job->targets[0];
	struct mount_priv *mp = xcalloc(1, sizeof(*mp));
	struct refusal r;
	const char *code;
	char *problem, *fs, cwd[PATH_MAX];
	struct stat st;

	mp->dirfd = mp->parentfd = -1;
	job->priv = mp;
	if (job->opts.discard_hibernation)
		job->opts.rw = true;
	if (mount_refused(job->inv, v, &job->opts, &r))
		return refused_result(job, &r);
	if (stat(v->path, &st) < 0) {
		char *next = xasprintf("Run 'partx -a %s' so that the kernel makes its node.",
				       v->disk->path);
		int rc = job_result(job, ACT_FAILED, "no-device-node", next, "%s is missing: %s.",
				    v->path, strerror(errno));
		free(next);
		return rc;
	}
	if (geteuid() != 0)
		return job_result(job, ACT_FAILED, "needs-root", "Run it as root (sudo winrescue ...).",
				  "Mounting %s needs root.", v->path);
	if (job->opts.at && job->opts.at[0] != '/' && getcwd(cwd, sizeof(cwd)))
		mp->dir = xasprintf("%s/%s", cwd, job->opts.at);
	else
		mp->dir = job->opts.at ? xstrdup(job->opts.at) : mount_default_dir(v, job->inv);
	/* plain, links not followed: each part is opened with O_NOFOLLOW later */
	char *canon = canonical_dir(mp->dir);
	if (!canon)
		return job_result(job, ACT_USAGE, "bad-mountpoint", "Give --at as a plain path.",
				  "The mount point %s climbs above / with ..", mp->dir);
	free(mp->dir);
	mp->dir = canon;
	problem = mount_dir_problem(mp->dir, job->inv, &code);
	if (problem) {
		int rc = job_result(job, ACT_REFUSED, code,
				    strcmp(code, "mountpoint-unsafe") == 0
					    ? "Choose a mount point in a directory only root can write "
					      "to, such as /mnt/NAME."
				    : job->opts.at ? "Choose another mount point with --at, or empty it."
						   : "Give a mount point with --at DIR.",
				    "Refused: %s.", problem);
		free(problem);
		return rc;
	}
	mp->dir_exists = stat(mp->dir, &st) == 0;
	mp->ntfs_3g = mount_find_ntfs_3g();
	fs = read_text("/proc/filesystems");
	mount_method_choose(v, &job->opts, fs, mp->ntfs_3g, &mp->m);
	free(fs);
	if (mp->m.driver == DRV_NONE)
		return job_result(job, ACT_FAILED, "no-driver", NULL, "%s cannot be mounted here: %s.",
				  v->path, mp->m.why_none);
	mp->discard_journal = job->opts.discard_hibernation && v->vol->ntfs &&
			      v->vol->ntfs->logfile == NTFS_LOGFILE_FAST_RESTART;
	return ACT_OK;
}

static void mount_plan(struct job *job)
{
	const struct vol_ref *v = &job->targets[0];
	struct mount_priv *mp = job->priv;
	const struct ntfs_state *n = v->vol->ntfs;
	const char *label = vol_label(v);
	char size[32];
	bool rw = job->opts.rw;

	size_human(v->part ? v->part->size : v->disk->size, size, sizeof(size));
	if (!mp->dir_exists)
		job_plan_step(job, "Create the directory %s", mp->dir);
	if (mp->discard_journal)
		job_plan_step(job, "Empty the journal ($LogFile) of %s and mark the volume dirty, "
			      "so that Windows checks it (chkdsk) at its next start", v->path);
	job_plan_step(job, "Mount %s (%s%s%s%s, %s) %s at %s with %s, options %s%s", v->path,
		      n ? "NTFS" : v->vol->fstype, label ? ", \"" : "", label ? label : "",
		      label ? "\"" : "", size, rw ? "read-write" : "read-only", mp->dir, mp->m.name,
		      mp->m.options, job->opts.discard_hibernation
				     ? " (remove_hiberfile: ntfs-3g deletes hiberfil.sys)" : "");
	job_plan_step(job, "Read the mode obtained back from /proc/self/mountinfo");

	if (rw && n && n->dirty == TRI_YES)
		job_plan_warn(job, "%s is marked dirty: Windows will check it (chkdsk) at its next "
			      "start; it mounts read-write all the same.", v->path);
	if (!rw && n && n->hibernated == TRI_YES)
		job_plan_warn(job, "Windows is hibernated on %s: you see the files as Windows left "
			      "them when it hibernated.", v->path);
	if (!rw && n && n->logfile == NTFS_LOGFILE_UNCLEAN)
		job_plan_warn(job, "The journal of %s holds changes not yet written: the newest "
			      "changes may be missing from what you see.", v->path);
	if (rw && v->disk->readonly)
		job_plan_warn(job, "The kernel marks %s read-only: the mount may end up read-only.",
			      v->disk->path);
	if (job->opts.discard_hibernation && n && n->hibernated != TRI_YES &&
	    n->logfile != NTFS_LOGFILE_FAST_RESTART)
		job_plan_warn(job, "%s is neither hibernated nor shut down with Fast Startup: "
			      "there is no session to discard.", v->path);

	if (job->opts.discard_hibernation && n &&
	    (n->hibernated == TRI_YES || n->logfile == NTFS_LOGFILE_FAST_RESTART))
		job->plan.loss = xasprintf(
			"The hibernated Windows session on %s and all unsaved work in it: Windows "
			"will start afresh instead of resuming%s.", v->path,
			mp->discard_journal ? ", and the file system changes it kept cached for "
					      "Fast Startup are dropped (chkdsk runs at its next start)"
					    : "");
	job->plan.writes = rw;
	job->plan.confirm = rw;
	job->plan.confirm_word = xstrdup(vol_name(v));
}

/* The ID of the mount that name (or, "", fd itself) is on; false when it cannot be read. */
static bool mnt_id_of(int fd, const char *name, uint64_t *id)
{
	struct statx sx;

	if (statx(fd, name, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_STATX_DONT_SYNC |
		  (*name ? 0 : AT_EMPTY_PATH), STATX_MNT_ID, &sx) < 0 ||
	    !(sx.stx_mask & STATX_MNT_ID))
		return false;
	*id = sx.stx_mnt_id;
	return true;
}

/* "/proc/self/fd/N": the directory fd holds, as a path that no link can divert. */
static void fd_path(int fd, char *buf, size_t size)
{
	snprintf(buf, size, "/proc/self/fd/%d", fd);
}

/* The last part of the mount point's path: its name in the directory that holds it. */
static const char *dir_name(const struct mount_priv *mp)
{
	return strrchr(mp->dir, '/') + 1;
}

/*
 * MOUNT_BASE (held by fd) made root's alone, mode 0700: no other user may
 * even list what is mounted beneath it. An older winrescue made it 0755:
 * corrected, and said. Not root's: refused.
 */
static int base_private(struct job *job, int fd)
{
	struct stat st;
	char proc[64];

	if (fstat(fd, &st) < 0)
		return job_result(job, ACT_FAILED, "mkdir-failed", NULL, "%s cannot be examined: %s.",
				  MOUNT_BASE, strerror(errno));
	if (st.st_uid != 0)
		return job_result(job, ACT_REFUSED, "mountpoint-unsafe",
				  "Give it to root (chown root:root " MOUNT_BASE "), or remove it, "
				  "then try again.",
				  "Refused: %s belongs to uid %u, not to root: its owner could reach "
				  "every volume mounted beneath it.", MOUNT_BASE, (unsigned)st.st_uid);
	if ((st.st_mode & 07777) == 0700)
		return ACT_OK;
	fd_path(fd, proc, sizeof(proc));
	if (chmod(proc, 0700) < 0)
		return job_result(job, ACT_FAILED, "mkdir-failed", NULL,
				  "%s is mode %04o, open to other users, and cannot be made 0700: %s.",
				  MOUNT_BASE, (unsigned)(st.st_mode & 07777), strerror(errno));
	job_warn(job, "%s was mode %04o, open to other users; it is now 0700 (root's alone).",
		 MOUNT_BASE, (unsigned)(st.st_mode & 07777));
	return ACT_OK;
}

/* Whether the directory fd holds has nothing in it. */
static bool fd_dir_empty(int fd)
{
	int rfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = rfd >= 0 ? fdopendir(rfd) : NULL;

	if (!d && rfd >= 0)
		close(rfd);
	return dirp_empty(d);
}

/*
 * The mount point held by descriptor (mp->dirfd, and mp->parentfd the
 * directory that holds it), from "/" down, each part opened
 * O_PATH|O_NOFOLLOW|O_DIRECTORY and made where it is missing (the last
 * 0700): the mount goes on this directory, whatever is put in its place by
 * name meanwhile. The directory that holds it must be root's and closed to
 * others; MOUNT_BASE on the way is made root's alone. ACT_OK, or the result.
 */
static int mountdir_hold(struct job *job, struct mount_priv *mp, struct mount_record *rec)
{
	char *copy = xstrdup(mp->dir), *save = NULL, *part, *next;
	size_t len = 0;
	int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC), rc = ACT_OK;
	uint64_t pid, did;

	for (part = strtok_r(copy, "/", &save); part && fd >= 0 && rc == ACT_OK; part = next) {
		bool last, base;
		const char *why;
		struct stat st;
		int nfd;

		next = strtok_r(NULL, "/", &save);
		last = !next;
		len += 1 + strlen(part);
		base = len == strlen(MOUNT_BASE) && strncmp(mp->dir, MOUNT_BASE, len) == 0;
		if (last && (fstat(fd, &st) < 0 || (why = dir_unsafe(&st)))) {
			rc = job_result(job, ACT_REFUSED, "mountpoint-unsafe",
					"Choose a mount point in a directory only root can write to, "
					"such as /mnt/NAME.",
					"Refused: the mount point %s lies in %.*s, which %s: another user "
					"could put a link in its place while it is mounted.", mp->dir,
					(int)(len - strlen(part) - 1 ? len - strlen(part) - 1 : 1),
					mp->dir, why ? why : "cannot be examined");
			break;
		}
		nfd = openat(fd, part, O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
		if (nfd < 0 && errno == ENOENT) {
			if (mkdirat(fd, part, last || base ? 0700 : 0755) == 0 && last)
				rec->created_dir = true;
			nfd = openat(fd, part, O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
		}
		struct stat lst;
		if (nfd < 0 && (errno == ELOOP || errno == ENOTDIR) &&
		    fstatat(fd, part, &lst, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(lst.st_mode)) {
			rc = job_result(job, ACT_REFUSED, "mountpoint-unsafe",
					"Give the mount point as a path without links (the directory "
					"the link leads to, if that is the one meant).",
					"Refused: the mount point %s goes through %.*s, a symbolic link: "
					"winrescue does not follow links to a mount point.", mp->dir,
					(int)len, mp->dir);
			break;
		}
		if (nfd < 0) {
			int e = errno;
			rc = job_result(job, e == ELOOP || e == ENOTDIR ? ACT_REFUSED : ACT_FAILED,
					e == ELOOP || e == ENOTDIR ? "mountpoint-changed" : "mkdir-failed",
					"Look at what stands there now; nothing was mounted.",
					"The mount point %s cannot be used: %.*s %s.", mp->dir, (int)len,
					mp->dir, e == ELOOP || e == ENOTDIR
					? "is not a directory"
					: strerror(e));
			break;
		}
		if (base && (rc = base_private(job, nfd)) != ACT_OK) {
			close(nfd);
			break;
		}
		if (last) {
			mp->parentfd = fd;
			mp->dirfd = nfd;
			fd = -1;
		} else {
			close(fd);
			fd = nfd;
		}
	}
	if (fd >= 0)
		close(fd);
	free(copy);
	if (rc != ACT_OK || mp->dirfd < 0)
		return rc != ACT_OK ? rc
				    : job_result(job, ACT_FAILED, "mkdir-failed", NULL,
						 "The mount point %s cannot be opened: %s.", mp->dir,
						 strerror(errno));
	/* what was checked by name, again on what is held */
	if (mnt_id_of(mp->dirfd, "", &did) && mnt_id_of(mp->parentfd, "", &pid) && did != pid)
		return job_result(job, ACT_REFUSED, "mountpoint-busy",
				  "Choose another mount point with --at.",
				  "Refused: something is already mounted at %s.", mp->dir);
	if (!fd_dir_empty(mp->dirfd))
		return job_result(job, ACT_REFUSED, "mountpoint-not-empty",
				  "Choose another mount point with --at, or empty it.",
				  "Refused: %s is not empty: mounting there would hide its files.",
				  mp->dir);
	return ACT_OK;
}

/* The mount point winrescue made, removed by its name in the directory held (never through a link). */
static void mountdir_drop(struct mount_priv *mp, struct mount_record *rec)
{
	if (rec->created_dir && mp->parentfd >= 0)
		unlinkat(mp->parentfd, dir_name(mp), AT_REMOVEDIR);
	rec->created_dir = false;
}

/*
 * Undoes a mount made on the directory held (the read-back found it
 * wrong): unmounted through the descriptor, never by a name that may lead
 * elsewhere now. NULL when done, else why not (malloc'ed).
 */
static char *mount_undo(struct job *job, const struct vol_ref *v, struct mount_priv *mp)
{
	char proc[64];

	fd_path(mp->dirfd, proc, sizeof(proc));
	if (umount2(proc, 0) < 0 && errno != EINVAL && umount2(proc, MNT_DETACH) < 0)
		return xstrdup(strerror(errno));	/* EINVAL: nothing is mounted there */
	if (mp->m.driver == DRV_NTFS_3G)
		wait_released(job, v->path);
	return NULL;
}

static int do_mount(struct job *job, const struct vol_ref *v, struct mount_priv *mp, char **tool)
{
	char at[64];

	/*
	 * Through the descriptor: /proc/<winrescue>/fd/N leads to the directory
	 * held, whatever has its name now. ntfs-3g (FUSE) mounts on that path
	 * while winrescue waits for it, without inheriting the descriptor (its
	 * daemon would keep the directory beneath the mount open); libmount and
	 * the kernel take the same path, uncanonicalised.
	 */
	snprintf(at, sizeof(at), "/proc/%d/fd/%d", (int)getpid(), mp->dirfd);
	if (mp->m.driver == DRV_NTFS_3G) {
		char *argv[] = { mp->ntfs_3g, "-o", mp->m.options, (char *)v->path, at, NULL };
		int st = job_spawn_captured(job, argv, tool);
		if (st < 0)
			return job_result(job, ACT_FAILED, "mount-failed", "Reinstall ntfs-3g.",
					  "%s cannot be started: %s.", mp->ntfs_3g, strerror(-st));
		if (st != 0) {
			const char *why = ntfs_3g_reason(st);
			/* what to do instead is the volume's next step, as list says it */
			char *next = verdict_next(job->inv, v, "Nothing was mounted; 'winrescue list' "
						  "shows the volume's state.");
			int rc = job_result(job, ACT_FAILED, "mount-failed", next,
					    "ntfs-3g could not mount %s: %s.", v->path,
					    why ? why : "see tool_message in --json");
			free(next);
			return rc;
		}
		return ACT_OK;
	}

	struct libmnt_context *cxt = mnt_new_context();
	struct redirect r;
	int rc, err;

	mnt_context_set_source(cxt, v->path);
	mnt_context_set_target(cxt, at);
	mnt_context_disable_canonicalize(cxt, 1);	/* the path stays the descriptor's */
	mnt_context_set_fstype(cxt, mp->m.fstype);
	mnt_context_set_options(cxt, mp->m.options);
	mnt_context_set_optsmode(cxt, MNT_OMODE_IGNORE);	/* fstab has no say */
	redirect_begin(&r);
	rc = mnt_context_mount(cxt);
	*tool = redirect_end(&r);
	if (rc != 0) {
		char buf[512] = "";
		err = mnt_context_syscall_called(cxt) ? mnt_context_get_syscall_errno(cxt) : 0;
		mnt_context_get_excode(cxt, rc, buf, sizeof(buf));
		if (*buf && !*tool)
			*tool = xstrdup(buf);
		mnt_free_context(cxt);
		return job_result(job, ACT_FAILED, "mount-failed",
				  err == ENODEV ? "Load its driver (modprobe) or mount it elsewhere."
						: "Nothing was mounted; 'dmesg' may say more.",
				  "The kernel could not mount %s (%s): %s.", v->path, mp->m.name,
				  err == ENODEV ? "it has no driver for this file system"
				  : err == EINVAL ? "it refused the file system or an option"
				  : err == EROFS ? "the device is read-only"
				  : err ? strerror(err) : "see tool_message in --json");
	}
	mnt_free_context(cxt);
	return ACT_OK;
}

static int mount_run(struct job *job)
{
	const struct vol_ref *v = &job->targets[0];
	struct mount_priv *mp = job->priv;
	static const struct probe_ctx here = { 0 };
	struct mount_record *rec;
	struct mount_info mi;
	char *tool = NULL;
	uint64_t at, parent;
	bool there;
	int rc;

	rec = job_add_mount(job);
	rec->device = xstrdup(v->path);
	rec->label = xstrdup(vol_label(v));
	rec->driver = xstrdup(mp->m.name);
	rec->rw_requested = job->opts.rw ? TRI_YES : TRI_NO;
	if (!mp->dir_exists && !job_step(job, "Creating %s", mp->dir))
		return job_result(job, ACT_REFUSED, "cancelled", NULL, "Cancelled; nothing was done.");
	if ((rc = mountdir_hold(job, mp, rec)) != ACT_OK) {
		mountdir_drop(mp, rec);
		return rc;
	}
	if (mp->discard_journal) {
		if (!job_step(job, "Emptying the journal of %s", v->path)) {
			mountdir_drop(mp, rec);
			return job_result(job, ACT_REFUSED, "cancelled", NULL,
					  "Cancelled; nothing on %s was changed.", v->path);
		}
		if (discard_journal(job, v->path) != ACT_OK) {
			mountdir_drop(mp, rec);
			return job->res.status;
		}
	}
	/* once the journal is emptied, a cancel would leave the discard half done */
	if (!job_step(job, "Mounting %s at %s (%s)", v->path, mp->dir, mp->m.name) &&
	    !mp->discard_journal) {
		mountdir_drop(mp, rec);
		return job_result(job, ACT_REFUSED, "cancelled", NULL, "Cancelled before mounting.");
	}
	rc = do_mount(job, v, mp, &tool);
	free(job->res.tool_message);
	job->res.tool_message = tool;
	if (rc != ACT_OK) {
		mountdir_drop(mp, rec);
		return rc;
	}
	job_step(job, "Reading back how %s is mounted", v->path);
	/* the name must lead to the mount made on the directory held */
	there = mnt_id_of(mp->parentfd, dir_name(mp), &at) && mnt_id_of(mp->parentfd, "", &parent) &&
		at != parent;
	if (!there || !probes_mount_at(&here, mp->dir, &mi)) {
		char *undo = mount_undo(job, v, mp), *lost = NULL, proc[64], held[PATH_MAX];
		ssize_t hl;

		fd_path(mp->dirfd, proc, sizeof(proc));
		hl = readlink(proc, held, sizeof(held) - 1);
		held[hl > 0 ? hl : 0] = '\0';
		if (undo)
			lost = xasprintf("; that mount cannot be undone (%s): unmount it by hand "
					 "(umount '%s')", undo, held);
		else
			mountdir_drop(mp, rec);
		if (!there)
			rc = job_result(job, ACT_FAILED, "mountpoint-changed",
					"Look at what stands at that place now and who put it there; "
					"then mount again.",
					"%s was mounted on the directory that stood at %s, but that name "
					"no longer leads there (it was replaced while mounting)%s.",
					v->path, mp->dir, lost ? lost : "; the mount was undone: nothing "
					"is mounted");
		else
			rc = job_result(job, ACT_FAILED, "mount-vanished", "Look at 'dmesg' and try again.",
					"%s said it mounted %s, but mountinfo shows nothing at %s%s.",
					mp->m.name, v->path, mp->dir, lost ? lost : "");
		rec->mounted = undo != NULL;
		free(undo);
		free(lost);
		return rc;
	}
	rec->mountpoint = xstrdup(mp->dir);
	rec->mounted = true;
	rec->by_winrescue = TRI_YES;
	/* which mount this is, so that umount all knows it from one made by hand later */
	mount_id_at(mp->dir, &rec->mount_id, &rec->mount_id_unique);
	rec->boot_id = mount_boot_id();	/* always: which boot a mount belongs to */
	rec->rw = mi.rw;
	rec->fstype = xstrdup(mi.fstype);
	mount_info_free(&mi);
	if (job->opts.rw && !rec->rw)
		return job_result(job, ACT_FAILED, "read-only-fallback",
				  "Copy the data off read-only, or find out why the device is "
				  "read-only (blockdev --getro), unmount it and try again.",
				  "%s was mounted read-only at %s, not read-write as asked: %s could "
				  "not open it for writing.", v->path, mp->dir, mp->m.name);
	if (job->opts.discard_hibernation)
		job_warn(job, "The hibernated Windows session on %s was discarded.", v->path);
	if (rec->rw && v->vol->ntfs && v->vol->ntfs->dirty == TRI_YES)
		job_warn(job, "%s is marked dirty: Windows will check it (chkdsk) at its next start.",
			 v->path);
	return job_result(job, ACT_OK, "mounted", NULL, "Mounted %s %s at %s (%s).", v->path,
			  rec->rw ? "read-write" : "read-only", mp->dir, mp->m.name);
}

static const struct action_variant mount_variants[] = {
	{ "Read-only", "nothing on the volume changes (the default)", false, false, false, false },
	{ "Read-write", "files can be changed, with names Windows can open (windows_names)",
	  true, false, false, false },
	{ "Read-write, discarding the hibernated Windows session",
	  "LOSS: the hibernated session and all its unsaved work are lost; Windows starts "
	  "afresh instead of resuming", true, true, false, false },
	{ NULL, NULL, false, false, false, false },
};

const struct action action_mount = {
	.name = "mount",
	.label = "Mount",
	.key = 'm',
	.risk = RISK_MOUNTS,
	.variants = mount_variants,
	.applies = mount_applies,
	.preflight = mount_preflight,
	.plan = mount_plan,
	.run = mount_run,
	.free_priv = mount_priv_free,
};

/* ---- umount ---- */

static char *umount_applies(const struct vol_ref *v, const struct inventory *inv,
			    const struct action_opts *o)
{
	(void)inv;
	(void)o;
	if (!v->vol->use.nmountpoints)
		return xasprintf("%s is not mounted.", v->path ? v->path : "It");
	if (v->disk->role == DISK_ROLE_RESCUE)
		return xasprintf("%s is mounted by the rescue system itself; winrescue never "
				 "unmounts it.", v->path);
	return NULL;
}

/*
 * umount's own state: which mounts of the targets to take down (all of
 * them, or only the named mount point, or, for "all", only those winrescue
 * made), and those "all" leaves mounted.
 */
struct umount_priv {
	char **dirs;		/* only these mount points; NULL: every mount of the targets */
	size_t ndirs;
	struct vol_ref *left;	/* all: mounted from the disks, not by winrescue */
	char **left_dirs;
	size_t nleft;
	char *log_error;	/* all: the audit log could not be read */
};

static void umount_priv_free(void *p)
{
	struct umount_priv *u = p;

	strv_free(u->dirs, u->ndirs);
	free(u->left);
	strv_free(u->left_dirs, u->nleft);
	free(u->log_error);
	free(u);
}

static struct umount_priv *umount_priv(struct job *job)
{
	if (!job->priv)
		job->priv = xcalloc(1, sizeof(struct umount_priv));
	return job->priv;
}

static void add_target_once(struct job *job, const struct vol_ref *v)
{
	for (size_t i = 0; i < job->ntargets; i++)
		if (job->targets[i].vol == v->vol)
			return;
	job->targets = xrealloc(job->targets, job->ntargets + 1, sizeof(*job->targets));
	job->targets[job->ntargets++] = *v;
}

/*
 * "all": what winrescue mounted (the audit log says so: mount_log.c),
 * unless --everything; whatever else is mounted from the disks is left,
 * and named.
 */
static void umount_select_all(struct job *job)
{
	struct umount_priv *u = umount_priv(job);
	struct our_mount *ours = NULL;
	struct vol_ref *all;
	size_t n = target_mounted(job->inv, &all), nours = 0;

	if (job->opts.everything) {
		job->targets = all;
		job->ntargets = n;
		return;
	}
	nours = mount_log_ours(job->inv, job->log_path, &ours, &u->log_error);
	u->dirs = xcalloc(1, sizeof(*u->dirs));	/* none but those below */
	for (size_t i = 0; i < n; i++) {
		const struct usage *us = &all[i].vol->use;
		for (size_t k = 0; k < us->nmountpoints; k++) {
			if (mount_log_has(ours, nours, all[i].path, us->mountpoints[k])) {
				add_target_once(job, &all[i]);
				strv_add(&u->dirs, &u->ndirs, us->mountpoints[k]);
				continue;
			}
			u->left = xrealloc(u->left, u->nleft + 1, sizeof(*u->left));
			u->left[u->nleft] = all[i];
			strv_add(&u->left_dirs, &u->nleft, us->mountpoints[k]);
		}
	}
	our_mounts_free(ours, nours);
	free(all);
}

/* Why a mount "all" leaves, and how to take it down, in words. */
static char *left_words(const struct job *job, size_t i)
{
	const struct umount_priv *u = job->priv;
	char *s, *why = u->log_error ? xstrdup(u->log_error)
				     : xasprintf("the audit log %s records no mount of winrescue's "
						 "that is still mounted there", job->log_path);

	s = xasprintf("Left mounted: %s at %s: winrescue did not mount it (%s); 'winrescue "
		      "umount %s' unmounts it%s.", u->left[i].path, u->left_dirs[i], why,
		      u->left_dirs[i], i + 1 == u->nleft
		      ? ", 'winrescue umount --everything all' everything mounted from the disks "
			"being rescued" : "");
	free(why);
	return s;
}

/* A mount point named (umount DIR): only that mount of the volume goes. */
static void umount_only_named(struct job *job)
{
	char real[PATH_MAX];
	const char *dir;

	if (job->ntargets != 1 || !job->spec || job->spec[0] != '/' ||
	    str_starts_with(job->spec, "/dev/"))
		return;
	dir = realpath(job->spec, real) ? real : job->spec;
	if (strv_contains(job->targets[0].vol->use.mountpoints,
			  job->targets[0].vol->use.nmountpoints, dir)) {
		struct umount_priv *u = umount_priv(job);
		strv_add(&u->dirs, &u->ndirs, dir);
	}
}

/* Whether this mount point of the targets is one to take down. */
static bool umount_takes(const struct job *job, const char *dir)
{
	const struct umount_priv *u = job->priv;

	return !u || !u->dirs || strv_contains(u->dirs, u->ndirs, dir);
}

static int umount_preflight(struct job *job)
{
	static const struct probe_ctx here = { 0 };

	umount_only_named(job);
	if (job->ntargets == 0)
		return ACT_OK;	/* "all" with nothing mounted: nothing to do */
	for (size_t t = 0; t < job->ntargets; t++) {
		const struct vol_ref *v = &job->targets[t];
		const struct usage *u = &v->vol->use;

		if (v->disk->role == DISK_ROLE_RESCUE)
			return job_result(job, ACT_REFUSED, "rescue-mount",
					  "Unmount only what is mounted from the Windows disks.",
					  "Refused: %s is mounted at %s by the rescue system itself (Disk "
					  "%zu, %s); winrescue never unmounts it.", v->path,
					  u->nmountpoints ? u->mountpoints[0] : "-", v->disk->number,
					  v->disk->role_reason ? v->disk->role_reason : "the rescue disk");
		if (!u->nmountpoints)
			return job_result(job, ACT_FAILED, "not-mounted", NULL, "%s is not mounted.",
					  v->path);
		for (size_t k = 0; k < u->nmountpoints; k++) {
			struct proc_use *pu;
			if (!umount_takes(job, u->mountpoints[k]))
				continue;
			size_t n = probes_users_of(&here, u->mountpoints[k], &pu);
			if (n) {
				char *who = NULL;
				for (size_t i = 0; i < n && i < 4; i++) {
					char *s = xasprintf("%s%s%s (pid %d: %s)", who ? who : "",
							    who ? ", " : "", pu[i].comm, pu[i].pid, pu[i].how);
					free(who);
					who = s;
				}
				int rc = job_result(job, ACT_REFUSED, "busy",
						    "Close those programs or leave the directory (cd /), "
						    "then try again.",
						    "Refused: %s at %s is in use by %s%s.", v->path,
						    u->mountpoints[k], who, n > 4 ? " and more" : "");
				free(who);
				proc_use_free(pu, n);
				return rc;
			}
		}
		if (geteuid() != 0)
			return job_result(job, ACT_FAILED, "needs-root",
					  "Run it as root (sudo winrescue ...).",
					  "Unmounting %s needs root.", v->path);
	}
	return ACT_OK;
}

static bool is_fuse(const char *fstype)
{
	return fstype && str_starts_with(fstype, "fuse");	/* fuseblk, fuse.ntfs-3g... */
}

/* One mount to take down: which volume, where. */
struct umount_item {
	const struct vol_ref *v;
	const char *dir;
};

static int deeper_first(const void *a, const void *b)
{
	size_t la = strlen(((const struct umount_item *)a)->dir);
	size_t lb = strlen(((const struct umount_item *)b)->dir);

	return la < lb ? 1 : la > lb ? -1 : 0;
}

/* Every mount of the targets, the deepest first: a mount inside another goes first. */
static size_t umount_items(const struct job *job, struct umount_item **out)
{
	size_t n = 0;

	*out = NULL;
	for (size_t t = 0; t < job->ntargets; t++) {
		const struct usage *u = &job->targets[t].vol->use;
		for (size_t k = 0; k < u->nmountpoints; k++) {
			if (!umount_takes(job, u->mountpoints[k]))
				continue;
			*out = xrealloc(*out, n + 1, sizeof(**out));
			(*out)[n++] = (struct umount_item){ &job->targets[t], u->mountpoints[k] };
		}
	}
	if (n)
		qsort(*out, n, sizeof(**out), deeper_first);
	return n;
}

static bool removes_dir(const char *dir)
{
	return str_starts_with(dir, MOUNT_BASE "/");
}

static void umount_plan(struct job *job)
{
	struct umount_item *it;
	size_t n = umount_items(job, &it);

	for (size_t i = 0; i < n; i++) {
		job_plan_step(job, "Flush and unmount %s from %s", it[i].v->path, it[i].dir);
		if (removes_dir(it[i].dir))
			job_plan_step(job, "Remove the empty directory %s", it[i].dir);
	}
	if (!job->ntargets)
		job_plan_step(job, "%s", job->priv && ((struct umount_priv *)job->priv)->nleft
			      ? "Nothing winrescue mounted is mounted"
			      : "Nothing is mounted from the disks being rescued");
	for (size_t i = 0; job->priv && i < ((struct umount_priv *)job->priv)->nleft; i++) {
		char *w = left_words(job, i);
		job_plan_warn(job, "%s", w);
		free(w);
	}
	free(it);
}

/* A FUSE daemon writes its last changes after the unmount: wait until it closed dev. */
static void wait_released(struct job *job, const char *dev)
{
	for (int i = 0; i < 200; i++) {
		int fd = open(dev, O_RDONLY | O_EXCL | O_CLOEXEC);
		if (fd >= 0) {
			close(fd);
			return;
		}
		if (errno != EBUSY)
			return;
		nanosleep(&(struct timespec){ .tv_nsec = 50 * 1000000L }, NULL);
		job_tick(job, 0, 0);
	}
	job_warn(job, "%s is still held open 10 s after unmounting; wait before detaching it.", dev);
}

static int umount_one(struct job *job, const struct vol_ref *v, const char *dir,
		      enum tristate ours)
{
	static const struct probe_ctx here = { 0 };
	struct mount_record *rec = job_add_mount(job);
	struct libmnt_context *cxt;
	struct mount_info mi;
	struct redirect r;
	char *tool;
	int rc, fd;

	rec->device = xstrdup(v->path);
	rec->label = xstrdup(vol_label(v));
	rec->mountpoint = xstrdup(dir);
	rec->mounted = true;
	rec->by_winrescue = ours;
	if (probes_mount_at(&here, dir, &mi)) {
		rec->fstype = xstrdup(mi.fstype);
		rec->rw = mi.rw;
		rec->driver = xstrdup(is_fuse(mi.fstype) ? "ntfs-3g" : mi.fstype);
		mount_info_free(&mi);
	}
	job_step(job, "Flushing and unmounting %s", dir);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		syncfs(fd);
		close(fd);
	}
	cxt = mnt_new_context();
	mnt_context_set_target(cxt, dir);
	mnt_context_disable_helpers(cxt, 1);
	redirect_begin(&r);
	rc = mnt_context_umount(cxt);
	tool = redirect_end(&r);
	if (rc != 0) {
		int err = mnt_context_syscall_called(cxt) ? mnt_context_get_syscall_errno(cxt) : 0;
		mnt_free_context(cxt);
		free(job->res.tool_message);
		job->res.tool_message = tool;
		return job_result(job, ACT_FAILED, err == EBUSY ? "busy" : "umount-failed",
				  err == EBUSY ? "Close the programs that use it, then try again." : NULL,
				  "%s cannot be unmounted from %s: %s.", v->path, dir,
				  err == EBUSY ? "it is in use" : err ? strerror(err) : "unknown error");
	}
	free(tool);
	mnt_free_context(cxt);
	rec->mounted = false;
	if (is_fuse(rec->fstype))
		wait_released(job, v->path);
	if (removes_dir(dir)) {
		job_step(job, "Removing %s", dir);
		if (rmdir(dir) < 0 && errno != ENOENT && errno != ENOTEMPTY && errno != EBUSY)
			job_warn(job, "The directory %s could not be removed: %s.", dir,
				 strerror(errno));
	}
	return ACT_OK;
}

/* What "all" left mounted: in the result's mounts (mounted, not winrescue's) and in words. */
static void report_left(struct job *job)
{
	const struct umount_priv *u = job->priv;

	for (size_t i = 0; u && i < u->nleft; i++) {
		struct mount_record *rec = job_add_mount(job);
		char *w = left_words(job, i);
		rec->device = xstrdup(u->left[i].path);
		rec->label = xstrdup(vol_label(&u->left[i]));
		rec->mountpoint = xstrdup(u->left_dirs[i]);
		rec->mounted = true;
		rec->rw = u->left[i].vol->use.mounted_rw;
		rec->by_winrescue = TRI_NO;
		job_warn(job, "%s", w);
		free(w);
	}
}

static int umount_run(struct job *job)
{
	const struct umount_priv *u = job->priv;
	bool all = u && u->dirs && strcmp(job->spec, "all") == 0;
	struct umount_item *it;
	size_t n = umount_items(job, &it), done = 0, left = u ? u->nleft : 0;
	int rc;

	if (!job->ntargets) {
		free(it);
		report_left(job);
		if (left)
			return job_result(job, ACT_OK, "nothing-mounted", NULL,
					  "Nothing winrescue mounted is mounted; %zu mount%s it did not "
					  "make %s left as %s.", left, left == 1 ? "" : "s",
					  left == 1 ? "is" : "are", left == 1 ? "it is" : "they are");
		return job_result(job, ACT_OK, "nothing-mounted", NULL,
				  "Nothing is mounted from the disks being rescued.");
	}
	for (size_t i = 0; i < n; i++) {
		if (job_cancelled(job)) {
			free(it);
			return job_result(job, ACT_REFUSED, "cancelled", NULL,
					  "Cancelled after unmounting %zu of the %zu mounts.", done, n);
		}
		/* "all" took only winrescue's own; a volume named may be anyone's */
		if (umount_one(job, it[i].v, it[i].dir, all ? TRI_YES : TRI_UNKNOWN) != ACT_OK) {
			free(it);
			return job->res.status;
		}
		done++;
	}
	free(it);
	report_left(job);
	if (job->ntargets == 1 && done == 1)
		rc = job_result(job, ACT_OK, "unmounted", NULL, "Unmounted %s from %s%s.",
				job->targets[0].path, job->res.mounts[0].mountpoint,
				left ? "; what winrescue did not mount is left as it is" : "");
	else
		rc = job_result(job, ACT_OK, "unmounted", NULL, "Unmounted %zu mount%s of %zu "
				"volume%s%s.", done, done == 1 ? "" : "s", job->ntargets,
				job->ntargets == 1 ? "" : "s",
				left ? "; what winrescue did not mount is left as it is" : "");
	return rc;
}

const struct action action_umount = {
	.name = "umount",
	.label = "Unmount",
	.key = 'u',
	.risk = RISK_MOUNTS,
	.takes_all = true,
	.applies = umount_applies,
	.select_all = umount_select_all,
	.preflight = umount_preflight,
	.plan = umount_plan,
	.run = umount_run,
	.free_priv = umount_priv_free,
};
