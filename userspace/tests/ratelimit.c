// SPDX-License-Identifier: GPL-2.0
/*
 * Description: the token bucket of a channel's send side. Defaults (rate
 * 0, burst 1) and validation (a rate without a burst, bad pointers and
 * struct sizes, EPERM for a non-owner). The bucket starts full: burst
 * non-blocking sends go at once, the next gets EAGAIN and counts in
 * stats/rate_limited, and nothing is queued for it. A blocking send waits
 * for its token; one whose token would come after its timeout fails with
 * ETIMEDOUT at once, taking nothing. Over a sustained run, sends never
 * outrun burst + rate x t and keep up with the rate. A batch sends as many
 * messages as there are tokens; a select's send case with no token is
 * never ready, and a case that does not commit gives its token back, as
 * does a send that finds the channel full. A signal ends a wait for a
 * token (EINTR without SA_RESTART, the send completing with it), and
 * close ends it with EPIPE. poll drops POLLOUT while the bucket is empty
 * and epoll wakes when the next token comes. The limiter refuses after
 * the breaker (ECONNREFUSED first), and its refusals are no failures for
 * the breaker; a batch's vector is checked (EINVAL) before the closed
 * check and the breaker. CHAN_IOC_SET_RATE refills the bucket.
 */
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/epoll.h>

#include "helpers.h"

#define MSG	16
#define MS	T_NSEC_PER_MSEC

#define IOC_SIZED(cmd, size) \
	_IOC(_IOC_DIR(cmd), _IOC_TYPE(cmd), _IOC_NR(cmd), (size))

static int rate_set(int fd, __u32 rate, __u32 burst)
{
	struct chan_rate r = { .rate = rate, .burst = burst };

	return SYS(ioctl(fd, CHAN_IOC_SET_RATE, &r));
}

static long long limited(int idx)
{
	return t_attr(idx, "stats/rate_limited");
}

static long nb_send(int fd, uint32_t id)
{
	unsigned char msg[MSG];

	t_fill(msg, MSG, id);
	return t_send(fd, msg, MSG, 0);
}

static short revents(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };

	return poll(&p, 1, 0) == 1 ? p.revents : 0;
}

struct perm_ctx {
	int fd;
	long set, get;
	struct chan_rate r;
};

static int unprivileged(void *arg)
{
	struct perm_ctx *x = arg;
	struct chan_rate r = { .rate = 1, .burst = 1 };

	if (t_drop_privs())
		return 2;
	x->set = SYS(ioctl(x->fd, CHAN_IOC_SET_RATE, &r));
	x->get = SYS(ioctl(x->fd, CHAN_IOC_GET_RATE, &x->r));
	return 0;
}

