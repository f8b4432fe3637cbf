#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Install, idempotently, the Debian packages kchan needs to build and test:
# both stock kernels (6.1 and the newest 6.12 with headers and an unsigned
# image), the 6.1 source (debug kernel, checkpatch), QEMU, busybox and the
# toolchain pieces. Quick when everything is already there.
set -euo pipefail

base_pkgs=(linux-headers-amd64 linux-image-amd64 linux-source-6.1
	   qemu-system-x86 busybox-static cpio sparse bc bison flex
	   libelf-dev libssl-dev liburing-dev kmod xz-utils python3 gcc make
	   groff-base pkg-config)

missing() {
	local p
	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -q '^install ok installed$' || echo "$p"
	done
}

# The newest 6.12 Debian kernel that has both headers and an unsigned image,
# e.g. "6.12.117+deb12".
newest_612() {
	apt-cache pkgnames linux-image-6.12. 2>/dev/null |
		sed -n 's/^linux-image-\(6\.12\.[0-9]*+deb12\)-amd64-unsigned$/\1/p' |
		while read -r v; do
			apt-cache show "linux-headers-$v-amd64" >/dev/null 2>&1 && echo "$v"
		done | sort -V | tail -n 1
}

have_612() {
	ls -d /lib/modules/6.12.*+deb12-amd64/build >/dev/null 2>&1 &&
		ls /boot/vmlinuz-6.12.*+deb12-amd64 >/dev/null 2>&1
}

need=$(missing "${base_pkgs[@]}")
if [ -z "$need" ] && have_612; then
	exit 0
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
pkgs=($need)
if ! have_612; then
	v=$(newest_612)
	if [ -z "$v" ]; then
		echo "deps: no linux-image-6.12.*+deb12-amd64-unsigned in the archive" >&2
		exit 1
	fi
	pkgs+=("linux-headers-$v-amd64" "linux-image-$v-amd64-unsigned")
fi
echo "deps: installing ${pkgs[*]}"
apt-get install -y -q --no-install-recommends "${pkgs[@]}" >/dev/null
