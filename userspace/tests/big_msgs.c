// SPDX-License-Identifier: GPL-2.0
/*
 * Description: large messages never allocate (README, "How messages move"). 64 KiB and 1 MiB
 * messages, buffered and unbuffered, move in both directions between this
 * process and a child whose memory cgroup has almost no room left
 * (memory.max a few pages above what it uses): a send or receive that
 * allocated a buffer for the message would fail or get the child
 * OOM-killed. Every message arrives intact and memory.events shows no OOM
 * kill. Then two threads sharing one open file both wait for 1 MiB
 * messages on an unbuffered channel: the second waits for the file's
 * spare page vector (it is not parked meanwhile, and honours its timeout),
 * and both get a message in the end.
 */
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "helpers.h"

#define CGROUP		"/sys/fs/cgroup/kchan-big-msgs"
#define HEADROOM	(32 * 1024)	/* below the smallest message */
#define ROUNDS		3

struct job {
	int idx;
	unsigned int size;
	unsigned int cap;
	bool child_sends;
	bool in_cgroup;
	unsigned char *buf;	/* size bytes, touched before joining */
};

static bool write_str(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	bool ok;

	if (fd < 0)
		return false;
	ok = write(fd, val, strlen(val)) == (ssize_t)strlen(val);
	close(fd);
	return ok;
}

static long long read_field(const char *path, const char *key)
{
	char line[128];
	long long v = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!key) {
			v = atoll(line);
			break;
		}
		if (!strncmp(line, key, strlen(key)) && line[strlen(key)] == ' ') {
			v = atoll(line + strlen(key) + 1);
			break;
		}
	}
	fclose(f);
	return v;
}

static bool cgroup_setup(void)
{
	mkdir(CGROUP, 0755);
	write_str("/sys/fs/cgroup/cgroup.subtree_control", "+memory");
	return access(CGROUP "/memory.max", W_OK) == 0;
}

/* Join the cgroup and leave it HEADROOM bytes above current use. */
static bool cgroup_squeeze(void)
{
	char val[32];
	long long cur;

	snprintf(val, sizeof(val), "%d", getpid());
	if (!write_str(CGROUP "/cgroup.procs", val))
		return false;
	cur = read_field(CGROUP "/memory.current", NULL);
	if (cur < 0)
		return false;
	snprintf(val, sizeof(val), "%lld", cur + HEADROOM);
	return write_str(CGROUP "/memory.max", val);
}

/* The child's side: ROUNDS messages of job->size bytes one way. */
static int child_main(void *arg)
{
	struct job *j = arg;
	int fd = t_chan_open(j->idx, O_RDWR), i;

	if (fd < 0)
		return 2;
	if (j->in_cgroup && !cgroup_squeeze())
		return 3;
	for (i = 0; i < ROUNDS; i++) {
		if (j->child_sends) {
			t_fill(j->buf, j->size, 1000 + i);
			if (t_send(fd, j->buf, j->size, T_TIMEOUT_NS) != 0)
				return 10 + i;
		} else {
			memset(j->buf, 0, j->size);
			if (t_recv(fd, j->buf, j->size, T_TIMEOUT_NS) != (long)j->size)
				return 20 + i;
			if (!t_verify(j->buf, j->size, 2000 + i))
				return 30 + i;
		}
	}
	close(fd);
	return 0;
}

