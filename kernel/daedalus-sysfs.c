// SPDX-License-Identifier: GPL-2.0-only
/*
 * sysfs attributes of the bridge device (/sys/class/misc/daedalus-v4l2/):
 * connection state for `daedalusd status` and the service's health checks,
 * readable without root or debugfs; counters under statistics/.
 */
#include <linux/device.h>
#include <linux/sysfs.h>

#include "daedalus.h"

static const char * const daedalus_reject_names[DAEDALUS_REJECT_COUNT] = {
	[DAEDALUS_REJECT_SHORT] = "short",
	[DAEDALUS_REJECT_MAGIC] = "magic",
	[DAEDALUS_REJECT_VERSION] = "version",
	[DAEDALUS_REJECT_TYPE] = "type",
	[DAEDALUS_REJECT_LENGTH] = "length",
	[DAEDALUS_REJECT_FIELD] = "field",
	[DAEDALUS_REJECT_STATE] = "state",
	[DAEDALUS_REJECT_CONTEXT] = "context",
	[DAEDALUS_REJECT_BUFFER] = "buffer",
};

/* The name sysfs shows a reason's counter under, and the log uses. */
const char *daedalus_reject_name(enum daedalus_reject reason)
{
	return daedalus_reject_names[reason];
}

static struct daedalus_bridge *dev_to_bridge(struct device *dev)
{
	struct miscdevice *misc = dev_get_drvdata(dev);

	return container_of(misc, struct daedalus_bridge, misc);
}

static ssize_t connected_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct daedalus_bridge *br = dev_to_bridge(dev);
	bool connected;

	spin_lock(&br->lock);
	connected = br->hello_done;
	spin_unlock(&br->lock);
	return sysfs_emit(buf, "%d\n", connected);
}
static DEVICE_ATTR_RO(connected);

static ssize_t daemon_pid_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct daedalus_bridge *br = dev_to_bridge(dev);
	pid_t pid;

	spin_lock(&br->lock);
	pid = br->owner ? br->daemon_pid : 0;
	spin_unlock(&br->lock);
	return sysfs_emit(buf, "%d\n", pid);
}
static DEVICE_ATTR_RO(daemon_pid);

static ssize_t daemon_version_show(struct device *dev, struct device_attribute *attr,
				   char *buf)
{
	struct daedalus_bridge *br = dev_to_bridge(dev);
	char version[DAEDALUS_VERSION_LEN];

	spin_lock(&br->lock);
	strscpy(version, br->hello_done ? br->daemon_version : "", sizeof(version));
	spin_unlock(&br->lock);
	return sysfs_emit(buf, "%s\n", version);
}
static DEVICE_ATTR_RO(daemon_version);

/* The codecs and CAPTURE layouts the node offers now, as bit sets in hex. */
static ssize_t caps_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct daedalus_bridge *br = dev_to_bridge(dev);
	struct daedalus_caps caps = {};

	spin_lock(&br->lock);
	if (br->hello_done)
		caps = br->caps;
	spin_unlock(&br->lock);
	return sysfs_emit(buf, "codecs=%#x pixfmts=%#x max=%ux%u sl_codecs=%#x\n", caps.codecs,
			  caps.pixfmts, caps.max_width, caps.max_height, caps.sl_codecs);
}
static DEVICE_ATTR_RO(caps);

static ssize_t protocol_version_show(struct device *dev, struct device_attribute *attr,
				     char *buf)
{
	return sysfs_emit(buf, "%d\n", DAEDALUS_PROTO_VERSION);
}
static DEVICE_ATTR_RO(protocol_version);

static ssize_t module_version_show(struct device *dev, struct device_attribute *attr,
				   char *buf)
{
	return sysfs_emit(buf, "%s\n", DAEDALUS_VERSION);
}
static DEVICE_ATTR_RO(module_version);

