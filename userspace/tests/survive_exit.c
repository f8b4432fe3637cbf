// SPDX-License-Identifier: GPL-2.0
/*
 * Description: channels are kernel objects (chan(4), DESCRIPTION): messages queued by a
 * process survive its exit, and the exit or SIGKILL of every process that
 * had the channel open. A child sends and exits normally, another sends and
 * is killed with SIGKILL while still holding the fd; with no fd open
 * anywhere, len shows the messages, and a later process receives them all,
 * in order and intact.
 */
#include "helpers.h"

#define N1 5
#define N2 3

struct ctx {
	int idx;
	volatile int sent;
};

static int send_and_exit(void *arg)
{
	struct ctx *x = arg;
	unsigned char buf[40];
	int fd = t_chan_open(x->idx, O_WRONLY), i;

	if (fd < 0)
		return 2;
	for (i = 0; i < N1; i++) {
		t_fill(buf, 10 + i, i);
		if (write(fd, buf, 10 + i) != 10 + i)
			return 3;
	}
	close(fd);
	return 0;
}

static int send_and_wait_for_death(void *arg)
{
	struct ctx *x = arg;
	unsigned char buf[40];
	int fd = t_chan_open(x->idx, O_RDWR), i;

	if (fd < 0)
		return 2;
	for (i = N1; i < N1 + N2; i++) {
		t_fill(buf, 10 + i, i);
		if (write(fd, buf, 10 + i) != 10 + i)
			return 3;
	}
	__atomic_store_n(&x->sent, 1, __ATOMIC_SEQ_CST);
	for (;;)
		pause();
	return 0;
}

static int receive_all(void *arg)
{
	struct ctx *x = arg;
	unsigned char buf[40];
	int fd = t_chan_open(x->idx, O_RDONLY | O_NONBLOCK), i;

	if (fd < 0)
		return 2;
	for (i = 0; i < N1 + N2; i++) {
		memset(buf, 0, sizeof(buf));
		T_EQ(SYS(read(fd, buf, sizeof(buf))), 10 + i, "later process: message %d is there", i);
		T_OK(t_verify(buf, 10 + i, i), "later process: message %d intact, in order (id %u)",
		     i, t_msg_id(buf, 10 + i));
	}
	T_EQ(SYS(read(fd, buf, sizeof(buf))), -EAGAIN, "later process: nothing more");
	return 0;
}

int main(void)
{
	struct ctx *x = t_shared(sizeof(*x));
	uint64_t end;
	pid_t pid;

	t_init("survive_exit");
	x->idx = t_chan_new(N1 + N2, 40, 0);
	if (!T_GE(x->idx, 0, "create a channel of capacity %d", N1 + N2))
		return t_done();

	pid = t_fork(send_and_exit, x);
	T_CHILD(pid, T_TIMEOUT_MS, 0, "a child sends %d messages and exits", N1);
	T_EQ(t_attr(x->idx, "len"), N1, "len is %d after it exited", N1);

	pid = t_fork(send_and_wait_for_death, x);
	end = t_now_ns() + T_TIMEOUT_NS;
	while (!__atomic_load_n(&x->sent, __ATOMIC_SEQ_CST) && t_now_ns() < end)
		t_sleep_ms(1);
	T_EQ(x->sent, 1, "a second child sent %d more", N2);
	kill(pid, SIGKILL);
	T_CHILD(pid, T_TIMEOUT_MS, -SIGKILL, "the second child is killed while holding the fd");

	T_EQ(t_attr(x->idx, "readers"), 0, "no reader fd is open anywhere");
	T_EQ(t_attr(x->idx, "writers"), 0, "no writer fd is open anywhere");
	T_EQ(t_attr(x->idx, "len"), N1 + N2, "all %d messages are still queued", N1 + N2);
	T_EQ(t_attr(x->idx, "closed"), 0, "the channel is not closed");

	pid = t_fork(receive_all, x);
	T_CHILD(pid, T_TIMEOUT_MS, 0, "a later process received everything");
	T_EQ(t_attr(x->idx, "len"), 0, "len is 0");
	T_EQ(t_chan_destroy(x->idx, 0), 0, "destroy chan%d", x->idx);
	return t_done();
}
