/*
 * output_json.c - the inventory as one JSON document (json-c). Field names
 * are stable and documented in winrescue(8); sizes are numbers of bytes;
 * absent values are null; every string is valid UTF-8.
 */
#include "cli/output.h"
#include "actions/action.h"
#include "actions/verdict.h"
#include "probes/bcd.h"
#include "lib/jsonutil.h"
#include "lib/util.h"

#include <inttypes.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

static struct json_object *jtri(enum tristate t)
{
	return t == TRI_UNKNOWN ? NULL : json_object_new_boolean(t == TRI_YES);
}

static struct json_object *jnum(uint64_t v)
{
	return json_object_new_int64((int64_t)v);
}

static struct json_object *ntfs_json(const struct ntfs_state *n)
{
	struct json_object *o = json_object_new_object();
	char buf[32];

	if (n->major_ver || n->minor_ver) {
		snprintf(buf, sizeof(buf), "%u.%u", n->major_ver, n->minor_ver);
		json_add(o, "version", json_str(buf));
	} else {
		json_add(o, "version", NULL);
	}
	json_add(o, "sector_size", n->sector_size ? jnum(n->sector_size) : NULL);
	json_add(o, "cluster_size", n->cluster_size ? jnum(n->cluster_size) : NULL);
	json_add(o, "mft_record_size", n->mft_record_size ? jnum(n->mft_record_size) : NULL);
	json_add(o, "label", json_str(n->label));
	snprintf(buf, sizeof(buf), "%016" PRIx64, n->serial);
	json_add(o, "serial", n->cluster_size ? json_str(buf) : NULL);
	json_add(o, "size", n->total ? jnum(n->total) : NULL);
	json_add(o, "free", n->free_known ? jnum(n->free) : NULL);
	json_add(o, "dirty", jtri(n->dirty));
	json_add(o, "hibernated", jtri(n->hibernated));
	json_add(o, "hiberfil_magic", n->hibernated != TRI_UNKNOWN && n->hiberfil_magic[0]
				   ? json_str(n->hiberfil_magic) : NULL);
	json_add(o, "logfile", json_str(ntfs_logfile_name(n->logfile)));
	if (n->logfile_ver_major || n->logfile_ver_minor) {
		snprintf(buf, sizeof(buf), "%u.%u", n->logfile_ver_major, n->logfile_ver_minor);
		json_add(o, "logfile_version", json_str(buf));
	} else {
		json_add(o, "logfile_version", NULL);
	}
	json_add(o, "mftmirr_ok", jtri(n->mftmirr_ok));
	json_add(o, "mftmirr_detail", json_str(n->mftmirr_detail));
	json_add(o, "bootsector_ok", jtri(n->bootsector_ok));
	json_add(o, "bootsector_detail", json_str(n->bootsector_detail));
	/* schema 1.6: the BPB's hidden sectors of each valid copy (BIOS boot chain) */
	json_add(o, "hidden_sectors", n->bs_primary_valid ? jnum(n->hidden_sectors) : NULL);
	json_add(o, "hidden_sectors_backup", n->bs_backup_valid ? jnum(n->hidden_sectors_backup) : NULL);
	json_add(o, "truncated", json_object_new_boolean(n->truncated));
	json_add(o, "read_errors", json_strv(n->read_errors, n->nread_errors));
	json_add(o, "windows_folder", json_object_new_boolean(n->has_windows_dir));
	json_add(o, "windows", json_object_new_boolean(n->has_windows));
	json_add(o, "bootmgr", json_object_new_boolean(n->has_bootmgr));
	json_add(o, "bcd", json_object_new_boolean(n->has_bcd));
	json_add(o, "opened", json_object_new_boolean(n->opened));
	json_add(o, "error", json_str(n->error));
	json_add(o, "library_message", json_str(n->library_message));
	return o;
}

/* What the installation's SYSTEM hive says (schema 1.4); NULL when the volume has none. */
static struct json_object *windows_json(const struct ntfs_state *n)
{
	struct json_object *o, *a;
	const struct win_system *w;
	char buf[40];