static void test_defaults_and_validation(void)
{
	int idx = t_chan_new(4, MSG, 0), fd;
	struct perm_ctx *x = t_shared(sizeof(*x));
	unsigned char big[sizeof(struct chan_rate) + 8];
	struct chan_rate r;
	pid_t pid;

	fd = t_chan_open(idx, O_RDWR);
	memset(&r, 0xa5, sizeof(r));
	T_EQ(SYS(ioctl(fd, CHAN_IOC_GET_RATE, &r)), 0, "CHAN_IOC_GET_RATE");
	T_EQ(r.rate, 0, "  ... rate 0 (no limit) by default");
	T_EQ(r.burst, 1, "  ... burst 1");
	T_EQ(t_attr(idx, "rate/rate"), 0, "  ... sysfs rate/rate 0");
	T_EQ(t_attr(idx, "rate/tokens"), 1, "  ... rate/tokens 1");
	T_EQ(limited(idx), 0, "  ... stats/rate_limited 0");

	T_EQ(rate_set(fd, 5, 0), -EINVAL, "SET_RATE with a rate and burst 0: EINVAL");
	T_EQ(SYS(ioctl(fd, CHAN_IOC_SET_RATE, t_bad_ptr())), -EFAULT,
	     "SET_RATE from a bad pointer: EFAULT");
	T_EQ(SYS(ioctl(fd, CHAN_IOC_GET_RATE, t_ro_page())), -EFAULT,
	     "GET_RATE into a read-only page: EFAULT");
	r = (struct chan_rate) { .rate = 7, .burst = 7 };
	T_EQ(SYS(ioctl(fd, IOC_SIZED(CHAN_IOC_SET_RATE, 4), &r)), -EINVAL,
	     "SET_RATE with a 4-byte struct: EINVAL");
	memset(big, 0, sizeof(big));
	memcpy(big, &r, sizeof(r));
	big[sizeof(r) + 1] = 1;
	T_EQ(SYS(ioctl(fd, IOC_SIZED(CHAN_IOC_SET_RATE, sizeof(big)), big)), -E2BIG,
	     "SET_RATE with a bigger struct whose tail is not zero: E2BIG");
	big[sizeof(r) + 1] = 0;
	T_EQ(SYS(ioctl(fd, IOC_SIZED(CHAN_IOC_SET_RATE, sizeof(big)), big)), 0,
	     "SET_RATE with a bigger struct whose tail is zero: accepted");
	T_EQ(SYS(ioctl(fd, CHAN_IOC_GET_RATE, &r)), 0, "GET_RATE");
	T_OK(r.rate == 7 && r.burst == 7, "  ... rate 7, burst 7");
	T_EQ(t_attr(idx, "rate/tokens"), 7, "  ... the bucket is full: 7 tokens");
	T_EQ(rate_set(fd, 0, 0), 0, "SET_RATE 0/0 (off): accepted");

	x->fd = fd;
	pid = t_fork(unprivileged, x);
	T_CHILD(pid, T_TIMEOUT_MS, 0, "a child drops to uid 65534 (not the owner)");
	T_EQ(x->set, -EPERM, "  ... SET_RATE: EPERM");
	T_EQ(x->get, 0, "  ... GET_RATE works");
	T_EQ(x->r.rate, 0, "  ... and nothing changed");
	close(fd);
	t_chan_destroy(idx, 0);
}

/* Burst, EAGAIN, the deadline rule, a blocking wait, and refill. */
static void test_burst_and_waits(void)
{
	int idx = t_chan_new(64, MSG, 0), fd;
	unsigned char msg[MSG];
	uint64_t t0, t1;
	int i;

	fd = t_chan_open(idx, O_RDWR);
	T_EQ(rate_set(fd, 1, 5), 0, "rate 1/s, burst 5");
	for (i = 0; i < 5; i++)
		if (!T_EQ(nb_send(fd, i), 0, "non-blocking send %d of the burst", i))
			break;
	T_EQ(nb_send(fd, 9), -EAGAIN, "the 6th, at once: EAGAIN");
	T_EQ(limited(idx), 1, "  ... counted in stats/rate_limited");
	T_EQ(t_attr(idx, "len"), 5, "  ... and not queued: len 5");
	T_EQ(t_attr(idx, "rate/tokens"), 0, "  ... rate/tokens 0");
	T_EQ(t_attr(idx, "stats/full"), 0, "  ... not counted as full");

	/* The next token is under a second away: too late for 300 ms. */
	t_fill(msg, MSG, 10);
	t0 = t_now_ns();
	T_EQ(t_send(fd, msg, MSG, 300 * MS), -ETIMEDOUT,
	     "a send with a 300 ms timeout, its token due later: ETIMEDOUT");
	t1 = t_now_ns();
	T_LT((long long)(t1 - t0) / MS, 250, "  ... at once, without waiting (ms)");
	T_EQ(limited(idx), 2, "  ... counted in stats/rate_limited");
	T_EQ(t_attr(idx, "stats/send_timeouts"), 0, "  ... not in send_timeouts");

	/* A blocking send waits for its token, then goes. */
	t0 = t_now_ns();
	T_EQ(t_send(fd, msg, MSG, -1), 0, "a blocking send waits for its token");
	t1 = t_now_ns();
	T_LE((long long)(t1 - t0) / MS, 1500, "  ... no longer than the token takes (ms)");
	T_EQ(t_attr(idx, "len"), 6, "  ... queued: len 6");
	T_EQ(limited(idx), 2, "  ... a wait is not a refusal");

	/* Now empty again: a blocking send with a timeout covering the wait. */
	t0 = t_now_ns();
	T_EQ(t_send(fd, msg, MSG, 3000 * MS), 0,
	     "a send with a 3 s timeout waits for the next token");
	t1 = t_now_ns();
	T_GE((long long)(t1 - t0) / MS, 500, "  ... about a second (ms)");
	T_EQ(rate_set(fd, 1, 3), 0, "SET_RATE again (1/s, burst 3)");
	T_EQ(t_attr(idx, "rate/tokens"), 3, "  ... refills the bucket");
	for (i = 0; i < 3; i++)
		T_EQ(nb_send(fd, 20 + i), 0, "  ... non-blocking send %d goes", i);
	close(fd);
	t_chan_destroy(idx, 0);
}

