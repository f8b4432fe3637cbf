// SPDX-License-Identifier: GPL-2.0
/*
 * Description: readiness (chan(4), Polling) through poll(2), select(2) and epoll:
 * on capacities 1 and 3, POLLOUT|POLLWRNORM while there is space and not
 * when full, POLLIN|POLLRDNORM while a message is queued; on capacity 0,
 * POLLOUT only while a receiver is parked and POLLIN only while a sender is
 * parked (which counts in waiting_senders, never in len). epoll level-
 * triggered reports again and again; with EPOLLET every send is an edge even
 * when the queue was already non-empty, and freeing space is an EPOLLOUT
 * edge. Blocked pollers are woken from other processes: epoll_wait by a
 * send, poll(POLLOUT) by a receive, and on capacity 0 poll(POLLIN) by a
 * sender parking and poll(POLLOUT) by a receiver parking.
 */
#include <poll.h>
#include <sys/epoll.h>
#include <sys/select.h>

#include "helpers.h"

#define MSG 32

static short revents(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM };

	if (poll(&pfd, 1, 0) < 0)
		return -1;
	return pfd.revents;
}

/* select(2) with a zero timeout: bit 1 readable, bit 2 writable. */
static int selected(int fd)
{
	struct timeval tv = { 0, 0 };
	fd_set r, w;

	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_SET(fd, &r);
	FD_SET(fd, &w);
	if (select(fd + 1, &r, &w, NULL, &tv) < 0)
		return -1;
	return (FD_ISSET(fd, &r) ? 1 : 0) | (FD_ISSET(fd, &w) ? 2 : 0);
}

static void expect_ready(int fd, bool in, bool out, const char *state)
{
	short ev = revents(fd);

	T_EQ(!!(ev & POLLIN), in, "%s: POLLIN %s (revents %#x)", state, in ? "set" : "clear", ev);
	T_EQ(!!(ev & POLLRDNORM), in, "%s: POLLRDNORM %s", state, in ? "set" : "clear");
	T_EQ(!!(ev & POLLOUT), out, "%s: POLLOUT %s", state, out ? "set" : "clear");
	T_EQ(!!(ev & POLLWRNORM), out, "%s: POLLWRNORM %s", state, out ? "set" : "clear");
	T_EQ(ev & (POLLERR | POLLHUP), 0, "%s: no POLLERR/POLLHUP on an open channel", state);
	T_EQ(selected(fd), (in ? 1 : 0) | (out ? 2 : 0), "%s: select agrees (1 = read, 2 = write)",
	     state);
}

