#!/usr/bin/env bash
# tests/integration/undo_trust.sh - an undo file is bound to the target it
# was written for and to root (issue 24, finding 1). On a real loop
# device with an NTFS partition whose $MFTMirr is zeroed, and on image
# files:
#   (a) fix -> undo round trip: the file carries a MAC (its end line), the
#       key DIR.key beside the undo directory is root's, 0600, 32 bytes;
#       undo's plan names every offset and length it will write; the same
#       with --undo-dir "$(mktemp -d)" (its key then in sticky /tmp);
#   (b) a wrong MAC (a saved byte, a header byte, the MAC itself changed):
#       refused, exit 32, not one byte written (sha256 before and after);
#   (c) a validly MACed file (the test holds root's key) whose range lies
#       outside what fix writes, or which declares an area fix never
#       writes: refused, exit 32, nothing written; the same file unchanged
#       but re-MACed is accepted (so the crafting is right);
#   (d) a foreign target: undo named onto another loop device holding a
#       copy of the same disk, and onto a root-owned copy of an image
#       file: refused (other-target), exit 32, nothing written;
#   (e) a group- or other-writable undo directory, (f) a symlinked parent
#       or a symlinked undo directory: undo refused (32), fix refused
#       (undo-dir, 32), nothing written;
#   (g) the issue's scenario: user nobody pre-creates the undo directory in
#       a sticky shared directory; fix with it is refused; nobody's crafted
#       undo file naming a root-owned copy of /etc/passwd (old format, and
#       the new one with a made-up MAC), there or copied by root into the
#       undo directory: refused, the copy unchanged; an audit log in a
#       directory of nobody's: refused;
#   (h) an undo file of the old format (no MAC): refused, saying why.
# Needs root, loop devices.

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../lib.sh"

wr_require_root_loop_fuse
wr_require_tools jq sfdisk losetup partx mkntfs sha256sum timeout perl setpriv od
[ -x "$WR_BIN" ] || wr_bail "$WR_BIN not built"

wr_tmpdir_to T
export WINRESCUE_LOG=$T/audit.jsonl
UD=$T/undo
export WINRESCUE_UNDO_DIR=$UD

