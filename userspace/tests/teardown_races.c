// SPDX-License-Identifier: GPL-2.0
/*
 * Description: teardown racing with the waits and calls it must end, or
 * must leave alone, beyond what destroy_waiters, select_cancel, batch,
 * chaos and rmmod_busy cover.
 *
 * 1. A forced destroy (chan(4), Control device) while a task waits in
 *    each kind of wait destroy_waiters does not cover: a send waiting
 *    for a token (Rate limiter: rate 1, burst 1, the second send), a send
 *    held by chaos/send_fail_ppm 1000000 with no timeout, a read(2)
 *    delayed by chaos/recv_delay_us 10 s, a receive parked under
 *    chaos/pause_recv with messages queued (Chaos), a select parked on
 *    three channels of which the paused one, or the empty one, is
 *    destroyed (CHAN_IOC_SELECT), and a CHAN_IOC_RECV_BATCH parked on an
 *    empty channel and on a paused one. Each wakes promptly with ENODEV
 *    and nothing committed; the fd still open gives ENODEV and polls
 *    POLLHUP|POLLERR, closes fine, and the node and sysfs directory are
 *    gone; the select's other channels are untouched.
 * 2. close(2) or dup2(2) over the last fd of a channel, from another
 *    thread of the process, while a thread is parked on that fd in
 *    read(2), CHAN_IOC_RECV or a CHAN_IOC_SELECT (Closing: close(2) only
 *    releases a file, and here not even that while the call runs). The
 *    call keeps its file (readers still counts it, it is still parked)
 *    and completes with the message of a peer that opens the channel only
 *    afterwards, or by its timeout; then the fd number gives EBADF (or is
 *    the file dup2 put there), the file is released and a plain destroy
 *    succeeds.
 * 3. For 3 s, four threads issue random calls (GET_INFO, GET_STATS,
 *    SEND and RECV and their batches with timeouts up to 2 ms,
 *    SET/GET_TIMEOUTS, FIONREAD, read, write, poll, epoll, select) on six
 *    fd numbers shared by two channels, while two threads close them,
 *    reopen them (dup2 of a new open) and dup2 them over each other;
 *    near the end the buffered channel is closed (CHAN_IOC_CLOSE). Every
 *    call returns success or one of EBADF, ENODEV, EAGAIN, ETIMEDOUT,
 *    EINTR (EPIPE, and end of file, only once the close began). Then
 *    every gauge is 0, sent - received == len on both channels, and the
 *    kernel counted exactly the messages the calls reported moved.
 * 4. Then, for 3 s (or 10 turns, up to 6 s: creating a device is slow on
 *    the debug kernel), a process creates a named channel at a fixed index
 *    and force-destroys it in a loop, while two others open its node,
 *    send, receive and close: every create and destroy succeeds, opens
 *    fail only with ENOENT, ENODEV or ENXIO, nothing hangs, and no
 *    channel is left afterwards.
 * 5. All through 3 and 4 a process tries delete_module(O_NONBLOCK) in a
 *    loop and uses the control device between tries: every try fails
 *    with EWOULDBLOCK or EBUSY while fds are open (Security), and the
 *    module keeps working. Once everything is closed it unloads, and the
 *    test loads the default again (that part is skipped where the module
 *    cannot be reloaded).
 *
 * KCHAN_TEARDOWN_SEED fixes the random choices of 3 and 4, not how the
 * threads interleave.
 */
#include <dirent.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/syscall.h>

#include "helpers.h"

#define MSG		64
/* "Promptly": destroy_waiters' bound, and half the chaos delay below. */
#define PROMPT_NS	(T_TIMEOUT_NS / 2)

static unsigned int seed;

/* ---- 1. forced destroy during the other kinds of wait ---- */

/* Queue @n messages of 16 bytes, ids @id.. on @fd. */
static bool queue_msgs(int fd, int n, uint32_t id)
{
	unsigned char buf[16];
	int i;

	for (i = 0; i < n; i++) {
		t_fill(buf, sizeof(buf), id + i);
		if (t_send(fd, buf, sizeof(buf), 0))
			return false;
	}
	return true;
}

static int knob(int idx, const char *name, const char *val)
{
	char attr[64];

	snprintf(attr, sizeof(attr), "chaos/%s", name);
	return t_attr_write(idx, attr, val);
}

/*
 * Force-destroy chan @idx while the child @pid waits in it; the wait
 * must end with ENODEV within PROMPT_NS (@ret and @t_end are the child's,
 * in shared memory).
 */
static void destroy_now(const char *what, int idx, pid_t pid, const long *ret,
			const uint64_t *t_end)
{
	uint64_t t0 = t_now_ns();

	T_EQ(t_chan_destroy(idx, CHAN_DESTROY_F_FORCE), 0,
	     "%s: forced CHAN_CTL_DESTROY", what);
	if (!T_CHILD(pid, T_TIMEOUT_MS, 0, "%s: the waiter returns", what))
		return;
	T_EQ(*ret, -ENODEV,
	     "%s: with ENODEV (chan(4), Control device: every parked waiter)",
	     what);
	T_LT((long long)(*t_end - t0), PROMPT_NS, "%s: promptly (%lld ms)",
	     what, (long long)(*t_end - t0) / T_NSEC_PER_MSEC);
}

/*
 * What chan(4), Control device, promises for a file still open on a
 * channel destroyed with CHAN_DESTROY_F_FORCE; closes @fd.
 */
static void after_destroy(const char *what, int idx, int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT };
	struct chan_info info;
	unsigned char buf[MSG];
	char dir[64];

	snprintf(dir, sizeof(dir), T_SYSFS_CLASS "/chan%d", idx);
	T_EQ(SYS(access(t_chan_path(idx), F_OK)), -ENOENT,
	     "%s: the node is gone", what);
	T_EQ(SYS(access(dir, F_OK)), -ENOENT, "%s: so is %s", what, dir);
	T_EQ(SYS(read(fd, buf, sizeof(buf))), -ENODEV,
	     "%s: read(2) on the fd still open: ENODEV (Channel ioctls)",
	     what);
	T_EQ(SYS(write(fd, buf, 8)), -ENODEV, "%s: write(2): ENODEV", what);
	T_EQ(t_recv(fd, buf, sizeof(buf), T_TIMEOUT_NS), -ENODEV,
	     "%s: CHAN_IOC_RECV with a 10 s timeout: ENODEV at once", what);
	T_EQ(SYS(ioctl(fd, CHAN_IOC_GET_INFO, &info)), -ENODEV,
	     "%s: CHAN_IOC_GET_INFO: ENODEV", what);
	T_EQ(SYS(poll(&p, 1, 0)) == 1 ? p.revents & (POLLHUP | POLLERR) : -1,
	     POLLHUP | POLLERR, "%s: poll(2): POLLHUP|POLLERR (Polling)", what);
	T_EQ(SYS(close(fd)), 0, "%s: close(2) of the fd works", what);
}

/* A channel of @cap with an O_RDWR fd in *@fd: its index, or -1. */
static int chan_with_fd(unsigned int cap, int *fd, const char *what)
{
	int idx = t_chan_new(cap, MSG, 0);

	*fd = idx < 0 ? idx : t_chan_open(idx, O_RDWR);
	if (!T_GE(*fd, 0, "%s: create a channel of capacity %u and open it",
		  what, cap)) {
		if (idx >= 0)
			t_chan_destroy(idx, CHAN_DESTROY_F_FORCE);
		return -1;
	}
	return idx;
}

