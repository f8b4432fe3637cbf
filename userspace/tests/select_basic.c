// SPDX-License-Identifier: GPL-2.0
/*
 * Description: CHAN_IOC_SELECT, Go's select, case by case. Argument errors
 * (EINVAL for ncases 0 or 65, flags, op, len 0 and bad timeouts; EBADF for
 * fds that are no channel or are open the wrong way; EMSGSIZE; EFAULT for
 * the vector, its result fields and case buffers; ENODEV; E2BIG) commit
 * nothing: no message moves and no result is written, even with ready
 * cases around the bad one. Timeout 0 (Go's default) gives EAGAIN without
 * sleeping, a positive timeout ETIMEDOUT, not early. Ready send and receive
 * cases, buffered and unbuffered (against parked plain peers), and a select
 * parked until a plain peer comes; a mixed select commits exactly one of
 * its ready cases, both of them over time, and leaves the others. Closed
 * channels: a receive case drains, then gets 0; a send case gets -EPIPE, as
 * a commit. The same channel twice; a select's own send and receive case on
 * one unbuffered channel never meet, while a plain peer meets either. 64
 * cases (65 is EINVAL), ready or parked on 64 channels at once. Fairness:
 * 2000 selects over two always-ready channels pick each within 5 standard
 * deviations of half. A receive case with a bad or too small buffer gives
 * EFAULT or EMSGSIZE and the message stays, queued or with its parked
 * sender.
 */
#include <poll.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "helpers.h"

#define MSG	64

#define IOC_SIZED(cmd, size) \
	_IOC(_IOC_DIR(cmd), _IOC_TYPE(cmd), _IOC_NR(cmd), (size))

struct chn {
	int idx;
	int fd;		/* O_RDWR */
	unsigned int cap;
};

static struct chn mk(unsigned int cap)
{
	struct chn c = { .cap = cap };

	c.idx = t_chan_new(cap, MSG, 0);
	if (c.idx < 0)
		t_bail("cannot create a channel of capacity %u: %s", cap,
		       strerrorname_np(-c.idx) ?: "?");
	c.fd = t_chan_open(c.idx, O_RDWR);
	if (c.fd < 0)
		t_bail("cannot open %s: %s", t_chan_path(c.idx),
		       strerrorname_np(-c.fd) ?: "?");
	return c;
}

static void rm(struct chn *c)
{
	close(c->fd);
	T_EQ(t_chan_destroy(c->idx, 0), 0, "destroy chan%d", c->idx);
}

/* Queue message @id of @len bytes on a buffered channel. */
static void put(struct chn *c, uint32_t id, unsigned int len)
{
	unsigned char buf[MSG];

	t_fill(buf, len, id);
	T_EQ(t_send(c->fd, buf, len, 0), 0, "queue message %#x (%u bytes) on chan%d", id, len,
	     c->idx);
}

/* A try-receive gets message @id of @len bytes. */
static void expect_next(struct chn *c, uint32_t id, unsigned int len, const char *what)
{
	unsigned char buf[MSG];

	memset(buf, 0, sizeof(buf));
	T_EQ(t_recv(c->fd, buf, sizeof(buf), 0), len,
	     "%s: chan%d's next message has %u bytes", what, c->idx, len);
	T_OK(t_verify(buf, len, id), "%s: ... and is message %#x", what, id);
}

/* A try-receive finds nothing (no message queued, no sender parked). */
static void expect_nothing(struct chn *c, const char *what)
{
	unsigned char buf[MSG];

	T_EQ(t_recv(c->fd, buf, sizeof(buf), 0), -EAGAIN,
	     "%s: a try-receive on chan%d finds nothing", what, c->idx);
}

static void expect_idle(struct chn *c, const char *what)
{
	T_EQ(t_attr(c->idx, "waiting_senders"), 0, "%s: chan%d waiting_senders 0", what, c->idx);
	T_EQ(t_attr(c->idx, "waiting_receivers"), 0, "%s: chan%d waiting_receivers 0", what,
	     c->idx);
}

static long sel_raw(int fd, const void *cases, __u32 ncases, __u32 flags, long long tmo)
{
	struct chan_select s = {
		.cases = (__u64)(uintptr_t)cases, .ncases = ncases, .flags = flags,
		.timeout_ns = tmo,
	};

	return SYS(ioctl(fd, CHAN_IOC_SELECT, &s));
}

static int untouched_results(const struct chan_select_case *cs, unsigned int n, int except)
{
	unsigned int i;
	int bad = 0;

	for (i = 0; i < n; i++)
		if ((int)i != except && cs[i].result != T_SEL_NORESULT)
			bad++;
	return bad;
}

/* ---- argument errors: nothing commits ---- */

static struct {
	struct chn a;		/* capacity 4, holds message 0xa1 */
	struct chn b;		/* capacity 4, empty: room for a send */
	long long a_recv0, b_sent0;
} g;

static void nothing_moved(const struct chan_select_case *cs, unsigned int n, const char *what)
{
	long long alen = t_attr(g.a.idx, "len"), blen = t_attr(g.b.idx, "len");
	long long arecv = t_attr(g.a.idx, "stats/received") - g.a_recv0;
	long long bsent = t_attr(g.b.idx, "stats/sent") - g.b_sent0;
	int written = cs ? untouched_results(cs, n, -1) : 0;

	if (!T_OK(alen == 1 && blen == 0 && arecv == 0 && bsent == 0 && written == 0,
		  "%s: nothing committed", what))
		t_diag("ready chan%d len %lld (want 1), received +%lld; chan%d len %lld (want 0), sent +%lld; %d result fields written",
		       g.a.idx, alen, arecv, g.b.idx, blen, bsent, written);
}

static void expect_err(long got, long want, const struct chan_select_case *cs, unsigned int n,
		       const char *what)
{
	T_EQ(got, want, "%s: %s", what, strerrorname_np((int)-want) ?: "?");
	nothing_moved(cs, n, what);
}

/* The ready receive (0) and send (1) cases, then @bad at @pos (0..2). */
static unsigned int with_ready(struct chan_select_case *cs, const struct chan_select_case *bad,
			       unsigned int pos, void *rbuf, const void *sbuf)
{
	struct chan_select_case ready[2];
	unsigned int i, j = 0;

	t_sel_case(&ready[0], g.a.fd, CHAN_OP_RECV, rbuf, MSG);
	t_sel_case(&ready[1], g.b.fd, CHAN_OP_SEND, sbuf, 8);
	for (i = 0; i < 3; i++)
		cs[i] = i == pos ? *bad : ready[j++];
	return 3;
}

