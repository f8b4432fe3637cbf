// SPDX-License-Identifier: GPL-2.0
/*
 * The module parameters and the limits they set: how many channels, how
 * big, and the max_bytes budget that the buffers of all channels together
 * are charged against. A leaf: it calls into no other file of the module.
 */

#include <linux/atomic.h>
#include <linux/kstrtox.h>
#include <linux/moduleparam.h>
#include <kunit/visibility.h>

#include "chan.h"

static unsigned int nr_chans = 4;
module_param(nr_chans, uint, 0444);
MODULE_PARM_DESC(nr_chans, "Channels created at load (default 4)");

static unsigned int max_chans = 1024;
module_param(max_chans, uint, 0444);
MODULE_PARM_DESC(max_chans, "Most channels that may exist at once (default 1024)");

static unsigned int default_capacity = 16;
module_param(default_capacity, uint, 0644);
MODULE_PARM_DESC(default_capacity, "Capacity of the channels created at load (default 16)");

static unsigned int default_msg_size = 4096;
module_param(default_msg_size, uint, 0644);
MODULE_PARM_DESC(default_msg_size, "Message size of the channels created at load (default 4096)");

static unsigned int max_capacity = 65536;
module_param(max_capacity, uint, 0644);
MODULE_PARM_DESC(max_capacity, "Largest capacity of a channel (default 65536)");

/* 1..CHAN_MSG_SIZE_LIMIT, checked at load and on every write. */
static int max_msg_size_set(const char *val, const struct kernel_param *kp)
{
	unsigned int v;
	int ret;

	ret = kstrtouint(val, 0, &v);
	if (ret)
		return ret;
	if (!v || v > CHAN_MSG_SIZE_LIMIT)
		return -EINVAL;
	WRITE_ONCE(*(unsigned int *)kp->arg, v);
	return 0;
}

static const struct kernel_param_ops max_msg_size_ops = {
	.set = max_msg_size_set,
	.get = param_get_uint,
};

static unsigned int max_msg_size = 1 << 20;
module_param_cb(max_msg_size, &max_msg_size_ops, &max_msg_size, 0644);
MODULE_PARM_DESC(max_msg_size, "Largest message size of a channel (default 1 MiB, at most 16 MiB)");

static unsigned long long max_bytes = 64ULL << 20;
module_param(max_bytes, ullong, 0644);
MODULE_PARM_DESC(max_bytes, "Budget of capacity x msg_size over all channels (default 64 MiB)");

static unsigned int stall_warn_ms;
module_param(stall_warn_ms, uint, 0644);
MODULE_PARM_DESC(stall_warn_ms, "Warn once about a waiter parked longer than this many ms (0 = off)");

static atomic64_t chan_bytes_charged = ATOMIC64_INIT(0);

/**
 * chan_limits_get() - read the limits the module parameters set
 * @lim: filled in.
 */
void chan_limits_get(struct chan_limits *lim)
{
	lim->nr_chans = nr_chans;
	lim->max_chans = max_chans;
	lim->default_capacity = READ_ONCE(default_capacity);
	lim->default_msg_size = READ_ONCE(default_msg_size);
	lim->max_capacity = READ_ONCE(max_capacity);
	lim->max_msg_size = READ_ONCE(max_msg_size);
	lim->max_bytes = READ_ONCE(max_bytes);
}

/**
 * chan_stall_warn_ms() - the stall_warn_ms parameter now
 *
 * Return: milliseconds a waiter may be parked before a warning, 0 for none.
 */
u32 chan_stall_warn_ms(void)
{
	return READ_ONCE(stall_warn_ms);
}

/**
 * chan_budget_charge() - reserve buffer bytes against the max_bytes budget
 * @bytes: capacity x msg_size of a buffer about to be allocated.
 * @max_bytes: the budget.
 *
 * Return: 0, or -ENOMEM if the budget would be exceeded.
 */
int chan_budget_charge(u64 bytes, u64 max_bytes)
{
	s64 old = atomic64_read(&chan_bytes_charged);

	do {
		if (bytes > max_bytes || (u64)old > max_bytes - bytes)
			return -ENOMEM;
	} while (!atomic64_try_cmpxchg(&chan_bytes_charged, &old, old + bytes));
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(chan_budget_charge);

/**
 * chan_budget_uncharge() - give back bytes taken by chan_budget_charge()
 * @bytes: the amount.
 */
void chan_budget_uncharge(u64 bytes)
{
	atomic64_sub(bytes, &chan_bytes_charged);
}
EXPORT_SYMBOL_IF_KUNIT(chan_budget_uncharge);
