// SPDX-License-Identifier: GPL-2.0
/*
 * The wait histograms of struct chan_stats, pure arithmetic: totals,
 * percentiles and bucket bounds. Bucket 0 holds waits under 1 us, bucket
 * i (1..30) waits in [2^(i-1), 2^i) us, the last bucket waits of 2^30 us
 * or more (uapi/linux/chan.h).
 */
#include "chanstat.h"

#define LAST_BUCKET	(CHAN_HIST_BUCKETS - 1)

unsigned long long hist_total(const unsigned long long *hist)
{
	unsigned long long sum = 0;
	int i;

	for (i = 0; i < CHAN_HIST_BUCKETS; i++)
		sum += hist[i];
	return sum;
}

/* ceil(@total x @pct / 100), without overflowing. */
static unsigned long long percentile_rank(unsigned long long total,
					  unsigned int pct)
{
	return total / 100 * pct + (total % 100 * pct + 99) / 100;
}

/**
 * hist_percentile_bucket - the bucket holding the @pct-th percentile
 * @hist: CHAN_HIST_BUCKETS counts.
 * @pct: 1..100.
 *
 * Return: the lowest bucket whose cumulative count reaches @pct percent
 * of the total, or HIST_NO_BUCKET when the histogram is empty.
 */
int hist_percentile_bucket(const unsigned long long *hist, unsigned int pct)
{
	unsigned long long rank, seen = 0;
	int i;

	rank = percentile_rank(hist_total(hist), pct);
	if (!rank)
		return HIST_NO_BUCKET;
	for (i = 0; i < CHAN_HIST_BUCKETS; i++) {
		seen += hist[i];
		if (seen >= rank)
			return i;
	}
	return LAST_BUCKET;
}

bool hist_bucket_is_last(int bucket)
{
	return bucket == LAST_BUCKET;
}

/**
 * hist_bucket_bound_ns - what a percentile in @bucket is reported as
 * @bucket: 0..CHAN_HIST_BUCKETS - 1.
 *
 * Return: the bucket's upper bound in ns (1 us for bucket 0, 2^i us for
 * bucket i), except for the last bucket, which has none: its lower
 * bound, 2^30 us.
 */
unsigned long long hist_bucket_bound_ns(int bucket)
{
	if (bucket >= LAST_BUCKET)
		return (1ULL << (LAST_BUCKET - 1)) * NSEC_PER_USEC;
	return (1ULL << bucket) * NSEC_PER_USEC;
}