/* Wait until @op's child is in its call and asleep: 0 or -ETIMEDOUT. */
static int op_asleep(struct t_op *op, pid_t pid)
{
	uint64_t end = t_now_ns() + T_TIMEOUT_NS;

	while (!__atomic_load_n(&op->started, __ATOMIC_SEQ_CST)) {
		if (t_now_ns() > end)
			return -ETIMEDOUT;
		t_sleep_ms(1);
	}
	return t_wait_sleeping(pid, T_TIMEOUT_MS);
}

/*
 * Rate limiter: with rate 1 and burst 1 the first send takes the only
 * token and a second one sleeps until the next token, at most 1 s later.
 * The destroy has to come within that second: on a machine too slow for
 * it, the attempt is dropped and made again.
 */
static void test_rate_wait(void)
{
	const char *what = "a send waiting for a rate-limiter token";
	const long long margin = 700 * T_NSEC_PER_MSEC;
	struct chan_rate r = { .rate = 1, .burst = 1 };
	int attempt, idx = -1, fd = -1;
	struct t_op *op = NULL;
	uint64_t t_token;
	pid_t pid = -1;

	for (attempt = 1; attempt <= 3; attempt++) {
		idx = chan_with_fd(4, &fd, what);
		if (idx < 0)
			return;
		T_EQ(SYS(ioctl(fd, CHAN_IOC_SET_RATE, &r)), 0,
		     "%s: CHAN_IOC_SET_RATE rate 1 burst 1", what);
		T_EQ(t_send(fd, "first", 5, 0), 0,
		     "%s: the first send takes the only token", what);
		t_token = t_now_ns();
		op = t_op_new(T_OP_SEND, idx, O_WRONLY, 6);
		memcpy(op->buf, "second", 6);
		pid = t_op_start(op);
		if (op_asleep(op, pid) == 0 &&
		    (long long)(t_now_ns() - t_token) < margin)
			break;
		t_diag("attempt %d: the second send was not asleep within %lld ms of the token: again",
		       attempt, margin / T_NSEC_PER_MSEC);
		kill(pid, SIGKILL);
		t_wait_child(pid, T_TIMEOUT_MS, NULL);
		close(fd);
		t_chan_destroy(idx, CHAN_DESTROY_F_FORCE);
	}
	if (!T_LE(attempt, 3, "%s: the second send sleeps for its token",
		  what))
		return;
	T_EQ(t_attr(idx, "waiting_senders"), 0,
	     "%s: it is not parked for room", what);
	T_EQ(t_attr(idx, "rate/tokens"), 0,
	     "%s: the bucket is empty (chan(4), Rate limiter)", what);
	destroy_now(what, idx, pid, &op->ret, &op->t_end);
	after_destroy(what, idx, fd);
}

/* Chaos: send_fail_ppm 1000000 holds a send with no timeout for good. */
static void test_send_fail(void)
{
	const char *what = "a send held by chaos/send_fail_ppm";
	struct t_op *op;
	int idx, fd;
	pid_t pid;

	idx = chan_with_fd(4, &fd, what);
	if (idx < 0)
		return;
	T_EQ(knob(idx, "send_fail_ppm", "1000000"), 0,
	     "%s: chaos/send_fail_ppm = 1000000", what);
	op = t_op_new(T_OP_SEND, idx, O_WRONLY, 16);
	t_fill(op->buf, 16, 0x5f);
	pid = t_op_start(op);
	T_EQ(t_wait_attr(idx, "stats/chaos_injected", 1, T_TIMEOUT_MS), 0,
	     "%s: the untimed send draws its failure (chan(4), Chaos)", what);
	T_EQ(t_wait_sleeping(pid, T_TIMEOUT_MS), 0, "%s: and sleeps", what);
	destroy_now(what, idx, pid, &op->ret, &op->t_end);
	after_destroy(what, idx, fd);
}

/* Chaos: a read(2) delayed 10 s, messages queued all along. */
static void test_recv_delay(void)
{
	const char *what = "a read(2) delayed by chaos/recv_delay_us";
	struct t_op *op;
	int idx, fd;
	pid_t pid;

	idx = chan_with_fd(4, &fd, what);
	if (idx < 0)
		return;
	T_OK(queue_msgs(fd, 2, 0xd0), "%s: queue 2 messages", what);
	T_EQ(knob(idx, "recv_delay_us", "10000000"), 0,
	     "%s: chaos/recv_delay_us = 10000000", what);
	op = t_op_new(T_OP_READ, idx, O_RDONLY, MSG);
	pid = t_op_start(op);
	T_EQ(t_wait_attr(idx, "stats/chaos_injected", 1, T_TIMEOUT_MS), 0,
	     "%s: the read is delayed", what);
	T_EQ(t_wait_sleeping(pid, T_TIMEOUT_MS), 0, "%s: and sleeps", what);
	destroy_now(what, idx, pid, &op->ret, &op->t_end);
	T_LT((long long)(op->t_end - op->t_start), 10 * T_NSEC_PER_SEC,
	     "%s: before its delay ended", what);
	after_destroy(what, idx, fd);
}

/* Chaos: pause_recv holds queued messages back; a receive parks. */
static void test_pause_recv(void)
{
	const char *what = "a receive parked under chaos/pause_recv";
	struct t_op *op;
	int idx, fd;
	pid_t pid;

	idx = chan_with_fd(4, &fd, what);
	if (idx < 0)
		return;
	T_OK(queue_msgs(fd, 3, 0xa0), "%s: queue 3 messages", what);
	T_EQ(knob(idx, "pause_recv", "1"), 0, "%s: chaos/pause_recv = 1",
	     what);
	op = t_op_new(T_OP_RECV, idx, O_RDONLY, MSG);
	pid = T_OP_PARK(op, "waiting_receivers", 1);
	T_EQ(t_attr(idx, "len"), 3, "%s: the messages stay queued", what);
	destroy_now(what, idx, pid, &op->ret, &op->t_end);
	after_destroy(what, idx, fd);
}

/*
 * A select parked on three channels: a receive case on P (paused, 2
 * messages queued), a receive case on E (empty) and a send case on F
 * (full). One of P and E is destroyed.
 */
enum { SP, SE, SF, NSEL };

