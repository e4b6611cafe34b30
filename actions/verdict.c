/*
 * verdict.c - a volume's state and its next step, decided once
 * (verdict.h). Each problem seen is a finding with a remedy; the step for
 * a remedy is built by one function from what works here (the rescue
 * disk, a mount, read errors, hibernation, whether ntfs-3g opens it), so
 * a finding's next step, the volume's and every view's are the same words.
 */
#include "actions/verdict.h"
#include "actions/action.h"
#include "actions/diagnose.h"
#include "lib/util.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How to get to Windows RE from a rescue system, said the same everywhere. */
#define WINDOWS_RE "in the provider's console, start the server from a Windows installation " \
		   "ISO: Repair your computer, Troubleshoot, Command Prompt"

/* What repairs a problem, in the order a next step is chosen. */
enum remedy {
	RM_FIX = 0,	/* winrescue fix repairs it */
	RM_CHECK,	/* how bad is not known: winrescue check tells */
	RM_READ,	/* the device returns read errors: the data off first */
	RM_CHKDSK,	/* only Windows' chkdsk /f repairs it */
	RM_HIVE,	/* a hive file damaged on a sound volume: Windows RE restores it */
	RM_ATTACH,	/* the volume is cut short: attach all of it */
	RM_OWN,		/* a step of its own (BitLocker, a probe error) */
	RM_STATE,	/* a state to know, not damage */
};

struct problem {
	enum remedy remedy;
	enum severity sev;
	bool damage;		/* read failed or contradicted itself (never "no problem") */
	const char *code;
	char *word;		/* for the state column */
	char *message;
	char *own;		/* RM_OWN, RM_STATE: the next step */
	char *cmd;		/* RM_OWN: the winrescue command of that step, or NULL */
	const char *fixes;	/* RM_FIX: what fix does about it, in words */
};

/* What the next steps depend on. */
struct vctx {
	const struct inventory *inv;
	const struct vol_ref *v;
	const struct ntfs_state *n;
	const struct check_memo *chk;
	char *dev;		/* the device, or "Disk N partition M" */
	bool rescue;
	bool mounted;		/* a mount point: the data is reachable there */
	char *busy;		/* why it is in use, or NULL */
	bool opens;		/* ntfs-3g opens it: a read-only mount works */
	bool read_errors;	/* the device would not return some sectors */
	bool windows;		/* it holds Windows: chkdsk means Windows RE */
	bool hib, fast, unclean;
	bool hib_unknown;	/* hiberfil.sys unreadable: fix refuses whatever the flags */
	struct problem *p;
	size_t np;
};

static void add_problem(struct vctx *c, enum remedy r, enum severity sev, bool damage,
			const char *code, const char *word, const char *own, const char *fixes,
			const char *fmt, ...) __attribute__((format(printf, 9, 10)));

static void add_problem(struct vctx *c, enum remedy r, enum severity sev, bool damage,
			const char *code, const char *word, const char *own, const char *fixes,
			const char *fmt, ...)
{
	struct problem *p;
	va_list ap;

	c->p = xrealloc(c->p, c->np + 1, sizeof(*c->p));
	p = &c->p[c->np++];
	memset(p, 0, sizeof(*p));
	p->remedy = r;
	p->sev = sev;
	p->damage = damage;
	p->code = code;
	p->word = xstrdup(word);
	p->own = xstrdup(own);
	p->fixes = fixes;
	va_start(ap, fmt);
	p->message = xvasprintf(fmt, ap);
	va_end(ap);
}

char *verdict_where(const struct vol_ref *v)
{
	if (v->disk->number == SIZE_MAX)
		return v->part ? xasprintf("partition %zu of the image file %s", v->part->number,
					   v->disk->path)
			       : xasprintf("the image file %s", v->disk->path);
	return v->part ? xasprintf("Disk %zu partition %zu", v->disk->number, v->part->number)
		       : xasprintf("Disk %zu", v->disk->number);
}

/* ---- the steps ---- */

/* Where the data can be copied from, in words, or NULL when nothing here reads it. */
static char *data_off(const struct vctx *c)
{
	if (c->mounted)
		return xasprintf("copy the data off from %s, where it is mounted",
				 c->v->vol->use.mountpoints[0]);
	if (c->opens && c->v->path)
		return xasprintf("copy the data off with a read-only mount ('winrescue mount %s')",
				 c->v->path);
	return NULL;
}

/* chkdsk, and how to get to a Windows that can run it. */
static char *windows_chkdsk(const struct vctx *c)
{
	if (c->windows)
		return xstrdup("run chkdsk /f on it from Windows RE (" WINDOWS_RE ")");
	return xstrdup("run chkdsk /f on it in Windows (once Windows starts, or from Windows RE)");
}

/* " --discard-hibernation" and the like: what fix needs here, and what it costs. */
static void fix_flags(const struct vctx *c, char **flags, char **loss)
{
	*flags = xasprintf("%s%s", c->hib || c->fast ? " --discard-hibernation" : "",
			   c->unclean ? " --discard-journal" : "");
	*loss = c->hib ? xstrdup(" (Windows' hibernated session is lost)")
		: c->fast ? xstrdup(" (the Fast Startup state is lost; Windows starts cold)")
		: c->unclean ? xstrdup(" (the journal's unwritten changes are lost)") : xstrdup("");
}

