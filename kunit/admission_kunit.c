// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite chan_admission: adaptive admission (admission.c) driven by
 * a fake clock: off admits everything; the cap starts at max_limit, grows
 * by one per interval while the median wait is at or under the target,
 * shrinks by a tenth (never below 1) when it is over, holds through quiet
 * spells, and the median is exact: over the target means more than half
 * the samples are.
 */

#include <kunit/test.h>
#include <linux/time64.h>

#include "chan.h"
#include "suites.h"

#define MS	((u64)NSEC_PER_MSEC)
#define T0	(1000 * NSEC_PER_SEC)
#define IV	CHAN_AIMD_INTERVAL_NS

static void aimd_off_admits_everything(struct kunit *test)
{
	struct chan_aimd a;

	chan_aimd_set(&a, 0, 4, T0);
	KUNIT_EXPECT_TRUE(test, chan_aimd_admits(&a, 1000000));
	chan_aimd_sample(&a, 10 * NSEC_PER_SEC, T0 + 10 * IV);
	KUNIT_EXPECT_EQ(test, a.limit, 4U);
}

/* One interval with @n samples of @wait_ns each, ending at @*now. */
static void interval(struct chan_aimd *a, u32 n, u64 wait_ns, u64 *now)
{
	u32 i;

	for (i = 0; i + 1 < n; i++)
		chan_aimd_sample(a, wait_ns, *now + i);
	*now += IV;
	chan_aimd_sample(a, wait_ns, *now);
}

static void aimd_shrinks_by_a_tenth_then_grows_by_one(struct kunit *test)
{
	static const u32 down[] = { 90, 81, 72, 64, 57, 51 };
	struct chan_aimd a;
	u64 now = T0;
	u32 i;

	chan_aimd_set(&a, 1000, 100, now);	/* target 1 ms */
	KUNIT_EXPECT_EQ(test, a.limit, 100U);
	KUNIT_EXPECT_TRUE(test, chan_aimd_admits(&a, 99));
	KUNIT_EXPECT_FALSE(test, chan_aimd_admits(&a, 100));
	for (i = 0; i < ARRAY_SIZE(down); i++) {
		interval(&a, 5, 2 * MS, &now);
		KUNIT_EXPECT_EQ(test, a.limit, down[i]);
	}
	KUNIT_EXPECT_FALSE(test, chan_aimd_admits(&a, 51));
	for (i = 1; i <= 3; i++) {
		interval(&a, 5, MS, &now);	/* exactly the target: under */
		KUNIT_EXPECT_EQ(test, a.limit, 51 + i);
	}
}

static void aimd_floor_and_cap(struct kunit *test)
{
	struct chan_aimd a;
	u64 now = T0;
	int i;

	chan_aimd_set(&a, 10, 3, now);
	for (i = 0; i < 10; i++)
		interval(&a, 2, MS, &now);
	KUNIT_EXPECT_EQ(test, a.limit, 1U);
	KUNIT_EXPECT_TRUE(test, chan_aimd_admits(&a, 0));
	KUNIT_EXPECT_FALSE(test, chan_aimd_admits(&a, 1));
	for (i = 0; i < 10; i++)
		interval(&a, 2, 1, &now);
	KUNIT_EXPECT_EQ(test, a.limit, 3U);
}

/* The median is over the target exactly when more than half are. */
static void aimd_median_is_exact(struct kunit *test)
{
	struct chan_aimd a;
	u64 now = T0;

	chan_aimd_set(&a, 1000, 10, now);
	interval(&a, 2, MS, &now);		/* at max: stays */
	KUNIT_EXPECT_EQ(test, a.limit, 10U);
	/* 2 of 4 over: the median is not over; 3 of 5 over: it is. */
	chan_aimd_sample(&a, 5 * MS, now + 1);
	chan_aimd_sample(&a, 5 * MS, now + 2);
	chan_aimd_sample(&a, 1, now + 3);
	now += IV;
	chan_aimd_sample(&a, 1, now);
	KUNIT_EXPECT_EQ(test, a.limit, 10U);
	chan_aimd_sample(&a, 5 * MS, now + 1);
	chan_aimd_sample(&a, 5 * MS, now + 2);
	chan_aimd_sample(&a, 1, now + 3);
	chan_aimd_sample(&a, 1, now + 4);
	now += IV;
	chan_aimd_sample(&a, 5 * MS, now);
	KUNIT_EXPECT_EQ(test, a.limit, 9U);
}

/* No samples, no change; after a quiet spell the interval starts afresh. */
static void aimd_quiet_spells_change_nothing(struct kunit *test)
{
	struct chan_aimd a;
	u64 now = T0;

	chan_aimd_set(&a, 1000, 10, now);
	interval(&a, 3, 5 * MS, &now);
	KUNIT_EXPECT_EQ(test, a.limit, 9U);
	now += 100 * IV;
	/* The first sample after the spell begins an interval, ends none. */
	chan_aimd_sample(&a, 5 * MS, now);
	KUNIT_EXPECT_EQ(test, a.limit, 9U);
	chan_aimd_sample(&a, 5 * MS, now + IV / 2);
	KUNIT_EXPECT_EQ(test, a.limit, 9U);
	chan_aimd_sample(&a, 5 * MS, now + IV);
	KUNIT_EXPECT_EQ(test, a.limit, 8U);
	/* Setting it again opens the cap fully. */
	chan_aimd_set(&a, 1000, 10, now);
	KUNIT_EXPECT_EQ(test, a.limit, 10U);
}

static struct kunit_case chan_admission_cases[] = {
	KUNIT_CASE(aimd_off_admits_everything),
	KUNIT_CASE(aimd_shrinks_by_a_tenth_then_grows_by_one),
	KUNIT_CASE(aimd_floor_and_cap),
	KUNIT_CASE(aimd_median_is_exact),
	KUNIT_CASE(aimd_quiet_spells_change_nothing),
	{}
};

struct kunit_suite chan_admission_suite = {
	.name = "chan_admission",
	.test_cases = chan_admission_cases,
};
