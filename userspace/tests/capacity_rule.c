// SPDX-License-Identifier: GPL-2.0
/*
 * Description: Go's capacity rule (chan(4), DESCRIPTION): with capacity C and one
 * sender, send k+C completes only after receive k starts; with C = 0 a send
 * completes only after the receiver has taken it. A sender child sends
 * blocking and publishes how many sends completed and when; the parent
 * receives slowly: before each receive it waits until the sender is parked
 * and checks that exactly C + k sends completed, lets 20 ms pass (a wrongly
 * completed send would show up in that window) and receives. Finally every
 * send's completion time is checked against the start of the receive that
 * made room for it.
 */
#include "helpers.h"

#define EXTRA	6
#define MAXN	(16 + EXTRA)

struct shared {
	int idx;
	int n;
	volatile int sends_done;
	long ret[MAXN];
	uint64_t t_sent[MAXN];		/* when send i returned (child) */
	uint64_t t_recv_start[MAXN];	/* when receive i started (parent) */
};

static int sender(void *arg)
{
	struct shared *s = arg;
	unsigned char buf[32];
	int fd = t_chan_open(s->idx, O_WRONLY), i;

	if (fd < 0)
		return 2;
	for (i = 0; i < s->n; i++) {
		t_fill(buf, sizeof(buf), i);
		s->ret[i] = SYS(write(fd, buf, sizeof(buf)));
		s->t_sent[i] = t_now_ns();
		__atomic_store_n(&s->sends_done, i + 1, __ATOMIC_SEQ_CST);
	}
	return 0;
}

/* Wait until @s->sends_done >= @want and the sender is parked (or done). */
static int wait_sender(struct shared *s, int want, bool parked)
{
	uint64_t end = t_now_ns() + T_TIMEOUT_NS;
	long long ws;

	while (t_now_ns() < end) {
		if (__atomic_load_n(&s->sends_done, __ATOMIC_SEQ_CST) >= want &&
		    (!parked || (t_attr_read(s->idx, "waiting_senders", &ws) == 0 && ws == 1)))
			return 0;
		t_sleep_ms(1);
	}
	return -ETIMEDOUT;
}

static void run(unsigned int cap)
{
	struct shared *s = t_shared(sizeof(*s));
	unsigned char buf[64];
	int fd, k, bad_time = -1;
	pid_t pid;

	s->n = cap + EXTRA;
	s->idx = t_chan_new(cap, 64, 0);
	if (!T_GE(s->idx, 0, "create a channel of capacity %u", cap))
		return;
	fd = t_chan_open(s->idx, O_RDONLY);
	if (!T_GE(fd, 0, "open it O_RDONLY"))
		goto out;
	pid = t_fork(sender, s);
	for (k = 0; k < s->n; k++) {
		int want = k + (int)cap;
		bool more = want < s->n;

		if (!T_EQ(wait_sender(s, more ? want : s->n, more), 0,
			  "cap %u: before receive %d the sender has completed %d sends%s",
			  cap, k, more ? want : s->n, more ? " and is parked" : ""))
			break;
		t_sleep_ms(20);
		T_EQ(__atomic_load_n(&s->sends_done, __ATOMIC_SEQ_CST), more ? want : s->n,
		     "cap %u: before receive %d exactly %d sends have completed", cap, k,
		     more ? want : s->n);
		if (more)
			T_EQ(t_attr(s->idx, "len"), cap, "cap %u: len is the capacity meanwhile", cap);
		s->t_recv_start[k] = t_now_ns();
		memset(buf, 0, sizeof(buf));
		if (!T_EQ(t_recv(fd, buf, sizeof(buf), T_TIMEOUT_NS), 32,
			  "cap %u: receive %d gets 32 bytes", cap, k))
			break;
		T_OK(t_verify(buf, 32, k), "cap %u: receive %d gets message %d (got %u)", cap, k,
		     k, t_msg_id(buf, 32));
	}
	T_CHILD(pid, T_TIMEOUT_MS, 0, "cap %u: the sender finished", cap);
	for (k = 0; k < s->n; k++) {
		if (s->ret[k] != 32)
			T_EQ(s->ret[k], 32, "cap %u: send %d returned 32", cap, k);
		if (k >= (int)cap && s->t_sent[k] < s->t_recv_start[k - cap] && bad_time < 0)
			bad_time = k;
	}
	T_EQ(bad_time, -1,
	     "cap %u: no send k+C returned before receive k started (first offender: send %d)",
	     cap, bad_time);
	T_EQ(t_attr(s->idx, "len"), 0, "cap %u: len is 0 at the end", cap);
	close(fd);
out:
	T_EQ(t_chan_destroy(s->idx, 0), 0, "destroy chan%d", s->idx);
}

int main(void)
{
	t_init("capacity_rule");
	run(0);
	run(1);
	run(4);
	return t_done();
}
