// SPDX-License-Identifier: GPL-2.0
/*
 * chanbench: the chan device against pipes, POSIX mq, AF_UNIX
 * SOCK_SEQPACKET and eventfd, in one boot, as ratios.
 *
 * This file holds the options, the scenario table, the schedule and the
 * arithmetic: for each scenario, every transport first gets a verification
 * run (every message checked to arrive exactly once, intact, in order),
 * then a warm-up that measures its rate; the timed runs then all move the
 * same number of messages (--target-ms at the median warm-up rate; fewer
 * for a transport that would take over three times that), interleaved
 * across transports (ABCD ABCD ...). Each figure
 * is the median of the runs, with min and max; each ratio chan/peer is
 * computed per interleaved run pair and reported as the median of those.
 * Last, the project's performance goals are judged from the ratios.
 *
 * Run as root with chan.ko loaded; see --help.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chanbench.h"

#define MAX_SCENARIOS	24
#define MAX_COUNT	(1ULL << 24)

static struct scenario scenarios[MAX_SCENARIOS];
static int nscenarios;
static struct bench_opts opts = {
	.runs = 7,
	.target_ms = 400,
	.timeout_s = 120,
};

static bool quiet;

#define GOAL(t, s, p, c, v) \
	{ .text = (t), .scenario = (s), .peer = (p), .cmp = (c), .target = (v) }

static struct goal goals[] = {
	GOAL("Streaming 64 B, capacity 64: >= 1.0x pipe msgs/s",
	     "stream-64-c64", "pipe", GOAL_RATIO_MIN, 1.0),
	GOAL("Streaming 64 B, capacity 64: >= 1.2x mq msgs/s",
	     "stream-64-c64", "mq", GOAL_RATIO_MIN, 1.2),
	GOAL("Streaming 64 B, capacity 1024: >= 1.0x pipe msgs/s",
	     "stream-64-c1024", "pipe", GOAL_RATIO_MIN, 1.0),
	GOAL("Streaming 64 B, capacity 1024: >= 1.2x mq msgs/s",
	     "stream-64-c1024", "mq", GOAL_RATIO_MIN, 1.2),
	GOAL("Streaming 4 KiB, capacity 64: >= 1.0x pipe msgs/s",
	     "stream-4k-c64", "pipe", GOAL_RATIO_MIN, 1.0),
	GOAL("Streaming 4 KiB, capacity 1024: >= 1.0x pipe msgs/s",
	     "stream-4k-c1024", "pipe", GOAL_RATIO_MIN, 1.0),
	GOAL("Fan-in 4 -> 1: >= 1.0x pipe msgs/s",
	     "fanin", "pipe", GOAL_RATIO_MIN, 1.0),
	GOAL("Fan-in 4 -> 1: <= 1.1 wake-ups per message",
	     "fanin", NULL, GOAL_WAKEUPS_MAX, 1.1),
	GOAL("Fan-out 1 -> 4: >= 1.0x pipe msgs/s",
	     "fanout", "pipe", GOAL_RATIO_MIN, 1.0),
	GOAL("Fan-out 1 -> 4: <= 1.1 wake-ups per message",
	     "fanout", NULL, GOAL_WAKEUPS_MAX, 1.1),
	GOAL("Ping-pong: round trip <= 1.0x pipe's",
	     "pingpong", "pipe", GOAL_RATIO_MAX, 1.0),
	GOAL("Ping-pong: round trip <= 1.0x mq's",
	     "pingpong", "mq", GOAL_RATIO_MAX, 1.0),
	GOAL("Unbuffered rendezvous: time per message <= 0.6x a pipe round trip",
	     "rendezvous", "pipe", GOAL_RATIO_MAX, 0.6),
	GOAL("Batch 64: >= 3x pipe (one message per syscall) msgs/s",
	     "batch64", "pipe", GOAL_RATIO_MIN, 3.0),
	GOAL("Batch 64: >= 1.0x sendmmsg/recvmmsg on SEQPACKET msgs/s",
	     "batch64", "seqpacket", GOAL_RATIO_MIN, 1.0),
	GOAL("Uncontended send+receive: time <= 1.0x pipe's",
	     "uncontended", "pipe", GOAL_RATIO_MAX, 1.0),
	GOAL("Breaker AUTO + rate limiter, idle, streaming: >= 0.95x msgs/s of neither",
	     "guard-stream", "chan (no breaker, no limit)", GOAL_RATIO_MIN, 0.95),
	GOAL("Breaker AUTO + rate limiter, idle, ping-pong: round trip <= 1.05x neither's",
	     "guard-pingpong", "chan (no breaker, no limit)", GOAL_RATIO_MAX, 1.05),
	GOAL("Open breaker: a refused send costs <= 1.0x a non-blocking write to a full pipe",
	     "breaker-refuse", "pipe (full, O_NONBLOCK: EAGAIN)", GOAL_RATIO_MAX, 1.0),
};

static __attribute__((format(printf, 1, 2))) void progress(const char *fmt, ...)
{
	va_list ap;

	if (quiet)
		return;
	fputs("chanbench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
}

static __attribute__((noreturn, format(printf, 1, 2))) void die(const char *fmt, ...)
{
	va_list ap;

	fputs("chanbench: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

/* ---- the scenario table ---- */

