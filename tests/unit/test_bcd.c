/*
 * probes/bcd.c on the real UEFI BCD store of the fixtures (hives/BCD.xz,
 * whose README lists its entries), on hives that are no BCD store, on a
 * damaged hive, and the device decoder on hand-made elements: GPT, MBR,
 * the legacy partition form, boot, locate, and every truncation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "probes/bcd.h"
#include "tests/unit/hive_fixture.h"


static void guid_is(const uint8_t g[16], const char *want)
{
	char t[37];

	bcd_guid_text(g, t);
	assert_string_equal(t, want);
}

static void test_fixture_store(void **state)
{
	struct bcd_store s;
	char *err = NULL, *f = unpack("BCD.xz");
	const struct bcd_entry *w, *m;

	(void)state;
	assert_non_null(f);	/* the fixtures are part of the test */
	assert_int_equal(bcd_read_file(f, &s, &err), 0);
	unlink(f);
	free(f);
	w = bcd_find(&s, "{733B62E5-F608-11EB-825C-C112F60133AB}");	/* ids ignore case */
	assert_non_null(w);
	assert_int_equal(w->type, BCD_TYPE_OSLOADER);
	assert_string_equal(w->description, "Windows 10");
	assert_string_equal(w->path, "\\Windows\\system32\\winload.efi");
	assert_string_equal(w->systemroot, "\\Windows");
	assert_true(w->has_device && w->has_osdevice);
	assert_int_equal(w->osdevice.kind, BCD_DEV_GPT);
	guid_is(w->osdevice.disk_guid, "0b2394a9-095e-487d-8d48-719ecd4d78ca");
	guid_is(w->osdevice.part_guid, "8e0f2c38-e4ea-47ba-b7fc-9d8c74dccf0b");
	guid_is(w->device.part_guid, "8e0f2c38-e4ea-47ba-b7fc-9d8c74dccf0b");
	assert_int_equal(w->safeboot, -1);

	m = bcd_find(&s, "{9dea862c-5cdd-4e70-acc1-f32b344d4795}");
	assert_non_null(m);
	assert_int_equal(m->type, BCD_TYPE_BOOTMGR);
	assert_string_equal(m->description, "Windows Boot Manager");
	assert_string_equal(m->path, "\\EFI\\Microsoft\\Boot\\bootmgfw.efi");
	assert_int_equal(m->device.kind, BCD_DEV_GPT);
	guid_is(m->device.disk_guid, "0b2394a9-095e-487d-8d48-719ecd4d78ca");
	guid_is(m->device.part_guid, "36be3955-63bf-4068-a6ab-00195cca3a22");
	/* the boot manager's default and display order name the Windows 10 entry */
	assert_non_null(m->default_id);
	assert_non_null(bcd_find(&s, m->default_id));
	assert_true(m->norder >= 1);
	assert_non_null(bcd_find(&s, m->order[0]));
	assert_string_equal(bcd_type_name(m->type), "Windows Boot Manager");
	bcd_free(&s);
}

static void test_not_a_store(void **state)
{
	struct bcd_store s;
	char *err = NULL, *f;

	(void)state;
	/* a registry hive, but the SAM hive: named as no BCD store */
	f = unpack("SAM.xz");
	assert_non_null(f);
	assert_int_equal(bcd_read_file(f, &s, &err), -1);
	assert_non_null(strstr(err, "not a BCD store"));
	free(err);
	unlink(f);
	free(f);
	/* a damaged hive: an error naming the file, no crash */
	f = unpack("corrupted_system_hive.xz");
	assert_non_null(f);
	err = NULL;
	if (bcd_read_file(f, &s, &err) == 0)
		bcd_free(&s);	/* hivex may read what is left: then it is no store */
	else
		assert_non_null(strstr(err, f));
	free(err);
	unlink(f);
	free(f);
	/* no file at all */
	err = NULL;
	assert_int_equal(bcd_read_file("/nonexistent/BCD", &s, &err), -1);
	assert_non_null(strstr(err, "/nonexistent/BCD"));
	free(err);
}

/* A device element: header, type, size; the partition part as given. */
static size_t make_dev(uint8_t *p, uint32_t type, uint32_t style)
{
	memset(p, 0, 88);
	p[0x10] = (uint8_t)type;
	p[0x18] = 0x48;
	p[0x30] = (uint8_t)style;
	return 88;
}

