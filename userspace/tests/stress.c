// SPDX-License-Identifier: GPL-2.0
/*
 * Description: the stress suite (chan(4), Reading and writing: "under every
 * interleaving of signals, timeouts, faults, close and destroy, no message is
 * lost, duplicated, reordered or partly delivered").
 *
 * Six producer and six consumer processes move messages over six channels
 * (capacities 0, 1, 4, 64, 16 and one whose capacity keeps changing) for
 * KCHAN_STRESS_SECONDS seconds (default 15), each picking at random among
 * CHAN_IOC_SEND/RECV with random timeouts (try, timed, infinite),
 * write(2)/read(2) on blocking files (random per-file timeouts) and on
 * O_NONBLOCK ones, CHAN_IOC_SEND_BATCH/RECV_BATCH and CHAN_IOC_SELECT over
 * several channels (producers mix send and receive cases). Meanwhile the
 * parent showers the workers with SIGUSR1 (handler without SA_RESTART),
 * SIGUSR2 (handler with SA_RESTART) and SIGSTOP/SIGCONT pairs, and now and
 * then SIGKILLs a consumer and starts a replacement; a chaos process
 * resizes a channel, switches breakers between auto, disabled, metrics-only
 * and (briefly) forced-open, resets them, turns rate limits on and off,
 * turns a chaos knob (pause_recv, send_fail_ppm, a delay) on for a few ms,
 * and reads CHAN_IOC_GET_INFO/GET_STATS under load.
 *
 * Every message carries its producer, its channel, a per-producer sequence
 * number, its length and a checksum of its random payload. Producers record
 * in shared memory every message whose send reported success (a batch: the
 * count it returned; a select: the committed case). Receivers check every
 * message (header, length, channel, checksum), check that each producer's
 * sequence numbers increase per channel, and record each receipt. A
 * consumer marks the receive it is in; a SIGKILL that lands in one may lose
 * what that receive took (at most its batch size), which is counted as the
 * bound. At the end the producers stop, every channel is closed, the
 * consumers drain to end of file, and then: nothing corrupt, duplicated,
 * reordered or received that was never sent; nothing lost beyond the bound
 * (and only on channels the killed receives were on); every failure one
 * the operation may give (EAGAIN only from a try, ETIMEDOUT only from a
 * timed wait, EINTR from an untimed one only after a SIGUSR1, ECONNREFUSED
 * only from a send that is not a select); and at rest len,
 * waiting_senders, waiting_receivers are 0, stats/sent is what the
 * producers recorded, sent - received == len, and each wait histogram sums
 * to its counter.
 *
 * `make check` runs it for 15 s; `make stress DURATION=N` for N seconds on
 * the debug kernel. The watchdog (KCHAN_TEST_TIMEOUT) is raised to the
 * duration + 75 s when it is shorter. KCHAN_STRESS_SEED fixes the random
 * seed (printed either way; the interleaving is the scheduler's).
 */
#include <stdarg.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

#include "helpers.h"

#define NPROD		6
#define NCONS		6
#define NCHAN		6
#define NWORK		(NPROD + NCONS)
#define RESIZED		5		/* the channel the chaos process resizes */
#define BATCH		16		/* most messages of one batch */
#define SEL_CASES	4		/* most cases of one select */
#define MAX_SEQ		(1u << 24)	/* sequence numbers per producer */
#define MAGIC		0x6b737472u
#define MAX_ERRS	8		/* diagnostics per process */
#define DEF_SECONDS	15
#define MAX_MSG		4096

static const unsigned int chan_cap[NCHAN] = { 0, 1, 4, 64, 16, 8 };
static const unsigned int chan_msg[NCHAN] = { 4096, 256, 4096, 1024, 64, 4096 };
static const unsigned int resize_to[] = { 0, 1, 2, 3, 5, 8, 16, 64 };

struct msg_hdr {
	uint32_t magic;
	uint16_t producer;
	uint16_t chan;
	uint32_t seq;
	uint32_t len;
	uint32_t csum;		/* FNV-1a of the payload after the header */
	uint32_t zero;
};

#define HDR	((unsigned int)sizeof(struct msg_hdr))

/* Counters in shared memory, printed as diagnostics at the end. */
enum {
	C_SEND, C_SEND_OK, C_WRITE, C_WRITE_OK, C_WRITE_NB, C_WRITE_NB_OK,
	C_SBATCH, C_SBATCH_OK, C_SBATCH_MSGS, C_PSEL, C_PSEL_SEND, C_PSEL_RECV,
	C_RECV, C_RECV_OK, C_READ, C_READ_OK, C_READ_NB, C_READ_NB_OK,
	C_RBATCH, C_RBATCH_OK, C_RBATCH_MSGS, C_CSEL, C_CSEL_OK,
	C_EAGAIN, C_ETIMEDOUT, C_EINTR, C_ECONNREFUSED, C_EOF, C_SET_TIMEOUTS,
	C_CAP, C_CAP_EBUSY, C_BRK_AUTO, C_BRK_OFF, C_BRK_FORCED, C_BRK_METRICS,
	C_BRK_RESET, C_RATE_ON, C_RATE_OFF, C_OBSERVE, C_CHAOS_KNOB,
	C_SIGUSR1, C_SIGUSR2, C_STOPCONT, C_CAUGHT_USR1, C_CAUGHT_USR2,
	C_KILL, C_KILL_INFLIGHT,
	NCNT
};

/* A consumer's receive in progress, for the parent that kills it. */
struct cslot {
	volatile pid_t pid;
	volatile int busy;		/* messages the receive may take */
	volatile int returned;		/* its system call returned */
	volatile unsigned int mask;	/* channels it is on */
	int gen;			/* replacements so far */
};

struct shared {
	int idx[NCHAN];
	uint32_t seed;
	volatile int stop_chaos;
	volatile int stop_producers;
	volatile int closing;		/* set before the channels are closed */
	volatile uint32_t next_seq[NPROD];
	pid_t prod_pid[NPROD];
	pid_t chaos_pid;
	struct cslot cons[NCONS];
	uint64_t cnt[NCNT];
	int unexpected;			/* a result the operation may not give */
	int corrupt;			/* a message that is not what was sent */
	int reordered;			/* a sequence number that went back */
	int early_eof;			/* end of file before the close */
	int full_seq;			/* a producer ran out of sequence numbers */
	/* by producer: sent[p][seq] = channel + 1, got[p][seq] = receipts */
	unsigned char *sent;
	unsigned char *got;
};

static struct shared *S;

static void cnt_add(int c, uint64_t n)
{
	__atomic_add_fetch(&S->cnt[c], n, __ATOMIC_RELAXED);
}

/* ---- random numbers, payloads ---- */

