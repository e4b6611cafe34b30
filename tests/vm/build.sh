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
# Every part records the sha256 of its inputs in a stamp and is rebuilt only
# when they change; the downloaded packages stay in build/vm/debs/.
# Exit: 0 built or reused; 77 a package could not be downloaded (the message
# says which); 1 anything else.
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
for tool in dpkg-deb apt-get cpio gzip mkfs.ext4 xz sha256sum; do
	command -v "$tool" >/dev/null || unavailable "$tool is missing (make deps)"
done
mkdir -p "$VM/debs"

sha_of() {
	cat "$@" | sha256sum | cut -c1-64
}

# fetch PACKAGE: its .deb in $VM/debs (downloaded once); prints the path
fetch() {
	local pkg=$1 deb
	deb=$(ls "$VM/debs/${pkg}_"*.deb 2>/dev/null | head -n 1 || true)
	if [ -z "$deb" ]; then
		if ! (cd "$VM/debs" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >/dev/null 2>&1); then
			apt-get update -qq >/dev/null 2>&1 || true
			(cd "$VM/debs" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >/dev/null 2>&1) ||
				unavailable "the Debian package $pkg cannot be downloaded (apt-get download $pkg)"
		fi
		deb=$(ls "$VM/debs/${pkg}_"*.deb | head -n 1)
	fi
	echo "$deb"
}

