// SPDX-License-Identifier: GPL-2.0
/*
 * Batches: CHAN_IOC_SEND_BATCH and CHAN_IOC_RECV_BATCH. The vector is
 * checked whole before anything moves; the first message may wait, the
 * rest move while they can without waiting, as many per lock hold as fit a
 * piece of the vector; a fault stops the batch, putting a message being
 * received back at the head. Built on the data path of xfer.c.
 */

#include <linux/minmax.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/uaccess.h>
#include <linux/uio.h>
#include <kunit/visibility.h>

#include "chan.h"

/* Vector entries of a batch read from user space at a time. */
#define CHAN_BATCH_CHUNK	32

/* Bytes a batch receive copies out per hold of rx_lock (at least one message). */
#define CHAN_GROUP_BYTES	(64U << 10)

/* Check one vector entry of a batch. */
static int check_iov(const struct chan_iov *v, bool send, u32 msg_size)
{
	if (v->__reserved || !v->len)
		return -EINVAL;
	if (send && v->len > msg_size)
		return -EMSGSIZE;
	return 0;
}

/*
 * Check a whole batch vector before anything moves. A receive vector is
 * also written (each length with its own value) so that the lengths can
 * be written back once messages have moved.
 */
static int check_vector(struct chan *ch, struct chan_iov __user *uvec,
			u32 count, bool send)
{
	struct chan_iov kv[CHAN_BATCH_CHUNK];
	u32 i, j, n;
	int ret;

	for (i = 0; i < count; i += n) {
		n = min_t(u32, count - i, CHAN_BATCH_CHUNK);
		if (copy_from_user(kv, uvec + i, n * sizeof(*kv)))
			return -EFAULT;
		for (j = 0; j < n; j++) {
			ret = check_iov(&kv[j], send, ch->msg_size);
			if (ret)
				return ret;
			if (!send && put_user(kv[j].len, &uvec[i + j].len))
				return -EFAULT;
		}
	}
	return 0;
}

/*
 * Read the next piece of a batch vector again (it is user memory: it may
 * have changed since it was checked) and count how many of its entries are
 * still valid.
 */
static u32 read_chunk(struct chan *ch, struct chan_iov *kv,
		      const struct chan_iov __user *uvec, u32 n, bool send)
{
	u32 j;

	if (copy_from_user(kv, uvec, n * sizeof(*kv)))
		return 0;
	for (j = 0; j < n; j++)
		if (check_iov(&kv[j], send, ch->msg_size))
			break;
	return j;
}

/*
 * Buffered: send up to @n messages without waiting: take as many free
 * slots as there are in one lock hold, fill them with page faults disabled
 * (holding slots, a batch must not stall in a fault), queue the filled
 * ones in one more hold. Not while senders are parked: they go first.
 *
 * Return: messages sent; fewer than @n when the channel is full, closed
 * or destroyed, or a buffer faulted (*@fault: the caller faults it in and
 * goes on).
 */
static noinline_for_stack u32 send_group(struct chan *ch,
					 const struct chan_iov *kv, u32 n,
					 bool *fault)
{
	struct chan_wakeups wk = { 0 };
	void *slots[CHAN_BATCH_CHUNK];
	__poll_t events = 0;
	u32 k = 0, ok, i;

	spin_lock(&ch->lock);
	while (!ch->dead && !ch->closed && !ch->nr_senders && k < n &&
	       (slots[k] = chan_ring_get_slot(&ch->ring)))
		k++;
	spin_unlock(&ch->lock);
	/* The slot a receive kept back is room too; it is under rx_lock. */
	if (k < n && READ_ONCE(ch->rx_spent)) {
		spin_lock(&ch->rx_lock);
		spin_lock(&ch->lock);
		slots[k] = NULL;
		if (!ch->dead && !ch->closed)
			slots[k] = chan_take_spent(ch);
		if (slots[k])
			k++;
		spin_unlock(&ch->lock);
		spin_unlock(&ch->rx_lock);
	}
	pagefault_disable();
	for (ok = 0; ok < k; ok++)
		if (copy_from_user(slots[ok], u64_to_user_ptr(kv[ok].buf),
				   kv[ok].len))
			break;
	pagefault_enable();
	*fault = ok < k;
	spin_lock(&ch->lock);
	if (ch->dead || ch->closed)
		ok = 0;
	for (i = 0; i < ok; i++)
		if (chan_publish(ch, slots[i], kv[i].len))
			chan_kick_receiver(ch, &wk);
	spin_unlock(&ch->lock);
	if (ok)
		events = EPOLLIN | EPOLLRDNORM;
	/* Slots not filled go back, to a parked sender if one waits. */
	for (i = ok; i < k; i++)
		events |= chan_put_slot(ch, slots[i], &wk);
	chan_wake_flush(&wk);
	if (events)
		chan_notify(ch, events);
	return ok;
}

