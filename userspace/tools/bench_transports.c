// SPDX-License-Identifier: GPL-2.0
/*
 * chanbench transports: the chan device and its peers behind one
 * message-oriented send/recv interface, so that every scenario runs the
 * same code over each of them.
 *
 *   chan         a channel made through /dev/chan-control with the asked
 *                capacity and message size; write()/read(), and the
 *                CHAN_IOC_SEND_BATCH/RECV_BATCH ioctls for batches
 *   pipe         fixed-size records over a pipe sized to capacity x size
 *   pipe-direct  an O_DIRECT (packet mode) pipe, capacity packets per page
 *   mq           a POSIX message queue with mq_maxmsg = capacity
 *   seqpacket    an AF_UNIX SOCK_SEQPACKET socketpair whose send buffer
 *                holds capacity messages; sendmmsg/recvmmsg for batches
 *   eventfd      a counter, no payload: the floor of a wake-up
 *
 * Also here: CHAN_IOC_SELECT with one case, and receiving one message
 * from whichever of several links is ready: a select with a receive case
 * per channel, or, on any transport, epoll_wait then read; raising the
 * system limits the peers need (mq sysctls and
 * RLIMIT_MSGQUEUE, the chan module's max_bytes budget) and putting them
 * back, and destroying what was created even when the program is
 * interrupted.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/sockios.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <linux/chan.h>

#include "chanbench.h"

const char *const transport_names[TR_NR] = {
	[TR_CHAN]	 = "chan",
	[TR_PIPE]	 = "pipe",
	[TR_PIPE_DIRECT] = "pipe-direct",
	[TR_MQ]		 = "mq",
	[TR_SEQPACKET]	 = "seqpacket",
	[TR_EVENTFD]	 = "eventfd",
};

int chan_ctl_fd = -1;

#define PIPE_PAGE	4096UL

/* Largest capacity and message size the scenarios use. */
#define NEED_MSG_MAX		1024
#define NEED_MSGSIZE_MAX	65536
#define NEED_CHAN_BYTES		(256ULL << 20)
#define NEED_PIPE_BYTES		(64ULL << 20)

/* ---- clean-up registry: must work from a signal handler ---- */

#define MAX_LIVE_CHANS	(MAX_LINKS + 8)
#define MAX_KNOBS	4

static volatile int live_chans[MAX_LIVE_CHANS] = {
	[0 ... MAX_LIVE_CHANS - 1] = -1,
};

struct knob {
	const char *path;
	char old[32];
	size_t oldlen;
	bool changed;
};

static struct knob knobs[MAX_KNOBS] = {
	{ .path = "/proc/sys/fs/mqueue/msg_max" },
	{ .path = "/proc/sys/fs/mqueue/msgsize_max" },
	{ .path = "/sys/module/chan/parameters/max_bytes" },
	{ .path = "/proc/sys/fs/pipe-max-size" },
};

static char notes_buf[MAX_KNOBS + 1][160];
static const char *notes[MAX_KNOBS + 2];
static unsigned int mq_seq;

static void chan_track(int index)
{
	unsigned int i;

	for (i = 0; i < MAX_LIVE_CHANS; i++) {
		if (live_chans[i] < 0) {
			live_chans[i] = index;
			return;
		}
	}
}

static void chan_untrack(int index)
{
	unsigned int i;

	for (i = 0; i < MAX_LIVE_CHANS; i++)
		if (live_chans[i] == index)
			live_chans[i] = -1;
}

/* Async-signal-safe: only syscalls. */
void bench_sys_cleanup(void)
{
	struct chan_ctl_destroy d = { .flags = CHAN_DESTROY_F_FORCE };
	unsigned int i;
	int fd;

	for (i = 0; i < MAX_LIVE_CHANS; i++) {
		if (live_chans[i] < 0 || chan_ctl_fd < 0)
			continue;
		d.index = live_chans[i];
		ioctl(chan_ctl_fd, CHAN_CTL_DESTROY, &d);
		live_chans[i] = -1;
	}
	for (i = 0; i < MAX_KNOBS; i++) {
		if (!knobs[i].changed)
			continue;
		fd = open(knobs[i].path, O_WRONLY);
		if (fd >= 0) {
			/* Nothing better to do on failure while exiting. */
			if (write(fd, knobs[i].old, knobs[i].oldlen) < 0)
				knobs[i].oldlen = 0;
			close(fd);
		}
		knobs[i].changed = false;
	}
}

