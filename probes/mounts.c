/*
 * mounts.c - what the running system has mounted (libmount reads
 * mountinfo), active swap, and which whole disks the running system
 * stands on: those are the rescue disks, never to be written.
 */
#include "probes/probes.h"
#include "lib/util.h"

#include <dirent.h>
#include <errno.h>
#include <libmount.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

/* Where an administrator mounts foreign volumes: not the running system. */
static const char *const foreign_roots[] = { "/mnt", "/media", "/run/media", "/run/winrescue", NULL };
/* Filesystems a Linux rescue system does not run from. */
static const char *const foreign_types[] = { "ntfs", "ntfs3", "fuseblk", "fuse.ntfs-3g", NULL };

static int load_swaps(const struct probe_ctx *ctx, struct mount_table *mt)
{
	char *path = path_join_root(ctx->sysroot, "/proc/swaps");
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;

	free(path);
	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		char name[4096];
		if (sscanf(line, "%4095s", name) != 1 || strcmp(name, "Filename") == 0)
			continue;
		if (str_starts_with(name, "/dev/"))
			strv_add(&mt->swaps, &mt->nswaps, name + 5);
	}
	free(line);
	fclose(f);
	return 0;
}

/* libmount reports parse problems through this callback; keep them quiet. */
static int parser_errcb(struct libmnt_table *tb, const char *filename, int line)
{
	(void)tb;
	(void)filename;
	(void)line;
	return 1; /* skip the broken line, go on */
}

int mounts_load(const struct probe_ctx *ctx, struct mount_table *mt)
{
	char *path = path_join_root(ctx->sysroot, "/proc/self/mountinfo");
	struct libmnt_table *tb = mnt_new_table();
	struct libmnt_iter *itr = mnt_new_iter(MNT_ITER_FORWARD);
	struct libmnt_fs *fs;
	int rc;

	memset(mt, 0, sizeof(*mt));
	if (!tb || !itr) {
		mnt_free_table(tb);
		mnt_free_iter(itr);
		free(path);
		return -ENOMEM;
	}
	mnt_table_set_parser_errcb(tb, parser_errcb);
	rc = mnt_table_parse_file(tb, path);
	if (rc) {
		mt->error = xasprintf("cannot read %s", path);
	} else {
		while (mnt_table_next_fs(tb, itr, &fs) == 0) {
			struct mount_entry *me;
			dev_t devno = mnt_fs_get_devno(fs);
			const char *vfs = mnt_fs_get_vfs_options(fs);
			const char *fso = mnt_fs_get_fs_options(fs);

			mt->entries = xrealloc(mt->entries, mt->n + 1, sizeof(*mt->entries));
			me = &mt->entries[mt->n++];
			memset(me, 0, sizeof(*me));
			me->target = xstrdup(mnt_fs_get_target(fs));
			me->source = xstrdup(mnt_fs_get_source(fs));
			me->fstype = xstrdup(mnt_fs_get_fstype(fs));
			me->fs_options = xstrdup(fso);
			me->major = major(devno);
			me->minor = minor(devno);
			me->rw = !(vfs && mnt_optstr_get_option(vfs, "ro", NULL, NULL) == 0) &&
				 !(fso && mnt_optstr_get_option(fso, "ro", NULL, NULL) == 0);
		}
	}
	mnt_free_iter(itr);
	mnt_unref_table(tb);
	free(path);
	load_swaps(ctx, mt); /* no /proc/swaps simply means no swap */
	return rc ? -EIO : 0;
}

void mounts_free(struct mount_table *mt)
{
	for (size_t i = 0; i < mt->n; i++) {
		free(mt->entries[i].target);
		free(mt->entries[i].source);
		free(mt->entries[i].fstype);
		free(mt->entries[i].fs_options);
	}
	free(mt->entries);
	strv_free(mt->swaps, mt->nswaps);
	free(mt->error);
	memset(mt, 0, sizeof(*mt));
}

static bool path_under(const char *path, const char *dir)
{
	size_t l = strlen(dir);

	if (strcmp(dir, "/") == 0)
		return path[0] == '/';
	return strncmp(path, dir, l) == 0 && (path[l] == '\0' || path[l] == '/');
}

const struct mount_entry *mounts_find_containing(const struct mount_table *mt, const char *path)
{
	const struct mount_entry *best = NULL;
	size_t bestlen = 0;

	/* the last mount on a target hides earlier ones: prefer later entries */
	for (size_t i = 0; i < mt->n; i++) {
		const struct mount_entry *me = &mt->entries[i];
		size_t l = strlen(me->target);
		if (path_under(path, me->target) && l >= bestlen) {
			best = me;
			bestlen = l;
		}
	}
	return best;
}

bool mounts_is_system(const struct mount_entry *me)
{
	for (int i = 0; foreign_roots[i]; i++)
		if (path_under(me->target, foreign_roots[i]))
			return false;
	for (int i = 0; foreign_types[i]; i++)
		if (me->fstype && strcmp(me->fstype, foreign_types[i]) == 0)
			return false;
	return true;
}

/* Does mount source name this device ("/dev/sdc1", "/dev/sdc1:/dev/sdc2")? */
static bool source_names(const char *source, const char *name)
{
	size_t l = strlen(name);
	const char *p = source;

	while (p && (p = strstr(p, "/dev/"))) {
		p += 5;
		if (strncmp(p, name, l) == 0 && (p[l] == '\0' || p[l] == ':'))
			return true;
	}
	return false;
}

