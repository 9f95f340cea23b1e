// SPDX-License-Identifier: GPL-2.0-only
/*
 * Decode jobs: every buffer the client queues is handed to the daemon in a
 * message (a JOB for bitstream, a CAPBUF for a frame buffer) under a fresh
 * tag, and comes back to the client when the daemon's reply names it by
 * index and tag. Each reply is checked against the context's own lists
 * before any buffer is touched: the daemon is trusted with nothing.
 *
 * Locking: ctx->lock (the ioctl and vb2 queue lock) may be held when
 * buf_lock is taken, and buf_lock when the bridge's lock is taken; never
 * the other way round. Hand-overs happen under ctx->lock, replies under
 * buf_lock alone. STREAM_INFO, which changes formats, is applied under
 * ctx->lock: at once if it is free, else by a work item or by the next
 * STREAMON of CAPTURE or START, whichever comes first. Only EXPBUF waits
 * for ctx->lock, interruptibly: no client holds it for long.
 */
#include <linux/dma-buf.h>
#include <linux/slab.h>
#include <media/v4l2-event.h>

#include "daedalus.h"

MODULE_IMPORT_NS(DMA_BUF);

/* Why a context failed, for the log: messages could not be queued for the daemon. */
static const char daedalus_why_not_reading[] = "the daemon is not reading its messages";
static const char daedalus_why_gone[] = "the daemon went away";

/* Tags wrap; compare them the way jiffies are compared. */
static bool daedalus_tag_before(u32 a, u32 b)
{
	return (s32)(a - b) < 0;
}

/* Called with buf_lock held: whether the daemon may get this context's buffers. */
static bool daedalus_job_live(struct daedalus_ctx *ctx)
{
	return ctx->session && !ctx->failed && !ctx->closed;
}

/* Whether a reply from @session may still act on @ctx. */
static bool daedalus_job_live_for(struct daedalus_ctx *ctx, u32 session)
{
	unsigned long flags;
	bool live;

	spin_lock_irqsave(&ctx->buf_lock, flags);
	live = ctx->session == session && daedalus_job_live(ctx);
	spin_unlock_irqrestore(&ctx->buf_lock, flags);
	return live;
}

/* Called with buf_lock held: the daemon made progress, or got work. */
static void daedalus_job_touch(struct daedalus_ctx *ctx)
{
	if (daedalus_job_timeout_ms && !ctx->closed)
		mod_delayed_work(system_wq, &ctx->watchdog,
				 msecs_to_jiffies(daedalus_job_timeout_ms));
}

static void daedalus_job_return(struct list_head *list, enum vb2_buffer_state state)
{
	struct daedalus_buf *buf, *tmp;

	list_for_each_entry_safe(buf, tmp, list, list) {
		list_del(&buf->list);
		vb2_buffer_done(&buf->vb.vb2_buf, state);
	}
}

/*
 * Give every buffer of @ctx back with ERROR and make both queues report
 * EIO until they are restarted: the fatal-error rule of dev-decoder.rst.
 */
static void daedalus_job_fail(struct daedalus_ctx *ctx, const char *why)
{
	unsigned long flags;
	LIST_HEAD(returned);
	bool was_failed;

	spin_lock_irqsave(&ctx->buf_lock, flags);
	was_failed = ctx->failed;
	ctx->failed = true;
	if (!was_failed)
		atomic_set(&ctx->failed_polls, 0);
	list_splice_tail_init(&ctx->out_active, &returned);
	list_splice_tail_init(&ctx->out_pending, &returned);
	list_splice_tail_init(&ctx->cap_active, &returned);
	list_splice_tail_init(&ctx->cap_pending, &returned);
	ctx->stale_below[DAEDALUS_QUEUE_OUTPUT] = ctx->next_tag;
	ctx->stale_below[DAEDALUS_QUEUE_CAPTURE] = ctx->next_tag;
	ctx->drain = DAEDALUS_DRAIN_NONE;
	/* Its stream is over: a STREAM_INFO not yet applied describes nothing. */
	ctx->info_waiting = false;
	daedalus_job_return(&returned, VB2_BUF_STATE_ERROR);
	spin_unlock_irqrestore(&ctx->buf_lock, flags);

	vb2_queue_error(&ctx->out_q);
	vb2_queue_error(&ctx->cap_q);
	if (!was_failed)
		v4l2_warn(&ctx->dev->v4l2_dev, "context %u failed: %s\n", ctx->id, why);
}

