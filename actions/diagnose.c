/*
 * diagnose.c - why Windows would not boot (diagnose.h), from one snapshot.
 *
 * For each Windows installation on a disk that is not the rescue
 * system's: the BCD store its firmware reads (UEFI: the ESP's
 * \EFI\Microsoft\Boot\BCD; BIOS: \Boot\BCD on the active partition), or
 * any store whose loader names it; the boot manager's default entry; each
 * device it names matched to the partitions attached (the scan matched
 * them). A device no attached disk has is the winload.exe / 0xc000000e
 * case: the disk most likely meant is the one holding the partition GUID
 * the BCD names, or, when that changed too, the disk of the store; the
 * repair puts its old identity back (fix-boot) unless another disk holds
 * it (the collision would come back).
 */
#include "actions/action.h"
#include "actions/diagnose.h"
#include "actions/verdict.h"
#include "lib/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *diag_weight_name(enum diag_weight w)
{
	return w == DIAG_BLOCKS ? "blocks-boot" : w == DIAG_UNKNOWN ? "unknown" : "note";
}

static struct diag_finding *add(struct diagnosis *d, enum diag_weight w, enum severity sev,
				const char *code, const char *device, const char *next,
				const char *fmt, ...) __attribute__((format(printf, 7, 8)));

static struct diag_finding *add(struct diagnosis *d, enum diag_weight w, enum severity sev,
				const char *code, const char *device, const char *next,
				const char *fmt, ...)
{
	struct diag_finding *f;
	va_list ap;
	char *m;

	va_start(ap, fmt);
	if (vasprintf(&m, fmt, ap) < 0)
		m = NULL;
	va_end(ap);
	d->f = xrealloc(d->f, d->nf + 1, sizeof(*d->f));
	f = &d->f[d->nf++];
	memset(f, 0, sizeof(*f));
	f->weight = w;
	f->severity = sev;
	f->code = xstrdup(code);
	f->device = device ? xstrdup(device) : NULL;
	f->message = m ? sanitize_terminal(m) : xstrdup(code);
	f->next = next ? xstrdup(next) : NULL;
	free(m);
	return f;
}

struct diag_finding *diag_add_text(struct diagnosis *d, enum diag_weight w, enum severity sev,
				   const char *code, const char *device, const char *next,
				   const char *message)
{
	return add(d, w, sev, code, device, next, "%s", message);
}

static bool is_rescue(const struct inventory *inv, size_t di)
{
	return inv->disks[di].role == DISK_ROLE_RESCUE;
}

/* The partition whose device node is path, and its disk (NULL: no partition has it). */
static const struct partition *part_at(const struct inventory *inv, const char *path, size_t *di)
{
	const struct partition *p;

	return target_device_at(inv, path, di, &p) ? p : NULL;
}

static bool is_gpt(const struct disk *d)
{
	return d->pttype && strcmp(d->pttype, "gpt") == 0;
}

static bool is_dos(const struct disk *d)
{
	return d->pttype && strcmp(d->pttype, "dos") == 0;
}

static const struct bcd_entry *bootmgr_of(const struct bcd_store *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->e[i].type == BCD_TYPE_BOOTMGR)
			return &s->e[i];
	return NULL;
}

/* A store's OS loader that names dev as its osdevice (the default first), or NULL. */
static const struct bcd_entry *loader_for(const struct bcd_store *s, const char *dev)
{
	const struct bcd_entry *m = bootmgr_of(s), *def = m ? bcd_find(s, m->default_id) : NULL;

	if (def && def->has_osdevice && def->osdevice.present && strcmp(def->osdevice.present, dev) == 0)
		return def;
	for (size_t i = 0; i < s->n; i++)
		if (s->e[i].type == BCD_TYPE_OSLOADER && s->e[i].has_osdevice &&
		    s->e[i].osdevice.present && strcmp(s->e[i].osdevice.present, dev) == 0)
			return &s->e[i];
	return NULL;
}

/*
 * The store that starts the Windows on w: one whose loader names it (on
 * any disk but the rescue one), else the one its disk's firmware reads:
 * the ESP's (GPT, or an MBR disk with an ESP), else the active partition's.
 */
static void find_store(const struct inventory *inv, struct diag_windows *w)
{
	const struct disk *d = &inv->disks[w->disk_index];

	for (size_t i = 0; i < inv->ndisks; i++) {
		if (is_rescue(inv, i))
			continue;
		for (size_t k = 0; k < inv->disks[i].nparts; k++) {
			const struct partition *p = &inv->disks[i].parts[k];
			if (p->vol.bcd && p->path && loader_for(p->vol.bcd, w->device)) {
				w->store = &p->vol;
				w->store_device = p->path;
				return;
			}
		}
	}
	for (size_t k = 0; k < d->nparts; k++)
		if (d->parts[k].role == PART_ROLE_ESP && d->parts[k].vol.bcd_file) {
			w->store = &d->parts[k].vol;
			w->store_device = d->parts[k].path;
			return;
		}
	for (size_t k = 0; !is_gpt(d) && k < d->nparts; k++)
		if (d->parts[k].bootable && d->parts[k].vol.bcd_file) {
			w->store = &d->parts[k].vol;
			w->store_device = d->parts[k].path;
			return;
		}
}