static void test_args(void)
{
	static struct chan_select_case cs[CHAN_SELECT_MAX + 1];
	unsigned char rbuf[MSG], sbuf[MSG + 1], big[32];
	struct chan_select_case bad, good, *ro_cases;
	struct chn d;
	int rdonly, wronly, pfd[2], devnull, closedfd, i;
	unsigned int n, pos;
	unsigned char *pages;
	char what[128];
	long r;

	g.a = mk(4);
	g.b = mk(4);
	put(&g.a, 0xa1, 10);
	g.a_recv0 = t_attr(g.a.idx, "stats/received");
	g.b_sent0 = t_attr(g.b.idx, "stats/sent");
	t_fill(sbuf, sizeof(sbuf), 0xb1);
	rdonly = t_chan_open(g.a.idx, O_RDONLY);
	wronly = t_chan_open(g.b.idx, O_WRONLY);
	if (pipe(pfd) || rdonly < 0 || wronly < 0)
		t_bail("setup: pipe or open failed");
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	closedfd = dup(devnull);
	close(closedfd);

	/* The select struct itself. */
	t_sel_case(&good, g.a.fd, CHAN_OP_RECV, rbuf, MSG);
	n = with_ready(cs, &good, 2, rbuf, sbuf);
	expect_err(sel_raw(g.a.fd, cs, 0, 0, 0), -EINVAL, cs, n, "ncases 0");
	for (i = 0; i < CHAN_SELECT_MAX + 1; i++)
		t_sel_case(&cs[i], g.a.fd, CHAN_OP_RECV, rbuf, MSG);
	expect_err(sel_raw(g.a.fd, cs, CHAN_SELECT_MAX + 1, 0, 0), -EINVAL, cs,
		   CHAN_SELECT_MAX + 1, "65 ready receive cases");
	n = with_ready(cs, &good, 0, rbuf, sbuf);
	expect_err(sel_raw(g.a.fd, cs, n, 1, 0), -EINVAL, cs, n, "flags 1");
	expect_err(sel_raw(g.a.fd, cs, n, 0x80000000u, 0), -EINVAL, cs, n, "flags 0x80000000");
	expect_err(sel_raw(g.a.fd, cs, n, 0, -2), -EINVAL, cs, n, "timeout -2");
	expect_err(sel_raw(g.a.fd, cs, n, 0, LLONG_MIN), -EINVAL, cs, n, "timeout LLONG_MIN");
	expect_err(SYS(ioctl(g.a.fd, CHAN_IOC_SELECT, t_bad_ptr())), -EFAULT, NULL, 0,
		   "struct chan_select at an unmapped address");
	expect_err(sel_raw(g.a.fd, t_bad_ptr(), 1, 0, 0), -EFAULT, NULL, 0,
		   "cases at an unmapped address");
	expect_err(sel_raw(g.a.fd, t_null(), 1, 0, 0), -EFAULT, NULL, 0, "cases NULL");
	{
		struct chan_select s = { .cases = (__u64)(uintptr_t)cs, .ncases = n };

		expect_err(SYS(ioctl(g.a.fd, IOC_SIZED(CHAN_IOC_SELECT, 16), &s)), -EINVAL, cs, n,
			   "a 16-byte struct chan_select (< SIZE_VER0)");
		memset(big, 0, sizeof(big));
		memcpy(big, &s, sizeof(s));
		big[sizeof(s) + 5] = 1;
		expect_err(SYS(ioctl(g.a.fd, IOC_SIZED(CHAN_IOC_SELECT, 32), big)), -E2BIG, cs, n,
			   "a 32-byte struct chan_select with a non-zero tail");
	}

	/* One bad case, before, between or after the ready ones. */
	for (pos = 0; pos < 3; pos += 2) {
		const char *where = pos ? "after" : "before";

		t_sel_case(&bad, g.a.fd, 0, rbuf, MSG);
		n = with_ready(cs, &bad, pos, rbuf, sbuf);
		snprintf(what, sizeof(what), "op 0 %s ready cases", where);
		expect_err(t_select(g.a.fd, cs, n, 0), -EINVAL, cs, n, what);
		bad.op = 3;
		n = with_ready(cs, &bad, pos, rbuf, sbuf);
		snprintf(what, sizeof(what), "op 3 %s ready cases", where);
		expect_err(t_select(g.a.fd, cs, n, 0), -EINVAL, cs, n, what);
		bad.op = 0xffffffffu;
		n = with_ready(cs, &bad, pos, rbuf, sbuf);
		snprintf(what, sizeof(what), "op 0xffffffff %s ready cases", where);
		expect_err(t_select(g.a.fd, cs, n, 0), -EINVAL, cs, n, what);

		t_sel_case(&bad, g.a.fd, CHAN_OP_RECV, rbuf, 0);
		n = with_ready(cs, &bad, pos, rbuf, sbuf);
		snprintf(what, sizeof(what), "a receive case of len 0 %s ready cases", where);
		expect_err(t_select(g.a.fd, cs, n, 0), -EINVAL, cs, n, what);
		t_sel_case(&bad, g.b.fd, CHAN_OP_SEND, sbuf, 0);
		n = with_ready(cs, &bad, pos, rbuf, sbuf);
		snprintf(what, sizeof(what), "a send case of len 0 %s ready cases", where);
		expect_err(t_select(g.a.fd, cs, n, 0), -EINVAL, cs, n, what);

		t_sel_case(&bad, -1, CHAN_OP_RECV, rbuf, MSG);
		n = with_ready(cs, &bad, pos, rbuf, sbuf);
		snprintf(what, sizeof(what), "fd -1 %s ready cases", where);
		expect_err(t_select(g.a.fd, cs, n, 0), -EBADF, cs, n, what);
		t_sel_case(&bad, closedfd, CHAN_OP_RECV, rbuf, MSG);
		n = with_ready(cs, &bad, pos, rbuf, sbuf);
		snprintf(what, sizeof(what), "a closed fd %s ready cases", where);
		expect_err(t_select(g.a.fd, cs, n, 0), -EBADF, cs, n, what);
		t_sel_case(&bad, pfd[0], CHAN_OP_RECV, rbuf, MSG);
		n = with_ready(cs, &bad, pos, rbuf, sbuf);
		snprintf(what, sizeof(what), "receive from a pipe %s ready cases", where);
		expect_err(t_select(g.a.fd, cs, n, 0), -EBADF, cs, n, what);
		t_sel_case(&bad, devnull, CHAN_OP_SEND, sbuf, 8);
		n = with_ready(cs, &bad, pos, rbuf, sbuf);
		snprintf(what, sizeof(what), "send to /dev/null %s ready cases", where);
		expect_err(t_select(g.a.fd, cs, n, 0), -EBADF, cs, n, what);
		t_sel_case(&bad, rdonly, CHAN_OP_SEND, sbuf, 8);
		n = with_ready(cs, &bad, pos, rbuf, sbuf);
		snprintf(what, sizeof(what), "send on an O_RDONLY channel fd %s ready cases", where);
		expect_err(t_select(g.a.fd, cs, n, 0), -EBADF, cs, n, what);
		t_sel_case(&bad, wronly, CHAN_OP_RECV, rbuf, MSG);
		n = with_ready(cs, &bad, pos, rbuf, sbuf);
		snprintf(what, sizeof(what), "receive on an O_WRONLY channel fd %s ready cases",
			 where);
		expect_err(t_select(g.a.fd, cs, n, 0), -EBADF, cs, n, what);

		t_sel_case(&bad, g.b.fd, CHAN_OP_SEND, sbuf, MSG + 1);
		n = with_ready(cs, &bad, pos, rbuf, sbuf);
		snprintf(what, sizeof(what), "a send case longer than msg_size %s ready cases",
			 where);
		expect_err(t_select(g.a.fd, cs, n, 0), -EMSGSIZE, cs, n, what);

		t_sel_case(&bad, g.b.fd, CHAN_OP_SEND, t_bad_ptr(), 8);
		n = with_ready(cs, &bad, pos, rbuf, sbuf);
		snprintf(what, sizeof(what), "a send case from an unmapped buffer %s ready cases",
			 where);
		expect_err(t_select(g.a.fd, cs, n, 0), -EFAULT, cs, n, what);
		t_sel_case(&bad, g.a.fd, CHAN_OP_RECV, t_ro_page(), MSG);
		n = with_ready(cs, &bad, pos, rbuf, sbuf);
		snprintf(what, sizeof(what), "a receive case into a read-only page %s ready cases",
			 where);
		expect_err(t_select(g.a.fd, cs, n, 0), -EFAULT, cs, n, what);
	}

	/* The ready receive case's own buffer is bad: its message stays. */
	t_sel_case(&cs[0], g.a.fd, CHAN_OP_RECV, t_bad_ptr(), MSG);
	expect_err(t_select(-1, cs, 1, 0), -EFAULT, cs, 1,
		   "the only ready receive case into an unmapped buffer");
	pages = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (pages == MAP_FAILED || mprotect(pages + 4096, 4096, PROT_NONE))
		t_bail("mmap/mprotect: %s", strerror(errno));
	t_sel_case(&cs[0], g.a.fd, CHAN_OP_RECV, pages + 4096 - 4, MSG);
	expect_err(t_select(-1, cs, 1, 0), -EFAULT, cs, 1,
		   "a ready receive case whose buffer runs into an unmapped page");
	t_sel_case(&cs[0], g.a.fd, CHAN_OP_RECV, pages, 9);
	expect_err(t_select(-1, cs, 1, 0), -EMSGSIZE, cs, 1,
		   "a ready receive case with 9 bytes for a 10-byte message");
	t_sel_case(&cs[0], g.a.fd, CHAN_OP_RECV, pages, 9);
	t_sel_case(&cs[1], g.b.fd, CHAN_OP_RECV, pages + 100, MSG);
	expect_err(t_select(-1, cs, 2, T_NSEC_PER_SEC), -EMSGSIZE, cs, 2,
		   "the too small case is reported, not skipped, even with a timeout");

	/* The result fields cannot be written: nothing may commit. */
	n = with_ready(cs, &good, 0, rbuf, sbuf);
	memcpy(pages, cs, n * sizeof(*cs));
	ro_cases = (struct chan_select_case *)pages;
	if (mprotect(pages, 4096, PROT_READ))
		t_bail("mprotect: %s", strerror(errno));
	expect_err(t_select(g.a.fd, ro_cases, n, 0), -EFAULT, ro_cases, n,
		   "ready cases in a read-only vector (results not writable)");
	munmap(pages, 8192);

	/* A destroyed channel. */
	d = mk(1);
	T_EQ(t_chan_destroy(d.idx, CHAN_DESTROY_F_FORCE), 0, "force-destroy chan%d, fd kept open",
	     d.idx);
	for (pos = 0; pos < 3; pos += 2) {
		t_sel_case(&bad, d.fd, CHAN_OP_RECV, rbuf, MSG);
		n = with_ready(cs, &bad, pos, rbuf, sbuf);
		snprintf(what, sizeof(what), "a receive case on a destroyed channel %s ready cases",
			 pos ? "after" : "before");
		expect_err(t_select(g.a.fd, cs, n, 0), -ENODEV, cs, n, what);
		t_sel_case(&bad, d.fd, CHAN_OP_SEND, sbuf, 8);
		n = with_ready(cs, &bad, pos, rbuf, sbuf);
		snprintf(what, sizeof(what), "a send case on a destroyed channel %s ready cases",
			 pos ? "after" : "before");
		expect_err(t_select(g.a.fd, cs, n, 0), -ENODEV, cs, n, what);
	}
	close(d.fd);

	/*
	 * Now right: issued on another channel's O_WRONLY fd, a receive case
	 * on an O_RDONLY fd takes the message that all of the above left.
	 */
	memset(rbuf, 0, sizeof(rbuf));
	t_sel_case(&cs[0], rdonly, CHAN_OP_RECV, rbuf, MSG);
	r = t_select(wronly, cs, 1, 0);
	T_EQ(r, 0, "receive case on an O_RDONLY fd, issued on another channel's O_WRONLY fd");
	T_EQ(cs[0].result, 10, "  ... result: the 10 bytes of the message");
	T_OK(t_verify(rbuf, 10, 0xa1), "  ... the message queued before all the refused selects");
	/* And a bigger struct with a zero tail is accepted. */
	t_sel_case(&cs[0], wronly, CHAN_OP_SEND, sbuf, 8);
	{
		struct chan_select s = { .cases = (__u64)(uintptr_t)cs, .ncases = 1 };

		memset(big, 0, sizeof(big));
		memcpy(big, &s, sizeof(s));
		T_EQ(SYS(ioctl(rdonly, IOC_SIZED(CHAN_IOC_SELECT, 32), big)), 0,
		     "a 32-byte struct chan_select with a zero tail: a send case on an O_WRONLY fd commits");
	}
	T_EQ(cs[0].result, 8, "  ... result 8");
	expect_next(&g.b, 0xb1, 8, "after the 32-byte select");

	close(rdonly);
	close(wronly);
	close(pfd[0]);
	close(pfd[1]);
	close(devnull);
	rm(&g.a);
	rm(&g.b);
}

