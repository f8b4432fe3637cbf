#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# run-vm.sh --kernel IMAGE --initrd CPIO --out DIR [--mode check|shell|demo|bench]
#           [--debug] [--timeout SEC] [--mem MB] [--append 'ARGS']
#           [--show-console]
#
# Boot one kchan test VM under QEMU (TCG: KVM guests hang on this host).
# The console goes to DIR/console.log (also to stdout with --show-console;
# in shell mode only to the terminal, interactive); the second serial port,
# the result channel written by vm-init.sh, goes to DIR/result.txt, and
# DIR/elapsed gets the run time.
# --debug adds the boot options that turn any warning, oops or soft lockup
# into a panic, which ends the VM at once; --append adds kernel command-line
# arguments (e.g. kchan.timeout=SEC, the per-test limit, default 300).
# Default --timeout: 1500 s for check, 900 for demo and bench, none for
# shell. Exits 0 only when the VM reported "kchan-vm-done" (shell: always).
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
	sed -n 's/^# \{0,1\}//; 4,6p' "${BASH_SOURCE[0]}" >&2
	exit 2
}

kernel='' initrd='' out='' mode=check debug=0 timeout='' mem=2048 append=''
show_console=0
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) kernel=${2:?}; shift 2 ;;
	--initrd) initrd=${2:?}; shift 2 ;;
	--out) out=${2:?}; shift 2 ;;
	--mode) mode=${2:?}; shift 2 ;;
	--debug) debug=1; shift ;;
	--timeout) timeout=${2:?}; shift 2 ;;
	--mem) mem=${2:?}; shift 2 ;;
	--append) append=${2:?}; shift 2 ;;
	--show-console) show_console=1; shift ;;
	-h|--help) usage ;;
	*) echo "${0##*/}: unknown argument '$1'" >&2; usage ;;
	esac
done
[ -n "$kernel" ] && [ -n "$initrd" ] && [ -n "$out" ] || usage
[ -r "$kernel" ] || kchan_die "kernel image '$kernel' not readable"
[ -r "$initrd" ] || kchan_die "initramfs '$initrd' not readable"
case $mode in
check|shell|demo|bench) ;;
*) kchan_die "unknown mode '$mode'" ;;
esac
case $mode in
check) timeout=${timeout:-1500} ;;
shell) timeout=${timeout:-0} ;;
*) timeout=${timeout:-900} ;;
esac
[[ $timeout =~ ^[0-9]+$ ]] || kchan_die "bad --timeout '$timeout'"
[[ $mem =~ ^[0-9]+$ ]] || kchan_die "bad --mem '$mem'"
command -v qemu-system-x86_64 >/dev/null ||
	kchan_die "qemu-system-x86_64 missing (run scripts/deps.sh)"

mkdir -p "$out"
result=$out/result.txt
console=$out/console.log
rm -f "$result" "$console" "$out/timed-out" "$out/elapsed" "$out/counts"
: >"$result"

# loglevel=5: the console shows warnings and worse, not KUnit's chatter.
# TCG is slow: keep RCU stall and hung-task reports for real hangs.
cmdline="console=ttyS0 panic=-1 kchan.mode=$mode loglevel=5"
cmdline+=" rcupdate.rcu_cpu_stall_timeout=60"
cmdline+=" sysctl.kernel.hung_task_timeout_secs=240"
if [ "$debug" -eq 1 ]; then
	cmdline+=" panic_on_warn=1 oops=panic softlockup_panic=1 kmemleak=on"
fi
[ -z "$append" ] || cmdline+=" $append"

# -display none rather than -nographic: the same with every port given
# explicitly, minus SeaBIOS's serial console and its screen-clearing codes.
qemu=(qemu-system-x86_64 -accel tcg,thread=multi -cpu max -smp 2 -m "$mem"
      -nodefaults -display none -no-reboot
      -kernel "$kernel" -initrd "$initrd" -append "$cmdline")
if [ "$mode" = shell ]; then
	qemu+=(-serial mon:stdio -serial "file:$result")
elif [ "$show_console" -eq 1 ]; then
	qemu+=(-monitor none -chardev "stdio,id=console,logfile=$console"
	       -serial chardev:console -serial "file:$result")
else
	qemu+=(-monitor none -serial "file:$console" -serial "file:$result")
fi

run=("${qemu[@]}")
if [ "$timeout" -gt 0 ]; then
	run=(timeout --foreground -k 10 "$timeout" "${qemu[@]}")
fi
start=$SECONDS
rc=0
if [ "$mode" = shell ]; then
	"${run[@]}" || rc=$?
else
	"${run[@]}" </dev/null || rc=$?
fi
elapsed=$((SECONDS - start))
echo "$elapsed" >"$out/elapsed"

if grep -q '^kchan-vm-done' "$result"; then
	exit 0
fi
if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
	echo "${0##*/}: VM timed out after $timeout s (no kchan-vm-done); see $console" >&2
	echo "timeout $timeout" >"$out/timed-out"
elif [ "$mode" = shell ]; then
	exit 0
else
	echo "${0##*/}: VM ended after $elapsed s without kchan-vm-done (qemu exit $rc); see $console" >&2
fi
exit 1
