#!/usr/bin/env bash
# tests/tui/tui.sh - the real program in a real terminal (tmux), on real
# loop devices: a BIOS-era Windows disk whose C: is hibernated and dirty,
# a data disk, and a clone with the BIOS disk's MBR signature.
#
#   at 80x24 under vt100, vt220, linux, xterm-256color: the markers, every
#     partition reached by the keys, help, q exits 0 with the terminal modes
#     as they were; vt100 output is pure ASCII; monochrome without colours
#   the golden main screen at 80x24 under vt220, compared as text
#   Fix (f) on a data volume with a broken $MFTMirr: variants, plan, typed
#     name, the check after; Undo from the log (U) restores it byte for byte
#   details show the dirty and hibernated findings; Online on C: shows the
#     mount point on screen and in `list --json`, Offline removes it; the
#     typed confirmation for read-write; read-write offered only where safe
#   50x12: the too-small screen; a resize redraws; a 0x0 size (serial line)
#     falls back to 80x24; Ctrl-L repaints; --ascii draws ASCII lines
#   refusals in dialogs: the rescue disk, a volume that vanished
#   SIGTERM while mounted: exit 143, no lock left, sane terminal; q agrees
#     with umount all (a mount left by the session is winrescue's, one made
#     again by hand since is not: q quits without asking)
#   no terminal: one line pointing to `winrescue list`, exit 1
#   terminfo/ beside the program (the bundle): used for a terminal the system
#     does not know, never instead of the system's own
# Needs root, loop devices, FUSE, tmux. UPDATE_GOLDEN=1 rewrites the golden file.

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../lib.sh"
. "$HERE/../integration/disks.sh"

wr_require_root_loop_fuse
wr_require_fixtures
wr_require_tools tmux jq sfdisk losetup partx mkntfs ntfs-3g flock od
. "$HERE/../lib-tui.sh"

[ -x "$WR_BIN" ] || wr_bail "$WR_BIN not built"
[ -x "$WR_NTFS_STATE" ] || make -C "$WR_ROOT" --no-print-directory build/tests/ntfs-state >/dev/null ||
	wr_bail "cannot build $WR_NTFS_STATE"

wr_tmpdir_to T
export WINRESCUE_LOG=$T/audit.jsonl
GOLDEN=$HERE/golden/main-vt220.txt

# --------------------------------------------------------------- the disks
make_bios_disk "$T/bios.img" 0x1234abcd || wr_bail "make_bios_disk"
make_data_disk "$T/data.img" || wr_bail "make_data_disk"
sfdisk -q --disk-id "$T/data.img" 0d0d0d0d-0000-4000-8000-00000000000d >/dev/null || wr_bail "disk id"
make_collision_disk "$T/clone.img" 0x1234abcd || wr_bail "make_collision_disk"

# three free loop devices with two-digit numbers, so that the golden screen
# has the same widths wherever it runs (the names are mapped back to 60..62)
BASE=""
for ((b = 60; b < 97; b++)); do
	if ! losetup "/dev/loop$b" >/dev/null 2>&1 && ! losetup "/dev/loop$((b + 1))" >/dev/null 2>&1 &&
		! losetup "/dev/loop$((b + 2))" >/dev/null 2>&1; then
		BASE=$b
		break
	fi
done
[ -n "$BASE" ] || wr_bail "no three free loop devices in 60..99"
attach_at() { # VAR IMG N
	losetup -P "/dev/loop$3" "$2" || return 1
	# with its file: detached at exit only while still this suite's
	wr_cleanup_add "wr_detach '/dev/loop$3' '$(losetup -nO BACK-FILE "/dev/loop$3")'"
	partx -a "/dev/loop$3" >/dev/null 2>&1 || true
	printf -v "$1" '%s' "/dev/loop$3"
}
attach_at WIN "$T/bios.img" "$BASE" || wr_bail "attach bios"
attach_at DATA "$T/data.img" $((BASE + 1)) || wr_bail "attach data"
attach_at CLONE "$T/clone.img" $((BASE + 2)) || wr_bail "attach clone"
for d in "$WIN" "$DATA" "$CLONE"; do _wrd_part "$d" 1 >/dev/null || wr_bail "no partitions on $d"; done
_wrd_part "$WIN" 2 >/dev/null || wr_bail "no ${WIN}p2"
C=${WIN}p2
ntfs_make_dirty "$C" >/dev/null || wr_bail "dirty"
ntfs_make_hibernated "$C" >/dev/null || wr_bail "hibernated"
W=$(basename "$WIN") D=$(basename "$DATA") K=$(basename "$CLONE")
DISKS=("$W" "$D" "$K")
PARTS=("${WIN}p1" "${WIN}p2" "${DATA}p1" "${CLONE}p1")
echo "# windows=$WIN data=$DATA clone=$CLONE"
# Disk N as list numbers these disks (the TUI numbers them the same, filtered or not)
disk_no() { "$WR_BIN" list --json "${DISKS[@]}" 2>/dev/null | jq -r --arg p "$1" '.disks[] | select(.path == $p) | .index'; }
NW=$(disk_no "$WIN")
[ -n "$NW" ] || wr_bail "list does not number $WIN"
# Disk N is the machine's number: another suite attaching or detaching a disk
# meanwhile moves it; the screen shows it as of its last look, list as of now
nw_re() { echo "($NW|$(disk_no "$WIN"))"; }
SHA_BEFORE=$(sha256sum "$T/bios.img" | cut -c1-64)

