// SPDX-License-Identifier: GPL-2.0
/*
 * The guard of a channel's send side: its circuit breaker (logic in
 * breaker.c) on the send paths and behind the breaker ioctls, and the
 * notifications of its transitions.
 *
 * Locking: chan->guard_lock, a leaf (taken under chan->lock by poll, never
 * the other way round), serialises every call into the breaker. A send
 * asks it first, after the closed check and before anything else, so a
 * refusal (ECONNREFUSED) costs one uncontended spinlock: no wait, no
 * channel lock. chan->guarded, read without the lock, skips all of it
 * while the breaker is DISABLED (the default). A send admitted while
 * guarded records its outcome when it ends: success (queued or handed
 * over; slow if it took longer than slow_ms), failure (ETIMEDOUT, or
 * EAGAIN because the channel had no room), or ignored (any other error).
 * Outcomes of a generation that has ended are dropped by the breaker.
 *
 * Transitions: whoever makes one (a send, an ioctl, poll, the timer)
 * notifies pollers with EPOLLPRI, and with EPOLLOUT when sends are
 * admitted again (also when a probe slot is given back). Time alone ends
 * an open period or a silent probe's wait: an hrtimer set to
 * chan_breaker_next_deadline() makes that transition when it is due, so
 * that pollers learn of it then.
 */

#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/poll.h>
#include <linux/uaccess.h>
#include <kunit/visibility.h>

#include "chan.h"

static u64 guard_now(void)
{
	return ktime_get_ns();
}

/*
 * After a call into the breaker that began at generation @gen, refusing
 * sends or not (@refused): set the timer for the next deadline, and tell
 * the caller what to notify: EPOLLPRI for a transition, EPOLLOUT when
 * sends are admitted again (a transition, or a probe slot given back).
 * guard_lock held.
 */
static __poll_t after_call(struct chan *ch, u64 gen, bool refused, u64 now)
{
	u64 deadline = chan_breaker_next_deadline(&ch->breaker);
	__poll_t events = 0;

	if (deadline != U64_MAX && deadline != ch->guard_timer_at) {
		hrtimer_start(&ch->guard_timer, ns_to_ktime(deadline),
			      HRTIMER_MODE_ABS_SOFT);
		ch->guard_timer_at = deadline;
	}
	if (ch->breaker.generation != gen)
		events |= EPOLLPRI;
	if ((events || refused) && !chan_breaker_refuses(&ch->breaker, now))
		events |= EPOLLOUT | EPOLLWRNORM;
	return events;
}

static enum hrtimer_restart guard_timer_fn(struct hrtimer *t)
{
	struct chan *ch = container_of(t, struct chan, guard_timer);
	u64 gen, now = guard_now();
	__poll_t events;
	bool refused;

	spin_lock(&ch->guard_lock);
	ch->guard_timer_at = 0;
	gen = ch->breaker.generation;
	refused = chan_breaker_refuses(&ch->breaker, now);
	chan_breaker_advance(&ch->breaker, now);
	events = after_call(ch, gen, refused, now);
	spin_unlock(&ch->guard_lock);
	if (events)
		chan_notify(ch, events);
	return HRTIMER_NORESTART;
}

/**
 * chan_guard_init() - a channel's guard: the breaker DISABLED
 * @ch: the channel, being set up.
 */
void chan_guard_init(struct chan *ch)
{
	spin_lock_init(&ch->guard_lock);
	chan_breaker_init(&ch->breaker, guard_now());
	hrtimer_init(&ch->guard_timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS_SOFT);
	ch->guard_timer.function = guard_timer_fn;
}

/**
 * chan_guard_destroy() - stop the guard's timer
 * @ch: the channel, being freed.
 */
void chan_guard_destroy(struct chan *ch)
{
	hrtimer_cancel(&ch->guard_timer);
}

