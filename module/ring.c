// SPDX-License-Identifier: GPL-2.0
/*
 * The bounded FIFO behind a buffered channel: capacity slots of msg_size
 * bytes, allocated when the channel is created or resized so that queueing
 * a message never allocates. Pure logic: callers hold the channel lock and
 * check for room; nothing here sleeps or touches user memory.
 */

#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <kunit/visibility.h>

#include "chan.h"

static u8 *ring_slot(const struct chan_ring *ring, u32 pos)
{
	return ring->data + (size_t)pos * ring->msg_size;
}

static u32 ring_wrap(const struct chan_ring *ring, u32 pos)
{
	return pos >= ring->capacity ? pos - ring->capacity : pos;
}

/**
 * chan_ring_alloc() - allocate an empty ring
 * @ring: the ring to set up.
 * @capacity: number of slots, may be 0.
 * @msg_size: bytes per slot, at least 1.
 *
 * Memory is charged to the caller's memory cgroup.
 *
 * Context: process context, may sleep.
 * Return: 0, -EOVERFLOW if the size does not fit, or -ENOMEM.
 */
int chan_ring_alloc(struct chan_ring *ring, u32 capacity, u32 msg_size)
{
	size_t bytes;

	memset(ring, 0, sizeof(*ring));
	ring->capacity = capacity;
	ring->msg_size = msg_size;
	if (!capacity)
		return 0;
	if (check_mul_overflow((size_t)capacity, (size_t)msg_size, &bytes))
		return -EOVERFLOW;
	ring->data = kvmalloc(bytes, GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	ring->lens = kvcalloc(capacity, sizeof(*ring->lens),
			      GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!ring->data || !ring->lens) {
		chan_ring_free(ring);
		return -ENOMEM;
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(chan_ring_alloc);

/**
 * chan_ring_free() - free the slots of a ring
 * @ring: the ring; queued messages are dropped.
 */
void chan_ring_free(struct chan_ring *ring)
{
	kvfree(ring->data);
	kvfree(ring->lens);
	ring->data = NULL;
	ring->lens = NULL;
	ring->count = 0;
}
EXPORT_SYMBOL_IF_KUNIT(chan_ring_free);

/**
 * chan_ring_push_tail() - queue a message as the newest
 * @ring: a ring with count < capacity.
 * @msg: the message.
 * @len: its length, 1..msg_size.
 */
void chan_ring_push_tail(struct chan_ring *ring, const void *msg, u32 len)
{
	u32 pos = ring_wrap(ring, ring->head + ring->count);

	memcpy(ring_slot(ring, pos), msg, len);
	ring->lens[pos] = len;
	ring->count++;
}
EXPORT_SYMBOL_IF_KUNIT(chan_ring_push_tail);

/**
 * chan_ring_push_head() - put a message back as the oldest
 * @ring: a ring with count < capacity.
 * @msg: the message.
 * @len: its length, 1..msg_size.
 */
void chan_ring_push_head(struct chan_ring *ring, const void *msg, u32 len)
{
	u32 pos = ring->head ? ring->head - 1 : ring->capacity - 1;

	memcpy(ring_slot(ring, pos), msg, len);
	ring->lens[pos] = len;
	ring->head = pos;
	ring->count++;
}
EXPORT_SYMBOL_IF_KUNIT(chan_ring_push_head);

/**
 * chan_ring_peek_len() - length of the oldest message
 * @ring: the ring.
 *
 * Return: the length, or 0 when the ring is empty.
 */
u32 chan_ring_peek_len(const struct chan_ring *ring)
{
	return ring->count ? ring->lens[ring->head] : 0;
}
EXPORT_SYMBOL_IF_KUNIT(chan_ring_peek_len);

/**
 * chan_ring_pop() - dequeue the oldest message
 * @ring: a non-empty ring.
 * @buf: room for at least chan_ring_peek_len() bytes.
 *
 * Return: the length of the message copied to @buf.
 */
u32 chan_ring_pop(struct chan_ring *ring, void *buf)
{
	u32 len = ring->lens[ring->head];

	memcpy(buf, ring_slot(ring, ring->head), len);
	ring->head = ring_wrap(ring, ring->head + 1);
	ring->count--;
	return len;
}
EXPORT_SYMBOL_IF_KUNIT(chan_ring_pop);

/**
 * chan_ring_move() - move every message of one ring to the tail of another
 * @to: destination with room for all of @from's messages, same msg_size.
 * @from: source, empty afterwards.
 */
void chan_ring_move(struct chan_ring *to, struct chan_ring *from)
{
	while (from->count) {
		u32 len = from->lens[from->head];

		chan_ring_push_tail(to, ring_slot(from, from->head), len);
		from->head = ring_wrap(from, from->head + 1);
		from->count--;
	}
	from->head = 0;
}
EXPORT_SYMBOL_IF_KUNIT(chan_ring_move);
