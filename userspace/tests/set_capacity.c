// SPDX-License-Identifier: GPL-2.0
/*
 * Description: CHAN_IOC_SET_CAPACITY and the writable sysfs capacity
 * (chan(4), Capacity changes): EBUSY below the current length (equal is fine), EINVAL
 * above max_capacity, ENOMEM over max_bytes (also where the product
 * overflows 32 bits), EFAULT for a bad pointer; messages survive resizes in
 * order; growing wakes parked senders, which complete in the order they
 * parked; shrinking to 0 on an empty channel makes it unbuffered; sysfs
 * capacity reflects every change and takes writes from root with the same
 * errors; an unprivileged process that does not own the channel gets EPERM
 * (and cannot open the sysfs file for writing), the channel's owner may
 * resize it.
 */
#include <sys/stat.h>

#include "helpers.h"

#define MSG 64

static long long max_capacity, max_msg_size;

static void test_rules(void)
{
	int idx = t_chan_new(4, MSG, 0), fd, i;
	unsigned char buf[MSG];
	struct t_op *op;
	pid_t pid;

	if (!T_GE(idx, 0, "create a channel of capacity 4"))
		return;
	fd = t_chan_open(idx, O_RDWR);
	for (i = 0; i < 3; i++) {
		t_fill(buf, 10 + i, i);
		T_EQ(t_send(fd, buf, 10 + i, 0), 0, "queue message %d", i);
	}
	T_EQ(t_set_capacity(fd, 2), -EBUSY, "capacity 2 below len 3: EBUSY");
	T_EQ(t_set_capacity(fd, 0), -EBUSY, "capacity 0 below len 3: EBUSY");
	T_EQ(t_attr(idx, "capacity"), 4, "  ... capacity stays 4");
	T_EQ(t_set_capacity(fd, 3), 0, "capacity 3 == len: works");
	T_EQ(t_attr(idx, "capacity"), 3, "sysfs capacity shows 3");
	T_EQ(t_send(fd, buf, 1, 0), -EAGAIN, "the channel is now full");
	T_EQ(t_set_capacity(fd, max_capacity + 1), -EINVAL, "capacity max_capacity+1 (%lld): EINVAL",
	     max_capacity + 1);
	T_EQ(t_set_capacity(fd, 0xffffffffu), -EINVAL, "capacity 0xffffffff: EINVAL");
	T_EQ(SYS(ioctl(fd, CHAN_IOC_SET_CAPACITY, t_bad_ptr())), -EFAULT,
	     "CHAN_IOC_SET_CAPACITY with an unmapped pointer: EFAULT");
	T_EQ(t_attr(idx, "capacity"), 3, "  ... capacity stays 3");
	T_EQ(t_set_capacity(fd, 10), 0, "grow to 10");
	T_EQ(t_attr(idx, "capacity"), 10, "sysfs capacity shows 10");
	T_EQ(t_attr(idx, "len"), 3, "the 3 messages are still queued");
	t_fill(buf, 13, 3);
	T_EQ(t_send(fd, buf, 13, 0), 0, "queue a 4th");
	T_EQ(t_set_capacity(fd, 4), 0, "shrink to 4 (== len)");
	for (i = 0; i < 4; i++) {
		memset(buf, 0, sizeof(buf));
		T_EQ(t_recv(fd, buf, sizeof(buf), 0), 10 + i, "receive message %d after the resizes", i);
		T_OK(t_verify(buf, 10 + i, i), "  ... in order and intact");
	}

	/* Shrinking to 0 on an empty channel makes it unbuffered. */
	T_EQ(t_set_capacity(fd, 0), 0, "shrink to 0 when empty");
	T_EQ(t_attr(idx, "capacity"), 0, "sysfs capacity shows 0");
	T_EQ(t_send(fd, buf, 1, 0), -EAGAIN, "cap 0: a try-send without a receiver: EAGAIN");
	op = t_op_new(T_OP_READ, idx, O_RDONLY, MSG);
	pid = T_OP_PARK(op, "waiting_receivers", 1);
	t_fill(buf, 5, 55);
	T_EQ(t_send(fd, buf, 5, 0), 0, "cap 0: a try-send to a parked receiver works");
	T_CHILD(pid, T_TIMEOUT_MS, 0, "the receiver returns");
	T_EQ(op->ret, 5, "  ... with the message");
	T_EQ(t_set_capacity(fd, 2), 0, "grow back to 2");
	T_EQ(t_send(fd, buf, 1, 0), 0, "a try-send now queues");
	close(fd);
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

static void test_enomem(void)
{
	int idx, fd;

	idx = t_chan_new(1, max_msg_size, 0);
	if (T_GE(idx, 0, "create a channel of capacity 1, msg_size %lld", max_msg_size)) {
		fd = t_chan_open(idx, O_RDWR);
		T_EQ(t_set_capacity(fd, max_capacity), -ENOMEM,
		     "capacity %lld x %lld bytes is over max_bytes: ENOMEM", max_capacity, max_msg_size);
		T_EQ(t_attr(idx, "capacity"), 1, "  ... capacity stays 1");
		close(fd);
		T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
	}
	if (max_capacity < 65536 || max_msg_size < 65536)
		return;
	idx = t_chan_new(1, 65536, 0);
	if (T_GE(idx, 0, "create a channel of capacity 1, msg_size 65536")) {
		fd = t_chan_open(idx, O_RDWR);
		T_EQ(t_set_capacity(fd, 65536), -ENOMEM,
		     "capacity 65536 x 65536 (2^32, wraps in 32 bits): ENOMEM");
		T_EQ(t_attr(idx, "capacity"), 1, "  ... capacity stays 1");
		close(fd);
		T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
	}
}

/* Senders parked on a full channel complete when it grows, in order. */
static void test_grow_wakes(bool by_sysfs)
{
	const char *how = by_sysfs ? "writing sysfs capacity" : "CHAN_IOC_SET_CAPACITY";
	int idx = t_chan_new(1, MSG, 0), fd, i;
	unsigned char buf[MSG];
	struct t_op *op[3];
	pid_t pid[3];

	if (!T_GE(idx, 0, "create a channel of capacity 1"))
		return;
	fd = t_chan_open(idx, O_RDWR);
	t_fill(buf, 8, 100);
	T_EQ(t_send(fd, buf, 8, 0), 0, "fill it");
	for (i = 0; i < 3; i++) {
		op[i] = t_op_new(i == 1 ? T_OP_SEND : T_OP_WRITE, idx, O_WRONLY, 9 + i);
		t_fill(op[i]->buf, 9 + i, 101 + i);
		pid[i] = T_OP_PARK(op[i], "waiting_senders", i + 1);
	}
	if (by_sysfs)
		T_EQ(t_attr_write(idx, "capacity", "4\n"), 0, "grow to 4 by %s", how);
	else
		T_EQ(t_set_capacity(fd, 4), 0, "grow to 4 by %s", how);
	for (i = 0; i < 3; i++) {
		T_CHILD(pid[i], T_TIMEOUT_MS, 0, "%s woke parked sender %d", how, i);
		T_EQ(op[i]->ret, op[i]->kind == T_OP_WRITE ? 9 + i : 0, "  ... it completed");
	}
	T_EQ(t_attr(idx, "len"), 4, "len is 4");
	T_EQ(t_attr(idx, "waiting_senders"), 0, "nobody parked");
	for (i = 0; i < 4; i++) {
		memset(buf, 0, sizeof(buf));
		T_EQ(t_recv(fd, buf, sizeof(buf), 0), 8 + i, "receive message %d", i);
		T_OK(t_verify(buf, 8 + i, 100 + i),
		     "  ... the filler first, then the parked senders in the order they parked (id %u)",
		     t_msg_id(buf, 8 + i));
	}
	close(fd);
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

static void test_sysfs_write(void)
{
	int idx = t_chan_new(4, MSG, 0), fd, i;
	char path[96], val[32];
	struct stat st;

	if (!T_GE(idx, 0, "create a channel of capacity 4"))
		return;
	snprintf(path, sizeof(path), T_SYSFS_CLASS "/chan%d/capacity", idx);
	if (T_EQ(SYS(stat(path, &st)), 0, "stat %s", path))
		T_EQ(st.st_mode & 0777, 0644, "sysfs capacity is mode 0644 (root-writable)");
	T_EQ(t_attr_write(idx, "capacity", "7\n"), 0, "write 7 to sysfs capacity");
	T_EQ(t_attr(idx, "capacity"), 7, "it reads 7");
	T_EQ(t_attr_write(idx, "capacity", "5"), 0, "write 5 (no newline)");
	T_EQ(t_attr(idx, "capacity"), 5, "it reads 5");
	T_EQ(t_attr_write(idx, "capacity", "abc\n"), -EINVAL, "write 'abc': EINVAL");
	T_EQ(t_attr_write(idx, "capacity", "-1\n"), -EINVAL, "write '-1': EINVAL");
	snprintf(val, sizeof(val), "%lld\n", max_capacity + 1);
	T_EQ(t_attr_write(idx, "capacity", val), -EINVAL, "write max_capacity+1: EINVAL");
	fd = t_chan_open(idx, O_RDWR);
	for (i = 0; i < 3; i++)
		t_send(fd, "m", 1, 0);
	T_EQ(t_attr_write(idx, "capacity", "2\n"), -EBUSY, "write 2 below len 3: EBUSY");
	T_EQ(t_attr(idx, "capacity"), 5, "capacity stays 5");
	T_EQ(t_attr(idx, "len"), 3, "len stays 3");
	close(fd);
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

struct perm {
	int idx;
	long set;
	long sysfs_open;
};

static int unprivileged_resize(void *arg)
{
	struct perm *p = arg;
	char path[96];
	int fd;

	p->set = t_drop_privs();
	if (p->set)
		return 2;
	fd = t_chan_open(p->idx, O_RDWR);
	if (fd < 0) {
		p->set = fd;
		return 3;
	}
	p->set = t_set_capacity(fd, 8);
	snprintf(path, sizeof(path), T_SYSFS_CLASS "/chan%d/capacity", p->idx);
	p->sysfs_open = SYS(open(path, O_WRONLY));
	return 0;
}

static void test_perm(void)
{
	struct perm *p = t_shared(sizeof(*p));
	pid_t pid;
	int fd, r;

	p->idx = t_chan_new_ex(2, MSG, 0, 0666, 0, 0);
	if (T_GE(p->idx, 0, "create a root-owned channel of mode 0666")) {
		pid = t_fork(unprivileged_resize, p);
		T_CHILD(pid, T_TIMEOUT_MS, 0, "unprivileged child ran");
		T_EQ(p->set, -EPERM, "an unprivileged non-owner gets EPERM from SET_CAPACITY");
		T_EQ(p->sysfs_open, -EACCES,
		     "an unprivileged process cannot open sysfs capacity for writing");
		T_EQ(t_attr(p->idx, "capacity"), 2, "  ... capacity stays 2");
		/* chan(4) does not say what an O_RDONLY fd may do: reported, not asserted. */
		fd = t_chan_open(p->idx, O_RDONLY);
		r = t_set_capacity(fd, 3);
		t_diag("note: root's SET_CAPACITY through an O_RDONLY fd gives %d (%s); chan(4) does not say",
		       r, r ? strerrorname_np(-r) ?: "?" : "success");
		close(fd);
		T_EQ(t_chan_destroy(p->idx, 0), 0, "destroy chan%d", p->idx);
	}

	p->idx = t_chan_new_ex(2, MSG, 0, 0600, 65534, 65534);
	if (T_GE(p->idx, 0, "create a channel owned by uid 65534")) {
		pid = t_fork(unprivileged_resize, p);
		T_CHILD(pid, T_TIMEOUT_MS, 0, "the owner child ran");
		T_EQ(p->set, 0, "the channel's (unprivileged) owner may SET_CAPACITY");
		T_EQ(t_attr(p->idx, "capacity"), 8, "  ... capacity is 8");
		T_EQ(t_chan_destroy(p->idx, 0), 0, "destroy chan%d", p->idx);
	}
}

int main(void)
{
	t_init("set_capacity");
	max_capacity = t_param_or("max_capacity", T_DEF_MAX_CAPACITY);
	max_msg_size = t_param_or("max_msg_size", T_DEF_MAX_MSG_SIZE);
	test_rules();
	test_enomem();
	test_grow_wakes(false);
	test_grow_wakes(true);
	test_sysfs_write();
	test_perm();
	return t_done();
}
