/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernels kchan supports (Debian's 6.1 and 6.12).
 * This is the only file that looks at LINUX_VERSION_CODE; everything else
 * uses the APIs common to both.
 */
#ifndef _CHAN_COMPAT_H
#define _CHAN_COMPAT_H

#include <linux/version.h>

/*
 * struct device_type.devnode and struct class.get_ownership take a const
 * device from 6.2 on.
 */
#if KERNEL_VERSION(6, 2, 0) <= LINUX_VERSION_CODE
#define CHAN_DEVNODE_CONST const
#else
#define CHAN_DEVNODE_CONST
#endif

/* struct device_type.uevent takes a const device from 6.3 on. */
#if KERNEL_VERSION(6, 3, 0) <= LINUX_VERSION_CODE
#define CHAN_UEVENT_CONST const
#else
#define CHAN_UEVENT_CONST
#endif

/* The segments of an ITER_IOVEC iterator: ->iov became ->__iov in 6.4. */
#if KERNEL_VERSION(6, 4, 0) <= LINUX_VERSION_CODE
#define chan_iter_iov(iter)	iter_iov(iter)
#else
#define chan_iter_iov(iter)	((iter)->iov)
#endif

#endif /* _CHAN_COMPAT_H */
