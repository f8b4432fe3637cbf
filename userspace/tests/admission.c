// SPDX-License-Identifier: GPL-2.0
/*
 * Description: adaptive admission, the cap on parked senders, through
 * sysfs admission/. Defaults (off: target_us 0, max_limit 64, limit 64)
 * and validation (max_limit 0 or over 1048576, non-numbers, an
 * unprivileged writer). With the cap at 2 and two senders parked, a third
 * blocking send fails at once with EBUSY, counted in
 * stats/admission_rejected and not as a breaker failure, while a
 * non-blocking one still gets EAGAIN; once one parked sender moves in, a
 * new one may park again. The cap follows the queueing delay: senders
 * that wait longer than the target (timed-out sends) shrink it by a tenth
 * per 100 ms interval, and senders served quickly grow it back by one per
 * interval, up to max_limit. Nothing is lost: every message sent is
 * received.
 */
#include <stdlib.h>

#include "helpers.h"

#define MSG	16
#define MS	T_NSEC_PER_MSEC

static long long adm(int idx, const char *what)
{
	char attr[64];

	snprintf(attr, sizeof(attr), "admission/%s", what);
	return t_attr(idx, attr);
}

static int adm_write(int idx, const char *what, const char *val)
{
	char attr[64];

	snprintf(attr, sizeof(attr), "admission/%s", what);
	return t_attr_write(idx, attr, val);
}

static int unprivileged(void *arg)
{
	int idx = *(int *)arg;

	if (t_drop_privs())
		return 2;
	return adm_write(idx, "target_us", "5") ? 0 : 3;
}

static void test_defaults_and_validation(void)
{
	int idx = t_chan_new(4, MSG, 0);
	int *arg = t_shared(sizeof(*arg));
	pid_t pid;

	T_EQ(adm(idx, "target_us"), 0, "admission/target_us 0 (off) by default");
	T_EQ(adm(idx, "max_limit"), 64, "admission/max_limit 64");
	T_EQ(adm(idx, "limit"), 64, "admission/limit 64");
	T_EQ(t_attr(idx, "stats/admission_rejected"), 0, "stats/admission_rejected 0");
	T_EQ(adm_write(idx, "max_limit", "0"), -EINVAL, "max_limit 0: EINVAL");
	T_EQ(adm_write(idx, "max_limit", "1048577"), -EINVAL, "max_limit 1048577: EINVAL");
	T_EQ(adm_write(idx, "max_limit", "x"), -EINVAL, "max_limit x: EINVAL");
	T_EQ(adm_write(idx, "target_us", "-1"), -EINVAL, "target_us -1: EINVAL");
	T_EQ(adm_write(idx, "limit", "3"), -EACCES, "limit is read-only");
	T_EQ(adm(idx, "max_limit"), 64, "  ... nothing changed");
	T_EQ(adm_write(idx, "max_limit", "1048576"), 0, "max_limit 1048576: accepted");
	T_EQ(adm(idx, "limit"), 1048576, "  ... the cap opens to it");
	*arg = idx;
	pid = t_fork(unprivileged, arg);
	T_CHILD(pid, T_TIMEOUT_MS, 0, "an unprivileged process cannot write target_us");
	T_EQ(adm(idx, "target_us"), 0, "  ... still 0");
	t_chan_destroy(idx, 0);
}

struct sender_ctx {
	int idx;
	uint32_t id;
	long long timeout_ns;
	long ret;
};

static int blocking_sender(void *arg)
{
	struct sender_ctx *x = arg;
	unsigned char msg[MSG];
	int fd = t_chan_open(x->idx, O_WRONLY);

	if (fd < 0)
		return 2;
	t_fill(msg, MSG, x->id);
	x->ret = t_send(fd, msg, MSG, x->timeout_ns);
	return 0;
}

