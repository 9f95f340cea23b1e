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

/*
 * Called with buf_lock held: the next pair the daemon may have, moved to
 * the active lists under fresh tags; NULL if none. A request without
 * controls (they could not be kept) fails here with its frame buffer.
 */
static struct daedalus_buf *daedalus_sl_next(struct daedalus_ctx *ctx, struct daedalus_buf **capp)
{
	struct daedalus_buf *out, *cap;

	for (;;) {
		if (!daedalus_ctx_live(ctx) || !vb2_start_streaming_called(&ctx->out_q) ||
		    !vb2_start_streaming_called(&ctx->cap_q) ||
		    list_empty(&ctx->out_pending) || list_empty(&ctx->cap_pending))
			return NULL;
		out = list_first_entry(&ctx->out_pending, struct daedalus_buf, list);
		cap = list_first_entry(&ctx->cap_pending, struct daedalus_buf, list);
		if (out->sl_ctrls)
			break;
		daedalus_sl_fail_pair(ctx, out, cap);
	}
	list_move_tail(&out->list, &ctx->out_active);
	list_move_tail(&cap->list, &ctx->cap_active);
	out->tag = ctx->next_tag++;
	cap->tag = ctx->next_tag++;
	out->pair_tag = cap->tag;
	daedalus_meta_pair(&out->vb, &cap->vb);
	*capp = cap;
	return out;
}

/**
 * daedalus_sl_kick - hand the daemon every request it may have now
 * @ctx: a stateless handle, its lock held
 *
 * A request waits until the client has queued a frame buffer for it.
 */
void daedalus_sl_kick(struct daedalus_ctx *ctx)
{
	for (;;) {
		struct daedalus_msg_sl_job *job;
		struct daedalus_buf *out, *cap;
		unsigned long flags;
		int ret;

		job = daedalus_bridge_msg_new(DAEDALUS_MSG_SL_JOB, sizeof(*job), ctx->id);
		if (!job) {
			daedalus_ctx_fail(ctx, "out of memory");
			return;
		}
		spin_lock_irqsave(&ctx->buf_lock, flags);
		out = daedalus_sl_next(ctx, &cap);
		if (!out) {
			spin_unlock_irqrestore(&ctx->buf_lock, flags);
			daedalus_bridge_msg_free(job);
			return;
		}
		daedalus_sl_fill(ctx, out, cap, job);
		ret = daedalus_bridge_send(ctx->dev, ctx->session, job);
		if (!ret) {
			atomic64_inc(&ctx->dev->bridge.stats.jobs);
			daedalus_handover_touch(ctx);
		}
		spin_unlock_irqrestore(&ctx->buf_lock, flags);
		if (ret) {
			daedalus_bridge_msg_free(job);
			daedalus_ctx_fail(ctx, ret == -ENOSPC ? DAEDALUS_WHY_NOT_READING
						 : DAEDALUS_WHY_GONE);
			return;
		}
	}
}
