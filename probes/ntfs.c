/*
 * ntfs.c - the state of an NTFS volume, read without mounting it and
 * without writing a byte.
 *
 * libntfs-3g opens the volume through ro_ops below: every read is a pread()
 * on the caller's O_RDONLY descriptor shifted by the partition offset, and
 * every write fails with EROFS, so no code path in the library can change
 * the disk. When ntfs_device_mount() refuses a damaged volume we fall back
 * to ntfs_volume_startup() (boot sector and $MFT only) so that the volume
 * still reports what can be read. The boot sectors and $MFTMirr are
 * compared from raw sectors, which works even when the library gives up.
 *
 * libntfs-3g's own messages go to lib/ntfslog.c, which keeps the last
 * error as detail for the object instead of printing it.
 */
#include <sys/stat.h>	/* before any ntfs-3g header: ntfstime.h needs it */

#include "probes/probes.h"
#include "probes/ntfs_boot.h"
#include "probes/ntfs_check.h"
#include "probes/ntfs_layout.h"
#include "lib/ntfslog.h"
#include "lib/util.h"

#include <dlfcn.h>
#include <errno.h>
#include <iconv.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/mman.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <ntfs-3g/types.h>
#include <ntfs-3g/attrib.h>
#include <ntfs-3g/bootsect.h>
#include <ntfs-3g/device.h>
#include <ntfs-3g/dir.h>
#include <ntfs-3g/inode.h>
#include <ntfs-3g/layout.h>
#include <ntfs-3g/logfile.h>
#include <ntfs-3g/logging.h>
#include <ntfs-3g/mst.h>
#include <ntfs-3g/unistr.h>
#include <ntfs-3g/volume.h>

struct ro_dev {
	struct readcache *rc;		/* reads of the disk's descriptor */
	uint64_t off, size;
	unsigned sector_size;
	s64 pos;
	struct prefetch_plan *pl;	/* ntfs_prefetch_meta() only */
};

static int ro_open(struct ntfs_device *dev, int flags)
{
	if ((flags & O_ACCMODE) != O_RDONLY) {
		errno = EROFS;
		return -1;
	}
	((struct ro_dev *)dev->d_private)->pos = 0;
	NDevSetOpen(dev);
	NDevSetBlock(dev);
	NDevSetReadOnly(dev);
	return 0;
}

static int ro_close(struct ntfs_device *dev)
{
	NDevClearOpen(dev);
	return 0;
}

static s64 ro_seek(struct ntfs_device *dev, s64 offset, int whence)
{
	struct ro_dev *rd = dev->d_private;
	s64 pos;

	switch (whence) {
	case SEEK_SET: pos = offset; break;
	case SEEK_CUR: pos = rd->pos + offset; break;
	case SEEK_END: pos = (s64)rd->size + offset; break;
	default: errno = EINVAL; return -1;
	}
	if (pos < 0) {
		errno = EINVAL;
		return -1;
	}
	rd->pos = pos;
	return pos;
}

static s64 ro_pread(struct ntfs_device *dev, void *buf, s64 count, s64 offset)
{
	struct ro_dev *rd = dev->d_private;

	if (offset < 0 || count < 0) {
		errno = EINVAL;
		return -1;
	}
	if ((uint64_t)offset >= rd->size)
		return 0;
	if ((uint64_t)(offset + count) > rd->size)
		count = (s64)(rd->size - (uint64_t)offset);
	return readcache_pread(rd->rc, buf, (size_t)count, rd->off + (uint64_t)offset);
}

static s64 ro_read(struct ntfs_device *dev, void *buf, s64 count)
{
	struct ro_dev *rd = dev->d_private;
	s64 r = ro_pread(dev, buf, count, rd->pos);

	if (r > 0)
		rd->pos += r;
	return r;
}

static s64 ro_write(struct ntfs_device *dev, const void *buf, s64 count)
{
	(void)dev; (void)buf; (void)count;
	errno = EROFS;
	return -1;
}

static s64 ro_pwrite(struct ntfs_device *dev, const void *buf, s64 count, s64 offset)
{
	(void)dev; (void)buf; (void)count; (void)offset;
	errno = EROFS;
	return -1;
}

static int ro_sync(struct ntfs_device *dev)
{
	(void)dev;
	return 0;
}

static int ro_stat(struct ntfs_device *dev, struct stat *st)
{
	struct ro_dev *rd = dev->d_private;

	memset(st, 0, sizeof(*st));
	st->st_mode = S_IFBLK | 0400;
	st->st_size = (off_t)rd->size;
	st->st_blksize = 4096;
	return 0;
}

static int ro_ioctl(struct ntfs_device *dev, unsigned long request, void *argp)
{
	struct ro_dev *rd = dev->d_private;

	switch (request) {
	case BLKGETSIZE64:
		*(uint64_t *)argp = rd->size;
		return 0;
	case BLKGETSIZE:
		*(unsigned long *)argp = (unsigned long)(rd->size / 512);
		return 0;
	case BLKSSZGET:
		*(int *)argp = (int)rd->sector_size;
		return 0;
	case BLKBSZSET:
		return 0; /* block size only matters for the kernel's buffer cache */
	default:
		errno = ENOTTY;
		return -1;
	}
}