/* Why no store was found, in words, for bcd-missing. */
static char *why_no_store(const struct disk *d)
{
	bool esp = false, active = false;

	for (size_t k = 0; k < d->nparts; k++) {
		esp |= d->parts[k].role == PART_ROLE_ESP;
		active |= d->parts[k].bootable;
	}
	if (esp)
		return xasprintf("the EFI System Partition of Disk %zu (%s) holds no "
				 "\\EFI\\Microsoft\\Boot\\BCD", d->number, d->path);
	if (is_gpt(d))
		return xasprintf("Disk %zu (%s) is a GPT disk without an EFI System Partition",
				 d->number, d->path);
	if (!active)
		return xasprintf("no partition of Disk %zu (%s) is marked active, and none holds an "
				 "ESP", d->number, d->path);
	return xasprintf("the active partition of Disk %zu (%s) holds no \\Boot\\BCD", d->number,
			 d->path);
}

/* ---- bcd-device-mismatch: the disk most likely meant, and what would put it back ---- */

struct wanted {
	const struct bcd_device *b;
	const char *what;		/* "the default loader's osdevice" */
	const struct partition *own;	/* the partition it should name */
	size_t own_disk;		/* and its disk */
};

static void repair_free(struct diag_repair *r)
{
	free(r->disk);
	free(r->from_id);
	free(r->to_id);
	free(r->part_from);
	free(r->part_to);
	free(r->store);
	free(r->refused);
	free(r->moves);
}

/* The disk (any of them) holding a GPT partition with this GUID. */
static bool disk_with_partuuid(const struct inventory *inv, const char *guid, size_t *di,
			       const struct partition **p)
{
	for (size_t i = 0; i < inv->ndisks; i++)
		for (size_t k = 0; k < inv->disks[i].nparts; k++)
			if (inv->disks[i].parts[k].partuuid &&
			    strcasecmp(inv->disks[i].parts[k].partuuid, guid) == 0) {
				*di = i;
				*p = &inv->disks[i].parts[k];
				return true;
			}
	return false;
}

/* Another disk than di with this identity: its index, or -1. */
static long holder_of_id(const struct inventory *inv, size_t di, const char *pttype, const char *id)
{
	for (size_t i = 0; i < inv->ndisks; i++)
		if (i != di && inv->disks[i].ptuuid && inv->disks[i].pttype &&
		    strcmp(inv->disks[i].pttype, pttype) == 0 && strcasecmp(inv->disks[i].ptuuid, id) == 0)
			return (long)i;
	return -1;
}

/* Partition p of disk t as a BCD device would name it now: false when it cannot be named. */
static bool device_now(const struct disk *t, const struct partition *p, struct bcd_device *d)
{
	char *end;
	unsigned long sig;

	memset(d, 0, sizeof(*d));
	if (!t->ptuuid)
		return false;
	if (is_gpt(t)) {
		d->kind = BCD_DEV_GPT;
		return p->partuuid && bcd_guid_parse(t->ptuuid, d->disk_guid) &&
		       bcd_guid_parse(p->partuuid, d->part_guid);
	}
	sig = strtoul(t->ptuuid, &end, 16);
	if (end == t->ptuuid || *end || sig > 0xffffffffUL)
		return false;
	d->kind = BCD_DEV_MBR;
	d->disk_signature = (uint32_t)sig;
	d->part_offset = p->start;
	return true;
}

bool diag_repair_same_disk(const struct diag_repair *r)
{
	return !r->kind_changed && !strcasecmp(r->from_id, r->to_id) && !r->part_number;
}

const char *diag_repair_how(const struct diag_repair *r)
{
	if (!r->refused)
		return "put back the identity the BCD store expects";
	if (!r->rewrite)
		return NULL;
	return r->collision ? "rewrite the BCD store's devices (another disk has the identity it "
			      "expects)"
	       : r->kind_changed ? "rewrite the BCD store's devices (the disk changed from GPT to "
				   "MBR or back)"
	       : "rewrite the BCD store's devices (its partitions moved)";
}

/*
 * Why --rewrite-bcd cannot tell which partitions of disk ti a store's
 * devices should name (NULL when it can): two devices naming one partition
 * that are two partitions now, more than one Windows on the disk (which one
 * the loader meant), another disk with ti's identity (the store would name
 * both), a GPT read only through its protective MBR. Caller frees.
 */
static char *rewrite_block(const struct inventory *inv, size_t ti, const struct diag_repair *r)
{
	const struct disk *t = &inv->disks[ti];
	const char *win[2] = { NULL, NULL };
	size_t nwin = 0;

	for (size_t i = 0; i < r->nmoves; i++)
		for (size_t j = i + 1; j < r->nmoves; j++)
			if (bcd_device_same(&r->moves[i].from, &r->moves[j].from) &&
			    !bcd_device_same(&r->moves[i].to, &r->moves[j].to))
				return xasprintf("%s and %s name one partition, and they should name two",
						 r->moves[i].what, r->moves[j].what);
	for (size_t k = 0; k < t->nparts; k++) {
		const struct ntfs_state *ns = t->parts[k].vol.ntfs;
		if (ns && ns->has_windows && nwin++ < 2)
			win[nwin - 1] = t->parts[k].path ? t->parts[k].path : "?";
		if (t->parts[k].parttype && !strcmp(t->parts[k].parttype, "0xee"))
			return xasprintf("the GPT headers of %s are not valid (only its protective MBR "
					 "is read)", t->path);
	}
	if (nwin > 1)
		return xasprintf("%s holds more than one Windows (%s and %s): which one the store's "
				 "loader meant cannot be told", t->path, win[0], win[1]);
	long h = t->ptuuid && t->pttype ? holder_of_id(inv, ti, t->pttype, t->ptuuid) : -1;
	if (h >= 0)
		return xasprintf("Disk %zu (%s) has the same %s as %s (%s): the store would name both",
				 inv->disks[h].number, inv->disks[h].path, is_gpt(t) ? "GPT disk GUID"
				 : "MBR signature", t->path, t->ptuuid);
	return NULL;
}

