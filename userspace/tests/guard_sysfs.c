// SPDX-License-Identifier: GPL-2.0
/*
 * Description: the sysfs face of a channel's guard, cross-checked with
 * its ioctls. breaker/ holds mode and the twelve numeric fields of struct
 * chan_breaker_config (0644) and state, calls, failures, slow_calls,
 * rejected, trips, generation, current_open_ms (0444, not writable even
 * by root); rate/ holds rate, burst (0644) and tokens (0444); stats/ has
 * breaker_rejected and rate_limited (0444). On a new channel each file
 * holds exactly its default and a newline (mode "disabled", window_ms
 * 10000, ..., state "closed", counters 0, rate 0, burst 1, tokens 1).
 * Every valid write of a field is what CHAN_IOC_GET_BREAKER then returns,
 * reads back, and starts exactly one new generation; every invalid one
 * (out of range as chan_breaker_cfg_check() says, relative to the other
 * fields, an unknown flag, not a number: EINVAL; over 32 bits: ERANGE)
 * changes neither the configuration nor the generation, and an empty
 * write(2) reaches no store. mode takes the names, with or without a
 * newline, and nothing else (EINVAL for "AUTO", "bogus", "1", ...);
 * forced_open reads state "open" and refuses sends with ECONNREFUSED,
 * counted alike in breaker/rejected, stats/breaker_rejected and
 * CHAN_IOC_GET_BREAKER_STATUS. A poller of breaker/state (POLLPRI, after
 * a read) sleeps while nothing changes and is woken by a change of mode
 * through sysfs or CHAN_IOC_SET_BREAKER, by a field write, and by an AUTO
 * breaker tripping on two failed sends in a row (state "open", trips 1,
 * current_open_ms as configured; a later field write closes it again,
 * keeping trips). rate/ follows CHAN_IOC_GET_RATE and SET_RATE both ways;
 * each change fills the bucket; a burst of 0 is refused while there is a
 * rate, and a rate while the burst is 0; with rate 1 burst 2 the third
 * non-blocking send fails with EAGAIN, counted in stats/rate_limited, not
 * in stats/full, tokens 0; rate 0 lifts the limit. An unprivileged
 * process cannot write breaker/ or rate/ files (EACCES), nor can root
 * without CAP_SYS_ADMIN on a channel it does not own (EPERM, as the
 * ioctls), and nothing changes.
 */
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/capability.h>

#include "helpers.h"

#define MSG		16
#define POLL_MS		5000	/* bound of a sysfs poller's wait */
#define QUIET_MS	300	/* a poll that must time out */
#define OPEN_MS		20000	/* longer than the test: no HALF_OPEN */

/* ---- reading attributes as strings ---- */

/* The whole of chan<idx>/<attr>, NUL-terminated: its length or -errno. */
static int attr_str(int idx, const char *attr, char *buf, size_t size)
{
	size_t len = 0;
	char p[128];
	ssize_t n;
	int fd;

	buf[0] = '\0';
	snprintf(p, sizeof(p), T_SYSFS_CLASS "/chan%d/%s", idx, attr);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (len < size - 1) {
		n = read(fd, buf + len, size - 1 - len);
		if (n < 0) {
			n = -errno;
			close(fd);
			buf[0] = '\0';
			return (int)n;
		}
		if (!n)
			break;
		len += n;
	}
	close(fd);
	buf[len] = '\0';
	return (int)len;
}

/* @src with newlines as "\n", for TAP lines. */
static const char *esc(char *dst, size_t size, const char *src)
{
	size_t j = 0;

	for (; *src && j + 3 < size; src++) {
		if (*src == '\n') {
			dst[j++] = '\\';
			dst[j++] = 'n';
		} else {
			dst[j++] = *src;
		}
	}
	dst[j] = '\0';
	return dst;
}

/* chan<idx>/<attr> holds exactly @want. */
__attribute__((format(printf, 6, 7)))
static bool check_str(const char *file, int line, int idx, const char *attr,
		      const char *want, const char *fmt, ...)
{
	char got[128], eg[256], ew[256], msg[256], detail[640];
	int r = attr_str(idx, attr, got, sizeof(got));
	bool ok = r >= 0 && !strcmp(got, want);
	va_list ap;

	if (r < 0)
		snprintf(got, sizeof(got), "(error %s)", strerrorname_np(-r) ?: "?");
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(detail, sizeof(detail), "%s: expected \"%s\" got \"%s\"", attr,
		 esc(ew, sizeof(ew), want), esc(eg, sizeof(eg), got));
	return t_check(file, line, ok, detail, "%s", msg);
}

#define T_STR(idx, attr, want, ...) \
	check_str(__FILE__, __LINE__, (idx), (attr), (want), __VA_ARGS__)

/* Same, for a number and its newline. */
#define T_NUM(idx, attr, val, ...) ({ \
	char _w[32]; \
	snprintf(_w, sizeof(_w), "%llu\n", (unsigned long long)(val)); \
	T_STR((idx), (attr), _w, __VA_ARGS__); })

/* Read an open sysfs file again from its start (re-arms its poll). */
static int fd_str(int fd, char *buf, size_t size)
{
	ssize_t n;

	buf[0] = '\0';
	if (lseek(fd, 0, SEEK_SET) < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return (int)n;
}

/* revents of a poll for POLLPRI of @fd within @ms, 0 if none, or -errno. */
static int poll_pri(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLPRI | POLLERR };
	int r = poll(&p, 1, ms);

	if (r < 0)
		return -errno;
	return r ? p.revents : 0;
}

static int open_attr(int idx, const char *attr, int flags)
{
	char p[128];

	snprintf(p, sizeof(p), T_SYSFS_CLASS "/chan%d/%s", idx, attr);
	return SYS(open(p, flags | O_CLOEXEC));
}

/* ---- the breaker's ioctls ---- */

#define F(name)	#name, offsetof(struct chan_breaker_config, name)

static const struct field {
	const char *name;
	size_t off;
	__u32 def;
} fields[] = {
	{ F(window_ms), 10000 },
	{ F(min_calls), 10 },
	{ F(failure_pct), 50 },
	{ F(consecutive_failures), 0 },
	{ F(slow_ms), 0 },
	{ F(slow_pct), 100 },
	{ F(open_ms), 5000 },
	{ F(open_min_ms), 1000 },
	{ F(open_max_ms), 60000 },
	{ F(half_open_probes), 3 },
	{ F(half_open_max_ms), 10000 },
	{ F(flags), 0 },
};

