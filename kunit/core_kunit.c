// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suites chan_core and chan_wait: the channel state logic of
 * module/core.c and module/xfer.c driven with kernel buffers and try
 * operations, and the waiter protocol of module/wait.c (claim, kick,
 * give back, complete) with waiters parked by the test itself.
 */

#include <kunit/test.h>
#include <linux/mm.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uio.h>

#include "chan.h"
#include "chan_test.h"
#include "suites.h"

static void core_buffered_fifo_and_try_ops(struct kunit *test)
{
	struct chan *ch = kt_new_chan(test, 3, sizeof(u32));
	u32 v, i;

	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_EQ(test, kt_send_u32(ch, i), 0);
	KUNIT_EXPECT_EQ(test, kt_send_u32(ch, 99), -EAGAIN);
	for (i = 0; i < 3; i++) {
		KUNIT_EXPECT_EQ(test, kt_recv_u32(ch, &v), (int)sizeof(v));
		KUNIT_EXPECT_EQ(test, v, i);
	}
	KUNIT_EXPECT_EQ(test, kt_recv_u32(ch, &v), -EAGAIN);
	KUNIT_EXPECT_EQ(test, ch->stats.sent, 3ULL);
	KUNIT_EXPECT_EQ(test, chan_received(ch, NULL), 3ULL);
	KUNIT_EXPECT_EQ(test, ch->stats.full, 1ULL);
	KUNIT_EXPECT_EQ(test, ch->stats.empty, 1ULL);
	/* Every slot is free, or kept back by the last receive. */
	KUNIT_EXPECT_EQ(test, chan_ring_used(&ch->ring), ch->rx_spent ? 1U : 0U);
	chan_free(ch);
}

static void core_recv_too_small_keeps_message(struct kunit *test)
{
	struct chan *ch = kt_new_chan(test, 2, 8);
	char msg[8] = "abcdefg", buf[8];

	KUNIT_EXPECT_EQ(test, kt_send_buf(ch, msg, 8), 0);
	KUNIT_EXPECT_EQ(test, kt_recv_buf(ch, buf, 4), -EMSGSIZE);
	KUNIT_EXPECT_EQ(test, chan_next_len(ch), 8U);
	KUNIT_EXPECT_EQ(test, kt_recv_buf(ch, buf, 8), 8);
	KUNIT_EXPECT_EQ(test, memcmp(buf, msg, 8), 0);
	KUNIT_EXPECT_EQ(test, chan_next_len(ch), 0U);
	chan_free(ch);
}

static void core_held_slot_takes_room(struct kunit *test)
{
	struct chan *ch = kt_new_chan(test, 1, sizeof(u32));
	void *slot;
	u32 v;

	/* A send filling the only slot makes the channel full... */
	spin_lock(&ch->lock);
	slot = chan_ring_get_slot(&ch->ring);
	spin_unlock(&ch->lock);
	KUNIT_ASSERT_NOT_NULL(test, slot);
	KUNIT_EXPECT_EQ(test, kt_send_u32(ch, 2), -EAGAIN);
	KUNIT_EXPECT_EQ(test, chan_poll_mask(ch, FMODE_WRITE), 0U);
	KUNIT_EXPECT_EQ(test, chan_set_capacity(ch, 0), -EBUSY);
	/* ... and not readable: nothing is queued yet. */
	KUNIT_EXPECT_EQ(test, kt_recv_u32(ch, &v), -EAGAIN);
	spin_lock(&ch->lock);
	chan_ring_put_slot(&ch->ring, slot);
	spin_unlock(&ch->lock);
	KUNIT_EXPECT_EQ(test, kt_send_u32(ch, 2), 0);
	chan_free(ch);
}

static void core_close_drains_then_reports_eof(struct kunit *test)
{
	struct chan *ch = kt_new_chan(test, 4, sizeof(u32));
	u32 v;

	kt_send_u32(ch, 7);
	chan_close(ch);
	chan_close(ch);
	KUNIT_EXPECT_EQ(test, kt_send_u32(ch, 8), -EPIPE);
	KUNIT_EXPECT_EQ(test, kt_recv_u32(ch, &v), (int)sizeof(v));
	KUNIT_EXPECT_EQ(test, v, 7U);
	KUNIT_EXPECT_EQ(test, kt_recv_u32(ch, &v), 0);
	KUNIT_EXPECT_EQ(test, kt_recv_u32(ch, &v), 0);
	chan_free(ch);
}

