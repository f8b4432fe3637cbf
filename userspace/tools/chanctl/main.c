// SPDX-License-Identifier: GPL-2.0
/*
 * chanctl: create, inspect, configure and use the channels of the chan
 * module from the command line. This file holds the subcommand table (in
 * the style of wireguard-tools' wg), the help texts and the dispatch; one
 * file per group of subcommands does the work: create.c (create, destroy,
 * list, info, close, capacity), xfer.c (send, recv), guard.c (breaker,
 * rate), chaos.c (chaos). See chanctl(8).
 *
 * Exit: 0 done, 1 an operation failed (one line on stderr naming the
 * errno), 2 bad usage.
 */
#include <stdio.h>
#include <string.h>

#include "chanctl.h"

static int cmd_help(int argc, char **argv);

static const struct cmd cmds[] = {
	{ "create", cmd_create,
	  "[--capacity N] [--msg-size N] [--name NAME] [--index N] [--mode OCTAL]\n"
	  "              [--owner UID] [--group GID] [--autoclose]",
	  "create a channel, print its index and node",
	  "  -c, --capacity N   messages it buffers; 0: unbuffered (default 16)\n"
	  "  -s, --msg-size N   largest message in bytes (default 4096)\n"
	  "  -n, --name NAME    its name: 1..31 of [A-Za-z0-9._-], not starting with '.'\n"
	  "  -i, --index N      the index wanted (default: the lowest free one)\n"
	  "  -m, --mode OCTAL   permissions of /dev/chan<N> (default 0600)\n"
	  "  -u, --owner UID    owner of the node (default: the caller)\n"
	  "  -g, --group GID    group of the node (default: the caller's)\n"
	  "  -a, --autoclose    close the channel when its last writer goes away\n"
	  "Examples:\n"
	  "  # chanctl create --capacity 64 --name jobs\n"
	  "  chan4 /dev/chan4 name=jobs\n"
	  "  # chanctl create --capacity 0 --mode 0666\n"
	  "  chan5 /dev/chan5\n" },
	{ "destroy", cmd_destroy, "CHAN [--force]",
	  "destroy a channel",
	  "  -f, --force        even while files are open: their waiters and later\n"
	  "                     calls get ENODEV (EBUSY otherwise)\n"
	  "Example:\n"
	  "  # chanctl destroy jobs\n" },
	{ "list", cmd_list, "",
	  "one line per channel, from /sys/class/chan",
	  "Columns: the channel, its name (- if none), capacity, msg_size, messages\n"
	  "queued, senders and receivers parked, closed (yes/no), breaker state.\n"
	  "Example:\n"
	  "  # chanctl list\n"
	  "  CHAN   NAME CAPACITY MSG_SIZE    LEN SENDERS RECEIVERS CLOSED BREAKER\n"
	  "  chan0  -          16     4096      0       0         0 no     closed\n"
	  "  chan4  jobs       64     4096      2       0         0 no     closed\n" },
	{ "info", cmd_info, "CHAN",
	  "every sysfs attribute of a channel, as key: value",
	  "Keys are the sysfs files of /sys/class/chan/chan<N>, with their\n"
	  "directory: capacity, len, stats/sent, breaker/state, rate/rate, ...\n"
	  "Example:\n"
	  "  # chanctl info jobs | grep -e ^name -e ^len\n"
	  "  name: jobs\n"
	  "  len: 2\n" },
	{ "close", cmd_close, "CHAN",
	  "close a channel (Go's close): sends fail, receivers drain it",
	  "Example:\n"
	  "  # chanctl close jobs\n" },
	{ "capacity", cmd_capacity, "CHAN [N]",
	  "show or set the capacity of a channel",
	  "Example:\n"
	  "  # chanctl capacity jobs 128\n"
	  "  # chanctl capacity jobs\n"
	  "  128\n" },
	{ "send", cmd_send, "CHAN [--timeout MS|--nonblock] [--hex] [MESSAGE...]",
	  "send each MESSAGE, or each line of stdin, as one message",
	  "  -t, --timeout MS   wait at most MS ms for room (ETIMEDOUT)\n"
	  "  -N, --nonblock     do not wait (EAGAIN)\n"
	  "  -x, --hex          messages are hex (\"de ad:be-ef\": pairs of digits,\n"
	  "                     spaces, ':' and '-' between them ignored)\n"
	  "Without MESSAGE, every line of stdin is a message, without its newline.\n"
	  "Examples:\n"
	  "  # chanctl send jobs build test\n"
	  "  # printf 'one\\ntwo\\n' | chanctl send 4 --timeout 1000\n"
	  "  # chanctl send /dev/chan4 --hex 00ff10\n" },
	{ "recv", cmd_recv, "CHAN [--count N|--all] [--timeout MS|--nonblock] [--hex]",
	  "receive messages, one per line",
	  "  -c, --count N      receive N messages (default 1)\n"
	  "  -a, --all          until the channel is closed and drained, or a\n"
	  "                     receive times out (--timeout, --nonblock)\n"
	  "  -t, --timeout MS   wait at most MS ms for each message (ETIMEDOUT)\n"
	  "  -N, --nonblock     do not wait (EAGAIN)\n"
	  "  -x, --hex          print messages in hex\n"
	  "Examples:\n"
	  "  # chanctl recv jobs --count 2\n"
	  "  build\n"
	  "  test\n"
	  "  # chanctl recv jobs --all --nonblock --hex\n"
	  "  00ff10\n" },
	{ "breaker", cmd_breaker, "CHAN [set KEY=VALUE... | reset]",
	  "show, configure or reset the circuit breaker of a channel",
	  "Keys: mode (disabled, auto, forced_open, metrics_only), window_ms,\n"
	  "min_calls, failure_pct, consecutive_failures, slow_ms, slow_pct, open_ms,\n"
	  "open_min_ms, open_max_ms, half_open_probes, half_open_max_ms, flags\n"
	  "(a number, or adaptive-threshold). Unset keys keep their values.\n"
	  "Examples:\n"
	  "  # chanctl breaker jobs set mode=auto failure_pct=30 open_ms=2000\n"
	  "  # chanctl breaker jobs | head -2\n"
	  "  mode: auto\n"
	  "  window_ms: 10000\n"
	  "  # chanctl breaker jobs reset\n" },
	{ "rate", cmd_rate, "CHAN [RATE [BURST]]",
	  "show or set the rate limiter of a channel",
	  "RATE messages a second (0 turns the limit off), bursts of BURST\n"
	  "(default: RATE, or 1 when RATE is 0).\n"
	  "Examples:\n"
	  "  # chanctl rate jobs 100 10\n"
	  "  # chanctl rate jobs\n"
	  "  rate: 100\n"
	  "  burst: 10\n"
	  "  tokens: 10\n" },
	{ "chaos", cmd_chaos, "CHAN [set KEY=VALUE... | off]",
	  "show or set the chaos knobs of a channel, for rehearsals",
	  "Keys: send_delay_us, recv_delay_us (0..60000000), send_fail_ppm\n"
	  "(0..1000000), pause_recv (0 or 1); see chan(4), Chaos. Unset keys keep\n"
	  "their values; off sets them all to 0. Writes the sysfs files: needs\n"
	  "root or owning the channel.\n"
	  "Examples:\n"
	  "  # chanctl chaos jobs set pause_recv=1\n"
	  "  # chanctl chaos jobs\n"
	  "  send_delay_us: 0\n"
	  "  recv_delay_us: 0\n"
	  "  send_fail_ppm: 0\n"
	  "  pause_recv: 1\n"
	  "  injected: 12\n"
	  "  # chanctl chaos jobs off\n" },
	{ "help", cmd_help, "[SUBCOMMAND]",
	  "show this help, or a subcommand's",
	  "" },
};

