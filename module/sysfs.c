// SPDX-License-Identifier: GPL-2.0
/*
 * sysfs attributes of /sys/class/chan/chan<N>/: what the channel is, its
 * gauges and its counters, its breaker, its rate limiter, its adaptive
 * admission and its chaos knobs, one value per file
 * (uapi/ABI/sysfs-class-chan). Values are read under chan->lock
 * (guard_lock for the guard's) so that related ones are coherent. Writes
 * need what the ioctls need: CAP_SYS_ADMIN or owning the channel.
 */

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/device.h>
#include <linux/kernfs.h>
#include <linux/kstrtox.h>
#include <linux/sysfs.h>

#include "chan.h"

static struct chan *to_chan(struct device *dev)
{
	return container_of(dev, struct chan, dev);
}

/* Read one u64 expression of the channel under its lock. */
#define CHAN_SHOW(name, expr)						\
static ssize_t name##_show(struct device *dev,				\
			   struct device_attribute *attr, char *buf)	\
{									\
	struct chan *ch = to_chan(dev);					\
	u64 val;							\
									\
	spin_lock(&ch->lock);						\
	val = (expr);							\
	spin_unlock(&ch->lock);						\
	return sysfs_emit(buf, "%llu\n", val);				\
}

CHAN_SHOW(capacity, ch->ring.size)
CHAN_SHOW(msg_size, ch->msg_size)
CHAN_SHOW(len, ch->ring.count)
CHAN_SHOW(closed, ch->closed)
/* A select's case whose select committed elsewhere does not wait. */
CHAN_SHOW(waiting_senders, chan_count_claimable(ch, true))
CHAN_SHOW(waiting_receivers, chan_count_claimable(ch, false))
CHAN_SHOW(readers, ch->readers)
CHAN_SHOW(writers, ch->writers)

static bool may_configure(const struct chan *ch)
{
	return uid_eq(current_fsuid(), ch->uid) || capable(CAP_SYS_ADMIN);
}

/* A number written to reconfigure the channel: the writer's rights first. */
static int config_u32(struct device *dev, const char *buf, u32 *val)
{
	if (!may_configure(to_chan(dev)))
		return -EPERM;
	return kstrtou32(buf, 0, val);
}

static ssize_t oldest_wait_ms_show(struct device *dev,
				   struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lld\n", chan_oldest_wait_ms(to_chan(dev)));
}

static ssize_t name_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%s\n", to_chan(dev)->name);
}

static ssize_t capacity_store(struct device *dev,
			      struct device_attribute *attr, const char *buf,
			      size_t count)
{
	u32 capacity;
	int ret;

	ret = config_u32(dev, buf, &capacity);
	if (ret)
		return ret;
	ret = chan_set_capacity(to_chan(dev), capacity);
	return ret ? ret : count;
}

static DEVICE_ATTR_RO(name);
static DEVICE_ATTR_RW(capacity);
static DEVICE_ATTR_RO(msg_size);
static DEVICE_ATTR_RO(len);
static DEVICE_ATTR_RO(closed);
static DEVICE_ATTR_RO(waiting_senders);
static DEVICE_ATTR_RO(waiting_receivers);
static DEVICE_ATTR_RO(readers);
static DEVICE_ATTR_RO(writers);
static DEVICE_ATTR_RO(oldest_wait_ms);

static struct attribute *chan_attrs[] = {
	&dev_attr_name.attr,
	&dev_attr_capacity.attr,
	&dev_attr_msg_size.attr,
	&dev_attr_len.attr,
	&dev_attr_closed.attr,
	&dev_attr_waiting_senders.attr,
	&dev_attr_waiting_receivers.attr,
	&dev_attr_readers.attr,
	&dev_attr_writers.attr,
	&dev_attr_oldest_wait_ms.attr,
	NULL,
};

static const struct attribute_group chan_group = {
	.attrs = chan_attrs,
};

CHAN_SHOW(sent, ch->stats.sent)
CHAN_SHOW(bytes_sent, ch->stats.bytes_sent)

/* Received from the ring (under rx_lock) and from senders, together. */
static ssize_t received_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%llu\n", chan_received(to_chan(dev), NULL));
}

