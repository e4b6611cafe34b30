# shellcheck shell=bash
# tests/vm/scenarios/probe-limits.sh - a pathological disk on the rescue VM
# as the provider sizes it (512 MiB, one vCPU): beside a BIOS-era Windows
# disk, a disk whose 8 GiB NTFS partition says its MFT records are 1 GiB
# (clusters per MFT record = -30), so libblkid's NTFS prober reads two of
# them (blkid -p needs 2.1 GiB: on this VM the kernel would kill it). The
# bundle's winrescue lists both disks: one probe process (one CPU) under the
# default memory limit, the crafted partition says why, the Windows disk is
# complete, and nothing was killed for lack of memory.

VM_DISKS=(crafted-ntfs:WR-CRAFTED windows-bios:WR-WIN-BIOS)

scenario() {
	vm_sh "tar xzf $BUNDLE_DIR.tar.gz && cd $BUNDLE_DIR && ./winrescue list --json"
	cp "$VM_RUN/out" "$VM_RUN/list.json"
	vm_expect_rc "probe limits: list --json completes on 512 MiB" 0
	expect_eq "probe limits: nothing on stderr" "" "$(cat "$VM_RUN/err")"
	expect_match "probe limits: the crafted partition says the memory limit stopped it" \
		'^cannot read the partition: probing stopped: it needed more than [0-9]+ MiB of memory' \
		"$(jq -r '.disks[] | select(.name == "vdb") | .partitions[0].error' "$VM_RUN/list.json")"
	expect_eq "probe limits: the Windows disk beside it complete (system, C: NTFS)" "system ntfs" \
		"$(jq -r '.disks[] | select(.name == "vdc") | "\(.role) \(.partitions[1].fstype)"' "$VM_RUN/list.json")"
	vm_sh 'dmesg | grep -ci "out of memory"'
	expect_eq "probe limits: the kernel killed nothing for memory" 0 "$(tr -d '\r\n ' <"$VM_RUN/out")"
	vm_sh 'grep MemTotal /proc/meminfo'
	echo "# probe limits: guest $(tr -s ' ' <"$VM_RUN/out")"
}
