// SPDX-License-Identifier: GPL-2.0-only
/*
 * References a request names that no frame buffer carries. A stateless
 * client names each reference picture by the timestamp its CAPTURE buffer
 * took when it was paired with the picture's request
 * (dev-stateless-decoder.rst). The daemon's decoder keeps its own copy of
 * every reference, so such a name does not stop it: the request is
 * decoded all the same (the decoder conceals, as hardware does), but the
 * client must hear that it asked for something that is not there, so the
 * frame completes with ERROR. Which references a picture uses is read
 * from the request's own controls, as the kernel kept them for the daemon
 * (daedalus-sl-request.c): the codec's decode parameters, skipped for
 * intra pictures.
 */
#include "daedalus.h"

/* The payload of control @id in @out's controls, if it holds @size bytes. */
static const void *daedalus_sl_refs_ctrl(const struct daedalus_buf *out, u32 id, size_t size)
{
	const u8 *at = out->sl_ctrls, *end = at + out->sl_ctrls_len;

	while (at && end - at >= sizeof(struct daedalus_sl_ctrl)) {
		const struct daedalus_sl_ctrl *rec = (const void *)at;

		if (rec->size > end - at - sizeof(*rec))
			return NULL;
		if (rec->id == id)
			return rec->size >= size ? rec + 1 : NULL;
		at += sizeof(*rec) + ALIGN(rec->size, 8);
	}
	return NULL;
}

/* Up to @max reference timestamps of an H.264 picture into @ts; their count. */
static unsigned int daedalus_sl_refs_h264(const struct daedalus_buf *out, u64 *ts, unsigned int max)
{
	const u32 used = V4L2_H264_DPB_ENTRY_FLAG_VALID | V4L2_H264_DPB_ENTRY_FLAG_ACTIVE;
	const struct v4l2_ctrl_h264_decode_params *dp;
	unsigned int i, n = 0;

	dp = daedalus_sl_refs_ctrl(out, V4L2_CID_STATELESS_H264_DECODE_PARAMS, sizeof(*dp));
	if (!dp || dp->flags & V4L2_H264_DECODE_PARAM_FLAG_IDR_PIC)
		return 0;
	for (i = 0; i < ARRAY_SIZE(dp->dpb) && n < max; i++)
		if ((dp->dpb[i].flags & used) == used)
			ts[n++] = dp->dpb[i].reference_ts;
	return n;
}

static unsigned int daedalus_sl_refs_hevc(const struct daedalus_buf *out, u64 *ts, unsigned int max)
{
	const struct v4l2_ctrl_hevc_decode_params *dp;
	unsigned int i, n;

	dp = daedalus_sl_refs_ctrl(out, V4L2_CID_STATELESS_HEVC_DECODE_PARAMS, sizeof(*dp));
	if (!dp)
		return 0;
	n = min3((unsigned int)dp->num_active_dpb_entries, (unsigned int)ARRAY_SIZE(dp->dpb), max);
	for (i = 0; i < n; i++)
		ts[i] = dp->dpb[i].timestamp;
	return n;
}

static unsigned int daedalus_sl_refs_vp8(const struct daedalus_buf *out, u64 *ts)
{
	const struct v4l2_ctrl_vp8_frame *f;

	f = daedalus_sl_refs_ctrl(out, V4L2_CID_STATELESS_VP8_FRAME, sizeof(*f));
	if (!f || f->flags & V4L2_VP8_FRAME_FLAG_KEY_FRAME)
		return 0;
	ts[0] = f->last_frame_ts;
	ts[1] = f->golden_frame_ts;
	ts[2] = f->alt_frame_ts;
	return 3;
}

static unsigned int daedalus_sl_refs_vp9(const struct daedalus_buf *out, u64 *ts)
{
	const struct v4l2_ctrl_vp9_frame *f;

	f = daedalus_sl_refs_ctrl(out, V4L2_CID_STATELESS_VP9_FRAME, sizeof(*f));
	if (!f || f->flags & (V4L2_VP9_FRAME_FLAG_KEY_FRAME | V4L2_VP9_FRAME_FLAG_INTRA_ONLY))
		return 0;
	ts[0] = f->last_frame_ts;
	ts[1] = f->golden_frame_ts;
	ts[2] = f->alt_frame_ts;
	return 3;
}

/* P pictures predict from the forward reference, B pictures from both. */
static unsigned int daedalus_sl_refs_mpeg2(const struct daedalus_buf *out, u64 *ts)
{
	const struct v4l2_ctrl_mpeg2_picture *p;

	p = daedalus_sl_refs_ctrl(out, V4L2_CID_STATELESS_MPEG2_PICTURE, sizeof(*p));
	if (!p)
		return 0;
	switch (p->picture_coding_type) {
	case V4L2_MPEG2_PIC_CODING_TYPE_P:
		ts[0] = p->forward_ref_ts;
		return 1;
	case V4L2_MPEG2_PIC_CODING_TYPE_B:
		ts[0] = p->forward_ref_ts;
		ts[1] = p->backward_ref_ts;
		return 2;
	default:
		return 0;
	}
}

/**
 * daedalus_sl_refs_check - whether every reference of a request has a frame buffer
 * @ctx: a stateless context, buf_lock held
 * @out: the request's OUTPUT buffer, its controls kept
 *
 * A reference that matches no CAPTURE buffer's timestamp is logged
 * (rate-limited: a client that gets it wrong gets it wrong often).
 *
 * Return: false if one is missing.
 */
bool daedalus_sl_refs_check(struct daedalus_ctx *ctx, const struct daedalus_buf *out)
{
	u64 ts[V4L2_HEVC_DPB_ENTRIES_NUM_MAX];
	unsigned int i, n;

	BUILD_BUG_ON(ARRAY_SIZE(ts) < ARRAY_SIZE(((struct v4l2_ctrl_h264_decode_params *)0)->dpb));
	switch (ctx->out_fmt.pixelformat) {
	case V4L2_PIX_FMT_H264_SLICE:
		n = daedalus_sl_refs_h264(out, ts, ARRAY_SIZE(ts));
		break;
	case V4L2_PIX_FMT_HEVC_SLICE:
		n = daedalus_sl_refs_hevc(out, ts, ARRAY_SIZE(ts));
		break;
	case V4L2_PIX_FMT_VP8_FRAME:
		n = daedalus_sl_refs_vp8(out, ts);
		break;
	case V4L2_PIX_FMT_VP9_FRAME:
		n = daedalus_sl_refs_vp9(out, ts);
		break;
	case V4L2_PIX_FMT_MPEG2_SLICE:
		n = daedalus_sl_refs_mpeg2(out, ts);
		break;
	default:
		n = 0;
	}
	for (i = 0; i < n; i++) {
		if (vb2_find_buffer(&ctx->cap_q, ts[i]))
			continue;
		dev_info_ratelimited(ctx->dev->v4l2_dev.dev,
				     "context %u: request %llu names reference %llu, which no frame buffer carries\n",
				     ctx->id, out->vb.vb2_buf.timestamp, ts[i]);
		return false;
	}
	return true;
}
