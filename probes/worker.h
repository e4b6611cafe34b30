/*
 * worker.h - what parses an untrusted disk runs in a limited child process.
 *
 * worker_call() forks; the child sets itself up (worker_enter: its own
 * process group, killed when winrescue dies, a memory limit, an
 * allocation that fails ends it with "out of memory"), confines itself
 * (worker_confine), runs the function it was given and writes its answer
 * to a pipe. The parent waits under a time limit that each sign of life
 * (worker_beat, which may carry progress) moves on; a worker silent for
 * the whole limit, or one the parent cancels, is killed with its process
 * group (mtools it started too). A crash, the memory limit or the time
 * limit costs only that worker: the parent gets a status and says it, in
 * words, for that volume.
 *
 * The scan's probe workers (scan.c) run several at once and keep their own
 * loop, but the child is set up and killed by the same two functions.
 */
#ifndef WINRESCUE_WORKER_H
#define WINRESCUE_WORKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "probes/probes.h"	/* struct wire_buf */

/* A worker's exit status when an allocation failed (its memory limit). */
#define WORKER_EXIT_OOM 86

enum worker_status {
	WORKER_OK = 0,		/* it ran to its end and sent its answer */
	WORKER_OUT_OF_MEMORY,	/* its memory limit stopped it */
	WORKER_TIMED_OUT,	/* silent for the whole time limit: killed with its group */
	WORKER_CRASHED,		/* a signal ended it (sig) */
	WORKER_FAILED,		/* not started, an exit status not 0 (code), or a short answer */
	WORKER_CANCELLED,	/* the parent's on_beat said stop: killed with its group */
};

/* What a worker may do once it parses (worker_confine). */
enum worker_confine {
	WORKER_CONFINE_NONE = 0,	/* limits only (libraries that open files, mtools) */
	/*
	 * Read what was opened before, write its answer, allocate memory, end:
	 * an unprivileged user, no supplementary groups, no_new_privs and a
	 * seccomp filter that kills it on any other system call (execve,
	 * open, socket...). Where the filter cannot be installed (no
	 * libseccomp at build time), the limits and the user drop only.
	 */
	WORKER_CONFINE_READ_ONLY,
	/*
	 * The same, in two steps, for a library that opens its input by path
	 * (hivex): the user drop and no_new_privs at the start, the filter
	 * when the function calls worker_seal() once that input is open.
	 */
	WORKER_CONFINE_SEAL_LATER,
	/*
	 * Workers that must stay root because they open devices by path as
	 * they go: no_new_privs and a filter that kills them on what no
	 * parser needs (worker.c: deny_filter): sockets, ptrace, mount and
	 * namespaces, modules, keys, bpf, io_uring, changing owners or
	 * modes, making, renaming or removing files, terminal injection,
	 * ioctls that change a block or loop device.
	 */
	WORKER_CONFINE_ROOT_WRITER,	/* also no execve (the journal reset) */
	WORKER_CONFINE_ROOT_READER,	/* execve allowed (mtools), nothing opened for writing (probes) */
};

/* A sign of life, with what the worker is at (progress for the parent's screen). */
struct worker_beat {
	int32_t pass;		/* 0: a plain sign of life */
	uint64_t done, total;
	char what[40];
};

struct worker_opts {
	const char *what;		/* "the check", for messages */
	enum worker_confine confine;
	/* in the parent, at each beat; false: cancel (the worker is killed) */
	bool (*on_beat)(void *data, const struct worker_beat *b);
	void *beat_data;
};

struct worker_result {
	enum worker_status status;
	int sig;			/* CRASHED: the signal */
	int code;			/* FAILED: the exit status, or -errno when not started */
	struct wire_buf answer;		/* what it sent (complete when status is OK) */
	unsigned long mem_mb, timeout_s;	/* the limits it ran under */
};

/*
 * Run fn(arg, answer) in a worker: what fn appends to answer comes back in
 * r->answer; fn's return value is the worker's exit status (0: done).
 * Returns 0 when r->status is WORKER_OK, else -1 (r says why).
 */
typedef int (*worker_fn)(void *arg, struct wire_buf *answer);
int worker_call(const struct worker_opts *o, worker_fn fn, void *arg, struct worker_result *r);
void worker_result_free(struct worker_result *r);

/* Why a worker gave no answer, in words: "it needed more than 384 MiB of memory (...)". */
char *worker_failure_words(const struct worker_result *r);

/* In a worker: a sign of life for its time limit (b NULL: no progress to say). */
void worker_beat(const struct worker_beat *b);

/* ---- shared with the scan's probe workers ---- */

/* The memory limit in MiB (WINRESCUE_PROBE_MEM_MB, or the default for jobs at once). */
unsigned long worker_mem_mb(size_t jobs);
/* The time limit in seconds of silence (WINRESCUE_PROBE_TIMEOUT, default 60). */
unsigned long worker_timeout_s(void);
/*
 * In the child, first thing after fork: its own process group, SIGKILL
 * when winrescue ends, SIGPIPE as default, "out of memory" as
 * WORKER_EXIT_OOM, RLIMIT_AS at mem_mb (not under ASan). Returns the
 * limit applied (0: none).
 */
unsigned long worker_enter(unsigned long mem_mb);
/* In the parent, right after fork: the child's group, whichever of the two runs first. */
void worker_adopt(pid_t pid);
/* Kill a worker and everything in its process group. */
void worker_kill(pid_t pid);
/*
 * Wait for a worker (block false: only if it has ended; returns 0 then),
 * and kill what is left of its group before its id is freed. Returns the
 * pid, 0 when it has not ended (not blocking), -1 on error.
 */
pid_t worker_reap(pid_t pid, int *status, bool block);
/*
 * In the child, after it opened what it needs and before it parses: the
 * one place where a worker gives up what it does not need (see
 * enum worker_confine). Returns 0, or -errno when a step failed (the
 * worker then ends: it never parses with more than it was meant to have).
 */
int worker_confine(enum worker_confine how);
/*
 * In a WORKER_CONFINE_SEAL_LATER worker, once its input is open: the
 * seccomp filter of WORKER_CONFINE_READ_ONLY. Returns 0 or -errno (the
 * worker must then end).
 */
int worker_seal(void);

#endif
