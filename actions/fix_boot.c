/*
 * fix_boot.c - `fix-boot [DISK]`: resolve a bcd-device-mismatch by putting
 * back the disk identity the BCD store expects (a GPT disk GUID, and a
 * partition GUID that changed with it; or an MBR disk signature), as the
 * diagnosis planned it (actions/diagnose.c). That is what Windows itself
 * changed when it found two disks with one identity; the BCD, the
 * partitions and the data stay as they are.
 *
 * libfdisk makes the change, on a sparse memory copy of the disk's first
 * and last MiB (where a partition table lives): the sectors that differ
 * afterwards are exactly what will be written, and they may differ only
 * in the identity's own fields (disk_layout.h). They are saved to an undo
 * file first (undo.h), then written to the disk opened O_EXCL, then the
 * disk is diagnosed again. `winrescue undo FILE` puts the old identity back.
 *
 * --rewrite-bcd changes the store instead (when another disk holds the
 * identity): its device elements that name the old disk, rewritten in
 * place by bcd.c's encoder, the store's clusters located through
 * libntfs-3g or mtools and checked against the file, only the changed
 * sectors written after the undo file and a copy of the whole store.
 *
 * On a disk without an identity to put back, it mends the BIOS boot chain
 * the diagnosis lists (bootchain.c): standard boot code in the MBR's first
 * 440 bytes (syslinux's mbr.bin, mbr_code.c; --mbr-code writes it whatever
 * is there), the 0x55AA signature, the active flag (through libfdisk, on a
 * memory copy, only the entries' flag bytes allowed to change), the hidden
 * sectors of NTFS boot sectors (4 bytes in each valid copy). Each sector is
 * compared before and after: nothing else may differ.
 */
#include "actions/action.h"
#include "actions/diagnose.h"
#include "actions/undo.h"
#include "lib/util.h"
#include "probes/probes.h"
#include "probes/disk_layout.h"
#include "probes/mbr.h"
#include "probes/ntfs_boot.h"
#include "probes/ntfs_layout.h"
#include "probes/worker.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <hivex.h>
#include <iconv.h>
#include <json-c/json.h>
#include <libfdisk.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define WINDOW (1u << 20)	/* the head and tail of a disk copied for libfdisk */

/* The sectors one repair writes: offsets, the new bytes, and their hash. */
struct boot_write {
	struct undo_range r;
	uint8_t *data;
	uint64_t old_hash;
	bool owns_what;		/* r.what was made for it (a BCD element's name) */
};

struct fix_boot_priv {
	struct diagnosis diag;
	struct diag_repair **rep;	/* one per target, in job->targets order (NULL: a chain) */
	struct diag_chain **chain;	/* one per target: the BIOS chain it mends, or NULL */
	struct diag_chain forced;	/* --mbr-code on a disk the diagnosis has nothing for */
	struct boot_write *w;		/* for job->targets[0] .. (all targets, in order) */
	size_t nw;
	size_t *first_w;		/* per target: its first write in w */
	size_t *n_w;
	size_t nelems;			/* --rewrite-bcd: the elements rewritten */
	long only;			/* the disk named (DISK), or -1 */
	uint8_t *store;			/* --rewrite-bcd: the whole store as it was, */
	uint64_t store_size;		/* saved beside the undo file before the first write */
	struct undo_area *areas;	/* what each target's writes may touch (undo.h) */
	size_t *area_t;			/* the target each area belongs to */
	size_t nareas;
};

static void fix_boot_free_priv(void *p)
{
	struct fix_boot_priv *f = p;

	for (size_t i = 0; i < f->nw; i++) {
		free(f->w[i].data);
		if (f->w[i].owns_what)
			free((char *)f->w[i].r.what);
	}
	free(f->w);
	free(f->first_w);
	free(f->n_w);
	free(f->store);
	free(f->areas);
	free(f->area_t);
	free(f->rep);
	free(f->chain);
	free(f->forced.disk);
	diagnosis_free(&f->diag);
	free(f);
}

/*
 * A part of target t's disk or volume its writes may touch, as the
 * structure read places it: recorded in the undo file, which refuses (then
 * and at undo) a range outside every one.
 */
static void declare(struct fix_boot_priv *f, size_t t, const char *kind, uint64_t off, uint64_t len)
{
	if (!len)
		return;
	f->areas = xrealloc(f->areas, f->nareas + 1, sizeof(*f->areas));
	f->area_t = xrealloc(f->area_t, f->nareas + 1, sizeof(*f->area_t));
	f->areas[f->nareas] = (struct undo_area){ kind, off, len };
	f->area_t[f->nareas++] = t;
}

/* libfdisk's questions and warnings are not for the screen. */
static int quiet_ask(struct fdisk_context *cxt, struct fdisk_ask *ask, void *data)
{
	(void)cxt;
	(void)ask;
	(void)data;
	return 0;
}

static bool has_target(const struct job *job, size_t di)
{
	for (size_t t = 0; t < job->ntargets; t++)
		if (job->targets[t].disk_index == di)
			return true;
	return false;
}

/* A target and what it mends: an identity (r) or a boot chain (c). */
static void add_target(struct job *job, const struct vol_ref *v, struct diag_repair *r,
		       struct diag_chain *c)
{
	struct fix_boot_priv *f = job->priv;

	job->targets = xrealloc(job->targets, job->ntargets + 1, sizeof(*job->targets));
	job->targets[job->ntargets++] = *v;
	f->rep = xrealloc(f->rep, job->ntargets, sizeof(*f->rep));
	f->rep[job->ntargets - 1] = r;
	f->chain = xrealloc(f->chain, job->ntargets, sizeof(*f->chain));
	f->chain[job->ntargets - 1] = c;
}

static void add_disk_target(struct job *job, size_t di, struct diag_chain *c)
{
	const struct disk *d = &job->inv->disks[di];
	struct vol_ref v = { .disk = d, .disk_index = di, .vol = &d->vol, .path = d->path,
			     .major = d->major, .minor = d->minor };

	add_target(job, &v, NULL, c);
}

/*
 * libfdisk on mfd, a memory copy of disk d (named path in what libfdisk
 * keeps): quiet, with the disk's sector sizes. NULL only when out of
 * memory; *found says whether it found a partition table there.
 */
static struct fdisk_context *fdisk_on_copy(const struct disk *d, int mfd, const char *path,
					   bool *found)
{
	unsigned ss = d->log_sector ? d->log_sector : 512;
	struct fdisk_context *cxt = fdisk_new_context();

	*found = false;
	if (!cxt)
		return NULL;
	fdisk_set_ask(cxt, quiet_ask, NULL);
	fdisk_save_user_sector_size(cxt, d->phys_sector ? d->phys_sector : ss, ss);
	*found = fdisk_assign_device_by_fd(cxt, mfd, path, 0) == 0 && fdisk_has_label(cxt);
	return cxt;
}

/* Let a context of fdisk_on_copy() go: nothing is synced, the copy is memory. */
static void fdisk_off_copy(struct fdisk_context *cxt)
{
	if (cxt) {
		fdisk_deassign_device(cxt, 1);
		fdisk_unref_context(cxt);
	}
}

static int fix_boot_resolve(struct job *job, const char *spec)
{
	struct fix_boot_priv *f = job->priv = xcalloc(1, sizeof(*f));
	struct vol_ref only = { 0 };
	char *err = NULL;
	int rc;

	if (spec && *spec && target_resolve_disk(job->inv, spec, &only, &err) != ACT_OK) {
		rc = job_result(job, ACT_USAGE, "unknown-disk", "'winrescue diagnose' names the disk.",
				"%s.", err);
		free(err);
		return rc;
	}
	f->only = only.disk ? (long)only.disk_index : -1;
	if (only.disk && only.disk->role == DISK_ROLE_RESCUE)
		return job_result(job, ACT_REFUSED, "rescue-disk", NULL,
				  "Refused: %s is the rescue system's own disk (%s); winrescue never "
				  "writes there.", only.disk->path,
				  only.disk->role_reason ? only.disk->role_reason : "it runs from it");
	diagnose(job->inv, &f->diag);
	/*
	 * Without DISK: the repairs this mode can do, when there are any (a
	 * refused one stays a target only when it is all there is, so that its
	 * refusal is said).
	 */
	size_t doable = 0;
	for (size_t i = 0; i < f->diag.nrep; i++) {
		const struct diag_repair *r = &f->diag.rep[i];
		doable += !r->refused || (job->opts.rewrite_bcd && r->rewrite);
	}
	for (size_t i = 0; !job->opts.rewrite_bcd && i < f->diag.nchain; i++)
		doable += diag_chain_doable(&f->diag.chain[i], job->opts.mbr_code);
	for (size_t i = 0; i < f->diag.nrep; i++) {
		struct diag_repair *r = &f->diag.rep[i];
		bool dup = false;
		if (only.disk && r->disk_index != only.disk_index)
			continue;
		if (!only.disk && doable && r->refused && !(job->opts.rewrite_bcd && r->rewrite))
			continue;
		for (size_t t = 0; t < job->ntargets; t++)
			dup |= job->targets[t].disk_index == r->disk_index;
		if (dup)
			continue;	/* two stores asking the same of one disk */
		struct vol_ref v = { .disk = &job->inv->disks[r->disk_index],
				     .disk_index = r->disk_index,
				     .vol = &job->inv->disks[r->disk_index].vol,
				     .path = job->inv->disks[r->disk_index].path,
				     .major = job->inv->disks[r->disk_index].major,
				     .minor = job->inv->disks[r->disk_index].minor };
		/* --rewrite-bcd writes the store's volume, not the disk's table */
		if (job->opts.rewrite_bcd) {
			char **cand = NULL;
			size_t ncand = 0;
			int e = target_resolve(job->inv, r->store, &v, &err, &cand, &ncand);
			strv_free(cand, ncand);
			free(err);
			err = NULL;
			if (e != ACT_OK)
				continue;
		}
		add_target(job, &v, r, NULL);
	}
	if (job->opts.rewrite_bcd)
		return ACT_OK;
	/* the BIOS boot chains, on disks without an identity to put back first */
	for (size_t i = 0; i < f->diag.nchain; i++) {
		struct diag_chain *c = &f->diag.chain[i];
		if ((only.disk && c->disk_index != only.disk_index) ||
		    !diag_chain_doable(c, job->opts.mbr_code) || has_target(job, c->disk_index))
			continue;
		add_disk_target(job, c->disk_index, c);
	}
	/* --mbr-code on a BIOS disk named: the standard code, whatever is there */
	if (job->opts.mbr_code && only.disk && !has_target(job, only.disk_index) &&
	    only.disk->pttype && strcmp(only.disk->pttype, "dos") == 0) {
		f->forced = (struct diag_chain){ .disk_index = only.disk_index,
						 .disk = xstrdup(only.disk->path), .code = true };
		add_disk_target(job, only.disk_index, &f->forced);
	}
	return ACT_OK;
}

