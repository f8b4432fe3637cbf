// SPDX-License-Identifier: GPL-2.0
/*
 * CHAN_IOC_SELECT: Go's select over several channels in one call. Exactly
 * one case commits: a send delivers its message, or a receive takes one,
 * through no other case.
 *
 * How it is atomic without holding two channels' locks at once: all the
 * cases of one select share a claim word (struct chan_sel.claim). Whoever
 * commits a case first wins the word with one cmpxchg, under the lock of
 * that case's channel: a peer serving a parked case (chan_claim_first()
 * in wait.c), or the select itself when it finds a case ready. Every other
 * party that later finds one of its cases loses the cmpxchg and drops the
 * case (a peer) or stops (the select). So the word, not a lock, makes the
 * commit single; each channel's lock only orders the claim with that
 * channel's state. The select never holds more than one channel's locks:
 * Go's selectgo locks every channel of a select, in address order, to
 * enqueue on all of them at once; here that would nest up to 64 locks of
 * one lockdep class, which lockdep rejects unless they are ordered by hand
 * with subclasses (at most 8) or a nest_lock, and it would hold them all
 * while the select's pages are checked. One lock at a time, plus the
 * claim word, gives the same atomicity: a case parks under its channel's
 * lock after seeing nothing ready there, so a counterpart arriving later
 * finds it, and one already there was seen.
 *
 * A select never meets one of its own cases: every search for a
 * counterpart skips waiters with its own claim word. When the counterpart
 * is another select's case, both words must be won; the one at the lower
 * address is won first, as two locks would be ordered, so that two
 * selects reaching for each other's cases at once cannot both fail, give
 * back and start over without end.
 *
 * Buffers: every case's buffer is pinned first (pin.c), before anything
 * can commit. The select's own copies are then memcpys between pinned
 * pages and slots or a peer's pinned pages: they cannot fault, so once a
 * case is won it completes, and a bad buffer gives EFAULT before anything
 * moved. A send case's message thus stays in the sender's own pages while
 * it waits (no copy, no allocation); a receive case is copied into only by
 * the counterpart that wins it.
 *
 * The rounds: the cases, in a random order (Go shuffles too, so that a
 * ready case is chosen uniformly at random), are first tried; if none is
 * ready and the caller may wait, each is tried again and, if still not
 * ready, parked, under its channel's lock; then the caller sleeps until a
 * peer wins the word. On a timeout or signal the select wins its own word
 * to cancel: if a peer won it first, that peer's commit stands. A case
 * completed with CHAN_RESULT_RETRY (a buffered receive case kicked for a
 * new message, or a case a peer claimed and had to give back) starts a
 * new round, and so does a select that won its own word for a
 * counterpart which was gone by the time it reached for it. Before
 * returning, every case still parked is unlinked, one channel at a time.
 */

#include <linux/file.h>
#include <linux/minmax.h>
#include <linux/poll.h>
#include <linux/random.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uio.h>
#include <kunit/visibility.h>

#include "chan.h"

/* The select lost its claim word to a peer that committed another case. */
#define CHAN_SEL_LOST		(-EALREADY)
/* The select won its own word but the counterpart it saw was gone. */
#define CHAN_SEL_AGAIN		(-EAGAIN)

/**
 * struct chan_sel_case - one case of a select
 * @w: its waiter, parked on the channel while the select waits.
 * @file: the case's file, with a reference.
 * @ch: its channel.
 * @own: a page vector of the case's own, allocated only when its buffer
 *	may need more pages than a pin holds inline.
 * @gc: a send case's passage through its channel's breaker (guard.c).
 * @send: a send case, else a receive case.
 * @refused: a send case the breaker refused: never ready, never parked.
 * @linked: parked in this round: unlinked before the select returns.
 */
struct chan_sel_case {
	struct chan_waiter w;
	struct file *file;
	struct chan *ch;
	struct chan_pin_spare *own;
	struct chan_guard_call gc;
	bool send;
	bool refused;
	bool linked;
};

/**
 * struct chan_sel - a select in progress
 * @claim: the claim word its cases share: 0 while none committed.
 * @n: number of cases.
 * @order: the order cases are tried and parked in, shuffled each round.
 * @uc: the cases as the caller gave them.
 * @won: the case that committed, or -1.
 * @won_result: its result.
 * @c: the cases.
 *
 * One allocation, sized for @n: the header, @c, then @uc and @order.
 */
