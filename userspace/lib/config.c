// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * libchan: the state and configuration of an open channel: info, stats,
 * capacity, per-fd default timeouts, the rate limiter and the circuit
 * breaker's configuration and status, and the names of breaker modes and
 * states (the words sysfs breaker/mode and breaker/state use).
 */
#include <string.h>

#include "internal.h"

LIBCHAN_API int chan_get_info(int fd, struct chan_info *info)
{
	return libchan_ioctl(fd, CHAN_IOC_GET_INFO, info);
}

LIBCHAN_API int chan_get_stats(int fd, struct chan_stats *stats)
{
	return libchan_ioctl(fd, CHAN_IOC_GET_STATS, stats);
}

LIBCHAN_API int chan_set_capacity(int fd, unsigned int capacity)
{
	__u32 cap = capacity;

	return libchan_ioctl(fd, CHAN_IOC_SET_CAPACITY, &cap);
}

LIBCHAN_API int chan_set_timeouts(int fd, int64_t send_ns, int64_t recv_ns)
{
	struct chan_timeouts t = { .send_ns = send_ns, .recv_ns = recv_ns };

	return libchan_ioctl(fd, CHAN_IOC_SET_TIMEOUTS, &t);
}

LIBCHAN_API int chan_get_timeouts(int fd, int64_t *send_ns, int64_t *recv_ns)
{
	struct chan_timeouts t;
	int r = libchan_ioctl(fd, CHAN_IOC_GET_TIMEOUTS, &t);

	if (r < 0)
		return r;
	if (send_ns)
		*send_ns = t.send_ns;
	if (recv_ns)
		*recv_ns = t.recv_ns;
	return r;
}

LIBCHAN_API int chan_set_rate(int fd, uint32_t rate, uint32_t burst)
{
	struct chan_rate cr = { .rate = rate, .burst = burst };

	return libchan_ioctl(fd, CHAN_IOC_SET_RATE, &cr);
}

LIBCHAN_API int chan_get_rate(int fd, uint32_t *rate, uint32_t *burst)
{
	struct chan_rate cr;
	int r = libchan_ioctl(fd, CHAN_IOC_GET_RATE, &cr);

	if (r < 0)
		return r;
	if (rate)
		*rate = cr.rate;
	if (burst)
		*burst = cr.burst;
	return r;
}

LIBCHAN_API void chan_breaker_config_init(struct chan_breaker_config *cfg)
{
	/* The module's defaults (<linux/chan.h>), the state machine on. */
	memset(cfg, 0, sizeof(*cfg));
	cfg->mode = CHAN_BREAKER_AUTO;
	cfg->window_ms = 10000;
	cfg->min_calls = 10;
	cfg->failure_pct = 50;
	cfg->consecutive_failures = 0;
	cfg->slow_ms = 0;
	cfg->slow_pct = 100;
	cfg->open_ms = 5000;
	cfg->open_min_ms = 1000;
	cfg->open_max_ms = 60000;
	cfg->half_open_probes = 3;
	cfg->half_open_max_ms = 10000;
	cfg->flags = 0;
}

LIBCHAN_API int chan_breaker_set(int fd, const struct chan_breaker_config *cfg)
{
	return libchan_ioctl(fd, CHAN_IOC_SET_BREAKER, (void *)cfg);
}

LIBCHAN_API int chan_breaker_get(int fd, struct chan_breaker_config *cfg)
{
	return libchan_ioctl(fd, CHAN_IOC_GET_BREAKER, cfg);
}

LIBCHAN_API int chan_breaker_status(int fd, struct chan_breaker_status *status)
{
	return libchan_ioctl(fd, CHAN_IOC_GET_BREAKER_STATUS, status);
}

LIBCHAN_API int chan_breaker_reset(int fd)
{
	return libchan_ioctl(fd, CHAN_IOC_BREAKER_RESET, NULL);
}

/* As module/sysfs.c writes them in breaker/state and breaker/mode. */
static const char *const state_names[] = {
	[CHAN_BREAKER_CLOSED] = "closed",
	[CHAN_BREAKER_OPEN] = "open",
	[CHAN_BREAKER_HALF_OPEN] = "half_open",
};

static const char *const mode_names[] = {
	[CHAN_BREAKER_DISABLED] = "disabled",
	[CHAN_BREAKER_AUTO] = "auto",
	[CHAN_BREAKER_FORCED_OPEN] = "forced_open",
	[CHAN_BREAKER_METRICS_ONLY] = "metrics_only",
};

#define NAMES_OF(a)	(sizeof(a) / sizeof((a)[0]))

LIBCHAN_API const char *chan_breaker_state_name(unsigned int state)
{
	return state < NAMES_OF(state_names) ? state_names[state] : NULL;
}

LIBCHAN_API const char *chan_breaker_mode_name(unsigned int mode)
{
	return mode < NAMES_OF(mode_names) ? mode_names[mode] : NULL;
}

LIBCHAN_API int chan_breaker_mode_parse(const char *name)
{
	unsigned int i;

	if (!name)
		return -EINVAL;
	for (i = 0; i < NAMES_OF(mode_names); i++)
		if (!strcmp(name, mode_names[i]))
			return (int)i;
	return -EINVAL;
}