static uint32_t rnd(uint32_t *s)
{
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x ? x : 0x9e3779b9u;
	return *s;
}

static uint32_t fnv1a(const unsigned char *p, size_t n)
{
	uint32_t h = 2166136261u;

	while (n--) {
		h ^= *p++;
		h *= 16777619u;
	}
	return h;
}

static unsigned int msg_len(uint32_t *rs, int ch)
{
	unsigned int max = chan_msg[ch], len;

	switch (rnd(rs) % 4) {
	case 0:
	case 1:
		len = HDR + rnd(rs) % 41;
		break;
	case 2:
		len = HDR + rnd(rs) % 489;
		break;
	default:
		len = HDR + rnd(rs) % (max - HDR + 1);
		break;
	}
	return len < max ? len : max;
}

static void build_msg(unsigned char *buf, unsigned int len, int p, int ch,
		      uint32_t seq)
{
	struct msg_hdr h = {
		.magic = MAGIC, .producer = (uint16_t)p, .chan = (uint16_t)ch,
		.seq = seq, .len = len,
	};
	uint64_t x = (((uint64_t)p << 32) | seq) * 0x9e3779b97f4a7c15ull | 1;
	unsigned int i;

	for (i = HDR; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[i] = (unsigned char)(x >> 29);
	}
	h.csum = fnv1a(buf + HDR, len - HDR);
	memcpy(buf, &h, HDR);
}

/* ---- timeouts ---- */

enum tmo_class { TMO_TRY, TMO_TIMED, TMO_INF };

static long long rnd_timeout(uint32_t *rs)
{
	unsigned int r = rnd(rs) % 100;

	if (r < 20)
		return 0;
	if (r < 30)
		return 20 * 1000LL;
	if (r < 45)
		return 200 * 1000LL;
	if (r < 70)
		return 2 * T_NSEC_PER_MSEC;
	if (r < 90)
		return 20 * T_NSEC_PER_MSEC;
	return CHAN_TIMEOUT_INFINITE;
}

static int tmo_class(long long ns)
{
	return ns == 0 ? TMO_TRY : ns < 0 ? TMO_INF : TMO_TIMED;
}

/* ---- workers ---- */

static volatile sig_atomic_t caught_usr1, caught_usr2;

static void on_usr1(int sig)
{
	(void)sig;
	caught_usr1++;
}

static void on_usr2(int sig)
{
	(void)sig;
	caught_usr2++;
}

struct worker {
	int id;			/* producer 0..NPROD-1 or consumer 0..NCONS-1 */
	bool producer;
	struct cslot *slot;	/* consumers */
	uint32_t rs;
	int fd[NCHAN];		/* blocking files */
	int nbfd[NCHAN];	/* O_NONBLOCK files */
	long long tmo[NCHAN];	/* per-file timeout of fd[] for our direction */
	int64_t last[NPROD][NCHAN];	/* last sequence received */
	bool eof[NCHAN];
	int nerr;
	int usr1_before;	/* caught_usr1 when the operation started */
	int flushed_usr1, flushed_usr2;
};

static struct worker W;

/* Buffers: private to each process after fork. */
static unsigned char bufs[BATCH][MAX_MSG];

__attribute__((format(printf, 2, 3)))
static void werr(int *counter, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	__atomic_add_fetch(counter, 1, __ATOMIC_SEQ_CST);
	if (W.nerr++ >= MAX_ERRS)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	t_diag("%s %d: %s", W.producer ? "producer" : "consumer", W.id, buf);
}

static const char *ename(long r)
{
	return r < 0 ? strerrorname_np((int)-r) ?: "?" : "no error";
}

/*
 * Is @r (-errno) a failure the operation may give? @cls: its timeout class;
 * @send: a send (breaker refusals); @select: a select (never refused, a
 * refused case is never ready).
 */
static bool expected_failure(long r, int cls, bool send, bool select)
{
	switch (r) {
	case -EAGAIN:
		cnt_add(C_EAGAIN, 1);
		return cls == TMO_TRY;
	case -ETIMEDOUT:
		cnt_add(C_ETIMEDOUT, 1);
		return cls == TMO_TIMED;
	case -EINTR:
		/* An untimed wait restarts, unless the handler has no SA_RESTART. */
		cnt_add(C_EINTR, 1);
		return cls == TMO_TIMED ||
		       (cls == TMO_INF && caught_usr1 != W.usr1_before);
	case -ECONNREFUSED:
		cnt_add(C_ECONNREFUSED, 1);
		return send && !select;
	}
	return false;
}

static void check_failure(const char *what, int ch, long r, int cls, bool send,
			  bool select)
{
	static const char *const cls_name[] = { "try", "timed", "untimed" };

	if (!expected_failure(r, cls, send, select))
		werr(&S->unexpected, "%s on channel %d (%s): unexpected %ld (%s)",
		     what, ch, cls_name[cls], r, ename(r));
}

static void flush_caught(void)
{
	int u1 = caught_usr1, u2 = caught_usr2;

	cnt_add(C_CAUGHT_USR1, (uint64_t)(u1 - W.flushed_usr1));
	cnt_add(C_CAUGHT_USR2, (uint64_t)(u2 - W.flushed_usr2));
	W.flushed_usr1 = u1;
	W.flushed_usr2 = u2;
}

static void begin_op(unsigned int mask, int n)
{
	W.usr1_before = caught_usr1;
	if (W.slot) {
		__atomic_store_n(&W.slot->mask, mask, __ATOMIC_SEQ_CST);
		__atomic_store_n(&W.slot->busy, n, __ATOMIC_SEQ_CST);
	}
}

/* Right after the system call: what a kill now loses, user space lost. */
static void op_returned(void)
{
	if (W.slot)
		__atomic_store_n(&W.slot->returned, 1, __ATOMIC_SEQ_CST);
}

static void end_op(void)
{
	if (W.slot) {
		__atomic_store_n(&W.slot->busy, 0, __ATOMIC_SEQ_CST);
		__atomic_store_n(&W.slot->returned, 0, __ATOMIC_SEQ_CST);
	}
	flush_caught();
}