struct chan_sel {
	atomic_t claim;
	u32 n;
	int won;
	int won_result;
	u8 *order;
	struct chan_select_case *uc;
	struct chan_sel_case c[];
};

#define SEL_SIZE(n)							\
	(sizeof(struct chan_sel) +					\
	 (n) * (sizeof(struct chan_sel_case) +				\
		sizeof(struct chan_select_case) + sizeof(u8)))

/*
 * Selects of up to SEL_STACK_CASES cases keep their bookkeeping on the
 * stack, as do_sys_poll() keeps small poll sets: under an emulated CPU,
 * allocating and zeroing it cost as much as the rest of a ready select.
 */
#define SEL_STACK_CASES		2
#define SEL_STACK_ALLOC		SEL_SIZE(SEL_STACK_CASES)

static struct chan_sel *sel_alloc(u32 n, void *stack)
{
	struct chan_sel *sel;

	if (n <= SEL_STACK_CASES) {
		sel = stack;
		memset(sel, 0, SEL_SIZE(n));
	} else {
		sel = kvzalloc(SEL_SIZE(n), GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
		if (!sel)
			return NULL;
	}
	sel->n = n;
	sel->won = -1;
	sel->uc = (struct chan_select_case *)&sel->c[n];
	sel->order = (u8 *)&sel->uc[n];
	return sel;
}

static bool sel_win(struct chan_sel *sel)
{
	return atomic_cmpxchg(&sel->claim, 0, 1) == 0;
}

static void shuffle(struct chan_sel *sel)
{
	u32 i, j;
	u8 t;

	for (i = 0; i < sel->n; i++)
		sel->order[i] = i;
	for (i = sel->n - 1; i > 0; i--) {
		j = get_random_u32() % (i + 1);
		t = sel->order[i];
		sel->order[i] = sel->order[j];
		sel->order[j] = t;
	}
}

/* Park @c; unbuffered channels tell pollers what a parked case makes possible. */
static __poll_t park_case(struct chan *ch, struct chan_sel_case *c)
{
	lockdep_assert_held(&ch->lock);
	chan_park(ch, &c->w);
	c->linked = true;
	if (ch->ring.size)
		return 0;
	return c->send ? EPOLLIN | EPOLLRDNORM : EPOLLOUT | EPOLLWRNORM;
}

/*
 * Must the select win its own claim word before it claims the counterpart
 * it is about to take from @list? Two selects that meet each other both
 * need both words. Each taking the other's first could make both fail
 * and both start over, again and again; so, as with two locks, the word
 * at the lower address is taken first.
 */
static bool win_first(struct chan_sel *sel, struct chan *ch, bool senders)
{
	struct chan_waiter *w = chan_first_claimable(ch, senders, &sel->claim);

	return w && w->claim &&
	       (unsigned long)&sel->claim < (unsigned long)w->claim;
}

/*
 * A receive case: take a queued message, or a parked sender's, or the end
 * of file, winning the select's claim first; else park (@park) or report
 * CHAN_NONE. Called and returns with no lock held.
 *
 * Return: the length or 0 (committed); CHAN_NONE (parked or not ready);
 * CHAN_SEL_LOST; -EMSGSIZE or -ENODEV (won, nothing moved).
 */
static int try_recv(struct chan_sel *sel, struct chan_sel_case *c, bool park)
{
	struct chan *ch = c->ch;
	struct chan_wakeups wk = { 0 };
	__poll_t events = 0;
	struct chan_waiter *s;
	bool won;
	void *slot;
	u32 len;
	int ret;

	spin_lock(&ch->rx_lock);
	spin_lock(&ch->lock);
	if (atomic_read(&sel->claim)) {
		/* A peer committed a case: touch nobody here. */
		ret = CHAN_SEL_LOST;
		goto out_unlock;
	}
	if (ch->dead) {
		ret = sel_win(sel) ? -ENODEV : CHAN_SEL_LOST;
		goto out_unlock;
	}
	if (fatal_signal_pending(current) &&
	    (ch->ring.count || chan_first_claimable(ch, true, NULL))) {
		/* A dying task does not take a message: the next receiver does. */
		ret = sel_win(sel) ? -EINTR : CHAN_SEL_LOST;
		goto out_unlock;
	}
	/* Chaos pauses receivers: what is there is not there. */
	if (chan_chaos_holds(ch, &sel->claim)) {
		if (!park)
			chan_chaos_held(ch);
		goto none;
	}
	if (ch->ring.count) {
		len = chan_ring_peek_len(&ch->ring, 0);
		if (!sel_win(sel)) {
			ret = CHAN_SEL_LOST;
			goto out_unlock;
		}
		if (len > c->w.len) {
			ret = -EMSGSIZE;
			goto out_unlock;
		}
		if (ch->rx_spent)
			chan_ring_put_slot(&ch->ring, chan_take_spent(ch));
		slot = chan_ring_pop(&ch->ring, &len);
		ch->rx_held++;
		spin_unlock(&ch->lock);
		chan_pin_memcpy_to(&c->w.pin, slot, len);
		spin_lock(&ch->lock);
		ch->rx_held--;
		chan_account_rx(ch, len);
		events = chan_refill_slot(ch, slot, &wk);
		chan_eof_check(ch, &wk);
		chan_kick_receiver(ch, &wk);
		ret = len;
		goto out_unlock;
	}
	if (!ch->ring.size) {
		won = win_first(sel, ch, true);
		if (won && !sel_win(sel)) {
			ret = CHAN_SEL_LOST;
			goto out_unlock;
		}
		s = chan_claim_sender(ch, c->w.len, &sel->claim, &wk);
		if (IS_ERR(s)) {
			ret = won || sel_win(sel) ? PTR_ERR(s) : CHAN_SEL_LOST;
			goto out_unlock;
		}
		if (!s && won) {
			ret = CHAN_SEL_AGAIN;
			goto out_unlock;
		}
		if (s && !won && !sel_win(sel)) {
			chan_unclaim(ch, s, &wk);
			ret = CHAN_SEL_LOST;
			goto out_unlock;
		}
		if (s) {
			spin_unlock(&ch->lock);
			spin_unlock(&ch->rx_lock);
			chan_wake_flush(&wk);
			len = s->len;
			chan_pin_copy(&c->w.pin, &s->pin, len);
			spin_lock(&ch->lock);
			chan_account_sent(ch, len);
			chan_account_received(ch, len);
			chan_complete(ch, s, 0, &wk);
			spin_unlock(&ch->lock);
			chan_wake_flush(&wk);
			return len;
		}
	}
	if (ch->closed) {
		/* Nothing queued, nothing being copied out (rx_lock held). */
		ret = sel_win(sel) ? 0 : CHAN_SEL_LOST;
		goto out_unlock;
	}
none:
	ret = CHAN_NONE;
	if (park)
		events = park_case(ch, c);
out_unlock:
	spin_unlock(&ch->lock);
	spin_unlock(&ch->rx_lock);
	chan_wake_flush(&wk);
	if (events)
		chan_notify(ch, events);
	return ret;
}

/*
 * A send case: queue the message into a free slot (a buffered channel with
 * no sender parked ahead), or hand it to a parked receiver, winning the
 * select's claim first; a closed channel commits with -EPIPE. Else park
 * (@park) or report CHAN_NONE. Called and returns with no lock held.
 *
 * Return: the length or -EPIPE (committed); CHAN_NONE; CHAN_SEL_LOST;
 * -ENODEV (won, nothing moved).
 */
static int try_send(struct chan_sel *sel, struct chan_sel_case *c, bool park)
{
	struct chan *ch = c->ch;
	struct chan_wakeups wk = { 0 };
	u32 len = c->w.len;
	__poll_t events = 0;
	struct chan_waiter *r;
	bool won;
	void *slot;
	int ret;

	spin_lock(&ch->rx_lock);
	spin_lock(&ch->lock);
	if (atomic_read(&sel->claim)) {
		/* A peer committed a case: touch nobody here. */
		ret = CHAN_SEL_LOST;
		goto out_unlock;
	}
	if (ch->dead || ch->closed) {
		ret = sel_win(sel) ? ch->dead ? -ENODEV : -EPIPE :
			CHAN_SEL_LOST;
		goto out_unlock;
	}
	if (ch->ring.size) {
		/* Parked senders go first (FIFO). */
		slot = NULL;
		if (!chan_first_claimable(ch, true, &sel->claim))
			slot = chan_ring_get_slot(&ch->ring) ?:
				chan_take_spent(ch);
		if (slot && !sel_win(sel)) {
			chan_ring_put_slot(&ch->ring, slot);
			ret = CHAN_SEL_LOST;
			goto out_unlock;
		}
		if (slot) {
			/* The slot holds room; copying into it cannot fault. */
			spin_unlock(&ch->lock);
			spin_unlock(&ch->rx_lock);
			chan_pin_memcpy_from(&c->w.pin, slot, len);
			spin_lock(&ch->lock);
			if (ch->dead || ch->closed) {
				ret = ch->dead ? -ENODEV : -EPIPE;
				spin_unlock(&ch->lock);
				events = chan_put_slot(ch, slot, &wk);
				goto out;
			}
			if (chan_publish(ch, slot, len))
				chan_kick_receiver(ch, &wk);
			spin_unlock(&ch->lock);
			events = EPOLLIN | EPOLLRDNORM;
			ret = len;
			goto out;
		}
	} else if (!ch->chaos.pause_recv) {
		/* Chaos pausing receivers, no receiver can be served. */
		won = win_first(sel, ch, false);
		if (won && !sel_win(sel)) {
			ret = CHAN_SEL_LOST;
			goto out_unlock;
		}
		r = chan_claim_receiver(ch, len, &sel->claim, &wk);
		if (!r && won) {
			ret = CHAN_SEL_AGAIN;
			goto out_unlock;
		}
		if (r && !won && !sel_win(sel)) {
			chan_unclaim(ch, r, &wk);
			ret = CHAN_SEL_LOST;
			goto out_unlock;
		}
		if (r) {
			spin_unlock(&ch->lock);
			spin_unlock(&ch->rx_lock);
			chan_wake_flush(&wk);
			chan_pin_copy(&r->pin, &c->w.pin, len);
			spin_lock(&ch->lock);
			chan_account_sent(ch, len);
			chan_account_received(ch, len);
			chan_complete(ch, r, len, &wk);
			spin_unlock(&ch->lock);
			ret = len;
			goto out;
		}
	}
	ret = CHAN_NONE;
	if (park)
		events = park_case(ch, c);
out_unlock:
	spin_unlock(&ch->lock);
	spin_unlock(&ch->rx_lock);
out:
	chan_wake_flush(&wk);
	if (events)
		chan_notify(ch, events);
	return ret;
}

static int try_case(struct chan_sel *sel, u32 i, bool park)
{
	struct chan_sel_case *c = &sel->c[i];

	/* Go's nil channel; but a closed channel's EPIPE comes first. */
	if (c->refused && !READ_ONCE(c->ch->closed) && !READ_ONCE(c->ch->dead))
		return CHAN_NONE;
	return c->send ? try_send(sel, c, park) : try_recv(sel, c, park);
}

/*
 * Unlink every case of this round still parked, one channel at a time. A
 * receive case kicked for a message it then did not take passes the kick
 * on: another receiver parked there is sent for the message.
 */
static void unlink_cases(struct chan_sel *sel)
{
	struct chan_wakeups wk = { 0 };
	u32 i;

	for (i = 0; i < sel->n; i++) {
		struct chan_sel_case *c = &sel->c[i];

		if (!c->linked)
			continue;
		spin_lock(&c->ch->lock);
		if (c->w.state == CHAN_WAIT_PARKED)
			chan_unpark(c->ch, &c->w);
		if (!c->send)
			chan_kick_receiver(c->ch, &wk);
		spin_unlock(&c->ch->lock);
		chan_wake_flush(&wk);
		c->linked = false;
	}
}

/* The case a peer committed (DONE); waits while its copy is in flight. */
static int committed_case(struct chan_sel *sel)
{
	u32 i;

	for (;;) {
		set_current_state(TASK_UNINTERRUPTIBLE);
		for (i = 0; i < sel->n; i++) {
			/* Pairs with smp_store_release() in chan_complete(). */
			if (smp_load_acquire(&sel->c[i].w.state) ==
			    CHAN_WAIT_DONE) {
				__set_current_state(TASK_RUNNING);
				return i;
			}
		}
		schedule();
	}
}

/* When a select began, and whether stall_warn_ms warned about it. */
struct chan_sel_stall {
	ktime_t since;
	bool warned;
};

/*
 * Sleep until a peer wins the claim word, or the timeout or a signal
 * makes the select win it itself (cancelling).
 *
 * Return: the index of the case a peer committed, or -ETIMEDOUT, -EINTR
 * (timed) or -ERESTARTSYS (untimed) with nothing committed.
 */
static int sel_wait(struct chan_sel *sel, const struct chan_timeout *to,
		    struct chan_sel_stall *stall)
{
	bool expired = false;

	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE | TASK_FREEZABLE);
		if (atomic_read(&sel->claim))
			break;
		if (signal_pending(current) || expired) {
			__set_current_state(TASK_RUNNING);
			if (sel_win(sel)) {
				if (!signal_pending(current))
					return -ETIMEDOUT;
				return to->timed ? -EINTR : -ERESTARTSYS;
			}
			break;
		}
		/* A stall warning names the first case's channel. */
		if (chan_sleep(sel->c[0].ch, to, stall->since, &stall->warned,
			       "select"))
			expired = true;
	}
	__set_current_state(TASK_RUNNING);
	return committed_case(sel);
}

