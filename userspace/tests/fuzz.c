// SPDX-License-Identifier: GPL-2.0
/*
 * Description: a fuzzer of the whole file interface of chan(4), run for a
 * short time in every test VM. Several forked processes at once throw
 * random operations at a few channels the test creates (small capacities
 * and messages, one unbuffered) and at /dev/chan-control: ioctls with random
 * numbers inside the 0xBC magic (0x00-0x3f, every direction, sizes up to
 * 16383) and outside it; argument pointers that are NULL, unmapped,
 * read-only, kernel addresses, misaligned, or random bytes; well-formed
 * structs with random flags, reserved fields and values (huge lengths and
 * counts, bad fds and repeated channels in select cases); read/write with
 * random lengths and pointers; poll with random events; close, reopen, dup;
 * CHAN_IOC_CLOSE; random text written to the writable sysfs files of its own
 * channels (the chaos knobs among them; on a debug kernel capacities stay
 * at most 4096, whose slots it allocates quickly); CHAN_CTL_CREATE/DESTROY with random structs (whatever gets
 * created is destroyed), and channels replaced under the others' feet by a
 * forced destroy.
 *
 * It checks that every call returns (an alarm interrupts any wait after
 * 100 ms; a child that does not finish in time is a hang), that every error
 * is one that chan(4) documents for that kind of call and every result is
 * in range, that no process dies of a signal or gets SIGPIPE, and
 * afterwards that the channels are exactly those before the run and a
 * fresh channel still moves a message. The harness checks the kernel log.
 *
 * KCHAN_FUZZ_SECONDS (default 15) sets the duration, KCHAN_FUZZ_SEED the
 * seed (printed; each child uses seed + its number, and the interleaving of
 * the children is not reproducible, but one child's sequence of operations
 * is).
 */
#include <dirent.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <time.h>

#include "helpers.h"

#define NKIDS		4
#define NSLOTS		4
#define MAXLOG		8192
#define MAXFDS		20
#define MAXOWN		4
#define MAXREPORT	25
#define GUARD_US	100000		/* the alarm that bounds every call */
#define SLOW_NS		(5 * T_NSEC_PER_SEC)	/* reported */
#define STUCK_NS	(60 * T_NSEC_PER_SEC)	/* a call this long is a bug */
#define SCRATCH_SZ	((3u << 20) + 65536)	/* message buffers */
#define ARG_SZ		(64u << 10)		/* ioctl argument structs */
#define VEC_SZ		(64u << 10)		/* batch vectors, select cases */
#define KERNEL_ADDR	((void *)0xffff888000000000UL)
#define IOC_MAXSZ	((1u << _IOC_SIZEBITS) - 1)
#define CTLFD		(MAXFDS - 4)	/* a control fd that stays open */
/* An ioctl number without its size: what selects the handler. */
#define IOC_NOSIZE(cmd)	((cmd) & ~((unsigned long)_IOC_SIZEMASK << _IOC_SIZESHIFT))

/* Operation kinds, with their weight in the random draw. */
#define OPS(X) \
	X(RAW_MAGIC, 14) X(RAW_FOREIGN, 3) X(SEND, 10) X(RECV, 10) \
	X(SEND_BATCH, 5) X(RECV_BATCH, 5) X(SELECT, 8) X(TIMEOUTS, 3) \
	X(CAPACITY, 2) X(BREAKER, 2) X(BRK_RESET, 1) X(BRK_TICKET, 3) \
	X(RATE, 2) X(INFO, 2) X(STATS, 2) X(CLOSE, 1) X(FIONREAD, 2) \
	X(READ, 8) X(WRITE, 8) X(POLL, 4) X(REOPEN, 4) X(DUP, 1) \
	X(SYSFS_WRITE, 4) X(SYSFS_READ, 2) X(CTL_CREATE, 2) \
	X(CTL_DESTROY, 2) X(CTL_VERSION, 1) X(RECYCLE, 1)

#define OP_ENUM(n, w) OP_##n,
#define OP_NAME(n, w) #n,
#define OP_WEIGHT(n, w) w,
enum { OPS(OP_ENUM) NOPS };
static const char *const op_names[] = { OPS(OP_NAME) };
static const int op_weights[] = { OPS(OP_WEIGHT) };

/* Which errors a kind of call may give (chan(4) and the syscalls'). */
enum err_class { E_CHAN, E_CTL, E_FOREIGN, E_RW, E_POLL, E_OPEN, E_SYSFS, E_NONE };

static const int errs_chan[] = { EINVAL, E2BIG, EFAULT, ENOTTY, EBADF, EAGAIN,
	ETIMEDOUT, EMSGSIZE, EPIPE, ENODEV, EBUSY, ENOMEM, ECONNREFUSED, ESTALE,
	EPERM, EINTR, 0 };
static const int errs_ctl[] = { EINVAL, E2BIG, EFAULT, ENOTTY, EPERM, ENOENT,
	EEXIST, ENOSPC, ENOMEM, EBUSY, 0 };
static const int errs_foreign[] = { ENOTTY, 0 };
static const int errs_rw[] = { EINVAL, EFAULT, EBADF, EAGAIN, ETIMEDOUT,
	EMSGSIZE, EPIPE, ENODEV, EBUSY, ENOMEM, ECONNREFUSED, EINTR, 0 };
static const int errs_poll[] = { EINTR, EFAULT, ENOMEM, 0 };
static const int errs_open[] = { ENOENT, ENXIO, ENODEV, ENOMEM, 0 };
static const int errs_sysfs[] = { ENOENT, ENODEV, EINVAL, ERANGE, EPERM,
	EACCES, ENOMEM, EBUSY, 0 };
static const int errs_none[] = { 0 };
static const int *const err_classes[] = { errs_chan, errs_ctl, errs_foreign,
	errs_rw, errs_poll, errs_open, errs_sysfs, errs_none };

/* The test's channels: each slot is replaced now and then (OP_RECYCLE). */
static const struct { __u32 capacity, msg_size; } slot_cfg[NSLOTS] = {
	{ 0, 8 }, { 1, 1 }, { 4, 64 }, { 16, 256 },
};

/* Shared by the parent and the children. */
struct fz_shared {
	int slot[NSLOTS];		/* log entry of each slot's channel now */
	int nlog;
	struct { int index; int live; } log[MAXLOG];	/* every channel created */
	unsigned long long ops[NOPS];
	unsigned long long fails[NOPS];	/* calls that returned an error */
	unsigned long long errno_hist[256];
	unsigned long long bad;		/* unexpected errors or results */
	unsigned long long guard;	/* calls the alarm interrupted */
	unsigned long long sigpipe;
	unsigned long long slow;
	unsigned long long slow_resize;	/* capacity changes that were slow */
	unsigned long long max_ns;
	char last[NKIDS][200];		/* each child's current operation */
};

static struct fz_shared *sh;

/* ---- per child ---- */

enum fd_kind { FD_FREE, FD_CHAN, FD_CTL, FD_OTHER };

struct fz_fd {
	int fd;
	int kind;
	int index;		/* FD_CHAN: the channel */
	__u32 msg_size;		/* FD_CHAN */
	int acc;		/* O_RDONLY, O_WRONLY, O_RDWR */
};

static int me;			/* child number */
static uint64_t rng, child_seed;
static unsigned long long seq;	/* operations done by this child */
static int nreports;
static struct fz_fd fds[MAXFDS];
static struct { int index, entry; __u32 msg_size; } own[MAXOWN];
static int nown;
static unsigned char *scratch, *argmem, *vecmem;
static volatile sig_atomic_t guard_fired;
static __u64 last_ticket;
static char desc[200];		/* the operation being done, for reports */
static int cur_fd = -1;		/* the table entry picked last */
static bool stale[MAXFDS];	/* its channel is gone: reopen it */
static bool saw_epipe;		/* a channel was closed: replace it soon */
/*
 * The largest capacity it asks for. A debug kernel (kmemleak and KASAN
 * track every slot) takes up to a minute to allocate 65536 slots when the
 * machine is busy, longer than a call may take here; it gets 4096.
 */
static __u32 big_cap = 65536;

static uint64_t rnd64(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545F4914F6CDD1DULL;
}

static uint32_t rnd(uint32_t n)
{
	return n ? (uint32_t)(rnd64() % n) : 0;
}

static bool chance(int pct)
{
	return (int)rnd(100) < pct;
}

static void rnd_bytes(void *p, size_t n)
{
	unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		b[i] = (unsigned char)rnd64();
}

/* ---- the channel log ---- */

/* Note a channel the test created: its entry in the log, or -1. */
static int log_add(int index)
{
	int i = __atomic_fetch_add(&sh->nlog, 1, __ATOMIC_SEQ_CST);

	if (i >= MAXLOG) {
		t_diag("channel log full: chan%d may be left behind", index);
		return -1;
	}
	sh->log[i].index = index;
	__atomic_store_n(&sh->log[i].live, 1, __ATOMIC_SEQ_CST);
	return i;
}

static void log_dead(int entry)
{
	if (entry >= 0)
		__atomic_store_n(&sh->log[entry].live, 0, __ATOMIC_SEQ_CST);
}

