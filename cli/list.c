/* list.c - `winrescue list [--json]`: the inventory, read-only. */
#include "cli/cli.h"
#include "cli/output.h"
#include "probes/inventory.h"
#include "lib/termout.h"
#include "lib/util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_list(int argc, char **argv, struct global_opts *g)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "sysroot", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool json = false;
	int c, rc = WR_EXIT_OK;

	opterr = 0;
	optind = 0;	/* options may follow DISK... */
	while ((c = getopt_long(argc, argv, ":jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'S': g->sysroot = optarg; break;
		case 'h':
			printf("Usage: winrescue list [--json] [--sysroot DIR] [DISK...]\n"
			       "List disks, partitions, their roles and NTFS state; read-only.\n"
			       "DISK... (/dev/sdb, sdb, or disk:N as list numbers them) looks at those\n"
			       "disks only, numbered as in the full list.\n");
			return WR_EXIT_OK;
		case ':':
			return cli_usage_error("option '%s' needs an argument; see 'winrescue --help'",
					       argv[optind - 1]);
		default:
			return cli_usage_error("unknown option '%s' for list; see 'winrescue --help'",
					       argv[optind - 1]);
		}
	}
	struct probe_ctx ctx = { .sysroot = g->sysroot };
	char **only = NULL;
	size_t nonly = 0;

	if (optind < argc) {
		if (cli_disk_filter(&ctx, argv + optind, argc - optind, &only, &nonly, json))
			return WR_EXIT_USAGE;
		ctx.only = only;
		ctx.nonly = nonly;
	}
	struct inventory *inv = probes_scan(&ctx);
	strv_free(only, nonly);

	if (inv->error) {
		fprintf(stderr, "winrescue: %s; %s\n", inv->error,
			g->sysroot ? "--sysroot must name a tree with sys/ and proc/"
				   : "is /sys mounted?");
		rc = WR_EXIT_FAILURE;
	} else if (inv->ndisks == 0) {
		fprintf(stderr, "winrescue: no disks found; check in the provider's console that "
				"the Windows disk is attached\n");
		rc = WR_EXIT_FAILURE;
	}
	if (json) {
		char *s = output_json(inv);
		termout_json(s);
		free(s);
	} else if (rc == WR_EXIT_OK) {
		output_text(stdout, inv);
	}
	inventory_free(inv);
	if (fflush(stdout) != 0) {
		perror("winrescue: cannot write the output");
		rc = WR_EXIT_FAILURE;
	}
	return rc;
}
