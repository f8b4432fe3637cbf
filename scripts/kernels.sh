#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Name the kernels kchan is built and tested against:
#   kernels.sh kdir  6.1|6.12|debug   build dir for `make -C <dir> M=...`
#   kernels.sh image 6.1|6.12|debug   bootable kernel image
#   kernels.sh release 6.1|6.12       kernel release string (uname -r)
#   kernels.sh src                    unpacked linux-source-6.1 tree
# 6.1 and 6.12 are the newest installed Debian kernels of each series; debug
# is built (once, cached) by build-debug-kernel.sh.
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
	echo "usage: ${0##*/} kdir|image 6.1|6.12|debug, ${0##*/} release 6.1|6.12, ${0##*/} src" >&2
	exit 2
}

[ $# -ge 1 ] || usage
what=$1
flavour=${2:-}

case $what in
src)
	kchan_src_dir
	exit 0
	;;
kdir|image|release) ;;
*) usage ;;
esac

case $flavour in
6.1|6.12)
	rel=$(kchan_stock_release "$flavour")
	case $what in
	kdir) echo "/lib/modules/$rel/build" ;;
	image) echo "/boot/vmlinuz-$rel" ;;
	release) echo "$rel" ;;
	esac
	;;
debug)
	dir=$("$KCHAN_SCRIPTS/build-debug-kernel.sh")
	case $what in
	kdir) echo "$dir" ;;
	image) echo "$dir/arch/x86/boot/bzImage" ;;
	release) cat "$dir/include/config/kernel.release" ;;
	esac
	;;
*) usage ;;
esac
