/*
 * bootchain.c - the boot chain from the firmware to the BCD store, judged
 * from one snapshot (diagnose.h: bootchain_diagnose, called by diagnose()).
 *
 * BIOS: the firmware runs the MBR's boot code, which starts the one active
 * partition's boot sector, whose code finds \bootmgr through the hidden
 * sectors field (BPB 0x1C: where the partition starts); bootmgr reads
 * \Boot\BCD. What breaks that chain, each a finding: no boot code (zeros,
 * or bytes that never read the disk), a lost 0x55AA (no one reads the table
 * then), no active partition or the flag on one without bootmgr, hidden
 * sectors that are not the partition's start (a disk moved or converted),
 * a damaged boot sector copy. Windows sets all of them right, and real boot
 * code of any loader counts as present: a disk Windows set up gives nothing.
 * fix-boot mends what d->chain lists, writing only those bytes.
 *
 * UEFI: the ESP, and on it \EFI\Microsoft\Boot\bootmgfw.efi (what the
 * firmware's boot entry starts) and \EFI\Boot\bootx64.efi (what firmware
 * without that entry starts); Windows RE's bcdboot puts them back.
 */
#include "actions/action.h"
#include "actions/diagnose.h"
#include "actions/verdict.h"
#include "probes/disk_layout.h"
#include "probes/mbr.h"
#include "lib/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool is_dos(const struct disk *d)
{
	return d->pttype && strcmp(d->pttype, "dos") == 0;
}

static bool is_gpt(const struct disk *d)
{
	return d->pttype && strcmp(d->pttype, "gpt") == 0;
}

static const struct partition *esp_of(const struct disk *d)
{
	for (size_t k = 0; k < d->nparts; k++)
		if (d->parts[k].role == PART_ROLE_ESP)
			return &d->parts[k];
	return NULL;
}

/* NTFS with \bootmgr and \Boot\BCD: what a BIOS disk's active partition must hold. */
static bool holds_bootmgr(const struct partition *p)
{
	return p->vol.ntfs && p->vol.ntfs->has_bootmgr && p->vol.ntfs->has_bcd;
}

/* The one partition of d holding bootmgr and a store, or NULL (none, or several). */
static const struct partition *system_partition(const struct disk *d)
{
	const struct partition *s = NULL;

	for (size_t k = 0; k < d->nparts; k++)
		if (!d->parts[k].container && d->parts[k].number <= 4 && holds_bootmgr(&d->parts[k])) {
			if (s)
				return NULL;
			s = &d->parts[k];
		}
	return s;
}

static size_t nactive(const struct disk *d)
{
	size_t n = 0;

	for (size_t k = 0; k < d->nparts; k++)
		n += d->parts[k].bootable;
	return n;
}

/* The active partition of d when its NTFS primary boot sector is damaged and the backup intact. */
static const struct partition *active_unreadable(const struct disk *d)
{
	for (size_t k = 0; k < d->nparts; k++) {
		const struct ntfs_state *n = d->parts[k].vol.ntfs;
		if (d->parts[k].bootable && n && !n->bs_primary_valid && n->bs_backup_valid)
			return &d->parts[k];
	}
	return NULL;
}

bool bootchain_says_no_store(const struct inventory *inv, size_t di)
{
	const struct disk *d = &inv->disks[di];

	if (is_gpt(d))
		return !esp_of(d);
	return is_dos(d) && !esp_of(d) &&
	       ((!nactive(d) && system_partition(d)) || active_unreadable(d));
}

bool diag_chain_doable(const struct diag_chain *c, bool mbr_code)
{
	return c->code || c->signature || c->active || c->nhidden || (mbr_code && c->code_unknown);
}

const char *bootchain_hidden_blocked(const struct partition *p)
{
	const struct ntfs_state *n = p->vol.ntfs;

	if (!n)
		return NULL;
	if (n->hibernated == TRI_YES)
		return "Windows is hibernated on it";
	if (n->opened && n->hibernated == TRI_UNKNOWN)
		return "whether Windows is hibernated on it cannot be told";
	if (n->logfile == NTFS_LOGFILE_FAST_RESTART)
		return "Windows was shut down with Fast Startup on it";
	if (n->logfile == NTFS_LOGFILE_UNCLEAN)
		return "its journal holds changes Windows has not written yet";
	return NULL;
}