static void test_select(int which)
{
	static const char *const names[NSEL] = { "paused", "empty", "full" };
	static const char *const gauges[NSEL] = {
		"waiting_receivers", "waiting_receivers", "waiting_senders",
	};
	static const unsigned int caps[NSEL] = { 4, 2, 1 };
	int idx[NSEL], fd[NSEL], i, n = 0, bad;
	struct t_sel_op *so;
	char what[96];
	pid_t pid;

	snprintf(what, sizeof(what),
		 "a select on 3 channels, the %s one destroyed", names[which]);
	for (i = 0; i < NSEL; i++, n++) {
		idx[i] = chan_with_fd(caps[i], &fd[i], what);
		if (idx[i] < 0)
			goto out;
	}
	T_OK(queue_msgs(fd[SP], 2, 0xb0) && queue_msgs(fd[SF], 1, 0xbf),
	     "%s: 2 messages on the paused channel, 1 fills the full one",
	     what);
	T_EQ(knob(idx[SP], "pause_recv", "1"), 0, "%s: pause_recv = 1", what);
	so = t_sel_op_new(CHAN_TIMEOUT_INFINITE);
	t_sel_op_add(so, fd[SP], CHAN_OP_RECV, MSG, 0);
	t_sel_op_add(so, fd[SE], CHAN_OP_RECV, MSG, 0);
	t_sel_op_add(so, fd[SF], CHAN_OP_SEND, 16, 0xbe);
	pid = t_sel_op_start(so);
	for (i = 0, bad = 0; i < NSEL; i++)
		bad += t_wait_attr(idx[i], gauges[i], 1, T_TIMEOUT_MS) != 0;
	T_EQ(bad, 0, "%s: the select parks on all three", what);
	destroy_now(what, idx[which], pid, &so->ret, &so->t_end);
	for (i = 0, bad = 0; i < NSEL; i++)
		bad += so->cases[i].result != T_SEL_NORESULT;
	T_EQ(bad, 0, "%s: no case has a result", what);
	after_destroy(what, idx[which], fd[which]);
	for (i = 0; i < NSEL; i++) {
		if (i == which)
			continue;
		T_EQ(t_attr(idx[i], "waiting_senders") +
		     t_attr(idx[i], "waiting_receivers"), 0,
		     "%s: nobody parked on the %s one any more", what,
		     names[i]);
		T_EQ(t_attr(idx[i], "len"), i == SP ? 2 : i == SF ? 1 : 0,
		     "%s: the %s one holds what it held", what, names[i]);
	}
out:
	for (i = 0; i < n; i++) {
		if (i == which)
			continue;
		close(fd[i]);
		T_EQ(t_chan_destroy(idx[i], 0), 0,
		     "%s: destroy the %s one (nothing open)", what, names[i]);
	}
}

/* One CHAN_IOC_RECV_BATCH of 4 in a child, untimed. */
struct bop {
	int idx;
	long ret;
	uint64_t t_start, t_end;
	struct chan_iov iov[4];
	unsigned char bufs[4][MSG];
};

static int bop_child(void *arg)
{
	struct bop *b = arg;
	struct chan_batch cb = {
		.vec = (__u64)(uintptr_t)b->iov, .count = 4,
		.timeout_ns = CHAN_TIMEOUT_INFINITE,
	};
	int fd = t_chan_open(b->idx, O_RDONLY), i;

	if (fd < 0) {
		b->ret = fd;
		return 2;
	}
	for (i = 0; i < 4; i++) {
		b->iov[i].buf = (__u64)(uintptr_t)b->bufs[i];
		b->iov[i].len = MSG;
	}
	b->t_start = t_now_ns();
	b->ret = SYS(ioctl(fd, CHAN_IOC_RECV_BATCH, &cb));
	b->t_end = t_now_ns();
	return 0;
}

static void test_batch(bool paused)
{
	const char *what = paused ?
		"a RECV_BATCH parked under chaos/pause_recv" :
		"a RECV_BATCH parked on an empty buffered channel";
	struct bop *b = t_shared(sizeof(*b));
	int idx, fd;
	pid_t pid;

	idx = chan_with_fd(4, &fd, what);
	if (idx < 0)
		return;
	if (paused) {
		T_OK(queue_msgs(fd, 2, 0xc0), "%s: queue 2 messages", what);
		T_EQ(knob(idx, "pause_recv", "1"), 0, "%s: pause_recv = 1",
		     what);
	}
	b->idx = idx;
	b->ret = LONG_MIN;
	pid = t_fork(bop_child, b);
	T_EQ(t_wait_attr(idx, "waiting_receivers", 1, T_TIMEOUT_MS), 0,
	     "%s: it parks", what);
	destroy_now(what, idx, pid, &b->ret, &b->t_end);
	after_destroy(what, idx, fd);
}

/* ---- 2. the last fd goes while a thread is parked on it ---- */

enum { LF_READ, LF_RECV, LF_SELECT };
enum { LF_CLOSE, LF_DUP2 };

#define LF_TMO_NS	(2 * T_NSEC_PER_SEC)
#define LF_LEN		40

struct lastfd {
	/* in */
	int kind, how;
	int idx, other;		/* the channel, and another (dup2, select) */
	long long tmo_ns;	/* CHAN_TIMEOUT_INFINITE: a peer comes */
	int go;			/* the parent saw it parked: close now */
	/* out */
	int closed;
	int fd, bfd;
	long close_ret;
	long ret;
	int sel_result;
	uint64_t t_start, t_closed, t_end;
	long getfd, rd, info, dup_close;	/* the fd number afterwards */
	short revents;
	__u32 dup_index;
	long long readers;	/* the channel's, then */
	unsigned char buf[MSG];
};

static const char *const lf_names[] = {
	"read(2)", "CHAN_IOC_RECV", "CHAN_IOC_SELECT",
};

static void *lf_parker(void *arg)
{
	struct lastfd *lf = arg;
	struct chan_select_case cs[2];
	unsigned char other[MSG];

	lf->t_start = t_now_ns();
	switch (lf->kind) {
	case LF_READ:
		lf->ret = SYS(read(lf->fd, lf->buf, MSG));
		break;
	case LF_RECV:
		lf->ret = t_recv(lf->fd, lf->buf, MSG, lf->tmo_ns);
		break;
	case LF_SELECT:
		t_sel_case(&cs[0], lf->fd, CHAN_OP_RECV, lf->buf, MSG);
		t_sel_case(&cs[1], lf->bfd, CHAN_OP_RECV, other, MSG);
		lf->ret = t_select(lf->fd, cs, 2, lf->tmo_ns);
		lf->sel_result = cs[0].result;
		break;
	}
	lf->t_end = t_now_ns();
	return NULL;
}

/*
 * The child: one thread parks on fd, the main thread closes it (or dup2s
 * the other channel's fd over it) when told, then looks at the number.
 * Between the close and those looks nothing here opens a file, so the
 * number stays free. The parked call's last fput runs before it returns
 * to user space, so once the thread is joined the file must be gone.
 */
static int lf_child(void *arg)
{
	struct lastfd *lf = arg;
	struct pollfd p;
	struct chan_info info;
	uint64_t end;
	pthread_t th;

	lf->fd = t_chan_open(lf->idx, O_RDONLY);
	lf->bfd = t_chan_open(lf->other, O_RDONLY);
	if (lf->fd < 0 || lf->bfd < 0) {
		t_diag("cannot open the channels");
		return 2;
	}
	if (lf->kind == LF_READ &&
	    t_set_timeouts(lf->fd, CHAN_TIMEOUT_INFINITE, lf->tmo_ns))
		return 2;
	if (pthread_create(&th, NULL, lf_parker, lf))
		return 2;
	end = t_now_ns() + T_TIMEOUT_NS;
	while (!__atomic_load_n(&lf->go, __ATOMIC_SEQ_CST) && t_now_ns() < end)
		t_sleep_ms(1);
	if (lf->how == LF_CLOSE)
		lf->close_ret = SYS(close(lf->fd));
	else
		lf->close_ret = SYS(dup2(lf->bfd, lf->fd));
	lf->t_closed = t_now_ns();
	__atomic_store_n(&lf->closed, 1, __ATOMIC_SEQ_CST);
	pthread_join(th, NULL);

	if (lf->how == LF_DUP2) {
		lf->info = SYS(ioctl(lf->fd, CHAN_IOC_GET_INFO, &info));
		lf->dup_index = info.index;
		lf->dup_close = SYS(close(lf->fd));
	}
	lf->getfd = SYS(fcntl(lf->fd, F_GETFD));
	lf->rd = SYS(read(lf->fd, lf->buf + LF_LEN, 8));
	if (lf->how == LF_CLOSE)
		lf->info = SYS(ioctl(lf->fd, CHAN_IOC_GET_INFO, &info));
	p.fd = lf->fd;
	p.events = POLLIN;
	p.revents = 0;
	if (poll(&p, 1, 0) == 1)
		lf->revents = p.revents;
	/* The number may be taken again now. */
	lf->readers = t_attr(lf->idx, "readers");
	return 0;
}