mounted_at() { # DEV: where /proc/mounts has it
	awk -v d="$1" '$1 == d { print $2 }' /proc/mounts | head -n 1
}
mounted_mode() {
	awk -v d="$1" '$1 == d { split($4, o, ","); print o[1] }' /proc/mounts | head -n 1
}
pure_ascii() { # FILE: no byte above 0x7f
	! LC_ALL=C grep -q -P '[\x80-\xff]' "$1"
}

# ------------------------------------------- every terminal type at 80x24
for term in vt100 vt220 linux xterm-256color; do
	n=t-$term
	tui_start "$n" 80x24 "$term" tui "${DISKS[@]}" || wr_bail "start $term"
	tui_raw "$n" "$TUI_DIR/$n.raw"
	if tui_wait "$n" 'q:Quit' 10; then ok "$term: main screen drawn"; else nok "$term: main screen not drawn: $(tui_screen "$n" | head -3)"; fi
	scr=$(tui_screen "$n")
	expect_match "$term: [SYSTEM] marks the Windows disk, numbered as list numbers it" \
		"Disk $(disk_no "$WIN") \| Basic \| 128.0 MiB \| not mounted \| \[SYSTEM\]" "$scr"
	expect_match "$term: C: is hibernated and dirty, in list's words" "$(basename "$C") Windows +NTFS +hibernated" "$scr"
	case $scr in *Offline* | *Healthy*) nok "$term: never Offline, never Healthy from the quick look" ;;
	*) ok "$term: never Offline, never Healthy from the quick look" ;; esac
	expect_eq "$term: 24 rows" 24 "$(tui_screen "$n" | wc -l)"
	# the keys reach every partition, in disk order, then stop at the last
	tui_keys "$n" g
	seen=()
	for ((i = 0; i < ${#PARTS[@]} + 1; i++)); do
		tui_settle "$n"
		seen+=("$(tui_screen "$n" | sed -n 23p | grep -Eo '/dev/loop[0-9]+p[0-9]+' | head -n 1)")
		tui_keys "$n" j
	done
	expect_eq "$term: Down/j visits every partition" "${PARTS[*]} ${PARTS[-1]}" "${seen[*]}"
	tui_keys "$n" k C-p Up
	tui_settle "$n"
	expect_match "$term: Up, k and Ctrl-P go back" "${WIN}p1" "$(tui_screen "$n" | sed -n 23p)"
	tui_keys "$n" '?'
	if tui_wait "$n" 'Keys' 5; then
		top=$(tui_screen "$n")
		expect_match "$term: help lists the actions' keys" 'm +Mount \(winrescue mount\)' "$top"
		expect_match "$term: help lists Check" 'c +Check' "$top"
		all=$top
		# a vt100 has no PgDn key: tmux sends it ESC [ 6 ~, which that
		# terminfo does not know, and the ESC closes the help; Ctrl-F is the
		# same request on every terminal
		pgdn=NPage
		[ "$term" = vt100 ] && pgdn=C-f
		for i in 1 2 3; do
			tui_keys "$n" "$pgdn"
			tui_settle "$n"
			all="$all
$(tui_screen "$n")"
		done
		tui_keys "$n" G
		tui_settle "$n"
		expect_match "$term: help explains the markers (its end, after G)" '\[SAME ID\]' "$(tui_screen "$n")"
		expect_match "$term: help lists the keys" 'Ctrl-L' "$all"
	else
		nok "$term: help not shown"
	fi
	tui_keys "$n" q
	tui_wait "$n" 'q:Quit' 10 || nok "$term: q does not leave the help: $(tui_screen "$n" | tail -5)"
	tui_keys "$n" q
	expect_eq "$term: q exits 0" 0 "$(tui_wait_exit "$n" 10)"
	expect_eq "$term: terminal modes restored" "$(cat "$TUI_DIR/$n.stty-before")" \
		"$(cat "$TUI_DIR/$n.stty-after" 2>/dev/null)"
	[ -s "$TUI_DIR/$n.err" ] && nok "$term: stderr not empty: $(head -c 200 "$TUI_DIR/$n.err")" ||
		ok "$term: nothing on stderr"
	case $term in
	vt100 | vt220)
		pure_ascii "$TUI_DIR/$n.raw" && ok "$term: output is pure ASCII" ||
			nok "$term: bytes above 0x7f in the output"
		;;
	esac
	# colour escapes: SGR 30-37/40-47 or 38/48 (256 colours)
	if LC_ALL=C grep -q -P '\e\[[0-9;]*(3[0-9]|4[0-9])m' "$TUI_DIR/$n.raw"; then col=yes; else col=no; fi
	case $term in
	vt100 | vt220) expect_eq "$term: monochrome (no colour escapes)" no "$col" ;;
	*) expect_eq "$term: in colour" yes "$col" ;;
	esac
	tui_stop "$n"
done