void mounts_usage(const struct mount_table *mt, const char *sysdir, const char *name,
		  unsigned major, unsigned minor, struct usage *u)
{
	for (size_t i = 0; i < mt->n; i++) {
		const struct mount_entry *me = &mt->entries[i];
		bool match = (major || minor) && me->major == major && me->minor == minor;

		if (!match && me->source && name)
			match = source_names(me->source, name);
		if (!match)
			continue;
		if (!strv_contains(u->mountpoints, u->nmountpoints, me->target))
			strv_add(&u->mountpoints, &u->nmountpoints, me->target);
		if (me->rw)
			u->mounted_rw = true;
	}
	if (name && strv_contains(mt->swaps, mt->nswaps, name))
		u->swap = true;
	if (sysdir) {
		char *hdir = xasprintf("%s/holders", sysdir);
		DIR *d = opendir(hdir);
		struct dirent *de;

		while (d && (de = readdir(d)))
			if (de->d_name[0] != '.')
				strv_add(&u->holders, &u->nholders, de->d_name);
		if (d)
			closedir(d);
		free(hdir);
	}
}

/* Mount entries a source path or directory leads to (overlay, bind sources). */
static void follow_mount(const struct probe_ctx *ctx, const struct mount_table *mt,
			 const struct mount_entry *me, char ***names, size_t *n, int depth);

static void follow_dirs(const struct probe_ctx *ctx, const struct mount_table *mt,
			const char *list, char ***names, size_t *n, int depth)
{
	char *copy = xstrdup(list), *save = NULL;

	for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		const struct mount_entry *me = mounts_find_containing(mt, dir);
		if (me)
			follow_mount(ctx, mt, me, names, n, depth + 1);
	}
	free(copy);
}

static void follow_mount(const struct probe_ctx *ctx, const struct mount_table *mt,
			 const struct mount_entry *me, char ***names, size_t *n, int depth)
{
	char *val;
	size_t len;

	if (depth > 8)
		return;
	if (me->fstype && strcmp(me->fstype, "overlay") == 0 && me->fs_options) {
		static const char *const keys[] = { "lowerdir", "upperdir", "workdir", NULL };
		for (int k = 0; keys[k]; k++) {
			if (mnt_optstr_get_option(me->fs_options, keys[k], &val, &len) == 0 && len) {
				char *dirs = xasprintf("%.*s", (int)len, val);
				follow_dirs(ctx, mt, dirs, names, n, depth);
				free(dirs);
			}
		}
		return;
	}
	/* a real block device (major 0 is anonymous: tmpfs, btrfs subvolumes...) */
	if (me->major) {
		sysfs_whole_disks_of(ctx, mt, me->major, me->minor, names, n, depth);
		return;
	}
	/* anonymous device with /dev sources (btrfs, bcachefs "/dev/a:/dev/b") */
	if (me->source && str_starts_with(me->source, "/dev/")) {
		char *copy = xstrdup(me->source), *save = NULL;
		for (char *s = strtok_r(copy, ":", &save); s; s = strtok_r(NULL, ":", &save)) {
			unsigned ma, mi;
			if (str_starts_with(s, "/dev/") && sysfs_devno_of(ctx, s + 5, &ma, &mi))
				sysfs_whole_disks_of(ctx, mt, ma, mi, names, n, depth);
		}
		free(copy);
	}
}

/* Record the whole disks in found[] that are not yet in names[], with why. */
static void add_rescue(char ***names, char ***reasons, size_t *n, char **found, size_t nfound,
		       const char *why)
{
	for (size_t j = 0; j < nfound; j++) {
		size_t nr = *n;
		if (strv_contains(*names, *n, found[j]))
			continue;
		strv_add(names, n, found[j]);
		strv_add(reasons, &nr, why);
	}
	strv_free(found, nfound);
}

void mounts_rescue_disks(const struct probe_ctx *ctx, const struct mount_table *mt,
			 char ***names, char ***reasons, size_t *n)
{
	for (size_t i = 0; i < mt->n; i++) {
		const struct mount_entry *me = &mt->entries[i];
		char **found = NULL, *why;
		size_t nfound = 0;

		if (!mounts_is_system(me))
			continue;
		follow_mount(ctx, mt, me, &found, &nfound, 0);
		why = xasprintf("%s (%s) is on this disk", me->target,
				me->source ? me->source : me->fstype);
		add_rescue(names, reasons, n, found, nfound, why);
		free(why);
	}
	for (size_t i = 0; i < mt->nswaps; i++) {
		char **found = NULL, *why;
		size_t nfound = 0;
		unsigned ma, mi;

		if (!sysfs_devno_of(ctx, mt->swaps[i], &ma, &mi))
			continue;
		sysfs_whole_disks_of(ctx, mt, ma, mi, &found, &nfound, 0);
		why = xasprintf("swap is active on /dev/%s", mt->swaps[i]);
		add_rescue(names, reasons, n, found, nfound, why);
		free(why);
	}
}

bool probes_mount_at(const struct probe_ctx *ctx, const char *target, struct mount_info *out)
{
	struct mount_table mt;
	const struct mount_entry *found = NULL;

	memset(out, 0, sizeof(*out));
	if (mounts_load(ctx, &mt) < 0) {
		mounts_free(&mt);
		return false;
	}
	for (size_t i = 0; i < mt.n; i++)
		if (strcmp(mt.entries[i].target, target) == 0)
			found = &mt.entries[i];
	if (found) {
		out->target = xstrdup(found->target);
		out->source = xstrdup(found->source);
		out->fstype = xstrdup(found->fstype);
		out->options = xstrdup(found->fs_options);
		out->rw = found->rw;
	}
	mounts_free(&mt);
	return found != NULL;
}

void mount_info_free(struct mount_info *mi)
{
	free(mi->target);
	free(mi->source);
	free(mi->fstype);
	free(mi->options);
	memset(mi, 0, sizeof(*mi));
}
