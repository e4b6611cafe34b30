/* worker.c - limited child processes for what parses untrusted disks (worker.h). */
#include "probes/worker.h"
#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/blkpg.h>
#include <linux/fs.h>
#include <linux/loop.h>
#include <linux/sched.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MEM_MB_MAX 384		/* at most, by default (see worker_mem_mb) */
#define TIMEOUT_DEFAULT 60	/* seconds of silence: a failing disk retries for long */

#if defined(__SANITIZE_ADDRESS__)
#define WORKER_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WORKER_UNDER_ASAN 1
#endif
#endif

/* In a worker: where its signs of life go (non-blocking), else -1. */
static int beat_fd = -1;

static unsigned long env_ulong(const char *name, unsigned long def, unsigned long min)
{
	const char *env = getenv(name);
	char *end;
	unsigned long v;

	if (!env || !*env)
		return def;
	errno = 0;
	v = strtoul(env, &end, 10);
	return *end || errno || v < min ? def : v;
}

/*
 * WINRESCUE_PROBE_MEM_MB, else half the machine's memory shared by the
 * workers running at once, between 64 and MEM_MB_MAX MiB (a 512 MiB VM
 * with two CPUs: 128 MiB each; a probe of a 100,000-file volume needs less
 * than 48, a check of it about as much).
 */
/* The machine's memory in KiB (/proc/meminfo), 0 when it cannot be read. */
static unsigned long mem_total_kib(void)
{
	unsigned long total = 0;
	FILE *f = fopen("/proc/meminfo", "re");

	if (f) {
		if (fscanf(f, "MemTotal: %lu kB", &total) != 1)
			total = 0;
		fclose(f);
	}
	return total;
}

unsigned long worker_mem_mb(size_t jobs)
{
	unsigned long total = mem_total_kib(), def = MEM_MB_MAX;

	if (total) {
		def = total / 1024 / 2 / (jobs ? jobs : 1);
		def = def < 64 ? 64 : def > MEM_MB_MAX ? MEM_MB_MAX : def;
	}
	return env_ulong("WINRESCUE_PROBE_MEM_MB", def, 16);
}

unsigned long worker_timeout_s(void)
{
	return env_ulong("WINRESCUE_PROBE_TIMEOUT", TIMEOUT_DEFAULT, 1);
}

/*
 * The limits of a worker_call (check, fix's checks, the BCD's hive, the
 * discard of hibernation): one at a time, over a whole volume, so the
 * memory default is half the machine's (a check keeps a few bytes per MFT
 * record: 10 million records need about 500 MiB), at least 64 MiB.
 */
static unsigned long call_mem_mb(void)
{
	unsigned long total = mem_total_kib();

	total = total ? total / 1024 / 2 : 1024;
	return env_ulong("WINRESCUE_WORKER_MEM_MB", total < 64 ? 64 : total, 16);
}

static unsigned long call_timeout_s(void)
{
	return env_ulong("WINRESCUE_WORKER_TIMEOUT", TIMEOUT_DEFAULT, 1);
}

unsigned long worker_enter(unsigned long mem_mb)
{
	pid_t parent = getppid();

	/* its own group: a kill at the time limit reaches what it started (mtools) */
	setpgid(0, 0);
	/* and it never outlives winrescue (the parent may have gone before this line) */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(1);
	/* a crash ends it, as its parent reads it (not a handler it inherited) */
	static const int dfl[] = { SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGILL, SIGFPE, SIGABRT, SIGSYS,
#ifndef WORKER_UNDER_ASAN	/* ASan's own handlers report where */
				   SIGSEGV, SIGBUS,
#endif
	};
	for (size_t i = 0; i < sizeof(dfl) / sizeof(dfl[0]); i++)
		signal(dfl[i], SIG_DFL);
	util_set_oom_exit(WORKER_EXIT_OOM);
#ifndef WORKER_UNDER_ASAN	/* ASan reserves terabytes of address space for itself */
	struct rlimit rl = { .rlim_cur = (rlim_t)mem_mb << 20, .rlim_max = (rlim_t)mem_mb << 20 };
	if (mem_mb && setrlimit(RLIMIT_AS, &rl) == 0)
		return mem_mb;
#else
	(void)mem_mb;
#endif
	return 0;
}

