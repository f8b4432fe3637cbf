// SPDX-License-Identifier: GPL-2.0
/*
 * Description: the module unloads when nothing is open and takes
 * /dev/chan-control, the channel nodes and /sys/class/chan with it; a load
 * with nr_chans=2 gives exactly chan0 and chan1, a load with
 * default_capacity/default_msg_size sizes the load-time channels, and every
 * module parameter is visible in /sys/module/chan/parameters with the
 * defaults of chan(4), Module parameters. Ends with the default load.
 */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "helpers.h"

static const struct {
	const char *name;
	long long value;
} defaults[] = {
	{ "nr_chans", T_DEF_NR_CHANS },
	{ "max_chans", T_DEF_MAX_CHANS },
	{ "default_capacity", T_DEF_CAPACITY },
	{ "default_msg_size", T_DEF_MSG_SIZE },
	{ "max_capacity", T_DEF_MAX_CAPACITY },
	{ "max_msg_size", T_DEF_MAX_MSG_SIZE },
	{ "max_bytes", T_DEF_MAX_BYTES },
	{ "stall_warn_ms", 0 },
};

/* Number of chan<N> entries in /sys/class/chan, -errno if it is missing. */
static int class_entries(char *names, size_t sz)
{
	DIR *d = opendir(T_SYSFS_CLASS);
	struct dirent *e;
	int n = 0;

	names[0] = '\0';
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		n++;
		if (strlen(names) + strlen(e->d_name) + 2 < sz) {
			strcat(names, " ");
			strcat(names, e->d_name);
		}
	}
	closedir(d);
	return n;
}

static void check_defaults(const char *when)
{
	long long v;
	size_t i;
	int r;

	for (i = 0; i < T_ARRAY_SIZE(defaults); i++) {
		r = t_param(defaults[i].name, &v);
		if (!T_EQ(r, 0, "%s: parameter %s is readable in %s/parameters",
			  when, defaults[i].name, T_SYSFS_MODULE))
			continue;
		T_EQ(v, defaults[i].value, "%s: %s defaults to %lld", when,
		     defaults[i].name, defaults[i].value);
	}
}

int main(void)
{
	char names[512];
	long long v;
	int i, fd, n;

	t_init("load_unload");
	t_mod_require_reload();

	check_defaults("default load");
	for (i = 0; i < T_DEF_NR_CHANS; i++) {
		T_EQ(t_wait_path(t_chan_path(i), true, T_NODE_MS), 0,
		     "default load: %s exists", t_chan_path(i));
		T_EQ(t_attr(i, "capacity"), T_DEF_CAPACITY,
		     "default load: chan%d capacity is default_capacity", i);
		T_EQ(t_attr(i, "msg_size"), T_DEF_MSG_SIZE,
		     "default load: chan%d msg_size is default_msg_size", i);
	}

	/* Unload with nothing open. */
	T_EQ(t_mod_unload(), 0, "delete_module(chan) with no fd open");
	T_EQ(t_wait_path(CHAN_CONTROL_PATH, false, T_NODE_MS), 0,
	     "%s disappears", CHAN_CONTROL_PATH);
	T_EQ(t_wait_path(t_chan_path(0), false, T_NODE_MS), 0,
	     "%s disappears", t_chan_path(0));
	T_EQ(t_wait_path(t_chan_path(T_DEF_NR_CHANS - 1), false, T_NODE_MS), 0,
	     "%s disappears", t_chan_path(T_DEF_NR_CHANS - 1));
	T_EQ(SYS(access(T_SYSFS_CLASS, F_OK)), -ENOENT,
	     "%s is gone (class unregistered)", T_SYSFS_CLASS);
	T_EQ(SYS(access(T_SYSFS_MODULE, F_OK)), -ENOENT, "%s is gone",
	     T_SYSFS_MODULE);
	T_EQ(t_mod_unload(), -ENOENT, "a second delete_module gives ENOENT");

	/* nr_chans=2: exactly chan0 and chan1. */
	T_EQ(t_mod_load("nr_chans=2"), 0, "finit_module(chan.ko, \"nr_chans=2\")");
	T_EQ(t_wait_path(CHAN_CONTROL_PATH, true, T_NODE_MS), 0, "%s is back",
	     CHAN_CONTROL_PATH);
	T_EQ(t_wait_path(t_chan_path(0), true, T_NODE_MS), 0, "%s exists",
	     t_chan_path(0));
	T_EQ(t_wait_path(t_chan_path(1), true, T_NODE_MS), 0, "%s exists",
	     t_chan_path(1));
	T_EQ(SYS(access(t_chan_path(2), F_OK)), -ENOENT, "%s does not exist",
	     t_chan_path(2));
	n = class_entries(names, sizeof(names));
	T_EQ(n, 2, "%s holds exactly two channels (has:%s)", T_SYSFS_CLASS, names);
	T_OK(strstr(names, " chan0") && strstr(names, " chan1"),
	     "they are chan0 and chan1 (has:%s)", names);
	T_EQ(t_param_or("nr_chans", -1), 2, "parameters/nr_chans reads 2");
	T_EQ(t_param_or("max_chans", -1), T_DEF_MAX_CHANS,
	     "parameters/max_chans keeps its default");
	fd = t_chan_open(1, O_RDWR);
	T_GE(fd, 0, "open %s", t_chan_path(1));
	if (fd >= 0) {
		char buf[8] = "x";

		T_EQ(SYS(write(fd, buf, 1)), 1, "chan1 of the new load works: write");
		T_EQ(SYS(read(fd, buf, sizeof(buf))), 1, "chan1 of the new load works: read");
		close(fd);
	}
	T_EQ(t_mod_unload(), 0, "unload the nr_chans=2 load");

	/* Load-time channels take default_capacity and default_msg_size. */
	T_EQ(t_mod_load("nr_chans=1 default_capacity=3 default_msg_size=100"), 0,
	     "load with nr_chans=1 default_capacity=3 default_msg_size=100");
	T_EQ(t_attr(0, "capacity"), 3, "chan0 capacity is 3");
	T_EQ(t_attr(0, "msg_size"), 100, "chan0 msg_size is 100");
	T_EQ(SYS(access(t_chan_path(1), F_OK)), -ENOENT, "%s does not exist",
	     t_chan_path(1));
	T_EQ(t_mod_unload(), 0, "unload it");

	/* Back to the default load. */
	T_EQ(t_mod_load(""), 0, "finit_module(chan.ko, \"\") (default load)");
	n = class_entries(names, sizeof(names));
	T_EQ(n, T_DEF_NR_CHANS, "%s holds nr_chans channels (has:%s)",
	     T_SYSFS_CLASS, names);
	check_defaults("reloaded");
	T_EQ(t_param("nr_chans", &v), 0, "parameters still readable");
	for (i = 0; i < T_DEF_NR_CHANS; i++)
		T_EQ(t_wait_path(t_chan_path(i), true, T_NODE_MS), 0,
		     "reloaded: %s exists", t_chan_path(i));
	return t_done();
}