	if (!n || !n->has_windows)
		return NULL;
	o = json_object_new_object();
	w = n->win;
	json_add(o, "error", json_str(n->win_error));
	/* every field present, null when the hive could not be read */
	json_add(o, "computer_name", w ? json_str(w->computer_name) : NULL);
	json_add(o, "current_control_set", w && w->current ? jnum(w->current) : NULL);
	json_add(o, "default_control_set", w && w->default_set ? jnum(w->default_set) : NULL);
	json_add(o, "last_known_good", w && w->last_known_good ? jnum(w->last_known_good) : NULL);
	json_add(o, "control_set_missing", w ? json_object_new_boolean(w->controlset_missing) : NULL);
	json_add(o, "last_shutdown", w && utc_text(w->shutdown_time, "%Y-%m-%dT%H:%M:%SZ", buf,
						      sizeof(buf)) ? json_str(buf) : NULL);
	json_add(o, "fast_startup", !w || w->hiberboot < 0 ? NULL : json_object_new_boolean(w->hiberboot));
	json_add(o, "hive_dirty", w ? json_object_new_boolean(w->dirty) : NULL);
	/* 1.5: the SOFTWARE hive's product facts, and what waits for a restart */
	json_add(o, "product_name", w ? json_str(w->product_name) : NULL);
	json_add(o, "edition", w ? json_str(w->edition) : NULL);
	json_add(o, "version", w ? json_str(w->version) : NULL);
	json_add(o, "build", w ? json_str(w->build) : NULL);
	json_add(o, "display_version", w ? json_str(w->display_version) : NULL);
	json_add(o, "software_error", w ? json_str(w->software_error) : NULL);
	json_add(o, "reboot_pending", w ? json_object_new_boolean(w->reboot_pending) : NULL);
	json_add(o, "pending_file_renames", w ? json_object_new_boolean(w->pending_renames) : NULL);
	json_add(o, "pending_xml", json_object_new_boolean(n->has_pending_xml));
	json_add(o, "winload_exe", json_object_new_boolean(n->has_winload_exe));
	json_add(o, "winload_efi", json_object_new_boolean(n->has_winload_efi));
	if (!w) {
		json_add(o, "drive_letters", NULL);
		return o;
	}
	a = json_object_new_array();
	for (size_t i = 0; i < w->nletters; i++) {
		const struct win_letter *l = &w->letters[i];
		struct json_object *e = json_object_new_object();
		snprintf(buf, sizeof(buf), "%c:", l->letter);
		json_add(e, "letter", json_str(buf));
		json_add(e, "kind", json_str(l->kind == WIN_LETTER_MBR ? "mbr" : l->kind == WIN_LETTER_GPT
					     ? "gpt" : "device"));
		snprintf(buf, sizeof(buf), "%08x", l->mbr_signature);
		json_add(e, "disk_signature", l->kind == WIN_LETTER_MBR ? json_str(buf) : NULL);
		json_add(e, "offset", l->kind == WIN_LETTER_MBR ? jnum(l->mbr_offset) : NULL);
		bcd_guid_text(l->part_guid, buf);
		json_add(e, "partuuid", l->kind == WIN_LETTER_GPT ? json_str(buf) : NULL);
		json_add(e, "device", l->kind == WIN_LETTER_OTHER ? json_str(l->device) : NULL);
		json_add(e, "present", json_str(l->present));
		json_object_array_add(a, e);
	}
	json_add(o, "drive_letters", a);
	return o;
}

static struct json_object *jint_or_null(int v)
{
	return v < 0 ? NULL : json_object_new_int(v);
}

static struct json_object *bcd_device_json(bool has, const struct bcd_device *d)
{
	static const char *const kinds[] = { "unknown", "gpt", "mbr", "boot", "locate", "ramdisk" };
	struct json_object *o;
	char buf[40];

