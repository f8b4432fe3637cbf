/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * kchan: Go-style channels for Linux processes.
 *
 * This is the user ABI of the chan module. /dev/chan-control creates and
 * destroys channels; each channel is a character device /dev/chan<N> that
 * moves whole messages with read(2)/write(2) or the ioctls below.
 *
 * Conventions:
 * - Every ioctl argument is a struct of fixed-width fields whose size is a
 *   multiple of 8. Pointers travel as __u64, so 32-bit callers work through
 *   compat_ptr_ioctl. Times are nanoseconds of CLOCK_MONOTONIC.
 * - Structs are extensible in the openat2 way: the size encoded in the ioctl
 *   number is the size the caller passed. The kernel accepts any size of at
 *   least the *_SIZE_VER0 of the struct; a bigger struct must have zero bytes
 *   past the end the kernel knows (E2BIG otherwise). Unknown flags and
 *   non-zero reserved fields give EINVAL. The handler is selected by type,
 *   number and direction; the size bits only say how much was passed.
 * - The ioctl magic is 0xBC, free in Documentation/userspace-api/ioctl/
 *   ioctl-number.rst. Numbers 0x00-0x0f are control-device ioctls, 0x10 and
 *   up are channel ioctls.
 * - Unknown ioctl numbers give ENOTTY.
 */
#ifndef _UAPI_LINUX_CHAN_H
#define _UAPI_LINUX_CHAN_H

#include <linux/types.h>
#include <linux/ioctl.h>

/*
 * ABI version returned by CHAN_CTL_GET_VERSION: 1, the first; 2 added
 * channel names (struct chan_ctl_create.name).
 */
#define CHAN_ABI_VERSION	2

#define CHAN_IOC_MAGIC		0xBC

/* Control device node and channel node name prefix. */
#define CHAN_CONTROL_PATH	"/dev/chan-control"
#define CHAN_DEV_PREFIX		"/dev/chan"

/* A timeout_ns of CHAN_TIMEOUT_INFINITE waits forever; 0 tries once. */
#define CHAN_TIMEOUT_INFINITE	(-1LL)

/* struct chan_ctl_create.flags */
/* Close the channel when its last writer goes away (pipe semantics). */
#define CHAN_CREATE_F_AUTOCLOSE	0x1U
#define CHAN_CREATE_F_ALL	(CHAN_CREATE_F_AUTOCLOSE)

/* struct chan_ctl_create.index: any free index. */
#define CHAN_INDEX_ANY		(-1)
/* struct chan_ctl_create.uid/gid: the caller's. */
#define CHAN_ID_CALLER		((__u32)-1)

/* Size of struct chan_ctl_create.name: names are 1..31 bytes. */
#define CHAN_NAME_MAX		32

/**
 * struct chan_ctl_create - argument of CHAN_CTL_CREATE
 * @capacity: messages the channel buffers; 0 makes it unbuffered
 *	(every send is a rendezvous with a receiver).
 * @msg_size: largest message in bytes, at least 1.
 * @flags: CHAN_CREATE_F_* flags.
 * @mode: permission bits of /dev/chan<N> (at most 0777); 0 means 0600.
 * @uid: owner of the node; CHAN_ID_CALLER means the caller's fsuid.
 * @gid: group of the node; CHAN_ID_CALLER means the caller's fsgid.
 * @index: in: the wanted index, or CHAN_INDEX_ANY; out: the index the
 *	channel got.
 * @__reserved: must be zero.
 * @name: (second version) the channel's name, NUL-padded; all zero for
 *	none. A name is 1..31 bytes of [A-Za-z0-9._-], not starting with
 *	'.', and unique among existing channels (EEXIST). It shows in sysfs
 *	"name" and in the device's uevent as CHAN_NAME, from which the
 *	installed udev rule links /dev/chan/<name>.
 *
 * Callers built against the first version (32 bytes, no name) keep
 * working: their channels have no name.
 */
struct chan_ctl_create {
	__u32 capacity;
	__u32 msg_size;
	__u32 flags;
	__u32 mode;
	__u32 uid;
	__u32 gid;
	__s32 index;
	__u32 __reserved;
	__u8 name[CHAN_NAME_MAX];
};

