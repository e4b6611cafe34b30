/*
 * probes/mbr.c: the boot code of an MBR recognised from real bytes
 * (syslinux's and GRUB's as Debian ships them, the code fix-boot writes)
 * and from the patterns Windows' code is known by; zeros and bytes that
 * never read the disk are no code; code that reads the disk but is known
 * by no pattern is unknown, never "missing". A table that lost its
 * signature is judged against the disk's size.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "actions/diagnose.h"
#include "probes/disk_layout.h"
#include "probes/mbr.h"

/* sector 0 with code (len bytes) and a signature */
static void sector(uint8_t *s, const void *code, size_t len)
{
	memset(s, 0, MBR_SECTOR);
	memcpy(s, code, len);
	s[510] = 0x55;
	s[511] = 0xaa;
}

/* The first 440 bytes of a Debian file as sector 0's code (false when it is not installed). */
static bool from_file(uint8_t *s, const char *path)
{
	uint8_t code[440] = { 0 };
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f)
		return false;
	n = fread(code, 1, sizeof(code), f);
	fclose(f);
	sector(s, code, n);
	return n >= 439;
}

static void test_real_codes(void **state)
{
	static const struct { const char *path; enum mbr_code want; } files[] = {
		{ "/usr/lib/syslinux/mbr/mbr.bin", MBR_CODE_SYSLINUX },
		{ "/usr/lib/syslinux/mbr/altmbr.bin", MBR_CODE_SYSLINUX },
		{ "/usr/lib/syslinux/mbr/gptmbr.bin", MBR_CODE_SYSLINUX_GPT },
		{ "/usr/lib/syslinux/mbr/extra/mbr_c.bin", MBR_CODE_SYSLINUX },
		{ "/usr/lib/syslinux/mbr/extra/mbr_f.bin", MBR_CODE_SYSLINUX },
		{ "/usr/lib/grub/i386-pc/boot.img", MBR_CODE_GRUB },
	};
	uint8_t s[MBR_SECTOR];

	(void)state;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		/* make deps installs them (syslinux-common, grub-pc-bin): part of the test */
		if (!from_file(s, files[i].path))
			fail_msg("%s is missing (make deps)", files[i].path);
		if (mbr_classify(s) != files[i].want)
			fail_msg("%s: %s, not %s", files[i].path, mbr_code_name(mbr_classify(s)),
				 mbr_code_name(files[i].want));
		assert_true(mbr_code_boots(mbr_classify(s)));
	}
	/* what fix-boot writes is the real thing, and recognised as such */
	sector(s, mbr_code_syslinux, sizeof(mbr_code_syslinux));
	assert_int_equal(mbr_classify(s), MBR_CODE_SYSLINUX);
	uint8_t deb[MBR_SECTOR];
	assert_true(from_file(deb, "/usr/lib/syslinux/mbr/mbr.bin"));
	assert_memory_equal(deb, s, 440);
}

static void test_windows_patterns(void **state)
{
	/* Windows NT 6.x's language-independent start, then a disk read */
	static const uint8_t nt6[] = { 0x33, 0xc0, 0x8e, 0xd0, 0xbc, 0x00, 0x7c, 0x8e, 0xc0, 0x8e,
				       0xd8, 0xbe, 0x00, 0x7c, 0xbf, 0x00, 0x06, 0xb9, 0x00, 0x02,
				       0xfc, 0xf3, 0xa4, 0x50, 0x68, 0x1c, 0x06, 0xcb, 0xfb, 0xcd, 0x13 };
	static const uint8_t nt5[] = { 0x33, 0xc0, 0x8e, 0xd0, 0xbc, 0x00, 0x7c, 0xfb, 0x50, 0x07,
				       0x50, 0x1f, 0xfc, 0xbe, 0x1b, 0x7c, 0xbf, 0x1b, 0x06, 0x50,
				       0x57, 0xb9, 0xe5, 0x01, 0xf3, 0xa4, 0xcb, 0xcd, 0x13 };
	uint8_t s[MBR_SECTOR];

	(void)state;
	sector(s, nt6, sizeof(nt6));
	assert_int_equal(mbr_classify(s), MBR_CODE_WINDOWS);
	sector(s, nt5, sizeof(nt5));
	assert_int_equal(mbr_classify(s), MBR_CODE_WINDOWS_NT5);
	/* MS-DOS-style code: its three messages */
	sector(s, "\xfa\x33\xc0\xcd\x13", 5);
	static const char msgs[] = "Invalid partition table\0Error loading operating system\0"
				   "Missing operating system";
	memcpy(s + 0x8b, msgs, sizeof(msgs));
	assert_int_equal(mbr_classify(s), MBR_CODE_MSDOS);
	/* LILO's signature at byte 6 */
	sector(s, "\xfa\xeb\x21\x01\xb5\x01LILO\xcd\x13", 12);
	assert_int_equal(mbr_classify(s), MBR_CODE_LILO);
}

