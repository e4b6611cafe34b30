/*
 * inventory.h - the read-only picture of what is attached to this machine.
 *
 * probes_scan() is the only way information enters winrescue. It walks
 * <sysroot>/sys/block, reads partition tables with libfdisk, filesystems
 * with libblkid and NTFS volumes with libntfs-3g, all through read-only file
 * descriptors (the NTFS probe goes through a device layer whose write
 * operations fail with EROFS), and returns one immutable snapshot:
 *
 *   inventory -> disks[] -> partitions[] -> volume (fs, ntfs state, use, role)
 *             -> findings[] (snapshot-wide: signature collisions, ...)
 *
 * Nothing here prints. Every object carries its own probe error (`error`,
 * NULL when fine) so that one unreadable device never hides the others.
 * Sizes and offsets are bytes. A refresh is a new snapshot: callers never
 * edit one; they free it with inventory_free().
 */
#ifndef WINRESCUE_INVENTORY_H
#define WINRESCUE_INVENTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "probes/bcd.h"
#include "probes/winreg.h"

enum disk_role {
	DISK_ROLE_UNKNOWN = 0,
	DISK_ROLE_RESCUE,	/* backs the running rescue system: hands off */
	DISK_ROLE_SYSTEM,	/* holds a Windows installation (the patient) */
	DISK_ROLE_DATA,		/* holds Windows-readable data volumes only */
};

enum part_role {
	PART_ROLE_OTHER = 0,
	PART_ROLE_BOOT,		/* System Reserved: bootmgr + \Boot\BCD */
	PART_ROLE_ESP,		/* EFI System Partition */
	PART_ROLE_MSR,		/* Microsoft Reserved */
	PART_ROLE_RECOVERY,	/* Windows RE */
	PART_ROLE_WINDOWS,	/* \Windows\System32\config\SYSTEM present */
	PART_ROLE_DATA,		/* NTFS/FAT/exFAT volume without Windows */
	PART_ROLE_BITLOCKER,	/* BitLocker encrypted, contents unreadable */
	PART_ROLE_SWAP,		/* Linux swap */
};

/* State of the NTFS journal, decided the way ntfs-3g decides it. */
enum ntfs_logfile {
	NTFS_LOGFILE_UNKNOWN = 0, /* unreadable or corrupt restart area */
	NTFS_LOGFILE_CLEAN,	  /* clean shutdown */
	NTFS_LOGFILE_UNCLEAN,	  /* active clients, not marked clean */
	NTFS_LOGFILE_FAST_RESTART,/* restart page v2.0: Windows Fast Startup */
	NTFS_LOGFILE_EMPTY,	  /* reset, as mkntfs or ntfs-3g leave it */
};

/* A yes/no that may not have been decidable. */
enum tristate { TRI_UNKNOWN = 0, TRI_NO, TRI_YES };	/* zeroed means unknown */

enum severity { SEV_INFO = 0, SEV_WARNING, SEV_ERROR };

/* The two copies of the NTFS boot sector, as the quick look judged them. */
enum ntfs_bootcopies {
	NTFS_BOOT_UNKNOWN = 0,	/* not read */
	NTFS_BOOT_OK,		/* both valid and the same */
	NTFS_BOOT_PRIMARY_BAD,	/* the primary (sector 0) is damaged, the backup intact */
	NTFS_BOOT_BACKUP_BAD,	/* the backup is damaged, the primary intact */
	NTFS_BOOT_BOTH_BAD,	/* neither is a valid NTFS boot sector */
	NTFS_BOOT_DIFFER,	/* both valid, their fields differ */
	NTFS_BOOT_UNREADABLE,	/* the primary could not be read */
	NTFS_BOOT_BACKUP_UNREADABLE,	/* the primary is intact, no backup could be read */
};

/* $MFT's first records against $MFTMirr, as the quick look judged them. */
enum ntfs_mirr {
	NTFS_MIRR_UNKNOWN = 0,	/* not compared (no valid boot sector) */
	NTFS_MIRR_OK,
	NTFS_MIRR_MFT_BAD,	/* a record damaged in $MFT, intact in $MFTMirr */
	NTFS_MIRR_MIRR_BAD,	/* intact in $MFT, damaged in $MFTMirr */
	NTFS_MIRR_BOTH_BAD,	/* damaged in both copies */
	NTFS_MIRR_DIFFER,	/* both intact, different */
	NTFS_MIRR_OUTSIDE,	/* the boot sector puts them outside the volume */
	NTFS_MIRR_UNREADABLE,	/* the device would not return them */
};

