// SPDX-License-Identifier: GPL-2.0
/*
 * Compile-time check of the kchan ABI (uapi/linux/chan.h): every struct
 * size and field offset, sizes multiple of 8, pointers carried as __u64,
 * the *_SIZE_VER0 values, and the ioctl numbers (type, number, direction,
 * size, all distinct). Built with -fsyntax-only by `make hdrtest`, natively
 * and with -m32 where available, so the layout is the same on both ABIs.
 */
#include <stddef.h>
#include <linux/ioctl.h>
#include <linux/chan.h>

#define FIELD(s, f)		(((struct s *)0)->f)
#define OFF(s, f, o)		_Static_assert(offsetof(struct s, f) == (o), \
					       #s "." #f " at offset " #o)
#define FSIZE(s, f, n)		_Static_assert(sizeof(FIELD(s, f)) == (n), \
					       #s "." #f " is " #n " bytes")
#define SIZE(s, n)		_Static_assert(sizeof(struct s) == (n) && \
					       (n) % 8 == 0, \
					       "struct " #s " is " #n " bytes")
#define TYPE(s, f, t)		_Static_assert(_Generic(FIELD(s, f), t: 1, \
					       default: 0), \
					       #s "." #f " is " #t)

/* struct chan_ctl_create */
SIZE(chan_ctl_create, 64);
_Static_assert(CHAN_CTL_CREATE_SIZE_VER0 == 32, "CHAN_CTL_CREATE_SIZE_VER0");
_Static_assert(CHAN_CTL_CREATE_SIZE_VER1 == 64, "CHAN_CTL_CREATE_SIZE_VER1");
_Static_assert(sizeof(struct chan_ctl_create) == CHAN_CTL_CREATE_SIZE_VER1,
	       "chan_ctl_create VER1 is the current size");
_Static_assert(CHAN_NAME_MAX == 32, "CHAN_NAME_MAX");
OFF(chan_ctl_create, capacity, 0);	TYPE(chan_ctl_create, capacity, __u32);
OFF(chan_ctl_create, msg_size, 4);	TYPE(chan_ctl_create, msg_size, __u32);
OFF(chan_ctl_create, flags, 8);		TYPE(chan_ctl_create, flags, __u32);
OFF(chan_ctl_create, mode, 12);		TYPE(chan_ctl_create, mode, __u32);
OFF(chan_ctl_create, uid, 16);		TYPE(chan_ctl_create, uid, __u32);
OFF(chan_ctl_create, gid, 20);		TYPE(chan_ctl_create, gid, __u32);
OFF(chan_ctl_create, index, 24);	TYPE(chan_ctl_create, index, __s32);
OFF(chan_ctl_create, __reserved, 28);	TYPE(chan_ctl_create, __reserved, __u32);
OFF(chan_ctl_create, name, 32);		TYPE(chan_ctl_create, name, __u8 *);
_Static_assert(sizeof(((struct chan_ctl_create *)0)->name) == CHAN_NAME_MAX, "name");

/* struct chan_ctl_destroy */
SIZE(chan_ctl_destroy, 8);
_Static_assert(CHAN_CTL_DESTROY_SIZE_VER0 == 8, "CHAN_CTL_DESTROY_SIZE_VER0");
_Static_assert(sizeof(struct chan_ctl_destroy) == CHAN_CTL_DESTROY_SIZE_VER0,
	       "chan_ctl_destroy VER0 is the current size");
OFF(chan_ctl_destroy, index, 0);	TYPE(chan_ctl_destroy, index, __s32);
OFF(chan_ctl_destroy, flags, 4);	TYPE(chan_ctl_destroy, flags, __u32);

/* struct chan_xfer: the buffer pointer travels as __u64 */
SIZE(chan_xfer, 24);
_Static_assert(CHAN_XFER_SIZE_VER0 == 24, "CHAN_XFER_SIZE_VER0");
_Static_assert(sizeof(struct chan_xfer) == CHAN_XFER_SIZE_VER0,
	       "chan_xfer VER0 is the current size");