static ssize_t bytes_received_show(struct device *dev,
				   struct device_attribute *attr, char *buf)
{
	u64 bytes;

	chan_received(to_chan(dev), &bytes);
	return sysfs_emit(buf, "%llu\n", bytes);
}

CHAN_SHOW(full, ch->stats.full)
CHAN_SHOW(empty, ch->stats.empty)
CHAN_SHOW(send_timeouts, ch->stats.send_timeouts)
CHAN_SHOW(recv_timeouts, ch->stats.recv_timeouts)
CHAN_SHOW(interrupted, ch->stats.interrupted)
CHAN_SHOW(send_wait_ns, ch->stats.send_wait_ns)
CHAN_SHOW(recv_wait_ns, ch->stats.recv_wait_ns)
CHAN_SHOW(send_wait_max_ns, ch->stats.send_wait_max_ns)
CHAN_SHOW(recv_wait_max_ns, ch->stats.recv_wait_max_ns)
CHAN_SHOW(admission_rejected, ch->stats.admission_rejected)

static DEVICE_ATTR_RO(sent);
static DEVICE_ATTR_RO(received);
static DEVICE_ATTR_RO(bytes_sent);
static DEVICE_ATTR_RO(bytes_received);
static DEVICE_ATTR_RO(full);
static DEVICE_ATTR_RO(empty);
static DEVICE_ATTR_RO(send_timeouts);
static DEVICE_ATTR_RO(recv_timeouts);
static DEVICE_ATTR_RO(interrupted);
static DEVICE_ATTR_RO(send_wait_ns);
static DEVICE_ATTR_RO(recv_wait_ns);
static DEVICE_ATTR_RO(send_wait_max_ns);
static DEVICE_ATTR_RO(recv_wait_max_ns);
static DEVICE_ATTR_RO(admission_rejected);

static ssize_t breaker_rejected_show(struct device *dev,
				     struct device_attribute *attr, char *buf)
{
	struct chan_breaker_snap snap;

	chan_guard_status(to_chan(dev), &snap);
	return sysfs_emit(buf, "%llu\n", snap.rejected);
}

static ssize_t rate_limited_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	u64 limited;

	chan_guard_get_rate(to_chan(dev), NULL, NULL, NULL, &limited);
	return sysfs_emit(buf, "%llu\n", limited);
}

static ssize_t chaos_injected_show(struct device *dev,
				   struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lld\n",
			  atomic64_read(&to_chan(dev)->chaos.injected));
}

static DEVICE_ATTR_RO(breaker_rejected);
static DEVICE_ATTR_RO(rate_limited);
static DEVICE_ATTR_RO(chaos_injected);

static struct attribute *chan_stats_attrs[] = {
	&dev_attr_sent.attr,
	&dev_attr_received.attr,
	&dev_attr_bytes_sent.attr,
	&dev_attr_bytes_received.attr,
	&dev_attr_full.attr,
	&dev_attr_empty.attr,
	&dev_attr_send_timeouts.attr,
	&dev_attr_recv_timeouts.attr,
	&dev_attr_interrupted.attr,
	&dev_attr_send_wait_ns.attr,
	&dev_attr_recv_wait_ns.attr,
	&dev_attr_send_wait_max_ns.attr,
	&dev_attr_recv_wait_max_ns.attr,
	&dev_attr_breaker_rejected.attr,
	&dev_attr_rate_limited.attr,
	&dev_attr_admission_rejected.attr,
	&dev_attr_chaos_injected.attr,
	NULL,
};

static const struct attribute_group chan_stats_group = {
	.name = "stats",
	.attrs = chan_stats_attrs,
};

/* breaker/: its configuration, one field per file, then its status. */

static const char * const brk_modes[] = {
	[CHAN_BREAKER_DISABLED] = "disabled",
	[CHAN_BREAKER_AUTO] = "auto",
	[CHAN_BREAKER_FORCED_OPEN] = "forced_open",
	[CHAN_BREAKER_METRICS_ONLY] = "metrics_only",
};

static const char * const brk_states[] = {
	[CHAN_BREAKER_CLOSED] = "closed",
	[CHAN_BREAKER_OPEN] = "open",
	[CHAN_BREAKER_HALF_OPEN] = "half_open",
};

