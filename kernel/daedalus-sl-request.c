// SPDX-License-Identifier: GPL-2.0-only
/*
 * The request API of the stateless node (dev-stateless-decoder.rst,
 * media-request-ioc-queue.rst): which requests may be queued, how they
 * are queued, and the controls each one carries. v4l2-mem2mem has
 * helpers for this that Debian's amd64 kernels do not build; these are
 * written on what every supported kernel exports.
 *
 * A request's controls are taken when its OUTPUT buffer reaches the
 * driver (buf_queue, in process context), not when the daemon gets to it:
 * the controls object completes there and then, so no later path that
 * gives the buffer back (a STOP, the daemon's loss, the watchdog, under
 * spinlocks) has to complete controls, which sleeps. Requests reach the
 * driver in queueing order, which is decoding order, so values a request
 * carries over from an earlier one are already in place.
 */
#include <linux/mm.h>
#include <linux/module.h>
#include <media/v4l2-ctrls.h>

#include "daedalus.h"

/*
 * Controls forwarded to the daemon, per codec: what it needs to rebuild
 * the headers. Slice parameters, prediction weights, entry points and
 * VP9's probabilities are read from the bitstream instead.
 */
static const u32 daedalus_sl_fwd_h264[] = {
	V4L2_CID_STATELESS_H264_SPS, V4L2_CID_STATELESS_H264_PPS,
	V4L2_CID_STATELESS_H264_SCALING_MATRIX, V4L2_CID_STATELESS_H264_DECODE_PARAMS,
	V4L2_CID_STATELESS_H264_DECODE_MODE, V4L2_CID_STATELESS_H264_START_CODE,
};

static const u32 daedalus_sl_fwd_hevc[] = {
	V4L2_CID_STATELESS_HEVC_SPS, V4L2_CID_STATELESS_HEVC_PPS,
	V4L2_CID_STATELESS_HEVC_SCALING_MATRIX, V4L2_CID_STATELESS_HEVC_DECODE_PARAMS,
	V4L2_CID_STATELESS_HEVC_DECODE_MODE, V4L2_CID_STATELESS_HEVC_START_CODE,
};

static const u32 daedalus_sl_fwd_vp8[] = { V4L2_CID_STATELESS_VP8_FRAME };
static const u32 daedalus_sl_fwd_vp9[] = { V4L2_CID_STATELESS_VP9_FRAME };

static const u32 daedalus_sl_fwd_mpeg2[] = {
	V4L2_CID_STATELESS_MPEG2_SEQUENCE, V4L2_CID_STATELESS_MPEG2_PICTURE,
	V4L2_CID_STATELESS_MPEG2_QUANTISATION,
};

#ifdef V4L2_CID_STATELESS_AV1_SEQUENCE
static const u32 daedalus_sl_fwd_av1[] = {
	V4L2_CID_STATELESS_AV1_SEQUENCE, V4L2_CID_STATELESS_AV1_FRAME,
	V4L2_CID_STATELESS_AV1_TILE_GROUP_ENTRY, V4L2_CID_STATELESS_AV1_FILM_GRAIN,
};
#endif

static const u32 *daedalus_sl_fwd(u32 fourcc, unsigned int *count)
{
	switch (fourcc) {
	case V4L2_PIX_FMT_H264_SLICE:
		*count = ARRAY_SIZE(daedalus_sl_fwd_h264);
		return daedalus_sl_fwd_h264;
	case V4L2_PIX_FMT_HEVC_SLICE:
		*count = ARRAY_SIZE(daedalus_sl_fwd_hevc);
		return daedalus_sl_fwd_hevc;
	case V4L2_PIX_FMT_VP8_FRAME:
		*count = ARRAY_SIZE(daedalus_sl_fwd_vp8);
		return daedalus_sl_fwd_vp8;
	case V4L2_PIX_FMT_VP9_FRAME:
		*count = ARRAY_SIZE(daedalus_sl_fwd_vp9);
		return daedalus_sl_fwd_vp9;
	case V4L2_PIX_FMT_MPEG2_SLICE:
		*count = ARRAY_SIZE(daedalus_sl_fwd_mpeg2);
		return daedalus_sl_fwd_mpeg2;
#ifdef V4L2_CID_STATELESS_AV1_SEQUENCE
	case V4L2_PIX_FMT_AV1_FRAME:
		*count = ARRAY_SIZE(daedalus_sl_fwd_av1);
		return daedalus_sl_fwd_av1;
#endif
	default:
		*count = 0;
		return NULL;
	}
}

