// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite chan_ratelimit: the token bucket (ratelimit.c) driven by a
 * fake clock: it starts full, refills exactly, never admits more than
 * burst + rate x t, says how long to wait, serves batches, takes back
 * unused tokens, and survives long spans and the largest rates and
 * bursts.
 */

#include <kunit/test.h>
#include <linux/math64.h>
#include <linux/time64.h>

#include "chan.h"
#include "suites.h"

#define SEC	((u64)NSEC_PER_SEC)
#define T0	(1000 * SEC)

static void tb_starts_full_and_says_how_long_to_wait(struct kunit *test)
{
	struct chan_tb tb;
	int i;

	chan_tb_set(&tb, 4, 5, T0);
	KUNIT_EXPECT_EQ(test, chan_tb_tokens(&tb, T0), 5U);
	for (i = 0; i < 5; i++)
		KUNIT_EXPECT_EQ(test, chan_tb_take(&tb, T0), 0ULL);
	/* Empty: the next token comes in 1/4 s; nothing is taken meanwhile. */
	KUNIT_EXPECT_EQ(test, chan_tb_take(&tb, T0), SEC / 4);
	KUNIT_EXPECT_EQ(test, chan_tb_take(&tb, T0 + SEC / 8), SEC / 8);
	KUNIT_EXPECT_EQ(test, chan_tb_take(&tb, T0 + SEC / 4 - 1), 1ULL);
	KUNIT_EXPECT_EQ(test, chan_tb_take(&tb, T0 + SEC / 4), 0ULL);
	KUNIT_EXPECT_EQ(test, chan_tb_take(&tb, T0 + SEC / 4), SEC / 4);
	/* Idle for long: full again, never more. */
	KUNIT_EXPECT_EQ(test, chan_tb_tokens(&tb, T0 + 3600 * SEC), 5U);
}

static void tb_set_fills_again(struct kunit *test)
{
	struct chan_tb tb;

	chan_tb_set(&tb, 1, 2, T0);
	chan_tb_take(&tb, T0);
	chan_tb_take(&tb, T0);
	KUNIT_EXPECT_NE(test, chan_tb_take(&tb, T0), 0ULL);
	chan_tb_set(&tb, 1, 3, T0);
	KUNIT_EXPECT_EQ(test, chan_tb_tokens(&tb, T0), 3U);
}

static void tb_rate_zero_is_no_limit(struct kunit *test)
{
	struct chan_tb tb;
	int i;

	chan_tb_set(&tb, 0, 0, T0);
	for (i = 0; i < 1000; i++)
		KUNIT_EXPECT_EQ(test, chan_tb_take(&tb, T0), 0ULL);
}

/*
 * A greedy sender takes a token the moment one is there, for n tokens
 * after the burst: the last one comes exactly at ceil(n x 10^9 / rate) ns,
 * however many steps it took to get there (no drift). The burst is 2 so
 * that the bucket never fills meanwhile: a full bucket rightly drops
 * what it cannot hold.
 */
static void tb_no_drift_over_many_tokens(struct kunit *test)
{
	static const u32 rates[] = { 1, 3, 7, 1000, 999983 };
	struct chan_tb tb;
	u64 now, wait, n;
	u32 i, k;

	for (i = 0; i < ARRAY_SIZE(rates); i++) {
		chan_tb_set(&tb, rates[i], 2, T0);
		now = T0;
		KUNIT_ASSERT_EQ(test, chan_tb_take(&tb, now), 0ULL);
		KUNIT_ASSERT_EQ(test, chan_tb_take(&tb, now), 0ULL);
		n = 20000;
		for (k = 0; k < n;) {
			wait = chan_tb_take(&tb, now);
			if (wait)
				now += wait;
			else
				k++;
		}
		KUNIT_EXPECT_EQ_MSG(test, now - T0,
				    DIV_ROUND_UP_ULL(n * SEC, rates[i]),
				    "rate %u", rates[i]);
	}
}

/* Over any span t, admitted <= burst + rate x t, sampled at odd times. */
static void tb_admits_at_most_burst_plus_rate_t(struct kunit *test)
{
	const u32 rate = 13, burst = 4;
	u64 now = T0, admitted = 0, step = 7777777;	/* about 7.8 ms */
	struct chan_tb tb;
	int i;

	chan_tb_set(&tb, rate, burst, T0);
	for (i = 0; i < 20000; i++) {
		while (!chan_tb_take(&tb, now))
			admitted++;
		KUNIT_ASSERT_LE(test, admitted,
				burst + div_u64((now - T0) * rate, SEC));
		now += step;
	}
	/* And it keeps up: within one token of the bound at the end. */
	KUNIT_EXPECT_GE(test, admitted + 1,
			burst + div_u64((now - step - T0) * rate, SEC));
}