# NO_COLOR and --color
tui_start_env nc 80x24 xterm-256color "LINES=24 COLUMNS=80 NO_COLOR=1" tui "${DISKS[@]}"
tui_raw nc "$TUI_DIR/nc.raw"
tui_wait nc 'q:Quit' 10
tui_keys nc q
tui_wait_exit nc >/dev/null
LC_ALL=C grep -q -P '\e\[[0-9;]*(3[0-9]|4[0-9])m' "$TUI_DIR/nc.raw" && nok "NO_COLOR: colour escapes sent" ||
	ok "NO_COLOR: monochrome"
tui_stop nc
tui_start nv 80x24 xterm-256color --color=never tui "${DISKS[@]}"
tui_raw nv "$TUI_DIR/nv.raw"
tui_wait nv 'q:Quit' 10
tui_keys nv q
tui_wait_exit nv >/dev/null
LC_ALL=C grep -q -P '\e\[[0-9;]*(3[0-9]|4[0-9])m' "$TUI_DIR/nv.raw" && nok "--color=never: colour escapes sent" ||
	ok "--color=never: monochrome"
tui_stop nv

# ------------------------------------------------------------ golden screen
tui_start g 80x24 vt220 tui "${DISKS[@]}"
tui_wait g 'q:Quit' 10
tui_settle g
# the loop names as in the golden file (same widths); the disks' numbers are
# this machine's (what else is attached moves them), so a disk's row is
# compared without its number and its last word (cut at the edge where the
# number's width moved it)
map() {
	sed -e "s/loop$BASE/loop60/g" -e "s/loop$((BASE + 1))/loop61/g" -e "s/loop$((BASE + 2))/loop62/g" |
		sed -E '/^ Disk [0-9]+ \|/{s/^ Disk [0-9]+/ Disk N/; s/ +[^ ]*$//}'
}
tui_screen g | map >"$T/main-vt220.txt"
if [ "${UPDATE_GOLDEN:-}" = 1 ]; then
	mkdir -p "$(dirname "$GOLDEN")"
	cp "$T/main-vt220.txt" "$GOLDEN"
	echo "# golden screen written to $GOLDEN"
fi
if diff -u "$GOLDEN" "$T/main-vt220.txt"; then
	ok "the main screen at 80x24 under vt220 is the golden one"
else
	nok "the main screen differs from $GOLDEN (UPDATE_GOLDEN=1 after checking it)"
fi

# --------------------------------------------- details, Online, Offline, log
tui_keys g Enter
if tui_wait g 'Details: ' 5; then
	# the whole page, a screen at a time
	all=$(tui_screen g)
	for i in 1 2 3 4 5 6; do
		tui_keys g NPage
		tui_settle g
		all="$all
$(tui_screen g)"
	done
	tui_keys g g
	tui_settle g
	expect_match "details: the verdict first, in list's words" \
		"Disk $(nw_re) partition 2: hibernated, dirty" "$(tui_screen g | sed -n 2p)"
	expect_match "details: its next step" "Next: Nothing to repair for this" "$(tui_screen g)"
	expect_match "details: every field (hibernated yes)" 'hibernated: yes' "$all"
	expect_match "details: the dirty finding" 'ntfs-dirty' "$all"
	expect_match "details: the hibernated finding" 'ntfs-hibernated' "$all"
	expect_match "details: the next step" 'Next: ' "$all"
	expect_match "details: the signature collision of its disk" 'signature-collision' "$all"
else
	nok "Enter does not open the details"
fi
tui_keys g Escape
tui_wait g 'q:Quit' 5 || nok "Esc does not close the details"

# Check (c): the passes in the progress dialog, then the findings page
tui_keys g c
if tui_wait g 'NTFS has no errors' 30; then
	scr=$(tui_screen g)
	expect_match "check: the findings page names the volume" "$C: NTFS has no errors" "$scr"
	case $scr in *clean*dirty* | *dirty*clean*) nok "check: clean and dirty in one sentence" ;;
	*) ok "check: never clean beside dirty" ;; esac
	expect_match "check: the hibernation warning with its code" 'WARNING +hibernated' "$scr"
	expect_match "check: the dirty warning" 'volume-dirty' "$scr"
else
	nok "c does not check the volume: $(tui_screen g | sed -n 1,12p)"
fi
tui_keys g Escape
tui_wait g 'q:Quit' 5 || nok "Esc does not close the check page"
tui_settle g
expect_match "check: the row now says what the check found" \
	"$(basename "$C") Windows +NTFS +no errors \(checked\)" "$(tui_screen g)"
expect_match "check: the status line in full" 'no errors \(checked\), hibernated, dirty' "$(tui_screen g | sed -n 23p)"
expect_eq "check: nothing in the audit log (read-only)" 0 "$(cat "$WINRESCUE_LOG" 2>/dev/null | grep -c '"check"')"

