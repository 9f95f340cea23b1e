// SPDX-License-Identifier: GPL-2.0-only
/*
 * A context's life as the daemon sees it. This file alone writes its
 * fields: the bridge session the daemon knows the context in (set by the
 * START that OUTPUT's STREAMON sends, cleared when that daemon goes),
 * failed (the fatal-error state of dev-decoder.rst: every buffer back with
 * ERROR, both queues EIO until restarted; a stateless context's requests
 * EIO or ERROR, see daedalus_sl_refuses()) and closed (the handle is being
 * released; the daemon's replies find nothing).
 *
 *   unknown --start--> live --fail / daemon lost--> failed --start--> live
 *   any --close--> closed
 *
 * Locking: ctx->lock (the ioctl and vb2 queue lock) may be held when
 * buf_lock is taken, and buf_lock when the bridge's lock is taken; never
 * the other way round.
 */

#include "daedalus.h"

/**
 * daedalus_ctx_live_for - may a reply from @session still act on @ctx?
 * @ctx: the context
 * @session: the reply's bridge session
 */
bool daedalus_ctx_live_for(struct daedalus_ctx *ctx, u32 session)
{
	unsigned long flags;
	bool live;

	spin_lock_irqsave(&ctx->buf_lock, flags);
	live = ctx->session == session && daedalus_ctx_live(ctx);
	spin_unlock_irqrestore(&ctx->buf_lock, flags);
	return live;
}

/**
 * daedalus_ctx_fail - the fatal-error rule of dev-decoder.rst
 * @ctx: the context
 * @why: for the log, once
 *
 * Every buffer of @ctx goes back with ERROR and both queues report EIO
 * until they are restarted. Any drain ends, and a STREAM_INFO not yet
 * applied describes nothing.
 */
void daedalus_ctx_fail(struct daedalus_ctx *ctx, const char *why)
{
	unsigned long flags;
	LIST_HEAD(returned);
	bool was_failed;

	spin_lock_irqsave(&ctx->buf_lock, flags);
	was_failed = ctx->failed;
	ctx->failed = true;
	if (!was_failed)
		atomic_set(&ctx->failed_polls, 0);
	daedalus_buffers_take_back(ctx, DAEDALUS_QUEUE_OUTPUT, &returned);
	daedalus_buffers_take_back(ctx, DAEDALUS_QUEUE_CAPTURE, &returned);
	daedalus_drain_abort(ctx);
	daedalus_change_forget(ctx);
	daedalus_buffers_return(&returned, VB2_BUF_STATE_ERROR);
	spin_unlock_irqrestore(&ctx->buf_lock, flags);

	/*
	 * Not a stateless OUTPUT queue: a request validated before this and
	 * queued after would leave its buffer unqueued with vb2 and the
	 * request pending for ever (vb2_req_queue() drops the EIO). Its
	 * bitstream buffers are refused by daedalus_sl_refuses() instead.
	 */
	if (!ctx->stateless)
		vb2_queue_error(&ctx->out_q);
	vb2_queue_error(&ctx->cap_q);
	if (!was_failed)
		dev_warn_ratelimited(ctx->dev->v4l2_dev.dev, "context %u failed: %s\n",
				     ctx->id, why);
}

/**
 * daedalus_ctx_tell - queue a control message for the daemon, if it knows the context
 * @ctx: the context
 * @type: DAEDALUS_MSG_STOP or _CLOSE
 * @queue: DAEDALUS_QUEUE_* for STOP
 */
void daedalus_ctx_tell(struct daedalus_ctx *ctx, u16 type, u32 queue)
{
	struct daedalus_msg_ctl *ctl;
	unsigned long flags;
	u32 session;
	int ret;

	ctl = daedalus_bridge_ctl_new(type, ctx->id);
	ctl->queue = cpu_to_le32(queue);
	spin_lock_irqsave(&ctx->buf_lock, flags);
	session = ctx->session;
	spin_unlock_irqrestore(&ctx->buf_lock, flags);
	/* Refused only when that daemon is gone: it has nothing to forget then. */
	ret = session ? daedalus_bridge_send(ctx, session, ctl) : -ENOTCONN;
	if (ret)
		daedalus_bridge_msg_free(ctl);
}

