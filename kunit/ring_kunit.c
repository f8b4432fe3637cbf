// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite chan_ring: the bounded FIFO of module/ring.c.
 */

#include <kunit/test.h>
#include <linux/string.h>

#include "chan.h"
#include "suites.h"

static void ring_push_pop_keeps_fifo_and_lengths(struct kunit *test)
{
	struct chan_ring ring;
	char buf[8];
	u32 i;

	KUNIT_ASSERT_EQ(test, chan_ring_alloc(&ring, 3, 8), 0);
	for (i = 0; i < 10; i++) {
		char msg[8];

		memset(msg, 'a' + i, sizeof(msg));
		chan_ring_push_tail(&ring, msg, i % 8 + 1);
		KUNIT_EXPECT_EQ(test, chan_ring_peek_len(&ring), i % 8 + 1);
		KUNIT_EXPECT_EQ(test, chan_ring_pop(&ring, buf), i % 8 + 1);
		KUNIT_EXPECT_EQ(test, buf[0], (char)('a' + i));
		KUNIT_EXPECT_EQ(test, ring.count, 0U);
	}
	chan_ring_free(&ring);
}

static void ring_wraps_around_when_full(struct kunit *test)
{
	struct chan_ring ring;
	u32 v, i;

	KUNIT_ASSERT_EQ(test, chan_ring_alloc(&ring, 4, sizeof(u32)), 0);
	for (i = 0; i < 4; i++)
		chan_ring_push_tail(&ring, &i, sizeof(i));
	KUNIT_EXPECT_EQ(test, ring.count, 4U);
	for (i = 0; i < 100; i++) {
		u32 next = i + 4;

		KUNIT_EXPECT_EQ(test, chan_ring_pop(&ring, &v), (u32)sizeof(v));
		KUNIT_EXPECT_EQ(test, v, i);
		chan_ring_push_tail(&ring, &next, sizeof(next));
	}
	chan_ring_free(&ring);
}

static void ring_push_head_puts_back_first(struct kunit *test)
{
	struct chan_ring ring;
	u32 v, i;

	KUNIT_ASSERT_EQ(test, chan_ring_alloc(&ring, 3, sizeof(u32)), 0);
	for (i = 1; i <= 2; i++)
		chan_ring_push_tail(&ring, &i, sizeof(i));
	chan_ring_pop(&ring, &v);
	KUNIT_EXPECT_EQ(test, v, 1U);
	/* Head is slot 1 now; putting back must land in slot 0. */
	chan_ring_push_head(&ring, &v, sizeof(v));
	chan_ring_pop(&ring, &v);
	KUNIT_EXPECT_EQ(test, v, 1U);
	chan_ring_pop(&ring, &v);
	chan_ring_push_head(&ring, &v, sizeof(v));
	KUNIT_EXPECT_EQ(test, ring.count, 1U);
	chan_ring_pop(&ring, &v);
	KUNIT_EXPECT_EQ(test, v, 2U);
	/* Put back at slot 0 wraps to the last slot. */
	ring.head = 0;
	chan_ring_push_head(&ring, &v, sizeof(v));
	KUNIT_EXPECT_EQ(test, ring.head, 2U);
	chan_ring_free(&ring);
}

static void ring_move_keeps_order(struct kunit *test)
{
	struct chan_ring from, to;
	u32 v, i;

	KUNIT_ASSERT_EQ(test, chan_ring_alloc(&from, 3, sizeof(u32)), 0);
	KUNIT_ASSERT_EQ(test, chan_ring_alloc(&to, 5, sizeof(u32)), 0);
	for (i = 0; i < 5; i++) {
		chan_ring_push_tail(&from, &i, sizeof(i));
		if (i < 2)
			chan_ring_pop(&from, &v);
	}
	chan_ring_move(&to, &from);
	KUNIT_EXPECT_EQ(test, from.count, 0U);
	KUNIT_EXPECT_EQ(test, to.count, 3U);
	for (i = 2; i < 5; i++) {
		chan_ring_pop(&to, &v);
		KUNIT_EXPECT_EQ(test, v, i);
	}
	chan_ring_free(&from);
	chan_ring_free(&to);
}

static void ring_alloc_zero_capacity_has_no_slots(struct kunit *test)
{
	struct chan_ring ring;

	KUNIT_ASSERT_EQ(test, chan_ring_alloc(&ring, 0, 4096), 0);
	KUNIT_EXPECT_NULL(test, ring.data);
	KUNIT_EXPECT_EQ(test, chan_ring_peek_len(&ring), 0U);
	chan_ring_free(&ring);
}

static struct kunit_case chan_ring_cases[] = {
	KUNIT_CASE(ring_push_pop_keeps_fifo_and_lengths),
	KUNIT_CASE(ring_wraps_around_when_full),
	KUNIT_CASE(ring_push_head_puts_back_first),
	KUNIT_CASE(ring_move_keeps_order),
	KUNIT_CASE(ring_alloc_zero_capacity_has_no_slots),
	{}
};

struct kunit_suite chan_ring_suite = {
	.name = "chan_ring",
	.test_cases = chan_ring_cases,
};
