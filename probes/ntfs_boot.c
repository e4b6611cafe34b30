/*
 * ntfs_boot.c - the boot sector, its backup and $MFTMirr from raw sectors
 * (see ntfs_boot.h). No library: these are exactly the structures a
 * damaged volume gets wrong, and libntfs-3g refuses them without saying
 * which copy is good.
 */
#include "probes/ntfs_boot.h"
#include "probes/ntfs_layout.h"
#include "lib/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool pow2(uint64_t x)
{
	return x && !(x & (x - 1));
}

/* Bytes of a record whose size the boot sector gives as clusters or a shift. */
static uint32_t record_bytes(int8_t v, uint32_t cluster)
{
	if (v > 0)
		return cluster && (uint64_t)cluster * (uint32_t)v <= 65536 ? cluster * (uint32_t)v : 0;
	if (v < 0 && -v >= 8 && -v <= 16)
		return 1u << -v;
	return 0;
}

unsigned nb_parse(const uint8_t bs[512], struct nb_geometry *g)
{
	unsigned p = 0;
	uint32_t bps = nl_le16(bs + NL_BS_BYTES_PER_SECTOR);
	uint8_t spc = bs[NL_BS_SECTORS_PER_CLUSTER];

	memset(g, 0, sizeof(*g));
	if (memcmp(bs + NL_BS_OEM, "NTFS    ", 8) != 0)
		p |= NB_SIGNATURE;
	if (bs[NL_BS_END_MARKER] != 0x55 || bs[NL_BS_END_MARKER + 1] != 0xaa)
		p |= NB_END_MARKER;
	if (bps < 256 || bps > 4096 || !pow2(bps))
		p |= NB_BYTES_PER_SECTOR;
	else
		g->sector = bps;
	if (spc >= 1 && spc <= 128 && pow2(spc)) {
		g->cluster = g->sector * spc;
	} else if (spc > 128 && 256 - spc <= 12) {
		g->cluster = g->sector << (256 - spc);
	} else {
		p |= NB_SECTORS_PER_CLUSTER;
	}
	if (g->cluster > (2u << 20)) {
		p |= NB_SECTORS_PER_CLUSTER;
		g->cluster = 0;
	}
	g->record = record_bytes((int8_t)bs[NL_BS_CLUSTERS_PER_MFT_RECORD], g->cluster);
	if (g->cluster && (!pow2(g->record) || g->record < 256))
		p |= NB_MFT_RECORD_SIZE;
	g->index_block = record_bytes((int8_t)bs[NL_BS_CLUSTERS_PER_INDEX_RECORD], g->cluster);
	if (g->cluster && (!pow2(g->index_block) || g->index_block < 256))
		p |= NB_INDEX_RECORD_SIZE;
	g->sectors = nl_le64(bs + NL_BS_TOTAL_SECTORS);
	g->mft_lcn = nl_le64(bs + NL_BS_MFT_LCN);
	g->mftmirr_lcn = nl_le64(bs + NL_BS_MFTMIRR_LCN);
	g->serial = nl_le64(bs + NL_BS_SERIAL);
	if (g->sectors == 0 || g->sectors > (UINT64_MAX >> 13))
		p |= NB_TOTAL_SECTORS;
	else if (g->cluster)
		g->clusters = g->sectors * g->sector / g->cluster;
	if (g->cluster && !(p & NB_TOTAL_SECTORS)) {
		/* the four records $MFTMirr holds must fit, from a cluster after $Boot's */
		uint64_t need = ((uint64_t)g->record * 4 + g->cluster - 1) / g->cluster;
		if (g->mft_lcn == 0 || g->mft_lcn >= g->clusters || g->clusters - g->mft_lcn < need)
			p |= NB_MFT_LCN;
		if (g->mftmirr_lcn == 0 || g->mftmirr_lcn >= g->clusters ||
		    g->clusters - g->mftmirr_lcn < need || g->mftmirr_lcn == g->mft_lcn)
			p |= NB_MFTMIRR_LCN;
	}
	if (nl_le16(bs + NL_BS_RESERVED_SECTORS) || bs[NL_BS_FATS] ||
	    nl_le16(bs + NL_BS_ROOT_ENTRIES) || nl_le16(bs + NL_BS_SECTORS16) ||
	    nl_le16(bs + NL_BS_SECTORS_PER_FAT) || nl_le32(bs + NL_BS_LARGE_SECTORS))
		p |= NB_FAT_FIELDS;
	return p;
}