OFF(chan_xfer, buf, 0);		TYPE(chan_xfer, buf, __u64);	FSIZE(chan_xfer, buf, 8);
OFF(chan_xfer, len, 8);		TYPE(chan_xfer, len, __u32);
OFF(chan_xfer, flags, 12);	TYPE(chan_xfer, flags, __u32);
OFF(chan_xfer, timeout_ns, 16);	TYPE(chan_xfer, timeout_ns, __s64);

/* struct chan_timeouts */
SIZE(chan_timeouts, 16);
_Static_assert(CHAN_TIMEOUTS_SIZE_VER0 == 16, "CHAN_TIMEOUTS_SIZE_VER0");
_Static_assert(sizeof(struct chan_timeouts) == CHAN_TIMEOUTS_SIZE_VER0,
	       "chan_timeouts VER0 is the current size");
OFF(chan_timeouts, send_ns, 0);	TYPE(chan_timeouts, send_ns, __s64);
OFF(chan_timeouts, recv_ns, 8);	TYPE(chan_timeouts, recv_ns, __s64);

/* struct chan_iov: one message of a batch (no ioctl of its own) */
SIZE(chan_iov, 16);
OFF(chan_iov, buf, 0);		TYPE(chan_iov, buf, __u64);	FSIZE(chan_iov, buf, 8);
OFF(chan_iov, len, 8);		TYPE(chan_iov, len, __u32);
OFF(chan_iov, __reserved, 12);	TYPE(chan_iov, __reserved, __u32);

/* struct chan_batch: the vector pointer travels as __u64 */
SIZE(chan_batch, 24);
_Static_assert(CHAN_BATCH_SIZE_VER0 == 24, "CHAN_BATCH_SIZE_VER0");
_Static_assert(sizeof(struct chan_batch) == CHAN_BATCH_SIZE_VER0,
	       "chan_batch VER0 is the current size");
OFF(chan_batch, vec, 0);	TYPE(chan_batch, vec, __u64);	FSIZE(chan_batch, vec, 8);
OFF(chan_batch, count, 8);	TYPE(chan_batch, count, __u32);
OFF(chan_batch, flags, 12);	TYPE(chan_batch, flags, __u32);
OFF(chan_batch, timeout_ns, 16);	TYPE(chan_batch, timeout_ns, __s64);

/* struct chan_select_case: one case of a select (no ioctl of its own) */
SIZE(chan_select_case, 24);
OFF(chan_select_case, fd, 0);		TYPE(chan_select_case, fd, __s32);
OFF(chan_select_case, op, 4);		TYPE(chan_select_case, op, __u32);
OFF(chan_select_case, buf, 8);		TYPE(chan_select_case, buf, __u64);
FSIZE(chan_select_case, buf, 8);
OFF(chan_select_case, len, 16);		TYPE(chan_select_case, len, __u32);
OFF(chan_select_case, result, 20);	TYPE(chan_select_case, result, __s32);

/* struct chan_select: the case array pointer travels as __u64 */
SIZE(chan_select, 24);
_Static_assert(CHAN_SELECT_SIZE_VER0 == 24, "CHAN_SELECT_SIZE_VER0");
_Static_assert(sizeof(struct chan_select) == CHAN_SELECT_SIZE_VER0,
	       "chan_select VER0 is the current size");
OFF(chan_select, cases, 0);	TYPE(chan_select, cases, __u64);
FSIZE(chan_select, cases, 8);
OFF(chan_select, ncases, 8);	TYPE(chan_select, ncases, __u32);
OFF(chan_select, flags, 12);	TYPE(chan_select, flags, __u32);
OFF(chan_select, timeout_ns, 16);	TYPE(chan_select, timeout_ns, __s64);

/* struct chan_breaker_config: fourteen __u32 */
SIZE(chan_breaker_config, 56);
_Static_assert(CHAN_BREAKER_CONFIG_SIZE_VER0 == 56,
	       "CHAN_BREAKER_CONFIG_SIZE_VER0");