static struct scenario *add_scenario(const char *name, enum ratio_kind ratio,
				     const char *latency, const char *fmt, ...)
{
	struct scenario *s = &scenarios[nscenarios++];
	va_list ap;

	s->name = name;
	s->ratio = ratio;
	s->latency = latency;
	va_start(ap, fmt);
	vsnprintf(s->title, sizeof(s->title), fmt, ap);
	va_end(ap);
	return s;
}

static struct bench_case *add_case(struct scenario *s, enum transport_id tr,
				   enum work_kind kind, unsigned int capacity,
				   size_t msg_size, unsigned int producers,
				   unsigned int consumers, unsigned int batch,
				   const char *label, const char *unit)
{
	struct bench_case *bc = &s->m[s->ncases++].bc;

	bc->tr = tr;
	bc->kind = kind;
	bc->capacity = capacity;
	bc->msg_size = msg_size;
	bc->producers = producers;
	bc->consumers = consumers;
	bc->batch = batch;
	bc->label = label ? label : transport_names[tr];
	bc->unit = unit;
	return bc;
}

static const enum transport_id data_transports[] = {
	TR_CHAN, TR_PIPE, TR_PIPE_DIRECT, TR_MQ, TR_SEQPACKET,
};

static void build_scenarios(void)
{
	static const struct {
		const char *name;
		size_t size;
		unsigned int capacity;
	} streams[] = {
		{ "stream-64-c64", 64, 64 },
		{ "stream-64-c1024", 64, 1024 },
		{ "stream-1k-c64", 1024, 64 },
		{ "stream-1k-c1024", 1024, 1024 },
		{ "stream-4k-c64", 4096, 64 },
		{ "stream-4k-c1024", 4096, 1024 },
		{ "stream-64k-c64", 65536, 64 },
		{ "stream-64k-c1024", 65536, 1024 },
	};
	static const struct {
		const char *name;
		enum placement place;
		const char *where;
	} pingpongs[] = {
		{ "pingpong", PLACE_ANY, "placed by the scheduler" },
		{ "pingpong-1cpu", PLACE_SAME, "both pinned to CPU 0" },
		{ "pingpong-2cpu", PLACE_SPLIT, "pinned to CPUs 0 and 1" },
	};
	static const struct {
		const char *name;
		unsigned int k;
	} fanins[] = {
		{ "select-fanin-1", 1 },
		{ "select-fanin-4", 4 },
		{ "select-fanin-64", 64 },
	};
	static const char *const window =
		"ns per message, over windows of 64 messages at the consumer";
	struct bench_case *bc;
	struct scenario *s;
	unsigned int i, t;

	for (i = 0; i < ARRAY_SIZE(pingpongs); i++) {
		s = add_scenario(pingpongs[i].name, RATIO_TIME,
				 "round-trip time, every round trip",
				 "Ping-pong: round trips between two processes (%s), 64 B, capacity 1 each way",
				 pingpongs[i].where);
		s->p50_ratio = true;
		for (t = 0; t < ARRAY_SIZE(data_transports); t++) {
			bc = add_case(s, data_transports[t], WK_PINGPONG, 1, 64,
				      1, 1, 1, NULL, "round trip");
			bc->place = pingpongs[i].place;
		}
		bc = add_case(s, TR_EVENTFD, WK_PINGPONG, 1, 64, 1, 1, 1,
			      "eventfd (no payload)", "round trip");
		bc->place = pingpongs[i].place;
	}

	s = add_scenario("rendezvous", RATIO_TIME, window,
			 "Unbuffered rendezvous: chan capacity 0, 1 -> 1, 64 B; against a pipe round trip and mq capacity 1");
	s->p50_ratio = true;
	add_case(s, TR_CHAN, WK_STREAM, 0, 64, 1, 1, 1, "chan (capacity 0)", "msg");
	add_case(s, TR_PIPE, WK_PINGPONG, 1, 64, 1, 1, 1, "pipe (round trip)",
		 "round trip");
	add_case(s, TR_MQ, WK_STREAM, 1, 64, 1, 1, 1, "mq (capacity 1)", "msg");

	for (i = 0; i < ARRAY_SIZE(streams); i++) {
		s = add_scenario(streams[i].name, RATIO_THROUGHPUT, window,
				 "SPSC streaming: 1 producer -> 1 consumer, %zu B messages, capacity %u",
				 streams[i].size, streams[i].capacity);
		for (t = 0; t < ARRAY_SIZE(data_transports); t++)
			add_case(s, data_transports[t], WK_STREAM,
				 streams[i].capacity, streams[i].size, 1, 1, 1,
				 NULL, "msg");
	}

	s = add_scenario("fanin", RATIO_THROUGHPUT, window,
			 "Fan-in: 4 producers -> 1 consumer on one shared channel/pipe/queue/socket, 64 B, capacity 64");
	for (t = 0; t < ARRAY_SIZE(data_transports); t++)
		add_case(s, data_transports[t], WK_STREAM, 64, 64, 4, 1, 1,
			 NULL, "msg");

	s = add_scenario("fanout", RATIO_THROUGHPUT,
			 "ns per message at each consumer (which gets about a quarter of them), over windows of 64 of its messages",
			 "Fan-out: 1 producer -> 4 consumers on one shared channel/pipe/queue/socket, 64 B, capacity 64");
	for (t = 0; t < ARRAY_SIZE(data_transports); t++)
		add_case(s, data_transports[t], WK_STREAM, 64, 64, 1, 4, 1,
			 NULL, "msg");

	s = add_scenario("batch16", RATIO_THROUGHPUT, window,
			 "Batches of 16: chan CHAN_IOC_SEND_BATCH/RECV_BATCH vs sendmmsg/recvmmsg on SEQPACKET vs a pipe with one message per syscall, 64 B, capacity 1024");
	add_case(s, TR_CHAN, WK_STREAM, 1024, 64, 1, 1, 16, "chan (batch ioctls)", "msg");
	add_case(s, TR_SEQPACKET, WK_STREAM, 1024, 64, 1, 1, 16,
		 "seqpacket (sendmmsg/recvmmsg)", "msg");
	add_case(s, TR_PIPE, WK_STREAM, 1024, 64, 1, 1, 1, "pipe (1 msg/syscall)", "msg");

	s = add_scenario("batch64", RATIO_THROUGHPUT, window,
			 "Batches of 64: chan CHAN_IOC_SEND_BATCH/RECV_BATCH vs sendmmsg/recvmmsg on SEQPACKET vs a pipe with one message per syscall, 64 B, capacity 1024");
	add_case(s, TR_CHAN, WK_STREAM, 1024, 64, 1, 1, 64, "chan (batch ioctls)", "msg");
	add_case(s, TR_SEQPACKET, WK_STREAM, 1024, 64, 1, 1, 64,
		 "seqpacket (sendmmsg/recvmmsg)", "msg");
	add_case(s, TR_PIPE, WK_STREAM, 1024, 64, 1, 1, 1, "pipe (1 msg/syscall)", "msg");

	s = add_scenario("uncontended", RATIO_TIME,
			 "ns per send+receive pair, over windows of 64 pairs",
			 "Uncontended: one process sends and receives on one channel/pipe/queue/socket, 64 B, capacity 64");
	for (t = 0; t < ARRAY_SIZE(data_transports); t++)
		add_case(s, data_transports[t], WK_UNCONTENDED, 64, 64, 1, 1, 1,
			 NULL, "send+recv");
	add_case(s, TR_EVENTFD, WK_UNCONTENDED, 64, 64, 1, 1, 1,
		 "eventfd (no payload)", "send+recv");

	/*
	 * Select. Fan-in: one producer writes round-robin over K channels
	 * (or pipes), capacity 64 each; one consumer takes one message at a
	 * time from whichever is ready, Go's select over K receive cases.
	 * The baselines do the same over K pipes (and the same channels)
	 * with epoll_wait for one event and one read; the last row lets
	 * epoll_wait report every ready pipe and reads one message from
	 * each, the cheapest way to get there with epoll.
	 */
	for (i = 0; i < ARRAY_SIZE(fanins); i++) {
		unsigned int k = fanins[i].k;

		s = add_scenario(fanins[i].name, RATIO_THROUGHPUT, window,
				 "Select fan-in over %u link%s: 1 producer writes round-robin, 1 consumer takes one message at a time from any ready one, select vs epoll_wait + read, 64 B, capacity 64 each",
				 k, k > 1 ? "s" : "");
		bc = add_case(s, TR_CHAN, WK_MUX, 64, 64, 1, 1, 1,
			      "chan (select)", "msg");
		bc->links = k;
		bc->wait = WAIT_SELECT;
		bc = add_case(s, TR_PIPE, WK_MUX, 64, 64, 1, 1, 1,
			      "pipe (epoll_wait + read)", "msg");
		bc->links = k;
		bc->wait = WAIT_EPOLL_ONE;
		if (k > 1) {
			bc = add_case(s, TR_PIPE, WK_MUX, 64, 64, 1, 1, 1,
				      "pipe (epoll_wait all + reads)", "msg");
			bc->links = k;
			bc->wait = WAIT_EPOLL_ALL;
		}
		bc = add_case(s, TR_CHAN, WK_MUX, 64, 64, 1, 1, 1,
			      "chan (epoll_wait + read)", "msg");
		bc->links = k;
		bc->wait = WAIT_EPOLL_ONE;
	}

	/*
	 * Select ping-pong: both sides select over unbuffered channels, so
	 * a select meets a select: A sends in a one-case select on c1 while
	 * B receives in one, then back on c2.
	 */
	s = add_scenario("select-pingpong", RATIO_TIME,
			 "round-trip time, every round trip",
			 "Select ping-pong: round trips over two unbuffered channels, every send and receive a one-case select on both sides, vs read/write on them and a pipe, 64 B");
	s->p50_ratio = true;
	bc = add_case(s, TR_CHAN, WK_PINGPONG, 0, 64, 1, 1, 1,
		      "chan (select, capacity 0)", "round trip");
	bc->wait = WAIT_SELECT;
	add_case(s, TR_CHAN, WK_PINGPONG, 0, 64, 1, 1, 1,
		 "chan (read/write, capacity 0)", "round trip");
	add_case(s, TR_PIPE, WK_PINGPONG, 1, 64, 1, 1, 1, "pipe", "round trip");

	/*
	 * The guard's cost when it has nothing to do: the breaker in AUTO
	 * counting every send, and a rate limit far above what is sent,
	 * against a channel with neither (the first chan case is the one
	 * the ratios are of).
	 */
	s = add_scenario("guard-stream", RATIO_THROUGHPUT, window,
			 "Guard overhead, streaming: 1 -> 1, 64 B, capacity 64, breaker AUTO and a rate limit it never reaches vs neither");
	bc = add_case(s, TR_CHAN, WK_STREAM, 64, 64, 1, 1, 1,
		      "chan (breaker AUTO + rate limit)", "msg");
	bc->guard = GUARD_IDLE;
	add_case(s, TR_CHAN, WK_STREAM, 64, 64, 1, 1, 1,
		 "chan (no breaker, no limit)", "msg");
	bc = add_case(s, TR_CHAN, WK_STREAM, 64, 64, 1, 1, 1,
		      "chan (breaker AUTO only)", "msg");
	bc->guard = GUARD_BREAKER;
	bc = add_case(s, TR_CHAN, WK_STREAM, 64, 64, 1, 1, 1,
		      "chan (rate limit only)", "msg");
	bc->guard = GUARD_RATE;
	add_case(s, TR_PIPE, WK_STREAM, 64, 64, 1, 1, 1, NULL, "msg");

	/* The same per send+receive pair, with no scheduling in the way. */
	s = add_scenario("guard-uncontended", RATIO_TIME,
			 "ns per send+receive pair, over windows of 64 pairs",
			 "Guard overhead, uncontended: one process sends and receives, 64 B, capacity 64, breaker AUTO and a rate limit it never reaches vs neither");
	bc = add_case(s, TR_CHAN, WK_UNCONTENDED, 64, 64, 1, 1, 1,
		      "chan (breaker AUTO + rate limit)", "send+recv");
	bc->guard = GUARD_IDLE;
	add_case(s, TR_CHAN, WK_UNCONTENDED, 64, 64, 1, 1, 1,
		 "chan (no breaker, no limit)", "send+recv");
	bc = add_case(s, TR_CHAN, WK_UNCONTENDED, 64, 64, 1, 1, 1,
		      "chan (breaker AUTO only)", "send+recv");
	bc->guard = GUARD_BREAKER;
	bc = add_case(s, TR_CHAN, WK_UNCONTENDED, 64, 64, 1, 1, 1,
		      "chan (rate limit only)", "send+recv");
	bc->guard = GUARD_RATE;

	s = add_scenario("guard-pingpong", RATIO_TIME,
			 "round-trip time, every round trip",
			 "Guard overhead, ping-pong: 64 B, capacity 1 each way, breaker AUTO and a rate limit it never reaches on both channels vs neither");
	s->p50_ratio = true;
	bc = add_case(s, TR_CHAN, WK_PINGPONG, 1, 64, 1, 1, 1,
		      "chan (breaker AUTO + rate limit)", "round trip");
	bc->guard = GUARD_IDLE;
	add_case(s, TR_CHAN, WK_PINGPONG, 1, 64, 1, 1, 1,
		 "chan (no breaker, no limit)", "round trip");
	add_case(s, TR_PIPE, WK_PINGPONG, 1, 64, 1, 1, 1, NULL, "round trip");

	/*
	 * What "fail in microseconds" costs: a send the open breaker
	 * refuses, on a blocking fd, against the cheapest refusals there
	 * are: a non-blocking send on a full channel or pipe.
	 */
	s = add_scenario("breaker-refuse", RATIO_TIME,
			 "ns per refused send, over windows of 64",
			 "Refused sends: chan with its breaker open (ECONNREFUSED, blocking fd) vs a full chan and a full pipe written with O_NONBLOCK (EAGAIN), 64 B");
	bc = add_case(s, TR_CHAN, WK_REFUSE, 64, 64, 1, 1, 1,
		      "chan (breaker open: ECONNREFUSED)", "refused send");
	bc->guard = GUARD_OPEN;
	add_case(s, TR_CHAN, WK_REFUSE, 64, 64, 1, 1, 1,
		 "chan (full, O_NONBLOCK: EAGAIN)", "refused send");
	add_case(s, TR_PIPE, WK_REFUSE, 64, 64, 1, 1, 1,
		 "pipe (full, O_NONBLOCK: EAGAIN)", "refused send");
}

