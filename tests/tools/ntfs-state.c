/*
 * ntfs-state - TEST-ONLY tool: put an unmounted NTFS volume into a real
 * $LogFile state, or show the state, the way ntfs-3g decides it.
 *
 *   ntfs-state [-v] DEV logfile clean|unclean|fast-restart|empty
 *   ntfs-state [-v] DEV logfile show        prints clean|unclean|fast-restart|
 *                                           empty|unknown and the version
 *   ntfs-state [-v] DEV dirty set|clear|show   the VOLUME_IS_DIRTY flag of
 *                                           $Volume (show prints dirty|clean)
 *
 * DEV is a block device or an image file. winrescue itself never writes;
 * this tool exists so the integration tests can build volumes in the states
 * Windows leaves behind:
 *
 *   clean         restart pages v1.1, client in use, RESTART_VOLUME_IS_CLEAN
 *                 (what Windows XP and later write on a clean shutdown)
 *   unclean       restart pages v1.1, client in use, clean flag not set
 *                 (power cut / crash)
 *   fast-restart  restart pages v2.0, client in use, clean flag not set
 *                 (Windows 8+ Fast Startup: metadata kept in Windows cache)
 *   empty         every byte 0xff (what mkntfs and ntfs-3g leave)
 *
 * Both restart pages are written through libntfs-3g (FILE_LogFile, $DATA,
 * ntfs_attr_mst_pwrite, so the update sequence array and the fixups are
 * real). The volume is then closed, opened again read-only, and the result
 * is judged by ntfs-3g's own ntfs_check_logfile() and
 * ntfs_is_logfile_clean(); the tool fails when they disagree with what was
 * asked.
 *
 * "dirty set" is for volumes ntfsfix refuses to touch (hibernated, Fast
 * Startup); elsewhere the tests use ntfsfix itself, which sets the flag.
 *
 * libntfs-3g's own messages are silenced unless -v is given.
 * Exit status: 0 done, 1 failed, 2 usage.
 */
#include <sys/stat.h>	/* before any ntfs-3g header */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ntfs-3g/types.h>
#include <ntfs-3g/layout.h>
#include <ntfs-3g/volume.h>
#include <ntfs-3g/inode.h>
#include <ntfs-3g/attrib.h>
#include <ntfs-3g/logfile.h>
#include <ntfs-3g/mst.h>
#include <ntfs-3g/logging.h>

#define PAGE 4096u

enum want { W_CLEAN, W_UNCLEAN, W_FAST_RESTART, W_EMPTY };

static const char *const want_names[] = {
	[W_CLEAN] = "clean",
	[W_UNCLEAN] = "unclean",
	[W_FAST_RESTART] = "fast-restart",
	[W_EMPTY] = "empty",
};

static const char *prog = "ntfs-state";

static void usage(void)
{
	fprintf(stderr,
		"usage: %s [-v] DEV logfile clean|unclean|fast-restart|empty|show\n"
		"       %s [-v] DEV dirty set|clear|show\n", prog, prog);
	exit(2);
}

static int fail(const char *dev, const char *what)
{
	fprintf(stderr, "%s: %s: %s%s%s\n", prog, dev, what,
		errno ? ": " : "", errno ? strerror(errno) : "");
	return 1;
}

/* 67 minus the number of bits needed to store the log file size. */
static u32 seq_number_bits(u64 size)
{
	u32 bits = 0;

	while (size) {
		size >>= 1;
		bits++;
	}
	return 67 - bits;
}

