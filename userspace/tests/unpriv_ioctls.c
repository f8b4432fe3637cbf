// SPDX-License-Identifier: GPL-2.0
/*
 * Description: what an unprivileged process (uid/gid 65534, no groups, so
 * no capabilities) may do with every ioctl and every writable sysfs file
 * (chan(4), Security; Control device; Channel ioctls; sysfs), beyond what
 * ctl_perm.c (opening the control device and channel nodes, CREATE and
 * DESTROY of a root channel) and guard_sysfs.c (four breaker/ and rate/
 * files, SET_BREAKER and SET_RATE) already check.
 *
 * Every ioctl of uapi/linux/chan.h is in the table below, with its rule:
 * a control ioctl needs CAP_SYS_ADMIN (EPERM); a configuration change
 * (SET_CAPACITY, SET_BREAKER, BREAKER_RESET, SET_RATE) needs the caller's
 * fsuid to be the channel's owner, or CAP_SYS_ADMIN (EPERM), through any
 * open file of the channel; every other channel ioctl works for whoever
 * has the file open for its direction. Each is issued by a child that
 * dropped its privileges:
 * - on a mode 0666 channel owned by root, opened by the child: data and
 *   read-only ioctls work (and CHAN_IOC_CLOSE, which needs only a file
 *   open for writing), configuration changes give EPERM and change nothing;
 * - on a mode 0600 root channel through a file root opened before the
 *   child dropped its privileges: the same (the open was root's, the
 *   rights checked at the call are the caller's);
 * - on a mode 0660 channel of root and group 65534: the same (the group
 *   may use it, only the owner may reconfigure it);
 * - on a mode 0600 channel owned by uid 65534: everything works, and the
 *   changes show; also through a file open only for reading;
 * - on the control device through root's file: GET_VERSION, CREATE and
 *   DESTROY (of the child's own channel) give EPERM; a control ioctl on a
 *   channel file and a channel ioctl on the control file give ENOTTY.
 * That the table is the whole interface is checked, not assumed: the child
 * issues every other number and direction of the magic 0xBC on a channel
 * file and on the control file, and each must give ENOTTY, so an ioctl
 * added to the module but not to this table fails here.
 *
 * sysfs: the writable files of a channel are found by walking its
 * directory (the driver core's uevent and power/ aside) and must be those
 * chan(4) lists (capacity, breaker/ mode and its twelve fields, rate/rate,
 * rate/burst, admission/target_us, admission/max_limit, and the chaos/
 * knobs when the module has them), so a new one cannot be missed either. For each: the files belong to the channel's
 * owner and group, mode 0644; a non-owner can read it but not open it for
 * writing (EACCES), nor can a member of the channel's group; written
 * through a file root opened, the store refuses the non-owner (EPERM) and
 * nothing changes (breaker/generation, capacity); the owner writes it
 * (its current value back), and cannot open the read-only files for
 * writing (EACCES). Also: the unprivileged open of /dev/chan-control
 * O_WRONLY and of a 0600 root channel O_WRONLY give EACCES.
 */
#include <dirent.h>
#include <sys/stat.h>

#include "helpers.h"

#define MSG		64
#define NOBODY		65534
#define ARGBUF		1024	/* bigger than every argument struct */

/* ---- the ioctls ---- */

enum dev { CTL, CHAN };
enum rule {
	ADMIN,		/* CAP_SYS_ADMIN */
	OWNER,		/* the channel's owner, or CAP_SYS_ADMIN */
	ANYONE,		/* any opener, with the file open for its direction */
};

struct env {
	int fd;			/* the file the ioctl goes to */
	int victim;		/* the index CHAN_CTL_DESTROY names */
	__u64 ticket;		/* from CHAN_IOC_BREAKER_ACQUIRE */
	unsigned char msg[MSG];
	unsigned char in[MSG];
	unsigned char arg[ARGBUF] __attribute__((aligned(8)));
};

static long c_plain(struct env *e, unsigned long cmd)
{
	memset(e->arg, 0, sizeof(e->arg));
	return SYS(ioctl(e->fd, cmd, e->arg));
}

static long c_create(struct env *e, unsigned long cmd)
{
	struct chan_ctl_create c = {
		.capacity = 1, .msg_size = 8, .uid = CHAN_ID_CALLER,
		.gid = CHAN_ID_CALLER, .index = CHAN_INDEX_ANY,
	};

	return SYS(ioctl(e->fd, cmd, &c));
}

static long c_destroy(struct env *e, unsigned long cmd)
{
	struct chan_ctl_destroy d = { .index = e->victim };

	return SYS(ioctl(e->fd, cmd, &d));
}

