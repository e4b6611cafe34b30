/*
 * findings.c - what the snapshot as a whole means for the person at the
 * console: problems between disks (two disks with the same signature,
 * cloned volumes, no Windows disk) and disks that could not be read, each
 * with a stable code, one plain sentence and the next step. What each
 * volume's state means is decided in actions/verdict.c.
 */
#include "probes/probes.h"
#include "lib/util.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void findings_add(struct inventory *inv, enum severity sev, const char *code,
		  const char *device, const char *action, const char *fmt, ...)
{
	struct finding *f;
	va_list ap;

	inv->findings = xrealloc(inv->findings, inv->nfindings + 1, sizeof(*inv->findings));
	f = &inv->findings[inv->nfindings++];
	f->severity = sev;
	f->code = xstrdup(code);
	f->device = xstrdup(device);
	f->action = xstrdup(action);
	va_start(ap, fmt);
	f->message = xvasprintf(fmt, ap);
	va_end(ap);
}

bool ntfs_damaged(const struct ntfs_state *n)
{
	return n->error || n->truncated || n->mftmirr_ok == TRI_NO || n->bootsector_ok == TRI_NO ||
	       n->nread_errors;
}

bool ntfs_holds_windows(const struct ntfs_state *n)
{
	return n->has_windows || (n->has_windows_dir && n->nread_errors);
}

/* An NTFS volume that might hold Windows although no SYSTEM hive was found there. */
static bool may_hold_windows(const struct volume *v)
{
	return v->ntfs && (ntfs_holds_windows(v->ntfs) || !v->ntfs->opened || v->ntfs->nread_errors);
}

static const char *disk_kind_id(const struct disk *d)
{
	return strcmp(d->pttype, "gpt") == 0 ? "GPT disk GUID" : "MBR disk signature";
}

/* "/dev/sda2", or "Disk 1 partition 2" when the kernel has no node for it. */
static char *part_ref(const struct disk *d, const struct partition *p)
{
	return p->path ? xstrdup(p->path) : xasprintf("Disk %zu partition %zu", d->number, p->number);
}

