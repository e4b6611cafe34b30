/*
 * ntfs_check.c - the read-only NTFS checker (see ntfs_check.h).
 *
 * libntfs-3g is not used here: it refuses or silently works around the
 * damage a checker must name. Every structure is parsed from raw bytes
 * through ntfs_layout.h, each length and offset bounds-checked before use.
 * $MFT is streamed once in large chunks (pass 3 collects what the later
 * passes need: per-record flags and counts, the names, the cluster runs,
 * the attribute-list claims); directories are then re-read record by
 * record (pass 6), which the page cache serves.
 */
#include "probes/ntfs_check.h"
#include "probes/ntfs_layout.h"
#include "lib/util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHUNK (4u << 20)		/* bytes of $MFT read at once */
#define MAX_DEPTH 64			/* index tree depth, path depth */
#define MAX_ATTRLIST (1u << 20)		/* bytes of one attribute list read */
#define MAX_FAMILY 65536		/* extension records of one file held at once (64 MiB at
					 * 1 KiB: a file in a million fragments needs ~10,000) */
#define MAX_PATHS 2000			/* findings that get a path */

/* what a record holds (base records: with its extension records) */
enum {
	K_SI = 1 << 0, K_FN = 1 << 1, K_DATA = 1 << 2, K_IR = 1 << 3, K_IA = 1 << 4,
	K_BMP = 1 << 5, K_AL = 1 << 6, K_VIEW = 1 << 7,
};

enum { RS_FREE = 0, RS_OK, RS_BAD, RS_UNREADABLE };

struct rec_info {
	uint64_t base;		/* MFT reference of the base record, 0 for a base */
	uint16_t flags, seq, link;
	uint16_t names;		/* $FILE_NAME attributes (DOS aliases too, as Windows counts) */
	uint16_t refs;		/* index entries naming it */
	uint8_t state;
	uint8_t kinds;
};

struct name_ent {
	uint64_t rec, parent;	/* the base record; the parent's MFT reference */
	uint32_t hash;
	uint8_t type;
};

struct owner {
	uint64_t lcn, len, rec;	/* rec: the file's base record */
};

/*
 * One extent of a non-resident attribute of a file that has an attribute
 * list: the pieces of each attribute, from its base and extension records,
 * are put together after pass 3 (records_together).
 */
struct piece {
	uint64_t base, rec;	/* the file's base record; the record holding this piece */
	uint64_t lowest, highest;
	uint64_t asz;		/* allocated size, of the piece at VCN 0 */
	uint32_t type, name;	/* type, a hash of the attribute's name */
	uint16_t flags;		/* attribute flags, of the piece at VCN 0 */
	uint8_t nlen;		/* the name's length */
};

struct claim {
	uint64_t base, target;	/* the list's record, the record it points at */
	uint32_t type;
	uint16_t instance, seq;
};

struct ext_attr {
	uint64_t rec;
	uint32_t type;
	uint16_t instance;
};

/* bytes of a volume held in memory (nc_check_mft_buf) */
struct memwin {
	uint64_t off, len;
	const uint8_t *p;
};

/* a non-resident or resident attribute value of a system file */
struct loc {
	bool found;
	struct nc_run *runs;
	size_t nruns;
	uint64_t size;		/* data size */
	uint8_t *value;		/* resident: a copy */
};

struct ctx {
	int fd;
	uint64_t off, size;
	const struct memwin *mem;	/* instead of fd (the fuzz entry): these bytes, zeros elsewhere */
	size_t nmem;
	uint64_t max_records;	/* 0, or the most MFT records checked (the fuzz entry) */
	const char *dev;
	const struct nc_callbacks *cb;
	struct nc_report *r;
	struct nb_geometry g;
	uint32_t rs;
	bool collect;		/* a whole-volume check (not the fuzz entry points) */

	struct nc_run *mft_runs;
	size_t nmft_runs;
	uint64_t mft_size;	/* $MFT's data size */
	uint64_t nrec;
	uint8_t *mftbmp;
	uint64_t mftbmp_len;
	bool mftbmp_unknown;	/* no usable $BITMAP: records go by their in-use flag */

	struct rec_info *ri;
	struct name_ent *names;
	size_t nnames, capnames;
	struct owner *own;
	size_t nown, capown;
	struct claim *claims;
	size_t nclaims, capclaims;
	struct ext_attr *ext;
	size_t next, capext;
	struct claim *fam;	/* (base, extension record) pairs, sorted by base */
	size_t nfam, capfam;
	struct piece *pieces;
	size_t npieces, cappieces;

	struct loc bitmap, logfile, upcase, volinfo, mftbmp_loc;
	uint8_t *upcase_raw;	/* $UpCase's 65536 characters as read, NULL: unreadable */
	bool upcase_sane;	/* it maps a-z to A-Z: the collation uses it */
	uint64_t hiberfil;	/* MFT reference of \hiberfil.sys, 0: none */
	int current_pass;
};

static void ctx_free(struct ctx *c);
static void free_loc(struct loc *l);

/* ---- findings ---- */

static void vfinding(struct nc_report *r, enum nc_severity sev, int pass, const char *code,
		     int64_t rec, enum nc_repair repair, const char *fmt, va_list ap)
{
	struct nc_finding *f;

	if (sev == NC_ERROR)
		r->errors++;
	else if (sev == NC_WARNING)
		r->warnings++;
	/* a damaged area repeats one finding per record: keep the first of each code */
	size_t same = 0;
	for (size_t i = r->nfindings; i-- > 0 && same <= NC_MAX_PER_CODE;)
		same += strcmp(r->findings[i].code, code) == 0;
	if (r->nfindings >= NC_MAX_FINDINGS || same >= NC_MAX_PER_CODE) {
		r->dropped++;
		return;
	}
	if (!(r->nfindings & (r->nfindings - 1)) || !r->findings)
		r->findings = xrealloc(r->findings, r->nfindings ? r->nfindings * 2 : 8,
				       sizeof(*r->findings));
	f = &r->findings[r->nfindings++];
	memset(f, 0, sizeof(*f));
	f->severity = sev;
	f->code = xstrdup(code);
	f->pass = pass;
	f->record = rec;
	f->repair = repair;
	f->message = xvasprintf(fmt, ap);
}

__attribute__((format(printf, 6, 7)))
static void finding(struct ctx *c, enum nc_severity sev, const char *code, int64_t rec,
		    enum nc_repair repair, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfinding(c->r, sev, c->current_pass, code, rec, repair, fmt, ap);
	va_end(ap);
}

/* An error only chkdsk repairs, about one record. */
#define rec_error(c, code, rec, ...) finding(c, NC_ERROR, code, (int64_t)(rec), NC_REPAIR_CHKDSK, __VA_ARGS__)

const char *nc_severity_name(enum nc_severity s)
{
	return s == NC_ERROR ? "error" : s == NC_WARNING ? "warning" : "info";
}

const char *nc_repair_name(enum nc_repair r)
{
	return r == NC_REPAIR_FIX ? "fix" : r == NC_REPAIR_CHKDSK ? "chkdsk" : "none";
}

const char *nc_pass_name(int pass)
{
	static const char *const n[] = {
		"boot sector", "$MFT and $MFTMirr", "MFT records", "$MFT bitmap",
		"cluster bitmap", "directory indexes", "journal and volume state",
	};
	return pass >= 1 && pass <= NC_PASSES ? n[pass - 1] : "?";
}

/* ---- reading ---- */

static bool rd(struct ctx *c, void *buf, size_t len, uint64_t off)
{
	int e;

	if (off > c->size || len > c->size - off) {
		errno = ENXIO;
		return false;
	}
	if (c->mem) {
		memset(buf, 0, len);
		for (size_t i = 0; i < c->nmem; i++) {
			const struct memwin *w = &c->mem[i];
			if (off >= w->off + w->len || off + len <= w->off)
				continue;
			uint64_t from = off > w->off ? off : w->off;
			uint64_t to = off + len < w->off + w->len ? off + len : w->off + w->len;
			memcpy((uint8_t *)buf + (from - off), w->p + (from - w->off), (size_t)(to - from));
		}
		return true;
	}
	if ((e = pread_all(c->fd, buf, len, c->off + off))) {
		errno = -e;
		c->r->io_errors++;	/* the device's own refusal: never written to after */
	}
	return e == 0;
}

static ssize_t nb_reader(void *ctx, void *buf, size_t len, uint64_t off)
{
	return rd(ctx, buf, len, off) ? (ssize_t)len : -1;
}

/*
 * Bytes [vpos, vpos+len) of a non-resident value through its runs: holes
 * read as zeros. 0, -1 on an I/O error (errno), -2 when not mapped.
 */
static int read_runs(struct ctx *c, const struct nc_run *runs, size_t n, uint64_t vpos,
		     uint8_t *buf, size_t len)
{
	uint64_t cs = c->g.cluster;

	while (len) {
		size_t i;
		for (i = 0; i < n; i++)
			if (vpos >= runs[i].vcn * cs && vpos < (runs[i].vcn + runs[i].len) * cs)
				break;
		if (i == n)
			return -2;
		uint64_t in = vpos - runs[i].vcn * cs, avail = runs[i].len * cs - in;
		size_t take = avail < len ? (size_t)avail : len;
		if (runs[i].lcn == NC_SPARSE)
			memset(buf, 0, take);
		else if (!rd(c, buf, take, runs[i].lcn * cs + in))
			return -1;
		buf += take;
		vpos += take;
		len -= take;
	}
	return 0;
}

/* ---- runlists ---- */

const char *nc_decode_runs(const uint8_t *p, size_t len, uint64_t lowest_vcn, uint64_t clusters,
			   struct nc_run **runs, size_t *nruns)
{
	uint64_t vcn = lowest_vcn;
	int64_t lcn = 0;
	size_t pos = 0, cap = 0;

	*runs = NULL;
	*nruns = 0;
	while (pos < len && p[pos]) {
		unsigned lb = p[pos] & 0xf, ob = p[pos] >> 4;
		uint64_t rlen = 0;
		int64_t delta = 0;

		if (lb == 0 || lb > 8 || ob > 8)
			return "a run header has an impossible size";
		if (pos + 1 + lb + ob > len)
			return "the runlist runs past the end of its attribute";
		for (unsigned i = 0; i < lb; i++)
			rlen |= (uint64_t)p[pos + 1 + i] << (8 * i);
		if ((int64_t)rlen <= 0)
			return "a run has a zero or negative length";
		if (ob) {
			uint64_t u = 0;
			for (unsigned i = 0; i < ob; i++)
				u |= (uint64_t)p[pos + 1 + lb + i] << (8 * i);
			if (ob < 8 && (u >> (8 * ob - 1)) & 1)
				u |= ~0ULL << (8 * ob);	/* sign-extend */
			delta = (int64_t)u;
		}
		if (vcn + rlen < vcn || vcn + rlen > (1ULL << 62))
			return "the runs add up to an impossible length";
		if (cap == *nruns) {
			cap = cap ? cap * 2 : 8;
			*runs = xrealloc(*runs, cap, sizeof(**runs));
		}
		if (ob) {
			if (__builtin_add_overflow(lcn, delta, &lcn) || lcn < 0)
				return "a run starts before the volume's first cluster";
			if (clusters && ((uint64_t)lcn >= clusters || rlen > clusters - (uint64_t)lcn))
				return "a run points outside the volume";
			(*runs)[*nruns] = (struct nc_run){ vcn, (uint64_t)lcn, rlen };
		} else {
			(*runs)[*nruns] = (struct nc_run){ vcn, NC_SPARSE, rlen };
		}
		(*nruns)++;
		vcn += rlen;
		pos += 1 + lb + ob;
	}
	if (pos >= len)
		return "the runlist has no end marker";
	return NULL;
}

/* ---- names ---- */

static uint32_t name_hash(const uint8_t *name, unsigned units)
{
	uint32_t h = 2166136261u;

	for (unsigned i = 0; i < 2 * units; i++)
		h = (h ^ name[i]) * 16777619u;
	return h;
}

static bool is_i30(const uint8_t *a, unsigned nlen)
{
	static const uint8_t i30[8] = { '$', 0, 'I', 0, '3', 0, '0', 0 };
	return nlen == 4 && memcmp(a, i30, 8) == 0;
}

/* UTF-16LE name to UTF-8 (invalid units as U+FFFD); the caller frees. */
static char *name_utf8(const uint8_t *p, unsigned units)
{
	char *s = xcalloc(1, (size_t)units * 3 + 1), *o = s;

	for (unsigned i = 0; i < units; i++) {
		uint32_t u = nl_le16(p + 2 * i);
		if (u >= 0xd800 && u <= 0xdbff && i + 1 < units) {
			uint32_t lo = nl_le16(p + 2 * i + 2);
			if (lo >= 0xdc00 && lo <= 0xdfff) {
				u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
				i++;
			}
		}
		if (u >= 0xd800 && u <= 0xdfff)
			u = 0xfffd;
		if (u < 0x20)
			u = '?';
		if (u < 0x80) {
			*o++ = (char)u;
		} else if (u < 0x800) {
			*o++ = (char)(0xc0 | u >> 6);
			*o++ = (char)(0x80 | (u & 0x3f));
		} else if (u < 0x10000) {
			*o++ = (char)(0xe0 | u >> 12);
			*o++ = (char)(0x80 | ((u >> 6) & 0x3f));
			*o++ = (char)(0x80 | (u & 0x3f));
		} else {
			/* a surrogate pair: 4 bytes for the 2 units counted as 6 */
			*o++ = (char)(0xf0 | u >> 18);
			*o++ = (char)(0x80 | ((u >> 12) & 0x3f));
			*o++ = (char)(0x80 | ((u >> 6) & 0x3f));
			*o++ = (char)(0x80 | (u & 0x3f));
		}
		*o = '\0';
	}
	return s;
}

static uint16_t upcase(const struct ctx *c, uint16_t u)
{
	if (c->upcase_sane)
		return nl_le16(c->upcase_raw + 2 * u);
	return u >= 'a' && u <= 'z' ? (uint16_t)(u - 32) : u;
}

/* $I30 collation: names compared upper-cased, then exactly. */
static int collate(const struct ctx *c, const uint8_t *a, unsigned al, const uint8_t *b, unsigned bl)
{
	unsigned n = al < bl ? al : bl;

	for (unsigned i = 0; i < n; i++) {
		uint16_t x = upcase(c, nl_le16(a + 2 * i)), y = upcase(c, nl_le16(b + 2 * i));
		if (x != y)
			return x < y ? -1 : 1;
	}
	if (al != bl)
		return al < bl ? -1 : 1;
	for (unsigned i = 0; i < n; i++) {
		uint16_t x = nl_le16(a + 2 * i), y = nl_le16(b + 2 * i);
		if (x != y)
			return x < y ? -1 : 1;
	}
	return 0;
}

#define GROW(arr, n, cap) do { \
	if ((n) == (cap)) { \
		(cap) = (cap) ? (cap) * 2 : 64; \
		(arr) = xrealloc((arr), (cap), sizeof(*(arr))); \
	} \
} while (0)

#define ANY_VCN UINT64_MAX

/* which attributes of a type record_attr takes, by name */
enum { NAME_ANY, NAME_I30, NAME_NONE };

/* The first attribute of type (of any name, named $I30, or unnamed; a non-resident
 * one starting at vcn unless ANY_VCN) in record b, or NULL. */
