/*
 * undo.c - `undo FILE [VOL]`: put back, byte for byte, what an action
 * overwrote, from the undo file it wrote first (undo.h).
 *
 * Each saved range is judged as the volume holds it now: still what the
 * action wrote (restore it), already the saved bytes (a restore or a cut
 * power before that write: nothing to do), or something else (changed
 * since: the whole undo is refused, since restoring would overwrite newer
 * data). The saved bytes are checked against their hash before use.
 */
#include "actions/action.h"
#include "actions/undo.h"
#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHUNK (1u << 20)

struct undo_priv {
	struct undo_file u;
	size_t *todo;		/* extents still holding what the action wrote */
	size_t ntodo;
	size_t already;		/* extents holding the saved bytes already */
	uint64_t bytes;		/* of the extents to restore */
};

static void undo_free_priv(void *p)
{
	struct undo_priv *u = p;

	undo_close(&u->u);
	free(u->todo);
	free(u);
}

static int undo_resolve(struct job *job, const char *spec)
{
	struct undo_priv *p = job->priv = xcalloc(1, sizeof(struct undo_priv));
	const char *dev;
	char *err = NULL;
	int rc;

	p->u.fd = -1;
	if ((rc = undo_open(spec, &p->u, &err)) == UNDO_OLD_FORMAT) {
		rc = job_result(job, ACT_REFUSED, "untrusted-undo-file",
				"Read the file and put its bytes back by hand if they must go back "
				"(winrescue(8), UNDO FILES); or check the volume and repair it again.",
				"%s.", err);
		free(err);
		return rc;
	}
	if (rc == UNDO_UNTRUSTED) {
		/* err says what is wrong and that nothing was written */
		rc = job_result(job, ACT_REFUSED, "untrusted-undo-file",
				"Use an undo file where winrescue wrote it, in an undo directory of "
				"root's that nobody else can write to (winrescue(8), UNDO FILES).",
				"%s.", err);
		free(err);
		return rc;
	}
	if (rc < 0) {
		rc = job_result(job, ACT_FAILED, "bad-undo-file",
				"Name a file that fix or fix-boot wrote; it printed the path (also in the audit "
				"log's result records, as undo_file).", "%s.", err);
		free(err);
		return rc;
	}
	dev = job->opts.device ? job->opts.device : p->u.device;
	if (p->u.action && strcmp(p->u.action, "fix-boot") == 0) {
		/* fix-boot wrote a whole disk's partition table */
		struct vol_ref v;
		char *why = NULL;
		rc = target_resolve_disk(job->inv, dev, &v, &why);
		if (rc == ACT_OK) {
			job->targets = xcalloc(1, sizeof(*job->targets));
			job->targets[job->ntargets++] = v;
		} else if (job->opts.device) {
			rc = job_result(job, ACT_USAGE, "unknown-disk",
					"fix-boot wrote a whole disk's partition table: name the disk "
					"('winrescue list' shows them).", "%s.", why);
		}
		free(why);
	} else {
		rc = job_resolve_spec(job, dev, NULL);
	}
	if (rc != ACT_OK && !job->opts.device)
		return job_result(job, rc, "volume-missing",
				  "Device names can change after a restart: name the volume as the "
				  "second argument ('winrescue undo FILE VOL'); undo checks that it "
				  "holds what was written.",
				  "The volume %s names, %s, is not here.", spec, p->u.device);
	return rc;
}

/* Whether the saved bytes of extent x are intact: 0, or -errno / -EBADMSG. */
static int saved_intact(const struct undo_file *u, const struct undo_extent *x)
{
	uint64_t h;
	int e = undo_hash_range(u->fd, x->data_pos, x->len, &h);

	return e ? e : h == x->old_hash ? 0 : -EBADMSG;
}

