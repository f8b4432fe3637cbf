// SPDX-License-Identifier: GPL-2.0
/*
 * Description: every allocation failure and every failed copy from or to
 * user memory on the module's paths gives a clean, documented error and
 * leaves the channel working, with nothing lost.
 *
 * The kernel's fail-nth interface (/proc/thread-self/fail-nth, in the
 * kernel's Documentation/fault-injection/fault-injection.rst) makes the Nth
 * fault-injectable call of a task fail: a slab allocation (failslab), a
 * page allocation (fail_page_alloc) or a user copy (fail_usercopy). For
 * each path below the test sweeps N = 1, 2, 3, ... up to the first N at
 * which the fault is not injected, the end of the path (see SW_HEAD for
 * which N are tried), and checks at every N:
 *
 * - the call returns success or an error chan(4) documents for it (the
 *   section is named in each check), never anything else, and never hangs
 *   (every call that could wait has a timeout);
 * - the channel is consistent afterwards: sysfs len holds what was sent and
 *   not received, stats/sent - stats/received == len, nobody is parked who
 *   should not be, and a send and a receive still work;
 * - nothing is lost or reordered: the test models each channel's queue, and
 *   every message received, during a sweep and when the channel is drained
 *   at its end, is the one the model expects. So a failed send queued
 *   nothing, a failed receive left its message first, a failed create or
 *   destroy left the set of channels as it was, a failed resize left the
 *   capacity and a failed configuration change the configuration.
 *
 * Paths: CHAN_CTL_CREATE (buffered, unbuffered, big capacity, big
 * messages, named) and CHAN_CTL_DESTROY (plain, forced with a file open);
 * open(2) (reader and writer, big messages, the only writer of an
 * auto-close channel); CHAN_IOC_SET_CAPACITY growing and shrinking (and to
 * and from 0) and the sysfs file capacity; write(2), read(2),
 * CHAN_IOC_SEND and CHAN_IOC_RECV on buffered channels (also with big
 * messages, and with buffers not faulted in yet) and, with a peer parked
 * in a child, on buffered and unbuffered ones, from both sides (the task
 * under fault either arrives or parks); CHAN_IOC_SEND_BATCH and
 * CHAN_IOC_RECV_BATCH over more than one chunk of the vector;
 * CHAN_IOC_SELECT of four cases, two of them ready, and of three, the
 * peer coming from a child; the breaker, rate and timeout ioctls,
 * CHAN_IOC_GET_INFO and CHAN_IOC_GET_STATS.
 *
 * The first and the last injectable calls of every path are all tried;
 * a long middle (the driver core adding a device and its sysfs files, a
 * slot after another of a big ring) is sampled. Under kmemleak every
 * allocation is followed by one of kmemleak's own, a call of its own. Each
 * sweep reports its counts with t_diag(). After the sweeps that charge the
 * max_bytes budget, the budget is checked to the byte, which a charge
 * leaked by a failure path would break; the harness's kmemleak scan after
 * the test catches leaked memory.
 *
 * Skipped (exit 77) on kernels without fault injection, such as Debian's
 * 6.1 and 6.12: it needs /proc/thread-self/fail-nth and the debugfs
 * directories failslab, fail_page_alloc and fail_usercopy. The knobs it
 * changes are restored on exit, also by the watchdog.
 */
#include <dirent.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "helpers.h"

#define FI_NTH		"/proc/thread-self/fail-nth"
#define FI_DEBUGFS	"/sys/kernel/debug"

/*
 * The schedule of a sweep: every N of the head (SW_HEAD unless a sweep
 * says otherwise), then N grows by half (or doubles) a step until a fault
 * is not injected; the end of the path (the first N past its last injectable
 * call) is then found exactly, by bisection, and the last SW_TAIL values
 * of N before it are all tried. So the calls at both ends of a path (for
 * a create, the module's allocations before the device is added, and
 * copying the result out after) are covered one by one, the middle (the
 * driver core adding the device and its sysfs files) by samples.
 */
#define SW_HEAD		32
#define SW_TAIL		12
#define SW_MAXN		8192
#define SW_STEPS	200
/* A sweep gives up after this many problems, and shows the first few. */
#define SW_GIVE_UP	20
#define SW_SHOW		5

#define MSG		64		/* message size of the small channels */
#define BIG_MSG		(128 << 10)	/* above a staging slot's 64 KiB */
#define COLD_MSG	(16 << 10)	/* faulted in during a receive */
#define SEL_MSG		(64 << 10)	/* the select's big channel */
#define SEL_BIG		(32 << 10)	/* needs a page vector to pin */
#define QMAX		256		/* messages a model queue holds */
#define NBATCH		40		/* more than a kernel chunk (32) */
#define NSEL		16		/* bookkeeping over a page */

/* ---- the fault-injection knobs ---- */

/*
 * fail-nth takes precedence over probability, interval, times and space,
 * but not over the filters of each capability, which by default exempt
 * exactly the allocations the module makes: failslab and fail_page_alloc
 * ignore allocations that may sleep (ignore-gfp-wait), fail_page_alloc
 * also highmem ones and those below order 1 (min-order). Those filters
 * are turned off. probability stays 0, so that only fail-nth injects, and
 * task-filter on, so that no other task could be hit even if it did not;
 * verbose 0 keeps the faults out of the kernel log (the default, 2, dumps
 * a stack per fault).
 */
struct knob {
	const char *path;
	const char *want;
	char saved[32];
	bool changed;
};

#define KNOB(file, val)	{ .path = FI_DEBUGFS "/" file, .want = val }

static struct knob knobs[] = {
	KNOB("failslab/probability", "0"),
	KNOB("failslab/verbose", "0"),
	KNOB("failslab/task-filter", "Y"),
	KNOB("failslab/ignore-gfp-wait", "N"),
	KNOB("fail_page_alloc/probability", "0"),
	KNOB("fail_page_alloc/verbose", "0"),
	KNOB("fail_page_alloc/task-filter", "Y"),
	KNOB("fail_page_alloc/ignore-gfp-wait", "N"),
	KNOB("fail_page_alloc/ignore-gfp-highmem", "N"),
	KNOB("fail_page_alloc/min-order", "0"),
	KNOB("fail_usercopy/probability", "0"),
	KNOB("fail_usercopy/verbose", "0"),
	KNOB("fail_usercopy/task-filter", "Y"),
};

/* The budget check lowers max_bytes for a moment. */
static struct knob max_bytes_knob = {
	.path = T_SYSFS_MODULE "/parameters/max_bytes",
};

static pid_t fi_main;		/* the process that restores the knobs */
static int fi_fd = -1;		/* this task's fail-nth */
static void (*helpers_watchdog)(int);

static int knob_read(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n < 0)
		return n;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* Async-signal-safe: the watchdog restores the knobs with it. */
static int knob_write(const char *path, const char *val)
{
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	if (n < 0)
		n = -errno;
	close(fd);
	return n < 0 ? (int)n : 0;
}

static int knob_set(struct knob *k, const char *val)
{
	int r;

	if (!k->changed) {
		r = knob_read(k->path, k->saved, sizeof(k->saved));
		if (r)
			return r;
	}
	k->changed = true;
	return knob_write(k->path, val);
}

static void knob_restore(struct knob *k)
{
	if (k->changed && !knob_write(k->path, k->saved))
		k->changed = false;
}

/* Async-signal-safe. */
static void knobs_restore(void)
{
	int i;

	if (getpid() != fi_main)
		return;
	/* Nothing may be left armed for the writes below. */
	if (fi_fd >= 0 && pwrite(fi_fd, "0", 1, 0) != 1 &&
	    pwrite(fi_fd, "0", 1, 0) != 1)
		fi_fd = -1;
	knob_restore(&max_bytes_knob);
	for (i = T_ARRAY_SIZE(knobs) - 1; i >= 0; i--)
		knob_restore(&knobs[i]);
}

static void watchdog(int sig)
{
	knobs_restore();
	if (helpers_watchdog)
		helpers_watchdog(sig);
	_exit(T_EXIT_FAIL);
}

static int fi_open(void)
{
	fi_fd = open(FI_NTH, O_RDWR | O_CLOEXEC);
	return fi_fd < 0 ? -errno : 0;
}

static void fi_setup(void)
{
	struct sigaction old;
	char val[32];
	size_t i;
	int r;

	if (access(FI_NTH, F_OK))
		t_skip_all("no %s: this kernel has no fault injection (CONFIG_FAULT_INJECTION)",
			   FI_NTH);
	for (i = 0; i < T_ARRAY_SIZE(knobs); i++)
		if (knob_read(knobs[i].path, val, sizeof(val)))
			t_skip_all("no %s: needs CONFIG_FAILSLAB, CONFIG_FAIL_PAGE_ALLOC, CONFIG_FAULT_INJECTION_USERCOPY, CONFIG_FAULT_INJECTION_DEBUG_FS and debugfs",
				   knobs[i].path);
	fi_main = getpid();
	atexit(knobs_restore);
	sigaction(SIGALRM, NULL, &old);
	if (old.sa_handler != SIG_DFL && old.sa_handler != SIG_IGN)
		helpers_watchdog = old.sa_handler;
	signal(SIGALRM, watchdog);
	for (i = 0; i < T_ARRAY_SIZE(knobs); i++) {
		r = knob_set(&knobs[i], knobs[i].want);
		if (r)
			t_bail("writing %s to %s: %s", knobs[i].want,
			       knobs[i].path, strerrorname_np(-r) ?: "?");
	}
	if (fi_open())
		t_bail("open %s: %m", FI_NTH);
}

/* Arm: the @n-th fault-injectable call of this task from now on fails. */
static void fi_arm(unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	errno = 0;
	if (pwrite(fi_fd, buf, len, 0) != len)
		t_bail("arming %s with %u: %m", FI_NTH, n);
}

/*
 * Disarm, and say whether the armed fault was injected (the counter went
 * down to 0). Reading the counter is itself a user copy, which counts:
 * at 1 it is the read that fails (EFAULT), and the call under test did
 * not take the fault. Whatever is left is cleared, again by a user copy
 * that may take it.
 */
