/*
 * term.c - drawing on whatever terminal is there: a serial line (vt100,
 * vt220), the VGA text console (linux), an SSH client (xterm-256color).
 * Colour roles come from one table with a monochrome column (htop);
 * meaning never depends on colour (the text carries markers). Lines use
 * the terminal's line drawing unless --ascii; text is ASCII unless the
 * locale is UTF-8.
 */
#include "tui/tui_int.h"
#include "lib/table.h"
#include "lib/util.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <term.h>

static const struct {
	short fg, bg;		/* -1: the terminal's default */
	attr_t color_attr;	/* with colours */
	attr_t mono_attr;	/* without */
} roles[ROLE_COUNT] = {
	[ROLE_NORMAL] = { -1, -1, A_NORMAL, A_NORMAL },
	[ROLE_TITLE] = { COLOR_WHITE, COLOR_BLUE, A_BOLD, A_REVERSE },
	[ROLE_HEADER] = { COLOR_CYAN, -1, A_BOLD, A_BOLD },
	[ROLE_SELECT] = { COLOR_BLACK, COLOR_CYAN, A_NORMAL, A_REVERSE },
	[ROLE_RESCUE] = { COLOR_RED, -1, A_BOLD, A_BOLD },
	[ROLE_SYSTEM] = { COLOR_GREEN, -1, A_BOLD, A_BOLD },
	[ROLE_WARN] = { COLOR_YELLOW, -1, A_BOLD, A_BOLD },
	[ROLE_ERROR] = { COLOR_RED, -1, A_BOLD, A_BOLD },
	[ROLE_DIM] = { -1, -1, A_DIM, A_DIM },
};

/*
 * The bundle carries terminfo/ beside winrescue for rescue images without
 * ncurses' database: add it to TERMINFO_DIRS; false when there is none.
 */
static bool use_bundled_terminfo(void)
{
	char *dir = self_file("terminfo"), *dirs;
	const char *old = getenv("TERMINFO_DIRS");
	struct stat st;
	bool added = false;

	if (dir && stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) {
		dirs = old && *old ? xasprintf("%s:%s", old, dir) : xstrdup(dir);
		added = setenv("TERMINFO_DIRS", dirs, 1) == 0;
		free(dirs);
	}
	free(dir);
	return added;
}

/*
 * setupterm() for TERM on fd: the system's description first, the bundle's
 * only when the system has none (so it never shadows the system's own).
 */
bool term_known(const char *term, int fd)
{
	int err = 0;

	if (!term || !*term)
		return false;
	if (setupterm(term, fd, &err) == OK)
		return true;
	/* 0: not in the database, -1: no database at all; 1: a hardcopy terminal */
	if (err > 0 || !use_bundled_terminfo())
		return false;
	return setupterm(term, fd, &err) == OK;
}

/*
 * Before endwin(): on a terminal without an alternate screen (vt220, linux:
 * no rmcup) the last screen stays and endwin() leaves the cursor at the start
 * of its bottom line, where the shell's prompt would be printed over the
 * key bar's remains. Blank that line so the prompt stands alone.
 */
void term_leave(void)
{
	const char *rmcup = tigetstr("rmcup");

	if (rmcup && rmcup != (char *)-1)
		return;
	move(LINES - 1, 0);
	clrtoeol();
	refresh();
}

void term_colors(struct tui *t)
{
	const char *no = getenv("NO_COLOR");

	t->color = has_colors() && t->opts.color != TUI_COLOR_NEVER &&
		   (t->opts.color == TUI_COLOR_ALWAYS || !no || !*no);
	if (!t->color)
		return;
	start_color();
	use_default_colors();
	for (int i = 1; i < ROLE_COUNT; i++)
		init_pair((short)i, roles[i].fg, roles[i].bg);
}

attr_t term_attr(const struct tui *t, enum tui_role r)
{
	if (!t->color)
		return roles[r].mono_attr;
	return roles[r].color_attr | (r ? COLOR_PAIR(r) : 0);
}

char *term_text(const struct tui *t, const char *s)
{
	return sanitize_terminal_for(s, !t->utf8);
}

void term_put(const struct tui *t, int y, int x, int w, const char *s, enum tui_role r)
{
	char *safe, *fit;

	if (w <= 0 || y < 0 || y >= LINES || x >= COLS)
		return;
	if (x + w > COLS)
		w = COLS - x;
	safe = term_text(t, s);
	fit = text_fit(safe, (size_t)w);
	attrset(term_attr(t, r));
	mvaddstr(y, x, fit);
	attrset(A_NORMAL);
	free(fit);
	free(safe);
}

