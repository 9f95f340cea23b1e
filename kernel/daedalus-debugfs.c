// SPDX-License-Identifier: GPL-2.0-only
/*
 * debugfs (/sys/kernel/debug/daedalus-v4l2/): "bridge" shows the connection
 * and every counter in one read; writing a number to "ping" sends the daemon
 * a PING with that cookie, and reading it gives the last round-trip time.
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>

#include "daedalus.h"

static int daedalus_debugfs_bridge_show(struct seq_file *s, void *unused)
{
	struct daedalus_dev *ddev = s->private;
	struct daedalus_bridge *br = &ddev->bridge;
	struct daedalus_bridge_stats *st = &br->stats;
	char version[DAEDALUS_VERSION_LEN];
	struct daedalus_caps caps;
	bool open, connected;
	unsigned int txq_len;
	pid_t pid;
	int i;

	spin_lock(&br->lock);
	open = br->owner;
	connected = br->hello_done;
	pid = br->daemon_pid;
	caps = br->caps;
	txq_len = br->txq_len;
	strscpy(version, br->daemon_version, sizeof(version));
	spin_unlock(&br->lock);

	seq_printf(s, "state: %s\n", connected ? "connected" : open ? "open" : "closed");
	if (open)
		seq_printf(s, "daemon: pid %d version \"%s\"\n", pid, version);
	if (connected)
		seq_printf(s, "caps: codecs %#x pixfmts %#x max %ux%u\n", caps.codecs,
			   caps.pixfmts, caps.max_width, caps.max_height);
	seq_printf(s, "queued for daemon: %u\n", txq_len);
	seq_printf(s, "contexts: %d\n", atomic_read(&ddev->contexts));
	seq_printf(s, "buffer bytes: %lld\n", atomic64_read(&ddev->buffer_bytes));
	seq_printf(s, "connects: %lld\nbusy: %lld\nrx: %lld\ntx: %lld\n",
		   atomic64_read(&st->connects), atomic64_read(&st->busy),
		   atomic64_read(&st->rx), atomic64_read(&st->tx));
	seq_printf(s, "pings_rx: %lld\npongs_rx: %lld\ntx_dropped: %lld\n",
		   atomic64_read(&st->pings_rx), atomic64_read(&st->pongs_rx),
		   atomic64_read(&st->tx_dropped));
	seq_printf(s, "jobs: %lld\nframes: %lld\nstale: %lld\ntimeouts: %lld\n",
		   atomic64_read(&st->jobs), atomic64_read(&st->frames),
		   atomic64_read(&st->stale), atomic64_read(&st->timeouts));
	seq_printf(s, "source_changes: %lld\n", atomic64_read(&st->source_changes));
	for (i = 0; i < DAEDALUS_REJECT_COUNT; i++)
		seq_printf(s, "rejected_%s: %lld\n", daedalus_reject_name(i),
			   atomic64_read(&st->rejected[i]));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(daedalus_debugfs_bridge);

static int daedalus_ping_get(void *data, u64 *val)
{
	struct daedalus_bridge *br = &((struct daedalus_dev *)data)->bridge;

	spin_lock(&br->lock);
	*val = br->ping_rtt_ns;
	spin_unlock(&br->lock);
	return 0;
}

static int daedalus_ping_set(void *data, u64 val)
{
	return daedalus_bridge_ping(data, val);
}
DEFINE_DEBUGFS_ATTRIBUTE(daedalus_ping_fops, daedalus_ping_get, daedalus_ping_set, "%llu\n");

void daedalus_debugfs_init(struct daedalus_dev *ddev)
{
	ddev->debugfs = debugfs_create_dir(DAEDALUS_NAME, NULL);
	debugfs_create_file("bridge", 0444, ddev->debugfs, ddev, &daedalus_debugfs_bridge_fops);
	debugfs_create_file_unsafe("ping", 0600, ddev->debugfs, ddev, &daedalus_ping_fops);
}

void daedalus_debugfs_exit(struct daedalus_dev *ddev)
{
	debugfs_remove_recursive(ddev->debugfs);
}