# Online on C: read-write is not offered (hibernated), read-only is.
# /mnt/winrescue/Windows, or Windows-<name> while another volume of the
# machine is labelled Windows too (another suite's disk, a `make demo`)
WD=$(wr_mount_dir "$C")
tui_keys g m
if tui_wait g 'Read-only' 5; then
	scr=$(tui_screen g)
	expect_match "mount dialog: read-write is refused with the reason" 'why not: Refused: Windows on' "$scr"
	expect_match "mount dialog: discarding shows the loss in words" 'LOSS: the hibernated session' "$scr"
	tui_keys g 2 Enter
	if tui_wait g 'That one is not available' 5; then ok "mount dialog: a refused choice cannot be taken, and says so"
	else nok "mount dialog: Enter on a refused choice: $(tui_screen g | sed -n 6,18p)"; fi
	tui_keys g 1 Enter
	if tui_wait g 'Done' 10; then
		[ "$(mounted_at "$C")" = "$WD" ] || WD=$(wr_mount_dir "$C")
		expect_match "Online: at /mnt/winrescue/<label> (-<name> when the label is not unique)" \
			"^/mnt/winrescue/Windows(-$(basename "$C"))?\$" "$WD"
		# the dialog's text, its lines joined (a long mount point wraps)
		expect_match "Online: the result names the mount point" "Mounted $C read-only at $WD " \
			"$(tui_screen g | sed -E 's/^[^x]*x ?//; s/ *x[^x]*$//' | tr '\n' ' ' | tr -s ' ')"
	else
		nok "Online: no result dialog: $(tui_screen g | sed -n 8,16p)"
	fi
	tui_keys g Enter
	tui_wait g 'q:Quit' 5
	tui_settle g
	expect_match "Online: the mount point on screen" "Mounted read-only at $WD" "$(tui_screen g)"
	expect_match "Online: its disk says mounted" "Disk $(nw_re) \| Basic \| 128.0 MiB \| mounted" "$(tui_screen g)"
	expect_eq "Online: mounted read-only (/proc/mounts)" "$WD ro" \
		"$(mounted_at "$C") $(mounted_mode "$C")"
	"$WR_BIN" list --json "${DISKS[@]}" >"$T/after-mount.json" 2>/dev/null
	expect_eq "Online: list --json has the mount point" "[\"$WD\"]" \
		"$(jq -c --arg p "$C" '.disks[].partitions[] | select(.path == $p) | .mountpoints' "$T/after-mount.json")"
else
	nok "m does not open the mount dialog"
fi
# mount again: refused, with the place it is mounted
tui_keys g m
if tui_wait g 'already mounted' 5; then ok "Online twice: refused, saying where"; else nok "Online twice: $(tui_screen g | sed -n 8,14p)"; fi
tui_keys g Escape
tui_wait g 'q:Quit' 5
# Offline
tui_keys g u
if tui_wait g 'Unmounted' 10; then ok "Offline: unmounted"; else nok "Offline: $(tui_screen g | sed -n 8,14p)"; fi
tui_keys g q
tui_wait g 'q:Quit' 5
expect_eq "Offline: not mounted any more" "" "$(mounted_at "$C")"
[ -d "$WD" ] && nok "Offline: $WD left behind" || ok "Offline: the mount point removed"
tui_keys g l
if tui_wait g 'Log' 5; then
	scr=$(tui_screen g)
	expect_match "log: the mount plan" 'mount +plan' "$scr"
	expect_match "log: the unmount result" 'umount +result' "$scr"
else
	nok "l does not show the log"
fi
tui_keys g q
tui_wait g 'q:Quit' 5
expect_eq "audit log: plan and result of both" "plan result plan result" \
	"$(jq -r 'select(.action == "mount" or .action == "umount") | select(.event != "refused") | .event' "$WINRESCUE_LOG" | tr '\n' ' ' | sed 's/ $//')"

# read-write on the data volume: the device name typed first
tui_keys g Tab
tui_settle g
expect_match "Tab goes to the next disk" "${DATA}p1" "$(tui_screen g | sed -n 23p)"
tui_keys g m
tui_wait g 'Read-write' 5
tui_keys g 2
tui_settle g
expect_match "a digit only chooses (Enter goes)" '> 2  Read-write' "$(tui_screen g)"
tui_keys g Enter
if tui_wait_plan g 'Type '"$(basename "$DATA")"'p1 and press Enter' 10; then
	ok "read-write asks for the device name"
	tui_keys g -l "wrong"
	tui_keys g Enter
	tui_wait g 'That is not the name asked for' 5 && ok "a wrong name is refused" || nok "a wrong name: $(tui_screen g | sed -n 8,20p)"
	expect_match "a wrong name is cleared, to be typed again" '> _' "$(tui_screen g)"
	expect_match "the plan names its target: disk number, node, serial" \
		"On: Disk [0-9]+ partition 1: ${DATA}p1" "$(tui_screen g)"
	expect_eq "nothing mounted before the right name" "" "$(mounted_at "${DATA}p1")"
	tui_keys g C-u
	tui_keys g -l "${DATA}p1"	# the path is accepted as well as the name
	tui_keys g Enter
	if tui_wait g 'Done' 10; then ok "read-write: done"; else nok "read-write: $(tui_screen g | sed -n 8,20p)"; fi
	expect_eq "read-write: mounted rw" rw "$(mounted_mode "${DATA}p1")"
else
	nok "read-write does not ask for the device name: $(tui_screen g | sed -n 6,20p)"
fi
tui_keys g Enter
tui_wait g 'q:Quit' 5
# q while it is mounted: asked first; "unmount them, then quit"
tui_keys g q
if tui_wait g 'Still mounted by winrescue' 5; then
	ok "q asks first while a volume winrescue mounted is mounted"
	tui_keys g 1 Enter
	expect_eq "quit after unmounting: exit 0" 0 "$(tui_wait_exit g 15)"
	expect_eq "quit after unmounting: nothing mounted" "" "$(mounted_at "${DATA}p1")"
