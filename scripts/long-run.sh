#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# long-run.sh [--test stress|fuzz] [--flavour 6.1|6.12|debug] [--seconds N]
#           (make stress|fuzz [DURATION=N] [FLAVOUR=...])
#
# The long run of the stress test (userspace/tests/stress.c, the default)
# or of the fuzzer (userspace/tests/fuzz.c): build chan.ko for one kernel
# (default debug, whose lockdep, KASAN and kmemleak watch the run) and the
# user space, then boot one VM that runs only that test for N seconds
# (default 600; kchan.stress_seconds=N or kchan.fuzz_seconds=N, which the
# VM's init exports as KCHAN_STRESS_SECONDS or KCHAN_FUZZ_SECONDS) with the
# per-test and VM time limits stretched to match; KCHAN_STRESS_SEED or
# KCHAN_FUZZ_SEED, when set, is passed on the same way (kchan.stress_seed=S)
# to replay a run's seed. No KUnit. Prints the
# test's verdict and the kernel log's (scripts/parse-results.py), then
# "N passed, N failed"; exits non-zero on any failure. Logs:
# build/logs/<test>-<flavour>/ (console.log, result.txt, summary.txt).
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$KCHAN_TOP"

usage() {
	sed -n 's/^# \{0,1\}//; 4,5p' "${BASH_SOURCE[0]}" >&2
	exit 2
}

test=stress
flavour=debug
seconds=600
while [ $# -gt 0 ]; do
	case $1 in
	--test) test=${2:?}; shift 2 ;;
	--flavour) flavour=${2:?}; shift 2 ;;
	--seconds) seconds=${2:?}; shift 2 ;;
	-h|--help) usage ;;
	*) echo "${0##*/}: unknown argument '$1'" >&2; usage ;;
	esac
done
case $test in
stress|fuzz) ;;
*) kchan_die "unknown test '$test' (stress or fuzz)" ;;
esac
case $flavour in
6.1|6.12|debug) ;;
*) kchan_die "unknown flavour '$flavour' (6.1, 6.12 or debug)" ;;
esac
[[ $seconds =~ ^[1-9][0-9]*$ ]] && [ "$seconds" -le 604800 ] ||
	kchan_die "bad duration '$seconds' (seconds, 1..604800)"

build=$KCHAN_TOP/build
logs=$build/logs
dir=$build/$test-$flavour
vmdir=$logs/$test-$flavour
mkdir -p "$logs" "$dir"
# The test's own watchdog is seconds + 75; the VM's per-test limit and the
# VM as a whole get more (boot, drain, kmemleak scans, a slow debug kernel).
test_timeout=$((seconds + 300))
vm_timeout=$((seconds + 1200))

"$KCHAN_SCRIPTS/deps.sh" >>"$logs/deps.log" 2>&1 ||
	{ tail -n 20 "$logs/deps.log" >&2; kchan_die "deps.sh failed"; }
image=$("$KCHAN_SCRIPTS/kernels.sh" image "$flavour")
echo "$test: building chan.ko for $flavour" >&2
kchan_build_module "$flavour" "$dir/k" "$logs/$test-build-$flavour.log" ||
	{ tail -n 20 "$logs/$test-build-$flavour.log" >&2
	  kchan_die "module build failed, log: $logs/$test-build-$flavour.log"; }
echo "$test: building user space" >&2
make -C userspace >"$logs/$test-userspace.log" 2>&1 ||
	{ tail -n 20 "$logs/$test-userspace.log" >&2
	  kchan_die "user-space build failed, log: $logs/$test-userspace.log"; }
[ -x "userspace/build/tests/$test" ] || kchan_die "userspace/build/tests/$test missing"
kchan_stage "$dir/k" "$dir/stage" || kchan_die "no chan.ko built"
rm -f "$dir/stage/chan_kunit.ko"
"$KCHAN_SCRIPTS/mkinitramfs.sh" "$dir/initramfs.cpio.gz" "$dir/stage"

append="kchan.tests=$test kchan.${test}_seconds=$seconds kchan.timeout=$test_timeout"
seed_var=KCHAN_${test^^}_SEED
if [ -n "${!seed_var:-}" ]; then
	[[ ${!seed_var} =~ ^[0-9]+$ ]] || kchan_die "$seed_var must be a number"
	append+=" kchan.${test}_seed=${!seed_var}"
fi
args=(--mode check --timeout "$vm_timeout" --append "$append")
[ "$flavour" != debug ] || args+=(--debug)
rm -rf "$vmdir"
mkdir -p "$vmdir"
echo "$test: booting $flavour, $seconds s of traffic (VM limit $vm_timeout s)" >&2
"$KCHAN_SCRIPTS/run-vm.sh" --kernel "$image" --initrd "$dir/initramfs.cpio.gz" \
	--out "$vmdir" "${args[@]}" >>"$vmdir/run.log" 2>&1 || true
rc=0
python3 "$KCHAN_SCRIPTS/parse-results.py" "$vmdir" "$flavour" \
	>"$vmdir/summary.txt" 2>&1 || rc=$?
# The test's diagnostics: what ran, and any failure.
sed -n "s/\r\$//; /^kchan-suite-begin $test\$/,/^kchan-suite-end $test/p" \
	"$vmdir/result.txt" | grep -E '^(# |not ok|Bail out)' | head -n 60 || true
cat "$vmdir/summary.txt"
if [ ! -f "$vmdir/counts" ]; then
	echo "0 passed, 1 failed (results unreadable, see ${vmdir#"$KCHAN_TOP"/}/)"
	exit 1
fi
p=$(sed -n 's/^passed //p' "$vmdir/counts")
f=$(sed -n 's/^failed //p' "$vmdir/counts")
echo "$p passed, $f failed (VM $(cat "$vmdir/elapsed" 2>/dev/null || echo '?') s), logs: ${vmdir#"$KCHAN_TOP"/}/"
[ "$rc" -eq 0 ] && [ "$f" -eq 0 ]
