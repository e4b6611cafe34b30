/*
 * tui.c - the TUI's session: the terminal taken and given back, the loop
 * from keys to requests, and actions run through the same job flow as
 * the scripted mode (actions/action.h): prepare on a fresh probe, confirm
 * by typing when it writes, run with a progress dialog, show the result,
 * read the disks again.
 *
 * The terminal is /dev/tty (newterm), so stdout and stderr stay free; a
 * library or helper that writes to stderr cannot scribble on the screen
 * because stderr goes to /dev/null while the screen is ours. SIGHUP,
 * SIGTERM, SIGINT and SIGQUIT only set a flag: the loop (or the running
 * action, at its next step) sees it, the terminal is restored and the
 * locks are released before winrescue exits with 128 + the signal.
 */
#include "actions/mount.h"
#include "tui/tui_int.h"
#include "lib/termout.h"
#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <term.h>
#include <unistd.h>

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static void set_message(struct tui *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void set_message(struct tui *t, const char *fmt, ...)
{
	va_list ap;

	free(t->message);
	va_start(ap, fmt);
	t->message = xvasprintf(fmt, ap);
	va_end(ap);
}

/* The verdicts again, with the checks kept now (the disks as last read). */
static void reverdict(struct tui *t)
{
	const struct vol_ref *v = view_selected(t);
	char *keep = v && v->path ? xstrdup(v->path) : NULL;

	view_rebuild(t, keep);
	free(keep);
}

/* Read the disks again, keeping the selection on the same device. */
static void reprobe(struct tui *t)
{
	const struct vol_ref *v = view_selected(t);
	char *keep = v && v->path ? xstrdup(v->path) : NULL;
	struct inventory *inv = probes_scan(&t->probe);

	inventory_free(t->inv);
	t->inv = inv;
	view_rebuild(t, keep);
	free(keep);
}

/*
 * The first variant of act that applies to v, or -1; why each does not in
 * why[i] when why is given (room for 8, malloc'ed).
 */
static int first_variant(const struct tui *t, const struct action *act, const struct vol_ref *v,
			 char **why)
{
	int first = -1;

	for (int i = 0; i < 8 && act->variants[i].label; i++) {
		struct action_opts vo = { .rw = act->variants[i].rw,
					  .discard_hibernation = act->variants[i].discard_hibernation,
					  .discard_journal = act->variants[i].discard_journal,
					  .clear_dirty = act->variants[i].clear_dirty };
		char *w = act->applies(v, t->inv, &vo);
		if (!w && first < 0)
			first = i;
		if (why)
			why[i] = w;
		else
			free(w);
	}
	return first;
}

/*
 * What a job tells about the volumes' checks: anything that may have
 * written makes its disks' checks stale; a check (or the check fix runs
 * after repairing) is kept for the verdicts until the volume changes.
 */
static void remember_checks(struct tui *t, const struct job *job)
{
	if (job->act->risk != RISK_READ_ONLY)
		for (size_t i = 0; i < job->ntargets; i++)
			check_memos_forget_disk(&t->checks, job->inv, job->targets[i].path ?
						job->targets[i].path : job->targets[i].disk->path);
	/* each kept with the volume as the look after it sees it (t->items, read again) */
	for (size_t i = 0; i < job->res.nchecks; i++)
		for (size_t k = 0; k < t->nitems; k++)
			if (t->items[k].path && job->res.checks[i].device &&
			    strcmp(t->items[k].path, job->res.checks[i].device) == 0 &&
			    job->res.checks[i].status != ACT_REFUSED)
				check_memos_add(&t->checks, &t->items[k], &job->res.checks[i]);
}

/* A prepared job: its refusal shown, or confirmed, run, the result shown, the disks read again. */
static void run_job(struct tui *t, const struct action *act, struct job *job)
{
	if (job->res.status != ACT_OK) {
		/* the disks changed under the screen: redraw it first, then say so over it */
		if (job->res.code && (!strcmp(job->res.code, "changed") || !strcmp(job->res.code, "vanished")))
			reprobe(t);
		dialog_result(t, job);
		job_free(job);
		reprobe(t);
		return;
	}
	/* the screen and the plan must show the same machine before anything is confirmed */
	if (job->plan.confirm && !inventory_same(t->inv, job->inv, t->probe.only != NULL)) {
		reprobe(t);
		dialog_message(t, "The disks changed", "The disks changed since this screen was "
			       "drawn (a disk attached or detached, a volume mounted or changed): the "
			       "screen now shows them as they are. Check the plan's disk, device and "
			       "serial against it before typing the name.", ROLE_WARN);
	}
	if (job->plan.confirm && !dialog_confirm(t, job)) {
		set_message(t, "Cancelled: nothing was done.");
		job_free(job);
		return;
	}
	t->cancel = 0;
	t->running = job;
	t->last_step = 0;
	t->last_draw = 0;
	job_run(job, dialog_progress, t, &t->cancel);
	t->running = NULL;
	if (job->res.status == ACT_OK && act == &action_mount)
		for (size_t i = 0; i < job->res.nmounts; i++)
			if (job->res.mounts[i].mounted &&
			    !strv_contains(t->mounted, t->nmounted, job->res.mounts[i].device))
				strv_add(&t->mounted, &t->nmounted, job->res.mounts[i].device);
	reprobe(t);
	remember_checks(t, job);
	reverdict(t);
	if (!*t->stop && job->res.nchecks)
		page_check(t, job);
	if (!*t->stop && (!job->res.nchecks || job->res.undo_file))
		dialog_result(t, job);
	job_free(job);
}

/* One action on the selection, from choosing its variant to the re-probe. */
static void run_action(struct tui *t, const struct action *act)
{
	const struct vol_ref *v = view_selected(t);
	struct action_opts o = { .log_path = t->opts.log_path };
	struct job job;
	char *why;

	if (!v)
		return;
	if (!v->path) {
		set_message(t, "%s has no device node: nothing can be done with it (partx -a %s).",
			    vol_name(v), v->disk->path);
		return;
	}
	why = act->applies(v, t->inv, NULL);
	if (why && !act->variants) {
		dialog_message(t, act->label, why, ROLE_WARN);
		free(why);
		return;
	}
	if (act->variants) {
		const char *labels[8], *details[8];
		char *disabled[8] = { 0 };
		int n = 0, any = first_variant(t, act, v, disabled);
		for (; n < 8 && act->variants[n].label; n++) {
			labels[n] = act->variants[n].label;
			details[n] = act->variants[n].detail;
		}
		int choice = -1;
		if (any < 0) {
			dialog_message(t, act->label, disabled[0] ? disabled[0] : why, ROLE_WARN);
		} else {
			/* never preselect a choice that loses something: the first one that
			 * applies without a loss, else the first (Enter says why not) */
			int initial = 0;
			for (int i = n - 1; i >= 0; i--)
				if (!disabled[i] && !(act->variants[i].discard_hibernation ||
						      act->variants[i].discard_journal))
					initial = i;
			char *title = xasprintf("%s %s", act->label, v->path);
			choice = dialog_choose(t, title, NULL, labels, details, disabled, n, initial);
			free(title);
		}
		for (int i = 0; i < n; i++)
			free(disabled[i]);
		free(why);
		if (choice < 0)
			return;
		o.rw = act->variants[choice].rw;
		o.discard_hibernation = act->variants[choice].discard_hibernation;
		o.discard_journal = act->variants[choice].discard_journal;
		o.clear_dirty = act->variants[choice].clear_dirty;
	} else {
		free(why);
	}

	job_prepare(&job, act, v->path, v, &o);
	run_job(t, act, &job);
}

/* Undo a fix of this session (the log screen), or fix-boot on a disk (the boot screen): the same flow. */
static void run_on(struct tui *t, const struct action *act, const char *spec, bool rewrite_bcd)
{
	struct action_opts o = { .log_path = t->opts.log_path, .rewrite_bcd = rewrite_bcd };
	struct job job;

	job_prepare(&job, act, spec, NULL, &o);
	run_job(t, act, &job);
}

static void actions_menu(struct tui *t)
{
	const struct vol_ref *v = view_selected(t);
	const char *labels[16];
	char *disabled[16] = { 0 };
	int n = 0;

	if (!v)
		return;
	for (; n < 16 && actions[n]; n++) {
		labels[n] = actions[n]->label;
		disabled[n] = actions[n]->applies(v, t->inv, NULL);
		/* an action with variants may still apply in one of them */
		if (disabled[n] && actions[n]->variants && first_variant(t, actions[n], v, NULL) >= 0) {
			free(disabled[n]);
			disabled[n] = NULL;
		}
	}
	int first = 0;
	while (first < n && disabled[first])
		first++;
	char *title = xasprintf("Actions on %s", v->path ? v->path : vol_name(v));
	int c = dialog_choose(t, title, NULL, labels, NULL, disabled, n, first < n ? first : 0);
	free(title);
	for (int i = 0; i < n; i++)
		free(disabled[i]);
	if (c >= 0)
		run_action(t, actions[c]);
}

/*
 * The mounts this session made that are mounted still, as `umount all`
 * judges them (a fresh look, the audit log: the same mount, not one made
 * by hand since); their mount points into *dirs.
 */
static size_t still_mounted(struct tui *t, char **list, char ***dirs)
{
	struct action_opts o = { .log_path = t->opts.log_path };
	struct inventory *inv;
	struct our_mount *ours;
	char *err = NULL;
	size_t n = 0, nours;

	*list = NULL;
	*dirs = NULL;
	if (!t->nmounted)
		return 0;
	reprobe(t);
	/* a view of some disks only must not hide a mount of this session's on another */
	inv = t->opts.nonly ? probes_scan(&(struct probe_ctx){ 0 }) : t->inv;
	nours = mount_log_ours(inv, audit_path(&o), &ours, &err);
	for (size_t i = 0; i < nours; i++) {
		if (ours[i].pid != (long)getpid())
			continue;
		char *l = xasprintf("%s%s%s at %s", *list ? *list : "", *list ? ", " : "",
				    ours[i].v.path, ours[i].mountpoint);
		free(*list);
		*list = l;
		strv_add(dirs, &n, ours[i].mountpoint);
	}
	our_mounts_free(ours, nours);
	free(err);
	if (inv != t->inv)
		inventory_free(inv);
	return n;
}

/* What unmounts them after quitting: the same audit log as this session's. */
static char *umount_all_words(const struct tui *t)
{
	return t->opts.log_path ? xasprintf("'winrescue umount all --log %s'", t->opts.log_path)
				: xstrdup("'winrescue umount all'");
}

/* q: quit, asking first while volumes this session mounted are mounted. */
static bool confirm_quit(struct tui *t)
{
	char *list, *text, **dirs, *how;
	size_t n = still_mounted(t, &list, &dirs);

	if (!n)
		return true;
	how = umount_all_words(t);
	text = xasprintf("Still mounted by winrescue: %s.", list);
	char *later = xasprintf("%s unmounts them later", how);
	const char *labels[] = { "Unmount them, then quit", "Quit and leave them mounted",
				 "Stay in winrescue" };
	const char *details[] = { "every change is flushed to the disk first", later, NULL };
	int c = dialog_choose(t, "Quit winrescue?", text, labels, details, NULL, 3, 0);
	free(text);
	free(later);
	if (c == 1) {
		t->farewell = xasprintf("still mounted: %s (%s unmounts them)", list, how);
		free(how);
		free(list);
		strv_free(dirs, n);
		return true;
	}
	free(how);
	free(list);
	if (c != 0) {
		strv_free(dirs, n);
		return false;
	}
	struct action_opts o = { .log_path = t->opts.log_path };
	t->cancel = 0;
	/* each by its mount point: only the mount this session made */
	for (size_t i = 0; i < n && !*t->stop; i++) {
		struct job job;
		if (job_prepare(&job, &action_umount, dirs[i], NULL, &o) == ACT_OK) {
			t->running = &job;
			t->last_step = 0;
			t->last_draw = 0;
			job_run(&job, dialog_progress, t, &t->cancel);
			t->running = NULL;
		}
		if (job.res.status != ACT_OK && job.res.code &&
		    strcmp(job.res.code, "not-mounted") != 0) {
			reprobe(t);
			dialog_result(t, &job);
			job_free(&job);
			strv_free(dirs, n);
			set_message(t, "winrescue did not quit: a volume it mounted is still mounted.");
			return false;
		}
		job_free(&job);
	}
	strv_free(dirs, n);
	return true;
}

/*
 * The size: the terminal's own when it reports one (LINES/COLUMNS would
 * pin ncurses to them and hide every resize); on a line that reports 0x0
 * (serial consoles) LINES/COLUMNS, else 80x24.
 */
static void size_fallback(int fd)
{
	struct winsize ws;

	if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col) {
		unsetenv("LINES");
		unsetenv("COLUMNS");
		return;
	}
	const char *l = getenv("LINES"), *c = getenv("COLUMNS");
	if (!l || atoi(l) <= 0)
		setenv("LINES", "24", 1);
	if (!c || atoi(c) <= 0)
		setenv("COLUMNS", "80", 1);
}

