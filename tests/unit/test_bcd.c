/*
 * probes/bcd.c on the real UEFI BCD store of the fixtures (hives/BCD.xz,
 * whose README lists its entries), on hives that are no BCD store, on a
 * damaged hive, and the device decoder and encoder on elements Windows
 * wrote (an MBR one from a Windows Server 2008 R2 store, the fixture's
 * GPT one) and on other device types, and every truncation.
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
#include <hivex.h>

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

/*
 * The loader's device element of a BCD store Windows wrote (a Windows
 * Server 2008 R2 loader on MBR disk a5d76409, C: at byte 0x6500000), byte
 * for byte: the style (1 MBR) is the u32 at 0x34, the u32 at 0x30 is 0.
 */
static const uint8_t real_mbr[88] = {
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x48, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x50, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x09, 0x64, 0xd7, 0xa5, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/*
 * The Windows 10 loader's device element of the fixtures' UEFI store
 * (hivexregedit --export): partition 8e0f2c38-... of GPT disk 0b2394a9-...;
 * 0x30..0x37 zeros (a local disk, style 0 GPT).
 */
static const uint8_t real_gpt[88] = {
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x48, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x38, 0x2c, 0x0f, 0x8e, 0xea, 0xe4, 0xba, 0x47, 0xb7, 0xfc, 0x9d, 0x8c, 0x74, 0xdc, 0xcf, 0x0b,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xa9, 0x94, 0x23, 0x0b, 0x5e, 0x09, 0x7d, 0x48,
	0x8d, 0x48, 0x71, 0x9e, 0xcd, 0x4d, 0x78, 0xca, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/* An element of another device type: the real header, type changed. */
static size_t make_dev(uint8_t *p, uint32_t type)
{
	memcpy(p, real_gpt, sizeof(real_gpt));
	p[0x10] = (uint8_t)type;
	return sizeof(real_gpt);
}

static void test_devices(void **state)
{
	uint8_t p[88];
	struct bcd_device d;
	size_t n;
	char *w;

	(void)state;
	/* Windows' own MBR element: MBR disk a5d76409, C: at 101 MiB; never GPT */
	assert_null(bcd_decode_device(real_mbr, sizeof(real_mbr), &d));
	assert_int_equal(d.kind, BCD_DEV_MBR);
	assert_int_equal(d.part_offset, 0x6500000);
	assert_int_equal(d.disk_signature, 0xa5d76409);
	w = bcd_device_name(&d);
	assert_string_equal(w, "MBR disk a5d76409, partition at 101.0 MiB");
	free(w);
	/* the fixture's GPT element */
	assert_null(bcd_decode_device(real_gpt, sizeof(real_gpt), &d));
	assert_int_equal(d.kind, BCD_DEV_GPT);
	guid_is(d.disk_guid, "0b2394a9-095e-487d-8d48-719ecd4d78ca");
	guid_is(d.part_guid, "8e0f2c38-e4ea-47ba-b7fc-9d8c74dccf0b");
	/* an offset that is not whole MiB: its byte too */
	memcpy(p, real_mbr, sizeof(p));
	p[0x20] = 0x00, p[0x21] = 0x02;	/* 0x6500200 */
	assert_null(bcd_decode_device(p, sizeof(p), &d));
	w = bcd_device_name(&d);
	assert_string_equal(w, "MBR disk a5d76409, partition at 101.0 MiB (byte 105906688)");
	free(w);
	/* the legacy partition form is in no store we have: kept raw, not guessed */
	n = make_dev(p, 2);
	assert_null(bcd_decode_device(p, n, &d));
	assert_int_equal(d.kind, BCD_DEV_UNKNOWN);
	assert_int_equal(d.type, 2);
	/* a local device that is not a hard disk, a raw style: not guessed either */
	memcpy(p, real_mbr, sizeof(p));
	p[0x30] = 1;
	assert_null(bcd_decode_device(p, sizeof(p), &d));
	assert_int_equal(d.kind, BCD_DEV_UNKNOWN);
	memcpy(p, real_mbr, sizeof(p));
	p[0x34] = 2;
	assert_null(bcd_decode_device(p, sizeof(p), &d));
	assert_int_equal(d.kind, BCD_DEV_UNKNOWN);
	/* boot, locate, ramdisk, and an unknown type */
	n = make_dev(p, 1);
	assert_null(bcd_decode_device(p, n, &d));
	assert_int_equal(d.kind, BCD_DEV_BOOT);
	n = make_dev(p, 8);
	assert_null(bcd_decode_device(p, n, &d));
	assert_int_equal(d.kind, BCD_DEV_LOCATE);
	n = make_dev(p, 4);
	assert_null(bcd_decode_device(p, n, &d));
	assert_int_equal(d.kind, BCD_DEV_RAMDISK);
	n = make_dev(p, 77);
	assert_null(bcd_decode_device(p, n, &d));
	assert_int_equal(d.kind, BCD_DEV_UNKNOWN);
	assert_int_equal(d.type, 77);
	/* every truncation is refused in words, never read past */
	n = make_dev(p, 6);
	for (size_t len = 0; len < n; len++) {
		uint8_t *copy = malloc(len ? len : 1);
		memcpy(copy, p, len);
		const char *why = bcd_decode_device(copy, len, &d);
		free(copy);
		if (len < 0x48)
			assert_non_null(why);
	}
	/* a size that claims more than there is */
	p[0x18] = 0xff;
	assert_non_null(bcd_decode_device(p, n, &d));
}

/*
 * fix-boot --rewrite-bcd's encoder: the fixture's GPT element made to name
 * MBR disk a5d76409's partition at 0x6500000 is Windows' own MBR element
 * byte for byte; and back, the GPT element byte for byte.
 */
static void test_encode(void **state)
{
	uint8_t p[88], before[88];
	struct bcd_device gpt, mbr, want = { 0 };
	size_t n;
	char t[37];

	(void)state;
	assert_null(bcd_decode_device(real_gpt, sizeof(real_gpt), &gpt));
	assert_null(bcd_decode_device(real_mbr, sizeof(real_mbr), &mbr));
	memcpy(p, real_gpt, sizeof(p));
	assert_null(bcd_encode_device(p, sizeof(p), &mbr));
	assert_memory_equal(p, real_mbr, sizeof(real_mbr));
	assert_null(bcd_encode_device(p, sizeof(p), &gpt));
	assert_memory_equal(p, real_gpt, sizeof(real_gpt));
	/* MBR to MBR: a new signature and offset, nothing else changes */
	memcpy(p, real_mbr, sizeof(p));
	want = mbr;
	want.disk_signature = 0x5cbea03e;
	want.part_offset = 0x7800000;
	assert_null(bcd_encode_device(p, sizeof(p), &want));
	memcpy(before, real_mbr, sizeof(before));
	before[0x22] = 0x80, before[0x23] = 0x07;
	before[0x38] = 0x3e, before[0x39] = 0xa0, before[0x3a] = 0xbe, before[0x3b] = 0x5c;
	assert_memory_equal(p, before, sizeof(before));
	/* an element longer than the device: the bytes past it stay as they were */
	uint8_t longer[96];
	memcpy(longer, real_gpt, sizeof(real_gpt));
	memset(longer + 88, 0xee, 8);
	assert_null(bcd_encode_device(longer, sizeof(longer), &mbr));
	assert_memory_equal(longer, real_mbr, sizeof(real_mbr));
	assert_int_equal(longer[90], 0xee);
	/* the legacy form, boot and locate devices, an unknown style: refused, nothing written */
	for (uint32_t type = 1; type <= 8; type++) {
		if (type == 6)
			continue;
		n = make_dev(p, type);
		memcpy(before, p, n);
		assert_non_null(bcd_encode_device(p, n, &mbr));
		assert_memory_equal(p, before, n);
	}
	memcpy(p, real_mbr, sizeof(p));
	p[0x34] = 2;
	memcpy(before, p, sizeof(p));
	assert_non_null(bcd_encode_device(p, sizeof(p), &gpt));
	assert_memory_equal(p, before, sizeof(p));
	/* too short to be a partition device: refused, nothing written */
	memcpy(p, real_mbr, sizeof(p));
	memcpy(before, p, sizeof(p));
	assert_non_null(bcd_encode_device(p, 0x40, &gpt));
	assert_memory_equal(p, before, sizeof(p));
	/* a device named by neither kind cannot be written */
	want.kind = BCD_DEV_BOOT;
	assert_non_null(bcd_encode_device(p, sizeof(p), &want));
	/* GUID text both ways; what is not a GUID is refused */
	bcd_guid_text(gpt.part_guid, t);
	assert_string_equal(t, "8e0f2c38-e4ea-47ba-b7fc-9d8c74dccf0b");
	assert_true(bcd_guid_parse("8E0F2C38-E4EA-47BA-B7FC-9D8C74DCCF0B", want.part_guid));
	assert_memory_equal(want.part_guid, gpt.part_guid, 16);
	assert_false(bcd_guid_parse("0b2394a9-095e-487d-8d48-719ecd4d78c", want.disk_guid));
	assert_false(bcd_guid_parse("0b2394a9-095e-487d-8d48-719ecd4d78cax", want.disk_guid));
	assert_false(bcd_guid_parse("0b2394a9+095e-487d-8d48-719ecd4d78ca", want.disk_guid));
}

/* real_gpt is the fixture store's element byte for byte (hivex reads it), both of its values. */
static void test_fixture_bytes(void **state)
{
	char *f = unpack("BCD.xz");
	hive_h *h;
	hive_node_h n;

	(void)state;
	assert_non_null(f);
	assert_non_null(h = hivex_open(f, 0));
	unlink(f);
	free(f);
	n = hivex_node_get_child(h, hivex_root(h), "Objects");
	assert_true(n && (n = hivex_node_get_child(h, n, "{733b62e5-f608-11eb-825c-c112f60133ab}")));
	assert_true(n && (n = hivex_node_get_child(h, n, "Elements")));
	for (int i = 0; i < 2; i++) {
		hive_node_h e = hivex_node_get_child(h, n, i ? "21000001" : "11000001");
		hive_value_h v = e ? hivex_node_get_value(h, e, "Element") : 0;
		hive_type t;
		size_t len;
		char *raw = v ? hivex_value_value(h, v, &t, &len) : NULL;
		assert_non_null(raw);
		assert_int_equal(len, sizeof(real_gpt));
		assert_memory_equal(raw, real_gpt, sizeof(real_gpt));
		free(raw);
	}
	hivex_close(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture_store),
		cmocka_unit_test(test_not_a_store),
		cmocka_unit_test(test_devices),
		cmocka_unit_test(test_encode),
		cmocka_unit_test(test_fixture_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
