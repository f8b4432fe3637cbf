// SPDX-License-Identifier: GPL-2.0
/*
 * The channel object and its life: allocation, the slot and end-of-file
 * rules shared by every path, close, destroy, capacity changes, open-file
 * counts and readiness. The data path is in xfer.c, the waiter protocol in
 * wait.c, select in select.c; this comment describes them all.
 *
 * Locking:
 *
 * Two spinlocks per channel, never taken from interrupts:
 * - chan->lock protects the ring's bookkeeping (queue, free slots), the
 *   wait lists and every field of a waiter while it is PARKED, closed/dead,
 *   the open-file counts, the statistics and adaptive admission's state
 *   (admission.c: the parking decision and the wait samples are both
 *   made under it).
 * - chan->rx_lock serialises taking messages from the ring with copying
 *   them out (see "Copy-outs" below), and protects rx_held, rx_spent and
 *   the receive counters. It is held only across a copy that cannot fault
 *   or sleep. Besides receivers, senders take it to park on a full
 *   channel, and close, resize and the end-of-file check take it: so while
 *   a receiver holds it no sender parks, no receiver decides to park (it
 *   does so under rx_lock and parks before it drops chan->lock) and the
 *   channel does not close.
 * Lock order: chan_ctl_mutex (control.c) -> chan->resize_mutex ->
 * chan->rx_lock -> chan->lock. Tasks are woken after chan->lock is dropped
 * (struct chan_wakeups; past CHAN_WAKE_BATCH under it, which is safe, only
 * slower), and so are pollers: poll_wait's lock nests inside nothing.
 * Every helper that needs chan->lock says so with lockdep_assert_held().
 *
 * Message bytes are never copied under chan->lock: it moves pointers.
 * A buffered channel owns capacity slots of msg_size bytes (ring.c),
 * allocated at create or resize time; nothing allocates per message.
 *
 * Sends. A send copies its message, with no lock held and page faults
 * allowed, into the staging slot its open file owns (xfer.c), then, in one
 * hold of chan->lock, swaps that slot for a free one of the ring and
 * queues it, kicking a parked receiver if the ring was empty: one lock
 * round trip per message, and the ring keeps exactly capacity slots. (A
 * send that cannot stage, because another send of the same file uses the
 * slot or messages are too big, takes a free slot first, fills it with no
 * lock held and queues it afterwards; the slot holds room meanwhile, so a
 * full channel is one with no free slot.) A sender stalled in its own page
 * fault holds at most one slot and nobody else. With no free slot a sender
 * looks again under rx_lock (below) and parks there, its message in its
 * staging slot or its pages pinned (pin.c); whoever frees a slot later
 * moves the oldest parked sender's message in (chan_refill_slot(): a swap
 * of slots, or a copy from pinned pages that cannot fault) under rx_lock,
 * so parked senders keep their order (FIFO, as in Go) and newcomers
 * cannot overtake them.
 *
 * Copy-outs. A receiver takes chan->rx_lock, pops the oldest message under
 * chan->lock (rx_held counts it), drops chan->lock and copies the message
 * to user space with page faults disabled, then frees the slot (moving a
 * parked sender's message into it if one waits) or, if the copy faulted,
 * puts the message back at the head, all before dropping rx_lock. When
 * nothing else is to be done under chan->lock (no sender parked, no
 * receiver parked with messages left, not closed) the slot is not freed at
 * once but kept back in rx_spent, under rx_lock only: the next pop frees
 * it, and a sender that finds no free slot takes it under rx_lock. So a
 * receive takes chan->lock once as well. The copy cannot
 * sleep, so rx_lock is held for memcpy time and a contended receiver spins
 * briefly (the holder is running) instead of parking; receivers never wait
 * for each other's page faults. After a fault the receiver, holding
 * nothing, faults its pages in (possibly sleeping, on its own account) and
 * tries again. Because no other receiver can take a message while one is
 * being copied out, a message that goes back is still first, and one
 * sender's messages are never delivered out of order (3.4):
 *
 *	receiver A                      receiver B
 *	lock rx_lock                    lock rx_lock (spins)
 *	pop m1, copy: faults
 *	push m1 back at the head
 *	unlock rx_lock                  pop m1 (not m2), copy
 *	fault m1's pages in
 *
 * A buffered receiver that finds nothing parks holding nothing; a sender
 * that queues a message into an empty ring kicks the oldest parked one
 * (CHAN_RESULT_RETRY) and it takes the message through the path above,
 * like a pipe reader woken for new data; a receiver that leaves messages
 * behind kicks the next one (chan_kick_receiver()). So a run of messages
 * costs one wake-up, not one per message. Every wake-up of a peer is a
 * sync one (wait.c): the waker goes on producing or goes to sleep, and the
 * woken task may run on its CPU.
 *
 * Unbuffered (capacity 0): the parked side pins the pages of its buffer
 * (pin.c) before it parks; the arriving side claims it (CLAIMED, off the
 * list), drops chan->lock and copies straight between its own user memory
 * and those pages with page faults disabled, then completes it (DONE) or,
 * if its own memory faulted, gives it back first in line (chan_unclaim())
 * and faults its pages in with nothing claimed. One copy per message, one
 * wake-up, and the send returns only once the receiver's buffer holds the
 * message. A non-blocking operation thus never waits for another task
 * (3.2): it either finds a pinned peer and copies, or gets EAGAIN.
 *
 * Waiters, after ipc/mqueue.c. struct chan_waiter states: IDLE (not on a
 * list: never parked, left after a timeout or signal, or dropped because
 * its select committed elsewhere), PARKED (on chan->senders or
 * chan->receivers, oldest first), CLAIMED (a peer took it off the list and
 * is copying to or from its pinned pages) and DONE (->result final).
 * Every "take the first waiter" goes through chan_claim_first(), which
 * can fail: a waiter with a shared claim word (one per select) is claimed
 * with a single cmpxchg under this channel's lock, and a waiter whose word
 * another channel's peer won is dropped and skipped. The peer that
 * completes a waiter does, under chan->lock: fill in ->result,
 * get_task_struct(), smp_store_release(&w->state, DONE), and wakes the task
 * after unlocking. After the release store the peer never touches the
 * waiter again: the waiter may already have returned. The waiter, once
 * woken, reads ->state with READ_ONCE() and smp_acquire__after_ctrl_dep()
 * (pairs with that release); if DONE, the operation completed and its
 * result stands even if a signal or the timeout came at the same moment.
 * Otherwise it takes chan->lock and looks again before it looks at signals
 * and the timeout, so a hand-off and a timeout never both happen:
 *
 *	peer                            parked task (timeout fires)
 *	lock                            wakes, state != DONE
 *	claim w: CLAIMED                lock (waits)
 *	unlock, copy into w's pages
 *	lock                            (waits)
 *	w->result = len
 *	store-release state = DONE
 *	unlock, wake                    state == DONE: returns len,
 *	                                the timeout is ignored
 *
 * While its waiter is CLAIMED the task waits uninterruptibly for the claim
 * to end (the copy cannot fault or sleep): it must not return while a peer
 * may still write into its buffer. A waiter completed with
 * CHAN_RESULT_RETRY looks again and, if it parks again, goes back to the
 * head of its list.
 *
 * The send side's guard (guard.c: circuit breaker and rate limiter) has
 * its own spinlock, chan->guard_lock, a leaf: poll takes it under
 * chan->lock to learn whether sends are refused, and nothing but the
 * guard's hrtimer takes another lock under it. A send asks the guard
 * before it takes any channel lock, and waits for a token holding none.
 *
 * Chaos (chaos.c): a delay or an injected send failure happens before
 * the operation takes any lock, in an interruptible sleep on
 * chan->chaos.wait that a knob change, close and destroy end. pause_recv
 * changes under rx_lock and chan->lock; every decision to take a message
 * (a receive, a batch, a select case, poll, FIONREAD) and every hand-off
 * to or kick of a parked receiver looks at it under chan->lock, so a
 * receive either took its message before the pause or finds it held back
 * and parks. Lifting it kicks parked receivers in order (chaos.c).
 *
 * Selects (select.c) park one waiter per case, all sharing the select's
 * claim word, each under its own channel's locks, one channel at a time:
 * no path ever holds two channels' locks. The select pins every case's
 * buffer before anything can commit, so what the select copies itself
 * (between those pages and slots or a peer's pinned pages) cannot fault,
 * and a peer copying from or into its own memory gives the case back if
 * that memory faults. A peer's claim of a case whose word another
 * channel's peer won fails and drops that case from the list; a peer that
 * wins a case and then cannot use it gives it back with the word still
 * taken, and the select starts a new round. Before it returns, the select
 * unlinks what is left of its cases, channel by channel.
 *
 * Close completes every parked sender with EPIPE; sends that hold a slot
 * find the channel closed when they queue and fail with EPIPE too, and so
 * does a parked sender whose message was being moved into a slot. Once
 * nothing is queued and nothing is being copied out (rx_held is 0: a fault
 * would put it back), every parked receiver reads end of file
 * (chan_eof_check()). Destroy (chan_kill()) completes everybody with
 * ENODEV; a CLAIMED waiter gets its result from its claimer, which holds an
 * fd and so keeps the channel alive.
 *
 * Readiness: pollers are notified with the EPOLL* bits that became true
 * (io_uring re-arms only on a matching key), after unlocking, and only
 * once somebody has polled the channel (chan->poll_usage, as fs/pipe.c):
 * EPOLLIN for every message queued (EPOLLET sees an edge per message, as
 * with pipes) and for a sender parking on an unbuffered channel; EPOLLOUT
 * when a full channel gets room, a receiver parks on an unbuffered one, or
 * the capacity grows. chan_poll_mask() reads the state under chan->lock.
 */

