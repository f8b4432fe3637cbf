// SPDX-License-Identifier: GPL-2.0
/*
 * chan_kunit.ko: registers the KUnit suites of the chan module. They run
 * when this module is loaded (after chan.ko, whose internals they use).
 */

#include <kunit/test.h>
#include <linux/module.h>

#include "suites.h"

kunit_test_suites(&chan_ring_suite, &chan_core_suite, &chan_wait_suite,
		  &chan_select_suite, &chan_breaker_suite, &chan_ratelimit_suite,
		  &chan_admission_suite, &chan_observe_suite, &chan_control_suite,
		  &chan_uapi_suite, &chan_chaos_suite);

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests of the chan module");