else
	nok "q does not ask: $(tui_screen g | sed -n 6,20p)"
fi
expect_eq "terminal modes restored after the session" "$(cat "$TUI_DIR/g.stty-before")" \
	"$(cat "$TUI_DIR/g.stty-after" 2>/dev/null)"
tui_stop g

# ------------------------------------------- Fix (f) and Undo (l, then U)
SHA_INTACT=$(sha256sum "${DATA}p1" | cut -c1-64)
ntfs_break_mftmirr "${DATA}p1" >/dev/null || wr_bail "break \$MFTMirr of ${DATA}p1"
SHA_DATA=$(sha256sum "${DATA}p1" | cut -c1-64)
tui_start_env fx 80x24 vt220 "LINES=24 COLUMNS=80 WINRESCUE_UNDO_DIR=$T/undo" tui "${DISKS[@]}" ||
	wr_bail "start fx"
tui_wait fx 'q:Quit' 10 || nok "fx: no main screen"
tui_keys fx Tab
tui_settle fx
tui_keys fx f
if tui_wait fx 'Repair and clear the dirty flag' 5; then
	ok "fix: the variants offered"
	tui_keys fx Enter
	if tui_wait_plan fx "Type $(basename "$DATA")p1 and press Enter" 30; then
		expect_match "fix: the plan names the repair" 'MFTMirr' "$(tui_screen fx)"
		expect_match "fix: the plan names the undo file" 'undo' "$(tui_screen fx)"
		expect_eq "fix: nothing written before the name" "$SHA_DATA" "$(sha256sum "${DATA}p1" | cut -c1-64)"
		tui_keys fx -l "$(basename "$DATA")p1"
		tui_keys fx Enter
		if tui_wait fx 'after the repair: NTFS has no errors' 30; then
			ok "fix: the volume as checked after the repair"
		else
			nok "fix: no result page: $(tui_screen fx | sed -n 1,14p)"
		fi
		tui_keys fx Escape
		if tui_wait fx 'Undo file:' 5; then ok "fix: the result names the undo file"
		else nok "fix: no result dialog: $(tui_screen fx | sed -n 6,18p)"; fi
		expect_match "fix: a repair that worked is titled Repaired, never Failed" 'Repaired' "$(tui_screen fx)"
		case $(tui_screen fx) in *Failed*) nok "fix: Failed on the screen" ;; *) ok "fix: no Failed" ;; esac
		tui_keys fx Enter
		tui_wait fx 'q:Quit' 5
	else
		nok "fix: no typed confirmation: $(tui_screen fx | sed -n 4,20p)"
	fi
else
	nok "f does not offer Fix: $(tui_screen fx | sed -n 4,20p)"
fi
expect_eq "fix: check clean afterwards" 0 "$("$WR_BIN" check "${DATA}p1" >/dev/null 2>&1; echo $?)"
tui_keys fx l
if tui_wait fx 'U: undo a fix' 5; then
	expect_match "log: the fix's undo file" "$T/undo/" "$(tui_screen fx)"
	tui_keys fx U
	if tui_wait_plan fx "Type $(basename "$DATA")p1 and press Enter" 10; then
		expect_match "undo: the plan" 'Write back' "$(tui_screen fx)"
		tui_keys fx -l "$(basename "$DATA")p1"
		tui_keys fx Enter
		if tui_wait fx 'restored from' 20; then ok "undo: done"; else nok "undo: $(tui_screen fx | sed -n 6,18p)"; fi
		tui_keys fx Enter
	else
		nok "U does not ask to undo: $(tui_screen fx | sed -n 4,20p)"
	fi
else
	nok "the log offers no undo: $(tui_screen fx | sed -n 1,20p)"
fi
tui_wait fx 'q:Quit' 5
expect_eq "undo from the TUI: the volume byte for byte" "$SHA_DATA" "$(sha256sum "${DATA}p1" | cut -c1-64)"
expect_eq "fix and undo in the audit log" "fix fix undo undo" \
	"$(jq -r 'select(.action == "fix" or .action == "undo") | .action' "$WINRESCUE_LOG" | tr '\n' ' ' | sed 's/ $//')"
tui_keys fx q
expect_eq "fx: quit, exit 0" 0 "$(tui_wait_exit fx 15)"
tui_stop fx
# the same byte flipped back: the data volume as the rest of the suite expects it
ntfs_break_mftmirr "${DATA}p1" >/dev/null
expect_eq "the data volume intact again" "$SHA_INTACT" "$(sha256sum "${DATA}p1" | cut -c1-64)"

# ------------------------------------- a screen older than the plan; help
# A volume mounted by hand while the TUI shows the disks: before a plan made
# from the newer look is confirmed, the screen is redrawn and says so.
tui_start st 80x24 vt220 tui "${DISKS[@]}" || wr_bail "start st"
tui_wait st 'q:Quit' 10 || nok "st: no main screen"
mkdir -p "$T/hand" && ntfs-3g -o ro "${DATA}p1" "$T/hand" && wr_cleanup_add "umount '$T/hand'" ||
	nok "cannot mount ${DATA}p1 by hand"
