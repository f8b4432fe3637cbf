// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite chan_observe: the wait-time histogram's buckets
 * (observe.c) are those the uapi header defines: bucket 0 under 1 us,
 * bucket i for [2^(i-1), 2^i) us, the last one from 2^30 us on.
 */

#include <kunit/test.h>
#include <linux/time64.h>

#include "chan.h"
#include "suites.h"

#define US	((u64)NSEC_PER_USEC)

static void hist_bucket_bounds(struct kunit *test)
{
	u32 i;

	KUNIT_EXPECT_EQ(test, chan_hist_bucket(0), 0U);
	KUNIT_EXPECT_EQ(test, chan_hist_bucket(US - 1), 0U);
	for (i = 1; i < CHAN_HIST_BUCKETS - 1; i++) {
		u64 lo = (1ULL << (i - 1)) * US, hi = (1ULL << i) * US;

		KUNIT_EXPECT_EQ_MSG(test, chan_hist_bucket(lo), i, "bucket %u low", i);
		KUNIT_EXPECT_EQ_MSG(test, chan_hist_bucket(hi - 1), i,
				    "bucket %u high", i);
	}
	KUNIT_EXPECT_EQ(test, chan_hist_bucket((1ULL << 30) * US),
			CHAN_HIST_BUCKETS - 1);
	KUNIT_EXPECT_EQ(test, chan_hist_bucket(U64_MAX), CHAN_HIST_BUCKETS - 1);
}

static struct kunit_case chan_observe_cases[] = {
	KUNIT_CASE(hist_bucket_bounds),
	{}
};

struct kunit_suite chan_observe_suite = {
	.name = "chan_observe",
	.test_cases = chan_observe_cases,
};
