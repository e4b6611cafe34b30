/* keys.c - the one table from keys to requests (see keys.h). */
#include "tui/keys.h"
#include "actions/action.h"

#include <curses.h>
#include <stdio.h>

#define CTRL(c) ((c) & 0x1f)

enum tui_req tui_req_for_key(int key)
{
	switch (key) {
	case KEY_UP: case 'k': case CTRL('p'): case KEY_LEFT:
		return REQ_UP;
	case KEY_DOWN: case 'j': case CTRL('n'): case KEY_RIGHT:
		return REQ_DOWN;
	case '\t': case ']':
		return REQ_NEXT_DISK;
	case KEY_BTAB: case '[':
		return REQ_PREV_DISK;
	case KEY_HOME: case 'g':
		return REQ_FIRST;
	case KEY_END: case 'G':
		return REQ_LAST;
	case KEY_PPAGE: case CTRL('b'):
		return REQ_PAGE_UP;
	case KEY_NPAGE: case CTRL('f'):
		return REQ_PAGE_DOWN;
	case '\n': case '\r': case KEY_ENTER: case 'd': case KEY_F(3):
		return REQ_DETAILS;
	case 'a': case ' ': case KEY_F(2):
		return REQ_MENU;
	case 'l': case KEY_F(4):
		return REQ_LOG;
	case 'b': case KEY_F(6):
		return REQ_BOOT;
	case 'r': case KEY_F(5):
		return REQ_REFRESH;
	case '?': case 'h': case KEY_F(1):
		return REQ_HELP;
	case CTRL('l'):
		return REQ_REDRAW;
	case 27: case KEY_BACKSPACE: case 127:
		return REQ_BACK;
	case 'q': case 'Q': case CTRL('c'): case KEY_F(10):
		return REQ_QUIT;
	default:
		return key > 0 && key < 256 && action_for_key(key) ? REQ_ACTION : REQ_NONE;
	}
}

const struct tui_binding tui_bindings[] = {
	{ REQ_DOWN, "Down, j, Ctrl-N, Right", "next volume (both panes move together)" },
	{ REQ_UP, "Up, k, Ctrl-P, Left", "previous volume" },
	{ REQ_NEXT_DISK, "Tab, ]", "first volume of the next disk" },
	{ REQ_PREV_DISK, "Shift-Tab, [", "first volume of the previous disk" },
	{ REQ_FIRST, "Home, g", "first volume" },
	{ REQ_LAST, "End, G", "last volume" },
	{ REQ_PAGE_DOWN, "PgDn, Ctrl-F", "a page down (in pages: scroll)" },
	{ REQ_PAGE_UP, "PgUp, Ctrl-B", "a page up" },
	{ REQ_DETAILS, "Enter, d, F3", "details: every field and finding of the selection" },
	{ REQ_MENU, "a, Space, F2", "actions on the selection; the others say why not" },
	{ REQ_LOG, "l, F4", "log: everything done since start (the audit log)" },
	{ REQ_BOOT, "b, F6", "boot diagnosis: why Windows would not start" },
	{ REQ_REFRESH, "r, F5", "read the disks again" },
	{ REQ_HELP, "?, h, F1", "this help" },
	{ REQ_REDRAW, "Ctrl-L", "repaint the screen (after kernel messages scribbled on it)" },
	{ REQ_BACK, "Esc, q, Backspace", "close a page or dialog" },
	{ REQ_QUIT, "q, Ctrl-C, F10", "quit (asks first while its mounts are mounted)" },
	{ REQ_NONE, NULL, NULL },
};

const char *tui_key_name(int key)
{
	static char buf[16];

	switch (key) {
	case '\n': case '\r': case KEY_ENTER: return "Enter";
	case 27: return "Esc";
	case '\t': return "Tab";
	case ' ': return "Space";
	case KEY_UP: return "Up";
	case KEY_DOWN: return "Down";
	case KEY_LEFT: return "Left";
	case KEY_RIGHT: return "Right";
	default: break;
	}
	if (key >= KEY_F(1) && key <= KEY_F(12))
		snprintf(buf, sizeof(buf), "F%d", key - KEY_F0);
	else if (key > 0 && key < 32)
		snprintf(buf, sizeof(buf), "Ctrl-%c", key + 'A' - 1);
	else if (key >= 32 && key < 127)
		snprintf(buf, sizeof(buf), "%c", key);
	else
		snprintf(buf, sizeof(buf), "key %d", key);
	return buf;
}