const char *nb_problem_code(unsigned bit)
{
	switch (bit) {
	case NB_SIGNATURE: return "bs-signature";
	case NB_END_MARKER: return "bs-end-marker";
	case NB_BYTES_PER_SECTOR: return "bs-bytes-per-sector";
	case NB_SECTORS_PER_CLUSTER: return "bs-sectors-per-cluster";
	case NB_MFT_RECORD_SIZE: return "bs-mft-record-size";
	case NB_INDEX_RECORD_SIZE: return "bs-index-record-size";
	case NB_TOTAL_SECTORS: return "bs-total-sectors";
	case NB_MFT_LCN: return "bs-mft-lcn";
	case NB_MFTMIRR_LCN: return "bs-mftmirr-lcn";
	case NB_FAT_FIELDS: return "bs-fat-fields";
	}
	return "bs-invalid";
}

char *nb_problem_words(unsigned bit, const uint8_t bs[512])
{
	char *v, *w;

	switch (bit) {
	case NB_SIGNATURE:
		v = nb_problem_value(bit, bs);
		w = xasprintf("the file system name is %s, not \"NTFS    \"", v);
		free(v);
		return w;
	case NB_END_MARKER:
		return xasprintf("the end marker bytes are %02X %02X, not 55 AA", bs[NL_BS_END_MARKER],
				 bs[NL_BS_END_MARKER + 1]);
	case NB_BYTES_PER_SECTOR:
		return xasprintf("bytes per sector is %u (256, 512, 1024, 2048 or 4096)",
				 nl_le16(bs + NL_BS_BYTES_PER_SECTOR));
	case NB_SECTORS_PER_CLUSTER:
		return xasprintf("sectors per cluster is %u (a power of two, clusters up to 2 MiB)",
				 bs[NL_BS_SECTORS_PER_CLUSTER]);
	case NB_MFT_RECORD_SIZE:
		return xasprintf("the MFT record size field is %d (a record of 256 bytes to 64 KiB, "
				 "a power of two)", (int8_t)bs[NL_BS_CLUSTERS_PER_MFT_RECORD]);
	case NB_INDEX_RECORD_SIZE:
		return xasprintf("the index record size field is %d (a block of 256 bytes to 64 KiB, "
				 "a power of two)", (int8_t)bs[NL_BS_CLUSTERS_PER_INDEX_RECORD]);
	case NB_TOTAL_SECTORS:
		return xasprintf("the number of sectors is %llu",
				 (unsigned long long)nl_le64(bs + NL_BS_TOTAL_SECTORS));
	case NB_MFT_LCN:
		return xasprintf("$MFT starts at cluster %lld, outside the volume's %llu sectors",
				 (long long)nl_le64(bs + NL_BS_MFT_LCN),
				 (unsigned long long)nl_le64(bs + NL_BS_TOTAL_SECTORS));
	case NB_MFTMIRR_LCN:
		return xasprintf("$MFTMirr starts at cluster %lld (outside the volume or on $MFT "
				 "at cluster %lld)", (long long)nl_le64(bs + NL_BS_MFTMIRR_LCN),
				 (long long)nl_le64(bs + NL_BS_MFT_LCN));
	case NB_FAT_FIELDS:
		return xstrdup("FAT fields that NTFS keeps zero are set");
	}
	return xstrdup("the boot sector is not valid");
}

