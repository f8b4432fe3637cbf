// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite chan_core: the channel state logic of module/core.c driven
 * without user memory and without waiting (try operations only).
 */

#include <kunit/test.h>
#include <linux/poll.h>

#include "chan.h"
#include "suites.h"

static const struct chan_timeout try_now = { .try = true };

static struct chan *new_chan(struct kunit *test, u32 capacity, u32 msg_size)
{
	struct chan *ch = chan_alloc(capacity, msg_size, 0);

	KUNIT_ASSERT_FALSE(test, IS_ERR(ch));
	return ch;
}

static int send_u32(struct chan *ch, u32 v)
{
	return chan_send(ch, &v, sizeof(v), &try_now);
}

/* Receive and commit; returns the length or an error, value in *v. */
static int recv_u32(struct chan *ch, u32 *v)
{
	struct chan_waiter w = { .buf = v, .cap = sizeof(*v) };
	int ret = chan_recv_start(ch, &w, &try_now);

	if (ret > 0)
		chan_recv_finish(ch, &w, true);
	return ret;
}

static void core_buffered_fifo_and_try_ops(struct kunit *test)
{
	struct chan *ch = new_chan(test, 3, sizeof(u32));
	u32 v, i;

	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_EQ(test, send_u32(ch, i), 0);
	KUNIT_EXPECT_EQ(test, send_u32(ch, 99), -EAGAIN);
	for (i = 0; i < 3; i++) {
		KUNIT_EXPECT_EQ(test, recv_u32(ch, &v), (int)sizeof(v));
		KUNIT_EXPECT_EQ(test, v, i);
	}
	KUNIT_EXPECT_EQ(test, recv_u32(ch, &v), -EAGAIN);
	KUNIT_EXPECT_EQ(test, ch->stats.sent, 3ULL);
	KUNIT_EXPECT_EQ(test, ch->stats.received, 3ULL);
	KUNIT_EXPECT_EQ(test, ch->stats.full, 1ULL);
	KUNIT_EXPECT_EQ(test, ch->stats.empty, 1ULL);
	chan_free(ch);
}

static void core_recv_too_small_keeps_message(struct kunit *test)
{
	struct chan *ch = new_chan(test, 2, 8);
	char msg[8] = "abcdefg", buf[8];
	struct chan_waiter w = { .buf = buf, .cap = 4 };

	KUNIT_EXPECT_EQ(test, chan_send(ch, msg, 8, &try_now), 0);
	KUNIT_EXPECT_EQ(test, chan_recv_start(ch, &w, &try_now), -EMSGSIZE);
	KUNIT_EXPECT_EQ(test, chan_next_len(ch), 8U);
	w.cap = 8;
	KUNIT_EXPECT_EQ(test, chan_recv_start(ch, &w, &try_now), 8);
	chan_recv_finish(ch, &w, true);
	KUNIT_EXPECT_EQ(test, memcmp(buf, msg, 8), 0);
	KUNIT_EXPECT_EQ(test, chan_next_len(ch), 0U);
	chan_free(ch);
}

static void core_undelivered_receive_puts_message_back_first(struct kunit *test)
{
	struct chan *ch = new_chan(test, 2, sizeof(u32));
	u32 v;
	struct chan_waiter w = { .buf = &v, .cap = sizeof(v) };

	send_u32(ch, 1);
	send_u32(ch, 2);
	KUNIT_EXPECT_EQ(test, chan_recv_start(ch, &w, &try_now), (int)sizeof(v));
	KUNIT_EXPECT_EQ(test, v, 1U);
	chan_recv_finish(ch, &w, false);
	KUNIT_EXPECT_EQ(test, ch->ring.count, 2U);
	KUNIT_EXPECT_EQ(test, recv_u32(ch, &v), (int)sizeof(v));
	KUNIT_EXPECT_EQ(test, v, 1U);
	KUNIT_EXPECT_EQ(test, recv_u32(ch, &v), (int)sizeof(v));
	KUNIT_EXPECT_EQ(test, v, 2U);
	KUNIT_EXPECT_EQ(test, ch->stats.received, 2ULL);
	chan_free(ch);
}

static void core_receive_in_flight_holds_capacity(struct kunit *test)
{
	struct chan *ch = new_chan(test, 1, sizeof(u32));
	u32 v;
	struct chan_waiter w = { .buf = &v, .cap = sizeof(v) };

	send_u32(ch, 1);
	KUNIT_EXPECT_EQ(test, chan_recv_start(ch, &w, &try_now), (int)sizeof(v));
	KUNIT_EXPECT_EQ(test, send_u32(ch, 2), -EAGAIN);
	chan_recv_finish(ch, &w, true);
	KUNIT_EXPECT_EQ(test, send_u32(ch, 2), 0);
	chan_free(ch);
}

