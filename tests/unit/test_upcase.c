/*
 * probes/ntfs.c defines ntfs_upcase_table_build() so that libntfs-3g's
 * default upcase table is built once per process and copied after. The
 * copies must be exactly what the library builds, however often it asks.
 */
#include <sys/stat.h>	/* before any ntfs-3g header */

#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <ntfs-3g/types.h>
#include <ntfs-3g/volume.h>
#include <ntfs-3g/unistr.h>

typedef void (*build_fn)(ntfschar *, u32);

static build_fn library_build(void)
{
	build_fn f;

	*(void **)&f = dlsym(RTLD_NEXT, "ntfs_upcase_table_build");
	return f;
}

static void expect_same(u32 len)
{
	ntfschar *want = calloc(1, len), *got = calloc(1, len);

	assert_non_null(want);
	assert_non_null(got);
	library_build()(want, len);
	memset(got, 0xa5, len);
	ntfs_upcase_table_build(got, len);	/* ours */
	assert_memory_equal(want, got, len);
	free(want);
	free(got);
}

static void test_same_as_library(void **state)
{
	(void)state;
	assert_non_null(library_build());
	assert_true(library_build() != ntfs_upcase_table_build);
	/* the length ntfs_upcase_build_default() asks for (the library's
	 * tables assume it: a shorter buffer would be overrun) */
	expect_same(65536 * sizeof(ntfschar));	/* built */
	expect_same(65536 * sizeof(ntfschar));	/* from the kept copy */
}

/* The library's own caller gets our table too, and it is the real one. */
static void test_library_default(void **state)
{
	ntfschar *uc = NULL, *want = calloc(65536, sizeof(ntfschar));
	u32 n;

	(void)state;
	assert_non_null(want);
	library_build()(want, 65536 * sizeof(ntfschar));
	n = ntfs_upcase_build_default(&uc);
	assert_int_equal(n, 65536);
	assert_memory_equal(uc, want, 65536 * sizeof(ntfschar));
	assert_int_equal(uc['a'], 'A');
	free(uc);
	free(want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_as_library),
		cmocka_unit_test(test_library_default),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
