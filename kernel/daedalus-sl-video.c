// SPDX-License-Identifier: GPL-2.0-only
/*
 * The stateless decoder node's file operations and ioctls
 * (Documentation/userspace-api/media/v4l/dev-stateless-decoder.rst). The
 * formats, buffers and mmap offsets are the stateful node's; what differs
 * is here: the lock rule the request API imposes, CAPTURE buffers that
 * never take a request, plain DQBUF (no drain, no source change), FLUSH
 * (daedalus-sl-hold.c) as the only decoder command, and control events as
 * the only events.
 */
#include <media/v4l2-event.h>
#include <media/v4l2-ioctl.h>

#include "daedalus.h"

static int daedalus_sl_open(struct file *file)
{
	return daedalus_ctx_open(file, true);
}

/*
 * The V4L2 core takes the media device's req_queue_mutex around STREAMON,
 * STREAMOFF and REQBUFS, before anything of ours, and queueing a request
 * holds it while vb2 takes the queue lock (ctx->lock). So those three run
 * without ctx->lock here and take it themselves, inside that mutex; every
 * other ioctl runs under ctx->lock as on the stateful node, and DQEVENT
 * unlocked for the same reason as there.
 */
static long daedalus_sl_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct daedalus_ctx *ctx = file_to_ctx(file);
	long ret;

	if (daedalus_is_dqevent(cmd) || cmd == VIDIOC_STREAMON || cmd == VIDIOC_STREAMOFF ||
	    cmd == VIDIOC_REQBUFS)
		return video_ioctl2(file, cmd, arg);
	if (mutex_lock_interruptible(&ctx->lock))
		return -ERESTARTSYS;
	ret = video_ioctl2(file, cmd, arg);
	mutex_unlock(&ctx->lock);
	return ret;
}

const struct v4l2_file_operations daedalus_sl_fops = {
	.owner = THIS_MODULE,
	.open = daedalus_sl_open,
	.release = daedalus_ctx_release,
	.poll = daedalus_poll,
	.unlocked_ioctl = daedalus_sl_ioctl,
	.mmap = daedalus_mmap,
};

static int daedalus_sl_querycap(struct file *file, void *priv, struct v4l2_capability *cap)
{
	strscpy(cap->driver, KBUILD_MODNAME, sizeof(cap->driver));
	strscpy(cap->card, DAEDALUS_SL_CARD_NAME, sizeof(cap->card));
	strscpy(cap->bus_info, "platform:" DAEDALUS_NAME "-sl", sizeof(cap->bus_info));
	return 0;
}

/* The three ioctls daedalus_sl_ioctl() leaves unlocked lock here, inside req_queue_mutex. */

static int daedalus_sl_reqbufs(struct file *file, void *priv, struct v4l2_requestbuffers *rb)
{
	struct daedalus_ctx *ctx = file_to_ctx(file);
	int ret;

	if (mutex_lock_interruptible(&ctx->lock))
		return -ERESTARTSYS;
	ret = daedalus_reqbufs(file, priv, rb);
	mutex_unlock(&ctx->lock);
	return ret;
}

static int daedalus_sl_streamon(struct file *file, void *priv, enum v4l2_buf_type type)
{
	struct daedalus_ctx *ctx = file_to_ctx(file);
	int ret;

	if (mutex_lock_interruptible(&ctx->lock))
		return -ERESTARTSYS;
	ret = daedalus_streamon(file, priv, type);
	mutex_unlock(&ctx->lock);
	return ret;
}

static int daedalus_sl_streamoff(struct file *file, void *priv, enum v4l2_buf_type type)
{
	struct daedalus_ctx *ctx = file_to_ctx(file);
	struct vb2_queue *q = daedalus_queue_for(ctx, type);
	int ret;

	if (!q)
		return -EINVAL;
	if (mutex_lock_interruptible(&ctx->lock))
		return -ERESTARTSYS;
	ret = vb2_streamoff(q, type);
	mutex_unlock(&ctx->lock);
	return ret;
}

