/*
 * One verdict per volume (actions/verdict.c): the state words and the next
 * step for what the quick look and a check saw, on hand-made snapshots.
 * The rules of issue 18: never "no problem" when something failed, the
 * damaged copy named, the first step that works (a repair, then the data
 * off, then Windows), never a step known to fail, "clean" and "dirty"
 * never in one sentence.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "actions/action.h"
#include "actions/verdict.h"

/* One disk with one NTFS partition, /dev/sdb2, as a fresh snapshot would hold it. */
struct fixture {
	struct inventory inv;
	struct disk disk;
	struct partition part;
	struct ntfs_state n;
	struct vol_ref ref;
	struct verdict vd;
};

static void setup(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	f->n = (struct ntfs_state){ .opened = true, .dirty = TRI_NO, .hibernated = TRI_NO,
				    .logfile = NTFS_LOGFILE_CLEAN, .mftmirr_ok = TRI_YES,
				    .mftmirr = NTFS_MIRR_OK, .bootsector_ok = TRI_YES,
				    .bootcopies = NTFS_BOOT_OK, .serial = 0x1234 };
	f->part = (struct partition){ .name = "sdb2", .path = "/dev/sdb2", .number = 2,
				      .size = 1 << 30, .vol = { .fstype = "ntfs", .ntfs = &f->n },
				      .role = PART_ROLE_DATA };
	f->disk = (struct disk){ .number = 3, .name = "sdb", .path = "/dev/sdb", .parts = &f->part,
				 .nparts = 1, .role = DISK_ROLE_DATA };
	f->inv = (struct inventory){ .disks = &f->disk, .ndisks = 1 };
	f->ref = target_ref(&f->inv, 0, &f->part);
}

static void judge(struct fixture *f, const struct check_memo *chk)
{
	verdict_free(&f->vd);
	f->ref = target_ref(&f->inv, 0, &f->part);
	verdict_of(&f->inv, &f->ref, chk, &f->vd);
}

static bool has(const char *s, const char *part)
{
	return s && strstr(s, part);
}

static void test_quick_look_is_not_a_check(void **state)
{
	struct fixture f;

	(void)state;
	setup(&f);
	judge(&f, NULL);
	assert_string_equal(f.vd.state, "no problem seen");
	assert_false(f.vd.damaged);
	assert_false(f.vd.checked);
	assert_true(has(f.vd.summary, "not checked"));
	assert_false(has(f.vd.state, "healthy"));
	assert_string_equal(f.vd.command, "winrescue check /dev/sdb2");
	assert_int_equal(f.vd.nfindings, 0);
	verdict_free(&f.vd);
}

static void test_primary_boot_sector(void **state)
{
	struct fixture f;

	(void)state;
	setup(&f);
	f.n.bootsector_ok = TRI_NO;
	f.n.bootcopies = NTFS_BOOT_PRIMARY_BAD;
	f.n.opened = false;
	f.n.error = "the primary boot sector is damaged; the volume cannot be opened";
	judge(&f, NULL);
	assert_string_equal(f.vd.state, "primary boot sector damaged");
	assert_true(f.vd.damaged);
	assert_int_equal(f.vd.severity, SEV_ERROR);
	/* the repair, never a mount that fails or chkdsk that cannot open it */
	assert_string_equal(f.vd.command, "winrescue fix /dev/sdb2");
	assert_false(has(f.vd.next, "mount"));
	assert_false(has(f.vd.next, "chkdsk"));
	/* one finding: the boot sector explains why it cannot be opened */
	assert_int_equal(f.vd.nfindings, 1);
	assert_string_equal(f.vd.findings[0].code, "ntfs-bootsector-mismatch");
	assert_string_equal(f.vd.findings[0].action, f.vd.next);

	f.n.bootcopies = NTFS_BOOT_BACKUP_BAD;
	f.n.opened = true;
	f.n.error = NULL;
	f.n.hibernated = TRI_YES;
	judge(&f, NULL);
	assert_true(has(f.vd.state, "backup boot sector damaged"));
	assert_true(has(f.vd.state, "hibernated"));
	/* fix refuses a hibernated volume without the flag: the step carries it and the loss */
	assert_string_equal(f.vd.command, "winrescue fix /dev/sdb2 --discard-hibernation");
	assert_true(has(f.vd.next, "session is lost"));
	verdict_free(&f.vd);
}

static void test_mirror_mounted(void **state)
{
	struct fixture f;
	char *mp[] = { "/mnt/winrescue/Data" };

	(void)state;
	setup(&f);
	f.n.mftmirr_ok = TRI_NO;
	f.n.mftmirr = NTFS_MIRR_DIFFER;
	f.part.vol.use.mountpoints = mp;
	f.part.vol.use.nmountpoints = 1;
	judge(&f, NULL);
	assert_string_equal(f.vd.state, "$MFTMirr differs");
	/* fix refuses a mounted volume: unmount first, by name */
	assert_true(has(f.vd.next, "Unmount it first ('winrescue umount /dev/sdb2')"));
	assert_string_equal(f.vd.command, "winrescue fix /dev/sdb2");
	verdict_free(&f.vd);
}

