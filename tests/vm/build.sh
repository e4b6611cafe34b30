#!/usr/bin/env bash
# tests/vm/build.sh BUNDLE - build (or reuse) the rescue VM in build/vm/:
#
#   vmlinuz, initrd.gz   Debian's 6.12 kernel (its package apt-get downloaded
#                        and unpacked with dpkg-deb, never installed on this
#                        machine) and an initramfs with busybox, virtio_blk and
#                        ext4, which mounts /dev/vda as the root
#   root.img             the rescue system's root disk (ext4, made with
#                        mkfs.ext4 -d, no mount): busybox-static, glibc's own
#                        libraries and nothing else of ours but BUNDLE in
#                        /root; the kernel's modules for ext4, ntfs3, vfat and
#                        their codepages (fuse and virtio are built in);
#                        util-linux's lsblk and blkid and coreutils' stty with
#                        their libraries apart in /opt/peer, for comparing
#   kver                 the kernel release
#
# Every part is one function; its stamp holds the sha256 of the function's
# own text and of its inputs, and the part is made again only when that
# changes (a part is made in a scratch place and moved in whole, its stamp
# written last). The downloaded packages stay in build/vm/debs/.
# Environment: WR_VM_DIR (default build/vm), WR_VM_KERNEL (the kernel's meta
# package, default linux-image-6.12-amd64), WR_VM_OFFLINE=1 (never run
# apt-get update). Exit: 0 built or reused; 77 a package cannot be had (the
# message says which); 1 anything else.
set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
VM=${WR_VM_DIR:-$root/build/vm}
bundle=$(readlink -f "$1")
KERNEL_META=${WR_VM_KERNEL:-linux-image-6.12-amd64}
# loaded by the initramfs (in dependency order), then by the root's init
INITRD_MODULES="crc32c_generic virtio_blk ext4"
ROOT_MODULES="ntfs3 vfat nls_cp437 nls_ascii nls_utf8 nls_iso8859-1 fuse"
# glibc's own libraries, from this machine: what a minimal glibc system has
GLIBC_DIR=/lib/x86_64-linux-gnu
GLIBC_LIBS="ld-linux-x86-64.so.2 libc.so.6 libm.so.6 libpthread.so.0 libdl.so.2 librt.so.1 libresolv.so.2"
# glibc's gconv modules winrescue's libraries use, where glibc looks for them:
# hivex decodes registry names from Latin-1 (ISO8859-1) and strings from
# UTF-16LE (UTF-16); mtools' default code page is 850. libc6 ships them on
# every Debian system (without them the rescue VM read no hive at all).
GCONV_DIR=/usr/lib/x86_64-linux-gnu/gconv
GCONV_FILES="gconv-modules gconv-modules.cache ISO8859-1.so UTF-16.so IBM850.so"
# the peers the tests compare with, apart in /opt/peer
PEERS="lsblk blkid stty"

die() {
	echo "vm-build: $*" >&2
	exit 1
}
unavailable() {
	echo "vm-build: $*" >&2
	exit 77
}
note() {
	echo "vm-build: $*"
}

[ -f "$bundle" ] || die "bundle $1 not found: run 'make bundle'"
for tool in dpkg-deb apt-get apt-cache cpio gzip mkfs.ext4 xz sha256sum ldd $PEERS; do
	command -v "$tool" >/dev/null || unavailable "$tool is missing (make deps)"
done
mkdir -p "$VM/debs"
scratch=()
trap 'rm -rf "${scratch[@]}"' EXIT

# stamp_of WORDS...: the sha256 of the words (file contents where a word is
# a file, the text of a function where it names one)
stamp_of() {
	local w
	for w in "$@"; do
		if [ -f "$w" ]; then
			sha256sum <"$w"
		elif declare -F "$w" >/dev/null; then
			declare -f "$w"
		else
			echo "$w"
		fi
	done | sha256sum | cut -c1-64
}

