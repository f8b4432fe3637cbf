// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite chan_breaker: the breaker's pure logic (breaker.c) driven by
 * a fake clock: every transition, the window, the trip rules, the adaptive
 * open period and threshold, probes and their watchdog, generations,
 * modes, reset and configuration checks.
 */

#include <kunit/test.h>
#include <linux/math64.h>
#include <linux/stddef.h>
#include <linux/time64.h>

#include "chan.h"
#include "suites.h"

#define MS	((u64)NSEC_PER_MSEC)
/* A start far from 0, so that nothing depends on the clock's origin. */
#define T0	(1000000 * MS)

static void cfg_auto(struct chan_breaker_cfg *cfg)
{
	chan_breaker_cfg_default(cfg);
	cfg->mode = CHAN_BREAKER_AUTO;
}

static void brk_new(struct chan_breaker *br, const struct chan_breaker_cfg *cfg)
{
	chan_breaker_init(br, T0);
	chan_breaker_configure(br, cfg, T0);
}

/* Admit a call at @now and record @outcome for it; the admit's result. */
static int call(struct chan_breaker *br, u64 now, enum chan_brk_outcome outcome,
		u64 duration)
{
	u64 ticket;
	int ret = chan_breaker_admit(br, now, &ticket);

	if (!ret)
		chan_breaker_record(br, ticket, outcome, duration, now);
	return ret;
}

static u32 state_at(struct chan_breaker *br, u64 now)
{
	struct chan_breaker_snap st;

	chan_breaker_status(br, now, &st);
	return st.state;
}

/* Trip a default AUTO breaker at @now with min_calls failures. */
static void trip(struct kunit *test, struct chan_breaker *br, u64 now)
{
	u32 i;

	for (i = 0; i < br->cfg.min_calls; i++)
		KUNIT_ASSERT_EQ(test, call(br, now, CHAN_BRK_FAILURE, 0), 0);
	KUNIT_ASSERT_EQ(test, br->state, (u32)CHAN_BREAKER_OPEN);
}

static void breaker_open_period_table(struct kunit *test)
{
	static const struct { u32 s, ms; } want[] = {
		/* 5000 x e^(-0.2 S), rounded: 5000, 1839.40, 676.68, 91.58 */
		{ 0, 5000 }, { 5, 1839 }, { 10, 677 }, { 20, 92 },
		{ 1, 4094 }, { 50, 0 }, { 1000, 0 },
	};
	struct chan_breaker_cfg cfg;
	u32 i;

	cfg_auto(&cfg);
	cfg.open_min_ms = 1;
	for (i = 0; i < ARRAY_SIZE(want); i++)
		KUNIT_EXPECT_EQ_MSG(test, chan_breaker_open_period(&cfg, want[i].s),
				    max(want[i].ms, 1U), "S=%u", want[i].s);
	/* The default clamp: open_min_ms 1000, open_max_ms 60000. */
	cfg_auto(&cfg);
	KUNIT_EXPECT_EQ(test, chan_breaker_open_period(&cfg, 5), 1839U);
	KUNIT_EXPECT_EQ(test, chan_breaker_open_period(&cfg, 10), 1000U);
	cfg.open_ms = 60000;
	cfg.open_max_ms = 60000;
	KUNIT_EXPECT_EQ(test, chan_breaker_open_period(&cfg, 0), 60000U);
	/* e^-0.2 x 60000 = 49123.85 */
	KUNIT_EXPECT_EQ(test, chan_breaker_open_period(&cfg, 1), 49124U);
}

static void breaker_failure_rate_needs_min_calls(struct kunit *test)
{
	struct chan_breaker_cfg cfg;
	struct chan_breaker br;
	int i;

	cfg_auto(&cfg);
	brk_new(&br, &cfg);
	/* 5 successes and 4 failures: 9 calls, under min_calls 10. */
	for (i = 0; i < 5; i++)
		call(&br, T0 + i * MS, CHAN_BRK_SUCCESS, 0);
	for (i = 0; i < 4; i++)
		call(&br, T0 + 10 * MS, CHAN_BRK_FAILURE, 0);
	KUNIT_EXPECT_EQ(test, br.state, (u32)CHAN_BREAKER_CLOSED);
	/* The 10th call, a failure: 5 of 10 is failure_pct 50. */
	call(&br, T0 + 20 * MS, CHAN_BRK_FAILURE, 0);
	KUNIT_EXPECT_EQ(test, br.state, (u32)CHAN_BREAKER_OPEN);
	KUNIT_EXPECT_EQ(test, br.trips, 1ULL);
	/* S = 5: open for 1839 ms. */
	KUNIT_EXPECT_EQ(test, br.open_ms, 1839U);
	KUNIT_EXPECT_EQ(test, br.open_until, T0 + 20 * MS + 1839 * MS);
}

