/*
 * esp.c - the BCD store of an EFI System Partition
 * (\EFI\Microsoft\Boot\BCD), read without mounting: this kernel may have
 * no vfat, and a mount would be a write. mtools reads the FAT file system
 * from the disk's descriptor at the partition's offset: mcopy writes the
 * file to a pipe (a memory file for hivex, bcd.c), mshowfat names its
 * clusters (for fix-boot --rewrite-bcd, which writes changed bytes in
 * place). mtools' own words are kept out of the screen: what it cannot
 * read is said in ours.
 */
#include "probes/disk_layout.h"
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
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define ESP_BCD_FILE "\\EFI\\Microsoft\\Boot\\BCD"
#define ESP_BCD_PATH "EFI/Microsoft/Boot/BCD"
#define ERR_KEEP 4096

/*
 * The child: fd as descriptor 3, the configuration as 4, stdout and stderr
 * to the pipes; mtools run as tool (its argv[0] chooses what it does).
 */
static void run_tool(const char *prog, const char *tool, int fd, uint64_t off, const char *file,
		     int out, int err, pid_t parent)
{
	char image[64], target[300];
	/* above every descriptor moved below: dup2() onto itself would keep close-on-exec */
	int disk = fcntl(fd, F_DUPFD_CLOEXEC, 10), o = fcntl(out, F_DUPFD_CLOEXEC, 10);
	int e = fcntl(err, F_DUPFD_CLOEXEC, 10), null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	/*
	 * Code page 367 (ASCII): mtools converts names through iconv, and its
	 * default (850) needs glibc's gconv modules, which a minimal rescue
	 * root lacks (seen in the rescue VM: "Error converting to codepage
	 * 850"); CP367 is built into glibc. The paths looked up are ASCII.
	 */
	static const char rc[] = "DEFAULT_CODEPAGE=367\n";
	int m = memfd_create("mtoolsrc", MFD_CLOEXEC), cfg = m >= 0 ? fcntl(m, F_DUPFD_CLOEXEC, 10) : -1;

	/* it dies with the probe worker that runs it, whatever ends that one */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(127);
	if (disk < 0 || o < 0 || e < 0 || null < 0 || cfg < 0 ||
	    pwrite(cfg, rc, sizeof(rc) - 1, 0) != (ssize_t)(sizeof(rc) - 1) || dup2(null, 0) < 0 ||
	    dup2(o, 1) < 0 || dup2(e, 2) < 0 || dup2(disk, 3) < 0 || dup2(cfg, 4) < 0)
		_exit(127);
	signal(SIGPIPE, SIG_DFL);
	/* not /dev/fd/3: a minimal rescue root may have no /dev/fd link */
	snprintf(image, sizeof(image), "/proc/self/fd/3@@%" PRIu64, off);
	snprintf(target, sizeof(target), "::/%s", file);
	/* only that configuration; no geometry checks on a damaged ESP */
	setenv("MTOOLSRC", "/proc/self/fd/4", 1);
	setenv("MTOOLS_SKIP_CHECK", "1", 1);
	setenv("LC_ALL", "C", 1);
	if (strcmp(tool, "mcopy") == 0)
		execl(prog, "mcopy", "-n", "-i", image, target, "-", (char *)NULL);
	else
		execl(prog, tool, "-i", image, target, (char *)NULL);
	_exit(127);
}

/* How one run of mtools went. */
struct tool_run {
	char *out;		/* its standard output (malloc'ed), len bytes */
	size_t len;
	char err[ERR_KEEP];	/* the start of its standard error, for telling cases apart */
	int status;		/* waitpid's */
	bool too_big;		/* more than cap bytes of output: stopped */
	bool missing;		/* mtools is not installed */
	int sys_errno;		/* a pipe or fork failed */
};

static void tool_run(const char *tool, int fd, uint64_t off, const char *file, uint64_t cap,
		     struct tool_run *r)
{
	/* mtools: mcopy is its multi-call binary (argv[0] chooses the tool) */
	char *prog = find_bundled("mcopy");
	int out[2] = { -1, -1 }, err[2] = { -1, -1 };
	size_t elen = 0, cap_alloc = 1u << 16;
	pid_t pid, self = getpid();

