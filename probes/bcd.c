/*
 * bcd.c - the BCD store read with hivex (see bcd.h). Read-only: the hive
 * is opened without HIVEX_OPEN_WRITE, and its own messages are not let
 * through (hivex prints nothing unless asked to be verbose).
 */
#include "probes/bcd.h"
#include "probes/disk_layout.h"
#include "probes/winreg.h"
#include "lib/util.h"

#include <errno.h>
#include <hivex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Device types as the BCD stores them (the element's layout: disk_layout.h). */
enum { DT_BOOT = 1, DT_PARTITION = 2, DT_FILE = 3, DT_RAMDISK = 4, DT_QUALIFIED = 6, DT_LOCATE = 8 };

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

const char *bcd_decode_device(const uint8_t *p, size_t len, struct bcd_device *d)
{
	uint32_t size;

	memset(d, 0, sizeof(*d));
	if (len < BCD_DEV_MIN)
		return "shorter than a device header";
	d->type = le32(p + BCD_DEV_TYPE);
	size = le32(p + BCD_DEV_SIZE);
	if (size < 16 || size > len - BCD_DEV_TYPE)
		return "its size does not fit the element";
	switch (d->type) {
	case DT_BOOT:
		d->kind = BCD_DEV_BOOT;
		return NULL;
	case DT_LOCATE:
		d->kind = BCD_DEV_LOCATE;
		return NULL;
	case DT_FILE:
	case DT_RAMDISK:
		d->kind = BCD_DEV_RAMDISK;
		return NULL;
	case DT_QUALIFIED:
		if (len < BCD_DEV_PART_END || BCD_DEV_TYPE + size < BCD_DEV_PART_END)
			return "shorter than a partition device";
		/* a local hard disk of a known style; anything else is kept raw, not guessed */
		d->local_type = le32(p + BCD_DEV_LOCAL_TYPE);
		d->style = le32(p + BCD_DEV_PART_STYLE);
		if (d->local_type != 0) {
			d->kind = BCD_DEV_UNKNOWN;
		} else if (le32(p + BCD_DEV_PART_STYLE) == BCD_STYLE_GPT) {
			d->kind = BCD_DEV_GPT;
			memcpy(d->part_guid, p + BCD_DEV_PART_ID, 16);
			memcpy(d->disk_guid, p + BCD_DEV_DISK_ID, 16);
		} else if (le32(p + BCD_DEV_PART_STYLE) == BCD_STYLE_MBR) {
			d->kind = BCD_DEV_MBR;
			d->part_offset = le64(p + BCD_DEV_PART_ID);
			d->disk_signature = le32(p + BCD_DEV_DISK_ID);
		} else {
			d->kind = BCD_DEV_UNKNOWN;
		}
		return NULL;
	default:
		/* the legacy partition form (2) among them: in no real store we have */
		d->kind = BCD_DEV_UNKNOWN;
		return NULL;
	}
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

const char *bcd_encode_device(uint8_t *p, size_t len, const struct bcd_device *d)
{
	struct bcd_device cur;
	const char *why = bcd_decode_device(p, len, &cur);

	if (why)
		return why;
	if (cur.kind != BCD_DEV_GPT && cur.kind != BCD_DEV_MBR)
		return "it does not name a partition of a GPT or MBR disk";
	if (d->kind != BCD_DEV_GPT && d->kind != BCD_DEV_MBR)
		return "a partition is named by GPT or MBR identity only";
	/* the identity fields only: the rest of the element stays as Windows wrote it */
	if (d->kind == BCD_DEV_GPT) {
		memcpy(p + BCD_DEV_PART_ID, d->part_guid, 16);
		put32(p + BCD_DEV_PART_STYLE, BCD_STYLE_GPT);
		memcpy(p + BCD_DEV_DISK_ID, d->disk_guid, 16);
		return NULL;
	}
	/* an MBR identity in the 16-byte fields: the number, then zeros */
	memset(p + BCD_DEV_PART_ID, 0, 16);
	put32(p + BCD_DEV_PART_ID, (uint32_t)d->part_offset);
	put32(p + BCD_DEV_PART_ID + 4, (uint32_t)(d->part_offset >> 32));
	put32(p + BCD_DEV_PART_STYLE, BCD_STYLE_MBR);
	memset(p + BCD_DEV_DISK_ID, 0, 16);
	put32(p + BCD_DEV_DISK_ID, d->disk_signature);
	return NULL;
}

bool bcd_device_same(const struct bcd_device *a, const struct bcd_device *b)
{
	if (a->kind != b->kind)
		return false;
	if (a->kind == BCD_DEV_GPT)
		return !memcmp(a->part_guid, b->part_guid, 16) && !memcmp(a->disk_guid, b->disk_guid, 16);
	if (a->kind == BCD_DEV_MBR)
		return a->part_offset == b->part_offset && a->disk_signature == b->disk_signature;
	return false;
}

const char *bcd_offset_words(uint64_t off, char *buf, size_t len)
{
	char h[32];

	size_human(off, h, sizeof(h));
	if (off % (1024 * 1024)) {
		int n = snprintf(buf, len, "%s (byte ", h);
		if (n > 0 && (size_t)n < len)
			snprintf(buf + n, len - (size_t)n, "%llu)", (unsigned long long)off);
	} else {
		snprintf(buf, len, "%s", h);
	}
	return buf;
}

void bcd_guid_text(const uint8_t g[16], char out[37])
{
	snprintf(out, 37, "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x", le32(g),
		 (unsigned)(g[4] | g[5] << 8), (unsigned)(g[6] | g[7] << 8), g[8], g[9], g[10], g[11],
		 g[12], g[13], g[14], g[15]);
}

bool bcd_guid_parse(const char *s, uint8_t g[16])
{
	unsigned a, b, c, x[8];
	char end;

	if (strlen(s) != 36 ||
	    sscanf(s, "%8x-%4x-%4x-%2x%2x-%2x%2x%2x%2x%2x%2x%c", &a, &b, &c, &x[0], &x[1], &x[2],
		   &x[3], &x[4], &x[5], &x[6], &x[7], &end) != 11)
		return false;
	put32(g, a);
	g[4] = (uint8_t)b;
	g[5] = (uint8_t)(b >> 8);
	g[6] = (uint8_t)c;
	g[7] = (uint8_t)(c >> 8);
	for (int i = 0; i < 8; i++)
		g[8 + i] = (uint8_t)x[i];
	return true;
}

const char *bcd_type_name(uint32_t type)
{
	switch (type) {
	case BCD_TYPE_FWBOOTMGR: return "firmware boot manager";
	case BCD_TYPE_BOOTMGR: return "Windows Boot Manager";
	case BCD_TYPE_OSLOADER: return "Windows OS loader";
	case BCD_TYPE_RESUME: return "resume from hibernation";
	case 0x10200005: return "memory diagnostic";
	case 0x10300006: return "legacy loader (ntldr)";
	case 0x10400008: return "boot sector";
	case 0x30000000: return "device options";
	}
	return (type >> 28) == 2 ? "inherited settings" : (type >> 28) == 1 ? "application"
	       : "other object";
}

/* The Element value of Elements\<type> under the object, or 0. */
static hive_value_h element(hive_h *h, hive_node_h obj, uint32_t type)
{
	char name[9];
	hive_node_h els = hivex_node_get_child(h, obj, "Elements"), el;

	snprintf(name, sizeof(name), "%08x", type);
	if (!els || !(el = hivex_node_get_child(h, els, name)))
		return 0;
	return hivex_node_get_value(h, el, "Element");
}

static char *element_string(hive_h *h, hive_node_h obj, uint32_t type)
{
	hive_value_h v = element(h, obj, type);

	return v ? hivex_value_string(h, v) : NULL;	/* UTF-16LE to UTF-8, malloc'ed */
}

/* An integer or boolean element (stored little-endian in 1 to 8 bytes), -1 when absent. */
static int element_int(hive_h *h, hive_node_h obj, uint32_t type)
{
	hive_value_h v = element(h, obj, type);
	hive_type t;
	size_t len;
	char *raw;
	int r = -1;

	if (!v || !(raw = hivex_value_value(h, v, &t, &len)))
		return -1;
	if (len >= 1) {
		uint64_t x = 0;
		for (size_t i = 0; i < len && i < 8; i++)
			x |= (uint64_t)(uint8_t)raw[i] << (8 * i);
		r = x > 0x7fffffff ? 0x7fffffff : (int)x;
	}
	free(raw);
	return r;
}

static bool element_device(hive_h *h, hive_node_h obj, uint32_t type, struct bcd_device *d)
{
	hive_value_h v = element(h, obj, type);
	hive_type t;
	size_t len;
	char *raw;
	bool ok;

	if (!v || !(raw = hivex_value_value(h, v, &t, &len)))
		return false;
	ok = bcd_decode_device((const uint8_t *)raw, len, d) == NULL;
	free(raw);
	return ok;
}

static void read_entry(hive_h *h, hive_node_h obj, struct bcd_entry *e)
{
	hive_node_h desc = hivex_node_get_child(h, obj, "Description");
	hive_value_h tv = desc ? hivex_node_get_value(h, desc, "Type") : 0;
	hive_value_h ov;
	size_t n = 0;

	hive_type tt;
	size_t tl;
	e->type = tv && hivex_value_type(h, tv, &tt, &tl) == 0 && tt == hive_t_REG_DWORD && tl == 4
		? (uint32_t)hivex_value_dword(h, tv) : 0;
	e->description = element_string(h, obj, BCD_LIB_DESCRIPTION);
	e->path = element_string(h, obj, BCD_LIB_PATH);
	e->has_device = element_device(h, obj, BCD_LIB_DEVICE, &e->device);
	e->recovery = element_int(h, obj, BCD_LIB_RECOVERY);
	e->ems = element_int(h, obj, BCD_LIB_BOOTEMS);
	e->safeboot = e->bootstatuspolicy = -1;
	if (e->type == BCD_TYPE_BOOTMGR || e->type == BCD_TYPE_FWBOOTMGR) {
		e->default_id = element_string(h, obj, BCD_MGR_DEFAULT);
		if ((ov = element(h, obj, BCD_MGR_DISPLAYORDER))) {
			char **m = hivex_value_multiple_strings(h, ov);
			for (size_t i = 0; m && m[i]; i++)
				n++;
			e->order = m;
			e->norder = n;
		}
	} else if (e->type == BCD_TYPE_OSLOADER) {
		e->has_osdevice = element_device(h, obj, BCD_OS_OSDEVICE, &e->osdevice);
		e->systemroot = element_string(h, obj, BCD_OS_SYSTEMROOT);
		e->default_id = element_string(h, obj, BCD_OS_RESUMEOBJECT);
		e->safeboot = element_int(h, obj, BCD_OS_SAFEBOOT);
		e->bootstatuspolicy = element_int(h, obj, BCD_OS_BOOTSTATUS);
		e->ems = e->ems < 0 ? element_int(h, obj, BCD_OS_EMS) : e->ems;
	} else if (e->type == BCD_TYPE_RESUME) {
		e->has_osdevice = element_device(h, obj, BCD_OS_OSDEVICE, &e->osdevice);
	}
}

int bcd_read_file(const char *path, struct bcd_store *s, char **err)
{
	hive_h *h;
	hive_node_h objs, *ids;

	memset(s, 0, sizeof(*s));
	errno = 0;
	if (!(h = hivex_open(path, 0))) {
		int e = errno;
		*err = xasprintf("%s cannot be read as a registry hive: %s", path,
				 e ? strerror(e) : "not a hive");
		errno = e;	/* for the caller's words */
		return -1;
	}
	if (winreg_hive_seq(path, &s->seq_primary, &s->seq_secondary))
		s->dirty = s->seq_primary != s->seq_secondary;
	objs = hivex_node_get_child(h, hivex_root(h), "Objects");
	if (!objs) {
		*err = xasprintf("%s is a registry hive but not a BCD store (no Objects key)", path);
		hivex_close(h);
		return -1;
	}
	if (!(ids = hivex_node_children(h, objs))) {
		*err = xasprintf("%s is a damaged BCD store: its objects cannot be listed", path);
		hivex_close(h);
		return -1;
	}
	for (size_t i = 0; ids[i]; i++) {
		struct bcd_entry *e;
		s->e = xrealloc(s->e, s->n + 1, sizeof(*s->e));
		e = &s->e[s->n++];
		memset(e, 0, sizeof(*e));
		e->id = hivex_node_name(h, ids[i]);
		if (!e->id)
			e->id = xstrdup("?");
		read_entry(h, ids[i], e);
	}
	free(ids);
	hivex_close(h);
	return 0;
}

char *bcd_device_name(const struct bcd_device *d)
{
	char a[37], b[37], sz[48];

	switch (d->kind) {
	case BCD_DEV_GPT:
		bcd_guid_text(d->part_guid, a);
		bcd_guid_text(d->disk_guid, b);
		return xasprintf("GPT partition %s of disk %s", a, b);
	case BCD_DEV_MBR:
		return xasprintf("MBR disk %08x, partition at %s", d->disk_signature,
				 bcd_offset_words(d->part_offset, sz, sizeof(sz)));
	case BCD_DEV_BOOT: return xstrdup("the boot device");
	case BCD_DEV_LOCATE: return xstrdup("wherever the path is found (locate)");
	case BCD_DEV_RAMDISK: return xstrdup("a ramdisk or file");
	default:
		if (d->type == DT_QUALIFIED)
			return xasprintf("a partition of a disk winrescue does not read (local device "
					 "type %u, partition style %u)", d->local_type, d->style);
		if (d->type == DT_PARTITION)
			return xstrdup("a partition in the legacy form (device type 2), not read by "
				       "winrescue");
		return xasprintf("a device of type %u (not read by winrescue)", d->type);
	}
}

char *bcd_device_words(const struct bcd_device *d)
{
	char *name = bcd_device_name(d), *s;

	if (d->kind != BCD_DEV_GPT && d->kind != BCD_DEV_MBR)
		return name;
	s = xasprintf("%s: %s", name, d->present ? d->present : d->disk_listed
		      ? "no partition of that disk is there" : "not among the disks listed");
	free(name);
	return s;
}

const struct bcd_entry *bcd_find(const struct bcd_store *s, const char *id)
{
	for (size_t i = 0; id && i < s->n; i++)
		if (strcasecmp(s->e[i].id, id) == 0)
			return &s->e[i];
	return NULL;
}

void bcd_free(struct bcd_store *s)
{
	for (size_t i = 0; i < s->n; i++) {
		struct bcd_entry *e = &s->e[i];
		free(e->id);
		free(e->description);
		free(e->path);
		free(e->systemroot);
		free(e->default_id);
		free(e->device.present);
		free(e->osdevice.present);
		for (size_t k = 0; k < e->norder; k++)
			free(e->order[k]);
		free(e->order);
	}
	free(s->e);
	memset(s, 0, sizeof(*s));
}
