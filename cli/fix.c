/* fix.c - `winrescue fix` (fsck's exit codes) and `winrescue undo`. */
#include "actions/undo.h"
#include "cli/cli.h"
#include "lib/util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char fix_usage[] =
	"Usage: winrescue fix VOL|IMAGE[:N] [--dry-run] [--yes] [--discard-hibernation]\n"
	"                     [--discard-journal] [--clear-dirty] [--undo-dir DIR]\n"
	"                     [--json] [--progress] [--log FILE]\n"
	"IMAGE: an image file of one volume; IMAGE:N: partition N of an image's table\n"
	"(only its bytes are read and written; the undo file records image and offset).\n"
	"Repair what ntfsfix repairs, safely, on an NTFS volume nothing uses: the boot\n"
	"sector from its intact copy, $MFTMirr from $MFT (or the reverse), a journal\n"
	"Windows cannot use, and the dirty flag set so Windows runs chkdsk /f at its\n"
	"next start. The plan comes first (--dry-run stops there). Refused on a\n"
	"hibernated or Fast Startup volume (--discard-hibernation) and on an unclean\n"
	"journal (--discard-journal) unless their loss is accepted. Every overwritten\n"
	"byte goes first into an undo file (--undo-dir, default " UNDO_DEFAULT_DIR ");\n"
	"'winrescue undo FILE' puts it back.\n"
	"Exit: 0 nothing to repair, 1 errors corrected, 4 errors left, 8 operational\n"
	"error, 16 usage, 32 refused or cancelled.\n";

static const char undo_usage[] =
	"Usage: winrescue undo FILE [VOL|DISK] [--dry-run] [--yes] [--json] [--log FILE]\n"
	"Put back, byte for byte, what 'winrescue fix' or 'fix-boot' overwrote, from\n"
	"the undo file it wrote. VOL: the volume (for fix-boot: the disk), when its\n"
	"device name changed since. Refused when it changed since in those bytes.\n"
	"Exit: 0 restored (or nothing to restore), 1 failure, 16 usage, 32 refused.\n";

