// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by the kchan integration tests: TAP output, channel and
 * module management, sysfs access, bounded child processes. See helpers.h.
 */
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "helpers.h"

#define T_MAX_KIDS	256
#define T_MAX_CHANS	256

static const char *t_name = "test";
static int t_num;
static int t_nfail;
static bool t_child;
static bool t_child_failed;
static pid_t t_kids[T_MAX_KIDS];
static int t_nkids;
static int t_chans[T_MAX_CHANS];
static int t_nchans;
static bool t_mod_dirty;
static const char *volatile t_last_file = "(start)";
static volatile int t_last_line;
static int t_watchdog_s = 90;
static volatile sig_atomic_t t_sigpipes;

/* ---- value formatting ---- */

static const char *t_errname(long long v)
{
	const char *n;

	if (v > -4096 && v < 0) {
		n = strerrorname_np((int)-v);
		if (n)
			return n;
	}
	return NULL;
}

static void t_fmt_val(char *buf, size_t sz, long long v)
{
	const char *n = t_errname(v);

	if (v == LLONG_MIN)
		snprintf(buf, sz, "<read error>");
	else if (n)
		snprintf(buf, sz, "%lld (-%s)", v, n);
	else
		snprintf(buf, sz, "%lld", v);
}

/* ---- watchdog and cleanup ---- */

static void t_putstr(char *out, size_t sz, const char *s)
{
	size_t l = strlen(out);

	while (*s && l + 1 < sz)
		out[l++] = *s++;
	out[l] = '\0';
}

static void t_putnum(char *out, size_t sz, long v)
{
	char tmp[24];
	int i = sizeof(tmp) - 1;
	bool neg = v < 0;
	unsigned long u = neg ? -(unsigned long)v : (unsigned long)v;

	tmp[i] = '\0';
	do {
		tmp[--i] = '0' + u % 10;
		u /= 10;
	} while (u && i > 1);
	if (neg)
		tmp[--i] = '-';
	t_putstr(out, sz, tmp + i);
}

static void t_reap_bounded(pid_t pid)
{
	struct timespec ts = { 0, 5 * 1000 * 1000 };
	int i;

	for (i = 0; i < T_TIMEOUT_MS / 5; i++) {
		if (waitpid(pid, NULL, WNOHANG) != 0)
			return;
		nanosleep(&ts, NULL);
	}
}

/* Async-signal-safe: only syscalls. */
static void t_cleanup_raw(void)
{
	struct chan_ctl_destroy d;
	int i, fd;

	for (i = 0; i < t_nkids; i++)
		kill(t_kids[i], SIGKILL);
	for (i = 0; i < t_nkids; i++)
		t_reap_bounded(t_kids[i]);
	t_nkids = 0;
	fd = open(CHAN_CONTROL_PATH, O_RDWR | O_CLOEXEC);
	for (i = 0; fd >= 0 && i < t_nchans; i++) {
		d.index = t_chans[i];
		d.flags = CHAN_DESTROY_F_FORCE;
		ioctl(fd, CHAN_CTL_DESTROY, &d);
	}
	if (fd >= 0)
		close(fd);
	t_nchans = 0;
	if (t_mod_dirty) {
		const char *path = getenv("KCHAN_MODULE");

		syscall(SYS_close_range, 3U, ~0U, 0U);
		syscall(SYS_delete_module, "chan", O_NONBLOCK);
		fd = open(path ? path : T_MODULE_PATH, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			syscall(SYS_finit_module, fd, "", 0);
			close(fd);
		}
		t_mod_dirty = false;
	}
}

static void t_watchdog(int sig)
{
	static char msg[512];

	(void)sig;
	msg[0] = '\0';
	t_putstr(msg, sizeof(msg), "Bail out! watchdog: ");
	t_putstr(msg, sizeof(msg), t_name);
	t_putstr(msg, sizeof(msg), " still running after ");
	t_putnum(msg, sizeof(msg), t_watchdog_s);
	t_putstr(msg, sizeof(msg), " s (KCHAN_TEST_TIMEOUT); last check passed at ");
	t_putstr(msg, sizeof(msg), t_last_file);
	t_putstr(msg, sizeof(msg), ":");
	t_putnum(msg, sizeof(msg), t_last_line);
	t_putstr(msg, sizeof(msg), ": something after it is blocked\n");
	if (write(STDOUT_FILENO, msg, strlen(msg)) < 0)
		_exit(T_EXIT_FAIL);
	t_cleanup_raw();
	_exit(T_EXIT_FAIL);
}

