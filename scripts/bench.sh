#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The body of `make bench`: install what is missing, build chan.ko for the
# stock Debian 6.1 kernel (never the debug kernel: its sanitizers would be
# measured) and chanbench, boot one QEMU VM (TCG, -cpu max -smp 2) that
# runs chanbench against pipes, POSIX mq, AF_UNIX SEQPACKET and eventfd,
# and turn its report into bench/results.md. Prints the goals at the end.
# Progress lines of chanbench are shown as it runs (a full run takes about
# 5-10 minutes on a 2-core machine, depending on what else it runs).
#
# Environment:
#   KCHAN_BENCH_MODULE=PATH  benchmark this chan.ko (built for the stock 6.1
#                            kernel) instead of building the tree's
#   KCHAN_BENCH_ARGS='...'   chanbench options, e.g. '--quick' or
#                            '--scenario pingpong,stream --runs 9'
#   KCHAN_BENCH_OUT=PATH     the markdown report (default bench/results.md)
#   KCHAN_BENCH_TIMEOUT=SEC  limit of the VM run (default 1800)
#   KCHAN_BENCH_APPEND='...' kernel command-line arguments of the VM
#                            (default: clocksource=tsc tsc=reliable, so that
#                            clock_gettime stays in the vDSO; under TCG the
#                            kernel otherwise falls back to the HPET, whose
#                            every read is an emulated MMIO access)
# Also written: build/bench/results.json (chanbench's JSON report) and
# build/bench/vm/{console.log,result.txt}.
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

flavour=6.1
work=$KCHAN_TOP/build/bench
log=$KCHAN_TOP/build/logs/bench-build.log
out=${KCHAN_BENCH_OUT:-$KCHAN_TOP/bench/results.md}
args=${KCHAN_BENCH_ARGS:-}
timeout=${KCHAN_BENCH_TIMEOUT:-1800}
append=${KCHAN_BENCH_APPEND-clocksource=tsc tsc=reliable}
mem=2048
qemu_args="-accel tcg,thread=multi -cpu max -smp 2 -m $mem"

# The arguments end up in a shell script inside the VM: plain words only.
[[ $args =~ ^[A-Za-z0-9=,._[:space:]-]*$ ]] ||
	kchan_die "KCHAN_BENCH_ARGS may hold only letters, digits and = , . _ -"
[[ $timeout =~ ^[0-9]+$ ]] || kchan_die "bad KCHAN_BENCH_TIMEOUT '$timeout'"

"$KCHAN_SCRIPTS/deps.sh"
mkdir -p "$work" "$(dirname "$log")"
: >"$log"
release=$("$KCHAN_SCRIPTS/kernels.sh" release "$flavour")
image=$("$KCHAN_SCRIPTS/kernels.sh" image "$flavour")

if [ -n "${KCHAN_BENCH_MODULE:-}" ]; then
	module=$(readlink -f "$KCHAN_BENCH_MODULE" || true)
	[ -f "$module" ] ||
		kchan_die "KCHAN_BENCH_MODULE '$KCHAN_BENCH_MODULE' is not a file"
	modsrc="prebuilt \`$KCHAN_BENCH_MODULE\`"
	if rev=$(git -C "$(dirname "$module")" describe --always --dirty 2>/dev/null); then
		modsrc+=" (git $rev)"
	fi
else
	echo "bench: building chan.ko for $release"
	# A build dir of its own: make check may be using build/k-6.1.
	kchan_build_module "$flavour" "$work/k-$flavour" "$log" ||
		kchan_die "module build failed, see $log"
	module=$work/k-$flavour/module/chan.ko
	modsrc="built from this tree (git $(git -C "$KCHAN_TOP" describe --always --dirty 2>/dev/null || echo unknown))"
fi
modsrc+=", sha256 $(sha256sum "$module" | cut -c 1-16)"
vermagic=$(modinfo -F vermagic "$module" 2>/dev/null | awk '{ print $1 }')
[ "$vermagic" = "$release" ] ||
	kchan_die "$module is built for '${vermagic:-?}', the VM boots $release"

echo "bench: building chanbench"
make -C "$KCHAN_TOP/userspace" -s tools >>"$log" 2>&1 ||
	kchan_die "chanbench build failed, see $log"

stage=$work/stage
rm -rf "$stage"
mkdir -p "$stage"
cp "$module" "$stage/chan.ko"
cp "$KCHAN_TOP/userspace/build/tools/chanbench" "$stage/chanbench"
# $args is unquoted on purpose: one word per option.
printf '#!/bin/sh\nexec /kchan/chanbench --json %s\n' "$args" >"$stage/bench"
chmod 0755 "$stage/bench"
"$KCHAN_SCRIPTS/mkinitramfs.sh" "$work/initramfs.cpio.gz" "$stage"

load_start=$(cut -d ' ' -f 1-3 /proc/loadavg)
date=$(date -u '+%Y-%m-%d %H:%M UTC')
echo "bench: booting $release in QEMU ($qemu_args), chanbench ${args:-with default options}"
rm -rf "$work/vm"
"$KCHAN_SCRIPTS/run-vm.sh" --kernel "$image" --initrd "$work/initramfs.cpio.gz" \
	--out "$work/vm" --mode bench --timeout "$timeout" --mem "$mem" \
	${append:+--append "$append"} &
vm=$!
# Follow chanbench's progress on the console.
while [ ! -f "$work/vm/console.log" ] && kill -0 "$vm" 2>/dev/null; do
	sleep 0.2
done
tail -n +1 -f --pid="$vm" "$work/vm/console.log" 2>/dev/null |
	sed -un 's/\r$//; /^chanbench/p' || true
rc=0
wait "$vm" || rc=$?
vm_seconds=$(cat "$work/vm/elapsed" 2>/dev/null || echo '?')
echo "bench: the VM ran for $vm_seconds s"

report_rc=0
python3 "$KCHAN_SCRIPTS/bench-report.py" --result "$work/vm/result.txt" \
	--markdown "$out" --json-out "$work/results.json" \
	--qemu "$(qemu-system-x86_64 --version | head -n 1)" \
	--qemu-args "$qemu_args" --module "$modsrc" \
	--vm-seconds "$vm_seconds" --args="$args" --date "$date" \
	--load-start "$load_start" --load-end "$(cut -d ' ' -f 1-3 /proc/loadavg)" ||
	report_rc=$?
if [ -f "$out" ] && [ "$out" -nt "$work/initramfs.cpio.gz" ]; then
	echo "bench: report in ${out#"$KCHAN_TOP"/}, JSON in ${work#"$KCHAN_TOP"/}/results.json"
fi
if [ "$rc" -ne 0 ]; then
	echo "bench: the VM run failed; console log in $work/vm/console.log" >&2
	exit "$rc"
fi
exit "$report_rc"
