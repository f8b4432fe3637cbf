// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite chan_select: the claim word that makes a select's commit
 * single (module/select.c, wait.c). The test parks waiters sharing one
 * claim word, as a select's cases, and drives the channel as its peers
 * would: every site that takes "the first waiter" must skip a case whose
 * select committed elsewhere, leave that case unlinked, never pair a
 * select with its own cases, and, when two peers race for two cases of
 * one select, let exactly one of them commit.
 */

#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/kthread.h>
#include <linux/poll.h>
#include <linux/slab.h>

#include "chan.h"
#include "chan_test.h"
#include "suites.h"

/* A case of a select whose claim word is @claim. */
static void case_init(struct chan_waiter *w, bool send, u32 len,
		      atomic_t *claim)
{
	chan_waiter_init(w, send, len);
	w->claim = claim;
}

static void expect_dropped(struct kunit *test, struct chan_waiter *w)
{
	KUNIT_EXPECT_EQ(test, w->state, (int)CHAN_WAIT_IDLE);
	KUNIT_EXPECT_TRUE(test, list_empty(&w->node));
}

static void select_claimed_case_is_skipped_by_receivers(struct kunit *test)
{
	struct chan *ch = kt_new_chan(test, 0, 8);
	char *page = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	atomic_t won = ATOMIC_INIT(1);
	struct chan_waiter s;
	struct bio_vec bv;
	char buf[8];

	KUNIT_ASSERT_NOT_NULL(test, page);
	memcpy(page, "lost", 4);
	kt_park_pinned_sender(test, ch, &s, &bv, page, 4);
	s.claim = &won;
	/* Linked, but not waiting: poll, FIONREAD and sysfs ignore it. */
	KUNIT_EXPECT_EQ(test, ch->nr_senders, 1U);
	KUNIT_EXPECT_EQ(test, chan_poll_mask(ch, FMODE_READ), 0U);
	KUNIT_EXPECT_EQ(test, chan_next_len(ch), 0U);
	spin_lock(&ch->lock);
	KUNIT_EXPECT_EQ(test, chan_count_claimable(ch, true), 0U);
	spin_unlock(&ch->lock);
	/* A receiver finds nobody; the case is left for its select. */
	KUNIT_EXPECT_EQ(test, kt_recv_buf(ch, buf, sizeof(buf)), -EAGAIN);
	KUNIT_EXPECT_EQ(test, s.state, (int)CHAN_WAIT_PARKED);
	KUNIT_EXPECT_EQ(test, chan_received(ch, NULL), 0ULL);
	spin_lock(&ch->lock);
	chan_unpark(ch, &s);
	spin_unlock(&ch->lock);
	KUNIT_EXPECT_EQ(test, ch->nr_senders, 0U);
	chan_pin_release(&s.pin);
	chan_free(ch);
}

static void select_claimed_case_is_skipped_by_senders(struct kunit *test)
{
	struct chan *ch = kt_new_chan(test, 0, 8);
	char *page = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	atomic_t won = ATOMIC_INIT(1);
	struct chan_waiter r, plain;
	struct bio_vec bv, bv2;

	KUNIT_ASSERT_NOT_NULL(test, page);
	kt_park_pinned_receiver(test, ch, &r, &bv, page, 8);
	r.claim = &won;
	KUNIT_EXPECT_EQ(test, chan_poll_mask(ch, FMODE_WRITE), 0U);
	KUNIT_EXPECT_EQ(test, kt_send_buf(ch, "none", 4), -EAGAIN);
	expect_dropped(test, &r);
	KUNIT_EXPECT_EQ(test, ch->nr_receivers, 0U);
	KUNIT_EXPECT_EQ(test, ch->stats.sent, 0ULL);
	/* Behind a claimed case, a plain receiver still gets the message. */
	chan_pin_release(&r.pin);
	case_init(&r, false, 8, &won);
	kt_park(ch, &r);
	kt_park_pinned_receiver(test, ch, &plain, &bv2, page + 64, 8);
	KUNIT_EXPECT_EQ(test, kt_send_buf(ch, "next", 4), 0);
	expect_dropped(test, &r);
	KUNIT_EXPECT_EQ(test, plain.result, 4);
	KUNIT_EXPECT_EQ(test, memcmp(page + 64, "next", 4), 0);
	KUNIT_EXPECT_EQ(test, page[0], 0);
	chan_pin_release(&plain.pin);
	chan_free(ch);
}