/* A u32 field of struct chan_breaker_cfg as breaker/<field> (rw). */
struct brk_cfg_attr {
	struct device_attribute attr;
	size_t offset;
};

static size_t brk_cfg_offset(struct device_attribute *attr)
{
	return container_of(attr, struct brk_cfg_attr, attr)->offset;
}

static ssize_t brk_cfg_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	struct chan_breaker_cfg cfg;

	chan_guard_get_config(to_chan(dev), &cfg);
	return sysfs_emit(buf, "%u\n",
			  *(u32 *)((char *)&cfg + brk_cfg_offset(attr)));
}

static ssize_t brk_cfg_store(struct device *dev, struct device_attribute *attr,
			     const char *buf, size_t count)
{
	struct chan *ch = to_chan(dev);
	u32 val;
	int ret;

	ret = config_u32(dev, buf, &val);
	if (ret)
		return ret;
	ret = chan_guard_set_field(ch, brk_cfg_offset(attr), val);
	return ret ? ret : count;
}

#define BRK_CFG_ATTR(_name)						\
static struct brk_cfg_attr brk_cfg_attr_##_name = {			\
	.attr = {							\
		.attr = { .name = __stringify(_name), .mode = 0644 },	\
		.show = brk_cfg_show,					\
		.store = brk_cfg_store,					\
	},								\
	.offset = offsetof(struct chan_breaker_cfg, _name),		\
}

BRK_CFG_ATTR(window_ms);
BRK_CFG_ATTR(min_calls);
BRK_CFG_ATTR(failure_pct);
BRK_CFG_ATTR(consecutive_failures);
BRK_CFG_ATTR(slow_ms);
BRK_CFG_ATTR(slow_pct);
BRK_CFG_ATTR(open_ms);
BRK_CFG_ATTR(open_min_ms);
BRK_CFG_ATTR(open_max_ms);
BRK_CFG_ATTR(half_open_probes);
BRK_CFG_ATTR(half_open_max_ms);
BRK_CFG_ATTR(flags);

static ssize_t brk_mode_show(struct device *dev,
			     struct device_attribute *attr, char *buf)
{
	struct chan_breaker_cfg cfg;

	chan_guard_get_config(to_chan(dev), &cfg);
	if (cfg.mode >= ARRAY_SIZE(brk_modes))
		return -EIO;
	return sysfs_emit(buf, "%s\n", brk_modes[cfg.mode]);
}

static ssize_t brk_mode_store(struct device *dev,
			      struct device_attribute *attr, const char *buf,
			      size_t count)
{
	struct chan *ch = to_chan(dev);
	int mode, ret;

	if (!may_configure(ch))
		return -EPERM;
	mode = sysfs_match_string(brk_modes, buf);
	if (mode < 0)
		return -EINVAL;
	ret = chan_guard_set_field(ch, offsetof(struct chan_breaker_cfg, mode),
				   mode);
	return ret ? ret : count;
}

static struct device_attribute dev_attr_brk_mode =
	__ATTR(mode, 0644, brk_mode_show, brk_mode_store);

/* A value of the breaker's status as breaker/<name> (ro). */
#define BRK_STATUS_ATTR(name, expr)					\
static ssize_t brk_##name##_show(struct device *dev,			\
				 struct device_attribute *attr,		\
				 char *buf)				\
{									\
	struct chan_breaker_snap snap;					\
									\
	chan_guard_status(to_chan(dev), &snap);				\
	return sysfs_emit(buf, "%llu\n", (u64)(expr));			\
}									\
static struct device_attribute dev_attr_brk_##name =			\
	__ATTR(name, 0444, brk_##name##_show, NULL)

BRK_STATUS_ATTR(calls, snap.calls);
BRK_STATUS_ATTR(failures, snap.failures);
BRK_STATUS_ATTR(slow_calls, snap.slow_calls);
BRK_STATUS_ATTR(rejected, snap.rejected);
BRK_STATUS_ATTR(trips, snap.trips);
BRK_STATUS_ATTR(generation, snap.generation);
BRK_STATUS_ATTR(current_open_ms, snap.current_open_ms);

static ssize_t brk_state_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	struct chan_breaker_snap snap;

	chan_guard_status(to_chan(dev), &snap);
	if (snap.state >= ARRAY_SIZE(brk_states))
		return -EIO;
	return sysfs_emit(buf, "%s\n", brk_states[snap.state]);
}