/*
 * The repair for the devices of one store that do not name the partitions
 * they should (w[i].own: the store's own partition for the boot manager,
 * the Windows volume for its loader): the disk that holds those partitions,
 * the identity the store expects of it, and each device as it would name
 * its partition now (r->moves, for --rewrite-bcd). Every device must name
 * one disk, and its partitions must all be on that one disk. Putting the
 * identity back needs each device to name its own partition (MBR: by its
 * offset; GPT: by its GUID, or by the one GUID that changed with the
 * disk's) on a disk of the kind the store names; when only the store can
 * change (a partition moved, the other kind of disk, a collision),
 * r->refused says why and r->rewrite is set. NULL when the disk has
 * neither a GPT nor an MBR table.
 */
static struct diag_repair *plan_repair(const struct inventory *inv, const char *store,
				       const struct wanted *w, size_t n, struct diag_repair *r)
{
	size_t ti = w[0].own_disk;
	const struct disk *t = &inv->disks[ti];
	char id[37], a[48], b[48];

	memset(r, 0, sizeof(*r));
	if (!is_gpt(t) && !is_dos(t))
		return NULL;
	r->disk_index = ti;
	r->disk = xstrdup(t->path);
	r->gpt = w[0].b->kind == BCD_DEV_GPT;
	r->kind_changed = r->gpt != is_gpt(t);
	r->from_id = xstrdup(t->ptuuid ? t->ptuuid : "");
	r->store = xstrdup(store);
	if (r->gpt)
		bcd_guid_text(w[0].b->disk_guid, id);
	else
		snprintf(id, sizeof(id), "%08x", w[0].b->disk_signature);
	r->to_id = xstrdup(id);
	for (size_t i = 0; i < n && !r->refused; i++) {
		const struct bcd_device *d = w[i].b;
		char other[37];
		if (d->kind != w[0].b->kind)
			r->refused = xstrdup("its devices name both GPT and MBR disks");
		else if (r->gpt ? (bcd_guid_text(d->disk_guid, other), strcasecmp(other, id) != 0)
				: d->disk_signature != w[0].b->disk_signature)
			r->refused = xstrdup("its devices name more than one disk");
		else if (w[i].own_disk != ti)
			r->refused = xstrdup("the partitions it should name are on more than one disk");
	}
	if (!r->refused && is_rescue(inv, ti))
		r->refused = xasprintf("%s is the rescue system's disk", t->path);
	if (r->refused)
		return r;
	r->moves = xcalloc(n, sizeof(*r->moves));
	for (size_t i = 0; i < n; i++) {
		struct diag_move *m = &r->moves[r->nmoves];
		if (!device_now(t, w[i].own, &m->to)) {
			r->refused = xasprintf("%s has no identity a BCD store can name",
					       w[i].own->path ? w[i].own->path : t->path);
			return r;
		}
		m->from = *w[i].b;
		m->from.present = NULL;
		m->what = w[i].what;
		r->nmoves++;
	}
	/*
	 * When the identity alone cannot name them again (the disk changed
	 * kind, a partition moved, more than one partition GUID changed), only
	 * --rewrite-bcd can, and only where the partitions meant can be told.
	 */
	char *block = rewrite_block(inv, ti, r);
	bool moved = r->kind_changed;
	if (r->kind_changed)
		r->refused = xasprintf("the store names %s disk and %s is %s disk now", r->gpt ? "a GPT"
				       : "an MBR", t->path, r->gpt ? "an MBR" : "a GPT");
	for (size_t i = 0; i < n && !r->refused; i++) {
		const struct bcd_device *d = w[i].b;
		char pg[37];
		if (!r->gpt) {
			if (w[i].own->start != d->part_offset) {
				r->refused = xasprintf("%s names the partition at %s, and %s starts at %s: "
						       "the partitions moved", w[i].what,
						       bcd_offset_words(d->part_offset, a, sizeof(a)),
						       w[i].own->path ? w[i].own->path : t->path,
						       bcd_offset_words(w[i].own->start, b, sizeof(b)));
				moved = true;
			}
			continue;
		}
		bcd_guid_text(d->part_guid, pg);
		if (w[i].own->partuuid && strcasecmp(w[i].own->partuuid, pg) == 0)
			continue;
		/* the partition GUID changed too: it goes back with the disk's */
		if (r->part_number && r->part_number != w[i].own->number) {
			r->refused = xstrdup("more than one partition GUID changed");
			moved = true;
		} else if (r->part_number) {
			if (strcasecmp(r->part_to, pg) != 0) {
				r->refused = xasprintf("partition %zu of %s would need two GUIDs",
						       w[i].own->number, t->path);
				moved = true;
			}
		} else {
			size_t odi;
			const struct partition *op;
			r->part_number = w[i].own->number;
			r->part_from = xstrdup(w[i].own->partuuid ? w[i].own->partuuid : "");
			r->part_to = xstrdup(pg);
			if (disk_with_partuuid(inv, pg, &odi, &op)) {
				r->collision = r->rewrite = true;
				r->refused = xasprintf("%s already has partition GUID %s", op->path
						       ? op->path : inv->disks[odi].path, pg);
			}
		}
	}
	if (moved) {
		r->moved = true;
		if (block) {
			free(r->refused);
			r->refused = block;
		} else {
			r->rewrite = true;
		}
		return r;
	}
	free(block);
	/* the identity names them again: --rewrite-bcd renames the disk only */
	free(r->moves);
	r->moves = NULL;
	r->nmoves = 0;
	if (!r->refused) {
		long h = holder_of_id(inv, ti, t->pttype, id);
		r->collision = r->rewrite = h >= 0;
		if (h >= 0)
			r->refused = xasprintf("Disk %zu (%s) already has %s %s: putting it back on %s "
					       "would make the collision that changed it again",
					       inv->disks[h].number,
					       inv->disks[h].path, r->gpt ? "GPT disk GUID" : "MBR "
					       "signature", id, t->path);
		else if (strcasecmp(r->from_id, id) == 0 && !r->part_number)
			r->refused = xasprintf("%s has that identity already", t->path);
	}
	return r;
}