/* A window of the disk copied for libfdisk: [off, off+len) at pos in the buffers. */
struct window {
	uint64_t off, len, pos;
};

/* The buffer position of device byte off, or -1 when it is in neither window. */
static int64_t win_pos(const struct window w[2], uint64_t off)
{
	for (int i = 0; i < 2; i++)
		if (off >= w[i].off && off < w[i].off + w[i].len)
			return (int64_t)(w[i].pos + off - w[i].off);
	return -1;
}

static uint64_t le_n(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* Mark [off, off+len) of the device as a field the change may touch. */
static void allow(uint8_t *ok, const struct window w[2], uint64_t off, uint64_t len)
{
	for (uint64_t i = 0; i < len; i++) {
		int64_t p = win_pos(w, off + i);
		if (p >= 0)
			ok[p] = 1;
	}
}

/*
 * The bytes a change of identity may change, and nothing else: MBR, the
 * signature; GPT, in both headers the disk GUID and the two CRC32s, and in
 * both entry arrays the unique GUID of the one partition whose GUID goes
 * back. libfdisk also "corrects" what does not fit the disk as it is now (a
 * grown disk's backup header and protective MBR): that is not asked for, so
 * a plan that would do it is refused (see compute_writes).
 */
static void allowed_bytes(const struct diag_repair *r, const uint8_t *buf, const struct window w[2],
			  unsigned ss, uint8_t *ok)
{
	if (!r->gpt) {
		allow(ok, w, PT_MBR_DISK_SIGNATURE, 4);
		return;
	}
	for (int h = 0; h < 2; h++) {
		int64_t p = win_pos(w, ss);
		uint64_t hdr;
		if (h == 1) {
			/* the backup header, where the primary says it is */
			if (p < 0 || memcmp(buf + p, "EFI PART", 8) != 0)
				return;
			hdr = le_n(buf + p + GPT_HDR_ALTERNATE_LBA, 8) * ss;
		} else {
			hdr = ss;
		}
		if ((p = win_pos(w, hdr)) < 0 || win_pos(w, hdr + 92) < 0 ||
		    memcmp(buf + p, "EFI PART", 8) != 0)
			continue;
		allow(ok, w, hdr + GPT_HDR_CRC, 4);
		allow(ok, w, hdr + GPT_HDR_DISK_GUID, 16);
		allow(ok, w, hdr + GPT_HDR_ENTRIES_CRC, 4);
		if (r->part_number) {
			uint64_t arr = le_n(buf + p + GPT_HDR_ENTRIES_LBA, 8) * ss;
			uint64_t esz = le_n(buf + p + GPT_HDR_ENTRY_SIZE, 4);
			if (esz >= 128 && esz <= 4096)
				allow(ok, w, arr + (r->part_number - 1) * esz + GPT_ENTRY_UNIQUE_GUID, 16);
		}
	}
}

/* The partitions libfdisk reads in the copy: as many, where the inventory has them. */
static bool same_partitions(struct fdisk_context *cxt, const struct disk *d)
{
	struct fdisk_table *tb = NULL;
	struct fdisk_iter *itr = fdisk_new_iter(FDISK_ITER_FORWARD);
	struct fdisk_partition *pa;
	size_t n = 0;
	bool same = itr && fdisk_get_partitions(cxt, &tb) == 0;
	unsigned long ss = fdisk_get_sector_size(cxt);

	while (same && fdisk_table_next_partition(tb, itr, &pa) == 0) {
		if (!fdisk_partition_is_used(pa) || fdisk_partition_is_container(pa))
			continue;
		bool found = false;
		for (size_t k = 0; k < d->nparts; k++)
			found |= d->parts[k].start == fdisk_partition_get_start(pa) * ss &&
				 d->parts[k].size == fdisk_partition_get_size(pa) * ss;
		same = found;
		n++;
	}
	size_t want = 0;
	for (size_t k = 0; k < d->nparts; k++)
		want += !d->parts[k].container;
	fdisk_free_iter(itr);
	fdisk_unref_table(tb);
	return same && n == want;
}

/*
 * The new sectors of target t: libfdisk sets the identity on a sparse copy
 * of the disk's head and tail; what differs is what will be written, and it
 * may differ only in the identity's own fields (allowed_bytes).
 */
static int compute_writes(struct job *job, size_t t, char **why)
{
	struct fix_boot_priv *f = job->priv;
	const struct vol_ref *v = &job->targets[t];
	const struct diag_repair *r = f->rep[t];
	const struct disk *d = v->disk;
	uint64_t size = d->size, head = size < WINDOW ? size : WINDOW;
	/* the tail window starts on a page: SEEK_DATA below works in pages */
	uint64_t tail_off = size > WINDOW ? (size - WINDOW) & ~(uint64_t)4095 : 0;
	unsigned ss = d->log_sector ? d->log_sector : 512;
	uint8_t *before = NULL, *after = NULL, *ok = NULL;
	struct fdisk_context *cxt = NULL;
	char *id = NULL, *dev_id = NULL;
	int dfd = -1, mfd = -1, rc = -1;
	bool found;
	struct window w[2];

	if (tail_off < head)
		tail_off = head;
	w[0] = (struct window){ 0, head, 0 };
	w[1] = (struct window){ tail_off, size - tail_off, head };
	uint64_t total = w[0].len + w[1].len;
	f->first_w[t] = f->nw;
	/* the table and the identity live in the disk's first and last MiB */
	declare(f, t, "partition-table", w[0].off, w[0].len);
	declare(f, t, "partition-table", w[1].off, w[1].len);
	if ((dfd = open(v->path, O_RDONLY | O_CLOEXEC)) < 0) {
		*why = xasprintf("%s cannot be read: %s", v->path, strerror(errno));
		goto out;
	}
	before = xcalloc(1, (size_t)total + 1);
	after = xcalloc(1, (size_t)total + 1);
	ok = xcalloc(1, (size_t)total + 1);
	if (pread_all(dfd, before, (size_t)w[0].len, 0) != 0 ||
	    (w[1].len && pread_all(dfd, before + w[1].pos, (size_t)w[1].len, w[1].off) != 0)) {
		*why = xasprintf("%s cannot be read at its start or end: %s", v->path,
				 strerror(errno ? errno : EIO));
		goto out;
	}
	if ((mfd = memfd_create("fix-boot", MFD_CLOEXEC)) < 0 || ftruncate(mfd, (off_t)size) < 0 ||
	    pwrite_all(mfd, before, (size_t)w[0].len, 0) != 0 ||
	    (w[1].len && pwrite_all(mfd, before + w[1].pos, (size_t)w[1].len, w[1].off) != 0)) {
		*why = xasprintf("no memory copy of %s's partition table: %s", v->path, strerror(errno));
		goto out;
	}
	if (!(cxt = fdisk_on_copy(d, mfd, v->path, &found))) {
		*why = xstrdup("out of memory");
		goto out;
	}
	if (!found || fdisk_get_disklabel_id(cxt, &id) != 0 || !id) {
		*why = xasprintf("libfdisk cannot read the partition table of %s", v->path);
		goto out;
	}
	/* the copy must be the table the diagnosis read: its identity, its partitions */
	if (strcasecmp(id + (strncmp(id, "0x", 2) == 0 ? 2 : 0), d->ptuuid ? d->ptuuid : "") != 0 ||
	    !same_partitions(cxt, d)) {
		*why = xasprintf("the partition table of %s is not all in its first and last MiB "
				 "(logical partitions, or entries elsewhere): winrescue does not "
				 "change it", v->path);
		goto out;
	}
	dev_id = r->gpt ? xstrdup(r->to_id) : xasprintf("0x%s", r->to_id);
	if (fdisk_set_disklabel_id_from_string(cxt, dev_id) != 0) {
		*why = xasprintf("libfdisk cannot set the identity of %s to %s", v->path, r->to_id);
		goto out;
	}
	if (r->part_number) {
		struct fdisk_partition *pa = fdisk_new_partition();
		int e = fdisk_partition_set_uuid(pa, r->part_to);
		if (!e)
			e = fdisk_set_partition(cxt, r->part_number - 1, pa);
		fdisk_unref_partition(pa);
		if (e) {
			*why = xasprintf("libfdisk cannot set the GUID of partition %zu of %s",
					 r->part_number, v->path);
			goto out;
		}
	}
	if (fdisk_write_disklabel(cxt) != 0) {
		*why = xasprintf("libfdisk cannot write the new table of %s (in memory)", v->path);
		goto out;
	}
	/* nothing written outside the two windows */
	off_t data = lseek(mfd, (off_t)w[0].len, SEEK_DATA);
	if (data >= 0 && (uint64_t)data < w[1].off) {
		*why = xasprintf("libfdisk wrote to %s beyond its partition table (byte %lld)",
				 v->path, (long long)data);
		goto out;
	}
	if (pread_all(mfd, after, (size_t)w[0].len, 0) != 0 ||
	    (w[1].len && pread_all(mfd, after + w[1].pos, (size_t)w[1].len, w[1].off) != 0)) {
		*why = xasprintf("the memory copy of %s cannot be read back", v->path);
		goto out;
	}
	/* only the identity's own fields may differ */
	allowed_bytes(r, before, w, ss, ok);
	for (uint64_t i = 0; i < total; i++)
		if (before[i] != after[i] && !ok[i]) {
			uint64_t off = i < w[0].len ? i : w[1].off + (i - w[1].pos);
			*why = xasprintf("libfdisk would also change byte %llu of %s (the table does not "
					 "fit the disk as it is now: a disk grown or shrunk since it was "
					 "made?); winrescue changes only the identity: repair the table "
					 "first (sgdisk -e, sfdisk --relocate gpt-bak-std), or use "
					 "--rewrite-bcd", (unsigned long long)off, v->path);
			goto out;
		}
	/* runs of changed sectors, each inside one window */
	for (int k = 0; k < 2; k++) {
		for (uint64_t pos = w[k].pos; pos < w[k].pos + w[k].len; pos += ss) {
			uint64_t end = pos;
			while (end < w[k].pos + w[k].len && memcmp(before + end, after + end, ss) != 0)
				end += ss;
			if (end == pos)
				continue;
			struct boot_write *bw;
			uint64_t dev_off = w[k].off + (pos - w[k].pos);
			f->w = xrealloc(f->w, f->nw + 1, sizeof(*f->w));
			bw = &f->w[f->nw++];
			memset(bw, 0, sizeof(*bw));
			bw->r.off = dev_off;
			bw->r.len = end - pos;
			bw->data = xcalloc(1, (size_t)bw->r.len);
			memcpy(bw->data, after + pos, (size_t)bw->r.len);
			bw->r.new_hash = hash64(bw->data, (size_t)bw->r.len, HASH64_INIT);
			bw->old_hash = hash64(before + pos, (size_t)bw->r.len, HASH64_INIT);
			bw->r.what = dev_off == 0 ? (r->gpt ? "protective MBR" : "MBR (disk signature)")
				   : dev_off == ss ? "primary GPT header"
				   : dev_off + bw->r.len == size ? "backup GPT header and entries"
				   : "GPT partition entries";
			pos = end - ss;
		}
	}
	f->n_w[t] = f->nw - f->first_w[t];
	rc = 0;
out:
	fdisk_off_copy(cxt);
	free(id);
	free(dev_id);
	free(before);
	free(after);
	free(ok);
	if (mfd >= 0)
		close(mfd);
	if (dfd >= 0)
		close(dfd);
	return rc;
}

/* Whether the device element at raw names the disk identity r expects (the one not attached). */
static bool names_old_disk(const struct diag_repair *r, const struct bcd_device *d)
{
	char id[37];

	if (d->kind != (r->gpt ? BCD_DEV_GPT : BCD_DEV_MBR))
		return false;
	if (r->gpt)
		bcd_guid_text(d->disk_guid, id);
	else
		snprintf(id, sizeof(id), "%08x", d->disk_signature);
	return strcasecmp(id, r->to_id) == 0;
}

/* One changed element of the store: where its bytes are in the hive file, old and new. */
struct elem_change {
	uint64_t file_off;
	size_t len;
	uint8_t *new;
	char what[80];
};

/*
 * The changes of the store's device elements that name the disk as the BCD
 * knew it: the disk as it is now (its GUID or signature; the partition GUID
 * that changed), encoded by bcd.c in place, at the offsets hivex gives for
 * the values' data. The hive is read from a copy (m->data).
 */
static int bcd_changes_here(const struct diag_repair *r, const struct file_map *m,
			    struct elem_change **out, size_t *n, char **why)
{
	char path[64];
	hive_h *h;
	hive_node_h objs, *ids;
	int mfd = memfd_create("bcd", MFD_CLOEXEC), rc = -1;
	bool failed = false;		/* an element that cannot be rewritten: *why says which */

	*out = NULL;
	*n = 0;
	if (mfd < 0 || pwrite_all(mfd, m->data, (size_t)m->size, 0) != 0) {
		*why = xasprintf("no memory copy of the store: %s", strerror(errno));
		goto out;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", mfd);
	if (!(h = hivex_open(path, 0))) {
		*why = xstrdup("the store cannot be read as a registry hive");
		goto out;
	}
	/*
	 * The copy is open (as 65534): from here the worker reads memory and
	 * answers. hivex decodes names (Latin-1) and strings (UTF-16LE)
	 * through iconv, whose first use opens glibc's gconv modules: held
	 * open here, before the filter, so hivex finds them loaded.
	 */
	if (iconv_open("UTF-8", "LATIN1") == (iconv_t)-1 ||
	    iconv_open("UTF-8", "UTF-16LE") == (iconv_t)-1) {
		*why = xstrdup("the store cannot be read: this system lacks glibc's gconv modules "
			       "(from the libc6 package)");
		hivex_close(h);
		goto out;
	}
	if (worker_seal() < 0)
		_exit(2);
	objs = hivex_node_get_child(h, hivex_root(h), "Objects");
	ids = objs ? hivex_node_children(h, objs) : NULL;
	for (size_t i = 0; ids && ids[i] && !failed; i++) {
		hive_node_h els = hivex_node_get_child(h, ids[i], "Elements"), *ek;
		char *oid = hivex_node_name(h, ids[i]);
		if (!els || !(ek = hivex_node_children(h, els))) {
			free(oid);
			continue;
		}
		for (size_t k = 0; ek[k] && !failed; k++) {
			char *name = hivex_node_name(h, ek[k]);
			unsigned long type = name ? strtoul(name, NULL, 16) : 0;
			hive_value_h v = (type >> 24 & 0xf) == 1 ? hivex_node_get_value(h, ek[k], "Element") : 0;
			struct bcd_device d, want;
			hive_type t;
			size_t len, cell_len;
			char *raw = v ? hivex_value_value(h, v, &t, &len) : NULL;
			size_t cell = v ? hivex_value_data_cell_offset(h, v, &cell_len) : 0;
			const struct diag_move *mv = NULL;
			bool dec = raw && !bcd_decode_device((uint8_t *)raw, len, &d);
			for (size_t j = 0; dec && j < r->nmoves && !mv; j++)
				if (bcd_device_same(&d, &r->moves[j].from))
					mv = &r->moves[j];
			/* a device of its own partitions: as it is now; another of the disk: its
			 * identity only (none when the disk changed kind) */
			if (dec && (mv || (!r->kind_changed && names_old_disk(r, &d)))) {
				uint8_t *nw = xcalloc(1, len);
				const char *bad;
				want = d;
				if (mv) {
					want = mv->to;
				} else if (r->gpt) {
					char pg[37];
					bcd_guid_parse(r->from_id, want.disk_guid);
					bcd_guid_text(d.part_guid, pg);
					if (r->part_number && strcasecmp(pg, r->part_to) == 0)
						bcd_guid_parse(r->part_from, want.part_guid);
				} else {
					want.disk_signature = (uint32_t)strtoul(r->from_id, NULL, 16);
				}
				memcpy(nw, raw, len);
				/* the bytes at the offset hivex gives must be the value's: else nothing */
				if (!cell || cell + 4 + len > m->size || memcmp(m->data + cell + 4, raw, len)) {
					*why = xasprintf("element %s of %s is not where the hive says", name, oid);
					bad = "";
				} else {
					bad = bcd_encode_device(nw, len, &want);
					if (bad)
						*why = xasprintf("element %s of %s cannot be rewritten: %s", name,
								 oid, bad);
				}
				if (bad) {
					free(nw);
					failed = true;
				} else if (!memcmp(nw, raw, len)) {
					free(nw);	/* names its partition as it is already */
				} else {
					*out = xrealloc(*out, *n + 1, sizeof(**out));
					struct elem_change *c = &(*out)[(*n)++];
					c->file_off = cell + 4;
					c->len = len;
					c->new = nw;
					snprintf(c->what, sizeof(c->what), "BCD element %s of %.40s", name,
						 oid);
				}
			}
			free(raw);
			free(name);
		}
		free(ek);
		free(oid);
	}
	free(ids);
	hivex_close(h);
	rc = failed ? -1 : 0;
out:
	if (mfd >= 0)
		close(mfd);
	return rc;
}

struct bcd_call {
	const struct diag_repair *r;
	const struct file_map *m;
};

static void put_raw(struct wire_buf *b, const void *p, size_t len)
{
	wire_reserve(b, len);
	memcpy(b->data + b->len, p, len);
	b->len += len;
}

static bool get_raw(const unsigned char **pos, const unsigned char *end, void *p, size_t len)
{
	if ((size_t)(end - *pos) < len)
		return false;
	memcpy(p, *pos, len);
	*pos += len;
	return true;
}

/* In the worker: hivex on the store's copy; its answer is the changes, or why not. */
static int bcd_changes_child(void *arg, struct wire_buf *b)
{
	struct bcd_call *bc = arg;
	struct elem_change *ch = NULL;
	size_t n = 0;
	char *why = NULL;
	int32_t rc = bcd_changes_here(bc->r, bc->m, &ch, &n, &why);
	uint64_t nn = n, wl = why ? strlen(why) : 0;

	put_raw(b, &rc, sizeof(rc));
	put_raw(b, &wl, sizeof(wl));
	put_raw(b, why ? why : "", (size_t)wl);
	put_raw(b, &nn, sizeof(nn));
	for (size_t i = 0; i < n; i++) {
		uint64_t len = ch[i].len;
		put_raw(b, &ch[i].file_off, sizeof(ch[i].file_off));
		put_raw(b, &len, sizeof(len));
		put_raw(b, ch[i].new, ch[i].len);
		put_raw(b, ch[i].what, sizeof(ch[i].what));
	}
	return 0;
}

/*
 * The changes of the store's elements (bcd_changes_here), worked out by
 * hivex in a limited worker (worker.h): a crafted hive that crashes
 * hivex or asks for all the memory is this store's error, never the end
 * of winrescue. Each change is checked again against the copy here.
 */
static int bcd_changes(const struct diag_repair *r, const struct file_map *m,
		       struct elem_change **out, size_t *n, char **why)
{
	struct bcd_call bc = { r, m };
	struct worker_opts o = { "the BCD store's hive", WORKER_CONFINE_SEAL_LATER, NULL, NULL };
	struct worker_result wr;
	int32_t rc = -1;
	uint64_t wl = 0, nn = 0;
	bool ok = false;
	char *child_why = NULL;

	*out = NULL;
	*n = 0;
	if (worker_call(&o, bcd_changes_child, &bc, &wr) == 0) {
		const unsigned char *pos = wr.answer.data, *end = pos + wr.answer.len;
		ok = get_raw(&pos, end, &rc, sizeof(rc)) && get_raw(&pos, end, &wl, sizeof(wl)) &&
		     wl <= (uint64_t)(end - pos);
		if (ok) {
			if (wl) {
				child_why = xcalloc(1, (size_t)wl + 1);
				memcpy(child_why, pos, (size_t)wl);
			}
			pos += wl;
			ok = get_raw(&pos, end, &nn, sizeof(nn)) && nn <= (uint64_t)(end - pos);
		}
		for (uint64_t i = 0; ok && i < nn; i++) {
			struct elem_change c = { 0 };
			uint64_t len = 0;
			ok = get_raw(&pos, end, &c.file_off, sizeof(c.file_off)) &&
			     get_raw(&pos, end, &len, sizeof(len)) && len <= (uint64_t)(end - pos) &&
			     len && c.file_off <= m->size && len <= m->size - c.file_off;
			if (!ok)
				break;
			c.len = (size_t)len;
			c.new = xcalloc(1, c.len);
			ok = get_raw(&pos, end, c.new, c.len) &&
			     get_raw(&pos, end, c.what, sizeof(c.what));
			c.what[sizeof(c.what) - 1] = '\0';
			*out = xrealloc(*out, *n + 1, sizeof(**out));
			(*out)[(*n)++] = c;
		}
		ok = ok && pos == end;
		if (!ok)
			wr.status = WORKER_FAILED;	/* a short answer */
	}
	if (!ok) {
		for (size_t i = 0; i < *n; i++)
			free((*out)[i].new);
		free(*out);
		*out = NULL;
		*n = 0;
		free(child_why);
		char *words = worker_failure_words(&wr);
		*why = xasprintf("reading the store as a registry hive stopped: %s", words);
		free(words);
		worker_result_free(&wr);
		return -1;
	}
	worker_result_free(&wr);
	if (rc < 0) {
		*why = child_why ? child_why : xstrdup("the store cannot be rewritten");
		return -1;
	}
	free(child_why);
	return 0;
}

/*
 * --rewrite-bcd: the sectors of the store's volume that change when its
 * device elements name the disk as it is now. The file's clusters come from
 * libntfs-3g (NTFS) or mtools (the ESP), are checked against the volume
 * byte for byte, and only whole sectors inside them are written.
 */
static int compute_rewrite(struct job *job, size_t t, char **why)
{
	struct fix_boot_priv *f = job->priv;
	const struct vol_ref *v = &job->targets[t];
	const struct diag_repair *r = f->rep[t];
	unsigned ss = v->disk->log_sector ? v->disk->log_sector : 512;
	struct file_map m = { 0 };
	struct elem_change *ch = NULL;
	size_t nch = 0;
	uint8_t *buf = NULL;
	int fd, rc = -1;
	char *mwhy = NULL;

	f->first_w[t] = f->nw;
	if ((fd = open(v->path, O_RDONLY | O_CLOEXEC)) < 0) {
		*why = xasprintf("%s cannot be read: %s", v->path, strerror(errno));
		return -1;
	}
	if ((volume_is_ntfs(v->vol) ? ntfs_file_map(fd, vol_size(v), ss, "Boot/BCD", &m, &mwhy)
				    : esp_file_map(fd, "EFI/Microsoft/Boot/BCD", &m, &mwhy)) < 0) {
		*why = xasprintf("the BCD store on %s cannot be located on the volume: %s", v->path,
				 mwhy);
		free(mwhy);
		goto out;
	}
	if (m.unit % ss) {
		*why = xasprintf("the store's clusters on %s are smaller than the disk's %u-byte "
				 "sectors", v->path, ss);
		goto out;
	}
	/* the map must be right: each cluster on the volume holds the file's bytes */
	buf = xcalloc(1, (size_t)m.unit);
	for (size_t i = 0; i < m.n; i++) {
		size_t l = (size_t)(m.size - i * m.unit < m.unit ? m.size - i * m.unit : m.unit);
		if (pread_all(fd, buf, l, m.dev[i]) != 0 || memcmp(buf, m.data + i * m.unit, l) != 0) {
			*why = xasprintf("the BCD store on %s is not where its file system says (cluster "
					 "%zu differs): nothing is written", v->path, i);
			goto out;
		}
	}
	if (bcd_changes(r, &m, &ch, &nch, why) < 0)
		goto out;
	/* the store's clusters, and nothing else of the volume */
	for (size_t i = 0; i < m.n; i++)
		declare(f, t, "bcd-store", m.dev[i],
			m.size - i * m.unit < m.unit ? m.size - i * m.unit : m.unit);
	/* whole sectors: each changed sector of the file, with the elements applied */
	uint8_t *after = xcalloc(1, (size_t)m.size);
	memcpy(after, m.data, (size_t)m.size);
	for (size_t i = 0; i < nch; i++)
		memcpy(after + ch[i].file_off, ch[i].new, ch[i].len);
	for (uint64_t pos = 0; pos < m.size; pos += ss) {
		uint64_t l = m.size - pos < ss ? m.size - pos : ss;
		if (!memcmp(after + pos, m.data + pos, (size_t)l))
			continue;
		struct boot_write *w;
		const char *what = "BCD store";
		for (size_t i = 0; i < nch; i++)
			if (ch[i].file_off < pos + l && ch[i].file_off + ch[i].len > pos)
				what = ch[i].what;
		f->w = xrealloc(f->w, f->nw + 1, sizeof(*f->w));
		w = &f->w[f->nw++];
		memset(w, 0, sizeof(*w));
		w->r.off = m.dev[pos / m.unit] + pos % m.unit;
		w->r.len = l;
		w->data = xcalloc(1, (size_t)l);
		memcpy(w->data, after + pos, (size_t)l);
		w->r.new_hash = hash64(w->data, (size_t)l, HASH64_INIT);
		w->old_hash = hash64(m.data + pos, (size_t)l, HASH64_INIT);
		w->r.what = xstrdup(what);
		w->owns_what = true;
	}
	free(after);
	f->n_w[t] = f->nw - f->first_w[t];
	f->nelems = nch;
	f->store = m.data;
	f->store_size = m.size;
	m.data = NULL;
	rc = 0;
out:
	for (size_t i = 0; i < nch; i++)
		free(ch[i].new);
	free(ch);
	free(buf);
	file_map_free(&m);
	close(fd);
	return rc;
}

/* One sector range of a chain repair: before and after, both of len bytes. */
static void add_write(struct fix_boot_priv *f, uint64_t off, const uint8_t *old, const uint8_t *new,
		      size_t len, char *what)
{
	struct boot_write *w;

	f->w = xrealloc(f->w, f->nw + 1, sizeof(*f->w));
	w = &f->w[f->nw++];
	memset(w, 0, sizeof(*w));
	w->r.off = off;
	w->r.len = len;
	w->data = xcalloc(1, len);
	memcpy(w->data, new, len);
	w->r.new_hash = hash64(new, len, HASH64_INIT);
	w->old_hash = hash64(old, len, HASH64_INIT);
	w->r.what = what;
	w->owns_what = true;
}

/*
 * The extended boot records of a dos disk (the chain of logical partitions,
 * which may lie past the first MiB) copied into the memory copy at mfd, so
 * that libfdisk reads the same table there as on the disk. At most 256
 * links, each inside the disk and the extended partition: a hostile chain
 * costs nothing. 0, or -1 with errno.
 */
static int copy_ebrs(const struct disk *d, int dfd, int mfd)
{
	unsigned ss = d->log_sector ? d->log_sector : 512;
	const struct partition *ext = NULL;
	uint8_t sec[MBR_SECTOR];

	for (size_t k = 0; k < d->nparts; k++)
		if (d->parts[k].container)
			ext = &d->parts[k];
	if (!ext)
		return 0;
	uint64_t base = ext->start / ss, next = 0;
	for (int n = 0; n < 256; n++) {
		uint64_t off = (base + next) * ss;
		if (off < ext->start || off >= ext->start + ext->size || off + MBR_SECTOR > d->size)
			return 0;
		if (pread_all(dfd, sec, sizeof(sec), off) != 0 || pwrite_all(mfd, sec, sizeof(sec), off) != 0)
			return -1;
		if (sec[MBR_SIGNATURE] != 0x55 || sec[MBR_SIGNATURE + 1] != 0xaa)
			return 0;
		/* the second entry links to the next EBR, from the extended partition's start */
		const uint8_t *e = sec + MBR_TABLE + MBR_ENTRY_SIZE;
		uint64_t link = nl_le32(e + MBR_ENTRY_LBA);
		if (!e[MBR_ENTRY_TYPE] || !link || link <= next)
			return 0;
		next = link;
	}
	return 0;
}

/*
 * The MBR's four flag bytes with only partition `active` marked active, as
 * libfdisk writes them on a memory copy of the disk's first MiB: its table
 * must be the one the diagnosis read, and libfdisk may change nothing but
 * those bytes. They go into n0 (sector 0 as it will be written).
 */
static int active_by_fdisk(const struct disk *d, int dfd, size_t active, uint8_t *n0, char **why)
{
	uint64_t head = d->size < WINDOW ? d->size : WINDOW;
	uint8_t *before = xcalloc(1, (size_t)head), *after = xcalloc(1, (size_t)head);
	struct fdisk_context *cxt = NULL;
	int mfd = -1, rc = -1;
	bool found;

	if (pread_all(dfd, before, (size_t)head, 0) != 0) {
		*why = xasprintf("%s cannot be read at its start: %s", d->path, strerror(errno ? errno : EIO));
		goto out;
	}
	if ((mfd = memfd_create("fix-boot", MFD_CLOEXEC)) < 0 || ftruncate(mfd, (off_t)d->size) < 0 ||
	    pwrite_all(mfd, before, (size_t)head, 0) != 0 || copy_ebrs(d, dfd, mfd) != 0) {
		*why = xasprintf("no memory copy of %s's partition table: %s", d->path, strerror(errno));
		goto out;
	}
	if (!(cxt = fdisk_on_copy(d, mfd, d->path, &found))) {
		*why = xstrdup("out of memory");
		goto out;
	}
	if (!found || !fdisk_is_label(cxt, DOS) || !same_partitions(cxt, d)) {
		*why = xasprintf("libfdisk does not read the partition table of %s as the diagnosis "
				 "did (logical partitions beyond its first MiB?): winrescue does not "
				 "change it", d->path);
		goto out;
	}
	for (size_t i = 0; i < MBR_ENTRIES; i++) {
		struct fdisk_partition *pa = NULL;
		if (fdisk_get_partition(cxt, i, &pa) != 0 || !pa)
			continue;
		bool on = fdisk_partition_is_used(pa) && fdisk_partition_is_bootable(pa) == 1;
		bool want = i + 1 == active;
		fdisk_unref_partition(pa);
		if (on != want && fdisk_toggle_partition_flag(cxt, i, DOS_FLAG_ACTIVE) != 0) {
			*why = xasprintf("libfdisk cannot set the active flag of partition %zu of %s",
					 i + 1, d->path);
			goto out;
		}
	}
	if (fdisk_write_disklabel(cxt) != 0 || pread_all(mfd, after, (size_t)head, 0) != 0) {
		*why = xasprintf("libfdisk cannot write the new table of %s (in memory)", d->path);
		goto out;
	}
	for (uint64_t i = 0; i < head; i++) {
		bool flag = i >= MBR_TABLE && i < MBR_TABLE + MBR_ENTRIES * MBR_ENTRY_SIZE &&
			    (i - MBR_TABLE) % MBR_ENTRY_SIZE == MBR_ENTRY_STATUS;
		if (before[i] != after[i] && !flag) {
			*why = xasprintf("libfdisk would also change byte %llu of %s; winrescue changes "
					 "only the active flags", (unsigned long long)i, d->path);
			goto out;
		}
	}
	for (int i = 0; i < MBR_ENTRIES; i++)
		n0[MBR_TABLE + i * MBR_ENTRY_SIZE + MBR_ENTRY_STATUS] =
			after[MBR_TABLE + i * MBR_ENTRY_SIZE + MBR_ENTRY_STATUS];
	rc = 0;
out:
	fdisk_off_copy(cxt);
	if (mfd >= 0)
		close(mfd);
	free(before);
	free(after);
	return rc;
}

/* nb_read_fn over the disk, from a partition's first byte. */
struct part_reader {
	int fd;
	uint64_t off;
};

static ssize_t part_read(void *ctx, void *buf, size_t len, uint64_t off)
{
	struct part_reader *r = ctx;

	return pread_all(r->fd, buf, len, r->off + off) == 0 ? (ssize_t)len : -1;
}

/* The hidden sectors of each valid copy of h's boot sector, set to h->want. */
static int hidden_writes(struct fix_boot_priv *f, size_t t, const struct disk *d, int dfd,
			 const struct diag_hidden *h, char **why)
{
	const struct partition *p = NULL;
	struct part_reader pr = { dfd, h->start };
	struct nb_verdict v;

	for (size_t k = 0; k < d->nparts; k++)
		if (d->parts[k].number == h->part)
			p = &d->parts[k];
	if (!p || p->start != h->start) {
		*why = xasprintf("partition %zu of %s is not where the diagnosis saw it", h->part, d->path);
		return -1;
	}
	/* never a byte of a volume Windows left a session on (bootchain_mends_hidden) */
	const char *blocked = bootchain_hidden_blocked(p);
	if (blocked) {
		*why = xasprintf("%s: %s, and fix-boot writes nothing to it", p->path ? p->path : d->path,
				 blocked);
		return -1;
	}
	nb_examine(part_read, &pr, p->size, &v);
	for (int copy = 0; copy < 2; copy++) {
		const uint8_t *cur = copy ? v.backup : v.primary;
		bool valid = copy ? v.backup_found && !v.backup_problems : !v.primary_problems;
		uint64_t off = copy ? v.backup_off : 0;
		uint8_t nw[512];
		if (!valid || nl_le32(cur + NL_BS_HIDDEN_SECTORS) == h->want)
			continue;
		declare(f, t, "boot-sector", h->start + off, 512);
		memcpy(nw, cur, 512);
		nw[NL_BS_HIDDEN_SECTORS] = (uint8_t)h->want;
		nw[NL_BS_HIDDEN_SECTORS + 1] = (uint8_t)(h->want >> 8);
		nw[NL_BS_HIDDEN_SECTORS + 2] = (uint8_t)(h->want >> 16);
		nw[NL_BS_HIDDEN_SECTORS + 3] = (uint8_t)(h->want >> 24);
		add_write(f, h->start + off, cur, nw, 512,
			  xasprintf("%s boot sector of %s (hidden sectors)", copy ? "backup" : "primary",
				    p->path ? p->path : d->path));
	}
	return 0;
}

/*
 * The writes that mend target t's BIOS boot chain: sector 0 (boot code,
 * signature, active flags: only those bytes differ) and the boot sectors
 * whose hidden sectors are wrong.
 */
static int compute_chain(struct job *job, size_t t, char **why)
{
	struct fix_boot_priv *f = job->priv;
	const struct diag_chain *c = f->chain[t];
	const struct disk *d = job->targets[t].disk;
	uint8_t s0[MBR_SECTOR], n0[MBR_SECTOR];
	int dfd, rc = -1;

	f->first_w[t] = f->nw;
	if ((dfd = open(d->path, O_RDONLY | O_CLOEXEC)) < 0) {
		*why = xasprintf("%s cannot be read: %s", d->path, strerror(errno));
		return -1;
	}
	if (pread_all(dfd, s0, sizeof(s0), 0) != 0) {
		*why = xasprintf("%s cannot be read at its start: %s", d->path,
				 strerror(errno ? errno : EIO));
		goto out;
	}
	memcpy(n0, s0, sizeof(n0));
	declare(f, t, "partition-table", 0, sizeof(s0));
	if (c->active && active_by_fdisk(d, dfd, c->active, n0, why) < 0)
		goto out;
	if (c->code || job->opts.mbr_code)
		memcpy(n0, mbr_code_syslinux, MBR_CODE_SIZE);
	if (c->signature) {
		n0[MBR_SIGNATURE] = 0x55;
		n0[MBR_SIGNATURE + 1] = 0xaa;
	}
	/* never the disk signature nor the entries but their flags */
	for (size_t i = MBR_CODE_SIZE; i < MBR_SIGNATURE; i++) {
		bool flag = i >= MBR_TABLE && (i - MBR_TABLE) % MBR_ENTRY_SIZE == MBR_ENTRY_STATUS;
		if (s0[i] != n0[i] && !flag) {
			*why = xasprintf("byte %zu of %s's MBR would change: winrescue refuses", i, d->path);
			goto out;
		}
	}
	if (memcmp(s0, n0, sizeof(s0)) != 0) {
		bool code = memcmp(s0, n0, MBR_CODE_SIZE) != 0;
		bool flags = memcmp(s0 + MBR_TABLE, n0 + MBR_TABLE, MBR_ENTRIES * MBR_ENTRY_SIZE) != 0;
		bool sig = memcmp(s0 + MBR_SIGNATURE, n0 + MBR_SIGNATURE, 2) != 0;
		add_write(f, 0, s0, n0, sizeof(n0),
			  xasprintf("MBR (%s%s%s%s%s)", code ? "boot code" : "",
				    code && (flags || sig) ? ", " : "", flags ? "active flags" : "",
				    flags && sig ? ", " : "", sig ? "signature" : ""));
	}
	for (size_t k = 0; k < c->nhidden; k++)
		if (hidden_writes(f, t, d, dfd, &c->hidden[k], why) < 0)
			goto out;
	f->n_w[t] = f->nw - f->first_w[t];
	if (!f->n_w[t]) {
		*why = xasprintf("nothing of %s's boot chain differs from what it should be any more "
				 "(it changed since it was read): diagnose it again", d->path);
		goto out;
	}
	rc = 0;
out:
	close(dfd);
	return rc;
}

/*
 * The rules of --rewrite-bcd on the store's volume: a store that was read,
 * whose hive has no changes waiting in its logs (Windows would replay them
 * over the rewrite), on a volume Windows did not leave hibernated or with an
 * unclean journal (its own view of the volume would win).
 */
static int rewrite_rules(struct job *job, const struct vol_ref *v)
{
	const struct ntfs_state *n = v->vol->ntfs;
	const struct bcd_store *b = v->vol->bcd;

	if (!b)
		return job_result(job, ACT_FAILED, "bcd-unreadable", NULL,
				  "The BCD store on %s cannot be read: %s; nothing was written.", v->path,
				  v->vol->bcd_error ? v->vol->bcd_error : "not known why");
	if (b->dirty)
		return job_result(job, ACT_REFUSED, "hive-dirty",
				  "Rebuild the store from Windows RE (bcdboot C:\\Windows) instead.",
				  "Refused: the BCD store on %s has changes still in its logs (sequence "
				  "numbers %u and %u); Windows would apply them over a rewrite. Nothing "
				  "was written.", v->path, b->seq_primary, b->seq_secondary);
	if (n && (n->hibernated == TRI_YES || n->logfile == NTFS_LOGFILE_FAST_RESTART ||
		  n->logfile == NTFS_LOGFILE_UNCLEAN))
		return job_result(job, ACT_REFUSED, "hibernated",
				  "Let Windows start from the disk as it is (fix-boot without "
				  "--rewrite-bcd), or rebuild the store from Windows RE.",
				  "Refused: %s, where the BCD store lives, is %s; a change made from here "
				  "would be lost or damage it. Nothing was written.", v->path,
				  n->hibernated == TRI_YES ? "hibernated"
				  : n->logfile == NTFS_LOGFILE_FAST_RESTART ? "in Fast Startup state"
				  : "left with an unclean journal");
	return ACT_OK;
}

static int fix_boot_preflight(struct job *job)
{
	struct fix_boot_priv *f = job->priv;
	char *why = NULL;
	int rc;

	if (!job->ntargets) {
		/*
		 * DISK and another disk with one identity: which one a store means
		 * cannot be told while both are attached (diagnose of DISK alone
		 * may have advised a repair; here the copy answers for it).
		 */
		for (size_t i = 0; f->only >= 0 && i < job->inv->ndisks; i++) {
			const struct disk *a = &job->inv->disks[f->only], *b = &job->inv->disks[i];
			if ((long)i == f->only || !a->ptuuid || !b->ptuuid || !a->pttype || !b->pttype ||
			    strcmp(a->pttype, b->pttype) || strcasecmp(a->ptuuid, b->ptuuid) ||
			    strspn(a->ptuuid, "0-") == strlen(a->ptuuid))
				continue;
			return job_result(job, ACT_REFUSED, "collision",
					  "Detach the copy, then run 'winrescue diagnose' again.",
					  "Refused: Disk %zu (%s) and Disk %zu (%s) have the same %s %s; "
					  "which one a BCD store means cannot be told while both are "
					  "attached. Nothing was written.", a->number, a->path, b->number,
					  b->path, strcmp(a->pttype, "gpt") ? "MBR disk signature"
					  : "GPT disk GUID", a->ptuuid);
		}
		/*
		 * Nothing to do only when the diagnosis found nothing for fix-boot on
		 * the disks concerned (all, or DISK): a mismatch it cannot resolve,
		 * or a store or hive it could not read, is a failure.
		 */
		for (size_t i = 0; i < f->diag.nf; i++) {
			const struct diag_finding *x = &f->diag.f[i];
			size_t di;
			const struct partition *pp;
			bool mism = strcmp(x->code, "bcd-device-mismatch") == 0;
			/* what keeps fix-boot from knowing: a store, a Windows it cannot see */
			bool blind = strcmp(x->code, "bcd-unreadable") == 0 ||
				     strcmp(x->code, "bcd-device-unknown") == 0 ||
				     strcmp(x->code, "windows-not-found") == 0 ||
				     strcmp(x->code, "no-device-node") == 0;
			if (!mism && !blind)
				continue;
			if (f->only >= 0 && (!x->device || !target_device_at(job->inv, x->device, &di, &pp) ||
					     (long)di != f->only))
				continue;
			return job_result(job, ACT_FAILED, mism ? "cannot-fix" : "not-known", x->next,
					  "fix-boot cannot %s: %s", mism ? "resolve this" : "tell what to do",
					  x->message);
		}
		return ACT_OK;
	}
	if ((rc = job_refuse_undo_dir(job)) != ACT_OK)
		return rc;
	if (job->ntargets > 1) {
		char *list = xstrdup("");
		for (size_t t = 0; t < job->ntargets; t++) {
			char *l = xasprintf("%s%s%s", list, t ? ", " : "", job->targets[t].disk->path);
			free(list);
			list = l;
		}
		char *next = xasprintf("Name one (winrescue fix-boot %s%s): each gets an undo file of "
				       "its own.", job->targets[0].disk->path, job->opts.rewrite_bcd
				       ? " --rewrite-bcd" : "");
		rc = job_result(job, ACT_USAGE, "several-disks", next,
				"%zu disks need fix-boot: %s.", job->ntargets, list);
		free(next);
		free(list);
		return rc;
	}
	f->first_w = xcalloc(job->ntargets + 1, sizeof(*f->first_w));
	f->n_w = xcalloc(job->ntargets + 1, sizeof(*f->n_w));
	for (size_t t = 0; t < job->ntargets; t++) {
		const struct vol_ref *v = &job->targets[t];
		const struct diag_repair *r = f->rep[t];
		if (f->chain[t]) {
			if ((rc = job_refuse_unwritable(job, v, "changed")) != ACT_OK)
				return rc;
			if (compute_chain(job, t, &why) < 0) {
				rc = job_result(job, ACT_FAILED, "no-plan", NULL, "%s; nothing was written.",
						why);
				free(why);
				return rc;
			}
			continue;
		}
		if (r->refused && !(job->opts.rewrite_bcd && r->rewrite)) {
			char *next = r->rewrite
				? xasprintf("Rewrite the store's devices instead: winrescue fix-boot %s "
					    "--rewrite-bcd.", r->disk)
				: xstrdup("Rewrite the BCD's devices from Windows RE (bcdboot "
					  "C:\\Windows) instead.");
			rc = job_result(job, ACT_REFUSED, r->collision ? "collision" : r->rewrite
					? "needs-rewrite" : "cannot-tell",
					next, "Refused: the identity of %s cannot be put back: %s. "
					"Nothing was written.", r->disk, r->refused);
			free(next);
			return rc;
		}
		if ((rc = job_refuse_unwritable(job, v, "changed")) != ACT_OK)
			return rc;
		if (job->opts.rewrite_bcd && (rc = rewrite_rules(job, v)) != ACT_OK)
			return rc;
		if ((job->opts.rewrite_bcd ? compute_rewrite(job, t, &why)
					   : compute_writes(job, t, &why)) < 0) {
			rc = job_result(job, ACT_FAILED, "no-plan", NULL, "%s; nothing was written.", why);
			free(why);
			return rc;
		}
	}
	return ACT_OK;
}

/* The plan of a chain repair (one target: preflight allows no more), in words. */
static void chain_plan(struct job *job)
{
	struct fix_boot_priv *f = job->priv;
	const struct diag_chain *c = f->chain[0];
	const struct vol_ref *v = &job->targets[0];
	const struct disk *d = v->disk;

	if (c->code || job->opts.mbr_code)
		job_plan_step(job, "Write standard MBR boot code (syslinux's mbr.bin, which starts the "
			      "active partition) into the first 440 bytes of %s (Disk %zu), which hold "
			      "%s now; the partition table and the disk signature stay as they are",
			      d->path, d->number, mbr_code_words(d->mbr.code));
	if (c->signature)
		job_plan_step(job, "Write the MBR signature 0x55AA back at bytes 510-511 of %s", d->path);
	if (c->active) {
		const char *pp = NULL;
		for (size_t k = 0; k < d->nparts; k++)
			if (d->parts[k].number == c->active)
				pp = d->parts[k].path;
		job_plan_step(job, "Mark partition %zu (%s) active, and no other partition of %s",
			      c->active, pp ? pp : "-", d->path);
	}
	for (size_t k = 0; k < c->nhidden; k++) {
		const struct partition *p = NULL;
		for (size_t j = 0; j < d->nparts; j++)
			if (d->parts[j].number == c->hidden[k].part)
				p = &d->parts[j];
		job_plan_step(job, "Set the hidden sectors (BPB 0x1C) of %s's boot sector copies to "
			      "%u, the partition's first sector%s%s", p && p->path ? p->path : d->path,
			      c->hidden[k].want, p && p->vol.ntfs ? "; they say " : "",
			      p && p->vol.ntfs ? (p->vol.ntfs->bs_primary_valid &&
						  p->vol.ntfs->hidden_sectors != c->hidden[k].want
						  ? "otherwise in the primary" : "otherwise in the backup")
					       : "");
	}
	job_plan_step(job, "Save the %zu sector%s overwritten to an undo file in %s, then write %s",
		      f->nw, f->nw == 1 ? "" : "s", undo_dir_of(&job->opts), f->nw == 1 ? "it" : "them");
	job_plan_step(job, "Read the disks again: the boot chain of %s must be whole", d->path);
	job->plan.writes = true;
	job->plan.confirm = true;
	job->plan.confirm_word = xstrdup(d->name);
}

/* The codes of bootchain.c that fix-boot mends, found on disk di after it wrote. */
static bool chain_left(const struct inventory *inv, const struct diagnosis *after, size_t di)
{
	static const char *const codes[] = { "mbr-code-missing", "mbr-signature-missing",
		"no-active-partition", "active-without-bootmgr", "ntfs-hidden-sectors", NULL };
	for (size_t i = 0; i < after->nf; i++) {
		size_t fdi;
		const struct partition *pp;
		bool ours = false;
		for (int k = 0; codes[k]; k++)
			ours |= strcmp(after->f[i].code, codes[k]) == 0;
		if (ours && after->f[i].device && target_device_at(inv, after->f[i].device, &fdi, &pp) &&
		    fdi == di)
			return true;
	}
	return false;
}

/* Whether a volume of disk di holds Windows or a BCD store (what fix-boot can be about). */
static bool disk_has_boot(const struct inventory *inv, size_t di)
{
	const struct disk *d = &inv->disks[di];

	for (size_t k = 0; k <= d->nparts; k++) {
		const struct volume *v = k < d->nparts ? &d->parts[k].vol : &d->vol;
		if (v->bcd || v->bcd_file || (v->ntfs && v->ntfs->has_windows))
			return true;
	}
	return false;
}

static void fix_boot_plan(struct job *job)
{
	struct fix_boot_priv *f = job->priv;

	if (!job->ntargets) {
		if (f->only >= 0 && !disk_has_boot(job->inv, (size_t)f->only))
			job_plan_step(job, "Nothing to do on %s: it holds neither Windows nor a BCD "
				      "store ('winrescue diagnose' names the disks that do)",
				      job->inv->disks[f->only].path);
		else if (f->only >= 0)
			job_plan_step(job, "Nothing to do on %s: no BCD store names it wrongly, and "
				      "nothing in its boot chain is for fix-boot to mend",
				      job->inv->disks[f->only].path);
		else
			job_plan_step(job, "Nothing to do: every device the BCD stores name is attached, "
				      "and no boot chain needs what fix-boot mends");
		return;
	}
	if (f->chain[0]) {
		chain_plan(job);
		return;
	}
	if (job->opts.rewrite_bcd) {
		const struct diag_repair *r = f->rep[0];
		const struct vol_ref *v = &job->targets[0];
		char *part = r->part_number ? xasprintf(", and partition %s as %s (partition %zu now)",
							r->part_to, r->part_from, r->part_number)
					    : xstrdup("");
		if (r->kind_changed)
			job_plan_step(job, "Rewrite the %zu device element%s of the BCD store on %s (%s) "
				      "that name %s %s: they will name %s as it is now, %s (%s)",
				      f->nelems, f->nelems == 1 ? "" : "s", v->path, v->vol->bcd_file,
				      r->gpt ? "GPT disk" : "MBR disk", r->to_id, r->disk,
				      r->gpt ? "an MBR disk" : "a GPT disk", r->from_id);
		else if (diag_repair_same_disk(r))
			job_plan_step(job, "Rewrite the %zu device element%s of the BCD store on %s (%s) "
				      "that name partitions of %s %s where they are no longer",
				      f->nelems, f->nelems == 1 ? "" : "s", v->path, v->vol->bcd_file,
				      r->gpt ? "GPT disk" : "MBR disk", r->to_id);
		else
			job_plan_step(job, "Rewrite the %zu device element%s of the BCD store on %s (%s) "
				      "that name %s %s: they will name %s as it is now, %s%s",
				      f->nelems, f->nelems == 1 ? "" : "s", v->path, v->vol->bcd_file,
				      r->gpt ? "GPT disk" : "MBR disk", r->to_id, r->disk, r->from_id,
				      part);
		free(part);
		/* each device of the store's own partitions, from and to */
		for (size_t i = 0; i < r->nmoves; i++) {
			const struct diag_move *m = &r->moves[i];
			if (bcd_device_same(&m->from, &m->to))
				continue;
			char *a = bcd_device_name(&m->from), *b = bcd_device_name(&m->to);
			job_plan_step(job, "Make %s name %s (it names %s)", m->what, b, a);
			free(a);
			free(b);
		}
		job_plan_step(job, "Save the %zu sector%s of the store overwritten to an undo file in "
			      "%s (and the whole store beside it), then write them in place", f->nw,
			      f->nw == 1 ? "" : "s", undo_dir_of(&job->opts));
		job_plan_step(job, "Read the disks again: the store's devices must name %s's partitions",
			      r->disk);
		if (!diag_repair_same_disk(r))
			job_plan_warn(job, "The disk keeps its present identity; the store no longer "
				      "names the one it had. Keep only the Windows disk attached when it "
				      "starts.");
		job->plan.writes = true;
		job->plan.confirm = true;
		job->plan.confirm_word = xstrdup(vol_name(v));
		return;
	}
	for (size_t t = 0; t < job->ntargets; t++) {
		const struct diag_repair *r = f->rep[t];
		char *part = r->part_number ? xasprintf("; and the GUID of partition %zu from %s back "
							"to %s", r->part_number, r->part_from,
							r->part_to) : xstrdup("");
		job_plan_step(job, "Set the %s of %s (Disk %zu) back from %s to %s, as the BCD store on "
			      "%s expects%s", r->gpt ? "GPT disk GUID" : "MBR disk signature", r->disk,
			      job->inv->disks[r->disk_index].number, r->from_id, r->to_id, r->store,
			      part);
		free(part);
	}
	job_plan_step(job, "Save the %zu sector range%s overwritten to an undo file in %s, then write "
		      "%s", f->nw, f->nw == 1 ? "" : "s", undo_dir_of(&job->opts),
		      f->nw == 1 ? "it" : "them");
	job_plan_step(job, "Read the disk%s again: the BCD's devices must name %s partitions",
		      job->ntargets == 1 ? "" : "s", job->ntargets == 1 ? "its" : "their");
	job_plan_warn(job, "Windows gives a disk a new identity when it sees two with the same one: "
		      "keep only the Windows disk attached when it starts.");
	job->plan.writes = true;
	job->plan.confirm = true;
	job->plan.confirm_word = xstrdup(job->targets[0].disk->name);
}

/*
 * The store as it was, beside the undo file ("....undo.BCD"), complete and
 * synced before the first write: a copy Windows RE imports as it is.
 */
static int save_store_copy(const char *undo_file, const uint8_t *data, uint64_t size, char **err)
{
	char *path = xasprintf("%s.BCD", undo_file);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600), rc = 0;

	if (fd < 0 || pwrite_all(fd, data, (size_t)size, 0) != 0 || fsync(fd) != 0) {
		*err = xasprintf("the copy of the store %s cannot be written: %s", path,
				 strerror(errno ? errno : EIO));
		if (fd >= 0)
			unlink(path);
		rc = -1;
	}
	if (fd >= 0)
		close(fd);
	free(path);
	return rc;
}

/*
 * After a chain repair: a disk whose signature came back has no partitions
 * in the kernel yet (none to drop), so it is asked to read the table; then
 * the disk is diagnosed again.
 */
static int chain_result(struct job *job, const struct probe_ctx *here)
{
	struct fix_boot_priv *f = job->priv;
	const struct vol_ref *v = &job->targets[0];
	struct action_result *res = &job->res;
	bool reread = false;

	if (f->chain[0]->signature && !v->disk->nparts) {
		int fd = open(v->path, O_RDONLY | O_CLOEXEC);
		reread = fd >= 0 && ioctl(fd, BLKRRPART) == 0;
		if (fd >= 0)
			close(fd);
	}
	struct inventory *inv = probes_scan(here);
	struct diagnosis after;
	size_t di;
	const struct partition *pp;
	bool found = target_device_at(inv, v->path, &di, &pp), left, nodes = true;
	diagnose(inv, &after);
	left = found && chain_left(inv, &after, di);
	for (size_t k = 0; found && k < inv->disks[di].nparts; k++)
		nodes &= inv->disks[di].parts[k].path != NULL;
	diagnosis_free(&after);
	inventory_free(inv);
	if (left)
		return job_result(job, ACT_FAILED, "still-broken",
				  "'winrescue diagnose' says what is left; 'winrescue undo FILE' puts the "
				  "previous bytes back.",
				  "%s was written, but its boot chain is still not whole; the undo file is "
				  "%s.", v->path, res->undo_file);
	char *next = nodes ? xstrdup("Detach the rescue disk and start Windows; 'winrescue undo FILE' "
				     "puts the previous bytes back.")
			   : xasprintf("Run 'partx -a %s' so that Linux sees its partitions again%s; "
				       "'winrescue undo FILE' puts the previous bytes back.", v->path,
				       reread ? "" : " (the kernel did not read the table)");
	int rc = job_result(job, ACT_OK, "fixed", next,
			    "The boot chain of %s is mended (%zu sector%s written); the undo file is %s.",
			    v->path, f->nw, f->nw == 1 ? "" : "s", res->undo_file);
	free(next);
	return rc;
}

static int fix_boot_run(struct job *job)
{
	struct fix_boot_priv *f = job->priv;
	struct action_result *res = &job->res;
	char *why = NULL, *err = NULL;
	int rc, st;

	if (!job->ntargets)
		return job_result(job, ACT_OK, "nothing-to-fix", NULL,
				  "%s; nothing was written.", job->plan.steps[0]);
	for (size_t t = 0; t < job->ntargets; t++) {
		const struct vol_ref *v = &job->targets[t];
		const struct boot_write *w = &f->w[f->first_w[t]];
		size_t n = f->n_w[t];
		struct undo_range *ranges = xcalloc(n ? n : 1, sizeof(*ranges));
		struct undo_writer uw;
		int fd;

		if ((fd = vol_open_exclusive(v, O_RDWR, &why, &st)) < 0) {
			free(ranges);
			/* fix-boot's statuses are 0, 1, 16 and 32 */
			rc = job_result(job, st == ACT_REFUSED ? ACT_REFUSED : ACT_FAILED,
					st == ACT_REFUSED ? "in-use" : "unwritable", NULL, "%s", why);
			free(why);
			return rc;
		}
		if (!job_step(job, "%s", job->plan.steps[job->plan.nsteps - 2])) {
			free(ranges);
			close(fd);
			return job_result(job, ACT_REFUSED, "cancelled", NULL,
					  "Cancelled; nothing was written.");
		}
		uint64_t *olds = xcalloc(n ? n : 1, sizeof(*olds));
		for (size_t i = 0; i < n; i++) {
			ranges[i] = w[i].r;
			olds[i] = w[i].old_hash;
		}
		/* this target's areas; its identity as it will be: fix-boot may change the table's id */
		struct undo_area *areas = xcalloc(f->nareas ? f->nareas : 1, sizeof(*areas));
		size_t na = 0;
		for (size_t i = 0; i < f->nareas; i++)
			if (f->area_t[i] == t)
				areas[na++] = f->areas[i];
		struct undo_bind bind = { areas, na,
					  undo_identity(v, !job->opts.rewrite_bcd && f->rep[t]
						   ? f->rep[t]->to_id : NULL) };
		rc = undo_save(&uw, undo_dir_of(&job->opts), vol_name(v),
			       job->opts.rewrite_bcd ? "rewrite-bcd" : "fix-boot", v->path, vol_size(v),
			       job->id, &bind, ranges, olds, n, fd, NULL, NULL, &err);
		json_object_put(bind.target);
		free(areas);
		free(ranges);
		free(olds);
		if (rc != 0) {
			close(fd);
			rc = job_result(job, ACT_FAILED, "undo-failed", NULL,
					"Nothing was written to %s: %s.", v->path, err);
			free(err);
			return rc;
		}
		free(res->undo_file);
		res->undo_file = uw.path;
		uw.path = NULL;
		/* the whole store too, for Windows RE (bcdedit /import FILE) */
		if (job->opts.rewrite_bcd && f->store &&
		    save_store_copy(res->undo_file, f->store, f->store_size, &err) != 0) {
			close(fd);
			rc = job_result(job, ACT_FAILED, "undo-failed", NULL,
					"Nothing was written to %s: %s.", v->path, err);
			free(err);
			return rc;
		}
		job->cancel = NULL;	/* from the first write on, the whole change goes in */
		for (size_t i = 0; i < n; i++) {
			if (pwrite_all(fd, w[i].data, (size_t)w[i].r.len, w[i].r.off) != 0 ||
			    fdatasync(fd) != 0) {
				int e = errno;
				bool back = undo_rollback(res->undo_file, fd, i);
				close(fd);
				return job_result(job, ACT_FAILED, "write-failed",
						  "The device fails to write: copy it with ddrescue first.",
						  "Writing the %s of %s failed: %s. %s", w[i].r.what, v->path,
						  strerror(e), back ? "What was written is put back." :
						  "Putting it back failed too; the undo file holds the old bytes.");
			}
			res->bytes_written += w[i].r.len;
		}
		/*
		 * The kernel is not asked to read the table again: BLKRRPART drops
		 * every partition node first, and where nothing adds them back (no
		 * udev) they are gone. Partitions did not move; only a changed
		 * partition GUID stays old in /sys until the next start.
		 */
		close(fd);
	}
	/* the proof: the store's devices name this disk's partitions again */
	job_step(job, "%s", job->plan.steps[job->plan.nsteps - 1]);
	static const struct probe_ctx here = { 0 };
	if (f->chain[0])
		return chain_result(job, &here);
	struct inventory *inv = probes_scan(&here);
	struct diagnosis after;
	bool left = false;
	diagnose(inv, &after);
	for (size_t i = 0; i < after.nf; i++)
		left |= strcmp(after.f[i].code, "bcd-device-mismatch") == 0 && after.f[i].device &&
			strcmp(after.f[i].device, f->rep[0]->store) == 0;
	diagnosis_free(&after);
	inventory_free(inv);
	if (left)
		return job_result(job, ACT_FAILED, "still-mismatched",
				  "Put the previous identity back with 'winrescue undo FILE', then "
				  "rebuild the store from Windows RE (bcdboot C:\\Windows).",
				  "%s was written, but the BCD store on %s still names a disk that is not "
				  "attached; the undo file is %s.", job->targets[0].path, f->rep[0]->store,
				  res->undo_file);
	if (job->opts.rewrite_bcd)
		return job_result(job, ACT_OK, "fixed",
				  "Detach the rescue disk and start Windows; 'winrescue undo FILE' puts "
				  "the store's previous bytes back.",
				  "The BCD store on %s names %s as it is now (%s); the undo file is %s "
				  "(the whole store as it was: %s.BCD).", job->targets[0].path,
				  f->rep[0]->disk, f->rep[0]->from_id, res->undo_file, res->undo_file);
	return job_result(job, ACT_OK, "fixed",
			  "Detach the rescue disk and start Windows; 'winrescue undo FILE' puts the "
			  "previous identity back.",
			  "%s has the identity the BCD store expects again (%s); the undo file is %s.",
			  job->targets[0].path, f->rep[0]->to_id, res->undo_file);
}

const struct action action_fix_boot = {
	.name = "fix-boot",
	.label = "Fix boot",
	.key = 0,		/* from the TUI's Boot diagnosis screen */
	.risk = RISK_WRITES_TABLE,
	.resolve = fix_boot_resolve,
	.preflight = fix_boot_preflight,
	.plan = fix_boot_plan,
	.run = fix_boot_run,
	.free_priv = fix_boot_free_priv,
};