/* Over a sustained run, admitted <= burst + rate x t, and it keeps up. */
static void test_sustained_rate(void)
{
	const unsigned int rate = 40, burst = 4, n = 40;
	int idx = t_chan_new(64, MSG, 0), fd;
	unsigned char msg[MSG];
	uint64_t t0, t;
	unsigned int i, over = 0;

	fd = t_chan_open(idx, O_RDWR);
	t0 = t_now_ns();
	T_EQ(rate_set(fd, rate, burst), 0, "rate 40/s, burst 4");
	for (i = 0; i < n; i++) {
		t_fill(msg, MSG, i);
		if (t_send(fd, msg, MSG, -1))
			break;
		t = t_now_ns();
		/* i + 1 admitted since t0: at most burst + rate x (t - t0). */
		if (i + 1 > burst &&
		    (uint64_t)(i + 1 - burst) * T_NSEC_PER_SEC > (uint64_t)rate * (t - t0))
			over++;
	}
	t = t_now_ns();
	T_EQ(i, n, "40 blocking sends as fast as they go");
	T_EQ(over, 0, "  ... never more than burst + rate x t");
	T_GE((long long)(t - t0) / MS, (long long)(n - burst) * 1000 / rate,
	     "  ... took at least (n - burst) / rate (ms)");
	T_LE((long long)(t - t0) / MS, 5000, "  ... and kept up with the rate (ms)");
	for (i = 0; i < n; i++)
		if (!T_EQ(t_recv(fd, msg, MSG, 0), MSG, "receive %u", i) ||
		    !T_OK(t_verify(msg, MSG, i), "  ... in order, intact"))
			break;
	close(fd);
	t_chan_destroy(idx, 0);
}