static void run_job(unsigned int size, unsigned int cap, bool child_sends,
		    bool in_cgroup)
{
	unsigned char *mine = malloc(size);
	struct job *j = t_shared(sizeof(*j));
	int idx = t_chan_new(cap, size, 0), fd, i;
	const char *how = child_sends ? "child sends" : "child receives";
	pid_t pid;

	if (!T_GE(idx, 0, "%u B x %u: create a channel", size, cap))
		return;
	j->idx = idx;
	j->size = size;
	j->cap = cap;
	j->child_sends = child_sends;
	j->in_cgroup = in_cgroup;
	j->buf = mmap(NULL, size, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	memset(j->buf, 1, size);	/* touched: charged before the squeeze */
	memset(mine, 0, size);
	fd = t_chan_open(idx, O_RDWR);
	pid = t_fork(child_main, j);
	for (i = 0; i < ROUNDS; i++) {
		if (child_sends) {
			T_EQ(t_recv(fd, mine, size, T_TIMEOUT_NS), size,
			     "%u B, cap %u, %s: receive message %d", size, cap, how, i);
			T_OK(t_verify(mine, size, 1000 + i), "  ... intact");
		} else {
			t_fill(mine, size, 2000 + i);
			T_EQ(t_send(fd, mine, size, T_TIMEOUT_NS), 0,
			     "%u B, cap %u, %s: send message %d", size, cap, how, i);
		}
	}
	T_CHILD(pid, T_TIMEOUT_MS, 0, "%u B, cap %u, %s: the child's side succeeds", size, cap,
		how);
	munmap(j->buf, size);
	free(mine);
	close(fd);
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

struct reader {
	int fd;
	void *buf;
	size_t len;
	long long timeout_ns;
	volatile long ret;
	volatile int done;
	pthread_t thread;
};

static void *reader_main(void *arg)
{
	struct reader *r = arg;

	r->ret = t_recv(r->fd, r->buf, r->len, r->timeout_ns);
	__atomic_store_n(&r->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static void reader_start(struct reader *r, int fd, size_t len, long long timeout_ns)
{
	r->fd = fd;
	r->len = len;
	r->buf = malloc(len);
	memset(r->buf, 0, len);
	r->timeout_ns = timeout_ns;
	r->done = 0;
	pthread_create(&r->thread, NULL, reader_main, r);
}

static bool reader_join(struct reader *r)
{
	int ms;

	for (ms = 0; ms < T_TIMEOUT_MS && !r->done; ms += 10)
		t_sleep_ms(10);
	if (!r->done)
		return false;
	pthread_join(r->thread, NULL);
	return true;
}

/* Two threads on one open file, both waiting for 1 MiB messages. */
static void test_shared_spare(void)
{
	const size_t size = 1 << 20;
	int idx = t_chan_new(0, size, 0), fd, wfd;
	unsigned char *msg = malloc(size);
	struct reader a, b, c;

	if (!T_GE(idx, 0, "create an unbuffered channel for 1 MiB messages"))
		return;
	fd = t_chan_open(idx, O_RDONLY);
	wfd = t_chan_open(idx, O_WRONLY);
	reader_start(&a, fd, size, CHAN_TIMEOUT_INFINITE);
	T_EQ(t_wait_attr(idx, "waiting_receivers", 1, T_TIMEOUT_MS), 0,
	     "thread A parks, its buffer pinned through the file's spare vector");
	reader_start(&c, fd, size, 300 * T_NSEC_PER_MSEC);
	T_OK(reader_join(&c), "thread C, same file, 300 ms timeout, returns");
	T_EQ(c.ret, -ETIMEDOUT, "  ... with ETIMEDOUT");
	reader_start(&b, fd, size, CHAN_TIMEOUT_INFINITE);
	t_sleep_ms(200);
	T_EQ(t_attr(idx, "waiting_receivers"), 1,
	     "thread B, same file, waits for the spare vector, not parked yet");
	T_EQ(b.done, 0, "  ... and has not returned");
	t_fill(msg, size, 0xA);
	T_EQ(t_send(wfd, msg, size, T_TIMEOUT_NS), 0, "send a 1 MiB message");
	t_fill(msg, size, 0xB);
	T_EQ(t_send(wfd, msg, size, T_TIMEOUT_NS), 0, "send another");
	T_OK(reader_join(&a), "thread A returns");
	T_OK(reader_join(&b), "thread B returns");
	T_EQ(a.ret, (long)size, "  A got a whole message");
	T_EQ(b.ret, (long)size, "  B got a whole message");
	T_OK((t_verify(a.buf, size, 0xA) && t_verify(b.buf, size, 0xB)) ||
	     (t_verify(a.buf, size, 0xB) && t_verify(b.buf, size, 0xA)),
	     "  ... one each, intact");
	free(a.buf);
	free(b.buf);
	free(c.buf);
	free(msg);
	close(fd);
	close(wfd);
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

int main(void)
{
	static const unsigned int sizes[] = { 64 * 1024, 1024 * 1024 };
	static const unsigned int caps[] = { 2, 0 };
	bool cg;
	unsigned int s, c;

	t_init("big_msgs");
	cg = cgroup_setup();
	if (!cg)
		t_diag("no memory cgroup here: messages move without the squeeze");
	for (s = 0; s < T_ARRAY_SIZE(sizes); s++)
		for (c = 0; c < T_ARRAY_SIZE(caps); c++) {
			run_job(sizes[s], caps[c], true, cg);
			run_job(sizes[s], caps[c], false, cg);
		}
	if (cg) {
		T_EQ(read_field(CGROUP "/memory.events", "oom_kill"), 0,
		     "memory.events: no OOM kill in the squeezed cgroup");
		T_GE(read_field(CGROUP "/memory.events", "max"), 0,
		     "memory.events is readable");
	}
	test_shared_spare();
	if (cg)
		rmdir(CGROUP);
	return t_done();
}