static bool fi_disarm(void)
{
	char buf[16];
	ssize_t got = pread(fi_fd, buf, sizeof(buf) - 1, 0);
	bool injected;

	if (got > 0) {
		buf[got] = '\0';
		injected = strtoul(buf, NULL, 10) == 0;
	} else if (got < 0 && errno == EFAULT) {
		injected = false;
	} else {
		t_bail("reading %s: %m", FI_NTH);
	}
	if (pwrite(fi_fd, "0", 1, 0) != 1 && pwrite(fi_fd, "0", 1, 0) != 1)
		t_bail("clearing %s: %m", FI_NTH);
	return injected;
}

/*
 * Run @expr, the call under test, with the sweep's fault armed; nothing
 * else runs in between.
 */
#define INJECT(sw, injected, expr) ({				\
	long _fi_r;						\
	fi_arm((sw)->n);					\
	_fi_r = (expr);						\
	*(injected) = fi_disarm();				\
	_fi_r;							\
})

/*
 * A page fault in user mode between arming and disarming would allocate
 * (a page, a page table) and take the fault where the kernel can only
 * retry. mlockall() with MCL_CURRENT populates every mapping for writing,
 * which also breaks the copy-on-write sharing a fork() leaves behind (so
 * it is done again after each fork); MCL_FUTURE populates mappings made
 * later. The stack is grown first, so that it is populated too.
 */
static void __attribute__((noinline)) grow_stack(void)
{
	volatile char pad[256 << 10];
	size_t i;

	for (i = 0; i < sizeof(pad); i += 1024)
		pad[i] = 0;
}

static void fi_unshare(void)
{
	if (mlockall(MCL_CURRENT | MCL_FUTURE))
		t_bail("mlockall: %m");
}

/* ---- sweeps ---- */

struct sweep {
	const char *name;
	const char *ref;	/* where chan(4) documents the errors */
	const int *errs;	/* the errors documented there, 0-terminated */
	unsigned int n;		/* N of the step under way */
	unsigned int head;	/* every N up to this */
	unsigned int tail;	/* and this many before the end */
	unsigned int grow;	/* then N grows by N / grow a step */
	unsigned int lo;	/* the largest N that injected a fault */
	unsigned int end;	/* the smallest that did not, or 0 */
	enum { SW_DENSE, SW_SPARSE, SW_BISECT, SW_LAST, SW_DONE } phase;
	unsigned char tried[SW_MAXN / 8];
	unsigned int steps;	/* N tried */
	unsigned int failed;	/* the call gave an error */
	unsigned int absorbed;	/* a fault was injected, the call succeeded */
	unsigned int bad;	/* problems found */
	bool failed_now;	/* the call of this step failed */
	unsigned int seen[8];	/* failures per errs[] entry */
	uint64_t t0;
};

static void sw_begin(struct sweep *sw, const char *name, const char *ref,
		     const int *errs)
{
	memset(sw, 0, sizeof(*sw));
	sw->name = name;
	sw->ref = ref;
	sw->errs = errs;
	sw->n = 1;
	sw->head = SW_HEAD;
	sw->tail = SW_TAIL;
	sw->grow = 2;
	sw->t0 = t_now_ns();
}

static void sw_span(struct sweep *sw, unsigned int head, unsigned int tail,
		    unsigned int grow)
{
	sw->head = head;
	sw->tail = tail;
	sw->grow = grow;
}

static bool sw_more(const struct sweep *sw)
{
	return sw->phase != SW_DONE && sw->steps < SW_STEPS &&
	       sw->bad < SW_GIVE_UP;
}

__attribute__((format(printf, 2, 3)))
static void sw_bad(struct sweep *sw, const char *fmt, ...)
{
	char msg[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (++sw->bad <= SW_SHOW)
		t_diag("%s: N=%u: %s", sw->name, sw->n, msg);
}

static const char *ename(long r)
{
	if (r >= 0)
		return "success";
	return strerrorname_np((int)-r) ?: "an unknown error";
}

/* Judge what the call under test returned: true when it failed. */
static bool sw_judge(struct sweep *sw, long r, bool injected)
{
	int i;

	sw->failed_now = r < 0;
	if (r >= 0) {
		if (injected)
			sw->absorbed++;
		return false;
	}
	sw->failed++;
	for (i = 0; sw->errs[i] && sw->errs[i] != -r; i++)
		;
	if (!injected)
		sw_bad(sw, "%s with no fault injected", ename(r));
	else if (!sw->errs[i])
		sw_bad(sw, "%s, which chan(4) (%s) does not give here",
		       ename(r), sw->ref);
	else if (i < (int)T_ARRAY_SIZE(sw->seen))
		sw->seen[i]++;
	return true;
}

static bool sw_tried(const struct sweep *sw, unsigned int n)
{
	return sw->tried[n / 8] & (1 << n % 8);
}

/* The N of the next step, after the one at sw->n. */
static void sw_next(struct sweep *sw, bool injected)
{
	unsigned int n = sw->n;

	sw->steps++;
	sw->tried[n / 8] |= 1 << n % 8;
	if (injected && n > sw->lo)
		sw->lo = n;
	if (!injected && (!sw->end || n < sw->end))
		sw->end = n;
	if (sw->phase <= SW_SPARSE && injected) {
		sw->phase = n < sw->head ? SW_DENSE : SW_SPARSE;
		n += n < sw->head ? 1 : (n + sw->grow - 1) / sw->grow;
		if (n >= SW_MAXN)
			sw->phase = SW_DONE;
		sw->n = n;
		return;
	}
	/* Past the end: close in on it, then the last calls before it. */
	if (sw->end > sw->lo + 1) {
		sw->phase = SW_BISECT;
		sw->n = sw->lo + (sw->end - sw->lo) / 2;
		return;
	}
	sw->phase = SW_LAST;
	for (n = sw->end - 1; n > 0 && n + sw->tail >= sw->end; n--) {
		if (!sw_tried(sw, n)) {
			sw->n = n;
			return;
		}
	}
	sw->phase = SW_DONE;
}

static void sw_end(struct sweep *sw)
{
	char errs[128] = "";
	size_t len = 0;
	int i;

	for (i = 0; sw->errs[i] && i < (int)T_ARRAY_SIZE(sw->seen); i++)
		if (sw->seen[i] && len < sizeof(errs))
			len += snprintf(errs + len, sizeof(errs) - len,
					" %s x%u", ename(-sw->errs[i]),
					sw->seen[i]);
	t_diag("%s: %u injectable calls, %u tried%s: %u failed (%s), %u absorbed the fault (%.1f s)",
	       sw->name, sw->end ? sw->end - 1 : sw->lo, sw->steps,
	       sw->end > sw->head + 1 ? " (the first and last, and samples)" :
	       "", sw->failed, len ? errs + 1 : "-", sw->absorbed,
	       (t_now_ns() - sw->t0) / 1e9);
	T_EQ(sw->bad, 0,
	     "%s: every fault gives success or an error of chan(4) %s, and leaves the channel consistent",
	     sw->name, sw->ref);
	T_OK(sw->phase == SW_DONE && sw->end,
	     "%s: swept to the end of the path", sw->name);
}

/* ---- channels and their models ---- */

static int ctl_fd = -1;
static unsigned char tx[BIG_MSG], rx[BIG_MSG];
static uint32_t next_id = 1;

struct mchan {
	int idx;
	int fd;			/* timeouts T_TIMEOUT_NS both ways */
	bool rw;		/* fd may send and receive */
	unsigned int cap;
	unsigned int msg_size;
	unsigned int head, n;	/* queued: q[head..head + n) mod QMAX */
	uint32_t q[QMAX];
};

static unsigned int msg_len(const struct mchan *c, uint32_t id)
{
	if (c->msg_size > 4096)
		return c->msg_size - id % 4096;
	return 4 + id % ((c->msg_size < MSG ? c->msg_size : MSG) - 3);
}

static void mc_push(struct mchan *c, uint32_t id)
{
	c->q[(c->head + c->n++) % QMAX] = id;
}

static void mc_pop(struct mchan *c)
{
	c->head = (c->head + 1) % QMAX;
	c->n--;
}

static bool mc_new(struct mchan *c, __u32 cap, __u32 msg_size, __u32 flags,
		   int oflags)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->cap = cap;
	c->msg_size = msg_size;
	c->rw = (oflags & O_ACCMODE) == O_RDWR;
	c->idx = t_chan_new(cap, msg_size, flags);
	if (c->idx < 0) {
		T_GE(c->idx, 0, "setup: create a channel of capacity %u",
		     cap);
		return false;
	}
	c->fd = t_chan_open(c->idx, oflags);
	if (c->fd < 0) {
		T_GE(c->fd, 0, "setup: open chan%d", c->idx);
		return false;
	}
	t_set_timeouts(c->fd, T_TIMEOUT_NS, T_TIMEOUT_NS);
	return true;
}

static void mc_free(struct mchan *c)
{
	int r;

	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	if (c->idx < 0)
		return;
	r = t_chan_destroy(c->idx, 0);
	if (r)
		T_EQ(r, 0, "cleanup: destroy chan%d", c->idx);
	c->idx = -1;
}

/* Queue one more message, outside any window. */
static bool mc_send(struct sweep *sw, struct mchan *c)
{
	uint32_t id = next_id++;
	unsigned int len = msg_len(c, id);
	long r;

	t_fill(tx, len, id);
	r = t_send(c->fd, tx, len, 0);
	if (r) {
		sw_bad(sw, "chan%d: a send with room gives %s", c->idx,
		       ename(r));
		return false;
	}
	mc_push(c, id);
	return true;
}

