// SPDX-License-Identifier: GPL-2.0
/*
 * Description: a completed hand-off beats a signal or a timeout that
 * arrives at the same moment (chan(4), Signals: "An operation that
 * completed reports success even when a signal or its timeout came at the
 * same moment"), proved deterministically rather than by racing many times.
 *
 * The mechanism: the test (the peer) and the child that parks are pinned
 * to CPU 0. Once the peer has seen the child parked (its waiting_* gauge
 * is 1) it becomes SCHED_FIFO, sees the child still parked, and does not
 * sleep again until it lets go (back to SCHED_OTHER), so the child, a
 * SCHED_OTHER task, cannot run in between: whatever the peer does then
 * "arrives at the same moment" for the child, which acts on it only
 * afterwards. (The peer is real-time only then, a few hundred ms at most,
 * so that the real-time throttle, sched_rt_runtime_us, never lets the
 * child in: when it does, the precondition below fails.) The peer
 * never blocks meanwhile: its own operations use timeout 0 (chan(4),
 * Timeouts: a non-blocking operation never sleeps on anyone else) on
 * buffers it touched before, it prints nothing, and it only reads sysfs
 * and /proc/<pid>/stat. Each precondition is checked, not assumed: the
 * child is still parked (gauge 1) and has not returned, and when a timeout
 * or signal is meant to have arrived, the child was woken by it (state R,
 * runnable but not running). A run whose precondition fails (the child
 * timed out before it was seen parked, say) proves nothing either way and
 * is repeated with a longer timeout; one that never holds is a TAP skip.
 *
 * Parked operations (message of LEN bytes, msg_size MSG):
 * - recv0: CHAN_IOC_RECV on an unbuffered channel; the peer sends;
 * - send0: CHAN_IOC_SEND on an unbuffered channel; the peer receives;
 * - recv1: CHAN_IOC_RECV on an empty channel of capacity 1; the peer sends
 *   (queues the message and wakes the receiver, which takes it itself);
 * - send1: CHAN_IOC_SEND on a full channel of capacity 1; the peer
 *   receives the filler, which moves the parked message into the slot;
 * - sel0, sel1: CHAN_IOC_SELECT with a receive case on an idle unbuffered
 *   channel and one on the channel of recv0 (sel0) or recv1 (sel1); the
 *   peer sends.
 * What arrives: SIGUSR1 (handler without SA_RESTART) on an untimed
 * operation, the timeout of a timed one, or both. When, relative to the
 * peer's hand-off (a non-blocking send or receive, which must succeed: a
 * counterpart is parked):
 * - after: the hand-off, then the signal is sent and/or the deadline passes;
 * - before: the deadline passes (the timer wakes the child) and/or the
 *   signal is sent (it wakes the child), then the hand-off; the child has
 *   not run, so its waiter is still parked and the peer's operation
 *   completes it. For recv0, send0, sel0 and send1 nothing else is
 *   possible: the peer's operation succeeded, so the message is in the
 *   child's buffer, or out of the child's hands (in the peer's buffer, or
 *   moved into the slot the peer freed), and reporting EINTR or ETIMEDOUT
 *   would lose it or deliver a message whose send failed (chan(4),
 *   Reading and writing: no message is lost or duplicated). For recv1 and
 *   sel1 the peer only queues the message and wakes the receiver, which
 *   takes it itself: there the test holds the module to what core.c
 *   promises, that a woken waiter looks at the channel before it looks at
 *   signals and the timeout;
 * - none (the control): no hand-off; the child gets EINTR for a signal,
 *   ETIMEDOUT for a timeout (EINTR or ETIMEDOUT when both came before it
 *   ran), its handler ran, and nothing is lost: an unbuffered receiver
 *   left no stale waiter (a try-send finds nobody, a fresh receiver then
 *   gets the message), a buffered channel keeps a message sent afterwards
 *   for the next receiver, and a sender's message is never delivered.
 * In every hand-off case the child returns the message (its length, and
 * the bytes in its buffer) or 0 for a send, not EINTR or ETIMEDOUT; the
 * signal's handler runs afterwards (handled once) and, for a receiver,
 * finds the message already in its buffer. The counters (CHAN_IOC_GET_STATS)
 * move by exactly one sent and one received message of LEN bytes and
 * nothing interrupted or timed out; in the controls by one interrupted or
 * one timed-out wait, the one the child returned, and nothing sent or
 * received (a select's wait at most once: today the module counts it in
 * neither). Afterwards no waiter is left and nothing stray is queued.
 */