unsigned nb_differing(const uint8_t *a, const uint8_t *b)
{
	static const struct { unsigned off, len, bit; } f[] = {
		{ NL_BS_OEM, 8, NB_SIGNATURE },
		{ NL_BS_END_MARKER, 2, NB_END_MARKER },
		{ NL_BS_BYTES_PER_SECTOR, 2, NB_BYTES_PER_SECTOR },
		{ NL_BS_SECTORS_PER_CLUSTER, 1, NB_SECTORS_PER_CLUSTER },
		{ NL_BS_CLUSTERS_PER_MFT_RECORD, 1, NB_MFT_RECORD_SIZE },
		{ NL_BS_CLUSTERS_PER_INDEX_RECORD, 1, NB_INDEX_RECORD_SIZE },
		{ NL_BS_TOTAL_SECTORS, 8, NB_TOTAL_SECTORS },
		{ NL_BS_MFT_LCN, 8, NB_MFT_LCN },
		{ NL_BS_MFTMIRR_LCN, 8, NB_MFTMIRR_LCN },
		{ NL_BS_RESERVED_SECTORS, 2, NB_FAT_FIELDS },
		{ NL_BS_FATS, 1, NB_FAT_FIELDS },
		{ NL_BS_ROOT_ENTRIES, 2, NB_FAT_FIELDS },
		{ NL_BS_SECTORS16, 2, NB_FAT_FIELDS },
		{ NL_BS_SECTORS_PER_FAT, 2, NB_FAT_FIELDS },
		{ NL_BS_LARGE_SECTORS, 4, NB_FAT_FIELDS },
	};
	unsigned bits = 0;

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (memcmp(a + f[i].off, b + f[i].off, f[i].len) != 0)
			bits |= f[i].bit;
	return bits;
}

char *nb_problem_value(unsigned bit, const uint8_t bs[512])
{
	switch (bit) {
	case NB_SIGNATURE: {
		char oem[9];
		for (int i = 0; i < 8; i++) {
			uint8_t c = bs[NL_BS_OEM + i];
			oem[i] = c >= 0x20 && c < 0x7f ? (char)c : '.';
		}
		oem[8] = '\0';
		return xasprintf("\"%s\"", oem);
	}
	case NB_END_MARKER:
		return xasprintf("%02X %02X", bs[NL_BS_END_MARKER], bs[NL_BS_END_MARKER + 1]);
	case NB_BYTES_PER_SECTOR:
		return xasprintf("%u", nl_le16(bs + NL_BS_BYTES_PER_SECTOR));
	case NB_SECTORS_PER_CLUSTER:
		return xasprintf("%u", bs[NL_BS_SECTORS_PER_CLUSTER]);
	case NB_MFT_RECORD_SIZE:
	case NB_INDEX_RECORD_SIZE: {
		/* negative: 2^-n bytes, as NTFS encodes sizes below a cluster; else clusters */
		int8_t n = (int8_t)bs[bit == NB_MFT_RECORD_SIZE ? NL_BS_CLUSTERS_PER_MFT_RECORD
							       : NL_BS_CLUSTERS_PER_INDEX_RECORD];
		if (n < 0 && n >= -31)
			return xasprintf("%u bytes", 1u << -n);
		return xasprintf("%d cluster%s", n, n == 1 ? "" : "s");
	}
	case NB_TOTAL_SECTORS:
		return xasprintf("%llu", (unsigned long long)nl_le64(bs + NL_BS_TOTAL_SECTORS));
	case NB_MFT_LCN:
		return xasprintf("%lld", (long long)nl_le64(bs + NL_BS_MFT_LCN));
	case NB_MFTMIRR_LCN:
		return xasprintf("%lld", (long long)nl_le64(bs + NL_BS_MFTMIRR_LCN));
	}
	return xstrdup("other values");
}

static bool read_full(nb_read_fn rd, void *ctx, void *buf, size_t len, uint64_t off, int *err)
{
	ssize_t r;

	errno = 0;
	r = rd(ctx, buf, len, off);
	if (r == (ssize_t)len)
		return true;
	*err = r < 0 && errno ? errno : EIO;
	return false;
}

