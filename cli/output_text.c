/* output_text.c - the inventory as Disk Management would draw it, in text. */
#include "cli/output.h"
#include "actions/action.h"
#include "actions/verdict.h"
#include "probes/bcd.h"
#include "lib/table.h"
#include "lib/util.h"

#include <stdlib.h>
#include <string.h>

enum { C_NUM, C_DEV, C_SIZE, C_FS, C_LABEL, C_ROLE, C_MOUNT, C_FREE, C_STATE, NCOLS };

static char *mount_words(const struct usage *u)
{
	char *s = NULL;

	for (size_t i = 0; i < u->nmountpoints; i++)
		str_add_word(&s, u->mountpoints[i]);
	if (u->swap)
		str_add_word(&s, "[swap]");
	for (size_t i = 0; i < u->nholders; i++) {
		char *h = xasprintf("used by %s", u->holders[i]);
		str_add_word(&s, h);
		free(h);
	}
	return s;
}

static void volume_cells(struct table *t, const struct inventory *inv, const struct vol_ref *r)
{
	const struct volume *v = r->vol;
	char buf[32], *m = mount_words(&v->use);
	struct verdict vd;

	verdict_of(inv, r, NULL, &vd);
	table_cell(t, C_FS, v->fstype ? v->fstype : v->ntfs ? "ntfs" : NULL);
	table_cell(t, C_LABEL, v->ntfs && v->ntfs->label ? v->ntfs->label : v->label);
	table_cell(t, C_ROLE, part_role_name(r->role));
	table_cell(t, C_MOUNT, m);
	table_cell(t, C_FREE, v->ntfs && v->ntfs->free_known ? size_human(v->ntfs->free, buf, sizeof(buf)) : NULL);
	table_cell(t, C_STATE, vd.state);
	free(m);
	verdict_free(&vd);
}

const char *output_disk_marker(enum disk_role r)
{
	switch (r) {
	case DISK_ROLE_RESCUE: return "[RESCUE]";
	case DISK_ROLE_SYSTEM: return "[SYSTEM]";
	case DISK_ROLE_DATA: return "[DATA]";
	default: return "[UNKNOWN]";
	}
}

static void disk_header(FILE *out, const struct disk *d)
{
	char buf[32], *model = NULL, *line;

	if (d->vendor || d->model) {
		char *raw = xasprintf("%s%s%s", d->vendor ? d->vendor : "", d->vendor && d->model ? " " : "",
				      d->model ? d->model : "");
		model = sanitize_terminal(raw);
		free(raw);
	}
	line = xasprintf("Disk %zu  %s  %s  %s  %s%s%s  %s%s%s%s", d->number, output_disk_marker(d->role),
			 d->transport ? d->transport : "-", size_human(d->size, buf, sizeof(buf)),
			 d->pttype ? d->pttype : d->error ? "partition table unreadable"
			 : d->mbr.lost_table ? "dos table without its signature" : "no partition table",
			 d->ptuuid ? (strcmp(d->pttype ? d->pttype : "", "dos") == 0 ? " 0x" : " ") : "",
			 d->ptuuid ? d->ptuuid : "", d->path, model ? "  \"" : "", model ? model : "",
			 model ? "\"" : "");
	fprintf(out, "%s\n", line);
	free(line);
	free(model);
	if (d->role_reason) {
		char *r = sanitize_terminal(d->role_reason);
		fprintf(out, "        %s%s\n", d->role == DISK_ROLE_RESCUE ? "rescue system: " : "", r);
		free(r);
	}
	if (d->loop_backing) {
		char *b = sanitize_terminal(d->loop_backing);
		fprintf(out, "        loop device backed by %s\n", b);
		free(b);
	}
	if (d->error) {
		char *e = sanitize_terminal(d->error);
		fprintf(out, "        error: %s\n", e);
		free(e);
	}
}

