// SPDX-License-Identifier: GPL-2.0
/*
 * The waiter protocol: how an operation parks on a channel, how a peer
 * claims, completes, kicks or gives back a parked waiter, and how the
 * parked task sleeps until then, honouring its timeout and signals. Every
 * "take the first waiter" goes through chan_claim_first(), which can fail
 * and skip a waiter whose shared claim word another peer already won. The
 * states and the rules they follow are in the Locking comment of core.c.
 */

#include <linux/atomic.h>
#include <linux/hrtimer.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <kunit/visibility.h>

#include "chan.h"

/**
 * chan_waiter_init() - prepare a waiter for an operation
 * @w: the waiter.
 * @send: a send, else a receive.
 * @len: the message length (send) or the room for one (receive).
 */
void chan_waiter_init(struct chan_waiter *w, bool send, u32 len)
{
	INIT_LIST_HEAD(&w->node);
	w->task = NULL;
	w->claim = NULL;
	w->state = CHAN_WAIT_IDLE;
	w->result = 0;
	w->len = len;
	w->send = send;
	w->kicked = false;
	w->pinned = false;
	w->stall_warned = false;
	w->stage = NULL;
	w->since = 0;
	w->parked_at = 0;
	w->pin.nr = 0;
	w->pin.spare = NULL;
	w->pin.bv = w->pin.inline_bv;
}
EXPORT_SYMBOL_IF_KUNIT(chan_waiter_init);

/**
 * chan_wake_add() - wake a task once the channel lock is dropped
 * @wk: the batch.
 * @task: the task; the caller's reference is handed over.
 *
 * Past CHAN_WAKE_BATCH tasks (a close waking many) the task is woken at
 * once, under the lock: correct, only slower.
 */
void chan_wake_add(struct chan_wakeups *wk, struct task_struct *task)
{
	if (wk->n < CHAN_WAKE_BATCH) {
		wk->tasks[wk->n++] = task;
		return;
	}
	wake_up_process(task);
	put_task_struct(task);
}

/*
 * Wake @task as a sync wake-up (WF_SYNC): the waker is about to sleep, or
 * to go on producing while the woken task catches up, so the scheduler may
 * run it on this CPU rather than kick the other one. A hand-off or a kick
 * is followed by the waker sleeping (a round trip) or by more messages (a
 * producer): as pipes do, every wake-up of a peer is a sync one. The
 * flag's value is the scheduler's own: __wake_up_sync_key() passes it to
 * the entry's default_wake_function(), here through a wait queue that
 * lives on this stack and holds only @task.
 */
static void wake_sync(struct task_struct *task)
{
	DECLARE_WAIT_QUEUE_HEAD_ONSTACK(wq);
	struct wait_queue_entry entry;

	init_waitqueue_func_entry(&entry, default_wake_function);
	entry.private = task;
	__add_wait_queue(&wq, &entry);
	__wake_up_sync_key(&wq, TASK_NORMAL, NULL);
}

/**
 * chan_wake_flush() - wake the tasks of a batch
 * @wk: the batch, empty afterwards.
 *
 * Context: any; call it after dropping the channel lock.
 */
void chan_wake_flush(struct chan_wakeups *wk)
{
	unsigned int i;

	for (i = 0; i < wk->n; i++) {
		wake_sync(wk->tasks[i]);
		put_task_struct(wk->tasks[i]);
	}
	wk->n = 0;
}
EXPORT_SYMBOL_IF_KUNIT(chan_wake_flush);

/**
 * chan_notify() - tell pollers what became possible
 * @ch: the channel.
 * @mask: EPOLL* bits that became true; pollers waiting for others stay
 *	asleep (io_uring re-arms only on a matching key).
 *
 * Costs one load while nobody ever polled the channel; after that
 * wq_has_sleeper() orders the test against a poller adding itself. The
 * poller sets poll_usage before it reads the state under chan->lock, and
 * callers change the state under chan->lock before calling this, so a
 * poller that read the old state is seen here.
 *
 * Context: call it after dropping the channel lock.
 */
void chan_notify(struct chan *ch, __poll_t mask)
{
	if (READ_ONCE(ch->poll_usage) && wq_has_sleeper(&ch->poll_wait))
		wake_up_interruptible_poll(&ch->poll_wait, mask);
}