static void test_buffered(unsigned int cap)
{
	int idx = t_chan_new(cap, MSG, 0), fd;
	char state[64], buf[MSG] = "r";
	unsigned int i;

	if (!T_GE(idx, 0, "create a channel of capacity %u", cap))
		return;
	fd = t_chan_open(idx, O_RDWR);
	snprintf(state, sizeof(state), "cap %u empty", cap);
	expect_ready(fd, false, true, state);
	for (i = 1; i <= cap; i++) {
		T_EQ(t_send(fd, buf, 1, 0), 0, "cap %u: send %u", cap, i);
		snprintf(state, sizeof(state), "cap %u with %u queued", cap, i);
		expect_ready(fd, true, i < cap, state);
	}
	T_EQ(t_recv(fd, buf, sizeof(buf), 0), 1, "cap %u: receive one", cap);
	snprintf(state, sizeof(state), "cap %u with %u queued", cap, cap - 1);
	expect_ready(fd, cap > 1, true, state);
	while (t_recv(fd, buf, sizeof(buf), 0) > 0)
		;
	close(fd);
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

static void test_unbuffered(void)
{
	int idx = t_chan_new(0, MSG, 0), fd;
	char buf[MSG];
	struct t_op *op;
	pid_t pid;

	if (!T_GE(idx, 0, "create an unbuffered channel"))
		return;
	fd = t_chan_open(idx, O_RDWR);
	expect_ready(fd, false, false, "cap 0, nobody parked");

	op = t_op_new(T_OP_READ, idx, O_RDONLY, MSG);
	pid = T_OP_PARK(op, "waiting_receivers", 1);
	expect_ready(fd, false, true, "cap 0, a receiver parked");
	T_EQ(t_send(fd, "hi", 2, 0), 0, "cap 0: try-send to it");
	T_CHILD(pid, T_TIMEOUT_MS, 0, "the receiver returns");
	expect_ready(fd, false, false, "cap 0, the receiver gone");

	op = t_op_new(T_OP_WRITE, idx, O_WRONLY, 3);
	memcpy(op->buf, "abc", 3);
	pid = T_OP_PARK(op, "waiting_senders", 1);
	expect_ready(fd, true, false, "cap 0, a sender parked");
	T_EQ(t_attr(idx, "len"), 0, "cap 0: the parked sender is not in len");
	T_EQ(t_recv(fd, buf, sizeof(buf), 0), 3, "cap 0: try-receive from it");
	T_CHILD(pid, T_TIMEOUT_MS, 0, "the sender returns");
	expect_ready(fd, false, false, "cap 0, the sender gone");
	close(fd);
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

static int epoll_events(int ep, uint32_t *ev)
{
	struct epoll_event e[4];
	int n = epoll_wait(ep, e, 4, 0);

	*ev = n > 0 ? e[0].events : 0;
	return n < 0 ? -errno : n;
}

static void test_epoll(void)
{
	int idx = t_chan_new(4, MSG, 0), fd, ep, i;
	struct epoll_event e;
	char buf[MSG] = "e";
	uint32_t ev;

	if (!T_GE(idx, 0, "create a channel of capacity 4"))
		return;
	fd = t_chan_open(idx, O_RDWR);

	/* level-triggered */
	ep = epoll_create1(0);
	e = (struct epoll_event){ .events = EPOLLIN, .data.fd = fd };
	T_EQ(SYS(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e)), 0, "EPOLL_CTL_ADD EPOLLIN (level)");
	T_EQ(epoll_events(ep, &ev), 0, "LT: no event while empty");
	T_EQ(t_send(fd, buf, 1, 0), 0, "send one");
	for (i = 0; i < 3; i++) {
		T_EQ(epoll_events(ep, &ev), 1, "LT: event #%d while a message is queued", i);
		T_OK(ev & EPOLLIN, "  ... EPOLLIN (%#x)", ev);
	}
	T_EQ(t_recv(fd, buf, sizeof(buf), 0), 1, "receive it");
	T_EQ(epoll_events(ep, &ev), 0, "LT: no event once empty");
	close(ep);

	/* edge-triggered: one edge per send, even on a non-empty queue */
	ep = epoll_create1(0);
	e = (struct epoll_event){ .events = EPOLLIN | EPOLLET, .data.fd = fd };
	T_EQ(SYS(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e)), 0, "EPOLL_CTL_ADD EPOLLIN|EPOLLET");
	T_EQ(epoll_events(ep, &ev), 0, "ET: no event while empty");
	for (i = 1; i <= 3; i++) {
		T_EQ(t_send(fd, buf, 1, 0), 0, "send #%d (queue had %d)", i, i - 1);
		T_EQ(epoll_events(ep, &ev), 1, "ET: send #%d is an edge", i);
		T_OK(ev & EPOLLIN, "  ... EPOLLIN (%#x)", ev);
		T_EQ(epoll_events(ep, &ev), 0, "ET: the edge is reported once");
	}
	close(ep);

	/* edge-triggered EPOLLOUT: freeing space on a full channel is an edge */
	T_EQ(t_send(fd, buf, 1, 0), 0, "fill to 4");
	ep = epoll_create1(0);
	e = (struct epoll_event){ .events = EPOLLOUT | EPOLLET, .data.fd = fd };
	T_EQ(SYS(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e)), 0, "EPOLL_CTL_ADD EPOLLOUT|EPOLLET");
	T_EQ(epoll_events(ep, &ev), 0, "ET: no EPOLLOUT while full");
	T_EQ(t_recv(fd, buf, sizeof(buf), 0), 1, "receive one");
	T_EQ(epoll_events(ep, &ev), 1, "ET: receiving from a full channel is an EPOLLOUT edge");
	T_OK(ev & EPOLLOUT, "  ... EPOLLOUT (%#x)", ev);
	close(ep);
	close(fd);
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

struct waiter {
	int idx;
	int oflags;
	short events;
	bool use_epoll;
	volatile int ready;
	int n;
	uint32_t got;
	uint64_t waited_ns;
};