/* A message @len bytes long received from channel @ch. */
static void received(int ch, const unsigned char *buf, long len)
{
	struct msg_hdr h;

	if (len < HDR) {
		werr(&S->corrupt, "channel %d: a message of %ld bytes", ch, len);
		return;
	}
	memcpy(&h, buf, HDR);
	if (h.magic != MAGIC || h.producer >= NPROD || h.seq >= MAX_SEQ ||
	    h.zero) {
		werr(&S->corrupt, "channel %d: a %ld-byte message with a bad header (magic %#x producer %u seq %u)",
		     ch, len, h.magic, h.producer, h.seq);
		return;
	}
	if (h.chan != ch || h.len != len ||
	    fnv1a(buf + HDR, (size_t)len - HDR) != h.csum) {
		werr(&S->corrupt, "channel %d: message %u.%u (sent on channel %u, %u bytes) arrived with %ld bytes%s",
		     ch, h.producer, h.seq, h.chan, h.len, len,
		     h.len == len ? ", checksum wrong" : "");
		return;
	}
	if ((int64_t)h.seq <= W.last[h.producer][ch])
		werr(&S->reordered, "channel %d: producer %u's message %u after %lld",
		     ch, h.producer, h.seq, (long long)W.last[h.producer][ch]);
	else
		W.last[h.producer][ch] = h.seq;
	__atomic_add_fetch(&S->got[(size_t)h.producer * MAX_SEQ + h.seq], 1,
			   __ATOMIC_SEQ_CST);
}

/* End of file from channel @ch: only once the parent closes the channels. */
static void eof(int ch, const char *what)
{
	cnt_add(C_EOF, 1);
	if (!__atomic_load_n(&S->closing, __ATOMIC_SEQ_CST))
		werr(&S->early_eof, "%s on channel %d: end of file before any close",
		     what, ch);
	W.eof[ch] = true;
}

static void sent_ok(int ch, uint32_t seq)
{
	S->sent[(size_t)W.id * MAX_SEQ + seq] = (unsigned char)(ch + 1);
}

static int open_all(int oflags)
{
	int ch;

	for (ch = 0; ch < NCHAN; ch++) {
		W.fd[ch] = t_chan_open(S->idx[ch], oflags);
		W.nbfd[ch] = t_chan_open(S->idx[ch], oflags | O_NONBLOCK);
		W.tmo[ch] = CHAN_TIMEOUT_INFINITE;
		if (W.fd[ch] < 0 || W.nbfd[ch] < 0) {
			t_diag("open %s: %s", t_chan_path(S->idx[ch]),
			       ename(W.fd[ch] < 0 ? W.fd[ch] : W.nbfd[ch]));
			return -1;
		}
	}
	return 0;
}

static void set_fd_timeouts(int ch)
{
	long long ns = rnd_timeout(&W.rs);
	int r;

	r = t_set_timeouts(W.fd[ch], W.producer ? ns : CHAN_TIMEOUT_INFINITE,
			   W.producer ? CHAN_TIMEOUT_INFINITE : ns);
	if (r)
		werr(&S->unexpected, "CHAN_IOC_SET_TIMEOUTS on channel %d: %s", ch,
		     ename(r));
	else
		W.tmo[ch] = ns;
	cnt_add(C_SET_TIMEOUTS, 1);
}

/*
 * SIGUSR1 without SA_RESTART, SIGUSR2 with it. Installed in the parent
 * before it forks, so that a worker never meets a signal without them.
 */
static void install_handlers(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = on_usr2;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR2, &sa, NULL);
}

static void setup_worker(int id, bool producer)
{
	int p, ch;

	memset(&W, 0, sizeof(W));
	W.id = id;
	W.producer = producer;
	W.slot = producer ? NULL : &S->cons[id];
	W.rs = S->seed ^ (uint32_t)(id * 7919 + (producer ? 0 : 104729) +
				    (producer ? 0 : S->cons[id].gen * 15485863));
	if (!W.rs)
		W.rs = 1;
	for (p = 0; p < NPROD; p++)
		for (ch = 0; ch < NCHAN; ch++)
			W.last[p][ch] = -1;
	caught_usr1 = 0;
	caught_usr2 = 0;
}

/* ---- producer ---- */

static uint32_t take_seq(void)
{
	uint32_t seq = S->next_seq[W.id];

	__atomic_store_n(&S->next_seq[W.id], seq + 1, __ATOMIC_SEQ_CST);
	return seq;
}

static void p_send(void)
{
	int ch = (int)(rnd(&W.rs) % NCHAN);
	unsigned int len = msg_len(&W.rs, ch);
	long long tmo = rnd_timeout(&W.rs);
	uint32_t seq = take_seq();
	long r;

	build_msg(bufs[0], len, W.id, ch, seq);
	begin_op(0, 0);
	cnt_add(C_SEND, 1);
	r = t_send(W.fd[ch], bufs[0], len, tmo);
	if (r == 0) {
		sent_ok(ch, seq);
		cnt_add(C_SEND_OK, 1);
	} else {
		check_failure("CHAN_IOC_SEND", ch, r, tmo_class(tmo), true, false);
	}
	end_op();
}

static void p_write(bool nonblock)
{
	int ch = (int)(rnd(&W.rs) % NCHAN);
	unsigned int len = msg_len(&W.rs, ch);
	int cls = nonblock ? TMO_TRY : tmo_class(W.tmo[ch]);
	uint32_t seq = take_seq();
	long r;

	build_msg(bufs[0], len, W.id, ch, seq);
	begin_op(0, 0);
	cnt_add(nonblock ? C_WRITE_NB : C_WRITE, 1);
	r = SYS(write(nonblock ? W.nbfd[ch] : W.fd[ch], bufs[0], len));
	if (r == (long)len) {
		sent_ok(ch, seq);
		cnt_add(nonblock ? C_WRITE_NB_OK : C_WRITE_OK, 1);
	} else if (r >= 0) {
		werr(&S->unexpected, "write of %u bytes on channel %d returned %ld",
		     len, ch, r);
	} else {
		check_failure(nonblock ? "write(O_NONBLOCK)" : "write", ch, r,
			      cls, true, false);
	}
	end_op();
}

static void p_batch(void)
{
	int ch = (int)(rnd(&W.rs) % NCHAN);
	unsigned int n = 1 + rnd(&W.rs) % BATCH, i;
	long long tmo = rnd_timeout(&W.rs);
	struct chan_iov iov[BATCH];
	struct chan_batch b = {
		.vec = (__u64)(uintptr_t)iov, .count = n, .timeout_ns = tmo,
	};
	uint32_t seq0 = 0;
	long r;

	for (i = 0; i < n; i++) {
		uint32_t seq = take_seq();

		if (i == 0)
			seq0 = seq;
		iov[i].buf = (__u64)(uintptr_t)bufs[i];
		iov[i].len = msg_len(&W.rs, ch);
		iov[i].__reserved = 0;
		build_msg(bufs[i], iov[i].len, W.id, ch, seq);
	}
	begin_op(0, 0);
	cnt_add(C_SBATCH, 1);
	r = SYS(ioctl(W.fd[ch], CHAN_IOC_SEND_BATCH, &b));
	if (r >= 1 && r <= (long)n) {
		for (i = 0; i < (unsigned int)r; i++)
			sent_ok(ch, seq0 + i);
		cnt_add(C_SBATCH_OK, 1);
		cnt_add(C_SBATCH_MSGS, (uint64_t)r);
	} else if (r >= 0) {
		werr(&S->unexpected, "CHAN_IOC_SEND_BATCH of %u on channel %d returned %ld",
		     n, ch, r);
	} else {
		check_failure("CHAN_IOC_SEND_BATCH", ch, r, tmo_class(tmo), true,
			      false);
	}
	end_op();
}