/*
 * A partition device of an entry that does not name the partition it
 * should be on this disk: none attached has its identity, or it is on
 * another disk (a clone that kept the old identity: detached, it is gone).
 * *elsewhere: the partition it names now, when there is one.
 */
static bool misnamed(const struct inventory *inv, const struct bcd_entry *e, bool os,
		     size_t own_disk, const char **elsewhere)
{
	const struct bcd_device *b = os ? &e->osdevice : &e->device;
	size_t di;

	*elsewhere = NULL;
	if (!(os ? e->has_osdevice : e->has_device) || (b->kind != BCD_DEV_GPT && b->kind != BCD_DEV_MBR))
		return false;
	if (!b->present)
		return true;
	if (part_at(inv, b->present, &di) && di != own_disk) {
		const struct disk *o = &inv->disks[di], *m = &inv->disks[own_disk];
		/* a copy with this very disk's identity: not the store's fault; the
		 * signature-collision finding says to detach the copy */
		if (o->pttype && m->pttype && o->ptuuid && m->ptuuid &&
		    strcmp(o->pttype, m->pttype) == 0 && strcasecmp(o->ptuuid, m->ptuuid) == 0)
			return false;
		*elsewhere = b->present;
		return true;
	}
	return false;
}

static bool path_is(const char *path, const char *want)
{
	return path && strcasecmp(path, want) == 0;
}