/* One round: try every case, park them all, wait. */
static int sel_round(struct chan_sel *sel, const struct chan_timeout *to,
		     int *result, struct chan_sel_stall *stall)
{
	int i, ret;

	if (fatal_signal_pending(current))
		return -EINTR;
	atomic_set(&sel->claim, 0);
	shuffle(sel);
	for (i = 0; i < sel->n; i++) {
		ret = try_case(sel, sel->order[i], false);
		/* Nothing is parked yet: no peer can have won the word. */
		if (WARN_ON_ONCE(ret == CHAN_SEL_LOST))
			return -EINTR;
		if (ret == CHAN_SEL_AGAIN)
			ret = CHAN_RESULT_RETRY;
		if (ret != CHAN_NONE) {
			*result = ret;
			return sel->order[i];
		}
	}
	if (to->try)
		return -EAGAIN;
	for (i = 0; i < sel->n; i++) {
		ret = try_case(sel, sel->order[i], true);
		if (ret == CHAN_SEL_LOST)
			break;
		if (ret == CHAN_SEL_AGAIN)
			ret = CHAN_RESULT_RETRY;
		if (ret != CHAN_NONE) {
			*result = ret;
			return sel->order[i];
		}
	}
	ret = sel_wait(sel, to, stall);
	if (ret < 0)
		return ret;
	*result = sel->c[ret].w.result;
	/* A peer completes a sender it served with 0. */
	if (sel->c[ret].send && !*result)
		*result = sel->c[ret].w.len;
	return ret;
}