/* "Unmount it first ('winrescue umount X'), then " when a mount stands in the way. */
static char *unmount_first(const struct vctx *c)
{
	if (c->mounted)
		return xasprintf("Unmount it first ('winrescue umount %s'), then ", c->v->path);
	if (c->busy)
		return xasprintf("Stop what uses it first (%s), then ", c->busy);
	return xstrdup("");
}

static char *cap(char *s)
{
	if (s && s[0] >= 'a' && s[0] <= 'z')
		s[0] = (char)(s[0] - 'a' + 'A');
	return s;
}

static char *step_for(const struct vctx *c, const struct problem *p, char **cmd);

/* The step when the device returns read errors: nothing may write before the data is safe. */
static char *step_read(const struct vctx *c)
{
	char *off = data_off(c), *s;

	s = off ? xasprintf("The device returns read errors: %s before anything else (winrescue "
			    "writes nothing to a device that fails to read).", off)
		: xasprintf("The device returns read errors and nothing here reads the volume as it "
			    "is: image the disk first (GNU ddrescue), then work on the image.");
	free(off);
	return s;
}

static char *step_fix(const struct vctx *c, const struct problem *p, char **cmd)
{
	char *flags, *loss, *first = unmount_first(c), *s;

	if (c->read_errors)
		return step_read(c);
	if (c->hib_unknown) {
		/* fix refuses (hibernation-unknown): the data off, then Windows */
		char *off = data_off(c);
		s = xasprintf("winrescue fix writes nothing while it cannot tell whether Windows is "
			      "hibernated (hiberfil.sys cannot be read): %s%sstart Windows and shut it "
			      "down fully, or repair it with chkdsk /f from Windows RE.",
			      off ? off : "", off ? " first; then " : "");
		free(off);
		free(first);
		return cap(s);
	}
	fix_flags(c, &flags, &loss);
	*cmd = xasprintf("winrescue fix %s%s", c->v->path, flags);
	s = xasprintf("%s'%s' %s%s; an undo file keeps every byte it overwrites.", first, *cmd,
		      p->fixes ? p->fixes : "repairs it", loss);
	free(flags);
	free(loss);
	free(first);
	return cap(s);
}

static char *step_check(const struct vctx *c, char **cmd)
{
	/* check reads a volume mounted read-only as it is (actions/check.c) */
	bool ro = c->mounted && !c->v->vol->use.mounted_rw && !c->v->vol->use.swap &&
		  !c->v->vol->use.nholders;
	char *first = ro ? xstrdup("") : unmount_first(c), *s;

	*cmd = xasprintf("winrescue check %s", c->v->path);
	s = xasprintf("%s'%s' reads all of it without writing and says what can be repaired; the "
		      "quick look cannot.", first, *cmd);
	free(first);
	return cap(s);
}

static char *step_chkdsk(const struct vctx *c)
{
	char *off = data_off(c), *win = windows_chkdsk(c), *s;

	s = off ? xasprintf("%s first; then %s.", off, win) : xasprintf("%s.", win);
	free(off);
	free(win);
	return cap(s);
}

static char *step_for(const struct vctx *c, const struct problem *p, char **cmd)
{
	char *off, *s;

	*cmd = NULL;
	if (c->rescue)
		return xstrdup("Nothing to do: it is the rescue system's own disk, which winrescue "
			       "never changes.");
	if (!c->v->path && p->remedy != RM_OWN && p->remedy != RM_ATTACH)
		return xasprintf("The kernel has no device node for it: run 'partx -a %s', then look "
				 "again.", c->v->disk->path);
	switch (p->remedy) {
	case RM_FIX:
		return step_fix(c, p, cmd);
	case RM_CHECK:
		if (c->read_errors)
			return step_read(c);
		if (c->chk && c->chk->status == ACT_OK)
			return step_chkdsk(c);	/* a check found nothing, yet this failed */
		return step_check(c, cmd);
	case RM_READ:
		return step_read(c);
	case RM_CHKDSK:
		return step_chkdsk(c);
	case RM_HIVE:
		return xstrdup("The volume checks without errors, so the hive file itself is damaged "
			       "or gone: from Windows RE (" WINDOWS_RE "), copy a backup of it into "
			       "\\Windows\\System32\\config (\\Windows\\System32\\config\\RegBack "
			       "holds one only where Windows keeps it: not by default since Windows 10 "
			       "1803).");
	case RM_ATTACH:
		off = data_off(c);
		s = xasprintf("Attach the whole disk or image (a partition cut short or a short copy "
			      "loses the volume's end)%s%s.", off ? "; meanwhile " : "", off ? off : "");
		free(off);
		return s;
	case RM_OWN:
	case RM_STATE:
	default:
		*cmd = xstrdup(p->cmd);
		return xstrdup(p->own);
	}
}

/* ---- what is wrong, as the quick look and a check saw it ---- */