/* The index of slot @s's channel now. */
static int slot_index(int s)
{
	return sh->log[__atomic_load_n(&sh->slot[s], __ATOMIC_SEQ_CST)].index;
}

/* ---- checking a call ---- */

static void on_alarm(int sig)
{
	(void)sig;
	guard_fired = 1;
}

static void on_sigpipe(int sig)
{
	(void)sig;
	__atomic_add_fetch(&sh->sigpipe, 1, __ATOMIC_SEQ_CST);
}

static void guard_arm(void)
{
	struct itimerval it = { { 0, 0 }, { 0, GUARD_US } };

	guard_fired = 0;
	setitimer(ITIMER_REAL, &it, NULL);
}

static void guard_disarm(void)
{
	struct itimerval it = { { 0, 0 }, { 0, 0 } };

	setitimer(ITIMER_REAL, &it, NULL);
}

__attribute__((format(printf, 1, 2)))
static void report(const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	__atomic_add_fetch(&sh->bad, 1, __ATOMIC_SEQ_CST);
	if (nreports++ >= MAXREPORT)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printf("# child %d (fuzzer %d, seed %llu, op %llu): FAILED: %s: %s\n", getpid(),
	       me, (unsigned long long)child_seed, seq, desc, buf);
}

static uint64_t op_t0;
static int cur_op;

__attribute__((format(printf, 2, 3)))
static void begin(int op, const char *fmt, ...)
{
	va_list ap;
	int n;

	cur_op = op;
	n = snprintf(desc, sizeof(desc), "%s ", op_names[op]);
	va_start(ap, fmt);
	vsnprintf(desc + n, sizeof(desc) - n, fmt, ap);
	va_end(ap);
	memcpy(sh->last[me], desc, sizeof(desc));
	__atomic_add_fetch(&sh->ops[op], 1, __ATOMIC_RELAXED);
	seq++;
	guard_arm();
	op_t0 = t_now_ns();
}

/* End a call that gave @r (a result or -errno) of class @cls: is it allowed? */
static bool end(long r, int cls)
{
	uint64_t ns = t_now_ns() - op_t0;
	bool fired;
	int i;

	guard_disarm();
	fired = guard_fired;
	if (fired)
		__atomic_add_fetch(&sh->guard, 1, __ATOMIC_RELAXED);
	if (ns > __atomic_load_n(&sh->max_ns, __ATOMIC_RELAXED))
		__atomic_store_n(&sh->max_ns, ns, __ATOMIC_RELAXED);
	if (ns > STUCK_NS) {
		__atomic_add_fetch(&sh->slow, 1, __ATOMIC_SEQ_CST);
		report("the call took %llu ms", (unsigned long long)(ns / T_NSEC_PER_MSEC));
	} else if (ns > SLOW_NS) {
		/*
		 * Creating or growing a channel allocates every slot up front,
		 * and other resizes of it wait for that: seconds for 65536
		 * slots on a debug kernel. Slow, not stuck: counted, not
		 * failed.
		 */
		__atomic_add_fetch(&sh->slow_resize, 1, __ATOMIC_SEQ_CST);
		printf("# child %d: slow: %s took %llu ms\n", getpid(), desc,
		       (unsigned long long)(ns / T_NSEC_PER_MSEC));
	}
	if (r >= 0)
		return true;
	/* Mostly work on live channels: reopen one found destroyed. */
	if (r == -ENODEV && cur_fd >= 0 && chance(80))
		stale[cur_fd] = true;
	if (r == -EPIPE)
		saw_epipe = true;
	__atomic_add_fetch(&sh->fails[cur_op], 1, __ATOMIC_RELAXED);
	if (-r < 256)
		__atomic_add_fetch(&sh->errno_hist[-r], 1, __ATOMIC_RELAXED);
	if (r == -EINTR && !fired) {
		report("EINTR although no signal came");
		return false;
	}
	for (i = 0; err_classes[cls][i]; i++)
		if (err_classes[cls][i] == -r)
			return false;
	report("unexpected error %ld (%s)", r, strerrorname_np((int)-r) ?: "?");
	return false;
}

/* ---- random arguments ---- */

enum ptr_kind { P_GOOD, P_NULL, P_BAD, P_RO, P_KERNEL, P_MISALIGNED };
static const char *const ptr_names[] = { "good", "NULL", "unmapped", "ro",
	"kernel", "misaligned" };

static int pick_ptr_kind(int good_pct)
{
	if (chance(good_pct))
		return chance(85) ? P_GOOD : P_MISALIGNED;
	return P_NULL + rnd(4);
}

static void *ptr_of(int kind, void *good)
{
	switch (kind) {
	case P_NULL: return t_null();
	case P_BAD: return t_bad_ptr();
	case P_RO: return t_ro_page();
	case P_KERNEL: return KERNEL_ADDR;
	case P_MISALIGNED: return (char *)good + 1 + rnd(7);
	}
	return good;
}

/* A message buffer: anywhere in the first MB of scratch, or a bad one. */
static void *pick_buf(int *kind)
{
	*kind = pick_ptr_kind(85);
	return ptr_of(*kind, scratch + (rnd(1u << 20) & ~7u));
}

static __u32 pick_len(__u32 msg)
{
	switch (rnd(12)) {
	case 0: return 0;
	case 1: return 1;
	case 2: case 3: return msg;
	case 4: return msg + 1;
	case 5: return msg > 1 ? msg - 1 : 1;
	case 6: return 1u << 20;
	case 7: return chance(50) ? 0x80000000u : 0xffffffffu;
	case 8: return rnd(1u << 16);
	}
	return 1 + rnd(msg);
}

static long long pick_timeout(void)
{
	int r = rnd(100);

	if (r < 30)
		return 0;
	if (r < 55)
		return 1 + rnd(T_NSEC_PER_MSEC);
	if (r < 90)
		return (1 + rnd(50)) * T_NSEC_PER_MSEC;
	if (r < 92)
		return CHAN_TIMEOUT_INFINITE;		/* the alarm ends it */
	if (r < 98) {
		static const long long neg[] = { -2, -1000, LLONG_MIN, -T_NSEC_PER_SEC };

		return neg[rnd(4)];
	}
	return chance(50) ? LLONG_MAX : 1000LL * T_NSEC_PER_SEC;
}

/* A channel index that is nobody's but ours: own, or out of range. */
static int pick_safe_index(void)
{
	static const int bad[] = { -1, -2, -100, 1024, 4096, 65535, 1 << 20,
		INT_MAX, INT_MIN };

	if (nown && chance(60))
		return own[rnd(nown)].index;
	return bad[rnd(T_ARRAY_SIZE(bad))];
}

/*
 * Lay the @ksize bytes of @s out as an argument of a random size in argmem
 * (usually exactly @ksize, sometimes the first version's, smaller, or bigger
 * with a zero or non-zero tail) at a random pointer; the ioctl number gets
 * that size. Returns the pointer, its kind in *kind.
 */
static void *put_arg(unsigned long *cmd, const void *s, size_t ksize, size_t ver0,
		     int *kind, size_t *usize, bool no_ro)
{
	size_t size = ksize, off = chance(80) ? 0 : 1 + rnd(7);
	unsigned char *p = argmem + off;
	int r = rnd(100);

	if (r < 8)
		size = ver0;
	else if (r < 14)
		size = rnd(ver0);
	else if (r < 22)
		size = ksize + 1 + rnd(chance(80) ? 64 : IOC_MAXSZ - ksize);
	if (size > IOC_MAXSZ)
		size = IOC_MAXSZ;
	memset(argmem, 0, size + 8);
	memcpy(p, s, size < ksize ? size : ksize);
	if (size > ksize && chance(40))
		p[ksize + rnd(size - ksize)] = 1 + rnd(255);
	*kind = pick_ptr_kind(88);
	if (no_ro && *kind == P_RO)
		*kind = P_NULL;
	if (*kind == P_MISALIGNED)
		*kind = off ? P_MISALIGNED : P_GOOD;
	*cmd = _IOC(_IOC_DIR(*cmd), _IOC_TYPE(*cmd), _IOC_NR(*cmd), size);
	*usize = size;
	return *kind == P_GOOD || *kind == P_MISALIGNED ? p : ptr_of(*kind, p);
}

static long do_ioctl(int fd, unsigned long cmd, void *arg)
{
	return SYS(ioctl(fd, cmd, arg));
}

/* ---- file descriptors ---- */

static int pick_fd(int kind)
{
	int i, n = 0, pick[MAXFDS];

	for (i = 0; i < MAXFDS; i++)
		if (fds[i].kind == kind)
			pick[n++] = i;
	cur_fd = n ? pick[rnd(n)] : -1;
	return cur_fd;
}

static void fd_close(int i)
{
	if (fds[i].kind == FD_FREE)
		return;
	begin(OP_REOPEN, "close fd %d", fds[i].fd);
	end(SYS(close(fds[i].fd)), E_NONE);
	fds[i].kind = FD_FREE;
	fds[i].fd = -1;
}