static void test_lastfd(int kind, int how, bool peer, unsigned int cap)
{
	struct lastfd *lf = t_shared(sizeof(*lf));
	unsigned char msg[LF_LEN];
	uint64_t end;
	char what[128];
	int pfd, idx;
	pid_t pid;

	snprintf(what, sizeof(what), "%s the last fd under a parked %s (cap %u, %s)",
		 how == LF_CLOSE ? "close(2) of" : "dup2(2) over",
		 lf_names[kind], cap, peer ? "a peer comes" : "it times out");
	idx = t_chan_new(cap, MSG, 0);
	lf->other = t_chan_new(1, MSG, 0);
	if (!T_OK(idx >= 0 && lf->other >= 0, "%s: create 2 channels", what))
		goto out;
	lf->kind = kind;
	lf->how = how;
	lf->idx = idx;
	lf->tmo_ns = peer ? CHAN_TIMEOUT_INFINITE : LF_TMO_NS;
	lf->ret = LONG_MIN;
	pid = t_fork(lf_child, lf);
	T_EQ(t_wait_attr(idx, "waiting_receivers", 1, T_TIMEOUT_MS), 0,
	     "%s: the thread parks", what);
	T_EQ(t_attr(idx, "readers"), 1,
	     "%s: its file is the channel's only one", what);
	__atomic_store_n(&lf->go, 1, __ATOMIC_SEQ_CST);
	end = t_now_ns() + T_TIMEOUT_NS;
	while (!__atomic_load_n(&lf->closed, __ATOMIC_SEQ_CST) &&
	       t_now_ns() < end)
		t_sleep_ms(1);
	T_EQ(lf->close_ret, how == LF_CLOSE ? 0 : lf->fd,
	     "%s: another thread's %s returns", what,
	     how == LF_CLOSE ? "close" : "dup2");
	T_EQ(t_attr(idx, "readers"), 1,
	     "%s: the parked call still holds the file (readers 1; chan(4), Closing)",
	     what);
	T_EQ(t_attr(idx, "waiting_receivers"), 1,
	     "%s: and is still parked", what);
	if (peer) {
		pfd = t_chan_open(idx, O_WRONLY);
		t_fill(msg, LF_LEN, 0x1a57 + kind);
		T_EQ(t_send(pfd, msg, LF_LEN, T_TIMEOUT_NS), 0,
		     "%s: a peer opening the channel now sends", what);
		close(pfd);
	}
	if (!T_CHILD(pid, T_TIMEOUT_MS, 0, "%s: the call returns, nothing crashes",
		     what))
		goto out;
	if (peer && kind == LF_SELECT) {
		T_EQ(lf->ret, 0, "%s: the select commits its case 0", what);
		T_EQ(lf->sel_result, LF_LEN, "%s: with the message", what);
	} else if (peer) {
		T_EQ(lf->ret, LF_LEN, "%s: it gets the message", what);
	} else {
		T_EQ(lf->ret, -ETIMEDOUT, "%s: ETIMEDOUT", what);
		T_GE((long long)(lf->t_end - lf->t_start), LF_TMO_NS,
		     "%s: not early", what);
		T_LT((long long)(lf->t_closed - lf->t_end), 0,
		     "%s: the fd went while it waited", what);
	}
	if (peer)
		T_OK(t_verify(lf->buf, LF_LEN, 0x1a57 + kind),
		     "%s: the message is intact", what);
	if (how == LF_DUP2) {
		T_EQ(lf->info, 0, "%s: afterwards the number is the dup2'd file",
		     what);
		T_EQ(lf->dup_index, lf->other, "%s: ... of the other channel",
		     what);
		T_EQ(lf->dup_close, 0, "%s: ... and closes", what);
	}
	T_OK(lf->getfd == -EBADF && lf->rd == -EBADF &&
	     (how == LF_DUP2 || lf->info == -EBADF) && lf->revents == POLLNVAL,
	     "%s: then the fd is gone: EBADF (fcntl %ld, read %ld, ioctl %ld), POLLNVAL (%#x)",
	     what, lf->getfd, lf->rd, lf->info, lf->revents);
	T_EQ(lf->readers, 0,
	     "%s: the file was released when the call returned (readers 0)",
	     what);
	T_EQ(t_attr(idx, "waiting_receivers") + t_attr(idx, "writers"), 0,
	     "%s: nobody parked, no writer", what);
	T_EQ(t_attr(idx, "stats/sent") - t_attr(idx, "stats/received"),
	     t_attr(idx, "len"), "%s: sent - received == len", what);
out:
	if (idx >= 0)
		T_EQ(t_chan_destroy(idx, 0), 0,
		     "%s: a plain destroy succeeds: no file left open", what);
	if (lf->other >= 0)
		t_chan_destroy(lf->other, 0);
}

/* ---- 3, 4, 5: the storm ---- */

#define RACE_MS		3000	/* 3 */
#define CD_MS		3000	/* 4 */
#define CD_MIN_CYCLES	10
#define NSLOT		6
/* The shared fd numbers: open(2) hands out the lowest free, never these. */
#define SLOT_FD0	100
#define NWORKER		4
#define NCLOSER		2
#define NOPENER		2
#define NBAD		8
#define CD_NAME		"teardown-races"

enum {
	OP_INFO, OP_STATS, OP_SET_TMO, OP_GET_TMO, OP_FIONREAD,
	OP_SEND, OP_WRITE, OP_SEND_BATCH,
	OP_RECV, OP_READ, OP_RECV_BATCH,
	OP_POLL, OP_EPOLL, OP_SELECT, NOPS,
};

static const char *const op_names[NOPS] = {
	"GET_INFO", "GET_STATS", "SET_TIMEOUTS", "GET_TIMEOUTS", "FIONREAD",
	"SEND", "write", "SEND_BATCH", "RECV", "read", "RECV_BATCH",
	"poll", "epoll", "SELECT",
};

struct bad {
	int op;
	long ret;
	int closing;
};

enum { STOP_RACE, STOP_CD, STOP_RMMOD, NSTOP };