void worker_adopt(pid_t pid)
{
	/* EACCES once the child has run exec, ESRCH once it is gone: both fine */
	setpgid(pid, pid);
}

void worker_kill(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);	/* in case it had not yet made its group */
}

pid_t worker_reap(pid_t pid, int *status, bool block)
{
	siginfo_t si;
	pid_t r;

	/* while it is a zombie its id cannot be reused: the group kill hits only its own */
	memset(&si, 0, sizeof(si));
	while (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT | (block ? 0 : WNOHANG)) < 0)
		if (errno != EINTR)
			return -1;
	if (!si.si_pid)
		return 0;
	kill(-pid, SIGKILL);
	while ((r = waitpid(pid, status, 0)) < 0 && errno == EINTR)
		;
	return r;
}

/*
 * The ids a confined worker runs as: one of its own, WORKER_ID_BASE plus
 * its pid, unused by any account (above the container ranges systemd
 * hands out, below 2^31). Not nobody's 65534: every process running as
 * nobody could then signal the worker (stop or kill a check midway; a
 * new-user trial did). Not looked up: an id needs no account, and NSS may
 * load modules or ask the network.
 */
#define WORKER_ID_BASE 0x7e000000u
#define WORKER_ID_SPAN 0x00400000u

static uid_t worker_id(void)
{
	return (uid_t)(WORKER_ID_BASE + (uint32_t)getpid() % WORKER_ID_SPAN);
}

/* The answer pipe of this worker (worker_call's child), the only descriptor it may write but its beat's. */
static int answer_fd = -1;

/*
 * The system calls a parser that reads descriptors opened before needs:
 * reading and seeking, its answer and its signs of life (write), memory,
 * time, and ending. Anything else kills the process (SIGSYS).
 */
static int install_read_only_filter(void)
{
	static const int allowed[] = {
		SCMP_SYS(read), SCMP_SYS(pread64), SCMP_SYS(readv), SCMP_SYS(preadv),
		SCMP_SYS(lseek), SCMP_SYS(fstat), SCMP_SYS(rt_sigaction),
		SCMP_SYS(newfstatat), SCMP_SYS(statx), SCMP_SYS(close),
		SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(brk),
		SCMP_SYS(madvise), SCMP_SYS(mprotect), SCMP_SYS(futex), SCMP_SYS(getpid),
		SCMP_SYS(gettid), SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday),
		SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigprocmask), SCMP_SYS(exit),
		SCMP_SYS(exit_group), SCMP_SYS(getrandom), SCMP_SYS(fadvise64),
		SCMP_SYS(sched_yield), SCMP_SYS(nanosleep), SCMP_SYS(clock_nanosleep),
	};
	scmp_filter_ctx f = seccomp_init(SCMP_ACT_KILL_PROCESS);
	int rc = f ? 0 : -ENOMEM;

	for (size_t i = 0; !rc && i < sizeof(allowed) / sizeof(allowed[0]); i++)
		rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, allowed[i], 0);
	/*
	 * write only its answer and its beats, and standard error (/dev/null in
	 * a confined worker, where glibc says why it aborts); abort() itself
	 * (a signal to its own process) so that it ends as an abort
	 */
	const int wfds[] = { answer_fd, beat_fd, 2 };
	for (size_t i = 0; !rc && i < sizeof(wfds) / sizeof(wfds[0]); i++) {
		if (wfds[i] < 0)
			continue;
		rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(write), 1,
				      SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)wfds[i]));
		if (!rc)
			rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(writev), 1,
					      SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)wfds[i]));
	}
	if (!rc)
		rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
				      SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid()));
	if (!rc)
		rc = seccomp_load(f);
	if (f)
		seccomp_release(f);
	return rc;
}

/*
 * For the workers that stay root (WORKER_CONFINE_ROOT_*): what no parser
 * needs, each of which would turn a bug in libblkid, libntfs-3g or mtools
 * into more than a wrong answer: the network, other processes' memory,
 * mounts and namespaces, the kernel's modules, keys and bpf, io_uring
 * (which would bypass the filter), owners and modes, making or
 * removing files, typing into the terminal, changing a block or loop
 * device's table or contents by ioctl. The reader (a probe, which runs
 * mtools) may execve but opens nothing for writing; the writer (the
 * journal reset) opens its device read-write but may not execve.
 */
