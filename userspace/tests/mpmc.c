// SPDX-License-Identifier: GPL-2.0
/*
 * Description: exactly-once delivery with many producers and consumers
 * (chan(4), Signals): 4 producer processes x 4 consumer processes on capacities
 * 0, 1 and 16. Producers open the channel themselves; two consumers share
 * the parent's fd through fork, two open their own. Each message carries
 * (producer, sequence) and a payload derived from both, with varying length.
 * After the producers finish, the parent closes the channel and consumers
 * read to end of file. Every message must arrive exactly once, intact, in
 * order per producer as seen by each consumer; at the end len is 0 and
 * stats/sent == stats/received == the total.
 */
#include <stdarg.h>

#include "helpers.h"

#define P		4
#define C		4
#define PER		250
#define MSG		64
#define RUN_MS		(4 * T_TIMEOUT_MS)

struct hdr {
	uint32_t producer;
	uint32_t seq;
	uint32_t magic;
	uint32_t len;
};

#define MAGIC 0x6b636861u

struct shared;

/* Private memory: each child sees the values of its own fork. */
struct arg {
	struct shared *s;
	int id;
};

struct shared {
	int idx;
	int fd;				/* the parent's O_RDONLY fd, shared */
	unsigned char seen[P][PER];	/* times each message was received */
	int got[C];
	int errors;
	char first_error[160];
};

static unsigned int msg_len(uint32_t p, uint32_t seq)
{
	return sizeof(struct hdr) + (p * 7 + seq * 13) % (MSG - sizeof(struct hdr) + 1);
}

static void build(unsigned char *buf, uint32_t p, uint32_t seq)
{
	struct hdr h = { p, seq, MAGIC, msg_len(p, seq) };
	unsigned int i;

	memcpy(buf, &h, sizeof(h));
	for (i = sizeof(h); i < h.len; i++)
		buf[i] = (unsigned char)(p * 31 + seq * 17 + i);
}

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

static int producer(void *arg)
{
	struct shared *s = ((struct arg *)arg)->s;
	uint32_t p = ((struct arg *)arg)->id, seq;
	unsigned char buf[MSG];
	int fd = t_chan_open(s->idx, O_WRONLY);
	long r;

	if (fd < 0) {
		error(s, "producer %u: open: %s", p, strerrorname_np(-fd));
		return 2;
	}
	for (seq = 0; seq < PER; seq++) {
		build(buf, p, seq);
		r = SYS(write(fd, buf, msg_len(p, seq)));
		if (r != msg_len(p, seq)) {
			error(s, "producer %u: write of seq %u returned %ld", p, seq, r);
			return 1;
		}
	}
	return 0;
}

static int consumer(void *arg)
{
	struct shared *s = ((struct arg *)arg)->s;
	int c = ((struct arg *)arg)->id, fd = s->fd, last[P], i;
	unsigned char buf[MSG + 16];
	struct hdr h;
	long r;

	/* Consumers 2 and 3 open their own fd; 0 and 1 use the shared one. */
	if (c >= 2)
		fd = t_chan_open(s->idx, O_RDONLY);
	if (fd < 0) {
		error(s, "consumer %d: open: %s", c, strerrorname_np(-fd));
		return 2;
	}
	for (i = 0; i < P; i++)
		last[i] = -1;
	for (;;) {
		r = SYS(read(fd, buf, sizeof(buf)));
		if (r == 0)
			break;
		if (r < (long)sizeof(h)) {
			error(s, "consumer %d: read returned %ld", c, r);
			return 1;
		}
		memcpy(&h, buf, sizeof(h));
		if (h.magic != MAGIC || h.producer >= P || h.seq >= PER || h.len != r) {
			error(s, "consumer %d: bad message (producer %u seq %u magic %#x len %u, read %ld)",
			      c, h.producer, h.seq, h.magic, h.len, r);
			continue;
		}
		for (i = sizeof(h); i < r; i++) {
			if (buf[i] != (unsigned char)(h.producer * 31 + h.seq * 17 + i)) {
				error(s, "consumer %d: corrupt payload in producer %u seq %u at byte %d",
				      c, h.producer, h.seq, i);
				break;
			}
		}
		if ((int)h.seq <= last[h.producer])
			error(s, "consumer %d: producer %u seq %u after seq %d (order broken)",
			      c, h.producer, h.seq, last[h.producer]);
		last[h.producer] = h.seq;
		__atomic_add_fetch(&s->seen[h.producer][h.seq], 1, __ATOMIC_SEQ_CST);
		__atomic_add_fetch(&s->got[c], 1, __ATOMIC_SEQ_CST);
	}
	return 0;
}

