#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build, once, the debug kernel the kchan tests run on: Debian's
# linux-source-6.1, `make tinyconfig` plus scripts/config/debug.config,
# built out of tree under ${KCHAN_CACHE:-/var/cache/kchan}/debug-<hash>, the
# hash covering the fragment and the source package version. Prints the
# build directory (bzImage at arch/x86/boot/bzImage; out-of-tree modules
# build with `make -C <dir> M=...`). A finished build is reused at once;
# concurrent callers wait for the one build. Progress goes to stderr and
# the full log to <dir>/build.log.
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

fragment=$KCHAN_SCRIPTS/config/debug.config
[ -f "$fragment" ] || kchan_die "$fragment missing"

# Bump when the build recipe below changes in a way that matters.
recipe=1
ver=$(kchan_src_pkg_version)
hash=$( { echo "recipe $recipe"; echo "linux-source-6.1 $ver"; cat "$fragment"; } |
	sha256sum | cut -c1-16)
dir=$KCHAN_CACHE/debug-$hash

if [ -f "$dir/.done" ]; then
	echo "$dir"
	exit 0
fi

mkdir -p "$KCHAN_CACHE"
exec 9>"$KCHAN_CACHE/.debug-kernel.lock"
if ! flock -n 9; then
	echo "waiting for another debug kernel build to finish" >&2
	flock 9
fi
if [ -f "$dir/.done" ]; then
	echo "$dir"
	exit 0
fi

src=$(kchan_src_dir)
mkdir -p "$dir"
log=$dir/build.log
: >"$log"
start=$SECONDS

step() {
	echo "debug kernel: $1" >&2
	shift
	if ! "$@" >>"$log" 2>&1; then
		echo "debug kernel: FAILED: $*" >&2
		tail -n 40 "$log" >&2
		kchan_die "debug kernel build failed, full log: $log"
	fi
}

# Every CONFIG_X=val line of the fragment must be in the final .config, and
# no "# CONFIG_X is not set" option may end up enabled: merge_config.sh and
# olddefconfig drop what a dependency forbids without a word.
verify_config() {
	local line sym bad=
	while IFS= read -r line; do
		case $line in
		CONFIG_*=*)
			grep -qxF -- "$line" "$dir/.config" ||
				bad+="  want $line, got: $(grep -E "^(# )?${line%%=*}[= ]" "$dir/.config" || echo 'absent')"$'\n'
			;;
		"# CONFIG_"*" is not set")
			sym=${line#\# }
			sym=${sym%% *}
			if grep -qE "^$sym=[ym]" "$dir/.config"; then
				bad+="  want $sym off, got: $(grep -E "^$sym=" "$dir/.config")"$'\n'
			fi
			;;
		esac
	done <"$fragment"
	if [ -n "$bad" ]; then
		echo "debug kernel: options of $fragment not in the final .config:" >&2
		printf '%s' "$bad" >&2
		kchan_die "fix the fragment (a dependency is missing or forbids them)"
	fi
}

rm -f "$dir/.done"
step "tinyconfig" make -C "$src" O="$dir" tinyconfig
step "merge $fragment" \
	bash -c 'cd "$1" && scripts/kconfig/merge_config.sh -m -O "$2" "$2/.config" "$3"' \
	_ "$src" "$dir" "$fragment"
step "olddefconfig" make -C "$src" O="$dir" olddefconfig
verify_config
step "build bzImage and modules (a few minutes)" \
	make -C "$src" O="$dir" -j"$(nproc)" bzImage modules
step "modules_prepare" make -C "$src" O="$dir" modules_prepare
[ -f "$dir/arch/x86/boot/bzImage" ] || kchan_die "no bzImage in $dir"
cp "$fragment" "$dir/debug.config.used"
echo "$ver" >"$dir/.source-version"
touch "$dir/.done"
echo "debug kernel: built in $((SECONDS - start)) s: $dir" >&2
echo "$dir"
