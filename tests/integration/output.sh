#!/usr/bin/env bash
# tests/integration/output.sh - text output is safe on any terminal (issue 24,
# finding 7): what a crafted disk names reaches the terminal only as
# printable text, through the real probe path.
#
# Disks (loop devices, each a whole-disk file system or a partitioned image):
#   ru     the fixture blkid/ntfs.img: NTFS labelled "Новый том" (its UTF-8
#          holds 0x9d, OSC on a terminal that reads 8-bit controls)
#   evil   the same volume relabelled with ntfslabel: Cyrillic, U+009B and
#          U+009D (C1 as UTF-8), BEL, RLO (U+202E), RLM, ALM, ESC [31m
#   fat    FAT32 whose label holds the raw bytes 0x9b, 0x9d and ESC (written
#          into its boot sectors and root directory: no tool writes them)
#   bios   make_bios_disk with the fixture BCD, its loader's description
#          changed with hivexregedit --merge to Cyrillic, U+009B, RLO, ESC ] (OSC)
# Each text path (list, check, fix and mount plans, a refused confirmation,
# diagnose, fix-boot, the refusals on stderr, umount and undo errors, --help,
# a bad option, the TUI) runs with LC_ALL=C (every byte must be printable
# ASCII or a newline) and LC_ALL=C.UTF-8 (valid
# UTF-8, the Cyrillic kept, no C0/C1/DEL, no bidi control); the JSON of list
# and diagnose holds the strings exactly. A replaced character shows as '?'.
#
# Needs root, loop devices, FUSE, tmux and the fixtures ($WINRESCUE_FIXTURES).

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../lib.sh"
. "$HERE/disks.sh"

wr_require_root_loop_fuse
wr_require_fixtures
wr_require_tools jq losetup partx sfdisk mkntfs ntfs-3g ntfslabel mkfs.vfat hivexregedit iconv \
	xz od tmux
. "$HERE/../lib-tui.sh"

[ -x "$WR_BIN" ] || wr_bail "$WR_BIN not built (run 'make all')"

# The crafted strings, as bytes (bash's $'\u...' depends on the locale)
RU=$(printf '\xd0\x9d\xd0\xbe\xd0\xb2\xd1\x8b\xd0\xb9 \xd1\x82\xd0\xbe\xd0\xbc')	# Новый том
TOM=$(printf '\xd0\xa2\xd0\xbe\xd0\xbc')							# Том
EVIL=$(printf '%s\xc2\x9b2J\xc2\x9d0;x\a\xe2\x80\xaeRTL\xe2\x80\x8f\xd8\x9c\x1b[31mX' "$TOM")
EVIL_UTF8="$TOM?2J?0;x??RTL???[31mX"	# as a UTF-8 terminal must see it
EVIL_ASCII='????2J?0;x??RTL???[31mX'	# as any other must
FAT_LABEL=$(printf 'FAT\x9b2J\x9d0;x\x1b')	# 11 bytes, raw
TEST=$(printf '\xd0\xa2\xd0\xb5\xd1\x81\xd1\x82')						# Тест
DESC=$(printf 'Win %s\xc2\x9b\xe2\x80\xae\x1b]0;pwn\a' "$TEST")
DESC_UTF8="Win $TEST???]0;pwn?"
DESC_ASCII='Win ???????]0;pwn?'

wr_tmpdir_to T

# ---------------------------------------------------------------- the disks
xz -dc "$WINRESCUE_FIXTURES/blkid/ntfs.img.xz" >"$T/ru.img" || wr_bail "fixture blkid/ntfs.img.xz"
cp "$T/ru.img" "$T/evil.img" || wr_bail "copy"
new_serial() { od -An -v -t x8 -N 8 /dev/urandom | tr -d ' \n' | tr a-f A-F; }
LC_ALL=C.UTF-8 ntfslabel -q "$T/evil.img" "$EVIL" >/dev/null 2>&1 || wr_bail "ntfslabel (crafted label)"
ntfslabel -q --new-serial="$(new_serial)" "$T/evil.img" >/dev/null 2>&1 || wr_bail "ntfslabel --new-serial"

