// SPDX-License-Identifier: GPL-2.0
/*
 * sysfs attributes of /sys/class/chan/chan<N>/: what the channel is, its
 * gauges and its counters, one value per file (uapi/ABI/sysfs-class-chan).
 * Values are read under chan->lock so that related ones are coherent.
 */

#include <linux/capability.h>
#include <linux/device.h>
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

static ssize_t oldest_wait_ms_show(struct device *dev,
				   struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lld\n", chan_oldest_wait_ms(to_chan(dev)));
}

static ssize_t capacity_store(struct device *dev,
			      struct device_attribute *attr, const char *buf,
			      size_t count)
{
	u32 capacity;
	int ret;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	ret = kstrtou32(buf, 0, &capacity);
	if (ret)
		return ret;
	ret = chan_set_capacity(to_chan(dev), capacity);
	return ret ? ret : count;
}

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
	NULL,
};

static const struct attribute_group chan_stats_group = {
	.name = "stats",
	.attrs = chan_stats_attrs,
};

/* The class's dev_groups: created with the device, before its uevent. */
const struct attribute_group *chan_dev_groups[] = {
	&chan_group,
	&chan_stats_group,
	NULL,
};
