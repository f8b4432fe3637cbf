#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# chanctl: every subcommand of the command line, run as root in the test
# VM (busybox sh) with the module loaded: its output, its exit status (0
# done, 1 an operation failed, 2 bad usage) and the exact error line
# "chanctl: <subcommand>: <what>: <strerror> (<ERRNO>)" of each failure it
# reports, checked against sysfs. The binary is $CHANCTL (default
# /kchan/tools/chanctl). Checks of channel names are skipped on a module
# without them (no /sys/class/chan/chan0/name). Every channel it creates
# is destroyed at the end. TAP on stdout; exit 0 if every check passed.

CHANCTL=${CHANCTL:-/kchan/tools/chanctl}
SYS=/sys/class/chan

n=0
failed=0
created=""
tmp=$(mktemp -d /tmp/chanctl.XXXXXX) || exit 1

ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}

# not_ok DESC WHY...: a failed check and why, as TAP comments.
not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $1"
	shift
	for why in "$@"; do
		echo "# $why"
	done
}

skip() {
	n=$((n + 1))
	echo "ok $n # SKIP $1"
}

# check DESC CONDITION...: ok if the command CONDITION succeeds.
check() {
	desc=$1
	shift
	if "$@"; then
		ok "$desc"
	else
		not_ok "$desc" "failed: $*"
	fi
}

# run ARGS...: chanctl ARGS (stdin: /dev/null unless redirected by the
# caller through run_in); sets rc, out (stdout) and err (stderr).
run() {
	"$CHANCTL" "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
	rc=$?
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
}

# run_in FILE ARGS...: chanctl ARGS with stdin from FILE.
run_in() {
	f=$1
	shift
	"$CHANCTL" "$@" <"$f" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
}

# expect DESC RC OUT ERR: the last run exited RC and its stdout and
# stderr match the shell patterns OUT and ERR ('*': anything).
expect() {
	why=""
	[ "$rc" = "$2" ] || why="exit status $rc, expected $2"
	# shellcheck disable=SC2254
	case $out in
	$3) ;;
	*) why="$why; stdout '$out', expected '$3'" ;;
	esac
	# shellcheck disable=SC2254
	case $err in
	$4) ;;
	*) why="$why; stderr '$err', expected '$4'" ;;
	esac
	if [ -z "$why" ]; then
		ok "$1"
	else
		not_ok "$1" "chanctl $last_args" "$why"
	fi
}

# usage_err SUBCOMMAND FIRSTLINE: the stderr of a usage error: the error,
# the usage line and the hint.
usage_err() {
	printf '%s\nusage: chanctl %s *\nTry '"'"'chanctl help %s'"'"'.' \
		"chanctl: $1: $2" "$1" "$1"
}

sysfs() {
	cat "$SYS/chan$1/$2" 2>/dev/null
}

# Centiseconds since boot, from /proc/uptime.
now_cs() {
	read -r up _ </proc/uptime
	echo "${up%.*}${up#*.}" | sed 's/^0*//; s/^$/0/'
}

