# shellcheck shell=bash
# tests/vm/lib-vm.sh - boot the rescue VM and drive it over its serial line.
# Source tests/lib.sh, tests/lib-tui.sh, tests/integration/disks.sh and
# tests/vm/vm-disks.sh first; tests/vm/build.sh has made build/vm/.
#
#   vm_boot NAME SPEC...   boot QEMU (-nographic) in tmux window NAME, 80x24:
#                          ttyS0, the console a person uses, is the window's
#                          pty (what it sends from just after QEMU starts is
#                          kept in $VM_RUN/ttyS0.log; Ctrl-C reaches the guest);
#                          ttyS1 goes to $VM_RUN/ttyS1.log, the channel vm_sh
#                          reads results from. The root is /dev/vda; each SPEC
#                          NAME:SERIAL attaches build/vm/disks/NAME.img as the
#                          next virtio disk (vdb, vdc...) with that serial number,
#                          copy-on-write (snapshot=on: the image never changes).
#                          Waits for the shell prompt; fails with the serial
#                          log's last lines after $WR_VM_BOOT_TIMEOUT seconds.
#                          Sets VM_BOOT_MS. VM_APPEND: more kernel parameters.
#   vm_sh CMD              run CMD (sourced by the guest's shell, cwd kept)
#                          through the console; sets VM_RC and the files
#                          $VM_RUN/out and $VM_RUN/err
#   vm_wait_prompt [SECS]  wait until the cursor sits after the shell's prompt
#                          (alone on its line), up to SECS (10)
#   vm_expect_rc WHAT RC   check VM_RC (on failure the command's stderr is shown)
#   vm_line TEXT           type TEXT and Enter on the console, once the shell's
#                          prompt is there (else a failed check)
#   vm_poweroff            a clean power-off (guest: vm-poweroff); sets VM_QEMU_RC
#   vm_accel               kvm when KVM is usable here, else tcg
#   vm_bundle              BUNDLE := $WR_BUNDLE, else the newest bundle in the
#                          source tree (absolute); BUNDLE_DIR := its top directory;
#                          false when there is none
# The console is a tmux window: tui_keys, tui_screen, tui_wait, tui_settle
# (tests/lib-tui.sh) work on it. QEMU is killed at exit if it still runs.

VM_DIR=${WR_VM_DIR:-$WR_ROOT/build/vm}
WR_QEMU=${WR_QEMU:-qemu-system-x86_64}
WR_VM_BOOT_TIMEOUT=${WR_VM_BOOT_TIMEOUT:-180}
WR_VM_CMD_TIMEOUT=${WR_VM_CMD_TIMEOUT:-120}
VM_PROMPT='^rescue# ?$'
VM_SEQ=0
VM_LOST=0	# the shell's prompt was lost in this boot

# KVM is usable when the CPU has virtualisation (vmx/svm: a /dev/kvm without
# them fails at the first instruction it cannot emulate) and QEMU can start
# a KVM machine: it then waits (-S) until killed; without KVM it exits at once.
# vm_boot falls back to tcg when a KVM boot still fails.
vm_accel() {
	local rc=0
	if [ -n "${WR_VM_ACCEL:-}" ]; then
		echo "$WR_VM_ACCEL"
		return
	fi
	if [ -r /dev/kvm ] && [ -w /dev/kvm ] && grep -Eqw 'vmx|svm' /proc/cpuinfo; then
		timeout 3 "$WR_QEMU" -accel kvm -M q35 -nodefaults -display none -S \
			>/dev/null 2>&1 </dev/null || rc=$?
	fi
	if [ "$rc" = 124 ]; then echo kvm; else echo tcg; fi
}

vm_bundle() {
	BUNDLE=${WR_BUNDLE:-$(ls -t "$WR_ROOT"/winrescue-*-"$(uname -m)".tar.gz 2>/dev/null | head -n 1)}
	[ -n "$BUNDLE" ] && [ -f "$BUNDLE" ] || return 1
	BUNDLE=$(readlink -f "$BUNDLE")
	BUNDLE_DIR=$(basename "$BUNDLE" .tar.gz)
}