static void core_unbuffered_try_ops_need_a_peer(struct kunit *test)
{
	struct chan *ch = kt_new_chan(test, 0, sizeof(u32));
	u32 v;

	KUNIT_EXPECT_EQ(test, kt_send_u32(ch, 1), -EAGAIN);
	KUNIT_EXPECT_EQ(test, kt_recv_u32(ch, &v), -EAGAIN);
	KUNIT_EXPECT_EQ(test, chan_poll_mask(ch, FMODE_READ | FMODE_WRITE), 0U);
	KUNIT_EXPECT_EQ(test, ch->stats.sent, 0ULL);
	chan_free(ch);
}

static void core_kill_fails_everything_with_enodev(struct kunit *test)
{
	struct chan *ch = kt_new_chan(test, 2, sizeof(u32));
	u32 v;

	kt_send_u32(ch, 1);
	KUNIT_EXPECT_EQ(test, chan_kill(ch, false), 0);
	KUNIT_EXPECT_EQ(test, kt_send_u32(ch, 2), -ENODEV);
	KUNIT_EXPECT_EQ(test, kt_recv_u32(ch, &v), -ENODEV);
	KUNIT_EXPECT_EQ(test, chan_attach(ch, FMODE_READ), -ENODEV);
	chan_free(ch);
}

static void core_kill_refuses_while_open(struct kunit *test)
{
	struct chan *ch = kt_new_chan(test, 2, sizeof(u32));

	KUNIT_EXPECT_EQ(test, chan_attach(ch, FMODE_READ), 0);
	KUNIT_EXPECT_EQ(test, chan_kill(ch, false), -EBUSY);
	chan_detach(ch, FMODE_READ);
	KUNIT_EXPECT_EQ(test, chan_kill(ch, false), 0);
	chan_free(ch);
}

static void core_set_capacity_keeps_messages(struct kunit *test)
{
	struct chan *ch = kt_new_chan(test, 2, sizeof(u32));
	u32 v, i;

	kt_send_u32(ch, 0);
	kt_send_u32(ch, 1);
	KUNIT_EXPECT_EQ(test, chan_set_capacity(ch, U32_MAX), -EINVAL);
	KUNIT_EXPECT_EQ(test, chan_set_capacity(ch, 1), -EBUSY);
	KUNIT_EXPECT_EQ(test, chan_set_capacity(ch, 0), -EBUSY);
	KUNIT_EXPECT_EQ(test, chan_set_capacity(ch, 4), 0);
	KUNIT_EXPECT_EQ(test, kt_send_u32(ch, 2), 0);
	for (i = 0; i < 3; i++) {
		KUNIT_EXPECT_EQ(test, kt_recv_u32(ch, &v), (int)sizeof(v));
		KUNIT_EXPECT_EQ(test, v, i);
	}
	KUNIT_EXPECT_EQ(test, chan_set_capacity(ch, 0), 0);
	KUNIT_EXPECT_EQ(test, kt_send_u32(ch, 3), -EAGAIN);
	chan_free(ch);
}

static void core_poll_mask_follows_state(struct kunit *test)
{
	struct chan *ch = kt_new_chan(test, 1, sizeof(u32));

	KUNIT_EXPECT_EQ(test, chan_poll_mask(ch, FMODE_READ), 0U);
	KUNIT_EXPECT_EQ(test, chan_poll_mask(ch, FMODE_WRITE),
			EPOLLOUT | EPOLLWRNORM);
	kt_send_u32(ch, 1);
	KUNIT_EXPECT_EQ(test, chan_poll_mask(ch, FMODE_READ),
			EPOLLIN | EPOLLRDNORM);
	KUNIT_EXPECT_EQ(test, chan_poll_mask(ch, FMODE_WRITE), 0U);
	chan_close(ch);
	KUNIT_EXPECT_EQ(test, chan_poll_mask(ch, FMODE_READ),
			EPOLLIN | EPOLLRDNORM | EPOLLHUP);
	KUNIT_EXPECT_EQ(test, chan_poll_mask(ch, FMODE_WRITE), EPOLLERR);
	chan_free(ch);
}