/* Batches, select cases, and tokens given back by sends that fail. */
static void test_batch_select_give_back(void)
{
	int idx = t_chan_new(8, MSG, 0), full = t_chan_new(1, MSG, 0), fd, ffd;
	unsigned char bufs[5][MSG], rbuf[MSG];
	struct chan_iov iov[5];
	struct chan_batch b = { .vec = (uintptr_t)iov, .count = 5 };
	struct chan_select_case sc[2];
	long n = -1;
	int i;

	fd = t_chan_open(idx, O_RDWR);
	ffd = t_chan_open(full, O_RDWR | O_NONBLOCK);
	for (i = 0; i < 5; i++) {
		t_fill(bufs[i], MSG, 100 + i);
		iov[i] = (struct chan_iov) { .buf = (uintptr_t)bufs[i], .len = MSG };
	}
	T_EQ(rate_set(fd, 1, 3), 0, "rate 1/s, burst 3");
	T_EQ(SYS(ioctl(fd, CHAN_IOC_SEND_BATCH, &b)), 3,
	     "a non-blocking batch of 5 sends the 3 it has tokens for");
	T_EQ(t_attr(idx, "len"), 3, "  ... len 3");
	T_EQ(SYS(ioctl(fd, CHAN_IOC_SEND_BATCH, &b)), -EAGAIN,
	     "another batch, the bucket empty: EAGAIN");
	T_EQ(limited(idx), 1, "  ... counted once in stats/rate_limited");

	t_sel_case(&sc[0], fd, CHAN_OP_SEND, bufs[0], MSG);
	T_EQ(t_select(-1, sc, 1, 0), -EAGAIN,
	     "a select whose only case is a send with no token: not ready (EAGAIN)");
	T_EQ(t_attr(idx, "len"), 3, "  ... nothing sent");

	/*
	 * A select over a ready receive and a send with a token commits one
	 * of them at random; when the receive wins, the send case's token
	 * comes back. Tried until the receive wins (1 in 2 each time).
	 */
	for (i = 0; i < 30; i++) {
		T_EQ(rate_set(fd, 1, 1), 0, "SET_RATE 1/s, burst 1: one token");
		t_sel_case(&sc[0], fd, CHAN_OP_RECV, rbuf, MSG);
		t_sel_case(&sc[1], fd, CHAN_OP_SEND, bufs[0], MSG);
		n = t_select(-1, sc, 2, 0);
		if (n == 0)
			break;
		T_EQ(n, 1, "  ... the send case committed");
		T_EQ(t_attr(idx, "rate/tokens"), 0, "  ... and kept its token");
	}
	T_EQ(n, 0, "a select's receive case committed, beside a send case with a token");
	T_EQ(t_attr(idx, "rate/tokens"), 1, "  ... the send case's token is back");

	/* A send that finds the channel full gives its token back. */
	T_EQ(nb_send(ffd, 7), 0, "fill a second channel (capacity 1)");
	T_EQ(rate_set(ffd, 1, 1), 0, "  ... rate 1/s, burst 1");
	T_EQ(nb_send(ffd, 8), -EAGAIN, "a non-blocking send on it: EAGAIN (full)");
	T_EQ(t_attr(full, "stats/full"), 1, "  ... counted as full");
	T_EQ(limited(full), 0, "  ... not as rate limited");
	T_EQ(t_attr(full, "rate/tokens"), 1, "  ... and its token is back");
	close(fd);
	close(ffd);
	t_chan_destroy(idx, 0);
	t_chan_destroy(full, 0);
}

static void on_sig(int sig)
{
	(void)sig;
}

struct wait_ctx {
	int idx;
	int restart;
	volatile int started;
	long ret;
	uint64_t t_end;
};

static int waiting_sender(void *arg)
{
	struct wait_ctx *x = arg;
	struct sigaction sa = { .sa_handler = on_sig };
	unsigned char msg[MSG];
	int fd;

	sa.sa_flags = x->restart ? SA_RESTART : 0;
	sigaction(SIGUSR1, &sa, NULL);
	fd = t_chan_open(x->idx, O_WRONLY);
	if (fd < 0)
		return 2;
	t_fill(msg, MSG, 1);
	x->started = 1;
	x->ret = SYS(write(fd, msg, MSG));
	x->t_end = t_now_ns();
	return 0;
}

/*
 * Take the only token of a 1/s bucket, and start a child whose blocking
 * write waits for the next one; return when it sleeps in the write. The
 * token comes a second after *t_take: what follows must happen before.
 */
static pid_t start_waiter(struct wait_ctx *x, int fd, int idx, int restart,
			  uint64_t *t_take)
{
	pid_t pid;
	int ms;

	T_EQ(rate_set(fd, 1, 1), 0, "a full bucket of one token, 1/s");
	*t_take = t_now_ns();
	T_EQ(nb_send(fd, 1), 0, "  ... take it");
	memset(x, 0, sizeof(*x));
	x->idx = idx;
	x->restart = restart;
	pid = t_fork(waiting_sender, x);
	for (ms = 0; !x->started && ms < T_TIMEOUT_MS; ms++)
		t_sleep_ms(1);
	T_EQ(t_wait_sleeping(pid, T_TIMEOUT_MS), 0,
	     "  ... a child's blocking write waits for a token");
	return pid;
}

