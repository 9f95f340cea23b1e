// SPDX-License-Identifier: GPL-2.0-only
/*
 * The bridge to the decoding daemon: the misc device /dev/daedalus-v4l2.
 *
 * One daemon holds it at a time. Messages (include/uapi/linux/daedalus-v4l2.h)
 * cross it whole: a read() returns one (daedalus-bridge-queue.c holds them),
 * a write() must carry one. Nothing from userspace is trusted: every header
 * is checked here, and the bridge's own messages (HELLO, PING, PONG) are
 * answered here; the replies about a context go on to daedalus-replies.c,
 * which checks their every field. A refused message is counted by reason.
 */
#include <linux/dma-buf.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/ktime.h>
#include <linux/poll.h>
#include <linux/sched.h>
#include <linux/uaccess.h>

#include "daedalus.h"

/* Every message the daemon may write; write() never needs more room. */
union daedalus_rxmsg {
	struct daedalus_msg_hdr hdr;
	struct daedalus_msg_hello hello;
	struct daedalus_msg_ping ping;
	struct daedalus_msg_job_done job_done;
	struct daedalus_msg_frame frame;
	struct daedalus_msg_stream_info stream_info;
	struct daedalus_msg_error error;
};

static int daedalus_reject(struct daedalus_bridge *br, enum daedalus_reject reason)
{
	atomic64_inc(&br->stats.rejected[reason]);
	dev_dbg(br->misc.this_device, "message refused: %s\n", daedalus_reject_name(reason));
	return -EINVAL;
}

static size_t daedalus_msg_size(u16 type)
{
	switch (type) {
	case DAEDALUS_MSG_HELLO:
		return sizeof(struct daedalus_msg_hello);
	case DAEDALUS_MSG_PING:
	case DAEDALUS_MSG_PONG:
		return sizeof(struct daedalus_msg_ping);
	case DAEDALUS_MSG_JOB_DONE:
		return sizeof(struct daedalus_msg_job_done);
	case DAEDALUS_MSG_FRAME:
		return sizeof(struct daedalus_msg_frame);
	case DAEDALUS_MSG_STREAM_INFO:
		return sizeof(struct daedalus_msg_stream_info);
	case DAEDALUS_MSG_ERROR:
		return sizeof(struct daedalus_msg_error);
	default:
		return 0;	/* not a type the daemon may send */
	}
}

static int daedalus_rx_hello(struct daedalus_bridge *br, struct file *file,
			     const struct daedalus_msg_hello *hello)
{
	struct daedalus_caps caps = {
		.codecs = le32_to_cpu(hello->codecs),
		.pixfmts = le32_to_cpu(hello->pixfmts),
		.max_width = le32_to_cpu(hello->max_width),
		.max_height = le32_to_cpu(hello->max_height),
		.sl_codecs = le32_to_cpu(hello->sl_codecs),
	};
	struct daedalus_msg_welcome *welcome;

	if ((caps.codecs & ~GENMASK(DAEDALUS_CODEC_COUNT - 1, 0)) ||
	    (caps.sl_codecs & ~GENMASK(DAEDALUS_CODEC_COUNT - 1, 0)) ||
	    (caps.pixfmts & ~GENMASK(DAEDALUS_PIXFMT_COUNT - 1, 0)) ||
	    ((caps.codecs || caps.sl_codecs) && !caps.pixfmts) ||
	    caps.max_width < DAEDALUS_MIN_DIMENSION || caps.max_width > DAEDALUS_MAX_DIMENSION ||
	    caps.max_height < DAEDALUS_MIN_DIMENSION || caps.max_height > DAEDALUS_MAX_DIMENSION ||
	    hello->flags ||
	    !daedalus_string_ok(hello->daemon_version, sizeof(hello->daemon_version)))
		return daedalus_reject(br, DAEDALUS_REJECT_FIELD);

	/* Only what the stateless node exists for and this kernel has controls for. */
	caps.sl_codecs &= daedalus_stateless ? daedalus_sl_kernel_codecs() : 0;

	welcome = daedalus_bridge_msg_new(DAEDALUS_MSG_WELCOME, sizeof(*welcome), 0);
	if (!welcome)
		return -ENOMEM;
	welcome->hdr.seq = hello->hdr.seq;
	welcome->codecs = cpu_to_le32(caps.codecs);
	welcome->pixfmts = cpu_to_le32(caps.pixfmts);
	welcome->max_width = cpu_to_le32(caps.max_width);
	welcome->max_height = cpu_to_le32(caps.max_height);
	welcome->sl_codecs = cpu_to_le32(caps.sl_codecs);
	strscpy(welcome->module_version, DAEDALUS_VERSION, sizeof(welcome->module_version));

	/* daemon_version was checked to be a terminated string. */
	if (daedalus_bridge_welcome(br, file, &caps, hello->daemon_version, welcome))
		return daedalus_reject(br, DAEDALUS_REJECT_STATE);
	dev_info_ratelimited(br->misc.this_device,
			     "daemon %.*s (pid %d) connected: codecs %#x (stateless %#x), formats %#x, up to %ux%u\n",
			     (int)sizeof(hello->daemon_version), hello->daemon_version,
			     task_tgid_vnr(current), caps.codecs, caps.sl_codecs, caps.pixfmts,
			     caps.max_width, caps.max_height);
	return 0;
}

