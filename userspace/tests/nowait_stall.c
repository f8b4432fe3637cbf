// SPDX-License-Identifier: GPL-2.0
/*
 * Description: non-blocking operations never wait for another task, even
 * one stalled for good in a page fault of its own buffer. A
 * thread of this test reads from (or writes to) a channel with a buffer
 * whose page is registered with userfaultfd and not served, so it stalls
 * inside the kernel; while it does, on the same channel, poll, O_NONBLOCK
 * read/write and zero-timeout CHAN_IOC_RECV/SEND answer at once and agree
 * with each other: a stalled receiver holds no message (buffered
 * capacities 1 and 4, and unbuffered with a parked sender), a stalled
 * sender holds no room (it stages its message in its file's own slot), or
 * only the room its message will take when another send of the same file
 * has that slot. Then the fault is served and the stalled operation
 * completes with a message of its own: nothing lost, nothing delivered
 * twice.
 */
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <linux/userfaultfd.h>

#include "helpers.h"

#define MSG 64

/* A page registered with userfaultfd (missing pages): touching it stalls. */
struct trap {
	int uffd;
	size_t pgsz;
	unsigned char *page;
};

struct stalled {
	pthread_t thread;
	int fd;
	bool send;
	void *buf;
	size_t len;
	volatile long ret;
	volatile int done;
};

static bool trap_set(struct trap *t)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };

	t->pgsz = (size_t)sysconf(_SC_PAGESIZE);
	t->uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (t->uffd < 0)
		return false;
	if (ioctl(t->uffd, UFFDIO_API, &api))
		return false;
	t->page = mmap(NULL, t->pgsz, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (t->page == MAP_FAILED)
		return false;
	reg.range.start = (unsigned long)t->page;
	reg.range.len = t->pgsz;
	return ioctl(t->uffd, UFFDIO_REGISTER, &reg) == 0;
}

/* Wait until some task stalls on the trap page. */
static bool trap_sprung(struct trap *t)
{
	struct pollfd p = { .fd = t->uffd, .events = POLLIN };
	struct uffd_msg msg;

	if (poll(&p, 1, T_TIMEOUT_MS) != 1)
		return false;
	if (read(t->uffd, &msg, sizeof(msg)) != sizeof(msg))
		return false;
	return msg.event == UFFD_EVENT_PAGEFAULT &&
	       (msg.arg.pagefault.address & ~(t->pgsz - 1)) ==
	       (unsigned long)t->page;
}

/* Serve the fault with a page holding @fill (a message for a sender). */
static bool trap_serve(struct trap *t, uint32_t fill)
{
	unsigned char *src = malloc(t->pgsz);
	struct uffdio_copy c = {
		.dst = (unsigned long)t->page,
		.src = (unsigned long)src,
		.len = t->pgsz,
	};
	int r;

	t_fill(src, MSG, fill);
	r = ioctl(t->uffd, UFFDIO_COPY, &c);
	free(src);
	return r == 0;
}

static void trap_clear(struct trap *t)
{
	munmap(t->page, t->pgsz);
	close(t->uffd);
}

