// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * libchan: the shared circuit breaker (tickets and outcomes), and guarded
 * calls: a call made only when the breaker admits it, reported to it, with
 * a deadline and retries after exponential backoff with jitter.
 */
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define NSEC_PER_SEC	1000000000ULL

LIBCHAN_API uint64_t chan_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

LIBCHAN_API int chan_breaker_acquire(int fd, uint64_t *ticket)
{
	__u64 t = 0;
	int r = libchan_ioctl(fd, CHAN_IOC_BREAKER_ACQUIRE, &t);

	if (r == 0 && ticket)
		*ticket = t;
	return r;
}

LIBCHAN_API int chan_breaker_report(int fd, uint64_t ticket,
				    unsigned int outcome, uint64_t duration_ns)
{
	struct chan_breaker_report rep = {
		.ticket = ticket,
		.outcome = outcome,
		.duration_ns = duration_ns,
	};

	return libchan_ioctl(fd, CHAN_IOC_BREAKER_REPORT, &rep);
}

/* xorshift64*: a per-call generator, so concurrent calls share nothing. */
static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

/* a * pct / 100 without overflow, saturating at UINT64_MAX. */
static uint64_t scale_pct(uint64_t a, unsigned int pct)
{
	uint64_t q = a / 100, r = a % 100;

	if (pct && q > UINT64_MAX / pct)
		return UINT64_MAX;
	q *= pct;
	r = r * pct / 100;
	return q > UINT64_MAX - r ? UINT64_MAX : q + r;
}

/* Sleep @ns of CLOCK_MONOTONIC in full, whatever signals come. */
static void sleep_ns(uint64_t ns)
{
	uint64_t until = chan_now_ns() + ns;
	struct timespec ts;

	if (until < ns)
		until = UINT64_MAX;
	ts.tv_sec = (time_t)(until / NSEC_PER_SEC);
	ts.tv_nsec = (long)(until % NSEC_PER_SEC);
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* The wait after a failure: @base with +- @jitter_pct % drawn uniformly. */
static uint64_t jittered(uint64_t base, unsigned int jitter_pct, uint64_t *rs)
{
	uint64_t delta, span;

	if (!jitter_pct || !base)
		return base;
	/* Keep 2 * delta + 1 representable: waits of centuries are capped. */
	if (base > UINT64_MAX / 4)
		base = UINT64_MAX / 4;
	delta = scale_pct(base, jitter_pct);
	span = 2 * delta + 1;
	return base - delta + next_rand(rs) % span;
}

LIBCHAN_API int chan_guarded_call(int fd, chan_call_fn fn, void *arg,
				  const struct chan_call_opts *opts)
{
	struct chan_call_opts o = { .max_attempts = 1 };
	uint64_t ticket, start, end, deadline, wait, rs;
	unsigned int n, max, mult;
	int r, rep;

	if (!fn)
		return -EINVAL;
	if (opts)
		o = *opts;
	if (o.jitter_pct > 100)
		return -EINVAL;
	max = o.max_attempts ? o.max_attempts : 1;
	mult = o.multiplier_pct ? o.multiplier_pct : 200;
	rs = chan_now_ns() ^ ((uint64_t)getpid() << 32) ^ (uintptr_t)&o;
	if (!rs)
		rs = 0x9E3779B97F4A7C15ULL;
	wait = o.backoff_ns;

	for (n = 1;; n++) {
		r = chan_breaker_acquire(fd, &ticket);
		if (r == 0) {
			start = chan_now_ns();
			deadline = o.timeout_ns ? start + o.timeout_ns : 0;
			r = fn(arg, deadline);
			end = chan_now_ns();
			if (r == 0 && deadline && end > deadline)
				r = -ETIMEDOUT;
			rep = chan_breaker_report(fd, ticket,
						  r ? CHAN_OUTCOME_FAILURE :
						      CHAN_OUTCOME_SUCCESS,
						  end - start);
			if (r == 0)
				break;
			/* ESTALE: the breaker restarted; the outcome is moot. */
			if (rep < 0 && rep != -ESTALE) {
				r = rep;
				break;
			}
		} else if (r != -ECONNREFUSED ||
			   !(o.flags & CHAN_CALL_RETRY_REFUSED)) {
			break;
		}
		if (n >= max)
			break;
		sleep_ns(jittered(o.backoff_max_ns && wait > o.backoff_max_ns ?
				  o.backoff_max_ns : wait, o.jitter_pct, &rs));
		wait = scale_pct(wait, mult);
	}
	if (opts && opts->attempts)
		*opts->attempts = n;
	return r;
}
