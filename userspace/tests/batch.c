// SPDX-License-Identifier: GPL-2.0
/*
 * Description: CHAN_IOC_SEND_BATCH and CHAN_IOC_RECV_BATCH (uapi chan.h,
 * struct chan_batch). The whole vector is checked before anything moves:
 * count 0 or > CHAN_BATCH_MAX, flags, a bad timeout, an element with len 0
 * or a non-zero __reserved (first, middle, last, past the first 32 and at
 * entry 1023 of 1024) give EINVAL, a send element over msg_size EMSGSIZE,
 * an unreadable vector (or, on receive, a read-only one, also one that turns
 * read-only part-way) EFAULT, each with len, stats/sent and stats/received
 * unchanged; EBADF on an fd not open for the direction; the extensible-struct
 * rules (short: EINVAL, long with a non-zero tail: E2BIG). Timeouts: 0 gives
 * EAGAIN, > 0 ETIMEDOUT (never early, also on an O_NONBLOCK fd). Only the
 * first message may wait, the rest move if they can: a batch of 20 into
 * capacity 8 sends 8, a receive batch of 16 with 5 queued gets 5 with each
 * length written back, a buffer too small for message k > 0 ends the batch
 * at k with message k still first (a first buffer too small: EMSGSIZE). A
 * fault part-way loses nothing (a receive batch returns the messages before
 * it and the faulting one stays first; a send batch sends those before it),
 * also past the first 32 entries and on a closed channel; a fault on the
 * first gives EFAULT. Receive buffers that are valid but not yet faulted in
 * do not cut a batch short. count 1024 works. A child parked in a batch
 * (receive or send, buffered and unbuffered) is served by the parent, every
 * message exactly once and in order; a receive batch on a full channel takes
 * a parked sender's message after the queued ones. Signals while the first
 * message waits: EINTR (untimed without SA_RESTART, or timed), restart under
 * SA_RESTART, nothing moved. Closed: send batches get EPIPE, receive batches
 * drain then return 0 every time, parked batches are woken (EPIPE / 0);
 * destroyed: ENODEV, parked batches too. Unbuffered: EAGAIN / ETIMEDOUT with
 * no peer, a send batch moves one message per parked receiver, a receive
 * batch one per parked sender, each exactly once; a bad buffer or a buffer
 * too small for a parked sender's message stops the batch and that peer
 * stays parked. stats/sent and stats/received match what moved and len ends
 * at 0 every time.
 */
#include <sys/mman.h>

#include "helpers.h"

#define MSG	128
#define BIG	1025		/* entries in the shared vectors */
#define KID_MAX	8

static struct chan_iov vec[BIG];
static unsigned char sbuf[BIG][MSG];	/* send sources */
static unsigned char rbuf[BIG][MSG];	/* receive buffers */
static char *straddle;			/* 16 bytes before an unmapped page */

/* ---- calling the ioctls ---- */

static long batch_ex(int fd, unsigned long cmd, const void *v, __u32 count,
		     __u32 flags, long long timeout_ns)
{
	struct chan_batch b = {
		.vec = (__u64)(uintptr_t)v, .count = count, .flags = flags,
		.timeout_ns = timeout_ns,
	};

	return SYS(ioctl(fd, cmd, &b));
}

static long send_batch(int fd, const struct chan_iov *v, __u32 count, long long tmo)
{
	return batch_ex(fd, CHAN_IOC_SEND_BATCH, v, count, 0, tmo);
}

static long recv_batch(int fd, struct chan_iov *v, __u32 count, long long tmo)
{
	return batch_ex(fd, CHAN_IOC_RECV_BATCH, v, count, 0, tmo);
}

/* The ioctl number of batch @nr (0x16 send, 0x17 receive) with struct size @size. */
static unsigned long batch_cmd(unsigned int nr, unsigned int size)
{
	return _IOC(_IOC_WRITE, CHAN_IOC_MAGIC, nr, size);
}

/* Message i of a test: id @base + i, a length that varies with i. */
static __u32 len_of(unsigned int i)
{
	return 4 + (i * 37) % (MSG - 3);	/* 4..MSG: the whole id fits */
}

/* vec[0..n) = send vector of ids base.. with lengths len_of(). */
static void fill_send(struct chan_iov *v, unsigned int n, uint32_t base)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		t_fill(sbuf[i], len_of(i), base + i);
		v[i] = (struct chan_iov){ .buf = (__u64)(uintptr_t)sbuf[i], .len = len_of(i) };
	}
}

/* vec[0..n) = receive vector of rbuf buffers of @len bytes each, cleared. */
static void fill_recv(struct chan_iov *v, unsigned int n, __u32 len)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		memset(rbuf[i], 0, MSG);
		v[i] = (struct chan_iov){ .buf = (__u64)(uintptr_t)rbuf[i], .len = len };
	}
}

/* Queue messages first..first+n-1 (id base + i, len_of(i)) with CHAN_IOC_SEND. */
static int queue_from(int fd, unsigned int first, unsigned int n, uint32_t base)
{
	unsigned char buf[MSG];
	unsigned int i;

	for (i = first; i < first + n; i++) {
		t_fill(buf, len_of(i), base + i);
		if (t_send(fd, buf, len_of(i), 0))
			return -1;
	}
	return 0;
}

static int queue_msgs(int fd, unsigned int n, uint32_t base)
{
	return queue_from(fd, 0, n, base);
}

/*
 * Receive messages first..first+n-1 one by one (timeout 0) and check they
 * come in order and intact: one TAP line.
 */
static void expect_msgs(int fd, unsigned int first, unsigned int n, uint32_t base,
			const char *what)
{
	unsigned char buf[MSG];
	unsigned int i;
	long r = 0;

	for (i = first; i < first + n; i++) {
		memset(buf, 0, sizeof(buf));
		r = t_recv(fd, buf, sizeof(buf), 0);
		if (r != (long)len_of(i) || !t_verify(buf, r, base + i))
			break;
	}
	if (!T_OK(i == first + n, "%s: messages %u..%u received one by one, in order and intact",
		  what, first, first + n - 1))
		t_diag("message %u: got %ld (want %u bytes), id %u (want %u)", i, r, len_of(i),
		       r >= 4 ? t_msg_id(buf, r) : 0, base + i);
}

/* Check that the received batch entries [0,n) are messages first.. of base. */
static void expect_batch(const struct chan_iov *v, unsigned int first, unsigned int n,
			 uint32_t base, const char *what)
{
	unsigned int i, bad = ~0u;

	for (i = 0; i < n; i++) {
		if (v[i].len != len_of(first + i) ||
		    !t_verify((void *)(uintptr_t)v[i].buf, v[i].len, base + first + i)) {
			bad = i;
			break;
		}
	}
	T_OK(bad == ~0u, "%s: vec[0..%u] hold messages %u..%u, lengths written back, intact%s",
	     what, n - 1, first, first + n - 1, bad == ~0u ? "" : " (first bad entry below)");
	if (bad != ~0u)
		t_diag("vec[%u]: len %u (want %u), id %u (want %u)", bad, v[bad].len,
		       len_of(first + bad),
		       t_msg_id((void *)(uintptr_t)v[bad].buf, v[bad].len), base + first + bad);
}

/* ---- sysfs snapshot: "nothing moved" ---- */

struct snap {
	long long len, sent, received;
};

static struct snap snap(int idx)
{
	return (struct snap){
		.len = t_attr(idx, "len"),
		.sent = t_attr(idx, "stats/sent"),
		.received = t_attr(idx, "stats/received"),
	};
}

static void nothing_moved(int idx, struct snap s, const char *what)
{
	struct snap n = snap(idx);

	T_OK(n.len == s.len && n.sent == s.sent && n.received == s.received,
	     "%s: nothing moved (len %lld->%lld, sent %lld->%lld, received %lld->%lld)",
	     what, s.len, n.len, s.sent, n.sent, s.received, n.received);
}

/* stats/sent and stats/received are what the test moved; len is their difference. */
static void expect_stats(int idx, long long sent, long long received, const char *what)
{
	long long s = t_attr(idx, "stats/sent"), r = t_attr(idx, "stats/received");
	long long len = t_attr(idx, "len");

	T_OK(s == sent && r == received && len == sent - received,
	     "%s: stats/sent %lld (want %lld), stats/received %lld (want %lld), len %lld == sent - received",
	     what, s, sent, r, received, len);
}

/* ---- a batch run in a child ---- */

struct kid {
	int idx;
	int fd;			/* use this inherited fd, or open idx if < 0 */
	int oflags;
	int send;
	__u32 count;
	long long timeout_ns;
	uint32_t base;
	int sig;		/* catch this signal with a counting handler */
	int sa_flags;		/* of that handler */
	volatile int handled;
	volatile int done;
	long ret;
	struct chan_iov vec[KID_MAX];
	unsigned char buf[KID_MAX][MSG];
};

static struct kid *kid_cur;

static void kid_handler(int sig)
{
	(void)sig;
	if (kid_cur)
		__atomic_add_fetch(&kid_cur->handled, 1, __ATOMIC_SEQ_CST);
}

