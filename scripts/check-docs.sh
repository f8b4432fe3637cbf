#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The documentation check of `make check`, run from anywhere (it works from
# the repository top): every man page under userspace/man/ formats without
# a groff warning, every libchan symbol has a page, chan(4) names every
# ioctl of <linux/chan.h>, every module parameter and every sysfs file of
# uapi/ABI/sysfs-class-chan, and no file of the tree points outside it.
# Prints one line per problem and exits non-zero when there is any.
set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top" || exit 1

man=userspace/man
chan4=$man/chan.4
map=userspace/lib/libchan.map
header=uapi/linux/chan.h
abi=uapi/ABI/sysfs-class-chan
problems=0

problem() {
	echo "check-docs: $*"
	problems=$((problems + 1))
}

# True when the page's source names $2 as a whole word.
page_mentions() {
	grep -q -E -- "(^|[^A-Za-z0-9_])$2([^A-Za-z0-9_]|\$)" "$1"
}

command -v groff >/dev/null || { echo "check-docs: groff is missing (groff-base)"; exit 1; }
[ -d "$man" ] || { echo "check-docs: no $man/"; exit 1; }

# 1. Every page formats without warnings. Alias pages (".so man3/x.3")
# name their target as installed: a man3 link to the flat source directory
# lets groff resolve them here.
inc=$(mktemp -d)
trap 'rm -rf "$inc"' EXIT
for s in 3 4 5 7 8; do
	ln -s "$top/$man" "$inc/man$s"
done
shopt -s nullglob
pages=("$man"/*.[1-8])
[ ${#pages[@]} -gt 0 ] || problem "no man pages in $man/"
for p in "${pages[@]}"; do
	so=$(sed -n 's/^\.so[[:space:]]\{1,\}//p' "$p")
	if [ -n "$so" ]; then
		[ -f "$man/${so##*/}" ] || problem "$p: .so target $so does not exist"
		[ "$(grep -c -v '^[[:space:]]*$' "$p")" -eq 1 ] ||
			problem "$p: an alias page holds only its .so line"
	fi
	out=$(cd "$inc" && LC_ALL=C.UTF-8 groff -man -ww -z "$top/$p" 2>&1)
	rc=$?
	if [ "$rc" -ne 0 ] || [ -n "$out" ]; then
		problem "$p: groff -man -ww (exit $rc):"
		printf '%s\n' "$out" | head -n 10 | sed 's/^/    /'
	fi
done

# The names in the NAME section of a page ("a, b, c \- what").
page_names() {
	sed -n '/^\.SH NAME/,/^\.SH/{/^\.SH/d;p}' "$1" |
		sed 's/\\-.*//' | tr ',' '\n' | sed 's/\\//g; s/[[:space:]]//g' |
		grep -v '^$'
}

# 2. Every symbol of the library's version script is in the NAME line of a
# page that is not an alias, and has a page of its own (alias or group).
if [ -f "$map" ]; then
	declare -A named=()
	for p in "$man"/*.3; do
		grep -q '^\.so' "$p" && continue
		while read -r n; do
			named[$n]=$p
		done < <(page_names "$p")
	done
	syms=$(sed -n 's/^[[:space:]]*\([A-Za-z_][A-Za-z0-9_]*\);.*/\1/p' "$map")
	[ -n "$syms" ] || problem "$map: no symbols found"
	for s in $syms; do
		if [ -z "${named[$s]:-}" ]; then
			problem "$s (in $map) is in the NAME section of no page"
		elif [ ! -f "$man/$s.3" ]; then
			problem "$s has no $man/$s.3 (the group page or a .so alias of it)"
		fi
	done
else
	problem "$map is missing"
fi

# 3. chan(4) names every ioctl, module parameter and sysfs file.
if [ -f "$chan4" ]; then
	ioctls=$(sed -n 's/^#define[[:space:]]\{1,\}\(CHAN_\(CTL\|IOC\)_[A-Z0-9_]*\)[[:space:]]\{1,\}_IO.*/\1/p' "$header")
	[ -n "$ioctls" ] || problem "no ioctl found in $header"
	for io in $ioctls; do
		page_mentions "$chan4" "$io" || problem "ioctl $io ($header) is not in $chan4"
	done
	params=$(sed -n 's/.*module_param\(_cb\|_named\)\{0,1\}([[:space:]]*\([A-Za-z0-9_]*\).*/\2/p' module/*.c)
	[ -n "$params" ] || problem "no module_param found in module/"
	for m in $params; do
		page_mentions "$chan4" "$m" || problem "module parameter $m is not in $chan4"
	done
	files=$(sed -n 's|^What:[[:space:]]*/sys/class/chan/chan<N>/||p' "$abi")
	[ -n "$files" ] || problem "no What: lines in $abi"
	for f in $files; do
		grep -q -F -- "$f" "$chan4" || problem "sysfs file $f ($abi) is not in $chan4"
	done
else
	problem "$chan4 is missing"
fi

# 4. Nothing points outside the tree: no file (tracked, or new and not
# ignored) mentions the directory beside the repository or the old
# specification by name. The patterns are written so that they do not
# match this script.
word='S[P]EC'
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	mapfile -t tree < <(git ls-files --cached --others --exclude-standard |
			    while read -r f; do [ -f "$f" ] && echo "$f"; done)
else
	mapfile -t tree < <(find . -path ./build -prune -o -path ./.git -prune -o \
				 -path ./userspace/build -prune -o -type f -print)
fi
if [ ${#tree[@]} -gt 0 ]; then
	while IFS= read -r hit; do
		problem "outside reference: $hit"
	done < <(printf '%s\0' "${tree[@]}" |
		 xargs -0 grep -I -n -E -e '\.\./shared' -e "\\b$word\\b" -- 2>/dev/null)
fi

if [ "$problems" -ne 0 ]; then
	echo "check-docs: $problems problem(s)"
	exit 1
fi
echo "check-docs: ${#pages[@]} pages, no problems"