static void loop(struct tui *t)
{
	bool dirty = true;

	for (;;) {
		if (dirty)
			view_draw(t);
		dirty = true;
		int ch = term_key(t);
		if (*t->stop)
			return;
		if (ch == ERR) {
			dirty = false;
			continue;
		}
		if (ch == KEY_RESIZE) {
			clearok(curscr, TRUE);
			continue;
		}
		free(t->message);
		t->message = NULL;
		if (term_too_small() && tui_req_for_key(ch) != REQ_QUIT)
			continue;
		enum tui_req r = tui_req_for_key(ch);
		switch (r) {
		case REQ_UP: case REQ_DOWN: case REQ_FIRST: case REQ_LAST:
		case REQ_PAGE_UP: case REQ_PAGE_DOWN: case REQ_NEXT_DISK: case REQ_PREV_DISK:
			view_move(t, r);
			break;
		case REQ_DETAILS: page_details(t); break;
		case REQ_MENU: actions_menu(t); break;
		case REQ_ACTION: run_action(t, action_for_key(ch)); break;
		case REQ_LOG: {
			char *undo = page_log(t);
			if (undo)
				run_on(t, &action_undo, undo, false);
			free(undo);
			break;
		}
		case REQ_BOOT: {
			bool rewrite;
			char *disk = page_boot(t, &rewrite);
			if (disk)
				run_on(t, &action_fix_boot, disk, rewrite);
			free(disk);
			break;
		}
		case REQ_HELP: page_help(t); break;
		case REQ_REFRESH:
			reprobe(t);
			set_message(t, "Read the disks again.");
			break;
		case REQ_REDRAW: clearok(curscr, TRUE); break;
		case REQ_QUIT:
			if (confirm_quit(t))
				return;
			break;
		case REQ_BACK: break;
		default:
			set_message(t, "%s does nothing here; ? shows the keys.", tui_key_name(ch));
			break;
		}
	}
}