/* ---- default (timeout 0) and timeouts ---- */

static void test_default_and_timeout(void)
{
	struct chn e = mk(2), f = mk(1), u = mk(0);
	struct chan_select_case cs[4];
	unsigned char rb[2][MSG], sb[2][MSG];
	const long long tmo = 300 * T_NSEC_PER_MSEC;
	uint64_t t0, el, best = UINT64_MAX;
	int i, eagain = 0;
	long r;

	put(&f, 0xf1, 5);
	t_fill(sb[0], 7, 0xf2);
	t_fill(sb[1], 7, 0xf3);
	t_sel_case(&cs[0], e.fd, CHAN_OP_RECV, rb[0], MSG);
	t_sel_case(&cs[1], u.fd, CHAN_OP_RECV, rb[1], MSG);
	t_sel_case(&cs[2], f.fd, CHAN_OP_SEND, sb[0], 7);
	t_sel_case(&cs[3], u.fd, CHAN_OP_SEND, sb[1], 7);
	for (i = 0; i < 5; i++) {
		t0 = t_now_ns();
		r = t_select(-1, cs, 4, 0);
		el = t_now_ns() - t0;
		eagain += r == -EAGAIN;
		if (el < best)
			best = el;
	}
	T_EQ(eagain, 5, "timeout 0, nothing ready (empty, full, unbuffered both ways): EAGAIN");
	T_LT(best, 100 * T_NSEC_PER_MSEC, "  ... without sleeping (fastest of 5: %llu us)",
	     (unsigned long long)(best / 1000));
	T_EQ(untouched_results(cs, 4, -1), 0, "  ... no result written");
	expect_idle(&e, "after EAGAIN");
	expect_idle(&f, "after EAGAIN");
	expect_idle(&u, "after EAGAIN");

	t0 = t_now_ns();
	r = t_select(-1, cs, 4, tmo);
	el = t_now_ns() - t0;
	T_EQ(r, -ETIMEDOUT, "timeout 300 ms, nothing ready: ETIMEDOUT");
	T_GE(el, tmo, "  ... not early (%llu ms)", (unsigned long long)(el / T_NSEC_PER_MSEC));
	T_LT(el, T_TIMEOUT_NS, "  ... nor very late");
	T_EQ(untouched_results(cs, 4, -1), 0, "  ... no result written");
	expect_idle(&e, "after ETIMEDOUT");
	expect_idle(&f, "after ETIMEDOUT");
	expect_idle(&u, "after ETIMEDOUT");
	expect_next(&f, 0xf1, 5, "after ETIMEDOUT: only the filler was queued");
	expect_nothing(&f, "after ETIMEDOUT");
	expect_nothing(&u, "after ETIMEDOUT: no send case left parked");
	T_EQ(t_send(u.fd, sb[0], 7, 0), -EAGAIN,
	     "after ETIMEDOUT: a try-send on the unbuffered channel finds no receive case");
	T_EQ(t_attr(e.idx, "stats/sent") + t_attr(u.idx, "stats/sent"), 0,
	     "after ETIMEDOUT: nothing was sent on the empty channels");
	rm(&e);
	rm(&f);
	rm(&u);
}

