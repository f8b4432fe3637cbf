// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * libchan: moving messages. One message with read(2)/write(2) (the fd's
 * own blocking mode and default timeouts) or with CHAN_IOC_SEND/RECV (an
 * explicit timeout), Go's close(ch), batches and select.
 */
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/* struct chan_xfer.len is 32 bits: a longer message cannot be sent. */
static int xfer_send(int fd, const void *buf, size_t len, int64_t timeout_ns)
{
	struct chan_xfer x = {
		.buf = (__u64)(uintptr_t)buf,
		.len = (__u32)len,
		.timeout_ns = timeout_ns,
	};

	if (libchan_len_over(len))
		return -EMSGSIZE;
	return libchan_ioctl(fd, CHAN_IOC_SEND, &x);
}

/* A receive buffer larger than 32 bits is used up to UINT32_MAX. */
static ssize_t xfer_recv(int fd, void *buf, size_t len, int64_t timeout_ns)
{
	struct chan_xfer x = {
		.buf = (__u64)(uintptr_t)buf,
		.len = libchan_len_over(len) ? UINT32_MAX : (__u32)len,
		.timeout_ns = timeout_ns,
	};

	return libchan_ioctl(fd, CHAN_IOC_RECV, &x);
}

LIBCHAN_API int chan_send(int fd, const void *buf, size_t len)
{
	ssize_t n;

	if (libchan_len_over(len))
		return -EMSGSIZE;
	n = libchan_sys(write(fd, buf, len));
	/* A message goes whole or not at all. */
	return n < 0 ? (int)n : 0;
}

LIBCHAN_API int chan_send_timeout(int fd, const void *buf, size_t len,
				  int64_t timeout_ns)
{
	return xfer_send(fd, buf, len, timeout_ns);
}

LIBCHAN_API int chan_try_send(int fd, const void *buf, size_t len)
{
	return xfer_send(fd, buf, len, 0);
}

LIBCHAN_API ssize_t chan_recv(int fd, void *buf, size_t len)
{
	if (libchan_len_over(len))
		len = UINT32_MAX;
	return libchan_sys(read(fd, buf, len));
}

LIBCHAN_API ssize_t chan_recv_timeout(int fd, void *buf, size_t len,
				      int64_t timeout_ns)
{
	return xfer_recv(fd, buf, len, timeout_ns);
}

LIBCHAN_API ssize_t chan_try_recv(int fd, void *buf, size_t len)
{
	return xfer_recv(fd, buf, len, 0);
}

LIBCHAN_API int chan_close(int fd)
{
	return libchan_ioctl(fd, CHAN_IOC_CLOSE, NULL);
}

static int batch(int fd, unsigned long cmd, struct chan_iov *vec,
		 unsigned int count, int64_t timeout_ns)
{
	struct chan_batch b = {
		.vec = (__u64)(uintptr_t)vec,
		.count = count,
		.timeout_ns = timeout_ns,
	};

	return libchan_ioctl(fd, cmd, &b);
}

LIBCHAN_API int chan_send_batch(int fd, struct chan_iov *vec,
				unsigned int count, int64_t timeout_ns)
{
	return batch(fd, CHAN_IOC_SEND_BATCH, vec, count, timeout_ns);
}

LIBCHAN_API int chan_recv_batch(int fd, struct chan_iov *vec,
				unsigned int count, int64_t timeout_ns)
{
	return batch(fd, CHAN_IOC_RECV_BATCH, vec, count, timeout_ns);
}

static void select_case(struct chan_select_case *c, int fd, __u32 op,
			const void *buf, size_t len)
{
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->op = op;
	c->buf = (__u64)(uintptr_t)buf;
	/* Too long for a send: longer than any msg_size, EMSGSIZE. */
	c->len = libchan_len_over(len) ? UINT32_MAX : (__u32)len;
}

LIBCHAN_API void chan_case_send(struct chan_select_case *c, int fd,
				const void *buf, size_t len)
{
	select_case(c, fd, CHAN_OP_SEND, buf, len);
}

LIBCHAN_API void chan_case_recv(struct chan_select_case *c, int fd,
				void *buf, size_t len)
{
	select_case(c, fd, CHAN_OP_RECV, buf, len);
}

LIBCHAN_API int chan_select(struct chan_select_case *cases,
			    unsigned int ncases, int64_t timeout_ns)
{
	struct chan_select s = {
		.cases = (__u64)(uintptr_t)cases,
		.ncases = ncases,
		.timeout_ns = timeout_ns,
	};

	/* Issued on the first case's fd: there must be one. */
	if (!cases || !ncases)
		return -EINVAL;
	return libchan_ioctl(cases[0].fd, CHAN_IOC_SELECT, &s);
}
