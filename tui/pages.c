/*
 * pages.c - full-screen text pages over the main screen: the details of
 * the selection (every field, every finding with its next step, in the
 * words `list` uses), the help (from the key table and the registry) and
 * the log of what was done since start.
 */
#include "tui/tui_int.h"
#include "actions/diagnose.h"
#include "probes/bcd.h"
#include "lib/table.h"
#include "lib/util.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct page {
	char **lines;
	size_t n;
};

static void add(struct page *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add(struct page *p, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	strv_add(&p->lines, &p->n, s);
	free(s);
}

static const char *yes_no(bool b)
{
	return b ? "yes" : "no";
}

static const char *tri(enum tristate t)
{
	return t == TRI_YES ? "yes" : t == TRI_NO ? "no" : "unknown";
}

static const char *or_dash(const char *s)
{
	return s && *s ? s : "-";
}

/* The page's lines wrapped to the screen (continuations indented). */
static size_t page_wrap(const struct page *p, char ***out)
{
	size_t n = 0;

	*out = NULL;
	for (size_t i = 0; i < p->n; i++) {
		const char *s = p->lines[i];
		size_t lead = strspn(s, " ");

		if ((int)text_width(s) <= COLS - 2) {	/* fits: columns stay aligned */
			strv_add(out, &n, s);
			continue;
		}
		char **l, *indent = xasprintf("%*s", (int)lead + 4, "");
		size_t k = term_wrap(s + lead, COLS - 2 - (int)lead - 4, &l);
		if (!k)
			strv_add(out, &n, "");
		for (size_t j = 0; j < k; j++) {
			char *line = xasprintf("%.*s%s", j ? (int)lead + 4 : (int)lead, indent, l[j]);
			strv_add(out, &n, line);
			free(line);
		}
		strv_free(l, k);
		free(indent);
	}
	return n;
}

/*
 * Show the page until it is closed (or a signal asks to stop); a key of
 * keys (may be NULL) closes it too and is returned (else 0), hint names
 * them on the key bar.
 */
static int page_run_keys(struct tui *t, const char *title, struct page *p, const char *keys,
			 const char *hint)
{
	size_t top = 0;
	int closed_by = 0;

	for (;;) {
		int rows = LINES - 2;
		char **lines, *head;
		size_t n = page_wrap(p, &lines), max = n > (size_t)rows ? n - (size_t)rows : 0;

		if (top > max)
			top = max;
		if (term_too_small()) {
			term_draw_too_small(t);
		} else {
			erase();
			head = xasprintf(" %s", title);
			term_bar(t, 0, head);
			free(head);
			for (int r = 0; r < rows && top + (size_t)r < n; r++)
				term_put(t, 1 + r, 1, COLS - 2, lines[top + (size_t)r], ROLE_NORMAL);
			char *bar = xasprintf(" %s%s%s", n > (size_t)rows ? "Up/Down/PgUp/PgDn: scroll   "
					      : "", hint ? hint : "", "q, Esc, Enter: back");
			term_bar(t, LINES - 1, bar);
			free(bar);
			term_flush();
		}
		strv_free(lines, n);
		int ch = term_key(t);
		if (*t->stop)
			break;
		if (ch == ERR)
			continue;
		if (keys && ch > 0 && ch < 256 && strchr(keys, ch)) {
			closed_by = ch;
			break;
		}
		enum tui_req r = tui_req_for_key(ch);
		if (r == REQ_QUIT || r == REQ_BACK || r == REQ_DETAILS || r == REQ_HELP)
			break;
		if (r == REQ_REDRAW || ch == KEY_RESIZE)
			clearok(curscr, TRUE);
		else if (r == REQ_DOWN)
			top = top < max ? top + 1 : max;
		else if (r == REQ_UP)
			top = top ? top - 1 : 0;
		else if (r == REQ_PAGE_DOWN)
			top = top + (size_t)rows < max ? top + (size_t)rows : max;
		else if (r == REQ_PAGE_UP)
			top = top > (size_t)rows ? top - (size_t)rows : 0;
		else if (r == REQ_FIRST)
			top = 0;
		else if (r == REQ_LAST)
			top = max;
	}
	strv_free(p->lines, p->n);
	p->lines = NULL;
	p->n = 0;
	return closed_by;
}

static void page_run(struct tui *t, const char *title, struct page *p)
{
	page_run_keys(t, title, p, NULL, NULL);
}

/* A volume's BCD store: the boot manager, loaders and resume entries, and where they point. */
static void bcd_section(struct page *p, const struct volume *v)
{
	if (!v->bcd_file)
		return;
	add(p, "%s", "");
	if (!v->bcd) {
		add(p, "Boot configuration (%s): %s", v->bcd_file, or_dash(v->bcd_error));
		return;
	}
	add(p, "Boot configuration (%s, %zu entries)", v->bcd_file, v->bcd->n);
	for (size_t i = 0; i < v->bcd->n; i++) {
		const struct bcd_entry *e = &v->bcd->e[i];
		const struct bcd_device *d = e->has_osdevice ? &e->osdevice : &e->device;
		if (e->type != BCD_TYPE_BOOTMGR && e->type != BCD_TYPE_OSLOADER &&
		    e->type != BCD_TYPE_RESUME)
			continue;
		char *w = e->has_osdevice || e->has_device ? bcd_device_words(d) : xstrdup("-");
		add(p, "  %s \"%s\": %s on %s", bcd_type_name(e->type), or_dash(e->description),
		    or_dash(e->path), w);
		free(w);
	}
}

static void ntfs_lines(struct page *p, const struct ntfs_state *n, bool mounted_rw)
{
	char a[32], b[32];

	add(p, "%s", mounted_rw ? "NTFS (read from the disk; it is mounted read-write, so this is "
				  "what the driver has written so far)"
				: "NTFS (read from the disk, as it is)");
	if (n->major_ver || n->minor_ver)
		add(p, "  version %u.%u, sector %u, cluster %u, MFT record %u bytes", n->major_ver,
		    n->minor_ver, n->sector_size, n->cluster_size, n->mft_record_size);
	else
		add(p, "  version unknown ($Volume unreadable), sector %u, cluster %u", n->sector_size,
		    n->cluster_size);
	add(p, "  label %s, serial %016" PRIx64, or_dash(n->label), n->serial);
	add(p, "  size %s, free %s", size_human(n->total, a, sizeof(a)),
	    n->free_known ? size_human(n->free, b, sizeof(b)) : "unknown");
	add(p, "  dirty: %s", tri(n->dirty));
	add(p, "  hibernated: %s%s%s%s", tri(n->hibernated),
	    n->hiberfil_magic[0] ? " (hiberfil.sys starts with \"" : "", n->hiberfil_magic,
	    n->hiberfil_magic[0] ? "\")" : "");
	add(p, "  journal ($LogFile): %s%s", ntfs_logfile_name(n->logfile),
	    n->logfile == NTFS_LOGFILE_FAST_RESTART ? " (Windows Fast Startup)" : "");
	add(p, "  $MFTMirr matches $MFT: %s%s%s", tri(n->mftmirr_ok), n->mftmirr_detail ? ": " : "",
	    n->mftmirr_detail ? n->mftmirr_detail : "");
	add(p, "  backup boot sector matches: %s%s%s", tri(n->bootsector_ok),
	    n->bootsector_detail ? ": " : "", n->bootsector_detail ? n->bootsector_detail : "");
	/* what could not be looked at is not known, never "no" */
	const char *unk = "unknown (the volume cannot be opened)";
	if (!n->opened && !n->has_windows && !n->has_bootmgr && !n->has_bcd)
		add(p, "  \\Windows\\System32\\config\\SYSTEM, \\bootmgr, \\Boot\\BCD: %s", unk);
	else
		add(p, "  \\Windows\\System32\\config\\SYSTEM: %s   \\bootmgr: %s   \\Boot\\BCD: %s",
		    yes_no(n->has_windows), yes_no(n->has_bootmgr), yes_no(n->has_bcd));
	add(p, "  opened by libntfs-3g: %s", yes_no(n->opened));
	if (n->error)
		add(p, "  error: %s", n->error);
	if (n->has_windows && !n->win)
		add(p, "  Windows: %s", or_dash(n->win_error));
	if (n->win) {
		const struct win_system *w = n->win;
		char when[40] = "-";
		if (!utc_text(w->shutdown_time, "%Y-%m-%d %H:%M UTC", when, sizeof(when)))
			strcpy(when, "-");
		add(p, "%s", "");
		add(p, "Windows (its SYSTEM and SOFTWARE hives)");
		add(p, "  %s%s%s, version %s, build %s", or_dash(w->product_name),
		    w->display_version ? " " : "", w->display_version ? w->display_version : "",
		    or_dash(w->version), or_dash(w->build));
		if (w->software_error)
			add(p, "  SOFTWARE hive: %s", w->software_error);
		add(p, "  computer %s, last shut down %s", or_dash(w->computer_name), when);
		add(p, "  control set %u%s, default %u, last known good %u", w->current,
		    w->controlset_missing ? " (missing)" : "", w->default_set, w->last_known_good);
		add(p, "  Fast Startup: %s   hive consistent: %s (sequence %u/%u)",
		    w->hiberboot < 0 ? "not set" : w->hiberboot ? "on" : "off", yes_no(!w->dirty),
		    w->seq_primary, w->seq_secondary);
		for (size_t i = 0; i < w->nletters; i++) {
			const struct win_letter *l = &w->letters[i];
			char *words = winreg_letter_words(l);
			add(p, "  %s", words);
			free(words);
		}
	}
}

/* Whether text names path as a whole word ("/dev/sdb" is not in "/dev/sdb1"). */
static bool mentions(const char *text, const char *path)
{
	size_t l = strlen(path);

	for (const char *p = text; path && *path && (p = strstr(p, path)); p += l) {
		char c = p[l];
		if (!(c >= '0' && c <= '9') && !(c >= 'a' && c <= 'z') && c != '/')
			return true;
	}
	return false;
}

/* A finding and its next step, as list words them. */
static void finding_lines(struct page *p, const struct finding *f)
{
	add(p, "    %s %s: %s", f->severity == SEV_ERROR ? "ERROR" : f->severity == SEV_WARNING
	    ? "WARNING" : "INFO", f->code, f->message);
	if (f->action)
		add(p, "      Next: %s", f->action);
}

void page_details(struct tui *t)
{
	const struct vol_ref *v = view_selected(t);
	const struct verdict *vd = view_verdict(t, t->sel);
	const struct disk *d;
	const struct volume *vol;
	struct page p = { 0 };
	char a[32], b[32], *title;

	if (!v)
		return;
	d = v->disk;
	vol = v->vol;
	if (v->part)
		add(&p, "Volume %s, Disk %zu partition %zu: %s", or_dash(v->path), d->number,
		    v->part->number, vd->state);
	else
		add(&p, "Disk %zu as one volume (%s): %s", d->number, d->path, vd->state);
	if (vd->summary)
		add(&p, "  %s", vd->summary);
	if (vd->next)
		add(&p, "  Next: %s", vd->next);
	add(&p, "  file system: %s%s%s   label: %s   UUID: %s",
	    vol->fstype ? vol->fstype : vol->ntfs ? "ntfs (found through its backup boot sector)" : "-",
	    vol->version ? " " : "", vol->version ? vol->version : "", or_dash(vol_label(v)),
	    or_dash(vol->uuid));
	if (vol->usage && strcmp(vol->usage, "filesystem") != 0)
		add(&p, "  content: %s (libblkid)", vol->usage);
	if (v->part) {
		const struct partition *pt = v->part;
		add(&p, "  start %s (%" PRIu64 " bytes), size %s (%" PRIu64 " bytes), node %s (%u:%u)",
		    size_human(pt->start, a, sizeof(a)), pt->start, size_human(pt->size, b, sizeof(b)),
		    pt->size, or_dash(pt->path), pt->major, pt->minor);
		add(&p, "  type %s (%s), partuuid %s", or_dash(pt->parttype), or_dash(pt->parttype_name),
		    or_dash(pt->partuuid));
		add(&p, "  name %s, attributes %s, bootable %s, extended %s", or_dash(pt->partlabel),
		    or_dash(pt->attrs), yes_no(pt->bootable), yes_no(pt->container));
	}
	add(&p, "  role: %s", part_role_name(v->role));
	for (size_t i = 0; i < vol->use.nmountpoints; i++)
		add(&p, "  mounted at %s%s", vol->use.mountpoints[i],
		    vol->use.mounted_rw ? " (read-write)" : " (read-only)");
	if (!vol->use.nmountpoints)
		add(&p, "  not mounted");
	if (vol->use.swap)
		add(&p, "  active swap");
	for (size_t i = 0; i < vol->use.nholders; i++)
		add(&p, "  used by /dev/%s", vol->use.holders[i]);
	if (vol->fs_error)
		add(&p, "  content: %s", vol->fs_error);
	if (v->part && v->part->error)
		add(&p, "%s%s", "  error: ", v->part->error);
	add(&p, "%s", "");
	if (vol->ntfs)
		ntfs_lines(&p, vol->ntfs, vol->use.mounted_rw);
	bcd_section(&p, vol);
	if (vol->ntfs || vol->bcd_file)
		add(&p, "%s", "");

	add(&p, "Disk %zu %s  %s  %s", d->number, d->path, disk_role_name(d->role),
	    d->role == DISK_ROLE_RESCUE ? "[RESCUE] hands off" : "");
	if (d->role_reason)
		add(&p, "%s%s", "  ", d->role_reason);
	add(&p, "  size %s (%" PRIu64 " bytes), sectors %u/%u, %s%s%s", size_human(d->size, a, sizeof(a)),
	    d->size, d->log_sector, d->phys_sector, or_dash(d->transport),
	    d->removable ? ", removable" : "", d->readonly ? ", read-only" : "");
	add(&p, "  model %s, vendor %s, serial %s", or_dash(d->model), or_dash(d->vendor),
	    or_dash(d->serial));
	if (d->loop_backing)
		add(&p, "  loop device backed by %s", d->loop_backing);
	add(&p, "  partition table %s %s", d->pttype ? d->pttype : d->error ? "unreadable" : "none",
	    or_dash(d->ptuuid));
	for (size_t i = 0; i < d->npt_warnings; i++)
		add(&p, "%s%s", "  table warning: ", d->pt_warnings[i]);
	if (d->error)
		add(&p, "%s%s", "  error: ", d->error);
	add(&p, "%s", "");

	add(&p, "Findings");
	size_t nf = 0;
	for (size_t i = 0; i < vd->nfindings; i++) {
		finding_lines(&p, &vd->findings[i]);
		nf++;
	}
	for (size_t i = 0; i < t->inv->nfindings; i++) {
		const struct finding *f = &t->inv->findings[i];
		/* about its disk, or naming its disk (a signature collision) */
		if (f->device && strcmp(f->device, v->path ? v->path : "") && strcmp(f->device, d->path) &&
		    !mentions(f->message, d->path))
			continue;
		finding_lines(&p, f);
		nf++;
	}
	if (!nf)
		add(&p, "  none");
	add(&p, "%s", "");
	add(&p, "Actions");
	for (size_t i = 0; actions[i]; i++) {
		char *why = actions[i]->applies(v, t->inv, NULL);
		char *line = xasprintf("  %c  %s: %s", actions[i]->key, actions[i]->label,
				       why ? why : "available");
		add(&p, "%s%s", "", line);
		free(line);
		free(why);
	}
	title = xasprintf("Details: %s", v->path ? v->path : vol_name(v));
	page_run(t, title, &p);
	free(title);
}

/* A key and what it does, the text wrapped under itself: the key column stays clear. */
static void add_key(struct page *p, const char *keys, const char *what)
{
	char **l;
	int col = 2 + 24 + 1;
	size_t n = term_wrap(what, COLS - 2 - col > 20 ? COLS - 2 - col : 20, &l);

	for (size_t i = 0; i < n; i++)
		add(p, "  %-24s %s", i ? "" : keys, l[i]);
	if (!n)
		add(p, "  %s", keys);
	strv_free(l, n);
}

/* A marker and what it means, the text wrapped in its own column (13 wide). */
static void add_marker(struct page *p, const char *marker, const char *what)
{
	char **l;
	int col = 13;
	size_t n = term_wrap(what, COLS - 2 - col > 20 ? COLS - 2 - col : 20, &l);
	bool own_line = strlen(marker) > 10;

	if (own_line)
		add(p, "  %s", marker);
	for (size_t i = 0; i < n; i++)
		add(p, "  %-10s %s", i || own_line ? "" : marker, l[i]);
	strv_free(l, n);
}

void page_help(struct tui *t)
{
	struct page p = { 0 };

	add(&p, "winrescue %s: Disk Management on a rescue system", WINRESCUE_VERSION);
	add(&p, "%s", "");
	add(&p, "Keys");
	for (size_t i = 0; actions[i]; i++) {
		char key[2] = { (char)actions[i]->key, 0 };
		char *what = xasprintf("%s (winrescue %s)", actions[i]->label, actions[i]->name);
		add_key(&p, key, what);
		free(what);
	}
	for (const struct tui_binding *b = tui_bindings; b->keys; b++)
		add_key(&p, b->keys, b->help);
	add_key(&p, "U (on the log page)", "undo a fix or fix-boot of this session, from its undo "
		"file");
	add_key(&p, "F (on the boot page)", "fix-boot: the disk identity the BCD expects, or "
		"the BIOS boot chain");
	add(&p, "%s", "");
	add(&p, "Markers");
	add_marker(&p, ">", "the selection (both panes)");
	add_marker(&p, "[RESCUE]", "the disk the rescue system runs from: hands off, never written");
	add_marker(&p, "[SYSTEM]", "a disk with a Windows installation: the patient");
	add_marker(&p, "[DATA]", "a disk with Windows-readable volumes but no Windows");
	add_marker(&p, "[SAME ID]", "a disk with another disk's MBR signature or GPT GUID (a clone)");
	add_marker(&p, "mounted", "a disk with a volume mounted here; not mounted: none is (the disk "
		   "itself is fine either way)");
	add_marker(&p, "+", "more states than the column shows (hibernated+ = hibernated, dirty)");
	add_marker(&p, "no problem seen", "the quick look found nothing; only c (check) reads all of "
		   "the volume");
	add_marker(&p, "~  ...", "cut short, at the right or (a path) at the left; the details "
		   "(Enter) and the row above the keys show all");
	add(&p, "%s", "");
	add(&p, "Anything that writes asks for the device name to be typed first.");
	add(&p, "Every action is recorded in the audit log (l shows this session's).");
	page_run(t, "Help", &p);
}

char *page_log(struct tui *t)
{
	const struct audit_entry *e;
	size_t n = audit_session(&e), nundo = 0;
	const char *labels[16];
	const char *files[16];
	struct page p = { 0 };
	char *chosen = NULL;

	add(&p, "What was done since winrescue started (the audit log: %s)",
	    audit_path(&(struct action_opts){ .log_path = t->opts.log_path }));
	add(&p, "%s", "");
	for (size_t i = 0; i < n; i++) {
		char *line = xasprintf("%s  %-7s %-7s %s  %s", e[i].time, e[i].action, e[i].event,
				       e[i].target, e[i].text);
		add(&p, "%s%s", "", line);
		free(line);
		if (e[i].undo_file)
			add(&p, "          undo file: %s", e[i].undo_file);
	}
	if (!n)
		add(&p, "Nothing yet.");
	/* the undo files of this session, the latest first */
	for (size_t i = n; i-- > 0 && nundo < 16;)
		if (e[i].undo_file) {
			labels[nundo] = xasprintf("%s  %s %s", e[i].time, e[i].action, e[i].target);
			files[nundo++] = e[i].undo_file;
		}
	if (nundo) {
		add(&p, "%s", "");
		add(&p, "U undoes a fix: it puts back, byte for byte, what the fix overwrote, after "
		    "showing the plan and asking for the device name.");
	}
	if (page_run_keys(t, "Log", &p, nundo ? "U" : NULL, nundo ? "U: undo a fix   " : NULL)) {
		int c = nundo == 1 ? 0 : dialog_choose(t, "Undo which fix?", NULL, labels, files,
						       NULL, (int)nundo, 0);
		if (c >= 0)
			chosen = xstrdup(files[c]);
	}
	for (size_t i = 0; i < nundo; i++)
		free((char *)labels[i]);
	return chosen;
}

char *page_boot(struct tui *t, bool *rewrite)
{
	struct diagnosis d;
	struct page p = { 0 };
	const char *labels[16], *details[16];
	bool how[16];
	char *chosen = NULL;
	int nfix = 0;

	*rewrite = false;
	diagnose_checked(t->inv, &t->checks, &d);
	for (size_t i = 0; i < d.nwin; i++) {
		const struct diag_windows *w = &d.win[i];
		const struct win_system *s = w->vol->ntfs->win;
		add(&p, "%s%s%s on %s (Disk %zu)%s%s", s && s->product_name ? s->product_name : "Windows",
		    s && s->build ? " build " : "", s && s->build ? s->build : "", w->device,
		    t->inv->disks[w->disk_index].number, s && s->computer_name ? ", computer " : "",
		    s && s->computer_name ? s->computer_name : "");
		if (!w->store) {
			add(&p, "  boot configuration: none found");
			add(&p, "%s", "");
			continue;
		}
		add(&p, "  boot configuration: %s on %s", w->store->bcd_file, w->store_device);
		const struct bcd_entry *e[2] = { w->bootmgr, w->loader };
		for (int k = 0; k < 2; k++) {
			if (!e[k])
				continue;
			bool os = k == 1 && e[k]->has_osdevice;
			char *where = os || e[k]->has_device ? bcd_device_words(os ? &e[k]->osdevice
										 : &e[k]->device)
							     : xstrdup("-");
			add(&p, "  %s \"%s\": %s on %s", k ? "default" : "boot manager",
			    or_dash(e[k]->description), or_dash(e[k]->path), where);
			free(where);
		}
		add(&p, "%s", "");
	}
	add(&p, "Findings");
	for (size_t i = 0; i < d.nf; i++) {
		const struct diag_finding *f = &d.f[i];
		add(&p, "  %s %s%s", f->weight == DIAG_BLOCKS ? "[stops boot]" : f->weight == DIAG_UNKNOWN
		    ? "[not known]" : "[note]", f->code, f->fixable ? "  (F fixes it)" : "");
		add(&p, "    %s", f->message);
		if (f->next)
			add(&p, "    Next: %s", f->next);
	}
	if (!d.nf)
		add(&p, "  none");
	add(&p, "%s", "");
	char *verdict = diagnosis_verdict(&d);
	add(&p, "Verdict: %s", verdict);
	free(verdict);
	/* the identity put back where it can be; else the store rewritten where that can */
	for (size_t i = 0; i < d.nrep && nfix < 16; i++)
		if (diag_repair_how(&d.rep[i])) {
			how[nfix] = d.rep[i].refused != NULL;
			labels[nfix] = d.rep[i].disk;
			details[nfix] = diag_repair_how(&d.rep[i]);
			nfix++;
		}
	/* the BIOS boot chains fix-boot mends (on a disk without an identity to put back) */
	for (size_t i = 0; i < d.nchain && nfix < 16; i++) {
		const struct diag_chain *c = &d.chain[i];
		bool dup = false;
		for (int k = 0; k < nfix; k++)
			dup |= strcmp(labels[k], c->disk) == 0;
		if (dup || !diag_chain_doable(c, false))
			continue;
		how[nfix] = false;
		labels[nfix] = c->disk;
		details[nfix] = "mend the BIOS boot chain (MBR boot code, signature, active flag, "
				"hidden sectors)";
		nfix++;
	}
	if (nfix) {
		add(&p, "%s", "");
		add(&p, "F runs fix-boot: it puts back the disk identity the BCD store expects or, "
		    "when another disk holds it, a partition moved or the disk changed kind, rewrites "
		    "the store's devices to name the disk as it is now; on a BIOS disk it mends the "
		    "boot chain (boot code, signature, active flag, hidden sectors); the plan first, "
		    "then the name typed; an undo file keeps what it overwrites.");
	}
	if (page_run_keys(t, "Boot diagnosis", &p, nfix ? "F" : NULL, nfix ? "F: fix-boot   " : NULL)) {
		int c = nfix == 1 ? 0 : dialog_choose(t, "Fix the boot of which disk?", NULL, labels,
						      details, NULL, nfix, 0);
		if (c >= 0) {
			chosen = xstrdup(labels[c]);
			*rewrite = how[c];
		}
	}
	diagnosis_free(&d);
	return chosen;
}

void page_check(struct tui *t, const struct job *job)
{
	const struct action_result *res = &job->res;
	struct page p = { 0 };

	for (size_t i = 0; i < res->nchecks; i++) {
		const struct fs_check *c = &res->checks[i];
		const struct nc_report *r = &c->rep;

		add(&p, "%s", c->summary ? c->summary : c->device);
		if (c->next)
			add(&p, "Next: %s", c->next);
		add(&p, "%s", "");
		for (size_t k = 0; k < r->nfindings; k++) {
			const struct nc_finding *f = &r->findings[k];
			char where[48] = "";
			if (f->record >= 0)
				snprintf(where, sizeof(where), " record %lld", (long long)f->record);
			add(&p, "%-7s %s%s%s%s", f->severity == NC_ERROR ? "ERROR" : f->severity ==
			    NC_WARNING ? "WARNING" : "INFO", f->code, where, f->path ? "  " : "",
			    f->path ? f->path : "");
			add(&p, "        %s", f->message);
			if (f->severity == NC_ERROR)
				add(&p, "        Repair: %s", f->repair == NC_REPAIR_FIX ? "winrescue fix"
				    : f->repair == NC_REPAIR_CHKDSK ? "chkdsk /f in Windows (copy the data "
				    "off first)" : "nothing to repair");
		}
		if (r->dropped)
			add(&p, "... and %zu more findings of the same kinds (winrescue check --json "
			    "lists them all).", r->dropped);
		if (c->tool_output && c->status != ACT_OK) {
			char *copy = xstrdup(c->tool_output), *save = NULL;
			add(&p, "%s said:", c->checker);
			for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
				add(&p, "  %s", l);
			free(copy);
		}
		add(&p, "%s", "");
	}
	page_run(t, job->act == &action_fix ? "Fix: the volume after the repair" : "Check", &p);
}
