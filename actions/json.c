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

struct json_object *job_targets_json(const struct job *job)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < job->ntargets; i++) {
		const struct vol_ref *v = &job->targets[i];
		struct json_object *o = json_object_new_object();
		json_add(o, "device", json_str(v->path));
		json_add(o, "disk", json_str(v->disk->path));
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
}