static void sel_release(struct chan_sel *sel, void *stack)
{
	u32 i;

	for (i = 0; i < sel->n; i++) {
		struct chan_sel_case *c = &sel->c[i];

		/* Only the committed send is an outcome; the rest give back. */
		chan_guard_end(c->ch, &c->gc, (int)i != sel->won ? -ECANCELED :
			       sel->won_result < 0 ? sel->won_result : 1);
		if (c->w.pinned)
			chan_pin_release(&c->w.pin);
		if (c->own) {
			chan_pin_spare_destroy(c->own);
			kfree(c->own);
		}
		if (c->file)
			fput(c->file);
	}
	if (sel != stack)
		kvfree(sel);
}

/* Take the case's file and pin its buffer. */
static int sel_prepare(struct chan_sel *sel, u32 i)
{
	const struct chan_select_case *uc = &sel->uc[i];
	struct chan_sel_case *c = &sel->c[i];
	struct chan_timeout try_now = { .try = true };
	struct iov_iter it;
	fmode_t mode;
	int ret;

	if ((uc->op != CHAN_OP_SEND && uc->op != CHAN_OP_RECV) || !uc->len)
		return -EINVAL;
	c->send = uc->op == CHAN_OP_SEND;
	c->file = fget(uc->fd);
	if (!c->file)
		return -EBADF;
	c->ch = chan_file_chan(c->file);
	mode = c->send ? FMODE_WRITE : FMODE_READ;
	if (!c->ch || !(c->file->f_mode & mode))
		return -EBADF;
	if (READ_ONCE(c->ch->dead))
		return -ENODEV;
	if (c->send && uc->len > c->ch->msg_size)
		return -EMSGSIZE;
	/*
	 * A send case the breaker refuses, or the rate limiter has no token
	 * for, when the select starts is never ready, like a nil channel in
	 * Go (it is not parked either, so the breaker admitting sends or a
	 * token coming later does not wake the select); one it admits holds
	 * its admission (a half-open probe slot, a token) until the select
	 * ends, and only a committed send is an outcome and keeps its token.
	 * As for any send, a closed channel comes first: it is not asked.
	 */
	c->gc.n = 1;
	if (c->send && !READ_ONCE(c->ch->closed) &&
	    chan_guard_begin(c->ch, &c->gc, &try_now))
		c->refused = true;
	/*
	 * Chaos fails an admitted case as if the channel were full: a
	 * failure for the breaker now, its token given back, and never
	 * ready in this select.
	 */
	if (c->send && !c->refused && !READ_ONCE(c->ch->closed) &&
	    chan_chaos_fails_send(c->ch)) {
		chan_guard_end(c->ch, &c->gc, -EAGAIN);
		c->gc.tracked = false;
		c->gc.tokens = false;
		c->refused = true;
	}
	chan_waiter_init(&c->w, c->send,
			 min_t(u32, uc->len, c->ch->msg_size));
	c->w.claim = &sel->claim;
	iov_iter_ubuf(&it, c->send ? ITER_SOURCE : ITER_DEST,
		      u64_to_user_ptr(uc->buf), c->w.len);
	/*
	 * Not the file's spare page vector: another operation on the file
	 * could wait for it while this select waits. The select is not a
	 * per-message path, so it may allocate one of its own.
	 */
	if (chan_pin_needs_spare(c->w.len)) {
		c->own = kmalloc(sizeof(*c->own), GFP_KERNEL_ACCOUNT);
		if (!c->own)
			return -ENOMEM;
		ret = chan_pin_spare_init(c->own, c->w.len);
		if (ret) {
			kfree(c->own);
			c->own = NULL;
			return ret;
		}
	}
	ret = chan_pin_iter(&c->w.pin, &it, c->w.len, !c->send, c->own,
			    &try_now);
	if (ret)
		return ret;
	c->w.pinned = true;
	return 0;
}