/* Whether check_volume() judges p: the volumes of d's chain (see bootchain_mends_hidden). */
static bool in_chain(const struct disk *d, const struct partition *p)
{
	const struct partition *sys = system_partition(d), *act = NULL;

	if (!is_dos(d) || !p->vol.ntfs || !p->path || p->number > 4 || p->container)
		return false;
	for (size_t k = 0; k < d->nparts; k++)
		if (d->parts[k].bootable)
			act = &d->parts[k];
	return p == sys || p == act || p->vol.ntfs->has_windows;
}

bool bootchain_mends_hidden(const struct inventory *inv, size_t di, const struct partition *p)
{
	const struct disk *d = &inv->disks[di];

	return d->role != DISK_ROLE_RESCUE && system_partition(d) && in_chain(d, p) &&
	       !bootchain_hidden_blocked(p);
}

/* d's repairs, made on first use. */
static struct diag_chain *chain_for(struct diagnosis *dg, const struct inventory *inv, size_t di)
{
	for (size_t i = 0; i < dg->nchain; i++)
		if (dg->chain[i].disk_index == di)
			return &dg->chain[i];
	dg->chain = xrealloc(dg->chain, dg->nchain + 1, sizeof(*dg->chain));
	memset(&dg->chain[dg->nchain], 0, sizeof(*dg->chain));
	dg->chain[dg->nchain].disk_index = di;
	dg->chain[dg->nchain].disk = xstrdup(inv->disks[di].path);
	return &dg->chain[dg->nchain++];
}

/* An identity repair fix-boot would make first on this disk (it does one thing at a time). */
static bool identity_first(const struct diagnosis *dg, size_t di)
{
	for (size_t i = 0; i < dg->nrep; i++)
		if (dg->rep[i].disk_index == di && !dg->rep[i].refused)
			return true;
	return false;
}

/* The command that mends the chain of disk di, exactly. */
static char *fix_cmd(const struct diagnosis *dg, const struct disk *d, size_t di, const char *what)
{
	if (identity_first(dg, di))
		return xasprintf("'winrescue fix-boot %s' %s (run it twice: it puts the disk's identity "
				 "back first); an undo file keeps what it overwrites.", d->path, what);
	return xasprintf("'winrescue fix-boot %s' %s; an undo file keeps what it overwrites.", d->path,
			 what);
}

static void found(struct diagnosis *dg, enum diag_weight w, const char *code, const char *dev,
		  char *next, bool fixable, char *message)
{
	struct diag_finding *f = diag_add_text(dg, w, w == DIAG_BLOCKS ? SEV_ERROR : SEV_WARNING,
					       code, dev, next, message);
	f->fixable = fixable;
	free(next);
	free(message);
}

/* An MBR that lost its 0x55AA: neither the firmware nor the kernel reads its table. */
static void lost_signature(const struct inventory *inv, struct diagnosis *dg, size_t di)
{
	const struct disk *d = &inv->disks[di];
	char *list = xstrdup("");
	struct diag_chain *c;

	for (int i = 0; i < 4; i++) {
		const struct mbr_entry *e = &d->mbr.e[i];
		char *t;
		if (!e->type)
			continue;
		t = xasprintf("%s%s%d: type 0x%02x at sector %u, %s%s", list, *list ? "; " : "", i + 1,
			      e->type, e->lba, e->ntfs ? "NTFS" : "not NTFS",
			      e->status == MBR_STATUS_ACTIVE ? ", active" : "");
		free(list);
		list = t;
	}
	c = chain_for(dg, inv, di);
	c->signature = true;
	c->code = !mbr_code_boots(d->mbr.code);
	found(dg, DIAG_BLOCKS, "mbr-signature-missing", d->path,
	      fix_cmd(dg, d, di, "writes the two signature bytes back (only bytes 510-511 change)"), true,
	      xasprintf("The MBR of Disk %zu (%s) has lost its 0x55AA signature: neither the BIOS nor "
			"Linux reads its partition table any more, though it still names the "
			"partitions (%s). Windows cannot start (\"Missing operating system\" or no "
			"bootable device).", d->number, d->path, list));
	free(list);
}

