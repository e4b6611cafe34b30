/*
 * Disks, mounts and rescue-disk resolution on captured /sys + /proc trees
 * of real machines (util-linux's lsblk test data, unpacked by run-unit.sh
 * into $WR_SYSFS_TREES).
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
#include "lib/util.h"
#include "probes/probes.h"

static char *tree(const char *name)
{
	const char *base = getenv("WR_SYSFS_TREES");
	return base ? xasprintf("%s/%s", base, name) : NULL;
}

static struct disk *find_disk(struct disk *d, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(d[i].name, name) == 0)
			return &d[i];
	return NULL;
}

/* What a probe worker does first: read each candidate, drop what is no disk. */
static void read_disks(const struct probe_ctx *ctx, struct disk *d, size_t *n)
{
	size_t kept = 0;

	for (size_t i = 0; i < *n; i++) {
		if (sysfs_read_disk(ctx, &d[i]))
			d[kept++] = d[i];
		else
			disk_free_fields(&d[i]);
	}
	*n = kept;
}

static void free_disks(struct disk *d, size_t n)
{
	struct inventory *inv = xcalloc(1, sizeof(*inv));
	inv->disks = d;
	inv->ndisks = n;
	inventory_free(inv);
}

static void rescue_of(const char *name, char ***names, char ***reasons, size_t *n)
{
	char *root = tree(name);
	struct probe_ctx ctx = { .sysroot = root };
	struct mount_table mt;

	assert_int_equal(mounts_load(&ctx, &mt), 0);
	*names = *reasons = NULL;
	*n = 0;
	mounts_rescue_disks(&ctx, &mt, names, reasons, n);
	mounts_free(&mt);
	free(root);
}

static void test_lvm_disks(void **state)
{
	char *root = tree("simple-lvm");
	struct probe_ctx ctx = { .sysroot = root };
	struct disk *d;
	size_t n;

	(void)state;
	assert_int_equal(sysfs_list_disks(&ctx, &d, &n), 0);
	assert_non_null(find_disk(d, n, "dm-0"));	/* a candidate by name */
	read_disks(&ctx, d, &n);
	/* dm-0 is built on loop0-3: not a disk of its own */
	assert_int_equal(n, 7);
	/* natural order, loop devices last */
	assert_string_equal(d[0].name, "nvme0n1");
	assert_string_equal(d[1].name, "sda");
	assert_string_equal(d[2].name, "sdb");
	assert_string_equal(d[3].name, "loop0");
	assert_null(find_disk(d, n, "dm-0"));
	struct disk *sda = find_disk(d, n, "sda");
	assert_int_equal(sda->nparts, 6);
	assert_int_equal(sda->major, 8);
	assert_int_equal(sda->minor, 0);
	assert_int_equal(sda->parts[3].number, 4);
	assert_string_equal(sda->parts[3].path, "/dev/sda4");
	assert_int_equal(sda->parts[3].size, 50ULL * 1024 * 1024 * 1024);
	/* 223.6G as lsblk prints it */
	char buf[32];
	assert_string_equal(size_human(sda->size, buf, sizeof(buf)), "223.6 GiB");
	assert_string_equal(sda->transport, "sata");
	assert_string_equal(find_disk(d, n, "nvme0n1")->transport, "nvme");
	assert_string_equal(find_disk(d, n, "loop0")->loop_backing, "/tmp/foo.4059-0.img");
	assert_string_equal(find_disk(d, n, "loop0")->transport, "virtual");
	free_disks(d, n);
	free(root);
}

static void test_lvm_dm_slaves(void **state)
{
	char *root = tree("simple-lvm");
	struct probe_ctx ctx = { .sysroot = root };
	char **names = NULL;
	size_t n = 0;

	(void)state;
	sysfs_whole_disks_of(&ctx, NULL, 253, 0, &names, &n, 0);
	assert_int_equal(n, 4);
	for (int i = 0; i < 4; i++) {
		char want[16];
		snprintf(want, sizeof(want), "loop%d", i);
		assert_true(strv_contains(names, n, want));
	}
	strv_free(names, n);
	/* a partition resolves to its whole disk */
	names = NULL;
	n = 0;
	sysfs_whole_disks_of(&ctx, NULL, 8, 4, &names, &n, 0);
	assert_int_equal(n, 1);
	assert_string_equal(names[0], "sda");
	strv_free(names, n);
	free(root);
}

static void test_lvm_rescue(void **state)
{
	char **names, **reasons;
	size_t n;

	(void)state;
	rescue_of("simple-lvm", &names, &reasons, &n);
	/* / is sda4, so sda is the rescue disk; /home is on nvme0n1 and
	 * /home/archive on sdb: all three carry the running system */
	assert_true(n >= 1);
	assert_string_equal(names[0], "sda");
	assert_string_equal(reasons[0], "/ (/dev/sda4) is on this disk");
	assert_true(strv_contains(names, n, "nvme0n1"));
	assert_true(strv_contains(names, n, "sdb"));
	assert_false(strv_contains(names, n, "loop0"));
	assert_int_equal(n, 3);
	strv_free(names, n);
	strv_free(reasons, n);
}

