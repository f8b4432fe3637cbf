// SPDX-License-Identifier: GPL-2.0
/*
 * Description: max_chans bounds the number of channels: with the module
 * loaded as "max_chans=8 nr_chans=0", eight creates succeed (indices 0..7),
 * the ninth gives ENOSPC, an index >= 8 gives EINVAL, and after one destroy
 * a create fits again. Ends with the default load.
 */
#include <stdio.h>
#include <unistd.h>

#include "helpers.h"

#define MAX 8

int main(void)
{
	int idx[MAX + 1], seen = 0, i, r;
	struct chan_ctl_create c;

	t_init("ctl_enospc");
	t_mod_require_reload();
	for (i = 0; i <= MAX; i++)
		idx[i] = -1;

	if (!T_EQ(t_mod_unload(), 0, "unload the default load") ||
	    !T_EQ(t_mod_load("max_chans=8 nr_chans=0"), 0,
		  "load with \"max_chans=8 nr_chans=0\""))
		return t_done();
	T_EQ(t_param_or("max_chans", -1), MAX, "parameters/max_chans reads 8");
	T_EQ(SYS(access(t_chan_path(0), F_OK)), -ENOENT, "nr_chans=0: no chan0");

	for (i = 0; i < MAX; i++) {
		idx[i] = t_chan_new(1, 8, 0);
		if (!T_GE(idx[i], 0, "create #%d of %d", i + 1, MAX)) {
			idx[i] = -1;
			break;
		}
		T_OK(idx[i] >= 0 && idx[i] < MAX, "its index %d is below max_chans", idx[i]);
		if (idx[i] >= 0 && idx[i] < MAX)
			seen |= 1 << idx[i];
	}
	T_EQ(seen, (1 << MAX) - 1, "the eight channels took indices 0..7 (mask %#x)", seen);
	idx[MAX] = t_chan_new(1, 8, 0);
	T_EQ(idx[MAX], -ENOSPC, "create #9 with index -1 gives ENOSPC");
	c = (struct chan_ctl_create){ .capacity = 1, .msg_size = 8,
		.uid = CHAN_ID_CALLER, .gid = CHAN_ID_CALLER, .index = MAX };
	T_EQ(t_chan_create(&c), -EINVAL, "create at index 8 (= max_chans) gives EINVAL");
	c.index = 3;
	T_EQ(t_chan_create(&c), -EEXIST, "create at the taken index 3 gives EEXIST");

	if (i == MAX) {
		T_EQ(t_chan_destroy(idx[2], 0), 0, "destroy one channel (index %d)", idx[2]);
		r = t_chan_new(1, 8, 0);
		T_EQ(r, idx[2], "a create with index -1 now gets the freed index");
		if (r >= 0 && r != idx[2])
			t_chan_destroy(r, 0);
		if (r < 0)
			idx[2] = -1;
		T_EQ(t_chan_new(1, 8, 0), -ENOSPC, "and the next one gives ENOSPC again");
	}
	for (i = 0; i < MAX; i++)
		if (idx[i] >= 0)
			T_EQ(t_chan_destroy(idx[i], 0), 0, "destroy chan%d", idx[i]);

	T_EQ(t_mod_restore(), 0, "restore the default load");
	T_EQ(t_param_or("max_chans", -1), T_DEF_MAX_CHANS, "max_chans is back to 1024");
	return t_done();
}
