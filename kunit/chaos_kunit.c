// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite chan_chaos: the chaos knobs (chaos.c) on channels driven
 * directly: their ranges, pause_recv holding messages back from every
 * receive decision (try-receive, poll, FIONREAD, end of file) and from
 * parked receivers, lifting it, and send_fail_ppm failing every send.
 */
#include <kunit/test.h>

#include "chan_test.h"

static void chaos_knobs_check_their_ranges(struct kunit *test)
{
	struct chan *ch = kt_new_chan(test, 1, sizeof(u32));

	KUNIT_EXPECT_EQ(test, chan_chaos_set(ch, CHAN_CHAOS_SEND_DELAY_US,
					     60000001), -EINVAL);
	KUNIT_EXPECT_EQ(test, chan_chaos_set(ch, CHAN_CHAOS_RECV_DELAY_US,
					     60000000), 0);
	KUNIT_EXPECT_EQ(test, chan_chaos_set(ch, CHAN_CHAOS_SEND_FAIL_PPM,
					     1000001), -EINVAL);
	KUNIT_EXPECT_EQ(test, chan_chaos_set(ch, CHAN_CHAOS_PAUSE_RECV, 2),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, chan_chaos_get(ch, CHAN_CHAOS_RECV_DELAY_US),
			60000000U);
	KUNIT_EXPECT_EQ(test, chan_chaos_get(ch, CHAN_CHAOS_SEND_FAIL_PPM), 0U);
	KUNIT_EXPECT_TRUE(test, ch->chaos.armed);
	KUNIT_EXPECT_EQ(test, chan_chaos_set(ch, CHAN_CHAOS_RECV_DELAY_US, 0),
			0);
	KUNIT_EXPECT_FALSE(test, ch->chaos.armed);
	chan_kill(ch, true);
	KUNIT_EXPECT_EQ(test, chan_chaos_set(ch, CHAN_CHAOS_PAUSE_RECV, 1),
			-ENODEV);
	chan_free(ch);
}

static void chaos_pause_holds_queued_messages(struct kunit *test)
{
	struct chan *ch = kt_new_chan(test, 4, sizeof(u32));
	u32 v;

	kt_send_u32(ch, 1);
	kt_send_u32(ch, 2);
	KUNIT_ASSERT_EQ(test, chan_chaos_set(ch, CHAN_CHAOS_PAUSE_RECV, 1), 0);
	KUNIT_EXPECT_EQ(test, kt_recv_u32(ch, &v), -EAGAIN);
	KUNIT_EXPECT_EQ(test, chan_poll_mask(ch, FMODE_READ), 0U);
	KUNIT_EXPECT_EQ(test, chan_next_len(ch), 0U);
	/* Closed with messages held back: no end of file yet. */
	chan_close(ch);
	KUNIT_EXPECT_EQ(test, kt_recv_u32(ch, &v), -EAGAIN);
	KUNIT_EXPECT_EQ(test, chan_poll_mask(ch, FMODE_READ), 0U);
	KUNIT_EXPECT_EQ(test, atomic64_read(&ch->chaos.injected), 2LL);
	KUNIT_ASSERT_EQ(test, chan_chaos_set(ch, CHAN_CHAOS_PAUSE_RECV, 0), 0);
	KUNIT_EXPECT_EQ(test, kt_recv_u32(ch, &v), (int)sizeof(v));
	KUNIT_EXPECT_EQ(test, v, 1U);
	KUNIT_EXPECT_EQ(test, kt_recv_u32(ch, &v), (int)sizeof(v));
	KUNIT_EXPECT_EQ(test, v, 2U);
	KUNIT_EXPECT_EQ(test, kt_recv_u32(ch, &v), 0);
	chan_free(ch);
}

