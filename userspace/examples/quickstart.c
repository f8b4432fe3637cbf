// SPDX-License-Identifier: GPL-2.0
/*
 * The README's first libchan program: a named channel between two
 * processes. The parent sends three jobs with a timeout and closes the
 * channel; the child receives until the channel is closed and drained.
 * Needs root (creating a channel needs CAP_SYS_ADMIN).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <libchan.h>

static int worker(void)
{
	char job[64];
	ssize_t n;
	int fd = chan_open_name("jobs", O_RDONLY);

	if (fd < 0)
		return 1;
	while ((n = chan_recv(fd, job, sizeof(job))) > 0)
		printf("worker: got \"%.*s\"\n", (int)n, job);
	printf("worker: channel closed and drained (%s)\n",
	       n == 0 ? "end" : strerror((int)-n));
	return n == 0 ? 0 : 1;
}

int main(void)
{
	const char *jobs[] = { "resize img-1", "resize img-2", "thumbnail img-3" };
	int index, fd, status, i, r;
	pid_t pid;

	index = chan_create_named("jobs", 8, 64);
	if (index < 0) {
		fprintf(stderr, "chan_create_named: %s\n", strerror(-index));
		return 1;
	}
	printf("created chan%d, called \"jobs\"\n", index);
	fd = chan_open(index, O_WRONLY);
	if (fd < 0)
		return 1;
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		exit(worker());
	for (i = 0; i < 3; i++) {
		r = chan_send_timeout(fd, jobs[i], strlen(jobs[i]),
				      100 * 1000 * 1000);	/* 100 ms */
		printf("sent \"%s\": %s\n", jobs[i], r ? strerror(-r) : "ok");
		fflush(stdout);
	}
	chan_close(fd);		/* Go's close(jobs): the worker drains, then ends */
	r = chan_send(fd, "late", 4);
	printf("a send after close: %s\n", strerror(-r));
	fflush(stdout);
	waitpid(pid, &status, 0);
	close(fd);
	r = chan_destroy(index, 0);
	printf("destroyed chan%d: %s\n", index, r ? strerror(-r) : "ok");
	return WIFEXITED(status) && !WEXITSTATUS(status) && !r ? 0 : 1;
}
