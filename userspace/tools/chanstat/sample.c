// SPDX-License-Identifier: GPL-2.0
/*
 * Sampling: every channel of /sys/class/chan, read into a struct
 * chan_sample. Gauges, the breaker and the rate limiter come from sysfs;
 * the counters and the wait histograms from one CHAN_IOC_GET_STATS on
 * /dev/chan<N> opened read-only, which gives them as one consistent
 * snapshot. When the device cannot be opened (EACCES for a user who may
 * read sysfs but not the node) or the module has no GET_STATS (ENOTTY),
 * the counters come from sysfs stats/ and the channel has no histograms.
 *
 * The gauges are read before the device is opened, so that chanstat's
 * own open file does not show in readers. A channel destroyed while it
 * is being read (its files give ENOENT or ENODEV) is left out.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "chanstat.h"

const char *const gauge_names[NR_GAUGES] = {
	[GAUGE_CAPACITY] = "capacity",
	[GAUGE_MSG_SIZE] = "msg_size",
	[GAUGE_LEN] = "len",
	[GAUGE_CLOSED] = "closed",
	[GAUGE_WAITING_SENDERS] = "waiting_senders",
	[GAUGE_WAITING_RECEIVERS] = "waiting_receivers",
	[GAUGE_READERS] = "readers",
	[GAUGE_WRITERS] = "writers",
	[GAUGE_OLDEST_WAIT_MS] = "oldest_wait_ms",
};

const char *const counter_names[NR_COUNTERS] = {
	[CTR_SENT] = "sent",
	[CTR_RECEIVED] = "received",
	[CTR_BYTES_SENT] = "bytes_sent",
	[CTR_BYTES_RECEIVED] = "bytes_received",
	[CTR_FULL] = "full",
	[CTR_EMPTY] = "empty",
	[CTR_SEND_TIMEOUTS] = "send_timeouts",
	[CTR_RECV_TIMEOUTS] = "recv_timeouts",
	[CTR_INTERRUPTED] = "interrupted",
	[CTR_SEND_WAIT_NS] = "send_wait_ns",
	[CTR_RECV_WAIT_NS] = "recv_wait_ns",
	[CTR_SEND_WAIT_MAX_NS] = "send_wait_max_ns",
	[CTR_RECV_WAIT_MAX_NS] = "recv_wait_max_ns",
	[CTR_BREAKER_REJECTED] = "breaker_rejected",
	[CTR_RATE_LIMITED] = "rate_limited",
	[CTR_ADMISSION_REJECTED] = "admission_rejected",
	[CTR_CHAOS_INJECTED] = "chaos_injected",
};

const char *const side_names[NR_SIDES] = {
	[SIDE_SEND] = "send",
	[SIDE_RECV] = "recv",
};

const char *const breaker_state_names[3] = {
	[CHAN_BREAKER_CLOSED] = "closed",
	[CHAN_BREAKER_OPEN] = "open",
	[CHAN_BREAKER_HALF_OPEN] = "half_open",
};

const char *const breaker_mode_names[4] = {
	[CHAN_BREAKER_DISABLED] = "disabled",
	[CHAN_BREAKER_AUTO] = "auto",
	[CHAN_BREAKER_FORCED_OPEN] = "forced_open",
	[CHAN_BREAKER_METRICS_ONLY] = "metrics_only",
};

/* A channel that went away while it was read: leave it out. */
static bool chan_vanished(int err)
{
	return err == -ENOENT || err == -ENODEV;
}

