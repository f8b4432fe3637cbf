/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the kchan integration tests: a small TAP printer, channel
 * create/destroy/open through /dev/chan-control, sysfs readers, child
 * processes bounded by a watchdog, and module (re)loading.
 *
 * Conventions (liburing style): helpers return a value >= 0 or -errno; the
 * SYS() macro turns a libc call into the same form, so every check reads
 * T_EQ(SYS(write(fd, buf, 5)), -EBADF, "...") and a failure prints
 * "expected -9 (-EBADF) got 5".
 *
 * Children never print TAP lines: a T_* check that fails in a child prints a
 * "# child ..." diagnostic and makes the child exit with status 1, which the
 * parent reports through T_CHILD().
 *
 * Every wait is bounded: children by t_wait_child() (SIGKILL after a timeout),
 * sysfs gauges by t_wait_attr(), the whole program by a watchdog alarm
 * (KCHAN_TEST_TIMEOUT seconds, default 90) that kills the children, destroys
 * the channels the test created, restores the module and bails out.
 */
#ifndef KCHAN_TEST_HELPERS_H
#define KCHAN_TEST_HELPERS_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/types.h>

#include <linux/chan.h>

#define T_EXIT_PASS	0
#define T_EXIT_FAIL	1
#define T_EXIT_SKIP	77

/* Bound for "promptly" and for waiting on a peer (TCG is 10-50x slower). */
#define T_TIMEOUT_MS	10000
#define T_TIMEOUT_NS	((long long)T_TIMEOUT_MS * 1000000LL)
/* devtmpfs nodes appear/disappear within this. */
#define T_NODE_MS	2000

#define T_MODULE_PATH	"/kchan/chan.ko"	/* override: KCHAN_MODULE */
#define T_SYSFS_CLASS	"/sys/class/chan"
#define T_SYSFS_MODULE	"/sys/module/chan"

/* Default module parameters (chan(4), Module parameters). */
#define T_DEF_NR_CHANS		4
#define T_DEF_MAX_CHANS		1024
#define T_DEF_CAPACITY		16
#define T_DEF_MSG_SIZE		4096
#define T_DEF_MAX_CAPACITY	65536
#define T_DEF_MAX_MSG_SIZE	(1024 * 1024)
#define T_DEF_MAX_BYTES		(64LL * 1024 * 1024)

#define T_NSEC_PER_MSEC	1000000LL
#define T_NSEC_PER_SEC	1000000000LL

/* A libc call as "result or -errno". */
#define SYS(expr) ({ long _r = (long)(expr); _r < 0 ? -(long)errno : _r; })

#define T_ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* TAP */
void t_init(const char *name);
int t_done(void);
__attribute__((noreturn, format(printf, 1, 2))) void t_skip_all(const char *fmt, ...);
__attribute__((noreturn, format(printf, 1, 2))) void t_bail(const char *fmt, ...);
__attribute__((format(printf, 1, 2))) void t_diag(const char *fmt, ...);
__attribute__((format(printf, 1, 2))) void t_skip(const char *fmt, ...);
bool t_failed(void);

__attribute__((format(printf, 5, 6)))
bool t_check(const char *file, int line, bool ok, const char *detail,
	     const char *fmt, ...);
__attribute__((format(printf, 5, 6)))
bool t_check_eq(const char *file, int line, long long got, long long want,
		const char *fmt, ...);
__attribute__((format(printf, 7, 8)))
bool t_check_cmp(const char *file, int line, long long a, const char *op,
		 long long b, bool ok, const char *fmt, ...);
__attribute__((format(printf, 6, 7)))
bool t_check_child(const char *file, int line, pid_t pid, int timeout_ms,
		   int want_exit, const char *fmt, ...);