int cmd_fix(int argc, char **argv, struct global_opts *g)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "yes", no_argument, NULL, 'y' },
		{ "discard-hibernation", no_argument, NULL, 'D' },
		{ "discard-journal", no_argument, NULL, 'J' },
		{ "clear-dirty", no_argument, NULL, 'C' },
		{ "undo-dir", required_argument, NULL, 'U' },
		{ "json", no_argument, NULL, 'j' },
		{ "progress", no_argument, NULL, 'p' },
		{ "log", required_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct action_opts o = { .log_path = g->log_path };
	bool yes = false, json = false, progress = false;
	char *code = NULL;
	int c, rc;

	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, ":nyjh", opts, NULL)) != -1) {
		switch (c) {
		case 'n': o.dry_run = true; break;
		case 'y': yes = true; break;
		case 'D': o.discard_hibernation = true; break;
		case 'J': o.discard_journal = true; break;
		case 'C': o.clear_dirty = true; break;
		case 'U':
			if (!*optarg)
				return cli_usage_error("--undo-dir needs a directory");
			o.undo_dir = optarg;
			break;
		case 'j': json = true; break;
		case 'p': progress = true; break;
		case 'L': o.log_path = optarg; break;
		case 'h': fputs(fix_usage, stdout); return WR_EXIT_OK;
		case ':':
			return cli_usage_error("option '%s' needs an argument; see 'winrescue fix --help'",
					       argv[optind - 1]);
		default:
			return cli_usage_error("unknown option '%s' for fix; see 'winrescue fix --help'",
					       argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return cli_usage_error("fix needs a volume or an image file; see 'winrescue fix --help'");
	if (optind + 1 < argc)
		return cli_usage_error("fix takes one volume, not '%s' and '%s'", argv[optind],
				       argv[optind + 1]);
	if (strcmp(argv[optind], "all") == 0)
		return cli_usage_error("fix repairs one volume at a time; name it (check all shows "
				       "which need it)");
	if (g->sysroot)
		return cli_usage_error("fix acts on this machine; --sysroot only reads captured "
				       "trees (use it with list)");
	rc = cli_run_action_code(&action_fix, argv[optind], &o, yes, json, progress, &code);
	/* fsck's codes: 1 is "corrected"; what could not be done at all is operational */
	if (code && strcmp(code, "corrected") == 0)
		rc = ACT_CORRECTED;
	else if (rc == ACT_FAILED)
		rc = ACT_OPERATIONAL;
	free(code);
	return rc;
}

static const char fix_boot_usage[] =
	"Usage: winrescue fix-boot [DISK] [--rewrite-bcd | --mbr-code] [--dry-run]\n"
	"                          [--yes] [--undo-dir DIR] [--json] [--log FILE]\n"
	"Mend what 'winrescue diagnose' marks fixable. bcd-device-mismatch: put back\n"
	"the GPT disk GUID (and a partition GUID that changed with it) or the MBR disk\n"
	"signature that the BCD store names, the identity Windows changed when it saw\n"
	"two disks with one. DISK: only that disk (/dev/sdb, sdb or disk:N). Refused\n"
	"when another attached disk holds that identity (the collision would come\n"
	"back), on the rescue system's disk and on a disk in use. --rewrite-bcd instead\n"
	"rewrites the store's device elements to name the disk and partitions as they\n"
	"are now (also when another disk holds the old identity, a partition moved, or\n"
	"the disk changed from GPT to MBR or back), in place on the store's volume;\n"
	"refused when the store's hive has changes in its logs or its volume is\n"
	"hibernated.\n"
	"On a BIOS disk without an identity to put back, it mends the boot chain:\n"
	"standard MBR boot code (syslinux's mbr.bin, inside winrescue) in the first\n"
	"440 bytes where there is none (mbr-code-missing; --mbr-code: whatever code is\n"
	"there, as after GRUB was removed), the 0x55AA signature, the active flag on\n"
	"the partition holding bootmgr (no-active-partition, active-without-bootmgr),\n"
	"the hidden sectors of both NTFS boot sector copies (ntfs-hidden-sectors); the\n"
	"partition table and the disk signature never change.\n"
	"The plan comes first (--dry-run stops there); the sectors overwritten go\n"
	"first into an undo file (--undo-dir, default " UNDO_DEFAULT_DIR ");\n"
	"'winrescue undo FILE' puts them back.\n"
	"Exit: 0 fixed (or no mismatch to fix), 1 failure (also: a mismatch it cannot\n"
	"resolve), 16 usage, 32 refused or cancelled.\n";

int cmd_fix_boot(int argc, char **argv, struct global_opts *g)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "yes", no_argument, NULL, 'y' },
		{ "undo-dir", required_argument, NULL, 'U' },
		{ "rewrite-bcd", no_argument, NULL, 'B' },
		{ "mbr-code", no_argument, NULL, 'M' },
		{ "json", no_argument, NULL, 'j' },
		{ "log", required_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct action_opts o = { .log_path = g->log_path };
	bool yes = false, json = false;
	int c;

	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, ":nyjh", opts, NULL)) != -1) {
		switch (c) {
		case 'n': o.dry_run = true; break;
		case 'y': yes = true; break;
		case 'B': o.rewrite_bcd = true; break;
		case 'M': o.mbr_code = true; break;
		case 'U':
			if (!*optarg)
				return cli_usage_error("--undo-dir needs a directory");
			o.undo_dir = optarg;
			break;
		case 'j': json = true; break;
		case 'L': o.log_path = optarg; break;
		case 'h': fputs(fix_boot_usage, stdout); return WR_EXIT_OK;
		case ':':
			return cli_usage_error("option '%s' needs an argument; see 'winrescue fix-boot "
					       "--help'", argv[optind - 1]);
		default:
			return cli_usage_error("unknown option '%s' for fix-boot; see 'winrescue "
					       "fix-boot --help'", argv[optind - 1]);
		}
	}
	if (optind + 1 < argc)
		return cli_usage_error("fix-boot takes at most one disk, not '%s' and '%s'",
				       argv[optind], argv[optind + 1]);
	if (o.rewrite_bcd && o.mbr_code)
		return cli_usage_error("--rewrite-bcd and --mbr-code are two different repairs: run "
				       "fix-boot once for each");
	if (g->sysroot)
		return cli_usage_error("fix-boot acts on this machine; --sysroot only reads captured "
				       "trees (use it with list)");
	return cli_run_action(&action_fix_boot, optind < argc ? argv[optind] : "", &o, yes, json);
}

int cmd_undo(int argc, char **argv, struct global_opts *g)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "yes", no_argument, NULL, 'y' },
		{ "json", no_argument, NULL, 'j' },
		{ "log", required_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct action_opts o = { .log_path = g->log_path };
	bool yes = false, json = false;
	int c;

	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, ":nyjh", opts, NULL)) != -1) {
		switch (c) {
		case 'n': o.dry_run = true; break;
		case 'y': yes = true; break;
		case 'j': json = true; break;
		case 'L': o.log_path = optarg; break;
		case 'h': fputs(undo_usage, stdout); return WR_EXIT_OK;
		case ':':
			return cli_usage_error("option '%s' needs an argument; see 'winrescue undo --help'",
					       argv[optind - 1]);
		default:
			return cli_usage_error("unknown option '%s' for undo; see 'winrescue undo --help'",
					       argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return cli_usage_error("undo needs the undo file fix wrote; see 'winrescue undo --help'");
	if (optind + 2 < argc)
		return cli_usage_error("undo takes an undo file and at most one volume");
	if (g->sysroot)
		return cli_usage_error("undo acts on this machine; --sysroot only reads captured "
				       "trees (use it with list)");
	o.device = optind + 1 < argc ? argv[optind + 1] : NULL;
	return cli_run_action(&action_undo, argv[optind], &o, yes, json);
}
