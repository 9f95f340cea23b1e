// SPDX-License-Identifier: GPL-2.0-only
/*
 * Source changes (dev-decoder.rst, Initialization and Dynamic Resolution
 * Change). This file alone writes the resolution-change state: the
 * STREAM_INFO waiting to be applied (info_*), the pause of frame buffers
 * (cap_paused, cap_refit), the change waiting for frames (change_*,
 * cap_ready) and the stream's description (bit_depth, the CAPTURE format
 * as the stream sets it). Functions documented "buf_lock held" are called
 * under it; the others take it.
 *
 * The daemon's STREAM_INFO describes the stream: received, it pauses the
 * frame buffers (none is filled until the client has answered) and waits
 * for ctx->lock; applied, the first one of a stream, or one while CAPTURE
 * is not streaming, sets the CAPTURE format and signals SOURCE_CHANGE at
 * once. A later one, while CAPTURE streams, is a dynamic change: the new
 * format, the event and an empty buffer flagged LAST come together, once
 * the client has dequeued every frame given back before the STREAM_INFO.
 * The daemon delivers every frame of the old stream before it describes
 * the new one, so those are the frames from before the change point.
 * Waiting for them costs a client that follows the document nothing, and
 * a client that answers the event at once by restarting CAPTURE (FFmpeg
 * does) loses none of them. The pause ends with a new CAPTURE setup
 * (STREAMON), or with DECODER_CMD START when the buffers still fit.
 */
#include <media/v4l2-event.h>

#include "daedalus.h"

/* Called with buf_lock held: @buf goes back empty, flagged LAST. */
static void daedalus_change_give_last(struct daedalus_ctx *ctx, struct daedalus_buf *buf)
{
	struct vb2_buffer *vb = &buf->vb.vb2_buf;
	unsigned int p;

	for (p = 0; p < vb->num_planes; p++)
		vb2_set_plane_payload(vb, p, 0);
	vb->timestamp = 0;
	buf->vb.field = V4L2_FIELD_NONE;
	buf->vb.sequence = ctx->cap_seq++;
	buf->vb.flags &= ~(V4L2_BUF_FLAG_KEYFRAME | V4L2_BUF_FLAG_PFRAME |
			   V4L2_BUF_FLAG_BFRAME);
	buf->vb.flags |= V4L2_BUF_FLAG_LAST;
	/* DQBUF says EPIPE after it until CAPTURE restarts or START. */
	ctx->change_epipe = true;
	vb2_buffer_done(vb, VB2_BUF_STATE_DONE);
}

/* The stream as @si describes it becomes what every query answers; then the event. */
static void daedalus_change_apply(struct daedalus_ctx *ctx,
				  const struct daedalus_msg_stream_info *si, bool dynamic)
{
	static const struct v4l2_event change = {
		.type = V4L2_EVENT_SOURCE_CHANGE,
		.u.src_change.changes = V4L2_EVENT_SRC_CH_RESOLUTION,
	};
	u32 depth = le32_to_cpu(si->bit_depth);
	struct v4l2_pix_format_mplane pix;
	const struct daedalus_raw_fmt *raw;
	struct daedalus_buf *last;
	struct daedalus_caps caps;
	unsigned long flags;

	daedalus_ctx_caps(ctx, &caps);

	/* The client's layout stays if it can carry the stream, else the daemon's choice. */
	pix = ctx->cap_fmt;
	raw = daedalus_raw_find(&caps, pix.pixelformat);
	if (!raw || !daedalus_raw_fits_depth(raw, depth)) {
		raw = daedalus_raw_enum_depth(&caps, depth, 0);
		pix.pixelformat = raw ? raw->fourcc : V4L2_PIX_FMT_NV12;
	}
	pix.width = le32_to_cpu(si->width);
	pix.height = le32_to_cpu(si->height);
	pix.colorspace = le32_to_cpu(si->colorspace);
	pix.xfer_func = le32_to_cpu(si->xfer_func);
	pix.ycbcr_enc = le32_to_cpu(si->ycbcr_enc);
	pix.quantization = le32_to_cpu(si->quantization);
	daedalus_fmt_adjust_raw(&caps, depth, &pix);

	v4l2_ctrl_s_ctrl(ctx->min_cap_ctrl, le32_to_cpu(si->min_buffers));

	spin_lock_irqsave(&ctx->buf_lock, flags);
	if (vb2_is_busy(&ctx->cap_q) &&
	    (pix.width != ctx->cap_fmt.width || pix.height != ctx->cap_fmt.height ||
	     pix.pixelformat != ctx->cap_fmt.pixelformat))
		ctx->cap_refit = true;
	ctx->cap_fmt = pix;
	ctx->visible = (struct v4l2_rect){
		.left = le32_to_cpu(si->visible_left),
		.top = le32_to_cpu(si->visible_top),
		.width = le32_to_cpu(si->visible_width),
		.height = le32_to_cpu(si->visible_height),
	};
	ctx->bit_depth = depth;
	ctx->change_pending = false;
	v4l2_event_queue_fh(&ctx->fh, &change);
	if (dynamic) {
		atomic64_inc(&ctx->dev->bridge.stats.source_changes);
		ctx->change_unanswered = true;
		/* The last buffer from before the change; one queued later if none is. */
		last = list_first_entry_or_null(&ctx->cap_pending, struct daedalus_buf, list);
		if (last) {
			list_del(&last->list);
			daedalus_change_give_last(ctx, last);
		} else {
			ctx->change_last_owed = true;
		}
	}
	spin_unlock_irqrestore(&ctx->buf_lock, flags);
}

