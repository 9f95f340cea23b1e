// SPDX-License-Identifier: GPL-2.0-only
/*
 * Buffers handed to the daemon, and the watchdog over them. Every buffer
 * the client queues goes to the daemon in a message (a JOB for bitstream,
 * a CAPBUF for a frame buffer) under a fresh tag, and moves from its
 * queue's pending list to its active list; it comes back when a reply
 * (daedalus-replies.c) names it by index and tag, which
 * daedalus_handover_find() checks against the active list. A queue that
 * stops takes its buffers back at once; the daemon's late replies are
 * then stale. The watchdog fails a context whose daemon owes it an answer
 * for longer than job_timeout_ms.
 *
 * Hand-overs happen under ctx->lock, and under buf_lock for each buffer.
 */
#include "daedalus.h"

/* Tags wrap; compare them the way jiffies are compared. */
static bool daedalus_tag_before(u32 a, u32 b)
{
	return (s32)(a - b) < 0;
}

/**
 * daedalus_handover_touch - the daemon made progress, or got work: re-arm the watchdog
 * @ctx: the handle, buf_lock held
 */
void daedalus_handover_touch(struct daedalus_ctx *ctx)
{
	/* Read once: the parameter may change under us, even to 0. */
	unsigned int timeout_ms = READ_ONCE(daedalus_job_timeout_ms);

	if (timeout_ms && !ctx->closed)
		mod_delayed_work(system_wq, &ctx->watchdog, msecs_to_jiffies(timeout_ms));
}

static void daedalus_handover_fill(struct daedalus_ctx *ctx, struct daedalus_buf *buf, void *msg)
{
	struct vb2_buffer *vb = &buf->vb.vb2_buf;
	struct daedalus_msg_capbuf *cap = msg;
	struct daedalus_msg_job *job = msg;
	u32 used, offset;

	if (V4L2_TYPE_IS_OUTPUT(vb->type)) {
		used = vb2_get_plane_payload(vb, 0);
		offset = min(vb->planes[0].data_offset, used);
		job->hdr.type = cpu_to_le16(DAEDALUS_MSG_JOB);
		job->hdr.length = cpu_to_le32(sizeof(*job));
		job->tag = cpu_to_le32(buf->tag);
		job->index = cpu_to_le32(vb->index);
		job->bytesused = cpu_to_le32(used - offset);
		job->data_offset = cpu_to_le32(offset);
		job->timestamp = cpu_to_le64(vb->timestamp);
		job->memory = cpu_to_le32(buf->memory);
		daedalus_meta_keep(ctx, &buf->vb);
		return;
	}
	cap->hdr.type = cpu_to_le16(DAEDALUS_MSG_CAPBUF);
	cap->hdr.length = cpu_to_le32(sizeof(*cap));
	cap->tag = cpu_to_le32(buf->tag);
	cap->index = cpu_to_le32(vb->index);
	cap->pixfmt = cpu_to_le32(daedalus_raw_pixfmt(ctx->cap_fmt.pixelformat));
	cap->width = cpu_to_le32(ctx->cap_fmt.width);
	cap->height = cpu_to_le32(ctx->cap_fmt.height);
	cap->bytesperline = cpu_to_le32(ctx->cap_fmt.plane_fmt[0].bytesperline);
	cap->size = cpu_to_le32(vb2_plane_size(vb, 0));
	cap->memory = cpu_to_le32(buf->memory);
}

/* Called with buf_lock held: the next buffer the daemon may have, moved to its active list. */
static struct daedalus_buf *daedalus_handover_next(struct daedalus_ctx *ctx)
{
	struct list_head *from = NULL, *to;
	struct daedalus_buf *buf;

	if (!daedalus_ctx_live(ctx))
		return NULL;
	if (vb2_start_streaming_called(&ctx->out_q) && !daedalus_drain_holds_bitstream(ctx) &&
	    !list_empty(&ctx->out_pending)) {
		from = &ctx->out_pending;
		to = &ctx->out_active;
	} else if (vb2_start_streaming_called(&ctx->cap_q) && !daedalus_change_holds_frames(ctx) &&
		   !list_empty(&ctx->cap_pending)) {
		from = &ctx->cap_pending;
		to = &ctx->cap_active;
	}
	if (!from)
		return NULL;
	buf = list_first_entry(from, struct daedalus_buf, list);
	list_move_tail(&buf->list, to);
	buf->tag = ctx->next_tag++;
	return buf;
}

