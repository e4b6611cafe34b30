#!/usr/bin/env bash
# tests/vm/vm-check.sh [SCENARIO...] - `make vm-check` (and part of `make
# check`): winrescue where it is used. A real Linux kernel (Debian's 6.12,
# with ntfs3 and vfat) boots in QEMU with the rescue system's root on
# /dev/vda and Windows disks beside it; winrescue comes only from the bundle
# (`make bundle`), unpacked inside the VM; the test types on the VM's serial
# console, a pty in tmux, as a person would.
#
# Each file in tests/vm/scenarios/ is one boot: it sets VM_DISKS (recipes
# from tests/vm/vm-disks.sh with their serial numbers) and defines
# scenario(), which runs its checks with vm_sh, vm_line and the tui_*
# helpers; the VM is then powered off cleanly. SCENARIO names pick some.
#
# Environment: WR_BUNDLE (the tarball; default the newest in the source
# tree), WR_QEMU (default qemu-system-x86_64), WR_VM_ACCEL (kvm|tcg; default
# kvm when usable), WR_VM_BOOT_TIMEOUT (seconds, default 180), WR_VM_MEM
# (MiB, default 512), WR_VM_DIR (default build/vm), WR_VM_KERNEL (the
# kernel's meta package, default linux-image-6.12-amd64).
# Exit 77 (skipped) outside CI when QEMU, a tool or a Debian package cannot
# be had, saying which; in CI (CI=true) that is a failure.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib.sh"
. "$HERE/../lib-tui.sh"
. "$HERE/../integration/disks.sh"
. "$HERE/vm-disks.sh"
. "$HERE/lib-vm.sh"

wr_require_root_loop_fuse
wr_require_tools "$WR_QEMU" tmux jq base64 mkntfs ntfs-3g sfdisk mkfs.vfat mcopy \
	mkfs.ext4 cpio dpkg-deb
wr_require_fixtures
[ -x "$WR_NTFS_STATE" ] || wr_bail "$WR_NTFS_STATE missing: run 'make build/tests/ntfs-state'"
[ -x "$WR_HIVE_EDIT" ] || wr_bail "$WR_HIVE_EDIT missing: run 'make build/tests/hive-edit'"

T0=$EPOCHREALTIME
vm_bundle || wr_bail "no bundle: run 'make bundle' first"

rc=0
"$HERE/build.sh" "$BUNDLE" || rc=$?
if [ "$rc" = 77 ]; then
	[ "${CI:-}" = true ] && wr_bail "the rescue VM cannot be built (above), and CI=true forbids skipping"
	wr_skip "the rescue VM cannot be built (above)"
elif [ "$rc" != 0 ]; then
	wr_bail "tests/vm/build.sh failed (exit $rc)"
fi
ok "the rescue VM is built in ${VM_DIR#"$WR_ROOT"/} (kernel $(cat "$VM_DIR/kver"))"

if [ $# -gt 0 ]; then
	scenarios=()
	for s in "$@"; do scenarios+=("$HERE/scenarios/${s%.sh}.sh"); done
else
	scenarios=("$HERE"/scenarios/*.sh)
fi
for file in "${scenarios[@]}"; do
	name=$(basename "$file" .sh)
	[ -f "$file" ] || { nok "no scenario $name"; continue; }
	VM_DISKS=()
	unset -f scenario
	# shellcheck source=/dev/null
	. "$file"
	echo "== scenario $name: ${VM_DISKS[*]}"
	if vm_boot "$name" "${VM_DISKS[@]}"; then
		ok "$name: the VM reached its shell prompt on ttyS0 ($VM_ACCEL, $VM_BOOT_MS ms)"
		scenario
		vm_poweroff
		expect_eq "$name: clean power-off (QEMU's exit status)" 0 "$VM_QEMU_RC"
		if grep -q 'reboot: Power down' "$VM_RUN/ttyS0.log"; then
			ok "$name: the kernel powered down"
		else
			nok "$name: no 'reboot: Power down' on the console:"
			_vm_log_tail 6
		fi
	fi
done

# The suite's own bad input. A VM that never shows the rescue shell's
# prompt (here the initramfs' bare shell: rdinit=/bin/sh) fails within the
# time limit with the console's last lines and leaves no QEMU behind.
echo "== the suite's own failure paths"
t0=$EPOCHREALTIME
out=$(
	WR_CLEANUP=()
	WR_VM_BOOT_TIMEOUT=5 VM_APPEND="rdinit=/bin/sh"
	vm_boot no-prompt
	echo "vm_boot exit $?"
	wr_run_cleanup
)
took=$(((${EPOCHREALTIME/./} - ${t0/./}) / 1000000))
expect_match "a VM without the prompt: fails" 'vm_boot exit 1' "$out"
expect_match "a VM without the prompt: says why" 'no shell prompt on the serial console \(none within 5 s\)' "$out"
[ "$took" -le 20 ] && ok "a VM without the prompt: given up after ${took} s (limit 5 s)" ||
	nok "a VM without the prompt: took ${took} s with a 5 s limit"
expect_match "a VM without the prompt: shows the console's last lines" '^#   [^ ]' "$out"
# a kernel package apt does not know: exit 77 (skipped outside CI), saying which
wr_tmpdir_to empty_vm_dir
out=$(WR_VM_OFFLINE=1 WR_VM_DIR=$empty_vm_dir WR_VM_KERNEL=linux-image-winrescue-none \
	"$HERE/build.sh" "$BUNDLE" 2>&1; echo "exit $?")
expect_match "no kernel package: exit 77" 'exit 77$' "$out"
expect_match "no kernel package: says which" 'linux-image-winrescue-none is not known to apt' "$out"
# no QEMU: skipped outside CI, a failure in CI
out=$(CI= WR_QEMU=qemu-system-none bash "$0" 2>&1; echo "exit $?")
expect_match "no QEMU outside CI: skipped (77), saying which" 'qemu-system-none missing.*exit 77 *$' "$(tr '\n' ' ' <<<"$out")"
out=$(CI=true WR_QEMU=qemu-system-none bash "$0" 2>&1; echo "exit $?")
expect_match "no QEMU in CI: a failure" 'FAIL: qemu-system-none missing.*exit 1 *$' "$(tr '\n' ' ' <<<"$out")"

# the host: no QEMU of ours, loop device or mount left
sleep 0.5
left=$(pgrep -af -- "-kernel $VM_DIR/vmlinuz" || true)
expect_eq "no QEMU process left" "" "$left"
expect_eq "no loop device left on the VM's disks" "" "$(losetup -a | grep -F "$VM_DIR/" || true)"
expect_eq "no mount left from the VM's disks" "" "$(grep -F "$VM_DIR/" /proc/mounts || true)"

echo "# rescue VM suite: $(((${EPOCHREALTIME/./} - ${T0/./}) / 1000)) ms wall time (${VM_ACCEL:-?})"
wr_finish
