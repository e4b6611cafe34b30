/*
 * Sizes, and untrusted strings (volume labels, models) in both outputs:
 * neutralised in the text view, valid UTF-8 in the JSON.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "cli/output.h"
#include "lib/table.h"
#include "lib/util.h"
#include "probes/probes.h"

static void test_size_human(void **state)
{
	char b[32];

	(void)state;
	assert_string_equal(size_human(0, b, sizeof(b)), "0 B");
	assert_string_equal(size_human(1023, b, sizeof(b)), "1023 B");
	assert_string_equal(size_human(1024, b, sizeof(b)), "1.0 KiB");
	assert_string_equal(size_human(1536, b, sizeof(b)), "1.5 KiB");
	assert_string_equal(size_human(100ULL << 20, b, sizeof(b)), "100.0 MiB");
	assert_string_equal(size_human(40ULL << 30, b, sizeof(b)), "40.0 GiB");
	/* rounding carries into the next unit */
	assert_string_equal(size_human((1ULL << 30) - 1, b, sizeof(b)), "1.0 GiB");
	assert_string_equal(size_human(UINT64_MAX, b, sizeof(b)), "16.0 EiB");
}

static void test_sanitize(void **state)
{
	char *s;

	(void)state;
	s = sanitize_terminal("\x1b[31mEVIL\x1b[0m");
	assert_string_equal(s, "?[31mEVIL?[0m");
	free(s);
	s = sanitize_terminal("bell\a tab\t nl\n del\x7f");
	assert_string_equal(s, "bell? tab? nl? del?");
	free(s);
	/* C1 control U+009B (CSI) in UTF-8, invalid bytes, an overlong '/' */
	s = sanitize_terminal("a\xc2\x9b" "b\xff\xfe" "c\xc0\xaf");
	assert_string_equal(s, "a?b??c??");
	free(s);
	/* real UTF-8 labels survive: a Russian Windows "New volume" */
	s = sanitize_terminal("Новый том");
	assert_string_equal(s, "Новый том");
	free(s);
	/* bidi override would reorder what follows on screen */
	s = sanitize_terminal("x\xe2\x80\xaey");
	assert_string_equal(s, "x?y");
	free(s);
	/* every bidi control the issue names, and the line separator */
	s = sanitize_terminal("a\xe2\x80\x8e" "b\xe2\x80\x8f" "c\xd8\x9c" "d\xe2\x80\xaa" "e\xe2\x81\xa6"
			      "f\xe2\x81\xa9" "g\xe2\x80\xa8" "h");
	assert_string_equal(s, "a?b?c?d?e?f?g?h");
	free(s);
	/* their neighbours are ordinary text: en dash U+2013, U+2070, U+061B */
	s = sanitize_terminal("\xe2\x80\x93\xe2\x81\xb0\xd8\x9b");
	assert_string_equal(s, "\xe2\x80\x93\xe2\x81\xb0\xd8\x9b");
	free(s);
	/* ASCII: one '?' per character (a raw 0x9d inside "Н" never passes), per invalid byte */
	s = sanitize_terminal_for("Новый том\xc2\x9b\x9d\xff" "ok", true);
	assert_string_equal(s, "????? ??????ok");
	free(s);
	s = sanitize_terminal_for(NULL, true);
	assert_string_equal(s, "");
	free(s);
	/* a sequence cut by the end of the string: one '?' per byte */
	s = sanitize_terminal("x\xe2\x80");
	assert_string_equal(s, "x??");
	free(s);
	/* a stream's step: waits for a cut sequence unless it is the end */
	{
		char o[4];
		size_t ol = 9;
		assert_int_equal(term_safe_step("\xd0", 1, 0, o, &ol), 0);
		assert_int_equal(term_safe_step("\xd0\x9d", 2, 0, o, &ol), 2);
		assert_int_equal(ol, 2);
		assert_memory_equal(o, "\xd0\x9d", 2);
		assert_int_equal(term_safe_step("\xd0", 1, TERM_SAFE_END, o, &ol), 1);
		assert_int_equal(ol, 1);
		assert_int_equal(o[0], '?');
		assert_int_equal(term_safe_step("\n", 1, TERM_SAFE_NEWLINES, o, &ol), 1);
		assert_int_equal(o[0], '\n');
		assert_int_equal(term_safe_step("\n", 1, 0, o, &ol), 1);
		assert_int_equal(o[0], '?');
		assert_int_equal(term_safe_step("", 1, TERM_SAFE_NEWLINES, o, &ol), 1);	/* NUL */
		assert_int_equal(o[0], '?');
		/* a byte that can never start a sequence is invalid at once */
		assert_int_equal(term_safe_step("\x9b", 1, 0, o, &ol), 1);
		assert_int_equal(o[0], '?');
	}
	s = sanitize_utf8("ok\xff" "end");
	assert_string_equal(s, "ok\xef\xbf\xbd" "end");
	free(s);
	/* utf8_valid() lets a string skip sanitize_utf8() only when it would not change */
	assert_true(utf8_valid("") && utf8_valid("Новый том") && utf8_valid("tab\t\x1b[0m"));
	assert_false(utf8_valid("ok\xff" "end"));
	assert_false(utf8_valid("\xc0\xaf"));		/* overlong "/" */
	assert_false(utf8_valid("\xed\xa0\x80"));	/* a UTF-16 surrogate */
	assert_false(utf8_valid("\xf4\x90\x80\x80"));	/* above U+10FFFF */
	assert_false(utf8_valid("cut\xe2\x80"));	/* truncated sequence */
	s = text_fit("System Reserved", 8);
	assert_string_equal(s, "System ~");
	free(s);
	assert_int_equal(text_width("abc"), 3);
}

