/* cli.h - the scripted commands and their exit codes (see winrescue(8)). */
#ifndef WINRESCUE_CLI_H
#define WINRESCUE_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "actions/action.h"

enum {
	WR_EXIT_OK = 0,
	WR_EXIT_FAILURE = 1,	/* nothing could be done / listed */
	WR_EXIT_USAGE = 16,	/* bad command line */
	WR_EXIT_REFUSED = 32,	/* refused by a safety rule, or cancelled */
};

_Static_assert((int)WR_EXIT_OK == (int)ACT_OK && (int)WR_EXIT_FAILURE == (int)ACT_FAILED &&
	       (int)WR_EXIT_USAGE == (int)ACT_USAGE && (int)WR_EXIT_REFUSED == (int)ACT_REFUSED,
	       "an action's status is the exit status");

struct global_opts {
	const char *sysroot;
	const char *color;	/* --color=WHEN (the TUI) */
	bool ascii;		/* --ascii (the TUI) */
	const char *log_path;	/* --log FILE */
};

/* Print "winrescue: <message>" on stderr; returns WR_EXIT_USAGE for chaining. */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

int cmd_list(int argc, char **argv, struct global_opts *g);
int cmd_mount(int argc, char **argv, struct global_opts *g);
int cmd_umount(int argc, char **argv, struct global_opts *g);
int cmd_tui(int argc, char **argv, struct global_opts *g);
int cmd_check(int argc, char **argv, struct global_opts *g);
int cmd_fix(int argc, char **argv, struct global_opts *g);
int cmd_undo(int argc, char **argv, struct global_opts *g);
int cmd_diagnose(int argc, char **argv, struct global_opts *g);
int cmd_fix_boot(int argc, char **argv, struct global_opts *g);

/*
 * DISK... (n names) as the kernel names of those disks, for probe_ctx.only
 * and action_opts.only: WR_EXIT_OK, or WR_EXIT_USAGE after saying on
 * stderr which name is no disk of this machine (and with json, a document
 * with code unknown-disk on stdout). Free with strv_free.
 */
int cli_disk_filter(const struct probe_ctx *ctx, char *const *names, int n, char ***only,
		    size_t *nonly, bool json);

/* Prepare, confirm (--yes or typed on a terminal), run and print one action. */
int cli_run_action(const struct action *act, const char *spec, const struct action_opts *opts,
		   bool yes, bool json);
/* The same; progress: per-step lines on stderr even when it is not a terminal. */
int cli_run_action_ex(const struct action *act, const char *spec, const struct action_opts *opts,
		      bool yes, bool json, bool progress);
/* The same; *code (malloc'ed, may be NULL): the result's stable code. */
int cli_run_action_code(const struct action *act, const char *spec, const struct action_opts *opts,
			bool yes, bool json, bool progress, char **code);
/* check's findings and verdicts, as text. */
void cli_print_checks(FILE *out, const struct job *job);

#endif