static long c_xfer(struct env *e, unsigned long cmd)
{
	bool send = cmd == CHAN_IOC_SEND;
	struct chan_xfer x = {
		.buf = (__u64)(uintptr_t)(send ? e->msg : e->in),
		.len = send ? 6 : MSG, .timeout_ns = 0,
	};

	return SYS(ioctl(e->fd, cmd, &x));
}

static long c_noarg(struct env *e, unsigned long cmd)
{
	return SYS(ioctl(e->fd, cmd));
}

static long c_set_timeouts(struct env *e, unsigned long cmd)
{
	struct chan_timeouts t = { T_NSEC_PER_SEC, T_NSEC_PER_SEC };

	return SYS(ioctl(e->fd, cmd, &t));
}

static long c_set_capacity(struct env *e, unsigned long cmd)
{
	__u32 cap = 4;

	return SYS(ioctl(e->fd, cmd, &cap));
}

static long c_batch(struct env *e, unsigned long cmd)
{
	bool send = cmd == CHAN_IOC_SEND_BATCH;
	struct chan_iov v = {
		.buf = (__u64)(uintptr_t)(send ? e->msg : e->in),
		.len = send ? 7 : MSG,
	};
	struct chan_batch b = {
		.vec = (__u64)(uintptr_t)&v, .count = 1, .timeout_ns = 0,
	};

	return SYS(ioctl(e->fd, cmd, &b));
}

static long c_select(struct env *e, unsigned long cmd)
{
	struct chan_select_case c;
	struct chan_select s = {
		.cases = (__u64)(uintptr_t)&c, .ncases = 1, .timeout_ns = 0,
	};

	t_sel_case(&c, e->fd, CHAN_OP_SEND, e->msg, 5);
	return SYS(ioctl(e->fd, cmd, &s));
}

static long c_set_breaker(struct env *e, unsigned long cmd)
{
	struct chan_breaker_config c = {
		.mode = CHAN_BREAKER_METRICS_ONLY, .window_ms = 10000,
		.min_calls = 10, .failure_pct = 50, .slow_pct = 100,
		.open_ms = 5000, .open_min_ms = 1000, .open_max_ms = 60000,
		.half_open_probes = 3, .half_open_max_ms = 10000,
	};

	return SYS(ioctl(e->fd, cmd, &c));
}

static long c_acquire(struct env *e, unsigned long cmd)
{
	e->ticket = 0;
	return SYS(ioctl(e->fd, cmd, &e->ticket));
}

static long c_report(struct env *e, unsigned long cmd)
{
	struct chan_breaker_report r = {
		.ticket = e->ticket, .outcome = CHAN_OUTCOME_SUCCESS,
		.duration_ns = 1000,
	};

	return SYS(ioctl(e->fd, cmd, &r));
}

static long c_set_rate(struct env *e, unsigned long cmd)
{
	struct chan_rate r = { .rate = 1000, .burst = 100 };

	return SYS(ioctl(e->fd, cmd, &r));
}

/*
 * Every ioctl of uapi/linux/chan.h, in its order, and FIONREAD. @ok is the
 * result of the call for a caller the rule admits (on a channel of
 * capacity 2, empty at first; the calls run in this order, CHAN_IOC_CLOSE
 * last). The probe in probe_unknown() proves nothing is missing.
 */
#define IOC(c)	#c, c