cleanup() {
	for i in $created; do
		"$CHANCTL" destroy --force "$i" >/dev/null 2>&1
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

# create_chan ARGS...: chanctl create ARGS; the index of the new channel
# in $idx (empty on failure), remembered for the cleanup.
create_chan() {
	last_args="create $*"
	run create "$@"
	idx=""
	case $out in
	chan[0-9]*" /dev/chan"[0-9]*)
		idx=${out%% *}
		idx=${idx#chan}
		created="$created $idx"
		;;
	esac
}

if [ ! -x "$CHANCTL" ]; then
	echo "Bail out! $CHANCTL missing"
	exit 1
fi
if [ "$(id -u)" != 0 ] || [ ! -e /dev/chan-control ]; then
	echo "1..0 # SKIP needs root and the chan module loaded"
	exit 77
fi
names=0
[ -r "$SYS/chan0/name" ] && cat "$SYS/chan0/name" >/dev/null 2>&1 && names=1

# --- help, version, usage errors ---

last_args="--version"
run --version
expect "--version prints the version" 0 "chanctl [0-9]*" ""
last_args="help"
run help
expect "help lists the subcommands" 0 "usage: chanctl SUBCOMMAND*breaker*rate*" ""
last_args="help send"
run help send
expect "help send shows its usage and examples" 0 \
	"usage: chanctl send CHAN *--hex*Examples:*chanctl send*" ""
last_args="recv --help"
run recv --help
expect "SUBCOMMAND --help is help SUBCOMMAND" 0 "usage: chanctl recv CHAN *" ""
last_args=""
run
expect "no subcommand: exit 2" 2 "" "usage: chanctl SUBCOMMAND*"
last_args="frobnicate"
run frobnicate
expect "unknown subcommand: exit 2" 2 "" "chanctl: unknown subcommand 'frobnicate'*"
last_args="help frobnicate"
run help frobnicate
expect "help of an unknown subcommand: exit 2" 2 "" \
	"$(usage_err help "unknown subcommand 'frobnicate'")"
last_args="create --bogus"
run create --bogus
expect "unknown long option: exit 2, usage hint" 2 "" \
	"$(usage_err create "unknown option '--bogus'")"
last_args="create -z"
run create -z
expect "unknown short option: exit 2" 2 "" "$(usage_err create "unknown option '-z'")"
last_args="create --capacity"
run create --capacity
expect "option without its argument: exit 2" 2 "" \
	"$(usage_err create "option '--capacity' needs an argument")"
last_args="create --capacity lots"
run create --capacity lots
expect "bad number: exit 2" 2 "" "$(usage_err create "bad capacity 'lots'")"
last_args="destroy"
run destroy
expect "missing CHAN: exit 2" 2 "" "$(usage_err destroy "missing CHAN")"
last_args="recv 0 --count 2 --all"
run recv 0 --count 2 --all
expect "--count with --all: exit 2" 2 "" "chanctl: recv: --count and --all exclude each other*"

# --- create, destroy ---

create_chan --capacity 4 --msg-size 64
A=$idx
expect "create prints the index and the node" 0 "chan$A /dev/chan$A" ""
if [ -z "$A" ]; then
	echo "Bail out! cannot create a channel: $err"
	exit 1
fi
check "the node exists" [ -c "/dev/chan$A" ]
check "sysfs: capacity 4, msg_size 64" \
	[ "$(sysfs "$A" capacity) $(sysfs "$A" msg_size)" = "4 64" ]
check "default node mode 0600" [ "$(stat -c %a "/dev/chan$A")" = 600 ]

last_args="create --index $A"
run create --index "$A"
expect "create of a taken index: EEXIST" 1 "" \
	"chanctl: create: chan$A: File exists (EEXIST)"

create_chan --capacity 2 --mode 0644 --owner 0 --group 0
M=$idx
expect "create --mode --owner --group" 0 "chan$M /dev/chan$M" ""
check "--mode 0644 sets the node's mode" [ "$(stat -c %a "/dev/chan$M" 2>&1)" = 644 ]

# The first free index past every existing channel, wanted with --index.
want=0
for d in "$SYS"/chan*; do
	i=${d##*/chan}
	[ "$i" -ge "$want" ] && want=$((i + 1))
done
want=$((want + 3))
create_chan --index "$want" --capacity 1 --msg-size 8
W=$idx
expect "create --index N gets N" 0 "chan$want /dev/chan$want" ""

last_args="destroy 999999"
run destroy 999999
expect "destroy of a missing channel: ENOENT" 1 "" \
	"chanctl: destroy: chan999999: No such file or directory (ENOENT)"
last_args="destroy no-such-chan"
run destroy no-such-chan
expect "destroy of a missing name: ENOENT" 1 "" \
	"chanctl: destroy: no-such-chan: No such file or directory (ENOENT)"

# An open fd makes destroy EBUSY; --force goes through.
exec 5<"/dev/chan$W"
last_args="destroy chan$W"
run destroy "chan$W"
expect "destroy of a channel in use: EBUSY" 1 "" \
	"chanctl: destroy: chan$W: Device or resource busy (EBUSY)"
last_args="destroy /dev/chan$W --force"
run destroy "/dev/chan$W" --force
expect "destroy --force of a channel in use" 0 "" ""
check "destroyed: gone from sysfs" [ ! -e "$SYS/chan$W" ]
exec 5<&-

# Non-root: a user namespace keeps uid 0 but has no CAP_SYS_ADMIN in the
# initial one, which the control device asks for.
if unshare -U true 2>/dev/null; then
	unshare -U "$CHANCTL" create >"$tmp/out" 2>"$tmp/err"
	rc=$?
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
	last_args="create (no CAP_SYS_ADMIN)"
	expect "create without CAP_SYS_ADMIN: EPERM" 1 "" \
		"chanctl: create: /dev/chan-control: Operation not permitted (EPERM)"
else
	skip "create without CAP_SYS_ADMIN: no user namespaces here"
fi

# --- send, recv ---

last_args="send $A hello 'two words'"
run send "$A" hello "two words"
expect "send two messages as arguments" 0 "" ""
check "sysfs len is 2" [ "$(sysfs "$A" len)" = 2 ]
last_args="recv chan$A --count 2"
run recv "chan$A" --count 2
expect "recv --count 2 prints them in order" 0 "hello
two words" ""
check "sysfs len is 0" [ "$(sysfs "$A" len)" = 0 ]

last_args="send /dev/chan$A --hex 'de ad:be-ef' 00FF"
run send "/dev/chan$A" --hex "de ad:be-ef" 00FF
expect "send --hex" 0 "" ""
run send "$A" AB
last_args="recv $A --hex --count 3"
run recv "$A" --hex --count 3
expect "recv --hex: the bytes sent, in hex" 0 "deadbeef
00ff
4142" ""

last_args="send $A --hex 0g"
run send "$A" --hex 0g
expect "send --hex of non-hex: exit 2, nothing sent" 2 "" "$(usage_err send "not hex: '0g'")"
last_args="send $A --hex abc"
run send "$A" --hex abc
expect "send --hex of an odd number of digits: exit 2" 2 "" "$(usage_err send "not hex: 'abc'")"
check "sysfs len is still 0" [ "$(sysfs "$A" len)" = 0 ]

printf 'one\ntwo words\n\tthree\n' >"$tmp/in"
last_args="send $A < 3 lines"
run_in "$tmp/in" send "$A"
expect "send: each line of stdin is a message" 0 "" ""
check "sysfs len is 3" [ "$(sysfs "$A" len)" = 3 ]
last_args="recv $A --count 3"
run recv "$A" --count 3
expect "recv gets the lines without their newlines" 0 "one
two words
	three" ""
printf '6869\nff 00' >"$tmp/in"
last_args="send $A --hex < 2 lines, the last without newline"
run_in "$tmp/in" send "$A" --hex
expect "send --hex from stdin, last line without newline" 0 "" ""
last_args="recv $A --count 2 --hex"
run recv "$A" --count 2 --hex
expect "recv --hex gets both" 0 "6869
ff00" ""

last_args="send $A <65 bytes>"
run send "$A" "$(printf '%065d' 0)"
expect "send of a message over msg_size: EMSGSIZE" 1 "" \
	"chanctl: send: chan$A: Message too long (EMSGSIZE)"

last_args="recv $A --nonblock"
run recv "$A" --nonblock
expect "recv --nonblock on an empty channel: EAGAIN" 1 "" \
	"chanctl: recv: chan$A: Resource temporarily unavailable (EAGAIN)"

last_args="recv $A --timeout 100"
t0=$(now_cs)
run recv "$A" --timeout 100
t1=$(now_cs)
expect "recv --timeout 100 on an empty channel: ETIMEDOUT" 1 "" \
	"chanctl: recv: chan$A: Connection timed out (ETIMEDOUT)"
el=$((t1 - t0))
if [ "$el" -ge 10 ] && [ "$el" -lt 500 ]; then
	ok "recv --timeout 100 waited 100 ms or more (${el}0 ms)"
else
	not_ok "recv --timeout 100 waited 100 ms or more" "took ${el}0 ms"
fi

last_args="recv $A --timeout 1x"
run recv "$A" --timeout 1x
expect "bad timeout: exit 2" 2 "" "$(usage_err recv "bad timeout '1x' (ms)")"
last_args="send $A --timeout 5 --nonblock x"
run send "$A" --timeout 5 --nonblock x
expect "--timeout with --nonblock: exit 2" 2 "" \
	"$(usage_err send "--timeout and --nonblock exclude each other")"

# Full: capacity 4.
run send "$A" m1 m2 m3 m4
last_args="send $A --nonblock m5 (full)"
run send "$A" --nonblock m5
expect "send --nonblock on a full channel: EAGAIN" 1 "" \
	"chanctl: send: chan$A: Resource temporarily unavailable (EAGAIN)"
last_args="send $A --timeout 50 m5 (full)"
run send "$A" --timeout 50 m5
expect "send --timeout 50 on a full channel: ETIMEDOUT" 1 "" \
	"chanctl: send: chan$A: Connection timed out (ETIMEDOUT)"
last_args="recv $A --all --nonblock"
run recv "$A" --all --nonblock
expect "recv --all --nonblock drains what is queued, exit 0" 0 "m1
m2
m3
m4" ""
last_args="recv $A --all --timeout 50"
run recv "$A" --all --timeout 50
expect "recv --all --timeout on an empty channel: nothing, exit 0" 0 "" ""

# --- capacity ---

last_args="capacity $A"
run capacity "$A"
expect "capacity shows 4" 0 "4" ""
last_args="capacity $A 8"
run capacity "$A" 8
expect "capacity N sets it" 0 "" ""
check "sysfs capacity is 8" [ "$(sysfs "$A" capacity)" = 8 ]
run capacity "chan$A"
expect "capacity shows 8" 0 "8" ""
last_args="capacity $A 99999999"
run capacity "$A" 99999999
expect "capacity above max_capacity: EINVAL" 1 "" \
	"chanctl: capacity: chan$A: Invalid argument (EINVAL)"
last_args="capacity $A eight"
run capacity "$A" eight
expect "capacity of a non-number: exit 2" 2 "" "$(usage_err capacity "bad capacity 'eight'")"

# --- close ---

run send "$A" c1 c2 c3
last_args="close $A"
run close "$A"
expect "close" 0 "" ""
check "sysfs closed is 1" [ "$(sysfs "$A" closed)" = 1 ]
last_args="send $A late"
run send "$A" late
expect "send on a closed channel: EPIPE" 1 "" \
	"chanctl: send: chan$A: Broken pipe (EPIPE)"
last_args="recv $A --all"
run recv "$A" --all
expect "recv --all after close drains exactly what was sent" 0 "c1
c2
c3" ""
last_args="recv $A"
run recv "$A"
expect "recv on a closed, drained channel: exit 1" 1 "" \
	"chanctl: recv: chan$A: closed after 0 of 1 messages"

create_chan --autoclose --capacity 4
C=$idx
expect "create --autoclose" 0 "chan$C /dev/chan$C" ""
run send "$C" last-words
check "autoclose: closed once chanctl send, the last writer, exited" \
	[ "$(sysfs "$C" closed)" = 1 ]
last_args="recv $C --all"
run recv "$C" --all
expect "recv --all of the auto-closed channel" 0 "last-words" ""

# --- breaker ---

create_chan --capacity 16
B=$idx
last_args="breaker $B"
run breaker "$B"
expect "breaker shows config and status" 0 \
	"mode: disabled*window_ms: 10000*half_open_max_ms: *flags: 0x0*state: closed*rejected: 0*" ""
last_args="breaker $B set mode=forced-open"
run breaker "$B" set mode=forced-open
expect "breaker set mode=forced-open" 0 "" ""
check "sysfs breaker/mode is forced_open" [ "$(sysfs "$B" breaker/mode)" = forced_open ]
last_args="send $B x"
run send "$B" x
expect "send through a forced-open breaker: ECONNREFUSED" 1 "" \
	"chanctl: send: chan$B: Connection refused (ECONNREFUSED)"
run breaker "$B"
expect "breaker shows forced_open, open, 1 rejected" 0 \
	"mode: forced_open*state: open*rejected: 1*" ""
last_args="breaker $B reset"
run breaker "$B" reset
expect "breaker reset" 0 "" ""
check "reset zeroes breaker/rejected" [ "$(sysfs "$B" breaker/rejected)" = 0 ]
last_args="breaker $B set mode=auto failure_pct=30 open_ms=2000 flags=adaptive-threshold"
run breaker "$B" set mode=auto failure_pct=30 open_ms=2000 flags=adaptive-threshold
expect "breaker set of several keys" 0 "" ""
check "sysfs: mode auto, failure_pct 30, open_ms 2000, flags 1" \
	[ "$(sysfs "$B" breaker/mode) $(sysfs "$B" breaker/failure_pct) $(sysfs "$B" breaker/open_ms) $(sysfs "$B" breaker/flags)" = "auto 30 2000 1" ]
check "other keys keep their values (window_ms 10000)" \
	[ "$(sysfs "$B" breaker/window_ms)" = 10000 ]
run send "$B" y
expect "send through a closed auto breaker" 0 "" ""
last_args="breaker $B set bogus=1"
run breaker "$B" set bogus=1
expect "breaker set of an unknown key: exit 2" 2 "" \
	"$(usage_err breaker "unknown breaker key 'bogus'")"
last_args="breaker $B set mode=sideways"
run breaker "$B" set mode=sideways
expect "breaker set of an unknown mode: exit 2" 2 "" "chanctl: breaker: bad mode 'sideways'*"
last_args="breaker $B set window_ms"
run breaker "$B" set window_ms
expect "breaker set without =: exit 2" 2 "" "chanctl: breaker: 'window_ms' is not KEY=VALUE*"
last_args="breaker $B set window_ms=5"
run breaker "$B" set window_ms=5
expect "breaker set of a value the kernel refuses: EINVAL" 1 "" \
	"chanctl: breaker: chan$B: Invalid argument (EINVAL)"
last_args="breaker $B set mode=metrics_only"
run breaker "$B" set mode=metrics_only
expect "breaker mode by its sysfs name" 0 "" ""
check "sysfs breaker/mode is metrics_only" [ "$(sysfs "$B" breaker/mode)" = metrics_only ]
last_args="breaker $B flip"
run breaker "$B" flip
expect "breaker with an unknown action: exit 2" 2 "" "chanctl: breaker: unknown breaker action 'flip'*"

# --- rate ---

last_args="rate $B"
run rate "$B"
expect "rate shows no limit" 0 "rate: 0
burst: *" ""
last_args="rate $B 1 2"
run rate "$B" 1 2
expect "rate RATE BURST" 0 "" ""
run rate "$B"
expect "rate shows 1/s, burst 2" 0 "rate: 1
burst: 2
tokens: *" ""
check "sysfs rate/rate 1, rate/burst 2" \
	[ "$(sysfs "$B" rate/rate) $(sysfs "$B" rate/burst)" = "1 2" ]
run send "$B" --nonblock r1 r2
expect "the burst goes through" 0 "" ""
last_args="send $B --nonblock r3"
run send "$B" --nonblock r3
expect "past the burst: EAGAIN" 1 "" \
	"chanctl: send: chan$B: Resource temporarily unavailable (EAGAIN)"
last_args="rate $B 5 0"
run rate "$B" 5 0
expect "rate with burst 0: EINVAL" 1 "" "chanctl: rate: chan$B: Invalid argument (EINVAL)"
last_args="rate $B 0"
run rate "$B" 0
expect "rate 0 turns it off" 0 "" ""
check "sysfs rate/rate 0" [ "$(sysfs "$B" rate/rate)" = 0 ]
last_args="rate $B fast"
run rate "$B" fast
expect "rate of a non-number: exit 2" 2 "" "$(usage_err rate "bad rate 'fast'")"

# --- chaos ---

create_chan --capacity 4
C=$idx
last_args="chaos $C"
run chaos "$C"
expect "chaos shows every knob off" 0 "send_delay_us: 0
recv_delay_us: 0
send_fail_ppm: 0
pause_recv: 0
injected: 0" ""
last_args="chaos $C set pause_recv=1 send-fail-ppm=10"
run chaos "$C" set pause_recv=1 send-fail-ppm=10
expect "chaos set KEY=VALUE (hyphens too)" 0 "" ""
check "sysfs chaos/pause_recv 1, chaos/send_fail_ppm 10" \
	[ "$(sysfs "$C" chaos/pause_recv) $(sysfs "$C" chaos/send_fail_ppm)" = "1 10" ]
run chaos "$C" set send_fail_ppm=0
run send "$C" held
expect "a send while receivers are paused" 0 "" ""
last_args="recv $C --nonblock"
run recv "$C" --nonblock
expect "paused: recv --nonblock finds nothing" 1 "" \
	"chanctl: recv: chan$C: Resource temporarily unavailable (EAGAIN)"
check "the message is still queued" [ "$(sysfs "$C" len)" = 1 ]
last_args="chaos $C set pause_recv=2"
run chaos "$C" set pause_recv=2
expect "chaos pause_recv=2: EINVAL" 1 "" \
	"chanctl: chaos: chan$C: pause_recv=2: Invalid argument (EINVAL)"
last_args="chaos $C set speed=1"
run chaos "$C" set speed=1
expect "chaos of an unknown key: exit 2" 2 "" "$(usage_err chaos "unknown key 'speed'")"
last_args="chaos $C set recv_delay_us=x pause_recv=0"
run chaos "$C" set recv_delay_us=x pause_recv=0
expect "chaos with a bad value writes nothing: exit 2" 2 "" \
	"$(usage_err chaos "bad value 'x' for recv_delay_us")"
check "  ... pause_recv is still 1" [ "$(sysfs "$C" chaos/pause_recv)" = 1 ]
last_args="chaos $C set"
run chaos "$C" set
expect "chaos set without pairs: exit 2" 2 "" "$(usage_err chaos "set needs KEY=VALUE")"
last_args="chaos $C pause"
run chaos "$C" pause
expect "chaos of an unknown action: exit 2" 2 "" \
	"$(usage_err chaos "unknown action 'pause' (set or off)")"
last_args="chaos $C off"
run chaos "$C" off
expect "chaos off" 0 "" ""
run chaos "$C"
expect "every knob is 0 again, the held receive counted" 0 "send_delay_us: 0
recv_delay_us: 0
send_fail_ppm: 0
pause_recv: 0
injected: 1" ""
run recv "$C" --nonblock
expect "the message arrives once the pause is lifted" 0 "held" ""
last_args="chaos 999999"
run chaos 999999
expect "chaos of a missing channel: ENOENT" 1 "" \
	"chanctl: chaos: chan999999: No such file or directory (ENOENT)"

# --- list, info ---

last_args="list"
run list
expect "list" 0 "CHAN *NAME *CAPACITY *MSG_SIZE *LEN *SENDERS *RECEIVERS *CLOSED *BREAKER*" ""
line=$(echo "$out" | awk -v c="chan$A" '$1 == c')
check "list: chan$A, no name, capacity 8, msg_size 64, len 0, closed" \
	[ "$(echo "$line" | awk '{ print $2, $3, $4, $5, $6, $7, $8, $9 }')" = \
	  "- 8 64 0 0 0 yes closed" ]
line=$(echo "$out" | awk -v c="chan$B" '$1 == c')
check "list: chan$B holds 3 messages" [ "$(echo "$line" | awk '{ print $5 }')" = 3 ]
nch=0
for d in "$SYS"/chan*; do
	nch=$((nch + 1))
done
check "list: a header and one line per channel" [ "$(echo "$out" | wc -l)" = $((nch + 1)) ]

last_args="info $B"
run info "$B"
expect "info" 0 "index: $B
name: *
capacity: 16
msg_size: 4096
len: 3
closed: 0*" ""
for kv in "stats/sent: 3" "breaker/mode: metrics_only" "rate/rate: 0" \
	"stats/breaker_rejected: 0" "readers: 0"; do
	if echo "$out" | grep -qxF "$kv"; then
		ok "info shows '$kv'"
	else
		not_ok "info shows '$kv'" "$(echo "$out" | grep "^${kv%%:*}:")"
	fi
done
last_args="info 999999"
run info 999999
expect "info of a missing channel: ENOENT" 1 "" \
	"chanctl: info: chan999999: No such file or directory (ENOENT)"

# --- names ---

if [ $names = 1 ]; then
	create_chan --name cctl.jobs_1 --capacity 8
	N=$idx
	expect "create --name prints the name" 0 "chan$N /dev/chan$N name=cctl.jobs_1" ""
	check "sysfs name" [ "$(sysfs "$N" name)" = cctl.jobs_1 ]
	last_args="create --name cctl.jobs_1"
	run create --name cctl.jobs_1
	expect "create of a taken name: EEXIST" 1 "" \
		"chanctl: create: cctl.jobs_1: File exists (EEXIST)"
	last_args="create --name .hidden"
	run create --name .hidden
	expect "create of an invalid name: EINVAL" 1 "" \
		"chanctl: create: .hidden: Invalid argument (EINVAL)"
	last_args="send cctl.jobs_1 by-name"
	run send cctl.jobs_1 by-name
	expect "send by name" 0 "" ""
	check "it reached chan$N" [ "$(sysfs "$N" len)" = 1 ]
	run recv cctl.jobs_1
	expect "recv by name" 0 "by-name" ""
	run list
	line=$(echo "$out" | awk -v c="chan$N" '$1 == c')
	check "list shows the name" [ "$(echo "$line" | awk '{ print $2, $3 }')" = "cctl.jobs_1 8" ]
	run info cctl.jobs_1
	expect "info by name shows the name" 0 "index: $N
name: cctl.jobs_1
capacity: 8*" ""
	last_args="destroy cctl.jobs_1"
	run destroy cctl.jobs_1
	expect "destroy by name" 0 "" ""
	check "destroyed: gone from sysfs" [ ! -e "$SYS/chan$N" ]
else
	for what in "create --name" "create of a taken name: EEXIST" \
		"send, recv, list, info, destroy by name"; do
		skip "$what: the module has no channel names"
	done
fi

# --- destroy everything created ---

for i in $created; do
	[ -e "$SYS/chan$i" ] || continue
	last_args="destroy $i"
	run destroy "$i"
	expect "destroy chan$i" 0 "" ""
	check "chan$i gone from sysfs and /dev" \
		test ! -e "$SYS/chan$i" -a ! -e "/dev/chan$i"
done
created=""

echo "1..$n"
[ $failed -eq 0 ]
