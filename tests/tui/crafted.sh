#!/usr/bin/env bash
# tests/tui/crafted.sh - a crafted volume in the TUI (issue 24, finding 3):
# $MFT made to claim every cluster of a 2 TB (sparse) volume, so checking it
# would need 48 GiB. The check runs in its worker: the dialog says the volume
# could not be checked and why, the TUI keeps running (its row and status
# line say it), and q leaves with exit 0 and the terminal's modes as they
# were. (Before: "out of memory", abort, the screen left in curses mode.)
# Needs root, loop devices, tmux.

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../lib.sh"

wr_require_root_loop_fuse
wr_require_tools tmux mkntfs losetup
. "$HERE/../lib-tui.sh"

[ -x "$WR_BIN" ] || wr_bail "$WR_BIN not built"
DMG=${WR_NTFS_DAMAGE:-$WR_ROOT/build/tests/ntfs-damage}
[ -x "$DMG" ] || make -C "$WR_ROOT" --no-print-directory build/tests/ntfs-damage >/dev/null ||
	wr_bail "cannot build $DMG"
wr_tmpdir_to T
export WINRESCUE_LOG=$T/audit.jsonl

truncate -s 2T "$T/claim.img"
mkntfs -q -F -f "$T/claim.img" >/dev/null 2>&1 || wr_bail "mkntfs"
"$DMG" "$T/claim.img" mft-claim || wr_bail "mft-claim"
wr_attach_to DEV "$T/claim.img" || wr_bail "attach"
N=$(basename "$DEV")

tui_start x 80x24 xterm-256color tui "$N" || wr_bail "start"
tui_wait x 'q:Quit' 15 || wr_bail "main screen not drawn: $(tui_screen x | head -3)"
tui_keys x c
if tui_wait x 'could not be checked' 60; then
	scr=$(tui_screen x)
	ok "check: the dialog says the volume could not be checked"
	expect_match "... naming the volume and why" "$DEV could not be checked: .*memory" "$(echo "$scr" | tr -s '\n ' ' ')"
else
	nok "check: no word of the failure: $(tui_screen x | head -8)"
fi
pid=$(tui_pid x)
expect_eq "the TUI is still running" "yes" "$(kill -0 "$pid" 2>/dev/null && echo yes || echo no)"
tui_keys x Escape
tui_wait x 'q:Quit' 5 || nok "Esc does not close the check's page"
tui_settle x
expect_match "its row says it could not be checked" "$N +NTFS +could not be checked" "$(tui_screen x)"
expect_match "so does the status line" "could not be checked" "$(tui_screen x | sed -n 23p)"
tui_keys x q
expect_eq "q: exit 0" 0 "$(tui_wait_exit x 10)"
expect_eq "terminal modes restored" "$(cat "$TUI_DIR/x.stty-before")" "$(cat "$TUI_DIR/x.stty-after" 2>/dev/null)"
tui_stop x

wr_run_cleanup
wr_finish
