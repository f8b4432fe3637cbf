// SPDX-License-Identifier: GPL-2.0
/*
 * Description: resizing a large, full channel while senders and receivers
 * run. A channel of capacity 4096 starts full; two
 * senders push sequenced messages, two receivers take them, and a third
 * process keeps changing the capacity (between 256 and 8192, through the
 * ioctl and through sysfs) the whole time. Shrinking below what the channel
 * holds gives EBUSY and changes nothing; every other resize succeeds. At
 * the end every message was received exactly once, each receiver saw each
 * sender's messages in order, and the gauges are back at rest.
 */
#include <stdlib.h>

#include "helpers.h"

#define CAP0		4096
#define SENDERS		2
#define PER_SENDER	4000
#define MSG		32
#define PREFILL_ID	SENDERS		/* the messages that fill it first */
#define IDS		(SENDERS + 1)
#define MAX_SEQ		(PER_SENDER > CAP0 ? PER_SENDER : CAP0)

struct shared {
	int idx;
	volatile int stop;
	int resizes_ok;
	int resizes_busy;
	int resize_bad;
	unsigned char got[IDS][MAX_SEQ];	/* receipts per message */
	int out_of_order;
	int bad;
};

static uint32_t make_id(int sender, int seq)
{
	return (uint32_t)sender << 24 | (uint32_t)seq;
}

struct role {
	struct shared *s;
	int id;
};

static int sender_main(void *arg)
{
	struct role *r = arg;
	struct shared *s = r->s;
	unsigned char msg[MSG];
	int id = r->id, fd, i;

	fd = t_chan_open(s->idx, O_WRONLY);
	if (fd < 0)
		return 2;
	for (i = 0; i < PER_SENDER; i++) {
		t_fill(msg, MSG, make_id(id, i));
		if (t_send(fd, msg, MSG, T_TIMEOUT_NS * 3))
			return 3;
	}
	return 0;
}

static int receiver_main(void *arg)
{
	struct shared *s = arg;
	int last[IDS], fd = t_chan_open(s->idx, O_RDONLY), i;
	unsigned char msg[MSG];
	long r;

	if (fd < 0)
		return 2;
	for (i = 0; i < IDS; i++)
		last[i] = -1;
	for (;;) {
		uint32_t id;
		int from, seq;

		r = t_recv(fd, msg, MSG, T_TIMEOUT_NS * 3);
		if (r == 0)
			return 0;		/* closed and drained */
		if (r != MSG || !t_verify(msg, MSG, t_msg_id(msg, MSG))) {
			__atomic_add_fetch(&s->bad, 1, __ATOMIC_SEQ_CST);
			return 3;
		}
		id = t_msg_id(msg, MSG);
		from = id >> 24;
		seq = id & 0xffffff;
		if (from >= IDS || seq >= MAX_SEQ) {
			__atomic_add_fetch(&s->bad, 1, __ATOMIC_SEQ_CST);
			continue;
		}
		__atomic_add_fetch(&s->got[from][seq], 1, __ATOMIC_SEQ_CST);
		if (seq <= last[from])
			__atomic_add_fetch(&s->out_of_order, 1, __ATOMIC_SEQ_CST);
		last[from] = seq;
	}
}

static int resizer_main(void *arg)
{
	static const unsigned int caps[] = { 8192, 256, 2048, 4096, 512, 6000, 1024 };
	struct shared *s = arg;
	int fd = t_chan_open(s->idx, O_RDONLY), i = 0, r;
	char val[16];

	if (fd < 0)
		return 2;
	while (!__atomic_load_n(&s->stop, __ATOMIC_SEQ_CST)) {
		unsigned int cap = caps[i++ % T_ARRAY_SIZE(caps)];

		if (i & 1) {
			r = t_set_capacity(fd, cap);
		} else {
			snprintf(val, sizeof(val), "%u\n", cap);
			r = t_attr_write(s->idx, "capacity", val);
		}
		if (!r)
			__atomic_add_fetch(&s->resizes_ok, 1, __ATOMIC_SEQ_CST);
		else if (r == -EBUSY)
			__atomic_add_fetch(&s->resizes_busy, 1, __ATOMIC_SEQ_CST);
		else
			__atomic_add_fetch(&s->resize_bad, 1, __ATOMIC_SEQ_CST);
		t_sleep_ms(2);
	}
	/* Leave it big enough for what it holds. */
	t_set_capacity(fd, 8192);
	return 0;
}

