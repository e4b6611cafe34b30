/*
 * view.c - the main screen, modelled on diskmgmt.msc: a list of volumes
 * above, each disk below as a row followed by boxes sized like its
 * partitions and unallocated space, one selection moving in both. Roles
 * are words ([RESCUE], [SYSTEM], EFI, Recovery...), the selection is marked
 * by ">" as well as by its attribute, so nothing depends on colour.
 *
 *   row 0            title bar
 *   rows 1..U        upper pane: header and volumes (scrolls)
 *   row U+1          a line
 *   rows ..L-3       lower pane: three rows per disk (scrolls)
 *   row L-2          the selection in one line, or a message
 *   row L-1          key bar
 */
#include "tui/tui_int.h"
#include "cli/output.h"
#include "lib/table.h"
#include "lib/util.h"

#include <stdlib.h>
#include <string.h>

#define LOWER_ROWS_PER_DISK 3

const struct vol_ref *view_selected(const struct tui *t)
{
	return t->nitems ? &t->items[t->sel] : NULL;
}

void view_free(struct tui *t)
{
	for (size_t i = 0; t->verdicts && i < t->nitems; i++)
		verdict_free(&t->verdicts[i]);
	free(t->verdicts);
	free(t->items);
	t->verdicts = NULL;
	t->items = NULL;
	t->nitems = 0;
}

const struct verdict *view_verdict(const struct tui *t, size_t i)
{
	return i < t->nitems ? &t->verdicts[i] : NULL;
}

void view_rebuild(struct tui *t, const char *keep_path)
{
	size_t old = t->sel;

	view_free(t);
	t->nitems = target_all(t->inv, &t->items);
	t->verdicts = xcalloc(t->nitems ? t->nitems : 1, sizeof(*t->verdicts));
	for (size_t i = 0; i < t->nitems; i++)
		verdict_of(t->inv, &t->items[i], check_memos_find(&t->checks, &t->items[i]),
			   &t->verdicts[i]);
	t->sel = t->nitems && old < t->nitems ? old : t->nitems ? t->nitems - 1 : 0;
	for (size_t i = 0; keep_path && i < t->nitems; i++)
		if (t->items[i].path && strcmp(t->items[i].path, keep_path) == 0)
			t->sel = i;
}

void view_select_default(struct tui *t)
{
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < t->nitems; i++) {
			const struct vol_ref *v = &t->items[i];
			if (v->disk->role == DISK_ROLE_RESCUE)
				continue;
			if (pass == 1 || (v->role == PART_ROLE_WINDOWS && v->disk->role == DISK_ROLE_SYSTEM)) {
				t->sel = i;
				return;
			}
		}
}

/* ---- words ---- */

static const char *fs_words(const struct volume *v)
{
	if (v->ntfs)
		return "NTFS";
	if (!v->fstype)
		return "-";
	if (strcmp(v->fstype, "vfat") == 0)
		return v->version && strcmp(v->version, "FAT32") == 0 ? "FAT32"
		       : v->version && strcmp(v->version, "FAT16") == 0 ? "FAT16" : "FAT";
	if (strcmp(v->fstype, "exfat") == 0)
		return "exFAT";
	if (strcmp(v->fstype, "BitLocker") == 0)
		return "BitLocker";
	return v->fstype;
}

static const char *role_words(const struct vol_ref *v)
{
	if (v->disk->role == DISK_ROLE_RESCUE)
		return "[RESCUE]";
	switch (v->role) {
	case PART_ROLE_BOOT: return "Boot";
	case PART_ROLE_ESP: return "EFI";
	case PART_ROLE_MSR: return "MSR";
	case PART_ROLE_RECOVERY: return "Recovery";
	case PART_ROLE_WINDOWS: return "Windows";
	case PART_ROLE_DATA: return "Data";
	case PART_ROLE_BITLOCKER: return "BitLocker";
	case PART_ROLE_SWAP: return "Swap";
	default: return v->part && v->part->container ? "Extended" : "-";
	}
}

