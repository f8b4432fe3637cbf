// SPDX-License-Identifier: GPL-2.0
/*
 * The data path: send and receive, one message or a batch, on buffered and
 * unbuffered channels. Messages move between user memory and ring slots
 * (buffered) or straight between one task's user memory and a parked
 * peer's pinned pages (unbuffered); chan->lock is only ever held to move
 * pointers. Why each copy is made where it is made is in the Locking
 * comment of core.c.
 */

#include <linux/minmax.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/uaccess.h>
#include <linux/uio.h>
#include <kunit/visibility.h>

#include "chan.h"

/**
 * chan_fault_in() - after a copy faulted, fault its pages in
 * @iter: the buffer.
 * @len: bytes of it the copy needs.
 * @dest: the copy writes @iter (a receive), else reads it.
 * @faults: failed copies of this operation so far, incremented.
 *
 * Context: process context, no lock held; may sleep in a page fault of the
 * current task's own.
 * Return: 0 to try the copy again, or -EFAULT: the pages cannot be faulted
 * in, or too many copies failed (CHAN_FAULT_RETRIES).
 */
int chan_fault_in(struct iov_iter *iter, size_t len, bool dest, int *faults)
{
	size_t left;

	if (++*faults > CHAN_FAULT_RETRIES)
		return -EFAULT;
	left = dest ? fault_in_iov_iter_writeable(iter, len) :
		fault_in_iov_iter_readable(iter, len);
	return left ? -EFAULT : 0;
}

/*
 * Buffered: copy the oldest message out to @iter and free its slot.
 *
 * Called with rx_lock and chan->lock held and a message queued; returns
 * with both dropped. The copy runs under rx_lock with page faults disabled:
 * no other receiver can take a later message meanwhile, so if the copy
 * faults the message goes back to the head and is still first.
 *
 * The slot emptied is normally kept back (&chan.rx_spent) instead of
 * being put on the free stack, which would take chan->lock again: the
 * next pop puts it there, and a sender that finds no free slot takes it,
 * under rx_lock. That is safe exactly when nothing else has to happen
 * under chan->lock after the copy: no sender parked (to move in), no
 * receiver parked with messages left (to kick), not closed (end of file).
 * None of those can appear while rx_lock is held: senders park under it,
 * a receiver decides to park under it (and parks before it drops
 * chan->lock), and close takes it.
 *
 * Return: the length; -EMSGSIZE (it stays queued); -EINTR (the task is
 * dying, it stays queued); -EFAULT (the copy faulted, it is back first;
 * *@need is its length, the bytes to fault in).
 */
static int ring_take(struct chan *ch, struct iov_iter *iter, u32 cap,
		     u32 *need)
	__releases(&ch->lock) __releases(&ch->rx_lock)
{
	struct chan_wakeups wk = { 0 };
	__poll_t events = 0;
	void *slot;
	size_t n;
	u32 len;
	int ret;

	lockdep_assert_held(&ch->rx_lock);
	lockdep_assert_held(&ch->lock);
	len = chan_ring_peek_len(&ch->ring, 0);
	if (len > cap) {
		ret = -EMSGSIZE;
		goto out;
	}
	/* A dying task does not take the message: the next receiver does. */
	if (fatal_signal_pending(current)) {
		ret = -EINTR;
		goto out;
	}
	/* No sender is parked while a slot is kept back: just free it. */
	if (ch->rx_spent)
		chan_ring_put_slot(&ch->ring, chan_take_spent(ch));
	slot = chan_ring_pop(&ch->ring, &len);
	ch->rx_held++;
	spin_unlock(&ch->lock);

	pagefault_disable();
	n = copy_to_iter(slot, len, iter);
	pagefault_enable();

	if (n == len && !READ_ONCE(ch->nr_senders) &&
	    !READ_ONCE(ch->closed) &&
	    !(READ_ONCE(ch->ring.count) && READ_ONCE(ch->nr_receivers))) {
		ch->rx_held--;
		chan_account_rx(ch, len);
		WRITE_ONCE(ch->rx_spent, slot);
		/*
		 * Room appeared if the channel was full: tell pollers.
		 * poll_usage is set under rx_lock (chan_poll() in fops.c),
		 * so it is seen here or the slot is seen by the poller.
		 */
		if (READ_ONCE(ch->poll_usage)) {
			/*
			 * Pairs with the poller reading nr_free, then rx_spent,
			 * under chan->lock in chan_poll_mask(): either it sees
			 * the slot, or this sees the nr_free it saw.
			 */
			smp_mb();
			if (!READ_ONCE(ch->ring.nr_free))
				events = EPOLLOUT | EPOLLWRNORM;
		}
		spin_unlock(&ch->rx_lock);
		if (events)
			chan_notify(ch, events);
		return len;
	}

	spin_lock(&ch->lock);
	ch->rx_held--;
	if (n == len) {
		chan_account_rx(ch, len);
		events = chan_refill_slot(ch, slot, &wk);
		ret = len;
	} else {
		iov_iter_revert(iter, n);
		chan_ring_push_head(&ch->ring, slot, len);
		*need = len;
		ret = -EFAULT;
	}
	chan_eof_check(ch, &wk);
out:
	/* Whatever happened, messages may be left for parked receivers. */
	chan_kick_receiver(ch, &wk);
	spin_unlock(&ch->lock);
	spin_unlock(&ch->rx_lock);
	chan_wake_flush(&wk);
	if (events)
		chan_notify(ch, events);
	return ret;
}