	memset(r, 0, sizeof(*r));
	if (!prog) {
		r->missing = true;
		return;
	}
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0 || (pid = fork()) < 0) {
		r->sys_errno = errno;
		goto out;
	}
	if (pid == 0)
		run_tool(prog, tool, fd, off, file, out[1], err[1], self);
	close(out[1]);
	close(err[1]);
	out[1] = err[1] = -1;
	r->out = xcalloc(1, cap_alloc);
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
			if (r->len == cap_alloc) {
				cap_alloc *= 2;
				r->out = xrealloc(r->out, cap_alloc, 1);
			}
			ssize_t n = read(out[0], r->out + r->len, cap_alloc - r->len);
			if (n <= 0) {
				open_out = false;
			} else if (r->len + (uint64_t)n > cap) {
				r->len = (size_t)cap;	/* what fits is kept: a file's head */
				r->too_big = true;
				kill(pid, SIGKILL);
				open_out = false;
			} else {
				r->len += (size_t)n;
				probe_progress();
			}
		}
		if (p[1].revents) {
			/* read it all (a full pipe would stall mtools); keep the start */
			char junk[4096];
			size_t room = sizeof(r->err) - 1 - elen;
			ssize_t n = room ? read(err[0], r->err + elen, room) : read(err[0], junk, sizeof(junk));
			if (n <= 0)
				open_err = false;
			else if (room)
				elen += (size_t)n;
		}
	}
	r->err[elen] = '\0';
	while (waitpid(pid, &r->status, 0) < 0 && errno == EINTR)
		;
out:
	free(prog);
	for (int i = 0; i < 2; i++) {
		if (out[i] >= 0)
			close(out[i]);
		if (err[i] >= 0)
			close(err[i]);
	}
}

static bool tool_ok(const struct tool_run *r)
{
	return !r->missing && !r->sys_errno && !r->too_big && WIFEXITED(r->status) &&
	       WEXITSTATUS(r->status) == 0;
}

static bool tool_not_found(const struct tool_run *r)
{
	return !r->too_big && WIFEXITED(r->status) && WEXITSTATUS(r->status) != 0 &&
	       strstr(r->err, "not found");
}

/* Why a run failed, in words (what: "the ESP's BCD store"). */
static char *tool_words(const struct tool_run *r, const char *what, uint64_t cap)
{
	if (r->missing)
		return xasprintf("%s was not read: mtools (mcopy) is not installed (apt-get install "
				 "mtools)", what);
	if (r->sys_errno)
		return xasprintf("%s was not read: %s", what, strerror(r->sys_errno));
	if (r->too_big)
		return xasprintf("%s is more than the %" PRIu64 " MiB read for it", what, cap >> 20);
	if (!WIFEXITED(r->status) || WEXITSTATUS(r->status) == 127)
		return xasprintf("%s was not read: mtools could not run", what);
	return xasprintf("%s cannot be read: the FAT file system is damaged or unreadable", what);
}

void esp_read_bcd(struct volume *v, int fd, uint64_t off)
{
	uint64_t cap = probe_hive_cap();
	struct tool_run r;
	int mfd;

	tool_run("mcopy", fd, off, ESP_BCD_PATH, cap, &r);
	if (tool_not_found(&r)) {
		free(r.out);
		return;		/* no store on this ESP */
	}
	v->bcd_file = xstrdup(ESP_BCD_FILE);
	if (!tool_ok(&r)) {
		v->bcd_error = tool_words(&r, "the ESP's BCD store", cap);
	} else if ((mfd = memfd_create("bcd", MFD_CLOEXEC)) < 0 ||
		   pwrite_all(mfd, r.out, r.len, 0) != 0) {
		v->bcd_error = xasprintf("the ESP's BCD store was not read: %s", strerror(errno));
		if (mfd >= 0)
			close(mfd);
	} else {
		probe_bcd_fd(mfd, ESP_BCD_FILE, v);
		close(mfd);
	}
	free(r.out);
}

/* One boot loader of the ESP: a PE program ("MZ") there, or not, from its first bytes. */
static enum esp_file loader_state(int fd, uint64_t off, const char *path)
{
	struct tool_run r;
	enum esp_file st = ESP_FILE_UNKNOWN;

