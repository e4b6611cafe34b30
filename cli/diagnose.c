/*
 * diagnose.c - `winrescue diagnose [--json]`: why Windows would not boot,
 * read-only. The findings come from actions/diagnose.c; this file only
 * prints them. Exit 0 when nothing found stops the boot, 4 when something
 * does, 8 when the evidence could not be read (as check).
 */
#include "actions/diagnose.h"
#include "cli/cli.h"
#include "cli/output.h"
#include "lib/jsonutil.h"
#include "lib/termout.h"
#include "lib/util.h"

#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char diagnose_usage[] =
	"Usage: winrescue diagnose [--json] [DISK...]\n"
	"Why Windows would not boot, as far as it can be seen from here; read-only.\n"
	"DISK... looks at those disks only (/dev/sdb, sdb or disk:N), as if the others\n"
	"were not attached.\n"
	"For each Windows installation on a disk that is not the rescue system's: the\n"
	"BCD store that starts it, its devices matched to the disks attached, and the\n"
	"state of the volume and hives. Findings: bcd-device-mismatch,\n"
	"bcd-device-unknown, bcd-missing, bcd-unreadable, bcd-default-missing,\n"
	"bcd-path-missing, signature-collision, ntfs-hibernated, fast-startup,\n"
	"pending-updates, safe-mode-set, hive-dirty, hive-unreadable, controlset-missing,\n"
	"bitlocker-locked, windows-damaged, windows-not-found, no-device-node. The boot\n"
	"chain before the store:\n"
	"mbr-code-missing, mbr-code-unknown, mbr-signature-missing, no-active-partition,\n"
	"active-without-bootmgr, bootmgr-missing, ntfs-hidden-sectors,\n"
	"ntfs-bootsector-mismatch (BIOS disks); esp-missing, bootmgfw-missing,\n"
	"fallback-loader-missing (UEFI disks).\n"
	"Exit: 0 nothing found stops the boot, 4 something does, 8 the evidence could\n"
	"not be read, 16 usage.\n";

static struct json_object *entry_json(const struct bcd_entry *e)
{
	struct json_object *o;

	if (!e)
		return NULL;
	o = json_object_new_object();
	json_add(o, "id", json_str(e->id));
	json_add(o, "description", json_str(e->description));
	json_add(o, "path", json_str(e->path));
	json_add(o, "device", json_str(e->has_device ? e->device.present : NULL));
	json_add(o, "osdevice", json_str(e->has_osdevice ? e->osdevice.present : NULL));
	return o;
}

static char *diagnose_json(const struct inventory *inv, const struct diagnosis *d)
{
	struct json_object *root = output_json_envelope(), *a;

	a = json_object_new_array();
	for (size_t i = 0; i < d->nwin; i++) {
		const struct diag_windows *w = &d->win[i];
		const struct win_system *s = w->vol->ntfs->win;
		struct json_object *o = json_object_new_object(), *st = NULL;
		json_add(o, "device", json_str(w->device));
		json_add(o, "disk", json_object_new_int64((int64_t)inv->disks[w->disk_index].number));
		json_add(o, "disk_path", json_str(inv->disks[w->disk_index].path));
		json_add(o, "product_name", json_str(s ? s->product_name : NULL));
		json_add(o, "build", json_str(s ? s->build : NULL));
		json_add(o, "computer_name", json_str(s ? s->computer_name : NULL));
		if (w->store) {
			st = json_object_new_object();
			json_add(st, "device", json_str(w->store_device));
			json_add(st, "file", json_str(w->store->bcd_file));
			json_add(st, "error", json_str(w->store->bcd_error));
		}
		json_add(o, "store", st);
		json_add(o, "bootmgr", entry_json(w->bootmgr));
		json_add(o, "default", entry_json(w->loader));
		json_object_array_add(a, o);
	}
	json_add(root, "windows", a);
	a = json_object_new_array();
	for (size_t i = 0; i < d->nf; i++) {
		const struct diag_finding *f = &d->f[i];
		struct json_object *o = json_object_new_object();
		json_add(o, "code", json_str(f->code));
		json_add(o, "severity", json_str(severity_name(f->severity)));
		json_add(o, "weight", json_str(diag_weight_name(f->weight)));
		json_add(o, "device", json_str(f->device));
		json_add(o, "message", json_str(f->message));
		json_add(o, "next", json_str(f->next));
		json_add(o, "fixable", json_object_new_boolean(f->fixable));
		json_object_array_add(a, o);
	}
	json_add(root, "findings", a);
	a = json_object_new_array();
	for (size_t i = 0; i < d->nrep; i++) {
		const struct diag_repair *r = &d->rep[i];
		struct json_object *o = json_object_new_object();
		json_add(o, "disk", json_str(r->disk));
		json_add(o, "kind", json_str(r->gpt ? "gpt-disk-guid" : "mbr-signature"));
		json_add(o, "from", json_str(r->from_id));
		json_add(o, "to", json_str(r->to_id));
		json_add(o, "partition", r->part_number ? json_object_new_int64((int64_t)r->part_number)
							: NULL);
		json_add(o, "partition_from", json_str(r->part_from));
		json_add(o, "partition_to", json_str(r->part_to));
		json_add(o, "store", json_str(r->store));
		json_add(o, "refused", json_str(r->refused));
		json_add(o, "collision", json_object_new_boolean(r->collision));
		/* 1.7: refused, but --rewrite-bcd can (a collision, a partition moved, the disk's kind) */
		json_add(o, "rewrite_bcd", json_object_new_boolean(r->rewrite));
		json_add(o, "kind_changed", json_object_new_boolean(r->kind_changed));
		json_object_array_add(a, o);
	}
	json_add(root, "repairs", a);
	/* schema 1.6: what fix-boot would mend in each BIOS boot chain */
	a = json_object_new_array();
	for (size_t i = 0; i < d->nchain; i++) {
		const struct diag_chain *c = &d->chain[i];
		struct json_object *o = json_object_new_object(), *h = json_object_new_array();
		json_add(o, "disk", json_str(c->disk));
		json_add(o, "boot_code", json_object_new_boolean(c->code));
		json_add(o, "boot_code_unknown", json_object_new_boolean(c->code_unknown));
		json_add(o, "signature", json_object_new_boolean(c->signature));
		json_add(o, "active", c->active ? json_object_new_int64((int64_t)c->active) : NULL);
		for (size_t k = 0; k < c->nhidden; k++)
			json_object_array_add(h, json_object_new_int64((int64_t)c->hidden[k].part));
		json_add(o, "hidden_sectors", h);
		json_object_array_add(a, o);
	}
	json_add(root, "boot_chain", a);
	json_add(root, "status", json_object_new_int(d->status));
	return output_json_string(root);
}