/**
 * chan_claim_sender() - unbuffered: claim the oldest parked sender
 * @ch: the channel.
 * @cap: room for its message.
 * @mine: the caller's select claim word, whose own cases are skipped, or
 *	NULL.
 * @wk: collects wake-ups.
 *
 * Context: chan->lock held.
 * Return: the sender, CLAIMED, its pages pinned; NULL if none is parked;
 * ERR_PTR(-EMSGSIZE) if the oldest one's message does not fit @cap (it
 * stays parked, first; or, if it was looked at just as its select
 * committed elsewhere, it is sent to look again).
 */
struct chan_waiter *chan_claim_sender(struct chan *ch, u32 cap,
				      const atomic_t *mine,
				      struct chan_wakeups *wk)
{
	struct chan_waiter *s;

	lockdep_assert_held(&ch->lock);
	for (;;) {
		s = chan_first_claimable(ch, true, mine);
		if (!s)
			return NULL;
		if (s->len > cap)
			return ERR_PTR(-EMSGSIZE);
		s = chan_claim_first(ch, true, mine);
		if (!s)
			return NULL;
		/* The one looked at may have been dropped meanwhile. */
		if (s->len > cap) {
			chan_unclaim(ch, s, wk);
			return ERR_PTR(-EMSGSIZE);
		}
		/* A parked sender always has its pages pinned. */
		if (!WARN_ON_ONCE(!s->pinned))
			return s;
		chan_complete(ch, s, CHAN_RESULT_RETRY, wk);
	}
}
EXPORT_SYMBOL_IF_KUNIT(chan_claim_sender);

/**
 * chan_claim_receiver() - unbuffered: claim the oldest parked receiver
 *	that can take a message
 * @ch: the channel.
 * @len: the message length.
 * @mine: the caller's select claim word, whose own cases are skipped, or
 *	NULL.
 * @wk: collects wake-ups.
 *
 * On the way, a receiver whose buffer is too small is completed with
 * EMSGSIZE, one whose task is being killed with EINTR (it would not return
 * the message), and one not pinned (parked while the channel was
 * buffered) is sent to look again. While chaos pauses receivers, none is
 * claimed.
 *
 * Context: chan->lock held.
 * Return: the receiver, CLAIMED, its pages pinned, or NULL.
 */
struct chan_waiter *chan_claim_receiver(struct chan *ch, u32 len,
					const atomic_t *mine,
					struct chan_wakeups *wk)
{
	struct chan_waiter *r;

	lockdep_assert_held(&ch->lock);
	if (unlikely(ch->chaos.pause_recv))
		return NULL;
	while ((r = chan_claim_first(ch, false, mine))) {
		if (!r->pinned) {
			chan_complete(ch, r, CHAN_RESULT_RETRY, wk);
		} else if (r->len < len) {
			chan_complete(ch, r, -EMSGSIZE, wk);
		} else if (fatal_signal_pending(r->task)) {
			ch->stats.interrupted++;
			chan_complete(ch, r, -EINTR, wk);
		} else {
			return r;
		}
	}
	return NULL;
}
EXPORT_SYMBOL_IF_KUNIT(chan_claim_receiver);

