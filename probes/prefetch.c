/*
 * prefetch.c - tell the kernel, early and for many disks at once, which
 * blocks the probes will read, so that they arrive in parallel instead of
 * one synchronous round trip after another.
 *
 * A block device's page cache is dropped when its last opener closes it,
 * so every scan starts cold. Left alone, the kernel answers each small
 * probe read with its device read-ahead (2.5 MiB on a loop device, often
 * more on cloud disks): most of a small partition is read to look at a
 * dozen sectors. prefetch_start() therefore turns read-ahead off for our
 * descriptor (POSIX_FADV_RANDOM: a miss reads only what was asked), and
 * the stages of probes_scan() announce what comes next with
 * POSIX_FADV_WILLNEED, which queues the reads and returns at once.
 *
 * The announcements are only hints. A block we did not announce is read
 * when it is needed, one round trip later; an announced block nobody reads
 * costs a few microseconds of copying. The read cache at the end of this
 * file serves what was announced, and only that, from memory; it never
 * changes what a read returns. Nothing here changes device settings.
 */
#include "probes/probes.h"
#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define KiB(n) ((uint64_t)(n) << 10)
#define MiB(n) ((uint64_t)(n) << 20)

/* Ranges closer than this are read as one: a request costs more than 16 KiB of copying. */
#define MERGE_GAP KiB(16)

void prefetch_start(int fd)
{
	/*
	 * A mounted partition keeps its whole disk open, and with it the disk's
	 * page cache, which does not see what is written through the partition's
	 * own node (ntfs-3g writes there): drop the clean cached pages, so that
	 * a volume mounted read-write is read as it is now (seen: hiberfil.sys
	 * deleted, the scan still reading it for a minute). Nothing is written.
	 */
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM);
}

void prefetch_add(struct prefetch_plan *pl, uint64_t limit, uint64_t off, uint64_t len)
{
	if (off >= limit || len == 0)
		return;
	if (len > limit - off)
		len = limit - off;
	if (pl->n == pl->cap) {
		pl->cap = pl->cap ? 2 * pl->cap : 64;
		pl->r = xrealloc(pl->r, pl->cap, sizeof(*pl->r));
	}
	pl->r[pl->n].off = off;
	pl->r[pl->n].len = len;
	pl->n++;
}

static int range_cmp(const void *a, const void *b)
{
	const struct prefetch_range *x = a, *y = b;
	return x->off < y->off ? -1 : x->off > y->off;
}

void prefetch_issue(int fd, struct prefetch_plan *pl)
{
	size_t i = 0;

	qsort(pl->r, pl->n, sizeof(*pl->r), range_cmp);
	while (i < pl->n) {
		uint64_t off = pl->r[i].off, end = off + pl->r[i].len;
		for (i++; i < pl->n && pl->r[i].off <= end + MERGE_GAP; i++)
			if (pl->r[i].off + pl->r[i].len > end)
				end = pl->r[i].off + pl->r[i].len;
		posix_fadvise(fd, (off_t)off, (off_t)(end - off), POSIX_FADV_WILLNEED);
	}
	pl->n = 0;
}

void prefetch_keep(struct prefetch_plan *dst, const struct prefetch_plan *src, size_t from)
{
	for (size_t i = from; i < src->n; i++)
		prefetch_add(dst, UINT64_MAX, src->r[i].off, src->r[i].len);
}

void prefetch_plan_free(struct prefetch_plan *pl)
{
	free(pl->r);
	pl->r = NULL;
	pl->n = pl->cap = 0;
}

/* Offsets from the start, or back from the end, of [off, off+size). */
static void from_start(struct prefetch_plan *pl, uint64_t off, uint64_t size, uint64_t at,
		       uint64_t len)
{
	if (at < size)
		prefetch_add(pl, off + size, off + at, len);
}