static const struct ioc {
	const char *name;
	unsigned long cmd;
	enum dev dev;
	enum rule rule;
	long ok;
	long (*call)(struct env *e, unsigned long cmd);
} iocs[] = {
	{ IOC(CHAN_CTL_GET_VERSION), CTL, ADMIN, CHAN_ABI_VERSION, c_plain },
	{ IOC(CHAN_CTL_CREATE), CTL, ADMIN, 0, c_create },
	{ IOC(CHAN_CTL_DESTROY), CTL, ADMIN, 0, c_destroy },
	{ IOC(CHAN_IOC_SEND), CHAN, ANYONE, 0, c_xfer },
	{ IOC(CHAN_IOC_RECV), CHAN, ANYONE, 6, c_xfer },
	{ IOC(CHAN_IOC_CLOSE), CHAN, ANYONE, 0, c_noarg },
	{ IOC(CHAN_IOC_SET_TIMEOUTS), CHAN, ANYONE, 0, c_set_timeouts },
	{ IOC(CHAN_IOC_GET_TIMEOUTS), CHAN, ANYONE, 0, c_plain },
	{ IOC(CHAN_IOC_SET_CAPACITY), CHAN, OWNER, 0, c_set_capacity },
	{ IOC(CHAN_IOC_SEND_BATCH), CHAN, ANYONE, 1, c_batch },
	{ IOC(CHAN_IOC_RECV_BATCH), CHAN, ANYONE, 1, c_batch },
	{ IOC(CHAN_IOC_SELECT), CHAN, ANYONE, 0, c_select },
	{ IOC(CHAN_IOC_SET_BREAKER), CHAN, OWNER, 0, c_set_breaker },
	{ IOC(CHAN_IOC_GET_BREAKER), CHAN, ANYONE, 0, c_plain },
	{ IOC(CHAN_IOC_GET_BREAKER_STATUS), CHAN, ANYONE, 0, c_plain },
	{ IOC(CHAN_IOC_BREAKER_RESET), CHAN, OWNER, 0, c_noarg },
	{ IOC(CHAN_IOC_BREAKER_ACQUIRE), CHAN, ANYONE, 0, c_acquire },
	{ IOC(CHAN_IOC_BREAKER_REPORT), CHAN, ANYONE, 0, c_report },
	{ IOC(CHAN_IOC_SET_RATE), CHAN, OWNER, 0, c_set_rate },
	{ IOC(CHAN_IOC_GET_RATE), CHAN, ANYONE, 0, c_plain },
	{ IOC(CHAN_IOC_GET_INFO), CHAN, ANYONE, 0, c_plain },
	{ IOC(CHAN_IOC_GET_STATS), CHAN, ANYONE, 0, c_plain },
	/* Not of the magic: the length of the next message (chan(4)). */
	{ IOC(FIONREAD), CHAN, ANYONE, 0, c_plain },
};

#define NIOCS	T_ARRAY_SIZE(iocs)

/* Type, number and direction: what picks the handler (chan(4)). */
static unsigned long nosize(unsigned long cmd)
{
	return cmd & ~((unsigned long)_IOC_SIZEMASK << _IOC_SIZESHIFT);
}

static bool in_table(unsigned long cmd)
{
	size_t i;

	for (i = 0; i < NIOCS; i++)
		if (nosize(iocs[i].cmd) == nosize(cmd))
			return true;
	return false;
}

/* ---- the children ---- */

enum ctx {
	C_OTHER,	/* 0666 root channel, opened by the child */
	C_INHERIT,	/* 0600 root channel, root's file */
	C_GROUP,	/* 0660 root:65534 channel, opened by the child */
	C_OWNER,	/* 0600 65534:65534 channel, opened by the child */
	C_CTL,		/* root's control file */
	NCTX
};

static const char *const ctx_names[NCTX] = {
	[C_OTHER] = "non-owner, 0666 root channel",
	[C_INHERIT] = "non-owner, 0600 root channel, root's file",
	[C_GROUP] = "group member, 0660 channel of root",
	[C_OWNER] = "owner, 0600 channel of uid 65534",
	[C_CTL] = "unprivileged, root's control file",
};

#define MAX_ODD	8

struct shared {
	/* in */
	int idx[NCTX];		/* C_CTL: the victim of CHAN_CTL_DESTROY */
	int fd[NCTX];		/* root's files: C_INHERIT, C_CTL */
	int chanfd;		/* C_CTL: a root file of a channel, to probe */
	/* out */
	long drop[NCTX];
	long open[NCTX];
	long r[NCTX][NIOCS];
	long ro_cfg[4];		/* the owner's changes through O_RDONLY */
	int probed_chan, probed_ctl;
	int nodd;
	unsigned long odd_cmd[MAX_ODD];
	long odd_ret[MAX_ODD];
	char odd_dev[MAX_ODD];
	long open_ctl_wronly, open_600_wronly;
	int idx600;
};

static void run_table(struct shared *s, enum ctx c, struct env *e)
{
	size_t i, close_i = NIOCS;

	for (i = 0; i < NIOCS; i++) {
		if (iocs[i].cmd == CHAN_IOC_CLOSE) {
			close_i = i;
			continue;
		}
		s->r[c][i] = iocs[i].call(e, iocs[i].cmd);
	}
	/* Last: it closes the channel (Go's close). */
	if (close_i < NIOCS)
		s->r[c][close_i] = iocs[close_i].call(e, iocs[close_i].cmd);
}

