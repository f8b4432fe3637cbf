// SPDX-License-Identifier: GPL-2.0
/*
 * Description: a channel's buffers are charged to the memory cgroup of
 * its creator or resizer (chan(4), Security; CHAN_CTL_CREATE; Capacity
 * changes), and going over the cgroup's limit is ENOMEM. A child process
 * is moved into a cgroup v2 child group with memory.max = MEMMAX (cgroup2
 * is mounted on /sys/fs/cgroup first if it is not mounted anywhere, and
 * +memory enabled in the root's cgroup.subtree_control). There:
 * - a channel of SMALL_CAP x SLOT (3 MiB, under MEMMAX) is created, opened
 *   for writing (its staging slot is charged too) and works; its buffers
 *   show in the group's memory.current (within the memcg's charge batch),
 *   while the same channel created by root outside the group does not;
 * - a channel of capacity x msg_size = 2 x MEMMAX fails with ENOMEM and
 *   leaves nothing behind: no new channel in sysfs, no new node, and its
 *   share of the max_bytes budget given back (with max_bytes lowered to
 *   exactly what is in use plus that channel, root outside the cgroup then
 *   creates the same channel);
 * - resizing the small channel to 2 x MEMMAX fails with ENOMEM, and the
 *   channel keeps its capacity, its message and works (send, receive, a
 *   resize to GROW_CAP within MEMMAX, charged to the resizer's group); the
 *   budget the failed resize reserved is given back (root then makes the
 *   same resize within the lowered max_bytes).
 * The memcg's memory.events must show no OOM kill: a charge that does not
 * fit must fail, not kill the creator. Skipped (77) when the kernel has no
 * cgroup v2 or no memory controller.
 */
#include <dirent.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "helpers.h"

#define MEMMAX		(8LL << 20)
#define SLOT		(64 * 1024)		/* msg_size */
#define BIG_CAP		((unsigned int)(2 * MEMMAX / SLOT))	/* 16 MiB */
#define SMALL_CAP	48u			/* 3 MiB */
#define GROW_CAP	56u			/* 3.5 MiB */
/* memcg charges pages in batches of up to 64 (MEMCG_CHARGE_BATCH). */
#define SLACK		(256LL * 1024)
#define LEN		100

static char cg_root[256];	/* where cgroup2 is mounted */
static char cg_dir[320];	/* our child group */
static bool mounted_here, enabled_here;

/* ---- cgroup files ---- */

static int write_str(const char *path, const char *val)
{
	ssize_t n;
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	n = n < 0 ? -errno : 0;
	close(fd);
	return (int)n;
}

static int read_str(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return (int)n;
}

static int cg_write(const char *dir, const char *file, const char *val)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", dir, file);
	return write_str(p, val);
}

/* A word of a space-separated cgroup list file. */
static bool has_word(const char *list, const char *word)
{
	size_t n = strlen(word);
	const char *s = list;

	while ((s = strstr(s, word))) {
		if ((s == list || s[-1] == ' ') &&
		    (s[n] == ' ' || s[n] == '\n' || !s[n]))
			return true;
		s += n;
	}
	return false;
}

/* "key value" of a flat keyed file such as memory.events, or -1. */
static long long cg_key(const char *file, const char *key)
{
	char p[512], buf[1024], *s;
	size_t n = strlen(key);

	snprintf(p, sizeof(p), "%s/%s", cg_dir, file);
	if (read_str(p, buf, sizeof(buf)) < 0)
		return -1;
	for (s = buf; s && *s; s = strchr(s, '\n'), s = s ? s + 1 : s)
		if (!strncmp(s, key, n) && s[n] == ' ')
			return atoll(s + n + 1);
	return -1;
}

/* A single-number file of our group (memory.current), or -1. */
static long long cg_num(const char *file)
{
	char p[512], buf[64];

	snprintf(p, sizeof(p), "%s/%s", cg_dir, file);
	if (read_str(p, buf, sizeof(buf)) < 0)
		return -1;
	return atoll(buf);
}