static void select_claimed_case_is_skipped_by_a_freed_slot(struct kunit *test)
{
	struct chan *ch = kt_new_chan(test, 1, sizeof(u32));
	u32 *page = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	atomic_t won = ATOMIC_INIT(1);
	struct chan_waiter s;
	struct bio_vec bv;
	u32 v;

	KUNIT_ASSERT_NOT_NULL(test, page);
	page[0] = 7;
	KUNIT_EXPECT_EQ(test, kt_send_u32(ch, 1), 0);
	kt_park_pinned_sender(test, ch, &s, &bv, page, sizeof(u32));
	s.claim = &won;
	/* The freed slot does not take the committed select's message. */
	KUNIT_EXPECT_EQ(test, kt_recv_u32(ch, &v), (int)sizeof(v));
	KUNIT_EXPECT_EQ(test, v, 1U);
	expect_dropped(test, &s);
	KUNIT_EXPECT_EQ(test, ch->ring.count, 0U);
	KUNIT_EXPECT_EQ(test, ch->stats.sent, 1ULL);
	KUNIT_EXPECT_EQ(test, kt_recv_u32(ch, &v), -EAGAIN);
	chan_pin_release(&s.pin);
	chan_free(ch);
}

static void select_claimed_case_is_not_kicked(struct kunit *test)
{
	struct chan *ch = kt_new_chan(test, 2, sizeof(u32));
	atomic_t won = ATOMIC_INIT(1), open = ATOMIC_INIT(0);
	struct chan_waiter r, r2;

	case_init(&r, false, sizeof(u32), &won);
	case_init(&r2, false, sizeof(u32), &open);
	kt_park(ch, &r);
	kt_park(ch, &r2);
	KUNIT_EXPECT_EQ(test, kt_send_u32(ch, 5), 0);
	/* The kick passes over the committed case to the next one... */
	expect_dropped(test, &r);
	KUNIT_EXPECT_EQ(test, r2.state, (int)CHAN_WAIT_DONE);
	KUNIT_EXPECT_EQ(test, r2.result, CHAN_RESULT_RETRY);
	/* ...whose select is now taken: it starts a new round. */
	KUNIT_EXPECT_EQ(test, atomic_read(&open), 1);
	KUNIT_EXPECT_EQ(test, ch->ring.count, 1U);
	chan_free(ch);
}

static void select_never_meets_its_own_cases(struct kunit *test)
{
	struct chan *ch = kt_new_chan(test, 0, 8);
	char *page = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	struct chan_wakeups wk = { 0 };
	atomic_t word = ATOMIC_INIT(0);
	struct chan_waiter s, r;
	struct bio_vec bv, bv2;

	KUNIT_ASSERT_NOT_NULL(test, page);
	memcpy(page, "self", 4);
	kt_park_pinned_sender(test, ch, &s, &bv, page, 4);
	kt_park_pinned_receiver(test, ch, &r, &bv2, page + 64, 8);
	s.claim = &word;
	r.claim = &word;
	spin_lock(&ch->lock);
	/* The select's send case looking for a receiver: only its own. */
	KUNIT_EXPECT_NULL(test, chan_claim_receiver(ch, 4, &word, &wk));
	KUNIT_EXPECT_NULL(test, chan_claim_sender(ch, 8, &word, &wk));
	KUNIT_EXPECT_EQ(test, s.state, (int)CHAN_WAIT_PARKED);
	KUNIT_EXPECT_EQ(test, r.state, (int)CHAN_WAIT_PARKED);
	KUNIT_EXPECT_EQ(test, atomic_read(&word), 0);
	/* A stranger may take either: it claims the select's word. */
	KUNIT_EXPECT_PTR_EQ(test, chan_claim_sender(ch, 8, NULL, &wk), &s);
	KUNIT_EXPECT_EQ(test, atomic_read(&word), 1);
	KUNIT_EXPECT_EQ(test, s.state, (int)CHAN_WAIT_CLAIMED);
	/* The other case is linked still, but no longer counts. */
	KUNIT_EXPECT_NULL(test, chan_first_claimable(ch, false, NULL));
	KUNIT_EXPECT_EQ(test, chan_count_claimable(ch, false), 0U);
	/* Given back, the word stays taken: no other case commits. */
	chan_unclaim(ch, &s, &wk);
	KUNIT_EXPECT_EQ(test, s.result, CHAN_RESULT_RETRY);
	KUNIT_EXPECT_EQ(test, atomic_read(&word), 1);
	chan_unpark(ch, &r);
	spin_unlock(&ch->lock);
	chan_wake_flush(&wk);
	KUNIT_EXPECT_EQ(test, ch->nr_receivers, 0U);
	chan_pin_release(&s.pin);
	chan_pin_release(&r.pin);
	chan_free(ch);
}

/* A peer that sends once on @ch, without waiting, when told to go. */
struct racer {
	struct chan *ch;
	u32 v;
	int ret;
	struct completion *go;
	struct completion done;
};