static const uint8_t *record_attr(const uint8_t *b, uint32_t rs, uint32_t type, int name,
				  uint64_t vcn, uint32_t *alen)
{
	struct nb_attr_iter it;
	const uint8_t *a;
	uint32_t len;

	nb_attr_iter_init(&it, b, rs);
	while ((a = nb_attr_next(&it, &len))) {
		unsigned nlen = a[NL_ATTR_NAME_LENGTH];
		uint16_t noff = nl_le16(a + NL_ATTR_NAME_OFFSET);
		if (nl_le32(a) != type || (name == NAME_NONE && nlen) ||
		    (name == NAME_I30 && !(noff + 2u * nlen <= len && is_i30(a + noff, nlen))))
			continue;
		if (vcn != ANY_VCN && (!a[NL_ATTR_NON_RESIDENT] || len < NL_ATTR_NONRES_HEADER ||
				       nl_le64(a + NL_ATTR_LOWEST_VCN) != vcn) &&
		    !(vcn == 0 && !a[NL_ATTR_NON_RESIDENT]))
			continue;
		*alen = len;
		return a;
	}
	return NULL;
}

/* ---- pass 3: one record ---- */

struct attr_seen {
	uint32_t type;
	uint16_t instance;
};

/* What the walk of one record collected, for checks that need the whole record. */
struct walk {
	struct attr_seen seen[128];
	size_t nseen;
	const uint8_t *al;	/* resident attribute list value */
	uint32_t al_len;
	struct nc_run *al_runs;	/* non-resident attribute list */
	size_t al_nruns;
	uint64_t al_size;
	bool has_al;		/* an attribute list seen so far */
};

static void loc_add_runs(struct loc *l, const struct nc_run *runs, size_t nruns)
{
	l->runs = xrealloc(l->runs, l->nruns + nruns + 1, sizeof(*runs));
	if (nruns)
		memcpy(l->runs + l->nruns, runs, nruns * sizeof(*runs));
	l->nruns += nruns;
}

/* A system file's value: resident, or the runs of its piece at VCN 0 (the other
 * pieces' runs join it through loc_add_runs). */
static void keep_loc(struct loc *l, const uint8_t *value, uint32_t vlen, struct nc_run *runs,
		     size_t nruns, uint64_t size)
{
	if (l->found)
		return;
	l->found = true;
	if (value) {
		l->value = xcalloc(1, vlen ? vlen : 1);
		memcpy(l->value, value, vlen);
		l->size = vlen;
	} else {
		loc_add_runs(l, runs, nruns);
		l->size = size;
	}
}

static void resident_value(struct ctx *c, uint64_t recno, struct rec_info *ri, uint32_t type, const uint8_t *a, const uint8_t *v, uint32_t vlen,
			   struct walk *w)
{
	unsigned nlen = a[NL_ATTR_NAME_LENGTH];
	const uint8_t *name = a + nl_le16(a + NL_ATTR_NAME_OFFSET);

	switch (type) {
	case NL_AT_STANDARD_INFORMATION:
		ri->kinds |= K_SI;
		break;
	case NL_AT_FILE_NAME: {
		unsigned fl;
		if (vlen < NL_FN_NAME || !(fl = v[NL_FN_NAME_LENGTH]) ||
		    NL_FN_NAME + 2u * fl > vlen || v[NL_FN_NAME_TYPE] > NL_FN_WIN32_AND_DOS) {
			rec_error(c, "mft-filename-bad", recno,
				  "Record %" PRIu64 " has a $FILE_NAME attribute whose name does not fit "
				  "in it (or has an unknown name type).", recno);
			break;
		}
		ri->kinds |= K_FN;
		if (c->collect) {
			GROW(c->names, c->nnames, c->capnames);
			c->names[c->nnames++] = (struct name_ent){
				.rec = recno, .parent = nl_le64(v + NL_FN_PARENT),
				.hash = name_hash(v + NL_FN_NAME, fl), .type = v[NL_FN_NAME_TYPE] };
		}
		break;
	}
	case NL_AT_DATA:
		if (!nlen)
			ri->kinds |= K_DATA;
		break;
	case NL_AT_INDEX_ROOT:
		if (is_i30(name, nlen))
			ri->kinds |= K_IR;
		else
			ri->kinds |= K_VIEW;
		break;
	case NL_AT_BITMAP:
		if (is_i30(name, nlen))
			ri->kinds |= K_BMP;
		break;
	case NL_AT_ATTRIBUTE_LIST:
		ri->kinds |= K_AL;
		w->al = v;
		w->al_len = vlen;
		break;
	case NL_AT_VOLUME_INFORMATION:
		if (recno == NL_FILE_VOLUME)
			keep_loc(&c->volinfo, v, vlen, NULL, 0, 0);
		break;
	}
	if (recno == NL_FILE_MFT && type == NL_AT_BITMAP && !nlen)
		keep_loc(&c->mftbmp_loc, v, vlen, NULL, 0, 0);
	if (type == NL_AT_DATA && !nlen && recno == NL_FILE_UPCASE)
		keep_loc(&c->upcase, v, vlen, NULL, 0, 0);
	if (type == NL_AT_DATA && !nlen && recno == NL_FILE_LOGFILE)
		keep_loc(&c->logfile, v, vlen, NULL, 0, 0);
	if (type == NL_AT_DATA && !nlen && recno == NL_FILE_BITMAP)
		keep_loc(&c->bitmap, v, vlen, NULL, 0, 0);
}

/* file: the record's file (its base record, or itself) */
static void nonresident_value(struct ctx *c, uint64_t recno, uint64_t file, struct rec_info *ri,
			      uint32_t type, const uint8_t *a, struct nc_run *runs, size_t nruns,
			      struct walk *w)
{
	unsigned nlen = a[NL_ATTR_NAME_LENGTH];
	const uint8_t *name = a + nl_le16(a + NL_ATTR_NAME_OFFSET);
	uint64_t dsize = nl_le64(a + NL_ATTR_DATA_SIZE);
	bool first = nl_le64(a + NL_ATTR_LOWEST_VCN) == 0;
	struct loc *l = NULL;

	switch (type) {
	case NL_AT_DATA:
		if (!nlen)
			ri->kinds |= K_DATA;
		break;
	case NL_AT_INDEX_ALLOCATION:
		if (is_i30(name, nlen))
			ri->kinds |= K_IA;
		break;
	case NL_AT_BITMAP:
		if (is_i30(name, nlen))
			ri->kinds |= K_BMP;
		break;
	case NL_AT_ATTRIBUTE_LIST:
		ri->kinds |= K_AL;
		if (first && !w->al_runs) {
			w->al_runs = xcalloc(nruns ? nruns : 1, sizeof(*runs));
			if (nruns)
				memcpy(w->al_runs, runs, nruns * sizeof(*runs));
			w->al_nruns = nruns;
			w->al_size = dsize;
		}
		break;
	case NL_AT_FILE_NAME:
	case NL_AT_STANDARD_INFORMATION:
	case NL_AT_INDEX_ROOT:
	case NL_AT_VOLUME_INFORMATION:
	case NL_AT_VOLUME_NAME:
		rec_error(c, "mft-attr-nonresident", recno,
			  "Record %" PRIu64 " holds attribute type 0x%X as non-resident; NTFS keeps "
			  "it inside the record.", recno, type);
		break;
	}
	/* the system files read later: $MFT's pieces are followed by mft_layout */
	if (recno == NL_FILE_MFT && type == NL_AT_BITMAP && !nlen && first)
		keep_loc(&c->mftbmp_loc, NULL, 0, runs, nruns, dsize);
	if (type == NL_AT_DATA && !nlen)
		l = file == NL_FILE_UPCASE ? &c->upcase : file == NL_FILE_LOGFILE ? &c->logfile
		    : file == NL_FILE_BITMAP ? &c->bitmap : NULL;
	if (l && first)
		keep_loc(l, NULL, 0, runs, nruns, dsize);
	else if (l && !l->value && c->collect)
		loc_add_runs(l, runs, nruns);
}

/* The entries of an attribute list; entries in this record are checked at once. */
static void attribute_list(struct ctx *c, uint64_t recno, const uint8_t *v, uint32_t len,
			   const struct walk *w)
{
	for (uint32_t p = 0; p < len;) {
		uint16_t elen;
		uint8_t nl, no;
		uint64_t mref;

		if (len - p < NL_AL_HEADER) {
			rec_error(c, "mft-attrlist-bad", recno,
				  "The attribute list of record %" PRIu64 " ends inside an entry "
				  "(offset %u of %u bytes).", recno, p, len);
			return;
		}
		elen = nl_le16(v + p + NL_AL_LENGTH);
		nl = v[p + NL_AL_NAME_LENGTH];
		no = v[p + NL_AL_NAME_OFFSET];
		if (elen < NL_AL_HEADER || elen > len - p || (nl && no + 2u * nl > elen)) {
			rec_error(c, "mft-attrlist-bad", recno,
				  "The attribute list of record %" PRIu64 " has an entry of impossible "
				  "length %u at offset %u.", recno, elen, p);
			return;
		}
		mref = nl_le64(v + p + NL_AL_MREF);
		uint32_t type = nl_le32(v + p + NL_AL_TYPE);
		uint16_t inst = nl_le16(v + p + NL_AL_INSTANCE);
		if (NL_MREF(mref) == recno) {
			size_t i;
			for (i = 0; i < w->nseen; i++)
				if (w->seen[i].type == type && w->seen[i].instance == inst)
					break;
			if (i == w->nseen)
				rec_error(c, "mft-attrlist-entry", recno,
					  "The attribute list of record %" PRIu64 " names attribute type "
					  "0x%X (instance %u) in the record itself, which does not hold it.",
					  recno, type, inst);
		} else if (c->collect) {
			GROW(c->claims, c->nclaims, c->capclaims);
			c->claims[c->nclaims++] = (struct claim){ recno, NL_MREF(mref), type, inst,
								   NL_MSEQ(mref) };
		}
		p += elen;
	}
}