/* The fields two valid copies must share: name, BPB, sizes, locations, serial. */
bool nb_same_fields(const uint8_t *a, const uint8_t *b)
{
	return memcmp(a + NL_BS_OEM, b + NL_BS_OEM, NL_BS_SERIAL + 8 - NL_BS_OEM) == 0 &&
	       memcmp(a + NL_BS_END_MARKER, b + NL_BS_END_MARKER, 2) == 0;
}

int nb_hidden_side(const uint8_t *primary, const uint8_t *backup, uint64_t start)
{
	uint8_t a[512];
	uint32_t hp = nl_le32(primary + NL_BS_HIDDEN_SECTORS), hb = nl_le32(backup + NL_BS_HIDDEN_SECTORS);

	memcpy(a, backup, 512);
	memcpy(a + NL_BS_HIDDEN_SECTORS, primary + NL_BS_HIDDEN_SECTORS, 4);
	if (hp == hb || !nb_same_fields(primary, a))
		return 0;
	return hp == start ? 1 : hb == start ? 2 : 0;
}

void nb_examine(nb_read_fn rd, void *ctx, uint64_t size, struct nb_verdict *v)
{
	struct nb_geometry pg, bg;
	uint64_t cand[6];
	size_t ncand = 0;
	static const uint32_t last[] = { 512, 4096, 1024, 2048, 256 };

	memset(v, 0, sizeof(*v));
	v->have_bytes = size;
	if (size < 1024 || !read_full(rd, ctx, v->primary, 512, 0, &v->read_errno)) {
		if (size < 1024)
			v->read_errno = ENOSPC;
		v->primary_problems = ~0u;
		return;
	}
	v->primary_problems = nb_parse(v->primary, &pg);
	/* where the primary puts the backup, then the device's last sector */
	if (!v->primary_problems && pg.sectors * pg.sector + 512 <= size)
		cand[ncand++] = pg.sectors * pg.sector;
	for (size_t i = 0; i < sizeof(last) / sizeof(last[0]); i++)
		if (size >= 2 * last[i] && (!ncand || cand[0] != size - last[i]))
			cand[ncand++] = size - last[i];
	v->backup_problems = ~0u;
	v->backup_errno = 0;
	for (size_t i = 0; i < ncand; i++) {
		uint8_t buf[512];
		int err = 0;
		unsigned bp;

		if (!read_full(rd, ctx, buf, 512, cand[i], &err)) {
			if (!v->backup_found)
				v->backup_errno = err;
			continue;
		}
		bp = nb_parse(buf, &bg);
		/* the first position read counts, unless a later one holds a valid copy */
		if (!v->backup_found || (bp == 0 && v->backup_problems != 0)) {
			v->backup_found = true;
			v->backup_off = cand[i];
			v->backup_problems = bp;
			memcpy(v->backup, buf, 512);
		}
		if (bp == 0)
			break;
	}
	if (v->backup_found)
		v->backup_errno = 0;
	if (!v->backup_problems)
		nb_parse(v->backup, &bg);
	if (!v->primary_problems) {
		v->chosen = 1;
		v->geom = pg;
	} else if (!v->backup_problems) {
		v->chosen = 2;
		v->geom = bg;
	}
	if (!v->primary_problems && !v->backup_problems) {
		v->differ = !nb_same_fields(v->primary, v->backup);
		v->code_differs = !v->differ && memcmp(v->primary, v->backup, 512) != 0;
		v->backup_misplaced = v->backup_off != pg.sectors * pg.sector;
	}
	if (v->chosen) {
		v->claimed_bytes = v->geom.sectors * v->geom.sector;
		/* the volume and the backup sector after it */
		v->truncated = v->claimed_bytes + v->geom.sector > size;
	}
}

uint32_t nb_mftmirr_records(const struct nb_geometry *g)
{
	return g->cluster <= 4 * g->record ? 4 : g->cluster / g->record;
}