static void from_end(struct prefetch_plan *pl, uint64_t off, uint64_t size, uint64_t back,
		     uint64_t len)
{
	if (back > size)
		back = size;
	prefetch_add(pl, off + size, off + size - back, len);
}

void prefetch_tables(struct prefetch_plan *pl, uint64_t disk_size, unsigned sector)
{
	/* the MBR, the GPT header and its 16 KiB of entries, the iso9660
	 * volume descriptor at 32 KiB; at the end the backup GPT entries and
	 * header */
	from_start(pl, 0, disk_size, 0, 2 * (uint64_t)sector + KiB(16));
	from_start(pl, 0, disk_size, KiB(32), KiB(4));
	from_end(pl, 0, disk_size, KiB(16) + sector, KiB(16) + sector);
}

/*
 * Where libblkid's superblock and RAID probers read in a range, measured
 * with strace on util-linux 2.38 for ranges from 4 MiB to 40 GiB (the
 * probers run in this order for every range we hand to libblkid):
 *  - from the start: the first 20 KiB, around 32 KiB and 64 KiB, single
 *    blocks at 128 KiB, 256 KiB, 512 KiB, 1, 2 and 4 MiB; the first 256 or
 *    516 KiB in one piece once the range can hold ZFS labels (>= 32/64 MiB);
 *  - from the end: the last 8 KiB, a block 8 KiB below the last 4 KiB
 *    boundary, the md 0.90 superblock 64 KiB below the last 64 KiB
 *    boundary, ZFS labels 2 and 3 (512 KiB below the last 256 KiB
 *    boundary), the DDF anchor 257 sectors from the end, and on a whole
 *    disk only the firmware RAID sectors at fixed sector counts from the
 *    end (Promise: 63 ... 3087; see fsprobe.c).
 */
void prefetch_superblocks(struct prefetch_plan *pl, uint64_t off, uint64_t size,
			  enum fsprobe_range what)
{
	static const uint64_t head[][2] = {
		{ 0, KiB(20) }, { KiB(28), KiB(8) }, { KiB(63), KiB(5) },
		{ KiB(128), KiB(4) }, { KiB(256), KiB(4) }, { KiB(512), KiB(4) },
		{ MiB(1), KiB(4) }, { MiB(2), KiB(4) }, { MiB(4), KiB(4) },
	};
	static const unsigned raid_sectors[] = { 63, 255, 256, 399, 591, 675, 735,
						 911, 951, 974, 991, 3087 };
	uint64_t end = off + size;

	if (size >= MiB(64))
		from_start(pl, off, size, 0, KiB(516));
	else if (size >= MiB(32))
		from_start(pl, off, size, 0, KiB(260));
	for (size_t i = 0; i < sizeof(head) / sizeof(head[0]); i++)
		from_start(pl, off, size, head[i][0], head[i][1]);

	from_end(pl, off, size, KiB(8), KiB(8));
	if ((size & ~(KiB(4) - 1)) >= KiB(8))
		prefetch_add(pl, end, off + (size & ~(KiB(4) - 1)) - KiB(8), 256);
	if ((size & ~(KiB(64) - 1)) >= KiB(64))
		prefetch_add(pl, end, off + (size & ~(KiB(64) - 1)) - KiB(64), 64);
	if (size >= MiB(64))
		prefetch_add(pl, end, off + (size & ~(KiB(256) - 1)) - KiB(512), KiB(512));
	if (257 * 512 <= size)
		prefetch_add(pl, end, end - 257 * 512, 512);
	if (what == FSPROBE_PARTITION)
		return;
	for (size_t i = 0; i < sizeof(raid_sectors) / sizeof(raid_sectors[0]); i++)
		if ((uint64_t)raid_sectors[i] * 512 <= size)
			prefetch_add(pl, end, end - (uint64_t)raid_sectors[i] * 512, 512);
}

