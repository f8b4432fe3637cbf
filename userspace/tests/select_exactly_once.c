// SPDX-License-Identifier: GPL-2.0
/*
 * Description: CHAN_IOC_SELECT delivers every message exactly once under
 * concurrency, on three channels of capacity 0, 1 and 16 each:
 * (a) 3 producer processes write tagged messages with plain write() and 4
 *     consumer processes receive with selects over 2 to 4 cases (one
 *     channel twice in one select);
 * (b) the producers send with selects over 2 to 4 send cases (each case's
 *     message tagged with its own channel) and 4 consumers use plain read();
 * (c) both sides select, producers' send cases against consumers' receive
 *     cases.
 * After the producers finish, every channel is closed and the consumers
 * read until every one of their channels gave end of file (0). Each message
 * carries (producer, sequence, channel) and a payload derived from them.
 * Checks: every message received exactly once, intact, through the channel
 * it was sent on (for a select sender: the channel of the case that
 * committed, as its index said) and with its length as the result; a
 * consumer's select writes no other case's buffer; each consumer sees each
 * producer's messages on each channel in increasing order; per channel,
 * stats/sent == stats/received == the messages received there; at the end
 * every channel has len 0 and waiting_senders == waiting_receivers == 0.
 */
#include <stdarg.h>
#include <sys/mman.h>

#include "helpers.h"

#define NCH	3
#define P	3
#define C	4
#define PER	300
#define MSG	32
#define MAGIC	0x5e1ec7edu
#define RUN_MS	40000

enum mode { PLAIN_TO_SELECT, SELECT_TO_PLAIN, SELECT_TO_SELECT };

static const char *const mode_names[] = {
	"write -> select", "select -> read", "select -> select",
};

struct hdr {
	uint32_t producer;
	uint32_t seq;
	uint32_t chan;		/* 0..NCH-1 */
	uint32_t magic;
};

/* The channels of each select; -1 ends a set. */
static const int cons_sets[C][5] = {
	{ 0, 1, -1 }, { 1, 2, -1 }, { 2, 0, 1, 2, -1 }, { 0, 2, -1 },
};
static const int prod_sets[P][5] = {
	{ 0, 1, -1 }, { 1, 2, 0, -1 }, { 2, 0, 2, 1, -1 },
};
/* The channel each plain reader reads. */
static const int cons_chan[C] = { 0, 1, 2, 0 };

struct shared {
	enum mode mode;
	int idx[NCH];
	unsigned char seen[P][PER];	/* times received */
	unsigned char via[P][PER];	/* channel received on, + 1 */
	unsigned char sent_on[P][PER];	/* channel a producer's select committed on, + 1 */
	int got_chan[NCH];
	int got_cons[C];
	int errors;
	char first_error[200];
};

struct role {
	struct shared *s;
	int id;
};

