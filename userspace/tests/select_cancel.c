// SPDX-License-Identifier: GPL-2.0
/*
 * Description: how a parked CHAN_IOC_SELECT ends without a counterpart. A
 * select in a child has four cases on four channels: a receive case on an
 * unbuffered channel, a send case on another, a receive case on an empty
 * buffered channel and a send case on a full one; the waiting_* gauges of
 * all four show it parked, and poll shows POLLOUT and POLLIN on the
 * unbuffered ones. It then ends by its timeout (ETIMEDOUT, not early), by a
 * signal (EINTR from a handler without SA_RESTART, and from a timed select
 * even with SA_RESTART; with SA_RESTART an untimed select parks again,
 * twice, and later completes with a plain sender's message), by SIGKILL
 * (one select, and three parked on the same channels), by a close of one of
 * its channels (receive cases get 0, send cases -EPIPE, with the closed
 * channel's case index) or by a forced destroy of one of them (ENODEV).
 * Afterwards every gauge of every channel is 0, poll no longer reports the
 * cases, and later plain peers never meet the dead select: try-sends and
 * try-receives on the unbuffered channels get EAGAIN, the full channel
 * holds only its filler, a message sent to the empty channel stays queued,
 * and nothing counts as sent or received.
 */
#include <poll.h>

#include "helpers.h"

#define MSG	64

enum { UR, US, E, F, NCH };	/* the channels, and the select's case indexes */

static const char *const names[NCH] = {
	"unbuffered (receive case)", "unbuffered (send case)",
	"empty buffered (receive case)", "full buffered (send case)",
};

struct bundle {
	int idx[NCH];
	int fd[NCH];		/* O_RDWR */
	bool gone[NCH];		/* destroyed by the scenario */
};

static void mk(struct bundle *b)
{
	static const unsigned int caps[NCH] = { 0, 0, 2, 1 };
	unsigned char buf[MSG];
	int i;

	memset(b, 0, sizeof(*b));
	for (i = 0; i < NCH; i++) {
		b->idx[i] = t_chan_new(caps[i], MSG, 0);
		if (b->idx[i] < 0)
			t_bail("cannot create a channel: %s", strerrorname_np(-b->idx[i]) ?: "?");
		b->fd[i] = t_chan_open(b->idx[i], O_RDWR);
		if (b->fd[i] < 0)
			t_bail("cannot open %s: %s", t_chan_path(b->idx[i]),
			       strerrorname_np(-b->fd[i]) ?: "?");
	}
	t_fill(buf, 5, 0xf111);
	if (t_send(b->fd[F], buf, 5, 0))
		t_bail("cannot fill chan%d", b->idx[F]);
}

static void rm(struct bundle *b)
{
	int i, bad = 0;

	for (i = 0; i < NCH; i++) {
		close(b->fd[i]);
		if (!b->gone[i])
			bad += t_chan_destroy(b->idx[i], 0) != 0;
	}
	T_EQ(bad, 0, "destroy the channels");
}

/* The select of the scenarios: cases UR, US, E, F. */
static struct t_sel_op *sel_new(struct bundle *b, long long tmo)
{
	struct t_sel_op *so = t_sel_op_new(tmo);

	t_sel_op_add(so, b->fd[UR], CHAN_OP_RECV, MSG, 0);
	t_sel_op_add(so, b->fd[US], CHAN_OP_SEND, 21, 0x5e0d);
	t_sel_op_add(so, b->fd[E], CHAN_OP_RECV, MSG, 0);
	t_sel_op_add(so, b->fd[F], CHAN_OP_SEND, 22, 0x5e0f);
	memset(so->bufs[UR], 0xee, T_SEL_BUF);
	memset(so->bufs[E], 0xee, T_SEL_BUF);
	return so;
}

static short revents(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT };

	return poll(&p, 1, 0) == 1 ? p.revents : 0;
}

static const char *const gauges[NCH] = {
	"waiting_receivers", "waiting_senders", "waiting_receivers", "waiting_senders",
};

/*
 * Wait (10 s in all) until @n selects' cases are parked on all four
 * channels; give up early if @so (if any) returned.
 */
