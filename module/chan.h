/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal interfaces of the chan module: the channel object, the ring of
 * message slots, the waiters parked on a channel, pinned user buffers, and
 * the prototypes of each file, grouped by the file that implements them.
 * The Locking comment at the top of core.c explains how they fit together.
 */
#ifndef _CHAN_H
#define _CHAN_H

#include <linux/bvec.h>
#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/wait.h>
#include <linux/xarray.h>
#include <linux/chan.h>

struct iov_iter;
struct task_struct;

/* Largest max_msg_size accepted, at load and at run time. */
#define CHAN_MSG_SIZE_LIMIT	(16U << 20)

/**
 * struct chan_msg - a queued message
 * @data: the slot holding it, msg_size bytes.
 * @len: its length.
 */
struct chan_msg {
	void *data;
	u32 len;
};

/**
 * struct chan_ring - a channel's message slots and the queue through them
 * @queue: circular queue of @size entries, oldest at @head.
 * @free: stack of free slots (the last freed is reused first: cache-hot).
 * @size: number of slots, the channel's capacity; 0 when unbuffered.
 * @msg_size: bytes per slot.
 * @head: index of the oldest queued message in @queue.
 * @count: messages queued.
 * @nr_free: slots on @free.
 *
 * Every slot is allocated when the channel is created or resized, so that
 * no message ever allocates. A slot is always in exactly one place: on
 * @free, in @queue, or held by one operation (a sender filling it, a
 * receiver draining it, a receiver moving a parked sender's message into
 * it); so @size - @nr_free slots are in use and a free slot exists exactly
 * when the channel has room. Pure data structure: the caller serialises; nothing
 * here sleeps except allocation, and nothing touches user memory.
 */
struct chan_ring {
	struct chan_msg *queue;
	void **free;
	u32 size;
	u32 msg_size;
	u32 head;
	u32 count;
	u32 nr_free;
};

/**
 * struct chan_resize - a ring resize prepared outside the channel lock
 * @queue: the new queue, @size entries.
 * @free: the new free stack, @size entries.
 * @slots: growing: the new slots; shrinking: the slots given up.
 * @nr_slots: entries used in @slots.
 * @old_size: the size it was prepared from.
 * @size: the new size.
 *
 * chan_ring_resize_prepare() allocates everything, chan_ring_resize_commit()
 * only moves pointers (under the channel lock), chan_ring_resize_finish()
 * frees what is left over (old arrays, slots given up, or everything new
 * if the commit failed).
 */
struct chan_resize {
	struct chan_msg *queue;
	void **free;
	void **slots;
	u32 nr_slots;
	u32 old_size;
	u32 size;
};

/* Messages up to this size are staged in a slot of the sender's file. */
#define CHAN_STAGE_MAX		(64U << 10)

/* Pinned pages kept inline in a waiter; bigger buffers borrow a spare. */
#define CHAN_PIN_INLINE		8

/**
 * struct chan_pin_spare - a page vector an open file lends to one
 *	operation at a time, for buffers too big for the inline one
 * @bv: @max entries.
 * @max: entries in @bv.
 * @busy: bit 0 set while lent.
 * @wait: operations waiting for it.
 */
struct chan_pin_spare {
	struct bio_vec *bv;
	u32 max;
	unsigned long busy;
	wait_queue_head_t wait;
};

/**
 * struct chan_file_bufs - what an open file lends to one operation at a time
 * @spare: page vector for pinning buffers too big for a waiter's own.
 * @stage: a slot a send copies its message into before it takes the
 *	channel lock (buffered channels, msg_size up to CHAN_STAGE_MAX, files
 *	opened for writing; else NULL). Queueing swaps it with a free slot of
 *	the channel, so it is a different slot after each send.
 * @stage_busy: bit 0 set while a send uses @stage.
 */
struct chan_file_bufs {
	struct chan_pin_spare spare;
	void *stage;
	unsigned long stage_busy;
};

/**
 * struct chan_pin - the pages of a user buffer, pinned while an operation
 *	is parked so that a peer can copy to or from them
 * @bv: the pieces, each within one page, in buffer order.
 * @nr: pieces in @bv.
 * @len: bytes covered.
 * @user: the pages were pinned from user space (unpin them at release).
 * @write: the peer writes them (mark them dirty at release).
 * @spare: the spare vector @bv points into, or NULL for @inline_bv.
 * @inline_bv: room for small buffers.
 */
struct chan_pin {
	struct bio_vec *bv;
	u32 nr;
	u32 len;
	bool user;
	bool write;
	struct chan_pin_spare *spare;
	struct bio_vec inline_bv[CHAN_PIN_INLINE];
};

