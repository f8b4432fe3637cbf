// SPDX-License-Identifier: GPL-2.0
/*
 * Description: CHAN_CTL_GET_VERSION returns CHAN_ABI_VERSION as the ioctl
 * result; unknown ioctl numbers on the control device give ENOTTY (wrong
 * magic, unused number, wrong direction bits, a channel ioctl), while the
 * size bits alone never change the handler (chan(4), Extensible structs).
 * Control ioctls issued on a channel fd are unknown there: ENOTTY.
 */
#include <stdio.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "helpers.h"

int main(void)
{
	struct chan_ctl_create c = { 0 };
	int ctl, fd;

	t_init("ctl_version");

	ctl = open(CHAN_CONTROL_PATH, O_RDWR);
	if (!T_GE(SYS(ctl), 0, "open %s", CHAN_CONTROL_PATH))
		return t_done();

	T_EQ(SYS(ioctl(ctl, CHAN_CTL_GET_VERSION)), CHAN_ABI_VERSION,
	     "CHAN_CTL_GET_VERSION returns CHAN_ABI_VERSION (%d)", CHAN_ABI_VERSION);
	T_EQ(SYS(ioctl(ctl, CHAN_CTL_GET_VERSION, 0xdeadbeefUL)), CHAN_ABI_VERSION,
	     "CHAN_CTL_GET_VERSION ignores its argument");
	/* chan(4), Extensible structs: the size bits do not select the handler. */
	T_EQ(SYS(ioctl(ctl, _IOC(_IOC_NONE, CHAN_IOC_MAGIC, 0x00, 8))), CHAN_ABI_VERSION,
	     "GET_VERSION with non-zero size bits still dispatches to GET_VERSION");

	T_EQ(SYS(ioctl(ctl, _IO('x', 0x00))), -ENOTTY,
	     "wrong magic ('x', nr 0) gives ENOTTY");
	T_EQ(SYS(ioctl(ctl, _IOWR(0xBD, 0x01, struct chan_ctl_create), &c)), -ENOTTY,
	     "CREATE's number with magic 0xBD gives ENOTTY");
	T_EQ(SYS(ioctl(ctl, _IO(CHAN_IOC_MAGIC, 0x0f))), -ENOTTY,
	     "unused control number 0x0f gives ENOTTY");
	T_EQ(SYS(ioctl(ctl, _IOWR(CHAN_IOC_MAGIC, 0x0e, struct chan_ctl_create), &c)),
	     -ENOTTY, "unused control number 0x0e (with an argument) gives ENOTTY");
	T_EQ(SYS(ioctl(ctl, _IO(CHAN_IOC_MAGIC, 0xff))), -ENOTTY,
	     "number 0xff gives ENOTTY");
	T_EQ(SYS(ioctl(ctl, _IOR(CHAN_IOC_MAGIC, 0x01, struct chan_ctl_create), &c)),
	     -ENOTTY, "CREATE with direction _IOR instead of _IOWR gives ENOTTY");
	T_EQ(SYS(ioctl(ctl, _IOW(CHAN_IOC_MAGIC, 0x01, struct chan_ctl_create), &c)),
	     -ENOTTY, "CREATE with direction _IOW instead of _IOWR gives ENOTTY");
	T_EQ(SYS(ioctl(ctl, _IO(CHAN_IOC_MAGIC, 0x01))), -ENOTTY,
	     "CREATE with no direction bits gives ENOTTY");
	T_EQ(SYS(ioctl(ctl, _IOWR(CHAN_IOC_MAGIC, 0x02, struct chan_ctl_destroy), &c)),
	     -ENOTTY, "DESTROY with direction _IOWR instead of _IOW gives ENOTTY");
	T_EQ(SYS(ioctl(ctl, _IOR(CHAN_IOC_MAGIC, 0x00, int), &c)), -ENOTTY,
	     "GET_VERSION with direction _IOR gives ENOTTY");
	T_EQ(SYS(ioctl(ctl, CHAN_IOC_CLOSE)), -ENOTTY,
	     "a channel ioctl (CHAN_IOC_CLOSE) on the control device gives ENOTTY");
	T_EQ(t_send(ctl, "x", 1, 0), -ENOTTY,
	     "CHAN_IOC_SEND on the control device gives ENOTTY");
	T_EQ(SYS(ioctl(ctl, CHAN_CTL_GET_VERSION)), CHAN_ABI_VERSION,
	     "the control fd still works after the bad ioctls");
	close(ctl);

	/* Control ioctls are unknown on a channel fd. */
	fd = t_chan_open(0, O_RDWR);
	if (T_GE(fd, 0, "open %s", t_chan_path(0))) {
		T_EQ(SYS(ioctl(fd, CHAN_CTL_GET_VERSION)), -ENOTTY,
		     "CHAN_CTL_GET_VERSION on a channel fd gives ENOTTY");
		c.index = CHAN_INDEX_ANY;
		c.msg_size = 1;
		T_EQ(SYS(ioctl(fd, CHAN_CTL_CREATE, &c)), -ENOTTY,
		     "CHAN_CTL_CREATE on a channel fd gives ENOTTY");
		close(fd);
	}
	return t_done();
}