/* Bytes a control takes in the blob: its record header, its payload, padding to 8. */
static size_t daedalus_sl_ctrl_space(const struct v4l2_ctrl *ctrl)
{
	return sizeof(struct daedalus_sl_ctrl) + ALIGN(ctrl->elems * ctrl->elem_size, 8);
}

/*
 * Called with ctx->lock held, the request's values applied to ctx->hdl:
 * the forwarded controls' current values as a blob of
 * struct daedalus_sl_ctrl records, or NULL if it cannot be made.
 */
static void *daedalus_sl_snapshot(struct daedalus_ctx *ctx, u32 *len)
{
	struct v4l2_ctrl *ctrls[8];
	unsigned int i, n = 0, count;
	const u32 *ids;
	size_t size = 0;
	u8 *blob, *at;

	ids = daedalus_sl_fwd(ctx->out_fmt.pixelformat, &count);
	if (WARN_ON_ONCE(count > ARRAY_SIZE(ctrls)))
		return NULL;
	for (i = 0; i < count; i++) {
		ctrls[n] = v4l2_ctrl_find(&ctx->hdl, ids[i]);
		if (ctrls[n])
			size += daedalus_sl_ctrl_space(ctrls[n++]);
	}
	if (!size || size > DAEDALUS_SL_CTRLS_MAX)
		return NULL;
	blob = kvzalloc(size, GFP_KERNEL);
	if (!blob)
		return NULL;
	at = blob;
	mutex_lock(ctx->hdl.lock);
	for (i = 0; i < n; i++) {
		struct daedalus_sl_ctrl *rec = (struct daedalus_sl_ctrl *)at;
		u32 bytes = ctrls[i]->elems * ctrls[i]->elem_size;

		rec->id = ctrls[i]->id;
		rec->size = bytes;
		memcpy(rec + 1, ctrls[i]->p_cur.p, bytes);
		at += daedalus_sl_ctrl_space(ctrls[i]);
	}
	mutex_unlock(ctx->hdl.lock);
	*len = size;
	return blob;
}

/**
 * daedalus_sl_buf_queued - a stateless OUTPUT buffer reaches the driver
 * @ctx: the handle, its lock held
 * @vb: the buffer, in its request
 *
 * Applies the request's controls, keeps the forwarded ones with the
 * buffer for the daemon, and completes the request's controls object. A
 * buffer whose controls could not be kept has none: its job fails.
 */
void daedalus_sl_buf_queued(struct daedalus_ctx *ctx, struct vb2_buffer *vb)
{
	struct daedalus_buf *buf = to_daedalus_buf(to_vb2_v4l2_buffer(vb));
	struct media_request *req = vb->req_obj.req;
	unsigned long flags;
	void *blob = NULL, *old;
	u32 len = 0;

	if (req && !v4l2_ctrl_request_setup(req, &ctx->hdl))
		blob = daedalus_sl_snapshot(ctx, &len);
	if (req)
		v4l2_ctrl_request_complete(req, &ctx->hdl);

	spin_lock_irqsave(&ctx->buf_lock, flags);
	old = buf->sl_ctrls;
	buf->sl_ctrls = blob;
	buf->sl_ctrls_len = len;
	spin_unlock_irqrestore(&ctx->buf_lock, flags);
	kvfree(old);
}

/**
 * daedalus_sl_buf_request_complete - a request is cancelled before its buffer reached the driver
 * @vb: its OUTPUT buffer
 *
 * Its controls object must complete for the request to.
 */
void daedalus_sl_buf_request_complete(struct vb2_buffer *vb)
{
	struct daedalus_ctx *ctx = vb2_get_drv_priv(vb->vb2_queue);

	v4l2_ctrl_request_complete(vb->req_obj.req, &ctx->hdl);
}

/**
 * daedalus_sl_buf_release - a buffer's memory goes: its controls with it
 * @buf: the buffer, no longer with the daemon
 */
void daedalus_sl_buf_release(struct daedalus_buf *buf)
{
	kvfree(buf->sl_ctrls);
	buf->sl_ctrls = NULL;
	buf->sl_ctrls_len = 0;
}

/*
 * MEDIA_REQUEST_IOC_QUEUE, under req_queue_mutex: exactly one buffer, an
 * OUTPUT buffer of this node (only OUTPUT queues take requests) of a
 * context that has not failed, then vb2's own checks. Controls are not
 * required in every request: values carry over from earlier ones, and the
 * daemon refuses what it cannot use.
 */