/* fix refuses while hibernation cannot be told: its step is never offered then */
static void test_hibernation_unknown(void **state)
{
	struct fixture f;
	char *mp[] = { "/mnt/ro" };

	(void)state;
	setup(&f);
	f.n.hibernated = TRI_UNKNOWN;
	f.n.bootsector_ok = TRI_NO;
	f.n.bootcopies = NTFS_BOOT_BACKUP_BAD;
	judge(&f, NULL);
	assert_null(f.vd.command);
	assert_true(has(f.vd.next, "cannot tell whether Windows is hibernated"));
	assert_true(has(f.vd.next, "winrescue mount /dev/sdb2"));
	assert_false(has(f.vd.next, "winrescue fix"));
	/* a volume cut short stays cut short after a check */
	struct check_memo m = { .device = "/dev/sdb2", .serial = 0x1234, .status = ACT_ERRORS_LEFT,
				.errors = 2, .ntfs = true, .hibernated = 0, .logfile = NC_LOG_CLEAN,
				.summary = "2 errors" };
	f.n.hibernated = TRI_NO;
	f.n.truncated = true;
	judge(&f, &m);
	assert_true(has(f.vd.state, "truncated"));
	/* check takes a read-only mount as it is: no unmount first */
	verdict_free(&f.vd);
	setup(&f);
	f.n.error = "the NTFS metadata is inconsistent";
	f.part.vol.use.mountpoints = mp;
	f.part.vol.use.nmountpoints = 1;
	judge(&f, NULL);
	assert_string_equal(f.vd.command, "winrescue check /dev/sdb2");
	assert_false(has(f.vd.next, "Unmount"));
	verdict_free(&f.vd);
}

static void test_unreadable_folder(void **state)
{
	struct fixture f;
	char *errs[] = { "\\Windows\\System32\\config cannot be read (Input/output error)" };

	(void)state;
	setup(&f);
	f.n.read_errors = errs;
	f.n.nread_errors = 1;
	f.n.has_windows_dir = true;
	judge(&f, NULL);
	assert_true(f.vd.damaged);
	assert_string_equal(f.vd.state, "a folder unreadable");
	assert_string_equal(f.vd.command, "winrescue check /dev/sdb2");
	assert_string_equal(f.vd.findings[0].code, "ntfs-folder-unreadable");
	verdict_free(&f.vd);
}

static void test_checked(void **state)
{
	struct fixture f;
	struct check_memo m = { .device = "/dev/sdb2", .serial = 0x1234, .status = ACT_ERRORS_LEFT,
				.errors = 3, .by_fix = 3, .ntfs = true, .hibernated = 0,
				.logfile = NC_LOG_CLEAN, .dirty = 0, .summary = "3 errors" };

	(void)state;
	setup(&f);
	judge(&f, &m);
	assert_true(f.vd.checked);
	assert_string_equal(f.vd.state, "3 errors (checked)");
	assert_string_equal(f.vd.command, "winrescue fix /dev/sdb2");

	/* some need chkdsk: the data off first (it mounts), then Windows */
	m.by_fix = 1;
	judge(&f, &m);
	assert_null(f.vd.command);
	assert_true(has(f.vd.next, "winrescue mount /dev/sdb2"));
	assert_true(has(f.vd.next, "chkdsk /f"));
	assert_true(strstr(f.vd.next, "mount") < strstr(f.vd.next, "chkdsk"));
	/* ... and when nothing here mounts it, never the mount */
	f.n.opened = false;
	judge(&f, &m);
	assert_false(has(f.vd.next, "mount"));
	/* the Windows volume: chkdsk from Windows RE, and how to get there */
	f.n.has_windows = true;
	f.n.win = &(struct win_system){ .current = 1 };
	judge(&f, &m);
	assert_true(has(f.vd.next, "Windows RE"));
	assert_true(has(f.vd.next, "provider's console"));

	/* read errors: nothing that writes, the data off first */
	f.n.opened = true;
	m.read_errors = true;
	m.by_fix = 3;
	judge(&f, &m);
	assert_null(f.vd.command);
	assert_false(has(f.vd.next, "winrescue fix"));
	assert_true(has(f.vd.next, "read errors"));
	assert_true(has(f.vd.next, "winrescue mount /dev/sdb2"));

	/* a clean check of a dirty volume: its words never say "clean" beside "dirty" */
	m = (struct check_memo){ .device = "/dev/sdb2", .serial = 0x1234, .status = ACT_OK,
				 .ntfs = true, .logfile = NC_LOG_CLEAN, .dirty = 1,
				 .summary = "no errors; marked dirty" };
	judge(&f, &m);
	assert_string_equal(f.vd.state, "no errors (checked), dirty");
	assert_false(has(f.vd.state, "clean") && has(f.vd.state, "dirty"));
	for (size_t i = 0; i < f.vd.nfindings; i++)
		assert_false(has(f.vd.findings[i].message, "clean") &&
			     has(f.vd.findings[i].message, "dirty"));
	/* a check since the quick look: its word on the boot sectors counts */
	f.n.bootcopies = NTFS_BOOT_PRIMARY_BAD;
	judge(&f, &m);
	assert_false(f.vd.damaged);
	verdict_free(&f.vd);
}

