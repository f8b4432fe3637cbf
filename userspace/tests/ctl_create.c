// SPDX-License-Identifier: GPL-2.0
/*
 * Description: CHAN_CTL_CREATE (chan(4), Control device): index -1 picks a free index and
 * writes it back; the node gets the requested mode (0 -> 0600) and owner
 * (CHAN_ID_CALLER -> the caller's fsuid/fsgid); sysfs shows the sizes; a
 * specific free index works and a taken one gives EEXIST; EINVAL for bad
 * sizes, indices, flags, mode and reserved bits, with the size checks before
 * the byte budget; ENOMEM over max_bytes (also where capacity x msg_size
 * overflows 32 bits, and for two channels that fit alone but not together);
 * capacity 0 is valid; EFAULT for bad argument pointers, with nothing
 * created.
 */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/fsuid.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "helpers.h"

static long long max_chans, max_capacity, max_msg_size, max_bytes;
static bool existed[4096];	/* channels present when the test started */

/* Channels in /sys/class/chan, and the bytes they reserve. */
static int count_chans(long long *bytes)
{
	DIR *d = opendir(T_SYSFS_CLASS);
	struct dirent *e;
	long long sum = 0;
	int n = 0, idx;

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		if (sscanf(e->d_name, "chan%d", &idx) != 1)
			continue;
		n++;
		sum += t_attr(idx, "capacity") * t_attr(idx, "msg_size");
	}
	closedir(d);
	if (bytes)
		*bytes = sum;
	return n;
}

static void snapshot(void)
{
	DIR *d = opendir(T_SYSFS_CLASS);
	struct dirent *e;
	int idx;

	while (d && (e = readdir(d)))
		if (sscanf(e->d_name, "chan%d", &idx) == 1 && idx >= 0 &&
		    idx < (int)T_ARRAY_SIZE(existed))
			existed[idx] = true;
	if (d)
		closedir(d);
}

/* Destroy channels this test created but does not know about (bugs). */
static void destroy_strays(void)
{
	DIR *d = opendir(T_SYSFS_CLASS);
	struct dirent *e;
	int idx;

	while (d && (e = readdir(d))) {
		if (sscanf(e->d_name, "chan%d", &idx) != 1 || idx < 0 ||
		    (idx < (int)T_ARRAY_SIZE(existed) && existed[idx]))
			continue;
		t_diag("cleanup: destroying stray channel %d", idx);
		t_chan_destroy(idx, CHAN_DESTROY_F_FORCE);
	}
	if (d)
		closedir(d);
}

static struct chan_ctl_create good(void)
{
	struct chan_ctl_create c = {
		.capacity = 4, .msg_size = 64, .flags = 0, .mode = 0,
		.uid = CHAN_ID_CALLER, .gid = CHAN_ID_CALLER,
		.index = CHAN_INDEX_ANY, .__reserved = 0,
	};
	return c;
}

/* Create must fail with @err and leave no channel behind. */
static void expect_fail(struct chan_ctl_create c, int err, const char *what)
{
	int before = count_chans(NULL), r;

	r = t_chan_create(&c);
	T_EQ(r, -err, "CREATE with %s gives %s", what, strerrorname_np(err));
	if (r >= 0)
		t_chan_destroy(c.index, 0);
	else
		T_EQ(count_chans(NULL), before, "  ... and creates no channel");
}

static void check_node(int idx, unsigned int mode, unsigned int uid,
		       unsigned int gid)
{
	unsigned int maj = 0, min = 0;
	char p[96], buf[32] = "";
	struct stat st;
	FILE *f;

	if (!T_EQ(SYS(stat(t_chan_path(idx), &st)), 0, "stat %s", t_chan_path(idx)))
		return;
	T_OK(S_ISCHR(st.st_mode), "%s is a character device", t_chan_path(idx));
	T_EQ(st.st_mode & 07777, mode, "%s has mode 0%o (got 0%o)",
	     t_chan_path(idx), mode, st.st_mode & 07777);
	T_EQ(st.st_uid, uid, "%s is owned by uid %u", t_chan_path(idx), uid);
	T_EQ(st.st_gid, gid, "%s has group gid %u", t_chan_path(idx), gid);
	snprintf(p, sizeof(p), T_SYSFS_CLASS "/chan%d/dev", idx);
	f = fopen(p, "r");
	if (f) {
		if (!fgets(buf, sizeof(buf), f) || sscanf(buf, "%u:%u", &maj, &min) != 2)
			maj = min = ~0u;
		fclose(f);
	}
	T_OK(f && maj == major(st.st_rdev) && min == minor(st.st_rdev),
	     "chan%d/dev (%u:%u) names the node's device (%u:%u)", idx, maj,
	     min, major(st.st_rdev), minor(st.st_rdev));
}

