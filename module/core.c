// SPDX-License-Identifier: GPL-2.0
/*
 * The channel object and Go's channel semantics: send, receive, close,
 * destroy, capacity changes and readiness. Callers (fops.c) copy messages
 * between user space and kernel buffers; everything here works on kernel
 * memory under one spinlock.
 *
 * Locking:
 *
 * chan->lock (a spinlock, never taken from interrupts) protects the ring,
 * the wait lists, the counters of open files, closed/dead, the statistics
 * and every field of a parked struct chan_waiter except ->state on the
 * lockless fast path below. No user copy and no allocation happens under it:
 * senders copy the message into a kernel buffer first, receivers copy it out
 * after unlocking. Copies under the lock are memcpy()s of at most msg_size
 * bytes (into a ring slot, or between two waiters' kernel buffers), except
 * that a resize moves the queued messages into the new ring under it.
 * Lock order: chan_ctl_mutex (control.c) -> chan->lock, and
 * chan->resize_mutex -> chan->lock. poll_wait's own lock nests inside
 * nothing: pollers are woken after chan->lock is dropped. Tasks are woken
 * after unlocking too, up to CHAN_WAKE_BATCH per critical section; past
 * that (a close waking many) under the lock, which is safe, only slower.
 *
 * Waiters, after ipc/mqueue.c: each operation that has to wait parks a
 * struct chan_waiter (on its stack) at the tail of chan->senders or
 * chan->receivers, so waiters are served FIFO. The peer that completes it
 * does, under the lock: list_del(), fill in ->result (and the message),
 * get_task_struct(), smp_store_release(&w->state, CHAN_WAIT_DONE), and
 * wakes the task after unlocking (struct chan_wakeups). After the release
 * store the peer never touches the waiter again: the waiter may already
 * have returned. The waiter, once woken, reads ->state with READ_ONCE()
 * and smp_acquire__after_ctrl_dep() (pairs with that release): if it is
 * DONE the operation completed and its result stands, even if a signal or
 * the timeout arrived at the same moment. Otherwise it takes the lock and
 * checks again before it looks at signals and the timeout, so a hand-off
 * and a timeout can never both happen.
 *
 * Buffered channel (capacity C > 0): a send queues into the ring while
 * ring.count + reading < C, handing the message straight to the oldest
 * parked receiver when nothing is queued or in flight. A receive pops the
 * oldest message into its own buffer and counts it in ->reading until
 * chan_recv_finish(): the message still occupies capacity while it is
 * copied out, so if the copy faults it goes back to the head of the ring
 * (3.4: it stays first) and there is always room for it. Copy-outs are one
 * at a time (->reading is 0 or 1): were a second receiver to take the next
 * message meanwhile, a fault putting the first one back would reorder that
 * sender's messages. Receivers that find messages queued behind a copy-out
 * park, a non-blocking one in a killable sleep (like pipe readers waiting
 * for pipe->mutex), and chan_recv_finish() serves the oldest one, failing
 * non-blocking ones with EAGAIN once nothing is queued. When ->reading
 * drops, chan_pump() also lets the oldest parked senders' messages join
 * the tail (FIFO, as in Go).
 *
 * Unbuffered channel (C = 0): a rendezvous. A parked sender's message sits
 * in its own kernel buffer. The receiver that claims it (or the sender that
 * claims a parked receiver) copies the message across under the lock and
 * marks the sender CHAN_WAIT_BUSY: the sender no longer waits for a peer
 * but for the verdict of the receiver's copy to user space, in a killable
 * sleep that ignores its timeout. chan_recv_finish() then completes the
 * sender with 0, or, if the copy faulted, puts a blocking sender back at
 * the head of chan->senders (its message stays first, and it meets the
 * next fitting receiver at once) and fails a non-blocking one with EAGAIN:
 * the message is delivered exactly once or not at all. The two
 * waiters point at each other through ->peer; a sender killed while BUSY
 * clears the receiver's ->peer under the lock and leaves. The receiver
 * cannot have finished then, since finishing would have completed the
 * sender, so its waiter is still alive.
 *
 * Close wakes every parked sender with EPIPE and, once nothing is queued
 * or being copied out, every parked receiver with 0 (end of file). Destroy (chan_kill)
 * wakes everybody with ENODEV; a BUSY sender still gets its verdict from
 * the receiver, which holds an fd and so keeps the channel alive.
 *
 * Readiness: poll_wait is woken after every send, receive, park, close,
 * destroy and resize if somebody polls (wq_has_sleeper() orders the test
 * against add_wait_queue() in the poller), so EPOLLET sees an edge for
 * every message, as with pipes.
 *
 * What comes next fits on this design without rewriting it. Select (3.8):
 * a select parks one chan_waiter per case, all pointing at one shared claim
 * word; a peer commits a case with a single cmpxchg on that word under its
 * channel's lock, and the losers are unlinked by the selecting task under
 * each channel's lock in turn, so no lock is ever held across channels.
 * Batches (3.9) are loops over chan_send()/chan_recv_start() with a try
 * timeout after the first message. The breaker and the rate limiter (4, 5)
 * are checked in chan_send() after closed and before room, under the lock,
 * and record outcomes where chan_send() returns.
 */