truncate -s 40M "$T/fat.img" && mkfs.vfat -F 32 -n WRLABELXXXX "$T/fat.img" >/dev/null ||
	wr_bail "mkfs.vfat"
offs=$(grep -obUa WRLABELXXXX "$T/fat.img" | cut -d: -f1)
[ "$(echo "$offs" | wc -l)" -ge 2 ] || wr_bail "FAT label not found in the image"
for o in $offs; do
	printf '%s' "$FAT_LABEL" | dd of="$T/fat.img" bs=1 seek="$o" conv=notrunc status=none
done
expect_eq "blkid reads the raw FAT label" 'FAT\x9b2J\x9d0\x3bx\x1b' \
	"$(blkid -p -o udev "$T/fat.img" | sed -n 's/^ID_FS_LABEL_ENC=//p')"

make_bios_disk "$T/bios.img" 0x24e17f00 bcd || wr_bail "make_bios_disk"

for i in ru evil fat bios; do
	wr_attach_to "DEV_$i" "$T/$i.img" || wr_bail "attach $i.img"
done
BIOS_P1=$(_wrd_part "$DEV_bios" 1) || wr_bail "no $DEV_bios p1"
_wrd_part "$DEV_bios" 2 >/dev/null || wr_bail "no $DEV_bios p2"

# the loader's description (12000004) as a REG_SZ the way hivexregedit writes one
utf16_hex() { printf '%s' "$1" | iconv -f UTF-8 -t UTF-16LE | od -An -v -t x1 | tr -s ' \n' ',' | sed 's/^,//'; }
reg=$T/desc.reg
printf 'Windows Registry Editor Version 5.00\n\n[\\Objects\\%s\\Elements\\12000004]\n"Element"=hex(1):%s00,00\n' \
	"$WR_BCD_LOADER" "$(utf16_hex "$DESC")" >"$reg"
mkdir -p "$T/mnt"
wr_mount_ntfs "$BIOS_P1" "$T/mnt" || wr_bail "ntfs-3g $BIOS_P1"
hivexregedit --merge "$T/mnt/Boot/BCD" "$reg" >/dev/null 2>&1 || wr_bail "hivexregedit --merge"
wr_umount "$T/mnt" || wr_bail "umount $T/mnt"

DISKS=("$DEV_ru" "$DEV_evil" "$DEV_fat" "$DEV_bios")
echo "# ru=$DEV_ru evil=$DEV_evil fat=$DEV_fat bios=$DEV_bios"

# ------------------------------------------------------------------ checks
# ascii_only WHAT FILE: every byte a printable ASCII character or a newline
ascii_only() {
	local bad
	bad=$(LC_ALL=C tr -d '\n\040-\176' <"$2" | od -An -v -t x1 | tr -s ' \n' ' ')
	if [ -z "${bad// /}" ]; then ok "$1: printable ASCII only"; else nok "$1: other bytes:$bad"; fi
}

# utf8_safe WHAT FILE: valid UTF-8 without C0 (but newline), DEL, C1 or a bidi control
utf8_safe() {
	local why=""
	iconv -f UTF-8 -t UTF-8 <"$2" >/dev/null 2>&1 || why="$why invalid-UTF-8"
	LC_ALL=C grep -qaP '[\x00-\x09\x0b-\x1f\x7f]' "$2" && why="$why C0/DEL"
	LC_ALL=C grep -qaP '\xc2[\x80-\x9f]' "$2" && why="$why C1"
	LC_ALL=C grep -qaP '\xe2\x80[\x8e\x8f\xaa-\xae]|\xe2\x81[\xa6-\xa9]|\xd8\x9c' "$2" && why="$why bidi"
	if [ -z "$why" ]; then ok "$1: safe UTF-8"; else nok "$1:$why"; fi
}