static int find_free_index(void)
{
	int i;

	for (i = (int)max_chans - 1; i >= 0; i--)
		if (!t_chan_exists(i) && access(t_chan_path(i), F_OK))
			return i;
	return -1;
}

static void test_any_index(void)
{
	struct chan_ctl_create c = good();
	int ctl, r;

	c.capacity = 5;
	c.msg_size = 100;
	r = t_chan_create(&c);
	if (!T_EQ(r, 0, "CREATE index -1 capacity 5 msg_size 100 returns 0"))
		return;
	T_OK(c.index >= 0 && c.index < max_chans,
	     "the assigned index %d is in [0, max_chans)", c.index);
	T_OK(c.index >= 0 && c.index < (int)T_ARRAY_SIZE(existed) && !existed[c.index],
	     "the assigned index %d was free before", c.index);
	T_EQ(t_wait_path(t_chan_path(c.index), true, T_NODE_MS), 0,
	     "%s appears", t_chan_path(c.index));
	check_node(c.index, 0600, 0, 0);
	T_EQ(t_attr(c.index, "capacity"), 5, "sysfs capacity shows 5");
	T_EQ(t_attr(c.index, "msg_size"), 100, "sysfs msg_size shows 100");
	T_EQ(t_attr(c.index, "len"), 0, "sysfs len is 0");
	T_EQ(t_attr(c.index, "closed"), 0, "sysfs closed is 0");
	T_EQ(t_chan_destroy(c.index, 0), 0, "destroy it");

	c = good();
	c.mode = 0640;
	c.uid = 1234;
	c.gid = 5678;
	if (T_EQ(t_chan_create(&c), 0, "CREATE mode 0640 uid 1234 gid 5678")) {
		check_node(c.index, 0640, 1234, 5678);
		T_EQ(t_chan_destroy(c.index, 0), 0, "destroy it");
	}

	c = good();
	c.mode = 0666;
	if (T_EQ(t_chan_create(&c), 0, "CREATE mode 0666")) {
		check_node(c.index, 0666, 0, 0);
		T_EQ(t_chan_destroy(c.index, 0), 0, "destroy it");
	}

	/* CHAN_ID_CALLER is the caller's fsuid/fsgid (header comment). */
	ctl = open(CHAN_CONTROL_PATH, O_RDWR);
	if (!T_GE(SYS(ctl), 0, "open %s", CHAN_CONTROL_PATH))
		return;
	c = good();
	setfsgid(4321);
	setfsuid(8765);
	r = SYS(ioctl(ctl, CHAN_CTL_CREATE, &c));
	setfsuid(0);
	setfsgid(0);
	close(ctl);
	if (T_EQ(r, 0, "CREATE with uid/gid CHAN_ID_CALLER under fsuid 8765 fsgid 4321")) {
		check_node(c.index, 0600, 8765, 4321);
		T_EQ(t_chan_destroy(c.index, 0), 0, "destroy it");
	}
}

static void test_specific_index(void)
{
	struct chan_ctl_create c = good();
	int idx = find_free_index();

	if (!T_GE(idx, 0, "found a free index below max_chans"))
		return;
	c.index = idx;
	if (!T_EQ(t_chan_create(&c), 0, "CREATE with the free index %d", idx))
		return;
	T_EQ(c.index, idx, "the index written back is %d", idx);
	T_EQ(t_wait_path(t_chan_path(idx), true, T_NODE_MS), 0, "%s appears",
	     t_chan_path(idx));
	c = good();
	c.index = idx;
	expect_fail(c, EEXIST, "a taken index (the one just created)");
	c.index = 0;
	expect_fail(c, EEXIST, "a taken index (0, created at load)");
	T_EQ(t_chan_destroy(idx, 0), 0, "destroy chan%d", idx);
	c = good();
	c.index = idx;
	if (T_EQ(t_chan_create(&c), 0, "CREATE at index %d again after destroy", idx))
		T_EQ(t_chan_destroy(idx, 0), 0, "destroy it");
}