/* Milliseconds left until @deadline, at least 100. */
static int left_ms(uint64_t deadline)
{
	uint64_t now = t_now_ns();

	return now + 100 * T_NSEC_PER_MSEC >= deadline ? 100 :
	       (int)((deadline - now) / T_NSEC_PER_MSEC);
}

static void run(unsigned int cap)
{
	struct shared *s = t_shared(sizeof(*s));
	struct arg pa[P], ca[C];
	pid_t prod[P], cons[C];
	int i, j, missing = 0, dup = 0, wfd, total = 0;
	uint64_t t0 = t_now_ns(), deadline;

	s->idx = t_chan_new(cap, MSG, 0);
	if (!T_GE(s->idx, 0, "create a channel of capacity %u", cap))
		return;
	s->fd = t_chan_open(s->idx, O_RDONLY);
	wfd = t_chan_open(s->idx, O_WRONLY);
	if (!T_OK(s->fd >= 0 && wfd >= 0, "open the parent's reader and writer"))
		goto out;
	for (i = 0; i < C; i++) {
		ca[i] = (struct arg){ s, i };
		cons[i] = t_fork(consumer, &ca[i]);
	}
	for (i = 0; i < P; i++) {
		pa[i] = (struct arg){ s, i };
		prod[i] = t_fork(producer, &pa[i]);
	}
	deadline = t_now_ns() + (uint64_t)RUN_MS * T_NSEC_PER_MSEC;
	for (i = 0; i < P; i++)
		T_CHILD(prod[i], left_ms(deadline), 0, "cap %u: producer %d sent its %d messages", cap, i, PER);
	T_EQ(t_close_chan(wfd), 0, "cap %u: close the channel", cap);
	deadline = t_now_ns() + (uint64_t)T_TIMEOUT_MS * T_NSEC_PER_MSEC;
	for (i = 0; i < C; i++)
		T_CHILD(cons[i], left_ms(deadline), 0, "cap %u: consumer %d read to end of file", cap, i);
	for (i = 0; i < P; i++) {
		for (j = 0; j < PER; j++) {
			if (s->seen[i][j] == 0 && missing++ == 0)
				t_diag("cap %u: first missing message: producer %d seq %d", cap, i, j);
			if (s->seen[i][j] > 1 && dup++ == 0)
				t_diag("cap %u: first duplicate: producer %d seq %d (%d times)", cap, i,
				       j, s->seen[i][j]);
		}
	}
	for (i = 0; i < C; i++)
		total += s->got[i];
	t_diag("cap %u: %d messages in %llu ms; per consumer %d %d %d %d", cap, total,
	       (unsigned long long)((t_now_ns() - t0) / T_NSEC_PER_MSEC), s->got[0], s->got[1],
	       s->got[2], s->got[3]);
	T_EQ(s->errors, 0, "cap %u: no corrupt, misordered or failed message (first: %s)", cap,
	     s->errors ? s->first_error : "none");
	T_EQ(missing, 0, "cap %u: no message lost", cap);
	T_EQ(dup, 0, "cap %u: no message received twice", cap);
	T_EQ(total, P * PER, "cap %u: %d messages received in all", cap, P * PER);
	T_EQ(t_attr(s->idx, "len"), 0, "cap %u: len is 0 at the end", cap);
	T_EQ(t_attr(s->idx, "stats/sent"), P * PER, "cap %u: stats/sent is %d", cap, P * PER);
	T_EQ(t_attr(s->idx, "stats/received"), P * PER, "cap %u: stats/received is %d", cap,
	     P * PER);
	T_EQ(t_attr(s->idx, "waiting_senders") + t_attr(s->idx, "waiting_receivers"), 0,
	     "cap %u: nobody is left parked", cap);
out:
	if (s->fd >= 0)
		close(s->fd);
	if (wfd >= 0)
		close(wfd);
	T_EQ(t_chan_destroy(s->idx, 0), 0, "destroy chan%d", s->idx);
}

int main(void)
{
	t_init("mpmc");
	run(0);
	run(1);
	run(16);
	return t_done();
}
