// SPDX-License-Identifier: GPL-2.0
/*
 * The guard of a channel's send side: its circuit breaker (logic in
 * breaker.c) and its rate limiter (the token bucket of ratelimit.c) on
 * the send paths, behind their ioctls and sysfs files, and the
 * notifications of what they change.
 *
 * Locking: chan->guard_lock, a leaf (taken under chan->lock by poll, never
 * the other way round), serialises every call into the breaker and the
 * bucket. A send asks the breaker first, after the closed check and
 * before anything else, so a refusal (ECONNREFUSED) costs one uncontended
 * spinlock: no wait, no channel lock. Then it takes its token. Each of
 * chan->guarded (breaker not DISABLED, the default) and chan->limited
 * (rate not 0, the default), read without the lock, skips its part. A
 * send admitted while guarded records its outcome when it ends: success
 * (queued or handed over; slow if it took longer than slow_ms), failure
 * (ETIMEDOUT, or EAGAIN because the channel had no room), or ignored (any
 * other error, a rate limiter's refusal among them). Outcomes of a
 * generation that has ended are dropped by the breaker.
 *
 * A sender with no token gives back its admission by the breaker (a
 * half-open probe slot must not wait on the limiter), sleeps on
 * chan->rate_wait, interruptibly and without any lock, until its token is
 * due, then asks the breaker again. Close, destroy, a change of the rate
 * and tokens given back wake it early (chan->rate_gen and ->rate_given,
 * read after prepare_to_wait(), say which). Tokens of messages not sent
 * go back to the bucket, unless the rate changed meanwhile (that filled
 * it).
 *
 * Notifications: whoever makes a transition (a send, an ioctl, a sysfs
 * write, poll, the timer) notifies pollers with EPOLLPRI, sysfs pollers of
 * breaker/state, and with EPOLLOUT when sends are admitted again (also
 * when a probe slot is given back). Time alone ends an open period or a
 * silent probe's wait, and brings the next token to a poller that found
 * none: an hrtimer set to the earliest of these makes that happen when it
 * is due, so that pollers learn of it then.
 */

#include <linux/hrtimer.h>
#include <linux/kernfs.h>
#include <linux/ktime.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/uaccess.h>
#include <kunit/visibility.h>

#include "chan.h"
#include "trace.h"

static u64 guard_now(void)
{
	return ktime_get_ns();
}

/* The earliest thing due (ns), U64_MAX if none. guard_lock held. */
static u64 guard_deadline(struct chan *ch)
{
	u64 deadline = chan_breaker_next_deadline(&ch->breaker);

	if (ch->rate_poll_at && ch->rate_poll_at < deadline)
		deadline = ch->rate_poll_at;
	return deadline;
}

/* Set the timer for the earliest thing due. guard_lock held. */
static void arm_timer(struct chan *ch)
{
	u64 deadline = guard_deadline(ch);

	if (deadline != U64_MAX && deadline != ch->guard_timer_at) {
		hrtimer_start(&ch->guard_timer, ns_to_ktime(deadline),
			      HRTIMER_MODE_ABS_SOFT);
		ch->guard_timer_at = deadline;
	}
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
	__poll_t events = 0;
	u64 ticket;

	WRITE_ONCE(ch->brk_free,
		   chan_breaker_admits_freely(&ch->breaker, &ticket) ?
		   ticket << 2 | (u64)!!ch->breaker.cfg.slow_ms << 1 | 1 : 0);
	arm_timer(ch);
	if (ch->breaker.generation != gen) {
		events |= EPOLLPRI;
		trace_chan_breaker(ch->index, ch->breaker.state,
				   ch->breaker.generation, ch->breaker.open_ms);
	}
	if ((events || refused) && !chan_breaker_refuses(&ch->breaker, now))
		events |= EPOLLOUT | EPOLLWRNORM;
	return events;
}

/*
 * Tell everyone who waits for @events; a transition (EPOLLPRI) also
 * wakes pollers of sysfs breaker/state (after_call() traced it). Without
 * any lock held.
 */
static void guard_notify(struct chan *ch, __poll_t events)
{
	struct kernfs_node *kn;

	if (!events)
		return;
	chan_notify(ch, events);
	if (events & EPOLLPRI) {
		kn = READ_ONCE(ch->state_kn);
		if (kn)
			kernfs_notify(kn);
	}
}