static struct ntfs_device_operations ro_ops = {
	.open = ro_open, .close = ro_close, .seek = ro_seek, .read = ro_read,
	.write = ro_write, .pread = ro_pread, .pwrite = ro_pwrite, .sync = ro_sync,
	.stat = ro_stat, .ioctl = ro_ioctl,
};

/* ---- the default upcase table, built once ---- */

/*
 * Every ntfs_volume_startup() builds libntfs-3g's default 128 KiB upcase
 * table with ntfs_upcase_table_build(): twice per volume here (the
 * read-ahead stage and ntfs_device_mount()), where mounting then reads the
 * volume's own $UpCase over it: about 7% of a scan's CPU time. The
 * table depends on its length only, so this definition, which the
 * library's calls reach through the dynamic linker (an executable's
 * symbols come first), has the library's own function build it once per
 * process and copies it after. Were the library ever to call it directly,
 * this is simply not used.
 */
void ntfs_upcase_table_build(ntfschar *uc, u32 uc_len)
{
	static void (*lib_build)(ntfschar *, u32);
	static ntfschar *table;
	static u32 table_len;

	if (!lib_build) {
		*(void **)&lib_build = dlsym(RTLD_NEXT, "ntfs_upcase_table_build");
		if (!lib_build)
			abort();	/* linked against libntfs-3g: cannot happen */
	}
	if (!table || uc_len != table_len) {
		free(table);
		table = malloc(uc_len);
		table_len = table ? uc_len : 0;
		if (!table) {
			lib_build(uc, uc_len);
			return;
		}
		lib_build(table, uc_len);
	}
	memcpy(uc, table, uc_len);
}

/* ---- raw boot sector and $MFTMirr checks (ntfs_boot.c; no library state) ---- */

struct geometry {
	uint32_t sector, cluster, record;
	uint64_t sectors;	/* number_of_sectors in the boot sector */
	int64_t mft_lcn, mftmirr_lcn;
	uint64_t serial;
};

static bool read_exact(struct readcache *rc, void *buf, size_t len, uint64_t off)
{
	ssize_t r;

	errno = 0;
	r = readcache_pread(rc, buf, len, off);
	if (r >= 0 && (size_t)r < len && errno == 0)
		errno = EIO;	/* the end of the device, or an error after a part */
	return r >= 0 && (size_t)r == len;
}

/* nb_read_fn over the read cache, from the volume's first byte */
struct vol_reader {
	struct readcache *rc;
	uint64_t off;
};

static ssize_t vol_read(void *ctx, void *buf, size_t len, uint64_t off)
{
	struct vol_reader *r = ctx;

	return read_exact(r->rc, buf, len, r->off + off) ? (ssize_t)len : -1;
}

static bool boot_geometry(NTFS_BOOT_SECTOR *bs, struct geometry *g)
{
	struct nb_geometry ng;

	if (nb_parse((const uint8_t *)bs, &ng))
		return false;
	g->sector = ng.sector;
	g->cluster = ng.cluster;
	g->record = ng.record;
	g->sectors = ng.sectors;
	g->mft_lcn = (int64_t)ng.mft_lcn;
	g->mftmirr_lcn = (int64_t)ng.mftmirr_lcn;
	g->serial = ng.serial;
	return true;
}

bool ntfs_looks_like(int fd, uint64_t off, uint64_t size)
{
	struct readcache rc;
	struct vol_reader r = { &rc, off };
	struct nb_verdict v;

	readcache_init(&rc, fd, NULL);
	nb_examine(vol_read, &r, size, &v);
	readcache_free(&rc);
	return v.chosen != 0;
}

/* The words for one copy's first problem (the caller frees). */
static char *copy_problem(unsigned problems, const uint8_t *bs)
{
	for (unsigned b = 0; b < NB_NPROBLEMS; b++)
		if (problems & (1u << b))
			return nb_problem_words(1u << b, bs);
	return xstrdup("it is not a valid NTFS boot sector");
}

static void check_boot_sectors(struct readcache *rc, uint64_t off, uint64_t size,
			       struct ntfs_state *st, struct nb_verdict *v)
{
	struct vol_reader r = { rc, off };
	char *why;

