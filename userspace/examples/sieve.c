// SPDX-License-Identifier: GPL-2.0
/*
 * The concurrent prime sieve, Go's classic, with processes for goroutines
 * and kchan channels for Go's channels. Run as root with chan.ko loaded:
 *
 *	sieve [N]	print the first N primes (default 25)
 *
 * A generator process sends 2, 3, 4, ... into an unbuffered channel. The
 * main process reads the first number that comes out of its channel: a
 * prime. It prints it and splices a filter process in front of itself,
 * with a new channel: the filter reads the old channel and passes on the
 * numbers its prime does not divide. After three primes the chain is
 *
 *	generator -> filter(2) -> filter(3) -> filter(5) -> main
 *
 * Every channel is unbuffered (capacity 0), so each send is a rendezvous
 * and the whole chain moves in lock step, one number at a time.
 *
 * Shutdown is Go's close(quit): the generator and the filters wait in a
 * select (CHAN_IOC_SELECT) with their send or receive as one case and a
 * receive on a shared quit channel as the other. When main has its N
 * primes it closes quit; a receive on a closed channel is always ready
 * (it returns 0 bytes), so every process sees it in its next select, even
 * one blocked in the middle of a send, and exits. main then reaps them
 * all and destroys the channels.
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

#define MAX_PRIMES	1000	/* one channel per prime */

static int ctl_fd;

static void die(const char *what)
{
	fprintf(stderr, "sieve: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* A new unbuffered channel of @msg_size-byte messages: its index. */
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

/*
 * Go's select over @n cases, blocking: the index of the case that
 * committed. Exactly one case commits; its result field says how many
 * bytes moved (0 for a receive on a closed, drained channel).
 */
static int chan_select(struct chan_select_case *cases, unsigned int n)
{
	struct chan_select sel = {
		.cases = (unsigned long)cases,
		.ncases = n,
		.timeout_ns = CHAN_TIMEOUT_INFINITE,
	};
	int i;

	do {
		i = ioctl(cases[0].fd, CHAN_IOC_SELECT, &sel);
	} while (i < 0 && errno == EINTR);
	if (i < 0)
		die("CHAN_IOC_SELECT");
	return i;
}

/*
 * Go:	for i := 2; ; i++ {
 *		select {
 *		case out <- i:
 *		case <-quit:
 *			return
 *		}
 *	}
 */
static void generate(int out, int quit)
{
	int i;
	char q;
	struct chan_select_case cases[2] = {
		{ .fd = out, .op = CHAN_OP_SEND,
		  .buf = (unsigned long)&i, .len = sizeof(i) },
		{ .fd = quit, .op = CHAN_OP_RECV,
		  .buf = (unsigned long)&q, .len = sizeof(q) },
	};

	/* The send case sends whatever i holds when it commits. */
	for (i = 2;; i++)
		if (chan_select(cases, 2) == 1)
			return;
}

/*
 * Go:	for {
 *		select {
 *		case i := <-in:
 *			if i%prime != 0 {
 *				select {
 *				case out <- i:
 *				case <-quit:
 *					return
 *				}
 *			}
 *		case <-quit:
 *			return
 *		}
 *	}
 */
static void filter(int in, int out, int quit, int prime)
{
	int i;
	char q;
	struct chan_select_case recv[2] = {
		{ .fd = in, .op = CHAN_OP_RECV,
		  .buf = (unsigned long)&i, .len = sizeof(i) },
		{ .fd = quit, .op = CHAN_OP_RECV,
		  .buf = (unsigned long)&q, .len = sizeof(q) },
	};
	struct chan_select_case send[2] = {
		{ .fd = out, .op = CHAN_OP_SEND,
		  .buf = (unsigned long)&i, .len = sizeof(i) },
		{ .fd = quit, .op = CHAN_OP_RECV,
		  .buf = (unsigned long)&q, .len = sizeof(q) },
	};

	for (;;) {
		if (chan_select(recv, 2) == 1 || recv[0].result == 0)
			return;		/* quit (or the input was closed) */
		if (i % prime == 0)
			continue;
		if (chan_select(send, 2) == 1)
			return;
	}
}

int main(int argc, char **argv)
{
	int chans[MAX_PRIMES + 1], nchans = 0;
	int n = argc > 1 ? atoi(argv[1]) : 25;
	int quit, quit_r, quit_w, in, out, prime, i, status, bad = 0;
	pid_t pid;

	if (n < 1 || n > MAX_PRIMES) {
		fprintf(stderr, "usage: sieve [N], N from 1 to %d\n", MAX_PRIMES);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	ctl_fd = open(CHAN_CONTROL_PATH, O_RDWR | O_CLOEXEC);
	if (ctl_fd < 0)
		die(CHAN_CONTROL_PATH);

	/* quit carries no message: it is only ever closed. */
	quit = chans[nchans++] = create(1);
	quit_r = open_chan(quit, O_RDONLY);
	quit_w = open_chan(quit, O_WRONLY);

	/* The generator writes the first channel, main reads it. */
	chans[nchans] = create(sizeof(int));
	in = open_chan(chans[nchans], O_RDONLY);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		close(quit_w);
		out = open_chan(chans[nchans], O_WRONLY);
		close(in);
		generate(out, quit_r);
		_exit(0);
	}
	nchans++;

	for (i = 0; i < n; i++) {
		/* A plain read: main needs no select, it only receives. */
		if (read(in, &prime, sizeof(prime)) != sizeof(prime))
			die("read");
		printf("%d\n", prime);
		if (i == n - 1)
			break;

		/* Splice filter(prime) in: it reads in, main reads its out. */
		chans[nchans] = create(sizeof(int));
		out = open_chan(chans[nchans], O_WRONLY);
		pid = fork();
		if (pid < 0)
			die("fork");
		if (pid == 0) {
			close(quit_w);
			filter(in, out, quit_r, prime);
			_exit(0);
		}
		close(in);
		in = open_chan(chans[nchans], O_RDONLY);
		close(out);
		nchans++;
	}

	/* close(quit): every select now finds its quit case ready. */
	if (ioctl(quit_w, CHAN_IOC_CLOSE))
		die("CHAN_IOC_CLOSE");
	for (i = 0; i < nchans - 1; i++) {
		if (wait(&status) < 0)
			die("wait");
		bad += !WIFEXITED(status) || WEXITSTATUS(status);
	}
	close(in);
	close(quit_r);
	close(quit_w);
	for (i = 0; i < nchans; i++)
		destroy(chans[i]);
	printf("sieve: %d primes, %d processes exited%s, %d channels destroyed\n",
	       n, nchans - 1, bad ? " (some failed)" : "", nchans);
	return bad ? 1 : 0;
}