#include <sched.h>
#include <stdlib.h>

#include "helpers.h"

#define MSG		64
#define LEN		37
#define SIG		SIGUSR1
#define FILLER		0xf111f111U	/* the filler's id: id ^ FILLER */
/* Timeouts tried for a timed parked operation, in ms. */
static const int tmo_ms[] = { 150, 300, 450 };
/* Bound of the wait for the child to be woken by its timer or a signal. */
#define WOKEN_MS	200

enum { RECV0, SEND0, RECV1, SEND1, SEL0, SEL1, NKINDS };

static const struct kind {
	const char *name;
	unsigned int cap;
	bool send;		/* the child sends, the peer receives */
	bool sel;		/* the child selects */
	const char *gauge;
} kinds[NKINDS] = {
	[RECV0] = { "unbuffered receive", 0, false, false, "waiting_receivers" },
	[SEND0] = { "unbuffered send", 0, true, false, "waiting_senders" },
	[RECV1] = { "buffered receive (empty)", 1, false, false,
		    "waiting_receivers" },
	[SEND1] = { "buffered send (full)", 1, true, false, "waiting_senders" },
	[SEL0] = { "select, unbuffered receive case", 0, false, true,
		   "waiting_receivers" },
	[SEL1] = { "select, buffered receive case", 1, false, true,
		   "waiting_receivers" },
};

enum { A_SIG = 1, A_TMO = 2 };			/* what arrives */
enum order { AFTER, BEFORE, NONE };		/* relative to the hand-off */

static const char *const order_names[] = {
	[AFTER] = "after the hand-off",
	[BEFORE] = "before the hand-off, the child not yet run",
	[NONE] = "and no hand-off (control)",
};

static const char *arrive_name(int arrive)
{
	switch (arrive) {
	case A_SIG: return "a signal";
	case A_TMO: return "the timeout";
	default: return "a signal and the timeout";
	}
}

/* The parked child's operation, in shared memory. */
struct parked {
	/* in */
	int kind;
	int idx, idle;		/* the channel; the select's idle channel */
	long long tmo_ns;
	uint32_t id;
	/* out */
	volatile int done;
	volatile int handled;
	volatile int msg_at_handler;	/* the message was in buf then */
	long ret;
	int result;		/* the select's case result */
	unsigned char buf[MSG];
};

/* What one run saw, for the checks made once the child was let go. */
struct run {
	const char *precond;	/* NULL: the precondition held */
	long handoff;		/* the peer's operation */
	unsigned char pbuf[MSG];	/* what the peer received */
	int state_at_handoff;	/* the child's state letter then */
	int done_at_release;	/* the child had returned when let go */
	long long gauge_at_handoff;
	struct chan_stats st0, st1;
};

static struct parked *cur;

static void handler(int sig)
{
	(void)sig;
	/* For a receiver: had the message arrived when the handler ran? */
	cur->msg_at_handler = t_verify(cur->buf, LEN, cur->id);
	__atomic_add_fetch(&cur->handled, 1, __ATOMIC_SEQ_CST);
}