_Static_assert(sizeof(struct chan_breaker_config) ==
	       CHAN_BREAKER_CONFIG_SIZE_VER0,
	       "chan_breaker_config VER0 is the current size");
OFF(chan_breaker_config, mode, 0);	TYPE(chan_breaker_config, mode, __u32);
OFF(chan_breaker_config, window_ms, 4);	TYPE(chan_breaker_config, window_ms, __u32);
OFF(chan_breaker_config, min_calls, 8);	TYPE(chan_breaker_config, min_calls, __u32);
OFF(chan_breaker_config, failure_pct, 12);
TYPE(chan_breaker_config, failure_pct, __u32);
OFF(chan_breaker_config, consecutive_failures, 16);
TYPE(chan_breaker_config, consecutive_failures, __u32);
OFF(chan_breaker_config, slow_ms, 20);	TYPE(chan_breaker_config, slow_ms, __u32);
OFF(chan_breaker_config, slow_pct, 24);	TYPE(chan_breaker_config, slow_pct, __u32);
OFF(chan_breaker_config, open_ms, 28);	TYPE(chan_breaker_config, open_ms, __u32);
OFF(chan_breaker_config, open_min_ms, 32);
TYPE(chan_breaker_config, open_min_ms, __u32);
OFF(chan_breaker_config, open_max_ms, 36);
TYPE(chan_breaker_config, open_max_ms, __u32);
OFF(chan_breaker_config, half_open_probes, 40);
TYPE(chan_breaker_config, half_open_probes, __u32);
OFF(chan_breaker_config, half_open_max_ms, 44);
TYPE(chan_breaker_config, half_open_max_ms, __u32);
OFF(chan_breaker_config, flags, 48);	TYPE(chan_breaker_config, flags, __u32);
OFF(chan_breaker_config, reserved, 52);	TYPE(chan_breaker_config, reserved, __u32);

/* struct chan_breaker_status: explicit padding keeps the __u64 aligned */
SIZE(chan_breaker_status, 72);
_Static_assert(CHAN_BREAKER_STATUS_SIZE_VER0 == 72,
	       "CHAN_BREAKER_STATUS_SIZE_VER0");
_Static_assert(sizeof(struct chan_breaker_status) ==
	       CHAN_BREAKER_STATUS_SIZE_VER0,
	       "chan_breaker_status VER0 is the current size");
OFF(chan_breaker_status, state, 0);	TYPE(chan_breaker_status, state, __u32);
OFF(chan_breaker_status, reserved, 4);	TYPE(chan_breaker_status, reserved, __u32);
OFF(chan_breaker_status, generation, 8);
TYPE(chan_breaker_status, generation, __u64);
OFF(chan_breaker_status, calls, 16);	TYPE(chan_breaker_status, calls, __u64);
OFF(chan_breaker_status, failures, 24);	TYPE(chan_breaker_status, failures, __u64);
OFF(chan_breaker_status, slow_calls, 32);
TYPE(chan_breaker_status, slow_calls, __u64);
OFF(chan_breaker_status, rejected, 40);	TYPE(chan_breaker_status, rejected, __u64);
OFF(chan_breaker_status, trips, 48);	TYPE(chan_breaker_status, trips, __u64);
OFF(chan_breaker_status, current_open_ms, 56);
TYPE(chan_breaker_status, current_open_ms, __u32);
OFF(chan_breaker_status, reserved2, 60);
TYPE(chan_breaker_status, reserved2, __u32);
OFF(chan_breaker_status, state_since_ns, 64);
TYPE(chan_breaker_status, state_since_ns, __u64);

/* struct chan_breaker_report */
SIZE(chan_breaker_report, 24);
_Static_assert(CHAN_BREAKER_REPORT_SIZE_VER0 == 24,
	       "CHAN_BREAKER_REPORT_SIZE_VER0");
_Static_assert(sizeof(struct chan_breaker_report) ==
	       CHAN_BREAKER_REPORT_SIZE_VER0,
	       "chan_breaker_report VER0 is the current size");