/* The store's devices against the disks: mismatches, the default, the loader's files. */
static void check_store(const struct inventory *inv, struct diagnosis *d, struct diag_windows *w)
{
	const struct volume *sv = w->store;
	const struct bcd_store *s = sv->bcd;
	const char *sdev = w->store_device;
	struct wanted want[3];
	size_t nw = 0, sd = 0;
	const struct partition *sp = part_at(inv, sdev, &sd);

	w->bootmgr = bootmgr_of(s);
	if (!w->bootmgr) {
		add(d, DIAG_BLOCKS, SEV_ERROR, "bcd-default-missing", sdev,
		    "Rebuild the store from Windows RE (bcdboot C:\\Windows), or restore it from a backup.",
		    "The BCD store on %s (%s) has no Windows Boot Manager object: nothing starts Windows.",
		    sdev, sv->bcd_file);
		return;
	}
	w->loader = bcd_find(s, w->bootmgr->default_id);
	if (!w->loader) {
		add(d, DIAG_BLOCKS, SEV_ERROR, "bcd-default-missing", sdev,
		    "Set a default from Windows RE (bcdedit /default {GUID}), or rebuild the store "
		    "(bcdboot C:\\Windows).",
		    "The boot manager's default in the BCD store on %s names %s, which is not in the "
		    "store: Windows Boot Manager stops with 0xc0000098 or shows an empty menu.", sdev,
		    w->bootmgr->default_id ? w->bootmgr->default_id : "no entry");
		w->loader = loader_for(s, w->device);
		if (!w->loader)
			return;
	}
	/*
	 * The boot manager's device should be the store's own partition; the
	 * loader's device and osdevice the Windows volume, unless another
	 * loader of the store names it properly.
	 */
	const char *where[3];
	if (sp && misnamed(inv, w->bootmgr, false, sd, &where[nw]))
		want[nw++] = (struct wanted){ &w->bootmgr->device, "the boot manager's device",
					     sp, sd };
	if (w->part && !loader_for(s, w->device)) {
		if (misnamed(inv, w->loader, false, w->disk_index, &where[nw]))
			want[nw++] = (struct wanted){ &w->loader->device,
						     "the default loader's device", w->part,
						     w->disk_index };
		if (misnamed(inv, w->loader, true, w->disk_index, &where[nw]))
			want[nw++] = (struct wanted){ &w->loader->osdevice,
						     "the default loader's osdevice", w->part,
						     w->disk_index };
	}
	/* a device in a form winrescue does not read (the legacy partition form, another style) */
	bool own_loader = w->part && !loader_for(s, w->device);
	const struct { const struct bcd_entry *e; bool os, on; const char *what; } dv[] = {
		{ w->bootmgr, false, sp != NULL, "the boot manager's device" },
		{ w->loader, false, own_loader, "the default loader's device" },
		{ w->loader, true, own_loader, "the default loader's osdevice" },
	};
	char *unread = NULL;
	for (size_t i = 0; i < sizeof(dv) / sizeof(dv[0]); i++) {
		const struct bcd_device *b = !dv[i].e || !dv[i].on ? NULL
					     : dv[i].os ? (dv[i].e->has_osdevice ? &dv[i].e->osdevice : NULL)
					     : (dv[i].e->has_device ? &dv[i].e->device : NULL);
		if (!b || b->kind != BCD_DEV_UNKNOWN)
			continue;
		char *name = bcd_device_name(b), *t = xasprintf("%s%s%s as %s", unread ? unread : "",
								unread ? "; " : "", dv[i].what, name);
		free(name);
		free(unread);
		unread = t;
	}
	if (unread)
		add(d, DIAG_UNKNOWN, SEV_WARNING, "bcd-device-unknown", sdev,
		    "Look at the store from Windows RE (bcdedit /enum all), or rebuild it there "
		    "(bcdboot C:\\Windows).",
		    "The BCD store on %s (%s) names %s: winrescue does not read that form, so whether "
		    "it names this disk is not known.", sdev, sv->bcd_file, unread);
	free(unread);

	struct diag_repair r;
	char *likely = xstrdup(""), *next = NULL;
	bool fixable = false;
	bool same_disk = false;		/* the disk's identity is the one named: partitions moved */
	if (nw && plan_repair(inv, sdev, want, nw, &r)) {
		size_t num = inv->disks[r.disk_index].number;
		same_disk = diag_repair_same_disk(&r);
		free(likely);
		if (r.kind_changed) {
			likely = xasprintf(" Disk %zu (%s) holds the partitions it should name, as %s "
					   "disk (%s %s) now.", num, r.disk, r.gpt ? "an MBR" : "a GPT",
					   r.gpt ? "signature" : "GUID", r.from_id);
		} else if (same_disk) {
			likely = xasprintf(" Disk %zu (%s) is that disk: %s.", num, r.disk,
					   r.refused ? r.refused : "its partitions are not where the "
					   "store says");
		} else {
			char *pg = r.part_number ? xasprintf(", and partition %zu's GUID %s (it is %s "
							     "now)", r.part_number, r.part_to,
							     r.part_from) : xstrdup("");
			bool moved = r.refused && r.rewrite && !r.collision;
			likely = xasprintf(" Disk %zu (%s) is most likely that disk: its %s is %s now%s.%s%s%s",
					   num, r.disk, r.gpt ? "GPT disk GUID" : "MBR signature",
					   r.from_id, pg, moved ? " Putting it back would not do: " : "",
					   moved ? r.refused : "", moved ? "." : "");
			free(pg);
		}
		if (r.refused && r.rewrite && r.collision)
			next = xasprintf("'winrescue fix-boot %s --rewrite-bcd' makes the store name the "
					 "disk as it is now (an undo file keeps the store's bytes); its "
					 "identity cannot go back: %s.", r.disk, r.refused);
		else if (r.refused && r.rewrite)
			next = xasprintf("'winrescue fix-boot %s --rewrite-bcd' makes the store name the "
					 "partitions as they are now (an undo file keeps the store's "
					 "bytes).", r.disk);
		else if (r.refused)
			next = xasprintf("fix-boot cannot put the identity back (%s): rewrite the BCD's "
					 "devices from Windows RE (bcdboot C:\\Windows).", r.refused);
		else
			next = xasprintf("'winrescue fix-boot %s' puts its %s %s back; an undo file "
					 "keeps the present one.", r.disk,
					 r.gpt ? "GPT disk GUID" : "MBR signature", r.to_id);
		fixable = !r.refused || r.rewrite;	/* with --rewrite-bcd */
		d->rep = xrealloc(d->rep, d->nrep + 1, sizeof(*d->rep));
		d->rep[d->nrep++] = r;
	} else if (nw) {
		next = xstrdup("Attach the disk it names, or rebuild the store from Windows RE "
			       "(bcdboot C:\\Windows).");
	}
	if (nw) {
		/*
		 * One finding per store, short: the disk it names once, then each
		 * device by the partition it names.
		 */
		char *list = xstrdup(""), *t, disk[64], part[80];
		struct diag_finding *f;
		bool clone = false;
		const struct bcd_device *b0 = want[0].b;
		if (b0->kind == BCD_DEV_GPT) {
			char g[37];
			bcd_guid_text(b0->disk_guid, g);
			snprintf(disk, sizeof(disk), "GPT disk %s", g);
		} else {
			snprintf(disk, sizeof(disk), "MBR disk %08x", b0->disk_signature);
		}
		for (size_t i = 0; i < nw; i++) {
			const struct bcd_device *b = want[i].b;
			if (b->kind == BCD_DEV_GPT) {
				char g[37];
				bcd_guid_text(b->part_guid, g);
				snprintf(part, sizeof(part), "partition %s", g);
			} else {
				char o[48];
				snprintf(part, sizeof(part), "the partition at %s",
					 bcd_offset_words(b->part_offset, o, sizeof(o)));
			}
			t = xasprintf("%s%s%s: %s%s%s%s", list, i ? "; " : "", want[i].what, part,
				      where[i] ? " (found on another disk, as " : "",
				      where[i] ? where[i] : "", where[i] ? ")" : "");
			clone |= where[i] != NULL;
			free(list);
			list = t;
		}
		f = add(d, DIAG_BLOCKS, SEV_ERROR, "bcd-device-mismatch", sdev, next,
			"The BCD store on %s (%s) names %s, %s (%s). Windows stops with 0xc000000e: "
			"winload cannot find its device%s.%s", sdev, sv->bcd_file, disk,
			same_disk ? "but not partitions it has" : "which is not this disk", list,
			clone ? " once the other disk is detached (Windows does not keep two disks "
			"with one identity)" : "", likely);
		f->fixable = fixable;
		free(list);
	}
	free(likely);
	free(next);

	/* the loader's files on the volume it names (known loaders only) */
	const char *ldev = w->loader->has_device && w->loader->device.present ? w->loader->device.present
			   : NULL;
	size_t ldi;
	const struct partition *lp = part_at(inv, ldev, &ldi);
	const struct ntfs_state *ln = lp ? lp->vol.ntfs : NULL;
	if (ln && ln->opened && ln->has_windows) {
		bool exe = path_is(w->loader->path, "\\Windows\\system32\\winload.exe");
		bool efi = path_is(w->loader->path, "\\Windows\\system32\\winload.efi");
		if ((exe && !ln->has_winload_exe) || (efi && !ln->has_winload_efi))
			add(d, DIAG_BLOCKS, SEV_ERROR, "bcd-path-missing", ldev,
			    "Copy the loader back from Windows RE (sfc /scannow /offbootdir=C:\\ "
			    "/offwindir=C:\\Windows), or from the same Windows build.",
			    "The default entry of the BCD store on %s starts %s on %s, which is not "
			    "there: Windows stops with 0xc000000f or 0xc0000225.", sdev,
			    w->loader->path, ldev);
	}
	const char *odev = w->loader->has_osdevice ? w->loader->osdevice.present : NULL;
	size_t odi;
	const struct partition *op = part_at(inv, odev, &odi);
	if (op && op->vol.ntfs && op->vol.ntfs->opened && !op->vol.ntfs->has_windows &&
	    path_is(w->loader->systemroot, "\\Windows"))
		add(d, DIAG_BLOCKS, SEV_ERROR, "bcd-path-missing", odev,
		    "Point the entry at the Windows volume from Windows RE (bcdboot C:\\Windows).",
		    "The default entry of the BCD store on %s starts Windows from %s, which has no "
		    "\\Windows\\System32\\config\\SYSTEM.", sdev, odev);
	if (w->loader->safeboot >= 0)
		add(d, DIAG_BLOCKS, SEV_WARNING, "safe-mode-set", sdev,
		    "Clear it from Windows RE or Safe Mode (bcdedit /deletevalue {default} "
		    "safeboot); a cloud server in Safe Mode often has no network or RDP.",
		    "The default entry of the BCD store on %s starts Windows in Safe Mode (%s) every "
		    "time.", sdev, w->loader->safeboot == 0 ? "minimal" : w->loader->safeboot == 1
		    ? "network" : "repair");
}

