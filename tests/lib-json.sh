# tests/lib-json.sh - helpers for suites that read `winrescue list --json`.
# Source tests/lib.sh first, then this file.
#
#   wr_list OUT [GLOBAL-OPTS...] [-- DISK...]
#                                  run "$WR_BIN GLOBAL-OPTS list --json DISK..." with a
#                                  timeout (DISK...: the suite's own disks, so that
#                                  others attached beside are not read);
#                                  stdout -> OUT.json, stderr -> OUT.err, exit -> OUT.rc;
#                                  prints how long it took
#   wr_list_checks WHAT OUT        exit 0, valid JSON with schema 1.x, no crash,
#                                  every stderr line is winrescue's own ("winrescue: ...");
#                                  shows the first stderr lines as comments
#   jdisk OUT DEV FILTER           jq -r FILTER on the disk whose path is DEV
#   jpart OUT PARTDEV FILTER       jq -r FILTER on the partition whose path is PARTDEV
#   jfind OUT DEV                  "severity:code" of every finding about DEV (or its partitions)
#   expect_null WHAT OUT DEV FLT   FILTER on disk DEV is null
#   wr_sha IMG                     sha256 of a file
#   wr_unxz SRC DST                decompress an .xz fixture, sparse
#   wr_udev_decode STR             decode a udev *_ENC value (\x20 -> space)

WR_LIST_TIMEOUT=${WR_LIST_TIMEOUT:-300}

wr_list() {
	local out=$1 rc=0 t0=$EPOCHREALTIME t1 opts=()
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	[ $# -gt 0 ] && shift
	timeout -k 10 "$WR_LIST_TIMEOUT" "$WR_BIN" "${opts[@]}" list --json "$@" >"$out.json" 2>"$out.err" || rc=$?
	t1=$EPOCHREALTIME
	echo "$rc" >"$out.rc"
	echo "# list --json took $(((${t1/./} - ${t0/./}) / 1000)) ms"
}

# Every line on stderr must come from winrescue itself, never from a library
# (libntfs-3g, libfdisk, libblkid print their own messages unless silenced).
wr_check_stderr() {
	local what=$1 file=$2 bad
	bad=$(grep -v -e '^winrescue: ' -e '^$' "$file" | head -5)
	if [ -z "$bad" ]; then
		ok "$what: every stderr line is winrescue's own"
	else
		nok "$what: foreign lines on stderr: $(printf '%s' "$bad" | tr '\n' '|')"
	fi
}

wr_list_checks() {
	local what=$1 out=$2 rc
	rc=$(cat "$out.rc")
	if [ "$rc" -ge 124 ]; then
		nok "$what: winrescue list crashed or hung (exit $rc)"
	else
		expect_eq "$what: exit status" 0 "$rc"
	fi
	if jq -e . "$out.json" >/dev/null 2>&1; then
		ok "$what: stdout is one valid JSON document"
	else
		nok "$what: stdout is not valid JSON ($(head -c 200 "$out.json" | tr '\n' ' '))"
	fi
	expect_eq "$what: schema" 'winrescue 1' \
		"$(jq -r '"\(.schema.name) \(.schema.version[0])"' "$out.json" 2>/dev/null)"
	wr_check_stderr "$what" "$out.err"
	[ -s "$out.err" ] && sed 's/^/# stderr: /' "$out.err" | head -5
	return 0
}

jdisk() {
	jq -r --arg d "$2" "[.disks[] | select(.path == \$d)] | if length == 0 then \"<absent>\" else (.[0] | $3) end" "$1.json" 2>/dev/null
}

jpart() {
	jq -r --arg p "$2" "[.disks[].partitions[]? | select(.path == \$p)] | if length == 0 then \"<absent>\" else (.[0] | $3) end" "$1.json" 2>/dev/null
}

# compact JSON of a disk / partition (for messages)
jdisk_c() {
	jq -c --arg d "$2" "[.disks[] | select(.path == \$d)][0] | ${3:-.}" "$1.json" 2>/dev/null
}

jfind() {
	jq -r --arg d "$2" '[.findings[]? | select(.device != null and (.device == $d or (.device | startswith($d + "p")))) | "\(.severity):\(.code)"] | join(",")' "$1.json" 2>/dev/null
}

# sha256 of the file; for a file above 1 GiB (ntfs-corrupt/clean-formatted_on_windows
# is a 13.6 GB sparse image) the sha256 of its data extents and their offsets, read
# with SEEK_DATA/SEEK_HOLE: reading the holes would take a minute, and a write
# anywhere shows either as changed data or as a changed extent map.
wr_sha() {
	local size
	size=$(stat -c %s "$1") || return 1
	if [ "$size" -le 1073741824 ] || ! perl -MDigest::SHA -e 1 2>/dev/null; then
		sha256sum "$1" | cut -d' ' -f1
		return
	fi
	perl -MDigest::SHA -e '
		use strict; use Fcntl qw(SEEK_SET);
		my ($SEEK_DATA, $SEEK_HOLE) = (3, 4);
		open(my $fh, "<:raw", $ARGV[0]) or die "$ARGV[0]: $!\n";
		my $size = -s $fh;
		my $sha = Digest::SHA->new(256);
		$sha->add("size:$size\n");
		my $off = 0;
		while ($off < $size) {
			my $d = sysseek($fh, $off, $SEEK_DATA);
			last unless defined $d;
			my $h = sysseek($fh, $d, $SEEK_HOLE);
			$h = $size unless defined $h;
			$sha->add("data:$d:" . ($h - $d) . "\n");
			sysseek($fh, $d, SEEK_SET);
			for (my $left = $h - $d; $left > 0;) {
				my $n = sysread($fh, my $buf, $left > 1048576 ? 1048576 : $left);
				die "$ARGV[0]: read: $!\n" unless $n;
				$sha->add($buf);
				$left -= $n;
			}
			$off = $h;
		}
		print "sparse-", $sha->hexdigest, "\n";' "$1"
}

wr_unxz() {
	xz -dc "$1" | cp --sparse=always /dev/stdin "$2"
}

wr_udev_decode() {
	printf '%b' "$1"
}

# wr_expect_images_unchanged WHAT DIR: every DIR/NAME.img still hashes to
# ${SHA[NAME]} (the caller's associative array, filled before listing).
wr_expect_images_unchanged() {
	local what=$1 dir=$2 __wr_n changed=""
	for __wr_n in "${!SHA[@]}"; do
		[ "$(wr_sha "$dir/$__wr_n.img")" = "${SHA[$__wr_n]}" ] || changed="$changed $__wr_n"
	done
	expect_eq "$what: all ${#SHA[@]} images unchanged (sha256)" "" "${changed# }"
}