/* Open a channel (a slot's or one of ours) or another file into entry @i. */
static void fd_open(int i)
{
	static const int accs[] = { O_RDONLY, O_WRONLY, O_RDWR, O_RDWR };
	int acc = accs[rnd(4)], fl = chance(50) ? O_NONBLOCK : 0, r = rnd(100);
	int index = -1, fd;
	__u32 msg = 0;

	if (r < 75) {
		int s = rnd(NSLOTS);

		index = slot_index(s);
		msg = slot_cfg[s].msg_size;
	} else if (r < 90 && nown) {
		int o = rnd(nown);

		index = own[o].index;
		msg = own[o].msg_size;
	} else if (r < 95) {
		begin(OP_REOPEN, "open %s", CHAN_CONTROL_PATH);
		fd = SYS(open(CHAN_CONTROL_PATH, O_RDWR | O_CLOEXEC));
		if (end(fd, E_OPEN))
			fds[i] = (struct fz_fd){ .fd = fd, .kind = FD_CTL };
		return;
	} else {
		begin(OP_REOPEN, "open /dev/null");
		fd = SYS(open("/dev/null", O_RDWR | O_CLOEXEC));
		if (end(fd, E_OPEN))
			fds[i] = (struct fz_fd){ .fd = fd, .kind = FD_OTHER };
		return;
	}
	begin(OP_REOPEN, "open %s acc %d flags %#x", t_chan_path(index), acc, fl);
	fd = SYS(open(t_chan_path(index), acc | fl | O_CLOEXEC));
	if (!end(fd, E_OPEN))
		return;
	fds[i] = (struct fz_fd){ .fd = fd, .kind = FD_CHAN, .index = index,
				 .msg_size = msg, .acc = acc };
	{
		/* The index may have been reused since we read it: ask. */
		struct chan_info info;

		begin(OP_INFO, "GET_INFO after open");
		r = do_ioctl(fd, CHAN_IOC_GET_INFO, &info);
		if (end(r, E_CHAN)) {
			fds[i].index = info.index;
			fds[i].msg_size = info.msg_size;
		}
	}
	if (chance(60)) {
		struct chan_timeouts t = { .send_ns = (1 + rnd(20)) * T_NSEC_PER_MSEC,
					   .recv_ns = (1 + rnd(20)) * T_NSEC_PER_MSEC };

		begin(OP_TIMEOUTS, "SET_TIMEOUTS %lld/%lld after open", t.send_ns, t.recv_ns);
		r = do_ioctl(fd, CHAN_IOC_SET_TIMEOUTS, &t);
		end(r, E_CHAN);
		if (r && r != -ENODEV)
			report("SET_TIMEOUTS with valid values gave %d", r);
	}
}

static void fds_init(void)
{
	int i, p[2], e;

	for (i = 0; i < MAXFDS; i++)
		fds[i] = (struct fz_fd){ .fd = -1, .kind = FD_FREE };
	for (i = 0; i < MAXFDS - 4; i++)
		fd_open(i);
	i = CTLFD;
	fds[i].fd = open(CHAN_CONTROL_PATH, O_RDWR | O_CLOEXEC);
	if (fds[i].fd < 0)
		t_bail("open %s: %m", CHAN_CONTROL_PATH);
	fds[i].kind = FD_CTL;
	if (pipe(p) == 0) {
		fds[i + 1] = (struct fz_fd){ .fd = p[0], .kind = FD_OTHER };
		fds[i + 2] = (struct fz_fd){ .fd = p[1], .kind = FD_OTHER };
	}
	e = eventfd(0, EFD_CLOEXEC);
	if (e >= 0)
		fds[i + 3] = (struct fz_fd){ .fd = e, .kind = FD_OTHER };
}

/* ---- channels of our own ---- */

static void own_add(int index, __u32 msg)
{
	struct chan_ctl_destroy d = { .index = index, .flags = CHAN_DESTROY_F_FORCE };
	int c = CTLFD, entry = log_add(index);

	if (nown < MAXOWN) {
		own[nown].index = index;
		own[nown].entry = entry;
		own[nown++].msg_size = msg;
		return;
	}
	/* Too many: this one goes at once. */
	begin(OP_CTL_DESTROY, "DESTROY FORCE chan%d (too many of our own)", index);
	if (end(do_ioctl(fds[c].fd, CHAN_CTL_DESTROY, &d), E_CTL))
		log_dead(entry);
	else
		report("could not destroy our chan%d", index);
}

static void own_forget(int index)
{
	int i;

	for (i = 0; i < nown; i++) {
		if (own[i].index == index) {
			log_dead(own[i].entry);
			own[i] = own[--nown];
			return;
		}
	}
	report("destroyed chan%d, which is not one of ours", index);
}

/* ---- the operations ---- */

/*
 * Fill a random argument for a raw ioctl; keep it from doing what the test
 * must not do (destroy someone else's channel, wait for long).
 */
static void tame_raw(int kind, unsigned int nr, unsigned char *p, size_t size)
{
	int64_t tmo;
	uint64_t ptr;

	if (kind == FD_CTL && nr == 0x02 && size >= 4) {
		int32_t idx = pick_safe_index();
		uint32_t fl = rnd(2);

		memcpy(p, &idx, 4);
		if (size >= 8 && chance(70))
			memcpy(p + 4, &fl, 4);
		return;
	}
	if (kind != FD_CHAN)
		return;
	if ((nr == 0x10 || nr == 0x11 || (nr >= 0x16 && nr <= 0x18)) && size >= 24) {
		if (chance(90)) {
			tmo = pick_timeout();
			memcpy(p + 16, &tmo, 8);
		}
		if (chance(50)) {
			int k;

			ptr = (uint64_t)(uintptr_t)pick_buf(&k);
			memcpy(p, &ptr, 8);
		}
	}
	if (nr == 0x13 && size >= 16 && chance(80)) {
		tmo = (1 + rnd(20)) * T_NSEC_PER_MSEC;
		memcpy(p, &tmo, 8);
		memcpy(p + 8, &tmo, 8);
	}
}

static void op_raw_magic(void)
{
	int i = chance(20) ? pick_fd(FD_CTL) : pick_fd(FD_CHAN);
	unsigned int nr = rnd(0x40), dir = rnd(4), size;
	unsigned long cmd;
	unsigned char *p = argmem + (chance(80) ? 0 : 1 + rnd(7));
	void *arg;
	int pk;
	long r;

	if (i < 0)
		return;
	size = chance(60) ? rnd(128) : rnd(IOC_MAXSZ + 1);
	cmd = _IOC(dir, CHAN_IOC_MAGIC, nr, size);
	rnd_bytes(p, size + rnd(64));
	if (chance(30))
		memset(p, 0, size);	/* a zero struct: gets further */
	tame_raw(fds[i].kind, nr, p, size);
	pk = pick_ptr_kind(75);
	if (fds[i].kind == FD_CTL && nr == 0x02 && pk == P_RO)
		pk = P_NULL;	/* a zero struct there would destroy chan0 */
	arg = pk == P_GOOD || pk == P_MISALIGNED ? (void *)p : ptr_of(pk, p);
	if (chance(5) && !(fds[i].kind == FD_CTL && nr == 0x02))
		arg = (void *)(uintptr_t)rnd64();	/* any number at all */
	if (fds[i].kind == FD_CTL && nr == 0x02 && arg != (void *)p &&
	    pk != P_NULL && pk != P_BAD && pk != P_KERNEL)
		arg = t_null();
	begin(OP_RAW_MAGIC, "ioctl(%s fd, %#lx (dir %u nr %#x size %u), %s %p)",
	      fds[i].kind == FD_CTL ? "control" : "chan", cmd, dir, nr, size,
	      ptr_names[pk], arg);
	r = do_ioctl(fds[i].fd, cmd, arg);
	end(r, fds[i].kind == FD_CTL ? E_CTL : E_CHAN);
	if (fds[i].kind == FD_CTL && r >= 0) {
		if (IOC_NOSIZE(cmd) == IOC_NOSIZE(CHAN_CTL_GET_VERSION)) {
			if (r != CHAN_ABI_VERSION)
				report("GET_VERSION gave %ld", r);
		} else if (IOC_NOSIZE(cmd) == IOC_NOSIZE(CHAN_CTL_CREATE)) {
			struct chan_ctl_create c;

			if (arg != (void *)p) {
				report("CREATE succeeded with a pointer it cannot write");
				return;
			}
			memcpy(&c, p, sizeof(c));
			own_add(c.index, c.msg_size);
		} else if (IOC_NOSIZE(cmd) == IOC_NOSIZE(CHAN_CTL_DESTROY)) {
			int32_t idx;

			memcpy(&idx, p, 4);
			own_forget(idx);
		} else {
			report("an unknown control ioctl succeeded: %ld", r);
		}
	}
}