void findings_build(struct inventory *inv)
{
	size_t windows = 0, system_disks = 0;
	char *first_windows = NULL;

	for (size_t i = 0; i < inv->ndisks; i++) {
		struct disk *d = &inv->disks[i];

		/* an unreadable rescue disk is not in the way: say so quietly; a disk
		 * without partitions is its own volume, whose verdict says it */
		if (d->error && d->nparts)
			findings_add(inv, d->role == DISK_ROLE_RESCUE ? SEV_INFO : SEV_ERROR,
				     "probe-error", d->path,
				     "Check the disk in the provider's console; the other disks are listed.",
				     "Disk %zu (%s) could not be probed: %s.", d->number, d->path, d->error);
		/* a table whose 0x55AA is gone: no partitions for the kernel, never "empty" */
		if (d->mbr.lost_table && d->role != DISK_ROLE_RESCUE) {
			char *next = xasprintf("'winrescue fix-boot %s' writes the two signature bytes back "
					       "(only bytes 510-511 change); an undo file keeps what it "
					       "overwrites. 'winrescue diagnose %s' says the rest of its "
					       "boot.", d->path, d->path);
			findings_add(inv, SEV_ERROR, "mbr-signature-missing", d->path, next,
				     "The MBR of Disk %zu (%s) has lost its 0x55AA signature: Linux, "
				     "libfdisk and the BIOS see no partitions, though its table still "
				     "names them, one holding NTFS.", d->number, d->path);
			free(next);
		}
		for (size_t w = 0; w < d->npt_warnings; w++)
			findings_add(inv, SEV_WARNING, "pt-warning", d->path,
				     "Back up the disk before changing its partition table.",
				     "Disk %zu (%s): %s", d->number, d->path, d->pt_warnings[w]);
		if (d->role == DISK_ROLE_SYSTEM)
			system_disks++;
		if (d->vol_role == PART_ROLE_WINDOWS && d->role != DISK_ROLE_RESCUE)
			windows++;
		for (size_t j = 0; j < d->nparts; j++) {
			struct partition *p = &d->parts[j];
			char *ref = part_ref(d, p);
			if (p->role == PART_ROLE_WINDOWS && d->role != DISK_ROLE_RESCUE) {
				if (!windows++)
					first_windows = xstrdup(ref);
			}
			free(ref);
		}
	}

	/*
	 * Two disks with one identity: Windows renames one, the BCD then points
	 * nowhere. One finding per copy, naming the first disk with that id;
	 * an all-zero id means "none yet" to Windows and is not a collision.
	 */
	for (size_t j = 0; j < inv->ndisks; j++) {
		struct disk *b = &inv->disks[j];
		if (!b->ptuuid || !b->pttype || strspn(b->ptuuid, "0-") == strlen(b->ptuuid))
			continue;
		for (size_t i = 0; i < j; i++) {
			struct disk *a = &inv->disks[i];
			if (!a->ptuuid || !a->pttype || strcmp(a->pttype, b->pttype) ||
			    strcmp(a->ptuuid, b->ptuuid))
				continue;
			/* the copy is the one that is not the Windows disk, when that can be told */
			const struct disk *copy = a->role == DISK_ROLE_SYSTEM && b->role != DISK_ROLE_SYSTEM
				? b : b->role == DISK_ROLE_SYSTEM && a->role != DISK_ROLE_SYSTEM ? a : NULL;
			char *next = copy ? xasprintf("Detach %s (the copy) before Windows boots, or give "
						      "it (not the Windows disk) a new identity.",
						      copy->path)
					  : xstrdup("Detach the copy before Windows boots, or give the "
						    "copy (not the Windows disk) a new identity.");
			findings_add(inv, SEV_ERROR, "signature-collision", b->path, next,
				     "Disk %zu (%s) and Disk %zu (%s) have the same %s %s. Windows "
				     "gives one of them a new one; a BCD that names the old one then "
				     "points nowhere and Windows stops at winload.exe with 0xc000000e.",
				     a->number, a->path, b->number, b->path, disk_kind_id(a), a->ptuuid);
			free(next);
			break;
		}
	}

	/* Two NTFS volumes with one serial number: a cloned volume. One finding per copy. */
	struct { const char *dev; uint64_t serial, size; } *vols = NULL;
	size_t nvols = 0;
	for (size_t i = 0; i < inv->ndisks; i++) {
		struct disk *d = &inv->disks[i];
		for (size_t j = 0; j <= d->nparts; j++) {
			const struct volume *v = j < d->nparts ? &d->parts[j].vol : &d->vol;
			const char *dev = j < d->nparts ? d->parts[j].path : d->path;
			size_t k;
			if (!v->ntfs || !v->ntfs->serial || !dev)
				continue;
			for (k = 0; k < nvols && vols[k].serial != v->ntfs->serial; k++)
				;
			if (k < nvols) {
				char a[32], b[32];
				/* a copy is the same size; a volume grown or shrunk since was cloned */
				if (vols[k].size == v->ntfs->total)
					findings_add(inv, SEV_WARNING, "duplicate-serial", dev,
						     "Keep only one of them attached when Windows boots.",
						     "%s and %s are NTFS volumes with the same serial "
						     "number %016" PRIx64 " and size: one is a copy of the "
						     "other.", vols[k].dev, dev, v->ntfs->serial);
				else
					findings_add(inv, SEV_WARNING, "duplicate-serial", dev,
						     "Keep only one of them attached when Windows boots.",
						     "%s (%s) and %s (%s) are NTFS volumes with the same "
						     "serial number %016" PRIx64 ": one was cloned from the "
						     "other, then resized.", vols[k].dev,
						     size_human(vols[k].size, a, sizeof(a)), dev,
						     size_human(v->ntfs->total, b, sizeof(b)), v->ntfs->serial);
				continue;
			}
			vols = xrealloc(vols, nvols + 1, sizeof(*vols));
			vols[nvols].dev = dev;
			vols[nvols].size = v->ntfs->total;
			vols[nvols++].serial = v->ntfs->serial;
		}
	}
	free(vols);

	/* "no Windows" only when every NTFS volume could be read and none holds it */
	bool unsure = false;
	for (size_t i = 0; i < inv->ndisks; i++)
		for (size_t k = 0; k <= inv->disks[i].nparts; k++)
			unsure |= inv->disks[i].role != DISK_ROLE_RESCUE &&
				  may_hold_windows(k < inv->disks[i].nparts ? &inv->disks[i].parts[k].vol
									    : &inv->disks[i].vol);
	if (system_disks == 0 && !unsure)
		findings_add(inv, SEV_WARNING, "no-windows-disk", NULL,
			     "Check in the provider's console that the Windows disk is attached to "
			     "the rescue server.",
			     "No attached disk holds a Windows installation "
			     "(\\Windows\\System32\\config\\SYSTEM).");
	if (windows > 1)
		findings_add(inv, SEV_WARNING, "multiple-windows", first_windows,
			     "Make sure you act on the right one: compare labels, sizes and disks.",
			     "%zu Windows installations are attached.", windows);
	free(first_windows);
}