int main(void)
{
	struct shared *s = t_shared(sizeof(*s));
	struct role roles[SENDERS];
	pid_t snd[SENDERS], rcv[2], rsz;
	unsigned char msg[MSG];
	int fd, i, j, lost = 0, dup = 0;

	t_init("resize_load");
	s->idx = t_chan_new(CAP0, MSG, 0);
	if (!T_GE(s->idx, 0, "create a channel of capacity %d", CAP0))
		return t_done();
	fd = t_chan_open(s->idx, O_RDWR);
	for (i = 0; i < CAP0; i++) {
		t_fill(msg, MSG, make_id(PREFILL_ID, i));
		if (t_send(fd, msg, MSG, 0))
			break;
	}
	T_EQ(i, CAP0, "fill it");
	T_EQ(t_attr(s->idx, "len"), CAP0, "len %d", CAP0);
	T_EQ(t_set_capacity(fd, CAP0 - 1), -EBUSY, "shrinking a full channel: EBUSY");
	T_EQ(t_attr(s->idx, "capacity"), CAP0, "  ... capacity unchanged");

	rsz = t_fork(resizer_main, s);
	for (i = 0; i < SENDERS; i++) {
		roles[i].s = s;
		roles[i].id = i;
		snd[i] = t_fork(sender_main, &roles[i]);
	}
	for (i = 0; i < 2; i++)
		rcv[i] = t_fork(receiver_main, s);
	for (i = 0; i < SENDERS; i++)
		T_CHILD(snd[i], T_TIMEOUT_MS * 6, 0, "sender %d sends %d messages", i, PER_SENDER);
	__atomic_store_n(&s->stop, 1, __ATOMIC_SEQ_CST);
	T_CHILD(rsz, T_TIMEOUT_MS, 0, "the resizer stops");
	T_EQ(t_close_chan(fd), 0, "close the channel");
	for (i = 0; i < 2; i++)
		T_CHILD(rcv[i], T_TIMEOUT_MS * 6, 0, "receiver %d drains it and reads end of file", i);

	for (i = 0; i < IDS; i++) {
		int n = i == PREFILL_ID ? CAP0 : PER_SENDER;

		for (j = 0; j < n; j++) {
			lost += !s->got[i][j];
			dup += s->got[i][j] > 1;
		}
	}
	T_EQ(lost, 0, "no message lost");
	T_EQ(dup, 0, "no message received twice");
	T_EQ(s->out_of_order, 0, "each receiver saw each sender's messages in order");
	T_EQ(s->bad, 0, "every message whole");
	T_GT(s->resizes_ok, 0, "resizes succeeded (%d)", s->resizes_ok);
	T_EQ(s->resize_bad, 0, "no resize failed other than with EBUSY (%d EBUSY)",
	     s->resizes_busy);
	T_EQ(t_attr(s->idx, "len"), 0, "len 0 at rest");
	T_EQ(t_attr(s->idx, "waiting_senders"), 0, "no sender parked");
	T_EQ(t_attr(s->idx, "waiting_receivers"), 0, "no receiver parked");
	T_EQ(t_attr(s->idx, "stats/sent"), t_attr(s->idx, "stats/received"),
	     "stats: sent == received");
	T_EQ(t_attr(s->idx, "stats/sent"), CAP0 + SENDERS * PER_SENDER, "stats/sent counts all");
	close(fd);
	T_EQ(t_chan_destroy(s->idx, 0), 0, "destroy chan%d", s->idx);
	return t_done();
}