OFF(chan_breaker_report, ticket, 0);	TYPE(chan_breaker_report, ticket, __u64);
OFF(chan_breaker_report, outcome, 8);	TYPE(chan_breaker_report, outcome, __u32);
OFF(chan_breaker_report, reserved, 12);	TYPE(chan_breaker_report, reserved, __u32);
OFF(chan_breaker_report, duration_ns, 16);
TYPE(chan_breaker_report, duration_ns, __u64);

/* struct chan_rate */
SIZE(chan_rate, 8);
_Static_assert(CHAN_RATE_SIZE_VER0 == 8, "CHAN_RATE_SIZE_VER0");
_Static_assert(sizeof(struct chan_rate) == CHAN_RATE_SIZE_VER0,
	       "chan_rate VER0 is the current size");
OFF(chan_rate, rate, 0);	TYPE(chan_rate, rate, __u32);
OFF(chan_rate, burst, 4);	TYPE(chan_rate, burst, __u32);

/* struct chan_info */
SIZE(chan_info, 56);
_Static_assert(CHAN_INFO_SIZE_VER0 == 56, "CHAN_INFO_SIZE_VER0");
_Static_assert(sizeof(struct chan_info) == CHAN_INFO_SIZE_VER0,
	       "chan_info VER0 is the current size");
OFF(chan_info, index, 0);		TYPE(chan_info, index, __u32);
OFF(chan_info, capacity, 4);		TYPE(chan_info, capacity, __u32);
OFF(chan_info, msg_size, 8);		TYPE(chan_info, msg_size, __u32);
OFF(chan_info, flags, 12);		TYPE(chan_info, flags, __u32);
OFF(chan_info, len, 16);		TYPE(chan_info, len, __u32);
OFF(chan_info, closed, 20);		TYPE(chan_info, closed, __u32);
OFF(chan_info, waiting_senders, 24);	TYPE(chan_info, waiting_senders, __u32);
OFF(chan_info, waiting_receivers, 28);	TYPE(chan_info, waiting_receivers, __u32);
OFF(chan_info, readers, 32);		TYPE(chan_info, readers, __u32);
OFF(chan_info, writers, 36);		TYPE(chan_info, writers, __u32);
OFF(chan_info, breaker_state, 40);	TYPE(chan_info, breaker_state, __u32);
OFF(chan_info, reserved, 44);		TYPE(chan_info, reserved, __u32);
OFF(chan_info, oldest_wait_ms, 48);	TYPE(chan_info, oldest_wait_ms, __u64);

/* struct chan_stats */
_Static_assert(CHAN_HIST_BUCKETS == 32, "CHAN_HIST_BUCKETS");
SIZE(chan_stats, 640);
_Static_assert(CHAN_STATS_SIZE_VER0 == 640, "CHAN_STATS_SIZE_VER0");
_Static_assert(sizeof(struct chan_stats) == CHAN_STATS_SIZE_VER0,
	       "chan_stats VER0 is the current size");