static void core_timeout_init_decodes_abi(struct kunit *test)
{
	struct chan_timeout to;

	KUNIT_EXPECT_EQ(test, chan_timeout_init(&to, CHAN_TIMEOUT_INFINITE), 0);
	KUNIT_EXPECT_FALSE(test, to.try);
	KUNIT_EXPECT_FALSE(test, to.timed);
	KUNIT_EXPECT_EQ(test, chan_timeout_init(&to, 0), 0);
	KUNIT_EXPECT_TRUE(test, to.try);
	KUNIT_EXPECT_EQ(test, chan_timeout_init(&to, 1000000), 0);
	KUNIT_EXPECT_TRUE(test, to.timed);
	KUNIT_EXPECT_GT(test, ktime_to_ns(to.expires), ktime_get_ns());
	KUNIT_EXPECT_EQ(test, chan_timeout_init(&to, S64_MAX), 0);
	KUNIT_EXPECT_EQ(test, to.expires, KTIME_MAX);
	KUNIT_EXPECT_EQ(test, chan_timeout_init(&to, -2), -EINVAL);
	KUNIT_EXPECT_EQ(test, chan_timeout_init(&to, S64_MIN), -EINVAL);
}

static struct kunit_case chan_core_cases[] = {
	KUNIT_CASE(core_buffered_fifo_and_try_ops),
	KUNIT_CASE(core_recv_too_small_keeps_message),
	KUNIT_CASE(core_held_slot_takes_room),
	KUNIT_CASE(core_close_drains_then_reports_eof),
	KUNIT_CASE(core_unbuffered_try_ops_need_a_peer),
	KUNIT_CASE(core_kill_fails_everything_with_enodev),
	KUNIT_CASE(core_kill_refuses_while_open),
	KUNIT_CASE(core_set_capacity_keeps_messages),
	KUNIT_CASE(core_poll_mask_follows_state),
	KUNIT_CASE(core_timeout_init_decodes_abi),
	{}
};

struct kunit_suite chan_core_suite = {
	.name = "chan_core",
	.test_cases = chan_core_cases,
};

/*
 * chan_wait: waiters parked by the test on its own behalf (their task is
 * the test's), then served by the channel as a peer would serve them.
 */

/* Wake-ups a test collected: the task is the test's own. */
static void flush(struct chan_wakeups *wk)
{
	chan_wake_flush(wk);
}

static void wait_claim_takes_oldest_first(struct kunit *test)
{
	struct chan *ch = kt_new_chan(test, 0, 8);
	struct chan_wakeups wk = { 0 };
	struct chan_waiter a, b;

	chan_waiter_init(&a, false, 8);
	chan_waiter_init(&b, false, 8);
	kt_park(ch, &a);
	kt_park(ch, &b);
	KUNIT_EXPECT_EQ(test, ch->nr_receivers, 2U);
	spin_lock(&ch->lock);
	KUNIT_EXPECT_PTR_EQ(test, chan_claim_first(ch, false, NULL), &a);
	KUNIT_EXPECT_EQ(test, a.state, (int)CHAN_WAIT_CLAIMED);
	KUNIT_EXPECT_EQ(test, ch->nr_receivers, 1U);
	/* Given back, it is sent to look again, not parked behind b. */
	chan_unclaim(ch, &a, &wk);
	KUNIT_EXPECT_EQ(test, a.state, (int)CHAN_WAIT_DONE);
	KUNIT_EXPECT_EQ(test, a.result, CHAN_RESULT_RETRY);
	/* Looking again, it parks at the head, keeping its place. */
	chan_waiter_init(&a, false, 8);
	a.kicked = true;
	chan_park(ch, &a);
	KUNIT_EXPECT_PTR_EQ(test, chan_claim_first(ch, false, NULL), &a);
	chan_complete(ch, &a, 5, &wk);
	KUNIT_EXPECT_EQ(test, a.state, (int)CHAN_WAIT_DONE);
	KUNIT_EXPECT_EQ(test, a.result, 5);
	KUNIT_EXPECT_TRUE(test, chan_kick_first(ch, false, &wk));
	KUNIT_EXPECT_EQ(test, b.result, CHAN_RESULT_RETRY);
	KUNIT_EXPECT_FALSE(test, chan_kick_first(ch, false, &wk));
	KUNIT_EXPECT_NULL(test, chan_claim_first(ch, false, NULL));
	spin_unlock(&ch->lock);
	flush(&wk);
	chan_free(ch);
}

