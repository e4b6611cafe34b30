/*
 * action.c - an action from the command line: prepare (fresh probe,
 * rules, plan), show the plan or ask, run with progress on stderr, print
 * the result as text or as one JSON document. The rules, the plan and the
 * doing are all in actions/; this only asks and renders.
 */
#include "cli/cli.h"
#include "cli/output.h"
#include "lib/termout.h"
#include "lib/util.h"

#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t cancelled;

static void on_signal(int sig)
{
	(void)sig;
	cancelled = 1;
}

static void print_plan(FILE *out, const struct job *job)
{
	const struct action_plan *p = &job->plan;

	fprintf(out, "Plan (%s%s%s):\n", job->act->name, job->spec && *job->spec ? " " : "",
		job->spec ? job->spec : "");
	for (size_t i = 0; i < p->ntargets; i++)
		output_hanging(out, "  On ", "     ", p->targets[i]);
	/* wrapped at 78 columns as list and diagnose are: serial consoles are 80 wide */
	for (size_t i = 0; i < p->nsteps; i++) {
		char n[32];
		snprintf(n, sizeof(n), "  %zu. ", i + 1);
		output_hanging(out, n, "     ", p->steps[i]);
	}
	for (size_t i = 0; i < p->nwarnings; i++)
		output_hanging(out, "Warning: ", "     ", p->warnings[i]);
	if (p->loss)
		output_hanging(out, "Will be lost: ", "     ", p->loss);
}

static void print_json(const struct job *job, bool planned_only)
{
	struct json_object *root = output_json_envelope();
	char *s;

	json_object_object_add(root, "action", json_object_new_string(job->act->name));
	json_object_object_add(root, "spec", job->spec ? json_object_new_string(job->spec) : NULL);
	json_object_object_add(root, "dry_run", json_object_new_boolean(planned_only));
	json_object_object_add(root, "targets", job_targets_json(job));
	json_object_object_add(root, "plan", job->plan.nsteps ? job_plan_json(job) : NULL);
	job_result_json(job, root);
	json_object_object_add(root, "audit_log", job->log_path && !planned_only
				       ? json_object_new_string(job->log_path) : NULL);
	s = output_json_string(root);
	termout_json(s);
	free(s);
}

static void print_failure(const struct job *job)
{
	const struct action_result *r = &job->res;
	char *m = sanitize_terminal(r->message ? r->message : "failed");

	fprintf(stderr, "winrescue: %s\n", m);
	free(m);
	for (size_t i = 0; i < r->ncandidates; i++) {
		char *c = sanitize_terminal(r->candidates[i]);
		fprintf(stderr, "  %s\n", c);
		free(c);
	}
	if (r->next) {
		char *n = sanitize_terminal(r->next);
		fprintf(stderr, "Next: %s\n", n);
		free(n);
	}
}

static void print_result(const struct job *job)
{
	const struct action_result *r = &job->res;

	if (r->nchecks) {
		/* the verdicts are the result; a failure to check shows there too */
		cli_print_checks(stdout, job);
		if (r->nchecks > 1 || r->undo_file) {
			char *m = sanitize_terminal(r->message);
			printf("%s\n", m);
			free(m);
		}
	} else if (r->status != ACT_OK) {
		print_failure(job);
	} else {
		char *m = sanitize_terminal(r->message);
		printf("%s\n", m);
		free(m);
		if (r->next) {
			m = sanitize_terminal(r->next);
			printf("Next: %s\n", m);
			free(m);
		}
	}
	for (size_t i = 0; i < r->nwarnings; i++) {
		char *w = sanitize_terminal(r->warnings[i]);
		fprintf(stderr, "Warning: %s\n", w);
		free(w);
	}
}

/* Progress on stderr, one line per step, when a person watches. */
static void progress(void *data, const struct action_progress *p)
{
	static size_t last;

	(void)data;
	if (p->step_no != last) {
		char *s = sanitize_terminal(p->step);
		fprintf(stderr, "winrescue: [%zu/%zu] %s\n", p->step_no, p->nsteps, s);
		free(s);
		last = p->step_no;
	}
}

