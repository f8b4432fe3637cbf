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
 * Return: the length; -EMSGSIZE (it stays queued); -EINTR (the task is
 * dying, it stays queued); -EFAULT (the copy faulted, it is back first).
 */
static int ring_take(struct chan *ch, struct iov_iter *iter, u32 cap)
	__releases(&ch->lock) __releases(&ch->rx_lock)
{
	struct chan_wakeups wk = { 0 };
	bool room = false;
	void *slot;
	size_t n;
	u32 len;
	int ret;

	lockdep_assert_held(&ch->rx_lock);
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
	slot = chan_ring_pop(&ch->ring, &len);
	ch->rx_held++;
	spin_unlock(&ch->lock);

	pagefault_disable();
	n = copy_to_iter(slot, len, iter);
	pagefault_enable();

	spin_lock(&ch->lock);
	ch->rx_held--;
	if (n == len) {
		chan_account_received(ch, len);
		room = chan_refill_slot(ch, slot, &wk);
		ret = len;
	} else {
		iov_iter_revert(iter, n);
		chan_ring_push_head(&ch->ring, slot, len);
		/* A receiver that parked meanwhile may take it. */
		chan_kick_first(ch, false, &wk);
		ret = -EFAULT;
	}
	chan_eof_check(ch, &wk);
out:
	spin_unlock(&ch->lock);
	spin_unlock(&ch->rx_lock);
	chan_wake_flush(&wk);
	if (room)
		chan_notify(ch, EPOLLOUT | EPOLLWRNORM);
	return ret;
}

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

	for (;;) {
		s = list_first_entry_or_null(&ch->senders, struct chan_waiter,
					     node);
		if (!s)
			return CHAN_NONE;
		if (s->len > cap)
			return -EMSGSIZE;
		if (fatal_signal_pending(current))
			return -EINTR;
		s = chan_claim_first(ch, true);
		if (!s)
			return CHAN_NONE;
		/* A parked sender always has its pages pinned. */
		if (!WARN_ON_ONCE(!s->pinned))
			break;
		chan_complete(ch, s, CHAN_RESULT_RETRY, wk);
	}
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
 * too small are completed with EMSGSIZE on the way.
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

	for (;;) {
		r = chan_claim_first(ch, false);
		if (!r)
			return CHAN_NONE;
		if (!r->pinned)
			chan_complete(ch, r, CHAN_RESULT_RETRY, wk);
		else if (r->len < len)
			chan_complete(ch, r, -EMSGSIZE, wk);
		else
			break;
	}
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
 * chan_publish() - queue a filled slot and kick a parked receiver
 * @ch: the channel.
 * @slot: a slot the caller holds, now holding the message.
 * @len: the message length.
 * @wk: collects the receiver's wake-up.
 *
 * Context: chan->lock held.
 */
void chan_publish(struct chan *ch, void *slot, u32 len,
		  struct chan_wakeups *wk)
{
	lockdep_assert_held(&ch->lock);
	chan_ring_push_tail(&ch->ring, slot, len);
	chan_account_sent(ch, len);
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
	bool room = false;
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
	if (!ret)
		chan_publish(ch, slot, len, &wk);
	spin_unlock(&ch->lock);
	if (ret)
		room = chan_put_slot(ch, slot, &wk);
	chan_wake_flush(&wk);
	if (!ret)
		chan_notify(ch, EPOLLIN | EPOLLRDNORM);
	else if (room)
		chan_notify(ch, EPOLLOUT | EPOLLWRNORM);
	return ret;
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

/**
 * chan_send() - send one message
 * @ch: the channel.
 * @from: the message, 1..msg_size bytes (checked by the caller).
 * @to: how long to wait for room or a receiver.
 * @spare: the open file's spare page vector, or NULL.
 *
 * Context: process context, may sleep.
 * Return: 0 when the message was queued or handed over; -EAGAIN,
 * -ETIMEDOUT, -EINTR/-ERESTARTSYS, -EPIPE (closed), -ENODEV (destroyed),
 * -EFAULT, or -EINVAL (a buffer in too many pieces to pin).
 */
ssize_t chan_send(struct chan *ch, struct iov_iter *from,
		  const struct chan_timeout *to, struct chan_pin_spare *spare)
{
	u32 len = iov_iter_count(from);
	struct chan_wakeups wk = { 0 };
	bool counted = false;
	struct chan_waiter w;
	int faults = 0;
	void *slot;
	int ret;

	chan_waiter_init(&w, true, len);
	for (;;) {
		spin_lock(&ch->lock);
		if (ch->dead || ch->closed) {
			ret = ch->dead ? -ENODEV : -EPIPE;
			break;
		}
		if (ch->ring.size) {
			slot = chan_ring_get_slot(&ch->ring);
			if (slot) {
				spin_unlock(&ch->lock);
				ret = fill_and_publish(ch, slot, from, len);
				goto out;
			}
		} else {
			ret = chan_give_to_receiver(ch, from, len, &wk);
			if (ret == -EFAULT) {
				spin_unlock(&ch->lock);
				chan_wake_flush(&wk);
				ret = chan_fault_in(from, len, false, &faults);
				if (ret)
					goto out;
				continue;
			}
			if (ret != CHAN_NONE)
				break;
		}
		if (!counted) {
			ch->stats.full++;
			counted = true;
		}
		if (to->try) {
			ret = -EAGAIN;
			break;
		}
		if (!w.pinned) {
			/* Whoever serves us copies from our pages. */
			spin_unlock(&ch->lock);
			chan_wake_flush(&wk);
			ret = chan_pin_iter(&w.pin, from, len, false, spare, to);
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
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(chan_send);

/**
 * chan_recv() - receive one message
 * @ch: the channel.
 * @to_iter: room for it; only min(its size, msg_size) bytes are used.
 * @to: how long to wait for a message.
 * @spare: the open file's spare page vector, or NULL.
 *
 * Context: process context, may sleep.
 * Return: the message length; 0 at the end of a closed channel; -EMSGSIZE
 * (the next message does not fit, it stays first), -EAGAIN, -ETIMEDOUT,
 * -EINTR/-ERESTARTSYS, -ENODEV, -EFAULT (the message stays first) or
 * -EINVAL (a buffer in too many pieces to pin).
 */
ssize_t chan_recv(struct chan *ch, struct iov_iter *to_iter,
		  const struct chan_timeout *to, struct chan_pin_spare *spare)
{
	u32 cap = min_t(size_t, iov_iter_count(to_iter), ch->msg_size);
	struct chan_wakeups wk = { 0 };
	bool counted = false;
	struct chan_waiter w;
	int faults = 0;
	int ret;

	chan_waiter_init(&w, false, cap);
	for (;;) {
		spin_lock(&ch->rx_lock);
		spin_lock(&ch->lock);
		if (ch->dead) {
			spin_unlock(&ch->rx_lock);
			ret = -ENODEV;
			break;
		}
		if (ch->ring.count) {
			ret = ring_take(ch, to_iter, cap);
			if (ret == -EFAULT) {
				ret = chan_fault_in(to_iter, cap, true, &faults);
				if (!ret)
					continue;
			}
			goto out;
		}
		/*
		 * Nothing queued and, since we held rx_lock, nothing being
		 * copied out either (rx_held is 0): nothing can come back.
		 */
		spin_unlock(&ch->rx_lock);
		if (!ch->ring.size) {
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
		if (ch->closed) {
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
			ret = chan_pin_iter(&w.pin, to_iter, cap, true, spare,
					    to);
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
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(chan_recv);