static int kid_main(void *arg)
{
	struct kid *k = arg;
	int fd = k->fd >= 0 ? k->fd : t_chan_open(k->idx, k->oflags);
	unsigned int i;

	if (fd < 0) {
		k->ret = fd;
		k->done = 1;
		return 2;
	}
	if (k->sig) {
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = kid_handler;
		sa.sa_flags = k->sa_flags;
		sigemptyset(&sa.sa_mask);
		kid_cur = k;
		sigaction(k->sig, &sa, NULL);
	}
	for (i = 0; i < k->count; i++) {
		if (k->send) {
			t_fill(k->buf[i], len_of(i), k->base + i);
			k->vec[i] = (struct chan_iov){ .buf = (__u64)(uintptr_t)k->buf[i],
						       .len = len_of(i) };
		} else {
			k->vec[i] = (struct chan_iov){ .buf = (__u64)(uintptr_t)k->buf[i],
						       .len = MSG };
		}
	}
	k->ret = k->send ? send_batch(fd, k->vec, k->count, k->timeout_ns) :
		recv_batch(fd, k->vec, k->count, k->timeout_ns);
	__atomic_store_n(&k->done, 1, __ATOMIC_SEQ_CST);
	return 0;
}

static struct kid *kid_new(int idx, bool send, __u32 count, uint32_t base)
{
	struct kid *k = t_shared(sizeof(*k));

	k->idx = idx;
	k->fd = -1;
	k->oflags = send ? O_WRONLY : O_RDONLY;
	k->send = send;
	k->count = count;
	k->timeout_ns = CHAN_TIMEOUT_INFINITE;
	k->base = base;
	k->ret = LONG_MIN;
	return k;
}

/* Start @k and wait until chan @gauge reads @want (the batch is parked). */
static pid_t kid_park(struct kid *k, const char *gauge, long long want)
{
	uint64_t end = t_now_ns() + T_TIMEOUT_NS;
	pid_t pid = t_fork(kid_main, k);
	long long v = LLONG_MIN;

	while (t_now_ns() < end && !__atomic_load_n(&k->done, __ATOMIC_SEQ_CST)) {
		if (t_attr_read(k->idx, gauge, &v) == 0 && v == want)
			break;
		t_sleep_ms(2);
	}
	T_OK(v == want, "child %s batch of %u parks on chan%d (%s %lld, want %lld%s)",
	     k->send ? "SEND" : "RECV", k->count, k->idx, gauge, v, want,
	     k->done ? ", but it returned" : "");
	if (k->done)
		t_diag("the child's batch returned %ld", k->ret);
	return pid;
}

/* ---- tests ---- */

