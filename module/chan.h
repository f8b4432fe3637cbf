/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal interfaces of the chan module: the channel object, the ring that
 * buffers its messages, the waiters parked on it, and the prototypes of each
 * file, grouped by the file that implements them.
 */
#ifndef _CHAN_H
#define _CHAN_H

#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/wait.h>
#include <linux/xarray.h>
#include <linux/chan.h>

struct task_struct;

/**
 * struct chan_ring - bounded FIFO of messages in preallocated slots
 * @data: @capacity slots of @msg_size bytes each.
 * @lens: length of the message in each slot.
 * @capacity: number of slots; 0 for an unbuffered channel.
 * @msg_size: size of a slot, the largest message.
 * @head: slot of the oldest message.
 * @count: messages queued.
 *
 * Pure data structure: no locking, no sleeping, no user copies. The caller
 * serialises and checks for room before pushing.
 */
struct chan_ring {
	u8 *data;
	u32 *lens;
	u32 capacity;
	u32 msg_size;
	u32 head;
	u32 count;
};

/* States of a parked operation, see the Locking comment in core.c. */
enum chan_wait_state {
	CHAN_WAIT_PARKED,	/* on a wait list, no peer */
	CHAN_WAIT_BUSY,		/* unbuffered send claimed, copy-out in flight */
	CHAN_WAIT_DONE,		/* @result is final; nobody refers to it */
};

/**
 * struct chan_waiter - one send or receive in progress
 * @node: entry on &chan.senders or &chan.receivers while parked.
 * @task: the task that runs the operation.
 * @state: enum chan_wait_state, published with smp_store_release().
 * @result: final result once @state is CHAN_WAIT_DONE.
 * @buf: kernel copy of the message (send) or room for it (receive).
 * @len: message length (send), or length received (receive).
 * @cap: room in @buf (receive).
 * @peer: the other side of an unbuffered hand-off whose copy-out is in
 *	flight, so that a killed sender can detach from it.
 * @from_ring: (receive) the message counts in &chan.reading and must be
 *	committed or put back by chan_recv_finish().
 * @try: a non-blocking operation: a send fails rather than parks; a
 *	receive parks only to wait for another receive's copy-out.
 * @since: when the operation parked, for the wait statistics.
 */
struct chan_waiter {
	struct list_head node;
	struct task_struct *task;
	int state;
	int result;
	void *buf;
	u32 len;
	u32 cap;
	struct chan_waiter *peer;
	bool from_ring;
	bool try;
	ktime_t since;
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
 * struct chan_stats - per-channel counters, under &chan.lock
 * @sent: messages queued or handed over.
 * @received: messages a receiver got.
 * @bytes_sent: bytes of @sent.
 * @bytes_received: bytes of @received.
 * @full: sends that found no room (or no receiver).
 * @empty: receives that found nothing.
 * @send_timeouts: sends that ended with ETIMEDOUT.
 * @recv_timeouts: receives that ended with ETIMEDOUT.
 * @interrupted: waits ended by a signal.
 * @send_wait_ns: total time senders spent parked.
 * @recv_wait_ns: total time receivers spent parked.
 * @send_wait_max_ns: longest time a sender was parked.
 * @recv_wait_max_ns: longest time a receiver was parked.
 */
struct chan_stats {
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
 * @msg_size: largest message, fixed at creation.
 * @resize_mutex: serialises capacity changes; protects @charged.
 * @charged: bytes charged against the max_bytes budget.
 * @lock: protects everything below.
 * @ring: the queued messages.
 * @reading: 1 while a receiver copies a message taken from the ring to
 *	user space, else 0; it still occupies capacity so that a fault can
 *	put it back.
 * @closed: CHAN_IOC_CLOSE (or auto-close) happened.
 * @dead: destroyed; every operation gives ENODEV.
 * @senders: parked senders, oldest first.
 * @receivers: parked receivers, oldest first.
 * @nr_senders: length of @senders.
 * @nr_receivers: length of @receivers.
 * @nr_open: open files.
 * @readers: open files with read access.
 * @writers: open files with write access.
 * @had_writer: a writer opened the channel once (auto-close).
 * @stats: counters.
 * @poll_wait: poll/epoll/select waiters, woken after the lock is dropped.
 */
struct chan {
	struct device dev;
	struct cdev cdev;
	u32 index;
	u32 flags;
	umode_t mode;
	kuid_t uid;
	kgid_t gid;
	u32 msg_size;
	struct mutex resize_mutex; /* serialises resizes, guards charged */
	u64 charged;