/* Raise the integer in @k->path to at least @want; remember the old value. */
static int knob_raise(struct knob *k, unsigned long long want, char *note,
		      size_t notelen)
{
	unsigned long long cur;
	char buf[32];
	ssize_t n;
	int fd;

	note[0] = '\0';
	fd = open(k->path, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, k->old, sizeof(k->old) - 1);
	close(fd);
	if (n <= 0)
		return n < 0 ? -errno : -EIO;
	k->old[n] = '\0';
	k->oldlen = (size_t)n;
	cur = strtoull(k->old, NULL, 10);
	if (cur >= want)
		return 0;
	fd = open(k->path, O_WRONLY);
	if (fd < 0)
		return -errno;
	n = snprintf(buf, sizeof(buf), "%llu\n", want);
	k->changed = true;
	if (write(fd, buf, (size_t)n) != n) {
		n = -errno;
		close(fd);
		k->changed = false;
		return (int)n;
	}
	close(fd);
	snprintf(note, notelen, "%s raised from %llu to %llu for the run",
		 k->path, cur, want);
	return 0;
}

const char *const *bench_sys_notes(void)
{
	return notes;
}

int bench_sys_init(char *err, size_t errlen)
{
	static const unsigned long long want[MAX_KNOBS] = {
		NEED_MSG_MAX, NEED_MSGSIZE_MAX, NEED_CHAN_BYTES, NEED_PIPE_BYTES,
	};
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
	unsigned int i, nn = 0;
	int ret;

	if (geteuid() != 0) {
		snprintf(err, errlen, "must run as root (creates channels, raises mq limits)");
		return -EPERM;
	}
	for (i = 0; i < MAX_KNOBS && knobs[i].path; i++) {
		ret = knob_raise(&knobs[i], want[i], notes_buf[nn],
				 sizeof(notes_buf[nn]));
		/* Not fatal: the cases that need it fail and say why. */
		if (ret && ret != -ENOENT)
			snprintf(notes_buf[nn], sizeof(notes_buf[nn]),
				 "could not raise %s to %llu: %s", knobs[i].path,
				 want[i], strerror(-ret));
		if (notes_buf[nn][0]) {
			notes[nn] = notes_buf[nn];
			nn++;
		}
	}
	/* Without it mq_open fails, and says so, for the big queues only. */
	if (setrlimit(RLIMIT_MSGQUEUE, &rl)) {
		ret = errno;
		getrlimit(RLIMIT_MSGQUEUE, &rl);
		snprintf(notes_buf[nn], sizeof(notes_buf[nn]),
			 "RLIMIT_MSGQUEUE stays %llu bytes (raising it: %s)",
			 (unsigned long long)rl.rlim_cur, strerror(ret));
	} else {
		snprintf(notes_buf[nn], sizeof(notes_buf[nn]),
			 "RLIMIT_MSGQUEUE unlimited");
	}
	notes[nn] = notes_buf[nn];
	nn++;
	notes[nn] = NULL;
	/* A missing control device is reported by each chan case. */
	chan_ctl_fd = open(CHAN_CONTROL_PATH, O_RDWR | O_CLOEXEC);
	return 0;
}

int chan_count(void)
{
	DIR *d = opendir("/sys/class/chan");
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		n += !strncmp(de->d_name, "chan", 4);
	closedir(d);
	return n;
}

/* ---- setting links up ---- */

static int open_retry(const char *path, int flags)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int i, fd;

	for (i = 0; i < 200; i++) {
		fd = open(path, flags);
		if (fd >= 0 || errno != ENOENT)
			return fd;
		nanosleep(&ts, NULL);
	}
	return -1;
}