/* Basic, or Dynamic when Windows' Logical Disk Manager owns the disk. */
static const char *disk_kind(const struct disk *d)
{
	for (size_t i = 0; i < d->nparts; i++) {
		const char *pt = d->parts[i].parttype;
		if (pt && (strcmp(pt, "0x42") == 0 ||
			   strcmp(pt, "5808c8aa-7e8f-42e0-85d2-e1e90434cfb3") == 0))
			return "Dynamic";
	}
	return "Basic";
}

/*
 * Mounted: something of it is mounted (the rescue disk always is); never
 * "Offline", which a Windows administrator reads as a failed disk.
 */
static const char *disk_status(const struct disk *d)
{
	if (d->error && !d->nparts)
		return "unreadable";
	if (d->role == DISK_ROLE_RESCUE || d->vol.use.nmountpoints)
		return "mounted";
	for (size_t i = 0; i < d->nparts; i++)
		if (d->parts[i].vol.use.nmountpoints)
			return "mounted";
	return "not mounted";
}

static enum tui_role severity_role(enum severity s)
{
	return s == SEV_ERROR ? ROLE_ERROR : s == SEV_WARNING ? ROLE_WARN : ROLE_NORMAL;
}

/* "sdb2 Windows": the device first (what is typed to confirm), then the label. */
static char *volume_name(const struct vol_ref *v)
{
	const char *label = vol_label(v), *name = vol_name(v);

	return label ? xasprintf("%s %s", name, label) : xstrdup(name);
}

/* ---- the upper pane ---- */

enum { COL_VOL, COL_LAYOUT, COL_TYPE, COL_FS, COL_STATUS, COL_CAP, COL_FREE, COL_PCT,
       COL_ROLE, COL_MOUNT, NCOL };

struct layout {
	int x[NCOL], w[NCOL];	/* w 0: not shown at this width */
};

/*
 * Column widths for this width: at 80 columns Layout and Type (always
 * "Simple" and "Basic" on the disks a rescue meets) and %Free (Free says
 * it) make room for the rest; Volume, Status and Mounted share what is
 * left, Status the most: its words ("no errors (checked)", "primary boot
 * sector damaged") are the verdict. Mounted is cut from the left (the end
 * of a path says most); the status row shows both whole.
 */
static void upper_layout(struct layout *l)
{
	static const int fixed[NCOL] = { 0, 6, 7, 5, 0, 8, 6, 5, 8, 0 };
	int x = 2, used = 0, cols = 0;

	memset(l, 0, sizeof(*l));
	for (int c = 0; c < NCOL; c++)
		l->w[c] = fixed[c];
	if (COLS < 110)
		l->w[COL_LAYOUT] = l->w[COL_TYPE] = 0;
	if (COLS < 100)
		l->w[COL_PCT] = 0;
	for (int c = 0; c < NCOL; c++)
		if (l->w[c]) {
			used += l->w[c];
			cols++;
		}
	int rest = COLS - 2 - used - (cols + 3 - 1);
	l->w[COL_VOL] = rest * 38 / 100;
	l->w[COL_STATUS] = rest * 46 / 100;
	l->w[COL_MOUNT] = rest - l->w[COL_VOL] - l->w[COL_STATUS];
	for (int c = 0; c < NCOL; c++) {
		l->x[c] = x;
		if (l->w[c])
			x += l->w[c] + 1;
	}
}

/* "Hibernated, Dirty" in w columns: the words that fit, then "+" for the rest. */
static char *status_fit(const char *status, int w)
{
	char *s;

	if ((int)text_width(status) <= w)
		return xstrdup(status);
	s = xstrdup(status);
	for (char *comma; (comma = strrchr(s, ',')); ) {
		*comma = '\0';
		if ((int)text_width(s) + 1 <= w) {
			char *r = xasprintf("%s+", s);
			free(s);
			return r;
		}
	}
	return s;	/* one long word: term_put cuts it */
}

