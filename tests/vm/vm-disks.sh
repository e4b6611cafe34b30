# shellcheck shell=bash
# tests/vm/vm-disks.sh - the disks a scenario attaches beside the rescue
# root, made once into build/vm/disks/NAME.img by the project's disk builders
# (tests/integration/disks.sh) and reused while their inputs are unchanged.
# Source tests/lib.sh and tests/integration/disks.sh first.
#
# A recipe is a function vmdisk_NAME IMG; a scenario names it in VM_DISKS as
# NAME:SERIAL (see tests/vm/lib-vm.sh). To add one, add a function here.

# a BIOS-era Windows disk: System Reserved + C:, C: dirty and hibernated
vmdisk_windows-bios() {
	local dev
	make_bios_disk "$1" 0x1234abcd || return 1
	wr_attach_to dev "$1" || return 1
	# dirty first: ntfsfix refuses a hibernated volume
	ntfs_make_dirty "$(_wrd_part "$dev" 2)" >/dev/null &&
		ntfs_make_hibernated "$(_wrd_part "$dev" 2)" >/dev/null
	local rc=$?
	wr_release "$dev"
	return $rc
}

# the same disk as it leaves make_bios_disk, both volumes healthy (the disk
# bench/tui-bytes measures on)
vmdisk_bios-plain() {
	make_bios_disk "$1" 0x1234abcd
}

# a UEFI Windows disk: FAT32 ESP with EFI/Microsoft/Boot/BCD, MSR, C:, WinRE
vmdisk_windows-uefi() {
	make_uefi_disk "$1"
}

# a clone of the BIOS disk's data volume with the same MBR signature
# the UEFI Windows disk as its BCD names it, after Windows gave it a new GUID
vmdisk_windows-uefi-moved() {
	make_uefi_disk "$1" bcd &&
		sfdisk -q --disk-id "$1" 11111111-2222-3333-4444-555555555555 >/dev/null
}

# a BIOS Windows disk whose BCD (the real MBR layout, tests/integration/disks.sh
# WR_BCD_MBR_REAL) names signature 5cbea03e, after Windows gave it deadbeef
vmdisk_windows-bios-sig() {
	make_bios_disk "$1" 0x5cbea03e bcd &&
		sfdisk -q --disk-id "$1" 0xdeadbeef >/dev/null
}

vmdisk_clone-bios() {
	make_collision_disk "$1" 0x1234abcd
}

# 9 GiB (sparse) GPT disk: one 8 GiB NTFS partition whose boot sector says
# clusters per MFT record = -30 (1 GiB records): libblkid reads 2 GiB for it
vmdisk_crafted-ntfs() {
	local dev
	truncate -s 9G "$1" || return 1
	printf 'label: gpt\nstart=2048, size=8GiB, type=%s\n' "$WR_GUID_BASIC" | sfdisk -q "$1" ||
		return 1
	wr_attach_to dev "$1" || return 1
	mkntfs -F -q -f -Q "$(_wrd_part "$dev" 1)" >/dev/null 2>&1 &&
		printf '\xe2' | dd of="$(_wrd_part "$dev" 1)" bs=1 seek=64 conv=notrunc status=none
	local rc=$?
	wr_release "$dev"
	return $rc
}

# vmdisk_build NAME: build/vm/disks/NAME.img, made unless its stamp matches
vmdisk_build() {
	local name=$1 dir=$VM_DIR/disks stamp
	declare -F "vmdisk_$name" >/dev/null || { echo "vm-disks: no recipe vmdisk_$name" >&2; return 1; }
	mkdir -p "$dir"
	stamp=$( {
		echo "$name"
		declare -f "vmdisk_$name"
		cat "$WR_ROOT/tests/integration/disks.sh" "$WR_ROOT/tests/tools/ntfs-state.c" \
			"$WR_ROOT/tests/tools/hive-edit.c" "$WINRESCUE_FIXTURES/hives/hivex-minimal"
		cat "$WINRESCUE_FIXTURES/hives/SYSTEM.xz" "$WINRESCUE_FIXTURES/hives/BCD.xz"
		mkntfs --version 2>&1 | head -n 1
	} | sha256sum | cut -c1-64)
	if [ -f "$dir/$name.img" ] && [ "$(cat "$dir/$name.stamp" 2>/dev/null)" = "$stamp" ]; then
		return 0
	fi
	echo "# making the disk $name"
	rm -f "$dir/$name.stamp"
	"vmdisk_$name" "$dir/$name.img" || { rm -f "$dir/$name.img"; return 1; }
	echo "$stamp" >"$dir/$name.stamp"
}