static int chan_open(struct link *l, char *err, size_t errlen)
{
	struct chan_ctl_create c = {
		.capacity = l->capacity,
		.msg_size = (__u32)l->msg_size,
		.mode = 0600,
		.uid = CHAN_ID_CALLER,
		.gid = CHAN_ID_CALLER,
		.index = CHAN_INDEX_ANY,
	};
	char path[64];
	int ret;

	if (chan_ctl_fd < 0) {
		snprintf(err, errlen, "cannot open %s (is chan.ko loaded?)",
			 CHAN_CONTROL_PATH);
		return -ENODEV;
	}
	if (ioctl(chan_ctl_fd, CHAN_CTL_CREATE, &c)) {
		ret = -errno;
		snprintf(err, errlen, "CHAN_CTL_CREATE capacity %u msg_size %zu: %s",
			 l->capacity, l->msg_size, strerror(errno));
		return ret;
	}
	l->chan_index = c.index;
	chan_track(c.index);
	snprintf(path, sizeof(path), CHAN_DEV_PREFIX "%d", c.index);
	l->tx = open_retry(path, O_WRONLY);
	if (l->tx >= 0)
		l->rx = open_retry(path, O_RDONLY);
	if (l->tx < 0 || l->rx < 0) {
		snprintf(err, errlen, "open %s: %s", path, strerror(errno));
		return -errno;
	}
	l->eff_capacity = l->capacity;
	return 0;
}

static int pipe_open(struct link *l, bool direct, char *err, size_t errlen)
{
	unsigned long per_msg, want;
	int fds[2], got;

	if (pipe2(fds, direct ? O_DIRECT : 0)) {
		snprintf(err, errlen, "pipe2: %s", strerror(errno));
		return -errno;
	}
	l->rx = fds[0];
	l->tx = fds[1];
	/* Packet mode: one page-sized slot per write of up to a page. */
	if (direct)
		per_msg = (l->msg_size + PIPE_PAGE - 1) / PIPE_PAGE * PIPE_PAGE;
	else
		per_msg = l->msg_size;
	want = per_msg * (l->capacity ? l->capacity : 1);
	if (want < PIPE_PAGE)
		want = PIPE_PAGE;
	got = fcntl(l->tx, F_SETPIPE_SZ, (int)want);
	if (got < 0) {
		snprintf(err, errlen, "F_SETPIPE_SZ %lu: %s", want, strerror(errno));
		return -errno;
	}
	l->eff_capacity = (unsigned int)((unsigned long)got / per_msg);
	return 0;
}

static int mq_link_open(struct link *l, char *err, size_t errlen)
{
	struct mq_attr attr = {
		.mq_maxmsg = l->capacity ? l->capacity : 1,
		.mq_msgsize = (long)l->msg_size,
	};
	char name[64];
	mqd_t q;

	snprintf(name, sizeof(name), "/chanbench.%d.%u", (int)getpid(), mq_seq++);
	q = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &attr);
	if (q == (mqd_t)-1) {
		snprintf(err, errlen, "mq_open maxmsg %ld msgsize %ld: %s",
			 attr.mq_maxmsg, attr.mq_msgsize, strerror(errno));
		return -errno;
	}
	/* Open descriptors keep it alive; nothing is left behind on exit. */
	mq_unlink(name);
	l->tx = l->rx = (int)q;
	l->eff_capacity = (unsigned int)attr.mq_maxmsg;
	return 0;
}

/*
 * An AF_UNIX datagram-style sender may queue while the bytes it has
 * charged (skb truesize, SIOCOUTQ) are below its send buffer. Measure one
 * message's truesize, size the buffer for capacity messages, and count
 * what really fits; the result is cached per (capacity, size).
 */
struct sndbuf_cache {
	unsigned int capacity;
	size_t msg_size;
	int sndbuf;
	unsigned int fits;
};

static struct sndbuf_cache sndbufs[32];
static unsigned int nsndbufs;

static int set_sndbuf(int fd, int bytes)
{
	int val = (bytes + 1) / 2;	/* the kernel doubles it */

	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &val, sizeof(val)) &&
	    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &val, sizeof(val)))
		return -errno;
	return 0;
}

static void drain(int fd, void *buf, size_t len)
{
	while (recv(fd, buf, len, MSG_DONTWAIT) > 0)
		;
}

