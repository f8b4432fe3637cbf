// SPDX-License-Identifier: GPL-2.0
/*
 * Description: io_uring drives the device without worker threads: reads
 * and writes on buffered and unbuffered channels complete
 * inline when they can; otherwise they wait armed on poll and a peer's
 * write or read completes them; a parked read can be cancelled; a reader
 * with eight reads in flight against a writer on a buffered channel (one
 * read on an unbuffered one) gets every message exactly once, in order.
 * No request is ever handed to an io-wq worker (no iou-wrk thread appears,
 * and, where tracefs is mounted, the io_uring_queue_async_work tracepoint
 * never fires). (Several reads armed on an unbuffered channel are all
 * woken by each parked sender, which only one of them can take: poll
 * wakes every poller, so the others re-arm, and io_uring hands a request
 * that lost 128 times to a worker. Buffered channels queue what the
 * writer sends, so eight reads find messages.)
 */
#include <dirent.h>
#include <liburing.h>
#include <stdlib.h>

#include "helpers.h"

#define MSG	64
#define QD	8
#define STREAM	2000

#define TRACEFS	"/sys/kernel/tracing"

/* io-wq workers of this process: threads named iou-wrk-<pid>. */
static int count_workers(void)
{
	char path[300], comm[32];
	struct dirent *d;
	int n = 0;
	DIR *dir = opendir("/proc/self/task");

	if (!dir)
		return -1;
	while ((d = readdir(dir))) {
		FILE *f;

		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", d->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) && !strncmp(comm, "iou-wrk", 7))
			n++;
		fclose(f);
	}
	closedir(dir);
	return n;
}

static bool write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_TRUNC);
	bool ok;

	if (fd < 0)
		return false;
	ok = write(fd, val, strlen(val)) == (ssize_t)strlen(val);
	close(fd);
	return ok;
}

/* Turn the io_uring_queue_async_work tracepoint on; false if unavailable. */
static bool trace_async_start(void)
{
	return write_file(TRACEFS "/tracing_on", "0") &&
	       write_file(TRACEFS "/trace", "") &&
	       write_file(TRACEFS "/events/io_uring/io_uring_queue_async_work/enable", "1") &&
	       write_file(TRACEFS "/tracing_on", "1");
}

/* Events the tracepoint recorded, or -1. */
static int trace_async_stop(void)
{
	char line[512];
	int n = 0;
	FILE *f;

	write_file(TRACEFS "/tracing_on", "0");
	write_file(TRACEFS "/events/io_uring/io_uring_queue_async_work/enable", "0");
	f = fopen(TRACEFS "/trace", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (line[0] != '#' && strstr(line, "io_uring_queue_async_work"))
			n++;
	fclose(f);
	/* Tracing is on at boot: leave it so for whoever comes next. */
	write_file(TRACEFS "/tracing_on", "1");
	return n;
}

static struct io_uring_sqe *get_sqe(struct io_uring *ring)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	if (!sqe)
		t_bail("io_uring_get_sqe: submission queue full");
	return sqe;
}

static void prep_read(struct io_uring *ring, int fd, void *buf, unsigned int len,
		      __u64 tag)
{
	struct io_uring_sqe *sqe = get_sqe(ring);

	io_uring_prep_read(sqe, fd, buf, len, 0);
	sqe->user_data = tag;
}

static void prep_write(struct io_uring *ring, int fd, const void *buf,
		       unsigned int len, __u64 tag)
{
	struct io_uring_sqe *sqe = get_sqe(ring);

	io_uring_prep_write(sqe, fd, buf, len, 0);
	sqe->user_data = tag;
}

/* Wait up to @ms for a completion; its result and tag, or -ETIME. */
static int reap(struct io_uring *ring, int ms, __u64 *tag)
{
	struct __kernel_timespec ts = {
		.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000LL,
	};
	struct io_uring_cqe *cqe;
	int r = io_uring_wait_cqe_timeout(ring, &cqe, &ts);

	if (r < 0)
		return r == -ETIME ? -ETIME : r;
	r = cqe->res;
	if (tag)
		*tag = cqe->user_data;
	io_uring_cqe_seen(ring, cqe);
	return r;
}