static void breaker_below_failure_pct_stays_closed(struct kunit *test)
{
	struct chan_breaker_cfg cfg;
	struct chan_breaker br;
	int i;

	cfg_auto(&cfg);
	brk_new(&br, &cfg);
	for (i = 0; i < 100; i++)
		call(&br, T0 + i * MS, i % 3 ? CHAN_BRK_SUCCESS : CHAN_BRK_FAILURE, 0);
	KUNIT_EXPECT_EQ(test, br.state, (u32)CHAN_BREAKER_CLOSED);
}

static void breaker_consecutive_failures_trip(struct kunit *test)
{
	struct chan_breaker_cfg cfg;
	struct chan_breaker br;

	cfg_auto(&cfg);
	cfg.consecutive_failures = 3;
	cfg.min_calls = 1000;
	brk_new(&br, &cfg);
	call(&br, T0, CHAN_BRK_FAILURE, 0);
	call(&br, T0, CHAN_BRK_FAILURE, 0);
	call(&br, T0, CHAN_BRK_SUCCESS, 0);
	call(&br, T0, CHAN_BRK_FAILURE, 0);
	call(&br, T0, CHAN_BRK_FAILURE, 0);
	KUNIT_EXPECT_EQ(test, br.state, (u32)CHAN_BREAKER_CLOSED);
	/* An ignored outcome does not break the run. */
	call(&br, T0, CHAN_BRK_IGNORED, 0);
	call(&br, T0, CHAN_BRK_FAILURE, 0);
	KUNIT_EXPECT_EQ(test, br.state, (u32)CHAN_BREAKER_OPEN);
}

static void breaker_slow_calls_trip(struct kunit *test)
{
	struct chan_breaker_cfg cfg;
	struct chan_breaker br;

	cfg_auto(&cfg);
	cfg.slow_ms = 10;
	cfg.slow_pct = 50;
	cfg.min_calls = 4;
	brk_new(&br, &cfg);
	call(&br, T0, CHAN_BRK_SUCCESS, 10 * MS);	/* not over slow_ms */
	call(&br, T0, CHAN_BRK_SUCCESS, 0);
	call(&br, T0, CHAN_BRK_SUCCESS, 10 * MS + 1);
	KUNIT_EXPECT_EQ(test, br.state, (u32)CHAN_BREAKER_CLOSED);
	call(&br, T0, CHAN_BRK_SUCCESS, 50 * MS);
	KUNIT_EXPECT_EQ(test, br.state, (u32)CHAN_BREAKER_OPEN);

	/* slow_ms 0: slowness is not looked at. */
	cfg.slow_ms = 0;
	chan_breaker_configure(&br, &cfg, T0);
	call(&br, T0, CHAN_BRK_SUCCESS, 1000 * MS);
	call(&br, T0, CHAN_BRK_SUCCESS, 1000 * MS);
	call(&br, T0, CHAN_BRK_SUCCESS, 1000 * MS);
	call(&br, T0, CHAN_BRK_SUCCESS, 1000 * MS);
	KUNIT_EXPECT_EQ(test, br.state, (u32)CHAN_BREAKER_CLOSED);
}

static void breaker_window_expires(struct kunit *test)
{
	struct chan_breaker_cfg cfg;
	struct chan_breaker_snap st;
	struct chan_breaker br;
	u64 t = T0;
	int i;

	cfg_auto(&cfg);
	cfg.window_ms = 1000;	/* buckets of 100 ms */
	brk_new(&br, &cfg);
	for (i = 0; i < 9; i++)
		call(&br, t, CHAN_BRK_FAILURE, 0);
	chan_breaker_status(&br, t, &st);
	KUNIT_EXPECT_EQ(test, st.calls, 9U);
	KUNIT_EXPECT_EQ(test, st.failures, 9U);
	/* 950 ms later the bucket is still in the window... */
	chan_breaker_status(&br, t + 950 * MS, &st);
	KUNIT_EXPECT_EQ(test, st.calls, 9U);
	/* ...1000 ms later it left it. */
	t += 1000 * MS;
	chan_breaker_status(&br, t, &st);
	KUNIT_EXPECT_EQ(test, st.calls, 0U);
	call(&br, t, CHAN_BRK_FAILURE, 0);
	KUNIT_EXPECT_EQ(test, br.state, (u32)CHAN_BREAKER_CLOSED);

	/* Buckets leave one by one: 5 at t, 5 at t + 500 ms. */
	chan_breaker_configure(&br, &cfg, t);
	for (i = 0; i < 5; i++)
		call(&br, t, CHAN_BRK_SUCCESS, 0);
	for (i = 0; i < 4; i++)
		call(&br, t + 500 * MS, CHAN_BRK_FAILURE, 0);
	chan_breaker_status(&br, t + 1000 * MS, &st);
	KUNIT_EXPECT_EQ(test, st.calls, 4U);
	KUNIT_EXPECT_EQ(test, st.failures, 4U);
	/* A long idle gap clears everything at once. */
	chan_breaker_status(&br, t + 3600000 * MS, &st);
	KUNIT_EXPECT_EQ(test, st.calls, 0U);
}

