/*
 * bcd.h - the Windows Boot Configuration Data store (a registry hive), read
 * with hivex: the boot manager, every OS loader and resume entry, and the
 * devices they name, decoded so that they can be matched to the disks that
 * are attached (issue: diagnose and fix-boot).
 *
 * Objects\{GUID}\Description\Type is the object's type; its elements are
 * Objects\{GUID}\Elements\XXXXXXXX\Element, XXXXXXXX the element type:
 * class in bits 28-31 (1 library, 2 application, 3 device), format in bits
 * 24-27 (1 device, 2 string, 3 object, 4 object list, 5 integer, 6 boolean),
 * then the subtype; an application element's meaning depends on the
 * object's application (23000003 is the boot manager's default entry, an
 * OS loader's resume object).
 */
#ifndef WINRESCUE_BCD_H
#define WINRESCUE_BCD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Element types read here. */
#define BCD_LIB_DEVICE		0x11000001u	/* device: where the application file is */
#define BCD_LIB_PATH		0x12000002u	/* path of the application */
#define BCD_LIB_DESCRIPTION	0x12000004u
#define BCD_LIB_RECOVERY	0x16000009u	/* recoveryenabled */
#define BCD_LIB_BOOTEMS		0x16000020u	/* bootems */
#define BCD_OS_OSDEVICE		0x21000001u	/* osdevice: where Windows is */
#define BCD_OS_SYSTEMROOT	0x22000002u
#define BCD_MGR_DEFAULT		0x23000003u	/* boot manager: the default entry */
#define BCD_OS_RESUMEOBJECT	0x23000003u	/* OS loader: its resume entry */
#define BCD_MGR_DISPLAYORDER	0x24000001u
#define BCD_OS_SAFEBOOT		0x25000080u
#define BCD_OS_BOOTSTATUS	0x250000e0u	/* bootstatuspolicy */
#define BCD_OS_EMS		0x260000b0u	/* ems */

/* Object types (Description\Type). */
#define BCD_TYPE_BOOTMGR	0x10100002u
#define BCD_TYPE_FWBOOTMGR	0x10100001u
#define BCD_TYPE_OSLOADER	0x10200003u
#define BCD_TYPE_RESUME		0x10200004u

enum bcd_dev_kind {
	BCD_DEV_UNKNOWN = 0,	/* a type this decoder does not know (raw type kept) */
	BCD_DEV_GPT,		/* a partition of a GPT disk: partition and disk GUIDs */
	BCD_DEV_MBR,		/* a partition of an MBR disk: byte offset and disk signature */
	BCD_DEV_BOOT,		/* "boot": the device the boot manager started from */
	BCD_DEV_LOCATE,		/* "locate": found by searching for the path */
	BCD_DEV_RAMDISK,	/* a ramdisk or file (WinRE's boot.wim, a VHD) */
};

struct bcd_device {
	enum bcd_dev_kind kind;
	uint32_t type;			/* the raw device type */
	uint32_t local_type, style;	/* a qualified partition's local device type and style, raw */
	uint8_t part_guid[16];		/* GPT, as stored (mixed-endian) */
	uint8_t disk_guid[16];
	uint64_t part_offset;		/* MBR: bytes from the disk's start */
	uint32_t disk_signature;	/* MBR */
	char *present;			/* the partition it names among the disks listed (the scan fills it) */
	bool disk_listed;		/* the disk it names is listed (present NULL: no partition there) */
};

/* The strings are as the store holds them (UTF-8 from hivex): not made safe for a terminal. */
struct bcd_entry {
	char *id;			/* "{9dea862c-5cdd-4e70-acc1-f32b344d4795}" */
	uint32_t type;			/* Description\Type */
	char *description;
	char *path;			/* \Windows\system32\winload.efi */
	char *systemroot;		/* OS loader: \Windows */
	bool has_device, has_osdevice;
	struct bcd_device device, osdevice;
	char *default_id;		/* boot manager: default; OS loader: resume object */
	char **order;			/* boot manager: displayorder */
	size_t norder;
	int safeboot;			/* -1 not set; else the value (0 minimal, 1 network, 2 dsrepair) */
	int bootstatuspolicy;		/* -1 not set */
	int recovery;			/* -1 not set, 0, 1 */
	int ems;			/* -1 not set, 0, 1 */
};

struct bcd_store {
	struct bcd_entry *e;
	size_t n;
	uint32_t seq_primary, seq_secondary;	/* the hive header's sequence numbers */
	bool dirty;				/* they differ: changes still in BCD.LOG* */
};

/*
 * Read a BCD store from a hive file. 0, or -1 with why in *err (words,
 * naming the file; hivex's own messages never reach the screen).
 */
int bcd_read_file(const char *path, struct bcd_store *s, char **err);
void bcd_free(struct bcd_store *s);

/* The entry with this id (case-insensitive), or NULL. */
const struct bcd_entry *bcd_find(const struct bcd_store *s, const char *id);

/* Where a device points, in words ("GPT partition ... of disk ...: /dev/sdb3"). Caller frees. */
char *bcd_device_words(const struct bcd_device *d);
/* The same without where it is found ("MBR disk a5d76409, partition at 101.0 MiB"). Caller frees. */
char *bcd_device_name(const struct bcd_device *d);

/* "Windows Boot Manager", "Windows OS loader", "resume from hibernation"... */
const char *bcd_type_name(uint32_t type);

/*
 * Decode a device element (11000001, 21000001): NULL, or why it cannot be
 * decoded (too short, sizes that do not fit). Bounds-checked: fuzzed.
 */
const char *bcd_decode_device(const uint8_t *p, size_t len, struct bcd_device *d);

/*
 * Rewrite a qualified partition device element in place (len bytes as the
 * store holds it) to name d, a GPT or an MBR partition, whatever it named
 * before: only the identity fields and the style change. NULL, or why it
 * cannot be (the legacy form and every other device are refused).
 */
const char *bcd_encode_device(uint8_t *p, size_t len, const struct bcd_device *d);

/* Whether two decoded devices name the same GPT or MBR partition. */
bool bcd_device_same(const struct bcd_device *a, const struct bcd_device *b);

/* An MBR partition's byte offset in words: "101.0 MiB", its byte too when not whole MiB. */
const char *bcd_offset_words(uint64_t off, char *buf, size_t len);
/* A GUID as stored (first three fields little-endian) in its text form, lower case. */
void bcd_guid_text(const uint8_t g[16], char out[37]);
/* The reverse: text ("0b2394a9-095e-...") to the stored form; false when it is not a GUID. */
bool bcd_guid_parse(const char *s, uint8_t g[16]);

#endif
