#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The install check of `make check`, run from anywhere in the repository:
# `make install DESTDIR=<tmp> PREFIX=/usr` for the 6.1 kernel from a copy of
# the tree (the checkout stays clean), then
#   - the installed files, with modes and link targets, are exactly the
#     expected ones (the man pages are those of userspace/man);
#   - a program using <libchan.h> builds with the flags of the installed
#     libchan.pc, dynamically (NEEDED libchan.so.0; the library exports
#     exactly the symbols of libchan.map, all at LIBCHAN_0.1) and
#     statically with --static (libchan.a), and both run on the host: the
#     module is not loaded here, so chan_abi_version() gives -ENOENT;
#   - `make install` again keeps an edited /etc/modprobe.d/chan.conf, and
#     `make uninstall` removes everything else, leaving only directories.
# Prints "ok N - ..." / "not ok N - ..." lines and a 1..N plan; exits
# non-zero on any failure. Needs no root.
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$KCHAN_TOP"

# Run as a plain make, whatever make (`make check`) runs this.
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES
umask 022

kdir=$("$KCHAN_SCRIPTS/kernels.sh" kdir 6.1)
rel=$("$KCHAN_SCRIPTS/kernels.sh" release 6.1)

tmp=$(mktemp -d /tmp/kchan-install.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
src=$tmp/src
root=$tmp/root
mkdir -p "$src" "$root"

ntest=0
nfail=0

ok() {
	ntest=$((ntest + 1))
	echo "ok $ntest - $1"
}

not_ok() {
	ntest=$((ntest + 1))
	nfail=$((nfail + 1))
	echo "not ok $ntest - $1"
}

# check DESCRIPTION COMMAND...: one test, the command's output shown
# (indented) only when it fails.
check() {
	local what=$1 out
	shift
	if out=$("$@" 2>&1); then
		ok "$what"
	else
		not_ok "$what"
		printf '%s\n' "$out" | sed 's/^/#   /' | head -n 40
	fi
}

finish() {
	echo "1..$ntest"
	[ "$nfail" -eq 0 ] || { echo "# $nfail of $ntest failed"; exit 1; }
	exit 0
}

# The tree as it is, committed or not, without build outputs: what git
# knows plus the untracked files it does not ignore; a tree that is no git
# checkout (a release tarball) is copied but for its build directories.
copy_tree() {
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git ls-files -z -co --exclude-standard |
			while IFS= read -r -d '' f; do
				[ ! -e "$f" ] || printf '%s\0' "$f"
			done | tar --null -T - -cf - | tar -xf - -C "$src"
	else
		tar --exclude=./build --exclude=./userspace/build \
			--exclude='*.o' --exclude='*.ko' -cf - . | tar -xf - -C "$src"
	fi
}

# The installed files and links under $root, one a line: "f MODE PATH" or
# "l PATH -> TARGET"; anything else (a fifo, a device) shows up as such.
installed() {
	find "$root" -mindepth 1 ! -type d \
		\( -type f -printf 'f %m %P\n' -o -type l -printf 'l %P -> %l\n' \
		   -o -printf '%y %P\n' \) | LC_ALL=C sort
}

expected() {
	local m s
	{
		echo "f 644 etc/modprobe.d/chan.conf"
		echo "f 644 lib/modules/$rel/updates/chan.ko"
		echo "f 644 lib/udev/rules.d/60-chan.rules"
		echo "f 755 usr/bin/chanbench"
		echo "f 755 usr/bin/chanstat"
		echo "f 644 usr/include/libchan.h"
		echo "f 644 usr/include/linux/chan.h"
		echo "f 644 usr/lib/libchan.a"
		echo "l usr/lib/libchan.so -> libchan.so.0"
		echo "l usr/lib/libchan.so.0 -> libchan.so.0.1.0"
		echo "f 755 usr/lib/libchan.so.0.1.0"
		echo "f 644 usr/lib/pkgconfig/libchan.pc"
		echo "f 755 usr/sbin/chanctl"
		for s in 1 3 4 8; do
			for m in userspace/man/*."$s"; do
				[ ! -f "$m" ] || echo "f 644 usr/share/man/man$s/${m##*/}"
			done
		done
	} | LC_ALL=C sort
}

