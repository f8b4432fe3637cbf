#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the kchan test VM (PID 1, busybox sh). Mounts the pseudo file
# systems, loads /kchan/chan.ko and acts on kchan.mode= from the kernel
# command line:
#   check  KUnit (if /kchan/chan_kunit.ko exists), every /kchan/tests/*
#          (or those kchan.tests=NAME,NAME names), kmemleak, unload, dmesg;
#          kchan.stress_seconds=N and kchan.fuzz_seconds=N are exported as
#          KCHAN_STRESS_SECONDS and KCHAN_FUZZ_SECONDS (how long tests/stress
#          and tests/fuzz run), kchan.stress_seed=S and kchan.fuzz_seed=S as
#          KCHAN_STRESS_SEED and KCHAN_FUZZ_SEED
#   shell  interactive shell on the console
#   demo   /kchan/demo on the console
#   bench  /kchan/bench: its stdout (chanbench's report) into the bench
#          block of the result port, its stderr (progress) on the console
# Results go to the second serial port (/dev/ttyS1) only, as blocks
#   kchan-suite-begin NAME
#   ... output (TAP/KTAP for test programs) ...
#   kchan-suite-end NAME exit=CODE
# closed by a "kchan-vm-done" line; scripts/parse-results.py reads them.
# Never exits: it powers the VM off.

PATH=/bin:/sbin:/usr/bin:/usr/sbin
HOME=/root
export PATH HOME

mode=check
test_timeout=300
result_port=/dev/ttyS1
kmod=/kchan/chan.ko
kunit_kmod=/kchan/chan_kunit.ko

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1
mkdir -p /dev/pts /dev/shm /dev/mqueue
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
mount -t mqueue mqueue /dev/mqueue 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
if [ -d /sys/kernel/tracing ]; then
	mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
fi
if [ -d /sys/fs/cgroup ]; then
	mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null
fi
hostname kchan-vm
ln -sf /proc/self/fd /dev/fd 2>/dev/null

for arg in $(cat /proc/cmdline); do
	case $arg in
	kchan.mode=*) mode=${arg#kchan.mode=} ;;
	kchan.timeout=*) test_timeout=${arg#kchan.timeout=} ;;
	kchan.tests=*) only_tests=,${arg#kchan.tests=}, ;;
	kchan.stress_seconds=*)
		KCHAN_STRESS_SECONDS=${arg#kchan.stress_seconds=}
		export KCHAN_STRESS_SECONDS
		;;
	kchan.fuzz_seconds=*)
		KCHAN_FUZZ_SECONDS=${arg#kchan.fuzz_seconds=}
		export KCHAN_FUZZ_SECONDS
		;;
	kchan.stress_seed=*)
		KCHAN_STRESS_SEED=${arg#kchan.stress_seed=}
		export KCHAN_STRESS_SEED
		;;
	kchan.fuzz_seed=*)
		KCHAN_FUZZ_SEED=${arg#kchan.fuzz_seed=}
		export KCHAN_FUZZ_SEED
		;;
	esac
done

say() {
	echo "kchan-vm: $*"
}

# A marker in the kernel log, so that a splat can be tied to a test.
mark() {
	echo "<6>kchan-vm: $*" >/dev/kmsg 2>/dev/null
}

# poweroff -f only ends QEMU when ACPI came up (it halts otherwise);
# reboot -f always does, as run-vm.sh passes -no-reboot.
power_off() {
	sync
	if [ -d /sys/firmware/acpi ]; then
		poweroff -f
		sleep 5
	fi
	reboot -f
	sleep 60
}

if ! exec 3>"$result_port"; then
	say "cannot open the result port $result_port"
	power_off
fi
stty -F "$result_port" raw -echo 2>/dev/null

res() {
	printf '%s\n' "$*" >&3
}

# A result block is opened before the work it reports starts, so that a
# crash in the middle shows as a block without its end marker.
begin() {
	res "kchan-suite-begin $1"
}

# end NAME FILE EXIT: FILE verbatim, then the end marker.
end() {
	if [ -s "$2" ]; then
		cat "$2" >&3
		[ -z "$(tail -c 1 "$2")" ] || res ""
	fi
	res "kchan-suite-end $1 exit=$3"
}

# suite NAME FILE EXIT: a whole block for work already done.
suite() {
	begin "$1"
	end "$@"
}

finish() {
	res "kchan-vm-done"
	# The last close of the tty waits until the UART has sent everything.
	exec 3>&-
	say "done, powering off"
	power_off
}

module_loaded() {
	[ -d /sys/module/chan ]
}

load_module() {
	begin load
	if [ ! -f "$kmod" ]; then
		echo "$kmod missing from the initramfs" >/tmp/load.out
		end load /tmp/load.out 1
		return 1
	fi
	mark "insmod chan.ko"
	insmod "$kmod" >/tmp/load.out 2>&1
	rc=$?
	end load /tmp/load.out $rc
	return $rc
}

run_kunit() {
	begin kunit
	: >/tmp/kunit.out
	mark "insmod chan_kunit.ko"
	insmod "$kunit_kmod" >/tmp/kunit.load 2>&1
	rc=$?
	if [ $rc -ne 0 ]; then
		sed 's/^/# insmod: /' /tmp/kunit.load >>/tmp/kunit.out
	fi
	found=0
	for r in /sys/kernel/debug/kunit/*/results; do
		[ -f "$r" ] || continue
		found=1
		cat "$r" >>/tmp/kunit.out
	done
	if [ $found -eq 0 ]; then
		echo "# no KUnit results under /sys/kernel/debug/kunit" >>/tmp/kunit.out
		[ $rc -ne 0 ] || rc=1
	fi
	end kunit /tmp/kunit.out $rc
	[ $rc -ne 0 ] || rmmod chan_kunit >/dev/null 2>&1
}

# After each test: the module must still be loaded with its control node.
check_state() {
	name=$1
	if ! module_loaded; then
		say "$name left chan unloaded, loading it again"
		insmod "$kmod" >/tmp/reload.out 2>&1
		rc=$?
		if [ $rc -ne 0 ]; then
			suite "reload-after-$name" /tmp/reload.out $rc
			return
		fi
	fi
	if [ ! -e /dev/chan-control ]; then
		echo "/dev/chan-control missing after $name" >/tmp/state.out
		suite "state-after-$name" /tmp/state.out 1
	fi
}

run_tests() {
	loaded=$1
	for t in /kchan/tests/*; do
		[ -f "$t" ] && [ -x "$t" ] || continue
		name=${t##*/}
		case ${only_tests:-,$name,} in
		*,"$name",*) ;;
		*) continue ;;
		esac
		say "test $name"
		mark "test $name start"
		begin "$name"
		(cd /tmp && exec timeout -k 10 "$test_timeout" "$t") \
			</dev/null >/tmp/test.out 2>&1
		rc=$?
		# Whatever the test left running (a timed-out test's children
		# parked in the device) must not leak into the next one.
		kill -KILL -1 2>/dev/null
		mark "test $name end exit=$rc"
		end "$name" /tmp/test.out $rc
		say "test $name exit=$rc"
		[ "$loaded" -eq 0 ] || check_state "$name"
	done
}

