#!/usr/bin/env bash
# tests/run.sh - everything `make check` runs after building: the unit tests
# (plain and under ASan/UBSan), then every integration suite on real loop
# devices and ntfs-3g, then the TUI suites in tmux, then the rescue VM suite
# (QEMU; the bundle inside). Suites exit 77 to skip (never in CI: CI=true).
set -u
cd "$(dirname "$0")/.."
export WINRESCUE_FIXTURES=${WINRESCUE_FIXTURES:-$PWD/../shared/fixtures}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

passed=0 failed=0 skipped=0
log=$(mktemp /tmp/winrescue-check.XXXXXX)
trap 'rm -f "$log"' EXIT

tally() {
	# add the suite's own "N passed, N failed" line, or count the suite as one
	local name=$1 rc=$2 line p f
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	if [ "$rc" = 77 ]; then
		skipped=$((skipped + 1))
		echo "-- $name: skipped"
		return
	fi
	if [ -n "$line" ]; then
		p=${line%% passed*}
		f=${line#*passed, }
		f=${f%% failed*}
		passed=$((passed + p))
		failed=$((failed + f))
	fi
	if [ "$rc" != 0 ] && { [ -z "$line" ] || [ "${f:-0}" = 0 ]; }; then
		failed=$((failed + 1))
	elif [ -z "$line" ]; then
		passed=$((passed + 1))
	fi
	echo "-- $name: $([ "$rc" = 0 ] && echo ok || echo "FAILED (exit $rc)")"
}

echo "== unit tests (cmocka), plain and with ASan/UBSan"
units=$(ls build/tests/test_* build/san/tests/test_* 2>/dev/null)
tests/run-unit.sh $units 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
# cmocka prints "[  PASSED  ] N test(s)." and "[  FAILED  ] N test(s)"
p=$(grep -Eo '^\[  PASSED  \] [0-9]+' "$log" | awk '{s += $4} END {print s + 0}')
f=$(grep -Eo '^\[  FAILED  \] [0-9]+ test' "$log" | awk '{s += $4} END {print s + 0}')
passed=$((passed + p)); failed=$((failed + f))
[ "$rc" != 0 ] && [ "$f" = 0 ] && failed=$((failed + 1))
echo "-- unit: $p passed, $f failed"

for suite in tests/integration/*.sh tests/tui/*.sh tests/vm/vm-check.sh; do
	case $(basename "$suite") in disks.sh) continue ;; esac
	echo "== $suite"
	bash "$suite" 2>&1 | tee "$log"
	tally "$suite" "${PIPESTATUS[0]}"
done

echo
[ "$skipped" -gt 0 ] && echo "($skipped suites skipped: they need root, loop devices, FUSE, or QEMU and Debian's kernel package)"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
