// SPDX-License-Identifier: GPL-2.0
/*
 * Description: the select examples work (userspace/examples/, in the VM
 * under /kchan/examples/ or $KCHAN_EXAMPLES). sieve, the concurrent prime
 * sieve, prints exactly the first N primes (N = 25 by default, and 100),
 * each process having exited 0 and every channel destroyed; mux, the
 * multiplexer over two inputs and a quit channel, serves every message of
 * both producers, counts them per input and stops on quit. Each run exits
 * 0 within its bound and leaves no channel behind.
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
		t_diag("sieve printed:\n%s", out);
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
		t_diag("mux printed:\n%s", out);
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
	return t_done();
}