static void walk_record(struct ctx *c, uint8_t *b, uint64_t recno, struct rec_info *ri)
{
	uint32_t rs = c->rs;
	uint16_t flags = nl_le16(b + NL_MFT_FLAGS), usa_ofs = nl_le16(b + NL_REC_USA_OFS);
	uint16_t usa_count = nl_le16(b + NL_REC_USA_COUNT), ao = nl_le16(b + NL_MFT_ATTRS_OFFSET);
	uint16_t next_inst = nl_le16(b + NL_MFT_NEXT_INSTANCE);
	uint32_t used = nl_le32(b + NL_MFT_BYTES_IN_USE), alloc = nl_le32(b + NL_MFT_BYTES_ALLOCATED);
	uint64_t base = nl_le64(b + NL_MFT_BASE_RECORD);
	uint32_t prev_type = 0;
	unsigned inst_reported = 0;
	struct walk w = { .nseen = 0 };
	/* the file the record's attributes belong to: its base record, when that can be */
	uint64_t file = base && NL_MREF(base) < c->nrec && NL_MREF(base) != recno ? NL_MREF(base) : recno;

	ri->flags = flags;
	ri->seq = nl_le16(b + NL_MFT_SEQUENCE);
	ri->link = nl_le16(b + NL_MFT_LINK_COUNT);
	ri->base = base;
	if (alloc != rs)
		rec_error(c, "mft-allocated-size", recno,
			  "Record %" PRIu64 " says it is %u bytes long; the volume's records are %u.",
			  recno, alloc, rs);
	if (flags & ~NL_MFT_KNOWN_FLAGS)
		rec_error(c, "mft-flags", recno,
			  "Record %" PRIu64 " has flags 0x%04X, of which 0x%04X mean nothing to NTFS.",
			  recno, flags, flags & ~NL_MFT_KNOWN_FLAGS);
	if ((flags & NL_MFT_IN_USE) && ri->seq == 0)
		rec_error(c, "mft-sequence", recno,
			  "Record %" PRIu64 " is in use with sequence number 0, which NTFS never gives "
			  "a record in use.", recno);
	if (usa_ofs >= NL_MFT_HEADER_31 && nl_le32(b + NL_MFT_RECORD_NUMBER) != (uint32_t)recno)
		rec_error(c, "mft-record-number", recno,
			  "Record %" PRIu64 " says it is record %u.", recno,
			  nl_le32(b + NL_MFT_RECORD_NUMBER));
	if (base && (NL_MREF(base) >= (c->nrec ? c->nrec : UINT64_MAX) || NL_MREF(base) == recno))
		rec_error(c, "mft-base-record", recno,
			  "Record %" PRIu64 " names record %" PRIu64 " as its base record, which "
			  "cannot be.", recno, (uint64_t)NL_MREF(base));
	if (used > rs || used & 7 || used < (uint32_t)ao + 8) {
		rec_error(c, "mft-used-size", recno,
			  "Record %" PRIu64 " says %u bytes are in use, outside its %u bytes.",
			  recno, used, rs);
		if (used > rs)
			used = rs;
	}
	if (ao & 7 || ao < usa_ofs + 2u * usa_count || ao >= used) {
		rec_error(c, "mft-attrs-offset", recno,
			  "Record %" PRIu64 "'s first attribute is at offset 0x%X, which overlaps its "
			  "header or lies past its end.", recno, ao);
		return;
	}
	for (uint32_t pos = ao;;) {
		const uint8_t *a = b + pos;
		uint32_t type, len;
		uint16_t inst;
		uint8_t nlen, nonres;
		uint16_t noff;

		if (pos + 4 > used) {
			rec_error(c, "mft-attr-end", recno,
				  "Record %" PRIu64 "'s attributes run to the end of its used bytes "
				  "without an end marker.", recno);
			break;
		}
		type = nl_le32(a);
		if (type == NL_AT_END) {
			if (pos + 8 != used)
				rec_error(c, "mft-used-size", recno,
					  "Record %" PRIu64 " says %u bytes are in use; its attributes end "
					  "at %u.", recno, used, pos + 8);
			break;
		}
		if (pos + NL_ATTR_RESIDENT_HEADER > used && pos + NL_ATTR_RESIDENT_HEADER <= rs) {
			rec_error(c, "mft-used-size", recno,
				  "Record %" PRIu64 " says %u bytes are in use; an attribute (type 0x%X) "
				  "starts at offset 0x%X and runs past that.", recno, used, type, pos);
			break;
		}
		if (pos + NL_ATTR_RESIDENT_HEADER > used) {
			rec_error(c, "mft-attr-length", recno,
				  "Record %" PRIu64 ": an attribute header at offset 0x%X runs past the "
				  "record's used bytes.", recno, pos);
			break;
		}
		len = nl_le32(a + NL_ATTR_LENGTH);
		nonres = a[NL_ATTR_NON_RESIDENT];
		if (len >= NL_ATTR_RESIDENT_HEADER && !(len & 7) && len > used - pos &&
		    len <= rs - pos && nonres <= 1) {
			/* the attribute is whole; the header's used size is what is wrong */
			rec_error(c, "mft-used-size", recno,
				  "Record %" PRIu64 " says %u bytes are in use; its attribute at offset "
				  "0x%X runs to %u.", recno, used, pos, pos + len);
			break;
		}
		if (len < (nonres ? NL_ATTR_NONRES_HEADER : NL_ATTR_RESIDENT_HEADER) || len & 7 ||
		    len > used - pos || nonres > 1) {
			rec_error(c, "mft-attr-length", recno,
				  "Record %" PRIu64 ": attribute type 0x%X at offset 0x%X has an impossible "
				  "length %u (or form %u).", recno, type, pos, len, nonres);
			break;
		}
		nlen = a[NL_ATTR_NAME_LENGTH];
		noff = nl_le16(a + NL_ATTR_NAME_OFFSET);
		inst = nl_le16(a + NL_ATTR_INSTANCE);
		if (type & 0xf || type == 0 || type > NL_AT_LOGGED_UTILITY_STREAM)
			rec_error(c, "mft-attr-type", recno,
				  "Record %" PRIu64 " holds an attribute of unknown type 0x%X.", recno, type);
		else if (type < prev_type)
			rec_error(c, "mft-attr-order", recno,
				  "Record %" PRIu64 "'s attributes are out of order (type 0x%X after "
				  "0x%X).", recno, type, prev_type);
		prev_type = type;
		if (nlen && (noff < (nonres ? NL_ATTR_NONRES_HEADER - 8 : NL_ATTR_RESIDENT_HEADER) ||
			     noff + 2u * nlen > len)) {
			rec_error(c, "mft-attr-name", recno,
				  "Record %" PRIu64 ": the name of attribute type 0x%X lies outside the "
				  "attribute.", recno, type);
			pos += len;
			continue;
		}
		if (inst >= next_inst && !inst_reported++)
			rec_error(c, "mft-attr-instance", recno,
				  "Record %" PRIu64 ": attribute type 0x%X has instance %u, not below the "
				  "record's next instance number %u.", recno, type, inst, next_inst);
		for (size_t i = 0; i < w.nseen; i++)
			if (w.seen[i].instance == inst && !inst_reported++) {
				rec_error(c, "mft-attr-instance", recno,
					  "Record %" PRIu64 ": two attributes share instance %u.", recno, inst);
				break;
			}
		if (w.nseen < sizeof(w.seen) / sizeof(w.seen[0]))
			w.seen[w.nseen++] = (struct attr_seen){ type, inst };
		if (base && c->collect) {
			GROW(c->ext, c->next, c->capext);
			c->ext[c->next++] = (struct ext_attr){ recno, type, inst };
		}
		if (type == NL_AT_ATTRIBUTE_LIST)
			w.has_al = true;	/* it comes first: the attributes after it know */
		if (!nonres) {
			uint32_t vlen = nl_le32(a + NL_ATTR_VALUE_LENGTH);
			uint16_t voff = nl_le16(a + NL_ATTR_VALUE_OFFSET);
			if (voff < NL_ATTR_RESIDENT_HEADER || voff > len || vlen > len - voff ||
			    (nlen && voff < noff + 2u * nlen && voff + vlen > noff)) {
				rec_error(c, "mft-attr-value", recno,
					  "Record %" PRIu64 ": the value of attribute type 0x%X (offset %u, "
					  "%u bytes) lies outside the attribute's %u bytes.", recno, type,
					  voff, vlen, len);
			} else {
				resident_value(c, recno, ri, type, a, a + voff, vlen, &w);
			}
		} else {
			uint64_t lowest = nl_le64(a + NL_ATTR_LOWEST_VCN);
			uint64_t highest = nl_le64(a + NL_ATTR_HIGHEST_VCN);
			uint16_t mp = nl_le16(a + NL_ATTR_MAPPING_PAIRS);
			uint64_t asz = nl_le64(a + NL_ATTR_ALLOCATED_SIZE), dsz = nl_le64(a + NL_ATTR_DATA_SIZE);
			uint64_t isz = nl_le64(a + NL_ATTR_INITIALIZED_SIZE);
			uint16_t aflags = nl_le16(a + NL_ATTR_FLAGS);
			struct nc_run *runs = NULL;
			size_t nruns = 0;
			const char *why = NULL;
			uint64_t sum = 0;

			if (mp < NL_ATTR_NONRES_HEADER - 8 || mp >= len)
				why = "its runlist offset lies outside it";
			else
				why = nc_decode_runs(a + mp, len - mp, lowest, c->g.clusters, &runs, &nruns);
			for (size_t i = 0; !why && i < nruns; i++)
				sum += runs[i].len;
			if (why) {
				rec_error(c, "mft-runlist", recno,
					  "Record %" PRIu64 ": the runlist of attribute type 0x%X is damaged: "
					  "%s.", recno, type, why);
			} else if ((sum && highest != lowest + sum - 1) || (!sum && highest + 1 != lowest)) {
				rec_error(c, "mft-runlist", recno,
					  "Record %" PRIu64 ": attribute type 0x%X says it covers clusters "
					  "%" PRIu64 "-%" PRIu64 " of its value; its runs cover %" PRIu64 ".",
					  recno, type, lowest, highest, sum);
			} else {
				bool loose = aflags & (NL_ATTR_COMPRESSED | NL_ATTR_SPARSE);
				if (lowest == 0 && (dsz > asz || isz > dsz))
					rec_error(c, "mft-attr-sizes", recno,
						  "Record %" PRIu64 ": attribute type 0x%X has sizes that "
						  "contradict each other (allocated %" PRIu64 ", data %" PRIu64
						  ", initialized %" PRIu64 ", %" PRIu64 " clusters).", recno,
						  type, asz, dsz, isz, sum);
				if (base || w.has_al) {
					/* a file with an attribute list: its pieces are put together after pass 3 */
					if (c->collect) {
						GROW(c->pieces, c->npieces, c->cappieces);
						c->pieces[c->npieces++] = (struct piece){
							.base = file, .rec = recno, .lowest = lowest,
							.highest = highest, .asz = asz, .type = type,
							.name = name_hash(a + noff, nlen), .flags = aflags,
							.nlen = nlen };
					}
				} else if (lowest != 0) {
					rec_error(c, "mft-attr-extents", recno,
						  "Record %" PRIu64 ": attribute type 0x%X starts at cluster %"
						  PRIu64 " of its value, yet the record has no attribute list "
						  "to say where the rest is.", recno, type, lowest);
				} else if (!loose && dsz <= asz && isz <= dsz && asz != sum * c->g.cluster) {
					rec_error(c, "mft-attr-sizes", recno,
						  "Record %" PRIu64 ": attribute type 0x%X has sizes that "
						  "contradict each other (allocated %" PRIu64 ", data %" PRIu64
						  ", initialized %" PRIu64 ", %" PRIu64 " clusters).", recno,
						  type, asz, dsz, isz, sum);
				}
				for (size_t i = 0; c->collect && i < nruns; i++) {
					if (runs[i].lcn == NC_SPARSE)
						continue;
					GROW(c->own, c->nown, c->capown);
					c->own[c->nown++] = (struct owner){ runs[i].lcn, runs[i].len, file };
				}
				nonresident_value(c, recno, file, ri, type, a, runs, nruns, &w);
			}
			free(runs);
		}
		pos += len;
	}
	if (w.al) {
		attribute_list(c, recno, w.al, w.al_len, &w);
	} else if (w.al_runs && c->collect) {
		uint64_t n = w.al_size;
		if (n > MAX_ATTRLIST) {
			rec_error(c, "mft-attrlist-bad", recno,
				  "The attribute list of record %" PRIu64 " says it is %" PRIu64 " bytes "
				  "long, far more than any file needs.", recno, n);
		} else {
			uint8_t *buf = xcalloc(1, n ? (size_t)n : 1);
			if (read_runs(c, w.al_runs, w.al_nruns, 0, buf, (size_t)n) == 0)
				attribute_list(c, recno, buf, (uint32_t)n, &w);
			else
				rec_error(c, "mft-attrlist-bad", recno,
					  "The attribute list of record %" PRIu64 " cannot be read: %s.",
					  recno, strerror(errno ? errno : EIO));
			free(buf);
		}
	}
	free(w.al_runs);
}

/* Judge one record as read from $MFT: magic, fixups, then the walk. */
static void check_record(struct ctx *c, uint8_t *b, uint64_t recno, struct rec_info *ri, bool bit)
{
	uint32_t magic = nl_le32(b);
	bool in_use_flag = nl_le16(b + NL_MFT_FLAGS) & NL_MFT_IN_USE;
	int fx;

	if (magic != NL_MAGIC_FILE) {
		if (magic == NL_MAGIC_BAAD)
			rec_error(c, "mft-record-baad", recno,
				  "Record %" PRIu64 " is marked BAAD: a write to it was torn.", recno);
		else if (bit)
			rec_error(c, "mft-record-magic", recno,
				  "Record %" PRIu64 " is in use by $MFT's bitmap but is not an MFT record "
				  "(it starts with %02X %02X %02X %02X, not FILE).", recno, b[0], b[1],
				  b[2], b[3]);
		ri->state = (bit || magic == NL_MAGIC_BAAD) ? RS_BAD : RS_FREE;
		return;
	}
	if (!bit && !in_use_flag) {
		ri->state = RS_FREE;	/* a free record: stale contents are no damage */
		ri->seq = nl_le16(b + NL_MFT_SEQUENCE);
		return;
	}
	fx = nb_fixup(b, c->rs);
	if (fx == NB_FIXUP_OK && nl_le16(b + NL_REC_USA_OFS) < NL_MFT_HEADER_30)
		fx = NB_FIXUP_OFFSET;	/* inside the record header (fixups undone below) */
	if (fx != NB_FIXUP_OK) {
		uint16_t ofs = nl_le16(b + NL_REC_USA_OFS), cnt = nl_le16(b + NL_REC_USA_COUNT);
		ri->state = RS_BAD;
		ri->flags = nl_le16(b + NL_MFT_FLAGS);
		ri->seq = nl_le16(b + NL_MFT_SEQUENCE);
		if (fx == NB_FIXUP_OFFSET)
			rec_error(c, "mft-fixup-offset", recno,
				  "Record %" PRIu64 "'s update sequence array is at offset 0x%X, outside "
				  "its header.", recno, ofs);
		else if (fx == NB_FIXUP_COUNT)
			rec_error(c, "mft-fixup-count", recno,
				  "Record %" PRIu64 "'s update sequence array has %u entries; a %u-byte "
				  "record needs %u.", recno, cnt, c->rs, c->rs / NL_USA_STRIDE + 1);
		else
			rec_error(c, "mft-fixup-mismatch", recno,
				  "Record %" PRIu64 " fails its update sequence check: a write to it was "
				  "torn (a sector of it is older than the rest).", recno);
		return;
	}
	ri->state = RS_OK;
	walk_record(c, b, recno, ri);
}

void nc_check_record_buf(uint8_t *rec, uint32_t size, uint64_t recno, uint64_t clusters,
			 struct nc_report *r)
{
	struct ctx c = { .r = r, .rs = size, .g = { .clusters = clusters, .cluster = 4096 } };
	struct rec_info ri = { 0 };

	if (size < NL_USA_STRIDE || size % NL_USA_STRIDE)
		return;
	c.current_pass = 3;
	check_record(&c, rec, recno, &ri, true);
	ctx_free(&c);
}

/*
 * What the record walk and a system file's own rules find wrong in one raw
 * copy: how many faults, and (words not NULL) their names, for a finding.
 */
static size_t copy_faults(const uint8_t *raw, uint32_t rs, uint32_t recno, uint64_t clusters,
			  char **words)
{
	uint8_t *b = xcalloc(1, rs), *f = xcalloc(1, rs);
	struct nc_report tmp = { 0 };
	uint32_t alen;
	size_t n;

	memcpy(b, raw, rs);
	memcpy(f, raw, rs);
	nc_check_record_buf(b, rs, recno, clusters, &tmp);
	n = tmp.errors;
	for (size_t i = 0; words && i < tmp.nfindings; i++)
		if (tmp.findings[i].severity == NC_ERROR && (!*words || !strstr(*words, tmp.findings[i].code)))
			str_add_word(words, tmp.findings[i].code);
	nc_report_free(&tmp);
	/* a system file is a base record in use; $MFT keeps its $BITMAP */
	if (nb_fixup(f, rs) != NB_FIXUP_OK) {
		n++;
	} else {
		if (nl_le64(f + NL_MFT_BASE_RECORD)) {
			n++;
			if (words)
				str_add_word(words, "it names a base record");
		}
		if (!(nl_le16(f + NL_MFT_FLAGS) & NL_MFT_IN_USE)) {
			n++;
			if (words)
				str_add_word(words, "it is not marked in use");
		}
		if (recno == NL_FILE_MFT && !record_attr(f, rs, NL_AT_BITMAP, NAME_ANY, ANY_VCN, &alen)) {
			n++;
			if (words)
				str_add_word(words, "it has no $BITMAP");
		}
	}
	free(b);
	free(f);
	return n;
}

enum nb_mirr_state nc_mirr_judge(const uint8_t *mft, const uint8_t *mirr, uint32_t size,
				 uint32_t recno, uint64_t clusters)
{
	enum nb_mirr_state st = nb_mirr_record_cmp(mft, mirr, size, recno);
	size_t fa, fb;

	if (st != NB_MIRR_DIFFER)
		return st;
	fa = copy_faults(mft, size, recno, clusters, NULL);
	fb = copy_faults(mirr, size, recno, clusters, NULL);
	if (fa && fb)
		return NB_MIRR_BOTH_BAD;
	return fa ? NB_MIRR_MFT_BAD : fb ? NB_MIRR_MIRR_BAD : NB_MIRR_DIFFER;
}

/* ---- passes 1 and 2 ---- */

static void pass_boot(struct ctx *c)
{
	struct nb_verdict *v = &c->r->boot;
	unsigned dp;

	nb_examine(nb_reader, c, c->size, v);
	if (v->read_errno)
		return;
	dp = v->backup_found ? nb_differing(v->primary, v->backup) : 0;
	if (v->primary_problems) {
		/* name each problem; where the backup is intact, every field that differs too */
		unsigned bits = v->primary_problems | (v->backup_problems ? 0 : dp);
		for (unsigned b = 0; b < NB_NPROBLEMS; b++) {
			if (!(bits & (1u << b)))
				continue;
			char *w = nb_problem_words(1u << b, v->primary);
			char *other = !v->backup_problems && (dp & (1u << b))
				? nb_problem_value(1u << b, v->backup) : NULL;
			finding(c, NC_ERROR, nb_problem_code(1u << b), -1,
				v->backup_problems ? NC_REPAIR_CHKDSK : NC_REPAIR_FIX,
				"The primary boot sector is damaged: %s%s%s.", w,
				other ? "; the intact backup has " : "", other ? other : "");
			free(w);
			free(other);
		}
	}
	if (!v->backup_found) {
		finding(c, NC_ERROR, "bs-backup-missing", -1,
			v->primary_problems ? NC_REPAIR_CHKDSK : NC_REPAIR_FIX,
			"The backup boot sector cannot be read: %s.",
			strerror(v->backup_errno ? v->backup_errno : EIO));
	} else if (v->backup_problems) {
		unsigned bits = v->backup_problems;
		unsigned b;
		for (b = 0; b < NB_NPROBLEMS && !(bits & (1u << b)); b++)
			;
		char *w = nb_problem_words(1u << b, v->backup);
		finding(c, NC_ERROR, "bs-backup-damaged", -1,
			v->primary_problems ? NC_REPAIR_CHKDSK : NC_REPAIR_FIX,
			"The backup boot sector (at byte %" PRIu64 ") is damaged: %s%s.", v->backup_off, w,
			v->primary_problems ? "" : "; the primary is intact");
		free(w);
	} else if (v->differ) {
		finding(c, NC_ERROR, "bs-differ", -1, NC_REPAIR_FIX,
			"The primary and backup boot sectors are both valid but describe different "
			"volumes.");
	} else if (v->code_differs) {
		finding(c, NC_WARNING, "bs-code-differs", -1, NC_REPAIR_FIX,
			"The primary and backup boot sectors differ only in their boot code.");
	} else if (v->backup_misplaced) {
		finding(c, NC_WARNING, "bs-backup-misplaced", -1, NC_REPAIR_NONE,
			"The backup boot sector is at byte %" PRIu64 ", not where the volume ends "
			"(byte %" PRIu64 ").", v->backup_off, v->geom.sectors * v->geom.sector);
	}
	if (v->chosen && v->truncated)
		finding(c, NC_ERROR, "ntfs-truncated", -1, NC_REPAIR_NONE,
			"The volume is truncated: its boot sector says it needs %" PRIu64 " bytes "
			"(with the backup boot sector), %s holds %" PRIu64 ".",
			v->claimed_bytes + v->geom.sector, c->dev, c->size);
}

