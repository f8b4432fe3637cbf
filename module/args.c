// SPDX-License-Identifier: GPL-2.0
/*
 * Copying ioctl arguments: every argument struct is extensible in the
 * openat2/sched_attr way, with its size taken from the ioctl number.
 */

#include <linux/ioctl.h>
#include <linux/uaccess.h>

#include "chan.h"

/**
 * chan_arg_in() - copy an extensible argument struct from user space
 * @dst: kernel struct.
 * @ksize: its size.
 * @ver0: the smallest size the ABI ever had (*_SIZE_VER0).
 * @cmd: the ioctl number, whose size bits give the caller's size.
 * @arg: the user address.
 *
 * A smaller caller struct is zero-extended; a bigger one must have zeros
 * past @ksize.
 *
 * Return: 0, -EINVAL (smaller than @ver0), -E2BIG (non-zero tail) or -EFAULT.
 */
int chan_arg_in(void *dst, size_t ksize, size_t ver0, unsigned int cmd,
		unsigned long arg)
{
	size_t usize = _IOC_SIZE(cmd);

	if (usize < ver0)
		return -EINVAL;
	return copy_struct_from_user(dst, ksize, (void __user *)arg, usize);
}

/**
 * chan_arg_out() - copy an extensible argument struct to user space
 * @cmd: the ioctl number, whose size bits give the caller's size.
 * @arg: the user address.
 * @src: kernel struct.
 * @ksize: its size.
 * @ver0: the smallest size the ABI ever had (*_SIZE_VER0).
 *
 * A smaller caller struct gets the fields it knows; a bigger one gets
 * zeros past @ksize.
 *
 * Return: 0, -EINVAL (smaller than @ver0) or -EFAULT.
 */
int chan_arg_out(unsigned int cmd, unsigned long arg, const void *src,
		 size_t ksize, size_t ver0)
{
	void __user *uarg = (void __user *)arg;
	size_t usize = _IOC_SIZE(cmd);

	if (usize < ver0)
		return -EINVAL;
	if (copy_to_user(uarg, src, min(usize, ksize)))
		return -EFAULT;
	if (usize > ksize && clear_user(uarg + ksize, usize - ksize))
		return -EFAULT;
	return 0;
}