static bool parked(struct bundle *b, int n, const struct t_sel_op *so, const char *what)
{
	uint64_t end = t_now_ns() + T_TIMEOUT_NS;
	long long v[NCH];
	int i, ok;

	for (;;) {
		for (i = ok = 0; i < NCH; i++) {
			v[i] = t_attr(b->idx[i], gauges[i]);
			ok += v[i] == n;
		}
		if (ok == NCH || (so && so->done) || t_now_ns() > end)
			break;
		t_sleep_ms(2);
	}
	if (ok != NCH)
		t_diag("%s: gauges %lld %lld %lld %lld, want %d each%s", what, v[0], v[1], v[2],
		       v[3], n, so && so->done ? "; the select returned" : "");
	return T_EQ(ok, NCH, "%s: parked on all 4 channels (each gauge %d)", what, n);
}

static void start_parked(struct bundle *b, struct t_sel_op *so, pid_t *pid, const char *what)
{
	*pid = t_sel_op_start(so);
	if (parked(b, 1, so, what)) {
		T_EQ(revents(b->fd[UR]) & POLLOUT, POLLOUT,
		     "%s: poll on the receive case's unbuffered channel: POLLOUT", what);
		T_EQ(revents(b->fd[US]) & POLLIN, POLLIN,
		     "%s: poll on the send case's unbuffered channel: POLLIN", what);
	}
}

/*
 * After the select(s) ended: no trace left. @except: the case whose
 * channel the scenario closed, destroyed or used (-1: none); it gets only
 * the gauge checks.
 */
static void after(struct bundle *b, int except, const char *what)
{
	unsigned char buf[MSG];
	long long ws, wr;
	int i, bad = 0;

	for (i = 0; i < NCH; i++) {
		if (b->gone[i])
			continue;
		ws = t_attr(b->idx[i], "waiting_senders");
		wr = t_attr(b->idx[i], "waiting_receivers");
		if (ws || wr) {
			bad++;
			t_diag("%s: chan%d, %s: waiting_senders %lld, waiting_receivers %lld", what,
			       b->idx[i], names[i], ws, wr);
		}
	}
	T_EQ(bad, 0, "%s: every gauge of every channel back to 0", what);
	if (except != UR) {
		T_EQ(revents(b->fd[UR]) & POLLOUT, 0, "%s: %s: no POLLOUT", what, names[UR]);
		t_fill(buf, 9, 0xa1);
		T_EQ(t_send(b->fd[UR], buf, 9, 0), -EAGAIN,
		     "%s: %s: a try-send finds no receiver", what, names[UR]);
		T_EQ(t_attr(b->idx[UR], "stats/received"), 0, "%s: %s: nothing received", what,
		     names[UR]);
	}
	if (except != US) {
		T_EQ(revents(b->fd[US]) & POLLIN, 0, "%s: %s: no POLLIN", what, names[US]);
		T_EQ(t_recv(b->fd[US], buf, sizeof(buf), 0), -EAGAIN,
		     "%s: %s: a try-receive finds no sender", what, names[US]);
		T_EQ(t_attr(b->idx[US], "stats/sent"), 0, "%s: %s: nothing sent", what, names[US]);
	}
	if (except != E) {
		t_fill(buf, 10, 0xe0e);
		T_EQ(t_send(b->fd[E], buf, 10, 0), 0, "%s: %s: a plain send", what, names[E]);
		T_EQ(t_attr(b->idx[E], "len"), 1, "%s: %s: ... stays queued", what, names[E]);
		memset(buf, 0, sizeof(buf));
		T_EQ(t_recv(b->fd[E], buf, sizeof(buf), 0), 10, "%s: %s: ... and is received",
		     what, names[E]);
		T_OK(t_verify(buf, 10, 0xe0e), "%s: %s: ... intact", what, names[E]);
		T_EQ(t_attr(b->idx[E], "stats/received"), 1,
		     "%s: %s: that was the one message received", what, names[E]);
	}
	if (except != F) {
		T_EQ(t_attr(b->idx[F], "len"), 1, "%s: %s: holds one message", what, names[F]);
		memset(buf, 0, sizeof(buf));
		T_EQ(t_recv(b->fd[F], buf, sizeof(buf), 0), 5, "%s: %s: ... the filler", what,
		     names[F]);
		T_OK(t_verify(buf, 5, 0xf111), "%s: %s: ... intact", what, names[F]);
		T_EQ(t_recv(b->fd[F], buf, sizeof(buf), 0), -EAGAIN,
		     "%s: %s: ... and then nothing (the send case's message never came)", what,
		     names[F]);
	}
}

