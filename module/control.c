// SPDX-License-Identifier: GPL-2.0
/*
 * The registry of channels and /dev/chan-control: the chrdev region, the
 * "chan" class, the index allocator, the max_bytes budget, and the
 * CHAN_CTL_* ioctls that create and destroy channels.
 *
 * Lifetime: a channel is a struct device with an embedded cdev. The
 * registry (chan_ids) holds one device reference from create to destroy;
 * every open file holds another (fops.c), so a forced destroy removes the
 * node and the index while open files keep the memory alive until the last
 * of them is released, and the device release frees the channel.
 * chan_ctl_mutex serialises create and destroy; it nests outside chan->lock.
 */

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/ctype.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/nospec.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <kunit/visibility.h>

#include "chan.h"
#include "compat.h"

static DEFINE_MUTEX(chan_ctl_mutex);
static DEFINE_XARRAY_ALLOC(chan_ids);
static dev_t chan_devt;
static u32 chan_nr_minors;

/*
 * A channel's sysfs files belong to its owner, as its node does: whoever
 * may reconfigure it through ioctls may write its rw files too (the
 * stores check the same rights).
 */
static void chan_get_ownership(CHAN_DEVNODE_CONST struct device *dev,
			       kuid_t *uid, kgid_t *gid)
{
	const struct chan *ch = container_of(dev, struct chan, dev);

	*uid = ch->uid;
	*gid = ch->gid;
}

static struct class chan_class = {
	.name = "chan",
	.dev_groups = chan_dev_groups,
	.get_ownership = chan_get_ownership,
};

static char *chan_devnode(CHAN_DEVNODE_CONST struct device *dev,
			  umode_t *mode, kuid_t *uid, kgid_t *gid)
{
	const struct chan *ch = container_of(dev, struct chan, dev);

	if (mode)
		*mode = ch->mode;
	if (uid)
		*uid = ch->uid;
	if (gid)
		*gid = ch->gid;
	return NULL;
}

/*
 * What udev needs: CHAN_NAME for the /dev/chan/<name> link, and
 * CHAN_ACCESS=default when the creator asked for neither mode nor owner,
 * so that the installed rule may open the node to the "chan" group.
 */
static int chan_dev_uevent(CHAN_UEVENT_CONST struct device *dev,
			   struct kobj_uevent_env *env)
{
	const struct chan *ch = container_of(dev, struct chan, dev);
	int ret = 0;

	if (ch->name[0])
		ret = add_uevent_var(env, "CHAN_NAME=%s", ch->name);
	if (!ret && ch->default_access)
		ret = add_uevent_var(env, "CHAN_ACCESS=default");
	return ret;
}

static const struct device_type chan_dev_type = {
	.name = "chan",
	.devnode = chan_devnode,
	.uevent = chan_dev_uevent,
};

/*
 * A name is NUL-padded: 1..CHAN_NAME_MAX - 1 bytes of [A-Za-z0-9._-], not
 * starting with '.' (no "." or ".." and no hidden files under /dev/chan/),
 * then zeros to the end; or all zeros for none.
 */
static bool valid_name(const u8 *name)
{
	size_t len = strnlen(name, CHAN_NAME_MAX), i;

	if (len == CHAN_NAME_MAX || name[0] == '.')
		return false;
	/* ASCII only: the kernel's isalnum() takes Latin-1 letters too. */
	for (i = 0; i < len; i++)
		if (!isascii(name[i]) ||
		    (!isalnum(name[i]) && !strchr("._-", name[i])))
			return false;
	return !memchr_inv(name + len, 0, CHAN_NAME_MAX - len);
}

/**
 * chan_ctl_validate_create() - check a create request against the limits
 * @req: the request, as copied from user space.
 * @lim: the limits.
 *
 * Sizes are checked before the byte budget, which the caller charges;
 * whether the name is taken is checked at creation.
 *
 * Return: 0 or -EINVAL.
 */