	if (!has)
		return NULL;
	o = json_object_new_object();
	json_add(o, "kind", json_str((unsigned)d->kind < 6 ? kinds[d->kind] : "unknown"));
	json_add(o, "type", json_object_new_int64(d->type));
	bcd_guid_text(d->part_guid, buf);
	json_add(o, "partuuid", d->kind == BCD_DEV_GPT ? json_str(buf) : NULL);
	bcd_guid_text(d->disk_guid, buf);
	json_add(o, "ptuuid", d->kind == BCD_DEV_GPT ? json_str(buf) : NULL);
	snprintf(buf, sizeof(buf), "%08x", d->disk_signature);
	json_add(o, "disk_signature", d->kind == BCD_DEV_MBR ? json_str(buf) : NULL);
	json_add(o, "offset", d->kind == BCD_DEV_MBR ? jnum(d->part_offset) : NULL);
	json_add(o, "present", json_str(d->present));
	return o;
}

/* The volume's BCD store decoded (schema 1.4; file 1.5); NULL when it has none. */
struct json_object *output_bcd_json(const struct volume *v)
{
	struct json_object *o, *a;
	char buf[16];

	if (!v->bcd_file)
		return NULL;
	o = json_object_new_object();
	json_add(o, "file", json_str(v->bcd_file));
	json_add(o, "error", json_str(v->bcd_error));
	json_add(o, "hive_dirty", v->bcd ? json_object_new_boolean(v->bcd->dirty) : NULL);
	if (!v->bcd) {
		json_add(o, "entries", NULL);
		return o;
	}
	a = json_object_new_array();
	for (size_t i = 0; i < v->bcd->n; i++) {
		const struct bcd_entry *e = &v->bcd->e[i];
		struct json_object *x = json_object_new_object();
		json_add(x, "id", json_str(e->id));
		snprintf(buf, sizeof(buf), "0x%08x", e->type);
		json_add(x, "type", json_str(buf));
		json_add(x, "type_name", json_str(bcd_type_name(e->type)));
		json_add(x, "description", json_str(e->description));
		json_add(x, "path", json_str(e->path));
		json_add(x, "systemroot", json_str(e->systemroot));
		json_add(x, "device", bcd_device_json(e->has_device, &e->device));
		json_add(x, "osdevice", bcd_device_json(e->has_osdevice, &e->osdevice));
		json_add(x, "default", e->type == BCD_TYPE_BOOTMGR || e->type == BCD_TYPE_FWBOOTMGR
			 ? json_str(e->default_id) : NULL);
		json_add(x, "resumeobject", e->type == BCD_TYPE_OSLOADER ? json_str(e->default_id) : NULL);
		json_add(x, "displayorder", e->norder ? json_strv(e->order, e->norder) : NULL);
		json_add(x, "safeboot", jint_or_null(e->safeboot));
		json_add(x, "bootstatuspolicy", jint_or_null(e->bootstatuspolicy));
		json_add(x, "recoveryenabled", e->recovery < 0 ? NULL : json_object_new_boolean(e->recovery));
		json_add(x, "ems", e->ems < 0 ? NULL : json_object_new_boolean(e->ems));
		json_object_array_add(a, x);
	}
	json_add(o, "entries", a);
	return o;
}

/* What the volume's state means and the next step (schema 1.6), as every view says it. */
static struct json_object *verdict_json(const struct inventory *inv, const struct vol_ref *r)
{
	struct json_object *o = json_object_new_object();
	struct verdict vd;

	verdict_of(inv, r, NULL, &vd);
	json_add(o, "state", json_str(vd.state));
	json_add(o, "severity", json_str(severity_name(vd.severity)));
	json_add(o, "damaged", json_object_new_boolean(vd.damaged));
	json_add(o, "checked", json_object_new_boolean(vd.checked));
	json_add(o, "summary", json_str(vd.summary));
	json_add(o, "next", json_str(vd.next));
	json_add(o, "command", json_str(vd.command));
	verdict_free(&vd);
	return o;
}

