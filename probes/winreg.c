/*
 * winreg.c - the SYSTEM hive read with hivex (see winreg.h). Read-only:
 * the hive is opened without HIVEX_OPEN_WRITE.
 */
#include "probes/winreg.h"
#include "probes/bcd.h"
#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <hivex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REGF_SEQ1 4	/* u32: the primary sequence number */
#define REGF_SEQ2 8	/* u32: the secondary one; equal when the hive is consistent */
#define FILETIME_UNIX_EPOCH 116444736000000000ULL	/* 1970-01-01 in 100 ns since 1601 */
#define FILETIME_YEAR_10000 2650467744000000000ULL	/* 10000-01-01 */

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* A key below the root by its path ("ControlSet001\\Control\\Windows"), or 0. */
static hive_node_h key(hive_h *h, const char *path)
{
	hive_node_h n = hivex_root(h);
	char *copy = xstrdup(path), *save = NULL;

	for (char *t = strtok_r(copy, "\\", &save); t && n; t = strtok_r(NULL, "\\", &save))
		n = hivex_node_get_child(h, n, t);
	free(copy);
	return n;
}

static hive_value_h value(hive_h *h, const char *path, const char *name)
{
	hive_node_h n = key(h, path);

	return n ? hivex_node_get_value(h, n, name) : 0;
}

static long dword(hive_h *h, const char *path, const char *name)
{
	hive_value_h v = value(h, path, name);
	hive_type t;
	size_t len;

	if (!v || hivex_value_type(h, v, &t, &len) != 0 || t != hive_t_REG_DWORD || len != 4)
		return -1;
	return (long)(uint32_t)hivex_value_dword(h, v);
}

char *winreg_letter_words(const struct win_letter *l)
{
	const char *at = l->present ? l->present : "not among the disks listed";
	char b[48];

	switch (l->kind) {
	case WIN_LETTER_MBR:
		return xasprintf("%c: MBR disk %08x, partition at %s: %s", l->letter, l->mbr_signature,
				 bcd_offset_words(l->mbr_offset, b, sizeof(b)), at);
	case WIN_LETTER_GPT:
		bcd_guid_text(l->part_guid, b);
		return xasprintf("%c: GPT partition %s: %s", l->letter, b, at);
	default:
		return xasprintf("%c: %s", l->letter, l->device ? l->device : "-");
	}
}

