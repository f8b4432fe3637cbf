// SPDX-License-Identifier: GPL-2.0
/*
 * Description: a receive that cannot deliver keeps the message (chan(4),
 * Reading and writing). On capacities 1 and 4: read/CHAN_IOC_RECV into NULL, an unmapped
 * address, a read-only page, or a buffer running into an unmapped page give
 * EFAULT, and a too-small buffer gives EMSGSIZE; each time the message stays
 * first (len and FIONREAD unchanged) and the next good receive gets it, FIFO
 * intact. On capacity 0: a receiver faulting on a parked sender's message
 * does not complete that sender; a later good receive gets the message and
 * the blocking send returns 0 exactly once. A receiver parked with a bad
 * buffer: a try-send to it gives EAGAIN and delivers nothing; a blocking
 * send to it is not completed by it and goes to the next good receiver.
 */
#include <sys/mman.h>

#include "helpers.h"

#define MSG 64

static char *straddle;	/* 16 bytes before an unmapped page */

static void bad_receives(int idx, int fd, unsigned int cap, unsigned int len)
{
	struct {
		const char *what;
		void *p;
		size_t sz;
	} bad[] = {
		{ "NULL", t_null(), MSG },
		{ "an unmapped address", t_bad_ptr(), MSG },
		{ "a read-only page", t_ro_page(), MSG },
		{ "a buffer running into an unmapped page", straddle, MSG },
	};
	long long len0 = t_attr(idx, "len");
	unsigned char small[MSG];
	size_t i;

	for (i = 0; i < T_ARRAY_SIZE(bad); i++) {
		T_EQ(SYS(read(fd, bad[i].p, bad[i].sz)), -EFAULT, "cap %u: read into %s: EFAULT",
		     cap, bad[i].what);
		T_EQ(t_recv(fd, bad[i].p, bad[i].sz, 0), -EFAULT,
		     "cap %u: CHAN_IOC_RECV into %s: EFAULT", cap, bad[i].what);
		T_EQ(t_attr(idx, "len"), len0, "  ... len unchanged (%lld)", len0);
		T_EQ(t_fionread(fd), len, "  ... FIONREAD still gives the first message (%u)", len);
	}
	T_EQ(SYS(read(fd, small, len - 1)), -EMSGSIZE, "cap %u: read with %u bytes: EMSGSIZE", cap,
	     len - 1);
	T_EQ(t_recv(fd, small, len - 1, 0), -EMSGSIZE, "cap %u: CHAN_IOC_RECV with %u bytes: EMSGSIZE",
	     cap, len - 1);
	T_EQ(t_attr(idx, "len"), len0, "  ... len unchanged");
}