static int undo_preflight(struct job *job)
{
	struct undo_priv *p = job->priv;
	const struct undo_file *u = &p->u;
	const struct vol_ref *v;
	char *why = NULL;
	int fd, st = ACT_OK, rc = ACT_OK;

	if (job->ntargets != 1)
		return job_result(job, ACT_USAGE, "one-volume", NULL, "undo restores one volume.");
	v = &job->targets[0];
	if ((rc = job_refuse_unwritable(job, v, "restored")) != ACT_OK)
		return rc;
	if (!v->path)
		return job_result(job, ACT_FAILED, "no-device", NULL, "%s has no device node.",
				  vol_name(v));
	if (vol_size(v) != u->device_size) {
		char a[16], b[16], *next;
		bool disk = u->action && strcmp(u->action, "fix-boot") == 0;
		next = xasprintf("Device names can change after a restart: name the %s it was made "
				 "on ('winrescue undo FILE %s'; 'winrescue list' shows the sizes).",
				 disk ? "disk" : "volume", disk ? "DISK" : "VOL");
		rc = job_result(job, ACT_REFUSED, "other-volume", next,
				"Refused: %s holds %s (%" PRIu64 " bytes), the %s %s was made on held "
				"%s (%" PRIu64 " bytes): not the same %s.", v->path,
				size_human(vol_size(v), a, sizeof(a)), vol_size(v),
				disk ? "disk" : "volume", u->path,
				size_human(u->device_size, b, sizeof(b)), u->device_size,
				disk ? "disk" : "volume");
		free(next);
		return rc;
	}
	/* a partition of the same image that starts elsewhere now: the table changed */
	if (u->image && v->file && strcmp(u->image, v->file) == 0 && u->offset != v->offset)
		return job_result(job, ACT_REFUSED, "other-volume",
				  "Put the partition table back as it was first; nothing was written.",
				  "Refused: %s starts at byte %" PRIu64 " of %s now; %s was made when it "
				  "started at byte %" PRIu64 ".", v->path, v->offset, v->file, u->path,
				  u->offset);
	/* the very target it was written for, not another of its size */
	char *differs = undo_identity_differs(u->target, v);
	if (differs) {
		rc = job_result(job, ACT_REFUSED, "other-target",
				"Name the volume or disk it was made on ('winrescue undo FILE VOL'); "
				"undo in the reverse order of the repairs. Nothing was written.",
				"Refused: %s is not what %s was made for: %s.", v->path, u->path, differs);
		free(differs);
		return rc;
	}
	/* the saved ranges are the volume's: wherever it starts on what is opened */
	p->u.base = v->offset;
	if ((fd = vol_open_exclusive(v, O_RDONLY, &why, &st)) < 0) {
		rc = job_result(job, st == ACT_REFUSED ? ACT_REFUSED : ACT_FAILED,
				st == ACT_REFUSED ? "in-use" : "unreadable", NULL, "%s", why);
		free(why);
		return rc;
	}
	p->todo = xcalloc(u->n ? u->n : 1, sizeof(*p->todo));
	for (size_t i = 0; i < u->n && rc == ACT_OK; i++) {
		const struct undo_extent *x = &u->ext[i];
		uint64_t h;
		int e = saved_intact(u, x);
		if (e) {
			rc = job_result(job, ACT_FAILED, "undo-damaged", NULL,
					"%s is damaged: the bytes saved for %" PRIu64 "-%" PRIu64 " %s; "
					"nothing was written.", u->path, x->off, x->off + x->len - 1,
					e == -EBADMSG ? "do not match their checksum"
						      : "cannot be read");
		} else if ((e = undo_hash_range(fd, u->base + x->off, x->len, &h))) {
			rc = job_result(job, ACT_FAILED, "unreadable", NULL,
					"%s cannot be read at bytes %" PRIu64 "-%" PRIu64 ": %s; nothing "
					"was written.", v->path, x->off, x->off + x->len - 1, strerror(-e));
		} else if (h == x->new_hash) {
			p->todo[p->ntodo++] = i;
			p->bytes += x->len;
		} else if (h == x->old_hash) {
			p->already++;
		} else {
			rc = job_result(job, ACT_REFUSED, "changed-since",
					"Copy the data off first; the volume was written to after the "
					"action this file undoes.",
					"Refused: %s changed since %s wrote bytes %" PRIu64 "-%" PRIu64
					" (%s); putting the old bytes back would overwrite newer data. "
					"Nothing was written.", v->path, u->action, x->off,
					x->off + x->len - 1, u->created ? u->created : "at an unknown time");
		}
	}
	close(fd);
	return rc;
}

static void undo_plan(struct job *job)
{
	struct undo_priv *p = job->priv;
	const struct vol_ref *v = &job->targets[0];
	char sz[16];

	if (!p->ntodo) {
		job_plan_step(job, "Nothing to restore: %s already holds the %zu saved range%s of %s",
			      v->path, p->u.n, p->u.n == 1 ? "" : "s", p->u.path);
		job->plan.writes = false;
		job->plan.confirm = false;
		return;
	}
	job_plan_step(job, "Write back %zu saved range%s (%s) from %s onto %s, as they were before "
		      "the %s of %s", p->ntodo, p->ntodo == 1 ? "" : "s",
		      size_human(p->bytes, sz, sizeof(sz)), p->u.path, v->path, p->u.action,
		      p->u.created ? p->u.created : "an unknown time");
	/* every byte it will write, where: one step each */
	for (size_t i = 0; i < p->ntodo; i++) {
		const struct undo_extent *x = &p->u.ext[p->todo[i]];
		job_plan_step(job, "Write bytes %" PRIu64 "-%" PRIu64 " of %s (%" PRIu64 " bytes at "
			      "offset %" PRIu64 "%s%s)", x->off, x->off + x->len - 1, v->path, x->len,
			      x->off, x->what ? ": " : "", x->what ? x->what : "");
	}
	if (p->already)
		job_plan_warn(job, "%zu range%s already hold%s the saved bytes (the %s stopped before "
			      "writing %s, or was partly undone).", p->already,
			      p->already == 1 ? "" : "s", p->already == 1 ? "s" : "", p->u.action,
			      p->already == 1 ? "it" : "them");
	job_plan_warn(job, "Only the saved ranges go back: what was written to %s since in other "
		      "places (files through a read-write mount) stays as it is now.", v->path);
	job_plan_step(job, "Check that every saved range of %s holds its saved bytes again", v->path);
	job->plan.writes = true;
	job->plan.confirm = true;
	job->plan.confirm_word = xstrdup(vol_name(v));
}