/*
 * Reading what was announced. A probe library asks for a few hundred bytes
 * at a time (an MFT record, a boot sector, an index block), and every such
 * pread() is a system call and a page-cache lookup. The announced ranges
 * are exactly the blocks the probe is going to read, and they are in the
 * page cache by now, so the first read inside one takes the whole range
 * (widened to whole pages, which the page cache holds anyway) in one call,
 * and the reads after it are served from memory. Announced ranges above
 * READCACHE_MAX (a big $Bitmap) are not held, and neighbours are joined
 * only up to it; nor is anything held that was not announced, or a range
 * that could not be read in full: those reads go to the device as asked,
 * so an I/O error reaches the caller exactly where it would have without
 * the cache.
 */
#define READCACHE_PAGE KiB(4)
#define READCACHE_MAX KiB(256)

void readcache_init(struct readcache *c, int fd, const struct prefetch_plan *hints)
{
	size_t n = 0;

	memset(c, 0, sizeof(*c));
	c->fd = fd;
	if (!hints || !hints->n)
		return;
	c->r = xcalloc(hints->n, sizeof(*c->r));
	memcpy(c->r, hints->r, hints->n * sizeof(*c->r));
	for (size_t i = 0; i < hints->n; i++) {
		uint64_t end = c->r[i].off + c->r[i].len;
		c->r[i].off &= ~(READCACHE_PAGE - 1);
		c->r[i].len = ((end + READCACHE_PAGE - 1) & ~(READCACHE_PAGE - 1)) - c->r[i].off;
	}
	qsort(c->r, hints->n, sizeof(*c->r), range_cmp);
	for (size_t i = 0; i < hints->n; i++) {
		uint64_t end = c->r[i].off + c->r[i].len;

		if (c->r[i].len > READCACHE_MAX)
			continue;	/* read as asked */
		/* join what touches or overlaps, as long as it stays small enough to hold */
		if (n && c->r[i].off <= c->r[n - 1].off + c->r[n - 1].len &&
		    end - c->r[n - 1].off <= READCACHE_MAX) {
			if (end > c->r[n - 1].off + c->r[n - 1].len)
				c->r[n - 1].len = end - c->r[n - 1].off;
		} else {
			c->r[n++] = c->r[i];
		}
	}
	c->n = n;
	c->data = xcalloc(n, sizeof(*c->data));
	c->have = xcalloc(n, sizeof(*c->have));
}

/* Read up to len bytes at off, retrying short reads; -1 (errno) only if nothing came. */
static ssize_t pread_full(int fd, void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t r = pread(fd, (char *)buf + done, len - done, (off_t)(off + done));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return done ? (ssize_t)done : -1;
		if (r == 0)
			break;
		done += (size_t)r;
	}
	return (ssize_t)done;
}

ssize_t readcache_pread(struct readcache *c, void *buf, size_t len, uint64_t off)
{
	size_t lo = 0, hi = c->n;

	while (lo < hi) {	/* the last range starting at or before off */
		size_t mid = (lo + hi) / 2;
		if (c->r[mid].off <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo > 0 && len > 0) {
		size_t i = lo - 1;
		const struct prefetch_range *r = &c->r[i];

		if (off + len <= r->off + r->len && c->have[i] >= 0) {
			if (!c->data[i]) {
				int saved = errno;	/* a failed fill is not the caller's error */
				ssize_t got;
				c->data[i] = xrealloc(NULL, 1, r->len);
				got = pread_full(c->fd, c->data[i], r->len, r->off);
				c->have[i] = got < 0 ? -1 : got;
				errno = saved;
			}
			if (c->have[i] >= 0 && off + len <= r->off + (uint64_t)c->have[i]) {
				memcpy(buf, c->data[i] + (off - r->off), len);
				return (ssize_t)len;
			}
		}
	}
	return pread_full(c->fd, buf, len, off);
}

void readcache_free(struct readcache *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->data[i]);
	free(c->data);
	free(c->have);
	free(c->r);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}