# _vm_log_tail N: the last N lines the console showed, escapes removed
_vm_log_tail() {
	sed -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/\x1b[()][0-9A-Za-z]//g' -e 's/\r//g' \
		"$VM_RUN/ttyS0.log" 2>/dev/null | grep -v '^[[:space:]]*$' | tail -n "$1" | sed 's/^/#   /'
}

# _vm_kill RUNDIR: stop that QEMU if it still runs (its pid file is only
# trusted while the process is a QEMU)
_vm_kill() {
	local pid
	pid=$(cat "$1/qemu.pid" 2>/dev/null) || return 0
	rm -f "$1/qemu.pid"
	tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$1" || return 0
	kill "$pid" 2>/dev/null || return 0
	sleep 1
	kill -9 "$pid" 2>/dev/null
	return 0
}

vm_boot() {
	local name=$1 spec disk serial i=0 args=()
	shift
	wr_tmpdir_to VM_RUN || return 1
	VM_NAME=$name
	VM_LOST=0
	VM_ACCEL=$(vm_accel)
	args=(-m "${WR_VM_MEM:-512}" -smp 1 -nographic -no-reboot -nic none
		-monitor none -chardev stdio,id=console,signal=off -serial chardev:console
		-serial "file:$VM_RUN/ttyS1.log"
		-pidfile "$VM_RUN/qemu.pid"
		-kernel "$VM_DIR/vmlinuz" -initrd "$VM_DIR/initrd.gz"
		-append "console=ttyS0,115200 panic=-1 quiet ${VM_APPEND:-}"
		-drive "file=$VM_DIR/root.img,if=none,id=d0,format=raw,snapshot=on"
		-device "virtio-blk-pci,drive=d0,serial=WR-RESCUE-ROOT")
	for spec in "$@"; do
		i=$((i + 1))
		disk=${spec%%:*}
		serial=${spec#*:}
		vmdisk_build "$disk" || { nok "$name: the disk $disk cannot be made"; return 1; }
		args+=(-drive "file=$VM_DIR/disks/$disk.img,if=none,id=d$i,format=raw,snapshot=on"
			-device "virtio-blk-pci,drive=d$i,serial=$serial")
	done
	wr_cleanup_add "_vm_kill '$VM_RUN'"
	_vm_start "${args[@]}" && return 0
	if [ "$VM_ACCEL" = kvm ] && grep -qi kvm "$VM_RUN/qemu.err" 2>/dev/null; then
		echo "# $name: KVM failed ($(grep -i -m1 kvm "$VM_RUN/qemu.err")); again with TCG"
		tui_stop "$name"
		VM_ACCEL=tcg
		_vm_start "${args[@]}" && return 0
	fi
	nok "$name: no shell prompt on the serial console ($VM_BOOT_FAILURE); its last lines:"
	_vm_log_tail 15
	_vm_kill "$VM_RUN"
	tui_stop "$name"
	return 1
}

# _vm_start QEMU-ARGS...: one boot attempt with $VM_ACCEL; sets VM_BOOT_MS,
# or VM_BOOT_FAILURE in words
_vm_start() {
	local i t0
	rm -f "$VM_RUN/qemu.rc" "$VM_RUN/qemu.pid"
	: >"$VM_RUN/ttyS1.log"
	: >"$VM_RUN/ttyS0.log"
	printf '%q ' "$WR_QEMU" -accel "$VM_ACCEL" "$@" >"$VM_RUN/qemu.cmd"
	t0=$EPOCHREALTIME
	TUI_RAW=$VM_RUN/ttyS0.log tui_window "$VM_NAME" 80x24 \
		"$(cat "$VM_RUN/qemu.cmd") 2>'$VM_RUN/qemu.err'; echo \$? >'$VM_RUN/qemu.rc'; exec sleep 600" ||
		{ VM_BOOT_FAILURE="tmux cannot start QEMU"; return 1; }
	for ((i = 0; i < WR_VM_BOOT_TIMEOUT * 10; i++)); do
		if tui_screen "$VM_NAME" | grep -Eq "$VM_PROMPT"; then
			VM_BOOT_MS=$(((${EPOCHREALTIME/./} - ${t0/./}) / 1000))
			echo "# $VM_NAME: shell prompt on ttyS0 after $VM_BOOT_MS ms ($VM_ACCEL)"
			return 0
		fi
		if [ -s "$VM_RUN/qemu.rc" ]; then
			VM_BOOT_FAILURE="QEMU stopped with exit $(cat "$VM_RUN/qemu.rc"): $(grep -v warning "$VM_RUN/qemu.err" | head -n 1)"
			return 1
		fi
		sleep 0.1
	done
	VM_BOOT_FAILURE="none within $WR_VM_BOOT_TIMEOUT s"
	return 1
}

# the cursor sits right after the shell's prompt (nothing else owns the console)
_vm_at_prompt() {
	local y
	y=$(_tmux display -p -t "$VM_NAME" '#{cursor_y}') || return 1
	tui_screen "$VM_NAME" | sed -n "$((y + 1))p" | grep -Eq "$VM_PROMPT"
}

# Typing is only done at the prompt: keys meant for the shell must never
# reach a program still running on the console (the TUI).
# vm_wait_prompt [SECS]: wait until the shell's prompt has the cursor again
vm_wait_prompt() {
	local i
	for ((i = 0; i < ${1:-10} * 10; i++)); do
		_vm_at_prompt && return 0
		sleep 0.1
	done
	return 1
}

# After one miss, the rest of the boot's commands fail at once.
vm_line() {
	if ((VM_LOST)) || ! vm_wait_prompt 10; then
		((VM_LOST)) ||
			nok "no shell prompt on the console for: $1 (screen: $(tui_screen "$VM_NAME" | grep . | tail -n 2 | tr '\n' '|'))"
		VM_LOST=1
		return 1
	fi
	tui_keys "$VM_NAME" -l "$1"
	tui_keys "$VM_NAME" Enter
}

vm_sh() {
	local n i
	VM_SEQ=$((VM_SEQ + 1))
	n=$VM_SEQ
	VM_RC=
	if ! vm_line "wr_x $n $(printf '%s' "$1" | base64 -w0)"; then
		VM_RC=noprompt
		: >"$VM_RUN/out"
		: >"$VM_RUN/err"
		return 1
	fi
	for ((i = 0; i < WR_VM_CMD_TIMEOUT * 20; i++)); do
		if grep -Eq "^@@end $n [0-9]+ @@$" "$VM_RUN/ttyS1.log"; then
			awk -v n="$n" '$0 == "@@begin " n { on = 1; next } $0 == "@@stderr " n { on = 0 } on' \
				"$VM_RUN/ttyS1.log" >"$VM_RUN/out"
			awk -v n="$n" '$0 == "@@stderr " n { on = 1; next } $1 == "@@end" && $2 == n { on = 0 } on' \
				"$VM_RUN/ttyS1.log" >"$VM_RUN/err"
			VM_RC=$(awk -v n="$n" '$1 == "@@end" && $2 == n && $4 == "@@" { print $3 }' "$VM_RUN/ttyS1.log")
			return 0
		fi
		sleep 0.05
	done
	nok "guest command did not finish within $WR_VM_CMD_TIMEOUT s: $1"
	_vm_log_tail 8
	VM_RC=timeout
	: >"$VM_RUN/out"
	: >"$VM_RUN/err"
	return 1
}

# vm_expect_rc WHAT RC: the last vm_sh exited RC; else say so with its stderr
vm_expect_rc() {
	if [ "$VM_RC" = "$2" ]; then
		ok "$1"
	else
		nok "$1: exit $VM_RC, expected $2; stderr: $(head -c 400 "$VM_RUN/err" | tr '\n' '|')"
	fi
}

vm_poweroff() {
	local i
	if ! vm_line "vm-poweroff"; then
		VM_QEMU_RC="no prompt to power off from"
		_vm_kill "$VM_RUN"
		tui_stop "$VM_NAME"
		return 0
	fi
	for ((i = 0; i < 600; i++)); do
		[ -s "$VM_RUN/qemu.rc" ] && break
		sleep 0.1
	done
	VM_QEMU_RC=$(cat "$VM_RUN/qemu.rc" 2>/dev/null || echo timeout)
	[ "$VM_QEMU_RC" = timeout ] && _vm_kill "$VM_RUN"
	tui_stop "$VM_NAME"
	return 0
}
