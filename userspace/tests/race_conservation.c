// SPDX-License-Identifier: GPL-2.0
/*
 * Description: conservation under racing timeouts, signals, faults and
 * try-operations (chan(4), Signals). Two senders and two receivers share a channel
 * (capacities 0, 1 and 4) while a fifth process showers them with a signal
 * whose handler is installed without SA_RESTART. Every operation uses a
 * random short timeout (0, 50 us, 1 ms or 5 ms); one receive in eight goes
 * to an unmapped buffer. Each sender records for every sequence number
 * whether its send reported success; each receiver counts what it got and
 * checks that it sees every sender's messages in increasing order. After
 * the senders finish, the channel is closed and drained. Then a message
 * whose send succeeded must have been received exactly once, and a message
 * whose send failed (EAGAIN, ETIMEDOUT, EINTR) never.
 */
#include <stdlib.h>
#include <sys/wait.h>

#include "helpers.h"

#define SENDERS		2
#define RECEIVERS	2
#define MSGS		250
#define MSG_LEN		16

struct shared {
	int idx;
	volatile int stop_signals;
	int sent_ok[SENDERS][MSGS];	/* 1: send returned success */
	int sent_err[SENDERS][MSGS];	/* the error of a failed send */
	int got[SENDERS][MSGS];		/* receipts, all receivers */
	int out_of_order;		/* a receiver saw a sequence go back */
	int bad_result;			/* an unexpected return value */
	int efaults;			/* receives into a bad pointer refused */
};

static void on_signal(int sig)
{
	(void)sig;
}

static long long random_timeout(unsigned int *seed)
{
	static const long long choices[] = {
		0, 50 * 1000LL, T_NSEC_PER_MSEC, 5 * T_NSEC_PER_MSEC,
	};

	return choices[rand_r(seed) % T_ARRAY_SIZE(choices)];
}

static void install_handler(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);	/* no SA_RESTART */
}

struct role {
	struct shared *s;
	int id;
};

static int sender(void *arg)
{
	struct role *r = arg;
	struct shared *s = r->s;
	unsigned int seed = 1000 + r->id;
	unsigned char msg[MSG_LEN];
	int fd = t_chan_open(s->idx, O_WRONLY), i;
	long ret;

	if (fd < 0)
		return 2;
	for (i = 0; i < MSGS; i++) {
		t_fill(msg, sizeof(msg), r->id * MSGS + i);
		ret = t_send(fd, msg, sizeof(msg), random_timeout(&seed));
		if (ret == 0) {
			s->sent_ok[r->id][i] = 1;
		} else if (ret == -EAGAIN || ret == -ETIMEDOUT ||
			   ret == -EINTR) {
			s->sent_err[r->id][i] = (int)-ret;
		} else {
			t_diag("sender %d: message %d: unexpected %ld", r->id,
			       i, ret);
			__atomic_add_fetch(&s->bad_result, 1, __ATOMIC_SEQ_CST);
		}
	}
	return 0;
}

static int receiver(void *arg)
{
	struct role *r = arg;
	struct shared *s = r->s;
	unsigned int seed = 2000 + r->id;
	unsigned char buf[MSG_LEN];
	int last[SENDERS] = { -1, -1 };
	int fd = t_chan_open(s->idx, O_RDONLY);
	long ret;

	if (fd < 0)
		return 2;
	for (;;) {
		bool bad = rand_r(&seed) % 8 == 0;
		uint32_t id;
		int from, seq;

		ret = t_recv(fd, bad ? t_bad_ptr() : buf, sizeof(buf),
			     random_timeout(&seed));
		if (ret == 0)
			break;		/* closed and drained */
		if (ret == -EFAULT && bad) {
			__atomic_add_fetch(&s->efaults, 1, __ATOMIC_SEQ_CST);
			continue;
		}
		if (ret == -EAGAIN || ret == -ETIMEDOUT || ret == -EINTR)
			continue;
		if (ret != MSG_LEN || bad) {
			t_diag("receiver %d: unexpected %ld%s", r->id, ret,
			       bad ? " into a bad pointer" : "");
			__atomic_add_fetch(&s->bad_result, 1, __ATOMIC_SEQ_CST);
			continue;
		}
		id = t_msg_id(buf, sizeof(buf));
		from = id / MSGS;
		seq = id % MSGS;
		if (from >= SENDERS || !t_verify(buf, sizeof(buf), id)) {
			t_diag("receiver %d: corrupt message id %u", r->id, id);
			__atomic_add_fetch(&s->bad_result, 1, __ATOMIC_SEQ_CST);
			continue;
		}
		if (seq <= last[from])
			__atomic_add_fetch(&s->out_of_order, 1, __ATOMIC_SEQ_CST);
		last[from] = seq;
		__atomic_add_fetch(&s->got[from][seq], 1, __ATOMIC_SEQ_CST);
	}
	return 0;
}