static struct device_attribute dev_attr_brk_state =
	__ATTR(state, 0444, brk_state_show, NULL);

static struct attribute *chan_breaker_attrs[] = {
	&dev_attr_brk_mode.attr,
	&brk_cfg_attr_window_ms.attr.attr,
	&brk_cfg_attr_min_calls.attr.attr,
	&brk_cfg_attr_failure_pct.attr.attr,
	&brk_cfg_attr_consecutive_failures.attr.attr,
	&brk_cfg_attr_slow_ms.attr.attr,
	&brk_cfg_attr_slow_pct.attr.attr,
	&brk_cfg_attr_open_ms.attr.attr,
	&brk_cfg_attr_open_min_ms.attr.attr,
	&brk_cfg_attr_open_max_ms.attr.attr,
	&brk_cfg_attr_half_open_probes.attr.attr,
	&brk_cfg_attr_half_open_max_ms.attr.attr,
	&brk_cfg_attr_flags.attr.attr,
	&dev_attr_brk_state.attr,
	&dev_attr_brk_calls.attr,
	&dev_attr_brk_failures.attr,
	&dev_attr_brk_slow_calls.attr,
	&dev_attr_brk_rejected.attr,
	&dev_attr_brk_trips.attr,
	&dev_attr_brk_generation.attr,
	&dev_attr_brk_current_open_ms.attr,
	NULL,
};

static const struct attribute_group chan_breaker_group = {
	.name = "breaker",
	.attrs = chan_breaker_attrs,
};

/* rate/: the token bucket. */

static ssize_t rate_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	u32 rate;

	chan_guard_get_rate(to_chan(dev), &rate, NULL, NULL, NULL);
	return sysfs_emit(buf, "%u\n", rate);
}

static ssize_t burst_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	u32 burst;

	chan_guard_get_rate(to_chan(dev), NULL, &burst, NULL, NULL);
	return sysfs_emit(buf, "%u\n", burst);
}

static ssize_t tokens_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	u32 tokens;

	chan_guard_get_rate(to_chan(dev), NULL, NULL, &tokens, NULL);
	return sysfs_emit(buf, "%u\n", tokens);
}

static ssize_t rate_store_one(struct device *dev, const char *buf,
			      size_t count, bool burst)
{
	struct chan *ch = to_chan(dev);
	u32 val;
	int ret;

	ret = config_u32(dev, buf, &val);
	if (ret)
		return ret;
	ret = burst ? chan_guard_set_rate(ch, NULL, &val) :
		      chan_guard_set_rate(ch, &val, NULL);
	return ret ? ret : count;
}

static ssize_t rate_store(struct device *dev, struct device_attribute *attr,
			  const char *buf, size_t count)
{
	return rate_store_one(dev, buf, count, false);
}

static ssize_t burst_store(struct device *dev, struct device_attribute *attr,
			   const char *buf, size_t count)
{
	return rate_store_one(dev, buf, count, true);
}

static DEVICE_ATTR_RW(rate);
static DEVICE_ATTR_RW(burst);
static DEVICE_ATTR_RO(tokens);

static struct attribute *chan_rate_attrs[] = {
	&dev_attr_rate.attr,
	&dev_attr_burst.attr,
	&dev_attr_tokens.attr,
	NULL,
};

static const struct attribute_group chan_rate_group = {
	.name = "rate",
	.attrs = chan_rate_attrs,
};

/* admission/: adaptive admission, the cap on parked senders. */

CHAN_SHOW(target_us, ch->aimd.target_us)
CHAN_SHOW(max_limit, ch->aimd.max_limit)
CHAN_SHOW(limit, ch->aimd.limit)

