/*
 * lock.c - an exclusive BSD lock (flock) on every whole disk an action
 * changes, held while it changes it: the convention systemd-udevd and
 * partitioning tools follow, so that udev does not probe a half-written
 * disk and two tools do not change one disk at once.
 */
#include "actions/action.h"
#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* How long to wait for another holder before giving up. */
#define LOCK_WAIT_MS 3000

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int lock_one(const char *path, const struct disk *d, int *out, char **err)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	char *bad = NULL;

	if (fd < 0) {
		*err = xasprintf("cannot open %s to lock it: %s", path, strerror(errno));
		return -1;
	}
	/* an image file named as the target (check, fix) is locked as itself */
	if (fstat(fd, &st) < 0 || (!(S_ISREG(st.st_mode) && !d->major && !d->minor) &&
				   (bad = probes_node_error(path, &st, d->major, d->minor)))) {
		*err = bad ? bad : xasprintf("cannot read the status of %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	for (int waited = 0; flock(fd, LOCK_EX | LOCK_NB) < 0; waited += 50) {
		if (errno != EWOULDBLOCK || waited >= LOCK_WAIT_MS) {
			*err = xasprintf("%s is locked by another program (flock)", path);
			close(fd);
			return -1;
		}
		nanosleep(&(struct timespec){ .tv_nsec = 50 * 1000000L }, NULL);
	}
	*out = fd;
	return 0;
}

int locks_take(struct job *job, struct disk_locks *l, char **err)
{
	char **names = NULL;
	size_t n = 0;

	memset(l, 0, sizeof(*l));
	for (size_t i = 0; i < job->ntargets; i++)
		if (!strv_contains(names, n, job->targets[i].disk->path))
			strv_add(&names, &n, job->targets[i].disk->path);
	/* one order for every process: no two of them wait for each other */
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	l->fds = xcalloc(n ? n : 1, sizeof(int));
	for (size_t i = 0; i < n; i++) {
		const struct disk *d = NULL;
		for (size_t t = 0; t < job->ntargets && !d; t++)
			if (strcmp(job->targets[t].disk->path, names[i]) == 0)
				d = job->targets[t].disk;
		if (lock_one(names[i], d, &l->fds[l->n], err) < 0) {
			strv_free(names, n);
			locks_release(l);
			return -1;
		}
		l->n++;
	}
	strv_free(names, n);
	return 0;
}

void locks_release(struct disk_locks *l)
{
	for (size_t i = 0; i < l->n; i++)
		close(l->fds[i]);	/* closing the last descriptor drops the lock */
	free(l->fds);
	memset(l, 0, sizeof(*l));
}
