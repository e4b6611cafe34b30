/*
 * json.c - a job's targets, plan and result as JSON objects. The scripted
 * mode prints them inside its envelope; the audit log writes them as one
 * line per event. Field names are stable (winrescue(8), JSON OUTPUT).
 */
#include "actions/action.h"
#include "lib/jsonutil.h"
#include "lib/util.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

struct json_object *job_targets_json(const struct job *job)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < job->ntargets; i++) {
		const struct vol_ref *v = &job->targets[i];
		struct json_object *o = json_object_new_object();
		json_add(o, "device", json_str(v->path));
		json_add(o, "disk", json_str(v->disk->path));
		json_add(o, "disk_number", v->disk->number == SIZE_MAX ? NULL
				: json_object_new_int64((int64_t)v->disk->number));
		json_add(o, "serial", json_str(v->disk->serial));
		json_add(o, "label", json_str(vol_label(v)));
		json_add(o, "fstype", json_str(v->vol->fstype));
		json_add(o, "uuid", json_str(v->vol->uuid));
		json_object_array_add(a, o);
	}
	return a;
}

struct json_object *job_plan_json(const struct job *job)
{
	struct json_object *o = json_object_new_object();

	json_add(o, "steps", json_strv(job->plan.steps, job->plan.nsteps));
	json_add(o, "warnings", json_strv(job->plan.warnings, job->plan.nwarnings));
	json_add(o, "loss", json_str(job->plan.loss));
	json_add(o, "writes", json_object_new_boolean(job->plan.writes));
	json_add(o, "confirm", json_object_new_boolean(job->plan.confirm));
	json_add(o, "confirm_word", json_str(job->plan.confirm_word));
	json_add(o, "targets", json_strv(job->plan.targets, job->plan.ntargets));
	return o;
}

static struct json_object *mount_json(const struct mount_record *m)
{
	struct json_object *o = json_object_new_object();

	json_add(o, "device", json_str(m->device));
	json_add(o, "label", json_str(m->label));
	json_add(o, "mountpoint", json_str(m->mountpoint));
	json_add(o, "mode", m->mountpoint ? json_str(m->rw ? "rw" : "ro") : NULL);
	json_add(o, "requested_mode", m->rw_requested == TRI_UNKNOWN ? NULL
				 : json_str(m->rw_requested == TRI_YES ? "rw" : "ro"));
	json_add(o, "driver", json_str(m->driver));
	json_add(o, "fstype", json_str(m->fstype));
	json_add(o, "mounted", json_object_new_boolean(m->mounted));
	json_add(o, "created_dir", json_object_new_boolean(m->created_dir));
	if (m->mount_id) {
		json_add(o, "mount_id", json_object_new_int64((int64_t)m->mount_id));
		json_add(o, "mount_id_unique", json_object_new_boolean(m->mount_id_unique));
	}
	if (m->boot_id)
		json_add(o, "boot_id", json_str(m->boot_id));
	json_add(o, "by_winrescue", m->by_winrescue == TRI_UNKNOWN ? NULL
				    : json_object_new_boolean(m->by_winrescue == TRI_YES));
	return o;
}

static const char *logfile_word(enum nc_logfile l)
{
	static const char *const w[] = { "unknown", "empty", "clean", "unclean", "fast-restart" };
	return (unsigned)l < sizeof(w) / sizeof(w[0]) ? w[l] : "unknown";
}

static struct json_object *check_json(const struct fs_check *c)
{
	struct json_object *o = json_object_new_object(), *f = json_object_new_array();
	const struct nc_report *r = &c->rep;
	bool ntfs = c->checker && strcmp(c->checker, "winrescue") == 0;

	json_add(o, "device", json_str(c->device));
	json_add(o, "fstype", json_str(c->fstype));
	json_add(o, "checker", json_str(c->checker));
	json_add(o, "status", json_object_new_int(c->status));
	json_add(o, "verdict", json_str(c->status == ACT_OK ? "clean" : c->status == ACT_ERRORS_LEFT
					 ? "errors" : c->status == ACT_REFUSED ? "refused" : "failed"));
	json_add(o, "summary", json_str(c->summary));
	json_add(o, "state", json_str(c->state));
	json_add(o, "next", json_str(c->next));
	json_add(o, "next_command", json_str(c->command));
	json_add(o, "size", json_object_new_int64((int64_t)c->size));
	json_add(o, "seconds", json_object_new_double(c->seconds));
	json_add(o, "tool_output", json_str(c->tool_output));
	if (ntfs) {
		json_add(o, "errors", json_object_new_int64((int64_t)r->errors));
		json_add(o, "warnings", json_object_new_int64((int64_t)r->warnings));
		json_add(o, "findings_dropped", json_object_new_int64((int64_t)r->dropped));
		json_add(o, "passes_done", json_object_new_int(r->passes_done));
		json_add(o, "records", json_object_new_int64((int64_t)r->records));
		json_add(o, "records_in_use", json_object_new_int64((int64_t)r->in_use));
		json_add(o, "files", json_object_new_int64((int64_t)r->files));
		json_add(o, "folders", json_object_new_int64((int64_t)r->dirs));
		json_add(o, "unreadable_records", json_object_new_int64((int64_t)r->unreadable));
		json_add(o, "logfile", json_str(logfile_word(r->logfile)));
		json_add(o, "hibernated", r->hibernated < 0 ? NULL : json_object_new_boolean(r->hibernated));
		json_add(o, "dirty", r->volume_flags_known
			 ? json_object_new_boolean(r->volume_flags & 1) : NULL);
		json_add(o, "operational_error", json_str(r->op_error));
		for (size_t i = 0; i < r->nfindings; i++) {
			const struct nc_finding *x = &r->findings[i];
			struct json_object *e = json_object_new_object();
			json_add(e, "severity", json_str(nc_severity_name(x->severity)));
			json_add(e, "code", json_str(x->code));
			json_add(e, "pass", json_object_new_int(x->pass));
			json_add(e, "record", x->record >= 0 ? json_object_new_int64(x->record) : NULL);
			json_add(e, "path", json_str(x->path));
			json_add(e, "message", json_str(x->message));
			json_add(e, "repair", json_str(nc_repair_name(x->repair)));
			json_object_array_add(f, e);
		}
		json_add(o, "findings", f);
	} else {
		json_object_put(f);
	}
	return o;
}

void job_result_json(const struct job *job, struct json_object *into)
{
	const struct action_result *r = &job->res;
	struct json_object *a = json_object_new_array();

	json_add(into, "status", json_object_new_int(r->status));
	json_add(into, "code", json_str(r->code));
	json_add(into, "message", json_str(r->message));
	json_add(into, "next", json_str(r->next));
	json_add(into, "tool_message", json_str(r->tool_message));
	json_add(into, "warnings", json_strv(r->warnings, r->nwarnings));
	json_add(into, "candidates", json_strv(r->candidates, r->ncandidates));
	for (size_t i = 0; i < r->nmounts; i++)
		json_object_array_add(a, mount_json(&r->mounts[i]));
	json_add(into, "mounts", a);
	json_add(into, "undo_file", json_str(r->undo_file));
	if (r->undo_file || r->bytes_written)
		json_add(into, "bytes_written", json_object_new_int64((int64_t)r->bytes_written));
	if (r->nchecks) {
		a = json_object_new_array();
		for (size_t i = 0; i < r->nchecks; i++)
			json_object_array_add(a, check_json(&r->checks[i]));
		json_add(into, "checks", a);
	}
}