	nb_examine(vol_read, &r, size, v);
	if (v->read_errno) {
		st->bootsector_ok = TRI_UNKNOWN;
		st->bootcopies = NTFS_BOOT_UNREADABLE;
		st->bootsector_detail = xasprintf("cannot read the boot sector: %s", strerror(v->read_errno));
		return;
	}
	if (v->chosen) {
		st->truncated = v->truncated;
		st->claimed_bytes = v->claimed_bytes;
	}
	/* for the BIOS boot chain (diagnose): each copy's hidden sectors */
	st->bs_primary_valid = !v->primary_problems;
	st->bs_backup_valid = v->backup_found && !v->backup_problems;
	st->bs_backup_off = v->backup_off;
	if (st->bs_primary_valid)
		st->hidden_sectors = nl_le32(v->primary + NL_BS_HIDDEN_SECTORS);
	if (st->bs_backup_valid)
		st->hidden_sectors_backup = nl_le32(v->backup + NL_BS_HIDDEN_SECTORS);
	if (st->bs_primary_valid && st->bs_backup_valid && v->differ) {
		uint8_t a[512];
		memcpy(a, v->backup, 512);
		memcpy(a + NL_BS_HIDDEN_SECTORS, v->primary + NL_BS_HIDDEN_SECTORS, 4);
		st->bs_differ_more = !nb_same_fields(v->primary, a);
		/* which copy names where the volume starts: the one fix keeps */
		if (v->geom.sector)
			st->bs_hidden_side = nb_hidden_side(v->primary, v->backup, off / v->geom.sector);
	}
	if (!v->primary_problems && !v->backup_problems) {
		st->bootsector_ok = v->differ ? TRI_NO : TRI_YES;
		st->bootcopies = v->differ ? NTFS_BOOT_DIFFER : NTFS_BOOT_OK;
		if (v->differ)
			st->bootsector_detail = xstrdup("the backup boot sector differs from the primary");
	} else if (!v->primary_problems && !v->backup_found) {
		st->bootsector_ok = TRI_UNKNOWN;
		st->bootcopies = NTFS_BOOT_BACKUP_UNREADABLE;
		st->bootsector_detail = xasprintf("cannot read the backup boot sector: %s",
						  strerror(v->backup_errno ? v->backup_errno : EIO));
	} else if (!v->primary_problems) {
		st->bootsector_ok = TRI_NO;
		st->bootcopies = NTFS_BOOT_BACKUP_BAD;
		unsigned d = nb_differing(v->primary, v->backup);
		why = copy_problem(d ? d : v->backup_problems, v->backup);
		st->bootsector_detail = xasprintf("the backup boot sector is damaged (%s); the primary "
						  "is intact", why);
		free(why);
	} else if (!v->backup_problems) {
		st->bootsector_ok = TRI_NO;
		st->bootcopies = NTFS_BOOT_PRIMARY_BAD;
		/* a field that differs from the intact copy names the damage best */
		unsigned d = nb_differing(v->primary, v->backup);
		why = copy_problem(d ? d : v->primary_problems, v->primary);
		st->bootsector_detail = xasprintf("the primary boot sector is damaged (%s); the backup "
						  "boot sector is intact", why);
		free(why);
	} else {
		st->bootsector_ok = TRI_NO;
		st->bootcopies = NTFS_BOOT_BOTH_BAD;
		st->bootsector_detail = xstrdup("neither the primary nor the backup boot sector "
						"is a valid NTFS boot sector");
	}
}

/* Compare the records $MFTMirr mirrors, the way Windows and ntfs-3g do. */
static void check_mftmirr(struct readcache *rc, uint64_t off, uint64_t size,
			  const struct nb_geometry *g, struct ntfs_state *st)
{
	struct vol_reader r = { rc, off };
	struct nb_mirr m;

	nb_mftmirr_compare(vol_read, &r, size, g, nc_mirr_judge, &m);
	st->mftmirr_ok = TRI_NO;
	static const enum ntfs_mirr as[] = {
		[NB_MIRR_OK] = NTFS_MIRR_OK, [NB_MIRR_UNREADABLE] = NTFS_MIRR_UNREADABLE,
		[NB_MIRR_OUTSIDE] = NTFS_MIRR_OUTSIDE, [NB_MIRR_MFT_BAD] = NTFS_MIRR_MFT_BAD,
		[NB_MIRR_MIRR_BAD] = NTFS_MIRR_MIRR_BAD, [NB_MIRR_BOTH_BAD] = NTFS_MIRR_BOTH_BAD,
		[NB_MIRR_DIFFER] = NTFS_MIRR_DIFFER,
	};
	st->mftmirr = (unsigned)m.state < sizeof(as) / sizeof(as[0]) ? as[m.state] : NTFS_MIRR_UNKNOWN;
	switch (m.state) {
	case NB_MIRR_OK:
		st->mftmirr_ok = TRI_YES;
		break;
	case NB_MIRR_UNREADABLE:
		st->mftmirr_ok = TRI_UNKNOWN;
		st->mftmirr_detail = xasprintf("cannot read $MFT or $MFTMirr: %s", strerror(m.read_errno));
		break;
	case NB_MIRR_OUTSIDE:
		st->mftmirr_detail = xstrdup("the boot sector places $MFT or $MFTMirr outside the volume");
		break;
	case NB_MIRR_MFT_BAD:
		st->mftmirr_detail = xasprintf("$MFT record %u is not a valid MFT record; its copy in "
					       "$MFTMirr is intact", m.record);
		break;
	case NB_MIRR_MIRR_BAD:
		st->mftmirr_detail = xasprintf("$MFTMirr record %u is not a valid MFT record; $MFT's "
					       "is intact", m.record);
		break;
	case NB_MIRR_BOTH_BAD:
		st->mftmirr_detail = xasprintf("record %u is damaged in both $MFT and $MFTMirr", m.record);
		break;
	case NB_MIRR_DIFFER:
		st->mftmirr_detail = xasprintf("$MFTMirr record %u differs from the same record in $MFT",
					       m.record);
		break;
	}
}

/* ---- read-ahead hints for the next stage (see prefetch.c) ---- */

