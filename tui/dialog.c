/*
 * dialog.c - dialogs over the main screen: messages and results, a chooser
 * (menus, the mount mode), the plan with the typed confirmation (cfdisk's
 * discipline: anything that writes needs the device name typed), and the
 * progress of a running action (at most 10 repaints a second; c or Ctrl-C
 * cancels). Every dialog closes with a letter key too, never only Esc.
 */
#include "tui/tui_int.h"
#include "lib/table.h"
#include "lib/util.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CTRL(c) ((c) & 0x1f)

struct dlg {
	int y, x, h, w;		/* the frame */
	int row;		/* next row inside */
	int limit;		/* rows from here on are kept for what follows */
	bool cut;		/* something did not fit */
};

static int dialog_width(void)
{
	return COLS - 4 < 76 ? COLS - 4 : 76;
}

/* Frame for n inner rows, centred; the main screen is painted below it. */
static void dlg_open(struct tui *t, struct dlg *d, int rows, const char *title)
{
	d->w = dialog_width();
	d->h = rows + 2 > LINES - 2 ? LINES - 2 : rows + 2;
	d->y = (LINES - d->h) / 2;
	d->x = (COLS - d->w) / 2;
	d->row = 1;
	d->limit = d->h - 1;
	d->cut = false;
	view_paint(t);
	term_box(t, d->y, d->x, d->h, d->w, title);
}

static void dlg_line(const struct tui *t, struct dlg *d, const char *s, enum tui_role r)
{
	if (d->row >= d->limit) {
		d->cut = true;
		return;
	}
	term_put(t, d->y + d->row, d->x + 2, d->w - 4, s, r);
	d->row++;
}

static void dlg_wrapped(const struct tui *t, struct dlg *d, const char *indent, const char *s,
			enum tui_role r)
{
	char **l;
	size_t n = term_wrap(s, d->w - 4 - (int)strlen(indent), &l);

	for (size_t i = 0; i < n; i++) {
		char *line = i ? xasprintf("%*s%s", (int)strlen(indent), "", l[i])
			       : xasprintf("%s%s", indent, l[i]);
		dlg_line(t, d, line, r);
		free(line);
	}
	strv_free(l, n);
}

/* Rows dlg_wrapped() will take for s after indent. */
static int wrapped_rows(const char *s, const char *indent)
{
	char **l;
	size_t n = term_wrap(s, dialog_width() - 4 - (int)strlen(indent), &l);

	strv_free(l, n);
	return (int)n;
}

static bool is_close_key(int ch)
{
	enum tui_req r = tui_req_for_key(ch);

	return r == REQ_BACK || r == REQ_QUIT || r == REQ_DETAILS || ch == ' ';
}

/* The last line of a message, then a key: true when it closes the dialog. */
static bool dlg_close(struct tui *t, struct dlg *d)
{
	d->row++;
	dlg_line(t, d, "Enter, q or Esc: close", ROLE_DIM);
	term_flush();
	int ch = term_key(t);
	if (*t->stop || (ch != ERR && is_close_key(ch)))
		return true;
	if (ch == CTRL('l') || ch == KEY_RESIZE)
		clearok(curscr, TRUE);
	return false;
}

void dialog_message(struct tui *t, const char *title, const char *text, enum tui_role r)
{
	for (;;) {
		struct dlg d;
		int rows = wrapped_rows(text, "") + 2;

		dlg_open(t, &d, rows, title);
		dlg_wrapped(t, &d, "", text, r);
		if (dlg_close(t, &d))
			return;
	}
}