#include <linux/hrtimer.h>
#include <linux/minmax.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <kunit/visibility.h>

#include "chan.h"

/* Tasks to wake once chan->lock is dropped (wake_q is not exported). */
#define CHAN_WAKE_BATCH 8

struct chan_wakeups {
	unsigned int n;
	struct task_struct *tasks[CHAN_WAKE_BATCH];
};

/* Takes over the task reference the caller got. */
static void wake_add(struct chan_wakeups *wk, struct task_struct *task)
{
	if (wk->n < CHAN_WAKE_BATCH) {
		wk->tasks[wk->n++] = task;
		return;
	}
	wake_up_process(task);
	put_task_struct(task);
}

static void wake_flush(struct chan_wakeups *wk)
{
	unsigned int i;

	for (i = 0; i < wk->n; i++) {
		wake_up_process(wk->tasks[i]);
		put_task_struct(wk->tasks[i]);
	}
	wk->n = 0;
}

static void poll_notify(struct chan *ch, __poll_t mask)
{
	if (wq_has_sleeper(&ch->poll_wait))
		wake_up_interruptible_poll(&ch->poll_wait, mask);
}

static void account_wait(struct chan *ch, struct chan_waiter *w, bool send)
{
	u64 ns = ktime_to_ns(ktime_sub(ktime_get(), w->since));

	if (send) {
		ch->stats.send_wait_ns += ns;
		ch->stats.send_wait_max_ns = max(ch->stats.send_wait_max_ns, ns);
	} else {
		ch->stats.recv_wait_ns += ns;
		ch->stats.recv_wait_max_ns = max(ch->stats.recv_wait_max_ns, ns);
	}
}

static void park(struct chan *ch, struct chan_waiter *w, bool send)
{
	w->task = current;
	WRITE_ONCE(w->state, CHAN_WAIT_PARKED);
	w->since = ktime_get();
	if (send) {
		list_add_tail(&w->node, &ch->senders);
		ch->nr_senders++;
	} else {
		list_add_tail(&w->node, &ch->receivers);
		ch->nr_receivers++;
	}
}

static void unpark(struct chan *ch, struct chan_waiter *w, bool send)
{
	list_del(&w->node);
	if (send)
		ch->nr_senders--;
	else
		ch->nr_receivers--;
	account_wait(ch, w, send);
}

/*
 * Publish the result of a waiter that is no longer on a list (BUSY) and
 * queue its wake-up. The waiter may be gone as soon as the store is done.
 */
static void finish_waiter(struct chan_waiter *w, int result,
			  struct chan_wakeups *wk)
{
	struct task_struct *task = w->task;

	w->result = result;
	get_task_struct(task);
	/* Pairs with smp_acquire__after_ctrl_dep() in wait_done(). */
	smp_store_release(&w->state, CHAN_WAIT_DONE);
	wake_add(wk, task);
}

static void finish_parked(struct chan *ch, struct chan_waiter *w, bool send,
			  int result, struct chan_wakeups *wk)
{
	unpark(ch, w, send);
	finish_waiter(w, result, wk);
}

static struct chan_waiter *first_receiver(struct chan *ch)
{
	return list_first_entry_or_null(&ch->receivers, struct chan_waiter,
					node);
}

static struct chan_waiter *first_sender(struct chan *ch)
{
	return list_first_entry_or_null(&ch->senders, struct chan_waiter, node);
}