/* Send cases on random channels, sometimes one receive case too. */
static void p_select(void)
{
	struct chan_select_case cases[SEL_CASES + 1];
	unsigned int nsend = 1 + rnd(&W.rs) % SEL_CASES, n = nsend, i;
	long long tmo = rnd_timeout(&W.rs);
	uint32_t seqs[SEL_CASES + 1];
	int chs[SEL_CASES + 1];
	long r;

	for (i = 0; i < nsend; i++) {
		unsigned int len;

		chs[i] = (int)(rnd(&W.rs) % NCHAN);
		len = msg_len(&W.rs, chs[i]);
		seqs[i] = take_seq();
		build_msg(bufs[i], len, W.id, chs[i], seqs[i]);
		t_sel_case(&cases[i], W.fd[chs[i]], CHAN_OP_SEND, bufs[i], len);
	}
	if (rnd(&W.rs) % 4 == 0) {
		chs[n] = (int)(rnd(&W.rs) % NCHAN);
		t_sel_case(&cases[n], W.fd[chs[n]], CHAN_OP_RECV, bufs[n], MAX_MSG);
		n++;
	}
	begin_op(0, 0);
	cnt_add(C_PSEL, 1);
	r = t_select(-1, cases, n, tmo);
	if (r >= 0 && r < (long)n) {
		int c = chs[r];
		__s32 res = cases[r].result;

		if (cases[r].op == CHAN_OP_SEND && res == (__s32)cases[r].len) {
			sent_ok(c, seqs[r]);
			cnt_add(C_PSEL_SEND, 1);
		} else if (cases[r].op == CHAN_OP_RECV && res > 0) {
			received(c, bufs[r], res);
			cnt_add(C_PSEL_RECV, 1);
		} else {
			werr(&S->unexpected, "select: case %ld (%s on channel %d) committed with result %d",
			     r, cases[r].op == CHAN_OP_SEND ? "send" : "receive",
			     c, res);
		}
	} else if (r >= 0) {
		werr(&S->unexpected, "select of %u cases returned %ld", n, r);
	} else {
		check_failure("select (send cases)", chs[0], r, tmo_class(tmo),
			      true, true);
	}
	end_op();
}

static int producer_main(void *arg)
{
	int id = (int)(intptr_t)arg;
	unsigned int ops = 0;

	setup_worker(id, true);
	if (open_all(O_RDWR))
		return 2;
	while (!__atomic_load_n(&S->stop_producers, __ATOMIC_SEQ_CST)) {
		unsigned int r = rnd(&W.rs) % 100;

		if (S->next_seq[id] > MAX_SEQ - 2 * SEL_CASES - BATCH) {
			__atomic_store_n(&S->full_seq, 1, __ATOMIC_SEQ_CST);
			t_sleep_ms(10);
			continue;
		}
		if (++ops % 64 == 0)
			set_fd_timeouts((int)(rnd(&W.rs) % NCHAN));
		if (r < 25)
			p_send();
		else if (r < 45)
			p_write(false);
		else if (r < 55)
			p_write(true);
		else if (r < 75)
			p_batch();
		else
			p_select();
	}
	return W.nerr ? 1 : 0;
}

/* ---- consumer ---- */

static int pick_open_chan(void)
{
	int ch = (int)(rnd(&W.rs) % NCHAN), i;

	for (i = 0; i < NCHAN; i++, ch = (ch + 1) % NCHAN)
		if (!W.eof[ch])
			return ch;
	return -1;
}

static void c_recv(int ch)
{
	long long tmo = rnd_timeout(&W.rs);
	long r;

	begin_op(1u << ch, 1);
	cnt_add(C_RECV, 1);
	r = t_recv(W.fd[ch], bufs[0], MAX_MSG, tmo);
	op_returned();
	if (r > 0) {
		received(ch, bufs[0], r);
		cnt_add(C_RECV_OK, 1);
	} else if (r == 0) {
		eof(ch, "CHAN_IOC_RECV");
	} else {
		check_failure("CHAN_IOC_RECV", ch, r, tmo_class(tmo), false, false);
	}
	end_op();
}

static void c_read(int ch, bool nonblock)
{
	int cls = nonblock ? TMO_TRY : tmo_class(W.tmo[ch]);
	long r;

	begin_op(1u << ch, 1);
	cnt_add(nonblock ? C_READ_NB : C_READ, 1);
	r = SYS(read(nonblock ? W.nbfd[ch] : W.fd[ch], bufs[0], MAX_MSG));
	op_returned();
	if (r > 0) {
		received(ch, bufs[0], r);
		cnt_add(nonblock ? C_READ_NB_OK : C_READ_OK, 1);
	} else if (r == 0) {
		eof(ch, "read");
	} else {
		check_failure(nonblock ? "read(O_NONBLOCK)" : "read", ch, r, cls,
			      false, false);
	}
	end_op();
}

static void c_batch(int ch)
{
	unsigned int n = 1 + rnd(&W.rs) % BATCH, i;
	long long tmo = rnd_timeout(&W.rs);
	struct chan_iov iov[BATCH];
	struct chan_batch b = {
		.vec = (__u64)(uintptr_t)iov, .count = n, .timeout_ns = tmo,
	};
	long r;

	for (i = 0; i < n; i++) {
		iov[i].buf = (__u64)(uintptr_t)bufs[i];
		iov[i].len = MAX_MSG;
		iov[i].__reserved = 0;
	}
	begin_op(1u << ch, (int)n);
	cnt_add(C_RBATCH, 1);
	r = SYS(ioctl(W.fd[ch], CHAN_IOC_RECV_BATCH, &b));
	op_returned();
	if (r >= 1 && r <= (long)n) {
		for (i = 0; i < (unsigned int)r; i++)
			received(ch, bufs[i], iov[i].len);
		cnt_add(C_RBATCH_OK, 1);
		cnt_add(C_RBATCH_MSGS, (uint64_t)r);
	} else if (r == 0) {
		eof(ch, "CHAN_IOC_RECV_BATCH");
	} else if (r > 0) {
		werr(&S->unexpected, "CHAN_IOC_RECV_BATCH of %u on channel %d returned %ld",
		     n, ch, r);
	} else {
		check_failure("CHAN_IOC_RECV_BATCH", ch, r, tmo_class(tmo), false,
			      false);
	}
	end_op();
}