int tui_run(const struct tui_opts *o)
{
	struct tui t = { .opts = *o, .stop = &stop_signal };
	struct sigaction sa = { .sa_handler = on_signal }, old[4];
	static const int sigs[4] = { SIGHUP, SIGTERM, SIGINT, SIGQUIT };
	int fd, saved_err = -1, null;
	FILE *tty;
	SCREEN *scr;
	const char *term = getenv("TERM");

	fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || !isatty(fd)) {
		fprintf(stderr, "winrescue: no terminal to draw on; use 'winrescue list' (or "
				"'winrescue list --json') and the scripted commands instead\n");
		if (fd >= 0)
			close(fd);
		return 1;
	}
	if (!term_known(term, fd)) {
		fprintf(stderr, "winrescue: the terminal type '%s' is unknown here; set TERM (vt220 on "
				"a serial console, linux on the VGA console) or use 'winrescue list'\n",
			term ? term : "");
		close(fd);
		return 1;
	}
	del_curterm(cur_term);
	size_fallback(fd);
	tty = fdopen(fd, "r+");
	if (!tty) {
		close(fd);
		return 1;
	}

	sigemptyset(&sa.sa_mask);
	for (int i = 0; i < 4; i++)
		sigaction(sigs[i], &sa, &old[i]);
	t.utf8 = !termout_ascii();
	t.probe.only = o->only;
	t.probe.nonly = o->nonly;
	t.inv = probes_scan(&t.probe);
	view_rebuild(&t, NULL);
	view_select_default(&t);

	/* nothing may write to the terminal behind ncurses' back */
	fflush(stderr);
	saved_err = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);	/* never inherited by ntfs-3g */
	null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, STDERR_FILENO);
		close(null);
	}

	use_tioctl(TRUE);	/* the size from the terminal; LINES/COLUMNS when it says 0x0 */
	if (!getenv("ESCDELAY"))
		set_escdelay(100);
	scr = newterm(term, tty, tty);
	if (!scr) {
		if (saved_err >= 0) {
			dup2(saved_err, STDERR_FILENO);
			close(saved_err);
		}
		fprintf(stderr, "winrescue: cannot draw on this terminal (TERM=%s); use 'winrescue "
				"list'\n", term);
		fclose(tty);
		return 1;
	}
	raw();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	curs_set(0);
	timeout(200);
	term_colors(&t);

	loop(&t);

	term_leave();
	endwin();
	delscreen(scr);
	fclose(tty);
	if (saved_err >= 0) {
		dup2(saved_err, STDERR_FILENO);
		close(saved_err);
	}
	for (int i = 0; i < 4; i++)
		sigaction(sigs[i], &old[i], NULL);
	view_free(&t);
	check_memos_free(&t.checks);
	inventory_free(t.inv);
	strv_free(t.mounted, t.nmounted);
	free(t.message);
	audit_session_free();
	if (t.farewell)
		fprintf(stderr, "winrescue: %s\n", t.farewell);
	free(t.farewell);
	if (stop_signal) {
		char *how = umount_all_words(&t);
		fprintf(stderr, "winrescue: stopped by signal %d (%s); the terminal is restored%s%s%s\n",
			(int)stop_signal, strsignal(stop_signal),
			t.nmounted ? "; what was mounted stays mounted (" : "", t.nmounted ? how : "",
			t.nmounted ? ")" : "");
		free(how);
		return 128 + stop_signal;
	}
	return 0;
}
