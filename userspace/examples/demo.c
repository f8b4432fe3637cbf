// SPDX-License-Identifier: GPL-2.0
/*
 * The kchan demo: a walk through the main job of the chan module, run as
 * root inside the `make demo` VM with chan.ko loaded, through libchan.
 * Channels created (a named one when the module has names), producers and
 * consumers, blocking and timeouts, a parked receiver seen by `chanstat
 * --waiters`, an unbuffered rendezvous, close and drain, all read back from
 * sysfs; then the circuit breaker: a stuck consumer trips it, sends are
 * refused in microseconds, the open period ends, the half-open probes go
 * through and it closes again. Then select (the sieve and mux examples),
 * the handler/worker service, the guarded call and the chaos rehearsal
 * (examples found beside the demo in examples/ or in $KCHAN_EXAMPLES), and
 * the final `chanstat` table (the tools in /kchan/tools or $KCHAN_TOOLS).
 *
 * Every step checks what it shows: the demo exits 1 when one did not
 * behave ("FAILED: ..." says which), 0 otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libchan.h>

#define OUT_MAX		(64 * 1024)

static int abi;
static int failed;
/* Kept to the end for the final chanstat table. */
static int jobs_ch = -1, breaker_ch = -1;

static void die(const char *what, int err)
{
	fprintf(stderr, "demo: %s: %s\n", what, strerror(err));
	exit(1);
}

static void step(const char *title)
{
	printf("\n==> %s\n", title);
	fflush(stdout);
}

/* A step's outcome: says FAILED (and fails the demo) when @ok is false. */
__attribute__((format(printf, 2, 3)))
static bool expect(bool ok, const char *fmt, ...)
{
	va_list ap;

	if (ok)
		return true;
	printf("    FAILED: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	failed++;
	return false;
}

/* sysfs attribute @attr of chan<index> into @buf, without its newline. */
static const char *sysfs_str(int index, const char *attr, char *buf,
			     size_t size)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), CHAN_SYSFS_CLASS "/chan%d/%s", index, attr);
	buf[0] = '\0';
	f = fopen(path, "r");
	if (f) {
		if (!fgets(buf, (int)size, f))
			buf[0] = '\0';
		fclose(f);
	}
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

static long sysfs(int index, const char *attr)
{
	char buf[64];

	if (!*sysfs_str(index, attr, buf, sizeof(buf)))
		return -1;
	return strtol(buf, NULL, 10);
}

static void show(int index, const char *attrs)
{
	char list[256], buf[64], *a, *save;

	snprintf(list, sizeof(list), "%s", attrs);
	printf("    chan%d:", index);
	for (a = strtok_r(list, " ", &save); a; a = strtok_r(NULL, " ", &save))
		printf(" %s=%s", a, sysfs_str(index, a, buf, sizeof(buf)));
	printf("\n");
}

static double now_ms(void)
{
	return chan_now_ns() / 1e6;
}

static int create(unsigned int capacity, unsigned int msg_size,
		  const char *name)
{
	struct chan_attr attr;
	int ch;

	chan_attr_init(&attr);
	attr.capacity = capacity;
	attr.msg_size = msg_size;
	attr.mode = 0666;
	attr.name = name;
	ch = chan_create_attr(&attr);
	if (ch < 0)
		die("chan_create_attr", -ch);
	return ch;
}

/* chan_open, waiting for the node of a new channel to appear. */
static int open_chan(int index, int flags)
{
	int fd, tries;

	for (tries = 0; tries < 200; tries++) {
		fd = chan_open(index, flags);
		if (fd != -ENOENT)
			break;
		usleep(10000);
	}
	if (fd < 0)
		die("chan_open", -fd);
	return fd;
}

static void destroy(int index)
{
	int r = chan_destroy(index, 0);

	expect(r == 0, "destroying chan%d: %s", index, strerror(-r));
}

/* Wait up to 5 s for sysfs @attr of chan<index> to read @want. */
static bool wait_gauge(int index, const char *attr, long want)
{
	int i;

	for (i = 0; i < 500 && sysfs(index, attr) != want; i++)
		usleep(10000);
	return sysfs(index, attr) == want;
}

static bool wait_str(int index, const char *attr, const char *want, int ms)
{
	char buf[64];
	int i;

	for (i = 0; i < ms / 5 && strcmp(sysfs_str(index, attr, buf, sizeof(buf)), want); i++)
		usleep(5000);
	return !strcmp(sysfs_str(index, attr, buf, sizeof(buf)), want);
}

