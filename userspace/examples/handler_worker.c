// SPDX-License-Identifier: GPL-2.0
/*
 * handler_worker: the service kchan is for. A handler process takes jobs
 * in and pushes each into a channel with a send timeout; worker processes
 * take them out and process them. The channel's circuit breaker counts the
 * sends that time out, so when the workers stall the handler stops piling
 * up behind a full channel: its sends fail in microseconds with
 * ECONNREFUSED and it sheds the load, until the channel has shown that it
 * takes jobs again. Run as root with chan.ko loaded:
 *
 *	handler_worker [-w WORKERS] [-q]
 *
 *	-w N	worker processes (1..16, default 3)
 *	-q	quiet: only the totals and the verdict
 *
 * The phases, narrated with the time since the start:
 *
 *	(a) normal flow: every job is accepted and done;
 *	(b) the workers stall (SIGSTOP): the channel fills, sends time out,
 *	    the breaker opens and refuses sends at once;
 *	(c) the workers resume (SIGCONT): the open period ends, the half-open
 *	    probes go through, the breaker closes and the flow resumes;
 *	(d) the handler closes the channel: the workers drain it and exit.
 *
 * Exit 0 when the breaker was seen to open and to close again and every
 * accepted job was done exactly once (and no other job was); 1 otherwise,
 * saying why. The channel is created here (named "jobs" when the module
 * has names) and destroyed at the end.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libchan.h>

#define CAPACITY	8
#define SEND_TIMEOUT_NS	(50 * 1000000LL)
#define ARRIVAL_US	2000		/* a new job every 2 ms */
#define WORK_US		1000		/* processing a job */
#define NORMAL_JOBS	40		/* (a) */
#define SHED_MIN	10		/* (b): refusals before the workers resume */
#define SHED_MIN_MS	100
#define AFTER_CLOSE	30		/* (c): jobs accepted after recovery */
#define MAX_WORKERS	16
#define MAX_JOBS	8192
#define PHASE_MS	8000		/* bound of each phase */
#define RUN_S		25		/* bound of the whole run */

struct job {
	uint32_t id;
	uint32_t work_us;
};

/* Shared with the workers (MAP_SHARED). */
struct shared {
	unsigned int done_by[MAX_WORKERS];
	unsigned char done[MAX_JOBS];	/* times each job was done */
};

static struct shared *sh;
static int nworkers = 3;
static bool quiet;
static pid_t workers[MAX_WORKERS];
static int chan_index = -1;
static int fd = -1;
static uint64_t t_start;
static int failures;

/* The handler's books. */
static unsigned char accepted[MAX_JOBS];
static unsigned int produced, n_accepted, n_refused, n_timedout;
static uint64_t refused_ns[MAX_JOBS], timedout_ns;
static unsigned int last_state = CHAN_BREAKER_CLOSED;
static bool seen_open, closed_again;
static unsigned int seen_trips;

static double since_start(void)
{
	return (double)(chan_now_ns() - t_start) / 1e9;
}

