// SPDX-License-Identifier: GPL-2.0
/*
 * Description: the circuit breaker of a channel's send side, through its
 * ioctls. The defaults (DISABLED, 10000 ms window, ...); SET_BREAKER
 * validation (every field out of range, reserved fields, a non-owner
 * gets EPERM for SET and RESET); bad pointers (EFAULT) and struct sizes
 * (EINVAL, E2BIG) for every breaker ioctl. A stuck consumer trips it: non-blocking
 * sends on a full channel (EAGAIN) reach failure_pct over min_calls, and
 * timed-out sends reach consecutive_failures; then every send path (write,
 * CHAN_IOC_SEND with an infinite timeout, SEND_BATCH) fails at once with
 * ECONNREFUSED and is counted in rejected, a select's send case is never
 * ready (EAGAIN, ETIMEDOUT) and records no outcome while a committed one
 * records a success, a closed channel still gives (to a refused select
 * send case too)
 * EPIPE first, and poll shows no POLLOUT. The open period ends on time:
 * HALF_OPEN begins exactly current_open_ms after OPEN did, with no
 * traffic, and wakes an epoll_wait for EPOLLPRI; probes beyond the quota
 * are refused; successful probes close it; a failed probe opens it again
 * for twice the period. POLLPRI is set on every fd after a transition
 * and cleared on the fd that reads the status. FORCED_OPEN refuses
 * everything; METRICS_ONLY counts and never refuses; RESET zeroes the
 * counts and closes it. Two processes share one breaker through
 * ACQUIRE/REPORT tickets: their failures trip it, ACQUIRE is then refused,
 * and a ticket of an older generation gets ESTALE.
 */
#include <poll.h>
#include <stdlib.h>
#include <sys/epoll.h>

#include "helpers.h"

#define MSG	16
#define MS	T_NSEC_PER_MSEC

#define IOC_SIZED(cmd, size) \
	_IOC(_IOC_DIR(cmd), _IOC_TYPE(cmd), _IOC_NR(cmd), (size))

static int brk_set(int fd, const struct chan_breaker_config *c)
{
	return SYS(ioctl(fd, CHAN_IOC_SET_BREAKER, c));
}

static int brk_status(int fd, struct chan_breaker_status *st)
{
	memset(st, 0xa5, sizeof(*st));
	return SYS(ioctl(fd, CHAN_IOC_GET_BREAKER_STATUS, st));
}

static unsigned int brk_state(int fd)
{
	struct chan_breaker_status st;

	if (brk_status(fd, &st))
		return ~0U;
	return st.state;
}

static void cfg_default(struct chan_breaker_config *c)
{
	*c = (struct chan_breaker_config) {
		.mode = CHAN_BREAKER_DISABLED, .window_ms = 10000,
		.min_calls = 10, .failure_pct = 50, .consecutive_failures = 0,
		.slow_ms = 0, .slow_pct = 100, .open_ms = 5000,
		.open_min_ms = 1000, .open_max_ms = 60000,
		.half_open_probes = 3, .half_open_max_ms = 10000, .flags = 0,
	};
}

/* AUTO, tripping at 50% of 4 calls, open exactly @open_ms (up to @max). */
static void cfg_quick(struct chan_breaker_config *c, unsigned int open_ms,
		      unsigned int max)
{
	cfg_default(c);
	c->mode = CHAN_BREAKER_AUTO;
	c->min_calls = 4;
	c->open_ms = open_ms;
	c->open_min_ms = open_ms;
	c->open_max_ms = max;
	c->half_open_probes = 2;
}

static short revents(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };

	return poll(&p, 1, 0) == 1 ? p.revents : 0;
}