/* States of a waiter, see the Locking comment in core.c. */
enum chan_wait_state {
	CHAN_WAIT_IDLE,		/* not on a wait list: never parked, or dropped */
	CHAN_WAIT_PARKED,	/* on a wait list, a peer may claim it */
	CHAN_WAIT_CLAIMED,	/* off the list, a peer copies to/from its pages */
	CHAN_WAIT_DONE,		/* ->result is final; nobody refers to it */
};

/*
 * A parked operation completed with this looks again (besides lengths, 0
 * and -errnos; lengths stay below CHAN_MSG_SIZE_LIMIT).
 */
#define CHAN_RESULT_RETRY	INT_MAX

/**
 * struct chan_waiter - one send or receive that may park
 * @node: entry on &chan.senders or &chan.receivers while PARKED.
 * @task: the task running the operation.
 * @claim: a claim word shared by several waiters of one task (a select
 *	parks one waiter per case), of which one peer may win: NULL for a
 *	plain operation, whose claim cannot fail.
 * @state: enum chan_wait_state; written under &chan.lock, the final store
 *	to CHAN_WAIT_DONE with smp_store_release().
 * @result: final result once DONE.
 * @len: send: the message length; receive: the room in the buffer.
 * @send: a send (parks on &chan.senders), else a receive.
 * @kicked: woken with CHAN_RESULT_RETRY at least once: parks again at the
 *	head of its list, keeping its place.
 * @pinned: @pin holds the buffer's pages; peers may claim it to copy.
 * @stall_warned: the stall_warn_ms warning about it was given.
 * @stage: a send parked with its message in a slot of its own (the file's
 *	staging slot): whoever frees a slot queues @stage and leaves the freed
 *	slot here in its place.
 * @since: when the operation first parked (oldest_wait_ms).
 * @parked_at: when it parked last (wait-time statistics).
 * @pin: the buffer's pages when @pinned.
 */
struct chan_waiter {
	struct list_head node;
	struct task_struct *task;
	atomic_t *claim;
	int state;
	int result;
	u32 len;
	bool send;
	bool kicked;
	bool pinned;
	bool stall_warned;
	void *stage;
	ktime_t since;
	ktime_t parked_at;
	struct chan_pin pin;
};

/**
 * struct chan_timeout - how long an operation may wait
 * @try: do not wait at all (O_NONBLOCK, IOCB_NOWAIT or a zero timeout).
 * @timed: wait until @expires (CLOCK_MONOTONIC), else forever.
 * @expires: absolute deadline when @timed.
 */
struct chan_timeout {
	bool try;
	bool timed;
	ktime_t expires;
};

/**
 * struct chan_counters - per-channel counters, under &chan.lock
 * @sent: messages queued or handed over.
 * @received: messages a receiver got from a parked sender (unbuffered);
 *	see &chan.rx_received for those taken from the ring.
 * @bytes_sent: bytes of @sent.
 * @bytes_received: bytes of @received.
 * @full: sends that found no room (or no receiver).
 * @empty: receives that found nothing.
 * @send_timeouts: sends that ended with ETIMEDOUT.
 * @recv_timeouts: receives that ended with ETIMEDOUT.
 * @interrupted: waits ended by a signal.
 * @send_wait_ns: total time senders spent parked.
 * @recv_wait_ns: total time receivers spent parked.
 * @send_wait_max_ns: longest time a sender was parked at once.
 * @recv_wait_max_ns: longest time a receiver was parked at once.
 * @admission_rejected: sends refused by adaptive admission (EBUSY).
 */
struct chan_counters {
	u64 sent;
	u64 received;
	u64 bytes_sent;
	u64 bytes_received;
	u64 full;
	u64 empty;
	u64 send_timeouts;
	u64 recv_timeouts;
	u64 interrupted;
	u64 send_wait_ns;
	u64 recv_wait_ns;
	u64 send_wait_max_ns;
	u64 recv_wait_max_ns;
	u64 admission_rejected;
};

/* The outcome of a call the breaker admitted. */
enum chan_brk_outcome {
	CHAN_BRK_SUCCESS,
	CHAN_BRK_FAILURE,
	CHAN_BRK_IGNORED,
};

#define CHAN_BRK_BUCKETS	10