/* ---- filters ---- */

static bool scenario_exists(const char *name)
{
	int i;

	for (i = 0; i < nscenarios; i++)
		if (!strcmp(scenarios[i].name, name))
			return true;
	return false;
}

/*
 * @name is in the comma-separated @list; with @prefix an item that is not
 * itself a scenario name also names every scenario it starts, up to a '-'
 * or a digit ("stream", "batch").
 */
static bool in_list(const char *list, const char *name, bool prefix)
{
	char buf[512], *item, *save;
	size_t n;

	snprintf(buf, sizeof(buf), "%s", list);
	for (item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		n = strlen(item);
		if (!strcmp(item, name))
			return true;
		if (prefix && !scenario_exists(item) && !strncmp(item, name, n) &&
		    (name[n] == '-' || isdigit((unsigned char)name[n])))
			return true;
	}
	return false;
}

static void apply_filters(const char *sc_list, const char *tr_list)
{
	bool any = false;
	int i, j, k;
	char buf[512], *item, *save;

	if (tr_list) {
		snprintf(buf, sizeof(buf), "%s", tr_list);
		for (item = strtok_r(buf, ",", &save); item;
		     item = strtok_r(NULL, ",", &save)) {
			for (k = 0; k < TR_NR; k++)
				if (!strcmp(item, transport_names[k]))
					break;
			if (k == TR_NR)
				die("unknown transport '%s' (see --list)", item);
		}
	}
	for (i = 0; i < nscenarios; i++) {
		struct scenario *s = &scenarios[i];

		s->selected = !sc_list || in_list(sc_list, s->name, true);
		for (j = 0; j < s->ncases; j++) {
			s->m[j].status = M_NOT_RUN;
			if (tr_list && !in_list(tr_list, transport_names[s->m[j].bc.tr], false)) {
				memmove(&s->m[j], &s->m[j + 1],
					sizeof(s->m[0]) * (size_t)(s->ncases - j - 1));
				s->ncases--;
				j--;
			}
		}
		if (!s->ncases)
			s->selected = false;
		any |= s->selected;
	}
	if (!any)
		die("no scenario left after --scenario/--transport (see --list)");
}