static struct attribute *daedalus_bridge_attrs[] = {
	&dev_attr_connected.attr,
	&dev_attr_daemon_pid.attr,
	&dev_attr_daemon_version.attr,
	&dev_attr_caps.attr,
	&dev_attr_protocol_version.attr,
	&dev_attr_module_version.attr,
	NULL,
};

static const struct attribute_group daedalus_bridge_group = {
	.attrs = daedalus_bridge_attrs,
};

#define DAEDALUS_STAT_ATTR(_name, _field)					\
static ssize_t _name##_show(struct device *dev, struct device_attribute *attr,	\
			    char *buf)						\
{										\
	return sysfs_emit(buf, "%lld\n",					\
			  atomic64_read(&dev_to_bridge(dev)->stats._field));	\
}										\
static DEVICE_ATTR_RO(_name)

DAEDALUS_STAT_ATTR(connects, connects);
DAEDALUS_STAT_ATTR(busy, busy);
DAEDALUS_STAT_ATTR(rx, rx);
DAEDALUS_STAT_ATTR(tx, tx);
DAEDALUS_STAT_ATTR(pings_rx, pings_rx);
DAEDALUS_STAT_ATTR(pongs_rx, pongs_rx);
DAEDALUS_STAT_ATTR(tx_dropped, tx_dropped);
DAEDALUS_STAT_ATTR(rejected_short, rejected[DAEDALUS_REJECT_SHORT]);
DAEDALUS_STAT_ATTR(rejected_magic, rejected[DAEDALUS_REJECT_MAGIC]);
DAEDALUS_STAT_ATTR(rejected_version, rejected[DAEDALUS_REJECT_VERSION]);
DAEDALUS_STAT_ATTR(rejected_type, rejected[DAEDALUS_REJECT_TYPE]);
DAEDALUS_STAT_ATTR(rejected_length, rejected[DAEDALUS_REJECT_LENGTH]);
DAEDALUS_STAT_ATTR(rejected_field, rejected[DAEDALUS_REJECT_FIELD]);
DAEDALUS_STAT_ATTR(rejected_state, rejected[DAEDALUS_REJECT_STATE]);
DAEDALUS_STAT_ATTR(rejected_context, rejected[DAEDALUS_REJECT_CONTEXT]);
DAEDALUS_STAT_ATTR(rejected_buffer, rejected[DAEDALUS_REJECT_BUFFER]);
DAEDALUS_STAT_ATTR(jobs, jobs);
DAEDALUS_STAT_ATTR(frames, frames);
DAEDALUS_STAT_ATTR(stale, stale);
DAEDALUS_STAT_ATTR(timeouts, timeouts);
DAEDALUS_STAT_ATTR(source_changes, source_changes);

static struct attribute *daedalus_stat_attrs[] = {
	&dev_attr_connects.attr,
	&dev_attr_busy.attr,
	&dev_attr_rx.attr,
	&dev_attr_tx.attr,
	&dev_attr_pings_rx.attr,
	&dev_attr_pongs_rx.attr,
	&dev_attr_tx_dropped.attr,
	&dev_attr_rejected_short.attr,
	&dev_attr_rejected_magic.attr,
	&dev_attr_rejected_version.attr,
	&dev_attr_rejected_type.attr,
	&dev_attr_rejected_length.attr,
	&dev_attr_rejected_field.attr,
	&dev_attr_rejected_state.attr,
	&dev_attr_rejected_context.attr,
	&dev_attr_rejected_buffer.attr,
	&dev_attr_jobs.attr,
	&dev_attr_frames.attr,
	&dev_attr_stale.attr,
	&dev_attr_timeouts.attr,
	&dev_attr_source_changes.attr,
	NULL,
};

static const struct attribute_group daedalus_stat_group = {
	.name = "statistics",
	.attrs = daedalus_stat_attrs,
};

const struct attribute_group *daedalus_bridge_groups[] = {
	&daedalus_bridge_group,
	&daedalus_stat_group,
	NULL,
};