int dialog_choose(struct tui *t, const char *title, const char *intro, const char *const *labels,
		  const char *const *details, char *const *disabled, int n, int initial)
{
	int cur = initial;
	bool refused = false;	/* Enter on a choice that cannot be taken */

	for (;;) {
		struct dlg d;
		int rows = 2;

		if (intro)
			rows += wrapped_rows(intro, "") + 1;
		for (int i = 0; i < n; i++) {
			rows++;
			if (disabled && disabled[i])
				rows += wrapped_rows(disabled[i], "      why not: ");
			else if (details && details[i])
				rows += wrapped_rows(details[i], "      ");
		}
		dlg_open(t, &d, rows, title);
		if (intro) {
			dlg_wrapped(t, &d, "", intro, ROLE_NORMAL);
			d.row++;
		}
		for (int i = 0; i < n; i++) {
			bool off = disabled && disabled[i];
			char *line = xasprintf("%s %d  %s", i == cur ? ">" : " ", i + 1, labels[i]);
			dlg_line(t, &d, line, i == cur ? ROLE_SELECT : off ? ROLE_DIM : ROLE_NORMAL);
			free(line);
			if (off)
				dlg_wrapped(t, &d, "      why not: ", disabled[i], ROLE_DIM);
			else if (details && details[i])
				dlg_wrapped(t, &d, "      ", details[i],
					    strncmp(details[i], "LOSS", 4) == 0 ? ROLE_ERROR : ROLE_NORMAL);
		}
		d.row++;
		dlg_line(t, &d, refused ? "That one is not available (why not: above); choose another."
					: "Up/Down or 1-9: choose   Enter: go   q or Esc: cancel",
			 refused ? ROLE_WARN : ROLE_DIM);
		refused = false;
		term_flush();

		int ch = term_key(t);
		if (*t->stop)
			return -1;
		if (ch == ERR)
			continue;
		enum tui_req r = tui_req_for_key(ch);
		if (ch >= '1' && ch <= '9' && ch - '1' < n) {
			cur = ch - '1';	/* a digit chooses; only Enter goes */
		} else if (r == REQ_UP) {
			cur = cur > 0 ? cur - 1 : n - 1;
		} else if (r == REQ_DOWN) {
			cur = cur + 1 < n ? cur + 1 : 0;
		} else if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
			if (!(disabled && disabled[cur]))
				return cur;
			refused = true;
		} else if (r == REQ_BACK || r == REQ_QUIT) {
			return -1;
		} else if (ch == CTRL('l') || ch == KEY_RESIZE) {
			clearok(curscr, TRUE);
		}
	}
}

bool dialog_confirm(struct tui *t, const struct job *job)
{
	const struct action_plan *p = &job->plan;
	char typed[65] = "";
	size_t len = 0;
	const char *complaint = NULL;
	char *title = xasprintf("Confirm: %s %s", job->act->label,
				job->ntargets == 1 ? job->targets[0].path : job->spec);
	bool yes = false;

	for (;;) {
		struct dlg d;
		int rows = 5;
		char *prompt, *field;

		int on = 0;
		for (size_t i = 0; i < p->ntargets; i++)
			on += wrapped_rows(p->targets[i], "On: ");
		rows += on;
		for (size_t i = 0; i < p->nsteps; i++)
			rows += wrapped_rows(p->steps[i], "9. ");
		for (size_t i = 0; i < p->nwarnings; i++)
			rows += wrapped_rows(p->warnings[i], "Note: ");
		if (p->loss)
			rows += wrapped_rows(p->loss, "WILL BE LOST: ") + 1;
		dlg_open(t, &d, rows, title);
		/* the target, the loss, the prompt and the field always show: the steps give way */
		for (size_t i = 0; i < p->ntargets; i++)
			dlg_wrapped(t, &d, "On: ", p->targets[i], ROLE_HEADER);
		d.limit = d.h - 1 - 4 - (p->loss ? wrapped_rows(p->loss, "WILL BE LOST: ") + 1 : 0);
		dlg_line(t, &d, "winrescue will:", ROLE_HEADER);
		for (size_t i = 0; i < p->nsteps; i++) {
			char *n = xasprintf("%zu. ", i + 1);
			dlg_wrapped(t, &d, n, p->steps[i], ROLE_NORMAL);
			free(n);
		}
		for (size_t i = 0; i < p->nwarnings; i++)
			dlg_wrapped(t, &d, "Note: ", p->warnings[i], ROLE_WARN);
		if (d.cut && d.limit > 1)
			term_put(t, d.y + d.limit - 1, d.x + 2, d.w - 4,
				 "... (the whole plan: --dry-run in the scripted mode)", ROLE_DIM);
		d.row = d.row < d.limit ? d.row : d.limit;
		d.limit = d.h - 1;
		if (p->loss) {
			d.row++;
			dlg_wrapped(t, &d, "WILL BE LOST: ", p->loss, ROLE_ERROR);
		}
		d.row++;
		prompt = xasprintf("Type %s and press Enter to go ahead (Esc or Ctrl-C: cancel):",
				   p->confirm_word);
		dlg_line(t, &d, prompt, ROLE_NORMAL);
		free(prompt);
		field = xasprintf("> %s_", typed);
		int fy = d.y + d.row;
		dlg_line(t, &d, field, ROLE_SELECT);
		free(field);
		dlg_line(t, &d, complaint ? complaint : "", ROLE_WARN);
		move(fy, d.x + 4 + (int)text_width(typed));
		term_flush();

		int ch = term_key(t);
		if (*t->stop)
			break;
		if (ch == ERR)
			continue;
		complaint = NULL;
		if (ch == 27 || ch == CTRL('c') || ch == CTRL('g')) {
			break;
		} else if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
			if (job_confirmed_by(job, typed)) {
				yes = true;
				break;
			}
			if (len)
				complaint = "That is not the name asked for: type it again exactly, or Esc "
					    "to cancel.";
			/* a wrong name is cleared: the next try starts from an empty field */
			len = 0;
			typed[0] = '\0';
		} else if (ch == KEY_BACKSPACE || ch == 127 || ch == CTRL('h')) {
			if (len)
				typed[--len] = '\0';
		} else if (ch == CTRL('u')) {
			len = 0;
			typed[0] = '\0';
		} else if (ch == CTRL('l') || ch == KEY_RESIZE) {
			clearok(curscr, TRUE);
		} else if (ch >= 32 && ch < 127 && len + 1 < sizeof(typed)) {
			typed[len++] = (char)ch;
			typed[len] = '\0';
		}
	}
	free(title);
	return yes;
}