static void test_inline(struct io_uring *ring, unsigned int cap)
{
	int idx = t_chan_new(cap, MSG, 0), fd;
	unsigned char in[3][MSG], out[3][MSG];
	__u64 tag;
	int i, r;

	if (!T_GE(idx, 0, "cap %u: create a channel", cap))
		return;
	fd = t_chan_open(idx, O_RDWR);
	for (i = 0; i < 3; i++) {
		t_fill(in[i], 10 + i, 40 + i);
		prep_write(ring, fd, in[i], 10 + i, i);
	}
	T_EQ(io_uring_submit(ring), 3, "cap %u: submit three writes", cap);
	for (i = 0; i < 3; i++) {
		r = reap(ring, T_TIMEOUT_MS, &tag);
		T_EQ(r, 10 + (int)tag, "cap %u: write %llu completes with its length", cap,
		     (unsigned long long)tag);
	}
	T_EQ(t_attr(idx, "len"), 3, "cap %u: three messages queued", cap);
	for (i = 0; i < 3; i++)
		prep_read(ring, fd, out[i], MSG, i);
	T_EQ(io_uring_submit(ring), 3, "cap %u: submit three reads", cap);
	for (i = 0; i < 3; i++) {
		r = reap(ring, T_TIMEOUT_MS, &tag);
		T_EQ(r, 10 + (int)tag, "cap %u: read %llu gets the message of its turn", cap,
		     (unsigned long long)tag);
		T_OK(t_verify(out[tag], 10 + tag, 40 + tag), "  ... intact");
	}
	T_EQ(count_workers(), 0, "cap %u: no io-wq worker was started", cap);
	close(fd);
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

/* A read on an empty channel waits on poll; a peer's write completes it. */
static void test_parked_read(struct io_uring *ring, unsigned int cap)
{
	int idx = t_chan_new(cap, MSG, 0), fd;
	unsigned char buf[MSG], msg[MSG];
	struct t_op *tx;
	pid_t ptx;
	int r;

	if (!T_GE(idx, 0, "cap %u: create a channel", cap))
		return;
	fd = t_chan_open(idx, O_RDWR);
	prep_read(ring, fd, buf, MSG, 1);
	T_EQ(io_uring_submit(ring), 1, "cap %u: submit a read on an empty channel", cap);
	T_EQ(reap(ring, 200, NULL), -ETIME, "cap %u: it does not complete", cap);
	T_EQ(t_attr(idx, "waiting_receivers"), 0,
	     "cap %u: it waits on poll, not parked in the channel", cap);
	tx = t_op_new(T_OP_WRITE, idx, O_WRONLY, 33);
	t_fill(tx->buf, 33, 0x33);
	ptx = t_op_start(tx);
	r = reap(ring, T_TIMEOUT_MS, NULL);
	T_EQ(r, 33, "cap %u: another process's write completes it", cap);
	T_OK(t_verify(buf, 33, 0x33), "  ... with that message");
	T_CHILD(ptx, T_TIMEOUT_MS, 0, "cap %u: the writer returns", cap);
	T_EQ(tx->ret, 33, "  ... with success");

	/* And the other way round: a write waits for room or a receiver. */
	if (cap) {
		for (r = 0; r < (int)cap; r++)
			T_EQ(SYS(write(fd, msg, 8)), 8, "cap %u: fill it", cap);
	}
	t_fill(msg, 21, 0x21);
	prep_write(ring, fd, msg, 21, 2);
	T_EQ(io_uring_submit(ring), 1, "cap %u: submit a write with no room", cap);
	T_EQ(reap(ring, 200, NULL), -ETIME, "cap %u: it does not complete", cap);
	if (cap) {
		for (r = 0; r < (int)cap; r++)
			T_EQ(SYS(read(fd, buf, MSG)), 8, "cap %u: drain one", cap);
		T_EQ(reap(ring, T_TIMEOUT_MS, NULL), 21, "cap %u: room completes it", cap);
		T_EQ(SYS(read(fd, buf, MSG)), 21, "cap %u: its message is queued", cap);
		T_OK(t_verify(buf, 21, 0x21), "  ... intact");
	} else {
		struct t_op *rx = t_op_new(T_OP_READ, idx, O_RDONLY, MSG);
		pid_t prx = t_op_start(rx);

		T_EQ(reap(ring, T_TIMEOUT_MS, NULL), 21, "cap 0: a receiver completes it");
		T_CHILD(prx, T_TIMEOUT_MS, 0, "cap 0: the receiver returns");
		T_EQ(rx->ret, 21, "  ... with the message");
		T_OK(t_verify(rx->buf, 21, 0x21), "  ... intact");
	}
	T_EQ(count_workers(), 0, "cap %u: no io-wq worker was started", cap);
	close(fd);
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

static void test_cancel(struct io_uring *ring)
{
	int idx = t_chan_new(4, MSG, 0), fd, i, r;
	unsigned char buf[MSG];
	struct io_uring_sqe *sqe;
	__u64 tag;
	bool got_read = false, got_cancel = false;

	if (!T_GE(idx, 0, "create a channel"))
		return;
	fd = t_chan_open(idx, O_RDWR);
	prep_read(ring, fd, buf, MSG, 7);
	T_EQ(io_uring_submit(ring), 1, "submit a read on an empty channel");
	T_EQ(reap(ring, 100, NULL), -ETIME, "it waits");
	sqe = get_sqe(ring);
	io_uring_prep_cancel(sqe, (void *)7, 0);
	sqe->user_data = 8;
	T_EQ(io_uring_submit(ring), 1, "submit its cancellation");
	for (i = 0; i < 2; i++) {
		r = reap(ring, T_TIMEOUT_MS, &tag);
		if (tag == 7) {
			got_read = true;
			T_EQ(r, -ECANCELED, "the read completes with ECANCELED");
		} else {
			got_cancel = true;
			T_EQ(r, 0, "the cancellation succeeds");
		}
	}
	T_OK(got_read && got_cancel, "both completed");
	t_fill(buf, 16, 0x16);
	T_EQ(SYS(write(fd, buf, 16)), 16, "a message sent afterwards");
	T_EQ(t_attr(idx, "len"), 1, "  ... stays queued: the cancelled read took nothing");
	close(fd);
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

struct streamer {
	int idx;
};

static int writer_main(void *arg)
{
	struct streamer *s = arg;
	unsigned char msg[MSG];
	int fd = t_chan_open(s->idx, O_WRONLY), i;

	if (fd < 0)
		return 2;
	for (i = 0; i < STREAM; i++) {
		t_fill(msg, MSG, i);
		if (write(fd, msg, MSG) != MSG)
			return 3;
	}
	return 0;
}

/* @qd reads in flight against a writer: every message once, in order. */
static void test_stream(struct io_uring *ring, unsigned int cap, int qd,
			bool traced)
{
	int idx = t_chan_new(cap, MSG, 0), fd, i, r, got = 0, bad = 0, inflight = 0;
	static unsigned char bufs[QD][MSG];
	struct streamer s;
	uint32_t expect = 0;
	__u64 tag = 0;
	pid_t pw;

	if (!T_GE(idx, 0, "cap %u: create a channel", cap))
		return;
	fd = t_chan_open(idx, O_RDONLY);
	s.idx = idx;
	if (traced)
		traced = trace_async_start();
	pw = t_fork(writer_main, &s);
	for (i = 0; i < qd; i++) {
		prep_read(ring, fd, bufs[i], MSG, i);
		inflight++;
	}
	io_uring_submit(ring);
	while (got < STREAM) {
		r = reap(ring, T_TIMEOUT_MS, &tag);
		if (r < 0 && r != -EAGAIN) {
			t_diag("read completion: %d", r);
			bad++;
			break;
		}
		inflight--;
		if (r == MSG) {
			if (t_msg_id(bufs[tag], MSG) != expect++)
				bad++;
			got++;
		} else {
			bad++;
		}
		if (got + inflight < STREAM) {
			prep_read(ring, fd, bufs[tag], MSG, tag);
			inflight++;
			io_uring_submit(ring);
		}
	}
	T_EQ(got, STREAM, "cap %u: %d reads in flight get all %d messages", cap, qd, STREAM);
	T_EQ(bad, 0, "cap %u: each exactly once, in order, whole", cap);
	T_CHILD(pw, T_TIMEOUT_MS * 3, 0, "cap %u: the writer finishes", cap);
	T_EQ(count_workers(), 0, "cap %u: no io-wq worker was started", cap);
	if (traced)
		T_EQ(trace_async_stop(), 0,
		     "cap %u: io_uring_queue_async_work never fired", cap);
	close(fd);
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

int main(void)
{
	struct io_uring ring;
	bool traced;
	int r;

	t_init("io_uring");
	r = io_uring_queue_init(32, &ring, 0);
	if (r < 0)
		t_skip_all("io_uring_queue_init: %s", strerror(-r));
	traced = access(TRACEFS "/events/io_uring/io_uring_queue_async_work/enable", W_OK) == 0;
	if (!traced)
		t_diag("no io_uring tracepoints in tracefs: worker threads are looked for in /proc only");
	test_inline(&ring, 4);
	test_parked_read(&ring, 2);
	test_parked_read(&ring, 0);
	test_cancel(&ring);
	test_stream(&ring, 16, QD, traced);
	test_stream(&ring, 0, 1, traced);
	io_uring_queue_exit(&ring);
	return t_done();
}