/* Every other number and direction of the magic: ENOTTY on @fd. */
static int probe_unknown(struct shared *s, int fd, char dev)
{
	static const unsigned int dirs[] = {
		_IOC_NONE, _IOC_WRITE, _IOC_READ, _IOC_READ | _IOC_WRITE,
	};
	unsigned char arg[ARGBUF] __attribute__((aligned(8)));
	unsigned long cmd;
	unsigned int nr, d;
	int n = 0;
	long r;

	for (nr = 0; nr <= _IOC_NRMASK; nr++) {
		for (d = 0; d < T_ARRAY_SIZE(dirs); d++) {
			cmd = _IOC(dirs[d], CHAN_IOC_MAGIC, nr,
				   dirs[d] == _IOC_NONE ? 0 : 64);
			if (in_table(cmd))
				continue;
			memset(arg, 0, sizeof(arg));
			r = SYS(ioctl(fd, cmd, arg));
			n++;
			if (r == -ENOTTY)
				continue;
			if (s->nodd < MAX_ODD) {
				s->odd_cmd[s->nodd] = cmd;
				s->odd_ret[s->nodd] = r;
				s->odd_dev[s->nodd] = dev;
			}
			s->nodd++;
		}
	}
	return n;
}

struct job {
	struct shared *s;
	enum ctx c;
};

static int child_fn(void *arg)
{
	struct job *j = arg;
	struct shared *s = j->s;
	enum ctx c = j->c;
	struct env e;
	int fd;

	memset(&e, 0, sizeof(e));
	t_fill(e.msg, sizeof(e.msg), 0x6502);
	s->drop[c] = t_drop_privs();
	if (s->drop[c])
		return 2;
	switch (c) {
	case C_INHERIT:
		fd = s->fd[c];
		break;
	case C_CTL:
		s->open_ctl_wronly = SYS(open(CHAN_CONTROL_PATH, O_WRONLY));
		s->open_600_wronly = SYS(open(t_chan_path(s->idx600),
					      O_WRONLY));
		fd = s->fd[c];
		e.victim = s->idx[c];
		break;
	default:
		fd = t_chan_open(s->idx[c], O_RDWR);
		break;
	}
	s->open[c] = fd < 0 ? fd : 0;
	if (fd < 0)
		return 0;
	e.fd = fd;
	run_table(s, c, &e);
	if (c == C_CTL) {
		s->probed_ctl = probe_unknown(s, s->fd[C_CTL], 'c');
		s->probed_chan = probe_unknown(s, s->chanfd, 'n');
	}
	if (c == C_OWNER) {
		/* Any open file will do, even one open only for reading. */
		e.fd = t_chan_open(s->idx[c], O_RDONLY);
		if (e.fd < 0)
			return 2;
		s->ro_cfg[0] = c_set_capacity(&e, CHAN_IOC_SET_CAPACITY);
		s->ro_cfg[1] = c_set_breaker(&e, CHAN_IOC_SET_BREAKER);
		s->ro_cfg[2] = c_noarg(&e, CHAN_IOC_BREAKER_RESET);
		s->ro_cfg[3] = c_set_rate(&e, CHAN_IOC_SET_RATE);
	}
	return 0;
}

/* What @ioc gives in context @c. */
static long expected(const struct ioc *ioc, enum ctx c)
{
	if ((ioc->dev == CTL) != (c == C_CTL))
		return -ENOTTY;
	switch (ioc->rule) {
	case ADMIN:
		return -EPERM;
	case OWNER:
		return c == C_OWNER ? ioc->ok : -EPERM;
	default:
		return ioc->ok;
	}
}

static const char *rule_name(const struct ioc *ioc, enum ctx c)
{
	if ((ioc->dev == CTL) != (c == C_CTL))
		return ioc->dev == CTL ? "a control ioctl on a channel file" :
		       "a channel ioctl on the control file";
	switch (ioc->rule) {
	case ADMIN:
		return "needs CAP_SYS_ADMIN";
	case OWNER:
		return c == C_OWNER ? "the owner may" : "owner only";
	default:
		return "any opener may";
	}
}

static void check_cfg(int idx, int fd, __u32 cap, __u32 mode, __u32 rate,
		      const char *what)
{
	struct chan_breaker_config bc;
	struct chan_rate r;

	T_EQ(t_attr(idx, "capacity"), cap, "%s: capacity %u", what, cap);
	memset(&bc, 0xa5, sizeof(bc));
	T_EQ(SYS(ioctl(fd, CHAN_IOC_GET_BREAKER, &bc)), 0,
	     "%s: CHAN_IOC_GET_BREAKER (root)", what);
	T_EQ(bc.mode, mode, "%s: breaker mode %u", what, mode);
	memset(&r, 0xa5, sizeof(r));
	T_EQ(SYS(ioctl(fd, CHAN_IOC_GET_RATE, &r)), 0,
	     "%s: CHAN_IOC_GET_RATE (root)", what);
	T_EQ(r.rate, rate, "%s: rate %u", what, rate);
}