static int daedalus_rx_ping(struct daedalus_bridge *br, struct file *file,
			    const struct daedalus_msg_ping *ping)
{
	struct daedalus_msg_ping *pong;

	pong = daedalus_bridge_msg_new(DAEDALUS_MSG_PONG, sizeof(*pong), 0);
	if (!pong)
		return -ENOMEM;
	pong->hdr.seq = ping->hdr.seq;
	pong->cookie = ping->cookie;
	return daedalus_bridge_reply(br, file, pong);
}

/* A PONG must answer the one PING the kernel has outstanding. */
static int daedalus_rx_pong(struct daedalus_bridge *br, const struct daedalus_msg_ping *pong)
{
	spin_lock(&br->lock);
	if (!br->ping_pending || le32_to_cpu(pong->hdr.seq) != br->ping_seq ||
	    le64_to_cpu(pong->cookie) != br->ping_cookie) {
		spin_unlock(&br->lock);
		return daedalus_reject(br, DAEDALUS_REJECT_STATE);
	}
	br->ping_pending = false;
	br->ping_rtt_ns = ktime_to_ns(ktime_sub(ktime_get(), br->ping_sent));
	spin_unlock(&br->lock);
	atomic64_inc(&br->stats.pongs_rx);
	return 0;
}

/* The session of the daemon writing through @file, 0 unless it holds the bridge and said HELLO. */
static u32 daedalus_bridge_file_session(struct daedalus_bridge *br, struct file *file)
{
	u32 session;

	spin_lock(&br->lock);
	session = br->owner == file && br->hello_done ? br->session : 0;
	spin_unlock(&br->lock);
	return session;
}

/* A decoding message: only from a daemon that said HELLO, about a context. */
static int daedalus_rx_decode(struct daedalus_bridge *br, struct file *file, u16 type,
			      const union daedalus_rxmsg *msg)
{
	struct daedalus_dev *ddev = container_of(br, struct daedalus_dev, bridge);
	u32 session;
	int ret;

	session = daedalus_bridge_file_session(br, file);
	if (!session)
		return daedalus_reject(br, DAEDALUS_REJECT_STATE);

	ret = daedalus_replies_rx(ddev, session, type, msg);
	if (ret < 0)
		return daedalus_reject(br, -ret);
	if (ret > 0)
		atomic64_inc(&br->stats.stale);
	return 0;
}