/* What the 440 boot code bytes of an MBR are (probes/mbr.c decides). */
enum mbr_code {
	MBR_CODE_UNREAD = 0,	/* not read: not a dos disk, or unreadable */
	MBR_CODE_NONE,		/* all zeros: nothing would start */
	MBR_CODE_NOT_CODE,	/* bytes without the BIOS disk read any boot code needs */
	MBR_CODE_UNKNOWN,	/* code (it reads the disk) of a loader not recognised */
	MBR_CODE_WINDOWS,	/* Windows Vista and later (bootsect /nt60) */
	MBR_CODE_WINDOWS_NT5,	/* Windows 2000, XP, Server 2003 */
	MBR_CODE_MSDOS,		/* MS-DOS / Windows 9x FDISK, and others with its messages */
	MBR_CODE_GRUB,		/* GRUB's boot.img (GRUB 2 and GRUB Legacy's stage1) */
	MBR_CODE_SYSLINUX,	/* syslinux's mbr.bin / altmbr.bin (what fix-boot writes) */
	MBR_CODE_SYSLINUX_GPT,	/* syslinux's gptmbr.bin */
	MBR_CODE_LILO,		/* LILO's first stage */
};

/* One primary entry of an MBR, as the sector holds it (mbr.lost_table only). */
struct mbr_entry {
	uint8_t status, type;
	uint32_t lba, sectors;	/* in logical sectors */
	bool ntfs;		/* its first sector is a valid NTFS boot sector */
};

/*
 * Sector 0 of a dos disk, or of a disk in which no table was found (the
 * signature lost): what the BIOS boot chain starts with. Scalars only: it
 * crosses the probe workers' wire as it is.
 */
struct mbr_state {
	bool read;		/* sector 0 was read and judged */
	enum mbr_code code;
	bool signature;		/* 0x55 0xAA at byte 510 */
	/* no 0x55AA, so no table for the kernel or libfdisk, but four entries
	 * that fit the disk, one of them an NTFS volume: an MBR that lost its
	 * signature (e[] holds them) */
	bool lost_table;
	struct mbr_entry e[4];
};

/* A boot loader on an EFI System Partition (read with mtools, esp.c). */
enum esp_file {
	ESP_FILE_UNKNOWN = 0,	/* not looked at, or the FAT could not be read */
	ESP_FILE_MISSING,
	ESP_FILE_PRESENT,	/* a PE program ("MZ") */
	ESP_FILE_NOT_PROGRAM,	/* there, but empty or not a PE program */
};

struct ntfs_state {
	char *error;		/* NULL, or why the volume could not be read fully */
	char *library_message;	/* libntfs-3g's own last error, for the JSON only */
	bool opened;		/* libntfs-3g mounted it (read-only, in memory) */
	unsigned major_ver, minor_ver;	/* 0.0 when $Volume was unreadable */
	uint32_t sector_size;
	uint32_t cluster_size;
	uint32_t mft_record_size;
	uint64_t serial;	/* boot sector volume serial number */
	uint64_t total;		/* bytes covered by the volume */
	bool truncated;		/* the boot sector claims more than the device holds */
	uint64_t claimed_bytes;	/* sectors * sector size in the boot sector */
	uint64_t device_bytes;	/* the partition or device holding it */
	uint64_t free;		/* free bytes, valid when free_known */
	bool free_known;
	char *label;		/* from $Volume, UTF-8, may be NULL */
	enum tristate dirty;	/* VOLUME_IS_DIRTY in $Volume */
	enum tristate hibernated; /* hiberfil.sys starts with hibr/HIBR */
	char hiberfil_magic[5];	/* first 4 bytes of hiberfil.sys, "" if none */
	enum ntfs_logfile logfile;
	unsigned logfile_ver_major, logfile_ver_minor; /* restart page version */
	enum tristate mftmirr_ok;	/* $MFTMirr matches the first $MFT records */
	enum ntfs_mirr mftmirr;		/* which copy is damaged, when they differ */
	char *mftmirr_detail;
	enum tristate bootsector_ok;	/* primary and backup boot sector agree */
	enum ntfs_bootcopies bootcopies;	/* which copy is damaged, when they differ */
	char *bootsector_detail;
	/* what could not be read although it should have been (a folder Windows
	 * needs, whose MFT record is damaged), in words; never "not there" */
	char **read_errors;
	size_t nread_errors;
	bool has_windows_dir;	/* \Windows is a folder (whatever can be read below it) */
	bool bs_primary_valid;	/* the primary boot sector is a valid NTFS one */
	bool bs_backup_valid;	/* a valid backup was found (at bs_backup_off) */
	uint64_t bs_backup_off;	/* bytes from the volume's start */
	bool bs_differ_more;	/* both valid, differing in more than the hidden sectors */
	int bs_hidden_side;	/* differing in the hidden sectors only: the copy naming the
				 * volume's start (1 primary, 2 backup), 0 neither (nb_hidden_side) */
	uint32_t hidden_sectors;	/* BPB 0x1C of the primary (when valid) */
	uint32_t hidden_sectors_backup;	/* ... of the backup (when valid) */
	bool has_windows;	/* \Windows\System32\config\SYSTEM */
	struct win_system *win;	/* what that hive says (probes/winreg.h); NULL: not read */
	char *win_error;	/* why it could not be read, in words */
	bool has_bootmgr;	/* \bootmgr */
	bool has_bcd;		/* \Boot\BCD (decoded in the volume's bcd) */
	bool has_winload_exe;	/* \Windows\System32\winload.exe (BIOS loader) */
	bool has_winload_efi;	/* \Windows\System32\winload.efi (UEFI loader) */
	bool has_pending_xml;	/* \Windows\WinSxS\pending.xml: updates wait for a restart */
};