/* ---- ready cases, and a select parked until a plain peer comes ---- */

static void test_ready(void)
{
	struct chn a = mk(2), u = mk(0);
	struct chan_select_case cs[1];
	unsigned char buf[MSG];
	struct t_sel_op *so;
	struct t_op *op;
	pid_t pid;

	t_fill(buf, 20, 0x5e1);
	t_sel_case(&cs[0], a.fd, CHAN_OP_SEND, buf, 20);
	T_EQ(t_select(-1, cs, 1, 0), 0, "buffered, room: the send case commits (index 0)");
	T_EQ(cs[0].result, 20, "  ... result 20 (bytes sent)");
	T_EQ(t_attr(a.idx, "len"), 1, "  ... the message is queued");
	expect_next(&a, 0x5e1, 20, "send case");

	put(&a, 0x5e2, 33);
	memset(buf, 0, sizeof(buf));
	t_sel_case(&cs[0], a.fd, CHAN_OP_RECV, buf, MSG);
	T_EQ(t_select(-1, cs, 1, CHAN_TIMEOUT_INFINITE), 0,
	     "buffered, a message queued: the receive case commits (untimed)");
	T_EQ(cs[0].result, 33, "  ... result 33 (bytes received)");
	T_OK(t_verify(buf, 33, 0x5e2), "  ... the message");
	T_EQ(t_attr(a.idx, "len"), 0, "  ... taken off the channel");

	/* Unbuffered, against parked plain peers. */
	op = t_op_new(T_OP_RECV, u.idx, O_RDONLY, MSG);
	pid = T_OP_PARK(op, "waiting_receivers", 1);
	t_fill(buf, 17, 0x5e3);
	t_sel_case(&cs[0], u.fd, CHAN_OP_SEND, buf, 17);
	T_EQ(t_select(-1, cs, 1, 0), 0,
	     "unbuffered, a receiver parked: the send case commits with timeout 0");
	T_EQ(cs[0].result, 17, "  ... result 17");
	T_CHILD(pid, T_TIMEOUT_MS, 0, "  ... the receiver returns");
	T_EQ(op->ret, 17, "  ... with 17 bytes");
	T_OK(t_verify(op->buf, 17, 0x5e3), "  ... the select's message");

	op = t_op_new(T_OP_WRITE, u.idx, O_WRONLY, 19);
	t_fill(op->buf, 19, 0x5e4);
	pid = T_OP_PARK(op, "waiting_senders", 1);
	memset(buf, 0, sizeof(buf));
	t_sel_case(&cs[0], u.fd, CHAN_OP_RECV, buf, MSG);
	T_EQ(t_select(-1, cs, 1, 0), 0,
	     "unbuffered, a writer parked: the receive case commits with timeout 0");
	T_EQ(cs[0].result, 19, "  ... result 19");
	T_OK(t_verify(buf, 19, 0x5e4), "  ... the writer's message");
	T_CHILD(pid, T_TIMEOUT_MS, 0, "  ... the writer returns");
	T_EQ(op->ret, 19, "  ... write returned 19");

	/* Parked selects, each met by a plain peer. */
	so = t_sel_op_new(CHAN_TIMEOUT_INFINITE);
	t_sel_op_add(so, u.fd, CHAN_OP_RECV, MSG, 0);
	pid = t_sel_op_start(so);
	T_EQ(t_wait_attr(u.idx, "waiting_receivers", 1, T_TIMEOUT_MS), 0,
	     "unbuffered: an untimed select's receive case parks (waiting_receivers 1)");
	t_fill(buf, 21, 0x5e5);
	T_EQ(t_send(u.fd, buf, 21, T_TIMEOUT_NS), 0, "  ... a plain CHAN_IOC_SEND meets it");
	T_CHILD(pid, T_TIMEOUT_MS, 0, "  ... the select returns");
	T_EQ(so->ret, 0, "  ... index 0");
	T_EQ(so->cases[0].result, 21, "  ... result 21");
	T_OK(t_verify(so->bufs[0], 21, 0x5e5), "  ... the message");

	so = t_sel_op_new(CHAN_TIMEOUT_INFINITE);
	t_sel_op_add(so, u.fd, CHAN_OP_SEND, 23, 0x5e6);
	pid = t_sel_op_start(so);
	T_EQ(t_wait_attr(u.idx, "waiting_senders", 1, T_TIMEOUT_MS), 0,
	     "unbuffered: an untimed select's send case parks (waiting_senders 1)");
	memset(buf, 0, sizeof(buf));
	T_EQ(SYS(read(u.fd, buf, sizeof(buf))), 23, "  ... a plain read meets it: 23 bytes");
	T_OK(t_verify(buf, 23, 0x5e6), "  ... the select's message");
	T_CHILD(pid, T_TIMEOUT_MS, 0, "  ... the select returns");
	T_EQ(so->ret, 0, "  ... index 0");
	T_EQ(so->cases[0].result, 23, "  ... result 23");

	so = t_sel_op_new(CHAN_TIMEOUT_INFINITE);
	t_sel_op_add(so, a.fd, CHAN_OP_RECV, MSG, 0);
	pid = t_sel_op_start(so);
	T_EQ(t_wait_attr(a.idx, "waiting_receivers", 1, T_TIMEOUT_MS), 0,
	     "buffered: an untimed select's receive case parks on the empty channel");
	t_fill(buf, 25, 0x5e7);
	T_EQ(SYS(write(a.fd, buf, 25)), 25, "  ... a plain write");
	T_CHILD(pid, T_TIMEOUT_MS, 0, "  ... the select returns");
	T_EQ(so->ret, 0, "  ... index 0");
	T_EQ(so->cases[0].result, 25, "  ... result 25");
	T_OK(t_verify(so->bufs[0], 25, 0x5e7), "  ... the message");
	T_EQ(t_attr(a.idx, "len"), 0, "  ... which is no longer queued");

	put(&a, 0x5e8, 3);
	put(&a, 0x5e9, 3);
	so = t_sel_op_new(CHAN_TIMEOUT_INFINITE);
	t_sel_op_add(so, a.fd, CHAN_OP_SEND, 27, 0x5ea);
	pid = t_sel_op_start(so);
	T_EQ(t_wait_attr(a.idx, "waiting_senders", 1, T_TIMEOUT_MS), 0,
	     "buffered: an untimed select's send case parks on the full channel");
	expect_next(&a, 0x5e8, 3, "full channel, a plain receive");
	T_CHILD(pid, T_TIMEOUT_MS, 0, "  ... the select returns");
	T_EQ(so->ret, 0, "  ... index 0");
	T_EQ(so->cases[0].result, 27, "  ... result 27");
	expect_next(&a, 0x5e9, 3, "after the parked send case");
	expect_next(&a, 0x5ea, 27, "after the parked send case");
	expect_idle(&a, "ready cases");
	expect_idle(&u, "ready cases");
	rm(&a);
	rm(&u);
}

/* ---- a mixed select: exactly one ready case, either ---- */

