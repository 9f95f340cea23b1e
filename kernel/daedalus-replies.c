// SPDX-License-Identifier: GPL-2.0-only
/*
 * The daemon's replies about a context: JOB_DONE gives a bitstream buffer
 * back, FRAME a filled frame buffer, STREAM_INFO describes the stream,
 * ERROR gives up on it. The daemon is trusted with nothing: what a
 * message says on its own is checked first, then the buffer it names
 * against the context's own lists (daedalus_handover_find()), before
 * anything is touched. Replies run under buf_lock alone and never wait for
 * ctx->lock, which a client may hold across a sleep.
 */
#include <media/v4l2-event.h>

#include "daedalus.h"

/* Each handler returns 0, 1 for a stale reply, or a negative reject reason. */

static int daedalus_rx_job_done(struct daedalus_ctx *ctx, u32 session,
				const struct daedalus_msg_job_done *done)
{
	u32 flags_in = le32_to_cpu(done->flags);
	struct daedalus_buf *buf;
	unsigned long flags;
	int ret;

	spin_lock_irqsave(&ctx->buf_lock, flags);
	ret = daedalus_handover_find(ctx, session, DAEDALUS_QUEUE_OUTPUT, le32_to_cpu(done->tag),
				     le32_to_cpu(done->index), &buf);
	if (!ret) {
		list_del(&buf->list);
		buf->vb.sequence = ctx->out_seq++;
		vb2_buffer_done(&buf->vb.vb2_buf, flags_in & DAEDALUS_JOB_ERROR ?
				VB2_BUF_STATE_ERROR : VB2_BUF_STATE_DONE);
		daedalus_handover_touch(ctx);
	}
	spin_unlock_irqrestore(&ctx->buf_lock, flags);
	return ret;
}

static int daedalus_rx_frame(struct daedalus_ctx *ctx, u32 session,
			     const struct daedalus_msg_frame *frame)
{
	static const struct v4l2_event eos = { .type = V4L2_EVENT_EOS };
	u32 bytesused = le32_to_cpu(frame->bytesused);
	u32 fflags = le32_to_cpu(frame->flags);
	bool last = fflags & DAEDALUS_FRAME_LAST;
	struct daedalus_buf *buf;
	struct vb2_buffer *vb;
	unsigned long flags;
	bool error;
	int ret;

	spin_lock_irqsave(&ctx->buf_lock, flags);
	ret = daedalus_handover_find(ctx, session, DAEDALUS_QUEUE_CAPTURE,
				     le32_to_cpu(frame->tag), le32_to_cpu(frame->index), &buf);
	if (ret)
		goto out;
	vb = &buf->vb.vb2_buf;
	if (bytesused > vb2_plane_size(vb, 0)) {
		ret = -DAEDALUS_REJECT_BUFFER;
		goto out;
	}
	if (last && !daedalus_drain_last_ok(ctx, fflags & DAEDALUS_FRAME_END_OF_STREAM)) {
		ret = -DAEDALUS_REJECT_STATE;
		goto out;
	}

	list_del(&buf->list);
	vb2_set_plane_payload(vb, 0, bytesused);
	vb->timestamp = le64_to_cpu(frame->timestamp);
	buf->vb.field = V4L2_FIELD_NONE;
	buf->vb.sequence = ctx->cap_seq++;
	buf->vb.flags &= ~(V4L2_BUF_FLAG_KEYFRAME | V4L2_BUF_FLAG_PFRAME |
			   V4L2_BUF_FLAG_BFRAME | V4L2_BUF_FLAG_LAST);
	if (fflags & DAEDALUS_FRAME_KEYFRAME)
		buf->vb.flags |= V4L2_BUF_FLAG_KEYFRAME;
	if (fflags & DAEDALUS_FRAME_PFRAME)
		buf->vb.flags |= V4L2_BUF_FLAG_PFRAME;
	if (fflags & DAEDALUS_FRAME_BFRAME)
		buf->vb.flags |= V4L2_BUF_FLAG_BFRAME;
	if (last) {
		buf->vb.flags |= V4L2_BUF_FLAG_LAST;
		daedalus_drain_last_sent(ctx);
	}
	daedalus_meta_copy(ctx, &buf->vb);
	/* The EOS event is due before the client can see LAST. */
	if (last)
		v4l2_event_queue_fh(&ctx->fh, &eos);
	/* An empty LAST buffer is no error; a frame decoded with errors is. */
	error = fflags & DAEDALUS_FRAME_ERROR;
	vb2_buffer_done(vb, error ? VB2_BUF_STATE_ERROR : VB2_BUF_STATE_DONE);
	daedalus_change_frame_given(ctx);
	atomic64_inc(&ctx->dev->bridge.stats.frames);
	daedalus_handover_touch(ctx);
out:
	spin_unlock_irqrestore(&ctx->buf_lock, flags);
	return ret;
}