/* count, flags, timeout and vector element checks: EINVAL/EMSGSIZE, nothing moved. */
static void test_invalid(void)
{
	static const struct {
		unsigned int pos, count;
	} where[] = { { 0, 5 }, { 2, 5 }, { 4, 5 }, { 40, 64 }, { 63, 64 }, { 1023, 1024 } };
	static const long long bad_tmo[] = { -2, -1000000000LL, LLONG_MIN };
	int idx = t_chan_new(128, MSG, 0), fd;
	unsigned long cmds[2] = { CHAN_IOC_SEND_BATCH, CHAN_IOC_RECV_BATCH };
	const char *names[2] = { "SEND_BATCH", "RECV_BATCH" };
	struct snap s;
	unsigned int i, c;
	char what[160];

	if (!T_GE(idx, 0, "create a channel of capacity 128, msg_size %d", MSG))
		return;
	fd = t_chan_open(idx, O_RDWR);
	if (!T_GE(fd, 0, "open it O_RDWR"))
		goto out;
	/* 48 queued: a receive batch that moved anything would show. */
	T_EQ(queue_msgs(fd, 48, 5000), 0, "queue 48 messages (80 slots stay free)");
	s = snap(idx);

	for (c = 0; c < 2; c++) {
		bool send = c == 0;

		if (send)
			fill_send(vec, BIG, 0);
		else
			fill_recv(vec, BIG, MSG);
		T_EQ(batch_ex(fd, cmds[c], vec, 0, 0, 0), -EINVAL, "%s count 0: EINVAL", names[c]);
		T_EQ(batch_ex(fd, cmds[c], vec, CHAN_BATCH_MAX + 1, 0, 0), -EINVAL,
		     "%s count %d (CHAN_BATCH_MAX + 1): EINVAL", names[c], CHAN_BATCH_MAX + 1);
		T_EQ(batch_ex(fd, cmds[c], vec, 0xffffffffu, 0, 0), -EINVAL,
		     "%s count 0xffffffff: EINVAL", names[c]);
		T_EQ(batch_ex(fd, cmds[c], vec, 4, 1, 0), -EINVAL, "%s flags 0x1: EINVAL", names[c]);
		T_EQ(batch_ex(fd, cmds[c], vec, 4, 0x80000000u, 0), -EINVAL,
		     "%s flags 0x80000000: EINVAL", names[c]);
		for (i = 0; i < T_ARRAY_SIZE(bad_tmo); i++)
			T_EQ(batch_ex(fd, cmds[c], vec, 4, 0, bad_tmo[i]), -EINVAL,
			     "%s timeout_ns %lld: EINVAL", names[c], bad_tmo[i]);
		snprintf(what, sizeof(what), "%s count/flags/timeout errors", names[c]);
		nothing_moved(idx, s, what);

		for (i = 0; i < T_ARRAY_SIZE(where); i++) {
			unsigned int p = where[i].pos, n = where[i].count;
			struct chan_iov keep = vec[p];

			vec[p].len = 0;
			T_EQ(batch_ex(fd, cmds[c], vec, n, 0, 0), -EINVAL,
			     "%s of %u, vec[%u].len 0: EINVAL", names[c], n, p);
			snprintf(what, sizeof(what), "%s len 0 at %u of %u", names[c], p, n);
			nothing_moved(idx, s, what);
			vec[p] = keep;

			vec[p].__reserved = p & 1 ? 0x80000000u : 1;
			T_EQ(batch_ex(fd, cmds[c], vec, n, 0, 0), -EINVAL,
			     "%s of %u, vec[%u].__reserved %#x: EINVAL", names[c], n, p,
			     vec[p].__reserved);
			snprintf(what, sizeof(what), "%s __reserved at %u of %u", names[c], p, n);
			nothing_moved(idx, s, what);
			vec[p] = keep;

			if (!send)
				continue;
			vec[p].len = p & 1 ? 0xffffffffu : MSG + 1;
			T_EQ(batch_ex(fd, cmds[c], vec, n, 0, 0), -EMSGSIZE,
			     "SEND_BATCH of %u, vec[%u].len %u > msg_size %d: EMSGSIZE", n, p,
			     vec[p].len, MSG);
			snprintf(what, sizeof(what), "SEND_BATCH too long at %u of %u", p, n);
			nothing_moved(idx, s, what);
			vec[p] = keep;
		}
	}

	/* A receive buffer bigger than msg_size is fine (it is a buffer size). */
	fill_recv(vec, 1, MSG);
	{
		static unsigned char big[3 * MSG];

		vec[0].buf = (__u64)(uintptr_t)big;
		vec[0].len = sizeof(big);
		T_EQ(recv_batch(fd, vec, 1, 0), 1, "RECV_BATCH with a buffer of 3 x msg_size: 1");
		T_OK(vec[0].len == len_of(0) && t_verify(big, len_of(0), 5000),
		     "  ... the first queued message, length %u written back (got %u)", len_of(0),
		     vec[0].len);
	}
	expect_msgs(fd, 1, 47, 5000, "drain");
	expect_stats(idx, 48, 48, "after the invalid batches");
	close(fd);
out:
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

/* Unreadable / unwritable vectors: EFAULT before anything moves. */
static void test_bad_vector(void)
{
	int idx = t_chan_new(128, MSG, 0), fd;
	struct chan_iov *rw, *edge;
	struct snap s;
	char *pg;

	if (!T_GE(idx, 0, "create a channel of capacity 128"))
		return;
	fd = t_chan_open(idx, O_RDWR);
	if (!T_GE(fd, 0, "open it O_RDWR"))
		goto out;
	T_EQ(queue_msgs(fd, 48, 6000), 0, "queue 48 messages");
	s = snap(idx);

	T_EQ(batch_ex(fd, CHAN_IOC_SEND_BATCH, t_bad_ptr(), 1, 0, 0), -EFAULT,
	     "SEND_BATCH with an unmapped vector: EFAULT");
	T_EQ(batch_ex(fd, CHAN_IOC_SEND_BATCH, t_null(), 4, 0, 0), -EFAULT,
	     "SEND_BATCH with a NULL vector: EFAULT");
	T_EQ(batch_ex(fd, CHAN_IOC_RECV_BATCH, t_bad_ptr(), 1, 0, 0), -EFAULT,
	     "RECV_BATCH with an unmapped vector: EFAULT");
	T_EQ(batch_ex(fd, CHAN_IOC_RECV_BATCH, t_null(), 4, 0, 0), -EFAULT,
	     "RECV_BATCH with a NULL vector: EFAULT");
	nothing_moved(idx, s, "unmapped vectors");

	/* Two pages: the vector runs from the first into the second. */
	pg = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!T_OK(pg != MAP_FAILED, "mmap two pages for vectors"))
		goto out_fd;
	/* Entry 40 is the first one in the second page. */
	edge = (struct chan_iov *)(pg + 4096) - 40;

	/* Second page unmapped: entries 40.. unreadable. */
	fill_send(edge, 40, 0);
	T_EQ(SYS(mprotect(pg + 4096, 4096, PROT_NONE)), 0, "second page PROT_NONE");
	T_EQ(batch_ex(fd, CHAN_IOC_SEND_BATCH, edge, 64, 0, 0), -EFAULT,
	     "SEND_BATCH of 64 whose entries 40.. are unreadable: EFAULT");
	nothing_moved(idx, s, "SEND_BATCH, vector unreadable from entry 40");
	fill_recv(edge, 40, MSG);
	T_EQ(batch_ex(fd, CHAN_IOC_RECV_BATCH, edge, 64, 0, 0), -EFAULT,
	     "RECV_BATCH of 64 whose entries 40.. are unreadable: EFAULT");
	nothing_moved(idx, s, "RECV_BATCH, vector unreadable from entry 40");

	/* Second page read-only: fine to send from, not to receive into. */
	T_EQ(SYS(mprotect(pg + 4096, 4096, PROT_READ | PROT_WRITE)), 0, "second page RW again");
	fill_recv(edge, 64, MSG);
	T_EQ(SYS(mprotect(pg + 4096, 4096, PROT_READ)), 0, "second page PROT_READ");
	T_EQ(batch_ex(fd, CHAN_IOC_RECV_BATCH, edge, 64, 0, 0), -EFAULT,
	     "RECV_BATCH of 64 whose entries 40.. are read-only: EFAULT");
	nothing_moved(idx, s, "RECV_BATCH, vector read-only from entry 40");
	T_OK(((unsigned char *)(uintptr_t)edge[0].buf)[0] == 0,
	     "  ... and the buffer of entry 0 was not written");

	/* A wholly read-only vector. */
	T_EQ(SYS(mprotect(pg, 8192, PROT_READ | PROT_WRITE)), 0, "both pages RW");
	rw = (struct chan_iov *)pg;
	fill_recv(rw, 4, MSG);
	T_EQ(SYS(mprotect(pg, 8192, PROT_READ)), 0, "both pages PROT_READ");
	T_EQ(batch_ex(fd, CHAN_IOC_RECV_BATCH, rw, 4, 0, 0), -EFAULT,
	     "RECV_BATCH with a read-only vector: EFAULT");
	T_EQ(batch_ex(fd, CHAN_IOC_RECV_BATCH, rw, 1, 0, 0), -EFAULT,
	     "RECV_BATCH of 1 with a read-only vector: EFAULT");
	nothing_moved(idx, s, "RECV_BATCH, read-only vector");
	T_EQ(t_fionread(fd), len_of(0), "  ... the first message is still first (FIONREAD %u)",
	     len_of(0));
	T_EQ(SYS(mprotect(pg, 8192, PROT_READ | PROT_WRITE)), 0, "both pages RW");
	fill_send(rw, 4, 6100);
	T_EQ(SYS(mprotect(pg, 8192, PROT_READ)), 0, "both pages PROT_READ");
	T_EQ(send_batch(fd, rw, 4, 0), 4, "SEND_BATCH with a read-only vector works: 4");
	munmap(pg, 8192);

	expect_msgs(fd, 0, 48, 6000, "drain the 48");
	expect_msgs(fd, 0, 4, 6100, "then the 4 sent from a read-only vector");
	expect_stats(idx, 52, 52, "after the bad vectors");
out_fd:
	close(fd);
out:
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

/* EBADF, and the extensible-struct rules of the ioctl number's size. */
static void test_fd_and_size(void)
{
	static unsigned char arg[4096] __attribute__((aligned(8)));
	int idx = t_chan_new(16, MSG, 0), fd, ro, wo;
	struct chan_batch b;
	unsigned int c, nr;
	const char *name;
	long long sent = 0, recvd = 0;
	struct snap s;

	if (!T_GE(idx, 0, "create a channel of capacity 16"))
		return;
	fd = t_chan_open(idx, O_RDWR);
	ro = t_chan_open(idx, O_RDONLY);
	wo = t_chan_open(idx, O_WRONLY);
	if (!T_OK(fd >= 0 && ro >= 0 && wo >= 0, "open O_RDWR, O_RDONLY, O_WRONLY"))
		goto out;
	T_EQ(queue_msgs(fd, 4, 7000), 0, "queue 4 messages");
	sent = 4;
	s = snap(idx);

	fill_send(vec, 2, 7100);
	T_EQ(send_batch(ro, vec, 2, 0), -EBADF, "SEND_BATCH on an O_RDONLY fd: EBADF");
	fill_recv(vec, 2, MSG);
	T_EQ(recv_batch(wo, vec, 2, 0), -EBADF, "RECV_BATCH on an O_WRONLY fd: EBADF");
	nothing_moved(idx, s, "EBADF");

	for (c = 0; c < 2; c++) {
		nr = c == 0 ? 0x16 : 0x17;
		name = c == 0 ? "SEND_BATCH" : "RECV_BATCH";
		if (c == 0)
			fill_send(vec, 1, 7200);
		else
			fill_recv(vec, 1, MSG);
		b = (struct chan_batch){ .vec = (__u64)(uintptr_t)vec, .count = 1 };
		memset(arg, 0, sizeof(arg));
		memcpy(arg, &b, sizeof(b));

		T_EQ(SYS(ioctl(fd, batch_cmd(nr, 16), arg)), -EINVAL,
		     "%s with struct size 16 (< CHAN_BATCH_SIZE_VER0): EINVAL", name);
		T_EQ(SYS(ioctl(fd, batch_cmd(nr, CHAN_BATCH_SIZE_VER0 - 1), arg)), -EINVAL,
		     "%s with struct size %d: EINVAL", name, CHAN_BATCH_SIZE_VER0 - 1);
		T_EQ(SYS(ioctl(fd, batch_cmd(nr, 0), arg)), -EINVAL,
		     "%s with struct size 0: EINVAL", name);
		arg[CHAN_BATCH_SIZE_VER0] = 1;
		T_EQ(SYS(ioctl(fd, batch_cmd(nr, 32), arg)), -E2BIG,
		     "%s with struct size 32, byte 24 non-zero: E2BIG", name);
		arg[CHAN_BATCH_SIZE_VER0] = 0;
		arg[4095] = 0x80;
		T_EQ(SYS(ioctl(fd, batch_cmd(nr, 4096), arg)), -E2BIG,
		     "%s with struct size 4096, last byte non-zero: E2BIG", name);
		arg[4095] = 0;
		nothing_moved(idx, s, name);

		T_EQ(SYS(ioctl(fd, batch_cmd(nr, 32), arg)), 1,
		     "%s with struct size 32, zero tail: moves 1", name);
		if (c == 1)
			vec[0].len = MSG;	/* the receive wrote the length back */
		T_EQ(SYS(ioctl(fd, batch_cmd(nr, 4096), arg)), 1,
		     "%s with struct size 4096, zero tail: moves 1", name);
		if (c == 0)
			sent += 2;
		else
			recvd += 2;
		expect_stats(idx, sent, recvd, name);
		s = snap(idx);
	}
	/* Left: 7002, 7003, 7200, 7200. */
	expect_msgs(fd, 2, 2, 7000, "drain");
	{
		unsigned char buf[MSG];

		T_EQ(t_recv(fd, buf, sizeof(buf), 0), len_of(0), "then the first batched message");
		T_EQ(t_recv(fd, buf, sizeof(buf), 0), len_of(0), "then the second");
		T_OK(t_verify(buf, len_of(0), 7200), "  ... intact");
	}
	expect_stats(idx, 6, 6, "end");
	close(ro);
	close(wo);
out:
	if (fd >= 0)
		close(fd);
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

/* timeout_ns: 0 tries (EAGAIN), > 0 gives ETIMEDOUT, never early, over O_NONBLOCK. */
static void test_timeouts(void)
{
	const long long tmo = 20 * T_NSEC_PER_MSEC;
	int idx = t_chan_new(2, MSG, 0), fd, nb;
	uint64_t t0, dt;
	struct snap s;

	if (!T_GE(idx, 0, "create a channel of capacity 2"))
		return;
	fd = t_chan_open(idx, O_RDWR);
	nb = t_chan_open(idx, O_RDWR | O_NONBLOCK);
	if (!T_OK(fd >= 0 && nb >= 0, "open it O_RDWR and O_RDWR|O_NONBLOCK"))
		goto out;
	s = snap(idx);
	fill_recv(vec, 4, MSG);
	T_EQ(recv_batch(fd, vec, 4, 0), -EAGAIN, "RECV_BATCH timeout 0 on empty: EAGAIN");
	t0 = t_now_ns();
	T_EQ(recv_batch(fd, vec, 4, tmo), -ETIMEDOUT, "RECV_BATCH timeout 20 ms on empty: ETIMEDOUT");
	dt = t_now_ns() - t0;
	T_GE(dt, tmo, "  ... not early (%llu ns)", (unsigned long long)dt);
	t0 = t_now_ns();
	T_EQ(recv_batch(nb, vec, 4, tmo), -ETIMEDOUT,
	     "RECV_BATCH timeout 20 ms on an O_NONBLOCK fd: ETIMEDOUT (the timeout wins)");
	T_GE(t_now_ns() - t0, tmo, "  ... not early");
	nothing_moved(idx, s, "receive timeouts");

	T_EQ(queue_msgs(fd, 2, 8000), 0, "fill it (2 messages)");
	s = snap(idx);
	fill_send(vec, 4, 8100);
	T_EQ(send_batch(fd, vec, 4, 0), -EAGAIN, "SEND_BATCH timeout 0 on full: EAGAIN");
	t0 = t_now_ns();
	T_EQ(send_batch(fd, vec, 4, tmo), -ETIMEDOUT, "SEND_BATCH timeout 20 ms on full: ETIMEDOUT");
	dt = t_now_ns() - t0;
	T_GE(dt, tmo, "  ... not early (%llu ns)", (unsigned long long)dt);
	t0 = t_now_ns();
	T_EQ(send_batch(nb, vec, 4, tmo), -ETIMEDOUT,
	     "SEND_BATCH timeout 20 ms on an O_NONBLOCK fd: ETIMEDOUT");
	T_GE(t_now_ns() - t0, tmo, "  ... not early");
	nothing_moved(idx, s, "send timeouts");
	expect_msgs(fd, 0, 2, 8000, "drain");
	expect_stats(idx, 2, 2, "end");
out:
	if (fd >= 0)
		close(fd);
	if (nb >= 0)
		close(nb);
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

/* Only the first may wait; the rest move as far as they can. */
static void test_partial(void)
{
	static const __u32 mixed[5] = { 1, 7, 64, 100, 3 };
	int idx = t_chan_new(8, MSG, 0), fd, i, bad;
	long long sent = 0, recvd = 0;
	unsigned char buf[MSG];
	uint64_t t0;

	if (!T_GE(idx, 0, "create a channel of capacity 8, msg_size %d", MSG))
		return;
	fd = t_chan_open(idx, O_RDWR);
	if (!T_GE(fd, 0, "open it"))
		goto out;

	fill_send(vec, 20, 100);
	T_EQ(send_batch(fd, vec, 20, 0), 8, "SEND_BATCH of 20 into empty capacity 8 (timeout 0): 8");
	sent += 8;
	T_EQ(t_attr(idx, "len"), 8, "  ... len 8");
	expect_stats(idx, sent, recvd, "after it");
	T_EQ(send_batch(fd, vec, 20, 0), -EAGAIN, "SEND_BATCH on the full channel, timeout 0: EAGAIN");
	expect_msgs(fd, 0, 8, 100, "the 8");
	recvd += 8;

	/* A long timeout does not make the rest wait. */
	fill_send(vec, 20, 200);
	t0 = t_now_ns();
	T_EQ(send_batch(fd, vec, 20, T_TIMEOUT_NS), 8,
	     "SEND_BATCH of 20, timeout %d ms: 8", T_TIMEOUT_MS);
	T_LT(t_now_ns() - t0, T_TIMEOUT_NS / 2, "  ... without waiting for room for the 9th");
	sent += 8;
	fill_recv(vec, 16, MSG);
	t0 = t_now_ns();
	T_EQ(recv_batch(fd, vec, 16, T_TIMEOUT_NS), 8,
	     "RECV_BATCH of 16 with 8 queued, timeout %d ms: 8", T_TIMEOUT_MS);
	T_LT(t_now_ns() - t0, T_TIMEOUT_NS / 2, "  ... without waiting for a 9th");
	recvd += 8;
	expect_batch(vec, 0, 8, 200, "RECV_BATCH of 16");
	expect_stats(idx, sent, recvd, "after the round trip");

	/* Mixed sizes: lengths written back. */
	for (i = 0; i < 5; i++) {
		t_fill(buf, mixed[i], 300 + i);
		T_EQ(t_send(fd, buf, mixed[i], 0), 0, "queue a %u-byte message", mixed[i]);
	}
	sent += 5;
	fill_recv(vec, 16, MSG);
	T_EQ(recv_batch(fd, vec, 16, 0), 5, "RECV_BATCH of 16 with 5 queued (1, 7, 64, 100, 3 bytes): 5");
	recvd += 5;
	for (i = 0, bad = -1; i < 5; i++)
		if (vec[i].len != mixed[i] || !t_verify(rbuf[i], mixed[i], 300 + i)) {
			bad = i;
			break;
		}
	T_EQ(bad, -1, "  ... vec[i].len is each message's length and the contents are intact");
	if (bad >= 0)
		t_diag("vec[%d].len %u (want %u) id %u", bad, vec[bad].len, mixed[bad],
		       t_msg_id(rbuf[bad], vec[bad].len));
	T_EQ(t_attr(idx, "len"), 0, "  ... len 0");
	T_EQ(recv_batch(fd, vec, 16, 0), -EAGAIN, "RECV_BATCH on empty, timeout 0: EAGAIN");

	/* A buffer too small for message k ends the batch at k. */
	for (i = 0; i < 4; i++) {
		t_fill(buf, 10 * (i + 1), 400 + i);
		T_EQ(t_send(fd, buf, 10 * (i + 1), 0), 0, "queue a %d-byte message", 10 * (i + 1));
	}
	sent += 4;
	fill_recv(vec, 4, 64);
	vec[2].len = 25;
	T_EQ(recv_batch(fd, vec, 4, 0), 2,
	     "RECV_BATCH of 4 (buffers 64, 64, 25, 64) with 10, 20, 30, 40 bytes queued: 2");
	recvd += 2;
	T_OK(vec[0].len == 10 && vec[1].len == 20 && t_verify(rbuf[0], 10, 400) &&
	     t_verify(rbuf[1], 20, 401), "  ... the 10- and 20-byte messages (lens %u, %u)",
	     vec[0].len, vec[1].len);
	T_EQ(t_fionread(fd), 30, "  ... the 30-byte message is still first (FIONREAD)");
	T_EQ(t_attr(idx, "len"), 2, "  ... len 2");
	memset(buf, 0, sizeof(buf));
	T_EQ(t_recv(fd, buf, sizeof(buf), 0), 30, "the next receive gets it");
	T_OK(t_verify(buf, 30, 402), "  ... intact");
	recvd++;

	fill_recv(vec, 4, MSG);
	vec[0].len = 39;
	T_EQ(recv_batch(fd, vec, 4, 0), -EMSGSIZE,
	     "RECV_BATCH whose first buffer (39) is smaller than the 40-byte message: EMSGSIZE");
	T_EQ(t_fionread(fd), 40, "  ... it stays first (FIONREAD 40)");
	T_EQ(t_attr(idx, "len"), 1, "  ... len 1");
	vec[0].len = 40;
	T_EQ(recv_batch(fd, vec, 4, 0), 1, "RECV_BATCH with a 40-byte first buffer: 1");
	T_OK(vec[0].len == 40 && t_verify(rbuf[0], 40, 403), "  ... the 40-byte message, intact");
	recvd++;
	expect_stats(idx, sent, recvd, "end");
	T_EQ(t_attr(idx, "len"), 0, "len is 0 at the end");
	close(fd);
out:
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

/* A bad buffer part-way stops the batch there, losing nothing. */
static void test_faults(void)
{
	int idx = t_chan_new(64, MSG, 0), fd;
	long long sent = 0, recvd = 0;
	struct {
		const char *what;
		void *p;
	} bad[] = {
		{ "an unmapped buffer", t_bad_ptr() },
		{ "a read-only buffer", t_ro_page() },
		{ "a buffer running into an unmapped page", straddle },
	};
	unsigned int i;
	uint32_t base;

	if (!T_GE(idx, 0, "create a channel of capacity 64"))
		return;
	fd = t_chan_open(idx, O_RDWR);
	if (!T_GE(fd, 0, "open it"))
		goto out;

	for (i = 0; i < T_ARRAY_SIZE(bad); i++) {
		base = 1000 + 100 * i;
		T_EQ(queue_msgs(fd, 5, base), 0, "queue 5 messages");
		sent += 5;
		fill_recv(vec, 5, MSG);
		vec[2].buf = (__u64)(uintptr_t)bad[i].p;
		T_EQ(recv_batch(fd, vec, 5, 0), 2, "RECV_BATCH of 5 with vec[2] %s: 2", bad[i].what);
		recvd += 2;
		expect_batch(vec, 0, 2, base, "  ...");
		T_EQ(t_fionread(fd), len_of(2), "  ... message 2 is still first (FIONREAD %u)",
		     len_of(2));
		T_EQ(t_attr(idx, "len"), 3, "  ... len 3");
		expect_stats(idx, sent, recvd, "  ...");
		expect_msgs(fd, 2, 3, base, "  ... then");
		recvd += 3;

		/* Messages 2 and 3: longer than the 16 bytes before the unmapped page. */
		T_EQ(queue_from(fd, 2, 2, base + 50), 0, "queue 2 messages");
		sent += 2;
		fill_recv(vec, 2, MSG);
		vec[0].buf = (__u64)(uintptr_t)bad[i].p;
		T_EQ(recv_batch(fd, vec, 2, 0), -EFAULT, "RECV_BATCH with vec[0] %s: EFAULT",
		     bad[i].what);
		T_EQ(t_fionread(fd), len_of(2), "  ... the message stays first (FIONREAD %u)",
		     len_of(2));
		T_EQ(t_attr(idx, "len"), 2, "  ... len 2");
		expect_msgs(fd, 2, 2, base + 50, "  ... then");
		recvd += 2;
	}

	/* Send side. */
	for (i = 0; i < 2; i++) {
		base = 2000 + 100 * i;
		fill_send(vec, 5, base);
		vec[3].buf = (__u64)(uintptr_t)bad[i == 0 ? 0 : 2].p;
		T_EQ(send_batch(fd, vec, 5, 0), 3, "SEND_BATCH of 5 with vec[3] %s: 3",
		     bad[i == 0 ? 0 : 2].what);
		sent += 3;
		T_EQ(t_attr(idx, "len"), 3, "  ... len 3");
		expect_stats(idx, sent, recvd, "  ...");
		expect_msgs(fd, 0, 3, base, "  ...");
		recvd += 3;
		T_EQ(t_fionread(fd), 0, "  ... and nothing else (FIONREAD 0)");
	}
	fill_send(vec, 3, 2500);
	vec[0].buf = (__u64)(uintptr_t)t_bad_ptr();
	T_EQ(send_batch(fd, vec, 3, 0), -EFAULT, "SEND_BATCH with vec[0] unmapped: EFAULT");
	expect_stats(idx, sent, recvd, "  ... nothing sent");

	/* Past the first 32 entries. */
	T_EQ(queue_msgs(fd, 60, 3000), 0, "queue 60 messages");
	sent += 60;
	fill_recv(vec, 60, MSG);
	vec[40].buf = (__u64)(uintptr_t)t_bad_ptr();
	T_EQ(recv_batch(fd, vec, 60, 0), 40, "RECV_BATCH of 60 with vec[40] unmapped: 40");
	recvd += 40;
	expect_batch(vec, 0, 40, 3000, "  ...");
	T_EQ(t_fionread(fd), len_of(40), "  ... message 40 is still first");
	expect_stats(idx, sent, recvd, "  ...");
	expect_msgs(fd, 40, 20, 3000, "  ... then");
	recvd += 20;
	fill_send(vec, 60, 3100);
	vec[40].buf = (__u64)(uintptr_t)t_bad_ptr();
	T_EQ(send_batch(fd, vec, 60, 0), 40, "SEND_BATCH of 60 with vec[40] unmapped: 40");
	sent += 40;
	expect_msgs(fd, 0, 40, 3100, "  ...");
	recvd += 40;
	T_EQ(t_fionread(fd), 0, "  ... and nothing else");
	expect_stats(idx, sent, recvd, "end");
	close(fd);
out:
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

/*
 * Receive buffers that are mapped but never touched (each in its own fresh
 * page) are valid: faulting them in is no fault of the batch, and every
 * queued message moves.
 */
static void test_fresh_pages(void)
{
	enum { N = 24, SIZE = 4096 };
	static unsigned char src[SIZE];
	int idx = t_chan_new(N, SIZE, 0), fd;
	struct chan_iov v[N];
	unsigned int i, got;
	char *pages;
	long r;

	if (!T_GE(idx, 0, "create a channel of capacity %d, msg_size %d", N, SIZE))
		return;
	fd = t_chan_open(idx, O_RDWR);
	if (!T_GE(fd, 0, "open it"))
		goto out;
	for (i = 0; i < N; i++) {
		t_fill(src, SIZE, 9000 + i);
		if (t_send(fd, src, SIZE, 0))
			break;
	}
	T_EQ(i, N, "queue %d messages of %d bytes", N, SIZE);
	pages = mmap(NULL, (size_t)N * SIZE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!T_OK(pages != MAP_FAILED, "mmap %d fresh pages", N))
		goto out_fd;
	for (i = 0; i < N; i++)
		v[i] = (struct chan_iov){ .buf = (__u64)(uintptr_t)(pages + (size_t)i * SIZE),
					  .len = SIZE };
	r = recv_batch(fd, v, N, 0);
	T_EQ(r, N, "RECV_BATCH of %d, each buffer a never-touched page, %d queued: %d", N, N, N);
	got = r > 0 ? (unsigned int)r : 0;
	for (i = 0; i < got; i++)
		if (v[i].len != SIZE || !t_verify(pages + (size_t)i * SIZE, SIZE, 9000 + i))
			break;
	T_EQ(i, got, "  ... the %u it returned are messages 0..%u, intact", got, got - 1);
	T_EQ(t_attr(idx, "len"), N - got, "  ... len is %d - %u", N, got);
	for (i = got; i < N; i++) {
		memset(src, 0, sizeof(src));
		if (t_recv(fd, src, SIZE, 0) != SIZE || !t_verify(src, SIZE, 9000 + i))
			break;
	}
	T_EQ(i, N, "  ... the others (if any) are still queued, in order");
	munmap(pages, (size_t)N * SIZE);
	expect_stats(idx, N, N, "end");
out_fd:
	close(fd);
out:
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

/* CHAN_BATCH_MAX in one call. */
static void test_max(void)
{
	static unsigned char small[CHAN_BATCH_MAX][8];
	static unsigned char out8[CHAN_BATCH_MAX][8];
	int idx = t_chan_new(CHAN_BATCH_MAX, 8, 0), fd;
	unsigned int i, bad = ~0u;

	if (!T_GE(idx, 0, "create a channel of capacity %d, msg_size 8", CHAN_BATCH_MAX))
		return;
	fd = t_chan_open(idx, O_RDWR);
	if (!T_GE(fd, 0, "open it"))
		goto out;
	for (i = 0; i < CHAN_BATCH_MAX; i++) {
		t_fill(small[i], 1 + i % 8, 50000 + i);
		vec[i] = (struct chan_iov){ .buf = (__u64)(uintptr_t)small[i], .len = 1 + i % 8 };
	}
	T_EQ(send_batch(fd, vec, CHAN_BATCH_MAX, 0), CHAN_BATCH_MAX,
	     "SEND_BATCH of %d: %d", CHAN_BATCH_MAX, CHAN_BATCH_MAX);
	T_EQ(t_attr(idx, "len"), CHAN_BATCH_MAX, "  ... len %d", CHAN_BATCH_MAX);
	T_EQ(send_batch(fd, vec, 1, 0), -EAGAIN, "one more: EAGAIN (full)");
	T_EQ(send_batch(fd, vec, CHAN_BATCH_MAX + 1, 0), -EINVAL, "SEND_BATCH of %d: EINVAL",
	     CHAN_BATCH_MAX + 1);
	for (i = 0; i < CHAN_BATCH_MAX; i++)
		vec[i] = (struct chan_iov){ .buf = (__u64)(uintptr_t)out8[i], .len = 8 };
	vec[CHAN_BATCH_MAX] = vec[0];
	T_EQ(recv_batch(fd, vec, CHAN_BATCH_MAX + 1, 0), -EINVAL, "RECV_BATCH of %d: EINVAL",
	     CHAN_BATCH_MAX + 1);
	T_EQ(t_attr(idx, "len"), CHAN_BATCH_MAX, "  ... len still %d", CHAN_BATCH_MAX);
	T_EQ(recv_batch(fd, vec, CHAN_BATCH_MAX, 0), CHAN_BATCH_MAX,
	     "RECV_BATCH of %d: %d", CHAN_BATCH_MAX, CHAN_BATCH_MAX);
	for (i = 0; i < CHAN_BATCH_MAX; i++)
		if (vec[i].len != 1 + i % 8 || !t_verify(out8[i], 1 + i % 8, 50000 + i)) {
			bad = i;
			break;
		}
	T_EQ(bad, ~0u, "  ... all %d in order with their lengths", CHAN_BATCH_MAX);
	expect_stats(idx, CHAN_BATCH_MAX, CHAN_BATCH_MAX, "end");
	close(fd);
out:
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

/* The first message may wait: a parked batch in a child, served by the parent. */
static void test_first_waits(unsigned int cap)
{
	int idx = t_chan_new(cap, MSG, 0), fd;
	long long sent = 0, recvd = 0;
	struct kid *k;
	long r;
	pid_t pid;

	if (!T_GE(idx, 0, "create a channel of capacity %u", cap))
		return;
	fd = t_chan_open(idx, O_RDWR);
	if (!T_GE(fd, 0, "open it"))
		goto out;

	/* A receive batch parked on empty. */
	k = kid_new(idx, false, 8, 0);
	pid = kid_park(k, "waiting_receivers", 1);
	fill_send(vec, 3, 600);
	r = send_batch(fd, vec, 3, cap ? 0 : T_TIMEOUT_NS);
	if (cap)
		T_EQ(r, 3, "cap %u: SEND_BATCH of 3 to the parked receiver: 3", cap);
	else
		T_OK(r >= 1 && r <= 3, "cap 0: SEND_BATCH of 3 to one parked receiver moves 1..3 (%ld)", r);
	T_CHILD(pid, T_TIMEOUT_MS, 0, "cap %u: the child's RECV_BATCH returns", cap);
	T_OK(k->ret >= 1 && k->ret <= 3, "cap %u: it got 1..3 messages (%ld)", cap, k->ret);
	if (!cap)
		T_EQ(k->ret, r, "cap 0: exactly the ones the send batch moved");
	if (k->ret >= 1 && k->ret <= 3) {
		expect_batch(k->vec, 0, k->ret, 600, "  ... the child's");
		if (cap)
			expect_msgs(fd, k->ret, 3 - k->ret, 600, "  ... the rest");
	}
	T_EQ(t_recv(fd, k->buf[0], MSG, 0), -EAGAIN, "cap %u: nothing else to receive", cap);
	sent += r > 0 ? r : 0;
	recvd += r > 0 ? r : 0;
	expect_stats(idx, sent, recvd, "  ... each moved message received exactly once");

	/* A send batch parked on full (cap 0: with no receiver). */
	if (cap) {
		T_EQ(queue_msgs(fd, cap, 700), 0, "fill to %u", cap);
		sent += cap;
	}
	k = kid_new(idx, true, 3, 800);
	pid = kid_park(k, "waiting_senders", 1);
	fill_recv(vec, 4, MSG);
	if (cap) {
		T_EQ(t_recv(fd, rbuf[0], MSG, 0), len_of(0), "cap %u: receive one, making room", cap);
		recvd++;
	} else {
		r = recv_batch(fd, vec, 4, 0);
		T_OK(r >= 1 && r <= 3, "cap 0: RECV_BATCH of 4, timeout 0, from the parked batch: 1..3 (%ld)",
		     r);
		if (r >= 1 && r <= 3)
			expect_batch(vec, 0, r, 800, "  ...");
	}
	T_CHILD(pid, T_TIMEOUT_MS, 0, "cap %u: the child's SEND_BATCH returns", cap);
	T_OK(k->ret >= 1 && k->ret <= 3, "cap %u: it sent 1..3 (%ld)", cap, k->ret);
	if (cap) {
		sent += k->ret;
		expect_msgs(fd, 1, cap - 1, 700, "  ... the queue");
		recvd += cap - 1;
		if (k->ret >= 1 && k->ret <= 3) {
			expect_msgs(fd, 0, k->ret, 800, "  ... then the child's");
			recvd += k->ret;
		}
	} else {
		T_EQ(k->ret, r, "cap 0: as many as the receive batch got");
		sent += r > 0 ? r : 0;
		recvd += r > 0 ? r : 0;
	}
	T_EQ(t_recv(fd, rbuf[0], MSG, 0), -EAGAIN, "cap %u: nothing else", cap);
	expect_stats(idx, sent, recvd, "end");
	close(fd);
out:
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

/*
 * A receive batch on a full channel with a sender parked: the parked
 * sender's message comes after the queued ones, exactly once.
 */
static void test_parked_sender_order(void)
{
	int idx = t_chan_new(2, MSG, 0), fd;
	struct t_op *op;
	long r;
	pid_t pid;

	if (!T_GE(idx, 0, "create a channel of capacity 2"))
		return;
	fd = t_chan_open(idx, O_RDWR);
	if (!T_GE(fd, 0, "open it"))
		goto out;
	T_EQ(queue_msgs(fd, 2, 2400), 0, "fill it");
	op = t_op_new(T_OP_WRITE, idx, O_WRONLY, len_of(2));
	t_fill(op->buf, len_of(2), 2402);
	pid = T_OP_PARK(op, "waiting_senders", 1);
	fill_recv(vec, 8, MSG);
	r = recv_batch(fd, vec, 8, 0);
	T_OK(r == 2 || r == 3, "RECV_BATCH of 8 on full capacity 2, a sender parked: 2 or 3 (%ld)", r);
	if (r == 2 || r == 3)
		expect_batch(vec, 0, r, 2400, "  ...");
	T_CHILD(pid, T_TIMEOUT_MS, 0, "the sender returns");
	T_EQ(op->ret, len_of(2), "  ... its write succeeded");
	if (r == 2)
		expect_msgs(fd, 2, 1, 2400, "  ... its message is next");
	expect_stats(idx, 3, 3, "end");

	/* Closed, a fault part-way: nothing lost, end of file only after. */
	T_EQ(queue_msgs(fd, 2, 2500), 0, "queue 2");
	T_EQ(t_close_chan(fd), 0, "CHAN_IOC_CLOSE");
	fill_recv(vec, 2, MSG);
	vec[1].buf = (__u64)(uintptr_t)t_bad_ptr();
	T_EQ(recv_batch(fd, vec, 2, 0), 1, "closed: RECV_BATCH of 2, vec[1] unmapped: 1");
	fill_recv(vec, 2, MSG);
	T_EQ(recv_batch(fd, vec, 2, 0), 1, "closed: the next RECV_BATCH gets the other one");
	T_OK(vec[0].len == len_of(1) && t_verify(rbuf[0], len_of(1), 2501), "  ... message 1, intact");
	T_EQ(recv_batch(fd, vec, 2, 0), 0, "closed: then 0");
	expect_stats(idx, 5, 5, "end");
	close(fd);
out:
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

/*
 * Signals while the first message waits: EINTR without SA_RESTART and for a
 * timed wait; an untimed wait restarts under SA_RESTART. Nothing moves.
 */
static void test_signals(void)
{
	static const struct {
		bool send;
		int sa_flags;
		long long tmo;
		long want;
		const char *what;
	} cases[] = {
		{ false, 0, CHAN_TIMEOUT_INFINITE, -EINTR, "RECV_BATCH, timeout -1, no SA_RESTART" },
		{ false, SA_RESTART, T_TIMEOUT_NS, -EINTR, "RECV_BATCH, timeout 10 s, SA_RESTART" },
		{ true, 0, CHAN_TIMEOUT_INFINITE, -EINTR, "SEND_BATCH, timeout -1, no SA_RESTART" },
		{ true, SA_RESTART, T_TIMEOUT_NS, -EINTR, "SEND_BATCH, timeout 10 s, SA_RESTART" },
		{ false, SA_RESTART, CHAN_TIMEOUT_INFINITE, 0, "RECV_BATCH, timeout -1, SA_RESTART" },
		{ true, SA_RESTART, CHAN_TIMEOUT_INFINITE, 0, "SEND_BATCH, timeout -1, SA_RESTART" },
	};
	int idx = t_chan_new(1, MSG, 0), fd;
	long long sent = 0, recvd = 0;
	const char *gauge;
	unsigned int i;
	uint64_t end;
	struct kid *k;
	struct snap s;
	pid_t pid;

	if (!T_GE(idx, 0, "create a channel of capacity 1"))
		return;
	fd = t_chan_open(idx, O_RDWR);
	if (!T_GE(fd, 0, "open it"))
		goto out;
	for (i = 0; i < T_ARRAY_SIZE(cases); i++) {
		if (cases[i].send) {
			T_EQ(queue_msgs(fd, 1, 2600 + 10 * i), 0, "fill it");
			sent++;
		}
		gauge = cases[i].send ? "waiting_senders" : "waiting_receivers";
		s = snap(idx);
		k = kid_new(idx, cases[i].send, 3, 2700 + 10 * i);
		k->timeout_ns = cases[i].tmo;
		k->sig = SIGUSR1;
		k->sa_flags = cases[i].sa_flags;
		pid = kid_park(k, gauge, 1);
		kill(pid, SIGUSR1);
		if (cases[i].want) {
			T_CHILD(pid, T_TIMEOUT_MS, 0, "%s: the parked batch returns on a signal",
				cases[i].what);
			T_EQ(k->ret, cases[i].want, "  ... with EINTR");
			T_EQ(k->handled, 1, "  ... the handler ran once");
			nothing_moved(idx, s, cases[i].what);
		} else {
			end = t_now_ns() + T_TIMEOUT_NS;
			while (!k->handled && t_now_ns() < end)
				t_sleep_ms(1);
			T_EQ(k->handled, 1, "%s: the handler ran", cases[i].what);
			T_EQ(t_wait_attr(idx, gauge, 1, T_TIMEOUT_MS), 0, "  ... and the batch parks again");
			T_EQ(k->done, 0, "  ... it has not returned");
			if (cases[i].send) {
				T_EQ(t_recv(fd, rbuf[0], MSG, T_TIMEOUT_NS), len_of(0), "receive one");
				recvd++;
			} else {
				fill_send(vec, 1, 2800);
				T_EQ(send_batch(fd, vec, 1, 0), 1, "SEND_BATCH of 1: 1");
				sent++;
			}
			T_CHILD(pid, T_TIMEOUT_MS, 0, "  ... then the restarted batch returns");
			T_EQ(k->ret, 1, "  ... with 1");
			if (cases[i].send)
				sent++;
			else
				recvd++;
		}
		/* Left: the message that filled it, or the restarted sender's. */
		if (sent > recvd) {
			expect_msgs(fd, 0, sent - recvd, (cases[i].want ? 2600 : 2700) + 10 * i,
				    "  ... drain");
			recvd = sent;
		}
		expect_stats(idx, sent, recvd, cases[i].what);
	}
	close(fd);
out:
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

/* Run a batch with timeout -1 in a child on @fd, bounded; its result. */
static long kid_run(int fd, int idx, bool send, uint32_t base, const char *what)
{
	struct kid *k = kid_new(idx, send, 4, base);
	pid_t pid;

	k->fd = fd;
	pid = t_fork(kid_main, k);
	T_CHILD(pid, T_TIMEOUT_MS, 0, "%s returns (in a child, bounded)", what);
	return k->ret;
}

/* Closed: EPIPE for send batches, drain then 0 for receive batches. Destroyed: ENODEV. */
static void test_closed(void)
{
	int idx = t_chan_new(8, MSG, 0), fd, i;
	struct kid *k;
	pid_t pid;

	if (!T_GE(idx, 0, "create a channel of capacity 8"))
		return;
	fd = t_chan_open(idx, O_RDWR);
	if (!T_GE(fd, 0, "open it"))
		goto out;
	T_EQ(queue_msgs(fd, 3, 1100), 0, "queue 3");
	T_EQ(t_close_chan(fd), 0, "CHAN_IOC_CLOSE");
	fill_send(vec, 2, 1200);
	T_EQ(send_batch(fd, vec, 2, 0), -EPIPE, "SEND_BATCH on closed, timeout 0: EPIPE");
	T_EQ(send_batch(fd, vec, 2, T_TIMEOUT_NS), -EPIPE,
	     "SEND_BATCH on closed, timeout %d ms: EPIPE", T_TIMEOUT_MS);
	T_EQ(kid_run(fd, idx, true, 1200, "SEND_BATCH on closed, timeout -1,"), -EPIPE,
	     "  ... with EPIPE");
	fill_recv(vec, 8, MSG);
	T_EQ(recv_batch(fd, vec, 8, 0), 3, "RECV_BATCH of 8 on closed with 3 queued: 3");
	expect_batch(vec, 0, 3, 1100, "  ...");
	for (i = 0; i < 3; i++)
		T_EQ(recv_batch(fd, vec, 8, 0), 0,
		     "RECV_BATCH on closed and drained, timeout 0: 0 (#%d)", i + 1);
	T_EQ(recv_batch(fd, vec, 8, T_TIMEOUT_NS), 0,
	     "RECV_BATCH on closed and drained, timeout %d ms: 0", T_TIMEOUT_MS);
	T_EQ(kid_run(fd, idx, false, 0, "RECV_BATCH on closed and drained, timeout -1,"), 0,
	     "  ... with 0");
	expect_stats(idx, 3, 3, "closed");
	close(fd);
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);

	/* Close wakes parked batches. */
	idx = t_chan_new(1, MSG, 0);
	if (!T_GE(idx, 0, "create a channel of capacity 1"))
		return;
	fd = t_chan_open(idx, O_RDWR);
	if (!T_GE(fd, 0, "open it"))
		goto out;
	k = kid_new(idx, false, 4, 0);
	pid = kid_park(k, "waiting_receivers", 1);
	T_EQ(t_close_chan(fd), 0, "CHAN_IOC_CLOSE with a RECV_BATCH parked");
	T_CHILD(pid, T_TIMEOUT_MS, 0, "the parked RECV_BATCH returns");
	T_EQ(k->ret, 0, "  ... with 0 (end of file)");
	close(fd);
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);

	idx = t_chan_new(1, MSG, 0);
	if (!T_GE(idx, 0, "create a channel of capacity 1"))
		return;
	fd = t_chan_open(idx, O_RDWR);
	if (!T_GE(fd, 0, "open it"))
		goto out;
	T_EQ(queue_msgs(fd, 1, 1300), 0, "fill it");
	k = kid_new(idx, true, 3, 1400);
	pid = kid_park(k, "waiting_senders", 1);
	T_EQ(t_close_chan(fd), 0, "CHAN_IOC_CLOSE with a SEND_BATCH parked");
	T_CHILD(pid, T_TIMEOUT_MS, 0, "the parked SEND_BATCH returns");
	T_EQ(k->ret, -EPIPE, "  ... with EPIPE");
	fill_recv(vec, 4, MSG);
	T_EQ(recv_batch(fd, vec, 4, 0), 1, "RECV_BATCH drains the one queued message");
	expect_batch(vec, 0, 1, 1300, "  ...");
	T_EQ(recv_batch(fd, vec, 4, 0), 0, "then 0");
	expect_stats(idx, 1, 1, "the parked sender's messages were not sent");
	close(fd);
out:
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

static void test_destroyed(unsigned int cap)
{
	int idx = t_chan_new(cap, MSG, 0), fd;
	struct kid *k;
	pid_t pid;

	if (!T_GE(idx, 0, "create a channel of capacity %u", cap))
		return;
	fd = t_chan_open(idx, O_RDWR);
	if (!T_GE(fd, 0, "open it")) {
		T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
		return;
	}
	if (cap) {
		T_EQ(queue_msgs(fd, cap, 1500), 0, "cap %u: fill it", cap);
		k = kid_new(idx, true, 3, 1600);
		pid = kid_park(k, "waiting_senders", 1);
	} else {
		k = kid_new(idx, false, 3, 0);
		pid = kid_park(k, "waiting_receivers", 1);
	}
	T_EQ(t_chan_destroy(idx, CHAN_DESTROY_F_FORCE), 0,
	     "cap %u: CHAN_CTL_DESTROY FORCE with the fd open and a %s parked", cap,
	     cap ? "SEND_BATCH" : "RECV_BATCH");
	T_CHILD(pid, T_TIMEOUT_MS, 0, "cap %u: the parked batch returns", cap);
	T_EQ(k->ret, -ENODEV, "  ... with ENODEV");
	fill_send(vec, 2, 1700);
	T_EQ(send_batch(fd, vec, 2, 0), -ENODEV, "cap %u: SEND_BATCH on destroyed: ENODEV", cap);
	T_EQ(send_batch(fd, vec, 2, T_TIMEOUT_NS), -ENODEV,
	     "cap %u: SEND_BATCH on destroyed, timeout %d ms: ENODEV", cap, T_TIMEOUT_MS);
	fill_recv(vec, 2, MSG);
	T_EQ(recv_batch(fd, vec, 2, 0), -ENODEV, "cap %u: RECV_BATCH on destroyed%s: ENODEV", cap,
	     cap ? " (a message was queued)" : "");
	T_EQ(kid_run(fd, idx, false, 0, "RECV_BATCH on destroyed, timeout -1,"), -ENODEV,
	     "  ... with ENODEV");
	T_EQ(kid_run(fd, idx, true, 1800, "SEND_BATCH on destroyed, timeout -1,"), -ENODEV,
	     "  ... with ENODEV");
	close(fd);
}

/*
 * cap 0: a batch stops at a bad buffer or a buffer too small for the parked
 * peer's message; that peer stays parked and loses nothing.
 */
static void unbuffered_stops(int idx, int fd)
{
	struct t_op *ops[3];
	pid_t pids[3];
	bool seen[3] = { false, false, false };
	bool once = true;
	long long sent0 = t_attr(idx, "stats/sent");
	uint32_t id;
	long r;
	int i;

	/* RECV_BATCH, vec[1] unmapped, 3 senders parked. */
	for (i = 0; i < 3; i++) {
		ops[i] = t_op_new(T_OP_WRITE, idx, O_WRONLY, len_of(i));
		t_fill(ops[i]->buf, len_of(i), 2100 + i);
		pids[i] = T_OP_PARK(ops[i], "waiting_senders", i + 1);
	}
	fill_recv(vec, 3, MSG);
	vec[1].buf = (__u64)(uintptr_t)t_bad_ptr();
	T_EQ(recv_batch(fd, vec, 3, 0), 1, "cap 0: RECV_BATCH of 3, vec[1] unmapped, 3 senders parked: 1");
	T_EQ(t_wait_attr(idx, "waiting_senders", 2, T_TIMEOUT_MS), 0,
	     "  ... the other 2 senders are (still or again) parked");
	for (i = 1; i < 3; i++) {
		memset(rbuf[i], 0, MSG);
		vec[i] = (struct chan_iov){ .buf = (__u64)(uintptr_t)rbuf[i], .len = MSG };
	}
	T_EQ(recv_batch(fd, vec + 1, 2, 0), 2, "cap 0: a good RECV_BATCH of 2 then gets 2");
	for (i = 0; i < 3; i++) {
		id = t_msg_id(rbuf[i], 4) - 2100;
		if (id < 3 && vec[i].len == len_of(id) && t_verify(rbuf[i], vec[i].len, 2100 + id)) {
			once &= !seen[id];
			seen[id] = true;
		} else {
			once = false;
		}
	}
	T_OK(once && seen[0] && seen[1] && seen[2], "  ... each sender's message exactly once, intact");
	for (i = 0; i < 3; i++) {
		T_CHILD(pids[i], T_TIMEOUT_MS, 0, "sender %d returns", i);
		T_EQ(ops[i]->ret, len_of(i), "  ... its write returned %u", len_of(i));
	}

	/* RECV_BATCH, vec[1] too small, 2 senders of 78 bytes parked. */
	for (i = 0; i < 2; i++) {
		ops[i] = t_op_new(T_OP_WRITE, idx, O_WRONLY, 78);
		t_fill(ops[i]->buf, 78, 2200 + i);
		pids[i] = T_OP_PARK(ops[i], "waiting_senders", i + 1);
	}
	fill_recv(vec, 2, MSG);
	vec[1].len = 50;
	T_EQ(recv_batch(fd, vec, 2, 0), 1,
	     "cap 0: RECV_BATCH of 2, vec[1] 50 bytes, 2 senders of 78 parked: 1");
	T_EQ(t_attr(idx, "waiting_senders"), 1, "  ... the other sender stays parked");
	T_EQ(t_fionread(fd), 78, "  ... FIONREAD 78");
	memset(rbuf[1], 0, MSG);
	T_EQ(t_recv(fd, rbuf[1], MSG, 0), 78, "  ... a receive then gets its message");
	T_OK(t_msg_id(rbuf[0], 4) + t_msg_id(rbuf[1], 4) == 2200 + 2201 &&
	     t_verify(rbuf[0], 78, t_msg_id(rbuf[0], 4)) && t_verify(rbuf[1], 78, t_msg_id(rbuf[1], 4)),
	     "  ... the two messages, once each");
	for (i = 0; i < 2; i++)
		T_CHILD(pids[i], T_TIMEOUT_MS, 0, "sender %d returns", i);

	/* SEND_BATCH, vec[1] unmapped, 2 receivers parked. */
	for (i = 0; i < 2; i++) {
		ops[i] = t_op_new(T_OP_READ, idx, O_RDONLY, MSG);
		pids[i] = T_OP_PARK(ops[i], "waiting_receivers", i + 1);
	}
	fill_send(vec, 3, 2300);
	vec[1].buf = (__u64)(uintptr_t)t_bad_ptr();
	T_EQ(send_batch(fd, vec, 3, 0), 1, "cap 0: SEND_BATCH of 3, vec[1] unmapped, 2 receivers parked: 1");
	T_EQ(t_wait_attr(idx, "waiting_receivers", 1, T_TIMEOUT_MS), 0,
	     "  ... the other receiver is (still or again) parked");
	t_fill(sbuf[0], len_of(2), 2302);
	T_EQ(t_send(fd, sbuf[0], len_of(2), T_TIMEOUT_NS), 0, "  ... a send then reaches it");
	for (i = 0; i < 2; i++)
		T_CHILD(pids[i], T_TIMEOUT_MS, 0, "receiver %d returns", i);
	r = ops[0]->ret + ops[1]->ret;
	T_OK(r == (long)(len_of(0) + len_of(2)) &&
	     t_msg_id(ops[0]->buf, 4) + t_msg_id(ops[1]->buf, 4) == 2300 + 2302,
	     "  ... one got message 0, the other the later send (%ld, %ld bytes)", ops[0]->ret,
	     ops[1]->ret);
	expect_stats(idx, sent0 + 7, sent0 + 7, "cap 0: 7 more moved");
}

/* Unbuffered: one message per parked peer. */
static void test_unbuffered(void)
{
	int idx = t_chan_new(0, MSG, 0), fd, i;
	struct t_op *ops[3];
	pid_t pids[3];
	bool seen[3] = { false, false, false };
	bool once = true;
	uint32_t id;

	if (!T_GE(idx, 0, "create an unbuffered channel"))
		return;
	fd = t_chan_open(idx, O_RDWR);
	if (!T_GE(fd, 0, "open it"))
		goto out;
	fill_send(vec, 5, 1900);
	T_EQ(send_batch(fd, vec, 5, 0), -EAGAIN, "cap 0: SEND_BATCH timeout 0, no receiver: EAGAIN");
	T_EQ(send_batch(fd, vec, 5, 20 * T_NSEC_PER_MSEC), -ETIMEDOUT,
	     "cap 0: SEND_BATCH timeout 20 ms, no receiver: ETIMEDOUT");
	fill_recv(vec, 5, MSG);
	T_EQ(recv_batch(fd, vec, 5, 0), -EAGAIN, "cap 0: RECV_BATCH timeout 0, no sender: EAGAIN");
	expect_stats(idx, 0, 0, "cap 0: nothing moved");

	for (i = 0; i < 2; i++) {
		ops[i] = t_op_new(T_OP_READ, idx, O_RDONLY, MSG);
		pids[i] = T_OP_PARK(ops[i], "waiting_receivers", i + 1);
	}
	fill_send(vec, 5, 1900);
	T_EQ(send_batch(fd, vec, 5, 0), 2, "cap 0: SEND_BATCH of 5 with 2 receivers parked: 2");
	for (i = 0; i < 2; i++) {
		T_CHILD(pids[i], T_TIMEOUT_MS, 0, "receiver %d returns", i);
		id = t_msg_id(ops[i]->buf, 4) - 1900;
		T_OK(id < 2 && ops[i]->ret == (long)len_of(id) &&
		     t_verify(ops[i]->buf, ops[i]->ret, 1900 + id),
		     "  ... with message 0 or 1, intact (id %u, %ld bytes)", id, ops[i]->ret);
		if (id < 2) {
			once &= !seen[id];
			seen[id] = true;
		}
	}
	T_OK(once && seen[0] && seen[1], "  ... each of messages 0 and 1 received exactly once");
	T_EQ(t_attr(idx, "waiting_receivers"), 0, "no receiver parked");
	T_EQ(send_batch(fd, vec, 5, 0), -EAGAIN, "cap 0: the next SEND_BATCH (timeout 0): EAGAIN");
	expect_stats(idx, 2, 2, "cap 0: 2 moved");

	for (i = 0; i < 3; i++) {
		ops[i] = t_op_new(T_OP_WRITE, idx, O_WRONLY, len_of(i));
		t_fill(ops[i]->buf, len_of(i), 2000 + i);
		pids[i] = T_OP_PARK(ops[i], "waiting_senders", i + 1);
	}
	fill_recv(vec, 5, MSG);
	T_EQ(recv_batch(fd, vec, 5, 0), 3, "cap 0: RECV_BATCH of 5 with 3 senders parked: 3");
	memset(seen, 0, sizeof(seen));
	once = true;
	for (i = 0; i < 3; i++) {
		id = t_msg_id(rbuf[i], 4) - 2000;
		if (id < 3 && vec[i].len == len_of(id) && t_verify(rbuf[i], vec[i].len, 2000 + id)) {
			once &= !seen[id];
			seen[id] = true;
		} else {
			once = false;
		}
	}
	T_OK(once && seen[0] && seen[1] && seen[2],
	     "  ... each sender's message received exactly once, intact, its length written back");
	for (i = 0; i < 3; i++) {
		T_CHILD(pids[i], T_TIMEOUT_MS, 0, "sender %d returns", i);
		T_EQ(ops[i]->ret, len_of(i), "  ... its write returned %u", len_of(i));
	}
	T_EQ(recv_batch(fd, vec, 5, 0), -EAGAIN, "cap 0: the next RECV_BATCH (timeout 0): EAGAIN");
	expect_stats(idx, 5, 5, "cap 0: 5 moved");
	unbuffered_stops(idx, fd);
	T_EQ(t_attr(idx, "len"), 0, "len 0");
	close(fd);
out:
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

int main(void)
{
	char *pg;

	t_init("batch");
	pg = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (pg == MAP_FAILED)
		t_bail("mmap: %m");
	munmap(pg + 4096, 4096);
	straddle = pg + 4096 - 16;

	test_invalid();
	test_bad_vector();
	test_fd_and_size();
	test_timeouts();
	test_partial();
	test_faults();
	test_fresh_pages();
	test_max();
	test_first_waits(4);
	test_first_waits(0);
	test_parked_sender_order();
	test_signals();
	test_closed();
	test_destroyed(1);
	test_destroyed(0);
	test_unbuffered();
	return t_done();
}