# run_text NAME LOCALE CMD...: stdout and stderr of winrescue CMD in $T/NAME.{out,err}
run_text() {
	local name=$1 loc=$2
	shift 2
	LC_ALL=$loc "$WR_BIN" "$@" >"$T/$name.out" 2>"$T/$name.err" </dev/null
	echo $? >"$T/$name.rc"
}

# both NAME CMD...: run in both locales and check every byte of both streams
both() {
	local name=$1
	shift
	run_text "$name-c" C "$@"
	run_text "$name-u" C.UTF-8 "$@"
	ascii_only "$name (LC_ALL=C) stdout" "$T/$name-c.out"
	ascii_only "$name (LC_ALL=C) stderr" "$T/$name-c.err"
	utf8_safe "$name (C.UTF-8) stdout" "$T/$name-u.out"
	utf8_safe "$name (C.UTF-8) stderr" "$T/$name-u.err"
}

has() { # WHAT FILE FIXED-STRING
	if grep -qF -- "$3" "$2"; then ok "$1"; else nok "$1: '$3' not in: $(head -c 600 "$2")"; fi
}

# list
both list list "${DISKS[@]}"
has "list (C.UTF-8) keeps the fixture's Cyrillic label" "$T/list-u.out" "$RU"
has "list (LC_ALL=C) shows it as one '?' a letter" "$T/list-c.out" '????? ???'
has "list shows the raw FAT label with '?' for 0x9b, 0x9d, ESC (C)" "$T/list-c.out" 'FAT?2J?0;x?'
has "list shows the raw FAT label with '?' for 0x9b, 0x9d, ESC (C.UTF-8)" "$T/list-u.out" 'FAT?2J?0;x?'
has "list (C.UTF-8) the crafted label's start" "$T/list-u.out" "$TOM?2J?0;x"

# the JSON stays exact, in both locales
for loc in C C.UTF-8; do
	LC_ALL=$loc "$WR_BIN" list --json "${DISKS[@]}" >"$T/list.json" 2>/dev/null
	expect_eq "list --json ($loc): the crafted label exactly" "$EVIL" \
		"$(jq -r --arg d "$DEV_evil" '.disks[] | select(.path == $d) | .ntfs.label' "$T/list.json")"
	expect_eq "list --json ($loc): the Cyrillic label exactly" "$RU" \
		"$(jq -r --arg d "$DEV_ru" '.disks[] | select(.path == $d) | .ntfs.label' "$T/list.json")"
	# ... and nothing a terminal acts on in its bytes: C1, DEL, bidi as \uXXXX
	expect_eq "list --json ($loc): no raw ESC, DEL, C1 or bidi byte sequence" 0 \
		"$(LC_ALL=C grep -caP '\x1b|\x7f|\xc2[\x80-\x9f]|\xd8\x9c|\xe2\x80[\x8e\x8f\xa8-\xae]|\xe2\x81[\xa6-\xa9]' "$T/list.json")"
done

# plans: the label in full
both fixplan fix "$DEV_evil" --dry-run
has "fix's plan (C.UTF-8) shows the label, each control one '?'" "$T/fixplan-u.out" "NTFS \"$EVIL_UTF8\""
has "fix's plan (LC_ALL=C) shows it in ASCII" "$T/fixplan-c.out" "NTFS \"$EVIL_ASCII\""
both mountplan mount "$DEV_evil" --dry-run
has "mount's plan (C.UTF-8) shows the label" "$T/mountplan-u.out" "\"$EVIL_UTF8\""
has "mount's plan (LC_ALL=C) shows it in ASCII" "$T/mountplan-c.out" "\"$EVIL_ASCII\""
both check check "$DEV_evil"
both checkall check all "${DISKS[@]}"

# the volume named by its crafted label: found, and its name echoed safely
both bylabel fix "$EVIL" --dry-run
has "a volume named by the crafted label is found (C)" "$T/bylabel-c.out" "NTFS \"$EVIL_ASCII\""