#include <linux/minmax.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <kunit/visibility.h>

#include "chan.h"
#include "trace.h"

/**
 * chan_account_sent() - count a message queued or handed over
 * @ch: the channel.
 * @len: its length.
 *
 * Context: chan->lock held.
 */
void chan_account_sent(struct chan *ch, u32 len)
{
	lockdep_assert_held(&ch->lock);
	ch->stats.sent++;
	ch->stats.bytes_sent += len;
}

/**
 * chan_account_received() - count a message a receiver got from a sender
 * @ch: the channel.
 * @len: its length.
 *
 * Context: chan->lock held.
 */
void chan_account_received(struct chan *ch, u32 len)
{
	lockdep_assert_held(&ch->lock);
	ch->stats.received++;
	ch->stats.bytes_received += len;
}

/**
 * chan_account_rx() - count a message a receiver got from the ring
 * @ch: the channel.
 * @len: its length.
 *
 * Context: chan->rx_lock held.
 */
void chan_account_rx(struct chan *ch, u32 len)
{
	lockdep_assert_held(&ch->rx_lock);
	ch->rx_received++;
	ch->rx_bytes_received += len;
}

/**
 * chan_received() - messages received, both ways together
 * @ch: the channel.
 * @bytes: set to their bytes, if not NULL.
 *
 * Context: process context; takes chan->rx_lock and chan->lock.
 * Return: the count.
 */
