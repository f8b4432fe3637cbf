// SPDX-License-Identifier: GPL-2.0
/*
 * Description: CHAN_CTL_CREATE and CHAN_CTL_DESTROY take extensible structs
 * (openat2 style, chan(4), Extensible structs): the ioctl number keeps type,
 * number and direction but carries another size. Smaller than SIZE_VER0 ->
 * EINVAL; bigger with a zero tail -> works (any size, odd ones and the
 * 14-bit maximum included); bigger with a non-zero byte in the tail -> E2BIG
 * and nothing happens; a tail running into unmapped memory -> EFAULT; the
 * struct at a misaligned user address works. CREATE writes back only what
 * it knows: the caller's tail stays zero. CREATE has two versions: 32
 * bytes, and 64 with the name.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "helpers.h"

#define CREATE_SZ(sz)	_IOC(_IOC_READ | _IOC_WRITE, CHAN_IOC_MAGIC, 0x01, (sz))
#define DESTROY_SZ(sz)	_IOC(_IOC_WRITE, CHAN_IOC_MAGIC, 0x02, (sz))
#define MAX_SZ		((1 << _IOC_SIZEBITS) - 1)
#define BUF_SZ		(MAX_SZ + 64 + 4096)

static unsigned char *buf;	/* BUF_SZ bytes, page aligned */

static struct chan_ctl_create create_arg(void)
{
	return (struct chan_ctl_create){ .capacity = 1, .msg_size = 8,
		.uid = CHAN_ID_CALLER, .gid = CHAN_ID_CALLER,
		.index = CHAN_INDEX_ANY };
}

static bool tail_zero(const unsigned char *p, size_t from, size_t to)
{
	size_t i;

	for (i = from; i < to; i++)
		if (p[i])
			return false;
	return true;
}

/* CREATE with @size bytes at buf + @off, tail byte @dirty set if >= 0. */
static int try_create(size_t size, size_t off, long dirty, int *index)
{
	struct chan_ctl_create c = create_arg();
	unsigned char *p = buf + off;
	int r;

	memset(buf, 0, BUF_SZ);
	memcpy(p, &c, sizeof(c) < size ? sizeof(c) : size);
	if (dirty >= 0)
		p[dirty] = 0x5a;
	r = t_ctl_ioctl(CREATE_SZ(size), p);
	memcpy(&c, p, sizeof(c));
	*index = c.index;
	if (r == 0 && size > sizeof(c))
		T_OK(tail_zero(p, sizeof(c), size),
		     "CREATE size %zu: the kernel left the caller's tail alone", size);
	return r;
}

static void create_ok(size_t size, size_t off)
{
	int idx, r = try_create(size, off, -1, &idx);

	if (T_EQ(r, 0, "CREATE with size %zu at offset %zu, zero tail, works", size, off)) {
		T_OK(idx >= 0 && t_chan_exists(idx), "  ... and chan%d exists", idx);
		if (idx >= 0)
			t_chan_destroy(idx, 0);
	}
}

static void create_fail(size_t size, long dirty, int err)
{
	int idx, r = try_create(size, 0, dirty, &idx);

	if (dirty >= 0)
		T_EQ(r, -err, "CREATE with size %zu and tail byte %ld set gives %s",
		     size, dirty, strerrorname_np(err));
	else
		T_EQ(r, -err, "CREATE with size %zu gives %s", size, strerrorname_np(err));
	if (r == 0 && idx >= 0)
		t_chan_destroy(idx, CHAN_DESTROY_F_FORCE);
}

static int try_destroy(int index, size_t size, size_t off, long dirty)
{
	struct chan_ctl_destroy d = { .index = index, .flags = 0 };
	unsigned char *p = buf + off;

	memset(buf, 0, BUF_SZ);
	memcpy(p, &d, sizeof(d) < size ? sizeof(d) : size);
	if (dirty >= 0)
		p[dirty] = 0xa5;
	return t_ctl_ioctl(DESTROY_SZ(size), p);
}

static void destroy_case(size_t size, size_t off, long dirty, int err)
{
	int idx = t_chan_new(1, 8, 0), r;

	if (!T_GE(idx, 0, "create a channel to destroy"))
		return;
	r = try_destroy(idx, size, off, dirty);
	if (err == 0) {
		T_EQ(r, 0, "DESTROY with size %zu at offset %zu, zero tail, works", size, off);
		T_OK(!t_chan_exists(idx), "  ... and chan%d is gone", idx);
	} else if (dirty >= 0) {
		T_EQ(r, -err, "DESTROY with size %zu and tail byte %ld set gives %s", size,
		     dirty, strerrorname_np(err));
	} else {
		T_EQ(r, -err, "DESTROY with size %zu gives %s", size, strerrorname_np(err));
	}
	if (r == 0)
		t_chan_forget(idx);
	else
		T_OK(t_chan_exists(idx), "  ... and chan%d is still there", idx);
	if (t_chan_exists(idx))
		t_chan_destroy(idx, 0);
}

/*
 * The current struct is the second version (64 bytes, with the name); the
 * first (32 bytes) still works. Bytes 32..63 are the name: a non-zero one
 * there is a name (valid or not), not a tail.
 */