/*
 * Check that every case can be served and its result written back, then
 * run rounds until one commits. Kept out of chan_select(), whose frame
 * holds a small select's bookkeeping.
 *
 * Return: as chan_select().
 */
static noinline_for_stack int sel_run(struct chan_sel *sel,
				      struct chan_select_case __user *ucases,
				      const struct chan_timeout *to)
{
	struct chan_sel_stall stall = { .since = ktime_get() };
	int ret, result = 0;
	u32 i;

	for (i = 0; i < sel->n; i++) {
		/* The result is written back: check that it can be. */
		if (put_user(sel->uc[i].result, &ucases[i].result))
			return -EFAULT;
		ret = sel_prepare(sel, i);
		if (ret)
			return ret;
	}
	do {
		ret = sel_round(sel, to, &result, &stall);
		unlink_cases(sel);
		for (i = 0; i < sel->n; i++) {
			struct chan_sel_case *c = &sel->c[i];

			c->w.state = CHAN_WAIT_IDLE;
			/* Sent to look again: it keeps its place in line. */
			c->w.kicked = i == ret && result == CHAN_RESULT_RETRY;
		}
	} while (ret >= 0 && result == CHAN_RESULT_RETRY);
	if (ret >= 0 && result < 0 && result != -EPIPE)
		return result;	/* won with an error: nothing moved */
	if (ret >= 0) {
		sel->won = ret;
		sel->won_result = result;
		if (result > 0)
			chan_op_done(sel->c[ret].ch, sel->c[ret].send, result,
				     sel->c[ret].w.since);
	}
	if (ret >= 0 && put_user(result, &ucases[ret].result))
		return -EFAULT;
	return ret;
}