/* Receive cases on channels not at end of file (a channel may repeat). */
static void c_select(void)
{
	struct chan_select_case cases[SEL_CASES];
	unsigned int n = 1 + rnd(&W.rs) % SEL_CASES, i, mask = 0;
	long long tmo = rnd_timeout(&W.rs);
	int chs[SEL_CASES];
	long r;

	for (i = 0; i < n; i++) {
		chs[i] = pick_open_chan();
		mask |= 1u << chs[i];
		t_sel_case(&cases[i], W.fd[chs[i]], CHAN_OP_RECV, bufs[i], MAX_MSG);
	}
	begin_op(mask, 1);
	cnt_add(C_CSEL, 1);
	r = t_select(-1, cases, n, tmo);
	op_returned();
	if (r >= 0 && r < (long)n && cases[r].result > 0) {
		received(chs[r], bufs[r], cases[r].result);
		cnt_add(C_CSEL_OK, 1);
	} else if (r >= 0 && r < (long)n && cases[r].result == 0) {
		eof(chs[r], "select");
	} else if (r >= 0) {
		werr(&S->unexpected, "select of %u receive cases returned %ld, result %d",
		     n, r, r < (long)n ? cases[r].result : T_SEL_NORESULT);
	} else {
		check_failure("select (receive cases)", chs[0], r, tmo_class(tmo),
			      false, true);
	}
	end_op();
}

static int consumer_main(void *arg)
{
	int id = (int)(intptr_t)arg, ch;
	unsigned int ops = 0;

	setup_worker(id, false);
	if (open_all(O_RDONLY))
		return 2;
	while ((ch = pick_open_chan()) >= 0) {
		unsigned int r = rnd(&W.rs) % 100;

		if (++ops % 64 == 0)
			set_fd_timeouts(ch);
		if (r < 25)
			c_recv(ch);
		else if (r < 45)
			c_read(ch, false);
		else if (r < 55)
			c_read(ch, true);
		else if (r < 75)
			c_batch(ch);
		else
			c_select();
	}
	return W.nerr ? 1 : 0;
}

/* ---- chaos ---- */

static int chaos_err;

static void chaos_check(const char *what, int ch, long r)
{
	if (r == 0)
		return;
	chaos_err++;
	__atomic_add_fetch(&S->unexpected, 1, __ATOMIC_SEQ_CST);
	if (chaos_err <= MAX_ERRS)
		t_diag("chaos: %s on channel %d: %ld (%s)", what, ch, r, ename(r));
}

static long set_breaker(int fd, __u32 mode)
{
	struct chan_breaker_config c = {
		.mode = mode, .window_ms = 200, .min_calls = 5,
		.failure_pct = 50, .consecutive_failures = 8, .slow_ms = 0,
		.slow_pct = 100, .open_ms = 20, .open_min_ms = 5,
		.open_max_ms = 100, .half_open_probes = 2,
		.half_open_max_ms = 100,
	};

	return SYS(ioctl(fd, CHAN_IOC_SET_BREAKER, &c));
}

static long set_rate(int fd, __u32 rate, __u32 burst)
{
	struct chan_rate r = { .rate = rate, .burst = burst };

	return SYS(ioctl(fd, CHAN_IOC_SET_RATE, &r));
}

/* Turn chaos knob @knob of channel @ch to @val (sysfs chaos/). */
static void chaos_knob(int ch, const char *knob, const char *val)
{
	char attr[48];

	snprintf(attr, sizeof(attr), "chaos/%s", knob);
	chaos_check(attr, ch, t_attr_write(S->idx[ch], attr, val));
}

static void sleep_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int chaos_main(void *arg)
{
	uint32_t rs = S->seed ^ 0xc4a05u;
	bool rate_on[NCHAN] = { false };
	int fd[NCHAN], ch;

	(void)arg;
	for (ch = 0; ch < NCHAN; ch++) {
		fd[ch] = t_chan_open(S->idx[ch], O_RDONLY);
		if (fd[ch] < 0) {
			t_diag("chaos: open %s: %s", t_chan_path(S->idx[ch]),
			       ename(fd[ch]));
			return 2;
		}
	}
	while (!__atomic_load_n(&S->stop_chaos, __ATOMIC_SEQ_CST)) {
		unsigned int r = rnd(&rs) % 100;
		struct chan_info info;
		struct chan_stats st;
		long ret;

		sleep_us(2000 + rnd(&rs) % 20000);
		ch = (int)(rnd(&rs) % NCHAN);
		if (r < 35) {
			__u32 cap = resize_to[rnd(&rs) % T_ARRAY_SIZE(resize_to)];

			ret = t_set_capacity(fd[RESIZED], cap);
			cnt_add(C_CAP, 1);
			if (ret == -EBUSY)
				cnt_add(C_CAP_EBUSY, 1);
			else
				chaos_check("CHAN_IOC_SET_CAPACITY", RESIZED, ret);
		} else if (r < 45) {
			chaos_check("CHAN_IOC_SET_BREAKER auto", ch,
				    set_breaker(fd[ch], CHAN_BREAKER_AUTO));
			cnt_add(C_BRK_AUTO, 1);
		} else if (r < 52) {
			chaos_check("CHAN_IOC_SET_BREAKER disabled", ch,
				    set_breaker(fd[ch], CHAN_BREAKER_DISABLED));
			cnt_add(C_BRK_OFF, 1);
		} else if (r < 57) {
			chaos_check("CHAN_IOC_SET_BREAKER metrics-only", ch,
				    set_breaker(fd[ch], CHAN_BREAKER_METRICS_ONLY));
			cnt_add(C_BRK_METRICS, 1);
		} else if (r < 65) {
			/* Forced open, briefly. */
			chaos_check("CHAN_IOC_SET_BREAKER forced-open", ch,
				    set_breaker(fd[ch], CHAN_BREAKER_FORCED_OPEN));
			cnt_add(C_BRK_FORCED, 1);
			sleep_us(1000 + rnd(&rs) % 10000);
			chaos_check("CHAN_IOC_SET_BREAKER auto", ch,
				    set_breaker(fd[ch], CHAN_BREAKER_AUTO));
			cnt_add(C_BRK_AUTO, 1);
		} else if (r < 70) {
			chaos_check("CHAN_IOC_BREAKER_RESET", ch,
				    SYS(ioctl(fd[ch], CHAN_IOC_BREAKER_RESET)));
			cnt_add(C_BRK_RESET, 1);
		} else if (r < 88) {
			if (rate_on[ch]) {
				chaos_check("CHAN_IOC_SET_RATE off", ch,
					    set_rate(fd[ch], 0, 0));
				cnt_add(C_RATE_OFF, 1);
			} else {
				chaos_check("CHAN_IOC_SET_RATE", ch,
					    set_rate(fd[ch], 200 + rnd(&rs) % 5000,
						     1 + rnd(&rs) % 32));
				cnt_add(C_RATE_ON, 1);
			}
			rate_on[ch] = !rate_on[ch];
		} else if (r < 94) {
			/*
			 * A chaos knob on for a moment: every effect is one
			 * an operation may give (EAGAIN from a try, ETIMEDOUT
			 * from a timed wait); untimed ones are held until it
			 * is off again.
			 */
			static const char *const knob[][2] = {
				{ "pause_recv", "1" }, { "send_fail_ppm", "300000" },
				{ "send_delay_us", "500" }, { "recv_delay_us", "500" },
			};
			unsigned int k = rnd(&rs) % T_ARRAY_SIZE(knob);

			chaos_knob(ch, knob[k][0], knob[k][1]);
			sleep_us(1000 + rnd(&rs) % 10000);
			chaos_knob(ch, knob[k][0], "0");
			cnt_add(C_CHAOS_KNOB, 1);
		} else {
			chaos_check("CHAN_IOC_GET_INFO", ch,
				    SYS(ioctl(fd[ch], CHAN_IOC_GET_INFO, &info)));
			chaos_check("CHAN_IOC_GET_STATS", ch,
				    SYS(ioctl(fd[ch], CHAN_IOC_GET_STATS, &st)));
			cnt_add(C_OBSERVE, 1);
		}
	}
	/* Leave every channel as the drain needs it: no breaker, no limit. */
	for (ch = 0; ch < NCHAN; ch++) {
		chaos_check("CHAN_IOC_SET_BREAKER disabled", ch,
			    set_breaker(fd[ch], CHAN_BREAKER_DISABLED));
		chaos_check("CHAN_IOC_SET_RATE off", ch, set_rate(fd[ch], 0, 0));
	}
	return chaos_err ? 1 : 0;
}