static enum hrtimer_restart guard_timer_fn(struct hrtimer *t)
{
	struct chan *ch = container_of(t, struct chan, guard_timer);
	u64 gen, now = guard_now();
	__poll_t events;
	bool refused, token = false;

	spin_lock(&ch->guard_lock);
	ch->guard_timer_at = 0;
	if (ch->rate_poll_at && ch->rate_poll_at <= now) {
		ch->rate_poll_at = 0;
		token = true;
	}
	gen = ch->breaker.generation;
	refused = chan_breaker_refuses(&ch->breaker, now);
	chan_breaker_advance(&ch->breaker, now);
	events = after_call(ch, gen, refused, now);
	if (token && !chan_breaker_refuses(&ch->breaker, now))
		events |= EPOLLOUT | EPOLLWRNORM;
	spin_unlock(&ch->guard_lock);
	guard_notify(ch, events);
	return HRTIMER_NORESTART;
}

/**
 * chan_guard_init() - a channel's guard: the breaker DISABLED, no limit
 * @ch: the channel, being set up.
 */
void chan_guard_init(struct chan *ch)
{
	u64 now = guard_now();

	spin_lock_init(&ch->guard_lock);
	chan_breaker_init(&ch->breaker, now);
	chan_tb_set(&ch->tb, 0, 1, now);
	init_waitqueue_head(&ch->rate_wait);
	hrtimer_init(&ch->guard_timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS_SOFT);
	ch->guard_timer.function = guard_timer_fn;
}

/**
 * chan_guard_destroy() - stop the guard's timer, drop the sysfs node
 * @ch: the channel, being freed.
 */
void chan_guard_destroy(struct chan *ch)
{
	hrtimer_cancel(&ch->guard_timer);
	if (ch->state_kn)
		kernfs_put(ch->state_kn);
}

/**
 * chan_guard_wake() - end the waits for tokens early
 * @ch: the channel, just closed or destroyed.
 */
void chan_guard_wake(struct chan *ch)
{
	wake_up_all(&ch->rate_wait);
}

static int breaker_begin(struct chan *ch, struct chan_guard_call *gc)
{
	u64 gen, free = READ_ONCE(ch->brk_free);
	__poll_t events;
	bool refused;
	int ret;

	/*
	 * A closed breaker admits without its lock: a transition racing
	 * with this comes after it, and starts a generation whose breaker
	 * drops this send's outcome. The clock is read only for slow_ms.
	 */
	if (free) {
		gc->ticket = free >> 2;
		gc->start = free & 2 ? guard_now() : 0;
		gc->tracked = true;
		return 0;
	}
	gc->start = guard_now();
	spin_lock_bh(&ch->guard_lock);
	gen = ch->breaker.generation;
	refused = chan_breaker_refuses(&ch->breaker, gc->start);
	ret = chan_breaker_admit(&ch->breaker, gc->start, &gc->ticket);
	events = after_call(ch, gen, refused, gc->start);
	spin_unlock_bh(&ch->guard_lock);
	guard_notify(ch, events);
	gc->tracked = !ret;
	return ret;
}

/* What a sender without a token waits for (rate_try() fills it in). */
struct rate_wait {
	u64 until;
	u64 gen;
	u64 given;
};

/*
 * Sleep until @rw->until (ns) for a token, unless the rate changes,
 * tokens are given back, or the channel closes or dies first.
 */
static int rate_sleep(struct chan *ch, const struct rate_wait *rw,
		      const struct chan_timeout *to)
{
	ktime_t expires = ns_to_ktime(rw->until);
	DEFINE_WAIT(wait);
	int ret = 0;

	prepare_to_wait(&ch->rate_wait, &wait,
			TASK_INTERRUPTIBLE | TASK_FREEZABLE);
	if (READ_ONCE(ch->dead))
		ret = -ENODEV;
	else if (READ_ONCE(ch->closed))
		ret = -EPIPE;
	else if (READ_ONCE(ch->rate_gen) == rw->gen &&
		 READ_ONCE(ch->rate_given) == rw->given &&
		 !signal_pending(current))
		schedule_hrtimeout_range_clock(&expires, 0, HRTIMER_MODE_ABS,
					       CLOCK_MONOTONIC);
	finish_wait(&ch->rate_wait, &wait);
	if (!ret && signal_pending(current)) {
		spin_lock(&ch->lock);
		ch->stats.interrupted++;
		spin_unlock(&ch->lock);
		ret = to->timed ? -EINTR : -ERESTARTSYS;
	}
	return ret;
}

