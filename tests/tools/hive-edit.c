/*
 * hive-edit - make test hives with hivex: a SOFTWARE hive from hivex's
 * minimal one, a BCD store whose devices name the test disks. The hive
 * file is changed in place (tests work on their own copy).
 *
 *   hive-edit FILE sz KEY NAME VALUE        REG_SZ (keys made as needed)
 *   hive-edit FILE dword KEY NAME N         REG_DWORD
 *   hive-edit FILE multi KEY NAME VALUE     REG_MULTI_SZ with one string
 *   hive-edit FILE key KEY                  the key only
 *   hive-edit FILE bin8 KEY NAME N          REG_BINARY, 8 bytes little-endian (a BCD integer)
 *   hive-edit FILE seq PRIMARY SECONDARY    the header's sequence numbers (and its checksum):
 *                                           they differ in a hive with changes in its logs
 *
 * BCD device elements are not made here (that would anchor the tests in
 * probes/bcd.c's own encoder): tests/integration/disks.sh writes them
 * with hivexregedit --merge from the layout of a store Windows wrote.
 */
#include <errno.h>
#include <hivex.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die(const char *what)
{
	fprintf(stderr, "hive-edit: %s%s%s\n", what, errno ? ": " : "", errno ? strerror(errno) : "");
	exit(1);
}

/* KEY (backslashes), made as needed. */
static hive_node_h make_key(hive_h *h, const char *path)
{
	hive_node_h n = hivex_root(h);
	char *copy = strdup(path), *save = NULL;

	for (char *t = strtok_r(copy, "\\", &save); t; t = strtok_r(NULL, "\\", &save)) {
		hive_node_h c = hivex_node_get_child(h, n, t);
		if (!c && !(c = hivex_node_add_child(h, n, t)))
			die("cannot add a key");
		n = c;
	}
	free(copy);
	return n;
}

/* UTF-16LE of an ASCII string, with its terminator (n strings: one more for MULTI_SZ). */
static char *utf16(const char *s, size_t *len, bool multi)
{
	size_t n = strlen(s);
	char *out = calloc(2 * n + 4, 1);

	for (size_t i = 0; i < n; i++)
		out[2 * i] = s[i];
	*len = 2 * n + (multi ? 4 : 2);
	return out;
}

static void set_value(hive_h *h, const char *key, const char *name, hive_type t, char *data,
		      size_t len)
{
	hive_node_h n = make_key(h, key);
	hive_set_value v = { .key = (char *)name, .t = t, .len = len, .value = data };

	if (hivex_node_set_value(h, n, &v, 0) != 0)
		die("cannot set the value");
}

/* The regf header's sequence numbers, and its checksum (the XOR of its first 127 words). */
static int set_seq(const char *file, unsigned long a, unsigned long b)
{
	unsigned char hd[512];
	FILE *f = fopen(file, "r+b");
	uint32_t x = 0;

	if (!f || fread(hd, 1, sizeof(hd), f) != sizeof(hd) || memcmp(hd, "regf", 4) != 0)
		die("not a hive");
	for (int i = 0; i < 4; i++) {
		hd[4 + i] = (unsigned char)(a >> (8 * i));
		hd[8 + i] = (unsigned char)(b >> (8 * i));
	}
	for (int i = 0; i < 508; i += 4)
		x ^= (uint32_t)hd[i] | (uint32_t)hd[i + 1] << 8 | (uint32_t)hd[i + 2] << 16 |
		     (uint32_t)hd[i + 3] << 24;
	for (int i = 0; i < 4; i++)
		hd[508 + i] = (unsigned char)(x >> (8 * i));
	if (fseek(f, 0, SEEK_SET) != 0 || fwrite(hd, 1, sizeof(hd), f) != sizeof(hd) || fclose(f) != 0)
		die("cannot write the header");
	return 0;
}

int main(int argc, char **argv)
{
	hive_h *h;

	if (argc < 3) {
		fputs("usage: hive-edit FILE sz|dword|multi|bin8|key|seq ARGS...\n", stderr);
		return 2;
	}
	if (strcmp(argv[2], "seq") == 0 && argc == 5)
		return set_seq(argv[1], strtoul(argv[3], NULL, 0), strtoul(argv[4], NULL, 0));
	if (!(h = hivex_open(argv[1], HIVEX_OPEN_WRITE)))
		die("cannot open the hive");
	const char *cmd = argv[2];
	if ((strcmp(cmd, "sz") == 0 || strcmp(cmd, "multi") == 0) && argc == 6) {
		size_t len;
		char *d = utf16(argv[5], &len, strcmp(cmd, "multi") == 0);
		set_value(h, argv[3], argv[4], strcmp(cmd, "sz") == 0 ? hive_t_REG_SZ
					      : hive_t_REG_MULTI_SZ, d, len);
		free(d);
	} else if (strcmp(cmd, "dword") == 0 && argc == 6) {
		unsigned long v = strtoul(argv[5], NULL, 0);
		char d[4] = { (char)v, (char)(v >> 8), (char)(v >> 16), (char)(v >> 24) };
		set_value(h, argv[3], argv[4], hive_t_REG_DWORD, d, 4);
	} else if (strcmp(cmd, "bin8") == 0 && argc == 6) {
		unsigned long long v = strtoull(argv[5], NULL, 0);
		char d[8];
		for (int i = 0; i < 8; i++)
			d[i] = (char)(v >> (8 * i));
		set_value(h, argv[3], argv[4], hive_t_REG_BINARY, d, 8);
	} else if (strcmp(cmd, "key") == 0 && argc == 4) {
		make_key(h, argv[3]);
	} else {
		errno = 0;
		die("bad arguments");
	}
	if (hivex_commit(h, NULL, 0) != 0)
		die("cannot write the hive");
	hivex_close(h);
	return 0;
}
