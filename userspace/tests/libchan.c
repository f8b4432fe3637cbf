// SPDX-License-Identifier: GPL-2.0
/*
 * Description: libchan (<libchan.h>, the static library), every public
 * function for success and for its errors, with exact return codes: every
 * function returns -errno, never -1 (-EBADF on a bad fd, -ENOTTY on
 * /dev/null, -ENODEV after a forced destroy, for each fd-taking function).
 * chan_attr_init's defaults; chan_create (the first-version struct, no
 * name) and chan_create_attr (mode, owner, index, flags; EINVAL, EEXIST);
 * chan_destroy (EBUSY, ENOENT, EINVAL); EACCES for an unprivileged caller
 * and EPERM for root without CAP_SYS_ADMIN; chan_open with O_CLOEXEC.
 * Messages: FIFO through every send and receive function, EAGAIN,
 * ETIMEDOUT, EMSGSIZE (also beyond 32 bits), EINVAL, close then drain (0
 * at the end, EPIPE for senders), batches, select (the ready case commits,
 * EAGAIN, ETIMEDOUT). Configuration round trips: info, stats, capacity,
 * timeouts, rate, breaker (EINVAL, EPERM for a non-owner), its status,
 * FORCED_OPEN refusing with ECONNREFUSED, tickets (ESTALE), and the mode
 * and state names, which are those sysfs breaker/ shows. Names (a module
 * of ABI 2): chan_create_named, chan_lookup, chan_name, chan_open_name,
 * EEXIST, EINVAL, ERANGE, ENOENT. chan_guarded_call: success (attempts 1,
 * counted by the breaker), failures retried after the backoff (also capped,
 * with jitter, across signals), a late success counted as -ETIMEDOUT, a
 * refusal not retried unless CHAN_CALL_RETRY_REFUSED, bad options.
 */
#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/capability.h>

#include <libchan.h>

#include "helpers.h"

#define MSG	64
#define MS	T_NSEC_PER_MSEC

/* ---- every fd-taking function, for the errors they all share ---- */

enum {
	OP_SEND, OP_SEND_TIMEOUT, OP_TRY_SEND, OP_RECV, OP_RECV_TIMEOUT,
	OP_TRY_RECV, OP_CLOSE, OP_SEND_BATCH, OP_RECV_BATCH, OP_SELECT,
	OP_GET_INFO, OP_GET_STATS, OP_SET_CAPACITY, OP_SET_TIMEOUTS,
	OP_GET_TIMEOUTS, OP_SET_RATE, OP_GET_RATE, OP_BREAKER_SET,
	OP_BREAKER_GET, OP_BREAKER_STATUS, OP_BREAKER_RESET,
	OP_BREAKER_ACQUIRE, OP_BREAKER_REPORT, OP_GUARDED_CALL, OP_NR,
};

static const char *const op_names[OP_NR] = {
	"chan_send", "chan_send_timeout", "chan_try_send", "chan_recv",
	"chan_recv_timeout", "chan_try_recv", "chan_close", "chan_send_batch",
	"chan_recv_batch", "chan_select", "chan_get_info", "chan_get_stats",
	"chan_set_capacity", "chan_set_timeouts", "chan_get_timeouts",
	"chan_set_rate", "chan_get_rate", "chan_breaker_set", "chan_breaker_get",
	"chan_breaker_status", "chan_breaker_reset", "chan_breaker_acquire",
	"chan_breaker_report", "chan_guarded_call",
};

static int dummy_calls;

static int dummy_fn(void *arg, uint64_t deadline_ns)
{
	(void)arg;
	(void)deadline_ns;
	dummy_calls++;
	return 0;
}

static long call_op(int op, int fd)
{
	unsigned char buf[MSG] = { 1 };
	struct chan_breaker_config cfg;
	struct chan_breaker_status st;
	struct chan_select_case sc;
	struct chan_stats stats;
	struct chan_info info;
	struct chan_iov iov = { .buf = (__u64)(uintptr_t)buf, .len = 8 };
	int64_t s, r;
	uint32_t a, b;
	uint64_t ticket;

	switch (op) {
	case OP_SEND: return chan_send(fd, buf, 8);
	case OP_SEND_TIMEOUT: return chan_send_timeout(fd, buf, 8, 0);
	case OP_TRY_SEND: return chan_try_send(fd, buf, 8);
	case OP_RECV: return chan_recv(fd, buf, sizeof(buf));
	case OP_RECV_TIMEOUT: return chan_recv_timeout(fd, buf, sizeof(buf), 0);
	case OP_TRY_RECV: return chan_try_recv(fd, buf, sizeof(buf));
	case OP_CLOSE: return chan_close(fd);
	case OP_SEND_BATCH: return chan_send_batch(fd, &iov, 1, 0);
	case OP_RECV_BATCH: return chan_recv_batch(fd, &iov, 1, 0);
	case OP_SELECT:
		chan_case_recv(&sc, fd, buf, sizeof(buf));
		return chan_select(&sc, 1, 0);
	case OP_GET_INFO: return chan_get_info(fd, &info);
	case OP_GET_STATS: return chan_get_stats(fd, &stats);
	case OP_SET_CAPACITY: return chan_set_capacity(fd, 4);
	case OP_SET_TIMEOUTS: return chan_set_timeouts(fd, -1, -1);
	case OP_GET_TIMEOUTS: return chan_get_timeouts(fd, &s, &r);
	case OP_SET_RATE: return chan_set_rate(fd, 0, 0);
	case OP_GET_RATE: return chan_get_rate(fd, &a, &b);
	case OP_BREAKER_SET:
		chan_breaker_config_init(&cfg);
		return chan_breaker_set(fd, &cfg);
	case OP_BREAKER_GET: return chan_breaker_get(fd, &cfg);
	case OP_BREAKER_STATUS: return chan_breaker_status(fd, &st);
	case OP_BREAKER_RESET: return chan_breaker_reset(fd);
	case OP_BREAKER_ACQUIRE: return chan_breaker_acquire(fd, &ticket);
	case OP_BREAKER_REPORT:
		return chan_breaker_report(fd, 1, CHAN_OUTCOME_SUCCESS, 0);
	case OP_GUARDED_CALL: return chan_guarded_call(fd, dummy_fn, NULL, NULL);
	}
	return LONG_MIN;
}

static void test_bad_fds(void)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC), op;

	dummy_calls = 0;
	for (op = 0; op < OP_NR; op++) {
		errno = 0;
		T_EQ(call_op(op, -1), -EBADF, "%s on fd -1: -EBADF (not -1)", op_names[op]);
	}
	if (!T_GE(null, 0, "open /dev/null"))
		return;
	for (op = 0; op < OP_NR; op++) {
		/* read(2) and write(2) work on /dev/null. */
		if (op == OP_SEND || op == OP_RECV)
			continue;
		T_EQ(call_op(op, null), -ENOTTY, "%s on /dev/null: -ENOTTY", op_names[op]);
	}
	T_EQ(chan_send(null, "x", 1), 0, "chan_send on /dev/null is write(2): 0");
	T_EQ(chan_recv(null, (char[8]){ 0 }, 8), 0, "chan_recv on /dev/null is read(2): 0");
	T_EQ(dummy_calls, 0, "chan_guarded_call never called fn without a ticket");
	close(null);
}

/* ---- control device ---- */

static void test_attr_init(void)
{
	struct chan_attr a;

	memset(&a, 0x5a, sizeof(a));
	chan_attr_init(&a);
	T_EQ(a.capacity, 16, "chan_attr_init: capacity 16");
	T_EQ(a.msg_size, 4096, "  ... msg_size 4096");
	T_EQ(a.flags, 0, "  ... flags 0");
	T_EQ(a.mode, 0, "  ... mode 0");
	T_EQ(a.uid, CHAN_ID_CALLER, "  ... uid CHAN_ID_CALLER");
	T_EQ(a.gid, CHAN_ID_CALLER, "  ... gid CHAN_ID_CALLER");
	T_EQ(a.index, CHAN_INDEX_ANY, "  ... index CHAN_INDEX_ANY");
	T_OK(a.name == NULL, "  ... name NULL");
}