/* The next step the volume's verdict gives for its finding code (verdict_step). */
static char *volume_step(const struct inventory *inv, const struct diagnosis *d, size_t di,
			 const struct partition *p, const char *code)
{
	struct vol_ref r = target_ref(inv, di, p);

	return verdict_step(inv, &r, d->memos, code);
}

/* What the Windows volume and its hives say: hibernation, updates, control sets. */
static void check_windows(const struct inventory *inv, struct diagnosis *d,
			  const struct diag_windows *w)
{
	const struct ntfs_state *n = w->vol->ntfs;
	const struct win_system *s = n->win;
	const char *dev = w->device;

	char *step;

	if (n->hibernated == TRI_YES) {
		step = volume_step(inv, d, w->disk_index, w->part, "ntfs-hibernated");
		add(d, DIAG_NOTE, SEV_WARNING, "ntfs-hibernated", dev, step,
		    "Windows on %s was hibernated: it resumes that session at its next start, and "
		    "nothing may be written to the volume from here until then.", dev);
		free(step);
	} else if (n->logfile == NTFS_LOGFILE_FAST_RESTART) {
		step = volume_step(inv, d, w->disk_index, w->part, "ntfs-fast-restart");
		add(d, DIAG_NOTE, SEV_INFO, "fast-startup", dev, step,
		    "Windows on %s was shut down with Fast Startup: its kernel session is saved in "
		    "hiberfil.sys and the volume is not cleanly closed.", dev);
		free(step);
	}
	if (!s) {
		step = volume_step(inv, d, w->disk_index, w->part, "hive-unreadable");
		add(d, DIAG_UNKNOWN, SEV_WARNING, "hive-unreadable", dev, step,
		    "Windows on %s: %s.", dev,
		    n->win_error ? n->win_error : "its SYSTEM hive cannot be read");
		free(step);
		return;
	}
	if (s->controlset_missing)
		add(d, DIAG_BLOCKS, SEV_ERROR, "controlset-missing", dev,
		    "Restore the SYSTEM hive from \\Windows\\System32\\config\\RegBack or a backup.",
		    "The SYSTEM hive of Windows on %s names control set %u as the current one, and "
		    "it is not there: Windows stops with 0xc0000098 or a 0x7b stop error.", dev,
		    s->current);
	if (s->dirty)
		add(d, DIAG_NOTE, SEV_WARNING, "hive-dirty", dev,
		    "Nothing to do to boot: Windows applies them at its next start. Do not edit "
		    "the hive offline before that.",
		    "The SYSTEM hive of Windows on %s has changes still in SYSTEM.LOG1/.LOG2 "
		    "(sequence numbers %u and %u).", dev, s->seq_primary, s->seq_secondary);
	if (n->has_pending_xml || s->reboot_pending || s->pending_renames) {
		char why[160];
		snprintf(why, sizeof(why), "%s%s%s%s%s", n->has_pending_xml
			 ? "\\Windows\\WinSxS\\pending.xml" : "",
			 n->has_pending_xml && (s->reboot_pending || s->pending_renames) ? ", " : "",
			 s->reboot_pending ? "a reboot-pending mark" : "",
			 s->reboot_pending && s->pending_renames ? ", " : "",
			 s->pending_renames ? "files to replace at the next start" : "");
		add(d, DIAG_NOTE, SEV_WARNING, "pending-updates", dev,
		    "If Windows loops on \"Undoing changes\" or stops after updates, revert them "
		    "from Windows RE (dism /image:C:\\ /cleanup-image /revertpendingactions).",
		    "Windows on %s has updates waiting for a restart (%s).", dev, why);
	}
}