tui_keys st g
tui_settle st
tui_keys st m
tui_wait st 'Read-write' 5
tui_keys st 2 Enter
if tui_wait st 'The disks changed' 15; then
	ok "a screen older than the plan: redrawn, and said, before the confirmation"
	tui_keys st Enter
	tui_wait st "Type $(basename "$WIN")p1 and press Enter" 10 &&
		ok "then the plan, on the screen as it is now" || nok "no plan after the word: $(tui_screen st | sed -n 4,20p)"
	expect_match "the redrawn screen shows the mount made meanwhile" "$T/hand" "$(
		"$WR_BIN" list "${DISKS[@]}" 2>/dev/null)"
	tui_keys st Escape
else
	nok "no word about the changed disks: $(tui_screen st | sed -n 4,20p)"
fi
tui_wait st 'q:Quit' 5
expect_eq "cancelled: nothing mounted read-write" "" "$(mounted_at "${WIN}p1")"
umount "$T/hand" && wr_cleanup_forget "umount '$T/hand'"
# the help's key column stays clear: wrapped text goes on under the text
tui_keys st '?'
if tui_wait st 'Keys' 5; then
	tui_keys st Down Down
	tui_settle st
	expect_match "help: a wrapped line goes on under its text, not the keys" \
		'^ {28}on it\)' "$(tui_screen st)"
	tui_keys st q
else
	nok "st: no help"
fi
tui_wait st 'q:Quit' 5
tui_keys st q
tui_wait_exit st >/dev/null
tui_stop st

# --------------------------------------------------- sizes and repainting
tui_start small 50x12 vt220 tui "${DISKS[@]}"
if tui_wait small 'too small' 10; then
	expect_match "50x12: says what it has and needs" 'It has 50x12; winrescue needs at least 80x24' "$(tui_screen small)"
else
	nok "50x12: no too-small screen: $(tui_screen small | head -3)"
fi
_tmux resize-window -t small -x 80 -y 24
tui_wait small 'q:Quit' 5 && ok "resized to 80x24: the main screen" || nok "no redraw after the resize"
_tmux resize-window -t small -x 120 -y 30
if tui_wait small 'Layout +Type' 5; then ok "resized to 120x30: Layout and Type columns"; else nok "120x30: $(tui_screen small | head -3)"; fi
expect_eq "120x30: the key bar on the last row" 30 "$(tui_screen small | grep -n 'q:Quit' | tail -n 1 | cut -d: -f1)"
tui_keys small q
tui_wait_exit small >/dev/null
tui_stop small

# a serial line reporting 0x0, no LINES/COLUMNS: 80x24
TUI_PRE='stty rows 0 cols 0' tui_start_env serial 80x24 vt220 "" tui "${DISKS[@]}"
if tui_wait serial 'q:Quit' 10; then
	expect_eq "0x0: drawn for 80x24 (key bar on row 24)" 24 "$(tui_screen serial | grep -n 'q:Quit' | cut -d: -f1)"
else
	nok "0x0: $(tui_screen serial | head -3)"
fi
tui_keys serial q
tui_wait_exit serial >/dev/null
tui_stop serial

# Ctrl-L repaints everything (a clear), --ascii draws no line-drawing characters
tui_start a 80x24 vt220 --ascii tui "${DISKS[@]}"
tui_wait a 'q:Quit' 10
tui_settle a
expect_match "--ascii: the separator is ASCII" '^-{80}$' "$(tui_screen a)"
tui_raw a "$TUI_DIR/a.raw"
tui_keys a C-l
sleep 0.5
# vt220's clear is ESC [ H ESC [ J
LC_ALL=C grep -q -P '\e\[H\e\[J' "$TUI_DIR/a.raw" && ok "Ctrl-L clears and repaints" || nok "Ctrl-L: no clear sent"
expect_match "Ctrl-L: the screen is whole again" 'q:Quit' "$(tui_screen a)"
LC_ALL=C grep -q -P '\x0e|\e\(0' "$TUI_DIR/a.raw" && nok "--ascii: line drawing sent" || ok "--ascii: no line drawing sent"
tui_keys a q
tui_wait_exit a >/dev/null
tui_stop a

# ----------------------------------------------------- refusals in dialogs
# the rescue disk (unfiltered: the disk this system runs from)
tui_start r 80x24 xterm-256color tui
if tui_wait r 'q:Quit' 20; then
	scr=$(tui_screen r)
	expect_match "unfiltered: [SYSTEM] marks the Windows disk" '\[SYSTEM\]' "$scr"
	# the rescue disk comes first: at the top (other disks attached may push it off the screen)
	tui_keys r g
	sleep 0.5
	expect_match "unfiltered: [RESCUE] marks the rescue disk" '\[RESCUE\]' "$(tui_screen r)"
	tui_keys r m
	if tui_wait r "rescue system's own disk" 5; then ok "m on the rescue disk: refused in a dialog"; else nok "m on the rescue disk: $(tui_screen r | sed -n 6,16p)"; fi
	tui_keys r q
	tui_wait r 'q:Quit' 5
else
	nok "unfiltered TUI not drawn"
fi
tui_keys r q
tui_wait_exit r >/dev/null
tui_stop r

