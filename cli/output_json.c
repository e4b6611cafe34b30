/*
 * output_json.c - the inventory as one JSON document (json-c). Field names
 * are stable and documented in winrescue(8); sizes are numbers of bytes;
 * absent values are null; every string is valid UTF-8.
 */
#include "cli/output.h"
#include "lib/util.h"

#include <inttypes.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

static struct json_object *jstr(const char *s)
{
	struct json_object *o;
	char *safe;

	if (!s)
		return NULL;
	if (utf8_valid(s))
		return json_object_new_string(s);
	safe = sanitize_utf8(s);
	o = json_object_new_string(safe);
	free(safe);
	return o;
}

static struct json_object *jtri(enum tristate t)
{
	return t == TRI_UNKNOWN ? NULL : json_object_new_boolean(t == TRI_YES);
}

static struct json_object *jstrv(char *const *v, size_t n)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, jstr(v[i]));
	return a;
}

/* k is always a string literal, added once per object: json-c need not copy it or look it up */
static void add(struct json_object *o, const char *k, struct json_object *v)
{
	json_object_object_add_ex(o, k, v, JSON_C_OBJECT_ADD_KEY_IS_NEW | JSON_C_OBJECT_KEY_IS_CONSTANT);
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
		add(o, "version", jstr(buf));
	} else {
		add(o, "version", NULL);
	}
	add(o, "sector_size", n->sector_size ? jnum(n->sector_size) : NULL);
	add(o, "cluster_size", n->cluster_size ? jnum(n->cluster_size) : NULL);
	add(o, "mft_record_size", n->mft_record_size ? jnum(n->mft_record_size) : NULL);
	add(o, "label", jstr(n->label));
	snprintf(buf, sizeof(buf), "%016" PRIx64, n->serial);
	add(o, "serial", n->cluster_size ? jstr(buf) : NULL);
	add(o, "size", n->total ? jnum(n->total) : NULL);
	add(o, "free", n->free_known ? jnum(n->free) : NULL);
	add(o, "dirty", jtri(n->dirty));
	add(o, "hibernated", jtri(n->hibernated));
	add(o, "hiberfil_magic", n->hibernated != TRI_UNKNOWN && n->hiberfil_magic[0]
				   ? jstr(n->hiberfil_magic) : NULL);
	add(o, "logfile", jstr(ntfs_logfile_name(n->logfile)));
	if (n->logfile_ver_major || n->logfile_ver_minor) {
		snprintf(buf, sizeof(buf), "%u.%u", n->logfile_ver_major, n->logfile_ver_minor);
		add(o, "logfile_version", jstr(buf));
	} else {
		add(o, "logfile_version", NULL);
	}
	add(o, "mftmirr_ok", jtri(n->mftmirr_ok));
	add(o, "mftmirr_detail", jstr(n->mftmirr_detail));
	add(o, "bootsector_ok", jtri(n->bootsector_ok));
	add(o, "bootsector_detail", jstr(n->bootsector_detail));
	add(o, "windows", json_object_new_boolean(n->has_windows));
	add(o, "bootmgr", json_object_new_boolean(n->has_bootmgr));
	add(o, "bcd", json_object_new_boolean(n->has_bcd));
	add(o, "opened", json_object_new_boolean(n->opened));
	add(o, "error", jstr(n->error));
	add(o, "library_message", jstr(n->library_message));
	return o;
}

static void volume_json(struct json_object *o, const struct volume *v, bool full)
{
	add(o, "fstype", jstr(v->fstype));
	add(o, "label", jstr(v->label));
	add(o, "uuid", jstr(v->uuid));
	if (full) {
		add(o, "fsversion", jstr(v->version));
		add(o, "usage", jstr(v->usage));
	}
	add(o, "fs_error", jstr(v->fs_error));
	add(o, "mountpoints", jstrv(v->use.mountpoints, v->use.nmountpoints));
	add(o, "mounted_rw", json_object_new_boolean(v->use.mounted_rw));
	add(o, "swap", json_object_new_boolean(v->use.swap));
	add(o, "holders", jstrv(v->use.holders, v->use.nholders));
	add(o, "in_use", json_object_new_boolean(v->use.nmountpoints || v->use.swap || v->use.nholders));
	add(o, "ntfs", v->ntfs ? ntfs_json(v->ntfs) : NULL);
}