/**
 * struct chan_breaker_cfg - a breaker's configuration (see breaker.c)
 * @mode: CHAN_BREAKER_DISABLED, _AUTO, _FORCED_OPEN or _METRICS_ONLY.
 * @window_ms: the sliding window, in CHAN_BRK_BUCKETS buckets.
 * @min_calls: outcomes the window needs before a rate can trip it.
 * @failure_pct: the failure rate that trips it.
 * @consecutive_failures: failures in a row that trip it (0: off).
 * @slow_ms: a success longer than this is slow (0: off).
 * @slow_pct: the slow-call rate that trips it.
 * @open_ms: the open period before adaptation.
 * @open_min_ms: the shortest open period.
 * @open_max_ms: the longest open period.
 * @half_open_probes: calls HALF_OPEN admits; that many successes close it.
 * @half_open_max_ms: a probe without a verdict this long reopens it.
 * @flags: CHAN_BREAKER_F_ADAPTIVE_THRESHOLD.
 */
struct chan_breaker_cfg {
	u32 mode;
	u32 window_ms;
	u32 min_calls;
	u32 failure_pct;
	u32 consecutive_failures;
	u32 slow_ms;
	u32 slow_pct;
	u32 open_ms;
	u32 open_min_ms;
	u32 open_max_ms;
	u32 half_open_probes;
	u32 half_open_max_ms;
	u32 flags;
};

/* Outcomes of one bucket of the window. */
struct chan_brk_bucket {
	u32 calls;
	u32 failures;
	u32 slow;
};

/**
 * struct chan_breaker - a circuit breaker (breaker.c; callers serialise)
 * @cfg: its configuration.
 * @state: CHAN_BREAKER_CLOSED, _OPEN or _HALF_OPEN.
 * @generation: bumped by every transition.
 * @state_since: when the state was entered (ns).
 * @open_until: OPEN: when it becomes HALF_OPEN (ns).
 * @half_open_until: HALF_OPEN with a probe outstanding: the watchdog's
 *	deadline (ns).
 * @open_ms: the current open period.
 * @successes: S, successes since it last entered CLOSED.
 * @consecutive: failures in a row.
 * @probes: HALF_OPEN: probe slots taken.
 * @probes_pending: HALF_OPEN: probes without a verdict.
 * @probes_ok: HALF_OPEN: probes that succeeded.
 * @rejected: calls refused, since creation or reset.
 * @trips: entries into OPEN, since creation or reset.
 * @r: moving average of the failure rate (1 << 16 is 100%).
 * @epoch: the bucket number (time / bucket length) of the newest bucket.
 * @b: the window's buckets, b[epoch % CHAN_BRK_BUCKETS] the newest.
 */
struct chan_breaker {
	struct chan_breaker_cfg cfg;
	u32 state;
	u64 generation;
	u64 state_since;
	u64 open_until;
	u64 half_open_until;
	u32 open_ms;
	u32 successes;
	u32 consecutive;
	u32 probes;
	u32 probes_pending;
	u32 probes_ok;
	u64 rejected;
	u64 trips;
	u32 r;
	u64 epoch;
	struct chan_brk_bucket b[CHAN_BRK_BUCKETS];
};

/* What chan_breaker_status() reports. */
struct chan_breaker_snap {
	u32 state;
	u64 generation;
	u32 calls;
	u32 failures;
	u32 slow_calls;
	u64 rejected;
	u64 trips;
	u32 current_open_ms;
	u64 state_since_ns;
};

/**
 * struct chan_tb - a token bucket (ratelimit.c; callers serialise)
 * @rate: tokens per second, 0 for no limit.
 * @burst: the most tokens it holds.
 * @tokens: tokens held, in billionths of a token.
 * @last: when @tokens was last brought up to date (ns).
 */
struct chan_tb {
	u32 rate;
	u32 burst;
	u64 tokens;
	u64 last;
};

/* Adaptive admission: how long one AIMD interval lasts; the default cap. */
#define CHAN_AIMD_INTERVAL_NS	(100 * NSEC_PER_MSEC)
#define CHAN_AIMD_DEFAULT_MAX	64
/* The largest max_limit: more parked senders than any machine holds. */
#define CHAN_AIMD_MAX_LIMIT	1048576

/**
 * struct chan_aimd - adaptive admission (admission.c; callers serialise)
 * @target_us: the median wait aimed at (us); 0: no cap.
 * @max_limit: the largest cap.
 * @limit: the cap on parked senders now.
 * @since: when the current interval began (ns).
 * @samples: senders that stopped waiting in it.
 * @over: those of them that waited longer than @target_us.
 */
struct chan_aimd {
	u32 target_us;
	u32 max_limit;
	u32 limit;
	u64 since;
	u32 samples;
	u32 over;
};

