// SPDX-License-Identifier: GPL-2.0
/*
 * File operations of /dev/chan<N>: open and release, read/write and the
 * per-channel ioctls, poll, fdinfo. Moves messages between user memory and
 * kernel buffers around the calls into core.c, which never touches user
 * memory.
 */

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uio.h>
#include <asm/ioctls.h>

#include "chan.h"

/* Messages up to this size are bounced through the kernel stack. */
#define CHAN_ONSTACK_MAX	256

/**
 * struct chan_file - an open file of a channel
 * @ch: the channel; the file holds a reference on its device.
 * @send_ns: default timeout of write(2), ABI encoding.
 * @recv_ns: default timeout of read(2), ABI encoding.
 */
struct chan_file {
	struct chan *ch;
	s64 send_ns;
	s64 recv_ns;
};

static void *bounce_get(u8 *onstack, u32 len)
{
	if (len <= CHAN_ONSTACK_MAX)
		return onstack;
	return kvmalloc(len, GFP_KERNEL_ACCOUNT);
}

static void bounce_put(void *buf, u8 *onstack)
{
	if (buf != onstack)
		kvfree(buf);
}

static int do_send(struct chan *ch, struct iov_iter *from,
		   const struct chan_timeout *to)
{
	u8 onstack[CHAN_ONSTACK_MAX];
	size_t len = iov_iter_count(from);
	void *buf;
	int ret;

	if (!len)
		return -EINVAL;
	if (len > ch->msg_size)
		return -EMSGSIZE;
	buf = bounce_get(onstack, len);
	if (!buf)
		return -ENOMEM;
	if (copy_from_iter_full(buf, len, from))
		ret = chan_send(ch, buf, len, to);
	else
		ret = -EFAULT;
	bounce_put(buf, onstack);
	return ret;
}

static int do_recv(struct chan *ch, struct iov_iter *to_iter,
		   const struct chan_timeout *to)
{
	u8 onstack[CHAN_ONSTACK_MAX];
	struct chan_waiter w = {
		.cap = min_t(size_t, iov_iter_count(to_iter), ch->msg_size),
	};
	bool delivered;
	int ret;

	if (!w.cap)
		return -EINVAL;
	w.buf = bounce_get(onstack, w.cap);
	if (!w.buf)
		return -ENOMEM;
	ret = chan_recv_start(ch, &w, to);
	if (ret > 0) {
		/* A dying receiver leaves the message to the next one. */
		delivered = !fatal_signal_pending(current) &&
			    copy_to_iter(w.buf, ret, to_iter) == ret;
		chan_recv_finish(ch, &w, delivered);
		if (!delivered)
			ret = -EFAULT;
	}
	bounce_put(w.buf, onstack);
	return ret;
}

static void file_timeout(struct kiocb *iocb, s64 timeout_ns,
			 struct chan_timeout *to)
{
	if ((iocb->ki_flags & IOCB_NOWAIT) ||
	    (iocb->ki_filp->f_flags & O_NONBLOCK))
		timeout_ns = 0;
	/* The stored value was validated by CHAN_IOC_SET_TIMEOUTS. */
	chan_timeout_init(to, timeout_ns);
}

static ssize_t chan_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct chan_file *cf = iocb->ki_filp->private_data;
	size_t len = iov_iter_count(from);
	struct chan_timeout to;
	int ret;

	if (READ_ONCE(cf->ch->dead))
		return -ENODEV;
	file_timeout(iocb, READ_ONCE(cf->send_ns), &to);
	ret = do_send(cf->ch, from, &to);
	return ret ? ret : len;
}

static ssize_t chan_read_iter(struct kiocb *iocb, struct iov_iter *to_iter)
{
	struct chan_file *cf = iocb->ki_filp->private_data;
	struct chan_timeout to;

	if (READ_ONCE(cf->ch->dead))
		return -ENODEV;
	file_timeout(iocb, READ_ONCE(cf->recv_ns), &to);
	return do_recv(cf->ch, to_iter, &to);
}

static long ioc_xfer(struct file *file, unsigned int cmd, unsigned long arg,
		     bool send)
{
	struct chan_file *cf = file->private_data;
	struct chan_timeout to;
	struct chan_xfer x;
	struct iov_iter iter;
	int ret;

	if (!(file->f_mode & (send ? FMODE_WRITE : FMODE_READ)))
		return -EBADF;
	ret = chan_arg_in(&x, sizeof(x), CHAN_XFER_SIZE_VER0, cmd, arg);
	if (ret)
		return ret;
	if (x.flags)
		return -EINVAL;
	ret = chan_timeout_init(&to, x.timeout_ns);
	if (ret)
		return ret;
	iov_iter_ubuf(&iter, send ? ITER_SOURCE : ITER_DEST,
		      u64_to_user_ptr(x.buf), x.len);
	return send ? do_send(cf->ch, &iter, &to) : do_recv(cf->ch, &iter, &to);
}