/* Queue a control message for the daemon, if it knows the context. */
static void daedalus_job_ctl(struct daedalus_ctx *ctx, u16 type, u32 queue)
{
	struct daedalus_msg_ctl *ctl;
	unsigned long flags;
	u32 session;
	int ret;

	ctl = daedalus_bridge_msg_new(type, sizeof(*ctl), ctx->id);
	if (!ctl)
		return;	/* the daemon's replies will be stale; nothing hangs */
	ctl->queue = cpu_to_le32(queue);
	spin_lock_irqsave(&ctx->buf_lock, flags);
	session = ctx->session;
	spin_unlock_irqrestore(&ctx->buf_lock, flags);
	ret = session ? daedalus_bridge_send(ctx->dev, session, ctl) : -ENOTCONN;
	if (ret)
		daedalus_bridge_msg_free(ctl);
	if (ret == -ENOSPC)
		daedalus_job_fail(ctx, daedalus_why_not_reading);
}

/*
 * Called with buf_lock held: remember what a bitstream buffer carried
 * besides its timestamp, for the frames that will come from it.
 */
static void daedalus_job_keep_meta(struct daedalus_ctx *ctx, const struct vb2_v4l2_buffer *vbuf)
{
	struct daedalus_meta *meta = &ctx->meta[ctx->meta_next++ % DAEDALUS_META_KEEP];

	meta->timestamp = vbuf->vb2_buf.timestamp;
	meta->flags = vbuf->flags & (V4L2_BUF_FLAG_TIMECODE | V4L2_BUF_FLAG_TSTAMP_SRC_MASK);
	meta->timecode = vbuf->timecode;
}

/*
 * Called with buf_lock held: a frame carries the timecode and timestamp
 * flags of the bitstream buffer it started in, as TIMESTAMP_COPY promises.
 */
static void daedalus_job_copy_meta(struct daedalus_ctx *ctx, struct vb2_v4l2_buffer *vbuf)
{
	unsigned int i;

	vbuf->flags &= ~(V4L2_BUF_FLAG_TIMECODE | V4L2_BUF_FLAG_TSTAMP_SRC_MASK);
	for (i = 1; i <= DAEDALUS_META_KEEP; i++) {
		const struct daedalus_meta *meta =
			&ctx->meta[(ctx->meta_next - i) % DAEDALUS_META_KEEP];

		if (meta->timestamp == vbuf->vb2_buf.timestamp) {
			vbuf->flags |= meta->flags;
			vbuf->timecode = meta->timecode;
			return;
		}
	}
}

static void daedalus_job_fill(struct daedalus_ctx *ctx, struct daedalus_buf *buf, void *msg)
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
		daedalus_job_keep_meta(ctx, &buf->vb);
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
static struct daedalus_buf *daedalus_job_next(struct daedalus_ctx *ctx)
{
	struct list_head *from = NULL, *to;
	struct daedalus_buf *buf;

