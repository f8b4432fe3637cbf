# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Shared helpers for the kchan harness scripts, sourced, never run: error
# reporting, the cache directory, the unpacked linux-source-6.1 tree, kernel
# discovery and building chan.ko and the initramfs stage for one kernel
# flavour (6.1, 6.12 or debug).

KCHAN_SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KCHAN_TOP=$(cd "$KCHAN_SCRIPTS/.." && pwd)
KCHAN_CACHE=${KCHAN_CACHE:-/var/cache/kchan}

kchan_die() {
	echo "${0##*/}: error: $*" >&2
	exit 1
}

kchan_src_pkg_version() {
	dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null ||
		kchan_die "package linux-source-6.1 is not installed (run scripts/deps.sh)"
}

# Print the unpacked linux-source-6.1 tree, unpacking the Debian tarball into
# the cache first when it is missing or from another package version.
kchan_src_dir() {
	local src=$KCHAN_CACHE/linux-source-6.1
	local tarball=/usr/src/linux-source-6.1.tar.xz
	local ver stamp tmp

	ver=$(kchan_src_pkg_version)
	stamp=$src/.kchan-version
	if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$ver" ]; then
		echo "$src"
		return 0
	fi
	mkdir -p "$KCHAN_CACHE"
	(
		flock 8
		if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$ver" ]; then
			exit 0
		fi
		# A complete tree unpacked by hand from this package is adopted.
		if [ ! -f "$stamp" ] && [ -f "$src/Makefile" ] &&
		   [ -x "$src/scripts/checkpatch.pl" ] &&
		   [ -f "$src/scripts/kconfig/merge_config.sh" ]; then
			echo "$ver" >"$stamp"
			exit 0
		fi
		[ -f "$tarball" ] ||
			kchan_die "$tarball missing (run scripts/deps.sh)"
		echo "unpacking $tarball into $KCHAN_CACHE" >&2
		tmp=$(mktemp -d "$KCHAN_CACHE/.unpack.XXXXXX")
		tar -xJf "$tarball" -C "$tmp" ||
			{ rm -rf "$tmp"; kchan_die "unpacking $tarball failed"; }
		[ -d "$tmp/linux-source-6.1" ] ||
			{ rm -rf "$tmp"; kchan_die "$tarball has no linux-source-6.1/"; }
		echo "$ver" >"$tmp/linux-source-6.1/.kchan-version"
		if [ -e "$src" ]; then
			mv "$src" "$tmp/old"
		fi
		mv "$tmp/linux-source-6.1" "$src"
		rm -rf "$tmp"
	) 8>"$KCHAN_CACHE/.source.lock" || exit 1
	echo "$src"
}

# Print the newest installed Debian kernel release of one series (6.1 or
# 6.12) that has both a header tree and an image. "6.1." and "6.12." are
# matched exactly so that 6.1 never picks up 6.12.
kchan_stock_release() {
	local series=$1 d rel best=

	case $series in
	6.1|6.12) ;;
	*) kchan_die "unknown stock kernel series '$series'" ;;
	esac
	for d in /lib/modules/"$series".*/build; do
		[ -d "$d" ] || continue
		rel=${d%/build}
		rel=${rel##*/}
		[[ $rel == "$series".* ]] || continue
		[ -f "/boot/vmlinuz-$rel" ] || continue
		best+="$rel"$'\n'
	done
	best=$(printf '%s' "$best" | sort -V | tail -n 1)
	[ -n "$best" ] ||
		kchan_die "no $series kernel with headers and /boot image (run scripts/deps.sh)"
	echo "$best"
}

# The kernel build dir of a flavour (6.1, 6.12 or debug).
kchan_kdir() {
	"$KCHAN_SCRIPTS/kernels.sh" kdir "$1"
}

# kchan_build_module FLAVOUR DIR LOG [MAKE ARGS...]
# Copy the kernel-side sources (Kbuild, Makefile, module/, kunit/, uapi/)
# fresh into DIR, without build products, and build them there against the
# flavour's kernel. Output goes to LOG; returns make's status.
kchan_build_module() {
	local flavour=$1 dir=$2 log=$3 kdir item
	local items=()
	shift 3

	for item in Kbuild Makefile module kunit uapi; do
		[ ! -e "$KCHAN_TOP/$item" ] || items+=("$item")
	done
	mkdir -p "$(dirname "$log")"
	rm -rf "$dir"
	mkdir -p "$dir"
	tar -C "$KCHAN_TOP" --exclude='*.o' --exclude='*.ko' --exclude='*.mod' \
		--exclude='*.mod.c' --exclude='.*.cmd' --exclude='*.symvers' \
		--exclude='*.order' --exclude='*.a' --exclude='*.dwo' \
		--exclude='.tmp_versions' --exclude='.cache.mk' \
		-cf - "${items[@]}" | tar -C "$dir" -xf -
	if ! kdir=$(kchan_kdir "$flavour" 2>>"$log"); then
		echo "no kernel build dir for $flavour" >>"$log"
		return 1
	fi
	echo "make -C $kdir M=$dir $* modules" >>"$log"
	make -C "$kdir" M="$dir" "$@" modules >>"$log" 2>&1
}

# Compiler or modpost warnings and errors in a kbuild log; the 6.1 headers'
# "Skipping BTF generation" notice is not one.
kchan_build_complaints() {
	grep -iE '(^|[[:space:]:])(warning|error)[: ]' "$1" |
		grep -v 'Skipping BTF generation' || true
}

# kchan_stage MODULE_DIR STAGE_DIR
# Fill an initramfs stage dir: chan.ko (and chan_kunit.ko when built) from
# MODULE_DIR, the static test programs of userspace/build/tests/ in tests/,
# the tools of userspace/build/tools/ in tools/.
kchan_stage() {
	local moddir=$1 stage=$2 t

	rm -rf "$stage"
	mkdir -p "$stage/tests" "$stage/tools"
	for t in "$KCHAN_TOP"/userspace/build/tools/*; do
		[ -f "$t" ] && [ -x "$t" ] || continue
		cp "$t" "$stage/tools/"
	done
	[ -f "$moddir/module/chan.ko" ] || return 1
	cp "$moddir/module/chan.ko" "$stage/"
	if [ -f "$moddir/kunit/chan_kunit.ko" ]; then
		cp "$moddir/kunit/chan_kunit.ko" "$stage/"
	fi
	for t in "$KCHAN_TOP"/userspace/build/tests/*; do
		[ -f "$t" ] && [ -x "$t" ] || continue
		cp "$t" "$stage/tests/"
	done
}
