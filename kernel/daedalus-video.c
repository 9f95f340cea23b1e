// SPDX-License-Identifier: GPL-2.0-only
/*
 * The decoder video node: open/release, poll and mmap over both queues, and
 * the ioctls of the stateful decoder interface
 * (Documentation/userspace-api/media/v4l/dev-decoder.rst). The stateless
 * node (daedalus-sl-video.c) shares what does not differ.
 */
#include <linux/cred.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <media/v4l2-event.h>
#include <media/v4l2-ioctl.h>

#include "daedalus.h"

/* Frame buffers a client needs before the stream says how many. */
#define DAEDALUS_DEF_MIN_CAPTURE	4

/*
 * The profiles and levels libavcodec decodes, as read-only menus: clients
 * (Chromium) read them to learn what the decoder takes. 4:2:2, 4:4:4 and
 * scalable/multiview profiles are left out; libavcodec's software decoder
 * outputs them in layouts the CAPTURE formats do not carry.
 */
static const struct {
	u32 id;
	u8 max;
	u64 skip;
	u8 def;
} daedalus_codec_menus[] = {
	{ V4L2_CID_MPEG_VIDEO_H264_PROFILE, V4L2_MPEG_VIDEO_H264_PROFILE_HIGH,
	  BIT(V4L2_MPEG_VIDEO_H264_PROFILE_EXTENDED), V4L2_MPEG_VIDEO_H264_PROFILE_HIGH },
	{ V4L2_CID_MPEG_VIDEO_H264_LEVEL, V4L2_MPEG_VIDEO_H264_LEVEL_5_1, 0,
	  V4L2_MPEG_VIDEO_H264_LEVEL_4_1 },
	{ V4L2_CID_MPEG_VIDEO_HEVC_PROFILE, V4L2_MPEG_VIDEO_HEVC_PROFILE_MAIN_10,
	  0, V4L2_MPEG_VIDEO_HEVC_PROFILE_MAIN },
	{ V4L2_CID_MPEG_VIDEO_HEVC_LEVEL, V4L2_MPEG_VIDEO_HEVC_LEVEL_5_1, 0,
	  V4L2_MPEG_VIDEO_HEVC_LEVEL_4_1 },
	{ V4L2_CID_MPEG_VIDEO_VP8_PROFILE, V4L2_MPEG_VIDEO_VP8_PROFILE_3, 0,
	  V4L2_MPEG_VIDEO_VP8_PROFILE_0 },
	{ V4L2_CID_MPEG_VIDEO_VP9_PROFILE, V4L2_MPEG_VIDEO_VP9_PROFILE_2,
	  BIT(V4L2_MPEG_VIDEO_VP9_PROFILE_1), V4L2_MPEG_VIDEO_VP9_PROFILE_0 },
};

static_assert(ARRAY_SIZE(daedalus_codec_menus) == DAEDALUS_CODEC_MENUS);

/**
 * daedalus_codec_menus_add - the profile and level menus, on either node
 * @hdl: the handle's controls
 */
void daedalus_codec_menus_add(struct v4l2_ctrl_handler *hdl)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(daedalus_codec_menus); i++) {
		struct v4l2_ctrl *ctrl;

		ctrl = v4l2_ctrl_new_std_menu(hdl, NULL, daedalus_codec_menus[i].id,
					      daedalus_codec_menus[i].max,
					      daedalus_codec_menus[i].skip,
					      daedalus_codec_menus[i].def);
		if (ctrl)
			ctrl->flags |= V4L2_CTRL_FLAG_READ_ONLY;
	}
}

static int daedalus_ctrls_init(struct daedalus_ctx *ctx)
{
	struct v4l2_ctrl_handler *hdl = &ctx->hdl;

	/* MIN_BUFFERS_FOR_OUTPUT belongs to encoders: a decoder must not have it. */
	v4l2_ctrl_handler_init(hdl, 1 + DAEDALUS_CODEC_MENUS);
	ctx->min_cap_ctrl = v4l2_ctrl_new_std(hdl, NULL, V4L2_CID_MIN_BUFFERS_FOR_CAPTURE,
					      1, DAEDALUS_MAX_MIN_BUFFERS, 1,
					      DAEDALUS_DEF_MIN_CAPTURE);
	daedalus_codec_menus_add(hdl);
	if (hdl->error) {
		int ret = hdl->error;

		v4l2_ctrl_handler_free(hdl);
		return ret;
	}
	ctx->fh.ctrl_handler = hdl;
	return 0;
}