/* The knobs of chaos/ (chaos.c). */
enum chan_chaos_knob {
	CHAN_CHAOS_SEND_DELAY_US,
	CHAN_CHAOS_RECV_DELAY_US,
	CHAN_CHAOS_SEND_FAIL_PPM,
	CHAN_CHAOS_PAUSE_RECV,
};

/**
 * struct chan_chaos - faults injected on purpose (chaos.c)
 * @armed: a delay or failure knob is not 0; read without a lock.
 * @pause_recv: receivers find no message; read under chan->lock.
 * @send_delay_us: delay before a send that may wait.
 * @recv_delay_us: delay before a receive that may wait.
 * @send_fail_ppm: sends in a million that fail as if the channel were full.
 * @gen: bumped by every change of a knob, which ends the waits below.
 * @injected: effects injected (stats/chaos_injected).
 * @wait: operations a delay or an injected failure holds.
 *
 * The knobs change under chan->rx_lock and chan->lock.
 */
struct chan_chaos {
	bool armed;
	u32 pause_recv;
	u32 send_delay_us;
	u32 recv_delay_us;
	u32 send_fail_ppm;
	u32 gen;
	atomic64_t injected;
	wait_queue_head_t wait;
};

/**
 * struct chan_hist - wait-time histograms of one CPU (observe.c)
 * @b: [0] receives, [1] sends: operations done, by CHAN_HIST_BUCKETS
 *	bucket of the time their task was parked.
 */
struct chan_hist {
	u64 b[2][CHAN_HIST_BUCKETS];
};

/**
 * struct chan - one channel, /dev/chan<N>
 * @dev: the device; its release frees the channel.
 * @cdev: the character device; open files hold a reference on @dev.
 * @index: N of /dev/chan<N>.
 * @flags: CHAN_CREATE_F_* flags.
 * @mode: permission bits of the node.
 * @uid: owner of the node, who may also reconfigure the channel.
 * @gid: group of the node.
 * @default_access: the creator asked for neither mode nor owner (the
 *	uevent says so, for udev to grant its group).
 * @name: NUL-terminated, empty for none; fixed at creation, unique among
 *	the channels in chan_ids (checked under chan_ctl_mutex).
 * @msg_size: largest message, fixed at creation.
 * @resize_mutex: serialises capacity changes; protects @charged.
 * @charged: bytes charged against the max_bytes budget.
 * @rx_lock: serialises taking messages from the ring with copying them
 *	out, so that one that faults goes back first (core.c); protects the
 *	three members below it. Senders take it to park on a full channel.
 * @rx_held: messages the holder of @rx_lock took and is copying out.
 * @rx_spent: a slot the last receive emptied and kept (room, not on the
 *	free stack; the next pop or a sender finding no free slot takes it).
 * @rx_received: messages received from the ring.
 * @rx_bytes_received: bytes of @rx_received.
 * @lock: protects everything below, and parked waiters.
 * @ring: the slots and the queued messages.
 * @closed: CHAN_IOC_CLOSE (or auto-close) happened.
 * @dead: destroyed; every operation gives ENODEV.
 * @poll_usage: somebody polled once: every change notifies @poll_wait.
 * @senders: parked senders, oldest first.
 * @receivers: parked receivers, oldest first.
 * @nr_senders: length of @senders.
 * @nr_receivers: length of @receivers.
 * @nr_open: open files.
 * @readers: open files with read access.
 * @writers: open files with write access.
 * @had_writer: a writer opened the channel once (auto-close).
 * @stats: counters.
 * @aimd: adaptive admission: the cap on parked senders.
 * @hist: per-cpu wait-time histograms of the operations done (observe.c).
 * @debugfs: the channel's debugfs directory, or NULL.
 * @poll_wait: poll/epoll/select waiters, woken after the lock is dropped.
 * @guard_lock: serialises the breaker and the rate limiter (guard.c); a
 *	leaf lock. Protects the members below it.
 * @guarded: the breaker is not DISABLED, read without @guard_lock.
 * @brk_free: while the breaker admits every send whatever the time
 *	(chan_breaker_admits_freely()): the ticket << 2, bit 1 set when it
 *	times sends (slow_ms), bit 0 set; else 0. Kept by after_call()
 *	under @guard_lock, read without it: one word, so the two agree.
 * @limited: the rate limiter is on, read without @guard_lock.
 * @breaker: the send side's circuit breaker.
 * @tb: the send side's token bucket.
 * @rate_gen: bumped by every CHAN_IOC_SET_RATE, read without the lock by
 *	senders waiting for a token.
 * @rate_given: bumped when tokens are given back, read without the lock
 *	by senders about to sleep for one.
 * @rate_limited: sends the rate limiter refused.
 * @rate_poll_at: a poller found no token: when the next one comes (ns),
 *	0 if nobody waits for it.
 * @rate_wait: senders waiting for a token sleep here; woken by a change
 *	of the rate, close and destroy.
 * @guard_timer: makes the transitions time alone makes when they are due,
 *	and tells pollers when a token comes.
 * @guard_timer_at: when @guard_timer is set to fire, 0 if it is not.
 * @state_kn: the sysfs file breaker/state, notified on transitions.
 * @chaos: faults injected on purpose, for rehearsals.
 */