kmemleak_scan() {
	echo scan >/sys/kernel/debug/kmemleak
	sleep 2
	echo scan >/sys/kernel/debug/kmemleak
	cat /sys/kernel/debug/kmemleak >"$1"
}

kmemleak_suite() {
	kmemleak_scan /tmp/kmemleak.out
	rc=0
	[ ! -s /tmp/kmemleak.out ] || rc=1
	suite "$1" /tmp/kmemleak.out $rc
	# Report only new suspects next time.
	echo clear >/sys/kernel/debug/kmemleak
}

dmesg_suite() {
	dmesg >/tmp/dmesg.out 2>&1
	suite dmesg /tmp/dmesg.out 0
}

# Run /kchan/NAME with its output on the console, report its exit code.
run_console_program() {
	name=$1
	load_module
	begin "$name"
	if [ -x "/kchan/$name" ]; then
		(cd /tmp && exec "/kchan/$name") </dev/console
		rc=$?
		echo "/kchan/$name exited with $rc" >/tmp/prog.out
	else
		rc=127
		echo "/kchan/$name missing from the initramfs" >/tmp/prog.out
		say "/kchan/$name missing"
	fi
	end "$name" /tmp/prog.out $rc
	dmesg_suite
	finish
}

# Leak suspects from boot are not ours: report only those found later.
kmemleak=/sys/kernel/debug/kmemleak
if [ "$mode" = check ] && [ -f "$kmemleak" ]; then
	echo scan >"$kmemleak" 2>/dev/null
	echo clear >"$kmemleak" 2>/dev/null
fi

say "mode $mode on $(uname -r)"
case $mode in
check)
	loaded=0
	if load_module; then
		loaded=1
	fi
	if [ -f "$kunit_kmod" ]; then
		run_kunit
	fi
	run_tests $loaded
	if [ -f "$kmemleak" ]; then
		say "kmemleak scan"
		kmemleak_suite kmemleak
	fi
	if [ "$loaded" -eq 1 ] || module_loaded; then
		begin unload
		mark "rmmod chan"
		rmmod chan >/tmp/unload.out 2>&1
		end unload /tmp/unload.out $?
	fi
	if [ -f "$kmemleak" ]; then
		sleep 4
		kmemleak_suite kmemleak-after-unload
	fi
	dmesg_suite
	finish
	;;
shell)
	insmod "$kmod" || say "insmod $kmod failed"
	cat <<-EOF

	kchan shell on $(uname -r): chan.ko is loaded (see /sys/class/chan,
	/dev/chan*); tests are in /kchan/tests. Leave with 'exit' or Ctrl-D,
	which powers the VM off; Ctrl-A X kills QEMU.

	EOF
	cd /kchan || cd /
	setsid cttyhack sh -l
	finish
	;;
demo)
	run_console_program "$mode"
	;;
bench)
	# The report is data for the host (scripts/bench.sh): it goes to the
	# result port whole, after the run, so that nothing is written to
	# either serial port while a measurement is running but progress lines.
	load_module
	begin bench
	if [ -x /kchan/bench ]; then
		(cd /tmp && exec /kchan/bench) </dev/null >/tmp/bench.out
		rc=$?
	else
		rc=127
		echo "/kchan/bench missing from the initramfs" >/tmp/bench.out
		say "/kchan/bench missing"
	fi
	end bench /tmp/bench.out $rc
	dmesg_suite
	finish
	;;
*)
	echo "unknown kchan.mode=$mode" >/tmp/mode.out
	suite mode /tmp/mode.out 1
	finish
	;;
esac
finish