/**
 * chan_guard_begin() - may a send go ahead?
 * @ch: the channel.
 * @gc: the send's guard state, for chan_guard_end().
 *
 * Context: any; never sleeps.
 * Return: 0, or -ECONNREFUSED when the breaker refuses the send.
 */
int chan_guard_begin(struct chan *ch, struct chan_guard_call *gc)
{
	__poll_t events;
	bool refused;
	u64 gen;
	int ret;

	gc->tracked = false;
	if (!READ_ONCE(ch->guarded))
		return 0;
	gc->start = guard_now();
	spin_lock_bh(&ch->guard_lock);
	gen = ch->breaker.generation;
	refused = chan_breaker_refuses(&ch->breaker, gc->start);
	ret = chan_breaker_admit(&ch->breaker, gc->start, &gc->ticket);
	events = after_call(ch, gen, refused, gc->start);
	spin_unlock_bh(&ch->guard_lock);
	if (events)
		chan_notify(ch, events);
	gc->tracked = !ret;
	return ret;
}

static enum chan_brk_outcome outcome_of(long ret)
{
	if (ret >= 0)
		return CHAN_BRK_SUCCESS;
	if (ret == -ETIMEDOUT || ret == -EAGAIN)
		return CHAN_BRK_FAILURE;
	return CHAN_BRK_IGNORED;
}

static void record(struct chan *ch, u64 ticket, enum chan_brk_outcome outcome,
		   u64 duration, u64 now, int *ret)
{
	__poll_t events;
	bool refused;
	u64 gen;
	int r;

	spin_lock_bh(&ch->guard_lock);
	gen = ch->breaker.generation;
	refused = chan_breaker_refuses(&ch->breaker, now);
	r = chan_breaker_record(&ch->breaker, ticket, outcome, duration, now);
	events = after_call(ch, gen, refused, now);
	spin_unlock_bh(&ch->guard_lock);
	if (events)
		chan_notify(ch, events);
	if (ret)
		*ret = r;
}

/**
 * chan_guard_end() - record how an admitted send ended
 * @ch: the channel.
 * @gc: what chan_guard_begin() set.
 * @ret: the send's result: >= 0 for success, else its error.
 */
void chan_guard_end(struct chan *ch, struct chan_guard_call *gc, long ret)
{
	u64 now;

	if (!gc->tracked)
		return;
	now = guard_now();
	record(ch, gc->ticket, outcome_of(ret), now - gc->start, now, NULL);
}

/**
 * chan_guard_refuses() - would the breaker refuse a send now?
 * @ch: the channel.
 *
 * For poll: a channel whose breaker refuses sends is never writable. It
 * changes nothing (a transition it would make could not be notified under
 * chan->lock); chan_poll() brings the breaker up to date first.
 *
 * Context: chan->lock may be held.
 */
bool chan_guard_refuses(struct chan *ch)
{
	bool ret;

	if (!READ_ONCE(ch->guarded))
		return false;
	spin_lock_bh(&ch->guard_lock);
	ret = chan_breaker_refuses(&ch->breaker, guard_now());
	spin_unlock_bh(&ch->guard_lock);
	return ret;
}

/**
 * chan_guard_generation() - the breaker's generation now
 * @ch: the channel.
 *
 * Return: it, with any transition time alone made taken into account
 * (the timer makes them, but poll may come first).
 */
u64 chan_guard_generation(struct chan *ch)
{
	u64 gen, ret, now = guard_now();
	__poll_t events;
	bool refused;

	spin_lock_bh(&ch->guard_lock);
	gen = ch->breaker.generation;
	refused = chan_breaker_refuses(&ch->breaker, now);
	chan_breaker_advance(&ch->breaker, now);
	events = after_call(ch, gen, refused, now);
	ret = ch->breaker.generation;
	spin_unlock_bh(&ch->guard_lock);
	if (events)
		chan_notify(ch, events);
	return ret;
}