struct storm {
	int stop[NSTOP];		/* all three: __atomic */
	/* 3: the release race */
	int chans[2];			/* buffered (closed near the end), unbuffered */
	int closing;			/* set just before CHAN_IOC_CLOSE */
	long close_ret;
	long calls[NOPS];
	long sent, received, eof;
	long ebadf, enodev, eagain, etimedout, eintr, epipe;
	long slot_ops, slot_bad, slot_err;
	int slot_how;
	int nbad;
	struct bad bad[NBAD];
	long long gauges[2][4];		/* with every slot closed */
	/* 4: create/destroy against open */
	int cd_idx;
	long cycles, create_bad, destroy_bad, create_err, destroy_err;
	long opens, open_enoent, open_enodev, open_enxio, open_bad, open_err;
	long use_bad, use_err;
	uint64_t open_max_ns;
	/* 5: rmmod */
	long rm_tries, rm_wouldblock, rm_busy, rm_bad, rm_err, ctl_bad;
};

static struct storm *sh;

static void add(long *counter, long n)
{
	__atomic_add_fetch(counter, n, __ATOMIC_RELAXED);
}

static void record_bad(int op, long ret, int closing)
{
	int i = __atomic_fetch_add(&sh->nbad, 1, __ATOMIC_SEQ_CST);

	if (i < NBAD)
		sh->bad[i] = (struct bad){ .op = op, .ret = ret,
					   .closing = closing };
}

static bool stopping(int which)
{
	return __atomic_load_n(&sh->stop[which], __ATOMIC_SEQ_CST);
}

static void stop(int which)
{
	__atomic_store_n(&sh->stop[which], 1, __ATOMIC_SEQ_CST);
}

/* A timeout of 0 (try once) up to 2 ms. */
static long long short_tmo(unsigned int *rs)
{
	static const long long choices[] = {
		0, 100 * 1000LL, T_NSEC_PER_MSEC, 2 * T_NSEC_PER_MSEC,
	};

	return choices[rand_r(rs) % T_ARRAY_SIZE(choices)];
}

/*
 * One random call on a shared fd number. Returns its result, and in *@as
 * the kind of call to judge it as; counts the messages it moved into
 * sh->sent and sh->received.
 */
static long storm_call(int op, int fd, int fd2, unsigned int *rs, int *as)
{
	unsigned char buf[2][MSG];
	struct chan_select_case cs[2];
	struct chan_batch cb = { .timeout_ns = short_tmo(rs) };
	struct chan_iov iov[2];
	struct chan_stats *st;
	struct chan_info info;
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT };
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT };
	long long s_ns, r_ns;
	long r;
	int ep, i;

	*as = op;
	memset(buf, 0x5a, sizeof(buf));
	for (i = 0; i < 2; i++) {
		iov[i] = (struct chan_iov){ .buf = (__u64)(uintptr_t)buf[i],
					    .len = MSG };
	}
	cb.vec = (__u64)(uintptr_t)iov;
	cb.count = 2;
	switch (op) {
	case OP_INFO:
		return SYS(ioctl(fd, CHAN_IOC_GET_INFO, &info));
	case OP_STATS:
		st = malloc(sizeof(*st));
		r = st ? SYS(ioctl(fd, CHAN_IOC_GET_STATS, st)) : 0;
		free(st);
		return r;
	case OP_SET_TMO:
		/* Finite: a read or write on a shared number never hangs. */
		return t_set_timeouts(fd, short_tmo(rs), short_tmo(rs));
	case OP_GET_TMO:
		return t_get_timeouts(fd, &s_ns, &r_ns);
	case OP_FIONREAD:
		return t_fionread(fd);
	case OP_SEND:
		r = t_send(fd, buf[0], 1 + rand_r(rs) % MSG, short_tmo(rs));
		if (r == 0)
			add(&sh->sent, 1);
		return r;
	case OP_WRITE:
		r = SYS(write(fd, buf[0], 1 + rand_r(rs) % MSG));
		if (r > 0)
			add(&sh->sent, 1);
		return r;
	case OP_SEND_BATCH:
		iov[0].len = 1 + rand_r(rs) % MSG;
		r = SYS(ioctl(fd, CHAN_IOC_SEND_BATCH, &cb));
		if (r > 0)
			add(&sh->sent, r);
		return r;
	case OP_RECV:
		r = t_recv(fd, buf[0], MSG, short_tmo(rs));
		if (r > 0)
			add(&sh->received, 1);
		return r;
	case OP_READ:
		r = SYS(read(fd, buf[0], MSG));
		if (r > 0)
			add(&sh->received, 1);
		return r;
	case OP_RECV_BATCH:
		r = SYS(ioctl(fd, CHAN_IOC_RECV_BATCH, &cb));
		if (r > 0)
			add(&sh->received, r);
		return r;
	case OP_POLL:
		return SYS(poll(&p, 1, rand_r(rs) % 3));
	case OP_EPOLL:
		ep = epoll_create1(EPOLL_CLOEXEC);
		if (ep < 0)
			return -ENOMEM;	/* not the module's: reported as bad */
		r = SYS(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
		if (!r)
			r = SYS(epoll_wait(ep, &ev, 1, rand_r(rs) % 2));
		close(ep);
		return r;
	case OP_SELECT:
		t_sel_case(&cs[0], fd, CHAN_OP_RECV, buf[0], MSG);
		t_sel_case(&cs[1], fd2, CHAN_OP_SEND, buf[1],
			   1 + rand_r(rs) % MSG);
		r = t_select(fd, cs, 2, short_tmo(rs));
		if (r == 0 && cs[0].result > 0)
			add(&sh->received, 1);
		if (r == 1 && cs[1].result > 0)
			add(&sh->sent, 1);
		if (r != 0 && r != 1)
			return r;
		/* The committed case is checked as a plain receive or send. */
		*as = r ? OP_SEND : OP_RECV;
		return cs[r].result;
	}
	return -EINVAL;
}

/*
 * Is @r what chan(4) lets @op return on a number that other threads close
 * and reopen meanwhile? EBADF (closed, or open in the other direction),
 * ENODEV, EINTR for all; EAGAIN and ETIMEDOUT for transfers; EPIPE and end
 * of file only from the closed channel, once its close began.
 */
static bool storm_ok(int op, long r, bool closing)
{
	bool xfer = op >= OP_SEND && op != OP_POLL && op != OP_EPOLL;
	bool recv = op >= OP_RECV && op <= OP_RECV_BATCH;

	if (r == 0 && recv) {
		add(&sh->eof, 1);
		return closing;
	}
	if (r >= 0)
		return true;
	switch (-r) {
	case EBADF:
		add(&sh->ebadf, 1);
		return true;
	case ENODEV:
		add(&sh->enodev, 1);
		return true;
	case EINTR:
		add(&sh->eintr, 1);
		return true;
	case EAGAIN:
		add(&sh->eagain, 1);
		return xfer;
	case ETIMEDOUT:
		add(&sh->etimedout, 1);
		return xfer;
	case EPIPE:
		add(&sh->epipe, 1);
		return closing && xfer && !recv && op != OP_SELECT;
	}
	return false;
}

struct storm_thread {
	pthread_t th;
	unsigned int seed;
};