/* The faults of the damaged copy of system record recno, in words (NULL: none named). */
static char *bad_copy_words(struct ctx *c, uint32_t recno, uint64_t lcn)
{
	uint8_t *b = xcalloc(1, c->rs);
	char *w = NULL;

	if (rd(c, b, c->rs, lcn * c->g.cluster + (uint64_t)recno * c->rs))
		copy_faults(b, c->rs, recno, c->g.clusters, &w);
	free(b);
	return w;
}

static void pass_mirror(struct ctx *c)
{
	struct nb_mirr *m = &c->r->mirr;

	nb_mftmirr_compare(nb_reader, c, c->size, &c->g, nc_mirr_judge, m);
	c->r->mirr_checked = true;
	switch (m->state) {
	case NB_MIRR_OK:
		break;
	case NB_MIRR_UNREADABLE:
		finding(c, NC_ERROR, "mftmirr-unreadable", -1, NC_REPAIR_CHKDSK,
			"$MFT's first records or $MFTMirr cannot be read: %s.", strerror(m->read_errno));
		break;
	case NB_MIRR_OUTSIDE:
		finding(c, NC_ERROR, "mftmirr-outside", -1, NC_REPAIR_CHKDSK,
			"The boot sector puts $MFT or $MFTMirr outside the volume.");
		break;
	case NB_MIRR_MFT_BAD:
	case NB_MIRR_MIRR_BAD: {
		bool in_mft = m->state == NB_MIRR_MFT_BAD;
		char *w = bad_copy_words(c, m->record, in_mft ? c->g.mft_lcn : c->g.mftmirr_lcn);
		if (in_mft)
			finding(c, NC_ERROR, "mft-system-record-bad", m->record, NC_REPAIR_FIX,
				"$MFT's record %u is damaged%s%s%s; its copy in $MFTMirr is intact.",
				m->record, w ? " (" : "", w ? w : "", w ? ")" : "");
		else
			finding(c, NC_ERROR, "mftmirr-record-bad", m->record, NC_REPAIR_FIX,
				"$MFTMirr's copy of record %u is damaged%s%s%s; $MFT's is intact.",
				m->record, w ? " (" : "", w ? w : "", w ? ")" : "");
		if (in_mft && m->record == NL_FILE_MFT && w && strstr(w, "no $BITMAP"))
			finding(c, NC_ERROR, "mft-bitmap-missing", 0, NC_REPAIR_FIX,
				"$MFT's own record has no $BITMAP attribute (its copy in $MFTMirr has "
				"one, and is used here).");
		free(w);
		break;
	}
	case NB_MIRR_BOTH_BAD:
		finding(c, NC_ERROR, "mft-system-record-lost", m->record, NC_REPAIR_CHKDSK,
			"Record %u is damaged in both $MFT and $MFTMirr.", m->record);
		break;
	case NB_MIRR_DIFFER:
		finding(c, NC_ERROR, "mftmirr-differs", m->record, NC_REPAIR_FIX,
			"$MFTMirr's copy of record %u differs from $MFT's.", m->record);
		break;
	}
}

/* ---- pass 3 setup: $MFT's own runs and bitmap, from record 0 ---- */

/* Record 0 from $MFT (copy 0) or $MFTMirr (copy 1), fixups applied; NULL when unusable. */
static uint8_t *record0(struct ctx *c, int copy)
{
	uint8_t *b = xcalloc(1, c->rs);
	uint64_t lcn = copy ? c->g.mftmirr_lcn : c->g.mft_lcn;

	if (rd(c, b, c->rs, lcn * c->g.cluster) && nl_le32(b) == NL_MAGIC_FILE &&
	    nb_fixup(b, c->rs) == NB_FIXUP_OK)
		return b;
	free(b);
	return NULL;
}

static const uint8_t *res_value(const uint8_t *a, uint32_t alen, uint32_t *vlen);

/* The runs of non-resident attribute a (len bytes) added to *runs; false when damaged. */
static bool add_attr_runs(const struct ctx *c, const uint8_t *a, uint32_t len, struct nc_run **runs,
			  size_t *nruns)
{
	struct nc_run *r;
	size_t n;
	uint16_t mp;

	if (!a[NL_ATTR_NON_RESIDENT] || len < NL_ATTR_NONRES_HEADER)
		return false;
	mp = nl_le16(a + NL_ATTR_MAPPING_PAIRS);
	if (mp >= len)
		return false;
	if (nc_decode_runs(a + mp, len - mp, nl_le64(a + NL_ATTR_LOWEST_VCN), c->g.clusters, &r, &n)) {
		free(r);
		return false;
	}
	*runs = xrealloc(*runs, *nruns + n + 1, sizeof(**runs));
	if (n)
		memcpy(*runs + *nruns, r, n * sizeof(*r));
	*nruns += n;
	free(r);
	return true;
}

static int cmp_run_vcn(const void *a, const void *b)
{
	const struct nc_run *x = a, *y = b;

	return x->vcn < y->vcn ? -1 : x->vcn > y->vcn;
}

/* Bytes of a non-resident value that its runs map without a gap from VCN 0. */
static uint64_t mapped_bytes(const struct ctx *c, const struct nc_run *runs, size_t n)
{
	struct nc_run *s = xcalloc(n + 1, sizeof(*s));
	uint64_t vcn = 0;

	if (n)
		memcpy(s, runs, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_run_vcn);
	for (size_t i = 0; i < n && s[i].vcn <= vcn; i++)
		if (s[i].vcn + s[i].len > vcn)
			vcn = s[i].vcn + s[i].len;
	free(s);
	return vcn * c->g.cluster;
}

/*
 * The value of record b's attribute list (resident, or read through its own
 * runs, which are in b), at most MAX_ATTRLIST bytes; NULL when there is none
 * or it cannot be read. The caller frees.
 */
static uint8_t *read_attrlist(struct ctx *c, const uint8_t *b, uint32_t *len)
{
	uint32_t alen, vlen;
	const uint8_t *a = record_attr(b, c->rs, NL_AT_ATTRIBUTE_LIST, NAME_ANY, ANY_VCN, &alen), *v;
	struct nc_run *runs = NULL;
	size_t n = 0;
	uint8_t *buf = NULL;

	if (!a)
		return NULL;
	if ((v = res_value(a, alen, &vlen))) {
		buf = xcalloc(1, vlen + 1);
		memcpy(buf, v, vlen);
		*len = vlen;
		return buf;
	}
	if (add_attr_runs(c, a, alen, &runs, &n) && nl_le64(a + NL_ATTR_DATA_SIZE) <= MAX_ATTRLIST) {
		*len = (uint32_t)nl_le64(a + NL_ATTR_DATA_SIZE);
		buf = xcalloc(1, *len + 1);
		if (read_runs(c, runs, n, 0, buf, *len) != 0) {
			free(buf);
			buf = NULL;
		}
	}
	free(runs);
	return buf;
}

/*
 * The pieces of $MFT's own (unnamed) $DATA or $BITMAP that the attribute
 * list of record 0 (b) places in other records - a very fragmented $MFT -
 * added to *runs. Each record is read through the $DATA runs known so far,
 * as NTFS itself must: the list is in VCN order, and Windows keeps each
 * extension record of $MFT inside the part already mapped.
 */
static void mft_pieces(struct ctx *c, const uint8_t *b, uint32_t type, struct nc_run **runs,
		       size_t *nruns)
{
	uint32_t len;
	uint8_t *al = read_attrlist(c, b, &len), *r = xcalloc(1, c->rs);

	for (uint32_t p = 0; al && len - p >= NL_AL_HEADER;) {
		uint16_t elen = nl_le16(al + p + NL_AL_LENGTH);
		uint64_t mref = nl_le64(al + p + NL_AL_MREF), low = nl_le64(al + p + NL_AL_LOWEST_VCN);
		uint32_t alen;
		const uint8_t *a;

		if (elen < NL_AL_HEADER || elen > len - p)
			break;
		if (nl_le32(al + p + NL_AL_TYPE) == type && !al[p + NL_AL_NAME_LENGTH] && low &&
		    NL_MREF(mref) && read_runs(c, c->mft_runs, c->nmft_runs, NL_MREF(mref) * c->rs, r,
					       c->rs) == 0 &&
		    nl_le32(r) == NL_MAGIC_FILE && nb_fixup(r, c->rs) == NB_FIXUP_OK &&
		    NL_MREF(nl_le64(r + NL_MFT_BASE_RECORD)) == NL_FILE_MFT &&
		    (a = record_attr(r, c->rs, type, NAME_NONE, low, &alen)))
			add_attr_runs(c, a, alen, runs, nruns);
		p += elen;
	}
	free(al);
	free(r);
}

/* $MFT's $DATA runs and size, from one copy of record 0 and its extension records. */
static bool layout_from(struct ctx *c, const uint8_t *b)
{
	uint64_t dsize = 0, mapped;
	struct nb_attr_iter it;
	const uint8_t *a;
	uint32_t len;

	free(c->mft_runs);
	c->mft_runs = NULL;
	c->nmft_runs = 0;
	nb_attr_iter_init(&it, b, c->rs);
	while ((a = nb_attr_next(&it, &len))) {
		if (nl_le32(a) == NL_AT_DATA && a[NL_ATTR_NON_RESIDENT] && !a[NL_ATTR_NAME_LENGTH] &&
		    len >= NL_ATTR_NONRES_HEADER) {
			add_attr_runs(c, a, len, &c->mft_runs, &c->nmft_runs);
			if (nl_le64(a + NL_ATTR_LOWEST_VCN) == 0)
				dsize = nl_le64(a + NL_ATTR_DATA_SIZE);
		}
	}
	if (!c->nmft_runs || !dsize)
		return false;
	mft_pieces(c, b, NL_AT_DATA, &c->mft_runs, &c->nmft_runs);
	mapped = mapped_bytes(c, c->mft_runs, c->nmft_runs);
	/* runs that map clusters twice hold no more records than the volume has room for */
	if (mapped > c->g.clusters * c->g.cluster)
		mapped = c->g.clusters * c->g.cluster;
	c->mft_size = dsize;
	c->nrec = (dsize < mapped ? dsize : mapped) / c->rs;
	if (c->max_records && c->nrec > c->max_records)
		c->nrec = c->max_records;
	return c->nrec > NL_FILE_FIRST_USER;
}

/* Where $MFT is: from its own record 0, else from $MFTMirr's copy of it. */
static bool mft_layout(struct ctx *c)
{
	bool mirror_first = c->r->mirr.state == NB_MIRR_MFT_BAD && c->r->mirr.record == 0;

	for (int i = 0; i < 2; i++) {
		int copy = mirror_first ? !i : i;
		uint8_t *b = record0(c, copy);
		bool ok = b && layout_from(c, b);

		if (ok) {
			/* the $BITMAP of the same copy, before pass 3 reads record 0 again */
			struct ctx probe = *c;
			struct rec_info ri = { 0 };
			probe.collect = false;
			probe.r = &(struct nc_report){ 0 };
			walk_record(&probe, b, 0, &ri);
			c->mftbmp_loc = probe.mftbmp_loc;
			if (c->mftbmp_loc.found && !c->mftbmp_loc.value)
				mft_pieces(c, b, NL_AT_BITMAP, &c->mftbmp_loc.runs, &c->mftbmp_loc.nruns);
			free_loc(&probe.bitmap);
			free_loc(&probe.logfile);
			free_loc(&probe.upcase);
			free_loc(&probe.volinfo);
			nc_report_free(probe.r);
			if (copy && c->r->mirr.state != NB_MIRR_MFT_BAD)
				finding(c, NC_ERROR, "mft-record0-bad", 0, NC_REPAIR_CHKDSK,
					"$MFT's own record (record 0) does not say where $MFT is; its copy "
					"in $MFTMirr was used.");
			uint64_t m = mapped_bytes(c, c->mft_runs, c->nmft_runs);
			if (m < c->mft_size)
				finding(c, NC_ERROR, "mft-data-unmapped", 0, NC_REPAIR_CHKDSK,
					"$MFT is %" PRIu64 " bytes long, but its runs (in record 0 and the "
					"extension records its attribute list names) map only the first %"
					PRIu64 ": records %" PRIu64 " on cannot be checked.", c->mft_size, m,
					m / c->rs);
		}
		free(b);
		if (ok)
			return true;
	}
	c->r->op_error = xasprintf("neither $MFT's own record nor its copy in $MFTMirr on %s says "
				   "where $MFT is", c->dev);
	return false;
}

/*
 * A block of n elements whose number the volume gives (clamped to what
 * the volume can hold before this): NULL when the memory is not there,
 * with the check's op_error saying so, never an abort (a crafted size, or
 * a worker's memory limit, is that volume's error).
 */
static void *size_alloc(struct ctx *c, uint64_t n, size_t size, const char *what)
{
	void *p = n <= SIZE_MAX / size ? calloc(n ? (size_t)n : 1, size) : NULL;

	if (!p && !c->r->op_error)
		c->r->op_error = xasprintf("%s on %s claims %" PRIu64 " entries (%" PRIu64 " MiB to "
					   "check them), more memory than the check may use", what,
					   c->dev, n, n / (1u << 20) * size);
	return p;
}

static void load_mft_bitmap(struct ctx *c)
{
	uint64_t need = (c->nrec + 7) / 8;
	struct loc *l = &c->mftbmp_loc;

	if (!(c->mftbmp = size_alloc(c, need, 1, "$MFT's bitmap"))) {
		c->mftbmp_unknown = true;
		return;
	}
	c->mftbmp_len = need;
	if (!l->found) {
		finding(c, NC_ERROR, "mft-bitmap-missing", 0, NC_REPAIR_CHKDSK,
			"$MFT has no $BITMAP attribute: which records are in use is taken from "
			"the records themselves.");
		c->mftbmp_unknown = true;
		return;
	}
	if (l->value) {
		memcpy(c->mftbmp, l->value, l->size < need ? l->size : need);
	} else {
		uint64_t n = l->size < need ? l->size : need;
		if (read_runs(c, l->runs, l->nruns, 0, c->mftbmp, (size_t)n) != 0) {
			finding(c, NC_ERROR, "mft-bitmap-unreadable", 0, NC_REPAIR_CHKDSK,
				"$MFT's bitmap cannot be read: %s.", strerror(errno ? errno : EIO));
			c->mftbmp_unknown = true;
		}
	}
	if (l->size < need)
		finding(c, NC_ERROR, "mft-bitmap-short", 0, NC_REPAIR_CHKDSK,
			"$MFT's bitmap covers %" PRIu64 " records; $MFT holds %" PRIu64 ".",
			l->size * 8, c->nrec);
}