static void test_mixed(void)
{
	struct chn full = mk(1), empty = mk(1), room = mk(1), msgs = mk(1), u = mk(0), u2 = mk(0);
	struct chan_select_case cs[6];
	unsigned char rb[3][MSG], sb[3][MSG], buf[MSG];
	int i, n2 = 0, n3 = 0, bad = 0;
	uint32_t msg_id = 0;
	struct t_sel_op *so;
	pid_t pid;
	long r;

	put(&full, 0x3f, 4);
	t_fill(sb[0], 11, 0x30);
	t_fill(sb[1], 12, 0x31);
	t_fill(sb[2], 13, 0x32);
	for (i = 0; i < 40; i++) {
		if (t_attr(msgs.idx, "len") == 0) {
			msg_id = 0x3300 + i;
			t_fill(buf, 14, msg_id);
			if (t_send(msgs.fd, buf, 14, 0))
				bad++;
		}
		memset(rb, 0, sizeof(rb));
		t_sel_case(&cs[0], full.fd, CHAN_OP_SEND, sb[0], 11);
		t_sel_case(&cs[1], empty.fd, CHAN_OP_RECV, rb[0], MSG);
		t_sel_case(&cs[2], room.fd, CHAN_OP_SEND, sb[1], 12);
		t_sel_case(&cs[3], msgs.fd, CHAN_OP_RECV, rb[1], MSG);
		t_sel_case(&cs[4], u.fd, CHAN_OP_SEND, sb[2], 13);
		t_sel_case(&cs[5], u.fd, CHAN_OP_RECV, rb[2], MSG);
		r = t_select(-1, cs, 6, 0);
		if (r == 2 && cs[2].result == 12 && !untouched_results(cs, 6, 2) &&
		    t_attr(msgs.idx, "len") == 1 && t_recv(room.fd, buf, MSG, 0) == 12 &&
		    t_verify(buf, 12, 0x31)) {
			n2++;
		} else if (r == 3 && cs[3].result == 14 && !untouched_results(cs, 6, 3) &&
			   t_attr(room.idx, "len") == 0 && t_verify(rb[1], 14, msg_id)) {
			n3++;
		} else {
			if (bad++ == 0)
				t_diag("select %d: returned %ld, results %d %d %d %d %d %d", i, r,
				       cs[0].result, cs[1].result, cs[2].result, cs[3].result,
				       cs[4].result, cs[5].result);
		}
	}
	T_EQ(bad, 0, "40 selects over 2 ready and 4 unready cases: each commits one ready case only");
	T_GT(n2, 0, "  ... the ready send case was chosen (%d times)", n2);
	T_GT(n3, 0, "  ... the ready receive case was chosen (%d times)", n3);
	T_EQ(t_attr(full.idx, "len"), 1, "  ... the full channel still holds its one message");
	T_EQ(t_attr(empty.idx, "stats/sent") + t_attr(u.idx, "stats/sent"), 0,
	     "  ... nothing went through the unready cases");

	/* Parked on four channels both ways; a plain sender picks one. */
	so = t_sel_op_new(CHAN_TIMEOUT_INFINITE);
	t_sel_op_add(so, full.fd, CHAN_OP_SEND, 15, 0x34);
	t_sel_op_add(so, empty.fd, CHAN_OP_RECV, MSG, 0);
	t_sel_op_add(so, u.fd, CHAN_OP_SEND, 16, 0x35);
	t_sel_op_add(so, u2.fd, CHAN_OP_RECV, MSG, 0);
	pid = t_sel_op_start(so);
	T_EQ(t_wait_attr(full.idx, "waiting_senders", 1, T_TIMEOUT_MS) ||
	     t_wait_attr(empty.idx, "waiting_receivers", 1, T_TIMEOUT_MS) ||
	     t_wait_attr(u.idx, "waiting_senders", 1, T_TIMEOUT_MS) ||
	     t_wait_attr(u2.idx, "waiting_receivers", 1, T_TIMEOUT_MS), 0,
	     "a mixed select parks its 4 cases, each counted on its channel");
	t_fill(buf, 18, 0x36);
	T_EQ(t_send(u2.fd, buf, 18, T_TIMEOUT_NS), 0,
	     "  ... a plain sender on the receive case's unbuffered channel");
	T_CHILD(pid, T_TIMEOUT_MS, 0, "  ... the select returns");
	T_EQ(so->ret, 3, "  ... with that case's index, 3");
	T_EQ(so->cases[3].result, 18, "  ... result 18");
	T_OK(t_verify(so->bufs[3], 18, 0x36), "  ... the message");
	T_EQ(untouched_results(so->cases, 4, 3), 0, "  ... no other case has a result");
	expect_idle(&full, "mixed select done");
	expect_idle(&empty, "mixed select done");
	expect_idle(&u, "mixed select done");
	expect_idle(&u2, "mixed select done");
	expect_nothing(&u, "mixed select done: its send case left nothing behind");
	expect_next(&full, 0x3f, 4, "mixed select done: its send case did not queue");
	T_EQ(t_send(empty.fd, buf, 5, 0), 0, "  ... a send to the channel of its other receive case");
	T_EQ(t_attr(empty.idx, "len"), 1, "  ... stays queued");
	rm(&full);
	rm(&empty);
	rm(&room);
	rm(&msgs);
	rm(&u);
	rm(&u2);
}

/* ---- closed channels ---- */

static void test_closed(void)
{
	struct chn c1 = mk(2), c0 = mk(0), e = mk(1), f = mk(1);
	struct chan_select_case cs[2];
	unsigned char buf[MSG], sb[MSG];

	put(&c1, 0xc1, 9);
	put(&f, 0xc2, 4);
	T_EQ(t_close_chan(c1.fd), 0, "close a buffered channel holding one message");
	T_EQ(t_close_chan(c0.fd), 0, "close an unbuffered channel");
	t_fill(sb, 6, 0xc3);

	memset(buf, 0, sizeof(buf));
	t_sel_case(&cs[0], c1.fd, CHAN_OP_RECV, buf, MSG);
	T_EQ(t_select(-1, cs, 1, 0), 0, "closed, not drained: the receive case commits");
	T_EQ(cs[0].result, 9, "  ... with the queued message");
	T_OK(t_verify(buf, 9, 0xc1), "  ... intact");
	t_sel_case(&cs[0], c1.fd, CHAN_OP_RECV, buf, MSG);
	T_EQ(t_select(-1, cs, 1, 0), 0, "closed and drained: the receive case commits");
	T_EQ(cs[0].result, 0, "  ... with result 0 (end of file)");
	t_sel_case(&cs[0], c1.fd, CHAN_OP_RECV, buf, MSG);
	T_EQ(t_select(-1, cs, 1, CHAN_TIMEOUT_INFINITE), 0,
	     "closed and drained, untimed: commits at once");
	T_EQ(cs[0].result, 0, "  ... result 0");
	t_sel_case(&cs[0], c0.fd, CHAN_OP_RECV, buf, MSG);
	T_EQ(t_select(-1, cs, 1, 0), 0, "closed unbuffered: the receive case commits");
	T_EQ(cs[0].result, 0, "  ... result 0");

	t_sel_case(&cs[0], c1.fd, CHAN_OP_SEND, sb, 6);
	T_EQ(t_select(-1, cs, 1, 0), 0, "closed buffered: the send case commits (index 0)");
	T_EQ(cs[0].result, -EPIPE, "  ... result -EPIPE");
	T_EQ(t_attr(c1.idx, "len"), 0, "  ... nothing queued");
	t_sel_case(&cs[0], c0.fd, CHAN_OP_SEND, sb, 6);
	T_EQ(t_select(-1, cs, 1, CHAN_TIMEOUT_INFINITE), 0,
	     "closed unbuffered, untimed: the send case commits at once");
	T_EQ(cs[0].result, -EPIPE, "  ... result -EPIPE");

	t_sel_case(&cs[0], e.fd, CHAN_OP_RECV, buf, MSG);
	t_sel_case(&cs[1], c0.fd, CHAN_OP_RECV, buf, MSG);
	T_EQ(t_select(-1, cs, 2, 0), 1,
	     "an empty open channel and a closed one: the closed one's receive case is ready");
	T_EQ(cs[1].result, 0, "  ... result 0");
	T_EQ(cs[0].result, T_SEL_NORESULT, "  ... the other case has none");
	t_sel_case(&cs[0], f.fd, CHAN_OP_SEND, sb, 6);
	t_sel_case(&cs[1], c1.fd, CHAN_OP_SEND, sb, 6);
	T_EQ(t_select(-1, cs, 2, 0), 1,
	     "a full open channel and a closed one: the closed one's send case is ready");
	T_EQ(cs[1].result, -EPIPE, "  ... result -EPIPE");
	T_EQ(cs[0].result, T_SEL_NORESULT, "  ... the other case has none");
	expect_next(&f, 0xc2, 4, "the full channel");
	expect_nothing(&f, "the full channel");
	rm(&c1);
	rm(&c0);
	rm(&e);
	rm(&f);
}