static void op_raw_foreign(void)
{
	static const unsigned int types[] = { 0x01, 0x42, 0xBB, 0xBD, 0xFF, 'z' };
	int i = chance(20) ? pick_fd(FD_CTL) : pick_fd(FD_CHAN);
	unsigned long cmd;
	int pk = pick_ptr_kind(60);
	long r;

	if (i < 0)
		return;
	cmd = _IOC(rnd(4), types[rnd(T_ARRAY_SIZE(types))], rnd(256), rnd(IOC_MAXSZ + 1));
	rnd_bytes(argmem, 256);
	begin(OP_RAW_FOREIGN, "ioctl(%s fd, %#lx, %s)",
	      fds[i].kind == FD_CTL ? "control" : "chan", cmd, ptr_names[pk]);
	r = do_ioctl(fds[i].fd, cmd, ptr_of(pk, argmem));
	end(r, E_FOREIGN);
	if (r >= 0)
		report("an ioctl of another type succeeded: %ld", r);
}

static void op_xfer(bool send)
{
	int i = pick_fd(FD_CHAN), bk, ak;
	struct chan_xfer x;
	unsigned long cmd = send ? CHAN_IOC_SEND : CHAN_IOC_RECV;
	size_t usize;
	void *arg;
	long r;

	if (i < 0)
		return;
	x.buf = (__u64)(uintptr_t)pick_buf(&bk);
	x.len = pick_len(fds[i].msg_size);
	x.flags = chance(92) ? 0 : (__u32)rnd64();
	x.timeout_ns = pick_timeout();
	if (send && bk == P_GOOD)
		rnd_bytes((void *)(uintptr_t)x.buf, x.len < 64 ? x.len : 64);
	arg = put_arg(&cmd, &x, sizeof(x), CHAN_XFER_SIZE_VER0, &ak, &usize, false);
	begin(send ? OP_SEND : OP_RECV,
	      "chan%d acc %d: buf %s len %u flags %#x timeout %lld, struct %zu bytes %s",
	      fds[i].index, fds[i].acc, ptr_names[bk], x.len, x.flags,
	      (long long)x.timeout_ns, usize, ptr_names[ak]);
	r = do_ioctl(fds[i].fd, cmd, arg);
	end(r, E_CHAN);
	if (send && r > 0)
		report("SEND returned %ld, not 0", r);
	if (!send && r > 0 && (r > x.len || r > fds[i].msg_size))
		report("RECV returned %ld for a buffer of %u (msg_size %u)", r, x.len,
		       fds[i].msg_size);
}

static void op_batch(bool send)
{
	static const __u32 counts[] = { 0, 1, 2, 3, 8, 64, CHAN_BATCH_MAX,
		CHAN_BATCH_MAX + 1, 0xffffffffu };
	struct chan_iov *v = (struct chan_iov *)vecmem;
	int i = pick_fd(FD_CHAN), ak, vk, k, bk;
	unsigned long cmd = send ? CHAN_IOC_SEND_BATCH : CHAN_IOC_RECV_BATCH;
	bool tidy = chance(70);
	struct chan_batch b;
	size_t usize;
	__u32 j, n;
	void *arg;
	long r;

	if (i < 0)
		return;
	b.count = chance(50) ? 1 + rnd(8) : counts[rnd(T_ARRAY_SIZE(counts))];
	n = b.count < CHAN_BATCH_MAX + 1 ? b.count : CHAN_BATCH_MAX + 1;
	for (j = 0; j < n; j++) {
		v[j].buf = (__u64)(uintptr_t)(tidy ? scratch + (rnd(1u << 20) & ~7u) :
					      pick_buf(&bk));
		v[j].len = tidy ? 1 + rnd(fds[i].msg_size) : pick_len(fds[i].msg_size);
		v[j].__reserved = tidy || chance(90) ? 0 : (__u32)rnd64();
	}
	if (tidy && n && chance(30)) {
		k = rnd(n);
		v[k].buf = (__u64)(uintptr_t)pick_buf(&bk);
		v[k].len = pick_len(fds[i].msg_size);
	}
	vk = pick_ptr_kind(88);
	b.vec = (__u64)(uintptr_t)ptr_of(vk, v);
	b.flags = chance(95) ? 0 : (__u32)rnd64();
	b.timeout_ns = pick_timeout();
	arg = put_arg(&cmd, &b, sizeof(b), CHAN_BATCH_SIZE_VER0, &ak, &usize, false);
	begin(send ? OP_SEND_BATCH : OP_RECV_BATCH,
	      "chan%d acc %d: count %u vec %s%s flags %#x timeout %lld, struct %zu bytes %s",
	      fds[i].index, fds[i].acc, b.count, ptr_names[vk], tidy ? " (tidy)" : "",
	      b.flags, (long long)b.timeout_ns, usize, ptr_names[ak]);
	r = do_ioctl(fds[i].fd, cmd, arg);
	end(r, E_CHAN);
	if (r > (long)b.count || (send && r == 0))
		report("batch of %u returned %ld", b.count, r);
}

static void op_select(void)
{
	static const __u32 counts[] = { 0, 1, 2, 5, CHAN_SELECT_MAX,
		CHAN_SELECT_MAX + 1, 0xffffffffu };
	struct chan_select_case *c = (struct chan_select_case *)vecmem;
	int i = pick_fd(FD_CHAN), ak, ck, bk, j, f, same = -1;
	unsigned long cmd = CHAN_IOC_SELECT;
	struct chan_select s;
	__u32 n, lens[CHAN_SELECT_MAX + 1], ops[CHAN_SELECT_MAX + 1];
	size_t usize;
	void *arg;
	long r;

	if (i < 0)
		return;
	s.ncases = chance(60) ? 1 + rnd(6) : counts[rnd(T_ARRAY_SIZE(counts))];
	n = s.ncases < CHAN_SELECT_MAX + 1 ? s.ncases : CHAN_SELECT_MAX + 1;
	if (chance(20))
		same = pick_fd(FD_CHAN);	/* the same channel many times */
	for (j = 0; j < (int)n; j++) {
		f = same >= 0 ? same : chance(85) ? pick_fd(FD_CHAN) : (int)rnd(MAXFDS);
		memset(&c[j], 0, sizeof(c[j]));
		if (chance(90) && f >= 0 && fds[f].kind != FD_FREE) {
			c[j].fd = fds[f].fd;
		} else {
			static const int badfds[] = { -1, -100, 9999, INT_MIN, 0, 1, 2 };

			c[j].fd = badfds[rnd(T_ARRAY_SIZE(badfds))];
			f = -1;
		}
		if (f >= 0 && fds[f].kind == FD_CHAN && chance(85))
			c[j].op = fds[f].acc == O_RDONLY ? CHAN_OP_RECV :
				  fds[f].acc == O_WRONLY ? CHAN_OP_SEND : 1 + rnd(2);
		else
			c[j].op = chance(80) ? 1 + rnd(2) :
				  (__u32)rnd(5) * (chance(50) ? 1 : 1000003);
		c[j].buf = (__u64)(uintptr_t)(chance(85) ? scratch + (rnd(1u << 20) & ~7u) :
					      pick_buf(&bk));
		c[j].len = f >= 0 && fds[f].kind == FD_CHAN && chance(80) ?
			   1 + rnd(fds[f].msg_size) : pick_len(64);
		c[j].result = (__s32)rnd64();
		lens[j] = c[j].len;
		ops[j] = c[j].op;
	}
	ck = pick_ptr_kind(88);
	s.cases = (__u64)(uintptr_t)ptr_of(ck, c);
	s.flags = chance(95) ? 0 : (__u32)rnd64();
	s.timeout_ns = pick_timeout();
	arg = put_arg(&cmd, &s, sizeof(s), CHAN_SELECT_SIZE_VER0, &ak, &usize, false);
	begin(OP_SELECT, "on chan%d: %u cases %s%s flags %#x timeout %lld, struct %zu bytes %s",
	      fds[i].index, s.ncases, ptr_names[ck], same >= 0 ? " (one channel)" : "",
	      s.flags, (long long)s.timeout_ns, usize, ptr_names[ak]);
	r = do_ioctl(fds[i].fd, cmd, arg);
	end(r, E_CHAN);
	if (r < 0)
		return;
	if (r >= (long)s.ncases) {
		report("select of %u cases returned %ld", s.ncases, r);
	} else if (ck == P_GOOD) {
		__s32 res = c[r].result;

		if (ops[r] == CHAN_OP_SEND && (__u32)res != lens[r] && res != -EPIPE)
			report("send case %ld of len %u has result %d", r, lens[r], res);
		if (ops[r] == CHAN_OP_RECV && (res < 0 || (__u32)res > lens[r]))
			report("receive case %ld of len %u has result %d", r, lens[r], res);
	}
}

static void op_timeouts(void)
{
	int i = pick_fd(FD_CHAN), ak;
	struct chan_timeouts t = { 0 };
	bool set = chance(60);
	unsigned long cmd = set ? CHAN_IOC_SET_TIMEOUTS : CHAN_IOC_GET_TIMEOUTS;
	size_t usize;
	void *arg;

	if (i < 0)
		return;
	if (set) {
		t.send_ns = chance(80) ? (long long)rnd(20) * T_NSEC_PER_MSEC : pick_timeout();
		t.recv_ns = chance(80) ? (long long)rnd(20) * T_NSEC_PER_MSEC : pick_timeout();
	}
	arg = put_arg(&cmd, &t, sizeof(t), CHAN_TIMEOUTS_SIZE_VER0, &ak, &usize, false);
	begin(OP_TIMEOUTS, "%s_TIMEOUTS chan%d %lld/%lld, struct %zu bytes %s",
	      set ? "SET" : "GET", fds[i].index, (long long)t.send_ns,
	      (long long)t.recv_ns, usize, ptr_names[ak]);
	end(do_ioctl(fds[i].fd, cmd, arg), E_CHAN);
}

