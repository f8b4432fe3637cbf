#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The body of `make check`, run from the repository top: install what is
# missing, build chan.ko for the 6.1 and 6.12 Debian kernels (W=1, no
# warnings) and sparse-check it (C=2) against both, run checkpatch
# --strict, kernel-doc, the docs check (check-docs.sh) and the uapi header
# test, build user space, check `make install` (check-install.sh), build
# the debug kernel, then
# boot one VM per kernel (6.1, 6.12, debug) running KUnit and every test
# program. Prints a PASS/FAIL line per check and per suite, then exactly
# "N passed, N failed"; exits non-zero on any failure. Keeps going after a
# failure. Logs: build/logs/ (VM runs in build/logs/vm-<flavour>/).
#
# Environment: KCHAN_FLAVOURS (default "6.1 6.12 debug") limits the kernels,
# KCHAN_VM_TIMEOUT (default 1500) bounds each VM run in seconds, and
# KCHAN_TESTS (test program names, comma-separated; default all) limits the
# programs each VM runs, for iterating on a few (KUnit still runs).
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$KCHAN_TOP"

build=$KCHAN_TOP/build
logs=$build/logs
flavours=${KCHAN_FLAVOURS:-6.1 6.12 debug}
vm_timeout=${KCHAN_VM_TIMEOUT:-1500}

mkdir -p "$logs"
exec 7>"$build/.check.lock"
flock -n 7 || kchan_die "another check is running in $build"

summary=()
npass=0
nfail=0
t_start=$SECONDS

record() {
	local verdict=$1 name=$2 secs=$3
	summary+=("$(printf '%s %-16s (%d s)' "$verdict" "$name" "$secs")")
	if [ "$verdict" = PASS ]; then
		npass=$((npass + 1))
	else
		nfail=$((nfail + 1))
	fi
}

# run_check NAME FUNCTION [ARGS...]: FUNCTION writes its full output to
# $logs/NAME.log and a short explanation of any failure on stdout.
run_check() {
	local name=$1 t=$SECONDS rc=0
	shift
	printf '%-16s ... ' "$name"
	: >"$logs/$name.log"
	"$@" >"$logs/$name.why" 2>&1 || rc=$?
	if [ "$rc" -eq 0 ]; then
		echo "PASS ($((SECONDS - t)) s)"
		record PASS "$name" $((SECONDS - t))
	else
		echo "FAIL ($((SECONDS - t)) s), log: ${logs#"$KCHAN_TOP"/}/$name.log"
		head -n 30 "$logs/$name.why" | sed 's/^/    /'
		record FAIL "$name" $((SECONDS - t))
	fi
	return 0
}

has() {
	case " $flavours " in
	*" $1 "*) return 0 ;;
	esac
	return 1
}

check_deps() {
	"$KCHAN_SCRIPTS/deps.sh" >>"$logs/deps.log" 2>&1 ||
		{ tail -n 20 "$logs/deps.log"; return 1; }
}

# build-<flavour>: the kernel-side sources copied into build/k-<flavour>/.
check_build() {
	local flavour=$1 log=$logs/build-$1.log complaints
	shift
	if ! kchan_build_module "$flavour" "$build/k-$flavour" "$log" "$@"; then
		echo "make failed:"
		{ kchan_build_complaints "$log" | grep -v '^make'
		  grep -v '^make' "$log" | tail -n 8; } |
			awk '!seen[$0]++' | head -n 25
		return 1
	fi
	complaints=$(kchan_build_complaints "$log")
	if [ -n "$complaints" ]; then
		echo "warnings (treated as errors):"
		echo "$complaints" | head -n 20
		return 1
	fi
}

check_sparse() {
	local flavour=$1 log=$logs/sparse-$1.log kdir out
	kdir=$(kchan_kdir "$flavour") || return 1
	[ -d "$build/k-$flavour" ] || { echo "build/k-$flavour missing"; return 1; }
	make -C "$kdir" M="$build/k-$flavour" C=2 modules >"$log" 2>&1 ||
		{ echo "make C=2 failed:"; tail -n 20 "$log"; return 1; }
	out=$(grep -vE '^make(\[[0-9]+\])?: (Entering|Leaving|Nothing)|^  (CHECK|CC|CC \[M\]|LD|LD \[M\]|MODPOST|BTF|BTF \[M\]|AR) |Skipping BTF generation' \
		"$log" || true)
	if [ -n "$out" ]; then
		echo "sparse reports:"
		echo "$out" | head -n 25
		return 1
	fi
}

# The kernel sources among the files named, leaving out what kbuild
# generates when someone built in the source tree (*.mod.c).
kernel_files() {
	local f
	for f in "$@"; do
		case $f in
		*.mod.c) continue ;;
		esac
		[ ! -f "$f" ] || echo "$f"
	done
}