static int install_deny_filter(bool reader)
{
	static const int denied[] = {
		SCMP_SYS(socket), SCMP_SYS(socketpair), SCMP_SYS(connect), SCMP_SYS(bind),
		SCMP_SYS(listen), SCMP_SYS(accept), SCMP_SYS(accept4),
		SCMP_SYS(ptrace), SCMP_SYS(process_vm_readv), SCMP_SYS(process_vm_writev),
		SCMP_SYS(pidfd_getfd), SCMP_SYS(kcmp),
		SCMP_SYS(mount), SCMP_SYS(umount2), SCMP_SYS(pivot_root), SCMP_SYS(chroot),
		SCMP_SYS(setns), SCMP_SYS(unshare), SCMP_SYS(move_mount), SCMP_SYS(open_tree),
		SCMP_SYS(fsopen), SCMP_SYS(fsconfig), SCMP_SYS(fsmount), SCMP_SYS(fspick),
		SCMP_SYS(mount_setattr),
		SCMP_SYS(init_module), SCMP_SYS(finit_module), SCMP_SYS(delete_module),
		SCMP_SYS(kexec_load), SCMP_SYS(kexec_file_load), SCMP_SYS(reboot),
		SCMP_SYS(swapon), SCMP_SYS(swapoff), SCMP_SYS(bpf), SCMP_SYS(perf_event_open),
		SCMP_SYS(userfaultfd), SCMP_SYS(keyctl), SCMP_SYS(add_key), SCMP_SYS(request_key),
		SCMP_SYS(iopl), SCMP_SYS(ioperm), SCMP_SYS(io_uring_setup),
		SCMP_SYS(io_uring_enter), SCMP_SYS(io_uring_register),
		SCMP_SYS(chmod), SCMP_SYS(fchmod), SCMP_SYS(fchmodat), SCMP_SYS(chown),
		SCMP_SYS(fchown), SCMP_SYS(lchown), SCMP_SYS(fchownat),
		SCMP_SYS(unlink), SCMP_SYS(unlinkat), SCMP_SYS(rename), SCMP_SYS(renameat),
		SCMP_SYS(renameat2), SCMP_SYS(link), SCMP_SYS(linkat), SCMP_SYS(symlink),
		SCMP_SYS(symlinkat), SCMP_SYS(mknod), SCMP_SYS(mknodat), SCMP_SYS(mkdir),
		SCMP_SYS(mkdirat), SCMP_SYS(rmdir), SCMP_SYS(truncate), SCMP_SYS(creat),
		SCMP_SYS(open_by_handle_at), SCMP_SYS(name_to_handle_at), SCMP_SYS(openat2),
		SCMP_SYS(settimeofday), SCMP_SYS(clock_settime), SCMP_SYS(adjtimex),
		SCMP_SYS(clock_adjtime), SCMP_SYS(sethostname), SCMP_SYS(setdomainname),
		SCMP_SYS(acct), SCMP_SYS(quotactl), SCMP_SYS(syslog), SCMP_SYS(vhangup),
	};
	/* clone() making a namespace: fork() stays allowed */
	static const unsigned long ns_flags[] = {
		CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER,
		CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWTIME,
	};
	static const unsigned long ioctls[] = {
		TIOCSTI, TIOCLINUX, BLKRRPART, BLKPG, BLKDISCARD, BLKSECDISCARD, BLKZEROOUT,
		BLKROSET, LOOP_SET_FD, LOOP_CLR_FD, LOOP_SET_STATUS, LOOP_SET_STATUS64,
		LOOP_CHANGE_FD, LOOP_SET_CAPACITY, LOOP_SET_DIRECT_IO, LOOP_SET_BLOCK_SIZE,
		LOOP_CONFIGURE,
	};
	/* the reader: no open for writing, creating or truncating */
	static const unsigned long write_flags[] = { O_WRONLY, O_RDWR, O_CREAT, O_TRUNC };
	scmp_filter_ctx f = seccomp_init(SCMP_ACT_ALLOW);
	int rc = f ? 0 : -ENOMEM;
	const uint32_t kill = SCMP_ACT_KILL_PROCESS;

	for (size_t i = 0; !rc && i < sizeof(denied) / sizeof(denied[0]); i++)
		rc = seccomp_rule_add(f, kill, denied[i], 0);
	for (size_t i = 0; !rc && i < sizeof(ns_flags) / sizeof(ns_flags[0]); i++)
		rc = seccomp_rule_add(f, kill, SCMP_SYS(clone), 1,
				      SCMP_A0(SCMP_CMP_MASKED_EQ, ns_flags[i], ns_flags[i]));
	/* clone3's flags are behind a pointer: "not here", and glibc falls back to clone */
	if (!rc)
		rc = seccomp_rule_add(f, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	for (size_t i = 0; !rc && i < sizeof(ioctls) / sizeof(ioctls[0]); i++)
		rc = seccomp_rule_add(f, kill, SCMP_SYS(ioctl), 1,
				      SCMP_A1(SCMP_CMP_EQ, ioctls[i]));
	if (!rc && !reader) {
		rc = seccomp_rule_add(f, kill, SCMP_SYS(execve), 0);
		if (!rc)
			rc = seccomp_rule_add(f, kill, SCMP_SYS(execveat), 0);
	}
	for (size_t i = 0; !rc && reader && i < sizeof(write_flags) / sizeof(write_flags[0]); i++) {
		rc = seccomp_rule_add(f, kill, SCMP_SYS(open), 1,
				      SCMP_A1(SCMP_CMP_MASKED_EQ, write_flags[i], write_flags[i]));
		if (!rc)
			rc = seccomp_rule_add(f, kill, SCMP_SYS(openat), 1,
					      SCMP_A2(SCMP_CMP_MASKED_EQ, write_flags[i],
						      write_flags[i]));
	}
	if (!rc)
		rc = seccomp_load(f);
	if (f)
		seccomp_release(f);
	return rc;
}

/*
 * Under ASan the filters are installed only for the escape tests: ASan's
 * reports open files, start threads and run its symbolizer, and the ASan
 * build is there to test the parsers.
 */
static bool filter_wanted(void)
{
#ifdef WORKER_UNDER_ASAN
	return getenv("WINRESCUE_WORKER_ESCAPE") != NULL;
#else
	return true;
#endif
}

/*
 * What a worker gives up before it parses. Every worker: no core dumps
 * (they would hold the disk's data). WORKER_CONFINE_READ_ONLY and
 * _SEAL_LATER: its standard streams go to /dev/null, it drops to an id
 * of its own (worker_id: no supplementary groups; gid, then
 * uid, real, effective and saved) and sets no_new_privs; READ_ONLY
 * installs the allow-list now (the descriptors it needs are open),
 * SEAL_LATER when the worker calls worker_seal(). The order matters: the
 * filter last, so the drop's own calls are not in it. The ROOT_* workers
 * keep root, set no_new_privs and install the deny-list.
 */
static int confine_now(enum worker_confine how)
{
	struct rlimit nocore = { 0, 0 };

	setrlimit(RLIMIT_CORE, &nocore);
	if (how == WORKER_CONFINE_NONE)
		return 0;
	if (how == WORKER_CONFINE_ROOT_WRITER || how == WORKER_CONFINE_ROOT_READER) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			return -errno;
		return filter_wanted() ? install_deny_filter(how == WORKER_CONFINE_ROOT_READER) : 0;
	}
	/* its standard streams: nowhere (the terminal is the parent's to write) */
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0)
		return -errno;
	for (int i = 0; i < 3; i++)
		if (null != i && dup2(null, i) < 0)
			return -errno;
	if (null > 2)
		close(null);
	if (geteuid() == 0) {
		uid_t id = worker_id();
		if (setgroups(0, NULL) < 0)
			return -errno;
		/* in a user namespace that maps few ids (a rootless container): nobody's */
		if (setresgid((gid_t)id, (gid_t)id, (gid_t)id) < 0 && errno == EINVAL)
			id = 65534;
		if (setresgid((gid_t)id, (gid_t)id, (gid_t)id) < 0 || setresuid(id, id, id) < 0)
			return -errno;
		if (setresuid(0, 0, 0) == 0)
			return -EPERM;	/* the drop did not hold */
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	if (how == WORKER_CONFINE_SEAL_LATER)
		return 0;
	return filter_wanted() ? install_read_only_filter() : 0;
}

