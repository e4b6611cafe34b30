/*
 * tui_int.h - what the TUI's files share: the state of one session, the
 * drawing primitives (term.c), the screens (view.c, pages.c) and the
 * dialogs (dialog.c). Only tui.c runs the loop.
 */
#ifndef WINRESCUE_TUI_INT_H
#define WINRESCUE_TUI_INT_H

#include <curses.h>
#include <signal.h>
#include <stdbool.h>

#include "actions/action.h"
#include "actions/verdict.h"
#include "tui/keys.h"
#include "tui/tui.h"

/* Colour roles, each with a monochrome form (term.c). */
enum tui_role {
	ROLE_NORMAL = 0,
	ROLE_TITLE,	/* the title and key bars */
	ROLE_HEADER,	/* column headers */
	ROLE_SELECT,	/* the selection (also marked by ">") */
	ROLE_RESCUE,	/* [RESCUE]: hands off */
	ROLE_SYSTEM,	/* [SYSTEM]: the patient */
	ROLE_WARN,
	ROLE_ERROR,
	ROLE_DIM,	/* disabled menu entries */
	ROLE_COUNT
};

struct tui {
	struct tui_opts opts;
	struct probe_ctx probe;
	struct inventory *inv;
	struct vol_ref *items;		/* every volume, in disk order: the selection moves here */
	struct verdict *verdicts;	/* each item's, as every view words it */
	size_t nitems;
	struct check_memos checks;	/* the checks of this session, while their volume is unchanged */
	size_t sel;
	int upper_top;			/* first item shown in the upper pane */
	int lower_top;			/* first line shown in the lower pane */
	bool utf8;			/* the locale's codeset is UTF-8 */
	bool color;
	char **mounted;			/* devices this session mounted */
	size_t nmounted;
	char *message;			/* one line on the status row until the next key */
	char *farewell;			/* said on stderr once the terminal is given back */
	volatile sig_atomic_t *stop;	/* a signal number once SIGHUP/SIGTERM... arrived */
	volatile sig_atomic_t cancel;	/* the running action's cancel flag */
	const struct job *running;	/* the action job_run() is running, for its dialog */
	double last_draw;		/* when the progress dialog was last drawn */
	size_t last_step;
};

/* ---- term.c ---- */
bool term_known(const char *term, int fd);
void term_leave(void);
void term_colors(struct tui *t);
attr_t term_attr(const struct tui *t, enum tui_role r);
/* Text safe for this terminal: controls neutralised, ASCII only without UTF-8. */
char *term_text(const struct tui *t, const char *s);
/* Draw s at y,x in at most w columns (cut with "~"), in role r. */
void term_put(const struct tui *t, int y, int x, int w, const char *s, enum tui_role r);
void term_hline(const struct tui *t, int y, int x, int w);
/* A full-width bar (title, keys) in ROLE_TITLE. */
void term_bar(const struct tui *t, int y, const char *s);
void term_vline_ch(const struct tui *t, int y, int x);
/* A framed box with a title, cleared inside. */
void term_box(const struct tui *t, int y, int x, int h, int w, const char *title);
/* Wrap text into lines of at most w columns; returns the count, lines in *out. */
size_t term_wrap(const char *text, int w, char ***out);
/* Read a key: ERR after a timeout or when a signal asked to stop. */
int term_key(struct tui *t);
bool term_too_small(void);
void term_draw_too_small(const struct tui *t);
void term_flush(void);

/* ---- view.c: the main screen ---- */
void view_rebuild(struct tui *t, const char *keep_path);
void view_free(struct tui *t);
/* The verdict on the selection (or item i). */
const struct verdict *view_verdict(const struct tui *t, size_t i);
/* Select the Windows volume of the system disk, else the first one not on the rescue disk. */
void view_select_default(struct tui *t);
/* Draw into the screen's buffer (dialogs draw over it); view_draw() also sends it. */
void view_paint(struct tui *t);
void view_draw(struct tui *t);
void view_move(struct tui *t, enum tui_req r);
const struct vol_ref *view_selected(const struct tui *t);

/* ---- pages.c: full-screen text pages ---- */
void page_details(struct tui *t);
void page_help(struct tui *t);
/* The log of this session; the undo file chosen with U (malloc'ed), or NULL. */
char *page_log(struct tui *t);
/*
 * The boot diagnosis (actions/diagnose.c) of the screen's snapshot; when
 * F is pressed on it, the disk fix-boot is to act on (malloc'ed), else
 * NULL; *rewrite: with --rewrite-bcd (another disk holds the identity).
 */
char *page_boot(struct tui *t, bool *rewrite);
/* check's findings, scrollable, one block per volume. */
void page_check(struct tui *t, const struct job *job);

/* ---- dialog.c ---- */
/* A message with a title; returns after Enter, Esc, q or Space. */
void dialog_message(struct tui *t, const char *title, const char *text, enum tui_role r);
/*
 * Choose among n labels below an intro (may be NULL); details[i] explains
 * one, disabled[i] says why it cannot be chosen (both may be NULL).
 * Returns the index, or -1 when cancelled.
 */
int dialog_choose(struct tui *t, const char *title, const char *intro, const char *const *labels,
		  const char *const *details, char *const *disabled, int n, int initial);
/* The plan, and the device name typed to go ahead. */
bool dialog_confirm(struct tui *t, const struct job *job);
/* Progress callback of job_run() (draws at most 10 times a second, reads c / Ctrl-C). */
void dialog_progress(void *data, const struct action_progress *p);
void dialog_result(struct tui *t, const struct job *job);

#endif
