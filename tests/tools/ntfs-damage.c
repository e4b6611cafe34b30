/*
 * ntfs-damage - make one known kind of NTFS damage on a test volume (an
 * image file or a loop device), for tests/integration/check.sh. Records
 * are changed with their update sequence fixups redone, as a torn-free
 * write by a buggy driver would leave them; nothing else is touched.
 *
 *   ntfs-damage DEV link-count REC N      set a record's hard link count
 *   ntfs-damage DEV sequence REC N        set a record's sequence number
 *   ntfs-damage DEV in-use REC            mark a (deleted) record in use again,
 *                                         in its flags and in $MFT's bitmap
 *   ntfs-damage DEV bitmap-clear REC      clear the $Bitmap bit of the first
 *                                         cluster of the record's $DATA
 *   ntfs-damage DEV cross-link SRC DST    point DST's $DATA runs at SRC's clusters
 *   ntfs-damage DEV index-ref DIR NAME REC  make DIR's index entry NAME point at REC
 *   ntfs-damage DEV lcn REC               print the first cluster of the record's $DATA
 *   ntfs-damage DEV hold SECONDS          hold DEV open exclusively (O_EXCL), as a
 *                                         running fsck or mkfs does
 *
 * For a file whose attributes are spread over several records (an attribute
 * list), the pieces of its unnamed $DATA:
 *   ntfs-damage DEV pieces REC [index]    print "RECORD LOWEST-VCN HIGHEST-VCN" of each
 *                                         piece of base record REC's $DATA (REC 0:
 *                                         $MFT's own), or of its folder index
 *                                         ($INDEX_ALLOCATION $I30), as libntfs-3g
 *                                         finds them
 *   ntfs-damage DEV piece-lcn REC LCN     move the first run of the $DATA piece in
 *                                         record REC to cluster LCN (the other runs
 *                                         stay where they are)
 *   ntfs-damage DEV piece-shift REC N     shift the VCNs the $DATA piece in record REC
 *                                         says it maps by N clusters
 *   ntfs-damage DEV alloc-size REC DELTA  add DELTA bytes to the allocated size of the
 *                                         $DATA piece at VCN 0 in record REC
 *   ntfs-damage DEV index-alloc-size REC N  set the allocated size of folder REC's
 *                                         $INDEX_ALLOCATION $I30 (the piece at VCN 0) to N
 *                                         bytes: 8 bytes, as a crafted volume changes them
 *   ntfs-damage DEV mft-claim             make $MFT (its record 0, and the copy in $MFTMirr)
 *                                         claim every cluster from its start to the end of
 *                                         the volume: its first run and its sizes (on a
 *                                         large volume, billions of records)
 *   ntfs-damage DEV free REC              mark record REC not in use (its flags and
 *                                         $MFT's bitmap), as a half-done delete leaves it
 *   ntfs-damage DEV baad REC              overwrite record REC's FILE signature with
 *                                         BAAD, as Windows marks a torn record
 *
 * Records are found through $MFT's runlist as libntfs-3g maps it (so in a
 * $MFT of several pieces too); $Bitmap and a folder's index root must each
 * be in one piece, as mkntfs and ntfs-3g leave them on small volumes.
 */
#include <sys/stat.h>	/* before any ntfs-3g header */
#include "probes/ntfs_boot.h"
#include "probes/ntfs_check.h"
#include "probes/ntfs_layout.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ntfs-3g/types.h>
#include <ntfs-3g/layout.h>
#include <ntfs-3g/volume.h>
#include <ntfs-3g/inode.h>
#include <ntfs-3g/attrib.h>
#include <ntfs-3g/logging.h>

static int fd;
static struct nb_geometry g;
static struct nc_run *mft_runs;	/* $MFT's $DATA, as libntfs-3g maps it; NULL: contiguous */
static size_t nmft_runs;

static void die(const char *m)
{
	fprintf(stderr, "ntfs-damage: %s\n", m);
	exit(1);
}

static void rd(void *b, size_t n, uint64_t off)
{
	if (pread(fd, b, n, (off_t)off) != (ssize_t)n)
		die("read failed");
}

static void wr(const void *b, size_t n, uint64_t off)
{
	if (pwrite(fd, b, n, (off_t)off) != (ssize_t)n)
		die("write failed");
}