#define T_OK(cond, ...) \
	t_check(__FILE__, __LINE__, !!(cond), "false: " #cond, __VA_ARGS__)
#define T_EQ(got, want, ...) \
	t_check_eq(__FILE__, __LINE__, (long long)(got), (long long)(want), \
		   __VA_ARGS__)
#define T_CMP_(a, op, b, ...) ({ \
	long long _a = (long long)(a), _b = (long long)(b); \
	t_check_cmp(__FILE__, __LINE__, _a, #op, _b, _a op _b, __VA_ARGS__); })
#define T_NE(a, b, ...)	T_CMP_(a, !=, b, __VA_ARGS__)
#define T_GE(a, b, ...)	T_CMP_(a, >=, b, __VA_ARGS__)
#define T_GT(a, b, ...)	T_CMP_(a, >, b, __VA_ARGS__)
#define T_LE(a, b, ...)	T_CMP_(a, <=, b, __VA_ARGS__)
#define T_LT(a, b, ...)	T_CMP_(a, <, b, __VA_ARGS__)
/*
 * Child @pid exits with status @code within @ms (else it is killed and the
 * check fails as a hang); a negative @code means "killed by signal -code".
 */
#define T_CHILD(pid, ms, code, ...) \
	t_check_child(__FILE__, __LINE__, (pid), (ms), (code), __VA_ARGS__)

/* Time */
uint64_t t_now_ns(void);
void t_sleep_ms(int ms);

/* Memory */
void *t_shared(size_t size);		/* MAP_SHARED|MAP_ANONYMOUS, zeroed */
void *t_bad_ptr(void);			/* an address that faults (PROT_NONE, never reused) */
void *t_null(void);			/* NULL the compiler cannot see */
void *t_ro_page(void);			/* a PROT_READ page */
void t_fill(void *buf, size_t len, uint32_t id);	/* id in the first bytes */
bool t_verify(const void *buf, size_t len, uint32_t id);
uint32_t t_msg_id(const void *buf, size_t len);

/* Control device and channels */
int t_ctl_ioctl(unsigned long cmd, void *arg);	/* result or -errno */
int t_chan_create(struct chan_ctl_create *c);	/* 0 or -errno */
int t_chan_new(__u32 capacity, __u32 msg_size, __u32 flags); /* index or -errno */
int t_chan_new_ex(__u32 capacity, __u32 msg_size, __u32 flags, __u32 mode,
		  __u32 uid, __u32 gid);
int t_chan_destroy(int index, __u32 flags);	/* 0 or -errno */
void t_chan_forget(int index);		/* stop tracking (e.g. module unloaded) */
const char *t_chan_path(int index);	/* "/dev/chan<N>" (static buffer per call slot) */
int t_chan_open(int index, int oflags);	/* fd or -errno; waits for the node */
bool t_chan_exists(int index);
int t_wait_path(const char *path, bool present, int timeout_ms); /* 0 or -ETIMEDOUT */

/* Channel I/O through the ioctls (0/length or -errno) */
long t_send(int fd, const void *buf, size_t len, long long timeout_ns);
long t_recv(int fd, void *buf, size_t len, long long timeout_ns);
long t_xfer(int fd, unsigned long cmd, const void *buf, size_t len,
	    __u32 flags, long long timeout_ns);
int t_fionread(int fd);			/* value or -errno */
int t_close_chan(int fd);		/* CHAN_IOC_CLOSE: 0 or -errno */
int t_set_timeouts(int fd, long long send_ns, long long recv_ns);
int t_get_timeouts(int fd, long long *send_ns, long long *recv_ns);
int t_set_capacity(int fd, __u32 capacity);

/* sysfs */
int t_read_num(const char *path, long long *val);	/* 0 or -errno */
int t_attr_read(int index, const char *attr, long long *val);
long long t_attr(int index, const char *attr);	/* value; LLONG_MIN + diag on error */
int t_attr_write(int index, const char *attr, const char *val); /* 0 or -errno */
int t_wait_attr(int index, const char *attr, long long want, int timeout_ms);
int t_param(const char *name, long long *val);	/* /sys/module/chan/parameters */
long long t_param_or(const char *name, long long dflt);

/* Children */
pid_t t_fork(int (*fn)(void *arg), void *arg);	/* child exits with fn()'s value */
int t_wait_child(pid_t pid, int timeout_ms, int *status); /* 0 or -ETIMEDOUT */
void t_kill_children(void);
bool t_in_child(void);
int t_wait_sleeping(pid_t pid, int timeout_ms);	/* /proc/<pid>/stat state 'S' */
/* Drop to uid/gid 65534 with no supplementary groups (and so no caps). */
int t_drop_privs(void);

/*
 * One blocking operation run in a child, parameters and results in shared
 * memory. The child opens chan @index with @oflags unless @fd >= 0 (then it
 * uses the inherited fd).
 */
enum t_op_kind { T_OP_READ, T_OP_WRITE, T_OP_SEND, T_OP_RECV };

#define T_OP_BUF 1024

struct t_op {
	/* in */
	int kind;
	int fd;
	int index;
	int oflags;
	int sig;		/* catch this signal with a counting handler */
	int sa_flags;		/* of that handler (SA_RESTART or 0) */
	long long timeout_ns;	/* T_OP_SEND/T_OP_RECV */
	int set_timeouts;	/* CHAN_IOC_SET_TIMEOUTS(tmo_*) before the op */
	long long tmo_send_ns;
	long long tmo_recv_ns;
	unsigned int len;
	int bad_buf;		/* pass an unmapped buffer */
	/* out */
	volatile int started;
	volatile int handled;	/* signals caught */
	volatile int done;
	long ret;		/* result or -errno */
	uint64_t t_start, t_end;
	unsigned char buf[T_OP_BUF];
};

struct t_op *t_op_new(int kind, int index, int oflags, unsigned int len);
pid_t t_op_start(struct t_op *op);
/*
 * Start @op and wait until its chan's @gauge (e.g. "waiting_receivers") reads
 * @want, i.e. the op is parked; this is a TAP check of its own.
 */
pid_t t_op_park_at(const char *file, int line, struct t_op *op,
		   const char *gauge, long long want);
#define T_OP_PARK(op, gauge, want) \
	t_op_park_at(__FILE__, __LINE__, (op), (gauge), (want))
const char *t_op_name(int kind);

/*
 * CHAN_IOC_SELECT. t_select() issues it on @fd, or on the first case's fd
 * when @fd < 0: the index of the case that committed, or -errno.
 * t_sel_case() fills one case, its result set to T_SEL_NORESULT.
 */
#define T_SEL_NORESULT	((__s32)0x7eadbeef)

void t_sel_case(struct chan_select_case *c, int fd, __u32 op, const void *buf,
		__u32 len);
long t_select(int fd, struct chan_select_case *cases, unsigned int ncases,
	      long long timeout_ns);

/*
 * One select run in a child, cases and results in shared memory. The cases
 * use fds the child inherits; t_sel_op_add() points each at its own buffer
 * of @bufs.
 */
#define T_SEL_BUF 256

struct t_sel_op {
	/* in */
	unsigned int ncases;
	long long timeout_ns;
	int sig;		/* catch this signal with a counting handler */
	int sa_flags;		/* of that handler (SA_RESTART or 0) */
	struct chan_select_case cases[CHAN_SELECT_MAX];
	/* out */
	volatile int started;
	volatile int handled;	/* signals caught */
	volatile int done;
	long ret;		/* index or -errno */
	uint64_t t_start, t_end;
	unsigned char bufs[CHAN_SELECT_MAX][T_SEL_BUF];
};

struct t_sel_op *t_sel_op_new(long long timeout_ns);
/* Add a case; a send case's buffer is filled with t_fill(@id). Its index. */
int t_sel_op_add(struct t_sel_op *op, int fd, __u32 kind, unsigned int len,
		 uint32_t id);
pid_t t_sel_op_start(struct t_sel_op *op);
/* Wait until @op's handler has run @n times: 0 or -ETIMEDOUT. */
int t_sel_op_wait_handled(struct t_sel_op *op, int n);

/* Module */
int t_mod_unload(void);			/* 0 or -errno */
int t_mod_load(const char *params);	/* 0 or -errno; waits for chan-control */
bool t_mod_loaded(void);
int t_mod_holders(void);		/* modules depending on chan */
int t_mod_restore(void);		/* back to the default load; 0 or -errno */
/* Skip the whole program if the module cannot be reloaded here. */
void t_mod_require_reload(void);

#endif /* KCHAN_TEST_HELPERS_H */