/**
 * chan_take_from_sender() - unbuffered: receive from the oldest parked sender
 * @ch: the channel.
 * @iter: where the message goes.
 * @cap: room in @iter.
 * @wk: collects wake-ups; flushed before the copy.
 *
 * The sender's pages are pinned; the copy runs with page faults disabled
 * and no lock held while the sender is CLAIMED.
 *
 * Context: chan->lock held on entry and on return (dropped around the
 * copy).
 * Return: CHAN_NONE (no sender); the length; -EMSGSIZE (the sender stays
 * first); -EINTR (dying); -EFAULT (the copy faulted, the sender is back
 * first).
 */
int chan_take_from_sender(struct chan *ch, struct iov_iter *iter, u32 cap,
			  struct chan_wakeups *wk)
{
	struct chan_waiter *s;
	size_t n;

	lockdep_assert_held(&ch->lock);
	if (fatal_signal_pending(current) &&
	    chan_first_claimable(ch, true, NULL))
		return -EINTR;
	s = chan_claim_sender(ch, cap, NULL, wk);
	if (IS_ERR_OR_NULL(s))
		return s ? PTR_ERR(s) : CHAN_NONE;
	spin_unlock(&ch->lock);
	chan_wake_flush(wk);

	pagefault_disable();
	n = chan_pin_copy_to_iter(&s->pin, s->len, iter);
	pagefault_enable();

	spin_lock(&ch->lock);
	if (n != s->len) {
		iov_iter_revert(iter, n);
		chan_unclaim(ch, s, wk);
		return -EFAULT;
	}
	chan_account_sent(ch, n);
	chan_account_received(ch, n);
	chan_complete(ch, s, 0, wk);
	return n;
}

/**
 * chan_give_to_receiver() - unbuffered: send to the oldest parked receiver
 * @ch: the channel.
 * @from: the message.
 * @len: its length.
 * @wk: collects wake-ups; flushed before the copy.
 *
 * Copies straight into the receiver's pinned pages, with page faults
 * disabled and no lock held while it is CLAIMED. Receivers whose buffer is
 * too small are completed with EMSGSIZE on the way, and receivers whose
 * task is being killed with EINTR (they would not return the message).
 *
 * Context: chan->lock held on entry and on return (dropped around the
 * copy).
 * Return: CHAN_NONE (no receiver), 0, or -EFAULT (the copy faulted, the
 * receiver is back first).
 */
int chan_give_to_receiver(struct chan *ch, struct iov_iter *from, u32 len,
			  struct chan_wakeups *wk)
{
	struct chan_waiter *r;
	size_t n;

	lockdep_assert_held(&ch->lock);
	r = chan_claim_receiver(ch, len, NULL, wk);
	if (!r)
		return CHAN_NONE;
	spin_unlock(&ch->lock);
	chan_wake_flush(wk);

	pagefault_disable();
	n = chan_pin_copy_from_iter(&r->pin, len, from);
	pagefault_enable();

	spin_lock(&ch->lock);
	if (n != len) {
		iov_iter_revert(from, n);
		chan_unclaim(ch, r, wk);
		return -EFAULT;
	}
	chan_account_sent(ch, len);
	chan_account_received(ch, len);
	chan_complete(ch, r, len, wk);
	return 0;
}

/**
 * chan_publish() - queue a filled slot
 * @ch: the channel.
 * @slot: a slot the caller holds, now holding the message.
 * @len: the message length.
 *
 * The caller kicks a parked receiver if the ring was empty
 * (chan_kick_receiver()).
 *
 * Context: chan->lock held.
 * Return: whether the ring was empty.
 */
bool chan_publish(struct chan *ch, void *slot, u32 len)
{
	bool was_empty = !ch->ring.count;

	lockdep_assert_held(&ch->lock);
	chan_ring_push_tail(&ch->ring, slot, len);
	chan_account_sent(ch, len);
	return was_empty;
}