static uint64_t rec_off(uint64_t rec)
{
	uint64_t v = rec * g.record;

	for (size_t i = 0; i < nmft_runs; i++)
		if (v >= mft_runs[i].vcn * g.cluster && v < (mft_runs[i].vcn + mft_runs[i].len) * g.cluster)
			return mft_runs[i].lcn * g.cluster + v - mft_runs[i].vcn * g.cluster;
	if (nmft_runs)
		die("the record is not in $MFT");
	return g.mft_lcn * g.cluster + v;
}

/* $MFT's runlist (all its pieces) from libntfs-3g; the volume is unmounted again. */
static void map_mft(const char *dev)
{
	ntfs_volume *vol;
	runlist_element *rl;

	ntfs_log_set_levels(0);
	ntfs_log_clear_levels(~0u);
	if (!(vol = ntfs_mount(dev, NTFS_MNT_RDONLY)))
		return;		/* a volume libntfs-3g refuses: $MFT taken as contiguous */
	if (!ntfs_attr_map_whole_runlist(vol->mft_na))
		for (rl = vol->mft_na->rl; rl && rl->length; rl++) {
			if (rl->lcn < 0)
				continue;
			mft_runs = realloc(mft_runs, (nmft_runs + 1) * sizeof(*mft_runs));
			mft_runs[nmft_runs++] = (struct nc_run){ (uint64_t)rl->vcn, (uint64_t)rl->lcn,
								 (uint64_t)rl->length };
		}
	ntfs_umount(vol, FALSE);
}

/* Print the pieces of base record rec's unnamed $DATA (or $INDEX_ALLOCATION $I30), one a line. */
static int pieces(const char *dev, uint64_t rec, bool index)
{
	static ntfschar i30[] = { const_cpu_to_le16('$'), const_cpu_to_le16('I'),
				  const_cpu_to_le16('3'), const_cpu_to_le16('0'), 0 };
	ntfs_volume *vol;
	ntfs_inode *ni;
	ntfs_attr_search_ctx *ctx;

	ntfs_log_set_levels(0);
	ntfs_log_clear_levels(~0u);
	if (!(vol = ntfs_mount(dev, NTFS_MNT_RDONLY)) || !(ni = ntfs_inode_open(vol, rec)) ||
	    !(ctx = ntfs_attr_get_search_ctx(ni, NULL)))
		die("libntfs-3g cannot open the record");
	while (!ntfs_attr_lookup(index ? AT_INDEX_ALLOCATION : AT_DATA, index ? i30 : AT_UNNAMED,
				 index ? 4 : 0, CASE_SENSITIVE, 0, NULL, 0, ctx))
		if (ctx->attr->non_resident)
			printf("%" PRIu64 " %" PRId64 " %" PRId64 "\n", (uint64_t)ctx->ntfs_ino->mft_no,
			       (int64_t)sle64_to_cpu(ctx->attr->lowest_vcn),
			       (int64_t)sle64_to_cpu(ctx->attr->highest_vcn));
	ntfs_attr_put_search_ctx(ctx);
	ntfs_inode_close(ni);
	ntfs_umount(vol, FALSE);
	return 0;
}

static uint8_t *load(uint64_t rec)
{
	uint8_t *b = malloc(g.record);

	rd(b, g.record, rec_off(rec));
	if (nl_le32(b) != NL_MAGIC_FILE || nb_fixup(b, g.record) != NB_FIXUP_OK)
		die("not an intact MFT record");
	if (nl_le32(b + NL_MFT_RECORD_NUMBER) != (uint32_t)rec)
		die("$MFT is not contiguous here");
	return b;
}

/* Redo the fixups (a new update sequence number) and write the record back. */
static void store(uint64_t rec, uint8_t *b)
{
	uint16_t ofs = nl_le16(b + NL_REC_USA_OFS), cnt = nl_le16(b + NL_REC_USA_COUNT);
	uint16_t usn = (uint16_t)(nl_le16(b + ofs) + 1);

	if (!usn)
		usn = 1;
	nl_put16(b + ofs, usn);
	for (uint16_t i = 1; i < cnt; i++) {
		memcpy(b + ofs + 2 * i, b + i * NL_USA_STRIDE - 2, 2);
		nl_put16(b + i * NL_USA_STRIDE - 2, usn);
	}
	wr(b, g.record, rec_off(rec));
	free(b);
}

static uint8_t *attr(uint8_t *b, uint32_t type, const char *i30)
{
	for (uint32_t p = nl_le16(b + NL_MFT_ATTRS_OFFSET); p + 8 < g.record;) {
		uint32_t t = nl_le32(b + p), l = nl_le32(b + p + NL_ATTR_LENGTH);
		if (t == NL_AT_END || !l)
			break;
		if (t == type && (!i30 ? !b[p + NL_ATTR_NAME_LENGTH] : b[p + NL_ATTR_NAME_LENGTH] == 4))
			return b + p;
		p += l;
	}
	die("attribute not found");
	return NULL;
}