static void boot_problems(struct vctx *c)
{
	const struct ntfs_state *n = c->n;
	const char *d = n->bootsector_detail;

	switch (n->bootcopies) {
	case NTFS_BOOT_PRIMARY_BAD:
		add_problem(c, RM_FIX, SEV_ERROR, true, "ntfs-bootsector-mismatch",
			    "primary boot sector damaged", NULL, "writes the intact backup over it",
			    "%s: %s. Windows, ntfs-3g and chkdsk cannot open the volume until it is "
			    "repaired.", c->dev, d ? d : "the primary boot sector is damaged; the "
			    "backup boot sector is intact");
		break;
	case NTFS_BOOT_BACKUP_BAD:
		add_problem(c, RM_FIX, SEV_WARNING, true, "ntfs-bootsector-mismatch",
			    "backup boot sector damaged", NULL, "rewrites the backup from the primary",
			    "%s: %s. The volume works, without a spare copy.", c->dev,
			    d ? d : "the backup boot sector is damaged; the primary is intact");
		break;
	case NTFS_BOOT_DIFFER:
		if (!n->bs_differ_more)
			break;	/* apart in their hidden sectors only: hidden_problems() */
		add_problem(c, RM_FIX, SEV_WARNING, true, "ntfs-bootsector-mismatch",
			    "boot sector copies differ", NULL,
			    "writes the primary (the copy in use) over the backup",
			    "%s: the two boot sectors are valid but differ; Windows uses the primary.",
			    c->dev);
		break;
	case NTFS_BOOT_BOTH_BAD:
		add_problem(c, RM_OWN, SEV_ERROR, true, "ntfs-bootsector-mismatch",
			    "both boot sectors damaged",
			    "Nothing here or in Windows opens it as it is: image the disk first (GNU "
			    "ddrescue); TestDisk can rebuild the boot sector from $MFT on the image.",
			    NULL, "Neither boot sector of %s is a valid NTFS boot sector.", c->dev);
		break;
	case NTFS_BOOT_UNREADABLE:
		add_problem(c, RM_READ, SEV_ERROR, true, "ntfs-unreadable", "boot sector unreadable",
			    NULL, NULL, "The boot sector of %s cannot be read%s%s.", c->dev,
			    d ? ": " : "", d ? d : "");
		break;
	case NTFS_BOOT_BACKUP_UNREADABLE:
		add_problem(c, RM_READ, SEV_WARNING, true, "ntfs-bootsector-mismatch",
			    "backup boot sector unreadable", NULL, NULL,
			    "The backup boot sector of %s cannot be read%s%s.", c->dev, d ? ": " : "",
			    d ? d : "");
		break;
	default:
		break;
	}
}

static void mirr_problems(struct vctx *c)
{
	const struct ntfs_state *n = c->n;
	const char *d = n->mftmirr_detail ? n->mftmirr_detail : "$MFTMirr does not match $MFT";

	switch (n->mftmirr) {
	case NTFS_MIRR_MFT_BAD:
		add_problem(c, RM_FIX, SEV_ERROR, true, "ntfs-mftmirr-mismatch", "$MFT record damaged",
			    NULL, "copies the intact record from $MFTMirr over it",
			    "%s: %s; Windows and ntfs-3g refuse the volume until it is repaired.", c->dev, d);
		break;
	case NTFS_MIRR_MIRR_BAD:
		add_problem(c, RM_FIX, SEV_ERROR, true, "ntfs-mftmirr-mismatch", "$MFTMirr damaged",
			    NULL, "copies $MFT's records over $MFTMirr",
			    "%s: %s; ntfs-3g refuses the volume until it is repaired.", c->dev, d);
		break;
	case NTFS_MIRR_DIFFER:
		add_problem(c, RM_FIX, SEV_ERROR, true, "ntfs-mftmirr-mismatch", "$MFTMirr differs",
			    NULL, "copies $MFT's records over $MFTMirr",
			    "%s: %s; ntfs-3g refuses the volume until it is repaired.", c->dev, d);
		break;
	case NTFS_MIRR_BOTH_BAD:
		add_problem(c, RM_CHKDSK, SEV_ERROR, true, "ntfs-mftmirr-mismatch",
			    "$MFT record damaged in both copies", NULL, NULL, "%s: %s.", c->dev, d);
		break;
	case NTFS_MIRR_OUTSIDE:
		add_problem(c, RM_CHECK, SEV_ERROR, true, "ntfs-mftmirr-mismatch",
			    "$MFT outside the volume", NULL, NULL, "%s: %s.", c->dev, d);
		break;
	case NTFS_MIRR_UNREADABLE:
		add_problem(c, RM_READ, SEV_ERROR, true, "ntfs-mftmirr-mismatch", "$MFT unreadable",
			    NULL, NULL, "%s: %s.", c->dev, d);
		break;
	default:
		break;
	}
}

/*
 * The hidden-sectors field (BPB 0x1C) of a partition's boot sector copies
 * against where the partition starts: only the BIOS boot code reads it, so
 * it matters on the volumes of a BIOS boot chain (bootchain.c decides which,
 * and whether fix-boot may write there). One copy right: fix keeps it (as
 * nb_hidden_side chooses). Both wrong: fix-boot sets both, where it may.
 */