static void test_not_code(void **state)
{
	uint8_t s[MBR_SECTOR], text[440];

	(void)state;
	sector(s, "", 0);
	assert_int_equal(mbr_classify(s), MBR_CODE_NONE);
	assert_false(mbr_code_boots(MBR_CODE_NONE));
	for (size_t i = 0; i < sizeof(text); i++)
		text[i] = "not boot code; "[i % 15];
	sector(s, text, sizeof(text));
	assert_int_equal(mbr_classify(s), MBR_CODE_NOT_CODE);
	assert_false(mbr_code_boots(MBR_CODE_NOT_CODE));
	memset(text, 0xff, sizeof(text));
	sector(s, text, sizeof(text));
	assert_int_equal(mbr_classify(s), MBR_CODE_NOT_CODE);
	/* a disk read in it: a loader we do not know, which boots */
	sector(s, "\xfa\xb4\x42\xcd\x13", 5);
	assert_int_equal(mbr_classify(s), MBR_CODE_UNKNOWN);
	assert_true(mbr_code_boots(MBR_CODE_UNKNOWN));
	/* the disk signature and the table are not code */
	sector(s, "", 0);
	s[446] = 0xcd;
	s[447] = 0x13;
	assert_int_equal(mbr_classify(s), MBR_CODE_NONE);
}

static void entry(uint8_t *s, int i, uint8_t status, uint8_t type, uint32_t lba, uint32_t n)
{
	uint8_t *p = s + MBR_TABLE + i * MBR_ENTRY_SIZE;

	p[0] = status;
	p[4] = type;
	for (int k = 0; k < 4; k++) {
		p[8 + k] = (uint8_t)(lba >> (8 * k));
		p[12 + k] = (uint8_t)(n >> (8 * k));
	}
}

static void test_entries(void **state)
{
	uint8_t s[MBR_SECTOR];
	struct mbr_entry e[4];

	(void)state;
	memset(s, 0, sizeof(s));
	assert_false(mbr_entries_fit(s, 262144, e));	/* none used */
	entry(s, 0, 0x80, 7, 2048, 81920);
	entry(s, 1, 0, 7, 83968, 178176);
	assert_true(mbr_entries_fit(s, 262144, e));
	assert_int_equal(e[0].lba, 2048);
	assert_int_equal(e[1].sectors, 178176);
	assert_int_equal(e[0].status, 0x80);
	assert_false(mbr_entries_fit(s, 200000, e));	/* beyond the disk */
	entry(s, 1, 0, 7, 80000, 1000);
	assert_false(mbr_entries_fit(s, 262144, e));	/* overlapping */
	entry(s, 1, 0x12, 7, 83968, 1000);
	assert_false(mbr_entries_fit(s, 262144, e));	/* a status that is no flag */
	entry(s, 1, 0, 7, 0, 1000);
	assert_false(mbr_entries_fit(s, 262144, e));	/* at sector 0 */
	entry(s, 1, 0, 0, 0, 0);
	assert_true(mbr_entries_fit(s, 262144, e));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_codes),
		cmocka_unit_test(test_windows_patterns),
		cmocka_unit_test(test_not_code),
		cmocka_unit_test(test_entries),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
