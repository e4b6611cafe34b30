/*
 * procs.c - which processes use a mounted file system, the way fuser -m
 * finds them: current directory, root, executable, open files and mapped
 * files under the mount point. An unmount that would fail with "target is
 * busy" is refused beforehand, naming them.
 */
#include "probes/probes.h"
#include "lib/util.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool under(const char *path, const char *dir)
{
	size_t l = strlen(dir);

	if (strcmp(dir, "/") == 0)
		return true;
	return strncmp(path, dir, l) == 0 && (path[l] == '\0' || path[l] == '/');
}

static bool link_under(int pdir, const char *rel, const char *dir)
{
	char buf[PATH_MAX];
	ssize_t n = readlinkat(pdir, rel, buf, sizeof(buf) - 1);

	if (n <= 0)
		return false;
	buf[n] = '\0';
	return buf[0] == '/' && under(buf, dir);
}

/* How process pid (its /proc directory open at pdir) uses dir, or NULL. */
static const char *use_of(int pdir, const char *dir)
{
	DIR *fds;
	struct dirent *de;
	int fd;
	FILE *maps;
	const char *how = NULL;

	if (link_under(pdir, "cwd", dir))
		return "its current directory is there";
	if (link_under(pdir, "root", dir))
		return "its root directory is there";
	if (link_under(pdir, "exe", dir))
		return "it runs a program from there";
	fd = openat(pdir, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	fds = fd >= 0 ? fdopendir(fd) : NULL;
	while (fds && !how && (de = readdir(fds))) {
		char rel[300];
		if (de->d_name[0] == '.')
			continue;
		snprintf(rel, sizeof(rel), "fd/%s", de->d_name);
		if (link_under(pdir, rel, dir))
			how = "it has a file open there";
	}
	if (fds)
		closedir(fds);
	else if (fd >= 0)
		close(fd);
	if (how)
		return how;
	fd = openat(pdir, "maps", O_RDONLY | O_CLOEXEC);
	maps = fd >= 0 ? fdopen(fd, "re") : NULL;
	if (maps) {
		char *line = NULL;
		size_t cap = 0;
		while (!how && getline(&line, &cap, maps) > 0) {
			char *p = strchr(line, '/');
			if (p) {
				p[strcspn(p, "\n")] = '\0';
				if (under(p, dir))
					how = "it has a file mapped from there";
			}
		}
		free(line);
		fclose(maps);
	} else if (fd >= 0) {
		close(fd);
	}
	return how;
}

size_t probes_users_of(const struct probe_ctx *ctx, const char *dir, struct proc_use **out)
{
	char *procdir = path_join_root(ctx->sysroot, "/proc");
	DIR *d = opendir(procdir);
	struct dirent *de;
	size_t n = 0;

	*out = NULL;
	while (d && (de = readdir(d))) {
		int pdir;
		const char *how;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pdir = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (pdir < 0)
			continue;
		how = use_of(pdir, dir);
		if (how) {
			char *comm = read_line_at(pdir, "comm");
			*out = xrealloc(*out, n + 1, sizeof(**out));
			(*out)[n].pid = atoi(de->d_name);
			(*out)[n].comm = sanitize_terminal(comm ? comm : "?");
			(*out)[n].how = xstrdup(how);
			n++;
			free(comm);
		}
		close(pdir);
	}
	if (d)
		closedir(d);
	free(procdir);
	return n;
}

void proc_use_free(struct proc_use *u, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(u[i].comm);
		free(u[i].how);
	}
	free(u);
}
