/*
 * target.c - which volume a name means, in one snapshot: device paths and
 * kernel names, disk:N/part:M, "system", mount points and labels. A name
 * that fits several volumes is never guessed: the caller gets the
 * candidates to show.
 */
#include "actions/action.h"
#include "lib/util.h"

#include "probes/probes.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/loop.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

struct vol_ref target_ref(const struct inventory *inv, size_t di, const struct partition *p)
{
	const struct disk *d = &inv->disks[di];
	struct vol_ref v = {
		.disk = d,
		.disk_index = di,
		.part = p,
		.vol = p ? &p->vol : &d->vol,
		.path = p ? p->path : d->path,
		.major = p ? p->major : d->major,
		.minor = p ? p->minor : d->minor,
		.role = p ? p->role : d->vol_role,
	};
	return v;
}

/* A disk without partitions is a volume itself: its file system, or none. */
static bool disk_has_volume(const struct disk *d)
{
	return !d->nparts;
}

size_t target_all(const struct inventory *inv, struct vol_ref **out)
{
	size_t n = 0;

	*out = NULL;
	for (size_t i = 0; i < inv->ndisks; i++) {
		const struct disk *d = &inv->disks[i];
		if (disk_has_volume(d)) {
			*out = xrealloc(*out, n + 1, sizeof(**out));
			(*out)[n++] = target_ref(inv, i, NULL);
		}
		for (size_t j = 0; j < d->nparts; j++) {
			*out = xrealloc(*out, n + 1, sizeof(**out));
			(*out)[n++] = target_ref(inv, i, &d->parts[j]);
		}
	}
	return n;
}

char *target_describe(const struct vol_ref *v)
{
	char size[32], *where, *s, *safe;
	const char *label = vol_label(v);

	size_human(v->part ? v->part->size : v->disk->size, size, sizeof(size));
	where = v->part ? xasprintf("Disk %zu partition %zu", v->disk->number, v->part->number)
			: xasprintf("Disk %zu", v->disk->number);
	if (v->path)
		s = xasprintf("%s (%s, %s%s%s%s)", v->path, where, size, label ? ", \"" : "",
			      label ? label : "", label ? "\"" : "");
	else
		s = xasprintf("%s (%s%s%s%s)", where, size, label ? ", \"" : "", label ? label : "",
			      label ? "\"" : "");
	free(where);
	safe = sanitize_terminal(s);
	free(s);
	return safe;
}

char *target_identity(const struct vol_ref *v)
{
	const struct disk *d = v->disk;
	const char *label = vol_label(v);
	char vs[32], ds[32], *s, *safe, *what;
	const char *fs = v->vol->ntfs ? "NTFS" : v->vol->fstype;

	size_human(vol_size(v), vs, sizeof(vs));
	size_human(d->size, ds, sizeof(ds));
	what = xasprintf("%s%s%s%s%s%s", vs, fs ? " " : "", fs ? fs : "", label ? " \"" : "",
			 label ? label : "", label ? "\"" : "");
	if (d->number == SIZE_MAX && v->part)
		s = xasprintf("partition %zu of the image file %s: %s", v->part->number, d->path, what);
	else if (d->number == SIZE_MAX)
		s = xasprintf("the image file %s: %s", d->path, what);
	else if (v->part)
		s = xasprintf("Disk %zu partition %zu: %s, %s, on %s (%s%s, %s)", d->number,
			      v->part->number, v->path ? v->path : "no device node", what, d->path,
			      d->serial ? "serial " : "no serial", d->serial ? d->serial : "", ds);
	else
		s = xasprintf("Disk %zu: %s, %s (%s%s)", d->number, d->path, what,
			      d->serial ? "serial " : "no serial", d->serial ? d->serial : "");
	free(what);
	safe = sanitize_terminal(s);
	free(s);
	return safe;
}

