// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite chan_ring: the slots and the queue of module/ring.c.
 */

#include <kunit/test.h>
#include <linux/string.h>

#include "chan.h"
#include "suites.h"

/* Take a free slot, write @v into it and queue it. */
static void put_u32(struct kunit *test, struct chan_ring *ring, u32 v)
{
	void *slot = chan_ring_get_slot(ring);

	KUNIT_ASSERT_NOT_NULL(test, slot);
	memcpy(slot, &v, sizeof(v));
	chan_ring_push_tail(ring, slot, sizeof(v));
}

/* Pop the oldest message, check it holds @want, free its slot. */
static void expect_u32(struct kunit *test, struct chan_ring *ring, u32 want)
{
	u32 len, v;
	void *slot;

	KUNIT_ASSERT_GT(test, ring->count, 0U);
	slot = chan_ring_pop(ring, &len);
	KUNIT_EXPECT_EQ(test, len, (u32)sizeof(v));
	memcpy(&v, slot, sizeof(v));
	KUNIT_EXPECT_EQ(test, v, want);
	chan_ring_put_slot(ring, slot);
}

static void ring_init_allocates_every_slot(struct kunit *test)
{
	struct chan_ring ring;
	void *slots[3];
	int i;

	KUNIT_ASSERT_EQ(test, chan_ring_init(&ring, 3, 64), 0);
	KUNIT_EXPECT_EQ(test, ring.size, 3U);
	KUNIT_EXPECT_EQ(test, chan_ring_used(&ring), 0U);
	for (i = 0; i < 3; i++) {
		slots[i] = chan_ring_get_slot(&ring);
		KUNIT_ASSERT_NOT_NULL(test, slots[i]);
		memset(slots[i], i, 64);	/* KASAN: each is msg_size */
	}
	KUNIT_EXPECT_NULL(test, chan_ring_get_slot(&ring));
	KUNIT_EXPECT_EQ(test, chan_ring_used(&ring), 3U);
	KUNIT_EXPECT_TRUE(test, slots[0] != slots[1] && slots[1] != slots[2]);
	for (i = 0; i < 3; i++)
		chan_ring_put_slot(&ring, slots[i]);
	/* The last slot freed is reused first (cache-hot). */
	KUNIT_EXPECT_PTR_EQ(test, chan_ring_get_slot(&ring), slots[2]);
	chan_ring_put_slot(&ring, slots[2]);
	chan_ring_destroy(&ring);
}

static void ring_queue_is_fifo_across_wraps(struct kunit *test)
{
	struct chan_ring ring;
	u32 i;

	KUNIT_ASSERT_EQ(test, chan_ring_init(&ring, 4, sizeof(u32)), 0);
	for (i = 0; i < 4; i++)
		put_u32(test, &ring, i);
	KUNIT_EXPECT_EQ(test, ring.count, 4U);
	for (i = 0; i < 100; i++) {
		expect_u32(test, &ring, i);
		put_u32(test, &ring, i + 4);
	}
	KUNIT_EXPECT_EQ(test, chan_ring_peek_len(&ring, 3), (u32)sizeof(u32));
	KUNIT_EXPECT_EQ(test, chan_ring_peek_len(&ring, 4), 0U);
	chan_ring_destroy(&ring);
}

static void ring_push_head_puts_back_first(struct kunit *test)
{
	struct chan_ring ring;
	void *slot;
	u32 len, v = 9;

	KUNIT_ASSERT_EQ(test, chan_ring_init(&ring, 3, sizeof(u32)), 0);
	put_u32(test, &ring, 1);
	put_u32(test, &ring, 2);
	slot = chan_ring_pop(&ring, &len);
	chan_ring_push_head(&ring, slot, len);
	KUNIT_EXPECT_EQ(test, ring.count, 2U);
	expect_u32(test, &ring, 1);
	expect_u32(test, &ring, 2);
	chan_ring_destroy(&ring);

	/* Putting back with the head at entry 0 wraps to the last entry. */
	KUNIT_ASSERT_EQ(test, chan_ring_init(&ring, 3, sizeof(u32)), 0);
	slot = chan_ring_get_slot(&ring);
	memcpy(slot, &v, sizeof(v));
	chan_ring_push_head(&ring, slot, sizeof(v));
	KUNIT_EXPECT_EQ(test, ring.head, 2U);
	put_u32(test, &ring, 10);
	expect_u32(test, &ring, 9);
	expect_u32(test, &ring, 10);
	chan_ring_destroy(&ring);
}

