// SPDX-License-Identifier: GPL-2.0
/*
 * Description: basic send/receive (chan(4), Reading and writing): FIFO order and message
 * boundaries on capacities 0 (with a receiving child), 1 and 8, across ring
 * wrap-around, through write/read and CHAN_IOC_SEND/RECV (write returns the
 * length, SEND returns 0, read and RECV return the length); EMSGSIZE for a
 * message over msg_size; EINVAL for length 0 both ways; EMSGSIZE for a short
 * receive buffer with the message kept (FIONREAD gives its length); FIONREAD
 * 0 when empty; EBADF for the wrong access mode; ENOTTY for unknown ioctls;
 * EINVAL for non-zero chan_xfer.flags; EFAULT for bad pointers with nothing
 * enqueued; the chan_xfer size rules; sent - received == len at rest.
 */
#include <sys/mman.h>

#include "helpers.h"

#define MSG_SIZE 256

static unsigned int msg_len(unsigned int i)
{
	return 1 + (i * 37) % MSG_SIZE;	/* 1 .. MSG_SIZE, varied */
}

/* Send message @i, by write() when @i is even, CHAN_IOC_SEND otherwise. */
static bool send_one(int fd, unsigned int i)
{
	unsigned char buf[MSG_SIZE];
	unsigned int len = msg_len(i);

	t_fill(buf, len, i);
	if (i % 2 == 0)
		return T_EQ(SYS(write(fd, buf, len)), len,
			    "write message %u (%u bytes) returns its length", i, len);
	return T_EQ(t_send(fd, buf, len, 0), 0,
		    "CHAN_IOC_SEND message %u (%u bytes) returns 0", i, len);
}

/* Receive and check message @i, by read() or CHAN_IOC_RECV alternately. */
static bool recv_one(int fd, unsigned int i, unsigned int nth)
{
	unsigned char buf[MSG_SIZE * 2];
	unsigned int len = msg_len(i);
	long r;

	memset(buf, 0xee, sizeof(buf));
	if (nth % 2 == 0)
		r = SYS(read(fd, buf, sizeof(buf)));
	else
		r = t_recv(fd, buf, sizeof(buf), 0);
	if (!T_EQ(r, len, "%s gets message %u whole (%u bytes)",
		  nth % 2 ? "CHAN_IOC_RECV" : "read", i, len))
		return false;
	return T_OK(t_verify(buf, len, i), "  ... with the right content (id %u, got id %u)",
		    i, t_msg_id(buf, len));
}