# a plan that needs a confirmation, without a terminal: refused, the plan on stderr
both confirm mount "$EVIL" --rw
expect_eq "mount --rw without --yes nor a terminal is refused" 32 "$(cat "$T/confirm-c.rc")"
has "the refused plan (stderr, LC_ALL=C) names the volume in ASCII" "$T/confirm-c.err" "\"$EVIL_ASCII\""
has "the refused plan (stderr, C.UTF-8) names the volume" "$T/confirm-u.err" "\"$EVIL_UTF8\""

# refusals and errors on stderr that repeat what they were given
both nolabel mount "$EVIL-none" --dry-run
has "the refusal names the volume asked for (C.UTF-8)" "$T/nolabel-u.err" "'$EVIL_UTF8-none'"
has "the refusal names it in ASCII (LC_ALL=C)" "$T/nolabel-c.err" "'$EVIL_ASCII-none'"
both umountbad umount "/mnt/$EVIL"
both undobad undo "$T/$EVIL.undo" --dry-run
[ "$(cat "$T/undobad-c.rc")" != 0 ] && ok "undo of a missing file fails" || nok "undo of a missing file succeeded"
has "undo's error names the file (C.UTF-8)" "$T/undobad-u.err" "$EVIL_UTF8.undo"

# the BCD description, through diagnose and fix-boot
both diagnose diagnose "$DEV_bios"
has "diagnose (C.UTF-8) shows the description, controls as '?'" "$T/diagnose-u.out" "\"$DESC_UTF8\""
has "diagnose (LC_ALL=C) shows it in ASCII" "$T/diagnose-c.out" "\"$DESC_ASCII\""
for loc in C C.UTF-8; do
	LC_ALL=$loc "$WR_BIN" diagnose --json "$DEV_bios" >"$T/diag.json" 2>/dev/null
	expect_eq "diagnose --json ($loc): the description exactly" "$DESC" \
		"$(jq -r '[.. | objects | .description? // empty | select(startswith("Win "))][0]' "$T/diag.json")"
done
both fixboot fix-boot "$DEV_bios" --dry-run

# --help is ours, and a bad option is echoed
both help --help
both badopt list "--$EVIL"

# the TUI: its own sanitizer, the same one (lib/util.c), ASCII without UTF-8
for loc in C C.UTF-8; do
	n=tui-${loc//./}
	tui_start_env "$n" 100x30 vt220 "LINES=30 COLUMNS=100 LC_ALL=$loc" tui "${DISKS[@]}" ||
		wr_bail "start the TUI"
	tui_raw "$n" "$T/$n.raw"
	if tui_wait "$n" 'q:Quit' 20; then ok "TUI ($loc): main screen drawn"; else nok "TUI ($loc): not drawn"; fi
	tui_settle "$n"
	scr=$(tui_screen "$n")
	tui_keys "$n" q
	tui_wait_exit "$n" 10 >/dev/null
	tui_quiet "$T/$n.raw" >/dev/null
	if [ "$loc" = C ]; then
		LC_ALL=C grep -qaP '[\x80-\xff]' "$T/$n.raw" && nok "TUI (C): bytes above 0x7f sent" ||
			ok "TUI (C): no byte above 0x7f sent"
		expect_match "TUI (C): the Cyrillic label as '?'" '\?\?\?\?\? \?\?\?' "$scr"
	else
		LC_ALL=C grep -qaP '\xc2[\x80-\x9f]' "$T/$n.raw" && nok "TUI (C.UTF-8): C1 sent" ||
			ok "TUI (C.UTF-8): no C1 sent"
		LC_ALL=C grep -qaP '\xe2\x80[\x8e\x8f\xaa-\xae]|\xe2\x81[\xa6-\xa9]|\xd8\x9c' "$T/$n.raw" &&
			nok "TUI (C.UTF-8): bidi control sent" || ok "TUI (C.UTF-8): no bidi control sent"
		case $scr in *"$RU"*) ok "TUI (C.UTF-8): the Cyrillic label shown" ;;
		*) nok "TUI (C.UTF-8): the Cyrillic label not shown: $scr" ;; esac
	fi
	tui_stop "$n"
done

wr_finish