static void *storm_worker(void *arg)
{
	struct storm_thread *t = arg;
	int op, as, fd, fd2;
	bool closing;
	long r;

	while (!stopping(STOP_RACE)) {
		op = rand_r(&t->seed) % NOPS;
		fd = SLOT_FD0 + rand_r(&t->seed) % NSLOT;
		fd2 = SLOT_FD0 + rand_r(&t->seed) % NSLOT;
		r = storm_call(op, fd, fd2, &t->seed, &as);
		/* Read after the call: set before the close, it covers it. */
		closing = __atomic_load_n(&sh->closing, __ATOMIC_SEQ_CST);
		add(&sh->calls[op], 1);
		if (!storm_ok(as, r, closing))
			record_bad(op, r, closing);
	}
	return NULL;
}

/* A new file of one of the channels, with finite default timeouts. */
static int storm_open(unsigned int *rs)
{
	static const int modes[] = { O_RDWR, O_RDWR, O_RDONLY, O_WRONLY };
	int flags = modes[rand_r(rs) % 4] | O_CLOEXEC, fd;
	char path[32];

	if (rand_r(rs) % 4 == 0)
		flags |= O_NONBLOCK;
	/* Not t_chan_path(): its buffers are not per thread. */
	snprintf(path, sizeof(path), CHAN_DEV_PREFIX "%d",
		 sh->chans[rand_r(rs) % 2]);
	fd = open(path, flags);
	if (fd < 0)
		return -errno;
	if (t_set_timeouts(fd, T_NSEC_PER_MSEC, T_NSEC_PER_MSEC)) {
		close(fd);
		return -EINVAL;
	}
	return fd;
}

static void *storm_closer(void *arg)
{
	struct storm_thread *t = arg;
	int slot, fd, how;
	long r, c;

	while (!stopping(STOP_RACE)) {
		slot = SLOT_FD0 + rand_r(&t->seed) % NSLOT;
		how = rand_r(&t->seed) % 5;
		switch (how) {
		case 0:
			r = SYS(close(slot));
			r = r == -EBADF ? 0 : r;
			break;
		case 1:
		case 2:
			fd = storm_open(&t->seed);
			if (fd < 0) {
				r = fd;
				break;
			}
			r = SYS(dup2(fd, slot));
			r = r == slot ? 0 : r;
			c = SYS(close(fd));
			r = r ?: c;
			break;
		default:
			fd = SLOT_FD0 + rand_r(&t->seed) % NSLOT;
			r = SYS(dup2(fd, slot));
			r = r == slot || r == -EBADF ? 0 : r;
			break;
		}
		add(&sh->slot_ops, 1);
		if (r) {
			sh->slot_err = r;
			sh->slot_how = how;
			add(&sh->slot_bad, 1);
		}
	}
	return NULL;
}

static const char *const gauge_names[4] = {
	"waiting_senders", "waiting_receivers", "readers", "writers",
};

/* The process racing calls with closes of the same numbers. */
static int storm_racer(void *arg)
{
	struct storm_thread t[NWORKER + NCLOSER];
	uint64_t start = t_now_ns();
	int i, j, fd, n = 0;
	unsigned int rs = seed;

	(void)arg;
	for (i = 0; i < NSLOT; i++) {
		fd = storm_open(&rs);
		if (fd < 0 || dup2(fd, SLOT_FD0 + i) != SLOT_FD0 + i)
			return 2;
		close(fd);
	}
	for (i = 0; i < NWORKER + NCLOSER; i++, n++) {
		t[i].seed = seed + 1 + i;
		if (pthread_create(&t[i].th, NULL,
				   i < NWORKER ? storm_worker : storm_closer,
				   &t[i]))
			break;
	}
	while (!stopping(STOP_RACE) &&
	       t_now_ns() - start < RACE_MS * 5 / 6 * T_NSEC_PER_MSEC)
		t_sleep_ms(10);
	/* chan(4), Closing: from here sends may fail with EPIPE. */
	__atomic_store_n(&sh->closing, 1, __ATOMIC_SEQ_CST);
	fd = t_chan_open(sh->chans[0], O_WRONLY);
	sh->close_ret = fd < 0 ? fd : t_close_chan(fd);
	if (fd >= 0)
		close(fd);
	while (!stopping(STOP_RACE))
		t_sleep_ms(10);
	for (i = 0; i < n; i++)
		pthread_join(t[i].th, NULL);
	for (i = 0; i < NSLOT; i++)
		close(SLOT_FD0 + i);
	for (i = 0; i < 2; i++)
		for (j = 0; j < 4; j++)
			sh->gauges[i][j] = t_attr(sh->chans[i], gauge_names[j]);
	return n == NWORKER + NCLOSER ? 0 : 2;
}

/* 4: create (named, at a fixed index) and force-destroy, in a loop. */
static int storm_creator(void *arg)
{
	struct chan_ctl_destroy d = {
		.index = sh->cd_idx, .flags = CHAN_DESTROY_F_FORCE,
	};
	struct chan_ctl_create c;
	unsigned int rs = seed ^ 0xc4ea7e;
	int ctl = open(CHAN_CONTROL_PATH, O_RDWR | O_CLOEXEC);
	uint64_t end;
	long r, opens;

	(void)arg;
	if (ctl < 0)
		return 2;
	while (!stopping(STOP_CD)) {
		memset(&c, 0, sizeof(c));
		c.capacity = 2;
		c.msg_size = MSG;
		c.uid = CHAN_ID_CALLER;
		c.gid = CHAN_ID_CALLER;
		c.index = sh->cd_idx;
		memcpy(c.name, CD_NAME, sizeof(CD_NAME));
		r = SYS(ioctl(ctl, CHAN_CTL_CREATE, &c));
		if (r || c.index != sh->cd_idx) {
			sh->create_err = r;
			add(&sh->create_bad, 1);
			t_sleep_ms(1);
			continue;
		}
		/*
		 * Half the time, destroy it as soon as an opener got it
		 * open (within 50 ms), so that the destroy meets that fd's
		 * calls and close; else after a random while up to 3 ms.
		 */
		if (rand_r(&rs) % 2) {
			opens = __atomic_load_n(&sh->opens, __ATOMIC_SEQ_CST);
			end = t_now_ns() + 50 * T_NSEC_PER_MSEC;
			while (__atomic_load_n(&sh->opens, __ATOMIC_SEQ_CST) ==
			       opens && t_now_ns() < end)
				sched_yield();
		} else {
			usleep(rand_r(&rs) % 3000);
		}
		r = SYS(ioctl(ctl, CHAN_CTL_DESTROY, &d));
		if (r) {
			sh->destroy_err = r;
			add(&sh->destroy_bad, 1);
		}
		add(&sh->cycles, 1);
	}
	close(ctl);
	return 0;
}