static const char *const status_files[] = {
	"state", "calls", "failures", "slow_calls", "rejected", "trips",
	"generation", "current_open_ms",
};

static const char *const mode_names[] = {
	[CHAN_BREAKER_DISABLED] = "disabled",
	[CHAN_BREAKER_AUTO] = "auto",
	[CHAN_BREAKER_FORCED_OPEN] = "forced_open",
	[CHAN_BREAKER_METRICS_ONLY] = "metrics_only",
};

static const struct field *field_of(const char *name)
{
	size_t i;

	for (i = 0; i < T_ARRAY_SIZE(fields); i++)
		if (!strcmp(fields[i].name, name))
			return &fields[i];
	return NULL;
}

static __u32 *cfg_at(struct chan_breaker_config *c, size_t off)
{
	return (__u32 *)((char *)c + off);
}

static void cfg_default(struct chan_breaker_config *c)
{
	*c = (struct chan_breaker_config) {
		.mode = CHAN_BREAKER_DISABLED, .window_ms = 10000,
		.min_calls = 10, .failure_pct = 50, .consecutive_failures = 0,
		.slow_ms = 0, .slow_pct = 100, .open_ms = 5000,
		.open_min_ms = 1000, .open_max_ms = 60000,
		.half_open_probes = 3, .half_open_max_ms = 10000, .flags = 0,
	};
}

static int get_cfg(int fd, struct chan_breaker_config *c)
{
	memset(c, 0xa5, sizeof(*c));
	return SYS(ioctl(fd, CHAN_IOC_GET_BREAKER, c));
}

static int get_status(int fd, struct chan_breaker_status *st)
{
	memset(st, 0xa5, sizeof(*st));
	return SYS(ioctl(fd, CHAN_IOC_GET_BREAKER_STATUS, st));
}

static bool cfg_is(int fd, const struct chan_breaker_config *want)
{
	struct chan_breaker_config c;

	return !get_cfg(fd, &c) && !memcmp(&c, want, sizeof(c));
}

static long long gen_of(int idx)
{
	return t_attr(idx, "breaker/generation");
}

static int get_rate(int fd, struct chan_rate *r)
{
	memset(r, 0xa5, sizeof(*r));
	return SYS(ioctl(fd, CHAN_IOC_GET_RATE, r));
}

/* ---- a poller of breaker/state in a child ---- */

struct poller {
	int fd;
	volatile int started;
	int ret;
	short revents;
	uint64_t ns;
};

static int poller_fn(void *arg)
{
	struct poller *p = arg;
	struct pollfd pfd = { .fd = p->fd, .events = POLLPRI | POLLERR };
	uint64_t t = t_now_ns();

	__atomic_store_n(&p->started, 1, __ATOMIC_SEQ_CST);
	p->ret = SYS(poll(&pfd, 1, POLL_MS));
	p->revents = pfd.revents;
	p->ns = t_now_ns() - t;
	return 0;
}

/*
 * Poll @fd (of breaker/state, read since the last change) in a child, and
 * wait until it sleeps there. The open file is shared, so a change made
 * before the child polls still wakes it: no race either way.
 */
static pid_t poller_start(struct poller *p, int fd)
{
	uint64_t end = t_now_ns() + T_TIMEOUT_NS;
	pid_t pid;

	memset(p, 0, sizeof(*p));
	p->fd = fd;
	p->ret = -1;
	pid = t_fork(poller_fn, p);
	if (pid < 0)
		return pid;
	while (!__atomic_load_n(&p->started, __ATOMIC_SEQ_CST) && t_now_ns() < end)
		t_sleep_ms(1);
	t_wait_sleeping(pid, T_TIMEOUT_MS);
	return pid;
}

static void poller_check(pid_t pid, struct poller *p, const char *what)
{
	if (!T_GT(pid, 0, "fork a poller of breaker/state"))
		return;
	T_CHILD(pid, T_TIMEOUT_MS, 0, "a poller of breaker/state returns after %s", what);
	T_EQ(p->ret, 1, "  ... woken: poll() returned 1, not 0 after its %d ms", POLL_MS);
	T_EQ(p->revents & POLLPRI, POLLPRI, "  ... with POLLPRI");
	T_EQ(p->revents & POLLERR, POLLERR, "  ... and POLLERR (kernfs_notify)");
}

/* ---- files, modes and defaults ---- */

static void check_mode(int idx, const char *attr, unsigned int want)
{
	char p[128];
	struct stat st;
	int r;

	snprintf(p, sizeof(p), T_SYSFS_CLASS "/chan%d/%s", idx, attr);
	r = SYS(stat(p, &st));
	if (!T_EQ(r, 0, "%s exists", attr))
		return;
	T_EQ(st.st_mode & (S_IFMT | 07777), S_IFREG | want,
	     "  ... a regular file of mode 0%o (got 0%o)", want, st.st_mode & 07777);
}