static void error(struct shared *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void error(struct shared *s, const char *fmt, ...)
{
	va_list ap;

	if (__atomic_fetch_add(&s->errors, 1, __ATOMIC_SEQ_CST) == 0) {
		va_start(ap, fmt);
		vsnprintf(s->first_error, sizeof(s->first_error), fmt, ap);
		va_end(ap);
	}
}

static unsigned int msg_len(uint32_t p, uint32_t seq)
{
	return sizeof(struct hdr) + (p * 7 + seq * 13) % (MSG - sizeof(struct hdr) + 1);
}

static unsigned char pay(uint32_t p, uint32_t seq, uint32_t ch, unsigned int i)
{
	return (unsigned char)(p * 31 + seq * 17 + ch * 101 + i);
}

static void build(unsigned char *buf, uint32_t p, uint32_t seq, uint32_t ch)
{
	struct hdr h = { p, seq, ch, MAGIC };
	unsigned int i, len = msg_len(p, seq);

	memcpy(buf, &h, sizeof(h));
	for (i = sizeof(h); i < len; i++)
		buf[i] = pay(p, seq, ch, i);
}

/* Open this process's own fds of the channels. */
static bool open_all(struct shared *s, int *fd, int oflags, const char *who, int id)
{
	int i;

	for (i = 0; i < NCH; i++) {
		fd[i] = t_chan_open(s->idx[i], oflags);
		if (fd[i] < 0) {
			error(s, "%s %d: open chan%d: %s", who, id, s->idx[i],
			      strerrorname_np(-fd[i]) ?: "?");
			return false;
		}
	}
	return true;
}

/* A message received on channel @ch by consumer @c: check and count it. */
static void account(struct shared *s, int c, int ch, const unsigned char *buf, long len,
		    int last[P][NCH])
{
	struct hdr h;
	unsigned int i;

	if (len < (long)sizeof(h)) {
		error(s, "consumer %d: %ld bytes from chan%d", c, len, s->idx[ch]);
		return;
	}
	memcpy(&h, buf, sizeof(h));
	if (h.magic != MAGIC || h.producer >= P || h.seq >= PER || h.chan >= NCH ||
	    msg_len(h.producer, h.seq) != len) {
		error(s, "consumer %d: bad message from chan%d (producer %u seq %u chan %u magic %#x, %ld bytes)",
		      c, s->idx[ch], h.producer, h.seq, h.chan, h.magic, len);
		return;
	}
	if ((int)h.chan != ch)
		error(s, "consumer %d: producer %u seq %u sent to channel %u arrived on channel %d",
		      c, h.producer, h.seq, h.chan, ch);
	for (i = sizeof(h); i < len; i++) {
		if (buf[i] != pay(h.producer, h.seq, h.chan, i)) {
			error(s, "consumer %d: producer %u seq %u: corrupt byte %u", c, h.producer,
			      h.seq, i);
			break;
		}
	}
	if ((int)h.seq <= last[h.producer][ch])
		error(s, "consumer %d: channel %d: producer %u seq %u after seq %d (order broken)",
		      c, ch, h.producer, h.seq, last[h.producer][ch]);
	last[h.producer][ch] = h.seq;
	__atomic_add_fetch(&s->seen[h.producer][h.seq], 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&s->via[h.producer][h.seq], ch + 1, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&s->got_chan[ch], 1, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&s->got_cons[c], 1, __ATOMIC_SEQ_CST);
}

static int producer(void *arg)
{
	struct role *r = arg;
	struct shared *s = r->s;
	uint32_t p = r->id, seq;
	struct chan_select_case cs[4];
	unsigned char buf[4][MSG];
	int fd[NCH], n, i, ch;
	long ret;

	if (!open_all(s, fd, O_WRONLY, "producer", p))
		return 2;
	for (seq = 0; seq < PER; seq++) {
		if (s->mode == PLAIN_TO_SELECT) {
			ch = (p + seq) % NCH;
			build(buf[0], p, seq, ch);
			ret = SYS(write(fd[ch], buf[0], msg_len(p, seq)));
			if (ret != msg_len(p, seq)) {
				error(s, "producer %u: write of seq %u returned %ld", p, seq, ret);
				return 1;
			}
			continue;
		}
		for (n = 0; prod_sets[p][n] >= 0; n++) {
			build(buf[n], p, seq, prod_sets[p][n]);
			t_sel_case(&cs[n], fd[prod_sets[p][n]], CHAN_OP_SEND, buf[n],
				   msg_len(p, seq));
		}
		ret = t_select(-1, cs, n, CHAN_TIMEOUT_INFINITE);
		if (ret < 0 || ret >= n || cs[ret].result != (int)msg_len(p, seq)) {
			error(s, "producer %u: select for seq %u returned %ld, result %d", p, seq,
			      ret, ret >= 0 && ret < n ? cs[ret].result : 0);
			return 1;
		}
		for (i = 0; i < n; i++) {
			if (i != ret && cs[i].result != T_SEL_NORESULT) {
				error(s, "producer %u: seq %u: case %d committed, case %d has result %d too",
				      p, seq, (int)ret, i, cs[i].result);
			}
		}
		s->sent_on[p][seq] = prod_sets[p][ret] + 1;
	}
	return 0;
}

static int plain_consumer(struct shared *s, int c)
{
	int fd[NCH], last[P][NCH], ch = cons_chan[c];
	unsigned char buf[MSG + 8];
	long ret;

	memset(last, 0xff, sizeof(last));
	if (!open_all(s, fd, O_RDONLY, "consumer", c))
		return 2;
	for (;;) {
		ret = SYS(read(fd[ch], buf, sizeof(buf)));
		if (ret == 0)
			return 0;
		if (ret < 0) {
			error(s, "consumer %d: read on chan%d: %ld", c, s->idx[ch], ret);
			return 1;
		}
		account(s, c, ch, buf, ret, last);
	}
}

static int select_consumer(struct shared *s, int c)
{
	int fd[NCH], last[P][NCH], chans[5], n = 0, i, j, k;
	unsigned char buf[5][MSG], fill[MSG];
	struct chan_select_case cs[5];
	long ret;

	memset(last, 0xff, sizeof(last));
	memset(fill, 0xee, sizeof(fill));
	if (!open_all(s, fd, O_RDONLY, "consumer", c))
		return 2;
	for (n = 0; cons_sets[c][n] >= 0; n++)
		chans[n] = cons_sets[c][n];
	while (n) {
		for (i = 0; i < n; i++) {
			memcpy(buf[i], fill, MSG);
			t_sel_case(&cs[i], fd[chans[i]], CHAN_OP_RECV, buf[i], MSG);
		}
		ret = t_select(-1, cs, n, CHAN_TIMEOUT_INFINITE);
		if (ret < 0 || ret >= n) {
			error(s, "consumer %d: select over %d cases returned %ld", c, n, ret);
			return 1;
		}
		for (i = 0; i < n; i++) {
			if (i != ret && (cs[i].result != T_SEL_NORESULT || memcmp(buf[i], fill, MSG)))
				error(s, "consumer %d: case %ld committed but case %d was written too",
				      c, ret, i);
		}
		k = chans[ret];
		if (cs[ret].result == 0) {
			/* End of file: drop the channel's cases. */
			for (i = j = 0; i < n; i++)
				if (chans[i] != k)
					chans[j++] = chans[i];
			n = j;
			continue;
		}
		account(s, c, k, buf[ret], cs[ret].result, last);
	}
	return 0;
}

static int consumer(void *arg)
{
	struct role *r = arg;

	if (r->s->mode == SELECT_TO_PLAIN)
		return plain_consumer(r->s, r->id);
	return select_consumer(r->s, r->id);
}

/* Milliseconds left until @deadline, at least 100. */
static int left_ms(uint64_t deadline)
{
	uint64_t now = t_now_ns();

	return now + 100 * T_NSEC_PER_MSEC >= deadline ? 100 :
	       (int)((deadline - now) / T_NSEC_PER_MSEC);
}

static void run(unsigned int cap, enum mode mode)
{
	struct shared *s = t_shared(sizeof(*s));
	struct role pr[P], cr[C];
	pid_t prod[P], cons[C];
	int fd[NCH], i, j, missing = 0, dup = 0, wrong = 0, total = 0, bad;
	uint64_t t0 = t_now_ns(), deadline;
	char what[64];

	snprintf(what, sizeof(what), "cap %u, %s", cap, mode_names[mode]);
	s->mode = mode;
	for (i = 0; i < NCH; i++) {
		s->idx[i] = t_chan_new(cap, MSG, 0);
		if (s->idx[i] < 0)
			t_bail("cannot create a channel: %s", strerrorname_np(-s->idx[i]) ?: "?");
		fd[i] = t_chan_open(s->idx[i], O_RDWR);
		if (fd[i] < 0)
			t_bail("cannot open %s: %s", t_chan_path(s->idx[i]),
			       strerrorname_np(-fd[i]) ?: "?");
	}
	for (i = 0; i < C; i++) {
		cr[i] = (struct role){ s, i };
		cons[i] = t_fork(consumer, &cr[i]);
	}
	for (i = 0; i < P; i++) {
		pr[i] = (struct role){ s, i };
		prod[i] = t_fork(producer, &pr[i]);
	}
	deadline = t_now_ns() + (uint64_t)RUN_MS * T_NSEC_PER_MSEC;
	for (i = 0; i < P; i++)
		T_CHILD(prod[i], left_ms(deadline), 0, "%s: producer %d sent its %d messages", what, i,
			PER);
	bad = 0;
	for (i = 0; i < NCH; i++)
		bad += t_close_chan(fd[i]) != 0;
	T_EQ(bad, 0, "%s: close the %d channels", what, NCH);
	deadline = t_now_ns() + (uint64_t)T_TIMEOUT_MS * T_NSEC_PER_MSEC;
	for (i = 0; i < C; i++)
		T_CHILD(cons[i], left_ms(deadline), 0, "%s: consumer %d received until end of file",
			what, i);

	for (i = 0; i < P; i++) {
		for (j = 0; j < PER; j++) {
			int want = mode == PLAIN_TO_SELECT ? (i + j) % NCH + 1 : s->sent_on[i][j];

			if (s->seen[i][j] == 0 && missing++ == 0)
				t_diag("%s: first missing message: producer %d seq %d", what, i, j);
			if (s->seen[i][j] > 1 && dup++ == 0)
				t_diag("%s: first duplicate: producer %d seq %d (%d times)", what, i, j,
				       s->seen[i][j]);
			if (s->seen[i][j] == 1 && s->via[i][j] != want && wrong++ == 0)
				t_diag("%s: producer %d seq %d: sent on channel %d, received on %d",
				       what, i, j, want - 1, s->via[i][j] - 1);
		}
	}
	for (i = 0; i < C; i++)
		total += s->got_cons[i];
	t_diag("%s: %d messages in %llu ms; per consumer %d %d %d %d; per channel %d %d %d", what,
	       total, (unsigned long long)((t_now_ns() - t0) / T_NSEC_PER_MSEC), s->got_cons[0],
	       s->got_cons[1], s->got_cons[2], s->got_cons[3], s->got_chan[0], s->got_chan[1],
	       s->got_chan[2]);
	T_EQ(s->errors, 0, "%s: no bad result, corrupt, misrouted, misordered or doubly written message (first: %s)",
	     what, s->errors ? s->first_error : "none");
	T_EQ(missing, 0, "%s: no message lost", what);
	T_EQ(dup, 0, "%s: no message received twice", what);
	T_EQ(wrong, 0, "%s: every message received on the channel it was sent on", what);
	T_EQ(total, P * PER, "%s: %d messages received in all", what, P * PER);
	for (i = 0; i < NCH; i++) {
		long long sent = t_attr(s->idx[i], "stats/sent");
		long long recv = t_attr(s->idx[i], "stats/received");

		T_OK(sent == s->got_chan[i] && recv == s->got_chan[i],
		     "%s: chan%d: stats/sent %lld == stats/received %lld == %d received there", what,
		     s->idx[i], sent, recv, s->got_chan[i]);
		T_EQ(t_attr(s->idx[i], "len"), 0, "%s: chan%d: len 0", what, s->idx[i]);
		T_EQ(t_attr(s->idx[i], "waiting_senders"), 0, "%s: chan%d: waiting_senders 0", what,
		     s->idx[i]);
		T_EQ(t_attr(s->idx[i], "waiting_receivers"), 0, "%s: chan%d: waiting_receivers 0",
		     what, s->idx[i]);
	}
	bad = 0;
	for (i = 0; i < NCH; i++) {
		close(fd[i]);
		bad += t_chan_destroy(s->idx[i], 0) != 0;
	}
	T_EQ(bad, 0, "%s: destroy the channels", what);
	munmap(s, sizeof(*s));
}

int main(void)
{
	static const unsigned int caps[] = { 0, 1, 16 };
	uint64_t t0;
	unsigned int i;
	int m;

	t_init("select_exactly_once");
	t0 = t_now_ns();
	for (i = 0; i < T_ARRAY_SIZE(caps); i++)
		for (m = PLAIN_TO_SELECT; m <= SELECT_TO_SELECT; m++)
			run(caps[i], m);
	t_diag("all runs: %llu ms", (unsigned long long)((t_now_ns() - t0) / T_NSEC_PER_MSEC));
	return t_done();
}