/**
 * chan_kick_receiver() - send a parked receiver for the queued messages
 * @ch: the channel.
 * @wk: collects its wake-up.
 *
 * Called after the events that leave queued messages with maybe nobody on
 * the way to take them: a message queued into an empty ring, and a
 * receiver leaving messages behind (it took one, declined one, or put one
 * back). As with pipe readers, the receiver kicked wakes the next one only
 * if it leaves messages behind itself: one wake-up per run of messages
 * that find receivers parked, not one per message. While chaos pauses
 * receivers nobody is kicked: lifting the pause kicks them (chaos.c).
 *
 * Context: chan->lock held.
 */
void chan_kick_receiver(struct chan *ch, struct chan_wakeups *wk)
{
	lockdep_assert_held(&ch->lock);
	if (ch->ring.count && ch->nr_receivers && !ch->chaos.pause_recv)
		chan_kick_first(ch, false, wk);
}

/*
 * Buffered: copy @len bytes of @from into @slot, a slot this send holds,
 * then queue it. The copy may fault and sleep: the slot only holds room.
 *
 * Return: 0, -EFAULT, -EPIPE (closed meanwhile), -ENODEV.
 */
static int fill_and_publish(struct chan *ch, void *slot,
			    struct iov_iter *from, u32 len)
{
	struct chan_wakeups wk = { 0 };
	__poll_t events = EPOLLIN | EPOLLRDNORM;
	size_t n;
	int ret;

	n = copy_from_iter(slot, len, from);
	spin_lock(&ch->lock);
	if (n != len)
		ret = -EFAULT;
	else if (ch->dead)
		ret = -ENODEV;
	else if (ch->closed)
		ret = -EPIPE;
	else
		ret = 0;
	if (!ret && chan_publish(ch, slot, len))
		chan_kick_receiver(ch, &wk);
	spin_unlock(&ch->lock);
	if (ret)
		events = chan_put_slot(ch, slot, &wk);
	chan_wake_flush(&wk);
	if (events)
		chan_notify(ch, events);
	return ret;
}

/* Queue a staged message in exchange for a free slot, which the file keeps. */
static void publish_staged(struct chan *ch, struct chan_file_bufs *bufs,
			   void *stage, void *slot, u32 len,
			   struct chan_wakeups *wk)
{
	if (chan_publish(ch, stage, len))
		chan_kick_receiver(ch, wk);
	bufs->stage = slot;
}

/* Park @w and tell pollers what a parked peer makes possible. */
static int park_and_wait(struct chan *ch, struct chan_waiter *w,
			 const struct chan_timeout *to)
	__releases(&ch->lock)
{
	chan_park(ch, w);
	/* An unbuffered channel: a parked peer makes the other side ready. */
	if (!ch->ring.size && READ_ONCE(ch->poll_usage)) {
		spin_unlock(&ch->lock);
		chan_notify(ch, w->send ? EPOLLIN | EPOLLRDNORM :
			    EPOLLOUT | EPOLLWRNORM);
		spin_lock(&ch->lock);
	}
	return chan_wait(ch, w, to);
}

/* The send of a message staged in the file's slot may not stage again. */
static void *stage_take(struct chan_file_bufs *bufs)
{
	if (!bufs || test_and_set_bit_lock(0, &bufs->stage_busy))
		return NULL;
	if (!bufs->stage) {
		clear_bit_unlock(0, &bufs->stage_busy);
		return NULL;
	}
	return bufs->stage;
}

static void stage_put(struct chan_file_bufs *bufs)
{
	clear_bit_unlock(0, &bufs->stage_busy);
}

/*
 * Buffered: send @from's @len bytes, or park for room.
 *
 * With the file's staging slot the message is copied in first, with no
 * lock held, and queued in one hold of chan->lock by swapping the staging
 * slot with a free one: one lock round trip per message. Without it (the
 * slot is in use by another send of the same file, or messages are too
 * big to stage) a free slot is taken first and filled afterwards.
 *
 * A channel with no free slot is looked at again under rx_lock, where a
 * receive may have kept its emptied slot back and where senders park: a
 * staged message parks in its slot, an unstaged one with its pages pinned.
 *
 * Return: 0; CHAN_RESULT_RETRY to look again (the channel became
 * unbuffered, or @w was pinned or kicked); or the send's error.
 */