static int untouched(const struct t_sel_op *so, int except)
{
	int i, n = 0;

	for (i = 0; i < NCH; i++)
		if (i != except && so->cases[i].result != T_SEL_NORESULT)
			n++;
	return n;
}

/* ---- timeout ---- */

static void test_timeout(void)
{
	const long long tmo = 3 * T_NSEC_PER_SEC;
	const char *what = "timed out";
	struct t_sel_op *so;
	struct bundle b;
	pid_t pid;

	mk(&b);
	so = sel_new(&b, tmo);
	start_parked(&b, so, &pid, "a select with a 3 s timeout");
	T_CHILD(pid, T_TIMEOUT_MS, 0, "%s: the select returns", what);
	T_EQ(so->ret, -ETIMEDOUT, "%s: ETIMEDOUT", what);
	T_GE((long long)(so->t_end - so->t_start), tmo, "%s: not early (%llu ms)", what,
	     (unsigned long long)((so->t_end - so->t_start) / T_NSEC_PER_MSEC));
	T_EQ(untouched(so, -1), 0, "%s: no result written", what);
	T_EQ(so->bufs[UR][0] == 0xee && so->bufs[E][0] == 0xee, 1,
	     "%s: receive buffers untouched", what);
	after(&b, -1, what);
	rm(&b);
}

/* ---- signals ---- */

static void test_signal(int sa_flags, long long tmo)
{
	struct t_sel_op *so;
	struct bundle b;
	char what[96];
	pid_t pid;

	snprintf(what, sizeof(what), "%s select, signal handler%s",
		 tmo == CHAN_TIMEOUT_INFINITE ? "untimed" : "timed (5 s)",
		 sa_flags & SA_RESTART ? " with SA_RESTART" : " without SA_RESTART");
	mk(&b);
	so = sel_new(&b, tmo);
	so->sig = SIGUSR1;
	so->sa_flags = sa_flags;
	start_parked(&b, so, &pid, what);
	kill(pid, SIGUSR1);
	T_EQ(t_sel_op_wait_handled(so, 1), 0, "%s: the handler ran", what);
	T_CHILD(pid, T_TIMEOUT_MS, 0, "%s: the select returns", what);
	T_EQ(so->ret, -EINTR, "%s: EINTR", what);
	if (tmo != CHAN_TIMEOUT_INFINITE)
		T_LT((long long)(so->t_end - so->t_start), tmo, "%s: before its timeout", what);
	T_EQ(untouched(so, -1), 0, "%s: no result written", what);
	after(&b, -1, what);
	rm(&b);
}

static void test_restart(void)
{
	const char *what = "untimed select, SA_RESTART";
	unsigned char buf[MSG];
	struct t_sel_op *so;
	struct bundle b;
	pid_t pid;
	int i;

	mk(&b);
	so = sel_new(&b, CHAN_TIMEOUT_INFINITE);
	so->sig = SIGUSR1;
	so->sa_flags = SA_RESTART;
	start_parked(&b, so, &pid, what);
	for (i = 1; i <= 2; i++) {
		kill(pid, SIGUSR1);
		T_EQ(t_sel_op_wait_handled(so, i), 0, "%s: signal %d: the handler ran", what, i);
		parked(&b, 1, so, "  ... the select restarts and parks again");
		if (!T_EQ(so->done, 0, "%s: signal %d: the select has not returned", what, i))
			break;
	}
	t_fill(buf, 24, 0x7e57);
	T_EQ(t_send(b.fd[UR], buf, 24, T_TIMEOUT_NS), 0,
	     "%s: a plain sender on the receive case's channel", what);
	T_CHILD(pid, T_TIMEOUT_MS, 0, "%s: the select returns", what);
	T_EQ(so->ret, UR, "%s: with the receive case's index", what);
	T_EQ(so->cases[UR].result, 24, "%s: result 24", what);
	T_OK(t_verify(so->bufs[UR], 24, 0x7e57), "%s: the message", what);
	T_EQ(untouched(so, UR), 0, "%s: no other case has a result", what);
	after(&b, UR, what);
	T_EQ(t_send(b.fd[UR], buf, 9, 0), -EAGAIN,
	     "%s: a try-send on the committed case's channel finds no receiver", what);
	rm(&b);
}

/* ---- SIGKILL ---- */

#define NKILL 3