static int seqpacket_size(struct link *l, char *err, size_t errlen)
{
	unsigned int cap = l->capacity ? l->capacity : 1, fits = 0, i;
	struct sndbuf_cache *c;
	long long want;
	int outq = 0, ret;
	void *buf;

	for (i = 0; i < nsndbufs; i++) {
		c = &sndbufs[i];
		if (c->capacity == cap && c->msg_size == l->msg_size) {
			l->eff_capacity = c->fits;
			return set_sndbuf(l->tx, c->sndbuf);
		}
	}
	buf = calloc(1, l->msg_size);
	if (!buf)
		return -ENOMEM;
	ret = set_sndbuf(l->tx, (int)(4 * (l->msg_size + 4096)));
	if (!ret && send(l->tx, buf, l->msg_size, MSG_DONTWAIT) < 0)
		ret = -errno;
	if (!ret && ioctl(l->tx, SIOCOUTQ, &outq))
		ret = -errno;
	drain(l->rx, buf, l->msg_size);
	if (ret || outq <= 0) {
		snprintf(err, errlen, "sizing the SEQPACKET send buffer: %s",
			 ret ? strerror(-ret) : "SIOCOUTQ gave 0");
		free(buf);
		return ret ? ret : -EIO;
	}
	/* Queuing is allowed while charged < sndbuf: cap - 1 full, then one. */
	want = (long long)(cap - 1) * outq + 1;
	if (want < (long long)l->msg_size + 64)
		want = (long long)l->msg_size + 64;
	if (want > 0x3fffffff)
		want = 0x3fffffff;
	ret = set_sndbuf(l->tx, (int)want);
	while (!ret && fits <= cap * 2 + 64) {
		if (send(l->tx, buf, l->msg_size, MSG_DONTWAIT) < 0) {
			if (errno != EAGAIN)
				ret = -errno;
			break;
		}
		fits++;
	}
	drain(l->rx, buf, l->msg_size);
	free(buf);
	if (ret) {
		snprintf(err, errlen, "sizing the SEQPACKET send buffer: %s",
			 strerror(-ret));
		return ret;
	}
	if (nsndbufs < ARRAY_SIZE(sndbufs)) {
		c = &sndbufs[nsndbufs++];
		c->capacity = cap;
		c->msg_size = l->msg_size;
		c->sndbuf = (int)want;
		c->fits = fits;
	}
	l->eff_capacity = fits;
	return 0;
}

static int seqpacket_open(struct link *l, char *err, size_t errlen)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv)) {
		snprintf(err, errlen, "socketpair(AF_UNIX, SOCK_SEQPACKET): %s",
			 strerror(errno));
		return -errno;
	}
	l->tx = sv[0];
	l->rx = sv[1];
	return seqpacket_size(l, err, errlen);
}

static int eventfd_open(struct link *l, char *err, size_t errlen)
{
	int fd = eventfd(0, 0);

	if (fd < 0) {
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		return -errno;
	}
	l->tx = l->rx = fd;
	l->eff_capacity = 0;
	return 0;
}

int link_open(struct link *l, enum transport_id tr, unsigned int capacity,
	      size_t msg_size, char *err, size_t errlen)
{
	int ret;

	memset(l, 0, sizeof(*l));
	l->tr = tr;
	l->capacity = capacity;
	l->msg_size = msg_size;
	l->tx = l->rx = -1;
	l->chan_index = -1;
	switch (tr) {
	case TR_CHAN:
		ret = chan_open(l, err, errlen);
		break;
	case TR_PIPE:
		ret = pipe_open(l, false, err, errlen);
		break;
	case TR_PIPE_DIRECT:
		ret = pipe_open(l, true, err, errlen);
		break;
	case TR_MQ:
		ret = mq_link_open(l, err, errlen);
		break;
	case TR_SEQPACKET:
		ret = seqpacket_open(l, err, errlen);
		break;
	case TR_EVENTFD:
		ret = eventfd_open(l, err, errlen);
		break;
	default:
		snprintf(err, errlen, "unknown transport %d", tr);
		ret = -EINVAL;
	}
	if (ret) {
		char ignore[8];

		link_close_fds(l);
		link_destroy(l, ignore, sizeof(ignore));
	}
	return ret;
}

void link_close_fds(struct link *l)
{
	if (l->tr == TR_MQ) {
		if (l->tx >= 0)
			mq_close((mqd_t)l->tx);
		l->tx = l->rx = -1;
		return;
	}
	if (l->rx >= 0 && l->rx != l->tx)
		close(l->rx);
	if (l->tx >= 0)
		close(l->tx);
	l->tx = l->rx = -1;
}