static struct json_object *partition_json(const struct partition *p)
{
	struct json_object *o = json_object_new_object();
	char buf[32];

	add(o, "name", jstr(p->name));
	add(o, "path", jstr(p->path));
	snprintf(buf, sizeof(buf), "%u:%u", p->major, p->minor);
	add(o, "majmin", p->name ? jstr(buf) : NULL);
	add(o, "number", jnum(p->number));
	add(o, "start", jnum(p->start));
	add(o, "size", jnum(p->size));
	add(o, "parttype", jstr(p->parttype));
	add(o, "parttype_name", jstr(p->parttype_name));
	add(o, "partuuid", jstr(p->partuuid));
	add(o, "partlabel", jstr(p->partlabel));
	add(o, "attrs", jstr(p->attrs));
	add(o, "bootable", json_object_new_boolean(p->bootable));
	add(o, "container", json_object_new_boolean(p->container));
	volume_json(o, &p->vol, true);
	add(o, "role", jstr(part_role_name(p->role)));
	add(o, "error", jstr(p->error));
	return o;
}

static struct json_object *disk_json(size_t i, const struct disk *d)
{
	struct json_object *o = json_object_new_object(), *a;
	char buf[32];

	add(o, "index", jnum(i));
	add(o, "name", jstr(d->name));
	add(o, "path", jstr(d->path));
	snprintf(buf, sizeof(buf), "%u:%u", d->major, d->minor);
	add(o, "majmin", jstr(buf));
	add(o, "size", jnum(d->size));
	add(o, "log_sec", jnum(d->log_sector));
	add(o, "phys_sec", jnum(d->phys_sector));
	add(o, "model", jstr(d->model));
	add(o, "vendor", jstr(d->vendor));
	add(o, "serial", jstr(d->serial));
	add(o, "transport", jstr(d->transport));
	add(o, "removable", json_object_new_boolean(d->removable));
	add(o, "ro", json_object_new_boolean(d->readonly));
	add(o, "loop_backing", jstr(d->loop_backing));
	add(o, "role", jstr(disk_role_name(d->role)));
	add(o, "role_reason", jstr(d->role_reason));
	add(o, "pttype", jstr(d->pttype));
	add(o, "ptuuid", jstr(d->ptuuid));
	add(o, "pt_warnings", jstrv(d->pt_warnings, d->npt_warnings));
	volume_json(o, &d->vol, true);
	add(o, "volume_role", d->vol.fstype || d->vol.ntfs ? jstr(part_role_name(d->vol_role)) : NULL);
	add(o, "error", jstr(d->error));
	a = json_object_new_array();
	for (size_t j = 0; j < d->nparts; j++)
		json_object_array_add(a, partition_json(&d->parts[j]));
	add(o, "partitions", a);
	a = json_object_new_array();
	for (size_t j = 0; j < d->nfree; j++) {
		struct json_object *f = json_object_new_object();
		add(f, "start", jnum(d->free[j].start));
		add(f, "size", jnum(d->free[j].size));
		json_object_array_add(a, f);
	}
	add(o, "unallocated", a);
	return o;
}

struct json_object *output_json_envelope(void)
{
	struct json_object *root = json_object_new_object(), *schema, *ver;

	schema = json_object_new_object();
	add(schema, "name", jstr("winrescue"));
	ver = json_object_new_array();
	json_object_array_add(ver, json_object_new_int(WINRESCUE_SCHEMA_MAJOR));
	json_object_array_add(ver, json_object_new_int(WINRESCUE_SCHEMA_MINOR));
	add(schema, "version", ver);
	add(root, "schema", schema);
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

	a = json_object_new_array();
	for (size_t i = 0; i < inv->ndisks; i++)
		json_object_array_add(a, disk_json(i, &inv->disks[i]));
	add(root, "disks", a);

	a = json_object_new_array();
	for (size_t i = 0; i < inv->nfindings; i++) {
		const struct finding *f = &inv->findings[i];
		struct json_object *o = json_object_new_object();
		add(o, "severity", jstr(severity_name(f->severity)));
		add(o, "code", jstr(f->code));
		add(o, "device", jstr(f->device));
		add(o, "message", jstr(f->message));
		add(o, "action", jstr(f->action));
		json_object_array_add(a, o);
	}
	add(root, "findings", a);
	add(root, "error", jstr(inv->error));
	return output_json_string(root);
}