static void disk_table(FILE *out, const struct inventory *inv, size_t di)
{
	const struct disk *d = &inv->disks[di];
	struct table *t = table_new(NCOLS);
	char buf[32];
	size_t fi = 0;

	table_column(t, C_NUM, "#", true, 0);
	table_column(t, C_DEV, "Device", false, 0);
	table_column(t, C_SIZE, "Size", true, 0);
	table_column(t, C_FS, "FS", false, 10);
	table_column(t, C_LABEL, "Label", false, 16);
	table_column(t, C_ROLE, "Role", false, 0);
	table_column(t, C_MOUNT, "Mounted", false, 24);
	table_column_cut_left(t, C_MOUNT);
	table_column(t, C_FREE, "Free", true, 0);
	table_column(t, C_STATE, "State", false, 0);

	if (!d->nparts && (d->vol.fstype || d->vol.ntfs)) {
		table_row(t);
		table_cell(t, C_NUM, "-");
		table_cell(t, C_DEV, d->path);
		table_cell(t, C_SIZE, size_human(d->size, buf, sizeof(buf)));
		struct vol_ref r = target_ref(inv, di, NULL);
		volume_cells(t, inv, &r);
	}
	/* partitions and unallocated ranges in disk order */
	for (size_t i = 0; i <= d->nparts; i++) {
		const struct partition *p = i < d->nparts ? &d->parts[i] : NULL;
		while (fi < d->nfree && (!p || d->free[fi].start < p->start)) {
			char *note = xasprintf("    unallocated  %s", size_human(d->free[fi].size, buf, sizeof(buf)));
			table_note(t, note);
			free(note);
			fi++;
		}
		if (!p)
			break;
		char *num = xasprintf("%zu%s", p->number, p->bootable ? "*" : "");
		char *dev = p->path ? xstrdup(p->path) : xasprintf("(Disk %zu partition %zu)", d->number,
								    p->number);
		table_row(t);
		table_cell(t, C_NUM, num);
		table_cell(t, C_DEV, dev);
		table_cell(t, C_SIZE, size_human(p->size, buf, sizeof(buf)));
		if (p->container) {
			table_cell(t, C_FS, "extended");
			table_cell(t, C_ROLE, "-");
		} else {
			struct vol_ref r = target_ref(inv, di, p);
			volume_cells(t, inv, &r);
		}
		free(num);
		free(dev);
	}
	if (table_nrows(t))
		table_print(t, out, "  ");
	else if (!d->error)
		fprintf(out, "  no partitions and no recognised filesystem\n");
	table_free(t);
	/* what the column cut short, whole: a path is copied from here */
	for (size_t i = 0; i <= d->nparts; i++) {
		const struct volume *v = i < d->nparts ? &d->parts[i].vol : &d->vol;
		const char *dev = i < d->nparts ? d->parts[i].path : d->path;
		char *m = mount_words(&v->use);
		if (m && dev && text_width(m) > 24) {
			char *line = xasprintf("%s is mounted at %s", dev, m);
			output_wrapped(out, "  ", line);
			free(line);
		}
		free(m);
	}
}


/* What a Windows installation's SYSTEM hive says, under its disk's table. */
static void windows_lines(FILE *out, const char *dev, const struct ntfs_state *n)
{
	const struct win_system *w = n->win;
	char when[40] = "", *line;

	if (!n->has_windows)
		return;
	if (!w) {
		line = xasprintf("Windows on %s: %s.", dev, n->win_error ? n->win_error
			       : "its SYSTEM hive was not read");
		output_wrapped(out, "  ", line);
		free(line);
		return;
	}
	if (!utc_text(w->shutdown_time, "%Y-%m-%d %H:%M UTC", when, sizeof(when)))
		when[0] = '\0';
	line = xasprintf("%s%s%s%s%s on %s: computer %s, last shut down %s, control set %u%s%s%s",
			 w->product_name ? w->product_name : "Windows",
			 w->display_version ? " " : "", w->display_version ? w->display_version : "",
			 w->build ? " build " : "", w->build ? w->build : "",
			 dev, w->computer_name ? w->computer_name : "(no name)", *when ? when : "(not known)",
			 w->current, w->controlset_missing ? " (missing)" : "",
			 w->hiberboot > 0 ? ", Fast Startup on" : "",
			 w->dirty ? ", its SYSTEM hive has changes still in its logs" : "");
	output_wrapped(out, "  ", line);
	free(line);
	for (size_t i = 0; i < w->nletters; i++) {
		const struct win_letter *l = &w->letters[i];
		if (l->kind == WIN_LETTER_OTHER)
			continue;	/* CD-ROMs and USB sticks of its past */
		line = winreg_letter_words(l);
		output_wrapped(out, "    ", line);
		free(line);
	}
}

