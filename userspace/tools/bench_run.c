// SPDX-License-Identifier: GPL-2.0
/*
 * chanbench runs: one run of one scenario over one transport, in worker
 * processes (fork, never threads).
 *
 * The parent sets the links up, forks the workers and waits until each
 * has prepared its buffers and said "ready"; closing the "go" pipe then
 * starts them all at once. Each worker times its own part
 * (CLOCK_MONOTONIC) and counts its own context switches (getrusage), and
 * leaves both, its latency histogram and any error in shared memory; the
 * run lasts from the earliest start to the latest end. A watchdog alarm
 * ends a run that hangs; a worker that fails takes the others down.
 *
 * Every message carries a header (sequence number, producer, magic) and a
 * check byte at its end; receivers check length, header, check byte and
 * order in every run, for every transport alike. A verification run also
 * fills and checks every payload byte and counts each message's arrivals,
 * which must all be exactly one.
 *
 * The multiplexing runs (WK_MUX) have one producer that sends message i
 * on link i % K and one consumer that takes one message at a time from
 * whichever link has one (a select over K receive cases, or epoll_wait
 * and read): every link's messages must still arrive in order.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "chanbench.h"

#define EXIT_ERROR	2
#define EXIT_VERIFY	3

#define MSG_MAGIC	0x6b63686eU
#define SEQ_SENTINEL	UINT64_MAX

struct msg_hdr {
	uint64_t seq;
	uint32_t src;
	uint32_t magic;
};

struct slot {
	uint64_t start_ns;
	uint64_t end_ns;
	uint64_t ops;
	uint64_t csw;
	int status;
	char err[200];
	struct hist hist;
};

struct shared {
	struct slot slot[MAX_WORKERS];
	uint8_t seen[VERIFY_MAX];
};

struct worker {
	const struct bench_case *bc;
	const struct link *a;		/* stream/uncontended; ping */
	const struct link *b;		/* pong */
	const struct link *links;	/* all of them (WK_MUX: K) */
	unsigned int nlinks;
	uint64_t count;
	uint64_t stride;		/* messages per producer */
	unsigned int id;
	bool verify;
	struct slot *slot;
	uint64_t csw0;
};

static struct shared *shm;
static struct hist run_hist;
static volatile pid_t pids[MAX_WORKERS];
static volatile sig_atomic_t alarmed;
static unsigned int run_timeout_s = 120;
static int ready_r = -1, ready_w = -1, go_r = -1, go_w = -1;

static void on_alarm(int sig)
{
	(void)sig;
	alarmed = 1;
}

