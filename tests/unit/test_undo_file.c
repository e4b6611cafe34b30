/*
 * lib/safedir.c and actions/undo_file.c: the walk refuses a symbolic link,
 * a directory another user owns or may write to, and accepts root's sticky
 * /tmp as a parent; an undo file is written only for ranges inside areas
 * its action may write, carries a MAC made with the key beside its
 * directory, and is refused (UNDO_UNTRUSTED) once a byte of it changes,
 * when it lies in a directory others may write to, or in the old format.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "actions/undo.h"
#include "lib/safedir.h"
#include "lib/util.h"

static char top[] = "/tmp/wr-unit-undo-XXXXXX";

static int setup(void **state)
{
	(void)state;
	return mkdtemp(top) ? 0 : -1;
}

static int teardown(void **state)
{
	char *cmd = xasprintf("rm -rf '%s'", top);
	int rc = system(cmd);

	(void)state;
	free(cmd);
	return rc;
}

/* safedir_open(path): the descriptor closed; true when it was given. */
static bool opens(const char *path, unsigned flags, char **why)
{
	int fd = safedir_open(path, flags, 0700, why);

	if (fd >= 0)
		close(fd);
	return fd >= 0;
}

static void test_walk(void **state)
{
	char *why = NULL, *a = xasprintf("%s/a", top), *b = xasprintf("%s/a/b/c", top);
	char *link = xasprintf("%s/l", top), *via = xasprintf("%s/l/b/c", top);
	struct stat st;

	(void)state;
	/* made 0700, and judged right; /tmp (root's, sticky) is a parent it accepts */
	assert_true(opens(b, SAFEDIR_CREATE, &why));
	assert_int_equal(stat(b, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	/* missing: nothing made, no refusal */
	char *m = xasprintf("%s/missing/x", top);
	assert_false(opens(m, SAFEDIR_MISSING_OK, &why));
	assert_null(why);
	assert_int_not_equal(access(m, F_OK), 0);
	/* a symbolic link on the way */
	assert_int_equal(symlink(a, link), 0);
	assert_false(opens(via, 0, &why));
	assert_non_null(strstr(why, "symbolic link"));
	free(why);
	/* the last directory writable by its group, then by others */
	assert_int_equal(chmod(b, 0770), 0);
	assert_false(opens(b, 0, &why));
	assert_non_null(strstr(why, "its group"));
	free(why);
	assert_true(opens(b, SAFEDIR_GROUP_OK, &why));
	assert_int_equal(chmod(b, 0703), 0);
	assert_false(opens(b, SAFEDIR_GROUP_OK, &why));
	free(why);
	/* a parent others may write to, not sticky */
	assert_int_equal(chmod(b, 0700), 0);
	assert_int_equal(chmod(a, 0777), 0);
	assert_false(opens(b, 0, &why));
	assert_non_null(strstr(why, "every user"));
	free(why);
	assert_int_equal(chmod(a, 0700), 0);
	/* another user's directory */
	if (geteuid() == 0) {
		assert_int_equal(chown(b, 65534, 65534), 0);
		assert_false(opens(b, 0, &why));
		assert_non_null(strstr(why, "owned by uid 65534"));
		free(why);
		assert_int_equal(chown(b, 0, 0), 0);
	}
	assert_false(opens("/tmp/../tmp", 0, &why));
	free(why);
	free(a);
	free(b);
	free(m);
	free(link);
	free(via);
}

static const struct undo_area areas[] = { { "boot-sector", 0, 512 }, { "logfile", 8192, 8192 } };

/* An undo file for ranges r of a 64 KiB "volume" in dir; 0 or -1 with *err. */
static int save(const char *dir, const char *action, const struct undo_area *a, size_t na,
		const struct undo_range *r, size_t n, char **path, char **err)
{
	char *dev = xasprintf("%s/vol", top);
	int fd = open(dev, O_RDWR | O_CREAT | O_CLOEXEC, 0600), rc;
	uint64_t old[4];
	struct undo_writer w;

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 65536), 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(undo_hash_range(fd, r[i].off, r[i].len, &old[i]), 0);
	struct undo_bind b = { a, na, NULL };
	rc = undo_save(&w, dir, "vol", action, dev, 65536, "job", &b, r, old, n, fd, NULL, NULL, err);
	*path = rc == 0 ? w.path : NULL;
	close(fd);
	free(dev);
	return rc;
}

static void flip(const char *path, off_t at)
{
	int fd = open(path, O_RDWR);
	uint8_t c;

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &c, 1, at), 1);
	c ^= 1;
	assert_int_equal(pwrite(fd, &c, 1, at), 1);
	close(fd);
}