static void put_right(const struct tui *t, int y, int x, int w, const char *s)
{
	int len = (int)text_width(s);

	term_put(t, y, x + (len < w ? w - len : 0), w, s, ROLE_NORMAL);
}

static void upper_row(struct tui *t, const struct layout *l, int y, size_t i)
{
	const struct vol_ref *v = &t->items[i];
	const struct volume *vol = v->vol;
	const struct verdict *vd = view_verdict(t, i);
	char *name = volume_name(v);
	const char *status = vd->state;
	char cap[16], freeb[16], pct[16];
	uint64_t size = v->part ? v->part->size : v->disk->size;
	bool sel = i == t->sel;

	term_put(t, y, 0, 1, sel ? ">" : " ", ROLE_NORMAL);
	/* the device name carries the selection's attribute: a move rewrites only it */
	term_put(t, y, l->x[COL_VOL], l->w[COL_VOL], name, ROLE_NORMAL);
	if (sel) {
		const char *dev = vol_name(v);
		int dw = (int)strlen(dev) < l->w[COL_VOL] ? (int)strlen(dev) : l->w[COL_VOL];
		term_put(t, y, l->x[COL_VOL], dw, dev, ROLE_SELECT);
	}
	if (l->w[COL_LAYOUT]) {
		term_put(t, y, l->x[COL_LAYOUT], l->w[COL_LAYOUT], "Simple", ROLE_NORMAL);
		term_put(t, y, l->x[COL_TYPE], l->w[COL_TYPE], disk_kind(v->disk), ROLE_NORMAL);
	}
	term_put(t, y, l->x[COL_FS], l->w[COL_FS], fs_words(vol), ROLE_NORMAL);
	char *shown = status_fit(status, l->w[COL_STATUS]);
	term_put(t, y, l->x[COL_STATUS], l->w[COL_STATUS], shown, severity_role(vd->severity));
	free(shown);
	put_right(t, y, l->x[COL_CAP], l->w[COL_CAP], tui_size_short(size, cap, sizeof(cap)));
	if (vol->ntfs && vol->ntfs->free_known && vol->ntfs->total) {
		put_right(t, y, l->x[COL_FREE], l->w[COL_FREE],
			  tui_size_short(vol->ntfs->free, freeb, sizeof(freeb)));
		snprintf(pct, sizeof(pct), "%u%%",
			 (unsigned)(vol->ntfs->free * 100 / vol->ntfs->total));
		if (l->w[COL_PCT])
			put_right(t, y, l->x[COL_PCT], l->w[COL_PCT], pct);
	} else {
		put_right(t, y, l->x[COL_FREE], l->w[COL_FREE], "-");
		if (l->w[COL_PCT])
			put_right(t, y, l->x[COL_PCT], l->w[COL_PCT], "-");
	}
	term_put(t, y, l->x[COL_ROLE], l->w[COL_ROLE], role_words(v),
		 v->disk->role == DISK_ROLE_RESCUE ? ROLE_RESCUE : ROLE_NORMAL);
	if (vol->use.nmountpoints) {
		char *m = tui_fit_left(vol->use.mountpoints[0], (size_t)l->w[COL_MOUNT]);
		term_put(t, y, l->x[COL_MOUNT], l->w[COL_MOUNT], m, ROLE_NORMAL);
		free(m);
	} else {
		term_put(t, y, l->x[COL_MOUNT], l->w[COL_MOUNT], vol->use.swap ? "[swap]" : "-",
			 ROLE_NORMAL);
	}
	free(name);
}

