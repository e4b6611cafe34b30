/*
 * tui.h - the full-screen front end: Disk Management in a terminal. It
 * draws the inventory, runs actions from the registry (actions/) and
 * renders their plans, progress and results; it never probes or writes by
 * itself.
 */
#ifndef WINRESCUE_TUI_H
#define WINRESCUE_TUI_H

#include <stdbool.h>
#include <stddef.h>

enum tui_color { TUI_COLOR_AUTO = 0, TUI_COLOR_ALWAYS, TUI_COLOR_NEVER };

struct tui_opts {
	bool ascii;			/* plain ASCII lines instead of the terminal's line drawing */
	enum tui_color color;
	char *const *only;		/* show only these disks (kernel names); NULL: all */
	size_t nonly;
	const char *log_path;		/* the audit log (--log) */
};

/*
 * Run the TUI on /dev/tty. Returns the exit status: 0 after q, 1 when no
 * terminal can be drawn on (the reason printed on stderr, pointing to the
 * scripted mode), 128 + N after signal N (SIGHUP, SIGTERM), the terminal
 * restored and the locks released either way.
 */
int tui_run(const struct tui_opts *o);

/* ---- format.c: the words and lines of the TUI, free of curses (unit-tested) ---- */

struct action_progress;
struct volume;

/*
 * A progress line for a dialog of width w: the step, a bar with the
 * percentage, bytes done of total, the rate and the time left when the
 * total is known; else the step and the time so far. Caller frees.
 */
char *tui_progress_line(const struct action_progress *p, size_t w);
/* A size the way a narrow column shows it: "87M", "1.5G", "512B". */
const char *tui_size_short(unsigned long long bytes, char *buf, size_t len);
/* Cut s from the left to at most w columns, starting with "~" when cut. */
char *tui_fit_left(const char *s, size_t w);

#endif
