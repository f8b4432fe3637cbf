// SPDX-License-Identifier: GPL-2.0
/*
 * What the KUnit suites share: channels made and driven with kernel
 * buffers and try operations, and waiters the test parks on its own behalf
 * (their task is the test's), their buffers kernel pages pinned as bvecs.
 */

#include <kunit/test.h>
#include <linux/mm.h>
#include <linux/uio.h>

#include "chan.h"
#include "chan_test.h"

const struct chan_timeout kt_try_now = { .try = true };

struct chan *kt_new_chan(struct kunit *test, u32 capacity, u32 msg_size)
{
	struct chan *ch = chan_alloc(capacity, msg_size, 0);

	KUNIT_ASSERT_FALSE(test, IS_ERR(ch));
	return ch;
}

int kt_send_buf(struct chan *ch, const void *buf, size_t len)
{
	struct kvec kv = { .iov_base = (void *)buf, .iov_len = len };
	struct iov_iter it;

	iov_iter_kvec(&it, ITER_SOURCE, &kv, 1, len);
	return chan_send(ch, &it, &kt_try_now, NULL);
}

int kt_send_u32(struct chan *ch, u32 v)
{
	return kt_send_buf(ch, &v, sizeof(v));
}

int kt_recv_buf(struct chan *ch, void *buf, size_t cap)
{
	struct kvec kv = { .iov_base = buf, .iov_len = cap };
	struct iov_iter it;

	iov_iter_kvec(&it, ITER_DEST, &kv, 1, cap);
	return chan_recv(ch, &it, &kt_try_now, NULL);
}

int kt_recv_u32(struct chan *ch, u32 *v)
{
	return kt_recv_buf(ch, v, sizeof(*v));
}

void kt_park(struct chan *ch, struct chan_waiter *w)
{
	spin_lock(&ch->lock);
	chan_park(ch, w);
	spin_unlock(&ch->lock);
}

/* Park a sender whose message is in a kernel page, pinned as a bvec. */
void kt_park_pinned_sender(struct kunit *test, struct chan *ch,
			   struct chan_waiter *w, struct bio_vec *bv,
			   void *buf, u32 len)
{
	struct iov_iter it;

	bvec_set_page(bv, virt_to_page(buf), len, offset_in_page(buf));
	iov_iter_bvec(&it, ITER_SOURCE, bv, 1, len);
	chan_waiter_init(w, true, len);
	KUNIT_ASSERT_EQ(test, chan_pin_iter(&w->pin, &it, len, false, NULL,
					    &kt_try_now), 0);
	w->pinned = true;
	kt_park(ch, w);
}

/* A parked receiver whose buffer is a kernel page, pinned as a bvec. */
void kt_park_pinned_receiver(struct kunit *test, struct chan *ch,
			     struct chan_waiter *w, struct bio_vec *bv,
			     void *buf, u32 cap)
{
	struct iov_iter it;

	bvec_set_page(bv, virt_to_page(buf), cap, offset_in_page(buf));
	iov_iter_bvec(&it, ITER_DEST, bv, 1, cap);
	chan_waiter_init(w, false, cap);
	KUNIT_ASSERT_EQ(test, chan_pin_iter(&w->pin, &it, cap, true, NULL,
					    &kt_try_now), 0);
	w->pinned = true;
	kt_park(ch, w);
}
