/*
 * findings.c - what the snapshot means for the person at the console:
 * per-volume NTFS states and snapshot-wide problems (two disks with the
 * same signature, cloned volumes, no Windows disk), each with a stable
 * code, one plain sentence and the next step.
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
	return n->error || n->truncated || n->mftmirr_ok == TRI_NO || n->bootsector_ok == TRI_NO;
}

/* "/dev/sda2", or "Disk 1 partition 2" when the kernel has no node for it. */
static char *part_ref(size_t di, const struct partition *p)
{
	return p->path ? xstrdup(p->path) : xasprintf("Disk %zu partition %zu", di, p->number);
}

static void ntfs_findings(struct inventory *inv, const char *dev, const struct ntfs_state *n)
{
	if (n->error)
		findings_add(inv, SEV_ERROR, "ntfs-unreadable", dev,
			     "Copy what can be read off with a read-only mount (winrescue mount); repair "
			     "it with chkdsk /f in Windows; do not mount it read-write.",
			     "The NTFS volume on %s cannot be read completely: %s.", dev, n->error);
	if (n->truncated)
		findings_add(inv, SEV_ERROR, "ntfs-truncated", dev,
			     "Attach the whole disk or image (a shrunk partition or a short copy loses "
			     "the volume's end); copy the data off with a read-only mount.",
			     "The NTFS volume on %s is truncated: its boot sector says it needs "
			     "%" PRIu64 " bytes, the device holds %" PRIu64 ".", dev,
			     n->claimed_bytes + n->sector_size, n->device_bytes);
	if (n->opened && n->hibernated == TRI_UNKNOWN)
		findings_add(inv, SEV_WARNING, "ntfs-hibernation-unknown", dev,
			     "Treat it as hibernated: mount it read-only until Windows has been shut "
			     "down fully.",
			     "Whether Windows on %s is hibernated cannot be told: hiberfil.sys is there "
			     "but cannot be read.", dev);
	if (n->hibernated == TRI_YES)
		findings_add(inv, SEV_ERROR, "ntfs-hibernated", dev,
			     "Boot Windows and shut it down fully (Fast Startup off), or accept "
			     "losing the hibernated session before writing to this volume.",
			     "Windows on %s is hibernated (hiberfil.sys is in use); writing to the "
			     "volume now would be lost or corrupt it when Windows resumes.", dev);
	if (n->logfile == NTFS_LOGFILE_FAST_RESTART)
		findings_add(inv, SEV_WARNING, "ntfs-fast-restart", dev,
			     "Mount it read-only; to write, shut Windows down fully or accept "
			     "losing the metadata Windows kept cached.",
			     "%s was shut down with Fast Startup: Windows keeps file system "
			     "metadata cached in memory for its next start.", dev);
	else if (n->logfile == NTFS_LOGFILE_UNCLEAN)
		findings_add(inv, SEV_WARNING, "ntfs-unclean-log", dev,
			     "Mount it read-only (winrescue mount); let Windows replay the journal "
			     "at its next start (or run chkdsk /f).",
			     "The journal ($LogFile) on %s was not closed cleanly: Windows crashed "
			     "or lost power with changes not yet written.", dev);
	if (n->dirty == TRI_YES)
		findings_add(inv, SEV_WARNING, "ntfs-dirty", dev,
			     "Nothing to do first: it mounts read-only, or read-write with a warning; "
			     "Windows runs chkdsk at its next start.",
			     "The NTFS volume on %s is marked dirty: Windows will check it at its "
			     "next start.", dev);
	if (n->mftmirr_ok == TRI_NO)
		findings_add(inv, SEV_ERROR, "ntfs-mftmirr-mismatch", dev,
			     "Copy the data off first (winrescue mount, read-only), then repair it with "
			     "chkdsk /f in Windows.",
			     "%s: %s.", dev, n->mftmirr_detail ? n->mftmirr_detail
							       : "$MFTMirr does not match $MFT");
	if (n->bootsector_ok == TRI_NO)
		findings_add(inv, SEV_WARNING, "ntfs-bootsector-mismatch", dev,
			     "Repair it with chkdsk /f in Windows; the intact copy is kept.",
			     "%s: %s.", dev, n->bootsector_detail ? n->bootsector_detail
								  : "the boot sectors differ");
}

static void volume_findings(struct inventory *inv, const char *dev, const struct volume *v,
			    const char *error)
{
	if (error)
		findings_add(inv, SEV_ERROR, "probe-error", dev,
			     "Check the disk in the provider's console; the other disks are listed.",
			     "%s could not be probed: %s.", dev, error);
	else if (v->fs_error)
		findings_add(inv, SEV_WARNING, "probe-error", dev,
			     "Run 'blkid -p' on it for the details; nothing was written.",
			     "The content of %s could not be identified: %s.", dev, v->fs_error);
	if (v->fstype && strcmp(v->fstype, "BitLocker") == 0)
		findings_add(inv, SEV_WARNING, "bitlocker-locked", dev,
			     "Have the BitLocker recovery key ready; winrescue cannot read the "
			     "volume without unlocking it.",
			     "%s is encrypted with BitLocker; its files and state cannot be seen.", dev);
	if (v->ntfs)
		ntfs_findings(inv, dev, v->ntfs);
}

static const char *disk_kind_id(const struct disk *d)
{
	return strcmp(d->pttype, "gpt") == 0 ? "GPT disk GUID" : "MBR disk signature";
}

void findings_build(struct inventory *inv)
{
	size_t windows = 0, system_disks = 0;
	char *first_windows = NULL;

	for (size_t i = 0; i < inv->ndisks; i++) {
		struct disk *d = &inv->disks[i];

		/* an unreadable rescue disk is not in the way: say so quietly */
		if (d->error)
			findings_add(inv, d->role == DISK_ROLE_RESCUE ? SEV_INFO : SEV_ERROR,
				     "probe-error", d->path,
				     "Check the disk in the provider's console; the other disks are listed.",
				     "Disk %zu (%s) could not be probed: %s.", i, d->path, d->error);
		for (size_t w = 0; w < d->npt_warnings; w++)
			findings_add(inv, SEV_WARNING, "pt-warning", d->path,
				     "Back up the disk before changing its partition table.",
				     "Disk %zu (%s): %s", i, d->path, d->pt_warnings[w]);
		if (d->role == DISK_ROLE_SYSTEM)
			system_disks++;
		volume_findings(inv, d->path, &d->vol, NULL);
		if (d->vol_role == PART_ROLE_WINDOWS && d->role != DISK_ROLE_RESCUE)
			windows++;
		for (size_t j = 0; j < d->nparts; j++) {
			struct partition *p = &d->parts[j];
			char *ref = part_ref(i, p);
			volume_findings(inv, ref, &p->vol, p->error);
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
				     i, a->path, j, b->path, disk_kind_id(a), a->ptuuid);
			free(next);
			break;
		}
	}

	/* Two NTFS volumes with one serial number: a cloned volume. One finding per copy. */
	struct { const char *dev; uint64_t serial; } *vols = NULL;
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
				findings_add(inv, SEV_WARNING, "duplicate-serial", dev,
					     "Keep only one of them attached when Windows boots.",
					     "%s and %s are NTFS volumes with the same serial "
					     "number %016" PRIx64 ": one is a copy of the other.",
					     vols[k].dev, dev, v->ntfs->serial);
				continue;
			}
			vols = xrealloc(vols, nvols + 1, sizeof(*vols));
			vols[nvols].dev = dev;
			vols[nvols++].serial = v->ntfs->serial;
		}
	}
	free(vols);

	if (system_disks == 0)
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