	if (!daedalus_job_live(ctx))
		return NULL;
	if (vb2_start_streaming_called(&ctx->out_q) && ctx->drain == DAEDALUS_DRAIN_NONE &&
	    !list_empty(&ctx->out_pending)) {
		from = &ctx->out_pending;
		to = &ctx->out_active;
	} else if (vb2_start_streaming_called(&ctx->cap_q) && !ctx->cap_paused &&
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
 * daedalus_job_kick - hand the daemon every buffer it may have now
 * @ctx: the handle, its lock held
 *
 * Bitstream waits while a drain is under way or done (until START);
 * frame buffers wait until the context is known to the daemon.
 */
void daedalus_job_kick(struct daedalus_ctx *ctx)
{
	/* JOB and CAPBUF are the same size; the type is set once known. */
	BUILD_BUG_ON(sizeof(struct daedalus_msg_job) != sizeof(struct daedalus_msg_capbuf));

	for (;;) {
		struct daedalus_buf *buf;
		unsigned long flags;
		void *msg;
		int ret;

		msg = daedalus_bridge_msg_new(DAEDALUS_MSG_JOB, sizeof(struct daedalus_msg_job),
					      ctx->id);
		if (!msg) {
			daedalus_job_fail(ctx, "out of memory");
			return;
		}
		spin_lock_irqsave(&ctx->buf_lock, flags);
		buf = daedalus_job_next(ctx);
		if (!buf) {
			spin_unlock_irqrestore(&ctx->buf_lock, flags);
			daedalus_bridge_msg_free(msg);
			return;
		}
		daedalus_job_fill(ctx, buf, msg);
		ret = daedalus_bridge_send(ctx->dev, ctx->session, msg);
		if (!ret) {
			if (V4L2_TYPE_IS_OUTPUT(buf->vb.vb2_buf.type))
				atomic64_inc(&ctx->dev->bridge.stats.jobs);
			daedalus_job_touch(ctx);
		}
		spin_unlock_irqrestore(&ctx->buf_lock, flags);
		if (ret) {
			daedalus_bridge_msg_free(msg);
			daedalus_job_fail(ctx, ret == -ENOSPC ? daedalus_why_not_reading
						 : daedalus_why_gone);
			return;
		}
	}
}

/* The OUTPUT queue starts: the daemon learns (again) of the context. */
static int daedalus_job_start_output(struct daedalus_ctx *ctx)
{
	const struct daedalus_coded_fmt *coded;
	struct daedalus_msg_start *start;
	struct daedalus_caps caps;
	unsigned long flags;
	bool new_stream;
	u32 session;
	int ret;

	session = daedalus_bridge_session(ctx->dev);
	daedalus_bridge_caps(ctx->dev, &caps);
	coded = daedalus_coded_find(&caps, ctx->out_fmt.pixelformat);
	if (!session || !coded)
		return -EIO;

	start = daedalus_bridge_msg_new(DAEDALUS_MSG_START, sizeof(*start), ctx->id);
	if (!start)
		return -ENOMEM;
	start->codec = cpu_to_le32(coded->codec);
	start->width = cpu_to_le32(ctx->out_fmt.width);
	start->height = cpu_to_le32(ctx->out_fmt.height);
	/*
	 * With no CAPTURE buffers the client is in Initialization: it waits
	 * for SOURCE_CHANGE, so the stream is described anew, even if it is
	 * the one decoded before.
	 */
	new_stream = !vb2_is_busy(&ctx->cap_q);
	if (new_stream)
		start->flags = cpu_to_le32(DAEDALUS_START_NEW_STREAM);

	spin_lock_irqsave(&ctx->buf_lock, flags);
	ret = daedalus_bridge_send(ctx->dev, session, start);
	if (!ret) {
		/* A daemon that never saw this context starts afresh too. */
		if (ctx->session != session || new_stream) {
			ctx->session = session;
			ctx->bit_depth = 0;
			/* The daemon describes the stream anew. */
			ctx->info_waiting = false;
		}
		ctx->failed = false;
		ctx->out_seq = 0;
	}
	spin_unlock_irqrestore(&ctx->buf_lock, flags);
	if (ret) {
		daedalus_bridge_msg_free(start);
		return -EIO;
	}
	return 0;
}

/**
 * daedalus_job_start - a queue starts streaming
 * @ctx: the handle, its lock held
 * @vq: the queue
 *
 * Return: 0, or -EIO when no daemon is there to decode (OUTPUT only); the
 * buffers vb2 handed over then go back to it as QUEUED, as it wants.
 */
int daedalus_job_start(struct daedalus_ctx *ctx, struct vb2_queue *vq)
{
	unsigned long flags;
	LIST_HEAD(returned);
	int ret = 0;

	if (V4L2_TYPE_IS_OUTPUT(vq->type)) {
		ret = daedalus_job_start_output(ctx);
	} else {
		/*
		 * A STREAM_INFO that came while the client held the lock takes
		 * effect first, as if it had come before this STREAMON: it took
		 * the daemon's frame buffers back and paused CAPTURE, and only
		 * its SOURCE_CHANGE may be followed by the resume below.
		 */
		daedalus_job_info_apply(ctx);
		spin_lock_irqsave(&ctx->buf_lock, flags);
		ctx->cap_seq = 0;
		/* CAPTURE set up (again): the client has seen any pending SOURCE_CHANGE. */
		ctx->cap_paused = false;
		ctx->cap_refit = false;
		spin_unlock_irqrestore(&ctx->buf_lock, flags);
	}
	if (!ret) {
		daedalus_job_kick(ctx);
		return 0;
	}
	spin_lock_irqsave(&ctx->buf_lock, flags);
	list_splice_init(&ctx->out_pending, &returned);
	daedalus_job_return(&returned, VB2_BUF_STATE_QUEUED);
	spin_unlock_irqrestore(&ctx->buf_lock, flags);
	return ret;
}

/**
 * daedalus_job_stop - a queue stops streaming: take back all its buffers
 * @ctx: the handle, its lock held
 * @vq: the queue
 *
 * Buffers the daemon holds come back too; its late replies are stale.
 */
void daedalus_job_stop(struct daedalus_ctx *ctx, struct vb2_queue *vq)
{
	u32 queue = V4L2_TYPE_IS_OUTPUT(vq->type) ? DAEDALUS_QUEUE_OUTPUT : DAEDALUS_QUEUE_CAPTURE;
	unsigned long flags;
	LIST_HEAD(returned);
	bool answer = false;

	spin_lock_irqsave(&ctx->buf_lock, flags);
	if (queue == DAEDALUS_QUEUE_OUTPUT) {
		list_splice_tail_init(&ctx->out_active, &returned);
		list_splice_tail_init(&ctx->out_pending, &returned);
	} else {
		list_splice_tail_init(&ctx->cap_active, &returned);
		list_splice_tail_init(&ctx->cap_pending, &returned);
		answer = daedalus_change_cap_stopped(ctx);
	}
	ctx->stale_below[queue] = ctx->next_tag;
	/* A STREAMOFF aborts a drain (Drain, note), unless it answers a source change. */
	if (!answer)
		ctx->drain = DAEDALUS_DRAIN_NONE;
	/* Its stream is over: a STREAM_INFO not yet applied describes nothing. */
	ctx->info_waiting = false;
	daedalus_job_return(&returned, VB2_BUF_STATE_ERROR);
	spin_unlock_irqrestore(&ctx->buf_lock, flags);

	daedalus_job_ctl(ctx, DAEDALUS_MSG_STOP, queue);
}

/**
 * daedalus_job_close - the handle is going: tell the daemon to forget it
 * @ctx: the handle, its queues already released
 */
void daedalus_job_close(struct daedalus_ctx *ctx)
{
	unsigned long flags;

	daedalus_job_ctl(ctx, DAEDALUS_MSG_CLOSE, 0);
	spin_lock_irqsave(&ctx->buf_lock, flags);
	ctx->closed = true;
	spin_unlock_irqrestore(&ctx->buf_lock, flags);
	cancel_delayed_work_sync(&ctx->watchdog);
	cancel_work_sync(&ctx->info_work);
}

/**
 * daedalus_job_drain - DECODER_CMD STOP with OUTPUT streaming
 * @ctx: the handle, its lock held
 *
 * Return: 0 once the daemon was asked; -EBUSY during a drain; -EIO when
 * the context has failed.
 */
int daedalus_job_drain(struct daedalus_ctx *ctx)
{
	struct daedalus_msg_ctl *ctl;
	unsigned long flags;
	int ret = 0;

	ctl = daedalus_bridge_msg_new(DAEDALUS_MSG_DRAIN, sizeof(*ctl), ctx->id);
	if (!ctl)
		return -ENOMEM;
	spin_lock_irqsave(&ctx->buf_lock, flags);
	if (ctx->drain == DAEDALUS_DRAIN_ACTIVE || ctx->drain == DAEDALUS_DRAIN_LAST)
		ret = -EBUSY;
	else if (!daedalus_job_live(ctx))
		ret = -EIO;
	else
		ret = daedalus_bridge_send(ctx->dev, ctx->session, ctl);
	if (!ret) {
		ctx->drain = DAEDALUS_DRAIN_ACTIVE;
		daedalus_job_touch(ctx);
	}
	spin_unlock_irqrestore(&ctx->buf_lock, flags);
	if (ret) {
		daedalus_bridge_msg_free(ctl);
		if (ret == -ENOSPC || ret == -ENOTCONN) {
			daedalus_job_fail(ctx, "the daemon cannot take a drain");
			ret = -EIO;
		}
	}
	return ret;
}

/* Called with buf_lock held: whether the daemon owes this context something it can deliver. */
static bool daedalus_job_owed(struct daedalus_ctx *ctx)
{
	bool has_cap = !list_empty(&ctx->cap_active);
	/* Bitstream is answered by JOB_DONE and, before the headers, STREAM_INFO. */
	bool jobs = !list_empty(&ctx->out_active) && (!ctx->bit_depth || has_cap);
	/* A drain ends in a LAST frame buffer, which needs one. */
	bool drain = ctx->drain == DAEDALUS_DRAIN_ACTIVE && has_cap;

	/* A daemon waiting for the client to hand (back) frame buffers is not stuck. */
	return daedalus_job_live(ctx) && (jobs || drain);
}

/**
 * daedalus_job_watchdog - the daemon sat on a context for job_timeout_ms
 * @work: the context's watchdog
 */
void daedalus_job_watchdog(struct work_struct *work)
{
	struct daedalus_ctx *ctx = container_of(to_delayed_work(work), struct daedalus_ctx,
						watchdog);
	unsigned long flags;
	bool stuck;

	spin_lock_irqsave(&ctx->buf_lock, flags);
	stuck = daedalus_job_owed(ctx);
	spin_unlock_irqrestore(&ctx->buf_lock, flags);
	if (!stuck)
		return;
	atomic64_inc(&ctx->dev->bridge.stats.timeouts);
	v4l2_warn(&ctx->dev->v4l2_dev, "context %u: the daemon did not answer within %u ms\n",
		  ctx->id, daedalus_job_timeout_ms);
	daedalus_job_fail(ctx, "decode job timed out");
	daedalus_job_ctl(ctx, DAEDALUS_MSG_STOP, DAEDALUS_QUEUE_OUTPUT);
}

static void daedalus_job_lost_one(struct daedalus_ctx *ctx, void *arg)
{
	u32 session = *(u32 *)arg;
	unsigned long flags;
	bool ours;

	spin_lock_irqsave(&ctx->buf_lock, flags);
	ours = ctx->session == session;
	if (ours)
		ctx->session = 0;
	spin_unlock_irqrestore(&ctx->buf_lock, flags);
	if (ours)
		daedalus_job_fail(ctx, daedalus_why_gone);
}

/**
 * daedalus_job_daemon_lost - the daemon of @session closed the bridge
 * @ddev: the device
 * @session: its session
 */
void daedalus_job_daemon_lost(struct daedalus_dev *ddev, u32 session)
{
	daedalus_ctx_for_each(ddev, daedalus_job_lost_one, &session);
}

/* Replies. Each returns 0, 1 for a stale reply, or a negative reject reason. */

static struct daedalus_buf *daedalus_job_find(struct list_head *active, u32 tag)
{
	struct daedalus_buf *buf;

	list_for_each_entry(buf, active, list)
		if (buf->tag == tag)
			return buf;
	return NULL;
}

/* Called with buf_lock held: the buffer a reply names, or why not. */
static int daedalus_job_lookup(struct daedalus_ctx *ctx, u32 session, u32 queue, u32 tag,
			       u32 index, struct daedalus_buf **found)
{
	struct list_head *active = queue == DAEDALUS_QUEUE_OUTPUT ? &ctx->out_active
								  : &ctx->cap_active;
	struct daedalus_buf *buf;

	if (ctx->session != session || ctx->closed)
		return 1;
	buf = daedalus_job_find(active, tag);
	if (!buf)
		return daedalus_tag_before(tag, ctx->stale_below[queue]) ? 1
			: -DAEDALUS_REJECT_BUFFER;
	if (buf->vb.vb2_buf.index != index)
		return -DAEDALUS_REJECT_BUFFER;
	*found = buf;
	return 0;
}

static int daedalus_rx_job_done(struct daedalus_ctx *ctx, u32 session,
				const struct daedalus_msg_job_done *done)
{
	u32 flags_in = le32_to_cpu(done->flags);
	struct daedalus_buf *buf;
	unsigned long flags;
	int ret;

	spin_lock_irqsave(&ctx->buf_lock, flags);
	ret = daedalus_job_lookup(ctx, session, DAEDALUS_QUEUE_OUTPUT, le32_to_cpu(done->tag),
				  le32_to_cpu(done->index), &buf);
	if (!ret) {
		list_del(&buf->list);
		buf->vb.sequence = ctx->out_seq++;
		vb2_buffer_done(&buf->vb.vb2_buf, flags_in & DAEDALUS_JOB_ERROR ?
				VB2_BUF_STATE_ERROR : VB2_BUF_STATE_DONE);
		daedalus_job_touch(ctx);
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
	struct daedalus_buf *buf;
	struct vb2_buffer *vb;
	unsigned long flags;
	bool error;
	int ret;

	spin_lock_irqsave(&ctx->buf_lock, flags);
	ret = daedalus_job_lookup(ctx, session, DAEDALUS_QUEUE_CAPTURE, le32_to_cpu(frame->tag),
				  le32_to_cpu(frame->index), &buf);
	if (ret)
		goto out;
	vb = &buf->vb.vb2_buf;
	if (bytesused > vb2_plane_size(vb, 0)) {
		ret = -DAEDALUS_REJECT_BUFFER;
		goto out;
	}
	/*
	 * LAST ends the drain the client asked for, or is the daemon's own
	 * drain at an end-of-stream marking (dev-decoder.rst, End of Stream).
	 */
	if ((fflags & DAEDALUS_FRAME_LAST) && ctx->drain != DAEDALUS_DRAIN_ACTIVE &&
	    !(ctx->drain == DAEDALUS_DRAIN_NONE && (fflags & DAEDALUS_FRAME_END_OF_STREAM))) {
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
	if (fflags & DAEDALUS_FRAME_LAST) {
		buf->vb.flags |= V4L2_BUF_FLAG_LAST;
		ctx->drain = DAEDALUS_DRAIN_LAST;
	}
	daedalus_job_copy_meta(ctx, &buf->vb);
	/* The EOS event is due before the client can see LAST. */
	if (fflags & DAEDALUS_FRAME_LAST)
		v4l2_event_queue_fh(&ctx->fh, &eos);
	/* An empty LAST buffer is no error; a frame decoded with errors is. */
	error = fflags & DAEDALUS_FRAME_ERROR;
	vb2_buffer_done(vb, error ? VB2_BUF_STATE_ERROR : VB2_BUF_STATE_DONE);
	ctx->cap_ready++;
	atomic64_inc(&ctx->dev->bridge.stats.frames);
	daedalus_job_touch(ctx);
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

/**
 * daedalus_job_info_apply - the STREAM_INFO that waits, if any, takes effect
 * @ctx: the handle, its lock held
 */
void daedalus_job_info_apply(struct daedalus_ctx *ctx)
{
	struct daedalus_msg_stream_info si;
	unsigned long flags;
	bool waiting;

	spin_lock_irqsave(&ctx->buf_lock, flags);
	/* A context that failed or was restarted since has forgotten that stream. */
	waiting = ctx->info_waiting && ctx->info_session == ctx->session &&
		  daedalus_job_live(ctx);
	ctx->info_waiting = false;
	si = ctx->info_next;
	spin_unlock_irqrestore(&ctx->buf_lock, flags);
	if (waiting)
		daedalus_change_stream(ctx, &si);
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
 * wait for it for ever.
 *
 * The formats, though, are the handle's ioctls' to read under ctx->lock,
 * which a client holds for as long as an ioctl runs, and the daemon's
 * write does not wait for it. If the lock is free the message is applied
 * at once, so that no ioctl sees the frame buffers taken back and the
 * format not yet changed; else it waits in the context for a work item
 * that applies it, the newest one winning, as a change that waits for
 * frames does.
 */
static int daedalus_rx_stream_info(struct daedalus_ctx *ctx, u32 session,
				   const struct daedalus_msg_stream_info *si)
{
	struct daedalus_msg_ctl *stop;
	unsigned long flags;
	int ret = 1;

	stop = daedalus_bridge_msg_new(DAEDALUS_MSG_STOP, sizeof(*stop), ctx->id);
	if (stop)
		stop->queue = cpu_to_le32(DAEDALUS_QUEUE_CAPTURE);
	spin_lock_irqsave(&ctx->buf_lock, flags);
	if (ctx->session == session && daedalus_job_live(ctx)) {
		ret = stop ? daedalus_bridge_send(ctx->dev, session, stop) : -ENOMEM;
		if (!ret) {
			stop = NULL;
			ctx->cap_paused = true;
			list_splice_init(&ctx->cap_active, &ctx->cap_pending);
			ctx->stale_below[DAEDALUS_QUEUE_CAPTURE] = ctx->next_tag;
			daedalus_job_touch(ctx);
			ctx->info_next = *si;
			ctx->info_session = session;
			ctx->info_waiting = true;
		}
	}
	spin_unlock_irqrestore(&ctx->buf_lock, flags);
	if (stop)
		daedalus_bridge_msg_free(stop);
	if (ret < 0) {
		daedalus_job_fail(ctx, ret == -ENOSPC ? daedalus_why_not_reading
					 : "the daemon cannot be told of a stream");
		return 0;
	}
	if (ret)
		return ret;
	if (mutex_trylock(&ctx->lock)) {
		daedalus_job_info_apply(ctx);
		mutex_unlock(&ctx->lock);
		return 0;
	}
	/* daedalus_job_close() cancels the work once closed is set, under buf_lock. */
	spin_lock_irqsave(&ctx->buf_lock, flags);
	if (!ctx->closed)
		queue_work(system_wq, &ctx->info_work);
	spin_unlock_irqrestore(&ctx->buf_lock, flags);
	return 0;
}

/**
 * daedalus_job_info_work - apply the STREAM_INFO that waits, under ctx->lock
 * @work: the context's info_work
 */
void daedalus_job_info_work(struct work_struct *work)
{
	struct daedalus_ctx *ctx = container_of(work, struct daedalus_ctx, info_work);

	mutex_lock(&ctx->lock);
	daedalus_job_info_apply(ctx);
	mutex_unlock(&ctx->lock);
}

static int daedalus_rx_error(struct daedalus_ctx *ctx, u32 session,
			     const struct daedalus_msg_error *err)
{
	u32 code = le32_to_cpu(err->code);

	if (!daedalus_job_live_for(ctx, session))
		return 1;
	v4l2_warn(&ctx->dev->v4l2_dev, "context %u: the daemon cannot decode: %s (code %u)\n",
		  ctx->id, err->text, code);
	daedalus_job_fail(ctx, "decoding error");
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
		daedalus_bridge_caps(ddev, &caps);
		return daedalus_stream_info_ok(&caps, si);
	default:
		v = le32_to_cpu(err->code);
		return v && v <= DAEDALUS_ERR_MAX && !err->reserved &&
		       daedalus_string_ok(err->text, sizeof(err->text));
	}
}

/**
 * daedalus_job_rx - act on a decoding message from the daemon
 * @ddev: the device
 * @session: the sender's bridge session
 * @type: DAEDALUS_MSG_JOB_DONE, _FRAME, _STREAM_INFO or _ERROR
 * @msg: the message, its header and size already checked
 *
 * Return: 0 if acted on, 1 if stale (dropped quietly), or the negated
 * enum daedalus_reject reason it is refused for.
 */
int daedalus_job_rx(struct daedalus_dev *ddev, u32 session, u16 type, const void *msg)
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
		ret = daedalus_rx_job_done(ctx, session, msg);
		break;
	case DAEDALUS_MSG_FRAME:
		ret = daedalus_rx_frame(ctx, session, msg);
		break;
	case DAEDALUS_MSG_STREAM_INFO:
		ret = daedalus_rx_stream_info(ctx, session, msg);
		break;
	default:
		ret = daedalus_rx_error(ctx, session, msg);
		break;
	}
	daedalus_ctx_put(ctx);
	return ret;
}

/**
 * daedalus_job_expbuf - a buffer the daemon holds, as a dmabuf
 * @ddev: the device
 * @session: the caller's bridge session
 * @eb: what the daemon asked for
 *
 * Only a buffer that is with the daemon under the tag given is exported.
 * OUTPUT buffers are exported read-only.
 *
 * Return: a dma_buf the caller owns a reference to, or an ERR_PTR: -ENOENT
 * for an unknown context, -ESTALE for a buffer no longer with the daemon,
 * -ERESTARTSYS when a signal came while it waited for the handle's lock.
 */
struct dma_buf *daedalus_job_expbuf(struct daedalus_dev *ddev, u32 session,
				    const struct daedalus_expbuf *eb)
{
	struct daedalus_buf *buf = NULL;
	struct dma_buf *dbuf = ERR_PTR(-ESTALE);
	struct daedalus_ctx *ctx;
	struct vb2_buffer *vb;
	unsigned long flags;
	bool stale;
	int ret;

	if (eb->queue > DAEDALUS_QUEUE_CAPTURE)
		return ERR_PTR(-EINVAL);
	ctx = daedalus_ctx_get(ddev, eb->ctx_id, &stale);
	if (!ctx)
		return ERR_PTR(stale ? -ESTALE : -ENOENT);

	/*
	 * The handle's lock keeps the buffer allocated while it is exported.
	 * No client holds it for long (an ioctl at a time, never waiting for
	 * the daemon), and a signal ends the wait.
	 */
	if (mutex_lock_interruptible(&ctx->lock)) {
		daedalus_ctx_put(ctx);
		return ERR_PTR(-ERESTARTSYS);
	}
	spin_lock_irqsave(&ctx->buf_lock, flags);
	ret = daedalus_job_lookup(ctx, session, eb->queue, eb->tag, eb->index, &buf);
	spin_unlock_irqrestore(&ctx->buf_lock, flags);
	if (ret == 0) {
		vb = &buf->vb.vb2_buf;
		if (vb->memory == V4L2_MEMORY_DMABUF) {
			dbuf = vb->planes[0].dbuf;
			get_dma_buf(dbuf);
		} else if (vb->vb2_queue->mem_ops->get_dmabuf) {
			dbuf = vb->vb2_queue->mem_ops->get_dmabuf(vb, vb->planes[0].mem_priv,
				eb->queue == DAEDALUS_QUEUE_OUTPUT ? O_RDONLY : O_RDWR);
			if (!dbuf)
				dbuf = ERR_PTR(-ENOMEM);
		} else {
			dbuf = ERR_PTR(-EOPNOTSUPP);
		}
	} else if (ret < 0) {
		dbuf = ERR_PTR(-EINVAL);
	}
	mutex_unlock(&ctx->lock);
	daedalus_ctx_put(ctx);
	return dbuf;
}