void ntfs_prefetch_boot(int fd, uint64_t off, uint64_t size, struct prefetch_plan *pl)
{
	struct readcache rc;
	NTFS_BOOT_SECTOR bs;
	struct geometry g;
	uint64_t end = off + size, mft, mirr;

	readcache_init(&rc, fd, NULL);
	if (!read_exact(&rc, &bs, sizeof(bs), off) || !boot_geometry(&bs, &g))
		return;
	/* mounting reads the system files' records ($MFT .. $Extend and a few
	 * more), then $MFTMirr; the backup boot sector closes the volume */
	mft = off + (uint64_t)g.mft_lcn * g.cluster;
	mirr = off + (uint64_t)g.mftmirr_lcn * g.cluster;
	prefetch_add(pl, end, mft, 24 * (uint64_t)g.record > g.cluster ? 24 * (uint64_t)g.record : g.cluster);
	prefetch_add(pl, end, mirr, 4 * (uint64_t)g.record > g.cluster ? 4 * (uint64_t)g.record : g.cluster);
	prefetch_add(pl, end, off + g.sectors * g.sector, g.sector);
}

/* Announce [pos, pos+len) of a non-resident attribute's data. */
static void prefetch_attr(const struct ro_dev *rd, ntfs_attr *na, s64 pos, s64 len)
{
	u8 bits = na->ni->vol->cluster_size_bits;

	if (!NAttrNonResident(na) || pos >= na->initialized_size || ntfs_attr_map_whole_runlist(na))
		return;
	if (len > na->initialized_size - pos)
		len = na->initialized_size - pos;
	for (runlist_element *rl = na->rl; rl && rl->length; rl++) {
		s64 vs = rl->vcn << bits, ve = (rl->vcn + rl->length) << bits;
		s64 a = vs > pos ? vs : pos, b = ve < pos + len ? ve : pos + len;

		if (rl->lcn < 0 || a >= b)
			continue;
		prefetch_add(rd->pl, rd->off + rd->size, rd->off + (uint64_t)((rl->lcn << bits) + (a - vs)),
			 (uint64_t)(b - a));
	}
}

static void prefetch_file(const struct ro_dev *rd, ntfs_volume *vol, u64 inum, ATTR_TYPES type,
			  ntfschar *name, u32 name_len, s64 max)
{
	ntfs_inode *ni = ntfs_inode_open(vol, inum);
	ntfs_attr *na = ni ? ntfs_attr_open(ni, type, name, name_len) : NULL;

	if (na) {
		prefetch_attr(rd, na, 0, max);
		/* ntfs_check_logfile() looks for restart pages at every power
		 * of two; an empty $LogFile is read at all of them */
		for (s64 pos = 8192; inum == FILE_LogFile && pos < na->data_size; pos <<= 1)
			prefetch_attr(rd, na, pos, 4096);
		ntfs_attr_close(na);
	}
	if (ni)
		ntfs_inode_close(ni);
}

void ntfs_prefetch_meta(int fd, uint64_t off, uint64_t size, unsigned sector_size,
			const struct prefetch_plan *hints, struct prefetch_plan *pl)
{
	struct readcache rc;
	struct ro_dev rd = { .rc = &rc, .off = off, .size = size, .sector_size = sector_size,
			     .pl = pl };
	struct ntfs_device *dev = ntfs_device_alloc("prefetch", 0, &ro_ops, &rd);
	ntfs_volume *vol;

	if (!dev)
		return;
	readcache_init(&rc, fd, hints);
	ntfslog_reset();
	vol = ntfs_volume_startup(dev, NTFS_MNT_RDONLY);
	if (!vol) {
		ntfs_device_free(dev);
		readcache_free(&rc);
		return;
	}
	/* what ntfs_device_mount(), the free space count and the $LogFile
	 * check read next; directory lookups below the root stay on demand */
	if (vol->mftbmp_na)
		prefetch_attr(&rd, vol->mftbmp_na, 0, 1 << 20);
	prefetch_file(&rd, vol, FILE_UpCase, AT_DATA, AT_UNNAMED, 0, 1 << 20);
	prefetch_file(&rd, vol, FILE_AttrDef, AT_DATA, AT_UNNAMED, 0, 1 << 20);
	prefetch_file(&rd, vol, FILE_Bitmap, AT_DATA, AT_UNNAMED, 0, 64 << 20);
	prefetch_file(&rd, vol, FILE_LogFile, AT_DATA, AT_UNNAMED, 0, 8192);
	prefetch_file(&rd, vol, FILE_root, AT_INDEX_ALLOCATION, NTFS_INDEX_I30, 4, 64 << 10);
	ntfs_umount(vol, FALSE);	/* frees dev too */
	readcache_free(&rc);
}

/* ---- through libntfs-3g ---- */

struct ci_match {
	const char *want;
	u64 mref;
};

static int ci_filldir(void *data, const ntfschar *name, const int len, const int type,
		      const s64 pos, const MFT_REF mref, const unsigned dt_type)
{
	struct ci_match *m = data;
	char *mbs = NULL;

	(void)pos; (void)dt_type;
	if (m->mref || type == FILE_NAME_DOS)
		return 0;
	if (ntfs_ucstombs(name, len, &mbs, 0) > 0 && strcasecmp(mbs, m->want) == 0)
		m->mref = MREF(mref);
	free(mbs);
	return 0;
}