int nb_fixup(uint8_t *rec, uint32_t size)
{
	uint16_t ofs = nl_le16(rec + NL_REC_USA_OFS), count = nl_le16(rec + NL_REC_USA_COUNT);
	uint16_t usn;

	if (size < NL_USA_STRIDE || size % NL_USA_STRIDE)
		return NB_FIXUP_COUNT;
	/* the array lies in the header, before the first stride's own last two bytes */
	if (ofs & 1 || ofs < 8 || (uint32_t)ofs + 2u * count > size ||
	    (uint32_t)ofs + 2u * count > NL_USA_STRIDE - 2)
		return NB_FIXUP_OFFSET;
	if (count != size / NL_USA_STRIDE + 1)
		return NB_FIXUP_COUNT;
	usn = nl_le16(rec + ofs);
	for (uint32_t i = 1; i < count; i++)
		if (nl_le16(rec + i * NL_USA_STRIDE - 2) != usn)
			return NB_FIXUP_MISMATCH;
	for (uint32_t i = 1; i < count; i++)
		memcpy(rec + i * NL_USA_STRIDE - 2, rec + ofs + 2 * i, 2);
	return NB_FIXUP_OK;
}

void nb_unfixup(uint8_t *rec, uint32_t size)
{
	uint16_t ofs = nl_le16(rec + NL_REC_USA_OFS), count = nl_le16(rec + NL_REC_USA_COUNT);
	uint16_t usn;

	if (count != size / NL_USA_STRIDE + 1 || ofs < 8 || (uint32_t)ofs + 2u * count > size ||
	    (uint32_t)ofs + 2u * count > NL_USA_STRIDE - 2)
		return;		/* not a record nb_fixup accepted */
	usn = (uint16_t)(nl_le16(rec + ofs) + 1);
	if (usn == 0 || usn == 0xffff)
		usn = 1;
	nl_put16(rec + ofs, usn);
	for (uint32_t i = 1; i < count; i++) {
		memcpy(rec + ofs + 2 * i, rec + i * NL_USA_STRIDE - 2, 2);
		nl_put16(rec + i * NL_USA_STRIDE - 2, usn);
	}
}

void nb_attr_iter_init(struct nb_attr_iter *it, const uint8_t *b, uint32_t rs)
{
	it->b = b;
	it->used = nl_le32(b + NL_MFT_BYTES_IN_USE);
	if (it->used > rs)
		it->used = rs;
	it->pos = nl_le16(b + NL_MFT_ATTRS_OFFSET);
}

const uint8_t *nb_attr_next(struct nb_attr_iter *it, uint32_t *alen)
{
	const uint8_t *a = it->b + it->pos;
	uint32_t len;

	if (it->pos + NL_ATTR_RESIDENT_HEADER > it->used)
		return NULL;
	len = nl_le32(a + NL_ATTR_LENGTH);
	if (nl_le32(a) == NL_AT_END || len < NL_ATTR_RESIDENT_HEADER || len > it->used - it->pos ||
	    len & 7)
		return NULL;
	it->pos += len;
	*alen = len;
	return a;
}

/* The attribute a system file cannot do without: $DATA on the disk, or $Volume's information. */
static bool has_vital_attr(const uint8_t *rec, uint32_t size, uint32_t recno)
{
	struct nb_attr_iter it;
	const uint8_t *a;
	uint32_t len;

	if (recno > NL_FILE_VOLUME)
		return true;
	nb_attr_iter_init(&it, rec, size);
	while ((a = nb_attr_next(&it, &len))) {
		uint32_t type = nl_le32(a);
		if (recno == NL_FILE_VOLUME && type == NL_AT_VOLUME_INFORMATION && !a[NL_ATTR_NON_RESIDENT] &&
		    nl_le32(a + NL_ATTR_VALUE_LENGTH) >= NL_VI_SIZE)
			return true;
		if (recno != NL_FILE_VOLUME && type == NL_AT_DATA && a[NL_ATTR_NON_RESIDENT] &&
		    !a[NL_ATTR_NAME_LENGTH] && len >= NL_ATTR_NONRES_HEADER)
			return true;
	}
	return false;
}