int chan_ctl_validate_create(const struct chan_ctl_create *req,
			     const struct chan_limits *lim)
{
	if (req->__reserved || req->flags & ~CHAN_CREATE_F_ALL ||
	    req->mode & ~0777U || !valid_name(req->name))
		return -EINVAL;
	if (!req->msg_size || req->msg_size > lim->max_msg_size ||
	    req->capacity > lim->max_capacity)
		return -EINVAL;
	if (req->index < CHAN_INDEX_ANY ||
	    (req->index >= 0 && (u32)req->index >= lim->max_chans))
		return -EINVAL;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(chan_ctl_validate_create);

/**
 * chan_ids_alloc() - give an entry an index
 * @ids: an allocating xarray.
 * @entry: what to store.
 * @want: the wanted index, or CHAN_INDEX_ANY for the lowest free one.
 * @max_ids: indices are below this.
 * @id: the index given.
 *
 * Return: 0; -EEXIST if @want is taken; -ENOSPC if no index is free;
 * -EINVAL if @want is out of range; -ENOMEM.
 */
int chan_ids_alloc(struct xarray *ids, void *entry, s32 want, u32 max_ids,
		   u32 *id)
{
	int ret;

	if (want == CHAN_INDEX_ANY) {
		ret = xa_alloc(ids, id, entry, XA_LIMIT(0, max_ids - 1),
			       GFP_KERNEL);
		return ret == -EBUSY ? -ENOSPC : ret;
	}
	if (want < 0 || (u32)want >= max_ids)
		return -EINVAL;
	want = array_index_nospec(want, max_ids);
	ret = xa_insert(ids, want, entry, GFP_KERNEL);
	if (ret == -EBUSY)
		return -EEXIST;
	if (!ret)
		*id = want;
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(chan_ids_alloc);

/* Called with chan_ctl_mutex held. */
static bool name_taken(const char *name)
{
	struct chan *ch;
	unsigned long i;

	lockdep_assert_held(&chan_ctl_mutex);
	if (!name[0])
		return false;
	xa_for_each(&chan_ids, i, ch)
		if (!strcmp(ch->name, name))
			return true;
	return false;
}

static void chan_dev_release(struct device *dev)
{
	chan_free(container_of(dev, struct chan, dev));
}

static int resolve_owner(const struct chan_ctl_create *req, kuid_t *uid,
			 kgid_t *gid)
{
	*uid = req->uid == CHAN_ID_CALLER ? current_fsuid() :
		make_kuid(current_user_ns(), req->uid);
	*gid = req->gid == CHAN_ID_CALLER ? current_fsgid() :
		make_kgid(current_user_ns(), req->gid);
	return uid_valid(*uid) && gid_valid(*gid) ? 0 : -EINVAL;
}

/**
 * chan_ctl_create_channel() - create a channel and its node
 * @req: a request; ->index is the wanted index or CHAN_INDEX_ANY.
 * @lim: the limits to create it under.
 *
 * Context: process context, may sleep; takes chan_ctl_mutex.
 * Return: the channel with a device reference for the caller to put, or an
 * ERR_PTR() with the errors of CHAN_CTL_CREATE.
 */
struct chan *chan_ctl_create_channel(const struct chan_ctl_create *req,
				     const struct chan_limits *lim)
{
	u64 bytes = (u64)req->capacity * req->msg_size;
	struct chan *ch;
	kuid_t uid;
	kgid_t gid;
	u32 id;
	int ret;

	ret = chan_ctl_validate_create(req, lim);
	if (!ret)
		ret = resolve_owner(req, &uid, &gid);
	if (ret)
		return ERR_PTR(ret);
	ret = chan_budget_charge(bytes, lim->max_bytes);
	if (ret)
		return ERR_PTR(ret);
	ch = chan_alloc(req->capacity, req->msg_size, req->flags);
	if (IS_ERR(ch)) {
		chan_budget_uncharge(bytes);
		return ch;
	}
	ch->charged = bytes;
	ch->mode = req->mode ? req->mode : 0600;
	ch->uid = uid;
	ch->gid = gid;
	ch->default_access = !req->mode && req->uid == CHAN_ID_CALLER &&
			     req->gid == CHAN_ID_CALLER;
	memcpy(ch->name, req->name, CHAN_NAME_MAX);

	mutex_lock(&chan_ctl_mutex);
	ret = name_taken(ch->name) ? -EEXIST :
		chan_ids_alloc(&chan_ids, ch, req->index,
			       min(lim->max_chans, chan_nr_minors), &id);
	if (ret) {
		mutex_unlock(&chan_ctl_mutex);
		chan_free(ch);
		return ERR_PTR(ret);
	}
	ch->index = id;
	device_initialize(&ch->dev);
	ch->dev.class = &chan_class;
	ch->dev.type = &chan_dev_type;
	ch->dev.devt = MKDEV(MAJOR(chan_devt), id);
	ch->dev.release = chan_dev_release;
	cdev_init(&ch->cdev, &chan_fops);
	ch->cdev.owner = THIS_MODULE;
	ret = dev_set_name(&ch->dev, "chan%u", id);
	if (!ret)
		ret = cdev_device_add(&ch->cdev, &ch->dev);
	if (ret) {
		xa_erase(&chan_ids, id);
		mutex_unlock(&chan_ctl_mutex);
		put_device(&ch->dev);
		return ERR_PTR(ret);
	}
	chan_sysfs_added(ch);
	chan_debugfs_add(ch);
	/* A destroy may follow as soon as the mutex is dropped. */
	get_device(&ch->dev);
	mutex_unlock(&chan_ctl_mutex);
	return ch;
}

/* Called with chan_ctl_mutex held. */
static int destroy_locked(struct chan *ch, bool force)
{
	int ret = chan_kill(ch, force);

	if (ret)
		return ret;
	xa_erase(&chan_ids, ch->index);
	chan_debugfs_remove(ch);
	cdev_device_del(&ch->cdev, &ch->dev);
	put_device(&ch->dev);
	return 0;
}

static long ctl_create(unsigned int cmd, unsigned long arg)
{
	struct chan_ctl_create req;
	struct chan_limits lim;
	struct chan *ch;
	int ret;

	ret = chan_arg_in(&req, sizeof(req), CHAN_CTL_CREATE_SIZE_VER0, cmd,
			  arg);
	if (ret)
		return ret;
	chan_limits_get(&lim);
	ch = chan_ctl_create_channel(&req, &lim);
	if (IS_ERR(ch))
		return PTR_ERR(ch);
	req.index = ch->index;
	ret = chan_arg_out(cmd, arg, &req, sizeof(req),
			   CHAN_CTL_CREATE_SIZE_VER0);
	if (ret) {
		/* The caller cannot learn the index: undo, unless gone already. */
		mutex_lock(&chan_ctl_mutex);
		if (xa_load(&chan_ids, ch->index) == ch)
			destroy_locked(ch, true);
		mutex_unlock(&chan_ctl_mutex);
	}
	put_device(&ch->dev);
	return ret;
}

static long ctl_destroy(unsigned int cmd, unsigned long arg)
{
	struct chan_ctl_destroy req;
	struct chan *ch;
	u32 index;
	int ret;

	ret = chan_arg_in(&req, sizeof(req), CHAN_CTL_DESTROY_SIZE_VER0, cmd,
			  arg);
	if (ret)
		return ret;
	if (req.flags & ~CHAN_DESTROY_F_ALL)
		return -EINVAL;
	if (req.index < 0 || (u32)req.index >= chan_nr_minors)
		return -ENOENT;
	index = array_index_nospec((u32)req.index, chan_nr_minors);

	mutex_lock(&chan_ctl_mutex);
	ch = xa_load(&chan_ids, index);
	ret = ch ? destroy_locked(ch, req.flags & CHAN_DESTROY_F_FORCE) :
		-ENOENT;
	mutex_unlock(&chan_ctl_mutex);
	return ret;
}

static long chan_ctl_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	if (_IOC_TYPE(cmd) != CHAN_IOC_MAGIC)
		return -ENOTTY;
	switch (CHAN_IOC_NOSIZE(cmd)) {
	case CHAN_IOC_NOSIZE(CHAN_CTL_GET_VERSION):
	case CHAN_IOC_NOSIZE(CHAN_CTL_CREATE):
	case CHAN_IOC_NOSIZE(CHAN_CTL_DESTROY):
		break;
	default:
		return -ENOTTY;
	}
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	switch (CHAN_IOC_NOSIZE(cmd)) {
	case CHAN_IOC_NOSIZE(CHAN_CTL_GET_VERSION):
		return CHAN_ABI_VERSION;
	case CHAN_IOC_NOSIZE(CHAN_CTL_CREATE):
		return ctl_create(cmd, arg);
	default:
		return ctl_destroy(cmd, arg);
	}
}

static const struct file_operations chan_ctl_fops = {
	.owner = THIS_MODULE,
	.open = nonseekable_open,
	.unlocked_ioctl = chan_ctl_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice chan_ctl_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "chan-control",
	.fops = &chan_ctl_fops,
	.mode = 0600,
};

/**
 * chan_ctl_init() - set up the chrdev region and the class
 * @max_chans: number of minors to reserve.
 *
 * Return: 0 or a negative errno.
 */
int chan_ctl_init(u32 max_chans)
{
	int ret;

	ret = alloc_chrdev_region(&chan_devt, 0, max_chans, "chan");
	if (ret)
		return ret;
	chan_nr_minors = max_chans;
	ret = class_register(&chan_class);
	if (ret)
		goto err_unregister_region;
	chan_debugfs_init();
	return 0;

err_unregister_region:
	unregister_chrdev_region(chan_devt, max_chans);
	return ret;
}

/**
 * chan_ctl_exit() - undo chan_ctl_init(); no channel may be left
 */
void chan_ctl_exit(void)
{
	chan_debugfs_exit();
	class_unregister(&chan_class);
	unregister_chrdev_region(chan_devt, chan_nr_minors);
	xa_destroy(&chan_ids);
}

/**
 * chan_ctl_register() - create /dev/chan-control
 *
 * Return: 0 or a negative errno.
 */
int chan_ctl_register(void)
{
	return misc_register(&chan_ctl_dev);
}

/**
 * chan_ctl_unregister() - remove /dev/chan-control
 */
void chan_ctl_unregister(void)
{
	misc_deregister(&chan_ctl_dev);
}

/**
 * chan_ctl_check_params() - check the load-time parameters
 * @lim: the limits.
 *
 * Everything that could make chan_ctl_create_initial() fail for a reason
 * other than lack of memory is checked here, before any node exists.
 *
 * Return: 0 or -EINVAL.
 */
int chan_ctl_check_params(const struct chan_limits *lim)
{
	struct chan_ctl_create req = {
		.capacity = lim->default_capacity,
		.msg_size = lim->default_msg_size,
		.uid = CHAN_ID_CALLER,
		.gid = CHAN_ID_CALLER,
		.index = CHAN_INDEX_ANY,
	};

	if (!lim->max_chans || lim->max_chans > MINORMASK + 1) {
		pr_err("max_chans must be 1..%u\n", MINORMASK + 1);
		return -EINVAL;
	}
	if (lim->nr_chans > lim->max_chans) {
		pr_err("nr_chans %u exceeds max_chans %u\n", lim->nr_chans,
		       lim->max_chans);
		return -EINVAL;
	}
	if (!lim->nr_chans)
		return 0;
	if (chan_ctl_validate_create(&req, lim) ||
	    (u64)lim->nr_chans * req.capacity * req.msg_size > lim->max_bytes) {
		pr_err("default_capacity %u x default_msg_size %u x nr_chans %u do not fit the limits\n",
		       req.capacity, req.msg_size, lim->nr_chans);
		return -EINVAL;
	}
	return 0;
}

/**
 * chan_ctl_create_initial() - create the channels of nr_chans at load
 * @lim: the limits, checked by chan_ctl_check_params().
 *
 * Runs last in module init, after /dev/chan-control exists: nodes appear
 * only once nothing can fail any more, so no file is ever open on a module
 * whose init then fails. A channel that cannot be created (out of memory)
 * is reported and skipped.
 */
void chan_ctl_create_initial(const struct chan_limits *lim)
{
	struct chan_ctl_create req = {
		.capacity = lim->default_capacity,
		.msg_size = lim->default_msg_size,
		.uid = CHAN_ID_CALLER,
		.gid = CHAN_ID_CALLER,
	};
	u32 i;

	for (i = 0; i < lim->nr_chans; i++) {
		struct chan *ch;

		req.index = i;
		ch = chan_ctl_create_channel(&req, lim);
		if (IS_ERR(ch)) {
			pr_err("cannot create chan%u: %ld\n", i, PTR_ERR(ch));
			continue;
		}
		put_device(&ch->dev);
	}
}

/**
 * chan_ctl_destroy_all() - destroy every channel (module unload)
 *
 * No file can be open: each holds a reference on the module.
 */
void chan_ctl_destroy_all(void)
{
	struct chan *ch;
	unsigned long index;

	mutex_lock(&chan_ctl_mutex);
	xa_for_each(&chan_ids, index, ch)
		WARN_ON(destroy_locked(ch, true));
	mutex_unlock(&chan_ctl_mutex);
}
