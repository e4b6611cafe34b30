/*
 * esp.c - the BCD store of an EFI System Partition
 * (\EFI\Microsoft\Boot\BCD), read without mounting: this kernel may have
 * no vfat, and a mount would be a write. mtools' mcopy reads the FAT file
 * system from the disk's descriptor at the partition's offset and writes
 * the file to a pipe; the copy goes into a memory file for hivex (bcd.c).
 * mcopy's own words are kept out of the screen: a store it cannot read is
 * said in ours.
 */
#include "probes/probes.h"
#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define ESP_BCD_FILE "\\EFI\\Microsoft\\Boot\\BCD"
#define ERR_KEEP 4096

/* mcopy: beside winrescue (a bundle), else on PATH; NULL when missing. */
static char *find_mcopy(void)
{
	char *beside = self_file("mcopy");

	if (beside && is_executable(beside))
		return beside;
	free(beside);
	return find_program("mcopy");
}

/* The child: fd as descriptor 3, stdout and stderr to the pipes; mcopy of the store. */
static void run_mcopy(const char *prog, int fd, uint64_t off, int out, int err)
{
	char image[64];
	/* above every descriptor moved below: dup2() onto itself would keep close-on-exec */
	int disk = fcntl(fd, F_DUPFD_CLOEXEC, 10), o = fcntl(out, F_DUPFD_CLOEXEC, 10);
	int e = fcntl(err, F_DUPFD_CLOEXEC, 10), null = open("/dev/null", O_RDONLY | O_CLOEXEC);

	/*
	 * The configuration, as descriptor 4: code page 367 (ASCII). mtools
	 * converts names through iconv, and its default (850) needs glibc's
	 * gconv modules, which a minimal rescue root lacks (seen in the rescue
	 * VM: "Error converting to codepage 850"); CP367 is built into glibc.
	 * The path looked up is ASCII.
	 */
	static const char rc[] = "DEFAULT_CODEPAGE=367\n";
	int m = memfd_create("mtoolsrc", MFD_CLOEXEC), cfg = m >= 0 ? fcntl(m, F_DUPFD_CLOEXEC, 10) : -1;

	if (disk < 0 || o < 0 || e < 0 || null < 0 || cfg < 0 ||
	    pwrite(cfg, rc, sizeof(rc) - 1, 0) != (ssize_t)(sizeof(rc) - 1) || dup2(null, 0) < 0 ||
	    dup2(o, 1) < 0 || dup2(e, 2) < 0 || dup2(disk, 3) < 0 || dup2(cfg, 4) < 0)
		_exit(127);
	signal(SIGPIPE, SIG_DFL);
	/* not /dev/fd/3: a minimal rescue root may have no /dev/fd link */
	snprintf(image, sizeof(image), "/proc/self/fd/3@@%" PRIu64, off);
	/* only that configuration; no geometry checks on a damaged ESP */
	setenv("MTOOLSRC", "/proc/self/fd/4", 1);
	setenv("MTOOLS_SKIP_CHECK", "1", 1);
	setenv("LC_ALL", "C", 1);
	execl(prog, "mcopy", "-n", "-i", image, "::/EFI/Microsoft/Boot/BCD", "-", (char *)NULL);
	_exit(127);
}

void esp_read_bcd(struct volume *v, int fd, uint64_t off)
{
	char *prog = find_mcopy(), errbuf[ERR_KEEP], *buf = NULL;
	int out[2] = { -1, -1 }, err[2] = { -1, -1 }, mfd = -1, status = 0;
	uint64_t cap = probe_hive_cap(), got = 0;
	size_t elen = 0;
	bool too_big = false;
	pid_t pid;

	if (!prog) {
		v->bcd_file = xstrdup(ESP_BCD_FILE);
		v->bcd_error = xstrdup("the ESP's BCD store was not read: mtools (mcopy) is not "
				       "installed (apt-get install mtools)");
		return;
	}
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0 ||
	    (mfd = memfd_create("bcd", MFD_CLOEXEC)) < 0 || (pid = fork()) < 0) {
		v->bcd_file = xstrdup(ESP_BCD_FILE);
		v->bcd_error = xasprintf("the ESP's BCD store was not read: %s", strerror(errno));
		goto out;
	}
	if (pid == 0)
		run_mcopy(prog, fd, off, out[1], err[1]);
	close(out[1]);
	close(err[1]);
	out[1] = err[1] = -1;
	buf = xcalloc(1, 1u << 16);
	/* both pipes at once: a chatty stderr must not stall the copy */
	for (bool open_out = true, open_err = true; open_out || open_err;) {
		struct pollfd p[2] = { { open_out ? out[0] : -1, POLLIN, 0 },
				       { open_err ? err[0] : -1, POLLIN, 0 } };
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents) {
			ssize_t n = read(out[0], buf, 1u << 16);
			if (n <= 0) {
				open_out = false;
			} else if (got + (uint64_t)n > cap) {
				too_big = true;
				kill(pid, SIGKILL);
				open_out = false;
			} else if (pwrite_all(mfd, buf, (size_t)n, got) == 0) {
				got += (uint64_t)n;
				probe_progress();
			}
		}
		if (p[1].revents) {
			ssize_t n = read(err[0], errbuf + elen, sizeof(errbuf) - 1 - elen);
			if (n <= 0)
				open_err = false;
			else
				elen += (size_t)n;
			if (elen == sizeof(errbuf) - 1)
				open_err = false;
		}
	}
	errbuf[elen] = '\0';
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!too_big && WIFEXITED(status) && WEXITSTATUS(status) != 0 && strstr(errbuf, "not found"))
		goto out;	/* no store on this ESP */
	v->bcd_file = xstrdup(ESP_BCD_FILE);
	if (too_big)
		v->bcd_error = xasprintf("the ESP's BCD store is more than the %" PRIu64 " MiB read "
					 "for it", cap >> 20);
	else if (!WIFEXITED(status) || WEXITSTATUS(status) == 127)
		v->bcd_error = xasprintf("the ESP's BCD store was not read: %s could not run", prog);
	else if (WEXITSTATUS(status) != 0)
		v->bcd_error = xstrdup("the ESP's BCD store cannot be read: the FAT file system is "
				       "damaged or unreadable");
	else
		probe_bcd_fd(mfd, ESP_BCD_FILE, v);
out:
	free(buf);
	free(prog);
	for (int i = 0; i < 2; i++) {
		if (out[i] >= 0)
			close(out[i]);
		if (err[i] >= 0)
			close(err[i]);
	}
	if (mfd >= 0)
		close(mfd);
}