static bool bit(const uint8_t *bm, uint64_t len, uint64_t i)
{
	return i / 8 < len && (bm[i / 8] >> (i % 8)) & 1;
}

/* Stream $MFT; each record in use (by its flag or by the bitmap) is checked. -1: no memory. */
static int pass_records(struct ctx *c)
{
	uint64_t total = c->nrec * c->rs;
	uint8_t *buf;
	uint64_t bad_from = UINT64_MAX;
	int bad_errno = 0;

	if (!(c->ri = size_alloc(c, c->nrec, sizeof(*c->ri), "$MFT")))
		return -1;
	buf = xcalloc(1, total < CHUNK ? (size_t)total : CHUNK);
	/* the bitmap lives in record 0, which is read first */
	for (uint64_t v = 0; v < total; v += CHUNK) {
		size_t len = total - v < CHUNK ? (size_t)(total - v) : CHUNK;
		bool whole = read_runs(c, c->mft_runs, c->nmft_runs, v, buf, len) == 0;

		for (size_t o = 0; o + c->rs <= len; o += c->rs) {
			uint64_t recno = (v + o) / c->rs;
			uint8_t *b = buf + o;
			bool ok = whole || read_runs(c, c->mft_runs, c->nmft_runs, v + o, b, c->rs) == 0;

			if (!ok) {
				c->ri[recno].state = RS_UNREADABLE;
				c->r->unreadable++;
				if (bad_from == UINT64_MAX) {
					bad_from = recno;
					bad_errno = errno ? errno : EIO;
				}
				continue;
			}
			if (bad_from != UINT64_MAX) {
				finding(c, NC_ERROR, "mft-unreadable", (int64_t)bad_from, NC_REPAIR_CHKDSK,
					"Records %" PRIu64 " to %" PRIu64 " of $MFT cannot be read from %s: "
					"%s.", bad_from, recno - 1, c->dev, strerror(bad_errno));
				bad_from = UINT64_MAX;
			}
			if (recno == 0) {
				/* $MFT's own bitmap comes from its first record */
				check_record(c, b, 0, &c->ri[0], true);
				load_mft_bitmap(c);
				continue;
			}
			check_record(c, b, recno, &c->ri[recno],
				     c->mftbmp_unknown ? (nl_le32(b) == NL_MAGIC_FILE &&
							  (nl_le16(b + NL_MFT_FLAGS) & NL_MFT_IN_USE))
				     : bit(c->mftbmp, c->mftbmp_len, recno));
		}
		c->r->mft_bytes = v + len;
		if (c->cb && c->cb->tick)
			c->cb->tick(c->cb->data, v + len, total);
	}
	if (bad_from != UINT64_MAX)
		finding(c, NC_ERROR, "mft-unreadable", (int64_t)bad_from, NC_REPAIR_CHKDSK,
			"Records %" PRIu64 " to %" PRIu64 " of $MFT cannot be read from %s: %s.",
			bad_from, c->nrec - 1, c->dev, strerror(bad_errno));
	free(buf);
	if (!c->mftbmp)
		load_mft_bitmap(c);
	c->r->records = c->nrec;
	return 0;
}

static int cmp_ext(const void *a, const void *b)
{
	const struct ext_attr *x = a, *y = b;

	if (x->rec != y->rec)
		return x->rec < y->rec ? -1 : 1;
	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	return x->instance < y->instance ? -1 : x->instance > y->instance;
}

static int cmp_fam(const void *a, const void *b)
{
	const struct claim *x = a, *y = b;

	if (x->base != y->base)
		return x->base < y->base ? -1 : 1;
	return x->target < y->target ? -1 : x->target > y->target;
}

static int cmp_claim(const void *a, const void *b)
{
	const struct claim *x = a, *y = b;

	if (x->target != y->target)
		return x->target < y->target ? -1 : 1;
	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	return x->instance < y->instance ? -1 : x->instance > y->instance;
}

static int cmp_piece(const void *a, const void *b)
{
	const struct piece *x = a, *y = b;

	if (x->base != y->base)
		return x->base < y->base ? -1 : 1;
	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	if (x->name != y->name || x->nlen != y->nlen)
		return x->name != y->name ? (x->name < y->name ? -1 : 1) : x->nlen < y->nlen ? -1 : 1;
	if (x->lowest != y->lowest)
		return x->lowest < y->lowest ? -1 : 1;
	return x->rec < y->rec ? -1 : x->rec > y->rec;
}

/*
 * The n pieces of one attribute of a file with an attribute list, in VCN
 * order: they must follow each other from VCN 0 without a gap or an
 * overlap, and (unless compressed or sparse) map as many clusters as the
 * piece at VCN 0 says are allocated. Pieces in records that are not this
 * file's extension records are left out: those records are reported already.
 */
static void attr_pieces(struct ctx *c, const struct piece *p, size_t n)
{
	const struct rec_info *ri = c->ri;
	uint64_t b = p->base, next = 0, cs = c->g.cluster;
	const struct piece *first = NULL, *last = NULL;
	size_t used = 0;

	if (b >= c->nrec || ri[b].state != RS_OK || !(ri[b].flags & NL_MFT_IN_USE) || ri[b].base)
		return;
	for (size_t i = 0; i < n; i++) {
		const struct piece *q = &p[i];
		const struct rec_info *e = &ri[q->rec];
		if (q->rec != b && (e->state != RS_OK || !(e->flags & NL_MFT_IN_USE) ||
				    NL_MREF(e->base) != b || NL_MSEQ(e->base) != ri[b].seq))
			continue;
		if (q->lowest > next) {
			rec_error(c, "mft-attr-extents", b,
				  "Record %" PRIu64 ": %" PRIu64 " cluster(s) of attribute type 0x%X, from "
				  "cluster %" PRIu64 " of its value, are in none of its pieces (the next "
				  "one, in record %" PRIu64 ", starts at %" PRIu64 ").", b, q->lowest - next,
				  p->type, next, q->rec, q->lowest);
			return;
		}
		if (q->lowest < next) {
			rec_error(c, "mft-attr-extents", b,
				  "Record %" PRIu64 ": the piece of attribute type 0x%X in record %" PRIu64
				  " maps clusters %" PRIu64 "-%" PRIu64 " of its value, which another of "
				  "its pieces maps too.", b, p->type, q->rec, q->lowest, q->highest);
			return;
		}
		if (!first)
			first = q;
		last = q;
		next = q->highest + 1;
		used++;
	}
	if (!first || (first->flags & (NL_ATTR_COMPRESSED | NL_ATTR_SPARSE)) ||
	    next * cs == first->asz)
		return;
	if (used == 1)
		rec_error(c, "mft-attr-sizes", b,
			  "Record %" PRIu64 ": attribute type 0x%X is allocated %" PRIu64 " bytes; its "
			  "one piece (record %" PRIu64 ") maps %" PRIu64 " clusters, %" PRIu64 " bytes.",
			  b, p->type, first->asz, first->rec, next, next * cs);
	else
		rec_error(c, "mft-attr-sizes", b,
			  "Record %" PRIu64 ": attribute type 0x%X is allocated %" PRIu64 " bytes; its %zu "
			  "pieces (records %" PRIu64 " to %" PRIu64 ") map %" PRIu64 " clusters, %" PRIu64
			  " bytes.", b, p->type, first->asz, used, first->rec, last->rec, next, next * cs);
}

/* Cross-record rules of pass 3: base records, attribute lists, required attributes. */
static void records_together(struct ctx *c)
{
	struct rec_info *ri = c->ri;

	/* extension records: their base, their attributes in its list */
	for (uint64_t i = 0; i < c->nrec; i++) {
		uint64_t b;
		if (ri[i].state != RS_OK || !ri[i].base || !(ri[i].flags & NL_MFT_IN_USE))
			continue;
		b = NL_MREF(ri[i].base);
		if (b >= c->nrec || b == i)
			continue;	/* reported by the walk */
		if (ri[b].state == RS_OK && (!(ri[b].flags & NL_MFT_IN_USE) || ri[b].base ||
					    ri[b].seq != NL_MSEQ(ri[i].base)))
			rec_error(c, "mft-base-record", i,
				  "Record %" PRIu64 " names record %" PRIu64 " as its base record, but "
				  "that record is %s.", i, b,
				  !(ri[b].flags & NL_MFT_IN_USE) ? "not in use"
				  : ri[b].base ? "itself an extension record"
				  : "a newer file (its sequence number differs)");
		else if (ri[b].state == RS_OK && !(ri[b].kinds & K_AL))
			rec_error(c, "mft-attrlist-missing", b,
				  "Record %" PRIu64 " has no attribute list, yet extension record %" PRIu64
				  " (in use) says it holds attributes of it.", b, i);
		ri[b].kinds |= ri[i].kinds & (K_SI | K_FN | K_DATA | K_IR | K_IA | K_BMP | K_VIEW);
		GROW(c->fam, c->nfam, c->capfam);
		c->fam[c->nfam++] = (struct claim){ .base = b, .target = i };
	}
	if (c->nclaims)
		qsort(c->claims, c->nclaims, sizeof(*c->claims), cmp_claim);
	if (c->next)
		qsort(c->ext, c->next, sizeof(*c->ext), cmp_ext);
	if (c->nfam)
		qsort(c->fam, c->nfam, sizeof(*c->fam), cmp_fam);
	for (size_t k = 0; k < c->nclaims; k++) {
		const struct claim *cl = &c->claims[k];
		const char *why = NULL;
		if (cl->target >= c->nrec)
			why = "a record past the end of $MFT";
		else if (ri[cl->target].state != RS_OK || !(ri[cl->target].flags & NL_MFT_IN_USE))
			why = "a record not in use";
		else if (NL_MREF(ri[cl->target].base) != cl->base)
			why = "a record that belongs to another file";
		else if (ri[cl->target].seq != cl->seq)
			why = "an older file's record (the sequence number differs)";
		else {
			struct ext_attr key = { cl->target, cl->type, cl->instance };
			if (!c->next || !bsearch(&key, c->ext, c->next, sizeof(key), cmp_ext))
				why = "a record that does not hold that attribute";
		}
		if (why && ri[cl->base].state == RS_OK)
			rec_error(c, "mft-attrlist-entry", cl->base,
				  "The attribute list of record %" PRIu64 " places attribute type 0x%X in "
				  "record %" PRIu64 ", %s.", cl->base, cl->type, cl->target, why);
	}
	for (size_t j = 0; j < c->next; j++) {
		const struct ext_attr *e = &c->ext[j];
		uint64_t b = NL_MREF(ri[e->rec].base);
		struct claim key = { .target = e->rec, .type = e->type, .instance = e->instance };
		if (b >= c->nrec || ri[b].state != RS_OK || !(ri[b].kinds & K_AL) ||
		    !(ri[e->rec].flags & NL_MFT_IN_USE))
			continue;
		if (!c->nclaims || !bsearch(&key, c->claims, c->nclaims, sizeof(key), cmp_claim))
			rec_error(c, "mft-attr-unlisted", b,
				  "Record %" PRIu64 "'s extension record %" PRIu64 " holds attribute type "
				  "0x%X, which its attribute list does not name.", b, e->rec, e->type);
	}
	if (c->npieces)
		qsort(c->pieces, c->npieces, sizeof(*c->pieces), cmp_piece);
	for (size_t k = 0, e; k < c->npieces; k = e) {
		for (e = k + 1; e < c->npieces && c->pieces[e].base == c->pieces[k].base &&
		     c->pieces[e].type == c->pieces[k].type && c->pieces[e].name == c->pieces[k].name &&
		     c->pieces[e].nlen == c->pieces[k].nlen; e++)
			;
		attr_pieces(c, &c->pieces[k], e - k);
	}
	/* what each kind of file needs */
	for (uint64_t i = 0; i < c->nrec; i++) {
		const struct rec_info *r = &ri[i];
		bool dir = r->flags & NL_MFT_DIRECTORY;
		if (r->state != RS_OK || r->base || !(r->flags & NL_MFT_IN_USE))
			continue;
		if (i >= 12 && i < NL_FILE_FIRST_USER)
			continue;	/* reserved records: no rules */
		if (!(r->kinds & K_SI))
			rec_error(c, "mft-missing-std-info", i,
				  "Record %" PRIu64 " has no $STANDARD_INFORMATION attribute.", i);
		if (!(r->kinds & K_FN))
			rec_error(c, "mft-missing-filename", i,
				  "Record %" PRIu64 " is in use but has no $FILE_NAME attribute: no "
				  "folder can list it.", i);
		if (dir && !(r->kinds & K_IR))
			rec_error(c, "mft-missing-index-root", i,
				  "Record %" PRIu64 " is a folder without its index ($INDEX_ROOT $I30).", i);
		if (!dir && (r->kinds & K_IR))
			rec_error(c, "mft-flags", i,
				  "Record %" PRIu64 " holds a folder index but is not marked as a folder.", i);
		if ((r->kinds & K_IA) && !(r->kinds & K_BMP))
			rec_error(c, "mft-missing-bitmap", i,
				  "Folder record %" PRIu64 " has an $INDEX_ALLOCATION without the $BITMAP "
				  "that says which of its blocks are in use.", i);
		if (!dir && !(r->flags & NL_MFT_VIEW_INDEX) && !(r->kinds & (K_DATA | K_VIEW)))
			rec_error(c, "mft-missing-data", i,
				  "Record %" PRIu64 " is a file without a $DATA attribute.", i);
	}
}

/* ---- pass 4 ---- */

static void pass_mft_bitmap(struct ctx *c)
{
	uint64_t extra = 0, first_extra = 0;

	for (uint64_t i = 0; i < c->nrec; i++) {
		const struct rec_info *r = &c->ri[i];
		bool b = bit(c->mftbmp, c->mftbmp_len, i);
		bool used = r->state == RS_OK && (r->flags & NL_MFT_IN_USE);

		if (used && !b && !c->mftbmp_unknown)
			rec_error(c, "mft-bitmap-unset", i,
				  "Record %" PRIu64 " is in use, but $MFT's bitmap marks it free: a new "
				  "file would overwrite it.", i);
		else if (b && !c->mftbmp_unknown && r->state == RS_FREE && i >= NL_FILE_FIRST_USER &&
			 !extra++)
			first_extra = i;
		if (used) {
			c->r->in_use++;
			if (!r->base)
				(r->flags & NL_MFT_DIRECTORY) ? c->r->dirs++ : c->r->files++;
		}
	}
	if (extra)
		finding(c, NC_WARNING, "mft-bitmap-extra", (int64_t)first_extra, NC_REPAIR_CHKDSK,
			"%" PRIu64 " free MFT record(s), the first %" PRIu64 ", are marked in use in $MFT's "
			"bitmap (space lost, no data at risk).", extra, first_extra);
}

/* ---- pass 5 ---- */

static int cmp_owner(const void *a, const void *b)
{
	const struct owner *x = a, *y = b;

	if (x->lcn != y->lcn)
		return x->lcn < y->lcn ? -1 : 1;
	return x->rec < y->rec ? -1 : x->rec > y->rec;
}