static void test_einval(void)
{
	struct chan_ctl_create c;
	char what[128];

	c = good(); c.msg_size = 0;
	expect_fail(c, EINVAL, "msg_size 0");
	c = good(); c.capacity = max_capacity + 1;
	snprintf(what, sizeof(what), "capacity max_capacity+1 (%lld)", max_capacity + 1);
	expect_fail(c, EINVAL, what);
	c = good(); c.capacity = 0xffffffffu;
	expect_fail(c, EINVAL, "capacity 0xffffffff");
	c = good(); c.capacity = 1; c.msg_size = max_msg_size + 1;
	snprintf(what, sizeof(what),
		 "capacity 1 msg_size max_msg_size+1 (EINVAL before the byte budget)");
	expect_fail(c, EINVAL, what);
	c = good(); c.capacity = 0; c.msg_size = max_msg_size + 1;
	expect_fail(c, EINVAL, "capacity 0 msg_size max_msg_size+1");
	c = good(); c.msg_size = 0xffffffffu;
	expect_fail(c, EINVAL, "msg_size 0xffffffff");
	c = good(); c.capacity = max_capacity + 1; c.msg_size = max_msg_size;
	expect_fail(c, EINVAL, "capacity max_capacity+1 with a huge msg_size (EINVAL, not ENOMEM)");
	c = good(); c.index = max_chans;
	expect_fail(c, EINVAL, "index max_chans");
	c = good(); c.index = INT_MAX;
	expect_fail(c, EINVAL, "index INT_MAX");
	c = good(); c.index = -2;
	expect_fail(c, EINVAL, "index -2");
	c = good(); c.index = INT_MIN;
	expect_fail(c, EINVAL, "index INT_MIN");
	c = good(); c.flags = CHAN_CREATE_F_ALL << 1;
	expect_fail(c, EINVAL, "an unknown flag (CHAN_CREATE_F_ALL << 1)");
	c = good(); c.flags = 1u << 31;
	expect_fail(c, EINVAL, "an unknown flag (1 << 31)");
	c = good(); c.flags = ~0u;
	expect_fail(c, EINVAL, "flags ~0");
	c = good(); c.mode = 01000;
	expect_fail(c, EINVAL, "mode 01000 (sticky bit)");
	c = good(); c.mode = 04600;
	expect_fail(c, EINVAL, "mode 04600 (setuid bit)");
	c = good(); c.mode = 0100600;
	expect_fail(c, EINVAL, "mode 0100600 (S_IFREG bits)");
	c = good(); c.mode = 0xffffffffu;
	expect_fail(c, EINVAL, "mode 0xffffffff");
	c = good(); c.__reserved = 1;
	expect_fail(c, EINVAL, "__reserved 1");
	c = good(); c.__reserved = 0x80000000u;
	expect_fail(c, EINVAL, "__reserved 0x80000000");
}

static void test_limits_ok(void)
{
	struct chan_ctl_create c;

	c = good(); c.capacity = 0; c.msg_size = 1;
	if (T_EQ(t_chan_create(&c), 0, "capacity 0 (unbuffered) is valid")) {
		T_EQ(t_attr(c.index, "capacity"), 0, "sysfs capacity shows 0");
		T_EQ(t_chan_destroy(c.index, 0), 0, "destroy it");
	}
	c = good(); c.capacity = max_capacity; c.msg_size = 1;
	if (T_EQ(t_chan_create(&c), 0, "capacity max_capacity (%lld) msg_size 1 is valid",
		 max_capacity)) {
		T_EQ(t_attr(c.index, "capacity"), max_capacity, "sysfs capacity shows it");
		T_EQ(t_chan_destroy(c.index, 0), 0, "destroy it");
	}
	c = good(); c.capacity = 1; c.msg_size = max_msg_size;
	if (T_EQ(t_chan_create(&c), 0, "msg_size max_msg_size (%lld) capacity 1 is valid",
		 max_msg_size)) {
		T_EQ(t_attr(c.index, "msg_size"), max_msg_size, "sysfs msg_size shows it");
		T_EQ(t_chan_destroy(c.index, 0), 0, "destroy it");
	}
}

