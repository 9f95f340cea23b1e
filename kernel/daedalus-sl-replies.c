// SPDX-License-Identifier: GPL-2.0-only
/*
 * The daemon's FRAME and JOB_DONE for a stateless context, under the
 * rules of the bridge header's stateless section: frame buffers come back
 * in the order they were handed over, a request's frame before its
 * bitstream buffer (whose return completes the request, so a client that
 * waits on the request finds the frame ready) unless that request held it
 * for more of its picture, and only ERROR among the frame flags: the
 * timestamp and frame type were the request's, copied at pairing
 * (daedalus-sl-dispatch.c). A frame whose picture named a missing
 * reference (daedalus-sl-refs.c) completes with ERROR whatever the
 * daemon says. As for the stateful node, the buffer a
 * reply names is checked against the context's own lists before anything
 * is touched (daedalus-replies.c, which calls these).
 */
#include "daedalus.h"

/* Called with buf_lock held: whether the frame buffer with tag @tag is with the daemon. */
static bool daedalus_sl_cap_active(struct daedalus_ctx *ctx, u32 tag)
{
	struct daedalus_buf *buf;

	list_for_each_entry(buf, &ctx->cap_active, list)
		if (buf->tag == tag)
			return true;
	return false;
}

/**
 * daedalus_sl_rx_job_done - a request's bitstream buffer comes back
 * @ctx: a stateless context
 * @session: the reply's bridge session
 * @done: the message, well formed
 *
 * Return: as daedalus_replies_rx().
 */
int daedalus_sl_rx_job_done(struct daedalus_ctx *ctx, u32 session,
			    const struct daedalus_msg_job_done *done)
{
	bool error = le32_to_cpu(done->flags) & DAEDALUS_JOB_ERROR;
	struct daedalus_buf *buf;
	unsigned long flags;
	int ret;

	spin_lock_irqsave(&ctx->buf_lock, flags);
	ret = daedalus_handover_find(ctx, session, DAEDALUS_QUEUE_OUTPUT, le32_to_cpu(done->tag),
				     le32_to_cpu(done->index), &buf);
	/* A held picture's frame comes later: its requests come back before it. */
	if (!ret && !buf->sl_hold && daedalus_sl_cap_active(ctx, buf->pair_tag))
		ret = -DAEDALUS_REJECT_STATE;
	if (!ret) {
		list_del(&buf->list);
		buf->vb.sequence = ctx->out_seq++;
		vb2_buffer_done(&buf->vb.vb2_buf, error ? VB2_BUF_STATE_ERROR : VB2_BUF_STATE_DONE);
		daedalus_handover_touch(ctx);
	}
	spin_unlock_irqrestore(&ctx->buf_lock, flags);
	return ret;
}

/**
 * daedalus_sl_rx_frame - a request's frame buffer comes back
 * @ctx: a stateless context
 * @session: the reply's bridge session
 * @frame: the message, well formed
 *
 * Return: as daedalus_replies_rx().
 */
int daedalus_sl_rx_frame(struct daedalus_ctx *ctx, u32 session,
			 const struct daedalus_msg_frame *frame)
{
	u32 bytesused = le32_to_cpu(frame->bytesused);
	u32 fflags = le32_to_cpu(frame->flags);
	struct daedalus_buf *buf;
	struct vb2_buffer *vb;
	unsigned long flags;
	int ret;

	if (fflags & ~DAEDALUS_FRAME_ERROR)
		return -DAEDALUS_REJECT_FIELD;

	spin_lock_irqsave(&ctx->buf_lock, flags);
	ret = daedalus_handover_find(ctx, session, DAEDALUS_QUEUE_CAPTURE,
				     le32_to_cpu(frame->tag), le32_to_cpu(frame->index), &buf);
	if (ret)
		goto out;
	vb = &buf->vb.vb2_buf;
	/* In order, and not while more requests of its picture may come. */
	if (buf != list_first_entry(&ctx->cap_active, struct daedalus_buf, list) ||
	    buf == daedalus_sl_hold_find(ctx)) {
		ret = -DAEDALUS_REJECT_STATE;
		goto out;
	}
	if (bytesused > vb2_plane_size(vb, 0)) {
		ret = -DAEDALUS_REJECT_BUFFER;
		goto out;
	}
	list_del(&buf->list);
	vb2_set_plane_payload(vb, 0, bytesused);
	buf->vb.sequence = ctx->cap_seq++;
	vb2_buffer_done(vb, fflags & DAEDALUS_FRAME_ERROR || buf->sl_bad_ref ? VB2_BUF_STATE_ERROR
									     : VB2_BUF_STATE_DONE);
	atomic64_inc(&ctx->dev->bridge.stats.frames);
	daedalus_handover_touch(ctx);
out:
	spin_unlock_irqrestore(&ctx->buf_lock, flags);
	return ret;
}
