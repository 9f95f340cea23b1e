// SPDX-License-Identifier: GPL-2.0-only
/*
 * The bridge to the decoding daemon: the misc device /dev/daedalus-v4l2.
 *
 * One daemon holds it at a time. Messages (include/uapi/linux/daedalus-v4l2.h)
 * cross it whole: a read() returns one, a write() must carry one. Nothing
 * from userspace is trusted: every field of every message is checked before
 * anything acts on it, and a refused message is counted by reason.
 */
#include <linux/ctype.h>
#include <linux/dma-buf.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/ktime.h>
#include <linux/poll.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "daedalus.h"

/* A message waiting for the daemon to read it. */
struct daedalus_txmsg {
	struct list_head list;
	u32 len;
	u8 data[] __aligned(8);
};

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

const char *daedalus_reject_name(enum daedalus_reject reason)
{
	return daedalus_reject_names[reason];
}

/**
 * daedalus_bridge_caps - what the node offers now
 * @ddev: the device
 * @caps: filled with the connected daemon's announcement; with no daemon,
 *	no codec and the one CAPTURE layout the node defaults to
 */
void daedalus_bridge_caps(struct daedalus_dev *ddev, struct daedalus_caps *caps)
{
	struct daedalus_bridge *br = &ddev->bridge;

	spin_lock(&br->lock);
	if (br->hello_done) {
		*caps = br->caps;
	} else {
		*caps = (struct daedalus_caps){
			.codecs = 0,
			.pixfmts = BIT(DAEDALUS_PIXFMT_NV12),
			.max_width = DAEDALUS_DEF_MAX_DIM,
			.max_height = DAEDALUS_DEF_MAX_DIM,
		};
	}
	spin_unlock(&br->lock);
}

static void daedalus_hdr_init(struct daedalus_msg_hdr *hdr, u16 type, u32 len, u32 seq)
{
	hdr->magic = cpu_to_le32(DAEDALUS_PROTO_MAGIC);
	hdr->version = cpu_to_le16(DAEDALUS_PROTO_VERSION);
	hdr->type = cpu_to_le16(type);
	hdr->length = cpu_to_le32(len);
	hdr->seq = cpu_to_le32(seq);
	hdr->ctx_id = 0;
	hdr->reserved = 0;
}

static struct daedalus_txmsg *daedalus_txmsg_alloc(u32 len)
{
	struct daedalus_txmsg *m = kzalloc(struct_size(m, data, len), GFP_KERNEL);

	if (m)
		m->len = len;
	return m;
}

/**
 * daedalus_bridge_msg_new - a message for the daemon, header filled in
 * @type: DAEDALUS_MSG_*
 * @len: size of its struct
 * @ctx_id: the context it is about
 *
 * Return: the zeroed struct after its header, or NULL. Either
 * daedalus_bridge_send() or daedalus_bridge_msg_free() takes it.
 */
void *daedalus_bridge_msg_new(u16 type, u32 len, u32 ctx_id)
{
	struct daedalus_txmsg *m = daedalus_txmsg_alloc(len);
	struct daedalus_msg_hdr *hdr;

	if (!m)
		return NULL;
	hdr = (struct daedalus_msg_hdr *)m->data;
	daedalus_hdr_init(hdr, type, len, 0);
	hdr->ctx_id = cpu_to_le32(ctx_id);
	return m->data;
}

void daedalus_bridge_msg_free(void *msg)
{
	if (msg)
		kfree(container_of(msg, struct daedalus_txmsg, data[0]));
}

/**
 * daedalus_bridge_session - the session of the daemon holding the bridge
 * @ddev: the device
 *
 * Return: its session number, or 0 without a daemon that said HELLO.
 */
u32 daedalus_bridge_session(struct daedalus_dev *ddev)
{
	struct daedalus_bridge *br = &ddev->bridge;
	u32 session;

	spin_lock(&br->lock);
	session = br->hello_done ? br->session : 0;
	spin_unlock(&br->lock);
	return session;
}

/**
 * daedalus_bridge_send - queue a message from daedalus_bridge_msg_new()
 * @ddev: the device
 * @session: the daemon session it is meant for
 * @msg: the message; taken on success only
 *
 * Never sleeps. Return: 0; -ENOTCONN if that daemon is gone; -ENOSPC if
 * it has stopped reading.
 */
int daedalus_bridge_send(struct daedalus_dev *ddev, u32 session, void *msg)
{
	struct daedalus_txmsg *m = container_of(msg, struct daedalus_txmsg, data[0]);
	struct daedalus_bridge *br = &ddev->bridge;
	struct daedalus_msg_hdr *hdr = msg;
	int ret = 0;

	spin_lock(&br->lock);
	if (!br->hello_done || br->session != session) {
		ret = -ENOTCONN;
	} else if (br->txq_len >= DAEDALUS_TXQ_HARD_MAX) {
		atomic64_inc(&br->stats.tx_dropped);
		ret = -ENOSPC;
	} else {
		hdr->seq = cpu_to_le32(++br->tx_seq);
		list_add_tail(&m->list, &br->txq);
		br->txq_len++;
	}
	spin_unlock(&br->lock);
	if (!ret)
		wake_up_interruptible(&br->read_wq);
	return ret;
}