static void try_escape(bool probe);

/* In a worker confined from its start: the test hook (try_escape) at once, else not yet. */
static bool confined_at_start(enum worker_confine how)
{
	return how != WORKER_CONFINE_NONE && how != WORKER_CONFINE_SEAL_LATER;
}

int worker_confine(enum worker_confine how)
{
	int rc = confine_now(how);

	if (rc == 0 && confined_at_start(how))
		try_escape(how == WORKER_CONFINE_ROOT_READER);
	return rc;
}

void worker_beat(const struct worker_beat *b)
{
	struct worker_beat none = { 0 };

	if (beat_fd < 0)
		return;
	/* atomic (less than PIPE_BUF); a full pipe is proof of life enough */
	if (write(beat_fd, b ? b : &none, sizeof(*b)) < 0) {
		/* nothing to do */
	}
}

/*
 * For tests only: what a confined worker tries after it was confined
 * (WINRESCUE_WORKER_ESCAPE=HOW for the workers of worker_call,
 * =probe:HOW for the scan's probe workers).
 */
static void try_escape(bool probe)
{
	const char *how = getenv("WINRESCUE_WORKER_ESCAPE");

	if (!how || !*how)
		return;
	if (strncmp(how, "probe:", 6) == 0) {
		if (!probe)
			return;
		how += 6;
	} else if (probe) {
		return;
	}
	if (!strcmp(how, "hold")) {
		/* for a test to read /proc/PID/status of a confined worker; then on as usual */
		struct timespec t = { 4, 0 };
		nanosleep(&t, NULL);
		return;
	}
	if (!strcmp(how, "write-stdout"))
		write(1, "x", 1);	/* /dev/null by now, and not its to write: killed */
	else if (!strcmp(how, "execve"))
		execl("/bin/true", "true", (char *)NULL);
	else if (!strcmp(how, "open"))
		open("/etc/hostname", O_RDONLY | O_CLOEXEC);
	else if (!strcmp(how, "socket"))
		socket(AF_UNIX, SOCK_STREAM, 0);
	else if (!strcmp(how, "open-write"))
		open("/dev/null", O_WRONLY | O_CLOEXEC);
	else if (!strcmp(how, "ptrace"))
		ptrace(PTRACE_PEEKUSER, getppid(), NULL, NULL);
	else if (!strcmp(how, "mount"))
		mount("none", "/nonexistent-winrescue-test", "tmpfs", 0, NULL);	/* harmless if let through */
	_exit(3);	/* it was not stopped: the parent says "failed (exit status 3)" */
}

