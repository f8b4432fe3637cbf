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
 * chan_tb_take_upto() - take tokens for up to @n messages
 * @tb: the bucket.
 * @n: the messages wanting one, at least 1.
 * @now: the time.
 * @wait: set, when no token was taken, to the nanoseconds until the next.
 *
 * Return: the tokens taken, 0..@n (@n when there is no limit).
 */
u32 chan_tb_take_upto(struct chan_tb *tb, u32 n, u64 now, u64 *wait)
{
	u64 whole;

	if (!tb->rate)
		return n;
	refill(tb, now);
	whole = div_u64(tb->tokens, CHAN_TB_TOKEN);
	if (!whole) {
		*wait = DIV_ROUND_UP_ULL(CHAN_TB_TOKEN - tb->tokens, tb->rate);
		return 0;
	}
	n = min_t(u64, n, whole);
	tb->tokens -= (u64)n * CHAN_TB_TOKEN;
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(chan_tb_take_upto);

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
	u64 wait;

	return chan_tb_take_upto(tb, 1, now, &wait) ? 0 : wait;
}
EXPORT_SYMBOL_IF_KUNIT(chan_tb_take);

/**
 * chan_tb_give_back() - return tokens that admitted no message
 * @tb: the bucket.
 * @n: the tokens, taken from this bucket since its last chan_tb_set().
 * @now: the time.
 *
 * A message that was not sent (it timed out waiting for room, say) did
 * not use its token. Never fills the bucket beyond burst.
 */
void chan_tb_give_back(struct chan_tb *tb, u32 n, u64 now)
{
	u64 full = (u64)tb->burst * CHAN_TB_TOKEN;

	if (!tb->rate)
		return;
	refill(tb, now);
	tb->tokens = min(full, tb->tokens + (u64)n * CHAN_TB_TOKEN);
}
EXPORT_SYMBOL_IF_KUNIT(chan_tb_give_back);

/**
 * chan_tb_wait() - how long until a message could take a token
 * @tb: the bucket.
 * @now: the time.
 *
 * Return: 0 when a token is there (or there is no limit), else the
 * nanoseconds until the next.
 */
u64 chan_tb_wait(struct chan_tb *tb, u64 now)
{
	if (!tb->rate)
		return 0;
	refill(tb, now);
	if (tb->tokens >= CHAN_TB_TOKEN)
		return 0;
	return DIV_ROUND_UP_ULL(CHAN_TB_TOKEN - tb->tokens, tb->rate);
}
EXPORT_SYMBOL_IF_KUNIT(chan_tb_wait);

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