/* @r bytes in @buf were received: the model's first message? */
static bool mc_got(struct sweep *sw, struct mchan *c, const void *buf, long r)
{
	uint32_t id;

	if (!c->n) {
		sw_bad(sw, "chan%d: received %s from a channel holding nothing",
		       c->idx, r < 0 ? ename(r) : "a message");
		return false;
	}
	id = c->q[c->head];
	if (r != msg_len(c, id) || !t_verify(buf, r, id)) {
		sw_bad(sw, "chan%d: received %ld bytes (id %u), expected message %u of %u bytes: lost or reordered",
		       c->idx, r, r > 0 ? t_msg_id(buf, r) : 0, id,
		       msg_len(c, id));
		return false;
	}
	mc_pop(c);
	return true;
}

/* Receive the first message, outside any window. */
static bool mc_recv(struct sweep *sw, struct mchan *c)
{
	long r = t_recv(c->fd, rx, c->msg_size, 0);

	if (!c->n) {
		if (r == -EAGAIN)
			return true;
		sw_bad(sw, "chan%d: a receive from an empty channel gives %s",
		       c->idx, ename(r));
		return false;
	}
	if (r < 0) {
		sw_bad(sw, "chan%d: a receive of a queued message gives %s",
		       c->idx, ename(r));
		return false;
	}
	return mc_got(sw, c, rx, r);
}

static void mc_fill_to(struct sweep *sw, struct mchan *c, unsigned int n)
{
	while (c->n < n && mc_send(sw, c))
		;
}

static void mc_trim_to(struct sweep *sw, struct mchan *c, unsigned int n)
{
	while (c->n > n && mc_recv(sw, c))
		;
}

static struct chan_stats stats;

/*
 * The gauges agree with the model and nobody is parked: chan(4) sysfs
 * (len; at rest stats/sent - stats/received == len) after a failure and
 * at the end of a sweep, CHAN_IOC_GET_INFO and CHAN_IOC_GET_STATS (the
 * same values, in two calls instead of fifteen) after a success.
 */
static void mc_gauges(struct sweep *sw, struct mchan *c, bool sysfs)
{
	long long len, sent, got, ws, wr;
	struct chan_info info;

	if (sysfs) {
		len = t_attr(c->idx, "len");
		sent = t_attr(c->idx, "stats/sent");
		got = t_attr(c->idx, "stats/received");
		ws = t_attr(c->idx, "waiting_senders");
		wr = t_attr(c->idx, "waiting_receivers");
	} else {
		if (ioctl(c->fd, CHAN_IOC_GET_INFO, &info) ||
		    ioctl(c->fd, CHAN_IOC_GET_STATS, &stats)) {
			sw_bad(sw, "chan%d: CHAN_IOC_GET_INFO or GET_STATS: %m",
			       c->idx);
			return;
		}
		len = info.len;
		ws = info.waiting_senders;
		wr = info.waiting_receivers;
		sent = stats.sent;
		got = stats.received;
	}
	if (len != c->n)
		sw_bad(sw, "chan%d: len %lld, %u messages expected", c->idx,
		       len, c->n);
	if (sent - got != len)
		sw_bad(sw, "chan%d: stats/sent %lld - stats/received %lld != len %lld",
		       c->idx, sent, got, len);
	if (ws || wr)
		sw_bad(sw, "chan%d: %lld senders and %lld receivers parked, none expected",
		       c->idx, ws, wr);
}

/*
 * After a step: the gauges agree with the model, and a send and a
 * receive still work (the receive gets the model's first message).
 */
static void mc_check(struct sweep *sw, struct mchan *c)
{
	mc_gauges(sw, c, sw->failed_now || c->fd < 0);
	if (!c->cap || !c->rw)
		return;
	if (c->n < c->cap) {
		if (mc_send(sw, c))
			mc_recv(sw, c);
	} else if (mc_recv(sw, c)) {
		mc_send(sw, c);
	}
}

/* Receive everything: the model's messages, in order, then nothing. */
static void mc_drain(struct sweep *sw, struct mchan *c)
{
	while (c->n && mc_recv(sw, c))
		;
	mc_recv(sw, c);
	mc_gauges(sw, c, true);
}

static int list_chans(int *idx, int max)
{
	DIR *d = opendir(T_SYSFS_CLASS);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, "chan", 4) && n < max)
			idx[n++] = atoi(e->d_name + 4);
	closedir(d);
	return n;
}

static int count_chans(void)
{
	int idx[T_DEF_MAX_CHANS];

	return list_chans(idx, T_DEF_MAX_CHANS);
}

/* Force-destroy the channels not in @before (after a failed create). */
static void destroy_new(const int *before, int nbefore)
{
	int now[T_DEF_MAX_CHANS], n, i, j;

	n = list_chans(now, T_DEF_MAX_CHANS);
	for (i = 0; i < n; i++) {
		for (j = 0; j < nbefore && before[j] != now[i]; j++)
			;
		if (j == nbefore)
			t_chan_destroy(now[i], CHAN_DESTROY_F_FORCE);
	}
}

static int attr_str(int idx, const char *attr, char *buf, size_t size)
{
	char p[128];

	snprintf(p, sizeof(p), T_SYSFS_CLASS "/chan%d/%s", idx, attr);
	return knob_read(p, buf, size);
}

/* ---- the max_bytes budget ---- */

/*
 * chan(4) Module parameters: max_bytes is charged capacity x msg_size on
 * create and resize, before anything is allocated, and every failure
 * path must give its charge back. With the channels there are holding U
 * bytes, max_bytes is lowered to U + 64 x MSG: a channel of exactly that
 * fits, one with a slot more does not.
 */
static void budget_check(const char *after)
{
	struct chan_ctl_create c = {
		.capacity = 65, .msg_size = MSG, .uid = CHAN_ID_CALLER,
		.gid = CHAN_ID_CALLER, .index = CHAN_INDEX_ANY,
	};
	int idx[T_DEF_MAX_CHANS], n, i, a;
	long long used = 0;
	char val[32];
	long r;

	n = list_chans(idx, T_DEF_MAX_CHANS);
	for (i = 0; i < n; i++)
		used += t_attr(idx[i], "capacity") * t_attr(idx[i], "msg_size");
	snprintf(val, sizeof(val), "%lld", used + 64 * MSG);
	r = knob_set(&max_bytes_knob, val);
	if (r) {
		T_EQ(r, 0, "write max_bytes");
		return;
	}
	a = t_chan_new(64, MSG, 0);
	T_GE(a, 0,
	     "after %s: a channel of exactly the budget left (%d bytes of max_bytes %s) is created: no charge leaked",
	     after, 64 * MSG, val);
	if (a >= 0)
		t_chan_destroy(a, 0);
	r = SYS(ioctl(ctl_fd, CHAN_CTL_CREATE, &c));
	T_EQ(r, -ENOMEM, "after %s: a slot more is over max_bytes: ENOMEM",
	     after);
	if (r == 0)
		t_chan_destroy(c.index, CHAN_DESTROY_F_FORCE);
	knob_restore(&max_bytes_knob);
}

/* ---- CHAN_CTL_CREATE, CHAN_CTL_DESTROY ---- */

/* A channel the create under test made: whole, usable, then destroyed. */
static void check_created(struct sweep *sw, const struct chan_ctl_create *c,
			  bool use)
{
	struct chan_ctl_destroy d = { .index = c->index };
	char name[CHAN_NAME_MAX + 8];
	int idx = c->index, fd;
	long r;

	if (!t_chan_exists(idx))
		sw_bad(sw, "chan%d was created but has no sysfs directory",
		       idx);
	if (t_attr(idx, "capacity") != c->capacity ||
	    t_attr(idx, "msg_size") != c->msg_size)
		sw_bad(sw, "chan%d: capacity or msg_size is not what was asked",
		       idx);
	if (c->name[0] &&
	    (attr_str(idx, "name", name, sizeof(name)) ||
	     strcmp(name, (const char *)c->name)))
		sw_bad(sw, "chan%d: its name is not %s", idx,
		       (const char *)c->name);
	fd = use ? t_chan_open(idx, O_RDWR | O_NONBLOCK) : 0;
	if (!use) {
		/* Only its sysfs files were looked at. */
	} else if (fd < 0) {
		sw_bad(sw, "chan%d: open: %s", idx, ename(fd));
	} else {
		t_fill(tx, 8, next_id);
		r = t_send(fd, tx, 8, 0);
		if (!c->capacity) {
			if (r != -EAGAIN)
				sw_bad(sw, "chan%d: a send with no receiver gives %s",
				       idx, ename(r));
		} else if (r || t_recv(fd, rx, c->msg_size, 0) != 8 ||
			   !t_verify(rx, 8, next_id)) {
			sw_bad(sw, "chan%d: a send and a receive do not work",
			       idx);
		}
		next_id++;
		close(fd);
	}
	r = SYS(ioctl(ctl_fd, CHAN_CTL_DESTROY, &d));
	if (r)
		sw_bad(sw, "destroying chan%d: %s", idx, ename(r));
}

static void sweep_create(const char *what, __u32 cap, __u32 msg_size,
			 const char *name, unsigned int head,
			 unsigned int tail, unsigned int grow)
{
	static const int errs[] = { ENOMEM, EFAULT, 0 };
	int before[T_DEF_MAX_CHANS], nbefore, n;
	unsigned int used = 0;
	struct sweep sw;
	bool injected;
	long r;

	nbefore = list_chans(before, T_DEF_MAX_CHANS);
	sw_begin(&sw, what, "Control device, CHAN_CTL_CREATE", errs);
	sw_span(&sw, head, tail, grow);
	while (sw_more(&sw)) {
		struct chan_ctl_create c = {
			.capacity = cap, .msg_size = msg_size,
			.uid = CHAN_ID_CALLER, .gid = CHAN_ID_CALLER,
			.index = CHAN_INDEX_ANY,
		};

		if (name)
			snprintf((char *)c.name, sizeof(c.name), "%s", name);
		r = INJECT(&sw, &injected,
			   SYS(ioctl(ctl_fd, CHAN_CTL_CREATE, &c)));
		/*
		 * Creating and destroying a device is slow under an emulated
		 * CPU with KASAN: every eighth channel that the faults left
		 * whole is also opened and used, as is the last.
		 */
		if (!sw_judge(&sw, r, injected))
			check_created(&sw, &c, !injected || !(used++ % 8));
		n = count_chans();
		if (n != nbefore) {
			sw_bad(&sw, "%d channels exist, %d before: the %s left one behind",
			       n, nbefore, r ? "failed create" : "destroy");
			destroy_new(before, nbefore);
		}
		sw_next(&sw, injected);
	}
	sw_end(&sw);
}