struct chan {
	struct device dev;
	struct cdev cdev;
	u32 index;
	u32 flags;
	umode_t mode;
	kuid_t uid;
	kgid_t gid;
	bool default_access;
	char name[CHAN_NAME_MAX];
	u32 msg_size;
	struct mutex resize_mutex; /* serialises resizes, guards charged */
	u64 charged;

	spinlock_t rx_lock ____cacheline_aligned_in_smp;
	u32 rx_held;
	void *rx_spent;
	u64 rx_received;
	u64 rx_bytes_received;

	spinlock_t lock ____cacheline_aligned_in_smp;
	struct chan_ring ring;
	bool closed;
	bool dead;
	bool poll_usage;
	struct list_head senders;
	struct list_head receivers;
	u32 nr_senders;
	u32 nr_receivers;
	u32 nr_open;
	u32 readers;
	u32 writers;
	bool had_writer;
	struct chan_counters stats;
	struct chan_aimd aimd;
	struct chan_hist __percpu *hist;
	struct dentry *debugfs;

	wait_queue_head_t poll_wait;

	spinlock_t guard_lock;	/* serialises @breaker and @tb; a leaf */
	bool guarded;
	bool limited;
	u64 brk_free;
	struct chan_breaker breaker;
	struct chan_tb tb;
	u64 rate_gen;
	u64 rate_given;
	u64 rate_limited;
	u64 rate_poll_at;
	wait_queue_head_t rate_wait;
	struct hrtimer guard_timer;
	u64 guard_timer_at;
	struct kernfs_node *state_kn;

	struct chan_chaos chaos;
};

/**
 * struct chan_limits - the module parameters
 * @nr_chans: channels created at load.
 * @max_chans: channels that may exist at once.
 * @default_capacity: capacity of the channels created at load.
 * @default_msg_size: message size of the channels created at load.
 * @max_capacity: largest capacity.
 * @max_msg_size: largest message size.
 * @max_bytes: budget of capacity x msg_size over all channels.
 */
struct chan_limits {
	u32 nr_chans;
	u32 max_chans;
	u32 default_capacity;
	u32 default_msg_size;
	u32 max_capacity;
	u32 max_msg_size;
	u64 max_bytes;
};

/* Tasks to wake once a channel lock is dropped (wake_q is not exported). */
#define CHAN_WAKE_BATCH 8

/**
 * struct chan_wakeups - tasks to wake after unlocking
 * @n: entries in @tasks.
 * @tasks: tasks with a reference held.
 */
struct chan_wakeups {
	unsigned int n;
	struct task_struct *tasks[CHAN_WAKE_BATCH];
};

/* breaker.c APIs: */
void chan_breaker_cfg_default(struct chan_breaker_cfg *cfg);
int chan_breaker_cfg_check(const struct chan_breaker_cfg *cfg);
u32 chan_breaker_open_period(const struct chan_breaker_cfg *cfg,
			     u32 successes);
u64 chan_breaker_failure_threshold(const struct chan_breaker *br);
void chan_breaker_init(struct chan_breaker *br, u64 now);
void chan_breaker_configure(struct chan_breaker *br,
			    const struct chan_breaker_cfg *cfg, u64 now);
void chan_breaker_reset(struct chan_breaker *br, u64 now);
bool chan_breaker_advance(struct chan_breaker *br, u64 now);
bool chan_breaker_refuses(const struct chan_breaker *br, u64 now);
u64 chan_breaker_next_deadline(const struct chan_breaker *br);
bool chan_breaker_admits_freely(const struct chan_breaker *br, u64 *ticket);
int chan_breaker_admit(struct chan_breaker *br, u64 now, u64 *ticket);
int chan_breaker_record(struct chan_breaker *br, u64 ticket,
			enum chan_brk_outcome outcome, u64 duration_ns, u64 now);
bool chan_breaker_status(struct chan_breaker *br, u64 now,
			 struct chan_breaker_snap *st);