static void test_ioctls(void)
{
	struct shared *s = t_shared(sizeof(*s));
	static const struct { __u32 mode, uid, gid; } own[NCTX] = {
		[C_OTHER] = { 0666, 0, 0 },
		[C_INHERIT] = { 0600, 0, 0 },
		[C_GROUP] = { 0660, 0, NOBODY },
		[C_OWNER] = { 0600, NOBODY, NOBODY },
		[C_CTL] = { 0600, NOBODY, NOBODY },	/* the victim */
	};
	struct job jobs[NCTX];
	long long gen0[NCTX];
	char what[160];
	int rootfd[NCTX], c, probe_idx, ctl;
	size_t i;
	pid_t pid;

	memset(rootfd, -1, sizeof(rootfd));
	for (c = 0; c < NCTX; c++) {
		s->idx[c] = t_chan_new_ex(2, MSG, 0, own[c].mode, own[c].uid,
					  own[c].gid);
		if (!T_GE(s->idx[c], 0, "create the channel for: %s",
			  ctx_names[c]))
			return;
		rootfd[c] = t_chan_open(s->idx[c], O_RDWR);
		if (!T_GE(rootfd[c], 0, "root opens chan%d", s->idx[c]))
			return;
		gen0[c] = t_attr(s->idx[c], "breaker/generation");
	}
	s->idx600 = s->idx[C_INHERIT];
	s->fd[C_INHERIT] = rootfd[C_INHERIT];
	ctl = SYS(open(CHAN_CONTROL_PATH, O_RDWR));
	if (!T_GE(ctl, 0, "root opens %s", CHAN_CONTROL_PATH))
		return;
	s->fd[C_CTL] = ctl;
	/* A channel file to probe unknown numbers on (root's, inherited). */
	probe_idx = t_chan_new_ex(2, MSG, 0, 0666, 0, 0);
	if (!T_GE(probe_idx, 0, "create a channel to probe ioctl numbers on"))
		return;
	s->chanfd = t_chan_open(probe_idx, O_RDWR);
	if (!T_GE(s->chanfd, 0, "open it"))
		return;

	for (c = 0; c < NCTX; c++) {
		jobs[c].s = s;
		jobs[c].c = c;
		pid = t_fork(child_fn, &jobs[c]);
		T_CHILD(pid, T_TIMEOUT_MS, 0, "%s: the child ran", ctx_names[c]);
		if (!T_EQ(s->drop[c], 0, "%s: it dropped to uid/gid 65534",
			  ctx_names[c]))
			continue;
		if (c == C_OTHER || c == C_GROUP || c == C_OWNER)
			T_EQ(s->open[c], 0, "%s: the child may open it O_RDWR",
			     ctx_names[c]);
		if (s->open[c])
			continue;
		for (i = 0; i < NIOCS; i++) {
			long want = expected(&iocs[i], c);

			snprintf(what, sizeof(what), "%s: %s (%s)",
				 ctx_names[c], iocs[i].name,
				 rule_name(&iocs[i], c));
			T_EQ(s->r[c][i], want, "%s", what);
		}
	}

	T_EQ(s->open_ctl_wronly, -EACCES,
	     "unprivileged open(%s, O_WRONLY): EACCES (mode 0600 root)",
	     CHAN_CONTROL_PATH);
	T_EQ(s->open_600_wronly, -EACCES,
	     "unprivileged O_WRONLY open of a 0600 root channel: EACCES");
	T_OK(t_chan_exists(s->idx[C_CTL]),
	     "the child's own channel survived its CHAN_CTL_DESTROY");
	T_EQ(s->ro_cfg[0], 0,
	     "owner: CHAN_IOC_SET_CAPACITY through an O_RDONLY file works");
	T_EQ(s->ro_cfg[1], 0,
	     "owner: CHAN_IOC_SET_BREAKER through an O_RDONLY file works");
	T_EQ(s->ro_cfg[2], 0,
	     "owner: CHAN_IOC_BREAKER_RESET through an O_RDONLY file works");
	T_EQ(s->ro_cfg[3], 0,
	     "owner: CHAN_IOC_SET_RATE through an O_RDONLY file works");

	/* The interface is the table: everything else is ENOTTY. */
	T_EQ(s->probed_ctl, 256 * 4 - (long)(NIOCS - 1),
	     "probed every other number and direction of magic 0x%x on the control file",
	     CHAN_IOC_MAGIC);
	T_EQ(s->probed_chan, 256 * 4 - (long)(NIOCS - 1),
	     "... and on a channel file (%zu ioctls in the table)", NIOCS);
	T_EQ(s->nodd, 0,
	     "every number and direction not in the table gives ENOTTY");
	for (i = 0; i < (size_t)s->nodd && i < MAX_ODD; i++)
		t_diag("not in the table: 0x%08lx (nr 0x%02lx, dir %lu) on the %s file gave %ld (%s)",
		       s->odd_cmd[i], (s->odd_cmd[i] >> _IOC_NRSHIFT) & 0xff,
		       (s->odd_cmd[i] >> _IOC_DIRSHIFT) & _IOC_DIRMASK,
		       s->odd_dev[i] == 'c' ? "control" : "channel",
		       s->odd_ret[i],
		       strerrorname_np((int)-s->odd_ret[i]) ?: "?");

	/* What the refusals left alone, and what the owner changed. */
	for (c = C_OTHER; c <= C_GROUP; c++) {
		snprintf(what, sizeof(what), "after %s", ctx_names[c]);
		check_cfg(s->idx[c], rootfd[c], 2, CHAN_BREAKER_DISABLED, 0,
			  what);
		T_EQ(t_attr(s->idx[c], "breaker/generation"), gen0[c],
		     "%s: breaker/generation unchanged", what);
		T_EQ(t_attr(s->idx[c], "closed"), 1,
		     "%s: closed (CHAN_IOC_CLOSE needs only a writer)", what);
	}
	check_cfg(s->idx[C_OWNER], rootfd[C_OWNER], 4,
		  CHAN_BREAKER_METRICS_ONLY, 1000, "after the owner");
	T_GT(t_attr(s->idx[C_OWNER], "breaker/generation"), gen0[C_OWNER],
	     "after the owner: breaker/generation moved");

	for (c = 0; c < NCTX; c++) {
		close(rootfd[c]);
		T_EQ(t_chan_destroy(s->idx[c], 0), 0, "destroy chan%d",
		     s->idx[c]);
	}
	close(s->chanfd);
	T_EQ(t_chan_destroy(probe_idx, 0), 0, "destroy chan%d", probe_idx);
	close(ctl);
}