/*
 * A plain destroy of a channel nobody has open, or a forced one with a
 * file open: after a failure the channel is there, messages and all.
 */
static void sweep_destroy(const char *what, bool force)
{
	static const int errs[] = { EFAULT, 0 };
	struct mchan c = { .idx = -1, .fd = -1 };
	int nbefore = count_chans(), keep;
	struct sweep sw;
	bool injected;
	long r;

	sw_begin(&sw, what, "Control device, CHAN_CTL_DESTROY; Extensible structs",
		 errs);
	while (sw_more(&sw)) {
		struct chan_ctl_destroy d = {
			.flags = force ? CHAN_DESTROY_F_FORCE : 0,
		};

		if (c.idx < 0) {
			if (!mc_new(&c, 8, MSG, 0, O_RDWR))
				break;
			mc_fill_to(&sw, &c, 2);
			if (!force) {
				close(c.fd);
				c.fd = -1;
			}
		}
		d.index = c.idx;
		r = INJECT(&sw, &injected,
			   SYS(ioctl(ctl_fd, CHAN_CTL_DESTROY, &d)));
		if (!sw_judge(&sw, r, injected)) {
			t_chan_forget(c.idx);
			if (t_chan_exists(c.idx) ||
			    !access(t_chan_path(c.idx), F_OK))
				sw_bad(&sw, "chan%d destroyed but still there",
				       c.idx);
			if (force) {
				/* chan(4): later operations give ENODEV. */
				r = t_send(c.fd, tx, 8, 0);
				if (r != -ENODEV)
					sw_bad(&sw, "a send on a destroyed channel gives %s",
					       ename(r));
				close(c.fd);
			}
			c.idx = -1;
			c.fd = -1;
		} else {
			if (!t_chan_exists(c.idx))
				sw_bad(&sw, "a failed destroy removed chan%d",
				       c.idx);
			keep = c.fd;
			if (!force)
				c.fd = t_chan_open(c.idx, O_RDWR);
			if (c.fd < 0) {
				sw_bad(&sw, "chan%d: open after a failed destroy: %s",
				       c.idx, ename(c.fd));
			} else {
				t_set_timeouts(c.fd, T_TIMEOUT_NS,
					       T_TIMEOUT_NS);
				mc_check(&sw, &c);
				if (!force)
					close(c.fd);
			}
			c.fd = keep;
		}
		if (count_chans() != nbefore + (c.idx >= 0))
			sw_bad(&sw, "%d channels exist, %d expected",
			       count_chans(), nbefore + (c.idx >= 0));
		sw_next(&sw, injected);
	}
	if (c.idx >= 0) {
		if (c.fd < 0)
			c.fd = t_chan_open(c.idx, O_RDWR);
		mc_drain(&sw, &c);
		mc_free(&c);
	}
	sw_end(&sw);
}

static void test_control(void)
{
	/*
	 * The module allocates at the start of the path (the channel, its
	 * histograms, its ring, its name) and copies the index out at its
	 * end (a tail of 12 also covers its debugfs files), with the driver
	 * core adding the device in between: heads long enough for the
	 * module's calls. The big ring's arrays are over a page (vmalloc may
	 * take over), its slots only more of the same; a big message's slot
	 * is vmalloc's from the start.
	 */
	sweep_create("CHAN_CTL_CREATE, named, capacity 4", 4, MSG,
		     "fault-inject", 28, SW_TAIL, 2);
	sweep_create("CHAN_CTL_CREATE, unbuffered", 0, MSG, NULL, 12, 2, 1);
	sweep_create("CHAN_CTL_CREATE, capacity 264", 264, MSG, NULL, 12, 2,
		     1);
	sweep_create("CHAN_CTL_CREATE, 128 KiB messages", 4, BIG_MSG, NULL,
		     24, 2, 1);
	sweep_destroy("CHAN_CTL_DESTROY", false);
	sweep_destroy("CHAN_CTL_DESTROY, forced, a file open", true);
	budget_check("the create and destroy sweeps");
}

/* ---- open(2) ---- */

static void sweep_open(const char *what, struct mchan *c, int oflags)
{
	static const int errs[] = { ENOMEM, EFAULT, 0 };
	bool rd = (oflags & O_ACCMODE) != O_WRONLY;
	bool wr = (oflags & O_ACCMODE) != O_RDONLY;
	long long r0, w0;
	static char path[32];
	struct sweep sw;
	bool injected;
	int keep;
	long fd;

	snprintf(path, sizeof(path), "%s", t_chan_path(c->idx));
	sw_begin(&sw, what, "Channel devices", errs);
	mc_fill_to(&sw, c, 3);
	r0 = t_attr(c->idx, "readers");
	w0 = t_attr(c->idx, "writers");
	while (sw_more(&sw)) {
		fd = INJECT(&sw, &injected,
			    SYS(open(path, oflags | O_CLOEXEC)));
		if (!sw_judge(&sw, fd, injected)) {
			if (t_attr(c->idx, "readers") != r0 + rd ||
			    t_attr(c->idx, "writers") != w0 + wr)
				sw_bad(&sw, "readers or writers not counted");
			if (rd && wr) {
				/* The new file sends and receives. */
				keep = c->fd;
				c->fd = fd;
				t_set_timeouts(fd, T_TIMEOUT_NS, T_TIMEOUT_NS);
				mc_check(&sw, c);
				c->fd = keep;
			}
			close(fd);
		}
		if (t_attr(c->idx, "readers") != r0 ||
		    t_attr(c->idx, "writers") != w0)
			sw_bad(&sw, "readers %lld writers %lld, %lld and %lld before",
			       t_attr(c->idx, "readers"),
			       t_attr(c->idx, "writers"), r0, w0);
		mc_check(&sw, c);
		sw_next(&sw, injected);
	}
	mc_drain(&sw, c);
	sw_end(&sw);
}

/*
 * chan(4) Auto-close: the channel closes when the last writer goes, once
 * one opened it; a writer whose open failed never opened it.
 */
static void sweep_open_autoclose(void)
{
	static const int errs[] = { ENOMEM, EFAULT, 0 };
	static char path[32];
	struct mchan c;
	struct sweep sw;
	bool injected;
	long fd;

	sw_begin(&sw, "open(2) of the only writer of an auto-close channel",
		 "Channel devices; Auto-close", errs);
	if (!mc_new(&c, 4, MSG, CHAN_CREATE_F_AUTOCLOSE, O_RDONLY))
		return;
	while (sw_more(&sw)) {
		snprintf(path, sizeof(path), "%s", t_chan_path(c.idx));
		fd = INJECT(&sw, &injected,
			    SYS(open(path, O_WRONLY | O_CLOEXEC)));
		if (!sw_judge(&sw, fd, injected)) {
			if (t_attr(c.idx, "writers") != 1)
				sw_bad(&sw, "the writer is not counted");
			close(fd);
			if (t_wait_attr(c.idx, "closed", 1, T_TIMEOUT_MS))
				sw_bad(&sw, "the last writer went, the channel is not closed");
			mc_free(&c);
			if (!mc_new(&c, 4, MSG, CHAN_CREATE_F_AUTOCLOSE,
				    O_RDONLY))
				break;
		} else if (t_attr(c.idx, "closed") != 0 ||
			   t_attr(c.idx, "writers") != 0) {
			sw_bad(&sw, "a failed open closed the channel or counts as a writer");
		}
		mc_check(&sw, &c);
		sw_next(&sw, injected);
	}
	mc_free(&c);
	sw_end(&sw);
}

static void test_open(void)
{
	struct mchan c;

	if (mc_new(&c, 16, MSG, 0, O_RDWR)) {
		sweep_open("open(2) O_RDWR (a staging slot)", &c, O_RDWR);
		sweep_open("open(2) O_RDONLY", &c, O_RDONLY);
	}
	mc_free(&c);
	if (mc_new(&c, 4, BIG_MSG, 0, O_RDWR))
		sweep_open("open(2) O_RDWR, 128 KiB messages (a page vector)",
			   &c, O_RDWR);
	mc_free(&c);
	sweep_open_autoclose();
}

/* ---- capacity ---- */

static void sweep_resize(const char *what, struct mchan *c, __u32 from,
			 __u32 to, unsigned int keep, bool sysfs,
			 unsigned int head, unsigned int tail)
{
	static const int errs[] = { ENOMEM, EFAULT, 0 };
	char val[16], path[128];
	struct sweep sw;
	bool injected;
	long long cap;
	int fd = -1;
	long r;

	sw_begin(&sw, what, "Capacity changes", errs);
	sw_span(&sw, head, tail, head < SW_HEAD ? 1 : 2);
	if (c->cap != from) {
		r = t_set_capacity(c->fd, from);
		if (r)
			sw_bad(&sw, "setup: capacity %u: %s", from, ename(r));
		c->cap = from;
	}
	mc_trim_to(&sw, c, keep);
	mc_fill_to(&sw, c, keep);
	snprintf(val, sizeof(val), "%u", to);
	if (sysfs) {
		snprintf(path, sizeof(path), T_SYSFS_CLASS "/chan%d/capacity",
			 c->idx);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			sw_bad(&sw, "open %s: %s", path, ename(-errno));
	}
	while (sw_more(&sw) && (!sysfs || fd >= 0)) {
		if (sysfs)
			r = INJECT(&sw, &injected,
				   SYS(pwrite(fd, val, strlen(val), 0)));
		else
			r = INJECT(&sw, &injected, t_set_capacity(c->fd, to));
		sw_judge(&sw, r, injected);
		cap = t_attr(c->idx, "capacity");
		if (cap != (r >= 0 ? to : from))
			sw_bad(&sw, "capacity %lld after %s", cap, ename(r));
		c->cap = cap;
		mc_check(&sw, c);
		if (r >= 0) {
			r = t_set_capacity(c->fd, from);
			if (r) {
				sw_bad(&sw, "back to capacity %u: %s", from,
				       ename(r));
				break;
			}
			c->cap = from;
		}
		sw_next(&sw, injected);
	}
	if (fd >= 0)
		close(fd);
	mc_drain(&sw, c);
	sw_end(&sw);
}

