/*
 * safedir.c - the walk of safedir.h: from / down, one component at a
 * time, each opened with O_NOFOLLOW under the descriptor of the one above,
 * so that what is judged is what is used.
 */
#include "lib/safedir.h"
#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *safedir_absolute(const char *path)
{
	char cwd[PATH_MAX];

	if (path[0] == '/')
		return xstrdup(path);
	if (!getcwd(cwd, sizeof(cwd)))
		return xasprintf("./%s", path);
	return xasprintf("%s%s%s", cwd, strcmp(cwd, "/") ? "/" : "", path);
}

/* Whether the owner is one winrescue trusts: root, or the user running it. */
static bool trusted_owner(uid_t u)
{
	return u == 0 || u == geteuid();
}

/*
 * The rules for one directory of the walk (last: the one asked for). NULL,
 * or why not in words.
 */
static char *judge(const char *shown, const struct stat *st, bool last, unsigned flags)
{
	if (!S_ISDIR(st->st_mode))
		return xasprintf("%s is not a directory", shown);
	if (!trusted_owner(st->st_uid))
		return xasprintf("%s is owned by uid %u, not root", shown, (unsigned)st->st_uid);
	if (last && !((flags & SAFEDIR_STICKY_OK) && (st->st_mode & S_ISVTX) && st->st_uid == 0)) {
		if (st->st_mode & S_IWOTH)
			return xasprintf("%s is writable by every user", shown);
		if ((st->st_mode & S_IWGRP) && !(flags & SAFEDIR_GROUP_OK))
			return xasprintf("%s is writable by its group", shown);
		return NULL;
	}
	/* a parent others may write to: only root's sticky one (/tmp) */
	mode_t w = st->st_mode & (flags & SAFEDIR_GROUP_OK ? S_IWOTH : S_IWOTH | S_IWGRP);
	if (w && !((st->st_mode & S_ISVTX) && st->st_uid == 0))
		return xasprintf("%s is writable by %s", shown,
				 st->st_mode & S_IWOTH ? "every user" : "its group");
	return NULL;
}

int safedir_open(const char *path, unsigned flags, mode_t mode, char **why)
{
	char *abs = safedir_absolute(path), *save = NULL, *shown = xstrdup("/");
	int fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct stat st;

	*why = NULL;
	if (fd < 0 || fstat(fd, &st) < 0) {
		*why = xasprintf("/ cannot be opened: %s", strerror(errno));
		goto fail;
	}
	/* the components, each judged before the next is opened under it */
	char *name = strtok_r(abs, "/", &save);
	if ((*why = judge("/", &st, !name, flags)))
		goto fail;
	while (name) {
		char *next = strtok_r(NULL, "/", &save), *s;
		int nfd;
		if (strcmp(name, ".") == 0) {
			name = next;
			continue;
		}
		s = xasprintf("%s%s%s", shown, strcmp(shown, "/") ? "/" : "", name);
		free(shown);
		shown = s;
		if (strcmp(name, "..") == 0) {
			*why = xasprintf("%s: name the directory without '..'", path);
			goto fail;
		}
		if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT &&
		    (flags & SAFEDIR_MISSING_OK) && !(flags & SAFEDIR_CREATE))
			goto fail;	/* it would be made here: all above it was judged */
		if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT &&
		    (flags & SAFEDIR_CREATE)) {
			if (mkdirat(fd, name, mode) < 0 && errno != EEXIST) {
				*why = xasprintf("%s cannot be created: %s", shown, strerror(errno));
				goto fail;
			}
		}
		nfd = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0) {
			int e = errno;
			if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
				*why = xasprintf("%s is a symbolic link; name the directory by its "
						 "real path", shown);
			else
				*why = xasprintf("%s cannot be opened: %s", shown,
						 e == ELOOP ? "it is a symbolic link" : strerror(e));
			goto fail;
		}
		close(fd);
		fd = nfd;
		if (fstat(fd, &st) < 0) {
			*why = xasprintf("%s cannot be read: %s", shown, strerror(errno));
			goto fail;
		}
		if ((*why = judge(shown, &st, !next, flags)))
			goto fail;
		name = next;
	}
	free(abs);
	free(shown);
	return fd;
fail:
	if (fd >= 0)
		close(fd);
	free(abs);
	free(shown);
	return -1;
}

int safedir_open_parent(const char *path, unsigned flags, mode_t mode, char **base, char **why)
{
	char *abs = safedir_absolute(path), *slash;
	int fd;

	*base = NULL;
	/* "dir/" names dir itself: its parent is meant */
	for (size_t n = strlen(abs); n > 1 && abs[n - 1] == '/'; n--)
		abs[n - 1] = '\0';
	slash = strrchr(abs, '/');
	if (!slash || !slash[1] || strcmp(slash + 1, ".") == 0 || strcmp(slash + 1, "..") == 0) {
		*why = xasprintf("%s does not name a file in a directory", path);
		free(abs);
		return -1;
	}
	*slash = '\0';
	fd = safedir_open(*abs ? abs : "/", flags, mode, why);
	if (fd >= 0)
		*base = xstrdup(slash + 1);
	free(abs);
	return fd;
}