static void op_capacity(void)
{
	const __u32 caps[] = { 0, 1, 2, 3, 4, 16, 100, big_cap, 65537,
		0xffffffffu, 1u << 20 };
	int i = pick_fd(FD_CHAN), ak;
	unsigned long cmd = CHAN_IOC_SET_CAPACITY;
	__u32 cap = chance(70) ? rnd(20) : caps[rnd(T_ARRAY_SIZE(caps))];
	size_t usize;
	void *arg;

	if (i < 0)
		return;
	arg = put_arg(&cmd, &cap, sizeof(cap), sizeof(cap), &ak, &usize, false);
	begin(OP_CAPACITY, "chan%d %u, %zu bytes %s", fds[i].index, cap, usize,
	      ptr_names[ak]);
	end(do_ioctl(fds[i].fd, cmd, arg), E_CHAN);
}

static __u32 maybe_wild(__u32 v)
{
	return chance(6) ? (__u32)rnd64() : v;
}

static void op_breaker(void)
{
	int i = pick_fd(FD_CHAN), ak;
	bool set = chance(60);
	unsigned long cmd = set ? CHAN_IOC_SET_BREAKER : CHAN_IOC_GET_BREAKER;
	struct chan_breaker_config b = { 0 };
	size_t usize;
	void *arg;
	__u32 open_ms;

	if (i < 0)
		return;
	if (set) {
		/* Mostly valid and quick to recover: sends keep flowing. */
		open_ms = 10 + rnd(100);
		b.mode = maybe_wild(rnd(100) < 70 ? rnd(2) * 3 : rnd(4));
		b.window_ms = maybe_wild(10 + rnd(1000));
		b.min_calls = maybe_wild(1 + rnd(20));
		b.failure_pct = maybe_wild(1 + rnd(100));
		b.consecutive_failures = maybe_wild(rnd(5));
		b.slow_ms = maybe_wild(rnd(50));
		b.slow_pct = maybe_wild(1 + rnd(100));
		b.open_ms = maybe_wild(open_ms);
		b.open_min_ms = maybe_wild(open_ms - rnd(10));
		b.open_max_ms = maybe_wild(open_ms + rnd(100));
		b.half_open_probes = maybe_wild(1 + rnd(5));
		b.half_open_max_ms = maybe_wild(10 + rnd(500));
		b.flags = chance(90) ? rnd(2) : (__u32)rnd64();
		b.reserved = chance(95) ? 0 : (__u32)rnd64();
	}
	arg = put_arg(&cmd, &b, sizeof(b), CHAN_BREAKER_CONFIG_SIZE_VER0, &ak, &usize,
		      false);
	begin(OP_BREAKER, "%s_BREAKER chan%d mode %u window %u, struct %zu bytes %s",
	      set ? "SET" : "GET", fds[i].index, b.mode, b.window_ms, usize,
	      ptr_names[ak]);
	end(do_ioctl(fds[i].fd, cmd, arg), E_CHAN);
}

static void op_brk_reset(void)
{
	int i = pick_fd(FD_CHAN);
	unsigned long cmd;

	if (i < 0)
		return;
	cmd = _IOC(_IOC_NONE, CHAN_IOC_MAGIC, _IOC_NR(CHAN_IOC_BREAKER_RESET),
		   chance(80) ? 0 : rnd(IOC_MAXSZ + 1));
	if (chance(50)) {
		struct chan_breaker_status st;
		int ak;
		size_t usize;
		void *arg;

		cmd = CHAN_IOC_GET_BREAKER_STATUS;
		memset(&st, 0, sizeof(st));
		arg = put_arg(&cmd, &st, sizeof(st), CHAN_BREAKER_STATUS_SIZE_VER0, &ak,
			      &usize, false);
		begin(OP_BRK_RESET, "GET_BREAKER_STATUS chan%d, %zu bytes %s", fds[i].index,
		      usize, ptr_names[ak]);
		end(do_ioctl(fds[i].fd, cmd, arg), E_CHAN);
		return;
	}
	begin(OP_BRK_RESET, "BREAKER_RESET chan%d cmd %#lx", fds[i].index, cmd);
	end(do_ioctl(fds[i].fd, cmd, t_null()), E_CHAN);
}

static void op_brk_ticket(void)
{
	int i = pick_fd(FD_CHAN), ak;
	size_t usize;
	void *arg;
	long r;

	if (i < 0)
		return;
	if (chance(50)) {
		unsigned long cmd = CHAN_IOC_BREAKER_ACQUIRE;
		__u64 t = 0;

		arg = put_arg(&cmd, &t, sizeof(t), sizeof(t), &ak, &usize, false);
		begin(OP_BRK_TICKET, "BREAKER_ACQUIRE chan%d, %zu bytes %s", fds[i].index,
		      usize, ptr_names[ak]);
		r = do_ioctl(fds[i].fd, cmd, arg);
		if (end(r, E_CHAN) && ak == P_GOOD && usize >= 8)
			memcpy(&last_ticket, arg, 8);
	} else {
		unsigned long cmd = CHAN_IOC_BREAKER_REPORT;
		struct chan_breaker_report rep = {
			.ticket = chance(70) ? last_ticket : rnd64(),
			.outcome = chance(90) ? 1 + rnd(2) : (__u32)rnd64() % 5,
			.reserved = chance(95) ? 0 : (__u32)rnd64(),
			.duration_ns = chance(80) ? rnd(100) * T_NSEC_PER_MSEC : rnd64(),
		};

		arg = put_arg(&cmd, &rep, sizeof(rep), CHAN_BREAKER_REPORT_SIZE_VER0, &ak,
			      &usize, false);
		begin(OP_BRK_TICKET, "BREAKER_REPORT chan%d ticket %#llx outcome %u, %zu bytes %s",
		      fds[i].index, (unsigned long long)rep.ticket, rep.outcome, usize,
		      ptr_names[ak]);
		end(do_ioctl(fds[i].fd, cmd, arg), E_CHAN);
	}
}

static void op_rate(void)
{
	static const __u32 rates[] = { 0, 0, 1, 10, 1000, 1000000, 0xffffffffu };
	static const __u32 bursts[] = { 0, 1, 5, 100, 0xffffffffu };
	int i = pick_fd(FD_CHAN), ak;
	bool set = chance(60);
	unsigned long cmd = set ? CHAN_IOC_SET_RATE : CHAN_IOC_GET_RATE;
	struct chan_rate rt = { 0 };
	size_t usize;
	void *arg;

	if (i < 0)
		return;
	if (set) {
		rt.rate = rates[rnd(T_ARRAY_SIZE(rates))];
		rt.burst = bursts[rnd(T_ARRAY_SIZE(bursts))];
	}
	arg = put_arg(&cmd, &rt, sizeof(rt), CHAN_RATE_SIZE_VER0, &ak, &usize, false);
	begin(OP_RATE, "%s_RATE chan%d %u/%u, struct %zu bytes %s", set ? "SET" : "GET",
	      fds[i].index, rt.rate, rt.burst, usize, ptr_names[ak]);
	end(do_ioctl(fds[i].fd, cmd, arg), E_CHAN);
}

static void op_info(bool stats)
{
	int i = pick_fd(FD_CHAN), ak;
	unsigned long cmd = stats ? CHAN_IOC_GET_STATS : CHAN_IOC_GET_INFO;
	static struct chan_stats st;
	size_t usize;
	void *arg;
	long r;

	if (i < 0)
		return;
	memset(&st, 0xa5, sizeof(st));
	if (stats)
		arg = put_arg(&cmd, &st, sizeof(st), CHAN_STATS_SIZE_VER0, &ak, &usize,
			      false);
	else
		arg = put_arg(&cmd, &st, sizeof(struct chan_info), CHAN_INFO_SIZE_VER0,
			      &ak, &usize, false);
	begin(stats ? OP_STATS : OP_INFO, "chan%d, struct %zu bytes %s", fds[i].index,
	      usize, ptr_names[ak]);
	r = do_ioctl(fds[i].fd, cmd, arg);
	if (!end(r, E_CHAN) || stats)
		return;
	if (ak == P_GOOD || ak == P_MISALIGNED) {
		struct chan_info info;

		memcpy(&info, arg, sizeof(info));
		if ((int)info.index != fds[i].index || info.msg_size != fds[i].msg_size)
			report("GET_INFO of chan%d (msg_size %u) says chan%u msg_size %u",
			       fds[i].index, fds[i].msg_size, info.index, info.msg_size);
		if (info.closed > 1 || info.reserved || info.breaker_state > 2)
			report("GET_INFO: closed %u reserved %u breaker_state %u",
			       info.closed, info.reserved, info.breaker_state);
	} else {
		report("GET_INFO into a %s pointer succeeded", ptr_names[ak]);
	}
}