static void breaker_open_then_half_open_on_time(struct kunit *test)
{
	struct chan_breaker_cfg cfg;
	struct chan_breaker_snap st;
	struct chan_breaker br;
	u64 until, ticket;

	cfg_auto(&cfg);
	brk_new(&br, &cfg);
	trip(test, &br, T0);
	until = br.open_until;
	KUNIT_EXPECT_EQ(test, until, T0 + 5000 * MS);	/* S = 0 */
	KUNIT_EXPECT_EQ(test, chan_breaker_next_deadline(&br), until);
	KUNIT_EXPECT_EQ(test, chan_breaker_admit(&br, until - 1, &ticket),
			-ECONNREFUSED);
	KUNIT_EXPECT_EQ(test, br.rejected, 1ULL);
	KUNIT_EXPECT_EQ(test, state_at(&br, until - 1), (u32)CHAN_BREAKER_OPEN);
	/* With no traffic at all, read long after: HALF_OPEN since @until. */
	KUNIT_EXPECT_TRUE(test, chan_breaker_status(&br, until + 7 * MS, &st));
	KUNIT_EXPECT_EQ(test, st.state, (u32)CHAN_BREAKER_HALF_OPEN);
	KUNIT_EXPECT_EQ(test, st.state_since_ns, until);
	KUNIT_EXPECT_EQ(test, st.rejected, 1ULL);
	KUNIT_EXPECT_EQ(test, st.trips, 1ULL);
	/* Nothing outstanding: no deadline, and it waits for traffic. */
	KUNIT_EXPECT_EQ(test, chan_breaker_next_deadline(&br), U64_MAX);
	KUNIT_EXPECT_EQ(test, state_at(&br, until + 3600000 * MS),
			(u32)CHAN_BREAKER_HALF_OPEN);
}

static void breaker_half_open_probes_close_it(struct kunit *test)
{
	struct chan_breaker_cfg cfg;
	struct chan_breaker_snap st;
	struct chan_breaker br;
	u64 t, tk[4];
	int i;

	cfg_auto(&cfg);
	brk_new(&br, &cfg);
	trip(test, &br, T0);
	t = br.open_until;
	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_EQ(test, chan_breaker_admit(&br, t, &tk[i]), 0);
	/* The quota is 3: a 4th is refused. */
	KUNIT_EXPECT_EQ(test, chan_breaker_admit(&br, t, &tk[3]), -ECONNREFUSED);
	for (i = 0; i < 2; i++)
		chan_breaker_record(&br, tk[i], CHAN_BRK_SUCCESS, 0, t + MS);
	KUNIT_EXPECT_EQ(test, br.state, (u32)CHAN_BREAKER_HALF_OPEN);
	chan_breaker_record(&br, tk[2], CHAN_BRK_SUCCESS, 0, t + 2 * MS);
	KUNIT_EXPECT_EQ(test, br.state, (u32)CHAN_BREAKER_CLOSED);
	chan_breaker_status(&br, t + 2 * MS, &st);
	KUNIT_EXPECT_EQ(test, st.calls, 0U);	/* the window was cleared */
	KUNIT_EXPECT_EQ(test, st.state_since_ns, t + 2 * MS);
	KUNIT_EXPECT_EQ(test, chan_breaker_admit(&br, t + 3 * MS, &tk[0]), 0);
}

static void breaker_failed_probe_reopens_doubled(struct kunit *test)
{
	struct chan_breaker_cfg cfg;
	struct chan_breaker br;
	u64 t, ticket;
	u32 want = 5000;
	int i;

	cfg_auto(&cfg);
	brk_new(&br, &cfg);
	trip(test, &br, T0);
	/* 5000 -> 10000 -> 20000 -> 40000 -> 60000 (open_max_ms) -> 60000 */
	for (i = 0; i < 5; i++) {
		t = br.open_until;
		KUNIT_ASSERT_EQ(test, chan_breaker_admit(&br, t, &ticket), 0);
		chan_breaker_record(&br, ticket, CHAN_BRK_FAILURE, 0, t + MS);
		want = min(want * 2, 60000U);
		KUNIT_EXPECT_EQ(test, br.state, (u32)CHAN_BREAKER_OPEN);
		KUNIT_EXPECT_EQ(test, br.open_ms, want);
		KUNIT_EXPECT_EQ(test, br.open_until, t + MS + (u64)want * MS);
	}
	KUNIT_EXPECT_EQ(test, br.trips, 6ULL);
}

