/*
 * The checker's rules that cross MFT records, on records built here byte
 * by byte (probes/ntfs_layout.h) and checked by nc_check_mft_buf as on a
 * volume: the link count as Windows counts it (an 8.3 alias in its own
 * $FILE_NAME is a link), the pieces of an attribute in extension records
 * (they must follow each other and add up to the allocated size), and
 * $MFT's own $DATA continued in an extension record.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "probes/ntfs_check.h"
#include "probes/ntfs_layout.h"

#define RS 1024
#define CS 4096
#define MFT_LCN 16

struct rec {
	uint8_t b[RS];
	uint32_t pos;		/* where the next attribute goes */
	uint16_t inst;
};

static void put16(uint8_t *p, uint16_t v) { nl_put16(p, v); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }
static void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)v); put32(p + 4, (uint32_t)(v >> 32)); }

/* A record in use: number n, base record base (0: a base record), link count link. */
static void rec_init(struct rec *r, uint32_t n, uint64_t base, uint16_t link, uint16_t flags)
{
	memset(r, 0, sizeof(*r));
	put32(r->b, NL_MAGIC_FILE);
	put16(r->b + NL_REC_USA_OFS, 0x30);
	put16(r->b + NL_REC_USA_COUNT, RS / NL_USA_STRIDE + 1);
	put16(r->b + NL_MFT_SEQUENCE, 1);
	put16(r->b + NL_MFT_LINK_COUNT, link);
	put16(r->b + NL_MFT_ATTRS_OFFSET, 0x38);
	put16(r->b + NL_MFT_FLAGS, NL_MFT_IN_USE | flags);
	put32(r->b + NL_MFT_BYTES_ALLOCATED, RS);
	put64(r->b + NL_MFT_BASE_RECORD, base);
	put32(r->b + NL_MFT_RECORD_NUMBER, n);
	r->pos = 0x38;
}

static void resident(struct rec *r, uint32_t type, const void *v, uint32_t vlen)
{
	uint8_t *a = r->b + r->pos;
	uint32_t len = (NL_ATTR_RESIDENT_HEADER + vlen + 7) & ~7u;

	put32(a + NL_ATTR_TYPE, type);
	put32(a + NL_ATTR_LENGTH, len);
	put16(a + NL_ATTR_NAME_OFFSET, NL_ATTR_RESIDENT_HEADER);
	put16(a + NL_ATTR_INSTANCE, r->inst++);
	put32(a + NL_ATTR_VALUE_LENGTH, vlen);
	put16(a + NL_ATTR_VALUE_OFFSET, NL_ATTR_RESIDENT_HEADER);
	memcpy(a + NL_ATTR_RESIDENT_HEADER, v, vlen);
	r->pos += len;
}

/* A non-resident piece: clusters lowest..highest at lcn (one run), sizes of the whole. */
static void nonresident(struct rec *r, uint32_t type, uint64_t lowest, uint64_t highest,
			uint32_t lcn, uint64_t asz, uint64_t dsz)
{
	uint8_t *a = r->b + r->pos;
	uint32_t len = NL_ATTR_NONRES_HEADER + 8;
	uint8_t *m = a + NL_ATTR_NONRES_HEADER;

	put32(a + NL_ATTR_TYPE, type);
	put32(a + NL_ATTR_LENGTH, len);
	a[NL_ATTR_NON_RESIDENT] = 1;
	put16(a + NL_ATTR_NAME_OFFSET, NL_ATTR_NONRES_HEADER);
	put16(a + NL_ATTR_INSTANCE, r->inst++);
	put64(a + NL_ATTR_LOWEST_VCN, lowest);
	put64(a + NL_ATTR_HIGHEST_VCN, highest);
	put16(a + NL_ATTR_MAPPING_PAIRS, NL_ATTR_NONRES_HEADER);
	put64(a + NL_ATTR_ALLOCATED_SIZE, asz);
	put64(a + NL_ATTR_DATA_SIZE, dsz);
	put64(a + NL_ATTR_INITIALIZED_SIZE, dsz);
	m[0] = 0x31;		/* 1 byte of length, 3 of LCN */
	m[1] = (uint8_t)(highest - lowest + 1);
	m[2] = (uint8_t)lcn;
	m[3] = (uint8_t)(lcn >> 8);
	m[4] = (uint8_t)(lcn >> 16);
	r->pos += len;
}

static void file_name(struct rec *r, uint8_t type, const char *name)
{
	uint8_t v[NL_FN_NAME + 2 * 32] = { 0 };
	size_t n = strlen(name);

	put64(v + NL_FN_PARENT, NL_FILE_ROOT | (uint64_t)NL_FILE_ROOT << 48);
	v[NL_FN_NAME_LENGTH] = (uint8_t)n;
	v[NL_FN_NAME_TYPE] = type;
	for (size_t i = 0; i < n; i++)
		put16(v + NL_FN_NAME + 2 * i, (uint8_t)name[i]);
	resident(r, NL_AT_FILE_NAME, v, NL_FN_NAME + 2 * (uint32_t)n);
}

