#!/usr/bin/env bash
# tests/run-unit.sh BIN... - run the cmocka unit tests with the captured
# /sys + /proc trees from $WINRESCUE_FIXTURES/sysfs unpacked for them.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
fixtures=${WINRESCUE_FIXTURES:-$root/../shared/fixtures}
trees=$(mktemp -d /tmp/winrescue-sysfs.XXXXXX)
trap 'rm -rf "$trees"' EXIT
if [ ! -d "$fixtures/sysfs" ]; then
	echo "unit: fixtures not found at $fixtures (set WINRESCUE_FIXTURES)" >&2
	exit 1
fi
for t in "$fixtures"/sysfs/*.tar.xz; do
	tar -C "$trees" -xJf "$t" || exit 1
done
export WR_SYSFS_TREES=$trees
failed=0
for bin in "$@"; do
	echo "== $bin"
	"$bin" || failed=$((failed + 1))
done
[ "$failed" = 0 ]