static void hidden_problems(struct vctx *c)
{
	const struct ntfs_state *n = c->n;
	const struct partition *p = c->v->part;
	unsigned ss = c->v->disk->log_sector ? c->v->disk->log_sector : 512;
	uint64_t want = p ? p->start / ss : 0;

	if (!p || !n->bs_primary_valid || want > UINT32_MAX || c->v->disk->number == SIZE_MAX)
		return;
	bool bad_p = n->hidden_sectors != want;
	bool bad_b = n->bs_backup_valid && n->hidden_sectors_backup != want;
	if (!bad_p && !bad_b)
		return;
	if (n->bs_backup_valid && !n->bs_differ_more && bad_p != bad_b) {
		if (bad_p)
			add_problem(c, RM_FIX, SEV_WARNING, true, "ntfs-hidden-sectors",
				    "primary boot sector's hidden sectors wrong", NULL,
				    "writes the backup's field, which names where the volume starts, into "
				    "the primary", "%s: the primary boot sector says the volume starts at "
				    "sector %u (hidden sectors, BPB 0x1C); its backup, and the partition, "
				    "say %llu.", c->dev, n->hidden_sectors, (unsigned long long)want);
		else
			add_problem(c, RM_FIX, SEV_WARNING, true, "ntfs-hidden-sectors",
				    "backup boot sector's hidden sectors wrong", NULL,
				    "writes the primary, which names where the volume starts, over the "
				    "backup", "%s: the backup boot sector says the volume starts at sector "
				    "%u (hidden sectors, BPB 0x1C); the primary, and the partition, say "
				    "%llu.", c->dev, n->hidden_sectors_backup, (unsigned long long)want);
		return;
	}
	size_t di = c->v->disk_index;
	bool chain = di < c->inv->ndisks && &c->inv->disks[di] == c->v->disk;
	const char *blocked = bootchain_hidden_blocked(p);
	char *own;
	if (chain && bootchain_mends_hidden(c->inv, di, p))
		own = xasprintf("'winrescue fix-boot %s' sets the field right in both copies of the "
				"boot sector (4 bytes each); an undo file keeps what it overwrites.",
				c->v->disk->path);
	else if (blocked)
		own = xasprintf("fix-boot writes nothing here while %s: resume Windows and shut it "
				"down fully first, then diagnose again; Windows' chkdsk /f also sets "
				"the field right.", blocked);
	else
		own = xstrdup("Nothing to do: only the BIOS boot code reads the field, and the BIOS "
			      "does not start this volume; Windows' chkdsk /f sets it right.");
	bool mends = chain && bootchain_mends_hidden(c->inv, di, p);
	add_problem(c, RM_OWN, mends ? SEV_WARNING : SEV_INFO,
		    false, "ntfs-hidden-sectors", "hidden sectors wrong", own, NULL,
		    "%s: its boot sector%s says the volume starts at sector %u (hidden sectors, BPB "
		    "0x1C), but the partition starts at sector %llu, as after a disk is moved or "
		    "converted.", c->dev, bad_p && bad_b ? " and its backup" : "",
		    bad_p ? n->hidden_sectors : n->hidden_sectors_backup, (unsigned long long)want);
	if (mends)
		c->p[c->np - 1].cmd = xasprintf("winrescue fix-boot %s", c->v->disk->path);
	free(own);
}

/* A damage of the quick look that fix repairs: what may keep the hive from being read. */
static const struct problem *fix_first(const struct vctx *c)
{
	for (size_t i = 0; i < c->np; i++)
		if (c->p[i].remedy == RM_FIX && c->p[i].damage &&
		    (strcmp(c->p[i].code, "ntfs-bootsector-mismatch") == 0 ||
		     strcmp(c->p[i].code, "ntfs-mftmirr-mismatch") == 0))
			return &c->p[i];
	return NULL;
}

/*
 * The SYSTEM hive and the BCD store: unreadable, or (the hive) not there on
 * a volume that holds Windows. A damage fix repairs comes first (it may be
 * why); else a check says whether the volume is sound, and once it is, the
 * file itself is what Windows RE must put back.
 */
static void hive_problems(struct vctx *c)
{
	const struct ntfs_state *n = c->n;
	const struct problem *first = fix_first(c);
	const char *fixes = first ? first->fixes : NULL;
	bool sound = c->chk && c->chk->status == ACT_OK;
	enum remedy r = first ? RM_FIX : sound ? RM_HIVE : RM_CHECK;

	if (n->has_windows && !n->win)
		add_problem(c, r, SEV_ERROR, true, "hive-unreadable", "SYSTEM hive unreadable", NULL,
			    fixes, "Windows on %s: %s%s.", c->dev,
			    n->win_error ? n->win_error : "its SYSTEM hive cannot be read",
			    first ? " (the damage above may be why)" : "");
	else if (n->opened && !n->has_windows && !n->nread_errors && c->windows)
		add_problem(c, r, SEV_ERROR, true, "hive-unreadable", "SYSTEM hive missing", NULL, fixes,
			    "%s holds Windows (%s), but \\Windows\\System32\\config\\SYSTEM does "
			    "not exist: Windows cannot start without it.", c->dev, n->has_windows_dir
			    ? "a \\Windows folder" : "a BCD store starts Windows from it");
	if (c->v->vol->bcd_file && !c->v->vol->bcd)
		add_problem(c, first ? RM_FIX : sound ? RM_OWN : RM_CHECK, SEV_ERROR, true,
			    "bcd-unreadable", "BCD store unreadable",
			    "The volume checks without errors, so the store itself is damaged: rebuild it "
			    "from Windows RE (bcdboot C:\\Windows; " WINDOWS_RE ").", fixes,
			    "The BCD store on %s (%s) cannot be read: %s%s.", c->dev, c->v->vol->bcd_file,
			    c->v->vol->bcd_error ? c->v->vol->bcd_error : "not known why",
			    first ? " (the damage above may be why)" : "");
}

