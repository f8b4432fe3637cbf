// SPDX-License-Identifier: GPL-2.0
/*
 * The slots of a buffered channel and the FIFO queue through them. Each
 * slot is a msg_size buffer allocated when the channel is created or
 * resized, so that no message ever allocates; the queue and the free stack
 * hold pointers to slots, so that taking, queueing, putting back and
 * resizing move pointers, never message bytes. Pure logic: callers hold
 * the channel lock; nothing here touches user memory, and only the
 * preparation and finishing of a resize sleep (to allocate and free).
 */

#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <kunit/visibility.h>

#include "chan.h"

/*
 * Charged to the memory cgroup; over its memory.max the allocation fails
 * (ENOMEM to the caller) rather than the cgroup's OOM killer killing it.
 */
#define CHAN_RING_GFP	(GFP_KERNEL_ACCOUNT | __GFP_NOWARN | __GFP_RETRY_MAYFAIL)

static u32 ring_wrap(const struct chan_ring *ring, u32 pos)
{
	return pos >= ring->size ? pos - ring->size : pos;
}

/**
 * chan_ring_slot_alloc() - allocate one slot
 * @msg_size: its size.
 *
 * Every slot of every ring is allocated here, so that slots can change
 * hands (a sender's staging slot and a ring's free slot swap places).
 *
 * Context: process context, may sleep.
 * Return: the slot, or NULL.
 */
void *chan_ring_slot_alloc(u32 msg_size)
{
	return kvmalloc(msg_size, CHAN_RING_GFP);
}

/**
 * chan_ring_slot_free() - free a slot from chan_ring_slot_alloc()
 * @slot: the slot, or NULL.
 */
void chan_ring_slot_free(void *slot)
{
	kvfree(slot);
}

static void free_slots(void **slots, u32 n)
{
	while (n)
		chan_ring_slot_free(slots[--n]);
}

/* Fill @slots[0..n) with new slots; on failure frees what it made. */
static int alloc_slots(void **slots, u32 n, u32 msg_size)
{
	u32 i;

	for (i = 0; i < n; i++) {
		slots[i] = chan_ring_slot_alloc(msg_size);
		if (!slots[i]) {
			free_slots(slots, i);
			return -ENOMEM;
		}
	}
	return 0;
}

/**
 * chan_ring_resize_prepare() - allocate what a resize needs
 * @rs: filled in.
 * @old_size: the ring's size now (the caller serialises resizes).
 * @new_size: the size wanted.
 * @msg_size: bytes per slot.
 *
 * Allocates the new queue and free stack and, when growing, the new slots;
 * when shrinking, room to collect the slots given up. Charged to the
 * caller's memory cgroup.
 *
 * Context: process context, may sleep.
 * Return: 0 or -ENOMEM.
 */
int chan_ring_resize_prepare(struct chan_resize *rs, u32 old_size,
			     u32 new_size, u32 msg_size)
{
	u32 delta = new_size > old_size ? new_size - old_size :
		old_size - new_size;

	memset(rs, 0, sizeof(*rs));
	rs->old_size = old_size;
	rs->size = new_size;
	if (new_size) {
		rs->queue = kvmalloc_array(new_size, sizeof(*rs->queue),
					   CHAN_RING_GFP);
		rs->free = kvmalloc_array(new_size, sizeof(*rs->free),
					  CHAN_RING_GFP);
		if (!rs->queue || !rs->free)
			goto err;
	}
	if (delta) {
		rs->slots = kvmalloc_array(delta, sizeof(*rs->slots),
					   CHAN_RING_GFP);
		if (!rs->slots)
			goto err;
	}
	if (new_size > old_size) {
		if (alloc_slots(rs->slots, delta, msg_size))
			goto err;
		rs->nr_slots = delta;
	}
	return 0;
err:
	chan_ring_resize_finish(rs);
	return -ENOMEM;
}
EXPORT_SYMBOL_IF_KUNIT(chan_ring_resize_prepare);

/**
 * chan_ring_resize_commit() - switch a ring to the prepared size
 * @ring: the ring, with the size @rs was prepared from.
 * @rs: a prepared resize; afterwards it holds what is to be freed.
 *
 * Moves the queued messages and free slots into the new arrays, adding the
 * new slots or taking out the ones given up. Moves at most @size pointers;
 * the messages themselves stay where they are.
 *
 * Return: 0, or -EBUSY if more slots are in use than the new size (the
 * ring is unchanged then).
 */