static void breaker_watchdog_reopens(struct kunit *test)
{
	struct chan_breaker_cfg cfg;
	struct chan_breaker_snap st;
	struct chan_breaker br;
	u64 t, ticket;

	cfg_auto(&cfg);
	brk_new(&br, &cfg);
	trip(test, &br, T0);
	t = br.open_until;
	/* A probe is admitted and its caller never reports. */
	KUNIT_ASSERT_EQ(test, chan_breaker_admit(&br, t, &ticket), 0);
	KUNIT_EXPECT_EQ(test, chan_breaker_next_deadline(&br), t + 10000 * MS);
	KUNIT_EXPECT_EQ(test, state_at(&br, t + 10000 * MS - 1),
			(u32)CHAN_BREAKER_HALF_OPEN);
	chan_breaker_status(&br, t + 10000 * MS, &st);
	KUNIT_EXPECT_EQ(test, st.state, (u32)CHAN_BREAKER_OPEN);
	KUNIT_EXPECT_EQ(test, st.state_since_ns, t + 10000 * MS);
	KUNIT_EXPECT_EQ(test, st.current_open_ms, 10000U);
	/* Its late verdict belongs to an older generation. */
	KUNIT_EXPECT_EQ(test, chan_breaker_record(&br, ticket, CHAN_BRK_SUCCESS,
						  0, t + 10001 * MS), -ESTALE);
	KUNIT_EXPECT_EQ(test, br.state, (u32)CHAN_BREAKER_OPEN);
}

static void breaker_late_probe_is_not_cut_short(struct kunit *test)
{
	struct chan_breaker_cfg cfg;
	struct chan_breaker br;
	u64 t, ticket;

	cfg_auto(&cfg);
	brk_new(&br, &cfg);
	trip(test, &br, T0);
	/* The first probe comes an hour after HALF_OPEN began. */
	t = br.open_until + 3600000 * MS;
	KUNIT_ASSERT_EQ(test, chan_breaker_admit(&br, t, &ticket), 0);
	KUNIT_EXPECT_EQ(test, br.state, (u32)CHAN_BREAKER_HALF_OPEN);
	/* Its watchdog runs from its admission. */
	KUNIT_EXPECT_EQ(test, chan_breaker_next_deadline(&br), t + 10000 * MS);
	KUNIT_EXPECT_EQ(test, chan_breaker_record(&br, ticket, CHAN_BRK_SUCCESS,
						  0, t + 9999 * MS), 0);
	KUNIT_EXPECT_EQ(test, br.probes_ok, 1U);
	KUNIT_EXPECT_EQ(test, br.trips, 1ULL);
}

static void breaker_probe_tickets_count_once(struct kunit *test)
{
	struct chan_breaker_cfg cfg;
	struct chan_breaker br;
	u64 t, tk[2], forged;

	cfg_auto(&cfg);
	brk_new(&br, &cfg);
	/* CLOSED: a made-up probe ticket of this generation changes nothing. */
	forged = (br.generation << 1) | 1;
	KUNIT_EXPECT_EQ(test, chan_breaker_record(&br, forged, CHAN_BRK_FAILURE,
						  0, T0), -ESTALE);
	KUNIT_EXPECT_EQ(test, br.state, (u32)CHAN_BREAKER_CLOSED);
	trip(test, &br, T0);
	t = br.open_until;
	KUNIT_ASSERT_EQ(test, chan_breaker_admit(&br, t, &tk[0]), 0);
	KUNIT_ASSERT_EQ(test, chan_breaker_admit(&br, t, &tk[1]), 0);
	chan_breaker_record(&br, tk[0], CHAN_BRK_SUCCESS, 0, t);
	chan_breaker_record(&br, tk[1], CHAN_BRK_SUCCESS, 0, t);
	/* Both verdicts are in: a third report of either is refused. */
	KUNIT_EXPECT_EQ(test, chan_breaker_record(&br, tk[0], CHAN_BRK_SUCCESS,
						  0, t), -ESTALE);
	KUNIT_EXPECT_EQ(test, br.probes_ok, 2U);
	KUNIT_EXPECT_EQ(test, br.probes_pending, 0U);
	KUNIT_EXPECT_EQ(test, br.state, (u32)CHAN_BREAKER_HALF_OPEN);
}