	tool_run("mcopy", fd, off, path, 64, &r);
	if (tool_not_found(&r))
		st = ESP_FILE_MISSING;
	else if (tool_ok(&r) || (r.too_big && r.len))
		st = r.len >= 2 && r.out[0] == 'M' && r.out[1] == 'Z' ? ESP_FILE_PRESENT
								   : ESP_FILE_NOT_PROGRAM;
	free(r.out);
	return st;
}

/*
 * The loaders firmware starts from the ESP: Windows Boot Manager, which the
 * firmware's boot entry names, and the removable-media fallback, which
 * firmware without that entry (a new VM, NVRAM reset) starts. Only their
 * first bytes are read.
 */
void esp_read_loaders(struct volume *v, int fd, uint64_t off)
{
	v->esp_bootmgfw = loader_state(fd, off, "EFI/Microsoft/Boot/bootmgfw.efi");
	v->esp_fallback = loader_state(fd, off, "EFI/Boot/bootx64.efi");
}

const char *esp_file_name(enum esp_file f)
{
	static const char *const n[] = { "unknown", "missing", "present", "not-a-program" };
	return (unsigned)f < sizeof(n) / sizeof(n[0]) ? n[f] : "unknown";
}

/* "::/EFI/Microsoft/Boot/BCD <7-70> <90>": the clusters, in file order; at most max + 1. */
static size_t parse_clusters(const char *s, size_t max, uint64_t **out)
{
	size_t n = 0;
	const char *p = strchr(s, '<');

	*out = NULL;
	while (p && *p == '<') {
		char *end;
		unsigned long long a = strtoull(p + 1, &end, 10), b = a;
		if (end == p + 1)
			break;
		if (*end == '-')
			b = strtoull(end + 1, &end, 10);
		if (*end != '>' || b < a || b - a > (1u << 24))
			break;
		for (unsigned long long c = a; c <= b; c++) {
			if (n > max)
				return n;	/* more than the file can have: a damaged FAT */
			*out = xrealloc(*out, n + 1, sizeof(**out));
			(*out)[n++] = c;
		}
		p = strchr(end, '<');
	}
	return n;
}

int esp_file_map(int fd, const char *path, struct file_map *m, char **why)
{
	uint8_t bs[FAT_BPB_SIZE];
	struct fat_geometry g;
	struct tool_run r;
	uint64_t *clusters = NULL;
	size_t nc;
	const char *bad;

	memset(m, 0, sizeof(*m));
	if (pread_all(fd, bs, sizeof(bs), 0) != 0) {
		*why = xasprintf("its boot sector cannot be read: %s", strerror(errno ? errno : EIO));
		return -1;
	}
	if ((bad = fat_geometry(bs, &g))) {
		*why = xasprintf("its boot sector is not one of a FAT file system (%s)", bad);
		return -1;
	}
	tool_run("mcopy", fd, 0, path, 16u << 20, &r);
	if (!tool_ok(&r)) {
		*why = tool_words(&r, "the file", 16u << 20);
		free(r.out);
		return -1;
	}
	m->data = (uint8_t *)r.out;
	m->size = r.len;
	tool_run("mshowfat", fd, 0, path, 1u << 20, &r);
	if (!tool_ok(&r)) {
		*why = tool_words(&r, "the file's clusters", 1u << 20);
		free(r.out);
		file_map_free(m);
		return -1;
	}
	r.out = xrealloc(r.out, r.len + 1, 1);
	r.out[r.len] = '\0';
	m->unit = g.cluster_bytes;
	m->n = (size_t)((m->size + m->unit - 1) / m->unit);
	nc = parse_clusters(r.out, m->n, &clusters);
	free(r.out);
	if (!m->size || nc != m->n) {
		*why = xasprintf("mshowfat names %zu clusters for a file of %" PRIu64 " bytes", nc,
				 m->size);
		free(clusters);
		file_map_free(m);
		return -1;
	}
	m->dev = xcalloc(m->n, sizeof(*m->dev));
	for (size_t i = 0; i < m->n; i++) {
		if (clusters[i] < 2 || clusters[i] - 2 >= g.clusters) {
			*why = xasprintf("cluster %" PRIu64 " of the file is outside the volume",
					 clusters[i]);
			free(clusters);
			file_map_free(m);
			return -1;
		}
		m->dev[i] = g.data_start + (clusters[i] - 2) * g.cluster_bytes;
	}
	free(clusters);
	return 0;
}