/* ---- sysfs ---- */

/* The writable files chan(4) lists under sysfs. */
static const struct rw_file {
	const char *name;
} rw_files[] = {
#define RW(n)		{ .name = n }
	RW("capacity"),
	RW("breaker/mode"), RW("breaker/window_ms"), RW("breaker/min_calls"),
	RW("breaker/failure_pct"), RW("breaker/consecutive_failures"),
	RW("breaker/slow_ms"), RW("breaker/slow_pct"), RW("breaker/open_ms"),
	RW("breaker/open_min_ms"), RW("breaker/open_max_ms"),
	RW("breaker/half_open_probes"), RW("breaker/half_open_max_ms"),
	RW("breaker/flags"),
	RW("rate/rate"), RW("rate/burst"),
	RW("admission/target_us"), RW("admission/max_limit"),
	RW("chaos/send_delay_us"), RW("chaos/recv_delay_us"),
	RW("chaos/send_fail_ppm"), RW("chaos/pause_recv"),
#undef RW
};

#define MAX_FILES	96
#define NAME_LEN	48
#define VAL_LEN		32

struct sfile {
	char name[NAME_LEN];
	unsigned int mode;
	unsigned int uid, gid;
	char val[VAL_LEN];	/* what root read */
	int rootfd;		/* root's O_WRONLY file (rw files only) */
	/* out */
	long read, open_w, write_fd, owner_write, group_open_w;
};

struct sysfs_ctx {
	int other, owned, group;	/* channel indexes */
	int n;
	struct sfile f[MAX_FILES];	/* of the non-owner's channel */
	struct sfile g[MAX_FILES];	/* the same names, owner's channel */
	long drop;
};

