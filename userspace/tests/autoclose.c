// SPDX-License-Identifier: GPL-2.0
/*
 * Description: CHAN_CREATE_F_AUTOCLOSE (chan(4), Auto-close: pipe semantics, opt-in):
 * the channel closes itself when the last fd opened for writing (O_WRONLY or
 * O_RDWR) is released, once at least one writer has opened it; a reader then
 * drains and gets end of file. Not while one writer remains (also one held
 * only by a forked child: "released" is the last close of the open file);
 * read-only opens never trigger it; without the flag nothing closes.
 * Assumption: like CHAN_IOC_CLOSE the close is final: a writer opened
 * afterwards gets EPIPE.
 */
#include "helpers.h"

static int hold_then_exit(void *arg)
{
	int *go = arg;
	uint64_t end = t_now_ns() + T_TIMEOUT_NS;

	/* Keep the inherited writer fd until the parent says so. */
	while (!__atomic_load_n(go, __ATOMIC_SEQ_CST) && t_now_ns() < end)
		t_sleep_ms(1);
	return 0;
}

static void test_autoclose(void)
{
	int idx = t_chan_new(4, 32, CHAN_CREATE_F_AUTOCLOSE), r, w1, w2, ro2;
	int *go = t_shared(sizeof(int));
	char buf[32];
	pid_t pid;

	if (!T_GE(idx, 0, "create a channel with CHAN_CREATE_F_AUTOCLOSE"))
		return;
	r = t_chan_open(idx, O_RDONLY | O_NONBLOCK);
	if (!T_GE(r, 0, "open a reader"))
		goto out;
	ro2 = t_chan_open(idx, O_RDONLY);
	close(ro2);
	T_EQ(t_attr(idx, "closed"), 0, "opening and closing readers (no writer yet) does not close it");
	T_EQ(SYS(read(r, buf, sizeof(buf))), -EAGAIN, "  ... a read still gives EAGAIN, not EOF");

	w1 = t_chan_open(idx, O_WRONLY);
	w2 = t_chan_open(idx, O_RDWR);
	if (!T_OK(w1 >= 0 && w2 >= 0, "open an O_WRONLY and an O_RDWR writer"))
		goto out_r;
	T_EQ(SYS(write(w1, "one", 3)), 3, "send 'one'");
	T_EQ(SYS(write(w2, "two", 3)), 3, "send 'two'");
	close(w1);
	T_EQ(t_attr(idx, "closed"), 0, "closing one writer while another remains: still open");
	T_EQ(SYS(write(w2, "three", 5)), 5, "  ... the remaining writer can send");
	ro2 = t_chan_open(idx, O_RDONLY);
	close(ro2);
	T_EQ(t_attr(idx, "closed"), 0, "a reader's open/close does not close it");

	/* The last writer fd is shared with a child: released when both close. */
	pid = t_fork(hold_then_exit, go);
	close(w2);
	T_EQ(t_attr(idx, "closed"), 0,
	     "the parent closed its last writer fd but a child still holds it: still open");
	__atomic_store_n(go, 1, __ATOMIC_SEQ_CST);
	T_CHILD(pid, T_TIMEOUT_MS, 0, "the child exits (its copy of the writer fd goes)");
	T_EQ(t_attr(idx, "closed"), 1, "the last writer is gone: the channel closed itself");

	T_EQ(SYS(read(r, buf, sizeof(buf))), 3, "the reader drains 'one'");
	T_OK(!memcmp(buf, "one", 3), "  ... in order");
	T_EQ(SYS(read(r, buf, sizeof(buf))), 3, "the reader drains 'two'");
	T_OK(!memcmp(buf, "two", 3), "  ... in order");
	T_EQ(SYS(read(r, buf, sizeof(buf))), 5, "the reader drains 'three'");
	T_EQ(SYS(read(r, buf, sizeof(buf))), 0, "then gets end of file");
	T_EQ(SYS(read(r, buf, sizeof(buf))), 0, "  ... every time");

	w1 = t_chan_open(idx, O_WRONLY);
	if (T_GE(w1, 0, "a writer can still open the closed channel")) {
		T_EQ(SYS(write(w1, "late", 4)), -EPIPE, "  ... and gets EPIPE: the close is final");
		close(w1);
	}
out_r:
	close(r);
out:
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
}

/* Read-only opens only: never closes; without the flag: never closes. */
static void test_no_trigger(void)
{
	int idx = t_chan_new(2, 32, CHAN_CREATE_F_AUTOCLOSE), plain, fd, i;

	if (T_GE(idx, 0, "create another AUTOCLOSE channel")) {
		for (i = 0; i < 3; i++) {
			fd = t_chan_open(idx, O_RDONLY);
			close(fd);
		}
		T_EQ(t_attr(idx, "closed"), 0, "three read-only open/close cycles: still open");
		T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
	}

	plain = t_chan_new(2, 32, 0);
	if (!T_GE(plain, 0, "create a channel without the flag"))
		return;
	fd = t_chan_open(plain, O_RDWR);
	T_EQ(SYS(write(fd, "m", 1)), 1, "send a message");
	close(fd);
	fd = t_chan_open(plain, O_WRONLY);
	close(fd);
	T_EQ(t_attr(plain, "closed"), 0, "without the flag, closing every writer does not close it");
	fd = t_chan_open(plain, O_RDWR);
	T_EQ(SYS(write(fd, "n", 1)), 1, "  ... a new writer can still send");
	close(fd);
	T_EQ(t_attr(plain, "len"), 2, "  ... and both messages are queued");
	T_EQ(t_chan_destroy(plain, 0), 0, "destroy chan%d", plain);
}

int main(void)
{
	t_init("autoclose");
	test_autoclose();
	test_no_trigger();
	return t_done();
}