#define CHAN_CTL_CREATE_SIZE_VER0	32
#define CHAN_CTL_CREATE_SIZE_VER1	64

/* struct chan_ctl_destroy.flags */
/* Destroy even while fds are open: waiters and later calls get ENODEV. */
#define CHAN_DESTROY_F_FORCE	0x1U
#define CHAN_DESTROY_F_ALL	(CHAN_DESTROY_F_FORCE)

/**
 * struct chan_ctl_destroy - argument of CHAN_CTL_DESTROY
 * @index: the channel to destroy.
 * @flags: CHAN_DESTROY_F_* flags.
 */
struct chan_ctl_destroy {
	__s32 index;
	__u32 flags;
};

#define CHAN_CTL_DESTROY_SIZE_VER0	8

/**
 * struct chan_xfer - argument of CHAN_IOC_SEND and CHAN_IOC_RECV
 * @buf: user address of the message (send) or of the buffer (receive).
 * @len: bytes to send, or the size of the receive buffer.
 * @flags: must be zero.
 * @timeout_ns: CHAN_TIMEOUT_INFINITE, 0 to try once (EAGAIN), or a
 *	relative CLOCK_MONOTONIC timeout (ETIMEDOUT). Overrides O_NONBLOCK.
 *
 * CHAN_IOC_SEND returns 0 when the message was queued or handed over;
 * CHAN_IOC_RECV returns the length of the message received, 0 at the end
 * of a closed channel.
 *
 * Every send (write(2) too) is checked in this order: its size (EINVAL,
 * EMSGSIZE), a closed channel (EPIPE), the circuit breaker (ECONNREFUSED,
 * see struct chan_breaker_config), the rate limiter (see struct
 * chan_rate), then room: when there is none, a blocking send parks unless
 * adaptive admission (sysfs admission/) already has as many senders
 * parked as its cap, which fails it at once with EBUSY.
 */
struct chan_xfer {
	__u64 buf;
	__u32 len;
	__u32 flags;
	__s64 timeout_ns;
};

#define CHAN_XFER_SIZE_VER0	24

/**
 * struct chan_timeouts - argument of CHAN_IOC_SET_TIMEOUTS/GET_TIMEOUTS
 * @send_ns: default timeout of write(2) on this open file.
 * @recv_ns: default timeout of read(2) on this open file.
 *
 * Same encoding as &chan_xfer.timeout_ns; both default to
 * CHAN_TIMEOUT_INFINITE. O_NONBLOCK wins over them.
 */
struct chan_timeouts {
	__s64 send_ns;
	__s64 recv_ns;
};

#define CHAN_TIMEOUTS_SIZE_VER0	16

/* Most messages one CHAN_IOC_SEND_BATCH or CHAN_IOC_RECV_BATCH moves. */
#define CHAN_BATCH_MAX		1024

/**
 * struct chan_iov - one message of a batch
 * @buf: user address of the message (send) or of the buffer (receive).
 * @len: send: the message length, 1..msg_size. Receive: in, the size of
 *	the buffer (at least 1); out, the length of the message received.
 * @__reserved: must be zero.
 */
struct chan_iov {
	__u64 buf;
	__u32 len;
	__u32 __reserved;
};

/**
 * struct chan_batch - argument of CHAN_IOC_SEND_BATCH and CHAN_IOC_RECV_BATCH
 * @vec: user address of an array of @count struct chan_iov.
 * @count: number of messages, 1..CHAN_BATCH_MAX.
 * @flags: must be zero.
 * @timeout_ns: how long to wait for the first message (or for room for
 *	it), encoded as &chan_xfer.timeout_ns. The messages after the first
 *	move only if they can without waiting.
 *
 * The whole vector is checked before anything moves (EINVAL for a zero
 * length or non-zero reserved field, EMSGSIZE for a send longer than
 * msg_size, EFAULT for an unreadable vector or, on receive, an unwritable
 * one). The ioctl returns the number of messages moved, at least 1; an
 * error only when none moved; 0 from CHAN_IOC_RECV_BATCH at the end of a
 * closed channel. Messages move in vector order. A message's buffer that
 * is not mapped in is faulted in and the batch goes on; one that cannot be
 * read or written stops the batch there: a message being received goes
 * back to the head of the channel, a message being sent is not sent.
 */