static void chaos_pause_kicks_no_parked_receiver(struct kunit *test)
{
	struct chan *ch = kt_new_chan(test, 2, sizeof(u32));
	struct chan_waiter r1, r2;

	chan_waiter_init(&r1, false, sizeof(u32));
	chan_waiter_init(&r2, false, sizeof(u32));
	kt_park(ch, &r1);
	kt_park(ch, &r2);
	KUNIT_ASSERT_EQ(test, chan_chaos_set(ch, CHAN_CHAOS_PAUSE_RECV, 1), 0);
	KUNIT_EXPECT_EQ(test, kt_send_u32(ch, 3), 0);
	KUNIT_EXPECT_EQ(test, r1.state, (int)CHAN_WAIT_PARKED);
	KUNIT_EXPECT_EQ(test, r2.state, (int)CHAN_WAIT_PARKED);
	/* Lifted: the first is sent for the message, the second waits. */
	KUNIT_ASSERT_EQ(test, chan_chaos_set(ch, CHAN_CHAOS_PAUSE_RECV, 0), 0);
	KUNIT_EXPECT_EQ(test, r1.result, CHAN_RESULT_RETRY);
	KUNIT_EXPECT_EQ(test, r2.state, (int)CHAN_WAIT_PARKED);
	spin_lock(&ch->lock);
	chan_unpark(ch, &r2);
	spin_unlock(&ch->lock);
	chan_free(ch);
}

static void chaos_pause_blocks_unbuffered_handoff(struct kunit *test)
{
	struct chan *ch = kt_new_chan(test, 0, 16);
	char *page = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	struct chan_waiter r;
	struct bio_vec bv;

	KUNIT_ASSERT_NOT_NULL(test, page);
	kt_park_pinned_receiver(test, ch, &r, &bv, page, 16);
	KUNIT_ASSERT_EQ(test, chan_chaos_set(ch, CHAN_CHAOS_PAUSE_RECV, 1), 0);
	KUNIT_EXPECT_EQ(test, chan_poll_mask(ch, FMODE_WRITE), 0U);
	KUNIT_EXPECT_EQ(test, kt_send_buf(ch, "held", 5), -EAGAIN);
	KUNIT_EXPECT_EQ(test, r.state, (int)CHAN_WAIT_PARKED);
	KUNIT_ASSERT_EQ(test, chan_chaos_set(ch, CHAN_CHAOS_PAUSE_RECV, 0), 0);
	KUNIT_EXPECT_EQ(test, kt_send_buf(ch, "go", 3), 0);
	KUNIT_EXPECT_EQ(test, r.result, 3);
	KUNIT_EXPECT_STREQ(test, page, "go");
	chan_pin_release(&r.pin);
	chan_free(ch);
}

static void chaos_fail_ppm_fails_every_send(struct kunit *test)
{
	struct chan *ch = kt_new_chan(test, 4, sizeof(u32));

	KUNIT_ASSERT_EQ(test, chan_chaos_set(ch, CHAN_CHAOS_SEND_FAIL_PPM,
					     1000000), 0);
	KUNIT_EXPECT_EQ(test, chan_poll_mask(ch, FMODE_WRITE), 0U);
	KUNIT_EXPECT_EQ(test, kt_send_u32(ch, 1), -EAGAIN);
	KUNIT_EXPECT_EQ(test, ch->ring.count, 0U);
	KUNIT_EXPECT_EQ(test, ch->stats.full, 1ULL);
	KUNIT_EXPECT_TRUE(test, chan_chaos_fails_send(ch));
	KUNIT_ASSERT_EQ(test, chan_chaos_set(ch, CHAN_CHAOS_SEND_FAIL_PPM, 0),
			0);
	KUNIT_EXPECT_EQ(test, kt_send_u32(ch, 1), 0);
	KUNIT_EXPECT_EQ(test, atomic64_read(&ch->chaos.injected), 2LL);
	chan_free(ch);
}

static struct kunit_case chan_chaos_cases[] = {
	KUNIT_CASE(chaos_knobs_check_their_ranges),
	KUNIT_CASE(chaos_pause_holds_queued_messages),
	KUNIT_CASE(chaos_pause_kicks_no_parked_receiver),
	KUNIT_CASE(chaos_pause_blocks_unbuffered_handoff),
	KUNIT_CASE(chaos_fail_ppm_fails_every_send),
	{}
};

struct kunit_suite chan_chaos_suite = {
	.name = "chan_chaos",
	.test_cases = chan_chaos_cases,
};