/*
 * Windows found, damaged: a volume that holds \Windows, or that a BCD
 * store starts Windows from, whose hive or folders cannot be read. Never
 * "no Windows": the volume's own verdict says what failed and what to do.
 */
static void windows_damaged(const struct inventory *inv, struct diagnosis *d, size_t di,
			    const struct partition *p, const char *dev)
{
	const struct ntfs_state *n = p ? p->vol.ntfs : inv->disks[di].vol.ntfs;
	struct vol_ref r = target_ref(inv, di, p);
	struct verdict vd;
	char *next;

	verdict_of(inv, &r, d->memos ? check_memos_find(d->memos, &r) : NULL, &vd);
	next = vd.next ? xstrdup(vd.next) : xasprintf("'winrescue check %s' reads all of it and "
						      "says what can be repaired.", dev);
	add(d, n->opened ? DIAG_UNKNOWN : DIAG_BLOCKS, SEV_ERROR, "windows-damaged", dev, next,
	    "Windows is on %s (%s), but the volume is damaged (%s): %s", dev,
	    n->has_windows_dir ? "it has a \\Windows folder" : "a BCD store starts Windows from it",
	    vd.state, n->opened ? "what Windows would meet at its next start cannot be read from "
	    "here." : "neither Windows nor anything here can open it as it is.");
	free(next);
	verdict_free(&vd);
}

/* An NTFS volume outside the rescue system that could not be read far enough to tell. */
static const char *unreadable_ntfs(const struct inventory *inv)
{
	for (size_t i = 0; i < inv->ndisks; i++) {
		if (is_rescue(inv, i))
			continue;
		for (size_t k = 0; k <= inv->disks[i].nparts; k++) {
			const struct volume *v = k < inv->disks[i].nparts ? &inv->disks[i].parts[k].vol
									  : &inv->disks[i].vol;
			const char *dev = k < inv->disks[i].nparts ? inv->disks[i].parts[k].path
								   : inv->disks[i].path;
			if (v->ntfs && dev && (!v->ntfs->opened || v->ntfs->nread_errors))
				return dev;
		}
	}
	return NULL;
}

void diagnose(const struct inventory *inv, struct diagnosis *d)
{
	diagnose_checked(inv, NULL, d);
}