/**
 * daedalus_change_stream - the daemon described the stream (STREAM_INFO)
 * @ctx: the handle, its lock held; the daemon's frame buffers already taken back
 * @si: the message, checked
 */
void daedalus_change_stream(struct daedalus_ctx *ctx, const struct daedalus_msg_stream_info *si)
{
	unsigned long flags;
	bool dynamic, defer;

	spin_lock_irqsave(&ctx->buf_lock, flags);
	dynamic = ctx->bit_depth && vb2_is_streaming(&ctx->cap_q);
	defer = dynamic && ctx->cap_ready;
	if (defer) {
		ctx->change = *si;
		ctx->change_pending = true;
	}
	spin_unlock_irqrestore(&ctx->buf_lock, flags);
	if (!defer)
		daedalus_change_apply(ctx, si, dynamic);
}

/**
 * daedalus_change_dequeued - the client dequeued a CAPTURE buffer
 * @ctx: the handle, its lock held
 *
 * The last frame from before a dynamic change lets the change take effect.
 */
void daedalus_change_dequeued(struct daedalus_ctx *ctx)
{
	unsigned long flags;
	bool apply;

	spin_lock_irqsave(&ctx->buf_lock, flags);
	if (ctx->cap_ready)
		ctx->cap_ready--;
	apply = ctx->change_pending && !ctx->cap_ready;
	spin_unlock_irqrestore(&ctx->buf_lock, flags);
	if (apply)
		daedalus_change_apply(ctx, &ctx->change, true);
}

/**
 * daedalus_change_take_last - a CAPTURE buffer was queued: the LAST owed?
 * @ctx: the handle, buf_lock held
 * @buf: the buffer
 *
 * Return: true if @buf went back as the LAST buffer of a dynamic change.
 */
bool daedalus_change_take_last(struct daedalus_ctx *ctx, struct daedalus_buf *buf)
{
	if (!ctx->change_last_owed)
		return false;
	ctx->change_last_owed = false;
	daedalus_change_give_last(ctx, buf);
	return true;
}

/**
 * daedalus_change_cap_stopped - CAPTURE stopped streaming
 * @ctx: the handle, buf_lock held
 *
 * Its frames are gone, dequeued or not; a change still waiting for them
 * takes effect when the STREAMOFF returns (daedalus_change_flush()).
 *
 * Return: true if the client stopped CAPTURE to answer a dynamic change:
 * a drain under way goes on (dev-decoder.rst, Drain 2), it is not aborted.
 */
bool daedalus_change_cap_stopped(struct daedalus_ctx *ctx)
{
	bool answer = ctx->change_unanswered;

	ctx->cap_ready = 0;
	ctx->change_unanswered = false;
	ctx->change_last_owed = false;
	ctx->change_epipe = false;
	return answer;
}

/**
 * daedalus_change_flush - apply a change that waited for frames now gone
 * @ctx: the handle, its lock held
 */
void daedalus_change_flush(struct daedalus_ctx *ctx)
{
	unsigned long flags;
	bool apply;

	spin_lock_irqsave(&ctx->buf_lock, flags);
	apply = ctx->change_pending;
	spin_unlock_irqrestore(&ctx->buf_lock, flags);
	if (apply)
		daedalus_change_apply(ctx, &ctx->change, false);
}

/**
 * daedalus_change_received - the daemon described the stream (STREAM_INFO)
 * @ctx: the handle, buf_lock held; the daemon's frame buffers already taken back
 * @session: the bridge session it came in
 * @si: the message, checked
 *
 * Frame buffers wait until the client has answered; the message waits for
 * daedalus_change_info_post() to apply it, the newest one winning.
 */
void daedalus_change_received(struct daedalus_ctx *ctx, u32 session,
			      const struct daedalus_msg_stream_info *si)
{
	ctx->cap_paused = true;
	ctx->info_next = *si;
	ctx->info_session = session;
	ctx->info_waiting = true;
}