/* The first line of @dir/@name, without its newline: 0 or -errno. */
static int attr_read_word(int dir, const char *name, char *buf, size_t size)
{
	ssize_t n;
	int fd, err = 0;

	fd = openat(dir, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0)
		err = -errno;
	close(fd);
	if (err)
		return err;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* @dir/@name as a decimal number: 0, -errno or -EINVAL for anything else. */
static int attr_read_u64(int dir, const char *name, unsigned long long *val)
{
	char buf[32], *end;
	int err;

	err = attr_read_word(dir, name, buf, sizeof(buf));
	if (err)
		return err;
	errno = 0;
	*val = strtoull(buf, &end, 10);
	if (errno || end == buf || *end)
		return -EINVAL;
	return 0;
}

/* Complain about @dir_path/@name and pass @err on. */
static int attr_error(const char *dir_path, const char *name, int err)
{
	if (!chan_vanished(err))
		warn("%s/%s: %s", dir_path, name,
		     err == -EINVAL ? "not a number" : strerror(-err));
	return err;
}

static int read_gauges(int dir, const char *dir_path, struct chan_sample *c)
{
	int i, err;

	for (i = 0; i < NR_GAUGES; i++) {
		err = attr_read_u64(dir, gauge_names[i], &c->gauge[i]);
		if (err)
			return attr_error(dir_path, gauge_names[i], err);
	}
	return 0;
}

static int read_guard(int dir, const char *dir_path, struct chan_sample *c)
{
	static const char *const words[] = { "breaker/mode", "breaker/state" };
	char *const bufs[] = { c->breaker_mode, c->breaker_state };
	int i, err;

	for (i = 0; i < (int)ARRAY_SIZE(words); i++) {
		err = attr_read_word(dir, words[i], bufs[i],
				     sizeof(c->breaker_mode));
		if (err)
			return attr_error(dir_path, words[i], err);
	}
	err = attr_read_u64(dir, "rate/rate", &c->rate);
	if (err)
		return attr_error(dir_path, "rate/rate", err);
	err = attr_read_u64(dir, "rate/burst", &c->burst);
	if (err)
		return attr_error(dir_path, "rate/burst", err);
	return 0;
}

static int read_sysfs_counters(int dir, const char *dir_path,
			       struct chan_sample *c)
{
	char name[64];
	int i, err;

	for (i = 0; i < CTR_CHAOS_INJECTED; i++) {
		snprintf(name, sizeof(name), "stats/%s", counter_names[i]);
		err = attr_read_u64(dir, name, &c->counter[i]);
		if (err)
			return attr_error(dir_path, name, err);
	}
	return 0;
}

static void take_ioctl_stats(struct chan_sample *c, const struct chan_stats *s)
{
	c->counter[CTR_SENT] = s->sent;
	c->counter[CTR_RECEIVED] = s->received;
	c->counter[CTR_BYTES_SENT] = s->bytes_sent;
	c->counter[CTR_BYTES_RECEIVED] = s->bytes_received;
	c->counter[CTR_FULL] = s->full;
	c->counter[CTR_EMPTY] = s->empty;
	c->counter[CTR_SEND_TIMEOUTS] = s->send_timeouts;
	c->counter[CTR_RECV_TIMEOUTS] = s->recv_timeouts;
	c->counter[CTR_INTERRUPTED] = s->interrupted;
	c->counter[CTR_SEND_WAIT_NS] = s->send_wait_ns;
	c->counter[CTR_RECV_WAIT_NS] = s->recv_wait_ns;
	c->counter[CTR_SEND_WAIT_MAX_NS] = s->send_wait_max_ns;
	c->counter[CTR_RECV_WAIT_MAX_NS] = s->recv_wait_max_ns;
	c->counter[CTR_BREAKER_REJECTED] = s->breaker_rejected;
	c->counter[CTR_RATE_LIMITED] = s->rate_limited;
	c->counter[CTR_ADMISSION_REJECTED] = s->admission_rejected;
	memcpy(c->hist[SIDE_SEND], s->send_wait_hist, sizeof(c->hist[SIDE_SEND]));
	memcpy(c->hist[SIDE_RECV], s->recv_wait_hist, sizeof(c->hist[SIDE_RECV]));
	c->has_hist = true;
}

/*
 * CHAN_IOC_GET_STATS on /dev/chan<N>: true when @c got its counters and
 * histograms from it. Any failure (EACCES, ENOTTY on a module without
 * it, ENODEV on a channel being destroyed) leaves @c alone.
 */
static bool read_ioctl_stats(struct chan_sample *c)
{
	struct chan_stats s;
	char path[256];
	int fd, r;

	root_path(path, sizeof(path), CHAN_DEV_PREFIX "%u", c->index);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	memset(&s, 0, sizeof(s));
	r = ioctl(fd, CHAN_IOC_GET_STATS, &s);
	close(fd);
	if (r)
		return false;
	take_ioctl_stats(c, &s);
	return true;
}

/* Fill @c for channel c->index: 0, -ENOENT when it vanished, or -errno. */
static int sample_chan(struct chan_sample *c)
{
	char dir_path[256];
	int dir, err;

	root_path(dir_path, sizeof(dir_path), SYSFS_CLASS_DIR "/chan%u",
		  c->index);
	dir = open(dir_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return -errno;
	err = read_gauges(dir, dir_path, c);
	if (!err)
		err = read_guard(dir, dir_path, c);
	if (!err && !read_ioctl_stats(c))
		err = read_sysfs_counters(dir, dir_path, c);
	/* Not in struct chan_stats; absent (0) on a module without chaos. */
	c->counter[CTR_CHAOS_INJECTED] = 0;
	if (!err && attr_read_u64(dir, "stats/chaos_injected",
				  &c->counter[CTR_CHAOS_INJECTED]) == -EINVAL)
		err = attr_error(dir_path, "stats/chaos_injected", -EINVAL);
	close(dir);
	return chan_vanished(err) ? -ENOENT : err;
}

/* "chan<N>" with N a plain decimal: true and @index set. */
static bool parse_chan_name(const char *name, unsigned int *index)
{
	unsigned long v;
	char *end;

	if (strncmp(name, "chan", 4) || name[4] < '0' || name[4] > '9')
		return false;
	errno = 0;
	v = strtoul(name + 4, &end, 10);
	if (errno || *end || v > UINT32_MAX)
		return false;
	*index = (unsigned int)v;
	return true;
}

static int cmp_index(const void *a, const void *b)
{
	const struct chan_sample *x = a, *y = b;

	return (x->index > y->index) - (x->index < y->index);
}

static int snapshot_add(struct snapshot *snap, size_t *room,
			unsigned int index)
{
	struct chan_sample *c;

	if (snap->nr == *room) {
		size_t n = *room ? *room * 2 : 16;

		c = realloc(snap->chans, n * sizeof(*c));
		if (!c)
			return -ENOMEM;
		snap->chans = c;
		*room = n;
	}
	c = &snap->chans[snap->nr];
	memset(c, 0, sizeof(*c));
	c->index = index;
	snap->nr++;
	return 0;
}

/* The indexes of every channel (or only @only_index) into @snap. */
static int list_chans(struct snapshot *snap, int only_index)
{
	char path[256];
	size_t room = 0;
	struct dirent *de;
	unsigned int index;
	DIR *d;
	int err = 0;

	root_path(path, sizeof(path), SYSFS_CLASS_DIR);
	d = opendir(path);
	if (!d) {
		err = -errno;
		if (err == -ENOENT)
			warn("%s is missing: is the chan module loaded?", path);
		else
			warn("%s: %s", path, strerror(-err));
		return err;
	}
	while (!err && (de = readdir(d))) {
		if (!parse_chan_name(de->d_name, &index))
			continue;
		if (only_index >= 0 && index != (unsigned int)only_index)
			continue;
		err = snapshot_add(snap, &room, index);
	}
	closedir(d);
	if (err)
		warn("out of memory");
	return err;
}

/**
 * snapshot_take - sample every channel, or only channel @only_index
 * @snap: filled; free it with snapshot_free().
 * @only_index: a channel index, or -1 for all of them.
 *
 * Return: 0, -ENOENT when @only_index names no channel, or another
 * -errno (already reported on stderr).
 */
int snapshot_take(struct snapshot *snap, int only_index)
{
	struct timespec ts;
	size_t i, kept = 0;
	int err;

	memset(snap, 0, sizeof(*snap));
	err = list_chans(snap, only_index);
	for (i = 0; !err && i < snap->nr; i++) {
		err = sample_chan(&snap->chans[i]);
		if (err == -ENOENT) {
			err = 0;
			continue;
		}
		if (!err && kept != i)
			snap->chans[kept] = snap->chans[i];
		kept++;
	}
	if (err) {
		snapshot_free(snap);
		return err;
	}
	snap->nr = kept;
	qsort(snap->chans, snap->nr, sizeof(*snap->chans), cmp_index);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snap->taken_ns = (uint64_t)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
	if (only_index >= 0 && !snap->nr) {
		warn("no channel %d (no %s%s/chan%d)", only_index,
		     getenv("CHANSTAT_ROOT") ?: "", SYSFS_CLASS_DIR, only_index);
		return -ENOENT;
	}
	return 0;
}

void snapshot_free(struct snapshot *snap)
{
	free(snap->chans);
	memset(snap, 0, sizeof(*snap));
}

/* The sample of channel @index in @snap, or NULL. */
const struct chan_sample *snapshot_find(const struct snapshot *snap,
					unsigned int index)
{
	struct chan_sample key = { .index = index };

	if (!snap || !snap->nr)
		return NULL;
	return bsearch(&key, snap->chans, snap->nr, sizeof(key), cmp_index);
}
