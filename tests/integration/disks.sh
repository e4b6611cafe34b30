# shellcheck shell=bash
# tests/integration/disks.sh - build synthetic Windows disk IMAGE FILES.
#
# Sourced by tests/integration/list.sh and by `make demo`; source
# tests/lib.sh first (wr_attach_to, wr_mount_ntfs, wr_umount, wr_release).
# Every builder creates a sparse image file, attaches it only while it
# builds (loop device + ntfs-3g mounts), and detaches everything before it
# returns, so the caller can attach the image itself. Real Windows data
# comes from $WINRESCUE_FIXTURES (hives/SYSTEM.xz, hives/BCD.xz).
# To attach a built image, use `wr_attach_to VAR IMG`.
#
#   make_bios_disk IMG [SIG]        128 MiB MBR (id SIG, default 0x1234abcd) with
#                                   real boot code (syslinux's mbr.bin, $WR_MBR_BIN,
#                                   as a Windows disk has its own):
#                                   p1 "System Reserved" NTFS, type 7, active,
#                                      with bootmgr and Boot/BCD
#                                   p2 "Windows" NTFS, type 7, with the SYSTEM
#                                      hive stored as windows/system32/CONFIG/system
#                                      (odd case on purpose)
#   make_uefi_disk IMG              300 MiB GPT: p1 ESP (FAT32, EFI/Microsoft/Boot/BCD),
#                                   p2 MSR (no fs), p3 "Windows" NTFS basic data with
#                                   Windows/System32/config/SYSTEM, p4 WinRE NTFS
#   make_data_disk IMG              64 MiB GPT: p1 NTFS "Data" (32 MiB) with files,
#                                   the rest unallocated
#   make_collision_disk IMG SIG     32 MiB MBR with disk id SIG (the BIOS disk's):
#                                   p1 NTFS "Backup" data volume
#   make_states_disk IMG            GPT with one 8 MiB NTFS volume per state in
#                                   WR_STATES (partition N+1 = WR_STATES[N]; the
#                                   GPT name and the NTFS label are the state name,
#                                   except evil-label whose label is WR_EVIL_LABEL)
#
# State helpers, on an UNMOUNTED NTFS volume (partition node or image file):
#   ntfs_make_dirty DEV             volume dirty flag set (chkdsk scheduled): by ntfsfix,
#                                   or by ntfs-state where ntfsfix cannot (see below)
#   ntfs_make_hibernated DEV        \hiberfil.sys starting with "hibr" (via ntfs-3g)
#   ntfs_set_logfile DEV STATE      clean|unclean|fast-restart|empty, by
#                                   build/tests/ntfs-state ($WR_NTFS_STATE)
#   ntfs_break_mftmirr DEV          one byte of $MFTMirr record 0 changed
#   ntfs_break_backup_bootsector DEV  the backup boot sector's serial changed
#   ntfs_le DEV OFFSET LEN          print a little-endian integer read from DEV

WR_NTFS_STATE=${WR_NTFS_STATE:-$WR_ROOT/build/tests/ntfs-state}
WR_HIVE_EDIT=${WR_HIVE_EDIT:-$WR_ROOT/build/tests/hive-edit}
# The fixture BCD's own GUIDs (its README): the disk, the ESP the boot
# manager names, the partition its Windows 10 loader names
WR_BCD_DISK=0b2394a9-095e-487d-8d48-719ecd4d78ca
WR_BCD_ESP=36be3955-63bf-4068-a6ab-00195cca3a22
WR_BCD_WINDOWS=8e0f2c38-e4ea-47ba-b7fc-9d8c74dccf0b
WR_BCD_BOOTMGR='{9dea862c-5cdd-4e70-acc1-f32b344d4795}'
WR_BCD_LOADER='{733b62e5-f608-11eb-825c-c112f60133ab}'
WR_BIOS_SIG_DEFAULT=0x1234abcd
# Standard MBR boot code that starts the active partition (Debian's syslinux-common)
WR_MBR_BIN=${WR_MBR_BIN:-/usr/lib/syslinux/mbr/mbr.bin}
WR_STATES=(healthy dirty hibernated fast-restart unclean clean-logfile mftmirr bootsector evil-label)
WR_EVIL_LABEL=$'\e[31mEVIL\e[0m'

