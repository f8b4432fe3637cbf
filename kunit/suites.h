/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The KUnit suites of chan_kunit.ko, registered together in suites.c.
 */
#ifndef _CHAN_KUNIT_SUITES_H
#define _CHAN_KUNIT_SUITES_H

#include <kunit/test.h>

extern struct kunit_suite chan_ring_suite;
extern struct kunit_suite chan_core_suite;
extern struct kunit_suite chan_wait_suite;
extern struct kunit_suite chan_select_suite;
extern struct kunit_suite chan_breaker_suite;
extern struct kunit_suite chan_ratelimit_suite;
extern struct kunit_suite chan_admission_suite;
extern struct kunit_suite chan_observe_suite;
extern struct kunit_suite chan_control_suite;
extern struct kunit_suite chan_uapi_suite;
extern struct kunit_suite chan_chaos_suite;

#endif /* _CHAN_KUNIT_SUITES_H */