check_checkpatch() {
	local log=$logs/checkpatch.log src f out total e w c bad=0
	local files=() extra=()
	src=$("$KCHAN_SCRIPTS/kernels.sh" src 2>>"$log") ||
		{ echo "no linux-source-6.1 tree"; return 1; }
	mapfile -t files < <(kernel_files module/*.[ch] kunit/*.[ch] uapi/linux/*.h)
	[ ${#files[@]} -gt 0 ] || { echo "no kernel sources found"; return 1; }
	for f in "${files[@]}"; do
		# The one compat header is where version checks belong (STYLE.md).
		extra=()
		[ "$f" != module/compat.h ] || extra=(--ignore LINUX_VERSION_CODE)
		out=$("$src/scripts/checkpatch.pl" --no-tree -f --strict \
			"${extra[@]}" "$f" 2>&1) || true
		printf '%s\n' "== $f" "$out" >>"$log"
		total=$(printf '%s\n' "$out" | sed -n 's/^total: \([0-9]*\) errors, \([0-9]*\) warnings, \([0-9]*\) checks.*/\1 \2 \3/p')
		if [ -z "$total" ]; then
			echo "$f: checkpatch gave no verdict"
			bad=1
			continue
		fi
		read -r e w c <<<"$total"
		[ "$f" != module/trace.h ] || c=0
		if [ $((e + w + c)) -gt 0 ]; then
			echo "$f: $total (errors warnings checks)"
			printf '%s\n' "$out" | grep -E -A1 '^(ERROR|WARNING|CHECK):' |
				grep -v '^--$' | head -n 10 | sed 's/^/  /'
			bad=1
		fi
	done
	return $bad
}

check_kernel_doc() {
	local log=$logs/kernel-doc.log src out rc=0
	local files=()
	src=$("$KCHAN_SCRIPTS/kernels.sh" src 2>>"$log") ||
		{ echo "no linux-source-6.1 tree"; return 1; }
	mapfile -t files < <(kernel_files module/*.c module/*.h kunit/*.c uapi/linux/chan.h)
	[ ${#files[@]} -gt 0 ] || { echo "no kernel sources found"; return 1; }
	out=$("$src/scripts/kernel-doc" -none -Werror "${files[@]}" 2>&1) || rc=$?
	printf '%s\n' "$out" >>"$log"
	if [ "$rc" -ne 0 ] || [ -n "$out" ]; then
		echo "kernel-doc (exit $rc):"
		printf '%s\n' "$out" | head -n 25
		return 1
	fi
}

# The man pages against the code, and no pointer outside the tree.
check_docs() {
	"$KCHAN_SCRIPTS/check-docs.sh" >>"$logs/docs.log" 2>&1 ||
		{ tail -n 25 "$logs/docs.log"; return 1; }
}

check_uapi_header() {
	local log=$logs/uapi-header.log
	[ -f uapi/linux/chan.h ] || { echo "uapi/linux/chan.h missing"; return 1; }
	if [ -f userspace/Makefile ] &&
	   make -C userspace -n hdrtest >/dev/null 2>&1; then
		make -C userspace hdrtest >>"$log" 2>&1 ||
			{ tail -n 25 "$log"; return 1; }
		return 0
	fi
	printf '#include <linux/chan.h>\n#include <linux/chan.h>\nint kchan_hdrtest;\n' |
		gcc -std=c90 -pedantic-errors -Wall -Wextra -Werror -fsyntax-only \
			-Iuapi -x c - >>"$log" 2>&1 ||
		{ tail -n 25 "$log"; return 1; }
}

check_userspace() {
	local log=$logs/userspace.log complaints
	[ -f userspace/Makefile ] || { echo "userspace/Makefile missing"; return 1; }
	make -C userspace >>"$log" 2>&1 ||
		{ echo "make -C userspace failed:"; tail -n 25 "$log"; return 1; }
	complaints=$(kchan_build_complaints "$log")
	if [ -n "$complaints" ]; then
		echo "warnings:"
		echo "$complaints" | head -n 20
		return 1
	fi
}

# make install into a staging dir: the file list, libchan's exports, and a
# program built through pkg-config.
check_install() {
	"$KCHAN_SCRIPTS/check-install.sh" >>"$logs/install.log" 2>&1 ||
		{ tail -n 30 "$logs/install.log"; return 1; }
}

check_debug_kernel() {
	local log=$logs/debug-kernel.log
	"$KCHAN_SCRIPTS/kernels.sh" kdir debug >>"$log" 2>&1 ||
		{ tail -n 30 "$log"; return 1; }
}

# Did the VM run in @dir die of the emulator rather than of kchan? Under
# multi-threaded TCG, kernel text patching (static keys flipped at boot)
# can race the other vCPU and leave a stray int3: an "Oops: int3" whose
# stack holds no chan code. Any other crash, or one with a chan frame
# ("[chan]" or "[chan_kunit]"), is kchan's.
emulator_crash() {
	local log=$1/console.log
	[ -f "$log" ] && grep -q 'Oops: int3' "$log" || return 1
	! awk '/Oops: int3/ { f = 1 } f && /\[chan/ { bad = 1 }
	       /end trace/ { f = 0 } END { exit !bad }' "$log"
}

# Boot @flavour's VM once into @vmdir and judge it (summary.txt, counts).
vm_run_once() {
	local flavour=$1 vmdir=$2 image=$3 initrd=$4
	shift 4

	"$KCHAN_SCRIPTS/run-vm.sh" --kernel "$image" --initrd "$initrd" \
		--out "$vmdir" "$@" >>"$vmdir/run.log" 2>&1 || true
	python3 "$KCHAN_SCRIPTS/parse-results.py" "$vmdir" "$flavour" \
		>"$vmdir/summary.txt" 2>&1 || true
}

# One VM run; its suites are counted from parse-results.py's counts. A run
# the emulator crashed is made once more, saying so; the first attempt's
# logs stay in vm-<flavour>.crashed/.
vm_flavour() {
	local flavour=$1 t=$SECONDS vmdir=$logs/vm-$1 dir=$build/vm-$1
	local image initrd=$build/vm-$1/initramfs.cpio.gz p f
	local args=(--mode check --timeout "$vm_timeout")

	[ -z "${KCHAN_TESTS:-}" ] || args+=(--append "kchan.tests=$KCHAN_TESTS")

	printf '%-16s ... ' "vm-$flavour"
	rm -rf "$vmdir" "$vmdir.crashed"
	mkdir -p "$vmdir" "$dir"
	if ! kchan_stage "$build/k-$flavour" "$dir/stage"; then
		echo "FAIL, not run: no chan.ko for $flavour"
		record FAIL "vm-$flavour" 0
		return 0
	fi
	if ! image=$("$KCHAN_SCRIPTS/kernels.sh" image "$flavour" 2>>"$vmdir/run.log") ||
	   ! "$KCHAN_SCRIPTS/mkinitramfs.sh" "$initrd" "$dir/stage" >>"$vmdir/run.log" 2>&1; then
		echo "FAIL, not run: see ${vmdir#"$KCHAN_TOP"/}/run.log"
		record FAIL "vm-$flavour" $((SECONDS - t))
		return 0
	fi
	[ "$flavour" != debug ] || args+=(--debug)
	vm_run_once "$flavour" "$vmdir" "$image" "$initrd" "${args[@]}"
	if emulator_crash "$vmdir"; then
		mv "$vmdir" "$vmdir.crashed"
		mkdir -p "$vmdir"
		printf '(emulator crash: an int3 oops outside chan code, logs in %s; once more) ' \
			"${vmdir#"$KCHAN_TOP"/}.crashed/"
		vm_run_once "$flavour" "$vmdir" "$image" "$initrd" "${args[@]}"
	fi
	if [ ! -f "$vmdir/counts" ]; then
		echo "parse-results.py failed" >>"$vmdir/summary.txt"
		echo "FAIL, results unreadable"
		record FAIL "vm-$flavour" $((SECONDS - t))
		return 0
	fi
	p=$(sed -n 's/^passed //p' "$vmdir/counts")
	f=$(sed -n 's/^failed //p' "$vmdir/counts")
	npass=$((npass + p))
	nfail=$((nfail + f))
	echo "$p passed, $f failed ($((SECONDS - t)) s), logs: ${vmdir#"$KCHAN_TOP"/}/"
	grep -A30 '^  FAIL' "$vmdir/summary.txt" | grep -v '^  PASS' | head -n 40 || true
}

run_check deps check_deps
for flavour in 6.1 6.12; do
	has "$flavour" || continue
	run_check "build-$flavour" check_build "$flavour" W=1
done
for flavour in 6.1 6.12; do
	has "$flavour" || continue
	run_check "sparse-$flavour" check_sparse "$flavour"
done
run_check checkpatch check_checkpatch
run_check kernel-doc check_kernel_doc
run_check docs check_docs
run_check uapi-header check_uapi_header
run_check userspace check_userspace
run_check install check_install
debug_ok=1
if has debug; then
	nfail_before=$nfail
	run_check debug-kernel check_debug_kernel
	if [ "$nfail" -eq "$nfail_before" ]; then
		run_check build-debug check_build debug
	else
		# Do not try the failed kernel build twice more.
		debug_ok=0
		echo "build-debug      ... FAIL, not run: no debug kernel"
		record FAIL build-debug 0
	fi
fi
for flavour in $flavours; do
	if [ "$flavour" = debug ] && [ "$debug_ok" -eq 0 ]; then
		echo "vm-debug         ... FAIL, not run: no debug kernel"
		record FAIL vm-debug 0
		continue
	fi
	vm_flavour "$flavour"
done

echo
echo "Summary (total $((SECONDS - t_start)) s):"
for line in "${summary[@]}"; do
	echo "  $line"
done
for flavour in $flavours; do
	[ ! -f "$logs/vm-$flavour/summary.txt" ] || cat "$logs/vm-$flavour/summary.txt"
done
echo "$npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