/* ---- the parent ---- */

static pid_t workers[NWORK];	/* producers, then consumers (current pids) */

struct kills {
	int n;
	int inflight;		/* kills that hit a receive */
	int recording;		/* of which after its system call returned */
	long long bound;	/* messages those receives could have taken */
	unsigned int mask;	/* channels they were on */
	int bad;		/* a consumer that did not die of the SIGKILL */
};

static void kill_consumer(int c, struct kills *k)
{
	struct cslot *slot = &S->cons[c];
	pid_t pid = slot->pid;
	int status = 0, busy;

	kill(pid, SIGKILL);
	if (t_wait_child(pid, T_TIMEOUT_MS, &status) ||
	    !WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL) {
		t_diag("consumer %d (pid %d) did not die of SIGKILL: status %#x",
		       c, pid, status);
		k->bad++;
	}
	k->n++;
	cnt_add(C_KILL, 1);
	busy = __atomic_load_n(&slot->busy, __ATOMIC_SEQ_CST);
	if (busy) {
		k->inflight++;
		k->recording += __atomic_load_n(&slot->returned, __ATOMIC_SEQ_CST);
		k->bound += busy;
		k->mask |= slot->mask;
		cnt_add(C_KILL_INFLIGHT, 1);
	}
	slot->busy = 0;
	slot->returned = 0;
	slot->mask = 0;
	slot->gen++;
	slot->pid = t_fork(consumer_main, (void *)(intptr_t)c);
	workers[NPROD + c] = slot->pid;
}

static void signal_someone(uint32_t *rs)
{
	unsigned int r = rnd(rs) % 100;
	pid_t pid = workers[rnd(rs) % NWORK];

	if (pid <= 0)
		return;
	if (r < 45) {
		kill(pid, SIGUSR1);
		cnt_add(C_SIGUSR1, 1);
	} else if (r < 90) {
		kill(pid, SIGUSR2);
		cnt_add(C_SIGUSR2, 1);
	} else if (r < 96) {
		kill(pid, SIGSTOP);
		sleep_us(500 + rnd(rs) % 10000);
		kill(pid, SIGCONT);
		cnt_add(C_STOPCONT, 1);
	}
}

static int stress_seconds(void)
{
	const char *env = getenv("KCHAN_STRESS_SECONDS");
	char *end;
	long v;

	if (!env || !*env)
		return DEF_SECONDS;
	v = strtol(env, &end, 10);
	if (*end || v < 1 || v > 7 * 24 * 3600)
		return -1;
	return (int)v;
}

/* The watchdog must outlast the traffic, the stop and the drain. */
static void set_watchdog(int secs)
{
	const char *env = getenv("KCHAN_TEST_TIMEOUT");
	int want = secs + 75 > 90 ? secs + 75 : 90;
	char buf[32];

	if (env && atoi(env) >= want)
		return;
	snprintf(buf, sizeof(buf), "%d", want);
	setenv("KCHAN_TEST_TIMEOUT", buf, 1);
}

static void *map_shared(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		t_bail("mmap shared %zu bytes: %s", size, strerror(errno));
	return p;
}

