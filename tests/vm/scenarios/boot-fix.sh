# shellcheck shell=bash
# tests/vm/scenarios/boot-fix.sh - the failure the rescue article ends
# with, inside the rescue VM: a UEFI Windows disk (vdb) whose BCD store
# (on the ESP) names the disk GUID it had before Windows gave it a new one,
# and a BIOS Windows disk (vdc) whose store (System Reserved's \Boot\BCD, the
# device elements as Windows writes them for MBR disks) names the signature
# it had. The bundle's winrescue (its own mcopy reads the ESP: the rescue
# root has no mtools) diagnoses both (exit 4, bcd-device-mismatch naming
# each), the TUI's Boot diagnosis shows it on the serial console, fix-boot
# puts the GUID and the signature back (diagnose exit 0), and undo brings
# the mismatch back.

VM_DISKS=(windows-uefi-moved:WR-WIN-MOVED windows-bios-sig:WR-WIN-BIOS)

scenario() {
	local w="cd /root/$BUNDLE_DIR && ./winrescue" undo
	vm_sh "tar xzf $BUNDLE_DIR.tar.gz && cd $BUNDLE_DIR && ls mcopy && command -v mcopy || true"
	expect_eq "boot: the bundle's mcopy, none on the rescue root" "mcopy" "$(tr -d '\r' <"$VM_RUN/out")"
	vm_sh "$w diagnose --json"
	cp "$VM_RUN/out" "$VM_RUN/diag.json"
	vm_expect_rc "boot: diagnose finds what stops the boot (exit 4)" 4
	expect_eq "boot: the store is the ESP's, read through the bundle's mcopy" '/dev/vdb1 \EFI\Microsoft\Boot\BCD null' \
		"$(jq -r '.windows[0] | "\(.store.device) \(.store.file) \(.store.error)"' "$VM_RUN/diag.json")"
	expect_eq "boot: bcd-device-mismatch on each, fixable" "/dev/vdb1 true /dev/vdc1 true" \
		"$(jq -r '[.findings[] | select(.code == "bcd-device-mismatch") | "\(.device) \(.fixable)"] | sort | join(" ")' "$VM_RUN/diag.json")"
	expect_eq "boot: the repairs name vdb and the BCD's GUID, vdc and the signature" \
		"/dev/vdb 0b2394a9-095e-487d-8d48-719ecd4d78ca /dev/vdc 5cbea03e" \
		"$(jq -r '[.repairs[] | "\(.disk) \(.to)"] | sort | join(" ")' "$VM_RUN/diag.json")"
	expect_match "boot: the MBR store's words name the signature and the offset, no GUID" \
		"names MBR disk 5cbea03e, which is not this disk .*partition at 1\.0 MiB" \
		"$(jq -r '.findings[] | select(.code == "bcd-device-mismatch" and .device == "/dev/vdc1") | .message' "$VM_RUN/diag.json")"
	expect_eq "boot: nothing on stderr" "" "$(cat "$VM_RUN/err")"

	vm_sh "export TERM=vt220"
	vm_line "clear; $w"
	if tui_wait "$VM_NAME" 'q:Quit' 60; then
		tui_keys "$VM_NAME" b
		if tui_wait "$VM_NAME" 'bcd-device-mismatch' 30; then
			ok "boot: the TUI's Boot diagnosis on the serial console"
		else
			nok "boot: no Boot diagnosis: $(tui_screen "$VM_NAME" | grep . | head -n 6 | tr '\n' '|')"
		fi
		tui_keys "$VM_NAME" q
		tui_wait "$VM_NAME" 'q:Quit' 10
		tui_keys "$VM_NAME" q
	else
		nok "boot: the TUI did not start: $(tui_screen "$VM_NAME" | grep . | tail -n 3 | tr '\n' '|')"
	fi

	vm_sh "$w fix-boot /dev/vdb --yes --json"
	vm_expect_rc "boot: fix-boot puts the GUID back (exit 0)" 0
	expect_eq "boot: fix-boot says fixed" fixed "$(jq -r '.code' "$VM_RUN/out")"
	undo=$(jq -r '.undo_file' "$VM_RUN/out")
	vm_sh "$w fix-boot /dev/vdc --yes --json"
	vm_expect_rc "boot: fix-boot puts the MBR signature back (exit 0)" 0
	vm_sh "$w list --json /dev/vdc"
	expect_eq "boot: the kernel's table of vdc has the signature back (libfdisk via list)" "dos 5cbea03e" \
		"$(jq -r '.disks[0] | "\(.pttype) \(.ptuuid)"' "$VM_RUN/out")"
	vm_sh "$w diagnose"
	vm_expect_rc "boot: after fix-boot, nothing stops the boot (exit 0)" 0
	vm_sh "$w undo '$undo' --yes"
	vm_expect_rc "boot: undo (exit 0)" 0
	vm_sh "$w diagnose"
	vm_expect_rc "boot: after undo, the mismatch again (exit 4)" 4
}