/*
 * Open path below the root directory, ignoring case in every component as
 * Windows does. Names written by Windows (Win32 namespace) are found by the
 * index lookup; names in the POSIX namespace (as ntfs-3g writes them) need
 * the directory to be read. NULL with errno ENOENT when it is not there;
 * with another errno when something on the way could not be read, and
 * then *unread (when given) names what, Windows-style ("\Windows\System32").
 */
static ntfs_inode *open_path_ci_at(ntfs_volume *vol, const char *path, char **unread)
{
	ntfs_inode *dir = ntfs_inode_open(vol, FILE_root);
	char *copy = xstrdup(path), *save = NULL, *done = xstrdup("");
	int err = dir ? 0 : (errno ? errno : EIO);

	bool found_err = !dir;	/* an I/O or corruption error, not "no such file" */

	for (char *comp = strtok_r(copy, "/", &save); comp && dir; comp = strtok_r(NULL, "/", &save)) {
		u64 inum = ntfs_inode_lookup_by_mbsname(dir, comp);
		char *next;

		if (inum == (u64)-1 && errno != ENOENT) {
			found_err = true;
			err = errno;
		}
		if (inum == (u64)-1) {
			struct ci_match m = { .want = comp, .mref = 0 };
			s64 pos = 0;
			if (ntfs_readdir(dir, &pos, &m, ci_filldir) == 0) {
				/* the whole directory was read: found, or surely absent */
				found_err = false;
				if (m.mref)
					inum = m.mref;
			} else {
				found_err = true;
				err = errno ? errno : EIO;
			}
		}
		ntfs_inode_close(dir);
		if (found_err)
			break;	/* the folder `done` could not be read */
		next = xasprintf("%s\\%s", done, comp);
		free(done);
		done = next;
		dir = inum == (u64)-1 ? NULL : ntfs_inode_open(vol, MREF(inum));
		if (inum != (u64)-1 && !dir) {
			found_err = true;	/* its own record could not be read */
			err = errno ? errno : EIO;
		}
	}
	free(copy);
	if (found_err && unread)
		*unread = xasprintf("%s cannot be read (%s)", *done ? done : "the root folder",
				    strerror(err ? err : EIO));
	free(done);
	if (!dir)
		errno = found_err ? (err ? err : EIO) : ENOENT;
	return dir;
}

static ntfs_inode *open_path_ci(ntfs_volume *vol, const char *path)
{
	return open_path_ci_at(vol, path, NULL);
}

/* Something that should have been readable on the volume was not: kept once, in words. */
static void note_unread(struct ntfs_state *st, char *what)
{
	if (what && !strv_contains(st->read_errors, st->nread_errors, what))
		strv_add(&st->read_errors, &st->nread_errors, what);
	free(what);
}

/* Whether path is there; a lookup that failed otherwise than "not there" is noted. */
static bool path_exists(ntfs_volume *vol, const char *path, struct ntfs_state *st)
{
	char *unread = NULL;
	ntfs_inode *ni = open_path_ci_at(vol, path, &unread);

	note_unread(st, unread);
	if (!ni)
		return false;
	ntfs_inode_close(ni);
	return true;
}

#define HIVE_MAX (128u << 20)	/* real SYSTEM hives are tens of MiB */

uint64_t probe_hive_cap(void)
{
	uint64_t cap = probe_worker_mem_mb() ? ((uint64_t)probe_worker_mem_mb() << 20) / 2 : HIVE_MAX;

	return cap > HIVE_MAX ? HIVE_MAX : cap;
}

/*
 * A file of the volume copied through libntfs-3g (no mount) into a memory
 * file, for hivex: its descriptor, or -1 with why in *why (words). The copy
 * lives in memory the probe worker's limit does not see: half that limit,
 * and HIVE_MAX, at most.
 */
static int copy_to_memfd(ntfs_volume *vol, const char *path, const char *what, char **why)
{
	char *unread = NULL;
	ntfs_inode *ni = open_path_ci_at(vol, path, &unread);
	int lookup = errno;
	ntfs_attr *na = ni ? ntfs_attr_open(ni, AT_DATA, AT_UNNAMED, 0) : NULL;
	uint64_t cap = probe_hive_cap();
	char *buf = NULL;
	int mfd = -1;

	if (!ni) {
		/* gone since it was seen, or a folder on the way that cannot be read */
		*why = lookup == ENOENT ? xasprintf("%s does not exist", what)
					: xasprintf("%s cannot be read: %s", what, unread);
		goto out;
	}
	if (!na) {
		*why = xasprintf("%s cannot be read: its data attribute cannot be opened (%s)", what,
				 strerror(errno ? errno : EIO));
		goto out;
	}
	if (na->data_size <= 0 || (uint64_t)na->data_size > cap) {
		*why = xasprintf("%s is %lld bytes, more than the %llu MiB read for it", what,
				 (long long)na->data_size, (unsigned long long)(cap >> 20));
		goto out;
	}
	if ((mfd = memfd_create("hive", MFD_CLOEXEC)) < 0) {
		*why = xasprintf("no memory file for %s: %s", what, strerror(errno));
		goto out;
	}
	buf = xcalloc(1, 1u << 20);
	for (s64 pos = 0; pos < na->data_size;) {
		s64 want = na->data_size - pos < (s64)(1u << 20) ? na->data_size - pos : (s64)(1u << 20);
		s64 got = ntfs_attr_pread(na, pos, want, buf);
		if (got <= 0 || write(mfd, buf, (size_t)got) != (ssize_t)got) {
			*why = xasprintf("%s cannot be read at byte %lld", what, (long long)pos);
			close(mfd);
			mfd = -1;
			goto out;
		}
		pos += got;
		probe_progress();
	}
out:
	free(unread);
	free(buf);
	if (na)
		ntfs_attr_close(na);
	if (ni)
		ntfs_inode_close(ni);
	return mfd;
}