/* chan(4): EPIPE never comes with SIGPIPE. Report one instead of dying. */
static void t_sigpipe(int sig)
{
	static const char msg[] =
		"# SIGPIPE received: the kernel raised SIGPIPE (chan(4): it must not)\n";

	(void)sig;
	t_sigpipes++;
	if (write(STDOUT_FILENO, msg, sizeof(msg) - 1) < 0)
		t_sigpipes++;
}

/* ---- TAP ---- */

void t_init(const char *name)
{
	const char *env = getenv("KCHAN_TEST_TIMEOUT");
	int i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	t_name = name;
	printf("TAP version 13\n# %s\n", name);
	if (geteuid() != 0)
		t_skip_all("needs root");
	for (i = 0; i < 200 && access(CHAN_CONTROL_PATH, F_OK); i++)
		t_sleep_ms(10);
	if (access(CHAN_CONTROL_PATH, F_OK)) {
		if (access(T_SYSFS_MODULE, F_OK))
			t_bail("module chan is not loaded (no %s): the harness should insmod %s first",
			       T_SYSFS_MODULE, T_MODULE_PATH);
		t_bail("%s missing although the module is loaded", CHAN_CONTROL_PATH);
	}
	if (env && atoi(env) > 0)
		t_watchdog_s = atoi(env);
	signal(SIGALRM, t_watchdog);
	signal(SIGPIPE, t_sigpipe);
	alarm(t_watchdog_s);
}

bool t_failed(void)
{
	return t_nfail > 0;
}

static void t_vreport(bool ok, const char *file, int line, const char *detail,
		      const char *fmt, va_list ap)
{
	char desc[512];

	vsnprintf(desc, sizeof(desc), fmt, ap);
	if (t_child) {
		if (!ok) {
			t_child_failed = true;
			printf("# child %d: FAILED: %s # %s:%d: %s\n", getpid(),
			       desc, file, line, detail);
		}
		return;
	}
	t_num++;
	if (ok) {
		t_last_file = file;
		t_last_line = line;
		printf("ok %d - %s\n", t_num, desc);
	} else {
		t_nfail++;
		printf("not ok %d - %s # %s:%d: %s\n", t_num, desc, file, line,
		       detail);
	}
}

bool t_check(const char *file, int line, bool ok, const char *detail,
	     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	t_vreport(ok, file, line, detail, fmt, ap);
	va_end(ap);
	return ok;
}

bool t_check_eq(const char *file, int line, long long got, long long want,
		const char *fmt, ...)
{
	char g[64], w[64], detail[160];
	va_list ap;

	t_fmt_val(g, sizeof(g), got);
	t_fmt_val(w, sizeof(w), want);
	snprintf(detail, sizeof(detail), "expected %s got %s", w, g);
	va_start(ap, fmt);
	t_vreport(got == want, file, line, detail, fmt, ap);
	va_end(ap);
	return got == want;
}

bool t_check_cmp(const char *file, int line, long long a, const char *op,
		 long long b, bool ok, const char *fmt, ...)
{
	char as[64], bs[64], detail[192];
	va_list ap;

	t_fmt_val(as, sizeof(as), a);
	t_fmt_val(bs, sizeof(bs), b);
	snprintf(detail, sizeof(detail), "expected %s %s %s", as, op, bs);
	va_start(ap, fmt);
	t_vreport(ok, file, line, detail, fmt, ap);
	va_end(ap);
	return ok;
}