/*
 * Unbuffered: hand @kv's message to a parked receiver without waiting.
 * Return: true if it was handed over.
 */
static bool send_one_now(struct chan *ch, const struct chan_iov *kv)
{
	struct chan_wakeups wk = { 0 };
	struct iov_iter it;
	int faults = 0, ret;

	iov_iter_ubuf(&it, ITER_SOURCE, u64_to_user_ptr(kv->buf), kv->len);
	do {
		spin_lock(&ch->lock);
		ret = CHAN_NONE;
		if (!ch->dead && !ch->closed && !ch->ring.size)
			ret = chan_give_to_receiver(ch, &it, kv->len, &wk);
		spin_unlock(&ch->lock);
		chan_wake_flush(&wk);
	} while (ret == -EFAULT && !chan_fault_in(&it, kv->len, false, &faults));
	return !ret;
}

/* The first message of a batch: a plain send or receive, which may wait. */
static noinline_for_stack ssize_t move_first(struct chan *ch,
					     const struct chan_iov *kv,
					     bool send,
					     const struct chan_timeout *to,
					     struct chan_file_bufs *bufs)
{
	struct iov_iter it;

	iov_iter_ubuf(&it, send ? ITER_SOURCE : ITER_DEST,
		      u64_to_user_ptr(kv->buf), kv->len);
	return send ? chan_send(ch, &it, to, bufs) :
		chan_recv(ch, &it, to, bufs);
}

/* After a batch send faulted on @kv's buffer: fault it in (xfer.c). */
static noinline_for_stack int fault_in_src(const struct chan_iov *kv,
					   int *faults)
{
	struct iov_iter it;

	iov_iter_ubuf(&it, ITER_SOURCE, u64_to_user_ptr(kv->buf), kv->len);
	return chan_fault_in(&it, kv->len, false, faults);
}

/* After a batch receive faulted on @kv's buffer: fault it in (xfer.c). */
static noinline_for_stack int fault_in_dest(struct chan *ch,
					    const struct chan_iov *kv,
					    int *faults)
{
	u32 cap = min(kv->len, ch->msg_size);
	struct iov_iter it;

	iov_iter_ubuf(&it, ITER_DEST, u64_to_user_ptr(kv->buf), cap);
	return chan_fault_in(&it, cap, true, faults);
}

/**
 * chan_send_batch() - send the messages of a vector
 * @ch: the channel.
 * @uvec: the vector in user memory.
 * @count: its length, 1..CHAN_BATCH_MAX (checked by the caller).
 * @to: how long to wait for room for the first message (or its token).
 * @bufs: what the open file lends, or NULL.
 * @gc: the batch's passage through the guard, @gc->n set to @count;
 *	the caller ends it with chan_guard_end() whatever this returns.
 *
 * In the order of every send: the whole vector is checked, then a closed
 * channel gives EPIPE, then the guard admits the batch (the breaker as
 * one call; the rate limiter up to one message per token). Only the
 * first message may wait; the rest move while they can without waiting,
 * a group of them per lock hold on a buffered channel.
 *
 * Context: process context, may sleep.
 * Return: the number of messages sent (>= 1), or the error of the first.
 */
