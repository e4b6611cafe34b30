#!/usr/bin/env bash
# dist/bundle.sh BINARY VERSION OUT.tar.gz - `make bundle`: the drop-in
# tarball a person copies onto a provider's rescue image that has none of
# our libraries.
#
# BINARY is winrescue linked with an $ORIGIN/lib rpath (DT_RPATH, so that the
# libraries' own dependencies are found there too). Beside it go every
# shared library it and ntfs-3g need that a minimal glibc system lacks (all
# but glibc's own), ntfs-3g itself (for rescue kernels without ntfs3) with
# the same rpath, mtools as mcopy (its multi-call binary: as mcopy it reads
# the ESP's BCD store without mounting, as mshowfat it names the store's
# clusters; it needs only glibc), compiled terminfo entries for vt100, vt220, linux and
# xterm-256color (winrescue adds its own terminfo/ to the search when the
# system lacks an entry), the man page and a README. The oldest glibc the
# bundle runs on is the newest GLIBC_x.y symbol version any of its ELF files
# asks for; it is written into the README and printed.
set -euo pipefail
export LC_ALL=C

bin=$1 version=$2 out=$3
arch=$(uname -m)
name=$(basename "$out" .tar.gz)
root=$(cd "$(dirname "$0")/.." && pwd)
TERMS="vt100 vt220 linux xterm-256color"
# glibc's own libraries: present on every glibc system, never bundled
# (libcrypt and libnsl are not: they come from libxcrypt and libnsl2 now)
GLIBC_RE='^(linux-vdso\.so|ld-linux[-.a-z0-9_]*\.so|libc\.so|libm\.so|libpthread\.so|libdl\.so|librt\.so|libresolv\.so|libutil\.so|libanl\.so|libBrokenLocale\.so|libmvec\.so|libnss_[a-z]*\.so|libthread_db\.so)'

die() {
	echo "bundle: $*" >&2
	exit 1
}

for tool in patchelf objdump tic infocmp ldd tar gzip; do
	command -v "$tool" >/dev/null || die "$tool is missing: run 'make deps'"
done
ntfs3g=$(command -v ntfs-3g) || die "ntfs-3g is missing: run 'make deps'"
mcopy=$(command -v mcopy) || die "mcopy is missing: run 'make deps' (mtools)"
[ -x "$bin" ] || die "$bin is missing: run 'make $bin'"

stage=$(mktemp -d "${TMPDIR:-/tmp}/winrescue-bundle.XXXXXX")
trap 'rm -rf "$stage" "$out.tmp"' EXIT
dir=$stage/$name
mkdir -p "$dir/lib" "$dir/terminfo"

install -m 0755 "$bin" "$dir/winrescue"
install -m 0755 "$(readlink -f "$ntfs3g")" "$dir/ntfs-3g"
patchelf --force-rpath --set-rpath '$ORIGIN/lib' "$dir/ntfs-3g"
install -m 0755 "$(readlink -f "$mcopy")" "$dir/mcopy"
install -m 0644 "$root/man/winrescue.8" "$dir/winrescue.8"

# every library ldd resolves for the two programs, but glibc's; ldd follows
# indirect dependencies (libmount -> libselinux -> libpcre2) as well
ldd "$bin" >"$stage/ldd" || die "ldd $bin failed"
ldd "$ntfs3g" >>"$stage/ldd" || die "ldd $ntfs3g failed"
ldd "$mcopy" >>"$stage/ldd" || die "ldd $mcopy failed"
! grep -q 'not found' "$stage/ldd" || die "unresolved libraries: $(grep 'not found' "$stage/ldd" | tr -s '\t\n' ' ')"
libs=$(awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 }' "$stage/ldd" | sort -u)
[ -n "$libs" ] || die "ldd found no libraries for $bin"
while read -r soname path; do
	if [[ $soname =~ $GLIBC_RE ]]; then
		continue
	fi
	install -m 0644 "$(readlink -f "$path")" "$dir/lib/$soname"
done <<<"$libs"

for t in $TERMS; do
	infocmp -x "$t" >"$stage/$t.src" 2>/dev/null || die "no terminfo entry for $t on this machine"
	tic -x -o "$dir/terminfo" "$stage/$t.src" 2>/dev/null || die "tic cannot compile $t"
done

# the oldest glibc: the newest symbol version any ELF file here needs
for f in "$dir/winrescue" "$dir/ntfs-3g" "$dir/mcopy" "$dir"/lib/*; do
	objdump -T "$f" || die "objdump cannot read $f"
done >"$stage/symbols"
# glibc's private symbols differ from one build to the next: never usable elsewhere
! grep -q GLIBC_PRIVATE "$stage/symbols" || die "a bundled file needs GLIBC_PRIVATE symbols"
glibc=$(grep -o 'GLIBC_[0-9][0-9.]*' "$stage/symbols" | sed 's/GLIBC_//' | sort -uV | tail -n 1)
[ -n "$glibc" ] || die "cannot tell which glibc the bundle needs"

cat >"$dir/README" <<EOF
winrescue $version for Linux $arch: rescue a Windows server that no longer boots.

    tar xzf $name.tar.gz && cd $name && ./winrescue

Runs as root on any Linux rescue system with glibc $glibc or newer; nothing
else is needed. Inside: winrescue, ntfs-3g (used when the kernel has no ntfs3
driver), mtools' mcopy (reads the EFI System Partition's BCD store without
mounting it), the libraries both need in lib/ (found through an \$ORIGIN rpath),
terminfo for vt100, vt220, linux and xterm-256color (used when the system has
none), and the manual: man -l winrescue.8

On a serial console set TERM=vt220 first. ./winrescue list shows the disks
without the full screen; ./winrescue --help lists every command.
EOF

# reproducible: sorted names, fixed owner and time
mtime=$(git -C "$root" log -1 --format=%ct 2>/dev/null || echo 0)
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$mtime" --mode=go-w,a+rX \
	-C "$stage" -cf - "$name" | gzip -9n >"$out.tmp"
mv "$out.tmp" "$out"
echo "bundle: $out ($(du -k "$out" | cut -f1) KiB; $(ls "$dir/lib" | wc -l) libraries; needs glibc >= $glibc)"
