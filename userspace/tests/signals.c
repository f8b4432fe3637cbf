// SPDX-License-Identifier: GPL-2.0
/*
 * Description: signals during waits (chan(4), Signals). On capacities 0 and 1, for
 * parked receivers and parked senders (children):
 * - a handler without SA_RESTART: the untimed read/write gives EINTR;
 * - with SA_RESTART: the call restarts transparently and completes when the
 *   peer arrives;
 * - a timed wait (CHAN_IOC_SEND/RECV with a timeout, or read with a per-fd
 *   default timeout) gives EINTR even with SA_RESTART;
 * after each, nothing is lost or duplicated: a signalled waiter leaves no
 * stale entry (a try-send finds no receiver, the next message sent is the
 * one received) and a signalled sender's message is never delivered.
 * SIGKILL of several children parked in send and in recv leaves the
 * waiting_* gauges at 0 and the channels usable. stats/interrupted counts
 * the EINTR returns.
 */
#include "helpers.h"

#define MSG 64

static int wait_handled(struct t_op *op, int n)
{
	uint64_t end = t_now_ns() + T_TIMEOUT_NS;

	while (__atomic_load_n(&op->handled, __ATOMIC_SEQ_CST) < n) {
		if (t_now_ns() > end)
			return -ETIMEDOUT;
		t_sleep_ms(1);
	}
	return 0;
}

/*
 * The channel is empty and nobody is parked: the next message sent is the
 * one the next receiver gets. On cap 0 a try-send must first find nobody
 * (a stale receiver entry would swallow it).
 */
static void check_next_is_received(int idx, int fd, unsigned int cap, const char *after)
{
	unsigned char buf[MSG];
	struct t_op *op;
	pid_t pid;

	t_fill(buf, 11, 0x5150);
	if (cap == 0) {
		T_EQ(t_send(fd, buf, 11, 0), -EAGAIN,
		     "cap 0, after %s: a try-send finds no receiver", after);
		op = t_op_new(T_OP_RECV, idx, O_RDONLY, MSG);
		pid = T_OP_PARK(op, "waiting_receivers", 1);
		T_EQ(t_send(fd, buf, 11, T_TIMEOUT_NS), 0,
		     "cap 0, after %s: send to a fresh receiver", after);
		T_CHILD(pid, T_TIMEOUT_MS, 0, "cap 0, after %s: the fresh receiver returns", after);
		T_EQ(op->ret, 11, "cap 0, after %s: it got the 11-byte message", after);
		T_OK(t_verify(op->buf, 11, 0x5150), "  ... intact");
	} else {
		T_EQ(t_send(fd, buf, 11, 0), 0, "cap %u, after %s: send", cap, after);
		T_EQ(t_attr(idx, "len"), 1, "cap %u, after %s: the message is queued", cap, after);
		memset(buf, 0, sizeof(buf));
		T_EQ(t_recv(fd, buf, sizeof(buf), 0), 11, "cap %u, after %s: receive it", cap, after);
		T_OK(t_verify(buf, 11, 0x5150), "  ... the same message");
	}
	T_EQ(t_attr(idx, "stats/sent") - t_attr(idx, "stats/received"), t_attr(idx, "len"),
	     "cap %u, after %s: sent - received == len", cap, after);
}

/* Nobody parked and nothing queued any more. */
static void check_empty(int idx, int fd, unsigned int cap, const char *after)
{
	unsigned char buf[MSG];

	T_EQ(t_attr(idx, "waiting_senders"), 0, "cap %u, after %s: waiting_senders 0", cap, after);
	T_EQ(t_attr(idx, "waiting_receivers"), 0, "cap %u, after %s: waiting_receivers 0", cap,
	     after);
	T_EQ(t_recv(fd, buf, sizeof(buf), 0), -EAGAIN,
	     "cap %u, after %s: a try-receive finds nothing (no message leaked in)", cap, after);
}