static void core_close_drains_then_reports_eof(struct kunit *test)
{
	struct chan *ch = new_chan(test, 4, sizeof(u32));
	u32 v;

	send_u32(ch, 7);
	chan_close(ch);
	chan_close(ch);
	KUNIT_EXPECT_EQ(test, send_u32(ch, 8), -EPIPE);
	KUNIT_EXPECT_EQ(test, recv_u32(ch, &v), (int)sizeof(v));
	KUNIT_EXPECT_EQ(test, v, 7U);
	KUNIT_EXPECT_EQ(test, recv_u32(ch, &v), 0);
	KUNIT_EXPECT_EQ(test, recv_u32(ch, &v), 0);
	chan_free(ch);
}

static void core_unbuffered_try_ops_need_a_peer(struct kunit *test)
{
	struct chan *ch = new_chan(test, 0, sizeof(u32));
	u32 v;

	KUNIT_EXPECT_EQ(test, send_u32(ch, 1), -EAGAIN);
	KUNIT_EXPECT_EQ(test, recv_u32(ch, &v), -EAGAIN);
	KUNIT_EXPECT_EQ(test, chan_poll_mask(ch, FMODE_READ | FMODE_WRITE), 0U);
	KUNIT_EXPECT_EQ(test, ch->stats.sent, 0ULL);
	chan_free(ch);
}

static void core_kill_fails_everything_with_enodev(struct kunit *test)
{
	struct chan *ch = new_chan(test, 2, sizeof(u32));
	u32 v;

	send_u32(ch, 1);
	KUNIT_EXPECT_EQ(test, chan_kill(ch, false), 0);
	KUNIT_EXPECT_EQ(test, send_u32(ch, 2), -ENODEV);
	KUNIT_EXPECT_EQ(test, recv_u32(ch, &v), -ENODEV);
	KUNIT_EXPECT_EQ(test, chan_attach(ch, FMODE_READ), -ENODEV);
	chan_free(ch);
}

static void core_kill_refuses_while_open(struct kunit *test)
{
	struct chan *ch = new_chan(test, 2, sizeof(u32));

	KUNIT_EXPECT_EQ(test, chan_attach(ch, FMODE_READ), 0);
	KUNIT_EXPECT_EQ(test, chan_kill(ch, false), -EBUSY);
	chan_detach(ch, FMODE_READ);
	KUNIT_EXPECT_EQ(test, chan_kill(ch, false), 0);
	chan_free(ch);
}

static void core_set_capacity_keeps_messages(struct kunit *test)
{
	struct chan *ch = new_chan(test, 2, sizeof(u32));
	u32 v, i;

	send_u32(ch, 0);
	send_u32(ch, 1);
	KUNIT_EXPECT_EQ(test, chan_set_capacity(ch, U32_MAX), -EINVAL);
	KUNIT_EXPECT_EQ(test, chan_set_capacity(ch, 1), -EBUSY);
	KUNIT_EXPECT_EQ(test, chan_set_capacity(ch, 0), -EBUSY);
	KUNIT_EXPECT_EQ(test, chan_set_capacity(ch, 4), 0);
	KUNIT_EXPECT_EQ(test, send_u32(ch, 2), 0);
	for (i = 0; i < 3; i++) {
		KUNIT_EXPECT_EQ(test, recv_u32(ch, &v), (int)sizeof(v));
		KUNIT_EXPECT_EQ(test, v, i);
	}
	KUNIT_EXPECT_EQ(test, chan_set_capacity(ch, 0), 0);
	KUNIT_EXPECT_EQ(test, send_u32(ch, 3), -EAGAIN);
	chan_free(ch);
}

static void core_poll_mask_follows_state(struct kunit *test)
{
	struct chan *ch = new_chan(test, 1, sizeof(u32));

	KUNIT_EXPECT_EQ(test, chan_poll_mask(ch, FMODE_READ), 0U);
	KUNIT_EXPECT_EQ(test, chan_poll_mask(ch, FMODE_WRITE),
			EPOLLOUT | EPOLLWRNORM);
	send_u32(ch, 1);
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
	KUNIT_CASE(core_undelivered_receive_puts_message_back_first),
	KUNIT_CASE(core_receive_in_flight_holds_capacity),
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