static void test_files_and_defaults(int idx, int fd)
{
	struct chan_breaker_config c, d;
	struct chan_breaker_status st;
	struct chan_rate rt;
	char a[64];
	size_t i;

	check_mode(idx, "breaker/mode", 0644);
	for (i = 0; i < T_ARRAY_SIZE(fields); i++) {
		snprintf(a, sizeof(a), "breaker/%s", fields[i].name);
		check_mode(idx, a, 0644);
	}
	for (i = 0; i < T_ARRAY_SIZE(status_files); i++) {
		snprintf(a, sizeof(a), "breaker/%s", status_files[i]);
		check_mode(idx, a, 0444);
	}
	check_mode(idx, "rate/rate", 0644);
	check_mode(idx, "rate/burst", 0644);
	check_mode(idx, "rate/tokens", 0444);
	check_mode(idx, "stats/breaker_rejected", 0444);
	check_mode(idx, "stats/rate_limited", 0444);
	T_EQ(open_attr(idx, "breaker/state", O_WRONLY), -EACCES,
	     "breaker/state cannot be opened for writing, even by root");
	T_EQ(open_attr(idx, "breaker/generation", O_WRONLY), -EACCES,
	     "breaker/generation cannot be opened for writing");
	T_EQ(open_attr(idx, "rate/tokens", O_WRONLY), -EACCES,
	     "rate/tokens cannot be opened for writing");
	T_EQ(open_attr(idx, "stats/rate_limited", O_WRONLY), -EACCES,
	     "stats/rate_limited cannot be opened for writing");

	/* Defaults: exactly one value and a newline each. */
	T_STR(idx, "breaker/mode", "disabled\n", "default breaker/mode \"disabled\"");
	for (i = 0; i < T_ARRAY_SIZE(fields); i++) {
		snprintf(a, sizeof(a), "breaker/%s", fields[i].name);
		T_NUM(idx, a, fields[i].def, "default %s %u", a, fields[i].def);
	}
	T_STR(idx, "breaker/state", "closed\n", "default breaker/state \"closed\"");
	for (i = 1; i < T_ARRAY_SIZE(status_files) - 2; i++) {
		snprintf(a, sizeof(a), "breaker/%s", status_files[i]);
		T_STR(idx, a, "0\n", "default %s 0", a);
	}
	T_STR(idx, "breaker/current_open_ms", "5000\n",
	      "default breaker/current_open_ms 5000 (open_ms)");
	T_STR(idx, "stats/breaker_rejected", "0\n", "default stats/breaker_rejected 0");
	T_STR(idx, "stats/rate_limited", "0\n", "default stats/rate_limited 0");
	T_STR(idx, "rate/rate", "0\n", "default rate/rate 0 (no limit)");
	T_STR(idx, "rate/burst", "1\n", "default rate/burst 1");
	T_STR(idx, "rate/tokens", "1\n", "default rate/tokens 1 (burst)");

	/* The same through the ioctls. */
	cfg_default(&d);
	T_EQ(get_cfg(fd, &c), 0, "CHAN_IOC_GET_BREAKER");
	T_OK(!memcmp(&c, &d, sizeof(c)), "  ... the defaults, as sysfs shows them");
	T_EQ(get_status(fd, &st), 0, "CHAN_IOC_GET_BREAKER_STATUS");
	T_EQ(st.state, CHAN_BREAKER_CLOSED, "  ... CLOSED");
	T_NUM(idx, "breaker/generation", st.generation,
	      "breaker/generation is its generation (%llu) and a newline",
	      (unsigned long long)st.generation);
	T_EQ(st.current_open_ms, 5000, "  ... current_open_ms 5000");
	T_EQ(get_rate(fd, &rt), 0, "CHAN_IOC_GET_RATE");
	T_EQ(rt.rate, 0, "  ... rate 0");
	T_EQ(rt.burst, 1, "  ... burst 1");
}

/* ---- writes of the numeric fields ---- */

struct fwrite {
	const char *field;
	const char *val;
	int err;	/* 0: accepted, giving @want */
	__u32 want;
};

/* In order, from the defaults: each valid value is relative to the ones before. */
static const struct fwrite fwrites[] = {
	{ "window_ms", "10", 0, 10 },
	{ "window_ms", "9", -EINVAL, 0 },
	{ "window_ms", "0", -EINVAL, 0 },
	{ "window_ms", "20000\n", 0, 20000 },
	{ "min_calls", "0", -EINVAL, 0 },
	{ "min_calls", "1", 0, 1 },
	{ "min_calls", "25\n", 0, 25 },
	{ "failure_pct", "0", -EINVAL, 0 },
	{ "failure_pct", "101", -EINVAL, 0 },
	{ "failure_pct", "1", 0, 1 },
	{ "failure_pct", "100", 0, 100 },
	{ "failure_pct", "75\n", 0, 75 },
	{ "consecutive_failures", "7", 0, 7 },
	{ "consecutive_failures", "4294967295", 0, 4294967295U },
	{ "consecutive_failures", "0\n", 0, 0 },
	{ "slow_ms", "250", 0, 250 },
	{ "slow_ms", "0", 0, 0 },
	{ "slow_pct", "0", -EINVAL, 0 },
	{ "slow_pct", "101", -EINVAL, 0 },
	{ "slow_pct", "1", 0, 1 },
	{ "slow_pct", "80\n", 0, 80 },
	/* open_min_ms 1000 <= open_ms <= open_max_ms 60000 */
	{ "open_ms", "0", -EINVAL, 0 },
	{ "open_ms", "999", -EINVAL, 0 },
	{ "open_ms", "60001", -EINVAL, 0 },
	{ "open_ms", "1000", 0, 1000 },
	{ "open_ms", "60000", 0, 60000 },
	{ "open_ms", "7000\n", 0, 7000 },
	{ "open_min_ms", "0", -EINVAL, 0 },
	{ "open_min_ms", "7001", -EINVAL, 0 },
	{ "open_min_ms", "7000", 0, 7000 },
	{ "open_min_ms", "500", 0, 500 },
	{ "open_max_ms", "0", -EINVAL, 0 },
	{ "open_max_ms", "6999", -EINVAL, 0 },
	{ "open_max_ms", "7000", 0, 7000 },
	{ "open_max_ms", "90000", 0, 90000 },
	{ "half_open_probes", "0", -EINVAL, 0 },
	{ "half_open_probes", "1", 0, 1 },
	{ "half_open_probes", "5", 0, 5 },
	{ "half_open_max_ms", "0", -EINVAL, 0 },
	{ "half_open_max_ms", "1", 0, 1 },
	{ "half_open_max_ms", "20000", 0, 20000 },
	{ "flags", "2", -EINVAL, 0 },
	{ "flags", "3", -EINVAL, 0 },
	{ "flags", "2147483648", -EINVAL, 0 },
	{ "flags", "1", 0, CHAN_BREAKER_F_ADAPTIVE_THRESHOLD },
	{ "flags", "0", 0, 0 },
};

/* Not numbers, or not 32-bit ones: refused by every numeric field. */
static const struct {
	const char *val;
	int err;
} garbage[] = {
	{ "abc", -EINVAL },
	{ "\n", -EINVAL },
	{ "-1", -EINVAL },
	{ "12abc", -EINVAL },
	{ "1 2", -EINVAL },
	{ "4294967296", -ERANGE },
	{ "18446744073709551616", -ERANGE },
};

/*
 * Write @val to breaker/@attr, expecting @err: one check that it was
 * refused so and that neither the configuration (@cur) nor the
 * generation changed.
 */