static void test_defaults_and_validation(int fd)
{
	struct chan_breaker_config c, d, bad;
	struct chan_breaker_status st;
	static const struct {
		const char *what;
		size_t off;
		__u32 val;
	} bads[] = {
		{ "mode 4", offsetof(struct chan_breaker_config, mode), 4 },
		{ "window_ms 9", offsetof(struct chan_breaker_config, window_ms), 9 },
		{ "min_calls 0", offsetof(struct chan_breaker_config, min_calls), 0 },
		{ "failure_pct 0", offsetof(struct chan_breaker_config, failure_pct), 0 },
		{ "failure_pct 101", offsetof(struct chan_breaker_config, failure_pct), 101 },
		{ "slow_pct 101", offsetof(struct chan_breaker_config, slow_pct), 101 },
		{ "open_ms 999 (< open_min_ms)", offsetof(struct chan_breaker_config, open_ms), 999 },
		{ "open_ms 60001 (> open_max_ms)", offsetof(struct chan_breaker_config, open_ms), 60001 },
		{ "open_min_ms 0", offsetof(struct chan_breaker_config, open_min_ms), 0 },
		{ "half_open_probes 0", offsetof(struct chan_breaker_config, half_open_probes), 0 },
		{ "half_open_max_ms 0", offsetof(struct chan_breaker_config, half_open_max_ms), 0 },
		{ "flags 2", offsetof(struct chan_breaker_config, flags), 2 },
		{ "reserved 1", offsetof(struct chan_breaker_config, reserved), 1 },
	};
	size_t i;

	cfg_default(&d);
	memset(&c, 0xa5, sizeof(c));
	T_EQ(SYS(ioctl(fd, CHAN_IOC_GET_BREAKER, &c)), 0, "CHAN_IOC_GET_BREAKER");
	T_OK(!memcmp(&c, &d, sizeof(c)),
	     "the defaults: DISABLED, window 10000 ms, min_calls 10, 50%%, open 5000 (1000..60000) ms, 3 probes, 10000 ms watchdog");
	T_EQ(brk_status(fd, &st), 0, "CHAN_IOC_GET_BREAKER_STATUS");
	T_EQ(st.state, CHAN_BREAKER_CLOSED, "  ... CLOSED");
	T_EQ(st.calls + st.failures + st.rejected + st.trips, 0, "  ... nothing counted");
	T_EQ(st.reserved | st.reserved2, 0, "  ... reserved fields zero");
	for (i = 0; i < T_ARRAY_SIZE(bads); i++) {
		bad = d;
		*(__u32 *)((char *)&bad + bads[i].off) = bads[i].val;
		T_EQ(brk_set(fd, &bad), -EINVAL, "SET_BREAKER with %s: EINVAL", bads[i].what);
	}
	T_EQ(SYS(ioctl(fd, CHAN_IOC_GET_BREAKER, &c)), 0, "GET_BREAKER again");
	T_OK(!memcmp(&c, &d, sizeof(c)), "  ... nothing of the bad ones was applied");
}

/* Bad pointers and sizes: EFAULT, EINVAL, E2BIG; nothing applied. */
static void test_bad_args(int fd)
{
	struct chan_breaker_config c, d;
	struct chan_breaker_report r = { .outcome = CHAN_OUTCOME_SUCCESS };
	unsigned char big[sizeof(c) + 8];

	cfg_default(&d);
	T_EQ(SYS(ioctl(fd, CHAN_IOC_SET_BREAKER, t_bad_ptr())), -EFAULT,
	     "SET_BREAKER from a bad pointer: EFAULT");
	T_EQ(SYS(ioctl(fd, CHAN_IOC_GET_BREAKER, t_bad_ptr())), -EFAULT,
	     "GET_BREAKER into a bad pointer: EFAULT");
	T_EQ(SYS(ioctl(fd, CHAN_IOC_GET_BREAKER_STATUS, t_ro_page())), -EFAULT,
	     "GET_BREAKER_STATUS into a read-only page: EFAULT");
	T_EQ(SYS(ioctl(fd, CHAN_IOC_BREAKER_ACQUIRE, t_null())), -EFAULT,
	     "BREAKER_ACQUIRE into NULL: EFAULT");
	T_EQ(SYS(ioctl(fd, CHAN_IOC_BREAKER_REPORT, t_bad_ptr())), -EFAULT,
	     "BREAKER_REPORT from a bad pointer: EFAULT");
	r.reserved = 1;
	T_EQ(SYS(ioctl(fd, CHAN_IOC_BREAKER_REPORT, &r)), -EINVAL,
	     "BREAKER_REPORT with reserved set: EINVAL");
	c = d;
	c.mode = CHAN_BREAKER_AUTO;
	T_EQ(SYS(ioctl(fd, IOC_SIZED(CHAN_IOC_SET_BREAKER, 48), &c)), -EINVAL,
	     "SET_BREAKER with a 48-byte struct (smaller than the first version): EINVAL");
	memset(big, 0, sizeof(big));
	memcpy(big, &c, sizeof(c));
	big[sizeof(c) + 3] = 1;
	T_EQ(SYS(ioctl(fd, IOC_SIZED(CHAN_IOC_SET_BREAKER, sizeof(big)), big)), -E2BIG,
	     "SET_BREAKER with a bigger struct whose tail is not zero: E2BIG");
	T_EQ(SYS(ioctl(fd, CHAN_IOC_GET_BREAKER, &c)), 0, "GET_BREAKER");
	T_OK(!memcmp(&c, &d, sizeof(c)), "  ... none of them changed the configuration");
}

