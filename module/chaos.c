// SPDX-License-Identifier: GPL-2.0
/*
 * Chaos: faults a channel's owner injects on purpose, to rehearse a slow
 * or stalled consumer on a live channel and watch the service's timeouts,
 * retries and breaker deal with it (as Toxiproxy does for TCP). Four
 * knobs per channel, all 0 (off) at creation, in sysfs chaos/:
 *
 * - send_delay_us, recv_delay_us: a send or receive that may wait first
 *   sleeps this long, interruptibly, within its own timeout: if its
 *   deadline comes first it fails with ETIMEDOUT, having done nothing.
 *   A non-blocking operation is never delayed (it never sleeps).
 * - send_fail_ppm: that many sends in a million fail as if the channel
 *   were full: EAGAIN at once when non-blocking, else ETIMEDOUT when the
 *   send's timeout ends (a send without one waits until a knob changes, a
 *   signal, close or destroy). The breaker counts them as failures. A
 *   select's send case that draws a failure is never ready in that select
 *   (a failure for the breaker too). At 1000000, poll reports no EPOLLOUT,
 *   as for a full channel; below it, a poll-driven non-blocking send (and
 *   io_uring's) draws again on its next attempt.
 * - pause_recv: while 1, receivers find no message: they park, or get
 *   EAGAIN, poll reports no EPOLLIN and FIONREAD 0; senders do not hand
 *   messages to parked receivers. Queued messages stay queued (a closed
 *   channel does not read end of file while any are held back) and are
 *   delivered once it is 0 again: none is lost. (Senders parked on a
 *   full or unbuffered channel still fail with EPIPE if it is closed,
 *   as always.)
 *
 * Every operation chaos acts on counts once in stats/chaos_injected: a
 * delayed one, a failed send, a receive (or a batch, or a select's
 * receive case) that found messages held back. A change to any knob
 * releases the operations a delay or failed send holds: they go on as
 * if it had ended. Close and destroy release them too, and the operation
 * then fails as it would have (EPIPE, ENODEV).
 *
 * Locking: the knobs change under chan->rx_lock and chan->lock, which
 * also order pause_recv with every receive's decision to take a message
 * or park (both made under chan->lock) and with the hand-off of a send to
 * a parked receiver (a hand-off claimed before the pause completes).
 * Lifting the pause kicks parked receivers (CHAN_RESULT_RETRY) in order:
 * the first on a buffered channel, which passes the kick on; one per
 * parked sender on an unbuffered one. The
 * other knobs are read without a lock on the way into an operation:
 * chaos.gen, bumped with a release store after every change, is read
 * with an acquire load first, so an operation that read old values sees
 * the generation move and is released. While every knob is 0, the data
 * path reads chaos.gen and chaos.armed on the way in, and pause_recv
 * under chan->lock where it decides.
 */

#include <linux/poll.h>
#include <linux/random.h>
#include <linux/wait.h>
#include <kunit/visibility.h>

#include "chan.h"

/* The longest delay a knob takes: a typo must not wedge a service for hours. */
#define CHAN_CHAOS_DELAY_MAX_US	(60U * USEC_PER_SEC)
#define CHAN_CHAOS_PPM		1000000U

/**
 * chan_chaos_init() - a channel's chaos knobs, all off
 * @ch: the channel, being allocated.
 */
void chan_chaos_init(struct chan *ch)
{
	init_waitqueue_head(&ch->chaos.wait);
}

/**
 * chan_chaos_wake() - release the operations chaos holds
 * @ch: the channel, just closed or destroyed.
 *
 * Context: process context, no channel lock held.
 */
void chan_chaos_wake(struct chan *ch)
{
	if (wq_has_sleeper(&ch->chaos.wait))
		wake_up_all(&ch->chaos.wait);
}

static void chaos_count(struct chan *ch, u64 *counter)
{
	spin_lock(&ch->lock);
	(*counter)++;
	spin_unlock(&ch->lock);
}

/* Does this send draw a failure? Counts it if so. */
static bool chaos_send_fails(struct chan *ch)
{
	u32 ppm = READ_ONCE(ch->chaos.send_fail_ppm);

	if (!ppm || ((u64)get_random_u32() * CHAN_CHAOS_PPM >> 32) >= ppm)
		return false;
	atomic64_inc(&ch->chaos.injected);
	return true;
}