int chan_send_batch(struct chan *ch, const struct chan_iov __user *uvec,
		    u32 count, const struct chan_timeout *to,
		    struct chan_file_bufs *bufs, struct chan_guard_call *gc)
{
	struct chan_iov kv[CHAN_BATCH_CHUNK];
	u32 moved = 0, n, valid, done, got, j;
	int faults = 0, ret;
	bool fault;

	ret = check_vector(ch, (struct chan_iov __user *)uvec, count, true);
	if (ret)
		return ret;
	if (READ_ONCE(ch->closed))
		return -EPIPE;
	ret = chan_guard_begin(ch, gc, to);
	if (ret)
		return ret;
	count = gc->n;
	while (moved < count) {
		n = min_t(u32, count - moved, CHAN_BATCH_CHUNK);
		valid = read_chunk(ch, kv, uvec + moved, n, true);
		j = 0;
		if (!moved) {
			if (!valid)
				return -EFAULT;
			ret = move_first(ch, &kv[0], true, to, bufs);
			if (ret)
				return ret;
			moved = 1;
			j = 1;
		}
		done = 0;
		while (j + done < valid) {
			if (!READ_ONCE(ch->ring.size)) {
				if (!send_one_now(ch, &kv[j + done]))
					break;
				done++;
				continue;
			}
			got = send_group(ch, kv + j + done, valid - j - done,
					 &fault);
			done += got;
			if (!fault)
				break;
			/* CHAN_FAULT_RETRIES counts per message. */
			if (got)
				faults = 0;
			if (fault_in_src(&kv[j + done], &faults))
				break;
		}
		chan_ops_done_now(ch, true, kv + j, done);
		moved += done;
		if (j + done < n)
			break;
	}
	return moved;
}
EXPORT_SYMBOL_IF_KUNIT(chan_send_batch);

/*
 * Buffered: take up to @n messages that fit their buffers in one lock hold
 * and copy them out under rx_lock (see ring_take()); a message whose copy
 * faults goes back to the head with those after it, in order.
 *
 * Return: messages received, each length written into its @kv entry;
 * fewer than @n when fewer were queued, the next did not fit, chaos
 * paused receivers, or a copy faulted (*@fault).
 */
static noinline_for_stack u32 recv_group(struct chan *ch, struct chan_iov *kv,
					 u32 n, bool *fault)
{
	struct chan_wakeups wk = { 0 };
	void *slots[CHAN_BATCH_CHUNK];
	u32 lens[CHAN_BATCH_CHUNK];
	__poll_t events = 0;
	struct iov_iter it;
	u32 k = 0, ok, i;
	u64 bytes = 0;

	spin_lock(&ch->rx_lock);
	spin_lock(&ch->lock);
	if (!ch->dead && !fatal_signal_pending(current) &&
	    !ch->chaos.pause_recv) {
		/* rx_lock spins others: at most CHAN_GROUP_BYTES per hold. */
		while (k < n && k < ch->ring.count &&
		       chan_ring_peek_len(&ch->ring, k) <=
		       min(kv[k].len, ch->msg_size) &&
		       (!k || bytes + chan_ring_peek_len(&ch->ring, k) <=
			CHAN_GROUP_BYTES)) {
			bytes += chan_ring_peek_len(&ch->ring, k);
			k++;
		}
	}
	/* No sender is parked while a slot is kept back: just free it. */
	if (k && ch->rx_spent)
		chan_ring_put_slot(&ch->ring, chan_take_spent(ch));
	for (i = 0; i < k; i++)
		slots[i] = chan_ring_pop(&ch->ring, &lens[i]);
	ch->rx_held += k;
	spin_unlock(&ch->lock);

	pagefault_disable();
	for (ok = 0; ok < k; ok++) {
		iov_iter_ubuf(&it, ITER_DEST, u64_to_user_ptr(kv[ok].buf),
			      lens[ok]);
		if (copy_to_iter(slots[ok], lens[ok], &it) != lens[ok])
			break;
	}
	pagefault_enable();

	spin_lock(&ch->lock);
	ch->rx_held -= k;
	for (i = 0; i < ok; i++) {
		kv[i].len = lens[i];
		chan_account_rx(ch, lens[i]);
		events |= chan_refill_slot(ch, slots[i], &wk);
	}
	for (i = k; i > ok; i--)
		chan_ring_push_head(&ch->ring, slots[i - 1], lens[i - 1]);
	*fault = ok < k;
	chan_eof_check(ch, &wk);
	chan_kick_receiver(ch, &wk);
	spin_unlock(&ch->lock);
	spin_unlock(&ch->rx_lock);
	chan_wake_flush(&wk);
	if (events)
		chan_notify(ch, events);
	return ok;
}