static void test_bcachefs_rescue(void **state)
{
	char **names, **reasons;
	size_t n;

	(void)state;
	rescue_of("multi-devs-bcachefs", &names, &reasons, &n);
	/* /mnt/virt (sdb1) and /mnt/test (sdc1:sdc2) are foreign volumes */
	assert_true(strv_contains(names, n, "sda"));
	assert_true(strv_contains(names, n, "nvme0n1"));
	assert_false(strv_contains(names, n, "sdb"));
	assert_false(strv_contains(names, n, "sdc"));
	assert_int_equal(n, 2);
	strv_free(names, n);
	strv_free(reasons, n);
}

static void test_usage(void **state)
{
	char *root = tree("multi-devs-bcachefs");
	struct probe_ctx ctx = { .sysroot = root };
	struct mount_table mt;
	struct usage u = { 0 };

	(void)state;
	assert_int_equal(mounts_load(&ctx, &mt), 0);
	assert_null(mt.error);
	mounts_usage(&mt, NULL, "sda1", 8, 1, &u);
	assert_int_equal(u.nmountpoints, 1);
	assert_string_equal(u.mountpoints[0], "/boot/efi");
	assert_true(u.mounted_rw);
	strv_free(u.mountpoints, u.nmountpoints);
	memset(&u, 0, sizeof(u));
	/* bcachefs: one mount made of two devices, named in the source */
	mounts_usage(&mt, NULL, "sdc2", 8, 34, &u);
	assert_int_equal(u.nmountpoints, 1);
	assert_string_equal(u.mountpoints[0], "/mnt/test");
	strv_free(u.mountpoints, u.nmountpoints);
	const struct mount_entry *me = mounts_find_containing(&mt, "/home/kzak/x/y");
	assert_non_null(me);
	assert_string_equal(me->target, "/home/kzak");
	mounts_free(&mt);
	free(root);
}

static void test_missing_sysroot(void **state)
{
	struct probe_ctx ctx = { .sysroot = "/nonexistent-winrescue-root" };
	struct inventory *inv;

	(void)state;
	inv = probes_scan(&ctx);
	assert_non_null(inv->error);
	assert_non_null(strstr(inv->error, "/nonexistent-winrescue-root/sys/block"));
	assert_int_equal(inv->ndisks, 0);
	inventory_free(inv);
}

static void test_scan_captured_tree(void **state)
{
	char *root = tree("simple-nvme");
	struct probe_ctx ctx = { .sysroot = root };
	struct inventory *inv;

	(void)state;
	inv = probes_scan(&ctx);
	assert_null(inv->error);
	assert_true(inv->ndisks >= 3);
	for (size_t i = 0; i < inv->ndisks; i++) {
		/* no device nodes in a captured tree: every disk says so, none is skipped */
		assert_non_null(inv->disks[i].error);
		if (strcmp(inv->disks[i].name, "sda") == 0)
			assert_int_equal(inv->disks[i].role, DISK_ROLE_RESCUE);
	}
	inventory_free(inv);
	free(root);
}

/*
 * A whole disk with partitions named where a volume is wanted: the answer
 * names its real partitions. NVMe disk names end in a digit, so the
 * kernel puts a 'p' before the number (nvme0n1p1, never nvme0n11).
 */
static void test_whole_disk_names_partitions(void **state)
{
	char *root = tree("simple-nvme");
	struct probe_ctx ctx = { .sysroot = root };
	struct inventory *inv;
	struct vol_ref v;
	char *err = NULL, **cand = NULL;
	size_t ncand = 0, di = 0;

	(void)state;
	inv = probes_scan(&ctx);
	assert_null(inv->error);
	while (di < inv->ndisks && strcmp(inv->disks[di].name, "nvme0n1") != 0)
		di++;
	assert_true(di < inv->ndisks);
	assert_int_equal(target_resolve(inv, "/dev/nvme0n1", &v, &err, &cand, &ncand), ACT_USAGE);
	assert_non_null(err);
	assert_non_null(strstr(err, "/dev/nvme0n1p1, /dev/nvme0n1p2, /dev/nvme0n1p3 or disk:"));
	assert_null(strstr(err, "nvme0n11"));
	free(err);
	err = NULL;
	/* disk:N alone names them too */
	char *spec = xasprintf("disk:%zu", inv->disks[di].number);
	assert_int_equal(target_resolve(inv, spec, &v, &err, &cand, &ncand), ACT_USAGE);
	assert_non_null(strstr(err, "/dev/nvme0n1p1"));
	free(err);
	free(spec);
	strv_free(cand, ncand);
	inventory_free(inv);
	free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lvm_disks),
		cmocka_unit_test(test_lvm_dm_slaves),
		cmocka_unit_test(test_lvm_rescue),
		cmocka_unit_test(test_bcachefs_rescue),
		cmocka_unit_test(test_usage),
		cmocka_unit_test(test_missing_sysroot),
		cmocka_unit_test(test_scan_captured_tree),
		cmocka_unit_test(test_whole_disk_names_partitions),
	};
	if (!getenv("WR_SYSFS_TREES")) {
		fprintf(stderr, "test_sysroot: WR_SYSFS_TREES is not set (run via tests/run-unit.sh)\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