static void breaker_refuses_looks_ahead_without_changing(struct kunit *test)
{
	struct chan_breaker_cfg cfg;
	struct chan_breaker br;
	u64 until, gen, ticket;

	cfg_auto(&cfg);
	cfg.half_open_probes = 1;
	brk_new(&br, &cfg);
	KUNIT_EXPECT_FALSE(test, chan_breaker_refuses(&br, T0));
	trip(test, &br, T0);
	until = br.open_until;
	gen = br.generation;
	KUNIT_EXPECT_TRUE(test, chan_breaker_refuses(&br, until - 1));
	KUNIT_EXPECT_FALSE(test, chan_breaker_refuses(&br, until));
	KUNIT_EXPECT_EQ(test, br.generation, gen);	/* nothing changed */
	KUNIT_ASSERT_EQ(test, chan_breaker_admit(&br, until, &ticket), 0);
	/* The one probe slot is taken; then its watchdog is due. */
	KUNIT_EXPECT_TRUE(test, chan_breaker_refuses(&br, until));
	KUNIT_EXPECT_TRUE(test, chan_breaker_refuses(&br, until + 10000 * MS));
	chan_breaker_record(&br, ticket, CHAN_BRK_IGNORED, 0, until);
	KUNIT_EXPECT_FALSE(test, chan_breaker_refuses(&br, until));
	cfg.mode = CHAN_BREAKER_FORCED_OPEN;
	chan_breaker_configure(&br, &cfg, T0);
	KUNIT_EXPECT_TRUE(test, chan_breaker_refuses(&br, U64_MAX - 1));
}

static void breaker_ignored_probe_gives_its_slot_back(struct kunit *test)
{
	struct chan_breaker_cfg cfg;
	struct chan_breaker br;
	u64 t, tk[3], extra;

	cfg_auto(&cfg);
	cfg.half_open_probes = 2;
	brk_new(&br, &cfg);
	trip(test, &br, T0);
	t = br.open_until;
	KUNIT_ASSERT_EQ(test, chan_breaker_admit(&br, t, &tk[0]), 0);
	KUNIT_ASSERT_EQ(test, chan_breaker_admit(&br, t, &tk[1]), 0);
	KUNIT_EXPECT_EQ(test, chan_breaker_admit(&br, t, &extra), -ECONNREFUSED);
	chan_breaker_record(&br, tk[0], CHAN_BRK_IGNORED, 0, t);
	KUNIT_EXPECT_EQ(test, br.state, (u32)CHAN_BREAKER_HALF_OPEN);
	KUNIT_ASSERT_EQ(test, chan_breaker_admit(&br, t, &tk[2]), 0);
	chan_breaker_record(&br, tk[1], CHAN_BRK_SUCCESS, 0, t);
	chan_breaker_record(&br, tk[2], CHAN_BRK_SUCCESS, 0, t);
	KUNIT_EXPECT_EQ(test, br.state, (u32)CHAN_BREAKER_CLOSED);
}

static void breaker_generations_ignore_old_outcomes(struct kunit *test)
{
	struct chan_breaker_cfg cfg;
	struct chan_breaker_snap st;
	struct chan_breaker br;
	u64 old, gen;

	cfg_auto(&cfg);
	brk_new(&br, &cfg);
	KUNIT_ASSERT_EQ(test, chan_breaker_admit(&br, T0, &old), 0);
	gen = br.generation;
	trip(test, &br, T0);
	KUNIT_EXPECT_GT(test, br.generation, gen);
	KUNIT_EXPECT_EQ(test, chan_breaker_record(&br, old, CHAN_BRK_SUCCESS, 0,
						  T0), -ESTALE);
	chan_breaker_reset(&br, T0);
	chan_breaker_status(&br, T0, &st);
	KUNIT_EXPECT_EQ(test, st.calls, 0U);
	/* A reset is a transition too. */
	KUNIT_EXPECT_EQ(test, chan_breaker_record(&br, old, CHAN_BRK_FAILURE, 0,
						  T0), -ESTALE);
	chan_breaker_status(&br, T0, &st);
	KUNIT_EXPECT_EQ(test, st.calls, 0U);
}