/* ratelimit.c APIs: */
void chan_tb_set(struct chan_tb *tb, u32 rate, u32 burst, u64 now);
u32 chan_tb_take_upto(struct chan_tb *tb, u32 n, u64 now, u64 *wait);
u64 chan_tb_take(struct chan_tb *tb, u64 now);
void chan_tb_give_back(struct chan_tb *tb, u32 n, u64 now);
u64 chan_tb_wait(struct chan_tb *tb, u64 now);
u32 chan_tb_tokens(struct chan_tb *tb, u64 now);

/* admission.c APIs: */
void chan_aimd_set(struct chan_aimd *a, u32 target_us, u32 max_limit, u64 now);
void chan_aimd_sample(struct chan_aimd *a, u64 wait_ns, u64 now);
bool chan_aimd_admits(const struct chan_aimd *a, u32 parked);

/* guard.c APIs: */
/**
 * struct chan_guard_call - a send's passage through the guard
 * @ticket: the breaker's admission.
 * @start: when the breaker admitted it.
 * @rate_gen: the low bits of &chan.rate_gen when its tokens were taken.
 * @n: set by the caller to the messages it would send (1, or a batch's);
 *	chan_guard_begin() sets it to how many of them may go (fewer for a
 *	batch when the bucket holds fewer tokens).
 * @retried: set by the caller: a refusal of a non-blocking attempt is not
 *	final (io_uring retries it blocking), so it is not counted.
 * @tracked: the breaker awaits its outcome.
 * @tokens: @n tokens were taken from the bucket for them.
 *
 * Small: a select keeps one per case on its stack.
 */
struct chan_guard_call {
	u64 ticket;
	u64 start;
	u32 rate_gen;
	u32 n;
	bool retried;
	bool tracked;
	bool tokens;
};

void chan_guard_init(struct chan *ch);
void chan_guard_destroy(struct chan *ch);
void chan_guard_wake(struct chan *ch);
int chan_guard_begin(struct chan *ch, struct chan_guard_call *gc,
		     const struct chan_timeout *to);
void chan_guard_end(struct chan *ch, struct chan_guard_call *gc, long ret);
bool chan_guard_refuses(struct chan *ch);
u64 chan_guard_generation(struct chan *ch);
void chan_guard_get_config(struct chan *ch, struct chan_breaker_cfg *cfg);
int chan_guard_set_field(struct chan *ch, size_t offset, u32 value);
void chan_guard_status(struct chan *ch, struct chan_breaker_snap *snap);
void chan_guard_get_rate(struct chan *ch, u32 *rate, u32 *burst,
			 u32 *tokens, u64 *limited);
int chan_guard_set_rate(struct chan *ch, const u32 *rate, const u32 *burst);
long chan_guard_ioctl(struct chan *ch, u64 *seen, bool may_configure,
		      unsigned int cmd, unsigned long arg);

/* chaos.c APIs: */
void chan_chaos_init(struct chan *ch);
void chan_chaos_wake(struct chan *ch);
int chan_chaos_before(struct chan *ch, bool send,
		      const struct chan_timeout *to);
bool chan_chaos_fails_send(struct chan *ch);
bool chan_chaos_fails_all(struct chan *ch);
void chan_chaos_held(struct chan *ch);
u32 chan_chaos_get(struct chan *ch, enum chan_chaos_knob knob);
int chan_chaos_set(struct chan *ch, enum chan_chaos_knob knob, u32 val);

/* limits.c APIs: */
void chan_limits_get(struct chan_limits *lim);
u32 chan_stall_warn_ms(void);
int chan_budget_charge(u64 bytes, u64 max_bytes);
void chan_budget_uncharge(u64 bytes);

/* ring.c APIs: */
int chan_ring_init(struct chan_ring *ring, u32 size, u32 msg_size);
void *chan_ring_slot_alloc(u32 msg_size);
void chan_ring_slot_free(void *slot);
void chan_ring_destroy(struct chan_ring *ring);
void *chan_ring_get_slot(struct chan_ring *ring);
void chan_ring_put_slot(struct chan_ring *ring, void *slot);
void chan_ring_push_tail(struct chan_ring *ring, void *slot, u32 len);
void chan_ring_push_head(struct chan_ring *ring, void *slot, u32 len);
void *chan_ring_pop(struct chan_ring *ring, u32 *len);
u32 chan_ring_peek_len(const struct chan_ring *ring, u32 nth);
u32 chan_ring_used(const struct chan_ring *ring);
int chan_ring_resize_prepare(struct chan_resize *rs, u32 old_size,
			     u32 new_size, u32 msg_size);