/* Find or mount cgroup2; NULL, or why the test cannot run. */
static const char *cg_setup(char *why, size_t size)
{
	char line[512], dev[128], dir[256], type[64], buf[256], p[320];
	FILE *f = fopen("/proc/self/mounts", "r");

	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%127s %255s %63s", dev, dir, type) == 3 &&
		    !strcmp(type, "cgroup2")) {
			snprintf(cg_root, sizeof(cg_root), "%s", dir);
			break;
		}
	}
	if (f)
		fclose(f);
	if (!cg_root[0]) {
		snprintf(cg_root, sizeof(cg_root), "/sys/fs/cgroup");
		mkdir(cg_root, 0755);
		if (mount("none", cg_root, "cgroup2", 0, NULL)) {
			snprintf(why, size, "cannot mount cgroup2 on %s: %s",
				 cg_root, strerror(errno));
			return why;
		}
		mounted_here = true;
	}
	snprintf(p, sizeof(p), "%s/cgroup.controllers", cg_root);
	if (read_str(p, buf, sizeof(buf)) < 0 || !has_word(buf, "memory")) {
		snprintf(why, size,
			 "no memory controller in %s (kernel without CONFIG_MEMCG?)",
			 p);
		return why;
	}
	snprintf(p, sizeof(p), "%s/cgroup.subtree_control", cg_root);
	if (read_str(p, buf, sizeof(buf)) < 0) {
		snprintf(why, size, "cannot read %s", p);
		return why;
	}
	if (!has_word(buf, "memory")) {
		if (write_str(p, "+memory")) {
			snprintf(why, size, "cannot enable +memory in %s: %s",
				 p, strerror(errno));
			return why;
		}
		enabled_here = true;
	}
	snprintf(cg_dir, sizeof(cg_dir), "%s/kchan-memcg-%d", cg_root,
		 getpid());
	if (mkdir(cg_dir, 0755)) {
		snprintf(why, size, "mkdir %s: %s", cg_dir, strerror(errno));
		cg_dir[0] = '\0';
		return why;
	}
	return NULL;
}

static void cg_teardown(void)
{
	char p[320];
	int i;

	/* The group empties once its child is reaped; rmdir may lag. */
	for (i = 0; cg_dir[0] && i < 100; i++) {
		if (!rmdir(cg_dir) || errno != EBUSY)
			break;
		t_sleep_ms(20);
	}
	if (enabled_here) {
		snprintf(p, sizeof(p), "%s/cgroup.subtree_control", cg_root);
		write_str(p, "-memory");
	}
	if (mounted_here)
		umount(cg_root);
}

/* ---- channels and the budget ---- */

/* Channels in sysfs, and capacity x msg_size over all of them. */
static int census(long long *bytes)
{
	char p[384];
	long long cap, ms;
	struct dirent *d;
	DIR *dp = opendir(T_SYSFS_CLASS);
	int n = 0;

	*bytes = 0;
	if (!dp)
		return -errno;
	while ((d = readdir(dp))) {
		if (strncmp(d->d_name, "chan", 4))
			continue;
		n++;
		snprintf(p, sizeof(p), T_SYSFS_CLASS "/%s/capacity", d->d_name);
		if (t_read_num(p, &cap))
			continue;
		snprintf(p, sizeof(p), T_SYSFS_CLASS "/%s/msg_size", d->d_name);
		if (t_read_num(p, &ms))
			continue;
		*bytes += cap * ms;
	}
	closedir(dp);
	return n;
}

static int set_max_bytes(long long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", v);
	return write_str(T_SYSFS_MODULE "/parameters/max_bytes", buf);
}

static int nodes(void)
{
	struct dirent *d;
	DIR *dp = opendir("/dev");
	int n = 0;

	if (!dp)
		return -errno;
	while ((d = readdir(dp)))
		if (!strncmp(d->d_name, "chan", 4) &&
		    d->d_name[4] >= '0' && d->d_name[4] <= '9')
			n++;
	closedir(dp);
	return n;
}

/* ---- children in the cgroup, one per phase ---- */

enum phase { P_SMALL, P_CREATE_BIG, P_RESIZE_BIG };

struct shared {
	int phase;
	long join;		/* cgroup.procs */
	int small;		/* index of the small channel */
	long open_w, send, create_big, resize_big, resize_small, recv1,
	     recv2, send2, cap_after;
	bool intact;
	long long cur0, cur_created, cur_resized;	/* memory.current */
	unsigned char buf[LEN];
};