static void test_cap(void)
{
	struct chan_breaker_config c = {
		.mode = CHAN_BREAKER_AUTO, .window_ms = 10000, .min_calls = 1,
		.failure_pct = 1, .consecutive_failures = 1, .slow_pct = 100,
		.open_ms = 5000, .open_min_ms = 1000, .open_max_ms = 60000,
		.half_open_probes = 1, .half_open_max_ms = 10000,
	};
	struct sender_ctx *x = t_shared(3 * sizeof(*x));
	struct chan_breaker_status st;
	int idx = t_chan_new(1, MSG, 0), fd, i;
	unsigned char msg[MSG];
	uint64_t t0, t1;
	pid_t pid[3];

	fd = t_chan_open(idx, O_RDWR);
	T_EQ(adm_write(idx, "max_limit", "2"), 0, "max_limit 2");
	T_EQ(adm_write(idx, "target_us", "10000000"), 0, "target_us 10 s (the cap stays put)");
	T_EQ(t_send(fd, msg, MSG, 0), 0, "fill the channel (capacity 1)");
	for (i = 0; i < 2; i++) {
		x[i] = (struct sender_ctx) { .idx = idx, .id = 10 + i, .timeout_ns = -1 };
		pid[i] = t_fork(blocking_sender, &x[i]);
		T_EQ(t_wait_attr(idx, "waiting_senders", i + 1, T_TIMEOUT_MS), 0,
		     "blocking sender %d parks", i + 1);
	}
	T_EQ(SYS(ioctl(fd, CHAN_IOC_SET_BREAKER, &c)), 0,
	     "a breaker that trips on one failure");
	t_fill(msg, MSG, 99);
	t0 = t_now_ns();
	T_EQ(t_send(fd, msg, MSG, 5000 * MS), -EBUSY,
	     "a third blocking send, 2 parked at the cap: EBUSY");
	t1 = t_now_ns();
	T_LT((long long)(t1 - t0) / MS, 1000, "  ... at once (ms)");
	T_EQ(t_attr(idx, "stats/admission_rejected"), 1, "  ... counted in stats/admission_rejected");
	T_EQ(t_attr(idx, "stats/full"), 3, "  ... and in full (it found no room, as the 2 parked did)");
	T_EQ(SYS(ioctl(fd, CHAN_IOC_GET_BREAKER_STATUS, &st)), 0, "breaker status");
	T_EQ(st.state, CHAN_BREAKER_CLOSED, "  ... not a breaker failure: CLOSED");
	T_EQ(t_send(fd, msg, MSG, 0), -EAGAIN, "a non-blocking send: EAGAIN, as on any full channel");
	T_EQ(t_attr(idx, "stats/admission_rejected"), 1, "  ... not counted as an admission refusal");
	c.mode = CHAN_BREAKER_DISABLED;
	T_EQ(SYS(ioctl(fd, CHAN_IOC_SET_BREAKER, &c)), 0, "breaker off again");

	T_EQ(t_recv(fd, msg, MSG, 0), MSG, "receive one: a parked sender moves in");
	T_EQ(t_wait_attr(idx, "waiting_senders", 1, T_TIMEOUT_MS), 0, "  ... 1 parked");
	x[2] = (struct sender_ctx) { .idx = idx, .id = 12, .timeout_ns = -1 };
	pid[2] = t_fork(blocking_sender, &x[2]);
	T_EQ(t_wait_attr(idx, "waiting_senders", 2, T_TIMEOUT_MS), 0,
	     "  ... a new blocking sender may park again");
	for (i = 0; i < 3; i++)
		T_EQ(t_recv(fd, msg, MSG, T_TIMEOUT_NS), MSG, "receive %d", i);
	for (i = 0; i < 3; i++) {
		T_CHILD(pid[i], T_TIMEOUT_MS, 0, "sender %d ends", i + 1);
		T_EQ(x[i].ret, 0, "  ... its message went");
	}
	T_EQ(t_attr(idx, "len"), 0, "every message received: len 0");
	close(fd);
	t_chan_destroy(idx, 0);
}

struct consumer_ctx {
	int idx;
	volatile int stop;
	long received;
};

/* Takes a message every 2 ms until told to stop. */
static int quick_consumer(void *arg)
{
	struct consumer_ctx *x = arg;
	unsigned char msg[MSG];
	int fd = t_chan_open(x->idx, O_RDONLY);

	if (fd < 0)
		return 2;
	while (!x->stop) {
		if (t_recv(fd, msg, MSG, 50 * MS) == MSG)
			x->received++;
		t_sleep_ms(2);
	}
	return 0;
}

static void test_follows_delay(void)
{
	struct consumer_ctx *cx = t_shared(sizeof(*cx));
	int idx = t_chan_new(1, MSG, 0), fd, i;
	long long low, limit, sent = 1;
	long err;
	unsigned char msg[MSG];
	uint64_t end;
	pid_t pid;

	fd = t_chan_open(idx, O_RDWR);
	T_EQ(adm_write(idx, "max_limit", "10"), 0, "max_limit 10");
	T_EQ(adm_write(idx, "target_us", "40000"), 0, "target 40 ms");
	T_EQ(t_send(fd, msg, MSG, 0), 0, "fill the channel; the consumer has stalled");
	/* Each send parks 60 ms, over the target, then times out. */
	for (i = 0; i < 12; i++)
		if (!T_EQ(t_send(fd, msg, MSG, 60 * MS), -ETIMEDOUT,
			  "a send waits 60 ms and times out (%d)", i))
			break;
	low = adm(idx, "limit");
	T_LE(low, 8, "  ... the cap shrank by a tenth per interval (limit %lld)", low);
	T_GE(low, 1, "  ... never below 1");

	cx->idx = idx;
	pid = t_fork(quick_consumer, cx);
	end = t_now_ns() + 1500 * MS;
	err = 0;
	while (!err && t_now_ns() < end) {
		t_fill(msg, MSG, (uint32_t)sent);
		err = t_send(fd, msg, MSG, T_TIMEOUT_NS);
		if (!err)
			sent++;
	}
	T_EQ(err, 0, "%lld sends to a quick consumer for 1.5 s all went", sent - 1);
	limit = adm(idx, "limit");
	T_GE(limit, low + 2, "a quick consumer: the cap grew back by one per interval (%lld -> %lld)",
	     low, limit);
	T_LE(limit, 10, "  ... up to max_limit at most");
	cx->stop = 1;
	T_CHILD(pid, T_TIMEOUT_MS, 0, "the consumer stops");
	T_EQ(cx->received + t_attr(idx, "len"), sent, "every message sent was received or is queued");
	close(fd);
	t_chan_destroy(idx, 0);
}

int main(void)
{
	t_init("admission");
	test_defaults_and_validation();
	test_cap();
	test_follows_delay();
	return t_done();
}