static int parked_fn(void *arg)
{
	struct parked *p = arg;
	const struct kind *k = &kinds[p->kind];
	struct chan_select_case cases[2];
	unsigned char idle_buf[MSG];
	struct sigaction sa;
	int fd, fd2 = -1;

	cur = p;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sa.sa_flags = 0;	/* no SA_RESTART */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIG, &sa, NULL))
		return 2;
	fd = t_chan_open(p->idx, k->send ? O_WRONLY : O_RDONLY);
	if (fd < 0)
		return 2;
	if (k->sel) {
		fd2 = t_chan_open(p->idle, O_RDONLY);
		if (fd2 < 0)
			return 2;
		t_sel_case(&cases[0], fd2, CHAN_OP_RECV, idle_buf, MSG);
		t_sel_case(&cases[1], fd, CHAN_OP_RECV, p->buf, MSG);
	}
	if (k->send)
		t_fill(p->buf, LEN, p->id);
	else
		memset(p->buf, 0, sizeof(p->buf));
	if (k->sel)
		p->ret = t_select(fd, cases, 2, p->tmo_ns);
	else if (k->send)
		p->ret = t_send(fd, p->buf, LEN, p->tmo_ns);
	else
		p->ret = t_recv(fd, p->buf, MSG, p->tmo_ns);
	if (k->sel)
		p->result = cases[1].result;
	__atomic_store_n(&p->done, 1, __ATOMIC_SEQ_CST);
	return 0;
}

/* The state letter of /proc/<pid>/stat ('S', 'R', ...), or 0. */
static int task_state(pid_t pid)
{
	char p[64], buf[512], *s;
	ssize_t n;
	int fd;

	snprintf(p, sizeof(p), "/proc/%d/stat", pid);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	s = strrchr(buf, ')');
	return s && s[1] == ' ' ? s[2] : 0;
}

/* Spin (never sleep: the child must not run) until @ns. */
static void spin_until(uint64_t ns)
{
	while (t_now_ns() < ns)
		;
}

/* Spin until the child is runnable (woken), at most WOKEN_MS. */
static bool spin_until_woken(pid_t pid)
{
	uint64_t end = t_now_ns() + WOKEN_MS * T_NSEC_PER_MSEC;

	do {
		if (task_state(pid) == 'R')
			return true;
	} while (t_now_ns() < end);
	return false;
}

static long long gauge(int idx, const char *name)
{
	long long v;

	return t_attr_read(idx, name, &v) ? LLONG_MIN : v;
}

static int get_stats(int fd, struct chan_stats *st)
{
	memset(st, 0, sizeof(*st));
	return SYS(ioctl(fd, CHAN_IOC_GET_STATS, st));
}

/*
 * Poll the gauge until the child is parked, sleeping in between (the child
 * needs the CPU to park). Returns the time it was seen parked, or 0 if the
 * child returned first or never parked.
 */
static uint64_t wait_parked(struct parked *p, const char *gauge_name)
{
	uint64_t end = t_now_ns() + T_TIMEOUT_NS;

	for (;;) {
		if (gauge(p->idx, gauge_name) == 1)
			return t_now_ns();
		if (__atomic_load_n(&p->done, __ATOMIC_SEQ_CST) ||
		    t_now_ns() > end)
			return 0;
		t_sleep_ms(1);
	}
}

/* The peer's hand-off: non-blocking, on a pre-touched buffer. */
static long handoff(const struct kind *k, int pfd, struct run *r,
		    const unsigned char *msg)
{
	if (k->send)
		return t_recv(pfd, r->pbuf, MSG, 0);
	return t_send(pfd, msg, LEN, 0);
}

/* The peer takes CPU 0 (SCHED_FIFO) or gives it back (SCHED_OTHER). */
static int hold_cpu(bool hold)
{
	struct sched_param sp = { .sched_priority = hold ? 1 : 0 };

	return SYS(sched_setscheduler(0, hold ? SCHED_FIFO : SCHED_OTHER,
				      &sp));
}

/*
 * The critical section: from the moment the child is seen parked with the
 * peer holding CPU 0 until the peer lets it run, the peer neither sleeps
 * nor prints. The peer is SCHED_FIFO only then: the real-time throttle
 * (sched_rt_runtime_us) would otherwise run out and let the child in.
 */