fix() {
	local vol=$1
	shift
	timeout 120 "$WR_BIN" fix --json "$vol" "$@" >"$T/out.json" 2>"$T/err.txt" </dev/null
	RC=$?
}
undo() {
	timeout 120 "$WR_BIN" undo --json "$@" >"$T/out.json" 2>"$T/err.txt" </dev/null
	RC=$?
}
code() { jq -r '.code' "$T/out.json"; }
msg() { jq -r '.message' "$T/out.json"; }
undo_file() { jq -r '.undo_file // empty' "$T/out.json"; }
sha() { sha256sum <"$1" | cut -d' ' -f1; }
le() { od -An -t u$3 -j "$2" -N "$3" "$1" | tr -d ' '; }
# zero_mirr DEV|IMG: $MFTMirr's first 4 KiB zeroed (fix copies $MFT over it)
zero_mirr() {
	local bps spc lcn
	bps=$(le "$1" 11 2) spc=$(od -An -t u1 -j 13 -N 1 "$1" | tr -d ' ') lcn=$(le "$1" 56 8)
	dd if=/dev/zero of="$1" bs=1024 seek=$((lcn * bps * spc / 1024)) count=4 conv=notrunc \
		status=none
}
# craft IN OUT PERL: OUT := IN's body edited by the perl code (on $h, the
# JSON header as a hash, and $b, the binary part after it), MACed again
# with root's key beside $UD
craft() {
	KEY="$UD.key" perl -MJSON::PP -MDigest::SHA=hmac_sha256_hex -e '
		my ($in, $out, $code) = @ARGV;
		open(my $f, "<:raw", $in) or die; local $/; my $all = <$f>; close $f;
		open(my $k, "<:raw", $ENV{KEY}) or die; my $key = <$k>; close $k;
		$all =~ s/WINRESCUE-UNDO-END [0-9a-f]{64}\n\z// or die "no end line";
		my ($magic, $line, $b) = $all =~ /\A(WINRESCUE-UNDO 2\n)([^\n]*)\n(.*)\z/s or die;
		my $h = JSON::PP->new->decode($line);
		eval $code; die $@ if $@;
		my $body = $magic . JSON::PP->new->canonical->encode($h) . "\n" . $b;
		open(my $o, ">:raw", $out) or die;
		print $o $body, "WINRESCUE-UNDO-END ", hmac_sha256_hex($body, $key), "\n";
		close $o;' "$1" "$2" "$3"
}
# a byte of FILE at OFFSET flipped
flip() {
	local b
	b=$(od -An -t u1 -j "$2" -N 1 "$1" | tr -d ' ')
	printf "\\$(printf '%03o' $(((b ^ 1) & 255)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
# where the binary part of undo file FILE starts
body_at() { echo $(($(head -n 2 "$1" | wc -c))); }

# --------------------------------------------- a disk with one NTFS partition
truncate -s 80M "$T/disk.img"
printf 'label: dos\nstart=2048, type=7\n' | sfdisk -q "$T/disk.img" >/dev/null 2>&1 || wr_bail "sfdisk"
wr_attach_to DEV "$T/disk.img" || wr_bail "attach"
P=${DEV}p1
[ -b "$P" ] || wr_bail "no $P"
mkntfs -F -q -f -L trust "$P" >/dev/null 2>&1 || wr_bail "mkntfs"
zero_mirr "$P"
S0=$(sha "$P")

# --------------------------------------------------------- (a) round trip
fix "$P" --yes
U=$(undo_file)
expect_eq "(a) fix repairs the zeroed \$MFTMirr (exit 1)" "1 corrected" "$RC $(code)"
[ -s "$U" ] || wr_bail "no undo file: $(cat "$T/err.txt")"
expect_eq "(a) the undo file is of the new format" "WINRESCUE-UNDO 2" "$(head -n 1 "$U")"
expect_match "(a) its end line carries a MAC" '^WINRESCUE-UNDO-END [0-9a-f]{64}$' "$(tail -c 84 "$U")"
expect_eq "(a) the key beside the undo directory: root's, 0600, 32 bytes" "0 600 32 regular file" \
	"$(stat -c '%u %a %s %F' "$UD.key")"
expect_eq "(a) the undo directory: root's, 0700" "0 700" "$(stat -c '%u %a' "$UD")"
undo "$U" --dry-run
want=$(sed -n 2p "$U" | jq -r '.ranges[] | "bytes \(.offset)-\(.offset + .length - 1) of '"$P"' (\(.length) bytes at offset \(.offset)"' | sort)
got=$(jq -r '.plan.steps[]' "$T/out.json" | sed -n 's/^Write \(bytes .*offset [0-9]*\).*/\1/p' | sort)
expect_eq "(a) undo's plan names every offset and length it writes" "$want" "$got"
undo "$U" --yes
expect_eq "(a) undo restores the partition byte for byte" "0 restored $S0" "$RC $(code) $(sha "$P")"
# the private directory the refusals advise ('mktemp -d'): its key beside it in sticky /tmp
MT=$(mktemp -d) || wr_bail "mktemp"
wr_cleanup_add "rm -rf '$MT' '$MT.key'"
fix "$P" --yes --undo-dir "$MT"
UM=$(undo_file)
expect_eq "(a) fix --undo-dir \$(mktemp -d): corrected, its key beside it" "1 0 600" \
	"$RC $(stat -c '%u %a' "$MT.key" 2>&1)"
undo "$UM" --yes
expect_eq "(a) ... and undo from there restores it" "0 restored $S0" "$RC $(code) $(sha "$P")"
fix "$P" --yes
U=$(undo_file)
S1=$(sha "$P")
[ "$RC" = 1 ] && [ -s "$U" ] || wr_bail "second fix: $(cat "$T/err.txt")"

# refused FILE [VOL] WHAT CODE: undo refused with exit 32 and CODE, $P unchanged
refused() {
	local f=$1 what=$2 want=$3 dev=${4:-$P} s
	s=$(sha "$dev")
	undo "$f" ${4:+"$4"} --yes
	expect_eq "$what: refused (exit 32, $want), nothing written" "32 $want $s" \
		"$RC $(code) $(sha "$dev")"
}

# ------------------------------------------------------------ (b) wrong MAC
cp -p "$U" "$UD/data.undo"
flip "$UD/data.undo" $(($(body_at "$U") + 32 + 100))
refused "$UD/data.undo" "(b) a saved byte changed" untrusted-undo-file
expect_match "(b) the message names the file and the MAC" "MAC of .*/data.undo" "$(msg)"
cp -p "$U" "$UD/header.undo"
flip "$UD/header.undo" 40
refused "$UD/header.undo" "(b) a header byte changed" untrusted-undo-file
cp -p "$U" "$UD/mac.undo"
flip "$UD/mac.undo" $(($(stat -c %s "$U") - 2))
refused "$UD/mac.undo" "(b) the MAC itself changed" untrusted-undo-file
expect_eq "(b) no message suggests /tmp" "" "$(jq -r '.message, .next // ""' "$T/out.json" | grep -Eo '/tmp/winrescue-(undo|audit)')"

# -------------------------------------------- (c) ranges fix cannot write
craft "$U" "$UD/same.undo" '1;'
undo "$UD/same.undo" --dry-run
expect_eq "(c) control: the same file MACed again by the test is accepted" "0" "$RC"
# the first extent moved 16 MiB into the volume's data, in header and binary alike
craft "$U" "$UD/outside.undo" '
	my $o = $h->{ranges}[0]{offset} + (16 << 20);
	$h->{ranges}[0]{offset} = $o;
	substr($b, 0, 8) = pack("Q<", $o);'
refused "$UD/outside.undo" "(c) a range outside every area fix declared" untrusted-undo-file
expect_match "(c) the message says where" "outside every area fix declared" "$(msg)"
craft "$U" "$UD/kind.undo" '$h->{areas}[0]{kind} = "partition-table";'
refused "$UD/kind.undo" "(c) an area of a kind fix never writes" untrusted-undo-file
expect_match "(c) the message names it" "fix never writes partition-table" "$(msg)"
craft "$U" "$UD/big.undo" '
	for my $a (@{$h->{areas}}) { $a->{length} = 64 << 20 if $a->{kind} eq "mftmirr-records" }'
refused "$UD/big.undo" "(c) an \$MFTMirr area of 64 MiB" untrusted-undo-file

# ------------------------------------------------------ (d) foreign targets
cp --sparse=always "$T/disk.img" "$T/disk2.img"
wr_attach_to DEV2 "$T/disk2.img" || wr_bail "attach disk2"
refused "$U" "(d) onto another loop device holding a copy of the disk" other-target "${DEV2}p1"
expect_match "(d) the message says what differs" "file behind it" "$(msg)"
truncate -s 32M "$T/vol.img"
mkntfs -F -q -f "$T/vol.img" >/dev/null 2>&1 || wr_bail "mkntfs vol.img"
zero_mirr "$T/vol.img"
V0=$(sha "$T/vol.img")
fix "$T/vol.img" --yes
UF=$(undo_file)
[ "$RC" = 1 ] && [ -s "$UF" ] || wr_bail "fix vol.img: $(cat "$T/err.txt")"
cp "$T/vol.img" "$T/vol-copy.img"
refused "$UF" "(d) onto a root-owned copy of the image file" other-target "$T/vol-copy.img"
undo "$UF" --yes
expect_eq "(d) the image itself: restored byte for byte" "0 $V0" "$RC $(sha "$T/vol.img")"

# ----------------------------------------------- (e) writable undo directory
for m in g+w o+w; do
	chmod "$m" "$UD"
	refused "$U" "(e) undo from an undo directory made $m" untrusted-undo-file
	s=$(sha "$P")
	fix "$P" --yes
	expect_eq "(e) fix with an undo directory made $m: refused, nothing written" "32 undo-dir $s" \
		"$RC $(code) $(sha "$P")"
	chmod "${m/+/-}" "$UD"
done

# -------------------------------------------------------- (f) symbolic links
ln -s "$T" "$T/link"
refused "$T/link/undo/$(basename "$U")" "(f) undo through a symlinked parent" untrusted-undo-file
expect_match "(f) the message names the link" "$T/link is a symbolic link" "$(msg)"
s=$(sha "$P")
fix "$P" --yes --undo-dir "$T/link/undo"
expect_eq "(f) fix with a symlinked parent of --undo-dir: refused, nothing written" \
	"32 undo-dir $s" "$RC $(code) $(sha "$P")"
ln -s "$UD" "$T/undo-link"
refused "$T/undo-link/$(basename "$U")" "(f) undo through a symlinked undo directory" \
	untrusted-undo-file
ln -s "$U" "$UD/file-link.undo"
refused "$UD/file-link.undo" "(f) an undo file that is a symbolic link" untrusted-undo-file

# ------------------------------------ (g) another user prepares the ground
N=$(mktemp -d /tmp/winrescue-shared.XXXXXX) || wr_bail "mktemp"
wr_cleanup_add "rm -rf '$N'"
chmod 1777 "$N"	# as /tmp is
setpriv --reuid=nobody --regid=nogroup --clear-groups mkdir "$N/winrescue-undo" ||
	wr_bail "nobody cannot mkdir"
s=$(sha "$P")
fix "$P" --yes --undo-dir "$N/winrescue-undo"
expect_eq "(g) fix into nobody's undo directory: refused, nothing written" "32 undo-dir $s" \
	"$RC $(code) $(sha "$P")"
expect_match "(g) the refusal names the owner" "owned by uid $(id -u nobody)" "$(msg)"
expect_eq "(g) no undo file and no key left there" "0 absent" \
	"$(ls -A "$N/winrescue-undo" | wc -l) $([ -e "$N/winrescue-undo.key" ] && echo present || echo absent)"
cp /etc/passwd "$T/passwd-copy"
PW0=$(sha "$T/passwd-copy")
# nobody's undo file: 5 bytes at nobody's uid field "restored" to 00000 (format
# 1: as the issue reproduced it; format 2: with a MAC nobody can make)
evil() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups perl -e '
	my ($target, $out, $v) = @ARGV;
	open(my $f, "<", "/etc/passwd") or die; local $/; my $pw = <$f>; close $f;
	$pw =~ /^nobody:[^:]*:/m or die; my $off = $+[0];
	my $fnv = sub { use integer; my $h = 0xcbf29ce484222325;
		for my $c (unpack("C*", $_[0])) { $h ^= $c; $h *= 0x100000001b3 } $h };
	my $old = "00000"; my $new = substr($pw, $off, 5);
	my $hdr = sprintf("{\"action\":\"fix\",\"device\":\"%s\",\"device_size\":%d,\"created\":\"x\",".
		"\"job\":\"x\",\"extents\":1,\"bytes\":5,\"ranges\":[{\"offset\":%d,\"length\":5,".
		"\"what\":\"x\"}],\"target\":{},\"areas\":[{\"kind\":\"logfile\",\"offset\":0,".
		"\"length\":%d}]}", $target, length($pw), $off, length($pw));
	open(my $o, ">", $out) or die;
	print $o "WINRESCUE-UNDO $v\n$hdr\n", pack("Q<Q<Q<Q<", $off, 5, $fnv->($old), $fnv->($new)),
		$old, $v == 1 ? "WINRESCUE-UNDO-END\n" : "WINRESCUE-UNDO-END " . ("0" x 64) . "\n";
	close $o;' "$T/passwd-copy" "$N/winrescue-undo/evil$1.undo" "$1"
}
evil 1 && evil 2 || wr_bail "nobody cannot write"
for v in 1 2; do
	refused "$N/winrescue-undo/evil$v.undo" "(g) nobody's crafted undo file (format $v) onto a root-owned copy of /etc/passwd" \
		untrusted-undo-file "$T/passwd-copy"
	cp "$N/winrescue-undo/evil$v.undo" "$UD/evil$v.undo"
	refused "$UD/evil$v.undo" "(g) the same, copied by root into the undo directory" \
		untrusted-undo-file "$T/passwd-copy"