static void test_devices(void **state)
{
	uint8_t p[88];
	struct bcd_device d;
	size_t n;

	(void)state;
	/* MBR, qualified: offset 1 MiB on the disk with signature 0x1234abcd */
	n = make_dev(p, 6, 1);
	p[0x20 + 2] = 0x10;	/* 0x100000 */
	p[0x38] = 0xcd, p[0x39] = 0xab, p[0x3a] = 0x34, p[0x3b] = 0x12;
	assert_null(bcd_decode_device(p, n, &d));
	assert_int_equal(d.kind, BCD_DEV_MBR);
	assert_int_equal(d.part_offset, 0x100000);
	assert_int_equal(d.disk_signature, 0x1234abcd);
	/* the legacy partition form is MBR, whatever is at the style */
	n = make_dev(p, 2, 0);
	p[0x38] = 0x01;
	assert_null(bcd_decode_device(p, n, &d));
	assert_int_equal(d.kind, BCD_DEV_MBR);
	assert_int_equal(d.disk_signature, 1);
	/* boot, locate, ramdisk, and an unknown type */
	n = make_dev(p, 1, 0);
	assert_null(bcd_decode_device(p, n, &d));
	assert_int_equal(d.kind, BCD_DEV_BOOT);
	n = make_dev(p, 8, 0);
	assert_null(bcd_decode_device(p, n, &d));
	assert_int_equal(d.kind, BCD_DEV_LOCATE);
	n = make_dev(p, 4, 0);
	assert_null(bcd_decode_device(p, n, &d));
	assert_int_equal(d.kind, BCD_DEV_RAMDISK);
	n = make_dev(p, 77, 0);
	assert_null(bcd_decode_device(p, n, &d));
	assert_int_equal(d.kind, BCD_DEV_UNKNOWN);
	assert_int_equal(d.type, 77);
	/* a raw partition style: decoded as unknown, not guessed */
	n = make_dev(p, 6, 2);
	assert_null(bcd_decode_device(p, n, &d));
	assert_int_equal(d.kind, BCD_DEV_UNKNOWN);
	/* every truncation is refused in words, never read past */
	n = make_dev(p, 6, 0);
	for (size_t len = 0; len < n; len++) {
		uint8_t *copy = malloc(len ? len : 1);
		memcpy(copy, p, len);
		const char *why = bcd_decode_device(copy, len, &d);
		free(copy);
		assert_non_null(why);
	}
	/* a size that claims more than there is */
	p[0x18] = 0xff;
	assert_non_null(bcd_decode_device(p, n, &d));
}

/* fix-boot --rewrite-bcd's encoder: GPT to MBR and back, in place, the length kept */
static void test_encode(void **state)
{
	uint8_t p[88], before[88];
	struct bcd_device d, want = { 0 };
	size_t n = make_dev(p, 6, 0);
	char t[37];

	(void)state;
	assert_true(bcd_guid_parse("0b2394a9-095e-487d-8d48-719ecd4d78ca", want.disk_guid));
	assert_true(bcd_guid_parse("8E0F2C38-E4EA-47BA-B7FC-9D8C74DCCF0B", want.part_guid));
	want.kind = BCD_DEV_GPT;
	memcpy(before, p, n);
	assert_null(bcd_encode_device(p, n, &want));
	assert_memory_equal(p, before, 0x20);	/* the options GUID and the header stay */
	assert_null(bcd_decode_device(p, n, &d));
	assert_int_equal(d.kind, BCD_DEV_GPT);
	guid_is(d.disk_guid, "0b2394a9-095e-487d-8d48-719ecd4d78ca");
	guid_is(d.part_guid, "8e0f2c38-e4ea-47ba-b7fc-9d8c74dccf0b");
	/* the same element to an MBR partition: style 1, offset, signature; GUID bytes gone */
	want.kind = BCD_DEV_MBR;
	want.part_offset = 42991616;
	want.disk_signature = 0x5cbea03e;
	assert_null(bcd_encode_device(p, n, &want));
	assert_null(bcd_decode_device(p, n, &d));
	assert_int_equal(d.kind, BCD_DEV_MBR);
	assert_int_equal(d.part_offset, 42991616);
	assert_int_equal(d.disk_signature, 0x5cbea03e);
	assert_int_equal(p[0x3c], 0);
	/* the legacy form holds MBR only; boot and locate devices name no partition */
	n = make_dev(p, 2, 0);
	want.kind = BCD_DEV_GPT;
	assert_non_null(bcd_encode_device(p, n, &want));
	n = make_dev(p, 1, 0);
	want.kind = BCD_DEV_MBR;
	assert_non_null(bcd_encode_device(p, n, &want));
	/* too short to be a partition device: refused, nothing written */
	n = make_dev(p, 6, 1);
	memcpy(before, p, n);
	assert_non_null(bcd_encode_device(p, 0x40, &want));
	assert_memory_equal(p, before, n);
	/* GUID text both ways; what is not a GUID is refused */
	bcd_guid_text(want.part_guid, t);
	assert_false(bcd_guid_parse("0b2394a9-095e-487d-8d48-719ecd4d78c", want.disk_guid));
	assert_false(bcd_guid_parse("0b2394a9-095e-487d-8d48-719ecd4d78cax", want.disk_guid));
	assert_false(bcd_guid_parse("0b2394a9+095e-487d-8d48-719ecd4d78ca", want.disk_guid));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture_store),
		cmocka_unit_test(test_not_a_store),
		cmocka_unit_test(test_devices),
		cmocka_unit_test(test_encode),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