static void breaker_modes(struct kunit *test)
{
	struct chan_breaker_cfg cfg;
	struct chan_breaker_snap st;
	struct chan_breaker br;
	u64 ticket;
	int i;

	/* DISABLED admits everything and counts nothing. */
	chan_breaker_init(&br, T0);
	for (i = 0; i < 100; i++)
		KUNIT_EXPECT_EQ(test, call(&br, T0, CHAN_BRK_FAILURE, 0), 0);
	chan_breaker_status(&br, T0, &st);
	KUNIT_EXPECT_EQ(test, st.calls, 0U);
	KUNIT_EXPECT_EQ(test, st.state, (u32)CHAN_BREAKER_CLOSED);

	/* METRICS_ONLY counts and never leaves CLOSED. */
	cfg_auto(&cfg);
	cfg.mode = CHAN_BREAKER_METRICS_ONLY;
	chan_breaker_configure(&br, &cfg, T0);
	for (i = 0; i < 100; i++)
		KUNIT_EXPECT_EQ(test, call(&br, T0, CHAN_BRK_FAILURE, 0), 0);
	chan_breaker_status(&br, T0, &st);
	KUNIT_EXPECT_EQ(test, st.calls, 100U);
	KUNIT_EXPECT_EQ(test, st.failures, 100U);
	KUNIT_EXPECT_EQ(test, st.state, (u32)CHAN_BREAKER_CLOSED);
	KUNIT_EXPECT_EQ(test, st.trips, 0ULL);

	/* FORCED_OPEN refuses everything, forever, and a reset keeps it. */
	cfg.mode = CHAN_BREAKER_FORCED_OPEN;
	chan_breaker_configure(&br, &cfg, T0);
	KUNIT_EXPECT_EQ(test, chan_breaker_admit(&br, T0, &ticket), -ECONNREFUSED);
	KUNIT_EXPECT_EQ(test, chan_breaker_admit(&br, T0 + 3600000 * MS, &ticket),
			-ECONNREFUSED);
	KUNIT_EXPECT_EQ(test, chan_breaker_next_deadline(&br), U64_MAX);
	chan_breaker_reset(&br, T0);
	KUNIT_EXPECT_EQ(test, state_at(&br, T0 + 3600000 * MS),
			(u32)CHAN_BREAKER_OPEN);
	KUNIT_EXPECT_EQ(test, br.rejected, 0ULL);
	KUNIT_EXPECT_EQ(test, br.cfg.mode, (u32)CHAN_BREAKER_FORCED_OPEN);
}

static void breaker_reset_closes_auto(struct kunit *test)
{
	struct chan_breaker_cfg cfg;
	struct chan_breaker br;
	u64 ticket, gen;

	cfg_auto(&cfg);
	brk_new(&br, &cfg);
	trip(test, &br, T0);
	chan_breaker_admit(&br, T0, &ticket);
	gen = br.generation;
	chan_breaker_reset(&br, T0 + MS);
	KUNIT_EXPECT_EQ(test, br.state, (u32)CHAN_BREAKER_CLOSED);
	KUNIT_EXPECT_GT(test, br.generation, gen);
	KUNIT_EXPECT_EQ(test, br.rejected, 0ULL);
	KUNIT_EXPECT_EQ(test, br.trips, 0ULL);
	KUNIT_EXPECT_EQ(test, br.cfg.mode, (u32)CHAN_BREAKER_AUTO);
	KUNIT_EXPECT_EQ(test, chan_breaker_admit(&br, T0 + MS, &ticket), 0);
}

static void breaker_adaptive_threshold(struct kunit *test)
{
	struct chan_breaker_cfg cfg;
	struct chan_breaker br;
	int i;

	cfg_auto(&cfg);
	cfg.flags = CHAN_BREAKER_F_ADAPTIVE_THRESHOLD;
	brk_new(&br, &cfg);
	KUNIT_EXPECT_EQ(test, chan_breaker_failure_threshold(&br), 50ULL << 16);
	br.r = 1 << 16;		/* r = 1: 50 x 1.5 */
	KUNIT_EXPECT_EQ(test, chan_breaker_failure_threshold(&br), 75ULL << 16);
	br.r = 1 << 15;		/* r = 0.5: 50 x 1.25 */
	KUNIT_EXPECT_EQ(test, chan_breaker_failure_threshold(&br), 125ULL << 15);
	br.cfg.failure_pct = 80;
	br.r = 1 << 16;		/* 120, capped */
	KUNIT_EXPECT_EQ(test, chan_breaker_failure_threshold(&br), 100ULL << 16);
	br.cfg.flags = 0;	/* off: failure_pct itself */
	KUNIT_EXPECT_EQ(test, chan_breaker_failure_threshold(&br), 80ULL << 16);

	/* With r = 1 the threshold is 75%: 60% to 73% do not trip, 75% does. */
	brk_new(&br, &cfg);
	br.r = 1 << 16;
	for (i = 0; i < 10; i++)
		call(&br, T0, i < 6 ? CHAN_BRK_FAILURE : CHAN_BRK_SUCCESS, 0);
	KUNIT_EXPECT_EQ(test, br.state, (u32)CHAN_BREAKER_CLOSED);
	call(&br, T0, CHAN_BRK_FAILURE, 0);
	call(&br, T0, CHAN_BRK_FAILURE, 0);
	call(&br, T0, CHAN_BRK_FAILURE, 0);	/* 9 of 13: 69% */
	KUNIT_EXPECT_EQ(test, br.state, (u32)CHAN_BREAKER_CLOSED);
	call(&br, T0, CHAN_BRK_FAILURE, 0);
	call(&br, T0, CHAN_BRK_FAILURE, 0);	/* 11 of 15: 73% */
	KUNIT_EXPECT_EQ(test, br.state, (u32)CHAN_BREAKER_CLOSED);
	call(&br, T0, CHAN_BRK_FAILURE, 0);	/* 12 of 16: 75% */
	KUNIT_EXPECT_EQ(test, br.state, (u32)CHAN_BREAKER_OPEN);
}

