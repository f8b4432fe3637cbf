// SPDX-License-Identifier: GPL-2.0
/*
 * Description: the limits the module parameters set are checked:
 * max_msg_size is 1..16 MiB, refused beyond at load and when written at
 * run time (EINVAL, the value unchanged), and a channel of 16 MiB messages
 * works when it is raised that far; load-time parameters that could not
 * give nr_chans channels (nr_chans above max_chans, default sizes above
 * their maxima or beyond max_bytes) make the load fail with EINVAL, and
 * leave nothing behind. Ends with the default load.
 */
#include <stdlib.h>
#include <sys/stat.h>

#include "helpers.h"

#define LIMIT		(16LL << 20)
#define PARAM_DIR	T_SYSFS_MODULE "/parameters/"

static int write_param(const char *name, const char *val)
{
	char path[128];
	int fd, r;

	snprintf(path, sizeof(path), PARAM_DIR "%s", name);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	r = SYS(write(fd, val, strlen(val)));
	close(fd);
	return r < 0 ? r : 0;
}

static void test_runtime_max_msg_size(void)
{
	struct chan_ctl_create c = {
		.capacity = 0, .uid = CHAN_ID_CALLER, .gid = CHAN_ID_CALLER,
		.index = CHAN_INDEX_ANY,
	};
	unsigned char *big;
	int fd, idx;

	T_EQ(write_param("max_msg_size", "16777217"), -EINVAL,
	     "max_msg_size 16 MiB + 1 is refused");
	T_EQ(write_param("max_msg_size", "0"), -EINVAL, "max_msg_size 0 is refused");
	T_EQ(write_param("max_msg_size", "4294967295"), -EINVAL, "max_msg_size 2^32-1 is refused");
	T_EQ(write_param("max_msg_size", "lots"), -EINVAL, "a non-number is refused");
	T_EQ(t_param_or("max_msg_size", -1), T_DEF_MAX_MSG_SIZE, "  ... the value is unchanged");
	T_EQ(write_param("max_msg_size", "16777216"), 0, "max_msg_size 16 MiB is taken");
	T_EQ(t_param_or("max_msg_size", -1), LIMIT, "  ... and reads back");

	c.msg_size = LIMIT + 1;
	T_EQ(t_chan_create(&c), -EINVAL, "a channel of 16 MiB + 1 byte messages: EINVAL");
	c.msg_size = LIMIT;
	c.capacity = 2;
	T_EQ(t_chan_create(&c), 0, "a buffered channel of 16 MiB messages");
	idx = c.index;
	fd = t_chan_open(idx, O_RDWR);
	big = malloc(LIMIT);
	if (T_OK(fd >= 0 && big, "open it")) {
		t_fill(big, LIMIT, 0x16);
		T_EQ(t_send(fd, big, LIMIT, T_TIMEOUT_NS), 0, "send a 16 MiB message");
		memset(big, 0, LIMIT);
		T_EQ(t_recv(fd, big, LIMIT, T_TIMEOUT_NS), LIMIT, "receive it");
		T_OK(t_verify(big, LIMIT, 0x16), "  ... intact");
	}
	free(big);
	if (fd >= 0)
		close(fd);
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
	T_EQ(write_param("max_msg_size", "1048576"), 0, "max_msg_size back to 1 MiB");
}

static void expect_load_refused(const char *params)
{
	T_EQ(t_mod_load(params), -EINVAL, "finit_module(chan.ko, \"%s\"): EINVAL", params);
	T_OK(!t_mod_loaded(), "  ... not loaded");
	T_OK(access(T_SYSFS_CLASS, F_OK) != 0, "  ... no %s left behind", T_SYSFS_CLASS);
}

int main(void)
{
	t_init("params");
	test_runtime_max_msg_size();

	t_mod_require_reload();
	T_EQ(t_mod_unload(), 0, "unload the module");
	expect_load_refused("max_msg_size=16777217");
	expect_load_refused("max_msg_size=0");
	expect_load_refused("max_chans=4 nr_chans=5");
	expect_load_refused("max_chans=0");
	expect_load_refused("default_capacity=70000");
	expect_load_refused("default_msg_size=2000000");
	expect_load_refused("nr_chans=8 default_capacity=4096 default_msg_size=4096 max_bytes=16777216");
	T_EQ(t_mod_load("max_msg_size=16777216"), 0, "load with max_msg_size=16777216");
	T_EQ(t_param_or("max_msg_size", -1), LIMIT, "  ... it reads back");
	T_EQ(t_mod_restore(), 0, "back to the default load");
	T_EQ(t_param_or("max_msg_size", -1), T_DEF_MAX_MSG_SIZE, "max_msg_size is 1 MiB again");
	return t_done();
}
