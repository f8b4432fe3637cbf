// SPDX-License-Identifier: GPL-2.0
/*
 * Description: poll(2) and the non-blocking operations agree in every
 * state: POLLIN|POLLRDNORM exactly when a non-blocking read
 * would not block (it returns a message, or 0 at the end of a closed
 * channel), POLLOUT|POLLWRNORM exactly when a non-blocking write would
 * succeed. For each state an O_RDWR|O_NONBLOCK fd is polled (timeout 0),
 * the revents are checked, and a read and a write are each made right
 * after a poll and checked against it (restoring the state in between):
 * buffered empty, one message, full, full then one received, full then
 * grown with CHAN_IOC_SET_CAPACITY (POLLOUT appears), closed with messages
 * queued (POLLIN|POLLHUP and POLLERR: reads succeed, then return 0, writes
 * give EPIPE), closed and drained, unbuffered idle (neither), unbuffered
 * with a sender parked (POLLIN: the read takes its message and the sender
 * returns), unbuffered with a receiver parked (POLLOUT: the write hands it
 * over), unbuffered closed, buffered with a receiver parked (POLLOUT) and
 * full with a sender parked (which keeps the freed slot: no POLLOUT),
 * shrunk to full, resized to 0 under a receiver that parked while buffered,
 * grown from 0 under a parked receiver, destroyed with the fd open
 * (POLLHUP|POLLERR, ENODEV). O_RDONLY
 * and O_WRONLY fds on a closed channel see the reader's and the writer's
 * half. epoll with EPOLLET: each of 3 writes to a buffered channel is an
 * edge even though the channel was already non-empty (also waking an
 * epoll_wait blocked in another process), and the reads that follow do not
 * block.
 */
#include <poll.h>
#include <sys/epoll.h>

#include "helpers.h"

#define MSG 32

#define IN	(POLLIN | POLLRDNORM)
#define OUT	(POLLOUT | POLLWRNORM)

static short revents(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM };
	int n = poll(&pfd, 1, 0);

	if (n < 0)
		return -1;
	return n ? pfd.revents : 0;
}

static const char *evname(short ev)
{
	static char bufs[4][80];
	static int slot;
	char *b = bufs[slot++ % 4];

	if (ev < 0)
		return "poll failed";
	snprintf(b, 80, "%s%s%s%s%s%s%s", ev ? "" : "none",
		 ev & POLLIN ? "IN|" : "", ev & POLLRDNORM ? "RDNORM|" : "",
		 ev & POLLOUT ? "OUT|" : "", ev & POLLWRNORM ? "WRNORM|" : "",
		 ev & POLLHUP ? "HUP|" : "", ev & POLLERR ? "ERR|" : "");
	if (ev && b[0])
		b[strlen(b) - 1] = '\0';
	return b;
}

/* The revents of @fd are exactly @want. */
static void expect_mask(int fd, const char *state, short want)
{
	short ev = revents(fd);

	T_EQ(ev, want, "%s: poll gives %s (got %s)", state, evname(want), evname(ev));
}

/*
 * Poll, then a non-blocking read: POLLIN and POLLRDNORM are set exactly when
 * the read returned a message or 0. Returns the read's result.
 */
static long read_agrees(int fd, const char *state, void *buf)
{
	short ev = revents(fd);
	long r = SYS(read(fd, buf, MSG));

	T_EQ((ev & IN) == IN, r >= 0,
	     "%s: POLLIN|POLLRDNORM %s and the non-blocking read %s (revents %s, read %ld)", state,
	     (ev & IN) == IN ? "set" : "clear", r >= 0 ? "does not block" : "fails", evname(ev), r);
	T_EQ(!!(ev & POLLIN), !!(ev & POLLRDNORM), "%s: POLLIN and POLLRDNORM come together", state);
	return r;
}

/*
 * Poll, then a non-blocking write of @len bytes: POLLOUT and POLLWRNORM are
 * set exactly when it succeeded. Returns the write's result.
 */