static void critical(const struct kind *k, int arrive, enum order order,
		     int tmo, pid_t pid, struct parked *p, int pfd,
		     struct run *r, const unsigned char *msg)
{
	uint64_t parked_at = wait_parked(p, k->gauge), deadline;

	if (!parked_at) {
		r->precond = "the child returned before it was seen parked";
		return;
	}
	if (hold_cpu(true)) {
		r->precond = "sched_setscheduler(SCHED_FIFO) failed";
		return;
	}
	/* Seen parked again, now that it cannot run any more. */
	if (gauge(p->idx, k->gauge) != 1 ||
	    __atomic_load_n(&p->done, __ATOMIC_SEQ_CST)) {
		hold_cpu(false);
		r->precond = "the child timed out before the peer held the CPU";
		return;
	}
	/* The kernel set its deadline before the child parked: a bound. */
	deadline = parked_at + (uint64_t)tmo * T_NSEC_PER_MSEC +
		   T_NSEC_PER_MSEC;
	if (order == AFTER) {
		r->gauge_at_handoff = gauge(p->idx, k->gauge);
		r->state_at_handoff = task_state(pid);
		r->handoff = handoff(k, pfd, r, msg);
		if (arrive & A_SIG)
			kill(pid, SIG);
		if (arrive & A_TMO)
			spin_until(deadline);
	} else {
		if (arrive & A_TMO) {
			spin_until(deadline);
			if (!spin_until_woken(pid)) {
				hold_cpu(false);
				r->precond = "its timer did not wake the child";
				return;
			}
		}
		if (arrive & A_SIG) {
			kill(pid, SIG);
			if (!spin_until_woken(pid)) {
				hold_cpu(false);
				r->precond = "the signal did not wake the child";
				return;
			}
		}
		r->gauge_at_handoff = gauge(p->idx, k->gauge);
		r->state_at_handoff = task_state(pid);
		if (order == BEFORE)
			r->handoff = handoff(k, pfd, r, msg);
	}
	r->done_at_release = __atomic_load_n(&p->done, __ATOMIC_SEQ_CST);
	hold_cpu(false);
	if (r->gauge_at_handoff != 1 || r->done_at_release)
		r->precond = "the child ran while the peer held the CPU";
}

struct chans {
	int idx, idle, pfd;
};

static int setup(const struct kind *k, struct chans *c,
		 const unsigned char *filler)
{
	c->idle = -1;
	c->pfd = -1;
	c->idx = t_chan_new(k->cap, MSG, 0);
	if (c->idx < 0)
		return c->idx;
	if (k->sel) {
		c->idle = t_chan_new(0, MSG, 0);
		if (c->idle < 0)
			return c->idle;
	}
	c->pfd = t_chan_open(c->idx, O_RDWR);
	if (c->pfd < 0)
		return c->pfd;
	/* send1 parks on a full channel. */
	if (k->send && k->cap)
		return (int)t_send(c->pfd, filler, LEN, 0);
	return 0;
}

static void teardown(struct chans *c)
{
	if (c->pfd >= 0)
		close(c->pfd);
	if (c->idx >= 0)
		t_chan_destroy(c->idx, CHAN_DESTROY_F_FORCE);
	if (c->idle >= 0)
		t_chan_destroy(c->idle, CHAN_DESTROY_F_FORCE);
}

#define D(field)	((long long)(r->st1.field - r->st0.field))

