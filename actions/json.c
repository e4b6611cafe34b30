/*
 * json.c - a job's targets, plan and result as JSON objects. The scripted
 * mode prints them inside its envelope; the audit log writes them as one
 * line per event. Field names are stable (winrescue(8), JSON OUTPUT).
 */
#include "actions/action.h"
#include "lib/util.h"

#include <json-c/json.h>
#include <stdlib.h>

static struct json_object *jstr(const char *s)
{
	struct json_object *o;
	char *safe;

	if (!s)
		return NULL;
	if (utf8_valid(s))
		return json_object_new_string(s);
	safe = sanitize_utf8(s);
	o = json_object_new_string(safe);
	free(safe);
	return o;
}

static struct json_object *jstrv(char *const *v, size_t n)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, jstr(v[i]));
	return a;
}

static void add(struct json_object *o, const char *k, struct json_object *v)
{
	json_object_object_add_ex(o, k, v, JSON_C_OBJECT_ADD_KEY_IS_NEW | JSON_C_OBJECT_KEY_IS_CONSTANT);
}

struct json_object *job_targets_json(const struct job *job)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < job->ntargets; i++) {
		const struct vol_ref *v = &job->targets[i];
		struct json_object *o = json_object_new_object();
		add(o, "device", jstr(v->path));
		add(o, "disk", jstr(v->disk->path));
		add(o, "label", jstr(vol_label(v)));
		add(o, "fstype", jstr(v->vol->fstype));
		add(o, "uuid", jstr(v->vol->uuid));
		json_object_array_add(a, o);
	}
	return a;
}

struct json_object *job_plan_json(const struct job *job)
{
	struct json_object *o = json_object_new_object();

	add(o, "steps", jstrv(job->plan.steps, job->plan.nsteps));
	add(o, "warnings", jstrv(job->plan.warnings, job->plan.nwarnings));
	add(o, "loss", jstr(job->plan.loss));
	add(o, "writes", json_object_new_boolean(job->plan.writes));
	add(o, "confirm", json_object_new_boolean(job->plan.confirm));
	add(o, "confirm_word", jstr(job->plan.confirm_word));
	return o;
}

static struct json_object *mount_json(const struct mount_record *m)
{
	struct json_object *o = json_object_new_object();

	add(o, "device", jstr(m->device));
	add(o, "label", jstr(m->label));
	add(o, "mountpoint", jstr(m->mountpoint));
	add(o, "mode", m->mountpoint ? jstr(m->rw ? "rw" : "ro") : NULL);
	add(o, "requested_mode", m->rw_requested == TRI_UNKNOWN ? NULL
				 : jstr(m->rw_requested == TRI_YES ? "rw" : "ro"));
	add(o, "driver", jstr(m->driver));
	add(o, "fstype", jstr(m->fstype));
	add(o, "mounted", json_object_new_boolean(m->mounted));
	add(o, "created_dir", json_object_new_boolean(m->created_dir));
	return o;
}

void job_result_json(const struct job *job, struct json_object *into)
{
	const struct action_result *r = &job->res;
	struct json_object *a = json_object_new_array();

	add(into, "status", json_object_new_int(r->status));
	add(into, "code", jstr(r->code));
	add(into, "message", jstr(r->message));
	add(into, "next", jstr(r->next));
	add(into, "tool_message", jstr(r->tool_message));
	add(into, "warnings", jstrv(r->warnings, r->nwarnings));
	add(into, "candidates", jstrv(r->candidates, r->ncandidates));
	for (size_t i = 0; i < r->nmounts; i++)
		json_object_array_add(a, mount_json(&r->mounts[i]));
	add(into, "mounts", a);
}