/* Whether the quick look already named why libntfs-3g could not open it. */
static bool open_failure_explained(const struct ntfs_state *n)
{
	return n->bootcopies == NTFS_BOOT_PRIMARY_BAD || n->bootcopies == NTFS_BOOT_BOTH_BAD ||
	       n->bootcopies == NTFS_BOOT_UNREADABLE || n->mftmirr == NTFS_MIRR_MFT_BAD ||
	       n->mftmirr == NTFS_MIRR_MIRR_BAD || n->mftmirr == NTFS_MIRR_DIFFER ||
	       n->mftmirr == NTFS_MIRR_BOTH_BAD || n->mftmirr == NTFS_MIRR_OUTSIDE ||
	       n->mftmirr == NTFS_MIRR_UNREADABLE;
}

/* The step for a state: what it means for reading and writing, never a repair. */
static char *state_step(const struct vctx *c, const char *reading, const char *writing)
{
	char *off = c->opens && !c->mounted && c->v->path
		? xasprintf("'winrescue mount %s' mounts it read-only", c->v->path) : NULL;
	char *s = xasprintf("%s%s%s%s%s", reading, off ? " " : "", off ? off : "",
			    off ? "; " : " ", writing);
	free(off);
	return cap(s);
}

/* The volume's state as the check saw it, else as the quick look did. */
static void states_of(struct vctx *c, enum tristate *hib, enum ntfs_logfile *log, enum tristate *dirty)
{
	const struct check_memo *k = c->chk;
	static const enum ntfs_logfile logs[] = {
		[NC_LOG_UNKNOWN] = NTFS_LOGFILE_UNKNOWN, [NC_LOG_EMPTY] = NTFS_LOGFILE_EMPTY,
		[NC_LOG_CLEAN] = NTFS_LOGFILE_CLEAN, [NC_LOG_UNCLEAN] = NTFS_LOGFILE_UNCLEAN,
		[NC_LOG_FAST_RESTART] = NTFS_LOGFILE_FAST_RESTART,
	};

	*hib = c->n->hibernated;
	*log = c->n->logfile;
	*dirty = c->n->dirty;
	if (!k || !k->ntfs || k->status == ACT_OPERATIONAL)
		return;
	*hib = k->hibernated > 0 ? TRI_YES : k->hibernated == 0 ? TRI_NO : TRI_UNKNOWN;
	if ((unsigned)k->logfile < sizeof(logs) / sizeof(logs[0]))
		*log = logs[k->logfile];
	if (k->dirty >= 0)
		*dirty = k->dirty ? TRI_YES : TRI_NO;
}

static void ntfs_problems(struct vctx *c)
{
	const struct ntfs_state *n = c->n;
	/* what our checker read all of: its findings count instead of the quick look's */
	bool checked = c->chk && c->chk->ntfs && c->chk->status != ACT_OPERATIONAL;
	enum tristate hib, dirty;
	enum ntfs_logfile log;
	char *own;

	states_of(c, &hib, &log, &dirty);
	c->hib = hib == TRI_YES;
	c->fast = log == NTFS_LOGFILE_FAST_RESTART;
	c->unclean = log == NTFS_LOGFILE_UNCLEAN;
	c->hib_unknown = hib == TRI_UNKNOWN && (n->opened || checked);
	/* a volume cut short stays so whatever a check says of what it could read */
	if (n->truncated)
		add_problem(c, RM_ATTACH, SEV_ERROR, true, "ntfs-truncated", "truncated", NULL, NULL,
			    "The NTFS volume on %s is truncated: its boot sector says it needs %" PRIu64
			    " bytes, the device holds %" PRIu64 ".", c->dev,
			    n->claimed_bytes + n->sector_size, n->device_bytes);
	if (checked)
		goto hives;
	boot_problems(c);
	mirr_problems(c);
	if (n->error && !open_failure_explained(n))
		add_problem(c, RM_CHECK, SEV_ERROR, true, "ntfs-unreadable", "cannot be opened", NULL,
			    NULL, "The NTFS volume on %s cannot be read completely: %s.", c->dev,
			    n->error);
	for (size_t i = 0; i < n->nread_errors; i++)
		add_problem(c, RM_CHECK, SEV_ERROR, true, "ntfs-folder-unreadable", "a folder unreadable",
			    NULL, NULL, "On %s, %s: its MFT record or index is damaged.", c->dev,
			    n->read_errors[i]);
hives:
	/* what the quick look read through the file system; stale once something wrote */
	if (!(c->chk && c->chk->after_write)) {
		hidden_problems(c);
		hive_problems(c);
	}

	/* states: what Windows left, not damage */
	if (n->opened && hib == TRI_UNKNOWN) {
		own = state_step(c, "Treat it as hibernated:", "write nothing until Windows has "
				 "been shut down fully.");
		add_problem(c, RM_STATE, SEV_WARNING, false, "ntfs-hibernation-unknown",
			    "hibernation unknown", own, NULL, "Whether Windows on %s is hibernated "
			    "cannot be told: hiberfil.sys is there but cannot be read.", c->dev);
		free(own);
	}
	if (hib == TRI_YES) {
		own = state_step(c, "Nothing to repair for this.", "writing needs Windows to resume and "
				 "shut down fully, or accepting the loss of its session "
				 "(--discard-hibernation).");
		add_problem(c, RM_STATE, SEV_ERROR, false, "ntfs-hibernated", "hibernated", own, NULL,
			    "Windows on %s is hibernated (hiberfil.sys is in use); writing to the volume "
			    "now would be lost or corrupt it when Windows resumes.", c->dev);
		free(own);
	}
	if (log == NTFS_LOGFILE_FAST_RESTART) {
		own = state_step(c, "Nothing to repair for this.", "writing needs a full shutdown of "
				 "Windows (shutdown /s /t 0), or accepting the loss of the metadata it "
				 "kept cached (--discard-hibernation).");
		add_problem(c, RM_STATE, SEV_WARNING, false, "ntfs-fast-restart", "Fast Startup", own,
			    NULL, "%s was shut down with Fast Startup: Windows keeps file system "
			    "metadata cached in memory for its next start.", c->dev);
		free(own);
	} else if (log == NTFS_LOGFILE_UNCLEAN) {
		own = state_step(c, "Nothing to repair for this: Windows replays the journal at its next "
				 "start.", "do not write to it before that.");
		add_problem(c, RM_STATE, SEV_WARNING, false, "ntfs-unclean-log", "journal not clean",
			    own, NULL, "The journal ($LogFile) on %s was not closed cleanly: Windows "
			    "crashed or lost power with changes not yet written.", c->dev);
		free(own);
	}
	if (dirty == TRI_YES) {
		own = c->chk ? xstrdup("Nothing to do first: Windows runs chkdsk at its next start.")
			: c->v->path && !c->busy
			? xasprintf("Nothing to do first: Windows runs chkdsk at its next start; "
				    "'winrescue check %s' says now what it will find.", c->v->path)
			: xstrdup("Nothing to do first: Windows runs chkdsk at its next start.");
		add_problem(c, RM_STATE, SEV_WARNING, false, "ntfs-dirty", "dirty", own, NULL,
			    "The NTFS volume on %s is marked dirty: Windows will check it at its next "
			    "start.", c->dev);
		free(own);
	}
}

