// SPDX-License-Identifier: GPL-2.0
/*
 * guarded_call: several processes calling one flaky downstream (a
 * database, an HTTP backend) through one shared circuit breaker, the
 * breaker of a channel used for nothing else. Each call goes through
 * chan_guarded_call(): a ticket from CHAN_IOC_BREAKER_ACQUIRE, the call
 * with a deadline, its outcome to CHAN_IOC_BREAKER_REPORT, and retries with
 * exponential backoff and jitter. Run as root with chan.ko loaded:
 *
 *	guarded_call [-k CLIENTS] [-q]
 *
 *	-k N	client processes (1..8, default 3)
 *	-q	quiet: only the verdict lines
 *
 * The downstream is simulated in shared memory: healthy, then failing (it
 * returns -EIO, or every fourth call hangs past its deadline), then
 * healthy again. The phases, as the coordinator (the main process) sees
 * them:
 *
 *	healthy         every call succeeds;
 *	failing         the downstream fails, the breaker is still closed;
 *	failing, open   the breaker has tripped: every client is refused
 *	                at once, the downstream sees only half-open probes;
 *	healthy, open   the downstream is back, the breaker not yet;
 *	recovered       the probes succeeded, the breaker is closed again.
 *
 * For each phase: the clients' calls that succeeded, failed after their
 * retries or were refused (ECONNREFUSED), their attempts, how often the
 * downstream was really called, and the calls that were still running
 * when the next phase began (counted in the phase they started in). Exit 0 only when the breaker opened for
 * every client, kept the calls away from the downstream while it was
 * open, and closed again once it recovered; 1 otherwise, saying why.
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

#define MAX_CLIENTS	8
#define CALL_GAP_US	3000		/* between a client's calls */
#define HEALTHY_MS	500
#define FAILING_OPEN_MS	1000
#define RECOVERED_MS	400
#define PHASE_MS	8000		/* bound of the phases that wait */
#define RUN_S		25
#define PROBES		2
#define NSEC_PER_MSEC	1000000ULL

enum phase {
	P_HEALTHY,
	P_FAILING,
	P_FAILING_OPEN,
	P_HEALTHY_OPEN,
	P_RECOVERED,
	NR_PHASES,
};

static const char *const phase_name[NR_PHASES] = {
	"healthy", "failing", "failing, open", "healthy, open", "recovered",
};

struct counts {
	unsigned int calls, ok, failed, refused, attempts;
	unsigned int invoked;	/* attempts that reached the downstream */
	unsigned int crossed;	/* calls that ended in a later phase */
};

/* Shared by the coordinator, the clients and the "downstream". */
struct shared {
	int phase;			/* enum phase, set by the coordinator */
	int failing;			/* the downstream's health */
	int stop;
	unsigned int invoked[NR_PHASES];	/* the downstream's own count */
	unsigned int failing_calls;
	struct counts c[MAX_CLIENTS][NR_PHASES];	/* each client its row */
};

static struct shared *sh;
static int nclients = 3;
static bool quiet;
static pid_t clients[MAX_CLIENTS];
static int chan_index = -1;
static int fd = -1;
static uint64_t t_start;
static int failures;

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

	printf("guarded_call: FAILED: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	failures++;
}

