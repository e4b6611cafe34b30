/*
 * mount_log.c - which mounts winrescue made: `umount all` takes only
 * those (unless --everything), and the TUI asks about them before it
 * quits. The audit log knows: every mount winrescue made has a "result"
 * record naming its device and mount point, and the mount's identity
 * (mount_id, with boot_id), across runs and sessions. A mount counts as
 * winrescue's while the same device is mounted at the same place as the
 * same mount: unmounted and mounted again by hand, it is someone else's.
 */
#include "actions/mount.h"
#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef STATX_MNT_ID_UNIQUE
#define STATX_MNT_ID_UNIQUE 0x00004000U	/* Linux 6.8; older headers lack it */
#endif

bool mount_id_at(const char *dir, uint64_t *id, bool *unique)
{
	struct statx sx;

	/* DONT_SYNC: a FUSE driver is not asked, its cached attributes do */
	if (statx(AT_FDCWD, dir, AT_STATX_DONT_SYNC | AT_NO_AUTOMOUNT | AT_SYMLINK_NOFOLLOW,
		  STATX_MNT_ID | STATX_MNT_ID_UNIQUE, &sx) < 0)
		return false;
	if (sx.stx_mask & (STATX_MNT_ID_UNIQUE | STATX_MNT_ID)) {
		*id = sx.stx_mnt_id;
		*unique = !!(sx.stx_mask & STATX_MNT_ID_UNIQUE);
		return true;
	}
	return false;
}

char *mount_boot_id(void)
{
	char buf[64] = "";
	int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	return xstrdup(str_trim(buf));
}

/* A mount the log says winrescue made, with what identifies it. */
struct made {
	char *device, *mountpoint, *boot_id;
	uint64_t mount_id;
	bool has_id, unique;
	long pid;
};

static const char *jget_str(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string)
		? json_object_get_string(v) : NULL;
}

static bool jget_bool(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) && json_object_get_boolean(v);
}

static void made_free(struct made *m, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(m[i].device);
		free(m[i].mountpoint);
		free(m[i].boot_id);
	}
	free(m);
}

/* Forget what a later record says is gone (winrescue unmounted it). */
static void forget(struct made *m, size_t *n, const char *device, const char *mp)
{
	for (size_t i = 0; i < *n;) {
		if (strcmp(m[i].device, device) == 0 && strcmp(m[i].mountpoint, mp) == 0) {
			free(m[i].device);
			free(m[i].mountpoint);
			free(m[i].boot_id);
			m[i] = m[--*n];
		} else {
			i++;
		}
	}
}

/* One line of the log: a mount made, or one taken down. */
static void read_record(struct json_object *o, struct made **m, size_t *n)
{
	const char *event = jget_str(o, "event"), *action = jget_str(o, "action");
	struct json_object *mounts, *pid;
	bool is_mount;

	if (!event || !action || strcmp(event, "result") != 0 ||
	    !json_object_object_get_ex(o, "mounts", &mounts) ||
	    !json_object_is_type(mounts, json_type_array))
		return;
	is_mount = strcmp(action, "mount") == 0;
	if (!is_mount && strcmp(action, "umount") != 0)
		return;
	for (size_t i = 0; i < json_object_array_length(mounts); i++) {
		struct json_object *r = json_object_array_get_idx(mounts, i), *id;
		const char *dev = jget_str(r, "device"), *mp = jget_str(r, "mountpoint");
		if (!dev || !mp)
			continue;
		forget(*m, n, dev, mp);
		if (!is_mount || !jget_bool(r, "mounted"))
			continue;
		*m = xrealloc(*m, *n + 1, sizeof(**m));
		struct made *x = &(*m)[(*n)++];
		memset(x, 0, sizeof(*x));
		x->device = xstrdup(dev);
		x->mountpoint = xstrdup(mp);
		x->boot_id = xstrdup(jget_str(r, "boot_id"));
		if (json_object_object_get_ex(r, "mount_id", &id) && json_object_is_type(id, json_type_int)) {
			x->mount_id = (uint64_t)json_object_get_int64(id);
			x->has_id = true;
			x->unique = jget_bool(r, "mount_id_unique");
		}
		x->pid = json_object_object_get_ex(o, "pid", &pid) ? (long)json_object_get_int64(pid) : 0;
	}
}

/* Whether the mount at dir now is the one made (identity as recorded). */
static bool same_mount(const struct made *m, const char *boot_id)
{
	uint64_t id;
	bool unique;

	/* mounts do not outlive a restart, and mount IDs start over after one: a
	 * record that does not say which boot it was made in is not ours to take */
	if (!m->boot_id || !boot_id || strcmp(m->boot_id, boot_id) != 0)
		return false;
	if (!m->has_id)
		return true;	/* this boot, on a kernel without mount IDs: device and place */
	if (!mount_id_at(m->mountpoint, &id, &unique))
		return false;
	return unique == m->unique && id == m->mount_id;
}