/* Files of the channel's own attributes under @dir (relative @rel). */
static void walk(struct sysfs_ctx *x, const char *dir, const char *rel)
{
	char p[512], r[NAME_LEN];
	struct dirent *d;
	struct stat st;
	DIR *dp = opendir(dir);

	if (!dp)
		return;
	while ((d = readdir(dp))) {
		if (d->d_name[0] == '.')
			continue;
		/* The driver core's, not chan(4)'s. */
		if (!*rel && (!strcmp(d->d_name, "uevent") ||
			      !strcmp(d->d_name, "power") ||
			      !strcmp(d->d_name, "subsystem") ||
			      !strcmp(d->d_name, "dev")))
			continue;
		if ((size_t)snprintf(p, sizeof(p), "%s/%s", dir,
				     d->d_name) >= sizeof(p) ||
		    (size_t)snprintf(r, sizeof(r), "%s%s%s", rel,
				     *rel ? "/" : "", d->d_name) >= sizeof(r) ||
		    lstat(p, &st))
			continue;
		if (S_ISDIR(st.st_mode)) {
			walk(x, p, r);
		} else if (S_ISREG(st.st_mode) && x->n < MAX_FILES) {
			struct sfile *f = &x->f[x->n++];

			snprintf(f->name, sizeof(f->name), "%s", r);
			f->mode = st.st_mode & 07777;
			f->uid = st.st_uid;
			f->gid = st.st_gid;
			f->rootfd = -1;
		}
	}
	closedir(dp);
}

static int read_file(int idx, const char *name, char *buf, size_t size)
{
	char p[128];
	ssize_t n;
	int fd;

	snprintf(p, sizeof(p), T_SYSFS_CLASS "/chan%d/%s", idx, name);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return (int)n;
}

static int open_file(int idx, const char *name, int flags)
{
	char p[128];

	snprintf(p, sizeof(p), T_SYSFS_CLASS "/chan%d/%s", idx, name);
	return SYS(open(p, flags | O_CLOEXEC));
}

static bool writable(const struct sfile *f)
{
	return f->mode & 0222;
}

static int sysfs_nonowner(void *arg)
{
	struct sysfs_ctx *x = arg;
	char buf[VAL_LEN];
	int i, fd;

	x->drop = t_drop_privs();
	if (x->drop)
		return 2;
	for (i = 0; i < x->n; i++) {
		struct sfile *f = &x->f[i];

		f->read = read_file(x->other, f->name, buf, sizeof(buf));
		if (!writable(f))
			continue;
		fd = open_file(x->other, f->name, O_WRONLY);
		f->open_w = fd < 0 ? fd : 0;
		if (fd >= 0)
			close(fd);
		fd = open_file(x->group, f->name, O_WRONLY);
		f->group_open_w = fd < 0 ? fd : 0;
		if (fd >= 0)
			close(fd);
		f->write_fd = SYS(write(f->rootfd, f->val, strlen(f->val)));
	}
	return 0;
}

static int sysfs_owner(void *arg)
{
	struct sysfs_ctx *x = arg;
	int i, fd;

	x->drop = t_drop_privs();
	if (x->drop)
		return 2;
	for (i = 0; i < x->n; i++) {
		struct sfile *g = &x->g[i];

		fd = open_file(x->owned, g->name, O_WRONLY);
		if (fd < 0) {
			g->owner_write = fd;
			continue;
		}
		g->owner_write = SYS(write(fd, g->val, strlen(g->val)));
		close(fd);
	}
	return 0;
}