struct chan_batch {
	__u64 vec;
	__u32 count;
	__u32 flags;
	__s64 timeout_ns;
};

#define CHAN_BATCH_SIZE_VER0	24

/* Most cases of one CHAN_IOC_SELECT. */
#define CHAN_SELECT_MAX		64

/* struct chan_select_case.op */
#define CHAN_OP_SEND		1
#define CHAN_OP_RECV		2

/**
 * struct chan_select_case - one case of a select
 * @fd: a file descriptor of a channel, open for writing (send) or reading
 *	(receive). The same channel may appear in several cases.
 * @op: CHAN_OP_SEND or CHAN_OP_RECV.
 * @buf: user address of the message (send) or of the buffer (receive).
 * @len: send: the message length, 1..msg_size; receive: the size of the
 *	buffer, at least 1.
 * @result: out, for the case that commits only: the number of bytes sent
 *	or received, 0 for a receive on a closed channel with nothing left,
 *	-EPIPE for a send on a closed channel.
 */
struct chan_select_case {
	__s32 fd;
	__u32 op;
	__u64 buf;
	__u32 len;
	__s32 result;
};

/**
 * struct chan_select - argument of CHAN_IOC_SELECT, Go's select statement
 * @cases: user address of an array of @ncases struct chan_select_case.
 * @ncases: number of cases, 1..CHAN_SELECT_MAX.
 * @flags: must be zero.
 * @timeout_ns: CHAN_TIMEOUT_INFINITE, 0 (Go's default: EAGAIN if no case
 *	is ready) or a relative CLOCK_MONOTONIC timeout (ETIMEDOUT).
 *
 * Exactly one case commits, atomically: no message is taken from or
 * delivered to more than one case, and a select never meets one of its own
 * cases. Among the cases ready at once one is chosen uniformly at random;
 * otherwise the caller waits on every channel at once for the first
 * counterpart, which may itself be a select. The ioctl, issued on any
 * channel fd, returns the index of the case that committed and writes its
 * @result. Errors, with nothing committed: EAGAIN, ETIMEDOUT, EINTR (or a
 * restart), EBADF (an fd that is not a channel, or not open for the case's
 * direction), EINVAL (ncases, flags, op, a zero len, a timeout), EMSGSIZE
 * (a send longer than msg_size; or the message a receive case would get
 * does not fit its buffer, which is reported rather than skipped), EFAULT
 * (a bad vector or buffer), ENODEV (a channel destroyed), ENOMEM (the
 * select's own bookkeeping, allocated before anything commits).
 */
struct chan_select {
	__u64 cases;
	__u32 ncases;
	__u32 flags;
	__s64 timeout_ns;
};

#define CHAN_SELECT_SIZE_VER0	24

/* struct chan_breaker_config.mode */
#define CHAN_BREAKER_DISABLED		0	/* admits everything, counts nothing */
#define CHAN_BREAKER_AUTO		1	/* the state machine */
#define CHAN_BREAKER_FORCED_OPEN	2	/* refuses every send */
#define CHAN_BREAKER_METRICS_ONLY	3	/* counts, never refuses */

/* struct chan_breaker_status.state */
#define CHAN_BREAKER_CLOSED		0
#define CHAN_BREAKER_OPEN		1
#define CHAN_BREAKER_HALF_OPEN		2

/* struct chan_breaker_config.flags */
#define CHAN_BREAKER_F_ADAPTIVE_THRESHOLD	0x1U

