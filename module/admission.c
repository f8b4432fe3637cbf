// SPDX-License-Identifier: GPL-2.0
/*
 * Adaptive admission of a channel's senders, as pure logic: a cap on the
 * senders parked at once, which follows the measured queueing delay with
 * AIMD (additive increase, multiplicative decrease), after Netflix's
 * concurrency-limits and Sentinel's system rule. While the median wait
 * of the senders that parked stays at or under the target, the cap grows
 * by one per interval; when it is over, the cap is multiplied by 0.9 (at
 * least 1). A slowing consumer so sheds load before the breaker has to
 * trip: a sender that would park beyond the cap is refused at once.
 *
 * Every function takes the time (CLOCK_MONOTONIC, ns) as an argument,
 * never sleeps and takes no lock: the caller serialises calls (the
 * channel's lock), and KUnit drives it with a fake clock.
 */

#include <linux/minmax.h>
#include <linux/time64.h>
#include <kunit/visibility.h>

#include "chan.h"

/**
 * chan_aimd_set() - configure the cap, and open it fully
 * @a: the state.
 * @target_us: the median wait aimed at, in microseconds; 0 turns the cap
 *	off.
 * @max_limit: the largest cap, at least 1; also where it starts.
 * @now: the time.
 */
void chan_aimd_set(struct chan_aimd *a, u32 target_us, u32 max_limit, u64 now)
{
	a->target_us = target_us;
	a->max_limit = max_limit;
	a->limit = max_limit;
	a->since = now;
	a->samples = 0;
	a->over = 0;
}
EXPORT_SYMBOL_IF_KUNIT(chan_aimd_set);

/*
 * End the interval begun at a->since: the median of its samples is over
 * the target exactly when more than half of them are.
 */
static void adjust(struct chan_aimd *a, u64 now)
{
	if (a->over * 2 > a->samples)
		a->limit = max(1U, (u32)((u64)a->limit * 9 / 10));
	else if (a->limit < a->max_limit)
		a->limit++;
	a->since = now;
	a->samples = 0;
	a->over = 0;
}

static bool interval_over(const struct chan_aimd *a, u64 now)
{
	return now > a->since && now - a->since >= CHAN_AIMD_INTERVAL_NS;
}

/**
 * chan_aimd_sample() - a sender stopped waiting
 * @a: the state.
 * @wait_ns: how long it was parked (served, timed out or interrupted).
 * @now: the time.
 *
 * An interval lasts CHAN_AIMD_INTERVAL_NS and ends with the first sample
 * after that, which it includes. A quiet spell is no interval: the first
 * sample after one begins the next.
 */
void chan_aimd_sample(struct chan_aimd *a, u64 wait_ns, u64 now)
{
	if (!a->target_us)
		return;
	if (!a->samples && interval_over(a, now))
		a->since = now;
	a->samples++;
	if (wait_ns > (u64)a->target_us * NSEC_PER_USEC)
		a->over++;
	if (interval_over(a, now))
		adjust(a, now);
}
EXPORT_SYMBOL_IF_KUNIT(chan_aimd_sample);

/**
 * chan_aimd_admits() - may one more sender park?
 * @a: the state.
 * @parked: senders parked now.
 *
 * Return: true when the cap is off or @parked is under it.
 */
bool chan_aimd_admits(const struct chan_aimd *a, u32 parked)
{
	return !a->target_us || parked < a->limit;
}
EXPORT_SYMBOL_IF_KUNIT(chan_aimd_admits);
