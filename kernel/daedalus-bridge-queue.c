// SPDX-License-Identifier: GPL-2.0-only
/*
 * Messages for the daemon: the bridge's outgoing queue. The kernel's own
 * messages (jobs, frame buffers, controls, PINGs) are queued without
 * sleeping from any context file and fail once the daemon has stopped
 * reading; replies to the daemon's own messages wait for room. The bridge
 * device (daedalus-bridge.c) reads them out one per read().
 */
#include <linux/fs.h>
#include <linux/ktime.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "daedalus.h"

/* A message waiting for the daemon to read it. */
struct daedalus_txmsg {
	struct list_head list;
	u32 len;
	u8 data[] __aligned(8);
};

static struct daedalus_txmsg *daedalus_txmsg_of(void *msg)
{
	return container_of(msg, struct daedalus_txmsg, data[0]);
}

/**
 * daedalus_bridge_msg_new - a message for the daemon, header filled in
 * @type: DAEDALUS_MSG_*
 * @len: size of its struct
 * @ctx_id: the context it is about, 0 for none
 *
 * Return: the zeroed struct after its header, or NULL. Either
 * daedalus_bridge_send(), daedalus_bridge_reply() or
 * daedalus_bridge_msg_free() takes it.
 */
void *daedalus_bridge_msg_new(u16 type, u32 len, u32 ctx_id)
{
	struct daedalus_txmsg *m = kzalloc(struct_size(m, data, len), GFP_KERNEL);
	struct daedalus_msg_hdr *hdr;

	if (!m)
		return NULL;
	m->len = len;
	hdr = (struct daedalus_msg_hdr *)m->data;
	hdr->magic = cpu_to_le32(DAEDALUS_PROTO_MAGIC);
	hdr->version = cpu_to_le16(DAEDALUS_PROTO_VERSION);
	hdr->type = cpu_to_le16(type);
	hdr->length = cpu_to_le32(len);
	hdr->ctx_id = cpu_to_le32(ctx_id);
	return m->data;
}

void daedalus_bridge_msg_free(void *msg)
{
	if (msg)
		kfree(daedalus_txmsg_of(msg));
}

/**
 * daedalus_bridge_msgs_free - free messages taken off the queue
 * @list: their list
 */
void daedalus_bridge_msgs_free(struct list_head *list)
{
	struct daedalus_txmsg *m, *tmp;

	list_for_each_entry_safe(m, tmp, list, list)
		kfree(m);
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

/* Called with br->lock held. */
static void daedalus_txq_add(struct daedalus_bridge *br, void *msg)
{
	list_add_tail(&daedalus_txmsg_of(msg)->list, &br->txq);
	br->txq_len++;
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
		daedalus_txq_add(br, msg);
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

/**
 * daedalus_bridge_reply - queue a reply to the daemon that wrote @file
 * @br: the bridge
 * @file: the daemon's open bridge
 * @msg: from daedalus_bridge_msg_new(), its seq that of the message answered
 *
 * Waits for room unless the file is non-blocking. Takes @msg in every case.
 * Return: 0, -EPIPE if that daemon no longer holds the bridge, -EAGAIN or
 * -ERESTARTSYS.
 */
int daedalus_bridge_reply(struct daedalus_bridge *br, struct file *file, void *msg)
{
	int ret;

	for (;;) {
		spin_lock(&br->lock);
		if (br->owner != file) {
			spin_unlock(&br->lock);
			daedalus_bridge_msg_free(msg);
			return -EPIPE;
		}
		if (daedalus_txq_has_room(br)) {
			daedalus_txq_add(br, msg);
			spin_unlock(&br->lock);
			wake_up_interruptible(&br->read_wq);
			return 0;
		}
		spin_unlock(&br->lock);
		if (file->f_flags & O_NONBLOCK) {
			daedalus_bridge_msg_free(msg);
			return -EAGAIN;
		}
		ret = wait_event_interruptible(br->write_wq,
					       daedalus_txq_room_or_closed(br, file));
		if (ret) {
			daedalus_bridge_msg_free(msg);
			return ret;
		}
	}
}

static bool daedalus_txq_ready(struct daedalus_bridge *br)
{
	bool ready;

	spin_lock(&br->lock);
	ready = !list_empty(&br->txq);
	spin_unlock(&br->lock);
	return ready;
}

/**
 * daedalus_bridge_read_msg - read() of the bridge: the oldest message, whole
 * @br: the bridge
 * @file: the daemon's open bridge
 * @buf: where it goes
 * @count: room there; a message larger stays queued for a larger read
 *
 * Return: its length, or -EINVAL, -EAGAIN, -ERESTARTSYS or -EFAULT.
 */
ssize_t daedalus_bridge_read_msg(struct daedalus_bridge *br, struct file *file,
				 char __user *buf, size_t count)
{
	struct daedalus_txmsg *m;
	ssize_t len;
	int ret;

	for (;;) {
		spin_lock(&br->lock);
		m = list_first_entry_or_null(&br->txq, struct daedalus_txmsg, list);
		if (m && count < m->len) {
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

/**
 * daedalus_bridge_queue_poll - poll() of the bridge
 * @br: the bridge
 *
 * Return: readable while a message waits, writable while replies have room.
 */
__poll_t daedalus_bridge_queue_poll(struct daedalus_bridge *br)
{
	__poll_t mask = 0;

	spin_lock(&br->lock);
	if (!list_empty(&br->txq))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (daedalus_txq_has_room(br))
		mask |= EPOLLOUT | EPOLLWRNORM;
	spin_unlock(&br->lock);
	return mask;
}

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
	int ret = 0;

	ping = daedalus_bridge_msg_new(DAEDALUS_MSG_PING, sizeof(*ping), 0);
	if (!ping)
		return -ENOMEM;

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
		ping->hdr.seq = cpu_to_le32(br->ping_seq);
		ping->cookie = cpu_to_le64(cookie);
		daedalus_txq_add(br, ping);
		ping = NULL;
	}
	spin_unlock(&br->lock);

	daedalus_bridge_msg_free(ping);
	if (!ret)
		wake_up_interruptible(&br->read_wq);
	return ret;
}