/* One line per entry: where the boot manager and the default loader point. */
static void entry_line(FILE *out, const char *what, const struct bcd_entry *e, bool os)
{
	const struct bcd_device *b = os && e->has_osdevice ? &e->osdevice : &e->device;
	char *where = (os && e->has_osdevice) || e->has_device ? bcd_device_words(b) : xstrdup("-");
	char *line = xasprintf("%s \"%s\": %s on %s", what, e->description ? e->description : "-",
			       e->path ? e->path : "-", where);

	output_wrapped(out, "    ", line);
	free(line);
	free(where);
}

static void diagnose_text(FILE *out, const struct inventory *inv, const struct diagnosis *d)
{

	for (size_t i = 0; i < d->nwin; i++) {
		const struct diag_windows *w = &d->win[i];
		const struct win_system *s = w->vol->ntfs->win;
		char *line = xasprintf("%s%s%s on %s (Disk %zu%s%s)%s%s",
				       s && s->product_name ? s->product_name : "Windows",
				       s && s->build ? " build " : "", s && s->build ? s->build : "",
				       w->device, inv->disks[w->disk_index].number, w->part ? ", " : "",
				       w->part ? inv->disks[w->disk_index].path : "",
				       s && s->computer_name ? ", computer " : "",
				       s && s->computer_name ? s->computer_name : "");
		output_wrapped(out, "", line);
		free(line);
		if (!w->store) {
			fprintf(out, "  Boot configuration: none found\n");
			continue;
		}
		line = xasprintf("Boot configuration: %s on %s%s%s", w->store->bcd_file,
				 w->store_device, w->store->bcd ? "" : " (unreadable)", "");
		output_wrapped(out, "  ", line);
		free(line);
		if (w->bootmgr)
			entry_line(out, "boot manager", w->bootmgr, false);
		if (w->loader)
			entry_line(out, "default", w->loader, true);
	}
	if (d->nwin)
		fputc('\n', out);
	for (size_t i = 0; i < d->nf; i++) {
		const struct diag_finding *f = &d->f[i];
		char *line = xasprintf("%s %s: %s", f->weight == DIAG_BLOCKS ? "[stops boot]"
				       : f->weight == DIAG_UNKNOWN ? "[not known]" : "[note]",
				       f->code, f->message);
		output_wrapped(out, "", line);
		free(line);
		if (f->next) {
			line = xasprintf("Next: %s", f->next);
			output_wrapped(out, "  ", line);
			free(line);
		}
	}
	char *verdict = diagnosis_verdict(d);
	char *line = xasprintf("Verdict: %s", verdict);
	if (d->nf)
		fputc('\n', out);
	output_wrapped(out, "", line);
	free(line);
	free(verdict);
}

int cmd_diagnose(int argc, char **argv, struct global_opts *g)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct probe_ctx ctx = { .sysroot = g->sysroot };
	struct inventory *inv;
	struct diagnosis d;
	bool json = false;
	int c, rc;

	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, ":jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'h': fputs(diagnose_usage, stdout); return WR_EXIT_OK;
		case ':':
			return cli_usage_error("option '%s' needs an argument; see 'winrescue diagnose "
					       "--help'", argv[optind - 1]);
		default:
			return cli_usage_error("unknown option '%s' for diagnose; see 'winrescue "
					       "diagnose --help'", argv[optind - 1]);
		}
	}
	char **only = NULL;
	size_t nonly = 0;
	if (optind < argc) {
		if (cli_disk_filter(&ctx, argv + optind, argc - optind, &only, &nonly, json))
			return WR_EXIT_USAGE;
		ctx.only = only;
		ctx.nonly = nonly;
	}
	inv = probes_scan(&ctx);
	strv_free(only, nonly);
	if (inv->error) {
		fprintf(stderr, "winrescue: %s; is /sys mounted?\n", inv->error);
		inventory_free(inv);
		return ACT_OPERATIONAL;
	}
	diagnose(inv, &d);
	rc = d.status;
	if (json) {
		char *s = diagnose_json(inv, &d);
		termout_json(s);
		free(s);
	} else {
		diagnose_text(stdout, inv, &d);
	}
	diagnosis_free(&d);
	inventory_free(inv);
	if (fflush(stdout) != 0) {
		perror("winrescue: cannot write the output");
		rc = ACT_OPERATIONAL;
	}
	return rc;
}