/* ---- running ---- */

static uint64_t round_up(uint64_t v, uint64_t unit)
{
	return (v + unit - 1) / unit * unit;
}

static uint64_t count_unit(const struct bench_case *bc)
{
	/* producers (4), the latency window (64) and the batch size (64) */
	return bc->kind == WK_STREAM || bc->kind == WK_MUX ? 256 : 64;
}

static uint64_t min_count(const struct bench_case *bc)
{
	uint64_t n = count_unit(bc);

	/*
	 * Streaming runs span at least two fills of the buffer; a
	 * multiplexing run two fills of one link (all K of them would make a
	 * select over 64 links take seconds on a debug kernel).
	 */
	if ((bc->kind == WK_STREAM || bc->kind == WK_MUX) &&
	    2ULL * bc->capacity > n)
		n = round_up(2ULL * bc->capacity, count_unit(bc));
	return n;
}

static void set_failed(struct measurement *m, enum run_status rc,
		       const char *what, const char *err)
{
	switch (rc) {
	case RUN_UNSUPPORTED:
		m->status = M_UNSUPPORTED;
		break;
	case RUN_VERIFY_FAILED:
		m->status = M_VERIFY_FAILED;
		break;
	default:
		m->status = M_ERROR;
	}
	snprintf(m->err, sizeof(m->err), "%s%s%s", what, what[0] ? ": " : "", err);
}

