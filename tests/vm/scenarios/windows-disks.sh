# shellcheck shell=bash
# tests/vm/scenarios/windows-disks.sh - the provider's rescue mode as a
# person meets it: the rescue root on vda, a BIOS-era Windows disk (System
# Reserved, C: hibernated and dirty) on vdb, a UEFI Windows disk (ESP with
# the BCD, MSR, C:, WinRE) on vdc and a clone with vdb's MBR signature on vdd.
# The bundle is unpacked as its README says; then the inventory (against
# lsblk, blkid -p and what QEMU was told), the TUI on ttyS0 under vt220 and
# linux with no window size, mounts through the kernel's ntfs3 and vfat and
# through the bundle's ntfs-3g, and the refusals.

VM_DISKS=(windows-bios:WR-WIN-BIOS windows-uefi:WR-WIN-UEFI clone-bios:WR-CLONE-BIOS)

# _wd_json FILTER: jq -r on the last `list --json` ($VM_RUN/list.json)
_wd_json() {
	jq -r "$1" "$VM_RUN/list.json" 2>/dev/null
}

# _wd_select DEV: move the TUI's selection to the volume DEV (vdc3), from the top
_wd_select() {
	local i
	tui_keys "$VM_NAME" g
	for ((i = 0; i < 16; i++)); do
		tui_wait "$VM_NAME" "^> $1 " 1 && return 0
		tui_keys "$VM_NAME" j
	done
	return 1
}

_wd_bundle() {
	vm_sh "tar xzf $BUNDLE_DIR.tar.gz && cd $BUNDLE_DIR && ls"
	vm_expect_rc "bundle: 'tar xzf $BUNDLE_DIR.tar.gz && cd $BUNDLE_DIR' as its README says" 0
	expect_match "bundle: winrescue, ntfs-3g, lib, terminfo, man page, README" \
		'README.*lib.*ntfs-3g.*terminfo.*winrescue.*winrescue\.8' "$(tr '\n' ' ' <"$VM_RUN/out")"
	# the rescue system has glibc and nothing else of ours
	vm_sh 'ls /lib/x86_64-linux-gnu; ls -d /usr/share/terminfo /lib/terminfo /etc/terminfo /usr/lib 2>/dev/null'
	expect_eq "rescue root: glibc's libraries only (and libc6's gconv in /usr/lib), no terminfo" \
		"/usr/lib ld-linux-x86-64.so.2 libc.so.6 libdl.so.2 libm.so.6 libpthread.so.0 libresolv.so.2 librt.so.1" \
		"$(sort "$VM_RUN/out" | tr '\n' ' ' | sed 's/ $//')"
	# every library but glibc's comes from the bundle's lib/
	vm_sh 'for p in ./winrescue ./ntfs-3g; do LD_TRACE_LOADED_OBJECTS=1 $p; done'
	local foreign
	foreign=$(awk '$2 == "=>" { print $1, $3 }' "$VM_RUN/out" |
		grep -v -e "^[^ ]* /root/$BUNDLE_DIR/lib/" -e '^\(libc\.so\|libm\.so\|ld-linux-x86-64\.so\)[^ ]* /lib/x86_64-linux-gnu/' || true)
	expect_eq "bundle: every library resolved in its lib/ (or glibc's)" "" "$foreign"
	expect_match "bundle: libntfs-3g, libblkid, libfdisk, libmount, json-c, ncursesw from lib/" \
		"$(printf '%s.*' libblkid libfdisk libjson-c libmount libncursesw libntfs-3g)" \
		"$(grep "/root/$BUNDLE_DIR/lib/" "$VM_RUN/out" | sort -u | tr '\n' ' ')"
	vm_sh './winrescue --version && ./ntfs-3g --version'
	vm_expect_rc "bundle: winrescue and ntfs-3g run" 0
	local glibc
	glibc=$(tar xzf "$BUNDLE" -O "$BUNDLE_DIR/README" | sed -n 's/.*with glibc \([0-9][0-9.]*\) or newer.*/\1/p')
	expect_match "bundle: its README states the oldest glibc" '^[0-9]+\.[0-9]+$' "$glibc"
	expect_match "the project's README and man page state the same glibc" "glibc $glibc or newer.*glibc $glibc or" \
		"$(cat "$WR_ROOT/README.md" "$WR_ROOT/man/winrescue.8" | tr '\n' ' ')"
}

