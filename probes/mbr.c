/*
 * mbr.c - sector 0 of a BIOS disk (mbr.h): its boot code recognised from
 * the bytes the loaders are known by, its lost table judged.
 *
 * The patterns are what each loader is known by, checked against the real
 * bytes: Windows' NT 6.x and NT 5.x relocation prologues (the part before
 * their language-dependent messages, as ms-sys keeps them), syslinux's
 * mbr.bin / altmbr.bin / gptmbr.bin and GRUB's boot.img as Debian ships
 * them (syslinux-common, grub-pc-bin), LILO's signature at byte 6, and the
 * three messages of the MS-DOS FDISK code that Windows 9x and many others
 * kept. What is none of them is judged by one rule: boot code reads the
 * disk through the BIOS (INT 13h, bytes CD 13), so 440 bytes without it
 * start nothing; with it, they are a loader we do not know, and only a
 * note. Random bytes hold CD 13 by chance once in about 150 sectors.
 */
#include "probes/mbr.h"
#include "probes/disk_layout.h"
#include "probes/ntfs_boot.h"
#include "lib/util.h"

#include <string.h>
#include <unistd.h>

const char *mbr_code_name(enum mbr_code c)
{
	static const char *const n[] = { "unread", "none", "not-code", "unknown", "windows",
					 "windows-nt5", "ms-dos", "grub", "syslinux", "syslinux-gpt",
					 "lilo" };
	return (unsigned)c < sizeof(n) / sizeof(n[0]) ? n[c] : "unknown";
}

const char *mbr_code_words(enum mbr_code c)
{
	switch (c) {
	case MBR_CODE_UNREAD: return "boot code that was not read";
	case MBR_CODE_NONE: return "no boot code (all zeros)";
	case MBR_CODE_NOT_CODE: return "bytes that are not boot code (they never read the disk)";
	case MBR_CODE_UNKNOWN: return "boot code winrescue does not recognise";
	case MBR_CODE_WINDOWS: return "Windows' boot code (Vista and later)";
	case MBR_CODE_WINDOWS_NT5: return "Windows' boot code (2000, XP, Server 2003)";
	case MBR_CODE_MSDOS: return "MS-DOS-style boot code";
	case MBR_CODE_GRUB: return "GRUB's boot code";
	case MBR_CODE_SYSLINUX: return "syslinux's boot code";
	case MBR_CODE_SYSLINUX_GPT: return "syslinux's GPT boot code";
	case MBR_CODE_LILO: return "LILO's boot code";
	}
	return "boot code";
}

bool mbr_code_boots(enum mbr_code c)
{
	return c >= MBR_CODE_UNKNOWN;
}

/* Whether the n bytes of pat occur in code[0..MBR_CODE_SIZE). */
static bool has(const uint8_t *code, const void *pat, size_t n)
{
	return memmem(code, MBR_CODE_SIZE, pat, n) != NULL;
}

static bool starts(const uint8_t *code, const uint8_t *pat, size_t n)
{
	return memcmp(code, pat, n) == 0;
}

enum mbr_code mbr_classify(const uint8_t *s)
{
	/* Windows NT 6.x: copy itself to 0:0600, far return to 0:061C */
	static const uint8_t nt6[] = { 0x33, 0xc0, 0x8e, 0xd0, 0xbc, 0x00, 0x7c, 0x8e, 0xc0, 0x8e,
				       0xd8, 0xbe, 0x00, 0x7c, 0xbf, 0x00, 0x06, 0xb9, 0x00, 0x02,
				       0xfc, 0xf3, 0xa4, 0x50, 0x68, 0x1c, 0x06, 0xcb };
	/* Windows NT 5.x: copy from 7C1B to 061B, far return */
	static const uint8_t nt5[] = { 0x33, 0xc0, 0x8e, 0xd0, 0xbc, 0x00, 0x7c, 0xfb, 0x50, 0x07,
				       0x50, 0x1f, 0xfc, 0xbe, 0x1b, 0x7c, 0xbf, 0x1b, 0x06, 0x50,
				       0x57, 0xb9, 0xe5, 0x01, 0xf3, 0xa4, 0xcb };
	/* syslinux mbr.S, altmbr.S, gptmbr.S: the same first instructions */
	static const uint8_t sl[] = { 0x33, 0xc0, 0xfa, 0x8e, 0xd8, 0x8e, 0xd0, 0xbc, 0x00, 0x7c,
				      0x89, 0xe6, 0x06, 0x57, 0x8e, 0xc0 };
	static const uint8_t int13[] = { 0xcd, 0x13 };
	const uint8_t *c = s;
	bool zero = true;