u64 chan_received(struct chan *ch, u64 *bytes)
{
	u64 n;

	spin_lock(&ch->rx_lock);
	spin_lock(&ch->lock);
	n = ch->stats.received + ch->rx_received;
	if (bytes)
		*bytes = ch->stats.bytes_received + ch->rx_bytes_received;
	spin_unlock(&ch->lock);
	spin_unlock(&ch->rx_lock);
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(chan_received);

/**
 * chan_take_spent() - take the slot the last receive kept back
 * @ch: the channel.
 *
 * While a receive keeps a slot back (&chan.rx_spent) no sender is parked:
 * senders look here, under rx_lock, before they park.
 *
 * Context: chan->rx_lock and chan->lock held.
 * Return: the slot, now the caller's, or NULL.
 */
void *chan_take_spent(struct chan *ch)
{
	void *slot = ch->rx_spent;

	lockdep_assert_held(&ch->rx_lock);
	lockdep_assert_held(&ch->lock);
	WRITE_ONCE(ch->rx_spent, NULL);
	return slot;
}

/**
 * chan_refill_slot() - a slot an operation held is free again
 * @ch: the channel.
 * @slot: the slot.
 * @wk: collects the wake-ups of the parked sender it serves and of a
 *	receiver kicked for that sender's message.
 *
 * If a sender is parked (the channel was full), the oldest one's message is
 * moved in and queued, and that send completes: parked senders keep their
 * order, as in Go. A message staged in the sender's own slot is moved by
 * swapping the two slots; otherwise it is copied from the sender's pinned
 * pages, which cannot fault, with chan->lock dropped around the copy and
 * rx_lock held across it, so that no other move or receive comes in
 * between. Otherwise the slot goes back on the free stack.
 *
 * The message moved in is not followed by a kick: the caller, a receiver
 * or a resize, kicks a parked receiver afterwards if messages are left
 * (chan_kick_receiver()).
 *
 * Context: chan->rx_lock and chan->lock held; chan->lock is dropped and
 * retaken around a move.
 * Return: what became possible, for chan_notify() once unlocked: EPOLLIN
 * if a message was moved in, EPOLLOUT if the channel was full and has room
 * now, else 0.
 */
__poll_t chan_refill_slot(struct chan *ch, void *slot, struct chan_wakeups *wk)
{
	struct chan_waiter *s;
	bool was_full;

	lockdep_assert_held(&ch->rx_lock);
	lockdep_assert_held(&ch->lock);
	while ((s = chan_claim_first(ch, true, NULL))) {
		/* A parked sender has its message staged or its pages pinned. */
		if (WARN_ON_ONCE(!s->stage && !s->pinned)) {
			chan_complete(ch, s, CHAN_RESULT_RETRY, wk);
			continue;
		}
		if (s->stage) {
			/* Its message is in a slot of its own: swap them. */
			chan_publish(ch, s->stage, s->len);
			s->stage = slot;
			chan_complete(ch, s, 0, wk);
			return EPOLLIN | EPOLLRDNORM;
		}
		spin_unlock(&ch->lock);
		chan_pin_memcpy_from(&s->pin, slot, s->len);
		spin_lock(&ch->lock);
		if (ch->dead || ch->closed) {
			/* As it would have, parked: the message is dropped. */
			chan_complete(ch, s, ch->dead ? -ENODEV : -EPIPE, wk);
			continue;
		}
		/* The caller kicks a receiver (chan_kick_receiver()). */
		chan_publish(ch, slot, s->len);
		chan_complete(ch, s, 0, wk);
		return EPOLLIN | EPOLLRDNORM;
	}
	was_full = !ch->ring.nr_free;
	chan_ring_put_slot(&ch->ring, slot);
	return was_full ? EPOLLOUT | EPOLLWRNORM : 0;
}

/**
 * chan_put_slot() - chan_refill_slot() for a caller holding no lock
 * @ch: the channel.
 * @slot: a slot the caller holds.
 * @wk: collects wake-ups.
 *
 * Context: process context, no channel lock held.
 * Return: as chan_refill_slot().
 */
__poll_t chan_put_slot(struct chan *ch, void *slot, struct chan_wakeups *wk)
{
	__poll_t events;

	spin_lock(&ch->rx_lock);
	spin_lock(&ch->lock);
	events = chan_refill_slot(ch, slot, wk);
	chan_kick_receiver(ch, wk);
	spin_unlock(&ch->lock);
	spin_unlock(&ch->rx_lock);
	return events;
}

/**
 * chan_eof_check() - let parked receivers read end of file if it is time
 * @ch: the channel.
 * @wk: collects their wake-ups.
 *
 * A closed channel is at its end once nothing is queued and nothing is
 * being copied out of the ring (a fault would put it back).
 *
 * Context: chan->rx_lock and chan->lock held.
 */
void chan_eof_check(struct chan *ch, struct chan_wakeups *wk)
{
	lockdep_assert_held(&ch->rx_lock);
	lockdep_assert_held(&ch->lock);
	if (ch->closed && !ch->ring.count && !ch->rx_held)
		chan_complete_all(ch, false, 0, wk);
}

/**
 * chan_admit_parking() - may a sender that found no room park?
 * @ch: the channel.
 * @w: the sender's waiter; one kicked back from the list keeps its place.
 *
 * Adaptive admission: while as many senders as its cap are parked, the
 * next one is refused, and counted.
 *
 * Context: chan->lock held.
 * Return: 0, or -EBUSY.
 */
int chan_admit_parking(struct chan *ch, const struct chan_waiter *w)
{
	lockdep_assert_held(&ch->lock);
	if (w->kicked || chan_aimd_admits(&ch->aimd, ch->nr_senders))
		return 0;
	ch->stats.admission_rejected++;
	return -EBUSY;
}

static void close_locked(struct chan *ch, struct chan_wakeups *wk)
{
	lockdep_assert_held(&ch->rx_lock);
	lockdep_assert_held(&ch->lock);
	if (ch->closed)
		return;
	ch->closed = true;
	trace_chan_close(ch->index, ch->ring.count);
	chan_complete_all(ch, true, -EPIPE, wk);
	chan_eof_check(ch, wk);
}

/**
 * chan_close() - close a channel, as Go's close(ch)
 * @ch: the channel.
 *
 * Idempotent. Parked senders fail with EPIPE, receivers drain what is
 * queued and then read end of file.
 *
 * Context: process context; takes and drops chan->rx_lock and chan->lock.
 */
void chan_close(struct chan *ch)
{
	struct chan_wakeups wk = { 0 };

	spin_lock(&ch->rx_lock);
	spin_lock(&ch->lock);
	close_locked(ch, &wk);
	spin_unlock(&ch->lock);
	spin_unlock(&ch->rx_lock);
	chan_wake_flush(&wk);
	chan_guard_wake(ch);
	chan_chaos_wake(ch);
	chan_notify(ch, EPOLLIN | EPOLLOUT | EPOLLHUP | EPOLLERR);
}
EXPORT_SYMBOL_IF_KUNIT(chan_close);

/**
 * chan_kill() - mark a channel destroyed
 * @ch: the channel.
 * @force: destroy even while files are open.
 *
 * Every parked waiter and every later operation gets ENODEV; opens fail.
 *
 * Context: process context; takes and drops chan->lock.
 * Return: 0, or -EBUSY if files are open and @force is false.
 */
int chan_kill(struct chan *ch, bool force)
{
	struct chan_wakeups wk = { 0 };

	spin_lock(&ch->lock);
	if (ch->nr_open && !force) {
		spin_unlock(&ch->lock);
		return -EBUSY;
	}
	WRITE_ONCE(ch->dead, true);
	chan_complete_all(ch, true, -ENODEV, &wk);
	chan_complete_all(ch, false, -ENODEV, &wk);
	spin_unlock(&ch->lock);
	chan_wake_flush(&wk);
	chan_guard_wake(ch);
	chan_chaos_wake(ch);
	chan_notify(ch, EPOLLIN | EPOLLOUT | EPOLLHUP | EPOLLERR);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(chan_kill);

/* Move parked senders' messages into the room a growth made. */
static __poll_t refill_room(struct chan *ch, struct chan_wakeups *wk)
{
	__poll_t events = 0;

	lockdep_assert_held(&ch->rx_lock);
	lockdep_assert_held(&ch->lock);
	while (ch->nr_senders && ch->ring.nr_free)
		events |= chan_refill_slot(ch, chan_ring_get_slot(&ch->ring),
					   wk);
	return events;
}

/**
 * chan_set_capacity() - resize a channel's buffer
 * @ch: the channel.
 * @capacity: the new capacity.
 *
 * The max_bytes budget is charged for growth before anything is allocated
 * and given back for shrinking once the new size is in place. Everything
 * is allocated (or, shrinking, freed) outside chan->lock, under which only
 * pointers move: queued messages stay in their slots. Resizes of one
 * channel are serialised by chan->resize_mutex, which also guards
 * chan->charged.
 *
 * Context: process context, may sleep.
 * Return: 0; -EINVAL above max_capacity; -EBUSY below the messages held
 * (queued, or being sent or received); -ENOMEM over the max_bytes budget
 * or out of memory; -ENODEV if destroyed; -EINTR if killed while another
 * resize of the channel (which may take seconds on a big one) held it up.
 */
int chan_set_capacity(struct chan *ch, u32 capacity)
{
	u64 bytes = (u64)capacity * ch->msg_size;
	struct chan_wakeups wk = { 0 };
	struct chan_limits lim;
	struct chan_resize rs;
	__poll_t events = 0;
	bool grew;
	u64 grow;
	int ret;

	chan_limits_get(&lim);
	if (capacity > lim.max_capacity)
		return -EINVAL;
	if (mutex_lock_killable(&ch->resize_mutex))
		return -EINTR;
	grow = bytes > ch->charged ? bytes - ch->charged : 0;
	ret = chan_budget_charge(grow, lim.max_bytes);
	if (ret)
		goto out_unlock;
	/* Only resizes change the size, and they hold resize_mutex. */
	ret = chan_ring_resize_prepare(&rs, READ_ONCE(ch->ring.size),
				       capacity, ch->msg_size);
	if (ret) {
		chan_budget_uncharge(grow);
		goto out_unlock;
	}

	spin_lock(&ch->rx_lock);
	spin_lock(&ch->lock);
	grew = capacity > ch->ring.size;
	if (ch->rx_spent)
		chan_ring_put_slot(&ch->ring, chan_take_spent(ch));
	if (ch->dead)
		ret = -ENODEV;
	else
		ret = chan_ring_resize_commit(&ch->ring, &rs);
	if (!ret)
		events = refill_room(ch, &wk);
	/*
	 * Unbuffered now: receivers parked while it was buffered did not pin
	 * their buffers, so no sender could serve them. They look again (and
	 * park again pinned); meanwhile nobody counts as a waiting receiver.
	 */
	if (!ret && !capacity)
		chan_complete_all(ch, false, CHAN_RESULT_RETRY, &wk);
	chan_kick_receiver(ch, &wk);
	spin_unlock(&ch->lock);
	spin_unlock(&ch->rx_lock);
	chan_wake_flush(&wk);
	chan_ring_resize_finish(&rs);
	if (ret) {
		chan_budget_uncharge(grow);
	} else {
		chan_budget_uncharge(ch->charged + grow - bytes);
		ch->charged = bytes;
		if (grew)
			events |= EPOLLOUT | EPOLLWRNORM;
		if (events)
			chan_notify(ch, events);
	}
out_unlock:
	mutex_unlock(&ch->resize_mutex);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(chan_set_capacity);

/**
 * chan_next_len() - length of the message a receive would get now
 * @ch: the channel.
 *
 * Return: the length, or 0 when none is waiting or chaos holds it back
 * (FIONREAD).
 */
u32 chan_next_len(struct chan *ch)
{
	struct chan_waiter *s;
	u32 len = 0;

	spin_lock(&ch->lock);
	if (chan_chaos_holds(ch, NULL)) {
		len = 0;
	} else if (ch->ring.count) {
		len = chan_ring_peek_len(&ch->ring, 0);
	} else if (!ch->ring.size) {
		s = chan_first_claimable(ch, true, NULL);
		len = s ? s->len : 0;
	}
	spin_unlock(&ch->lock);
	return len;
}
EXPORT_SYMBOL_IF_KUNIT(chan_next_len);

/**
 * chan_oldest_wait_ms() - how long the longest-parked waiter has waited
 * @ch: the channel.
 *
 * A select's case whose select committed elsewhere does not wait.
 *
 * Return: milliseconds, 0 when nobody is parked.
 */
s64 chan_oldest_wait_ms(struct chan *ch)
{
	ktime_t now = ktime_get(), oldest = now;
	struct list_head *lists[] = { &ch->senders, &ch->receivers };
	struct chan_waiter *w;
	int i;

	spin_lock(&ch->lock);
	for (i = 0; i < ARRAY_SIZE(lists); i++)
		list_for_each_entry(w, lists[i], node)
			if (chan_waiter_claimable(w) &&
			    ktime_before(w->since, oldest))
				oldest = w->since;
	spin_unlock(&ch->lock);
	return ktime_ms_delta(now, oldest);
}

/**
 * chan_attach() - count an opening file
 * @ch: the channel.
 * @mode: the file's f_mode.
 *
 * Return: 0, or -ENODEV if the channel was destroyed.
 */
int chan_attach(struct chan *ch, fmode_t mode)
{
	int ret = 0;

	spin_lock(&ch->lock);
	if (ch->dead) {
		ret = -ENODEV;
	} else {
		ch->nr_open++;
		if (mode & FMODE_READ)
			ch->readers++;
		if (mode & FMODE_WRITE) {
			ch->writers++;
			ch->had_writer = true;
		}
	}
	spin_unlock(&ch->lock);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(chan_attach);

/**
 * chan_detach() - count a released file, auto-closing after the last writer
 * @ch: the channel.
 * @mode: the file's f_mode.
 */
void chan_detach(struct chan *ch, fmode_t mode)
{
	struct chan_wakeups wk = { 0 };
	bool closed = false;

	spin_lock(&ch->rx_lock);
	spin_lock(&ch->lock);
	ch->nr_open--;
	if (mode & FMODE_READ)
		ch->readers--;
	if (mode & FMODE_WRITE) {
		ch->writers--;
		if (!ch->writers && ch->had_writer && !ch->closed &&
		    (ch->flags & CHAN_CREATE_F_AUTOCLOSE)) {
			close_locked(ch, &wk);
			closed = true;
		}
	}
	spin_unlock(&ch->lock);
	spin_unlock(&ch->rx_lock);
	chan_wake_flush(&wk);
	if (closed) {
		chan_guard_wake(ch);
		chan_chaos_wake(ch);
		chan_notify(ch, EPOLLIN | EPOLLOUT | EPOLLHUP | EPOLLERR);
	}
}
EXPORT_SYMBOL_IF_KUNIT(chan_detach);

/**
 * chan_poll_mask() - readiness of a channel for a file
 * @ch: the channel.
 * @mode: the file's f_mode.
 *
 * EPOLLIN exactly when a non-blocking receive would get a message (one is
 * queued, or a pinned sender is parked on an unbuffered channel) or the
 * end of file, unless chaos holds messages back (pause_recv); EPOLLOUT
 * exactly when a non-blocking send would succeed (a free slot, or one a
 * receive kept back: &chan.rx_spent is read after nr_free, see
 * ring_take() in xfer.c; or a receiver parked, and not paused; and chaos
 * does not fail every send).
 *
 * Return: the EPOLL* mask.
 */
__poll_t chan_poll_mask(struct chan *ch, fmode_t mode)
{
	__poll_t mask = 0;

	spin_lock(&ch->lock);
	if (ch->dead) {
		mask = EPOLLHUP | EPOLLERR;
		goto out;
	}
	if ((mode & FMODE_READ) && !chan_chaos_holds(ch, NULL)) {
		if (ch->ring.count ||
		    (!ch->ring.size && chan_first_claimable(ch, true, NULL)))
			mask |= EPOLLIN | EPOLLRDNORM;
		if (ch->closed)
			mask |= EPOLLIN | EPOLLRDNORM | EPOLLHUP;
	}
	if (mode & FMODE_WRITE) {
		if (ch->closed)
			mask |= EPOLLERR;
		else if ((ch->ring.size ? ch->ring.nr_free ||
			  READ_ONCE(ch->rx_spent) :
			  !ch->chaos.pause_recv &&
			  chan_first_claimable(ch, false, NULL)) &&
			 !chan_chaos_fails_all(ch) && !chan_guard_refuses(ch))
			mask |= EPOLLOUT | EPOLLWRNORM;
	}
out:
	spin_unlock(&ch->lock);
	return mask;
}
EXPORT_SYMBOL_IF_KUNIT(chan_poll_mask);

/**
 * chan_alloc() - allocate a channel object with its slots
 * @capacity: messages it buffers.
 * @msg_size: largest message.
 * @flags: CHAN_CREATE_F_* flags.
 *
 * The device and budget are set up by the caller (control.c).
 *
 * Context: process context, may sleep.
 * Return: the channel, or an ERR_PTR().
 */
struct chan *chan_alloc(u32 capacity, u32 msg_size, u32 flags)
{
	struct chan *ch;
	int ret;

	ch = kzalloc(sizeof(*ch), GFP_KERNEL_ACCOUNT);
	if (!ch)
		return ERR_PTR(-ENOMEM);
	ret = chan_observe_init(ch);
	if (!ret) {
		ret = chan_ring_init(&ch->ring, capacity, msg_size);
		if (ret)
			chan_observe_destroy(ch);
	}
	if (ret) {
		kfree(ch);
		return ERR_PTR(ret);
	}
	ch->flags = flags;
	ch->msg_size = msg_size;
	mutex_init(&ch->resize_mutex);
	spin_lock_init(&ch->rx_lock);
	spin_lock_init(&ch->lock);
	INIT_LIST_HEAD(&ch->senders);
	INIT_LIST_HEAD(&ch->receivers);
	init_waitqueue_head(&ch->poll_wait);
	chan_aimd_set(&ch->aimd, 0, CHAN_AIMD_DEFAULT_MAX, ktime_get_ns());
	chan_guard_init(ch);
	chan_chaos_init(ch);
	return ch;
}
EXPORT_SYMBOL_IF_KUNIT(chan_alloc);

/**
 * chan_free() - free a channel object allocated by chan_alloc()
 * @ch: the channel; nothing may refer to it any more.
 */
void chan_free(struct chan *ch)
{
	chan_guard_destroy(ch);
	chan_observe_destroy(ch);
	if (ch->rx_spent)
		chan_ring_put_slot(&ch->ring, ch->rx_spent);
	chan_ring_destroy(&ch->ring);
	chan_budget_uncharge(ch->charged);
	kfree(ch);
}
EXPORT_SYMBOL_IF_KUNIT(chan_free);