/* What a check since the snapshot adds: its errors, with the remedy they need. */
static void check_problems(struct vctx *c)
{
	const struct check_memo *k = c->chk;

	if (!k || k->status == ACT_OK)
		return;
	if (k->status == ACT_OPERATIONAL) {
		add_problem(c, k->read_errors ? RM_READ : RM_OWN, SEV_ERROR, true, "check-failed",
			    "could not be checked", "Look at why in the check's result; nothing was "
			    "written.", NULL, "%s", k->summary ? k->summary : "The check could not be done.");
		return;
	}
	char *word = k->ntfs ? xasprintf("%zu error%s (checked)", k->errors, k->errors == 1 ? "" : "s")
			     : xstrdup("errors (checked)");
	if (!k->ntfs) {
		char *own = c->v->path ? xasprintf("Copy the data off first ('winrescue mount %s' mounts "
						   "it read-only); then repair it with its own checker "
						   "without -n (e2fsck -p, fsck.fat -a, ...).", c->v->path)
				       : NULL;
		add_problem(c, RM_OWN, SEV_ERROR, true, "check-errors", word, own, NULL, "%s",
			    k->summary);
		free(own);
	} else if (k->read_errors)
		add_problem(c, RM_READ, SEV_ERROR, true, "check-errors", word, NULL, NULL, "%s",
			    k->summary);
	else if (k->by_fix >= k->errors)
		add_problem(c, RM_FIX, SEV_ERROR, true, "check-errors", word, NULL,
			    "repairs them and marks the volume so that Windows runs chkdsk at its next "
			    "start", "%s", k->summary);
	else
		add_problem(c, RM_CHKDSK, SEV_ERROR, true, "check-errors", word, NULL, NULL, "%s",
			    k->summary);
	free(word);
}

static void other_problems(struct vctx *c)
{
	const struct volume *v = c->v->vol;
	/* a disk without partitions is its own volume: its probe error is the volume's */
	const char *error = c->v->part ? c->v->part->error : c->v->disk->error;

	if (error && c->v->part)
		add_problem(c, RM_OWN, SEV_ERROR, true, "probe-error", "unreadable",
			    "Check the disk in the provider's console; the other disks are listed.", NULL,
			    "%s could not be probed: %s.", c->dev, error);
	else if (error)
		add_problem(c, RM_OWN, c->rescue ? SEV_INFO : SEV_ERROR, true, "probe-error",
			    "unreadable", "Check the disk in the provider's console; the other disks "
			    "are listed.", NULL, "Disk %zu (%s) could not be probed: %s.",
			    c->v->disk->number, c->v->disk->path, error);
	else if (v->fs_error)
		add_problem(c, RM_OWN, SEV_WARNING, false, "probe-error", "unknown content",
			    "Run 'blkid -p' on it for the details; nothing was written.", NULL,
			    "The content of %s could not be identified: %s.", c->dev, v->fs_error);
	if (v->fstype && strcmp(v->fstype, "BitLocker") == 0)
		add_problem(c, RM_OWN, SEV_WARNING, false, "bitlocker-locked", "locked (BitLocker)",
			    "Have the BitLocker recovery key ready; winrescue cannot read the volume "
			    "without unlocking it.", NULL,
			    "%s is encrypted with BitLocker; its files and state cannot be seen.", c->dev);
}

/* The problem whose step is the volume's next step: the first remedy that works here. */
static const struct problem *first_problem(const struct vctx *c)
{
	const struct problem *best = NULL;

	for (size_t i = 0; i < c->np; i++) {
		const struct problem *p = &c->p[i];
		if (!best || p->remedy < best->remedy ||
		    (p->remedy == best->remedy && p->sev > best->sev))
			best = p;
	}
	return best;
}

