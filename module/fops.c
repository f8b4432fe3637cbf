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

/**
 * struct chan_file - an open file of a channel
 * @ch: the channel; the file holds a reference on its device.
 * @send_ns: default timeout of write(2), ABI encoding.
 * @recv_ns: default timeout of read(2), ABI encoding.
 * @bufs: what the file lends to one operation at a time: a staging slot
 *	for sends and a spare page vector for pinning big buffers (xfer.c,
 *	pin.c), allocated at open.
 * @brk_seen: the breaker generation this file last saw (at open, or by
 *	CHAN_IOC_GET_BREAKER_STATUS): POLLPRI while it differs.
 */
struct chan_file {
	struct chan *ch;
	s64 send_ns;
	s64 recv_ns;
	struct chan_file_bufs bufs;
	u64 brk_seen;
};

/*
 * The checks every send path makes first, in this order: the message's
 * size, a closed channel (EPIPE), then the guard: the breaker
 * (ECONNREFUSED) and the rate limiter.
 */
static int send_checks(struct chan *ch, size_t len,
		       const struct chan_timeout *to,
		       struct chan_guard_call *gc)
{
	if (!len)
		return -EINVAL;
	if (len > ch->msg_size)
		return -EMSGSIZE;
	if (READ_ONCE(ch->closed))
		return -EPIPE;
	return chan_guard_begin(ch, gc, to);
}

/*
 * A send of the message in @from. @nowait_only: it does not wait only
 * because io_uring asked (IOCB_NOWAIT), and will retry: its EAGAIN is
 * not an outcome for the breaker.
 */
static ssize_t do_send(struct chan_file *cf, struct iov_iter *from,
		       const struct chan_timeout *to, bool nowait_only)
{
	struct chan_guard_call gc = { .n = 1, .retried = nowait_only };
	size_t len = iov_iter_count(from);
	ssize_t ret;

	ret = send_checks(cf->ch, len, to, &gc);
	if (ret)
		return ret;
	ret = chan_send(cf->ch, from, to, &cf->bufs);
	chan_guard_end(cf->ch, &gc,
		       nowait_only && ret == -EAGAIN ? -ECANCELED : ret ?: 1);
	return ret ? ret : len;
}

static ssize_t do_recv(struct chan_file *cf, struct iov_iter *to_iter,
		       const struct chan_timeout *to)
{
	if (!iov_iter_count(to_iter))
		return -EINVAL;
	return chan_recv(cf->ch, to_iter, to, &cf->bufs);
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

/**
 * chan_file_chan() - the channel of a file, if it is a channel's
 * @file: any file.
 *
 * Return: the channel (the file holds a reference on it), or NULL.
 */
struct chan *chan_file_chan(struct file *file)
{
	struct chan_file *cf = file->private_data;

	return file->f_op == &chan_fops ? cf->ch : NULL;
}

static ssize_t chan_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct chan_file *cf = iocb->ki_filp->private_data;
	struct chan_timeout to;

	if (READ_ONCE(cf->ch->dead))
		return -ENODEV;
	file_timeout(iocb, READ_ONCE(cf->send_ns), &to);
	return do_send(cf, from, &to,
		       (iocb->ki_flags & IOCB_NOWAIT) &&
		       !(iocb->ki_filp->f_flags & O_NONBLOCK));
}

static ssize_t chan_read_iter(struct kiocb *iocb, struct iov_iter *to_iter)
{
	struct chan_file *cf = iocb->ki_filp->private_data;
	struct chan_timeout to;

	if (READ_ONCE(cf->ch->dead))
		return -ENODEV;
	file_timeout(iocb, READ_ONCE(cf->recv_ns), &to);
	return do_recv(cf, to_iter, &to);
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
	if (!send)
		return do_recv(cf, &iter, &to);
	ret = do_send(cf, &iter, &to, false);
	return ret < 0 ? ret : 0;
}

