/*
 * ntfs-windows - TEST-ONLY tool: make on an unmounted test volume the files
 * Windows keeps in $Extend, which the ntfs-3g mount refuses to create
 * there (it answers EPERM for any new name in a system folder), through
 * libntfs-3g itself: the records, indexes, runlists and sparse streams are
 * ntfs-3g's own.
 *
 *   ntfs-windows DEV txf          $Extend\$RmMetadata (hidden, system) with
 *                                 $Repair (streams $Corrupt and $Verbose),
 *                                 $Tops (stream $T), $Txf (a folder),
 *                                 $TxfLog (a folder with $TxfLog.blf and two
 *                                 log containers of 1 MiB), as Windows Vista
 *                                 and later make them for Transactional NTFS
 *   ntfs-windows DEV usnjrnl SIZE $Extend\$UsnJrnl with $Max (32 bytes) and
 *                                 $J: SIZE bytes, sparse but for the last
 *                                 64 KiB, as the change journal is once
 *                                 Windows has wrapped it
 *
 * DEV is a block device or an image file. libntfs-3g's own messages are
 * silenced. Exit status: 0 done, 1 failed, 2 usage.
 */
#include <sys/stat.h>	/* before any ntfs-3g header */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ntfs-3g/types.h>
#include <ntfs-3g/layout.h>
#include <ntfs-3g/volume.h>
#include <ntfs-3g/inode.h>
#include <ntfs-3g/attrib.h>
#include <ntfs-3g/dir.h>
#include <ntfs-3g/unistr.h>
#include <ntfs-3g/logging.h>

static const char *prog = "ntfs-windows";

static void die(const char *what)
{
	fprintf(stderr, "%s: %s%s%s\n", prog, what, errno ? ": " : "", errno ? strerror(errno) : "");
	exit(1);
}

/* A new file (mode S_IFREG) or folder (S_IFDIR) named name in dir; dies on failure. */
static ntfs_inode *make(ntfs_inode *dir, const char *name, mode_t mode, le32 attrs)
{
	ntfschar *u = NULL;
	int len = ntfs_mbstoucs(name, &u);
	ntfs_inode *ni;

	if (len <= 0)
		die(name);
	errno = 0;
	if (!(ni = ntfs_create(dir, const_cpu_to_le32(0), u, (u8)len, mode)))
		die(name);
	free(u);
	ni->flags |= attrs;
	ntfs_inode_mark_dirty(ni);
	return ni;
}

/* Write count bytes of a pattern at pos of stream sname of ni (made when missing). */
static void put(ntfs_inode *ni, const char *sname, int64_t pos, int64_t count)
{
	ntfschar *u = NULL;
	int len = sname ? ntfs_mbstoucs(sname, &u) : 0;
	ntfs_attr *na;
	char buf[4096];

	if (len < 0)
		die(sname);
	errno = 0;
	if (len && !ntfs_attr_exist(ni, AT_DATA, u, len) &&
	    ntfs_attr_add(ni, AT_DATA, u, (u8)len, NULL, 0))
		die(sname);
	if (!(na = ntfs_attr_open(ni, AT_DATA, len ? u : AT_UNNAMED, len)))
		die(sname ? sname : "$DATA");
	for (int64_t done = 0; done < count;) {
		int64_t n = count - done < (int64_t)sizeof(buf) ? count - done : (int64_t)sizeof(buf);
		for (int i = 0; i < n; i++)
			buf[i] = (char)((pos + done + i) * 7 + 1);
		if (ntfs_attr_pwrite(na, pos + done, n, buf) != n)
			die("write");
		done += n;
	}
	ntfs_attr_close(na);
	free(u);
}

/* Close ni, whose folder dir is open (NULL: none): the folder's copy of its name is updated. */
static void done(ntfs_inode *ni, ntfs_inode *dir)
{
	if (dir ? ntfs_inode_close_in_dir(ni, dir) : ntfs_inode_close(ni))
		die("close");
}

int main(int argc, char **argv)
{
	ntfs_volume *vol;
	ntfs_inode *ext;
	const le32 hs = FILE_ATTR_HIDDEN | FILE_ATTR_SYSTEM;

	if (argc < 3 || (strcmp(argv[2], "txf") && strcmp(argv[2], "usnjrnl")) ||
	    (!strcmp(argv[2], "usnjrnl") && argc < 4)) {
		fprintf(stderr, "usage: %s DEV txf | DEV usnjrnl SIZE\n", prog);
		return 2;
	}
	ntfs_log_set_levels(0);
	ntfs_log_clear_levels(~0u);
	errno = 0;
	if (!(vol = ntfs_mount(argv[1], NTFS_MNT_EXCLUSIVE)))
		die(argv[1]);
	if (!(ext = ntfs_pathname_to_inode(vol, NULL, "$Extend")))
		die("$Extend");
	if (!strcmp(argv[2], "txf")) {
		ntfs_inode *rm = make(ext, "$RmMetadata", S_IFDIR, hs), *ni, *log;
		ni = make(rm, "$Repair", S_IFREG, hs);
		put(ni, "$Corrupt", 0, 4096);
		put(ni, "$Verbose", 0, 100);
		done(ni, rm);
		ni = make(rm, "$Tops", S_IFREG, hs);
		put(ni, NULL, 0, 12);
		put(ni, "$T", 0, 1 << 20);
		done(ni, rm);
		done(make(rm, "$Txf", S_IFDIR, hs), rm);
		log = make(rm, "$TxfLog", S_IFDIR, hs);
		ni = make(log, "$TxfLog.blf", S_IFREG, hs);
		put(ni, NULL, 0, 65536);
		done(ni, log);
		for (int i = 1; i <= 2; i++) {
			char name[80];
			snprintf(name, sizeof(name), "$TxfLogContainer0000000000000000000%d", i);
			ni = make(log, name, S_IFREG, hs);
			put(ni, NULL, 0, 1 << 20);
			done(ni, log);
		}
		done(log, rm);
		done(rm, ext);
	} else {
		int64_t size = strtoll(argv[3], NULL, 0);
		ntfs_inode *ni = make(ext, "$UsnJrnl", S_IFREG, hs);
		if (size < 65536)
			die("SIZE below 64 KiB");
		put(ni, "$Max", 0, 32);
		put(ni, "$J", size - 65536, 65536);
		done(ni, ext);
	}
	done(ext, NULL);
	if (ntfs_umount(vol, FALSE))
		die("unmount");
	return 0;
}
