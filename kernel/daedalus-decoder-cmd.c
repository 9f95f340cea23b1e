// SPDX-License-Identifier: GPL-2.0-only
/*
 * The decoder commands of dev-decoder.rst: STOP drains (daedalus-drain.c
 * holds the drain's states), START resumes after a drain or a source
 * change. PAUSE and RESUME are not part of the stateful interface.
 */
#include <media/v4l2-ioctl.h>

#include "daedalus.h"

int daedalus_try_decoder_cmd(struct file *file, void *priv, struct v4l2_decoder_cmd *dc)
{
	switch (dc->cmd) {
	case V4L2_DEC_CMD_STOP:
		/* Neither STOP_TO_BLACK nor STOP_IMMEDIATELY applies: a drain is a drain. */
		dc->flags = 0;
		dc->stop.pts = 0;
		return 0;
	case V4L2_DEC_CMD_START:
		dc->flags = 0;
		dc->start.speed = 0;
		dc->start.format = V4L2_DEC_START_FMT_NONE;
		return 0;
	default:
		return -EINVAL;
	}
}

/*
 * STOP with OUTPUT streaming: the daemon is asked to drain. Return: 0 once
 * asked; -EBUSY during a drain; -EIO when the context has failed.
 */
static int daedalus_decoder_stop(struct daedalus_ctx *ctx)
{
	struct daedalus_msg_ctl *ctl;
	unsigned long flags;
	int ret;

	ctl = daedalus_bridge_ctl_new(DAEDALUS_MSG_DRAIN, ctx->id);
	spin_lock_irqsave(&ctx->buf_lock, flags);
	if (daedalus_drain_busy(ctx))
		ret = -EBUSY;
	else if (!daedalus_ctx_live(ctx))
		ret = -EIO;
	else
		ret = daedalus_bridge_send(ctx, ctx->session, ctl);
	if (!ret) {
		daedalus_drain_begin(ctx);
		daedalus_handover_touch(ctx);
	}
	spin_unlock_irqrestore(&ctx->buf_lock, flags);
	if (ret) {
		daedalus_bridge_msg_free(ctl);
		if (ret != -EBUSY && ret != -EIO) {
			daedalus_ctx_fail(ctx, daedalus_bridge_send_failed(ret));
			ret = -EIO;
		}
	}
	return ret;
}

/* START: after a drain, or once the client's frame buffers fit a changed stream. */
static int daedalus_decoder_start(struct daedalus_ctx *ctx)
{
	unsigned long flags;
	int ret;

	/* A STREAM_INFO that waits takes effect before decoding may resume. */
	daedalus_change_info_apply(ctx);
	spin_lock_irqsave(&ctx->buf_lock, flags);
	ret = daedalus_drain_resume(ctx);
	if (!ret)
		daedalus_change_resume(ctx);
	spin_unlock_irqrestore(&ctx->buf_lock, flags);
	if (ret)
		return ret;

	/* After START, DQBUF on CAPTURE gives buffers again instead of EPIPE. */
	vb2_clear_last_buffer_dequeued(&ctx->cap_q);
	/* Bitstream held back since the drain goes to the daemon now. */
	daedalus_handover_kick(ctx);
	return 0;
}

int daedalus_decoder_cmd(struct file *file, void *priv, struct v4l2_decoder_cmd *dc)
{
	struct daedalus_ctx *ctx = file_to_ctx(file);
	int ret;

	ret = daedalus_try_decoder_cmd(file, priv, dc);
	if (ret)
		return ret;
	if (dc->cmd == V4L2_DEC_CMD_START)
		return daedalus_decoder_start(ctx);
	/*
	 * STOP without OUTPUT streaming succeeds but drains nothing. With
	 * OUTPUT streaming the drain starts even if CAPTURE is not streaming
	 * yet, as v4l2-mem2mem's does: a client that queued a whole short
	 * stream and said STOP before the SOURCE_CHANGE (v4l2-ctl
	 * --stream-from does) gets every frame, then LAST, once it has set
	 * CAPTURE up.
	 */
	if (!vb2_is_streaming(&ctx->out_q))
		return 0;
	return daedalus_decoder_stop(ctx);
}
