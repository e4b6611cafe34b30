/*
 * wire.c - every heap block a disk owns, visited in one fixed order.
 *
 * disk_walk() is the single list of a disk's owned pointers. Three walkers
 * use it: disk_free_fields() frees a disk (inventory_free), wire_put_disk()
 * appends a probed disk to a byte buffer in a probe worker process, and
 * wire_get_disk() rebuilds it in the parent. A pointer field added to
 * inventory.h must be added to disk_walk() too: otherwise it leaks (the
 * ASan unit tests catch that) and does not cross from the workers.
 *
 * The encoding is private to one winrescue binary talking to its own
 * fork: the raw bytes of each block (scalars as they are in memory), then
 * the blocks and strings it points to, in walk order.
 */
#include "probes/probes.h"
#include "probes/ntfs_check.h"
#include "lib/util.h"

#include <stdlib.h>
#include <string.h>

struct walker {
	void (*str)(struct walker *w, char **s);
	/*
	 * An owned block of n elements of size bytes at *p. Returns whether
	 * there is a block whose contents are to be visited before leave().
	 */
	bool (*enter)(struct walker *w, void **p, size_t n, size_t size);
	void (*leave)(struct walker *w, void **p);
};

static void walk_strv(struct walker *w, char ***v, size_t n)
{
	if (w->enter(w, (void **)v, n, sizeof(**v)))
		for (size_t i = 0; i < n; i++)
			w->str(w, &(*v)[i]);
	w->leave(w, (void **)v);
}

static void walk_volume(struct walker *w, struct volume *v)
{
	w->str(w, &v->fstype);
	w->str(w, &v->label);
	w->str(w, &v->uuid);
	w->str(w, &v->version);
	w->str(w, &v->usage);
	w->str(w, &v->fs_error);
	if (w->enter(w, (void **)&v->ntfs, 1, sizeof(*v->ntfs))) {
		w->str(w, &v->ntfs->error);
		w->str(w, &v->ntfs->library_message);
		w->str(w, &v->ntfs->label);
		w->str(w, &v->ntfs->mftmirr_detail);
		w->str(w, &v->ntfs->bootsector_detail);
		w->str(w, &v->ntfs->win_error);
		walk_strv(w, &v->ntfs->read_errors, v->ntfs->nread_errors);
		struct win_system **ws = &v->ntfs->win;
		if (w->enter(w, (void **)ws, 1, sizeof(**ws))) {
			w->str(w, &(*ws)->computer_name);
			w->str(w, &(*ws)->product_name);
			w->str(w, &(*ws)->edition);
			w->str(w, &(*ws)->version);
			w->str(w, &(*ws)->build);
			w->str(w, &(*ws)->display_version);
			w->str(w, &(*ws)->software_error);
			if (w->enter(w, (void **)&(*ws)->letters, (*ws)->nletters, sizeof(*(*ws)->letters)))
				for (size_t i = 0; i < (*ws)->nletters; i++)
				{
					w->str(w, &(*ws)->letters[i].device);
					w->str(w, &(*ws)->letters[i].present);
				}
			w->leave(w, (void **)&(*ws)->letters);
		}
		w->leave(w, (void **)ws);
	}
	w->leave(w, (void **)&v->ntfs);
	w->str(w, &v->bcd_file);
	w->str(w, &v->bcd_error);
	if (w->enter(w, (void **)&v->bcd, 1, sizeof(*v->bcd))) {
		struct bcd_store *bs = v->bcd;
		if (w->enter(w, (void **)&bs->e, bs->n, sizeof(*bs->e)))
			for (size_t i = 0; i < bs->n; i++) {
				struct bcd_entry *e = &bs->e[i];
				w->str(w, &e->id);
				w->str(w, &e->description);
				w->str(w, &e->path);
				w->str(w, &e->systemroot);
				w->str(w, &e->default_id);
				w->str(w, &e->device.present);
				w->str(w, &e->osdevice.present);
				walk_strv(w, &e->order, e->norder);
			}
		w->leave(w, (void **)&bs->e);
	}
	w->leave(w, (void **)&v->bcd);
	walk_strv(w, &v->use.mountpoints, v->use.nmountpoints);
	walk_strv(w, &v->use.holders, v->use.nholders);
}

static void walk_partition(struct walker *w, struct partition *p)
{
	w->str(w, &p->name);
	w->str(w, &p->path);
	w->str(w, &p->parttype);
	w->str(w, &p->parttype_name);
	w->str(w, &p->partuuid);
	w->str(w, &p->partlabel);
	w->str(w, &p->attrs);
	walk_volume(w, &p->vol);
	w->str(w, &p->error);
}

static void disk_walk(struct walker *w, struct disk *d)
{
	w->str(w, &d->name);
	w->str(w, &d->path);
	w->str(w, &d->model);
	w->str(w, &d->vendor);
	w->str(w, &d->serial);
	w->str(w, &d->transport);
	w->str(w, &d->loop_backing);
	w->str(w, &d->pttype);
	w->str(w, &d->ptuuid);
	walk_strv(w, &d->pt_warnings, d->npt_warnings);
	if (w->enter(w, (void **)&d->parts, d->nparts, sizeof(*d->parts)))
		for (size_t i = 0; i < d->nparts; i++)
			walk_partition(w, &d->parts[i]);
	w->leave(w, (void **)&d->parts);
	w->enter(w, (void **)&d->free, d->nfree, sizeof(*d->free));
	w->leave(w, (void **)&d->free);
	walk_volume(w, &d->vol);
	w->str(w, &d->role_reason);
	w->str(w, &d->error);
}

