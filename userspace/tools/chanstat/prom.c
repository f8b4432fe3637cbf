// SPDX-License-Identifier: GPL-2.0
/*
 * --prometheus: the text exposition format 0.0.4, for node_exporter's
 * textfile collector. Each metric family gets its "# HELP" and "# TYPE"
 * lines once, then one sample per channel labelled chan="<N>", all of a
 * family together. Counters end in _total; chan_wait_seconds is a
 * histogram per side (op="send"|"recv") whose buckets are the module's
 * log2 buckets, cumulative, in seconds, and whose _count is the
 * histogram's total (the channel's sent or received at rest); channels
 * whose histograms could not be read have no chan_wait_seconds samples.
 * The breaker's state and mode are one 0/1 gauge per possible value.
 */
#include <string.h>

#include "chanstat.h"

struct prom_gauge {
	const char *name;
	const char *help;
	enum chan_gauge gauge;
	unsigned int per_unit;	/* the sysfs value / this = the metric */
};

struct prom_counter {
	const char *name;
	const char *help;
	enum chan_counter counter;
};

static const struct prom_gauge prom_gauges[] = {
	{ "chan_capacity", "Messages the channel buffers (0: unbuffered).",
	  GAUGE_CAPACITY, 1 },
	{ "chan_msg_size_bytes", "Largest message the channel takes.",
	  GAUGE_MSG_SIZE, 1 },
	{ "chan_len", "Messages queued.", GAUGE_LEN, 1 },
	{ "chan_closed", "1 once the channel was closed.", GAUGE_CLOSED, 1 },
	{ "chan_waiting_senders", "Senders parked now.",
	  GAUGE_WAITING_SENDERS, 1 },
	{ "chan_waiting_receivers", "Receivers parked now.",
	  GAUGE_WAITING_RECEIVERS, 1 },
	{ "chan_readers", "Open files with read access.", GAUGE_READERS, 1 },
	{ "chan_writers", "Open files with write access.", GAUGE_WRITERS, 1 },
	{ "chan_oldest_wait_seconds",
	  "How long the longest-parked waiter has waited (0: none waits).",
	  GAUGE_OLDEST_WAIT_MS, 1000 },
};

static const struct prom_counter prom_counters[] = {
	{ "chan_sent_total", "Messages queued or handed to a receiver.",
	  CTR_SENT },
	{ "chan_received_total", "Messages that reached a receiver.",
	  CTR_RECEIVED },
	{ "chan_bytes_sent_total", "Bytes of the messages sent.",
	  CTR_BYTES_SENT },
	{ "chan_bytes_received_total", "Bytes of the messages received.",
	  CTR_BYTES_RECEIVED },
	{ "chan_full_total",
	  "Sends that found no room (or, unbuffered, no receiver).", CTR_FULL },
	{ "chan_empty_total", "Receives that found nothing to take.",
	  CTR_EMPTY },
	{ "chan_send_timeouts_total", "Sends that ended with ETIMEDOUT.",
	  CTR_SEND_TIMEOUTS },
	{ "chan_recv_timeouts_total", "Receives that ended with ETIMEDOUT.",
	  CTR_RECV_TIMEOUTS },
	{ "chan_interrupted_total", "Waits ended by a signal.",
	  CTR_INTERRUPTED },
	{ "chan_breaker_rejected_total",
	  "Sends the circuit breaker refused, since its last reset.",
	  CTR_BREAKER_REJECTED },
	{ "chan_rate_limited_total", "Sends the rate limiter refused.",
	  CTR_RATE_LIMITED },
	{ "chan_admission_rejected_total",
	  "Sends adaptive admission refused (EBUSY).",
	  CTR_ADMISSION_REJECTED },
	{ "chan_chaos_injected_total",
	  "Effects the chaos knobs injected (delays, failed sends, held receives).",
	  CTR_CHAOS_INJECTED },
};

static const enum chan_counter wait_sum_counter[NR_SIDES] = {
	[SIDE_SEND] = CTR_SEND_WAIT_NS,
	[SIDE_RECV] = CTR_RECV_WAIT_NS,
};

static const enum chan_counter wait_max_counter[NR_SIDES] = {
	[SIDE_SEND] = CTR_SEND_WAIT_MAX_NS,
	[SIDE_RECV] = CTR_RECV_WAIT_MAX_NS,
};

/* @s with \ and newline escaped (and " too when @quote, for label values). */
static void prom_escaped(FILE *out, const char *s, bool quote)
{
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\\\", out);
		else if (*s == '\n')
			fputs("\\n", out);
		else if (*s == '"' && quote)
			fputs("\\\"", out);
		else
			fputc(*s, out);
	}
}

static void prom_family(FILE *out, const char *name, const char *type,
			const char *help)
{
	fprintf(out, "# HELP %s ", name);
	prom_escaped(out, help, false);
	fprintf(out, "\n# TYPE %s %s\n", name, type);
}

/*
 * "name{chan="N"" then, when @label is set, ",label="value"", then "}".
 * @suffix follows @name (the _bucket, _sum, _count of a histogram).
 */
static void prom_sample_start(FILE *out, const char *name, const char *suffix,
			      const struct chan_sample *c, const char *label,
			      const char *value)
{
	fprintf(out, "%s%s{chan=\"%u\"", name, suffix, c->index);
	if (label) {
		fprintf(out, ",%s=\"", label);
		prom_escaped(out, value, true);
		fputc('"', out);
	}
}

