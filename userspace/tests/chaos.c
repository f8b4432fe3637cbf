// SPDX-License-Identifier: GPL-2.0
/*
 * Description: the chaos knobs (chan(4), Chaos), sysfs chaos/ of a channel:
 * - defaults 0, range checks (EINVAL), and a non-root write refused;
 * - pause_recv on a buffered channel: try-receives, timed receives, poll,
 *   FIONREAD, receive batches and select receive cases find nothing; a
 *   parked receiver is not served and a closed channel does not read end
 *   of file while messages are held back; lifting the pause delivers
 *   every message, in order, then end of file: nothing lost;
 * - pause_recv on an unbuffered channel: a parked receiver is not served,
 *   a try-send gets EAGAIN, poll shows no EPOLLOUT; lifting it hands the
 *   parked sender's message over;
 * - send_fail_ppm: 1000000 fails every send as if full (EAGAIN at once,
 *   ETIMEDOUT after the timeout, counted in stats/full and send_timeouts
 *   and as breaker failures: consecutive ones trip it); 500000 fails about
 *   half; a select send case that draws a failure is never ready; a knob
 *   change, a signal and close release a held send;
 * - send_delay_us / recv_delay_us: blocking operations take at least the
 *   delay, a deadline inside the delay gives ETIMEDOUT with nothing moved,
 *   non-blocking ones are not delayed, destroy releases a delayed one;
 * - the rehearsal: pausing receivers of a live channel trips its breaker,
 *   lifting the pause lets it recover, and every accepted message arrives;
 * - stats/chaos_injected counts the effects, and sent - received == len
 *   throughout.
 */
#include <poll.h>
#include "helpers.h"

#define MSG 64

static long long injected(int idx)
{
	return t_attr(idx, "stats/chaos_injected");
}

static void set_knob(int idx, const char *knob, const char *val)
{
	char attr[64];

	snprintf(attr, sizeof(attr), "chaos/%s", knob);
	T_EQ(t_attr_write(idx, attr, val), 0, "chan%d: %s = %s", idx, attr,
	     val);
}

static short poll_now(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };

	return poll(&p, 1, 0) == 1 ? p.revents : 0;
}

/* Start @op in a child and wait until chaos has taken hold of it. */
static pid_t start_held(int idx, struct t_op *op)
{
	long long inj = injected(idx);
	pid_t pid = t_op_start(op);

	T_EQ(t_wait_attr(idx, "stats/chaos_injected", inj + 1, T_TIMEOUT_MS),
	     0, "chaos takes hold of the child's %s", t_op_name(op->kind));
	return pid;
}

static void check_balance(int idx, const char *when)
{
	T_EQ(t_attr(idx, "stats/sent") - t_attr(idx, "stats/received"),
	     t_attr(idx, "len"), "%s: sent - received == len", when);
}

