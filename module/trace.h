/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoints of system "chan", for ftrace, perf and bpftrace. Numeric
 * fields only: no string helper is the same on every kernel kchan
 * supports (__assign_str changed in 6.10). The task is in every event's
 * common fields.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM chan

#if !defined(_CHAN_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _CHAN_TRACE_H

#include <linux/tracepoint.h>

/* A message sent or received, and how long its task was parked for it. */
DECLARE_EVENT_CLASS(chan_xfer_class,
	TP_PROTO(u32 index, u32 len, u64 waited_ns),
	TP_ARGS(index, len, waited_ns),
	TP_STRUCT__entry(
		__field(u32, index)
		__field(u32, len)
		__field(u64, waited_ns)
	),
	TP_fast_assign(
		__entry->index = index;
		__entry->len = len;
		__entry->waited_ns = waited_ns;
	),
	TP_printk("chan%u len=%u waited_ns=%llu", __entry->index,
		  __entry->len, __entry->waited_ns)
);

DEFINE_EVENT(chan_xfer_class, chan_send,
	TP_PROTO(u32 index, u32 len, u64 waited_ns),
	TP_ARGS(index, len, waited_ns));

DEFINE_EVENT(chan_xfer_class, chan_recv,
	TP_PROTO(u32 index, u32 len, u64 waited_ns),
	TP_ARGS(index, len, waited_ns));

/* A task parks: op is CHAN_OP_SEND or CHAN_OP_RECV; select is 1 for a case. */
TRACE_EVENT(chan_block,
	TP_PROTO(u32 index, u32 op, u32 select),
	TP_ARGS(index, op, select),
	TP_STRUCT__entry(
		__field(u32, index)
		__field(u32, op)
		__field(u32, select)
	),
	TP_fast_assign(
		__entry->index = index;
		__entry->op = op;
		__entry->select = select;
	),
	TP_printk("chan%u op=%u select=%u", __entry->index, __entry->op,
		  __entry->select)
);

/* A channel closes: len messages are still queued for receivers. */
TRACE_EVENT(chan_close,
	TP_PROTO(u32 index, u32 len),
	TP_ARGS(index, len),
	TP_STRUCT__entry(
		__field(u32, index)
		__field(u32, len)
	),
	TP_fast_assign(
		__entry->index = index;
		__entry->len = len;
	),
	TP_printk("chan%u len=%u", __entry->index, __entry->len)
);

/* The breaker's state changed (CHAN_BREAKER_CLOSED, _OPEN, _HALF_OPEN). */
TRACE_EVENT(chan_breaker,
	TP_PROTO(u32 index, u32 state, u64 generation, u32 open_ms),
	TP_ARGS(index, state, generation, open_ms),
	TP_STRUCT__entry(
		__field(u32, index)
		__field(u32, state)
		__field(u64, generation)
		__field(u32, open_ms)
	),
	TP_fast_assign(
		__entry->index = index;
		__entry->state = state;
		__entry->generation = generation;
		__entry->open_ms = open_ms;
	),
	TP_printk("chan%u state=%u generation=%llu open_ms=%u",
		  __entry->index, __entry->state, __entry->generation,
		  __entry->open_ms)
);

#endif /* _CHAN_TRACE_H */

#undef TRACE_INCLUDE_PATH
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_PATH .
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