# GPT type GUIDs as Windows uses them
WR_GUID_ESP=C12A7328-F81F-11D2-BA4B-00A0C93EC93B
WR_GUID_MSR=E3C9E316-0B5C-4DB8-817D-F92DF00215AE
WR_GUID_BASIC=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7
WR_GUID_WINRE=DE94BBA4-06D1-4D40-A16A-BFD50179D6AC

_wrd_err() {
	echo "disks.sh: $*" >&2
	return 1
}

# _wrd_part DEV N: the node of partition N of an attached disk
_wrd_part() {
	local p="${1}p$2" i
	for ((i = 0; i < 50; i++)); do
		[ -b "$p" ] && { echo "$p"; return 0; }
		partx -a "$1" >/dev/null 2>&1 || true
		sleep 0.1
	done
	_wrd_err "no partition node $p"
}

# _wrd_start PART: first sector of a partition (for boot sector hidden sectors)
_wrd_start() {
	cat "/sys/class/block/$(basename "$1")/start"
}

# _wrd_mkntfs PART LABEL
# mkntfs derives the volume serial from the clock, so volumes made within the
# same second would share it (and be reported as duplicate serials): give each
# one a random serial of its own (ntfslabel writes both boot sectors).
_wrd_mkntfs() {
	local serial
	serial=$(od -An -v -t x8 -N 8 /dev/urandom | tr -d ' \n' | tr a-f A-F)
	mkntfs -Q -q -p "$(_wrd_start "$1")" -H 255 -S 63 -L "$2" "$1" >/dev/null ||
		{ _wrd_err "mkntfs $1 failed"; return 1; }
	ntfslabel -q --new-serial="$serial" "$1" >/dev/null 2>&1 ||
		_wrd_err "ntfslabel --new-serial $1 failed"
}

# _wrd_mkfat PART LABEL: FAT32 (mkfs.vfat's geometry warning on loop
# partitions is noise; its errors are kept)
_wrd_mkfat() {
	local out
	out=$(mkfs.vfat -F 32 -n "$2" -h "$(_wrd_start "$1")" "$1" 2>&1) ||
		{ printf '%s\n' "$out" >&2; _wrd_err "mkfs.vfat $1 failed"; return 1; }
}

# _wrd_mtools CMD ARGS: mtools on a partition node (its "Could not get
# geometry" complaint about loop partitions is shown only when CMD fails)
_wrd_mtools() {
	local out
	out=$(MTOOLS_SKIP_CHECK=1 "$@" 2>&1) ||
		{ printf '%s\n' "$out" >&2; _wrd_err "$1 failed"; return 1; }
}

# _wrd_new IMG SIZE: a fresh sparse image file
_wrd_new() {
	rm -f "$1" && truncate -s "$2" "$1" || _wrd_err "cannot create $1"
}

# _wrd_mntdir IMG: a scratch mount point next to the image
_wrd_mntdir() {
	local d
	d=$(mktemp -d "$(dirname "$1")/.mnt.XXXXXX") || return 1
	echo "$d"
}

# _wrd_software: a SOFTWARE hive made with hivex from hivex's minimal one
_wrd_software() {
	local t k='Microsoft\Windows NT\CurrentVersion'
	[ -x "$WR_HIVE_EDIT" ] || _wrd_err "$WR_HIVE_EDIT missing (make $WR_HIVE_EDIT)" || return 1
	t=$(mktemp) || return 1
	cat "$WINRESCUE_FIXTURES/hives/hivex-minimal" >"$t" &&
		"$WR_HIVE_EDIT" "$t" sz "$k" ProductName "Windows Server 2019 Datacenter" &&
		"$WR_HIVE_EDIT" "$t" sz "$k" EditionID ServerDatacenter &&
		"$WR_HIVE_EDIT" "$t" sz "$k" CurrentBuildNumber 17763 &&
		"$WR_HIVE_EDIT" "$t" dword "$k" UBR 4010 &&
		"$WR_HIVE_EDIT" "$t" dword "$k" CurrentMajorVersionNumber 10 &&
		"$WR_HIVE_EDIT" "$t" dword "$k" CurrentMinorVersionNumber 0 &&
		"$WR_HIVE_EDIT" "$t" sz "$k" ReleaseId 1809 &&
		cat "$t"
	local rc=$?
	rm -f "$t"
	return $rc
}