static void cfg_to_user(struct chan_breaker_config *u,
			const struct chan_breaker_cfg *k)
{
	*u = (struct chan_breaker_config) {
		.mode = k->mode,
		.window_ms = k->window_ms,
		.min_calls = k->min_calls,
		.failure_pct = k->failure_pct,
		.consecutive_failures = k->consecutive_failures,
		.slow_ms = k->slow_ms,
		.slow_pct = k->slow_pct,
		.open_ms = k->open_ms,
		.open_min_ms = k->open_min_ms,
		.open_max_ms = k->open_max_ms,
		.half_open_probes = k->half_open_probes,
		.half_open_max_ms = k->half_open_max_ms,
		.flags = k->flags,
	};
}

static int cfg_from_user(struct chan_breaker_cfg *k,
			 const struct chan_breaker_config *u)
{
	if (u->reserved)
		return -EINVAL;
	*k = (struct chan_breaker_cfg) {
		.mode = u->mode,
		.window_ms = u->window_ms,
		.min_calls = u->min_calls,
		.failure_pct = u->failure_pct,
		.consecutive_failures = u->consecutive_failures,
		.slow_ms = u->slow_ms,
		.slow_pct = u->slow_pct,
		.open_ms = u->open_ms,
		.open_min_ms = u->open_min_ms,
		.open_max_ms = u->open_max_ms,
		.half_open_probes = u->half_open_probes,
		.half_open_max_ms = u->half_open_max_ms,
		.flags = u->flags,
	};
	return chan_breaker_cfg_check(k);
}

/* Apply @cfg (or, with @cfg NULL, reset) and notify the transition. */
static void reconfigure(struct chan *ch, const struct chan_breaker_cfg *cfg)
{
	__poll_t events;
	u64 gen, now = guard_now();
	bool refused;

	spin_lock_bh(&ch->guard_lock);
	gen = ch->breaker.generation;
	refused = chan_breaker_refuses(&ch->breaker, now);
	if (cfg)
		chan_breaker_configure(&ch->breaker, cfg, now);
	else
		chan_breaker_reset(&ch->breaker, now);
	WRITE_ONCE(ch->guarded,
		   ch->breaker.cfg.mode != CHAN_BREAKER_DISABLED);
	events = after_call(ch, gen, refused, now);
	if (chan_breaker_next_deadline(&ch->breaker) == U64_MAX &&
	    hrtimer_try_to_cancel(&ch->guard_timer) >= 0)
		ch->guard_timer_at = 0;
	spin_unlock_bh(&ch->guard_lock);
	if (events)
		chan_notify(ch, events);
}

static long ioc_status(struct chan *ch, u64 *seen, unsigned int cmd,
		       unsigned long arg)
{
	struct chan_breaker_status st = { 0 };
	struct chan_breaker_snap snap;
	u64 gen, now = guard_now();
	__poll_t events;
	bool refused;

	spin_lock_bh(&ch->guard_lock);
	gen = ch->breaker.generation;
	refused = chan_breaker_refuses(&ch->breaker, now);
	chan_breaker_status(&ch->breaker, now, &snap);
	events = after_call(ch, gen, refused, now);
	spin_unlock_bh(&ch->guard_lock);
	if (events)
		chan_notify(ch, events);
	st.state = snap.state;
	st.generation = snap.generation;
	st.calls = snap.calls;
	st.failures = snap.failures;
	st.slow_calls = snap.slow_calls;
	st.rejected = snap.rejected;
	st.trips = snap.trips;
	st.current_open_ms = snap.current_open_ms;
	st.state_since_ns = snap.state_since_ns;
	/* This fd has now seen the state: POLLPRI clears. */
	WRITE_ONCE(*seen, snap.generation);
	return chan_arg_out(cmd, arg, &st, sizeof(st),
			    CHAN_BREAKER_STATUS_SIZE_VER0);
}