/* The MBR's boot code: none, not code (blocks), unknown (a note). */
static void check_code(const struct inventory *inv, struct diagnosis *dg, size_t di)
{
	const struct disk *d = &inv->disks[di];
	enum mbr_code c = d->mbr.code;

	if (!d->mbr.read || c == MBR_CODE_UNREAD || (mbr_code_boots(c) && c != MBR_CODE_UNKNOWN))
		return;
	if (c == MBR_CODE_UNKNOWN) {
		chain_for(dg, inv, di)->code_unknown = true;
		found(dg, DIAG_NOTE, "mbr-code-unknown", d->path,
		      xasprintf("Nothing to do if this disk started with it before. If the BIOS stops "
				"at it (a prompt, an error, a blank screen), 'winrescue fix-boot %s "
				"--mbr-code' writes standard boot code that starts the active partition "
				"(an undo file keeps this one).", d->path), false,
		      xasprintf("The MBR of Disk %zu (%s) holds %s: it reads the disk, so it may be "
				"another boot loader's.", d->number, d->path, mbr_code_words(c)));
		return;
	}
	chain_for(dg, inv, di)->code = true;
	found(dg, DIAG_BLOCKS, "mbr-code-missing", d->path,
	      fix_cmd(dg, d, di, "writes standard boot code that starts the active partition (only "
		      "the first 440 bytes change, never the table or the disk signature)"), true,
	      xasprintf("The MBR of Disk %zu (%s) holds %s: the BIOS finds nothing to start, and "
			"Windows never begins to load (a blank screen, or \"no bootable device\").",
			d->number, d->path, mbr_code_words(c)));
}

/* The active flag: on the partition holding bootmgr, and on it alone. */
static void check_active(const struct inventory *inv, struct diagnosis *dg, size_t di,
			 const struct partition *sys)
{
	const struct disk *d = &inv->disks[di];
	size_t n = nactive(d);
	const struct partition *wrong = NULL;

	for (size_t k = 0; k < d->nparts; k++)
		if (d->parts[k].bootable && &d->parts[k] != sys)
			wrong = &d->parts[k];
	if (n == 1 && !wrong)
		return;
	if (!n) {
		if (!sys)
			return;	/* bcd-missing says it */
		chain_for(dg, inv, di)->active = sys->number;
		found(dg, DIAG_BLOCKS, "no-active-partition", d->path,
		      fix_cmd(dg, d, di, "marks it active (only the flag bytes of the table change)"),
		      true,
		      xasprintf("No partition of Disk %zu (%s) is marked active: the boot code finds "
				"nothing to start (\"Invalid partition table\" or \"Missing operating "
				"system\"). %s holds bootmgr and the BCD store.", d->number, d->path,
				sys->path ? sys->path : "partition 1"));
		return;
	}
	const char *wdev = wrong && wrong->path ? wrong->path : d->path;
	bool fix = sys && sys->number <= 4;
	char *next = fix ? fix_cmd(dg, d, di, n > 1 ? "leaves the flag on the partition holding "
				   "bootmgr alone (only the flag bytes of the table change)"
				   : "moves the flag to the partition holding bootmgr (only the flag "
				   "bytes of the table change)")
			 : xstrdup("Mark the partition holding bootmgr active from Windows RE "
				   "(diskpart: select partition, active), or rebuild the boot files "
				   "(bcdboot C:\\Windows /f BIOS).");
	if (fix)
		chain_for(dg, inv, di)->active = sys->number;
	found(dg, DIAG_BLOCKS, "active-without-bootmgr", wdev, next, fix,
	      xasprintf("%s%s is marked active on Disk %zu (%s), but it holds no bootmgr: the BIOS "
			"starts it and stops (%s).%s%s%s", wdev, n > 1 ? " (with others)" : "", d->number,
			d->path, n > 1 ? "\"Invalid partition table\": several are active"
			: "\"BOOTMGR is missing\" or \"A disk read error occurred\"",
			sys ? " " : "", sys && sys->path ? sys->path : "",
			sys ? " holds bootmgr and the BCD store." : ""));
}

/* The next step for a boot sector copy: the volume's own, as list's finding says it. */
static char *fix_volume_cmd(const struct inventory *inv, const struct diagnosis *dg, size_t di,
			    const struct partition *p)
{
	struct vol_ref r = target_ref(inv, di, p);
	char *next = verdict_step(inv, &r, dg->memos, "ntfs-bootsector-mismatch");

	return next ? next : xasprintf("'winrescue check %s' says what is wrong with it.", p->path);
}