static void upper_pane(struct tui *t, int y0, int h)
{
	static const char *const heads[NCOL] = { "Volume", "Layout", "Type", "FS", "Status",
						 "Capacity", "Free", "%Free", "Role", "Mounted" };
	struct layout l;
	int rows = h - 1;

	upper_layout(&l);
	for (int c = 0; c < NCOL; c++)
		if (l.w[c])
			term_put(t, y0, l.x[c], l.w[c], heads[c], ROLE_HEADER);
	if (rows <= 0)
		return;
	if ((int)t->sel < t->upper_top)
		t->upper_top = (int)t->sel;
	if ((int)t->sel >= t->upper_top + rows)
		t->upper_top = (int)t->sel - rows + 1;
	if (t->upper_top > 0 && (int)t->nitems - t->upper_top < rows)
		t->upper_top = (int)t->nitems > rows ? (int)t->nitems - rows : 0;
	for (int r = 0; r < rows && t->upper_top + r < (int)t->nitems; r++)
		upper_row(t, &l, y0 + 1 + r, (size_t)(t->upper_top + r));
	if (!t->nitems)
		term_put(t, y0 + 1, 2, COLS - 2, "No disks found: check in the provider's console that "
			 "the Windows disk is attached, then press r.", ROLE_WARN);
}

/* ---- the lower pane ---- */

struct seg {
	uint64_t start, size;
	const struct vol_ref *item;	/* NULL: unallocated */
	size_t index;			/* the item's index in t->items */
	int w;
};

/* The boxes of disk di in disk order: volumes and unallocated ranges of 1 MiB or more. */
static size_t disk_segments(const struct tui *t, size_t di, struct seg **out)
{
	const struct disk *d = &t->inv->disks[di];
	struct seg *s = NULL;
	size_t n = 0;

	for (size_t i = 0; i < t->nitems; i++) {
		const struct vol_ref *v = &t->items[i];
		if (v->disk_index != di || (v->part && v->part->container))
			continue;
		s = xrealloc(s, n + 1, sizeof(*s));
		s[n++] = (struct seg){ .start = v->part ? v->part->start : 0,
				       .size = v->part ? v->part->size : d->size, .item = v, .index = i };
	}
	for (size_t f = 0; f < d->nfree; f++) {
		if (d->free[f].size < (1u << 20))
			continue;
		s = xrealloc(s, n + 1, sizeof(*s));
		s[n++] = (struct seg){ .start = d->free[f].start, .size = d->free[f].size };
	}
	/* insertion sort by start: a handful of entries */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && s[j].start < s[j - 1].start; j--) {
			struct seg tmp = s[j];
			s[j] = s[j - 1];
			s[j - 1] = tmp;
		}
	*out = s;
	return n;
}

/* Widths proportional to the sizes, at least minw each, summing to budget. */
static void seg_widths(struct seg *s, size_t n, int budget)
{
	uint64_t total = 0;
	int minw = 7, sum = 0;

	if (!n)
		return;
	while (minw > 1 && (int)n * minw > budget)
		minw--;
	for (size_t i = 0; i < n; i++)
		total += s[i].size;
	for (size_t i = 0; i < n; i++) {
		int w = total ? (int)((double)s[i].size / (double)total * budget) : budget / (int)n;
		s[i].w = w < minw ? minw : w;
		sum += s[i].w;
	}
	while (sum != budget) {
		/* take from or give to the widest box */
		size_t wi = 0;
		for (size_t i = 1; i < n; i++)
			if (s[i].w > s[wi].w)
				wi = i;
		if (sum > budget && s[wi].w <= 1)
			break;
		s[wi].w += sum > budget ? -1 : 1;
		sum += sum > budget ? -1 : 1;
	}
}

