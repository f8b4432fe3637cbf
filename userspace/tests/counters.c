// SPDX-License-Identifier: GPL-2.0
/*
 * Description: every counter counts exactly what a process did, in sysfs
 * stats/ and in CHAN_IOC_GET_STATS alike. On a channel of capacity 2:
 * sends and receives (sent, received, bytes), try-ops that found it full
 * or empty (full, empty), timed-out sends and receives (send_timeouts,
 * recv_timeouts, and their waits in send_wait_ns/recv_wait_ns and the
 * maxima, within tolerance), a receive interrupted by a signal
 * (interrupted), a send the breaker refused (breaker_rejected), one the
 * rate limiter refused (rate_limited); the histograms sum to sent and
 * received; at rest sent - received == len. /proc/<pid>/fdinfo shows the
 * channel's index and the file's timeouts.
 */
#include <signal.h>
#include <stdlib.h>

#include "helpers.h"

#define MSG	24
#define MS	T_NSEC_PER_MSEC
#define WAIT_MS	30

static const char *const counters[] = {
	"sent", "received", "bytes_sent", "bytes_received", "full", "empty",
	"send_timeouts", "recv_timeouts", "interrupted", "breaker_rejected",
	"rate_limited", "admission_rejected", "send_wait_ns", "recv_wait_ns",
	"send_wait_max_ns", "recv_wait_max_ns",
};

static long long stat_of(const struct chan_stats *st, size_t i)
{
	const __u64 *v = &st->sent;

	return (long long)v[i];
}

static long long ctr(int idx, const char *name)
{
	char attr[64];

	snprintf(attr, sizeof(attr), "stats/%s", name);
	return t_attr(idx, attr);
}

static void test_fdinfo(void)
{
	int idx = t_chan_new(2, MSG, 0), fd;
	char path[64], buf[512], want[64];
	FILE *f;
	size_t n;

	fd = t_chan_open(idx, O_RDWR);
	T_EQ(t_set_timeouts(fd, 1 * MS, 2 * MS), 0, "set timeouts 1 ms / 2 ms");
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!T_OK(f != NULL, "open %s", path))
		goto out;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	snprintf(want, sizeof(want), "chan-index:\t%d\n", idx);
	T_OK(strstr(buf, want) != NULL, "fdinfo has chan-index %d", idx);
	T_OK(strstr(buf, "chan-send-timeout-ns:\t1000000\n") != NULL,
	     "  ... chan-send-timeout-ns 1000000");
	T_OK(strstr(buf, "chan-recv-timeout-ns:\t2000000\n") != NULL,
	     "  ... chan-recv-timeout-ns 2000000");
out:
	close(fd);
	t_chan_destroy(idx, 0);
}

static void on_sig(int sig)
{
	(void)sig;
}

struct recv_ctx {
	int idx;
	volatile int started;
	long ret;
};

static int interrupted_receiver(void *arg)
{
	struct recv_ctx *x = arg;
	struct sigaction sa = { .sa_handler = on_sig };
	unsigned char buf[MSG];
	int fd = t_chan_open(x->idx, O_RDONLY);

	if (fd < 0)
		return 2;
	sigaction(SIGUSR1, &sa, NULL);	/* no SA_RESTART */
	x->started = 1;
	x->ret = SYS(read(fd, buf, MSG));
	return 0;
}