static void print_counters(int secs)
{
	const uint64_t *c = S->cnt;

	t_diag("ops: CHAN_IOC_SEND %llu (%llu ok), write %llu (%llu ok), write O_NONBLOCK %llu (%llu ok), SEND_BATCH %llu (%llu ok, %llu msgs), select(send) %llu (%llu sends, %llu receives)",
	       (unsigned long long)c[C_SEND], (unsigned long long)c[C_SEND_OK],
	       (unsigned long long)c[C_WRITE], (unsigned long long)c[C_WRITE_OK],
	       (unsigned long long)c[C_WRITE_NB], (unsigned long long)c[C_WRITE_NB_OK],
	       (unsigned long long)c[C_SBATCH], (unsigned long long)c[C_SBATCH_OK],
	       (unsigned long long)c[C_SBATCH_MSGS], (unsigned long long)c[C_PSEL],
	       (unsigned long long)c[C_PSEL_SEND], (unsigned long long)c[C_PSEL_RECV]);
	t_diag("ops: CHAN_IOC_RECV %llu (%llu ok), read %llu (%llu ok), read O_NONBLOCK %llu (%llu ok), RECV_BATCH %llu (%llu ok, %llu msgs), select(receive) %llu (%llu ok)",
	       (unsigned long long)c[C_RECV], (unsigned long long)c[C_RECV_OK],
	       (unsigned long long)c[C_READ], (unsigned long long)c[C_READ_OK],
	       (unsigned long long)c[C_READ_NB], (unsigned long long)c[C_READ_NB_OK],
	       (unsigned long long)c[C_RBATCH], (unsigned long long)c[C_RBATCH_OK],
	       (unsigned long long)c[C_RBATCH_MSGS], (unsigned long long)c[C_CSEL],
	       (unsigned long long)c[C_CSEL_OK]);
	t_diag("outcomes: EAGAIN %llu, ETIMEDOUT %llu, EINTR %llu, ECONNREFUSED %llu, end of file %llu, CHAN_IOC_SET_TIMEOUTS %llu",
	       (unsigned long long)c[C_EAGAIN], (unsigned long long)c[C_ETIMEDOUT],
	       (unsigned long long)c[C_EINTR], (unsigned long long)c[C_ECONNREFUSED],
	       (unsigned long long)c[C_EOF], (unsigned long long)c[C_SET_TIMEOUTS]);
	t_diag("chaos: capacity %llu (%llu EBUSY), breaker auto %llu, disabled %llu, metrics-only %llu, forced-open %llu, reset %llu, rate on %llu, off %llu, chaos knobs %llu, info+stats %llu",
	       (unsigned long long)c[C_CAP], (unsigned long long)c[C_CAP_EBUSY],
	       (unsigned long long)c[C_BRK_AUTO], (unsigned long long)c[C_BRK_OFF],
	       (unsigned long long)c[C_BRK_METRICS], (unsigned long long)c[C_BRK_FORCED],
	       (unsigned long long)c[C_BRK_RESET], (unsigned long long)c[C_RATE_ON],
	       (unsigned long long)c[C_RATE_OFF], (unsigned long long)c[C_CHAOS_KNOB],
	       (unsigned long long)c[C_OBSERVE]);
	t_diag("signals: SIGUSR1 %llu (%llu caught), SIGUSR2 %llu (%llu caught), SIGSTOP/SIGCONT %llu, SIGKILL %llu (%llu during a receive); %d s of traffic",
	       (unsigned long long)c[C_SIGUSR1], (unsigned long long)c[C_CAUGHT_USR1],
	       (unsigned long long)c[C_SIGUSR2], (unsigned long long)c[C_CAUGHT_USR2],
	       (unsigned long long)c[C_STOPCONT], (unsigned long long)c[C_KILL],
	       (unsigned long long)c[C_KILL_INFLIGHT], secs);
}

static void verify_chan(int ch, long long sent, long long got, long long lost)
{
	int idx = S->idx[ch];
	struct chan_stats st;
	long long hs = 0, hr = 0, len, r;
	int fd, i;

	len = t_attr(idx, "len");
	T_EQ(len, 0, "chan %d (capacity %u): len 0 after the drain", ch,
	     chan_cap[ch]);
	T_EQ(t_attr(idx, "closed"), 1, "chan %d: closed", ch);
	T_EQ(t_attr(idx, "waiting_senders"), 0, "chan %d: waiting_senders 0", ch);
	T_EQ(t_attr(idx, "waiting_receivers"), 0, "chan %d: waiting_receivers 0",
	     ch);
	T_EQ(t_attr(idx, "stats/sent"), sent,
	     "chan %d: stats/sent is the %lld sends that reported success", ch,
	     sent);
	T_EQ(t_attr(idx, "stats/sent") - t_attr(idx, "stats/received"), len,
	     "chan %d: stats/sent - stats/received == len", ch);
	T_EQ(t_attr(idx, "stats/received"), got + lost,
	     "chan %d: stats/received is the %lld receipts recorded + %lld lost in killed consumers",
	     ch, got, lost);
	fd = t_chan_open(idx, O_RDONLY);
	memset(&st, 0, sizeof(st));
	r = fd < 0 ? fd : SYS(ioctl(fd, CHAN_IOC_GET_STATS, &st));
	if (T_EQ(r, 0, "chan %d: CHAN_IOC_GET_STATS", ch)) {
		for (i = 0; i < CHAN_HIST_BUCKETS; i++) {
			hs += (long long)st.send_wait_hist[i];
			hr += (long long)st.recv_wait_hist[i];
		}
		T_EQ(hs, (long long)st.sent,
		     "chan %d: send_wait_hist sums to sent at rest", ch);
		T_EQ(hr, (long long)st.received,
		     "chan %d: recv_wait_hist sums to received at rest", ch);
	}
	if (fd >= 0)
		close(fd);
}