/* Called with br->lock held. */
static bool daedalus_txq_has_room(struct daedalus_bridge *br)
{
	return br->txq_len < DAEDALUS_TXQ_MAX;
}

static bool daedalus_txq_room_or_closed(struct daedalus_bridge *br, struct file *file)
{
	bool ok;

	spin_lock(&br->lock);
	ok = daedalus_txq_has_room(br) || br->owner != file;
	spin_unlock(&br->lock);
	return ok;
}

/*
 * Queue a reply to the daemon that wrote @file, waiting for room unless the
 * file is non-blocking. Takes @m in every case.
 */
static int daedalus_txq_reply(struct daedalus_bridge *br, struct file *file,
			      struct daedalus_txmsg *m)
{
	int ret;

	for (;;) {
		spin_lock(&br->lock);
		if (br->owner != file) {
			spin_unlock(&br->lock);
			kfree(m);
			return -EPIPE;
		}
		if (daedalus_txq_has_room(br)) {
			list_add_tail(&m->list, &br->txq);
			br->txq_len++;
			spin_unlock(&br->lock);
			wake_up_interruptible(&br->read_wq);
			return 0;
		}
		spin_unlock(&br->lock);
		if (file->f_flags & O_NONBLOCK) {
			kfree(m);
			return -EAGAIN;
		}
		ret = wait_event_interruptible(br->write_wq,
					       daedalus_txq_room_or_closed(br, file));
		if (ret) {
			kfree(m);
			return ret;
		}
	}
}

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

/* A fixed-size string field: NUL-terminated within its size, printable before. */
bool daedalus_string_ok(const char *s, size_t size)
{
	size_t i;

	for (i = 0; i < size && s[i]; i++)
		if (!isprint(s[i]))
			return false;
	return i < size;
}

static int daedalus_rx_hello(struct daedalus_bridge *br, struct file *file,
			     const struct daedalus_msg_hello *hello)
{
	struct daedalus_caps caps = {
		.codecs = le32_to_cpu(hello->codecs),
		.pixfmts = le32_to_cpu(hello->pixfmts),
		.max_width = le32_to_cpu(hello->max_width),
		.max_height = le32_to_cpu(hello->max_height),
	};
	struct daedalus_msg_welcome *welcome;
	struct daedalus_txmsg *m;
	int ret;

	if ((caps.codecs & ~GENMASK(DAEDALUS_CODEC_COUNT - 1, 0)) ||
	    (caps.pixfmts & ~GENMASK(DAEDALUS_PIXFMT_COUNT - 1, 0)) ||
	    (caps.codecs && !caps.pixfmts) ||
	    caps.max_width < DAEDALUS_MIN_DIMENSION || caps.max_width > DAEDALUS_MAX_DIMENSION ||
	    caps.max_height < DAEDALUS_MIN_DIMENSION || caps.max_height > DAEDALUS_MAX_DIMENSION ||
	    hello->flags || hello->reserved ||
	    !daedalus_string_ok(hello->daemon_version, sizeof(hello->daemon_version)))
		return daedalus_reject(br, DAEDALUS_REJECT_FIELD);

	m = daedalus_txmsg_alloc(sizeof(*welcome));
	if (!m)
		return -ENOMEM;
	welcome = (struct daedalus_msg_welcome *)m->data;
	daedalus_hdr_init(&welcome->hdr, DAEDALUS_MSG_WELCOME, sizeof(*welcome),
			  le32_to_cpu(hello->hdr.seq));
	welcome->codecs = cpu_to_le32(caps.codecs);
	welcome->pixfmts = cpu_to_le32(caps.pixfmts);
	welcome->max_width = cpu_to_le32(caps.max_width);
	welcome->max_height = cpu_to_le32(caps.max_height);
	strscpy(welcome->module_version, DAEDALUS_VERSION, sizeof(welcome->module_version));

	spin_lock(&br->lock);
	if (br->owner != file || br->hello_done) {
		spin_unlock(&br->lock);
		kfree(m);
		return daedalus_reject(br, DAEDALUS_REJECT_STATE);
	}
	br->caps = caps;
	br->hello_done = true;
	/* Never 0: contexts use that for "unknown to any daemon". */
	br->session = br->session + 1 ?: 1;
	strscpy(br->daemon_version, hello->daemon_version, sizeof(br->daemon_version));
	spin_unlock(&br->lock);

	ret = daedalus_txq_reply(br, file, m);
	if (ret)
		return ret;
	dev_info(br->misc.this_device,
		 "daemon %.*s (pid %d) connected: codecs %#x, formats %#x, up to %ux%u\n",
		 (int)sizeof(hello->daemon_version), hello->daemon_version,
		 task_tgid_vnr(current), caps.codecs, caps.pixfmts, caps.max_width,
		 caps.max_height);
	return 0;
}

