/* Partition and disk role rules (probes/roles.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "probes/probes.h"

#define ESP "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"
#define MSR "e3c9e316-0b5c-4db8-817d-f92df00215ae"
#define WINRE "de94bba4-06d1-4d40-a16a-bfd50179d6ac"
#define BASIC "ebd0a0a2-b9e5-4433-87c0-68b6b72699c7"

static enum part_role role(const char *parttype, const char *fstype, struct ntfs_state *n)
{
	struct volume v = { .fstype = (char *)fstype, .ntfs = n };
	return roles_partition(parttype, &v);
}

static void test_partition_roles(void **state)
{
	struct ntfs_state win = { .has_windows = true };
	struct ntfs_state boot = { .has_bootmgr = true, .has_bcd = true };
	struct ntfs_state bootmgr_only = { .has_bootmgr = true };
	struct ntfs_state plain = { 0 };

	(void)state;
	assert_int_equal(role(ESP, "vfat", NULL), PART_ROLE_ESP);
	assert_int_equal(role("0xef", "vfat", NULL), PART_ROLE_ESP);
	assert_int_equal(role("C12A7328-F81F-11D2-BA4B-00A0C93EC93B", NULL, NULL), PART_ROLE_ESP);
	assert_int_equal(role(MSR, NULL, NULL), PART_ROLE_MSR);
	assert_int_equal(role(WINRE, "ntfs", &plain), PART_ROLE_RECOVERY);
	assert_int_equal(role("0x27", "ntfs", &plain), PART_ROLE_RECOVERY);
	assert_int_equal(role(BASIC, "ntfs", &win), PART_ROLE_WINDOWS);
	assert_int_equal(role("0x7", "ntfs", &win), PART_ROLE_WINDOWS);
	assert_int_equal(role("0x7", "ntfs", &boot), PART_ROLE_BOOT);
	/* System Reserved needs both bootmgr and \Boot\BCD */
	assert_int_equal(role("0x7", "ntfs", &bootmgr_only), PART_ROLE_DATA);
	assert_int_equal(role(BASIC, "ntfs", &plain), PART_ROLE_DATA);
	assert_int_equal(role("0xc", "vfat", NULL), PART_ROLE_DATA);
	assert_int_equal(role("0x7", "exfat", NULL), PART_ROLE_DATA);
	assert_int_equal(role(BASIC, "BitLocker", NULL), PART_ROLE_BITLOCKER);
	assert_int_equal(role("0x82", NULL, NULL), PART_ROLE_SWAP);
	assert_int_equal(role("0x83", "swap", NULL), PART_ROLE_SWAP);
	assert_int_equal(role("0x83", "ext4", NULL), PART_ROLE_OTHER);
	assert_int_equal(role(NULL, NULL, NULL), PART_ROLE_OTHER);
	/* an NTFS whose primary boot sector is gone still counts as data */
	assert_int_equal(role("0x7", NULL, &plain), PART_ROLE_DATA);
	assert_string_equal(part_role_name(PART_ROLE_RECOVERY), "recovery");
	assert_string_equal(disk_role_name(DISK_ROLE_RESCUE), "rescue");
}

static enum disk_role disk_with(enum part_role *roles, size_t n, bool rescue)
{
	struct partition parts[8];
	struct disk d = { .parts = parts, .nparts = n };

	memset(parts, 0, sizeof(parts));
	for (size_t i = 0; i < n; i++)
		parts[i].role = roles[i];
	return roles_disk(&d, rescue);
}

static void test_disk_roles(void **state)
{
	enum part_role bios[] = { PART_ROLE_BOOT, PART_ROLE_WINDOWS };
	enum part_role uefi[] = { PART_ROLE_ESP, PART_ROLE_MSR, PART_ROLE_WINDOWS, PART_ROLE_RECOVERY };
	enum part_role locked[] = { PART_ROLE_ESP, PART_ROLE_MSR, PART_ROLE_BITLOCKER };
	enum part_role data[] = { PART_ROLE_MSR, PART_ROLE_DATA };
	enum part_role linux_only[] = { PART_ROLE_OTHER, PART_ROLE_SWAP };

	(void)state;
	assert_int_equal(disk_with(bios, 2, false), DISK_ROLE_SYSTEM);
	assert_int_equal(disk_with(uefi, 4, false), DISK_ROLE_SYSTEM);
	assert_int_equal(disk_with(locked, 3, false), DISK_ROLE_SYSTEM);
	assert_int_equal(disk_with(data, 2, false), DISK_ROLE_DATA);
	assert_int_equal(disk_with(linux_only, 2, false), DISK_ROLE_UNKNOWN);
	assert_int_equal(disk_with(NULL, 0, false), DISK_ROLE_UNKNOWN);
	/* the rescue disk stays hands-off even if it holds Windows */
	assert_int_equal(disk_with(bios, 2, true), DISK_ROLE_RESCUE);

	struct disk iso = { .vol = { .fstype = "iso9660" } };
	assert_int_equal(roles_disk(&iso, false), DISK_ROLE_RESCUE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_partition_roles),
		cmocka_unit_test(test_disk_roles),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