static void test_sysfs(void)
{
	struct sysfs_ctx *x = t_shared(sizeof(*x));
	char dir[96], ev[VAL_LEN * 2];
	long long gen0, gen_owned0;
	size_t k, found;
	int i, j, nrw = 0;
	pid_t pid;

	x->other = t_chan_new_ex(2, MSG, 0, 0666, 0, 0);
	x->owned = t_chan_new_ex(2, MSG, 0, 0600, NOBODY, NOBODY);
	x->group = t_chan_new_ex(2, MSG, 0, 0660, 0, NOBODY);
	if (!T_OK(x->other >= 0 && x->owned >= 0 && x->group >= 0,
		  "sysfs: create a root channel, one of uid 65534, one of group 65534"))
		return;
	snprintf(dir, sizeof(dir), T_SYSFS_CLASS "/chan%d", x->other);
	walk(x, dir, "");
	T_LT(x->n, MAX_FILES, "sysfs: %d files under chan%d", x->n, x->other);

	/* The writable files are exactly chan(4)'s. */
	for (i = 0; i < x->n; i++) {
		if (!writable(&x->f[i]))
			continue;
		nrw++;
		for (k = 0; k < T_ARRAY_SIZE(rw_files); k++)
			if (!strcmp(x->f[i].name, rw_files[k].name))
				break;
		T_LT(k, T_ARRAY_SIZE(rw_files),
		     "sysfs: %s is writable and chan(4) lists it as rw",
		     x->f[i].name);
	}
	for (k = 0, found = 0; k < T_ARRAY_SIZE(rw_files); k++) {
		for (i = 0; i < x->n; i++)
			if (writable(&x->f[i]) &&
			    !strcmp(x->f[i].name, rw_files[k].name))
				break;
		if (i < x->n)
			found++;
		else
			T_OK(0, "sysfs: %s, rw in chan(4), is a writable file",
			     rw_files[k].name);
	}
	T_EQ(found, nrw,
	     "sysfs: each of the %d writable files is one of chan(4)'s %zu rw files",
	     nrw, T_ARRAY_SIZE(rw_files));

	for (i = 0; i < x->n; i++) {
		struct sfile *f = &x->f[i], *g = &x->g[i];
		int r;

		*g = *f;
		if (writable(f)) {
			T_EQ(f->mode, 0644, "sysfs: %s is mode 0644 (0%o)",
			     f->name, f->mode);
			r = read_file(x->other, f->name, f->val,
				      sizeof(f->val));
			T_GT(r, 0, "sysfs: root reads %s", f->name);
			f->rootfd = open_file(x->other, f->name, O_WRONLY);
			T_GE(f->rootfd, 0, "sysfs: root opens %s O_WRONLY",
			     f->name);
		}
		r = read_file(x->owned, g->name, g->val, sizeof(g->val));
		T_GE(r, 0, "sysfs: root reads %s of the owned channel",
		     g->name);
	}
	gen0 = t_attr(x->other, "breaker/generation");
	gen_owned0 = t_attr(x->owned, "breaker/generation");

	pid = t_fork(sysfs_nonowner, x);
	T_CHILD(pid, T_TIMEOUT_MS, 0, "sysfs: the non-owner child ran");
	T_EQ(x->drop, 0, "sysfs: it dropped to uid/gid 65534");
	pid = t_fork(sysfs_owner, x);
	T_CHILD(pid, T_TIMEOUT_MS, 0, "sysfs: the owner child ran");
	T_EQ(x->drop, 0, "sysfs: it dropped to uid/gid 65534");

	for (i = 0; i < x->n; i++) {
		struct sfile *f = &x->f[i], *g = &x->g[i];
		char p[128];
		struct stat st;

		snprintf(p, sizeof(p), T_SYSFS_CLASS "/chan%d/%s", x->owned,
			 g->name);
		T_OK(!stat(p, &st) && st.st_uid == NOBODY &&
		     st.st_gid == NOBODY,
		     "sysfs: %s of the owned channel belongs to 65534:65534",
		     g->name);
		T_OK(f->uid == 0 && f->gid == 0,
		     "sysfs: %s of the root channel belongs to root (%u:%u)",
		     f->name, f->uid, f->gid);
		T_GT(f->read, 0, "sysfs: the non-owner reads %s", f->name);
		if (!writable(f)) {
			T_EQ(g->owner_write, -EACCES,
			     "sysfs: even the owner cannot open read-only %s for writing",
			     g->name);
			continue;
		}
		for (j = 0; f->val[j] && j < (int)sizeof(ev) - 3; j++)
			ev[j] = f->val[j] == '\n' ? ' ' : f->val[j];
		ev[j] = '\0';
		T_EQ(f->open_w, -EACCES,
		     "sysfs: the non-owner cannot open %s for writing",
		     f->name);
		T_EQ(f->group_open_w, -EACCES,
		     "sysfs: nor the channel's group (mode 0644)");
		T_EQ(f->write_fd, -EPERM,
		     "sysfs: %s <- \"%s\" through root's file: EPERM for the non-owner",
		     f->name, ev);
		T_EQ(g->owner_write, (long)strlen(g->val),
		     "sysfs: the owner writes %s", g->name);
		if (f->rootfd >= 0)
			close(f->rootfd);
	}
	T_EQ(t_attr(x->other, "breaker/generation"), gen0,
	     "sysfs: the refused writes left breaker/generation alone");
	T_EQ(t_attr(x->other, "capacity"), 2,
	     "sysfs: ... and the capacity");
	T_GT(t_attr(x->owned, "breaker/generation"), gen_owned0,
	     "sysfs: the owner's breaker/ writes started new generations");
	T_EQ(t_chan_destroy(x->other, 0), 0, "destroy chan%d", x->other);
	T_EQ(t_chan_destroy(x->owned, 0), 0, "destroy chan%d", x->owned);
	T_EQ(t_chan_destroy(x->group, 0), 0, "destroy chan%d", x->group);
}

int main(void)
{
	t_init("unpriv_ioctls");
	test_ioctls();
	test_sysfs();
	return t_done();
}
