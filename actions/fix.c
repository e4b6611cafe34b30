/*
 * fix.c - `fix`: the repairs ntfsfix makes, made so that they cannot make
 * things worse.
 *
 * The plan comes from a full check (probes/ntfs_check.c) of the volume as
 * it is now: the boot sector from its intact copy, $MFTMirr from $MFT (or
 * a damaged $MFT record from its intact mirror copy), the journal reset
 * when it cannot be used or the person accepts losing it, Windows'
 * hibernated session discarded when accepted, and the dirty flag set so
 * that Windows runs chkdsk /f at its next start (or cleared on request).
 * Each of these is a list of byte ranges with their new contents, decided
 * before anything is written. Then, under the disk lock and with the
 * volume open O_EXCL: every range is saved into an undo file, which is
 * fsynced with its directory; only then are the ranges written, each one
 * synced before the next; then the volume is checked again.
 */
#include "actions/action.h"
#include "actions/undo.h"
#include "actions/verdict.h"
#include "lib/util.h"
#include "probes/ntfs_layout.h"
#include "probes/probes.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHUNK (1u << 20)
#define LOG_GRAIN (64u << 10)	/* a journal range is rewritten only where it is not 0xFF yet */

/* One range of the volume and what goes there. */
struct fix_write {
	struct undo_range r;	/* offset, length, hash of the new bytes, what */
	uint8_t *data;		/* the new bytes; NULL: r.len bytes of fill */
	uint8_t fill;
	uint64_t old_hash;	/* what the range held when the plan was made */
	size_t step;		/* the plan step it belongs to (0-based, after the undo step) */
};

struct fix_priv {
	struct nc_report before;
	struct fix_write *w;
	size_t nw;
	char **steps;		/* one per repair, in write order */
	size_t nsteps;
	char **warnings;
	size_t nwarnings;
	char *loss;
	char *undo_dir;
	uint64_t base;		/* where the volume starts in what is opened (IMAGE:N), else 0 */
	struct undo_area *areas;	/* what the repairs may write, from the structure read */
	size_t nareas;
};

static void fix_free_priv(void *p)
{
	struct fix_priv *f = p;

	nc_report_free(&f->before);
	for (size_t i = 0; i < f->nw; i++)
		free(f->w[i].data);
	free(f->w);
	strv_free(f->steps, f->nsteps);
	strv_free(f->warnings, f->nwarnings);
	free(f->loss);
	free(f->undo_dir);
	free(f->areas);
	free(f);
}

/*
 * A part of the volume a repair may write, as the structure it read places
 * it: recorded in the undo file, which refuses (then and at undo) a range
 * outside every one.
 */
static void declare(struct fix_priv *f, const char *kind, uint64_t off, uint64_t len)
{
	if (!len)
		return;
	f->areas = xrealloc(f->areas, f->nareas + 1, sizeof(*f->areas));
	f->areas[f->nareas++] = (struct undo_area){ kind, off, len };
}

static uint64_t fill_hash(uint8_t fill, uint64_t len)
{
	uint8_t buf[4096];
	uint64_t h = HASH64_INIT;

	memset(buf, fill, sizeof(buf));
	for (uint64_t done = 0; done < len; done += sizeof(buf))
		h = hash64(buf, len - done < sizeof(buf) ? (size_t)(len - done) : sizeof(buf), h);
	return h;
}

