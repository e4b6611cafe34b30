/* check.c - `winrescue check`: the file system check, fsck's exit codes. */
#include "cli/cli.h"
#include "cli/output.h"
#include "lib/util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char check_usage[] =
	"Usage: winrescue check VOL|IMAGE[:N]|all [DISK...] [--json] [--progress]\n"
	"                       [--log FILE]\n"
	"IMAGE: an image file of one volume; IMAGE:N: partition N of an image's table\n"
	"(a partitioned image named whole is refused with its partitions listed).\n"
	"Check a file system without changing it: NTFS in seven passes (boot sector,\n"
	"$MFTMirr, every MFT record, $MFT's bitmap, the cluster bitmap, folder indexes,\n"
	"journal and volume state); ext2/3/4, FAT, exFAT, XFS and Btrfs with their own\n"
	"checker in its read-only mode. Refused on a volume mounted read-write or busy;\n"
	"one mounted read-only is checked as it is (nothing writes to it).\n"
	"all DISK... checks every volume of those disks only (/dev/sdb, sdb, disk:N).\n"
	"Exit: 0 clean, 4 errors left, 8 could not check, 16 usage, 32 refused.\n";

/* The findings of each volume, then its verdict: on stdout, for reading. */
void cli_print_checks(FILE *out, const struct job *job)
{
	const struct action_result *res = &job->res;

	for (size_t i = 0; i < res->nchecks; i++) {
		const struct fs_check *c = &res->checks[i];
		const struct nc_report *r = &c->rep;

		for (size_t k = 0; k < r->nfindings; k++) {
			const struct nc_finding *f = &r->findings[k];
			char *m = sanitize_terminal(f->message), *p = f->path ? sanitize_terminal(f->path) : NULL;
			char where[64] = "";

			if (f->record >= 0)
				snprintf(where, sizeof(where), "  record %lld", (long long)f->record);
			fprintf(out, "%-8s %s%s%s%s\n", f->severity == NC_ERROR ? "ERROR"
				: f->severity == NC_WARNING ? "WARNING" : "INFO", f->code, where,
				p ? "  " : "", p ? p : "");
			fprintf(out, "         %s%s%s\n", m,
				f->severity != NC_ERROR || f->repair == NC_REPAIR_NONE ? ""
				: f->repair == NC_REPAIR_FIX ? " [winrescue fix]" : " [chkdsk /f]", "");
			free(m);
			free(p);
		}
		if (r->dropped)
			fprintf(out, "... and %zu more findings (--json lists the first %d).\n", r->dropped,
				NC_MAX_FINDINGS);
		if (c->tool_output && c->status != ACT_OK) {
			char *t = sanitize_terminal(c->tool_output);
			fprintf(out, "%s says:\n%s\n", c->checker, t);
			free(t);
		}
		char *s = sanitize_terminal(c->summary ? c->summary : "");
		/* a verdict is the output; a check that could not be done is an error */
		if (c->status == ACT_OK || c->status == ACT_ERRORS_LEFT)
			fprintf(out, "%s\n", s);
		else
			fprintf(stderr, "winrescue: %s\n", s);
		free(s);
		if (c->next) {
			char *n = xasprintf("Next: %s", c->next);
			output_hanging(c->status == ACT_OK || c->status == ACT_ERRORS_LEFT ? out : stderr,
				       "", "      ", n);
			free(n);
		}
	}
}

int cmd_check(int argc, char **argv, struct global_opts *g)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "progress", no_argument, NULL, 'p' },
		{ "log", required_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct action_opts o = { .log_path = g->log_path };
	bool json = false, progress = false;
	int c, rc;

	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, ":jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'p': progress = true; break;
		case 'L': o.log_path = optarg; break;
		case 'h': fputs(check_usage, stdout); return WR_EXIT_OK;
		case ':':
			return cli_usage_error("option '%s' needs an argument; see 'winrescue check "
					       "--help'", argv[optind - 1]);
		default:
			return cli_usage_error("unknown option '%s' for check; see 'winrescue check "
					       "--help'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return cli_usage_error("check needs a volume, an image file or 'all'; see "
				       "'winrescue check --help'");
	if (optind + 1 < argc && strcmp(argv[optind], "all") != 0)
		return cli_usage_error("check takes one volume, not '%s' and '%s' ('check all DISK...' "
				       "checks every volume of those disks)", argv[optind],
				       argv[optind + 1]);
	if (g->sysroot)
		return cli_usage_error("check reads this machine's disks; --sysroot only reads "
				       "captured trees (use it with list)");
	char **only = NULL;
	size_t nonly = 0;
	if (optind + 1 < argc) {
		struct probe_ctx ctx = { 0 };
		if (cli_disk_filter(&ctx, argv + optind + 1, argc - optind - 1, &only, &nonly, json))
			return WR_EXIT_USAGE;
		o.only = only;
		o.nonly = nonly;
	}
	rc = cli_run_action_ex(&action_check, argv[optind], &o, false, json, progress);
	strv_free(only, nonly);
	/* fsck's codes: what could not be done at all is an operational error */
	return rc == ACT_FAILED ? ACT_OPERATIONAL : rc;
}
