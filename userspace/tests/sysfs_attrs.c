// SPDX-License-Identifier: GPL-2.0
/*
 * Description: the sysfs attributes (chan(4), sysfs) that the channel core covers
 * exist, read one number each, start sane on a fresh channel, and are
 * read-only except capacity. readers/writers count open files by access
 * mode (O_RDWR in both; dup and fork share an open file). sent/received and
 * bytes_sent/bytes_received add up with len; full/empty count the try-ops
 * (O_NONBLOCK or timeout 0) that found the channel full/empty; the wait-time
 * counters grow by at least the time a sender/receiver was parked, and the
 * max never exceeds the total. closed goes 0 -> 1.
 */
#include <sys/stat.h>

#include "helpers.h"

static const char *const top[] = {
	"capacity", "msg_size", "len", "closed", "waiting_senders",
	"waiting_receivers", "readers", "writers", "oldest_wait_ms",
};

static const char *const stats[] = {
	"stats/sent", "stats/received", "stats/bytes_sent", "stats/bytes_received",
	"stats/full", "stats/empty", "stats/send_timeouts", "stats/recv_timeouts",
	"stats/interrupted", "stats/send_wait_ns", "stats/recv_wait_ns",
	"stats/send_wait_max_ns", "stats/recv_wait_max_ns",
	"stats/breaker_rejected", "stats/rate_limited",
};

#define PARK_MS 50

static void check_fresh(int idx)
{
	char path[128];
	struct stat st;
	long long v;
	size_t i;
	int r;

	for (i = 0; i < T_ARRAY_SIZE(top) + T_ARRAY_SIZE(stats); i++) {
		const char *a = i < T_ARRAY_SIZE(top) ? top[i] : stats[i - T_ARRAY_SIZE(top)];
		long long want = !strcmp(a, "capacity") ? 3 : !strcmp(a, "msg_size") ? 100 : 0;

		r = t_attr_read(idx, a, &v);
		if (!T_EQ(r, 0, "chan%d/%s exists and reads one number", idx, a))
			continue;
		T_EQ(v, want, "fresh channel: %s is %lld", a, want);
		snprintf(path, sizeof(path), T_SYSFS_CLASS "/chan%d/%s", idx, a);
		if (!stat(path, &st))
			T_EQ(st.st_mode & 0777, strcmp(a, "capacity") ? 0444 : 0644,
			     "%s has mode %s (got 0%o)", a, strcmp(a, "capacity") ? "0444" : "0644",
			     st.st_mode & 0777);
	}
	snprintf(path, sizeof(path), T_SYSFS_CLASS "/chan%d/len", idx);
	T_EQ(SYS(open(path, O_WRONLY)), -EACCES,
	     "a read-only attribute (len) cannot be opened for writing, even by root");
}

static int hold(void *arg)
{
	int *go = arg;
	uint64_t end = t_now_ns() + T_TIMEOUT_NS;

	while (!__atomic_load_n(go, __ATOMIC_SEQ_CST) && t_now_ns() < end)
		t_sleep_ms(1);
	return 0;
}

static void check_rw(int idx, long long r, long long w, const char *state)
{
	T_EQ(t_attr(idx, "readers"), r, "%s: readers %lld", state, r);
	T_EQ(t_attr(idx, "writers"), w, "%s: writers %lld", state, w);
}

static void test_readers_writers(int idx)
{
	int ro, wo, rw, d, *go = t_shared(sizeof(int));
	pid_t pid;

	ro = t_chan_open(idx, O_RDONLY);
	check_rw(idx, 1, 0, "one O_RDONLY fd");
	wo = t_chan_open(idx, O_WRONLY);
	check_rw(idx, 1, 1, "plus one O_WRONLY fd");
	rw = t_chan_open(idx, O_RDWR);
	check_rw(idx, 2, 2, "plus one O_RDWR fd (counts in both)");
	d = dup(rw);
	check_rw(idx, 2, 2, "plus a dup of it (same open file)");
	pid = t_fork(hold, go);
	check_rw(idx, 2, 2, "plus a forked child holding them");
	close(rw);
	close(d);
	check_rw(idx, 2, 2, "parent closed the O_RDWR file, the child still has it");
	__atomic_store_n(go, 1, __ATOMIC_SEQ_CST);
	T_CHILD(pid, T_TIMEOUT_MS, 0, "the child exits");
	check_rw(idx, 1, 1, "after the child exited");
	close(ro);
	close(wo);
	check_rw(idx, 0, 0, "all closed");
}

