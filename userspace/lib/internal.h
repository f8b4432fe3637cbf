/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/*
 * libchan internals shared by the files of lib/: the export marker (the
 * library is built with -fvisibility=hidden, lib/libchan.map lists the same
 * names) and the "result or -errno" form of a system call. Helpers here
 * are prefixed libchan_ and never exported.
 */
#ifndef LIBCHAN_INTERNAL_H
#define LIBCHAN_INTERNAL_H

#include <errno.h>
#include <stdint.h>
#include <sys/ioctl.h>

#include <libchan.h>

#define LIBCHAN_API	__attribute__((visibility("default")))

/* A libc call's result, or -errno when it failed. */
static inline long libchan_sys(long r)
{
	return r < 0 ? -(long)errno : r;
}

/* A length longer than the 32 bits of the ABI's len fields (not on ILP32). */
static inline int libchan_len_over(size_t len)
{
	return (uint64_t)len > UINT32_MAX;
}

/* ioctl(2) on a channel fd: its result or -errno. */
static inline int libchan_ioctl(int fd, unsigned long cmd, void *arg)
{
	return (int)libchan_sys(ioctl(fd, cmd, arg));
}

#endif /* LIBCHAN_INTERNAL_H */