# up_to_date PART STAMP [FILE...]: the part's stamp matches and its files exist
up_to_date() {
	local part=$1 stamp=$2 f
	shift 2
	[ "$(cat "$VM/$part.stamp" 2>/dev/null)" = "$stamp" ] || return 1
	for f in "$@"; do [ -e "$f" ] || return 1; done
}

apt_update() {
	[ "${WR_VM_OFFLINE:-}" = 1 ] && return 1
	note "apt-get update"
	apt-get update -qq >/dev/null 2>&1
}

# the versioned kernel package the meta package depends on, from apt's lists;
# offline, the one downloaded before
kernel_package() {
	local p
	p=$(apt-cache depends "$KERNEL_META" 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
	[ -n "$p" ] || p=$(ls "$VM/debs" | sed -n 's/^\(linux-image-[0-9][^_]*\)_.*\.deb$/\1/p' | head -n 1)
	echo "$p"
}

# fetch PACKAGE: its .deb in $VM/debs (downloaded once, checked); prints the path
fetch() {
	local pkg=$1 deb
	deb=$(ls "$VM/debs/${pkg}_"*.deb 2>/dev/null | head -n 1 || true)
	if [ -n "$deb" ] && ! dpkg-deb --info "$deb" >/dev/null 2>&1; then
		rm -f "$deb"	# a download cut short
		deb=
	fi
	if [ -z "$deb" ]; then
		(cd "$VM/debs" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >/dev/null 2>&1) ||
			return 1
		deb=$(ls "$VM/debs/${pkg}_"*.deb | head -n 1)
	fi
	echo "$deb"
}

# the kernel package and busybox-static: from apt's lists; once more after
# apt-get update when a name is unknown or cannot be downloaded (the
# security archive moves to a new kernel now and then)
kpkg=$(kernel_package)
if [ -z "$kpkg" ] || ! kdeb=$(fetch "$kpkg") || ! bbdeb=$(fetch busybox-static); then
	apt_update || true
	kpkg=$(kernel_package)
	[ -n "$kpkg" ] ||
		unavailable "the kernel package $KERNEL_META is not known to apt (apt-get update; Debian 12's archive has it)"
	kdeb=$(fetch "$kpkg") || unavailable "the Debian package $kpkg cannot be downloaded (apt-get download $kpkg)"
	bbdeb=$(fetch busybox-static) || unavailable "the Debian package busybox-static cannot be downloaded"
fi

# ---- the kernel, its modules, busybox ----------------------------------------

# modinfo FIELD KO: a field of an uncompressed module's .modinfo
modinfo_field() {
	tr '\0' '\n' <"$2" | sed -n "s/^$1=//p"
}

# closure NAME: NAME's dependencies first, then NAME (paths below kernel/),
# below $kmods; nothing for a module built into the kernel
declare -A seen=()
closure() {
	local name=${1//-/_} path dep soft
	[ -n "${seen[$name]:-}" ] && return 0
	seen[$name]=1
	if grep -qE "/(${1}|${name})\.ko(\.xz)?$" "$kmods/modules.builtin"; then
		return 0
	fi
	path=$(grep -E "/(${1}|${name})\.ko$" "$kmods/modules.order" | head -n 1 || true)
	[ -n "$path" ] || die "module $1 is neither in modules.order nor built in"
	[ -f "$kmods/$path" ] || xz -d "$kmods/$path.xz" || die "cannot decompress $path.xz"
	# soft dependencies that name a crypto algorithm: its generic module
	for soft in $(modinfo_field softdep "$kmods/$path" | sed 's/pre://; s/post:.*//'); do
		case $soft in
		crypto-*) closure "${soft#crypto-}_generic" ;;
		*) if grep -q "/${soft}\.ko$" "$kmods/modules.order"; then closure "$soft"; fi ;;
		esac
	done
	for dep in $(modinfo_field depends "$kmods/$path" | tr ',' ' '); do
		closure "$dep"
	done
	echo "$path"
}

