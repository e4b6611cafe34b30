/*
 * The read cache of probes/prefetch.c must return exactly what pread()
 * returns, wherever a read falls: inside an announced range, across two,
 * outside all, past the end of the file; and errors must come through.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/util.h"
#include "probes/probes.h"

#define FILE_SIZE (1024 * 1024 + 300)	/* not a whole number of pages */

static int make_file(void)
{
	char path[] = "/tmp/winrescue-readcache.XXXXXX";
	int fd = mkstemp(path);
	unsigned char *buf = malloc(FILE_SIZE);

	assert_true(fd >= 0);
	assert_non_null(buf);
	unlink(path);
	for (size_t i = 0; i < FILE_SIZE; i++)
		buf[i] = (unsigned char)(i * 7 + i / 4096);
	assert_int_equal(write(fd, buf, FILE_SIZE), FILE_SIZE);
	free(buf);
	return fd;
}

/* Read [off, off+len) through the cache and straight from the file: same bytes, same count. */
static void expect_read(struct readcache *c, int fd, uint64_t off, size_t len)
{
	unsigned char *a = malloc(len + 1), *b = malloc(len + 1);
	ssize_t ra, rb;

	assert_non_null(a);
	assert_non_null(b);
	ra = readcache_pread(c, a, len, off);
	rb = pread(fd, b, len, (off_t)off);
	if (rb > 0 && (size_t)rb < len) {	/* pread may stop short; the cache reads on */
		ssize_t more = pread(fd, b + rb, len - (size_t)rb, (off_t)(off + (uint64_t)rb));
		if (more > 0)
			rb += more;
	}
	assert_int_equal(ra, rb);
	if (rb > 0)
		assert_memory_equal(a, b, (size_t)rb);
	free(a);
	free(b);
}

static void test_same_bytes(void **state)
{
	struct prefetch_plan hints = { 0 };
	struct readcache c;
	int fd = make_file();

	(void)state;
	prefetch_add(&hints, UINT64_MAX, 100, 50);		/* page 0 */
	prefetch_add(&hints, UINT64_MAX, 5000, 3000);		/* pages 1..; touches the next */
	prefetch_add(&hints, UINT64_MAX, 8192, 100);
	prefetch_add(&hints, UINT64_MAX, 600 * 1024, 400 * 1024);	/* too big to hold */
	prefetch_add(&hints, UINT64_MAX, FILE_SIZE - 100, 4096);	/* runs past the end */
	readcache_init(&c, fd, &hints);

	expect_read(&c, fd, 100, 50);		/* inside, first use */
	expect_read(&c, fd, 0, 4096);		/* the whole page of that hint */
	expect_read(&c, fd, 120, 10);		/* inside, from memory */
	expect_read(&c, fd, 4096, 8192);	/* across the two joined hints */
	expect_read(&c, fd, 4000, 200);		/* across a range's start */
	expect_read(&c, fd, 12288, 10);		/* just after a range: not announced */
	expect_read(&c, fd, 700 * 1024, 512);	/* inside the big range: read as asked */
	expect_read(&c, fd, 300 * 1024, 4096);	/* nowhere */
	expect_read(&c, fd, FILE_SIZE - 100, 100);	/* the last bytes */
	expect_read(&c, fd, FILE_SIZE - 100, 4096);	/* past the end: short */
	expect_read(&c, fd, FILE_SIZE + 10, 10);	/* beyond: 0 */
	expect_read(&c, fd, 5000, 0);		/* nothing asked */
	readcache_free(&c);
	prefetch_plan_free(&hints);
	close(fd);
}

/* A range that cannot be read must not swallow the error or invent data. */
static void test_errors(void **state)
{
	struct prefetch_plan hints = { 0 };
	struct readcache c;
	char buf[16];
	int fd = make_file();

	(void)state;
	prefetch_add(&hints, UINT64_MAX, 0, 4096);
	readcache_init(&c, fd, &hints);
	close(fd);	/* every read now fails with EBADF */
	errno = 0;
	assert_int_equal(readcache_pread(&c, buf, sizeof(buf), 10), -1);
	assert_int_equal(errno, EBADF);
	errno = 0;
	assert_int_equal(readcache_pread(&c, buf, sizeof(buf), 10), -1);	/* not from memory */
	assert_int_equal(errno, EBADF);
	readcache_free(&c);
	prefetch_plan_free(&hints);

	readcache_init(&c, -1, NULL);	/* no hints: owns nothing, reads go straight through */
	assert_int_equal(readcache_pread(&c, buf, sizeof(buf), 0), -1);
	assert_int_equal(errno, EBADF);
	readcache_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_bytes),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