# a volume that vanished since the screen was drawn
tui_start v 80x24 vt220 tui "${DISKS[@]}"
tui_wait v 'q:Quit' 10
tui_keys v G
tui_settle v
wr_release "$CLONE"
tui_keys v m
tui_wait v 'Read-only' 5
tui_keys v Enter
if tui_wait v 'no longer attached|vanished' 10; then ok "a vanished volume: said so in a dialog"; else nok "a vanished volume: $(tui_screen v | sed -n 6,16p)"; fi
tui_keys v Enter
if tui_wait_not v 'Backup' 10; then ok "after the dialog the disks are read again (the clone is gone)"
else nok "the vanished disk is still drawn: $(tui_screen v | sed -n 14,20p)"; fi
tui_keys v q
expect_eq "vanished: q exits 0" 0 "$(tui_wait_exit v 10)"
tui_stop v
attach_at CLONE "$T/clone.img" $((BASE + 2)) || nok "re-attach clone"

# --------------------------------------------------- SIGTERM while mounted
tui_start s 80x24 vt220 tui "${DISKS[@]}"
tui_wait s 'q:Quit' 10
WD=$(wr_mount_dir "$C")
tui_keys s m
tui_wait s 'Read-only' 5
tui_keys s Enter
tui_wait s 'Done' 10 || nok "SIGTERM: the mount did not happen"
[ "$(mounted_at "$C")" = "$WD" ] || WD=$(wr_mount_dir "$C")
tui_keys s Enter
tui_wait s 'q:Quit' 5
kill -TERM "$(tui_pid s)"
expect_eq "SIGTERM: exit 143" 143 "$(tui_wait_exit s 10)"
expect_eq "SIGTERM: terminal modes restored" "$(cat "$TUI_DIR/s.stty-before")" "$(cat "$TUI_DIR/s.stty-after" 2>/dev/null)"
expect_match "SIGTERM: says what stays mounted" 'stays mounted' "$(cat "$TUI_DIR/s.err")"
flock -n "$WIN" true && ok "SIGTERM: no lock left on $WIN" || nok "SIGTERM: $WIN still locked"
expect_eq "SIGTERM: the mount stays (umount all removes it)" "$WD" "$(mounted_at "$C")"
"$WR_BIN" umount all >/dev/null 2>&1
expect_eq "umount all after the session" "" "$(mounted_at "$C")"
tui_stop s

# SIGHUP (the SSH connection dropped): the same
tui_start h 80x24 vt220 tui "${DISKS[@]}"
tui_wait h 'q:Quit' 10
kill -HUP "$(tui_pid h)"
expect_eq "SIGHUP: exit 129" 129 "$(tui_wait_exit h 10)"
expect_eq "SIGHUP: terminal modes restored" "$(cat "$TUI_DIR/h.stty-before")" "$(cat "$TUI_DIR/h.stty-after" 2>/dev/null)"
tui_stop h

# q agrees with `umount all`: a mount this session made and left mounted is
# winrescue's for umount all afterwards; one unmounted and made again by hand
# since is nobody's business of winrescue's: q quits without asking
tui_start ql 80x24 vt220 tui "${DISKS[@]}"
tui_wait ql 'q:Quit' 10
tui_keys ql m
tui_wait ql 'Read-only' 5
tui_keys ql Enter
tui_wait ql 'Done' 10 || nok "leave mounted: the mount did not happen"
tui_keys ql Enter
tui_wait ql 'q:Quit' 5
CM=$(mounted_at "$C")
tui_keys ql q
if tui_wait ql 'Still mounted by winrescue' 5; then
	tui_keys ql 2 Enter
	expect_eq "q, leave them mounted: exit 0" 0 "$(tui_wait_exit ql 15)"
	expect_match "... says what stays mounted and what unmounts it" \
		"still mounted: $C at $CM \\('winrescue umount all' unmounts them\\)" "$(cat "$TUI_DIR/ql.err")"
	expect_eq "... it stays mounted" "$CM" "$(mounted_at "$C")"
	"$WR_BIN" umount all >/dev/null 2>&1
	expect_eq "... and umount all takes it afterwards" "" "$(mounted_at "$C")"
else
	nok "q does not ask: $(tui_screen ql | sed -n 6,20p)"
fi
tui_stop ql
tui_start qh 80x24 vt220 tui "${DISKS[@]}"
tui_wait qh 'q:Quit' 10
tui_keys qh m
tui_wait qh 'Read-only' 5
tui_keys qh Enter
tui_wait qh 'Done' 10 || nok "made again by hand: the mount did not happen"
tui_keys qh Enter
tui_wait qh 'q:Quit' 5
CM=$(mounted_at "$C")
if [ -n "$CM" ] && umount "$CM" && ntfs-3g -o ro "$C" "$CM"; then
	wr_cleanup_add "umount '$CM'; rmdir '$CM'"
	tui_keys qh q
	if [ "$(jq -r 'select(.action == "mount" and .event == "result") | .mounts[0].mount_id_unique' "$WINRESCUE_LOG" | tail -n 1)" = true ]; then
		expect_eq "q after the mount was made again by hand: quits without asking (exit 0)" 0 "$(tui_wait_exit qh 10)"
	else
		echo "# $(uname -r) gives no unique mount IDs: a mount made again by hand in the same place is taken for winrescue's"
		tui_wait qh 'Still mounted by winrescue' 5 && tui_keys qh 3 Enter && tui_keys qh q && tui_keys qh 2 Enter
		tui_wait_exit qh 10 >/dev/null
	fi
	expect_eq "... the mount made by hand stays" "$CM" "$(mounted_at "$C")"
	"$WR_BIN" umount all >/dev/null 2>&1
	expect_eq "... and umount all leaves it too" "$CM" "$(mounted_at "$C")"
	wr_umount "$CM" && rmdir "$CM"