bool t_check_child(const char *file, int line, pid_t pid, int timeout_ms,
		   int want_exit, const char *fmt, ...)
{
	char detail[192];
	int status = 0, r;
	bool ok = false;
	va_list ap;

	if (pid <= 0) {
		snprintf(detail, sizeof(detail), "fork failed");
	} else {
		r = t_wait_child(pid, timeout_ms, &status);
		if (r == -ETIMEDOUT)
			snprintf(detail, sizeof(detail),
				 "child %d hung: still running after %d ms, killed it",
				 pid, timeout_ms);
		else if (want_exit < 0 && WIFSIGNALED(status) &&
			 WTERMSIG(status) == -want_exit)
			ok = true;
		else if (want_exit < 0)
			snprintf(detail, sizeof(detail),
				 "child %d was not killed by SIG%s (status %#x)",
				 pid, sigabbrev_np(-want_exit) ?: "?", status);
		else if (WIFSIGNALED(status))
			snprintf(detail, sizeof(detail),
				 "child %d killed by signal SIG%s", pid,
				 sigabbrev_np(WTERMSIG(status)) ?: "?");
		else if (WEXITSTATUS(status) != want_exit)
			snprintf(detail, sizeof(detail),
				 "child %d exit status %d, expected %d (see '# child' lines above)",
				 pid, WEXITSTATUS(status), want_exit);
		else
			ok = true;
		if (ok)
			detail[0] = '\0';
	}
	va_start(ap, fmt);
	t_vreport(ok, file, line, detail, fmt, ap);
	va_end(ap);
	return ok;
}

void t_diag(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (t_child)
		printf("# child %d: %s\n", getpid(), buf);
	else
		printf("# %s\n", buf);
}

void t_skip(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	t_num++;
	printf("ok %d - %s # SKIP\n", t_num, buf);
}

void t_skip_all(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printf("1..0 # SKIP %s\n", buf);
	exit(T_EXIT_SKIP);
}

void t_bail(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (t_child) {
		printf("# child %d: %s\n", getpid(), buf);
		fflush(stdout);
		_exit(T_EXIT_FAIL);
	}
	printf("Bail out! %s\n", buf);
	fflush(stdout);
	alarm(0);
	t_cleanup_raw();
	exit(T_EXIT_FAIL);
}

int t_done(void)
{
	int i, r;

	alarm(0);
	if (t_nkids) {
		t_diag("cleanup: killing %d leftover children", t_nkids);
		t_kill_children();
	}
	for (i = t_nchans - 1; i >= 0; i--) {
		t_diag("cleanup: force-destroying leftover channel %d", t_chans[i]);
		t_chan_destroy(t_chans[i], CHAN_DESTROY_F_FORCE);
	}
	if (t_sigpipes)
		T_EQ(t_sigpipes, 0, "no SIGPIPE was raised during the test");
	if (t_mod_dirty) {
		syscall(SYS_close_range, 3U, ~0U, 0U);
		r = t_mod_restore();
		T_EQ(r, 0, "cleanup: module reloaded with default parameters");
	}
	printf("1..%d\n", t_num);
	if (t_nfail)
		printf("# %s: %d of %d checks failed\n", t_name, t_nfail, t_num);
	fflush(stdout);
	return t_nfail ? T_EXIT_FAIL : T_EXIT_PASS;
}

/* ---- time ---- */

uint64_t t_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * T_NSEC_PER_SEC + ts.tv_nsec;
}

void t_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* ---- memory ---- */

void *t_shared(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		t_bail("mmap shared %zu bytes: %s", size, strerror(errno));
	return p;
}

void *t_bad_ptr(void)
{
	static void *bad;

	if (!bad) {
		/*
		 * Kept mapped PROT_NONE (it faults like a hole): an unmapped
		 * address could be handed out again by a later mmap.
		 */
		bad = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			   -1, 0);
		if (bad == MAP_FAILED)
			t_bail("mmap: %s", strerror(errno));
	}
	return bad;
}

void *t_null(void)
{
	static void *volatile null;

	return null;
}

void *t_ro_page(void)
{
	static void *ro;

	if (!ro) {
		ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);
		if (ro == MAP_FAILED)
			t_bail("mmap: %s", strerror(errno));
	}
	return ro;
}

static unsigned char t_pattern(uint32_t id, size_t i)
{
	return (unsigned char)(id * 131u + i * 7u + (i >> 8));
}

void t_fill(void *buf, size_t len, uint32_t id)
{
	unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = i < 4 ? (unsigned char)(id >> (8 * i)) : t_pattern(id, i);
}

bool t_verify(const void *buf, size_t len, uint32_t id)
{
	const unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != (i < 4 ? (unsigned char)(id >> (8 * i)) : t_pattern(id, i)))
			return false;
	return true;
}

uint32_t t_msg_id(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	uint32_t id = 0;
	size_t i;

	for (i = 0; i < 4 && i < len; i++)
		id |= (uint32_t)p[i] << (8 * i);
	return id;
}

