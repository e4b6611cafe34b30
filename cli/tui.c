/* tui.c - `winrescue [tui] [DISK...]`: the full-screen front end. */
#include "cli/cli.h"
#include "lib/util.h"
#include "tui/tui.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_color(const char *s, enum tui_color *c)
{
	if (!s || strcmp(s, "auto") == 0)
		*c = TUI_COLOR_AUTO;
	else if (strcmp(s, "always") == 0)
		*c = TUI_COLOR_ALWAYS;
	else if (strcmp(s, "never") == 0)
		*c = TUI_COLOR_NEVER;
	else
		return cli_usage_error("--color takes auto, always or never, not '%s'", s);
	return 0;
}

int cmd_tui(int argc, char **argv, struct global_opts *g)
{
	static const struct option opts[] = {
		{ "ascii", no_argument, NULL, 'A' },
		{ "color", optional_argument, NULL, 'C' },
		{ "colour", optional_argument, NULL, 'C' },
		{ "log", required_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct tui_opts o = { .ascii = g->ascii, .log_path = g->log_path };
	char **only = NULL;
	size_t nonly = 0;
	int c, rc;

	if (parse_color(g->color ? g->color : "auto", &o.color))
		return WR_EXIT_USAGE;
	opterr = 0;
	optind = 0;
	while (argc > 1 && (c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'A': o.ascii = true; break;
		case 'C':
			if (parse_color(optarg ? optarg : "always", &o.color))
				return WR_EXIT_USAGE;
			break;
		case 'L': o.log_path = optarg; break;
		case 'h':
			printf("Usage: winrescue [tui] [--ascii] [--color[=auto|always|never]]\n"
			       "                 [--log FILE] [DISK...]\n"
			       "Disk Management in a terminal; DISK... (/dev/sdb, sdb, disk:N) shows\n"
			       "only those disks, numbered as 'winrescue list' numbers them.\n"
			       "Press ? inside for every key.\n");
			return WR_EXIT_OK;
		case ':':
			return cli_usage_error("option '%s' needs an argument; see 'winrescue --help'",
					       argv[optind - 1]);
		default:
			return cli_usage_error("unknown option '%s' for tui; see 'winrescue --help'",
					       argv[optind - 1]);
		}
	}
	if (g->sysroot)
		return cli_usage_error("the TUI acts on this machine; --sysroot only reads captured "
				       "trees (use it with list)");
	int first = argc > 1 ? optind : argc;
	struct probe_ctx ctx = { 0 };
	if (first < argc && cli_disk_filter(&ctx, argv + first, argc - first, &only, &nonly, false))
		return WR_EXIT_USAGE;
	o.only = only;
	o.nonly = nonly;
	rc = tui_run(&o);
	strv_free(only, nonly);
	return rc;
}