static void op_close(void)
{
	int i = pick_fd(FD_CHAN);
	unsigned long cmd;

	if (i < 0)
		return;
	cmd = _IOC(_IOC_NONE, CHAN_IOC_MAGIC, _IOC_NR(CHAN_IOC_CLOSE),
		   chance(80) ? 0 : rnd(IOC_MAXSZ + 1));
	begin(OP_CLOSE, "CHAN_IOC_CLOSE chan%d acc %d cmd %#lx", fds[i].index, fds[i].acc,
	      cmd);
	end(do_ioctl(fds[i].fd, cmd, chance(50) ? t_null() : t_bad_ptr()), E_CHAN);
}

static void op_fionread(void)
{
	int i = pick_fd(FD_CHAN), pk = pick_ptr_kind(70);
	int *p = (int *)ptr_of(pk, argmem);
	long r;

	if (i < 0)
		return;
	*(int *)argmem = -1;
	begin(OP_FIONREAD, "chan%d into %s", fds[i].index, ptr_names[pk]);
	r = do_ioctl(fds[i].fd, FIONREAD, p);
	if (end(r, E_CHAN) && (pk == P_GOOD || pk == P_MISALIGNED)) {
		int v;

		memcpy(&v, p, sizeof(v));
		if (v < 0 || (__u32)v > fds[i].msg_size)
			report("FIONREAD gave %d (msg_size %u)", v, fds[i].msg_size);
	}
}

static void op_rw(bool wr)
{
	int i = chance(95) ? pick_fd(FD_CHAN) : pick_fd(FD_CTL), bk;
	void *buf;
	size_t len;
	__u32 msg;
	long r;

	if (i < 0)
		return;
	msg = fds[i].kind == FD_CHAN ? fds[i].msg_size : 64;
	buf = pick_buf(&bk);
	len = pick_len(msg);
	if (chance(3))
		len = SIZE_MAX >> rnd(2);
	if (wr && bk == P_GOOD && len)
		rnd_bytes(buf, len < 64 ? len : 64);
	begin(wr ? OP_WRITE : OP_READ, "%s chan%d acc %d: %zu bytes %s",
	      fds[i].kind == FD_CHAN ? "" : "control", fds[i].index, fds[i].acc, len,
	      ptr_names[bk]);
	r = wr ? SYS(write(fds[i].fd, buf, len)) : SYS(read(fds[i].fd, buf, len));
	end(r, E_RW);
	if (r >= 0 && fds[i].kind != FD_CHAN)
		report("%s on the control device returned %ld", wr ? "write" : "read", r);
	else if (wr && r >= 0 && (size_t)r != len)
		report("write of %zu returned %ld", len, r);
	else if (!wr && r > 0 && ((size_t)r > len || r > msg))
		report("read of %zu returned %ld (msg_size %u)", len, r, msg);
}

static void op_poll(void)
{
	struct pollfd p[8];
	int n = 1 + rnd(6), j, f, r;

	for (j = 0; j < n; j++) {
		f = chance(80) ? pick_fd(FD_CHAN) : (int)rnd(MAXFDS);
		p[j].fd = f >= 0 && fds[f].kind != FD_FREE ? fds[f].fd : -1;
		p[j].events = chance(70) ? (short)(POLLIN | POLLOUT | POLLPRI) : (short)rnd64();
		p[j].revents = (short)rnd64();
	}
	j = chance(5);
	begin(OP_POLL, "%d fds%s", n, j ? " at an unmapped address" : "");
	r = SYS(poll(j ? t_bad_ptr() : p, n, chance(50) ? 0 : rnd(20)));
	end(r, E_POLL);
	if (r > n)
		report("poll of %d fds returned %d", n, r);
	for (j = 0; r > 0 && j < n; j++)
		if (p[j].fd >= 0 && (p[j].revents & POLLNVAL))
			report("POLLNVAL on open fd %d", p[j].fd);
}

static void op_reopen(void)
{
	int i = rnd(MAXFDS);

	if (i == CTLFD)
		return;
	fd_close(i);
	fd_open(i);
}

static void op_dup(void)
{
	int i = rnd(MAXFDS), j = rnd(MAXFDS), fd;

	if (fds[i].kind == FD_FREE || i == j || j == CTLFD)
		return;
	fd_close(j);
	begin(OP_DUP, "fd %d", fds[i].fd);
	fd = chance(50) ? SYS(dup(fds[i].fd)) : SYS(fcntl(fds[i].fd, F_DUPFD_CLOEXEC, 100));
	if (end(fd, E_NONE)) {
		fds[j] = fds[i];
		fds[j].fd = fd;
	}
}

static const char *const rw_attrs[] = { "capacity", "breaker/mode",
	"breaker/window_ms", "breaker/min_calls", "breaker/failure_pct",
	"breaker/consecutive_failures", "breaker/slow_ms", "breaker/slow_pct",
	"breaker/open_ms", "breaker/open_min_ms", "breaker/open_max_ms",
	"breaker/half_open_probes", "breaker/half_open_max_ms", "breaker/flags",
	"rate/rate", "rate/burst", "admission/target_us", "admission/max_limit",
	"chaos/send_delay_us", "chaos/recv_delay_us", "chaos/send_fail_ppm",
	"chaos/pause_recv" };
static const char *const ro_attrs[] = { "name", "msg_size", "len", "closed",
	"waiting_senders", "waiting_receivers", "readers", "writers",
	"oldest_wait_ms", "stats/sent", "stats/received", "stats/full",
	"stats/interrupted", "stats/rate_limited", "stats/admission_rejected",
	"breaker/state", "breaker/calls", "breaker/generation",
	"breaker/current_open_ms", "rate/tokens", "admission/limit",
	"stats/chaos_injected" };

/* A channel of this test: a slot's, or one of ours. */
static int pick_test_chan(void)
{
	if (nown && chance(30))
		return own[rnd(nown)].index;
	return slot_index(rnd(NSLOTS));
}

static void pick_text(char *buf, size_t sz, size_t *len)
{
	static const char *const words[] = { "", "0", "1", "-1", "10", "100",
		"65536", "65537", "4294967295", "4294967296",
		"18446744073709551616", "99999999999999999999999", "-0", "+5",
		"0x10", "010", "1e3", " 5", "5 ", "5\n", "5\n\n", "abc", "auto",
		"disabled", "forced_open", "metrics_only", "auto\n", "open",
		"\n", "\xff\xfe", "1 2", "--1" };
	int r = rnd(100);

	if (r < 45) {
		snprintf(buf, sz, "%s", words[rnd(T_ARRAY_SIZE(words))]);
		*len = strlen(buf);
	} else if (r < 80) {
		snprintf(buf, sz, "%u%s", rnd(chance(50) ? 200 : 100000),
			 chance(50) ? "\n" : "");
		*len = strlen(buf);
	} else if (r < 90) {
		snprintf(buf, sz, "%llu", (unsigned long long)rnd64());
		*len = strlen(buf);
	} else {
		*len = rnd(sz);
		rnd_bytes(buf, *len);
	}
}

static void op_sysfs_write(void)
{
	char path[128], val[8192];
	const char *attr = rw_attrs[rnd(T_ARRAY_SIZE(rw_attrs))];
	int index = pick_test_chan(), fd;
	size_t len;
	long r;

	pick_text(val, chance(95) ? 64 : sizeof(val), &len);
	/* A valid capacity above big_cap would be slow: a smaller one. */
	if (!strcmp(attr, "capacity") && len < 64) {
		val[len] = '\0';
		if (strtoull(val, NULL, 0) > big_cap &&
		    strtoull(val, NULL, 0) <= 65536)
			len = snprintf(val, sizeof(val), "%u", rnd(big_cap + 1));
	}
	snprintf(path, sizeof(path), T_SYSFS_CLASS "/chan%d/%s", index, attr);
	begin(OP_SYSFS_WRITE, "%s <- %zu bytes '%.24s'", path, len, val);
	fd = SYS(open(path, O_WRONLY | O_CLOEXEC));
	if (!end(fd, E_SYSFS))
		return;
	begin(OP_SYSFS_WRITE, "write %s <- %zu bytes '%.24s'", path, len, val);
	r = SYS(write(fd, val, len));
	end(r, E_SYSFS);
	if (r >= 0 && (size_t)r != len && len < 4096)
		report("sysfs write of %zu returned %ld", len, r);
	close(fd);
}

static void op_sysfs_read(void)
{
	char path[128], val[256];
	bool rw = chance(50);
	const char *attr = rw ? rw_attrs[rnd(T_ARRAY_SIZE(rw_attrs))] :
				ro_attrs[rnd(T_ARRAY_SIZE(ro_attrs))];
	int index = pick_test_chan(), fd;
	long r;

	snprintf(path, sizeof(path), T_SYSFS_CLASS "/chan%d/%s", index, attr);
	begin(OP_SYSFS_READ, "%s", path);
	fd = SYS(open(path, O_RDONLY | O_CLOEXEC));
	if (!end(fd, E_SYSFS))
		return;
	begin(OP_SYSFS_READ, "read %s", path);
	r = SYS(read(fd, val, sizeof(val)));
	if (end(r, E_SYSFS) && (r < 1 || val[r - 1] != '\n'))
		report("sysfs read gave %ld bytes not ending in a newline", r);
	close(fd);
}