/* ---- the same channel twice ---- */

static void test_same_twice(void)
{
	struct chn a = mk(4), u = mk(0);
	struct chan_select_case cs[2];
	unsigned char rb[2][MSG], sb[2][MSG], buf[MSG];
	int i, k, seen[2] = { 0, 0 }, bad = 0;
	struct t_sel_op *so;
	pid_t pid;
	long r;

	for (i = 0; i < 20; i++) {
		t_fill(buf, 12, 0x2200 + i);
		if (t_send(a.fd, buf, 12, 0) && bad++ == 0)
			t_diag("queueing message %d failed", i);
		memset(rb, 0xee, sizeof(rb));
		t_sel_case(&cs[0], a.fd, CHAN_OP_RECV, rb[0], MSG);
		t_sel_case(&cs[1], a.fd, CHAN_OP_RECV, rb[1], MSG);
		r = t_select(-1, cs, 2, 0);
		k = (int)r;
		if ((r == 0 || r == 1) && cs[k].result == 12 && t_verify(rb[k], 12, 0x2200 + i) &&
		    cs[!k].result == T_SEL_NORESULT && rb[!k][0] == 0xee && rb[!k][MSG - 1] == 0xee &&
		    t_attr(a.idx, "len") == 0) {
			seen[k]++;
		} else if (bad++ == 0) {
			t_diag("select %d: returned %ld, results %d %d", i, r, cs[0].result,
			       cs[1].result);
		}
	}
	T_EQ(bad, 0, "20 x one message, two receive cases on its channel: one case gets it, the other nothing");
	T_OK(seen[0] && seen[1], "  ... both cases were chosen (%d, %d)", seen[0], seen[1]);

	put(&a, 0x2301, 5);
	put(&a, 0x2302, 6);
	t_sel_case(&cs[0], a.fd, CHAN_OP_RECV, rb[0], MSG);
	t_sel_case(&cs[1], a.fd, CHAN_OP_RECV, rb[1], MSG);
	r = t_select(-1, cs, 2, 0);
	T_OK(r == 0 || r == 1, "two messages, two receive cases on their channel: one commits (%ld)", r);
	T_EQ(t_attr(a.idx, "len"), 1, "  ... one message taken, one left");
	if (r == 0 || r == 1)
		T_OK(cs[r].result == 5 && t_verify(rb[r], 5, 0x2301), "  ... the first one");
	expect_next(&a, 0x2302, 6, "two receive cases on one channel");

	t_fill(sb[0], 7, 0x2401);
	t_fill(sb[1], 8, 0x2402);
	put(&a, 0x2400, 1);
	put(&a, 0x2400, 1);
	put(&a, 0x2400, 1);
	t_sel_case(&cs[0], a.fd, CHAN_OP_SEND, sb[0], 7);
	t_sel_case(&cs[1], a.fd, CHAN_OP_SEND, sb[1], 8);
	r = t_select(-1, cs, 2, 0);
	T_OK(r == 0 || r == 1, "room for one, two send cases on the channel: one commits (%ld)", r);
	T_EQ(t_attr(a.idx, "len"), 4, "  ... one message queued, the channel is full");
	for (i = 0; i < 3; i++)
		expect_next(&a, 0x2400, 1, "two send cases on one channel: the fillers");
	if (r == 0 || r == 1)
		expect_next(&a, 0x2401 + r, 7 + r, "two send cases on one channel: the committed case's");
	expect_nothing(&a, "two send cases on one channel");

	/* Parked twice on one unbuffered channel. */
	so = t_sel_op_new(CHAN_TIMEOUT_INFINITE);
	t_sel_op_add(so, u.fd, CHAN_OP_RECV, MSG, 0);
	t_sel_op_add(so, u.fd, CHAN_OP_RECV, MSG, 0);
	memset(so->bufs, 0xee, sizeof(so->bufs));
	pid = t_sel_op_start(so);
	T_EQ(t_wait_attr(u.idx, "waiting_receivers", 2, T_TIMEOUT_MS), 0,
	     "a select parks two receive cases on one unbuffered channel (waiting_receivers 2)");
	t_fill(buf, 29, 0x2501);
	T_EQ(t_send(u.fd, buf, 29, T_TIMEOUT_NS), 0, "  ... one plain send");
	T_CHILD(pid, T_TIMEOUT_MS, 0, "  ... the select returns");
	k = so->ret == 1;
	T_OK(so->ret == 0 || so->ret == 1, "  ... with one of the two indexes (%ld)", so->ret);
	T_EQ(so->cases[k].result, 29, "  ... its result 29");
	T_OK(t_verify(so->bufs[k], 29, 0x2501), "  ... the message");
	T_OK(so->cases[!k].result == T_SEL_NORESULT && so->bufs[!k][0] == 0xee,
	     "  ... the other case got nothing");
	expect_idle(&u, "two receive cases on one unbuffered channel");
	T_EQ(t_send(u.fd, buf, 29, 0), -EAGAIN, "  ... a second try-send finds no receiver left");

	so = t_sel_op_new(CHAN_TIMEOUT_INFINITE);
	t_sel_op_add(so, u.fd, CHAN_OP_SEND, 30, 0x2601);
	t_sel_op_add(so, u.fd, CHAN_OP_SEND, 31, 0x2602);
	pid = t_sel_op_start(so);
	T_EQ(t_wait_attr(u.idx, "waiting_senders", 2, T_TIMEOUT_MS), 0,
	     "a select parks two send cases on one unbuffered channel (waiting_senders 2)");
	memset(buf, 0, sizeof(buf));
	r = t_recv(u.fd, buf, sizeof(buf), T_TIMEOUT_NS);
	T_CHILD(pid, T_TIMEOUT_MS, 0, "  ... a plain receive; the select returns");
	k = so->ret == 1;
	T_OK(so->ret == 0 || so->ret == 1, "  ... with one of the two indexes (%ld)", so->ret);
	T_EQ(r, 30 + k, "  ... the receiver got that case's %d bytes", 30 + k);
	T_OK(t_verify(buf, 30 + k, 0x2601 + k), "  ... that case's message");
	T_EQ(so->cases[k].result, 30 + k, "  ... its result");
	T_EQ(so->cases[!k].result, T_SEL_NORESULT, "  ... the other case has none");
	expect_idle(&u, "two send cases on one unbuffered channel");
	expect_nothing(&u, "two send cases on one unbuffered channel: the other one left nothing");
	rm(&a);
	rm(&u);
}

/* ---- a select's own cases never meet ---- */

static short revents(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT };

	return poll(&p, 1, 0) == 1 ? p.revents : 0;
}