void diagnose_checked(const struct inventory *inv, const struct check_memos *memos,
		      struct diagnosis *d)
{
	memset(d, 0, sizeof(*d));
	d->memos = memos;
	for (size_t i = 0; i < inv->ndisks; i++) {
		const struct disk *dk = &inv->disks[i];
		if (is_rescue(inv, i))
			continue;
		for (size_t k = 0; k <= dk->nparts; k++) {
			const struct partition *p = k < dk->nparts ? &dk->parts[k] : NULL;
			const struct volume *v = p ? &p->vol : &dk->vol;
			const char *dev = p ? p->path : dk->path;
			if (p && p->role == PART_ROLE_BITLOCKER)
				add(d, DIAG_UNKNOWN, SEV_WARNING, "bitlocker-locked", dev,
				    "Its recovery key unlocks it (dislocker, or cryptsetup bitlkOpen on "
				    "a kernel with device-mapper); then diagnose again.",
				    "%s (Disk %zu partition %zu) is BitLocker-encrypted: what Windows keeps "
				    "there cannot be read from here.", dev ? dev : dk->path, dk->number,
				    p->number);
			if (v->ntfs && v->ntfs->has_windows && !dev) {
				/* no udev: partitions added to a table are not in /dev until partx -a */
				char *next = xasprintf("Run 'partx -a %s' (the kernel has no node for it), "
						       "then diagnose again.", dk->path);
				add(d, DIAG_UNKNOWN, SEV_WARNING, "no-device-node", dk->path, next,
				    "Disk %zu (%s) partition %zu holds Windows, but the kernel has no "
				    "device node for it: its boot cannot be diagnosed.", dk->number, dk->path,
				    p ? p->number : 0);
				free(next);
			}
			if (v->ntfs && !v->ntfs->has_windows && dev &&
			    (p ? p->role : dk->vol_role) == PART_ROLE_WINDOWS) {
				windows_damaged(inv, d, i, p, dev);
				continue;
			}
			if (!v->ntfs || !v->ntfs->has_windows || !dev)
				continue;
			d->win = xrealloc(d->win, d->nwin + 1, sizeof(*d->win));
			d->win[d->nwin++] = (struct diag_windows){ .disk_index = i, .part = p, .vol = v,
								   .device = dev };
		}
	}
	for (size_t i = 0; i < d->nwin; i++) {
		struct diag_windows *w = &d->win[i];
		const struct disk *dk = &inv->disks[w->disk_index];
		find_store(inv, w);
		if (!w->store && bootchain_says_no_store(inv, w->disk_index)) {
			/* esp-missing or no-active-partition says why (bootchain.c) */
		} else if (!w->store) {
			char *why = why_no_store(dk);
			add(d, DIAG_BLOCKS, SEV_ERROR, "bcd-missing", w->device,
			    "Rebuild the boot files from Windows RE (bcdboot C:\\Windows).",
			    "Nothing starts Windows on %s: %s.", w->device, why);
			free(why);
		} else if (!w->store->bcd) {
			add(d, DIAG_UNKNOWN, SEV_WARNING, "bcd-unreadable", w->store_device,
			    "Check the volume (winrescue check); Windows RE rebuilds a damaged store "
			    "(bcdboot C:\\Windows).",
			    "The BCD store on %s (%s) cannot be read: %s.", w->store_device,
			    w->store->bcd_file, w->store->bcd_error ? w->store->bcd_error : "not known why");
		} else {
			/* two installations that share one store are checked once */
			bool seen = false;
			for (size_t j = 0; j < i; j++)
				seen |= d->win[j].store == w->store;
			if (seen) {
				const struct bcd_store *s = w->store->bcd;
				w->bootmgr = bootmgr_of(s);
				w->loader = loader_for(s, w->device);
			} else {
				check_store(inv, d, w);
			}
		}
		check_windows(inv, d, w);
	}
	bootchain_diagnose(inv, d);
	bool found = false;
	for (size_t i = 0; i < d->nf; i++)
		found |= strcmp(d->f[i].code, "no-device-node") == 0 ||
			 strcmp(d->f[i].code, "windows-damaged") == 0 ||
			 strcmp(d->f[i].code, "mbr-signature-missing") == 0;
	/* "not found" only when every NTFS volume was read and none looks like Windows */
	const char *unsure = unreadable_ntfs(inv);
	if (!d->nwin && !found && unsure) {
		char *next = xasprintf("'winrescue check %s' reads all of it and says what can be "
				       "repaired.", unsure);
		add(d, DIAG_UNKNOWN, SEV_WARNING, "windows-not-found", unsure, next,
		    "No readable Windows installation was found, but the NTFS volume on %s cannot be "
		    "read far enough to tell whether it holds one.", unsure);
		free(next);
	} else if (!d->nwin && !found) {
		add(d, DIAG_UNKNOWN, SEV_WARNING, "windows-not-found", NULL,
		    "'winrescue list' shows what is attached; the provider's console attaches the "
		    "Windows disk.",
		    "None of the disks looked at (outside the rescue system) holds a Windows "
		    "installation (\\Windows\\System32\\config\\SYSTEM), and every NTFS volume on "
		    "them could be read.");
	}
	/* two disks with one identity: Windows renames one at its next start */
	for (size_t i = 0; i < inv->nfindings; i++)
		if (strcmp(inv->findings[i].code, "signature-collision") == 0)
			add(d, DIAG_BLOCKS, SEV_ERROR, "signature-collision", inv->findings[i].device,
			    inv->findings[i].action, "%s", inv->findings[i].message);
	for (size_t i = 0; i < d->nf; i++) {
		if (d->f[i].weight == DIAG_BLOCKS)
			d->status = 4;
		else if (d->f[i].weight == DIAG_UNKNOWN && d->status != 4)
			d->status = 8;
	}
}

char *diagnosis_verdict(const struct diagnosis *d)
{
	size_t blocks = 0, unknown = 0, notfound = 0;

	for (size_t i = 0; i < d->nf; i++) {
		blocks += d->f[i].weight == DIAG_BLOCKS;
		unknown += d->f[i].weight == DIAG_UNKNOWN;
		notfound += strcmp(d->f[i].code, "windows-not-found") == 0;
	}
	if (d->status == 4)
		return xasprintf("Windows would not start normally: %zu finding%s stop%s it (exit 4).",
				 blocks, blocks == 1 ? "" : "s", blocks == 1 ? "s" : "");
	if (d->status == 8 && notfound && notfound == unknown)
		return xstrdup("not known: no Windows installation was found to diagnose (exit 8).");
	if (d->status == 8)
		return xstrdup("not known: part of the evidence could not be read (exit 8).");
	return xstrdup("nothing found that would stop Windows from starting.");
}

void diagnosis_free(struct diagnosis *d)
{
	for (size_t i = 0; i < d->nf; i++) {
		free(d->f[i].code);
		free(d->f[i].device);
		free(d->f[i].message);
		free(d->f[i].next);
	}
	free(d->f);
	for (size_t i = 0; i < d->nrep; i++)
		repair_free(&d->rep[i]);
	free(d->rep);
	for (size_t i = 0; i < d->nchain; i++)
		free(d->chain[i].disk);
	free(d->chain);
	free(d->win);
	memset(d, 0, sizeof(*d));
}