/**
 * daedalus_handover_kick - hand the daemon every buffer it may have now
 * @ctx: the handle, its lock held
 *
 * Bitstream waits while a drain is under way or done (until START);
 * frame buffers wait while a source change awaits the client's answer.
 */
void daedalus_handover_kick(struct daedalus_ctx *ctx)
{
	/* JOB and CAPBUF are the same size; the type is set once known. */
	BUILD_BUG_ON(sizeof(struct daedalus_msg_job) != sizeof(struct daedalus_msg_capbuf));

	/* A stateless context hands over pairs, one per request. */
	if (ctx->stateless) {
		daedalus_sl_kick(ctx);
		return;
	}

	for (;;) {
		struct daedalus_buf *buf;
		unsigned long flags;
		void *msg;
		int ret;

		msg = daedalus_bridge_msg_new(DAEDALUS_MSG_JOB, sizeof(struct daedalus_msg_job),
					      ctx->id);
		if (!msg) {
			daedalus_ctx_fail(ctx, "out of memory");
			return;
		}
		spin_lock_irqsave(&ctx->buf_lock, flags);
		buf = daedalus_handover_next(ctx);
		if (!buf) {
			spin_unlock_irqrestore(&ctx->buf_lock, flags);
			daedalus_bridge_msg_free(msg);
			return;
		}
		daedalus_handover_fill(ctx, buf, msg);
		ret = daedalus_bridge_send(ctx, ctx->session, msg);
		if (!ret) {
			if (V4L2_TYPE_IS_OUTPUT(buf->vb.vb2_buf.type))
				atomic64_inc(&ctx->dev->bridge.stats.jobs);
			daedalus_handover_touch(ctx);
		}
		spin_unlock_irqrestore(&ctx->buf_lock, flags);
		if (ret) {
			daedalus_bridge_msg_free(msg);
			daedalus_ctx_fail(ctx, daedalus_bridge_send_failed(ret));
			return;
		}
	}
}

/**
 * daedalus_handover_start - a queue starts streaming
 * @ctx: the handle, its lock held
 * @vq: the queue
 *
 * Return: 0, or -EIO when no daemon is there to decode (OUTPUT only); the
 * buffers vb2 handed over then go back to it as QUEUED, as it wants.
 */
int daedalus_handover_start(struct daedalus_ctx *ctx, struct vb2_queue *vq)
{
	unsigned long flags;
	LIST_HEAD(returned);
	int ret = 0;

	if (V4L2_TYPE_IS_OUTPUT(vq->type)) {
		ret = daedalus_ctx_start(ctx);
	} else {
		daedalus_change_info_apply(ctx);
		spin_lock_irqsave(&ctx->buf_lock, flags);
		ctx->cap_seq = 0;
		daedalus_change_cap_started(ctx);
		spin_unlock_irqrestore(&ctx->buf_lock, flags);
	}
	if (!ret) {
		daedalus_handover_kick(ctx);
		return 0;
	}
	spin_lock_irqsave(&ctx->buf_lock, flags);
	list_splice_init(&ctx->out_pending, &returned);
	daedalus_buffers_return(&returned, VB2_BUF_STATE_QUEUED);
	spin_unlock_irqrestore(&ctx->buf_lock, flags);
	return ret;
}

/**
 * daedalus_handover_stop - a queue stops streaming: take back all its buffers
 * @ctx: the handle, its lock held
 * @vq: the queue
 *
 * Buffers the daemon holds come back too; its late replies are stale.
 */
void daedalus_handover_stop(struct daedalus_ctx *ctx, struct vb2_queue *vq)
{
	u32 queue = daedalus_queue_id(vq);
	unsigned long flags;
	LIST_HEAD(returned);
	bool answer = false;

	spin_lock_irqsave(&ctx->buf_lock, flags);
	daedalus_buffers_take_back(ctx, queue, &returned);
	/* A stateless job's frame buffer goes with it: the daemon drops the job. */
	if (ctx->stateless && queue == DAEDALUS_QUEUE_OUTPUT) {
		list_splice_tail_init(&ctx->cap_active, &returned);
		ctx->stale_below[DAEDALUS_QUEUE_CAPTURE] = ctx->next_tag;
	}
	if (queue == DAEDALUS_QUEUE_CAPTURE)
		answer = daedalus_change_cap_stopped(ctx);
	/* A STREAMOFF aborts a drain (Drain, note), unless it answers a source change. */
	if (!answer)
		daedalus_drain_abort(ctx);
	daedalus_change_forget(ctx);
	daedalus_buffers_return(&returned, VB2_BUF_STATE_ERROR);
	spin_unlock_irqrestore(&ctx->buf_lock, flags);

	daedalus_ctx_tell(ctx, DAEDALUS_MSG_STOP, queue);
}

