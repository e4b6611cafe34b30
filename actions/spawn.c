/*
 * spawn.c - helper programs (mount helpers, file system checkers) run with
 * their output kept in memory: never on the screen, translated by the
 * action that ran them.
 */
#include "actions/action.h"
#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* Output of a helper program, kept in memory (never on the screen). */
int job_capture_fd(void)
{
	return memfd_create("winrescue-capture", MFD_CLOEXEC);
}

char *job_captured(int fd)
{
	struct stat st;
	char *s;
	ssize_t n;

	if (fd < 0 || fstat(fd, &st) < 0 || st.st_size <= 0)
		return NULL;
	s = xcalloc((size_t)st.st_size + 1, 1);
	n = pread(fd, s, (size_t)st.st_size, 0);
	if (n <= 0) {
		free(s);
		return NULL;
	}
	s[n] = '\0';
	str_trim(s);
	if (!*s) {
		free(s);
		return NULL;
	}
	return s;
}

/*
 * Run argv with stdin /dev/null and stdout/stderr kept in *out, waiting
 * for it with a progress tick every 100 ms. The exit status, or -errno
 * when it could not be started.
 */
int job_spawn_captured(struct job *job, char *const argv[], char **out)
{
	posix_spawn_file_actions_t fa;
	int fd = job_capture_fd(), rc, status = 0;
	pid_t pid;

	*out = NULL;
	if (fd < 0)
		return -errno;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, fd, 1);
	posix_spawn_file_actions_adddup2(&fa, fd, 2);
	/* a process group of its own: a Ctrl-C meant as "cancel" does not kill it mid-mount */
	posix_spawnattr_t at;
	posix_spawnattr_init(&at);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setpgroup(&at, 0);
	rc = posix_spawn(&pid, argv[0], &fa, &at, argv, environ);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		close(fd);
		return -rc;
	}
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			rc = -errno;
			close(fd);
			return rc;
		}
		nanosleep(&(struct timespec){ .tv_nsec = 100 * 1000000L }, NULL);
		job_tick(job, 0, 0);
	}
	*out = job_captured(fd);
	close(fd);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