/* What the running system does with a block device. */
struct usage {
	char **mountpoints;	/* where it is mounted (any namespace of this one) */
	size_t nmountpoints;
	bool mounted_rw;	/* at least one read-write mount */
	bool swap;		/* active swap area (/proc/swaps) */
	char **holders;		/* dm/md devices built on it (sysfs holders) */
	size_t nholders;
};

/* A filesystem or other content, on a partition or directly on a disk. */
struct volume {
	char *fstype;		/* libblkid TYPE ("ntfs", "vfat", "BitLocker"...) */
	char *label;
	char *uuid;
	char *version;
	char *usage;		/* libblkid USAGE: filesystem, crypto, raid, other */
	char *fs_error;		/* libblkid could not decide (ambivalent, I/O) */
	struct ntfs_state *ntfs;	/* NTFS only */
	/* A BCD store on the volume: \Boot\BCD (NTFS, through libntfs-3g) or
	 * \EFI\Microsoft\Boot\BCD (an ESP, through mtools); NULL when none. */
	char *bcd_file;		/* its path on the volume, as Windows writes it */
	struct bcd_store *bcd;	/* decoded (probes/bcd.h); NULL: not read */
	char *bcd_error;	/* why it could not be read, in words */
	/* an ESP's boot loaders: \EFI\Microsoft\Boot\bootmgfw.efi and the
	 * fallback \EFI\Boot\bootx64.efi (what firmware without a boot entry starts) */
	enum esp_file esp_bootmgfw, esp_fallback;
	struct usage use;
};

struct partition {
	char *name;		/* kernel name ("sda1"), NULL when the kernel has no node */
	char *path;		/* device node, NULL when the kernel has no node */
	unsigned major, minor;
	size_t number;		/* 1-based, as the kernel numbers it */
	uint64_t start, size;	/* bytes */
	char *parttype;		/* "0x7" (dos) or lower-case GUID (gpt) */
	char *parttype_name;	/* libfdisk's name for the type */
	char *partuuid;		/* GPT partition GUID, or dos "xxxxxxxx-NN" */
	char *partlabel;	/* GPT partition name */
	char *attrs;		/* GPT attribute bits as libfdisk names them */
	bool bootable;		/* dos active flag / legacy BIOS bootable */
	bool container;		/* dos extended partition */
	struct volume vol;
	enum part_role role;
	char *error;
};

struct freespace {
	uint64_t start, size;	/* bytes */
};

struct disk {
	size_t number;		/* the N of "Disk N" and disk:N: its place among every disk
				 * of this machine, the same whatever a view filters */
	char *name;		/* "sda" */
	char *path;		/* "/dev/sda" */
	unsigned major, minor;
	uint64_t size;		/* bytes */
	unsigned log_sector, phys_sector;
	char *model, *vendor, *serial;	/* trimmed, NULL where absent */
	char *transport;	/* "sata", "nvme", "virtio", "usb"..., or "virtual" */
	bool removable, readonly;
	char *loop_backing;	/* loop devices: backing file */

	char *pttype;		/* "dos", "gpt" or NULL (no partition table) */
	char *ptuuid;		/* dos id as 8 hex digits, or GPT disk GUID */
	char **pt_warnings;	/* what libfdisk warned about (e.g. GPT backup used) */
	size_t npt_warnings;
	struct partition *parts;
	size_t nparts;
	struct freespace *free;
	size_t nfree;

