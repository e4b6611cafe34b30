#!/usr/bin/env bash
# tests/tui/demo.sh - `make demo` (tests/demo.sh) in a real terminal (tmux)
# leaves nothing behind, whatever was done in its TUI:
#
#   (a) a volume mounted and a fix run from its TUI (an undo file written),
#       q with "Quit and leave them mounted": after the demo exits, no loop
#       device of the demo, no mount of its disks, no mount point, no undo
#       file, no audit log, no temporary directory;
#   (b) the same with the TUI killed (SIGKILL) while a volume is mounted;
#   (c) the same with the terminal gone (the tmux window killed: SIGHUP).
# The demo's TUI shows every disk of the machine (other suites' too): the
# test finds the demo's own volumes by their device names, which the demo
# prints before its TUI starts.
# Needs root, loop devices, FUSE, tmux.

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../lib.sh"

wr_require_root_loop_fuse
wr_require_fixtures
wr_require_tools tmux jq sfdisk losetup partx mkntfs ntfs-3g
. "$HERE/../lib-tui.sh"
[ -x "$WR_BIN" ] || wr_bail "$WR_BIN not built"

mounted_at() { awk -v d="$1" '$1 == d { print $2 }' /proc/mounts | head -n 1; }

# demo_start NAME: the demo in a window of its own; DIR and the disks (WIN,
# DATA, CLONE, UEFI) from what it prints before its TUI starts
demo_start() {
	local name=$1 raw=$TUI_DIR/$1.raw i line
	rm -f "$raw" "$TUI_DIR/$name.rc"
	TUI_RAW=$raw tui_window "$name" 100x30 \
		"bash '$WR_ROOT/tests/demo.sh'; echo \$? >'$TUI_DIR/$name.rc'; exec sleep 600" || return 1
	tui_wait "$name" 'q:Quit' 180 || { echo "the demo's TUI did not start: $(tui_screen "$name")" >&2; return 1; }
	line=$(tr -d '\033' <"$raw" | grep -a -o 'in /tmp/winrescue-test\.[A-Za-z0-9]* \.\.\.' | head -n 1)
	DIR=${line#in }
	DIR=${DIR% ...}
	line=$(tr -d '\033' <"$raw" | grep -a -o 'Windows disk: .*UEFI disk: /dev/loop[0-9]*' | head -n 1)
	read -r WIN DATA CLONE UEFI < <(printf '%s\n' "$line" | grep -o '/dev/loop[0-9]*' | tr '\n' ' ')
	[ -d "$DIR" ] && [ -n "$UEFI" ] || { echo "no directory or disks in the demo's words: '$DIR' '$line'" >&2; return 1; }
	DEMO_PID=$(_tmux display -p -t "$name" '#{pane_pid}')
	for ((i = 0; i < 50; i++)); do
		TUI_PID=$(pgrep -x winrescue -P "$(pgrep -P "$DEMO_PID" -x bash | head -n 1)" | head -n 1)
		[ -n "$TUI_PID" ] && break
		sleep 0.1
	done
	echo "# demo in $DIR: windows=$WIN data=$DATA clone=$CLONE uefi=$UEFI, its TUI pid $TUI_PID"
}

# select NAME DEV: move the selection (the ">" marker) onto the volume DEV
select_vol() {
	local name=$1 dev=${2#/dev/} i
	tui_keys "$name" g
	for ((i = 0; i < 120; i++)); do
		tui_screen "$name" | grep -q "^> $dev " && return 0
		tui_keys "$name" j
		sleep 0.05
	done
	return 1
}

# demo_wait NAME: the demo's exit status once it exited (its directory gone), or "timeout"
demo_wait() {
	local i
	for ((i = 0; i < 600; i++)); do
		[ -s "$TUI_DIR/$1.rc" ] && { cat "$TUI_DIR/$1.rc"; return 0; }
		sleep 0.1
	done
	echo timeout
}

# left_behind WHAT: nothing of the demo is left once it exited
left_behind() {
	local what=$1 d m u
	expect_eq "$what: no loop device of the demo" "" "$(losetup -a | grep -F "$DIR/")"
	for d in "$WIN" "$DATA" "$CLONE" "$UEFI"; do
		m=$(awk -v d="$d" -v dir="$DIR/" 'index($1, d "p") == 1 { print $2 }' /proc/mounts)
		# the number may be another suite's by now: only a loop still backed by the demo's file counts
		[ -n "$m" ] && losetup "$d" 2>/dev/null | grep -qF "$DIR/" && nok "$what: $d still mounted at $m"
	done
	for m in "${MPS[@]}"; do
		expect_eq "$what: not mounted at $m any more" "" "$(awk -v m="$m" '$2 == m' /proc/mounts)"
		[ -e "$m" ] && nok "$what: the mount point $m is left" || ok "$what: the mount point $m removed"
	done
	for u in "${UNDOS[@]}"; do
		[ -e "$u" ] && nok "$what: the undo file $u is left" || ok "$what: the undo file $u removed"
	done
	[ -e "$DIR" ] && nok "$what: $DIR is left" || ok "$what: its directory (images, audit log, undo files) removed"
}

# back_to_main NAME: close whatever page or dialog is open (Esc does nothing on the main screen)
back_to_main() {
	local i
	for ((i = 0; i < 4; i++)); do
		tui_keys "$1" Escape
		tui_settle "$1"
	done
}

# mount_ro NAME DEV: Online, read-only, from the demo's TUI; its mount point into MPS.
# Other suites attach and detach disks meanwhile: a plan made void by that
# ("the disks changed since the plan was shown") is made again.
mount_ro() {
	local name=$1 dev=$2 try
	for ((try = 0; try < 4; try++)); do
		select_vol "$name" "$dev" || { nok "$name: $dev not found on the demo's screen"; return 1; }
		tui_keys "$name" m
		tui_wait "$name" 'Read-only' 5 || { nok "$name: no mount dialog: $(tui_screen "$name" | sed -n 6,20p)"; return 1; }
		tui_keys "$name" 1 Enter
		tui_wait "$name" 'Done|Failed' 30
		tui_screen "$name" | grep -q 'the disks changed since' || break
		back_to_main "$name"
	done
	if tui_screen "$name" | grep -q 'Done'; then ok "$name: $dev mounted from the demo's TUI"
	else nok "$name: mount of $dev: $(tui_screen "$name" | sed -n 6,20p)"; fi
	back_to_main "$name"
	MPS+=("$(mounted_at "$dev")")
	[ -n "${MPS[-1]}" ] || nok "$name: $dev is not mounted"
}

# ---------------------------- (a) a mount and a fix, q leaving it mounted
MPS=() UNDOS=()
demo_start a || wr_bail "(a) the demo did not start"
mount_ro a "${CLONE}p1"
# a fix of the hibernated, dirty C: that discards the session: an undo file
select_vol a "${WIN}p2" || nok "(a) ${WIN}p2 not found on the demo's screen"
tui_keys a f
if tui_wait a 'discarding what Windows left unfinished' 5; then
	tui_keys a 2 Enter
	if tui_wait_plan a "Type $(basename "$WIN")p2 and press Enter" 30; then
		tui_keys a -l "$(basename "$WIN")p2"
		tui_keys a Enter
		tui_wait a 'after the repair|Undo file|Repaired|[Cc]orrected|changed since' 90 ||
			nok "(a) the fix: $(tui_screen a | sed -n 4,24p)"
	else
		nok "(a) the fix asks for no name: $(tui_screen a | sed -n 4,24p)"
	fi
else
	nok "(a) no fix dialog: $(tui_screen a | sed -n 4,24p)"
fi
back_to_main a
UNDOS=("$DIR"/undo/*.undo)
[ -f "${UNDOS[0]}" ] && ok "(a) the fix wrote its undo file into the demo's own directory (${UNDOS[0]})" ||
	nok "(a) no undo file in $DIR/undo"
[ -f "$DIR/audit.jsonl" ] && ok "(a) the audit log is the demo's own" || nok "(a) no audit log in $DIR"
tui_keys a q
if tui_wait a 'Still mounted by winrescue' 10; then
	tui_keys a 2 Enter
else
	nok "(a) q does not ask: $(tui_screen a | sed -n 6,20p)"
fi
expect_eq "(a) the demo ends (exit 0)" 0 "$(demo_wait a)"
left_behind "(a) left mounted at quit"
tui_stop a

# --------------------------------------------- (b) the TUI killed (SIGKILL)
MPS=() UNDOS=()
demo_start b || wr_bail "(b) the demo did not start"
mount_ro b "${CLONE}p1"
[ -n "$TUI_PID" ] && kill -KILL "$TUI_PID"
expect_eq "(b) the demo ends with its TUI's status (128+9)" 137 "$(demo_wait b)"
left_behind "(b) the TUI killed"
tui_stop b

# ------------------------------------------ (c) the terminal gone (SIGHUP)
MPS=() UNDOS=()
demo_start c || wr_bail "(c) the demo did not start"
mount_ro c "${CLONE}p1"
# the window's processes get SIGHUP, as when an SSH connection drops
_tmux kill-window -t c
for ((i = 0; i < 600; i++)); do
	[ -e "$DIR" ] || break
	sleep 0.1
done
left_behind "(c) the terminal gone"

wr_finish