static void test_undo_file(void **state)
{
	char *dir = xasprintf("%s/undo", top), *path = NULL, *err = NULL;
	const struct undo_range r[] = { { 0, 512, 0, "primary boot sector" },
					{ 9000, 100, 0, "$LogFile" } };
	const struct undo_range out[] = { { 20000, 512, 0, "elsewhere" } };
	struct undo_file u;
	struct stat st;

	(void)state;
	/* outside every area, or an area the action never writes: nothing made */
	assert_int_equal(save(dir, "fix", areas, 2, out, 1, &path, &err), -1);
	assert_non_null(strstr(err, "outside every area"));
	free(err);
	assert_int_equal(save(dir, "fix-boot", areas, 2, r, 2, &path, &err), -1);
	assert_non_null(strstr(err, "fix-boot never writes logfile"));
	free(err);
	/* a good one: read back whole, its key root's 0600 */
	assert_int_equal(save(dir, "fix", areas, 2, r, 2, &path, &err), 0);
	char *key = xasprintf("%s.key", dir);
	assert_int_equal(stat(key, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_size, UNDO_KEY_LEN);
	assert_int_equal(undo_open(path, &u, &err), 0);
	assert_int_equal(u.n, 2);
	assert_string_equal(u.ext[1].what, "$LogFile");
	undo_close(&u);
	/* a copy with one byte changed, anywhere: the MAC */
	char *cmd, *copy = xasprintf("%s/copy.undo", dir);
	for (off_t at = 2; at < 700; at += 97) {
		cmd = xasprintf("cp -p '%s' '%s'", path, copy);
		assert_int_equal(system(cmd), 0);
		free(cmd);
		flip(copy, at);
		int rc = undo_open(copy, &u, &err);
		assert_true(rc < 0);
		free(err);
	}
	/* the end line's MAC itself */
	cmd = xasprintf("cp -p '%s' '%s'", path, copy);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	assert_int_equal(stat(copy, &st), 0);
	flip(copy, st.st_size - 10);
	assert_int_equal(undo_open(copy, &u, &err), UNDO_UNTRUSTED);
	assert_non_null(strstr(err, "MAC"));
	free(err);
	/* the old format */
	flip(copy, 15);		/* "WINRESCUE-UNDO 2" -> "... 3" */
	assert_int_equal(undo_open(copy, &u, &err), -1);
	free(err);
	/* a directory others may write to */
	assert_int_equal(chmod(dir, 0770), 0);
	assert_int_equal(undo_open(path, &u, &err), UNDO_UNTRUSTED);
	assert_non_null(strstr(err, "writable by its group"));
	free(err);
	assert_int_equal(chmod(dir, 0700), 0);
	/* the key not root's alone */
	assert_int_equal(chmod(key, 0640), 0);
	assert_int_equal(undo_open(path, &u, &err), UNDO_UNTRUSTED);
	free(err);
	assert_int_equal(chmod(key, 0600), 0);
	assert_int_equal(undo_open(path, &u, &err), 0);
	undo_close(&u);
	free(key);
	free(copy);
	free(path);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_walk),
		cmocka_unit_test(test_undo_file),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
