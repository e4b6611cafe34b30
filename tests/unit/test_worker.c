/*
 * worker.c: a worker's answer comes back whole; a crash, the memory limit,
 * the time limit, a cancel and an exit status each come back as their
 * status (never the end of the test process); what a worker started dies
 * with it at its time limit; beats reach the parent; a check report
 * survives the trip (wire.c) and a short one is safe to free.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/util.h"
#include "probes/ntfs_check.h"
#include "probes/worker.h"

static const struct worker_opts plain = { "a test", WORKER_CONFINE_NONE, NULL, NULL };

static int answer_hello(void *arg, struct wire_buf *b)
{
	(void)arg;
	wire_reserve(b, 6);
	memcpy(b->data + b->len, "hello", 6);
	b->len += 6;
	return 0;
}

static int crash(void *arg, struct wire_buf *b)
{
	(void)arg;
	(void)b;
	__builtin_trap();	/* SIGILL */
}

static int exit_5(void *arg, struct wire_buf *b)
{
	(void)arg;
	(void)b;
	return 5;
}

static int out_of_memory(void *arg, struct wire_buf *b)
{
	(void)arg;
	(void)b;
	_exit(WORKER_EXIT_OOM);	/* as xmalloc ends a worker (a real limit: worker.sh) */
}

/* Starts a child of its own (as a probe starts mcopy), writes its pid, hangs. */
static int hang_with_child(void *arg, struct wire_buf *b)
{
	int *p = arg;
	pid_t c = fork();

	(void)b;
	if (c == 0) {
		for (;;)
			pause();
	}
	if (write(p[1], &c, sizeof(c)) < 0)
		return 1;
	for (;;)
		pause();
}

static int beats(void *arg, struct wire_buf *b)
{
	(void)arg;
	(void)b;
	for (int i = 1; i <= 3; i++) {
		struct worker_beat bt = { .pass = i, .done = (uint64_t)i };
		worker_beat(&bt);
	}
	nanosleep(&(struct timespec){ .tv_nsec = 200 * 1000000L }, NULL);
	return 0;
}

static bool count_beats(void *data, const struct worker_beat *b)
{
	int *n = data;

	if (b->pass > 0)
		(*n)++;
	return true;
}

static bool cancel_at_2(void *data, const struct worker_beat *b)
{
	(void)data;
	return b->pass != 2;
}

static void test_answer(void **state)
{
	struct worker_result r;

	(void)state;
	assert_int_equal(worker_call(&plain, answer_hello, NULL, &r), 0);
	assert_int_equal(r.status, WORKER_OK);
	assert_int_equal(r.answer.len, 6);
	assert_string_equal((char *)r.answer.data, "hello");
	worker_result_free(&r);
}

static void test_failures(void **state)
{
	struct worker_result r;
	char *w;

	(void)state;
	assert_int_equal(worker_call(&plain, crash, NULL, &r), -1);
	assert_int_equal(r.status, WORKER_CRASHED);
	assert_int_equal(r.sig, SIGILL);
	w = worker_failure_words(&r);
	assert_non_null(strstr(w, "crashed (signal 4"));
	free(w);
	worker_result_free(&r);

	assert_int_equal(worker_call(&plain, exit_5, NULL, &r), -1);
	assert_int_equal(r.status, WORKER_FAILED);
	assert_int_equal(r.code, 5);
	worker_result_free(&r);

	assert_int_equal(worker_call(&plain, out_of_memory, NULL, &r), -1);
	assert_int_equal(r.status, WORKER_OUT_OF_MEMORY);
	w = worker_failure_words(&r);
	assert_non_null(strstr(w, "MiB of memory (WINRESCUE_WORKER_MEM_MB)"));
	free(w);
	worker_result_free(&r);
}

static bool alive(pid_t pid)
{
	char path[64], buf[256], *c;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (!(f = fopen(path, "re")))
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	c = strrchr(buf, ')');
	return c && c[1] == ' ' && c[2] != 'Z';
}

