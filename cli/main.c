/* main.c - command line entry: global options, then a command. */
#include "actions/undo.h"
#include "cli/cli.h"
#include "lib/termout.h"

#include <getopt.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct command {
	const char *name;
	int (*run)(int argc, char **argv, struct global_opts *g);
	const char *summary;
} commands[] = {
	{ "list", cmd_list, "list disks, partitions, roles and NTFS state (read-only)" },
	{ "mount", cmd_mount, "mount a volume, read-only unless --rw" },
	{ "umount", cmd_umount, "flush and unmount a volume (or all that winrescue mounted)" },
	{ "check", cmd_check, "check a file system without changing it (fsck exit codes)" },
	{ "fix", cmd_fix, "repair what ntfsfix repairs, with an undo file (fsck exit codes)" },
	{ "undo", cmd_undo, "put back what fix or fix-boot overwrote, from its undo file" },
	{ "diagnose", cmd_diagnose, "why Windows would not boot: BCD against the disks (read-only)" },
	{ "fix-boot", cmd_fix_boot, "the disk identity the BCD expects, or the BIOS boot chain" },
	{ "tui", cmd_tui, "the full-screen Disk Management (also without a command)" },
	{ NULL, NULL, NULL },
};

int cli_usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("winrescue: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return WR_EXIT_USAGE;
}

static void help(void)
{
	printf("Usage: winrescue [OPTIONS] [COMMAND [ARGS]]\n"
	       "Rescue a Windows server that no longer boots, from a Linux rescue system.\n"
	       "Without a command, on a terminal: the full-screen Disk Management (tui).\n"
	       "\n"
	       "Commands:\n");
	for (const struct command *c = commands; c->name; c++)
		printf("  %-10s %s\n", c->name, c->summary);
	printf("\n"
	       "  winrescue list [--json] [DISK...]\n"
	       "  winrescue mount [VOL|system] [--rw [--discard-hibernation]] [--at DIR]\n"
	       "                  [--dry-run] [--yes] [--json] [--log FILE]\n"
	       "  winrescue umount [VOL|DIR|all] [--everything] [--dry-run] [--json]\n"
	       "                   [--log FILE]\n"
	       "  winrescue check VOL|IMAGE[:N]|all [DISK...] [--json] [--progress]\n"
	       "  winrescue fix VOL|IMAGE[:N] [--dry-run] [--yes] [--discard-hibernation]\n"
	       "                [--discard-journal] [--clear-dirty] [--undo-dir DIR] [--json]\n"
	       "  winrescue undo FILE [VOL|DISK] [--dry-run] [--yes] [--json]\n"
	       "  winrescue diagnose [--json] [DISK...]\n"
	       "  winrescue fix-boot [DISK] [--rewrite-bcd | --mbr-code] [--dry-run] [--yes]\n"
	       "                     [--undo-dir DIR] [--json]\n"
	       "  winrescue [tui] [--ascii] [--color[=WHEN]] [--log FILE] [DISK...]\n"
	       "\n"
	       "VOL: a device (/dev/sdb2, sdb2), disk:N/part:M as 'list' numbers them, a label,\n"
	       "or system (the Windows volume of the system disk); a name that fits several\n"
	       "volumes is refused with the candidates. DISK: /dev/sdb, sdb or disk:N; list,\n"
	       "check all, diagnose and the TUI then look at those disks only (numbered as in\n"
	       "the full list); a DISK that names no disk is refused (exit 16).\n"
	       "IMAGE (check, fix): an image file holding one file system; IMAGE:N: partition\n"
	       "N of an image with a partition table.\n"
	       "\n"
	       "Options:\n"
	       "  --json                (list, mount, umount, check, fix, undo, diagnose,\n"
	       "                        fix-boot) one JSON document\n"
	       "                        on stdout\n"
	       "  --rw                  (mount) read-write; refused on a hibernated, Fast\n"
	       "                        Startup, unclean-journal or damaged NTFS volume\n"
	       "  --discard-hibernation (mount --rw, fix) accept losing the hibernated Windows\n"
	       "                        session (or its Fast Startup state)\n"
	       "  --discard-journal     (fix) accept losing the changes in an unclean journal\n"
	       "  --clear-dirty         (fix) clear the dirty flag instead of setting it\n"
	       "  --undo-dir DIR        (fix, fix-boot) where undo files go, root's alone (its\n"
	       "                        key is DIR.key); default " UNDO_DEFAULT_DIR "\n"
	       "  --rewrite-bcd         (fix-boot) rewrite the BCD store's devices to name the\n"
	       "                        disk as it is now, instead of its identity\n"
	       "  --mbr-code            (fix-boot) write standard MBR boot code whatever code\n"
	       "                        is there (the table and disk signature stay)\n"
	       "  --at DIR              (mount) where, in a directory only root can write to;\n"
	       "                        default /mnt/winrescue/<label>\n"
	       "  --everything          (umount all) also what winrescue did not mount (all\n"
	       "                        alone takes only the mounts the audit log says it made)\n"
	       "  --progress            (check, fix) one line per step on stderr, also without a\n"
	       "                        terminal\n"
	       "  --dry-run             (mount, umount, fix, fix-boot, undo) show the plan, do\n"
	       "                        nothing\n"
	       "  --yes                 (mount, fix, fix-boot, undo) go ahead with what writes,\n"
	       "                        without asking\n"
	       "  --log FILE            the audit log (default /var/log/winrescue/audit.jsonl)\n"
	       "  --ascii               (tui) ASCII lines instead of line drawing\n"
	       "  --color[=WHEN]        (tui) auto (default; NO_COLOR off), always, never\n"
	       "  --sysroot DIR         (list) read DIR/sys, DIR/proc and DIR/dev instead of /\n"
	       "  -h, --help            show this help\n"
	       "  -V, --version         show the version\n"
	       "\n"
	       "In the TUI, ? shows every key; m mounts, u unmounts, c checks,\n"
	       "f fixes, b shows the boot diagnosis (where F runs fix-boot), l shows the log\n"
	       "(where U undoes a fix or fix-boot), q quits.\n"
	       "Environment: WINRESCUE_LOG (audit log), WINRESCUE_UNDO_DIR (undo files),\n"
	       "WINRESCUE_NTFS_3G (the ntfs-3g program),\n"
	       "WINRESCUE_PROBE_JOBS=N (probe disks in N processes; default one per CPU; 0: in\n"
	       "this process, for debugging), WINRESCUE_PROBE_MEM_MB (default 64-384),\n"
	       "WINRESCUE_PROBE_TIMEOUT (seconds, default 60); WINRESCUE_WORKER_MEM_MB and\n"
	       "WINRESCUE_WORKER_TIMEOUT: the same for the process that checks a volume.\n"
	       "Every command needs root (it reads the disks), except --help and list --sysroot.\n"
	       "Exit codes: 0 ok, 1 failure, 16 usage error, 32 refused by a safety rule or\n"
	       "cancelled; 128+N after signal N in the TUI. check, fix: 0 clean (nothing to\n"
	       "repair), 1 errors corrected (fix), 4 errors left, 8 operational error, 16 usage,\n"
	       "32 refused (as fsck). diagnose: 0 nothing stops the boot, 4 something does, 8\n"
	       "the evidence could not be read. See winrescue(8).\n");
}

