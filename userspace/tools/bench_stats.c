// SPDX-License-Identifier: GPL-2.0
/*
 * chanbench statistics: the monotonic clock, a log-linear (HDR-style)
 * latency histogram with constant-time recording, and min/median/max of a
 * series of runs.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chanbench.h"

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

void hist_reset(struct hist *h)
{
	memset(h, 0, sizeof(*h));
}

/*
 * Values below HIST_SUB are their own bucket. Above, with m the index of
 * the top bit, the value keeps its top HIST_SUB_BITS + 1 bits: group
 * m - HIST_SUB_BITS + 1, sub-bucket the bits below the top one. Groups are
 * contiguous, so index = value for small values.
 */
static unsigned int hist_index(uint64_t v)
{
	unsigned int msb, shift;

	if (v < HIST_SUB)
		return (unsigned int)v;
	msb = 63 - (unsigned int)__builtin_clzll(v);
	shift = msb - HIST_SUB_BITS;
	if (shift + 1 >= HIST_GROUPS)
		return HIST_BUCKETS - 1;
	return (shift + 1) * HIST_SUB + (unsigned int)((v >> shift) - HIST_SUB);
}

/* Lowest value and width of bucket @i. */
static void hist_bucket(unsigned int i, uint64_t *lo, uint64_t *width)
{
	unsigned int group = i / HIST_SUB, sub = i % HIST_SUB;

	if (group == 0) {
		*lo = i;
		*width = 1;
		return;
	}
	*lo = (uint64_t)(HIST_SUB + sub) << (group - 1);
	*width = 1ULL << (group - 1);
}

void hist_record(struct hist *h, uint64_t v)
{
	h->counts[hist_index(v)]++;
	h->total++;
	if (v > h->max)
		h->max = v;
}

void hist_merge(struct hist *dst, const struct hist *src)
{
	unsigned int i;

	if (!src->total)
		return;
	for (i = 0; i < HIST_BUCKETS; i++)
		dst->counts[i] += src->counts[i];
	dst->total += src->total;
	if (src->max > dst->max)
		dst->max = src->max;
}

uint64_t hist_percentile(const struct hist *h, double pct)
{
	uint64_t want, seen = 0, lo, width;
	unsigned int i;

	if (!h->total)
		return 0;
	want = (uint64_t)((double)h->total * pct / 100.0 + 0.5);
	if (want < 1)
		want = 1;
	if (want > h->total)
		want = h->total;
	for (i = 0; i < HIST_BUCKETS; i++) {
		seen += h->counts[i];
		if (seen >= want) {
			hist_bucket(i, &lo, &width);
			lo += width / 2;
			return lo < h->max ? lo : h->max;
		}
	}
	return h->max;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

void summarize(double *v, int n, struct summary *s)
{
	s->n = n;
	if (n <= 0) {
		s->min = s->median = s->max = 0;
		return;
	}
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	s->min = v[0];
	s->max = v[n - 1];
	if (n % 2)
		s->median = v[n / 2];
	else
		s->median = (v[n / 2 - 1] + v[n / 2]) / 2;
}
