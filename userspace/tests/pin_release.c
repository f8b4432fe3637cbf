// SPDX-License-Identifier: GPL-2.0
/*
 * Description: pinned pages are given back. An operation that waits on an
 * unbuffered channel pins its buffer's pages (its peer copies into them);
 * every pin is released exactly once, whether the operation completes,
 * times out, or fails part-way through pinning a buffer whose later page
 * is bad (EFAULT at once). /proc/vmstat's nr_foll_pin_acquired and
 * nr_foll_pin_released move by the same amount over the test. A buffer of
 * more than 8 pages borrows its file's spare page vector: after such a
 * pinning fails, the next wait on that file still parks at once.
 */
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "helpers.h"

static long long vmstat(const char *key)
{
	char line[128];
	long long v = -1;
	size_t n = strlen(key);
	FILE *f;
	int fd;

	/* Fold the per-CPU deltas in first, or the counts lag behind. */
	fd = open("/proc/sys/vm/stat_refresh", O_WRONLY);
	if (fd >= 0) {
		if (write(fd, "1", 1) < 0)
			t_diag("stat_refresh: %m");
		close(fd);
	}
	f = fopen("/proc/vmstat", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ' ')
			v = atoll(line + n + 1);
	fclose(f);
	return v;
}

static long long pins_held(void)
{
	return vmstat("nr_foll_pin_acquired") - vmstat("nr_foll_pin_released");
}

/* @pages pages, the @bad-th of them PROT_NONE. */
static unsigned char *buffer_with_hole(int pages, int bad)
{
	long pg = sysconf(_SC_PAGESIZE);
	unsigned char *p = mmap(NULL, pages * pg, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		t_bail("mmap: %m");
	memset(p, 0, pages * pg);
	mprotect(p + bad * pg, pg, PROT_NONE);
	return p;
}

/* A buffer of @len good bytes (never freed: the test is short). */
static unsigned char *good_buf(size_t len)
{
	unsigned char *p = malloc(len);

	if (!p)
		t_bail("malloc: %m");
	memset(p, 0, len);
	return p;
}

static void test_failed_pins(int pages, int bad)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t len = pages * pg;
	int idx = t_chan_new(0, len, 0), fd, i, efault = 0;
	unsigned char *buf = buffer_with_hole(pages, bad);
	long r;

	if (!T_GE(idx, 0, "create an unbuffered channel of %zu-byte messages", len))
		return;
	fd = t_chan_open(idx, O_RDWR);
	for (i = 0; i < 50; i++) {
		r = i & 1 ? t_recv(fd, buf, len, 100 * T_NSEC_PER_MSEC) :
			SYS(read(fd, buf, len));
		efault += r == -EFAULT;
		r = i & 1 ? t_send(fd, buf, len, 100 * T_NSEC_PER_MSEC) :
			SYS(write(fd, buf, len));
		efault += r == -EFAULT;
	}
	T_EQ(efault, 100, "%d pages, page %d bad: 50 receives and 50 sends that must wait "
	     "fail at once with EFAULT", pages, bad);
	T_EQ(t_attr(idx, "waiting_receivers") + t_attr(idx, "waiting_senders"), 0,
	     "  ... and none of them parked");
	/* The file's spare vector (big buffers) was given back: this parks. */
	r = t_recv(fd, good_buf(len), len, 300 * T_NSEC_PER_MSEC);
	T_EQ(r, -ETIMEDOUT, "a good receive on the same file then waits its 300 ms");
	T_EQ(t_attr(idx, "stats/recv_timeouts"), 1, "  ... parked: it counts as a receive timeout");
	munmap(buf, len);
	close(fd);
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

struct reader {
	int fd;
	unsigned char *buf;
	size_t len;
	volatile long ret;
	volatile int done;
};

static void *reader_main(void *arg)
{
	struct reader *r = arg;

	r->ret = t_recv(r->fd, r->buf, r->len, T_TIMEOUT_NS);
	__atomic_store_n(&r->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* After a failed big pin, the file's spare vector is there for the next. */
static void test_spare_returned(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t len = 16 * pg;
	int idx = t_chan_new(0, len, 0), fd, ms;
	unsigned char *bad = buffer_with_hole(16, 12), *msg = good_buf(len);
	struct reader r = { .len = len };
	pthread_t th;

	if (!T_GE(idx, 0, "create an unbuffered channel of 16-page messages"))
		return;
	fd = t_chan_open(idx, O_RDWR);
	T_EQ(SYS(read(fd, bad, len)), -EFAULT, "a 16-page receive with page 12 bad: EFAULT");
	r.fd = fd;
	r.buf = good_buf(len);
	pthread_create(&th, NULL, reader_main, &r);
	T_EQ(t_wait_attr(idx, "waiting_receivers", 1, T_TIMEOUT_MS), 0,
	     "a 16-page receive on the same file, in a thread, parks: it got the spare");
	t_fill(msg, len, 0x99);
	T_EQ(t_send(fd, msg, len, T_TIMEOUT_NS), 0, "send it a 16-page message");
	for (ms = 0; ms < T_TIMEOUT_MS && !r.done; ms += 10)
		t_sleep_ms(10);
	T_OK(r.done, "the receiver returns");
	if (r.done)
		pthread_join(th, NULL);
	T_EQ(r.ret, (long)len, "  ... with the message");
	T_OK(t_verify(r.buf, len, 0x99), "  ... intact");
	munmap(bad, len);
	close(fd);
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

/* Completed and timed-out waits release their pins too. */
static void test_completed_and_timed_out(void)
{
	int idx = t_chan_new(0, 256, 0), fd, i;
	unsigned char buf[256];
	struct t_op *rx;
	pid_t prx;

	if (!T_GE(idx, 0, "create an unbuffered channel"))
		return;
	fd = t_chan_open(idx, O_RDWR);
	for (i = 0; i < 10; i++) {
		rx = t_op_new(T_OP_READ, idx, O_RDONLY, 256);
		prx = T_OP_PARK(rx, "waiting_receivers", 1);
		t_fill(buf, 200, i);
		T_EQ(SYS(write(fd, buf, 200)), 200, "round %d: send to a parked, pinned receiver", i);
		T_CHILD(prx, T_TIMEOUT_MS, 0, "  ... it returns");
		T_OK(rx->ret == 200 && t_verify(rx->buf, 200, i), "  ... with the message");
	}
	for (i = 0; i < 10; i++)
		T_EQ(t_send(fd, buf, 200, 20 * T_NSEC_PER_MSEC), -ETIMEDOUT,
		     "send %d parks pinned and times out", i);
	close(fd);
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

int main(void)
{
	long long before;

	t_init("pin_release");
	if (vmstat("nr_foll_pin_acquired") < 0)
		t_skip_all("no nr_foll_pin_* in /proc/vmstat");
	before = pins_held();
	test_failed_pins(2, 1);
	test_failed_pins(16, 12);
	test_spare_returned();
	test_completed_and_timed_out();
	T_EQ(pins_held() - before, 0,
	     "nr_foll_pin_acquired and nr_foll_pin_released moved together");
	t_diag("pins acquired over the test: %lld",
	       vmstat("nr_foll_pin_acquired"));
	return t_done();
}