/* Why hivex could not read a copy of the file shown as name, from errno e, in words. */
static char *hive_words(const char *name, const char *err, int e, const char *not_kind)
{
	/* hivex decodes registry names from Latin-1 and strings from UTF-16LE through iconv */
	static const char *const need[][2] = { { "LATIN1", "ISO8859-1.so" }, { "UTF-16LE", "UTF-16.so" } };

	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		iconv_t cd = iconv_open("UTF-8", need[i][0]);
		if (cd == (iconv_t)-1)
			return xasprintf("%s cannot be read: this system lacks glibc's gconv module "
					 "%s (from the libc6 package)", name, need[i][1]);
		iconv_close(cd);
	}
	if (strstr(err, not_kind))
		return xasprintf("%s is %s", name, not_kind);
	if (e == ENOMEM)
		return xasprintf("%s cannot be read: it needs more memory than the probe may use", name);
	if (e && e != EINVAL && e != ENOTSUP)
		return xasprintf("%s cannot be read: %s", name, strerror(e));
	return xasprintf("%s cannot be read as a registry hive (damaged)", name);
}

/* The product facts of the SOFTWARE hive (winreg.c); the reason in words when it cannot be read. */
static void read_software(ntfs_volume *vol, struct win_system *w)
{
	static const char name[] = "\\Windows\\System32\\config\\SOFTWARE";
	char path[64], *err = NULL;
	int mfd = copy_to_memfd(vol, "Windows/System32/config/SOFTWARE", "the SOFTWARE hive",
				&w->software_error);

	if (mfd < 0)
		return;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", mfd);
	errno = 0;
	if (winreg_read_software(path, w, &err) != 0) {
		w->software_error = hive_words(name, err, errno, "not a SOFTWARE hive");
		free(err);
	}
	close(mfd);
}

/* The SYSTEM hive and what it says (winreg.c); the reason in words when it cannot be read. */
static void read_windows(ntfs_volume *vol, struct ntfs_state *st)
{
	static const char name[] = "\\Windows\\System32\\config\\SYSTEM";
	char path[64], *err = NULL;
	int mfd = copy_to_memfd(vol, "Windows/System32/config/SYSTEM", "the SYSTEM hive", &st->win_error);

	if (mfd < 0)
		return;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", mfd);
	st->win = xcalloc(1, sizeof(*st->win));
	errno = 0;
	if (winreg_read_system(path, st->win, &err) != 0) {
		/* the words name our memory file: say which file it was instead */
		st->win_error = hive_words(name, err, errno, "not a SYSTEM hive");
		win_system_free(st->win);
		free(st->win);
		st->win = NULL;
		free(err);
	}
	close(mfd);
	if (st->win)
		read_software(vol, st->win);
}

void probe_bcd_fd(int fd, const char *file, struct volume *v)
{
	char path[64], *err = NULL;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	v->bcd = xcalloc(1, sizeof(*v->bcd));
	errno = 0;
	if (bcd_read_file(path, v->bcd, &err) != 0) {
		/* the words name our memory file: say which file it was instead */
		v->bcd_error = hive_words(file, err, errno, "not a BCD store");
		bcd_free(v->bcd);
		free(v->bcd);
		v->bcd = NULL;
		free(err);
	}
}

/* \Boot\BCD decoded (bcd.c) into the volume; the reason in words when it cannot be read. */
static void read_bcd(ntfs_volume *vol, struct volume *v)
{
	int mfd;

	v->bcd_file = xstrdup("\\Boot\\BCD");
	if ((mfd = copy_to_memfd(vol, "Boot/BCD", "the BCD store", &v->bcd_error)) < 0)
		return;
	probe_bcd_fd(mfd, v->bcd_file, v);
	close(mfd);
}

static void read_volume_info(ntfs_volume *vol, struct ntfs_state *st)
{
	ntfs_inode *ni = ntfs_inode_open(vol, FILE_Volume);
	VOLUME_INFORMATION *vi;
	ntfschar *name;
	s64 len = 0;

	if (!ni)
		return;
	vi = ntfs_attr_readall(ni, AT_VOLUME_INFORMATION, AT_UNNAMED, 0, &len);
	if (vi && len >= (s64)sizeof(*vi)) {
		st->major_ver = vi->major_ver;
		st->minor_ver = vi->minor_ver;
		st->dirty = (vi->flags & VOLUME_IS_DIRTY) ? TRI_YES : TRI_NO;
	}
	free(vi);
	name = ntfs_attr_readall(ni, AT_VOLUME_NAME, AT_UNNAMED, 0, &len);
	if (name && len > 0) {
		char *mbs = NULL;
		if (ntfs_ucstombs(name, (int)(len / 2), &mbs, 0) > 0)
			st->label = mbs;
		else
			free(mbs);
	}
	free(name);
	ntfs_inode_close(ni);
}