/* Was the wait cut short, at @t, well before the token was due? */
static bool before_token(uint64_t t_take, uint64_t t)
{
	if (t - t_take < 800 * MS)
		return true;
	t_diag("the VM took %llu ms to get here: the token came first, not judged",
	       (unsigned long long)((t - t_take) / MS));
	return false;
}

/* A signal or close ends a wait for a token; nothing is taken or sent. */
static void test_signals_and_close(void)
{
	struct wait_ctx *x = t_shared(sizeof(*x));
	int idx = t_chan_new(16, MSG, 0), fd;
	long long intr0, len0;
	uint64_t t_take, t;
	pid_t pid;

	fd = t_chan_open(idx, O_RDWR);
	intr0 = t_attr(idx, "stats/interrupted");
	pid = start_waiter(x, fd, idx, 0, &t_take);
	len0 = t_attr(idx, "len");
	t = t_now_ns();
	kill(pid, SIGUSR1);
	T_CHILD(pid, T_TIMEOUT_MS, 0, "SIGUSR1 (no SA_RESTART) reaches it");
	if (before_token(t_take, t)) {
		T_EQ(x->ret, -EINTR, "  ... the write fails with EINTR");
		T_EQ(t_attr(idx, "stats/interrupted"), intr0 + 1,
		     "  ... counted in interrupted");
		T_EQ(t_attr(idx, "len"), len0, "  ... nothing sent");
	}

	pid = start_waiter(x, fd, idx, 1, &t_take);
	len0 = t_attr(idx, "len");
	kill(pid, SIGUSR1);
	T_CHILD(pid, T_TIMEOUT_MS, 0, "another, SA_RESTART, catches SIGUSR1");
	T_EQ(x->ret, MSG, "  ... its write restarts and completes with the next token");
	T_EQ(t_attr(idx, "len"), len0 + 1, "  ... one more queued");

	pid = start_waiter(x, fd, idx, 0, &t_take);
	len0 = t_attr(idx, "len");
	t = t_now_ns();
	T_EQ(t_close_chan(fd), 0, "CHAN_IOC_CLOSE while it waits");
	T_CHILD(pid, T_TIMEOUT_MS, 0, "  ... the waiter returns");
	T_EQ(x->ret, -EPIPE, "  ... with EPIPE");
	T_EQ(t_attr(idx, "len"), len0, "  ... nothing sent");
	if (before_token(t_take, t))
		T_LT((long long)(x->t_end - t_take) / MS, 950,
		     "  ... at once, not when its token came (ms since the take)");
	close(fd);
	t_chan_destroy(idx, 0);
}

/* poll drops POLLOUT while the bucket is empty; epoll wakes at the token. */
static void test_poll(void)
{
	int idx = t_chan_new(8, MSG, 0), fd, nb, ep;
	struct epoll_event ev = { .events = EPOLLOUT };
	uint64_t t0, t1;
	int n;

	fd = t_chan_open(idx, O_RDWR);
	nb = t_chan_open(idx, O_RDWR | O_NONBLOCK);
	T_EQ(rate_set(fd, 2, 1), 0, "rate 2/s, burst 1");
	T_OK(revents(fd, POLLOUT) & POLLOUT, "a token: POLLOUT");
	T_EQ(nb_send(nb, 1), 0, "take it");
	T_OK(!(revents(fd, POLLOUT) & POLLOUT), "the bucket empty: no POLLOUT");
	ep = epoll_create1(0);
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	t0 = t_now_ns();
	n = epoll_wait(ep, &ev, 1, T_TIMEOUT_MS);
	t1 = t_now_ns();
	T_EQ(n, 1, "epoll_wait for EPOLLOUT wakes");
	T_OK(ev.events & EPOLLOUT, "  ... with EPOLLOUT");
	T_LE((long long)(t1 - t0) / MS, 2000, "  ... when the token comes (ms)");
	T_EQ(nb_send(nb, 2), 0, "  ... and a non-blocking send goes");
	T_EQ(rate_set(fd, 0, 1), 0, "rate 0: no limit");
	T_OK(revents(fd, POLLOUT) & POLLOUT, "  ... POLLOUT");
	close(ep);
	close(nb);
	close(fd);
	t_chan_destroy(idx, 0);
}