/**
 * chan_chaos_fails_send() - does a select's send case draw a failure?
 * @ch: the case's channel.
 *
 * Context: process context; takes chan->lock.
 * Return: true if the case is to be never ready, like a full channel's.
 */
bool chan_chaos_fails_send(struct chan *ch)
{
	if (likely(!READ_ONCE(ch->chaos.armed)))
		return false;
	if (!chaos_send_fails(ch))
		return false;
	chaos_count(ch, &ch->stats.full);
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(chan_chaos_fails_send);

/**
 * chan_chaos_fails_all() - does chaos fail every send (1000000 ppm)?
 * @ch: the channel.
 *
 * For poll: such a channel is as full as a full one, not writable.
 */
bool chan_chaos_fails_all(struct chan *ch)
{
	return READ_ONCE(ch->chaos.send_fail_ppm) == CHAN_CHAOS_PPM;
}

static bool chaos_released(struct chan *ch, u32 gen)
{
	return READ_ONCE(ch->chaos.gen) != gen || READ_ONCE(ch->closed) ||
	       READ_ONCE(ch->dead);
}

/**
 * chan_chaos_before() - what chaos does to an operation before it starts
 * @ch: the channel.
 * @send: a send (delay or failure), else a receive (delay).
 * @to: the operation's timeout.
 *
 * Context: process context, no lock held; may sleep.
 * Return: 0 to go on with the operation; 1 to go on with a send whose
 * injected failure was released early (already counted in stats/full);
 * -EAGAIN (a failed non-blocking send), -ETIMEDOUT (a failed send's
 * timeout ended, or the deadline came during a delay), -EINTR (timed) or
 * -ERESTARTSYS (untimed) on a signal.
 */
int chan_chaos_before(struct chan *ch, bool send,
		      const struct chan_timeout *to)
{
	struct chan_chaos *cc = &ch->chaos;
	ktime_t wait = KTIME_MAX;
	bool fail, deadline;
	u32 gen, delay_us;
	long ret;

	/* Pairs with the release in chan_chaos_set(): see "Locking". */
	gen = smp_load_acquire(&cc->gen);
	if (likely(!READ_ONCE(cc->armed)))
		return 0;
	fail = send && chaos_send_fails(ch);
	if (fail) {
		chaos_count(ch, &ch->stats.full);
		if (to->try)
			return -EAGAIN;
		deadline = to->timed;
		if (deadline)
			wait = ktime_sub(to->expires, ktime_get());
	} else {
		delay_us = send ? READ_ONCE(cc->send_delay_us) :
			READ_ONCE(cc->recv_delay_us);
		if (!delay_us || to->try)
			return 0;
		atomic64_inc(&cc->injected);
		wait = ns_to_ktime((u64)delay_us * NSEC_PER_USEC);
		deadline = to->timed &&
			ktime_before(to->expires, ktime_add(ktime_get(), wait));
		if (deadline)
			wait = ktime_sub(to->expires, ktime_get());
	}
	ret = -ETIME;
	/* As every wait of a channel: interruptible, and freezable. */
	if (wait > 0 && !chaos_released(ch, gen))
		ret = __wait_event_hrtimeout(cc->wait, chaos_released(ch, gen),
					     wait,
					     (TASK_INTERRUPTIBLE | TASK_FREEZABLE));
	else if (wait > 0)
		ret = 0;
	if (!ret || (ret == -ETIME && !deadline))
		return fail;
	if (ret == -ETIME) {
		chaos_count(ch, send ? &ch->stats.send_timeouts :
			    &ch->stats.recv_timeouts);
		return -ETIMEDOUT;
	}
	chaos_count(ch, &ch->stats.interrupted);
	return to->timed ? -EINTR : -ERESTARTSYS;
}

/**
 * chan_chaos_held() - count a receive that found messages held back, or a
 *	parked receiver that was not sent for or handed a message
 * @ch: the channel.
 */
void chan_chaos_held(struct chan *ch)
{
	atomic64_inc(&ch->chaos.injected);
}

/*
 * Lifting the pause: send parked receivers to look again, in order. On a
 * buffered channel the first one, who passes the kick on if it leaves
 * messages behind (chan_kick_receiver()); on an unbuffered one as many as
 * there are parked senders for them.
 */
static void resume_receivers(struct chan *ch, struct chan_wakeups *wk)
{
	u32 n;

	lockdep_assert_held(&ch->lock);
	if (ch->ring.size) {
		chan_kick_receiver(ch, wk);
		return;
	}
	n = min(chan_count_claimable(ch, true), chan_count_claimable(ch, false));
	while (n-- && chan_kick_first(ch, false, wk))
		;
}

/**
 * chan_chaos_get() - read a knob
 * @ch: the channel.
 * @knob: which.
 *
 * Return: its value.
 */
u32 chan_chaos_get(struct chan *ch, enum chan_chaos_knob knob)
{
	struct chan_chaos *cc = &ch->chaos;

	switch (knob) {
	case CHAN_CHAOS_SEND_DELAY_US:
		return READ_ONCE(cc->send_delay_us);
	case CHAN_CHAOS_RECV_DELAY_US:
		return READ_ONCE(cc->recv_delay_us);
	case CHAN_CHAOS_SEND_FAIL_PPM:
		return READ_ONCE(cc->send_fail_ppm);
	case CHAN_CHAOS_PAUSE_RECV:
		return READ_ONCE(cc->pause_recv);
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(chan_chaos_get);

/**
 * chan_chaos_set() - set a knob
 * @ch: the channel.
 * @knob: which.
 * @val: its new value.
 *
 * Context: process context; takes chan->rx_lock and chan->lock.
 * Return: 0, -EINVAL for a value out of range (delays up to 60 s, ppm up
 * to 1000000, pause 0 or 1), or -ENODEV if the channel was destroyed.
 */
int chan_chaos_set(struct chan *ch, enum chan_chaos_knob knob, u32 val)
{
	struct chan_chaos *cc = &ch->chaos;
	struct chan_wakeups wk = { 0 };
	bool resumed = false;
	int ret = 0;

	switch (knob) {
	case CHAN_CHAOS_SEND_DELAY_US:
	case CHAN_CHAOS_RECV_DELAY_US:
		if (val > CHAN_CHAOS_DELAY_MAX_US)
			return -EINVAL;
		break;
	case CHAN_CHAOS_SEND_FAIL_PPM:
		if (val > CHAN_CHAOS_PPM)
			return -EINVAL;
		break;
	case CHAN_CHAOS_PAUSE_RECV:
		if (val > 1)
			return -EINVAL;
		break;
	}

	spin_lock(&ch->rx_lock);
	spin_lock(&ch->lock);
	if (ch->dead) {
		ret = -ENODEV;
		goto out_unlock;
	}
	switch (knob) {
	case CHAN_CHAOS_SEND_DELAY_US:
		WRITE_ONCE(cc->send_delay_us, val);
		break;
	case CHAN_CHAOS_RECV_DELAY_US:
		WRITE_ONCE(cc->recv_delay_us, val);
		break;
	case CHAN_CHAOS_SEND_FAIL_PPM:
		WRITE_ONCE(cc->send_fail_ppm, val);
		break;
	case CHAN_CHAOS_PAUSE_RECV:
		resumed = cc->pause_recv && !val;
		WRITE_ONCE(cc->pause_recv, val);
		break;
	}
	WRITE_ONCE(cc->armed, cc->send_delay_us || cc->recv_delay_us ||
		   cc->send_fail_ppm);
	/* Pairs with the acquire in chan_chaos_before(). */
	smp_store_release(&cc->gen, cc->gen + 1);
	if (resumed)
		resume_receivers(ch, &wk);
out_unlock:
	spin_unlock(&ch->lock);
	spin_unlock(&ch->rx_lock);
	chan_wake_flush(&wk);
	if (ret)
		return ret;
	chan_chaos_wake(ch);
	if (resumed)
		chan_notify(ch, EPOLLIN | EPOLLRDNORM | EPOLLOUT | EPOLLWRNORM);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(chan_chaos_set);