static int undo_run(struct job *job)
{
	struct undo_priv *p = job->priv;
	const struct undo_file *u = &p->u;
	const struct vol_ref *v = &job->targets[0];
	char *why = NULL, sz[16];
	int fd, st = ACT_OK, rc;

	if (!p->ntodo)
		return job_result(job, ACT_OK, "nothing-to-undo", NULL,
				  "%s already holds what %s saved; nothing was written.", v->path, u->path);
	if ((fd = vol_open_exclusive(v, O_RDWR, &why, &st)) < 0) {
		rc = job_result(job, st == ACT_REFUSED ? ACT_REFUSED : ACT_FAILED,
				st == ACT_REFUSED ? "in-use" : "unwritable", NULL, "%s", why);
		free(why);
		return rc;
	}
	if (!job_step(job, "%s", job->plan.steps[0])) {
		close(fd);
		return job_result(job, ACT_REFUSED, "cancelled", NULL, "Cancelled; nothing was written.");
	}
	/* the same judgement again, now that the volume is ours: it may have been
	 * mounted and written while the plan waited for its confirmation */
	for (size_t i = 0; i < p->ntodo; i++) {
		const struct undo_extent *x = &u->ext[p->todo[i]];
		uint64_t h, hs;
		if (undo_hash_range(fd, u->base + x->off, x->len, &h) || h != x->new_hash ||
		    undo_hash_range(u->fd, x->data_pos, x->len, &hs) || hs != x->old_hash) {
			close(fd);
			return job_result(job, ACT_REFUSED, "changed-since", NULL,
					  "Refused: %s or %s changed at bytes %" PRIu64 "-%" PRIu64
					  " since the plan was made; nothing was written.", v->path,
					  u->path, x->off, x->off + x->len - 1);
		}
	}
	job->cancel = NULL;	/* from the first write on, every range goes back */
	for (size_t i = 0; i < p->ntodo; i++) {
		const struct undo_extent *x = &u->ext[p->todo[i]];
		job_step(job, "%s", job->plan.steps[1 + i]);
		int e = undo_restore_extent(u, x, fd);
		if (e) {
			close(fd);
			return job_result(job, ACT_FAILED, "write-failed",
					  "The device fails to write: copy it with ddrescue before anything "
					  "else; the undo file still holds the saved bytes.",
					  "Writing bytes %" PRIu64 "-%" PRIu64 " of %s failed: %s; %zu of %zu "
					  "ranges were restored, that one may be half written.", x->off,
					  x->off + x->len - 1, v->path, strerror(e), i, p->ntodo);
		}
		job->res.bytes_written += x->len;
		job_tick(job, i + 1, p->ntodo);
	}
	job_step(job, "%s", job->plan.steps[job->plan.nsteps - 1]);
	for (size_t i = 0; i < u->n; i++) {
		uint64_t h;
		if (undo_hash_range(fd, u->base + u->ext[i].off, u->ext[i].len, &h) ||
		    h != u->ext[i].old_hash) {
			close(fd);
			return job_result(job, ACT_FAILED, "verify-failed", NULL,
					  "%s was written back, but bytes %" PRIu64 "-%" PRIu64 " do not "
					  "read back as saved.", v->path, u->ext[i].off,
					  u->ext[i].off + u->ext[i].len - 1);
		}
	}
	close(fd);
	return job_result(job, ACT_OK, "restored", NULL,
			  "%s restored from %s: %zu range%s (%s) %s as %s before the %s of %s.",
			  v->path, u->path, p->ntodo, p->ntodo == 1 ? "" : "s",
			  size_human(p->bytes, sz, sizeof(sz)), p->ntodo == 1 ? "is" : "are",
			  p->ntodo == 1 ? "it was" : "they were", u->action,
			  u->created ? u->created : "an unknown time");
}

const struct action action_undo = {
	.name = "undo",
	.label = "Undo a repair",
	.key = 0,		/* from the TUI's log screen, not on a volume */
	.risk = RISK_WRITES_FS,
	.takes_files = true,
	.resolve = undo_resolve,
	.preflight = undo_preflight,
	.plan = undo_plan,
	.run = undo_run,
	.free_priv = undo_free_priv,
};