static int daedalus_rx(struct daedalus_bridge *br, struct file *file,
		       const union daedalus_rxmsg *msg, size_t count)
{
	const struct daedalus_msg_hdr *hdr = &msg->hdr;
	u16 type = le16_to_cpu(hdr->type);
	bool about_ctx;
	size_t size;

	if (le32_to_cpu(hdr->magic) != DAEDALUS_PROTO_MAGIC)
		return daedalus_reject(br, DAEDALUS_REJECT_MAGIC);
	if (le16_to_cpu(hdr->version) != DAEDALUS_PROTO_VERSION)
		return daedalus_reject(br, DAEDALUS_REJECT_VERSION);
	size = daedalus_msg_size(type);
	if (!size)
		return daedalus_reject(br, DAEDALUS_REJECT_TYPE);
	if (le32_to_cpu(hdr->length) != count || count != size)
		return daedalus_reject(br, DAEDALUS_REJECT_LENGTH);
	about_ctx = type != DAEDALUS_MSG_HELLO && type != DAEDALUS_MSG_PING &&
		    type != DAEDALUS_MSG_PONG;
	if (hdr->reserved || !hdr->ctx_id != !about_ctx)
		return daedalus_reject(br, DAEDALUS_REJECT_FIELD);

	switch (type) {
	case DAEDALUS_MSG_JOB_DONE:
	case DAEDALUS_MSG_FRAME:
	case DAEDALUS_MSG_STREAM_INFO:
	case DAEDALUS_MSG_ERROR:
		return daedalus_rx_decode(br, file, type, msg);
	case DAEDALUS_MSG_HELLO:
		return daedalus_rx_hello(br, file, &msg->hello);
	case DAEDALUS_MSG_PING:
		atomic64_inc(&br->stats.pings_rx);
		return daedalus_rx_ping(br, file, &msg->ping);
	default:
		return daedalus_rx_pong(br, &msg->ping);
	}
}

static ssize_t daedalus_bridge_write(struct file *file, const char __user *buf,
				     size_t count, loff_t *ppos)
{
	struct daedalus_bridge *br = file->private_data;
	union daedalus_rxmsg msg;
	int ret;

	if (count < sizeof(msg.hdr))
		return daedalus_reject(br, DAEDALUS_REJECT_SHORT);
	if (count > sizeof(msg))
		return daedalus_reject(br, DAEDALUS_REJECT_LENGTH);
	if (copy_from_user(&msg, buf, count))
		return -EFAULT;

	ret = daedalus_rx(br, file, &msg, count);
	if (ret)
		return ret;
	atomic64_inc(&br->stats.rx);
	return count;
}

static ssize_t daedalus_bridge_read(struct file *file, char __user *buf,
				    size_t count, loff_t *ppos)
{
	return daedalus_bridge_read_msg(file->private_data, file, buf, count);
}

static __poll_t daedalus_bridge_poll(struct file *file, poll_table *wait)
{
	struct daedalus_bridge *br = file->private_data;

	poll_wait(file, &br->read_wq, wait);
	poll_wait(file, &br->write_wq, wait);
	return daedalus_bridge_queue_poll(br);
}

static int daedalus_bridge_open(struct inode *inode, struct file *file)
{
	struct miscdevice *misc = file->private_data;
	struct daedalus_bridge *br = container_of(misc, struct daedalus_bridge, misc);

	spin_lock(&br->lock);
	if (br->owner) {
		spin_unlock(&br->lock);
		atomic64_inc(&br->stats.busy);
		return -EBUSY;
	}
	br->owner = file;
	br->hello_done = false;
	br->ping_pending = false;
	br->daemon_pid = task_tgid_vnr(current);
	br->daemon_version[0] = '\0';
	spin_unlock(&br->lock);

	atomic64_inc(&br->stats.connects);
	file->private_data = br;
	return stream_open(inode, file);
}