static void check_counters(const char *what, const struct kind *k,
			   const struct run *r, bool moved, long child_ret)
{
	long long timeouts = k->send ? D(send_timeouts) : D(recv_timeouts);
	long long intr = D(interrupted), n = moved ? 1 : 0;

	T_EQ(D(sent), n, "%s: stats sent +%lld", what, n);
	T_EQ(D(received), n, "%s: stats received +%lld", what, n);
	T_EQ(D(bytes_sent), n * LEN, "%s: stats bytes_sent +%lld", what,
	     n * LEN);
	T_EQ(D(bytes_received), n * LEN, "%s: stats bytes_received +%lld",
	     what, n * LEN);
	T_EQ(k->send ? D(recv_timeouts) : D(send_timeouts), 0,
	     "%s: no %s timeout counted", what, k->send ? "receive" : "send");
	if (moved) {
		T_EQ(intr, 0, "%s: stats interrupted +0", what);
		T_EQ(timeouts, 0, "%s: stats %s +0", what,
		     k->send ? "send_timeouts" : "recv_timeouts");
		return;
	}
	if (k->sel) {
		/*
		 * A select's wait is not one channel's: count it at most
		 * once (the module counts it in neither today).
		 */
		T_LE(intr, 1, "%s: stats interrupted +0 or +1 (got +%lld)",
		     what, intr);
		T_LE(timeouts, 1, "%s: stats recv_timeouts +0 or +1 (got +%lld)",
		     what, timeouts);
		T_LE(intr + timeouts, 1, "%s: the wait counted at most once",
		     what);
		return;
	}
	T_EQ(intr, child_ret == -EINTR, "%s: stats interrupted +%d", what,
	     child_ret == -EINTR);
	T_EQ(timeouts, child_ret == -ETIMEDOUT, "%s: stats %s +%d", what,
	     k->send ? "send_timeouts" : "recv_timeouts",
	     child_ret == -ETIMEDOUT);
}

/* The child got the message (or sent it) and its handler came after. */
static void check_handoff(const char *what, const struct kind *k, int arrive,
			  enum order order, const struct parked *p,
			  const struct run *r)
{
	T_EQ(r->handoff, k->send ? LEN : 0,
	     "%s: the peer's non-blocking %s meets the parked child", what,
	     k->send ? "receive" : "send");
	if (k->send && k->cap)
		T_OK(t_verify(r->pbuf, LEN, p->id ^ FILLER),
		     "%s: the peer received the filler", what);
	else if (k->send)
		T_OK(t_verify(r->pbuf, LEN, p->id),
		     "%s: the peer received the child's message", what);
	T_OK(r->gauge_at_handoff == 1 &&
	     (order == AFTER || r->state_at_handoff == 'R'),
	     "%s: when the peer came the child was parked%s (state %c)", what,
	     order == AFTER ? "" : ", woken but not yet run",
	     r->state_at_handoff ?: '?');
	if (k->sel) {
		T_EQ(p->ret, 1, "%s: the select commits its receive case", what);
		T_EQ(p->result, LEN, "%s: ... with the %d-byte message", what,
		     LEN);
	} else {
		T_EQ(p->ret, k->send ? 0 : LEN,
		     "%s: the child's %s returns %s, not EINTR or ETIMEDOUT",
		     what, k->send ? "send" : "receive",
		     k->send ? "0" : "the message's length");
	}
	if (!k->send)
		T_OK(t_verify(p->buf, LEN, p->id),
		     "%s: the message is in the child's buffer", what);
	if (arrive & A_SIG) {
		T_EQ(p->handled, 1, "%s: the child's handler ran, once", what);
		if (!k->send)
			T_OK(p->msg_at_handler,
			     "%s: ... after the message had arrived", what);
	}
}