struct perm_ctx {
	int fd;
	long set, reset, get, acquire;
};

static int unprivileged(void *arg)
{
	struct perm_ctx *x = arg;
	struct chan_breaker_config c;
	__u64 ticket;

	if (t_drop_privs())
		return 2;
	cfg_default(&c);
	c.mode = CHAN_BREAKER_AUTO;
	x->set = SYS(ioctl(x->fd, CHAN_IOC_SET_BREAKER, &c));
	x->reset = SYS(ioctl(x->fd, CHAN_IOC_BREAKER_RESET));
	x->get = SYS(ioctl(x->fd, CHAN_IOC_GET_BREAKER, &c));
	x->acquire = SYS(ioctl(x->fd, CHAN_IOC_BREAKER_ACQUIRE, &ticket));
	return 0;
}

static void test_permissions(int fd)
{
	struct perm_ctx *x = t_shared(sizeof(*x));
	pid_t pid;

	x->fd = fd;
	pid = t_fork(unprivileged, x);
	T_CHILD(pid, T_TIMEOUT_MS, 0, "a child drops to uid 65534 (not the owner)");
	T_EQ(x->set, -EPERM, "  ... SET_BREAKER: EPERM");
	T_EQ(x->reset, -EPERM, "  ... BREAKER_RESET: EPERM");
	T_EQ(x->get, 0, "  ... GET_BREAKER works");
	T_EQ(x->acquire, 0, "  ... BREAKER_ACQUIRE works");
}

/* Fill the channel of capacity 2 and fail two non-blocking sends: OPEN. */
static void trip_by_eagain(int idx, int fd, int nb)
{
	struct chan_breaker_status st;
	unsigned char msg[MSG];

	t_fill(msg, MSG, 1);
	T_EQ(SYS(write(nb, msg, MSG)), MSG, "send 1 of 2 (capacity 2)");
	T_EQ(SYS(write(nb, msg, MSG)), MSG, "send 2 of 2");
	T_EQ(brk_state(fd), CHAN_BREAKER_CLOSED, "  ... still CLOSED");
	T_EQ(SYS(write(nb, msg, MSG)), -EAGAIN, "a non-blocking send on the full channel: EAGAIN");
	T_EQ(brk_state(fd), CHAN_BREAKER_CLOSED, "  ... 1 failure in 3 calls: CLOSED");
	T_EQ(SYS(write(nb, msg, MSG)), -EAGAIN, "another: EAGAIN");
	T_EQ(brk_status(fd, &st), 0, "status");
	T_EQ(st.state, CHAN_BREAKER_OPEN, "  ... 2 failures in 4 calls (50%%): OPEN");
	T_EQ(st.calls, 4, "  ... calls 4");
	T_EQ(st.failures, 2, "  ... failures 2");
	T_EQ(st.trips, 1, "  ... trips 1");
	T_EQ(t_attr(idx, "len"), 2, "  ... len 2");
}