static struct list_head *wait_list(struct chan *ch, struct chan_waiter *w)
{
	return w->send ? &ch->senders : &ch->receivers;
}

static void count_parked(struct chan *ch, struct chan_waiter *w, int delta)
{
	if (w->send)
		ch->nr_senders += delta;
	else
		ch->nr_receivers += delta;
}

/*
 * Take @w off its list, adding the time it spent there to the statistics
 * (and, for a sender, to adaptive admission's samples).
 */
static void unlink_waiter(struct chan *ch, struct chan_waiter *w)
{
	ktime_t now = ktime_get();
	u64 ns = ktime_to_ns(ktime_sub(now, w->parked_at));

	list_del_init(&w->node);
	count_parked(ch, w, -1);
	if (w->send) {
		ch->stats.send_wait_ns += ns;
		ch->stats.send_wait_max_ns = max(ch->stats.send_wait_max_ns, ns);
		/* The queueing delay adaptive admission follows. */
		chan_aimd_sample(&ch->aimd,
				 ktime_to_ns(ktime_sub(now, w->since)),
				 ktime_to_ns(now));
	} else {
		ch->stats.recv_wait_ns += ns;
		ch->stats.recv_wait_max_ns = max(ch->stats.recv_wait_max_ns, ns);
	}
}

/**
 * chan_park() - put the current task's operation on its wait list
 * @ch: the channel.
 * @w: an IDLE waiter; a kicked one goes back to the head of the list, so
 *	that losing the race after a kick does not cost it its place.
 *
 * Context: chan->lock held.
 */
void chan_park(struct chan *ch, struct chan_waiter *w)
{
	lockdep_assert_held(&ch->lock);
	w->task = current;
	w->parked_at = ktime_get();
	if (!w->since)
		w->since = w->parked_at;
	WRITE_ONCE(w->state, CHAN_WAIT_PARKED);
	if (w->kicked)
		list_add(&w->node, wait_list(ch, w));
	else
		list_add_tail(&w->node, wait_list(ch, w));
	count_parked(ch, w, 1);
	chan_parked(ch, w);
}
EXPORT_SYMBOL_IF_KUNIT(chan_park);

/**
 * chan_unpark() - take a PARKED waiter back (timeout, signal, cleanup)
 * @ch: the channel.
 * @w: the waiter, IDLE afterwards.
 *
 * Context: chan->lock held.
 */
void chan_unpark(struct chan *ch, struct chan_waiter *w)
{
	lockdep_assert_held(&ch->lock);
	unlink_waiter(ch, w);
	WRITE_ONCE(w->state, CHAN_WAIT_IDLE);
}
EXPORT_SYMBOL_IF_KUNIT(chan_unpark);

/**
 * chan_waiter_claimable() - may a peer still claim a parked waiter?
 * @w: a waiter on a wait list.
 *
 * False for a select's case whose select committed another case (its
 * claim word is taken): such a case stays linked until its owner or a
 * peer unlinks it, and must not count as waiting.
 *
 * Context: the channel's lock held.
 */
bool chan_waiter_claimable(const struct chan_waiter *w)
{
	return !w->claim || !atomic_read(w->claim);
}

/**
 * chan_first_claimable() - the oldest parked waiter a peer could claim
 * @ch: the channel.
 * @senders: look at &chan.senders, else at &chan.receivers.
 * @mine: the claim word of the caller's own select, whose cases it must
 *	not meet, or NULL.
 *
 * Context: chan->lock held.
 * Return: the waiter, left parked, or NULL.
 */
struct chan_waiter *chan_first_claimable(struct chan *ch, bool senders,
					 const atomic_t *mine)
{
	struct list_head *list = senders ? &ch->senders : &ch->receivers;
	struct chan_waiter *w;

	lockdep_assert_held(&ch->lock);
	list_for_each_entry(w, list, node)
		if ((!mine || w->claim != mine) && chan_waiter_claimable(w))
			return w;
	return NULL;
}
EXPORT_SYMBOL_IF_KUNIT(chan_first_claimable);

/**
 * chan_count_claimable() - parked waiters a peer could claim
 * @ch: the channel.
 * @senders: count &chan.senders, else &chan.receivers.
 *
 * Context: chan->lock held.
 * Return: the count (sysfs waiting_senders and waiting_receivers).
 */