static void volume_json(struct json_object *o, const struct volume *v, bool full)
{
	json_add(o, "fstype", json_str(v->fstype));
	json_add(o, "label", json_str(v->label));
	json_add(o, "uuid", json_str(v->uuid));
	if (full) {
		json_add(o, "fsversion", json_str(v->version));
		json_add(o, "usage", json_str(v->usage));
	}
	json_add(o, "fs_error", json_str(v->fs_error));
	json_add(o, "mountpoints", json_strv(v->use.mountpoints, v->use.nmountpoints));
	json_add(o, "mounted_rw", json_object_new_boolean(v->use.mounted_rw));
	json_add(o, "swap", json_object_new_boolean(v->use.swap));
	json_add(o, "holders", json_strv(v->use.holders, v->use.nholders));
	json_add(o, "in_use", json_object_new_boolean(v->use.nmountpoints || v->use.swap || v->use.nholders));
	json_add(o, "ntfs", v->ntfs ? ntfs_json(v->ntfs) : NULL);
	json_add(o, "windows", windows_json(v->ntfs));
	json_add(o, "bcd_store", output_bcd_json(v));
	/* schema 1.6: an ESP's boot loaders */
	if (v->esp_bootmgfw || v->esp_fallback) {
		struct json_object *e = json_object_new_object();
		json_add(e, "bootmgfw", json_str(esp_file_name(v->esp_bootmgfw)));
		json_add(e, "fallback", json_str(esp_file_name(v->esp_fallback)));
		json_add(o, "esp_loaders", e);
	} else {
		json_add(o, "esp_loaders", NULL);
	}
}

/* Sector 0 of a BIOS disk (schema 1.6); NULL when it was not read. */
static struct json_object *mbr_json(const struct mbr_state *m)
{
	struct json_object *o, *a;

	if (!m->read)
		return NULL;
	o = json_object_new_object();
	json_add(o, "boot_code", json_str(mbr_code_name(m->code)));
	json_add(o, "signature", json_object_new_boolean(m->signature));
	json_add(o, "lost_table", json_object_new_boolean(m->lost_table));
	a = NULL;
	if (m->lost_table) {
		a = json_object_new_array();
		for (int i = 0; i < 4; i++) {
			struct json_object *e;
			if (!m->e[i].type)
				continue;
			e = json_object_new_object();
			json_add(e, "number", jnum((uint64_t)i + 1));
			json_add(e, "active", json_object_new_boolean(m->e[i].status == 0x80));
			json_add(e, "type", jnum(m->e[i].type));
			json_add(e, "start_sector", jnum(m->e[i].lba));
			json_add(e, "sectors", jnum(m->e[i].sectors));
			json_add(e, "ntfs", json_object_new_boolean(m->e[i].ntfs));
			json_object_array_add(a, e);
		}
	}
	json_add(o, "entries", a);
	return o;
}

static struct json_object *partition_json(const struct inventory *inv, size_t di,
					  const struct partition *p)
{
	struct json_object *o = json_object_new_object();
	char buf[32];

	json_add(o, "name", json_str(p->name));
	json_add(o, "path", json_str(p->path));
	snprintf(buf, sizeof(buf), "%u:%u", p->major, p->minor);
	json_add(o, "majmin", p->name ? json_str(buf) : NULL);
	json_add(o, "number", jnum(p->number));
	json_add(o, "start", jnum(p->start));
	json_add(o, "size", jnum(p->size));
	json_add(o, "parttype", json_str(p->parttype));
	json_add(o, "parttype_name", json_str(p->parttype_name));
	json_add(o, "partuuid", json_str(p->partuuid));
	json_add(o, "partlabel", json_str(p->partlabel));
	json_add(o, "attrs", json_str(p->attrs));
	json_add(o, "bootable", json_object_new_boolean(p->bootable));
	json_add(o, "container", json_object_new_boolean(p->container));
	volume_json(o, &p->vol, true);
	json_add(o, "role", json_str(part_role_name(p->role)));
	json_add(o, "error", json_str(p->error));
	struct vol_ref r = target_ref(inv, di, p);
	json_add(o, "verdict", p->container ? NULL : verdict_json(inv, &r));
	return o;
}

static struct json_object *disk_json(const struct inventory *inv, size_t i)
{
	const struct disk *d = &inv->disks[i];
	struct json_object *o = json_object_new_object(), *a;
	char buf[32];