static void bad_write(int idx, int fd, const char *attr, const char *val, int err,
		      const struct chan_breaker_config *cur)
{
	char p[64], ev[64], detail[160];
	long long g0 = gen_of(idx), g1;
	bool same;
	int r;

	snprintf(p, sizeof(p), "breaker/%s", attr);
	r = t_attr_write(idx, p, val);
	g1 = gen_of(idx);
	same = cfg_is(fd, cur);
	snprintf(detail, sizeof(detail), "write gave %d (%s), generation %lld -> %lld, %s",
		 r, r ? (strerrorname_np(-r) ?: "?") : "ok", g0, g1,
		 same ? "configuration unchanged" : "CONFIGURATION CHANGED");
	t_check(__FILE__, __LINE__, r == err && g0 == g1 && same, detail,
		"%s <- \"%s\": %s, nothing changes (GET_BREAKER, generation)", p,
		esc(ev, sizeof(ev), val), strerrorname_np(-err) ?: "?");
}

/* Write @val to breaker/@attr, accepted: @cur becomes @want there. */
static void good_write(int idx, int fd, const char *attr, const char *val,
		       __u32 want, struct chan_breaker_config *cur)
{
	const struct field *f = field_of(attr);
	char p[64], ev[64];
	long long g0 = gen_of(idx);

	snprintf(p, sizeof(p), "breaker/%s", attr);
	T_EQ(t_attr_write(idx, p, val), 0, "%s <- \"%s\": accepted", p,
	     esc(ev, sizeof(ev), val));
	*cfg_at(cur, f->off) = want;
	T_NUM(idx, p, want, "  ... reads back %u", want);
	T_OK(cfg_is(fd, cur), "  ... CHAN_IOC_GET_BREAKER has %s %u, the rest unchanged",
	     attr, want);
	T_EQ(gen_of(idx), g0 + 1, "  ... one new generation");
}

static void test_field_writes(int idx, int fd)
{
	struct chan_breaker_config cur;
	long long g0;
	size_t i, j;

	cfg_default(&cur);
	for (i = 0; i < T_ARRAY_SIZE(fwrites); i++) {
		const struct fwrite *w = &fwrites[i];

		if (w->err)
			bad_write(idx, fd, w->field, w->val, w->err, &cur);
		else
			good_write(idx, fd, w->field, w->val, w->want, &cur);
	}
	for (i = 0; i < T_ARRAY_SIZE(fields); i++)
		for (j = 0; j < T_ARRAY_SIZE(garbage); j++)
			bad_write(idx, fd, fields[i].name, garbage[j].val, garbage[j].err, &cur);

	/* write(2) of nothing: sysfs returns 0 without calling the store. */
	g0 = gen_of(idx);
	T_EQ(t_attr_write(idx, "breaker/window_ms", ""), 0,
	     "an empty write(2) to breaker/window_ms returns 0");
	T_OK(gen_of(idx) == g0 && cfg_is(fd, &cur), "  ... and changes nothing");

	/* A field write is a reconfiguration: the state is CLOSED. */
	T_STR(idx, "breaker/state", "closed\n", "breaker/state still \"closed\"");
	T_STR(idx, "breaker/mode", "disabled\n", "breaker/mode still \"disabled\"");
	T_NUM(idx, "breaker/current_open_ms", cur.open_ms,
	      "breaker/current_open_ms follows open_ms (%u)", cur.open_ms);
}

/* ---- mode ---- */

static void test_modes(int idx, int fd)
{
	static const struct {
		const char *val;
		__u32 mode;
		const char *state;
	} goods[] = {
		{ "auto", CHAN_BREAKER_AUTO, "closed\n" },
		{ "forced_open\n", CHAN_BREAKER_FORCED_OPEN, "open\n" },
		{ "metrics_only", CHAN_BREAKER_METRICS_ONLY, "closed\n" },
		{ "disabled\n", CHAN_BREAKER_DISABLED, "closed\n" },
		{ "auto\n", CHAN_BREAKER_AUTO, "closed\n" },
		{ "forced_open", CHAN_BREAKER_FORCED_OPEN, "open\n" },
		{ "metrics_only\n", CHAN_BREAKER_METRICS_ONLY, "closed\n" },
		{ "disabled", CHAN_BREAKER_DISABLED, "closed\n" },
	};
	static const char *const bads[] = {
		"AUTO", "bogus", "1", "0", "auto\n\n", " auto", "auto ", "closed",
		"forced", "\n",
	};
	struct chan_breaker_config cur, c;
	struct chan_breaker_status st;
	char want[32], ev[32];
	long long g0;
	size_t i;

	T_EQ(get_cfg(fd, &cur), 0, "GET_BREAKER: the configuration the modes keep");
	for (i = 0; i < T_ARRAY_SIZE(goods); i++) {
		g0 = gen_of(idx);
		T_EQ(t_attr_write(idx, "breaker/mode", goods[i].val), 0,
		     "breaker/mode <- \"%s\": accepted", esc(ev, sizeof(ev), goods[i].val));
		snprintf(want, sizeof(want), "%s\n", mode_names[goods[i].mode]);
		T_STR(idx, "breaker/mode", want, "  ... reads back \"%s\"", mode_names[goods[i].mode]);
		cur.mode = goods[i].mode;
		T_EQ(get_cfg(fd, &c), 0, "  ... GET_BREAKER");
		T_EQ(c.mode, goods[i].mode, "  ... mode %u there", goods[i].mode);
		T_OK(!memcmp(&c, &cur, sizeof(c)), "  ... the other fields kept");
		T_GT(gen_of(idx), g0, "  ... a new generation");
		T_STR(idx, "breaker/state", goods[i].state, "  ... breaker/state \"%s\"",
		      esc(ev, sizeof(ev), goods[i].state));
		T_EQ(get_status(fd, &st), 0, "  ... GET_BREAKER_STATUS");
		T_EQ(st.state, goods[i].mode == CHAN_BREAKER_FORCED_OPEN ?
			       CHAN_BREAKER_OPEN : CHAN_BREAKER_CLOSED,
		     "  ... the same state there");
	}
	for (i = 0; i < T_ARRAY_SIZE(bads); i++) {
		g0 = gen_of(idx);
		T_EQ(t_attr_write(idx, "breaker/mode", bads[i]), -EINVAL,
		     "breaker/mode <- \"%s\": EINVAL", esc(ev, sizeof(ev), bads[i]));
		T_OK(gen_of(idx) == g0 && cfg_is(fd, &cur), "  ... nothing changes");
	}
	T_STR(idx, "breaker/mode", "disabled\n", "breaker/mode still \"disabled\"");
}