static void read_hiberfil(ntfs_volume *vol, struct ntfs_state *st)
{
	ntfs_inode *ni;

	errno = 0;
	ni = open_path_ci(vol, "hiberfil.sys");
	unsigned char magic[4] = { 0 };
	ntfs_attr *na;

	if (!ni) {
		st->hibernated = errno == ENOENT ? TRI_NO : TRI_UNKNOWN;
		return;
	}
	na = ntfs_attr_open(ni, AT_DATA, AT_UNNAMED, 0);
	if (na && ntfs_attr_pread(na, 0, 4, magic) == 4) {
		for (int i = 0; i < 4; i++)
			st->hiberfil_magic[i] = (magic[i] >= 0x20 && magic[i] < 0x7f) ? (char)magic[i] : '.';
		st->hiberfil_magic[4] = '\0';
		st->hibernated = (memcmp(magic, "hibr", 4) == 0 || memcmp(magic, "HIBR", 4) == 0)
				 ? TRI_YES : TRI_NO;
	} else if (na && na->data_size == 0) {
		st->hibernated = TRI_NO;	/* an empty hiberfil.sys: no magic */
	} else {
		st->hibernated = TRI_UNKNOWN;
	}
	if (na)
		ntfs_attr_close(na);
	ntfs_inode_close(ni);
}

static void read_logfile(ntfs_volume *vol, struct ntfs_state *st)
{
	ntfs_inode *ni = ntfs_inode_open(vol, FILE_LogFile);
	RESTART_PAGE_HEADER *rp = NULL;
	ntfs_attr *na;

	st->logfile = NTFS_LOGFILE_UNKNOWN;
	if (!ni)
		return;
	na = ntfs_attr_open(ni, AT_DATA, AT_UNNAMED, 0);
	if (na && ntfs_check_logfile(na, &rp)) {
		if (!rp) {
			st->logfile = NTFS_LOGFILE_EMPTY;
		} else {
			st->logfile_ver_major = (unsigned)sle16_to_cpu(rp->major_ver);
			st->logfile_ver_minor = (unsigned)sle16_to_cpu(rp->minor_ver);
			/* Windows 8+ writes restart page version 2.0 when it keeps
			 * metadata cached for Fast Startup; ntfs-3g refuses those */
			if (st->logfile_ver_major == 2)
				st->logfile = NTFS_LOGFILE_FAST_RESTART;
			else if (ntfs_is_logfile_clean(na, rp))
				st->logfile = NTFS_LOGFILE_CLEAN;
			else
				st->logfile = NTFS_LOGFILE_UNCLEAN;
		}
	}
	free(rp);
	if (na)
		ntfs_attr_close(na);
	ntfs_inode_close(ni);
}

/* Our words for the error; the library's own sentence is kept apart. */
static char *errmsg(const char *what, int err, struct ntfs_state *st)
{
	if (ntfslog_last()[0] && !st->library_message)
		st->library_message = xstrdup(ntfslog_last());
	return xasprintf("%s (%s)", what, strerror(err ? err : EIO));
}

static void probe_state(struct readcache *rc, uint64_t off, uint64_t size, unsigned sector_size,
			const char *name, struct ntfs_state *st, struct volume *v)
{
	struct ro_dev rd = { .rc = rc, .off = off, .size = size, .sector_size = sector_size };
	struct ntfs_device *dev;
	struct nb_verdict bv;
	const struct nb_geometry *g = &bv.geom;
	ntfs_volume *vol;

	st->dirty = st->hibernated = st->mftmirr_ok = st->bootsector_ok = TRI_UNKNOWN;
	ntfslog_reset();

	check_boot_sectors(rc, off, size, st, &bv);
	if (!bv.chosen) {
		st->error = xstrdup(st->bootsector_detail ? st->bootsector_detail
							  : "not a valid NTFS boot sector");
		return;
	}
	st->sector_size = g->sector;
	st->cluster_size = g->cluster;
	st->mft_record_size = g->record;
	st->serial = g->serial;
	st->total = g->sectors * g->sector;
	st->device_bytes = size;
	check_mftmirr(rc, off, size, g, st);
	if (bv.chosen != 1) {
		/* the library reads only the primary boot sector */
		st->error = xstrdup("the primary boot sector is damaged; the volume cannot be opened");
		return;
	}

	dev = ntfs_device_alloc(name, 0, &ro_ops, &rd);
	if (!dev) {
		st->error = xstrdup("out of memory");
		return;
	}
	errno = 0;
	vol = ntfs_device_mount(dev, NTFS_MNT_RDONLY | NTFS_MNT_FORENSIC);
	if (vol) {
		st->opened = true;
		if (ntfs_volume_get_free_space(vol) == 0 && vol->free_clusters >= 0) {
			st->free = (uint64_t)vol->free_clusters * vol->cluster_size;
			st->free_known = true;
		}
	} else {
		st->error = errmsg("the NTFS metadata is inconsistent; the volume cannot be opened",
				   errno, st);
		/* keep going with what can be read: boot sector and $MFT */
		ntfslog_reset();
		vol = ntfs_volume_startup(dev, NTFS_MNT_RDONLY);
		if (vol && !vol->upcase) {
			/* lookups need an upcase table; use the default one */
			vol->upcase_len = 65536;
			vol->upcase = malloc(vol->upcase_len * sizeof(ntfschar));
			if (vol->upcase)
				ntfs_upcase_table_build(vol->upcase, vol->upcase_len * sizeof(ntfschar));
			else
				vol->upcase_len = 0;
		}
	}
	if (!vol) {
		ntfs_device_free(dev);
		return;
	}
	read_volume_info(vol, st);
	if (vol->upcase) {
		read_hiberfil(vol, st);
		st->has_windows_dir = path_exists(vol, "Windows", st);
		st->has_windows = st->has_windows_dir &&
				  path_exists(vol, "Windows/System32/config/SYSTEM", st);
		if (st->has_windows) {
			read_windows(vol, st);
			st->has_winload_exe = path_exists(vol, "Windows/System32/winload.exe", st);
			st->has_winload_efi = path_exists(vol, "Windows/System32/winload.efi", st);
			st->has_pending_xml = path_exists(vol, "Windows/WinSxS/pending.xml", st);
		}
		st->has_bootmgr = path_exists(vol, "bootmgr", st);
		st->has_bcd = path_exists(vol, "Boot/BCD", st);
		if (st->has_bcd)
			read_bcd(vol, v);
	}
	read_logfile(vol, st);
	ntfs_umount(vol, FALSE); /* frees dev too */
}