/* After a control: nothing lost, nothing stray. */
static void check_nothing_lost(const char *what, const struct kind *k,
			       struct chans *c, uint32_t id,
			       const unsigned char *filler)
{
	unsigned char msg[MSG], buf[MSG];
	struct t_op *op;
	pid_t pid;

	t_fill(msg, LEN, id);
	if (k->send) {
		if (k->cap) {
			T_EQ(t_recv(c->pfd, buf, MSG, 0), LEN,
			     "%s: the filler is still queued", what);
			T_OK(!memcmp(buf, filler, LEN), "%s: ... intact", what);
		}
		T_EQ(t_recv(c->pfd, buf, MSG, 0), -EAGAIN,
		     "%s: the child's message was not delivered", what);
		return;
	}
	if (!k->cap) {
		T_EQ(t_send(c->pfd, msg, LEN, 0), -EAGAIN,
		     "%s: a try-send finds no stale receiver", what);
		op = t_op_new(T_OP_RECV, c->idx, O_RDONLY, MSG);
		pid = T_OP_PARK(op, "waiting_receivers", 1);
		T_EQ(t_send(c->pfd, msg, LEN, 0), 0,
		     "%s: a message for a fresh receiver", what);
		T_CHILD(pid, T_TIMEOUT_MS, 0, "%s: the fresh receiver returns",
			what);
		T_EQ(op->ret, LEN, "%s: ... with the message", what);
		T_OK(t_verify(op->buf, LEN, id), "%s: ... intact", what);
		return;
	}
	T_EQ(t_send(c->pfd, msg, LEN, 0), 0, "%s: a message sent now", what);
	T_EQ(gauge(c->idx, "len"), 1, "%s: ... stays queued", what);
	memset(buf, 0, sizeof(buf));
	T_EQ(t_recv(c->pfd, buf, MSG, 0), LEN,
	     "%s: ... for the next receiver", what);
	T_OK(t_verify(buf, LEN, id), "%s: ... intact", what);
}

/* After a hand-off: nobody parked, nothing stray queued. */
static void check_after_handoff(const char *what, const struct kind *k,
				struct chans *c, const struct parked *p)
{
	unsigned char buf[MSG];

	T_EQ(gauge(c->idx, "waiting_senders"), 0, "%s: waiting_senders 0",
	     what);
	T_EQ(gauge(c->idx, "waiting_receivers"), 0, "%s: waiting_receivers 0",
	     what);
	if (k->sel)
		T_EQ(gauge(c->idle, "waiting_receivers"), 0,
		     "%s: the idle case is unlinked", what);
	if (k->send && k->cap) {
		/* The child's message moved into the slot the peer freed. */
		T_EQ(gauge(c->idx, "len"), 1, "%s: the child's message is queued",
		     what);
		memset(buf, 0, sizeof(buf));
		T_EQ(t_recv(c->pfd, buf, MSG, 0), LEN, "%s: ... receive it",
		     what);
		T_OK(t_verify(buf, LEN, p->id), "%s: ... intact", what);
	}
	T_EQ(t_recv(c->pfd, buf, MSG, 0), -EAGAIN,
	     "%s: nothing else is queued", what);
}

/*
 * One scenario with a timeout of @tmo ms (if one arrives). Returns false
 * when its precondition did not hold (nothing was checked).
 */