static void test_own_cases(void)
{
	const long long tmo = 300 * T_NSEC_PER_MSEC;
	struct chn u = mk(0);
	struct chan_select_case cs[2];
	unsigned char rb[MSG], sb[MSG], buf[MSG];
	struct t_sel_op *so;
	uint64_t t0, el;
	pid_t pid;
	int dir;

	t_fill(sb, 16, 0x0e1);
	memset(rb, 0xee, sizeof(rb));
	t_sel_case(&cs[0], u.fd, CHAN_OP_SEND, sb, 16);
	t_sel_case(&cs[1], u.fd, CHAN_OP_RECV, rb, MSG);
	T_EQ(t_select(-1, cs, 2, 0), -EAGAIN,
	     "send and receive case on one unbuffered channel, timeout 0: EAGAIN");
	t0 = t_now_ns();
	T_EQ(t_select(-1, cs, 2, tmo), -ETIMEDOUT,
	     "send and receive case on one unbuffered channel, 300 ms: they do not meet, ETIMEDOUT");
	el = t_now_ns() - t0;
	T_GE(el, tmo, "  ... after the full timeout (%llu ms)", (unsigned long long)(el / T_NSEC_PER_MSEC));
	T_EQ(rb[0], 0xee, "  ... the receive buffer is untouched");
	T_EQ(t_attr(u.idx, "stats/sent") + t_attr(u.idx, "stats/received"), 0,
	     "  ... stats/sent and stats/received stay 0");
	expect_idle(&u, "own cases timed out");

	/* Parked both ways; a plain peer meets either case. */
	for (dir = 0; dir < 2; dir++) {
		so = t_sel_op_new(T_TIMEOUT_NS / 2);
		t_sel_op_add(so, u.fd, CHAN_OP_SEND, 16, 0x0e2);
		t_sel_op_add(so, u.fd, CHAN_OP_RECV, MSG, 0);
		memset(so->bufs[1], 0xee, T_SEL_BUF);
		pid = t_sel_op_start(so);
		T_EQ(t_wait_attr(u.idx, "waiting_senders", 1, T_TIMEOUT_MS) ||
		     t_wait_attr(u.idx, "waiting_receivers", 1, T_TIMEOUT_MS), 0,
		     "own cases parked on one unbuffered channel: waiting_senders 1, waiting_receivers 1");
		T_EQ(revents(u.fd) & (POLLIN | POLLOUT), POLLIN | POLLOUT,
		     "  ... poll: POLLIN and POLLOUT (a plain peer could meet either)");
		if (dir == 0) {
			memset(buf, 0, sizeof(buf));
			T_EQ(t_recv(u.fd, buf, sizeof(buf), 0), 16,
			     "  ... a plain try-receive meets the send case");
			T_OK(t_verify(buf, 16, 0x0e2), "  ... the select's message");
		} else {
			t_fill(buf, 26, 0x0e3);
			T_EQ(t_send(u.fd, buf, 26, 0), 0, "  ... a plain try-send meets the receive case");
		}
		T_CHILD(pid, T_TIMEOUT_MS, 0, "  ... the select returns");
		T_EQ(so->ret, dir, "  ... with index %d", dir);
		T_LT((long long)(so->t_end - so->t_start), T_TIMEOUT_NS / 2,
		     "  ... before its timeout");
		if (dir == 0) {
			T_EQ(so->cases[0].result, 16, "  ... result 16");
			T_EQ(so->bufs[1][0], 0xee, "  ... its receive case got nothing");
		} else {
			T_EQ(so->cases[1].result, 26, "  ... result 26");
			T_OK(t_verify(so->bufs[1], 26, 0x0e3), "  ... the message");
		}
		T_EQ(so->cases[!dir].result, T_SEL_NORESULT, "  ... the other case has no result");
		expect_idle(&u, "own cases met by a plain peer");
		T_EQ(revents(u.fd) & (POLLIN | POLLOUT), 0, "  ... poll: neither POLLIN nor POLLOUT");
	}
	rm(&u);
}

/* ---- 64 cases ---- */

#define NC CHAN_SELECT_MAX

static void test_64(void)
{
	static unsigned char rb[NC][MSG];
	static struct chan_select_case cs[NC];
	static struct chn c[NC];
	static const int ks[] = { 0, 37, NC - 1 };
	struct t_sel_op *so;
	unsigned char buf[MSG];
	long long left;
	int i, k, bad;
	uint64_t end;
	long r;
	pid_t pid;

	for (i = 0; i < NC; i++)
		c[i] = mk(1);
	for (i = 0; i < NC; i++)
		t_sel_case(&cs[i], c[i].fd, CHAN_OP_RECV, rb[i], MSG);
	T_EQ(t_select(-1, cs, NC, 0), -EAGAIN, "64 receive cases on 64 empty channels: EAGAIN");
	for (i = 0; i < (int)T_ARRAY_SIZE(ks); i++) {
		k = ks[i];
		put(&c[k], 0x6400 + k, 8 + k / 2);
		r = t_select(-1, cs, NC, 0);
		T_EQ(r, k, "64 receive cases, only chan%d (case %d) ready: case %d commits", c[k].idx,
		     k, k);
		T_EQ(cs[k].result, 8 + k / 2, "  ... result %d", 8 + k / 2);
		T_OK(t_verify(rb[k], 8 + k / 2, 0x6400 + k), "  ... the message");
		T_EQ(untouched_results(cs, NC, k), 0, "  ... the 63 others have no result");
		cs[k].result = T_SEL_NORESULT;
	}

	/* 64 cases over 4 channels, 16 each, one channel ready. */
	for (i = 0; i < NC; i++)
		t_sel_case(&cs[i], c[i % 4].fd, CHAN_OP_RECV, rb[i], MSG);
	put(&c[2], 0x6502, 9);
	r = t_select(-1, cs, NC, 0);
	T_OK(r >= 0 && r < NC && r % 4 == 2, "64 cases over 4 channels, one ready: one of its 16 cases commits (%ld)", r);
	if (r >= 0 && r < NC)
		T_OK(cs[r].result == 9 && t_verify(rb[r], 9, 0x6502), "  ... with the message");
	T_EQ(untouched_results(cs, NC, (int)r), 0, "  ... the 63 others have no result");

	/* Parked on 64 channels at once; a plain write on the last one. */
	so = t_sel_op_new(CHAN_TIMEOUT_INFINITE);
	for (i = 0; i < NC; i++)
		t_sel_op_add(so, c[i].fd, CHAN_OP_RECV, MSG, 0);
	pid = t_sel_op_start(so);
	bad = 0;
	end = t_now_ns() + T_TIMEOUT_NS;
	for (i = 0; i < NC; i++) {
		left = (long long)(end - t_now_ns()) / T_NSEC_PER_MSEC;
		bad += t_wait_attr(c[i].idx, "waiting_receivers", 1, left > 0 ? (int)left : 1) != 0;
	}
	T_EQ(bad, 0, "an untimed 64-case select parks on all 64 channels (channels not counting it)");
	T_EQ(so->done, 0, "  ... and waits");
	t_fill(buf, 40, 0x6600);
	T_EQ(SYS(write(c[NC - 1].fd, buf, 40)), 40, "  ... a plain write on the last channel");
	T_CHILD(pid, T_TIMEOUT_MS, 0, "  ... the select returns");
	T_EQ(so->ret, NC - 1, "  ... with index 63");
	T_EQ(so->cases[NC - 1].result, 40, "  ... result 40");
	T_OK(t_verify(so->bufs[NC - 1], 40, 0x6600), "  ... the message");
	T_EQ(untouched_results(so->cases, NC, NC - 1), 0, "  ... no other case has a result");
	bad = 0;
	for (i = 0; i < NC; i++)
		bad += t_attr(c[i].idx, "waiting_receivers") != 0 || t_attr(c[i].idx, "len") != 0;
	T_EQ(bad, 0, "  ... then every channel has waiting_receivers 0 and len 0");

	bad = 0;
	for (i = 0; i < NC; i++) {
		close(c[i].fd);
		bad += t_chan_destroy(c[i].idx, 0) != 0;
	}
	T_EQ(bad, 0, "destroy the 64 channels");
}