/* The CAPTURE format follows the OUTPUT size until the stream says more. */
static void daedalus_ctx_derive_capture(struct daedalus_ctx *ctx,
					const struct daedalus_caps *caps)
{
	u32 width = ctx->out_fmt.width ?: DAEDALUS_DEF_WIDTH;
	u32 height = ctx->out_fmt.height ?: DAEDALUS_DEF_HEIGHT;

	ctx->cap_fmt.width = width;
	ctx->cap_fmt.height = height;
	ctx->cap_fmt.colorspace = ctx->out_fmt.colorspace;
	ctx->cap_fmt.xfer_func = ctx->out_fmt.xfer_func;
	ctx->cap_fmt.ycbcr_enc = ctx->out_fmt.ycbcr_enc;
	ctx->cap_fmt.quantization = ctx->out_fmt.quantization;
	daedalus_fmt_adjust_raw(caps, 0, &ctx->cap_fmt);
	ctx->visible = (struct v4l2_rect){ 0, 0, min(width, ctx->cap_fmt.width),
					   min(height, ctx->cap_fmt.height) };
}

static void daedalus_ctx_default_formats(struct daedalus_ctx *ctx)
{
	struct daedalus_caps caps;

	daedalus_ctx_caps(ctx, &caps);
	ctx->out_fmt = (struct v4l2_pix_format_mplane){
		.pixelformat = ctx->stateless ? V4L2_PIX_FMT_H264_SLICE : V4L2_PIX_FMT_H264,
		.width = DAEDALUS_DEF_WIDTH,
		.height = DAEDALUS_DEF_HEIGHT,
		.colorspace = V4L2_COLORSPACE_REC709,
	};
	daedalus_fmt_adjust_coded(&caps, &ctx->out_fmt);
	ctx->cap_fmt = (struct v4l2_pix_format_mplane){ .pixelformat = V4L2_PIX_FMT_NV12 };
	daedalus_ctx_derive_capture(ctx, &caps);
}

/**
 * daedalus_ctx_open - a new handle of either node
 * @file: the file being opened
 * @stateless: the stateless node's
 *
 * Return: 0 or a negative errno.
 */
int daedalus_ctx_open(struct file *file, bool stateless)
{
	struct daedalus_dev *ddev = video_drvdata(file);
	struct daedalus_ctx *ctx;
	int ret;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	ctx->dev = ddev;
	ctx->uid = current_uid();
	ctx->stateless = stateless;
	kref_init(&ctx->ref);
	mutex_init(&ctx->lock);
	spin_lock_init(&ctx->buf_lock);
	INIT_LIST_HEAD(&ctx->out_pending);
	INIT_LIST_HEAD(&ctx->out_active);
	INIT_LIST_HEAD(&ctx->cap_pending);
	INIT_LIST_HEAD(&ctx->cap_active);
	INIT_DELAYED_WORK(&ctx->watchdog, daedalus_handover_watchdog);
	INIT_WORK(&ctx->info_work, daedalus_replies_info_work);
	ctx->next_tag = 1;
	v4l2_fh_init(&ctx->fh, video_devdata(file));
	file->private_data = &ctx->fh;

	ret = stateless ? daedalus_sl_ctrls_init(ctx) : daedalus_ctrls_init(ctx);
	if (ret)
		goto err_fh;
	daedalus_ctx_default_formats(ctx);
	ret = daedalus_queues_init(ctx);
	if (ret)
		goto err_ctrls;
	if (stateless)
		daedalus_sl_hold_caps(ctx);
	ret = daedalus_ctx_register(ctx);
	if (ret)
		goto err_queues;

	v4l2_fh_add(&ctx->fh);
	atomic_inc(&ddev->contexts);
	return 0;

err_queues:
	vb2_queue_release(&ctx->out_q);
	vb2_queue_release(&ctx->cap_q);
err_ctrls:
	v4l2_ctrl_handler_free(&ctx->hdl);
err_fh:
	v4l2_fh_exit(&ctx->fh);
	mutex_destroy(&ctx->lock);
	kfree(ctx);
	return ret;
}