else
	nok "made again by hand: could not mount $C by hand at '$CM'"
fi
tui_stop qh

# --------------- the scripted mode on a terminal: the typed name, and a recheck
# the plan is made, the name asked; meanwhile another shell mounts the volume:
# after the name is typed, the fresh look refuses instead of mounting twice
TUI_STDERR=tty tui_start cli 80x24 vt220 mount --rw "${DATA}p1"
if tui_wait cli "Type $(basename "$DATA")p1 to go ahead" 10; then
	ok "scripted mode on a terminal asks for the device name"
	mkdir -p "$T/other" && ntfs-3g -o ro "${DATA}p1" "$T/other" && wr_cleanup_add "umount '$T/other'"
	tui_keys cli -l "$(basename "$DATA")p1"
	tui_keys cli Enter
	expect_eq "changed while the name was typed: refused (32)" 32 "$(tui_wait_exit cli 15)"
	expect_match "changed: says it is mounted now" "already mounted at $T/other" "$(tui_screen cli | tr -d '\n')"
	expect_eq "changed: only the other mount" "$T/other" "$(mounted_at "${DATA}p1")"
	wr_umount "$T/other"
else
	nok "no typed confirmation: $(tui_screen cli | head -12)"
fi
tui_stop cli
TUI_STDERR=tty tui_start cli2 80x24 vt220 mount --rw "${DATA}p1"
tui_wait cli2 "to go ahead" 10
tui_keys cli2 -l "nope"
tui_keys cli2 Enter
expect_eq "a wrong name in the scripted mode: cancelled (32)" 32 "$(tui_wait_exit cli2 10)"
expect_eq "a wrong name: nothing mounted" "" "$(mounted_at "${DATA}p1")"
tui_stop cli2

# ----------------------------------------------------------- no terminal
setsid -w "$WR_BIN" </dev/null >"$T/nt.out" 2>"$T/nt.err"
rc=$?
expect_eq "no terminal: exit 1" 1 "$rc"
expect_match "no terminal: one line pointing to list" "^winrescue: no terminal.*winrescue list" "$(cat "$T/nt.err")"
expect_eq "no terminal: one line" 1 "$(wc -l <"$T/nt.err")"
TERM=dumb-unknown-term "$WR_BIN" tui >/dev/null 2>"$T/ut.err" </dev/null
expect_eq "unknown TERM: exit 1" 1 "$?"

# ------------------------------------- terminfo beside the program (the bundle)
# A copy of winrescue with terminfo/ beside it draws on a terminal that only
# the bundle describes; the bundle never shadows what the system describes
# (its vt220 here is a hardcopy terminal, which the TUI would refuse).
mkdir -p "$T/bundle/terminfo" "$T/nobundle"
cp "$WR_BIN" "$T/bundle/winrescue"
cp "$WR_BIN" "$T/nobundle/winrescue"
printf 'wrbundle-vt220|a terminal only the bundle knows,\n\tuse=vt220,\n' |
	tic -x -o "$T/bundle/terminfo" - 2>/dev/null || nok "tic wrbundle-vt220"
printf 'vt220|a hardcopy stand-in,\n\thc, cols#80,\n' |
	tic -x -o "$T/bundle/terminfo" - 2>/dev/null || nok "tic vt220 stand-in"
TUI_PROG=$T/bundle/winrescue tui_start tb 80x24 wrbundle-vt220 tui "${DISKS[@]}"
if tui_wait tb 'q:Quit' 10; then ok "bundle: a terminal only its terminfo/ knows is drawn"
else nok "bundle: wrbundle-vt220 not drawn: $(cat "$TUI_DIR/tb.err")"; fi
tui_keys tb q
tui_wait_exit tb >/dev/null
tui_stop tb
TUI_PROG=$T/bundle/winrescue tui_start ts 80x24 vt220 tui "${DISKS[@]}"
if tui_wait ts 'q:Quit' 10; then ok "bundle: the system's vt220 is used, not the bundle's"
else nok "bundle: the bundle's vt220 shadowed the system's: $(cat "$TUI_DIR/ts.err")"; fi
tui_keys ts q
tui_wait_exit ts >/dev/null
tui_stop ts
TUI_PROG=$T/nobundle/winrescue tui_start tn 80x24 wrbundle-vt220 tui "${DISKS[@]}"
expect_eq "without terminfo/ beside it: that terminal is unknown (exit 1)" 1 "$(tui_wait_exit tn 10)"
expect_match "without terminfo/ beside it: says so" "terminal type 'wrbundle-vt220' is unknown" "$(cat "$TUI_DIR/tn.err")"
tui_stop tn

# the read-only mount wrote nothing
SHA_AFTER=$(sha256sum "$T/bios.img" | cut -c1-64)
expect_eq "bios.img unchanged by the read-only mounts (sha256)" "$SHA_BEFORE" "$SHA_AFTER"
wr_finish