#define NR_CMDS ARRAY_SIZE(cmds)

const struct cmd *cur_cmd;

static const struct cmd *find_cmd(const char *name)
{
	size_t i;

	for (i = 0; i < NR_CMDS; i++)
		if (strcmp(cmds[i].name, name) == 0)
			return &cmds[i];
	return NULL;
}

void print_cmd_help(const struct cmd *cmd, bool full)
{
	printf("usage: chanctl %s %s\n", cmd->name, cmd->synopsis);
	if (full)
		printf("%s.\n%s", cmd->summary, cmd->help);
}

static void usage(FILE *f)
{
	size_t i;

	fprintf(f,
		"usage: chanctl SUBCOMMAND [ARGS]\n"
		"       chanctl --help | --version\n"
		"Subcommands:\n");
	for (i = 0; i < NR_CMDS; i++)
		fprintf(f, "  %-9s %s\n", cmds[i].name, cmds[i].summary);
	fprintf(f,
		"CHAN is an index (3), chan3, /dev/chan3, /dev/chan/NAME or a name.\n"
		"'chanctl help SUBCOMMAND' shows its options and examples.\n"
		"Exit status: 0 done, 1 an operation failed, 2 bad usage.\n");
}

static int cmd_help(int argc, char **argv)
{
	const struct cmd *cmd;

	if (argc > 2)
		return usage_error("too many arguments");
	if (argc < 2) {
		usage(stdout);
		return 0;
	}
	cmd = find_cmd(argv[1]);
	if (!cmd)
		return usage_error("unknown subcommand '%s'", argv[1]);
	print_cmd_help(cmd, true);
	return 0;
}

int main(int argc, char **argv)
{
	const struct cmd *cmd;
	int i;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("chanctl %s (libchan %d.%d, chan ABI %d)\n", CHANCTL_VERSION,
		       LIBCHAN_VERSION_MAJOR, LIBCHAN_VERSION_MINOR,
		       CHAN_ABI_VERSION);
		return 0;
	}
	cmd = find_cmd(argv[1]);
	if (!cmd) {
		fprintf(stderr, "chanctl: unknown subcommand '%s'\n", argv[1]);
		usage(stderr);
		return EXIT_USAGE;
	}
	cur_cmd = cmd;
	/* "chanctl SUBCOMMAND --help" anywhere before a lone "--". */
	for (i = 2; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			print_cmd_help(cmd, true);
			return 0;
		}
	}
	reset_opts();
	return cmd->fn(argc - 1, argv + 1);
}