int bench_run_init(unsigned int timeout_s, char *err, size_t errlen)
{
	struct sigaction sa = { .sa_handler = on_alarm };

	run_timeout_s = timeout_s;
	shm = mmap(NULL, sizeof(*shm), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shm == MAP_FAILED) {
		snprintf(err, errlen, "mmap shared results: %s", strerror(errno));
		return -errno;
	}
	/* No SA_RESTART: the alarm must break the parent's waits. */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, NULL)) {
		snprintf(err, errlen, "sigaction: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

void bench_run_kill(void)
{
	unsigned int i;

	for (i = 0; i < MAX_WORKERS; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGKILL);
}

/* ---- worker side ---- */

static __attribute__((noreturn, format(printf, 3, 4)))
void worker_fail(struct worker *w, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->slot->err, sizeof(w->slot->err), fmt, ap);
	va_end(ap);
	w->slot->status = code;
	_exit(code);
}

static uint64_t csw_now(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		return 0;
	return (uint64_t)ru.ru_nvcsw + (uint64_t)ru.ru_nivcsw;
}

static void *worker_buf(struct worker *w, size_t size)
{
	void *p = aligned_alloc(64, (size + 63) / 64 * 64);

	if (!p)
		worker_fail(w, EXIT_ERROR, "out of memory");
	memset(p, 0, size);	/* fault it in before the clock starts */
	return p;
}

/* Ready, then wait for the parent to close the go pipe; start the clock. */
static void barrier(struct worker *w)
{
	char c = 'r';

	if (write(ready_w, &c, 1) != 1)
		worker_fail(w, EXIT_ERROR, "ready pipe: %s", strerror(errno));
	close(ready_w);
	while (read(go_r, &c, 1) < 0 && errno == EINTR)
		;
	close(go_r);
	w->csw0 = csw_now();
	w->slot->start_ns = now_ns();
}

static __attribute__((noreturn)) void finish(struct worker *w, uint64_t ops)
{
	w->slot->end_ns = now_ns();
	w->slot->csw = csw_now() - w->csw0;
	w->slot->ops = ops;
	_exit(0);
}

static inline uint8_t check_byte(uint64_t seq, uint32_t src)
{
	return (uint8_t)(seq * 31 + src + 1);
}

static void msg_fill(unsigned char *buf, size_t size, uint64_t seq,
		     uint32_t src, bool full)
{
	struct msg_hdr h = { .seq = seq, .src = src, .magic = MSG_MAGIC };
	size_t i;

	memcpy(buf, &h, sizeof(h));
	if (full)
		for (i = sizeof(h); i < size - 1; i++)
			buf[i] = (uint8_t)(i + seq);
	buf[size - 1] = check_byte(seq, src);
}

static void msg_check(struct worker *w, const unsigned char *buf, ssize_t len,
		      struct msg_hdr *h)
{
	size_t size = w->bc->msg_size, i;

	if (len != (ssize_t)size)
		worker_fail(w, EXIT_VERIFY, "received %zd bytes, expected %zu",
			    len, size);
	memcpy(h, buf, sizeof(*h));
	if (h->magic != MSG_MAGIC)
		worker_fail(w, EXIT_VERIFY, "bad message header (magic %#x)",
			    h->magic);
	if (buf[size - 1] != check_byte(h->seq, h->src))
		worker_fail(w, EXIT_VERIFY, "torn message: seq %llu from %u",
			    (unsigned long long)h->seq, h->src);
	if (!w->verify || h->seq == SEQ_SENTINEL)
		return;
	for (i = sizeof(*h); i < size - 1; i++)
		if (buf[i] != (uint8_t)(i + h->seq))
			worker_fail(w, EXIT_VERIFY,
				    "payload byte %zu of seq %llu from %u is wrong",
				    i, (unsigned long long)h->seq, h->src);
}

static void eventfd_check(struct worker *w, const void *buf, ssize_t len)
{
	uint64_t v;

	if (len != (ssize_t)sizeof(v))
		worker_fail(w, EXIT_VERIFY, "eventfd read gave %zd bytes", len);
	memcpy(&v, buf, sizeof(v));
	if (v != 1)
		worker_fail(w, EXIT_VERIFY, "eventfd counter %llu, expected 1",
			    (unsigned long long)v);
}

static void producer(struct worker *w)
{
	const struct bench_case *bc = w->bc;
	size_t size = bc->msg_size;
	uint64_t n = w->stride, seq;
	struct batch_buf bb;
	unsigned char *buf;
	unsigned int i, k, sent;
	int r;

	buf = worker_buf(w, size);
	if (bc->batch > 1 && batch_init(&bb, w->a))
		worker_fail(w, EXIT_ERROR, "out of memory");
	barrier(w);
	if (bc->batch > 1) {
		for (seq = 0; seq < n; seq += k) {
			k = n - seq < bc->batch ? (unsigned int)(n - seq) : bc->batch;
			for (i = 0; i < k; i++)
				msg_fill(bb.data + i * size, size, seq + i,
					 w->id, w->verify);
			for (sent = 0; sent < k; sent += (unsigned int)r) {
				r = link_send_batch(w->a, &bb, sent, k);
				if (r < 0)
					worker_fail(w, EXIT_ERROR, "batch send: %s",
						    strerror(-r));
			}
		}
	} else if (bc->kind == WK_MUX) {
		/* Round-robin: message seq on link seq % K. */
		for (seq = 0, k = 0; seq < n; seq++) {
			msg_fill(buf, size, seq, w->id, w->verify);
			r = link_send(&w->links[k], buf, size);
			if (r)
				worker_fail(w, EXIT_ERROR, "send seq %llu on link %u: %s",
					    (unsigned long long)seq, k, strerror(-r));
			if (++k == w->nlinks)
				k = 0;
		}
	} else {
		for (seq = 0; seq < n; seq++) {
			msg_fill(buf, size, seq, w->id, w->verify);
			r = link_send(w->a, buf, size);
			if (r)
				worker_fail(w, EXIT_ERROR, "send seq %llu: %s",
					    (unsigned long long)seq, strerror(-r));
		}
	}
	/* Several consumers: one end marker each (each stops at its first). */
	if (bc->consumers > 1) {
		for (i = 0; i < bc->consumers; i++) {
			msg_fill(buf, size, SEQ_SENTINEL, w->id, false);
			r = link_send(w->a, buf, size);
			if (r)
				worker_fail(w, EXIT_ERROR, "send end marker: %s",
					    strerror(-r));
		}
	}
	finish(w, n);
}

/* One message received: check it, count it; false at an end marker. */
static bool consume_one(struct worker *w, const unsigned char *buf,
			ssize_t len, uint64_t *next)
{
	const struct bench_case *bc = w->bc;
	struct msg_hdr h;

	msg_check(w, buf, len, &h);
	if (h.seq == SEQ_SENTINEL) {
		if (bc->consumers == 1)
			worker_fail(w, EXIT_VERIFY, "unexpected end marker");
		return false;
	}
	if (h.src >= bc->producers || h.seq >= w->stride)
		worker_fail(w, EXIT_VERIFY, "message from nowhere: seq %llu from %u",
			    (unsigned long long)h.seq, h.src);
	if (bc->consumers == 1) {
		/* One consumer sees each producer's messages all, in order. */
		if (h.seq != next[h.src])
			worker_fail(w, EXIT_VERIFY,
				    "producer %u: got seq %llu, expected %llu",
				    h.src, (unsigned long long)h.seq,
				    (unsigned long long)next[h.src]);
		next[h.src]++;
	} else {
		/* One of several: a subsequence, still in order. */
		if (h.seq < next[h.src])
			worker_fail(w, EXIT_VERIFY,
				    "producer %u: seq %llu after %llu",
				    h.src, (unsigned long long)h.seq,
				    (unsigned long long)next[h.src] - 1);
		next[h.src] = h.seq + 1;
	}
	if (w->verify)
		__atomic_add_fetch(&shm->seen[h.src * w->stride + h.seq], 1,
				   __ATOMIC_RELAXED);
	return true;
}

static void consumer(struct worker *w)
{
	const struct bench_case *bc = w->bc;
	uint64_t next[MAX_WORKERS] = { 0 };
	uint64_t want = bc->consumers == 1 ? w->count : UINT64_MAX;
	uint64_t got = 0, t, win;
	size_t size = bc->msg_size;
	struct batch_buf bb;
	unsigned char *buf;
	unsigned int i, k;
	bool more = true;
	ssize_t len = 0;
	int r;

	buf = worker_buf(w, size);
	if (bc->batch > 1 && batch_init(&bb, w->a))
		worker_fail(w, EXIT_ERROR, "out of memory");
	barrier(w);
	win = w->slot->start_ns;
	while (more && got < want) {
		if (bc->batch > 1) {
			k = want - got < bc->batch ? (unsigned int)(want - got) : bc->batch;
			r = link_recv_batch(w->a, &bb, k);
			if (r < 0)
				worker_fail(w, EXIT_ERROR, "batch receive: %s",
					    strerror(-r));
		} else {
			len = link_recv(w->a, buf, size);
			if (len < 0)
				worker_fail(w, EXIT_ERROR, "receive: %s",
					    strerror((int)-len));
			r = 1;
		}
		for (i = 0; i < (unsigned int)r; i++) {
			if (bc->batch > 1)
				more = consume_one(w, bb.data + i * size,
						   (ssize_t)bb.lens[i], next);
			else
				more = consume_one(w, buf, len, next);
			if (!more) {
				if (i + 1 < (unsigned int)r)
					worker_fail(w, EXIT_VERIFY,
						    "messages after the end marker");
				break;
			}
			if (++got % HIST_WINDOW == 0) {
				t = now_ns();
				hist_record(&w->slot->hist, (t - win) / HIST_WINDOW);
				win = t;
			}
		}
	}
	finish(w, got);
}

/* One message at a time from whichever of the K links is ready. */
static void mux_consumer(struct worker *w)
{
	uint64_t next[MAX_LINKS], got, t, win;
	size_t size = w->bc->msg_size;
	unsigned int i, k = w->nlinks;
	struct msg_hdr h;
	struct mux m;
	ssize_t len;
	int r;

	for (i = 0; i < k; i++)
		next[i] = i;
	r = mux_init(&m, w->links, k, w->bc->wait, size);
	if (r)
		worker_fail(w, EXIT_ERROR, "setting up the wait on %u links: %s",
			    k, strerror(-r));
	barrier(w);
	win = w->slot->start_ns;
	for (got = 0; got < w->count;) {
		len = mux_recv(&m, &i);
		if (len < 0)
			worker_fail(w, EXIT_ERROR, "receive: %s",
				    strerror((int)-len));
		msg_check(w, m.bufs + i * size, len, &h);
		if (h.seq == SEQ_SENTINEL || h.src != 0 || h.seq != next[i])
			worker_fail(w, EXIT_VERIFY,
				    "link %u: got seq %llu from %u, expected %llu",
				    i, (unsigned long long)h.seq, h.src,
				    (unsigned long long)next[i]);
		next[i] += k;
		if (w->verify)
			__atomic_add_fetch(&shm->seen[h.seq], 1, __ATOMIC_RELAXED);
		if (++got % HIST_WINDOW == 0) {
			t = now_ns();
			hist_record(&w->slot->hist, (t - win) / HIST_WINDOW);
			win = t;
		}
	}
	finish(w, got);
}

static int pp_send(const struct worker *w, const struct link *l,
		   const void *buf, size_t len)
{
	if (w->bc->wait == WAIT_SELECT)
		return link_select_send(l, buf, len);
	return link_send(l, buf, len);
}

static ssize_t pp_recv(const struct worker *w, const struct link *l,
		       void *buf, size_t len)
{
	if (w->bc->wait == WAIT_SELECT)
		return link_select_recv(l, buf, len);
	return link_recv(l, buf, len);
}

static void pingpong(struct worker *w, bool initiator)
{
	const struct bench_case *bc = w->bc;
	bool efd = bc->tr == TR_EVENTFD;
	size_t size = bc->msg_size;
	unsigned char *buf, *rbuf;
	uint64_t i, t0, t1;
	struct msg_hdr h;
	ssize_t len;
	int r;

	buf = worker_buf(w, size);
	rbuf = worker_buf(w, size);
	barrier(w);
	t0 = w->slot->start_ns;
	for (i = 0; i < w->count; i++) {
		if (initiator) {
			if (!efd)
				msg_fill(buf, size, i, 0, w->verify);
			r = pp_send(w, w->a, buf, size);
			if (r)
				worker_fail(w, EXIT_ERROR, "ping %llu: %s",
					    (unsigned long long)i, strerror(-r));
		}
		len = pp_recv(w, initiator ? w->b : w->a, rbuf, size);
		if (len < 0)
			worker_fail(w, EXIT_ERROR, "receive %llu: %s",
				    (unsigned long long)i, strerror((int)-len));
		if (efd) {
			eventfd_check(w, rbuf, len);
		} else {
			msg_check(w, rbuf, len, &h);
			if (h.seq != i)
				worker_fail(w, EXIT_VERIFY, "got seq %llu, expected %llu",
					    (unsigned long long)h.seq,
					    (unsigned long long)i);
		}
		if (initiator) {
			t1 = now_ns();
			hist_record(&w->slot->hist, t1 - t0);
			t0 = t1;
		} else {
			r = pp_send(w, w->b, rbuf, size);
			if (r)
				worker_fail(w, EXIT_ERROR, "pong %llu: %s",
					    (unsigned long long)i, strerror(-r));
		}
	}
	finish(w, w->count);
}

static void uncontended(struct worker *w)
{
	bool efd = w->bc->tr == TR_EVENTFD;
	size_t size = w->bc->msg_size;
	unsigned char *buf, *rbuf;
	uint64_t i, t, win;
	struct msg_hdr h;
	ssize_t len;
	int r;

	buf = worker_buf(w, size);
	rbuf = worker_buf(w, size);
	barrier(w);
	win = w->slot->start_ns;
	for (i = 0; i < w->count; i++) {
		if (!efd)
			msg_fill(buf, size, i, 0, w->verify);
		r = link_send(w->a, buf, size);
		if (r)
			worker_fail(w, EXIT_ERROR, "send %llu: %s",
				    (unsigned long long)i, strerror(-r));
		len = link_recv(w->a, rbuf, size);
		if (len < 0)
			worker_fail(w, EXIT_ERROR, "receive %llu: %s",
				    (unsigned long long)i, strerror((int)-len));
		if (efd) {
			eventfd_check(w, rbuf, len);
		} else {
			msg_check(w, rbuf, len, &h);
			if (h.seq != i)
				worker_fail(w, EXIT_VERIFY, "got seq %llu, expected %llu",
					    (unsigned long long)h.seq,
					    (unsigned long long)i);
		}
		if ((i + 1) % HIST_WINDOW == 0) {
			t = now_ns();
			hist_record(&w->slot->hist, (t - win) / HIST_WINDOW);
			win = t;
		}
	}
	finish(w, w->count);
}

/*
 * Sends on a link that refuses every one at once: a chan whose breaker
 * is open (ECONNREFUSED, on a blocking fd), or a full link written
 * without blocking (EAGAIN). What a producer pays to learn "not now".
 */
static void refuse(struct worker *w)
{
	size_t size = w->bc->msg_size;
	int want = w->bc->guard == GUARD_OPEN ? -ECONNREFUSED : -EAGAIN;
	unsigned char *buf;
	uint64_t i, t, win;
	int r;

	buf = worker_buf(w, size);
	barrier(w);
	win = w->slot->start_ns;
	for (i = 0; i < w->count; i++) {
		r = link_send(w->a, buf, size);
		if (r != want)
			worker_fail(w, EXIT_ERROR, "send %llu: %s, expected %s",
				    (unsigned long long)i,
				    r ? strerror(-r) : "it went", strerror(-want));
		if ((i + 1) % HIST_WINDOW == 0) {
			t = now_ns();
			hist_record(&w->slot->hist, (t - win) / HIST_WINDOW);
			win = t;
		}
	}
	finish(w, w->count);
}

static __attribute__((noreturn)) void worker_main(struct worker *w)
{
	const struct bench_case *bc = w->bc;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGALRM, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
	close(ready_r);
	close(go_w);
	if (bc->place != PLACE_ANY) {
		cpu_set_t set;
		int cpu = bc->place == PLACE_SAME ? 0 : (int)(w->id % 2);

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			worker_fail(w, EXIT_ERROR, "sched_setaffinity CPU %d: %s",
				    cpu, strerror(errno));
	}
	switch (bc->kind) {
	case WK_PINGPONG:
		pingpong(w, w->id == 0);
		break;
	case WK_STREAM:
		if (w->id < bc->producers)
			producer(w);
		else
			consumer(w);
		break;
	case WK_UNCONTENDED:
		uncontended(w);
		break;
	case WK_MUX:
		if (w->id < bc->producers)
			producer(w);
		else
			mux_consumer(w);
		break;
	case WK_REFUSE:
		refuse(w);
		break;
	}
	worker_fail(w, EXIT_ERROR, "unknown work kind");
}

/* ---- parent side ---- */

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void describe_exit(char *buf, size_t len, unsigned int id, int status)
{
	if (WIFSIGNALED(status))
		snprintf(buf, len, "worker %u killed by signal %d (%s)", id,
			 WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "worker %u exited with %d", id,
			 WEXITSTATUS(status));
}

enum run_status bench_run(const struct bench_case *bc, uint64_t count,
			  bool verify, struct run_result *res,
			  struct hist *hist, char *err, size_t errlen)
{
	unsigned int nlinks;
	unsigned int nw, i, got, alive, failed_id = MAX_WORKERS;
	int status[MAX_WORKERS], fds[2], r;
	enum run_status ret = RUN_OK;
	bool killed = false, timed_out = false;
	struct link links[MAX_LINKS];
	struct worker w;
	char why[256] = "";
	uint64_t start = UINT64_MAX, end = 0, sum;
	pid_t pid;
	ssize_t n;
	char c;

	switch (bc->kind) {
	case WK_PINGPONG:
		nw = 2;
		nlinks = 2;
		break;
	case WK_STREAM:
		nw = bc->producers + bc->consumers;
		nlinks = 1;
		break;
	case WK_MUX:
		nw = 2;
		nlinks = bc->links;
		break;
	default:
		nw = 1;
		nlinks = 1;
	}
	if (nw > MAX_WORKERS || !bc->producers || !bc->consumers ||
	    !nlinks || nlinks > MAX_LINKS ||
	    (bc->kind == WK_MUX && (bc->producers != 1 || bc->consumers != 1)) ||
	    count % bc->producers || (verify && count > VERIFY_MAX)) {
		snprintf(err, errlen, "bad run parameters");
		return RUN_ERROR;
	}
	memset(res, 0, sizeof(*res));
	if (bc->place == PLACE_SPLIT && sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		snprintf(err, errlen, "unsupported: needs 2 CPUs");
		return RUN_UNSUPPORTED;
	}
	for (i = 0; i < nlinks; i++) {
		r = link_open(&links[i], bc->tr, bc->capacity, bc->msg_size,
			      err, errlen);
		if (!r && bc->guard != GUARD_NONE) {
			r = link_guard(&links[i], bc->guard, err, errlen);
			if (r) {
				link_close_fds(&links[i]);
				link_destroy(&links[i], why, sizeof(why));
			}
		}
		if (!r && bc->kind == WK_REFUSE && bc->guard != GUARD_OPEN) {
			r = link_refuse(&links[i], err, errlen);
			if (r) {
				link_close_fds(&links[i]);
				link_destroy(&links[i], why, sizeof(why));
			}
		}
		if (r) {
			while (i--) {
				link_close_fds(&links[i]);
				link_destroy(&links[i], why, sizeof(why));
			}
			return RUN_ERROR;
		}
	}
	res->eff_capacity = links[0].eff_capacity;
	if (bc->batch > 1) {
		r = link_batch_probe(&links[0]);
		if (r) {
			if (r == -ENOTTY)
				snprintf(err, errlen, "CHAN_IOC_RECV_BATCH gives ENOTTY: this module has no batch ioctls");
			else
				snprintf(err, errlen, "batch probe: %s", strerror(-r));
			ret = r == -ENOTTY ? RUN_UNSUPPORTED : RUN_ERROR;
			goto out_links;
		}
	}
	if (bc->wait == WAIT_SELECT) {
		r = link_select_probe(&links[0]);
		if (r) {
			if (r == -ENOTTY)
				snprintf(err, errlen, "CHAN_IOC_SELECT gives ENOTTY: this module has no select");
			else
				snprintf(err, errlen, "select probe: %s", strerror(-r));
			ret = r == -ENOTTY ? RUN_UNSUPPORTED : RUN_ERROR;
			goto out_links;
		}
	}

	memset(shm->slot, 0, sizeof(shm->slot));
	if (verify)
		memset(shm->seen, 0, sizeof(shm->seen));
	if (pipe2(fds, O_CLOEXEC)) {
		snprintf(err, errlen, "pipe2: %s", strerror(errno));
		ret = RUN_ERROR;
		goto out_links;
	}
	ready_r = fds[0];
	ready_w = fds[1];
	if (pipe2(fds, O_CLOEXEC)) {
		snprintf(err, errlen, "pipe2: %s", strerror(errno));
		close_fd(&ready_r);
		close_fd(&ready_w);
		ret = RUN_ERROR;
		goto out_links;
	}
	go_r = fds[0];
	go_w = fds[1];

	memset(&w, 0, sizeof(w));
	w.bc = bc;
	w.a = &links[0];
	w.b = &links[nlinks - 1];
	w.links = links;
	w.nlinks = nlinks;
	w.count = count;
	w.stride = bc->kind == WK_STREAM ? count / bc->producers : count;
	w.verify = verify;
	fflush(NULL);
	for (i = 0; i < nw; i++) {
		status[i] = 0;
		w.id = i;
		w.slot = &shm->slot[i];
		pid = fork();
		if (pid == 0)
			worker_main(&w);
		if (pid < 0) {
			snprintf(why, sizeof(why), "fork: %s", strerror(errno));
			break;
		}
		pids[i] = pid;
	}
	close_fd(&ready_w);
	close_fd(&go_r);
	for (i = 0; i < nlinks; i++)
		link_close_fds(&links[i]);

	alarmed = 0;
	alarm(run_timeout_s);
	for (got = 0; got < nw; got += (unsigned int)n) {
		n = read(ready_r, &c, 1);
		if (n <= 0)
			break;
	}
	close_fd(&ready_r);
	if (got < nw) {
		/* Someone died (or hung) while setting up. */
		if (!why[0])
			snprintf(why, sizeof(why), "%s while the workers started",
				 alarmed ? "timed out" : "a worker died");
		bench_run_kill();
		killed = true;
	}
	close_fd(&go_w);

	for (alive = 0, i = 0; i < nw; i++)
		alive += pids[i] > 0;
	while (alive) {
		pid = waitpid(-1, &r, 0);
		if (pid < 0) {
			if (errno == EINTR && alarmed && !killed) {
				timed_out = true;
				bench_run_kill();
				killed = true;
				continue;
			}
			if (errno == EINTR)
				continue;
			break;
		}
		for (i = 0; i < nw; i++)
			if (pids[i] == pid)
				break;
		if (i == nw)
			continue;
		pids[i] = 0;
		status[i] = r;
		alive--;
		if (!(WIFEXITED(r) && WEXITSTATUS(r) == 0) && !killed) {
			failed_id = i;
			bench_run_kill();
			killed = true;
		}
	}
	alarm(0);
	for (i = 0; i < MAX_WORKERS; i++)
		pids[i] = 0;

	if (timed_out) {
		snprintf(err, errlen, "run timed out after %u s (%llu ops)",
			 run_timeout_s, (unsigned long long)count);
		ret = RUN_ERROR;
	} else if (failed_id < MAX_WORKERS) {
		struct slot *s = &shm->slot[failed_id];

		if (s->status && s->err[0]) {
			snprintf(err, errlen, "worker %u: %s", failed_id, s->err);
			ret = s->status == EXIT_VERIFY ? RUN_VERIFY_FAILED : RUN_ERROR;
		} else {
			describe_exit(err, errlen, failed_id, status[failed_id]);
			ret = RUN_ERROR;
		}
	} else if (why[0] || killed) {
		snprintf(err, errlen, "%s", why[0] ? why : "workers killed");
		ret = RUN_ERROR;
	}
	if (ret)
		goto out_links;

	/* Everybody exited 0: account for every message. */
	hist_reset(&run_hist);
	for (i = 0; i < nw; i++) {
		struct slot *s = &shm->slot[i];

		if (s->start_ns < start)
			start = s->start_ns;
		if (s->end_ns > end)
			end = s->end_ns;
		res->csw += s->csw;
		hist_merge(&run_hist, &s->hist);
	}
	res->p50_ns = hist_percentile(&run_hist, 50);
	if (hist)
		hist_merge(hist, &run_hist);
	res->ops = count;
	res->elapsed_ns = end > start ? end - start : 1;
	if (bc->kind == WK_STREAM || bc->kind == WK_MUX) {
		for (sum = 0, i = bc->producers; i < nw; i++)
			sum += shm->slot[i].ops;
		if (sum != count) {
			snprintf(err, errlen, "consumers received %llu of %llu messages",
				 (unsigned long long)sum, (unsigned long long)count);
			ret = RUN_VERIFY_FAILED;
			goto out_links;
		}
		for (i = 0; verify && i < count; i++) {
			if (shm->seen[i] != 1) {
				snprintf(err, errlen,
					 "message %llu of producer %llu arrived %u times",
					 (unsigned long long)(i % w.stride),
					 (unsigned long long)(i / w.stride),
					 shm->seen[i]);
				ret = RUN_VERIFY_FAILED;
				goto out_links;
			}
		}
	}

out_links:
	for (i = 0; i < nlinks; i++) {
		link_close_fds(&links[i]);
		if (link_destroy(&links[i], why, sizeof(why)) && ret == RUN_OK) {
			snprintf(err, errlen, "%s", why);
			ret = RUN_ERROR;
		}
	}
	return ret;
}
