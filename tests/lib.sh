# tests/lib.sh - shared by the integration suites, the demo and the benchmarks.
#
# Source it, then:
#   wr_require_root_loop_fuse    skip (exit 77) outside CI, fail inside CI (CI=true)
#   wr_require_tools TOOL...     the same for programs the suite drives
#   wr_bail MESSAGE              a failed check, the tally, exit 1
#   wr_tmpdir_to VAR             VAR := a scratch directory removed at exit
#   wr_attach_to VAR IMG         losetup -P + partx -a; VAR := the loop device,
#                                detached at exit (after unmounting what sits on it)
#   wr_mount_ntfs DEV DIR [opts] ntfs-3g mount, unmounted at exit
#   wr_cleanup_add CMD...        run CMD at exit (last added runs first)
#   wr_only DISK... -- CMD...    run CMD seeing only DISK... (for commands that
#                                take no DISK filter: mount without a name,
#                                fix-boot without DISK)
#   wr_own_disks DIR             the loop devices backed by files under DIR
#   wr_system_disks              the machine's own disks (the rescue system's)
#   wr_mount_dir DEV             where mount puts DEV without --at, as things are
#   ok / nok / expect_eq / expect_match   count results; wr_finish prints
#                                "N passed, N failed" and sets the exit status
# Cleanup runs from an EXIT/INT/TERM trap, also when a test fails halfway.

set -u
export LC_ALL=C

