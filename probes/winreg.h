/*
 * winreg.h - what a Windows installation's SYSTEM hive says about itself,
 * read with hivex from a copy of the hive (issue: diagnose and fix-boot):
 * the control sets (Select), the computer name, the last shutdown, Fast
 * Startup, the drive letters (MountedDevices: an MBR signature and byte
 * offset, or a GPT partition GUID), and whether changes still wait in the
 * hive's transaction logs (its two sequence numbers differ).
 */
#ifndef WINRESCUE_WINREG_H
#define WINRESCUE_WINREG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum win_letter_kind {
	WIN_LETTER_MBR = 0,	/* 4-byte disk signature + 8-byte partition offset */
	WIN_LETTER_GPT,		/* "DMIO:ID:" + partition GUID */
	WIN_LETTER_OTHER,	/* a device path (a CD-ROM, a USB stick): text */
};

struct win_letter {
	char letter;			/* 'C' */
	enum win_letter_kind kind;
	uint32_t mbr_signature;
	uint64_t mbr_offset;		/* bytes */
	uint8_t part_guid[16];		/* as stored (mixed-endian) */
	char *device;			/* WIN_LETTER_OTHER: the device path, made safe */
	char *present;			/* the attached partition it names (the scan fills it), or NULL */
};

struct win_system {
	unsigned current, default_set, last_known_good, failed;	/* Select; 0: not set */
	bool controlset_missing;	/* Select\Current names a control set that is not there */
	char *computer_name;
	int64_t shutdown_time;		/* Unix seconds; 0: not known */
	int hiberboot;			/* Fast Startup: 1 on, 0 off, -1 not set (on by default) */
	struct win_letter *letters;
	size_t nletters;
	uint32_t seq_primary, seq_secondary;	/* the hive header's sequence numbers */
	bool dirty;			/* they differ: changes still in .LOG1/.LOG2 */
	bool pending_renames;		/* Session Manager\PendingFileRenameOperations: files an update replaces at the next start */
	/* From the SOFTWARE hive (winreg_read_software); NULL when not read. Made safe. */
	char *product_name;		/* "Windows Server 2019 Datacenter" */
	char *edition;			/* EditionID: "ServerDatacenter" */
	char *version;			/* "10.0", "6.1" */
	char *build;			/* "17763.4010" (CurrentBuildNumber.UBR) */
	char *display_version;		/* "22H2" (DisplayVersion, else ReleaseId), or a service pack */
	bool reboot_pending;		/* Component Based Servicing\RebootPending or WindowsUpdate's RebootRequired */
	char *software_error;		/* why the SOFTWARE hive was not read, in words */
};

/*
 * Read a SYSTEM hive file. 0, or -1 with why in *err (words naming the
 * file; hivex's own messages never reach the screen). Free with
 * win_system_free() either way.
 */
int winreg_read_system(const char *path, struct win_system *w, char **err);
void win_system_free(struct win_system *w);
/*
 * Read the product facts of a SOFTWARE hive file into w (which
 * winreg_read_system filled). 0, or -1 with why in *err (as above).
 */
int winreg_read_software(const char *path, struct win_system *w, char **err);

/*
 * The regf header's two sequence numbers of a hive file: false when it is
 * not a hive. They differ while changes wait in its .LOG files.
 */
bool winreg_hive_seq(const char *path, uint32_t *primary, uint32_t *secondary);
/* A drive letter in words, as every view says it ("C: MBR disk 5cbea03e, partition at 1.0 MiB: /dev/sdb1"). */
char *winreg_letter_words(const struct win_letter *l);

/* Decode one MountedDevices value for a drive letter; false when its form is unknown. */
bool winreg_decode_letter(const uint8_t *p, size_t len, struct win_letter *l);

#endif
