// SPDX-License-Identifier: GPL-2.0
/*
 * Description: what a channel shows of itself beyond sysfs.
 * CHAN_IOC_GET_INFO gives the channel and its gauges (index, capacity,
 * msg_size, flags, len, closed, waiting senders and receivers, readers,
 * writers, breaker state, oldest wait) as sysfs does; CHAN_IOC_GET_STATS
 * gives every counter as sysfs does, and its wait-time histograms count
 * every message sent and received (plain, parked, batched, by select),
 * each in the bucket of its wait: at rest they sum to sent and received.
 * Both reject bad pointers and short structs and zero a longer struct's
 * tail. debugfs chan/chan<N>/waiters lists a parked receiver and a parked
 * select (pid, comm, op, waited ms) and hist prints the histograms. The
 * tracepoints chan_send, chan_recv, chan_block, chan_close and
 * chan_breaker fire from real operations (tracefs). With stall_warn_ms
 * set, a receiver parked longer gets exactly one kernel log line naming
 * its pid, comm and channel.
 */
#include <sys/klog.h>
#include <stdlib.h>

#include "helpers.h"

#define MSG	16
#define MS	T_NSEC_PER_MSEC
#define DEBUGFS	"/sys/kernel/debug/chan"
#define TRACEFS	"/sys/kernel/tracing"

#define IOC_SIZED(cmd, size) \
	_IOC(_IOC_DIR(cmd), _IOC_TYPE(cmd), _IOC_NR(cmd), (size))

static int get_stats(int fd, struct chan_stats *st)
{
	memset(st, 0xa5, sizeof(*st));
	return SYS(ioctl(fd, CHAN_IOC_GET_STATS, st));
}

static unsigned long long hist_sum(const __u64 *h)
{
	unsigned long long sum = 0;
	int i;

	for (i = 0; i < CHAN_HIST_BUCKETS; i++)
		sum += h[i];
	return sum;
}

/* Read a whole file into @buf (NUL-terminated): its length or -errno. */
static long read_file(const char *path, char *buf, size_t size)
{
	long n, got = 0;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -errno;
	while (got < (long)size - 1 && (n = read(fd, buf + got, size - 1 - got)) > 0)
		got += n;
	close(fd);
	buf[got] = 0;
	return got;
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_TRUNC);
	long n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	close(fd);
	return n < 0 ? -errno : 0;
}

struct op_ctx {
	int idx;
	int select;		/* a one-case select instead of a read */
	long long timeout_ns;
	volatile int started;
	long ret;
};

static int receiver(void *arg)
{
	struct op_ctx *x = arg;
	unsigned char buf[MSG];
	struct chan_select_case c;
	int fd = t_chan_open(x->idx, O_RDONLY);

	if (fd < 0)
		return 2;
	x->started = 1;
	if (x->select) {
		t_sel_case(&c, fd, CHAN_OP_RECV, buf, MSG);
		x->ret = t_select(fd, &c, 1, x->timeout_ns);
	} else {
		x->ret = t_recv(fd, buf, MSG, x->timeout_ns);
	}
	return 0;
}

static void test_info(void)
{
	int idx = t_chan_new(4, MSG, CHAN_CREATE_F_AUTOCLOSE), fd, rd;
	unsigned char buf[sizeof(struct chan_info) + 8], msg[MSG] = { 1 };
	struct chan_info in;

	fd = t_chan_open(idx, O_RDWR);
	rd = t_chan_open(idx, O_RDONLY);
	T_EQ(t_send(fd, msg, MSG, 0), 0, "send one");
	T_EQ(t_send(fd, msg, MSG, 0), 0, "send another");
	memset(&in, 0xa5, sizeof(in));
	T_EQ(SYS(ioctl(fd, CHAN_IOC_GET_INFO, &in)), 0, "CHAN_IOC_GET_INFO");
	T_EQ(in.index, idx, "  ... index");
	T_EQ(in.capacity, 4, "  ... capacity 4");
	T_EQ(in.msg_size, MSG, "  ... msg_size");
	T_EQ(in.flags, CHAN_CREATE_F_AUTOCLOSE, "  ... flags as created");
	T_EQ(in.len, 2, "  ... len 2");
	T_EQ(in.closed, 0, "  ... not closed");
	T_EQ(in.waiting_senders + in.waiting_receivers, 0, "  ... nobody waits");
	T_EQ(in.readers, 2, "  ... 2 readers (O_RDWR and O_RDONLY)");
	T_EQ(in.writers, 1, "  ... 1 writer");
	T_EQ(in.breaker_state, CHAN_BREAKER_CLOSED, "  ... breaker closed");
	T_EQ(in.reserved, 0, "  ... reserved zero");
	T_EQ(in.oldest_wait_ms, 0, "  ... oldest_wait_ms 0");
	T_EQ(SYS(ioctl(fd, CHAN_IOC_GET_INFO, t_bad_ptr())), -EFAULT,
	     "GET_INFO into a bad pointer: EFAULT");
	T_EQ(SYS(ioctl(fd, CHAN_IOC_GET_STATS, t_ro_page())), -EFAULT,
	     "GET_STATS into a read-only page: EFAULT");
	T_EQ(SYS(ioctl(fd, IOC_SIZED(CHAN_IOC_GET_INFO, 48), &in)), -EINVAL,
	     "GET_INFO with a 48-byte struct: EINVAL");
	T_EQ(SYS(ioctl(fd, IOC_SIZED(CHAN_IOC_GET_STATS, 632), t_null())), -EINVAL,
	     "GET_STATS with a 632-byte struct: EINVAL, before the pointer is used");
	memset(buf, 0xa5, sizeof(buf));
	T_EQ(SYS(ioctl(rd, IOC_SIZED(CHAN_IOC_GET_INFO, sizeof(buf)), buf)), 0,
	     "GET_INFO into a longer struct, on a read-only fd");
	T_OK(!memcmp(buf + sizeof(in), "\0\0\0\0\0\0\0\0", 8), "  ... its tail is zeroed");
	T_EQ(t_close_chan(fd), 0, "close");
	T_EQ(SYS(ioctl(rd, CHAN_IOC_GET_INFO, &in)), 0, "GET_INFO");
	T_EQ(in.closed, 1, "  ... closed 1");
	close(rd);
	close(fd);
	t_chan_destroy(idx, 0);
}

