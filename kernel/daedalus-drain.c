// SPDX-License-Identifier: GPL-2.0-only
/*
 * Decoder commands and the drain sequence of dev-decoder.rst: STOP drains
 * (the last CAPTURE buffer comes back flagged LAST, one EOS event follows,
 * then DQBUF on CAPTURE says EPIPE), START resumes, and STREAMOFF on either
 * queue aborts a drain.
 */
#include <media/v4l2-event.h>
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

/* Called with ctx->buf_lock held: the drain is over once LAST is out. */
static void daedalus_drain_finish(struct daedalus_ctx *ctx, struct daedalus_buf *buf)
{
	static const struct v4l2_event eos = { .type = V4L2_EVENT_EOS };
	struct vb2_buffer *vb = &buf->vb.vb2_buf;
	unsigned int i;

	for (i = 0; i < vb->num_planes; i++)
		vb2_set_plane_payload(vb, i, 0);
	buf->vb.flags |= V4L2_BUF_FLAG_LAST;
	buf->vb.field = V4L2_FIELD_NONE;
	ctx->drain = DAEDALUS_DRAIN_STOPPED;
	vb2_buffer_done(vb, VB2_BUF_STATE_DONE);
	v4l2_event_queue_fh(&ctx->fh, &eos);
}

/**
 * daedalus_drain_advance - finish the drain if it can be finished now
 * @ctx: the handle
 *
 * Called with ctx->buf_lock held whenever the drain may have become
 * complete (a CAPTURE buffer was queued, a STOP was issued): all OUTPUT
 * work before the STOP is done and a CAPTURE buffer is there to carry LAST.
 * Until decode jobs exist nothing is ever in flight.
 */
void daedalus_drain_advance(struct daedalus_ctx *ctx)
{
	struct daedalus_buf *buf;

	if (ctx->drain != DAEDALUS_DRAIN_ACTIVE)
		return;
	buf = list_first_entry_or_null(&ctx->cap_pending, struct daedalus_buf, list);
	if (!buf)
		return;
	list_del(&buf->list);
	daedalus_drain_finish(ctx, buf);
}

/**
 * daedalus_drain_reset - a queue stopped streaming: no drain survives that
 * @ctx: the handle
 */
void daedalus_drain_reset(struct daedalus_ctx *ctx)
{
	unsigned long flags;

	spin_lock_irqsave(&ctx->buf_lock, flags);
	ctx->drain = DAEDALUS_DRAIN_NONE;
	spin_unlock_irqrestore(&ctx->buf_lock, flags);
}

int daedalus_decoder_cmd(struct file *file, void *priv, struct v4l2_decoder_cmd *dc)
{
	struct daedalus_ctx *ctx = file_to_ctx(file);
	unsigned long flags;
	int ret;

	ret = daedalus_try_decoder_cmd(file, priv, dc);
	if (ret)
		return ret;

	spin_lock_irqsave(&ctx->buf_lock, flags);
	if (ctx->drain == DAEDALUS_DRAIN_ACTIVE) {
		ret = -EBUSY;
	} else if (dc->cmd == V4L2_DEC_CMD_START) {
		ctx->drain = DAEDALUS_DRAIN_NONE;
	} else if (vb2_is_streaming(&ctx->out_q) && vb2_is_streaming(&ctx->cap_q)) {
		/* STOP without both queues streaming succeeds but drains nothing. */
		ctx->drain = DAEDALUS_DRAIN_ACTIVE;
		daedalus_drain_advance(ctx);
	}
	spin_unlock_irqrestore(&ctx->buf_lock, flags);

	/* After START, DQBUF on CAPTURE gives buffers again instead of EPIPE. */
	if (!ret && dc->cmd == V4L2_DEC_CMD_START)
		vb2_clear_last_buffer_dequeued(&ctx->cap_q);
	return ret;
}
