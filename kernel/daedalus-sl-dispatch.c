// SPDX-License-Identifier: GPL-2.0-only
/*
 * Stateless jobs: each request's OUTPUT buffer goes to the daemon paired
 * with the next CAPTURE buffer the client queued, in one SL_JOB, and both
 * come back through the daemon's FRAME and JOB_DONE (daedalus-sl-replies.c).
 * The pairing is where the frame inherits the request's timestamp and
 * metadata, as v4l2-mem2mem's drivers copy it at device_run: the client
 * names reference pictures by those timestamps.
 *
 * Called under ctx->lock, with buf_lock for each pair, like the stateful
 * hand-over (daedalus-handover.c), whose tags, lists, watchdog and
 * take-back this shares.
 */
#include "daedalus.h"

/* Called with buf_lock held: a request that cannot be decoded, and its frame buffer, fail. */
static void daedalus_sl_fail_pair(struct daedalus_ctx *ctx, struct daedalus_buf *out,
				  struct daedalus_buf *cap)
{
	list_del(&out->list);
	list_del(&cap->list);
	daedalus_meta_pair(&out->vb, &cap->vb);
	vb2_set_plane_payload(&cap->vb.vb2_buf, 0, 0);
	cap->vb.sequence = ctx->cap_seq++;
	out->vb.sequence = ctx->out_seq++;
	/* The frame first: the request completes with its OUTPUT buffer. */
	vb2_buffer_done(&cap->vb.vb2_buf, VB2_BUF_STATE_ERROR);
	vb2_buffer_done(&out->vb.vb2_buf, VB2_BUF_STATE_ERROR);
}

static void daedalus_sl_fill(struct daedalus_ctx *ctx, struct daedalus_buf *out,
			     struct daedalus_buf *cap, struct daedalus_msg_sl_job *job)
{
	struct vb2_buffer *ov = &out->vb.vb2_buf, *cv = &cap->vb.vb2_buf;
	u32 used = vb2_get_plane_payload(ov, 0);
	u32 offset = min(ov->planes[0].data_offset, used);

	job->tag = cpu_to_le32(out->tag);
	job->index = cpu_to_le32(ov->index);
	job->bytesused = cpu_to_le32(used - offset);
	job->data_offset = cpu_to_le32(offset);
	job->timestamp = cpu_to_le64(ov->timestamp);
	job->memory = cpu_to_le32(out->memory);
	job->ctrls_len = cpu_to_le32(out->sl_ctrls_len);
	job->cap_tag = cpu_to_le32(cap->tag);
	job->cap_index = cpu_to_le32(cv->index);
	job->cap_memory = cpu_to_le32(cap->memory);
	job->cap_pixfmt = cpu_to_le32(daedalus_raw_pixfmt(ctx->cap_fmt.pixelformat));
	job->cap_width = cpu_to_le32(ctx->cap_fmt.width);
	job->cap_height = cpu_to_le32(ctx->cap_fmt.height);
	job->cap_bytesperline = cpu_to_le32(ctx->cap_fmt.plane_fmt[0].bytesperline);
	job->cap_size = cpu_to_le32(vb2_plane_size(cv, 0));
}

static void daedalus_sl_fill_finish(const struct daedalus_buf *held,
				    struct daedalus_msg_sl_finish *fin)
{
	fin->cap_tag = cpu_to_le32(held->tag);
	fin->cap_index = cpu_to_le32(held->vb.vb2_buf.index);
}

/*
 * Called with buf_lock held: the next request the daemon may have, moved
 * to the active list under a fresh tag, with the frame buffer it goes
 * into in *capp (the held one if it continues the held picture, else the
 * next the client queued, moved likewise) and DAEDALUS_SL_* in *flags;
 * NULL if none may go now. A held buffer whose picture is over (the next
 * request names another) comes back in *finish, for an SL_FINISH first.
 * A request without controls (they could not be kept) fails here.
 */
