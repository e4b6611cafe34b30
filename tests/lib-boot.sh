# tests/lib-boot.sh - what the suites of diagnose and fix-boot share (boot.sh,
# bcdmbr.sh): their own disks, diagnose of them (JSON into $T/d.json, text
# into $T/d.txt), fix-boot and undo (JSON into $T/out.json), exit status into
# RC. Sourced after lib.sh and disks.sh, with $T set; attaches a blank disk.

# The suite's own disks: every loop device backed by a file of $T (other
# Windows disks may be attached beside them: another suite, a `make demo`).
# A blank disk of its own is attached throughout, so that the list is never
# empty (no DISK at all means every disk of the machine).
own_disks() { wr_own_disks "$T"; }
_wrd_new "$T/blank.img" 8M && wr_attach_to BLANK "$T/blank.img" || wr_bail "attach blank"
# diagnose: JSON into $T/d.json, text into $T/d.txt, exit status into RC
diagnose() {
	local own
	own=$(own_disks)
	# shellcheck disable=SC2086
	timeout 120 "$WR_BIN" diagnose --json $own >"$T/d.json" 2>"$T/err.txt" </dev/null
	RC=$?
	# shellcheck disable=SC2086
	timeout 120 "$WR_BIN" diagnose $own >"$T/d.txt" 2>>"$T/err.txt" </dev/null
}
# fix-boot takes one DISK to act on, no filter: it sees only this suite's disks
# (wr_only), so that it never picks, or is confused by, another's
fixboot() {
	# shellcheck disable=SC2046
	wr_only $(own_disks) -- timeout 120 "$WR_BIN" fix-boot --json "$@" >"$T/out.json" 2>"$T/err.txt" </dev/null
	RC=$?
}
# list of the suite's own disks
own_list() {
	# shellcheck disable=SC2046
	"$WR_BIN" list "$@" $(own_disks)
}
undo() {
	timeout 120 "$WR_BIN" undo --json "$@" >"$T/out.json" 2>"$T/err.txt" </dev/null
	RC=$?
}
# findings with this code about this device (or any device: -)
n_found() {
	jq --arg c "$1" --arg d "$2" '[.findings[] | select(.code == $c and ($d == "-" or .device == $d))] | length' "$T/d.json"
}
code() { jq -r '.code' "$T/out.json"; }
sha() { wr_sha "$1"; }
disk_id() { sfdisk --dump "$1" 2>/dev/null | awk '/^label-id:/ { print tolower($2) }'; }
# set_disk_id DEV ID: what Windows does to a disk whose identity collides
set_disk_id() {
	sfdisk -q --disk-id "$1" "$2" >/dev/null 2>&1 || return 1
	partx -a "$1" >/dev/null 2>&1 || true
	[ -b "${1}p1" ]
}