static void test_trip_and_recover(void)
{
	int idx = t_chan_new(2, MSG, 0), fd, nb, ep;
	struct chan_breaker_status st, st2;
	struct chan_breaker_config c;
	struct epoll_event ev = { .events = EPOLLPRI };
	struct chan_select_case sc;
	struct chan_iov iov;
	struct chan_batch b;
	unsigned char msg[MSG], buf[MSG];
	__u64 opened, gen;
	uint64_t t;

	if (!T_GE(idx, 0, "create a channel of capacity 2"))
		return;
	fd = t_chan_open(idx, O_RDWR);
	nb = t_chan_open(idx, O_RDWR | O_NONBLOCK);
	if (!T_GE(fd, 0, "open it") || !T_GE(nb, 0, "open it O_NONBLOCK"))
		goto out;
	test_defaults_and_validation(fd);
	test_bad_args(fd);
	test_permissions(fd);

	cfg_quick(&c, 300, 1000);
	T_EQ(brk_set(fd, &c), 0, "SET_BREAKER: AUTO, min_calls 4, 50%%, open 300 ms (max 1000), 2 probes");
	T_EQ(revents(fd, POLLPRI) & POLLPRI, POLLPRI, "the change of generation is POLLPRI on the fd");
	T_EQ(brk_status(fd, &st), 0, "reading the status...");
	T_EQ(revents(fd, POLLPRI) & POLLPRI, 0, "  ... clears POLLPRI on that fd");
	T_EQ(revents(nb, POLLPRI) & POLLPRI, POLLPRI, "  ... but not on another fd");
	brk_status(nb, &st);

	trip_by_eagain(idx, fd, nb);
	T_EQ(revents(nb, POLLPRI | POLLOUT), POLLPRI, "OPEN and full: POLLPRI, no POLLOUT");
	T_EQ(SYS(read(fd, buf, MSG)), MSG, "  (the read: one message out)");
	T_EQ(revents(nb, POLLOUT) & POLLOUT, 0, "  ... still no POLLOUT while OPEN");

	t_fill(msg, MSG, 2);
	T_EQ(SYS(write(fd, msg, MSG)), -ECONNREFUSED, "OPEN: a blocking write fails at once: ECONNREFUSED");
	T_EQ(t_send(fd, msg, MSG, CHAN_TIMEOUT_INFINITE), -ECONNREFUSED,
	     "OPEN: CHAN_IOC_SEND with an infinite timeout: ECONNREFUSED");
	iov = (struct chan_iov){ .buf = (uintptr_t)msg, .len = MSG };
	b = (struct chan_batch){ .vec = (uintptr_t)&iov, .count = 1, .timeout_ns = -1 };
	T_EQ(SYS(ioctl(fd, CHAN_IOC_SEND_BATCH, &b)), -ECONNREFUSED,
	     "OPEN: CHAN_IOC_SEND_BATCH: ECONNREFUSED");
	t_sel_case(&sc, fd, CHAN_OP_SEND, msg, MSG);
	T_EQ(t_select(fd, &sc, 1, 0), -EAGAIN,
	     "OPEN: a select's send case is never ready (room or not): EAGAIN at timeout 0");
	T_EQ(t_select(fd, &sc, 1, 30 * MS), -ETIMEDOUT, "  ... ETIMEDOUT with a timeout");
	T_EQ(brk_status(fd, &st), 0, "status");
	T_EQ(st.rejected, 5, "  ... rejected 5 (3 sends, 2 selects)");
	T_EQ(st.calls, 4, "  ... and no outcome recorded for the selects");
	T_EQ(st.current_open_ms, 300, "  ... current_open_ms 300 (open_min_ms = open_ms)");
	T_EQ(t_attr(idx, "len"), 1, "  ... nothing refused was queued (len 1)");
	opened = st.state_since_ns;
	gen = st.generation;

	/* HALF_OPEN on time, with no traffic, waking an epoll_wait. */
	ep = epoll_create1(0);
	T_EQ(SYS(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev)), 0, "epoll for EPOLLPRI");
	t = t_now_ns();
	T_EQ(SYS(epoll_wait(ep, &ev, 1, 5000)), 1, "epoll_wait wakes up when the open period ends");
	T_GE(t_now_ns() + 1 * MS, opened + 300 * MS, "  ... not before it ends");
	T_EQ(brk_status(fd, &st), 0, "status");
	T_EQ(st.state, CHAN_BREAKER_HALF_OPEN, "  ... HALF_OPEN");
	T_EQ(st.state_since_ns - opened, 300 * MS, "  ... since exactly 300 ms after OPEN began");
	T_EQ(st.generation, gen + 1, "  ... one generation later");
	T_LT(t_now_ns() - t, 5000 * MS, "  ... and nobody had to send for it");
	close(ep);

	/* Probes: a failed one opens it again for twice as long. */
	T_EQ(SYS(write(nb, msg, MSG)), MSG, "probe 1 of 2: queued (len 2)");
	T_EQ(SYS(write(nb, msg, MSG)), -EAGAIN, "probe 2 of 2: the channel is full, EAGAIN");
	T_EQ(brk_status(fd, &st), 0, "status");
	T_EQ(st.state, CHAN_BREAKER_OPEN, "  ... a failed probe: OPEN again");
	T_EQ(st.current_open_ms, 600, "  ... for twice as long (600 ms)");
	T_EQ(st.trips, 2, "  ... trips 2");

	/* Then successful probes close it. */
	T_EQ(SYS(read(fd, buf, MSG)), MSG, "drain: read 1");
	T_EQ(SYS(read(fd, buf, MSG)), MSG, "drain: read 2");
	T_EQ(t_wait_attr(idx, "len", 0, 10), 0, "  ... len 0");
	t = t_now_ns();
	while (brk_state(fd) == CHAN_BREAKER_OPEN && t_now_ns() - t < 5000 * MS)
		t_sleep_ms(20);
	T_EQ(brk_status(fd, &st), 0, "status after the period");
	T_EQ(st.state, CHAN_BREAKER_HALF_OPEN, "  ... HALF_OPEN");
	T_EQ(SYS(write(nb, msg, MSG)), MSG, "probe 1: succeeds");
	T_EQ(SYS(write(nb, msg, MSG)), MSG, "probe 2: succeeds");
	T_EQ(brk_status(fd, &st2), 0, "status");
	T_EQ(st2.state, CHAN_BREAKER_CLOSED, "  ... 2 successful probes: CLOSED");
	T_EQ(st2.calls, 0, "  ... with an empty window");
	T_EQ(revents(nb, POLLOUT | POLLPRI), POLLPRI, "full (len 2): no POLLOUT, POLLPRI from the transitions");
	T_EQ(SYS(read(fd, buf, MSG)), MSG, "read one");
	T_EQ(revents(nb, POLLOUT) & POLLOUT, POLLOUT, "CLOSED with room: POLLOUT");
	t_sel_case(&sc, fd, CHAN_OP_SEND, msg, MSG);
	T_EQ(t_select(fd, &sc, 1, 0), 0, "CLOSED: a select's send case commits");
	T_EQ(sc.result, MSG, "  ... result %d", MSG);
	T_EQ(brk_status(fd, &st), 0, "status");
	T_EQ(st.calls, 1, "  ... one outcome: the select's send");
	T_EQ(st.failures, 0, "  ... a success");
	T_EQ(SYS(read(fd, buf, MSG)), MSG, "read it");

	/* A closed channel gives EPIPE before the breaker is asked. */
	c.mode = CHAN_BREAKER_FORCED_OPEN;
	T_EQ(brk_set(fd, &c), 0, "SET_BREAKER: FORCED_OPEN");
	T_EQ(SYS(write(fd, msg, MSG)), -ECONNREFUSED, "FORCED_OPEN: ECONNREFUSED");
	t_sleep_ms(700);
	T_EQ(brk_state(fd), CHAN_BREAKER_OPEN, "  ... and it stays OPEN past any period");
	T_EQ(SYS(ioctl(fd, CHAN_IOC_BREAKER_RESET)), 0, "BREAKER_RESET");
	T_EQ(brk_status(fd, &st), 0, "status");
	T_EQ(st.state, CHAN_BREAKER_OPEN, "  ... a FORCED_OPEN breaker stays OPEN");
	T_EQ(st.rejected, 0, "  ... rejected zeroed");
	T_EQ(t_close_chan(fd), 0, "close the channel");
	T_EQ(SYS(write(fd, msg, MSG)), -EPIPE, "closed and FORCED_OPEN: EPIPE comes first");
	t_sel_case(&sc, fd, CHAN_OP_SEND, msg, MSG);
	T_EQ(t_select(fd, &sc, 1, 0), 0,
	     "closed and FORCED_OPEN: a select's refused send case still commits...");
	T_EQ(sc.result, -EPIPE, "  ... with -EPIPE");
	T_EQ(brk_status(fd, &st), 0, "status");
	T_EQ(st.rejected, 0, "  ... not counted as rejected");