static int daedalus_rx_ping(struct daedalus_bridge *br, struct file *file,
			    const struct daedalus_msg_ping *ping)
{
	struct daedalus_msg_ping *pong;
	struct daedalus_txmsg *m;

	m = daedalus_txmsg_alloc(sizeof(*pong));
	if (!m)
		return -ENOMEM;
	pong = (struct daedalus_msg_ping *)m->data;
	daedalus_hdr_init(&pong->hdr, DAEDALUS_MSG_PONG, sizeof(*pong),
			  le32_to_cpu(ping->hdr.seq));
	pong->cookie = ping->cookie;
	return daedalus_txq_reply(br, file, m);
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

	ret = daedalus_job_rx(ddev, session, type, msg);
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

static bool daedalus_txq_ready(struct daedalus_bridge *br)
{
	bool ready;

	spin_lock(&br->lock);
	ready = !list_empty(&br->txq);
	spin_unlock(&br->lock);
	return ready;
}

static ssize_t daedalus_bridge_read(struct file *file, char __user *buf,
				    size_t count, loff_t *ppos)
{
	struct daedalus_bridge *br = file->private_data;
	struct daedalus_txmsg *m;
	ssize_t len;
	int ret;

	for (;;) {
		spin_lock(&br->lock);
		m = list_first_entry_or_null(&br->txq, struct daedalus_txmsg, list);
		if (m && count < m->len) {
			/* Too small a buffer: the message stays for a larger one. */
			spin_unlock(&br->lock);
			return -EINVAL;
		}
		if (m) {
			list_del(&m->list);
			br->txq_len--;
		}
		spin_unlock(&br->lock);
		if (m)
			break;
		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		ret = wait_event_interruptible(br->read_wq, daedalus_txq_ready(br));
		if (ret)
			return ret;
	}
	wake_up_interruptible(&br->write_wq);

	if (copy_to_user(buf, m->data, m->len)) {
		spin_lock(&br->lock);
		list_add(&m->list, &br->txq);
		br->txq_len++;
		spin_unlock(&br->lock);
		return -EFAULT;
	}
	len = m->len;
	kfree(m);
	atomic64_inc(&br->stats.tx);
	return len;
}

static __poll_t daedalus_bridge_poll(struct file *file, poll_table *wait)
{
	struct daedalus_bridge *br = file->private_data;
	__poll_t mask = 0;

	poll_wait(file, &br->read_wq, wait);
	poll_wait(file, &br->write_wq, wait);
	spin_lock(&br->lock);
	if (!list_empty(&br->txq))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (daedalus_txq_has_room(br))
		mask |= EPOLLOUT | EPOLLWRNORM;
	spin_unlock(&br->lock);
	return mask;
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
	struct daedalus_txmsg *m, *tmp;
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
	list_splice_init(&br->txq, &dropped);
	br->txq_len = 0;
	spin_unlock(&br->lock);

	wake_up_interruptible_all(&br->write_wq);
	list_for_each_entry_safe(m, tmp, &dropped, list)
		kfree(m);
	if (was_connected) {
		dev_info(br->misc.this_device, "daemon (pid %d) disconnected\n", pid);
		daedalus_job_daemon_lost(ddev, session);
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

	dbuf = daedalus_job_expbuf(ddev, session, &eb);
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

	switch (cmd) {
	case DAEDALUS_IOC_EXPBUF:
		return daedalus_bridge_expbuf(br, file, (struct daedalus_expbuf __user *)arg);
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

/**
 * daedalus_bridge_ping - send a PING to the connected daemon
 * @ddev: the device
 * @cookie: echoed in the PONG
 *
 * Return: 0 once queued; -ENOTCONN without a daemon that said HELLO;
 * -EBUSY while an earlier PING is unanswered; -EAGAIN if the daemon is
 * not reading (counted as dropped).
 */
int daedalus_bridge_ping(struct daedalus_dev *ddev, u64 cookie)
{
	struct daedalus_bridge *br = &ddev->bridge;
	struct daedalus_msg_ping *ping;
	struct daedalus_txmsg *m;
	int ret = 0;

	m = daedalus_txmsg_alloc(sizeof(*ping));
	if (!m)
		return -ENOMEM;
	ping = (struct daedalus_msg_ping *)m->data;

	spin_lock(&br->lock);
	if (!br->hello_done) {
		ret = -ENOTCONN;
	} else if (br->ping_pending) {
		ret = -EBUSY;
	} else if (!daedalus_txq_has_room(br)) {
		atomic64_inc(&br->stats.tx_dropped);
		ret = -EAGAIN;
	} else {
		br->ping_seq = ++br->tx_seq;
		br->ping_cookie = cookie;
		br->ping_pending = true;
		br->ping_sent = ktime_get();
		daedalus_hdr_init(&ping->hdr, DAEDALUS_MSG_PING, sizeof(*ping), br->ping_seq);
		ping->cookie = cpu_to_le64(cookie);
		list_add_tail(&m->list, &br->txq);
		br->txq_len++;
		m = NULL;
	}
	spin_unlock(&br->lock);

	kfree(m);
	if (!ret)
		wake_up_interruptible(&br->read_wq);
	return ret;
}

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