void dialog_progress(void *data, const struct action_progress *p)
{
	struct tui *t = data;
	double now = monotonic_s();
	int ch;

	/* c or Ctrl-C cancels; a stop signal too */
	timeout(0);
	while ((ch = getch()) != ERR) {
		if (ch == 'c' || ch == 'C' || ch == CTRL('c'))
			t->cancel = 1;
		else if (ch == CTRL('l') || ch == KEY_RESIZE)
			clearok(curscr, TRUE);
	}
	timeout(200);
	if (*t->stop)
		t->cancel = 1;
	/* at most 10 repaints a second, but every new step at once */
	if (p->step_no == t->last_step && now - t->last_draw < 0.1)
		return;
	t->last_draw = now;
	t->last_step = p->step_no;

	struct dlg d;
	char *title = xasprintf("%s %s", t->running->act->label,
				t->running->ntargets == 1 ? t->running->targets[0].path
							  : t->running->spec);
	dlg_open(t, &d, 5, title);
	free(title);
	dlg_line(t, &d, p->step, ROLE_NORMAL);
	char *line = tui_progress_line(p, (size_t)(d.w - 4));
	dlg_line(t, &d, line, ROLE_NORMAL);
	free(line);
	d.row++;
	dlg_line(t, &d, t->cancel ? "Cancelling after this step..." : "c or Ctrl-C: cancel",
		 t->cancel ? ROLE_WARN : ROLE_DIM);
	term_flush();
}

void dialog_result(struct tui *t, const struct job *job)
{
	const struct action_result *r = &job->res;
	const char *title = job_result_title(job);
	bool repaired = r->code && strcmp(r->code, "corrected") == 0;
	bool changed = r->code && (strcmp(r->code, "changed") == 0 || strcmp(r->code, "vanished") == 0);
	enum tui_role role = r->status == ACT_OK || repaired ? ROLE_NORMAL
			     : r->status == ACT_ERRORS_LEFT || changed ? ROLE_WARN : ROLE_ERROR;

	for (;;) {
		struct dlg d;
		int rows = 2 + wrapped_rows(r->message, "");

		if (r->next)
			rows += wrapped_rows(r->next, "Next: ");
		for (size_t i = 0; i < r->nwarnings; i++)
			rows += wrapped_rows(r->warnings[i], "Note: ");
		rows += (int)r->ncandidates;
		dlg_open(t, &d, rows, title);
		dlg_wrapped(t, &d, "", r->message, role);
		for (size_t i = 0; i < r->ncandidates; i++)
			dlg_line(t, &d, r->candidates[i], ROLE_NORMAL);
		if (r->next)
			dlg_wrapped(t, &d, "Next: ", r->next, ROLE_NORMAL);
		for (size_t i = 0; i < r->nwarnings; i++)
			dlg_wrapped(t, &d, "Note: ", r->warnings[i], ROLE_WARN);
		if (dlg_close(t, &d))
			return;
	}
}