static int blocked_waiter(void *arg)
{
	struct waiter *w = arg;
	int fd = t_chan_open(w->idx, w->oflags), ep;
	struct epoll_event e;
	struct pollfd pfd;
	uint64_t t0;

	if (fd < 0)
		return 2;
	t0 = t_now_ns();
	if (w->use_epoll) {
		ep = epoll_create1(0);
		e = (struct epoll_event){ .events = (uint32_t)w->events, .data.fd = fd };
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e))
			return 3;
		__atomic_store_n(&w->ready, 1, __ATOMIC_SEQ_CST);
		w->n = epoll_wait(ep, &e, 1, T_TIMEOUT_MS);
		w->got = e.events;
	} else {
		pfd = (struct pollfd){ .fd = fd, .events = w->events };
		__atomic_store_n(&w->ready, 1, __ATOMIC_SEQ_CST);
		w->n = poll(&pfd, 1, T_TIMEOUT_MS);
		w->got = pfd.revents;
	}
	w->waited_ns = t_now_ns() - t0;
	return 0;
}

static pid_t start_waiter(struct waiter *w, const char *what)
{
	uint64_t end = t_now_ns() + T_TIMEOUT_NS;
	pid_t pid = t_fork(blocked_waiter, w);

	while (!__atomic_load_n(&w->ready, __ATOMIC_SEQ_CST) && t_now_ns() < end)
		t_sleep_ms(1);
	T_EQ(t_wait_sleeping(pid, T_TIMEOUT_MS), 0, "%s: the waiter child is asleep", what);
	return pid;
}

static void check_woken(struct waiter *w, pid_t pid, short want, const char *what)
{
	T_CHILD(pid, T_TIMEOUT_MS, 0, "%s: the waiter returns", what);
	T_EQ(w->n, 1, "%s: it was woken with one ready fd (not by its timeout)", what);
	T_OK(w->got & want, "%s: with %#x (got %#x)", what, want, w->got);
}

static void test_wakeups(void)
{
	struct waiter *w;
	int idx = t_chan_new(1, MSG, 0), fd;
	char buf[MSG] = "w";
	struct t_op *op;
	pid_t pid, psend;

	if (!T_GE(idx, 0, "create a channel of capacity 1"))
		return;
	fd = t_chan_open(idx, O_RDWR);

	w = t_shared(sizeof(*w));
	*w = (struct waiter){ .idx = idx, .oflags = O_RDONLY, .events = EPOLLIN, .use_epoll = true };
	pid = start_waiter(w, "epoll_wait(EPOLLIN)");
	T_EQ(t_send(fd, buf, 1, 0), 0, "send from another process");
	check_woken(w, pid, EPOLLIN, "epoll_wait(EPOLLIN)");

	w = t_shared(sizeof(*w));
	*w = (struct waiter){ .idx = idx, .oflags = O_WRONLY, .events = POLLOUT };
	pid = start_waiter(w, "poll(POLLOUT) on full");
	T_EQ(t_recv(fd, buf, sizeof(buf), 0), 1, "receive from another process");
	check_woken(w, pid, POLLOUT, "poll(POLLOUT) on full");
	close(fd);
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);

	idx = t_chan_new(0, MSG, 0);
	if (!T_GE(idx, 0, "create an unbuffered channel"))
		return;
	fd = t_chan_open(idx, O_RDWR);
	w = t_shared(sizeof(*w));
	*w = (struct waiter){ .idx = idx, .oflags = O_RDONLY, .events = POLLIN };
	pid = start_waiter(w, "cap 0 poll(POLLIN)");
	op = t_op_new(T_OP_WRITE, idx, O_WRONLY, 4);
	memcpy(op->buf, "park", 4);
	psend = T_OP_PARK(op, "waiting_senders", 1);
	check_woken(w, pid, POLLIN, "cap 0 poll(POLLIN) when a sender parks");
	T_EQ(t_recv(fd, buf, sizeof(buf), T_TIMEOUT_NS), 4, "take the parked sender's message");
	T_CHILD(psend, T_TIMEOUT_MS, 0, "the sender returns");

	w = t_shared(sizeof(*w));
	*w = (struct waiter){ .idx = idx, .oflags = O_WRONLY, .events = EPOLLOUT, .use_epoll = true };
	pid = start_waiter(w, "cap 0 epoll_wait(EPOLLOUT)");
	op = t_op_new(T_OP_READ, idx, O_RDONLY, MSG);
	psend = T_OP_PARK(op, "waiting_receivers", 1);
	check_woken(w, pid, EPOLLOUT, "cap 0 epoll_wait(EPOLLOUT) when a receiver parks");
	T_EQ(t_send(fd, "x", 1, T_TIMEOUT_NS), 0, "give the parked receiver a message");
	T_CHILD(psend, T_TIMEOUT_MS, 0, "the receiver returns");
	close(fd);
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

int main(void)
{
	t_init("poll_ready");
	test_buffered(1);
	test_buffered(3);
	test_unbuffered();
	test_epoll();
	test_wakeups();
	return t_done();
}