/* ---- FORCED_OPEN, and pollers of breaker/state ---- */

static void test_forced_open_and_poll(void)
{
	int idx = t_chan_new(4, MSG, 0), fd, nb, sfd = -1;
	struct chan_breaker_config c;
	struct chan_breaker_status st;
	unsigned char msg[MSG];
	struct poller *p = t_shared(sizeof(*p));
	char buf[64];
	long long g0;
	pid_t pid;

	if (!T_GE(idx, 0, "create a channel of capacity 4"))
		return;
	fd = t_chan_open(idx, O_RDWR);
	nb = t_chan_open(idx, O_RDWR | O_NONBLOCK);
	if (!T_GE(fd, 0, "open it") || !T_GE(nb, 0, "open it O_NONBLOCK"))
		goto out;
	t_fill(msg, MSG, 1);

	sfd = open_attr(idx, "breaker/state", O_RDONLY);
	if (!T_GE(sfd, 0, "open breaker/state"))
		goto out;
	T_EQ(fd_str(sfd, buf, sizeof(buf)), 7, "read it (a poller must read first)");
	T_OK(!strcmp(buf, "closed\n"), "  ... \"closed\"");
	T_EQ(poll_pri(sfd, QUIET_MS), 0, "nothing changes: poll for POLLPRI times out (%d ms)",
	     QUIET_MS);

	/* CHAN_IOC_SET_BREAKER wakes a sleeping poller. */
	pid = poller_start(p, sfd);
	cfg_default(&c);
	c.mode = CHAN_BREAKER_AUTO;
	T_EQ(SYS(ioctl(fd, CHAN_IOC_SET_BREAKER, &c)), 0, "CHAN_IOC_SET_BREAKER: AUTO");
	poller_check(pid, p, "CHAN_IOC_SET_BREAKER");
	T_EQ(fd_str(sfd, buf, sizeof(buf)), 7, "read breaker/state again");
	T_OK(!strcmp(buf, "closed\n"), "  ... \"closed\"");
	T_EQ(poll_pri(sfd, QUIET_MS), 0, "  ... and its poll sleeps again (%d ms)", QUIET_MS);

	/* So does a write of breaker/mode. */
	pid = poller_start(p, sfd);
	g0 = gen_of(idx);
	T_EQ(t_attr_write(idx, "breaker/mode", "forced_open"), 0,
	     "breaker/mode <- \"forced_open\"");
	poller_check(pid, p, "a write of breaker/mode");
	T_EQ(fd_str(sfd, buf, sizeof(buf)), 5, "read breaker/state again");
	T_OK(!strcmp(buf, "open\n"), "  ... \"open\"");
	T_EQ(poll_pri(sfd, QUIET_MS), 0, "  ... and its poll sleeps again (%d ms)", QUIET_MS);
	T_GT(gen_of(idx), g0, "breaker/generation went up");
	T_EQ(get_status(fd, &st), 0, "GET_BREAKER_STATUS");
	T_EQ(st.state, CHAN_BREAKER_OPEN, "  ... OPEN");

	/* FORCED_OPEN refuses sends; all three counters agree. */
	T_EQ(SYS(write(nb, msg, MSG)), -ECONNREFUSED,
	     "FORCED_OPEN: a non-blocking write(2) fails with ECONNREFUSED");
	T_EQ(SYS(write(fd, msg, MSG)), -ECONNREFUSED,
	     "FORCED_OPEN: a blocking write(2) fails at once with ECONNREFUSED");
	T_EQ(get_status(fd, &st), 0, "GET_BREAKER_STATUS");
	T_EQ(st.rejected, 2, "  ... rejected 2");
	T_STR(idx, "breaker/rejected", "2\n", "breaker/rejected 2");
	T_STR(idx, "stats/breaker_rejected", "2\n", "stats/breaker_rejected 2");
	T_EQ(t_attr(idx, "len"), 0, "nothing was queued (len 0)");
	T_EQ(poll_pri(sfd, 0), 0, "a refused send is no transition: breaker/state not notified");

	/* A numeric field write notifies too, and keeps the counts. */
	T_EQ(t_attr_write(idx, "breaker/slow_ms", "10"), 0, "breaker/slow_ms <- 10 (FORCED_OPEN)");
	T_EQ(poll_pri(sfd, 0) & POLLPRI, POLLPRI, "  ... notifies breaker/state pollers");
	T_EQ(fd_str(sfd, buf, sizeof(buf)), 5, "  ... which read it again");
	T_OK(!strcmp(buf, "open\n"), "  ... \"open\": FORCED_OPEN restarts OPEN");
	T_STR(idx, "breaker/rejected", "2\n", "  ... breaker/rejected kept (2)");

	T_EQ(t_attr_write(idx, "breaker/mode", "disabled\n"), 0, "breaker/mode <- \"disabled\"");
	T_EQ(poll_pri(sfd, 0) & POLLPRI, POLLPRI, "  ... notifies breaker/state pollers");
	T_STR(idx, "breaker/state", "closed\n", "  ... breaker/state \"closed\"");
	T_EQ(SYS(write(nb, msg, MSG)), MSG, "  ... and sends go through");
	T_STR(idx, "stats/breaker_rejected", "2\n", "  ... stats/breaker_rejected kept (2)");
out:
	if (sfd >= 0)
		close(sfd);
	if (fd >= 0)
		close(fd);
	if (nb >= 0)
		close(nb);
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

/* An AUTO breaker trips on two failures in a row; its poller wakes. */
static void test_trip(void)
{
	int idx = t_chan_new(1, MSG, 0), fd, nb, sfd = -1, sfd2 = -1;
	struct poller *p = t_shared(sizeof(*p));
	struct chan_breaker_config c;
	struct chan_breaker_status st;
	unsigned char msg[MSG];
	char buf[64];
	long long g0;
	pid_t pid;

	if (!T_GE(idx, 0, "create a channel of capacity 1"))
		return;
	fd = t_chan_open(idx, O_RDWR);
	nb = t_chan_open(idx, O_RDWR | O_NONBLOCK);
	if (!T_GE(fd, 0, "open it") || !T_GE(nb, 0, "open it O_NONBLOCK"))
		goto out;
	t_fill(msg, MSG, 2);
	cfg_default(&c);
	c.mode = CHAN_BREAKER_AUTO;
	c.consecutive_failures = 2;
	c.open_ms = OPEN_MS;
	c.open_min_ms = OPEN_MS;
	T_EQ(SYS(ioctl(fd, CHAN_IOC_SET_BREAKER, &c)), 0,
	     "SET_BREAKER: AUTO, consecutive_failures 2, open_ms = open_min_ms = %d", OPEN_MS);
	T_STR(idx, "breaker/mode", "auto\n", "breaker/mode \"auto\"");
	T_STR(idx, "breaker/consecutive_failures", "2\n", "breaker/consecutive_failures 2");
	T_NUM(idx, "breaker/open_min_ms", OPEN_MS, "breaker/open_min_ms %d", OPEN_MS);

	sfd = open_attr(idx, "breaker/state", O_RDONLY);
	sfd2 = open_attr(idx, "breaker/state", O_RDONLY);
	if (!T_GE(sfd, 0, "open breaker/state") || !T_GE(sfd2, 0, "open it again"))
		goto out;
	T_EQ(fd_str(sfd, buf, sizeof(buf)), 7, "read it");
	T_OK(!strcmp(buf, "closed\n"), "  ... \"closed\"");
	T_EQ(fd_str(sfd2, buf, sizeof(buf)), 7, "read it on the other open file");
	g0 = gen_of(idx);
	pid = poller_start(p, sfd);

	T_EQ(SYS(write(nb, msg, MSG)), MSG, "fill the channel (a success)");
	T_EQ(SYS(write(nb, msg, MSG)), -EAGAIN, "a non-blocking send on the full channel: EAGAIN");
	T_EQ(poll_pri(sfd2, 0), 0, "  ... one failure is no transition: breaker/state not notified");
	T_STR(idx, "breaker/state", "closed\n", "  ... breaker/state \"closed\"");
	T_STR(idx, "breaker/failures", "1\n", "  ... breaker/failures 1");
	T_EQ(SYS(write(nb, msg, MSG)), -EAGAIN, "another: EAGAIN, the second failure in a row");
	poller_check(pid, p, "the breaker tripped");
	T_EQ(poll_pri(sfd2, 0) & POLLPRI, POLLPRI, "  ... another poller sees POLLPRI too");

	T_STR(idx, "breaker/state", "open\n", "breaker/state \"open\"");
	T_STR(idx, "breaker/trips", "1\n", "breaker/trips 1");
	T_NUM(idx, "breaker/current_open_ms", OPEN_MS, "breaker/current_open_ms %d (as configured)",
	      OPEN_MS);
	T_STR(idx, "breaker/calls", "3\n", "breaker/calls 3");
	T_STR(idx, "breaker/failures", "2\n", "breaker/failures 2");
	T_STR(idx, "breaker/rejected", "0\n", "breaker/rejected 0");
	T_NUM(idx, "breaker/generation", g0 + 1, "breaker/generation one up (%lld)", g0 + 1);
	T_EQ(get_status(fd, &st), 0, "GET_BREAKER_STATUS");
	T_EQ(st.state, CHAN_BREAKER_OPEN, "  ... OPEN");
	T_EQ(st.trips, 1, "  ... trips 1");
	T_EQ(st.current_open_ms, OPEN_MS, "  ... current_open_ms %d", OPEN_MS);
	T_EQ(st.generation, g0 + 1, "  ... the generation sysfs shows");
	T_EQ(SYS(write(nb, msg, MSG)), -ECONNREFUSED, "OPEN: a send fails with ECONNREFUSED");
	T_EQ(get_status(fd, &st), 0, "GET_BREAKER_STATUS");
	T_EQ(st.rejected, 1, "  ... rejected 1");
	T_STR(idx, "breaker/rejected", "1\n", "breaker/rejected 1");
	T_STR(idx, "stats/breaker_rejected", "1\n", "stats/breaker_rejected 1");

	/* A field write restarts it CLOSED in a new generation. */
	T_EQ(fd_str(sfd2, buf, sizeof(buf)), 5, "read breaker/state again");
	T_EQ(t_attr_write(idx, "breaker/open_max_ms", "60000"), 0,
	     "breaker/open_max_ms <- 60000 (unchanged value)");
	T_EQ(poll_pri(sfd2, 0) & POLLPRI, POLLPRI, "  ... notifies breaker/state pollers");
	T_STR(idx, "breaker/state", "closed\n", "  ... breaker/state \"closed\"");
	T_NUM(idx, "breaker/generation", g0 + 2, "  ... breaker/generation one up (%lld)", g0 + 2);
	T_STR(idx, "breaker/calls", "0\n", "  ... breaker/calls 0 (window cleared)");
	T_STR(idx, "breaker/trips", "1\n", "  ... breaker/trips kept (1)");
	T_STR(idx, "breaker/rejected", "1\n", "  ... breaker/rejected kept (1)");
	T_EQ(get_status(fd, &st), 0, "GET_BREAKER_STATUS");
	T_EQ(st.state, CHAN_BREAKER_CLOSED, "  ... CLOSED");
out:
	if (sfd >= 0)
		close(sfd);
	if (sfd2 >= 0)
		close(sfd2);
	if (fd >= 0)
		close(fd);
	if (nb >= 0)
		close(nb);
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

/* ---- rate/ ---- */

static void check_rate(int fd, __u32 rate, __u32 burst, const char *what)
{
	struct chan_rate r;

	T_EQ(get_rate(fd, &r), 0, "  ... CHAN_IOC_GET_RATE (%s)", what);
	T_EQ(r.rate, rate, "  ... rate %u", rate);
	T_EQ(r.burst, burst, "  ... burst %u", burst);
}

static void rate_write(int idx, int fd, const char *attr, const char *val, int err,
		       __u32 rate, __u32 burst)
{
	char ev[64];

	T_EQ(t_attr_write(idx, attr, val), err, "%s <- \"%s\": %s", attr,
	     esc(ev, sizeof(ev), val), err ? (strerrorname_np(-err) ?: "?") : "accepted");
	check_rate(fd, rate, burst, err ? "unchanged" : "changed");
	T_NUM(idx, "rate/rate", rate, "  ... rate/rate reads %u", rate);
	T_NUM(idx, "rate/burst", burst, "  ... rate/burst reads %u", burst);
}

static void test_rate(void)
{
	int idx = t_chan_new(4, MSG, 0), fd, nb;
	struct chan_rate r;
	unsigned char msg[MSG], buf[MSG];
	size_t i;

	if (!T_GE(idx, 0, "create a channel of capacity 4"))
		return;
	fd = t_chan_open(idx, O_RDWR);
	nb = t_chan_open(idx, O_RDWR | O_NONBLOCK);
	if (!T_GE(fd, 0, "open it") || !T_GE(nb, 0, "open it O_NONBLOCK"))
		goto out;
	t_fill(msg, MSG, 3);
	check_rate(fd, 0, 1, "defaults");

	rate_write(idx, fd, "rate/rate", "100", 0, 100, 1);
	T_STR(idx, "rate/tokens", "1\n", "  ... rate/tokens 1 (the bucket is full)");
	rate_write(idx, fd, "rate/burst", "5\n", 0, 100, 5);
	T_STR(idx, "rate/tokens", "5\n", "  ... rate/tokens 5 (filled by the change)");
	rate_write(idx, fd, "rate/burst", "0", -EINVAL, 100, 5);
	for (i = 0; i < T_ARRAY_SIZE(garbage); i++) {
		rate_write(idx, fd, "rate/rate", garbage[i].val, garbage[i].err, 100, 5);
		rate_write(idx, fd, "rate/burst", garbage[i].val, garbage[i].err, 100, 5);
	}
	rate_write(idx, fd, "rate/rate", "0", 0, 0, 5);
	T_STR(idx, "rate/tokens", "5\n", "  ... rate/tokens 5 (no limit: the burst)");
	rate_write(idx, fd, "rate/burst", "0", 0, 0, 0);
	T_STR(idx, "rate/tokens", "0\n", "  ... rate/tokens 0");
	rate_write(idx, fd, "rate/rate", "5", -EINVAL, 0, 0);
	T_EQ(SYS(write(nb, msg, MSG)), MSG, "rate 0, burst 0: no limit, a send goes through");
	T_EQ(SYS(read(nb, buf, MSG)), MSG, "  (read it)");

	/* CHAN_IOC_SET_RATE shows in sysfs. */
	r = (struct chan_rate){ .rate = 7, .burst = 3 };
	T_EQ(SYS(ioctl(fd, CHAN_IOC_SET_RATE, &r)), 0, "CHAN_IOC_SET_RATE: rate 7, burst 3");
	T_STR(idx, "rate/rate", "7\n", "  ... rate/rate 7");
	T_STR(idx, "rate/burst", "3\n", "  ... rate/burst 3");
	T_STR(idx, "rate/tokens", "3\n", "  ... rate/tokens 3");

	/* Rate 1, burst 2: two sends, then EAGAIN (well within the second). */
	rate_write(idx, fd, "rate/burst", "2", 0, 7, 2);
	rate_write(idx, fd, "rate/rate", "1", 0, 1, 2);
	T_STR(idx, "rate/tokens", "2\n", "  ... rate/tokens 2");
	T_STR(idx, "stats/rate_limited", "0\n", "stats/rate_limited 0");
	T_EQ(SYS(write(nb, msg, MSG)), MSG, "a non-blocking send takes token 1 of 2");
	T_EQ(SYS(write(nb, msg, MSG)), MSG, "another takes token 2 of 2");
	T_EQ(SYS(write(nb, msg, MSG)), -EAGAIN, "a third, with room in the channel: EAGAIN");
	T_STR(idx, "rate/tokens", "0\n", "  ... rate/tokens 0");
	T_STR(idx, "stats/rate_limited", "1\n", "  ... stats/rate_limited 1");
	T_STR(idx, "stats/full", "0\n", "  ... not counted in stats/full");
	T_EQ(t_attr(idx, "len"), 2, "  ... len 2");
	check_rate(fd, 1, 2, "unchanged by the sends");

	rate_write(idx, fd, "rate/rate", "0", 0, 0, 2);
	T_STR(idx, "rate/tokens", "2\n", "  ... rate/tokens 2 (no limit: the burst)");
	T_EQ(SYS(write(nb, msg, MSG)), MSG, "rate 0 lifts the limit: a send goes through");
	T_STR(idx, "stats/rate_limited", "1\n", "  ... stats/rate_limited still 1");
out:
	if (fd >= 0)
		close(fd);
	if (nb >= 0)
		close(nb);
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

/* ---- permissions ---- */

struct perm_ctx {
	int idx, fd;
	int drop_cap;		/* keep root, drop CAP_SYS_ADMIN only */
	int setup;
	long mode, window, rate, burst, read_mode;
	long ioc_set_breaker, ioc_set_rate;
};

static int drop_sys_admin(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
	int i = CAP_TO_INDEX(CAP_SYS_ADMIN);

	if (syscall(SYS_capget, &h, d))
		return -errno;
	d[i].effective &= ~CAP_TO_MASK(CAP_SYS_ADMIN);
	d[i].permitted &= ~CAP_TO_MASK(CAP_SYS_ADMIN);
	d[i].inheritable &= ~CAP_TO_MASK(CAP_SYS_ADMIN);
	if (syscall(SYS_capset, &h, d))
		return -errno;
	return 0;
}

static int try_writes(void *arg)
{
	struct perm_ctx *x = arg;
	struct chan_breaker_config c;
	struct chan_rate r = { .rate = 10, .burst = 1 };
	char buf[64];

	x->setup = x->drop_cap ? drop_sys_admin() : t_drop_privs();
	if (x->setup)
		return 2;
	x->mode = t_attr_write(x->idx, "breaker/mode", "auto");
	x->window = t_attr_write(x->idx, "breaker/window_ms", "20000");
	x->rate = t_attr_write(x->idx, "rate/rate", "10");
	x->burst = t_attr_write(x->idx, "rate/burst", "7");
	x->read_mode = attr_str(x->idx, "breaker/mode", buf, sizeof(buf));
	cfg_default(&c);
	c.mode = CHAN_BREAKER_AUTO;
	x->ioc_set_breaker = SYS(ioctl(x->fd, CHAN_IOC_SET_BREAKER, &c));
	x->ioc_set_rate = SYS(ioctl(x->fd, CHAN_IOC_SET_RATE, &r));
	return 0;
}

static void check_denied(long r, const char *what)
{
	char detail[96];

	snprintf(detail, sizeof(detail), "expected -EACCES or -EPERM got %ld (%s)", r,
		 r < 0 ? (strerrorname_np((int)-r) ?: "?") : "ok");
	t_check(__FILE__, __LINE__, r == -EACCES || r == -EPERM, detail,
		"  ... cannot write %s (EACCES or EPERM)", what);
}

static void check_unchanged(int idx, int fd, long long g0)
{
	struct chan_breaker_config d;

	cfg_default(&d);
	T_OK(cfg_is(fd, &d), "  ... the breaker's configuration is unchanged");
	T_EQ(gen_of(idx), g0, "  ... breaker/generation unchanged");
	T_STR(idx, "breaker/mode", "disabled\n", "  ... breaker/mode \"disabled\"");
	T_STR(idx, "breaker/window_ms", "10000\n", "  ... breaker/window_ms 10000");
	T_STR(idx, "rate/rate", "0\n", "  ... rate/rate 0");
	T_STR(idx, "rate/burst", "1\n", "  ... rate/burst 1");
	check_rate(fd, 0, 1, "unchanged");
}

static void test_unprivileged(void)
{
	struct perm_ctx *x = t_shared(sizeof(*x));
	int idx = t_chan_new_ex(1, MSG, 0, 0666, CHAN_ID_CALLER, CHAN_ID_CALLER), fd;
	long long g0;
	pid_t pid;

	if (!T_GE(idx, 0, "create a channel (mode 0666, owned by root)"))
		return;
	fd = t_chan_open(idx, O_RDWR);
	if (!T_GE(fd, 0, "open it"))
		goto out;
	g0 = gen_of(idx);
	x->idx = idx;
	x->fd = fd;
	pid = t_fork(try_writes, x);
	T_CHILD(pid, T_TIMEOUT_MS, 0, "a child drops to uid 65534 and tries to write");
	T_EQ(x->setup, 0, "  ... it dropped its privileges");
	check_denied(x->mode, "breaker/mode");
	check_denied(x->window, "breaker/window_ms");
	check_denied(x->rate, "rate/rate");
	check_denied(x->burst, "rate/burst");
	T_EQ(x->read_mode, 9, "  ... but reads breaker/mode (\"disabled\\n\")");
	T_EQ(x->ioc_set_breaker, -EPERM, "  ... and CHAN_IOC_SET_BREAKER: EPERM");
	T_EQ(x->ioc_set_rate, -EPERM, "  ... and CHAN_IOC_SET_RATE: EPERM");
	check_unchanged(idx, fd, g0);
	close(fd);
out:
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

/* Root without CAP_SYS_ADMIN, not the channel's owner: the store says EPERM. */
static void test_no_cap(void)
{
	struct perm_ctx *x = t_shared(sizeof(*x));
	int idx = t_chan_new_ex(1, MSG, 0, 0600, 1000, 1000), fd;
	long long g0;
	pid_t pid;

	if (!T_GE(idx, 0, "create a channel owned by uid 1000"))
		return;
	fd = t_chan_open(idx, O_RDWR);
	if (!T_GE(fd, 0, "open it (root)"))
		goto out;
	g0 = gen_of(idx);
	x->idx = idx;
	x->fd = fd;
	x->drop_cap = 1;
	pid = t_fork(try_writes, x);
	T_CHILD(pid, T_TIMEOUT_MS, 0, "a child of root drops CAP_SYS_ADMIN and tries to write");
	T_EQ(x->setup, 0, "  ... capset worked");
	T_EQ(x->mode, -EPERM, "  ... breaker/mode: EPERM (neither owner nor CAP_SYS_ADMIN)");
	T_EQ(x->window, -EPERM, "  ... breaker/window_ms: EPERM");
	T_EQ(x->rate, -EPERM, "  ... rate/rate: EPERM");
	T_EQ(x->burst, -EPERM, "  ... rate/burst: EPERM");
	T_EQ(x->ioc_set_breaker, -EPERM, "  ... CHAN_IOC_SET_BREAKER: EPERM, the same rule");
	T_EQ(x->ioc_set_rate, -EPERM, "  ... CHAN_IOC_SET_RATE: EPERM");
	check_unchanged(idx, fd, g0);
	close(fd);
out:
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

/* The channel's owner, unprivileged, may write its files: they are its. */
static void test_owner(void)
{
	struct perm_ctx *x = t_shared(sizeof(*x));
	int idx = t_chan_new_ex(1, MSG, 0, 0600, 65534, 65534), fd;
	char path[96];
	struct stat st;
	pid_t pid;

	if (!T_GE(idx, 0, "create a channel owned by uid 65534"))
		return;
	snprintf(path, sizeof(path), T_SYSFS_CLASS "/chan%d/breaker/mode", idx);
	T_EQ(SYS(stat(path, &st)), 0, "stat breaker/mode");
	T_OK(st.st_uid == 65534 && st.st_gid == 65534,
	     "  ... its files belong to the channel's owner (%u:%u)",
	     (unsigned int)st.st_uid, (unsigned int)st.st_gid);
	fd = t_chan_open(idx, O_RDWR);
	if (!T_GE(fd, 0, "open it (root)"))
		goto out;
	x->idx = idx;
	x->fd = fd;
	pid = t_fork(try_writes, x);
	T_CHILD(pid, T_TIMEOUT_MS, 0, "a child drops to uid 65534, the owner, and writes");
	T_EQ(x->setup, 0, "  ... it dropped its privileges");
	T_EQ(x->mode, 0, "  ... breaker/mode: written");
	T_EQ(x->window, 0, "  ... breaker/window_ms: written");
	T_EQ(x->rate, 0, "  ... rate/rate: written");
	T_EQ(x->burst, 0, "  ... rate/burst: written");
	T_EQ(x->ioc_set_breaker, 0, "  ... CHAN_IOC_SET_BREAKER: allowed, the same rule");
	T_EQ(x->ioc_set_rate, 0, "  ... CHAN_IOC_SET_RATE: allowed");
	T_STR(idx, "breaker/mode", "auto\n", "  ... breaker/mode \"auto\"");
	close(fd);
out:
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

int main(void)
{
	int idx, fd;

	t_init("guard_sysfs");
	idx = t_chan_new(2, MSG, 0);
	if (!T_GE(idx, 0, "create a channel"))
		return t_done();
	fd = t_chan_open(idx, O_RDWR);
	if (T_GE(fd, 0, "open it")) {
		test_files_and_defaults(idx, fd);
		test_field_writes(idx, fd);
		test_modes(idx, fd);
		close(fd);
	}
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
	test_forced_open_and_poll();
	test_trip();
	test_rate();
	test_unprivileged();
	test_no_cap();
	test_owner();
	return t_done();
}