static void test_buffered(unsigned int cap)
{
	int idx = t_chan_new(cap, MSG_SIZE, 0), fd;
	unsigned int next_send = 0, next_recv = 0, nth = 0, round, k;

	if (!T_GE(idx, 0, "create a channel of capacity %u", cap))
		return;
	fd = t_chan_open(idx, O_RDWR);
	if (!T_GE(fd, 0, "open it O_RDWR"))
		goto out;
	T_EQ(t_fionread(fd), 0, "cap %u: FIONREAD is 0 when empty", cap);
	/* Fill, drain; then partial fills to wrap the ring. */
	/* Plain reads/writes here never need to wait: bound them anyway. */
	t_set_timeouts(fd, T_TIMEOUT_NS, T_TIMEOUT_NS);
	for (round = 0; round < 4; round++) {
		unsigned int room = cap - (next_send - next_recv);
		unsigned int fill = round == 0 ? cap : (cap + 1) / 2 + round % 2;

		if (fill > room)
			fill = room;
		for (k = 0; k < fill; k++)
			send_one(fd, next_send++);
		T_EQ(t_attr(idx, "len"), next_send - next_recv, "cap %u: sysfs len is %u",
		     cap, next_send - next_recv);
		T_EQ(t_fionread(fd), msg_len(next_recv),
		     "cap %u: FIONREAD gives the next message's length", cap);
		k = round == 3 ? next_send - next_recv : (next_send - next_recv + 1) / 2;
		while (k--)
			recv_one(fd, next_recv++, nth++);
	}
	T_EQ(t_fionread(fd), 0, "cap %u: FIONREAD is 0 when drained", cap);
	T_EQ(t_attr(idx, "len"), 0, "cap %u: len is 0 when drained", cap);
	T_EQ(t_attr(idx, "stats/sent"), next_send, "cap %u: stats/sent counts every send", cap);
	T_EQ(t_attr(idx, "stats/received"), next_recv,
	     "cap %u: stats/received counts every receive", cap);
	close(fd);
out:
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

#define UNBUF_N 10

struct unbuf {
	int idx;
	long ret[UNBUF_N];
	uint32_t id[UNBUF_N];
	bool ok[UNBUF_N];
};

static int unbuf_receiver(void *arg)
{
	struct unbuf *u = arg;
	unsigned char buf[MSG_SIZE];
	int fd = t_chan_open(u->idx, O_RDONLY), i;

	if (fd < 0)
		return 2;
	for (i = 0; i < UNBUF_N; i++) {
		memset(buf, 0, sizeof(buf));
		if (i % 2 == 0)
			u->ret[i] = SYS(read(fd, buf, sizeof(buf)));
		else
			u->ret[i] = t_recv(fd, buf, sizeof(buf), CHAN_TIMEOUT_INFINITE);
		u->id[i] = t_msg_id(buf, MSG_SIZE);
		u->ok[i] = u->ret[i] > 0 && t_verify(buf, u->ret[i], i);
	}
	return 0;
}

static void test_unbuffered(void)
{
	struct unbuf *u = t_shared(sizeof(*u));
	unsigned char buf[MSG_SIZE];
	int fd, i;
	pid_t pid;

	u->idx = t_chan_new(0, MSG_SIZE, 0);
	if (!T_GE(u->idx, 0, "create an unbuffered channel"))
		return;
	fd = t_chan_open(u->idx, O_WRONLY);
	if (!T_GE(fd, 0, "open it O_WRONLY"))
		goto out;
	/* Bound the plain writes too: a peer that never comes is a failure. */
	t_set_timeouts(fd, T_TIMEOUT_NS, CHAN_TIMEOUT_INFINITE);
	pid = t_fork(unbuf_receiver, u);
	for (i = 0; i < UNBUF_N; i++) {
		t_fill(buf, msg_len(i), i);
		if (i % 2 == 0)
			T_EQ(SYS(write(fd, buf, msg_len(i))), msg_len(i),
			     "cap 0: write message %d to a receiving child returns its length", i);
		else
			T_EQ(t_send(fd, buf, msg_len(i), T_TIMEOUT_NS), 0,
			     "cap 0: CHAN_IOC_SEND message %d to a receiving child returns 0", i);
		T_EQ(t_attr(u->idx, "len"), 0, "cap 0: len stays 0");
	}
	T_CHILD(pid, T_TIMEOUT_MS, 0, "cap 0: receiving child finished");
	for (i = 0; i < UNBUF_N; i++) {
		T_EQ(u->ret[i], msg_len(i), "cap 0: child's %s #%d returned the length",
		     i % 2 ? "CHAN_IOC_RECV" : "read", i);
		T_OK(u->ok[i], "cap 0: child got message %d in order and intact (got id %u)",
		     i, u->id[i]);
	}
	T_EQ(t_attr(u->idx, "stats/sent"), UNBUF_N, "cap 0: stats/sent is %d", UNBUF_N);
	T_EQ(t_attr(u->idx, "stats/received"), UNBUF_N, "cap 0: stats/received is %d", UNBUF_N);
	close(fd);
out:
	T_EQ(t_chan_destroy(u->idx, 0), 0, "destroy chan%d", u->idx);
}

static void test_sizes(int idx, int fd)
{
	unsigned char buf[128];

	t_fill(buf, sizeof(buf), 7);
	T_EQ(SYS(write(fd, buf, 65)), -EMSGSIZE, "write of msg_size+1 bytes gives EMSGSIZE");
	T_EQ(t_send(fd, buf, 65, 0), -EMSGSIZE, "CHAN_IOC_SEND of msg_size+1 gives EMSGSIZE");
	T_EQ(t_send(fd, buf, 0xffffffffu, 0), -EMSGSIZE,
	     "CHAN_IOC_SEND of len 0xffffffff gives EMSGSIZE");
	T_EQ(SYS(write(fd, buf, 0)), -EINVAL, "write of 0 bytes gives EINVAL");
	T_EQ(t_send(fd, buf, 0, 0), -EINVAL, "CHAN_IOC_SEND of len 0 gives EINVAL");
	T_EQ(t_recv(fd, buf, 0, 0), -EINVAL,
	     "CHAN_IOC_RECV with len 0 on an empty channel gives EINVAL (not EAGAIN)");
	T_EQ(t_attr(idx, "len"), 0, "nothing was enqueued by the failed sends");
	T_EQ(t_attr(idx, "stats/sent"), 0, "stats/sent did not count them");

	T_EQ(SYS(write(fd, buf, 64)), 64, "write of exactly msg_size bytes works");
	T_EQ(SYS(read(fd, buf, 0)), -EINVAL, "read with a 0-byte buffer gives EINVAL");
	T_EQ(t_recv(fd, buf, 0, 0), -EINVAL, "CHAN_IOC_RECV with len 0 gives EINVAL");
	T_EQ(SYS(read(fd, buf, 63)), -EMSGSIZE,
	     "read with a buffer one byte short gives EMSGSIZE");
	T_EQ(t_recv(fd, buf, 1, 0), -EMSGSIZE, "CHAN_IOC_RECV with a 1-byte buffer gives EMSGSIZE");
	T_EQ(t_attr(idx, "len"), 1, "the message stays queued");
	T_EQ(t_fionread(fd), 64, "FIONREAD gives its length (64)");
	memset(buf, 0, sizeof(buf));
	T_EQ(SYS(read(fd, buf, sizeof(buf))), 64, "a big enough buffer gets it");
	T_OK(t_verify(buf, 64, 7), "  ... intact");
	T_EQ(t_fionread(fd), 0, "FIONREAD is 0 again");

	t_fill(buf, 5, 8);
	T_EQ(SYS(write(fd, buf, 5)), 5, "queue a 5-byte message");
	T_EQ(t_recv(fd, buf, 4, 0), -EMSGSIZE, "CHAN_IOC_RECV with 4 bytes gives EMSGSIZE");
	T_EQ(t_recv(fd, buf, 5, 0), 5, "CHAN_IOC_RECV with exactly 5 bytes gets it");
	T_OK(t_verify(buf, 5, 8), "  ... intact");
}

static void test_access_modes(int idx)
{
	int ro = t_chan_open(idx, O_RDONLY), wo = t_chan_open(idx, O_WRONLY);
	char buf[16] = "abc";

	if (!T_OK(ro >= 0 && wo >= 0, "open O_RDONLY and O_WRONLY fds"))
		return;
	T_EQ(SYS(write(ro, buf, 3)), -EBADF, "write on an O_RDONLY fd gives EBADF");
	T_EQ(t_send(ro, buf, 3, 0), -EBADF, "CHAN_IOC_SEND on an O_RDONLY fd gives EBADF");
	T_EQ(t_attr(idx, "len"), 0, "nothing was enqueued");
	T_EQ(SYS(write(wo, buf, 3)), 3, "write on the O_WRONLY fd works");
	T_EQ(SYS(read(wo, buf, sizeof(buf))), -EBADF, "read on an O_WRONLY fd gives EBADF");
	T_EQ(t_recv(wo, buf, sizeof(buf), 0), -EBADF,
	     "CHAN_IOC_RECV on an O_WRONLY fd gives EBADF");
	T_EQ(t_attr(idx, "len"), 1, "the message was not taken");
	T_EQ(SYS(read(ro, buf, sizeof(buf))), 3, "read on the O_RDONLY fd gets it");
	close(ro);
	close(wo);
}

static void test_ioctl_misuse(int idx, int fd)
{
	struct chan_xfer x = { 0 };
	unsigned char big[64] = { 0 };
	char buf[16] = "flags";
	char *page;

	T_EQ(SYS(ioctl(fd, _IO(CHAN_IOC_MAGIC, 0x7f))), -ENOTTY, "unknown number 0x7f: ENOTTY");
	T_EQ(SYS(ioctl(fd, _IOW(CHAN_IOC_MAGIC, 0x3f, struct chan_xfer), &x)), -ENOTTY,
	     "unknown number 0x3f with an argument: ENOTTY");
	T_EQ(SYS(ioctl(fd, _IOR(CHAN_IOC_MAGIC, 0x10, struct chan_xfer), &x)), -ENOTTY,
	     "SEND's number with direction _IOR: ENOTTY");
	T_EQ(SYS(ioctl(fd, _IOWR(CHAN_IOC_MAGIC, 0x11, struct chan_xfer), &x)), -ENOTTY,
	     "RECV's number with direction _IOWR: ENOTTY");
	T_EQ(SYS(ioctl(fd, _IO('T', 0x01))), -ENOTTY, "another magic ('T'): ENOTTY");

	T_EQ(t_xfer(fd, CHAN_IOC_SEND, buf, 5, 1, 0), -EINVAL,
	     "CHAN_IOC_SEND with flags 1 gives EINVAL");
	T_EQ(t_xfer(fd, CHAN_IOC_SEND, buf, 5, 1u << 31, 0), -EINVAL,
	     "CHAN_IOC_SEND with flags 1 << 31 gives EINVAL");
	T_EQ(t_attr(idx, "len"), 0, "nothing was enqueued");
	T_EQ(t_send(fd, buf, 5, 0), 0, "queue a message");
	T_EQ(t_xfer(fd, CHAN_IOC_RECV, buf, sizeof(buf), 1, 0), -EINVAL,
	     "CHAN_IOC_RECV with flags 1 gives EINVAL");
	T_EQ(t_attr(idx, "len"), 1, "the message was not taken");

	/* chan_xfer is extensible like the control structs. */
	x = (struct chan_xfer){ .buf = (uintptr_t)buf, .len = sizeof(buf) };
	memset(big, 0, sizeof(big));
	memcpy(big, &x, sizeof(x));
	T_EQ(SYS(ioctl(fd, _IOC(_IOC_WRITE, CHAN_IOC_MAGIC, 0x11, 16), big)), -EINVAL,
	     "CHAN_IOC_RECV with a 16-byte struct (< VER0) gives EINVAL");
	big[40] = 1;
	T_EQ(SYS(ioctl(fd, _IOC(_IOC_WRITE, CHAN_IOC_MAGIC, 0x11, 48), big)), -E2BIG,
	     "CHAN_IOC_RECV with a 48-byte struct and a non-zero tail gives E2BIG");
	T_EQ(t_attr(idx, "len"), 1, "the message was not taken");
	big[40] = 0;
	T_EQ(SYS(ioctl(fd, _IOC(_IOC_WRITE, CHAN_IOC_MAGIC, 0x11, 48), big)), 5,
	     "CHAN_IOC_RECV with a 48-byte struct and a zero tail works");

	/* Bad pointers: EFAULT, and nothing enqueued. */
	T_EQ(SYS(ioctl(fd, CHAN_IOC_SEND, t_null())), -EFAULT,
	     "CHAN_IOC_SEND with a NULL chan_xfer pointer gives EFAULT");
	T_EQ(SYS(ioctl(fd, CHAN_IOC_SEND, t_bad_ptr())), -EFAULT,
	     "CHAN_IOC_SEND with an unmapped chan_xfer pointer gives EFAULT");
	T_EQ(SYS(ioctl(fd, CHAN_IOC_RECV, t_bad_ptr())), -EFAULT,
	     "CHAN_IOC_RECV with an unmapped chan_xfer pointer gives EFAULT");
	T_EQ(t_send(fd, t_bad_ptr(), 5, 0), -EFAULT, "CHAN_IOC_SEND of an unmapped buf gives EFAULT");
	T_EQ(t_send(fd, t_null(), 5, 0), -EFAULT, "CHAN_IOC_SEND of a NULL buf gives EFAULT");
	T_EQ(SYS(write(fd, t_bad_ptr(), 5)), -EFAULT, "write of an unmapped buf gives EFAULT");
	page = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		t_bail("mmap: %m");
	munmap(page + 4096, 4096);
	memset(page, 'x', 4096);
	T_EQ(t_send(fd, page + 4096 - 10, 20, 0), -EFAULT,
	     "CHAN_IOC_SEND of a buf running into an unmapped page gives EFAULT");
	T_EQ(SYS(write(fd, page + 4096 - 10, 20)), -EFAULT,
	     "write of a buf running into an unmapped page gives EFAULT");
	munmap(page, 4096);
	T_EQ(t_attr(idx, "len"), 0, "nothing was enqueued by the faulting sends (no partial message)");
	T_EQ(t_fionread(fd), 0, "FIONREAD is 0");
	T_EQ(t_recv(fd, buf, sizeof(buf), 0), -EAGAIN, "a try-receive finds nothing");
}

static void test_errors(void)
{
	int idx = t_chan_new(4, 64, 0), fd;
	long long sent, received, len;

	if (!T_GE(idx, 0, "create a channel of capacity 4, msg_size 64"))
		return;
	fd = t_chan_open(idx, O_RDWR);
	if (T_GE(fd, 0, "open it O_RDWR")) {
		t_set_timeouts(fd, T_TIMEOUT_NS, T_TIMEOUT_NS);
		test_sizes(idx, fd);
		test_access_modes(idx);
		test_ioctl_misuse(idx, fd);
		close(fd);
	}
	sent = t_attr(idx, "stats/sent");
	received = t_attr(idx, "stats/received");
	len = t_attr(idx, "len");
	T_EQ(sent - received, len, "at rest: sent (%lld) - received (%lld) == len (%lld)",
	     sent, received, len);
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

int main(void)
{
	t_init("send_recv_basic");
	test_buffered(1);
	test_buffered(8);
	test_unbuffered();
	test_errors();
	return t_done();
}