static void pick_name(__u8 *name)
{
	static const char chars[] = "abcXYZ019._-";
	int r = rnd(100), n, j;

	memset(name, 0, CHAN_NAME_MAX);
	if (r < 40)
		return;
	if (r < 75) {
		snprintf((char *)name, CHAN_NAME_MAX, "fz%d-%u", me, rnd(8));
		return;
	}
	n = chance(80) ? 1 + rnd(CHAN_NAME_MAX - 1) : CHAN_NAME_MAX;
	for (j = 0; j < n; j++)
		name[j] = chance(85) ? chars[rnd(sizeof(chars) - 1)] : (__u8)rnd64();
	if (chance(10) && n < CHAN_NAME_MAX - 1)
		name[n + 1] = 'x';	/* a byte after the NUL */
}

static void op_ctl_create(void)
{
	const __u32 caps[] = { 0, 1, 16, big_cap, 65537, 0xffffffffu };
	static const __u32 msgs[] = { 0, 1, 4096, 1u << 20, (1u << 20) + 1, 0xffffffffu };
	static const __u32 modes[] = { 0, 0600, 0666, 0777, 01000, 0xffffffffu };
	static const __u32 ids[] = { CHAN_ID_CALLER, CHAN_ID_CALLER, 0, 65534, 12345,
		0xfffffffeu };
	static const int idxs[] = { CHAN_INDEX_ANY, CHAN_INDEX_ANY, CHAN_INDEX_ANY, -2,
		1023, 1024, INT_MAX, INT_MIN };
	int i = pick_fd(FD_CTL), ak;
	unsigned long cmd = CHAN_CTL_CREATE;
	struct chan_ctl_create c;
	size_t usize;
	void *arg;
	long r;

	if (i < 0)
		return;
	memset(&c, 0, sizeof(c));
	c.capacity = chance(70) ? rnd(8) : caps[rnd(T_ARRAY_SIZE(caps))];
	c.msg_size = chance(70) ? 1 + rnd(512) : msgs[rnd(T_ARRAY_SIZE(msgs))];
	c.flags = chance(80) ? rnd(2) : (__u32)rnd64();
	c.mode = modes[rnd(T_ARRAY_SIZE(modes))];
	c.uid = ids[rnd(T_ARRAY_SIZE(ids))];
	c.gid = ids[rnd(T_ARRAY_SIZE(ids))];
	c.index = chance(85) ? idxs[rnd(T_ARRAY_SIZE(idxs))] : 900 + (int)rnd(124);
	c.__reserved = chance(95) ? 0 : (__u32)rnd64();
	pick_name(c.name);
	arg = put_arg(&cmd, &c, sizeof(c), CHAN_CTL_CREATE_SIZE_VER0, &ak, &usize, false);
	begin(OP_CTL_CREATE, "cap %u msg %u flags %#x mode %#o uid %u gid %u index %d name '%.32s', struct %zu bytes %s",
	      c.capacity, c.msg_size, c.flags, c.mode, c.uid, c.gid, c.index,
	      (char *)c.name, usize, ptr_names[ak]);
	r = do_ioctl(fds[i].fd, cmd, arg);
	if (!end(r, E_CTL))
		return;
	if (ak != P_GOOD && ak != P_MISALIGNED) {
		report("CREATE with a %s pointer succeeded", ptr_names[ak]);
		return;
	}
	memcpy(&c, arg, sizeof(c) < usize ? sizeof(c) : usize);
	own_add(c.index, c.msg_size);
}

static void op_ctl_destroy(void)
{
	int i = pick_fd(FD_CTL), ak;
	unsigned long cmd = CHAN_CTL_DESTROY;
	struct chan_ctl_destroy d;
	size_t usize;
	void *arg;
	long r;

	if (i < 0)
		return;
	d.index = pick_safe_index();
	d.flags = chance(90) ? rnd(2) : (__u32)rnd64();
	arg = put_arg(&cmd, &d, sizeof(d), CHAN_CTL_DESTROY_SIZE_VER0, &ak, &usize, true);
	begin(OP_CTL_DESTROY, "index %d flags %#x, struct %zu bytes %s", d.index, d.flags,
	      usize, ptr_names[ak]);
	r = do_ioctl(fds[i].fd, cmd, arg);
	if (end(r, E_CTL))
		own_forget(d.index);
}

static void op_ctl_version(void)
{
	int i = chance(80) ? pick_fd(FD_CTL) : pick_fd(FD_CHAN);
	unsigned long cmd = _IOC(_IOC_NONE, CHAN_IOC_MAGIC, 0,
				 chance(70) ? 0 : rnd(IOC_MAXSZ + 1));
	long r;

	if (i < 0)
		return;
	begin(OP_CTL_VERSION, "on %s fd, cmd %#lx", fds[i].kind == FD_CTL ? "control" : "chan",
	      cmd);
	r = do_ioctl(fds[i].fd, cmd, chance(50) ? t_null() : t_bad_ptr());
	if (fds[i].kind == FD_CTL) {
		end(r, E_NONE);
		if (r != CHAN_ABI_VERSION)
			report("GET_VERSION gave %ld, not %d", r, CHAN_ABI_VERSION);
	} else {
		end(r, E_CHAN);
		if (r != -ENOTTY && r != -ENODEV)
			report("GET_VERSION on a channel gave %ld, not ENOTTY", r);
	}
}

/*
 * Replace a slot's channel with a new one, destroying the old under load;
 * after an EPIPE, preferably a closed one (sends work again).
 */