/* ---- fairness ---- */

static long isqrt(long v)
{
	long x = v, y = (x + 1) / 2;

	while (y < x) {
		x = y;
		y = (x + v / x) / 2;
	}
	return x;
}

#define FAIR_N 2000

static void test_fairness(void)
{
	struct chn c[2] = { mk(16), mk(16) };
	unsigned char rb[2][MSG], buf[MSG];
	struct chan_select_case cs[2];
	uint32_t next_put[2] = { 0, 0 }, next_get[2] = { 0, 0 };
	int i, j, n[2] = { 0, 0 }, bad = 0;
	long tol, r;

	for (j = 0; j < 2; j++) {
		for (i = 0; i < 2; i++) {
			t_fill(buf, 10, (j << 16) | next_put[j]++);
			bad += t_send(c[j].fd, buf, 10, 0) != 0;
		}
	}
	for (i = 0; i < FAIR_N; i++) {
		t_sel_case(&cs[0], c[0].fd, CHAN_OP_RECV, rb[0], MSG);
		t_sel_case(&cs[1], c[1].fd, CHAN_OP_RECV, rb[1], MSG);
		r = t_select(-1, cs, 2, 0);
		if (r != 0 && r != 1) {
			if (bad++ == 0)
				t_diag("select %d returned %ld", i, r);
			continue;
		}
		j = (int)r;
		n[j]++;
		if (cs[j].result != 10 || !t_verify(rb[j], 10, (j << 16) | next_get[j]) ||
		    cs[!j].result != T_SEL_NORESULT) {
			if (bad++ == 0)
				t_diag("select %d: case %d result %d id %#x, expected %#x", i, j,
				       cs[j].result, t_msg_id(rb[j], 10), (j << 16) | next_get[j]);
		}
		next_get[j]++;
		t_fill(buf, 10, (j << 16) | next_put[j]++);
		bad += t_send(c[j].fd, buf, 10, 0) != 0;
	}
	tol = 5 * isqrt(FAIR_N) / 2;
	t_diag("fairness: %d selects: case 0 %d times, case 1 %d times (tolerance +-%ld)", FAIR_N,
	       n[0], n[1], tol);
	T_EQ(bad, 0, "%d selects over two always-ready channels: each took its channel's next message",
	     FAIR_N);
	T_LE(labs(n[0] - FAIR_N / 2), tol, "  ... case 0 chosen %d times, within 5 sd of %d", n[0],
	     FAIR_N / 2);
	T_EQ(n[0] + n[1], FAIR_N, "  ... every select committed");
	T_EQ(t_attr(c[0].idx, "len") + t_attr(c[1].idx, "len"), 4, "  ... 2 + 2 messages left");
	rm(&c[0]);
	rm(&c[1]);
}

/* ---- a bad or too small receive buffer leaves the message ---- */

static void test_fault_keeps(void)
{
	struct chn a = mk(2), u = mk(0);
	struct chan_select_case cs[2];
	unsigned char buf[MSG];
	struct t_op *op;
	pid_t pid;

	put(&a, 0xef1, 20);
	t_sel_case(&cs[0], a.fd, CHAN_OP_RECV, t_bad_ptr(), MSG);
	T_EQ(t_select(-1, cs, 1, 0), -EFAULT, "buffered: a receive case into an unmapped buffer: EFAULT");
	T_EQ(cs[0].result, T_SEL_NORESULT, "  ... no result");
	T_EQ(t_attr(a.idx, "len"), 1, "  ... the message stays queued");
	t_sel_case(&cs[0], a.fd, CHAN_OP_RECV, buf, 19);
	T_EQ(t_select(-1, cs, 1, T_NSEC_PER_SEC), -EMSGSIZE,
	     "buffered: a 19-byte receive case for a 20-byte message: EMSGSIZE");
	T_EQ(t_attr(a.idx, "len"), 1, "  ... the message stays queued");
	expect_next(&a, 0xef1, 20, "after EFAULT and EMSGSIZE");

	op = t_op_new(T_OP_SEND, u.idx, O_WRONLY, 20);
	t_fill(op->buf, 20, 0xef2);
	pid = T_OP_PARK(op, "waiting_senders", 1);
	t_sel_case(&cs[0], u.fd, CHAN_OP_RECV, t_bad_ptr(), MSG);
	T_EQ(t_select(-1, cs, 1, 0), -EFAULT,
	     "unbuffered, a sender parked: a receive case into an unmapped buffer: EFAULT");
	T_EQ(t_attr(u.idx, "waiting_senders"), 1, "  ... the sender stays parked");
	t_sel_case(&cs[0], u.fd, CHAN_OP_RECV, buf, 19);
	T_EQ(t_select(-1, cs, 1, 0), -EMSGSIZE,
	     "unbuffered, a sender parked: a 19-byte receive case for its 20 bytes: EMSGSIZE");
	T_EQ(t_attr(u.idx, "waiting_senders"), 1, "  ... the sender stays parked");
	T_EQ(op->done, 0, "  ... and has not returned");
	memset(buf, 0, sizeof(buf));
	t_sel_case(&cs[0], u.fd, CHAN_OP_RECV, buf, MSG);
	T_EQ(t_select(-1, cs, 1, 0), 0, "  ... a good receive case then gets the message");
	T_EQ(cs[0].result, 20, "  ... 20 bytes");
	T_OK(t_verify(buf, 20, 0xef2), "  ... intact");
	T_CHILD(pid, T_TIMEOUT_MS, 0, "  ... the sender returns");
	T_EQ(op->ret, 0, "  ... CHAN_IOC_SEND succeeded");

	op = t_op_new(T_OP_RECV, u.idx, O_RDONLY, MSG);
	pid = T_OP_PARK(op, "waiting_receivers", 1);
	t_sel_case(&cs[0], u.fd, CHAN_OP_SEND, t_bad_ptr(), 10);
	T_EQ(t_select(-1, cs, 1, 0), -EFAULT,
	     "unbuffered, a receiver parked: a send case from an unmapped buffer: EFAULT");
	T_EQ(t_attr(u.idx, "waiting_receivers"), 1, "  ... the receiver stays parked");
	T_EQ(op->done, 0, "  ... and has not returned");
	t_fill(buf, 12, 0xef3);
	T_EQ(t_send(u.fd, buf, 12, 0), 0, "  ... a plain send then reaches it");
	T_CHILD(pid, T_TIMEOUT_MS, 0, "  ... the receiver returns");
	T_EQ(op->ret, 12, "  ... with that message");
	T_OK(t_verify(op->buf, 12, 0xef3), "  ... intact");
	expect_idle(&a, "fault keeps");
	expect_idle(&u, "fault keeps");
	rm(&a);
	rm(&u);
}

int main(void)
{
	t_init("select_basic");
	test_args();
	test_default_and_timeout();
	test_ready();
	test_mixed();
	test_closed();
	test_same_twice();
	test_own_cases();
	test_64();
	test_fairness();
	test_fault_keeps();
	return t_done();
}