	for (size_t i = 0; i < MBR_CODE_SIZE && zero; i++)
		zero = c[i] == 0;
	if (zero)
		return MBR_CODE_NONE;
	if (!has(c, int13, sizeof(int13)))
		return MBR_CODE_NOT_CODE;
	if (starts(c, nt6, sizeof(nt6)))
		return MBR_CODE_WINDOWS;
	if (starts(c, nt5, sizeof(nt5)))
		return MBR_CODE_WINDOWS_NT5;
	if (starts(c, sl, sizeof(sl)))
		return has(c, "!GPT", 4) ? MBR_CODE_SYSLINUX_GPT : MBR_CODE_SYSLINUX;
	if (has(c, "GRUB ", 5) && has(c, "Geom", 4) && has(c, "Hard Disk", 9))
		return MBR_CODE_GRUB;
	if (memcmp(c + 6, "LILO", 4) == 0)
		return MBR_CODE_LILO;
	if (has(c, "Invalid partition table", 23) && has(c, "Missing operating system", 24))
		return MBR_CODE_MSDOS;
	return MBR_CODE_UNKNOWN;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

bool mbr_entries_fit(const uint8_t *s, uint64_t disk_sectors, struct mbr_entry e[4])
{
	size_t used = 0;

	memset(e, 0, MBR_ENTRIES * sizeof(*e));
	for (int i = 0; i < MBR_ENTRIES; i++) {
		const uint8_t *p = s + MBR_TABLE + i * MBR_ENTRY_SIZE;
		e[i].status = p[MBR_ENTRY_STATUS];
		e[i].type = p[MBR_ENTRY_TYPE];
		e[i].lba = le32(p + MBR_ENTRY_LBA);
		e[i].sectors = le32(p + MBR_ENTRY_SECTORS);
		if (e[i].status != 0 && e[i].status != MBR_STATUS_ACTIVE)
			return false;
		if (!e[i].type)
			continue;
		if (!e[i].lba || !e[i].sectors || (uint64_t)e[i].lba + e[i].sectors > disk_sectors)
			return false;
		for (int k = 0; k < i; k++)
			if (e[k].type && e[k].lba < (uint64_t)e[i].lba + e[i].sectors &&
			    e[i].lba < (uint64_t)e[k].lba + e[k].sectors)
				return false;
		used++;
	}
	return used > 0;
}

void mbr_probe(struct disk *d, int fd)
{
	uint8_t s[MBR_SECTOR], bs[512];
	unsigned ss = d->log_sector ? d->log_sector : 512;
	bool any_ntfs = false;

	memset(&d->mbr, 0, sizeof(d->mbr));
	if (pread(fd, s, sizeof(s), 0) != (ssize_t)sizeof(s))
		return;
	d->mbr.read = true;
	d->mbr.code = mbr_classify(s);
	d->mbr.signature = s[MBR_SIGNATURE] == 0x55 && s[MBR_SIGNATURE + 1] == 0xaa;
	if (d->mbr.signature || !mbr_entries_fit(s, d->size / ss, d->mbr.e))
		return;
	/* a table that fits, without its signature: is one of them NTFS? */
	for (int i = 0; i < MBR_ENTRIES; i++) {
		struct nb_geometry g;
		if (!d->mbr.e[i].type ||
		    pread(fd, bs, sizeof(bs), (off_t)((uint64_t)d->mbr.e[i].lba * ss)) != (ssize_t)sizeof(bs))
			continue;
		d->mbr.e[i].ntfs = nb_parse(bs, &g) == 0;
		any_ntfs |= d->mbr.e[i].ntfs;
	}
	d->mbr.lost_table = any_ntfs;
}