bool target_holding_dir(const struct inventory *inv, const char *dir, struct vol_ref *out)
{
	struct vol_ref *all;
	size_t n = target_all(inv, &all), bestlen = 0;
	bool found = false;

	for (size_t i = 0; i < n; i++) {
		const struct usage *u = &all[i].vol->use;
		for (size_t k = 0; k < u->nmountpoints; k++) {
			const char *mp = u->mountpoints[k];
			size_t l = strlen(mp);
			bool in = strcmp(mp, "/") == 0 ||
				  (strncmp(dir, mp, l) == 0 && (dir[l] == '\0' || dir[l] == '/'));
			if (in && (!found || l > bestlen)) {
				*out = all[i];
				bestlen = l;
				found = true;
			}
		}
	}
	free(all);
	return found;
}

char *target_existing_ancestor(const char *path)
{
	char *probe = xstrdup(path), *slash, real[PATH_MAX];
	struct stat st;

	while (stat(probe, &st) < 0 && (slash = strrchr(probe, '/'))) {
		if (slash == probe) {
			probe[1] = '\0';
			break;
		}
		*slash = '\0';
	}
	if (realpath(probe, real)) {
		free(probe);
		return xstrdup(real);
	}
	return probe;
}

char *target_on_patient(const struct inventory *inv, const char *path)
{
	char *where = target_existing_ancestor(path), *s = NULL;
	struct vol_ref v;

	if (target_holding_dir(inv, where, &v) && v.disk->role != DISK_ROLE_RESCUE)
		s = xasprintf("inside %s, a volume of Disk %zu, which is not the rescue system's disk",
			      v.path ? v.path : v.disk->path, v.disk->number);
	free(where);
	return s;
}

size_t target_mounted(const struct inventory *inv, struct vol_ref **out)
{
	struct vol_ref *all;
	size_t n = target_all(inv, &all), k = 0;

	for (size_t i = 0; i < n; i++)
		if (all[i].vol->use.nmountpoints && all[i].disk->role != DISK_ROLE_RESCUE)
			all[k++] = all[i];
	*out = all;
	return k;
}

/* Collects what matched; one match is the answer. */
struct matches {
	struct vol_ref *v;
	size_t n;
};

static void match_add(struct matches *m, const struct vol_ref *v)
{
	m->v = xrealloc(m->v, m->n + 1, sizeof(*m->v));
	m->v[m->n++] = *v;
}

/* "disk:N/part:M" or "disk:N"; false when spec is not of that form. */
static bool parse_disk_part(const char *spec, size_t *disk, size_t *part, bool *has_part)
{
	char *end;
	unsigned long long n;

	if (strncmp(spec, "disk:", 5) != 0)
		return false;
	n = strtoull(spec + 5, &end, 10);
	if (end == spec + 5)
		return false;
	*disk = (size_t)n;
	*has_part = false;
	if (*end == '\0')
		return true;
	if (strncmp(end, "/part:", 6) != 0)
		return false;
	spec = end + 6;
	n = strtoull(spec, &end, 10);
	if (end == spec || *end != '\0')
		return false;
	*part = (size_t)n;
	*has_part = true;
	return true;
}

static int finish(struct matches *m, const char *spec, const char *what, struct vol_ref *out,
		  char **err, char ***cand, size_t *ncand)
{
	int rc = ACT_OK;

	if (m->n == 1) {
		*out = m->v[0];
	} else if (m->n == 0) {
		*err = xasprintf("no volume is named '%s'%s", spec, what ? what : "");
		rc = ACT_USAGE;
	} else {
		*err = xasprintf("'%s' is ambiguous: %zu volumes match", spec, m->n);
		for (size_t i = 0; i < m->n; i++) {
			char *d = target_describe(&m->v[i]);
			strv_add(cand, ncand, d);
			free(d);
		}
		rc = ACT_USAGE;
	}
	free(m->v);
	return rc;
}

static bool path_is_mountpoint_of(const struct volume *vol, const char *dir)
{
	return strv_contains(vol->use.mountpoints, vol->use.nmountpoints, dir);
}

char *target_partition_names(const struct disk *d)
{
	char *s = NULL;
	size_t shown = 0, named = 0;

	/* the kernel's own nodes (nvme0n1p1, loop0p1, sda1): a name is never made up */
	for (size_t k = 0; k < d->nparts; k++) {
		const struct partition *p = &d->parts[k];
		if (p->container || !p->path)
			continue;
		named++;
		if (shown < 4) {
			str_add_word(&s, p->path);
			shown++;
		}
	}
	char *out = xasprintf("%s%s%sdisk:%zu/part:M", s ? s : "", named > shown ? ", ..." : "",
			      s ? " or " : "", d->number);
	free(s);
	return out;
}