bool nb_system_record_sane(const uint8_t *rec, uint32_t size, uint32_t recno)
{
	uint8_t *copy;
	bool ok;

	if (!nb_record_sane(rec, size))
		return false;
	copy = xcalloc(1, size);
	memcpy(copy, rec, size);
	ok = nb_fixup(copy, size) == NB_FIXUP_OK && has_vital_attr(copy, size, recno);
	free(copy);
	return ok;
}

enum nb_mirr_state nb_mirr_record_cmp(const uint8_t *a, const uint8_t *b, uint32_t size,
				      uint32_t recno)
{
	bool as = nb_system_record_sane(a, size, recno), bs = nb_system_record_sane(b, size, recno);
	uint8_t *ca, *cb;
	uint32_t ua, ub;
	bool same;

	if (!as || !bs)
		return !as && !bs ? NB_MIRR_BOTH_BAD : !as ? NB_MIRR_MFT_BAD : NB_MIRR_MIRR_BAD;
	if (memcmp(a, b, size) == 0)
		return NB_MIRR_OK;
	/* the same record but for its fixup sequence numbers counts as equal */
	ca = xcalloc(1, size);
	cb = xcalloc(1, size);
	memcpy(ca, a, size);
	memcpy(cb, b, size);
	nb_fixup(ca, size);
	nb_fixup(cb, size);
	ua = nl_le32(ca + NL_MFT_BYTES_IN_USE);
	ub = nl_le32(cb + NL_MFT_BYTES_IN_USE);
	same = ua == ub && memcmp(ca, cb, ua) == 0;
	free(ca);
	free(cb);
	return same ? NB_MIRR_OK : NB_MIRR_DIFFER;
}

bool nb_record_sane(const uint8_t *rec, uint32_t size)
{
	uint8_t *copy;
	bool ok;

	if (nl_le32(rec) != NL_MAGIC_FILE)
		return false;
	copy = xcalloc(1, size);
	memcpy(copy, rec, size);
	ok = nb_fixup(copy, size) == NB_FIXUP_OK;
	if (ok) {
		uint32_t used = nl_le32(copy + NL_MFT_BYTES_IN_USE);
		uint16_t ao = nl_le16(copy + NL_MFT_ATTRS_OFFSET);
		ok = used <= size && used >= ao + 8u && ao >= NL_MFT_HEADER_30 &&
		     nl_le32(copy + NL_MFT_BYTES_ALLOCATED) == size;
	}
	free(copy);
	return ok;
}

void nb_mftmirr_compare(nb_read_fn rd, void *ctx, uint64_t size, const struct nb_geometry *g,
			nb_mirr_judge_fn judge, struct nb_mirr *m)
{
	uint32_t n = nb_mftmirr_records(g);
	size_t len = (size_t)n * g->record;
	uint64_t moff = g->mft_lcn * g->cluster, roff = g->mftmirr_lcn * g->cluster;
	uint8_t *mft, *mirr;

	memset(m, 0, sizeof(*m));
	m->nrecords = n;
	if (!g->cluster || !g->record || moff + len > size || roff + len > size) {
		m->state = NB_MIRR_OUTSIDE;
		return;
	}
	mft = xcalloc(1, len);
	mirr = xcalloc(1, len);
	if (!read_full(rd, ctx, mft, len, moff, &m->read_errno) ||
	    !read_full(rd, ctx, mirr, len, roff, &m->read_errno)) {
		m->state = NB_MIRR_UNREADABLE;
		goto out;
	}
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *a = mft + (size_t)i * g->record, *b = mirr + (size_t)i * g->record;
		enum nb_mirr_state st = judge ? judge(a, b, g->record, i, g->clusters)
					      : nb_mirr_record_cmp(a, b, g->record, i);
		if (st == NB_MIRR_OK)
			continue;
		m->record = i;
		m->state = st;
		break;
	}
out:
	free(mft);
	free(mirr);
}