	json_add(o, "index", jnum(d->number));
	json_add(o, "name", json_str(d->name));
	json_add(o, "path", json_str(d->path));
	snprintf(buf, sizeof(buf), "%u:%u", d->major, d->minor);
	json_add(o, "majmin", json_str(buf));
	json_add(o, "size", jnum(d->size));
	json_add(o, "log_sec", jnum(d->log_sector));
	json_add(o, "phys_sec", jnum(d->phys_sector));
	json_add(o, "model", json_str(d->model));
	json_add(o, "vendor", json_str(d->vendor));
	json_add(o, "serial", json_str(d->serial));
	json_add(o, "transport", json_str(d->transport));
	json_add(o, "removable", json_object_new_boolean(d->removable));
	json_add(o, "ro", json_object_new_boolean(d->readonly));
	json_add(o, "loop_backing", json_str(d->loop_backing));
	json_add(o, "role", json_str(disk_role_name(d->role)));
	json_add(o, "role_reason", json_str(d->role_reason));
	json_add(o, "pttype", json_str(d->pttype));
	json_add(o, "ptuuid", json_str(d->ptuuid));
	json_add(o, "pt_warnings", json_strv(d->pt_warnings, d->npt_warnings));
	json_add(o, "mbr", mbr_json(&d->mbr));
	volume_json(o, &d->vol, true);
	json_add(o, "volume_role", d->vol.fstype || d->vol.ntfs ? json_str(part_role_name(d->vol_role)) : NULL);
	struct vol_ref r = target_ref(inv, i, NULL);
	json_add(o, "verdict", !d->nparts && (d->vol.fstype || d->vol.ntfs) ? verdict_json(inv, &r) : NULL);
	json_add(o, "error", json_str(d->error));
	a = json_object_new_array();
	for (size_t j = 0; j < d->nparts; j++)
		json_object_array_add(a, partition_json(inv, i, &d->parts[j]));
	json_add(o, "partitions", a);
	a = json_object_new_array();
	for (size_t j = 0; j < d->nfree; j++) {
		struct json_object *f = json_object_new_object();
		json_add(f, "start", jnum(d->free[j].start));
		json_add(f, "size", jnum(d->free[j].size));
		json_object_array_add(a, f);
	}
	json_add(o, "unallocated", a);
	return o;
}

struct json_object *output_json_envelope(void)
{
	struct json_object *root = json_object_new_object(), *schema, *ver;

	schema = json_object_new_object();
	json_add(schema, "name", json_str("winrescue"));
	ver = json_object_new_array();
	json_object_array_add(ver, json_object_new_int(WINRESCUE_SCHEMA_MAJOR));
	json_object_array_add(ver, json_object_new_int(WINRESCUE_SCHEMA_MINOR));
	json_add(schema, "version", ver);
	json_add(root, "schema", schema);
	return root;
}

char *output_json_string(struct json_object *root)
{
	char *s = xstrdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
							     JSON_C_TO_STRING_SPACED |
							     JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	return s;
}

char *output_json(const struct inventory *inv)
{
	struct json_object *root = output_json_envelope(), *a;
	struct finding *f;
	size_t nf;

	a = json_object_new_array();
	for (size_t i = 0; i < inv->ndisks; i++)
		json_object_array_add(a, disk_json(inv, i));
	json_add(root, "disks", a);

	a = json_object_new_array();
	nf = verdict_findings(inv, NULL, &f);
	for (size_t i = 0; i < nf; i++) {
		struct json_object *o = json_object_new_object();
		json_add(o, "severity", json_str(severity_name(f[i].severity)));
		json_add(o, "code", json_str(f[i].code));
		json_add(o, "device", json_str(f[i].device));
		json_add(o, "message", json_str(f[i].message));
		json_add(o, "action", json_str(f[i].action));
		json_object_array_add(a, o);
	}
	findings_free(f, nf);
	json_add(root, "findings", a);
	json_add(root, "error", json_str(inv->error));
	return output_json_string(root);
}