int target_resolve(const struct inventory *inv, const char *spec, struct vol_ref *out,
		   char **err, char ***cand, size_t *ncand)
{
	struct matches m = { 0 };
	struct vol_ref *all;
	size_t n = target_all(inv, &all), dn, pn;
	bool has_part;
	char real[PATH_MAX];

	*err = NULL;
	if (!spec || !*spec) {
		free(all);
		*err = xstrdup("no volume named");
		return ACT_USAGE;
	}
	if (strcmp(spec, "system") == 0) {
		for (size_t i = 0; i < n; i++)
			if (all[i].role == PART_ROLE_WINDOWS && all[i].disk->role == DISK_ROLE_SYSTEM)
				match_add(&m, &all[i]);
		free(all);
		return finish(&m, spec, " (no attached disk holds a Windows volume)", out, err,
			      cand, ncand);
	}
	if (parse_disk_part(spec, &dn, &pn, &has_part)) {
		for (size_t i = 0; i < n; i++)
			if (all[i].disk->number == dn &&
			    (has_part ? all[i].part && all[i].part->number == pn : !all[i].part))
				match_add(&m, &all[i]);
		for (size_t i = 0; !m.n && !has_part && i < inv->ndisks; i++)
			if (inv->disks[i].number == dn && inv->disks[i].nparts) {
				char *parts = target_partition_names(&inv->disks[i]);
				free(all);
				*err = xasprintf("Disk %zu has partitions: name one of them (%s)", dn,
						 parts);
				free(parts);
				return ACT_USAGE;
			}
		free(all);
		return finish(&m, spec, " ('winrescue list' numbers the disks and partitions)",
			      out, err, cand, ncand);
	}

	/* a device: /dev/NAME, NAME, or a link to it (/dev/disk/by-label/...) */
	const char *name = spec;
	if (str_starts_with(spec, "/dev/")) {
		name = spec + 5;
		if (realpath(spec, real) && str_starts_with(real, "/dev/"))
			name = real + 5;
	}
	for (size_t i = 0; i < inv->ndisks; i++) {
		const struct disk *d = &inv->disks[i];
		if (strcmp(d->name, name) == 0 && d->nparts) {
			char *parts = target_partition_names(d);
			free(all);
			*err = xasprintf("%s is a whole disk with partitions: name one of them (%s)",
					 d->path, parts);
			free(parts);
			return ACT_USAGE;
		}
	}
	for (size_t i = 0; i < n; i++) {
		const char *vn = all[i].part ? all[i].part->name : all[i].disk->name;
		if (vn && strcmp(vn, name) == 0)
			match_add(&m, &all[i]);
	}
	if (m.n || str_starts_with(spec, "/dev/")) {
		free(all);
		return finish(&m, spec, " (no such disk or partition)", out, err, cand, ncand);
	}

	/* a directory where a volume is mounted */
	if (spec[0] == '/') {
		const char *dir = realpath(spec, real) ? real : spec;
		for (size_t i = 0; i < n; i++)
			if (path_is_mountpoint_of(all[i].vol, dir))
				match_add(&m, &all[i]);
		free(all);
		return finish(&m, spec, " (nothing winrescue lists is mounted there)", out, err,
			      cand, ncand);
	}

	/* a label: as written, else ignoring case (Windows labels ignore case) */
	for (int pass = 0; pass < 2 && !m.n; pass++)
		for (size_t i = 0; i < n; i++) {
			const char *l = vol_label(&all[i]);
			if (l && (pass ? strcasecmp(l, spec) : strcmp(l, spec)) == 0)
				match_add(&m, &all[i]);
		}
	free(all);
	return finish(&m, spec, " (not a device, disk:N/part:M, 'system', a mount point or a label)",
		      out, err, cand, ncand);
}

