// SPDX-License-Identifier: GPL-2.0
/*
 * Module entry points of kchan, Go-style channels for Linux processes:
 * /dev/chan-control creates and destroys channels, each channel is a
 * character device /dev/chan<N>. The parameters are in limits.c.
 */

#include <linux/module.h>

#include "chan.h"

static int __init chan_mod_init(void)
{
	struct chan_limits lim;
	int ret;

	chan_limits_get(&lim);
	ret = chan_ctl_check_params(&lim);
	if (ret)
		return ret;
	ret = chan_ctl_init(lim.max_chans);
	if (ret)
		return ret;
	ret = chan_ctl_register();
	if (ret)
		goto err_ctl_exit;
	/* Last: from here on nothing fails (see chan_ctl_create_initial()). */
	chan_ctl_create_initial(&lim);
	return 0;

err_ctl_exit:
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