/* Every heap block of a check's report (the check worker sends it back, worker.c). */
static void report_walk(struct walker *w, struct nc_report *r)
{
	if (w->enter(w, (void **)&r->findings, r->nfindings, sizeof(*r->findings)))
		for (size_t i = 0; i < r->nfindings; i++) {
			w->str(w, &r->findings[i].code);
			w->str(w, &r->findings[i].path);
			w->str(w, &r->findings[i].message);
		}
	w->leave(w, (void **)&r->findings);
	w->str(w, &r->op_error);
	w->enter(w, (void **)&r->logfile_runs, r->nlogfile_runs, sizeof(*r->logfile_runs));
	w->leave(w, (void **)&r->logfile_runs);
}

/* ---- freeing ---- */

static void free_str(struct walker *w, char **s)
{
	(void)w;
	free(*s);
	*s = NULL;
}

static bool free_enter(struct walker *w, void **p, size_t n, size_t size)
{
	(void)w; (void)n; (void)size;
	return *p != NULL;
}

static void free_leave(struct walker *w, void **p)
{
	(void)w;
	free(*p);
	*p = NULL;
}

void disk_free_fields(struct disk *d)
{
	struct walker w = { free_str, free_enter, free_leave };
	disk_walk(&w, d);
}

/* ---- writing ---- */

struct put {
	struct walker w;
	struct wire_buf *b;
};

void wire_reserve(struct wire_buf *b, size_t n)
{
	if (b->len + n > b->cap) {
		while (b->len + n > b->cap)
			b->cap = b->cap ? 2 * b->cap : 4096;
		b->data = xrealloc(b->data, b->cap, 1);
	}
}

static void put_bytes(struct wire_buf *b, const void *p, size_t n)
{
	wire_reserve(b, n);
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

static void put_str(struct walker *w, char **s)
{
	struct wire_buf *b = ((struct put *)w)->b;
	uint32_t len = *s ? (uint32_t)strlen(*s) : UINT32_MAX;

	put_bytes(b, &len, sizeof(len));
	if (*s)
		put_bytes(b, *s, len);
}

static bool put_enter(struct walker *w, void **p, size_t n, size_t size)
{
	struct wire_buf *b = ((struct put *)w)->b;
	uint8_t present = *p != NULL && n > 0;

	put_bytes(b, &present, 1);
	if (present)
		put_bytes(b, *p, n * size);
	return present;
}

static void put_leave(struct walker *w, void **p)
{
	(void)w; (void)p;
}

void wire_put_disk(struct wire_buf *b, const struct disk *d)
{
	struct put pw = { { put_str, put_enter, put_leave }, b };
	struct disk copy = *d;	/* the walk takes non-const pointers; nothing is changed */

	put_bytes(b, &copy, sizeof(copy));
	disk_walk(&pw.w, &copy);
}

void wire_put_report(struct wire_buf *b, const struct nc_report *r)
{
	struct put pw = { { put_str, put_enter, put_leave }, b };
	struct nc_report copy = *r;

	put_bytes(b, &copy, sizeof(copy));
	report_walk(&pw.w, &copy);
}

/* ---- reading ---- */

struct get {
	struct walker w;
	const unsigned char *p, *end;
	bool bad;
};

static bool get_bytes(struct get *g, void *dst, size_t n)
{
	if (g->bad || (size_t)(g->end - g->p) < n) {
		g->bad = true;
		return false;
	}
	memcpy(dst, g->p, n);
	g->p += n;
	return true;
}

static void get_str(struct walker *w, char **s)
{
	struct get *g = (struct get *)w;
	uint32_t len;

	*s = NULL;
	if (!get_bytes(g, &len, sizeof(len)) || len == UINT32_MAX)
		return;
	if ((size_t)(g->end - g->p) < len) {
		g->bad = true;
		return;
	}
	*s = xcalloc((size_t)len + 1, 1);
	memcpy(*s, g->p, len);
	g->p += len;
}

static bool get_enter(struct walker *w, void **p, size_t n, size_t size)
{
	struct get *g = (struct get *)w;
	uint8_t present = 0;

	*p = NULL;
	if (!get_bytes(g, &present, 1) || !present)
		return false;
	if (n == 0 || (size_t)(g->end - g->p) / size < n) {
		g->bad = true;
		return false;
	}
	*p = xcalloc(n, size);
	get_bytes(g, *p, n * size);
	return true;
}

static void get_leave(struct walker *w, void **p)
{
	(void)w; (void)p;
}

bool wire_get_disk(const unsigned char **pos, const unsigned char *end, struct disk *d)
{
	struct get g = { { get_str, get_enter, get_leave }, *pos, end, false };

	if (!get_bytes(&g, d, sizeof(*d))) {
		memset(d, 0, sizeof(*d));
		return false;
	}
	/* every pointer in a block just read is the sender's; the walk
	 * replaces each one, with NULL once the input has run short */
	disk_walk(&g.w, d);
	*pos = g.p;
	return !g.bad;
}

bool wire_get_report(const unsigned char **pos, const unsigned char *end, struct nc_report *r)
{
	struct get g = { { get_str, get_enter, get_leave }, *pos, end, false };

	if (!get_bytes(&g, r, sizeof(*r))) {
		memset(r, 0, sizeof(*r));
		return false;
	}
	report_walk(&g.w, r);
	/* counts with no block behind them (a short answer) must not be walked later */
	if (!r->findings)
		r->nfindings = 0;
	if (!r->logfile_runs)
		r->nlogfile_runs = 0;
	*pos = g.p;
	return !g.bad;
}
