# tests/lib-tui.sh - drive the real program in a real terminal: tmux on a
# private socket, one window of a given size, the environment pinned
# (TERM, LINES, COLUMNS, ESCDELAY, locale, TZ). Source tests/lib.sh first.
#
#   tui_start NAME COLSxROWS TERM ARGS...   start `winrescue ARGS` (or $TUI_PROG ARGS) in window NAME;
#                                  the pane's shell records the exit status and
#                                  the terminal modes before and after (stty -g)
#   tui_start_env NAME COLSxROWS TERM "ENV..." ARGS...   the same, with more environment
#   tui_window NAME COLSxROWS CMD  any command (the rescue VM's QEMU) in a window
#   TUI_STDERR=tty tui_start...    leave stderr on the terminal (else NAME.err)
#   tui_raw NAME FILE              record every byte the program writes (pipe-pane);
#                                  TUI_RAW=FILE tui_start... records from the start
#   tui_keys NAME KEYS...          tmux send-keys
#   tui_screen NAME                the screen as text
#   tui_wait NAME REGEX [SECS]     wait until the screen matches (0), or time out (1)
#   tui_wait_plan NAME REGEX [SECS]  the same for a plan's prompt, closing a "The disks
#                                  changed" word on the way (another suite's disks)
#   tui_wait_not NAME REGEX [SECS]  wait until the screen no longer matches
#   tui_settle NAME                wait until the screen stops changing
#   tui_wait_exit NAME [SECS]      wait until winrescue exited; prints its status
#   tui_pid NAME                   winrescue's pid in that window
#   tui_stop NAME                  kill the window
#   tui_bytes FILE                 how many bytes a tui_raw FILE holds
#   tui_quiet FILE                 wait until nothing more is written to it for
#                                  300 ms (at most 30 s); print its size
# Everything started here is killed at exit (wr_cleanup_add).

WR_TMUX_SOCK=${WR_TMUX_SOCK:-winrescue-test-$$}
_tmux() { tmux -L "$WR_TMUX_SOCK" -f /dev/null "$@"; }
wr_cleanup_add "tmux -L '$WR_TMUX_SOCK' kill-server"

TUI_DIR=${TUI_DIR:-$(mktemp -d /tmp/winrescue-tui.XXXXXX)}
wr_cleanup_add "rm -rf '$TUI_DIR'"

tui_start_env() {
	local name=$1 size=$2 term=$3 extra=$4
	shift 4
	rm -f "$TUI_DIR/$name".*
	# the pane runs a shell that records what the test needs
	cat >"$TUI_DIR/$name.sh" <<-EOF
		stty -g >'$TUI_DIR/$name.stty-before' 2>/dev/null
		${TUI_PRE:-}
		env TERM='$term' LC_ALL=C.UTF-8 TZ=UTC ESCDELAY=25 $extra '${TUI_PROG:-$WR_BIN}' $(printf "'%s' " "$@") </dev/tty $( [ "${TUI_STDERR:-}" = tty ] || echo "2>'$TUI_DIR/$name.err'" ) &
		echo \$! >'$TUI_DIR/$name.pid'
		wait \$!
		echo \$? >'$TUI_DIR/$name.rc'
		stty -g >'$TUI_DIR/$name.stty-after' 2>/dev/null
		exec sleep 600
	EOF
	tui_window "$name" "$size" "sh '$TUI_DIR/$name.sh'" || return 1
	local i
	for ((i = 0; i < 50; i++)); do
		[ -s "$TUI_DIR/$name.pid" ] && return 0
		sleep 0.1
	done
	return 1
}

# tui_window NAME COLSxROWS CMD: any command in a new window of that size
# (TUI_RAW=FILE: every byte it writes, from the start)
tui_window() {
	local name=$1 cols=${2%x*} rows=${2#*x} cmd=$3
	if ! _tmux has-session 2>/dev/null; then
		_tmux new-session -d -s main -x "$cols" -y "$rows" "sleep 600" || return 1
		_tmux set -g status off
		_tmux set -g remain-on-exit off
	fi
	_tmux new-window -d -n "$name" "$cmd" || return 1
	[ -n "${TUI_RAW:-}" ] && tui_raw "$name" "$TUI_RAW"
	_tmux resize-window -t "$name" -x "$cols" -y "$rows" 2>/dev/null
	return 0
}

tui_start() {
	local name=$1 size=$2 term=$3
	shift 3
	tui_start_env "$name" "$size" "$term" "LINES=${size#*x} COLUMNS=${size%x*}" "$@"
}

# The winrescue process runs in the background of the pane's shell: it
# still owns the terminal, as the pane's shell waits and reads nothing.
tui_raw() {
	_tmux pipe-pane -o -t "$1" "cat >>'$2'"
}

tui_keys() {
	local name=$1
	shift
	_tmux send-keys -t "$name" "$@"
}

tui_screen() {
	_tmux capture-pane -p -t "$1"
}

tui_wait() {
	local name=$1 re=$2 secs=${3:-10} i
	for ((i = 0; i < secs * 10; i++)); do
		tui_screen "$name" | grep -Eq -- "$re" && return 0
		sleep 0.1
	done
	return 1
}

tui_wait_not() {
	local name=$1 re=$2 secs=${3:-10} i
	for ((i = 0; i < secs * 10; i++)); do
		tui_screen "$name" | grep -Eq -- "$re" || return 0
		sleep 0.1
	done
	return 1
}

# Wait until the screen stops changing (the program idles).
tui_settle() {
	local name=$1 prev="" cur i
	for ((i = 0; i < 30; i++)); do
		cur=$(tui_screen "$name")
		[ -n "$prev" ] && [ "$cur" = "$prev" ] && return 0
		prev=$cur
		sleep 0.15
	done
}

tui_wait_exit() {
	local name=$1 secs=${2:-10} i
	for ((i = 0; i < secs * 10; i++)); do
		[ -s "$TUI_DIR/$name.rc" ] && { cat "$TUI_DIR/$name.rc"; return 0; }
		sleep 0.1
	done
	echo timeout
	return 1
}

tui_pid() {
	cat "$TUI_DIR/$1.pid"
}

tui_stop() {
	local pid
	pid=$(cat "$TUI_DIR/$1.pid" 2>/dev/null)
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	_tmux kill-window -t "$1" 2>/dev/null
	return 0
}

tui_bytes() {
	stat -c %s "$1" 2>/dev/null || echo 0
}

tui_quiet() {
	local f=$1 a b i
	b=$(tui_bytes "$f")
	for ((i = 0; i < 100; i++)); do
		sleep 0.3
		a=$(tui_bytes "$f")
		[ "$a" = "$b" ] && break
		b=$a
	done
	echo "$b"
}

# tui_wait_plan NAME REGEX [SECS]: tui_wait for a plan's prompt (the typed
# name). Disk numbers are the machine's: when another suite attaches or
# detaches a disk meanwhile, the TUI first redraws and says "The disks
# changed" (Enter closes it), then asks; that word is closed on the way.
tui_wait_plan() {
	local name=$1 re=$2 secs=${3:-10} i scr
	for ((i = 0; i < secs * 10; i++)); do
		scr=$(tui_screen "$name")
		printf '%s' "$scr" | grep -Eq -- "$re" && return 0
		if printf '%s' "$scr" | grep -q 'The disks changed'; then
			tui_keys "$name" Enter
			sleep 0.3
		fi
		sleep 0.1
	done
	return 1
}