/* The first run of a non-resident attribute: its LCN. */
static uint64_t first_lcn(const uint8_t *a)
{
	struct nc_run *r;
	size_t n;
	uint16_t mp = nl_le16(a + NL_ATTR_MAPPING_PAIRS);

	if (!a[NL_ATTR_NON_RESIDENT])
		die("the attribute is resident");
	if (nc_decode_runs(a + mp, nl_le32(a + NL_ATTR_LENGTH) - mp, 0, 0, &r, &n) || !n)
		die("bad runlist");
	uint64_t l = r[0].lcn;
	free(r);
	return l;
}

static void mark_bit(uint64_t rec, uint32_t type, uint64_t bitno, int on)
{
	uint8_t *b = load(rec), *a = attr(b, type, NULL), byte;
	uint64_t off;

	if (a[NL_ATTR_NON_RESIDENT]) {
		off = first_lcn(a) * g.cluster + bitno / 8;
	} else {
		off = rec_off(rec) + (uint64_t)(a - b) + nl_le16(a + NL_ATTR_VALUE_OFFSET) + bitno / 8;
		if (off / NL_USA_STRIDE != (off + 1) / NL_USA_STRIDE || (off + 2) % NL_USA_STRIDE == 0)
			die("the bit is under a fixup");
	}
	free(b);
	rd(&byte, 1, off);
	byte = on ? (uint8_t)(byte | 1u << (bitno % 8)) : (uint8_t)(byte & ~(1u << (bitno % 8)));
	wr(&byte, 1, off);
}

/* Bytes of v as a signed little-endian number, fewest first (as NTFS packs runs). */
static unsigned sbytes(int64_t v)
{
	unsigned n = 1;

	while (n < 8 && !(v >= -(1LL << (8 * n - 1)) && v < (1LL << (8 * n - 1))))
		n++;
	return n;
}

/* Pack runs as mapping pairs into p (room bytes, zero-filled); false when they do not fit. */
static bool pack_runs(const struct nc_run *r, size_t n, uint8_t *p, size_t room)
{
	size_t pos = 0;
	int64_t prev = 0;

	memset(p, 0, room);
	for (size_t i = 0; i < n; i++) {
		unsigned lb = sbytes((int64_t)r[i].len), ob = 0;
		int64_t delta = 0;
		if (r[i].lcn != NC_SPARSE) {
			delta = (int64_t)r[i].lcn - prev;
			ob = sbytes(delta);
			prev = (int64_t)r[i].lcn;
		}
		if (pos + 1 + lb + ob + 1 > room)
			return false;
		p[pos++] = (uint8_t)(lb | ob << 4);
		for (unsigned k = 0; k < lb; k++)
			p[pos++] = (uint8_t)(r[i].len >> (8 * k));
		for (unsigned k = 0; k < ob; k++)
			p[pos++] = (uint8_t)((uint64_t)delta >> (8 * k));
	}
	return true;	/* the 0 that ends them is there: p was zeroed */
}

/* Move the first run of record rec's (first, unnamed, non-resident) $DATA to cluster lcn. */
static void piece_lcn(uint64_t rec, uint64_t lcn)
{
	uint8_t *b = load(rec), *a = attr(b, NL_AT_DATA, NULL);
	uint16_t mp = nl_le16(a + NL_ATTR_MAPPING_PAIRS);
	uint32_t room = nl_le32(a + NL_ATTR_LENGTH) - mp;
	struct nc_run *r;
	size_t n;

	if (!a[NL_ATTR_NON_RESIDENT] ||
	    nc_decode_runs(a + mp, room, nl_le64(a + NL_ATTR_LOWEST_VCN), 0, &r, &n) || !n)
		die("no runs to move");
	r[0].lcn = lcn;
	if (!pack_runs(r, n, a + mp, room))
		die("the moved runs do not fit in the attribute");
	free(r);
	store(rec, b);
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* $MFT's $DATA (record 0 and $MFTMirr's copy): one run from its first cluster to the volume's end. */
static void mft_claim(void)
{
	uint8_t *b = load(0), *a = attr(b, NL_AT_DATA, NULL);
	uint16_t mp = nl_le16(a + NL_ATTR_MAPPING_PAIRS);
	uint32_t room = nl_le32(a + NL_ATTR_LENGTH) - mp;
	struct nc_run *r;
	size_t n;

	if (!a[NL_ATTR_NON_RESIDENT] || nc_decode_runs(a + mp, room, 0, 0, &r, &n) || !n)
		die("$MFT has no runs");
	r[0].len = g.clusters - r[0].lcn;
	if (!pack_runs(r, 1, a + mp, room))
		die("the run does not fit in the attribute");
	put64(a + NL_ATTR_HIGHEST_VCN, r[0].len - 1);
	put64(a + NL_ATTR_ALLOCATED_SIZE, r[0].len * g.cluster);
	put64(a + NL_ATTR_DATA_SIZE, r[0].len * g.cluster);
	put64(a + NL_ATTR_INITIALIZED_SIZE, r[0].len * g.cluster);
	free(r);
	store(0, b);	/* frees b */
	uint64_t at = g.mftmirr_lcn * g.cluster;
	uint8_t *m = malloc(g.record);
	rd(m, g.record, rec_off(0));
	wr(m, g.record, at);	/* the same bytes, fixups and all */
	free(m);
}