/* An attribute list entry: type (unnamed), its piece at lowest, in record rec, instance. */
static uint32_t al_entry(uint8_t *al, uint32_t at, uint32_t type, uint64_t lowest, uint64_t rec,
			 uint16_t inst)
{
	put32(al + at + NL_AL_TYPE, type);
	put16(al + at + NL_AL_LENGTH, 0x20);
	al[at + NL_AL_NAME_OFFSET] = NL_AL_HEADER;
	put64(al + at + NL_AL_LOWEST_VCN, lowest);
	put64(al + at + NL_AL_MREF, rec | 1ULL << 48);
	put16(al + at + NL_AL_INSTANCE, inst);
	return at + 0x20;
}

/* The end marker, the used size, and the update sequence array as on disk. */
static void rec_close(struct rec *r)
{
	put32(r->b + r->pos, NL_AT_END);
	put32(r->b + NL_MFT_BYTES_IN_USE, r->pos + 8);
	put16(r->b + NL_MFT_NEXT_INSTANCE, r->inst);
	put16(r->b + 0x30, 1);
	for (int i = 1; i <= RS / NL_USA_STRIDE; i++) {
		memcpy(r->b + 0x30 + 2 * i, r->b + i * NL_USA_STRIDE - 2, 2);
		put16(r->b + i * NL_USA_STRIDE - 2, 1);
	}
}

/* $MFT's record 0: $DATA of nrec records at MFT_LCN (or only its first piece,
 * the rest in record 15 named by an attribute list), a $BITMAP of those in use. */
static void mft_record(struct rec *r, uint32_t nrec, bool split, const uint32_t *in_use, size_t n)
{
	uint8_t si[48] = { 0 }, bmp[16] = { 0 };
	uint32_t clusters = nrec * RS / CS;

	for (size_t i = 0; i < n; i++)
		bmp[in_use[i] / 8] |= (uint8_t)(1u << (in_use[i] % 8));
	rec_init(r, 0, 0, 1, 0);
	resident(r, NL_AT_STANDARD_INFORMATION, si, sizeof(si));
	if (split) {
		uint8_t al[0x80] = { 0 };
		uint32_t at = al_entry(al, 0, NL_AT_STANDARD_INFORMATION, 0, 0, 0);
		at = al_entry(al, at, NL_AT_DATA, 0, 0, 2);
		at = al_entry(al, at, NL_AT_DATA, clusters / 2, 15, 0);
		at = al_entry(al, at, NL_AT_BITMAP, 0, 0, 3);
		resident(r, NL_AT_ATTRIBUTE_LIST, al, at);
		nonresident(r, NL_AT_DATA, 0, clusters / 2 - 1, MFT_LCN, (uint64_t)clusters * CS,
			    (uint64_t)nrec * RS);
	} else {
		nonresident(r, NL_AT_DATA, 0, clusters - 1, MFT_LCN, (uint64_t)clusters * CS,
			    (uint64_t)nrec * RS);
	}
	resident(r, NL_AT_BITMAP, bmp, sizeof(bmp));
	rec_close(r);
}

/* Check the records (each placed at its number), the report into *rep. */
static void check(struct rec *const *recs, size_t n, struct nc_report *rep)
{
	uint8_t *buf = calloc(n, RS);

	assert_non_null(buf);
	for (size_t i = 0; i < n; i++)
		if (recs[i])
			memcpy(buf + i * RS, recs[i]->b, RS);
	nc_check_mft_buf(buf, n * RS, RS, rep);
	free(buf);
	assert_null(rep->op_error);
	assert_int_equal(rep->passes_done, NC_PASSES);
}

static bool has(const struct nc_report *rep, const char *code, int64_t rec)
{
	for (size_t i = 0; i < rep->nfindings; i++)
		if (!strcmp(rep->findings[i].code, code) && rep->findings[i].record == rec)
			return true;
	return false;
}