/*
 * Only bitstream buffers belong to requests: EPERM, as v4l2-mem2mem
 * answers. A failed context's are refused (daedalus_sl_refuses()).
 */
static int daedalus_sl_qbuf(struct file *file, void *priv, struct v4l2_buffer *b)
{
	if (!V4L2_TYPE_IS_OUTPUT(b->type))
		return b->flags & V4L2_BUF_FLAG_REQUEST_FD ? -EPERM : daedalus_qbuf(file, priv, b);
	if (daedalus_sl_refuses(file_to_ctx(file)))
		return -EIO;
	return daedalus_qbuf(file, priv, b);
}

static int daedalus_sl_dqbuf(struct file *file, void *priv, struct v4l2_buffer *b)
{
	struct vb2_queue *q = daedalus_queue_for(file_to_ctx(file), b->type);
	int ret;

	if (!q)
		return -EINVAL;
	ret = vb2_dqbuf(q, b, file->f_flags & O_NONBLOCK);
	if (!ret)
		daedalus_queue_fix_offsets(q, b);
	return ret;
}

/* FLUSH is the one command of a stateless decoder; it takes no flags. */
static int daedalus_sl_try_decoder_cmd(struct file *file, void *priv,
				       struct v4l2_decoder_cmd *dc)
{
	if (dc->cmd != V4L2_DEC_CMD_FLUSH)
		return -EINVAL;
	dc->flags = 0;
	return 0;
}

/* FLUSH ends the picture whose frame buffer is held for more of its requests. */
static int daedalus_sl_decoder_cmd(struct file *file, void *priv, struct v4l2_decoder_cmd *dc)
{
	int ret = daedalus_sl_try_decoder_cmd(file, priv, dc);

	return ret ? ret : daedalus_sl_flush(file_to_ctx(file));
}

static int daedalus_sl_subscribe_event(struct v4l2_fh *fh,
				       const struct v4l2_event_subscription *sub)
{
	if (sub->type == V4L2_EVENT_CTRL)
		return v4l2_ctrl_subscribe_event(fh, sub);
	return -EINVAL;
}

const struct v4l2_ioctl_ops daedalus_sl_ioctl_ops = {
	.vidioc_querycap = daedalus_sl_querycap,

	.vidioc_enum_fmt_vid_out = daedalus_enum_fmt,
	.vidioc_g_fmt_vid_out_mplane = daedalus_g_fmt,
	.vidioc_try_fmt_vid_out_mplane = daedalus_try_fmt_out,
	.vidioc_s_fmt_vid_out_mplane = daedalus_s_fmt_out,

	.vidioc_enum_fmt_vid_cap = daedalus_enum_fmt,
	.vidioc_g_fmt_vid_cap_mplane = daedalus_g_fmt,
	.vidioc_try_fmt_vid_cap_mplane = daedalus_try_fmt_cap,
	.vidioc_s_fmt_vid_cap_mplane = daedalus_s_fmt_cap,

	.vidioc_enum_framesizes = daedalus_enum_framesizes,

	.vidioc_reqbufs = daedalus_sl_reqbufs,
	.vidioc_create_bufs = daedalus_create_bufs,
	.vidioc_querybuf = daedalus_querybuf,
	.vidioc_qbuf = daedalus_sl_qbuf,
	.vidioc_prepare_buf = daedalus_prepare_buf,
	.vidioc_dqbuf = daedalus_sl_dqbuf,
	.vidioc_expbuf = daedalus_expbuf,
	.vidioc_streamon = daedalus_sl_streamon,
	.vidioc_streamoff = daedalus_sl_streamoff,

	.vidioc_try_decoder_cmd = daedalus_sl_try_decoder_cmd,
	.vidioc_decoder_cmd = daedalus_sl_decoder_cmd,

	.vidioc_subscribe_event = daedalus_sl_subscribe_event,
	.vidioc_unsubscribe_event = v4l2_event_unsubscribe,
};