static long ioc_set_timeouts(struct chan_file *cf, unsigned int cmd,
			     unsigned long arg)
{
	struct chan_timeouts t;
	struct chan_timeout check;
	int ret;

	ret = chan_arg_in(&t, sizeof(t), CHAN_TIMEOUTS_SIZE_VER0, cmd, arg);
	if (ret)
		return ret;
	/* Same encoding as chan_xfer.timeout_ns: one rule, in core.c. */
	if (chan_timeout_init(&check, t.send_ns) ||
	    chan_timeout_init(&check, t.recv_ns))
		return -EINVAL;
	WRITE_ONCE(cf->send_ns, t.send_ns);
	WRITE_ONCE(cf->recv_ns, t.recv_ns);
	return 0;
}

static long ioc_get_timeouts(struct chan_file *cf, unsigned int cmd,
			     unsigned long arg)
{
	struct chan_timeouts t = {
		.send_ns = READ_ONCE(cf->send_ns),
		.recv_ns = READ_ONCE(cf->recv_ns),
	};

	return chan_arg_out(cmd, arg, &t, sizeof(t), CHAN_TIMEOUTS_SIZE_VER0);
}

/* Changing a channel's configuration: CAP_SYS_ADMIN or its owner. */
static bool may_configure(const struct chan *ch)
{
	return uid_eq(current_fsuid(), ch->uid) || capable(CAP_SYS_ADMIN);
}

static long ioc_set_capacity(struct chan_file *cf, unsigned int cmd,
			     unsigned long arg)
{
	u32 capacity;
	int ret;

	ret = chan_arg_in(&capacity, sizeof(capacity), sizeof(capacity), cmd,
			  arg);
	if (ret)
		return ret;
	if (!may_configure(cf->ch))
		return -EPERM;
	return chan_set_capacity(cf->ch, capacity);
}

static long chan_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct chan_file *cf = file->private_data;

	if (cmd != FIONREAD && _IOC_TYPE(cmd) != CHAN_IOC_MAGIC)
		return -ENOTTY;
	if (READ_ONCE(cf->ch->dead))
		return -ENODEV;

	if (cmd == FIONREAD)
		return put_user(chan_next_len(cf->ch), (int __user *)arg);

	switch (CHAN_IOC_NOSIZE(cmd)) {
	case CHAN_IOC_NOSIZE(CHAN_IOC_SEND):
		return ioc_xfer(file, cmd, arg, true);
	case CHAN_IOC_NOSIZE(CHAN_IOC_RECV):
		return ioc_xfer(file, cmd, arg, false);
	case CHAN_IOC_NOSIZE(CHAN_IOC_CLOSE):
		if (!(file->f_mode & FMODE_WRITE))
			return -EBADF;
		chan_close(cf->ch);
		return 0;
	case CHAN_IOC_NOSIZE(CHAN_IOC_SET_TIMEOUTS):
		return ioc_set_timeouts(cf, cmd, arg);
	case CHAN_IOC_NOSIZE(CHAN_IOC_GET_TIMEOUTS):
		return ioc_get_timeouts(cf, cmd, arg);
	case CHAN_IOC_NOSIZE(CHAN_IOC_SET_CAPACITY):
		return ioc_set_capacity(cf, cmd, arg);
	default:
		return -ENOTTY;
	}
}

static __poll_t chan_poll(struct file *file, struct poll_table_struct *wait)
{
	struct chan_file *cf = file->private_data;

	poll_wait(file, &cf->ch->poll_wait, wait);
	return chan_poll_mask(cf->ch, file->f_mode);
}

static int chan_open(struct inode *inode, struct file *file)
{
	struct chan *ch = container_of(inode->i_cdev, struct chan, cdev);
	struct chan_file *cf;
	int ret;

	cf = kzalloc(sizeof(*cf), GFP_KERNEL_ACCOUNT);
	if (!cf)
		return -ENOMEM;
	ret = chan_attach(ch, file->f_mode);
	if (ret) {
		kfree(cf);
		return ret;
	}
	get_device(&ch->dev);
	cf->ch = ch;
	cf->send_ns = CHAN_TIMEOUT_INFINITE;
	cf->recv_ns = CHAN_TIMEOUT_INFINITE;
	file->private_data = cf;
	file->f_mode |= FMODE_NOWAIT;
	return stream_open(inode, file);
}

static int chan_release(struct inode *inode, struct file *file)
{
	struct chan_file *cf = file->private_data;

	chan_detach(cf->ch, file->f_mode);
	put_device(&cf->ch->dev);
	kfree(cf);
	return 0;
}

static void chan_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct chan_file *cf = file->private_data;

	seq_printf(m, "chan-index:\t%u\n", cf->ch->index);
	seq_printf(m, "chan-send-timeout-ns:\t%lld\n", READ_ONCE(cf->send_ns));
	seq_printf(m, "chan-recv-timeout-ns:\t%lld\n", READ_ONCE(cf->recv_ns));
}

const struct file_operations chan_fops = {
	.owner = THIS_MODULE,
	.open = chan_open,
	.release = chan_release,
	.read_iter = chan_read_iter,
	.write_iter = chan_write_iter,
	.poll = chan_poll,
	.unlocked_ioctl = chan_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
	.show_fdinfo = chan_show_fdinfo,
};