/* An index no channel has (below max_chans). */
static int free_index(void)
{
	int i;

	for (i = 1000; i > 0; i--)
		if (!t_chan_exists(i))
			return i;
	return -1;
}

static void test_create_destroy(void)
{
	struct chan_attr a;
	struct chan_info info;
	struct stat st;
	char name[CHAN_NAME_MAX];
	int idx, idx2, fd, want;

	idx = chan_create(3, 100);
	if (!T_GE(idx, 0, "chan_create(3, 100) returns an index"))
		return;
	T_EQ(t_wait_path(t_chan_path(idx), true, T_NODE_MS), 0, "  ... %s appears",
	     t_chan_path(idx));
	T_EQ(t_attr(idx, "capacity"), 3, "  ... capacity 3");
	T_EQ(t_attr(idx, "msg_size"), 100, "  ... msg_size 100");
	T_EQ(chan_name(idx, name, sizeof(name)), 0,
	     "  ... created with the first-version struct: no name (chan_name 0)");
	T_EQ(name[0], '\0', "  ... chan_name gives the empty string");
	fd = chan_open(idx, O_RDONLY);
	if (T_GE(fd, 0, "chan_open(%d, O_RDONLY)", idx)) {
		T_EQ(SYS(fcntl(fd, F_GETFD)) & FD_CLOEXEC, FD_CLOEXEC,
		     "  ... the fd is O_CLOEXEC");
		T_EQ(chan_get_info(fd, &info), 0, "  ... chan_get_info");
		T_EQ(info.index, idx, "  ... it is chan%d", idx);
		T_EQ(chan_destroy(idx, 0), -EBUSY, "chan_destroy while an fd is open: -EBUSY");
		close(fd);
	}
	T_EQ(chan_destroy(idx, 0x2), -EINVAL, "chan_destroy with unknown flags: -EINVAL");
	T_EQ(chan_destroy(idx, 0), 0, "chan_destroy(%d, 0)", idx);
	T_EQ(chan_destroy(idx, 0), -ENOENT, "chan_destroy again: -ENOENT");
	T_EQ(chan_destroy(-1, 0), -ENOENT, "chan_destroy(-1): -ENOENT");
	T_EQ(chan_open(-1, O_RDWR), -EINVAL, "chan_open(-1): -EINVAL");
	want = free_index();
	T_EQ(chan_open(want, O_RDWR), -ENOENT, "chan_open of a missing chan%d: -ENOENT", want);

	T_EQ(chan_create_attr(NULL), -EINVAL, "chan_create_attr(NULL): -EINVAL");
	T_EQ(chan_create(1, 0), -EINVAL, "chan_create with msg_size 0: -EINVAL");
	T_EQ(chan_create(t_param_or("max_capacity", T_DEF_MAX_CAPACITY) + 1, 8), -EINVAL,
	     "chan_create beyond max_capacity: -EINVAL");
	chan_attr_init(&a);
	a.flags = 0x80;
	T_EQ(chan_create_attr(&a), -EINVAL, "chan_create_attr with unknown flags: -EINVAL");
	chan_attr_init(&a);
	a.mode = 01000;
	T_EQ(chan_create_attr(&a), -EINVAL, "chan_create_attr with mode 01000: -EINVAL");
	chan_attr_init(&a);
	a.index = -2;
	T_EQ(chan_create_attr(&a), -EINVAL, "chan_create_attr with index -2: -EINVAL");

	chan_attr_init(&a);
	a.capacity = 0;
	a.msg_size = 8;
	a.mode = 0640;
	a.uid = 65534;
	a.gid = 65534;
	a.flags = CHAN_CREATE_F_AUTOCLOSE;
	a.index = want;
	idx = chan_create_attr(&a);
	if (!T_EQ(idx, want, "chan_create_attr: index %d, unbuffered, 0640 65534:65534, AUTOCLOSE",
		  want))
		return;
	t_wait_path(t_chan_path(idx), true, T_NODE_MS);
	T_EQ(SYS(stat(t_chan_path(idx), &st)), 0, "stat %s", t_chan_path(idx));
	T_EQ(st.st_mode & 07777, 0640, "  ... mode 0640");
	T_EQ(st.st_uid, 65534, "  ... uid 65534");
	T_EQ(st.st_gid, 65534, "  ... gid 65534");
	T_EQ(t_attr(idx, "capacity"), 0, "  ... capacity 0");
	fd = chan_open(idx, O_WRONLY);
	if (T_GE(fd, 0, "chan_open(O_WRONLY)")) {
		T_EQ(chan_get_info(fd, &info), 0, "chan_get_info");
		T_EQ(info.flags, CHAN_CREATE_F_AUTOCLOSE, "  ... flags AUTOCLOSE");
		close(fd);
	}
	idx2 = chan_create_attr(&a);
	T_EQ(idx2, -EEXIST, "chan_create_attr with that index again: -EEXIST");
	if (idx2 >= 0)
		chan_destroy(idx2, CHAN_DESTROY_F_FORCE);
	T_EQ(chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

struct perm_ctx {
	long drop, create, version, destroy, open;
	long capset, create_nocap, version_nocap, destroy_nocap;
	int victim;
};

/* uid 65534: /dev/chan-control (0600 root) does not even open. */
static int unprivileged_ctl(void *arg)
{
	struct perm_ctx *x = arg;

	x->drop = t_drop_privs();
	if (x->drop)
		return 2;
	x->create = chan_create(1, 8);
	x->version = chan_abi_version();
	x->destroy = chan_destroy(x->victim, 0);
	x->open = chan_open(x->victim, O_RDWR);
	return 0;
}

/* Root without CAP_SYS_ADMIN: the control device opens, its ioctls fail. */
static int no_sys_admin(void *arg)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	struct perm_ctx *x = arg;

	memset(data, 0, sizeof(data));
	x->capset = SYS(syscall(SYS_capget, &hdr, data));
	if (x->capset)
		return 2;
	data[CAP_TO_INDEX(CAP_SYS_ADMIN)].effective &= ~CAP_TO_MASK(CAP_SYS_ADMIN);
	data[CAP_TO_INDEX(CAP_SYS_ADMIN)].permitted &= ~CAP_TO_MASK(CAP_SYS_ADMIN);
	x->capset = SYS(syscall(SYS_capset, &hdr, data));
	if (x->capset)
		return 2;
	x->create_nocap = chan_create(1, 8);
	x->version_nocap = chan_abi_version();
	x->destroy_nocap = chan_destroy(x->victim, 0);
	return 0;
}

static void test_privileges(void)
{
	struct perm_ctx *x = t_shared(sizeof(*x));
	pid_t pid;

	x->victim = chan_create(1, 8);
	if (!T_GE(x->victim, 0, "chan_create a victim channel"))
		return;
	pid = t_fork(unprivileged_ctl, x);
	T_CHILD(pid, T_TIMEOUT_MS, 0, "a child drops to uid 65534");
	T_EQ(x->create, -EACCES, "  ... chan_create: -EACCES (cannot open %s)", CHAN_CONTROL_PATH);
	T_EQ(x->version, -EACCES, "  ... chan_abi_version: -EACCES");
	T_EQ(x->destroy, -EACCES, "  ... chan_destroy: -EACCES");
	T_EQ(x->open, -EACCES, "  ... chan_open of a 0600 root channel: -EACCES");
	pid = t_fork(no_sys_admin, x);
	T_CHILD(pid, T_TIMEOUT_MS, 0, "a root child drops CAP_SYS_ADMIN");
	T_EQ(x->capset, 0, "  ... capset");
	T_EQ(x->create_nocap, -EPERM, "  ... chan_create: -EPERM");
	T_EQ(x->version_nocap, -EPERM, "  ... chan_abi_version: -EPERM");
	T_EQ(x->destroy_nocap, -EPERM, "  ... chan_destroy: -EPERM");
	T_EQ(chan_destroy(x->victim, 0), 0, "the victim survived: destroy it");
}

/* ---- messages ---- */

static unsigned char big_in[MSG];

static void test_xfer(void)
{
	unsigned char buf[MSG * 2], in[MSG];
	int idx = chan_create(4, MSG), fd, nb, ro, i;
	uint64_t t0;

	if (!T_GE(idx, 0, "chan_create(4, %d)", MSG))
		return;
	fd = chan_open(idx, O_RDWR);
	nb = chan_open(idx, O_RDWR | O_NONBLOCK);
	ro = chan_open(idx, O_RDONLY);
	if (!T_OK(fd >= 0 && nb >= 0 && ro >= 0, "chan_open O_RDWR, O_RDWR|O_NONBLOCK, O_RDONLY"))
		goto out;

	t_fill(buf, 10, 1);
	T_EQ(chan_send(fd, buf, 10), 0, "chan_send: 0 (not the length)");
	t_fill(buf, 20, 2);
	T_EQ(chan_send_timeout(fd, buf, 20, CHAN_TIMEOUT_INFINITE), 0,
	     "chan_send_timeout(infinite): 0");
	t_fill(buf, 30, 3);
	T_EQ(chan_send_timeout(fd, buf, 30, T_TIMEOUT_NS), 0, "chan_send_timeout(10 s): 0");
	t_fill(buf, 40, 4);
	T_EQ(chan_try_send(fd, buf, 40), 0, "chan_try_send: 0");
	T_EQ(chan_try_send(fd, buf, 8), -EAGAIN, "chan_try_send on a full channel: -EAGAIN");
	T_EQ(chan_send(nb, buf, 8), -EAGAIN, "chan_send, O_NONBLOCK fd, full: -EAGAIN");
	t0 = chan_now_ns();
	T_EQ(chan_send_timeout(fd, buf, 8, 20 * MS), -ETIMEDOUT,
	     "chan_send_timeout(20 ms) on a full channel: -ETIMEDOUT");
	T_GE(chan_now_ns() - t0, 20 * MS, "  ... after 20 ms at least");
	T_EQ(chan_send(ro, buf, 8), -EBADF, "chan_send on an O_RDONLY fd: -EBADF");
	T_EQ(chan_try_send(ro, buf, 8), -EBADF, "chan_try_send on an O_RDONLY fd: -EBADF");

	T_EQ(chan_recv(fd, in, sizeof(in)), 10, "chan_recv: the first message, 10 bytes");
	T_OK(t_verify(in, 10, 1), "  ... FIFO: message 1");
	T_EQ(chan_recv_timeout(fd, in, sizeof(in), T_TIMEOUT_NS), 20, "chan_recv_timeout: 20 bytes");
	T_OK(t_verify(in, 20, 2), "  ... message 2");
	T_EQ(chan_recv(fd, in, 16), -EMSGSIZE,
	     "chan_recv into 16 bytes of a 30-byte message: -EMSGSIZE");
	/* In .bss, low: 4 GiB beyond it is still a user address range. */
	T_EQ(chan_try_recv(ro, big_in, (size_t)UINT32_MAX + 2), 30,
	     "chan_try_recv with a buffer size beyond 32 bits (clamped): 30 bytes");
	T_OK(t_verify(big_in, 30, 3), "  ... message 3, kept first by the EMSGSIZE");
	T_EQ(chan_recv_timeout(fd, in, sizeof(in), 0), 40, "chan_recv_timeout(0): 40 bytes");
	T_OK(t_verify(in, 40, 4), "  ... message 4");
	T_EQ(chan_try_recv(fd, in, sizeof(in)), -EAGAIN, "chan_try_recv on empty: -EAGAIN");
	T_EQ(chan_recv(nb, in, sizeof(in)), -EAGAIN, "chan_recv, O_NONBLOCK fd, empty: -EAGAIN");
	t0 = chan_now_ns();
	T_EQ(chan_recv_timeout(fd, in, sizeof(in), 20 * MS), -ETIMEDOUT,
	     "chan_recv_timeout(20 ms) on empty: -ETIMEDOUT");
	T_GE(chan_now_ns() - t0, 20 * MS, "  ... after 20 ms at least");

	T_EQ(chan_send(fd, buf, MSG + 1), -EMSGSIZE, "chan_send over msg_size: -EMSGSIZE");
	T_EQ(chan_try_send(fd, buf, MSG + 1), -EMSGSIZE, "chan_try_send over msg_size: -EMSGSIZE");
	T_EQ(chan_send_timeout(fd, buf, (size_t)UINT32_MAX + 1, 0), -EMSGSIZE,
	     "chan_send_timeout of 2^32 bytes: -EMSGSIZE (not truncated to 0)");
	T_EQ(chan_send(fd, buf, (size_t)UINT32_MAX + 1), -EMSGSIZE,
	     "chan_send of 2^32 bytes: -EMSGSIZE");
	T_EQ(chan_try_send(fd, buf, 0), -EINVAL, "chan_try_send of 0 bytes: -EINVAL");
	T_EQ(chan_try_recv(fd, in, 0), -EINVAL, "chan_try_recv into 0 bytes: -EINVAL");
	T_EQ(chan_send_timeout(fd, buf, 8, -2), -EINVAL, "chan_send_timeout(-2): -EINVAL");
	T_EQ(chan_recv_timeout(fd, in, sizeof(in), -2), -EINVAL, "chan_recv_timeout(-2): -EINVAL");
	T_EQ(t_attr(idx, "len"), 0, "nothing was queued by the failures");

	/* Go's close: senders get EPIPE, receivers drain, then 0 for ever. */
	for (i = 0; i < 2; i++) {
		t_fill(buf, 8, 10 + i);
		T_EQ(chan_try_send(fd, buf, 8), 0, "queue message %d before closing", i);
	}
	T_EQ(chan_close(ro), -EBADF, "chan_close on an O_RDONLY fd: -EBADF");
	T_EQ(chan_close(fd), 0, "chan_close: 0");
	T_EQ(chan_close(nb), 0, "chan_close again (another fd): 0");
	T_EQ(chan_send(fd, buf, 8), -EPIPE, "chan_send after close: -EPIPE");
	T_EQ(chan_try_send(fd, buf, 8), -EPIPE, "chan_try_send after close: -EPIPE");
	T_EQ(chan_send_timeout(fd, buf, 8, T_TIMEOUT_NS), -EPIPE,
	     "chan_send_timeout after close: -EPIPE");
	T_EQ(chan_recv(ro, in, sizeof(in)), 8, "drain: message 0");
	T_OK(t_verify(in, 8, 10), "  ... in order");
	T_EQ(chan_try_recv(ro, in, sizeof(in)), 8, "drain: message 1");
	T_OK(t_verify(in, 8, 11), "  ... in order");
	T_EQ(chan_recv(ro, in, sizeof(in)), 0, "chan_recv at the end: 0");
	T_EQ(chan_try_recv(ro, in, sizeof(in)), 0, "chan_try_recv at the end: 0");
	T_EQ(chan_recv_timeout(ro, in, sizeof(in), CHAN_TIMEOUT_INFINITE), 0,
	     "chan_recv_timeout(infinite) at the end: 0, at once");
out:
	if (fd >= 0)
		close(fd);
	if (nb >= 0)
		close(nb);
	if (ro >= 0)
		close(ro);
	T_EQ(chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

static void test_batches(void)
{
	unsigned char out[3][MSG], in[4][MSG];
	struct chan_iov sv[3], rv[4], bad;
	int idx = chan_create(8, MSG), fd, i;

	if (!T_GE(idx, 0, "chan_create(8, %d)", MSG))
		return;
	fd = chan_open(idx, O_RDWR);
	if (!T_GE(fd, 0, "chan_open"))
		goto out;
	for (i = 0; i < 3; i++) {
		t_fill(out[i], 10 * (i + 1), 100 + i);
		sv[i] = (struct chan_iov){ .buf = (__u64)(uintptr_t)out[i], .len = 10 * (i + 1) };
	}
	for (i = 0; i < 4; i++)
		rv[i] = (struct chan_iov){ .buf = (__u64)(uintptr_t)in[i], .len = MSG };
	T_EQ(chan_send_batch(fd, sv, 3, 0), 3, "chan_send_batch of 3: 3");
	T_EQ(t_attr(idx, "len"), 3, "  ... 3 queued");
	T_EQ(chan_recv_batch(fd, rv, 4, 0), 3, "chan_recv_batch of up to 4: 3");
	for (i = 0; i < 3; i++) {
		T_EQ(rv[i].len, 10 * (i + 1), "  ... message %d: its length written back", i);
		T_OK(t_verify(in[i], rv[i].len, 100 + i), "  ... message %d in order", i);
	}
	T_EQ(chan_recv_batch(fd, rv, 4, 0), -EAGAIN, "chan_recv_batch on empty, timeout 0: -EAGAIN");
	T_EQ(chan_recv_batch(fd, rv, 4, 20 * MS), -ETIMEDOUT,
	     "chan_recv_batch on empty, 20 ms: -ETIMEDOUT");
	T_EQ(chan_send_batch(fd, sv, 0, 0), -EINVAL, "chan_send_batch of 0: -EINVAL");
	T_EQ(chan_recv_batch(fd, rv, CHAN_BATCH_MAX + 1, 0), -EINVAL,
	     "chan_recv_batch of CHAN_BATCH_MAX + 1: -EINVAL");
	bad = sv[0];
	bad.len = 0;
	T_EQ(chan_send_batch(fd, &bad, 1, 0), -EINVAL, "chan_send_batch with a 0 length: -EINVAL");
	bad.len = MSG + 1;
	T_EQ(chan_send_batch(fd, &bad, 1, 0), -EMSGSIZE,
	     "chan_send_batch over msg_size: -EMSGSIZE");
	T_EQ(chan_close(fd), 0, "chan_close");
	T_EQ(chan_send_batch(fd, sv, 1, 0), -EPIPE, "chan_send_batch after close: -EPIPE");
	T_EQ(chan_recv_batch(fd, rv, 4, 0), 0, "chan_recv_batch at the end: 0");
	close(fd);
out:
	T_EQ(chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

static void test_select(void)
{
	struct chan_select_case c[2], many[CHAN_SELECT_MAX + 1];
	unsigned char ba[MSG], bb[MSG], msg[MSG];
	int a = chan_create(1, MSG), b = chan_create(1, MSG), fa = -1, fb = -1, i;

	if (!T_OK(a >= 0 && b >= 0, "chan_create two channels"))
		goto out;
	fa = chan_open(a, O_RDWR);
	fb = chan_open(b, O_RDWR);
	if (!T_OK(fa >= 0 && fb >= 0, "chan_open both"))
		goto out;

	memset(c, 0xa5, sizeof(c));
	chan_case_send(&c[0], fa, msg, 12);
	T_OK(c[0].fd == fa && c[0].op == CHAN_OP_SEND && c[0].buf == (__u64)(uintptr_t)msg &&
	     c[0].len == 12 && c[0].result == 0, "chan_case_send fills fd, op, buf, len, result 0");
	chan_case_recv(&c[1], fb, bb, (size_t)UINT32_MAX + 5);
	T_OK(c[1].fd == fb && c[1].op == CHAN_OP_RECV && c[1].buf == (__u64)(uintptr_t)bb &&
	     c[1].len == UINT32_MAX && c[1].result == 0,
	     "chan_case_recv fills them, a length beyond 32 bits clamped");

	t_fill(msg, 12, 7);
	T_EQ(chan_try_send(fb, msg, 12), 0, "queue a message on the second channel");
	chan_case_recv(&c[0], fa, ba, sizeof(ba));
	chan_case_recv(&c[1], fb, bb, sizeof(bb));
	T_EQ(chan_select(c, 2, 0), 1, "chan_select of two receives: the ready one, case 1");
	T_EQ(c[1].result, 12, "  ... its result: 12 bytes");
	T_OK(t_verify(bb, 12, 7), "  ... the message");
	T_EQ(chan_select(c, 2, 0), -EAGAIN, "chan_select, nothing ready, timeout 0: -EAGAIN");
	T_EQ(chan_select(c, 2, 20 * MS), -ETIMEDOUT,
	     "chan_select, nothing ready, 20 ms: -ETIMEDOUT");
	t_fill(msg, 5, 8);
	chan_case_send(&c[1], fb, msg, 5);
	T_EQ(chan_select(c, 2, CHAN_TIMEOUT_INFINITE), 1,
	     "chan_select(recv on empty, send with room): the send, case 1");
	T_EQ(c[1].result, 5, "  ... result 5");
	T_EQ(chan_try_recv(fb, bb, sizeof(bb)), 5, "the message sent by the select is there");
	T_OK(t_verify(bb, 5, 8), "  ... intact");
	T_EQ(chan_select(NULL, 0, 0), -EINVAL, "chan_select of no case: -EINVAL");
	T_EQ(chan_select(c, 0, 0), -EINVAL, "chan_select with ncases 0: -EINVAL");
	for (i = 0; i < CHAN_SELECT_MAX + 1; i++)
		chan_case_recv(&many[i], fa, ba, sizeof(ba));
	T_EQ(chan_select(many, CHAN_SELECT_MAX + 1, 0), -EINVAL,
	     "chan_select of CHAN_SELECT_MAX + 1 cases: -EINVAL");
	chan_case_send(&c[0], fa, msg, MSG + 1);
	T_EQ(chan_select(c, 1, 0), -EMSGSIZE, "chan_select with a send over msg_size: -EMSGSIZE");
	chan_case_send(&c[0], fa, msg, (size_t)UINT32_MAX + 1);
	T_EQ(chan_select(c, 1, 0), -EMSGSIZE, "  ... and of 2^32 bytes: -EMSGSIZE");
	T_EQ(chan_close(fa), 0, "close the first channel");
	chan_case_send(&c[0], fa, msg, 5);
	T_EQ(chan_select(c, 1, 0), 0, "chan_select of a send on a closed channel commits");
	T_EQ(c[0].result, -EPIPE, "  ... with result -EPIPE");
out:
	if (fa >= 0)
		close(fa);
	if (fb >= 0)
		close(fb);
	if (a >= 0)
		T_EQ(chan_destroy(a, 0), 0, "destroy chan%d", a);
	if (b >= 0)
		T_EQ(chan_destroy(b, 0), 0, "destroy chan%d", b);
}

/* ---- configuration ---- */

struct nonowner_ctx {
	int fd;
	long cap, rate, brk_set, brk_reset, brk_get, timeouts, info;
};

static int nonowner(void *arg)
{
	struct nonowner_ctx *x = arg;
	struct chan_breaker_config cfg;
	struct chan_info info;

	if (t_drop_privs())
		return 2;
	chan_breaker_config_init(&cfg);
	x->cap = chan_set_capacity(x->fd, 2);
	x->rate = chan_set_rate(x->fd, 10, 1);
	x->brk_set = chan_breaker_set(x->fd, &cfg);
	x->brk_reset = chan_breaker_reset(x->fd);
	x->brk_get = chan_breaker_get(x->fd, &cfg);
	x->timeouts = chan_set_timeouts(x->fd, MS, MS);
	x->info = chan_get_info(x->fd, &info);
	return 0;
}

static void test_config(void)
{
	struct nonowner_ctx *x = t_shared(sizeof(*x));
	struct chan_info info;
	struct chan_stats stats;
	unsigned char msg[MSG];
	int64_t s = 0, r = 0;
	uint32_t rate = 1, burst = 1;
	int idx = chan_create(4, MSG), fd;
	pid_t pid;

	if (!T_GE(idx, 0, "chan_create(4, %d)", MSG))
		return;
	fd = chan_open(idx, O_RDWR);
	if (!T_GE(fd, 0, "chan_open"))
		goto out;
	t_fill(msg, 9, 1);
	T_EQ(chan_try_send(fd, msg, 9), 0, "send one message of 9 bytes");
	memset(&info, 0xa5, sizeof(info));
	T_EQ(chan_get_info(fd, &info), 0, "chan_get_info");
	T_OK(info.index == (__u32)idx && info.capacity == 4 && info.msg_size == MSG &&
	     info.len == 1 && info.closed == 0 && info.readers == 1 && info.writers == 1,
	     "  ... index %u capacity %u msg_size %u len %u closed %u readers %u writers %u",
	     info.index, info.capacity, info.msg_size, info.len, info.closed, info.readers,
	     info.writers);
	memset(&stats, 0xa5, sizeof(stats));
	T_EQ(chan_get_stats(fd, &stats), 0, "chan_get_stats");
	T_OK(stats.sent == 1 && stats.bytes_sent == 9 && stats.received == 0,
	     "  ... sent 1, bytes_sent 9, received 0");

	T_EQ(chan_set_capacity(fd, 8), 0, "chan_set_capacity(8)");
	T_EQ(chan_get_info(fd, &info), 0, "chan_get_info");
	T_EQ(info.capacity, 8, "  ... capacity 8");
	T_EQ(chan_set_capacity(fd, 0), -EBUSY, "chan_set_capacity(0) holding a message: -EBUSY");
	T_EQ(chan_set_capacity(fd, t_param_or("max_capacity", T_DEF_MAX_CAPACITY) + 1), -EINVAL,
	     "chan_set_capacity beyond max_capacity: -EINVAL");

	T_EQ(chan_get_timeouts(fd, &s, &r), 0, "chan_get_timeouts");
	T_OK(s == CHAN_TIMEOUT_INFINITE && r == CHAN_TIMEOUT_INFINITE,
	     "  ... both CHAN_TIMEOUT_INFINITE by default (%lld, %lld)", (long long)s, (long long)r);
	T_EQ(chan_set_timeouts(fd, 5 * MS, 7 * MS), 0, "chan_set_timeouts(5 ms, 7 ms)");
	T_EQ(chan_get_timeouts(fd, &s, &r), 0, "chan_get_timeouts");
	T_OK(s == 5 * MS && r == 7 * MS, "  ... round trip (%lld, %lld)", (long long)s,
	     (long long)r);
	T_EQ(chan_get_timeouts(fd, NULL, &r), 0, "chan_get_timeouts with a NULL send_ns");
	T_EQ(r, 7 * MS, "  ... recv_ns still given");
	T_EQ(chan_set_timeouts(fd, -2, 0), -EINVAL, "chan_set_timeouts(-2, 0): -EINVAL");
	T_EQ(chan_get_timeouts(fd, &s, &r), 0, "chan_get_timeouts");
	T_OK(s == 5 * MS && r == 7 * MS, "  ... unchanged by the failure");
	T_EQ(chan_set_timeouts(fd, 0, 0), 0, "chan_set_timeouts(0, 0)");
	T_EQ(chan_send(fd, msg, 9), 0, "chan_send (write(2)) with room");
	T_EQ(chan_recv(fd, msg, MSG), 9, "chan_recv (read(2))");
	T_EQ(chan_recv(fd, msg, MSG), 9, "chan_recv the other");
	T_EQ(chan_recv(fd, msg, MSG), -EAGAIN, "chan_recv on empty, default timeout 0: -EAGAIN");

	T_EQ(chan_get_rate(fd, &rate, &burst), 0, "chan_get_rate");
	T_EQ(rate, 0, "  ... rate 0 by default");
	T_EQ(chan_set_rate(fd, 100, 10), 0, "chan_set_rate(100, 10)");
	T_EQ(chan_get_rate(fd, &rate, &burst), 0, "chan_get_rate");
	T_OK(rate == 100 && burst == 10, "  ... round trip (%u, %u)", rate, burst);
	T_EQ(chan_set_rate(fd, 100, 0), -EINVAL, "chan_set_rate(100, 0): -EINVAL");
	T_EQ(chan_get_rate(fd, NULL, &burst), 0, "chan_get_rate with a NULL rate");
	T_EQ(burst, 10, "  ... burst unchanged by the failure");
	T_EQ(chan_set_rate(fd, 0, 0), 0, "chan_set_rate(0, 0): off");

	x->fd = fd;
	pid = t_fork(nonowner, x);
	T_CHILD(pid, T_TIMEOUT_MS, 0, "a child drops to uid 65534 (not the owner), same fd");
	T_EQ(x->cap, -EPERM, "  ... chan_set_capacity: -EPERM");
	T_EQ(x->rate, -EPERM, "  ... chan_set_rate: -EPERM");
	T_EQ(x->brk_set, -EPERM, "  ... chan_breaker_set: -EPERM");
	T_EQ(x->brk_reset, -EPERM, "  ... chan_breaker_reset: -EPERM");
	T_EQ(x->brk_get, 0, "  ... chan_breaker_get works");
	T_EQ(x->timeouts, 0, "  ... chan_set_timeouts (its open file's) works");
	T_EQ(x->info, 0, "  ... chan_get_info works");
	close(fd);
out:
	T_EQ(chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

/* A sysfs file of chan<idx> as a string, its newline stripped. */
static int attr_str(int idx, const char *attr, char *buf, size_t size)
{
	char p[128];
	ssize_t n;
	int fd;

	snprintf(p, sizeof(p), T_SYSFS_CLASS "/chan%d/%s", idx, attr);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	buf[n] = '\0';
	return 0;
}

static void test_breaker(void)
{
	static const char *const modes[] = { "disabled", "auto", "forced_open", "metrics_only" };
	static const char *const states[] = { "closed", "open", "half_open" };
	struct chan_breaker_config cfg, got, dflt;
	struct chan_breaker_status st;
	unsigned char msg[8] = { 0 };
	char sysfs[32];
	uint64_t t1, t2;
	unsigned int m;
	int idx = chan_create(4, MSG), fd;

	for (m = 0; m < 4; m++) {
		T_OK(chan_breaker_mode_name(m) && !strcmp(chan_breaker_mode_name(m), modes[m]),
		     "chan_breaker_mode_name(%u) is \"%s\"", m, modes[m]);
		T_EQ(chan_breaker_mode_parse(chan_breaker_mode_name(m)), m,
		     "  ... chan_breaker_mode_parse gives %u back", m);
	}
	T_OK(chan_breaker_mode_name(4) == NULL, "chan_breaker_mode_name(4): NULL");
	T_EQ(chan_breaker_mode_parse("forced-open"), -EINVAL,
	     "chan_breaker_mode_parse(\"forced-open\"): -EINVAL");
	T_EQ(chan_breaker_mode_parse(""), -EINVAL, "chan_breaker_mode_parse(\"\"): -EINVAL");
	T_EQ(chan_breaker_mode_parse(NULL), -EINVAL, "chan_breaker_mode_parse(NULL): -EINVAL");
	for (m = 0; m < 3; m++)
		T_OK(chan_breaker_state_name(m) && !strcmp(chan_breaker_state_name(m), states[m]),
		     "chan_breaker_state_name(%u) is \"%s\"", m, states[m]);
	T_OK(chan_breaker_state_name(3) == NULL, "chan_breaker_state_name(3): NULL");

	if (!T_GE(idx, 0, "chan_create(4, %d)", MSG))
		return;
	fd = chan_open(idx, O_RDWR);
	if (!T_GE(fd, 0, "chan_open"))
		goto out;

	memset(&cfg, 0xa5, sizeof(cfg));
	chan_breaker_config_init(&cfg);
	T_EQ(cfg.mode, CHAN_BREAKER_AUTO, "chan_breaker_config_init: mode AUTO");
	T_EQ(chan_breaker_get(fd, &dflt), 0, "chan_breaker_get on a new channel");
	T_EQ(dflt.mode, CHAN_BREAKER_DISABLED, "  ... DISABLED");
	dflt.mode = CHAN_BREAKER_AUTO;
	T_OK(!memcmp(&cfg, &dflt, sizeof(cfg)),
	     "  ... otherwise the module's defaults, as chan_breaker_config_init gives");
	cfg.min_calls = 20;
	cfg.failure_pct = 60;
	cfg.open_ms = 2000;
	T_EQ(chan_breaker_set(fd, &cfg), 0, "chan_breaker_set (AUTO, min_calls 20, 60%%, 2 s)");
	memset(&got, 0xa5, sizeof(got));
	T_EQ(chan_breaker_get(fd, &got), 0, "chan_breaker_get");
	T_OK(!memcmp(&cfg, &got, sizeof(cfg)), "  ... round trip");
	got.failure_pct = 0;
	T_EQ(chan_breaker_set(fd, &got), -EINVAL, "chan_breaker_set with failure_pct 0: -EINVAL");
	T_EQ(chan_breaker_status(fd, &st), 0, "chan_breaker_status");
	T_EQ(st.state, CHAN_BREAKER_CLOSED, "  ... CLOSED");
	T_EQ(attr_str(idx, "breaker/state", sysfs, sizeof(sysfs)), 0, "read breaker/state");
	T_OK(!strcmp(sysfs, chan_breaker_state_name(st.state)),
	     "  ... \"%s\", as chan_breaker_state_name says", sysfs);

	for (m = 0; m < 4; m++) {
		cfg.mode = m;
		T_EQ(chan_breaker_set(fd, &cfg), 0, "chan_breaker_set mode %s", modes[m]);
		T_EQ(attr_str(idx, "breaker/mode", sysfs, sizeof(sysfs)), 0, "  ... read breaker/mode");
		T_OK(!strcmp(sysfs, chan_breaker_mode_name(m)),
		     "  ... sysfs says \"%s\", as chan_breaker_mode_name does", sysfs);
		T_EQ(chan_breaker_mode_parse(sysfs), m, "  ... which parses back to %u", m);
	}

	/* FORCED_OPEN refuses. */
	cfg.mode = CHAN_BREAKER_FORCED_OPEN;
	T_EQ(chan_breaker_set(fd, &cfg), 0, "chan_breaker_set FORCED_OPEN");
	T_EQ(chan_breaker_status(fd, &st), 0, "chan_breaker_status");
	T_EQ(st.state, CHAN_BREAKER_OPEN, "  ... OPEN");
	T_EQ(attr_str(idx, "breaker/state", sysfs, sizeof(sysfs)), 0, "read breaker/state");
	T_OK(!strcmp(sysfs, chan_breaker_state_name(st.state)), "  ... \"%s\" again", sysfs);
	T_EQ(chan_try_send(fd, msg, 8), -ECONNREFUSED, "chan_try_send: -ECONNREFUSED");
	T_EQ(chan_send(fd, msg, 8), -ECONNREFUSED, "chan_send: -ECONNREFUSED");
	T_EQ(chan_breaker_acquire(fd, &t1), -ECONNREFUSED, "chan_breaker_acquire: -ECONNREFUSED");
	T_EQ(chan_breaker_status(fd, &st), 0, "chan_breaker_status");
	T_GE(st.rejected, 2, "  ... rejected counts the refused sends");
	T_EQ(chan_breaker_reset(fd), 0, "chan_breaker_reset");
	T_EQ(chan_breaker_status(fd, &st), 0, "chan_breaker_status");
	T_EQ(st.rejected, 0, "  ... rejected 0");

	/* Tickets. */
	chan_breaker_config_init(&cfg);
	T_EQ(chan_breaker_set(fd, &cfg), 0, "chan_breaker_set AUTO (defaults)");
	T_EQ(chan_breaker_acquire(fd, &t1), 0, "chan_breaker_acquire");
	T_EQ(chan_breaker_report(fd, t1, CHAN_OUTCOME_SUCCESS, 1000), 0,
	     "chan_breaker_report(SUCCESS)");
	T_EQ(chan_breaker_acquire(fd, &t2), 0, "chan_breaker_acquire");
	T_EQ(chan_breaker_report(fd, t2, CHAN_OUTCOME_FAILURE, 1000), 0,
	     "chan_breaker_report(FAILURE)");
	T_EQ(chan_breaker_status(fd, &st), 0, "chan_breaker_status");
	T_OK(st.calls == 2 && st.failures == 1, "  ... calls 2 (%llu), failures 1 (%llu)",
	     (unsigned long long)st.calls, (unsigned long long)st.failures);
	T_EQ(chan_breaker_acquire(fd, &t1), 0, "chan_breaker_acquire");
	T_EQ(chan_breaker_report(fd, t1, 3, 0), -EINVAL, "chan_breaker_report(outcome 3): -EINVAL");
	T_EQ(chan_breaker_reset(fd), 0, "chan_breaker_reset (a new generation)");
	T_EQ(chan_breaker_report(fd, t1, CHAN_OUTCOME_SUCCESS, 0), -ESTALE,
	     "chan_breaker_report of the older ticket: -ESTALE");
	T_EQ(chan_breaker_acquire(fd, NULL), 0, "chan_breaker_acquire with a NULL ticket works");
	close(fd);
out:
	T_EQ(chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

/* After a forced destroy every function on a still-open fd: -ENODEV. */
static void test_destroyed(void)
{
	int idx = chan_create(2, MSG), fd, op;

	if (!T_GE(idx, 0, "chan_create"))
		return;
	fd = chan_open(idx, O_RDWR);
	if (!T_GE(fd, 0, "chan_open")) {
		chan_destroy(idx, 0);
		return;
	}
	T_EQ(chan_destroy(idx, CHAN_DESTROY_F_FORCE), 0,
	     "chan_destroy(CHAN_DESTROY_F_FORCE) with an fd open");
	dummy_calls = 0;
	for (op = 0; op < OP_NR; op++)
		T_EQ(call_op(op, fd), -ENODEV, "%s on the destroyed channel: -ENODEV", op_names[op]);
	T_EQ(dummy_calls, 0, "chan_guarded_call never called fn");
	close(fd);
	T_EQ(chan_destroy(idx, 0), -ENOENT, "it is gone: chan_destroy gives -ENOENT");
}

/* ---- names ---- */

static void test_names(int abi)
{
	static const char long31[] = "abcdefghijklmnopqrstuvwxyz01234";
	static const char long32[] = "abcdefghijklmnopqrstuvwxyz012345";
	const char *nm = "libchan-test.A_1";
	char buf[CHAN_NAME_MAX], path[64];
	struct chan_info info;
	struct chan_attr a;
	int idx, plain, i2, fd;

	/* What needs no kernel support. */
	T_EQ(chan_create_named(long32, 1, 8), -EINVAL,
	     "chan_create_named with a 32-byte name: -EINVAL (from the library)");
	T_EQ(chan_create_named(NULL, 1, 8), -EINVAL, "chan_create_named(NULL): -EINVAL");
	T_EQ(chan_create_named("", 1, 8), -EINVAL, "chan_create_named(\"\"): -EINVAL");
	T_EQ(chan_lookup(""), -EINVAL, "chan_lookup(\"\"): -EINVAL");
	T_EQ(chan_lookup(".hidden"), -EINVAL, "chan_lookup(\".hidden\"): -EINVAL");
	T_EQ(chan_lookup("a/b"), -EINVAL, "chan_lookup(\"a/b\"): -EINVAL");
	T_EQ(chan_lookup(long32), -EINVAL, "chan_lookup of a 32-byte name: -EINVAL");
	T_EQ(chan_lookup(NULL), -EINVAL, "chan_lookup(NULL): -EINVAL");
	T_EQ(chan_lookup("libchan-no-such"), -ENOENT, "chan_lookup of an unused name: -ENOENT");
	T_EQ(chan_open_name("libchan-no-such", O_RDWR), -ENOENT,
	     "chan_open_name of an unused name: -ENOENT");
	T_EQ(chan_open_name("..", O_RDWR), -EINVAL, "chan_open_name(\"..\"): -EINVAL");
	T_EQ(chan_name(free_index(), buf, sizeof(buf)), -ENOENT,
	     "chan_name of a missing channel: -ENOENT");
	T_EQ(chan_name(-1, buf, sizeof(buf)), -ENOENT, "chan_name(-1): -ENOENT");

	plain = chan_create(1, 8);
	if (!T_GE(plain, 0, "chan_create an unnamed channel"))
		return;
	memset(buf, 'x', sizeof(buf));
	T_EQ(chan_name(plain, buf, sizeof(buf)), 0, "chan_name of an unnamed channel: 0");
	T_EQ(buf[0], '\0', "  ... the empty string");
	T_EQ(chan_name(plain, buf, 0), -ERANGE, "chan_name into 0 bytes: -ERANGE");

	snprintf(path, sizeof(path), T_SYSFS_CLASS "/chan%d/name", plain);
	if (abi < 2 || access(path, F_OK)) {
		t_diag("the module has ABI %d and %s %s: no named channels yet", abi, path,
		       access(path, F_OK) ? "is missing" : "exists");
		t_skip("named channels: create, lookup, name, open_name, EEXIST (kernel without names)");
		T_EQ(chan_destroy(plain, 0), 0, "destroy chan%d", plain);
		return;
	}

	idx = chan_create_named(nm, 2, 32);
	if (!T_GE(idx, 0, "chan_create_named(\"%s\")", nm))
		goto out_plain;
	T_EQ(chan_name(idx, buf, sizeof(buf)), (long long)strlen(nm), "chan_name: its length");
	T_OK(!strcmp(buf, nm), "  ... \"%s\"", buf);
	T_EQ(chan_name(idx, buf, strlen(nm)), -ERANGE, "chan_name into %zu bytes: -ERANGE",
	     strlen(nm));
	T_EQ(chan_name(idx, buf, strlen(nm) + 1), (long long)strlen(nm),
	     "chan_name into %zu bytes (with the NUL) fits", strlen(nm) + 1);
	T_EQ(chan_lookup(nm), idx, "chan_lookup: chan%d", idx);
	fd = chan_open_name(nm, O_RDWR);
	if (T_GE(fd, 0, "chan_open_name")) {
		T_EQ(SYS(fcntl(fd, F_GETFD)) & FD_CLOEXEC, FD_CLOEXEC, "  ... O_CLOEXEC");
		T_EQ(chan_get_info(fd, &info), 0, "  ... chan_get_info");
		T_EQ(info.index, idx, "  ... it is chan%d", idx);
		T_EQ(info.capacity, 2, "  ... capacity 2");
		close(fd);
	}
	T_EQ(chan_create_named(nm, 1, 8), -EEXIST, "chan_create_named with the same name: -EEXIST");
	T_EQ(chan_create_named(".hidden", 1, 8), -EINVAL,
	     "chan_create_named(\".hidden\"): -EINVAL (from the kernel)");
	T_EQ(chan_create_named("a/b", 1, 8), -EINVAL, "chan_create_named(\"a/b\"): -EINVAL");
	T_EQ(chan_create_named("sp ace", 1, 8), -EINVAL, "chan_create_named(\"sp ace\"): -EINVAL");
	i2 = chan_create_named(long31, 1, 8);
	if (T_GE(i2, 0, "chan_create_named with a 31-byte name")) {
		T_EQ(chan_lookup(long31), i2, "  ... chan_lookup finds it");
		T_EQ(chan_name(i2, buf, sizeof(buf)), 31, "  ... chan_name: 31");
		T_EQ(chan_destroy(i2, 0), 0, "  ... destroy it");
	}
	chan_attr_init(&a);
	a.name = "libchan-test.attr";
	a.capacity = 1;
	a.msg_size = 8;
	a.index = free_index();
	i2 = chan_create_attr(&a);
	if (T_EQ(i2, a.index, "chan_create_attr with a name and an index")) {
		T_EQ(chan_lookup(a.name), i2, "  ... chan_lookup finds it there");
		T_EQ(chan_destroy(i2, 0), 0, "  ... destroy it");
	}
	T_EQ(chan_destroy(idx, 0), 0, "destroy the named chan%d", idx);
	T_EQ(chan_lookup(nm), -ENOENT, "chan_lookup after the destroy: -ENOENT");
	T_EQ(chan_open_name(nm, O_RDWR), -ENOENT, "chan_open_name after the destroy: -ENOENT");
	idx = chan_create_named(nm, 1, 8);
	if (T_GE(idx, 0, "the name is free again: chan_create_named"))
		T_EQ(chan_destroy(idx, 0), 0, "destroy chan%d", idx);
out_plain:
	T_EQ(chan_destroy(plain, 0), 0, "destroy chan%d", plain);
}

/* ---- guarded calls ---- */

struct gctx {
	int calls;
	int fails;		/* the first @fails calls fail with @err */
	int err;
	uint64_t sleep_ns;	/* each call takes this long */
	uint64_t deadline;	/* the last call's */
	uint64_t called_at;
};

static int guarded_fn(void *arg, uint64_t deadline_ns)
{
	struct gctx *g = arg;

	g->called_at = chan_now_ns();
	g->deadline = deadline_ns;
	if (g->sleep_ns)
		t_sleep_ms((int)(g->sleep_ns / MS));
	return ++g->calls <= g->fails ? g->err : 0;
}

static volatile sig_atomic_t usr1_caught;

static void on_usr1(int sig)
{
	(void)sig;
	usr1_caught++;
}

struct pester_ctx {
	volatile int go, stop;
	pid_t target;
};

/* SIGUSR1 to the parent every 5 ms from go until stop. */
static int pester(void *arg)
{
	struct pester_ctx *p = arg;
	uint64_t end = t_now_ns() + T_TIMEOUT_NS;

	while (!p->go && t_now_ns() < end)
		t_sleep_ms(1);
	while (!p->stop && t_now_ns() < end) {
		kill(p->target, SIGUSR1);
		t_sleep_ms(5);
	}
	return 0;
}

static struct chan_breaker_status brk_st(int fd)
{
	struct chan_breaker_status st;

	memset(&st, 0xff, sizeof(st));
	chan_breaker_status(fd, &st);
	return st;
}

static void test_guarded(void)
{
	struct pester_ctx *pc = t_shared(sizeof(*pc));
	struct chan_breaker_config cfg;
	struct chan_call_opts o;
	struct sigaction sa;
	struct gctx g;
	unsigned int att;
	uint64_t t0, t1, el;
	int idx = chan_create(1, 8), fd;
	pid_t pid;

	t0 = t_now_ns();
	t1 = chan_now_ns();
	T_OK(t1 >= t0 && t_now_ns() >= t1, "chan_now_ns is CLOCK_MONOTONIC");
	if (!T_GE(idx, 0, "chan_create"))
		return;
	fd = chan_open(idx, O_RDWR);
	if (!T_GE(fd, 0, "chan_open"))
		goto out;
	chan_breaker_config_init(&cfg);
	T_EQ(chan_breaker_set(fd, &cfg), 0, "breaker AUTO, defaults (min_calls 10)");

	memset(&g, 0, sizeof(g));
	g.deadline = 1;
	T_EQ(chan_guarded_call(fd, guarded_fn, &g, NULL), 0,
	     "chan_guarded_call, opts NULL, fn succeeds: 0");
	T_EQ(g.calls, 1, "  ... fn called once");
	T_EQ(g.deadline, 0, "  ... with no deadline (0)");
	memset(&o, 0, sizeof(o));
	o.timeout_ns = 1000 * MS;
	o.max_attempts = 3;
	o.attempts = &att;
	att = 99;
	t0 = chan_now_ns();
	T_EQ(chan_guarded_call(fd, guarded_fn, &g, &o), 0, "a call with a 1 s deadline succeeds: 0");
	T_EQ(att, 1, "  ... attempts 1");
	T_EQ(g.calls, 2, "  ... fn called once more");
	T_OK(g.deadline >= t0 + o.timeout_ns && g.deadline <= g.called_at + o.timeout_ns,
	     "  ... its deadline is 1 s after the call started");
	T_OK(brk_st(fd).calls == 2 && brk_st(fd).failures == 0,
	     "  ... the breaker counted 2 calls, 0 failures");

	/* Failures, retried after 20 + 40 ms; METRICS_ONLY: they never trip it. */
	cfg.mode = CHAN_BREAKER_METRICS_ONLY;
	T_EQ(chan_breaker_set(fd, &cfg), 0, "breaker METRICS_ONLY");
	T_EQ(chan_breaker_reset(fd), 0, "chan_breaker_reset");
	memset(&g, 0, sizeof(g));
	g.fails = 1000;
	g.err = -EIO;
	memset(&o, 0, sizeof(o));
	o.max_attempts = 3;
	o.backoff_ns = 20 * MS;
	o.attempts = &att;
	t0 = chan_now_ns();
	T_EQ(chan_guarded_call(fd, guarded_fn, &g, &o), -EIO,
	     "fn always fails with -EIO, 3 attempts: -EIO");
	el = chan_now_ns() - t0;
	T_EQ(att, 3, "  ... attempts 3");
	T_EQ(g.calls, 3, "  ... fn called 3 times");
	T_GE(el, 60 * MS, "  ... after the backoffs, 20 + 40 ms (x2 by default)");
	T_OK(brk_st(fd).calls == 3 && brk_st(fd).failures == 3,
	     "  ... the breaker counted 3 calls, 3 failures");

	memset(&g, 0, sizeof(g));
	g.fails = 2;
	g.err = -ECONNRESET;
	o.max_attempts = 5;
	o.backoff_ns = 10 * MS;
	o.multiplier_pct = 300;
	o.jitter_pct = 50;
	t0 = chan_now_ns();
	T_EQ(chan_guarded_call(fd, guarded_fn, &g, &o), 0,
	     "fn fails twice then succeeds, 5 attempts allowed: 0");
	el = chan_now_ns() - t0;
	T_EQ(att, 3, "  ... attempts 3");
	T_EQ(g.calls, 3, "  ... fn called 3 times");
	T_GE(el, 20 * MS, "  ... after at least (10 + 30 ms) - 50%% jitter");

	memset(&g, 0, sizeof(g));
	g.fails = 1000;
	g.err = -EIO;
	memset(&o, 0, sizeof(o));
	o.max_attempts = 4;
	o.backoff_ns = 10 * MS;
	o.multiplier_pct = 1000;
	o.backoff_max_ns = 20 * MS;
	o.attempts = &att;
	t0 = chan_now_ns();
	T_EQ(chan_guarded_call(fd, guarded_fn, &g, &o), -EIO,
	     "4 attempts, backoff 10 ms x10 each time, capped at 20 ms: -EIO");
	el = chan_now_ns() - t0;
	T_EQ(att, 4, "  ... attempts 4");
	T_GE(el, 50 * MS, "  ... after 10 + 20 + 20 ms");
	T_LT(el, 1000 * MS, "  ... not the 10 + 100 + 1000 ms uncapped");

	memset(&g, 0, sizeof(g));
	g.fails = 1000;
	g.err = -EIO;
	memset(&o, 0, sizeof(o));
	o.attempts = &att;
	T_EQ(chan_guarded_call(fd, guarded_fn, &g, &o), -EIO, "max_attempts 0 means 1: -EIO");
	T_EQ(att, 1, "  ... attempts 1");

	/* A signal during the backoff does not shorten it. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	pc->target = getpid();
	pid = t_fork(pester, pc);
	memset(&g, 0, sizeof(g));
	g.fails = 1000;
	g.err = -EIO;
	o.max_attempts = 2;
	o.backoff_ns = 300 * MS;
	usr1_caught = 0;
	pc->go = 1;
	t0 = chan_now_ns();
	T_EQ(chan_guarded_call(fd, guarded_fn, &g, &o), -EIO,
	     "2 attempts, a 300 ms backoff, SIGUSR1 every 5 ms (no SA_RESTART): -EIO");
	el = chan_now_ns() - t0;
	pc->stop = 1;
	T_GT(usr1_caught, 0, "  ... signals were caught meanwhile");
	T_EQ(att, 2, "  ... attempts 2");
	T_GE(el, 300 * MS, "  ... the backoff was slept in full");
	T_CHILD(pid, T_TIMEOUT_MS, 0, "the signalling child stops");
	signal(SIGUSR1, SIG_IGN);

	/* A late success is a failure. */
	T_EQ(chan_breaker_reset(fd), 0, "chan_breaker_reset");
	memset(&g, 0, sizeof(g));
	g.sleep_ns = 30 * MS;
	memset(&o, 0, sizeof(o));
	o.timeout_ns = 5 * MS;
	o.attempts = &att;
	T_EQ(chan_guarded_call(fd, guarded_fn, &g, &o), -ETIMEDOUT,
	     "fn succeeds after 30 ms, deadline 5 ms: -ETIMEDOUT");
	T_EQ(att, 1, "  ... attempts 1");
	T_EQ(g.calls, 1, "  ... fn called once");
	T_OK(brk_st(fd).calls == 1 && brk_st(fd).failures == 1,
	     "  ... the breaker counted it as a failure");

	/* Refusals. */
	cfg.mode = CHAN_BREAKER_FORCED_OPEN;
	T_EQ(chan_breaker_set(fd, &cfg), 0, "breaker FORCED_OPEN");
	memset(&g, 0, sizeof(g));
	memset(&o, 0, sizeof(o));
	o.max_attempts = 3;
	o.backoff_ns = 1 * MS;
	o.attempts = &att;
	T_EQ(chan_guarded_call(fd, guarded_fn, &g, &o), -ECONNREFUSED,
	     "refused, 3 attempts allowed: -ECONNREFUSED");
	T_EQ(att, 1, "  ... not retried: attempts 1");
	T_EQ(g.calls, 0, "  ... fn never called");
	o.flags = CHAN_CALL_RETRY_REFUSED;
	T_EQ(chan_guarded_call(fd, guarded_fn, &g, &o), -ECONNREFUSED,
	     "refused, with CHAN_CALL_RETRY_REFUSED: -ECONNREFUSED");
	T_EQ(att, 3, "  ... retried: attempts 3");
	T_EQ(g.calls, 0, "  ... fn never called");

	/* Bad options. */
	cfg.mode = CHAN_BREAKER_AUTO;
	T_EQ(chan_breaker_set(fd, &cfg), 0, "breaker AUTO");
	T_EQ(chan_breaker_reset(fd), 0, "chan_breaker_reset");
	memset(&o, 0, sizeof(o));
	o.jitter_pct = 101;
	o.attempts = &att;
	att = 99;
	T_EQ(chan_guarded_call(fd, guarded_fn, &g, &o), -EINVAL, "jitter_pct 101: -EINVAL");
	T_EQ(g.calls, 0, "  ... fn not called");
	T_EQ(att, 99, "  ... attempts untouched");
	T_EQ(chan_guarded_call(fd, NULL, &g, NULL), -EINVAL, "fn NULL: -EINVAL");
	o.jitter_pct = 100;
	T_EQ(chan_guarded_call(fd, guarded_fn, &g, &o), 0, "jitter_pct 100 is valid: 0");
	T_EQ(brk_st(fd).calls, 1, "  ... counted by the breaker");
	close(fd);
out:
	T_EQ(chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

int main(void)
{
	int abi;

	t_init("libchan");
	abi = chan_abi_version();
	T_OK(abi == 1 || abi == 2, "chan_abi_version: %d (1 or 2)", abi);
	test_bad_fds();
	test_attr_init();
	test_create_destroy();
	test_privileges();
	test_xfer();
	test_batches();
	test_select();
	test_config();
	test_breaker();
	test_destroyed();
	test_names(abi);
	test_guarded();
	return t_done();
}