/*
 * Take tokens for up to gc->n messages, once. Return: 0 (gc->n set to
 * how many may go), -EAGAIN or -ETIMEDOUT (refused, counted), or 1: wait
 * for the next token as @rw says.
 */
static int rate_try(struct chan *ch, struct chan_guard_call *gc,
		    const struct chan_timeout *to, struct rate_wait *rw)
{
	u64 wait = 0, now = guard_now();
	bool late, limited;
	u32 got;

	spin_lock_bh(&ch->guard_lock);
	got = chan_tb_take_upto(&ch->tb, gc->n, now, &wait);
	limited = ch->tb.rate;
	rw->gen = ch->rate_gen;
	rw->given = ch->rate_given;
	late = to->timed && now + wait > (u64)ktime_to_ns(to->expires);
	if (!got && (to->try || late) && !gc->retried)
		ch->rate_limited++;
	spin_unlock_bh(&ch->guard_lock);
	if (got) {
		gc->n = got;
		gc->tokens = limited;
		gc->rate_gen = (u32)rw->gen;
		return 0;
	}
	if (to->try)
		return -EAGAIN;
	if (late)
		return -ETIMEDOUT;
	rw->until = now + wait;
	return 1;
}

static void record(struct chan *ch, u64 ticket, enum chan_brk_outcome outcome,
		   u64 duration, u64 now, int *ret);

/**
 * chan_guard_begin() - may a send go ahead?
 * @ch: the channel.
 * @gc: the send's guard state, for chan_guard_end(); the caller sets
 *	@gc->n and @gc->retried, the rest is set here.
 * @to: the send's timeout, for the wait for a token.
 *
 * On success @gc->n says how many of the messages may be sent (fewer for
 * a batch when the bucket holds fewer tokens).
 *
 * Context: process context; sleeps only waiting for a token, and only
 * as @to allows.
 * Return: 0, -ECONNREFUSED when the breaker refuses the send; with no
 * token, -EAGAIN (@to says try), -ETIMEDOUT (the token is due after
 * @to expires), -EINTR or -ERESTARTSYS (a signal while waiting), -EPIPE
 * or -ENODEV (closed or destroyed while waiting).
 */
int chan_guard_begin(struct chan *ch, struct chan_guard_call *gc,
		     const struct chan_timeout *to)
{
	struct rate_wait rw;
	int ret;

	for (;;) {
		gc->tracked = false;
		gc->tokens = false;
		if (READ_ONCE(ch->guarded)) {
			ret = breaker_begin(ch, gc);
			if (ret)
				return ret;
		}
		if (!READ_ONCE(ch->limited))
			return 0;
		ret = rate_try(ch, gc, to, &rw);
		if (!ret)
			return 0;
		/*
		 * No token. Refused or waiting, the send is no outcome and
		 * holds no admission (a half-open probe slot) meanwhile: the
		 * breaker is asked again once the token is there.
		 */
		if (gc->tracked)
			record(ch, gc->ticket, CHAN_BRK_IGNORED, 0, guard_now(),
			       NULL);
		if (ret < 0)
			return ret;
		ret = rate_sleep(ch, &rw, to);
		if (ret)
			return ret;
	}
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
	guard_notify(ch, events);
	if (ret)
		*ret = r;
}

/* Tokens of messages that were not sent go back to the bucket. */
static void give_back(struct chan *ch, struct chan_guard_call *gc, u32 n)
{
	u64 now = guard_now();
	bool token = false;

	spin_lock_bh(&ch->guard_lock);
	if ((u32)ch->rate_gen == gc->rate_gen) {
		chan_tb_give_back(&ch->tb, n, now);
		/* Seen by a sender about to sleep for a token: it looks again. */
		WRITE_ONCE(ch->rate_given, ch->rate_given + 1);
		token = ch->rate_poll_at;
		ch->rate_poll_at = 0;
	}
	spin_unlock_bh(&ch->guard_lock);
	if (token)
		guard_notify(ch, EPOLLOUT | EPOLLWRNORM);
	if (wq_has_sleeper(&ch->rate_wait))
		wake_up_all(&ch->rate_wait);
}

/**
 * chan_guard_end() - record how an admitted send ended
 * @ch: the channel.
 * @gc: what chan_guard_begin() set.
 * @ret: the messages sent (at least 1), or the send's error.
 */