static void verify_case(struct scenario *s, struct measurement *m)
{
	struct run_result r;
	enum run_status rc;
	char err[256];
	uint64_t n;

	n = m->bc.kind == WK_PINGPONG ? 256 : 1024;
	if (n < min_count(&m->bc))
		n = min_count(&m->bc);
	rc = bench_run(&m->bc, n, true, &r, NULL, err, sizeof(err));
	if (rc) {
		set_failed(m, rc, rc == RUN_UNSUPPORTED ? "" : "verification run", err);
		progress("%s: %s: %s", s->name, m->bc.label, m->err);
		return;
	}
	m->status = M_OK;
	m->eff_capacity = r.eff_capacity;
}

/* The warm-up: grow the count until a run is long enough to time. */
static void warm_up(struct scenario *s, struct measurement *m)
{
	uint64_t target = (uint64_t)opts.target_ms * 1000000ULL;
	uint64_t c = min_count(&m->bc);
	struct run_result r;
	enum run_status rc;
	char err[256];
	int tries;

	for (tries = 0;; tries++) {
		rc = bench_run(&m->bc, c, false, &r, NULL, err, sizeof(err));
		if (rc) {
			set_failed(m, rc, "warm-up", err);
			progress("%s: %s: %s", s->name, m->bc.label, m->err);
			return;
		}
		if (r.elapsed_ns * 4 >= target || c >= MAX_COUNT || tries >= 10)
			break;
		c = round_up(c * 4, count_unit(&m->bc));
	}
	m->warmup_rate = (double)c * 1e9 / (double)r.elapsed_ns;
}

