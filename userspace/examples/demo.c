// SPDX-License-Identifier: GPL-2.0
/*
 * The kchan demo: a walk through the main job of the chan module, run as
 * root inside the `make demo` VM with chan.ko loaded. Producers and
 * consumers over a channel, blocking and timeouts, an unbuffered
 * rendezvous, close and drain, all read back from sysfs; then select, with
 * the two select examples (sieve and mux, found beside the demo in
 * examples/ or in $KCHAN_EXAMPLES) run with their output indented.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/chan.h>

static int ctl_fd;

static void die(const char *what)
{
	fprintf(stderr, "demo: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void step(const char *title)
{
	printf("\n==> %s\n", title);
	fflush(stdout);
}

static long sysfs(int index, const char *attr)
{
	char path[128], buf[64];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/chan/chan%d/%s", index, attr);
	f = fopen(path, "r");
	if (f && fgets(buf, sizeof(buf), f))
		v = strtol(buf, NULL, 10);
	if (f)
		fclose(f);
	return v;
}

static void show(int index, const char *attrs)
{
	char list[256], *a, *save;

	snprintf(list, sizeof(list), "%s", attrs);
	printf("    chan%d:", index);
	for (a = strtok_r(list, " ", &save); a; a = strtok_r(NULL, " ", &save))
		printf(" %s=%ld", a, sysfs(index, a));
	printf("\n");
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int create(unsigned int capacity, unsigned int msg_size,
		  unsigned int flags)
{
	struct chan_ctl_create c = {
		.capacity = capacity, .msg_size = msg_size, .flags = flags,
		.mode = 0666, .uid = CHAN_ID_CALLER, .gid = CHAN_ID_CALLER,
		.index = CHAN_INDEX_ANY,
	};

	if (ioctl(ctl_fd, CHAN_CTL_CREATE, &c))
		die("CHAN_CTL_CREATE");
	return c.index;
}

static int open_chan(int index, int flags)
{
	char path[64];
	int fd, tries;

	snprintf(path, sizeof(path), "/dev/chan%d", index);
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

static int xfer(int fd, unsigned long cmd, void *buf, size_t len,
		long long timeout_ns)
{
	struct chan_xfer x = {
		.buf = (unsigned long)buf, .len = len, .timeout_ns = timeout_ns,
	};

	return ioctl(fd, cmd, &x);
}

static void wait_gauge(int index, const char *attr, long want)
{
	int i;

	for (i = 0; i < 500 && sysfs(index, attr) != want; i++)
		usleep(10000);
}

static void producers_and_consumers(void)
{
	int ch, fd, p, c, status;
	char msg[64];

	step("A buffered channel (capacity 4): 3 producers x 5 jobs, 2 consumers");
	ch = create(4, 64, 0);
	printf("    created /dev/chan%d\n", ch);
	for (c = 0; c < 2; c++) {
		if (fork() == 0) {
			int n = 0;
			ssize_t len;

			fd = open_chan(ch, O_RDONLY);
			while ((len = read(fd, msg, sizeof(msg))) > 0) {
				printf("    consumer %d got \"%.*s\"\n", c,
				       (int)len, msg);
				n++;
			}
			printf("    consumer %d: end of channel after %d jobs\n",
			       c, n);
			_exit(0);
		}
	}
	for (p = 0; p < 3; p++) {
		if (fork() == 0) {
			int i;

			fd = open_chan(ch, O_WRONLY);
			for (i = 0; i < 5; i++) {
				snprintf(msg, sizeof(msg), "job %d.%d", p, i);
				if (write(fd, msg, strlen(msg)) < 0)
					die("write");
			}
			_exit(0);
		}
	}
	for (p = 0; p < 3; p++)
		wait(&status);
	fd = open_chan(ch, O_WRONLY);
	wait_gauge(ch, "len", 0);
	printf("    producers done; closing the channel so consumers see the end\n");
	ioctl(fd, CHAN_IOC_CLOSE);
	while (wait(&status) > 0)
		;
	show(ch, "len closed stats/sent stats/received");
	close(fd);
	destroy(ch);
}

static void blocking_and_timeouts(void)
{
	int ch, fd, status;
	double t0;
	pid_t pid;
	char msg[16];

	step("Back-pressure: a full channel blocks, or fails fast if asked");
	ch = create(2, 16, 0);
	fd = open_chan(ch, O_RDWR);
	write(fd, "one", 3);
	write(fd, "two", 3);
	show(ch, "capacity len");
	if (xfer(fd, CHAN_IOC_SEND, "three", 5, 0) < 0)
		printf("    try-send on a full channel: %s (Go's select with default)\n",
		       strerror(errno));
	t0 = now_ms();
	if (xfer(fd, CHAN_IOC_SEND, "three", 5, 100000000) < 0)
		printf("    send with a 100 ms timeout: %s after %.0f ms\n",
		       strerror(errno), now_ms() - t0);
	pid = fork();
	if (pid == 0) {
		int wfd = open_chan(ch, O_WRONLY);

		write(wfd, "three", 5);
		_exit(0);
	}
	wait_gauge(ch, "waiting_senders", 1);
	printf("    a producer is now parked on the full channel:\n");
	show(ch, "len waiting_senders");
	read(fd, msg, sizeof(msg));
	waitpid(pid, &status, 0);
	printf("    one receive later it completed (its message joined the tail):\n");
	show(ch, "len waiting_senders stats/full stats/send_timeouts");
	close(fd);
	destroy(ch);
}

static void rendezvous(void)
{
	int ch, fd, status;
	pid_t pid;
	double t0;
	char msg[16];

	step("An unbuffered channel (capacity 0): every send is a rendezvous");
	ch = create(0, 16, 0);
	fd = open_chan(ch, O_RDWR);
	pid = fork();
	if (pid == 0) {
		usleep(200000);
		read(fd, msg, sizeof(msg));
		_exit(0);
	}
	t0 = now_ms();
	write(fd, "ping", 4);
	printf("    send returned after %.0f ms, when the receiver took it\n",
	       now_ms() - t0);
	waitpid(pid, &status, 0);
	show(ch, "len stats/sent stats/received");
	close(fd);
	destroy(ch);
}

static void close_and_drain(void)
{
	int ch, fd, n = 0;
	ssize_t len;
	char msg[16];

	step("Close then drain: queued messages survive close, then EOF");
	ch = create(8, 16, 0);
	fd = open_chan(ch, O_RDWR);
	write(fd, "a", 1);
	write(fd, "b", 1);
	write(fd, "c", 1);
	ioctl(fd, CHAN_IOC_CLOSE);
	if (write(fd, "d", 1) < 0)
		printf("    send after close: %s (no SIGPIPE)\n", strerror(errno));
	while ((len = read(fd, msg, sizeof(msg))) > 0)
		n++;
	printf("    drained %d messages, then read() returned %zd (end of file)\n",
	       n, len);
	show(ch, "closed len stats/sent stats/received");
	close(fd);
	destroy(ch);
}

/* Run example @cmd (a shell command line), its output indented. */
static void run_example(const char *dir, const char *cmd)
{
	char line[256], path[512];
	FILE *p;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", dir, cmd);
	printf("    $ %s\n", cmd);
	p = popen(path, "r");
	if (!p)
		die("popen");
	while (fgets(line, sizeof(line), p))
		printf("      %s", line);
	rc = pclose(p);
	if (rc)
		printf("    (%s exited with status %d)\n", cmd, rc);
}

static void select_examples(void)
{
	const char *dir = getenv("KCHAN_EXAMPLES") ?: "/kchan/examples";
	char sieve[256];

	step("Select: one of several channel operations, atomically, across processes");
	snprintf(sieve, sizeof(sieve), "%s/sieve", dir);
	if (access(sieve, X_OK)) {
		printf("    %s is not here (make -C userspace examples builds it)\n",
		       sieve);
		return;
	}
	printf("    The concurrent prime sieve: one process per prime, each\n"
	       "    selecting between its input and a quit channel:\n");
	run_example(dir, "sieve 12");
	printf("    A multiplexer serving two producers and a quit channel with one\n"
	       "    CHAN_IOC_SELECT per message:\n");
	run_example(dir, "mux 4 3");
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	ctl_fd = open("/dev/chan-control", O_RDWR);
	if (ctl_fd < 0)
		die("/dev/chan-control");
	printf("kchan demo: ABI version %d\n",
	       ioctl(ctl_fd, CHAN_CTL_GET_VERSION));
	producers_and_consumers();
	blocking_and_timeouts();
	rendezvous();
	close_and_drain();
	select_examples();
	printf("\nkchan demo: done\n");
	return 0;
}