static void wait_claim_skips_a_select_that_committed(struct kunit *test)
{
	struct chan *ch = kt_new_chan(test, 0, 8);
	struct chan_wakeups wk = { 0 };
	atomic_t won = ATOMIC_INIT(1), open = ATOMIC_INIT(0);
	struct chan_waiter a, b;

	chan_waiter_init(&a, true, 8);
	chan_waiter_init(&b, true, 8);
	a.claim = &won;		/* its select committed another case */
	b.claim = &open;
	kt_park(ch, &a);
	kt_park(ch, &b);
	spin_lock(&ch->lock);
	KUNIT_EXPECT_PTR_EQ(test, chan_claim_first(ch, true, NULL), &b);
	KUNIT_EXPECT_EQ(test, a.state, (int)CHAN_WAIT_IDLE);
	KUNIT_EXPECT_TRUE(test, list_empty(&a.node));
	KUNIT_EXPECT_EQ(test, atomic_read(&open), 1);
	KUNIT_EXPECT_EQ(test, ch->nr_senders, 0U);
	/* Given back, b's select starts a new round, its word still taken. */
	chan_unclaim(ch, &b, &wk);
	KUNIT_EXPECT_EQ(test, atomic_read(&open), 1);
	KUNIT_EXPECT_EQ(test, b.result, CHAN_RESULT_RETRY);
	KUNIT_EXPECT_EQ(test, ch->nr_senders, 0U);
	spin_unlock(&ch->lock);
	flush(&wk);
	chan_free(ch);
}

static void wait_unclaim_on_closed_channel_fails_a_sender(struct kunit *test)
{
	struct chan *ch = kt_new_chan(test, 0, 8);
	struct chan_wakeups wk = { 0 };
	struct chan_waiter s;

	chan_waiter_init(&s, true, 8);
	kt_park(ch, &s);
	spin_lock(&ch->lock);
	KUNIT_EXPECT_PTR_EQ(test, chan_claim_first(ch, true, NULL), &s);
	spin_unlock(&ch->lock);
	chan_close(ch);		/* while claimed: not seen by close */
	KUNIT_EXPECT_EQ(test, s.state, (int)CHAN_WAIT_CLAIMED);
	spin_lock(&ch->lock);
	chan_unclaim(ch, &s, &wk);
	spin_unlock(&ch->lock);
	KUNIT_EXPECT_EQ(test, s.state, (int)CHAN_WAIT_DONE);
	KUNIT_EXPECT_EQ(test, s.result, -EPIPE);
	KUNIT_EXPECT_EQ(test, ch->nr_senders, 0U);
	flush(&wk);
	chan_free(ch);
}