/**
 * daedalus_change_info_apply - the STREAM_INFO that waits, if any, takes effect
 * @ctx: the handle, its lock held
 */
void daedalus_change_info_apply(struct daedalus_ctx *ctx)
{
	struct daedalus_msg_stream_info si;
	unsigned long flags;
	bool waiting;

	spin_lock_irqsave(&ctx->buf_lock, flags);
	/* A context that failed or was restarted since has forgotten that stream. */
	waiting = ctx->info_waiting && ctx->info_session == ctx->session &&
		  daedalus_ctx_live(ctx);
	ctx->info_waiting = false;
	si = ctx->info_next;
	spin_unlock_irqrestore(&ctx->buf_lock, flags);
	if (waiting)
		daedalus_change_stream(ctx, &si);
}

/**
 * daedalus_change_info_post - apply the STREAM_INFO received, now or soon
 * @ctx: the handle, its lock not held by the caller
 *
 * The formats are the handle's ioctls' to read under ctx->lock, which a
 * client holds for as long as an ioctl runs, and the daemon's write does
 * not wait for it. If the lock is free the message is applied at once, so
 * that no ioctl sees the frame buffers taken back and the format not yet
 * changed; else a work item applies it, or the next STREAMON of CAPTURE
 * or START, whichever comes first.
 */
void daedalus_change_info_post(struct daedalus_ctx *ctx)
{
	unsigned long flags;

	if (mutex_trylock(&ctx->lock)) {
		daedalus_change_info_apply(ctx);
		mutex_unlock(&ctx->lock);
		return;
	}
	/* daedalus_ctx_close() cancels the work once closed is set, under buf_lock. */
	spin_lock_irqsave(&ctx->buf_lock, flags);
	if (!ctx->closed)
		queue_work(system_wq, &ctx->info_work);
	spin_unlock_irqrestore(&ctx->buf_lock, flags);
}

/**
 * daedalus_change_info_work - apply the STREAM_INFO that waits, under ctx->lock
 * @work: the context's info_work
 */
void daedalus_change_info_work(struct work_struct *work)
{
	struct daedalus_ctx *ctx = container_of(work, struct daedalus_ctx, info_work);

	mutex_lock(&ctx->lock);
	daedalus_change_info_apply(ctx);
	mutex_unlock(&ctx->lock);
}

/**
 * daedalus_change_forget - the stream is over: a STREAM_INFO not applied describes nothing
 * @ctx: the handle, buf_lock held
 */
void daedalus_change_forget(struct daedalus_ctx *ctx)
{
	ctx->info_waiting = false;
}

/**
 * daedalus_change_new_stream - the daemon describes the stream anew
 * @ctx: the handle, buf_lock held
 */
void daedalus_change_new_stream(struct daedalus_ctx *ctx)
{
	ctx->bit_depth = 0;
	ctx->info_waiting = false;
}

/**
 * daedalus_change_holds_frames - frame buffers wait for the client's answer
 * @ctx: the handle, buf_lock held
 */
bool daedalus_change_holds_frames(const struct daedalus_ctx *ctx)
{
	return ctx->cap_paused;
}

/**
 * daedalus_change_cap_started - CAPTURE set up (again): the pause ends
 * @ctx: the handle, buf_lock held
 *
 * The client has seen any pending SOURCE_CHANGE. The caller applied a
 * STREAM_INFO that waited first, as if it had come before this STREAMON:
 * only its SOURCE_CHANGE may be followed by this resume.
 */
void daedalus_change_cap_started(struct daedalus_ctx *ctx)
{
	ctx->cap_paused = false;
	ctx->cap_refit = false;
}

/**
 * daedalus_change_resume - DECODER_CMD START: the client's buffers fit
 * @ctx: the handle, buf_lock held
 *
 * Decoding resumes unless the format changed under allocated buffers,
 * which only a new CAPTURE setup answers.
 */
void daedalus_change_resume(struct daedalus_ctx *ctx)
{
	ctx->change_epipe = false;
	ctx->change_unanswered = false;
	if (!ctx->cap_refit)
		ctx->cap_paused = false;
}

/**
 * daedalus_change_frame_given - a frame went back to the client
 * @ctx: the handle, buf_lock held
 */
void daedalus_change_frame_given(struct daedalus_ctx *ctx)
{
	ctx->cap_ready++;
}

/**
 * daedalus_change_last_dequeued - the client dequeued a buffer flagged LAST
 * @ctx: the handle, buf_lock held
 *
 * Return: true if it was a dynamic change's: DQBUF said EPIPE after it
 * until the change was answered, and now gives buffers again.
 */
bool daedalus_change_last_dequeued(struct daedalus_ctx *ctx)
{
	if (!ctx->change_epipe)
		return false;
	ctx->change_epipe = false;
	return true;
}
