// SPDX-License-Identifier: GPL-2.0
/*
 * A multiplexer: one process serves two input channels and a quit channel
 * with one select in a loop, as in Go
 *
 *	for {
 *		select {
 *		case v := <-a:
 *			...
 *		case v := <-b:
 *			...
 *		case <-quit:
 *			return
 *		}
 *	}
 *
 * with processes for goroutines and kchan channels for Go's channels. Run
 * as root with chan.ko loaded:
 *
 *	mux [NA [NB]]	producer a sends NA messages, b sends NB (default 8, 5)
 *
 * The processes:
 *
 *	main (the multiplexer)
 *	  supervisor: starts the producers, waits for both, sends on quit
 *	    producer a: sends "a 0", "a 1", ... on channel a
 *	    producer b: sends "b 0", "b 1", ... on channel b
 *
 * All three channels are unbuffered (capacity 0): a send returns only once
 * the multiplexer has received it. So when both producers have exited,
 * every one of their messages has been served, and the quit message the
 * supervisor then sends is the last thing the multiplexer receives.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/chan.h>

#define MSG_SIZE	32

static int ctl_fd;

static void die(const char *what)
{
	fprintf(stderr, "mux: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* A new unbuffered channel: its index. */
static int create(unsigned int msg_size)
{
	struct chan_ctl_create c = {
		.capacity = 0, .msg_size = msg_size, .mode = 0600,
		.uid = CHAN_ID_CALLER, .gid = CHAN_ID_CALLER,
		.index = CHAN_INDEX_ANY,
	};

	if (ioctl(ctl_fd, CHAN_CTL_CREATE, &c))
		die("CHAN_CTL_CREATE");
	return c.index;
}

/* Open /dev/chan<index>, waiting for the node to appear. */
static int open_chan(int index, int flags)
{
	char path[64];
	int fd, tries;

	snprintf(path, sizeof(path), CHAN_DEV_PREFIX "%d", index);
	for (tries = 0; tries < 200; tries++) {
		fd = open(path, flags);
		if (fd >= 0)
			return fd;
		usleep(10000);
	}
	die(path);
	return -1;
}

static void destroy(int index)
{
	struct chan_ctl_destroy d = { .index = index };

	if (ioctl(ctl_fd, CHAN_CTL_DESTROY, &d))
		die("CHAN_CTL_DESTROY");
}

/* Send @n messages "<name> <i>" on channel @index, with plain writes. */
static pid_t producer(const char *name, int index, int n)
{
	char msg[MSG_SIZE];
	pid_t pid;
	int fd, i;

	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid > 0)
		return pid;
	fd = open_chan(index, O_WRONLY);
	for (i = 0; i < n; i++) {
		snprintf(msg, sizeof(msg), "%s %d", name, i);
		if (write(fd, msg, strlen(msg)) < 0)
			die("write");
	}
	_exit(0);
}

/* Go: go func() { wg.Wait(); quit <- true }(), with the producers. */
static pid_t supervisor(int a, int b, int quit, int na, int nb)
{
	int status, fd, bad = 0;
	pid_t pid, pa, pb;

	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid > 0)
		return pid;
	pa = producer("a", a, na);
	pb = producer("b", b, nb);
	if (waitpid(pa, &status, 0) < 0)
		die("waitpid");
	bad += !WIFEXITED(status) || WEXITSTATUS(status);
	if (waitpid(pb, &status, 0) < 0)
		die("waitpid");
	bad += !WIFEXITED(status) || WEXITSTATUS(status);
	fd = open_chan(quit, O_WRONLY);
	if (write(fd, "q", 1) != 1)
		die("write quit");
	_exit(bad ? 1 : 0);
}

int main(int argc, char **argv)
{
	int na = argc > 1 ? atoi(argv[1]) : 8;
	int nb = argc > 2 ? atoi(argv[2]) : 5;
	int a, b, quit, count[2] = { 0, 0 }, i, status;
	char abuf[MSG_SIZE], bbuf[MSG_SIZE], q;
	struct chan_select_case cases[3];
	struct chan_select sel = {
		.cases = (unsigned long)cases,
		.ncases = 3,
		.timeout_ns = CHAN_TIMEOUT_INFINITE,
	};
	pid_t pid;

	if (na < 0 || nb < 0) {
		fprintf(stderr, "usage: mux [NA [NB]]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	ctl_fd = open(CHAN_CONTROL_PATH, O_RDWR | O_CLOEXEC);
	if (ctl_fd < 0)
		die(CHAN_CONTROL_PATH);
	a = create(MSG_SIZE);
	b = create(MSG_SIZE);
	quit = create(1);

	/* Producers and supervisor first: they need none of main's fds. */
	pid = supervisor(a, b, quit, na, nb);

	/* The three cases, built once; each receives into a buffer of its own. */
	cases[0] = (struct chan_select_case){
		.fd = open_chan(a, O_RDONLY), .op = CHAN_OP_RECV,
		.buf = (unsigned long)abuf, .len = sizeof(abuf),
	};
	cases[1] = (struct chan_select_case){
		.fd = open_chan(b, O_RDONLY), .op = CHAN_OP_RECV,
		.buf = (unsigned long)bbuf, .len = sizeof(bbuf),
	};
	cases[2] = (struct chan_select_case){
		.fd = open_chan(quit, O_RDONLY), .op = CHAN_OP_RECV,
		.buf = (unsigned long)&q, .len = sizeof(q),
	};

	for (;;) {
		/* Any of the channel fds can carry the ioctl. */
		i = ioctl(cases[0].fd, CHAN_IOC_SELECT, &sel);
		if (i < 0 && errno == EINTR)
			continue;
		if (i < 0)
			die("CHAN_IOC_SELECT");
		if (i == 2)
			break;		/* case <-quit: return */
		/* case v := <-a, case v := <-b: result is v's length. */
		count[i]++;
		printf("    %c: \"%.*s\"\n", "ab"[i], cases[i].result,
		       i == 0 ? abuf : bbuf);
	}
	printf("mux: a=%d b=%d, quit after %d messages\n", count[0], count[1],
	       count[0] + count[1]);

	if (waitpid(pid, &status, 0) < 0)
		die("waitpid");
	for (i = 0; i < 3; i++)
		close(cases[i].fd);
	destroy(a);
	destroy(b);
	destroy(quit);
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "mux: a producer or the supervisor failed\n");
		return 1;
	}
	return count[0] == na && count[1] == nb ? 0 : 1;
}
