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

wr_detach() {
	local dev=$1 m
	# unmount anything still mounted from this device or its partitions
	for m in $(awk -v d="$dev" '$1 == d || index($1, d "p") == 1 { print $2 }' /proc/mounts); do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
	done
	partx -d "$dev" >/dev/null 2>&1 || true
	losetup -d "$dev" 2>/dev/null || true
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
	wr_cleanup_add "wr_detach '$__wr_dev'"
	partx -a "$__wr_dev" >/dev/null 2>&1 || true
	printf -v "$1" '%s' "$__wr_dev"
}

wr_release() {
	wr_detach "$1"
	wr_cleanup_forget "wr_detach '$1'"
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