static void pass_cluster_bitmap(struct ctx *c)
{
	uint64_t nbytes = (c->g.clusters + 7) / 8;
	uint8_t *bm;
	uint64_t covered = 0, orphan = 0, first_orphan = 0, nfree_findings = 0;
	size_t cross = 0;

	if (!c->bitmap.found || !c->bitmap.runs) {
		finding(c, NC_ERROR, "bitmap-missing", NL_FILE_BITMAP, NC_REPAIR_CHKDSK,
			"The volume's $Bitmap cannot be found: which clusters are free cannot be told.");
		return;
	}
	if (!(bm = size_alloc(c, nbytes, 1, "$Bitmap")))
		return;
	if (c->bitmap.size < nbytes && !c->bitmap.value) {
		finding(c, NC_ERROR, "bitmap-short", NL_FILE_BITMAP, NC_REPAIR_CHKDSK,
			"$Bitmap holds %" PRIu64 " bytes; the volume's %" PRIu64 " clusters need %" PRIu64
			".", c->bitmap.size, c->g.clusters, nbytes);
		nbytes = c->bitmap.size;
	}
	if (read_runs(c, c->bitmap.runs, c->bitmap.nruns, 0, bm, (size_t)nbytes) != 0) {
		finding(c, NC_ERROR, "bitmap-unreadable", NL_FILE_BITMAP, NC_REPAIR_CHKDSK,
			"$Bitmap cannot be read from %s: %s.", c->dev, strerror(errno ? errno : EIO));
		free(bm);
		return;
	}
	if (c->nown)
		qsort(c->own, c->nown, sizeof(*c->own), cmp_owner);
	for (size_t i = 0; i < c->nown; i++) {
		const struct owner *o = &c->own[i];
		uint64_t end = o->lcn + o->len;

		/* clusters marked free between the runs: none owns them */
		for (uint64_t k = covered; k < o->lcn; k++)
			if (bit(bm, nbytes, k) && !orphan++)
				first_orphan = k;
		if (o->lcn < covered) {
			/* overlaps an earlier run: find whose */
			for (size_t j = i; j-- > 0;) {
				const struct owner *p = &c->own[j];
				if (p->lcn + p->len > o->lcn && p->rec != o->rec) {
					if (cross++ < 100)
						finding(c, NC_ERROR, "clusters-cross-linked", (int64_t)o->rec,
							NC_REPAIR_CHKDSK,
							"Records %" PRIu64 " and %" PRIu64 " both own cluster %"
							PRIu64 ": writing either file corrupts the other.",
							p->rec, o->rec, o->lcn > p->lcn ? o->lcn : p->lcn);
					break;
				}
				if (p->lcn + p->len <= o->lcn && j + 64 < i)
					break;
			}
		}
		uint64_t nclear = 0, first_clear = 0;
		for (uint64_t k = o->lcn; k < end && k < c->g.clusters; k++)
			if (!bit(bm, nbytes, k) && !nclear++)
				first_clear = k;
		if (nclear) {
			if (nfree_findings++ < 100)
				rec_error(c, "bitmap-free-in-use", o->rec,
					  "Record %" PRIu64 " owns %" PRIu64 " cluster(s) from %" PRIu64 " that "
					  "$Bitmap marks free: new files would overwrite them.", o->rec,
					  nclear, first_clear);
		}
		if (end > covered)
			covered = end;
	}
	for (uint64_t k = covered; k < c->g.clusters; k++)
		if (bit(bm, nbytes, k) && !orphan++)
			first_orphan = k;
	if (orphan)
		finding(c, NC_WARNING, "bitmap-orphan-clusters", -1, NC_REPAIR_CHKDSK,
			"%" PRIu64 " cluster(s), the first %" PRIu64 ", are marked in use but belong to "
			"no file (space lost, no data at risk).", orphan, first_orphan);
	if (cross > 100 || nfree_findings > 100)
		finding(c, NC_ERROR, "bitmap-many", -1, NC_REPAIR_CHKDSK,
			"%zu cross-linked runs and %" PRIu64 " runs marked free in all; the first 100 "
			"of each are listed.", cross, nfree_findings);
	free(bm);
}

/* ---- pass 6: directory indexes ---- */

/* One record by number, fixups applied; NULL when it cannot be read or is not a record. */
static uint8_t *read_record(struct ctx *c, uint64_t recno)
{
	uint8_t *b;

	if (recno >= c->nrec)
		return NULL;
	b = xcalloc(1, c->rs);
	if (read_runs(c, c->mft_runs, c->nmft_runs, recno * c->rs, b, c->rs) != 0 ||
	    nl_le32(b) != NL_MAGIC_FILE || nb_fixup(b, c->rs) != NB_FIXUP_OK) {
		free(b);
		return NULL;
	}
	return b;
}

/* The resident value of an attribute, bounds checked. */
static const uint8_t *res_value(const uint8_t *a, uint32_t alen, uint32_t *vlen)
{
	uint32_t l = nl_le32(a + NL_ATTR_VALUE_LENGTH);
	uint16_t o = nl_le16(a + NL_ATTR_VALUE_OFFSET);

	if (a[NL_ATTR_NON_RESIDENT] || o > alen || l > alen - o)
		return NULL;
	*vlen = l;
	return a + o;
}

uint8_t *nc_resident_value(uint8_t *rec, uint32_t size, uint32_t type, uint32_t *vlen)
{
	uint32_t alen;
	const uint8_t *a = record_attr(rec, size, type, NAME_ANY, ANY_VCN, &alen), *v;

	if (!a || !(v = res_value(a, alen, vlen)))
		return NULL;
	return rec + (v - rec);
}

#define DIR_READ_AT_ONCE (4u << 20)

struct dirwalk {
	struct ctx *c;
	uint64_t dir;		/* the folder's record */
	struct nc_run *runs;	/* $INDEX_ALLOCATION */
	size_t nruns;
	uint64_t alloc_size;
	uint8_t *bmp;		/* $BITMAP $I30 */
	uint32_t bmp_len;
	uint8_t *seen;		/* blocks visited (loops, blocks used twice) */
	uint64_t nblocks;
	uint8_t *all;		/* the whole allocation, read at once; NULL: block by block */
	uint32_t bsize, vcn_size;
	uint8_t prev[510];	/* the previous name in order (255 UTF-16 units) */
	unsigned prev_len;	/* 0: none yet */
	bool stop;		/* a broken tree: its entries below are not compared */
	unsigned errors;
};

static void dir_error(struct dirwalk *d, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void dir_error(struct dirwalk *d, const char *code, const char *fmt, ...)
{
	va_list ap;

	if (d->errors++ >= 20)
		return;	/* one broken folder does not bury the rest */
	va_start(ap, fmt);
	vfinding(d->c->r, NC_ERROR, 6, code, (int64_t)d->dir, NC_REPAIR_CHKDSK, fmt, ap);
	va_end(ap);
}

static bool name_in_record(struct ctx *c, uint64_t rec, uint64_t parent_ref, uint32_t hash)
{
	/* names are sorted by record */
	size_t lo = 0, hi = c->nnames;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (c->names[mid].rec < rec)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < c->nnames && c->names[lo].rec == rec; lo++)
		if (NL_MREF(c->names[lo].parent) == NL_MREF(parent_ref) && c->names[lo].hash == hash)
			return true;
	return false;
}

static void walk_node(struct dirwalk *d, const uint8_t *ih, uint32_t avail, int depth);

static void walk_block(struct dirwalk *d, uint64_t vcn, int depth)
{
	struct ctx *c = d->c;
	uint64_t blk = vcn * d->vcn_size / d->bsize;
	uint8_t *b;

	if (depth > MAX_DEPTH) {
		dir_error(d, "index-loop", "Folder record %" PRIu64 "'s index is more than %d levels "
			  "deep: its blocks point at each other in a loop.", d->dir, MAX_DEPTH);
		d->stop = true;
		return;
	}
	if (!d->runs || vcn > d->alloc_size / d->vcn_size ||
	    (uint64_t)vcn * d->vcn_size + d->bsize > d->alloc_size || blk >= d->nblocks) {
		dir_error(d, "index-entry-bad", "Folder record %" PRIu64 "'s index points at block VCN "
			  "%" PRIu64 ", outside its index allocation.", d->dir, vcn);
		d->stop = true;
		return;
	}
	if (d->seen[blk / 8] & (1u << (blk % 8))) {
		dir_error(d, "index-loop", "Folder record %" PRIu64 "'s index reaches block VCN %" PRIu64
			  " twice: its tree has a loop or a shared block.", d->dir, vcn);
		d->stop = true;
		return;
	}
	d->seen[blk / 8] |= (uint8_t)(1u << (blk % 8));
	if (!(blk / 8 < d->bmp_len && (d->bmp[blk / 8] >> (blk % 8)) & 1))
		dir_error(d, "index-bitmap", "Folder record %" PRIu64 "'s index block VCN %" PRIu64
			  " is in its tree but marked free in its $BITMAP.", d->dir, vcn);
	b = xcalloc(1, d->bsize);
	int got = 0;
	if (d->all)
		memcpy(b, d->all + vcn * d->vcn_size, d->bsize);	/* inside: checked above */
	else
		got = read_runs(c, d->runs, d->nruns, vcn * d->vcn_size, b, d->bsize);
	if (got != 0) {
		dir_error(d, "index-unreadable", "Folder record %" PRIu64 "'s index block VCN %" PRIu64
			  " cannot be read from %s: %s.", d->dir, vcn, c->dev,
			  strerror(errno ? errno : EIO));
		d->stop = true;
	} else if (nl_le32(b) != NL_MAGIC_INDX) {
		dir_error(d, "index-block-magic", "Folder record %" PRIu64 "'s index block VCN %" PRIu64
			  " is not an index block (no INDX signature).", d->dir, vcn);
		d->stop = true;
	} else if (nb_fixup(b, d->bsize) != NB_FIXUP_OK) {
		dir_error(d, "index-block-fixup", "Folder record %" PRIu64 "'s index block VCN %" PRIu64
			  " fails its update sequence check (a torn write).", d->dir, vcn);
		d->stop = true;
	} else {
		if (nl_le64(b + NL_INDX_VCN) != vcn)
			dir_error(d, "index-block-vcn", "Folder record %" PRIu64 "'s index block at VCN "
				  "%" PRIu64 " says it is VCN %" PRIu64 ".", d->dir, vcn,
				  nl_le64(b + NL_INDX_VCN));
		walk_node(d, b + NL_INDX_HEADER, d->bsize - NL_INDX_HEADER, depth + 1);
	}
	free(b);
}

/* One index node: its header at ih, avail bytes from ih to the end of its container. */
static void walk_node(struct dirwalk *d, const uint8_t *ih, uint32_t avail, int depth)
{
	struct ctx *c = d->c;
	uint32_t eo = nl_le32(ih + NL_IH_ENTRIES_OFFSET), il = nl_le32(ih + NL_IH_INDEX_LENGTH);
	uint32_t al = nl_le32(ih + NL_IH_ALLOCATED_SIZE);

	if (avail < NL_IH_SIZE || eo < NL_IH_SIZE || eo & 7 || il > avail || eo >= il || il > al ||
	    al > avail) {
		dir_error(d, "index-header", "Folder record %" PRIu64 " has an index node whose header "
			  "places its entries outside it (entries at %u, %u bytes used, %u allocated).",
			  d->dir, eo, il, al);
		d->stop = true;
		return;
	}
	for (uint32_t p = eo; !d->stop;) {
		const uint8_t *e = ih + p;
		uint16_t len, kl, fl;

		if (il - p < NL_IE_KEY) {
			dir_error(d, "index-entry-bad", "Folder record %" PRIu64 "'s index node ends "
				  "without its last entry.", d->dir);
			d->stop = true;
			return;
		}
		len = nl_le16(e + NL_IE_LENGTH);
		kl = nl_le16(e + NL_IE_KEY_LENGTH);
		fl = nl_le16(e + NL_IE_FLAGS);
		if (len < NL_IE_KEY || len & 7 || len > il - p ||
		    ((fl & NL_IE_NODE) && len < NL_IE_KEY + 8) ||
		    (!(fl & NL_IE_END) && kl + NL_IE_KEY + ((fl & NL_IE_NODE) ? 8u : 0u) > len)) {
			dir_error(d, "index-entry-bad", "Folder record %" PRIu64 " has an index entry of "
				  "impossible length %u (key %u) at offset %u.", d->dir, len, kl, p);
			d->stop = true;
			return;
		}
		if (fl & NL_IE_NODE)
			walk_block(d, nl_le64(e + len - 8), depth);
		if (fl & NL_IE_END)
			return;
		if (d->stop)
			return;
		/* a $FILE_NAME key naming a record */
		const uint8_t *k = e + NL_IE_KEY;
		unsigned nl = kl >= NL_FN_NAME ? k[NL_FN_NAME_LENGTH] : 0;
		uint64_t mref = nl_le64(e + NL_IE_MREF), t = NL_MREF(mref);
		if (kl < NL_FN_NAME || !nl || NL_FN_NAME + 2u * nl > kl) {
			dir_error(d, "index-entry-bad", "Folder record %" PRIu64 " has an index entry "
				  "whose file name does not fit in its key.", d->dir);
			d->stop = true;
			return;
		}
		char *name = NULL;
		if (d->prev_len) {
			int cmp = collate(c, d->prev, d->prev_len, k + NL_FN_NAME, nl);
			if (cmp >= 0) {
				name = name_utf8(k + NL_FN_NAME, nl);
				dir_error(d, cmp ? "index-order" : "index-duplicate",
					  "Folder record %" PRIu64 "'s index is %s at \"%s\": lookups of "
					  "names after it can fail.", d->dir,
					  cmp ? "out of order" : "holding a name twice", name);
			}
		}
		memcpy(d->prev, k + NL_FN_NAME, 2u * nl);
		d->prev_len = nl;
		if (NL_MREF(nl_le64(k + NL_FN_PARENT)) != d->dir) {
			if (!name)
				name = name_utf8(k + NL_FN_NAME, nl);
			dir_error(d, "index-entry-parent", "Folder record %" PRIu64 "'s index entry \"%s\" "
				  "says its parent is record %" PRIu64 ".", d->dir, name,
				  (uint64_t)NL_MREF(nl_le64(k + NL_FN_PARENT)));
		} else if (t >= c->nrec || c->ri[t].state == RS_FREE ||
			   (c->ri[t].state == RS_OK && !(c->ri[t].flags & NL_MFT_IN_USE))) {
			if (!name)
				name = name_utf8(k + NL_FN_NAME, nl);
			dir_error(d, "index-entry-dangling", "Folder record %" PRIu64 "'s entry \"%s\" "
				  "points at record %" PRIu64 ", which is %s.", d->dir, name, t,
				  t >= c->nrec ? "past the end of $MFT" : "not in use");
		} else if (c->ri[t].state == RS_OK) {
			if (c->ri[t].base) {
				if (!name)
					name = name_utf8(k + NL_FN_NAME, nl);
				dir_error(d, "index-entry-dangling", "Folder record %" PRIu64 "'s entry "
					  "\"%s\" points at record %" PRIu64 ", an extension record.",
					  d->dir, name, t);
			} else if (c->ri[t].seq != NL_MSEQ(mref) && NL_MSEQ(mref)) {
				if (!name)
					name = name_utf8(k + NL_FN_NAME, nl);
				dir_error(d, "index-entry-stale", "Folder record %" PRIu64 "'s entry \"%s\" "
					  "points at record %" PRIu64 " with sequence number %u; the record "
					  "has %u (a deleted file's entry, or a damaged sequence number).",
					  d->dir, name, t, NL_MSEQ(mref), c->ri[t].seq);
			} else if (!name_in_record(c, t, d->dir, name_hash(k + NL_FN_NAME, nl))) {
				if (!name)
					name = name_utf8(k + NL_FN_NAME, nl);
				dir_error(d, "index-entry-name", "Folder record %" PRIu64 "'s entry \"%s\" "
					  "points at record %" PRIu64 ", which has no such name in this "
					  "folder.", d->dir, name, t);
			} else if (c->ri[t].refs < UINT16_MAX) {
				c->ri[t].refs++;
			}
			if (d->dir == NL_FILE_ROOT && nl == 12) {
				static const char hib[] = "hiberfil.sys";
				bool eq = true;
				for (unsigned i = 0; i < 12 && eq; i++) {
					uint16_t u = nl_le16(k + NL_FN_NAME + 2 * i);
					eq = u < 0x80 && (char)(u | (u >= 'A' && u <= 'Z' ? 0x20 : 0)) == hib[i];
				}
				if (eq)
					c->hiberfil = mref;
			}
		}
		free(name);
		p += len;
		if (p >= il) {
			dir_error(d, "index-entry-bad", "Folder record %" PRIu64 "'s index node has no "
				  "last entry.", d->dir);
			d->stop = true;
			return;
		}
	}
}