# WR_BCD_MBR_REAL: the loader's device element (11000001 and 21000001) of a
# BCD store Windows wrote (a Windows Server 2008 R2 loader on MBR disk
# a5d76409, C: at byte 0x6500000), byte for byte as hivexregedit prints it.
# The MBR test stores are made from this layout, never with probes/bcd.c's
# encoder: the partition style is the u32 at 0x34, the u32 at 0x30 is 0.
WR_BCD_MBR_REAL=00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,\
06,00,00,00,00,00,00,00,48,00,00,00,00,00,00,00,\
00,00,50,06,00,00,00,00,00,00,00,00,00,00,00,00,\
00,00,00,00,01,00,00,00,09,64,d7,a5,00,00,00,00,\
00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,\
00,00,00,00,00,00,00,00

# wr_bcd_mbr_hex SIG OFFSET: WR_BCD_MBR_REAL naming MBR disk SIG (hex) and
# the partition at byte OFFSET instead: those two fields put in its layout
wr_bcd_mbr_hex() {
	local sig=$((16#${1#0x})) off=$(($2)) i
	local -a b
	IFS=, read -r -a b <<<"$WR_BCD_MBR_REAL"
	for i in 0 1 2 3 4 5 6 7; do b[32 + i]=$(printf '%02x' $(((off >> (8 * i)) & 255))); done
	for i in 0 1 2 3; do b[56 + i]=$(printf '%02x' $(((sig >> (8 * i)) & 255))); done
	local IFS=,
	echo "${b[*]}"
}

# wr_bcd_element HIVE OBJECT ELEMENT: that element's bytes as hivexregedit
# prints them (hex, comma-separated)
wr_bcd_element() {
	hivexregedit --export "$1" "\\Objects\\$2\\Elements\\$3" 2>/dev/null |
		sed -n 's/^"Element"=hex(3)://p' | tr -d '\\\n '
}

# wr_bcd_set HIVE OBJECT ELEMENT HEX: set that element to HEX with
# hivexregedit --merge (a tool of hivex, not ours)
wr_bcd_set() {
	local reg rc
	reg=$(mktemp) || return 1
	printf 'Windows Registry Editor Version 5.00\n\n[\\Objects\\%s\\Elements\\%s]\n"Element"=hex(3):%s\n' \
		"$2" "$3" "$4" >"$reg"
	hivexregedit --merge "$1" "$reg" >/dev/null 2>&1
	rc=$?
	rm -f "$reg"
	[ $rc = 0 ] || _wrd_err "hivexregedit --merge $1 ($2 $3) failed"
}

# _wrd_bcd_mbr SIG [BOOTMGR_OFFSET LOADER_OFFSET]: the fixture BCD with its
# boot manager on the partition at 1 MiB and its Windows 10 loader on the
# one at 41 MiB (or the offsets given) of MBR disk SIG
_wrd_bcd_mbr() {
	local t
	t=$(mktemp) || return 1
	_wrd_hive BCD >"$t" &&
		wr_bcd_set "$t" "$WR_BCD_BOOTMGR" 11000001 "$(wr_bcd_mbr_hex "$1" "${2:-1048576}")" &&
		wr_bcd_set "$t" "$WR_BCD_LOADER" 11000001 "$(wr_bcd_mbr_hex "$1" "${3:-42991616}")" &&
		wr_bcd_set "$t" "$WR_BCD_LOADER" 21000001 "$(wr_bcd_mbr_hex "$1" "${3:-42991616}")" &&
		"$WR_HIVE_EDIT" "$t" sz "Objects\\$WR_BCD_LOADER\\Elements\\12000002" Element \
			'\Windows\system32\winload.exe' &&
		cat "$t"
	local rc=$?
	rm -f "$t"
	return $rc
}

_wrd_hive() {
	[ -f "$WINRESCUE_FIXTURES/hives/$1.xz" ] ||
		_wrd_err "fixture $WINRESCUE_FIXTURES/hives/$1.xz missing (set WINRESCUE_FIXTURES)" || return 1
	xz -dc "$WINRESCUE_FIXTURES/hives/$1.xz"
}

# _wrd_populate PART IMG FUNC: mount PART with ntfs-3g, run FUNC MOUNTDIR, unmount
_wrd_populate() {
	local part=$1 img=$2 fn=$3 mnt rc=0
	mnt=$(_wrd_mntdir "$img") || return 1
	wr_cleanup_add "rmdir '$mnt'"
	if ! wr_mount_ntfs "$part" "$mnt"; then
		rmdir "$mnt" && wr_cleanup_forget "rmdir '$mnt'"
		_wrd_err "ntfs-3g cannot mount $part"
		return 1
	fi
	"$fn" "$mnt" || rc=1
	wr_umount "$mnt" || rc=1
	rmdir "$mnt" 2>/dev/null && wr_cleanup_forget "rmdir '$mnt'"
	[ $rc = 0 ] || _wrd_err "populating $part ($fn) failed"
}

_wrd_fill_sysres() {
	mkdir -p "$1/Boot" &&
		if [ -n "${_WRD_BCD_SIG:-}" ]; then
			_wrd_bcd_mbr "$_WRD_BCD_SIG" >"$1/Boot/BCD"
		else
			_wrd_hive BCD >"$1/Boot/BCD"
		fi &&
		{ printf 'BOOTMGR (winrescue test stand-in)\n'; head -c 65536 /dev/zero; } >"$1/bootmgr"
}

# C: of the BIOS disk: the SYSTEM hive under an odd-case path
_wrd_fill_windows_oddcase() {
	mkdir -p "$1/windows/system32/CONFIG" "$1/Users/Public" &&
		_wrd_hive SYSTEM >"$1/windows/system32/CONFIG/system" &&
		printf 'MZ winload stand-in\n' >"$1/windows/system32/winload.exe" &&
		echo "hello from C:" >"$1/Users/Public/readme.txt"
}

_wrd_fill_windows() {
	mkdir -p "$1/Windows/System32/config" "$1/Users/Public" &&
		_wrd_hive SYSTEM >"$1/Windows/System32/config/SYSTEM" &&
		_wrd_software >"$1/Windows/System32/config/SOFTWARE" &&
		printf 'MZ winload stand-in\n' >"$1/Windows/System32/winload.efi" &&
		echo "hello from C:" >"$1/Users/Public/readme.txt"
}

_wrd_fill_winre() {
	mkdir -p "$1/Recovery/WindowsRE" &&
		{ printf 'MSWIM\0\0\0'; head -c 32768 /dev/zero; } >"$1/Recovery/WindowsRE/Winre.wim"
}

_wrd_fill_data() {
	mkdir -p "$1/Documents" "$1/Photos" &&
		printf 'quarterly report\n' >"$1/Documents/report.txt" &&
		head -c 200000 /dev/urandom >"$1/Photos/holiday.jpg" &&
		printf 'notes\n' >"$1/notes.txt"
}

_wrd_fill_backup() {
	mkdir -p "$1/Backup" && printf 'old copy\n' >"$1/Backup/info.txt"
}

# _wrd_mbr_code IMG: real boot code in the MBR's first 440 bytes (the table stays)
_wrd_mbr_code() {
	[ -r "$WR_MBR_BIN" ] || _wrd_err "$WR_MBR_BIN missing (apt-get install syslinux-common)" || return 1
	dd if="$WR_MBR_BIN" of="$1" bs=440 count=1 conv=notrunc status=none
}

# make_bios_disk IMG [SIG [bcd]]: with bcd, System Reserved's \Boot\BCD names
# this disk's own partitions (by SIG and offset); else the fixture's UEFI store
make_bios_disk() {
	local img=$1 sig=${2:-$WR_BIOS_SIG_DEFAULT} dev p1 p2
	local _WRD_BCD_SIG=
	[ "${3:-}" = bcd ] && _WRD_BCD_SIG=${sig#0x}
	_wrd_new "$img" 128M || return 1
	sfdisk -q "$img" >/dev/null <<-EOF || { _wrd_err "sfdisk $img failed"; return 1; }
		label: dos
		label-id: $sig
		start=2048, size=40MiB, type=7, bootable
		size=+, type=7
	EOF
	_wrd_mbr_code "$img" || return 1
	wr_attach_to dev "$img" || return 1
	p1=$(_wrd_part "$dev" 1) && p2=$(_wrd_part "$dev" 2) &&
		_wrd_mkntfs "$p1" "System Reserved" &&
		_wrd_mkntfs "$p2" "Windows" &&
		_wrd_populate "$p1" "$img" _wrd_fill_sysres &&
		_wrd_populate "$p2" "$img" _wrd_fill_windows_oddcase
	local rc=$?
	wr_release "$dev"
	return $rc
}

# make_uefi_disk IMG [bcd]: with bcd, the disk and its ESP and C: carry the
# GUIDs the fixture BCD names (it boots); else GUIDs of sfdisk's choice
make_uefi_disk() {
	local img=$1 dev p1 p3 p4 bcd id= esp= win=
	if [ "${2:-}" = bcd ]; then
		id="label-id: $WR_BCD_DISK" esp=", uuid=$WR_BCD_ESP" win=", uuid=$WR_BCD_WINDOWS"
	fi
	_wrd_new "$img" 300M || return 1
	sfdisk -q "$img" >/dev/null <<-EOF || { _wrd_err "sfdisk $img failed"; return 1; }
		label: gpt
		$id
		start=2048, size=100MiB, type=$WR_GUID_ESP, name="EFI system partition"$esp
		size=16MiB, type=$WR_GUID_MSR, name="Microsoft reserved partition"
		size=150MiB, type=$WR_GUID_BASIC, name="Basic data partition"$win
		size=+, type=$WR_GUID_WINRE, attrs="RequiredPartition GUID:63"
	EOF
	wr_attach_to dev "$img" || return 1
	bcd="$(dirname "$img")/.bcd.$$"
	p1=$(_wrd_part "$dev" 1) && _wrd_part "$dev" 2 >/dev/null &&
		p3=$(_wrd_part "$dev" 3) && p4=$(_wrd_part "$dev" 4) &&
		_wrd_mkfat "$p1" SYSTEM &&
		_wrd_hive BCD >"$bcd" &&
		_wrd_mtools mmd -i "$p1" ::/EFI ::/EFI/Microsoft ::/EFI/Microsoft/Boot ::/EFI/Boot &&
		_wrd_mtools mcopy -i "$p1" "$bcd" ::/EFI/Microsoft/Boot/BCD &&
		printf 'MZ bootmgfw stand-in\n' >"$bcd" &&
		_wrd_mtools mcopy -i "$p1" "$bcd" ::/EFI/Microsoft/Boot/bootmgfw.efi &&
		_wrd_mtools mcopy -i "$p1" "$bcd" ::/EFI/Boot/bootx64.efi &&
		_wrd_mkntfs "$p3" "Windows" &&
		_wrd_mkntfs "$p4" "Windows RE tools" &&
		_wrd_populate "$p3" "$img" _wrd_fill_windows &&
		_wrd_populate "$p4" "$img" _wrd_fill_winre
	local rc=$?
	rm -f "$bcd"
	wr_release "$dev"
	[ $rc = 0 ] || _wrd_err "make_uefi_disk $img failed"
}

make_data_disk() {
	local img=$1 dev p1
	_wrd_new "$img" 64M || return 1
	sfdisk -q "$img" >/dev/null <<-EOF || { _wrd_err "sfdisk $img failed"; return 1; }
		label: gpt
		start=2048, size=32MiB, type=$WR_GUID_BASIC, name="Basic data partition"
	EOF
	wr_attach_to dev "$img" || return 1
	p1=$(_wrd_part "$dev" 1) &&
		_wrd_mkntfs "$p1" "Data" &&
		_wrd_populate "$p1" "$img" _wrd_fill_data
	local rc=$?
	wr_release "$dev"
	return $rc
}

make_collision_disk() {
	local img=$1 sig=${2:-$WR_BIOS_SIG_DEFAULT} dev p1
	_wrd_new "$img" 32M || return 1
	sfdisk -q "$img" >/dev/null <<-EOF || { _wrd_err "sfdisk $img failed"; return 1; }
		label: dos
		label-id: $sig
		start=2048, size=16MiB, type=7
	EOF
	wr_attach_to dev "$img" || return 1
	p1=$(_wrd_part "$dev" 1) &&
		_wrd_mkntfs "$p1" "Backup" &&
		_wrd_populate "$p1" "$img" _wrd_fill_backup
	local rc=$?
	wr_release "$dev"
	return $rc
}

# ---- NTFS state helpers -------------------------------------------------

# ntfs_le DEV OFFSET LEN: little-endian unsigned integer (LEN 1, 2, 4 or 8)
ntfs_le() {
	local v
	v=$(od -An -v -t "u$3" -j "$2" -N "$3" "$1" | tr -d ' \n')
	[ -n "$v" ] || { _wrd_err "cannot read $3 bytes at $2 of $1"; return 1; }
	echo "$v"
}

# _wrd_flip DEV OFFSET: replace the byte at OFFSET by its complement
_wrd_flip() {
	local dev=$1 off=$2 b
	b=$(ntfs_le "$dev" "$off" 1) || return 1
	printf "\\x$(printf %02x $((b ^ 0xff)))" |
		dd of="$dev" bs=1 seek="$off" count=1 conv=notrunc status=none || return 1
	sync
	[ -b "$dev" ] && blockdev --flushbufs "$dev" 2>/dev/null
	return 0
}

# ntfsfix sets the dirty flag (so that Windows runs chkdsk) but also empties
# the journal, and it refuses hibernated volumes: on a volume whose journal
# is not empty, or when ntfsfix refuses, the flag is set through libntfs-3g
# (ntfs-state DEV dirty set) instead, which changes nothing else.
ntfs_make_dirty() {
	local dev=$1
	if [ "$("$WR_NTFS_STATE" "$dev" logfile show 2>/dev/null)" = "empty -" ] &&
		ntfsfix "$dev" >/dev/null 2>&1; then
		:
	elif ! "$WR_NTFS_STATE" "$dev" dirty set; then
		_wrd_err "cannot set the dirty flag of $dev (ntfsfix refused; $WR_NTFS_STATE failed)"
		return 1
	fi
	# ntfsinfo refuses a volume scheduled for check unless forced
	ntfsinfo -f -m "$dev" 2>/dev/null | grep -q 'Volume Flags:.*DIRTY' ||
		_wrd_err "$dev is not dirty after ntfs_make_dirty"
}

_wrd_fill_hiberfil() {
	{ printf 'hibr'; head -c 65532 /dev/zero; } >"$1/hiberfil.sys"
}

ntfs_make_hibernated() {
	local dev=$1 mnt rc=0
	mnt=$(mktemp -d /tmp/winrescue-hib.XXXXXX) || return 1
	wr_cleanup_add "rmdir '$mnt'"
	if wr_mount_ntfs "$dev" "$mnt"; then
		_wrd_fill_hiberfil "$mnt" || rc=1
		wr_umount "$mnt" || rc=1
	else
		rc=1
	fi
	rmdir "$mnt" 2>/dev/null && wr_cleanup_forget "rmdir '$mnt'"
	[ $rc = 0 ] || _wrd_err "cannot write hiberfil.sys on $dev"
}

ntfs_set_logfile() {
	[ -x "$WR_NTFS_STATE" ] ||
		{ _wrd_err "$WR_NTFS_STATE missing: run 'make build/tests/ntfs-state'"; return 1; }
	"$WR_NTFS_STATE" "$1" logfile "$2"
}

ntfs_break_mftmirr() {
	local dev=$1 bps spc lcn rec attrs vofs off
	# boot sector: bytes per sector at 0x0b, sectors per cluster at 0x0d
	# (above 0x80: a power of two, 2^(256 - value)), mftmirr_lcn at 0x38
	bps=$(ntfs_le "$dev" 11 2) && spc=$(ntfs_le "$dev" 13 1) &&
		lcn=$(ntfs_le "$dev" 56 8) || return 1
	[ "$spc" -gt 128 ] && spc=$((1 << (256 - spc)))
	rec=$((lcn * bps * spc))
	[ "$(dd if="$dev" bs=1 skip="$rec" count=4 status=none)" = FILE ] ||
		{ _wrd_err "no FILE record at \$MFTMirr offset $rec of $dev"; return 1; }
	# first byte of the value of the first attribute ($STANDARD_INFORMATION:
	# the creation time), well inside the used part of record 0
	attrs=$(ntfs_le "$dev" $((rec + 0x14)) 2) &&
		vofs=$(ntfs_le "$dev" $((rec + attrs + 0x14)) 2) || return 1
	off=$((attrs + vofs))
	if [ $((off % 512)) -ge 510 ] || [ "$off" -ge "$(ntfs_le "$dev" $((rec + 0x18)) 4)" ]; then
		_wrd_err "unexpected \$MFTMirr record layout on $dev"
		return 1
	fi
	_wrd_flip "$dev" $((rec + off))
}

ntfs_break_backup_bootsector() {
	local dev=$1 bps nsec
	bps=$(ntfs_le "$dev" 11 2) && nsec=$(ntfs_le "$dev" 40 8) || return 1
	[ "$(dd if="$dev" bs=1 skip=$((nsec * bps + 3)) count=4 status=none)" = NTFS ] ||
		{ _wrd_err "no backup boot sector at sector $nsec of $dev"; return 1; }
	# the first byte of the volume serial number (offset 0x48)
	_wrd_flip "$dev" $((nsec * bps + 0x48))
}

# make_states_disk IMG: one small NTFS volume per entry of WR_STATES
make_states_disk() {
	local img=$1 dev n i st part spec=""
	n=${#WR_STATES[@]}
	for ((i = 0; i < n; i++)); do
		if [ $i = 0 ]; then
			spec+="start=2048, "
		fi
		spec+="size=8MiB, type=$WR_GUID_BASIC, name=\"${WR_STATES[$i]}\""$'\n'
	done
	_wrd_new "$img" $(((n * 8 + 2) * 1048576)) || return 1
	printf 'label: gpt\n%s' "$spec" | sfdisk -q "$img" >/dev/null ||
		{ _wrd_err "sfdisk $img failed"; return 1; }
	wr_attach_to dev "$img" || return 1
	local rc=0
	for ((i = 0; i < n && rc == 0; i++)); do
		st=${WR_STATES[$i]}
		part=$(_wrd_part "$dev" $((i + 1))) || { rc=1; break; }
		if [ "$st" = evil-label ]; then
			_wrd_mkntfs "$part" "placeholder" &&
				ntfslabel "$part" "$WR_EVIL_LABEL" >/dev/null 2>&1 || rc=1
		else
			_wrd_mkntfs "$part" "$st" || rc=1
		fi
		[ $rc = 0 ] || break
		case $st in
		dirty) ntfs_make_dirty "$part" ;;
		hibernated) ntfs_make_hibernated "$part" ;;
		fast-restart) ntfs_set_logfile "$part" fast-restart ;;
		unclean) ntfs_set_logfile "$part" unclean ;;
		clean-logfile) ntfs_set_logfile "$part" clean ;;
		mftmirr) ntfs_break_mftmirr "$part" ;;
		bootsector) ntfs_break_backup_bootsector "$part" ;;
		esac || rc=1
	done
	wr_release "$dev"
	[ $rc = 0 ] || _wrd_err "make_states_disk $img failed at ${st:-?}"
}