static void test_enomem(void)
{
	struct chan_ctl_create a, b;
	long long used = 0, avail, per;
	char what[160];

	a = good(); a.capacity = max_capacity; a.msg_size = max_msg_size;
	snprintf(what, sizeof(what), "capacity %lld x msg_size %lld (over max_bytes)",
		 max_capacity, max_msg_size);
	expect_fail(a, ENOMEM, what);
	/* 65536 x 65536 = 2^32: a 32-bit product would wrap to 0. */
	a = good(); a.capacity = 65536; a.msg_size = 65536;
	if (max_capacity >= 65536 && max_msg_size >= 65536)
		expect_fail(a, ENOMEM, "capacity 65536 x msg_size 65536 (2^32 bytes)");

	/* Two channels that each fit in what is left, but not together. */
	count_chans(&used);
	avail = max_bytes - used;
	per = avail / 2 / max_msg_size + 1;
	if (avail < 4 * max_msg_size || per > max_capacity) {
		t_skip("two-channel budget case: %lld bytes left of max_bytes %lld", avail,
		       max_bytes);
		return;
	}
	t_diag("budget: %lld of %lld bytes in use; two channels of %lld x %lld",
	       used, max_bytes, per, max_msg_size);
	a = good(); a.capacity = per; a.msg_size = max_msg_size;
	if (!T_EQ(t_chan_create(&a), 0, "channel A (%lld bytes) fits alone",
		  per * max_msg_size))
		return;
	b = a;
	b.index = CHAN_INDEX_ANY;
	expect_fail(b, ENOMEM, "channel B as big as A while A exists (over max_bytes together)");
	T_EQ(t_chan_destroy(a.index, 0), 0, "destroy A");
	b.index = CHAN_INDEX_ANY;
	if (T_EQ(t_chan_create(&b), 0, "B fits once A is destroyed (budget returned)"))
		T_EQ(t_chan_destroy(b.index, 0), 0, "destroy B");
}

static void test_efault(void)
{
	struct chan_ctl_create *ro;
	int before = count_chans(NULL);
	char *page;

	T_EQ(t_ctl_ioctl(CHAN_CTL_CREATE, t_null()), -EFAULT, "CREATE with a NULL argument");
	T_EQ(t_ctl_ioctl(CHAN_CTL_CREATE, t_bad_ptr()), -EFAULT,
	     "CREATE with an unmapped argument");
	/* A struct that runs off the end of a mapping into unmapped memory. */
	page = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		t_bail("mmap: %m");
	munmap(page + 4096, 4096);
	ro = (struct chan_ctl_create *)(page + 4096 - 16);
	memset(ro, 0, 16);
	T_EQ(t_ctl_ioctl(CHAN_CTL_CREATE, ro), -EFAULT,
	     "CREATE with a struct straddling into an unmapped page");
	/*
	 * A valid struct in a read-only page: the kernel can read it but not
	 * write the index back. Assumption: the create is undone (the caller
	 * never learns the index, so a channel left behind would leak).
	 */
	ro = (struct chan_ctl_create *)page;
	*ro = good();
	mprotect(page, 4096, PROT_READ);
	T_EQ(t_ctl_ioctl(CHAN_CTL_CREATE, ro), -EFAULT,
	     "CREATE with a read-only argument (index cannot be written back)");
	T_EQ(count_chans(NULL), before, "no channel is left behind by the EFAULT cases");
	munmap(page, 4096);
}

int main(void)
{
	int before;

	t_init("ctl_create");
	max_chans = t_param_or("max_chans", T_DEF_MAX_CHANS);
	max_capacity = t_param_or("max_capacity", T_DEF_MAX_CAPACITY);
	max_msg_size = t_param_or("max_msg_size", T_DEF_MAX_MSG_SIZE);
	max_bytes = t_param_or("max_bytes", T_DEF_MAX_BYTES);
	before = count_chans(NULL);
	snapshot();

	test_any_index();
	test_specific_index();
	test_einval();
	test_limits_ok();
	test_enomem();
	test_efault();

	T_EQ(count_chans(NULL), before, "as many channels at the end as at the start");
	destroy_strays();
	return t_done();
}
