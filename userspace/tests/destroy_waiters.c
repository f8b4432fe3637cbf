// SPDX-License-Identifier: GPL-2.0
/*
 * Description: a forced destroy (chan(4), Control device) while children are parked in send
 * and in receive, on capacities 0 and 1: every parked waiter wakes promptly
 * with ENODEV (read, write and the ioctls alike); later operations on the
 * still-open fds give ENODEV; the node is gone; the fds close fine.
 */
#include "helpers.h"

#define NW 3

static void run(unsigned int cap, bool senders)
{
	const char *gauge = senders ? "waiting_senders" : "waiting_receivers";
	int idx = t_chan_new(cap, 32, 0), fd, i;
	struct t_op *op[NW];
	pid_t pid[NW];
	char buf[32];
	uint64_t t0;

	if (!T_GE(idx, 0, "create a channel of capacity %u", cap))
		return;
	fd = t_chan_open(idx, O_RDWR);
	t_set_timeouts(fd, T_TIMEOUT_NS, T_TIMEOUT_NS);
	if (senders && cap)
		T_EQ(t_send(fd, "fill", 4, 0), 0, "fill it");
	for (i = 0; i < NW; i++) {
		op[i] = t_op_new(senders ? (i % 2 ? T_OP_SEND : T_OP_WRITE) :
				 (i % 2 ? T_OP_RECV : T_OP_READ), idx,
				 senders ? O_WRONLY : O_RDONLY, senders ? 5 : 32);
		memcpy(op[i]->buf, "hello", 5);
		pid[i] = T_OP_PARK(op[i], gauge, i + 1);
	}
	t0 = t_now_ns();
	T_EQ(t_chan_destroy(idx, CHAN_DESTROY_F_FORCE), 0,
	     "cap %u: forced destroy with %d parked %s", cap, NW, senders ? "senders" : "receivers");
	for (i = 0; i < NW; i++) {
		T_CHILD(pid[i], T_TIMEOUT_MS, 0, "cap %u: parked %s %d returns", cap,
			t_op_name(op[i]->kind), i);
		T_EQ(op[i]->ret, -ENODEV, "cap %u: parked %s %d gets ENODEV", cap,
		     t_op_name(op[i]->kind), i);
	}
	T_LT((long long)(t_now_ns() - t0), T_TIMEOUT_NS / 2, "cap %u: all of them promptly", cap);
	T_EQ(SYS(access(t_chan_path(idx), F_OK)), -ENOENT, "cap %u: the node is gone", cap);
	T_EQ(SYS(read(fd, buf, sizeof(buf))), -ENODEV, "cap %u: a later read gives ENODEV", cap);
	T_EQ(SYS(write(fd, buf, 1)), -ENODEV, "cap %u: a later write gives ENODEV", cap);
	T_EQ(t_send(fd, buf, 1, T_TIMEOUT_NS), -ENODEV,
	     "cap %u: a later CHAN_IOC_SEND with a 10 s timeout gives ENODEV", cap);
	T_EQ(t_recv(fd, buf, sizeof(buf), T_TIMEOUT_NS), -ENODEV,
	     "cap %u: a later CHAN_IOC_RECV with a 10 s timeout gives ENODEV", cap);
	T_EQ(SYS(close(fd)), 0, "cap %u: closing the fd is fine", cap);
}

int main(void)
{
	unsigned int cap;

	t_init("destroy_waiters");
	for (cap = 0; cap <= 1; cap++) {
		run(cap, true);
		run(cap, false);
	}
	return t_done();
}