static void on_alarm(int sig)
{
	static const char msg[] =
		"guarded_call: FAILED: still running after the time bound; killed\n";
	int i;

	(void)sig;
	for (i = 0; i < nclients; i++)
		if (clients[i] > 0)
			kill(clients[i], SIGKILL);
	if (write(STDOUT_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(1);
	if (chan_index >= 0)
		chan_destroy(chan_index, CHAN_DESTROY_F_FORCE);
	_exit(1);
}

static void sleep_until(uint64_t t)
{
	uint64_t now;

	while ((now = chan_now_ns()) < t)
		usleep((useconds_t)((t - now) / 1000 + 1));
}

/*
 * The downstream: 0 when healthy; when failing -EIO, or every fourth call
 * hangs until past its deadline (chan_guarded_call() makes that a late
 * success, -ETIMEDOUT).
 */
static int downstream(void *arg, uint64_t deadline_ns)
{
	struct shared *s = arg;
	int phase = __atomic_load_n(&s->phase, __ATOMIC_SEQ_CST);

	__atomic_add_fetch(&s->invoked[phase], 1, __ATOMIC_SEQ_CST);
	if (!__atomic_load_n(&s->failing, __ATOMIC_SEQ_CST)) {
		usleep(200);
		return 0;
	}
	if (__atomic_add_fetch(&s->failing_calls, 1, __ATOMIC_SEQ_CST) % 4 == 0 &&
	    deadline_ns) {
		sleep_until(deadline_ns + NSEC_PER_MSEC);
		return 0;
	}
	usleep(500);
	return -EIO;
}

static int client(int k)
{
	struct chan_call_opts opts = {
		.timeout_ns = 20 * NSEC_PER_MSEC,
		.max_attempts = 3,
		.backoff_ns = 5 * NSEC_PER_MSEC,
		.backoff_max_ns = 40 * NSEC_PER_MSEC,
		.multiplier_pct = 200,
		.jitter_pct = 20,
	};
	unsigned int attempts;
	struct counts *c;
	int phase, r;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	opts.attempts = &attempts;
	while (!__atomic_load_n(&sh->stop, __ATOMIC_SEQ_CST)) {
		phase = __atomic_load_n(&sh->phase, __ATOMIC_SEQ_CST);
		attempts = 0;
		r = chan_guarded_call(fd, downstream, sh, &opts);
		c = &sh->c[k][phase];
		c->calls++;
		c->attempts += attempts;
		c->crossed += __atomic_load_n(&sh->phase, __ATOMIC_SEQ_CST) != phase;
		/* Without CHAN_CALL_RETRY_REFUSED a refusal ends the call. */
		c->invoked += attempts - (r == -ECONNREFUSED);
		if (r == 0) {
			c->ok++;
		} else if (r == -ECONNREFUSED) {
			c->refused++;
		} else if (r == -EIO || r == -ETIMEDOUT) {
			c->failed++;
		} else {
			fprintf(stderr, "guarded_call: client %d: %s\n", k,
				strerror(-r));
			return 2;
		}
		usleep(CALL_GAP_US);
	}
	return 0;
}

static void set_phase(int phase)
{
	__atomic_store_n(&sh->phase, phase, __ATOMIC_SEQ_CST);
	say("phase \"%s\"", phase_name[phase]);
}

/* Wait until the breaker's state is (@want) or is not (!@want) @state. */
static bool wait_state(unsigned int state, bool want, unsigned int ms,
		       struct chan_breaker_status *st)
{
	uint64_t end = chan_now_ns() + ms * NSEC_PER_MSEC;
	int r;

	do {
		r = chan_breaker_status(fd, st);
		if (r < 0) {
			fail("chan_breaker_status: %s", strerror(-r));
			return false;
		}
		if ((st->state == state) == want)
			return true;
		usleep(2000);
	} while (chan_now_ns() < end);
	return false;
}

static void sum_phase(int p, struct counts *t)
{
	int k;

	memset(t, 0, sizeof(*t));
	for (k = 0; k < nclients; k++) {
		t->calls += sh->c[k][p].calls;
		t->ok += sh->c[k][p].ok;
		t->failed += sh->c[k][p].failed;
		t->refused += sh->c[k][p].refused;
		t->attempts += sh->c[k][p].attempts;
		t->invoked += sh->c[k][p].invoked;
		t->crossed += sh->c[k][p].crossed;
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: guarded_call [-k CLIENTS] [-q]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct chan_breaker_status st;
	struct chan_breaker_config cfg;
	struct chan_attr attr;
	struct counts t[NR_PHASES], all = { 0 };
	char name[CHAN_NAME_MAX] = "", line[160];
	unsigned int trips_open, trips_end, downstream_total = 0, bound;
	int opt, r, k, p, status, abi, len;

	while ((opt = getopt(argc, argv, "k:q")) != -1) {
		switch (opt) {
		case 'k':
			nclients = atoi(optarg);
			if (nclients < 1 || nclients > MAX_CLIENTS)
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
		perror("guarded_call: mmap");
		return 1;
	}
	abi = chan_abi_version();
	if (abi < 0) {
		fprintf(stderr, "guarded_call: %s: %s\n", CHAN_CONTROL_PATH,
			strerror(-abi));
		return 1;
	}
	/* A channel for its breaker alone: nothing is ever sent on it. */
	chan_attr_init(&attr);
	attr.capacity = 1;
	attr.msg_size = 8;
	if (abi >= 2) {
		snprintf(name, sizeof(name), "downstream-%d", (int)getpid());
		attr.name = name;
	}
	chan_index = chan_create_attr(&attr);
	if (chan_index < 0) {
		fprintf(stderr, "guarded_call: creating the channel: %s\n",
			strerror(-chan_index));
		return 1;
	}
	for (r = 0; r < 200; r++) {
		fd = chan_open(chan_index, O_RDWR);
		if (fd != -ENOENT)
			break;
		usleep(10000);
	}
	if (fd < 0) {
		fprintf(stderr, "guarded_call: opening chan%d: %s\n", chan_index,
			strerror(-fd));
		chan_destroy(chan_index, CHAN_DESTROY_F_FORCE);
		return 1;
	}
	chan_breaker_config_init(&cfg);
	cfg.mode = CHAN_BREAKER_AUTO;
	cfg.window_ms = 400;
	cfg.min_calls = 5;
	cfg.failure_pct = 50;
	/* Fixed 300 ms, doubling on a failed probe: no adaptation. */
	cfg.open_ms = 300;
	cfg.open_min_ms = 300;
	cfg.open_max_ms = 1200;
	cfg.half_open_probes = PROBES;
	cfg.half_open_max_ms = 1000;
	r = chan_breaker_set(fd, &cfg);
	if (r < 0) {
		fprintf(stderr, "guarded_call: chan_breaker_set: %s\n", strerror(-r));
		close(fd);
		chan_destroy(chan_index, 0);
		return 1;
	}
	if (!quiet) {
		printf("guarded_call: %d clients share the breaker of chan%d%s%s%s (%s: window %u ms, min_calls %u, failure_pct %u, open %u ms, %u probes)\n",
		       nclients, chan_index, name[0] ? " \"" : "", name,
		       name[0] ? "\"" : "", chan_breaker_mode_name(cfg.mode),
		       cfg.window_ms, cfg.min_calls, cfg.failure_pct, cfg.open_ms,
		       cfg.half_open_probes);
		printf("guarded_call: each call: deadline 20 ms, 3 attempts, backoff 5 ms x2 +-20%%\n");
	}

	fflush(stdout);
	set_phase(P_HEALTHY);
	for (k = 0; k < nclients; k++) {
		clients[k] = fork();
		if (clients[k] < 0) {
			fail("fork: %s", strerror(errno));
			nclients = k;
			break;
		}
		if (clients[k] == 0) {
			alarm(0);
			_exit(client(k));
		}
	}

	usleep(HEALTHY_MS * 1000);
	__atomic_store_n(&sh->failing, 1, __ATOMIC_SEQ_CST);
	set_phase(P_FAILING);
	if (!wait_state(CHAN_BREAKER_CLOSED, false, PHASE_MS, &st))
		fail("the breaker did not open within %d ms of failures", PHASE_MS);
	trips_open = (unsigned int)st.trips;
	set_phase(P_FAILING_OPEN);
	say("breaker %s (trips %u): the clients are refused", chan_breaker_state_name(st.state),
	    trips_open);
	usleep(FAILING_OPEN_MS * 1000);
	chan_breaker_status(fd, &st);
	trips_end = (unsigned int)st.trips;
	__atomic_store_n(&sh->failing, 0, __ATOMIC_SEQ_CST);
	set_phase(P_HEALTHY_OPEN);
	if (!wait_state(CHAN_BREAKER_CLOSED, true, PHASE_MS, &st))
		fail("the breaker did not close within %d ms of recovery", PHASE_MS);
	set_phase(P_RECOVERED);
	say("breaker %s (trips %llu): calls go through again",
	    chan_breaker_state_name(st.state), (unsigned long long)st.trips);
	usleep(RECOVERED_MS * 1000);
	__atomic_store_n(&sh->stop, 1, __ATOMIC_SEQ_CST);

	for (k = 0; k < nclients; k++) {
		if (waitpid(clients[k], &status, 0) != clients[k] ||
		    !WIFEXITED(status) || WEXITSTATUS(status))
			fail("client %d did not exit 0 (status 0x%x)", k, status);
		clients[k] = 0;
	}
	r = chan_breaker_status(fd, &st);
	if (r == 0 && st.state != CHAN_BREAKER_CLOSED)
		fail("the breaker is %s at the end", chan_breaker_state_name(st.state));

	if (!quiet)
		printf("guarded_call: %-14s %6s %6s %6s %8s %9s %11s %8s\n", "phase",
		       "calls", "ok", "failed", "refused", "attempts",
		       "downstream", "crossed");
	for (p = 0; p < NR_PHASES; p++) {
		sum_phase(p, &t[p]);
		all.calls += t[p].calls;
		all.invoked += t[p].invoked;
		downstream_total += sh->invoked[p];
		if (!quiet)
			printf("guarded_call: %-14s %6u %6u %6u %8u %9u %11u %8u\n",
			       phase_name[p], t[p].calls, t[p].ok, t[p].failed,
			       t[p].refused, t[p].attempts, sh->invoked[p],
			       t[p].crossed);
	}

	/*
	 * Healthy: every call succeeded, but those still running when the
	 * downstream began to fail.
	 */
	if (!t[P_HEALTHY].ok ||
	    t[P_HEALTHY].ok + t[P_HEALTHY].crossed < t[P_HEALTHY].calls)
		fail("healthy: %u of %u calls succeeded, %u crossed into failing",
		     t[P_HEALTHY].ok, t[P_HEALTHY].calls, t[P_HEALTHY].crossed);
	/* Failing, open: every client refused, the downstream left alone. */
	len = snprintf(line, sizeof(line), "refusals per client:");
	for (k = 0; k < nclients; k++) {
		len += snprintf(line + len, sizeof(line) - len, " %u",
				sh->c[k][P_FAILING_OPEN].refused);
		if (!sh->c[k][P_FAILING_OPEN].refused)
			fail("client %d was never refused while the breaker was open", k);
	}
	printf("guarded_call: the breaker opened for every client: %s\n", line);
	/*
	 * While open, only the half-open probes reach the downstream: at most
	 * PROBES per half-open period (one per trip in the phase, plus the one
	 * that closes or ends it), and the calls admitted before the trip
	 * still running (one per client).
	 */
	bound = PROBES * (trips_end - trips_open + 1) + nclients;
	printf("guarded_call: while failing with the breaker open: %u calls, %u reached the downstream (bound %u)\n",
	       t[P_FAILING_OPEN].calls, sh->invoked[P_FAILING_OPEN], bound);
	if (sh->invoked[P_FAILING_OPEN] > bound)
		fail("%u downstream calls while the breaker was open, more than %u",
		     sh->invoked[P_FAILING_OPEN], bound);
	if (trips_end < trips_open || trips_open < 1)
		fail("trips %u then %u", trips_open, trips_end);
	/* Recovered: every call succeeded, in every client. */
	for (k = 0; k < nclients; k++)
		if (!sh->c[k][P_RECOVERED].calls ||
		    sh->c[k][P_RECOVERED].ok != sh->c[k][P_RECOVERED].calls)
			fail("recovered: client %d: %u of %u calls succeeded", k,
			     sh->c[k][P_RECOVERED].ok, sh->c[k][P_RECOVERED].calls);
	printf("guarded_call: recovered: breaker closed, %u of %u calls ok\n",
	       t[P_RECOVERED].ok, t[P_RECOVERED].calls);
	/* Every attempt that was not refused reached the downstream once. */
	printf("guarded_call: %u calls, %u attempts reached the downstream, which counted %u\n",
	       all.calls, all.invoked, downstream_total);
	if (all.invoked != downstream_total)
		fail("the clients made %u attempts, the downstream saw %u",
		     all.invoked, downstream_total);

	close(fd);
	r = chan_destroy(chan_index, 0);
	if (r < 0)
		fail("destroying chan%d: %s", chan_index, strerror(-r));
	chan_index = -1;
	if (failures)
		return 1;
	printf("guarded_call: OK: the breaker opened for all %d clients and closed again after the recovery\n",
	       nclients);
	return 0;
}