bool target_device_at(const struct inventory *inv, const char *path, size_t *di,
		      const struct partition **part)
{
	for (size_t i = 0; path && i < inv->ndisks; i++) {
		const struct disk *d = &inv->disks[i];
		*part = NULL;
		if (d->path && strcmp(d->path, path) == 0) {
			*di = i;
			return true;
		}
		for (size_t k = 0; k < d->nparts; k++)
			if (d->parts[k].path && strcmp(d->parts[k].path, path) == 0) {
				*di = i;
				*part = &d->parts[k];
				return true;
			}
	}
	return false;
}

uint64_t vol_size(const struct vol_ref *v)
{
	return v->part ? v->part->size : v->disk->size;
}

bool volume_is_ntfs(const struct volume *v)
{
	return v->ntfs || (v->fstype && strcmp(v->fstype, "ntfs") == 0);
}

int job_refuse_unwritable(struct job *job, const struct vol_ref *v, const char *what)
{
	char *busy;
	int rc;

	if (v->disk->role == DISK_ROLE_RESCUE)
		return job_result(job, ACT_REFUSED, "rescue-disk", NULL,
				  "Refused: %s is on the rescue system's own disk; winrescue never "
				  "writes there.", v->path ? v->path : vol_name(v));
	if (!(busy = vol_busy(v)))
		return ACT_OK;
	/* a mount, of the volume or of a partition of the disk: winrescue umount ends it */
	bool mounted = v->vol->use.nmountpoints != 0;
	for (size_t i = 0; !v->part && i < v->disk->nparts; i++)
		mounted |= v->disk->parts[i].vol.use.nmountpoints != 0;
	rc = job_result(job, ACT_REFUSED, "in-use",
			mounted ? "Unmount it first (winrescue umount)." : "Stop what uses it first.",
			"Refused: %s; a volume in use cannot be %s.", busy, what);
	free(busy);
	return rc;
}

int target_resolve_disk(const struct inventory *inv, const char *spec, struct vol_ref *out,
			char **err)
{
	const char *name = spec;
	char real[PATH_MAX];
	size_t dn, pn;
	bool has_part;

	if (parse_disk_part(spec, &dn, &pn, &has_part) && !has_part) {
		for (size_t i = 0; i < inv->ndisks; i++)
			if (inv->disks[i].number == dn) {
				*out = target_ref(inv, i, NULL);
				return ACT_OK;
			}
	} else if (str_starts_with(spec, "/dev/")) {
		name = spec + 5;
		if (realpath(spec, real) && str_starts_with(real, "/dev/"))
			name = real + 5;
	}
	for (size_t i = 0; i < inv->ndisks; i++)
		if (strcmp(inv->disks[i].name, name) == 0) {
			*out = target_ref(inv, i, NULL);
			return ACT_OK;
		}
	for (size_t i = 0; i < inv->ndisks; i++)
		for (size_t k = 0; k < inv->disks[i].nparts; k++)
			if (inv->disks[i].parts[k].name && strcmp(inv->disks[i].parts[k].name, name) == 0) {
				*err = xasprintf("%s is a partition of %s: name the disk (%s or disk:%zu)",
						 spec, inv->disks[i].path, inv->disks[i].path,
						 inv->disks[i].number);
				return ACT_USAGE;
			}
	*err = xasprintf("no disk is named '%s' (a whole disk: /dev/sdb, sdb or disk:N, as "
			 "'winrescue list' numbers them)", spec);
	return ACT_USAGE;
}

char *vol_busy(const struct vol_ref *v)
{
	const struct usage *u = &v->vol->use;

	/* a whole disk with partitions is busy when any of them is */
	for (size_t i = 0; !v->part && i < v->disk->nparts; i++) {
		struct vol_ref p = { .disk = v->disk, .part = &v->disk->parts[i],
				     .vol = &v->disk->parts[i].vol, .path = v->disk->parts[i].path };
		char *why = p.path ? vol_busy(&p) : NULL;
		if (why)
			return why;
	}

	if (u->nmountpoints)
		return xasprintf("%s is already mounted at %s", v->path, u->mountpoints[0]);
	if (u->swap)
		return xasprintf("%s is in use as swap", v->path);
	if (u->nholders)
		return xasprintf("%s is in use by /dev/%s (device-mapper or RAID)", v->path,
				 u->holders[0]);
	return NULL;
}

