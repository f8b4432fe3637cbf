// SPDX-License-Identifier: GPL-2.0
/*
 * Description: the select examples work (userspace/examples/, in the VM
 * under /kchan/examples/ or $KCHAN_EXAMPLES). sieve, the concurrent prime
 * sieve, prints exactly the first N primes (N = 25 by default, and 100),
 * each process having exited 0 and every channel destroyed; mux, the
 * multiplexer over two inputs and a quit channel, serves every message of
 * both producers, counts them per input and stops on quit. quickstart (the
 * README's libchan program) delivers its three jobs in order, then the
 * end, and gets EPIPE after close. handler_worker
 * (a handler pushing jobs to workers through a channel whose breaker sheds
 * load while the workers stall) sees the breaker open then close, refuses
 * jobs in microseconds, and does every accepted job exactly once: its
 * totals add up. guarded_call (clients calling a flaky downstream through
 * one shared breaker) sees every client refused while the breaker is open,
 * the downstream reached only by the probes then, and every call succeed
 * after the recovery. chaos_rehearsal.sh (pausing a channel's receivers
 * with the chaos knobs) sees sends time out, the breaker open and close
 * again, and every accepted job received. Each run exits 0 within its
 * bound and leaves no channel behind.
 */
#include <dirent.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "helpers.h"

#define EXAMPLES	"/kchan/examples"
#define RUN_MS		60000
#define OUT_MAX		(256 * 1024)

static const char *dir;

/* Channels that exist now: entries of /sys/class/chan. */
static int count_chans(void)
{
	DIR *d = opendir(T_SYSFS_CLASS);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		n += !strncmp(de->d_name, "chan", 4);
	closedir(d);
	return n;
}

/* @name's output, line by line (t_diag cuts long messages). */
static void diag_output(const char *name, const char *out)
{
	const char *nl;

	t_diag("%s printed:", name);
	for (; *out; out = *nl ? nl + 1 : nl) {
		nl = strchrnul(out, '\n');
		t_diag("  %.*s", (int)(nl - out), out);
	}
}

/*
 * Run example @name with up to two arguments; its stdout into @out. In a
 * process group of its own, so that a hang kills all of its processes.
 * The exit status, or -1 when it was killed for taking over RUN_MS.
 */
