// SPDX-License-Identifier: GPL-2.0
/*
 * --json: one document, {"channels": [...]}, an object per channel with
 * stable keys: "index", every gauge under its sysfs name, "stats" (every
 * counter under its stats/ name), "breaker" {"mode", "state"}, "rate"
 * {"rate", "burst"}, the two wait histograms (CHAN_HIST_BUCKETS counts)
 * and the p50/p99 of each side in ns, as the bound of the bucket that
 * holds them (hist_bucket_bound_ns()). A channel whose histograms could
 * not be read has null for them and for the percentiles.
 */
#include "chanstat.h"

static void json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char ch = *s;

		if (ch == '"' || ch == '\\')
			fprintf(out, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(out, "\\u%04x", ch);
		else
			fputc(ch, out);
	}
	fputc('"', out);
}

static void json_hist(FILE *out, const struct chan_sample *c,
		      enum wait_side side)
{
	int i;

	fprintf(out, ",\n      \"%s_wait_hist\": ", side_names[side]);
	if (!c->has_hist) {
		fputs("null", out);
		return;
	}
	fputc('[', out);
	for (i = 0; i < CHAN_HIST_BUCKETS; i++)
		fprintf(out, "%s%llu", i ? ", " : "", c->hist[side][i]);
	fputc(']', out);
}

static void json_percentile(FILE *out, const struct chan_sample *c,
			    enum wait_side side, unsigned int pct)
{
	int b = HIST_NO_BUCKET;

	if (c->has_hist)
		b = hist_percentile_bucket(c->hist[side], pct);
	fprintf(out, ",\n      \"%s_wait_p%u_ns\": ", side_names[side], pct);
	if (b == HIST_NO_BUCKET)
		fputs("null", out);
	else
		fprintf(out, "%llu", hist_bucket_bound_ns(b));
}

static void json_chan(FILE *out, const struct chan_sample *c)
{
	int i;

	fprintf(out, "    {\n      \"index\": %u", c->index);
	for (i = 0; i < NR_GAUGES; i++)
		fprintf(out, ",\n      \"%s\": %llu", gauge_names[i], c->gauge[i]);
	fputs(",\n      \"stats\": {", out);
	for (i = 0; i < NR_COUNTERS; i++)
		fprintf(out, "%s\n        \"%s\": %llu", i ? "," : "",
			counter_names[i], c->counter[i]);
	fputs("\n      },\n      \"breaker\": {\"mode\": ", out);
	json_string(out, c->breaker_mode);
	fputs(", \"state\": ", out);
	json_string(out, c->breaker_state);
	fprintf(out, "},\n      \"rate\": {\"rate\": %llu, \"burst\": %llu}",
		c->rate, c->burst);
	json_hist(out, c, SIDE_SEND);
	json_hist(out, c, SIDE_RECV);
	json_percentile(out, c, SIDE_SEND, 50);
	json_percentile(out, c, SIDE_SEND, 99);
	json_percentile(out, c, SIDE_RECV, 50);
	json_percentile(out, c, SIDE_RECV, 99);
	fputs("\n    }", out);
}

/**
 * json_print - every channel of @snap as one JSON document
 * @out: where to.
 * @snap: the channels.
 */
void json_print(FILE *out, const struct snapshot *snap)
{
	size_t i;

	fputs("{\n  \"channels\": [", out);
	for (i = 0; i < snap->nr; i++) {
		fputs(i ? ",\n" : "\n", out);
		json_chan(out, &snap->chans[i]);
	}
	fputs(snap->nr ? "\n  ]\n}\n" : "]\n}\n", out);
}
