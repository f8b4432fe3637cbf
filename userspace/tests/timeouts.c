// SPDX-License-Identifier: GPL-2.0
/*
 * Description: timeouts (chan(4), Timeouts). CHAN_IOC_SEND/RECV with timeout_ns
 * 20 ms on a full/empty channel (capacities 0 and 1) give ETIMEDOUT, never
 * early and (loosely, TCG) within 2 s; other negative timeouts give EINVAL;
 * -1 waits until a peer comes. SET/GET_TIMEOUTS round-trip, default -1/-1,
 * reject bad values with EINVAL and keep the old ones; read/write honour
 * the per-fd defaults (ETIMEDOUT; 0 tries once: EAGAIN); O_NONBLOCK wins over
 * them; the ioctl's own timeout wins over O_NONBLOCK and over the defaults;
 * the defaults belong to the open file (a dup shares them, another open does
 * not). stats/send_timeouts and recv_timeouts count the expiries.
 */
#include "helpers.h"

#define MS		T_NSEC_PER_MSEC
#define TMO		(20 * MS)
#define UPPER		(2000 * MS)

/* Evaluate @expr, expecting ETIMEDOUT after at least @tmo ns. */
#define EXPECT_TIMEOUT(tmo, expr, ...) do { \
	uint64_t _t0 = t_now_ns(); \
	long _r = (expr); \
	long long _el = (long long)(t_now_ns() - _t0); \
	T_EQ(_r, -ETIMEDOUT, __VA_ARGS__); \
	T_GE(_el, (tmo), "  ... not early (elapsed %lld us)", _el / 1000); \
	T_LT(_el, UPPER, "  ... nor absurdly late (elapsed %lld us)", _el / 1000); \
} while (0)

/*
 * Other negative timeouts give EINVAL. Assumption: they are rejected up
 * front, like flags, even when the operation could complete at once (the
 * stricter of the two POSIX readings). Checked where the operation would
 * complete at once, so a kernel that ignored the value fails instead of
 * hanging.
 */
static void test_invalid(int idx, int fd)
{
	char buf[32] = "i";

	T_EQ(t_send(fd, buf, 1, -2), -EINVAL, "CHAN_IOC_SEND timeout -2 (with space): EINVAL");
	T_EQ(t_send(fd, buf, 1, LLONG_MIN), -EINVAL,
	     "CHAN_IOC_SEND timeout LLONG_MIN (with space): EINVAL");
	T_EQ(t_attr(idx, "len"), 0, "  ... nothing was enqueued");
	T_EQ(t_send(fd, buf, 1, 0), 0, "queue a message");
	T_EQ(t_recv(fd, buf, sizeof(buf), -1000000), -EINVAL,
	     "CHAN_IOC_RECV timeout -1000000 (message queued): EINVAL");
	T_EQ(t_recv(fd, buf, sizeof(buf), LLONG_MIN), -EINVAL,
	     "CHAN_IOC_RECV timeout LLONG_MIN (message queued): EINVAL");
	T_EQ(t_attr(idx, "len"), 1, "  ... the message was not taken");
	T_EQ(t_recv(fd, buf, sizeof(buf), 0), 1, "drain");
}