static int daedalus_open(struct file *file)
{
	return daedalus_ctx_open(file, false);
}

/*
 * The daemon's replies may still hold a reference: the context is taken
 * out of their reach first, and freed by whichever reference goes last.
 */
int daedalus_ctx_release(struct file *file)
{
	struct daedalus_ctx *ctx = file_to_ctx(file);

	daedalus_ctx_unregister(ctx);
	v4l2_fh_del(&ctx->fh);
	mutex_lock(&ctx->lock);
	vb2_queue_release(&ctx->out_q);
	vb2_queue_release(&ctx->cap_q);
	mutex_unlock(&ctx->lock);
	daedalus_ctx_close(ctx);
	atomic_dec(&ctx->dev->contexts);
	daedalus_ctx_put(ctx);
	return 0;
}

/*
 * DQEVENT's command number depends on the caller's ABI: a 32-bit process
 * (i386, armhf) reaches this through the compat path with its own struct
 * size, and 32-bit time has another. The ioctl's number is the same in all.
 */
bool daedalus_is_dqevent(unsigned int cmd)
{
	return _IOC_TYPE(cmd) == _IOC_TYPE(VIDIOC_DQEVENT) &&
	       _IOC_NR(cmd) == _IOC_NR(VIDIOC_DQEVENT);
}

/*
 * One handle's ioctls run one at a time; handles run in parallel. vb2
 * drops the lock (its queue lock) while a DQBUF blocks. DQEVENT touches no
 * queue state and may block until the daemon has described the stream, so
 * it runs unlocked, whatever the caller's ABI: no ioctl sleeps on an
 * event or the daemon with the lock held.
 */
static long daedalus_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct daedalus_ctx *ctx = file_to_ctx(file);
	long ret;

	if (daedalus_is_dqevent(cmd))
		return video_ioctl2(file, cmd, arg);
	if (mutex_lock_interruptible(&ctx->lock))
		return -ERESTARTSYS;
	ret = video_ioctl2(file, cmd, arg);
	mutex_unlock(&ctx->lock);
	return ret;
}

static __poll_t daedalus_poll_queue(struct vb2_queue *q, __poll_t ready)
{
	unsigned long flags;
	__poll_t mask = 0;

	spin_lock_irqsave(&q->done_lock, flags);
	if (!list_empty(&q->done_list))
		mask = ready;
	spin_unlock_irqrestore(&q->done_lock, flags);
	return mask;
}

/* Whether a queue can still produce a buffer for the client to dequeue. */
static bool daedalus_queue_live(struct vb2_queue *q)
{
	return vb2_is_streaming(q) && !q->error &&
	       (!list_empty(&q->queued_list) ||
		(!V4L2_TYPE_IS_OUTPUT(q->type) && q->last_buffer_dequeued));
}

/* Called from daedalus_poll(): what the two queues are ready for. */
static __poll_t daedalus_poll_buffers(struct daedalus_ctx *ctx, __poll_t req)
{
	__poll_t mask = 0;

	if (ctx->out_q.error || ctx->cap_q.error) {
		if (atomic_inc_return(&ctx->failed_polls) == 1)
			return EPOLLERR;
		return req & (EPOLLIN | EPOLLRDNORM | EPOLLOUT | EPOLLWRNORM);
	}

	if (!daedalus_queue_live(&ctx->out_q) && !daedalus_queue_live(&ctx->cap_q))
		return EPOLLERR;

	mask |= daedalus_poll_queue(&ctx->out_q, EPOLLOUT | EPOLLWRNORM);
	mask |= daedalus_poll_queue(&ctx->cap_q, EPOLLIN | EPOLLRDNORM);
	if (ctx->cap_q.last_buffer_dequeued)
		mask |= EPOLLIN | EPOLLRDNORM;
	return mask;
}