/* Every message lands in a bucket; the sums match the counters. */
static void test_stats_and_hist(void)
{
	struct op_ctx *x = t_shared(sizeof(*x));
	int idx = t_chan_new(8, MSG, 0), fd, b, i;
	unsigned char msg[MSG] = { 2 }, bufs[4][MSG];
	struct chan_iov iov[4];
	struct chan_batch bt = { .vec = (uintptr_t)iov, .count = 4 };
	struct chan_select_case sc;
	struct chan_stats st;
	pid_t pid;

	fd = t_chan_open(idx, O_RDWR);
	for (i = 0; i < 4; i++)
		iov[i] = (struct chan_iov) { .buf = (uintptr_t)bufs[i], .len = MSG };
	T_EQ(t_send(fd, msg, MSG, 0), 0, "a plain send");
	T_EQ(SYS(ioctl(fd, CHAN_IOC_SEND_BATCH, &bt)), 4, "a batch of 4");
	t_sel_case(&sc, fd, CHAN_OP_SEND, msg, MSG);
	T_EQ(t_select(fd, &sc, 1, 0), 0, "a select's send");
	T_EQ(SYS(ioctl(fd, CHAN_IOC_RECV_BATCH, &bt)), 4, "receive a batch of 4");
	t_sel_case(&sc, fd, CHAN_OP_RECV, bufs[0], MSG);
	T_EQ(t_select(fd, &sc, 1, 0), 0, "a select's receive");
	T_EQ(t_recv(fd, bufs[0], MSG, 0), MSG, "a plain receive");
	T_EQ(t_recv(fd, bufs[0], MSG, 0), -EAGAIN, "empty: EAGAIN");

	/* A receiver parks about 200 ms before a message comes. */
	x->idx = idx;
	x->timeout_ns = -1;
	pid = t_fork(receiver, x);
	T_EQ(t_wait_attr(idx, "waiting_receivers", 1, T_TIMEOUT_MS), 0, "a receiver parks");
	t_sleep_ms(200);
	T_EQ(t_send(fd, msg, MSG, 0), 0, "a send serves it");
	T_CHILD(pid, T_TIMEOUT_MS, 0, "  ... it returns");
	T_EQ(x->ret, MSG, "  ... with the message");

	T_EQ(get_stats(fd, &st), 0, "CHAN_IOC_GET_STATS");
	T_EQ(st.sent, t_attr(idx, "stats/sent"), "  ... sent as sysfs (%llu)",
	     (unsigned long long)st.sent);
	T_EQ(st.sent, 7, "  ... 7 sent");
	T_EQ(st.received, t_attr(idx, "stats/received"), "  ... received as sysfs");
	T_EQ(st.received, 7, "  ... 7 received");
	T_EQ(st.bytes_sent, 7 * MSG, "  ... bytes_sent");
	T_EQ(st.bytes_received, t_attr(idx, "stats/bytes_received"), "  ... bytes_received");
	T_EQ(st.empty, t_attr(idx, "stats/empty"), "  ... empty as sysfs");
	T_EQ(st.full, t_attr(idx, "stats/full"), "  ... full as sysfs");
	T_EQ(st.recv_wait_ns, t_attr(idx, "stats/recv_wait_ns"), "  ... recv_wait_ns as sysfs");
	T_EQ(st.recv_wait_max_ns, t_attr(idx, "stats/recv_wait_max_ns"),
	     "  ... recv_wait_max_ns as sysfs");
	T_EQ(st.breaker_rejected + st.rate_limited + st.admission_rejected, 0,
	     "  ... no rejections");
	T_EQ(hist_sum(st.send_wait_hist), st.sent, "  ... the send histogram sums to sent");
	T_EQ(hist_sum(st.recv_wait_hist), st.received,
	     "  ... the receive histogram sums to received");
	T_EQ(st.send_wait_hist[0], 7, "  ... no sender waited: all in bucket 0");
	T_EQ(st.recv_wait_hist[0], 6, "  ... 6 receives did not wait");
	for (b = 1; b < CHAN_HIST_BUCKETS && !st.recv_wait_hist[b]; b++)
		;
	/* 200 ms is bucket 18, [131072, 262144) us; allow for a slow VM. */
	T_OK(b >= 17 && b <= 21, "  ... the parked one in the bucket of ~200 ms (bucket %d)", b);
	close(fd);
	t_chan_destroy(idx, 0);
}