	struct volume vol;	/* a filesystem on the whole disk (no table) */
	enum part_role vol_role;	/* role of that whole-disk volume */
	struct mbr_state mbr;	/* sector 0 of a dos disk (or of one whose table lost its signature) */

	enum disk_role role;
	char *role_reason;	/* e.g. "/ is mounted from sda4" */
	char *error;
};

struct finding {
	enum severity severity;
	char *code;		/* stable: "signature-collision", "ntfs-dirty"... */
	char *device;		/* the device it is about, may be NULL */
	char *message;		/* one sentence, plain words */
	char *action;		/* the recommended next step */
};

struct inventory {
	struct disk *disks;
	size_t ndisks;
	struct finding *findings;
	size_t nfindings;
	char *error;		/* set when nothing could be listed at all */
};

struct probe_ctx {
	const char *sysroot;	/* prefix for /sys, /proc and /dev; NULL or "/" */
	char *const *only;	/* NULL, or the kernel names of the only disks to probe and list */
	size_t nonly;
};

/*
 * The kernel name of the disk spec names, for probe_ctx.only: "/dev/sdb",
 * "sdb", "disk:N" (as list numbers them), or a partition of it
 * ("/dev/sdb2": its disk). NULL with why in *err (both malloc'ed) when no
 * disk of this machine is meant.
 */
char *probes_disk_name(const struct probe_ctx *ctx, const char *spec, char **err);

/* Build a snapshot. Never NULL except on out-of-memory. */
struct inventory *probes_scan(const struct probe_ctx *ctx);
void inventory_free(struct inventory *inv);
/*
 * Whether two snapshots show the same disks the same way (numbers, nodes,
 * serials, tables, partitions, file systems, mounts, NTFS states): a screen
 * drawn from a and a plan made from b describe the same machine. filtered:
 * a shows some disks only (DISK...), each of which b must show alike.
 */
bool inventory_same(const struct inventory *a, const struct inventory *b, bool filtered);

/*
 * Why the node at path (as stat() found it) is not the kernel's block
 * device major:minor, or NULL when it is. Probes and actions use only
 * nodes that pass: a regular file at /dev/sdb (what a mistyped
 * `dd of=/dev/sdX` leaves) is never read as the disk. Caller frees.
 */
struct stat;
char *probes_node_error(const char *path, const struct stat *st, unsigned major, unsigned minor);

/* One mount of the running system as mountinfo shows it now. */
struct mount_info {
	char *target, *source, *fstype, *options;	/* options: the fs options */
	bool rw;
};

/*
 * The mount on exactly this target (the last one, which hides the
 * others), read from <sysroot>/proc/self/mountinfo with libmount. False
 * when nothing is mounted there. Free with mount_info_free().
 */
bool probes_mount_at(const struct probe_ctx *ctx, const char *target, struct mount_info *out);
void mount_info_free(struct mount_info *mi);

/* A process that uses a mounted file system, and how (in words). */
struct proc_use {
	int pid;
	char *comm;
	char *how;	/* "its current directory is there", "it has a file open there"... */
};

/*
 * The processes (this one too) whose current directory, root, program,
 * open files or mapped files are under dir, like fuser -m. Free with
 * proc_use_free().
 */
size_t probes_users_of(const struct probe_ctx *ctx, const char *dir, struct proc_use **out);
void proc_use_free(struct proc_use *u, size_t n);

/*
 * Damage visible without a checker: libntfs-3g could not read the volume
 * completely, $MFTMirr differs from $MFT, or the boot sectors differ. The
 * status words and the read-write rules both ask this.
 */
bool ntfs_damaged(const struct ntfs_state *n);
/*
 * A Windows installation: \Windows\System32\config\SYSTEM is there, or
 * \Windows is and what lies below it could not be read (a damaged MFT
 * record): Windows found, damaged, never "no Windows".
 */
bool ntfs_holds_windows(const struct ntfs_state *n);

/* Stable names used by the text view, the JSON and the man page. */
const char *disk_role_name(enum disk_role r);
const char *part_role_name(enum part_role r);
const char *ntfs_logfile_name(enum ntfs_logfile l);
const char *severity_name(enum severity s);
const char *mbr_code_name(enum mbr_code c);	/* "windows", "none", "not-code"... */
const char *esp_file_name(enum esp_file f);	/* "present", "missing"... */

#endif