static int racer_fn(void *arg)
{
	struct racer *rc = arg;

	wait_for_completion(rc->go);
	rc->ret = kt_send_u32(rc->ch, rc->v);
	complete(&rc->done);
	return 0;
}

#define RACE_ROUNDS	200

/*
 * A select parked to receive on two unbuffered channels; two peers send
 * on them at once. One commits; the other finds no receiver (EAGAIN): its
 * message is not taken. The losing case is either still parked (its peer
 * looked first) or was unlinked by its peer; never completed.
 */
struct race_round {
	struct chan_waiter c[2];
	struct bio_vec bv[2];
	struct racer rc[2];
};

static void select_two_peers_race_one_commits(struct kunit *test)
{
	struct race_round *rr = kunit_kzalloc(test, sizeof(*rr), GFP_KERNEL);
	u32 *page = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	u32 round, i, winners[2] = { 0 };
	struct chan *ch[2];

	KUNIT_ASSERT_NOT_NULL(test, rr);
	KUNIT_ASSERT_NOT_NULL(test, page);
	for (i = 0; i < 2; i++)
		ch[i] = kt_new_chan(test, 0, sizeof(u32));
	for (round = 0; round < RACE_ROUNDS; round++) {
		DECLARE_COMPLETION_ONSTACK(go);
		atomic_t word = ATOMIC_INIT(0);
		struct chan_waiter *c = rr->c;
		struct racer *rc = rr->rc;
		struct task_struct *t;
		int win = -1;

		for (i = 0; i < 2; i++) {
			page[i] = 0;
			kt_park_pinned_receiver(test, ch[i], &c[i], &rr->bv[i],
						&page[i], sizeof(u32));
			c[i].claim = &word;
			rc[i] = (struct racer){ .ch = ch[i], .go = &go,
						.v = round * 2 + i + 1 };
			init_completion(&rc[i].done);
			t = kthread_run(racer_fn, &rc[i], "chan_racer%u", i);
			KUNIT_ASSERT_FALSE(test, IS_ERR(t));
		}
		complete_all(&go);
		for (i = 0; i < 2; i++)
			KUNIT_ASSERT_NE(test,
					wait_for_completion_timeout(&rc[i].done,
								    30 * HZ),
					0UL);
		for (i = 0; i < 2; i++) {
			if (rc[i].ret == 0) {
				KUNIT_EXPECT_EQ(test, win, -1);
				win = i;
				KUNIT_EXPECT_EQ(test, c[i].state,
						(int)CHAN_WAIT_DONE);
				KUNIT_EXPECT_EQ(test, c[i].result,
						(int)sizeof(u32));
				KUNIT_EXPECT_EQ(test, page[i], rc[i].v);
			} else {
				KUNIT_EXPECT_EQ(test, rc[i].ret, -EAGAIN);
				KUNIT_EXPECT_NE(test, c[i].state,
						(int)CHAN_WAIT_DONE);
				KUNIT_EXPECT_EQ(test, page[i], 0U);
			}
		}
		KUNIT_EXPECT_NE(test, win, -1);
		KUNIT_EXPECT_EQ(test, atomic_read(&word), 1);
		/* What the select does on its way out: unlink the loser. */
		for (i = 0; i < 2; i++) {
			spin_lock(&ch[i]->lock);
			if (c[i].state == CHAN_WAIT_PARKED)
				chan_unpark(ch[i], &c[i]);
			KUNIT_EXPECT_EQ(test, ch[i]->nr_receivers, 0U);
			spin_unlock(&ch[i]->lock);
			chan_pin_release(&c[i].pin);
		}
		if (win >= 0)
			winners[win]++;
	}
	KUNIT_EXPECT_EQ(test, ch[0]->stats.sent + ch[1]->stats.sent,
			(u64)(winners[0] + winners[1]));
	kunit_info(test, "%u rounds: channel 0 won %u, channel 1 won %u\n",
		   round, winners[0], winners[1]);
	for (i = 0; i < 2; i++)
		chan_free(ch[i]);
}

static struct kunit_case chan_select_cases[] = {
	KUNIT_CASE(select_claimed_case_is_skipped_by_receivers),
	KUNIT_CASE(select_claimed_case_is_skipped_by_senders),
	KUNIT_CASE(select_claimed_case_is_skipped_by_a_freed_slot),
	KUNIT_CASE(select_claimed_case_is_not_kicked),
	KUNIT_CASE(select_never_meets_its_own_cases),
	KUNIT_CASE(select_two_peers_race_one_commits),
	{}
};

struct kunit_suite chan_select_suite = {
	.name = "chan_select",
	.test_cases = chan_select_cases,
};