/*
 * Both queues and the event queue in one poll: OUT for a done bitstream
 * buffer, IN for a done frame (or a LAST already dequeued, so the next
 * DQBUF says EPIPE), PRI for an event, ERR when neither queue can ever
 * complete a buffer.
 *
 * The events are looked at after the buffers. An EOS or SOURCE_CHANGE
 * event is queued before vb2_buffer_done() puts the LAST buffer it goes
 * with on the done list under the queue's done_lock, which
 * daedalus_poll_queue() takes too: a poll that sees that buffer also sees
 * its event, and a client that reads events
 * before buffers (v4l2-compliance does) never meets a LAST without one.
 * Looked at the other way round, the event could come between the two
 * looks and be missed while its LAST was not.
 *
 * A failed context (dev-decoder.rst's fatal error) is ERR at the first
 * look, then ready: its DQBUF and QBUF fail with EIO at once. Clients
 * learn of the error in one of two ways. GStreamer stops on ERR (a
 * failing DQBUF alone can leave its pipeline waiting for ever), while
 * FFmpeg takes ERR for "nothing yet" and, once draining, would poll for
 * ever at full speed without the DQBUF that tells it.
 */
__poll_t daedalus_poll(struct file *file, poll_table *wait)
{
	struct daedalus_ctx *ctx = file_to_ctx(file);
	__poll_t req = poll_requested_events(wait);
	__poll_t mask = 0;

	/* Register every wait queue on the first call, whatever is asked. */
	poll_wait(file, &ctx->out_q.done_wq, wait);
	poll_wait(file, &ctx->cap_q.done_wq, wait);
	poll_wait(file, &ctx->fh.wait, wait);

	if (req & (EPOLLIN | EPOLLRDNORM | EPOLLOUT | EPOLLWRNORM))
		mask = daedalus_poll_buffers(ctx, req);
	if (v4l2_event_pending(&ctx->fh))
		mask |= EPOLLPRI;
	return mask;
}

int daedalus_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct daedalus_ctx *ctx = file_to_ctx(file);
	unsigned long base = DAEDALUS_CAP_MMAP_BASE >> PAGE_SHIFT;

	if (vma->vm_pgoff < base)
		return vb2_mmap(&ctx->out_q, vma);
	vma->vm_pgoff -= base;
	return vb2_mmap(&ctx->cap_q, vma);
}

const struct v4l2_file_operations daedalus_fops = {
	.owner = THIS_MODULE,
	.open = daedalus_open,
	.release = daedalus_ctx_release,
	.poll = daedalus_poll,
	.unlocked_ioctl = daedalus_ioctl,
	.mmap = daedalus_mmap,
};

static int daedalus_querycap(struct file *file, void *priv, struct v4l2_capability *cap)
{
	strscpy(cap->driver, KBUILD_MODNAME, sizeof(cap->driver));
	strscpy(cap->card, DAEDALUS_CARD_NAME, sizeof(cap->card));
	strscpy(cap->bus_info, "platform:" DAEDALUS_NAME, sizeof(cap->bus_info));
	return 0;
}

int daedalus_enum_fmt(struct file *file, void *priv, struct v4l2_fmtdesc *f)
{
	struct daedalus_ctx *ctx = file_to_ctx(file);
	const struct daedalus_coded_fmt *coded;
	const struct daedalus_raw_fmt *raw;
	struct daedalus_caps caps;

	daedalus_ctx_caps(ctx, &caps);
	if (V4L2_TYPE_IS_OUTPUT(f->type)) {
		coded = daedalus_coded_enum(&caps, f->index);
		if (!coded)
			return -EINVAL;
		f->pixelformat = coded->fourcc;
		f->flags = V4L2_FMT_FLAG_COMPRESSED;
		/* A stateless client sets every format itself. */
		if (!caps.stateless)
			f->flags |= V4L2_FMT_FLAG_DYN_RESOLUTION;
		if (coded->continuous)
			f->flags |= V4L2_FMT_FLAG_CONTINUOUS_BYTESTREAM;
		if (coded->description)
			strscpy(f->description, coded->description, sizeof(f->description));
		return 0;
	}
	/* Once the stream is known, only the layouts that carry it. */
	raw = daedalus_raw_enum_depth(&caps, ctx->bit_depth, f->index);
	if (!raw)
		return -EINVAL;
	f->pixelformat = raw->fourcc;
	return 0;
}

int daedalus_g_fmt(struct file *file, void *priv, struct v4l2_format *f)
{
	struct daedalus_ctx *ctx = file_to_ctx(file);

	f->fmt.pix_mp = V4L2_TYPE_IS_OUTPUT(f->type) ? ctx->out_fmt : ctx->cap_fmt;
	return 0;
}