static void test_debugfs(void)
{
	struct op_ctx *x = t_shared(2 * sizeof(*x));
	int idx = t_chan_new(2, MSG, 0), i;
	char path[128], buf[4096], want[64];
	unsigned char msg[MSG] = { 3 };
	pid_t pid[2];
	int fd;
	long n;

	snprintf(path, sizeof(path), DEBUGFS "/chan%d/waiters", idx);
	if (access(DEBUGFS, F_OK)) {
		T_OK(1, "# SKIP debugfs is not mounted");
		t_chan_destroy(idx, 0);
		return;
	}
	n = read_file(path, buf, sizeof(buf));
	T_EQ(n, 0, "debugfs chan%d/waiters: empty while nobody waits", idx);
	for (i = 0; i < 2; i++) {
		x[i].idx = idx;
		x[i].select = i;
		x[i].timeout_ns = -1;
		pid[i] = t_fork(receiver, &x[i]);
		T_EQ(t_wait_attr(idx, "waiting_receivers", i + 1, T_TIMEOUT_MS), 0,
		     "a %s parks", i ? "select" : "receiver");
	}
	t_sleep_ms(50);
	n = read_file(path, buf, sizeof(buf));
	T_GT(n, 0, "waiters has lines");
	for (i = 0; i < 2; i++) {
		snprintf(want, sizeof(want), "%d\t", pid[i]);
		T_OK(strstr(buf, want) != NULL, "  ... one for pid %d", pid[i]);
	}
	T_OK(strstr(buf, "\trecv\t") && strstr(buf, "\tselect-recv\t"),
	     "  ... ops recv and select-recv");
	T_OK(strstr(buf, "\tobserve\t") != NULL, "  ... the comm");
	fd = t_chan_open(idx, O_WRONLY);
	for (i = 0; i < 2; i++)
		T_EQ(t_send(fd, msg, MSG, T_TIMEOUT_NS), 0, "serve waiter %d", i);
	for (i = 0; i < 2; i++)
		T_CHILD(pid[i], T_TIMEOUT_MS, 0, "  ... it returns");
	n = read_file(path, buf, sizeof(buf));
	T_EQ(n, 0, "waiters empty again");
	snprintf(path, sizeof(path), DEBUGFS "/chan%d/hist", idx);
	n = read_file(path, buf, sizeof(buf));
	T_OK(n > 0 && !strncmp(buf, "wait_us_below\tsend\trecv\n", 24),
	     "debugfs hist has its header");
	T_OK(strstr(buf, "\n1\t2\t0\n") != NULL, "  ... and bucket 0: 2 sends, no receive at once");
	close(fd);
	t_chan_destroy(idx, 0);
	T_EQ(SYS(access(path, F_OK)), -ENOENT, "destroy removes the debugfs directory");
}

static bool has_line(const char *trace, const char *event, const char *fields)
{
	const char *p = trace;

	while ((p = strstr(p, event))) {
		const char *eol = strchr(p, '\n');

		if (strstr(p, fields) && (!eol || strstr(p, fields) < eol))
			return true;
		p += strlen(event);
	}
	return false;
}