/* Receiver interrupted: EINTR (no SA_RESTART or timed) or restart. */
static void recv_case(unsigned int cap, int kind, int sa_flags, long long tmo, bool restart)
{
	int idx = t_chan_new(cap, MSG, 0), fd;
	struct t_op *op;
	unsigned char buf[MSG];
	char what[128];
	long long intr0;
	pid_t pid;

	snprintf(what, sizeof(what), "%s%s%s in %s", restart ? "restarted" : "interrupted",
		 sa_flags & SA_RESTART ? " (SA_RESTART)" : "",
		 tmo != CHAN_TIMEOUT_INFINITE ? " timed" : "", t_op_name(kind));
	if (!T_GE(idx, 0, "create a channel of capacity %u", cap))
		return;
	fd = t_chan_open(idx, O_RDWR);
	intr0 = t_attr(idx, "stats/interrupted");
	op = t_op_new(kind, idx, O_RDONLY, MSG);
	op->sig = SIGUSR1;
	op->sa_flags = sa_flags;
	op->timeout_ns = tmo;
	if (kind == T_OP_READ && tmo != CHAN_TIMEOUT_INFINITE) {
		op->set_timeouts = 1;
		op->tmo_recv_ns = tmo;
	}
	pid = T_OP_PARK(op, "waiting_receivers", 1);
	kill(pid, SIGUSR1);
	T_EQ(wait_handled(op, 1), 0, "cap %u: the receiver's handler ran", cap);
	if (restart) {
		T_EQ(t_wait_attr(idx, "waiting_receivers", 1, T_TIMEOUT_MS), 0,
		     "cap %u: the %s parks again", cap, what);
		T_EQ(op->done, 0, "cap %u: the %s has not returned", cap, what);
		t_fill(buf, 13, 0x1313);
		T_EQ(t_send(fd, buf, 13, T_TIMEOUT_NS), 0, "cap %u: a peer sends", cap);
		T_CHILD(pid, T_TIMEOUT_MS, 0, "cap %u: the %s returns", cap, what);
		T_EQ(op->ret, 13, "cap %u: the %s completes with the message", cap, what);
		T_OK(t_verify(op->buf, 13, 0x1313), "  ... intact");
	} else {
		T_CHILD(pid, T_TIMEOUT_MS, 0, "cap %u: the %s returns", cap, what);
		T_EQ(op->ret, -EINTR, "cap %u: the %s gives EINTR", cap, what);
		T_LT((long long)(op->t_end - op->t_start), T_TIMEOUT_NS,
		     "  ... before its timeout");
		T_EQ(t_attr(idx, "stats/interrupted") - intr0, 1, "cap %u: stats/interrupted +1", cap);
	}
	check_empty(idx, fd, cap, what);
	check_next_is_received(idx, fd, cap, what);
	close(fd);
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

/* Sender interrupted: its message must never be delivered after EINTR. */
static void send_case(unsigned int cap, int kind, int sa_flags, long long tmo, bool restart)
{
	int idx = t_chan_new(cap, MSG, 0), fd;
	unsigned char buf[MSG];
	struct t_op *op;
	char what[128];
	long long intr0;
	pid_t pid;

	snprintf(what, sizeof(what), "%s%s%s in %s", restart ? "restarted" : "interrupted",
		 sa_flags & SA_RESTART ? " (SA_RESTART)" : "",
		 tmo != CHAN_TIMEOUT_INFINITE ? " timed" : "", t_op_name(kind));
	if (!T_GE(idx, 0, "create a channel of capacity %u", cap))
		return;
	fd = t_chan_open(idx, O_RDWR);
	intr0 = t_attr(idx, "stats/interrupted");
	if (cap) {
		t_fill(buf, 7, 0xf111);
		T_EQ(t_send(fd, buf, 7, 0), 0, "cap %u: fill", cap);
	}
	op = t_op_new(kind, idx, O_WRONLY, 9);
	t_fill(op->buf, 9, 0xa0a0);
	op->sig = SIGUSR1;
	op->sa_flags = sa_flags;
	op->timeout_ns = tmo;
	if (kind == T_OP_WRITE && tmo != CHAN_TIMEOUT_INFINITE) {
		op->set_timeouts = 1;
		op->tmo_send_ns = tmo;
	}
	pid = T_OP_PARK(op, "waiting_senders", 1);
	kill(pid, SIGUSR1);
	T_EQ(wait_handled(op, 1), 0, "cap %u: the sender's handler ran", cap);
	if (restart) {
		T_EQ(t_wait_attr(idx, "waiting_senders", 1, T_TIMEOUT_MS), 0,
		     "cap %u: the %s parks again", cap, what);
		T_EQ(op->done, 0, "cap %u: the %s has not returned", cap, what);
		if (cap) {
			T_EQ(t_recv(fd, buf, sizeof(buf), T_TIMEOUT_NS), 7, "cap %u: receive the filler", cap);
			T_OK(t_verify(buf, 7, 0xf111), "  ... first");
		}
		memset(buf, 0, sizeof(buf));
		T_EQ(t_recv(fd, buf, sizeof(buf), T_TIMEOUT_NS), 9,
		     "cap %u: receive the restarted sender's message", cap);
		T_OK(t_verify(buf, 9, 0xa0a0), "  ... intact");
		T_CHILD(pid, T_TIMEOUT_MS, 0, "cap %u: the %s returns", cap, what);
		T_EQ(op->ret, kind == T_OP_WRITE ? 9 : 0, "cap %u: the %s succeeded", cap, what);
	} else {
		T_CHILD(pid, T_TIMEOUT_MS, 0, "cap %u: the %s returns", cap, what);
		T_EQ(op->ret, -EINTR, "cap %u: the %s gives EINTR", cap, what);
		T_EQ(t_attr(idx, "stats/interrupted") - intr0, 1, "cap %u: stats/interrupted +1", cap);
		if (cap) {
			T_EQ(t_recv(fd, buf, sizeof(buf), 0), 7, "cap %u: receive the filler", cap);
			T_OK(t_verify(buf, 7, 0xf111), "  ... it is the filler");
		}
	}
	check_empty(idx, fd, cap, what);
	check_next_is_received(idx, fd, cap, what);
	close(fd);
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

#define NKILL 3

/* SIGKILL parked children: the gauges go back to 0, the channel works. */
static void kill_case(unsigned int cap, bool senders)
{
	int idx = t_chan_new(cap, MSG, 0), fd, i;
	const char *gauge = senders ? "waiting_senders" : "waiting_receivers";
	unsigned char buf[MSG];
	struct t_op *op[NKILL];
	pid_t pid[NKILL];

	if (!T_GE(idx, 0, "create a channel of capacity %u", cap))
		return;
	fd = t_chan_open(idx, O_RDWR);
	if (senders && cap) {
		t_fill(buf, 7, 0xf222);
		T_EQ(t_send(fd, buf, 7, 0), 0, "cap %u: fill", cap);
	}
	for (i = 0; i < NKILL; i++) {
		op[i] = t_op_new(senders ? (i % 2 ? T_OP_SEND : T_OP_WRITE) :
				 (i % 2 ? T_OP_RECV : T_OP_READ), idx,
				 senders ? O_WRONLY : O_RDONLY, senders ? 5 : MSG);
		t_fill(op[i]->buf, 5, 0xdead0 + i);
		pid[i] = T_OP_PARK(op[i], gauge, i + 1);
	}
	for (i = 0; i < NKILL; i++)
		kill(pid[i], SIGKILL);
	for (i = 0; i < NKILL; i++)
		T_CHILD(pid[i], T_TIMEOUT_MS, -SIGKILL, "cap %u: parked %s %d dies of SIGKILL", cap,
			t_op_name(op[i]->kind), i);
	/* Reaped means the task left the wait: its entry must be gone now. */
	T_EQ(t_attr(idx, gauge), 0, "cap %u: %s is 0 once they are reaped", cap, gauge);
	if (senders && cap) {
		T_EQ(t_attr(idx, "len"), 1, "cap %u: only the filler is queued", cap);
		T_EQ(t_recv(fd, buf, sizeof(buf), 0), 7, "cap %u: receive the filler", cap);
	}
	check_empty(idx, fd, cap, senders ? "killing parked senders" : "killing parked receivers");
	check_next_is_received(idx, fd, cap,
			       senders ? "killing parked senders" : "killing parked receivers");
	close(fd);
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

int main(void)
{
	/*
	 * Timed waits use 5 s: should the kernel wrongly restart them, the
	 * child reports ETIMEDOUT well before its 10 s watchdog.
	 */
	const long long tmo = T_TIMEOUT_NS / 2;
	unsigned int cap;

	t_init("signals");
	for (cap = 0; cap <= 1; cap++) {
		recv_case(cap, T_OP_READ, 0, CHAN_TIMEOUT_INFINITE, false);
		recv_case(cap, T_OP_RECV, 0, CHAN_TIMEOUT_INFINITE, false);
		send_case(cap, T_OP_WRITE, 0, CHAN_TIMEOUT_INFINITE, false);
		send_case(cap, T_OP_SEND, 0, CHAN_TIMEOUT_INFINITE, false);

		recv_case(cap, T_OP_READ, SA_RESTART, CHAN_TIMEOUT_INFINITE, true);
		recv_case(cap, T_OP_RECV, SA_RESTART, CHAN_TIMEOUT_INFINITE, true);
		send_case(cap, T_OP_WRITE, SA_RESTART, CHAN_TIMEOUT_INFINITE, true);
		send_case(cap, T_OP_SEND, SA_RESTART, CHAN_TIMEOUT_INFINITE, true);

		recv_case(cap, T_OP_RECV, SA_RESTART, tmo, false);
		recv_case(cap, T_OP_READ, SA_RESTART, tmo, false);
		send_case(cap, T_OP_SEND, SA_RESTART, tmo, false);
		send_case(cap, T_OP_WRITE, SA_RESTART, tmo, false);

		kill_case(cap, true);
		kill_case(cap, false);
	}
	return t_done();
}
