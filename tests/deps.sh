#!/usr/bin/env bash
# tests/deps.sh install|ensure DEB-PACKAGE...
#   install: apt-get install the packages (Debian/Ubuntu, as root).
#   ensure:  do that only when a pkg-config module or a program that the
#            build, tests, demo or benchmark use is missing.
set -eu
mode=$1; shift

PC_MODULES="ncursesw blkid fdisk mount libntfs-3g json-c cmocka"
PROGRAMS="cc pkg-config sfdisk losetup partx lsblk blkid mkntfs ntfs-3g ntfsfix ntfslabel
mkfs.vfat mcopy xz jq tmux nbdkit nbdfuse sha256sum /usr/bin/time patchelf objdump tic infocmp
qemu-system-x86_64 mkfs.ext4 cpio groff"
# files of packages without a program: the real boot codes the tests write
FILES="/usr/lib/syslinux/mbr/mbr.bin /usr/lib/grub/i386-pc/boot.img"

missing() {
	local m p
	for m in $PC_MODULES; do
		pkg-config --exists "$m" 2>/dev/null || { echo "pkg-config module $m"; return 0; }
	done
	for p in $PROGRAMS; do
		command -v "$p" >/dev/null 2>&1 || { echo "program $p"; return 0; }
	done
	for p in $FILES; do
		[ -e "$p" ] || { echo "file $p"; return 0; }
	done
	return 1
}

install() {
	if ! command -v apt-get >/dev/null 2>&1; then
		echo "winrescue: cannot install dependencies: apt-get not found; install $* by hand" >&2
		exit 1
	fi
	if [ "$(id -u)" != 0 ]; then
		echo "winrescue: installing dependencies needs root: run 'sudo make deps'" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

case $mode in
install) install "$@" ;;
ensure)
	if what=$(missing); then
		echo "winrescue: $what is missing; installing build and test dependencies" >&2
		install "$@"
		if what=$(missing); then
			echo "winrescue: $what is still missing after 'make deps'" >&2
			exit 1
		fi
	fi
	;;
*) echo "usage: $0 install|ensure PACKAGE..." >&2; exit 16 ;;
esac
