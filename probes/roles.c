/*
 * roles.c - what a partition and a disk are for, in Disk Management's
 * terms. Pure functions of what the probes found, so the rules are easy to
 * read and to test.
 */
#include "probes/probes.h"
#include "lib/util.h"

#include <string.h>
#include <strings.h>

#define GUID_ESP	"c12a7328-f81f-11d2-ba4b-00a0c93ec93b"
#define GUID_MSR	"e3c9e316-0b5c-4db8-817d-f92df00215ae"
#define GUID_WINRE	"de94bba4-06d1-4d40-a16a-bfd50179d6ac"
#define GUID_SWAP	"0657fd6d-a4ab-43c4-84e5-0933c84b4f4f"

static bool type_is(const char *parttype, const char *a, const char *b)
{
	if (!parttype)
		return false;
	return (a && strcasecmp(parttype, a) == 0) || (b && strcasecmp(parttype, b) == 0);
}

static bool fs_is(const struct volume *v, const char *t)
{
	return v->fstype && strcmp(v->fstype, t) == 0;
}

enum part_role roles_partition(const char *parttype, const struct volume *v)
{
	const struct ntfs_state *n = v->ntfs;

	if (fs_is(v, "BitLocker"))
		return PART_ROLE_BITLOCKER;
	if (n && ntfs_holds_windows(n))
		return PART_ROLE_WINDOWS;
	if (fs_is(v, "swap") || type_is(parttype, "0x82", GUID_SWAP))
		return PART_ROLE_SWAP;
	if (type_is(parttype, "0xef", GUID_ESP))
		return PART_ROLE_ESP;
	if (type_is(parttype, GUID_MSR, NULL))
		return PART_ROLE_MSR;
	if (type_is(parttype, "0x27", GUID_WINRE))
		return PART_ROLE_RECOVERY;
	if (n && n->has_bootmgr && n->has_bcd)
		return PART_ROLE_BOOT;
	if (n || fs_is(v, "ntfs") || fs_is(v, "vfat") || fs_is(v, "exfat") || fs_is(v, "refs"))
		return PART_ROLE_DATA;
	return PART_ROLE_OTHER;
}

enum disk_role roles_disk(const struct disk *d, bool rescue)
{
	bool windows = d->vol_role == PART_ROLE_WINDOWS, bitlocker = false, boot = false;
	bool data = d->vol_role == PART_ROLE_DATA;

	if (rescue || fs_is(&d->vol, "iso9660"))
		return DISK_ROLE_RESCUE;
	for (size_t i = 0; i < d->nparts; i++) {
		switch (d->parts[i].role) {
		case PART_ROLE_WINDOWS: windows = true; break;
		case PART_ROLE_BITLOCKER: bitlocker = true; break;
		case PART_ROLE_BOOT: case PART_ROLE_ESP: case PART_ROLE_RECOVERY:
			boot = true; break;
		case PART_ROLE_DATA: case PART_ROLE_MSR: data = true; break;
		default: break;
		}
		if (fs_is(&d->parts[i].vol, "iso9660"))
			return DISK_ROLE_RESCUE;
	}
	/* a locked BitLocker C: next to Windows boot partitions is still the system disk */
	if (windows || (bitlocker && boot))
		return DISK_ROLE_SYSTEM;
	if (data || bitlocker || boot)
		return DISK_ROLE_DATA;
	return DISK_ROLE_UNKNOWN;
}

/* The partition whose device node is path, and its disk; NULL when none. */
static struct partition *part_at(struct inventory *inv, const char *path, struct disk **d)
{
	for (size_t i = 0; path && i < inv->ndisks; i++)
		for (size_t k = 0; k < inv->disks[i].nparts; k++)
			if (inv->disks[i].parts[k].path && strcmp(inv->disks[i].parts[k].path, path) == 0) {
				*d = &inv->disks[i];
				return &inv->disks[i].parts[k];
			}
	return NULL;
}

void roles_from_boot(struct inventory *inv)
{
	for (size_t i = 0; i < inv->ndisks; i++) {
		if (inv->disks[i].role == DISK_ROLE_RESCUE)
			continue;
		for (size_t k = 0; k <= inv->disks[i].nparts; k++) {
			const struct volume *v = k < inv->disks[i].nparts ? &inv->disks[i].parts[k].vol
									  : &inv->disks[i].vol;
			for (size_t e = 0; v->bcd && e < v->bcd->n; e++) {
				const struct bcd_entry *x = &v->bcd->e[e];
				struct disk *d;
				struct partition *p;
				if (x->type != BCD_TYPE_OSLOADER || !x->has_osdevice ||
				    !(p = part_at(inv, x->osdevice.present, &d)) || !p->vol.ntfs ||
				    p->role == PART_ROLE_WINDOWS || p->role == PART_ROLE_BITLOCKER ||
				    d->role == DISK_ROLE_RESCUE)
					continue;
				p->role = PART_ROLE_WINDOWS;
				d->role = roles_disk(d, false);
			}
		}
	}
}