done
expect_eq "(g) the copy of /etc/passwd is unchanged" "$PW0" "$(sha "$T/passwd-copy")"
setpriv --reuid=nobody --regid=nogroup --clear-groups mkdir "$N/wrlog" || wr_bail "mkdir wrlog"
s=$(sha "$P")
fix "$P" --yes --log "$N/wrlog/audit.jsonl"
expect_eq "(g) an audit log in a directory of nobody's: refused, nothing written" \
	"32 audit-log $s" "$RC $(code) $(sha "$P")"
expect_eq "(g) the next step suggests no /tmp, but a private directory (mktemp -d)" "mktemp -d" \
	"$(jq -r '.next' "$T/out.json" | grep -v '/tmp' | grep -o 'mktemp -d')"

# ---------------------------------------------------------- (h) old format
{ printf 'WINRESCUE-UNDO 1\n'; tail -c +18 "$U" | head -c -84; printf 'WINRESCUE-UNDO-END\n'; } \
	>"$UD/old.undo"
refused "$UD/old.undo" "(h) an undo file of the old format, without a MAC" untrusted-undo-file
expect_match "(h) the message says why" "older winrescue, without a MAC" "$(msg)"

# and the genuine one still restores
undo "$U" --yes
expect_eq "the genuine undo file still restores the partition" "0 restored $S0" \
	"$RC $(code) $(sha "$P")"

# what is no undo file at all is said as such, not as untrusted
undo "$T/no-such.undo" --yes
expect_match "a missing file: bad-undo-file (1), said so" "^1 bad-undo-file .*no-such.undo does not exist" \
	"$RC $(code) $(jq -r .message "$T/out.json")"
undo "$T" --yes
expect_match "a directory: bad-undo-file (1), said so" "^1 bad-undo-file .* is a directory, not an undo file" \
	"$RC $(code) $(jq -r .message "$T/out.json")"

wr_finish