static bool daedalus_stream_info_ok(const struct daedalus_caps *caps,
				    const struct daedalus_msg_stream_info *si)
{
	u32 width = le32_to_cpu(si->width), height = le32_to_cpu(si->height);
	u32 left = le32_to_cpu(si->visible_left), top = le32_to_cpu(si->visible_top);
	u32 vw = le32_to_cpu(si->visible_width), vh = le32_to_cpu(si->visible_height);
	u32 pixfmt = le32_to_cpu(si->pixfmt), depth = le32_to_cpu(si->bit_depth);
	u32 min_buffers = le32_to_cpu(si->min_buffers);

	return width >= DAEDALUS_MIN_DIMENSION && width <= caps->max_width &&
	       height >= DAEDALUS_MIN_DIMENSION && height <= caps->max_height &&
	       vw && vh && left < width && top < height &&
	       vw <= width - left && vh <= height - top &&
	       pixfmt < DAEDALUS_PIXFMT_COUNT && (caps->pixfmts & BIT(pixfmt)) &&
	       (depth == 8 || depth == 10) &&
	       (pixfmt == DAEDALUS_PIXFMT_P010) == (depth == 10) &&
	       min_buffers >= 1 && min_buffers <= DAEDALUS_MAX_MIN_BUFFERS &&
	       le32_to_cpu(si->colorspace) <= V4L2_COLORSPACE_DCI_P3 &&
	       le32_to_cpu(si->xfer_func) <= V4L2_XFER_FUNC_SMPTE2084 &&
	       le32_to_cpu(si->ycbcr_enc) <= V4L2_YCBCR_ENC_SMPTE240M &&
	       le32_to_cpu(si->quantization) <= V4L2_QUANTIZATION_LIM_RANGE &&
	       !si->reserved;
}

/*
 * Apply the STREAM_INFO received, now or soon. The formats are the
 * handle's ioctls' to read under ctx->lock, which a client holds for as
 * long as an ioctl runs, and the daemon's write does not wait for it. If
 * the lock is free the message is applied at once, so that no ioctl sees
 * the frame buffers taken back and the format not yet changed; else a
 * work item applies it, or the next STREAMON of CAPTURE or START,
 * whichever comes first. A pause the message ended at once (the client's
 * CAPTURE setup was the stream's) hands the frame buffers over again.
 */