void term_hline(const struct tui *t, int y, int x, int w)
{
	mvhline(y, x, t->opts.ascii ? '-' : ACS_HLINE, w);
}

void term_bar(const struct tui *t, int y, const char *s)
{
	char *safe = term_text(t, s), *fit = text_fit(safe, (size_t)COLS);
	int w = (int)text_width(fit);

	attrset(term_attr(t, ROLE_TITLE));
	mvaddstr(y, 0, fit);
	if (w < COLS)
		mvhline(y, w, ' ', COLS - w);
	attrset(A_NORMAL);
	free(fit);
	free(safe);
}

void term_vline_ch(const struct tui *t, int y, int x)
{
	mvaddch(y, x, t->opts.ascii ? '|' : ACS_VLINE);
}

void term_box(const struct tui *t, int y, int x, int h, int w, const char *title)
{
	chtype hl = t->opts.ascii ? '-' : ACS_HLINE, vl = t->opts.ascii ? '|' : ACS_VLINE;
	chtype ul = t->opts.ascii ? '+' : ACS_ULCORNER, ur = t->opts.ascii ? '+' : ACS_URCORNER;
	chtype ll = t->opts.ascii ? '+' : ACS_LLCORNER, lr = t->opts.ascii ? '+' : ACS_LRCORNER;

	for (int i = 0; i < h; i++)
		mvhline(y + i, x, ' ', w);
	mvaddch(y, x, ul);
	mvhline(y, x + 1, hl, w - 2);
	mvaddch(y, x + w - 1, ur);
	for (int i = 1; i < h - 1; i++) {
		mvaddch(y + i, x, vl);
		mvaddch(y + i, x + w - 1, vl);
	}
	mvaddch(y + h - 1, x, ll);
	mvhline(y + h - 1, x + 1, hl, w - 2);
	mvaddch(y + h - 1, x + w - 1, lr);
	if (title) {
		char *s = xasprintf(" %s ", title);
		term_put(t, y, x + 2, w - 4, s, ROLE_HEADER);
		free(s);
	}
}

size_t term_wrap(const char *text, int w, char ***out)
{
	char *copy = sanitize_terminal(text ? text : ""), *save = NULL, *line = NULL;
	size_t n = 0;

	*out = NULL;
	if (w < 8)
		w = 8;
	for (char *word = strtok_r(copy, " ", &save); word; word = strtok_r(NULL, " ", &save)) {
		size_t lw = line ? text_width(line) : 0, ww = text_width(word);
		if (line && lw + 1 + ww > (size_t)w) {
			strv_add(out, &n, line);
			free(line);
			line = NULL;
		}
		while (!line && ww > (size_t)w) {
			/* a word longer than the line (a path): cut it */
			char *head = text_fit(word, (size_t)w);
			strv_add(out, &n, head);
			free(head);
			word += strlen(word) > (size_t)w - 1 ? (size_t)w - 1 : strlen(word);
			ww = text_width(word);
		}
		char *nl = line ? xasprintf("%s %s", line, word) : xstrdup(word);
		free(line);
		line = nl;
	}
	if (line)
		strv_add(out, &n, line);
	free(line);
	free(copy);
	return n;
}

int term_key(struct tui *t)
{
	int ch;

	if (*t->stop)
		return ERR;
	ch = getch();
	if (ch == KEY_RESIZE && (LINES <= 0 || COLS <= 0))
		return ERR;	/* a serial line reporting 0x0: keep the size we have */
	return *t->stop ? ERR : ch;
}

bool term_too_small(void)
{
	return LINES < 24 || COLS < 80;
}

void term_draw_too_small(const struct tui *t)
{
	char *s;

	erase();
	term_put(t, 0, 0, COLS, "winrescue: the terminal is too small", ROLE_ERROR);
	s = xasprintf("It has %dx%d; winrescue needs at least 80x24.", COLS, LINES);
	term_put(t, 2, 0, COLS, s, ROLE_NORMAL);
	free(s);
	term_put(t, 3, 0, COLS, "Make the window larger; on a serial line, tell the", ROLE_NORMAL);
	term_put(t, 4, 0, COLS, "kernel its size: stty rows 24 cols 80.", ROLE_NORMAL);
	term_put(t, 6, 0, COLS, "q: quit", ROLE_NORMAL);
	term_flush();
}

void term_flush(void)
{
	wnoutrefresh(stdscr);
	doupdate();
}
