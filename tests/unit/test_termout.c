/*
 * The filter in front of stdout and stderr (lib/termout.c): what any
 * printf of the scripted commands sends reaches the descriptor sanitized,
 * a UTF-8 sequence cut between two writes included; JSON passes as it is.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/termout.h"

static int saved_fd = -1, cap_fd = -1;

/* From here until captured(), descriptor 1 is a memory file. */
static void capture(void)
{
	fflush(stdout);
	cap_fd = memfd_create("test-termout", 0);
	assert_true(cap_fd >= 0);
	saved_fd = dup(STDOUT_FILENO);
	assert_true(dup2(cap_fd, STDOUT_FILENO) >= 0);
}

/* What reached descriptor 1 since capture() (malloc'ed). */
static char *captured(void)
{
	char *s = calloc(4096, 1);
	ssize_t n;

	fflush(stdout);
	dup2(saved_fd, STDOUT_FILENO);
	close(saved_fd);
	n = pread(cap_fd, s, 4095, 0);
	assert_true(n >= 0);
	close(cap_fd);
	return s;
}

static void test_utf8_stream(void **state)
{
	char *s;

	(void)state;
	assert_non_null(setlocale(LC_CTYPE, "C.UTF-8"));
	termout_init();
	assert_false(termout_ascii());
	capture();
	/* "Н" (d0 9d) and U+009B (c2 9b) each cut between two writes */
	fputs("a\xd0", stdout);
	fflush(stdout);
	fputs("\x9d" "b\xc2", stdout);
	fflush(stdout);
	printf("\x9b" "c\n\t\x1b[2J %s\n", "\xe2\x80\xae" "rtl\xff");
	s = captured();
	assert_string_equal(s, "a\xd0\x9d" "b?c\n\t?[2J ?rtl?\n");
	free(s);
}

static void test_ascii_stream_and_json(void **state)
{
	char *s;

	(void)state;
	assert_non_null(setlocale(LC_CTYPE, "C"));
	termout_init();
	assert_true(termout_ascii());
	capture();
	printf("%s|", "Новый том\xc2\x9b\xff");
	fputs("cut\xe2\x80", stdout);
	fflush(stdout);
	/*
	 * the cut sequence ends as '?'s; the document's C1 and bidi controls are
	 * written as \uXXXX, the rest as it is (the letters: output.sh, list --json)
	 */
	termout_json("{\"label\": \"\xc2\x9b\xe2\x80\xae\x7f\\u001b\"}");
	s = captured();
	assert_string_equal(s, "????? ?????|cut??{\"label\": \"\\u009b\\u202e\\u007f\\u001b\"}\n");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_stream),
		cmocka_unit_test(test_ascii_stream_and_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