void chan_guard_end(struct chan *ch, struct chan_guard_call *gc, long ret)
{
	u32 sent = ret < 0 ? 0 : min_t(u64, ret, gc->n);
	u64 now;

	if (gc->tokens && sent < gc->n)
		give_back(ch, gc, gc->n - sent);
	if (!gc->tracked)
		return;
	now = guard_now();
	/* Untimed (no slow_ms) the duration is not looked at. */
	record(ch, gc->ticket, outcome_of(ret), gc->start ? now - gc->start : 0,
	       now, NULL);
}

/**
 * chan_guard_refuses() - would the guard turn a send away now?
 * @ch: the channel.
 *
 * For poll: a channel whose breaker refuses sends, or whose bucket has no
 * token, is not writable. A poller finding no token sets the timer for
 * the next one, which notifies EPOLLOUT. It changes nothing else (a
 * transition it would make could not be notified under chan->lock);
 * chan_poll() brings the breaker up to date first.
 *
 * Context: chan->lock may be held.
 */
bool chan_guard_refuses(struct chan *ch)
{
	bool guarded = READ_ONCE(ch->guarded), limited = READ_ONCE(ch->limited);
	u64 wait, now;
	bool ret;

	if (!guarded && !limited)
		return false;
	now = guard_now();
	spin_lock_bh(&ch->guard_lock);
	ret = guarded && chan_breaker_refuses(&ch->breaker, now);
	if (!ret && limited) {
		wait = chan_tb_wait(&ch->tb, now);
		if (wait) {
			ret = true;
			ch->rate_poll_at = now + wait;
			arm_timer(ch);
		}
	}
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
	guard_notify(ch, events);
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

/*
 * Apply @cfg (or, with @cfg NULL, reset); the caller notifies the events
 * returned. guard_lock held.
 */
static __poll_t reconfigure_locked(struct chan *ch,
				   const struct chan_breaker_cfg *cfg)
{
	u64 gen, now = guard_now();
	__poll_t events;
	bool refused;

	gen = ch->breaker.generation;
	refused = chan_breaker_refuses(&ch->breaker, now);
	if (cfg)
		chan_breaker_configure(&ch->breaker, cfg, now);
	else
		chan_breaker_reset(&ch->breaker, now);
	WRITE_ONCE(ch->guarded,
		   ch->breaker.cfg.mode != CHAN_BREAKER_DISABLED);
	events = after_call(ch, gen, refused, now);
	if (guard_deadline(ch) == U64_MAX &&
	    hrtimer_try_to_cancel(&ch->guard_timer) >= 0)
		ch->guard_timer_at = 0;
	return events;
}

static void reconfigure(struct chan *ch, const struct chan_breaker_cfg *cfg)
{
	__poll_t events;

	spin_lock_bh(&ch->guard_lock);
	events = reconfigure_locked(ch, cfg);
	spin_unlock_bh(&ch->guard_lock);
	guard_notify(ch, events);
}

/**
 * chan_guard_get_config() - the breaker's configuration
 * @ch: the channel.
 * @cfg: filled in.
 */
void chan_guard_get_config(struct chan *ch, struct chan_breaker_cfg *cfg)
{
	spin_lock_bh(&ch->guard_lock);
	*cfg = ch->breaker.cfg;
	spin_unlock_bh(&ch->guard_lock);
}

/**
 * chan_guard_set_field() - change one field of the breaker's configuration
 * @ch: the channel.
 * @offset: the field's offset in struct chan_breaker_cfg (all are u32).
 * @value: its new value.
 *
 * As CHAN_IOC_SET_BREAKER with only that field changed: the breaker
 * restarts in CLOSED with a new generation.
 *
 * Return: 0, or -EINVAL when the configuration would not be valid.
 */
int chan_guard_set_field(struct chan *ch, size_t offset, u32 value)
{
	struct chan_breaker_cfg cfg;
	__poll_t events;
	int ret;

	if (WARN_ON_ONCE(offset > sizeof(cfg) - sizeof(u32) ||
			 offset % sizeof(u32)))
		return -EINVAL;
	spin_lock_bh(&ch->guard_lock);
	cfg = ch->breaker.cfg;
	*(u32 *)((char *)&cfg + offset) = value;
	ret = chan_breaker_cfg_check(&cfg);
	events = ret ? 0 : reconfigure_locked(ch, &cfg);
	spin_unlock_bh(&ch->guard_lock);
	guard_notify(ch, events);
	return ret;
}

/**
 * chan_guard_status() - the breaker's state and counts now
 * @ch: the channel.
 * @snap: filled in.
 */
void chan_guard_status(struct chan *ch, struct chan_breaker_snap *snap)
{
	u64 gen, now = guard_now();
	__poll_t events;
	bool refused;

	spin_lock_bh(&ch->guard_lock);
	gen = ch->breaker.generation;
	refused = chan_breaker_refuses(&ch->breaker, now);
	chan_breaker_status(&ch->breaker, now, snap);
	events = after_call(ch, gen, refused, now);
	spin_unlock_bh(&ch->guard_lock);
	guard_notify(ch, events);
}

static long ioc_status(struct chan *ch, u64 *seen, unsigned int cmd,
		       unsigned long arg)
{
	struct chan_breaker_status st = { 0 };
	struct chan_breaker_snap snap;

	chan_guard_status(ch, &snap);
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

/**
 * chan_guard_get_rate() - the rate limiter's configuration and state
 * @ch: the channel.
 * @rate: its rate, or NULL.
 * @burst: its burst, or NULL.
 * @tokens: whole tokens in the bucket now, or NULL.
 * @limited: sends it refused, or NULL.
 */
void chan_guard_get_rate(struct chan *ch, u32 *rate, u32 *burst,
			 u32 *tokens, u64 *limited)
{
	u64 now = guard_now();

	spin_lock_bh(&ch->guard_lock);
	if (rate)
		*rate = ch->tb.rate;
	if (burst)
		*burst = ch->tb.burst;
	if (tokens)
		*tokens = chan_tb_tokens(&ch->tb, now);
	if (limited)
		*limited = ch->rate_limited;
	spin_unlock_bh(&ch->guard_lock);
}

/**
 * chan_guard_set_rate() - configure the rate limiter, and fill its bucket
 * @ch: the channel.
 * @rate: the new rate, or NULL to keep it.
 * @burst: the new burst, or NULL to keep it.
 *
 * Senders waiting for a token try again at once.
 *
 * Return: 0, or -EINVAL for a rate without a burst.
 */
int chan_guard_set_rate(struct chan *ch, const u32 *rate, const u32 *burst)
{
	u32 r, b;

	spin_lock_bh(&ch->guard_lock);
	r = rate ? *rate : ch->tb.rate;
	b = burst ? *burst : ch->tb.burst;
	if (r && !b) {
		spin_unlock_bh(&ch->guard_lock);
		return -EINVAL;
	}
	chan_tb_set(&ch->tb, r, b, guard_now());
	WRITE_ONCE(ch->limited, r != 0);
	WRITE_ONCE(ch->rate_gen, ch->rate_gen + 1);
	ch->rate_poll_at = 0;
	spin_unlock_bh(&ch->guard_lock);
	wake_up_all(&ch->rate_wait);
	guard_notify(ch, EPOLLOUT | EPOLLWRNORM);
	return 0;
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
	guard_notify(ch, events);
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

static long ioc_rate(struct chan *ch, bool may_configure, unsigned int cmd,
		     unsigned long arg)
{
	struct chan_rate r = { 0 };
	int ret;

	if (CHAN_IOC_NOSIZE(cmd) == CHAN_IOC_NOSIZE(CHAN_IOC_GET_RATE)) {
		chan_guard_get_rate(ch, &r.rate, &r.burst, NULL, NULL);
		return chan_arg_out(cmd, arg, &r, sizeof(r),
				    CHAN_RATE_SIZE_VER0);
	}
	ret = chan_arg_in(&r, sizeof(r), CHAN_RATE_SIZE_VER0, cmd, arg);
	if (ret)
		return ret;
	if (!may_configure)
		return -EPERM;
	return chan_guard_set_rate(ch, &r.rate, &r.burst);
}

/**
 * chan_guard_ioctl() - the breaker and rate limiter ioctls
 * @ch: the channel.
 * @seen: the breaker generation the calling open file last saw (POLLPRI).
 * @may_configure: the caller owns the channel or has CAP_SYS_ADMIN.
 * @cmd: the ioctl, one of the CHAN_IOC_*BREAKER* and *_RATE numbers.
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
		chan_guard_get_config(ch, &cfg);
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
	case CHAN_IOC_NOSIZE(CHAN_IOC_SET_RATE):
	case CHAN_IOC_NOSIZE(CHAN_IOC_GET_RATE):
		return ioc_rate(ch, may_configure, cmd, arg);
	default:
		return -ENOTTY;
	}
}