u32 chan_count_claimable(struct chan *ch, bool senders)
{
	struct list_head *list = senders ? &ch->senders : &ch->receivers;
	struct chan_waiter *w;
	u32 n = 0;

	lockdep_assert_held(&ch->lock);
	list_for_each_entry(w, list, node)
		n += chan_waiter_claimable(w);
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(chan_count_claimable);

/**
 * chan_claim_first() - claim the oldest waiter of a list
 * @ch: the channel.
 * @senders: claim from &chan.senders, else from &chan.receivers.
 * @mine: the claim word of the caller's own select, whose cases it must
 *	not meet (they are left parked), or NULL.
 *
 * The waiter comes off the list CLAIMED: the caller now owns it and must
 * either complete it (chan_complete()) or give it back (chan_unclaim()).
 * A waiter whose claim word another peer already won (a select that
 * committed another case) is dropped, IDLE, and the next one is tried.
 *
 * Context: chan->lock held.
 * Return: the waiter, or NULL when none can be claimed.
 */
struct chan_waiter *chan_claim_first(struct chan *ch, bool senders,
				     const atomic_t *mine)
{
	struct list_head *list = senders ? &ch->senders : &ch->receivers;
	struct chan_waiter *w, *tmp;

	lockdep_assert_held(&ch->lock);
	list_for_each_entry_safe(w, tmp, list, node) {
		if (mine && w->claim == mine)
			continue;
		unlink_waiter(ch, w);
		if (w->claim && atomic_cmpxchg(w->claim, 0, 1) != 0) {
			WRITE_ONCE(w->state, CHAN_WAIT_IDLE);
			continue;
		}
		WRITE_ONCE(w->state, CHAN_WAIT_CLAIMED);
		return w;
	}
	return NULL;
}
EXPORT_SYMBOL_IF_KUNIT(chan_claim_first);

/**
 * chan_unclaim() - give a claimed waiter back
 * @ch: the channel.
 * @w: a waiter the caller claimed and could not serve (its own copy
 *	faulted, or it gave up).
 * @wk: collects the owner's wake-up.
 *
 * A plain operation's waiter on a channel still unbuffered, with no
 * peer of the other kind parked meanwhile, goes back to the head of its
 * list, still PARKED: the caller, which faults its own pages in and tries
 * again, finds it there, even a non-blocking caller (a non-blocking
 * operation succeeds exactly when a peer is parked). Its owner is woken
 * all the same, to look at signals and its timeout, which it may have put
 * off while the waiter was claimed. Otherwise the channel changed while
 * it was claimed (a peer of the other kind parked, the capacity changed,
 * it closed), so its owner looks again, as a kicked waiter does, and
 * parks again at the head of its list if it has to. A select's case looks
 * again too, and its claim word stays taken, so that no other case of it
 * commits meanwhile: the select starts a new round. A waiter on a
 * destroyed channel gets ENODEV, a sender on a closed one EPIPE, as if
 * they had been parked then.
 *
 * Context: chan->lock held.
 */
void chan_unclaim(struct chan *ch, struct chan_waiter *w,
		  struct chan_wakeups *wk)
{
	lockdep_assert_held(&ch->lock);
	if (ch->dead || (ch->closed && w->send)) {
		chan_complete(ch, w, ch->dead ? -ENODEV : -EPIPE, wk);
		return;
	}
	if (!w->claim && w->pinned && !ch->ring.size &&
	    !chan_first_claimable(ch, !w->send, NULL)) {
		w->parked_at = ktime_get();
		WRITE_ONCE(w->state, CHAN_WAIT_PARKED);
		list_add(&w->node, wait_list(ch, w));
		count_parked(ch, w, 1);
		get_task_struct(w->task);
		chan_wake_add(wk, w->task);
		return;
	}
	chan_complete(ch, w, CHAN_RESULT_RETRY, wk);
}
EXPORT_SYMBOL_IF_KUNIT(chan_unclaim);

/**
 * chan_complete() - publish the result of a claimed waiter
 * @ch: the channel.
 * @w: a waiter the caller claimed.
 * @result: its final result.
 * @wk: collects the owner's wake-up.
 *
 * After the release store the caller never touches @w again: its owner
 * may already have returned.
 *
 * Context: chan->lock held.
 */
void chan_complete(struct chan *ch, struct chan_waiter *w, int result,
		   struct chan_wakeups *wk)
{
	struct task_struct *task = w->task;

	lockdep_assert_held(&ch->lock);
	w->result = result;
	get_task_struct(task);
	/* Pairs with smp_acquire__after_ctrl_dep() in wait_done(). */
	smp_store_release(&w->state, CHAN_WAIT_DONE);
	chan_wake_add(wk, task);
}
EXPORT_SYMBOL_IF_KUNIT(chan_complete);

/**
 * chan_kick_first() - wake the oldest waiter of a list to look again
 * @ch: the channel.
 * @senders: a sender, else a receiver.
 * @wk: collects the wake-up.
 *
 * Used where the waiter must act itself: a buffered receiver takes the
 * message a sender just queued (the copy-out has to be its own, see
 * core.c), a waiter whose pages are not pinned cannot be served directly.
 *
 * Context: chan->lock held.
 * Return: whether a waiter was kicked.
 */
bool chan_kick_first(struct chan *ch, bool senders, struct chan_wakeups *wk)
{
	struct chan_waiter *w;

	lockdep_assert_held(&ch->lock);
	w = chan_claim_first(ch, senders, NULL);
	if (w)
		chan_complete(ch, w, CHAN_RESULT_RETRY, wk);
	return w;
}
EXPORT_SYMBOL_IF_KUNIT(chan_kick_first);

/**
 * chan_complete_all() - complete every waiter of a list with one result
 * @ch: the channel.
 * @senders: the senders, else the receivers.
 * @result: their result (EPIPE, ENODEV, end of file).
 * @wk: collects the wake-ups.
 *
 * Context: chan->lock held.
 */
void chan_complete_all(struct chan *ch, bool senders, int result,
		       struct chan_wakeups *wk)
{
	struct chan_waiter *w;

	lockdep_assert_held(&ch->lock);
	while ((w = chan_claim_first(ch, senders, NULL)))
		chan_complete(ch, w, result, wk);
}
EXPORT_SYMBOL_IF_KUNIT(chan_complete_all);

static bool wait_done(struct chan_waiter *w)
{
	if (READ_ONCE(w->state) != CHAN_WAIT_DONE)
		return false;
	/* Pairs with smp_store_release() in chan_complete(). */
	smp_acquire__after_ctrl_dep();
	return true;
}

/**
 * chan_wait() - sleep until a parked waiter is completed
 * @ch: the channel.
 * @w: the current task's waiter, PARKED.
 * @to: its timeout.
 *
 * Ends when a peer completes @w, the timeout expires or a signal comes. A
 * completion always wins: the state is looked at before signals and the
 * timeout, locklessly after waking and again under the lock. While a peer
 * holds @w CLAIMED (copying to or from its pinned pages with page faults
 * disabled, so for memcpy time) the task waits for it uninterruptibly:
 * the peer may not be left writing into a buffer whose call returned.
 *
 * Context: chan->lock held on entry, dropped on return. Sleeps
 * TASK_FREEZABLE, so that suspend does not turn waits into EINTR.
 * Return: the result a peer completed @w with, -ETIMEDOUT, -EINTR (timed
 * wait) or -ERESTARTSYS (untimed wait) after a signal.
 */
int chan_wait(struct chan *ch, struct chan_waiter *w,
	      const struct chan_timeout *to)
	__releases(&ch->lock)
{
	bool expired = false;
	int ret;

	lockdep_assert_held(&ch->lock);
	for (;;) {
		if (w->state == CHAN_WAIT_DONE) {
			ret = w->result;
			break;
		}
		if (w->state == CHAN_WAIT_CLAIMED) {
			set_current_state(TASK_UNINTERRUPTIBLE);
			spin_unlock(&ch->lock);
			schedule();
		} else {
			if (signal_pending(current)) {
				chan_unpark(ch, w);
				ch->stats.interrupted++;
				ret = to->timed ? -EINTR : -ERESTARTSYS;
				break;
			}
			if (expired) {
				chan_unpark(ch, w);
				if (w->send)
					ch->stats.send_timeouts++;
				else
					ch->stats.recv_timeouts++;
				ret = -ETIMEDOUT;
				break;
			}
			set_current_state(TASK_INTERRUPTIBLE | TASK_FREEZABLE);
			spin_unlock(&ch->lock);
			if (chan_sleep(ch, to, w->since, &w->stall_warned,
				       w->send ? "send" : "receive"))
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
EXPORT_SYMBOL_IF_KUNIT(chan_wait);

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
