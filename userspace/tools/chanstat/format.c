// SPDX-License-Identifier: GPL-2.0
/*
 * Numbers for people and for parsers: counts and rates with k/M/G,
 * durations in us/ms/s, percentiles of the wait histograms, and the
 * shortest decimal form of a double that reads back exactly (what
 * Prometheus' own clients print). Each formatter writes into a buffer of
 * FMT_LEN bytes and returns it.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "chanstat.h"

/* Drop the zeros after a decimal point, and the point if nothing is left. */
static void trim_fraction(char *s)
{
	char *end;

	if (!strchr(s, '.'))
		return;
	end = s + strlen(s);
	while (end[-1] == '0')
		end--;
	if (end[-1] == '.')
		end--;
	*end = '\0';
}

/* @v (>= 1, < 1000 after scaling) with three significant digits, then @unit. */
static char *fmt_scaled(char *buf, double v, const char *unit)
{
	if (v < 9.995)
		snprintf(buf, FMT_LEN, "%.2f", v);
	else if (v < 99.95)
		snprintf(buf, FMT_LEN, "%.1f", v);
	else
		snprintf(buf, FMT_LEN, "%.0f", v);
	trim_fraction(buf);
	strncat(buf, unit, FMT_LEN - strlen(buf) - 1);
	return buf;
}

static char *fmt_big(char *buf, double v)
{
	static const char *const units[] = { "k", "M", "G", "T", "P", "E" };
	int i = 0;

	v /= 1000;
	while (v >= 999.5 && i < (int)ARRAY_SIZE(units) - 1) {
		v /= 1000;
		i++;
	}
	return fmt_scaled(buf, v, units[i]);
}

/* Exact below 10000, then 12.3k, 456k, 1.2M, ... */
char *fmt_count(char *buf, unsigned long long n)
{
	if (n < 10000) {
		snprintf(buf, FMT_LEN, "%llu", n);
		return buf;
	}
	return fmt_big(buf, (double)n);
}

/* Per second: 0, 0.5, 12, 9876, 12.3k, ... */
char *fmt_rate(char *buf, double per_s)
{
	if (per_s < 0.05) {
		snprintf(buf, FMT_LEN, "0");
	} else if (per_s < 9.95) {
		snprintf(buf, FMT_LEN, "%.1f", per_s);
		trim_fraction(buf);
	} else if (per_s < 9999.5) {
		snprintf(buf, FMT_LEN, "%.0f", per_s);
	} else {
		fmt_big(buf, per_s);
	}
	return buf;
}

/* 0, <1us, 512us, 1.05ms, 16.8ms, 1.07s, 537s */
char *fmt_duration_ns(char *buf, unsigned long long ns)
{
	if (!ns)
		snprintf(buf, FMT_LEN, "0");
	else if (ns < NSEC_PER_USEC)
		snprintf(buf, FMT_LEN, "<1us");
	else if (ns < 999500)
		fmt_scaled(buf, (double)ns / NSEC_PER_USEC, "us");
	else if (ns < 999500000)
		fmt_scaled(buf, (double)ns / NSEC_PER_MSEC, "ms");
	else if (ns < 1000 * NSEC_PER_SEC)
		fmt_scaled(buf, (double)ns / NSEC_PER_SEC, "s");
	else
		snprintf(buf, FMT_LEN, "%llus", ns / NSEC_PER_SEC);
	return buf;
}

/*
 * The @pct-th percentile of @c's @side waits, as the upper bound of the
 * bucket that holds it: "<1us" for bucket 0, ">=1074s" for the last one,
 * "-" with no histogram or no operation yet.
 */
char *fmt_percentile(char *buf, const struct chan_sample *c,
		     enum wait_side side, unsigned int pct)
{
	char t[FMT_LEN];
	int b;

	b = c->has_hist ? hist_percentile_bucket(c->hist[side], pct) :
			  HIST_NO_BUCKET;
	if (b == HIST_NO_BUCKET)
		snprintf(buf, FMT_LEN, "-");
	else if (b == 0)
		snprintf(buf, FMT_LEN, "<1us");
	else if (hist_bucket_is_last(b))
		snprintf(buf, FMT_LEN, ">=%s",
			 fmt_duration_ns(t, hist_bucket_bound_ns(b)));
	else
		fmt_duration_ns(buf, hist_bucket_bound_ns(b));
	return buf;
}

/*
 * The shortest "%.*g" that reads back as @v: 1e-06, 0.000128, 1073.741824;
 * whole numbers as such (2000, not 2e+03); +Inf, -Inf and NaN as the
 * Prometheus text format spells them.
 */
char *fmt_float(char *buf, double v)
{
	int prec;

	if (isnan(v)) {
		snprintf(buf, FMT_LEN, "NaN");
		return buf;
	}
	if (isinf(v)) {
		snprintf(buf, FMT_LEN, "%s", v > 0 ? "+Inf" : "-Inf");
		return buf;
	}
	if (v > -1e15 && v < 1e15 && (double)(long long)v == v) {
		snprintf(buf, FMT_LEN, "%lld", (long long)v);
		return buf;
	}
	for (prec = 1; prec < 17; prec++) {
		snprintf(buf, FMT_LEN, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			return buf;
	}
	snprintf(buf, FMT_LEN, "%.17g", v);
	return buf;
}
