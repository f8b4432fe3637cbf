/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/*
 * libchan: the chan module's device interface as a small C API.
 *
 * Every function returns a value >= 0 on success or a negative errno
 * (liburing's convention): the error the kernel gave, unchanged, so the
 * ERRORS of chan(4) apply as they are. errno is not part of the
 * interface (a failed system call may leave it set). No function retries
 * on EINTR; a signal handler installed with SA_RESTART makes the kernel
 * restart a wait itself.
 *
 * Timeouts are relative nanoseconds of CLOCK_MONOTONIC:
 * CHAN_TIMEOUT_INFINITE (-1) waits for ever, 0 tries once (-EAGAIN when the
 * operation cannot complete at once).
 *
 * Channels are opened with O_CLOEXEC added. chan_close() is Go's close(ch):
 * it closes the channel for everyone; close(2) releases an fd.
 *
 * The channel structs (struct chan_info, chan_stats, chan_breaker_config,
 * ...) are those of <linux/chan.h>, documented there and in chan(4).
 */
#ifndef LIBCHAN_H
#define LIBCHAN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/chan.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LIBCHAN_VERSION_MAJOR	0
#define LIBCHAN_VERSION_MINOR	1

/* Where channels appear: sysfs class directory, named-channel links. */
#define CHAN_SYSFS_CLASS	"/sys/class/chan"
#define CHAN_NAME_DIR		"/dev/chan"

/* Control device: creating and destroying channels (CAP_SYS_ADMIN). */

/**
 * struct chan_attr - what chan_create_attr() creates
 * @capacity: messages buffered; 0 makes the channel unbuffered.
 * @msg_size: largest message, >= 1.
 * @flags: CHAN_CREATE_F_* (CHAN_CREATE_F_AUTOCLOSE).
 * @mode: node permission bits; 0 means 0600.
 * @uid, @gid: node owner; CHAN_ID_CALLER means the caller's.
 * @index: the wanted index, or CHAN_INDEX_ANY.
 * @name: NULL or "" for none, else 1..CHAN_NAME_MAX-1 bytes of
 *	[A-Za-z0-9._-] not starting with '.'.
 */
struct chan_attr {
	unsigned int capacity;
	unsigned int msg_size;
	unsigned int flags;
	unsigned int mode;
	uint32_t uid;
	uint32_t gid;
	int index;
	const char *name;
};

/* Fill @attr with the defaults: capacity 16, msg_size 4096, any index. */
void chan_attr_init(struct chan_attr *attr);
/*
 * Create a channel; returns its index. Without a name the first version of
 * struct chan_ctl_create is passed, so any module takes it; a name needs a
 * module of ABI 2 (an older one gives -E2BIG). -EINVAL for a name of
 * CHAN_NAME_MAX bytes or more, without asking the kernel.
 */
int chan_create_attr(const struct chan_attr *attr);
/* Shorthands: an unnamed or a named channel, default owner and mode. */
int chan_create(unsigned int capacity, unsigned int msg_size);
int chan_create_named(const char *name, unsigned int capacity,
		      unsigned int msg_size);
/* flags: CHAN_DESTROY_F_FORCE. */
int chan_destroy(int index, unsigned int flags);
/* CHAN_CTL_GET_VERSION: the module's ABI version. */
int chan_abi_version(void);

/* Opening channels. @flags: O_RDONLY, O_WRONLY or O_RDWR, O_NONBLOCK. */

/* /dev/chan<index>; -EINVAL for a negative index. */
int chan_open(int index, int flags);
/*
 * By name, resolved through sysfs (no udev needed); -ENOENT if none. The fd
 * is checked to be the channel still called @name (an index destroyed and
 * reused meanwhile is looked up again).
 */
int chan_open_name(const char *name, int flags);
/* The index of the channel called @name; -ENOENT, -EINVAL (invalid name). */
int chan_lookup(const char *name);
/*
 * The name of channel @index into @buf (empty if none); returns its length.
 * -ENOENT: no such channel; -ERANGE: @size cannot hold it and its NUL.
 */
int chan_name(int index, char *buf, size_t size);

/* Sending and receiving one message. */

/*
 * Sends return 0 once the message is queued or handed over; -EMSGSIZE for
 * a @len beyond UINT32_MAX. chan_send() is write(2): it blocks or not as
 * the fd does (O_NONBLOCK, its send timeout); chan_recv() is read(2).
 */
int chan_send(int fd, const void *buf, size_t len);
int chan_send_timeout(int fd, const void *buf, size_t len, int64_t timeout_ns);
int chan_try_send(int fd, const void *buf, size_t len);
/* Return the message's length, 0 at the end of a closed channel. */
ssize_t chan_recv(int fd, void *buf, size_t len);
ssize_t chan_recv_timeout(int fd, void *buf, size_t len, int64_t timeout_ns);
ssize_t chan_try_recv(int fd, void *buf, size_t len);
/* Go's close(ch): later sends get -EPIPE, receivers drain then get 0. */
int chan_close(int fd);