static int in_cgroup(void *arg)
{
	struct shared *s = arg;
	unsigned char msg[LEN];
	char pid[32];
	int fd;

	snprintf(pid, sizeof(pid), "%d", getpid());
	s->join = cg_write(cg_dir, "cgroup.procs", pid);
	if (s->join)
		return 2;
	t_fill(msg, LEN, 0x3e3);
	switch (s->phase) {
	case P_SMALL:
		s->cur0 = cg_num("memory.current");
		s->small = t_chan_new(SMALL_CAP, SLOT, 0);
		s->cur_created = cg_num("memory.current");
		fd = s->small >= 0 ? t_chan_open(s->small, O_RDWR) : s->small;
		s->open_w = fd < 0 ? fd : 0;
		if (fd < 0)
			return 2;
		s->send = t_send(fd, msg, LEN, 0);
		close(fd);
		/* The channel outlives its creator: the parent destroys it. */
		t_chan_forget(s->small);
		break;
	case P_CREATE_BIG:
		s->create_big = t_chan_new(BIG_CAP, SLOT, 0);
		if (s->create_big >= 0)
			t_chan_forget((int)s->create_big);
		break;
	case P_RESIZE_BIG:
		fd = t_chan_open(s->small, O_RDWR);
		if (fd < 0)
			return 2;
		s->resize_big = t_set_capacity(fd, BIG_CAP);
		s->cap_after = t_attr(s->small, "capacity");
		s->send2 = t_send(fd, msg, LEN, 0);
		s->recv1 = t_recv(fd, s->buf, LEN, 0);
		s->intact = t_verify(s->buf, LEN, 0x3e3);
		s->recv2 = t_recv(fd, s->buf, LEN, 0);
		s->cur0 = cg_num("memory.current");
		s->resize_small = t_set_capacity(fd, GROW_CAP);
		s->cur_resized = cg_num("memory.current");
		close(fd);
		break;
	}
	return 0;
}

/*
 * Root takes what is queued (each message intact): @want messages, what
 * the cgroup's resizer left; then sends one.
 */
static void check_drain(int idx, int want)
{
	unsigned char buf[LEN];
	int fd = t_chan_open(idx, O_RDWR), n = 0;
	long r;

	if (!T_GE(fd, 0, "root opens chan%d", idx))
		return;
	while ((r = t_recv(fd, buf, LEN, 0)) == LEN && n < 8) {
		n++;
		T_OK(t_verify(buf, LEN, 0x3e3), "root: message %d intact", n);
	}
	T_EQ(r, -EAGAIN, "root: %d message(s) queued, then nothing", n);
	T_EQ(n, want, "root: the messages the resizer did not take are there");
	T_EQ(t_send(fd, buf, LEN, 0), 0, "root: a send works");
	T_EQ(t_recv(fd, buf, LEN, 0), LEN, "root: ... and a receive");
	close(fd);
}

/* memory.current moved by about @want bytes. */
static void check_charge(long long delta, long long want, const char *what)
{
	T_OK(delta >= want - SLACK && delta <= want + 2 * SLACK,
	     "%s: memory.current +%lld, about %lld", what, delta, want);
}

/* Run phase @p in a child in the cgroup: false if it did not exit 0. */
static bool phase(struct shared *s, enum phase p, const char *what)
{
	pid_t pid;
	int st = 0;

	s->phase = p;
	s->join = -1;
	pid = t_fork(in_cgroup, s);
	if (!T_GT(pid, 0, "%s: fork a child", what))
		return false;
	if (t_wait_child(pid, T_TIMEOUT_MS, &st)) {
		T_OK(0, "%s: the child in the cgroup hangs", what);
		return false;
	}
	if (WIFSIGNALED(st)) {
		T_OK(0, "%s: the child in the cgroup returns (it was killed by signal %d%s)",
		     what, WTERMSIG(st),
		     WTERMSIG(st) == SIGKILL ? ", the memcg OOM killer?" : "");
		return false;
	}
	T_EQ(WEXITSTATUS(st), 0, "%s: the child in the cgroup returns", what);
	T_EQ(s->join, 0, "%s: it had joined %s", what, cg_dir);
	return WEXITSTATUS(st) == 0;
}