/*
 * The oldest parked receiver with room for a message of @len bytes. Older
 * receivers without room are told EMSGSIZE: the message they would get
 * next does not fit them (3.2), and it stays where it is.
 */
static struct chan_waiter *fitting_receiver(struct chan *ch, u32 len,
					    struct chan_wakeups *wk)
{
	struct chan_waiter *r;

	while ((r = first_receiver(ch))) {
		if (len <= r->cap)
			return r;
		finish_parked(ch, r, false, -EMSGSIZE, wk);
	}
	return NULL;
}

/* The oldest sender parked on an unbuffered channel, if any. */
static struct chan_waiter *rendezvous_sender(struct chan *ch)
{
	return ch->ring.capacity ? NULL : first_sender(ch);
}

static bool has_room(const struct chan *ch)
{
	return ch->ring.count + ch->reading < ch->ring.capacity;
}

static void count_sent(struct chan *ch, u32 len)
{
	ch->stats.sent++;
	ch->stats.bytes_sent += len;
}

/*
 * Buffered channel with room: hand the message to the oldest parked
 * receiver if nothing is queued or being copied out ahead of it, else
 * queue it.
 */
static void deliver(struct chan *ch, const void *msg, u32 len,
		    struct chan_wakeups *wk)
{
	struct chan_waiter *r = NULL;

	if (!ch->ring.count && !ch->reading)
		r = fitting_receiver(ch, len, wk);
	if (r) {
		memcpy(r->buf, msg, len);
		r->len = len;
		r->from_ring = true;
		ch->reading++;
		finish_parked(ch, r, false, len, wk);
	} else {
		chan_ring_push_tail(&ch->ring, msg, len);
	}
	count_sent(ch, len);
}

/*
 * Move what can move on a buffered channel: the oldest queued message to
 * the oldest parked receiver (one copy-out at a time, see the Locking
 * comment), then parked senders' messages into the room that is free.
 */
static void chan_pump(struct chan *ch, struct chan_wakeups *wk)
{
	struct chan_waiter *r, *s;

	if (!ch->ring.capacity)
		return;
	r = NULL;
	if (ch->ring.count && !ch->reading)
		r = fitting_receiver(ch, chan_ring_peek_len(&ch->ring), wk);
	if (r) {
		r->len = chan_ring_pop(&ch->ring, r->buf);
		r->from_ring = true;
		ch->reading++;
		finish_parked(ch, r, false, r->len, wk);
	}
	while (has_room(ch) && (s = first_sender(ch))) {
		deliver(ch, s->buf, s->len, wk);
		finish_parked(ch, s, true, 0, wk);
	}
}

static bool wait_done(struct chan_waiter *w)
{
	if (READ_ONCE(w->state) != CHAN_WAIT_DONE)
		return false;
	/* Pairs with smp_store_release() in finish_waiter(). */
	smp_acquire__after_ctrl_dep();
	return true;
}

/*
 * Sleep until @w is completed, the timeout expires or a signal arrives.
 * Called with chan->lock held and @w parked or BUSY; returns with the lock
 * dropped. A completion always wins: the state is looked at before signals
 * and the timeout, locklessly after waking and again under the lock.
 */
static int wait_parked(struct chan *ch, struct chan_waiter *w, bool send,
		       const struct chan_timeout *to)
	__releases(&ch->lock)
{
	ktime_t expires = to->expires;
	bool expired = false;
	int ret;

	for (;;) {
		if (w->state == CHAN_WAIT_DONE) {
			ret = w->result;
			break;
		}
		if (w->state == CHAN_WAIT_BUSY || w->try) {
			if (fatal_signal_pending(current)) {
				/* Killed while a copy-out is in flight. */
				if (w->state == CHAN_WAIT_BUSY)
					w->peer->peer = NULL;
				else
					unpark(ch, w, send);
				ch->stats.interrupted++;
				ret = -EINTR;
				break;
			}
			set_current_state(TASK_KILLABLE | TASK_FREEZABLE);
			spin_unlock(&ch->lock);
			schedule();
		} else {
			if (signal_pending(current)) {
				unpark(ch, w, send);
				ch->stats.interrupted++;
				ret = to->timed ? -EINTR : -ERESTARTSYS;
				break;
			}
			if (expired) {
				unpark(ch, w, send);
				if (send)
					ch->stats.send_timeouts++;
				else
					ch->stats.recv_timeouts++;
				ret = -ETIMEDOUT;
				break;
			}
			set_current_state(TASK_INTERRUPTIBLE);
			spin_unlock(&ch->lock);
			if (!schedule_hrtimeout_range_clock(to->timed ? &expires : NULL,
							    0, HRTIMER_MODE_ABS,
							    CLOCK_MONOTONIC))
				expired = true;
		}
		__set_current_state(TASK_RUNNING);
		if (wait_done(w))
			return w->result;
		spin_lock(&ch->lock);
	}
	spin_unlock(&ch->lock);
	return ret;
}