# The global symbols of libchan.map, sorted.
map_symbols() {
	sed -n '/global:/,/local:/p' userspace/lib/libchan.map |
		sed -e '/global:\|local:/d' -e 's/[[:space:]]*//g' -e 's/;.*//' \
		    -e '/^$/d' | LC_ALL=C sort
}

# The symbols the shared library defines and exports, as name@@version
# ("name" alone when unversioned), sorted; the version definition's own
# ABS symbol, which older binutils emit, left out.
exported_symbols() {
	readelf --dyn-syms -W "$1" |
		awk '$1 ~ /^[0-9]+:$/ && $7 != "UND" &&
		     ($5 == "GLOBAL" || $5 == "WEAK" || $5 == "GNU_UNIQUE") &&
		     !($7 == "ABS" && $8 ~ /^LIBCHAN_/) { print $8 }' |
		LC_ALL=C sort
}

copy_tree

log=$tmp/install.log
if make -C "$src" install DESTDIR="$root" KDIR="$kdir" PREFIX=/usr >"$log" 2>&1; then
	ok "make install DESTDIR=... PREFIX=/usr KDIR=<$rel>"
else
	not_ok "make install DESTDIR=... PREFIX=/usr KDIR=<$rel>"
	tail -n 30 "$log" | sed 's/^/#   /'
	finish
fi

check "installed files are exactly the expected ones" \
	diff -u <(expected) <(installed)

check "the module is chan.ko for $rel" \
	bash -c "modinfo -F vermagic '$root/lib/modules/$rel/updates/chan.ko' |
		 grep -q '^$rel '"

check "installed headers and rules are the tree's" \
	bash -c "cmp uapi/linux/chan.h '$root/usr/include/linux/chan.h' &&
		 cmp userspace/include/libchan.h '$root/usr/include/libchan.h' &&
		 cmp userspace/udev/60-chan.rules '$root/lib/udev/rules.d/60-chan.rules' &&
		 cmp userspace/modprobe.d/chan.conf '$root/etc/modprobe.d/chan.conf'"

check "modprobe.d example: nothing but comments and blank lines" \
	bash -c "! grep -vE '^[[:space:]]*(#|\$)' userspace/modprobe.d/chan.conf"

# pkg-config with the staging root as sysroot: the .pc says /usr, the flags
# point into $root. pkgconf drops -I/usr/include and -L/usr/lib as system
# directories before prefixing the sysroot: keep them.
export PKG_CONFIG_SYSROOT_DIR=$root PKG_CONFIG_PATH=$root/usr/lib/pkgconfig \
	PKG_CONFIG_LIBDIR=$root/usr/lib/pkgconfig \
	PKG_CONFIG_ALLOW_SYSTEM_CFLAGS=1 PKG_CONFIG_ALLOW_SYSTEM_LIBS=1

check "libchan.pc: prefix=/usr, version 0.1.0" \
	bash -c "grep -qx 'prefix=/usr' '$root/usr/lib/pkgconfig/libchan.pc' &&
		 [ \"\$(pkg-config --modversion libchan)\" = 0.1.0 ]"

cat >"$tmp/use.c" <<'EOF'
// SPDX-License-Identifier: GPL-2.0
/* Built against the installed libchan by scripts/check-install.sh. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libchan.h>

int main(void)
{
	struct chan_attr attr;
	int v;

	chan_attr_init(&attr);
	if (attr.capacity != 16 || attr.msg_size != 4096 ||
	    attr.index != CHAN_INDEX_ANY) {
		printf("chan_attr_init: capacity %u msg_size %u index %d\n",
		       attr.capacity, attr.msg_size, attr.index);
		return 1;
	}
	if (chan_breaker_mode_parse("auto") != CHAN_BREAKER_AUTO ||
	    !chan_breaker_state_name(CHAN_BREAKER_OPEN) ||
	    strcmp(chan_breaker_state_name(CHAN_BREAKER_OPEN), "open")) {
		printf("breaker names wrong\n");
		return 1;
	}
	if (!chan_now_ns()) {
		printf("chan_now_ns: 0\n");
		return 1;
	}
	v = chan_abi_version();
	printf("chan_abi_version: %d (%s)\n", v, v < 0 ? strerror(-v) : "ok");
	return 0;
}
EOF

# The host has no chan module: chan_abi_version() cannot open the control
# device. (On a host that has it loaded, the ABI version of the header.)
if [ -e /dev/chan-control ]; then
	want="chan_abi_version: $(sed -n 's/^#define CHAN_ABI_VERSION[[:space:]]*\([0-9]*\).*/\1/p' \
		uapi/linux/chan.h) (ok)"
else
	want="chan_abi_version: -2 (No such file or directory)"
fi

read -ra flags <<<"$(pkg-config --cflags --libs libchan)"
check "dynamic: builds with \`pkg-config --cflags --libs libchan\` (${flags[*]})" \
	gcc -std=gnu11 -Wall -Wextra -Werror -o "$tmp/use-dyn" "$tmp/use.c" "${flags[@]}"

check "dynamic: NEEDED libchan.so.0" \
	bash -c "readelf -d '$tmp/use-dyn' | grep -q 'NEEDED.*\[libchan\.so\.0\]'"

lib=$root/usr/lib/libchan.so.0.1.0
check "libchan.so.0.1.0: SONAME libchan.so.0" \
	bash -c "readelf -d '$lib' | grep -q 'SONAME.*\[libchan\.so\.0\]'"

check "libchan.map: one version node, LIBCHAN_0.1" \
	bash -c "[ \"\$(grep -oE '^[A-Z0-9_.]+[[:space:]]*\{' userspace/lib/libchan.map |
		       tr -d ' {')\" = LIBCHAN_0.1 ]"