static struct daedalus_buf *daedalus_sl_next(struct daedalus_ctx *ctx, struct daedalus_buf **capp,
					     u32 *flags, struct daedalus_buf **finish)
{
	struct daedalus_buf *out, *cap;

	*flags = 0;
	for (;;) {
		if (!daedalus_ctx_live(ctx) || !vb2_start_streaming_called(&ctx->out_q) ||
		    !vb2_start_streaming_called(&ctx->cap_q) || list_empty(&ctx->out_pending))
			return NULL;
		out = list_first_entry(&ctx->out_pending, struct daedalus_buf, list);
		if (daedalus_sl_hold_continues(ctx, out)) {
			cap = daedalus_sl_hold_find(ctx);
			*flags = DAEDALUS_SL_CONTINUE;
			break;
		}
		if (!*finish)
			*finish = daedalus_sl_hold_end(ctx);
		if (list_empty(&ctx->cap_pending))
			return NULL;
		cap = list_first_entry(&ctx->cap_pending, struct daedalus_buf, list);
		if (out->sl_ctrls) {
			list_move_tail(&cap->list, &ctx->cap_active);
			cap->tag = ctx->next_tag++;
			daedalus_meta_pair(&out->vb, &cap->vb);
			break;
		}
		daedalus_sl_fail_pair(ctx, out, cap);
	}
	/* A continued picture's request without controls ends the picture. */
	if (!out->sl_ctrls) {
		*finish = daedalus_sl_hold_end(ctx);
		list_del(&out->list);
		out->vb.sequence = ctx->out_seq++;
		vb2_buffer_done(&out->vb.vb2_buf, VB2_BUF_STATE_ERROR);
		return NULL;
	}
	list_move_tail(&out->list, &ctx->out_active);
	out->tag = ctx->next_tag++;
	out->pair_tag = cap->tag;
	out->sl_hold = out->vb.flags & V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF;
	/* A picture's every request names its references: one missing fails the frame. */
	if (!(*flags & DAEDALUS_SL_CONTINUE))
		cap->sl_bad_ref = false;
	if (!daedalus_sl_refs_check(ctx, out))
		cap->sl_bad_ref = true;
	if (out->sl_hold) {
		daedalus_sl_hold_begin(ctx, cap, out->vb.vb2_buf.timestamp);
		*flags |= DAEDALUS_SL_HOLD;
	} else {
		daedalus_sl_hold_end(ctx);
	}
	*capp = cap;
	return out;
}

/* Sends @msg; on failure the context fails and the caller stops. */
static int daedalus_sl_send(struct daedalus_ctx *ctx, void *msg)
{
	int ret = daedalus_bridge_send(ctx, ctx->session, msg);

	if (!ret)
		daedalus_handover_touch(ctx);
	return ret;
}

static void daedalus_sl_send_failed(struct daedalus_ctx *ctx, int ret)
{
	daedalus_ctx_fail(ctx, daedalus_bridge_send_failed(ret));
}

/**
 * daedalus_sl_kick - hand the daemon every request it may have now
 * @ctx: a stateless handle, its lock held
 *
 * A request waits until the client has queued a frame buffer for it,
 * unless it continues the held picture.
 */
void daedalus_sl_kick(struct daedalus_ctx *ctx)
{
	for (;;) {
		struct daedalus_buf *out, *cap = NULL, *finish = NULL;
		struct daedalus_msg_sl_finish *fin;
		struct daedalus_msg_sl_job *job;
		unsigned long flags;
		u32 jflags;
		int ret = 0;

		job = daedalus_bridge_msg_new(DAEDALUS_MSG_SL_JOB, sizeof(*job), ctx->id);
		fin = daedalus_bridge_msg_new(DAEDALUS_MSG_SL_FINISH, sizeof(*fin), ctx->id);
		if (!job || !fin) {
			daedalus_bridge_msg_free(job);
			daedalus_bridge_msg_free(fin);
			daedalus_ctx_fail(ctx, "out of memory");
			return;
		}
		spin_lock_irqsave(&ctx->buf_lock, flags);
		out = daedalus_sl_next(ctx, &cap, &jflags, &finish);
		if (finish) {
			daedalus_sl_fill_finish(finish, fin);
			ret = daedalus_sl_send(ctx, fin);
			if (!ret)
				fin = NULL;
		}
		if (out && !ret) {
			daedalus_sl_fill(ctx, out, cap, job);
			job->flags = cpu_to_le32(jflags);
			ret = daedalus_sl_send(ctx, job);
			if (!ret) {
				job = NULL;
				atomic64_inc(&ctx->dev->bridge.stats.jobs);
			}
		}
		spin_unlock_irqrestore(&ctx->buf_lock, flags);
		daedalus_bridge_msg_free(job);
		daedalus_bridge_msg_free(fin);
		if (ret) {
			daedalus_sl_send_failed(ctx, ret);
			return;
		}
		/* A picture that ended may leave more requests to go. */
		if (!out && !finish)
			return;
	}
}

/**
 * daedalus_sl_flush - V4L2_DEC_CMD_FLUSH
 * @ctx: a stateless handle, its lock held
 *
 * The picture being gathered ends: with its last request if that is not
 * with the daemon yet, else now (SL_FINISH).
 *
 * Return: 0, or -ENOMEM.
 */
int daedalus_sl_flush(struct daedalus_ctx *ctx)
{
	struct daedalus_msg_sl_finish *fin;
	struct daedalus_buf *held;
	unsigned long flags;
	int ret = 0;

	fin = daedalus_bridge_msg_new(DAEDALUS_MSG_SL_FINISH, sizeof(*fin), ctx->id);
	if (!fin)
		return -ENOMEM;
	spin_lock_irqsave(&ctx->buf_lock, flags);
	held = daedalus_sl_hold_flush(ctx);
	if (held && daedalus_ctx_live(ctx)) {
		daedalus_sl_fill_finish(held, fin);
		ret = daedalus_sl_send(ctx, fin);
		if (!ret)
			fin = NULL;
	}
	spin_unlock_irqrestore(&ctx->buf_lock, flags);
	daedalus_bridge_msg_free(fin);
	if (ret)
		daedalus_sl_send_failed(ctx, ret);
	return 0;
}