/* A file with a long name and its 8.3 alias in two $FILE_NAMEs: two links, as Windows counts. */
static void test_dos_name_is_a_link(void **state)
{
	static const uint32_t used[] = { 0, 64 };
	struct rec m, f;
	struct nc_report rep;
	uint8_t si[48] = { 0 };
	(void)state;

	for (uint16_t link = 1; link <= 3; link++) {
		mft_record(&m, 128, false, used, 2);
		rec_init(&f, 64, 0, link, 0);
		resident(&f, NL_AT_STANDARD_INFORMATION, si, sizeof(si));
		file_name(&f, NL_FN_WIN32, "Program Files");
		file_name(&f, NL_FN_DOS, "PROGRA~1");
		resident(&f, NL_AT_DATA, "", 0);
		rec_close(&f);
		check((struct rec *[]){ &m, &f }, 2, &rep);
		/* placed at 1, numbered 64: moved to 64 */
		assert_int_equal(has(&rep, "mft-link-count", 64), link != 2);
		nc_report_free(&rep);
	}
	/* one name that is both (WIN32_AND_DOS) is one link */
	mft_record(&m, 128, false, used, 2);
	rec_init(&f, 64, 0, 1, 0);
	resident(&f, NL_AT_STANDARD_INFORMATION, si, sizeof(si));
	file_name(&f, NL_FN_WIN32_AND_DOS, "README.TXT");
	resident(&f, NL_AT_DATA, "", 0);
	rec_close(&f);
	check((struct rec *[]){ &m, &f }, 2, &rep);
	assert_false(has(&rep, "mft-link-count", 64));
	nc_report_free(&rep);
}

/*
 * A file whose $DATA is in two pieces, clusters 0-9 in its base record 64
 * and 10-19 in extension record 65, allocated alloc clusters; the second
 * piece shifted by shift clusters.
 */
static void split_file(struct nc_report *rep, uint64_t alloc, uint64_t shift)
{
	static const uint32_t used[] = { 0, 64, 65 };
	struct rec m, b, e;
	uint8_t si[48] = { 0 }, al[0x80] = { 0 };
	uint32_t at;

	mft_record(&m, 128, false, used, 3);
	rec_init(&b, 64, 0, 1, 0);
	at = al_entry(al, 0, NL_AT_STANDARD_INFORMATION, 0, 64, 0);
	at = al_entry(al, at, NL_AT_FILE_NAME, 0, 64, 2);
	at = al_entry(al, at, NL_AT_DATA, 0, 64, 3);
	at = al_entry(al, at, NL_AT_DATA, 10 + shift, 65, 0);
	resident(&b, NL_AT_STANDARD_INFORMATION, si, sizeof(si));
	resident(&b, NL_AT_ATTRIBUTE_LIST, al, at);
	file_name(&b, NL_FN_WIN32_AND_DOS, "BIG.BIN");
	nonresident(&b, NL_AT_DATA, 0, 9, 1000, alloc * CS, 20 * CS);
	rec_close(&b);
	rec_init(&e, 65, 64 | 1ULL << 48, 0, 0);
	nonresident(&e, NL_AT_DATA, 10 + shift, 19 + shift, 2000, 0, 0);
	rec_close(&e);
	check((struct rec *[]){ &m, &b, &e }, 3, rep);
}

static void test_pieces_add_up(void **state)
{
	struct nc_report rep;
	(void)state;

	split_file(&rep, 20, 0);
	assert_false(has(&rep, "mft-attr-sizes", 64));
	assert_false(has(&rep, "mft-attr-extents", 64));
	assert_false(has(&rep, "mft-attrlist-entry", 64));
	assert_false(has(&rep, "mft-attr-unlisted", 64));
	nc_report_free(&rep);
	/* allocated 21 clusters, the pieces map 20 */
	split_file(&rep, 21, 0);
	assert_true(has(&rep, "mft-attr-sizes", 64));
	assert_false(has(&rep, "mft-attr-extents", 64));
	nc_report_free(&rep);
	/* the second piece starts at cluster 11: cluster 10 is in none */
	split_file(&rep, 21, 1);
	assert_true(has(&rep, "mft-attr-extents", 64));
	nc_report_free(&rep);
}

/* $MFT's $DATA continued in record 15: followed, so all its records are checked. */
static void test_mft_in_pieces(void **state)
{
	static const uint32_t used[] = { 0, 15 };
	struct rec m, e;
	struct rec *recs[16] = { &m };
	struct nc_report rep;
	(void)state;

	mft_record(&m, 64, true, used, 2);
	rec_init(&e, 15, 0 | 1ULL << 48, 0, 0);
	nonresident(&e, NL_AT_DATA, 8, 15, MFT_LCN + 8, 0, 0);
	rec_close(&e);
	recs[15] = &e;
	check(recs, 16, &rep);
	assert_int_equal(rep.records, 64);
	assert_false(has(&rep, "mft-data-unmapped", 0));
	assert_false(has(&rep, "mft-attr-extents", 0));
	nc_report_free(&rep);
	/* without record 15, only the first piece's 32 records can be read */
	recs[15] = NULL;
	check(recs, 16, &rep);
	assert_int_equal(rep.records, 32);
	assert_true(has(&rep, "mft-data-unmapped", 0));
	nc_report_free(&rep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dos_name_is_a_link),
		cmocka_unit_test(test_pieces_add_up),
		cmocka_unit_test(test_mft_in_pieces),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