/* The breaker refuses first; the limiter's refusals are not failures. */
static void test_with_breaker(void)
{
	int idx = t_chan_new(8, MSG, 0), fd;
	struct chan_breaker_config c = {
		.mode = CHAN_BREAKER_AUTO, .window_ms = 10000, .min_calls = 1,
		.failure_pct = 1, .consecutive_failures = 1, .slow_pct = 100,
		.open_ms = 5000, .open_min_ms = 1000, .open_max_ms = 60000,
		.half_open_probes = 1, .half_open_max_ms = 10000,
	};
	struct chan_breaker_status st;
	unsigned char msg[MSG] = { 1 };
	struct chan_iov iov[2];
	struct chan_batch b = { .vec = (uintptr_t)iov, .count = 2 };
	int i;

	fd = t_chan_open(idx, O_RDWR);
	T_EQ(SYS(ioctl(fd, CHAN_IOC_SET_BREAKER, &c)), 0,
	     "a breaker that trips on one failure");
	T_EQ(rate_set(fd, 1, 1), 0, "rate 1/s, burst 1");
	T_EQ(nb_send(fd, 1), 0, "a send takes the token");
	for (i = 0; i < 3; i++)
		T_EQ(nb_send(fd, 2), -EAGAIN, "rate limited %d: EAGAIN", i);
	T_EQ(SYS(ioctl(fd, CHAN_IOC_GET_BREAKER_STATUS, &st)), 0, "breaker status");
	T_EQ(st.state, CHAN_BREAKER_CLOSED, "  ... still CLOSED");
	T_EQ(st.failures, 0, "  ... no failures");
	T_EQ(st.calls, 1, "  ... one call: the send that went");
	c.mode = CHAN_BREAKER_FORCED_OPEN;
	T_EQ(SYS(ioctl(fd, CHAN_IOC_SET_BREAKER, &c)), 0, "FORCED_OPEN");
	T_EQ(nb_send(fd, 3), -ECONNREFUSED, "a send: ECONNREFUSED, the breaker first");
	T_EQ(limited(idx), 3, "  ... not counted by the limiter");
	iov[0] = (struct chan_iov) { .buf = (uintptr_t)msg, .len = MSG };
	iov[1] = (struct chan_iov) { .buf = (uintptr_t)msg, .len = 0 };
	T_EQ(SYS(ioctl(fd, CHAN_IOC_SEND_BATCH, &b)), -EINVAL,
	     "a batch with a zero-length element: EINVAL, checked before the breaker");
	iov[1].len = MSG;
	T_EQ(SYS(ioctl(fd, CHAN_IOC_SEND_BATCH, &b)), -ECONNREFUSED,
	     "  ... a valid one: ECONNREFUSED");
	T_EQ(t_close_chan(fd), 0, "close the channel");
	iov[1].len = 0;
	T_EQ(SYS(ioctl(fd, CHAN_IOC_SEND_BATCH, &b)), -EINVAL,
	     "  ... the bad batch: still EINVAL");
	iov[1].len = MSG;
	T_EQ(SYS(ioctl(fd, CHAN_IOC_SEND_BATCH, &b)), -EPIPE,
	     "  ... a valid one: EPIPE, before the breaker");
	close(fd);
	t_chan_destroy(idx, 0);
}

int main(void)
{
	t_init("ratelimit");
	test_defaults_and_validation();
	test_burst_and_waits();
	test_sustained_rate();
	test_batch_select_give_back();
	test_signals_and_close();
	test_poll();
	test_with_breaker();
	return t_done();
}