static void test_hive(void **state)
{
	struct fixture f;
	struct check_memo m = { .device = "/dev/sdb2", .serial = 0x1234, .status = ACT_OK,
				.ntfs = true, .logfile = NC_LOG_CLEAN, .dirty = 0, .summary = "clean" };

	(void)state;
	setup(&f);
	f.n.has_windows = f.n.has_windows_dir = true;
	f.n.win_error = "\\Windows\\System32\\config\\SYSTEM cannot be read as a registry hive";
	judge(&f, NULL);
	assert_true(f.vd.damaged);
	assert_string_equal(f.vd.state, "SYSTEM hive unreadable");
	assert_string_equal(f.vd.command, "winrescue check /dev/sdb2");
	/* the volume checks without errors: the hive file itself, from Windows RE */
	judge(&f, &m);
	assert_null(f.vd.command);
	assert_true(has(f.vd.next, "RegBack"));
	verdict_free(&f.vd);
}

static void test_hands_off_and_others(void **state)
{
	struct fixture f;

	(void)state;
	setup(&f);
	f.n.dirty = TRI_YES;
	f.disk.role = DISK_ROLE_RESCUE;
	judge(&f, NULL);
	assert_string_equal(f.vd.state, "dirty");
	assert_null(f.vd.next);		/* the rescue system's own: no step */
	assert_true(has(f.vd.findings[0].action, "rescue system's own disk"));

	verdict_free(&f.vd);
	setup(&f);
	f.part.vol.fstype = "BitLocker";
	f.part.vol.ntfs = NULL;
	judge(&f, NULL);
	assert_string_equal(f.vd.state, "locked (BitLocker)");
	assert_true(has(f.vd.next, "recovery key"));

	verdict_free(&f.vd);
	setup(&f);
	f.part.vol.ntfs = NULL;
	f.part.vol.fstype = "ext4";
	judge(&f, NULL);
	assert_string_equal(f.vd.state, "-");
	assert_null(f.vd.next);

	/* the numbers every view uses: the disk's own, not its place in this snapshot */
	verdict_free(&f.vd);
	setup(&f);
	char *w = verdict_where(&f.ref);
	assert_string_equal(w, "Disk 3 partition 2");
	free(w);
	verdict_free(&f.vd);
}

/* fsck's 1 is "corrected": a title says what happened, not the exit status */
static void test_titles(void **state)
{
	struct job j = { .act = &action_fix };

	(void)state;
	j.res = (struct action_result){ .status = ACT_CORRECTED, .code = "corrected" };
	assert_string_equal(job_result_title(&j), "Repaired");
	j.res = (struct action_result){ .status = ACT_ERRORS_LEFT, .code = "errors-left" };
	assert_string_equal(job_result_title(&j), "Errors remain");
	j.res = (struct action_result){ .status = ACT_OK, .code = "nothing-to-fix" };
	assert_string_equal(job_result_title(&j), "Nothing to repair");
	j.res = (struct action_result){ .status = ACT_REFUSED, .code = "cancelled" };
	assert_string_equal(job_result_title(&j), "Cancelled");
	j.res = (struct action_result){ .status = ACT_REFUSED, .code = "hibernated" };
	assert_string_equal(job_result_title(&j), "Refused");
	j.act = &action_mount;
	j.res = (struct action_result){ .status = ACT_FAILED, .code = "mount-failed" };
	assert_string_equal(job_result_title(&j), "Failed");
	j.act = &action_undo;
	j.res = (struct action_result){ .status = ACT_OK, .code = "restored" };
	assert_string_equal(job_result_title(&j), "Restored");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quick_look_is_not_a_check),
		cmocka_unit_test(test_primary_boot_sector),
		cmocka_unit_test(test_mirror_mounted),
		cmocka_unit_test(test_hibernation_unknown),
		cmocka_unit_test(test_unreadable_folder),
		cmocka_unit_test(test_checked),
		cmocka_unit_test(test_hive),
		cmocka_unit_test(test_hands_off_and_others),
		cmocka_unit_test(test_titles),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
