#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# chaos_rehearsal: rehearse a stalled consumer on a live channel with the
# chaos knobs (chan(4), Chaos), from the shell, with chanctl and chanstat.
# Run as root with chan.ko loaded:
#
#	chaos_rehearsal.sh [NAME]
#
# A consumer (chanctl recv --all) takes jobs from channel NAME (default
# "orders", created here with capacity 4 and a breaker that opens after 3
# failures in a row); a producer sends jobs with a 50 ms timeout. Then:
#
#	(a) chaos pauses the receivers: the consumer is parked but gets
#	    nothing; 4 jobs fill the channel, the next 3 time out, the breaker
#	    opens and refuses the rest at once; a receive finds nothing;
#	    chanstat shows it all;
#	(b) the pause is lifted: the consumer takes the 4 held jobs; after
#	    the open period a probe job goes through and the breaker closes;
#	(c) the channel is closed: the consumer drains it and exits.
#
# Exit 0 when the breaker was seen open and then closed, and the consumer
# received exactly the jobs the producer's sends accepted, in order;
# 1 otherwise, saying why. The tools come from $KCHAN_TOOLS (default
# /kchan/tools, the test VM's) or $PATH.
set -u
PATH=${KCHAN_TOOLS:-/kchan/tools}:$PATH
export NO_COLOR=1
name=${1:-orders}
tmp=$(mktemp -d)
fail=0
idx=
cpid=

cleanup() {
	[ -n "$cpid" ] && kill "$cpid" 2>/dev/null
	[ -n "$idx" ] && chanctl destroy --force "$idx" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT

# Show a command, then run it.
run() {
	echo "# $*"
	"$@"
}

# expect CONDITION WHY: note a failure unless the shell test CONDITION holds.
expect() {
	if ! eval "$1"; then
		echo "!! $2"
		fail=1
	fi
}

state() {
	cat "/sys/class/chan/chan$idx/breaker/state"
}

# send JOB: one send with a 50 ms timeout; accepted jobs go to $tmp/sent.
send() {
	if err=$(chanctl send "$name" --timeout 50 "$1" 2>&1); then
		echo "$1" >>"$tmp/sent"
		printf '%-6s accepted\n' "$1"
	else
		printf '%-6s %s\n' "$1" "${err##*: }"
	fi
}

echo "== a channel with a breaker, and a consumer"
echo "# chanctl create --name $name --capacity 4"
out=$(chanctl create --name "$name" --capacity 4) || exit 1
echo "$out"
idx=${out#*chan}
idx=${idx%% *}
run chanctl breaker "$name" set mode=auto consecutive_failures=3 \
	open_min_ms=3000 open_ms=3000 open_max_ms=3000 half_open_probes=1 ||
	exit 1
chanctl recv "$name" --all >"$tmp/received" 2>"$tmp/consumer.err" &
cpid=$!
: >"$tmp/sent"
send job1
send job2

echo
echo "== (a) chaos pauses the receivers"
run chanctl chaos "$name" set pause_recv=1
for i in 3 4 5 6 7 8 9 10 11 12; do
	send "job$i"
done
run chanctl recv "$name" --nonblock
run chanstat -i 0 "$idx"
run chanctl chaos "$name"
expect '[ "$(state)" = open ]' "the breaker is not open (it is $(state))"
expect '[ "$(cat /sys/class/chan/chan$idx/len)" = 4 ]' \
	"the channel does not hold 4 jobs"

echo
echo "== (b) the pause is lifted"
run chanctl chaos "$name" off
sleep 3.5
send job13
run chanstat -i 0 "$idx"
expect '[ "$(state)" = closed ]' "the breaker did not close again"

echo
echo "== (c) close: the consumer drains the channel and exits"
run chanctl close "$name"
wait "$cpid"
rc=$?
cpid=
expect '[ $rc = 0 ]' "the consumer exited $rc: $(cat "$tmp/consumer.err")"
sent=$(wc -l <"$tmp/sent")
received=$(wc -l <"$tmp/received")
# shellcheck disable=SC2046
echo "accepted $sent jobs, the consumer received $received:" \
	$(cat "$tmp/received")
expect 'cmp -s "$tmp/sent" "$tmp/received"' \
	"the jobs received are not the jobs accepted"
if [ $fail = 0 ]; then
	echo "nothing lost: every accepted job was received once, in order"
fi
exit $fail