static long write_agrees(int fd, const char *state, const void *msg, size_t len)
{
	short ev = revents(fd);
	long r = SYS(write(fd, msg, len));

	T_EQ((ev & OUT) == OUT, r == (long)len,
	     "%s: POLLOUT|POLLWRNORM %s and the non-blocking write %s (revents %s, write %ld)", state,
	     (ev & OUT) == OUT ? "set" : "clear", r == (long)len ? "succeeds" : "fails", evname(ev),
	     r);
	T_EQ(!!(ev & POLLOUT), !!(ev & POLLWRNORM), "%s: POLLOUT and POLLWRNORM come together",
	     state);
	return r;
}

/* The states of a buffered channel of capacity 2. */
static void test_buffered(void)
{
	int idx = t_chan_new(2, MSG, 0), fd, ro, wo;
	unsigned char buf[MSG], msg[MSG];
	const char *st;

	if (!T_GE(idx, 0, "create a channel of capacity 2"))
		return;
	fd = t_chan_open(idx, O_RDWR | O_NONBLOCK);
	if (!T_GE(fd, 0, "open it O_RDWR|O_NONBLOCK"))
		goto out;
	t_fill(msg, 5, 1);

	st = "buffered empty";
	expect_mask(fd, st, OUT);
	T_EQ(read_agrees(fd, st, buf), -EAGAIN, "%s: the read gives EAGAIN", st);
	T_EQ(write_agrees(fd, st, msg, 5), 5, "%s: the write succeeds", st);
	T_EQ(SYS(read(fd, buf, MSG)), 5, "  (restore: read it back)");

	st = "one message";
	T_EQ(SYS(write(fd, msg, 5)), 5, "%s: write one", st);
	expect_mask(fd, st, IN | OUT);
	T_EQ(read_agrees(fd, st, buf), 5, "%s: the read gets it", st);
	T_EQ(SYS(write(fd, msg, 5)), 5, "  (restore: send it again)");
	expect_mask(fd, st, IN | OUT);
	T_EQ(write_agrees(fd, st, msg, 5), 5, "%s: the write succeeds", st);

	st = "full";
	expect_mask(fd, st, IN);
	T_EQ(t_attr(idx, "len"), 2, "%s: len 2", st);
	T_EQ(write_agrees(fd, st, msg, 5), -EAGAIN, "%s: the write gives EAGAIN", st);
	T_EQ(read_agrees(fd, st, buf), 5, "%s: the read gets a message", st);

	st = "full then one received";
	expect_mask(fd, st, IN | OUT);
	T_EQ(read_agrees(fd, st, buf), 5, "%s: the read gets the other", st);
	T_EQ(SYS(write(fd, msg, 5)), 5, "  (restore: send it again)");
	expect_mask(fd, st, IN | OUT);
	T_EQ(write_agrees(fd, st, msg, 5), 5, "%s: the write succeeds (full again)", st);

	st = "full, capacity grown to 3";
	expect_mask(fd, "full again", IN);
	T_EQ(t_set_capacity(fd, 3), 0, "CHAN_IOC_SET_CAPACITY 2 -> 3 on the full channel");
	expect_mask(fd, st, IN | OUT);
	T_EQ(write_agrees(fd, st, msg, 5), 5, "%s: the write succeeds", st);
	expect_mask(fd, "full at capacity 3", IN);
	T_EQ(write_agrees(fd, "full at capacity 3", msg, 5), -EAGAIN,
	     "full at capacity 3: the write gives EAGAIN");
	T_EQ(read_agrees(fd, "full at capacity 3", buf), 5, "full at capacity 3: the read works");

	/* Two queued now: close. */
	ro = t_chan_open(idx, O_RDONLY | O_NONBLOCK);
	wo = t_chan_open(idx, O_WRONLY | O_NONBLOCK);
	T_OK(ro >= 0 && wo >= 0, "open O_RDONLY and O_WRONLY fds too");
	T_EQ(t_close_chan(fd), 0, "CHAN_IOC_CLOSE with 2 messages queued");
	st = "closed with messages queued";
	expect_mask(fd, st, IN | POLLHUP | POLLERR);
	T_EQ(revents(ro) & (IN | POLLHUP | POLLERR), IN | POLLHUP,
	     "%s: an O_RDONLY fd sees POLLIN|POLLRDNORM|POLLHUP, no POLLERR (%s)", st,
	     evname(revents(ro)));
	T_EQ(revents(wo) & (OUT | POLLERR), POLLERR,
	     "%s: an O_WRONLY fd sees POLLERR, no POLLOUT (%s)", st, evname(revents(wo)));
	T_EQ(write_agrees(fd, st, msg, 5), -EPIPE, "%s: the write gives EPIPE", st);
	T_EQ(read_agrees(fd, st, buf), 5, "%s: the read gets message 1 of 2", st);
	expect_mask(fd, st, IN | POLLHUP | POLLERR);
	T_EQ(read_agrees(fd, st, buf), 5, "%s: the read gets message 2 of 2", st);

	st = "closed and drained";
	expect_mask(fd, st, IN | POLLHUP | POLLERR);
	T_EQ(read_agrees(fd, st, buf), 0, "%s: the read returns 0 (end of file)", st);
	T_EQ(read_agrees(fd, st, buf), 0, "%s: and 0 again", st);
	T_EQ(write_agrees(fd, st, msg, 5), -EPIPE, "%s: the write gives EPIPE", st);
	T_EQ(revents(ro) & (IN | POLLHUP | POLLERR), IN | POLLHUP,
	     "%s: an O_RDONLY fd sees POLLIN|POLLRDNORM|POLLHUP, no POLLERR (%s)", st,
	     evname(revents(ro)));
	T_EQ(SYS(read(ro, buf, MSG)), 0, "%s: a read on it returns 0", st);
	T_EQ(revents(wo) & (OUT | POLLERR), POLLERR,
	     "%s: an O_WRONLY fd sees POLLERR, no POLLOUT (%s)", st, evname(revents(wo)));
	T_EQ(SYS(write(wo, msg, 5)), -EPIPE, "%s: a write on it gives EPIPE", st);
	T_EQ(t_attr(idx, "stats/sent"), t_attr(idx, "stats/received"), "stats/sent == stats/received");
	if (ro >= 0)
		close(ro);
	if (wo >= 0)
		close(wo);
	close(fd);
out:
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

static void test_unbuffered(void)
{
	int idx = t_chan_new(0, MSG, 0), fd;
	unsigned char buf[MSG], msg[MSG];
	struct t_op *op;
	const char *st;
	pid_t pid;

	if (!T_GE(idx, 0, "create an unbuffered channel"))
		return;
	fd = t_chan_open(idx, O_RDWR | O_NONBLOCK);
	if (!T_GE(fd, 0, "open it O_RDWR|O_NONBLOCK"))
		goto out;
	t_fill(msg, 9, 77);

	st = "unbuffered idle";
	expect_mask(fd, st, 0);
	T_EQ(read_agrees(fd, st, buf), -EAGAIN, "%s: the read gives EAGAIN", st);
	T_EQ(write_agrees(fd, st, msg, 9), -EAGAIN, "%s: the write gives EAGAIN", st);

	st = "unbuffered, a sender parked";
	op = t_op_new(T_OP_WRITE, idx, O_WRONLY, 11);
	t_fill(op->buf, 11, 0x5e);
	pid = T_OP_PARK(op, "waiting_senders", 1);
	expect_mask(fd, st, IN);
	T_EQ(write_agrees(fd, st, msg, 9), -EAGAIN, "%s: the write gives EAGAIN (nobody receives)", st);
	T_EQ(t_attr(idx, "waiting_senders"), 1, "%s: still parked", st);
	memset(buf, 0, sizeof(buf));
	T_EQ(read_agrees(fd, st, buf), 11, "%s: the read gets its 11 bytes", st);
	T_OK(t_verify(buf, 11, 0x5e), "%s: intact", st);
	T_CHILD(pid, T_TIMEOUT_MS, 0, "%s: the sender returns", st);
	T_EQ(op->ret, 11, "%s: its write returned 11", st);
	expect_mask(fd, "unbuffered idle again", 0);

	st = "unbuffered, a receiver parked";
	op = t_op_new(T_OP_READ, idx, O_RDONLY, MSG);
	pid = T_OP_PARK(op, "waiting_receivers", 1);
	expect_mask(fd, st, OUT);
	T_EQ(read_agrees(fd, st, buf), -EAGAIN, "%s: the read gives EAGAIN (nobody sends)", st);
	T_EQ(t_attr(idx, "waiting_receivers"), 1, "%s: still parked", st);
	T_EQ(write_agrees(fd, st, msg, 9), 9, "%s: the write hands 9 bytes over", st);
	T_CHILD(pid, T_TIMEOUT_MS, 0, "%s: the receiver returns", st);
	T_EQ(op->ret, 9, "%s: its read got 9 bytes", st);
	T_OK(t_verify(op->buf, 9, 77), "%s: intact", st);
	expect_mask(fd, "unbuffered idle again", 0);
	T_EQ(t_attr(idx, "stats/sent"), 2, "stats/sent 2");
	T_EQ(t_attr(idx, "stats/received"), 2, "stats/received 2");

	st = "unbuffered closed";
	T_EQ(t_close_chan(fd), 0, "CHAN_IOC_CLOSE");
	expect_mask(fd, st, IN | POLLHUP | POLLERR);
	T_EQ(read_agrees(fd, st, buf), 0, "%s: the read returns 0", st);
	T_EQ(write_agrees(fd, st, msg, 9), -EPIPE, "%s: the write gives EPIPE", st);
	close(fd);
out:
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

/* Buffered states with a peer parked, and resizes with one parked. */
static void test_parked_and_resized(void)
{
	int idx = t_chan_new(2, MSG, 0), fd;
	unsigned char buf[MSG], msg[MSG];
	struct t_op *op;
	const char *st;
	pid_t pid;
	long r;

	if (!T_GE(idx, 0, "create a channel of capacity 2"))
		return;
	fd = t_chan_open(idx, O_RDWR | O_NONBLOCK);
	if (!T_GE(fd, 0, "open it O_RDWR|O_NONBLOCK"))
		goto out;
	t_fill(msg, 7, 500);

	st = "buffered empty, a receiver parked";
	op = t_op_new(T_OP_READ, idx, O_RDONLY, MSG);
	pid = T_OP_PARK(op, "waiting_receivers", 1);
	expect_mask(fd, st, OUT);
	T_EQ(read_agrees(fd, st, buf), -EAGAIN, "%s: the read gives EAGAIN", st);
	T_EQ(write_agrees(fd, st, msg, 7), 7, "%s: the write succeeds", st);
	T_CHILD(pid, T_TIMEOUT_MS, 0, "%s: the receiver returns", st);
	T_OK(op->ret == 7 && t_verify(op->buf, 7, 500), "%s: with the message (%ld)", st, op->ret);

	st = "full, a sender parked";
	T_EQ(SYS(write(fd, msg, 7)), 7, "write 1 of 2");
	T_EQ(SYS(write(fd, msg, 7)), 7, "write 2 of 2");
	op = t_op_new(T_OP_WRITE, idx, O_WRONLY, 7);
	memcpy(op->buf, msg, 7);
	pid = T_OP_PARK(op, "waiting_senders", 1);
	expect_mask(fd, st, IN);
	T_EQ(write_agrees(fd, st, msg, 7), -EAGAIN, "%s: the write gives EAGAIN", st);
	T_EQ(read_agrees(fd, st, buf), 7, "%s: the read gets a message", st);
	T_CHILD(pid, T_TIMEOUT_MS, 0, "%s: the sender gets the freed slot and returns", st);
	T_EQ(op->ret, 7, "%s: its write succeeded", st);
	st = "full again (the parked sender took the slot)";
	expect_mask(fd, st, IN);
	T_EQ(write_agrees(fd, st, msg, 7), -EAGAIN, "%s: the write gives EAGAIN", st);
	T_EQ(read_agrees(fd, st, buf), 7, "%s: the read works", st);

	st = "one queued, capacity shrunk to 1 (full)";
	T_EQ(t_set_capacity(fd, 1), 0, "CHAN_IOC_SET_CAPACITY 2 -> 1 with one message");
	expect_mask(fd, st, IN);
	T_EQ(write_agrees(fd, st, msg, 7), -EAGAIN, "%s: the write gives EAGAIN", st);
	T_EQ(read_agrees(fd, st, buf), 7, "%s: the read works", st);
	expect_mask(fd, "capacity 1, empty", OUT);

	/* A receiver parked while the channel was buffered, then it becomes unbuffered. */
	st = "resized to 0 under a receiver that parked while buffered";
	op = t_op_new(T_OP_READ, idx, O_RDONLY, MSG);
	pid = T_OP_PARK(op, "waiting_receivers", 1);
	T_EQ(t_set_capacity(fd, 0), 0, "CHAN_IOC_SET_CAPACITY 1 -> 0 with a receiver parked");
	/*
	 * The resize sends the receiver back to park again with its buffer
	 * pinned; until it has, no write could reach it and poll rightly says
	 * so. Poll and write are compared once it is parked again.
	 */
	T_EQ(t_wait_attr(idx, "waiting_receivers", 1, T_TIMEOUT_MS), 0,
	     "%s: the receiver parks again (waiting_receivers 1)", st);
	T_EQ(read_agrees(fd, st, buf), -EAGAIN, "%s: the read gives EAGAIN", st);
	r = write_agrees(fd, st, msg, 7);
	if (r != 7) {
		/* Say what happens next, to tell a transient state from a lost receiver. */
		t_wait_attr(idx, "waiting_receivers", 1, T_TIMEOUT_MS);
		r = SYS(write(fd, msg, 7));
		t_diag("%s: after that write, waiting_receivers is 1 and a second non-blocking write gives %ld",
		       st, r);
		if (r != 7)
			T_EQ(t_send(fd, msg, 7, T_TIMEOUT_NS), 0, "%s: a blocking send reaches it", st);
	}
	T_CHILD(pid, T_TIMEOUT_MS, 0, "%s: the receiver returns", st);
	T_OK(op->ret == 7 && t_verify(op->buf, 7, 500), "%s: with the message (%ld)", st, op->ret);

	/* A receiver parked on the unbuffered channel, then it becomes buffered. */
	st = "grown from 0 to 2 under a parked receiver";
	op = t_op_new(T_OP_READ, idx, O_RDONLY, MSG);
	pid = T_OP_PARK(op, "waiting_receivers", 1);
	expect_mask(fd, "unbuffered, a receiver parked", OUT);
	T_EQ(t_set_capacity(fd, 2), 0, "CHAN_IOC_SET_CAPACITY 0 -> 2 with a receiver parked");
	expect_mask(fd, st, OUT);
	T_EQ(read_agrees(fd, st, buf), -EAGAIN, "%s: the read gives EAGAIN", st);
	T_EQ(write_agrees(fd, st, msg, 7), 7, "%s: the write succeeds", st);
	T_CHILD(pid, T_TIMEOUT_MS, 0, "%s: the receiver returns", st);
	T_OK(op->ret == 7 && t_verify(op->buf, 7, 500), "%s: with the message (%ld)", st, op->ret);
	expect_mask(fd, "capacity 2, empty", OUT);
	T_EQ(t_attr(idx, "len"), 0, "len 0");
	T_EQ(t_attr(idx, "stats/sent"), t_attr(idx, "stats/received"), "stats/sent == stats/received");
	close(fd);
out:
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

static void test_destroyed(unsigned int cap)
{
	int idx = t_chan_new(cap, MSG, 0), fd, ro, wo;
	unsigned char buf[MSG], msg[MSG] = "gone";
	char st[64];

	if (!T_GE(idx, 0, "create a channel of capacity %u", cap))
		return;
	fd = t_chan_open(idx, O_RDWR | O_NONBLOCK);
	ro = t_chan_open(idx, O_RDONLY | O_NONBLOCK);
	wo = t_chan_open(idx, O_WRONLY | O_NONBLOCK);
	if (!T_OK(fd >= 0 && ro >= 0 && wo >= 0, "open O_RDWR, O_RDONLY, O_WRONLY (O_NONBLOCK)")) {
		T_EQ(t_chan_destroy(idx, CHAN_DESTROY_F_FORCE), 0, "destroy chan%d", idx);
		return;
	}
	if (cap)
		T_EQ(SYS(write(fd, msg, 4)), 4, "cap %u: queue one message", cap);
	T_EQ(t_chan_destroy(idx, CHAN_DESTROY_F_FORCE), 0,
	     "cap %u: CHAN_CTL_DESTROY FORCE with the fds open", cap);
	snprintf(st, sizeof(st), "cap %u destroyed", cap);
	expect_mask(fd, st, POLLHUP | POLLERR);
	T_EQ(revents(ro), POLLHUP | POLLERR, "%s: the O_RDONLY fd sees POLLHUP|POLLERR", st);
	T_EQ(revents(wo), POLLHUP | POLLERR, "%s: the O_WRONLY fd sees POLLHUP|POLLERR", st);
	T_EQ(read_agrees(fd, st, buf), -ENODEV, "%s: the read gives ENODEV", st);
	T_EQ(write_agrees(fd, st, msg, 4), -ENODEV, "%s: the write gives ENODEV", st);
	close(fd);
	close(ro);
	close(wo);
}

/* An epoll_wait blocked in a child, woken by each of the parent's writes. */
struct et_waiter {
	int idx;
	volatile int waiting;	/* rounds started */
	volatile int woken;	/* rounds that returned an event */
	int n[3];
	uint32_t ev[3];
	uint64_t waited_ns[3];
};

static int et_child(void *arg)
{
	struct et_waiter *w = arg;
	int fd = t_chan_open(w->idx, O_RDONLY | O_NONBLOCK), ep, i;
	struct epoll_event e = { .events = EPOLLIN | EPOLLET };
	uint64_t t0;

	if (fd < 0)
		return 2;
	ep = epoll_create1(0);
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e))
		return 3;
	/* The channel is non-empty already: take the edge of the registration. */
	epoll_wait(ep, &e, 1, 0);
	for (i = 0; i < 3; i++) {
		t0 = t_now_ns();
		__atomic_store_n(&w->waiting, i + 1, __ATOMIC_SEQ_CST);
		w->n[i] = epoll_wait(ep, &e, 1, T_TIMEOUT_MS);
		w->ev[i] = e.events;
		w->waited_ns[i] = t_now_ns() - t0;
		__atomic_store_n(&w->woken, i + 1, __ATOMIC_SEQ_CST);
	}
	return 0;
}

static void test_epoll_et(void)
{
	int idx = t_chan_new(4, MSG, 0), fd, ep, i, n;
	unsigned char buf[MSG], msg[MSG];
	struct epoll_event e;
	struct et_waiter *w;
	uint64_t t0, end;
	pid_t pid;

	if (!T_GE(idx, 0, "create a channel of capacity 4"))
		return;
	fd = t_chan_open(idx, O_RDWR | O_NONBLOCK);
	if (!T_GE(fd, 0, "open it O_RDWR|O_NONBLOCK"))
		goto out;
	ep = epoll_create1(0);
	e = (struct epoll_event){ .events = EPOLLIN | EPOLLET, .data.fd = fd };
	T_EQ(SYS(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e)), 0, "EPOLL_CTL_ADD EPOLLIN|EPOLLET");
	T_EQ(SYS(epoll_wait(ep, &e, 1, 0)), 0, "ET: no event while empty");
	for (i = 1; i <= 3; i++) {
		t_fill(msg, 6, 300 + i);
		T_EQ(SYS(write(fd, msg, 6)), 6, "write #%d (the channel held %d)", i, i - 1);
		t0 = t_now_ns();
		e.events = 0;
		n = SYS(epoll_wait(ep, &e, 1, T_TIMEOUT_MS));
		T_EQ(n, 1, "ET: epoll_wait returns an event after write #%d", i);
		T_OK(e.events & EPOLLIN, "  ... EPOLLIN (%#x), at once (%llu us)", e.events,
		     (unsigned long long)((t_now_ns() - t0) / 1000));
		T_EQ(SYS(epoll_wait(ep, &e, 1, 0)), 0, "ET: write #%d's edge is reported once", i);
	}
	for (i = 1; i <= 3; i++) {
		memset(buf, 0, sizeof(buf));
		T_EQ(SYS(read(fd, buf, MSG)), 6, "read #%d does not block", i);
		T_OK(t_verify(buf, 6, 300 + i), "  ... message %d", i);
	}
	T_EQ(SYS(read(fd, buf, MSG)), -EAGAIN, "then the channel is empty: EAGAIN");

	/* The same with the waiter blocked in epoll_wait in another process. */
	T_EQ(SYS(write(fd, msg, 6)), 6, "write one so the channel is non-empty");
	w = t_shared(sizeof(*w));
	w->idx = idx;
	pid = t_fork(et_child, w);
	for (i = 0; i < 3; i++) {
		end = t_now_ns() + T_TIMEOUT_NS;
		while (__atomic_load_n(&w->waiting, __ATOMIC_SEQ_CST) < i + 1 && t_now_ns() < end)
			t_sleep_ms(1);
		t_wait_sleeping(pid, T_TIMEOUT_MS);
		t_sleep_ms(20);
		T_EQ(SYS(write(fd, msg, 6)), 6, "write #%d while the child waits in epoll_wait (ET)", i + 1);
		while (__atomic_load_n(&w->woken, __ATOMIC_SEQ_CST) < i + 1 && t_now_ns() < end)
			t_sleep_ms(1);
		T_EQ(w->n[i], 1, "  ... the child's epoll_wait #%d returns an event", i + 1);
		T_OK(w->ev[i] & EPOLLIN, "  ... EPOLLIN (%#x)", w->ev[i]);
	}
	T_CHILD(pid, T_TIMEOUT_MS, 0, "the epoll child returns");
	for (i = 0; i < 4; i++)
		T_EQ(SYS(read(fd, buf, MSG)), 6, "read %d of 4 does not block", i + 1);
	T_EQ(SYS(read(fd, buf, MSG)), -EAGAIN, "then EAGAIN");
	close(ep);
	close(fd);
out:
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

/*
 * EPOLLET: a message that joins the ring when a receive frees a slot of a
 * full channel (the parked sender's, moved in) is an edge too, and so is
 * the room it makes for an EPOLLOUT watcher when nobody is parked.
 */
static void test_epoll_et_moved_in(void)
{
	int idx = t_chan_new(1, MSG, 0), fd, ep;
	unsigned char buf[MSG], msg[MSG];
	struct epoll_event e;
	struct t_op *tx;
	pid_t ptx;

	if (!T_GE(idx, 0, "create a channel of capacity 1"))
		return;
	fd = t_chan_open(idx, O_RDWR | O_NONBLOCK);
	ep = epoll_create1(0);
	e = (struct epoll_event){ .events = EPOLLIN | EPOLLOUT | EPOLLET, .data.fd = fd };
	T_EQ(SYS(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e)), 0, "EPOLL_CTL_ADD EPOLLIN|EPOLLOUT|EPOLLET");
	T_EQ(SYS(epoll_wait(ep, &e, 1, 0)), 1, "ET: empty channel: the first report");
	t_fill(msg, 7, 501);
	T_EQ(SYS(write(fd, msg, 7)), 7, "fill it");
	T_EQ(SYS(epoll_wait(ep, &e, 1, 0)), 1, "ET: the write is an edge");
	T_EQ(SYS(epoll_wait(ep, &e, 1, 0)), 0, "ET: reported once");
	tx = t_op_new(T_OP_WRITE, idx, O_WRONLY, 9);
	t_fill(tx->buf, 9, 502);
	ptx = T_OP_PARK(tx, "waiting_senders", 1);
	T_EQ(SYS(epoll_wait(ep, &e, 1, 0)), 0, "ET: a sender parking on a full channel is no edge");
	T_EQ(SYS(read(fd, buf, MSG)), 7, "read the first message");
	T_CHILD(ptx, T_TIMEOUT_MS, 0, "the parked sender's message moves in, it returns");
	e.events = 0;
	T_EQ(SYS(epoll_wait(ep, &e, 1, T_TIMEOUT_MS)), 1,
	     "ET: the message moved in is an edge");
	T_EQ(e.events & (EPOLLIN | EPOLLOUT), EPOLLIN, "  ... EPOLLIN only: still full");
	T_EQ(SYS(read(fd, buf, MSG)), 9, "read it");
	T_OK(t_verify(buf, 9, 502), "  ... intact");
	e.events = 0;
	T_EQ(SYS(epoll_wait(ep, &e, 1, T_TIMEOUT_MS)), 1, "ET: the room it leaves is an edge");
	T_OK(e.events & EPOLLOUT, "  ... EPOLLOUT (%#x)", e.events);
	close(ep);
	close(fd);
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

int main(void)
{
	t_init("poll_agree");
	test_buffered();
	test_unbuffered();
	test_parked_and_resized();
	test_destroyed(2);
	test_destroyed(0);
	test_epoll_et();
	test_epoll_et_moved_in();
	return t_done();
}
