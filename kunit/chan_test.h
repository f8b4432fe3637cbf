/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the KUnit suites (chan_test.c).
 */
#ifndef _CHAN_KUNIT_CHAN_TEST_H
#define _CHAN_KUNIT_CHAN_TEST_H

#include <kunit/test.h>

#include "chan.h"

extern const struct chan_timeout kt_try_now;

struct chan *kt_new_chan(struct kunit *test, u32 capacity, u32 msg_size);
int kt_send_buf(struct chan *ch, const void *buf, size_t len);
int kt_send_u32(struct chan *ch, u32 v);
int kt_recv_buf(struct chan *ch, void *buf, size_t cap);
int kt_recv_u32(struct chan *ch, u32 *v);
void kt_park(struct chan *ch, struct chan_waiter *w);
void kt_park_pinned_sender(struct kunit *test, struct chan *ch,
			   struct chan_waiter *w, struct bio_vec *bv,
			   void *buf, u32 len);
void kt_park_pinned_receiver(struct kunit *test, struct chan *ch,
			     struct chan_waiter *w, struct bio_vec *bv,
			     void *buf, u32 cap);

#endif /* _CHAN_KUNIT_CHAN_TEST_H */