int chan_ring_resize_commit(struct chan_ring *ring, struct chan_resize *rs);
void chan_ring_resize_finish(struct chan_resize *rs);

/* pin.c APIs: */
bool chan_pin_needs_spare(u32 msg_size);
int chan_pin_spare_init(struct chan_pin_spare *spare, u32 msg_size);
void chan_pin_spare_destroy(struct chan_pin_spare *spare);
int chan_pin_iter(struct chan_pin *pin, const struct iov_iter *iter,
		  size_t len, bool write, struct chan_pin_spare *spare,
		  const struct chan_timeout *to);
void chan_pin_release(struct chan_pin *pin);
size_t chan_pin_copy_from_iter(const struct chan_pin *pin, size_t len,
			       struct iov_iter *from);
size_t chan_pin_copy_to_iter(const struct chan_pin *pin, size_t len,
			     struct iov_iter *to);
void chan_pin_memcpy_from(const struct chan_pin *pin, void *dst, size_t len);
void chan_pin_memcpy_to(const struct chan_pin *pin, const void *src,
			size_t len);
void chan_pin_copy(const struct chan_pin *dst, const struct chan_pin *src,
		   size_t len);

/* wait.c APIs: */
void chan_waiter_init(struct chan_waiter *w, bool send, u32 len);
void chan_wake_add(struct chan_wakeups *wk, struct task_struct *task);
void chan_wake_flush(struct chan_wakeups *wk);
void chan_notify(struct chan *ch, __poll_t mask);
void chan_park(struct chan *ch, struct chan_waiter *w);
void chan_unpark(struct chan *ch, struct chan_waiter *w);
bool chan_waiter_claimable(const struct chan_waiter *w);
struct chan_waiter *chan_first_claimable(struct chan *ch, bool senders,
					 const atomic_t *mine);
u32 chan_count_claimable(struct chan *ch, bool senders);
struct chan_waiter *chan_claim_first(struct chan *ch, bool senders,
				     const atomic_t *mine);
void chan_unclaim(struct chan *ch, struct chan_waiter *w,
		  struct chan_wakeups *wk);
void chan_complete(struct chan *ch, struct chan_waiter *w, int result,
		   struct chan_wakeups *wk);
bool chan_kick_first(struct chan *ch, bool senders, struct chan_wakeups *wk);
void chan_complete_all(struct chan *ch, bool senders, int result,
		       struct chan_wakeups *wk);
int chan_wait(struct chan *ch, struct chan_waiter *w,
	      const struct chan_timeout *to) __releases(&ch->lock);
int chan_timeout_init(struct chan_timeout *to, s64 timeout_ns);

/*
 * A copy with page faults disabled that failed is retried after faulting
 * the pages in; past this many failures in one operation the buffer counts
 * as bad (an injected usercopy fault, or pages taken away again and again).
 */
#define CHAN_FAULT_RETRIES	8

/* "No message and no peer": the caller goes on to wait or give up. */
#define CHAN_NONE		(-ENOMSG)

/* xfer.c APIs: */
int chan_fault_in(struct iov_iter *iter, size_t len, bool dest, int *faults);
struct chan_waiter *chan_claim_sender(struct chan *ch, u32 cap,
				      const atomic_t *mine,
				      struct chan_wakeups *wk);
struct chan_waiter *chan_claim_receiver(struct chan *ch, u32 len,
					const atomic_t *mine,
					struct chan_wakeups *wk);
int chan_take_from_sender(struct chan *ch, struct iov_iter *iter, u32 cap,
			  struct chan_wakeups *wk);
int chan_give_to_receiver(struct chan *ch, struct iov_iter *from, u32 len,
			  struct chan_wakeups *wk);
bool chan_publish(struct chan *ch, void *slot, u32 len);
void chan_kick_receiver(struct chan *ch, struct chan_wakeups *wk);
int chan_file_bufs_init(struct chan_file_bufs *bufs, u32 msg_size,
			bool sends);
void chan_file_bufs_destroy(struct chan_file_bufs *bufs);
ssize_t chan_send(struct chan *ch, struct iov_iter *from,
		  const struct chan_timeout *to, struct chan_file_bufs *bufs);
ssize_t chan_recv(struct chan *ch, struct iov_iter *to_iter,
		  const struct chan_timeout *to, struct chan_file_bufs *bufs);

/* batch.c APIs: */
int chan_send_batch(struct chan *ch, const struct chan_iov __user *uvec,
		    u32 count, const struct chan_timeout *to,
		    struct chan_file_bufs *bufs, struct chan_guard_call *gc);
