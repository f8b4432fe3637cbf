// SPDX-License-Identifier: GPL-2.0
/*
 * Description: CHAN_IOC_CLOSE (chan(4), Closing): idempotent (0 every time);
 * EBADF through an O_RDONLY fd (and the channel stays open); afterwards
 * sends give EPIPE at once even with free space (write, CHAN_IOC_SEND,
 * O_NONBLOCK and timed alike) and no SIGPIPE is raised; receivers drain the
 * queued messages in order, then get 0 (end of file) promptly every time,
 * blocking or not. Close wakes M parked senders with EPIPE (their messages
 * are not delivered) and M parked receivers with 0, on capacities 0 and 1.
 * sysfs closed goes 0 -> 1. poll on a closed channel: POLLHUP|POLLIN for a
 * reader (also while messages remain), POLLERR for a writer; a poller
 * blocked in poll(2) is woken by the close.
 */
#include <poll.h>

#include "helpers.h"

#define MSG 64
#define M 4

static bool sigpipe_pending(void)
{
	sigset_t set;

	sigpending(&set);
	return sigismember(&set, SIGPIPE);
}

static int write_after_close(void *arg)
{
	int idx = *(int *)arg, fd = t_chan_open(idx, O_WRONLY);

	/* SIGPIPE has its default action here: it would kill us. */
	signal(SIGPIPE, SIG_DFL);
	if (fd < 0)
		return 2;
	T_EQ(SYS(write(fd, "x", 1)), -EPIPE, "write after close in a child with default SIGPIPE");
	T_EQ(t_send(fd, "x", 1, 0), -EPIPE, "CHAN_IOC_SEND after close in that child");
	return 0;
}

