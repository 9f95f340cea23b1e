// SPDX-License-Identifier: GPL-2.0-only
/*
 * A picture that takes several requests (dev-stateless-decoder.rst,
 * V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF): the slices of a slice-based H.264 or
 * HEVC picture, or the two fields of an H.264 frame, each in a request of
 * its own, all with the picture's timestamp and all but the last flagged
 * HOLD. Their frame buffer stays with the daemon, held, while they come;
 * it is finished (SL_FINISH) when a request names another picture, on
 * V4L2_DEC_CMD_FLUSH, or by the last request, which has no HOLD flag.
 *
 * This file alone writes the hold's fields (sl_held_tag, sl_held_ts,
 * sl_holding). The held buffer is named by its tag and found on the
 * active list, so a buffer taken back for any reason (a STREAMOFF, the
 * daemon's loss, the watchdog) is no longer held without anyone saying so.
 * Every function but daedalus_sl_hold_caps() is called with buf_lock held.
 */
#include "daedalus.h"

/* The buffer held for more requests of its picture, if it is still with the daemon. */
struct daedalus_buf *daedalus_sl_hold_find(struct daedalus_ctx *ctx)
{
	struct daedalus_buf *buf;

	if (!ctx->sl_holding)
		return NULL;
	list_for_each_entry(buf, &ctx->cap_active, list)
		if (buf->tag == ctx->sl_held_tag)
			return buf;
	ctx->sl_holding = false;
	return NULL;
}

/*
 * Whether @out belongs to the held picture: the same timestamp (v4l2-mem2mem
 * compares them the same way).
 */
bool daedalus_sl_hold_continues(struct daedalus_ctx *ctx, const struct daedalus_buf *out)
{
	return daedalus_sl_hold_find(ctx) && out->vb.vb2_buf.timestamp == ctx->sl_held_ts;
}

/* @cap is held from now on for the picture of timestamp @ts. */
void daedalus_sl_hold_begin(struct daedalus_ctx *ctx, const struct daedalus_buf *cap, u64 ts)
{
	ctx->sl_holding = true;
	ctx->sl_held_tag = cap->tag;
	ctx->sl_held_ts = ts;
}

/*
 * The hold ends: the held buffer, if any, is returned for the caller to
 * finish (SL_FINISH); it stays with the daemon until its FRAME.
 */
struct daedalus_buf *daedalus_sl_hold_end(struct daedalus_ctx *ctx)
{
	struct daedalus_buf *held = daedalus_sl_hold_find(ctx);

	ctx->sl_holding = false;
	return held;
}

/*
 * V4L2_DEC_CMD_FLUSH: a request not yet with the daemon loses its HOLD
 * flag, so the picture ends with it; with none, the held buffer is
 * returned for the caller to finish.
 */
struct daedalus_buf *daedalus_sl_hold_flush(struct daedalus_ctx *ctx)
{
	struct daedalus_buf *last;

	if (!list_empty(&ctx->out_pending)) {
		last = list_last_entry(&ctx->out_pending, struct daedalus_buf, list);
		last->vb.flags &= ~V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF;
		return NULL;
	}
	return daedalus_sl_hold_end(ctx);
}

/**
 * daedalus_sl_hold_caps - offer HOLD_CAPTURE_BUF for the formats that use it
 * @ctx: a stateless handle, its OUTPUT format just set; its lock held
 *
 * H.264 and HEVC pictures may take several requests; VP8, VP9, AV1 and
 * MPEG-2 ones never do, as cedrus offers it.
 */
void daedalus_sl_hold_caps(struct daedalus_ctx *ctx)
{
	u32 fourcc = ctx->out_fmt.pixelformat;

	if (fourcc == V4L2_PIX_FMT_H264_SLICE || fourcc == V4L2_PIX_FMT_HEVC_SLICE)
		ctx->out_q.subsystem_flags |= VB2_V4L2_FL_SUPPORTS_M2M_HOLD_CAPTURE_BUF;
	else
		ctx->out_q.subsystem_flags &= ~VB2_V4L2_FL_SUPPORTS_M2M_HOLD_CAPTURE_BUF;
}
