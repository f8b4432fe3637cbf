// SPDX-License-Identifier: GPL-2.0
/*
 * Description: the module cannot be unloaded while a channel fd or the
 * control fd is open, or while a task is parked in a channel (chan(4),
 * Security: module refcount). delete_module(O_NONBLOCK) then fails with EWOULDBLOCK
 * (what the module loader returns for a non-zero refcount; EBUSY is also
 * accepted) and everything stays usable. Once every fd is closed the module
 * unloads; the test ends with the default load.
 */
#include <stdio.h>
#include <unistd.h>

#include "helpers.h"

static void expect_refused(const char *what)
{
	long long refcnt = -1;
	int r = t_mod_unload();

	T_OK(r == -EWOULDBLOCK || r == -EBUSY,
	     "delete_module with %s is refused with EWOULDBLOCK or EBUSY (got %d: %s)",
	     what, r, r ? strerrorname_np(-r) : "success");
	if (r == -EWOULDBLOCK || r == -EBUSY)
		t_diag("delete_module with %s: %s", what, strerrorname_np(-r));
	T_OK(t_mod_loaded(), "  ... the module stays (%s exists)", T_SYSFS_MODULE);
	T_EQ(SYS(access(CHAN_CONTROL_PATH, F_OK)), 0, "  ... %s stays", CHAN_CONTROL_PATH);
	T_EQ(SYS(access(t_chan_path(0), F_OK)), 0, "  ... %s stays", t_chan_path(0));
	T_EQ(t_read_num(T_SYSFS_MODULE "/refcnt", &refcnt), 0, "  ... refcnt is readable");
	T_GT(refcnt, 0, "  ... refcnt is positive");
}

int main(void)
{
	struct t_op *op;
	char buf[T_DEF_MSG_SIZE];
	int fd, i;
	pid_t pid;

	t_init("rmmod_busy");
	t_mod_require_reload();

	fd = t_chan_open(0, O_RDONLY | O_NONBLOCK);
	if (!T_GE(fd, 0, "open %s O_RDONLY", t_chan_path(0)))
		return t_done();
	expect_refused("/dev/chan0 open");
	T_GE(t_fionread(fd), 0, "the open chan0 fd still works (FIONREAD)");
	/* chan0 is a load-time channel: make sure it is empty for the parked reader. */
	for (i = 0; i < 1 << 20 && read(fd, buf, sizeof(buf)) > 0; i++)
		;
	close(fd);

	fd = open(CHAN_CONTROL_PATH, O_RDWR);
	if (T_GE(SYS(fd), 0, "open %s", CHAN_CONTROL_PATH)) {
		expect_refused("/dev/chan-control open");
		T_EQ(SYS(ioctl(fd, CHAN_CTL_GET_VERSION)), CHAN_ABI_VERSION,
		     "the control fd still works");
		close(fd);
	}

	op = t_op_new(T_OP_READ, 0, O_RDONLY, sizeof(op->buf));
	pid = T_OP_PARK(op, "waiting_receivers", 1);
	expect_refused("a task parked in read on chan0");
	kill(pid, SIGKILL);
	T_CHILD(pid, T_TIMEOUT_MS, -SIGKILL, "the parked reader dies on SIGKILL");
	T_EQ(t_attr(0, "waiting_receivers"), 0, "chan0 has no parked receiver left");

	T_EQ(t_mod_unload(), 0, "delete_module succeeds once every fd is closed");
	T_OK(!t_mod_loaded(), "the module is gone");
	T_EQ(t_mod_load(""), 0, "reload with the default parameters");
	T_EQ(t_wait_path(t_chan_path(0), true, T_NODE_MS), 0, "%s is back", t_chan_path(0));
	return t_done();
}
