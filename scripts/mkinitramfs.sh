#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# mkinitramfs.sh OUT.cpio.gz STAGE_DIR
#
# Build the gzip'd newc initramfs the kchan VMs boot: static busybox with
# its applet links, scripts/vm-init.sh as /init, and everything under
# STAGE_DIR (chan.ko, chan_kunit.ko, tests/, demo, bench, ...) under
# /kchan/, and the built examples in /kchan/examples/. The /dev/console
# node the kernel opens before /init runs is written as a raw newc record,
# so no mknod (and no root) is needed.
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ $# -eq 2 ] || { echo "usage: ${0##*/} OUT.cpio.gz STAGE_DIR" >&2; exit 2; }
out=$1
stage=$2
busybox=${BUSYBOX:-/bin/busybox}

[ -d "$stage" ] || kchan_die "stage dir '$stage' does not exist"
[ -x "$busybox" ] || kchan_die "$busybox missing (apt-get install busybox-static)"
if command -v file >/dev/null &&
   ! file -L "$busybox" | grep -qE 'static(ally|-pie) linked'; then
	kchan_die "$busybox is not statically linked (install busybox-static)"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kchan-initramfs.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root

mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,root,etc,mnt,run,kchan}
chmod 1777 "$root/tmp"
cp "$busybox" "$root/bin/busybox"
"$busybox" --list-full | while read -r applet; do
	[ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
done
[ -e "$root/bin/sh" ] || ln -s /bin/busybox "$root/bin/sh"
install -m 0755 "$KCHAN_SCRIPTS/vm-init.sh" "$root/init"
echo "root:x:0:0:root:/root:/bin/sh" >"$root/etc/passwd"
echo "root:x:0:" >"$root/etc/group"
cp -a "$stage/." "$root/kchan/"
# The examples (userspace/build/examples/) under /kchan/examples/, for the
# test that runs them, unless the stage brings its own.
if [ ! -e "$root/kchan/examples" ] && [ -d "$KCHAN_TOP/userspace/build/examples" ]; then
	mkdir -p "$root/kchan/examples"
	for t in "$KCHAN_TOP"/userspace/build/examples/*; do
		[ -f "$t" ] && [ -x "$t" ] || continue
		cp "$t" "$root/kchan/examples/"
	done
fi

# One newc record: name, mode (octal), rdev major, rdev minor.
newc_record() {
	local name=$1 mode=$2 major=$3 minor=$4
	local namesize=$(( ${#name} + 1 ))
	local pad=$(( (4 - (110 + namesize) % 4) % 4 ))
	printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
		0 $((8#$mode)) 0 0 1 0 0 0 0 "$major" "$minor" "$namesize" 0
	printf '%s\0' "$name"
	[ "$pad" -eq 0 ] || head -c "$pad" /dev/zero
}

{
	(cd "$root" && find . -mindepth 1 | LC_ALL=C sort |
		cpio --quiet -o -H newc -R 0:0)
	newc_record dev/console 020600 5 1
	newc_record 'TRAILER!!!' 0 0 0
} | gzip -6 >"$tmp/initramfs.cpio.gz"

mkdir -p "$(dirname "$out")"
mv "$tmp/initramfs.cpio.gz" "$out"