static void test_counters(int idx)
{
	int fd = t_chan_open(idx, O_RDWR), nb = t_chan_open(idx, O_RDWR | O_NONBLOCK);
	unsigned char buf[100];
	long long sent, recvd, len;

	t_set_timeouts(fd, T_TIMEOUT_NS, T_TIMEOUT_NS);
	T_EQ(SYS(write(fd, buf, 10)), 10, "send 10 bytes");
	T_EQ(t_send(fd, buf, 20, 0), 0, "send 20 bytes");
	T_EQ(SYS(write(fd, buf, 30)), 30, "send 30 bytes (now full)");
	T_EQ(t_attr(idx, "stats/sent"), 3, "stats/sent 3");
	T_EQ(t_attr(idx, "stats/bytes_sent"), 60, "stats/bytes_sent 60");
	T_EQ(t_attr(idx, "len"), 3, "len 3");

	T_EQ(SYS(write(nb, buf, 1)), -EAGAIN, "O_NONBLOCK write on full");
	T_EQ(SYS(write(nb, buf, 1)), -EAGAIN, "again");
	T_EQ(t_send(fd, buf, 1, 0), -EAGAIN, "CHAN_IOC_SEND timeout 0 on full");
	T_EQ(t_attr(idx, "stats/full"), 3, "stats/full counts the 3 try-sends that found it full");

	T_EQ(SYS(read(fd, buf, sizeof(buf))), 10, "receive 10 bytes");
	T_EQ(t_recv(fd, buf, sizeof(buf), 0), 20, "receive 20 bytes");
	T_EQ(t_attr(idx, "stats/received"), 2, "stats/received 2");
	T_EQ(t_attr(idx, "stats/bytes_received"), 30, "stats/bytes_received 30");
	sent = t_attr(idx, "stats/sent");
	recvd = t_attr(idx, "stats/received");
	len = t_attr(idx, "len");
	T_EQ(sent - recvd, len, "sent (%lld) - received (%lld) == len (%lld)", sent, recvd, len);
	T_EQ(SYS(read(nb, buf, sizeof(buf))), 30, "receive the last 30 bytes");
	T_EQ(t_attr(idx, "stats/bytes_received"), 60, "stats/bytes_received 60");

	T_EQ(SYS(read(nb, buf, sizeof(buf))), -EAGAIN, "O_NONBLOCK read on empty");
	T_EQ(t_recv(fd, buf, sizeof(buf), 0), -EAGAIN, "CHAN_IOC_RECV timeout 0 on empty");
	T_EQ(t_attr(idx, "stats/empty"), 2, "stats/empty counts the 2 try-receives that found it empty");
	T_EQ(t_attr(idx, "stats/full"), 3, "stats/full unchanged");
	T_EQ(t_attr(idx, "stats/send_timeouts") + t_attr(idx, "stats/recv_timeouts") +
	     t_attr(idx, "stats/interrupted"), 0, "no timeouts or interruptions were counted");
	close(fd);
	close(nb);
}

static void test_wait_times(int idx)
{
	int fd = t_chan_open(idx, O_RDWR), i;
	long long tot, max, tot0;
	unsigned char buf[100];
	struct t_op *op;
	pid_t pid;

	/* A receiver parked for >= PARK_MS. */
	tot0 = t_attr(idx, "stats/recv_wait_ns");
	op = t_op_new(T_OP_READ, idx, O_RDONLY, 100);
	T_EQ(t_attr(idx, "oldest_wait_ms"), 0, "oldest_wait_ms 0 with nobody parked");
	pid = T_OP_PARK(op, "waiting_receivers", 1);
	t_sleep_ms(PARK_MS);	/* the wait being measured, not synchronisation */
	T_GE(t_attr(idx, "oldest_wait_ms"), PARK_MS,
	     "oldest_wait_ms >= %d with a receiver parked that long", PARK_MS);
	T_LT(t_attr(idx, "oldest_wait_ms"), 600 * 1000, "oldest_wait_ms is sane (< 10 min)");
	T_EQ(t_send(fd, buf, 5, 0), 0, "send to the parked receiver");
	T_CHILD(pid, T_TIMEOUT_MS, 0, "the receiver returns");
	T_EQ(t_attr(idx, "oldest_wait_ms"), 0, "oldest_wait_ms back to 0");
	tot = t_attr(idx, "stats/recv_wait_ns");
	max = t_attr(idx, "stats/recv_wait_max_ns");
	T_GE(tot - tot0, PARK_MS * T_NSEC_PER_MSEC, "stats/recv_wait_ns grew by >= %d ms", PARK_MS);
	T_GE(max, PARK_MS * T_NSEC_PER_MSEC, "stats/recv_wait_max_ns >= %d ms", PARK_MS);
	T_LE(max, tot, "stats/recv_wait_max_ns <= stats/recv_wait_ns");
	T_LT(tot, 600 * T_NSEC_PER_SEC, "stats/recv_wait_ns is sane (< 10 min)");

	/* A sender parked on a full channel for >= PARK_MS. */
	tot0 = t_attr(idx, "stats/send_wait_ns");
	for (i = 0; i < 3; i++)
		t_send(fd, buf, 1, 0);
	op = t_op_new(T_OP_WRITE, idx, O_WRONLY, 7);
	pid = T_OP_PARK(op, "waiting_senders", 1);
	t_sleep_ms(PARK_MS);
	T_EQ(t_recv(fd, buf, sizeof(buf), 0), 1, "receive one: the parked sender completes");
	T_CHILD(pid, T_TIMEOUT_MS, 0, "the sender returns");
	tot = t_attr(idx, "stats/send_wait_ns");
	max = t_attr(idx, "stats/send_wait_max_ns");
	T_GE(tot - tot0, PARK_MS * T_NSEC_PER_MSEC, "stats/send_wait_ns grew by >= %d ms", PARK_MS);
	T_GE(max, PARK_MS * T_NSEC_PER_MSEC, "stats/send_wait_max_ns >= %d ms", PARK_MS);
	T_LE(max, tot, "stats/send_wait_max_ns <= stats/send_wait_ns");
	T_LT(tot, 600 * T_NSEC_PER_SEC, "stats/send_wait_ns is sane (< 10 min)");
	while (t_recv(fd, buf, sizeof(buf), 0) > 0)
		;

	T_EQ(t_attr(idx, "closed"), 0, "closed reads 0");
	T_EQ(t_close_chan(fd), 0, "close the channel");
	T_EQ(t_attr(idx, "closed"), 1, "closed reads 1");
	close(fd);
}

int main(void)
{
	int idx;

	t_init("sysfs_attrs");
	idx = t_chan_new(3, 100, 0);
	if (!T_GE(idx, 0, "create a channel of capacity 3, msg_size 100"))
		return t_done();
	check_fresh(idx);
	test_readers_writers(idx);
	test_counters(idx);
	test_wait_times(idx);
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
	return t_done();
}