bool winreg_decode_letter(const uint8_t *p, size_t len, struct win_letter *l)
{
	memset(l, 0, sizeof(*l));
	if (len == 12) {
		l->kind = WIN_LETTER_MBR;
		l->mbr_signature = le32(p);
		l->mbr_offset = le64(p + 4);
		return true;
	}
	if (len == 24 && memcmp(p, "DMIO:ID:", 8) == 0) {
		l->kind = WIN_LETTER_GPT;
		memcpy(l->part_guid, p + 8, 16);
		return true;
	}
	if (len >= 4 && len % 2 == 0) {
		/* a device path in UTF-16LE: kept as ASCII, the rest made '?' */
		char *s = xcalloc(1, len / 2 + 1);
		for (size_t i = 0; i < len / 2; i++) {
			uint16_t c = (uint16_t)(p[2 * i] | p[2 * i + 1] << 8);
			s[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
		}
		l->kind = WIN_LETTER_OTHER;
		l->device = s;
		return true;
	}
	return false;
}

static void read_letters(hive_h *h, struct win_system *w)
{
	hive_node_h md = key(h, "MountedDevices");
	hive_value_h *vals = md ? hivex_node_values(h, md) : NULL;

	for (size_t i = 0; vals && vals[i]; i++) {
		char *name = hivex_value_key(h, vals[i]), *raw;
		hive_type t;
		size_t len;
		struct win_letter l;

		/* "\DosDevices\C:" names a letter; "\??\Volume{...}" a volume */
		if (name && strlen(name) == 14 && strncmp(name, "\\DosDevices\\", 12) == 0 &&
		    name[13] == ':' && (raw = hivex_value_value(h, vals[i], &t, &len))) {
			if (winreg_decode_letter((const uint8_t *)raw, len, &l)) {
				l.letter = name[12];
				w->letters = xrealloc(w->letters, w->nletters + 1, sizeof(*w->letters));
				w->letters[w->nletters++] = l;
			}
			free(raw);
		}
		free(name);
	}
	free(vals);
}

/* The header's sequence numbers, read from the file itself. */
bool winreg_hive_seq(const char *path, uint32_t *primary, uint32_t *secondary)
{
	uint8_t b[12];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool ok = false;

	if (fd < 0)
		return false;
	if (pread(fd, b, sizeof(b), 0) == (ssize_t)sizeof(b) && memcmp(b, "regf", 4) == 0) {
		*primary = le32(b + REGF_SEQ1);
		*secondary = le32(b + REGF_SEQ2);
		ok = true;
	}
	close(fd);
	return ok;
}

static void read_header(const char *path, struct win_system *w)
{
	if (winreg_hive_seq(path, &w->seq_primary, &w->seq_secondary))
		w->dirty = w->seq_primary != w->seq_secondary;
}

int winreg_read_system(const char *path, struct win_system *w, char **err)
{
	char set[32], p[128];
	hive_h *h;
	hive_value_h v;
	long x;

	memset(w, 0, sizeof(*w));
	w->hiberboot = -1;
	errno = 0;
	if (!(h = hivex_open(path, 0))) {
		int e = errno;
		*err = xasprintf("%s cannot be read as a registry hive: %s", path,
				 e ? strerror(e) : "not a hive");
		errno = e;	/* for the caller's words */
		return -1;
	}
	read_header(path, w);
	if (!key(h, "Select")) {
		*err = xasprintf("%s is a registry hive but not a SYSTEM hive (no Select key)", path);
		hivex_close(h);
		return -1;
	}
	w->current = (x = dword(h, "Select", "Current")) > 0 ? (unsigned)x : 0;
	w->default_set = (x = dword(h, "Select", "Default")) > 0 ? (unsigned)x : 0;
	w->last_known_good = (x = dword(h, "Select", "LastKnownGood")) > 0 ? (unsigned)x : 0;
	w->failed = (x = dword(h, "Select", "Failed")) > 0 ? (unsigned)x : 0;
	snprintf(set, sizeof(set), "ControlSet%03u", w->current);
	if (!w->current || !key(h, set)) {
		w->controlset_missing = true;
	} else {
		snprintf(p, sizeof(p), "%s\\Control\\ComputerName\\ComputerName", set);
		if ((v = value(h, p, "ComputerName"))) {
			char *s = hivex_value_string(h, v);
			w->computer_name = s ? sanitize_terminal(s) : NULL;
			free(s);
		}
		snprintf(p, sizeof(p), "%s\\Control\\Windows", set);
		if ((v = value(h, p, "ShutdownTime"))) {
			hive_type t;
			size_t len;
			char *raw = hivex_value_value(h, v, &t, &len);
			if (raw && len == 8) {
				uint64_t ft = le64((const uint8_t *)raw);
				/* 1970 to 9999: anything else is a damaged value, "not known" */
				if (ft > FILETIME_UNIX_EPOCH && ft < FILETIME_YEAR_10000)
					w->shutdown_time = (int64_t)((ft - FILETIME_UNIX_EPOCH) / 10000000ULL);
			}
			free(raw);
		}
		snprintf(p, sizeof(p), "%s\\Control\\Session Manager", set);
		if ((v = value(h, p, "PendingFileRenameOperations"))) {
			hive_type t;
			size_t len;
			/* an empty REG_MULTI_SZ is two or four zero bytes */
			w->pending_renames = hivex_value_type(h, v, &t, &len) == 0 && len > 4;
		}
		snprintf(p, sizeof(p), "%s\\Control\\Session Manager\\Power", set);
		if ((x = dword(h, p, "HiberbootEnabled")) >= 0)
			w->hiberboot = x != 0;
	}
	read_letters(h, w);
	hivex_close(h);
	return 0;
}

/* A string value made safe for a terminal, or NULL. */
static char *sz(hive_h *h, const char *path, const char *name)
{
	hive_value_h v = value(h, path, name);
	char *s = v ? hivex_value_string(h, v) : NULL, *safe;

	if (!s || !*s) {
		free(s);
		return NULL;
	}
	safe = sanitize_terminal(s);
	free(s);
	return safe;
}

int winreg_read_software(const char *path, struct win_system *w, char **err)
{
	static const char cv[] = "Microsoft\\Windows NT\\CurrentVersion";
	hive_h *h;
	long major, minor, ubr;
	char *num;

	errno = 0;
	if (!(h = hivex_open(path, 0))) {
		int e = errno;
		*err = xasprintf("%s cannot be read as a registry hive: %s", path,
				 e ? strerror(e) : "not a hive");
		errno = e;
		return -1;
	}
	if (!key(h, cv)) {
		*err = xasprintf("%s is a registry hive but not a SOFTWARE hive (no %s key)", path, cv);
		hivex_close(h);
		return -1;
	}
	w->product_name = sz(h, cv, "ProductName");
	w->edition = sz(h, cv, "EditionID");
	major = dword(h, cv, "CurrentMajorVersionNumber");
	minor = dword(h, cv, "CurrentMinorVersionNumber");
	w->version = major >= 0 ? xasprintf("%ld.%ld", major, minor >= 0 ? minor : 0)
				: sz(h, cv, "CurrentVersion");
	if (!(num = sz(h, cv, "CurrentBuildNumber")))
		num = sz(h, cv, "CurrentBuild");
	ubr = dword(h, cv, "UBR");
	if (num && ubr >= 0) {
		w->build = xasprintf("%s.%ld", num, ubr);
		free(num);
	} else {
		w->build = num;
	}
	if (!(w->display_version = sz(h, cv, "DisplayVersion")) &&
	    !(w->display_version = sz(h, cv, "ReleaseId")))
		w->display_version = sz(h, cv, "CSDVersion");
	/*
	 * Windows 11 kept "Windows 10" in ProductName; winver and every admin
	 * call build 22000 and later Windows 11.
	 */
	if (w->product_name && w->build && atol(w->build) >= 22000 &&
	    strncmp(w->product_name, "Windows 10", 10) == 0)
		w->product_name[9] = '1';
	w->reboot_pending =
		key(h, "Microsoft\\Windows\\CurrentVersion\\Component Based Servicing\\RebootPending") ||
		key(h, "Microsoft\\Windows\\CurrentVersion\\WindowsUpdate\\Auto Update\\RebootRequired");
	hivex_close(h);
	return 0;
}

void win_system_free(struct win_system *w)
{
	free(w->product_name);
	free(w->edition);
	free(w->version);
	free(w->build);
	free(w->display_version);
	free(w->software_error);
	free(w->computer_name);
	for (size_t i = 0; i < w->nletters; i++) {
		free(w->letters[i].device);
		free(w->letters[i].present);
	}
	free(w->letters);
	memset(w, 0, sizeof(*w));
}
