// SPDX-License-Identifier: GPL-2.0
/*
 * Description: argument handling of the per-channel ioctls other than
 * send and receive (chan(4), Extensible structs and Channel ioctls): FIONREAD,
 * CHAN_IOC_SET_TIMEOUTS, CHAN_IOC_GET_TIMEOUTS and CHAN_IOC_SET_CAPACITY
 * with NULL, unmapped and read-only pointers (EFAULT), sizes below the
 * first version (EINVAL), bigger structs with a non-zero tail (E2BIG) or a
 * zero tail (accepted); a bigger GET_TIMEOUTS struct gets its tail zeroed.
 * A refused call changes nothing. The writable sysfs capacity refuses
 * text that is not a number.
 */
#include <sys/ioctl.h>

#include "helpers.h"

#define IOC_SIZED(cmd, size) \
	_IOC(_IOC_DIR(cmd), _IOC_TYPE(cmd), _IOC_NR(cmd), (size))

static void test_fionread(int fd)
{
	T_EQ(SYS(ioctl(fd, FIONREAD, t_null())), -EFAULT, "FIONREAD into NULL: EFAULT");
	T_EQ(SYS(ioctl(fd, FIONREAD, t_bad_ptr())), -EFAULT,
	     "FIONREAD into an unmapped address: EFAULT");
	T_EQ(SYS(ioctl(fd, FIONREAD, t_ro_page())), -EFAULT,
	     "FIONREAD into a read-only page: EFAULT");
}

static void expect_timeouts(int fd, long long send_ns, long long recv_ns,
			    const char *when)
{
	long long s = 0, r = 0;

	T_EQ(t_get_timeouts(fd, &s, &r), 0, "GET_TIMEOUTS %s", when);
	T_EQ(s, send_ns, "send timeout %s", when);
	T_EQ(r, recv_ns, "recv timeout %s", when);
}

static void test_set_timeouts(int fd)
{
	unsigned char big[32];
	struct chan_timeouts t = { .send_ns = 5, .recv_ns = 6 };

	T_EQ(t_set_timeouts(fd, 1000, 2000), 0, "SET_TIMEOUTS 1000/2000");
	T_EQ(SYS(ioctl(fd, CHAN_IOC_SET_TIMEOUTS, t_null())), -EFAULT,
	     "SET_TIMEOUTS from NULL: EFAULT");
	T_EQ(SYS(ioctl(fd, CHAN_IOC_SET_TIMEOUTS, t_bad_ptr())), -EFAULT,
	     "SET_TIMEOUTS from an unmapped address: EFAULT");
	T_EQ(SYS(ioctl(fd, IOC_SIZED(CHAN_IOC_SET_TIMEOUTS, 8), &t)), -EINVAL,
	     "SET_TIMEOUTS with 8 bytes (< SIZE_VER0): EINVAL");
	memset(big, 0, sizeof(big));
	memcpy(big, &t, sizeof(t));
	big[sizeof(t) + 3] = 1;
	T_EQ(SYS(ioctl(fd, IOC_SIZED(CHAN_IOC_SET_TIMEOUTS, 24), big)), -E2BIG,
	     "SET_TIMEOUTS with 24 bytes and a non-zero tail: E2BIG");
	expect_timeouts(fd, 1000, 2000, "unchanged after refused calls");
	big[sizeof(t) + 3] = 0;
	T_EQ(SYS(ioctl(fd, IOC_SIZED(CHAN_IOC_SET_TIMEOUTS, 24), big)), 0,
	     "SET_TIMEOUTS with 24 bytes and a zero tail: accepted");
	expect_timeouts(fd, 5, 6, "after the bigger struct");
}

static void test_get_timeouts(int fd)
{
	unsigned char big[32];
	struct chan_timeouts t;
	size_t i;
	bool tail_zero = true;

	T_EQ(t_set_timeouts(fd, 7, 8), 0, "SET_TIMEOUTS 7/8");
	T_EQ(SYS(ioctl(fd, CHAN_IOC_GET_TIMEOUTS, t_null())), -EFAULT,
	     "GET_TIMEOUTS into NULL: EFAULT");
	T_EQ(SYS(ioctl(fd, CHAN_IOC_GET_TIMEOUTS, t_ro_page())), -EFAULT,
	     "GET_TIMEOUTS into a read-only page: EFAULT");
	T_EQ(SYS(ioctl(fd, IOC_SIZED(CHAN_IOC_GET_TIMEOUTS, 8), &t)), -EINVAL,
	     "GET_TIMEOUTS with 8 bytes (< SIZE_VER0): EINVAL");
	memset(big, 0xaa, sizeof(big));
	T_EQ(SYS(ioctl(fd, IOC_SIZED(CHAN_IOC_GET_TIMEOUTS, 32), big)), 0,
	     "GET_TIMEOUTS into a 32-byte struct");
	memcpy(&t, big, sizeof(t));
	T_EQ(t.send_ns, 7, "bigger struct: send_ns");
	T_EQ(t.recv_ns, 8, "bigger struct: recv_ns");
	for (i = sizeof(t); i < sizeof(big); i++)
		tail_zero &= big[i] == 0;
	T_OK(tail_zero, "bigger struct: the kernel zeroed the bytes past its struct");
}

static void test_set_capacity(int idx, int fd)
{
	__u32 words[2] = { 5, 0 };

	T_EQ(SYS(ioctl(fd, CHAN_IOC_SET_CAPACITY, t_null())), -EFAULT,
	     "SET_CAPACITY from NULL: EFAULT");
	T_EQ(SYS(ioctl(fd, CHAN_IOC_SET_CAPACITY, t_bad_ptr())), -EFAULT,
	     "SET_CAPACITY from an unmapped address: EFAULT");
	T_EQ(SYS(ioctl(fd, IOC_SIZED(CHAN_IOC_SET_CAPACITY, 2), words)), -EINVAL,
	     "SET_CAPACITY with 2 bytes (< 4): EINVAL");
	words[1] = 1;
	T_EQ(SYS(ioctl(fd, IOC_SIZED(CHAN_IOC_SET_CAPACITY, 8), words)), -E2BIG,
	     "SET_CAPACITY with 8 bytes and a non-zero tail: E2BIG");
	T_EQ(t_attr(idx, "capacity"), 3, "capacity unchanged after refused calls");
	words[1] = 0;
	T_EQ(SYS(ioctl(fd, IOC_SIZED(CHAN_IOC_SET_CAPACITY, 8), words)), 0,
	     "SET_CAPACITY with 8 bytes and a zero tail: accepted");
	T_EQ(t_attr(idx, "capacity"), 5, "capacity 5 after it");
}

static void test_sysfs_capacity(int idx)
{
	T_EQ(t_attr_write(idx, "capacity", "many"), -EINVAL,
	     "writing 'many' to sysfs capacity: EINVAL");
	T_EQ(t_attr_write(idx, "capacity", "-1"), -EINVAL,
	     "writing '-1' to sysfs capacity: EINVAL");
	T_EQ(t_attr(idx, "capacity"), 5, "capacity unchanged");
}

int main(void)
{
	int idx, fd;

	t_init("ioctl_args");
	idx = t_chan_new(3, 64, 0);
	if (!T_GE(idx, 0, "create a channel of capacity 3"))
		return t_done();
	fd = t_chan_open(idx, O_RDWR);
	if (T_GE(fd, 0, "open it O_RDWR")) {
		test_fionread(fd);
		test_set_timeouts(fd);
		test_get_timeouts(fd);
		test_set_capacity(idx, fd);
		test_sysfs_capacity(idx);
		close(fd);
	}
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy");
	return t_done();
}