OFF(chan_stats, sent, 0);		TYPE(chan_stats, sent, __u64);
OFF(chan_stats, received, 8);		TYPE(chan_stats, received, __u64);
OFF(chan_stats, bytes_sent, 16);	TYPE(chan_stats, bytes_sent, __u64);
OFF(chan_stats, bytes_received, 24);	TYPE(chan_stats, bytes_received, __u64);
OFF(chan_stats, full, 32);		TYPE(chan_stats, full, __u64);
OFF(chan_stats, empty, 40);		TYPE(chan_stats, empty, __u64);
OFF(chan_stats, send_timeouts, 48);	TYPE(chan_stats, send_timeouts, __u64);
OFF(chan_stats, recv_timeouts, 56);	TYPE(chan_stats, recv_timeouts, __u64);
OFF(chan_stats, interrupted, 64);	TYPE(chan_stats, interrupted, __u64);
OFF(chan_stats, breaker_rejected, 72);	TYPE(chan_stats, breaker_rejected, __u64);
OFF(chan_stats, rate_limited, 80);	TYPE(chan_stats, rate_limited, __u64);
OFF(chan_stats, admission_rejected, 88);	TYPE(chan_stats, admission_rejected, __u64);
OFF(chan_stats, send_wait_ns, 96);	TYPE(chan_stats, send_wait_ns, __u64);
OFF(chan_stats, recv_wait_ns, 104);	TYPE(chan_stats, recv_wait_ns, __u64);
OFF(chan_stats, send_wait_max_ns, 112);	TYPE(chan_stats, send_wait_max_ns, __u64);
OFF(chan_stats, recv_wait_max_ns, 120);	TYPE(chan_stats, recv_wait_max_ns, __u64);
OFF(chan_stats, send_wait_hist, 128);	FSIZE(chan_stats, send_wait_hist, 256);
OFF(chan_stats, recv_wait_hist, 384);	FSIZE(chan_stats, recv_wait_hist, 256);

/* constants */
_Static_assert(CHAN_IOC_MAGIC == 0xBC, "ioctl magic");
_Static_assert(CHAN_TIMEOUT_INFINITE == -1, "CHAN_TIMEOUT_INFINITE is -1");
_Static_assert(CHAN_INDEX_ANY == -1, "CHAN_INDEX_ANY is -1");
_Static_assert(CHAN_ID_CALLER == 0xffffffffu, "CHAN_ID_CALLER is (__u32)-1");
_Static_assert(CHAN_CREATE_F_ALL == CHAN_CREATE_F_AUTOCLOSE, "create flags");
_Static_assert(CHAN_DESTROY_F_ALL == CHAN_DESTROY_F_FORCE, "destroy flags");
_Static_assert(CHAN_ABI_VERSION == 2, "ABI version");
_Static_assert(CHAN_BATCH_MAX == 1024, "CHAN_BATCH_MAX");
_Static_assert(CHAN_SELECT_MAX == 64, "CHAN_SELECT_MAX");
_Static_assert(CHAN_OP_SEND == 1 && CHAN_OP_RECV == 2, "select case ops");
_Static_assert(CHAN_BREAKER_DISABLED == 0 && CHAN_BREAKER_AUTO == 1 &&
	       CHAN_BREAKER_FORCED_OPEN == 2 && CHAN_BREAKER_METRICS_ONLY == 3,
	       "breaker modes");
_Static_assert(CHAN_BREAKER_CLOSED == 0 && CHAN_BREAKER_OPEN == 1 &&
	       CHAN_BREAKER_HALF_OPEN == 2, "breaker states");
_Static_assert(CHAN_BREAKER_F_ADAPTIVE_THRESHOLD == 0x1U, "breaker flags");
_Static_assert(CHAN_OUTCOME_SUCCESS == 1 && CHAN_OUTCOME_FAILURE == 2,
	       "breaker report outcomes");