check "libchan.so exports exactly libchan.map's symbols, all @@LIBCHAN_0.1" \
	diff -u <(map_symbols | sed 's/$/@@LIBCHAN_0.1/') <(exported_symbols "$lib")

check "dynamic: runs with LD_LIBRARY_PATH, prints \"$want\"" \
	bash -c "out=\$(LD_LIBRARY_PATH='$root/usr/lib' '$tmp/use-dyn') &&
		 echo \"\$out\" && [ \"\$out\" = '$want' ] &&
		 LD_LIBRARY_PATH='$root/usr/lib' ldd '$tmp/use-dyn' |
		 grep -q '=> $root/usr/lib/libchan.so.0 '"

read -ra flags <<<"$(pkg-config --static --cflags --libs libchan)"
check "static: builds with \`pkg-config --static --cflags --libs libchan\` (${flags[*]})" \
	gcc -std=gnu11 -Wall -Wextra -Werror -static -o "$tmp/use-static" \
		"$tmp/use.c" "${flags[@]}"

check "static: no dynamic section, no libchan.so" \
	bash -c "! readelf -d '$tmp/use-static' | grep -q NEEDED &&
		 ! readelf -l '$tmp/use-static' | grep -q INTERP"

check "static: runs, prints \"$want\"" \
	bash -c "out=\$('$tmp/use-static') && echo \"\$out\" && [ \"\$out\" = '$want' ]"

# An admin's edited modprobe.d file survives install and uninstall.
conf=$root/etc/modprobe.d/chan.conf
printf 'options chan nr_chans=8\n' >"$conf"
if make -C "$src" install DESTDIR="$root" KDIR="$kdir" PREFIX=/usr >"$log" 2>&1; then
	ok "make install again"
else
	not_ok "make install again"
	tail -n 30 "$log" | sed 's/^/#   /'
fi
check "make install keeps an edited etc/modprobe.d/chan.conf" \
	bash -c "[ \"\$(cat '$conf')\" = 'options chan nr_chans=8' ]"

if make -C "$src" uninstall DESTDIR="$root" KDIR="$kdir" PREFIX=/usr >"$log" 2>&1; then
	ok "make uninstall DESTDIR=... PREFIX=/usr"
else
	not_ok "make uninstall DESTDIR=... PREFIX=/usr"
	tail -n 30 "$log" | sed 's/^/#   /'
fi
check "make uninstall keeps the edited chan.conf, removes all else" \
	diff -u <(echo "f 644 etc/modprobe.d/chan.conf") <(installed)

# The shipped file back: uninstall removes it, and then nothing is left.
cp userspace/modprobe.d/chan.conf "$conf"
make -C "$src" uninstall DESTDIR="$root" KDIR="$kdir" PREFIX=/usr >"$log" 2>&1 || true
check "make uninstall removes an unchanged chan.conf: only directories left" \
	diff -u /dev/null <(installed)

finish