/* A one-disk inventory whose label and model are hostile. */
static struct inventory *hostile_inventory(const char *label)
{
	struct inventory *inv = xcalloc(1, sizeof(*inv));
	struct disk *d;
	struct partition *p;

	inv->disks = xcalloc(1, sizeof(*d));
	inv->ndisks = 1;
	d = &inv->disks[0];
	d->name = xstrdup("loop9");
	d->path = xstrdup("/dev/loop9");
	d->size = 64ULL << 20;
	d->model = xstrdup("\x1b]0;pwned\a");
	d->pttype = xstrdup("dos");
	d->ptuuid = xstrdup("1234abcd");
	d->role = DISK_ROLE_DATA;
	d->parts = xcalloc(1, sizeof(*p));
	d->nparts = 1;
	p = &d->parts[0];
	p->name = xstrdup("loop9p1");
	p->path = xstrdup("/dev/loop9p1");
	p->number = 1;
	p->start = 1 << 20;
	p->size = 32ULL << 20;
	p->parttype = xstrdup("0x7");
	p->vol.fstype = xstrdup("ntfs");
	p->vol.label = xstrdup(label);
	p->vol.ntfs = xcalloc(1, sizeof(struct ntfs_state));
	p->vol.ntfs->label = xstrdup(label);
	p->vol.ntfs->cluster_size = 4096;
	p->vol.ntfs->dirty = TRI_YES;
	p->vol.ntfs->opened = true;	/* read: "no Windows" can be said */
	p->vol.ntfs->hibernated = TRI_NO;
	p->role = PART_ROLE_DATA;
	findings_build(inv);
	return inv;
}

static char *render_text(const struct inventory *inv)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	output_text(f, inv);
	fclose(f);
	return buf;
}

static void check_hostile(const char *label, const char *json_expect)
{
	struct inventory *inv = hostile_inventory(label);
	char *text = render_text(inv), *json = output_json(inv);
	struct json_object *root, *disks, *part, *v;

	/* text: no control byte at all except newlines */
	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		if (*p != '\n')
			assert_true(*p >= 0x20 && *p != 0x7f);
	assert_non_null(strstr(text, "[DATA]"));
	assert_non_null(strstr(text, "ntfs-dirty"));

	/* JSON: parses, and the label comes back as the expected UTF-8 */
	root = json_tokener_parse(json);
	assert_non_null(root);
	assert_true(json_object_object_get_ex(root, "disks", &disks));
	part = json_object_array_get_idx(
		json_object_object_get(json_object_array_get_idx(disks, 0), "partitions"), 0);
	assert_true(json_object_object_get_ex(part, "label", &v));
	assert_string_equal(json_object_get_string(v), json_expect);
	assert_true(json_object_object_get_ex(
		json_object_object_get(part, "ntfs"), "label", &v));
	assert_string_equal(json_object_get_string(v), json_expect);
	json_object_put(root);
	free(text);
	free(json);
	inventory_free(inv);
}

static void test_hostile_labels(void **state)
{
	(void)state;
	check_hostile("\x1b[2J\x1b[31mEVIL", "\x1b[2J\x1b[31mEVIL");
	check_hostile("bad\xff\xfe", "bad\xef\xbf\xbd\xef\xbf\xbd");
	check_hostile("Новый том", "Новый том");
	check_hostile("a\"quote\\back\nline", "a\"quote\\back\nline");
}

static void test_json_envelope(void **state)
{
	struct inventory *inv = hostile_inventory("x");
	char *json = output_json(inv);
	struct json_object *root = json_tokener_parse(json), *schema, *ver, *findings;

	(void)state;
	assert_non_null(root);
	assert_true(json_object_object_get_ex(root, "schema", &schema));
	assert_string_equal(json_object_get_string(json_object_object_get(schema, "name")), "winrescue");
	ver = json_object_object_get(schema, "version");
	assert_int_equal(json_object_array_length(ver), 2);
	assert_int_equal(json_object_get_int(json_object_array_get_idx(ver, 0)), WINRESCUE_SCHEMA_MAJOR);
	assert_true(json_object_object_get_ex(root, "findings", &findings));
	/* ntfs-dirty and no-windows-disk */
	assert_int_equal(json_object_array_length(findings), 2);
	json_object_put(root);
	free(json);
	inventory_free(inv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_size_human),
		cmocka_unit_test(test_sanitize),
		cmocka_unit_test(test_hostile_labels),
		cmocka_unit_test(test_json_envelope),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