static bool fs_is_windows(const struct vctx *c)
{
	const struct volume *v = c->v->vol;

	if (v->ntfs && (v->ntfs->has_windows || v->ntfs->has_windows_dir))
		return true;
	/* a volume a BCD store starts Windows from */
	for (size_t i = 0; c->v->path && i < c->inv->ndisks; i++)
		for (size_t k = 0; k <= c->inv->disks[i].nparts; k++) {
			const struct volume *s = k < c->inv->disks[i].nparts ? &c->inv->disks[i].parts[k].vol
									     : &c->inv->disks[i].vol;
			for (size_t e = 0; s->bcd && e < s->bcd->n; e++)
				if (s->bcd->e[e].has_osdevice && s->bcd->e[e].osdevice.present &&
				    strcmp(s->bcd->e[e].osdevice.present, c->v->path) == 0)
					return true;
		}
	return false;
}

void verdict_of(const struct inventory *inv, const struct vol_ref *v, const struct check_memo *chk,
		struct verdict *out)
{
	struct vctx c = { .inv = inv, .v = v, .n = v->vol->ntfs, .chk = chk };
	const struct problem *first;
	char *cmd = NULL;

	memset(out, 0, sizeof(*out));
	c.dev = v->path ? xstrdup(v->path) : verdict_where(v);
	c.rescue = v->disk->role == DISK_ROLE_RESCUE;
	c.mounted = v->vol->use.nmountpoints > 0;
	c.busy = vol_busy(v);
	c.opens = c.n && c.n->opened;
	c.windows = fs_is_windows(&c);
	c.read_errors = (chk && chk->read_errors) ||
			(c.n && (c.n->bootcopies == NTFS_BOOT_UNREADABLE ||
				 c.n->mftmirr == NTFS_MIRR_UNREADABLE));
	out->checked = chk != NULL;

	other_problems(&c);
	if (c.n && !(v->part ? v->part->error : v->disk->error))
		ntfs_problems(&c);
	check_problems(&c);

	/* the findings, each with its own step */
	out->findings = xcalloc(c.np ? c.np : 1, sizeof(*out->findings));
	for (size_t i = 0; i < c.np; i++) {
		struct finding *f = &out->findings[out->nfindings++];
		char *fc = NULL;
		f->severity = c.p[i].sev;
		f->code = xstrdup(c.p[i].code);
		f->device = xstrdup(c.dev);
		f->message = xstrdup(c.p[i].message);
		f->action = step_for(&c, &c.p[i], &fc);
		free(fc);
		if (c.p[i].sev > out->severity)
			out->severity = c.p[i].sev;
		out->damaged |= c.p[i].damage;
	}
	/* the words: damage first (a narrow column must not hide it behind "dirty") */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < c.np; i++)
			if (c.p[i].damage == (pass == 0))
				str_add_word(&out->state, c.p[i].word);

	/* the state words: what is wrong, or what is known to be right, and how */
	if ((c.n || chk) && !out->damaged && (chk || !out->state)) {
		const char *known = chk ? "no errors (checked)" : "no problem seen";
		char *s = xasprintf("%s%s%s", known, out->state ? ", " : "", out->state ? out->state : "");
		free(out->state);
		out->state = s;
	}
	if (!out->state)
		out->state = xstrdup("-");

	first = first_problem(&c);
	if (first) {
		out->next = c.rescue ? NULL : step_for(&c, first, &cmd);	/* hands off */
		out->command = cmd;
		out->summary = xasprintf("%s%s", first->message,
					 chk || !c.n || !first->damage ? "" : " (seen by the quick look; "
					 "not checked)");
	} else if (c.n && chk) {
		out->summary = xstrdup(chk->summary ? chk->summary : "Checked: no errors.");
	} else if (c.n) {
		out->summary = xasprintf("No problem seen by the quick look; not checked.");
		if (v->path && !c.rescue && !c.busy) {
			out->command = xasprintf("winrescue check %s", v->path);
			out->next = xasprintf("Nothing needs doing; '%s' reads every MFT record if you "
					      "want to be sure.", out->command);
		}
	}
	for (size_t i = 0; i < c.np; i++) {
		free(c.p[i].word);
		free(c.p[i].message);
		free(c.p[i].own);
		free(c.p[i].cmd);
	}
	free(c.p);
	free(c.busy);
	free(c.dev);
}

char *verdict_step(const struct inventory *inv, const struct vol_ref *v,
		   const struct check_memos *memos, const char *code)
{
	struct verdict vd;
	char *next = NULL;

	verdict_of(inv, v, memos ? check_memos_find(memos, v) : NULL, &vd);
	for (size_t i = 0; i < vd.nfindings && !next; i++)
		if (strcmp(vd.findings[i].code, code) == 0)
			next = xstrdup(vd.findings[i].action);
	verdict_free(&vd);
	return next;
}

void findings_free(struct finding *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(f[i].code);
		free(f[i].device);
		free(f[i].message);
		free(f[i].action);
	}
	free(f);
}

void verdict_free(struct verdict *v)
{
	free(v->state);
	free(v->summary);
	free(v->next);
	free(v->command);
	findings_free(v->findings, v->nfindings);
	memset(v, 0, sizeof(*v));
}

size_t verdict_findings(const struct inventory *inv, const struct check_memos *memos,
			struct finding **out)
{
	struct vol_ref *all;
	size_t nall = target_all(inv, &all), n = 0;