int ntfs_file_map(int fd, uint64_t size, unsigned sector_size, const char *path,
		  struct file_map *m, char **why)
{
	struct readcache rc;
	struct ro_dev rd = { .rc = &rc, .off = 0, .size = size, .sector_size = sector_size };
	struct ntfs_device *dev;
	ntfs_volume *vol = NULL;
	ntfs_inode *ni = NULL;
	ntfs_attr *na = NULL;
	int ret = -1;

	memset(m, 0, sizeof(*m));
	readcache_init(&rc, fd, NULL);
	ntfslog_reset();
	if (!(dev = ntfs_device_alloc("winrescue-map", 0, &ro_ops, &rd))) {
		*why = xstrdup("out of memory");
		goto out;
	}
	if (!(vol = ntfs_device_mount(dev, NTFS_MNT_RDONLY))) {
		ntfs_device_free(dev);
		*why = xasprintf("libntfs-3g cannot open the volume (%s)", strerror(errno ? errno : EIO));
		goto out;
	}
	if (!(ni = open_path_ci(vol, path)) || !(na = ntfs_attr_open(ni, AT_DATA, AT_UNNAMED, 0))) {
		*why = xstrdup("the file cannot be opened");
		goto out;
	}
	/* in place means clusters of its own: not inside the MFT record, not compressed or sparse */
	if (!NAttrNonResident(na) || NAttrCompressed(na) || NAttrEncrypted(na) || NAttrSparse(na) ||
	    na->initialized_size != na->data_size || na->data_size <= 0 ||
	    na->data_size > (s64)(16u << 20)) {
		*why = xstrdup("the file is not stored in plain clusters of its own (resident, "
			       "compressed, sparse, encrypted or too big)");
		goto out;
	}
	m->size = (uint64_t)na->data_size;
	m->unit = vol->cluster_size;
	m->n = (size_t)((m->size + m->unit - 1) / m->unit);
	m->dev = xcalloc(m->n, sizeof(*m->dev));
	m->data = xcalloc(1, (size_t)m->size);
	for (size_t i = 0; i < m->n; i++) {
		LCN lcn = ntfs_attr_vcn_to_lcn(na, (VCN)i);
		if (lcn < 0) {
			*why = xasprintf("cluster %zu of the file cannot be located", i);
			goto out;
		}
		m->dev[i] = (uint64_t)lcn * vol->cluster_size;
	}
	if (ntfs_attr_pread(na, 0, (s64)m->size, m->data) != (s64)m->size) {
		*why = xstrdup("the file cannot be read");
		goto out;
	}
	ret = 0;
out:
	if (na)
		ntfs_attr_close(na);
	if (ni)
		ntfs_inode_close(ni);
	if (vol)
		ntfs_umount(vol, FALSE);
	readcache_free(&rc);
	if (ret)
		file_map_free(m);
	return ret;
}

void file_map_free(struct file_map *m)
{
	free(m->dev);
	free(m->data);
	memset(m, 0, sizeof(*m));
}

void ntfs_probe(struct volume *v, int fd, uint64_t off, uint64_t size, unsigned sector_size,
		const char *name, const struct prefetch_plan *hints)
{
	struct readcache rc;

	v->ntfs = xcalloc(1, sizeof(*v->ntfs));
	readcache_init(&rc, fd, hints);
	probe_state(&rc, off, size, sector_size, name, v->ntfs, v);
	readcache_free(&rc);
}

void ntfs_state_free(struct ntfs_state *st)
{
	if (!st)
		return;
	free(st->error);
	free(st->library_message);
	free(st->label);
	free(st->mftmirr_detail);
	free(st->bootsector_detail);
	free(st->win_error);
	strv_free(st->read_errors, st->nread_errors);
	if (st->win) {
		win_system_free(st->win);
		free(st->win);
	}
	free(st);
}