static void test_tracepoints(void)
{
	static const char *const events[] = {
		"chan_send", "chan_recv", "chan_block", "chan_close", "chan_breaker",
	};
	struct chan_breaker_config c = {
		.mode = CHAN_BREAKER_FORCED_OPEN, .window_ms = 10000, .min_calls = 10,
		.failure_pct = 50, .slow_pct = 100, .open_ms = 5000,
		.open_min_ms = 1000, .open_max_ms = 60000, .half_open_probes = 3,
		.half_open_max_ms = 10000,
	};
	struct op_ctx *x = t_shared(sizeof(*x));
	static char trace[1 << 16];
	char path[160], fields[64];
	unsigned char msg[MSG] = { 4 };
	int idx, fd;
	size_t i;
	pid_t pid;

	if (access(TRACEFS "/events", F_OK)) {
		T_OK(1, "# SKIP no tracefs events on this kernel");
		return;
	}
	for (i = 0; i < T_ARRAY_SIZE(events); i++) {
		snprintf(path, sizeof(path), TRACEFS "/events/chan/%s/format", events[i]);
		T_EQ(SYS(access(path, R_OK)), 0, "tracepoint %s exists", events[i]);
	}
	T_EQ(write_file(TRACEFS "/tracing_on", "1"), 0, "tracing on");
	T_EQ(write_file(TRACEFS "/trace", ""), 0, "clear the trace");
	T_EQ(write_file(TRACEFS "/events/chan/enable", "1"), 0, "enable events/chan");
	idx = t_chan_new(2, MSG, 0);
	fd = t_chan_open(idx, O_RDWR);
	T_EQ(t_send(fd, msg, MSG, 0), 0, "send");
	T_EQ(t_recv(fd, msg, MSG, 0), MSG, "receive");
	x->idx = idx;
	x->timeout_ns = 50 * MS;
	pid = t_fork(receiver, x);
	T_CHILD(pid, T_TIMEOUT_MS, 0, "a receiver parks and times out");
	T_EQ(SYS(ioctl(fd, CHAN_IOC_SET_BREAKER, &c)), 0, "breaker FORCED_OPEN");
	T_EQ(t_close_chan(fd), 0, "close");
	T_EQ(write_file(TRACEFS "/events/chan/enable", "0"), 0, "disable events/chan");
	T_GT(read_file(TRACEFS "/trace", trace, sizeof(trace)), 0, "read the trace");
	if (!strstr(trace, "chan_send:"))
		t_diag("the trace: %.1500s", trace);
	snprintf(fields, sizeof(fields), "chan%d len=%d waited_ns=0", idx, MSG);
	T_OK(has_line(trace, "chan_send:", fields), "  ... chan_send: %s", fields);
	T_OK(has_line(trace, "chan_recv:", fields), "  ... chan_recv: %s", fields);
	snprintf(fields, sizeof(fields), "chan%d op=%d select=0", idx, CHAN_OP_RECV);
	T_OK(has_line(trace, "chan_block:", fields), "  ... chan_block: %s", fields);
	snprintf(fields, sizeof(fields), "chan%d state=%d", idx, CHAN_BREAKER_OPEN);
	T_OK(has_line(trace, "chan_breaker:", fields), "  ... chan_breaker: %s", fields);
	snprintf(fields, sizeof(fields), "chan%d len=0", idx);
	T_OK(has_line(trace, "chan_close:", fields), "  ... chan_close: %s", fields);
	close(fd);
	t_chan_destroy(idx, 0);
}

static int count_in_log(const char *needle)
{
	static char log[1 << 20];
	int n = klogctl(3, log, sizeof(log) - 1), count = 0;
	const char *p = log;

	if (n < 0)
		return -errno;
	log[n] = 0;
	while ((p = strstr(p, needle))) {
		count++;
		p += strlen(needle);
	}
	return count;
}

static void test_stall_warning(void)
{
	struct op_ctx *x = t_shared(sizeof(*x));
	int idx = t_chan_new(1, MSG, 0);
	char needle[96];
	long long old = t_param_or("stall_warn_ms", 0);
	pid_t pid;

	T_EQ(write_file("/sys/module/chan/parameters/stall_warn_ms", "150"), 0,
	     "stall_warn_ms 150");
	x->idx = idx;
	x->timeout_ns = 900 * MS;
	pid = t_fork(receiver, x);
	T_EQ(t_wait_attr(idx, "waiting_receivers", 1, T_TIMEOUT_MS), 0, "a receiver parks");
	T_CHILD(pid, T_TIMEOUT_MS, 0, "  ... and times out after 900 ms");
	T_EQ(x->ret, -ETIMEDOUT, "  ... ETIMEDOUT: the warning did not end its wait");
	snprintf(needle, sizeof(needle), "chan%d: observe (pid %d) has waited 150 ms to receive",
		 idx, pid);
	T_EQ(count_in_log(needle), 1, "exactly one kernel log line: \"%s\"", needle);
	snprintf(needle, sizeof(needle), "%lld", old);
	write_file("/sys/module/chan/parameters/stall_warn_ms", needle);
	t_chan_destroy(idx, 0);
}

int main(void)
{
	t_init("observe");
	test_info();
	test_stats_and_hist();
	test_debugfs();
	test_tracepoints();
	test_stall_warning();
	return t_done();
}