static void test_kill(int n)
{
	struct t_sel_op *so[NKILL];
	pid_t pid[NKILL];
	struct bundle b;
	char what[64];
	int i;

	snprintf(what, sizeof(what), "SIGKILL of %d parked select%s", n, n > 1 ? "s" : "");
	mk(&b);
	for (i = 0; i < n; i++) {
		so[i] = sel_new(&b, CHAN_TIMEOUT_INFINITE);
		pid[i] = t_sel_op_start(so[i]);
	}
	parked(&b, n, NULL, what);
	for (i = 0; i < n; i++)
		kill(pid[i], SIGKILL);
	for (i = 0; i < n; i++)
		T_CHILD(pid[i], T_TIMEOUT_MS, -SIGKILL, "%s: select %d dies", what, i);
	after(&b, -1, what);
	rm(&b);
}

/* ---- close of one channel ---- */

static void test_close(int which)
{
	static const int want_result[NCH] = { 0, -EPIPE, 0, -EPIPE };
	unsigned char buf[MSG];
	struct t_sel_op *so;
	struct bundle b;
	char what[96];
	pid_t pid;

	snprintf(what, sizeof(what), "close of the %s channel", names[which]);
	mk(&b);
	so = sel_new(&b, CHAN_TIMEOUT_INFINITE);
	start_parked(&b, so, &pid, what);
	T_EQ(t_close_chan(b.fd[which]), 0, "%s: CHAN_IOC_CLOSE", what);
	T_CHILD(pid, T_TIMEOUT_MS, 0, "%s: the select returns", what);
	T_EQ(so->ret, which, "%s: with that channel's case index %d", what, which);
	T_EQ(so->cases[which].result, want_result[which], "%s: result %s", what,
	     want_result[which] ? "-EPIPE" : "0 (end of file)");
	T_EQ(untouched(so, which), 0, "%s: no other case has a result", what);
	after(&b, which, what);
	/* The closed channel itself. */
	switch (which) {
	case UR:
	case US:
		T_EQ(t_recv(b.fd[which], buf, sizeof(buf), 0), 0,
		     "%s: a try-receive there gets end of file", what);
		break;
	case E:
		T_EQ(t_attr(b.idx[E], "len"), 0, "%s: nothing was queued", what);
		T_EQ(t_recv(b.fd[E], buf, sizeof(buf), 0), 0,
		     "%s: a try-receive there gets end of file", what);
		break;
	case F:
		T_EQ(t_recv(b.fd[F], buf, sizeof(buf), 0), 5,
		     "%s: a receive there gets the filler", what);
		T_OK(t_verify(buf, 5, 0xf111), "%s: ... intact", what);
		T_EQ(t_recv(b.fd[F], buf, sizeof(buf), 0), 0,
		     "%s: then end of file (the send case queued nothing)", what);
		break;
	}
	T_EQ(t_attr(b.idx[which], "waiting_senders") + t_attr(b.idx[which], "waiting_receivers"),
	     0, "%s: nobody parked on the closed channel", what);
	rm(&b);
}

/* ---- forced destroy of one channel ---- */

static void test_destroy(int which)
{
	struct t_sel_op *so;
	struct bundle b;
	char what[96];
	pid_t pid;

	snprintf(what, sizeof(what), "forced destroy of the %s channel", names[which]);
	mk(&b);
	so = sel_new(&b, CHAN_TIMEOUT_INFINITE);
	start_parked(&b, so, &pid, what);
	T_EQ(t_chan_destroy(b.idx[which], CHAN_DESTROY_F_FORCE), 0, "%s: CHAN_CTL_DESTROY", what);
	b.gone[which] = true;
	T_CHILD(pid, T_TIMEOUT_MS, 0, "%s: the select returns", what);
	T_EQ(so->ret, -ENODEV, "%s: ENODEV", what);
	T_EQ(untouched(so, -1), 0, "%s: no result written", what);
	after(&b, which, what);
	rm(&b);
}

int main(void)
{
	int i;

	t_init("select_cancel");
	test_timeout();
	test_signal(0, CHAN_TIMEOUT_INFINITE);
	test_signal(SA_RESTART, T_TIMEOUT_NS / 2);
	test_signal(0, T_TIMEOUT_NS / 2);
	test_restart();
	test_kill(1);
	test_kill(NKILL);
	for (i = 0; i < NCH; i++)
		test_close(i);
	test_destroy(UR);
	test_destroy(F);
	return t_done();
}