static void *stalled_main(void *arg)
{
	struct stalled *s = arg;

	s->ret = s->send ? SYS(write(s->fd, s->buf, s->len)) :
		SYS(read(s->fd, s->buf, s->len));
	__atomic_store_n(&s->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static bool stalled_start(struct stalled *s, int fd, bool send, void *buf,
			  size_t len)
{
	s->fd = fd;
	s->send = send;
	s->buf = buf;
	s->len = len;
	s->ret = LONG_MIN;
	s->done = 0;
	return pthread_create(&s->thread, NULL, stalled_main, s) == 0;
}

/* Join the stalled thread once it is done (bounded). */
static bool stalled_join(struct stalled *s)
{
	int ms;

	for (ms = 0; ms < T_TIMEOUT_MS && !s->done; ms += 10)
		t_sleep_ms(10);
	if (!s->done)
		return false;
	pthread_join(s->thread, NULL);
	return true;
}

static short poll_now(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT };

	return poll(&p, 1, 0) == 1 ? p.revents : 0;
}

/* A non-blocking call must not take long (it would hang the old way). */
#define T_PROMPT_MS	3000

static void test_stalled_receiver(unsigned int cap)
{
	int idx = t_chan_new(cap, MSG, 0), fd, nb;
	unsigned char buf[MSG];
	struct stalled st;
	struct trap trap;
	uint64_t t0;
	unsigned int i, n = cap > 1 ? 2 : 1;

	if (!T_GE(idx, 0, "cap %u: create a channel", cap))
		return;
	fd = t_chan_open(idx, O_RDWR);
	nb = t_chan_open(idx, O_RDWR | O_NONBLOCK);
	if (!T_OK(trap_set(&trap), "cap %u: a userfaultfd trap page", cap))
		goto out;
	for (i = 0; i < n; i++) {
		t_fill(buf, MSG, 100 + i);
		T_EQ(SYS(write(fd, buf, MSG)), MSG, "cap %u: queue message %u", cap, i);
	}
	T_OK(stalled_start(&st, fd, false, trap.page + 8, MSG),
	     "cap %u: a thread reads into the trap page", cap);
	T_OK(trap_sprung(&trap), "cap %u: it stalls in the page fault", cap);
	T_EQ(st.done, 0, "cap %u: its read has not returned", cap);

	T_EQ(poll_now(nb) & (POLLIN | POLLOUT), POLLIN | (cap > n ? POLLOUT : 0),
	     "cap %u: poll says readable while the reader is stalled", cap);
	T_EQ(t_attr(idx, "len"), n, "cap %u: len still counts the queued messages", cap);
	t0 = t_now_ns();
	T_EQ(SYS(read(nb, buf, MSG)), MSG, "cap %u: an O_NONBLOCK read gets a message", cap);
	T_LT((t_now_ns() - t0) / T_NSEC_PER_MSEC, T_PROMPT_MS, "  ... at once (ms)");
	T_OK(t_verify(buf, MSG, 100), "  ... the first one, intact");
	if (n > 1) {
		t0 = t_now_ns();
		T_EQ(t_recv(fd, buf, MSG, 0), MSG, "cap %u: a zero-timeout CHAN_IOC_RECV gets the next", cap);
		T_LT((t_now_ns() - t0) / T_NSEC_PER_MSEC, T_PROMPT_MS, "  ... at once (ms)");
		T_OK(t_verify(buf, MSG, 101), "  ... in order");
	}
	T_EQ(poll_now(nb) & POLLIN, 0, "cap %u: drained: poll says not readable", cap);
	T_EQ(SYS(read(nb, buf, MSG)), -EAGAIN, "cap %u: and an O_NONBLOCK read gives EAGAIN", cap);
	T_EQ(st.done, 0, "cap %u: the stalled read is still stalled", cap);

	/* Served, the stalled read goes on: it waits for a message of its own. */
	T_OK(trap_serve(&trap, 0), "cap %u: serve the fault", cap);
	T_EQ(t_wait_attr(idx, "waiting_receivers", 1, T_TIMEOUT_MS), 0,
	     "cap %u: the reader parks: nothing was left for it", cap);
	t_fill(buf, MSG, 200);
	T_EQ(SYS(write(fd, buf, MSG)), MSG, "cap %u: send it one", cap);
	T_OK(stalled_join(&st), "cap %u: the reader returns", cap);
	T_EQ(st.ret, MSG, "  ... with a message");
	T_OK(t_verify(trap.page + 8, MSG, 200), "  ... the new one: nothing was delivered twice");
	T_EQ(t_attr(idx, "stats/sent"), n + 1, "cap %u: stats/sent", cap);
	T_EQ(t_attr(idx, "stats/received"), n + 1, "cap %u: stats/received", cap);
	trap_clear(&trap);
out:
	close(nb);
	close(fd);
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

static void test_stalled_receiver_unbuffered(void)
{
	int idx = t_chan_new(0, MSG, 0), fd, nb;
	unsigned char buf[MSG];
	struct stalled st;
	struct t_op *tx;
	struct trap trap;
	uint64_t t0;
	pid_t ptx;

	if (!T_GE(idx, 0, "cap 0: create a channel"))
		return;
	fd = t_chan_open(idx, O_RDWR);
	nb = t_chan_open(idx, O_RDWR | O_NONBLOCK);
	if (!T_OK(trap_set(&trap), "cap 0: a userfaultfd trap page"))
		goto out;
	tx = t_op_new(T_OP_SEND, idx, O_WRONLY, 30);
	t_fill(tx->buf, 30, 0x30);
	ptx = T_OP_PARK(tx, "waiting_senders", 1);
	T_OK(stalled_start(&st, fd, false, trap.page, MSG),
	     "cap 0: a thread reads into the trap page");
	T_OK(trap_sprung(&trap), "cap 0: it stalls in the page fault");
	T_EQ(t_wait_attr(idx, "waiting_senders", 1, T_TIMEOUT_MS), 0,
	     "cap 0: the sender is parked again");
	T_EQ(poll_now(nb) & POLLIN, POLLIN, "cap 0: poll says readable");
	t0 = t_now_ns();
	T_EQ(SYS(read(nb, buf, MSG)), 30, "cap 0: an O_NONBLOCK read gets the sender's message");
	T_LT((t_now_ns() - t0) / T_NSEC_PER_MSEC, T_PROMPT_MS, "  ... at once (ms)");
	T_OK(t_verify(buf, 30, 0x30), "  ... intact");
	T_CHILD(ptx, T_TIMEOUT_MS, 0, "cap 0: the sender returns");
	T_EQ(tx->ret, 0, "  ... with success");
	T_OK(trap_serve(&trap, 0), "cap 0: serve the fault");
	T_EQ(t_wait_attr(idx, "waiting_receivers", 1, T_TIMEOUT_MS), 0,
	     "cap 0: the reader parks");
	t_fill(buf, 20, 0x20);
	T_EQ(t_send(fd, buf, 20, T_TIMEOUT_NS), 0, "cap 0: send to it");
	T_OK(stalled_join(&st), "cap 0: the reader returns");
	T_EQ(st.ret, 20, "  ... with that message");
	T_OK(t_verify(trap.page, 20, 0x20), "  ... intact");
	trap_clear(&trap);
out:
	close(nb);
	close(fd);
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

/*
 * A sender stalled reading its own message holds no room: it copies into
 * the staging slot of its open file before it takes any of the channel's.
 */
static void test_stalled_sender(unsigned int cap)
{
	int idx = t_chan_new(cap, MSG, 0), fd, nb;
	unsigned char buf[MSG];
	struct stalled st;
	struct trap trap;
	uint64_t t0;
	unsigned int i;

	if (!T_GE(idx, 0, "cap %u: create a channel", cap))
		return;
	fd = t_chan_open(idx, O_RDWR);
	nb = t_chan_open(idx, O_RDWR | O_NONBLOCK);
	if (!T_OK(trap_set(&trap), "cap %u: a userfaultfd trap page", cap))
		goto out;
	T_OK(stalled_start(&st, fd, true, trap.page, MSG),
	     "cap %u: a thread writes from the trap page", cap);
	T_OK(trap_sprung(&trap), "cap %u: it stalls in the page fault", cap);
	t0 = t_now_ns();
	T_EQ(SYS(read(nb, buf, MSG)), -EAGAIN, "cap %u: an O_NONBLOCK read finds nothing", cap);
	T_LT((t_now_ns() - t0) / T_NSEC_PER_MSEC, T_PROMPT_MS, "  ... at once (ms)");
	T_EQ(poll_now(nb), POLLOUT, "cap %u: poll: writable, not readable", cap);
	for (i = 0; i < cap; i++) {
		t_fill(buf, MSG, 7 + i);
		T_EQ(SYS(write(nb, buf, MSG)), MSG,
		     "cap %u: O_NONBLOCK write %u: the stalled sender holds no room", cap, i);
	}
	T_EQ(poll_now(nb), POLLIN, "cap %u: poll: readable, and full", cap);
	T_EQ(t_send(nb, buf, MSG, 0), -EAGAIN, "cap %u: a zero-timeout send finds it full", cap);
	T_OK(trap_serve(&trap, 0x5151), "cap %u: serve the fault with the message", cap);
	T_EQ(t_wait_attr(idx, "waiting_senders", 1, T_TIMEOUT_MS), 0,
	     "cap %u: the writer parks: the channel is full", cap);
	for (i = 0; i < cap; i++) {
		T_EQ(SYS(read(nb, buf, MSG)), MSG, "cap %u: the others' message %u", cap, i);
		T_OK(t_verify(buf, MSG, 7 + i), "  ... in order, intact");
	}
	T_OK(stalled_join(&st), "cap %u: the writer returns", cap);
	T_EQ(st.ret, MSG, "  ... with success");
	T_EQ(SYS(read(nb, buf, MSG)), MSG, "cap %u: its message comes last", cap);
	T_OK(t_verify(buf, MSG, 0x5151), "  ... intact");
	T_EQ(t_attr(idx, "len"), 0, "cap %u: len 0", cap);
	trap_clear(&trap);
out:
	close(nb);
	close(fd);
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

/*
 * Two threads stalled writing through one open file: the first stalls
 * staging its message, the second (the file's staging slot being in use)
 * after taking a slot of the channel, which is all it holds: the room
 * its message will take.
 */
static void test_stalled_senders_sharing_a_file(void)
{
	int idx = t_chan_new(2, MSG, 0), fd, nb;
	unsigned char buf[MSG];
	struct stalled st1, st2;
	struct trap trap1, trap2;
	int got = 0, i;

	if (!T_GE(idx, 0, "cap 2: create a channel"))
		return;
	fd = t_chan_open(idx, O_RDWR);
	nb = t_chan_open(idx, O_RDWR | O_NONBLOCK);
	if (!T_OK(trap_set(&trap1) && trap_set(&trap2), "two userfaultfd trap pages"))
		goto out;
	T_OK(stalled_start(&st1, fd, true, trap1.page, MSG), "thread 1 writes from trap 1");
	T_OK(trap_sprung(&trap1), "  ... and stalls");
	T_OK(stalled_start(&st2, fd, true, trap2.page, MSG),
	     "thread 2 writes from trap 2 through the same file");
	T_OK(trap_sprung(&trap2), "  ... and stalls");
	T_EQ(poll_now(nb), POLLOUT, "poll: writable (one slot of two left), not readable");
	t_fill(buf, MSG, 9);
	T_EQ(SYS(write(nb, buf, MSG)), MSG, "an O_NONBLOCK write takes it");
	T_EQ(poll_now(nb), POLLIN, "poll: readable, and full");
	T_EQ(SYS(write(nb, buf, MSG)), -EAGAIN, "the next O_NONBLOCK write finds it full");
	T_EQ(SYS(read(nb, buf, MSG)), MSG, "an O_NONBLOCK read gets that message");
	T_OK(t_verify(buf, MSG, 9), "  ... intact");
	T_OK(trap_serve(&trap2, 0x22) && trap_serve(&trap1, 0x11), "serve both faults");
	T_OK(stalled_join(&st1) && stalled_join(&st2), "both writers return");
	T_EQ(st1.ret + st2.ret, 2 * MSG, "  ... with success");
	for (i = 0; i < 2; i++) {
		T_EQ(SYS(read(nb, buf, MSG)), MSG, "read message %d", i);
		got |= t_verify(buf, MSG, 0x11) ? 1 : t_verify(buf, MSG, 0x22) ? 2 : 4;
	}
	T_EQ(got, 3, "both stalled messages arrive, intact");
	trap_clear(&trap1);
	trap_clear(&trap2);
out:
	close(nb);
	close(fd);
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

/* Unbuffered: a sender stalled pinning its own buffer has not parked yet. */
static void test_stalled_sender_unbuffered(void)
{
	int idx = t_chan_new(0, MSG, 0), fd, nb;
	unsigned char buf[MSG];
	struct stalled st;
	struct trap trap;

	if (!T_GE(idx, 0, "cap 0: create a channel"))
		return;
	fd = t_chan_open(idx, O_RDWR);
	nb = t_chan_open(idx, O_RDWR | O_NONBLOCK);
	if (!T_OK(trap_set(&trap), "cap 0: a userfaultfd trap page"))
		goto out;
	T_OK(stalled_start(&st, fd, true, trap.page, MSG),
	     "cap 0: a thread writes from the trap page");
	T_OK(trap_sprung(&trap), "cap 0: it stalls in the page fault");
	T_EQ(poll_now(nb) & POLLIN, 0, "cap 0: poll: not readable");
	T_EQ(SYS(read(nb, buf, MSG)), -EAGAIN, "cap 0: an O_NONBLOCK read gives EAGAIN at once");
	T_OK(trap_serve(&trap, 0x77), "cap 0: serve the fault");
	T_EQ(t_wait_attr(idx, "waiting_senders", 1, T_TIMEOUT_MS), 0,
	     "cap 0: the writer parks");
	T_EQ(SYS(read(nb, buf, MSG)), MSG, "cap 0: an O_NONBLOCK read takes its message");
	T_OK(t_verify(buf, MSG, 0x77), "  ... intact");
	T_OK(stalled_join(&st), "cap 0: the writer returns");
	T_EQ(st.ret, MSG, "  ... with success");
	trap_clear(&trap);
out:
	close(nb);
	close(fd);
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

int main(void)
{
	struct trap probe;

	t_init("nowait_stall");
	if (!trap_set(&probe))
		t_skip_all("userfaultfd is not available here: %m");
	trap_clear(&probe);
	test_stalled_receiver(1);
	test_stalled_receiver(4);
	test_stalled_receiver_unbuffered();
	test_stalled_sender(1);
	test_stalled_sender(2);
	test_stalled_senders_sharing_a_file();
	test_stalled_sender_unbuffered();
	return t_done();
}