size_t mount_log_ours(const struct inventory *inv, const char *log_path, struct our_mount **out,
		      char **err)
{
	FILE *f = fopen(log_path, "re");
	struct made *m = NULL;
	size_t n = 0, k = 0, cap = 0;
	char *line = NULL, *boot_id;
	struct vol_ref *all;
	size_t nall;

	*out = NULL;
	*err = NULL;
	if (!f) {
		if (errno != ENOENT)	/* no log: winrescue changed nothing here yet */
			*err = xasprintf("the audit log %s cannot be read: %s", log_path,
					 strerror(errno));
		return 0;
	}
	while (getline(&line, &cap, f) > 0) {
		struct json_object *o = json_tokener_parse(line);
		if (o && json_object_is_type(o, json_type_object))
			read_record(o, &m, &n);
		if (o)
			json_object_put(o);
	}
	free(line);
	fclose(f);

	boot_id = mount_boot_id();
	nall = target_mounted(inv, &all);
	for (size_t i = 0; i < n; i++) {
		for (size_t v = 0; v < nall; v++) {
			const struct usage *u = &all[v].vol->use;
			if (!all[v].path || strcmp(all[v].path, m[i].device) != 0 ||
			    !strv_contains(u->mountpoints, u->nmountpoints, m[i].mountpoint) ||
			    !same_mount(&m[i], boot_id))
				continue;
			*out = xrealloc(*out, k + 1, sizeof(**out));
			(*out)[k++] = (struct our_mount){ .v = all[v],
							  .mountpoint = xstrdup(m[i].mountpoint),
							  .pid = m[i].pid };
			break;
		}
	}
	free(all);
	free(boot_id);
	made_free(m, n);
	return k;
}

bool mount_log_has(const struct our_mount *ours, size_t n, const char *device, const char *dir)
{
	for (size_t i = 0; i < n; i++)
		if (ours[i].v.path && strcmp(ours[i].v.path, device) == 0 &&
		    strcmp(ours[i].mountpoint, dir) == 0)
			return true;
	return false;
}

void our_mounts_free(struct our_mount *ours, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(ours[i].mountpoint);
	free(ours);
}

/* "  Disk 1 partition 2 (...) at DIR" lines of mounts, for a message. */
static char *mount_lines(const struct vol_ref *v, char *const *dirs, size_t n)
{
	char *list = NULL;

	for (size_t i = 0; i < n; i++) {
		char *d = target_describe(&v[i]), *l;
		l = xasprintf("%s%s  %s at %s", list ? list : "", list ? "\n" : "", d, dirs[i]);
		free(list);
		free(d);
		list = l;
	}
	return list;
}

/*
 * Without a name: the one volume winrescue mounted (the audit log says
 * which, as for umount all). What others mounted is named, never taken.
 */
char *umount_default(const struct action_opts *o, char **err)
{
	static const struct probe_ctx here = { 0 };
	struct inventory *inv = probes_scan(&here);
	struct our_mount *ours = NULL;
	struct vol_ref *all, *vs = NULL;
	char **dirs = NULL, *spec = NULL, *list, *log_err = NULL;
	size_t nall = target_mounted(inv, &all), nours, ndirs = 0;

	nours = mount_log_ours(inv, audit_path(o), &ours, &log_err);
	if (nours) {
		vs = xcalloc(nours, sizeof(*vs));
		for (size_t i = 0; i < nours; i++) {
			vs[i] = ours[i].v;
			strv_add(&dirs, &ndirs, ours[i].mountpoint);
		}
	} else {
		for (size_t i = 0; i < nall; i++)
			for (size_t k = 0; k < all[i].vol->use.nmountpoints; k++) {
				vs = xrealloc(vs, ndirs + 1, sizeof(*vs));
				vs[ndirs] = all[i];
				strv_add(&dirs, &ndirs, all[i].vol->use.mountpoints[k]);
			}
	}
	list = mount_lines(vs, dirs, ndirs);
	if (nours == 1)
		spec = xstrdup(ours[0].mountpoint);
	else if (nours)
		*err = xasprintf("%zu volumes are mounted; name one, or 'all':\n%s", nours, list);
	else if (ndirs)
		*err = xasprintf("nothing winrescue mounted is mounted%s%s%s; these are mounted from "
				 "the disks being rescued (name one to unmount it, or 'all "
				 "--everything'):\n%s", log_err ? " (" : "", log_err ? log_err : "",
				 log_err ? ")" : "", list);
	else
		*err = xstrdup("nothing is mounted from the disks being rescued");
	free(list);
	free(log_err);
	free(vs);
	strv_free(dirs, ndirs);
	our_mounts_free(ours, nours);
	free(all);
	inventory_free(inv);
	return spec;
}