/* Whether args (a command's, after its name) ask for opt: --NAME, an abbreviation of it, or -C. */
static bool asks_for(int argc, char **argv, const char *name, char short_opt)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		const char *a = argv[i];
		size_t l = strcspn(a + 2, "=");
		if (a[0] == '-' && a[1] == '-' && l >= 2 && strncmp(a + 2, name, l) == 0)
			return true;	/* getopt_long takes an unambiguous abbreviation */
		if (short_opt && a[0] == '-' && a[1] != '-' && strchr(a + 1, short_opt))
			return true;
	}
	return false;
}

/*
 * Every command reads the disks (or writes them), which only root may:
 * one line before anything else, instead of a partial error per disk.
 * Help needs no root, and neither does list on a captured tree
 * (--sysroot), which opens no device of this machine.
 */
static bool needs_root(int argc, char **argv, const struct global_opts *g, const char *cmd)
{
	if (geteuid() == 0 || asks_for(argc, argv, "help", 'h'))
		return false;
	if (strcmp(cmd, "list") == 0 && (g->sysroot || asks_for(argc, argv, "sysroot", 0)))
		return false;
	fputs("winrescue needs root to read disks: run it as root (sudo winrescue ...).\n", stderr);
	return true;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "sysroot", required_argument, NULL, 'S' },
		{ "ascii", no_argument, NULL, 'A' },
		{ "color", optional_argument, NULL, 'C' },
		{ "colour", optional_argument, NULL, 'C' },
		{ "log", required_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct global_opts g = { 0 };
	int c;

	setlocale(LC_CTYPE, "");	/* LC_CTYPE only: numbers keep their '.' */
	termout_init();
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'S': g.sysroot = optarg; break;
		case 'A': g.ascii = true; break;
		case 'C': g.color = optarg ? optarg : "always"; break;
		case 'L': g.log_path = optarg; break;
		case 'h': help(); return WR_EXIT_OK;
		case 'V': printf("winrescue %s\n", WINRESCUE_VERSION); return WR_EXIT_OK;
		case ':':
			return cli_usage_error("option '%s' needs an argument; see 'winrescue --help'",
					       argv[optind - 1]);
		default:
			return cli_usage_error("unknown option '%s'; see 'winrescue --help'",
					       argv[optind - 1]);
		}
	}
	if (optind >= argc) {
		char *tui_argv[] = { "tui", NULL };
		if (needs_root(1, tui_argv, &g, "tui"))
			return WR_EXIT_FAILURE;
		return cmd_tui(1, tui_argv, &g);
	}
	for (const struct command *cmd = commands; cmd->name; cmd++)
		if (strcmp(argv[optind], cmd->name) == 0) {
			if (needs_root(argc - optind, argv + optind, &g, cmd->name))
				return WR_EXIT_FAILURE;
			return cmd->run(argc - optind, argv + optind, &g);
		}
	/* `winrescue /dev/sdb`: the TUI on that disk */
	if (strncmp(argv[optind], "/dev/", 5) == 0) {
		if (needs_root(argc - optind + 1, argv + optind - 1, &g, "tui"))
			return WR_EXIT_FAILURE;
		return cmd_tui(argc - optind + 1, argv + optind - 1, &g);
	}
	return cli_usage_error("unknown command '%s'; see 'winrescue --help'", argv[optind]);
}