static int send_buffered(struct chan *ch, struct iov_iter *from, u32 len,
			 const struct chan_timeout *to,
			 struct chan_file_bufs *bufs, struct chan_waiter *w,
			 bool *counted)
{
	struct chan_wakeups wk = { 0 };
	void *stage = stage_take(bufs), *slot;
	int ret;

	if (stage) {
		size_t n = copy_from_iter(stage, len, from);

		/* The message is in @stage: @from stays whole for a retry. */
		iov_iter_revert(from, n);
		if (n != len) {
			ret = -EFAULT;
			goto out;
		}
		spin_lock(&ch->lock);
		/* Parked senders go first: they are served under rx_lock. */
		if (ch->dead || ch->closed || !ch->ring.size ||
		    ch->nr_senders) {
			spin_unlock(&ch->lock);
		} else {
			slot = chan_ring_get_slot(&ch->ring);
			if (slot) {
				publish_staged(ch, bufs, stage, slot, len, &wk);
				spin_unlock(&ch->lock);
				ret = 0;
				goto out_notify;
			}
			spin_unlock(&ch->lock);
		}
	}

	spin_lock(&ch->rx_lock);
	spin_lock(&ch->lock);
	if (ch->dead || ch->closed) {
		ret = ch->dead ? -ENODEV : -EPIPE;
		goto out_unlock;
	}
	if (!ch->ring.size) {
		ret = CHAN_RESULT_RETRY;
		goto out_unlock;
	}
	slot = chan_ring_get_slot(&ch->ring) ?: chan_take_spent(ch);
	if (slot && stage) {
		publish_staged(ch, bufs, stage, slot, len, &wk);
		spin_unlock(&ch->lock);
		spin_unlock(&ch->rx_lock);
		ret = 0;
		goto out_notify;
	}
	if (slot) {
		spin_unlock(&ch->lock);
		spin_unlock(&ch->rx_lock);
		ret = fill_and_publish(ch, slot, from, len);
		goto out;
	}
	if (!*counted) {
		ch->stats.full++;
		*counted = true;
	}
	if (to->try) {
		ret = -EAGAIN;
		goto out_unlock;
	}
	ret = chan_admit_parking(ch, w);
	if (ret)
		goto out_unlock;
	if (!stage && !w->pinned) {
		/* Whoever frees a slot copies from our pages. */
		spin_unlock(&ch->lock);
		spin_unlock(&ch->rx_lock);
		ret = chan_pin_iter(&w->pin, from, len, false,
				    bufs ? &bufs->spare : NULL, to);
		if (!ret) {
			w->pinned = true;
			ret = CHAN_RESULT_RETRY;
		}
		goto out;
	}
	w->stage = stage;
	chan_park(ch, w);
	spin_unlock(&ch->rx_lock);
	ret = chan_wait(ch, w, to);
	/* Moved in: the slot freed for us replaces the staging slot. */
	if (!ret && stage)
		bufs->stage = w->stage;
	w->stage = NULL;
	if (ret == CHAN_RESULT_RETRY)
		w->kicked = true;
	goto out;

out_unlock:
	spin_unlock(&ch->lock);
	spin_unlock(&ch->rx_lock);
out:
	if (stage)
		stage_put(bufs);
	chan_wake_flush(&wk);
	return ret;
out_notify:
	if (stage)
		stage_put(bufs);
	chan_wake_flush(&wk);
	chan_notify(ch, EPOLLIN | EPOLLRDNORM);
	return ret;
}

/*
 * Unbuffered: hand @from's @len bytes to a parked receiver, or park with
 * the pages pinned for the receiver that comes.
 *
 * Return: 0; CHAN_RESULT_RETRY to look again (the channel became
 * buffered, or @w was pinned or kicked); or the send's error.
 */
