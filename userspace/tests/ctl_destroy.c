// SPDX-License-Identifier: GPL-2.0
/*
 * Description: CHAN_CTL_DESTROY (chan(4), Control device): removes the node and the sysfs
 * directory; ENOENT for a missing or out-of-range index; EBUSY while any fd
 * is open (any access mode), success after close; EINVAL for unknown flags;
 * CHAN_DESTROY_F_FORCE with an fd open succeeds, the node disappears, every
 * later operation on the open fd gives ENODEV (poll reports POLLERR and
 * POLLHUP), closing it is fine, and the index can be reused.
 */
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "helpers.h"

static void check_gone(int idx, const char *when)
{
	char p[96];

	snprintf(p, sizeof(p), T_SYSFS_CLASS "/chan%d", idx);
	T_EQ(t_wait_path(t_chan_path(idx), false, T_NODE_MS), 0,
	     "%s: %s disappears", when, t_chan_path(idx));
	T_EQ(SYS(access(p, F_OK)), -ENOENT, "%s: %s is gone", when, p);
}

static void test_plain(void)
{
	int idx = t_chan_new(2, 16, 0);

	if (!T_GE(idx, 0, "create a channel"))
		return;
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d with no fd open", idx);
	check_gone(idx, "destroy");
	T_EQ(t_chan_destroy(idx, 0), -ENOENT, "destroying it again gives ENOENT");
	T_EQ(t_chan_destroy(idx, CHAN_DESTROY_F_FORCE), -ENOENT,
	     "forced destroy of a missing channel gives ENOENT");
}

static void test_enoent(void)
{
	long long max = t_param_or("max_chans", T_DEF_MAX_CHANS);
	static const int bad[] = { -1, -2, INT_MIN, INT_MAX };
	size_t i;

	T_EQ(t_chan_destroy((int)max, 0), -ENOENT, "destroy index max_chans gives ENOENT");
	for (i = 0; i < T_ARRAY_SIZE(bad); i++)
		T_EQ(t_chan_destroy(bad[i], 0), -ENOENT,
		     "destroy out-of-range index %d gives ENOENT", bad[i]);
}

static void test_busy(void)
{
	static const int modes[] = { O_RDONLY, O_WRONLY, O_RDWR };
	static const char *const names[] = { "O_RDONLY", "O_WRONLY", "O_RDWR" };
	int idx = t_chan_new(2, 16, 0), fd, fd2;
	size_t i;

	if (!T_GE(idx, 0, "create a channel"))
		return;
	for (i = 0; i < T_ARRAY_SIZE(modes); i++) {
		fd = t_chan_open(idx, modes[i]);
		if (!T_GE(fd, 0, "open chan%d %s", idx, names[i]))
			continue;
		T_EQ(t_chan_destroy(idx, 0), -EBUSY,
		     "destroy with an %s fd open gives EBUSY", names[i]);
		T_EQ(SYS(access(t_chan_path(idx), F_OK)), 0, "  ... and the node stays");
		close(fd);
	}
	/* Two fds: still busy after closing one of them. */
	fd = t_chan_open(idx, O_RDONLY);
	fd2 = t_chan_open(idx, O_WRONLY);
	close(fd);
	T_EQ(t_chan_destroy(idx, 0), -EBUSY, "still EBUSY while the second fd is open");
	close(fd2);
	T_EQ(t_chan_destroy(idx, CHAN_DESTROY_F_ALL << 1), -EINVAL,
	     "destroy with an unknown flag gives EINVAL");
	T_EQ(t_chan_destroy(idx, 1u << 31), -EINVAL,
	     "destroy with flag 1 << 31 gives EINVAL");
	T_OK(t_chan_exists(idx), "the channel survives the EINVAL destroys");
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy succeeds once every fd is closed");
	check_gone(idx, "destroy after close");
}