/* A base record and its extension records, read for pass 6. */
struct family {
	uint8_t **rec;
	size_t n;
};

static void family_load(struct ctx *c, uint64_t base, struct family *f)
{
	size_t lo = 0, hi = c->nfam, n;

	f->n = 0;
	f->rec = NULL;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (c->fam[mid].base < base)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (n = 0; lo + n < c->nfam && c->fam[lo + n].base == base; n++)
		;
	if (n > MAX_FAMILY) {
		/* a hostile $MFT whose records all name one base: memory stays bounded */
		finding(c, NC_WARNING, "mft-family-large", (int64_t)base, NC_REPAIR_NONE,
			"Record %" PRIu64 " has %zu extension records; only the first %u are read.",
			base, n, MAX_FAMILY);
		n = MAX_FAMILY;
	}
	f->rec = xcalloc(n + 1, sizeof(*f->rec));
	if (!(f->rec[0] = read_record(c, base)))
		return;
	f->n = 1;
	for (size_t i = 0; i < n; i++)
		if ((f->rec[f->n] = read_record(c, c->fam[lo + i].target)))
			f->n++;
}

static void family_free(struct family *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->rec[i]);
	free(f->rec);
	f->rec = NULL;
	f->n = 0;
}

/* The first attribute of type (name as record_attr) in the family with lowest VCN vcn. */
static const uint8_t *family_attr(const struct ctx *c, const struct family *f, uint32_t type,
				  int name, uint64_t vcn, uint32_t *alen)
{
	const uint8_t *a = NULL;

	for (size_t i = 0; i < f->n && !a; i++)
		a = record_attr(f->rec[i], c->rs, type, name, vcn, alen);
	return a;
}

/*
 * The runs of a non-resident attribute split over pieces, in VCN order, and
 * the allocated and data sizes of its first piece; false when it has none.
 */
static bool family_runs(const struct ctx *c, const struct family *f, uint32_t type, int name,
			struct nc_run **runs, size_t *nruns, uint64_t *alloc, uint64_t *dsize)
{
	uint64_t vcn = 0;
	uint32_t alen;
	const uint8_t *a;

	*runs = NULL;
	*nruns = 0;
	*alloc = *dsize = 0;
	while ((a = family_attr(c, f, type, name, vcn, &alen))) {
		if (!add_attr_runs(c, a, alen, runs, nruns))
			break;
		if (vcn == 0) {
			*alloc = nl_le64(a + NL_ATTR_ALLOCATED_SIZE);
			*dsize = nl_le64(a + NL_ATTR_DATA_SIZE);
		}
		uint64_t next = nl_le64(a + NL_ATTR_HIGHEST_VCN) + 1;
		if (next <= vcn)
			break;
		vcn = next;
	}
	return *nruns > 0;
}

static void check_dir(struct ctx *c, uint64_t dir)
{
	struct family fam;
	const uint8_t *a, *v;
	uint32_t alen, vlen;
	struct dirwalk d = { .c = c, .dir = dir };

	family_load(c, dir, &fam);
	if (!fam.n) {
		family_free(&fam);
		return;		/* reported by pass 3 */
	}
	a = family_attr(c, &fam, NL_AT_INDEX_ROOT, NAME_I30, 0, &alen);
	if (!a || !(v = res_value(a, alen, &vlen)) || vlen < NL_IR_HEADER + NL_IH_SIZE) {
		family_free(&fam);
		return;		/* missing: pass 3 */
	}
	if (nl_le32(v + NL_IR_TYPE) != NL_AT_FILE_NAME ||
	    nl_le32(v + NL_IR_COLLATION) != NL_COLLATION_FILE_NAME) {
		dir_error(&d, "index-root-bad", "Folder record %" PRIu64 "'s index root does not index "
			  "file names (type 0x%X, collation %u).", dir, nl_le32(v + NL_IR_TYPE),
			  nl_le32(v + NL_IR_COLLATION));
		family_free(&fam);
		return;
	}
	d.bsize = nl_le32(v + NL_IR_BLOCK_SIZE);
	if (d.bsize < 512 || d.bsize > 65536 || (d.bsize & (d.bsize - 1))) {
		dir_error(&d, "index-root-bad", "Folder record %" PRIu64 "'s index root gives an "
			  "impossible block size %u.", dir, d.bsize);
		family_free(&fam);
		return;
	}
	d.vcn_size = c->g.cluster <= d.bsize ? c->g.cluster : 512;
	uint64_t dsize;
	if (family_runs(c, &fam, NL_AT_INDEX_ALLOCATION, NAME_I30, &d.runs, &d.nruns, &d.alloc_size,
			&dsize)) {
		/* what the runs map bounds the blocks (a damaged size must not size our memory) */
		uint64_t mapped = 0;
		for (size_t i = 0; i < d.nruns; i++)
			if (d.runs[i].lcn != NC_SPARSE)
				mapped += d.runs[i].len * c->g.cluster;
		if (d.alloc_size > mapped)
			d.alloc_size = mapped;
		d.nblocks = d.alloc_size / d.bsize;
		if (!(d.seen = size_alloc(c, d.nblocks / 8 + 1, 1, "a folder's index"))) {
			free(d.runs);
			family_free(&fam);
			return;
		}
		/* the $BITMAP: resident, or non-resident in pieces like the allocation */
		uint32_t blen, bvlen;
		const uint8_t *bm = family_attr(c, &fam, NL_AT_BITMAP, NAME_I30, 0, &blen);
		const uint8_t *bv = bm ? res_value(bm, blen, &bvlen) : NULL;
		struct nc_run *r;
		size_t n;
		uint64_t bal, sz;
		if (bv) {
			d.bmp = xcalloc(1, bvlen + 1);
			memcpy(d.bmp, bv, bvlen);
			d.bmp_len = bvlen;
		} else if (bm && family_runs(c, &fam, NL_AT_BITMAP, NAME_I30, &r, &n, &bal, &sz)) {
			if (sz < (1u << 20)) {
				d.bmp = xcalloc(1, (size_t)sz + 1);
				if (read_runs(c, r, n, 0, d.bmp, (size_t)sz) == 0)
					d.bmp_len = (uint32_t)sz;
			}
			free(r);
		}
		if (!d.bmp)
			d.bmp = xcalloc(1, 1);
	}
	/*
	 * A folder's blocks mostly lie together: one read for all of them (a
	 * read per 4 KiB block was 6 of every 7 reads of a check). On a read
	 * error, block by block, so that the error names its block.
	 */
	if (d.runs && d.alloc_size && d.alloc_size <= DIR_READ_AT_ONCE) {
		d.all = xcalloc(1, (size_t)d.alloc_size);
		if (read_runs(c, d.runs, d.nruns, 0, d.all, (size_t)d.alloc_size) != 0) {
			free(d.all);
			d.all = NULL;
		}
	}
	walk_node(&d, v + NL_IR_HEADER, vlen - NL_IR_HEADER, 0);
	free(d.all);
	free(d.runs);
	free(d.bmp);
	free(d.seen);
	family_free(&fam);
}

static int cmp_name(const void *a, const void *b)
{
	const struct name_ent *x = a, *y = b;

	return x->rec < y->rec ? -1 : x->rec > y->rec;
}

/* An extension record's names belong to its base, when that relation holds. */
static bool names_to_base(struct ctx *c)
{
	size_t o = 0;

	for (size_t i = 0; i < c->nnames; i++) {
		struct name_ent n = c->names[i];
		const struct rec_info *r = &c->ri[n.rec];
		if (r->base) {
			uint64_t b = NL_MREF(r->base);
			if (b >= c->nrec || c->ri[b].state != RS_OK || c->ri[b].base ||
			    c->ri[b].seq != NL_MSEQ(r->base))
				continue;
			n.rec = b;
		}
		c->names[o++] = n;
	}
	c->nnames = o;
	return true;
}

static void pass_dirs(struct ctx *c)
{
	names_to_base(c);
	if (c->nnames)
		qsort(c->names, c->nnames, sizeof(*c->names), cmp_name);
	/*
	 * Every $FILE_NAME counts, as Windows counts it in the record's link
	 * count: an 8.3 alias in its own attribute (DOS) beside its long name
	 * (Win32) is a second name with its own folder entry, a name that is
	 * both (Win32 and DOS) is one.
	 */
	for (size_t i = 0; i < c->nnames; i++)
		if (c->names[i].rec < c->nrec && c->ri[c->names[i].rec].names < UINT16_MAX)
			c->ri[c->names[i].rec].names++;
	for (uint64_t i = 0; i < c->nrec; i++) {
		const struct rec_info *r = &c->ri[i];
		if (r->state == RS_OK && (r->flags & NL_MFT_IN_USE) && (r->flags & NL_MFT_DIRECTORY) &&
		    !r->base)
			check_dir(c, i);
		if (c->cb && c->cb->tick && !(i & 1023))
			c->cb->tick(c->cb->data, i, c->nrec);
	}
	for (uint64_t i = 0; i < c->nrec; i++) {
		const struct rec_info *r = &c->ri[i];
		if (r->state != RS_OK || !(r->flags & NL_MFT_IN_USE) || r->base || !r->names)
			continue;
		if (!r->refs && i != NL_FILE_ROOT)
			finding(c, NC_ERROR, "mft-orphan", (int64_t)i, NC_REPAIR_CHKDSK,
				"Record %" PRIu64 " is in use but no folder lists it: its file cannot be "
				"reached (chkdsk puts such files in \\found.NNN).", i);
		else if (r->refs < r->names && i != NL_FILE_ROOT)
			finding(c, NC_ERROR, "mft-name-unindexed", (int64_t)i, NC_REPAIR_CHKDSK,
				"Record %" PRIu64 " has %u name(s) but only %u folder entr%s name it.", i,
				r->names, r->refs, r->refs == 1 ? "y" : "ies");
		if (r->link != r->names)
			finding(c, NC_ERROR, "mft-link-count", (int64_t)i, NC_REPAIR_CHKDSK,
				"Record %" PRIu64 " says it has %u hard link(s); it has %u name(s).", i,
				r->link, r->names);
	}
}

/* ---- pass 7: journal, hibernation, $Volume, $UpCase ---- */

static uint8_t *read_loc(struct ctx *c, const struct loc *l, uint64_t max, uint64_t *len)
{
	uint64_t n = l->size < max ? l->size : max;
	uint8_t *b = xcalloc(1, n ? (size_t)n : 1);

	*len = n;
	if (l->value) {
		memcpy(b, l->value, (size_t)n);
		return b;
	}
	if (read_runs(c, l->runs, l->nruns, 0, b, (size_t)n) != 0) {
		free(b);
		return NULL;
	}
	return b;
}

static void check_logfile(struct ctx *c)
{
	struct nc_report *r = c->r;
	uint64_t len;
	uint8_t *b;

	r->logfile = NC_LOG_UNKNOWN;
	if (!c->logfile.found || !c->logfile.runs) {
		finding(c, NC_ERROR, "logfile-missing", NL_FILE_LOGFILE, NC_REPAIR_CHKDSK,
			"$LogFile has no data: the journal cannot be read.");
		return;
	}
	r->logfile_runs = xcalloc(c->logfile.nruns + 1, sizeof(struct nc_run));
	if (c->logfile.nruns)
		memcpy(r->logfile_runs, c->logfile.runs, c->logfile.nruns * sizeof(struct nc_run));
	r->nlogfile_runs = c->logfile.nruns;
	r->logfile_size = c->logfile.size;
	b = read_loc(c, &c->logfile, 8192, &len);
	if (!b || len < 8192) {
		finding(c, NC_ERROR, "logfile-unreadable", NL_FILE_LOGFILE, NC_REPAIR_CHKDSK,
			"$LogFile's restart pages cannot be read from %s.", c->dev);
		free(b);
		return;
	}
	size_t i;
	for (i = 0; i < 8192 && b[i] == 0xff; i++)
		;
	if (i == 8192) {
		r->logfile = NC_LOG_EMPTY;	/* reset by ntfsfix or winrescue fix */
		free(b);
		return;
	}
	/* the first intact restart page of the two */
	for (int page = 0; page < 2; page++) {
		uint8_t *p = b + page * 4096;
		uint32_t m = nl_le32(p), sps = nl_le32(p + NL_RP_SYSTEM_PAGE_SIZE);
		uint16_t ra;
		if ((m != NL_MAGIC_RSTR && m != NL_MAGIC_CHKD) || sps != 4096 ||
		    nb_fixup(p, 4096) != NB_FIXUP_OK)
			continue;
		ra = nl_le16(p + NL_RP_RESTART_AREA);
		if (ra < 0x1e || ra + 0x10u > 4096)
			continue;
		r->logfile_major = (unsigned)(int16_t)nl_le16(p + NL_RP_MAJOR);
		r->logfile_minor = (unsigned)(int16_t)nl_le16(p + NL_RP_MINOR);
		if (r->logfile_major == 2)
			r->logfile = NC_LOG_FAST_RESTART;
		else if (nl_le16(p + ra + NL_RA_CLIENT_IN_USE) == NL_LOGFILE_NO_CLIENT ||
			 (nl_le16(p + ra + NL_RA_FLAGS) & NL_RA_CLEAN))
			r->logfile = NC_LOG_CLEAN;
		else
			r->logfile = NC_LOG_UNCLEAN;
		break;
	}
	free(b);
	if (r->logfile == NC_LOG_UNKNOWN)
		finding(c, NC_ERROR, "logfile-damaged", NL_FILE_LOGFILE, NC_REPAIR_FIX,
			"$LogFile has no intact restart page: the journal is damaged.");
	else if (r->logfile == NC_LOG_UNCLEAN)
		finding(c, NC_WARNING, "logfile-unclean", NL_FILE_LOGFILE, NC_REPAIR_FIX,
			"The journal was not closed cleanly: Windows stopped with changes not yet "
			"written; it replays them at its next start.");
	else if (r->logfile == NC_LOG_FAST_RESTART)
		finding(c, NC_WARNING, "logfile-fast-restart", NL_FILE_LOGFILE, NC_REPAIR_FIX,
			"Windows was shut down with Fast Startup: it keeps file system metadata cached "
			"for its next start.");
}