static void test_timeout_kills_group(void **state)
{
	struct worker_result r;
	int p[2];
	pid_t grandchild = 0;

	(void)state;
	assert_int_equal(pipe(p), 0);
	setenv("WINRESCUE_WORKER_TIMEOUT", "1", 1);
	assert_int_equal(worker_call(&plain, hang_with_child, p, &r), -1);
	unsetenv("WINRESCUE_WORKER_TIMEOUT");
	assert_int_equal(r.status, WORKER_TIMED_OUT);
	worker_result_free(&r);
	assert_int_equal(read(p[0], &grandchild, sizeof(grandchild)), (ssize_t)sizeof(grandchild));
	close(p[0]);
	close(p[1]);
	/* killed with the worker's group: gone within a moment (or a zombie init has not reaped) */
	for (int i = 0; i < 50 && alive(grandchild); i++)
		nanosleep(&(struct timespec){ .tv_nsec = 20 * 1000000L }, NULL);
	assert_false(alive(grandchild));
}

static void test_beats_and_cancel(void **state)
{
	struct worker_result r;
	int n = 0;
	struct worker_opts o = { "a test", WORKER_CONFINE_NONE, count_beats, &n };
	struct worker_opts c = { "a test", WORKER_CONFINE_NONE, cancel_at_2, NULL };

	(void)state;
	assert_int_equal(worker_call(&o, beats, NULL, &r), 0);
	assert_int_equal(n, 3);
	worker_result_free(&r);
	assert_int_equal(worker_call(&c, beats, NULL, &r), -1);
	assert_int_equal(r.status, WORKER_CANCELLED);
	worker_result_free(&r);
}

static void test_report_wire(void **state)
{
	struct nc_report a = { 0 }, b;
	struct wire_buf w = { 0 };
	const unsigned char *pos;

	(void)state;
	a.nfindings = 2;
	a.findings = xcalloc(2, sizeof(*a.findings));
	a.findings[0] = (struct nc_finding){ NC_ERROR, xstrdup("mft-link-count"), 6, 64,
					     xstrdup("\\dir"), xstrdup("Record 64 says..."),
					     NC_REPAIR_CHKDSK };
	a.findings[1] = (struct nc_finding){ NC_WARNING, xstrdup("volume-dirty"), 7, -1, NULL,
					     xstrdup("dirty"), NC_REPAIR_NONE };
	a.errors = 1;
	a.op_error = xstrdup("why");
	a.nlogfile_runs = 1;
	a.logfile_runs = xcalloc(1, sizeof(*a.logfile_runs));
	a.logfile_runs[0] = (struct nc_run){ 0, 100, 16 };
	a.boot.geom.cluster = 4096;
	wire_put_report(&w, &a);
	pos = w.data;
	assert_true(wire_get_report(&pos, w.data + w.len, &b));
	assert_ptr_equal(pos, w.data + w.len);
	assert_int_equal(b.nfindings, 2);
	assert_string_equal(b.findings[0].path, "\\dir");
	assert_null(b.findings[1].path);
	assert_string_equal(b.findings[1].code, "volume-dirty");
	assert_string_equal(b.op_error, "why");
	assert_int_equal(b.logfile_runs[0].lcn, 100);
	assert_int_equal(b.boot.geom.cluster, 4096);
	nc_report_free(&b);
	/* every shorter answer: false, and safe to free */
	for (size_t len = 0; len < w.len; len++) {
		pos = w.data;
		assert_false(wire_get_report(&pos, w.data + len, &b));
		nc_report_free(&b);
	}
	nc_report_free(&a);
	free(w.data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_answer),
		cmocka_unit_test(test_failures),
		cmocka_unit_test(test_timeout_kills_group),
		cmocka_unit_test(test_beats_and_cancel),
		cmocka_unit_test(test_report_wire),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