static void test_close_basics(void)
{
	int idx = t_chan_new(4, MSG, 0), rw, ro, wo, i;
	unsigned char buf[MSG];
	struct pollfd pfd;
	sigset_t set;
	pid_t pid;

	if (!T_GE(idx, 0, "create a channel of capacity 4"))
		return;
	rw = t_chan_open(idx, O_RDWR);
	ro = t_chan_open(idx, O_RDONLY);
	wo = t_chan_open(idx, O_WRONLY | O_NONBLOCK);
	if (!T_OK(rw >= 0 && ro >= 0 && wo >= 0, "open O_RDWR, O_RDONLY, O_WRONLY fds"))
		goto out;
	t_set_timeouts(ro, T_TIMEOUT_NS, T_TIMEOUT_NS);

	T_EQ(t_attr(idx, "closed"), 0, "sysfs closed is 0 before");
	for (i = 0; i < 2; i++) {
		t_fill(buf, 10 + i, i);
		T_EQ(t_send(rw, buf, 10 + i, 0), 0, "queue message %d", i);
	}
	T_EQ(t_close_chan(ro), -EBADF, "CHAN_IOC_CLOSE through an O_RDONLY fd gives EBADF");
	T_EQ(t_attr(idx, "closed"), 0, "  ... and the channel is still open");
	T_EQ(t_send(rw, buf, 1, 0), 0, "  ... and still takes messages");
	T_EQ(t_recv(ro, buf, sizeof(buf), 0), 10, "take message 0 back out");
	t_fill(buf, 10, 0);
	T_EQ(t_send(rw, buf, 10, 0), 0, "and requeue it at the tail");

	/* Block SIGPIPE so a wrongly raised one is seen, not fatal. */
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	sigprocmask(SIG_BLOCK, &set, NULL);

	T_EQ(t_close_chan(wo), 0, "CHAN_IOC_CLOSE through an O_WRONLY fd returns 0");
	T_EQ(t_attr(idx, "closed"), 1, "sysfs closed is 1 after");
	T_EQ(t_close_chan(wo), 0, "a second CHAN_IOC_CLOSE returns 0");
	T_EQ(t_close_chan(rw), 0, "a third, through the O_RDWR fd, returns 0");
	T_EQ(t_attr(idx, "len"), 3, "the 3 queued messages are still there");

	T_EQ(SYS(write(rw, buf, 1)), -EPIPE, "write after close gives EPIPE (with free space)");
	T_EQ(t_send(rw, buf, 1, 0), -EPIPE, "CHAN_IOC_SEND timeout 0 after close gives EPIPE");
	T_EQ(t_send(rw, buf, 1, CHAN_TIMEOUT_INFINITE), -EPIPE,
	     "CHAN_IOC_SEND timeout -1 after close gives EPIPE at once");
	T_EQ(SYS(write(wo, buf, 1)), -EPIPE, "O_NONBLOCK write after close gives EPIPE, not EAGAIN");
	T_OK(!sigpipe_pending(), "no SIGPIPE was raised");
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	pid = t_fork(write_after_close, &idx);
	T_CHILD(pid, T_TIMEOUT_MS, 0, "a child with default SIGPIPE survives EPIPE writes");

	/* Drain in order, then EOF every time. */
	memset(buf, 0, sizeof(buf));
	T_EQ(SYS(read(ro, buf, sizeof(buf))), 11, "drain: message 1 first");
	T_OK(t_verify(buf, 11, 1), "  ... intact");
	T_EQ(t_recv(ro, buf, sizeof(buf), T_TIMEOUT_NS), 1, "drain: then the 1-byte message");
	T_EQ(SYS(read(ro, buf, sizeof(buf))), 10, "drain: then message 0");
	T_OK(t_verify(buf, 10, 0), "  ... intact");
	T_EQ(t_fionread(ro), 0, "FIONREAD is 0 once drained");
	for (i = 0; i < 3; i++) {
		uint64_t t0 = t_now_ns();

		T_EQ(SYS(read(ro, buf, sizeof(buf))), 0, "read on closed and drained gives 0 (#%d)", i);
		T_LT((long long)(t_now_ns() - t0), T_TIMEOUT_NS / 2, "  ... promptly");
	}
	T_EQ(t_recv(ro, buf, sizeof(buf), T_TIMEOUT_NS), 0,
	     "CHAN_IOC_RECV with a 10 s timeout on closed and drained gives 0 (not ETIMEDOUT)");
	T_EQ(t_recv(ro, buf, sizeof(buf), 0), 0, "CHAN_IOC_RECV timeout 0 gives 0, not EAGAIN");
	T_EQ(SYS(fcntl(ro, F_SETFL, O_NONBLOCK)), 0, "set O_NONBLOCK");
	T_EQ(SYS(read(ro, buf, sizeof(buf))), 0, "O_NONBLOCK read gives 0, not EAGAIN");

	pfd = (struct pollfd){ .fd = ro, .events = POLLIN | POLLOUT };
	T_EQ(SYS(poll(&pfd, 1, 0)), 1, "poll on the reader fd reports it ready");
	T_EQ(pfd.revents & (POLLIN | POLLHUP), POLLIN | POLLHUP,
	     "reader: POLLIN|POLLHUP (revents %#x)", pfd.revents);
	pfd = (struct pollfd){ .fd = wo, .events = POLLOUT };
	T_EQ(SYS(poll(&pfd, 1, 0)), 1, "poll on the writer fd reports it ready");
	T_OK(pfd.revents & POLLERR, "writer: POLLERR (revents %#x)", pfd.revents);
	T_EQ(t_attr(idx, "closed"), 1, "sysfs closed stays 1");
	close(rw);
	close(ro);
	close(wo);
out:
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

/* POLLHUP|POLLIN also while messages remain; a blocked poller is woken. */
static int poller(void *arg)
{
	int idx = *(int *)arg, fd = t_chan_open(idx, O_RDONLY);
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int r;

	if (fd < 0)
		return 2;
	r = poll(&pfd, 1, T_TIMEOUT_MS);
	T_EQ(r, 1, "the blocked poller is woken by the close");
	T_EQ(pfd.revents & (POLLIN | POLLHUP), POLLIN | POLLHUP,
	     "  ... with POLLIN|POLLHUP (revents %#x)", pfd.revents);
	return 0;
}

static void test_poll_wake(void)
{
	int idx = t_chan_new(2, MSG, 0), fd;
	struct pollfd pfd;
	pid_t pid;

	if (!T_GE(idx, 0, "create a channel of capacity 2"))
		return;
	fd = t_chan_open(idx, O_RDWR);
	pid = t_fork(poller, &idx);
	T_EQ(t_wait_sleeping(pid, T_TIMEOUT_MS), 0, "the poller child is asleep");
	T_EQ(t_close_chan(fd), 0, "close the channel");
	T_CHILD(pid, T_TIMEOUT_MS, 0, "the poller saw the close");

	close(fd);
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);

	idx = t_chan_new(2, MSG, 0);
	if (!T_GE(idx, 0, "create a channel of capacity 2"))
		return;
	fd = t_chan_open(idx, O_RDWR);
	T_EQ(t_send(fd, "left", 4, 0), 0, "queue a message");
	T_EQ(t_close_chan(fd), 0, "close the channel");
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	poll(&pfd, 1, 0);
	T_EQ(pfd.revents & (POLLIN | POLLHUP), POLLIN | POLLHUP,
	     "closed with a message left: POLLIN|POLLHUP (revents %#x)", pfd.revents);
	close(fd);
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

/* Close wakes M parked senders (EPIPE) or M parked receivers (0). */
static void test_wake(unsigned int cap, bool senders)
{
	int idx = t_chan_new(cap, MSG, 0), fd, i;
	const char *gauge = senders ? "waiting_senders" : "waiting_receivers";
	unsigned char buf[MSG];
	struct t_op *op[M];
	pid_t pid[M];

	if (!T_GE(idx, 0, "create a channel of capacity %u", cap))
		return;
	fd = t_chan_open(idx, O_RDWR);
	if (senders && cap) {
		t_fill(buf, 7, 0xf0);
		T_EQ(t_send(fd, buf, 7, 0), 0, "fill");
	}
	for (i = 0; i < M; i++) {
		op[i] = t_op_new(senders ? (i % 2 ? T_OP_SEND : T_OP_WRITE) :
				 (i % 2 ? T_OP_RECV : T_OP_READ), idx,
				 senders ? O_WRONLY : O_RDONLY, senders ? 5 : MSG);
		t_fill(op[i]->buf, 5, 0x100 + i);
		pid[i] = T_OP_PARK(op[i], gauge, i + 1);
	}
	T_EQ(t_close_chan(fd), 0, "cap %u: close with %d parked %s", cap, M,
	     senders ? "senders" : "receivers");
	for (i = 0; i < M; i++) {
		T_CHILD(pid[i], T_TIMEOUT_MS, 0, "cap %u: parked %s %d returns promptly", cap,
			t_op_name(op[i]->kind), i);
		T_EQ(op[i]->ret, senders ? -EPIPE : 0, "cap %u: parked %s %d gets %s", cap,
		     t_op_name(op[i]->kind), i, senders ? "EPIPE" : "0 (end of file)");
	}
	T_EQ(t_attr(idx, gauge), 0, "cap %u: %s is 0", cap, gauge);
	if (senders && cap) {
		T_EQ(t_recv(fd, buf, sizeof(buf), 0), 7, "cap %u: the queued filler drains", cap);
		T_OK(t_verify(buf, 7, 0xf0), "  ... it is the filler");
	}
	T_EQ(t_recv(fd, buf, sizeof(buf), 0), 0,
	     "cap %u: then end of file: the parked senders' messages were not delivered", cap);
	T_EQ(t_attr(idx, "stats/received"), senders && cap ? 1 : 0,
	     "cap %u: stats/received counts only the filler", cap);
	close(fd);
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

int main(void)
{
	unsigned int cap;

	t_init("close_drain");
	test_close_basics();
	test_poll_wake();
	for (cap = 0; cap <= 1; cap++) {
		test_wake(cap, true);
		test_wake(cap, false);
	}
	return t_done();
}