static void breaker_adaptive_rate_moves_by_a_tenth(struct kunit *test)
{
	struct chan_breaker_cfg cfg;
	struct chan_breaker_snap st;
	struct chan_breaker br;
	int i;

	cfg_auto(&cfg);
	cfg.flags = CHAN_BREAKER_F_ADAPTIVE_THRESHOLD;
	cfg.min_calls = 1000;
	brk_new(&br, &cfg);
	/* 4 failures in 10 calls, in the bucket of T0 (window 10 s). */
	for (i = 0; i < 10; i++)
		call(&br, T0, i < 4 ? CHAN_BRK_FAILURE : CHAN_BRK_SUCCESS, 0);
	/* One rotation: r = 0.4 / 10. */
	chan_breaker_status(&br, T0 + 1000 * MS, &st);
	KUNIT_EXPECT_EQ(test, br.r, (u32)div_u64((4ULL << 16) / 10, 10));
	/* Two more: r = 0.04 x 0.9 + 0.04, then x 0.9 + 0.04 again. */
	chan_breaker_status(&br, T0 + 3000 * MS, &st);
	KUNIT_EXPECT_GE(test, br.r, 7100U);	/* 0.1084 x 65536 = 7104 */
	KUNIT_EXPECT_LE(test, br.r, 7110U);
	/* An hour idle: the window empties and r decays to nothing. */
	chan_breaker_status(&br, T0 + 3600000 * MS, &st);
	KUNIT_EXPECT_LT(test, br.r, 100U);
}

/*
 * Admitting freely (without the lock, from a cached answer) is exactly
 * what chan_breaker_admit() would do: only a closed AUTO or METRICS_ONLY
 * breaker, with the same ticket, and that ticket's outcome counts.
 */
static void breaker_admits_freely_only_when_closed(struct kunit *test)
{
	static const u32 never[] = {
		CHAN_BREAKER_DISABLED, CHAN_BREAKER_FORCED_OPEN,
	};
	struct chan_breaker_cfg cfg;
	struct chan_breaker br;
	u64 free, ticket;
	u32 i;

	cfg_auto(&cfg);
	brk_new(&br, &cfg);
	KUNIT_ASSERT_TRUE(test, chan_breaker_admits_freely(&br, &free));
	KUNIT_EXPECT_EQ(test, chan_breaker_admit(&br, T0, &ticket), 0);
	KUNIT_EXPECT_EQ(test, free, ticket);
	KUNIT_EXPECT_EQ(test, chan_breaker_record(&br, free, CHAN_BRK_SUCCESS, 0,
						  T0), 0);
	KUNIT_EXPECT_EQ(test, br.b[br.epoch % CHAN_BRK_BUCKETS].calls, 1U);
	brk_new(&br, &cfg);
	KUNIT_ASSERT_TRUE(test, chan_breaker_admits_freely(&br, &free));
	trip(test, &br, T0);
	KUNIT_EXPECT_FALSE(test, chan_breaker_admits_freely(&br, &ticket));
	/* The cached ticket is of the old generation: its outcome is dropped. */
	KUNIT_EXPECT_EQ(test, chan_breaker_record(&br, free, CHAN_BRK_FAILURE, 0,
						  T0), -ESTALE);
	chan_breaker_advance(&br, br.open_until);
	KUNIT_EXPECT_EQ(test, br.state, (u32)CHAN_BREAKER_HALF_OPEN);
	KUNIT_EXPECT_FALSE(test, chan_breaker_admits_freely(&br, &ticket));
	cfg.mode = CHAN_BREAKER_METRICS_ONLY;
	brk_new(&br, &cfg);
	KUNIT_EXPECT_TRUE(test, chan_breaker_admits_freely(&br, &ticket));
	for (i = 0; i < ARRAY_SIZE(never); i++) {
		cfg.mode = never[i];
		brk_new(&br, &cfg);
		KUNIT_EXPECT_FALSE(test, chan_breaker_admits_freely(&br, &ticket));
	}
}

