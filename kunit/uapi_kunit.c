// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite chan_uapi: the layout of the ABI structs in linux/chan.h is
 * what user space compiled against any version of the header expects.
 */

#include <kunit/test.h>
#include <linux/ioctl.h>
#include <linux/stddef.h>
#include <linux/chan.h>

#include "suites.h"

static void expect_field(struct kunit *test, const char *name, size_t off,
			 size_t size, size_t want_off, size_t want_size)
{
	KUNIT_EXPECT_EQ_MSG(test, off, want_off, "offset of %s", name);
	KUNIT_EXPECT_EQ_MSG(test, size, want_size, "size of %s", name);
}

static void uapi_ctl_create_layout(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, (size_t)CHAN_CTL_CREATE_SIZE_VER0, (size_t)32);
	KUNIT_EXPECT_EQ(test, sizeof(struct chan_ctl_create),
			(size_t)CHAN_CTL_CREATE_SIZE_VER1);
	expect_field(test, "capacity", offsetof(struct chan_ctl_create, capacity),
		     sizeof_field(struct chan_ctl_create, capacity), 0, 4);
	expect_field(test, "msg_size", offsetof(struct chan_ctl_create, msg_size),
		     sizeof_field(struct chan_ctl_create, msg_size), 4, 4);
	expect_field(test, "flags", offsetof(struct chan_ctl_create, flags),
		     sizeof_field(struct chan_ctl_create, flags), 8, 4);
	expect_field(test, "mode", offsetof(struct chan_ctl_create, mode),
		     sizeof_field(struct chan_ctl_create, mode), 12, 4);
	expect_field(test, "uid", offsetof(struct chan_ctl_create, uid),
		     sizeof_field(struct chan_ctl_create, uid), 16, 4);
	expect_field(test, "gid", offsetof(struct chan_ctl_create, gid),
		     sizeof_field(struct chan_ctl_create, gid), 20, 4);
	expect_field(test, "index", offsetof(struct chan_ctl_create, index),
		     sizeof_field(struct chan_ctl_create, index), 24, 4);
	expect_field(test, "__reserved", offsetof(struct chan_ctl_create, __reserved),
		     sizeof_field(struct chan_ctl_create, __reserved), 28, 4);
	expect_field(test, "name", offsetof(struct chan_ctl_create, name),
		     sizeof_field(struct chan_ctl_create, name), 32, CHAN_NAME_MAX);
}

static void uapi_ctl_destroy_layout(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, sizeof(struct chan_ctl_destroy),
			(size_t)CHAN_CTL_DESTROY_SIZE_VER0);
	expect_field(test, "index", offsetof(struct chan_ctl_destroy, index),
		     sizeof_field(struct chan_ctl_destroy, index), 0, 4);
	expect_field(test, "flags", offsetof(struct chan_ctl_destroy, flags),
		     sizeof_field(struct chan_ctl_destroy, flags), 4, 4);
}

static void uapi_xfer_and_timeouts_layout(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, sizeof(struct chan_xfer),
			(size_t)CHAN_XFER_SIZE_VER0);
	expect_field(test, "buf", offsetof(struct chan_xfer, buf),
		     sizeof_field(struct chan_xfer, buf), 0, 8);
	expect_field(test, "len", offsetof(struct chan_xfer, len),
		     sizeof_field(struct chan_xfer, len), 8, 4);
	expect_field(test, "flags", offsetof(struct chan_xfer, flags),
		     sizeof_field(struct chan_xfer, flags), 12, 4);
	expect_field(test, "timeout_ns", offsetof(struct chan_xfer, timeout_ns),
		     sizeof_field(struct chan_xfer, timeout_ns), 16, 8);
	KUNIT_EXPECT_EQ(test, sizeof(struct chan_timeouts),
			(size_t)CHAN_TIMEOUTS_SIZE_VER0);
	expect_field(test, "send_ns", offsetof(struct chan_timeouts, send_ns),
		     sizeof_field(struct chan_timeouts, send_ns), 0, 8);
	expect_field(test, "recv_ns", offsetof(struct chan_timeouts, recv_ns),
		     sizeof_field(struct chan_timeouts, recv_ns), 8, 8);
}

static void uapi_ioctl_numbers_encode_sizes(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, _IOC_TYPE(CHAN_CTL_CREATE), CHAN_IOC_MAGIC);
	KUNIT_EXPECT_EQ(test, _IOC_SIZE(CHAN_CTL_CREATE),
			CHAN_CTL_CREATE_SIZE_VER1);
	KUNIT_EXPECT_EQ(test, _IOC_SIZE(CHAN_CTL_DESTROY),
			CHAN_CTL_DESTROY_SIZE_VER0);
	KUNIT_EXPECT_EQ(test, _IOC_SIZE(CHAN_IOC_SEND), CHAN_XFER_SIZE_VER0);
	KUNIT_EXPECT_EQ(test, _IOC_SIZE(CHAN_IOC_RECV), CHAN_XFER_SIZE_VER0);
	KUNIT_EXPECT_EQ(test, _IOC_SIZE(CHAN_IOC_SET_TIMEOUTS),
			CHAN_TIMEOUTS_SIZE_VER0);
	KUNIT_EXPECT_EQ(test, _IOC_DIR(CHAN_IOC_GET_TIMEOUTS),
			(unsigned int)_IOC_READ);
	KUNIT_EXPECT_NE(test, CHAN_IOC_SEND, CHAN_IOC_RECV);
}

static struct kunit_case chan_uapi_cases[] = {
	KUNIT_CASE(uapi_ctl_create_layout),
	KUNIT_CASE(uapi_ctl_destroy_layout),
	KUNIT_CASE(uapi_xfer_and_timeouts_layout),
	KUNIT_CASE(uapi_ioctl_numbers_encode_sizes),
	{}
};

struct kunit_suite chan_uapi_suite = {
	.name = "chan_uapi",
	.test_cases = chan_uapi_cases,
};
