// SPDX-License-Identifier: GPL-2.0-only
/*
 * Decoder commands and the drain sequence of dev-decoder.rst: STOP drains
 * (the daemon decodes everything queued before it and flags the last frame
 * buffer LAST; one EOS event follows, then DQBUF on CAPTURE says EPIPE),
 * START resumes, and STREAMOFF on either queue aborts a drain.
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
		/* PAUSE and RESUME are not part of the stateful decoder interface. */
		return -EINVAL;
	}
}

int daedalus_decoder_cmd(struct file *file, void *priv, struct v4l2_decoder_cmd *dc)
{
	struct daedalus_ctx *ctx = file_to_ctx(file);
	unsigned long flags;
	int ret;

	ret = daedalus_try_decoder_cmd(file, priv, dc);
	if (ret)
		return ret;

	if (dc->cmd == V4L2_DEC_CMD_STOP) {
		/*
		 * STOP without OUTPUT streaming succeeds but drains nothing.
		 * With OUTPUT streaming the drain starts even if CAPTURE is
		 * not streaming yet, as v4l2-mem2mem's does: a client that
		 * queued a whole short stream and said STOP before the
		 * SOURCE_CHANGE (v4l2-ctl --stream-from does) gets every
		 * frame, then LAST, once it has set CAPTURE up.
		 */
		if (!vb2_is_streaming(&ctx->out_q))
			return 0;
		return daedalus_job_drain(ctx);
	}

	/* A STREAM_INFO that waits takes effect before decoding may resume. */
	daedalus_job_info_apply(ctx);
	spin_lock_irqsave(&ctx->buf_lock, flags);
	if (ctx->drain == DAEDALUS_DRAIN_ACTIVE || ctx->drain == DAEDALUS_DRAIN_LAST) {
		ret = -EBUSY;
	} else {
		ctx->drain = DAEDALUS_DRAIN_NONE;
		ctx->change_epipe = false;
		ctx->change_unanswered = false;
		/* The client says its frame buffers fit the stream: decoding resumes. */
		if (!ctx->cap_refit)
			ctx->cap_paused = false;
	}
	spin_unlock_irqrestore(&ctx->buf_lock, flags);
	if (ret)
		return ret;

	/* After START, DQBUF on CAPTURE gives buffers again instead of EPIPE. */
	vb2_clear_last_buffer_dequeued(&ctx->cap_q);
	/* Bitstream held back since the drain goes to the daemon now. */
	daedalus_job_kick(ctx);
	return 0;
}