/* After every fd of the link is closed: destroy the channel. */
int link_destroy(struct link *l, char *err, size_t errlen)
{
	struct chan_ctl_destroy d = { .index = l->chan_index };
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	int i, ret = 0;

	if (l->chan_index < 0)
		return 0;
	for (i = 0; i < 50; i++) {
		if (!ioctl(chan_ctl_fd, CHAN_CTL_DESTROY, &d))
			goto out;
		if (errno != EBUSY)
			break;
		nanosleep(&ts, NULL);
	}
	ret = -errno;
	snprintf(err, errlen, "CHAN_CTL_DESTROY chan%d: %s", l->chan_index,
		 strerror(errno));
	d.flags = CHAN_DESTROY_F_FORCE;
	ioctl(chan_ctl_fd, CHAN_CTL_DESTROY, &d);
out:
	chan_untrack(l->chan_index);
	l->chan_index = -1;
	return ret;
}

/* ---- the send side's guard ---- */

int link_guard(const struct link *l, enum guard_kind g, char *err,
	       size_t errlen)
{
	struct chan_breaker_config c = {
		.mode = CHAN_BREAKER_AUTO, .window_ms = 10000, .min_calls = 10,
		.failure_pct = 50, .slow_pct = 100, .open_ms = 5000,
		.open_min_ms = 1000, .open_max_ms = 60000,
		.half_open_probes = 3, .half_open_max_ms = 10000,
	};
	/* Far more than any run sends: the bucket never runs dry. */
	struct chan_rate r = { .rate = UINT32_MAX, .burst = UINT32_MAX };

	if (g == GUARD_NONE)
		return 0;
	if (l->tr != TR_CHAN) {
		snprintf(err, errlen, "only a chan link has a breaker");
		return -EINVAL;
	}
	if (g == GUARD_OPEN)
		c.mode = CHAN_BREAKER_FORCED_OPEN;
	if ((g != GUARD_RATE && ioctl(l->tx, CHAN_IOC_SET_BREAKER, &c)) ||
	    ((g == GUARD_IDLE || g == GUARD_RATE) &&
	     ioctl(l->tx, CHAN_IOC_SET_RATE, &r))) {
		snprintf(err, errlen, "CHAN_IOC_SET_BREAKER/SET_RATE: %s",
			 strerror(errno));
		return -errno;
	}
	return 0;
}

int link_refuse(struct link *l, char *err, size_t errlen)
{
	unsigned char *buf = calloc(1, l->msg_size);
	int flags, r = 0, i;

	if (!buf) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	flags = fcntl(l->tx, F_GETFL);
	if (flags < 0 || fcntl(l->tx, F_SETFL, flags | O_NONBLOCK)) {
		snprintf(err, errlen, "O_NONBLOCK: %s", strerror(errno));
		free(buf);
		return -errno;
	}
	for (i = 0; i < (1 << 20) && !r; i++)
		r = link_send(l, buf, l->msg_size);
	free(buf);
	if (r != -EAGAIN) {
		snprintf(err, errlen, "filling the link: %s",
			 r ? strerror(-r) : "never full");
		return r ? r : -EIO;
	}
	return 0;
}

/* ---- moving messages ---- */

