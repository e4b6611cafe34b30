/*
 * The TUI's layers that need no terminal: keys to named requests (the
 * bindings, the help and the tests share them), the progress line, the
 * status words and the narrow-column formats.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <curses.h>

#include "actions/action.h"
#include "lib/util.h"
#include "tui/keys.h"
#include "tui/tui.h"

#define CTRL(c) ((c) & 0x1f)

static void test_keys(void **state)
{
	static const struct { int key; enum tui_req req; } map[] = {
		{ KEY_DOWN, REQ_DOWN }, { 'j', REQ_DOWN }, { CTRL('n'), REQ_DOWN }, { KEY_RIGHT, REQ_DOWN },
		{ KEY_UP, REQ_UP }, { 'k', REQ_UP }, { CTRL('p'), REQ_UP }, { KEY_LEFT, REQ_UP },
		{ '\t', REQ_NEXT_DISK }, { ']', REQ_NEXT_DISK }, { KEY_BTAB, REQ_PREV_DISK },
		{ '[', REQ_PREV_DISK }, { KEY_HOME, REQ_FIRST }, { 'g', REQ_FIRST },
		{ KEY_END, REQ_LAST }, { 'G', REQ_LAST }, { KEY_NPAGE, REQ_PAGE_DOWN },
		{ CTRL('f'), REQ_PAGE_DOWN }, { KEY_PPAGE, REQ_PAGE_UP }, { CTRL('b'), REQ_PAGE_UP },
		{ '\r', REQ_DETAILS }, { '\n', REQ_DETAILS }, { KEY_ENTER, REQ_DETAILS },
		{ 'd', REQ_DETAILS }, { KEY_F(3), REQ_DETAILS }, { 'a', REQ_MENU }, { ' ', REQ_MENU },
		{ KEY_F(2), REQ_MENU }, { 'l', REQ_LOG }, { KEY_F(4), REQ_LOG }, { 'r', REQ_REFRESH },
		{ KEY_F(5), REQ_REFRESH }, { '?', REQ_HELP }, { 'h', REQ_HELP }, { KEY_F(1), REQ_HELP },
		{ CTRL('l'), REQ_REDRAW }, { 27, REQ_BACK }, { KEY_BACKSPACE, REQ_BACK },
		{ 'q', REQ_QUIT }, { CTRL('c'), REQ_QUIT }, { KEY_F(10), REQ_QUIT },
		{ 'm', REQ_ACTION }, { 'u', REQ_ACTION }, { 'z', REQ_NONE }, { KEY_F(7), REQ_NONE },
	};
	bool has_letter[REQ_COUNT] = { false };

	(void)state;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		enum tui_req r = tui_req_for_key(map[i].key);
		if (r != map[i].req)
			fail_msg("key %s: request %d, expected %d", tui_key_name(map[i].key), r, map[i].req);
	}
	/* every command has a key that is not a function key (VNC swallows them) */
	for (int k = 1; k < 128; k++)
		has_letter[tui_req_for_key(k)] = true;
	for (int r = REQ_UP; r < REQ_COUNT; r++)
		if (!has_letter[r])
			fail_msg("request %d has no letter or control key", r);
	/* the help lists every request but REQ_ACTION (the registry lists those) */
	for (int r = REQ_UP; r < REQ_COUNT; r++) {
		bool listed = r == REQ_ACTION;
		for (const struct tui_binding *b = tui_bindings; b->keys; b++)
			listed |= b->req == (enum tui_req)r;
		if (!listed)
			fail_msg("request %d is not in the help", r);
	}
	/* the registry's keys are the actions' */
	assert_ptr_equal(action_for_key('m'), &action_mount);
	assert_ptr_equal(action_for_key('u'), &action_umount);
	assert_null(action_for_key('z'));
	assert_string_equal(tui_key_name(CTRL('l')), "Ctrl-L");
	assert_string_equal(tui_key_name(KEY_F(1)), "F1");
	assert_string_equal(tui_key_name('\r'), "Enter");
}

static void test_progress(void **state)
{
	struct action_progress p = { .step = "Checking", .step_no = 2, .nsteps = 5,
				     .done = 50ULL << 20, .total = 200ULL << 20, .elapsed = 10 };
	char *s;

	(void)state;
	s = tui_progress_line(&p, 72);
	/* a quarter in 10 s at 5 MiB/s: 30 s left */
	assert_string_equal(s, "[#####---------------]  25%  50.0 MiB of 200.0 MiB  5.0 MiB/s  ETA 0:30");
	free(s);
	p.total = 0;
	s = tui_progress_line(&p, 72);
	assert_string_equal(s, "step 2 of 5, 0:10 so far");
	free(s);
	/* never wider than asked, never past 100% */
	p.total = 1000;
	p.done = 5000;
	p.elapsed = 0;
	s = tui_progress_line(&p, 30);
	assert_true(text_width(s) <= 30);
	assert_non_null(strstr(s, "100%"));
	free(s);
}

static void test_words(void **state)
{
	char *s, b[16];

	(void)state;
	assert_string_equal(tui_size_short(512, b, sizeof(b)), "512B");
	assert_string_equal(tui_size_short(8ULL << 20, b, sizeof(b)), "8.0M");
	assert_string_equal(tui_size_short(87ULL << 20, b, sizeof(b)), "87M");
	assert_string_equal(tui_size_short(1023ULL << 20, b, sizeof(b)), "1023M");
	assert_string_equal(tui_size_short((1ULL << 30) - 1, b, sizeof(b)), "1.0G");
	assert_string_equal(tui_size_short(256ULL << 30, b, sizeof(b)), "256G");
	s = tui_fit_left("/mnt/winrescue/Windows", 11);
	assert_string_equal(s, ".../Windows");
	free(s);
	s = tui_fit_left("/mnt/winrescue/Windows", 10);
	assert_string_equal(s, "...Windows");
	free(s);
	s = tui_fit_left("/mnt/winrescue/System_Reserved", 10);
	assert_string_equal(s, "...eserved");
	free(s);
	s = tui_fit_left("/mnt", 10);
	assert_string_equal(s, "/mnt");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_progress),
		cmocka_unit_test(test_words),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