static void add_step(struct fix_priv *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_step(struct fix_priv *f, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	strv_add(&f->steps, &f->nsteps, s);
	free(s);
}

/* A range for the current step; data (owned from here on) or fill. */
static void add_write(struct fix_priv *f, uint64_t off, uint64_t len, uint8_t *data, uint8_t fill,
		      const char *what, uint64_t old_hash)
{
	struct fix_write *w;

	f->w = xrealloc(f->w, f->nw + 1, sizeof(*f->w));
	w = &f->w[f->nw++];
	memset(w, 0, sizeof(*w));
	w->r.off = off;
	w->r.len = len;
	w->r.what = what;
	w->r.new_hash = data ? hash64(data, (size_t)len, HASH64_INIT) : fill_hash(fill, len);
	w->data = data;
	w->fill = fill;
	w->old_hash = old_hash;
	w->step = f->nsteps - 1;
}

/* ---- the repairs, each planned from the check and the bytes as they are ---- */

/* Windows' session: its header page zeroed, so that Windows starts afresh instead of resuming. */
static int plan_hibernation(struct fix_priv *f, int fd, char **err)
{
	const struct nc_report *r = &f->before;
	uint8_t *old = xcalloc(1, r->hiberfil_len);
	int e = pread_all(fd, old, r->hiberfil_len, f->base + r->hiberfil_off);

	if (e) {
		/* never repair under a session Windows may still resume */
		*err = xasprintf("hiberfil.sys's header cannot be read (%s), so the hibernated "
				 "session cannot be discarded", strerror(-e));
		free(old);
		return -1;
	}
	declare(f, "hiberfil-header", r->hiberfil_off, r->hiberfil_len);
	add_step(f, "Discard Windows' hibernated session: zero the first %" PRIu32 " bytes of "
		 "hiberfil.sys (its header), so that Windows starts afresh instead of resuming",
		 r->hiberfil_len);
	add_write(f, r->hiberfil_off, r->hiberfil_len, NULL, 0, "hiberfil.sys header",
		  hash64(old, r->hiberfil_len, HASH64_INIT));
	free(old);
	return 0;
}

/*
 * The journal filled with 0xFF, as ntfsfix and ntfs-3g's ntfs_logfile_reset
 * leave it: Windows then starts a new one. Only the parts that are not
 * 0xFF already are rewritten (and saved).
 */
static int plan_logfile(struct fix_priv *f, int fd, const char *why, char **err)
{
	const struct nc_report *r = &f->before;
	uint64_t left = r->logfile_size;
	uint8_t *buf = xcalloc(1, LOG_GRAIN);
	uint32_t cluster = r->boot.geom.cluster;
	bool stepped = false;

	for (size_t i = 0; i < r->nlogfile_runs && left; i++) {
		const struct nc_run *run = &r->logfile_runs[i];
		uint64_t len = run->len * cluster;
		if (len > left)
			len = left;
		left -= len;
		if (run->lcn == NC_SPARSE)
			continue;
		declare(f, "logfile", run->lcn * cluster, len);
		for (uint64_t at = 0; at < len; at += LOG_GRAIN) {
			uint64_t off = run->lcn * cluster + at;
			size_t n = len - at < LOG_GRAIN ? (size_t)(len - at) : LOG_GRAIN, k;
			int e = pread_all(fd, buf, n, f->base + off);
			if (e) {
				*err = xasprintf("$LogFile cannot be read at byte %" PRIu64 ": %s", off,
						 strerror(-e));
				free(buf);
				return -1;
			}
			for (k = 0; k < n && buf[k] == 0xff; k++)
				;
			if (k == n)
				continue;
			if (!stepped) {
				char sz[16];
				size_human(r->logfile_size, sz, sizeof(sz));
				add_step(f, "Reset the journal ($LogFile, %s): fill it with 0xFF as ntfsfix "
					 "does (%s); Windows starts a new one", sz, why);
				stepped = true;
			}
			/* a range goes on where the last one ends */
			struct fix_write *last = f->nw ? &f->w[f->nw - 1] : NULL;
			if (last && !last->data && last->fill == 0xff && last->step == f->nsteps - 1 &&
			    last->r.off + last->r.len == off) {
				last->old_hash = hash64(buf, n, last->old_hash);
				last->r.len += n;
				memset(buf, 0xff, n);	/* FNV-1a goes on where it stopped */
				last->r.new_hash = hash64(buf, n, last->r.new_hash);
			} else {
				add_write(f, off, n, NULL, 0xff, "$LogFile", hash64(buf, n, HASH64_INIT));
			}
		}
	}
	free(buf);
	return 0;
}

static uint8_t *copy512(const uint8_t *src)
{
	uint8_t *d = xcalloc(1, 512);

	memcpy(d, src, 512);
	return d;
}

/* The other copy of the boot sector rewritten from the intact one. */
static void plan_boot(struct job *job, struct fix_priv *f, int fd, uint64_t size)
{
	const struct nb_verdict *b = &f->before.boot;
	uint32_t ss = b->geom.sector;
	uint8_t cur[512];

	declare(f, "boot-sector", 0, 512);
	if (b->chosen == 2) {
		add_step(f, "Write the intact backup boot sector (byte %" PRIu64 ") over the damaged "
			 "primary (sector 0)", b->backup_off);
		add_write(f, 0, 512, copy512(b->backup), 0, "primary boot sector",
			  hash64(b->primary, 512, HASH64_INIT));
		return;
	}
	/* two valid copies apart in their hidden sectors only: the one naming the
	 * volume's start is right (nb_hidden_side), never the other copied over it */
	const struct vol_ref *v = &job->targets[0];
	uint64_t start = v->part && ss ? v->part->start / ss : 0;
	if (b->chosen == 1 && b->backup_found && !b->backup_problems &&
	    nb_hidden_side(b->primary, b->backup, start) == 2) {
		/* only the field changes: the primary's boot code stays its own */
		uint8_t *nw = copy512(b->primary);
		memcpy(nw + NL_BS_HIDDEN_SECTORS, b->backup + NL_BS_HIDDEN_SECTORS, 4);
		add_step(f, "Write the hidden-sectors field of the backup boot sector (byte %" PRIu64
			 "), which names where the volume starts (sector %" PRIu64 "), into the "
			 "primary's", b->backup_off, start);
		add_write(f, 0, 512, nw, 0, "primary boot sector (hidden sectors)",
			  hash64(b->primary, 512, HASH64_INIT));
		return;
	}
	if (b->chosen != 1)
		return;
	/* where NTFS looks for the backup: the sector after the volume's last */
	uint64_t pos = b->geom.sectors * ss;
	if (pos + ss > size) {
		job_plan_warn(job, "The boot sector says the volume has %" PRIu64 " bytes, more than "
			      "the %" PRIu64 " there are: the backup boot sector cannot be written; "
			      "the partition or image was cut short.", pos + ss, size);
		return;
	}
	if (pread_all(fd, cur, 512, f->base + pos) != 0)
		return;
	declare(f, "boot-sector", pos, 512);
	struct nb_geometry g;
	if (nb_parse(cur, &g) == 0 && nb_same_fields(cur, b->primary))
		return;	/* intact and the same (boot code may differ: Windows does not mind) */
	add_step(f, "Write the primary boot sector over the %s backup (byte %" PRIu64 ")",
		 nb_parse(cur, &g) ? "damaged" : "differing", pos);
	add_write(f, pos, 512, copy512(b->primary), 0, "backup boot sector",
		  hash64(cur, 512, HASH64_INIT));
}

/* Set or clear the dirty flag in a copy of $Volume's record; false when it cannot be. */
static bool patch_dirty(uint8_t *raw, uint32_t rs, bool dirty)
{
	uint8_t *copy = xcalloc(1, rs), *f2 = xcalloc(1, rs), *vi;
	uint32_t vlen;
	bool ok = false;

	memcpy(copy, raw, rs);
	if (nb_record_sane(copy, rs) && nb_fixup(copy, rs) == NB_FIXUP_OK &&
	    (vi = nc_resident_value(copy, rs, NL_AT_VOLUME_INFORMATION, &vlen)) && vlen >= NL_VI_SIZE) {
		uint16_t flags = nl_le16(vi + NL_VI_FLAGS);
		flags = dirty ? flags | NL_VOLUME_DIRTY : flags & ~NL_VOLUME_DIRTY;
		if (flags != nl_le16(vi + NL_VI_FLAGS)) {
			nl_put16(vi + NL_VI_FLAGS, flags);
			nb_unfixup(copy, rs);
			/* what is written must pass its own checks, as Windows will run them */
			memcpy(f2, copy, rs);
			if (nb_fixup(f2, rs) == NB_FIXUP_OK && nb_record_sane(copy, rs)) {
				memcpy(raw, copy, rs);
				ok = true;
			}
		}
	}
	free(copy);
	free(f2);
	return ok;
}

/* Records [first, last] of an area, rewritten where new differs from old. */
static void add_records(struct fix_priv *f, uint64_t base, uint32_t rs, const uint8_t *old,
			const uint8_t *new, uint32_t n, const char *what)
{
	for (uint32_t i = 0; i < n;) {
		uint32_t j = i;
		if (!memcmp(old + (size_t)i * rs, new + (size_t)i * rs, rs)) {
			i++;
			continue;
		}
		while (j + 1 < n && memcmp(old + (size_t)(j + 1) * rs, new + (size_t)(j + 1) * rs, rs))
			j++;
		size_t len = (size_t)(j - i + 1) * rs;
		uint8_t *d = xcalloc(1, len);
		memcpy(d, new + (size_t)i * rs, len);
		add_write(f, base + (uint64_t)i * rs, len, d, 0, what,
			  hash64(old + (size_t)i * rs, len, HASH64_INIT));
		i = j + 1;
	}
}

/*
 * $MFT's first records and their mirror: each damaged copy from the intact
 * one ($MFT wins when both are intact and differ, as in chkdsk); then the
 * dirty flag in $Volume (record 3), in both copies.
 */
static int plan_mft(struct job *job, struct fix_priv *f, int fd, int dirty, char **err)
{
	const struct nb_geometry *g = &f->before.boot.geom;
	uint32_t rs = g->record, n = nb_mftmirr_records(g);
	uint64_t mft = g->mft_lcn * g->cluster, mirr = g->mftmirr_lcn * g->cluster;
	size_t len = (size_t)n * rs;
	uint8_t *om = xcalloc(1, len), *or = xcalloc(1, len), *nm, *nr;
	uint32_t to_mirr = 0, to_mft = 0, both_bad = 0;
	int e;

	if (!n || f->before.mirr.state == NB_MIRR_OUTSIDE) {
		free(om);
		free(or);
		return 0;
	}
	if ((e = pread_all(fd, om, len, f->base + mft)) || (e = pread_all(fd, or, len, f->base + mirr))) {
		*err = xasprintf("$MFT's first records or $MFTMirr cannot be read: %s", strerror(-e));
		free(om);
		free(or);
		return -1;
	}
	declare(f, "mft-records", mft, len);
	declare(f, "mftmirr-records", mirr, len);
	nm = xcalloc(1, len);
	nr = xcalloc(1, len);
	memcpy(nm, om, len);
	memcpy(nr, or, len);
	/* the checker's own judgement, record by record */
	for (uint32_t i = 0; i < n; i++) {
		uint8_t *a = nm + (size_t)i * rs, *b = nr + (size_t)i * rs;
		switch (nc_mirr_judge(a, b, rs, i, g->clusters)) {
		case NB_MIRR_OK:
			break;
		case NB_MIRR_DIFFER:	/* both intact: $MFT's is the one Windows used last */
		case NB_MIRR_MIRR_BAD:
			memcpy(b, a, rs);
			to_mirr++;
			break;
		case NB_MIRR_MFT_BAD:
			memcpy(a, b, rs);
			to_mft++;
			break;
		default:
			both_bad++;
		}
	}
	/* the dirty flag on top of the repaired records, so that each record is
	 * one range, saved as the disk holds it now */
	bool patched = false;
	if (dirty >= 0 && n > NL_FILE_VOLUME) {
		size_t at = (size_t)NL_FILE_VOLUME * rs;
		uint32_t vlen;
		uint8_t *cur = xcalloc(1, rs), *vi = NULL;
		memcpy(cur, nm + at, rs);
		if (nb_fixup(cur, rs) == NB_FIXUP_OK)
			vi = nc_resident_value(cur, rs, NL_AT_VOLUME_INFORMATION, &vlen);
		/* already as asked: nothing to write, nothing to warn about */
		bool already = vi && vlen >= NL_VI_SIZE &&
			       !!(nl_le16(vi + NL_VI_FLAGS) & NL_VOLUME_DIRTY) == (dirty > 0);
		free(cur);
		if (patch_dirty(nm + at, rs, dirty)) {
			memcpy(nr + at, nm + at, rs);
			patched = true;
		} else if (!already) {
			job_plan_warn(job, "The dirty flag cannot be %s: $Volume's record is damaged in "
				      "both copies%s.", dirty ? "set" : "cleared",
				      dirty ? ", so Windows will not run chkdsk by itself; run chkdsk /f "
				      "in Windows" : "");
		}
	}
	if (to_mirr)
		add_step(f, "Copy %" PRIu32 " record%s of $MFT over $MFTMirr (the mirror of its first "
			 "%" PRIu32 " records)", to_mirr, to_mirr == 1 ? "" : "s", n);
	if (to_mft)
		add_step(f, "Copy %" PRIu32 " intact record%s of $MFTMirr over the damaged one%s in "
			 "$MFT", to_mft, to_mft == 1 ? "" : "s", to_mft == 1 ? "" : "s");
	if (patched)
		add_step(f, dirty ? "Set the dirty flag in $Volume (record 3, in $MFT and $MFTMirr): "
			 "Windows runs chkdsk /f at its next start"
			 : "Clear the dirty flag in $Volume (record 3, in $MFT and $MFTMirr): Windows "
			 "will not run chkdsk at its next start");
	if (both_bad)
		job_plan_warn(job, "%" PRIu32 " of $MFT's first %" PRIu32 " records %s damaged in both "
			      "copies: only chkdsk /f can rebuild %s.", both_bad, n,
			      both_bad == 1 ? "is" : "are", both_bad == 1 ? "it" : "them");
	/* each record rewritten once, its old bytes as the disk holds them */
	add_records(f, mft, rs, om, nm, n, "$MFT records");
	add_records(f, mirr, rs, or, nr, n, "$MFTMirr records");
	free(om);
	free(or);
	free(nm);
	free(nr);
	return 0;
}

/* ---- the action ---- */

static char *fix_applies(const struct vol_ref *v, const struct inventory *inv,
			 const struct action_opts *opts)
{
	static const struct action_opts plain = { 0 };
	const struct action_opts *o = opts ? opts : &plain;
	const struct ntfs_state *n = v->vol->ntfs;
	bool hib, unclean;
	char *busy;

	(void)inv;
	if (v->disk->role == DISK_ROLE_RESCUE)
		return xstrdup("it is the rescue system's disk");
	if (!v->path)
		return xstrdup("the kernel has no device for it");
	if (!volume_is_ntfs(v->vol))
		return xstrdup("fix repairs NTFS only");
	if ((busy = vol_busy(v))) {
		free(busy);
		return xstrdup("it is in use: unmount it first");
	}
	/* what the inventory saw; the preflight decides on a full check */
	hib = n && (n->hibernated == TRI_YES || n->logfile == NTFS_LOGFILE_FAST_RESTART);
	unclean = n && n->logfile == NTFS_LOGFILE_UNCLEAN;
	if ((o->discard_hibernation || o->discard_journal) &&
	    !(o->discard_hibernation && hib) && !(o->discard_journal && unclean))
		return xstrdup("Windows left no hibernated session, Fast Startup state or unclean "
			       "journal on it: nothing to discard");
	if (hib && !o->discard_hibernation)
		return xstrdup("Windows is hibernated (or shut down with Fast Startup) on it: "
			       "repairing discards that session");
	if (unclean && !o->discard_journal)
		return xstrdup("its journal holds changes Windows has not written yet: repairing "
			       "discards them");
	return NULL;
}

static const struct action_variant fix_variants[] = {
	{ "Repair", "the boot sector, $MFTMirr and the dirty flag (Windows runs chkdsk at its "
	  "next start); every byte is saved first in an undo file", false, false, false, false },
	{ "Repair, discarding what Windows left unfinished",
	  "LOSS: the hibernated session (open programs, unsaved work), the Fast Startup state or "
	  "the journal's unwritten changes; Windows starts afresh", false, true, true, false },
	{ "Repair and clear the dirty flag",
	  "as Repair, but Windows will not run chkdsk at its next start", false, false, false, true },
	{ NULL, NULL, false, false, false, false },
};

static bool has_finding(const struct nc_report *r, const char *code)
{
	for (size_t i = 0; i < r->nfindings; i++)
		if (strcmp(r->findings[i].code, code) == 0)
			return true;
	return false;
}

/* Findings of sectors the device would not return (codes "*-unreadable"). */
static size_t count_unreadable(const struct nc_report *r)
{
	size_t n = 0;

	if (!r->io_errors)
		return 0;	/* reads outside a volume cut short are no failing disk */
	for (size_t i = 0; i < r->nfindings; i++)
		n += strstr(r->findings[i].code, "unreadable") != NULL;
	return n ? n : 1;
}

/* The refusals that only the person can lift, each stating its loss. */
static int state_refusals(struct job *job, const struct vol_ref *v, const struct nc_report *r)
{
	const struct action_opts *o = &job->opts;

	if (r->hibernated < 0)
		return job_result(job, ACT_REFUSED, "hibernation-unknown",
				  "Mount it read-only (winrescue mount) and copy the data off; "
				  "chkdsk /f in Windows can repair it.",
				  "Refused: %s has a hiberfil.sys that cannot be read, so whether "
				  "Windows is hibernated cannot be told; fix does not write to a "
				  "volume Windows may resume on.", v->path);
	if (r->hibernated > 0 && !o->discard_hibernation)
		return job_result(job, ACT_REFUSED, "hibernated",
				  "Resume Windows and shut it down fully (shutdown /s /t 0), or add "
				  "--discard-hibernation to accept the loss.",
				  "Refused: Windows is hibernated on %s. Repairing it discards the "
				  "hibernated session: the programs and documents that were open, "
				  "with their unsaved changes, are lost.", v->path);
	if (r->hibernated > 0 && !r->hiberfil_len)
		return job_result(job, ACT_REFUSED, "hibernation-unknown", NULL,
				  "Refused: Windows is hibernated on %s, but where hiberfil.sys's "
				  "header lies cannot be read, so the session cannot be discarded.",
				  v->path);
	if (r->logfile == NC_LOG_FAST_RESTART && !o->discard_hibernation)
		return job_result(job, ACT_REFUSED, "fast-startup",
				  "Start Windows and shut it down with shutdown /s /t 0 (a full "
				  "shutdown), or add --discard-hibernation to accept the loss.",
				  "Refused: Windows was shut down with Fast Startup on %s. Repairing "
				  "it discards the Fast Startup state: Windows then starts cold, and "
				  "changes it kept only in that state are lost.", v->path);
	if (r->logfile == NC_LOG_UNCLEAN && !o->discard_journal)
		return job_result(job, ACT_REFUSED, "journal-unclean",
				  "Start Windows once so that it replays its journal, or add "
				  "--discard-journal to accept the loss.",
				  "Refused: the journal ($LogFile) of %s holds changes Windows has not "
				  "yet written into the files. Resetting it loses them: files changed "
				  "in the last moments before Windows stopped may be left as they "
				  "were, or inconsistent.", v->path);
	return ACT_OK;
}

static int fix_preflight(struct job *job)
{
	const struct vol_ref *v;
	struct fix_priv *f;
	char *why = NULL, *err = NULL;
	int fd, st = ACT_OK, rc, dirty;

	if (job->ntargets != 1)
		return job_result(job, ACT_USAGE, "one-volume", NULL, "fix repairs one volume at a time.");
	v = &job->targets[0];
	if ((rc = job_refuse_unwritable(job, v, "repaired")) != ACT_OK)
		return rc;
	if (!v->path)
		return job_result(job, ACT_FAILED, "no-device", NULL, "%s has no device node.",
				  vol_name(v));
	if (!volume_is_ntfs(v->vol))
		return job_result(job, ACT_USAGE, "not-ntfs",
				  "For other file systems run their own checker (e2fsck -p, fsck.fat "
				  "-a) after copying the data off.",
				  "%s: fix repairs NTFS; this is %s.", v->path,
				  v->vol->fstype ? v->vol->fstype : "no file system winrescue knows");
	if ((rc = job_refuse_undo_dir(job)) != ACT_OK)
		return rc;
	f = job->priv = xcalloc(1, sizeof(*f));
	f->undo_dir = xstrdup(undo_dir_of(&job->opts));
	if ((fd = vol_open_exclusive(v, O_RDONLY, &why, &st)) < 0) {
		rc = job_result(job, st, st == ACT_REFUSED ? "in-use" : "unreadable", NULL, "%s", why);
		free(why);
		return rc;
	}
	f->base = v->offset;
	/* the planning check parses the untrusted volume: in a confined worker */
	rc = nc_check_confined(fd, v->offset, vol_size(v), v->path, NULL, &f->before);
	if (rc != 0) {
		close(fd);
		return job_result(job, ACT_OPERATIONAL, "check-failed", NULL,
				  "%s could not be checked, so no repair can be planned: %s.", v->path,
				  f->before.op_error ? f->before.op_error : "unknown error");
	}
	const struct nc_report *r = &f->before;
	if (r->boot.chosen == 0) {
		close(fd);
		return job_result(job, ACT_ERRORS_LEFT, "no-boot-sector",
				  "Copy what can be read with a raw imaging tool (ddrescue) first; "
				  "testdisk can rebuild an NTFS boot sector.",
				  "%s: neither copy of the boot sector is intact; fix cannot tell where "
				  "the volume's structures are.", v->path);
	}
	size_t unreadable = count_unreadable(r);
	if (unreadable) {
		close(fd);
		return job_result(job, ACT_REFUSED, "read-errors",
				  "Copy the disk with ddrescue onto a healthy one first and repair the "
				  "copy; 'winrescue check' names what could not be read.",
				  "Refused: %s returned read errors (%zu finding%s of data that cannot "
				  "be read): writing to a failing disk can lose what is still readable.",
				  v->path, unreadable, unreadable == 1 ? "" : "s");
	}
	if ((rc = state_refusals(job, v, r)) != ACT_OK) {
		close(fd);
		return rc;
	}
	if (r->hibernated > 0 && plan_hibernation(f, fd, &err) < 0)
		goto failed;
	const char *log_why = r->logfile == NC_LOG_UNCLEAN ? "discarding the changes not yet written"
		: r->logfile == NC_LOG_FAST_RESTART ? "discarding the Fast Startup state"
		: r->logfile == NC_LOG_UNKNOWN && has_finding(r, "logfile-damaged")
		? "its restart pages are damaged: Windows cannot use it" : NULL;
	if (log_why && plan_logfile(f, fd, log_why, &err) < 0)
		goto failed;
	plan_boot(job, f, fd, vol_size(v));
	/* chkdsk's work is left to chkdsk: the dirty flag makes Windows run it */
	size_t chk = nc_count_errors(r, NC_REPAIR_CHKDSK);
	dirty = job->opts.clear_dirty ? 0 : (f->nw || chk || nc_count_errors(r, NC_REPAIR_FIX)) ? 1 : -1;
	if (plan_mft(job, f, fd, dirty, &err) < 0)
		goto failed;
	close(fd);
	if (chk)
		job_plan_warn(job, "%zu error%s need%s Windows' chkdsk /f, which fix does not do%s; "
			      "copy the data off first.", chk, chk == 1 ? "" : "s", chk == 1 ? "s" : "",
			      job->opts.clear_dirty ? " (and --clear-dirty keeps Windows from running it)"
			      : ": the dirty flag makes Windows run it at its next start, if it starts; "
			      "else run chkdsk /f from Windows RE");
	if (job->opts.discard_hibernation && r->hibernated > 0)
		str_add_word(&f->loss, "Windows' hibernated session (open programs and unsaved work)");
	if (job->opts.discard_hibernation && r->logfile == NC_LOG_FAST_RESTART)
		str_add_word(&f->loss, "Windows' Fast Startup state (it starts cold)");
	if (job->opts.discard_journal && r->logfile == NC_LOG_UNCLEAN)
		str_add_word(&f->loss, "the journal's changes not yet written into the files");
	return ACT_OK;
failed:
	close(fd);
	rc = job_result(job, ACT_OPERATIONAL, "unreadable", NULL, "%s: %s; nothing was written.",
			v->path, err);
	free(err);
	return rc;
}

static void fix_plan(struct job *job)
{
	struct fix_priv *f = job->priv;
	const struct vol_ref *v = &job->targets[0];
	uint64_t bytes = 0;
	char sz[16];

	for (size_t i = 0; i < f->nw; i++)
		bytes += f->w[i].r.len;
	if (!f->nw) {
		job_plan_step(job, "Nothing to repair on %s: %s", v->path,
			      f->before.errors ? "what is wrong needs Windows' chkdsk /f"
					       : "its boot sectors, $MFTMirr, journal and flags are sound");
		job->plan.writes = false;
		job->plan.confirm = false;
		return;
	}
	job_plan_step(job, "Save the %zu range%s about to be overwritten (%s) into a new undo file in "
		      "%s, synced to disk before the first write", f->nw, f->nw == 1 ? "" : "s",
		      size_human(bytes, sz, sizeof(sz)), f->undo_dir);
	for (size_t i = 0; i < f->nsteps; i++)
		job_plan_step(job, "%s", f->steps[i]);
	job_plan_step(job, "Check %s again and report what is left", v->path);
	if (f->loss)
		job->plan.loss = xstrdup(f->loss);
	job->plan.writes = true;
	job->plan.confirm = true;
	job->plan.confirm_word = xstrdup(vol_name(v));
}

/* Write one planned range (base: the volume's start in fd), in chunks, then make sure it is on the disk. 0 or errno. */
static int write_range(int fd, uint64_t base, const struct fix_write *w)
{
	uint8_t *fill = NULL;
	int e = 0;

	if (!w->data) {
		fill = xcalloc(1, CHUNK);
		memset(fill, w->fill, CHUNK);
	}
	for (uint64_t done = 0; done < w->r.len && !e; done += CHUNK) {
		size_t n = w->r.len - done < CHUNK ? (size_t)(w->r.len - done) : CHUNK;
		e = -pwrite_all(fd, w->data ? w->data + done : fill, n, base + w->r.off + done);
	}
	free(fill);
	if (!e && fdatasync(fd) < 0)
		e = errno;
	return e;
}

/* undo_save()'s progress: a tick of the step running. */
static void tick_job(void *data, size_t done, size_t n)
{
	job_tick(data, done, n);
}

static int fix_run(struct job *job)
{
	struct fix_priv *f = job->priv;
	const struct vol_ref *v = &job->targets[0];
	struct action_result *res = &job->res;
	struct undo_range *ranges;
	uint64_t *olds;
	struct undo_writer uw;
	char *why = NULL, *err = NULL;
	int fd, st = ACT_OK, rc;

	if (!f->nw) {
		/* what the check before the plan found: the verdict says what to do with it */
		struct fs_check c = { .device = (char *)v->path, .checker = (char *)"winrescue",
				      .rep = f->before,
				      .status = f->before.errors ? ACT_ERRORS_LEFT : ACT_OK };
		verdict_of_check(job->inv, v, &c, false);
		rc = job_result(job, c.status, "nothing-to-fix", c.next,
				"%s: nothing for fix to repair; nothing was written.", v->path);
		free(c.state);
		free(c.next);
		free(c.command);
		return rc;
	}
	/* every write inside the volume (a partition of an image: never beyond it) */
	for (size_t i = 0; i < f->nw; i++)
		if (f->w[i].r.off > vol_size(v) || f->w[i].r.len > vol_size(v) - f->w[i].r.off)
			return job_result(job, ACT_OPERATIONAL, "outside-volume", NULL,
					  "%s: the repair of the %s would write beyond the end of the "
					  "volume (byte %" PRIu64 " of %" PRIu64 "); nothing was written.",
					  v->path, f->w[i].r.what, f->w[i].r.off + f->w[i].r.len,
					  vol_size(v));
	if ((fd = vol_open_exclusive(v, O_RDWR, &why, &st)) < 0) {
		rc = job_result(job, st, st == ACT_REFUSED ? "in-use" : "unwritable", NULL, "%s", why);
		free(why);
		return rc;
	}
	/* 1: everything that will be overwritten, into the undo file, synced */
	if (!job_step(job, "%s", job->plan.steps[0])) {
		close(fd);
		return job_result(job, ACT_REFUSED, "cancelled", NULL, "Cancelled; nothing was written.");
	}
	ranges = xcalloc(f->nw, sizeof(*ranges));
	olds = xcalloc(f->nw, sizeof(*olds));
	for (size_t i = 0; i < f->nw; i++) {
		ranges[i] = f->w[i].r;
		olds[i] = f->w[i].old_hash;
	}
	struct undo_bind bind = { f->areas, f->nareas, undo_identity(v, NULL) };
	rc = undo_save_at(&uw, f->undo_dir, vol_name(v), "fix", v->path, vol_size(v), job->id,
			  &bind, v->file, v->offset, ranges, olds, f->nw, fd, tick_job, job, &err);
	json_object_put(bind.target);
	free(ranges);
	free(olds);
	if (rc != 0) {
		close(fd);
		rc = job_result(job, ACT_OPERATIONAL, "undo-failed", NULL,
				"Nothing was written to %s: %s.", v->path, err);
		free(err);
		return rc;
	}
	res->undo_file = uw.path;
	uw.path = NULL;
	/* 2: the repairs; no cancelling from here: a half-made repair helps nobody */
	size_t step = (size_t)-1;
	for (size_t i = 0; i < f->nw; i++) {
		int e;
		if (f->w[i].step != step) {
			step = f->w[i].step;
			job->cancel = NULL;	/* job_step() reports nothing once cancelled */
			job_step(job, "%s", job->plan.steps[1 + step]);
		}
		if ((e = write_range(fd, f->base, &f->w[i]))) {
			bool back = undo_rollback(res->undo_file, fd, i);
			close(fd);
			return job_result(job, ACT_OPERATIONAL, "write-failed",
					  "The device fails to write: copy it with ddrescue before anything "
					  "else, and repair the copy.",
					  "Writing %s at byte %" PRIu64 " of %s failed: %s. %s", f->w[i].r.what,
					  f->w[i].r.off, v->path, strerror(e), back
					  ? "What was written is put back: the volume is as it was."
					  : "Putting back what was written failed too: the volume is partly "
					    "repaired; the undo file holds what was there before.");
		}
		res->bytes_written += f->w[i].r.len;
	}
	/* 3: what is left, as check sees it */
	job_step(job, "%s", job->plan.steps[job->plan.nsteps - 1]);
	res->checks = xcalloc(1, sizeof(*res->checks));
	struct fs_check *c = &res->checks[res->nchecks++];
	double t0 = monotonic_s();
	c->device = xstrdup(v->path);
	c->fstype = xstrdup("ntfs");
	c->checker = xstrdup("winrescue");
	c->size = vol_size(v);
	/* the worker gets the volume read-only: never the descriptor fix wrote through */
	char self[48];
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	int rfd = open(self, O_RDONLY | O_CLOEXEC);
	close(fd);
	if (rfd < 0) {
		c->rep.op_error = xasprintf("%s cannot be opened again to read: %s", v->path,
					    strerror(errno));
		rc = -1;
	} else {
		rc = nc_check_confined(rfd, v->offset, c->size, v->path, NULL, &c->rep);
		close(rfd);
	}
	c->seconds = monotonic_s() - t0;
	if (rc != 0) {
		c->status = ACT_OPERATIONAL;
		c->summary = xasprintf("%s could not be checked after the repair: %s.", v->path,
				       c->rep.op_error ? c->rep.op_error : "unknown error");
		return job_result(job, ACT_OPERATIONAL, "check-failed", NULL,
				  "%s was repaired (undo file %s) but could not be checked again.",
				  v->path, res->undo_file);
	}
	c->status = c->rep.errors ? ACT_ERRORS_LEFT : ACT_OK;
	bool dirty = c->rep.volume_flags_known && (c->rep.volume_flags & 1);
	c->summary = c->rep.errors
		? xasprintf("%s after the repair: %zu error%s left for chkdsk /f.", v->path,
			    c->rep.errors, c->rep.errors == 1 ? "" : "s")
		: dirty ? xasprintf("%s after the repair: NTFS has no errors%s; it is marked dirty, so "
				    "Windows runs chkdsk at its next start.", v->path,
				    c->rep.warnings ? " (warnings remain)" : "")
		: xasprintf("%s after the repair: NTFS has no errors%s.", v->path,
			    c->rep.warnings ? " (warnings remain)" : "");
	verdict_of_check(job->inv, v, c, true);	/* the look predates the repair */
	if (c->rep.errors)
		return job_result(job, ACT_ERRORS_LEFT, "errors-left", c->next,
				  "%s: repaired what fix can (%zu range%s rewritten); %zu error%s left "
				  "for chkdsk /f. Undo file: %s.", v->path, f->nw, f->nw == 1 ? "" : "s",
				  c->rep.errors, c->rep.errors == 1 ? "" : "s", res->undo_file);
	return job_result(job, ACT_CORRECTED, "corrected", c->next,
			  "%s repaired (%zu range%s rewritten). Undo file: %s ('winrescue undo' on it "
			  "puts the old bytes back).", v->path, f->nw, f->nw == 1 ? "" : "s",
			  res->undo_file);
}

const struct action action_fix = {
	.name = "fix",
	.label = "Fix (like ntfsfix, undoable)",
	.key = 'f',
	.risk = RISK_WRITES_FS,
	.takes_files = true,
	.variants = fix_variants,
	.applies = fix_applies,
	.preflight = fix_preflight,
	.plan = fix_plan,
	.run = fix_run,
	.free_priv = fix_free_priv,
};