/**
 * chan_select() - CHAN_IOC_SELECT
 * @cmd: the ioctl number (its size bits give the argument's size).
 * @arg: the user address of the struct chan_select.
 *
 * Context: process context, may sleep.
 * Return: the index of the case that committed, its result written to
 * the caller's case; or an error with nothing committed (see the uapi
 * header).
 */
int chan_select(unsigned int cmd, unsigned long arg)
{
	u64 stack[DIV_ROUND_UP(SEL_STACK_ALLOC, sizeof(u64))];
	struct chan_select_case __user *ucases;
	struct chan_select s;
	struct chan_timeout to;
	struct chan_sel *sel;
	int ret;

	ret = chan_arg_in(&s, sizeof(s), CHAN_SELECT_SIZE_VER0, cmd, arg);
	if (ret)
		return ret;
	if (s.flags || !s.ncases || s.ncases > CHAN_SELECT_MAX)
		return -EINVAL;
	ret = chan_timeout_init(&to, s.timeout_ns);
	if (ret)
		return ret;
	sel = sel_alloc(s.ncases, stack);
	if (!sel)
		return -ENOMEM;
	ucases = u64_to_user_ptr(s.cases);
	if (copy_from_user(sel->uc, ucases, s.ncases * sizeof(*ucases)))
		ret = -EFAULT;
	else
		ret = sel_run(sel, ucases, &to);
	sel_release(sel, stack);
	return ret;
}
