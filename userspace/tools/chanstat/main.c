// SPDX-License-Identifier: GPL-2.0
/*
 * chanstat: show every channel of the chan module. This file holds the
 * options and the modes: a one-shot table (two samples -i MS apart, for
 * the rates), --watch (a table per refresh, in place on a terminal),
 * --json, --prometheus and --waiters. The other files sample and print.
 *
 * Exit: 0 done, 1 an error (explained on stderr), 2 bad usage.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "chanstat.h"

#define EXIT_USAGE		2
#define DEFAULT_INTERVAL_MS	500
#define MAX_INTERVAL_MS		3600000
#define MAX_WATCH_S		86400.0

#define ANSI_CLEAR_HOME	"\033[H\033[2J"

enum view {
	VIEW_TABLE,
	VIEW_JSON,
	VIEW_PROMETHEUS,
	VIEW_WAITERS,
};

struct options {
	enum view view;
	int only_index;			/* -1: every channel */
	unsigned int interval_ms;	/* one-shot table: between the samples */
	double watch_s;			/* 0: no --watch */
	long count;			/* --watch refreshes, 0: until SIGINT */
};

static volatile sig_atomic_t stop_requested;

void warn(const char *fmt, ...)
{
	va_list ap;

	fputs("chanstat: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/*
 * @fmt's path under $CHANSTAT_ROOT, a directory standing in for / (for
 * tests: a fake /sys and /dev), into @buf.
 */
const char *root_path(char *buf, size_t size, const char *fmt, ...)
{
	const char *root = getenv("CHANSTAT_ROOT") ?: "";
	size_t len;
	va_list ap;

	len = snprintf(buf, size, "%s", root);
	if (len >= size)
		len = size - 1;
	va_start(ap, fmt);
	vsnprintf(buf + len, size - len, fmt, ap);
	va_end(ap);
	return buf;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: chanstat [options] [INDEX]\n"
		"Show the channels of the chan module (/sys/class/chan/chan*), or only\n"
		"channel INDEX.\n"
		"\n"
		"  -i, --interval MS   one-shot table: sample twice, MS apart, for the\n"
		"                      rates (default %d; 0: one sample, no rates)\n"
		"  -w, --watch SEC     redraw the table every SEC seconds (fractions\n"
		"                      allowed), like top, until Ctrl-C\n"
		"  -n, --count N       with --watch: stop after N tables\n"
		"  -j, --json          one JSON document, every gauge, counter and\n"
		"                      histogram\n"
		"  -p, --prometheus    Prometheus text format 0.0.4 (node_exporter's\n"
		"                      textfile collector)\n"
		"  -W, --waiters       who is parked where, from debugfs, longest wait\n"
		"                      first\n"
		"  -h, --help          this text\n"
		"\n"
		"Table columns: CHAN index; CAP capacity; LEN messages queued; FILL\n"
		"LEN against CAP (unbuf: unbuffered); WAIT-S/WAIT-R senders/receivers\n"
		"parked now; SEND/s RECV/s messages per second; P50 P99 the senders'\n"
		"wait percentiles (upper bound of their log2 bucket; - when unknown, as\n"
		"for a device you may not open); MAX the longest send wait; BREAKER\n"
		"closed, open, half_open, or off (mode disabled). On a terminal an\n"
		"open breaker is red and a half-open one yellow, unless NO_COLOR is set\n"
		"(to a non-empty value).\n"
		"\n"
		"Examples:\n"
		"  chanstat                      every channel, rates over 0.5 s\n"
		"  chanstat -w 1                 refresh every second\n"
		"  chanstat 3 -w 0.5 -n 20       channel 3, twenty tables\n"
		"  chanstat --json | jq '.channels[] | {index, len, stats}'\n"
		"  chanstat --waiters            needs root and debugfs\n"
		"  chanstat --prometheus > /var/lib/node_exporter/chan.prom.$$ &&\n"
		"      mv /var/lib/node_exporter/chan.prom.$$ /var/lib/node_exporter/chan.prom\n"
		"\n"
		"Histograms need read access to /dev/chan<N> (chanstat opens each one\n"
		"read-only for a moment). CHANSTAT_ROOT=DIR reads DIR/sys and DIR/dev\n"
		"instead of /sys and /dev (for tests).\n"
		"\n"
		"Exit: 0 done; 1 an error (module not loaded, no such channel, no\n"
		"debugfs, ...); 2 bad usage.\n",
		DEFAULT_INTERVAL_MS);
}