	*out = NULL;
	for (size_t i = 0; i < nall; i++) {
		struct verdict vd;
		verdict_of(inv, &all[i], memos ? check_memos_find(memos, &all[i]) : NULL, &vd);
		if (vd.nfindings) {
			*out = xrealloc(*out, n + vd.nfindings, sizeof(**out));
			memcpy(*out + n, vd.findings, vd.nfindings * sizeof(**out));
			n += vd.nfindings;
			vd.nfindings = 0;	/* moved */
		}
		verdict_free(&vd);
	}
	free(all);
	if (inv->nfindings)
		*out = xrealloc(*out, n + inv->nfindings, sizeof(**out));
	for (size_t i = 0; i < inv->nfindings; i++) {
		struct finding *f = &(*out)[n++];
		const struct finding *g = &inv->findings[i];
		f->severity = g->severity;
		f->code = xstrdup(g->code);
		f->device = xstrdup(g->device);
		f->message = xstrdup(g->message);
		f->action = xstrdup(g->action);
	}
	return n;
}

/* ---- the checks of a session ---- */

static uint64_t serial_of(const struct vol_ref *v)
{
	return v->vol->ntfs ? v->vol->ntfs->serial : 0;
}

/* The quick look's state of a volume, in one number: what a check's memo is valid for. */
static uint64_t look_of(const struct vol_ref *v)
{
	const struct ntfs_state *n = v->vol->ntfs;
	uint64_t h = hash64(v->vol->fstype ? v->vol->fstype : "", v->vol->fstype ? strlen(v->vol->fstype)
			    : 0, HASH64_INIT);
	if (!n)
		return h;
	int f[] = { n->opened, (int)n->bootcopies, (int)n->mftmirr, (int)n->dirty, (int)n->hibernated,
		    (int)n->logfile, (int)n->nread_errors, n->has_windows, n->hidden_sectors != 0 ?
		    (int)n->hidden_sectors : -1, n->truncated };
	return hash64(f, sizeof(f), hash64(&n->serial, sizeof(n->serial), h));
}

void check_memo_of(const struct vol_ref *v, const struct fs_check *c, struct check_memo *m)
{
	memset(m, 0, sizeof(*m));
	m->device = xstrdup(v->path ? v->path : c->device);
	m->serial = serial_of(v);
	m->look = look_of(v);
	m->status = c->status;
	m->ntfs = c->checker && strcmp(c->checker, "winrescue") == 0;
	m->errors = m->ntfs ? c->rep.errors : c->status == ACT_ERRORS_LEFT;
	m->warnings = c->rep.warnings;
	m->by_fix = nc_count_errors(&c->rep, NC_REPAIR_FIX);
	m->read_errors = c->rep.io_errors > 0;	/* the device failed, as fix judges it */
	m->hibernated = c->rep.hibernated;
	m->logfile = (int)c->rep.logfile;
	m->dirty = c->rep.volume_flags_known ? (c->rep.volume_flags & 1) != 0 : -1;
	m->summary = xstrdup(c->summary);
}

void check_memo_free(struct check_memo *m)
{
	free(m->device);
	free(m->summary);
	memset(m, 0, sizeof(*m));
}

void verdict_of_check(const struct inventory *inv, const struct vol_ref *v, struct fs_check *c,
		      bool after_write)
{
	struct check_memo m;
	struct verdict vd;

	if (c->status == ACT_REFUSED)
		return;		/* cancelled or refused: nothing was learnt */
	check_memo_of(v, c, &m);
	m.after_write = after_write;
	verdict_of(inv, v, &m, &vd);
	free(c->state);
	free(c->next);
	free(c->command);
	c->state = vd.state;
	c->next = vd.next;
	c->command = vd.command;
	vd.state = vd.next = vd.command = NULL;
	verdict_free(&vd);
	check_memo_free(&m);
}

void check_memos_add(struct check_memos *ms, const struct vol_ref *v, const struct fs_check *c)
{
	struct check_memo m;

	if (!v->path || !c->device)
		return;
	check_memo_of(v, c, &m);
	for (size_t i = 0; i < ms->n; i++)
		if (strcmp(ms->m[i].device, m.device) == 0) {
			check_memo_free(&ms->m[i]);
			ms->m[i] = m;
			return;
		}
	ms->m = xrealloc(ms->m, ms->n + 1, sizeof(*ms->m));
	ms->m[ms->n++] = m;
}

const struct check_memo *check_memos_find(const struct check_memos *ms, const struct vol_ref *v)
{
	for (size_t i = 0; ms && v->path && i < ms->n; i++)
		if (strcmp(ms->m[i].device, v->path) == 0 && ms->m[i].serial == serial_of(v) &&
		    ms->m[i].look == look_of(v))
			return &ms->m[i];
	return NULL;
}

void check_memos_forget_disk(struct check_memos *ms, const struct inventory *inv, const char *device)
{
	size_t di, keep = 0;
	const struct partition *p;

	if (!device || !target_device_at(inv, device, &di, &p))
		return;
	for (size_t i = 0; i < ms->n; i++) {
		size_t dj;
		const struct partition *q;
		if (target_device_at(inv, ms->m[i].device, &dj, &q) && dj == di) {
			check_memo_free(&ms->m[i]);
			continue;
		}
		ms->m[keep++] = ms->m[i];
	}
	ms->n = keep;
}

void check_memos_free(struct check_memos *ms)
{
	for (size_t i = 0; i < ms->n; i++)
		check_memo_free(&ms->m[i]);
	free(ms->m);
	memset(ms, 0, sizeof(*ms));
}
