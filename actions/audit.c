/*
 * audit.c - the audit log: one JSON object per line (JSON Lines) for every
 * plan, result and refusal of an action that is not read-only, appended
 * and fsynced before the action goes on. Without it nothing is done: the
 * record is the promise that every change can be traced. The log lives on
 * the rescue system, never on a disk being rescued (a Windows volume
 * mounted under /mnt, say), so checking and writing it changes nothing
 * there.
 */
#include "actions/action.h"
#include "lib/jsonutil.h"
#include "lib/safedir.h"
#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

const char *audit_path(const struct action_opts *opts)
{
	const char *env = getenv("WINRESCUE_LOG");

	if (opts && opts->log_path && *opts->log_path)
		return opts->log_path;
	return env && *env ? env : AUDIT_DEFAULT_PATH;
}

static char *iso_time(void)
{
	struct timeval tv;
	struct tm tm;
	char buf[64];

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	return xasprintf("%s.%03ldZ", buf, (long)(tv.tv_usec / 1000));
}

/* ---- what this process logged, for the TUI ---- */

static struct audit_entry *session;
static size_t nsession;

static void remember(const struct job *job, const char *event)
{
	struct audit_entry *e;
	char buf[16];
	time_t now = time(NULL);
	struct tm tm;
	char *text = NULL;

	localtime_r(&now, &tm);
	strftime(buf, sizeof(buf), "%H:%M:%S", &tm);
	if (strcmp(event, "plan") == 0) {
		for (size_t i = 0; i < job->plan.nsteps; i++) {
			char *t = text ? xasprintf("%s; %s", text, job->plan.steps[i])
				       : xstrdup(job->plan.steps[i]);
			free(text);
			text = t;
		}
	} else {
		text = xstrdup(job->res.message);
	}
	session = xrealloc(session, nsession + 1, sizeof(*session));
	e = &session[nsession++];
	e->time = xstrdup(buf);
	e->event = xstrdup(event);
	e->action = xstrdup(job->act->name);
	e->target = xstrdup(job->ntargets == 1 && job->targets[0].path ? job->targets[0].path
								       : job->spec);
	e->text = text ? text : xstrdup("");
	e->undo_file = strcmp(event, "result") == 0 ? xstrdup(job->res.undo_file) : NULL;
	e->status = job->res.status;
}

size_t audit_session(const struct audit_entry **out)
{
	*out = session;
	return nsession;
}

void audit_session_free(void)
{
	for (size_t i = 0; i < nsession; i++) {
		free(session[i].time);
		free(session[i].event);
		free(session[i].action);
		free(session[i].target);
		free(session[i].text);
		free(session[i].undo_file);
	}
	free(session);
	session = NULL;
	nsession = 0;
}

/* ---- the log itself ---- */

/*
 * The log's directory, made if missing, but only after checking where it
 * would be: making it is a write too, and none may land on a disk being
 * rescued. Reached as lib/safedir.h does (no symbolic link, root's, not
 * writable by others): a descriptor and the log's name in *base, or -1
 * with *err.
 */
static int log_dir(const struct job *job, char **base, char **err)
{
	const char *path = job->log_path;
	char *dir = safedir_absolute(path), *slash, *where, *why = NULL;
	int fd;

	*base = NULL;
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';	/* a file in / */
	else
		*slash = '\0';
	where = target_on_patient(job->inv, dir);
	if (where) {
		*err = xasprintf("%s would be %s (the log never goes on a disk being rescued)",
				 path, where);
		free(where);
		free(dir);
		return -1;
	}
	fd = safedir_open(dir, SAFEDIR_CREATE | SAFEDIR_GROUP_OK,
			  strcmp(dir, "/var/log/winrescue") == 0 ? 0750 : 0755, &why);
	if (fd < 0) {
		*err = xasprintf("its directory cannot be trusted: %s", why);
		free(why);
		free(dir);
		return -1;
	}
	free(dir);
	slash = strrchr(path, '/');
	*base = xstrdup(slash ? slash + 1 : path);
	if (!**base) {
		*err = xasprintf("%s names a directory, not a file", path);
		free(*base);
		*base = NULL;
		close(fd);
		return -1;
	}
	return fd;
}

int audit_record(struct job *job, const char *event, char **err)
{
	struct json_object *o;
	char *base, *time_s, *line;
	const char *s;
	struct stat st;
	int fd, dfd, rc = 0;
	size_t len;
	static unsigned counter;

	*err = NULL;
	if ((dfd = log_dir(job, &base, err)) < 0)
		return -1;
	if (!job->id)
		job->id = xasprintf("%lld-%ld-%u", (long long)time(NULL), (long)getpid(), ++counter);

	o = json_object_new_object();
	time_s = iso_time();
	json_add(o, "time", json_object_new_string(time_s));
	free(time_s);
	json_add(o, "id", json_object_new_string(job->id));
	json_add(o, "pid", json_object_new_int64((int64_t)getpid()));
	json_add(o, "uid", json_object_new_int64((int64_t)getuid()));
	json_add(o, "event", json_object_new_string(event));
	json_add(o, "action", json_object_new_string(job->act->name));
	json_add(o, "risk", json_object_new_string(action_risk_name(job->act->risk)));
	json_add(o, "spec", json_str(job->spec));
	json_add(o, "targets", job_targets_json(job));
	struct json_object *opt = json_object_new_object();
	json_add(opt, "rw", json_object_new_boolean(job->opts.rw));
	json_add(opt, "discard_hibernation", json_object_new_boolean(job->opts.discard_hibernation));
	json_add(opt, "at", json_str(job->opts.at));
	json_add(opt, "discard_journal", json_object_new_boolean(job->opts.discard_journal));
	json_add(opt, "clear_dirty", json_object_new_boolean(job->opts.clear_dirty));
	json_add(opt, "undo_dir", json_str(job->opts.undo_dir));
	json_add(opt, "device", json_str(job->opts.device));
	json_add(opt, "everything", json_object_new_boolean(job->opts.everything));
	json_add(o, "options", opt);
	if (strcmp(event, "plan") == 0)
		json_add(o, "plan", job_plan_json(job));
	else
		job_result_json(job, o);

	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	line = xasprintf("%s\n", s);
	json_object_put(o);
	len = strlen(line);

	fd = openat(dfd, base, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	close(dfd);
	free(base);
	if (fd < 0) {
		*err = xasprintf("cannot open %s: %s", job->log_path,
				 errno == ELOOP ? "it is a symbolic link" : strerror(errno));
		free(line);
		return -1;
	}
	/* a log others could rewrite proves nothing */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (st.st_uid != 0 && st.st_uid != geteuid()) || (st.st_mode & S_IWOTH)) {
		*err = xasprintf("%s is not a file of root's that only root can write", job->log_path);
		close(fd);
		free(line);
		return -1;
	}
	/* one write: O_APPEND keeps concurrent records whole */
	ssize_t w = write(fd, line, len);
	if (w != (ssize_t)len || fsync(fd) < 0) {
		*err = xasprintf("cannot write %s: %s", job->log_path,
				 w >= 0 && w != (ssize_t)len ? "short write" : strerror(errno));
		rc = -1;
	}
	if (close(fd) < 0 && rc == 0) {
		*err = xasprintf("cannot write %s: %s", job->log_path, strerror(errno));
		rc = -1;
	}
	free(line);
	if (rc == 0)
		remember(job, event);
	return rc;
}