/* Batches: return how many messages moved (>= 1). */
int chan_send_batch(int fd, struct chan_iov *vec, unsigned int count,
		    int64_t timeout_ns);
int chan_recv_batch(int fd, struct chan_iov *vec, unsigned int count,
		    int64_t timeout_ns);

/*
 * Go's select: returns the index of the case that committed, whose result
 * is in its .result. Issued on cases[0].fd; -EINVAL for no case.
 */
void chan_case_send(struct chan_select_case *c, int fd, const void *buf,
		    size_t len);
void chan_case_recv(struct chan_select_case *c, int fd, void *buf,
		    size_t len);
int chan_select(struct chan_select_case *cases, unsigned int ncases,
		int64_t timeout_ns);

/* State and configuration of an open channel. */

int chan_get_info(int fd, struct chan_info *info);
int chan_get_stats(int fd, struct chan_stats *stats);
int chan_set_capacity(int fd, unsigned int capacity);
/* Default timeouts of read(2)/write(2) on this open file. */
int chan_set_timeouts(int fd, int64_t send_ns, int64_t recv_ns);
int chan_get_timeouts(int fd, int64_t *send_ns, int64_t *recv_ns);

/* Rate limiter: @rate messages a second (0: off), bursts of @burst. */
int chan_set_rate(int fd, uint32_t rate, uint32_t burst);
int chan_get_rate(int fd, uint32_t *rate, uint32_t *burst);

/* Circuit breaker. */

/* The module's defaults (mode CHAN_BREAKER_AUTO, window 10 s, ...). */
void chan_breaker_config_init(struct chan_breaker_config *cfg);
int chan_breaker_set(int fd, const struct chan_breaker_config *cfg);
int chan_breaker_get(int fd, struct chan_breaker_config *cfg);
int chan_breaker_status(int fd, struct chan_breaker_status *status);
int chan_breaker_reset(int fd);
/* As sysfs breaker/state: "closed", "open", "half_open"; NULL if unknown. */
const char *chan_breaker_state_name(unsigned int state);
/*
 * As sysfs breaker/mode: "disabled", "auto", "forced_open", "metrics_only";
 * NULL if unknown.
 */
const char *chan_breaker_mode_name(unsigned int mode);
/* The CHAN_BREAKER_* mode called @name, or -EINVAL. */
int chan_breaker_mode_parse(const char *name);

/* The shared breaker: a ticket before each call, its outcome after. */
int chan_breaker_acquire(int fd, uint64_t *ticket);
int chan_breaker_report(int fd, uint64_t ticket, unsigned int outcome,
			uint64_t duration_ns);

/*
 * A guarded call: acquire a ticket, run @fn with a deadline, report its
 * outcome and duration, and retry failures with exponential backoff and
 * jitter (resilience4j's Retry around its CircuitBreaker).
 *
 * @fn gets @arg and the absolute CLOCK_MONOTONIC deadline in ns (0 when
 * there is none) and returns 0 for success or a negative errno (anything
 * but 0 is a failure, returned as it is). A call that returns 0 after its
 * deadline counts as a failure, -ETIMEDOUT.
 */
typedef int (*chan_call_fn)(void *arg, uint64_t deadline_ns);

/* struct chan_call_opts.flags */
#define CHAN_CALL_RETRY_REFUSED	0x1U	/* retry -ECONNREFUSED too */

/**
 * struct chan_call_opts - how chan_guarded_call() calls and retries
 * @timeout_ns: each attempt's deadline, relative; 0: none.
 * @max_attempts: attempts in all, >= 1 (0 means 1).
 * @backoff_ns: the wait before the second attempt.
 * @backoff_max_ns: the longest wait (0: no cap).
 * @multiplier_pct: each wait is the previous one x this / 100 (0: 200).
 * @jitter_pct: each wait is drawn uniformly within +- this % (0..100).
 * @flags: CHAN_CALL_RETRY_REFUSED.
 * @attempts: out, when not NULL: the attempts made (refusals included).
 */
struct chan_call_opts {
	uint64_t timeout_ns;
	unsigned int max_attempts;
	uint64_t backoff_ns;
	uint64_t backoff_max_ns;
	unsigned int multiplier_pct;
	unsigned int jitter_pct;
	unsigned int flags;
	unsigned int *attempts;
};

/*
 * Returns 0 when an attempt succeeded; otherwise the last attempt's error:
 * -ECONNREFUSED when the breaker refused it, or what @fn returned. An
 * error of the channel itself (-EBADF, -ENOTTY, -ENODEV from acquiring a
 * ticket or reporting an outcome; -ESTALE is ignored) ends it at once.
 * -EINVAL for a NULL @fn or a jitter_pct above 100. @opts may be NULL: one
 * attempt, no deadline.
 */
int chan_guarded_call(int fd, chan_call_fn fn, void *arg,
		      const struct chan_call_opts *opts);

/* Time: CLOCK_MONOTONIC in ns, the clock of every deadline here. */
uint64_t chan_now_ns(void);

#ifdef __cplusplus
}
#endif

#endif /* LIBCHAN_H */