struct signaller {
	struct shared *s;
	pid_t pids[SENDERS + RECEIVERS];
};

static int signaller(void *arg)
{
	struct signaller *sg = arg;
	unsigned int seed = 3000;
	int i;

	while (!sg->s->stop_signals) {
		for (i = 0; i < SENDERS + RECEIVERS; i++)
			if (rand_r(&seed) % 2)
				kill(sg->pids[i], SIGUSR1);
		usleep(200 + rand_r(&seed) % 2000);
	}
	return 0;
}

static void run(unsigned int cap)
{
	struct shared *s = t_shared(sizeof(*s));
	struct signaller *sg = t_shared(sizeof(*sg));
	struct role *roles = t_shared(sizeof(*roles) * (SENDERS + RECEIVERS));
	int i, j, wfd, ok = 0, failed = 0, lost = 0, dup = 0, ghost = 0;
	pid_t sig_pid;

	s->idx = t_chan_new(cap, MSG_LEN, 0);
	if (!T_GE(s->idx, 0, "cap %u: create the channel", cap))
		return;
	wfd = t_chan_open(s->idx, O_WRONLY);
	sg->s = s;
	for (i = 0; i < SENDERS + RECEIVERS; i++) {
		roles[i].s = s;
		roles[i].id = i < SENDERS ? i : i - SENDERS;
		sg->pids[i] = t_fork(i < SENDERS ? sender : receiver, &roles[i]);
	}
	sig_pid = t_fork(signaller, sg);
	for (i = 0; i < SENDERS; i++)
		T_CHILD(sg->pids[i], 60000, 0, "cap %u: sender %d finished", cap, i);
	s->stop_signals = 1;
	T_CHILD(sig_pid, T_TIMEOUT_MS, 0, "cap %u: signaller stopped", cap);
	T_EQ(t_close_chan(wfd), 0, "cap %u: close the channel", cap);
	for (i = SENDERS; i < SENDERS + RECEIVERS; i++)
		T_CHILD(sg->pids[i], 60000, 0, "cap %u: receiver %d drained to EOF",
			cap, i - SENDERS);

	for (i = 0; i < SENDERS; i++) {
		for (j = 0; j < MSGS; j++) {
			if (s->sent_ok[i][j]) {
				ok++;
				lost += s->got[i][j] == 0;
				dup += s->got[i][j] > 1;
			} else {
				failed++;
				ghost += s->got[i][j] != 0;
			}
		}
	}
	t_diag("cap %u: %d sends succeeded, %d failed, %d receives faulted",
	       cap, ok, failed, s->efaults);
	T_EQ(s->bad_result, 0, "cap %u: no unexpected result or corrupt message", cap);
	T_EQ(lost, 0, "cap %u: no successfully sent message was lost", cap);
	T_EQ(dup, 0, "cap %u: no message was received twice", cap);
	T_EQ(ghost, 0, "cap %u: no message whose send failed was received", cap);
	T_EQ(s->out_of_order, 0, "cap %u: per-sender order kept at every receiver", cap);
	T_GT(ok, 0, "cap %u: some sends succeeded", cap);
	T_EQ(t_attr(s->idx, "len"), 0, "cap %u: len 0 at the end", cap);
	T_EQ(t_attr(s->idx, "stats/sent"), ok, "cap %u: stats/sent counts the successes", cap);
	T_EQ(t_attr(s->idx, "stats/received"), ok, "cap %u: stats/received equals stats/sent", cap);
	T_EQ(t_attr(s->idx, "waiting_senders"), 0, "cap %u: no sender left parked", cap);
	T_EQ(t_attr(s->idx, "waiting_receivers"), 0, "cap %u: no receiver left parked", cap);
	close(wfd);
	T_EQ(t_chan_destroy(s->idx, 0), 0, "cap %u: destroy", cap);
}

int main(void)
{
	t_init("race_conservation");
	install_handler();
	run(0);
	run(1);
	run(4);
	return t_done();
}
