// SPDX-License-Identifier: GPL-2.0-only
/*
 * Messages for the daemon: the bridge's outgoing queue. The kernel's own
 * messages (jobs, frame buffers, controls, PINGs) are queued without
 * sleeping from any context file; replies to the daemon's own messages
 * wait for room. The bridge device (daedalus-bridge.c) reads them out one
 * per read().
 *
 * Each context has a share of the queue that it alone pays for: past
 * DAEDALUS_CTX_QUEUE_MAX of its messages waiting, its next job or frame
 * buffer is refused (the context fails, no other one), so one client
 * storming its queues cannot crowd out the others. STOP and CLOSE are
 * never refused: the daemon would hold stale buffers or a dead context
 * for ever. They stay bounded all the same: past the share, one that
 * repeats the context's last waiting message says nothing new and is
 * merged into it.
 */
#include <linux/fs.h>
#include <linux/ktime.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "daedalus.h"

/* A message waiting for the daemon to read it; holds a reference on its context. */
struct daedalus_txmsg {
	struct list_head list;
	struct daedalus_ctx *ctx;
	u32 len;
	u8 data[] __aligned(8);
};

static struct daedalus_txmsg *daedalus_txmsg_of(void *msg)
{
	return container_of(msg, struct daedalus_txmsg, data[0]);
}

static void *daedalus_bridge_msg_alloc(u16 type, u32 len, u32 ctx_id, gfp_t gfp)
{
	struct daedalus_txmsg *m = kzalloc(struct_size(m, data, len), gfp);
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
	return daedalus_bridge_msg_alloc(type, len, ctx_id, GFP_KERNEL);
}

/**
 * daedalus_bridge_ctl_new - a STOP, CLOSE or DRAIN for the daemon
 * @type: DAEDALUS_MSG_*
 * @ctx_id: the context it is about
 *
 * Such a message must not be lost to a failed allocation (the daemon would
 * wait for it for ever); it is small enough for __GFP_NOFAIL.
 *
 * Return: the zeroed message, taken as daedalus_bridge_msg_new()'s are.
 */
struct daedalus_msg_ctl *daedalus_bridge_ctl_new(u16 type, u32 ctx_id)
{
	return daedalus_bridge_msg_alloc(type, sizeof(struct daedalus_msg_ctl), ctx_id,
					 GFP_KERNEL | __GFP_NOFAIL);
}

void daedalus_bridge_msg_free(void *msg)
{
	if (msg)
		kfree(daedalus_txmsg_of(msg));
}

/* Frees a message taken off the queue, and its hold on its context. */
static void daedalus_txmsg_free(struct daedalus_txmsg *m)
{
	if (m->ctx)
		daedalus_ctx_put(m->ctx);
	kfree(m);
}

/**
 * daedalus_bridge_msgs_free - free messages taken off the queue
 * @list: their list, from daedalus_bridge_take_all()
 */