static long ioc_batch(struct file *file, unsigned int cmd, unsigned long arg,
		      bool send)
{
	struct chan_file *cf = file->private_data;
	struct chan_timeout to;
	struct chan_batch b;
	int ret;

	if (!(file->f_mode & (send ? FMODE_WRITE : FMODE_READ)))
		return -EBADF;
	ret = chan_arg_in(&b, sizeof(b), CHAN_BATCH_SIZE_VER0, cmd, arg);
	if (ret)
		return ret;
	if (b.flags || !b.count || b.count > CHAN_BATCH_MAX)
		return -EINVAL;
	ret = chan_timeout_init(&to, b.timeout_ns);
	if (ret)
		return ret;
	if (send) {
		struct chan_guard_call gc = { .n = b.count };

		ret = chan_send_batch(cf->ch, u64_to_user_ptr(b.vec), b.count,
				      &to, &cf->bufs, &gc);
		chan_guard_end(cf->ch, &gc, ret);
		return ret;
	}
	return chan_recv_batch(cf->ch, u64_to_user_ptr(b.vec), b.count, &to,
			       &cf->bufs);
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
	case CHAN_IOC_NOSIZE(CHAN_IOC_SEND_BATCH):
		return ioc_batch(file, cmd, arg, true);
	case CHAN_IOC_NOSIZE(CHAN_IOC_RECV_BATCH):
		return ioc_batch(file, cmd, arg, false);
	case CHAN_IOC_NOSIZE(CHAN_IOC_SELECT):
		return chan_select(cmd, arg);
	case CHAN_IOC_NOSIZE(CHAN_IOC_SET_BREAKER):
	case CHAN_IOC_NOSIZE(CHAN_IOC_GET_BREAKER):
	case CHAN_IOC_NOSIZE(CHAN_IOC_GET_BREAKER_STATUS):
	case CHAN_IOC_NOSIZE(CHAN_IOC_BREAKER_RESET):
	case CHAN_IOC_NOSIZE(CHAN_IOC_BREAKER_ACQUIRE):
	case CHAN_IOC_NOSIZE(CHAN_IOC_BREAKER_REPORT):
	case CHAN_IOC_NOSIZE(CHAN_IOC_SET_RATE):
	case CHAN_IOC_NOSIZE(CHAN_IOC_GET_RATE):
		return chan_guard_ioctl(cf->ch, &cf->brk_seen,
					may_configure(cf->ch), cmd, arg);
	case CHAN_IOC_NOSIZE(CHAN_IOC_GET_INFO):
	case CHAN_IOC_NOSIZE(CHAN_IOC_GET_STATS):
		return chan_observe_ioctl(cf->ch, cmd, arg);
	default:
		return -ENOTTY;
	}
}

static __poll_t chan_poll(struct file *file, struct poll_table_struct *wait)
{
	struct chan_file *cf = file->private_data;
	struct chan *ch = cf->ch;
	__poll_t mask;
	u64 gen;

	/*
	 * Before the state is read: see chan_notify(). Set under rx_lock, so
	 * that a receive keeping its slot back (ring_take() in xfer.c, which
	 * holds rx_lock) either sees it or is seen by chan_poll_mask().
	 */
	if (!READ_ONCE(ch->poll_usage)) {
		spin_lock(&ch->rx_lock);
		WRITE_ONCE(ch->poll_usage, true);
		spin_unlock(&ch->rx_lock);
	}
	poll_wait(file, &ch->poll_wait, wait);
	/* First: it makes (and notifies) what time alone changed. */
	gen = chan_guard_generation(ch);
	mask = chan_poll_mask(ch, file->f_mode);
	if (gen != READ_ONCE(cf->brk_seen))
		mask |= EPOLLPRI;
	return mask;
}

static int chan_open(struct inode *inode, struct file *file)
{
	struct chan *ch = container_of(inode->i_cdev, struct chan, cdev);
	struct chan_file *cf;
	int ret;

	cf = kzalloc(sizeof(*cf), GFP_KERNEL_ACCOUNT);
	if (!cf)
		return -ENOMEM;
	ret = chan_file_bufs_init(&cf->bufs, ch->msg_size,
				  file->f_mode & FMODE_WRITE);
	if (!ret)
		ret = chan_attach(ch, file->f_mode);
	if (ret) {
		chan_file_bufs_destroy(&cf->bufs);
		kfree(cf);
		return ret;
	}
	get_device(&ch->dev);
	cf->ch = ch;
	cf->send_ns = CHAN_TIMEOUT_INFINITE;
	cf->recv_ns = CHAN_TIMEOUT_INFINITE;
	cf->brk_seen = chan_guard_generation(ch);
	file->private_data = cf;
	file->f_mode |= FMODE_NOWAIT;
	return stream_open(inode, file);
}

static int chan_release(struct inode *inode, struct file *file)
{
	struct chan_file *cf = file->private_data;

	chan_detach(cf->ch, file->f_mode);
	put_device(&cf->ch->dev);
	chan_file_bufs_destroy(&cf->bufs);
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
