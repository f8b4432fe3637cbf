// SPDX-License-Identifier: GPL-2.0
/*
 * The circuit breaker of a channel's send side, as pure logic: a
 * time-based sliding window of outcomes, the CLOSED -> OPEN -> HALF_OPEN
 * state machine with its trip rules, the adaptive open period and
 * threshold, half-open probes and their watchdog, and generations. Every
 * function takes the time (CLOCK_MONOTONIC, ns) as an argument, never
 * sleeps and takes no lock: the caller serialises calls on one breaker,
 * and KUnit drives it with a fake clock.
 *
 * The rules:
 * - Outcomes of admitted calls (success, slow success, failure, or
 *   ignored) go into the window, 10 buckets of window_ms / 10, which
 *   rotate as time passes; counts describe the last window_ms.
 * - CLOSED trips to OPEN after consecutive_failures failures in a row
 *   (when set), or once the window holds min_calls outcomes of which
 *   failure_pct percent failed (or slow_pct percent were slow, when
 *   slow_ms is set). With CHAN_BREAKER_F_ADAPTIVE_THRESHOLD the failure
 *   threshold is min(100, failure_pct x (1 + r / 2)), r being a moving
 *   average of the window's failure rate, updated at each bucket rotation
 *   with weight 1/10: a channel that always fails a little needs more to
 *   trip than one that never does.
 * - OPEN refuses every call. Its period is clamp(open_ms x e^(-0.2 S),
 *   open_min_ms, open_max_ms), S being the successes since the breaker
 *   last entered CLOSED (a channel that served a lot recovers sooner).
 *   When it ends the breaker is HALF_OPEN, at that very time, whether or
 *   not anybody calls.
 * - HALF_OPEN admits half_open_probes calls. That many successes close the
 *   breaker (its window cleared); a failure opens it again for twice the
 *   last period, up to open_max_ms; so does a probe with no verdict
 *   half_open_max_ms after the first outstanding one was admitted (its
 *   caller stopped or died). An ignored outcome gives the probe slot back.
 *   With no probe outstanding the breaker waits in HALF_OPEN for traffic,
 *   so a probe that comes late is not cut short.
 * - Every transition starts a new generation; a ticket carries the
 *   generation it was admitted in, and outcomes of older generations are
 *   ignored (-ESTALE).
 * - Modes: AUTO does all of the above; METRICS_ONLY counts and never
 *   leaves CLOSED; FORCED_OPEN refuses everything until reconfigured;
 *   DISABLED admits everything and counts nothing.
 */

#include <linux/bits.h>
#include <linux/errno.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/string.h>
#include <linux/time64.h>
#include <kunit/visibility.h>

#include "chan.h"

/* e^-0.2 in 32.32 fixed point, rounded. */
#define CHAN_BRK_EXP_STEP	3516421809ULL
#define CHAN_BRK_ONE		BIT_ULL(32)
/* Past this many successes e^(-0.2 S) is below 2^-32. */
#define CHAN_BRK_S_MAX		112
/* The moving average r: 1 << CHAN_BRK_R_SHIFT is a failure rate of 1. */
#define CHAN_BRK_R_SHIFT	16
/* Rotations applied to r at most at once: (9/10)^64 < 0.2%. */
#define CHAN_BRK_R_STEPS	64

/* A ticket: the generation it was admitted in, and whether it is a probe. */
#define CHAN_BRK_TICKET(gen, probe)	(((gen) << 1) | (probe))
#define CHAN_BRK_TICKET_GEN(t)		((t) >> 1)
#define CHAN_BRK_TICKET_PROBE(t)	((t) & 1)

/**
 * chan_breaker_cfg_default() - the defaults of a breaker's configuration
 * @cfg: filled with them (mode DISABLED).
 */
void chan_breaker_cfg_default(struct chan_breaker_cfg *cfg)
{
	*cfg = (struct chan_breaker_cfg) {
		.mode = CHAN_BREAKER_DISABLED,
		.window_ms = 10000,
		.min_calls = 10,
		.failure_pct = 50,
		.consecutive_failures = 0,
		.slow_ms = 0,
		.slow_pct = 100,
		.open_ms = 5000,
		.open_min_ms = 1000,
		.open_max_ms = 60000,
		.half_open_probes = 3,
		.half_open_max_ms = 10000,
		.flags = 0,
	};
}
EXPORT_SYMBOL_IF_KUNIT(chan_breaker_cfg_default);

