// SPDX-License-Identifier: GPL-2.0-only
/*
 * Source changes (dev-decoder.rst, Initialization and Dynamic Resolution
 * Change). This file alone writes the resolution-change state: the
 * STREAM_INFO waiting to be applied (info_*), the pause of frame buffers
 * (cap_paused), the change waiting for frames (change_*,
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
 * A client may set CAPTURE up before the first one (Initialization, step
 * 4's note): if it chose the stream's own format, decoding goes on in its
 * buffers with no answer needed (the event still says the format is now
 * the stream's); if not, that first one is a dynamic change too, as the
 * note says.
 * The daemon delivers every frame of the old stream before it describes
 * the new one, so those are the frames from before the change point.
 * Waiting for them costs a client that follows the document nothing, and
 * a client that answers the event at once by restarting CAPTURE (FFmpeg
 * does) loses none of them. The pause ends with a new CAPTURE setup
 * (STREAMON), or with DECODER_CMD START, which says the buffers still fit
 * (Capture Setup, step 6): whatever the new format, the daemon is then
 * handed them laid out in it, fills those large enough, and a context
 * left with none that is meets the watchdog rather than waiting unseen.
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

/* The CAPTURE format of the stream @si describes; the client's layout stays if it can carry it. */
static void daedalus_change_format(struct daedalus_ctx *ctx,
				   const struct daedalus_msg_stream_info *si,
				   struct v4l2_pix_format_mplane *pix)
{
	u32 depth = le32_to_cpu(si->bit_depth);
	const struct daedalus_raw_fmt *raw;
	struct daedalus_caps caps;

	daedalus_ctx_caps(ctx, &caps);
	*pix = ctx->cap_fmt;
	raw = daedalus_raw_find(&caps, pix->pixelformat);
	if (!raw || !daedalus_raw_fits_depth(raw, depth)) {
		raw = daedalus_raw_enum_depth(&caps, depth, 0);
		pix->pixelformat = raw ? raw->fourcc : V4L2_PIX_FMT_NV12;
	}
	pix->width = le32_to_cpu(si->width);
	pix->height = le32_to_cpu(si->height);
	pix->colorspace = le32_to_cpu(si->colorspace);
	pix->xfer_func = le32_to_cpu(si->xfer_func);
	pix->ycbcr_enc = le32_to_cpu(si->ycbcr_enc);
	pix->quantization = le32_to_cpu(si->quantization);
	daedalus_fmt_adjust_raw(&caps, depth, pix);
}

/* Whether the client's CAPTURE format already is the one @si describes. */
static bool daedalus_change_is_set_up(struct daedalus_ctx *ctx,
				      const struct daedalus_msg_stream_info *si)
{
	struct v4l2_pix_format_mplane pix;

	daedalus_change_format(ctx, si, &pix);
	return pix.width == ctx->cap_fmt.width && pix.height == ctx->cap_fmt.height &&
	       pix.pixelformat == ctx->cap_fmt.pixelformat;
}

/* The stream as @si describes it becomes what every query answers; then the event. */
static void daedalus_change_apply(struct daedalus_ctx *ctx,
				  const struct daedalus_msg_stream_info *si, bool dynamic)
{
	static const struct v4l2_event change = {
		.type = V4L2_EVENT_SOURCE_CHANGE,
		.u.src_change.changes = V4L2_EVENT_SRC_CH_RESOLUTION,
	};
	struct v4l2_pix_format_mplane pix;
	struct daedalus_buf *last;
	unsigned long flags;

	daedalus_change_format(ctx, si, &pix);
	v4l2_ctrl_s_ctrl(ctx->min_cap_ctrl, le32_to_cpu(si->min_buffers));

	spin_lock_irqsave(&ctx->buf_lock, flags);
	ctx->cap_fmt = pix;
	ctx->visible = (struct v4l2_rect){
		.left = le32_to_cpu(si->visible_left),
		.top = le32_to_cpu(si->visible_top),
		.width = le32_to_cpu(si->visible_width),
		.height = le32_to_cpu(si->visible_height),
	};
	ctx->bit_depth = le32_to_cpu(si->bit_depth);
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
 *
 * Return: true if the pause is over already (the client's CAPTURE setup
 * from before the first STREAM_INFO is the stream's): the caller hands the
 * frame buffers over again.
 */
bool daedalus_change_stream(struct daedalus_ctx *ctx, const struct daedalus_msg_stream_info *si)
{
	bool streaming, dynamic, defer, set_up;
	unsigned long flags;

	/* Both are the handle's, under ctx->lock: stable here. */
	streaming = vb2_is_streaming(&ctx->cap_q);
	set_up = streaming && !ctx->bit_depth && daedalus_change_is_set_up(ctx, si);
	spin_lock_irqsave(&ctx->buf_lock, flags);
	dynamic = streaming && !set_up;
	defer = dynamic && ctx->cap_ready;
	if (defer) {
		ctx->change = *si;
		ctx->change_pending = true;
	}
	spin_unlock_irqrestore(&ctx->buf_lock, flags);
	if (defer)
		return false;
	daedalus_change_apply(ctx, si, dynamic);
	if (!set_up)
		return false;
	spin_lock_irqsave(&ctx->buf_lock, flags);
	ctx->cap_paused = false;
	spin_unlock_irqrestore(&ctx->buf_lock, flags);
	return true;
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
 * daedalus_change_info_apply() to apply it, the newest one winning.
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
 *
 * Return: true if frame buffers may go to the daemon again at once
 * (daedalus_change_stream()).
 */
bool daedalus_change_info_apply(struct daedalus_ctx *ctx)
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
	return waiting && daedalus_change_stream(ctx, &si);
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
}

/**
 * daedalus_change_resume - DECODER_CMD START: the client says its buffers fit
 * @ctx: the handle, buf_lock held
 *
 * Decoding resumes in them, whatever the new format (Capture Setup, step 6).
 */
void daedalus_change_resume(struct daedalus_ctx *ctx)
{
	ctx->change_epipe = false;
	ctx->change_unanswered = false;
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