/**
 * struct chan_breaker_config - argument of CHAN_IOC_SET_BREAKER/GET_BREAKER
 * @mode: CHAN_BREAKER_DISABLED (default), _AUTO, _FORCED_OPEN or
 *	_METRICS_ONLY.
 * @window_ms: the sliding window of outcomes, >= 10 (default 10000), kept
 *	in 10 buckets.
 * @min_calls: outcomes the window must hold before a rate trips the
 *	breaker, >= 1 (default 10).
 * @failure_pct: the failure rate that trips it, 1..100 (default 50).
 * @consecutive_failures: failures in a row that trip it (default 0: off).
 * @slow_ms: a successful send that waited longer is slow (default 0: off).
 * @slow_pct: the rate of slow sends that trips it, 1..100 (default 100).
 * @open_ms: the open period before adaptation (default 5000).
 * @open_min_ms: the shortest open period (default 1000).
 * @open_max_ms: the longest open period (default 60000); open_min_ms <=
 *	open_ms <= open_max_ms.
 * @half_open_probes: sends HALF_OPEN admits, >= 1 (default 3).
 * @half_open_max_ms: a probe without a verdict this long after it was
 *	admitted (the first one outstanding) opens the breaker again
 *	(default 10000).
 * @flags: CHAN_BREAKER_F_ADAPTIVE_THRESHOLD.
 * @reserved: must be zero.
 *
 * Every time is in ms and must be > 0. CHAN_IOC_SET_BREAKER needs the
 * channel's owner or CAP_SYS_ADMIN and restarts the breaker CLOSED (OPEN
 * for FORCED_OPEN) in a new generation; EINVAL for a value out of range.
 */
struct chan_breaker_config {
	__u32 mode;
	__u32 window_ms;
	__u32 min_calls;
	__u32 failure_pct;
	__u32 consecutive_failures;
	__u32 slow_ms;
	__u32 slow_pct;
	__u32 open_ms;
	__u32 open_min_ms;
	__u32 open_max_ms;
	__u32 half_open_probes;
	__u32 half_open_max_ms;
	__u32 flags;
	__u32 reserved;
};

#define CHAN_BREAKER_CONFIG_SIZE_VER0	56

/**
 * struct chan_breaker_status - argument of CHAN_IOC_GET_BREAKER_STATUS
 * @state: CHAN_BREAKER_CLOSED, _OPEN or _HALF_OPEN, as of the call (an
 *	open period that ended shows as HALF_OPEN even with no traffic).
 * @reserved: zero.
 * @generation: bumped by every transition and reset.
 * @calls: outcomes in the current window.
 * @failures: failed sends in the current window.
 * @slow_calls: slow sends in the current window.
 * @rejected: sends refused with ECONNREFUSED, since creation or reset.
 * @trips: times the breaker opened, since creation or reset.
 * @current_open_ms: the open period now in force.
 * @reserved2: zero.
 * @state_since_ns: when the state began (CLOCK_MONOTONIC).
 */
struct chan_breaker_status {
	__u32 state;
	__u32 reserved;
	__u64 generation;
	__u64 calls;
	__u64 failures;
	__u64 slow_calls;
	__u64 rejected;
	__u64 trips;
	__u32 current_open_ms;
	__u32 reserved2;
	__u64 state_since_ns;
};

#define CHAN_BREAKER_STATUS_SIZE_VER0	72

/* struct chan_breaker_report.outcome */
#define CHAN_OUTCOME_SUCCESS	1
#define CHAN_OUTCOME_FAILURE	2

/**
 * struct chan_breaker_report - argument of CHAN_IOC_BREAKER_REPORT
 * @ticket: what CHAN_IOC_BREAKER_ACQUIRE gave.
 * @outcome: CHAN_OUTCOME_SUCCESS or CHAN_OUTCOME_FAILURE.
 * @reserved: must be zero.
 * @duration_ns: how long the call took (slow calls count with slow_ms).
 *
 * The shared breaker: processes guarding any downstream (a database, an
 * HTTP backend) through one channel's breaker ask CHAN_IOC_BREAKER_ACQUIRE
 * for a ticket (a __u64; ECONNREFUSED while the breaker refuses) before
 * each call and report its outcome with CHAN_IOC_BREAKER_REPORT: ESTALE
 * for a ticket of an older generation, or a probe's ticket reported
 * already, whose outcome is ignored.
 */
