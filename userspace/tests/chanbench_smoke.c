// SPDX-License-Identifier: GPL-2.0
/*
 * Description: chanbench works (not how fast anything is: benchmarks are
 * never pass/fail tests). One short run of every scenario on the device
 * and on a pipe, with chanbench's own verification pass (every message
 * once, in order, intact) before the timed run; chanbench must exit 0,
 * report a rate for every device row, and leave no channel behind.
 */
#include <stdlib.h>
#include <sys/wait.h>

#include "helpers.h"

#define CHANBENCH	"/kchan/tools/chanbench"

/* Channels that exist now: entries of /sys/class/chan. */
static int count_chans(void)
{
	char cmd[] = "ls " T_SYSFS_CLASS " | wc -l";
	FILE *p = popen(cmd, "r");
	int n = -1;

	if (!p)
		return -1;
	if (fscanf(p, "%d", &n) != 1)
		n = -1;
	pclose(p);
	return n;
}

int main(void)
{
	static char out[1 << 20];
	const char *bin = getenv("KCHAN_CHANBENCH") ?: CHANBENCH;
	size_t len = 0;
	int pipefd[2], status, before;
	char *p;
	int rows = 0, errors = 0;
	pid_t pid;

	/*
	 * Every scenario once takes about 80 s on the debug kernel (KASAN,
	 * an emulated CPU), close to the default 90 s watchdog.
	 */
	if (!getenv("KCHAN_TEST_TIMEOUT") ||
	    atoi(getenv("KCHAN_TEST_TIMEOUT")) < 240)
		setenv("KCHAN_TEST_TIMEOUT", "240", 1);
	t_init("chanbench_smoke");
	if (access(bin, X_OK))
		t_skip_all("%s is not here: %m", bin);
	before = count_chans();
	if (pipe(pipefd))
		t_bail("pipe: %m");
	pid = fork();
	if (pid == 0) {
		dup2(pipefd[1], 1);
		close(pipefd[0]);
		execl(bin, bin, "--quick", "--runs", "1", "--target-ms", "20",
		      "--transport", "chan,pipe", "--json", "--quiet", NULL);
		_exit(127);
	}
	close(pipefd[1]);
	for (;;) {
		ssize_t n = read(pipefd[0], out + len, sizeof(out) - 1 - len);

		if (n <= 0)
			break;
		len += n;
	}
	out[len] = '\0';
	T_EQ(waitpid(pid, &status, 0), pid, "chanbench ran");
	T_OK(WIFEXITED(status), "  ... and exited");
	T_EQ(WEXITSTATUS(status), 0, "  ... with 0: every verification passed");
	T_GT(len, 0, "it printed a JSON report");
	/* Each result object: "transport": "chan", ..., "status": "ok", ... */
	for (p = out; (p = strstr(p, "\"transport\": \"chan\"")); p++) {
		char *end = strstr(p, "\"runs\"");

		rows++;
		if (!end || !memmem(p, end - p, "\"status\": \"ok\"", 14))
			errors++;
	}
	T_GE(rows, 10, "the report has a device row per scenario (%d)", rows);
	T_EQ(errors, 0, "every device row has status ok");
	T_EQ(count_chans(), before, "no channel is left behind");
	return t_done();
}