/* A volume's BCD store: the boot manager's default entry and where it points. */
static void bcd_lines(FILE *out, const char *dev, const struct volume *n)
{
	const struct bcd_entry *m = NULL, *def = NULL;
	char *line, *where;

	if (!n->bcd_file)
		return;
	if (!n->bcd) {
		line = xasprintf("Boot configuration on %s: %s.", dev,
				 n->bcd_error ? n->bcd_error : "the BCD store was not read");
		output_wrapped(out, "  ", line);
		free(line);
		return;
	}
	for (size_t i = 0; i < n->bcd->n && !m; i++)
		if (n->bcd->e[i].type == BCD_TYPE_BOOTMGR)
			m = &n->bcd->e[i];
	def = m ? bcd_find(n->bcd, m->default_id) : NULL;
	if (!def) {
		line = xasprintf("Boot configuration on %s: %zu entries, %s.", dev, n->bcd->n,
				 !m ? "no Windows Boot Manager" : "its default entry is not there");
		output_wrapped(out, "  ", line);
		free(line);
		return;
	}
	where = def->has_osdevice ? bcd_device_words(&def->osdevice) : xstrdup("no osdevice");
	line = xasprintf("Boot configuration on %s: default \"%s\", %s on %s", dev,
			 def->description ? def->description : "(no description)",
			 def->path ? def->path : "(no path)", where);
	output_wrapped(out, "  ", line);
	free(line);
	free(where);
}

void output_hanging(FILE *out, const char *first, const char *indent, const char *text)
{
	char *safe = sanitize_terminal(text);
	size_t col = text_width(first), width = 78;
	char *save = NULL;
	bool any = false;

	fputs(first, out);
	for (char *w = strtok_r(safe, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		size_t l = text_width(w);
		if (any && col + 1 + l > width) {
			fputc('\n', out);
			fputs(indent, out);
			col = text_width(indent);
		} else if (any) {
			fputc(' ', out);
			col++;
		}
		fputs(w, out);
		col += l;
		any = true;
	}
	fputc('\n', out);
	free(safe);
}

void output_wrapped(FILE *out, const char *indent, const char *text)
{
	output_hanging(out, indent, indent, text);
}

void output_text(FILE *out, const struct inventory *inv)
{
	struct finding *f;
	size_t nf;

	for (size_t i = 0; i < inv->ndisks; i++) {
		if (i)
			fputc('\n', out);
		const struct disk *d = &inv->disks[i];
		disk_header(out, d);
		disk_table(out, inv, i);
		for (size_t k = 0; k < d->nparts; k++) {
			const char *dev = d->parts[k].path ? d->parts[k].path : d->path;
			if (d->parts[k].vol.ntfs)
				windows_lines(out, dev, d->parts[k].vol.ntfs);
			bcd_lines(out, dev, &d->parts[k].vol);
		}
		if (d->vol.ntfs)
			windows_lines(out, d->path, d->vol.ntfs);
		bcd_lines(out, d->path, &d->vol);
	}
	nf = verdict_findings(inv, NULL, &f);
	if (nf)
		fprintf(out, "\nFindings\n");
	for (size_t i = 0; i < nf; i++) {
		char *raw = xasprintf("%-7s  %s%s%s", f[i].severity == SEV_ERROR ? "ERROR"
						       : f[i].severity == SEV_WARNING ? "WARNING" : "INFO",
				       f[i].code, f[i].device ? "  " : "", f[i].device ? f[i].device : "");
		char *head = sanitize_terminal(raw);
		free(raw);
		fprintf(out, "  %s\n", head);
		output_wrapped(out, "           ", f[i].message);
		if (f[i].action) {
			char *next = xasprintf("Next: %s", f[i].action);
			output_wrapped(out, "           ", next);
			free(next);
		}
		free(head);
	}
	findings_free(f, nf);
}