static void prom_gauge_family(FILE *out, const struct snapshot *snap,
			      const struct prom_gauge *g)
{
	const struct chan_sample *c;
	char v[FMT_LEN];
	size_t i;

	prom_family(out, g->name, "gauge", g->help);
	for (i = 0; i < snap->nr; i++) {
		c = &snap->chans[i];
		prom_sample_start(out, g->name, "", c, NULL, NULL);
		if (g->per_unit == 1)
			fprintf(out, "} %llu\n", c->gauge[g->gauge]);
		else
			fprintf(out, "} %s\n",
				fmt_float(v, (double)c->gauge[g->gauge] / g->per_unit));
	}
}

static void prom_counter_family(FILE *out, const struct snapshot *snap,
				const struct prom_counter *k)
{
	size_t i;

	prom_family(out, k->name, "counter", k->help);
	for (i = 0; i < snap->nr; i++) {
		prom_sample_start(out, k->name, "", &snap->chans[i], NULL, NULL);
		fprintf(out, "} %llu\n", snap->chans[i].counter[k->counter]);
	}
}

static void prom_wait_max(FILE *out, const struct snapshot *snap)
{
	static const char name[] = "chan_wait_max_seconds";
	const struct chan_sample *c;
	char v[FMT_LEN];
	size_t i;
	int side;

	prom_family(out, name, "gauge",
		    "Longest time one operation was parked, by side.");
	for (i = 0; i < snap->nr; i++) {
		c = &snap->chans[i];
		for (side = 0; side < NR_SIDES; side++) {
			prom_sample_start(out, name, "", c, "op", side_names[side]);
			fprintf(out, "} %s\n",
				fmt_float(v, (double)c->counter[wait_max_counter[side]] /
					  NSEC_PER_SEC));
		}
	}
}

/* One side's histogram of one channel: buckets, _sum, _count. */
static void prom_wait_hist(FILE *out, const char *name,
			   const struct chan_sample *c, enum wait_side side)
{
	const unsigned long long *hist = c->hist[side];
	unsigned long long cumulative = 0;
	char le[FMT_LEN], v[FMT_LEN];
	int b;

	for (b = 0; b < CHAN_HIST_BUCKETS; b++) {
		cumulative += hist[b];
		if (hist_bucket_is_last(b))
			snprintf(le, sizeof(le), "+Inf");
		else
			fmt_float(le, (double)hist_bucket_bound_ns(b) / NSEC_PER_SEC);
		prom_sample_start(out, name, "_bucket", c, "op", side_names[side]);
		fprintf(out, ",le=\"%s\"} %llu\n", le, cumulative);
	}
	prom_sample_start(out, name, "_sum", c, "op", side_names[side]);
	fprintf(out, "} %s\n",
		fmt_float(v, (double)c->counter[wait_sum_counter[side]] /
			  NSEC_PER_SEC));
	prom_sample_start(out, name, "_count", c, "op", side_names[side]);
	fprintf(out, "} %llu\n", cumulative);
}

static void prom_wait_family(FILE *out, const struct snapshot *snap)
{
	static const char name[] = "chan_wait_seconds";
	size_t i;
	int side;

	prom_family(out, name, "histogram",
		    "How long operations that completed were parked, by side.");
	for (i = 0; i < snap->nr; i++) {
		if (!snap->chans[i].has_hist)
			continue;
		for (side = 0; side < NR_SIDES; side++)
			prom_wait_hist(out, name, &snap->chans[i], side);
	}
}

static const char *breaker_state_of(const struct chan_sample *c)
{
	return c->breaker_state;
}

static const char *breaker_mode_of(const struct chan_sample *c)
{
	return c->breaker_mode;
}

/* One 0/1 gauge per possible value of a breaker attribute, 1 for value_of(). */
static void prom_one_of(FILE *out, const struct snapshot *snap,
			const char *name, const char *help, const char *label,
			const char *const *values, int nr_values,
			const char *(*value_of)(const struct chan_sample *))
{
	const struct chan_sample *c;
	size_t i;
	int v;

	prom_family(out, name, "gauge", help);
	for (i = 0; i < snap->nr; i++) {
		c = &snap->chans[i];
		for (v = 0; v < nr_values; v++) {
			prom_sample_start(out, name, "", c, label, values[v]);
			fprintf(out, "} %d\n", !strcmp(value_of(c), values[v]));
		}
	}
}

static void prom_rate_limit(FILE *out, const struct snapshot *snap)
{
	static const char name[] = "chan_rate_limit";
	size_t i;

	prom_family(out, name, "gauge",
		    "Messages per second the rate limiter admits (0: no limit).");
	for (i = 0; i < snap->nr; i++) {
		prom_sample_start(out, name, "", &snap->chans[i], NULL, NULL);
		fprintf(out, "} %llu\n", snap->chans[i].rate);
	}
}

/**
 * prom_print - every channel of @snap in the Prometheus text format 0.0.4
 * @out: where to.
 * @snap: the channels.
 */
void prom_print(FILE *out, const struct snapshot *snap)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(prom_gauges); i++)
		prom_gauge_family(out, snap, &prom_gauges[i]);
	prom_rate_limit(out, snap);
	for (i = 0; i < ARRAY_SIZE(prom_counters); i++)
		prom_counter_family(out, snap, &prom_counters[i]);
	prom_wait_max(out, snap);
	prom_wait_family(out, snap);
	prom_one_of(out, snap, "chan_breaker_state",
		    "1 for the circuit breaker's current state, 0 for the others.",
		    "state", breaker_state_names,
		    ARRAY_SIZE(breaker_state_names), breaker_state_of);
	prom_one_of(out, snap, "chan_breaker_mode",
		    "1 for the circuit breaker's mode, 0 for the others.",
		    "mode", breaker_mode_names,
		    ARRAY_SIZE(breaker_mode_names), breaker_mode_of);
}