/* ioctl numbers: magic, number, direction and size of each */
#define IOC(cmd, dir, nr, size) \
	_Static_assert(_IOC_TYPE(cmd) == CHAN_IOC_MAGIC && \
		       _IOC_NR(cmd) == (nr) && _IOC_DIR(cmd) == (dir) && \
		       _IOC_SIZE(cmd) == (size), #cmd)
IOC(CHAN_CTL_GET_VERSION, _IOC_NONE, 0x00, 0);
IOC(CHAN_CTL_CREATE, _IOC_READ | _IOC_WRITE, 0x01, CHAN_CTL_CREATE_SIZE_VER1);
IOC(CHAN_CTL_DESTROY, _IOC_WRITE, 0x02, CHAN_CTL_DESTROY_SIZE_VER0);
IOC(CHAN_IOC_SEND, _IOC_WRITE, 0x10, CHAN_XFER_SIZE_VER0);
IOC(CHAN_IOC_RECV, _IOC_WRITE, 0x11, CHAN_XFER_SIZE_VER0);
IOC(CHAN_IOC_CLOSE, _IOC_NONE, 0x12, 0);
IOC(CHAN_IOC_SET_TIMEOUTS, _IOC_WRITE, 0x13, CHAN_TIMEOUTS_SIZE_VER0);
IOC(CHAN_IOC_GET_TIMEOUTS, _IOC_READ, 0x14, CHAN_TIMEOUTS_SIZE_VER0);
IOC(CHAN_IOC_SET_CAPACITY, _IOC_WRITE, 0x15, 4);
IOC(CHAN_IOC_SEND_BATCH, _IOC_WRITE, 0x16, CHAN_BATCH_SIZE_VER0);
IOC(CHAN_IOC_RECV_BATCH, _IOC_WRITE, 0x17, CHAN_BATCH_SIZE_VER0);
IOC(CHAN_IOC_SELECT, _IOC_WRITE, 0x18, CHAN_SELECT_SIZE_VER0);
IOC(CHAN_IOC_SET_BREAKER, _IOC_WRITE, 0x20, CHAN_BREAKER_CONFIG_SIZE_VER0);
IOC(CHAN_IOC_GET_BREAKER, _IOC_READ, 0x21, CHAN_BREAKER_CONFIG_SIZE_VER0);
IOC(CHAN_IOC_GET_BREAKER_STATUS, _IOC_READ, 0x22, CHAN_BREAKER_STATUS_SIZE_VER0);
IOC(CHAN_IOC_BREAKER_RESET, _IOC_NONE, 0x23, 0);
IOC(CHAN_IOC_BREAKER_ACQUIRE, _IOC_READ, 0x24, 8);
IOC(CHAN_IOC_BREAKER_REPORT, _IOC_WRITE, 0x25, CHAN_BREAKER_REPORT_SIZE_VER0);
IOC(CHAN_IOC_SET_RATE, _IOC_WRITE, 0x26, CHAN_RATE_SIZE_VER0);
IOC(CHAN_IOC_GET_RATE, _IOC_READ, 0x27, CHAN_RATE_SIZE_VER0);
IOC(CHAN_IOC_GET_INFO, _IOC_READ, 0x28, CHAN_INFO_SIZE_VER0);
IOC(CHAN_IOC_GET_STATS, _IOC_READ, 0x29, CHAN_STATS_SIZE_VER0);

/* Control numbers 0x00-0x0f, channel numbers from 0x10 (header comment). */
_Static_assert(_IOC_NR(CHAN_CTL_DESTROY) < 0x10 && _IOC_NR(CHAN_IOC_SEND) >= 0x10,
	       "control/channel number ranges");

/* A duplicate case label is a compile error: all numbers are distinct. */
int chan_abi_distinct(unsigned int cmd);
int chan_abi_distinct(unsigned int cmd)
{
	switch (cmd) {
	case CHAN_CTL_GET_VERSION:
	case CHAN_CTL_CREATE:
	case CHAN_CTL_DESTROY:
	case CHAN_IOC_SEND:
	case CHAN_IOC_RECV:
	case CHAN_IOC_CLOSE:
	case CHAN_IOC_SET_TIMEOUTS:
	case CHAN_IOC_GET_TIMEOUTS:
	case CHAN_IOC_SET_CAPACITY:
	case CHAN_IOC_SEND_BATCH:
	case CHAN_IOC_RECV_BATCH:
	case CHAN_IOC_SELECT:
	case CHAN_IOC_SET_BREAKER:
	case CHAN_IOC_GET_BREAKER:
	case CHAN_IOC_GET_BREAKER_STATUS:
	case CHAN_IOC_BREAKER_RESET:
	case CHAN_IOC_BREAKER_ACQUIRE:
	case CHAN_IOC_BREAKER_REPORT:
	case CHAN_IOC_SET_RATE:
	case CHAN_IOC_GET_RATE:
	case CHAN_IOC_GET_INFO:
	case CHAN_IOC_GET_STATS:
		return 1;
	}
	return 0;
}
