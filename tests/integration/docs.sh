#!/usr/bin/env bash
# tests/integration/docs.sh - every command and option of `winrescue --help`
# is in the man page and the README too, and every TUI key of the help
# page's table is in both; the man page renders without a groff warning;
# each command's own --help exits 0. (The house rule: a new command, option
# or key reaches --help, man/winrescue.8 and README together.)

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../lib.sh"

[ -x "$WR_BIN" ] || wr_bail "$WR_BIN not built"
MAN=$WR_ROOT/man/winrescue.8
README=$WR_ROOT/README.md
# the man page as text (groff's \- is a plain - there)
man_text=$(sed 's/\\-/-/g; s/\\(dq/"/g' "$MAN")
help=$("$WR_BIN" --help)

cmds=$(printf '%s\n' "$help" | awk '/^Commands:/ { f = 1; next } f && /^  [a-z]/ { print $1 } f && /^$/ { exit }')
[ -n "$cmds" ] || nok "no commands found in --help"
for c in $cmds; do
	if printf '%s' "$man_text" | grep -Eq "^\.B (winrescue )?$c( |$)|^\.B $c "; then ok "man page: command $c"
	else nok "man page lacks the command $c"; fi
	if grep -q "winrescue $c\b\|\`$c\`" "$README"; then ok "README: command $c"
	else nok "README lacks the command $c"; fi
	"$WR_BIN" "$c" --help >/dev/null 2>&1 </dev/null
	rc=$?
	# tui --help must not start the TUI: 0, or the one-line "no terminal" refusal
	case $c in tui) [ "$rc" = 0 ] || [ "$rc" = 1 ] ;; *) [ "$rc" = 0 ] ;; esac &&
		ok "winrescue $c --help: exit $rc" || nok "winrescue $c --help: exit $rc"
done

opts=$(printf '%s\n' "$help" | grep -oE -- '--[a-z][a-z-]+' | sort -u)
for o in $opts; do
	if printf '%s' "$man_text" | grep -q -- "$o"; then ok "man page: option $o"
	else nok "man page lacks the option $o"; fi
	if grep -q -- "\`$o" "$README"; then ok "README: option $o"
	else nok "README lacks the option $o"; fi
done

# the TUI keys the help names in words: b (boot), l (log), F and U on their pages
for k in "b, F6" "l, F4" "r, F5"; do
	first=${k%%,*}
	if printf '%s' "$man_text" | grep -q "^\.BR $first \", \" F"; then ok "man page: key $k"
	else nok "man page lacks the key $k"; fi
done
for k in b l U F; do
	if grep -q "\`$k\`" "$README"; then ok "README: key $k"; else nok "README lacks the key $k"; fi
done

warn=$(groff -ww -man -Tutf8 "$MAN" 2>&1 >/dev/null)
expect_eq "the man page renders without a groff warning" "" "$warn"

wr_finish