/* The daemon is gone: the node stops offering codecs, queued messages go. */
static int daedalus_bridge_release(struct inode *inode, struct file *file)
{
	struct daedalus_bridge *br = file->private_data;
	struct daedalus_dev *ddev = container_of(br, struct daedalus_dev, bridge);
	bool was_connected;
	LIST_HEAD(dropped);
	u32 session;
	pid_t pid;

	spin_lock(&br->lock);
	was_connected = br->hello_done;
	session = br->session;
	pid = br->daemon_pid;
	br->owner = NULL;
	br->hello_done = false;
	br->ping_pending = false;
	daedalus_bridge_take_all(br, &dropped);
	spin_unlock(&br->lock);

	wake_up_interruptible_all(&br->write_wq);
	daedalus_bridge_msgs_free(&dropped);
	if (was_connected) {
		dev_info_ratelimited(br->misc.this_device, "daemon (pid %d) disconnected\n", pid);
		daedalus_ctx_daemon_lost(ddev, session);
	}
	return 0;
}

static long daedalus_bridge_expbuf(struct daedalus_bridge *br, struct file *file,
				   struct daedalus_expbuf __user *uarg)
{
	struct daedalus_dev *ddev = container_of(br, struct daedalus_dev, bridge);
	struct daedalus_expbuf eb;
	struct dma_buf *dbuf;
	u32 session;
	int fd;

	if (copy_from_user(&eb, uarg, sizeof(eb)))
		return -EFAULT;
	if (eb.fd || memchr_inv(eb.reserved, 0, sizeof(eb.reserved)))
		return -EINVAL;
	session = daedalus_bridge_file_session(br, file);
	if (!session)
		return -ENOTCONN;

	dbuf = daedalus_expbuf_for_daemon(ddev, session, &eb);
	if (IS_ERR(dbuf))
		return PTR_ERR(dbuf);
	/* The fd goes live only once userspace has its number. */
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		dma_buf_put(dbuf);
		return fd;
	}
	if (put_user(fd, &uarg->fd)) {
		put_unused_fd(fd);
		dma_buf_put(dbuf);
		return -EFAULT;
	}
	fd_install(fd, dbuf->file);
	return 0;
}

static long daedalus_bridge_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct daedalus_bridge *br = file->private_data;

	struct daedalus_dev *ddev = container_of(br, struct daedalus_dev, bridge);
	u32 session;

	switch (cmd) {
	case DAEDALUS_IOC_EXPBUF:
		return daedalus_bridge_expbuf(br, file, (struct daedalus_expbuf __user *)arg);
	case DAEDALUS_IOC_SL_CTRLS:
		session = daedalus_bridge_file_session(br, file);
		if (!session)
			return -ENOTCONN;
		return daedalus_sl_ctrls_for_daemon(ddev, session,
						    (struct daedalus_sl_ctrls __user *)arg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations daedalus_bridge_fops = {
	.owner = THIS_MODULE,
	.open = daedalus_bridge_open,
	.release = daedalus_bridge_release,
	.read = daedalus_bridge_read,
	.write = daedalus_bridge_write,
	.poll = daedalus_bridge_poll,
	.unlocked_ioctl = daedalus_bridge_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

int daedalus_bridge_register(struct daedalus_dev *ddev)
{
	struct daedalus_bridge *br = &ddev->bridge;

	spin_lock_init(&br->lock);
	INIT_LIST_HEAD(&br->txq);
	init_waitqueue_head(&br->read_wq);
	init_waitqueue_head(&br->write_wq);

	br->misc.minor = MISC_DYNAMIC_MINOR;
	br->misc.name = DAEDALUS_BRIDGE_NAME;
	br->misc.fops = &daedalus_bridge_fops;
	br->misc.parent = ddev->dev;
	br->misc.mode = 0600;
	br->misc.groups = daedalus_bridge_groups;
	return misc_register(&br->misc);
}

void daedalus_bridge_unregister(struct daedalus_dev *ddev)
{
	misc_deregister(&ddev->bridge.misc);
}