static bool pct_ok(u32 pct)
{
	return pct >= 1 && pct <= 100;
}

/**
 * chan_breaker_cfg_check() - is a configuration valid?
 * @cfg: the configuration.
 *
 * Return: 0, or -EINVAL for an unknown mode or flag, a percentage outside
 * 1..100, window_ms below 10, min_calls or half_open_probes 0, a zero
 * time, or open_ms outside open_min_ms..open_max_ms.
 */
int chan_breaker_cfg_check(const struct chan_breaker_cfg *cfg)
{
	if (cfg->mode > CHAN_BREAKER_METRICS_ONLY ||
	    cfg->flags & ~CHAN_BREAKER_F_ADAPTIVE_THRESHOLD)
		return -EINVAL;
	if (!pct_ok(cfg->failure_pct) || !pct_ok(cfg->slow_pct))
		return -EINVAL;
	if (cfg->window_ms < 10 || !cfg->min_calls || !cfg->half_open_probes)
		return -EINVAL;
	if (!cfg->open_ms || !cfg->open_min_ms || !cfg->open_max_ms ||
	    !cfg->half_open_max_ms)
		return -EINVAL;
	if (cfg->open_min_ms > cfg->open_ms || cfg->open_ms > cfg->open_max_ms)
		return -EINVAL;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(chan_breaker_cfg_check);

/* e^(-0.2 s) in 32.32 fixed point, by squaring. */
static u64 exp_neg_fifth(u32 s)
{
	u64 result = CHAN_BRK_ONE, base = CHAN_BRK_EXP_STEP;

	if (s >= CHAN_BRK_S_MAX)
		return 0;
	for (; s; s >>= 1) {
		if (s & 1)
			result = mul_u64_u64_shr(result, base, 32);
		base = mul_u64_u64_shr(base, base, 32);
	}
	return result;
}

/**
 * chan_breaker_open_period() - how long a breaker that trips stays open
 * @cfg: its configuration.
 * @successes: S, the successes since it last entered CLOSED.
 *
 * Return: clamp(open_ms x e^(-0.2 S), open_min_ms, open_max_ms) in ms,
 * within 1 ms of the real value.
 */
u32 chan_breaker_open_period(const struct chan_breaker_cfg *cfg,
			     u32 successes)
{
	u64 ms = (u64)cfg->open_ms * exp_neg_fifth(successes);

	ms = (ms + (CHAN_BRK_ONE >> 1)) >> 32;
	return clamp_t(u64, ms, cfg->open_min_ms, cfg->open_max_ms);
}
EXPORT_SYMBOL_IF_KUNIT(chan_breaker_open_period);

static u64 bucket_ns(const struct chan_breaker *br)
{
	return (u64)br->cfg.window_ms * NSEC_PER_MSEC / CHAN_BRK_BUCKETS;
}

static void window_totals(const struct chan_breaker *br, u32 *calls,
			  u32 *failures, u32 *slow)
{
	int i;

	*calls = *failures = *slow = 0;
	for (i = 0; i < CHAN_BRK_BUCKETS; i++) {
		*calls += br->b[i].calls;
		*failures += br->b[i].failures;
		*slow += br->b[i].slow;
	}
}

static void window_clear(struct chan_breaker *br)
{
	memset(br->b, 0, sizeof(br->b));
}

/* r moves a tenth of the way to the window's failure rate. */
static void update_rate(struct chan_breaker *br)
{
	u32 calls, failures, slow;
	u64 rate = 0;

	window_totals(br, &calls, &failures, &slow);
	if (calls)
		rate = div_u64((u64)failures << CHAN_BRK_R_SHIFT, calls);
	br->r = div_u64((u64)br->r * 9 + rate, 10);
}

/* Rotate the window to the bucket of @now: older buckets leave it. */
static void window_rotate(struct chan_breaker *br, u64 now)
{
	u64 epoch = div64_u64(now, bucket_ns(br)), steps, i;

	if (epoch <= br->epoch)
		return;
	steps = min_t(u64, epoch - br->epoch, CHAN_BRK_R_STEPS);
	for (i = 1; i <= steps; i++) {
		if (br->cfg.flags & CHAN_BREAKER_F_ADAPTIVE_THRESHOLD)
			update_rate(br);
		memset(&br->b[(br->epoch + i) % CHAN_BRK_BUCKETS], 0,
		       sizeof(br->b[0]));
	}
	if (epoch - br->epoch >= CHAN_BRK_BUCKETS)
		window_clear(br);
	br->epoch = epoch;
}

/**
 * chan_breaker_failure_threshold() - the failure percentage that trips
 * @br: the breaker.
 *
 * Return: failure_pct, or with CHAN_BREAKER_F_ADAPTIVE_THRESHOLD
 * min(100, failure_pct x (1 + r / 2)), in units of 1/65536 percent.
 */
u64 chan_breaker_failure_threshold(const struct chan_breaker *br)
{
	u64 thr = (u64)br->cfg.failure_pct << CHAN_BRK_R_SHIFT;

	if (br->cfg.flags & CHAN_BREAKER_F_ADAPTIVE_THRESHOLD)
		thr += ((u64)br->cfg.failure_pct * br->r) >> 1;
	return min_t(u64, thr, 100ULL << CHAN_BRK_R_SHIFT);
}
EXPORT_SYMBOL_IF_KUNIT(chan_breaker_failure_threshold);

static void set_state(struct chan_breaker *br, u32 state, u64 at)
{
	br->state = state;
	br->generation++;
	br->state_since = at;
}

static void to_closed(struct chan_breaker *br, u64 at)
{
	set_state(br, CHAN_BREAKER_CLOSED, at);
	window_clear(br);
	br->epoch = div64_u64(at, bucket_ns(br));
	br->successes = 0;
	br->consecutive = 0;
}

static void to_open(struct chan_breaker *br, u64 at, u32 period_ms)
{
	set_state(br, CHAN_BREAKER_OPEN, at);
	br->open_ms = period_ms;
	br->open_until = at + (u64)period_ms * NSEC_PER_MSEC;
	br->trips++;
}

/* A probe failed or went silent: open again for twice as long. */
static void reopen(struct chan_breaker *br, u64 at)
{
	to_open(br, at, min_t(u64, (u64)br->open_ms * 2, br->cfg.open_max_ms));
}

static void to_half_open(struct chan_breaker *br, u64 at)
{
	set_state(br, CHAN_BREAKER_HALF_OPEN, at);
	br->probes = 0;
	br->probes_pending = 0;
	br->probes_ok = 0;
}

/**
 * chan_breaker_advance() - make the transitions that time alone makes
 * @br: the breaker.
 * @now: the time.
 *
 * OPEN becomes HALF_OPEN when its period ends; HALF_OPEN with a probe
 * outstanding becomes OPEN at its watchdog deadline. Each transition
 * takes effect at its deadline, not at @now.
 *
 * Return: true if the state changed.
 */
bool chan_breaker_advance(struct chan_breaker *br, u64 now)
{
	bool changed = false;

	if (br->cfg.mode != CHAN_BREAKER_AUTO)
		return false;
	for (;;) {
		if (br->state == CHAN_BREAKER_OPEN && now >= br->open_until)
			to_half_open(br, br->open_until);
		else if (br->state == CHAN_BREAKER_HALF_OPEN &&
			 br->probes_pending && now >= br->half_open_until)
			reopen(br, br->half_open_until);
		else
			return changed;
		changed = true;
	}
}
EXPORT_SYMBOL_IF_KUNIT(chan_breaker_advance);

/**
 * chan_breaker_refuses() - would the breaker refuse a call at @now?
 * @br: the breaker.
 * @now: the time.
 *
 * Changes nothing: a transition due by @now is taken into account, not
 * made.
 */
bool chan_breaker_refuses(const struct chan_breaker *br, u64 now)
{
	switch (br->cfg.mode) {
	case CHAN_BREAKER_FORCED_OPEN:
		return true;
	case CHAN_BREAKER_AUTO:
		break;
	default:
		return false;
	}
	if (br->state == CHAN_BREAKER_OPEN)
		return now < br->open_until;
	if (br->state != CHAN_BREAKER_HALF_OPEN)
		return false;
	if (br->probes_pending && now >= br->half_open_until)
		return true;	/* the watchdog is due: OPEN again */
	return br->probes >= br->cfg.half_open_probes;
}
EXPORT_SYMBOL_IF_KUNIT(chan_breaker_refuses);

/**
 * chan_breaker_next_deadline() - when chan_breaker_advance() acts next
 * @br: the breaker.
 *
 * Return: the time of the next transition time alone would make, or
 * U64_MAX if none is due.
 */
u64 chan_breaker_next_deadline(const struct chan_breaker *br)
{
	if (br->cfg.mode != CHAN_BREAKER_AUTO)
		return U64_MAX;
	if (br->state == CHAN_BREAKER_OPEN)
		return br->open_until;
	if (br->state == CHAN_BREAKER_HALF_OPEN && br->probes_pending)
		return br->half_open_until;
	return U64_MAX;
}
EXPORT_SYMBOL_IF_KUNIT(chan_breaker_next_deadline);

/**
 * chan_breaker_configure() - apply a configuration and restart
 * @br: the breaker.
 * @cfg: a valid configuration (chan_breaker_cfg_check()).
 * @now: the time.
 *
 * The breaker restarts CLOSED (OPEN for FORCED_OPEN) in a new generation,
 * its window and counts cleared; rejected and trips are kept.
 */
void chan_breaker_configure(struct chan_breaker *br,
			    const struct chan_breaker_cfg *cfg, u64 now)
{
	br->cfg = *cfg;
	br->r = 0;
	to_closed(br, now);
	br->open_ms = cfg->open_ms;
	if (cfg->mode == CHAN_BREAKER_FORCED_OPEN) {
		set_state(br, CHAN_BREAKER_OPEN, now);
		br->open_until = U64_MAX;
	}
}
EXPORT_SYMBOL_IF_KUNIT(chan_breaker_configure);

/**
 * chan_breaker_init() - a new breaker with the default configuration
 * @br: the breaker.
 * @now: the time.
 */
void chan_breaker_init(struct chan_breaker *br, u64 now)
{
	struct chan_breaker_cfg cfg;

	memset(br, 0, sizeof(*br));
	chan_breaker_cfg_default(&cfg);
	chan_breaker_configure(br, &cfg, now);
}
EXPORT_SYMBOL_IF_KUNIT(chan_breaker_init);

/**
 * chan_breaker_reset() - zero the counts; an AUTO breaker closes
 * @br: the breaker.
 * @now: the time.
 *
 * The mode is kept: a FORCED_OPEN breaker stays open, a METRICS_ONLY one
 * closed. Every reset starts a new generation.
 */
void chan_breaker_reset(struct chan_breaker *br, u64 now)
{
	br->rejected = 0;
	br->trips = 0;
	br->r = 0;
	if (br->cfg.mode == CHAN_BREAKER_FORCED_OPEN) {
		window_clear(br);
		set_state(br, CHAN_BREAKER_OPEN, now);
		return;
	}
	to_closed(br, now);
	br->open_ms = br->cfg.open_ms;
}
EXPORT_SYMBOL_IF_KUNIT(chan_breaker_reset);

/**
 * chan_breaker_admits_freely() - is every call admitted, whatever the time?
 * @br: the breaker.
 * @ticket: set, when it is, to the ticket chan_breaker_admit() would give.
 *
 * True in CLOSED (AUTO or METRICS_ONLY): time alone changes nothing
 * there, and admitting changes nothing either, so a caller may cache the
 * answer until the breaker's next change and admit without its lock.
 */
bool chan_breaker_admits_freely(const struct chan_breaker *br, u64 *ticket)
{
	if ((br->cfg.mode != CHAN_BREAKER_AUTO &&
	     br->cfg.mode != CHAN_BREAKER_METRICS_ONLY) ||
	    br->state != CHAN_BREAKER_CLOSED)
		return false;
	*ticket = CHAN_BRK_TICKET(br->generation, 0);
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(chan_breaker_admits_freely);

/**
 * chan_breaker_admit() - may a call go ahead?
 * @br: the breaker.
 * @now: the time.
 * @ticket: set to the call's ticket, for chan_breaker_record().
 *
 * Return: 0, or -ECONNREFUSED (counted in rejected) when the breaker is
 * OPEN, FORCED_OPEN, or HALF_OPEN with every probe slot taken.
 */
int chan_breaker_admit(struct chan_breaker *br, u64 now, u64 *ticket)
{
	chan_breaker_advance(br, now);
	*ticket = CHAN_BRK_TICKET(br->generation, 0);
	switch (br->cfg.mode) {
	case CHAN_BREAKER_DISABLED:
	case CHAN_BREAKER_METRICS_ONLY:
		return 0;
	case CHAN_BREAKER_FORCED_OPEN:
		break;
	default:
		if (br->state == CHAN_BREAKER_CLOSED)
			return 0;
		if (br->state == CHAN_BREAKER_HALF_OPEN &&
		    br->probes < br->cfg.half_open_probes) {
			/* The watchdog runs while a probe is outstanding. */
			if (!br->probes_pending++)
				br->half_open_until = now +
					(u64)br->cfg.half_open_max_ms * NSEC_PER_MSEC;
			br->probes++;
			*ticket = CHAN_BRK_TICKET(br->generation, 1);
			return 0;
		}
	}
	br->rejected++;
	return -ECONNREFUSED;
}
EXPORT_SYMBOL_IF_KUNIT(chan_breaker_admit);

static bool should_trip(struct chan_breaker *br)
{
	u32 calls, failures, slow;

	if (br->cfg.consecutive_failures &&
	    br->consecutive >= br->cfg.consecutive_failures)
		return true;
	window_totals(br, &calls, &failures, &slow);
	if (calls < br->cfg.min_calls)
		return false;
	if (((u64)failures * 100 << CHAN_BRK_R_SHIFT) >=
	    chan_breaker_failure_threshold(br) * calls)
		return true;
	return br->cfg.slow_ms && (u64)slow * 100 >= (u64)br->cfg.slow_pct * calls;
}

static void record_probe(struct chan_breaker *br, enum chan_brk_outcome outcome,
			 u64 now)
{
	br->probes_pending--;
	switch (outcome) {
	case CHAN_BRK_IGNORED:
		br->probes--;
		break;
	case CHAN_BRK_FAILURE:
		reopen(br, now);
		break;
	case CHAN_BRK_SUCCESS:
		if (++br->probes_ok >= br->cfg.half_open_probes)
			to_closed(br, now);
		break;
	}
}

/**
 * chan_breaker_record() - the outcome of an admitted call
 * @br: the breaker.
 * @ticket: what chan_breaker_admit() gave the call.
 * @outcome: success, failure, or ignored (the call neither proved nor
 *	disproved anything: a signal, a closed channel, a fault).
 * @duration_ns: how long the call took; a success longer than slow_ms is
 *	a slow call.
 * @now: the time.
 *
 * Return: 0; -ESTALE for a ticket of an older generation, or a probe's
 * ticket that is not outstanding; its outcome is ignored.
 */
int chan_breaker_record(struct chan_breaker *br, u64 ticket,
			enum chan_brk_outcome outcome, u64 duration_ns, u64 now)
{
	struct chan_brk_bucket *b;

	chan_breaker_advance(br, now);
	if (CHAN_BRK_TICKET_GEN(ticket) != br->generation)
		return -ESTALE;
	if (br->cfg.mode == CHAN_BREAKER_DISABLED ||
	    br->cfg.mode == CHAN_BREAKER_FORCED_OPEN)
		return 0;
	if (CHAN_BRK_TICKET_PROBE(ticket)) {
		/* Not a probe of this HALF_OPEN (forged, or reported twice). */
		if (br->state != CHAN_BREAKER_HALF_OPEN || !br->probes_pending)
			return -ESTALE;
		record_probe(br, outcome, now);
		return 0;
	}
	if (outcome == CHAN_BRK_IGNORED)
		return 0;
	window_rotate(br, now);
	b = &br->b[br->epoch % CHAN_BRK_BUCKETS];
	b->calls++;
	if (outcome == CHAN_BRK_FAILURE) {
		b->failures++;
		br->consecutive++;
	} else {
		if (br->cfg.slow_ms &&
		    duration_ns > (u64)br->cfg.slow_ms * NSEC_PER_MSEC)
			b->slow++;
		if (br->successes < U32_MAX)
			br->successes++;
		br->consecutive = 0;
	}
	if (br->cfg.mode == CHAN_BREAKER_AUTO && should_trip(br))
		to_open(br, now,
			chan_breaker_open_period(&br->cfg, br->successes));
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(chan_breaker_record);

/**
 * chan_breaker_status() - the breaker as the status ioctl and sysfs show it
 * @br: the breaker.
 * @now: the time.
 * @st: filled in; calls, failures and slow_calls describe the window.
 *
 * Return: true if time alone changed the state on the way.
 */
bool chan_breaker_status(struct chan_breaker *br, u64 now,
			 struct chan_breaker_snap *st)
{
	bool changed = chan_breaker_advance(br, now);

	window_rotate(br, now);
	window_totals(br, &st->calls, &st->failures, &st->slow_calls);
	st->state = br->state;
	st->generation = br->generation;
	st->rejected = br->rejected;
	st->trips = br->trips;
	st->current_open_ms = br->open_ms;
	st->state_since_ns = br->state_since;
	return changed;
}
EXPORT_SYMBOL_IF_KUNIT(chan_breaker_status);