static void ring_resize_grow_keeps_messages(struct kunit *test)
{
	struct chan_ring ring;
	struct chan_resize rs;
	u32 i;

	KUNIT_ASSERT_EQ(test, chan_ring_init(&ring, 3, sizeof(u32)), 0);
	for (i = 0; i < 3; i++)
		put_u32(test, &ring, i);
	expect_u32(test, &ring, 0);
	put_u32(test, &ring, 3);	/* queue wrapped: head is 1 */
	KUNIT_ASSERT_EQ(test, chan_ring_resize_prepare(&rs, 3, 5, sizeof(u32)),
			0);
	KUNIT_ASSERT_EQ(test, chan_ring_resize_commit(&ring, &rs), 0);
	chan_ring_resize_finish(&rs);
	KUNIT_EXPECT_EQ(test, ring.size, 5U);
	KUNIT_EXPECT_EQ(test, ring.nr_free, 2U);
	put_u32(test, &ring, 4);
	put_u32(test, &ring, 5);
	KUNIT_EXPECT_NULL(test, chan_ring_get_slot(&ring));
	for (i = 1; i <= 5; i++)
		expect_u32(test, &ring, i);
	chan_ring_destroy(&ring);
}

static void ring_resize_shrink_gives_up_free_slots(struct kunit *test)
{
	struct chan_ring ring;
	struct chan_resize rs;
	void *held;

	KUNIT_ASSERT_EQ(test, chan_ring_init(&ring, 4, sizeof(u32)), 0);
	put_u32(test, &ring, 7);
	held = chan_ring_get_slot(&ring);	/* a send filling it */
	KUNIT_ASSERT_NOT_NULL(test, held);
	/* Two slots in use: shrinking to 1 is refused, nothing changes. */
	KUNIT_ASSERT_EQ(test, chan_ring_resize_prepare(&rs, 4, 1, sizeof(u32)),
			0);
	KUNIT_EXPECT_EQ(test, chan_ring_resize_commit(&ring, &rs), -EBUSY);
	chan_ring_resize_finish(&rs);
	KUNIT_EXPECT_EQ(test, ring.size, 4U);
	KUNIT_EXPECT_EQ(test, ring.nr_free, 2U);
	/* Shrinking to 2 keeps both, gives up the two free ones. */
	KUNIT_ASSERT_EQ(test, chan_ring_resize_prepare(&rs, 4, 2, sizeof(u32)),
			0);
	KUNIT_EXPECT_EQ(test, chan_ring_resize_commit(&ring, &rs), 0);
	KUNIT_EXPECT_EQ(test, rs.nr_slots, 2U);
	chan_ring_resize_finish(&rs);
	KUNIT_EXPECT_EQ(test, ring.size, 2U);
	KUNIT_EXPECT_EQ(test, ring.nr_free, 0U);
	chan_ring_put_slot(&ring, held);
	KUNIT_EXPECT_EQ(test, chan_ring_used(&ring), 1U);
	expect_u32(test, &ring, 7);
	chan_ring_destroy(&ring);
}

static void ring_size_zero_has_no_slots(struct kunit *test)
{
	struct chan_ring ring;
	struct chan_resize rs;

	KUNIT_ASSERT_EQ(test, chan_ring_init(&ring, 0, 4096), 0);
	KUNIT_EXPECT_NULL(test, chan_ring_get_slot(&ring));
	KUNIT_EXPECT_EQ(test, chan_ring_peek_len(&ring, 0), 0U);
	KUNIT_EXPECT_EQ(test, chan_ring_used(&ring), 0U);
	/* 0 -> 2 -> 0 */
	KUNIT_ASSERT_EQ(test, chan_ring_resize_prepare(&rs, 0, 2, 4096), 0);
	KUNIT_ASSERT_EQ(test, chan_ring_resize_commit(&ring, &rs), 0);
	chan_ring_resize_finish(&rs);
	KUNIT_EXPECT_EQ(test, ring.nr_free, 2U);
	KUNIT_ASSERT_EQ(test, chan_ring_resize_prepare(&rs, 2, 0, 4096), 0);
	KUNIT_ASSERT_EQ(test, chan_ring_resize_commit(&ring, &rs), 0);
	chan_ring_resize_finish(&rs);
	KUNIT_EXPECT_EQ(test, ring.size, 0U);
	KUNIT_EXPECT_NULL(test, chan_ring_get_slot(&ring));
	chan_ring_destroy(&ring);
}

static struct kunit_case chan_ring_cases[] = {
	KUNIT_CASE(ring_init_allocates_every_slot),
	KUNIT_CASE(ring_queue_is_fifo_across_wraps),
	KUNIT_CASE(ring_push_head_puts_back_first),
	KUNIT_CASE(ring_resize_grow_keeps_messages),
	KUNIT_CASE(ring_resize_shrink_gives_up_free_slots),
	KUNIT_CASE(ring_size_zero_has_no_slots),
	{}
};

struct kunit_suite chan_ring_suite = {
	.name = "chan_ring",
	.test_cases = chan_ring_cases,
};