static void test_knobs(void)
{
	static const char * const knobs[] = {
		"send_delay_us", "recv_delay_us", "send_fail_ppm", "pause_recv",
	};
	static const struct { const char *knob, *val; } bad[] = {
		{ "send_delay_us", "60000001" }, { "recv_delay_us", "4294967295" },
		{ "send_fail_ppm", "1000001" }, { "pause_recv", "2" },
		{ "pause_recv", "-1" }, { "send_fail_ppm", "lots" },
	};
	int idx = t_chan_new(4, MSG, 0);
	char attr[64];
	unsigned int i;
	pid_t pid;

	if (!T_GE(idx, 0, "create a channel"))
		return;
	for (i = 0; i < T_ARRAY_SIZE(knobs); i++) {
		snprintf(attr, sizeof(attr), "chaos/%s", knobs[i]);
		T_EQ(t_attr(idx, attr), 0, "%s is 0 at creation", attr);
	}
	T_EQ(injected(idx), 0, "stats/chaos_injected is 0 at creation");
	for (i = 0; i < T_ARRAY_SIZE(bad); i++) {
		snprintf(attr, sizeof(attr), "chaos/%s", bad[i].knob);
		T_EQ(t_attr_write(idx, attr, bad[i].val), -EINVAL,
		     "writing %s to %s: EINVAL", bad[i].val, attr);
		T_EQ(t_attr(idx, attr), 0, "  ... and %s is still 0", attr);
	}
	set_knob(idx, "send_delay_us", "60000000");
	T_EQ(t_attr(idx, "chaos/send_delay_us"), 60000000,
	     "the largest delay, 60 s, is taken");
	set_knob(idx, "send_delay_us", "0");
	set_knob(idx, "send_fail_ppm", "1000000");
	T_EQ(t_attr(idx, "chaos/send_fail_ppm"), 1000000, "ppm 1000000 is taken");
	set_knob(idx, "send_fail_ppm", "0");

	/* A user who is neither root nor the owner (root owns it) cannot. */
	pid = fork();
	if (pid == 0) {
		if (t_drop_privs())
			_exit(2);
		_exit(t_attr_write(idx, "chaos/pause_recv", "1") == -EACCES ?
		      0 : 1);
	}
	T_CHILD(pid, T_TIMEOUT_MS, 0,
		"uid 65534 writing chaos/pause_recv: EACCES");
	T_EQ(t_attr(idx, "chaos/pause_recv"), 0, "  ... and it is still 0");
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

static void test_pause_buffered(void)
{
	int idx = t_chan_new(8, MSG, 0), fd, nb;
	struct chan_iov vec[4];
	unsigned char buf[4][MSG];
	struct chan_batch b;
	struct t_op *op;
	long long inj;
	unsigned int i;
	pid_t pid;

	if (!T_GE(idx, 0, "create a buffered channel (capacity 8)"))
		return;
	fd = t_chan_open(idx, O_RDWR);
	nb = t_chan_open(idx, O_RDWR | O_NONBLOCK);
	if (!T_OK(fd >= 0 && nb >= 0, "open it"))
		goto out;
	for (i = 0; i < 3; i++) {
		t_fill(buf[0], 16, 100 + i);
		T_EQ(t_send(fd, buf[0], 16, 0), 0, "queue message %u", i);
	}
	set_knob(idx, "pause_recv", "1");
	inj = injected(idx);
	T_EQ(SYS(read(nb, buf[0], MSG)), -EAGAIN,
	     "paused: O_NONBLOCK read finds nothing: EAGAIN");
	T_EQ(t_recv(fd, buf[0], MSG, 0), -EAGAIN,
	     "paused: CHAN_IOC_RECV timeout 0: EAGAIN");
	T_EQ(t_recv(fd, buf[0], MSG, 30 * T_NSEC_PER_MSEC), -ETIMEDOUT,
	     "paused: CHAN_IOC_RECV 30 ms: ETIMEDOUT");
	T_EQ(t_fionread(fd), 0, "paused: FIONREAD 0");
	T_EQ(poll_now(fd, POLLIN | POLLOUT), POLLOUT,
	     "paused: poll shows POLLOUT (room) but no POLLIN");
	memset(vec, 0, sizeof(vec));
	for (i = 0; i < 4; i++) {
		vec[i].buf = (uintptr_t)buf[i];
		vec[i].len = MSG;
	}
	memset(&b, 0, sizeof(b));
	b.vec = (uintptr_t)vec;
	b.count = 4;
	b.timeout_ns = 0;
	T_EQ(SYS(ioctl(fd, CHAN_IOC_RECV_BATCH, &b)), -EAGAIN,
	     "paused: CHAN_IOC_RECV_BATCH timeout 0: EAGAIN");
	T_EQ(t_attr(idx, "len"), 3, "paused: the 3 messages are still queued");
	T_GE(injected(idx) - inj, 4,
	     "stats/chaos_injected counted the receives held back");

	/* A select receive case is not ready either. */
	{
		struct chan_select_case c;

		t_sel_case(&c, fd, CHAN_OP_RECV, buf[0], MSG);
		T_EQ(t_select(-1, &c, 1, 20 * T_NSEC_PER_MSEC), -ETIMEDOUT,
		     "paused: a select receiving from it times out");
	}

	/* A parked receiver is not served, even by new messages or close. */
	op = t_op_new(T_OP_RECV, idx, O_RDONLY, MSG);
	pid = T_OP_PARK(op, "waiting_receivers", 1);
	t_fill(buf[0], 16, 103);
	T_EQ(t_send(fd, buf[0], 16, 0), 0, "paused: a send still queues");
	T_EQ(t_close_chan(fd), 0, "close the channel while paused");
	t_sleep_ms(50);
	T_EQ(op->done, 0, "the parked receiver is not served, no end of file");
	T_EQ(t_attr(idx, "len"), 4, "4 messages held back");
	T_EQ(SYS(read(nb, buf[0], MSG)), -EAGAIN,
	     "closed and paused: a read gets EAGAIN, not end of file");
	T_EQ(poll_now(fd, POLLIN) & (POLLIN | POLLHUP), 0,
	     "closed and paused: no POLLIN, no POLLHUP");
	check_balance(idx, "paused");

	set_knob(idx, "pause_recv", "0");
	T_CHILD(pid, T_TIMEOUT_MS, 0, "lifting the pause lets the receiver go");
	T_EQ(op->ret, 16, "  ... it gets a 16-byte message");
	T_OK(t_verify(op->buf, 16, 100), "  ... the first one");
	b.timeout_ns = T_TIMEOUT_NS;
	T_EQ(SYS(ioctl(fd, CHAN_IOC_RECV_BATCH, &b)), 3,
	     "a batch gets the other three");
	for (i = 0; i < 3; i++)
		T_OK(vec[i].len == 16 && t_verify(buf[i], 16, 101 + i),
		     "  ... message %u in order", 101 + i);
	T_EQ(SYS(read(fd, buf[0], MSG)), 0, "then end of file");
	check_balance(idx, "drained");
	close(fd);
	close(nb);
out:
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

static void test_pause_unbuffered(void)
{
	int idx = t_chan_new(0, MSG, 0), fd;
	unsigned char buf[MSG];
	struct t_op *r, *s;
	pid_t rp, sp;

	if (!T_GE(idx, 0, "create an unbuffered channel"))
		return;
	fd = t_chan_open(idx, O_RDWR);
	if (!T_GE(fd, 0, "open it"))
		goto out;
	set_knob(idx, "pause_recv", "1");
	r = t_op_new(T_OP_RECV, idx, O_RDONLY, MSG);
	rp = T_OP_PARK(r, "waiting_receivers", 1);
	t_fill(buf, 20, 7);
	T_EQ(t_send(fd, buf, 20, 0), -EAGAIN,
	     "paused: a try-send is not handed to the parked receiver");
	T_EQ(poll_now(fd, POLLOUT), 0, "paused: no POLLOUT");
	s = t_op_new(T_OP_SEND, idx, O_WRONLY, 20);
	t_fill(s->buf, 20, 8);
	sp = T_OP_PARK(s, "waiting_senders", 1);
	T_EQ(poll_now(fd, POLLIN), 0, "paused: a parked sender gives no POLLIN");
	T_EQ(t_fionread(fd), 0, "paused: FIONREAD 0");
	T_EQ(t_recv(fd, buf, MSG, 0), -EAGAIN,
	     "paused: a try-receive does not take the parked sender's message");
	t_sleep_ms(30);
	T_OK(!r->done && !s->done, "both stay parked");
	set_knob(idx, "pause_recv", "0");
	T_CHILD(rp, T_TIMEOUT_MS, 0, "lifting the pause: the receiver returns");
	T_CHILD(sp, T_TIMEOUT_MS, 0, "  ... and the sender");
	T_OK(r->ret == 20 && t_verify(r->buf, 20, 8) && s->ret == 0,
	     "  ... with the sender's message");
	check_balance(idx, "after the hand-off");
	close(fd);
out:
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

static void set_breaker(int idx, const char *attr, const char *val)
{
	char path[64];

	snprintf(path, sizeof(path), "breaker/%s", attr);
	T_EQ(t_attr_write(idx, path, val), 0, "breaker/%s = %s", attr, val);
}

static void test_send_fail(void)
{
	int idx = t_chan_new(1024, MSG, 0), fd, fails = 0, i;
	long long full, tmo, inj;
	struct chan_select_case c;
	unsigned char buf[MSG];
	uint64_t t0, dt;
	struct t_op *op;
	pid_t pid;

	if (!T_GE(idx, 0, "create a channel (capacity 1024)"))
		return;
	fd = t_chan_open(idx, O_RDWR);
	if (!T_GE(fd, 0, "open it"))
		goto out;
	set_knob(idx, "send_fail_ppm", "1000000");
	full = t_attr(idx, "stats/full");
	tmo = t_attr(idx, "stats/send_timeouts");
	inj = injected(idx);
	t_fill(buf, 16, 1);
	T_EQ(t_send(fd, buf, 16, 0), -EAGAIN, "ppm 1000000: try-send: EAGAIN");
	t0 = t_now_ns();
	T_EQ(t_send(fd, buf, 16, 40 * T_NSEC_PER_MSEC), -ETIMEDOUT,
	     "ppm 1000000: a 40 ms send: ETIMEDOUT");
	dt = t_now_ns() - t0;
	T_GE(dt, 40 * T_NSEC_PER_MSEC, "  ... after its timeout (%llu ms)",
	     (unsigned long long)(dt / T_NSEC_PER_MSEC));
	T_EQ(t_attr(idx, "len"), 0, "nothing was queued");
	T_EQ(t_attr(idx, "stats/full") - full, 2, "stats/full counted both");
	T_EQ(t_attr(idx, "stats/send_timeouts") - tmo, 1,
	     "stats/send_timeouts counted the timed one");
	T_EQ(injected(idx) - inj, 2, "stats/chaos_injected counted both");
	t_sel_case(&c, fd, CHAN_OP_SEND, buf, 16);
	T_EQ(t_select(-1, &c, 1, 20 * T_NSEC_PER_MSEC), -ETIMEDOUT,
	     "a select's send case is never ready: ETIMEDOUT");

	/* Failures count for the breaker: three in a row open it. */
	set_breaker(idx, "consecutive_failures", "3");
	set_breaker(idx, "open_ms", "60000");
	set_breaker(idx, "mode", "auto");
	for (i = 0; i < 3; i++)
		T_EQ(t_send(fd, buf, 16, 0), -EAGAIN, "failing send %d", i + 1);
	T_EQ(t_send(fd, buf, 16, 0), -ECONNREFUSED,
	     "after 3 injected failures the breaker refuses: ECONNREFUSED");
	/* A select's send case that draws a failure is one for the breaker. */
	set_breaker(idx, "mode", "metrics_only");
	T_EQ(t_select(-1, &c, 1, 10 * T_NSEC_PER_MSEC), -ETIMEDOUT,
	     "metrics_only: a select's failing send case: ETIMEDOUT");
	T_EQ(t_attr(idx, "breaker/failures"), 1,
	     "  ... recorded as one breaker failure");
	set_breaker(idx, "mode", "disabled");

	/* A held send without a timeout: released by a knob, by a signal. */
	op = t_op_new(T_OP_SEND, idx, O_WRONLY, 16);
	t_fill(op->buf, 16, 2);
	pid = start_held(idx, op);
	T_EQ(t_wait_sleeping(pid, T_TIMEOUT_MS), 0,
	     "ppm 1000000: a send without timeout is held");
	set_knob(idx, "send_fail_ppm", "0");
	T_CHILD(pid, T_TIMEOUT_MS, 0, "setting the knob to 0 releases it");
	T_EQ(op->ret, 0, "  ... and it sends");
	T_EQ(t_recv(fd, buf, MSG, 0), 16, "  ... its message arrives");
	set_knob(idx, "send_fail_ppm", "1000000");
	op = t_op_new(T_OP_SEND, idx, O_WRONLY, 16);
	op->sig = SIGUSR1;
	op->timeout_ns = T_TIMEOUT_NS;
	pid = start_held(idx, op);
	T_EQ(t_wait_sleeping(pid, T_TIMEOUT_MS), 0, "a timed send is held");
	kill(pid, SIGUSR1);
	T_CHILD(pid, T_TIMEOUT_MS, 0, "a signal ends it");
	T_EQ(op->ret, -EINTR, "  ... with EINTR (timed, no SA_RESTART)");

	/* Half the sends in a million: about half fail. */
	set_knob(idx, "send_fail_ppm", "500000");
	for (i = 0; i < 1000; i++) {
		long r = t_send(fd, buf, 16, 0);

		if (r == -EAGAIN)
			fails++;
		else if (r == 0)
			t_recv(fd, buf, MSG, 0);
	}
	T_OK(fails > 350 && fails < 650,
	     "ppm 500000: %d of 1000 try-sends failed (350..650)", fails);
	set_knob(idx, "send_fail_ppm", "0");

	/* Close releases a held send, which then fails as on any closed one. */
	set_knob(idx, "send_fail_ppm", "1000000");
	op = t_op_new(T_OP_SEND, idx, O_WRONLY, 16);
	pid = start_held(idx, op);
	T_EQ(t_wait_sleeping(pid, T_TIMEOUT_MS), 0, "a send is held");
	T_EQ(t_close_chan(fd), 0, "close the channel");
	T_CHILD(pid, T_TIMEOUT_MS, 0, "close releases the held send");
	T_EQ(op->ret, -EPIPE, "  ... with EPIPE");
	check_balance(idx, "after the failures");
	close(fd);
out:
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

static void test_delays(void)
{
	int idx = t_chan_new(4, MSG, 0), fd, nb;
	unsigned char buf[MSG];
	struct t_op *op;
	uint64_t t0, dt;
	long long inj;
	pid_t pid;

	if (!T_GE(idx, 0, "create a channel"))
		return;
	fd = t_chan_open(idx, O_RDWR);
	nb = t_chan_open(idx, O_RDWR | O_NONBLOCK);
	if (!T_OK(fd >= 0 && nb >= 0, "open it"))
		goto out;
	set_knob(idx, "send_delay_us", "100000");
	inj = injected(idx);
	t_fill(buf, 16, 1);
	t0 = t_now_ns();
	T_EQ(t_send(fd, buf, 16, T_TIMEOUT_NS), 0,
	     "send_delay_us 100000: a blocking send works");
	dt = t_now_ns() - t0;
	T_GE(dt, 100 * T_NSEC_PER_MSEC, "  ... after the delay (%llu ms)",
	     (unsigned long long)(dt / T_NSEC_PER_MSEC));
	T_EQ(injected(idx) - inj, 1, "stats/chaos_injected counted it");
	T_EQ(t_send(fd, buf, 16, 20 * T_NSEC_PER_MSEC), -ETIMEDOUT,
	     "a 20 ms send inside the delay: ETIMEDOUT");
	T_EQ(t_attr(idx, "len"), 1, "  ... and it queued nothing");
	t0 = t_now_ns();
	T_EQ(SYS(write(nb, buf, 16)), 16, "an O_NONBLOCK write is not delayed");
	dt = t_now_ns() - t0;
	T_LT(dt, 100 * T_NSEC_PER_MSEC, "  ... (%llu ms)",
	     (unsigned long long)(dt / T_NSEC_PER_MSEC));
	set_knob(idx, "send_delay_us", "0");

	set_knob(idx, "recv_delay_us", "100000");
	T_EQ(t_recv(fd, buf, MSG, 20 * T_NSEC_PER_MSEC), -ETIMEDOUT,
	     "recv_delay_us 100000: a 20 ms receive: ETIMEDOUT");
	T_EQ(t_attr(idx, "len"), 2, "  ... and took nothing");
	t0 = t_now_ns();
	T_EQ(t_recv(fd, buf, MSG, T_TIMEOUT_NS), 16,
	     "a blocking receive gets the message");
	dt = t_now_ns() - t0;
	T_GE(dt, 100 * T_NSEC_PER_MSEC, "  ... after the delay (%llu ms)",
	     (unsigned long long)(dt / T_NSEC_PER_MSEC));
	T_OK(t_verify(buf, 16, 1), "  ... the first message");
	T_EQ(t_recv(fd, buf, MSG, 0), 16, "a try-receive is not delayed");

	/* Destroy releases a delayed operation: ENODEV. */
	set_knob(idx, "recv_delay_us", "10000000");
	op = t_op_new(T_OP_RECV, idx, O_RDONLY, MSG);
	pid = start_held(idx, op);
	T_EQ(t_wait_sleeping(pid, T_TIMEOUT_MS), 0, "a receive is delayed 10 s");
	close(fd);
	close(nb);
	T_EQ(t_chan_destroy(idx, CHAN_DESTROY_F_FORCE), 0,
	     "force-destroy the channel");
	T_CHILD(pid, T_TIMEOUT_MS, 0, "destroy releases it");
	T_EQ(op->ret, -ENODEV, "  ... with ENODEV");
	return;
out:
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

/*
 * The rehearsal the knobs are for: a producer sends with a timeout into a
 * channel whose consumer stalls (pause_recv); its breaker opens and sends
 * fail at once; the consumer resumes, the breaker closes again; every
 * message a send accepted is received, once, in order.
 */
static void test_rehearsal(void)
{
	int idx = t_chan_new(4, MSG, 0), fd, i, sent = 0, refused = 0;
	unsigned char buf[MSG];
	long r;

	if (!T_GE(idx, 0, "create a channel (capacity 4)"))
		return;
	fd = t_chan_open(idx, O_RDWR);
	if (!T_GE(fd, 0, "open it"))
		goto out;
	set_breaker(idx, "consecutive_failures", "3");
	set_breaker(idx, "open_min_ms", "200");
	set_breaker(idx, "open_ms", "200");
	set_breaker(idx, "open_max_ms", "200");
	set_breaker(idx, "half_open_probes", "1");
	set_breaker(idx, "mode", "auto");
	set_knob(idx, "pause_recv", "1");
	for (i = 0; i < 12; i++) {
		t_fill(buf, 16, sent);
		r = t_send(fd, buf, 16, 10 * T_NSEC_PER_MSEC);
		if (r == 0)
			sent++;
		else if (r == -ECONNREFUSED)
			refused++;
	}
	T_EQ(sent, 4, "a stalled consumer: 4 sends fill the channel");
	T_GE(refused, 1, "  ... timeouts opened the breaker (%d refused)",
	     refused);
	T_EQ(t_attr(idx, "breaker/trips"), 1, "breaker/trips is 1");
	set_knob(idx, "pause_recv", "0");
	for (i = 0; i < 4; i++) {
		T_EQ(t_recv(fd, buf, MSG, T_TIMEOUT_NS), 16,
		     "the consumer resumes: message %d", i);
		T_OK(t_verify(buf, 16, i), "  ... in order");
	}
	t_sleep_ms(250);
	t_fill(buf, 16, sent);
	T_EQ(t_send(fd, buf, 16, T_TIMEOUT_NS), 0,
	     "after the open period a probe send works");
	T_EQ(t_recv(fd, buf, MSG, T_TIMEOUT_NS), 16, "  ... and is received");
	{
		char state[32] = "";
		FILE *f;
		char path[96];

		snprintf(path, sizeof(path), T_SYSFS_CLASS "/chan%d/breaker/state",
			 idx);
		f = fopen(path, "r");
		if (f) {
			if (!fgets(state, sizeof(state), f))
				state[0] = 0;
			fclose(f);
		}
		T_OK(!strcmp(state, "closed\n"), "the breaker is closed again (%s)",
		     state);
	}
	T_EQ(t_attr(idx, "stats/sent"), t_attr(idx, "stats/received"),
	     "nothing lost: every accepted message was received");
	close(fd);
out:
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

int main(void)
{
	t_init("chaos");
	test_knobs();
	test_pause_buffered();
	test_pause_unbuffered();
	test_send_fail();
	test_delays();
	test_rehearsal();
	return t_done();
}