/* Build one restart page the way Windows lays it out (usa at 0x1e). */
static void build_restart_page(u8 *page, enum want w, s64 file_size,
			       u64 lsn, u32 open_count)
{
	RESTART_PAGE_HEADER *rp = (RESTART_PAGE_HEADER *)page;
	RESTART_AREA *ra;
	LOG_CLIENT_RECORD *cr;
	const u16 usa_ofs = offsetof(RESTART_PAGE_HEADER, usn);
	const u16 usa_count = 1 + PAGE / NTFS_BLOCK_SIZE;
	const u16 ra_ofs = (u16)((usa_ofs + usa_count * 2 + 7) & ~7);
	const u16 ca_ofs = 0x40;	/* as Windows XP and later */
	static const char name[] = "NTFS";
	size_t i;

	memset(page, 0, PAGE);
	rp->magic = magic_RSTR;
	rp->usa_ofs = cpu_to_le16(usa_ofs);
	rp->usa_count = cpu_to_le16(usa_count);
	rp->chkdsk_lsn = cpu_to_sle64(0);
	rp->system_page_size = cpu_to_le32(PAGE);
	rp->log_page_size = cpu_to_le32(PAGE);
	rp->restart_area_offset = cpu_to_le16(ra_ofs);
	if (w == W_FAST_RESTART) {
		rp->major_ver = cpu_to_sle16(2);
		rp->minor_ver = cpu_to_sle16(0);
	} else {
		rp->major_ver = cpu_to_sle16(1);
		rp->minor_ver = cpu_to_sle16(1);
	}
	rp->usn = cpu_to_le16(1);	/* update sequence number, bumped on write */

	ra = (RESTART_AREA *)(page + ra_ofs);
	ra->current_lsn = cpu_to_sle64(lsn);
	ra->log_clients = cpu_to_le16(1);
	ra->client_free_list = LOGFILE_NO_CLIENT;
	ra->client_in_use_list = cpu_to_le16(0);	/* the NTFS client is open */
	ra->flags = w == W_CLEAN ? RESTART_VOLUME_IS_CLEAN : cpu_to_le16(0);
	ra->seq_number_bits = cpu_to_le32(seq_number_bits((u64)file_size));
	ra->restart_area_length = cpu_to_le16(ca_ofs + sizeof(LOG_CLIENT_RECORD));
	ra->client_array_offset = cpu_to_le16(ca_ofs);
	ra->file_size = cpu_to_sle64(file_size);
	ra->last_lsn_data_length = cpu_to_le32(0);
	ra->log_record_header_length = cpu_to_le16(0x30);
	ra->log_page_data_offset = cpu_to_le16(0x40);
	ra->restart_log_open_count = cpu_to_le32(open_count);

	cr = (LOG_CLIENT_RECORD *)((u8 *)ra + ca_ofs);
	cr->oldest_lsn = cpu_to_sle64(lsn);
	cr->client_restart_lsn = cpu_to_sle64(lsn);
	cr->prev_client = LOGFILE_NO_CLIENT;
	cr->next_client = LOGFILE_NO_CLIENT;
	cr->seq_number = cpu_to_le16(0);
	cr->client_name_length = cpu_to_le32(8);
	for (i = 0; i < 4; i++)
		cr->client_name[i] = cpu_to_le16((u16)name[i]);
}

static int open_logfile(ntfs_volume *vol, ntfs_inode **ni, ntfs_attr **na)
{
	*ni = ntfs_inode_open(vol, FILE_LogFile);
	if (!*ni)
		return -1;
	*na = ntfs_attr_open(*ni, AT_DATA, AT_UNNAMED, 0);
	if (!*na) {
		int e = errno;
		ntfs_inode_close(*ni);
		errno = e;
		return -1;
	}
	return 0;
}