/* 4: open the node, use it without waiting (or 1 ms), close, in a loop. */
static int storm_opener(void *arg)
{
	const char *path = t_chan_path(sh->cd_idx);
	unsigned int rs = seed ^ (uintptr_t)arg;
	unsigned char buf[MSG];
	struct chan_info info;
	uint64_t t0, dt;
	long r, e;
	int fd;

	while (!stopping(STOP_CD)) {
		t0 = t_now_ns();
		fd = open(path, O_RDWR | O_CLOEXEC);
		e = errno;
		dt = t_now_ns() - t0;
		if (dt > __atomic_load_n(&sh->open_max_ns, __ATOMIC_RELAXED))
			__atomic_store_n(&sh->open_max_ns, dt,
					 __ATOMIC_RELAXED);
		switch (fd < 0 ? e : 0) {
		case 0:
			break;
		case ENOENT:	/* the node is not there */
			add(&sh->open_enoent, 1);
			continue;
		case ENODEV:	/* the channel is dead */
			add(&sh->open_enodev, 1);
			continue;
		case ENXIO:	/* its cdev is going */
			add(&sh->open_enxio, 1);
			continue;
		default:
			sh->open_err = -e;
			add(&sh->open_bad, 1);
			continue;
		}
		add(&sh->opens, 1);
		t_fill(buf, 8, 0x0e);
		r = t_send(fd, buf, 8, 0);
		if (r && r != -EAGAIN && r != -ENODEV)
			goto bad;
		r = SYS(ioctl(fd, CHAN_IOC_GET_INFO, &info));
		if (r == 0 && info.index != (__u32)sh->cd_idx)
			r = -EXDEV;
		if (r && r != -ENODEV)
			goto bad;
		r = t_recv(fd, buf, MSG, rand_r(&rs) % 2 ? T_NSEC_PER_MSEC : 0);
		if (r < 0 && r != -EAGAIN && r != -ETIMEDOUT && r != -ENODEV)
			goto bad;
		r = SYS(close(fd));
		if (r)
			goto bad_closed;
		continue;
bad:
		close(fd);
bad_closed:
		sh->use_err = r;
		add(&sh->use_bad, 1);
	}
	return 0;
}

/* 5: delete_module(O_NONBLOCK) in a loop, using the module in between. */
static int storm_rmmod(void *arg)
{
	long r;
	int ctl;

	(void)arg;
	while (!stopping(STOP_RMMOD)) {
		r = SYS(syscall(SYS_delete_module, "chan", O_NONBLOCK));
		add(&sh->rm_tries, 1);
		if (r == -EWOULDBLOCK) {
			add(&sh->rm_wouldblock, 1);
		} else if (r == -EBUSY) {
			add(&sh->rm_busy, 1);
		} else {
			sh->rm_err = r;
			add(&sh->rm_bad, 1);
			if (r == 0)
				break;	/* unloaded: nothing more to try */
		}
		ctl = open(CHAN_CONTROL_PATH, O_RDWR | O_CLOEXEC);
		if (ctl < 0 || ioctl(ctl, CHAN_CTL_GET_VERSION) !=
		    CHAN_ABI_VERSION)
			add(&sh->ctl_bad, 1);
		if (ctl >= 0)
			close(ctl);
		t_sleep_ms(1);
	}
	return 0;
}

/* The indexes of every channel, sorted, into @out; their number. */
static int list_chans(int *out, int max)
{
	DIR *d = opendir(T_SYSFS_CLASS);
	struct dirent *e;
	int n = 0, i, j, v;

	if (!d)
		return -errno;
	while ((e = readdir(d)) && n < max) {
		if (sscanf(e->d_name, "chan%d", &v) == 1)
			out[n++] = v;
	}
	closedir(d);
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && out[j - 1] > out[j]; j--) {
			v = out[j];
			out[j] = out[j - 1];
			out[j - 1] = v;
		}
	return n;
}

static bool reload_possible(void)
{
	const char *path = getenv("KCHAN_MODULE");
	long long refcnt = 0;

	if (access(path ? path : T_MODULE_PATH, R_OK))
		return false;
	if (t_mod_holders())
		return false;
	return t_read_num(T_SYSFS_MODULE "/refcnt", &refcnt) == 0 && !refcnt;
}

static void storm_report(void)
{
	int i;

	t_diag("release race: %ld slot changes; calls:", sh->slot_ops);
	for (i = 0; i < NOPS; i++)
		t_diag("  %-12s %ld", op_names[i], sh->calls[i]);
	t_diag("  sent %ld received %ld eof %ld; EBADF %ld ENODEV %ld EAGAIN %ld ETIMEDOUT %ld EINTR %ld EPIPE %ld",
	       sh->sent, sh->received, sh->eof, sh->ebadf, sh->enodev,
	       sh->eagain, sh->etimedout, sh->eintr, sh->epipe);
	for (i = 0; i < sh->nbad && i < NBAD; i++)
		t_diag("  unexpected: %s returned %ld (%s)%s",
		       op_names[sh->bad[i].op], sh->bad[i].ret,
		       strerrorname_np((int)-sh->bad[i].ret) ?: "?",
		       sh->bad[i].closing ? ", after the close" : "");
	t_diag("create/destroy: %ld cycles; opens %ld, ENOENT %ld ENODEV %ld ENXIO %ld, slowest %llu ms",
	       sh->cycles, sh->opens, sh->open_enoent, sh->open_enodev,
	       sh->open_enxio,
	       (unsigned long long)(sh->open_max_ns / T_NSEC_PER_MSEC));
	t_diag("rmmod: %ld tries, EWOULDBLOCK %ld, EBUSY %ld", sh->rm_tries,
	       sh->rm_wouldblock, sh->rm_busy);
}