int chan_ring_resize_commit(struct chan_ring *ring, struct chan_resize *rs)
{
	struct chan_msg *queue = ring->queue;
	void **free = ring->free;
	u32 used = chan_ring_used(ring), i, nr_free;

	if (WARN_ON_ONCE(rs->old_size != ring->size))
		return -EBUSY;
	if (used > rs->size)
		return -EBUSY;
	for (i = 0; i < ring->count; i++)
		rs->queue[i] = queue[ring_wrap(ring, ring->head + i)];
	nr_free = ring->nr_free;
	if (rs->size < ring->size) {
		/* used <= size: at least ring->size - size slots are free. */
		rs->nr_slots = ring->size - rs->size;
		nr_free -= rs->nr_slots;
		memcpy(rs->slots, free + nr_free,
		       rs->nr_slots * sizeof(*free));
	}
	if (nr_free)
		memcpy(rs->free, free, nr_free * sizeof(*free));
	if (rs->size > ring->size) {
		memcpy(rs->free + nr_free, rs->slots,
		       rs->nr_slots * sizeof(*free));
		nr_free += rs->nr_slots;
		rs->nr_slots = 0;
	}
	ring->queue = rs->queue;
	ring->free = rs->free;
	ring->size = rs->size;
	ring->head = 0;
	ring->nr_free = nr_free;
	/* @rs now carries the old arrays, to be freed. */
	rs->queue = queue;
	rs->free = free;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(chan_ring_resize_commit);

/**
 * chan_ring_resize_finish() - free what a resize left over
 * @rs: a prepared resize, committed or not.
 *
 * Context: process context, may sleep.
 */
void chan_ring_resize_finish(struct chan_resize *rs)
{
	free_slots(rs->slots, rs->nr_slots);
	kvfree(rs->slots);
	kvfree(rs->queue);
	kvfree(rs->free);
	memset(rs, 0, sizeof(*rs));
}
EXPORT_SYMBOL_IF_KUNIT(chan_ring_resize_finish);

/**
 * chan_ring_init() - set up a ring with all its slots
 * @ring: the ring.
 * @size: number of slots, may be 0.
 * @msg_size: bytes per slot, at least 1.
 *
 * Context: process context, may sleep.
 * Return: 0 or -ENOMEM.
 */
int chan_ring_init(struct chan_ring *ring, u32 size, u32 msg_size)
{
	struct chan_resize rs;
	int ret;

	memset(ring, 0, sizeof(*ring));
	ring->msg_size = msg_size;
	ret = chan_ring_resize_prepare(&rs, 0, size, msg_size);
	if (ret)
		return ret;
	ret = chan_ring_resize_commit(ring, &rs);
	chan_ring_resize_finish(&rs);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(chan_ring_init);

/**
 * chan_ring_destroy() - free a ring and its slots
 * @ring: a ring no operation holds a slot of; queued messages are dropped.
 */
void chan_ring_destroy(struct chan_ring *ring)
{
	while (ring->count) {
		u32 len;

		chan_ring_slot_free(chan_ring_pop(ring, &len));
	}
	free_slots(ring->free, ring->nr_free);
	kvfree(ring->queue);
	kvfree(ring->free);
	memset(ring, 0, sizeof(*ring));
}
EXPORT_SYMBOL_IF_KUNIT(chan_ring_destroy);

/**
 * chan_ring_used() - slots not on the free stack
 * @ring: the ring.
 *
 * Return: queued messages plus slots held by operations.
 */
u32 chan_ring_used(const struct chan_ring *ring)
{
	return ring->size - ring->nr_free;
}
EXPORT_SYMBOL_IF_KUNIT(chan_ring_used);

/**
 * chan_ring_get_slot() - take a free slot
 * @ring: the ring.
 *
 * Return: the slot, or NULL when every slot is in use (the channel is full).
 */
void *chan_ring_get_slot(struct chan_ring *ring)
{
	return ring->nr_free ? ring->free[--ring->nr_free] : NULL;
}
EXPORT_SYMBOL_IF_KUNIT(chan_ring_get_slot);

/**
 * chan_ring_put_slot() - give back a slot taken with chan_ring_get_slot()
 *	or chan_ring_pop()
 * @ring: the ring.
 * @slot: the slot.
 */
void chan_ring_put_slot(struct chan_ring *ring, void *slot)
{
	ring->free[ring->nr_free++] = slot;
}
EXPORT_SYMBOL_IF_KUNIT(chan_ring_put_slot);

/**
 * chan_ring_push_tail() - queue a filled slot as the newest message
 * @ring: the ring.
 * @slot: a slot the caller holds.
 * @len: the message length, 1..msg_size.
 */
void chan_ring_push_tail(struct chan_ring *ring, void *slot, u32 len)
{
	struct chan_msg *m = &ring->queue[ring_wrap(ring, ring->head +
						    ring->count)];

	m->data = slot;
	m->len = len;
	ring->count++;
}
EXPORT_SYMBOL_IF_KUNIT(chan_ring_push_tail);

/**
 * chan_ring_push_head() - put a message back as the oldest
 * @ring: the ring.
 * @slot: a slot the caller took with chan_ring_pop().
 * @len: the message length.
 */
void chan_ring_push_head(struct chan_ring *ring, void *slot, u32 len)
{
	ring->head = ring->head ? ring->head - 1 : ring->size - 1;
	ring->queue[ring->head].data = slot;
	ring->queue[ring->head].len = len;
	ring->count++;
}
EXPORT_SYMBOL_IF_KUNIT(chan_ring_push_head);

/**
 * chan_ring_peek_len() - length of a queued message
 * @ring: the ring.
 * @nth: 0 for the oldest message, 1 for the next, ...
 *
 * Return: the length, or 0 when fewer than @nth + 1 messages are queued.
 */
u32 chan_ring_peek_len(const struct chan_ring *ring, u32 nth)
{
	if (nth >= ring->count)
		return 0;
	return ring->queue[ring_wrap(ring, ring->head + nth)].len;
}
EXPORT_SYMBOL_IF_KUNIT(chan_ring_peek_len);

/**
 * chan_ring_pop() - take the oldest message
 * @ring: a ring with a message queued.
 * @len: its length.
 *
 * Return: its slot, now held by the caller.
 */
void *chan_ring_pop(struct chan_ring *ring, u32 *len)
{
	struct chan_msg *m = &ring->queue[ring->head];

	*len = m->len;
	ring->head = ring_wrap(ring, ring->head + 1);
	ring->count--;
	return m->data;
}
EXPORT_SYMBOL_IF_KUNIT(chan_ring_pop);