int daedalus_try_fmt_out(struct file *file, void *priv, struct v4l2_format *f)
{
	struct daedalus_ctx *ctx = file_to_ctx(file);
	struct daedalus_caps caps;

	daedalus_ctx_caps(ctx, &caps);
	daedalus_fmt_adjust_coded(&caps, &f->fmt.pix_mp);
	return 0;
}

/* The frame buffer size is the stream's to decide: only the layout is the client's. */
int daedalus_try_fmt_cap(struct file *file, void *priv, struct v4l2_format *f)
{
	struct daedalus_ctx *ctx = file_to_ctx(file);
	struct v4l2_pix_format_mplane *pix = &f->fmt.pix_mp;
	struct daedalus_caps caps;

	daedalus_ctx_caps(ctx, &caps);
	pix->width = ctx->cap_fmt.width;
	pix->height = ctx->cap_fmt.height;
	pix->colorspace = ctx->cap_fmt.colorspace;
	pix->xfer_func = ctx->cap_fmt.xfer_func;
	pix->ycbcr_enc = ctx->cap_fmt.ycbcr_enc;
	pix->quantization = ctx->cap_fmt.quantization;
	daedalus_fmt_adjust_raw(&caps, ctx->bit_depth, pix);
	return 0;
}

int daedalus_s_fmt_out(struct file *file, void *priv, struct v4l2_format *f)
{
	struct daedalus_ctx *ctx = file_to_ctx(file);
	struct daedalus_caps caps;

	/* Commit Points 5 of dev-decoder.rst: not while either queue has buffers. */
	if (vb2_is_busy(&ctx->out_q) || vb2_is_busy(&ctx->cap_q))
		return -EBUSY;
	daedalus_ctx_caps(ctx, &caps);
	daedalus_fmt_adjust_coded(&caps, &f->fmt.pix_mp);
	ctx->out_fmt = f->fmt.pix_mp;
	daedalus_ctx_derive_capture(ctx, &caps);
	if (ctx->stateless)
		daedalus_sl_hold_caps(ctx);
	return 0;
}

int daedalus_s_fmt_cap(struct file *file, void *priv, struct v4l2_format *f)
{
	struct daedalus_ctx *ctx = file_to_ctx(file);
	int ret;

	if (vb2_is_busy(&ctx->cap_q))
		return -EBUSY;
	ret = daedalus_try_fmt_cap(file, priv, f);
	if (ret)
		return ret;
	ctx->cap_fmt = f->fmt.pix_mp;
	return 0;
}

int daedalus_enum_framesizes(struct file *file, void *priv, struct v4l2_frmsizeenum *fsize)
{
	struct daedalus_ctx *ctx = file_to_ctx(file);
	struct daedalus_caps caps;
	u32 step;

	if (fsize->index)
		return -EINVAL;
	daedalus_ctx_caps(ctx, &caps);
	/*
	 * Frame buffers are rounded up to whole macroblocks, but the sizes a
	 * stream may have are any: GStreamer refuses a 1080-line stream on a
	 * step of 16.
	 */
	if (!daedalus_coded_find(&caps, fsize->pixel_format) &&
	    !daedalus_raw_find(&caps, fsize->pixel_format))
		return -EINVAL;
	step = 1;

	fsize->type = V4L2_FRMSIZE_TYPE_STEPWISE;
	fsize->stepwise = (struct v4l2_frmsize_stepwise){
		.min_width = DAEDALUS_MIN_DIMENSION,
		.max_width = ALIGN(caps.max_width, step),
		.step_width = step,
		.min_height = DAEDALUS_MIN_DIMENSION,
		.max_height = ALIGN(caps.max_height, step),
		.step_height = step,
	};
	return 0;
}