/*
 * One count for every transport of a scenario, so that each run does the
 * same work: --target-ms at the median warm-up rate. A transport that
 * was much slower in its warm-up gets fewer, so that its runs stay within
 * SLOW_FACTOR times the target.
 */
#define SLOW_FACTOR	3

static void size_runs(struct scenario *s)
{
	double rates[MAX_CASES], target_s = opts.target_ms / 1000.0;
	uint64_t common, cap, c;
	struct summary sum;
	struct measurement *m;
	int i, n = 0;

	for (i = 0; i < s->ncases; i++)
		if (s->m[i].status == M_OK)
			rates[n++] = s->m[i].warmup_rate;
	if (!n)
		return;
	summarize(rates, n, &sum);
	common = (uint64_t)(sum.median * target_s);
	for (i = 0; i < s->ncases; i++) {
		m = &s->m[i];
		if (m->status != M_OK)
			continue;
		cap = (uint64_t)(m->warmup_rate * target_s * SLOW_FACTOR);
		c = common < cap ? common : cap;
		c = round_up(c ? c : 1, count_unit(&m->bc));
		if (c < min_count(&m->bc))
			c = min_count(&m->bc);
		if (c > MAX_COUNT)
			c = MAX_COUNT;
		m->count = c;
	}
}

static void derive(struct measurement *m)
{
	double a[MAX_RUNS], b[MAX_RUNS], c[MAX_RUNS];
	int i;

	for (i = 0; i < m->nruns; i++) {
		const struct run_result *r = &m->runs[i];

		a[i] = (double)r->ops * 1e9 / (double)r->elapsed_ns;
		b[i] = (double)r->elapsed_ns / (double)r->ops;
		c[i] = (double)r->csw / (double)r->ops;
	}
	summarize(a, m->nruns, &m->ops_per_s);
	summarize(b, m->nruns, &m->ns_per_op);
	summarize(c, m->nruns, &m->wakeups);
	m->p50 = hist_percentile(m->hist, 50);
	m->p99 = hist_percentile(m->hist, 99);
	m->p999 = hist_percentile(m->hist, 99.9);
}

static int chan_case(const struct scenario *s)
{
	int i;

	for (i = 0; i < s->ncases; i++)
		if (s->m[i].bc.tr == TR_CHAN)
			return i;
	return -1;
}