static __attribute__((noreturn, format(printf, 1, 2)))
void usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("chanstat: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'chanstat --help'.\n", stderr);
	exit(EXIT_USAGE);
}

/* A whole decimal number in [@min, @max], or a usage error about @what. */
static long parse_long(const char *s, long min, long max, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		usage_error("%s must be a whole number in %ld..%ld, not '%s'",
			    what, min, max, s);
	return v;
}

static double parse_seconds(const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < 0.01 ||
	    v > MAX_WATCH_S)
		usage_error("--watch takes seconds in 0.01..%.0f, not '%s'",
			    MAX_WATCH_S, s);
	return v;
}

static void set_view(struct options *o, enum view view)
{
	if (o->view != VIEW_TABLE && o->view != view)
		usage_error("--json, --prometheus and --waiters exclude each other");
	o->view = view;
}

static void parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "interval", required_argument, NULL, 'i' },
		{ "watch", required_argument, NULL, 'w' },
		{ "count", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "prometheus", no_argument, NULL, 'p' },
		{ "waiters", no_argument, NULL, 'W' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":i:w:n:jpWh", longopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			o->interval_ms = parse_long(optarg, 0, MAX_INTERVAL_MS,
						    "--interval");
			break;
		case 'w':
			o->watch_s = parse_seconds(optarg);
			break;
		case 'n':
			o->count = parse_long(optarg, 1, LONG_MAX, "--count");
			break;
		case 'j':
			set_view(o, VIEW_JSON);
			break;
		case 'p':
			set_view(o, VIEW_PROMETHEUS);
			break;
		case 'W':
			set_view(o, VIEW_WAITERS);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case ':':
			usage_error("%s needs a value", argv[optind - 1]);
		default:
			if (optopt)
				usage_error("unknown option -%c", optopt);
			usage_error("unknown option %s", argv[optind - 1]);
		}
	}
	if (optind < argc)
		o->only_index = parse_long(argv[optind++], 0, INT_MAX,
					   "the channel INDEX");
	if (optind < argc)
		usage_error("one channel INDEX at most ('%s' is one too many)",
			    argv[optind]);
	if (o->watch_s && o->view != VIEW_TABLE)
		usage_error("--watch shows the table only");
	if (o->count && !o->watch_s)
		usage_error("--count goes with --watch");
}

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* SIGINT and SIGTERM end a --watch between two tables, not in the middle. */
static void catch_stop_signals(void)
{
	struct sigaction sa = { .sa_handler = on_stop_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

/* Sleep until CLOCK_MONOTONIC @deadline_ns; false when a stop signal came. */
static bool sleep_until(uint64_t deadline_ns)
{
	struct timespec ts = {
		.tv_sec = deadline_ns / NSEC_PER_SEC,
		.tv_nsec = deadline_ns % NSEC_PER_SEC,
	};

	while (!stop_requested &&
	       clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
	return !stop_requested;
}

/*
 * The next refresh of a --watch every @period_ns after @last: on the
 * schedule, skipping the refreshes that sampling too slowly missed.
 */
static uint64_t next_refresh(uint64_t last, uint64_t period_ns)
{
	uint64_t now = monotonic_ns(), next = last + period_ns;

	if (next < now)
		next += (now - next) / period_ns * period_ns + period_ns;
	return next;
}

static bool colour_wanted(void)
{
	const char *no_color = getenv("NO_COLOR");

	return isatty(STDOUT_FILENO) && !(no_color && *no_color);
}

/* The title line of a --watch on a terminal. */
static void print_watch_title(FILE *out, const struct options *o,
			      const struct snapshot *snap)
{
	char when[16] = "";
	time_t now = time(NULL);
	struct tm tm;

	if (localtime_r(&now, &tm))
		strftime(when, sizeof(when), "%H:%M:%S", &tm);
	fprintf(out, "chanstat  %s  every %gs  %zu channel%s  (Ctrl-C quits)\n\n",
		when, o->watch_s, snap->nr, snap->nr == 1 ? "" : "s");
}

/*
 * One --watch table, written at once: in place of the last one on a
 * terminal, after a blank line otherwise.
 */
static int draw_watch_table(const struct options *o, const struct snapshot *prev,
			    const struct snapshot *cur, bool tty, bool first)
{
	char *frame = NULL;
	size_t len = 0;
	FILE *out;
	int err;

	out = open_memstream(&frame, &len);
	if (!out)
		return -ENOMEM;
	if (tty) {
		fputs(ANSI_CLEAR_HOME, out);
		print_watch_title(out, o, cur);
	} else if (!first) {
		fputc('\n', out);
	}
	err = table_print(out, prev, cur, tty && colour_wanted());
	if (fclose(out))
		err = -ENOMEM;
	if (!err)
		fwrite(frame, 1, len, stdout);
	free(frame);
	fflush(stdout);
	return err;
}

static int run_watch(const struct options *o)
{
	uint64_t period_ns = (uint64_t)(o->watch_s * NSEC_PER_SEC);
	bool tty = isatty(STDOUT_FILENO);
	struct snapshot prev, cur;
	uint64_t refresh;
	long shown = 0;
	int err = 0;

	catch_stop_signals();
	refresh = monotonic_ns();
	if (snapshot_take(&prev, o->only_index))
		return 1;
	for (;;) {
		refresh = next_refresh(refresh, period_ns);
		if (!sleep_until(refresh))
			break;
		err = snapshot_take(&cur, o->only_index);
		if (err)
			break;
		err = draw_watch_table(o, &prev, &cur, tty, !shown);
		snapshot_free(&prev);
		prev = cur;
		if (err) {
			warn("out of memory");
			break;
		}
		if (o->count && ++shown >= o->count)
			break;
	}
	snapshot_free(&prev);
	return err ? 1 : 0;
}

static int run_table(const struct options *o)
{
	struct snapshot first, second;
	int err;

	if (snapshot_take(&first, o->only_index))
		return 1;
	if (!o->interval_ms) {
		err = table_print(stdout, NULL, &first, colour_wanted());
	} else {
		sleep_until(first.taken_ns + o->interval_ms * NSEC_PER_MSEC);
		err = snapshot_take(&second, o->only_index);
		if (err) {
			snapshot_free(&first);
			return 1;
		}
		err = table_print(stdout, &first, &second, colour_wanted());
		snapshot_free(&second);
	}
	snapshot_free(&first);
	if (err)
		warn("out of memory");
	return err ? 1 : 0;
}

/* --json, --prometheus, --waiters: one sample, printed once. */
static int run_once(const struct options *o)
{
	struct snapshot snap;
	int err = 0;

	if (snapshot_take(&snap, o->only_index))
		return 1;
	if (o->view == VIEW_JSON)
		json_print(stdout, &snap);
	else if (o->view == VIEW_PROMETHEUS)
		prom_print(stdout, &snap);
	else
		err = waiters_print(stdout, &snap);
	snapshot_free(&snap);
	return err ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct options o = {
		.view = VIEW_TABLE,
		.only_index = -1,
		.interval_ms = DEFAULT_INTERVAL_MS,
	};
	int code;

	parse_options(argc, argv, &o);
	if (o.watch_s)
		code = run_watch(&o);
	else if (o.view == VIEW_TABLE)
		code = run_table(&o);
	else
		code = run_once(&o);
	if (fflush(stdout) || ferror(stdout)) {
		warn("writing the output: %s", strerror(errno));
		code = 1;
	}
	return code;
}