static int send_unbuffered(struct chan *ch, struct iov_iter *from, u32 len,
			   const struct chan_timeout *to,
			   struct chan_file_bufs *bufs, struct chan_waiter *w,
			   bool *counted, int *faults)
{
	struct chan_wakeups wk = { 0 };
	int ret;

	spin_lock(&ch->lock);
	if (ch->dead || ch->closed) {
		ret = ch->dead ? -ENODEV : -EPIPE;
		goto out_unlock;
	}
	if (ch->ring.size) {
		ret = CHAN_RESULT_RETRY;
		goto out_unlock;
	}
	ret = chan_give_to_receiver(ch, from, len, &wk);
	if (ret == -EFAULT) {
		spin_unlock(&ch->lock);
		chan_wake_flush(&wk);
		ret = chan_fault_in(from, len, false, faults);
		return ret ? ret : CHAN_RESULT_RETRY;
	}
	if (ret != CHAN_NONE)
		goto out_unlock;
	if (!*counted) {
		ch->stats.full++;
		*counted = true;
	}
	if (to->try) {
		ret = -EAGAIN;
		goto out_unlock;
	}
	ret = chan_admit_parking(ch, w);
	if (ret)
		goto out_unlock;
	if (!w->pinned) {
		/* The receiver that comes copies from our pages. */
		spin_unlock(&ch->lock);
		chan_wake_flush(&wk);
		ret = chan_pin_iter(&w->pin, from, len, false,
				    bufs ? &bufs->spare : NULL, to);
		if (ret)
			return ret;
		w->pinned = true;
		return CHAN_RESULT_RETRY;
	}
	ret = park_and_wait(ch, w, to);
	chan_wake_flush(&wk);
	if (ret == CHAN_RESULT_RETRY)
		w->kicked = true;
	return ret;

out_unlock:
	spin_unlock(&ch->lock);
	chan_wake_flush(&wk);
	return ret;
}

/**
 * chan_send() - send one message
 * @ch: the channel.
 * @from: the message, 1..msg_size bytes (checked by the caller).
 * @to: how long to wait for room or a receiver.
 * @bufs: what the open file lends (staging slot, spare page vector), or
 *	NULL.
 *
 * Context: process context, may sleep.
 * Return: 0 when the message was queued or handed over; -EAGAIN,
 * -ETIMEDOUT, -EINTR/-ERESTARTSYS, -EPIPE (closed), -ENODEV (destroyed),
 * -EFAULT, or -EINVAL (a buffer in too many pieces to pin).
 */