__attribute__((format(printf, 1, 2)))
static void say(const char *fmt, ...)
{
	va_list ap;

	if (quiet)
		return;
	printf("[%7.3f] ", since_start());
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

__attribute__((format(printf, 1, 2)))
static void fail(const char *fmt, ...)
{
	va_list ap;

	printf("handler_worker: FAILED: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	failures++;
}

static void kill_workers(int sig)
{
	int i;

	for (i = 0; i < nworkers; i++)
		if (workers[i] > 0)
			kill(workers[i], sig);
}

/* The watchdog: the run is bounded whatever the channel does. */
static void on_alarm(int sig)
{
	static const char msg[] =
		"handler_worker: FAILED: still running after the time bound; killed\n";

	(void)sig;
	kill_workers(SIGKILL);
	if (write(STDOUT_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(1);
	if (chan_index >= 0)
		chan_destroy(chan_index, CHAN_DESTROY_F_FORCE);
	_exit(1);
}

/* chan_open, waiting up to 2 s for the node of a new channel. */
static int open_wait(int index, int flags)
{
	int i, r = -ENOENT;

	for (i = 0; i < 200 && r == -ENOENT; i++) {
		r = chan_open(index, flags);
		if (r == -ENOENT)
			usleep(10000);
	}
	return r;
}

static int worker(int w)
{
	struct job j;
	ssize_t n;
	int rfd;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	close(fd);
	rfd = open_wait(chan_index, O_RDONLY);
	if (rfd < 0) {
		fprintf(stderr, "handler_worker: worker %d: open: %s\n", w,
			strerror(-rfd));
		return 2;
	}
	for (;;) {
		n = chan_recv(rfd, &j, sizeof(j));
		if (n == 0)
			break;			/* closed and drained */
		if (n == -EINTR)
			continue;
		if (n != (ssize_t)sizeof(j) || j.id >= MAX_JOBS) {
			fprintf(stderr, "handler_worker: worker %d: recv: %s\n",
				w, n < 0 ? strerror((int)-n) : "bad job");
			return 2;
		}
		usleep(j.work_us);
		__atomic_add_fetch(&sh->done[j.id], 1, __ATOMIC_SEQ_CST);
		__atomic_add_fetch(&sh->done_by[w], 1, __ATOMIC_SEQ_CST);
	}
	close(rfd);
	return 0;
}

static unsigned int done_total(void)
{
	unsigned int i, n = 0;

	for (i = 0; i < (unsigned int)nworkers; i++)
		n += __atomic_load_n(&sh->done_by[i], __ATOMIC_SEQ_CST);
	return n;
}

/* Note the breaker's state after a send, narrating each transition. */
static void watch_breaker(void)
{
	struct chan_breaker_status st;
	int r = chan_breaker_status(fd, &st);

	if (r < 0) {
		fail("CHAN_IOC_GET_BREAKER_STATUS: %s", strerror(-r));
		return;
	}
	if (st.state == last_state)
		return;
	say("breaker %s -> %s (trips %llu, open period %u ms)",
	    chan_breaker_state_name(last_state),
	    chan_breaker_state_name(st.state),
	    (unsigned long long)st.trips, st.current_open_ms);
	if (st.state == CHAN_BREAKER_OPEN)
		seen_open = true;
	if (st.state == CHAN_BREAKER_CLOSED && seen_open)
		closed_again = true;
	seen_trips = (unsigned int)st.trips;
	last_state = st.state;
}

/*
 * One job arrives: push it with the send timeout. Returns the send's
 * result: 0, -ETIMEDOUT or -ECONNREFUSED (anything else is a failure).
 */
static int submit(void)
{
	struct job j = { .id = produced, .work_us = WORK_US };
	uint64_t t0, dt;
	int r;

	if (produced >= MAX_JOBS) {
		fail("more than %d jobs", MAX_JOBS);
		return -E2BIG;
	}
	t0 = chan_now_ns();
	r = chan_send_timeout(fd, &j, sizeof(j), SEND_TIMEOUT_NS);
	dt = chan_now_ns() - t0;
	produced++;
	switch (r) {
	case 0:
		accepted[j.id] = 1;
		n_accepted++;
		break;
	case -ETIMEDOUT:
		timedout_ns += dt;
		n_timedout++;
		break;
	case -ECONNREFUSED:
		refused_ns[n_refused++] = dt;
		break;
	default:
		fail("send of job %u: %s", j.id, strerror(-r));
		break;
	}
	watch_breaker();
	return r;
}

static bool past(uint64_t deadline)
{
	return chan_now_ns() >= deadline;
}

static uint64_t in_ms(unsigned int ms)
{
	return chan_now_ns() + (uint64_t)ms * 1000000ULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* (a) */
static void normal_flow(void)
{
	unsigned int i, a0 = n_accepted;
	uint64_t deadline;

	say("(a) normal flow: %d jobs, one every %d ms, each taking %d ms of work",
	    NORMAL_JOBS, ARRIVAL_US / 1000, WORK_US / 1000);
	for (i = 0; i < NORMAL_JOBS && !failures; i++) {
		submit();
		usleep(ARRIVAL_US);
	}
	deadline = in_ms(PHASE_MS);
	while (done_total() < n_accepted && !past(deadline))
		usleep(1000);
	if (!quiet) {
		char per[128];
		int len = 0, w;

		for (w = 0; w < nworkers; w++)
			len += snprintf(per + len, sizeof(per) - len, "%s%u",
					w ? " " : "", sh->done_by[w]);
		say("(a) %u accepted, %u done (per worker: %s), %u timed out, breaker %s",
		    n_accepted - a0, done_total(), per, n_timedout,
		    chan_breaker_state_name(last_state));
	}
	if (n_accepted - a0 != NORMAL_JOBS || done_total() != n_accepted)
		fail("(a) %u of %d jobs accepted, %u done", n_accepted - a0,
		     NORMAL_JOBS, done_total());
}

/* (b) */
static void stall(void)
{
	unsigned int accepted0 = n_accepted, refused0, i;
	uint64_t deadline, t_open, sum = 0;
	bool timed_out = false;
	int status, w;

	kill_workers(SIGSTOP);
	for (w = 0; w < nworkers; w++)
		if (waitpid(workers[w], &status, WUNTRACED) != workers[w] ||
		    !WIFSTOPPED(status))
			fail("(b) worker %d did not stop", w);
	say("(b) the workers stall (SIGSTOP): nothing takes jobs any more");
	deadline = in_ms(PHASE_MS);
	while (!seen_open && !failures && !past(deadline)) {
		int r = submit();

		if (r == -ETIMEDOUT && !timed_out) {
			say("(b) the channel is full after %u more jobs: sends now time out after %lld ms",
			    n_accepted - accepted0, SEND_TIMEOUT_NS / 1000000);
			timed_out = true;
		}
		if (r)
			continue;	/* a timeout took its time already */
		usleep(ARRIVAL_US);
	}
	if (!seen_open) {
		fail("(b) the breaker did not open within %d ms (%u timeouts)",
		     PHASE_MS, n_timedout);
		return;
	}
	say("(b) %u sends timed out (%.1f ms each on average): the breaker opened",
	    n_timedout, n_timedout ? timedout_ns / 1e6 / n_timedout : 0.0);
	/* Shed load for a while: every job refused at once. */
	refused0 = n_refused;
	t_open = chan_now_ns();
	deadline = in_ms(PHASE_MS);
	while ((n_refused - refused0 < SHED_MIN ||
		chan_now_ns() - t_open < SHED_MIN_MS * 1000000ULL) &&
	       !failures && !past(deadline)) {
		submit();
		usleep(ARRIVAL_US);
	}
	for (i = refused0; i < n_refused; i++)
		sum += refused_ns[i];
	if (n_refused == refused0) {
		fail("(b) no send was refused while the breaker was open");
		return;
	}
	say("(b) shedding load: %u jobs refused with ECONNREFUSED, %.1f us each on average",
	    n_refused - refused0, sum / 1e3 / (n_refused - refused0));
}

/* (c) */
static void recover(void)
{
	unsigned int after = 0;
	uint64_t deadline;

	kill_workers(SIGCONT);
	say("(c) the workers resume (SIGCONT) and drain the channel");
	deadline = in_ms(PHASE_MS);
	while (!closed_again && !failures && !past(deadline)) {
		submit();
		usleep(ARRIVAL_US);
	}
	if (!closed_again) {
		fail("(c) the breaker did not close again within %d ms", PHASE_MS);
		return;
	}
	say("(c) the probes went through: the breaker is closed, the flow resumes");
	deadline = in_ms(PHASE_MS);
	while (after < AFTER_CLOSE && !failures && !past(deadline)) {
		if (submit() == 0)
			after++;
		usleep(ARRIVAL_US);
	}
	say("(c) %u more jobs accepted after the recovery, breaker %s", after,
	    chan_breaker_state_name(last_state));
	if (after < AFTER_CLOSE)
		fail("(c) only %u jobs accepted after the recovery", after);
}

/* (d) */
static void drain(void)
{
	int r, w, status, bad = 0;
	unsigned int i, lost = 0, dup = 0, extra = 0;

	kill_workers(SIGCONT);		/* in case (b) or (c) failed */
	r = chan_close(fd);
	if (r < 0)
		fail("(d) chan_close: %s", strerror(-r));
	say("(d) the handler closes the channel: the workers drain it and exit");
	for (w = 0; w < nworkers; w++) {
		if (waitpid(workers[w], &status, 0) != workers[w] ||
		    !WIFEXITED(status) || WEXITSTATUS(status)) {
			fail("(d) worker %d did not exit 0 (status 0x%x)", w, status);
			bad++;
		}
		workers[w] = 0;
	}
	if (!bad)
		say("(d) the %d workers exited; %u jobs done", nworkers, done_total());
	for (i = 0; i < produced; i++) {
		if (accepted[i] && sh->done[i] == 0)
			lost++;
		else if (accepted[i] && sh->done[i] > 1)
			dup++;
		else if (!accepted[i] && sh->done[i])
			extra++;
	}
	if (lost || dup || extra)
		fail("(d) accepted jobs lost %u, done twice %u; not accepted but done %u",
		     lost, dup, extra);
}

static void usage(void)
{
	fprintf(stderr, "usage: handler_worker [-w WORKERS] [-q]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct chan_breaker_config cfg;
	struct chan_attr attr;
	char name[CHAN_NAME_MAX] = "";
	uint64_t median = 0, max = 0;
	int opt, r, w, abi;

	while ((opt = getopt(argc, argv, "w:q")) != -1) {
		switch (opt) {
		case 'w':
			nworkers = atoi(optarg);
			if (nworkers < 1 || nworkers > MAX_WORKERS)
				usage();
			break;
		case 'q':
			quiet = true;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	t_start = chan_now_ns();
	signal(SIGALRM, on_alarm);
	alarm(RUN_S);

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		perror("handler_worker: mmap");
		return 1;
	}
	abi = chan_abi_version();
	if (abi < 0) {
		fprintf(stderr, "handler_worker: %s: %s\n", CHAN_CONTROL_PATH,
			strerror(-abi));
		return 1;
	}
	chan_attr_init(&attr);
	attr.capacity = CAPACITY;
	attr.msg_size = sizeof(struct job);
	if (abi >= 2) {
		snprintf(name, sizeof(name), "jobs");
		attr.name = name;
	}
	chan_index = chan_create_attr(&attr);
	if (chan_index == -EEXIST && abi >= 2) {
		/* Someone has a "jobs" already: ours gets the pid too. */
		snprintf(name, sizeof(name), "jobs-%d", (int)getpid());
		chan_index = chan_create_attr(&attr);
	}
	if (chan_index < 0) {
		fprintf(stderr, "handler_worker: creating the channel: %s\n",
			strerror(-chan_index));
		return 1;
	}
	fd = open_wait(chan_index, O_RDWR);
	if (fd < 0) {
		fprintf(stderr, "handler_worker: opening chan%d: %s\n",
			chan_index, strerror(-fd));
		chan_destroy(chan_index, CHAN_DESTROY_F_FORCE);
		return 1;
	}

	chan_breaker_config_init(&cfg);
	cfg.mode = CHAN_BREAKER_AUTO;
	cfg.window_ms = 500;
	cfg.min_calls = 5;
	cfg.failure_pct = 50;
	/* Fixed 300 ms: the many successes of (a) would shorten open_ms. */
	cfg.open_ms = 300;
	cfg.open_min_ms = 300;
	cfg.open_max_ms = 1200;
	cfg.half_open_probes = 2;
	cfg.half_open_max_ms = 1000;
	r = chan_breaker_set(fd, &cfg);
	if (r < 0) {
		fprintf(stderr, "handler_worker: chan_breaker_set: %s\n", strerror(-r));
		close(fd);
		chan_destroy(chan_index, 0);
		return 1;
	}
	if (!quiet) {
		printf("handler_worker: chan%d%s%s%s: capacity %d, send timeout %lld ms, %d workers\n",
		       chan_index, name[0] ? " \"" : "", name, name[0] ? "\"" : "",
		       CAPACITY, SEND_TIMEOUT_NS / 1000000, nworkers);
		printf("handler_worker: breaker %s: window %u ms, min_calls %u, failure_pct %u, open %u ms, %u half-open probes\n",
		       chan_breaker_mode_name(cfg.mode), cfg.window_ms, cfg.min_calls,
		       cfg.failure_pct, cfg.open_ms, cfg.half_open_probes);
	}

	fflush(stdout);
	for (w = 0; w < nworkers; w++) {
		workers[w] = fork();
		if (workers[w] < 0) {
			fail("fork: %s", strerror(errno));
			nworkers = w;
			break;
		}
		if (workers[w] == 0) {
			alarm(0);
			_exit(worker(w));
		}
	}

	if (!failures)
		normal_flow();
	if (!failures)
		stall();
	if (!failures || seen_open)
		recover();		/* the workers must resume anyway */
	drain();

	if (n_refused) {
		qsort(refused_ns, n_refused, sizeof(refused_ns[0]), cmp_u64);
		median = refused_ns[n_refused / 2];
		max = refused_ns[n_refused - 1];
	}
	printf("handler_worker: produced %u, accepted %u, done %u, refused %u, timed out %u\n",
	       produced, n_accepted, done_total(), n_refused, n_timedout);
	printf("handler_worker: a refused send took %.1f us (median; max %.1f us), a timed-out one %.1f ms\n",
	       median / 1e3, max / 1e3,
	       n_timedout ? timedout_ns / 1e6 / n_timedout : 0.0);
	if (produced != n_accepted + n_refused + n_timedout)
		fail("produced %u != accepted + refused + timed out", produced);
	if (done_total() != n_accepted)
		fail("done %u != accepted %u", done_total(), n_accepted);
	if (!seen_open)
		fail("the breaker never opened");
	else if (!closed_again)
		fail("the breaker did not close again");
	if (n_refused && median * 10 >= (uint64_t)SEND_TIMEOUT_NS)
		fail("a refused send took %.1f us (median): not much faster than the timeout",
		     median / 1e3);

	close(fd);
	r = chan_destroy(chan_index, 0);
	if (r < 0)
		fail("destroying chan%d: %s", chan_index, strerror(-r));
	chan_index = -1;
	if (failures)
		return 1;
	printf("handler_worker: OK: the breaker opened (trips: %u) and closed again; every accepted job done exactly once\n",
	       seen_trips);
	return 0;
}