static int run(const char *name, const char *arg1, const char *arg2,
	       char *out, size_t size)
{
	char path[256];
	size_t len = 0;
	uint64_t end = t_now_ns() + RUN_MS * T_NSEC_PER_MSEC;
	bool hung = false;
	int fds[2], status;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	out[0] = '\0';
	if (pipe(fds))
		t_bail("pipe: %m");
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		t_bail("fork: %m");
	if (pid == 0) {
		setpgid(0, 0);
		dup2(fds[1], STDOUT_FILENO);
		dup2(fds[1], STDERR_FILENO);
		close(fds[0]);
		close(fds[1]);
		alarm(0);
		execl(path, path, arg1, arg2, (char *)NULL);
		_exit(127);
	}
	setpgid(pid, pid);
	close(fds[1]);
	for (;;) {
		struct pollfd p = { .fd = fds[0], .events = POLLIN };
		uint64_t now = t_now_ns();
		ssize_t n;

		if (now >= end) {
			hung = true;
			break;
		}
		if (poll(&p, 1, (int)((end - now) / T_NSEC_PER_MSEC) + 1) <= 0)
			continue;
		if (len + 1 >= size) {
			char sink[4096];

			n = read(fds[0], sink, sizeof(sink));
		} else {
			n = read(fds[0], out + len, size - 1 - len);
			if (n > 0)
				len += (size_t)n;
		}
		if (n == 0)
			break;
		if (n < 0 && errno != EINTR)
			break;
	}
	out[len] = '\0';
	close(fds[0]);
	if (hung)
		kill(-pid, SIGKILL);
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (hung) {
		t_diag("%s %s %s: still running after %d ms; killed", name,
		       arg1 ?: "", arg2 ?: "", RUN_MS);
		return -1;
	}
	if (!WIFEXITED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

static bool is_prime(int v)
{
	int d;

	if (v < 2)
		return false;
	for (d = 2; d * d <= v; d++)
		if (v % d == 0)
			return false;
	return true;
}

/* The lines of @out that are numbers, into @nums: how many. */
static int numbers(const char *out, int *nums, int max)
{
	const char *p = out;
	char *end;
	int n = 0;
	long v;

	while (*p) {
		v = strtol(p, &end, 10);
		if (end != p && *end == '\n' && n < max)
			nums[n++] = (int)v;
		p = strchrnul(p, '\n');
		if (*p)
			p++;
	}
	return n;
}

static void test_sieve(const char *arg, int want)
{
	static const int first25[] = {
		2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59,
		61, 67, 71, 73, 79, 83, 89, 97,
	};
	static char out[OUT_MAX];
	int nums[1024], n, i, v, bad = -1, before = count_chans();
	char line[128];

	T_EQ(run("sieve", arg, NULL, out, sizeof(out)), 0,
	     "sieve %s exits 0", arg ?: "(default N)");
	n = numbers(out, nums, (int)T_ARRAY_SIZE(nums));
	T_EQ(n, want, "  ... and prints %d numbers", want);
	/* The i-th prime, by trial division; the first 25 also by heart. */
	for (i = 0, v = 1; i < n && bad < 0; i++) {
		while (!is_prime(++v))
			;
		if (nums[i] != v || (i < 25 && nums[i] != first25[i]))
			bad = i;
	}
	if (!T_EQ(bad, -1, "  ... the first %d primes, in order", want))
		t_diag("number %d printed is %d", bad + 1, nums[bad]);
	snprintf(line, sizeof(line),
		 "sieve: %d primes, %d processes exited, %d channels destroyed\n",
		 want, want, want + 1);
	if (!T_OK(strstr(out, line), "  ... all %d processes exited 0 and %d channels were destroyed",
		  want, want + 1))
		diag_output("sieve", out);
	T_EQ(count_chans(), before, "  ... no channel is left behind");
}

static void test_mux(const char *na, const char *nb)
{
	static char out[OUT_MAX];
	int a = atoi(na), b = atoi(nb), la = 0, lb = 0, before = count_chans();
	const char *p;
	char line[128];

	T_EQ(run("mux", na, nb, out, sizeof(out)), 0, "mux %s %s exits 0", na, nb);
	for (p = out; (p = strstr(p, "    a: \"a ")); p++)
		la++;
	for (p = out; (p = strstr(p, "    b: \"b ")); p++)
		lb++;
	T_EQ(la, a, "  ... serves the %d messages of producer a", a);
	T_EQ(lb, b, "  ... and the %d of producer b", b);
	snprintf(line, sizeof(line), "mux: a=%d b=%d, quit after %d messages\n",
		 a, b, a + b);
	if (!T_OK(strstr(out, line), "  ... counts them per input and quits on quit"))
		diag_output("mux", out);
	T_EQ(count_chans(), before, "  ... no channel is left behind");
}

/*
 * quickstart, the README's libchan program: the worker gets the three
 * jobs in order, a send after close is EPIPE, the worker sees the end,
 * and the channel is gone.
 */
static void test_quickstart(void)
{
	static const char *const want[] = {
		"sent \"resize img-1\": ok\n",
		"sent \"resize img-2\": ok\n",
		"sent \"thumbnail img-3\": ok\n",
		"a send after close: Broken pipe\n",
		"worker: got \"resize img-1\"\nworker: got \"resize img-2\"\n"
		"worker: got \"thumbnail img-3\"\n"
		"worker: channel closed and drained (end)\n",
		"destroyed chan",
	};
	static char out[OUT_MAX];
	int before = count_chans();
	bool all = true;
	size_t i;

	T_EQ(run("quickstart", NULL, NULL, out, sizeof(out)), 0, "quickstart exits 0");
	for (i = 0; i < T_ARRAY_SIZE(want); i++)
		all &= T_OK(strstr(out, want[i]), "  ... prints %.*s", (int)strcspn(want[i], "\n"),
			    want[i]);
	if (!all)
		diag_output("quickstart", out);
	T_EQ(count_chans(), before, "  ... no channel is left behind");
}

/* The text after the first @prefix in @out, or NULL. */
static const char *after(const char *out, const char *prefix)
{
	const char *p = strstr(out, prefix);

	return p ? p + strlen(prefix) : NULL;
}

static void test_handler_worker(const char *arg1, const char *arg2)
{
	static char out[OUT_MAX];
	unsigned int produced, accepted, done, refused, timedout;
	const char *p, *open_at, *closed_at;
	double med, max, tmo;
	int before = count_chans(), rc;
	bool quiet = arg1 && !strcmp(arg1, "-q");

	rc = run("handler_worker", arg1, arg2, out, sizeof(out));
	if (!T_EQ(rc, 0, "handler_worker %s %s exits 0", arg1 ?: "", arg2 ?: ""))
		diag_output("handler_worker", out);
	p = after(out, "handler_worker: produced ");
	if (!T_OK(p && sscanf(p, "%u, accepted %u, done %u, refused %u, timed out %u",
			      &produced, &accepted, &done, &refused, &timedout) == 5,
		  "  ... prints its totals")) {
		diag_output("handler_worker", out);
		produced = accepted = done = refused = timedout = 0;
	}
	T_EQ(produced, accepted + refused + timedout,
	     "  ... produced = accepted + refused + timed out");
	T_EQ(done, accepted, "  ... every accepted job was done");
	T_GT(accepted, 40, "  ... the 40 jobs of normal flow and more were accepted");
	T_GT(timedout, 0, "  ... sends timed out while the workers stalled");
	T_GT(refused, 0, "  ... the open breaker refused jobs");
	p = after(out, "handler_worker: a refused send took ");
	if (T_OK(p && sscanf(p, "%lf us (median; max %lf us), a timed-out one %lf ms",
			     &med, &max, &tmo) == 3, "  ... prints the send latencies"))
		T_LT(med * 100, tmo * 1000,
		     "  ... a refused send (%.1f us) is 100x faster than a timeout (%.1f ms)",
		     med, tmo);
	if (quiet) {
		T_OK(!strstr(out, "] (a)"), "  ... -q leaves the timeline out");
	} else {
		open_at = strstr(out, "-> open");
		closed_at = open_at ? strstr(open_at, "-> closed") : NULL;
		if (!T_OK(open_at && closed_at,
			  "  ... narrates the breaker opening, then closing"))
			diag_output("handler_worker", out);
		T_OK(strstr(out, "] (d) the handler closes the channel"),
		     "  ... narrates the phases (a) to (d)");
	}
	T_OK(strstr(out, "handler_worker: OK: the breaker opened"),
	     "  ... says the breaker opened and closed again, nothing lost");
	T_EQ(count_chans(), before, "  ... no channel is left behind");
}

static void test_guarded_call(const char *nclients)
{
	static char out[OUT_MAX];
	unsigned int calls, reached, bound, ok, total, invoked, counted, v;
	int k = atoi(nclients), n = 0, zero = 0, before = count_chans(), off;
	const char *p;

	if (!T_EQ(run("guarded_call", "-k", nclients, out, sizeof(out)), 0,
		  "guarded_call -k %s exits 0", nclients))
		diag_output("guarded_call", out);
	p = after(out, "the breaker opened for every client: refusals per client:");
	while (p && sscanf(p, " %u%n", &v, &off) == 1) {
		n++;
		zero += v == 0;
		p += off;
	}
	T_EQ(n, k, "  ... prints the refusals of each of the %d clients", k);
	T_EQ(zero, 0, "  ... every client was refused while the breaker was open");
	p = after(out, "while failing with the breaker open: ");
	if (!T_OK(p && sscanf(p, "%u calls, %u reached the downstream (bound %u)",
			      &calls, &reached, &bound) == 3,
		  "  ... prints the calls made while the breaker was open")) {
		diag_output("guarded_call", out);
		calls = reached = bound = 0;
	}
	T_LE(reached, bound, "  ... only the probes reached the failing downstream");
	T_LT(reached * 4, calls, "  ... a small part of the %u calls made then", calls);
	p = after(out, "recovered: breaker closed, ");
	if (!T_OK(p && sscanf(p, "%u of %u calls ok", &ok, &total) == 2,
		  "  ... prints the calls after the recovery"))
		ok = total = 0;
	T_GT(total, 0, "  ... calls were made after the breaker closed again");
	T_EQ(ok, total, "  ... and every one succeeded");
	/* "guarded_call: C calls, I attempts reached ...": from its start. */
	p = strstr(out, " attempts reached the downstream, which counted ");
	while (p && p > out && p[-1] != '\n')
		p--;
	if (T_OK(p && sscanf(p, "guarded_call: %u calls, %u attempts reached the downstream, which counted %u",
			     &calls, &invoked, &counted) == 3,
		 "  ... prints the attempts against the downstream's count"))
		T_EQ(invoked, counted,
		     "  ... every admitted attempt reached the downstream exactly once");
	T_OK(strstr(out, "guarded_call: OK: the breaker opened"),
	     "  ... says the breaker opened for all and closed again");
	T_EQ(count_chans(), before, "  ... no channel is left behind");
}

/*
 * chaos_rehearsal.sh (the README's chaos example): the paused consumer
 * fills the channel, three sends time out, the breaker opens and refuses
 * the rest; lifted, the held jobs arrive, a probe closes the breaker, and
 * the consumer received exactly the accepted jobs.
 */
static void test_chaos_rehearsal(void)
{
	static char out[OUT_MAX];
	int before = count_chans(), timeouts = 0, refused = 0;
	const char *p;

	if (!T_EQ(run("chaos_rehearsal.sh", NULL, NULL, out, sizeof(out)), 0,
		  "chaos_rehearsal.sh exits 0"))
		diag_output("chaos_rehearsal.sh", out);
	for (p = out; (p = strstr(p, "(ETIMEDOUT)")); p++)
		timeouts++;
	for (p = out; (p = strstr(p, "(ECONNREFUSED)")); p++)
		refused++;
	T_EQ(timeouts, 3, "  ... 3 sends into the paused channel time out");
	T_EQ(refused, 3, "  ... then the open breaker refuses 3");
	T_OK(strstr(out, "accepted 7 jobs, the consumer received 7: job1 job2 job3 job4 job5 job6 job13"),
	     "  ... the 7 accepted jobs arrive, in order");
	T_OK(strstr(out, "nothing lost:"), "  ... says nothing was lost");
	T_EQ(count_chans(), before, "  ... no channel is left behind");
}

int main(void)
{
	char path[256];

	t_init("examples_run");
	dir = getenv("KCHAN_EXAMPLES") ?: EXAMPLES;
	snprintf(path, sizeof(path), "%s/sieve", dir);
	if (access(path, X_OK))
		t_skip_all("%s is not here: %m", path);
	test_sieve(NULL, 25);
	test_sieve("100", 100);
	test_mux("8", "5");
	test_mux("300", "200");
	test_quickstart();
	test_handler_worker(NULL, NULL);
	test_handler_worker("-q", "-w1");
	test_guarded_call("3");
	test_guarded_call("5");
	test_chaos_rehearsal();
	return t_done();
}