/* Change one of target_us and max_limit; the cap opens fully again. */
static ssize_t aimd_store(struct device *dev, const char *buf, size_t count,
			  bool max)
{
	struct chan *ch = to_chan(dev);
	u32 val;
	int ret;

	ret = config_u32(dev, buf, &val);
	if (ret)
		return ret;
	if (max && (!val || val > CHAN_AIMD_MAX_LIMIT))
		return -EINVAL;
	spin_lock(&ch->lock);
	chan_aimd_set(&ch->aimd, max ? ch->aimd.target_us : val,
		      max ? val : ch->aimd.max_limit, ktime_get_ns());
	spin_unlock(&ch->lock);
	return count;
}

static ssize_t target_us_store(struct device *dev,
			       struct device_attribute *attr, const char *buf,
			       size_t count)
{
	return aimd_store(dev, buf, count, false);
}

static ssize_t max_limit_store(struct device *dev,
			       struct device_attribute *attr, const char *buf,
			       size_t count)
{
	return aimd_store(dev, buf, count, true);
}

static DEVICE_ATTR_RW(target_us);
static DEVICE_ATTR_RW(max_limit);
static DEVICE_ATTR_RO(limit);

static struct attribute *chan_admission_attrs[] = {
	&dev_attr_target_us.attr,
	&dev_attr_max_limit.attr,
	&dev_attr_limit.attr,
	NULL,
};

static const struct attribute_group chan_admission_group = {
	.name = "admission",
	.attrs = chan_admission_attrs,
};

/* chaos/: faults injected on purpose, for rehearsals (chaos.c). */

#define CHAOS_ATTR(_name, _knob)					\
static const enum chan_chaos_knob chaos_##_name##_knob = (_knob);	\
									\
static ssize_t chaos_##_name##_show(struct device *dev,			\
				    struct device_attribute *attr,	\
				    char *buf)				\
{									\
	return sysfs_emit(buf, "%u\n",					\
			  chan_chaos_get(to_chan(dev),			\
					 chaos_##_name##_knob));	\
}									\
									\
static ssize_t chaos_##_name##_store(struct device *dev,		\
				     struct device_attribute *attr,	\
				     const char *buf, size_t count)	\
{									\
	u32 val;							\
	int ret;							\
									\
	ret = config_u32(dev, buf, &val);				\
	if (!ret)							\
		ret = chan_chaos_set(to_chan(dev), chaos_##_name##_knob,	\
				     val);				\
	return ret ? ret : count;					\
}									\
									\
static struct device_attribute dev_attr_chaos_##_name =		\
	__ATTR(_name, 0644, chaos_##_name##_show, chaos_##_name##_store)

CHAOS_ATTR(send_delay_us, CHAN_CHAOS_SEND_DELAY_US);
CHAOS_ATTR(recv_delay_us, CHAN_CHAOS_RECV_DELAY_US);
CHAOS_ATTR(send_fail_ppm, CHAN_CHAOS_SEND_FAIL_PPM);
CHAOS_ATTR(pause_recv, CHAN_CHAOS_PAUSE_RECV);

static struct attribute *chan_chaos_attrs[] = {
	&dev_attr_chaos_send_delay_us.attr,
	&dev_attr_chaos_recv_delay_us.attr,
	&dev_attr_chaos_send_fail_ppm.attr,
	&dev_attr_chaos_pause_recv.attr,
	NULL,
};

static const struct attribute_group chan_chaos_group = {
	.name = "chaos",
	.attrs = chan_chaos_attrs,
};

/* The class's dev_groups: created with the device, before its uevent. */
const struct attribute_group *chan_dev_groups[] = {
	&chan_group,
	&chan_stats_group,
	&chan_breaker_group,
	&chan_rate_group,
	&chan_admission_group,
	&chan_chaos_group,
	NULL,
};

/**
 * chan_sysfs_added() - find the files notified at run time
 * @ch: the channel, its device just added.
 *
 * breaker/state is notified on every transition of the breaker, from any
 * context: the node is looked up once, here, where that may sleep.
 */
void chan_sysfs_added(struct chan *ch)
{
	struct kernfs_node *dir, *kn = NULL;

	dir = sysfs_get_dirent(ch->dev.kobj.sd, "breaker");
	if (dir) {
		kn = sysfs_get_dirent(dir, "state");
		sysfs_put(dir);
	}
	WRITE_ONCE(ch->state_kn, kn);
}