static int daedalus_g_selection(struct file *file, void *priv, struct v4l2_selection *s)
{
	struct daedalus_ctx *ctx = file_to_ctx(file);

	if (s->type != V4L2_BUF_TYPE_VIDEO_CAPTURE &&
	    s->type != V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE)
		return -EINVAL;

	switch (s->target) {
	case V4L2_SEL_TGT_CROP_BOUNDS:
		s->r = (struct v4l2_rect){ 0, 0, ctx->cap_fmt.width, ctx->cap_fmt.height };
		return 0;
	/* No scaler: every other target is the visible rectangle. */
	case V4L2_SEL_TGT_CROP_DEFAULT:
	case V4L2_SEL_TGT_CROP:
	case V4L2_SEL_TGT_COMPOSE_BOUNDS:
	case V4L2_SEL_TGT_COMPOSE_DEFAULT:
	case V4L2_SEL_TGT_COMPOSE:
	case V4L2_SEL_TGT_COMPOSE_PADDED:
		s->r = ctx->visible;
		return 0;
	default:
		return -EINVAL;
	}
}

/* No scaler or cropper: any rectangle asked for becomes the visible one. */
static int daedalus_s_selection(struct file *file, void *priv, struct v4l2_selection *s)
{
	struct daedalus_ctx *ctx = file_to_ctx(file);

	if (s->type != V4L2_BUF_TYPE_VIDEO_CAPTURE &&
	    s->type != V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE)
		return -EINVAL;
	if (s->target != V4L2_SEL_TGT_COMPOSE && s->target != V4L2_SEL_TGT_CROP)
		return -EINVAL;
	s->r = ctx->visible;
	return 0;
}

static int daedalus_subscribe_event(struct v4l2_fh *fh,
				    const struct v4l2_event_subscription *sub)
{
	switch (sub->type) {
	case V4L2_EVENT_EOS:
		return v4l2_event_subscribe(fh, sub, 2, NULL);
	case V4L2_EVENT_SOURCE_CHANGE:
		return v4l2_src_change_event_subscribe(fh, sub);
	case V4L2_EVENT_CTRL:
		return v4l2_ctrl_subscribe_event(fh, sub);
	default:
		return -EINVAL;
	}
}

/* Buffer ioctls: each goes to the queue its type names. */

int daedalus_reqbufs(struct file *file, void *priv, struct v4l2_requestbuffers *rb)
{
	struct vb2_queue *q = daedalus_queue_for(file_to_ctx(file), rb->type);

	return q ? vb2_reqbufs(q, rb) : -EINVAL;
}

int daedalus_create_bufs(struct file *file, void *priv, struct v4l2_create_buffers *cb)
{
	struct vb2_queue *q = daedalus_queue_for(file_to_ctx(file), cb->format.type);

	return q ? vb2_create_bufs(q, cb) : -EINVAL;
}

int daedalus_querybuf(struct file *file, void *priv, struct v4l2_buffer *b)
{
	struct vb2_queue *q = daedalus_queue_for(file_to_ctx(file), b->type);
	int ret;

	if (!q)
		return -EINVAL;
	ret = vb2_querybuf(q, b);
	if (!ret)
		daedalus_queue_fix_offsets(q, b);
	return ret;
}

int daedalus_qbuf(struct file *file, void *priv, struct v4l2_buffer *b)
{
	struct daedalus_ctx *ctx = file_to_ctx(file);
	struct vb2_queue *q = daedalus_queue_for(ctx, b->type);
	int ret;

	if (!q)
		return -EINVAL;
	ret = vb2_qbuf(q, ctx->fh.vdev->v4l2_dev->mdev, b);
	if (!ret)
		daedalus_queue_fix_offsets(q, b);
	return ret;
}

int daedalus_prepare_buf(struct file *file, void *priv, struct v4l2_buffer *b)
{
	struct daedalus_ctx *ctx = file_to_ctx(file);
	struct vb2_queue *q = daedalus_queue_for(ctx, b->type);
	int ret;

	if (!q)
		return -EINVAL;
	ret = vb2_prepare_buf(q, ctx->fh.vdev->v4l2_dev->mdev, b);
	if (!ret)
		daedalus_queue_fix_offsets(q, b);
	return ret;
}

/*
 * The drain ends when the client dequeues the LAST buffer (dev-decoder.rst,
 * Drain 3), not when the daemon fills it. A LAST buffer left over from a
 * drain a seek cut short ends nothing: decoding went on after the seek, so
 * DQBUF does not say EPIPE for it.
 */