static int write_state(const char *dev, enum want w)
{
	ntfs_volume *vol;
	ntfs_inode *ni;
	ntfs_attr *na;
	u8 *buf;
	s64 size, pos;
	int ret = 1;

	/*
	 * FORENSIC: a read-write open that neither checks nor resets
	 * $LogFile or hiberfil.sys at mount time, so any state can be
	 * replaced by any other.
	 */
	vol = ntfs_mount(dev, NTFS_MNT_FORENSIC);
	if (!vol)
		return fail(dev, "cannot open the NTFS volume read-write");
	if (open_logfile(vol, &ni, &na)) {
		fail(dev, "cannot open $LogFile/$DATA");
		ntfs_umount(vol, FALSE);
		return 1;
	}
	size = na->data_size;
	if (!NAttrNonResident(na) || size < (s64)PAGE * (2 + MinLogRecordPages)) {
		errno = 0;
		fail(dev, "$LogFile is resident or too small");
		goto out;
	}
	buf = malloc(PAGE);
	if (!buf) {
		fail(dev, "out of memory");
		goto out;
	}
	if (w == W_EMPTY) {
		memset(buf, 0xff, PAGE);
		for (pos = 0; pos < size; pos += PAGE) {
			s64 n = size - pos < (s64)PAGE ? size - pos : (s64)PAGE;
			if (ntfs_attr_pwrite(na, pos, n, buf) != n) {
				fail(dev, "cannot write $LogFile");
				goto out_free;
			}
		}
	} else {
		/*
		 * Both restart pages carry the same LSN; a real-looking,
		 * non-zero one. The second page gets its own update sequence
		 * number, as on disks Windows wrote.
		 */
		u64 lsn = 0x2000000 + ((u64)time(NULL) & 0xffff) * 0x100;
		u32 open_count = (u32)time(NULL);

		for (pos = 0; pos < 2 * (s64)PAGE; pos += PAGE) {
			build_restart_page(buf, w, size & ~(s64)(PAGE - 1), lsn,
					   open_count);
			if (pos)
				((RESTART_PAGE_HEADER *)buf)->usn = cpu_to_le16(7);
			if (ntfs_attr_mst_pwrite(na, pos, 1, PAGE, buf) != 1) {
				fail(dev, "cannot write a $LogFile restart page");
				goto out_free;
			}
		}
	}
	ret = 0;
out_free:
	free(buf);
out:
	ntfs_attr_close(na);
	if (ntfs_inode_close(ni) && !ret)
		ret = fail(dev, "cannot close $LogFile");
	if (ntfs_umount(vol, FALSE) && !ret)
		ret = fail(dev, "cannot close the volume");
	return ret;
}

/* How ntfs-3g judges the journal. Returns a want, or -1 for unknown. */
static int read_state(const char *dev, char *ver, size_t verlen)
{
	ntfs_volume *vol;
	ntfs_inode *ni;
	ntfs_attr *na;
	RESTART_PAGE_HEADER *rp = NULL;
	int st = -1;

	snprintf(ver, verlen, "-");
	vol = ntfs_mount(dev, NTFS_MNT_RDONLY);
	if (!vol) {
		fail(dev, "cannot open the NTFS volume read-only");
		return -2;
	}
	if (open_logfile(vol, &ni, &na)) {
		fail(dev, "cannot open $LogFile/$DATA");
		ntfs_umount(vol, FALSE);
		return -2;
	}
	if (ntfs_check_logfile(na, &rp)) {
		BOOL clean = ntfs_is_logfile_clean(na, rp);

		if (NVolLogFileEmpty(vol)) {
			st = W_EMPTY;
		} else if (rp) {
			int maj = sle16_to_cpu(rp->major_ver);
			int min = sle16_to_cpu(rp->minor_ver);

			snprintf(ver, verlen, "%d.%d", maj, min);
			if (maj == 2 && min == 0)
				st = W_FAST_RESTART;
			else
				st = clean ? W_CLEAN : W_UNCLEAN;
		}
	}
	free(rp);
	ntfs_attr_close(na);
	ntfs_inode_close(ni);
	ntfs_umount(vol, FALSE);
	return st;
}

static int set_dirty(const char *dev, int dirty)
{
	ntfs_volume *vol;
	u16 flags;
	int ret = 0;

	vol = ntfs_mount(dev, NTFS_MNT_FORENSIC);	/* no journal/hiberfil checks */
	if (!vol)
		return fail(dev, "cannot open the NTFS volume read-write");
	flags = le16_to_cpu(vol->flags);
	if (dirty)
		flags |= le16_to_cpu(VOLUME_IS_DIRTY);
	else
		flags &= (u16)~le16_to_cpu(VOLUME_IS_DIRTY);
	if (ntfs_volume_write_flags(vol, cpu_to_le16(flags)))
		ret = fail(dev, "cannot write the $Volume flags");
	if (ntfs_umount(vol, FALSE) && !ret)
		ret = fail(dev, "cannot close the volume");
	return ret;
}