static void wait_unclaim_reparks_first_in_line(struct kunit *test)
{
	struct chan *ch = kt_new_chan(test, 0, 16);
	char *page = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	struct chan_wakeups wk = { 0 };
	struct {
		struct chan_waiter s1, s2, r;
		struct bio_vec bv1, bv2, bvr;
	} *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_ASSERT_NOT_NULL(test, t);
	kt_park_pinned_sender(test, ch, &t->s1, &t->bv1, page, 4);
	kt_park_pinned_sender(test, ch, &t->s2, &t->bv2, page + 64, 4);
	/* A receiver whose copy faulted gives s1 back: first, still parked. */
	spin_lock(&ch->lock);
	KUNIT_EXPECT_PTR_EQ(test, chan_claim_first(ch, true, NULL), &t->s1);
	chan_unclaim(ch, &t->s1, &wk);
	KUNIT_EXPECT_EQ(test, t->s1.state, (int)CHAN_WAIT_PARKED);
	KUNIT_EXPECT_EQ(test, ch->nr_senders, 2U);
	KUNIT_EXPECT_PTR_EQ(test, chan_first_claimable(ch, true, NULL),
			    &t->s1);
	spin_unlock(&ch->lock);
	flush(&wk);
	/* With a receiver parked meanwhile, s1 has to look again instead. */
	spin_lock(&ch->lock);
	KUNIT_EXPECT_PTR_EQ(test, chan_claim_first(ch, true, NULL), &t->s1);
	spin_unlock(&ch->lock);
	kt_park_pinned_receiver(test, ch, &t->r, &t->bvr, page + 128, 16);
	spin_lock(&ch->lock);
	chan_unclaim(ch, &t->s1, &wk);
	KUNIT_EXPECT_EQ(test, t->s1.state, (int)CHAN_WAIT_DONE);
	KUNIT_EXPECT_EQ(test, t->s1.result, CHAN_RESULT_RETRY);
	chan_unpark(ch, &t->s2);
	chan_unpark(ch, &t->r);
	spin_unlock(&ch->lock);
	flush(&wk);
	chan_pin_release(&t->s1.pin);
	chan_pin_release(&t->s2.pin);
	chan_pin_release(&t->r.pin);
	chan_free(ch);
}

static void wait_freed_slot_takes_parked_senders_message(struct kunit *test)
{
	struct chan *ch = kt_new_chan(test, 1, sizeof(u32));
	u32 *page = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	struct chan_waiter s1, s2;
	struct bio_vec bv1, bv2;
	u32 v;

	KUNIT_ASSERT_NOT_NULL(test, page);
	page[0] = 2;
	page[1] = 3;
	KUNIT_EXPECT_EQ(test, kt_send_u32(ch, 1), 0);
	kt_park_pinned_sender(test, ch, &s1, &bv1, &page[0], sizeof(u32));
	kt_park_pinned_sender(test, ch, &s2, &bv2, &page[1], sizeof(u32));
	/* Each receive frees the slot; the oldest parked message moves in. */
	KUNIT_EXPECT_EQ(test, kt_recv_u32(ch, &v), (int)sizeof(v));
	KUNIT_EXPECT_EQ(test, v, 1U);
	KUNIT_EXPECT_EQ(test, s1.state, (int)CHAN_WAIT_DONE);
	KUNIT_EXPECT_EQ(test, s1.result, 0);
	KUNIT_EXPECT_EQ(test, s2.state, (int)CHAN_WAIT_PARKED);
	KUNIT_EXPECT_EQ(test, ch->ring.count, 1U);
	/* Room stays taken: a newcomer cannot overtake s2. */
	KUNIT_EXPECT_EQ(test, kt_send_u32(ch, 9), -EAGAIN);
	KUNIT_EXPECT_EQ(test, kt_recv_u32(ch, &v), (int)sizeof(v));
	KUNIT_EXPECT_EQ(test, v, 2U);
	KUNIT_EXPECT_EQ(test, s2.result, 0);
	KUNIT_EXPECT_EQ(test, kt_recv_u32(ch, &v), (int)sizeof(v));
	KUNIT_EXPECT_EQ(test, v, 3U);
	KUNIT_EXPECT_EQ(test, ch->stats.sent, 3ULL);
	chan_pin_release(&s1.pin);
	chan_pin_release(&s2.pin);
	chan_free(ch);
}