struct chan_breaker_report {
	__u64 ticket;
	__u32 outcome;
	__u32 reserved;
	__u64 duration_ns;
};

#define CHAN_BREAKER_REPORT_SIZE_VER0	24

/**
 * struct chan_rate - argument of CHAN_IOC_SET_RATE/GET_RATE
 * @rate: messages per second the send side admits; 0 turns the limit off
 *	(the default).
 * @burst: the bucket's size: the most messages admitted at once after a
 *	quiet spell; at least 1 when @rate is not 0.
 *
 * A token bucket: it starts full, and every CHAN_IOC_SET_RATE fills it
 * again; it gains @rate tokens a second, and each message sent takes one
 * (a batch takes up to one per message; a select's send case takes one
 * when the select starts, and gives it back unless that case commits).
 * Over any interval of t seconds, at most @burst + @rate x t messages are
 * admitted. The limiter comes after the closed check and the breaker, and
 * before waiting for room. With no token, a non-blocking send fails with
 * EAGAIN; a blocking one waits for its token, or fails with ETIMEDOUT at
 * once, without waiting, when the token would come after its timeout.
 * Either refusal counts in stats/rate_limited and is no outcome for the
 * breaker. A message that is not sent after all gives its token back.
 * CHAN_IOC_SET_RATE needs the rights of CHAN_IOC_SET_CAPACITY.
 */
struct chan_rate {
	__u32 rate;
	__u32 burst;
};

#define CHAN_RATE_SIZE_VER0	8

/*
 * Wait-time histograms (struct chan_stats): bucket 0 counts operations
 * that waited less than 1 us (most never waited at all); bucket i, 1..30,
 * those that waited [2^(i-1), 2^i) us; bucket 31 those that waited
 * 2^30 us (about 18 minutes) or more.
 */
#define CHAN_HIST_BUCKETS	32

/**
 * struct chan_info - argument of CHAN_IOC_GET_INFO: what a channel is and
 *	its gauges now (as in sysfs, read at once)
 * @index: N of /dev/chan<N>.
 * @capacity: messages it buffers (0: unbuffered).
 * @msg_size: largest message.
 * @flags: CHAN_CREATE_F_* it was created with.
 * @len: messages queued.
 * @closed: 1 once closed.
 * @waiting_senders: senders parked now.
 * @waiting_receivers: receivers parked now.
 * @readers: open files with read access.
 * @writers: open files with write access.
 * @breaker_state: CHAN_BREAKER_CLOSED, _OPEN or _HALF_OPEN.
 * @reserved: zero.
 * @oldest_wait_ms: how long the longest-parked waiter has waited, 0 when
 *	none waits.
 */
struct chan_info {
	__u32 index;
	__u32 capacity;
	__u32 msg_size;
	__u32 flags;
	__u32 len;
	__u32 closed;
	__u32 waiting_senders;
	__u32 waiting_receivers;
	__u32 readers;
	__u32 writers;
	__u32 breaker_state;
	__u32 reserved;
	__u64 oldest_wait_ms;
};

#define CHAN_INFO_SIZE_VER0	56

/**
 * struct chan_stats - argument of CHAN_IOC_GET_STATS: a channel's counters
 *	since it was created, as in sysfs stats/
 * @sent: messages queued or handed over.
 * @received: messages received.
 * @bytes_sent: bytes of @sent.
 * @bytes_received: bytes of @received.
 * @full: sends that found no room (or, unbuffered, no receiver).
 * @empty: receives that found nothing.
 * @send_timeouts: sends that ended with ETIMEDOUT after waiting for room.
 * @recv_timeouts: receives that ended with ETIMEDOUT.
 * @interrupted: waits ended by a signal.
 * @breaker_rejected: sends the breaker refused (since its last reset).
 * @rate_limited: sends the rate limiter refused.
 * @admission_rejected: sends adaptive admission refused.
 * @send_wait_ns: total time senders spent parked.
 * @recv_wait_ns: total time receivers spent parked.
 * @send_wait_max_ns: longest time a sender was parked at once.
 * @recv_wait_max_ns: longest time a receiver was parked at once.
 * @send_wait_hist: messages sent, by how long their sender waited
 *	(CHAN_HIST_BUCKETS); at rest it sums to @sent.
 * @recv_wait_hist: messages received, by how long their receiver waited;
 *	at rest it sums to @received.
 */