static void compute_ratios(struct scenario *s)
{
	const struct measurement *c, *p;
	double v[MAX_RUNS], v50[MAX_RUNS];
	int ci = chan_case(s), j, i, n;

	s->nratios = 0;
	if (ci < 0 || s->m[ci].status != M_OK)
		return;
	c = &s->m[ci];
	for (j = 0; j < s->ncases; j++) {
		p = &s->m[j];
		if (j == ci || p->status != M_OK)
			continue;
		n = c->nruns < p->nruns ? c->nruns : p->nruns;
		for (i = 0; i < n; i++) {
			const struct run_result *cr = &c->runs[i], *pr = &p->runs[i];
			double cns = (double)cr->elapsed_ns / (double)cr->ops;
			double pns = (double)pr->elapsed_ns / (double)pr->ops;

			/* throughput: (1/cns) / (1/pns) */
			v[i] = s->ratio == RATIO_TIME ? cns / pns : pns / cns;
			v50[i] = pr->p50_ns ? (double)cr->p50_ns / (double)pr->p50_ns : 0;
		}
		s->ratios[s->nratios].peer = j;
		summarize(v, n, &s->ratios[s->nratios].s);
		summarize(v50, n, &s->ratios[s->nratios].p50);
		s->nratios++;
	}
}

static void run_scenario(struct scenario *s)
{
	struct measurement *m;
	enum run_status rc;
	char err[256];
	int i, run;

	progress("%s: %s", s->name, s->title);
	for (i = 0; i < s->ncases; i++) {
		m = &s->m[i];
		m->hist = calloc(1, sizeof(*m->hist));
		if (!m->hist)
			die("out of memory");
		verify_case(s, m);
	}
	for (i = 0; i < s->ncases; i++)
		if (s->m[i].status == M_OK)
			warm_up(s, &s->m[i]);
	size_runs(s);
	for (run = 0; run < opts.runs; run++) {
		for (i = 0; i < s->ncases; i++) {
			m = &s->m[i];
			if (m->status != M_OK)
				continue;
			rc = bench_run(&m->bc, m->count, false, &m->runs[m->nruns],
				       m->hist, err, sizeof(err));
			if (rc) {
				char what[32];

				snprintf(what, sizeof(what), "run %d", run + 1);
				set_failed(m, rc, what, err);
				progress("%s: %s: %s", s->name, m->bc.label, m->err);
				continue;
			}
			m->nruns++;
		}
	}
	for (i = 0; i < s->ncases; i++) {
		m = &s->m[i];
		if (m->status == M_OK)
			derive(m);
		if (m->status == M_OK)
			progress("%s: %-30s %12.0f %s/s  %10.0f ns/%s", s->name,
				 m->bc.label, m->ops_per_s.median, m->bc.unit,
				 m->ns_per_op.median, m->bc.unit);
	}
	compute_ratios(s);
}

/* ---- goals ---- */

static struct scenario *find_scenario(const char *name)
{
	int i;

	for (i = 0; i < nscenarios; i++)
		if (!strcmp(scenarios[i].name, name))
			return &scenarios[i];
	return NULL;
}

static void judge(struct goal *g)
{
	const struct measurement *c, *p;
	const struct ratio *r = NULL;
	struct scenario *s = find_scenario(g->scenario);
	int ci, i;

	g->status = "not run";
	if (!s || !s->selected)
		return;
	ci = chan_case(s);
	if (ci < 0)
		return;
	c = &s->m[ci];
	if (c->status == M_UNSUPPORTED) {
		g->status = "unsupported";
		return;
	}
	if (c->status != M_OK) {
		g->status = "error";
		return;
	}
	if (g->cmp == GOAL_WAKEUPS_MAX) {
		g->measured = c->wakeups.median;
		g->lo = c->wakeups.min;
		g->hi = c->wakeups.max;
		g->status = g->measured <= g->target ? "met" : "missed";
		g->every_run = g->hi <= g->target;
		return;
	}
	for (i = 0; i < s->ncases; i++)
		if (i != ci && (!strcmp(s->m[i].bc.label, g->peer) ||
				!strcmp(transport_names[s->m[i].bc.tr], g->peer)))
			break;
	if (i == s->ncases)
		return;
	p = &s->m[i];
	if (p->status != M_OK) {
		g->status = "error";
		return;
	}
	for (ci = 0; ci < s->nratios; ci++)
		if (s->ratios[ci].peer == i)
			r = &s->ratios[ci];
	if (!r)
		return;
	g->measured = r->s.median;
	g->lo = r->s.min;
	g->hi = r->s.max;
	if (g->cmp == GOAL_RATIO_MIN) {
		g->status = g->measured >= g->target ? "met" : "missed";
		g->every_run = g->lo >= g->target;
	} else {
		g->status = g->measured <= g->target ? "met" : "missed";
		g->every_run = g->hi <= g->target;
	}
}

/* ---- main ---- */