/*
 * Unbuffered: take a parked sender's message into @kv's buffer without
 * waiting. Return: its length, or 0 if there was none to take (or chaos
 * paused receivers).
 */
static u32 recv_one_now(struct chan *ch, const struct chan_iov *kv)
{
	u32 cap = min(kv->len, ch->msg_size);
	struct chan_wakeups wk = { 0 };
	struct iov_iter it;
	int faults = 0, ret;

	iov_iter_ubuf(&it, ITER_DEST, u64_to_user_ptr(kv->buf), cap);
	do {
		spin_lock(&ch->lock);
		ret = CHAN_NONE;
		if (!ch->dead && !ch->ring.size && !ch->chaos.pause_recv)
			ret = chan_take_from_sender(ch, &it, cap, &wk);
		spin_unlock(&ch->lock);
		chan_wake_flush(&wk);
	} while (ret == -EFAULT && !chan_fault_in(&it, cap, true, &faults));
	return ret > 0 ? ret : 0;
}

/**
 * chan_recv_batch() - receive messages into the buffers of a vector
 * @ch: the channel.
 * @uvec: the vector in user memory; each received length is written back.
 * @count: its length, 1..CHAN_BATCH_MAX (checked by the caller).
 * @to: how long to wait for the first message.
 * @bufs: what the open file lends, or NULL.
 *
 * Only the first message may wait; the rest move while they can without
 * waiting, a group of them per lock hold on a buffered channel. A message
 * whose buffer faults goes back to the head and ends the batch (after its
 * pages were faulted in, the batch goes on if it can).
 *
 * Context: process context, may sleep.
 * Return: the number of messages received (>= 1), 0 at the end of a
 * closed channel, or the error of the first.
 */
int chan_recv_batch(struct chan *ch, struct chan_iov __user *uvec,
		    u32 count, const struct chan_timeout *to,
		    struct chan_file_bufs *bufs)
{
	struct chan_iov kv[CHAN_BATCH_CHUNK];
	u32 moved = 0, n, valid, done, got, j, i;
	int faults = 0, ret;
	bool fault;

	ret = check_vector(ch, uvec, count, false);
	if (ret)
		return ret;
	while (moved < count) {
		n = min_t(u32, count - moved, CHAN_BATCH_CHUNK);
		valid = read_chunk(ch, kv, uvec + moved, n, false);
		j = 0;
		if (!moved) {
			if (!valid)
				return -EFAULT;
			ret = move_first(ch, &kv[0], false, to, bufs);
			if (ret <= 0)
				return ret;
			kv[0].len = ret;
			moved = 1;
			j = 1;
		}
		done = 0;
		while (j + done < valid) {
			if (READ_ONCE(ch->ring.size)) {
				got = recv_group(ch, kv + j + done,
						 valid - j - done, &fault);
				done += got;
				if (!fault)
					break;
				/* CHAN_FAULT_RETRIES counts per message. */
				if (got)
					faults = 0;
				if (fault_in_dest(ch, &kv[j + done], &faults))
					break;
			} else {
				kv[j + done].len = recv_one_now(ch, &kv[j + done]);
				if (!kv[j + done].len)
					break;
				done++;
			}
		}
		chan_ops_done_now(ch, false, kv + j, done);
		for (i = 0; i < j + done; i++)
			if (put_user(kv[i].len, &uvec[moved - j + i].len))
				break;
		moved += done;
		if (j + done < n)
			break;
	}
	return moved;
}
EXPORT_SYMBOL_IF_KUNIT(chan_recv_batch);