/*
 * One NTFS volume of the chain: its hidden sectors (both copies), and its
 * boot sector copies as list judges them (ntfs-bootsector-mismatch), named
 * here with the weight they have for the boot. starts: the BIOS runs its
 * boot sector (the active partition).
 */
static void check_volume(const struct inventory *inv, struct diagnosis *dg, size_t di,
			 const struct partition *p, bool starts)
{
	const struct disk *d = &inv->disks[di];
	const struct ntfs_state *n = p->vol.ntfs;
	unsigned ss = d->log_sector ? d->log_sector : 512;
	uint64_t want = p->start / ss;

	if (!n || !p->path || p->number > 4 || p->container)
		return;
	bool bad_p = n->bs_primary_valid && n->hidden_sectors != want;
	bool bad_b = n->bs_backup_valid && n->hidden_sectors_backup != want;
	if (want <= UINT32_MAX && (bad_p || bad_b)) {
		/* the step is the volume's own (verdict.c): fix where one copy is right,
		 * fix-boot where it may write, why not where Windows left a session */
		struct vol_ref r = target_ref(inv, di, p);
		char *next = verdict_step(inv, &r, dg->memos, "ntfs-hidden-sectors");
		bool mends = bootchain_mends_hidden(inv, di, p);
		if (mends) {
			struct diag_chain *c = chain_for(dg, inv, di);
			if (c->nhidden < 4)
				c->hidden[c->nhidden++] = (struct diag_hidden){ p->number, p->start,
									       (uint32_t)want };
		}
		found(dg, starts ? DIAG_BLOCKS : DIAG_NOTE, "ntfs-hidden-sectors", p->path,
		      next ? next : fix_cmd(dg, d, di, "sets the field right in both copies of the "
					    "boot sector (4 bytes each)"), mends,
		      xasprintf("The %s of %s says the volume starts at sector %u (hidden sectors, BPB "
				"0x1C), but the partition starts at sector %llu, as after a disk is "
				"moved or converted%s.", bad_p && bad_b ? "boot sector and its backup"
				: bad_p ? "boot sector" : "backup boot sector", p->path,
				bad_p ? n->hidden_sectors : n->hidden_sectors_backup,
				(unsigned long long)want, starts ? ": its boot code reads bootmgr from "
				"the wrong place (\"A disk read error occurred\")" : "; Windows does not "
				"start from this volume, and chkdsk sets it right"));
	}
	if (n->bootsector_ok != TRI_NO || (n->bs_primary_valid && n->bs_backup_valid && !n->bs_differ_more))
		return;	/* intact, or only the hidden sectors differ (said above) */
	bool primary_bad = !n->bs_primary_valid;
	found(dg, primary_bad ? DIAG_BLOCKS : DIAG_NOTE, "ntfs-bootsector-mismatch", p->path,
	      n->bs_primary_valid || n->bs_backup_valid ? fix_volume_cmd(inv, dg, di, p)
	      : xstrdup("Neither copy is intact: copy the data off the volume first (testdisk can "
			"rebuild an NTFS boot sector)."), false,
	      xasprintf("%s: %s%s", p->path, n->bootsector_detail ? n->bootsector_detail
			: "the boot sector copies differ", primary_bad ? "; Windows cannot start "
			"from it until the primary is repaired." : "; Windows starts from the "
			"primary, which is intact."));
}

/* The BIOS chain of dos disk di, whose store is on sys (NULL: the one partition with bootmgr). */
static void bios_chain(const struct inventory *inv, struct diagnosis *dg, size_t di,
		       const struct partition *sys)
{
	const struct disk *d = &inv->disks[di];
	const struct partition *act = NULL;

	if (!sys)
		sys = system_partition(d);
	if (!sys && (act = active_unreadable(d))) {
		/* System Reserved's primary boot sector damaged: nothing on it can be read */
		check_volume(inv, dg, di, act, true);
		return;
	}
	if (!sys)
		return;	/* no bootmgr to start on this disk: bcd-missing says what is wrong */
	check_code(inv, dg, di);
	if (!d->mbr.signature && d->mbr.read)
		return;	/* a table read without its signature: not a BIOS disk after all */
	check_active(inv, dg, di, sys);
	for (size_t k = 0; k < d->nparts; k++)
		if (d->parts[k].bootable)
			act = &d->parts[k];
	if (sys && (!sys->vol.ntfs || !sys->vol.ntfs->has_bootmgr) && sys->vol.ntfs &&
	    sys->vol.ntfs->opened)
		found(dg, DIAG_BLOCKS, "bootmgr-missing", sys->path, xstrdup("Put the boot files back "
		      "from Windows RE: bcdboot C:\\Windows /s S: /f BIOS (S: the letter it has there)."),
		      false, xasprintf("%s holds the BCD store but no \\bootmgr: its boot sector stops "
		      "with \"BOOTMGR is missing\".", sys->path));
	for (size_t k = 0; k < d->nparts; k++) {
		const struct partition *p = &d->parts[k];
		bool starts = p == (sys ? sys : act);
		if (p->vol.ntfs && (starts || p == act || p->vol.ntfs->has_windows || p == sys))
			check_volume(inv, dg, di, p, starts);
	}
}