static void test_create(void)
{
	static const size_t small[] = { 0, 1, 8, 16, 24, CHAN_CTL_CREATE_SIZE_VER0 - 1 };
	static const size_t big[] = { CHAN_CTL_CREATE_SIZE_VER0 + 1,
		CHAN_CTL_CREATE_SIZE_VER0 + 8, CHAN_CTL_CREATE_SIZE_VER1 + 1,
		CHAN_CTL_CREATE_SIZE_VER1 + 8, 4096, MAX_SZ };
	static const size_t offs[] = { 1, 3, 7, 4095 };
	size_t i;

	create_ok(CHAN_CTL_CREATE_SIZE_VER0, 0);
	create_ok(CHAN_CTL_CREATE_SIZE_VER1, 0);
	for (i = 0; i < T_ARRAY_SIZE(small); i++)
		create_fail(small[i], -1, EINVAL);
	for (i = 0; i < T_ARRAY_SIZE(big); i++)
		create_ok(big[i], 0);
	create_fail(CHAN_CTL_CREATE_SIZE_VER1 + 8, CHAN_CTL_CREATE_SIZE_VER1, E2BIG);
	create_fail(CHAN_CTL_CREATE_SIZE_VER1 + 8, CHAN_CTL_CREATE_SIZE_VER1 + 7, E2BIG);
	create_fail(CHAN_CTL_CREATE_SIZE_VER1 + 1, CHAN_CTL_CREATE_SIZE_VER1, E2BIG);
	create_fail(MAX_SZ, MAX_SZ - 1, E2BIG);
	/* A name byte after a NUL: not a name (EINVAL), whatever the size. */
	create_fail(CHAN_CTL_CREATE_SIZE_VER0 + 8, CHAN_CTL_CREATE_SIZE_VER0 + 7, EINVAL);
	create_fail(CHAN_CTL_CREATE_SIZE_VER1, CHAN_CTL_CREATE_SIZE_VER1 - 1, EINVAL);
	for (i = 0; i < T_ARRAY_SIZE(offs); i++) {
		create_ok(CHAN_CTL_CREATE_SIZE_VER0, offs[i]);
		create_ok(CHAN_CTL_CREATE_SIZE_VER1, offs[i]);
		create_ok(CHAN_CTL_CREATE_SIZE_VER1 + 8, offs[i]);
	}
}

static void test_destroy(void)
{
	static const size_t small[] = { 0, 1, 4, CHAN_CTL_DESTROY_SIZE_VER0 - 1 };
	static const size_t big[] = { CHAN_CTL_DESTROY_SIZE_VER0 + 1, 16, 4096, MAX_SZ };
	static const size_t offs[] = { 1, 3, 7, 4095 };
	size_t i;

	destroy_case(CHAN_CTL_DESTROY_SIZE_VER0, 0, -1, 0);
	for (i = 0; i < T_ARRAY_SIZE(small); i++)
		destroy_case(small[i], 0, -1, EINVAL);
	for (i = 0; i < T_ARRAY_SIZE(big); i++)
		destroy_case(big[i], 0, -1, 0);
	destroy_case(16, 0, CHAN_CTL_DESTROY_SIZE_VER0, E2BIG);
	destroy_case(16, 0, 15, E2BIG);
	destroy_case(MAX_SZ, 0, MAX_SZ - 1, E2BIG);
	for (i = 0; i < T_ARRAY_SIZE(offs); i++) {
		destroy_case(CHAN_CTL_DESTROY_SIZE_VER0, offs[i], -1, 0);
		destroy_case(16, offs[i], -1, 0);
	}
}

/* The known part is readable, the tail runs into an unmapped page. */
static void test_tail_fault(void)
{
	struct chan_ctl_create c = create_arg();
	unsigned char *pg, *p;
	int idx, r;

	pg = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (pg == MAP_FAILED)
		t_bail("mmap: %m");
	munmap(pg + 4096, 4096);
	p = pg + 4096 - sizeof(c);
	memcpy(p, &c, sizeof(c));
	r = t_ctl_ioctl(CREATE_SZ(sizeof(c) + 64), p);
	T_EQ(r, -EFAULT, "CREATE whose tail lies in an unmapped page gives EFAULT");
	memcpy(&c, p, sizeof(c));
	if (r == 0 && c.index >= 0)
		t_chan_destroy(c.index, CHAN_DESTROY_F_FORCE);

	idx = t_chan_new(1, 8, 0);
	if (T_GE(idx, 0, "create a channel")) {
		struct chan_ctl_destroy d = { .index = idx };

		p = pg + 4096 - sizeof(d);
		memcpy(p, &d, sizeof(d));
		T_EQ(t_ctl_ioctl(DESTROY_SZ(sizeof(d) + 8), p), -EFAULT,
		     "DESTROY whose tail lies in an unmapped page gives EFAULT");
		T_OK(t_chan_exists(idx), "  ... and the channel is still there");
		t_chan_destroy(idx, 0);
	}
	munmap(pg, 4096);
}

int main(void)
{
	t_init("ctl_extensible");
	buf = mmap(NULL, BUF_SZ, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		t_bail("mmap: %m");
	test_create();
	test_destroy();
	test_tail_fault();
	return t_done();
}
