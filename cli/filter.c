/*
 * filter.c - DISK... on a command line (list, check all, diagnose, the
 * TUI): each name resolved to a disk of this machine the one way
 * (probes_disk_name: /dev/sdb, sdb, disk:N as list numbers them, or a
 * partition of it), so that the commands filter alike and a name that
 * matches nothing is said, with exit 16, before anything is looked at.
 */
#include "cli/cli.h"
#include "cli/output.h"
#include "lib/termout.h"
#include "lib/util.h"

#include <json-c/json.h>

#include <stdio.h>
#include <stdlib.h>

int cli_disk_filter(const struct probe_ctx *ctx, char *const *names, int n, char ***only,
		    size_t *nonly, bool json)
{
	*only = NULL;
	*nonly = 0;
	for (int i = 0; i < n; i++) {
		char *err, *name = probes_disk_name(ctx, names[i], &err);
		if (!name) {
			char *safe = sanitize_terminal(err);
			cli_usage_error("%s", safe);
			free(safe);
			if (json) {
				/* a script reading stdout gets a document too, as for a volume */
				struct json_object *root = output_json_envelope();
				json_object_object_add(root, "status", json_object_new_int(WR_EXIT_USAGE));
				json_object_object_add(root, "code", json_object_new_string("unknown-disk"));
				json_object_object_add(root, "error", json_object_new_string(err));
				char *s = output_json_string(root);
				termout_json(s);
				free(s);
			}
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