static const char *esp_words(enum esp_file f)
{
	return f == ESP_FILE_MISSING ? "is not there" : "is there but is not a program (empty or "
	       "damaged)";
}

/* The ESP a UEFI Windows starts from: its two boot loaders. */
static void uefi_chain(struct diagnosis *dg, const struct partition *esp)
{
	const struct volume *v = &esp->vol;
	bool mgr_bad = v->esp_bootmgfw == ESP_FILE_MISSING || v->esp_bootmgfw == ESP_FILE_NOT_PROGRAM;
	bool fb_bad = v->esp_fallback == ESP_FILE_MISSING || v->esp_fallback == ESP_FILE_NOT_PROGRAM;

	if (mgr_bad)
		found(dg, DIAG_BLOCKS, "bootmgfw-missing", esp->path,
		      xstrdup("Put the boot files back from Windows RE: bcdboot C:\\Windows /s S: /f "
			      "UEFI (S: the ESP's letter there, given with diskpart's assign)."), false,
		      xasprintf("\\EFI\\Microsoft\\Boot\\bootmgfw.efi on the EFI System Partition %s %s: "
				"the firmware's \"Windows Boot Manager\" entry starts nothing.",
				esp->path, esp_words(v->esp_bootmgfw)));
	if (fb_bad)
		found(dg, DIAG_NOTE, "fallback-loader-missing", esp->path,
		      xstrdup("Nothing to do while the firmware keeps its boot entry; bcdboot "
			      "C:\\Windows /s S: /f UEFI from Windows RE puts the fallback back."), false,
		      xasprintf("\\EFI\\Boot\\bootx64.efi on the EFI System Partition %s %s: firmware "
				"without a boot entry for Windows (a new VM, a reset NVRAM, the disk "
				"moved to another server) finds nothing to start.", esp->path,
				esp_words(v->esp_fallback)));
}

void bootchain_diagnose(const struct inventory *inv, struct diagnosis *dg)
{
	bool *done = xcalloc(inv->ndisks + 1, sizeof(*done));

	/* disks whose MBR lost its signature hold no partitions Windows could be seen on */
	for (size_t i = 0; i < inv->ndisks; i++)
		if (inv->disks[i].role != DISK_ROLE_RESCUE && inv->disks[i].mbr.lost_table) {
			lost_signature(inv, dg, i);
			done[i] = true;
		}
	for (size_t w = 0; w < dg->nwin; w++) {
		const struct diag_windows *win = &dg->win[w];
		size_t si = win->disk_index;
		const struct partition *sp = NULL;

		if (win->store_device && !target_device_at(inv, win->store_device, &si, &sp))
			continue;
		if (done[si] || inv->disks[si].role == DISK_ROLE_RESCUE)
			continue;
		done[si] = true;
		const struct disk *d = &inv->disks[si];
		if (sp && sp->role == PART_ROLE_ESP) {
			uefi_chain(dg, sp);
		} else if (!sp && is_gpt(d) && !esp_of(d)) {
			found(dg, DIAG_BLOCKS, "esp-missing", d->path,
			      xstrdup("Create an EFI System Partition and the boot files from Windows "
				      "RE (diskpart, then bcdboot C:\\Windows /s S: /f UEFI)."), false,
			      xasprintf("Disk %zu (%s) is a GPT disk without an EFI System Partition: "
					"UEFI firmware finds nothing to start Windows on %s with.", d->number,
					d->path, win->device));
		} else if (!sp && esp_of(d)) {
			uefi_chain(dg, esp_of(d));
		} else if (is_dos(d)) {
			bios_chain(inv, dg, si, sp);
		}
	}
	free(done);
}