static int index_ref(uint64_t dir, const char *name, uint64_t target)
{
	uint8_t *b = load(dir), *a = attr(b, NL_AT_INDEX_ROOT, "$I30");
	uint8_t *v = a + nl_le16(a + NL_ATTR_VALUE_OFFSET), *ih = v + NL_IR_HEADER;
	size_t nl = strlen(name);

	for (uint32_t p = nl_le32(ih + NL_IH_ENTRIES_OFFSET); p < nl_le32(ih + NL_IH_INDEX_LENGTH);) {
		uint8_t *e = ih + p;
		if (nl_le16(e + NL_IE_FLAGS) & NL_IE_END)
			break;
		uint8_t *k = e + NL_IE_KEY;
		if (k[NL_FN_NAME_LENGTH] == nl) {
			size_t i;
			for (i = 0; i < nl && nl_le16(k + NL_FN_NAME + 2 * i) == (uint8_t)name[i]; i++)
				;
			if (i == nl) {
				uint64_t seq = nl_le64(e + NL_IE_MREF) >> 48;
				uint64_t m = target | seq << 48;
				for (int j = 0; j < 8; j++)
					e[NL_IE_MREF + j] = (uint8_t)(m >> (8 * j));
				store(dir, b);
				return 0;
			}
		}
		p += nl_le16(e + NL_IE_LENGTH);
	}
	die("no such entry in the folder's index root");
	return 1;
}

