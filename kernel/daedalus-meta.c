// SPDX-License-Identifier: GPL-2.0-only
/*
 * What a frame inherits from its bitstream buffer besides the timestamp
 * (V4L2_BUF_FLAG_TIMESTAMP_COPY): the timecode and the timestamp source
 * flags. The daemon only carries timestamps, so the rest is remembered
 * here, keyed by timestamp, for the last DAEDALUS_META_KEEP buffers.
 */
#include "daedalus.h"

/**
 * daedalus_meta_keep - remember what a bitstream buffer carried
 * @ctx: the handle, buf_lock held
 * @vbuf: the bitstream buffer going to the daemon
 */
void daedalus_meta_keep(struct daedalus_ctx *ctx, const struct vb2_v4l2_buffer *vbuf)
{
	struct daedalus_meta *meta = &ctx->meta[ctx->meta_next++ % DAEDALUS_META_KEEP];

	meta->timestamp = vbuf->vb2_buf.timestamp;
	meta->flags = vbuf->flags & (V4L2_BUF_FLAG_TIMECODE | V4L2_BUF_FLAG_TSTAMP_SRC_MASK);
	meta->timecode = vbuf->timecode;
}

/**
 * daedalus_meta_copy - a frame takes what the bitstream buffer it started in carried
 * @ctx: the handle, buf_lock held
 * @vbuf: the frame, its timestamp set
 */
void daedalus_meta_copy(struct daedalus_ctx *ctx, struct vb2_v4l2_buffer *vbuf)
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

/**
 * daedalus_meta_pair - a stateless frame takes its request's metadata
 * @out: the request's bitstream buffer
 * @cap: the frame buffer decoded from it
 *
 * What v4l2-mem2mem copies for its stateless drivers: the timestamp (the
 * client's name for the picture), timecode, field and frame-type flags;
 * marked copied, as vb2_find_buffer() only looks up such timestamps.
 */
void daedalus_meta_pair(const struct vb2_v4l2_buffer *out, struct vb2_v4l2_buffer *cap)
{
	const u32 mask = V4L2_BUF_FLAG_TIMECODE | V4L2_BUF_FLAG_TSTAMP_SRC_MASK |
			 V4L2_BUF_FLAG_KEYFRAME | V4L2_BUF_FLAG_PFRAME | V4L2_BUF_FLAG_BFRAME;

	cap->vb2_buf.timestamp = out->vb2_buf.timestamp;
	cap->timecode = out->timecode;
	cap->field = out->field;
	cap->flags = (cap->flags & ~mask) | (out->flags & mask);
	cap->vb2_buf.copied_timestamp = 1;
}