/**
 * daedalus_handover_find - the buffer a reply from the daemon names
 * @ctx: the handle, buf_lock held
 * @session: the reply's bridge session
 * @queue: DAEDALUS_QUEUE_*
 * @tag: the tag it was handed over with
 * @index: its vb2 index
 * @found: set to the buffer, still on its active list
 *
 * Return: 0; 1 for a stale reply (a buffer taken back since, or another
 * session's); -DAEDALUS_REJECT_BUFFER for one the daemon never had.
 */
int daedalus_handover_find(struct daedalus_ctx *ctx, u32 session, u32 queue, u32 tag,
			   u32 index, struct daedalus_buf **found)
{
	struct list_head *active = queue == DAEDALUS_QUEUE_OUTPUT ? &ctx->out_active
								  : &ctx->cap_active;
	struct daedalus_buf *buf;

	if (ctx->session != session || ctx->closed)
		return 1;
	list_for_each_entry(buf, active, list) {
		if (buf->tag != tag)
			continue;
		if (buf->vb.vb2_buf.index != index)
			return -DAEDALUS_REJECT_BUFFER;
		*found = buf;
		return 0;
	}
	return daedalus_tag_before(tag, ctx->stale_below[queue]) ? 1 : -DAEDALUS_REJECT_BUFFER;
}

/**
 * daedalus_handover_recall_frames - the daemon's frame buffers come back to pending
 * @ctx: the handle, buf_lock held
 *
 * They wait there for the client's answer to a source change; the
 * daemon's replies about them are stale from now on.
 */
void daedalus_handover_recall_frames(struct daedalus_ctx *ctx)
{
	list_splice_init(&ctx->cap_active, &ctx->cap_pending);
	ctx->stale_below[DAEDALUS_QUEUE_CAPTURE] = ctx->next_tag;
}

/* Called with buf_lock held: whether the daemon owes this context something it can deliver. */
static bool daedalus_handover_owed(struct daedalus_ctx *ctx)
{
	bool has_cap = !list_empty(&ctx->cap_active);

	/*
	 * A stateless job is owed until its bitstream buffer comes back, a
	 * frame until it is filled, but for one held for more of its picture.
	 */
	if (ctx->stateless) {
		bool held = daedalus_sl_hold_find(ctx);
		bool frames = has_cap && !(held && list_is_singular(&ctx->cap_active));

		return daedalus_ctx_live(ctx) && (!list_empty(&ctx->out_active) || frames);
	}
	/* Bitstream is answered by JOB_DONE and, before the headers, STREAM_INFO. */
	bool jobs = !list_empty(&ctx->out_active) && (!ctx->bit_depth || has_cap);
	/* A drain ends in a LAST frame buffer, which needs one. */
	bool drain = daedalus_drain_owes_last(ctx) && has_cap;

	/* A daemon waiting for the client to hand (back) frame buffers is not stuck. */
	return daedalus_ctx_live(ctx) && (jobs || drain);
}

/**
 * daedalus_handover_watchdog - the daemon sat on a context for job_timeout_ms
 * @work: the context's watchdog
 */
void daedalus_handover_watchdog(struct work_struct *work)
{
	struct daedalus_ctx *ctx = container_of(to_delayed_work(work), struct daedalus_ctx,
						watchdog);
	unsigned long flags;
	bool stuck;

	spin_lock_irqsave(&ctx->buf_lock, flags);
	stuck = daedalus_handover_owed(ctx);
	spin_unlock_irqrestore(&ctx->buf_lock, flags);
	if (!stuck)
		return;
	atomic64_inc(&ctx->dev->bridge.stats.timeouts);
	dev_warn_ratelimited(ctx->dev->v4l2_dev.dev,
			     "context %u: the daemon did not answer in time (job_timeout_ms)\n",
			     ctx->id);
	daedalus_ctx_fail(ctx, "decode job timed out");
	daedalus_ctx_tell(ctx, DAEDALUS_MSG_STOP, DAEDALUS_QUEUE_OUTPUT);
}
