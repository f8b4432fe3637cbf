#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# shell.sh [6.1|6.12|debug]   (make shell FLAVOUR=...)
#
# Build chan.ko for one kernel (default 6.1) and the user-space tests, then
# boot a VM with the module loaded and an interactive shell on this
# terminal. The tests are in /kchan/tests. 'exit' powers the VM off;
# Ctrl-A X kills QEMU.
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$KCHAN_TOP"

flavour=${1:-6.1}
case $flavour in
6.1|6.12|debug) ;;
*) echo "usage: ${0##*/} [6.1|6.12|debug]" >&2; exit 2 ;;
esac

build=$KCHAN_TOP/build
logs=$build/logs
dir=$build/shell-$flavour
mkdir -p "$logs" "$dir"

"$KCHAN_SCRIPTS/deps.sh"
image=$("$KCHAN_SCRIPTS/kernels.sh" image "$flavour")
echo "building chan.ko for $flavour" >&2
kchan_build_module "$flavour" "$dir/k" "$logs/shell-build-$flavour.log" ||
	{ tail -n 20 "$logs/shell-build-$flavour.log" >&2
	  kchan_die "module build failed, log: $logs/shell-build-$flavour.log"; }
if [ -f userspace/Makefile ]; then
	echo "building the user-space tests" >&2
	make -C userspace >"$logs/shell-userspace.log" 2>&1 ||
		echo "warning: user-space build failed, see $logs/shell-userspace.log" >&2
fi
kchan_stage "$dir/k" "$dir/stage" || kchan_die "no chan.ko built"
"$KCHAN_SCRIPTS/mkinitramfs.sh" "$dir/initramfs.cpio.gz" "$dir/stage"

args=(--mode shell)
[ "$flavour" != debug ] || args+=(--debug)
exec "$KCHAN_SCRIPTS/run-vm.sh" --kernel "$image" \
	--initrd "$dir/initramfs.cpio.gz" --out "$dir/vm" "${args[@]}"