	spinlock_t lock; /* protects the members below */
	struct chan_ring ring;
	u32 reading;
	bool closed;
	bool dead;
	struct list_head senders;
	struct list_head receivers;
	u32 nr_senders;
	u32 nr_receivers;
	u32 nr_open;
	u32 readers;
	u32 writers;
	bool had_writer;
	struct chan_stats stats;

	wait_queue_head_t poll_wait;
};

/**
 * struct chan_limits - the module parameters that bound a channel
 * @max_chans: channels that may exist at once.
 * @max_capacity: largest capacity.
 * @max_msg_size: largest message size.
 * @max_bytes: budget of capacity x msg_size over all channels.
 */
struct chan_limits {
	u32 max_chans;
	u32 max_capacity;
	u32 max_msg_size;
	u64 max_bytes;
};

/* main.c APIs: */
void chan_limits_get(struct chan_limits *lim);

/* ring.c APIs: */
int chan_ring_alloc(struct chan_ring *ring, u32 capacity, u32 msg_size);
void chan_ring_free(struct chan_ring *ring);
void chan_ring_push_tail(struct chan_ring *ring, const void *msg, u32 len);
void chan_ring_push_head(struct chan_ring *ring, const void *msg, u32 len);
u32 chan_ring_peek_len(const struct chan_ring *ring);
u32 chan_ring_pop(struct chan_ring *ring, void *buf);
void chan_ring_move(struct chan_ring *to, struct chan_ring *from);

/* core.c APIs: */
struct chan *chan_alloc(u32 capacity, u32 msg_size, u32 flags);
void chan_free(struct chan *ch);
int chan_send(struct chan *ch, const void *msg, u32 len,
	      const struct chan_timeout *to);
int chan_recv_start(struct chan *ch, struct chan_waiter *w,
		    const struct chan_timeout *to);
void chan_recv_finish(struct chan *ch, struct chan_waiter *w, bool delivered);
void chan_close(struct chan *ch);
int chan_kill(struct chan *ch, bool force);
int chan_set_capacity(struct chan *ch, u32 capacity);
u32 chan_next_len(struct chan *ch);
int chan_attach(struct chan *ch, fmode_t mode);
void chan_detach(struct chan *ch, fmode_t mode);
__poll_t chan_poll_mask(struct chan *ch, fmode_t mode);
int chan_timeout_init(struct chan_timeout *to, s64 timeout_ns);

/* control.c APIs: */
int chan_budget_charge(u64 bytes, u64 max_bytes);
void chan_budget_uncharge(u64 bytes);
int chan_ctl_init(u32 max_chans);
void chan_ctl_exit(void);
int chan_ctl_register(void);
void chan_ctl_unregister(void);
void chan_ctl_destroy_all(void);
int chan_ctl_validate_create(const struct chan_ctl_create *req,
			     const struct chan_limits *lim);
int chan_ids_alloc(struct xarray *ids, void *entry, s32 want, u32 max_ids,
		   u32 *id);
struct chan *chan_ctl_create_channel(const struct chan_ctl_create *req,
				     const struct chan_limits *lim);

/* fops.c APIs: */
extern const struct file_operations chan_fops;

/* args.c APIs: */
/* The ioctl number without its size bits: what selects the handler. */
#define CHAN_IOC_NOSIZE(cmd)	((cmd) & ~(_IOC_SIZEMASK << _IOC_SIZESHIFT))
int chan_arg_in(void *dst, size_t ksize, size_t ver0, unsigned int cmd,
		unsigned long arg);
int chan_arg_out(unsigned int cmd, unsigned long arg, const void *src,
		 size_t ksize, size_t ver0);

/* sysfs.c APIs: */
extern const struct attribute_group *chan_dev_groups[];

#endif /* _CHAN_H */