/* ---- control device and channels ---- */

int t_ctl_ioctl(unsigned long cmd, void *arg)
{
	int fd, r, e;

	fd = open(CHAN_CONTROL_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = ioctl(fd, cmd, arg);
	e = errno;
	close(fd);
	return r < 0 ? -e : r;
}

static void t_track(int index)
{
	if (t_nchans < T_MAX_CHANS)
		t_chans[t_nchans++] = index;
}

void t_chan_forget(int index)
{
	int i;

	for (i = 0; i < t_nchans; i++) {
		if (t_chans[i] == index) {
			t_chans[i] = t_chans[--t_nchans];
			return;
		}
	}
}

const char *t_chan_path(int index)
{
	static char bufs[8][32];
	static int slot;
	char *b = bufs[slot++ % 8];

	snprintf(b, 32, "%s%d", CHAN_DEV_PREFIX, index);
	return b;
}

bool t_chan_exists(int index)
{
	char p[64];

	snprintf(p, sizeof(p), T_SYSFS_CLASS "/chan%d", index);
	return access(p, F_OK) == 0;
}

int t_wait_path(const char *path, bool present, int timeout_ms)
{
	uint64_t end = t_now_ns() + (uint64_t)timeout_ms * T_NSEC_PER_MSEC;

	for (;;) {
		if ((access(path, F_OK) == 0) == present)
			return 0;
		if (t_now_ns() > end)
			return -ETIMEDOUT;
		t_sleep_ms(5);
	}
}

int t_chan_create(struct chan_ctl_create *c)
{
	int r = t_ctl_ioctl(CHAN_CTL_CREATE, c);

	if (r < 0)
		return r;
	t_track(c->index);
	if (t_wait_path(t_chan_path(c->index), true, T_NODE_MS))
		t_diag("%s did not appear within %d ms of CHAN_CTL_CREATE",
		       t_chan_path(c->index), T_NODE_MS);
	return r;
}

int t_chan_new_ex(__u32 capacity, __u32 msg_size, __u32 flags, __u32 mode,
		  __u32 uid, __u32 gid)
{
	struct chan_ctl_create c = {
		.capacity = capacity, .msg_size = msg_size, .flags = flags,
		.mode = mode, .uid = uid, .gid = gid, .index = CHAN_INDEX_ANY,
	};
	int r = t_chan_create(&c);

	if (r < 0) {
		t_diag("CHAN_CTL_CREATE capacity %u msg_size %u flags %#x: %s",
		       capacity, msg_size, flags, strerrorname_np(-r) ?: "?");
		return r;
	}
	return c.index;
}

int t_chan_new(__u32 capacity, __u32 msg_size, __u32 flags)
{
	return t_chan_new_ex(capacity, msg_size, flags, 0, CHAN_ID_CALLER,
			     CHAN_ID_CALLER);
}

int t_chan_destroy(int index, __u32 flags)
{
	struct chan_ctl_destroy d = { .index = index, .flags = flags };
	int r = t_ctl_ioctl(CHAN_CTL_DESTROY, &d);

	if (r == 0) {
		t_chan_forget(index);
		if (t_wait_path(t_chan_path(index), false, T_NODE_MS))
			t_diag("%s still there %d ms after CHAN_CTL_DESTROY",
			       t_chan_path(index), T_NODE_MS);
	}
	return r;
}

int t_chan_open(int index, int oflags)
{
	const char *path = t_chan_path(index);
	uint64_t end = t_now_ns() + (uint64_t)T_NODE_MS * T_NSEC_PER_MSEC;
	int fd;

	for (;;) {
		fd = open(path, oflags | O_CLOEXEC);
		if (fd >= 0)
			return fd;
		if (errno != ENOENT || t_now_ns() > end)
			return -errno;
		t_sleep_ms(5);
	}
}

/* ---- channel I/O ---- */

long t_xfer(int fd, unsigned long cmd, const void *buf, size_t len,
	    __u32 flags, long long timeout_ns)
{
	struct chan_xfer x = {
		.buf = (__u64)(uintptr_t)buf, .len = (__u32)len,
		.flags = flags, .timeout_ns = timeout_ns,
	};

	return SYS(ioctl(fd, cmd, &x));
}

long t_send(int fd, const void *buf, size_t len, long long timeout_ns)
{
	return t_xfer(fd, CHAN_IOC_SEND, buf, len, 0, timeout_ns);
}

long t_recv(int fd, void *buf, size_t len, long long timeout_ns)
{
	return t_xfer(fd, CHAN_IOC_RECV, buf, len, 0, timeout_ns);
}

int t_fionread(int fd)
{
	int n = -1;

	if (ioctl(fd, FIONREAD, &n) < 0)
		return -errno;
	return n;
}

int t_close_chan(int fd)
{
	return SYS(ioctl(fd, CHAN_IOC_CLOSE));
}

int t_set_timeouts(int fd, long long send_ns, long long recv_ns)
{
	struct chan_timeouts t = { .send_ns = send_ns, .recv_ns = recv_ns };

	return SYS(ioctl(fd, CHAN_IOC_SET_TIMEOUTS, &t));
}

int t_get_timeouts(int fd, long long *send_ns, long long *recv_ns)
{
	struct chan_timeouts t = { .send_ns = 12345, .recv_ns = 12345 };
	int r = SYS(ioctl(fd, CHAN_IOC_GET_TIMEOUTS, &t));

	*send_ns = t.send_ns;
	*recv_ns = t.recv_ns;
	return r;
}

int t_set_capacity(int fd, __u32 capacity)
{
	return SYS(ioctl(fd, CHAN_IOC_SET_CAPACITY, &capacity));
}

/* ---- sysfs ---- */

int t_read_num(const char *path, long long *val)
{
	char buf[64], *end;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	buf[n] = '\0';
	errno = 0;
	if (buf[0] == '-')
		*val = strtoll(buf, &end, 10);
	else
		*val = (long long)strtoull(buf, &end, 10);
	if (errno || end == buf || (*end && *end != '\n'))
		return -EINVAL;
	return 0;
}

int t_attr_read(int index, const char *attr, long long *val)
{
	char p[128];

	snprintf(p, sizeof(p), T_SYSFS_CLASS "/chan%d/%s", index, attr);
	return t_read_num(p, val);
}

long long t_attr(int index, const char *attr)
{
	long long v;
	int r = t_attr_read(index, attr, &v);

	if (r < 0) {
		t_diag("reading %s/chan%d/%s: %s", T_SYSFS_CLASS, index, attr,
		       strerrorname_np(-r) ?: "?");
		return LLONG_MIN;
	}
	return v;
}

int t_attr_write(int index, const char *attr, const char *val)
{
	char p[128];
	ssize_t n;
	int fd;

	snprintf(p, sizeof(p), T_SYSFS_CLASS "/chan%d/%s", index, attr);
	fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	if (n < 0)
		n = -errno;
	close(fd);
	return n < 0 ? (int)n : 0;
}

/* Poll chan<index>/<attr> until it reads @want, or @op (if any) is done. */
static int t_wait_attr_op(int index, const char *attr, long long want,
			  int timeout_ms, struct t_op *op)
{
	uint64_t end = t_now_ns() + (uint64_t)timeout_ms * T_NSEC_PER_MSEC;
	long long v = LLONG_MIN;
	int ms = 1, r = 0;

	for (;;) {
		r = t_attr_read(index, attr, &v);
		if (r == 0 && v == want)
			return 0;
		if (op && __atomic_load_n(&op->done, __ATOMIC_SEQ_CST))
			return -ECHILD;
		if (t_now_ns() > end)
			break;
		t_sleep_ms(ms);
		if (ms < 16)
			ms *= 2;
	}
	if (r)
		t_diag("chan%d/%s unreadable (%s) for %d ms while waiting for %lld",
		       index, attr, strerrorname_np(-r) ?: "?", timeout_ms, want);
	else
		t_diag("chan%d/%s is %lld, waited %d ms for it to become %lld",
		       index, attr, v, timeout_ms, want);
	return -ETIMEDOUT;
}

int t_wait_attr(int index, const char *attr, long long want, int timeout_ms)
{
	return t_wait_attr_op(index, attr, want, timeout_ms, NULL);
}

int t_param(const char *name, long long *val)
{
	char p[128];

	snprintf(p, sizeof(p), T_SYSFS_MODULE "/parameters/%s", name);
	return t_read_num(p, val);
}

long long t_param_or(const char *name, long long dflt)
{
	long long v;

	return t_param(name, &v) == 0 ? v : dflt;
}

/* ---- children ---- */

bool t_in_child(void)
{
	return t_child;
}

pid_t t_fork(int (*fn)(void *arg), void *arg)
{
	pid_t parent = getpid(), pid;
	int rc;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		t_diag("fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		alarm(0);
		t_child = true;
		t_child_failed = false;
		t_nkids = 0;
		t_nchans = 0;
		t_mod_dirty = false;
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(T_EXIT_FAIL);
		rc = fn(arg);
		fflush(stdout);
		_exit(rc ? rc : t_child_failed ? T_EXIT_FAIL : 0);
	}
	if (t_nkids < T_MAX_KIDS)
		t_kids[t_nkids++] = pid;
	return pid;
}

static void t_untrack_kid(pid_t pid)
{
	int i;

	for (i = 0; i < t_nkids; i++) {
		if (t_kids[i] == pid) {
			t_kids[i] = t_kids[--t_nkids];
			return;
		}
	}
}

int t_wait_child(pid_t pid, int timeout_ms, int *status)
{
	uint64_t end = t_now_ns() + (uint64_t)timeout_ms * T_NSEC_PER_MSEC;
	int st = 0, ms = 1;
	pid_t r;

	for (;;) {
		r = waitpid(pid, &st, WNOHANG);
		if (r == pid || (r < 0 && errno != EINTR)) {
			t_untrack_kid(pid);
			if (status)
				*status = st;
			return 0;
		}
		if (t_now_ns() > end)
			break;
		t_sleep_ms(ms);
		if (ms < 16)
			ms *= 2;
	}
	kill(pid, SIGKILL);
	end = t_now_ns() + (uint64_t)T_TIMEOUT_MS * T_NSEC_PER_MSEC;
	for (;;) {
		if (waitpid(pid, &st, WNOHANG) == pid) {
			t_untrack_kid(pid);
			break;
		}
		if (t_now_ns() > end) {
			t_diag("child %d does not die even after SIGKILL (stuck in the kernel?)",
			       pid);
			break;
		}
		t_sleep_ms(5);
	}
	if (status)
		*status = st;
	return -ETIMEDOUT;
}

void t_kill_children(void)
{
	int i;

	for (i = 0; i < t_nkids; i++)
		kill(t_kids[i], SIGKILL);
	while (t_nkids)
		t_wait_child(t_kids[0], T_TIMEOUT_MS, NULL);
}

int t_wait_sleeping(pid_t pid, int timeout_ms)
{
	uint64_t end = t_now_ns() + (uint64_t)timeout_ms * T_NSEC_PER_MSEC;
	char p[64], buf[512], *s;
	ssize_t n;
	int fd;

	snprintf(p, sizeof(p), "/proc/%d/stat", pid);
	for (;;) {
		fd = open(p, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n > 0) {
			buf[n] = '\0';
			s = strrchr(buf, ')');
			if (s && s[1] == ' ' && s[2] == 'S')
				return 0;
		}
		if (t_now_ns() > end)
			return -ETIMEDOUT;
		t_sleep_ms(2);
	}
}

int t_drop_privs(void)
{
	if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
		return -errno;
	if (geteuid() != 65534 || getegid() != 65534)
		return -EPERM;
	/* A credential change clears the parent-death signal: set it again. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	return 0;
}

/* ---- one blocking op in a child ---- */

static struct t_op *t_cur_op;

static void t_op_handler(int sig)
{
	(void)sig;
	if (t_cur_op)
		__atomic_add_fetch(&t_cur_op->handled, 1, __ATOMIC_SEQ_CST);
}

const char *t_op_name(int kind)
{
	switch (kind) {
	case T_OP_READ: return "read";
	case T_OP_WRITE: return "write";
	case T_OP_SEND: return "CHAN_IOC_SEND";
	case T_OP_RECV: return "CHAN_IOC_RECV";
	}
	return "?";
}

struct t_op *t_op_new(int kind, int index, int oflags, unsigned int len)
{
	struct t_op *op = t_shared(sizeof(*op));

	op->kind = kind;
	op->fd = -1;
	op->index = index;
	op->oflags = oflags;
	op->len = len;
	op->timeout_ns = CHAN_TIMEOUT_INFINITE;
	op->tmo_send_ns = CHAN_TIMEOUT_INFINITE;
	op->tmo_recv_ns = CHAN_TIMEOUT_INFINITE;
	op->ret = LONG_MIN;
	return op;
}

static int t_op_child(void *arg)
{
	struct t_op *op = arg;
	void *buf = op->bad_buf ? t_bad_ptr() : op->buf;
	int fd = op->fd;
	long r = -EINVAL;

	if (op->sig) {
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = t_op_handler;
		sa.sa_flags = op->sa_flags;
		sigemptyset(&sa.sa_mask);
		t_cur_op = op;
		sigaction(op->sig, &sa, NULL);
	}
	if (fd < 0) {
		fd = t_chan_open(op->index, op->oflags);
		if (fd < 0) {
			t_diag("open %s: %s", t_chan_path(op->index),
			       strerrorname_np(-fd) ?: "?");
			op->ret = fd;
			op->done = 1;
			return 2;
		}
	}
	if (op->set_timeouts) {
		r = t_set_timeouts(fd, op->tmo_send_ns, op->tmo_recv_ns);
		if (r) {
			t_diag("CHAN_IOC_SET_TIMEOUTS: %s", strerrorname_np(-r) ?: "?");
			op->ret = r;
			op->done = 1;
			return 2;
		}
	}
	op->t_start = t_now_ns();
	__atomic_store_n(&op->started, 1, __ATOMIC_SEQ_CST);
	switch (op->kind) {
	case T_OP_READ:
		r = SYS(read(fd, buf, op->len));
		break;
	case T_OP_WRITE:
		r = SYS(write(fd, buf, op->len));
		break;
	case T_OP_SEND:
		r = t_send(fd, buf, op->len, op->timeout_ns);
		break;
	case T_OP_RECV:
		r = t_recv(fd, buf, op->len, op->timeout_ns);
		break;
	}
	op->t_end = t_now_ns();
	op->ret = r;
	__atomic_store_n(&op->done, 1, __ATOMIC_SEQ_CST);
	return 0;
}

pid_t t_op_start(struct t_op *op)
{
	return t_fork(t_op_child, op);
}

pid_t t_op_park_at(const char *file, int line, struct t_op *op,
		   const char *gauge, long long want)
{
	pid_t pid = t_op_start(op);
	int r = t_wait_attr_op(op->index, gauge, want, T_TIMEOUT_MS, op);
	char detail[160];

	if (r && op->done)
		snprintf(detail, sizeof(detail),
			 "the %s returned instead of blocking: %ld (%s)",
			 t_op_name(op->kind), op->ret,
			 t_errname(op->ret) ?: "no error");
	else
		snprintf(detail, sizeof(detail),
			 "chan%d/%s never reached %lld within %d ms",
			 op->index, gauge, want, T_TIMEOUT_MS);
	t_check(file, line, r == 0, detail,
		"child %s on chan%d parks (%s == %lld)", t_op_name(op->kind),
		op->index, gauge, want);
	return pid;
}

/* ---- module ---- */

bool t_mod_loaded(void)
{
	return access(T_SYSFS_MODULE, F_OK) == 0;
}

int t_mod_holders(void)
{
	DIR *d = opendir(T_SYSFS_MODULE "/holders");
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

int t_mod_unload(void)
{
	long r = SYS(syscall(SYS_delete_module, "chan", O_NONBLOCK));

	if (r == 0) {
		t_mod_dirty = true;
		t_nchans = 0;
		if (t_wait_path(CHAN_CONTROL_PATH, false, T_NODE_MS))
			t_diag("%s still there after delete_module", CHAN_CONTROL_PATH);
	}
	return (int)r;
}

int t_mod_load(const char *params)
{
	const char *path = getenv("KCHAN_MODULE");
	int fd, r;

	if (!path)
		path = T_MODULE_PATH;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		t_diag("open %s: %s", path, strerror(-r));
		return r;
	}
	r = SYS(syscall(SYS_finit_module, fd, params, 0));
	close(fd);
	if (r == 0) {
		t_mod_dirty = params[0] != '\0';
		if (t_wait_path(CHAN_CONTROL_PATH, true, T_NODE_MS))
			t_diag("%s did not appear after finit_module", CHAN_CONTROL_PATH);
	}
	return r;
}

int t_mod_restore(void)
{
	int r;

	if (t_mod_loaded()) {
		if (!t_mod_dirty)
			return 0;
		r = t_mod_unload();
		if (r) {
			t_diag("restore: delete_module(chan): %s",
			       strerrorname_np(-r) ?: "?");
			return r;
		}
	}
	r = t_mod_load("");
	if (r)
		t_diag("restore: finit_module(chan.ko, \"\"): %s",
		       strerrorname_np(-r) ?: "?");
	else
		t_mod_dirty = false;
	return r;
}

void t_mod_require_reload(void)
{
	const char *path = getenv("KCHAN_MODULE");
	long long refcnt = 0;

	if (!path)
		path = T_MODULE_PATH;
	if (access(path, R_OK))
		t_skip_all("cannot reload the module: %s: %s", path, strerror(errno));
	if (t_mod_holders())
		t_skip_all("other modules depend on chan (%s/holders): cannot unload it",
			   T_SYSFS_MODULE);
	if (t_read_num(T_SYSFS_MODULE "/refcnt", &refcnt) == 0 && refcnt)
		t_skip_all("chan is in use by someone else (refcnt %lld): cannot unload it",
			   refcnt);
}

/* ---- CHAN_IOC_SELECT ---- */

void t_sel_case(struct chan_select_case *c, int fd, __u32 op, const void *buf,
		__u32 len)
{
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->op = op;
	c->buf = (__u64)(uintptr_t)buf;
	c->len = len;
	c->result = T_SEL_NORESULT;
}

long t_select(int fd, struct chan_select_case *cases, unsigned int ncases,
	      long long timeout_ns)
{
	struct chan_select s = {
		.cases = (__u64)(uintptr_t)cases, .ncases = ncases,
		.timeout_ns = timeout_ns,
	};

	if (fd < 0)
		fd = ncases ? cases[0].fd : -1;
	return SYS(ioctl(fd, CHAN_IOC_SELECT, &s));
}

static struct t_sel_op *t_cur_sel_op;

static void t_sel_op_handler(int sig)
{
	(void)sig;
	if (t_cur_sel_op)
		__atomic_add_fetch(&t_cur_sel_op->handled, 1, __ATOMIC_SEQ_CST);
}

struct t_sel_op *t_sel_op_new(long long timeout_ns)
{
	struct t_sel_op *op = t_shared(sizeof(*op));

	op->timeout_ns = timeout_ns;
	op->ret = LONG_MIN;
	return op;
}

int t_sel_op_add(struct t_sel_op *op, int fd, __u32 kind, unsigned int len,
		 uint32_t id)
{
	int i = (int)op->ncases;

	if (i >= CHAN_SELECT_MAX || len > T_SEL_BUF)
		t_bail("t_sel_op_add: case %d of %u bytes does not fit", i, len);
	if (kind == CHAN_OP_SEND)
		t_fill(op->bufs[i], len, id);
	t_sel_case(&op->cases[i], fd, kind, op->bufs[i], len);
	op->ncases++;
	return i;
}

static int t_sel_op_child(void *arg)
{
	struct t_sel_op *op = arg;

	if (op->sig) {
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = t_sel_op_handler;
		sa.sa_flags = op->sa_flags;
		sigemptyset(&sa.sa_mask);
		t_cur_sel_op = op;
		sigaction(op->sig, &sa, NULL);
	}
	op->t_start = t_now_ns();
	__atomic_store_n(&op->started, 1, __ATOMIC_SEQ_CST);
	op->ret = t_select(-1, op->cases, op->ncases, op->timeout_ns);
	op->t_end = t_now_ns();
	__atomic_store_n(&op->done, 1, __ATOMIC_SEQ_CST);
	return 0;
}

pid_t t_sel_op_start(struct t_sel_op *op)
{
	return t_fork(t_sel_op_child, op);
}

int t_sel_op_wait_handled(struct t_sel_op *op, int n)
{
	uint64_t end = t_now_ns() + T_TIMEOUT_NS;

	while (__atomic_load_n(&op->handled, __ATOMIC_SEQ_CST) < n) {
		if (t_now_ns() > end)
			return -ETIMEDOUT;
		t_sleep_ms(1);
	}
	return 0;
}
