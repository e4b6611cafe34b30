/*
 * keys.h - keys map to named requests (as in tig): the bindings, the help
 * screen and the tests all use this one table. Every request has a letter
 * key; function keys are only aliases (VNC consoles swallow them), and Esc
 * is never the only way out of anything.
 */
#ifndef WINRESCUE_TUI_KEYS_H
#define WINRESCUE_TUI_KEYS_H

enum tui_req {
	REQ_NONE = 0,
	REQ_UP,			/* previous volume */
	REQ_DOWN,		/* next volume */
	REQ_PREV_DISK,
	REQ_NEXT_DISK,
	REQ_FIRST,
	REQ_LAST,
	REQ_PAGE_UP,
	REQ_PAGE_DOWN,
	REQ_DETAILS,		/* every field and finding of the selection */
	REQ_MENU,		/* the actions on the selection */
	REQ_ACTION,		/* an action's own key (the registry's) */
	REQ_LOG,		/* what was done since start */
	REQ_BOOT,		/* boot diagnosis: why Windows would not start */
	REQ_REFRESH,		/* read the disks again */
	REQ_HELP,
	REQ_REDRAW,		/* Ctrl-L: repaint everything */
	REQ_BACK,		/* close a page or dialog */
	REQ_QUIT,
	REQ_COUNT
};

/* The request a key means on the main screen and in pages (REQ_NONE: none). */
enum tui_req tui_req_for_key(int key);

/* One line of help: the keys (as text) and what the request does. */
struct tui_binding {
	enum tui_req req;
	const char *keys;	/* "Down, j, Ctrl-N" */
	const char *help;
};
extern const struct tui_binding tui_bindings[];

/* "Ctrl-N", "F1", "Enter", "x": a key's name for messages and help. */
const char *tui_key_name(int key);

#endif