# the versioned kernel package the meta package depends on
kernel_package() {
	local p
	p=$(apt-cache depends "$KERNEL_META" 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
	if [ -z "$p" ]; then
		apt-get update -qq >/dev/null 2>&1 || true
		p=$(apt-cache depends "$KERNEL_META" 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
	fi
	if [ -z "$p" ]; then
		# offline: the one downloaded before
		p=$(ls "$VM/debs" 2>/dev/null | sed -n 's/^\(linux-image-[0-9][^_]*\)_.*\.deb$/\1/p' | head -n 1)
	fi
	[ -n "$p" ] || unavailable "the kernel package $KERNEL_META is not known to apt (apt-get update; Debian 12's archive has it)"
	echo "$p"
}

# ---- the kernel and its modules ------------------------------------------

kpkg=$(kernel_package)
kdeb=$(fetch "$kpkg")
bbdeb=$(fetch busybox-static)

# modinfo FIELD KO: a field of an uncompressed module's .modinfo
modinfo_field() {
	tr '\0' '\n' <"$2" | sed -n "s/^$1=//p"
}

# closure NAME: NAME's dependencies first, then NAME (paths below kernel/)
declare -A seen=()
closure() {
	local name=${1//-/_} path dep soft
	[ -n "${seen[$name]:-}" ] && return 0
	seen[$name]=1
	if grep -qE "/${1}\.ko(\.xz)?$|/${name}\.ko(\.xz)?$" "$kmods/modules.builtin"; then
		return 0
	fi
	path=$(grep -E "/(${1}|${name})\.ko$" "$kmods/modules.order" | head -n 1)
	[ -n "$path" ] || die "module $1 is neither in modules.order nor built in"
	[ -f "$kmods/$path" ] || xz -d "$kmods/$path.xz" || die "cannot decompress $path.xz"
	# soft dependencies that name a crypto algorithm: its generic module
	for soft in $(modinfo_field softdep "$kmods/$path" | sed 's/pre://; s/post:.*//'); do
		case $soft in
		crypto-*) closure "${soft#crypto-}_generic" ;;
		*) grep -q "/${soft}\.ko$" "$kmods/modules.order" && closure "$soft" ;;
		esac
	done
	for dep in $(modinfo_field depends "$kmods/$path" | tr ',' ' '); do
		closure "$dep"
	done
	echo "$path"
}

# the kernel part's inputs: the packages, the module lists, how they are picked
kstamp=$( {
	echo "$kdeb $bbdeb $INITRD_MODULES $ROOT_MODULES"
	declare -f modinfo_field closure
} | sha256sum | cut -c1-64)
if [ "$(cat "$VM/kernel.stamp" 2>/dev/null)" != "$kstamp" ]; then
	note "unpacking $(basename "$kdeb") and $(basename "$bbdeb")"
	rm -rf "$VM/kernel" "$VM/kernel.stamp" "$VM/unpack"
	mkdir -p "$VM/unpack" "$VM/kernel"
	dpkg-deb -x "$kdeb" "$VM/unpack/kernel"
	dpkg-deb -x "$bbdeb" "$VM/unpack/busybox"
	kver=$(ls "$VM/unpack/kernel/lib/modules" | head -n 1)
	kmods=$VM/unpack/kernel/lib/modules/$kver
	grep -q '^CONFIG_NTFS3_FS=[ym]' "$VM/unpack/kernel/boot/config-$kver" ||
		die "$kpkg is built without ntfs3"
	cp "$VM/unpack/kernel/boot/vmlinuz-$kver" "$VM/kernel/vmlinuz"
	cp "$VM/unpack/busybox/bin/busybox" "$VM/kernel/busybox"
	echo "$kver" >"$VM/kernel/kver"
	for set in initrd root; do
		seen=()
		mods=$INITRD_MODULES
		[ $set = root ] && mods="$INITRD_MODULES $ROOT_MODULES"
		for m in $mods; do closure "$m"; done >"$VM/kernel/$set.list"
	done
	# the modules both lists name, uncompressed, in their kernel/ layout
	sort -u "$VM/kernel/root.list" "$VM/kernel/initrd.list" | while read -r p; do
		mkdir -p "$VM/kernel/modules/$(dirname "$p")"
		cp "$kmods/$p" "$VM/kernel/modules/$p"
	done
	cp "$kmods/modules.order" "$kmods/modules.builtin" "$VM/kernel/modules/"
	rm -rf "$VM/unpack"
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

# ---- the initramfs --------------------------------------------------------

istamp=$(echo "$kstamp $(sha_of "$here/initramfs-init")" | sha256sum | cut -c1-64)
if [ "$(cat "$VM/initrd.stamp" 2>/dev/null)" != "$istamp" ] || [ ! -f "$VM/initrd.gz" ]; then
	note "making the initramfs"
	t=$(mktemp -d "$VM/.initrd.XXXXXX")
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
	rm -rf "$t"
	echo "$istamp" >"$VM/initrd.stamp"
fi
cp "$VM/kernel/vmlinuz" "$VM/vmlinuz"
echo "$kver" >"$VM/kver"

# ---- the root disk --------------------------------------------------------

# glibc's own libraries, from this machine: what a minimal glibc system has
GLIBC_LIBS="ld-linux-x86-64.so.2 libc.so.6 libm.so.6 libpthread.so.0 libdl.so.2 librt.so.1 libresolv.so.2"
PEERS="lsblk blkid stty"
for p in $PEERS; do
	command -v "$p" >/dev/null || unavailable "$p is missing (make deps)"
done
rstamp=$(echo "$kstamp $(sha_of "$bundle" "$here"/rootfs/* $(for p in $PEERS; do command -v "$p"; done)) $(ls -l /lib/x86_64-linux-gnu/libc.so.6)" |
	sha256sum | cut -c1-64)
if [ "$(cat "$VM/root.stamp" 2>/dev/null)" != "$rstamp" ] || [ ! -f "$VM/root.img" ]; then
	note "making the root disk with $(basename "$bundle")"
	t=$(mktemp -d "$VM/.root.XXXXXX")
	trap 'rm -rf "$t"' EXIT
	busybox_tree "$t"
	mkdir -p "$t/proc" "$t/sys" "$t/dev" "$t/run" "$t/tmp" "$t/mnt" "$t/etc" "$t/root" \
		"$t/var/log" "$t/lib/x86_64-linux-gnu" "$t/lib64" "$t/opt/peer/lib" "$t/opt/peer/bin" \
		"$t/opt/peer/real"
	for l in $GLIBC_LIBS; do
		cp -L "/lib/x86_64-linux-gnu/$l" "$t/lib/x86_64-linux-gnu/$l"
	done
	ln -s ../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "$t/lib64/ld-linux-x86-64.so.2"
	# the modules, with modules.dep and modules.alias made by busybox depmod
	md=$t/lib/modules/$kver
	mkdir -p "$md"
	cp -r "$VM/kernel/modules/." "$md/"
	"$BB" depmod -b "$t" "$kver" || die "busybox depmod failed"
	echo "$ROOT_MODULES" | tr ' ' '\n' >"$t/etc/modules"
	install -m 0755 "$here/rootfs/init" "$t/sbin/init"
	install -m 0755 "$here/rootfs/vm-poweroff" "$t/bin/vm-poweroff"
	install -m 0644 "$here/rootfs/profile" "$t/etc/profile"
	printf 'root:x:0:0:root:/root:/bin/sh\n' >"$t/etc/passwd"
	printf 'root:x:0:\n' >"$t/etc/group"
	: >"$t/etc/fstab"
	# util-linux's lsblk and blkid and coreutils' stty, the peers to compare
	# with, apart in /opt/peer: their libraries (libblkid, libmount...) must
	# not be where winrescue could find them
	for p in $PEERS; do
		cp -L "$(command -v "$p")" "$t/opt/peer/real/$p"
		ldd "$(command -v "$p")" | awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 }' |
			while read -r so path; do
				case " $GLIBC_LIBS " in *" $so "*) continue ;; esac
				cp -L "$path" "$t/opt/peer/lib/$so"
			done
		printf '#!/bin/sh\nexec /lib64/ld-linux-x86-64.so.2 --library-path /opt/peer/lib /opt/peer/real/%s "$@"\n' \
			"$p" >"$t/opt/peer/bin/$p"
		chmod 0755 "$t/opt/peer/bin/$p"
	done
	ln -s /opt/peer/bin/lsblk "$t/bin/lsblk"
	cp "$bundle" "$t/root/"
	rm -f "$VM/root.img"
	mkfs.ext4 -q -F -L rescue-root -d "$t" "$VM/root.img" 64M >/dev/null || die "mkfs.ext4 -d failed"
	rm -rf "$t"
	trap - EXIT
	echo "$rstamp" >"$VM/root.stamp"
fi
note "kernel $kver, root $(du -k --apparent-size "$VM/root.img" | cut -f1) KiB, bundle $(basename "$bundle")"