int main(int argc, char **argv)
{
	uint8_t bs[512];

	if (argc == 4 && !strcmp(argv[2], "hold")) {
		if (open(argv[1], O_RDONLY | O_EXCL) < 0)
			die("cannot open the device exclusively");
		sleep((unsigned)atoi(argv[3]));
		return 0;
	}
	if (argc < 4 && !(argc == 3 && !strcmp(argv[2], "mft-claim")))
		die("usage: ntfs-damage DEV link-count|sequence|in-use|bitmap-clear|cross-link|index-ref|lcn|"
		    "pieces|piece-lcn|piece-shift|alloc-size|index-alloc-size|mft-claim|free|baad ...");
	if (!strcmp(argv[2], "pieces"))
		return pieces(argv[1], strtoull(argv[3], NULL, 0), argc > 4 && !strcmp(argv[4], "index"));
	map_mft(argv[1]);
	fd = open(argv[1], strcmp(argv[2], "lcn") ? O_RDWR : O_RDONLY);
	if (fd < 0)
		die("cannot open the device");
	rd(bs, 512, 0);
	if (nb_parse(bs, &g))
		die("not a valid NTFS boot sector");
	uint64_t rec = argc > 3 ? strtoull(argv[3], NULL, 0) : 0;
	const char *op = argv[2];
	if (!strcmp(op, "link-count") || !strcmp(op, "sequence")) {
		if (argc < 5)
			die("which value?");
		uint8_t *b = load(rec);
		nl_put16(b + (!strcmp(op, "link-count") ? NL_MFT_LINK_COUNT : NL_MFT_SEQUENCE),
			 (uint16_t)strtoul(argv[4], NULL, 0));
		store(rec, b);
	} else if (!strcmp(op, "in-use")) {
		uint8_t *b = load(rec);
		nl_put16(b + NL_MFT_FLAGS, nl_le16(b + NL_MFT_FLAGS) | NL_MFT_IN_USE);
		store(rec, b);
		mark_bit(NL_FILE_MFT, NL_AT_BITMAP, rec, 1);
	} else if (!strcmp(op, "bitmap-clear")) {
		uint8_t *b = load(rec);
		uint64_t lcn = first_lcn(attr(b, NL_AT_DATA, NULL));
		free(b);
		mark_bit(NL_FILE_BITMAP, NL_AT_DATA, lcn, 0);
	} else if (!strcmp(op, "lcn")) {
		uint8_t *b = load(rec);
		printf("%llu\n", (unsigned long long)first_lcn(attr(b, NL_AT_DATA, NULL)));
		free(b);
	} else if (!strcmp(op, "cross-link")) {
		if (argc < 5)
			die("which destination record?");
		uint64_t dst = strtoull(argv[4], NULL, 0);
		uint8_t *s = load(rec), *d = load(dst);
		uint8_t *sa = attr(s, NL_AT_DATA, NULL), *da = attr(d, NL_AT_DATA, NULL);
		uint16_t smp = nl_le16(sa + NL_ATTR_MAPPING_PAIRS), dmp = nl_le16(da + NL_ATTR_MAPPING_PAIRS);
		uint32_t slen = nl_le32(sa + NL_ATTR_LENGTH) - smp, dlen = nl_le32(da + NL_ATTR_LENGTH) - dmp;
		if (!sa[NL_ATTR_NON_RESIDENT] || !da[NL_ATTR_NON_RESIDENT] || slen > dlen ||
		    memcmp(sa + NL_ATTR_LOWEST_VCN, da + NL_ATTR_LOWEST_VCN, 0x40 - 0x10) != 0)
			die("the two $DATA attributes are not alike");
		memset(da + dmp, 0, dlen);
		memcpy(da + dmp, sa + smp, slen);
		free(s);
		store(dst, d);
	} else if (!strcmp(op, "piece-lcn") || !strcmp(op, "piece-shift") ||
		   !strcmp(op, "alloc-size")) {
		if (argc < 5)
			die("which value?");
		if (!strcmp(op, "piece-lcn")) {
			piece_lcn(rec, strtoull(argv[4], NULL, 0));
		} else {
			uint8_t *b = load(rec), *a = attr(b, NL_AT_DATA, NULL);
			int64_t v = strtoll(argv[4], NULL, 0);
			if (!a[NL_ATTR_NON_RESIDENT])
				die("the $DATA is resident");
			if (!strcmp(op, "piece-shift")) {
				put64(a + NL_ATTR_LOWEST_VCN, nl_le64(a + NL_ATTR_LOWEST_VCN) + (uint64_t)v);
				put64(a + NL_ATTR_HIGHEST_VCN, nl_le64(a + NL_ATTR_HIGHEST_VCN) + (uint64_t)v);
			} else {
				put64(a + NL_ATTR_ALLOCATED_SIZE, nl_le64(a + NL_ATTR_ALLOCATED_SIZE) + (uint64_t)v);
			}
			store(rec, b);
		}
	} else if (!strcmp(op, "index-alloc-size")) {
		if (argc < 5)
			die("which size?");
		uint8_t *b = load(rec), *a = attr(b, NL_AT_INDEX_ALLOCATION, "$I30");
		if (!a[NL_ATTR_NON_RESIDENT] || nl_le64(a + NL_ATTR_LOWEST_VCN))
			die("not the first piece of a folder's index allocation");
		put64(a + NL_ATTR_ALLOCATED_SIZE, strtoull(argv[4], NULL, 0));
		store(rec, b);
	} else if (!strcmp(op, "mft-claim")) {
		mft_claim();
	} else if (!strcmp(op, "free")) {
		uint8_t *b = load(rec);
		nl_put16(b + NL_MFT_FLAGS, nl_le16(b + NL_MFT_FLAGS) & ~NL_MFT_IN_USE);
		store(rec, b);
		mark_bit(NL_FILE_MFT, NL_AT_BITMAP, rec, 0);
	} else if (!strcmp(op, "baad")) {
		uint8_t *b = load(rec);
		memcpy(b, "BAAD", 4);
		wr(b, 4, rec_off(rec));	/* the signature alone: fixups stay as they were */
		free(b);
	} else if (!strcmp(op, "index-ref")) {
		if (argc < 6)
			die("usage: index-ref DIR NAME REC");
		return index_ref(rec, argv[4], strtoull(argv[5], NULL, 0));
	} else {
		die("unknown damage");
	}
	fsync(fd);
	close(fd);
	return 0;
}
