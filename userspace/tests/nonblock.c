// SPDX-License-Identifier: GPL-2.0
/*
 * Description: try-operations (chan(4), Timeouts): O_NONBLOCK and a zero
 * ioctl timeout give EAGAIN on a full/empty buffered channel and succeed
 * otherwise; toggling O_NONBLOCK with fcntl takes effect at once. On an
 * unbuffered channel a try-send succeeds exactly when a receiver is parked
 * (here: children blocked in read/RECV, seen in waiting_receivers) and a
 * try-receive succeeds exactly when a sender is parked; otherwise EAGAIN.
 */
#include "helpers.h"

#define MSG 64

static void test_buffered(unsigned int cap)
{
	int idx = t_chan_new(cap, MSG, 0), nb, bl;
	unsigned char buf[MSG];
	unsigned int i;

	if (!T_GE(idx, 0, "create a channel of capacity %u", cap))
		return;
	nb = t_chan_open(idx, O_RDWR | O_NONBLOCK);
	bl = t_chan_open(idx, O_RDWR);
	if (!T_OK(nb >= 0 && bl >= 0, "open it O_RDWR|O_NONBLOCK and O_RDWR"))
		goto out;
	t_set_timeouts(bl, T_TIMEOUT_NS, T_TIMEOUT_NS);

	T_EQ(SYS(read(nb, buf, sizeof(buf))), -EAGAIN, "cap %u: O_NONBLOCK read on empty: EAGAIN", cap);
	T_EQ(t_recv(bl, buf, sizeof(buf), 0), -EAGAIN,
	     "cap %u: CHAN_IOC_RECV timeout 0 on empty: EAGAIN", cap);
	for (i = 0; i < cap; i++) {
		t_fill(buf, 10, i);
		T_EQ(SYS(write(nb, buf, 10)), 10, "cap %u: O_NONBLOCK write %u with space works", cap, i);
	}
	T_EQ(SYS(write(nb, buf, 10)), -EAGAIN, "cap %u: O_NONBLOCK write on full: EAGAIN", cap);
	T_EQ(t_send(bl, buf, 10, 0), -EAGAIN, "cap %u: CHAN_IOC_SEND timeout 0 on full: EAGAIN", cap);
	T_EQ(t_attr(idx, "len"), cap, "cap %u: len is still %u", cap, cap);
	T_EQ(SYS(read(nb, buf, sizeof(buf))), 10, "cap %u: O_NONBLOCK read with a message works", cap);
	T_OK(t_verify(buf, 10, 0), "  ... and gets the first message");
	T_EQ(t_send(bl, buf, 10, 0), 0, "cap %u: CHAN_IOC_SEND timeout 0 with space works", cap);
	T_EQ(t_recv(bl, buf, sizeof(buf), 0), 10, "cap %u: CHAN_IOC_RECV timeout 0 works", cap);
	T_EQ(t_send(bl, buf, 10, 0), 0, "cap %u: refill to full", cap);
	T_EQ(t_attr(idx, "len"), cap, "cap %u: full again", cap);

	/* fcntl(O_NONBLOCK) on a blocking fd takes effect at once. */
	T_EQ(SYS(fcntl(bl, F_SETFL, O_NONBLOCK)), 0, "set O_NONBLOCK with fcntl");
	T_EQ(SYS(write(bl, buf, 10)), -EAGAIN, "cap %u: write on full after F_SETFL: EAGAIN", cap);
	T_EQ(SYS(fcntl(bl, F_SETFL, 0)), 0, "clear O_NONBLOCK with fcntl");
	t_set_timeouts(bl, 20 * T_NSEC_PER_MSEC, 20 * T_NSEC_PER_MSEC);
	T_EQ(SYS(write(bl, buf, 10)), -ETIMEDOUT,
	     "cap %u: write on full blocks again after clearing it (20 ms default: ETIMEDOUT)", cap);

	while (read(nb, buf, sizeof(buf)) > 0)
		;
	T_EQ(t_attr(idx, "len"), 0, "cap %u: drained", cap);
	close(nb);
	close(bl);
out:
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

/* A parked receiver child: a try-send hands its message over. */
static void try_send_to_parked(int idx, int kind, bool by_ioctl)
{
	int fd = by_ioctl ? t_chan_open(idx, O_WRONLY) : t_chan_open(idx, O_WRONLY | O_NONBLOCK);
	struct t_op *op = t_op_new(kind, idx, O_RDONLY, MSG);
	const char *how = by_ioctl ? "CHAN_IOC_SEND timeout 0" : "O_NONBLOCK write";
	unsigned char buf[MSG];
	pid_t pid;
	long r;

	if (!T_GE(fd, 0, "open chan%d for writing", idx))
		return;
	pid = T_OP_PARK(op, "waiting_receivers", 1);
	t_fill(buf, 33, 0xabc);
	r = by_ioctl ? t_send(fd, buf, 33, 0) : SYS(write(fd, buf, 33));
	T_EQ(r, by_ioctl ? 0 : 33, "cap 0: %s to a parked %s succeeds", how, t_op_name(kind));
	T_CHILD(pid, T_TIMEOUT_MS, 0, "the receiving child returns");
	T_EQ(op->ret, 33, "  ... its %s got 33 bytes", t_op_name(kind));
	T_OK(t_verify(op->buf, 33, 0xabc), "  ... the message sent");
	T_EQ(t_attr(idx, "waiting_receivers"), 0, "no receiver parked any more");
	r = by_ioctl ? t_send(fd, buf, 33, 0) : SYS(write(fd, buf, 33));
	T_EQ(r, -EAGAIN, "cap 0: the next %s (no receiver) gives EAGAIN", how);
	close(fd);
}

/* A parked sender child: a try-receive takes its message. */
static void try_recv_from_parked(int idx, int kind, bool by_ioctl)
{
	int fd = by_ioctl ? t_chan_open(idx, O_RDONLY) : t_chan_open(idx, O_RDONLY | O_NONBLOCK);
	struct t_op *op = t_op_new(kind, idx, O_WRONLY, 21);
	const char *how = by_ioctl ? "CHAN_IOC_RECV timeout 0" : "O_NONBLOCK read";
	unsigned char buf[MSG];
	pid_t pid;
	long r;

	if (!T_GE(fd, 0, "open chan%d for reading", idx))
		return;
	t_fill(op->buf, 21, 0xdef);
	pid = T_OP_PARK(op, "waiting_senders", 1);
	T_EQ(t_attr(idx, "len"), 0, "cap 0: the parked sender is not counted in len");
	memset(buf, 0, sizeof(buf));
	r = by_ioctl ? t_recv(fd, buf, sizeof(buf), 0) : SYS(read(fd, buf, sizeof(buf)));
	T_EQ(r, 21, "cap 0: %s from a parked %s gets its 21 bytes", how, t_op_name(kind));
	T_OK(t_verify(buf, 21, 0xdef), "  ... intact");
	T_CHILD(pid, T_TIMEOUT_MS, 0, "the sending child returns");
	T_EQ(op->ret, kind == T_OP_WRITE ? 21 : 0, "  ... its %s succeeded", t_op_name(kind));
	T_EQ(t_attr(idx, "waiting_senders"), 0, "no sender parked any more");
	r = by_ioctl ? t_recv(fd, buf, sizeof(buf), 0) : SYS(read(fd, buf, sizeof(buf)));
	T_EQ(r, -EAGAIN, "cap 0: the next %s (no sender) gives EAGAIN", how);
	close(fd);
}

static void test_unbuffered(void)
{
	int idx = t_chan_new(0, MSG, 0), nb, bl, i;
	struct t_op *ops[3];
	unsigned char buf[MSG] = "x";
	pid_t pids[3];

	if (!T_GE(idx, 0, "create an unbuffered channel"))
		return;
	nb = t_chan_open(idx, O_RDWR | O_NONBLOCK);
	bl = t_chan_open(idx, O_RDWR);
	if (!T_OK(nb >= 0 && bl >= 0, "open it O_RDWR|O_NONBLOCK and O_RDWR"))
		goto out;
	T_EQ(SYS(write(nb, buf, 1)), -EAGAIN, "cap 0: O_NONBLOCK write without a receiver: EAGAIN");
	T_EQ(t_send(bl, buf, 1, 0), -EAGAIN, "cap 0: CHAN_IOC_SEND timeout 0 without a receiver: EAGAIN");
	T_EQ(SYS(read(nb, buf, sizeof(buf))), -EAGAIN, "cap 0: O_NONBLOCK read without a sender: EAGAIN");
	T_EQ(t_recv(bl, buf, sizeof(buf), 0), -EAGAIN,
	     "cap 0: CHAN_IOC_RECV timeout 0 without a sender: EAGAIN");
	T_EQ(t_attr(idx, "len"), 0, "cap 0: len is 0");

	try_send_to_parked(idx, T_OP_READ, false);
	try_send_to_parked(idx, T_OP_RECV, true);
	try_recv_from_parked(idx, T_OP_WRITE, false);
	try_recv_from_parked(idx, T_OP_SEND, true);

	/* Exactly as many try-sends succeed as receivers are parked. */
	for (i = 0; i < 2; i++) {
		ops[i] = t_op_new(T_OP_READ, idx, O_RDONLY, MSG);
		pids[i] = T_OP_PARK(ops[i], "waiting_receivers", i + 1);
	}
	t_fill(buf, 8, 1);
	T_EQ(SYS(write(nb, buf, 8)), 8, "cap 0: two receivers parked: try-send 1 succeeds");
	t_fill(buf, 8, 2);
	T_EQ(t_send(bl, buf, 8, 0), 0, "cap 0: two receivers parked: try-send 2 succeeds");
	T_EQ(t_send(bl, buf, 8, 0), -EAGAIN, "cap 0: try-send 3 finds no receiver: EAGAIN");
	for (i = 0; i < 2; i++) {
		T_CHILD(pids[i], T_TIMEOUT_MS, 0, "receiver %d returns", i);
		T_EQ(ops[i]->ret, 8, "  ... with 8 bytes");
	}
	T_OK((t_msg_id(ops[0]->buf, 8) == 1 && t_msg_id(ops[1]->buf, 8) == 2) ||
	     (t_msg_id(ops[0]->buf, 8) == 2 && t_msg_id(ops[1]->buf, 8) == 1),
	     "each receiver got one of the two messages (ids %u, %u)",
	     t_msg_id(ops[0]->buf, 8), t_msg_id(ops[1]->buf, 8));
	T_EQ(t_attr(idx, "stats/sent"), t_attr(idx, "stats/received"),
	     "stats/sent == stats/received");
	close(nb);
	close(bl);
out:
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

int main(void)
{
	t_init("nonblock");
	test_buffered(1);
	test_buffered(3);
	test_unbuffered();
	return t_done();
}