/**
 * chan_timeout_init() - decode a timeout of the ABI
 * @to: the timeout to fill in.
 * @timeout_ns: CHAN_TIMEOUT_INFINITE, 0 (try once) or a relative timeout.
 *
 * Return: 0, or -EINVAL for other negative values.
 */
int chan_timeout_init(struct chan_timeout *to, s64 timeout_ns)
{
	to->try = false;
	to->timed = false;
	to->expires = 0;
	if (timeout_ns == CHAN_TIMEOUT_INFINITE)
		return 0;
	if (timeout_ns < 0)
		return -EINVAL;
	if (!timeout_ns) {
		to->try = true;
		return 0;
	}
	to->timed = true;
	to->expires = ktime_add_safe(ktime_get(), ns_to_ktime(timeout_ns));
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(chan_timeout_init);

/*
 * Unbuffered: hand sender @s's message to the oldest parked receiver that
 * can take it; @s becomes BUSY until that receiver's copy-out is judged.
 */
static bool rendezvous(struct chan *ch, struct chan_waiter *s,
		       struct chan_wakeups *wk)
{
	struct chan_waiter *r = fitting_receiver(ch, s->len, wk);

	if (!r)
		return false;
	memcpy(r->buf, s->buf, s->len);
	r->len = s->len;
	r->from_ring = false;
	r->peer = s;
	s->peer = r;
	WRITE_ONCE(s->state, CHAN_WAIT_BUSY);
	finish_parked(ch, r, false, s->len, wk);
	return true;
}

/* An unbuffered send: rendezvous with a receiver, or park. */
static int send_unbuffered(struct chan *ch, struct chan_waiter *w,
			   const struct chan_timeout *to,
			   struct chan_wakeups *wk)
{
	w->task = current;
	if (rendezvous(ch, w, wk))
		return 1;
	ch->stats.full++;
	if (to->try)
		return -EAGAIN;
	park(ch, w, true);
	return 1;
}

/*
 * The receiver of BUSY sender @s could not take the message. A blocking
 * sender goes back first in line (its message stays first, 3.4) and may
 * meet the next receiver at once; a non-blocking one fails with EAGAIN.
 */
static void requeue_sender(struct chan *ch, struct chan_waiter *s,
			   struct chan_wakeups *wk)
{
	if (s->try) {
		finish_waiter(s, -EAGAIN, wk);
		return;
	}
	if (ch->dead || ch->closed) {
		finish_waiter(s, ch->dead ? -ENODEV : -EPIPE, wk);
		return;
	}
	s->since = ktime_get();
	if (!ch->ring.capacity && rendezvous(ch, s, wk))
		return;
	WRITE_ONCE(s->state, CHAN_WAIT_PARKED);
	list_add(&s->node, &ch->senders);
	ch->nr_senders++;
	/* Let it look at its timeout and signals again. */
	get_task_struct(s->task);
	wake_add(wk, s->task);
}

/**
 * chan_send() - send one message
 * @ch: the channel.
 * @msg: kernel copy of the message; must stay valid until return.
 * @len: its length, 1..msg_size (checked by the caller).
 * @to: how long to wait for room or a receiver.
 *
 * Context: process context, may sleep; takes and drops chan->lock.
 * Return: 0 when the message was queued or handed over; -EAGAIN, -ETIMEDOUT,
 * -EINTR/-ERESTARTSYS, -EPIPE (closed) or -ENODEV (destroyed).
 */
int chan_send(struct chan *ch, const void *msg, u32 len,
	      const struct chan_timeout *to)
{
	struct chan_wakeups wk = { 0 };
	struct chan_waiter w = {
		.buf = (void *)msg,
		.len = len,
		.try = to->try,
	};
	bool parked;
	int ret;

	spin_lock(&ch->lock);
	if (ch->dead) {
		ret = -ENODEV;
	} else if (ch->closed) {
		ret = -EPIPE;
	} else if (!ch->ring.capacity) {
		ret = send_unbuffered(ch, &w, to, &wk);
	} else if (has_room(ch)) {
		deliver(ch, msg, len, &wk);
		ret = 0;
	} else if (to->try) {
		ch->stats.full++;
		ret = -EAGAIN;
	} else {
		ch->stats.full++;
		park(ch, &w, true);
		ret = 1;
	}
	if (ret <= 0) {
		spin_unlock(&ch->lock);
		wake_flush(&wk);
		if (!ret)
			poll_notify(ch, EPOLLIN | EPOLLRDNORM);
		return ret;
	}

	/* Parked, or handed to a receiver (BUSY): wait for the outcome. */
	parked = w.state == CHAN_WAIT_PARKED;
	spin_unlock(&ch->lock);
	wake_flush(&wk);
	if (parked)
		poll_notify(ch, EPOLLIN | EPOLLRDNORM);
	spin_lock(&ch->lock);
	return wait_parked(ch, &w, true, to);
}
EXPORT_SYMBOL_IF_KUNIT(chan_send);

/**
 * chan_recv_start() - receive one message into a kernel buffer
 * @ch: the channel.
 * @w: the receive, with ->buf and ->cap set; on success ->len is the
 *	length of the message in ->buf.
 * @to: how long to wait for a message.
 *
 * A positive return must be followed by chan_recv_finish() once the caller
 * knows whether the message reached user space.
 *
 * Context: process context, may sleep; takes and drops chan->lock.
 * Return: the message length; 0 at the end of a closed channel; -EMSGSIZE
 * (the next message does not fit, it stays queued), -EAGAIN, -ETIMEDOUT,
 * -EINTR/-ERESTARTSYS or -ENODEV.
 */
int chan_recv_start(struct chan *ch, struct chan_waiter *w,
		    const struct chan_timeout *to)
{
	struct chan_waiter *s;
	int ret;

	w->peer = NULL;
	w->from_ring = false;
	w->try = false;
	spin_lock(&ch->lock);
	s = rendezvous_sender(ch);
	if (ch->dead) {
		ret = -ENODEV;
	} else if (ch->ring.count && !ch->reading) {
		if (chan_ring_peek_len(&ch->ring) > w->cap) {
			ret = -EMSGSIZE;
		} else {
			w->len = chan_ring_pop(&ch->ring, w->buf);
			w->from_ring = true;
			ch->reading++;
			ret = w->len;
		}
	} else if (s) {
		if (s->len > w->cap) {
			ret = -EMSGSIZE;
		} else {
			memcpy(w->buf, s->buf, s->len);
			w->len = s->len;
			unpark(ch, s, true);
			WRITE_ONCE(s->state, CHAN_WAIT_BUSY);
			s->peer = w;
			w->peer = s;
			ret = w->len;
		}
	} else if (ch->closed && !ch->reading) {
		ret = 0;
	} else if (to->try && !ch->ring.count) {
		ch->stats.empty++;
		ret = -EAGAIN;
	} else {
		/*
		 * Nothing to take, or messages queued behind one being
		 * copied out: a try receive waits (killably) for that copy.
		 */
		if (!ch->ring.count)
			ch->stats.empty++;
		w->try = to->try;
		park(ch, w, false);
		spin_unlock(&ch->lock);
		poll_notify(ch, EPOLLOUT | EPOLLWRNORM);
		spin_lock(&ch->lock);
		return wait_parked(ch, w, false, to);
	}
	spin_unlock(&ch->lock);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(chan_recv_start);

/*
 * A closed channel is at its end once nothing is queued and no receive is
 * still copying a message out (a fault would put it back): then parked
 * receivers read end of file.
 */
static void eof_receivers(struct chan *ch, struct chan_wakeups *wk)
{
	struct chan_waiter *w;

	if (!ch->closed || ch->ring.count || ch->reading)
		return;
	while ((w = first_receiver(ch)))
		finish_parked(ch, w, false, 0, wk);
}

/* Non-blocking receives that waited for a copy-out find nothing left. */
static void fail_try_receivers(struct chan *ch, struct chan_wakeups *wk)
{
	struct chan_waiter *w, *tmp;

	list_for_each_entry_safe(w, tmp, &ch->receivers, node) {
		if (w->try) {
			ch->stats.empty++;
			finish_parked(ch, w, false, -EAGAIN, wk);
		}
	}
}

/**
 * chan_recv_finish() - commit or undo a receive
 * @ch: the channel.
 * @w: a receive for which chan_recv_start() returned a length.
 * @delivered: the message reached user space. If not, a buffered message
 *	goes back to the head of the ring and an unbuffered sender starts
 *	over, so nothing is lost.
 *
 * Context: process context; takes and drops chan->lock.
 */
void chan_recv_finish(struct chan *ch, struct chan_waiter *w, bool delivered)
{
	struct chan_wakeups wk = { 0 };

	spin_lock(&ch->lock);
	if (w->from_ring) {
		ch->reading--;
		if (!delivered && !ch->dead)
			chan_ring_push_head(&ch->ring, w->buf, w->len);
	} else if (w->peer) {
		struct chan_waiter *s = w->peer;

		s->peer = NULL;
		w->peer = NULL;
		if (delivered)
			finish_waiter(s, 0, &wk);
		else
			requeue_sender(ch, s, &wk);
	}
	if (delivered) {
		if (!w->from_ring)
			count_sent(ch, w->len);
		ch->stats.received++;
		ch->stats.bytes_received += w->len;
	}
	chan_pump(ch, &wk);
	eof_receivers(ch, &wk);
	if (!ch->ring.count)
		fail_try_receivers(ch, &wk);
	spin_unlock(&ch->lock);
	wake_flush(&wk);
	poll_notify(ch, EPOLLOUT | EPOLLWRNORM | EPOLLIN | EPOLLRDNORM);
}
EXPORT_SYMBOL_IF_KUNIT(chan_recv_finish);

static void close_locked(struct chan *ch, struct chan_wakeups *wk)
{
	struct chan_waiter *w;

	if (ch->closed)
		return;
	ch->closed = true;
	while ((w = first_sender(ch)))
		finish_parked(ch, w, true, -EPIPE, wk);
	chan_pump(ch, wk);
	eof_receivers(ch, wk);
}

/**
 * chan_close() - close a channel, as Go's close(ch)
 * @ch: the channel.
 *
 * Idempotent. Parked senders fail with EPIPE, receivers drain what is
 * queued and then read end of file.
 *
 * Context: process context; takes and drops chan->lock.
 */
void chan_close(struct chan *ch)
{
	struct chan_wakeups wk = { 0 };

	spin_lock(&ch->lock);
	close_locked(ch, &wk);
	spin_unlock(&ch->lock);
	wake_flush(&wk);
	poll_notify(ch, EPOLLIN | EPOLLOUT | EPOLLHUP | EPOLLERR);
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
	struct chan_waiter *w;

	spin_lock(&ch->lock);
	if (ch->nr_open && !force) {
		spin_unlock(&ch->lock);
		return -EBUSY;
	}
	WRITE_ONCE(ch->dead, true);
	while ((w = first_sender(ch)))
		finish_parked(ch, w, true, -ENODEV, &wk);
	while ((w = first_receiver(ch)))
		finish_parked(ch, w, false, -ENODEV, &wk);
	spin_unlock(&ch->lock);
	wake_flush(&wk);
	poll_notify(ch, EPOLLIN | EPOLLOUT | EPOLLHUP | EPOLLERR);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(chan_kill);

/**
 * chan_set_capacity() - resize a channel's buffer
 * @ch: the channel.
 * @capacity: the new capacity.
 *
 * The max_bytes budget is charged for growth before anything is allocated
 * and given back for shrinking once the new buffer is in place; resizes of
 * one channel are serialised by chan->resize_mutex, which also guards
 * chan->charged.
 *
 * Context: process context, may sleep.
 * Return: 0; -EINVAL above max_capacity; -EBUSY below the messages held;
 * -ENOMEM over the max_bytes budget or out of memory; -ENODEV if destroyed.
 */
int chan_set_capacity(struct chan *ch, u32 capacity)
{
	struct chan_wakeups wk = { 0 };
	struct chan_limits lim;
	struct chan_ring ring, old;
	u64 bytes = (u64)capacity * ch->msg_size;
	u64 grow;
	int ret;

	chan_limits_get(&lim);
	if (capacity > lim.max_capacity)
		return -EINVAL;
	mutex_lock(&ch->resize_mutex);
	grow = bytes > ch->charged ? bytes - ch->charged : 0;
	ret = chan_budget_charge(grow, lim.max_bytes);
	if (ret)
		goto out_unlock;
	ret = chan_ring_alloc(&ring, capacity, ch->msg_size);
	if (ret) {
		chan_budget_uncharge(grow);
		ret = -ENOMEM;
		goto out_unlock;
	}

	spin_lock(&ch->lock);
	if (ch->dead) {
		ret = -ENODEV;
	} else if (ch->ring.count + ch->reading > capacity) {
		ret = -EBUSY;
	} else {
		chan_ring_move(&ring, &ch->ring);
		old = ch->ring;
		ch->ring = ring;
		ring = old;
		chan_pump(ch, &wk);
	}
	spin_unlock(&ch->lock);
	wake_flush(&wk);
	/* On success @ring is the old buffer, else the unused new one. */
	chan_ring_free(&ring);
	if (ret) {
		chan_budget_uncharge(grow);
	} else {
		chan_budget_uncharge(ch->charged + grow - bytes);
		ch->charged = bytes;
		poll_notify(ch, EPOLLIN | EPOLLOUT | EPOLLRDNORM | EPOLLWRNORM);
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
 * Return: the length, or 0 when none is waiting (FIONREAD).
 */
u32 chan_next_len(struct chan *ch)
{
	struct chan_waiter *s;
	u32 len;

	spin_lock(&ch->lock);
	s = rendezvous_sender(ch);
	if (ch->ring.count)
		len = chan_ring_peek_len(&ch->ring);
	else
		len = s ? s->len : 0;
	spin_unlock(&ch->lock);
	return len;
}
EXPORT_SYMBOL_IF_KUNIT(chan_next_len);

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
	wake_flush(&wk);
	if (closed)
		poll_notify(ch, EPOLLIN | EPOLLOUT | EPOLLHUP | EPOLLERR);
}
EXPORT_SYMBOL_IF_KUNIT(chan_detach);

/**
 * chan_poll_mask() - readiness of a channel for a file
 * @ch: the channel.
 * @mode: the file's f_mode.
 *
 * Return: the EPOLL* mask of SPEC 3.7.
 */
__poll_t chan_poll_mask(struct chan *ch, fmode_t mode)
{
	__poll_t mask = 0;

	spin_lock(&ch->lock);
	if (ch->dead) {
		mask = EPOLLHUP | EPOLLERR;
		goto out;
	}
	if (mode & FMODE_READ) {
		if (ch->ring.count || (!ch->ring.capacity && ch->nr_senders))
			mask |= EPOLLIN | EPOLLRDNORM;
		if (ch->closed)
			mask |= EPOLLIN | EPOLLRDNORM | EPOLLHUP;
	}
	if (mode & FMODE_WRITE) {
		if (ch->closed)
			mask |= EPOLLERR;
		else if (ch->ring.capacity ? has_room(ch) : ch->nr_receivers)
			mask |= EPOLLOUT | EPOLLWRNORM;
	}
out:
	spin_unlock(&ch->lock);
	return mask;
}
EXPORT_SYMBOL_IF_KUNIT(chan_poll_mask);

/**
 * chan_alloc() - allocate a channel object with its buffer
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
	ret = chan_ring_alloc(&ch->ring, capacity, msg_size);
	if (ret) {
		kfree(ch);
		return ERR_PTR(ret == -EOVERFLOW ? -ENOMEM : ret);
	}
	ch->flags = flags;
	ch->msg_size = msg_size;
	mutex_init(&ch->resize_mutex);
	spin_lock_init(&ch->lock);
	INIT_LIST_HEAD(&ch->senders);
	INIT_LIST_HEAD(&ch->receivers);
	init_waitqueue_head(&ch->poll_wait);
	return ch;
}
EXPORT_SYMBOL_IF_KUNIT(chan_alloc);

/**
 * chan_free() - free a channel object allocated by chan_alloc()
 * @ch: the channel; nothing may refer to it any more.
 */
void chan_free(struct chan *ch)
{
	chan_ring_free(&ch->ring);
	chan_budget_uncharge(ch->charged);
	kfree(ch);
}
EXPORT_SYMBOL_IF_KUNIT(chan_free);