out:
	if (fd >= 0)
		close(fd);
	if (nb >= 0)
		close(nb);
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

static void test_timeouts_and_metrics(void)
{
	int idx = t_chan_new(1, MSG, 0), fd;
	struct chan_breaker_status st;
	struct chan_breaker_config c;
	unsigned char msg[MSG];
	int i;

	if (!T_GE(idx, 0, "create a channel of capacity 1"))
		return;
	fd = t_chan_open(idx, O_RDWR);
	t_fill(msg, MSG, 3);
	cfg_default(&c);
	c.mode = CHAN_BREAKER_AUTO;
	c.consecutive_failures = 2;
	c.min_calls = 100;
	T_EQ(brk_set(fd, &c), 0, "SET_BREAKER: AUTO, consecutive_failures 2");
	T_EQ(t_send(fd, msg, MSG, 0), 0, "fill the channel");
	T_EQ(t_send(fd, msg, MSG, 20 * MS), -ETIMEDOUT, "a send times out");
	T_EQ(brk_state(fd), CHAN_BREAKER_CLOSED, "  ... CLOSED");
	T_EQ(t_send(fd, msg, MSG, 20 * MS), -ETIMEDOUT, "another times out");
	T_EQ(brk_status(fd, &st), 0, "status");
	T_EQ(st.state, CHAN_BREAKER_OPEN, "  ... 2 timeouts in a row: OPEN");
	/* One success since CLOSED: 5000 x e^-0.2 = 4094 ms. */
	T_EQ(st.current_open_ms, 4094, "  ... open for 5000 x e^-0.2 = 4094 ms (S = 1)");

	T_EQ(SYS(ioctl(fd, CHAN_IOC_BREAKER_RESET)), 0, "BREAKER_RESET");
	T_EQ(brk_status(fd, &st), 0, "status");
	T_EQ(st.state, CHAN_BREAKER_CLOSED, "  ... an AUTO breaker closes");
	T_EQ(st.trips + st.rejected + st.calls, 0, "  ... counts zeroed");

	c.mode = CHAN_BREAKER_METRICS_ONLY;
	T_EQ(brk_set(fd, &c), 0, "SET_BREAKER: METRICS_ONLY");
	for (i = 0; i < 5; i++)
		T_EQ(t_send(fd, msg, MSG, 0), -EAGAIN, "METRICS_ONLY: full, EAGAIN %d", i);
	T_EQ(brk_status(fd, &st), 0, "status");
	T_EQ(st.state, CHAN_BREAKER_CLOSED, "  ... never leaves CLOSED");
	T_EQ(st.failures, 5, "  ... but counts the 5 failures");
	T_EQ(st.rejected, 0, "  ... and refuses nothing");

	c.mode = CHAN_BREAKER_DISABLED;
	T_EQ(brk_set(fd, &c), 0, "SET_BREAKER: DISABLED");
	T_EQ(t_send(fd, msg, MSG, 0), -EAGAIN, "DISABLED: full, EAGAIN");
	T_EQ(brk_status(fd, &st), 0, "status");
	T_EQ(st.calls, 0, "  ... counts nothing");
	close(fd);
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

struct share_ctx {
	int idx;
	long acquire, report;
};

static int other_process(void *arg)
{
	struct share_ctx *x = arg;
	struct chan_breaker_report r = { .outcome = CHAN_OUTCOME_FAILURE, .duration_ns = 1000 };
	int fd = t_chan_open(x->idx, O_RDONLY);

	if (fd < 0)
		return 2;
	x->acquire = SYS(ioctl(fd, CHAN_IOC_BREAKER_ACQUIRE, &r.ticket));
	x->report = SYS(ioctl(fd, CHAN_IOC_BREAKER_REPORT, &r));
	close(fd);
	return 0;
}

static void test_shared_tickets(void)
{
	int idx = t_chan_new(1, MSG, 0), fd;
	struct share_ctx *x = t_shared(sizeof(*x));
	struct chan_breaker_report r = { .outcome = CHAN_OUTCOME_FAILURE, .duration_ns = 5 * MS };
	struct chan_breaker_status st;
	struct chan_breaker_config c;
	__u64 ticket, old;
	pid_t pid;

	if (!T_GE(idx, 0, "create a channel to share its breaker"))
		return;
	fd = t_chan_open(idx, O_RDONLY);
	cfg_default(&c);
	c.mode = CHAN_BREAKER_AUTO;
	c.consecutive_failures = 2;
	T_EQ(brk_set(fd, &c), 0, "SET_BREAKER (on a read-only fd): AUTO, consecutive_failures 2");
	T_EQ(SYS(ioctl(fd, CHAN_IOC_BREAKER_ACQUIRE, &old)), 0, "ACQUIRE a ticket, kept for later");
	T_EQ(SYS(ioctl(fd, CHAN_IOC_BREAKER_ACQUIRE, &r.ticket)), 0, "ACQUIRE another");
	r.outcome = 3;
	T_EQ(SYS(ioctl(fd, CHAN_IOC_BREAKER_REPORT, &r)), -EINVAL, "REPORT with outcome 3: EINVAL");
	r.outcome = CHAN_OUTCOME_FAILURE;
	T_EQ(SYS(ioctl(fd, CHAN_IOC_BREAKER_REPORT, &r)), 0, "REPORT a failure");
	T_EQ(brk_state(fd), CHAN_BREAKER_CLOSED, "  ... CLOSED");
	x->idx = idx;
	pid = t_fork(other_process, x);
	T_CHILD(pid, T_TIMEOUT_MS, 0, "another process acquires and reports a failure");
	T_EQ(x->acquire, 0, "  ... its ACQUIRE worked");
	T_EQ(x->report, 0, "  ... its REPORT worked");
	T_EQ(brk_status(fd, &st), 0, "status");
	T_EQ(st.state, CHAN_BREAKER_OPEN, "  ... 2 failures in a row from two processes: OPEN");
	T_EQ(SYS(ioctl(fd, CHAN_IOC_BREAKER_ACQUIRE, &ticket)), -ECONNREFUSED,
	     "ACQUIRE while OPEN: ECONNREFUSED");
	r.ticket = old;
	r.outcome = CHAN_OUTCOME_SUCCESS;
	T_EQ(SYS(ioctl(fd, CHAN_IOC_BREAKER_REPORT, &r)), -ESTALE,
	     "REPORT with a ticket of an older generation: ESTALE");
	T_EQ(brk_status(fd, &st), 0, "status");
	T_EQ(st.state, CHAN_BREAKER_OPEN, "  ... and it changed nothing");
	T_EQ(st.rejected, 1, "  ... rejected 1");
	close(fd);
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

int main(void)
{
	t_init("breaker");
	test_trip_and_recover();
	test_timeouts_and_metrics();
	test_shared_tickets();
	return t_done();
}