/* The typed confirmation of cfdisk: the device name, or nothing happens. */
static bool ask_typed(const struct job *job)
{
	char *line = NULL;
	size_t cap = 0;
	bool yes = false;

	print_plan(stderr, job);
	fprintf(stderr, "Type %s to go ahead (anything else cancels): ", job->plan.confirm_word);
	fflush(stderr);
	if (getline(&line, &cap, stdin) > 0) {
		line[strcspn(line, "\n")] = '\0';
		yes = job_confirmed_by(job, str_trim(line));
	}
	free(line);
	return yes;
}

static void keep_code(const struct job *job, char **code)
{
	if (code)
		*code = xstrdup(job->res.code);
}

int cli_run_action(const struct action *act, const char *spec, const struct action_opts *opts,
		   bool yes, bool json)
{
	return cli_run_action_ex(act, spec, opts, yes, json, false);
}

int cli_run_action_ex(const struct action *act, const char *spec, const struct action_opts *opts,
		      bool yes, bool json, bool want_progress)
{
	return cli_run_action_code(act, spec, opts, yes, json, want_progress, NULL);
}

int cli_run_action_code(const struct action *act, const char *spec, const struct action_opts *opts,
			bool yes, bool json, bool want_progress, char **code)
{
	struct job job;
	int rc = job_prepare(&job, act, spec, NULL, opts);

	if (rc != ACT_OK) {
		if (json)
			print_json(&job, false);
		print_failure(&job);
		keep_code(&job, code);
		job_free(&job);
		return rc;
	}
	if (opts->dry_run) {
		if (json) {
			job_result(&job, ACT_OK, "dry-run", NULL, "Nothing was done (--dry-run).");
			print_json(&job, true);
		} else {
			print_plan(stdout, &job);
			printf("Nothing was done (--dry-run).\n");
		}
		keep_code(&job, code);
		job_free(&job);
		return ACT_OK;
	}
	if (job.plan.confirm && !yes) {
		if (!json && isatty(STDIN_FILENO) && isatty(STDERR_FILENO)) {
			if (!ask_typed(&job)) {
				job_result(&job, ACT_REFUSED, "cancelled", NULL,
					   "Cancelled; nothing was done.");
				print_failure(&job);
				keep_code(&job, code);
		job_free(&job);
				return ACT_REFUSED;
			}
		} else {
			job_result(&job, ACT_REFUSED, "confirmation-needed",
				   "Check the plan above, then add --yes to go ahead.",
				   "Refused: %s %s %s and needs a confirmation (no --yes, and no "
				   "terminal to type %s on).", act->name,
				   job.plan.confirm_word ? job.plan.confirm_word : spec,
				   job.plan.loss ? "loses data" : "writes to the disk",
				   job.plan.confirm_word ? job.plan.confirm_word : "the name");
			if (json)
				print_json(&job, false);
			else
				print_plan(stderr, &job);
			print_failure(&job);
			keep_code(&job, code);
		job_free(&job);
			return ACT_REFUSED;
		}
	}

	struct sigaction sa = { .sa_handler = on_signal }, old_int, old_term, old_hup;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGHUP, &sa, &old_hup);
	rc = job_run(&job, want_progress || (!json && isatty(STDERR_FILENO)) ? progress : NULL, NULL,
		     &cancelled);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	if (json) {
		print_json(&job, false);
		/* a check's verdict is in the document; a failure to act goes to stderr too */
		if (rc != ACT_OK && !job.res.nchecks)
			print_failure(&job);
	} else {
		print_result(&job);
	}
	keep_code(&job, code);
	job_free(&job);
	if (fflush(stdout) != 0) {
		perror("winrescue: cannot write the output");
		if (rc == ACT_OK)
			rc = ACT_FAILED;
	}
	return rc;
}