static void daedalus_replies_info_post(struct daedalus_ctx *ctx)
{
	unsigned long flags;

	if (mutex_trylock(&ctx->lock)) {
		if (daedalus_change_info_apply(ctx))
			daedalus_handover_kick(ctx);
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
 * daedalus_replies_info_work - apply the STREAM_INFO that waits, under ctx->lock
 * @work: the context's info_work
 */
void daedalus_replies_info_work(struct work_struct *work)
{
	struct daedalus_ctx *ctx = container_of(work, struct daedalus_ctx, info_work);

	mutex_lock(&ctx->lock);
	if (daedalus_change_info_apply(ctx))
		daedalus_handover_kick(ctx);
	mutex_unlock(&ctx->lock);
}

/*
 * The stream's headers are parsed: every query from now on answers for
 * the stream, and the client hears of it through SOURCE_CHANGE, even when
 * nothing differs from what it set (dev-decoder.rst, Initialization).
 *
 * No frame reaches the client until it has seen the event and set CAPTURE
 * up again (STREAMON) or said its buffers do (DECODER_CMD START): the
 * frame buffers the daemon holds are taken back at once, and every
 * STREAM_INFO is answered with that STOP; the daemon fills nothing in
 * between, and drops the frame buffers handed to it before the STOP. So
 * the STOP is queued with the buffers taken back, under buf_lock: a frame
 * buffer handed over after that (a STREAMON racing with this) goes after
 * it. A STOP that cannot be queued fails the context, or the daemon would
 * wait for it for ever. The new format is applied under ctx->lock
 * (daedalus_replies_info_post()).
 */
static int daedalus_rx_stream_info(struct daedalus_ctx *ctx, u32 session,
				   const struct daedalus_msg_stream_info *si)
{
	struct daedalus_msg_ctl *stop;
	unsigned long flags;
	int ret = 1;

	stop = daedalus_bridge_ctl_new(DAEDALUS_MSG_STOP, ctx->id);
	stop->queue = cpu_to_le32(DAEDALUS_QUEUE_CAPTURE);
	spin_lock_irqsave(&ctx->buf_lock, flags);
	if (ctx->session == session && daedalus_ctx_live(ctx)) {
		ret = daedalus_bridge_send(ctx, session, stop);
		if (!ret) {
			stop = NULL;
			daedalus_handover_recall_frames(ctx);
			daedalus_handover_touch(ctx);
			daedalus_change_received(ctx, session, si);
		}
	}
	spin_unlock_irqrestore(&ctx->buf_lock, flags);
	if (stop)
		daedalus_bridge_msg_free(stop);
	if (ret < 0) {
		daedalus_ctx_fail(ctx, daedalus_bridge_send_failed(ret));
		return 0;
	}
	if (ret)
		return ret;
	daedalus_replies_info_post(ctx);
	return 0;
}

static int daedalus_rx_error(struct daedalus_ctx *ctx, u32 session,
			     const struct daedalus_msg_error *err)
{
	u32 code = le32_to_cpu(err->code);

	if (!daedalus_ctx_live_for(ctx, session))
		return 1;
	/* Any client can send a bad stream as often as it likes. */
	dev_warn_ratelimited(ctx->dev->v4l2_dev.dev,
			     "context %u: the daemon cannot decode: %s (code %u)\n",
			     ctx->id, err->text, code);
	daedalus_ctx_fail(ctx, "decoding error");
	return 0;
}

/*
 * What a message says on its own, checked before its context is looked up:
 * a malformed message is refused even when the context it names is gone.
 */
static bool daedalus_rx_well_formed(struct daedalus_dev *ddev, u16 type, const void *msg)
{
	const struct daedalus_msg_stream_info *si = msg;
	const struct daedalus_msg_job_done *done = msg;
	const struct daedalus_msg_frame *frame = msg;
	const struct daedalus_msg_error *err = msg;
	struct daedalus_caps caps;
	u32 v;

	switch (type) {
	case DAEDALUS_MSG_JOB_DONE:
		return !(le32_to_cpu(done->flags) & ~DAEDALUS_JOB_ERROR) && !done->reserved;
	case DAEDALUS_MSG_FRAME:
		v = le32_to_cpu(frame->flags);
		/* Only an empty LAST, or a frame that failed, may carry no bytes. */
		return !(v & ~DAEDALUS_FRAME_FLAGS_ALL) &&
		       (!(v & DAEDALUS_FRAME_END_OF_STREAM) || (v & DAEDALUS_FRAME_LAST)) &&
		       (frame->bytesused || (v & (DAEDALUS_FRAME_LAST | DAEDALUS_FRAME_ERROR)));
	case DAEDALUS_MSG_STREAM_INFO:
		daedalus_node_caps(ddev, &caps);
		return daedalus_stream_info_ok(&caps, si);
	default:
		v = le32_to_cpu(err->code);
		return v && v <= DAEDALUS_ERR_MAX && !err->reserved &&
		       daedalus_string_ok(err->text, sizeof(err->text));
	}
}

/**
 * daedalus_replies_rx - act on a decoding message from the daemon
 * @ddev: the device
 * @session: the sender's bridge session
 * @type: DAEDALUS_MSG_JOB_DONE, _FRAME, _STREAM_INFO or _ERROR
 * @msg: the message, its header and size already checked
 *
 * Return: 0 if acted on, 1 if stale (dropped quietly), or the negated
 * enum daedalus_reject reason it is refused for.
 */
int daedalus_replies_rx(struct daedalus_dev *ddev, u32 session, u16 type, const void *msg)
{
	const struct daedalus_msg_hdr *hdr = msg;
	struct daedalus_ctx *ctx;
	bool stale;
	int ret;

	if (!daedalus_rx_well_formed(ddev, type, msg))
		return -DAEDALUS_REJECT_FIELD;
	ctx = daedalus_ctx_get(ddev, le32_to_cpu(hdr->ctx_id), &stale);
	if (!ctx)
		return stale ? 1 : -DAEDALUS_REJECT_CONTEXT;

	switch (type) {
	case DAEDALUS_MSG_JOB_DONE:
		if (ctx->stateless)
			ret = daedalus_sl_rx_job_done(ctx, session, msg);
		else
			ret = daedalus_rx_job_done(ctx, session, msg);
		break;
	case DAEDALUS_MSG_FRAME:
		if (ctx->stateless)
			ret = daedalus_sl_rx_frame(ctx, session, msg);
		else
			ret = daedalus_rx_frame(ctx, session, msg);
		break;
	case DAEDALUS_MSG_STREAM_INFO:
		/* A stateless client describes the stream itself. */
		if (ctx->stateless)
			ret = -DAEDALUS_REJECT_STATE;
		else
			ret = daedalus_rx_stream_info(ctx, session, msg);
		break;
	default:
		ret = daedalus_rx_error(ctx, session, msg);
		break;
	}
	daedalus_ctx_put(ctx);
	return ret;
}