_wd_inventory() {
	local d p n
	vm_sh './winrescue list --json'
	cp "$VM_RUN/out" "$VM_RUN/list.json"
	vm_expect_rc "list --json: exit status" 0
	expect_eq "list --json: nothing on stderr" "" "$(cat "$VM_RUN/err")"
	expect_eq "list --json: the four virtio disks" "vda vdb vdc vdd" "$(_wd_json '[.disks[].name] | join(" ")')"
	expect_eq "vda: role rescue (the root is this whole disk)" "rescue" "$(_wd_json '.disks[] | select(.name == "vda") | .role')"
	expect_match "vda: why" '^/ \(/dev/vda\)' "$(_wd_json '.disks[] | select(.name == "vda") | .role_reason')"
	expect_eq "vdb, vdc: role system; vdd: data" "system system data" \
		"$(_wd_json '[.disks[] | select(.name != "vda") | .role] | join(" ")')"
	expect_eq "transport virtio on every disk" "virtio virtio virtio virtio" \
		"$(_wd_json '[.disks[].transport] | join(" ")')"
	expect_eq "serial numbers as QEMU was told" "WR-RESCUE-ROOT WR-WIN-BIOS WR-WIN-UEFI WR-CLONE-BIOS" \
		"$(_wd_json '[.disks[].serial] | join(" ")')"
	expect_eq "signature-collision: vdd against vdb" "error /dev/vdd" \
		"$(_wd_json '.findings[] | select(.code == "signature-collision") | "\(.severity) \(.device)"')"
	expect_match "signature-collision: names both disks and the signature" '/dev/vdb.*/dev/vdd.*1234abcd' \
		"$(_wd_json '.findings[] | select(.code == "signature-collision") | .message')"
	expect_eq "vdb2: hibernated and dirty" "true true" \
		"$(_wd_json '.disks[].partitions[] | select(.name == "vdb2") | "\(.ntfs.hibernated) \(.ntfs.dirty)"')"
	expect_eq "vdc: esp msr windows recovery" "esp msr windows recovery" \
		"$(_wd_json '[.disks[] | select(.name == "vdc") | .partitions[].role] | join(" ")')"

	# the same facts as lsblk -J -b (without udev it gives these) and blkid -p
	vm_sh '/opt/peer/bin/lsblk -J -b -o NAME,MAJ:MIN,SIZE,RO,RM,TYPE,MOUNTPOINTS'
	cp "$VM_RUN/out" "$VM_RUN/lsblk.json"
	vm_expect_rc "lsblk -J -b runs in the VM" 0
	for d in vda vdb vdc vdd; do
		expect_eq "$d: name, maj:min, size, ro, rm as lsblk" \
			"$(jq -r --arg d "$d" '.blockdevices[] | select(.name == $d) |
				"\(."maj:min") \(.size) \(.ro) \(.rm) \([.children[]?.name] | join(","))"' "$VM_RUN/lsblk.json")" \
			"$(_wd_json ".disks[] | select(.name == \"$d\") |
				\"\\(.majmin) \\(.size) \\(.ro) \\(.removable) \\([.partitions[].name] | join(\",\"))\"")"
		for p in $(jq -r --arg d "$d" '.blockdevices[] | select(.name == $d) | .children[]?.name' "$VM_RUN/lsblk.json"); do
			expect_eq "$p: maj:min and size as lsblk" \
				"$(jq -r --arg p "$p" '.blockdevices[].children[]? | select(.name == $p) | "\(."maj:min") \(.size)"' "$VM_RUN/lsblk.json")" \
				"$(_wd_json ".disks[].partitions[] | select(.name == \"$p\") | \"\\(.majmin) \\(.size)\"")"
		done
	done
	expect_eq "/: the mount point lsblk shows on vda" \
		"$(jq -r '.blockdevices[] | select(.name == "vda") | .mountpoints | join(",")' "$VM_RUN/lsblk.json")" \
		"$(_wd_json '.disks[] | select(.name == "vda") | .mountpoints | join(",")')"
	vm_sh 'for d in /dev/vd[b-d] /dev/vd[b-d][1-9]; do echo "== ${d#/dev/}"; /opt/peer/bin/blkid -p -o export $d; done'
	while read -r d; do
		local want got
		want=$(awk -v d="$d" '$0 == "== " d { on = 1; next } /^== / { on = 0 }
			on && /^(TYPE|LABEL|UUID|PTTYPE|PTUUID)=/' "$VM_RUN/out" | sed 's/\\\(.\)/\1/g' | sort | tr '\n' ' ')
		got=$(_wd_json ".disks[] | (., .partitions[]) | select(.name == \"$d\") |
			[(if .fstype then \"TYPE=\\(.fstype)\" else empty end),
			 (if .label then \"LABEL=\\(.label)\" else empty end),
			 (if .uuid then \"UUID=\\(.uuid)\" else empty end),
			 (if .pttype then \"PTTYPE=\\(.pttype)\" else empty end),
			 (if .ptuuid then \"PTUUID=\\(.ptuuid)\" else empty end)] | sort | map(. + \" \") | join(\"\")")
		expect_eq "$d: filesystem, label, uuid, table as blkid -p" "$want" "$got"
	done < <(sed -n 's/^== //p' "$VM_RUN/out")
	expect_eq "blkid -p found a table or filesystem on the 3 disks and 6 partitions (not the MSR)" 9 \
		"$(grep -cE '^(TYPE|PTTYPE)=' "$VM_RUN/out")"
	vm_sh 'for d in vda vdb vdc vdd; do cat /sys/block/$d/serial; echo; done'
	expect_eq "serials as sysfs has them" "$(grep . "$VM_RUN/out" | tr '\n' ' ' | sed 's/ $//')" \
		"$(_wd_json '[.disks[].serial] | join(" ")')"
}

# _wd_tui TERM: the TUI on the console, stty size 0 0, no LINES/COLUMNS
_wd_tui() {
	local term=$1 s
	vm_sh "export TERM=$term; /opt/peer/bin/stty size </dev/ttyS0; env | grep -E '^(LINES|COLUMNS)=' || true"
	expect_eq "$term: ttyS0 reports no window size (stty size), no LINES/COLUMNS" "0 0" "$(cat "$VM_RUN/out")"
	vm_line "clear; ./winrescue"
	if ! tui_wait "$VM_NAME" 'q:Quit' 30; then
		nok "$term: the TUI did not draw: $(tui_screen "$VM_NAME" | head -5 | tr '\n' '|')"
		tui_keys "$VM_NAME" q
		return 1
	fi
	tui_settle "$VM_NAME"
	s=$(tui_screen "$VM_NAME")
	expect_match "$term: 80x24: the title on line 1, to column 80" '^ winrescue .* q:quit$' "$(sed -n 1p <<<"$s")"
	expect_match "$term: 80x24: the keys on line 24" 'm:Mount .* q:Quit' "$(sed -n 24p <<<"$s")"
	expect_match "$term: vda marked [RESCUE]" 'vda rescue-root .*\[RESCUE\] /' "$s"
	expect_match "$term: Disk 1 (vdb) marked [SYSTEM]" 'Disk 1 .*\[SYSTEM\] +vdb' "$s"
	expect_match "$term: Disk 2 (vdc) marked [SYSTEM]" 'Disk 2 .*\[SYSTEM\] +vdc' "$s"
	expect_match "$term: the selection starts on the Windows volume of the system disk" '^> vdb2 Windows' "$s"
	tui_keys "$VM_NAME" G
	tui_wait "$VM_NAME" '^> vdd1 Backup' 5 && ok "$term: G goes to the last volume" ||
		nok "$term: G: $(tui_screen "$VM_NAME" | grep '^>')"
	tui_keys "$VM_NAME" k
	tui_wait "$VM_NAME" '^> vdc4 ' 5 && ok "$term: k goes up one" || nok "$term: k: $(tui_screen "$VM_NAME" | grep '^>')"
	tui_keys "$VM_NAME" '?'
	if tui_wait "$VM_NAME" 'Keys' 5; then ok "$term: ? shows the keys"; else nok "$term: no help page"; fi
	tui_keys "$VM_NAME" q
	tui_wait "$VM_NAME" 'q:Quit' 5 || nok "$term: q does not leave the help"
}

_wd_tui_online() {
	_wd_tui vt220 || return
	if ! _wd_select vdc3; then
		nok "vt220: cannot select vdc3: $(tui_screen "$VM_NAME" | grep '^>')"
		return
	fi
	ok "vt220: j walks to C: of the UEFI disk (vdc3)"
	tui_keys "$VM_NAME" m
	if tui_wait "$VM_NAME" '> 1  Read-only' 10; then
		ok "vt220: Online offers read-only first"
	else
		nok "vt220: Online: $(tui_screen "$VM_NAME" | sed -n 6,16p | tr '\n' '|')"
	fi
	tui_keys "$VM_NAME" Enter
	if tui_wait "$VM_NAME" 'Mounted /dev/vdc3 read-only at /mnt/winrescue/Windows-vdc3 \(ntfs3\)' 30; then
		ok "vt220: C: online read-only through the kernel's ntfs3"
	else
		nok "vt220: Online: $(tui_screen "$VM_NAME" | sed -n 8,16p | tr '\n' '|')"
	fi
	tui_keys "$VM_NAME" Enter
	tui_wait_not "$VM_NAME" 'Mounted /dev/vdc3 read-only' 5 || nok "vt220: the result dialog does not close"
	tui_wait "$VM_NAME" 'Mounted read-only at /mnt/winrescue/Windows-vdc3' 10 &&
		ok "vt220: the status line says read-only, where" ||
		nok "vt220: status line: $(tui_screen "$VM_NAME" | sed -n 23p)"
	# quit, leaving it mounted, and look from the shell
	tui_keys "$VM_NAME" q
	tui_wait "$VM_NAME" 'Still mounted by winrescue' 5 || nok "vt220: no question about the mount on quit"
	tui_keys "$VM_NAME" 2 Enter
	if vm_wait_prompt 10; then ok "vt220: q leaves the shell's prompt on a line of its own"; else nok "vt220: no clean prompt after q: $(tui_screen "$VM_NAME" | grep . | tail -n 1)"; fi
	vm_sh 'grep " /mnt/winrescue/Windows-vdc3 " /proc/self/mountinfo; /opt/peer/bin/stty -a </dev/ttyS0'
	expect_match "vt220: mountinfo: vdc3 read-only, ntfs3" '^[0-9]+ [0-9]+ [0-9:]+ / /mnt/winrescue/Windows-vdc3 ro,.* - ntfs3 /dev/vdc3 ro' \
		"$(head -n 1 "$VM_RUN/out")"
	expect_match "vt220: the terminal is sane again (icanon echo icrnl opost)" \
		'(^| )icrnl .*(^| )opost .*(^| )icanon .*(^| )echo ' "$(tr '\n' ' ' <"$VM_RUN/out")"
	vm_sh 'ls /mnt/winrescue/Windows-vdc3/Users/Public && cat /mnt/winrescue/Windows-vdc3/Users/Public/readme.txt'
	expect_eq "C: readable through ntfs3" "readme.txt hello from C:" "$(tr '\n' ' ' <"$VM_RUN/out" | sed 's/ $//')"

	# then Offline from the TUI under TERM=linux
	_wd_tui linux || return
	_wd_select vdc3 || { nok "linux: cannot select vdc3"; return; }
	tui_keys "$VM_NAME" u
	if tui_wait "$VM_NAME" 'Unmounted' 30; then ok "linux: C: offline (u)"; else nok "linux: Offline: $(tui_screen "$VM_NAME" | sed -n 8,16p | tr '\n' '|')"; fi
	tui_keys "$VM_NAME" Enter
	tui_wait_not "$VM_NAME" 'Unmounted' 5 || nok "linux: the result dialog does not close"
	# Ctrl-C quits too (a key in the TUI; QEMU passes it to the guest)
	tui_keys "$VM_NAME" C-c
	if vm_wait_prompt 10; then ok "linux: Ctrl-C leaves the shell's prompt on a line of its own"; else nok "linux: no clean prompt after Ctrl-C: $(tui_screen "$VM_NAME" | grep . | tail -n 1)"; fi
	vm_sh 'grep -c " /mnt/winrescue/" /proc/self/mountinfo; ls /mnt/winrescue'
	expect_eq "linux: nothing mounted any more, the mount point removed" "0" "$(tr '\n' ' ' <"$VM_RUN/out" | sed 's/ $//')"
}

_wd_mounts() {
	local m
	vm_sh './winrescue mount /dev/vdb2 --rw --yes'
	vm_expect_rc "mount --rw on the hibernated C: of vdb: refused" 32
	expect_match "mount --rw on the hibernated C: says why" 'hibernated' "$(cat "$VM_RUN/err")"
	vm_sh 'grep -c /dev/vdb2 /proc/self/mountinfo'
	expect_eq "mount --rw refused: nothing mounted" 0 "$(cat "$VM_RUN/out")"
	vm_sh './winrescue mount /dev/vdb2 --json'
	vm_expect_rc "mount of the hibernated C: read-only: done" 0
	expect_eq "read-only through ntfs3, the mode read back" "ntfs3 ro ntfs3" \
		"$(jq -r '.mounts[0] | "\(.driver) \(.mode) \(.fstype)"' "$VM_RUN/out")"
	vm_sh './winrescue mount /dev/vdc1 --json; grep " /mnt/winrescue/SYSTEM " /proc/self/mountinfo'
	vm_expect_rc "the ESP: mounted" 0
	expect_match "the ESP: read-only through vfat (mountinfo)" '/mnt/winrescue/SYSTEM ro,.* - vfat /dev/vdc1 ro' "$(tail -n 1 "$VM_RUN/out")"
	vm_sh 'ls /mnt/winrescue/SYSTEM/EFI/Microsoft/Boot/'
	expect_match "the ESP: the BCD is there" 'BCD' "$(cat "$VM_RUN/out")"
	vm_sh './winrescue mount /dev/vda'
	vm_expect_rc "mount of the rescue disk: refused" 32
	vm_sh './winrescue umount all'
	vm_expect_rc "umount all: done" 0
	vm_sh 'grep -c " /mnt/winrescue/" /proc/self/mountinfo'
	expect_eq "umount all: nothing left" 0 "$(cat "$VM_RUN/out")"

	# a rescue kernel without ntfs3: the bundle's ntfs-3g does the work
	vm_sh 'rmmod ntfs3 && ! grep -w ntfs3 /proc/filesystems'
	vm_expect_rc "ntfs3 unloaded" 0
	vm_sh './winrescue mount /dev/vdd1 --json; ls /mnt/winrescue/Backup/Backup'
	expect_eq "without ntfs3: mounted through the bundle's ntfs-3g, read-only" "0 ntfs-3g ro" \
		"$VM_RC $(jq -r '.mounts[0] | "\(.driver) \(.mode)"' "$VM_RUN/out" 2>/dev/null | head -n 1)"
	expect_match "without ntfs3: files readable" 'info\.txt' "$(cat "$VM_RUN/out")"
	vm_sh './winrescue mount /dev/vdb2 --rw --discard-hibernation --yes --json'
	expect_eq "--discard-hibernation through the bundle's ntfs-3g: read-write" "0 ntfs-3g rw" \
		"$VM_RC $(jq -r '.mounts[0] | "\(.driver) \(.mode)"' "$VM_RUN/out" 2>/dev/null | head -n 1)"
	vm_sh './winrescue umount all && modprobe ntfs3 && grep -cw ntfs3 /proc/filesystems'
	expect_eq "umount all; ntfs3 back" "0 1" "$VM_RC $(cat "$VM_RUN/out" | tail -n 1)"
	vm_sh './winrescue list --json'
	m=$(jq -r '.disks[].partitions[] | select(.name == "vdb2") | .ntfs.hibernated' "$VM_RUN/out")
	expect_eq "vdb2 is no longer hibernated (in the VM's copy-on-write layer only)" false "$m"
	vm_sh 'cat /var/log/winrescue/audit.jsonl | wc -l'
	[ "$(cat "$VM_RUN/out")" -ge 10 ] && ok "the audit log on the rescue root has the plans and results" ||
		nok "audit log lines: $(cat "$VM_RUN/out")"
}

# Ctrl-C on the console interrupts a command in the guest (not QEMU)
_wd_interrupt() {
	vm_line "sleep 60"
	sleep 1
	tui_keys "$VM_NAME" C-c
	if vm_wait_prompt 10; then ok "Ctrl-C on the console interrupts the guest's command"; else nok "Ctrl-C: no prompt"; fi
	vm_sh 'echo alive'
	expect_eq "the VM runs on after Ctrl-C" alive "$(cat "$VM_RUN/out")"
}

scenario() {
	_wd_bundle
	_wd_interrupt
	_wd_inventory
	_wd_tui_online
	_wd_mounts
}
