// SPDX-License-Identifier: GPL-2.0
/*
 * Description: privilege rules (chan(4), Security). /dev/chan-control is mode
 * 0600 root, so an unprivileged process (uid/gid 65534, no groups, so no
 * capabilities) cannot open it (EACCES); given a control fd opened by root
 * it still gets EPERM from CREATE and DESTROY (the capability is checked at
 * the call). Channel nodes follow the mode/owner given at create: 0666 opens,
 * 0600 root does not (EACCES), 0600 owned by uid 65534 does, 0660 with group
 * 65534 does, 0604 opens read-only but not for writing.
 */
#include <stdio.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "helpers.h"

enum { R_DROP, R_CTL_RDWR, R_CTL_RDONLY, R_CREATE, R_DESTROY, R_CREATED_IDX,
       R_OPEN_666, R_WRITE_666, R_READ_666, R_OPEN_600, R_OPEN_600_RO,
       R_OPEN_OWNED, R_OPEN_GROUP, R_OPEN_604_RO, R_OPEN_604_WO, R_NR };

struct ctx {
	int ctl;
	int victim;
	int ch666, ch600, owned, group, ch604;
	long r[R_NR];
};

static long try_open(int idx, int oflags)
{
	int fd = t_chan_open(idx, oflags);

	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

static int unprivileged(void *arg)
{
	struct ctx *x = arg;
	struct chan_ctl_create c = { .capacity = 1, .msg_size = 8,
		.uid = CHAN_ID_CALLER, .gid = CHAN_ID_CALLER, .index = CHAN_INDEX_ANY };
	struct chan_ctl_destroy d = { .index = x->victim };
	char buf[8];
	int fd;

	x->r[R_DROP] = t_drop_privs();
	if (x->r[R_DROP])
		return 2;
	x->r[R_CTL_RDWR] = SYS(open(CHAN_CONTROL_PATH, O_RDWR));
	x->r[R_CTL_RDONLY] = SYS(open(CHAN_CONTROL_PATH, O_RDONLY));
	x->r[R_CREATE] = SYS(ioctl(x->ctl, CHAN_CTL_CREATE, &c));
	x->r[R_CREATED_IDX] = c.index;
	x->r[R_DESTROY] = SYS(ioctl(x->ctl, CHAN_CTL_DESTROY, &d));

	fd = t_chan_open(x->ch666, O_RDWR);
	x->r[R_OPEN_666] = fd < 0 ? fd : 0;
	if (fd >= 0) {
		x->r[R_WRITE_666] = SYS(write(fd, "nobody", 6));
		x->r[R_READ_666] = SYS(read(fd, buf, sizeof(buf)));
		close(fd);
	}
	x->r[R_OPEN_600] = try_open(x->ch600, O_RDWR);
	x->r[R_OPEN_600_RO] = try_open(x->ch600, O_RDONLY);
	x->r[R_OPEN_OWNED] = try_open(x->owned, O_RDWR);
	x->r[R_OPEN_GROUP] = try_open(x->group, O_RDWR);
	x->r[R_OPEN_604_RO] = try_open(x->ch604, O_RDONLY);
	x->r[R_OPEN_604_WO] = try_open(x->ch604, O_WRONLY);
	return 0;
}

int main(void)
{
	struct ctx *x = t_shared(sizeof(*x));
	struct stat st;
	pid_t pid;

	t_init("ctl_perm");

	if (T_EQ(SYS(stat(CHAN_CONTROL_PATH, &st)), 0, "stat %s", CHAN_CONTROL_PATH)) {
		T_EQ(st.st_mode & 07777, 0600, "%s has mode 0600 (got 0%o)",
		     CHAN_CONTROL_PATH, st.st_mode & 07777);
		T_EQ(st.st_uid, 0, "%s is owned by root", CHAN_CONTROL_PATH);
	}

	x->ctl = open(CHAN_CONTROL_PATH, O_RDWR);
	x->victim = t_chan_new(1, 8, 0);
	x->ch666 = t_chan_new_ex(1, 8, 0, 0666, 0, 0);
	x->ch600 = t_chan_new_ex(1, 8, 0, 0600, 0, 0);
	x->owned = t_chan_new_ex(1, 8, 0, 0600, 65534, 65534);
	x->group = t_chan_new_ex(1, 8, 0, 0660, 0, 65534);
	x->ch604 = t_chan_new_ex(1, 8, 0, 0604, 0, 0);
	if (!T_OK(x->ctl >= 0 && x->victim >= 0 && x->ch666 >= 0 && x->ch600 >= 0 &&
		  x->owned >= 0 && x->group >= 0 && x->ch604 >= 0,
		  "set up: control fd and six channels"))
		return t_done();

	pid = t_fork(unprivileged, x);
	T_CHILD(pid, T_TIMEOUT_MS, 0, "unprivileged child ran");
	if (!T_EQ(x->r[R_DROP], 0, "child dropped to uid/gid 65534"))
		return t_done();

	T_EQ(x->r[R_CTL_RDWR], -EACCES, "unprivileged open(%s, O_RDWR) gives EACCES",
	     CHAN_CONTROL_PATH);
	T_EQ(x->r[R_CTL_RDONLY], -EACCES, "unprivileged open(%s, O_RDONLY) gives EACCES",
	     CHAN_CONTROL_PATH);
	T_EQ(x->r[R_CREATE], -EPERM,
	     "unprivileged CHAN_CTL_CREATE through root's control fd gives EPERM");
	T_EQ(x->r[R_CREATED_IDX], CHAN_INDEX_ANY, "  ... and writes no index back");
	T_EQ(x->r[R_DESTROY], -EPERM,
	     "unprivileged CHAN_CTL_DESTROY through root's control fd gives EPERM");
	T_OK(t_chan_exists(x->victim), "  ... and chan%d still exists", x->victim);

	T_EQ(x->r[R_OPEN_666], 0, "unprivileged open of a mode 0666 channel works");
	T_EQ(x->r[R_WRITE_666], 6, "  ... and it can write (6 bytes)");
	T_EQ(x->r[R_READ_666], 6, "  ... and read the message back");
	T_EQ(x->r[R_OPEN_600], -EACCES, "unprivileged O_RDWR open of a 0600 root channel gives EACCES");
	T_EQ(x->r[R_OPEN_600_RO], -EACCES,
	     "unprivileged O_RDONLY open of a 0600 root channel gives EACCES");
	T_EQ(x->r[R_OPEN_OWNED], 0, "unprivileged open of a 0600 channel owned by uid 65534 works");
	T_EQ(x->r[R_OPEN_GROUP], 0, "unprivileged open of a 0660 channel of group 65534 works");
	T_EQ(x->r[R_OPEN_604_RO], 0, "unprivileged O_RDONLY open of a 0604 channel works");
	T_EQ(x->r[R_OPEN_604_WO], -EACCES,
	     "unprivileged O_WRONLY open of a 0604 channel gives EACCES");

	T_EQ(SYS(ioctl(x->ctl, CHAN_CTL_GET_VERSION)), CHAN_ABI_VERSION,
	     "root's control fd still works");
	close(x->ctl);
	T_EQ(t_chan_destroy(x->victim, 0), 0, "destroy chan%d", x->victim);
	T_EQ(t_chan_destroy(x->ch666, 0), 0, "destroy chan%d", x->ch666);
	T_EQ(t_chan_destroy(x->ch600, 0), 0, "destroy chan%d", x->ch600);
	T_EQ(t_chan_destroy(x->owned, 0), 0, "destroy chan%d", x->owned);
	T_EQ(t_chan_destroy(x->group, 0), 0, "destroy chan%d", x->group);
	T_EQ(t_chan_destroy(x->ch604, 0), 0, "destroy chan%d", x->ch604);
	return t_done();
}