static bool scenario(int kind, int arrive, enum order order, int tmo,
		     bool last, uint32_t id)
{
	const struct kind *k = &kinds[kind];
	struct parked *p = t_shared(sizeof(*p));
	struct run *r = t_shared(sizeof(*r));
	unsigned char msg[MSG], filler[MSG];
	struct chans c;
	char what[160];
	pid_t pid;
	int e;

	snprintf(what, sizeof(what), "%s, %s %s", k->name, arrive_name(arrive),
		 order_names[order]);
	t_fill(msg, LEN, id);
	t_fill(filler, LEN, id ^ FILLER);
	memset(r->pbuf, 0, sizeof(r->pbuf));
	e = setup(k, &c, filler);
	if (e) {
		T_EQ(e, 0, "%s: set up the channels", what);
		teardown(&c);
		return true;
	}
	if (get_stats(c.pfd, &r->st0)) {
		T_OK(0, "%s: CHAN_IOC_GET_STATS", what);
		teardown(&c);
		return true;
	}
	p->kind = kind;
	p->idx = c.idx;
	p->idle = c.idle;
	p->id = id;
	p->tmo_ns = arrive & A_TMO ? tmo * T_NSEC_PER_MSEC :
		    CHAN_TIMEOUT_INFINITE;
	pid = t_fork(parked_fn, p);
	if (!T_GT(pid, 0, "%s: fork the parked child", what)) {
		teardown(&c);
		return true;
	}
	critical(k, arrive, order, tmo, pid, p, c.pfd, r, msg);
	/* Let go: the child runs once the peer sleeps below. */
	if (r->precond) {
		/* An untimed child may wait for ever: end it. */
		kill(pid, SIGKILL);
		t_wait_child(pid, T_TIMEOUT_MS, NULL);
		teardown(&c);
		if (!last) {
			t_diag("%s: precondition failed (%s) with a %d ms timeout: again",
			       what, r->precond, tmo);
			return false;
		}
		t_skip("%s: precondition never held (%s), not checked", what,
		       r->precond);
		return true;
	}
	T_CHILD(pid, T_TIMEOUT_MS, 0, "%s: the child returns", what);
	T_EQ(get_stats(c.pfd, &r->st1), 0, "%s: CHAN_IOC_GET_STATS", what);
	if (order == NONE) {
		long want = arrive & A_SIG ? -EINTR : -ETIMEDOUT;

		if (arrive == (A_SIG | A_TMO))
			T_OK(p->ret == -EINTR || p->ret == -ETIMEDOUT,
			     "%s: the child gets EINTR or ETIMEDOUT (got %ld)",
			     what, p->ret);
		else
			T_EQ(p->ret, want, "%s: the child gets %s", what,
			     want == -EINTR ? "EINTR" : "ETIMEDOUT");
		if (arrive & A_SIG)
			T_EQ(p->handled, 1, "%s: the child's handler ran, once",
			     what);
		check_counters(what, k, r, false, p->ret);
		check_nothing_lost(what, k, &c, id ^ 0x5a5a5a5a, filler);
	} else {
		check_handoff(what, k, arrive, order, p, r);
		check_counters(what, k, r, true, p->ret);
		check_after_handoff(what, k, &c, p);
	}
	teardown(&c);
	return true;
}

/* Pin to CPU 0, able to become SCHED_FIFO: NULL, or why it cannot be. */
static const char *take_cpu0(char *why, size_t size)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t set;
	int r;

	if (n < 2) {
		snprintf(why, size, "only %ld CPU online: a SCHED_FIFO peer spinning on it would starve the system",
			 n);
		return why;
	}
	/* Children inherit the affinity. */
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		snprintf(why, size, "sched_setaffinity(CPU 0): %s",
			 strerrorname_np(errno) ?: "?");
		return why;
	}
	r = hold_cpu(true);
	if (r) {
		snprintf(why, size, "sched_setscheduler(SCHED_FIFO): %s",
			 strerrorname_np(-r) ?: "?");
		return why;
	}
	hold_cpu(false);
	return NULL;
}

int main(void)
{
	static const int arrivals[] = { A_SIG, A_TMO, A_SIG | A_TMO };
	const char *why;
	char whybuf[160];
	long long rt_us = -1;
	uint32_t id = 0x4b000000;
	int kind, a, o, t, ntmo = (int)T_ARRAY_SIZE(tmo_ms);
	size_t i;

	t_init("handoff_beats_signal");
	/*
	 * The peer spins for up to a timeout plus WOKEN_MS: stay within the
	 * real-time budget, or the throttle would let the child run.
	 */
	if (!t_read_num("/proc/sys/kernel/sched_rt_runtime_us", &rt_us) &&
	    rt_us >= 0)
		while (ntmo > 1 &&
		       (tmo_ms[ntmo - 1] + WOKEN_MS) * 1000LL > rt_us * 9 / 10)
			ntmo--;
	why = take_cpu0(whybuf, sizeof(whybuf));
	for (kind = 0; kind < NKINDS; kind++) {
		for (i = 0; i < T_ARRAY_SIZE(arrivals); i++) {
			a = arrivals[i];
			for (o = AFTER; o <= NONE; o++) {
				id++;
				if (why) {
					t_skip("%s, %s %s: %s", kinds[kind].name,
					       arrive_name(a), order_names[o],
					       why);
					continue;
				}
				for (t = 0; t < ntmo; t++)
					if (scenario(kind, a, o, tmo_ms[t],
						     t == ntmo - 1, id))
						break;
			}
		}
	}
	return t_done();
}