static int daedalus_sl_req_validate(struct media_request *req)
{
	unsigned int count = vb2_request_buffer_cnt(req);
	struct media_request_object *obj;

	if (!count)
		return -ENOENT;
	if (count > 1)
		return -EINVAL;
	list_for_each_entry(obj, &req->objects, list) {
		struct vb2_buffer *vb;

		if (!vb2_request_object_is_buffer(obj))
			continue;
		vb = container_of(obj, struct vb2_buffer, req_obj);
		if (daedalus_sl_refuses(vb2_get_drv_priv(vb->vb2_queue)))
			return -EIO;
	}
	return vb2_request_validate(req);
}

/*
 * Every object of the request is queued; the buffer was bound last (vb2
 * binds buffers at the list's tail), so its controls are in place when
 * buf_queue takes them.
 */
static void daedalus_sl_req_queue(struct media_request *req)
{
	struct media_request_object *obj, *tmp;

	list_for_each_entry_safe(obj, tmp, &req->objects, list)
		if (obj->ops->queue)
			obj->ops->queue(obj);
}

/*
 * A request fd outlives the video node and the media device's users; its
 * release calls back into this module (req_free, the media device's ops).
 * Each request holds the module, so rmmod waits until every one is closed.
 */
static struct media_request *daedalus_sl_req_alloc(struct media_device *mdev)
{
	struct media_request *req;

	if (!try_module_get(THIS_MODULE))
		return NULL;
	req = kzalloc(sizeof(*req), GFP_KERNEL);
	if (!req)
		module_put(THIS_MODULE);
	return req;
}

static void daedalus_sl_req_free(struct media_request *req)
{
	kfree(req);
	module_put(THIS_MODULE);
}

const struct media_device_ops daedalus_sl_media_ops = {
	.req_validate = daedalus_sl_req_validate,
	.req_queue = daedalus_sl_req_queue,
	.req_alloc = daedalus_sl_req_alloc,
	.req_free = daedalus_sl_req_free,
};

/**
 * daedalus_sl_ctrls_for_daemon - DAEDALUS_IOC_SL_CTRLS: a request's controls
 * @ddev: the device
 * @session: the caller's bridge session
 * @uarg: the caller's struct daedalus_sl_ctrls
 *
 * Only a request whose OUTPUT buffer is with the daemon under the tag
 * given; the blob is copied out under buf_lock, then to the caller.
 *
 * Return: 0; -ENOENT for an unknown or stateful context, -ESTALE for a
 * buffer no longer with the daemon, -ENOSPC if @size is too small, or
 * another negative errno.
 */
long daedalus_sl_ctrls_for_daemon(struct daedalus_dev *ddev, u32 session,
				  struct daedalus_sl_ctrls __user *uarg)
{
	struct daedalus_sl_ctrls sc;
	struct daedalus_buf *buf;
	struct daedalus_ctx *ctx;
	unsigned long flags;
	u32 len = 0;
	void *copy;
	bool stale;
	int ret;

	if (copy_from_user(&sc, uarg, sizeof(sc)))
		return -EFAULT;
	if (sc.reserved[0] || sc.reserved[1])
		return -EINVAL;
	ctx = daedalus_ctx_get(ddev, sc.ctx_id, &stale);
	if (!ctx)
		return stale ? -ESTALE : -ENOENT;
	if (!ctx->stateless) {
		daedalus_ctx_put(ctx);
		return -ENOENT;
	}
	copy = kvmalloc(DAEDALUS_SL_CTRLS_MAX, GFP_KERNEL);
	if (!copy) {
		daedalus_ctx_put(ctx);
		return -ENOMEM;
	}

	spin_lock_irqsave(&ctx->buf_lock, flags);
	ret = daedalus_handover_find(ctx, session, DAEDALUS_QUEUE_OUTPUT, sc.tag, sc.index, &buf);
	if (ret > 0) {
		ret = -ESTALE;
	} else if (ret < 0) {
		ret = -EINVAL;
	} else if (!buf->sl_ctrls) {
		ret = -ENODATA;
	} else {
		len = buf->sl_ctrls_len;
		if (len <= sc.size)
			memcpy(copy, buf->sl_ctrls, len);
		else
			ret = -ENOSPC;
	}
	spin_unlock_irqrestore(&ctx->buf_lock, flags);
	daedalus_ctx_put(ctx);

	if (!ret && (copy_to_user(u64_to_user_ptr(sc.ptr), copy, len) ||
		     put_user(len, &uarg->size)))
		ret = -EFAULT;
	kvfree(copy);
	return ret;
}