static void check_hiberfil(struct ctx *c)
{
	uint64_t t = NL_MREF(c->hiberfil);
	struct family fam;
	uint32_t alen, vlen;
	const uint8_t *a, *v;
	uint8_t magic[4] = { 0 };
	bool got = false;

	c->r->hibernated = 0;
	if (!c->hiberfil)
		return;
	c->r->hibernated = -1;
	/* its $DATA may start in an extension record (a fragmented hiberfil.sys) */
	family_load(c, t, &fam);
	a = family_attr(c, &fam, NL_AT_DATA, NAME_NONE, 0, &alen);
	if (a && (v = res_value(a, alen, &vlen))) {
		memcpy(magic, v, vlen < 4 ? vlen : 4);
		got = true;
	} else if (a) {
		struct nc_run *runs = NULL;
		size_t n;
		uint64_t asz, size;
		if (nl_le64(a + NL_ATTR_DATA_SIZE) == 0) {
			got = true;
		} else if (family_runs(c, &fam, NL_AT_DATA, NAME_NONE, &runs, &n, &asz, &size)) {
			got = read_runs(c, runs, n, 0, magic, 4) == 0;
			/* where its header page is, for fix --discard-hibernation */
			if (got && runs[0].vcn == 0 && runs[0].lcn != NC_SPARSE) {
				uint64_t have = runs[0].len * c->g.cluster;
				c->r->hiberfil_off = runs[0].lcn * c->g.cluster;
				c->r->hiberfil_len = (uint32_t)(have < 4096 ? have : 4096);
				if (size < c->r->hiberfil_len)
					c->r->hiberfil_len = (uint32_t)size;
			}
		}
		free(runs);
	}
	family_free(&fam);
	if (!got) {
		finding(c, NC_WARNING, "hibernation-unknown", (int64_t)t, NC_REPAIR_NONE,
			"hiberfil.sys is there but cannot be read: whether Windows is hibernated cannot "
			"be told; treat it as hibernated.");
		return;
	}
	if (!memcmp(magic, "hibr", 4) || !memcmp(magic, "HIBR", 4)) {
		c->r->hibernated = 1;
		finding(c, NC_WARNING, "hibernated", (int64_t)t, NC_REPAIR_FIX,
			"Windows is hibernated (hiberfil.sys holds a session): writing to the volume "
			"loses that session or corrupts it when Windows resumes.");
	} else {
		c->r->hibernated = 0;
	}
}

static void pass_state(struct ctx *c)
{
	check_logfile(c);
	check_hiberfil(c);
	if (c->volinfo.found && c->volinfo.size >= NL_VI_SIZE) {
		c->r->volume_flags_known = true;
		c->r->volume_flags = nl_le16(c->volinfo.value + NL_VI_FLAGS);
		c->r->ntfs_major = c->volinfo.value[NL_VI_MAJOR];
		c->r->ntfs_minor = c->volinfo.value[NL_VI_MINOR];
		if (c->r->volume_flags & NL_VOLUME_DIRTY)
			finding(c, NC_WARNING, "volume-dirty", NL_FILE_VOLUME, NC_REPAIR_NONE,
				"The volume is marked dirty: Windows runs chkdsk at its next start.");
		if (c->r->ntfs_major != 3 || c->r->ntfs_minor > 1)
			finding(c, NC_WARNING, "volume-version", NL_FILE_VOLUME, NC_REPAIR_NONE,
				"The volume says it is NTFS %u.%u; Windows writes 3.0 or 3.1.",
				c->r->ntfs_major, c->r->ntfs_minor);
	} else {
		finding(c, NC_ERROR, "volume-info-missing", NL_FILE_VOLUME, NC_REPAIR_CHKDSK,
			"$Volume has no $VOLUME_INFORMATION: the volume's version and dirty flag cannot "
			"be read.");
	}
	if (!c->upcase_raw) {
		finding(c, NC_ERROR, "upcase-bad", NL_FILE_UPCASE, NC_REPAIR_CHKDSK,
			"$UpCase is missing, unreadable or not 65536 characters: names cannot be "
			"compared the way Windows does.");
		return;
	}
	bool ok = true;
	for (uint16_t ch = 'a'; ch <= 'z'; ch++)
		ok = ok && nl_le16(c->upcase_raw + 2 * ch) == ch - 32 &&
		     nl_le16(c->upcase_raw + 2 * (ch - 32)) == ch - 32;
	if (!ok)
		finding(c, NC_ERROR, "upcase-bad", NL_FILE_UPCASE, NC_REPAIR_CHKDSK,
			"$UpCase does not map a-z to A-Z: it is damaged.");
}

/* $UpCase, read once: for the collation of pass 6 when it is sane (else ASCII
 * only), and for pass 7's judgement of it. */
static void load_upcase(struct ctx *c)
{
	uint64_t len;

	if (c->upcase.found && c->upcase.size == 131072)
		c->upcase_raw = read_loc(c, &c->upcase, 131072, &len);
	c->upcase_sane = c->upcase_raw && nl_le16(c->upcase_raw + 2 * 'a') == 'A' &&
			 nl_le16(c->upcase_raw + 2 * 'z') == 'Z';
}

/* ---- paths ---- */

/* The best name of record b (one other than a DOS alias), or NULL. */
static const uint8_t *record_name(const struct ctx *c, const uint8_t *b, const uint8_t *best)
{
	struct nb_attr_iter it;
	const uint8_t *a, *v;
	uint32_t len, vlen;

	nb_attr_iter_init(&it, b, c->rs);
	while ((a = nb_attr_next(&it, &len)))
		if (nl_le32(a) == NL_AT_FILE_NAME && (v = res_value(a, len, &vlen)) &&
		    vlen >= NL_FN_NAME && v[NL_FN_NAME_LENGTH] &&
		    NL_FN_NAME + 2u * v[NL_FN_NAME_LENGTH] <= vlen &&
		    (!best || best[NL_FN_NAME_TYPE] == NL_FN_DOS))
			best = v;
	return best;
}

/* "\dir\file" of a record, from its names up to the root; NULL when unknown. */
static char *record_path(struct ctx *c, uint64_t rec)
{
	char *path = NULL;

	for (int depth = 0; depth < MAX_DEPTH; depth++) {
		if (rec == NL_FILE_ROOT)
			return path ? path : xstrdup("\\");
		struct family fam = { 0 };
		const uint8_t *best = NULL;
		/* from the base record; a file with many names may keep them all elsewhere */
		uint8_t *b = read_record(c, rec);
		if (b && !nl_le64(b + NL_MFT_BASE_RECORD) && !(best = record_name(c, b, NULL))) {
			family_load(c, rec, &fam);
			for (size_t i = 1; i < fam.n; i++)
				best = record_name(c, fam.rec[i], best);
		}
		if (!best) {
			free(b);
			family_free(&fam);
			break;
		}
		char *n = name_utf8(best + NL_FN_NAME, best[NL_FN_NAME_LENGTH]);
		char *np = xasprintf("\\%s%s", n, path ? path : "");
		free(n);
		free(path);
		path = np;
		uint64_t parent = NL_MREF(nl_le64(best + NL_FN_PARENT));
		free(b);
		family_free(&fam);
		if (parent == rec)
			break;
		rec = parent;
	}
	free(path);
	return NULL;
}

static void add_paths(struct ctx *c)
{
	size_t done = 0;

	for (size_t i = 0; i < c->r->nfindings && done < MAX_PATHS; i++) {
		struct nc_finding *f = &c->r->findings[i];
		if (f->record < NL_FILE_FIRST_USER && f->record != NL_FILE_ROOT)
			continue;
		if ((uint64_t)f->record >= c->nrec)
			continue;
		f->path = record_path(c, (uint64_t)f->record);
		done++;
	}
}

/* ---- the whole check ---- */

static bool start_pass(struct ctx *c, int pass)
{
	c->current_pass = pass;
	c->r->passes_done = pass - 1;
	return !c->cb || !c->cb->pass || c->cb->pass(c->cb->data, pass, nc_pass_name(pass));
}

static void free_loc(struct loc *l)
{
	free(l->runs);
	free(l->value);
}

static void ctx_free(struct ctx *c)
{
	free(c->mft_runs);
	free(c->mftbmp);
	free(c->ri);
	free(c->names);
	free(c->own);
	free(c->claims);
	free(c->ext);
	free(c->fam);
	free(c->pieces);
	free_loc(&c->bitmap);
	free_loc(&c->logfile);
	free_loc(&c->upcase);
	free_loc(&c->volinfo);
	free_loc(&c->mftbmp_loc);
	free(c->upcase_raw);
}

/* Passes 3 to 7 of nc_check on a ctx whose geometry is set; false when $MFT cannot be found. */
static bool mft_passes(struct ctx *c)
{
	if (!start_pass(c, 3) || !mft_layout(c) || pass_records(c) < 0)
		return false;
	records_together(c);
	if (!start_pass(c, 4))
		return false;
	pass_mft_bitmap(c);
	if (!start_pass(c, 5))
		return false;
	pass_cluster_bitmap(c);
	if (!start_pass(c, 6))
		return false;
	load_upcase(c);
	pass_dirs(c);
	if (!start_pass(c, 7))
		return false;
	pass_state(c);
	add_paths(c);
	return true;
}

/* Where record i of n in nc_check_mft_buf's input goes: after the first n, at the
 * number its header gives (a file's records far into $MFT), else at its place. */
static uint64_t mft_buf_place(const uint8_t *b, size_t i, size_t n, uint64_t max)
{
	uint32_t num = nl_le32(b + NL_MFT_RECORD_NUMBER);

	return nl_le16(b + NL_REC_USA_OFS) >= NL_MFT_HEADER_31 && num >= n && num < max ? num : i;
}

#define MEM_CLUSTER_MAGIC 0x53554c43u	/* "CLUS": not a record, bytes of a cluster */

void nc_check_mft_buf(const uint8_t *buf, size_t len, uint32_t rs, struct nc_report *r)
{
	struct ctx c = { .fd = -1, .dev = "(fuzz)", .r = r, .collect = true, .max_records = 128 };
	uint8_t *rec = NULL, *win = NULL;
	struct memwin *mem;
	uint64_t top = 0;
	size_t n = 0, nchunks = len / (rs ? rs : 1), nmem = 1;

	memset(r, 0, sizeof(*r));
	r->hibernated = -1;
	if (rs < NL_USA_STRIDE || rs > 4096 || rs % NL_USA_STRIDE || !nchunks)
		return;
	c.rs = rs;
	c.g = (struct nb_geometry){ .sector = 512, .cluster = 4096, .record = rs, .index_block = 4096,
				    .clusters = 1u << 16 };
	c.size = c.g.clusters * c.g.cluster;
	/* the records come first; chunks "CLUS", LCN (u32), bytes: what a cluster holds */
	while (n < nchunks && nl_le32(buf + n * rs) != MEM_CLUSTER_MAGIC)
		n++;
	if (!n)
		return;
	/* $MFT where its record 0 says */
	rec = xcalloc(1, rs);
	memcpy(rec, buf, rs);
	if (nl_le32(rec) == NL_MAGIC_FILE && nb_fixup(rec, rs) == NB_FIXUP_OK) {
		uint32_t alen;
		const uint8_t *a = record_attr(rec, rs, NL_AT_DATA, NAME_NONE, 0, &alen);
		struct nc_run *runs = NULL;
		size_t nr = 0;
		if (a && add_attr_runs(&c, a, alen, &runs, &nr) && nr && runs[0].lcn != NC_SPARSE)
			c.g.mft_lcn = runs[0].lcn;
		free(runs);
	}
	free(rec);
	for (size_t i = 0; i < n; i++)
		if (mft_buf_place(buf + i * rs, i, n, c.max_records) + 1 > top)
			top = mft_buf_place(buf + i * rs, i, n, c.max_records) + 1;
	if (c.g.mft_lcn * c.g.cluster + top * rs > c.size)
		c.g.mft_lcn = 0;
	win = xcalloc(top, rs);
	for (size_t i = 0; i < n; i++)
		memcpy(win + mft_buf_place(buf + i * rs, i, n, c.max_records) * rs, buf + i * rs, rs);
	mem = xcalloc(nchunks - n + 1, sizeof(*mem));
	mem[0] = (struct memwin){ c.g.mft_lcn * c.g.cluster, top * rs, win };
	for (size_t i = n; i < nchunks; i++)
		if (nl_le32(buf + i * rs) == MEM_CLUSTER_MAGIC)
			mem[nmem++] = (struct memwin){ (uint64_t)nl_le32(buf + i * rs + 4) * c.g.cluster,
						      rs - 8, buf + i * rs + 8 };
	c.mem = mem;
	c.nmem = nmem;
	if (mft_passes(&c))
		r->passes_done = NC_PASSES;
	ctx_free(&c);
	free(win);
	free(mem);
}

int nc_check(int fd, uint64_t off, uint64_t size, const char *dev, const struct nc_callbacks *cb,
	     struct nc_report *r)
{
	struct ctx c = { .fd = fd, .off = off, .size = size, .dev = dev, .cb = cb, .r = r,
			 .collect = true };
	int rc = 1;

	memset(r, 0, sizeof(*r));
	r->hibernated = -1;
	if (!start_pass(&c, 1))
		goto out;
	pass_boot(&c);
	if (r->boot.read_errno) {
		r->op_error = xasprintf("the boot sector of %s cannot be read: %s", dev,
					strerror(r->boot.read_errno));
		rc = -1;
		goto out;
	}
	if (!r->boot.chosen) {
		/* nothing to go on: the damage is named, the rest cannot be checked */
		finding(&c, NC_ERROR, "bs-none-valid", -1, NC_REPAIR_CHKDSK,
			"Neither the primary nor the backup boot sector is a valid NTFS boot sector; "
			"the rest of the volume cannot be checked.");
		rc = 0;
		goto out;
	}
	c.g = r->boot.geom;
	c.rs = c.g.record;
	if (c.g.clusters * c.g.cluster > size)
		c.g.clusters = size / c.g.cluster;	/* truncated: what is there */
	if (!start_pass(&c, 2))
		goto out;
	pass_mirror(&c);
	if (!mft_passes(&c) || r->op_error) {
		rc = r->op_error ? -1 : 1;
		goto out;
	}
	r->passes_done = NC_PASSES;
	rc = 0;
out:
	ctx_free(&c);
	return rc;
}

size_t nc_count_errors(const struct nc_report *r, enum nc_repair how)
{
	size_t n = 0;

	for (size_t i = 0; i < r->nfindings; i++)
		n += r->findings[i].severity == NC_ERROR && r->findings[i].repair == how;
	return n;
}

void nc_report_free(struct nc_report *r)
{
	for (size_t i = 0; i < r->nfindings; i++) {
		free(r->findings[i].code);
		free(r->findings[i].path);
		free(r->findings[i].message);
	}
	free(r->findings);
	free(r->op_error);
	free(r->logfile_runs);
	memset(r, 0, sizeof(*r));
}

void nc_check_index_buf(uint8_t *blk, uint32_t size, uint64_t vcn, struct nc_report *r)
{
	struct ctx c = { .r = r, .rs = 1024, .g = { .cluster = 4096, .clusters = 1 } };
	struct rec_info ri[1] = { { 0 } };
	struct dirwalk d = { .c = &c, .dir = 5, .bsize = size };

	c.ri = ri;
	c.nrec = 0;	/* every entry points past $MFT: the entry checks run, no lookups */
	if (size < NL_USA_STRIDE || size > 65536 || size % NL_USA_STRIDE)
		return;
	if (nl_le32(blk) != NL_MAGIC_INDX || nb_fixup(blk, size) != NB_FIXUP_OK)
		return;
	(void)vcn;
	walk_node(&d, blk + NL_INDX_HEADER, size - NL_INDX_HEADER, MAX_DEPTH);
}