struct chan_stats {
	__u64 sent;
	__u64 received;
	__u64 bytes_sent;
	__u64 bytes_received;
	__u64 full;
	__u64 empty;
	__u64 send_timeouts;
	__u64 recv_timeouts;
	__u64 interrupted;
	__u64 breaker_rejected;
	__u64 rate_limited;
	__u64 admission_rejected;
	__u64 send_wait_ns;
	__u64 recv_wait_ns;
	__u64 send_wait_max_ns;
	__u64 recv_wait_max_ns;
	__u64 send_wait_hist[CHAN_HIST_BUCKETS];
	__u64 recv_wait_hist[CHAN_HIST_BUCKETS];
};

#define CHAN_STATS_SIZE_VER0	640

/* Control device (/dev/chan-control), each needs CAP_SYS_ADMIN. */
#define CHAN_CTL_GET_VERSION	_IO(CHAN_IOC_MAGIC, 0x00)
#define CHAN_CTL_CREATE		_IOWR(CHAN_IOC_MAGIC, 0x01, struct chan_ctl_create)
#define CHAN_CTL_DESTROY	_IOW(CHAN_IOC_MAGIC, 0x02, struct chan_ctl_destroy)

/* Channel devices (/dev/chan<N>). */
#define CHAN_IOC_SEND		_IOW(CHAN_IOC_MAGIC, 0x10, struct chan_xfer)
#define CHAN_IOC_RECV		_IOW(CHAN_IOC_MAGIC, 0x11, struct chan_xfer)
#define CHAN_IOC_CLOSE		_IO(CHAN_IOC_MAGIC, 0x12)
#define CHAN_IOC_SET_TIMEOUTS	_IOW(CHAN_IOC_MAGIC, 0x13, struct chan_timeouts)
#define CHAN_IOC_GET_TIMEOUTS	_IOR(CHAN_IOC_MAGIC, 0x14, struct chan_timeouts)
#define CHAN_IOC_SET_CAPACITY	_IOW(CHAN_IOC_MAGIC, 0x15, __u32)
#define CHAN_IOC_SEND_BATCH	_IOW(CHAN_IOC_MAGIC, 0x16, struct chan_batch)
#define CHAN_IOC_RECV_BATCH	_IOW(CHAN_IOC_MAGIC, 0x17, struct chan_batch)
#define CHAN_IOC_SELECT		_IOW(CHAN_IOC_MAGIC, 0x18, struct chan_select)
#define CHAN_IOC_SET_BREAKER	_IOW(CHAN_IOC_MAGIC, 0x20, struct chan_breaker_config)
#define CHAN_IOC_GET_BREAKER	_IOR(CHAN_IOC_MAGIC, 0x21, struct chan_breaker_config)
#define CHAN_IOC_GET_BREAKER_STATUS _IOR(CHAN_IOC_MAGIC, 0x22, struct chan_breaker_status)
#define CHAN_IOC_BREAKER_RESET	_IO(CHAN_IOC_MAGIC, 0x23)
#define CHAN_IOC_BREAKER_ACQUIRE _IOR(CHAN_IOC_MAGIC, 0x24, __u64)
#define CHAN_IOC_BREAKER_REPORT	_IOW(CHAN_IOC_MAGIC, 0x25, struct chan_breaker_report)
#define CHAN_IOC_SET_RATE	_IOW(CHAN_IOC_MAGIC, 0x26, struct chan_rate)
#define CHAN_IOC_GET_RATE	_IOR(CHAN_IOC_MAGIC, 0x27, struct chan_rate)
#define CHAN_IOC_GET_INFO	_IOR(CHAN_IOC_MAGIC, 0x28, struct chan_info)
#define CHAN_IOC_GET_STATS	_IOR(CHAN_IOC_MAGIC, 0x29, struct chan_stats)

#endif /* _UAPI_LINUX_CHAN_H */