# $VM/kernel: vmlinuz, kver, busybox, modules/ (both lists' modules,
# uncompressed), initrd.list and root.list (in dependency order)
build_kernel() {
	local t kver set mods m p
	t=$(mktemp -d "$VM/.kernel.XXXXXX")
	scratch+=("$t")
	dpkg-deb -x "$kdeb" "$t/kernel"
	dpkg-deb -x "$bbdeb" "$t/busybox"
	kver=$(ls "$t/kernel/lib/modules" | head -n 1)
	kmods=$t/kernel/lib/modules/$kver
	grep -q '^CONFIG_NTFS3_FS=[ym]' "$t/kernel/boot/config-$kver" || die "$kpkg is built without ntfs3"
	mkdir -p "$t/out/modules"
	cp "$t/kernel/boot/vmlinuz-$kver" "$t/out/vmlinuz"
	cp "$t/busybox/bin/busybox" "$t/out/busybox"
	echo "$kver" >"$t/out/kver"
	for set in initrd root; do
		seen=()
		mods=$INITRD_MODULES
		[ $set = root ] && mods="$INITRD_MODULES $ROOT_MODULES"
		for m in $mods; do closure "$m"; done >"$t/out/$set.list"
	done
	sort -u "$t/out/root.list" "$t/out/initrd.list" | while read -r p; do
		mkdir -p "$t/out/modules/$(dirname "$p")"
		cp "$kmods/$p" "$t/out/modules/$p"
	done
	cp "$kmods/modules.order" "$kmods/modules.builtin" "$t/out/modules/"
	rm -rf "$VM/kernel"
	mv "$t/out" "$VM/kernel"
	rm -rf "$t"
}

kstamp=$(stamp_of "$kdeb" "$bbdeb" "$INITRD_MODULES" "$ROOT_MODULES" build_kernel closure modinfo_field)
if ! up_to_date kernel "$kstamp" "$VM/kernel/vmlinuz"; then
	note "unpacking $(basename "$kdeb") and $(basename "$bbdeb")"
	rm -f "$VM/kernel.stamp"
	build_kernel
	echo "$kstamp" >"$VM/kernel.stamp"
fi
kver=$(cat "$VM/kernel/kver")
BB=$VM/kernel/busybox

# busybox_tree DIR: busybox in DIR/bin with a link for every applet
busybox_tree() {
	local a
	mkdir -p "$1/bin" "$1/sbin"
	cp "$BB" "$1/bin/busybox"
	for a in $("$BB" --list); do
		[ "$a" = busybox ] || ln -sf busybox "$1/bin/$a"
	done
	ln -sf ../bin/busybox "$1/sbin/modprobe"
}

# ---- the initramfs -----------------------------------------------------------

build_initrd() {
	local t p
	t=$(mktemp -d "$VM/.initrd.XXXXXX")
	scratch+=("$t")
	busybox_tree "$t"
	mkdir -p "$t/proc" "$t/sys" "$t/dev" "$t/root" "$t/lib/modules"
	while read -r p; do
		mkdir -p "$t/lib/modules/$(dirname "$p")"
		cp "$VM/kernel/modules/$p" "$t/lib/modules/$p"
	done <"$VM/kernel/initrd.list"
	cp "$VM/kernel/initrd.list" "$t/modules.list"
	install -m 0755 "$here/initramfs-init" "$t/init"
	(cd "$t" && find . | sort | cpio -o -H newc --quiet -R 0:0) | gzip -6 >"$VM/initrd.gz.tmp"
	mv "$VM/initrd.gz.tmp" "$VM/initrd.gz"
	cp "$VM/kernel/vmlinuz" "$VM/vmlinuz"
	echo "$kver" >"$VM/kver"
	rm -rf "$t"
}

istamp=$(stamp_of "$kstamp" "$here/initramfs-init" build_initrd busybox_tree)
if ! up_to_date initrd "$istamp" "$VM/initrd.gz" "$VM/vmlinuz"; then
	note "making the initramfs"
	rm -f "$VM/initrd.stamp"
	build_initrd
	echo "$istamp" >"$VM/initrd.stamp"