static void test_ioctl_timeouts(unsigned int cap)
{
	int idx = t_chan_new(cap, 32, 0), fd;
	long long st0, rt0;
	char buf[32] = "t";

	if (!T_GE(idx, 0, "create a channel of capacity %u", cap))
		return;
	fd = t_chan_open(idx, O_RDWR);
	if (!T_GE(fd, 0, "open it"))
		goto out;
	st0 = t_attr(idx, "stats/send_timeouts");
	rt0 = t_attr(idx, "stats/recv_timeouts");

	EXPECT_TIMEOUT(TMO, t_recv(fd, buf, sizeof(buf), TMO),
		       "cap %u: CHAN_IOC_RECV 20 ms on empty gives ETIMEDOUT", cap);
	if (cap)
		T_EQ(t_send(fd, buf, 1, 0), 0, "cap %u: fill it", cap);
	EXPECT_TIMEOUT(TMO, t_send(fd, buf, 1, TMO),
		       "cap %u: CHAN_IOC_SEND 20 ms on %s gives ETIMEDOUT", cap,
		       cap ? "full" : "no receiver");
	EXPECT_TIMEOUT(1, t_send(fd, buf, 1, 1),
		       "cap %u: CHAN_IOC_SEND with 1 ns gives ETIMEDOUT", cap);
	T_EQ(t_attr(idx, "len"), cap, "cap %u: the timed-out sends enqueued nothing", cap);
	T_EQ(t_attr(idx, "stats/send_timeouts") - st0, 2, "cap %u: stats/send_timeouts +2", cap);
	T_EQ(t_attr(idx, "stats/recv_timeouts") - rt0, 1, "cap %u: stats/recv_timeouts +1", cap);

	if (cap)
		T_EQ(t_recv(fd, buf, sizeof(buf), 0), 1, "cap %u: drain", cap);
	/* A huge timeout is fine when the op completes at once. */
	if (cap) {
		T_EQ(t_send(fd, buf, 1, LLONG_MAX), 0,
		     "cap %u: CHAN_IOC_SEND timeout LLONG_MAX with space works", cap);
		T_EQ(t_recv(fd, buf, sizeof(buf), LLONG_MAX), 1,
		     "cap %u: CHAN_IOC_RECV timeout LLONG_MAX with a message works", cap);
	}
	if (cap)
		test_invalid(idx, fd);
	close(fd);
out:
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

/* -1 waits: a child receives with -1 (on an O_NONBLOCK fd, which it overrides). */
static void test_infinite(void)
{
	int idx = t_chan_new(1, 32, 0), fd;
	struct t_op *op;
	char buf[32];
	pid_t pid;

	if (!T_GE(idx, 0, "create a channel of capacity 1"))
		return;
	op = t_op_new(T_OP_RECV, idx, O_RDONLY | O_NONBLOCK, 32);
	op->timeout_ns = CHAN_TIMEOUT_INFINITE;
	pid = T_OP_PARK(op, "waiting_receivers", 1);
	t_sleep_ms(50);	/* let -1 prove it is not a short timeout */
	T_EQ(op->done, 0, "CHAN_IOC_RECV -1 on an O_NONBLOCK fd is still waiting after 50 ms");
	fd = t_chan_open(idx, O_WRONLY);
	t_fill(buf, 9, 77);
	T_EQ(t_send(fd, buf, 9, T_TIMEOUT_NS), 0, "a peer sends");
	T_CHILD(pid, T_TIMEOUT_MS, 0, "the waiting child returns");
	T_EQ(op->ret, 9, "  ... with the 9-byte message");
	T_OK(t_verify(op->buf, 9, 77), "  ... intact");
	T_GE((long long)(op->t_end - op->t_start), 50 * MS, "  ... after waiting >= 50 ms");
	close(fd);

	/* Same for a send with -1 on a full channel. */
	fd = t_chan_open(idx, O_RDWR);
	T_EQ(t_send(fd, buf, 1, 0), 0, "fill the channel");
	op = t_op_new(T_OP_SEND, idx, O_WRONLY | O_NONBLOCK, 5);
	t_fill(op->buf, 5, 78);
	pid = T_OP_PARK(op, "waiting_senders", 1);
	T_EQ(t_recv(fd, buf, sizeof(buf), 0), 1, "a peer receives the first message");
	T_CHILD(pid, T_TIMEOUT_MS, 0, "the sending child (timeout -1, O_NONBLOCK) completes");
	T_EQ(op->ret, 0, "  ... its CHAN_IOC_SEND returned 0");
	T_EQ(t_recv(fd, buf, sizeof(buf), 0), 5, "its message is there");
	T_OK(t_verify(buf, 5, 78), "  ... intact");
	close(fd);
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

static void test_per_fd(void)
{
	int idx = t_chan_new(1, 32, 0), fd, fd2, dupfd, nb;
	long long s, r, st0, rt0;
	char buf[32] = "p";

	if (!T_GE(idx, 0, "create a channel of capacity 1"))
		return;
	fd = t_chan_open(idx, O_RDWR);
	fd2 = t_chan_open(idx, O_RDWR);
	nb = t_chan_open(idx, O_RDWR | O_NONBLOCK);
	if (!T_OK(fd >= 0 && fd2 >= 0 && nb >= 0, "open three fds"))
		goto out;
	st0 = t_attr(idx, "stats/send_timeouts");
	rt0 = t_attr(idx, "stats/recv_timeouts");

	T_EQ(t_get_timeouts(fd, &s, &r), 0, "CHAN_IOC_GET_TIMEOUTS works");
	T_EQ(s, -1, "default send timeout is -1");
	T_EQ(r, -1, "default recv timeout is -1");
	T_EQ(t_set_timeouts(fd, 5 * MS, 7 * MS), 0, "CHAN_IOC_SET_TIMEOUTS 5 ms / 7 ms");
	t_get_timeouts(fd, &s, &r);
	T_EQ(s, 5 * MS, "GET_TIMEOUTS returns send 5 ms");
	T_EQ(r, 7 * MS, "GET_TIMEOUTS returns recv 7 ms");
	T_EQ(t_set_timeouts(fd, -2, 0), -EINVAL, "SET_TIMEOUTS send -2: EINVAL");
	T_EQ(t_set_timeouts(fd, 0, LLONG_MIN), -EINVAL, "SET_TIMEOUTS recv LLONG_MIN: EINVAL");
	t_get_timeouts(fd, &s, &r);
	T_OK(s == 5 * MS && r == 7 * MS,
	     "a rejected SET_TIMEOUTS changes nothing (send %lld recv %lld)", s, r);
	T_EQ(SYS(ioctl(fd, CHAN_IOC_SET_TIMEOUTS, t_bad_ptr())), -EFAULT,
	     "SET_TIMEOUTS with an unmapped pointer: EFAULT");
	T_EQ(SYS(ioctl(fd, CHAN_IOC_GET_TIMEOUTS, t_bad_ptr())), -EFAULT,
	     "GET_TIMEOUTS with an unmapped pointer: EFAULT");

	/* Per open file: a dup shares, another open does not. */
	dupfd = dup(fd);
	t_get_timeouts(dupfd, &s, &r);
	T_OK(s == 5 * MS && r == 7 * MS, "a dup of the fd sees the same timeouts");
	close(dupfd);
	t_get_timeouts(fd2, &s, &r);
	T_OK(s == -1 && r == -1, "another open of the channel keeps -1/-1 (got %lld/%lld)", s, r);

	/* read/write honour them. */
	T_EQ(t_set_timeouts(fd, TMO, TMO), 0, "set 20 ms / 20 ms");
	EXPECT_TIMEOUT(TMO, SYS(read(fd, buf, sizeof(buf))),
		       "read on empty with a 20 ms default: ETIMEDOUT");
	T_EQ(SYS(write(fd, buf, 1)), 1, "write with space works");
	EXPECT_TIMEOUT(TMO, SYS(write(fd, buf, 1)), "write on full with a 20 ms default: ETIMEDOUT");
	T_EQ(t_attr(idx, "stats/send_timeouts") - st0, 1, "stats/send_timeouts +1");
	T_EQ(t_attr(idx, "stats/recv_timeouts") - rt0, 1, "stats/recv_timeouts +1");
	T_EQ(t_set_timeouts(fd, 0, 0), 0, "set 0 / 0");
	T_EQ(SYS(write(fd, buf, 1)), -EAGAIN, "write on full with a 0 default: EAGAIN");
	T_EQ(SYS(read(fd, buf, sizeof(buf))), 1, "read with a message works");
	T_EQ(SYS(read(fd, buf, sizeof(buf))), -EAGAIN, "read on empty with a 0 default: EAGAIN");

	/* The ioctl's own timeout is used, not the per-fd default. */
	EXPECT_TIMEOUT(TMO, t_recv(fd, buf, sizeof(buf), TMO),
		       "CHAN_IOC_RECV 20 ms on an fd whose default is 0: ETIMEDOUT, not EAGAIN");
	T_EQ(t_set_timeouts(fd, 5000 * MS, 5000 * MS), 0, "set 5 s / 5 s");
	T_EQ(t_recv(fd, buf, sizeof(buf), 0), -EAGAIN,
	     "CHAN_IOC_RECV timeout 0 on an fd whose default is 5 s: EAGAIN at once");

	/* O_NONBLOCK wins over the per-fd defaults ... */
	T_EQ(t_set_timeouts(nb, 5000 * MS, 5000 * MS), 0, "set 5 s / 5 s on an O_NONBLOCK fd");
	T_EQ(SYS(read(nb, buf, sizeof(buf))), -EAGAIN, "O_NONBLOCK read with a 5 s default: EAGAIN");
	T_EQ(SYS(write(nb, buf, 1)), 1, "fill");
	T_EQ(SYS(write(nb, buf, 1)), -EAGAIN, "O_NONBLOCK write with a 5 s default: EAGAIN");
	/* ... and the ioctl's timeout wins over O_NONBLOCK. */
	EXPECT_TIMEOUT(TMO, t_send(nb, buf, 1, TMO),
		       "CHAN_IOC_SEND 20 ms on a full O_NONBLOCK fd: ETIMEDOUT, not EAGAIN");
	T_EQ(SYS(read(nb, buf, sizeof(buf))), 1, "drain");
	EXPECT_TIMEOUT(TMO, t_recv(nb, buf, sizeof(buf), TMO),
		       "CHAN_IOC_RECV 20 ms on an empty O_NONBLOCK fd: ETIMEDOUT, not EAGAIN");
	close(fd);
	close(fd2);
	close(nb);
out:
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

int main(void)
{
	t_init("timeouts");
	test_ioctl_timeouts(0);
	test_ioctl_timeouts(1);
	test_infinite();
	test_per_fd();
	return t_done();
}