static int wait_exit(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/*
 * Run @cmd (a shell command line, @dir/ before it when @dir is set), its
 * output indented by @indent spaces and kept in @out when not NULL. The
 * exit status, or -1.
 */
static int run(const char *dir, const char *cmd, int indent, char *out,
	       size_t size)
{
	char line[512], path[512];
	size_t len = 0;
	FILE *p;
	int rc;

	snprintf(path, sizeof(path), "%s%s%s 2>&1", dir ?: "", dir ? "/" : "", cmd);
	if (out)
		out[0] = '\0';
	p = popen(path, "r");
	if (!p)
		die("popen", errno);
	while (fgets(line, sizeof(line), p)) {
		printf("%*s%s", indent, "", line);
		if (out && len + strlen(line) < size) {
			memcpy(out + len, line, strlen(line) + 1);
			len += strlen(line);
		}
	}
	rc = pclose(p);
	if (rc < 0)
		return -1;
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : 128 + WTERMSIG(rc);
}

static const char *tools_dir(void)
{
	return getenv("KCHAN_TOOLS") ?: "/kchan/tools";
}

static const char *examples_dir(void)
{
	return getenv("KCHAN_EXAMPLES") ?: "/kchan/examples";
}

static bool have(const char *dir, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return !access(path, X_OK);
}

static void create_channels(void)
{
	char name[CHAN_NAME_MAX], path[64];

	step("Creating channels: /dev/chan-control makes them, sysfs describes them");
	printf("    the module speaks ABI version %d%s\n", abi,
	       abi >= 2 ? " (with channel names)" : " (no names yet)");
	jobs_ch = create(4, 64, abi >= 2 ? "jobs" : NULL);
	show(jobs_ch, "capacity msg_size len closed");
	if (abi < 2)
		return;
	sysfs_str(jobs_ch, "name", name, sizeof(name));
	printf("    /dev/chan%d is called \"%s\"; chan_lookup(\"jobs\") = %d\n",
	       jobs_ch, name, chan_lookup("jobs"));
	expect(!strcmp(name, "jobs") && chan_lookup("jobs") == jobs_ch,
	       "chan%d is not found as \"jobs\"", jobs_ch);
	snprintf(path, sizeof(path), CHAN_NAME_DIR "/jobs");
	if (!access(path, F_OK))
		printf("    udev linked %s to it\n", path);
	else
		printf("    (no udev here for %s: chan_open_name() finds it through sysfs)\n",
		       path);
	expect(chan_create_named("jobs", 4, 64) == -EEXIST,
	       "a second \"jobs\" was not refused with EEXIST");
	printf("    a second channel called \"jobs\": EEXIST\n");
}

/* Open the jobs channel as its consumers and producers do. */
static int open_jobs(int flags)
{
	int fd;

	if (abi < 2)
		return open_chan(jobs_ch, flags);
	fd = chan_open_name("jobs", flags);
	if (!expect(fd >= 0, "chan_open_name(\"jobs\"): %s", strerror(-fd)))
		fd = open_chan(jobs_ch, flags);
	return fd;
}

static void producers_and_consumers(void)
{
	pid_t consumers[2];
	int fd, p, c, got = 0;
	struct chan_stats st;
	char msg[64];

	step("Producers and consumers: 3 producers x 5 jobs, 2 consumers, capacity 4");
	for (c = 0; c < 2; c++) {
		consumers[c] = fork();
		if (consumers[c] == 0) {
			int n = 0;
			ssize_t len;

			fd = open_jobs(O_RDONLY);
			while ((len = chan_recv(fd, msg, sizeof(msg))) > 0) {
				printf("    consumer %d got \"%.*s\"\n", c,
				       (int)len, msg);
				n++;
			}
			printf("    consumer %d: end of channel after %d jobs\n",
			       c, n);
			_exit(len == 0 ? n : 255);
		}
	}
	for (p = 0; p < 3; p++) {
		if (fork() == 0) {
			int i;

			fd = open_jobs(O_WRONLY);
			for (i = 0; i < 5; i++) {
				snprintf(msg, sizeof(msg), "job %d.%d", p, i);
				if (chan_send(fd, msg, strlen(msg)) < 0)
					_exit(1);
			}
			_exit(0);
		}
	}
	fd = open_jobs(O_WRONLY);
	for (p = 0; p < 3; p++) {
		int status;
		pid_t pid = wait(&status);

		expect(pid > 0 && WIFEXITED(status) && !WEXITSTATUS(status),
		       "a producer failed");
	}
	wait_gauge(jobs_ch, "len", 0);
	printf("    producers done; closing the channel so consumers see the end\n");
	expect(chan_close(fd) == 0, "chan_close failed");
	for (c = 0; c < 2; c++)
		got += wait_exit(consumers[c]);
	show(jobs_ch, "len closed stats/sent stats/received");
	chan_get_stats(fd, &st);
	expect(got == 15 && st.sent == 15 && st.received == 15,
	       "consumers got %d jobs, sent %llu, received %llu", got,
	       (unsigned long long)st.sent, (unsigned long long)st.received);
	close(fd);
}

static void blocking_and_timeouts(void)
{
	int ch, fd, r;
	double t0, dt;
	pid_t pid;
	char msg[16];

	step("Back-pressure: a full channel blocks, or fails fast if asked");
	ch = create(2, 16, NULL);
	fd = open_chan(ch, O_RDWR);
	chan_send(fd, "one", 3);
	chan_send(fd, "two", 3);
	show(ch, "capacity len");
	r = chan_try_send(fd, "three", 5);
	printf("    try-send on a full channel: %s (Go's select with default)\n",
	       strerror(-r));
	expect(r == -EAGAIN, "try-send gave %d, not -EAGAIN", r);
	t0 = now_ms();
	r = chan_send_timeout(fd, "three", 5, 100000000);
	dt = now_ms() - t0;
	printf("    send with a 100 ms timeout: %s after %.0f ms\n", strerror(-r), dt);
	expect(r == -ETIMEDOUT && dt >= 99, "gave %d after %.0f ms", r, dt);
	pid = fork();
	if (pid == 0) {
		int wfd = open_chan(ch, O_WRONLY);

		_exit(chan_send(wfd, "three", 5) ? 1 : 0);
	}
	expect(wait_gauge(ch, "waiting_senders", 1), "the producer did not park");
	printf("    a producer is now parked on the full channel:\n");
	show(ch, "len waiting_senders");
	chan_recv(fd, msg, sizeof(msg));
	expect(wait_exit(pid) == 0, "the parked producer's send failed");
	printf("    one receive later it completed (its message joined the tail):\n");
	show(ch, "len waiting_senders stats/full stats/send_timeouts");
	expect(sysfs(ch, "len") == 2 && sysfs(ch, "stats/send_timeouts") == 1,
	       "len or send_timeouts is off");
	close(fd);
	destroy(ch);
}

static void parked_receiver(void)
{
	char out[OUT_MAX], cmd[160], pid_s[16], path[128];
	int ch, fd, rc;
	pid_t pid;

	step("A parked receiver, seen by chanstat --waiters");
	ch = create(4, 64, NULL);
	fd = open_chan(ch, O_RDWR);
	pid = fork();
	if (pid == 0) {
		char msg[64];
		ssize_t n = chan_recv(fd, msg, sizeof(msg));

		_exit(n == 8 && !memcmp(msg, "wake up!", 8) ? 0 : 1);
	}
	expect(wait_gauge(ch, "waiting_receivers", 1), "the receiver did not park");
	usleep(200000);
	printf("    pid %d waits in chan_recv() on the empty chan%d:\n", pid, ch);
	if (have(tools_dir(), "chanstat")) {
		printf("    $ chanstat --waiters\n");
		rc = run(tools_dir(), "chanstat --waiters", 4, out, sizeof(out));
		expect(rc == 0, "chanstat --waiters exited %d", rc);
	} else {
		snprintf(path, sizeof(path), "/sys/kernel/debug/chan/chan%d/waiters", ch);
		printf("    $ cat %s   (pid, comm, op, waited ms)\n", path);
		snprintf(cmd, sizeof(cmd), "cat %s", path);
		rc = run(NULL, cmd, 4, out, sizeof(out));
		expect(rc == 0, "%s: exit %d", cmd, rc);
	}
	snprintf(pid_s, sizeof(pid_s), "%d", pid);
	expect(strstr(out, pid_s) && strstr(out, "recv"),
	       "pid %d is not listed as a receiver", pid);
	chan_send(fd, "wake up!", 8);
	expect(wait_exit(pid) == 0, "the receiver did not get the message");
	printf("    a send hands it the message; it returns, and no one waits any more:\n");
	show(ch, "waiting_receivers stats/sent stats/received");
	close(fd);
	destroy(ch);
}

static void rendezvous(void)
{
	int ch, fd;
	pid_t pid;
	double t0, dt;
	char msg[16];

	step("An unbuffered channel (capacity 0): every send is a rendezvous");
	ch = create(0, 16, NULL);
	fd = open_chan(ch, O_RDWR);
	pid = fork();
	if (pid == 0) {
		usleep(200000);
		_exit(chan_recv(fd, msg, sizeof(msg)) == 4 ? 0 : 1);
	}
	t0 = now_ms();
	chan_send(fd, "ping", 4);
	dt = now_ms() - t0;
	printf("    send returned after %.0f ms, when the receiver took it\n", dt);
	expect(wait_exit(pid) == 0 && dt >= 150, "the rendezvous took %.0f ms", dt);
	show(ch, "len stats/sent stats/received");
	close(fd);
	destroy(ch);
}

static void close_and_drain(void)
{
	int ch, fd, n = 0, r;
	ssize_t len;
	char msg[16];

	step("Close then drain: queued messages survive close, then EOF");
	ch = create(8, 16, NULL);
	fd = open_chan(ch, O_RDWR);
	chan_send(fd, "a", 1);
	chan_send(fd, "b", 1);
	chan_send(fd, "c", 1);
	chan_close(fd);
	r = chan_send(fd, "d", 1);
	printf("    send after close: %s (no SIGPIPE)\n", strerror(-r));
	while ((len = chan_recv(fd, msg, sizeof(msg))) > 0)
		n++;
	printf("    drained %d messages, then chan_recv() returned %zd (end of file)\n",
	       n, len);
	expect(r == -EPIPE && n == 3 && len == 0, "send %d, drained %d, then %zd",
	       r, n, len);
	show(ch, "closed len stats/sent stats/received");
	close(fd);
	destroy(ch);
}

/* The consumer of the breaker steps: takes messages until the end. */
static int consumer_loop(int ch)
{
	int fd = open_chan(ch, O_RDONLY);
	char msg[16];
	ssize_t n;

	while ((n = chan_recv(fd, msg, sizeof(msg))) > 0 || n == -EINTR)
		;
	return n == 0 ? 0 : 1;
}

static pid_t consumer;

static void breaker_trips(void)
{
	struct chan_breaker_config cfg;
	char buf[64];
	int fd, i, r, refused = 0, status;
	uint64_t t0, dt;
	double t1;

	step("A stuck consumer trips the circuit breaker");
	breaker_ch = create(2, 16, NULL);
	fd = open_chan(breaker_ch, O_RDWR);
	chan_breaker_config_init(&cfg);
	cfg.mode = CHAN_BREAKER_AUTO;
	cfg.min_calls = 4;
	cfg.failure_pct = 50;
	cfg.open_ms = 500;
	cfg.open_min_ms = 500;
	cfg.half_open_probes = 2;
	r = chan_breaker_set(fd, &cfg);
	expect(r == 0, "chan_breaker_set: %s", strerror(-r));
	printf("    chan%d: capacity 2, breaker auto: min_calls 4, failure_pct 50, open 500 ms, 2 probes\n",
	       breaker_ch);
	consumer = fork();
	if (consumer == 0)
		_exit(consumer_loop(breaker_ch));
	expect(wait_gauge(breaker_ch, "waiting_receivers", 1), "the consumer did not park");
	kill(consumer, SIGSTOP);
	expect(waitpid(consumer, &status, WUNTRACED) == consumer && WIFSTOPPED(status),
	       "the consumer did not stop");
	printf("    the consumer (pid %d) is stuck (SIGSTOP); two sends fill the channel,\n"
	       "    two try-sends find no room:\n", consumer);
	chan_send(fd, "m1", 2);
	chan_send(fd, "m2", 2);
	for (i = 0; i < 2; i++) {
		r = chan_try_send(fd, "m3", 2);
		printf("    try-send: %s\n", strerror(-r));
		expect(r == -EAGAIN, "try-send %d gave %d", i, r);
	}
	printf("    2 failures in 4 calls is 50%%: the breaker opens\n");
	show(breaker_ch, "len breaker/state breaker/calls breaker/failures breaker/trips");
	expect(!strcmp(sysfs_str(breaker_ch, "breaker/state", buf, sizeof(buf)), "open"),
	       "the breaker is %s, not open", buf);
	t0 = chan_now_ns();
	r = chan_send_timeout(fd, "m3", 2, 1000000000LL);
	dt = chan_now_ns() - t0;
	printf("    a send with a 1 s timeout: %s after %.1f us, without waiting\n",
	       strerror(-r), dt / 1e3);
	expect(r == -ECONNREFUSED && dt < 100000000ULL, "gave %d after %llu ns", r,
	       (unsigned long long)dt);
	t1 = now_ms();
	for (i = 0; i < 1000; i++)
		refused += chan_send(fd, "m3", 2) == -ECONNREFUSED;
	printf("    1000 blocking sends: %d refused in %.1f ms in all\n", refused,
	       now_ms() - t1);
	expect(refused == 1000, "only %d of 1000 refused", refused);
	show(breaker_ch, "breaker/state breaker/rejected stats/breaker_rejected");
	expect(sysfs(breaker_ch, "stats/breaker_rejected") == 1001,
	       "stats/breaker_rejected is %ld, not 1001",
	       sysfs(breaker_ch, "stats/breaker_rejected"));
	close(fd);
}

static void breaker_recovers(void)
{
	char buf[64];
	int fd, i, r;
	double t0;

	step("Half-open, then recovery: the probes go through and the breaker closes");
	fd = open_chan(breaker_ch, O_WRONLY);
	kill(consumer, SIGCONT);
	printf("    the consumer resumes (SIGCONT) and drains the channel\n");
	expect(wait_gauge(breaker_ch, "len", 0), "the consumer did not drain");
	t0 = now_ms();
	expect(wait_str(breaker_ch, "breaker/state", "half_open", 5000),
	       "the breaker did not go half-open");
	printf("    %.0f ms later the open period is over:\n", now_ms() - t0);
	show(breaker_ch, "breaker/state");
	for (i = 0; i < 2; i++) {
		r = chan_send_timeout(fd, "probe", 5, 1000000000LL);
		printf("    probe %d: %s\n", i + 1, r ? strerror(-r) : "sent");
		expect(r == 0, "probe %d: %s", i + 1, strerror(-r));
	}
	printf("    two probes succeeded: the breaker is closed again\n");
	show(breaker_ch, "breaker/state breaker/trips breaker/rejected stats/sent stats/received");
	expect(!strcmp(sysfs_str(breaker_ch, "breaker/state", buf, sizeof(buf)), "closed"),
	       "the breaker is %s, not closed", buf);
	expect(chan_send(fd, "after", 5) == 0, "a send after the recovery failed");
	wait_gauge(breaker_ch, "len", 0);
	chan_close(fd);
	expect(wait_exit(consumer) == 0, "the consumer did not end cleanly");
	close(fd);
}

/* Run example @cmd, its output indented under "    $ cmd". */
static void run_example(const char *cmd)
{
	int rc;

	printf("    $ %s\n", cmd);
	rc = run(examples_dir(), cmd, 6, NULL, 0);
	expect(rc == 0, "%s exited with status %d", cmd, rc);
}

static void select_examples(void)
{
	step("Select: one of several channel operations, atomically, across processes");
	if (!have(examples_dir(), "sieve")) {
		printf("    %s/sieve is not here (make -C userspace examples builds it)\n",
		       examples_dir());
		return;
	}
	printf("    The concurrent prime sieve: one process per prime, each\n"
	       "    selecting between its input and a quit channel:\n");
	run_example("sieve 12");
	printf("    A multiplexer serving two producers and a quit channel with one\n"
	       "    CHAN_IOC_SELECT per message:\n");
	run_example("mux 4 3");
}

static void service_examples(void)
{
	step("The service: a handler sheds load while its workers stall");
	if (!have(examples_dir(), "handler_worker")) {
		printf("    %s/handler_worker is not here\n", examples_dir());
		return;
	}
	run_example("handler_worker");
	step("A shared breaker: clients of a flaky downstream, through chan_guarded_call()");
	run_example("guarded_call");
	step("Chaos: rehearse a stalled consumer on a live channel (chanctl chaos)");
	if (!have(examples_dir(), "chaos_rehearsal.sh")) {
		printf("    %s/chaos_rehearsal.sh is not here\n", examples_dir());
		return;
	}
	run_example("chaos_rehearsal.sh");
}

static void final_table(void)
{
	int rc;

	step("chanstat: every channel at a glance");
	if (!have(tools_dir(), "chanstat")) {
		printf("    %s/chanstat is not here\n", tools_dir());
	} else {
		printf("    $ chanstat\n");
		rc = run(tools_dir(), "chanstat", 4, NULL, 0);
		expect(rc == 0, "chanstat exited %d", rc);
	}
	destroy(jobs_ch);
	destroy(breaker_ch);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	abi = chan_abi_version();
	if (abi < 0)
		die(CHAN_CONTROL_PATH, -abi);
	printf("kchan demo: ABI version %d\n", abi);
	create_channels();
	producers_and_consumers();
	blocking_and_timeouts();
	parked_receiver();
	rendezvous();
	close_and_drain();
	breaker_trips();
	breaker_recovers();
	select_examples();
	service_examples();
	final_table();
	if (failed) {
		printf("\nkchan demo: %d step(s) did not behave\n", failed);
		return 1;
	}
	printf("\nkchan demo: done\n");
	return 0;
}
