/*
 * ntfs_check_worker.c - nc_check() in a confined worker process
 * (worker.h): the checker parses every structure of a volume that may be
 * crafted, so it runs where a crash, a size that asks for all the memory
 * or a loop costs the check of that volume, never winrescue (nor the
 * TUI's screen). Progress and cancel cross as beats; the report comes
 * back through wire.c.
 */
#include "probes/ntfs_check.h"
#include "probes/worker.h"
#include "lib/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct check_call {
	int fd;
	uint64_t off, size;
	const char *dev;
	const struct nc_callbacks *cb;	/* the caller's (parent side) */
	int passes_seen;		/* the last pass a beat announced */
};

/* In the worker: a pass starts, said to the parent (which decides on cancel). */
static bool child_pass(void *data, int pass, const char *what)
{
	struct worker_beat b = { .pass = pass };

	(void)data;
	snprintf(b.what, sizeof(b.what), "%s", what);
	worker_beat(&b);
	return true;
}

static void child_tick(void *data, uint64_t done, uint64_t total)
{
	struct worker_beat b = { .pass = -1, .done = done, .total = total };

	(void)data;
	worker_beat(&b);
}

/* The worker's work: the check, its report (and its return value) as the answer. */
static int child_check(void *arg, struct wire_buf *out)
{
	struct check_call *cc = arg;
	struct nc_callbacks cb = { child_pass, child_tick, NULL, NULL };
	struct nc_report r = { 0 };
	int32_t rc = nc_check(cc->fd, cc->off, cc->size, cc->dev, &cb, &r);

	wire_reserve(out, sizeof(rc));
	memcpy(out->data + out->len, &rc, sizeof(rc));
	out->len += sizeof(rc);
	wire_put_report(out, &r);
	return 0;	/* no need to free: the process ends */
}

/* In the parent: each beat, to the caller's callbacks. */
static bool parent_beat(void *data, const struct worker_beat *b)
{
	struct check_call *cc = data;
	const struct nc_callbacks *cb = cc->cb;

	if (!cb)
		return true;
	if (b->pass > 0) {
		cc->passes_seen = b->pass;
		return !cb->pass || cb->pass(cb->data, b->pass, b->what);
	}
	if (b->pass < 0 && cb->tick)
		cb->tick(cb->data, b->done, b->total);
	return !cb->cancelled || !cb->cancelled(cb->data);
}

/*
 * Whether a report from the worker fits the volume: fix plans its writes
 * from these numbers, so a worker a crafted volume took over must not
 * choose them (its answer is data, judged here, in the parent).
 */
static bool report_fits(const struct nc_report *r, uint64_t size)
{
	if (r->hiberfil_len > 4096 || r->hiberfil_off > size || r->hiberfil_len > size - r->hiberfil_off)
		return false;
	if (r->logfile_size > size || r->nlogfile_runs > 65536)
		return false;
	for (size_t i = 0; i < r->nlogfile_runs; i++) {
		const struct nc_run *x = &r->logfile_runs[i];
		if (x->lcn != NC_SPARSE && (x->lcn > size || x->len > size))
			return false;
	}
	return true;
}

int nc_check_confined(int fd, uint64_t off, uint64_t size, const char *dev,
		      const struct nc_callbacks *cb, struct nc_report *r)
{
	struct check_call cc = { fd, off, size, dev, cb, 0 };
	struct worker_opts o = { "the check", WORKER_CONFINE_READ_ONLY, parent_beat, &cc };
	struct worker_result wr;
	int32_t rc = -1;

	memset(r, 0, sizeof(*r));
	if (worker_call(&o, child_check, &cc, &wr) == 0) {
		const unsigned char *pos = wr.answer.data, *end = pos + wr.answer.len;
		if (wr.answer.len >= sizeof(rc)) {
			memcpy(&rc, pos, sizeof(rc));
			pos += sizeof(rc);
			if (wire_get_report(&pos, end, r) && pos == end && report_fits(r, size)) {
				worker_result_free(&wr);
				return rc;
			}
			nc_report_free(r);
		}
		wr.status = WORKER_FAILED;	/* a short answer */
		wr.code = 0;
	}
	if (wr.status == WORKER_CANCELLED) {
		/* the passes before the one the cancel stopped */
		r->passes_done = cc.passes_seen ? cc.passes_seen - 1 : 0;
		worker_result_free(&wr);
		return 1;
	}
	char *why = worker_failure_words(&wr);
	r->op_error = xasprintf("the checker's process stopped during pass %d of %d (%s): %s",
				cc.passes_seen ? cc.passes_seen : 1, NC_PASSES,
				nc_pass_name(cc.passes_seen ? cc.passes_seen : 1), why);
	free(why);
	worker_result_free(&wr);
	return -1;
}