int main(void)
{
	long long sent_ch[NCHAN] = { 0 }, got_ch[NCHAN] = { 0 };
	long long lost_ch[NCHAN] = { 0 };
	long long total_sent = 0, lost = 0, dup = 0, ghost = 0;
	unsigned int lost_mask = 0;
	const char *seed_env = getenv("KCHAN_STRESS_SEED");
	int secs = stress_seconds(), fds[NCHAN], ch, i, p;
	struct kills k = { 0 };
	uint64_t start, end, next_kill;
	uint32_t rs;

	set_watchdog(secs < 0 ? DEF_SECONDS : secs);
	t_init("stress");
	if (secs < 0)
		t_bail("KCHAN_STRESS_SECONDS='%s': not a number of seconds (1..604800)",
		       getenv("KCHAN_STRESS_SECONDS"));

	S = t_shared(sizeof(*S));
	S->sent = map_shared((size_t)NPROD * MAX_SEQ);
	S->got = map_shared((size_t)NPROD * MAX_SEQ);
	S->seed = seed_env ? (uint32_t)strtoul(seed_env, NULL, 0) :
		  (uint32_t)(t_now_ns() ^ (uint64_t)getpid());
	if (!S->seed)
		S->seed = 1;
	rs = S->seed;
	t_diag("%d s of traffic, seed %u (KCHAN_STRESS_SEED), %d producers, %d consumers, %d channels",
	       secs, S->seed, NPROD, NCONS, NCHAN);

	for (ch = 0; ch < NCHAN; ch++) {
		S->idx[ch] = t_chan_new(chan_cap[ch], chan_msg[ch], 0);
		if (!T_GE(S->idx[ch], 0, "create chan %d: capacity %u, msg_size %u",
			  ch, chan_cap[ch], chan_msg[ch]))
			return t_done();
		fds[ch] = t_chan_open(S->idx[ch], O_RDWR);
		if (!T_GE(fds[ch], 0, "open chan %d", ch))
			return t_done();
	}

	install_handlers();
	for (i = 0; i < NCONS; i++) {
		S->cons[i].pid = t_fork(consumer_main, (void *)(intptr_t)i);
		workers[NPROD + i] = S->cons[i].pid;
	}
	for (p = 0; p < NPROD; p++) {
		S->prod_pid[p] = t_fork(producer_main, (void *)(intptr_t)p);
		workers[p] = S->prod_pid[p];
	}
	S->chaos_pid = t_fork(chaos_main, NULL);
	for (i = 0; i < NWORK; i++)
		if (workers[i] < 0)
			t_bail("fork failed");

	/* The traffic: signals all along, a consumer killed every 1-3 s. */
	start = t_now_ns();
	end = start + (uint64_t)secs * T_NSEC_PER_SEC;
	next_kill = start + (uint64_t)secs * T_NSEC_PER_SEC / 4;
	if (next_kill > start + T_NSEC_PER_SEC)
		next_kill = start + T_NSEC_PER_SEC;
	while (t_now_ns() < end) {
		sleep_us(500 + rnd(&rs) % 4000);
		signal_someone(&rs);
		if (t_now_ns() >= next_kill) {
			kill_consumer((int)(rnd(&rs) % NCONS), &k);
			next_kill = t_now_ns() + T_NSEC_PER_SEC +
				    rnd(&rs) % (2 * T_NSEC_PER_SEC);
		}
	}
	for (i = 0; i < NWORK; i++)
		kill(workers[i], SIGCONT);
	t_diag("traffic done after %llu ms",
	       (unsigned long long)((t_now_ns() - start) / T_NSEC_PER_MSEC));

	/* Stop: chaos first (it disables breakers and limits), then producers. */
	__atomic_store_n(&S->stop_chaos, 1, __ATOMIC_SEQ_CST);
	T_CHILD(S->chaos_pid, 2 * T_TIMEOUT_MS, 0,
		"chaos process stopped, every reconfiguration gave 0 (or EBUSY)");
	__atomic_store_n(&S->stop_producers, 1, __ATOMIC_SEQ_CST);
	/* SIGUSR1 (no SA_RESTART) ends untimed sends parked for ever. */
	for (i = 0; i < 3 * T_TIMEOUT_MS / 10; i++) {
		bool alive = false;

		for (p = 0; p < NPROD; p++) {
			siginfo_t si = { .si_pid = 0 };

			if (waitid(P_PID, (id_t)S->prod_pid[p], &si,
				   WEXITED | WNOHANG | WNOWAIT) == 0 &&
			    si.si_pid == 0) {
				alive = true;
				kill(S->prod_pid[p], SIGUSR1);
			}
		}
		if (!alive)
			break;
		t_sleep_ms(10);
	}
	for (p = 0; p < NPROD; p++)
		T_CHILD(S->prod_pid[p], T_TIMEOUT_MS, 0,
			"producer %d stopped, every result as expected", p);

	/* Close every channel; the consumers drain them to end of file. */
	__atomic_store_n(&S->closing, 1, __ATOMIC_SEQ_CST);
	for (ch = 0; ch < NCHAN; ch++)
		T_EQ(t_close_chan(fds[ch]), 0, "CHAN_IOC_CLOSE chan %d", ch);
	for (i = 0; i < NCONS; i++)
		T_CHILD(S->cons[i].pid, 6 * T_TIMEOUT_MS, 0,
			"consumer %d (generation %d) drained every channel to end of file",
			i, S->cons[i].gen);

	/* The accounting. */
	for (p = 0; p < NPROD; p++) {
		const unsigned char *sent = S->sent + (size_t)p * MAX_SEQ;
		const unsigned char *got = S->got + (size_t)p * MAX_SEQ;
		uint32_t seq, n = S->next_seq[p];

		for (seq = 0; seq < n; seq++) {
			if (sent[seq]) {
				ch = sent[seq] - 1;
				sent_ch[ch]++;
				if (got[seq] == 0) {
					lost_ch[ch]++;
					lost_mask |= 1u << ch;
					if (lost++ < MAX_ERRS)
						t_diag("never received (a killed consumer's receive may have taken it): producer %d's message %u on chan %d",
						       p, seq, ch);
				} else {
					got_ch[ch]++;
				}
				if (got[seq] > 1 && dup++ < MAX_ERRS)
					t_diag("duplicated: producer %d's message %u on chan %d, received %d times",
					       p, seq, ch, got[seq]);
			} else if (got[seq] && ghost++ < MAX_ERRS) {
				t_diag("received but never sent: producer %d's message %u",
				       p, seq);
			}
		}
	}
	for (ch = 0; ch < NCHAN; ch++)
		total_sent += sent_ch[ch];
	print_counters(secs);
	t_diag("%lld messages sent, %lld lost, bound %lld (%d SIGKILLs, %d during a receive: %d in the system call, %d after it returned)",
	       total_sent, lost, k.bound, k.n, k.inflight,
	       k.inflight - k.recording, k.recording);

	T_EQ(S->unexpected, 0, "every operation gave a result it may give");
	T_EQ(S->corrupt, 0, "every message arrived intact (header, length, channel, checksum)");
	T_EQ(S->reordered, 0, "each producer's messages arrived in order per channel at every receiver");
	T_EQ(S->early_eof, 0, "no end of file before the close");
	T_EQ(dup, 0, "no message was received twice");
	T_EQ(ghost, 0, "no message whose send failed was received");
	T_LE(lost, k.bound,
	     "lost messages at most what the receives killed in flight could take");
	T_EQ(lost_mask & ~k.mask, 0,
	     "messages lost only on channels a killed receive was on");
	T_EQ(k.bad, 0, "every killed consumer died of SIGKILL at once");
	T_EQ(S->full_seq, 0, "no producer ran out of sequence numbers");
	T_GT(k.n, 0, "consumers were killed and replaced");
	T_GT(S->cnt[C_SEND_OK], 0, "CHAN_IOC_SEND delivered messages");
	T_GT(S->cnt[C_WRITE_OK], 0, "write(2) delivered messages");
	T_GT(S->cnt[C_WRITE_NB_OK], 0, "write(2) on an O_NONBLOCK file delivered messages");
	T_GT(S->cnt[C_SBATCH_MSGS], 0, "CHAN_IOC_SEND_BATCH delivered messages");
	T_GT(S->cnt[C_PSEL_SEND], 0, "selects committed send cases");
	T_GT(S->cnt[C_RECV_OK], 0, "CHAN_IOC_RECV received messages");
	T_GT(S->cnt[C_READ_OK], 0, "read(2) received messages");
	T_GT(S->cnt[C_READ_NB_OK], 0, "read(2) on an O_NONBLOCK file received messages");
	T_GT(S->cnt[C_RBATCH_MSGS], 0, "CHAN_IOC_RECV_BATCH received messages");
	T_GT(S->cnt[C_CSEL_OK], 0, "selects committed receive cases");
	T_GT(S->cnt[C_CAUGHT_USR1] + S->cnt[C_CAUGHT_USR2], 0,
	     "the workers caught signals");
	T_GT(S->cnt[C_CAP] - S->cnt[C_CAP_EBUSY], 0, "the capacity changed");

	for (ch = 0; ch < NCHAN; ch++)
		verify_chan(ch, sent_ch[ch], got_ch[ch], lost_ch[ch]);

	for (ch = 0; ch < NCHAN; ch++) {
		close(fds[ch]);
		T_EQ(t_chan_destroy(S->idx[ch], 0), 0, "destroy chan %d", ch);
	}
	return t_done();
}