static void disk_rows(struct tui *t, size_t di, int y)
{
	const struct disk *d = &t->inv->disks[di];
	char size[32], *line, *extra;
	struct seg *s;
	size_t n = disk_segments(t, di, &s);
	int x = 1, budget;

	size_human(d->size, size, sizeof(size));
	line = xasprintf("Disk %zu | %s | %s | %s | ", d->number, disk_kind(d), size, disk_status(d));
	term_put(t, y, 1, COLS - 1, line, ROLE_HEADER);
	x = 1 + (int)strlen(line);
	term_put(t, y, x, COLS - x, output_disk_marker(d->role), d->role == DISK_ROLE_RESCUE ? ROLE_RESCUE
						    : d->role == DISK_ROLE_SYSTEM ? ROLE_SYSTEM
										 : ROLE_HEADER);
	x += (int)strlen(output_disk_marker(d->role)) + 2;
	bool clash = false;
	for (size_t i = 0; i < t->inv->nfindings; i++)
		if (strcmp(t->inv->findings[i].code, "signature-collision") == 0 &&
		    t->inv->findings[i].device && strcmp(t->inv->findings[i].device, d->path) == 0)
			clash = true;
	if (clash) {
		/* the finding is about the copy: say so where the disk is drawn */
		term_put(t, y, x, COLS - x, "[SAME ID]", ROLE_ERROR);
		x += 11;
	}
	if (d->role == DISK_ROLE_RESCUE)
		extra = xasprintf("%s  hands off: %s", d->name,
				  d->role_reason ? d->role_reason : "the rescue system");
	else
		extra = xasprintf("%s  %s%s%s%s  %s", d->name,
				  d->pttype ? d->pttype : d->error ? "unreadable" : "no table",
				  d->ptuuid ? " " : "",
				  d->ptuuid && d->pttype && strcmp(d->pttype, "dos") == 0 ? "0x" : "",
				  d->ptuuid ? d->ptuuid : "", d->transport ? d->transport : "");
	term_put(t, y, x, COLS - x, extra, ROLE_NORMAL);
	free(extra);
	free(line);

	budget = COLS - 2 - (int)n - 1;
	seg_widths(s, n, budget);
	x = 1;
	for (size_t i = 0; i < n; i++) {
		const struct vol_ref *v = s[i].item;
		bool sel = v && s[i].index == t->sel;
		char *a, *b, sz[16];

		term_vline_ch(t, y + 1, x);
		term_vline_ch(t, y + 2, x);
		tui_size_short(s[i].size, sz, sizeof(sz));
		if (!v) {
			a = xstrdup(" Unallocated");
			b = xasprintf(" %s", sz);
		} else {
			const char *label = vol_label(v);
			const char *st = view_verdict(t, s[i].index)->state;
			/* a marker column of its own: moving the selection changes one character */
			a = xasprintf("%s%s", sel ? ">" : " ", label ? label : vol_name(v));
			b = xasprintf(" %s %s %s", sz, fs_words(v->vol), st);
		}
		term_put(t, y + 1, x + 1, s[i].w, a, ROLE_NORMAL);
		term_put(t, y + 2, x + 1, s[i].w, b, ROLE_NORMAL);
		free(a);
		free(b);
		x += s[i].w + 1;
	}
	if (n) {
		term_vline_ch(t, y + 1, x);
		term_vline_ch(t, y + 2, x);
	}
	free(s);
}

static void lower_pane(struct tui *t, int y0, int h)
{
	int fit = h / LOWER_ROWS_PER_DISK;
	const struct vol_ref *v = view_selected(t);
	int sd = v ? (int)v->disk_index : 0;

	if (fit < 1)
		return;
	if (sd < t->lower_top)
		t->lower_top = sd;
	if (sd >= t->lower_top + fit)
		t->lower_top = sd - fit + 1;
	for (int i = 0; i < fit && t->lower_top + i < (int)t->inv->ndisks; i++)
		disk_rows(t, (size_t)(t->lower_top + i), y0 + i * LOWER_ROWS_PER_DISK);
}