static void on_signal(int sig)
{
	bench_run_kill();
	bench_sys_cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void list(void)
{
	int i, j;

	printf("scenarios:\n");
	for (i = 0; i < nscenarios; i++) {
		printf("  %-18s %s\n", scenarios[i].name, scenarios[i].title);
		printf("  %-18s transports:", "");
		for (j = 0; j < scenarios[i].ncases; j++)
			printf(" %s", transport_names[scenarios[i].m[j].bc.tr]);
		printf("\n");
	}
	printf("transports:");
	for (i = 0; i < TR_NR; i++)
		printf(" %s", transport_names[i]);
	printf("\n");
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: chanbench [options]\n"
		"Compare the chan device with pipes, POSIX mq, AF_UNIX SEQPACKET and\n"
		"eventfd. Run as root with chan.ko loaded. Progress goes to stderr,\n"
		"the report to stdout.\n"
		"\n"
		"  --runs N          timed runs per measurement, median reported (default 7)\n"
		"  --quick           smoke test: 3 runs (unless --runs) of about 50 ms\n"
		"  --target-ms MS    length of one timed run (default 400, --quick 50)\n"
		"  --timeout S       a run that takes longer fails (default 120)\n"
		"  --scenario LIST   comma-separated names or prefixes (stream, batch, select)\n"
		"  --transport LIST  comma-separated: chan,pipe,pipe-direct,mq,seqpacket,eventfd\n"
		"  --json            machine-readable report\n"
		"  --quiet           no progress on stderr\n"
		"  --list            list scenarios and transports\n"
		"\n"
		"Exit: 0 done; 1 a verification failed (a message lost, duplicated,\n"
		"reordered or damaged); 2 a measurement failed or bad usage.\n");
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "runs", required_argument, NULL, 'r' },
		{ "quick", no_argument, NULL, 'q' },
		{ "target-ms", required_argument, NULL, 't' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "scenario", required_argument, NULL, 's' },
		{ "transport", required_argument, NULL, 'x' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'Q' },
		{ "list", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sc_list = NULL, *tr_list = NULL;
	bool runs_set = false, target_set = false;
	struct sigaction sa = { .sa_handler = on_signal };
	int c, i, j, code = 0;
	char err[256];
	long v;

	build_scenarios();
	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			v = strtol(optarg, NULL, 10);
			if (v < 1 || v > MAX_RUNS)
				die("--runs must be 1..%d", MAX_RUNS);
			opts.runs = (int)v;
			runs_set = true;
			break;
		case 'q':
			opts.quick = true;
			break;
		case 't':
			v = strtol(optarg, NULL, 10);
			if (v < 1 || v > 60000)
				die("--target-ms must be 1..60000");
			opts.target_ms = (unsigned int)v;
			target_set = true;
			break;
		case 'T':
			v = strtol(optarg, NULL, 10);
			if (v < 1 || v > 86400)
				die("--timeout must be 1..86400");
			opts.timeout_s = (unsigned int)v;
			break;
		case 's':
			sc_list = optarg;
			break;
		case 'x':
			tr_list = optarg;
			break;
		case 'j':
			opts.json = true;
			break;
		case 'Q':
			quiet = true;
			break;
		case 'l':
			list();
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	if (opts.quick) {
		if (!runs_set)
			opts.runs = 3;
		if (!target_set)
			opts.target_ms = 50;
	}
	apply_filters(sc_list, tr_list);

	if (bench_sys_init(err, sizeof(err)))
		die("%s", err);
	atexit(bench_sys_cleanup);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* Its reader gone (chanbench | head): clean up as for SIGTERM. */
	sigaction(SIGPIPE, &sa, NULL);
	if (bench_run_init(opts.timeout_s, err, sizeof(err)))
		die("%s", err);

	opts.chans_before = chan_count();
	progress("%d runs of about %u ms per measurement%s", opts.runs,
		 opts.target_ms, opts.quick ? " (quick)" : "");
	for (i = 0; i < nscenarios; i++)
		if (scenarios[i].selected)
			run_scenario(&scenarios[i]);
	for (i = 0; i < (int)ARRAY_SIZE(goals); i++)
		judge(&goals[i]);

	for (i = 0; i < nscenarios; i++) {
		for (j = 0; scenarios[i].selected && j < scenarios[i].ncases; j++) {
			enum m_status st = scenarios[i].m[j].status;

			if (st == M_VERIFY_FAILED)
				code = 1;
			else if (st == M_ERROR && code == 0)
				code = 2;
		}
	}
	bench_sys_cleanup();
	opts.chans_after = chan_count();
	if (opts.chans_after > opts.chans_before) {
		progress("error: %d channels left behind",
			 opts.chans_after - opts.chans_before);
		if (!code)
			code = 2;
	}
	if (opts.json)
		report_json(&opts, scenarios, nscenarios, goals,
			    (int)ARRAY_SIZE(goals), code);
	else
		report_human(&opts, scenarios, nscenarios, goals,
			     (int)ARRAY_SIZE(goals));
	fflush(stdout);
	return code;
}
