// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite chan_control: request validation (names included) and index
 * allocation of module/control.c.
 */

#include <kunit/test.h>
#include <linux/xarray.h>

#include "chan.h"
#include "suites.h"

static const struct chan_limits test_limits = {
	.max_chans = 8,
	.max_capacity = 100,
	.max_msg_size = 1000,
	.max_bytes = 1 << 20,
};

static struct chan_ctl_create good_request(void)
{
	struct chan_ctl_create req = {
		.capacity = 10,
		.msg_size = 100,
		.uid = CHAN_ID_CALLER,
		.gid = CHAN_ID_CALLER,
		.index = CHAN_INDEX_ANY,
	};

	return req;
}

static void validate_create_accepts_limits(struct kunit *test)
{
	struct chan_ctl_create req = good_request();

	KUNIT_EXPECT_EQ(test, chan_ctl_validate_create(&req, &test_limits), 0);
	req.capacity = 0;
	req.msg_size = 1000;
	req.index = 7;
	req.mode = 0777;
	req.flags = CHAN_CREATE_F_AUTOCLOSE;
	KUNIT_EXPECT_EQ(test, chan_ctl_validate_create(&req, &test_limits), 0);
	req.capacity = 100;
	KUNIT_EXPECT_EQ(test, chan_ctl_validate_create(&req, &test_limits), 0);
}

static void validate_create_rejects_bad_fields(struct kunit *test)
{
	struct chan_ctl_create req;

#define EXPECT_EINVAL(field, value)					\
	do {								\
		req = good_request();					\
		req.field = value;					\
		KUNIT_EXPECT_EQ_MSG(test,				\
			chan_ctl_validate_create(&req, &test_limits),	\
			-EINVAL, #field " = " #value);			\
	} while (0)

	EXPECT_EINVAL(msg_size, 0);
	EXPECT_EINVAL(msg_size, 1001);
	EXPECT_EINVAL(capacity, 101);
	EXPECT_EINVAL(index, 8);
	EXPECT_EINVAL(index, -2);
	EXPECT_EINVAL(flags, 2);
	EXPECT_EINVAL(mode, 01000);
	EXPECT_EINVAL(__reserved, 1);
#undef EXPECT_EINVAL
}

static int validate_name(const char *name, size_t len)
{
	struct chan_ctl_create req = good_request();

	memcpy(req.name, name, len);
	return chan_ctl_validate_create(&req, &test_limits);
}

static void validate_create_checks_names(struct kunit *test)
{
	static const char longest[CHAN_NAME_MAX] =
		"abcdefghijklmnopqrstuvwxyz01234";

	KUNIT_EXPECT_EQ(test, validate_name("", 0), 0);
	KUNIT_EXPECT_EQ(test, validate_name("jobs", 4), 0);
	KUNIT_EXPECT_EQ(test, validate_name("a", 1), 0);
	KUNIT_EXPECT_EQ(test, validate_name("A-z_0.9", 7), 0);
	KUNIT_EXPECT_EQ(test, validate_name("x.", 2), 0);
	KUNIT_EXPECT_EQ(test, validate_name(longest, CHAN_NAME_MAX - 1), 0);

	/* No terminating NUL within the field. */
	KUNIT_EXPECT_EQ(test, validate_name("abcdefghijklmnopqrstuvwxyz012345",
					    CHAN_NAME_MAX), -EINVAL);
	KUNIT_EXPECT_EQ(test, validate_name(".", 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, validate_name("..", 2), -EINVAL);
	KUNIT_EXPECT_EQ(test, validate_name(".hidden", 7), -EINVAL);
	KUNIT_EXPECT_EQ(test, validate_name("a/b", 3), -EINVAL);
	KUNIT_EXPECT_EQ(test, validate_name("a b", 3), -EINVAL);
	KUNIT_EXPECT_EQ(test, validate_name("a:b", 3), -EINVAL);
	KUNIT_EXPECT_EQ(test, validate_name("caf\xe9", 4), -EINVAL);
	KUNIT_EXPECT_EQ(test, validate_name("a\n", 2), -EINVAL);
	/* Bytes after the terminating NUL must be zero. */
	KUNIT_EXPECT_EQ(test, validate_name("a\0b", 3), -EINVAL);
	KUNIT_EXPECT_EQ(test, validate_name("\0b", 2), -EINVAL);
}

static void ids_alloc_any_takes_lowest_free(struct kunit *test)
{
	struct xarray ids;
	u32 id;
	int dummy;

	xa_init_flags(&ids, XA_FLAGS_ALLOC);
	KUNIT_EXPECT_EQ(test, chan_ids_alloc(&ids, &dummy, 1, 3, &id), 0);
	KUNIT_EXPECT_EQ(test, id, 1U);
	KUNIT_EXPECT_EQ(test, chan_ids_alloc(&ids, &dummy, CHAN_INDEX_ANY, 3,
					     &id), 0);
	KUNIT_EXPECT_EQ(test, id, 0U);
	KUNIT_EXPECT_EQ(test, chan_ids_alloc(&ids, &dummy, CHAN_INDEX_ANY, 3,
					     &id), 0);
	KUNIT_EXPECT_EQ(test, id, 2U);
	xa_destroy(&ids);
}

static void ids_alloc_reports_taken_full_and_range(struct kunit *test)
{
	struct xarray ids;
	u32 id;
	int dummy;

	xa_init_flags(&ids, XA_FLAGS_ALLOC);
	KUNIT_EXPECT_EQ(test, chan_ids_alloc(&ids, &dummy, 0, 2, &id), 0);
	KUNIT_EXPECT_EQ(test, chan_ids_alloc(&ids, &dummy, 0, 2, &id), -EEXIST);
	KUNIT_EXPECT_EQ(test, chan_ids_alloc(&ids, &dummy, 2, 2, &id), -EINVAL);
	KUNIT_EXPECT_EQ(test, chan_ids_alloc(&ids, &dummy, CHAN_INDEX_ANY, 2,
					     &id), 0);
	KUNIT_EXPECT_EQ(test, chan_ids_alloc(&ids, &dummy, CHAN_INDEX_ANY, 2,
					     &id), -ENOSPC);
	xa_erase(&ids, 0);
	KUNIT_EXPECT_EQ(test, chan_ids_alloc(&ids, &dummy, CHAN_INDEX_ANY, 2,
					     &id), 0);
	KUNIT_EXPECT_EQ(test, id, 0U);
	xa_destroy(&ids);
}

static void budget_charge_refuses_over_limit(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, chan_budget_charge(100, U64_MAX), 0);
	KUNIT_EXPECT_EQ(test, chan_budget_charge(U64_MAX / 2, 100), -ENOMEM);
	chan_budget_uncharge(100);
}

static struct kunit_case chan_control_cases[] = {
	KUNIT_CASE(validate_create_accepts_limits),
	KUNIT_CASE(validate_create_rejects_bad_fields),
	KUNIT_CASE(validate_create_checks_names),
	KUNIT_CASE(ids_alloc_any_takes_lowest_free),
	KUNIT_CASE(ids_alloc_reports_taken_full_and_range),
	KUNIT_CASE(budget_charge_refuses_over_limit),
	{}
};

struct kunit_suite chan_control_suite = {
	.name = "chan_control",
	.test_cases = chan_control_cases,
};
