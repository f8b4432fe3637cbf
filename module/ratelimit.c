// SPDX-License-Identifier: GPL-2.0
/*
 * The token bucket of a channel's send side, as pure logic: it holds up to
 * burst tokens, gains rate tokens per second and starts full; every
 * message takes one. Every function takes the time (CLOCK_MONOTONIC, ns)
 * as an argument, never sleeps and takes no lock: the caller serialises
 * calls on one bucket, and KUnit drives it with a fake clock.
 *
 * Tokens are counted in billionths, so that each nanosecond adds exactly
 * rate of them: no rounding ever accumulates, and over any interval of t
 * seconds at most burst + rate x t messages are admitted.
 */

#include <linux/math64.h>
#include <linux/time64.h>
#include <kunit/visibility.h>

#include "chan.h"

/* One token, in the bucket's unit. */
#define CHAN_TB_TOKEN	((u64)NSEC_PER_SEC)

/**
 * chan_tb_set() - configure a bucket, and fill it
 * @tb: the bucket.
 * @rate: tokens per second; 0 turns the limit off.
 * @burst: the most tokens it holds, at least 1 when @rate is not 0.
 * @now: the time.
 */
void chan_tb_set(struct chan_tb *tb, u32 rate, u32 burst, u64 now)
{
	tb->rate = rate;
	tb->burst = burst;
	tb->tokens = (u64)burst * CHAN_TB_TOKEN;
	tb->last = now;
}
EXPORT_SYMBOL_IF_KUNIT(chan_tb_set);

static void refill(struct chan_tb *tb, u64 now)
{
	u64 full = (u64)tb->burst * CHAN_TB_TOKEN, elapsed;

	if (now <= tb->last)
		return;
	elapsed = now - tb->last;
	tb->last = now;
	if (tb->tokens >= full)
		return;
	/* Compared first, so that elapsed x rate cannot overflow. */
	if (elapsed >= DIV_ROUND_UP_ULL(full - tb->tokens, tb->rate))
		tb->tokens = full;
	else
		tb->tokens += elapsed * tb->rate;
}

/**
 * chan_tb_take() - take a token for one message
 * @tb: the bucket.
 * @now: the time.
 *
 * Return: 0 when a token was taken (or there is no limit); else the
 * nanoseconds until the next token, none taken.
 */
u64 chan_tb_take(struct chan_tb *tb, u64 now)
{
	if (!tb->rate)
		return 0;
	refill(tb, now);
	if (tb->tokens >= CHAN_TB_TOKEN) {
		tb->tokens -= CHAN_TB_TOKEN;
		return 0;
	}
	return DIV_ROUND_UP_ULL(CHAN_TB_TOKEN - tb->tokens, tb->rate);
}
EXPORT_SYMBOL_IF_KUNIT(chan_tb_take);

/**
 * chan_tb_tokens() - whole tokens in the bucket now
 * @tb: the bucket.
 * @now: the time.
 *
 * Return: the count, burst for a bucket with no limit.
 */
u32 chan_tb_tokens(struct chan_tb *tb, u64 now)
{
	if (!tb->rate)
		return tb->burst;
	refill(tb, now);
	return div_u64(tb->tokens, CHAN_TB_TOKEN);
}
EXPORT_SYMBOL_IF_KUNIT(chan_tb_tokens);