int worker_seal(void)
{
	int rc = filter_wanted() ? install_read_only_filter() : 0;

	if (rc == 0)
		try_escape(false);
	return rc;
}

static void __attribute__((noreturn)) child(const struct worker_opts *o, worker_fn fn, void *arg,
					    unsigned long mem_mb, int out, int hb)
{
	struct wire_buf b = { 0 };
	int rc;

	worker_enter(mem_mb);
	beat_fd = hb;
	answer_fd = out;
	if (worker_confine(o->confine) < 0)
		_exit(2);
	rc = fn(arg, &b);
	if (rc == 0 && !write_all(out, b.data, b.len))
		rc = 1;
	_exit(rc);
}

static bool read_some(int fd, struct wire_buf *b, bool *eof)
{
	ssize_t r;

	wire_reserve(b, 65536);
	r = read(fd, b->data + b->len, b->cap - b->len);
	if (r > 0)
		b->len += (size_t)r;
	else if (r == 0 || (errno != EINTR && errno != EAGAIN))
		*eof = true;
	return r > 0;
}

/*
 * Wait for the answer: each beat moves the deadline on (and goes to
 * on_beat), silence for the whole time limit or a cancel kills the group.
 */
static void wait_answer(const struct worker_opts *o, int out, int hb,
			struct worker_result *r)
{
	double deadline = monotonic_s() + (double)r->timeout_s;
	bool eof = false, hb_open = true;
	struct worker_beat beat;
	size_t beat_have = 0;