WR_ROOT=${WR_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
WR_BIN=${WR_BIN:-$WR_ROOT/winrescue}
WINRESCUE_FIXTURES=${WINRESCUE_FIXTURES:-$WR_ROOT/../shared/fixtures}
export WINRESCUE_FIXTURES

WR_PASSED=0
WR_FAILED=0
WR_CLEANUP=()

wr_cleanup_add() {
	WR_CLEANUP+=("$*")
}

wr_run_cleanup() {
	# an odd name: the eval'ed commands may use (and change) their own loop variables
	local __wr_ci
	for ((__wr_ci = ${#WR_CLEANUP[@]} - 1; __wr_ci >= 0; __wr_ci--)); do
		eval "${WR_CLEANUP[$__wr_ci]}" >/dev/null 2>&1 || true
	done
	WR_CLEANUP=()
}
trap wr_run_cleanup EXIT
trap 'wr_run_cleanup; exit 130' INT TERM

# wr_stop PID: end a background server of the suite (nbdkit...): SIGTERM, then
# SIGKILL when it is still there after 5 s (one with a client still attached
# may never end on SIGTERM, and a `wait` on it would hang the suite's exit)
wr_stop() {
	local i
	kill "$1" 2>/dev/null || return 0
	for ((i = 0; i < 50; i++)); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

# wr_fuse_umount DIR: unmount a FUSE mount of the suite, lazily when it is busy
wr_fuse_umount() {
	fusermount3 -u "$1" 2>/dev/null || fusermount3 -uz "$1" 2>/dev/null || umount -l "$1" 2>/dev/null
}

wr_skip() {
	echo "SKIP: $*" >&2
	exit 77
}

# Suites that need root, loop devices or FUSE must run in CI, never skip there.
wr_require_root_loop_fuse() {
	local why=""
	[ "$(id -u)" = 0 ] || why="needs root"
	[ -z "$why" ] && [ ! -e /dev/loop-control ] && why="needs loop devices (/dev/loop-control)"
	[ -z "$why" ] && [ ! -e /dev/fuse ] && why="needs FUSE (/dev/fuse)"
	if [ -n "$why" ]; then
		if [ "${CI:-}" = true ]; then
			echo "FAIL: $why, and CI=true forbids skipping" >&2
			exit 1
		fi
		wr_skip "$why"
	fi
}

# wr_require_tools TOOL...: skip (exit 77) outside CI, fail inside CI, when one is missing
wr_require_tools() {
	local tool
	for tool in "$@"; do
		if ! command -v "$tool" >/dev/null 2>&1; then
			[ "${CI:-}" = true ] && { echo "FAIL: $tool missing" >&2; exit 1; }
			wr_skip "$tool missing (make deps)"
		fi
	done
}

# wr_bail MESSAGE: one failed check, the tally, and stop
wr_bail() {
	nok "$*"
	wr_finish
	exit 1
}

wr_require_fixtures() {
	if [ ! -d "$WINRESCUE_FIXTURES" ]; then
		if [ "${CI:-}" = true ]; then
			echo "FAIL: fixtures not found at $WINRESCUE_FIXTURES (set WINRESCUE_FIXTURES)" >&2
			exit 1
		fi
		wr_skip "fixtures not found at $WINRESCUE_FIXTURES (set WINRESCUE_FIXTURES)"
	fi
}

# wr_detach DEV [FILE]: with FILE, only while DEV is still backed by FILE: a
# loop number detached earlier may be another suite's by the time the exit
# cleanup runs, and its disk and mounts are not this suite's to take down.
wr_detach() {
	local dev=$1 file=${2:-} m
	if [ -n "$file" ] && [ "$(losetup -nO BACK-FILE "$dev" 2>/dev/null)" != "$file" ]; then
		return 0
	fi
	# unmount anything still mounted from this device or its partitions
	for m in $(awk -v d="$dev" '$1 == d || index($1, d "p") == 1 { print $2 }' /proc/mounts); do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
	done
	partx -d "$dev" >/dev/null 2>&1 || true
	losetup -d "$dev" 2>/dev/null || true
	# a device still held open is only marked to go (autoclear): wait until it is
	# gone, or a later scan of this suite's disks still sees it (its file deleted)
	local i
	for ((i = 0; i < 50; i++)); do
		[ -e "/sys/block/${dev#/dev/}/loop/backing_file" ] || return 0
		sleep 0.1
	done
	echo "wr_detach: $dev is still attached ($(cat "/sys/block/${dev#/dev/}/loop/backing_file" 2>/dev/null))" >&2
}

wr_mount_ntfs() {
	local dev=$1 dir=$2 opts=${3:-}
	mkdir -p "$dir"
	ntfs-3g ${opts:+-o "$opts"} "$dev" "$dir" || return 1
	wr_cleanup_add "umount '$dir'"
}

ok() {
	WR_PASSED=$((WR_PASSED + 1))
	echo "ok - $*"
}

nok() {
	WR_FAILED=$((WR_FAILED + 1))
	echo "not ok - $*"
}

# expect_eq WHAT EXPECTED ACTUAL
expect_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else nok "$1: expected '$2', got '$3'"; fi
}

# expect_match WHAT EXTENDED-REGEX TEXT
expect_match() {
	if printf '%s' "$3" | grep -Eq -- "$2"; then ok "$1"; else nok "$1: '$3' does not match /$2/"; fi
}

wr_finish() {
	echo "$WR_PASSED passed, $WR_FAILED failed"
	[ "$WR_FAILED" = 0 ]
}

# --- Added for the integration suites (tests/integration/disks.sh, list.sh) ---
# Results go into a variable of the caller, never printed: in `x=$(...)` the
# cleanup entry would be registered in a subshell and lost with it.
#   wr_release DEV               detach DEV now and forget its exit cleanup
#   wr_umount DIR                unmount DIR now (waits for the FUSE daemon to
#                                let go of the device) and forget its cleanup
#   wr_cleanup_forget CMD...     drop a cleanup entry that is no longer needed

wr_cleanup_forget() {
	local i entry="$*"
	for ((i = ${#WR_CLEANUP[@]} - 1; i >= 0; i--)); do
		if [ "${WR_CLEANUP[$i]}" = "$entry" ]; then
			WR_CLEANUP=("${WR_CLEANUP[@]:0:i}" "${WR_CLEANUP[@]:i+1}")
			return 0
		fi
	done
	return 0
}

# (locals are prefixed so that they never shadow the caller's VAR)
wr_tmpdir_to() {
	local __wr_d
	__wr_d=$(mktemp -d /tmp/winrescue-test.XXXXXX) || return 1
	wr_cleanup_add "rm -rf '$__wr_d'"
	printf -v "$1" '%s' "$__wr_d"
}

wr_attach_to() {
	local __wr_img=$2 __wr_dev
	__wr_dev=$(losetup -f --show -P "$__wr_img") ||
		{ echo "losetup failed for $__wr_img" >&2; return 1; }
	wr_cleanup_add "wr_detach '$__wr_dev' '$(losetup -nO BACK-FILE "$__wr_dev")'"
	partx -a "$__wr_dev" >/dev/null 2>&1 || true
	printf -v "$1" '%s' "$__wr_dev"
}

wr_release() {
	local i
	wr_detach "$1"
	for ((i = ${#WR_CLEANUP[@]} - 1; i >= 0; i--)); do
		case ${WR_CLEANUP[$i]} in "wr_detach '$1'" | "wr_detach '$1' "*)
			WR_CLEANUP=("${WR_CLEANUP[@]:0:i}" "${WR_CLEANUP[@]:i+1}") ;;
		esac
	done
}

# Wait (up to ~5 s) until no process holds DEV open any more.
wr_wait_unused() {
	local dev=$1 i
	for ((i = 0; i < 50; i++)); do
		fuser -s "$dev" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}

wr_umount() {
	local dir=$1 src
	src=$(awk -v m="$dir" '$2 == m { print $1 }' /proc/mounts | tail -n 1)
	umount "$dir" || return 1
	[ -n "$src" ] && [ -b "$src" ] && wr_wait_unused "$src"
	wr_cleanup_forget "umount '$dir'"
}

# --- Suites pass while other disks are attached (another suite, a `make demo`)
# Commands that take DISK... filters (list, check all, diagnose, the TUI) get
# the suite's own disks. For a command that looks at every disk and takes no
# filter (mount without a name, fix-boot without DISK), wr_only runs it in a
# mount namespace of its own whose /sys/block holds only the links of
# DISK...: winrescue then sees those disks and no other, as on a machine with
# only them attached. Nothing else changes (the same /dev, /proc, files);
# mounts made inside go with the namespace, so it is not for mounting.
wr_only() {
	local links=() d
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		d=${1#/dev/}
		links+=("$d=$(readlink "/sys/block/$d")") || return 1
		shift
	done
	shift
	unshare -m --propagation private sh -c '
		mount -t tmpfs -o mode=755 wr-only /sys/block || exit 125
		while [ "$1" != -- ]; do
			ln -s "${1#*=}" "/sys/block/${1%%=*}" || exit 125
			shift
		done
		shift
		exec "$@"' wr-only "${links[@]}" -- "$@"
}

# wr_mount_dir DEV: where `winrescue mount DEV` puts it without --at, on this
# machine as it is now: /mnt/winrescue/<label>, <label>-<name> while another
# volume (of this suite, another suite, a `make demo`) has that label too
# (ignoring case), <name> without a label. Ask it right before and right
# after the mount: a disk attached meanwhile can change the answer.
wr_mount_dir() {
	"$WR_BIN" list --json 2>/dev/null | jq -r --arg d "$1" '
		def lab: ((.ntfs.label // .label) // "") as $l | if $l == "" then null else $l end;
		def safe: gsub("[/ ?\\\\*\t]"; "_") | sub("^[.]"; "_");
		[.disks[] | if ((.partitions // []) | length) == 0 then . else .partitions[] end] as $v
		| ($v[] | select(.path == $d)) as $me
		| ($d | sub("^/dev/"; "")) as $name
		| ($me | lab) as $l
		| if $l == null then "/mnt/winrescue/\($name)"
		  elif ([$v[] | lab | select(. != null and ascii_downcase == ($l | ascii_downcase))] | length) > 1
		  then "/mnt/winrescue/\($l | safe)-\($name)"
		  else "/mnt/winrescue/\($l | safe)" end'
}

# wr_own_disks DIR: the loop devices backed by files under DIR (a suite's
# scratch directory): the suite's own disks, to name as DISK... filters.
# (a loop device detached while still open lingers with size 0: not a disk)
wr_own_disks() {
	local d
	for d in $(losetup -nO NAME,BACK-FILE | awk -v t="${1%/}/" 'index($2, t) == 1 { print $1 }'); do
		[ "$(cat "/sys/block/${d#/dev/}/size" 2>/dev/null)" -gt 0 ] 2>/dev/null && echo "$d"
	done
}

# wr_system_disks: the machine's own disks (not loop devices, nor built on
# others: dm, md), for a suite that checks how the rescue system's disk lists
wr_system_disks() {
	local d n
	for d in /sys/block/*; do
		n=${d##*/}
		case $n in loop* | ram* | zram* | dm-* | md*) continue ;; esac
		[ "$(cat "$d/size" 2>/dev/null)" -gt 0 ] 2>/dev/null || continue
		[ -n "$(ls "$d/slaves" 2>/dev/null)" ] && continue
		echo "/dev/$n"
	done
}