void daedalus_bridge_msgs_free(struct list_head *list)
{
	struct daedalus_txmsg *m, *tmp;

	list_for_each_entry_safe(m, tmp, list, list)
		daedalus_txmsg_free(m);
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

/* Called with br->lock held; @ctx is the context the message counts against, or NULL. */
static void daedalus_txq_add(struct daedalus_bridge *br, void *msg, struct daedalus_ctx *ctx)
{
	struct daedalus_txmsg *m = daedalus_txmsg_of(msg);

	if (ctx) {
		kref_get(&ctx->ref);
		ctx->txq_queued++;
	}
	m->ctx = ctx;
	list_add_tail(&m->list, &br->txq);
	br->txq_len++;
}

/* Called with br->lock held: @m leaves the queue; the caller frees it. */
static void daedalus_txq_del(struct daedalus_bridge *br, struct daedalus_txmsg *m)
{
	list_del(&m->list);
	br->txq_len--;
	if (m->ctx)
		m->ctx->txq_queued--;
}

/**
 * daedalus_bridge_take_all - empty the queue (the daemon let go of the bridge)
 * @br: the bridge, its lock held
 * @list: gets the messages, for daedalus_bridge_msgs_free() once unlocked
 */
void daedalus_bridge_take_all(struct daedalus_bridge *br, struct list_head *list)
{
	struct daedalus_txmsg *m, *tmp;

	list_for_each_entry_safe(m, tmp, &br->txq, list) {
		daedalus_txq_del(br, m);
		list_add_tail(&m->list, list);
	}
}

/*
 * Called with br->lock held: whether @msg says again what @ctx's last
 * waiting message says (all but the sequence number).
 */
static bool daedalus_txq_repeats(struct daedalus_bridge *br, struct daedalus_ctx *ctx,
				 const void *msg)
{
	const struct daedalus_txmsg *n = daedalus_txmsg_of((void *)msg);
	const size_t seq_end = offsetofend(struct daedalus_msg_hdr, seq);
	const size_t seq_at = offsetof(struct daedalus_msg_hdr, seq);
	struct daedalus_txmsg *m;

	list_for_each_entry_reverse(m, &br->txq, list) {
		if (m->ctx != ctx)
			continue;
		return m->len == n->len && !memcmp(m->data, n->data, seq_at) &&
		       !memcmp(m->data + seq_end, n->data + seq_end, n->len - seq_end);
	}
	return false;
}

/**
 * daedalus_bridge_send - queue a message from daedalus_bridge_msg_new()
 * @ctx: the context it is about
 * @session: the daemon session it is meant for
 * @msg: the message; taken on success only
 *
 * Never sleeps. Return: 0; -ENOTCONN if that daemon is gone; -EDQUOT if
 * the context's share of the queue is full; -ENOSPC if the daemon has
 * stopped reading. STOP and CLOSE are only refused with -ENOTCONN.
 */
int daedalus_bridge_send(struct daedalus_ctx *ctx, u32 session, void *msg)
{
	struct daedalus_bridge *br = &ctx->dev->bridge;
	struct daedalus_msg_hdr *hdr = msg;
	u16 type = le16_to_cpu(hdr->type);
	bool must = type == DAEDALUS_MSG_STOP || type == DAEDALUS_MSG_CLOSE;
	bool merged = false;
	int ret = 0;

	spin_lock(&br->lock);
	if (!br->hello_done || br->session != session) {
		ret = -ENOTCONN;
	} else if (ctx->txq_queued >= DAEDALUS_CTX_QUEUE_MAX) {
		if (!must)
			ret = -EDQUOT;
		else
			merged = daedalus_txq_repeats(br, ctx, msg);
	} else if (br->txq_len >= DAEDALUS_TXQ_HARD_MAX && !must) {
		ret = -ENOSPC;
	}
	if (!ret && !merged) {
		hdr->seq = cpu_to_le32(++br->tx_seq);
		daedalus_txq_add(br, msg, ctx);
	}
	if (ret && ret != -ENOTCONN)
		atomic64_inc(&br->stats.tx_dropped);
	spin_unlock(&br->lock);
	if (merged)
		daedalus_bridge_msg_free(msg);
	else if (!ret)
		wake_up_interruptible(&br->read_wq);
	return ret;
}

/**
 * daedalus_bridge_send_failed - why a context fails when daedalus_bridge_send() refused
 * @ret: what it returned
 *
 * Return: the reason, for daedalus_ctx_fail().
 */
const char *daedalus_bridge_send_failed(int ret)
{
	switch (ret) {
	case -EDQUOT:
		return "its share of the daemon's queue is full";
	case -ENOSPC:
		return "the daemon is not reading its messages";
	default:
		return DAEDALUS_WHY_GONE;
	}
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
			daedalus_txq_add(br, msg, NULL);
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

/**
 * daedalus_bridge_welcome - queue the WELCOME that makes a HELLO take effect
 * @br: the bridge
 * @file: the daemon's open bridge
 * @caps: what the HELLO offers, checked
 * @version: the daemon's version string, checked
 * @welcome: the reply, its seq that of the HELLO; taken in every case
 *
 * The session starts with the WELCOME queued, in one step: no message of
 * the kernel's can reach the daemon before it, and a HELLO refused leaves
 * nothing behind (the daemon may say HELLO again).
 *
 * Return: 0, or -EPERM if @file does not hold the bridge or said HELLO already.
 */
int daedalus_bridge_welcome(struct daedalus_bridge *br, struct file *file,
			    const struct daedalus_caps *caps, const char *version,
			    void *welcome)
{
	spin_lock(&br->lock);
	if (br->owner != file || br->hello_done) {
		spin_unlock(&br->lock);
		daedalus_bridge_msg_free(welcome);
		return -EPERM;
	}
	/* Before HELLO only replies wait here: one more is bounded too. */
	daedalus_txq_add(br, welcome, NULL);
	br->caps = *caps;
	br->hello_done = true;
	/* Never 0: contexts use that for "unknown to any daemon". */
	br->session = br->session + 1 ?: 1;
	strscpy(br->daemon_version, version, sizeof(br->daemon_version));
	spin_unlock(&br->lock);
	wake_up_interruptible(&br->read_wq);
	return 0;
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
		/* Stays counted against its context until it is read for good. */
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
	if (m->ctx) {
		spin_lock(&br->lock);
		m->ctx->txq_queued--;
		spin_unlock(&br->lock);
	}
	daedalus_txmsg_free(m);
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
		daedalus_txq_add(br, ping, NULL);
		ping = NULL;
	}
	spin_unlock(&br->lock);

	daedalus_bridge_msg_free(ping);
	if (!ret)
		wake_up_interruptible(&br->read_wq);
	return ret;
}