static void test_capacity(void)
{
	struct mchan c;

	if (mc_new(&c, 16, MSG, 0, O_RDWR)) {
		/* Each new slot is one more allocation of the same kind. */
		sweep_resize("CHAN_IOC_SET_CAPACITY 16 -> 32", &c, 16, 32, 5,
			     false, SW_HEAD, SW_TAIL);
		sweep_resize("CHAN_IOC_SET_CAPACITY 32 -> 16", &c, 32, 16, 5,
			     false, SW_HEAD, SW_TAIL);
		/* A queue over a page: vmalloc may take over. */
		sweep_resize("CHAN_IOC_SET_CAPACITY 16 -> 264", &c, 16, 264,
			     5, false, 16, 4);
		sweep_resize("sysfs capacity 16 -> 20", &c, 16, 20, 5, true,
			     SW_HEAD, SW_TAIL);
		sweep_resize("CHAN_IOC_SET_CAPACITY 16 -> 0", &c, 16, 0, 0,
			     false, SW_HEAD, SW_TAIL);
		sweep_resize("CHAN_IOC_SET_CAPACITY 0 -> 16", &c, 0, 16, 0,
			     false, SW_HEAD, SW_TAIL);
	}
	mc_free(&c);
	budget_check("the capacity sweeps");
}

/* ---- write, read, CHAN_IOC_SEND, CHAN_IOC_RECV ---- */

enum how { VIA_RW, VIA_IOCTL };

/*
 * A buffer whose pages are not faulted in: the kernel faults them in
 * during the call, allocating. A new mapping each time, made while
 * nothing is locked (MCL_FUTURE would populate it); the pages mapped
 * already stay. fi_unshare() locks everything again.
 */