static int show_dirty(const char *dev)
{
	ntfs_volume *vol = ntfs_mount(dev, NTFS_MNT_RDONLY);
	int dirty;

	if (!vol)
		return fail(dev, "cannot open the NTFS volume read-only");
	dirty = !!(vol->flags & VOLUME_IS_DIRTY);
	ntfs_umount(vol, FALSE);
	printf("%s\n", dirty ? "dirty" : "clean");
	return 0;
}

int main(int argc, char **argv)
{
	const char *dev, *what, *arg;
	unsigned long mnt_flags = 0;
	int verbose = 0, st;
	char ver[16];
	int w = -1;
	size_t i;

	if (argc > 0 && argv[0][0])
		prog = argv[0];
	if (argc > 1 && !strcmp(argv[1], "-v")) {
		verbose = 1;
		argv++;
		argc--;
	}
	if (argc != 4)
		usage();
	dev = argv[1];
	what = argv[2];
	arg = argv[3];

	if (verbose) {
		ntfs_log_set_handler(ntfs_log_handler_stderr);
		ntfs_log_set_levels(NTFS_LOG_LEVEL_INFO | NTFS_LOG_LEVEL_VERBOSE |
				    NTFS_LOG_LEVEL_WARNING | NTFS_LOG_LEVEL_ERROR |
				    NTFS_LOG_LEVEL_PERROR | NTFS_LOG_LEVEL_CRITICAL);
	} else {
		ntfs_log_set_handler(ntfs_log_handler_null);
	}

	if (strcmp(what, "dirty") && strcmp(what, "logfile"))
		usage();
	if (!strcmp(what, "dirty") && !strcmp(arg, "show"))
		return show_dirty(dev);
	if (!strcmp(what, "dirty") && strcmp(arg, "set") && strcmp(arg, "clear"))
		usage();

	if (!strcmp(arg, "show")) {
		st = read_state(dev, ver, sizeof(ver));
		if (st == -2)
			return 1;
		printf("%s %s\n", st < 0 ? "unknown" : want_names[st], ver);
		return 0;
	}
	if (!strcmp(what, "logfile")) {
		for (i = 0; i < sizeof(want_names) / sizeof(want_names[0]); i++)
			if (!strcmp(arg, want_names[i]))
				w = (int)i;
		if (w < 0)
			usage();
	}

	errno = 0;
	if (ntfs_check_if_mounted(dev, &mnt_flags) == 0 &&
	    (mnt_flags & NTFS_MF_MOUNTED)) {
		errno = EBUSY;
		return fail(dev, "is mounted; refusing to write to it");
	}
	if (!strcmp(what, "dirty")) {
		int want = !strcmp(arg, "set");
		ntfs_volume *vol;
		int is;

		if (set_dirty(dev, want))
			return 1;
		vol = ntfs_mount(dev, NTFS_MNT_RDONLY);
		if (!vol)
			return fail(dev, "cannot open the NTFS volume read-only");
		is = !!(vol->flags & VOLUME_IS_DIRTY);
		ntfs_umount(vol, FALSE);
		if (is != want) {
			fprintf(stderr, "%s: %s: the dirty flag did not %s\n", prog,
				dev, want ? "stick" : "clear");
			return 1;
		}
		return 0;
	}
	if (write_state(dev, (enum want)w))
		return 1;

	st = read_state(dev, ver, sizeof(ver));
	if (st == -2)
		return 1;
	if (st != w) {
		fprintf(stderr, "%s: %s: asked for %s $LogFile, but ntfs-3g "
			"judges it %s (version %s)\n", prog, dev, want_names[w],
			st < 0 ? "unknown/corrupt" : want_names[st], ver);
		return 1;
	}
	if (verbose)
		fprintf(stderr, "%s: %s: $LogFile is %s (version %s)\n", prog,
			dev, want_names[w], ver);
	return 0;
}