static void test_counters(void)
{
	struct chan_breaker_config c = {
		.mode = CHAN_BREAKER_FORCED_OPEN, .window_ms = 10000,
		.min_calls = 10, .failure_pct = 50, .slow_pct = 100,
		.open_ms = 5000, .open_min_ms = 1000, .open_max_ms = 60000,
		.half_open_probes = 3, .half_open_max_ms = 10000,
	};
	struct chan_rate r = { .rate = 1, .burst = 1 };
	struct recv_ctx *x = t_shared(sizeof(*x));
	int idx = t_chan_new(2, MSG, 0), fd;
	unsigned char msg[MSG] = { 7 };
	long long sum_s = 0, sum_r = 0;
	struct chan_stats st;
	size_t i;
	pid_t pid;

	fd = t_chan_open(idx, O_RDWR);
	T_EQ(t_send(fd, msg, MSG, 0), 0, "send 1");
	T_EQ(t_send(fd, msg, 10, 0), 0, "send 2 (10 bytes)");
	T_EQ(t_send(fd, msg, MSG, 0), -EAGAIN, "a try-send on the full channel: EAGAIN");
	T_EQ(t_send(fd, msg, MSG, WAIT_MS * MS), -ETIMEDOUT,
	     "a send with a %d ms timeout: ETIMEDOUT", WAIT_MS);
	T_EQ(t_recv(fd, msg, MSG, 0), MSG, "receive 1");
	T_EQ(t_recv(fd, msg, MSG, 0), 10, "receive 2");
	T_EQ(t_recv(fd, msg, MSG, 0), -EAGAIN, "a try-receive on the empty channel: EAGAIN");
	T_EQ(t_recv(fd, msg, MSG, WAIT_MS * MS), -ETIMEDOUT,
	     "a receive with a %d ms timeout: ETIMEDOUT", WAIT_MS);

	x->idx = idx;
	pid = t_fork(interrupted_receiver, x);
	T_EQ(t_wait_attr(idx, "waiting_receivers", 1, T_TIMEOUT_MS), 0, "a receiver parks");
	kill(pid, SIGUSR1);
	T_CHILD(pid, T_TIMEOUT_MS, 0, "  ... SIGUSR1 reaches it");
	T_EQ(x->ret, -EINTR, "  ... EINTR");

	T_EQ(SYS(ioctl(fd, CHAN_IOC_SET_BREAKER, &c)), 0, "breaker FORCED_OPEN");
	T_EQ(t_send(fd, msg, MSG, 0), -ECONNREFUSED, "a send: ECONNREFUSED");
	c.mode = CHAN_BREAKER_DISABLED;
	T_EQ(SYS(ioctl(fd, CHAN_IOC_SET_BREAKER, &c)), 0, "breaker DISABLED");
	T_EQ(SYS(ioctl(fd, CHAN_IOC_SET_RATE, &r)), 0, "rate 1/s, burst 1");
	T_EQ(t_send(fd, msg, MSG, 0), 0, "send 3 takes the token");
	T_EQ(t_send(fd, msg, MSG, 0), -EAGAIN, "send 4: no token, EAGAIN");

	T_EQ(ctr(idx, "sent"), 3, "sent 3");
	T_EQ(ctr(idx, "received"), 2, "received 2");
	T_EQ(ctr(idx, "bytes_sent"), 2 * MSG + 10, "bytes_sent %d", 2 * MSG + 10);
	T_EQ(ctr(idx, "bytes_received"), MSG + 10, "bytes_received %d", MSG + 10);
	T_EQ(ctr(idx, "full"), 2, "full 2 (the try-send and the timed-out send)");
	T_EQ(ctr(idx, "empty"), 3, "empty 3 (try, timed out, interrupted)");
	T_EQ(ctr(idx, "send_timeouts"), 1, "send_timeouts 1");
	T_EQ(ctr(idx, "recv_timeouts"), 1, "recv_timeouts 1");
	T_EQ(ctr(idx, "interrupted"), 1, "interrupted 1");
	T_EQ(ctr(idx, "breaker_rejected"), 1, "breaker_rejected 1");
	T_EQ(ctr(idx, "rate_limited"), 1, "rate_limited 1");
	T_EQ(ctr(idx, "admission_rejected"), 0, "admission_rejected 0");
	T_GE(ctr(idx, "send_wait_ns"), WAIT_MS * MS, "send_wait_ns >= %d ms", WAIT_MS);
	T_LT(ctr(idx, "send_wait_ns"), (WAIT_MS + 2000) * MS, "  ... and within 2 s of it");
	T_EQ(ctr(idx, "send_wait_max_ns"), ctr(idx, "send_wait_ns"),
	     "send_wait_max_ns: the one wait");
	T_GE(ctr(idx, "recv_wait_ns"), WAIT_MS * MS, "recv_wait_ns >= %d ms", WAIT_MS);
	T_LE(ctr(idx, "recv_wait_max_ns"), ctr(idx, "recv_wait_ns"),
	     "recv_wait_max_ns <= recv_wait_ns");
	T_GE(ctr(idx, "recv_wait_max_ns"), WAIT_MS * MS, "recv_wait_max_ns >= %d ms", WAIT_MS);
	T_EQ(ctr(idx, "sent") - ctr(idx, "received"), t_attr(idx, "len"),
	     "at rest: sent - received == len");

	memset(&st, 0xa5, sizeof(st));
	T_EQ(SYS(ioctl(fd, CHAN_IOC_GET_STATS, &st)), 0, "CHAN_IOC_GET_STATS");
	for (i = 0; i < T_ARRAY_SIZE(counters); i++)
		T_EQ(stat_of(&st, i), ctr(idx, counters[i]), "  ... %s as in sysfs", counters[i]);
	for (i = 0; i < CHAN_HIST_BUCKETS; i++) {
		sum_s += st.send_wait_hist[i];
		sum_r += st.recv_wait_hist[i];
	}
	T_EQ(sum_s, 3, "  ... the send histogram sums to sent");
	T_EQ(sum_r, 2, "  ... the receive histogram sums to received");
	close(fd);
	t_chan_destroy(idx, 0);
}

int main(void)
{
	t_init("counters");
	test_fdinfo();
	test_counters();
	return t_done();
}