ssize_t chan_send(struct chan *ch, struct iov_iter *from,
		  const struct chan_timeout *to, struct chan_file_bufs *bufs)
{
	u32 len = iov_iter_count(from);
	bool counted = false;
	struct chan_waiter w;
	int faults = 0;
	int ret;

	ret = chan_chaos_before(ch, true, to);
	if (ret < 0)
		return ret;
	/* A failure chaos injected and then released counted as full. */
	counted = ret;
	chan_waiter_init(&w, true, len);
	do {
		if (READ_ONCE(ch->ring.size))
			ret = send_buffered(ch, from, len, to, bufs, &w,
					    &counted);
		else
			ret = send_unbuffered(ch, from, len, to, bufs, &w,
					      &counted, &faults);
	} while (ret == CHAN_RESULT_RETRY);
	if (w.pinned)
		chan_pin_release(&w.pin);
	if (!ret)
		chan_op_done(ch, true, len, w.since);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(chan_send);

/**
 * chan_recv() - receive one message
 * @ch: the channel.
 * @to_iter: room for it; only min(its size, msg_size) bytes are used.
 * @to: how long to wait for a message.
 * @bufs: what the open file lends (spare page vector), or NULL.
 *
 * Context: process context, may sleep.
 * Return: the message length; 0 at the end of a closed channel; -EMSGSIZE
 * (the next message does not fit, it stays first), -EAGAIN, -ETIMEDOUT,
 * -EINTR/-ERESTARTSYS, -ENODEV, -EFAULT (the message stays first) or
 * -EINVAL (a buffer in too many pieces to pin).
 */
ssize_t chan_recv(struct chan *ch, struct iov_iter *to_iter,
		  const struct chan_timeout *to, struct chan_file_bufs *bufs)
{
	u32 cap = min_t(size_t, iov_iter_count(to_iter), ch->msg_size);
	struct chan_wakeups wk = { 0 };
	bool counted = false, paused = false, held;
	struct chan_waiter w;
	int faults = 0;
	u32 need;
	int ret;

	ret = chan_chaos_before(ch, false, to);
	if (ret)
		return ret;
	chan_waiter_init(&w, false, cap);
	for (;;) {
		spin_lock(&ch->rx_lock);
		spin_lock(&ch->lock);
		if (ch->dead) {
			spin_unlock(&ch->rx_lock);
			ret = -ENODEV;
			break;
		}
		/* Chaos pauses receivers: what is there is not there. */
		held = chan_chaos_holds(ch, NULL);
		if (held && !paused) {
			chan_chaos_held(ch);
			paused = true;
		}
		if (ch->ring.count && !held) {
			ret = ring_take(ch, to_iter, cap, &need);
			if (ret == -EFAULT) {
				ret = chan_fault_in(to_iter, need, true, &faults);
				if (!ret)
					continue;
			}
			goto out;
		}
		/*
		 * Nothing queued (or held back) and, since we held rx_lock,
		 * nothing being copied out either (rx_held is 0): nothing can
		 * come back.
		 */
		spin_unlock(&ch->rx_lock);
		if (!ch->ring.size && !held) {
			ret = chan_take_from_sender(ch, to_iter, cap, &wk);
			if (ret == -EFAULT) {
				spin_unlock(&ch->lock);
				chan_wake_flush(&wk);
				ret = chan_fault_in(to_iter, cap, true, &faults);
				if (ret)
					goto out;
				continue;
			}
			if (ret != CHAN_NONE)
				break;
		}
		if (ch->closed && !held) {
			ret = 0;
			break;
		}
		if (!counted) {
			ch->stats.empty++;
			counted = true;
		}
		if (to->try) {
			ret = -EAGAIN;
			break;
		}
		if (!ch->ring.size && !w.pinned) {
			/* The sender that comes copies into our pages. */
			spin_unlock(&ch->lock);
			chan_wake_flush(&wk);
			ret = chan_pin_iter(&w.pin, to_iter, cap, true,
					    bufs ? &bufs->spare : NULL, to);
			if (ret)
				goto out;
			w.pinned = true;
			continue;
		}
		ret = park_and_wait(ch, &w, to);
		chan_wake_flush(&wk);
		if (ret != CHAN_RESULT_RETRY)
			goto out;
		w.kicked = true;
	}
	spin_unlock(&ch->lock);
	chan_wake_flush(&wk);
out:
	if (w.pinned)
		chan_pin_release(&w.pin);
	if (ret > 0)
		chan_op_done(ch, false, ret, w.since);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(chan_recv);

/**
 * chan_file_bufs_init() - allocate what an open file lends its operations
 * @bufs: to set up.
 * @msg_size: the channel's largest message.
 * @sends: the file is open for writing: it gets a staging slot, if
 *	@msg_size is at most CHAN_STAGE_MAX.
 *
 * Charged to the opener's memory cgroup; the staging slot is extra room
 * of this file, not counted against max_bytes.
 *
 * Context: process context, may sleep.
 * Return: 0 or -ENOMEM.
 */
int chan_file_bufs_init(struct chan_file_bufs *bufs, u32 msg_size,
			bool sends)
{
	int ret = chan_pin_spare_init(&bufs->spare, msg_size);

	bufs->stage = NULL;
	bufs->stage_busy = 0;
	if (ret || !sends || msg_size > CHAN_STAGE_MAX)
		return ret;
	bufs->stage = chan_ring_slot_alloc(msg_size);
	if (!bufs->stage) {
		chan_pin_spare_destroy(&bufs->spare);
		return -ENOMEM;
	}
	return 0;
}

/**
 * chan_file_bufs_destroy() - free what chan_file_bufs_init() allocated
 * @bufs: no operation may use them any more.
 */
void chan_file_bufs_destroy(struct chan_file_bufs *bufs)
{
	chan_ring_slot_free(bufs->stage);
	bufs->stage = NULL;
	chan_pin_spare_destroy(&bufs->spare);
}