static long ioc_acquire(struct chan *ch, unsigned long arg)
{
	u64 gen, ticket, now = guard_now();
	__poll_t events;
	bool refused;
	int ret;

	/* Admitted in every mode; a DISABLED breaker ignores the report. */
	spin_lock_bh(&ch->guard_lock);
	gen = ch->breaker.generation;
	refused = chan_breaker_refuses(&ch->breaker, now);
	ret = chan_breaker_admit(&ch->breaker, now, &ticket);
	events = after_call(ch, gen, refused, now);
	spin_unlock_bh(&ch->guard_lock);
	if (events)
		chan_notify(ch, events);
	if (ret)
		return ret;
	if (put_user(ticket, (u64 __user *)arg)) {
		/* Nobody holds the ticket: give a probe slot back. */
		record(ch, ticket, CHAN_BRK_IGNORED, 0, guard_now(), NULL);
		return -EFAULT;
	}
	return 0;
}

static long ioc_report(struct chan *ch, unsigned int cmd, unsigned long arg)
{
	struct chan_breaker_report rep;
	enum chan_brk_outcome outcome;
	int ret;

	ret = chan_arg_in(&rep, sizeof(rep), CHAN_BREAKER_REPORT_SIZE_VER0,
			  cmd, arg);
	if (ret)
		return ret;
	if (rep.reserved)
		return -EINVAL;
	if (rep.outcome == CHAN_OUTCOME_SUCCESS)
		outcome = CHAN_BRK_SUCCESS;
	else if (rep.outcome == CHAN_OUTCOME_FAILURE)
		outcome = CHAN_BRK_FAILURE;
	else
		return -EINVAL;
	record(ch, rep.ticket, outcome, rep.duration_ns, guard_now(), &ret);
	return ret;
}

/**
 * chan_guard_ioctl() - the breaker ioctls
 * @ch: the channel.
 * @seen: the breaker generation the calling open file last saw (POLLPRI).
 * @may_configure: the caller owns the channel or has CAP_SYS_ADMIN.
 * @cmd: the ioctl, one of the CHAN_IOC_*BREAKER* numbers.
 * @arg: its argument.
 *
 * Context: process context.
 * Return: as the uapi header says; -ENOTTY for another command.
 */
long chan_guard_ioctl(struct chan *ch, u64 *seen, bool may_configure,
		      unsigned int cmd, unsigned long arg)
{
	struct chan_breaker_config ucfg;
	struct chan_breaker_cfg cfg;
	int ret;

	switch (CHAN_IOC_NOSIZE(cmd)) {
	case CHAN_IOC_NOSIZE(CHAN_IOC_SET_BREAKER):
		ret = chan_arg_in(&ucfg, sizeof(ucfg),
				  CHAN_BREAKER_CONFIG_SIZE_VER0, cmd, arg);
		if (ret)
			return ret;
		if (!may_configure)
			return -EPERM;
		ret = cfg_from_user(&cfg, &ucfg);
		if (ret)
			return ret;
		reconfigure(ch, &cfg);
		return 0;
	case CHAN_IOC_NOSIZE(CHAN_IOC_GET_BREAKER):
		spin_lock_bh(&ch->guard_lock);
		cfg = ch->breaker.cfg;
		spin_unlock_bh(&ch->guard_lock);
		cfg_to_user(&ucfg, &cfg);
		return chan_arg_out(cmd, arg, &ucfg, sizeof(ucfg),
				    CHAN_BREAKER_CONFIG_SIZE_VER0);
	case CHAN_IOC_NOSIZE(CHAN_IOC_GET_BREAKER_STATUS):
		return ioc_status(ch, seen, cmd, arg);
	case CHAN_IOC_NOSIZE(CHAN_IOC_BREAKER_RESET):
		if (!may_configure)
			return -EPERM;
		reconfigure(ch, NULL);
		return 0;
	case CHAN_IOC_NOSIZE(CHAN_IOC_BREAKER_ACQUIRE):
		return ioc_acquire(ch, arg);
	case CHAN_IOC_NOSIZE(CHAN_IOC_BREAKER_REPORT):
		return ioc_report(ch, cmd, arg);
	default:
		return -ENOTTY;
	}
}