int chan_recv_batch(struct chan *ch, struct chan_iov __user *uvec,
		    u32 count, const struct chan_timeout *to,
		    struct chan_file_bufs *bufs);

/* core.c APIs: */
struct chan *chan_alloc(u32 capacity, u32 msg_size, u32 flags);
void chan_free(struct chan *ch);
__poll_t chan_refill_slot(struct chan *ch, void *slot,
			  struct chan_wakeups *wk);
__poll_t chan_put_slot(struct chan *ch, void *slot, struct chan_wakeups *wk);
void *chan_take_spent(struct chan *ch);
void chan_account_rx(struct chan *ch, u32 len);
u64 chan_received(struct chan *ch, u64 *bytes);
void chan_eof_check(struct chan *ch, struct chan_wakeups *wk);
int chan_admit_parking(struct chan *ch, const struct chan_waiter *w);
void chan_account_sent(struct chan *ch, u32 len);
void chan_account_received(struct chan *ch, u32 len);
void chan_close(struct chan *ch);
int chan_kill(struct chan *ch, bool force);
int chan_set_capacity(struct chan *ch, u32 capacity);
u32 chan_next_len(struct chan *ch);
s64 chan_oldest_wait_ms(struct chan *ch);
int chan_attach(struct chan *ch, fmode_t mode);
void chan_detach(struct chan *ch, fmode_t mode);
__poll_t chan_poll_mask(struct chan *ch, fmode_t mode);

/* control.c APIs: */
int chan_ctl_init(u32 max_chans);
void chan_ctl_exit(void);
int chan_ctl_register(void);
void chan_ctl_unregister(void);
int chan_ctl_check_params(const struct chan_limits *lim);
void chan_ctl_create_initial(const struct chan_limits *lim);
void chan_ctl_destroy_all(void);
int chan_ctl_validate_create(const struct chan_ctl_create *req,
			     const struct chan_limits *lim);
int chan_ids_alloc(struct xarray *ids, void *entry, s32 want, u32 max_ids,
		   u32 *id);
struct chan *chan_ctl_create_channel(const struct chan_ctl_create *req,
				     const struct chan_limits *lim);

/* select.c APIs: */
int chan_select(unsigned int cmd, unsigned long arg);

/* fops.c APIs: */
extern const struct file_operations chan_fops;
struct chan *chan_file_chan(struct file *file);

/* args.c APIs: */
/* The ioctl number without its size bits: what selects the handler. */
#define CHAN_IOC_NOSIZE(cmd)	((cmd) & ~(_IOC_SIZEMASK << _IOC_SIZESHIFT))
int chan_arg_in(void *dst, size_t ksize, size_t ver0, unsigned int cmd,
		unsigned long arg);
int chan_arg_out(unsigned int cmd, unsigned long arg, const void *src,
		 size_t ksize, size_t ver0);

/* observe.c APIs: */
int chan_observe_init(struct chan *ch);
void chan_observe_destroy(struct chan *ch);
u32 chan_hist_bucket(u64 ns);
void chan_op_done(struct chan *ch, bool send, u32 len, ktime_t since);
void chan_ops_done_now(struct chan *ch, bool send, const struct chan_iov *kv,
		       u32 n);
void chan_parked(struct chan *ch, const struct chan_waiter *w);
bool chan_sleep(struct chan *ch, const struct chan_timeout *to, ktime_t since,
		bool *warned, const char *what);
long chan_observe_ioctl(struct chan *ch, unsigned int cmd, unsigned long arg);
void chan_debugfs_init(void);
void chan_debugfs_exit(void);
void chan_debugfs_add(struct chan *ch);
void chan_debugfs_remove(struct chan *ch);

/* sysfs.c APIs: */
extern const struct attribute_group *chan_dev_groups[];
void chan_sysfs_added(struct chan *ch);

/**
 * chan_chaos_holds() - does pause_recv hold back a message from a receiver?
 * @ch: the channel.
 * @mine: the receiver's select claim word (its own send cases do not
 *	count), or NULL.
 *
 * Inline: every receive asks, and the answer is almost always no.
 *
 * Context: chan->lock held.
 * Return: true if a receive would find a message but must not take it.
 */
static inline bool chan_chaos_holds(struct chan *ch, const atomic_t *mine)
{
	lockdep_assert_held(&ch->lock);
	if (likely(!ch->chaos.pause_recv))
		return false;
	return ch->ring.count ||
	       (!ch->ring.size && chan_first_claimable(ch, true, mine));
}

#endif /* _CHAN_H */