fi

# ---- the root disk -----------------------------------------------------------

build_root() {
	local t l p so path
	t=$(mktemp -d "$VM/.root.XXXXXX")
	scratch+=("$t")
	busybox_tree "$t"
	mkdir -p "$t/proc" "$t/sys" "$t/dev" "$t/run" "$t/tmp" "$t/mnt" "$t/etc" "$t/root" \
		"$t/var/log" "$t$GLIBC_DIR" "$t/lib64" "$t/opt/peer/lib" "$t/opt/peer/bin" "$t/opt/peer/real"
	for l in $GLIBC_LIBS; do
		cp -L "$GLIBC_DIR/$l" "$t$GLIBC_DIR/$l"
	done
	ln -s "..$GLIBC_DIR/ld-linux-x86-64.so.2" "$t/lib64/ld-linux-x86-64.so.2"
	mkdir -p "$t$GCONV_DIR"
	for l in $GCONV_FILES; do
		cp -L "$GCONV_DIR/$l" "$t$GCONV_DIR/$l" || die "no $GCONV_DIR/$l (libc6)"
	done
	# the modules, with modules.dep and modules.alias made by busybox depmod
	mkdir -p "$t/lib/modules/$kver"
	cp -r "$VM/kernel/modules/." "$t/lib/modules/$kver/"
	"$BB" depmod -b "$t" "$kver" || die "busybox depmod failed"
	echo "$ROOT_MODULES" | tr ' ' '\n' >"$t/etc/modules"
	install -m 0755 "$here/rootfs/init" "$t/sbin/init"
	install -m 0755 "$here/rootfs/vm-poweroff" "$t/bin/vm-poweroff"
	install -m 0644 "$here/rootfs/profile" "$t/etc/profile"
	printf 'root:x:0:0:root:/root:/bin/sh\n' >"$t/etc/passwd"
	printf 'root:x:0:\n' >"$t/etc/group"
	: >"$t/etc/fstab"
	# the peers, apart: their libraries (libblkid, libmount...) must not be
	# where winrescue could find them; each runs through the loader with
	# its own library path
	for p in $PEERS; do
		cp -L "$(command -v "$p")" "$t/opt/peer/real/$p"
		ldd "$(command -v "$p")" >"$t/ldd" || die "ldd $p failed"
		awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 }' "$t/ldd" | while read -r so path; do
			case " $GLIBC_LIBS " in *" $so "*) continue ;; esac
			cp -L "$path" "$t/opt/peer/lib/$so"
		done
		printf '#!/bin/sh\nexec /lib64/ld-linux-x86-64.so.2 --library-path /opt/peer/lib /opt/peer/real/%s "$@"\n' \
			"$p" >"$t/opt/peer/bin/$p"
		chmod 0755 "$t/opt/peer/bin/$p"
	done
	rm -f "$t/ldd"
	ln -s /opt/peer/bin/lsblk "$t/bin/lsblk"
	cp "$bundle" "$t/root/"
	mkfs.ext4 -q -F -L rescue-root -d "$t" "$VM/root.img.tmp" 64M >/dev/null || die "mkfs.ext4 -d failed"
	mv "$VM/root.img.tmp" "$VM/root.img"
	rm -rf "$t"
}

rstamp=$(stamp_of "$kstamp" "$bundle" "$here"/rootfs/* build_root busybox_tree "$GLIBC_LIBS" \
	"$GCONV_FILES" \
	$(for l in $GLIBC_LIBS; do echo "$GLIBC_DIR/$l"; done) $(for p in $PEERS; do command -v "$p"; done))
if ! up_to_date root "$rstamp" "$VM/root.img"; then
	note "making the root disk with $(basename "$bundle")"
	rm -f "$VM/root.stamp"
	build_root
	echo "$rstamp" >"$VM/root.stamp"
fi
note "kernel $kver, root $(du -k --apparent-size "$VM/root.img" | cut -f1) KiB, bundle $(basename "$bundle")"