static void check_enodev(int fd, const char *what)
{
	struct chan_timeouts to;
	struct pollfd pfd = { .fd = fd, .events = POLLIN | POLLOUT };
	char buf[16] = "hello";
	__u32 cap = 4;
	int n;

	T_EQ(SYS(write(fd, buf, 5)), -ENODEV, "%s: write gives ENODEV", what);
	T_EQ(SYS(read(fd, buf, sizeof(buf))), -ENODEV, "%s: read gives ENODEV", what);
	T_EQ(t_send(fd, buf, 5, 0), -ENODEV, "%s: CHAN_IOC_SEND gives ENODEV", what);
	T_EQ(t_send(fd, buf, 5, T_TIMEOUT_NS), -ENODEV,
	     "%s: CHAN_IOC_SEND with a 10 s timeout gives ENODEV at once", what);
	T_EQ(t_recv(fd, buf, sizeof(buf), T_TIMEOUT_NS), -ENODEV,
	     "%s: CHAN_IOC_RECV with a 10 s timeout gives ENODEV at once", what);
	T_EQ(t_close_chan(fd), -ENODEV, "%s: CHAN_IOC_CLOSE gives ENODEV", what);
	T_EQ(SYS(ioctl(fd, CHAN_IOC_GET_TIMEOUTS, &to)), -ENODEV,
	     "%s: CHAN_IOC_GET_TIMEOUTS gives ENODEV", what);
	T_EQ(t_set_timeouts(fd, 0, 0), -ENODEV, "%s: CHAN_IOC_SET_TIMEOUTS gives ENODEV",
	     what);
	T_EQ(SYS(ioctl(fd, CHAN_IOC_SET_CAPACITY, &cap)), -ENODEV,
	     "%s: CHAN_IOC_SET_CAPACITY gives ENODEV", what);
	T_EQ(SYS(ioctl(fd, FIONREAD, &n)), -ENODEV, "%s: FIONREAD gives ENODEV", what);
	/* Assumption: a destroyed channel is hung up for everyone: both bits. */
	T_EQ(SYS(poll(&pfd, 1, 0)), 1, "%s: poll reports the fd ready", what);
	T_EQ(pfd.revents & (POLLERR | POLLHUP), POLLERR | POLLHUP,
	     "%s: poll reports POLLERR|POLLHUP (revents %#x)", what, pfd.revents);
}

static void test_force(void)
{
	int idx = t_chan_new(4, 16, 0), fd, fd2, fdn, idx2;
	struct chan_ctl_create c;
	char buf[16];

	if (!T_GE(idx, 0, "create a channel"))
		return;
	fd = t_chan_open(idx, O_RDWR);
	fd2 = t_chan_open(idx, O_RDONLY);
	if (!T_OK(fd >= 0 && fd2 >= 0, "open chan%d O_RDWR and O_RDONLY", idx))
		return;
	/* Bound the plain read/write below should the destroy not wake them. */
	t_set_timeouts(fd, T_TIMEOUT_NS, T_TIMEOUT_NS);
	t_set_timeouts(fd2, T_TIMEOUT_NS, T_TIMEOUT_NS);
	T_EQ(t_send(fd, "queued", 6, 0), 0, "queue a message before the destroy");
	T_EQ(t_chan_destroy(idx, CHAN_DESTROY_F_FORCE), 0,
	     "forced destroy with two fds open succeeds");
	check_gone(idx, "forced destroy");
	check_enodev(fd, "O_RDWR fd after forced destroy");
	T_EQ(SYS(read(fd2, buf, sizeof(buf))), -ENODEV,
	     "O_RDONLY fd after forced destroy: read gives ENODEV (queued message is gone)");
	T_EQ(t_chan_destroy(idx, 0), -ENOENT, "destroying the index again gives ENOENT");
	T_EQ(t_chan_destroy(idx, CHAN_DESTROY_F_FORCE), -ENOENT,
	     "forced destroy of it again gives ENOENT");

	/*
	 * Assumption: the index is free as soon as the destroy returns, even
	 * while old fds still pin the dead channel; the new channel is a
	 * different object that the old fds never reach.
	 */
	c = (struct chan_ctl_create){ .capacity = 2, .msg_size = 16,
		.uid = CHAN_ID_CALLER, .gid = CHAN_ID_CALLER, .index = idx };
	if (T_EQ(t_chan_create(&c), 0, "index %d can be reused while old fds are open", idx)) {
		fdn = t_chan_open(idx, O_RDWR);
		if (T_GE(fdn, 0, "open the new chan%d", idx)) {
			T_EQ(t_send(fdn, "new", 3, 0), 0, "send on the new channel");
			T_EQ(SYS(read(fd, buf, sizeof(buf))), -ENODEV,
			     "the old fd still gives ENODEV, not the new channel's message");
			T_EQ(t_attr(idx, "len"), 1, "the new channel still holds its message");
			T_EQ(t_attr(idx, "readers"), 1, "the new channel counts only its own reader");
			close(fdn);
		}
		T_EQ(t_chan_destroy(idx, 0), 0, "destroy the new channel (old fds do not pin it)");
	}
	T_EQ(SYS(close(fd)), 0, "closing the old O_RDWR fd is fine");
	T_EQ(SYS(close(fd2)), 0, "closing the old O_RDONLY fd is fine");

	/* Reuse after every fd is closed, with index -1 too. */
	c = (struct chan_ctl_create){ .capacity = 2, .msg_size = 16,
		.uid = CHAN_ID_CALLER, .gid = CHAN_ID_CALLER, .index = idx };
	if (T_EQ(t_chan_create(&c), 0, "index %d can be created again after close", idx))
		T_EQ(t_chan_destroy(idx, 0), 0, "destroy it");
	idx2 = t_chan_new(1, 8, 0);
	if (T_GE(idx2, 0, "CREATE with index -1 still works"))
		T_EQ(t_chan_destroy(idx2, 0), 0, "destroy it");
}

int main(void)
{
	t_init("ctl_destroy");
	test_plain();
	test_enoent();
	test_busy();
	test_force();
	return t_done();
}