	while (!eof) {
		struct pollfd p[2] = { { out, POLLIN, 0 }, { hb_open ? hb : -1, POLLIN, 0 } };
		double left = deadline - monotonic_s();
		if (left <= 0) {
			r->status = WORKER_TIMED_OUT;
			break;
		}
		int ms = left > 1 ? 1000 : (int)(left * 1000) + 1;
		int n = poll(p, 2, ms);
		if (n < 0 && errno != EINTR) {
			r->status = WORKER_CANCELLED;
			break;
		}
		if (n > 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
			ssize_t got = read(hb, (char *)&beat + beat_have, sizeof(beat) - beat_have);
			if (got > 0) {
				deadline = monotonic_s() + (double)r->timeout_s;
				beat_have += (size_t)got;
				if (beat_have == sizeof(beat)) {
					beat_have = 0;
					if (o->on_beat && beat.pass &&
					    !o->on_beat(o->beat_data, &beat)) {
						r->status = WORKER_CANCELLED;
						break;
					}
				}
			} else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
				hb_open = false;
			}
		}
		if (n > 0 && (p[0].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    read_some(out, &r->answer, &eof))
			deadline = monotonic_s() + (double)r->timeout_s;
		/* a cancel (Ctrl-C, a key in the TUI) is seen without a beat too */
		if (o->on_beat && !eof) {
			struct worker_beat idle = { 0 };
			if (!o->on_beat(o->beat_data, &idle)) {
				r->status = WORKER_CANCELLED;
				break;
			}
		}
	}
}

int worker_call(const struct worker_opts *o, worker_fn fn, void *arg, struct worker_result *r)
{
	int p[2] = { -1, -1 }, h[2] = { -1, -1 }, status = 0;
	pid_t pid;

	*r = (struct worker_result){ .status = WORKER_OK, .mem_mb = call_mem_mb(),
				     .timeout_s = call_timeout_s() };
	if (pipe2(p, O_CLOEXEC) < 0 || pipe2(h, O_CLOEXEC | O_NONBLOCK) < 0 ||
	    (pid = fork()) < 0) {
		r->status = WORKER_FAILED;
		r->code = -errno;
		for (int i = 0; i < 2; i++) {
			if (p[i] >= 0)
				close(p[i]);
			if (h[i] >= 0)
				close(h[i]);
		}
		return -1;
	}
	if (pid == 0) {
		close(p[0]);
		close(h[0]);
		child(o, fn, arg, r->mem_mb, p[1], h[1]);
	}
	worker_adopt(pid);
	close(p[1]);
	close(h[1]);
	wait_answer(o, p[0], h[0], r);
	if (r->status != WORKER_OK)
		worker_kill(pid);
	close(p[0]);
	close(h[0]);
	worker_reap(pid, &status, true);
	if (r->status != WORKER_OK)
		return -1;
	if (WIFSIGNALED(status)) {
		r->status = WORKER_CRASHED;
		r->sig = WTERMSIG(status);
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == WORKER_EXIT_OOM) {
		r->status = WORKER_OUT_OF_MEMORY;
	} else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		r->status = WORKER_FAILED;
		r->code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	}
	return r->status == WORKER_OK ? 0 : -1;
}

void worker_result_free(struct worker_result *r)
{
	free(r->answer.data);
	r->answer = (struct wire_buf){ 0 };
}

char *worker_failure_words(const struct worker_result *r)
{
	switch (r->status) {
	case WORKER_OK:
		return xstrdup("it finished");
	case WORKER_OUT_OF_MEMORY:
		return xasprintf("it needed more than %lu MiB of memory (WINRESCUE_WORKER_MEM_MB)",
				 r->mem_mb);
	case WORKER_TIMED_OUT:
		return xasprintf("it went %lu s without progress (WINRESCUE_WORKER_TIMEOUT) and was "
				 "stopped", r->timeout_s);
	case WORKER_CRASHED:
		if (r->sig == SIGSYS)
			return xstrdup("it tried something a parser never needs (a system call "
				       "outside its sandbox) and was stopped: the volume may be crafted");
		return xasprintf("it crashed (signal %d, %s)", r->sig, strsignal(r->sig));
	case WORKER_CANCELLED:
		return xstrdup("it was cancelled");
	case WORKER_FAILED:
		break;
	}
	if (r->code < 0 && r->code != -1)
		return xasprintf("no process could be started for it (%s)", strerror(-r->code));
	if (r->code == 2)
		return xstrdup("its sandbox could not be set up");
	if (r->code > 0)
		return xasprintf("it failed (exit status %d)", r->code);
	return xstrdup("it sent an incomplete answer");
}