static void test_storm(void)
{
	int before[64], after[64], nbefore, nafter, i, j, ctl, hold, held;
	long long sent = 0, received = 0;
	bool reload = reload_possible();
	uint64_t end;
	pid_t racer, creator, rmmod = -1, opener[NOPENER];

	sh = t_shared(sizeof(*sh));
	sh->chans[0] = t_chan_new(4, MSG, 0);
	sh->chans[1] = t_chan_new(0, MSG, 0);
	/* A free index for the create/destroy loop, and its name free. */
	sh->cd_idx = t_chan_new(2, MSG, 0);
	held = t_chan_new(1, MSG, 0);
	if (!T_OK(sh->chans[0] >= 0 && sh->chans[1] >= 0 && sh->cd_idx >= 0 &&
		  held >= 0, "storm: create its channels"))
		return;
	T_EQ(t_chan_destroy(sh->cd_idx, 0), 0,
	     "storm: chan%d is the create/destroy loop's index", sh->cd_idx);
	nbefore = list_chans(before, T_ARRAY_SIZE(before));
	/*
	 * The module must stay in use whatever the children do: this
	 * process holds the control device and a channel open throughout.
	 */
	ctl = open(CHAN_CONTROL_PATH, O_RDWR | O_CLOEXEC);
	hold = t_chan_open(held, O_RDONLY);
	T_OK(ctl >= 0 && hold >= 0,
	     "storm: hold the control device and a channel open");

	if (reload)
		rmmod = t_fork(storm_rmmod, NULL);
	else
		t_diag("the module cannot be reloaded here: no delete_module loop");
	racer = t_fork(storm_racer, NULL);
	t_sleep_ms(RACE_MS);
	stop(STOP_RACE);
	T_CHILD(racer, T_TIMEOUT_MS, 0,
		"release race: the process (6 threads) ends, nothing hangs");
	/*
	 * Apart from the release race: creating a device is slow on the
	 * debug kernel, and its busy threads would leave the loop few turns.
	 */
	creator = t_fork(storm_creator, NULL);
	for (i = 0; i < NOPENER; i++)
		opener[i] = t_fork(storm_opener, (void *)(uintptr_t)(i + 1));
	/* At least CD_MIN_CYCLES turns, if that takes up to 2 x CD_MS. */
	end = t_now_ns() + 2 * CD_MS * T_NSEC_PER_MSEC;
	t_sleep_ms(CD_MS);
	while (__atomic_load_n(&sh->cycles, __ATOMIC_SEQ_CST) < CD_MIN_CYCLES &&
	       t_now_ns() < end)
		t_sleep_ms(10);
	stop(STOP_CD);
	T_CHILD(creator, T_TIMEOUT_MS, 0, "create/destroy loop ends");
	for (i = 0; i < NOPENER; i++)
		T_CHILD(opener[i], T_TIMEOUT_MS, 0,
			"open/send/close loop %d ends, nothing hangs", i);
	stop(STOP_RMMOD);
	if (reload)
		T_CHILD(rmmod, T_TIMEOUT_MS, 0, "delete_module loop ends");
	storm_report();

	/* 3 */
	T_EQ(sh->nbad, 0,
	     "release race: every call gives success or a documented error (chan(4), ERRORS)");
	T_EQ(sh->slot_bad, 0,
	     "release race: every close, open and dup2 of the numbers works (%ld, %d)",
	     sh->slot_err, sh->slot_how);
	T_EQ(sh->close_ret, 0, "release race: CHAN_IOC_CLOSE near the end");
	T_GT(sh->sent, 0, "release race: messages moved (%ld)", sh->sent);
	for (i = 0; i < 2; i++) {
		for (j = 0; j < 4; j++)
			T_EQ(sh->gauges[i][j], 0,
			     "release race: chan%d/%s is 0 once the numbers are closed",
			     sh->chans[i], gauge_names[j]);
		sent += t_attr(sh->chans[i], "stats/sent");
		received += t_attr(sh->chans[i], "stats/received");
		T_EQ(t_attr(sh->chans[i], "stats/sent") -
		     t_attr(sh->chans[i], "stats/received"),
		     t_attr(sh->chans[i], "len"),
		     "release race: chan%d: sent - received == len",
		     sh->chans[i]);
	}
	T_EQ(sent, sh->sent,
	     "release race: the kernel counted every send reported done, no other");
	T_EQ(received, sh->received,
	     "release race: the kernel counted every receive reported done, no other");

	/* 4 */
	T_GT(sh->cycles, 0, "create/destroy: %ld cycles", sh->cycles);
	T_EQ(sh->create_bad, 0,
	     "create/destroy: every named create at chan%d succeeds (%ld)",
	     sh->cd_idx, sh->create_err);
	T_EQ(sh->destroy_bad, 0,
	     "create/destroy: every forced destroy succeeds (%ld)",
	     sh->destroy_err);
	T_GT(sh->opens, 0, "create/destroy: opens of chan%d succeed (%ld)",
	     sh->cd_idx, sh->opens);
	T_EQ(sh->open_bad, 0,
	     "create/destroy: opens fail only with ENOENT, ENODEV or ENXIO (%ld)",
	     sh->open_err);
	T_LT((long long)sh->open_max_ns, PROMPT_NS,
	     "create/destroy: no open waits for the loop (slowest %llu ms)",
	     (unsigned long long)(sh->open_max_ns / T_NSEC_PER_MSEC));
	T_EQ(sh->use_bad, 0,
	     "create/destroy: an opened fd sends, receives and closes, or gives ENODEV (%ld)",
	     sh->use_err);
	T_OK(!t_chan_exists(sh->cd_idx) &&
	     access(t_chan_path(sh->cd_idx), F_OK) && errno == ENOENT,
	     "create/destroy: chan%d is gone, node and all", sh->cd_idx);

	/* 5 */
	if (reload) {
		T_GT(sh->rm_tries, 0, "delete_module: %ld tries", sh->rm_tries);
		T_EQ(sh->rm_bad, 0,
		     "delete_module: every try fails with EWOULDBLOCK or EBUSY (chan(4), Security) (%ld)",
		     sh->rm_err);
		T_EQ(sh->ctl_bad, 0,
		     "delete_module: the control device works between tries");
	}
	T_OK(t_mod_loaded(), "the module is still loaded");
	if (!t_mod_loaded() && t_mod_load(""))
		t_bail("the module was unloaded under open files and cannot be loaded again");

	for (i = 0; i < 2; i++)
		T_EQ(t_chan_destroy(sh->chans[i], 0), 0,
		     "a plain destroy of chan%d succeeds: no file left open",
		     sh->chans[i]);
	close(hold);
	T_EQ(t_chan_destroy(held, 0), 0, "destroy the held channel");
	nafter = list_chans(after, T_ARRAY_SIZE(after));
	T_OK(nafter == nbefore - 3 && nbefore >= 3,
	     "no channel is left: %d before the storm and its 3, %d after",
	     nbefore - 3, nafter);
	for (i = j = 0; i < nbefore && j < nafter; i++)
		if (before[i] == after[j])
			j++;
	T_EQ(j, nafter, "the channels left are those there before");

	if (!reload) {
		close(ctl);
		t_skip("unload and reload: the module cannot be reloaded here");
		return;
	}
	T_EQ(t_mod_unload(), -EWOULDBLOCK,
	     "delete_module with the control device still open: EWOULDBLOCK");
	close(ctl);
	T_EQ(t_mod_unload(), 0, "delete_module once every file is closed");
	T_OK(!t_mod_loaded(), "the module is gone");
	T_EQ(t_mod_load(""), 0, "load it again with the default parameters");
	T_EQ(t_wait_path(t_chan_path(0), true, T_NODE_MS), 0, "%s is back",
	     t_chan_path(0));
}

int main(void)
{
	const char *env = getenv("KCHAN_TEARDOWN_SEED");
	uint64_t t0, t1, t2;

	t_init("teardown_races");
	seed = env ? (unsigned int)strtoul(env, NULL, 0) :
		(unsigned int)(t_now_ns() ^ getpid());
	t_diag("seed %u (KCHAN_TEARDOWN_SEED)", seed);

	t0 = t_now_ns();
	test_rate_wait();
	test_send_fail();
	test_recv_delay();
	test_pause_recv();
	test_select(SP);
	test_select(SE);
	test_batch(false);
	test_batch(true);

	t1 = t_now_ns();
	test_lastfd(LF_READ, LF_CLOSE, true, 2);
	test_lastfd(LF_READ, LF_DUP2, true, 0);
	test_lastfd(LF_RECV, LF_CLOSE, true, 0);
	test_lastfd(LF_RECV, LF_DUP2, true, 2);
	test_lastfd(LF_SELECT, LF_CLOSE, true, 2);
	test_lastfd(LF_SELECT, LF_DUP2, true, 0);
	test_lastfd(LF_READ, LF_CLOSE, false, 0);
	test_lastfd(LF_RECV, LF_DUP2, false, 2);
	test_lastfd(LF_SELECT, LF_CLOSE, false, 0);

	t2 = t_now_ns();
	test_storm();
	t_diag("took %llu ms: destroys %llu, last fds %llu, storm %llu",
	       (unsigned long long)(t_now_ns() - t0) / T_NSEC_PER_MSEC,
	       (unsigned long long)(t1 - t0) / T_NSEC_PER_MSEC,
	       (unsigned long long)(t2 - t1) / T_NSEC_PER_MSEC,
	       (unsigned long long)(t_now_ns() - t2) / T_NSEC_PER_MSEC);
	return t_done();
}