/* The processes that hold the device open (procs.c, as fuser does), in words; NULL when none. */
static char *holders_of(const char *path)
{
	static const struct probe_ctx here = { 0 };
	struct proc_use *u;
	size_t n = probes_users_of(&here, path, &u);
	char *s = NULL;

	for (size_t i = 0; i < n && i < 4; i++) {
		if (u[i].pid == getpid())
			continue;
		char *w = xasprintf("%s%s%s (pid %d)", s ? s : "", s ? ", " : "", u[i].comm, u[i].pid);
		free(s);
		s = w;
	}
	proc_use_free(u, n);
	return s;
}

/* Whether the loop device at dev serves the file with status st: the kernel's word for it. */
static bool loop_serves(const char *dev, const struct stat *st)
{
	struct loop_info64 li;
	int fd = open(dev, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	bool yes;

	if (fd < 0)
		return false;
	yes = ioctl(fd, LOOP_GET_STATUS64, &li) == 0 && li.lo_device == (uint64_t)st->st_dev &&
	      li.lo_inode == (uint64_t)st->st_ino;
	close(fd);
	return yes;
}

const struct disk *target_loop_of_file(const struct inventory *inv, const struct stat *st,
				       size_t *di)
{
	for (size_t i = 0; S_ISREG(st->st_mode) && i < inv->ndisks; i++)
		if (inv->disks[i].loop_backing && inv->disks[i].path &&
		    loop_serves(inv->disks[i].path, st)) {
			*di = i;
			return &inv->disks[i];
		}
	return NULL;
}

char *target_file_attached(const struct stat *st)
{
	/* loop devices are virtual: all of them, whatever view of /sys/block this process has */
	DIR *d = S_ISREG(st->st_mode) ? opendir("/sys/devices/virtual/block") : NULL;
	struct dirent *de;
	char *found = NULL;

	while (d && !found && (de = readdir(d))) {
		char *bound = xasprintf("/sys/devices/virtual/block/%s/loop", de->d_name);
		char *dev = xasprintf("/dev/%s", de->d_name);
		/* a loop device serves a file while it has its loop/ attributes */
		if (str_starts_with(de->d_name, "loop") && access(bound, F_OK) == 0 &&
		    loop_serves(dev, st))
			found = dev;
		else
			free(dev);
		free(bound);
	}
	if (d)
		closedir(d);
	return found;
}

int vol_open_exclusive(const struct vol_ref *v, int flags, char **why, int *status)
{
	const char *path = v->file ? v->file : v->path;
	struct stat st;
	char *loop;
	int fd;

	if (stat(path, &st) == 0 && S_ISBLK(st.st_mode))
		fd = open(path, flags | O_EXCL | O_CLOEXEC);
	else
		fd = open(path, flags | O_CLOEXEC);
	/* an image attached since it was named: written only through its loop device */
	if (fd >= 0 && (flags & O_ACCMODE) != O_RDONLY && fstat(fd, &st) == 0 &&
	    (loop = target_file_attached(&st))) {
		close(fd);
		*status = ACT_REFUSED;
		*why = xasprintf("Refused: %s is attached as %s (losetup): writing to the file "
				 "behind the loop device's back could corrupt what is mounted from it; "
				 "name %s instead, or detach it (losetup -d %s).", path, loop, loop,
				 loop);
		free(loop);
		return -1;
	}
	if (fd >= 0)
		return fd;
	if (errno == EBUSY) {
		char *who = holders_of(v->path);
		*status = ACT_REFUSED;
		*why = who ? xasprintf("Refused: %s is held open by %s; stop it first.", v->path, who)
			   : xasprintf("Refused: %s is in use (mounted or held open exclusively by "
				       "another program); stop that first.", v->path);
		free(who);
	} else {
		*status = ACT_OPERATIONAL;
		*why = xasprintf("%s cannot be opened%s: %s.", v->path,
				 (flags & O_ACCMODE) == O_RDWR ? " for writing" : "", strerror(errno));
	}
	return -1;
}
