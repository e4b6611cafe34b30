#!/usr/bin/env bash
# tests/integration/fuzz.sh - a short fuzz run of the checker's parsers
# (boot sector, MFT record, index block, runlist, fixups, a whole $MFT with
# attribute lists and extension records, a whole volume as check reads it;
# BCD device elements and FAT boot
# sectors for diagnose and fix-boot) under ASan/UBSan:
# the corpus is cut from the real images of ../shared/fixtures/ntfs-corrupt
# (tests/fuzz/corpus.sh), then 300,000 mutants from a fixed seed. Longer
# runs with libFuzzer: make fuzz FUZZ_TIME=600.

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../lib.sh"

wr_require_fixtures
FUZZ=${WR_FUZZ_BIN:-$WR_ROOT/build/san/fuzz-ntfs}
[ -x "$FUZZ" ] || make -C "$WR_ROOT" --no-print-directory build/san/fuzz-ntfs >/dev/null ||
	wr_bail "cannot build $FUZZ"
wr_tmpdir_to T

n=$("$WR_ROOT/tests/fuzz/corpus.sh" "$T/corpus" 2>"$T/err") || nok "corpus: $(cat "$T/err")"
[ "${n:-0}" -ge 100 ] && ok "corpus: $n seeds from the fixture images" || nok "corpus: only ${n:-0} seeds"
for kind in boot rec indx runs dev fat mbr mft vol; do
	c=$(ls "$T/corpus" | grep -c "\.$kind")
	[ "$c" -gt 0 ] && ok "corpus holds $kind seeds ($c)" || nok "corpus has no $kind seeds"
done
out=$("$FUZZ" -n 300000 "$T"/corpus/* 2>"$T/err")
rc=$?
expect_eq "300,000 mutants: no crash, no ASan/UBSan report" "0 " "$rc $(grep -E 'ERROR|runtime error' "$T/err" | head -n 1)"
expect_match "the driver says what it ran" '300000 mutants' "$out"

wr_run_cleanup
wr_finish