/* The selection in one line: what the columns cut short. */
static void status_row(struct tui *t, int y)
{
	const struct vol_ref *v = view_selected(t);
	char size[32], *line;
	const char *label, *status;

	if (t->message) {
		term_put(t, y, 0, COLS, t->message, ROLE_WARN);
		return;
	}
	if (!v)
		return;
	label = vol_label(v);
	status = view_verdict(t, t->sel)->state;
	size_human(v->part ? v->part->size : v->disk->size, size, sizeof(size));
	/* where it is mounted first (the path is what the person needs next), then
	 * the verdict's words whole (the Status column may cut them), then the rest */
	const struct usage *u = &v->vol->use;
	char *where = u->nmountpoints ? xasprintf("Mounted %s at %s | ",
						  u->mounted_rw ? "read-write" : "read-only",
						  u->mountpoints[0])
				      : xstrdup("");
	line = xasprintf("%s%s | %s%s%s%s %s %s%s%s", where, status, v->path ? v->path : vol_name(v),
			 label ? " \"" : "", label ? label : "", label ? "\"" : "", fs_words(v->vol),
			 size, u->nmountpoints ? "" : ", not mounted",
			 v->disk->role == DISK_ROLE_RESCUE ? " (rescue system: hands off)" : "");
	free(where);
	term_put(t, y, 0, COLS, line, ROLE_NORMAL);
	free(line);
}

void view_paint(struct tui *t)
{
	int body = LINES - 4, upper, lower;
	int need_upper = (int)t->nitems + 1;
	int need_lower = (int)t->inv->ndisks * LOWER_ROWS_PER_DISK;
	char *title;

	erase();
	if (term_too_small()) {
		term_draw_too_small(t);
		return;
	}
	title = xasprintf(" winrescue %s - Disk Management%*s", WINRESCUE_VERSION,
			  COLS - 32 - (int)strlen(WINRESCUE_VERSION), "?:help  q:quit ");
	term_bar(t, 0, title);
	free(title);

	if (need_upper + need_lower <= body) {
		upper = need_upper;
	} else {
		int low = need_lower < body / 2 ? need_lower : body / 2;
		if (low < LOWER_ROWS_PER_DISK)
			low = LOWER_ROWS_PER_DISK;
		upper = body - low;
		if (upper > need_upper)
			upper = need_upper;
		if (upper < 3)
			upper = 3;
	}
	lower = body - upper;
	upper_pane(t, 1, upper);
	term_hline(t, 1 + upper, 0, COLS);
	lower_pane(t, 2 + upper, lower);
	status_row(t, LINES - 2);
	term_bar(t, LINES - 1,
		 " m:Mount u:Unmount a:Actions Enter:Details b:Boot l:Log r:Refresh ?:Help q:Quit");
	move(LINES - 1, COLS - 1);
}

void view_draw(struct tui *t)
{
	view_paint(t);
	term_flush();
}

void view_move(struct tui *t, enum tui_req r)
{
	size_t n = t->nitems, cur = t->sel, page = (size_t)(LINES / 3 > 1 ? LINES / 3 : 1);

	if (!n)
		return;
	switch (r) {
	case REQ_UP: if (cur) cur--; break;
	case REQ_DOWN: if (cur + 1 < n) cur++; break;
	case REQ_FIRST: cur = 0; break;
	case REQ_LAST: cur = n - 1; break;
	case REQ_PAGE_UP: cur = cur > page ? cur - page : 0; break;
	case REQ_PAGE_DOWN: cur = cur + page < n ? cur + page : n - 1; break;
	case REQ_NEXT_DISK:
		for (size_t i = cur; i < n; i++)
			if (t->items[i].disk_index != t->items[cur].disk_index) {
				cur = i;
				break;
			}
		break;
	case REQ_PREV_DISK: {
		size_t d = t->items[cur].disk_index, i = cur;
		while (i > 0 && t->items[i - 1].disk_index == d)
			i--;		/* first of this disk */
		if (i > 0) {
			d = t->items[i - 1].disk_index;
			while (i > 0 && t->items[i - 1].disk_index == d)
				i--;	/* first of the one before */
		}
		cur = i;
		break;
	}
	default: break;
	}
	t->sel = cur;
}
