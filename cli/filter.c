/*
 * filter.c - DISK... on a command line (list, check all, diagnose, the
 * TUI): each name resolved to a disk of this machine the one way
 * (probes_disk_name: /dev/sdb, sdb, disk:N as list numbers them, or a
 * partition of it), so that the commands filter alike and a name that
 * matches nothing is said, with exit 16, before anything is looked at.
 */
#include "cli/cli.h"
#include "lib/util.h"

#include <stdio.h>
#include <stdlib.h>

int cli_disk_filter(const struct probe_ctx *ctx, char *const *names, int n, char ***only,
		    size_t *nonly)
{
	*only = NULL;
	*nonly = 0;
	for (int i = 0; i < n; i++) {
		char *err, *name = probes_disk_name(ctx, names[i], &err);
		if (!name) {
			char *safe = sanitize_terminal(err);
			cli_usage_error("%s", safe);
			free(safe);
			free(err);
			strv_free(*only, *nonly);
			*only = NULL;
			*nonly = 0;
			return WR_EXIT_USAGE;
		}
		if (!strv_contains(*only, *nonly, name))
			strv_add(only, nonly, name);
		free(name);
	}
	return WR_EXIT_OK;
}