static void tb_large_rates_and_spans(struct kunit *test)
{
	struct chan_tb tb;
	u64 far = U64_MAX / 2;

	/* The largest rate and burst: nothing overflows. */
	chan_tb_set(&tb, U32_MAX, U32_MAX, T0);
	KUNIT_EXPECT_EQ(test, chan_tb_tokens(&tb, T0), U32_MAX);
	KUNIT_EXPECT_EQ(test, chan_tb_tokens(&tb, far), U32_MAX);
	tb.tokens = 0;
	/* 1 ns later: U32_MAX billionths, 4.29 tokens. */
	KUNIT_EXPECT_EQ(test, chan_tb_tokens(&tb, far + 1), 4U);
	KUNIT_EXPECT_EQ(test, chan_tb_tokens(&tb, far + SEC), U32_MAX);

	/* The slowest rate over a very long idle span. */
	chan_tb_set(&tb, 1, U32_MAX, T0);
	tb.tokens = 0;
	KUNIT_EXPECT_EQ(test, chan_tb_tokens(&tb, T0 + 1000000 * SEC), 1000000U);
	KUNIT_EXPECT_EQ(test, chan_tb_tokens(&tb, far), U32_MAX);

	/* Time that goes backwards (it must not) changes nothing. */
	chan_tb_set(&tb, 10, 1, T0);
	chan_tb_take(&tb, T0);
	KUNIT_EXPECT_EQ(test, chan_tb_take(&tb, T0 - SEC), SEC / 10);
}

/* A batch takes what is there, up to what it asks; none says how long. */
static void tb_take_upto_takes_what_is_there(struct kunit *test)
{
	struct chan_tb tb;
	u64 wait = 0;

	chan_tb_set(&tb, 10, 5, T0);
	KUNIT_EXPECT_EQ(test, chan_tb_take_upto(&tb, 3, T0, &wait), 3U);
	KUNIT_EXPECT_EQ(test, chan_tb_take_upto(&tb, 3, T0, &wait), 2U);
	KUNIT_EXPECT_EQ(test, chan_tb_take_upto(&tb, 3, T0, &wait), 0U);
	KUNIT_EXPECT_EQ(test, wait, SEC / 10);
	KUNIT_EXPECT_EQ(test, chan_tb_wait(&tb, T0 + SEC / 20), SEC / 20);
	/* 0.25 s: 2.5 tokens, two whole ones. */
	KUNIT_EXPECT_EQ(test, chan_tb_take_upto(&tb, 1000, T0 + SEC / 4,
						&wait), 2U);
	KUNIT_EXPECT_EQ(test, chan_tb_wait(&tb, T0 + SEC / 4), SEC / 20);
	/* No limit: everything, always. */
	chan_tb_set(&tb, 0, 1, T0);
	KUNIT_EXPECT_EQ(test, chan_tb_take_upto(&tb, 1000, T0, &wait), 1000U);
	KUNIT_EXPECT_EQ(test, chan_tb_wait(&tb, T0), 0ULL);
}

/* Tokens of messages that were not sent come back, never beyond burst. */
static void tb_give_back_caps_at_burst(struct kunit *test)
{
	struct chan_tb tb;
	u64 wait;

	chan_tb_set(&tb, 1, 4, T0);
	KUNIT_EXPECT_EQ(test, chan_tb_take_upto(&tb, 4, T0, &wait), 4U);
	chan_tb_give_back(&tb, 3, T0);
	KUNIT_EXPECT_EQ(test, chan_tb_tokens(&tb, T0), 3U);
	/* Half a second on: 3.5 tokens; giving 2 back fills it to 4. */
	chan_tb_give_back(&tb, 2, T0 + SEC / 2);
	KUNIT_EXPECT_EQ(test, chan_tb_tokens(&tb, T0 + SEC / 2), 4U);
	KUNIT_EXPECT_EQ(test, chan_tb_take_upto(&tb, 9, T0 + SEC / 2, &wait),
			4U);
	/* The dropped half token is gone: the next one is a second away. */
	KUNIT_EXPECT_EQ(test, chan_tb_wait(&tb, T0 + SEC / 2), SEC);
}

static struct kunit_case chan_ratelimit_cases[] = {
	KUNIT_CASE(tb_starts_full_and_says_how_long_to_wait),
	KUNIT_CASE(tb_set_fills_again),
	KUNIT_CASE(tb_rate_zero_is_no_limit),
	KUNIT_CASE(tb_no_drift_over_many_tokens),
	KUNIT_CASE(tb_admits_at_most_burst_plus_rate_t),
	KUNIT_CASE(tb_large_rates_and_spans),
	KUNIT_CASE(tb_take_upto_takes_what_is_there),
	KUNIT_CASE(tb_give_back_caps_at_burst),
	{}
};

struct kunit_suite chan_ratelimit_suite = {
	.name = "chan_ratelimit",
	.test_cases = chan_ratelimit_cases,
};