static void wait_queued_message_kicks_parked_receiver(struct kunit *test)
{
	struct chan *ch = kt_new_chan(test, 2, sizeof(u32));
	struct chan_waiter r;
	u32 v;

	chan_waiter_init(&r, false, sizeof(u32));
	kt_park(ch, &r);
	KUNIT_EXPECT_EQ(test, kt_send_u32(ch, 3), 0);
	KUNIT_EXPECT_EQ(test, r.result, CHAN_RESULT_RETRY);
	KUNIT_EXPECT_EQ(test, ch->nr_receivers, 0U);
	/* The message waits in the ring for the kicked receiver. */
	KUNIT_EXPECT_EQ(test, kt_recv_u32(ch, &v), (int)sizeof(v));
	KUNIT_EXPECT_EQ(test, v, 3U);
	chan_free(ch);
}

static void wait_unbuffered_send_fills_pinned_receiver(struct kunit *test)
{
	struct chan *ch = kt_new_chan(test, 0, 16);
	char *page = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	struct chan_waiter r, small;
	struct bio_vec bv, bv2;

	KUNIT_ASSERT_NOT_NULL(test, page);
	/* The first receiver's buffer is too small for what comes. */
	kt_park_pinned_receiver(test, ch, &small, &bv2, page + 64, 4);
	kt_park_pinned_receiver(test, ch, &r, &bv, page, 16);
	KUNIT_EXPECT_EQ(test, chan_poll_mask(ch, FMODE_WRITE),
			EPOLLOUT | EPOLLWRNORM);
	KUNIT_EXPECT_EQ(test, kt_send_buf(ch, "rendezvous!", 12), 0);
	KUNIT_EXPECT_EQ(test, small.result, -EMSGSIZE);
	KUNIT_EXPECT_EQ(test, r.state, (int)CHAN_WAIT_DONE);
	KUNIT_EXPECT_EQ(test, r.result, 12);
	KUNIT_EXPECT_STREQ(test, page, "rendezvous!");
	KUNIT_EXPECT_EQ(test, ch->stats.sent, 1ULL);
	KUNIT_EXPECT_EQ(test, chan_received(ch, NULL), 1ULL);
	chan_pin_release(&r.pin);
	chan_pin_release(&small.pin);
	chan_free(ch);
}

static void wait_unbuffered_recv_drains_pinned_sender(struct kunit *test)
{
	struct chan *ch = kt_new_chan(test, 0, 16);
	char *page = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	struct chan_waiter s;
	struct bio_vec bv;
	char buf[16] = "";

	KUNIT_ASSERT_NOT_NULL(test, page);
	strscpy(page, "from a sender", PAGE_SIZE);
	kt_park_pinned_sender(test, ch, &s, &bv, page, 14);
	KUNIT_EXPECT_EQ(test, chan_next_len(ch), 14U);
	KUNIT_EXPECT_EQ(test, chan_poll_mask(ch, FMODE_READ),
			EPOLLIN | EPOLLRDNORM);
	KUNIT_EXPECT_EQ(test, kt_recv_buf(ch, buf, 8), -EMSGSIZE);
	KUNIT_EXPECT_EQ(test, ch->nr_senders, 1U);
	KUNIT_EXPECT_EQ(test, kt_recv_buf(ch, buf, sizeof(buf)), 14);
	KUNIT_EXPECT_STREQ(test, buf, "from a sender");
	KUNIT_EXPECT_EQ(test, s.state, (int)CHAN_WAIT_DONE);
	KUNIT_EXPECT_EQ(test, s.result, 0);
	chan_pin_release(&s.pin);
	chan_free(ch);
}

static struct kunit_case chan_wait_cases[] = {
	KUNIT_CASE(wait_claim_takes_oldest_first),
	KUNIT_CASE(wait_claim_skips_a_select_that_committed),
	KUNIT_CASE(wait_unclaim_on_closed_channel_fails_a_sender),
	KUNIT_CASE(wait_unclaim_reparks_first_in_line),
	KUNIT_CASE(wait_freed_slot_takes_parked_senders_message),
	KUNIT_CASE(wait_queued_message_kicks_parked_receiver),
	KUNIT_CASE(wait_unbuffered_send_fills_pinned_receiver),
	KUNIT_CASE(wait_unbuffered_recv_drains_pinned_sender),
	{}
};

struct kunit_suite chan_wait_suite = {
	.name = "chan_wait",
	.test_cases = chan_wait_cases,
};
