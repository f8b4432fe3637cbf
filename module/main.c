// SPDX-License-Identifier: GPL-2.0
/*
 * Module entry points and parameters of kchan, Go-style channels for Linux
 * processes: /dev/chan-control creates and destroys channels, each channel
 * is a character device /dev/chan<N>.
 */

#include <linux/module.h>
#include <linux/moduleparam.h>

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

static unsigned int max_msg_size = 1 << 20;
module_param(max_msg_size, uint, 0644);
MODULE_PARM_DESC(max_msg_size, "Largest message size of a channel (default 1 MiB)");

static unsigned long long max_bytes = 64ULL << 20;
module_param(max_bytes, ullong, 0644);
MODULE_PARM_DESC(max_bytes, "Budget of capacity x msg_size over all channels (default 64 MiB)");

static unsigned int stall_warn_ms;
module_param(stall_warn_ms, uint, 0644);
MODULE_PARM_DESC(stall_warn_ms, "Warn about waiters parked longer than this (0 = off)");

/**
 * chan_limits_get() - read the limits the module parameters set
 * @lim: filled in.
 */
void chan_limits_get(struct chan_limits *lim)
{
	lim->max_chans = max_chans;
	lim->max_capacity = READ_ONCE(max_capacity);
	lim->max_msg_size = READ_ONCE(max_msg_size);
	lim->max_bytes = READ_ONCE(max_bytes);
}

static int create_initial(void)
{
	struct chan_ctl_create req = {
		.capacity = default_capacity,
		.msg_size = default_msg_size,
		.uid = CHAN_ID_CALLER,
		.gid = CHAN_ID_CALLER,
	};
	struct chan_limits lim;
	unsigned int i;

	chan_limits_get(&lim);
	if (nr_chans > max_chans) {
		pr_err("nr_chans %u exceeds max_chans %u\n", nr_chans, max_chans);
		return -EINVAL;
	}
	for (i = 0; i < nr_chans; i++) {
		struct chan *ch;

		req.index = i;
		ch = chan_ctl_create_channel(&req, &lim);
		if (IS_ERR(ch)) {
			pr_err("cannot create chan%u: %ld\n", i, PTR_ERR(ch));
			return PTR_ERR(ch);
		}
		put_device(&ch->dev);
	}
	return 0;
}

static int __init chan_mod_init(void)
{
	int ret;

	if (!max_chans || max_chans > MINORMASK + 1) {
		pr_err("max_chans must be 1..%u\n", MINORMASK + 1);
		return -EINVAL;
	}
	ret = chan_ctl_init(max_chans);
	if (ret)
		return ret;
	ret = create_initial();
	if (ret)
		goto err_destroy_all;
	ret = chan_ctl_register();
	if (ret)
		goto err_destroy_all;
	return 0;

err_destroy_all:
	chan_ctl_destroy_all();
	chan_ctl_exit();
	return ret;
}

static void __exit chan_mod_exit(void)
{
	chan_ctl_unregister();
	chan_ctl_destroy_all();
	chan_ctl_exit();
}

module_init(chan_mod_init);
module_exit(chan_mod_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Go-style channels for Linux processes");
MODULE_AUTHOR("The kchan authors");