int main(void)
{
	struct shared *s = t_shared(sizeof(*s));
	long long max0, used, used2, oom0, cur;
	char why[512], buf[32];
	int n0, nodes0, idx, fd;
	const char *no;

	t_init("memcg_limit");
	max0 = t_param_or("max_bytes", T_DEF_MAX_BYTES);
	no = cg_setup(why, sizeof(why));
	if (no) {
		cg_teardown();
		t_skip_all("%s", no);
	}
	snprintf(buf, sizeof(buf), "%lld", MEMMAX);
	if (!T_EQ(cg_write(cg_dir, "memory.max", buf), 0,
		  "%s/memory.max <- %lld", cg_dir, MEMMAX))
		goto out;
	/* No swap to push the test's own pages to instead (if any). */
	cg_write(cg_dir, "memory.swap.max", "0");
	oom0 = cg_key("memory.events", "oom_kill");
	s->small = -1;

	phase(s, P_SMALL, "small");
	if (!T_GE(s->small, 0,
		  "in the cgroup: create a channel of %u x %d bytes",
		  SMALL_CAP, SLOT))
		goto out;
	T_EQ(s->open_w, 0, "... open it for writing (a staging slot)");
	T_EQ(s->send, 0, "... and send a message");
	check_charge(s->cur_created - s->cur0, (long long)SMALL_CAP * SLOT,
		     "its buffers are charged to the creator's cgroup");
	cur = cg_num("memory.current");
	idx = t_chan_new(SMALL_CAP, SLOT, 0);
	if (T_GE(idx, 0, "root, outside the cgroup, creates the same channel")) {
		T_LT(llabs(cg_num("memory.current") - cur), SLACK,
		     "... and the cgroup is not charged for it (memory.current %lld -> %lld)",
		     cur, cg_num("memory.current"));
		T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
	}
	n0 = census(&used);
	nodes0 = nodes();

	/* The budget fits the big channel exactly: only memcg refuses it. */
	T_EQ(set_max_bytes(used + (long long)BIG_CAP * SLOT), 0,
	     "max_bytes <- in use + %u x %d (was %lld)", BIG_CAP, SLOT, max0);
	s->create_big = LONG_MIN;
	phase(s, P_CREATE_BIG, "create");
	T_EQ(s->create_big, -ENOMEM,
	     "in the cgroup: a channel of %u x %d bytes (over memory.max %lld): ENOMEM",
	     BIG_CAP, SLOT, MEMMAX);
	if (s->create_big >= 0)
		t_chan_destroy((int)s->create_big, CHAN_DESTROY_F_FORCE);
	T_EQ(census(&used2), n0, "... no new channel in sysfs");
	T_EQ(used2, used, "... nor any new buffer");
	T_EQ(nodes(), nodes0, "... nor a new node in /dev");
	idx = t_chan_new(BIG_CAP, SLOT, 0);
	T_GE(idx, 0,
	     "root, outside the cgroup, creates it within the same max_bytes: the budget was given back");
	if (idx >= 0)
		T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);

	/* The same for a resize. */
	T_EQ(set_max_bytes(used + (long long)(BIG_CAP - SMALL_CAP) * SLOT), 0,
	     "max_bytes <- in use + what growing to %u needs", BIG_CAP);
	s->resize_big = LONG_MIN;
	if (phase(s, P_RESIZE_BIG, "resize")) {
		T_EQ(s->resize_big, -ENOMEM,
		     "in the cgroup: resizing to %u x %d bytes: ENOMEM",
		     BIG_CAP, SLOT);
		T_EQ(s->cap_after, SMALL_CAP, "... the capacity stays %u",
		     SMALL_CAP);
		T_EQ(s->send2, 0, "... a send works");
		T_EQ(s->recv1, LEN, "... the first message is still there");
		T_OK(s->intact, "... intact");
		T_EQ(s->recv2, LEN, "... and the one sent after the failure");
		T_EQ(s->resize_small, 0,
		     "... a resize to %u (within memory.max) works",
		     GROW_CAP);
		check_charge(s->cur_resized - s->cur0,
			     (long long)(GROW_CAP - SMALL_CAP) * SLOT,
			     "the growth is charged to the resizer's cgroup");
	}
	/* Whatever happened in the cgroup, the channel must be whole. */
	T_OK(t_attr(s->small, "capacity") == SMALL_CAP ||
	     t_attr(s->small, "capacity") == GROW_CAP,
	     "root: the channel's capacity is %u or %u (got %lld)", SMALL_CAP,
	     GROW_CAP, t_attr(s->small, "capacity"));
	/* One sent before the failures, one after; the resizer took some. */
	check_drain(s->small, 1 + (s->send2 == 0) - (s->recv1 == LEN) -
			      (s->recv2 == LEN));
	T_EQ(cg_key("memory.events", "oom_kill") - oom0, 0,
	     "memory.events: no OOM kill in the cgroup (a charge over memory.max fails instead)");
	t_diag("memory.events of the cgroup: max %lld, oom %lld, oom_kill %lld",
	       cg_key("memory.events", "max"), cg_key("memory.events", "oom"),
	       cg_key("memory.events", "oom_kill"));

	/* Within the same max_bytes: growing to BIG_CAP totals the same. */
	fd = t_chan_open(s->small, O_RDWR);
	T_EQ(fd >= 0 ? t_set_capacity(fd, BIG_CAP) : fd, 0,
	     "root resizes the channel to %u: the budget was given back",
	     BIG_CAP);
	if (fd >= 0)
		close(fd);
out:
	if (s->small >= 0)
		T_EQ(t_chan_destroy(s->small, 0), 0, "destroy chan%d",
		     s->small);
	if (set_max_bytes(max0))
		t_diag("cannot restore max_bytes %lld", max0);
	cg_teardown();
	return t_done();
}