static void daedalus_dqbuf_last(struct daedalus_ctx *ctx)
{
	unsigned long flags;
	bool stale;

	spin_lock_irqsave(&ctx->buf_lock, flags);
	/* A source change's LAST: EPIPE until the change is answered. */
	stale = !daedalus_drain_last_dequeued(ctx) && !daedalus_change_last_dequeued(ctx);
	spin_unlock_irqrestore(&ctx->buf_lock, flags);
	if (stale)
		vb2_clear_last_buffer_dequeued(&ctx->cap_q);
}

static int daedalus_dqbuf(struct file *file, void *priv, struct v4l2_buffer *b)
{
	struct daedalus_ctx *ctx = file_to_ctx(file);
	struct vb2_queue *q = daedalus_queue_for(ctx, b->type);
	int ret;

	if (!q)
		return -EINVAL;
	ret = vb2_dqbuf(q, b, file->f_flags & O_NONBLOCK);
	if (ret)
		return ret;
	daedalus_queue_fix_offsets(q, b);
	if (q != &ctx->cap_q)
		return 0;
	if (b->flags & V4L2_BUF_FLAG_LAST)
		daedalus_dqbuf_last(ctx);
	daedalus_change_dequeued(ctx);
	return 0;
}

int daedalus_expbuf(struct file *file, void *priv, struct v4l2_exportbuffer *eb)
{
	struct vb2_queue *q = daedalus_queue_for(file_to_ctx(file), eb->type);

	return q ? vb2_expbuf(q, eb) : -EINVAL;
}

int daedalus_streamon(struct file *file, void *priv, enum v4l2_buf_type type)
{
	struct vb2_queue *q = daedalus_queue_for(file_to_ctx(file), type);

	return q ? vb2_streamon(q, type) : -EINVAL;
}

static int daedalus_streamoff(struct file *file, void *priv, enum v4l2_buf_type type)
{
	struct daedalus_ctx *ctx = file_to_ctx(file);
	struct vb2_queue *q = daedalus_queue_for(ctx, type);
	int ret;

	if (!q)
		return -EINVAL;
	ret = vb2_streamoff(q, type);
	if (ret)
		return ret;
	/* A seek ends a drain (dev-decoder.rst, Drain 3): CAPTURE gives frames again, not EPIPE. */
	if (q == &ctx->out_q)
		vb2_clear_last_buffer_dequeued(&ctx->cap_q);
	else
		daedalus_change_flush(ctx);
	return 0;
}

const struct v4l2_ioctl_ops daedalus_ioctl_ops = {
	.vidioc_querycap = daedalus_querycap,

	.vidioc_enum_fmt_vid_out = daedalus_enum_fmt,
	.vidioc_g_fmt_vid_out_mplane = daedalus_g_fmt,
	.vidioc_try_fmt_vid_out_mplane = daedalus_try_fmt_out,
	.vidioc_s_fmt_vid_out_mplane = daedalus_s_fmt_out,

	.vidioc_enum_fmt_vid_cap = daedalus_enum_fmt,
	.vidioc_g_fmt_vid_cap_mplane = daedalus_g_fmt,
	.vidioc_try_fmt_vid_cap_mplane = daedalus_try_fmt_cap,
	.vidioc_s_fmt_vid_cap_mplane = daedalus_s_fmt_cap,

	.vidioc_enum_framesizes = daedalus_enum_framesizes,
	.vidioc_g_selection = daedalus_g_selection,
	.vidioc_s_selection = daedalus_s_selection,

	.vidioc_reqbufs = daedalus_reqbufs,
	.vidioc_create_bufs = daedalus_create_bufs,
	.vidioc_querybuf = daedalus_querybuf,
	.vidioc_qbuf = daedalus_qbuf,
	.vidioc_prepare_buf = daedalus_prepare_buf,
	.vidioc_dqbuf = daedalus_dqbuf,
	.vidioc_expbuf = daedalus_expbuf,
	.vidioc_streamon = daedalus_streamon,
	.vidioc_streamoff = daedalus_streamoff,

	.vidioc_try_decoder_cmd = daedalus_try_decoder_cmd,
	.vidioc_decoder_cmd = daedalus_decoder_cmd,

	.vidioc_subscribe_event = daedalus_subscribe_event,
	.vidioc_unsubscribe_event = v4l2_event_unsubscribe,
};