static unsigned char *cold_buf(void)
{
	static unsigned char *cold;

	if (cold)
		munmap(cold, COLD_MSG);
	if (munlockall())
		t_bail("munlockall: %m");
	cold = mmap(NULL, COLD_MSG, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (cold == MAP_FAILED)
		t_bail("mmap: %m");
	return cold;
}

static void sweep_send(const char *what, struct mchan *c, enum how via)
{
	static const int errs[] = { EFAULT, 0 };
	unsigned int len;
	struct sweep sw;
	bool injected;
	uint32_t id;
	long r;

	sw_begin(&sw, what, "Reading and writing; CHAN_IOC_SEND", errs);
	while (sw_more(&sw)) {
		mc_trim_to(&sw, c, 3);
		mc_fill_to(&sw, c, 3);
		id = next_id++;
		len = msg_len(c, id);
		t_fill(tx, len, id);
		if (via == VIA_RW)
			r = INJECT(&sw, &injected, SYS(write(c->fd, tx, len)));
		else
			r = INJECT(&sw, &injected, t_send(c->fd, tx, len, 0));
		/* A failed send queued nothing: mc_check() and the drain. */
		if (!sw_judge(&sw, r, injected)) {
			if (r != (via == VIA_RW ? (long)len : 0))
				sw_bad(&sw, "returned %ld", r);
			mc_push(c, id);
		}
		mc_check(&sw, c);
		sw_next(&sw, injected);
	}
	mc_drain(&sw, c);
	sw_end(&sw);
}

static void sweep_recv(const char *what, struct mchan *c, enum how via,
		       bool cold)
{
	static const int errs[] = { EFAULT, 0 };
	unsigned char *buf = rx;
	struct sweep sw;
	bool injected;
	long r;

	sw_begin(&sw, what, "Reading and writing; CHAN_IOC_RECV", errs);
	while (sw_more(&sw)) {
		mc_fill_to(&sw, c, 3);
		if (cold)
			buf = cold_buf();
		else
			memset(rx, 0, c->msg_size);
		if (via == VIA_RW)
			r = INJECT(&sw, &injected,
				   SYS(read(c->fd, buf, c->msg_size)));
		else
			r = INJECT(&sw, &injected,
				   t_recv(c->fd, buf, c->msg_size, 0));
		/* A failed receive leaves its message first: mc_check(). */
		if (!sw_judge(&sw, r, injected))
			mc_got(&sw, c, buf, r);
		if (cold)
			fi_unshare();
		mc_check(&sw, c);
		sw_next(&sw, injected);
	}
	mc_drain(&sw, c);
	sw_end(&sw);
}

static void test_data(void)
{
	struct mchan c;

	if (mc_new(&c, 16, MSG, 0, O_RDWR)) {
		sweep_send("write(2)", &c, VIA_RW);
		sweep_send("CHAN_IOC_SEND", &c, VIA_IOCTL);
		sweep_recv("read(2)", &c, VIA_RW, false);
		sweep_recv("CHAN_IOC_RECV", &c, VIA_IOCTL, false);
	}
	mc_free(&c);
	if (mc_new(&c, 4, BIG_MSG, 0, O_RDWR)) {
		sweep_send("write(2), 128 KiB messages (no staging slot)", &c,
			   VIA_RW);
		sweep_recv("read(2), 128 KiB messages", &c, VIA_RW, false);
	}
	mc_free(&c);
	if (mc_new(&c, 4, COLD_MSG, 0, O_RDWR))
		sweep_recv("read(2) into pages not faulted in", &c, VIA_RW,
			   true);
	mc_free(&c);
}

/* ---- a peer parked in a child ---- */

/* A child must exit 0 within the bound. */
static void reap(struct sweep *sw, pid_t pid, const char *what)
{
	int st = 0;

	if (pid <= 0)
		sw_bad(sw, "fork failed");
	else if (t_wait_child(pid, T_TIMEOUT_MS, &st))
		sw_bad(sw, "%s (pid %d) hung: killed it", what, pid);
	else if (!WIFEXITED(st) || WEXITSTATUS(st))
		sw_bad(sw, "%s (pid %d) ended with status %#x", what, pid, st);
}

/*
 * The task under fault sends; a receiver is parked in a child (the channel
 * is empty, buffered or not). After a failed send the receiver is still
 * parked and gets the next send; either way it gets exactly the message.
 */
static void sweep_peer_send(const char *what, struct mchan *c, enum how via)
{
	static const int errs[] = { EFAULT, 0 };
	unsigned int len;
	struct sweep sw;
	struct t_op *op;
	bool injected;
	uint32_t id;
	pid_t pid;
	long r;

	sw_begin(&sw, what, "Reading and writing; CHAN_IOC_SEND", errs);
	mc_trim_to(&sw, c, 0);
	while (sw_more(&sw)) {
		op = t_op_new(T_OP_RECV, c->idx, O_RDONLY, MSG);
		op->timeout_ns = T_TIMEOUT_NS;
		pid = t_op_start(op);
		fi_unshare();
		if (t_wait_attr(c->idx, "waiting_receivers", 1, T_TIMEOUT_MS)) {
			sw_bad(&sw, "the receiver did not park");
			reap(&sw, pid, "the receiver");
			break;
		}
		id = next_id++;
		len = msg_len(c, id);
		t_fill(tx, len, id);
		if (via == VIA_RW)
			r = INJECT(&sw, &injected, SYS(write(c->fd, tx, len)));
		else
			r = INJECT(&sw, &injected, t_send(c->fd, tx, len, 0));
		/*
		 * A receiver given back because the sender's own copy
		 * faulted looks again and parks again by itself: wait.
		 */
		if (sw_judge(&sw, r, injected)) {
			if (t_wait_attr(c->idx, "waiting_receivers", 1,
					T_TIMEOUT_MS) || op->done)
				sw_bad(&sw, "the failed send took the receiver (it returned %ld)",
				       op->ret);
			r = t_send(c->fd, tx, len, T_TIMEOUT_NS);
			if (r)
				sw_bad(&sw, "the next send gives %s", ename(r));
		}
		reap(&sw, pid, "the receiver");
		if (op->ret != len || !t_verify(op->buf, len, id))
			sw_bad(&sw, "the receiver got %ld bytes (id %u), not message %u",
			       op->ret, t_msg_id(op->buf, op->ret > 0 ?
						 op->ret : 0), id);
		mc_check(&sw, c);
		sw_next(&sw, injected);
	}
	mc_drain(&sw, c);
	sw_end(&sw);
}

/*
 * The task under fault receives; a sender is parked in a child (the
 * channel is full, or unbuffered). After a failed receive the sender is
 * still parked; on a buffered channel its message goes in last once a
 * receive made room.
 */
static void sweep_peer_recv(const char *what, struct mchan *c, enum how via)
{
	static const int errs[] = { EFAULT, 0 };
	unsigned int len;
	struct sweep sw;
	struct t_op *op;
	bool injected;
	uint32_t id;
	pid_t pid;
	long r;

	sw_begin(&sw, what, "Reading and writing; CHAN_IOC_RECV", errs);
	while (sw_more(&sw)) {
		mc_fill_to(&sw, c, c->cap);
		id = next_id++;
		len = msg_len(c, id);
		op = t_op_new(T_OP_SEND, c->idx, O_WRONLY, len);
		op->timeout_ns = T_TIMEOUT_NS;
		t_fill(op->buf, len, id);
		pid = t_op_start(op);
		fi_unshare();
		if (t_wait_attr(c->idx, "waiting_senders", 1, T_TIMEOUT_MS)) {
			sw_bad(&sw, "the sender did not park");
			reap(&sw, pid, "the sender");
			break;
		}
		memset(rx, 0, c->msg_size);
		if (via == VIA_RW)
			r = INJECT(&sw, &injected,
				   SYS(read(c->fd, rx, c->msg_size)));
		else
			r = INJECT(&sw, &injected,
				   t_recv(c->fd, rx, c->msg_size, 0));
		if (sw_judge(&sw, r, injected)) {
			if (t_wait_attr(c->idx, "waiting_senders", 1,
					T_TIMEOUT_MS) || op->done)
				sw_bad(&sw, "the failed receive took the sender (it returned %ld)",
				       op->ret);
			r = t_recv(c->fd, rx, c->msg_size, T_TIMEOUT_NS);
		}
		if (c->cap) {
			mc_got(&sw, c, rx, r);
		} else if (r != len || !t_verify(rx, len, id)) {
			sw_bad(&sw, "received %ld bytes (id %u), not message %u",
			       r, t_msg_id(rx, r > 0 ? r : 0), id);
		}
		reap(&sw, pid, "the sender");
		if (op->ret)
			sw_bad(&sw, "the sender's send gives %s",
			       ename(op->ret));
		else if (c->cap)
			mc_push(c, id);
		mc_check(&sw, c);
		sw_next(&sw, injected);
	}
	mc_drain(&sw, c);
	sw_end(&sw);
}

/* The task under fault is a child that parks. */
struct inj_op {
	int idx;
	int op;			/* CHAN_OP_SEND or CHAN_OP_RECV */
	unsigned int n;		/* the fault to arm */
	unsigned int len;
	bool cold;		/* receive into pages not faulted in */
	volatile int done;
	long ret;
	bool injected;
	unsigned char buf[MSG];
};

static int inj_child(void *arg)
{
	struct inj_op *op = arg;
	unsigned char *buf = op->buf;
	int fd;

	fd = t_chan_open(op->idx,
			 op->op == CHAN_OP_SEND ? O_WRONLY : O_RDONLY);
	/* The fail-nth inherited is the parent's: open this task's. */
	close(fi_fd);
	if (fd < 0 || fi_open()) {
		op->ret = fd < 0 ? fd : -errno;
		op->done = 1;
		return 2;
	}
	if (op->cold) {
		/* Populated now, but not what is mapped later. */
		if (munlockall() || mlockall(MCL_CURRENT))
			return 3;
		buf = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (buf == MAP_FAILED)
			return 3;
	} else if (mlockall(MCL_CURRENT | MCL_FUTURE)) {
		return 3;
	}
	fi_arm(op->n);
	if (op->op == CHAN_OP_SEND)
		op->ret = t_send(fd, buf, op->len, T_TIMEOUT_NS);
	else
		op->ret = t_recv(fd, buf, MSG, T_TIMEOUT_NS);
	op->injected = fi_disarm();
	if (buf != op->buf && op->ret > 0)
		memcpy(op->buf, buf, op->ret);
	__atomic_store_n(&op->done, 1, __ATOMIC_SEQ_CST);
	return 0;
}

/* Wait until chan @idx's @gauge is 1 (true), or @op is done (false). */
static bool parked_or_done(int idx, const char *gauge, struct inj_op *op)
{
	uint64_t end = t_now_ns() + T_TIMEOUT_NS;

	while (!__atomic_load_n(&op->done, __ATOMIC_SEQ_CST)) {
		if (t_attr(idx, gauge) == 1)
			return true;
		if (t_now_ns() > end)
			break;
		t_sleep_ms(1);
	}
	return false;
}

/*
 * A child sends on a full or unbuffered channel, or receives on an empty
 * one, with the fault armed: it parks (the parent then serves it) or fails
 * before it parks, with nothing moved.
 */
static void sweep_inj(const char *what, struct mchan *c, int kind, bool cold)
{
	/* An operation that parks pins its buffer's pages, which allocates. */
	static const int errs[] = { ENOMEM, EFAULT, 0 };
	bool send = kind == CHAN_OP_SEND, parked;
	struct inj_op *op;
	struct sweep sw;
	uint32_t id, id2 = 0;
	pid_t pid;
	long r;

	sw_begin(&sw, what, send ? "Reading and writing; CHAN_IOC_SEND" :
		 "Reading and writing; CHAN_IOC_RECV", errs);
	while (sw_more(&sw)) {
		if (send)
			mc_fill_to(&sw, c, c->cap);
		else
			mc_trim_to(&sw, c, 0);
		op = t_shared(sizeof(*op));
		op->idx = c->idx;
		op->op = kind;
		op->n = sw.n;
		op->cold = cold;
		op->ret = LONG_MIN;
		id = next_id++;
		op->len = msg_len(c, id);
		t_fill(op->buf, op->len, id);
		pid = t_fork(inj_child, op);
		fi_unshare();
		parked = parked_or_done(c->idx, send ? "waiting_senders" :
					"waiting_receivers", op);
		if (parked && send) {
			/*
			 * Take one: the child's, or on a full channel the
			 * first, which lets the child's message in.
			 */
			r = t_recv(c->fd, rx, c->msg_size, T_TIMEOUT_NS);
			if (c->cap)
				mc_got(&sw, c, rx, r);
			else if (r != op->len || !t_verify(rx, r, id))
				sw_bad(&sw, "received %ld bytes (id %u), not message %u",
				       r, t_msg_id(rx, r > 0 ? r : 0), id);
		} else if (parked) {
			id2 = next_id++;
			t_fill(tx, msg_len(c, id2), id2);
			r = t_send(c->fd, tx, msg_len(c, id2), T_TIMEOUT_NS);
			if (r)
				sw_bad(&sw, "a send to the parked receiver gives %s",
				       ename(r));
		}
		reap(&sw, pid, "the child under fault");
		r = op->ret;
		if (r == LONG_MIN || !op->done) {
			sw_bad(&sw, "the child did not get to its call");
			break;
		}
		if (!sw_judge(&sw, r, op->injected)) {
			if (!parked)
				sw_bad(&sw, "the child's call completed without a peer");
			else if (send && c->cap)
				mc_push(c, id);
			else if (!send && (r != msg_len(c, id2) ||
					   !t_verify(op->buf, r, id2)))
				sw_bad(&sw, "the child received %ld bytes, not message %u",
				       r, id2);
		} else if (parked) {
			sw_bad(&sw, "the child's call failed after its peer was served");
		}
		mc_check(&sw, c);
		sw_next(&sw, op->injected);
	}
	mc_drain(&sw, c);
	sw_end(&sw);
}

static void test_peers(void)
{
	struct mchan c;

	if (mc_new(&c, 0, MSG, 0, O_RDWR)) {
		sweep_peer_send("write(2) to a parked receiver, unbuffered",
				&c, VIA_RW);
		sweep_peer_send("CHAN_IOC_SEND to a parked receiver, unbuffered",
				&c, VIA_IOCTL);
		sweep_peer_recv("read(2) from a parked sender, unbuffered", &c,
				VIA_RW);
		sweep_peer_recv("CHAN_IOC_RECV from a parked sender, unbuffered",
				&c, VIA_IOCTL);
		sweep_inj("CHAN_IOC_SEND that parks, unbuffered", &c,
			  CHAN_OP_SEND, false);
		sweep_inj("CHAN_IOC_RECV that parks, unbuffered", &c,
			  CHAN_OP_RECV, false);
		sweep_inj("CHAN_IOC_RECV that parks, unbuffered, into pages not faulted in",
			  &c, CHAN_OP_RECV, true);
	}
	mc_free(&c);
	if (mc_new(&c, 2, MSG, 0, O_RDWR)) {
		sweep_peer_send("CHAN_IOC_SEND to a parked receiver, buffered",
				&c, VIA_IOCTL);
		sweep_peer_recv("CHAN_IOC_RECV from a full channel, a sender parked",
				&c, VIA_IOCTL);
		sweep_inj("CHAN_IOC_SEND that parks on a full channel", &c,
			  CHAN_OP_SEND, false);
		sweep_inj("CHAN_IOC_RECV that parks on an empty channel", &c,
			  CHAN_OP_RECV, false);
	}
	mc_free(&c);
}

/* ---- batches ---- */

static struct chan_iov iov[NBATCH];
static unsigned char bbuf[NBATCH][MSG];

static void sweep_send_batch(struct mchan *c)
{
	static const int errs[] = { EFAULT, 0 };
	uint32_t ids[NBATCH];
	struct sweep sw;
	bool injected;
	long r, i;

	sw_begin(&sw, "CHAN_IOC_SEND_BATCH of 40",
		 "CHAN_IOC_SEND_BATCH, CHAN_IOC_RECV_BATCH", errs);
	while (sw_more(&sw)) {
		struct chan_batch b = {
			.vec = (__u64)(uintptr_t)iov, .count = NBATCH,
		};

		mc_trim_to(&sw, c, 4);
		for (i = 0; i < NBATCH; i++) {
			ids[i] = next_id++;
			iov[i].buf = (__u64)(uintptr_t)bbuf[i];
			iov[i].len = msg_len(c, ids[i]);
			iov[i].__reserved = 0;
			t_fill(bbuf[i], iov[i].len, ids[i]);
		}
		r = INJECT(&sw, &injected,
			   SYS(ioctl(c->fd, CHAN_IOC_SEND_BATCH, &b)));
		/* chan(4): the first r went, in order; the rest did not. */
		if (!sw_judge(&sw, r, injected)) {
			if (r < 1 || r > NBATCH)
				sw_bad(&sw, "returned %ld", r);
			for (i = 0; i < r && i < NBATCH; i++)
				mc_push(c, ids[i]);
		}
		mc_check(&sw, c);
		sw_next(&sw, injected);
	}
	mc_drain(&sw, c);
	sw_end(&sw);
}

static void sweep_recv_batch(struct mchan *c)
{
	static const int errs[] = { EFAULT, 0 };
	struct sweep sw;
	bool injected;
	long r, i;

	sw_begin(&sw, "CHAN_IOC_RECV_BATCH of 40",
		 "CHAN_IOC_SEND_BATCH, CHAN_IOC_RECV_BATCH", errs);
	while (sw_more(&sw)) {
		struct chan_batch b = {
			.vec = (__u64)(uintptr_t)iov, .count = NBATCH,
		};

		mc_fill_to(&sw, c, NBATCH + 4);
		memset(bbuf, 0, sizeof(bbuf));
		for (i = 0; i < NBATCH; i++) {
			iov[i].buf = (__u64)(uintptr_t)bbuf[i];
			iov[i].len = MSG;
			iov[i].__reserved = 0;
		}
		r = INJECT(&sw, &injected,
			   SYS(ioctl(c->fd, CHAN_IOC_RECV_BATCH, &b)));
		/*
		 * chan(4): the first r messages, their lengths written back;
		 * the rest stay queued, the first of them first.
		 */
		if (!sw_judge(&sw, r, injected)) {
			if (r < 1 || r > NBATCH)
				sw_bad(&sw, "returned %ld", r);
			for (i = 0; i < r && i < NBATCH; i++)
				if (!mc_got(&sw, c, bbuf[i], iov[i].len))
					break;
		}
		mc_check(&sw, c);
		sw_next(&sw, injected);
	}
	mc_drain(&sw, c);
	sw_end(&sw);
}

static void test_batches(void)
{
	struct mchan c;

	if (mc_new(&c, 64, MSG, 0, O_RDWR)) {
		sweep_send_batch(&c);
		sweep_recv_batch(&c);
	}
	mc_free(&c);
}

/* ---- select ---- */

static unsigned char sbuf[NSEL][MSG];
static unsigned char sel_big[SEL_BIG];

/*
 * @n cases: more than two, so that the select allocates its bookkeeping
 * (sixteen need more than a page of it, which kvzalloc() takes from
 * vmalloc when kmalloc fails), one of them a receive into a buffer big
 * enough to need a page vector of its own: a receive on a (the only one
 * with a message), a send on b (room), receives on the empty e and big,
 * and on e again for the rest. chan(4): exactly one of the ready cases
 * commits, or nothing does.
 */
static void sweep_select_ready(const char *what, struct mchan *a,
			       struct mchan *b, struct mchan *e,
			       struct mchan *big, unsigned int n)
{
	static const int errs[] = { ENOMEM, EFAULT, 0 };
	struct chan_select_case cases[NSEL];
	unsigned int len;
	struct sweep sw;
	bool injected;
	uint32_t id;
	long r;
	int i;

	sw_begin(&sw, what, "CHAN_IOC_SELECT", errs);
	while (sw_more(&sw)) {
		mc_fill_to(&sw, a, 2);
		mc_trim_to(&sw, b, 2);
		id = next_id++;
		len = msg_len(b, id);
		t_fill(sbuf[1], len, id);
		memset(sbuf[0], 0, MSG);
		t_sel_case(&cases[0], a->fd, CHAN_OP_RECV, sbuf[0], MSG);
		t_sel_case(&cases[1], b->fd, CHAN_OP_SEND, sbuf[1], len);
		t_sel_case(&cases[2], e->fd, CHAN_OP_RECV, sbuf[2], MSG);
		t_sel_case(&cases[3], big->fd, CHAN_OP_RECV, sel_big, SEL_BIG);
		for (i = 4; i < (int)n; i++)
			t_sel_case(&cases[i], e->fd, CHAN_OP_RECV, sbuf[i],
				   MSG);
		r = INJECT(&sw, &injected, t_select(a->fd, cases, n, 0));
		if (!sw_judge(&sw, r, injected)) {
			if (r == 0)
				mc_got(&sw, a, sbuf[0], cases[0].result);
			else if (r == 1 && cases[1].result == (int)len)
				mc_push(b, id);
			else
				sw_bad(&sw, "case %ld committed, result %d",
				       r, r < (int)n ? cases[r].result : 0);
		}
		for (i = 0; i < (int)n; i++)
			if (i != r && cases[i].result != T_SEL_NORESULT)
				sw_bad(&sw, "case %d did not commit but has a result",
				       i);
		mc_check(&sw, a);
		mc_check(&sw, b);
		mc_check(&sw, e);
		mc_check(&sw, big);
		sw_next(&sw, injected);
	}
	mc_drain(&sw, a);
	mc_drain(&sw, b);
	sw_end(&sw);
}

/*
 * Three cases, none ready, until a child sends on the unbuffered u: the
 * child's send either finds the select parked or parks first and is found.
 * After a failed select the child's message is still there.
 */
static void sweep_select_peer(struct mchan *u, struct mchan *e,
			      struct mchan *big)
{
	static const int errs[] = { ENOMEM, EFAULT, 0 };
	struct chan_select_case cases[3];
	unsigned int len;
	struct sweep sw;
	struct t_op *op;
	bool injected;
	uint32_t id;
	pid_t pid;
	long r;
	int i;

	sw_begin(&sw, "CHAN_IOC_SELECT of 3 cases, the peer in a child",
		 "CHAN_IOC_SELECT", errs);
	while (sw_more(&sw)) {
		id = next_id++;
		len = msg_len(u, id);
		op = t_op_new(T_OP_SEND, u->idx, O_WRONLY, len);
		op->timeout_ns = T_TIMEOUT_NS;
		t_fill(op->buf, len, id);
		pid = t_op_start(op);
		fi_unshare();
		memset(sbuf[0], 0, MSG);
		t_sel_case(&cases[0], u->fd, CHAN_OP_RECV, sbuf[0], MSG);
		t_sel_case(&cases[1], e->fd, CHAN_OP_RECV, sbuf[1], MSG);
		t_sel_case(&cases[2], big->fd, CHAN_OP_RECV, sel_big, SEL_BIG);
		r = INJECT(&sw, &injected,
			   t_select(u->fd, cases, 3, T_TIMEOUT_NS));
		if (!sw_judge(&sw, r, injected)) {
			if (r != 0 || cases[0].result != (int)len ||
			    !t_verify(sbuf[0], len, id))
				sw_bad(&sw, "case %ld committed, result %d, not message %u",
				       r, r < 3 ? cases[r].result : 0, id);
		} else {
			r = t_recv(u->fd, sbuf[0], MSG, T_TIMEOUT_NS);
			if (r != len || !t_verify(sbuf[0], len, id))
				sw_bad(&sw, "after a failed select, a receive gives %ld, not message %u",
				       r, id);
		}
		for (i = 1; i < 3; i++)
			if (cases[i].result != T_SEL_NORESULT)
				sw_bad(&sw, "case %d did not commit but has a result",
				       i);
		reap(&sw, pid, "the sender");
		if (op->ret)
			sw_bad(&sw, "the sender's send gives %s",
			       ename(op->ret));
		mc_check(&sw, u);
		mc_check(&sw, e);
		mc_check(&sw, big);
		sw_next(&sw, injected);
	}
	sw_end(&sw);
}

static void test_select(void)
{
	struct mchan a = { .idx = -1, .fd = -1 }, b = a, e = a, big = a, u = a;
	bool ok;

	ok = mc_new(&a, 8, MSG, 0, O_RDWR) && mc_new(&b, 8, MSG, 0, O_RDWR) &&
	     mc_new(&e, 8, MSG, 0, O_RDWR) &&
	     mc_new(&big, 2, SEL_MSG, 0, O_RDWR) &&
	     mc_new(&u, 0, MSG, 0, O_RDWR);
	if (ok) {
		sweep_select_ready("CHAN_IOC_SELECT of 4 cases, 2 ready", &a,
				   &b, &e, &big, 4);
		sweep_select_ready("CHAN_IOC_SELECT of 16 cases, 2 ready", &a,
				   &b, &e, &big, 16);
		sweep_select_peer(&u, &e, &big);
	}
	mc_free(&a);
	mc_free(&b);
	mc_free(&e);
	mc_free(&big);
	mc_free(&u);
}

/* ---- configuration and observation ---- */

enum cfg {
	CFG_SET_BREAKER, CFG_GET_BREAKER, CFG_BREAKER_STATUS,
	CFG_BREAKER_RESET, CFG_BREAKER_REPORT, CFG_SET_RATE, CFG_GET_RATE,
	CFG_SET_TIMEOUTS, CFG_GET_TIMEOUTS, CFG_GET_INFO, CFG_GET_STATS,
};

static const struct {
	const char *name;
	const char *ref;
} cfg_names[] = {
	[CFG_SET_BREAKER] = { "CHAN_IOC_SET_BREAKER",
			      "CHAN_IOC_SET_BREAKER; Extensible structs" },
	[CFG_GET_BREAKER] = { "CHAN_IOC_GET_BREAKER",
			      "CHAN_IOC_GET_BREAKER; Extensible structs" },
	[CFG_BREAKER_STATUS] = { "CHAN_IOC_GET_BREAKER_STATUS",
				 "CHAN_IOC_GET_BREAKER_STATUS; Extensible structs" },
	[CFG_BREAKER_RESET] = { "CHAN_IOC_BREAKER_RESET",
				"CHAN_IOC_BREAKER_RESET" },
	[CFG_BREAKER_REPORT] = { "CHAN_IOC_BREAKER_REPORT",
				 "CHAN_IOC_BREAKER_REPORT; Extensible structs" },
	[CFG_SET_RATE] = { "CHAN_IOC_SET_RATE",
			   "CHAN_IOC_SET_RATE; Extensible structs" },
	[CFG_GET_RATE] = { "CHAN_IOC_GET_RATE",
			   "CHAN_IOC_GET_RATE; Extensible structs" },
	[CFG_SET_TIMEOUTS] = { "CHAN_IOC_SET_TIMEOUTS",
			       "CHAN_IOC_SET_TIMEOUTS; Extensible structs" },
	[CFG_GET_TIMEOUTS] = { "CHAN_IOC_GET_TIMEOUTS",
			       "CHAN_IOC_GET_TIMEOUTS; Extensible structs" },
	[CFG_GET_INFO] = { "CHAN_IOC_GET_INFO",
			   "CHAN_IOC_GET_INFO; Extensible structs" },
	[CFG_GET_STATS] = { "CHAN_IOC_GET_STATS",
			    "CHAN_IOC_GET_STATS; Extensible structs" },
};

/* Two valid configurations the sweeps alternate between. */
static const struct chan_breaker_config brk_cfg[2] = {
	{
		.mode = CHAN_BREAKER_METRICS_ONLY, .window_ms = 10000,
		.min_calls = 10, .failure_pct = 50, .slow_pct = 100,
		.open_ms = 5000, .open_min_ms = 1000, .open_max_ms = 60000,
		.half_open_probes = 3, .half_open_max_ms = 10000,
	}, {
		.mode = CHAN_BREAKER_DISABLED, .window_ms = 20000,
		.min_calls = 5, .failure_pct = 60, .slow_pct = 90,
		.open_ms = 4000, .open_min_ms = 2000, .open_max_ms = 30000,
		.half_open_probes = 2, .half_open_max_ms = 8000,
	},
};

static const struct chan_rate rates[2] = {
	{ .rate = 100000, .burst = 1000 }, { .rate = 0, .burst = 0 },
};

static const struct chan_timeouts touts[2] = {
	{ .send_ns = T_TIMEOUT_NS - 1, .recv_ns = T_TIMEOUT_NS - 2 },
	{ .send_ns = T_TIMEOUT_NS, .recv_ns = T_TIMEOUT_NS },
};

/*
 * The call under test for @kind at step @i; a set alternates between two
 * values, and afterwards (outside the window) the configuration read back
 * is the new one after a success, the old one after a failure.
 */
static void sweep_cfg(struct mchan *c, enum cfg kind)
{
	static const int e_fault[] = { EFAULT, 0 };
	static const int e_stats[] = { ENOMEM, EFAULT, 0 };
	static const int e_none[] = { 0 };
	struct chan_breaker_config bc, bc_now;
	struct chan_breaker_report rep = { .outcome = CHAN_OUTCOME_SUCCESS };
	struct chan_breaker_status bs;
	struct chan_timeouts to, to_now;
	struct chan_rate rt, rt_now;
	struct chan_info info;
	struct sweep sw;
	bool injected;
	int fd = c->fd;
	__u64 ticket;
	long r = 0;
	int i;

	sw_begin(&sw, cfg_names[kind].name, cfg_names[kind].ref,
		 kind == CFG_GET_STATS ? e_stats :
		 kind == CFG_BREAKER_RESET ? e_none : e_fault);
	mc_fill_to(&sw, c, 3);
	while (sw_more(&sw)) {
		i = sw.steps % 2;
		ioctl(fd, CHAN_IOC_GET_BREAKER, &bc_now);
		ioctl(fd, CHAN_IOC_GET_RATE, &rt_now);
		ioctl(fd, CHAN_IOC_GET_TIMEOUTS, &to_now);
		memset(&bc, 0xa5, sizeof(bc));
		memset(&rt, 0xa5, sizeof(rt));
		memset(&to, 0xa5, sizeof(to));
		memset(&info, 0xa5, sizeof(info));
		memset(&bs, 0xa5, sizeof(bs));
		memset(&stats, 0xa5, sizeof(stats));
		switch (kind) {
		case CFG_SET_BREAKER:
			bc = brk_cfg[i];
			r = INJECT(&sw, &injected,
				   SYS(ioctl(fd, CHAN_IOC_SET_BREAKER, &bc)));
			break;
		case CFG_GET_BREAKER:
			r = INJECT(&sw, &injected,
				   SYS(ioctl(fd, CHAN_IOC_GET_BREAKER, &bc)));
			break;
		case CFG_BREAKER_STATUS:
			r = INJECT(&sw, &injected,
				   SYS(ioctl(fd, CHAN_IOC_GET_BREAKER_STATUS,
					     &bs)));
			break;
		case CFG_BREAKER_RESET:
			r = INJECT(&sw, &injected,
				   SYS(ioctl(fd, CHAN_IOC_BREAKER_RESET)));
			break;
		case CFG_BREAKER_REPORT:
			if (ioctl(fd, CHAN_IOC_BREAKER_ACQUIRE, &ticket))
				sw_bad(&sw, "CHAN_IOC_BREAKER_ACQUIRE: %m");
			rep.ticket = ticket;
			rep.duration_ns = 1000;
			r = INJECT(&sw, &injected,
				   SYS(ioctl(fd, CHAN_IOC_BREAKER_REPORT,
					     &rep)));
			break;
		case CFG_SET_RATE:
			rt = rates[i];
			r = INJECT(&sw, &injected,
				   SYS(ioctl(fd, CHAN_IOC_SET_RATE, &rt)));
			break;
		case CFG_GET_RATE:
			r = INJECT(&sw, &injected,
				   SYS(ioctl(fd, CHAN_IOC_GET_RATE, &rt)));
			break;
		case CFG_SET_TIMEOUTS:
			to = touts[i];
			r = INJECT(&sw, &injected,
				   SYS(ioctl(fd, CHAN_IOC_SET_TIMEOUTS, &to)));
			break;
		case CFG_GET_TIMEOUTS:
			r = INJECT(&sw, &injected,
				   SYS(ioctl(fd, CHAN_IOC_GET_TIMEOUTS, &to)));
			break;
		case CFG_GET_INFO:
			r = INJECT(&sw, &injected,
				   SYS(ioctl(fd, CHAN_IOC_GET_INFO, &info)));
			break;
		case CFG_GET_STATS:
			r = INJECT(&sw, &injected,
				   SYS(ioctl(fd, CHAN_IOC_GET_STATS, &stats)));
			break;
		}
		sw_judge(&sw, r, injected);
		switch (kind) {
		case CFG_SET_BREAKER:
		case CFG_GET_BREAKER:
			if (kind == CFG_SET_BREAKER && r == 0)
				bc_now = brk_cfg[i];
			ioctl(fd, CHAN_IOC_GET_BREAKER, &bc);
			if (memcmp(&bc, &bc_now, sizeof(bc)))
				sw_bad(&sw, "the breaker configuration is not the %s one",
				       r == 0 ? "new" : "old");
			break;
		case CFG_BREAKER_STATUS:
			if (r == 0 && bs.state > CHAN_BREAKER_HALF_OPEN)
				sw_bad(&sw, "state %u", bs.state);
			break;
		case CFG_SET_RATE:
		case CFG_GET_RATE:
			if (kind == CFG_SET_RATE && r == 0)
				rt_now = rates[i];
			ioctl(fd, CHAN_IOC_GET_RATE, &rt);
			if (memcmp(&rt, &rt_now, sizeof(rt)))
				sw_bad(&sw, "the rate is not the %s one",
				       r == 0 ? "new" : "old");
			break;
		case CFG_SET_TIMEOUTS:
		case CFG_GET_TIMEOUTS:
			if (kind == CFG_SET_TIMEOUTS && r == 0)
				to_now = touts[i];
			ioctl(fd, CHAN_IOC_GET_TIMEOUTS, &to);
			if (memcmp(&to, &to_now, sizeof(to)))
				sw_bad(&sw, "the timeouts are not the %s ones",
				       r == 0 ? "new" : "old");
			break;
		case CFG_GET_INFO:
			if (r == 0 && (info.index != (__u32)c->idx ||
				       info.len != c->n ||
				       info.capacity != c->cap))
				sw_bad(&sw, "index %u len %u capacity %u",
				       info.index, info.len, info.capacity);
			break;
		case CFG_GET_STATS:
			if (r == 0 && stats.sent - stats.received != c->n)
				sw_bad(&sw, "sent %llu - received %llu != %u",
				       (unsigned long long)stats.sent,
				       (unsigned long long)stats.received,
				       c->n);
			break;
		default:
			break;
		}
		mc_check(&sw, c);
		sw_next(&sw, injected);
	}
	mc_drain(&sw, c);
	sw_end(&sw);
}

static void test_config(void)
{
	struct mchan c;
	int k;

	if (mc_new(&c, 16, MSG, 0, O_RDWR)) {
		for (k = CFG_SET_BREAKER; k <= CFG_GET_STATS; k++) {
			/* Reports count in METRICS_ONLY, never refused. */
			ioctl(c.fd, CHAN_IOC_SET_BREAKER, &brk_cfg[0]);
			sweep_cfg(&c, k);
		}
	}
	mc_free(&c);
}

int main(void)
{
	uint64_t t0 = t_now_ns();
	char val[32];
	int before;
	size_t i;

	/*
	 * About 30 s on the debug kernel; an emulated CPU shared with other
	 * VMs can make it several times that.
	 */
	if (!getenv("KCHAN_TEST_TIMEOUT") ||
	    atoi(getenv("KCHAN_TEST_TIMEOUT")) < 240)
		setenv("KCHAN_TEST_TIMEOUT", "240", 1);
	t_init("fault_inject");
	fi_setup();
	grow_stack();
	fi_unshare();
	ctl_fd = open(CHAN_CONTROL_PATH, O_RDWR | O_CLOEXEC);
	if (ctl_fd < 0)
		t_bail("open %s: %m", CHAN_CONTROL_PATH);
	before = count_chans();
	t_diag("fail-nth with failslab, fail_page_alloc (min-order 0) and fail_usercopy");

	test_control();
	test_open();
	test_capacity();
	test_data();
	test_peers();
	test_batches();
	test_select();
	test_config();
	budget_check("every sweep");

	T_EQ(count_chans(), before, "every channel the test made is gone");
	close(ctl_fd);
	knobs_restore();
	for (i = 0; i < T_ARRAY_SIZE(knobs); i++)
		if (knob_read(knobs[i].path, val, sizeof(val)) ||
		    strcmp(val, knobs[i].saved))
			break;
	T_EQ(i, T_ARRAY_SIZE(knobs),
	     "every fault-injection knob is back to what it was");
	t_diag("%.1f s in all", (t_now_ns() - t0) / 1e9);
	return t_done();
}
