#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The body of `make demo`: install what is missing, build chan.ko for the
# stock Debian 6.1 kernel, the demo program, the examples and the tools
# (chanstat shows the channels), boot a throwaway QEMU VM with the module loaded, and
# show the demo's walk through the main job (userspace/examples/demo.c) as
# it runs.
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

flavour=${1:-6.1}
work=$KCHAN_TOP/build/demo
log=$KCHAN_TOP/build/logs/demo-build.log

"$KCHAN_SCRIPTS/deps.sh"
echo "demo: building chan.ko for $flavour, the demo program, the examples and the tools"
kchan_build_module "$flavour" "$KCHAN_TOP/build/k-$flavour" "$log" ||
	kchan_die "module build failed, see $log"
make -C "$KCHAN_TOP/userspace" -s examples tools >>"$log" 2>&1 ||
	kchan_die "demo build failed, see $log"

mkdir -p "$work"
kchan_stage "$KCHAN_TOP/build/k-$flavour" "$work/stage"
rm -rf "$work/stage/tests" "$work/stage/chan_kunit.ko"
cp "$KCHAN_TOP/userspace/build/examples/demo" "$work/stage/demo"
"$KCHAN_SCRIPTS/mkinitramfs.sh" "$work/initramfs.cpio.gz" "$work/stage"

# A console log left by an earlier run must not be the one followed.
rm -rf "$work/vm"
echo "demo: booting $("$KCHAN_SCRIPTS/kernels.sh" release "$flavour") in QEMU (TCG, about 10 s)"
"$KCHAN_SCRIPTS/run-vm.sh" --kernel "$("$KCHAN_SCRIPTS/kernels.sh" image "$flavour")" \
	--initrd "$work/initramfs.cpio.gz" --out "$work/vm" --mode demo &
vm=$!
# Follow the console, leaving out the kernel's own messages.
while [ ! -f "$work/vm/console.log" ] && kill -0 "$vm" 2>/dev/null; do
	sleep 0.2
done
tail -n +1 -f --pid="$vm" "$work/vm/console.log" 2>/dev/null |
	tr -d '\r' | grep --line-buffered -E '^(kchan|==>|    |$)' || true
rc=0
wait "$vm" || rc=$?
if ! grep -q '^kchan-suite-end demo exit=0' "$work/vm/result.txt"; then
	echo "demo: the demo failed; console log in $work/vm/console.log" >&2
	exit 1
fi
[ "$rc" -eq 0 ] || exit "$rc"
echo "demo: done (console log in $work/vm/console.log)"