static void breaker_cfg_check_rejects_out_of_range(struct kunit *test)
{
	static const struct {
		const char *field;
		size_t offset;
		u32 value;
	} bad[] = {
		{ "mode", offsetof(struct chan_breaker_cfg, mode), 4 },
		{ "flags", offsetof(struct chan_breaker_cfg, flags), 2 },
		{ "failure_pct", offsetof(struct chan_breaker_cfg, failure_pct), 0 },
		{ "failure_pct", offsetof(struct chan_breaker_cfg, failure_pct), 101 },
		{ "slow_pct", offsetof(struct chan_breaker_cfg, slow_pct), 0 },
		{ "slow_pct", offsetof(struct chan_breaker_cfg, slow_pct), 101 },
		{ "window_ms", offsetof(struct chan_breaker_cfg, window_ms), 9 },
		{ "min_calls", offsetof(struct chan_breaker_cfg, min_calls), 0 },
		{ "half_open_probes", offsetof(struct chan_breaker_cfg, half_open_probes), 0 },
		{ "half_open_max_ms", offsetof(struct chan_breaker_cfg, half_open_max_ms), 0 },
		/* open_ms outside open_min_ms..open_max_ms, 1000..60000 */
		{ "open_ms", offsetof(struct chan_breaker_cfg, open_ms), 999 },
		{ "open_ms", offsetof(struct chan_breaker_cfg, open_ms), 60001 },
		{ "open_min_ms", offsetof(struct chan_breaker_cfg, open_min_ms), 0 },
		{ "open_max_ms", offsetof(struct chan_breaker_cfg, open_max_ms), 4999 },
	};
	struct chan_breaker_cfg ok, c;
	u32 i;

	chan_breaker_cfg_default(&ok);
	KUNIT_EXPECT_EQ(test, chan_breaker_cfg_check(&ok), 0);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		c = ok;
		*(u32 *)((char *)&c + bad[i].offset) = bad[i].value;
		KUNIT_EXPECT_EQ_MSG(test, chan_breaker_cfg_check(&c), -EINVAL,
				    "%s = %u", bad[i].field, bad[i].value);
	}
	c = ok;
	c.window_ms = 10;
	c.failure_pct = 100;
	c.open_min_ms = 1;
	c.open_ms = 1;
	c.open_max_ms = 1;
	KUNIT_EXPECT_EQ(test, chan_breaker_cfg_check(&c), 0);
}

static struct kunit_case chan_breaker_cases[] = {
	KUNIT_CASE(breaker_open_period_table),
	KUNIT_CASE(breaker_failure_rate_needs_min_calls),
	KUNIT_CASE(breaker_below_failure_pct_stays_closed),
	KUNIT_CASE(breaker_consecutive_failures_trip),
	KUNIT_CASE(breaker_slow_calls_trip),
	KUNIT_CASE(breaker_window_expires),
	KUNIT_CASE(breaker_open_then_half_open_on_time),
	KUNIT_CASE(breaker_half_open_probes_close_it),
	KUNIT_CASE(breaker_failed_probe_reopens_doubled),
	KUNIT_CASE(breaker_watchdog_reopens),
	KUNIT_CASE(breaker_late_probe_is_not_cut_short),
	KUNIT_CASE(breaker_probe_tickets_count_once),
	KUNIT_CASE(breaker_refuses_looks_ahead_without_changing),
	KUNIT_CASE(breaker_ignored_probe_gives_its_slot_back),
	KUNIT_CASE(breaker_generations_ignore_old_outcomes),
	KUNIT_CASE(breaker_modes),
	KUNIT_CASE(breaker_reset_closes_auto),
	KUNIT_CASE(breaker_adaptive_threshold),
	KUNIT_CASE(breaker_adaptive_rate_moves_by_a_tenth),
	KUNIT_CASE(breaker_admits_freely_only_when_closed),
	KUNIT_CASE(breaker_cfg_check_rejects_out_of_range),
	{}
};

struct kunit_suite chan_breaker_suite = {
	.name = "chan_breaker",
	.test_cases = chan_breaker_cases,
};
