/* SPDX-License-Identifier: GPL-2.0 */
/*
 * chanstat: every channel at a glance, the user-space face of the chan
 * module's observability. What the files of this directory share: one
 * channel's sample (sysfs gauges and counters, the wait histograms of
 * CHAN_IOC_GET_STATS), a snapshot of every channel, and the views that
 * print them.
 */
#ifndef CHANSTAT_H
#define CHANSTAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <linux/chan.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define NSEC_PER_USEC	1000ULL
#define NSEC_PER_MSEC	1000000ULL
#define NSEC_PER_SEC	1000000000ULL

/* Gauges: files of /sys/class/chan/chan<N>/, named as in JSON. */
enum chan_gauge {
	GAUGE_CAPACITY,
	GAUGE_MSG_SIZE,
	GAUGE_LEN,
	GAUGE_CLOSED,
	GAUGE_WAITING_SENDERS,
	GAUGE_WAITING_RECEIVERS,
	GAUGE_READERS,
	GAUGE_WRITERS,
	GAUGE_OLDEST_WAIT_MS,
	NR_GAUGES
};

/*
 * Counters: files of stats/, named as in JSON; also in struct chan_stats,
 * except the last (CTR_CHAOS_INJECTED), read from sysfs only.
 */
enum chan_counter {
	CTR_SENT,
	CTR_RECEIVED,
	CTR_BYTES_SENT,
	CTR_BYTES_RECEIVED,
	CTR_FULL,
	CTR_EMPTY,
	CTR_SEND_TIMEOUTS,
	CTR_RECV_TIMEOUTS,
	CTR_INTERRUPTED,
	CTR_SEND_WAIT_NS,
	CTR_RECV_WAIT_NS,
	CTR_SEND_WAIT_MAX_NS,
	CTR_RECV_WAIT_MAX_NS,
	CTR_BREAKER_REJECTED,
	CTR_RATE_LIMITED,
	CTR_ADMISSION_REJECTED,
	CTR_CHAOS_INJECTED,
	NR_COUNTERS
};

/* The two sides of a channel, each with its wait histogram. */
enum wait_side {
	SIDE_SEND,
	SIDE_RECV,
	NR_SIDES
};

extern const char *const gauge_names[NR_GAUGES];
extern const char *const counter_names[NR_COUNTERS];
extern const char *const side_names[NR_SIDES];
/* breaker/state and breaker/mode values, indexed by CHAN_BREAKER_*. */
extern const char *const breaker_state_names[3];
extern const char *const breaker_mode_names[4];

/**
 * struct chan_sample - one channel as read at one moment
 * @index: N of /dev/chan<N>.
 * @gauge: the gauges, by enum chan_gauge.
 * @counter: the counters, by enum chan_counter.
 * @breaker_mode: breaker/mode ("disabled", "auto", ...).
 * @breaker_state: breaker/state ("closed", "open", "half_open").
 * @rate: rate/rate, messages per second (0: no limit).
 * @burst: rate/burst.
 * @has_hist: @hist holds CHAN_IOC_GET_STATS's histograms; false when the
 *	device could not be opened (EACCES) or the module has no such ioctl.
 * @hist: wait histograms, by enum wait_side.
 */
struct chan_sample {
	unsigned int index;
	unsigned long long gauge[NR_GAUGES];
	unsigned long long counter[NR_COUNTERS];
	char breaker_mode[16];
	char breaker_state[16];
	unsigned long long rate;
	unsigned long long burst;
	bool has_hist;
	unsigned long long hist[NR_SIDES][CHAN_HIST_BUCKETS];
};

/**
 * struct snapshot - every channel (or the one asked for), by index
 * @chans: the samples, sorted by index.
 * @nr: how many.
 * @taken_ns: CLOCK_MONOTONIC time of the sample.
 */
struct snapshot {
	struct chan_sample *chans;
	size_t nr;
	uint64_t taken_ns;
};

/* Where the module's files are, under $CHANSTAT_ROOT (for tests). */
#define SYSFS_CLASS_DIR	"/sys/class/chan"
#define DEBUGFS_DIR	"/sys/kernel/debug"
#define DEBUGFS_CHAN_DIR	DEBUGFS_DIR "/chan"

/* main.c APIs: */
const char *root_path(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* sample.c APIs: */
int snapshot_take(struct snapshot *snap, int only_index);
void snapshot_free(struct snapshot *snap);
const struct chan_sample *snapshot_find(const struct snapshot *snap,
					unsigned int index);

/* hist.c APIs: */
#define HIST_NO_BUCKET	(-1)
unsigned long long hist_total(const unsigned long long *hist);
int hist_percentile_bucket(const unsigned long long *hist, unsigned int pct);
unsigned long long hist_bucket_bound_ns(int bucket);
bool hist_bucket_is_last(int bucket);

/* format.c APIs: */
#define FMT_LEN		32
char *fmt_count(char *buf, unsigned long long n);
char *fmt_rate(char *buf, double per_s);
char *fmt_duration_ns(char *buf, unsigned long long ns);
char *fmt_percentile(char *buf, const struct chan_sample *c,
		     enum wait_side side, unsigned int pct);
char *fmt_float(char *buf, double v);

/* table.c APIs: */
int table_print(FILE *out, const struct snapshot *prev,
		const struct snapshot *cur, bool colour);

/* json.c APIs: */
void json_print(FILE *out, const struct snapshot *snap);

/* prom.c APIs: */
void prom_print(FILE *out, const struct snapshot *snap);

/* waiters.c APIs: */
int waiters_print(FILE *out, const struct snapshot *snap);

#endif /* CHANSTAT_H */