/**
 * daedalus_ctx_start - the OUTPUT queue starts: the daemon learns (again) of the context
 * @ctx: the handle, its lock held
 *
 * Return: 0, or -EIO when no daemon is there to decode the format.
 */
int daedalus_ctx_start(struct daedalus_ctx *ctx)
{
	const struct daedalus_coded_fmt *coded;
	struct daedalus_msg_start *start;
	struct daedalus_caps caps;
	unsigned long flags;
	bool new_stream;
	u32 session;
	int ret;

	session = daedalus_bridge_session(ctx->dev);
	daedalus_ctx_caps(ctx, &caps);
	coded = daedalus_coded_find(&caps, ctx->out_fmt.pixelformat);
	if (!session || !coded)
		return -EIO;

	start = daedalus_bridge_msg_new(DAEDALUS_MSG_START, sizeof(*start), ctx->id);
	if (!start)
		return -ENOMEM;
	start->codec = cpu_to_le32(coded->codec);
	start->width = cpu_to_le32(ctx->out_fmt.width);
	start->height = cpu_to_le32(ctx->out_fmt.height);
	/*
	 * With no CAPTURE buffers the client is in Initialization: it waits
	 * for SOURCE_CHANGE, so the stream is described anew, even if it is
	 * the one decoded before.
	 */
	new_stream = !vb2_is_busy(&ctx->cap_q);
	if (ctx->stateless)
		start->flags = cpu_to_le32(DAEDALUS_START_STATELESS);
	else if (new_stream)
		start->flags = cpu_to_le32(DAEDALUS_START_NEW_STREAM);

	spin_lock_irqsave(&ctx->buf_lock, flags);
	ret = daedalus_bridge_send(ctx, session, start);
	if (!ret) {
		/* A daemon that never saw this context starts afresh too. */
		if (ctx->session != session || new_stream) {
			ctx->session = session;
			/* A stateless client describes the stream itself, in controls. */
			if (!ctx->stateless)
				daedalus_change_new_stream(ctx);
		}
		ctx->failed = false;
		ctx->out_seq = 0;
	}
	spin_unlock_irqrestore(&ctx->buf_lock, flags);
	if (ret) {
		daedalus_bridge_msg_free(start);
		return -EIO;
	}
	return 0;
}

/**
 * daedalus_ctx_close - the handle is going: tell the daemon to forget it
 * @ctx: the handle, its queues already released
 */
void daedalus_ctx_close(struct daedalus_ctx *ctx)
{
	unsigned long flags;

	daedalus_ctx_tell(ctx, DAEDALUS_MSG_CLOSE, 0);
	spin_lock_irqsave(&ctx->buf_lock, flags);
	ctx->closed = true;
	spin_unlock_irqrestore(&ctx->buf_lock, flags);
	cancel_delayed_work_sync(&ctx->watchdog);
	cancel_work_sync(&ctx->info_work);
}

static void daedalus_ctx_lost_one(struct daedalus_ctx *ctx, void *arg)
{
	u32 session = *(u32 *)arg;
	unsigned long flags;
	bool ours;

	spin_lock_irqsave(&ctx->buf_lock, flags);
	ours = ctx->session == session;
	if (ours)
		ctx->session = 0;
	spin_unlock_irqrestore(&ctx->buf_lock, flags);
	if (ours)
		daedalus_ctx_fail(ctx, DAEDALUS_WHY_GONE);
}

/**
 * daedalus_ctx_daemon_lost - the daemon of @session closed the bridge
 * @ddev: the device
 * @session: its session
 */
void daedalus_ctx_daemon_lost(struct daedalus_dev *ddev, u32 session)
{
	daedalus_ctx_for_each(ddev, daedalus_ctx_lost_one, &session);
}
