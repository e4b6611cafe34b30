/* mount.c - `winrescue mount` and `winrescue umount`. */
#include "actions/mount.h"
#include "cli/cli.h"
#include "lib/util.h"

#include <stdlib.h>

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char mount_usage[] =
	"Usage: winrescue mount [VOL|system] [--rw [--discard-hibernation]] [--at DIR]\n"
	"                       [--dry-run] [--yes] [--json] [--log FILE]\n"
	"Mount a volume of the disks being rescued, read-only unless --rw, at\n"
	"/mnt/winrescue/<label> unless --at. VOL: a device (/dev/sdb2, sdb2),\n"
	"disk:N/part:M, a label, or system (the default: the Windows volume of the\n"
	"system disk). Mounts are root's alone: noexec,nodev,nosuid, files mode 0700\n"
	"(NTFS, FAT), /mnt/winrescue 0700; --at DIR must lie in a directory only\n"
	"root can write to.\n";

static const char umount_usage[] =
	"Usage: winrescue umount [VOL|DIR|all] [--everything] [--dry-run] [--json]\n"
	"                        [--log FILE]\n"
	"Flush and unmount a volume of the disks being rescued (DIR: that mount only).\n"
	"all: every mount winrescue made (the audit log records them, across runs) that\n"
	"is still mounted as it made it; what else is mounted from those disks is left\n"
	"and named. --everything: all of it (never the rescue system's own mounts).\n"
	"Without VOL: the one volume winrescue mounted, if there is only one.\n";

static int parse(int argc, char **argv, bool is_mount, struct action_opts *o, bool *yes,
		 bool *json, const char **spec)
{
	static const struct option opts[] = {
		{ "rw", no_argument, NULL, 'w' },
		{ "discard-hibernation", no_argument, NULL, 'D' },
		{ "at", required_argument, NULL, 'a' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "yes", no_argument, NULL, 'y' },
		{ "json", no_argument, NULL, 'j' },
		{ "log", required_argument, NULL, 'L' },
		{ "everything", no_argument, NULL, 'E' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = is_mount ? "mount" : "umount";
	int c;

	opterr = 0;
	optind = 0;	/* 0: glibc starts afresh (and permutes: options after VOL) */
	while ((c = getopt_long(argc, argv, ":nyjh", opts, NULL)) != -1) {
		if (!is_mount && c > 0 && strchr("wDa", c))
			return cli_usage_error("option '%s' is for mount, not umount; see "
					       "'winrescue umount --help'", argv[optind - 1]);
		if (is_mount && c == 'E')
			return cli_usage_error("option '%s' is for umount, not mount; see "
					       "'winrescue mount --help'", argv[optind - 1]);
		switch (c) {
		case 'w': o->rw = true; break;
		case 'D': o->discard_hibernation = true; break;
		case 'a': o->at = optarg; break;
		case 'n': o->dry_run = true; break;
		case 'y': *yes = true; break;
		case 'j': *json = true; break;
		case 'L': o->log_path = optarg; break;
		case 'E': o->everything = true; break;
		case 'h': fputs(is_mount ? mount_usage : umount_usage, stdout); return -1;
		case ':':
			return cli_usage_error("option '%s' needs an argument; see 'winrescue %s --help'",
					       argv[optind - 1], cmd);
		default:
			return cli_usage_error("unknown option '%s' for %s; see 'winrescue %s --help'",
					       argv[optind - 1], cmd, cmd);
		}
	}
	if (optind + 1 < argc)
		return cli_usage_error("%s takes one volume, not '%s' and '%s'; see 'winrescue %s "
				       "--help'", cmd, argv[optind], argv[optind + 1], cmd);
	*spec = optind < argc ? argv[optind] : NULL;
	if (o->discard_hibernation && !o->rw)
		return cli_usage_error("--discard-hibernation only goes with --rw (a read-only "
				       "mount keeps the hibernated session)");
	if (o->at && !*o->at)
		return cli_usage_error("--at needs a directory");
	if (o->everything && *spec && strcmp(*spec, "all") != 0)
		return cli_usage_error("--everything goes with all (umount --everything all), not "
				       "with '%s'", *spec);
	if (o->everything)
		*spec = "all";
	return 0;
}

int cmd_mount(int argc, char **argv, struct global_opts *g)
{
	struct action_opts o = { .log_path = g->log_path };
	bool yes = false, json = false;
	const char *spec;
	int rc = parse(argc, argv, true, &o, &yes, &json, &spec);

	if (rc)
		return rc < 0 ? WR_EXIT_OK : rc;
	if (g->sysroot)
		return cli_usage_error("mount acts on this machine; --sysroot only reads captured "
				       "trees (use it with list)");
	return cli_run_action(&action_mount, spec ? spec : "system", &o, yes, json);
}


int cmd_umount(int argc, char **argv, struct global_opts *g)
{
	struct action_opts o = { .log_path = g->log_path };
	bool yes = false, json = false;
	const char *spec;
	char *auto_spec = NULL, *err = NULL;
	int rc = parse(argc, argv, false, &o, &yes, &json, &spec);

	if (rc)
		return rc < 0 ? WR_EXIT_OK : rc;
	if (g->sysroot)
		return cli_usage_error("umount acts on this machine; --sysroot only reads captured "
				       "trees (use it with list)");
	if (!spec) {
		auto_spec = umount_default(&o, &err);
		if (!auto_spec) {
			rc = cli_usage_error("umount: %s", err);
			free(err);
			return rc;
		}
		spec = auto_spec;
	}
	rc = cli_run_action(&action_umount, spec, &o, yes, json);
	free(auto_spec);
	return rc;
}
