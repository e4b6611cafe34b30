/*
 * probes/winreg.c on the real SYSTEM hives of the fixtures: a Windows 7
 * (MBR drive letters, LastKnownGood 2, consistent), a Windows 10 1709 (Fast
 * Startup on, more MBR letters, its two sequence numbers differ) and
 * SYSTEM_B (a GPT drive letter, changes still in its logs); the SAM hive
 * and a damaged hive refused in words; the MountedDevices decoder on every
 * form and length. The expected values were read from the hives' raw bytes.
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
#include "probes/winreg.h"


static const struct win_letter *letter(const struct win_system *w, char c)
{
	for (size_t i = 0; i < w->nletters; i++)
		if (w->letters[i].letter == c)
			return &w->letters[i];
	return NULL;
}

static void read_hive(const char *name, struct win_system *w)
{
	char *err = NULL, *f = unpack(name);

	assert_non_null(f);
	assert_int_equal(winreg_read_system(f, w, &err), 0);
	unlink(f);
	free(f);
}

static void test_windows7(void **state)
{
	struct win_system w;
	const struct win_letter *c, *d;

	(void)state;
	read_hive("SYSTEM.xz", &w);
	assert_int_equal(w.current, 1);
	assert_int_equal(w.last_known_good, 2);
	assert_false(w.controlset_missing);
	assert_string_equal(w.computer_name, "WKS-WIN732BITA");
	assert_int_equal(w.shutdown_time, 1333504720);	/* 2012-04-04 01:58:40 UTC */
	assert_int_equal(w.hiberboot, -1);		/* Windows 7: no Fast Startup */
	assert_false(w.dirty);
	assert_int_equal(w.seq_primary, 13983);
	assert_non_null(c = letter(&w, 'C'));
	assert_int_equal(c->kind, WIN_LETTER_MBR);
	assert_int_equal(c->mbr_signature, 0x5cbea03e);
	assert_int_equal(c->mbr_offset, 1048576);
	assert_non_null(d = letter(&w, 'D'));
	assert_int_equal(d->kind, WIN_LETTER_OTHER);	/* the CD-ROM */
	assert_non_null(strstr(d->device, "CdRom"));
	win_system_free(&w);
}

static void test_windows10(void **state)
{
	struct win_system w;
	const struct win_letter *c, *f;

	(void)state;
	read_hive("SYSTEM_WIN_10_1709.xz", &w);
	assert_string_equal(w.computer_name, "DESKTOP-2KGM189");
	assert_int_equal(w.hiberboot, 1);
	assert_int_equal(w.shutdown_time, 1587287324);	/* 2020-04-19 09:08:44 UTC */
	assert_true(w.dirty);				/* 4317 and 4316 */
	assert_non_null(c = letter(&w, 'C'));
	assert_int_equal(c->mbr_signature, 0xdf4546ae);
	assert_int_equal(c->mbr_offset, 0x1f500000);
	assert_non_null(f = letter(&w, 'F'));
	assert_int_equal(f->mbr_signature, 0x002b1be5);
	win_system_free(&w);

	read_hive("SYSTEM_B.xz", &w);
	assert_true(w.dirty);
	assert_int_equal(w.seq_primary, 1622);
	assert_int_equal(w.seq_secondary, 1621);
	assert_non_null(c = letter(&w, 'C'));
	assert_int_equal(c->kind, WIN_LETTER_GPT);
	char g[37];
	bcd_guid_text(c->part_guid, g);
	assert_string_equal(g, "09931f21-7faf-44a9-81d8-1e73c14b9eaf");
	win_system_free(&w);
}

static void test_refused(void **state)
{
	struct win_system w;
	char *err = NULL, *f;

	(void)state;
	f = unpack("SAM.xz");
	assert_non_null(f);
	assert_int_equal(winreg_read_system(f, &w, &err), -1);
	assert_non_null(strstr(err, "not a SYSTEM hive"));
	free(err);
	win_system_free(&w);
	unlink(f);
	free(f);
	f = unpack("corrupted_system_hive.xz");
	assert_non_null(f);
	err = NULL;
	if (winreg_read_system(f, &w, &err) != 0) {
		assert_non_null(strstr(err, f));	/* names the file */
		free(err);
	}
	win_system_free(&w);
	unlink(f);
	free(f);
}

static void test_letters(void **state)
{
	struct win_letter l;
	uint8_t mbr[12] = { 0x3e, 0xa0, 0xbe, 0x5c, 0, 0, 0x10, 0, 0, 0, 0, 0 };
	uint8_t gpt[24] = "DMIO:ID:";
	uint8_t dev[8] = { '\\', 0, '?', 0, 0x01, 0x20, 'X', 0 };

	(void)state;
	assert_true(winreg_decode_letter(mbr, sizeof(mbr), &l));
	assert_int_equal(l.kind, WIN_LETTER_MBR);
	assert_int_equal(l.mbr_offset, 0x100000);
	gpt[8] = 0x21;
	assert_true(winreg_decode_letter(gpt, sizeof(gpt), &l));
	assert_int_equal(l.kind, WIN_LETTER_GPT);
	assert_int_equal(l.part_guid[0], 0x21);
	assert_true(winreg_decode_letter(dev, sizeof(dev), &l));
	assert_int_equal(l.kind, WIN_LETTER_OTHER);
	assert_string_equal(l.device, "\\??X");	/* a character outside ASCII made '?' */
	free(l.device);
	/* odd lengths and too-short values are no letter, never read past */
	for (size_t n = 0; n < 4; n++)
		assert_false(winreg_decode_letter(mbr, n, &l));
	assert_false(winreg_decode_letter(mbr, 11, &l));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_windows7),
		cmocka_unit_test(test_windows10),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_letters),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