static int write_all(int fd, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static ssize_t read_all(int fd, void *buf, size_t len)
{
	unsigned char *p = buf;
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = read(fd, p + got, len - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EPIPE;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

int link_send(const struct link *l, const void *buf, size_t len)
{
	static const uint64_t one = 1;
	ssize_t n;

	switch (l->tr) {
	case TR_CHAN:
		do {
			n = write(l->tx, buf, len);
		} while (n < 0 && errno == EINTR);
		if (n < 0)
			return -errno;
		return (size_t)n == len ? 0 : -EIO;
	case TR_PIPE:
	case TR_PIPE_DIRECT:
		return write_all(l->tx, buf, len);
	case TR_MQ:
		while (mq_send((mqd_t)l->tx, buf, len, 0)) {
			if (errno != EINTR)
				return -errno;
		}
		return 0;
	case TR_SEQPACKET:
		do {
			n = send(l->tx, buf, len, MSG_NOSIGNAL);
		} while (n < 0 && errno == EINTR);
		if (n < 0)
			return -errno;
		return (size_t)n == len ? 0 : -EIO;
	case TR_EVENTFD:
		do {
			n = write(l->tx, &one, sizeof(one));
		} while (n < 0 && errno == EINTR);
		return n < 0 ? -errno : 0;
	default:
		return -EINVAL;
	}
}

ssize_t link_recv(const struct link *l, void *buf, size_t len)
{
	uint64_t v;
	ssize_t n;

	switch (l->tr) {
	case TR_CHAN:
		do {
			n = read(l->rx, buf, len);
		} while (n < 0 && errno == EINTR);
		if (n < 0)
			return -errno;
		return n ? n : -EPIPE;
	case TR_PIPE:
	case TR_PIPE_DIRECT:
		return read_all(l->rx, buf, len);
	case TR_MQ:
		do {
			n = mq_receive((mqd_t)l->rx, buf, len, NULL);
		} while (n < 0 && errno == EINTR);
		return n < 0 ? -errno : n;
	case TR_SEQPACKET:
		do {
			n = recv(l->rx, buf, len, 0);
		} while (n < 0 && errno == EINTR);
		if (n < 0)
			return -errno;
		return n ? n : -EPIPE;
	case TR_EVENTFD:
		do {
			n = read(l->rx, &v, sizeof(v));
		} while (n < 0 && errno == EINTR);
		if (n < 0)
			return -errno;
		if (len >= sizeof(v))
			memcpy(buf, &v, sizeof(v));
		return n;
	default:
		return -EINVAL;
	}
}

/* ---- batches ---- */

int link_batch_probe(const struct link *l)
{
	struct chan_iov iov = { 0 };
	struct chan_batch b = { .count = 1, .timeout_ns = 0 };
	void *buf;
	int ret = 0;

	if (l->tr == TR_SEQPACKET)
		return 0;
	if (l->tr != TR_CHAN)
		return -EOPNOTSUPP;
	/* A non-blocking receive on the empty channel: EAGAIN if known. */
	buf = malloc(l->msg_size);
	if (!buf)
		return -ENOMEM;
	iov.buf = (uintptr_t)buf;
	iov.len = (__u32)l->msg_size;
	b.vec = (uintptr_t)&iov;
	if (ioctl(l->rx, CHAN_IOC_RECV_BATCH, &b) < 0 && errno != EAGAIN)
		ret = -errno;
	free(buf);
	return ret;
}

int batch_init(struct batch_buf *b, const struct link *l)
{
	struct chan_iov *civ;
	struct mmsghdr *mm;
	struct iovec *iov;
	unsigned int i;

	memset(b, 0, sizeof(*b));
	b->msg_size = l->msg_size;
	b->data = aligned_alloc(64, (MAX_BATCH * l->msg_size + 63) / 64 * 64);
	if (!b->data)
		return -ENOMEM;
	memset(b->data, 0, MAX_BATCH * l->msg_size);
	if (l->tr == TR_CHAN) {
		civ = calloc(MAX_BATCH, sizeof(*civ));
		if (!civ)
			return -ENOMEM;
		for (i = 0; i < MAX_BATCH; i++) {
			civ[i].buf = (uintptr_t)(b->data + i * l->msg_size);
			civ[i].len = (__u32)l->msg_size;
		}
		b->vec = civ;
	} else if (l->tr == TR_SEQPACKET) {
		mm = calloc(MAX_BATCH, sizeof(*mm));
		iov = calloc(MAX_BATCH, sizeof(*iov));
		if (!mm || !iov)
			return -ENOMEM;
		for (i = 0; i < MAX_BATCH; i++) {
			iov[i].iov_base = b->data + i * l->msg_size;
			iov[i].iov_len = l->msg_size;
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
		}
		b->vec = mm;
		b->iov = iov;
	}
	return 0;
}

int link_send_batch(const struct link *l, struct batch_buf *b,
		    unsigned int first, unsigned int n)
{
	struct chan_iov *civ = b->vec;
	struct chan_batch cb = { .timeout_ns = CHAN_TIMEOUT_INFINITE };
	unsigned int i;
	int r;

	if (first >= n || n > MAX_BATCH)
		return -EINVAL;
	if (l->tr == TR_CHAN) {
		for (i = first; i < n; i++)
			civ[i].len = (__u32)b->msg_size;
		cb.vec = (uintptr_t)&civ[first];
		cb.count = n - first;
		do {
			r = ioctl(l->tx, CHAN_IOC_SEND_BATCH, &cb);
		} while (r < 0 && errno == EINTR);
		if (r < 0)
			return -errno;
		return r ? r : -EIO;
	}
	if (l->tr == TR_SEQPACKET) {
		do {
			r = sendmmsg(l->tx, (struct mmsghdr *)b->vec + first,
				     n - first, MSG_NOSIGNAL);
		} while (r < 0 && errno == EINTR);
		if (r < 0)
			return -errno;
		return r ? r : -EIO;
	}
	return -EOPNOTSUPP;
}

int link_recv_batch(const struct link *l, struct batch_buf *b, unsigned int n)
{
	struct chan_iov *civ = b->vec;
	struct mmsghdr *mm = b->vec;
	struct iovec *iov = b->iov;
	struct chan_batch cb = { .timeout_ns = CHAN_TIMEOUT_INFINITE };
	unsigned int i;
	int r;

	if (!n || n > MAX_BATCH)
		return -EINVAL;
	if (l->tr == TR_CHAN) {
		for (i = 0; i < n; i++)
			civ[i].len = (__u32)b->msg_size;
		cb.vec = (uintptr_t)civ;
		cb.count = n;
		do {
			r = ioctl(l->rx, CHAN_IOC_RECV_BATCH, &cb);
		} while (r < 0 && errno == EINTR);
		if (r < 0)
			return -errno;
		if (r == 0)
			return -EPIPE;
		for (i = 0; i < (unsigned int)r && i < n; i++)
			b->lens[i] = civ[i].len;
		return r;
	}
	if (l->tr == TR_SEQPACKET) {
		for (i = 0; i < n; i++) {
			iov[i].iov_len = b->msg_size;
			mm[i].msg_len = 0;
		}
		do {
			r = recvmmsg(l->rx, mm, n, MSG_WAITFORONE, NULL);
		} while (r < 0 && errno == EINTR);
		if (r < 0)
			return -errno;
		if (r == 0)
			return -EPIPE;
		for (i = 0; i < (unsigned int)r; i++)
			b->lens[i] = mm[i].msg_len;
		return r;
	}
	return -EOPNOTSUPP;
}

/* ---- select, and receiving from any of several links ---- */

static int select_call(int fd, struct chan_select_case *c, unsigned int n,
		       long long timeout_ns)
{
	struct chan_select s = {
		.cases = (uintptr_t)c,
		.ncases = n,
		.timeout_ns = timeout_ns,
	};
	int r;

	do {
		r = ioctl(fd, CHAN_IOC_SELECT, &s);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	return r < (int)n ? r : -EIO;
}

int link_select_probe(const struct link *l)
{
	struct chan_select_case c = { .op = CHAN_OP_RECV };
	unsigned char *buf;
	int r;

	if (l->tr != TR_CHAN)
		return -EOPNOTSUPP;
	/* A receive that cannot commit yet: EAGAIN if the ioctl is known. */
	buf = calloc(1, l->msg_size);
	if (!buf)
		return -ENOMEM;
	c.fd = l->rx;
	c.buf = (uintptr_t)buf;
	c.len = (__u32)l->msg_size;
	r = select_call(l->rx, &c, 1, 0);
	free(buf);
	if (r >= 0)
		return -EIO;	/* the links of a run start empty */
	return r == -EAGAIN ? 0 : r;
}

int link_select_send(const struct link *l, const void *buf, size_t len)
{
	struct chan_select_case c = {
		.fd = l->tx,
		.op = CHAN_OP_SEND,
		.buf = (uintptr_t)buf,
		.len = (__u32)len,
	};
	int r = select_call(l->tx, &c, 1, CHAN_TIMEOUT_INFINITE);

	if (r < 0)
		return r;
	if (c.result < 0)
		return c.result;
	return (size_t)c.result == len ? 0 : -EIO;
}

ssize_t link_select_recv(const struct link *l, void *buf, size_t len)
{
	struct chan_select_case c = {
		.fd = l->rx,
		.op = CHAN_OP_RECV,
		.buf = (uintptr_t)buf,
		.len = (__u32)len,
	};
	int r = select_call(l->rx, &c, 1, CHAN_TIMEOUT_INFINITE);

	if (r < 0)
		return r;
	if (c.result < 0)
		return c.result;
	return c.result ? c.result : -EPIPE;
}

int mux_init(struct mux *m, const struct link *links, unsigned int n,
	     enum wait_kind wait, size_t msg_size)
{
	struct chan_select_case *c;
	struct epoll_event ev = { .events = EPOLLIN };
	unsigned int i;

	memset(m, 0, sizeof(*m));
	m->wait = wait;
	m->links = links;
	m->n = n;
	m->msg_size = msg_size;
	m->epfd = -1;
	if (!n || n > MAX_LINKS)
		return -EINVAL;
	m->bufs = aligned_alloc(64, (n * msg_size + 63) / 64 * 64);
	if (!m->bufs)
		return -ENOMEM;
	memset(m->bufs, 0, n * msg_size);
	switch (wait) {
	case WAIT_SELECT:
		/* Built once: the kernel writes only the committed case's result. */
		c = calloc(n, sizeof(*c));
		if (!c)
			return -ENOMEM;
		for (i = 0; i < n; i++) {
			if (links[i].tr != TR_CHAN)
				return -EOPNOTSUPP;
			c[i].fd = links[i].rx;
			c[i].op = CHAN_OP_RECV;
			c[i].buf = (uintptr_t)(m->bufs + i * msg_size);
			c[i].len = (__u32)msg_size;
		}
		m->cases = c;
		return 0;
	case WAIT_EPOLL_ONE:
	case WAIT_EPOLL_ALL:
		if (links[0].tr == TR_MQ || links[0].tr == TR_EVENTFD)
			return -EOPNOTSUPP;
		m->events = calloc(n, sizeof(struct epoll_event));
		if (!m->events)
			return -ENOMEM;
		m->epfd = epoll_create1(EPOLL_CLOEXEC);
		if (m->epfd < 0)
			return -errno;
		for (i = 0; i < n; i++) {
			ev.data.u32 = i;
			if (epoll_ctl(m->epfd, EPOLL_CTL_ADD, links[i].rx, &ev))
				return -errno;
		}
		return 0;
	default:
		return -EINVAL;
	}
}

ssize_t mux_recv(struct mux *m, unsigned int *idx)
{
	struct chan_select_case *c = m->cases;
	struct epoll_event *ev = m->events;
	unsigned int i;
	int r;

	switch (m->wait) {
	case WAIT_SELECT:
		r = select_call(m->links[0].rx, c, m->n, CHAN_TIMEOUT_INFINITE);
		if (r < 0)
			return r;
		*idx = (unsigned int)r;
		if (c[r].result < 0)
			return c[r].result;
		return c[r].result ? c[r].result : -EPIPE;
	case WAIT_EPOLL_ONE:
		do {
			r = epoll_wait(m->epfd, ev, 1, -1);
		} while (r < 0 && errno == EINTR);
		if (r < 0)
			return -errno;
		if (r != 1 || ev[0].data.u32 >= m->n)
			return -EIO;
		*idx = ev[0].data.u32;
		break;
	case WAIT_EPOLL_ALL:
		if (m->pos == m->nready) {
			do {
				r = epoll_wait(m->epfd, ev, (int)m->n, -1);
			} while (r < 0 && errno == EINTR);
			if (r < 0)
				return -errno;
			for (i = 0; i < (unsigned int)r; i++) {
				if (ev[i].data.u32 >= m->n)
					return -EIO;
				m->ready[i] = ev[i].data.u32;
			}
			m->nready = (unsigned int)r;
			m->pos = 0;
			if (!r)
				return -EIO;
		}
		*idx = m->ready[m->pos++];
		break;
	default:
		return -EINVAL;
	}
	return link_recv(&m->links[*idx], m->bufs + *idx * m->msg_size,
			 m->msg_size);
}