static void test_buffered(unsigned int cap)
{
	int idx = t_chan_new(cap, MSG, 0), fd;
	unsigned char buf[MSG];
	unsigned int i, n = cap;

	if (!T_GE(idx, 0, "create a channel of capacity %u", cap))
		return;
	fd = t_chan_open(idx, O_RDWR);
	if (!T_GE(fd, 0, "open it"))
		goto out;
	t_set_timeouts(fd, T_TIMEOUT_NS, T_TIMEOUT_NS);
	for (i = 0; i < n; i++) {
		t_fill(buf, 20 + i, 1000 + i);
		T_EQ(t_send(fd, buf, 20 + i, 0), 0, "cap %u: queue message %u", cap, i);
	}
	for (i = 0; i < n; i++) {
		bad_receives(idx, fd, cap, 20 + i);
		memset(buf, 0, sizeof(buf));
		T_EQ(t_recv(fd, buf, sizeof(buf), 0), 20 + i,
		     "cap %u: a good receive then gets message %u", cap, i);
		T_OK(t_verify(buf, 20 + i, 1000 + i), "  ... message %u intact (got id %u)", i,
		     t_msg_id(buf, 20 + i));
	}
	T_EQ(t_attr(idx, "len"), 0, "cap %u: empty at the end", cap);
	T_EQ(t_attr(idx, "stats/received"), n, "cap %u: stats/received counts only the good receives",
	     cap);
	T_EQ(t_attr(idx, "stats/sent") - t_attr(idx, "stats/received"), 0,
	     "cap %u: sent - received == len", cap);
	close(fd);
out:
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

/* cap 0: a parked sender; receivers fault on its message first. */
static void test_unbuffered_parked_sender(void)
{
	int idx = t_chan_new(0, MSG, 0), fd;
	unsigned char buf[MSG];
	struct t_op *op;
	pid_t pid;

	if (!T_GE(idx, 0, "create an unbuffered channel"))
		return;
	fd = t_chan_open(idx, O_RDONLY);
	op = t_op_new(T_OP_SEND, idx, O_WRONLY, 30);
	op->timeout_ns = CHAN_TIMEOUT_INFINITE;
	t_fill(op->buf, 30, 0x3030);
	pid = T_OP_PARK(op, "waiting_senders", 1);

	/*
	 * After a receiver faults, the sender starts over: it leaves the
	 * wait queue and parks again, asynchronously. Wait for that before
	 * each next receive, or a try-receive could find nobody (EAGAIN).
	 */
	T_EQ(t_recv(fd, t_bad_ptr(), MSG, 0), -EFAULT,
	     "cap 0: try-receive into an unmapped buffer from a parked sender: EFAULT");
	T_EQ(t_wait_attr(idx, "waiting_senders", 1, T_TIMEOUT_MS), 0,
	     "cap 0: the sender is parked again (not completed by the faulting receiver)");
	T_EQ(SYS(read(fd, t_ro_page(), MSG)), -EFAULT,
	     "cap 0: read into a read-only page from a parked sender: EFAULT");
	T_EQ(t_wait_attr(idx, "waiting_senders", 1, T_TIMEOUT_MS), 0,
	     "cap 0: the sender is parked again");
	T_EQ(t_recv(fd, straddle, MSG, T_TIMEOUT_NS), -EFAULT,
	     "cap 0: blocking receive into a straddling buffer: EFAULT");
	T_EQ(t_wait_attr(idx, "waiting_senders", 1, T_TIMEOUT_MS), 0,
	     "cap 0: the sender is parked again");
	T_EQ(t_recv(fd, buf, 29, 0), -EMSGSIZE, "cap 0: receive with 29 bytes: EMSGSIZE");
	T_EQ(t_attr(idx, "waiting_senders"), 1, "cap 0: EMSGSIZE leaves the sender parked");
	T_EQ(op->done, 0, "cap 0: its send has not returned");
	T_EQ(t_attr(idx, "len"), 0, "cap 0: len stays 0");
	T_EQ(t_attr(idx, "stats/received"), 0, "cap 0: stats/received is still 0");
	memset(buf, 0, sizeof(buf));
	T_EQ(t_recv(fd, buf, sizeof(buf), T_TIMEOUT_NS), 30, "cap 0: a good receive gets the message");
	T_OK(t_verify(buf, 30, 0x3030), "  ... intact");
	T_CHILD(pid, T_TIMEOUT_MS, 0, "cap 0: the sender returns");
	T_EQ(op->ret, 0, "cap 0: its CHAN_IOC_SEND returned 0 (once: the child sent one message)");
	T_EQ(t_recv(fd, buf, sizeof(buf), 0), -EAGAIN, "cap 0: nothing more to receive");
	T_EQ(t_attr(idx, "stats/sent"), 1, "cap 0: stats/sent 1");
	T_EQ(t_attr(idx, "stats/received"), 1, "cap 0: stats/received 1");
	close(fd);
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

/*
 * cap 0: a receiver with a bad buffer. A receive that has to wait pins its
 * buffer first (a sender copies straight into it), so a bad buffer gives
 * EFAULT at once, before it parks: nothing parks, nothing is delivered.
 */
static void test_unbuffered_bad_receiver(void)
{
	int idx = t_chan_new(0, MSG, 0), fd;
	struct t_op *rx, *tx, *good;
	unsigned char buf[MSG];
	pid_t prx, ptx, pgood;

	if (!T_GE(idx, 0, "create an unbuffered channel"))
		return;
	fd = t_chan_open(idx, O_WRONLY);

	rx = t_op_new(T_OP_READ, idx, O_RDONLY, MSG);
	rx->bad_buf = 1;
	prx = t_op_start(rx);
	T_CHILD(prx, T_TIMEOUT_MS, 0, "cap 0: a blocking read into an unmapped buffer returns");
	T_EQ(rx->ret, -EFAULT, "  ... at once with EFAULT");
	T_EQ(t_attr(idx, "waiting_receivers"), 0, "cap 0: no receiver parked");
	t_fill(buf, 12, 0x1212);
	T_EQ(t_send(fd, buf, 12, 0), -EAGAIN, "cap 0: a try-send finds nobody: EAGAIN");
	T_EQ(t_attr(idx, "stats/sent"), 0, "cap 0: stats/sent 0: nothing was delivered");

	/* A blocking send waits for a good receiver; a bad one cannot take it. */
	tx = t_op_new(T_OP_SEND, idx, O_WRONLY, 14);
	tx->timeout_ns = T_TIMEOUT_NS;
	t_fill(tx->buf, 14, 0x1414);
	ptx = T_OP_PARK(tx, "waiting_senders", 1);
	rx = t_op_new(T_OP_RECV, idx, O_RDONLY, MSG);
	rx->bad_buf = 1;
	prx = t_op_start(rx);
	T_CHILD(prx, T_TIMEOUT_MS, 0, "cap 0: a receive into an unmapped buffer returns");
	T_EQ(rx->ret, -EFAULT, "  ... with EFAULT");
	T_EQ(t_attr(idx, "waiting_senders"), 1, "cap 0: the sender is still parked");
	T_EQ(tx->done, 0, "cap 0: its send has not returned");
	good = t_op_new(T_OP_READ, idx, O_RDONLY, MSG);
	pgood = t_op_start(good);
	T_CHILD(pgood, T_TIMEOUT_MS, 0, "cap 0: a good receiver returns");
	T_EQ(good->ret, 14, "  ... with the 14-byte message");
	T_OK(t_verify(good->buf, 14, 0x1414), "  ... intact");
	T_CHILD(ptx, T_TIMEOUT_MS, 0, "cap 0: the sender returns");
	T_EQ(tx->ret, 0, "  ... with 0");
	T_EQ(t_attr(idx, "stats/sent"), 1, "cap 0: stats/sent 1");
	T_EQ(t_attr(idx, "stats/received"), 1, "cap 0: stats/received 1");
	close(fd);
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

int main(void)
{
	char *pg;

	t_init("efault_keeps_msg");
	pg = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (pg == MAP_FAILED)
		t_bail("mmap: %m");
	munmap(pg + 4096, 4096);
	straddle = pg + 4096 - 16;
	test_buffered(1);
	test_buffered(4);
	test_unbuffered_parked_sender();
	test_unbuffered_bad_receiver();
	return t_done();
}