static void op_recycle(bool closed)
{
	struct chan_ctl_create c = { .uid = CHAN_ID_CALLER, .gid = CHAN_ID_CALLER,
				     .index = CHAN_INDEX_ANY };
	struct chan_ctl_destroy d;
	int s = rnd(NSLOTS), old, entry, k, i = CTLFD;
	long long v;
	long r;

	if (!closed && !chance(10))
		return;
	for (k = 0; closed && k < NSLOTS; k++)
		if (t_attr_read(slot_index(k), "closed", &v) == 0 && v == 1)
			s = k;
	old = __atomic_load_n(&sh->slot[s], __ATOMIC_SEQ_CST);
	d.index = sh->log[old].index;
	c.capacity = slot_cfg[s].capacity;
	c.msg_size = slot_cfg[s].msg_size;
	begin(OP_RECYCLE, "create a new channel for slot %d (chan%d)", s, d.index);
	r = do_ioctl(fds[i].fd, CHAN_CTL_CREATE, &c);
	if (!end(r, E_CTL))
		return;
	entry = log_add(c.index);
	if (entry < 0 ||
	    !__atomic_compare_exchange_n(&sh->slot[s], &old, entry, false,
					 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
		/* Someone else replaced it first. */
		d.index = c.index;
		old = entry;
	}
	d.flags = chance(30) ? 0 : CHAN_DESTROY_F_FORCE;
	begin(OP_RECYCLE, "DESTROY chan%d flags %#x", d.index, d.flags);
	r = do_ioctl(fds[i].fd, CHAN_CTL_DESTROY, &d);
	end(r, E_CTL);
	if (r == -EBUSY) {
		d.flags = CHAN_DESTROY_F_FORCE;
		begin(OP_RECYCLE, "DESTROY chan%d FORCE", d.index);
		r = do_ioctl(fds[i].fd, CHAN_CTL_DESTROY, &d);
		end(r, E_CTL);
	}
	if (r)
		report("destroying chan%d of the test gave %ld", d.index, r);
	else
		log_dead(old);
}

static int child(void *arg)
{
	struct sigaction sa;
	uint64_t deadline = *(uint64_t *)arg;
	int total = 0, j, op, w, i;

	me = (int)(*(uint64_t *)((char *)arg + 8));
	child_seed = *(uint64_t *)((char *)arg + 16) + me;
	rng = child_seed * 0x9E3779B97F4A7C15ULL;
	if (!rng)
		rng = 1;
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_alarm;	/* no SA_RESTART: a wait ends with EINTR */
	sigaction(SIGALRM, &sa, NULL);
	sa.sa_handler = on_sigpipe;
	sigaction(SIGPIPE, &sa, NULL);
	scratch = mmap(NULL, SCRATCH_SZ, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	argmem = mmap(NULL, ARG_SZ, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	vecmem = mmap(NULL, VEC_SZ, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (scratch == MAP_FAILED || argmem == MAP_FAILED || vecmem == MAP_FAILED) {
		t_diag("mmap: %m");
		return 2;
	}
	rnd_bytes(scratch, 65536);
	fds_init();
	for (j = 0; j < NOPS; j++)
		total += op_weights[j];
	while (t_now_ns() < deadline) {
		w = rnd(total);
		for (op = 0; op < NOPS - 1 && w >= op_weights[op]; op++)
			w -= op_weights[op];
		switch (op) {
		case OP_RAW_MAGIC: op_raw_magic(); break;
		case OP_RAW_FOREIGN: op_raw_foreign(); break;
		case OP_SEND: op_xfer(true); break;
		case OP_RECV: op_xfer(false); break;
		case OP_SEND_BATCH: op_batch(true); break;
		case OP_RECV_BATCH: op_batch(false); break;
		case OP_SELECT: op_select(); break;
		case OP_TIMEOUTS: op_timeouts(); break;
		case OP_CAPACITY: op_capacity(); break;
		case OP_BREAKER: op_breaker(); break;
		case OP_BRK_RESET: op_brk_reset(); break;
		case OP_BRK_TICKET: op_brk_ticket(); break;
		case OP_RATE: op_rate(); break;
		case OP_INFO: op_info(false); break;
		case OP_STATS: op_info(true); break;
		case OP_CLOSE: op_close(); break;
		case OP_FIONREAD: op_fionread(); break;
		case OP_READ: op_rw(false); break;
		case OP_WRITE: op_rw(true); break;
		case OP_POLL: op_poll(); break;
		case OP_REOPEN: op_reopen(); break;
		case OP_DUP: op_dup(); break;
		case OP_SYSFS_WRITE: op_sysfs_write(); break;
		case OP_SYSFS_READ: op_sysfs_read(); break;
		case OP_CTL_CREATE: op_ctl_create(); break;
		case OP_CTL_DESTROY: op_ctl_destroy(); break;
		case OP_CTL_VERSION: op_ctl_version(); break;
		case OP_RECYCLE: op_recycle(false); break;
		}
		for (i = 0; i < MAXFDS; i++) {
			if (stale[i] && i != CTLFD) {
				fd_close(i);
				fd_open(i);
			}
			stale[i] = false;
		}
		cur_fd = -1;
		if (saw_epipe && chance(5))
			op_recycle(true);
		saw_epipe = false;
	}
	guard_disarm();
	snprintf(sh->last[me], sizeof(sh->last[me]), "cleaning up");
	for (i = 0; i < MAXFDS; i++)
		if (fds[i].kind != FD_FREE)
			close(fds[i].fd);
	while (nown) {
		int index = own[0].index, r = t_chan_destroy(index, CHAN_DESTROY_F_FORCE);

		if (r)
			report("destroying our chan%d at the end: %s", index,
			       strerrorname_np(-r) ?: "?");
		own_forget(index);
	}
	snprintf(sh->last[me], sizeof(sh->last[me]), "done");
	fflush(stdout);
	return nreports ? 1 : 0;
}

/* ---- the parent ---- */

static int chan_set(char *set, size_t sz)
{
	struct dirent *e;
	DIR *d = opendir(T_SYSFS_CLASS);
	int n = 0;

	if (!d)
		return -errno;
	memset(set, 0, sz);
	while ((e = readdir(d))) {
		int idx;

		if (sscanf(e->d_name, "chan%d", &idx) == 1 && idx >= 0 && (size_t)idx < sz) {
			set[idx] = 1;
			n++;
		}
	}
	closedir(d);
	return n;
}

static void round_trip(void)
{
	char msg[16] = "after the fuzz", got[16];
	int idx = t_chan_new(2, 16, 0), fd;

	if (!T_GE(idx, 0, "a fresh channel can be created"))
		return;
	fd = t_chan_open(idx, O_RDWR);
	if (T_GE(fd, 0, "and opened")) {
		T_EQ(t_send(fd, msg, sizeof(msg), 0), 0, "a message goes in");
		memset(got, 0, sizeof(got));
		T_EQ(t_recv(fd, got, sizeof(got), T_TIMEOUT_NS), sizeof(msg),
		     "and comes out");
		T_OK(!memcmp(msg, got, sizeof(msg)), "intact");
		close(fd);
	}
	T_EQ(t_chan_destroy(idx, 0), 0, "and destroyed");
}

int main(void)
{
	static char before[65536], after[65536];
	const char *env;
	uint64_t args[NKIDS][3], seed, total = 0;
	unsigned long long nfail = 0;
	int secs = 15, i, j, nbefore, nafter, left = 0, gone = 0;
	pid_t pids[NKIDS];
	char line[512];
	size_t n;

	t_init("fuzz");
	if (!access("/sys/kernel/debug/kmemleak", F_OK))
		big_cap = 4096;
	env = getenv("KCHAN_FUZZ_SECONDS");
	if (env && atoi(env) > 0)
		secs = atoi(env);
	env = getenv("KCHAN_FUZZ_SEED");
	seed = env && *env ? strtoull(env, NULL, 0) : (t_now_ns() ^ ((uint64_t)getpid() << 32));
	t_diag("seed %llu (KCHAN_FUZZ_SEED=%llu reproduces each child's operations), %d s, %d processes",
	       (unsigned long long)seed, (unsigned long long)seed, secs, NKIDS);
	alarm(secs + 75);	/* the watchdog, past the children's bound */
	sh = t_shared(sizeof(*sh));
	nbefore = chan_set(before, sizeof(before));
	T_GE(nbefore, 0, "list %s before the run", T_SYSFS_CLASS);

	for (i = 0; i < NSLOTS; i++) {
		int idx = t_chan_new(slot_cfg[i].capacity, slot_cfg[i].msg_size, 0);

		if (!T_GE(idx, 0, "create test channel %d: capacity %u msg_size %u",
			  i, slot_cfg[i].capacity, slot_cfg[i].msg_size))
			return t_done();
		sh->slot[i] = sh->nlog;
		sh->log[sh->nlog].index = idx;
		sh->log[sh->nlog++].live = 1;
	}

	for (i = 0; i < NKIDS; i++) {
		args[i][0] = t_now_ns() + (uint64_t)secs * T_NSEC_PER_SEC;
		args[i][1] = i;
		args[i][2] = seed;
		pids[i] = t_fork(child, args[i]);
	}
	for (i = 0; i < NKIDS; i++) {
		if (!T_CHILD(pids[i], (secs + 60) * 1000, 0,
			     "fuzzer %d (seed %llu + %d) returned, not killed by a signal, nothing unexpected",
			     i, (unsigned long long)seed, i))
			t_diag("fuzzer %d was doing: %s", i, sh->last[i]);
	}

	/* From here the log owns them (the children may have replaced them). */
	for (i = 0; i < NSLOTS; i++)
		t_chan_forget(sh->log[i].index);
	for (i = 0; i < NOPS; i++) {
		total += sh->ops[i];
		nfail += sh->fails[i];
	}
	t_diag("%llu operations, %llu of them errors; %llu interrupted by the alarm; longest %llu ms",
	       (unsigned long long)total, nfail, sh->guard, sh->max_ns / T_NSEC_PER_MSEC);
	for (i = 0; i < NOPS; i += 4) {
		n = 0;
		for (j = i; j < i + 4 && j < NOPS; j++)
			n += snprintf(line + n, sizeof(line) - n, "%-12s %7llu (%llu err)  ",
				      op_names[j], sh->ops[j], sh->fails[j]);
		t_diag("%s", line);
	}
	n = 0;
	for (i = 1; i < 256; i++)
		if (sh->errno_hist[i] && n < sizeof(line) - 32)
			n += snprintf(line + n, sizeof(line) - n, "%s %llu  ",
				      strerrorname_np(i) ?: "?", sh->errno_hist[i]);
	t_diag("errors: %s", n ? line : "none");

	T_GT(total, 200, "the fuzzers did something (%llu operations)",
	     (unsigned long long)total);
	T_EQ(sh->bad, 0, "no unexpected error or result (see the FAILED lines)");
	T_EQ(sh->slow, 0, "no call took more than %lld s", STUCK_NS / T_NSEC_PER_SEC);
	if (sh->slow_resize)
		t_diag("%llu calls took more than %lld s (see 'slow:' above)",
		       sh->slow_resize, SLOW_NS / T_NSEC_PER_SEC);
	T_EQ(sh->sigpipe, 0, "no SIGPIPE");

	/* Whatever is still alive of what the test created goes now. */
	j = sh->nlog < MAXLOG ? sh->nlog : MAXLOG;
	for (i = 0; i < j; i++) {
		if (!sh->log[i].live)
			continue;
		left++;
		if (t_chan_destroy(sh->log[i].index, CHAN_DESTROY_F_FORCE) == 0)
			gone++;
		sh->log[i].live = 0;
	}
	t_diag("%d channels created in all, %d left at the end (the slots' and leftovers)",
	       j, left);
	T_EQ(gone, left, "the channels left at the end could be destroyed");
	nafter = chan_set(after, sizeof(after));
	T_EQ(nafter, nbefore, "as many channels as before the run");
	for (i = 0; i < (int)sizeof(before); i++)
		if (before[i] != after[i])
			t_diag("chan%d %s", i, before[i] ? "is gone" : "was left behind");
	T_OK(!memcmp(before, after, sizeof(before)), "exactly the channels of before the run");
	round_trip();
	return t_done();
}
