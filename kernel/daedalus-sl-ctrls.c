// SPDX-License-Identifier: GPL-2.0-only
/*
 * The stateless node's codec controls (the kernel's stateless codec control
 * reference): every control of every codec this kernel defines, so that a
 * client finds the sizes it checks whatever it decodes. The V4L2 core
 * validates each compound control; try_ctrl adds what the daemon cannot
 * decode (chroma formats other than 4:2:0, and H.264's monochrome, depths
 * other than 8 and 10 bits, sizes beyond its limit), and s_ctrl lets the stream's bit depth
 * choose the CAPTURE layout, as dev-stateless-decoder.rst's
 * initialization asks. This file alone writes a stateless context's
 * bit_depth.
 */
#include <linux/module.h>
#include <media/v4l2-ctrls.h>

#include "daedalus.h"

/*
 * Which of the two ways of the H.264 and HEVC controls a client finds set:
 * whole pictures with start codes (hantro, rkvdec) or one slice a request
 * without them (cedrus). Both are always accepted; clients such as
 * GStreamer follow what they find, so the tests drive both paths.
 */
static bool slice_mode;
module_param_named(stateless_slice_mode, slice_mode, bool, 0444);
MODULE_PARM_DESC(stateless_slice_mode,
		 "stateless H.264/HEVC default to one slice a request without start codes (default: whole pictures, Annex B)");

/* A 4:2:0 8-bit default, so that an untouched SPS is a valid one. */
static const struct v4l2_ctrl_h264_sps daedalus_sl_h264_sps_def = {
	.chroma_format_idc = 1,
};

static const struct v4l2_ctrl_hevc_sps daedalus_sl_hevc_sps_def = {
	.chroma_format_idc = 1,
};

#ifdef V4L2_CID_STATELESS_AV1_SEQUENCE
static const struct v4l2_ctrl_av1_sequence daedalus_sl_av1_sequence_def = {
	.flags = V4L2_AV1_SEQUENCE_FLAG_SUBSAMPLING_X | V4L2_AV1_SEQUENCE_FLAG_SUBSAMPLING_Y,
	.bit_depth = 8,
};
#endif

/* The most HEVC slices and entry points one request carries. */
#define DAEDALUS_SL_HEVC_SLICES		600
#define DAEDALUS_SL_HEVC_ENTRY_POINTS	256

static const struct v4l2_ctrl_ops daedalus_sl_ctrl_ops;

/* One control; @codec is the DAEDALUS_CODEC_* it belongs to. */
struct daedalus_sl_ctrl_def {
	unsigned int codec;
	struct v4l2_ctrl_config cfg;
};

static const struct daedalus_sl_ctrl_def daedalus_sl_ctrl_defs[] = {
	{ DAEDALUS_CODEC_H264, { .id = V4L2_CID_STATELESS_H264_SPS,
				 .ops = &daedalus_sl_ctrl_ops,
				 .p_def.p_const = &daedalus_sl_h264_sps_def } },
	{ DAEDALUS_CODEC_H264, { .id = V4L2_CID_STATELESS_H264_PPS } },
	{ DAEDALUS_CODEC_H264, { .id = V4L2_CID_STATELESS_H264_SCALING_MATRIX } },
	{ DAEDALUS_CODEC_H264, { .id = V4L2_CID_STATELESS_H264_PRED_WEIGHTS } },
	{ DAEDALUS_CODEC_H264, { .id = V4L2_CID_STATELESS_H264_SLICE_PARAMS } },
	{ DAEDALUS_CODEC_H264, { .id = V4L2_CID_STATELESS_H264_DECODE_PARAMS } },
	{ DAEDALUS_CODEC_H264, { .id = V4L2_CID_STATELESS_H264_DECODE_MODE,
				 .min = V4L2_STATELESS_H264_DECODE_MODE_SLICE_BASED,
				 .max = V4L2_STATELESS_H264_DECODE_MODE_FRAME_BASED,
				 .def = V4L2_STATELESS_H264_DECODE_MODE_FRAME_BASED } },
	{ DAEDALUS_CODEC_H264, { .id = V4L2_CID_STATELESS_H264_START_CODE,
				 .min = V4L2_STATELESS_H264_START_CODE_NONE,
				 .max = V4L2_STATELESS_H264_START_CODE_ANNEX_B,
				 .def = V4L2_STATELESS_H264_START_CODE_ANNEX_B } },
	{ DAEDALUS_CODEC_HEVC, { .id = V4L2_CID_STATELESS_HEVC_SPS,
				 .ops = &daedalus_sl_ctrl_ops,
				 .p_def.p_const = &daedalus_sl_hevc_sps_def } },
	{ DAEDALUS_CODEC_HEVC, { .id = V4L2_CID_STATELESS_HEVC_PPS } },
	{ DAEDALUS_CODEC_HEVC, { .id = V4L2_CID_STATELESS_HEVC_SLICE_PARAMS,
				 .flags = V4L2_CTRL_FLAG_DYNAMIC_ARRAY,
				 .dims = { DAEDALUS_SL_HEVC_SLICES } } },
	{ DAEDALUS_CODEC_HEVC, { .id = V4L2_CID_STATELESS_HEVC_SCALING_MATRIX } },
	{ DAEDALUS_CODEC_HEVC, { .id = V4L2_CID_STATELESS_HEVC_DECODE_PARAMS } },
	{ DAEDALUS_CODEC_HEVC, { .id = V4L2_CID_STATELESS_HEVC_DECODE_MODE,
				 .min = V4L2_STATELESS_HEVC_DECODE_MODE_SLICE_BASED,
				 .max = V4L2_STATELESS_HEVC_DECODE_MODE_FRAME_BASED,
				 .def = V4L2_STATELESS_HEVC_DECODE_MODE_FRAME_BASED } },
	{ DAEDALUS_CODEC_HEVC, { .id = V4L2_CID_STATELESS_HEVC_START_CODE,
				 .min = V4L2_STATELESS_HEVC_START_CODE_NONE,
				 .max = V4L2_STATELESS_HEVC_START_CODE_ANNEX_B,
				 .def = V4L2_STATELESS_HEVC_START_CODE_ANNEX_B } },
	{ DAEDALUS_CODEC_HEVC, { .id = V4L2_CID_STATELESS_HEVC_ENTRY_POINT_OFFSETS,
				 .flags = V4L2_CTRL_FLAG_DYNAMIC_ARRAY,
				 .dims = { DAEDALUS_SL_HEVC_ENTRY_POINTS },
				 .max = 0xffffffff, .step = 1 } },
	{ DAEDALUS_CODEC_VP8, { .id = V4L2_CID_STATELESS_VP8_FRAME } },
	{ DAEDALUS_CODEC_VP9, { .id = V4L2_CID_STATELESS_VP9_FRAME,
				.ops = &daedalus_sl_ctrl_ops } },
	{ DAEDALUS_CODEC_VP9, { .id = V4L2_CID_STATELESS_VP9_COMPRESSED_HDR } },
	{ DAEDALUS_CODEC_MPEG2, { .id = V4L2_CID_STATELESS_MPEG2_SEQUENCE,
				  .ops = &daedalus_sl_ctrl_ops } },
	{ DAEDALUS_CODEC_MPEG2, { .id = V4L2_CID_STATELESS_MPEG2_PICTURE } },
	{ DAEDALUS_CODEC_MPEG2, { .id = V4L2_CID_STATELESS_MPEG2_QUANTISATION } },
#ifdef V4L2_CID_STATELESS_AV1_SEQUENCE
	{ DAEDALUS_CODEC_AV1, { .id = V4L2_CID_STATELESS_AV1_SEQUENCE,
				.ops = &daedalus_sl_ctrl_ops,
				.p_def.p_const = &daedalus_sl_av1_sequence_def } },
	{ DAEDALUS_CODEC_AV1, { .id = V4L2_CID_STATELESS_AV1_FRAME } },
	{ DAEDALUS_CODEC_AV1, { .id = V4L2_CID_STATELESS_AV1_TILE_GROUP_ENTRY,
				.flags = V4L2_CTRL_FLAG_DYNAMIC_ARRAY,
				.dims = { V4L2_AV1_MAX_TILE_COUNT } } },
	{ DAEDALUS_CODEC_AV1, { .id = V4L2_CID_STATELESS_AV1_FILM_GRAIN } },
#endif
};

/**
 * daedalus_sl_kernel_codecs - the codecs whose stateless uAPI this kernel has
 *
 * Return: a bit set of DAEDALUS_CODEC_*; AV1's came in 6.5.
 */
u32 daedalus_sl_kernel_codecs(void)
{
	u32 codecs = 0;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(daedalus_sl_ctrl_defs); i++)
		codecs |= BIT(daedalus_sl_ctrl_defs[i].codec);
	return codecs;
}

static bool daedalus_sl_is_mode_ctrl(u32 id)
{
	return id == V4L2_CID_STATELESS_H264_DECODE_MODE ||
	       id == V4L2_CID_STATELESS_H264_START_CODE ||
	       id == V4L2_CID_STATELESS_HEVC_DECODE_MODE ||
	       id == V4L2_CID_STATELESS_HEVC_START_CODE;
}

static struct daedalus_ctx *daedalus_sl_ctrl_ctx(struct v4l2_ctrl *ctrl)
{
	return container_of(ctrl->handler, struct daedalus_ctx, hdl);
}

/*
 * The bit depth a stream-level control asks for, or 0 if it describes
 * nothing the daemon decodes (other chroma formats, other depths, luma and
 * chroma depths that differ). A size of 0 is the untouched default.
 */
static u32 daedalus_sl_ctrl_depth(struct v4l2_ctrl *ctrl, union v4l2_ctrl_ptr p,
				  u32 *width, u32 *height)
{
	const struct v4l2_ctrl_h264_sps *h264 = p.p_h264_sps;
	const struct v4l2_ctrl_hevc_sps *hevc = p.p_hevc_sps;
	const struct v4l2_ctrl_vp9_frame *vp9 = p.p_vp9_frame;
	const struct v4l2_ctrl_mpeg2_sequence *mpeg2 = p.p_mpeg2_sequence;
	u32 luma;

	*width = 0;
	*height = 0;
	switch (ctrl->id) {
	case V4L2_CID_STATELESS_H264_SPS:
		/* Monochrome too: libavcodec gives it as 4:2:0 with neutral chroma. */
		if (h264->chroma_format_idc > 1 ||
		    h264->bit_depth_luma_minus8 != h264->bit_depth_chroma_minus8)
			return 0;
		*width = (h264->pic_width_in_mbs_minus1 + 1) * 16;
		/* Map units are field macroblock pairs in field-coded streams. */
		*height = (h264->pic_height_in_map_units_minus1 + 1) * 16 *
			  (h264->flags & V4L2_H264_SPS_FLAG_FRAME_MBS_ONLY ? 1 : 2);
		luma = h264->bit_depth_luma_minus8 + 8;
		break;
	case V4L2_CID_STATELESS_HEVC_SPS:
		if (hevc->chroma_format_idc != 1 ||
		    hevc->bit_depth_luma_minus8 != hevc->bit_depth_chroma_minus8)
			return 0;
		*width = hevc->pic_width_in_luma_samples;
		*height = hevc->pic_height_in_luma_samples;
		luma = hevc->bit_depth_luma_minus8 + 8;
		break;
	case V4L2_CID_STATELESS_VP9_FRAME:
		if (!(vp9->flags & V4L2_VP9_FRAME_FLAG_X_SUBSAMPLING) ||
		    !(vp9->flags & V4L2_VP9_FRAME_FLAG_Y_SUBSAMPLING))
			return 0;
		*width = vp9->frame_width_minus_1 + 1;
		*height = vp9->frame_height_minus_1 + 1;
		luma = vp9->bit_depth;
		break;
	case V4L2_CID_STATELESS_MPEG2_SEQUENCE:
		if (mpeg2->chroma_format != 1)
			return 0;
		*width = mpeg2->horizontal_size;
		*height = mpeg2->vertical_size;
		luma = 8;
		break;
#ifdef V4L2_CID_STATELESS_AV1_SEQUENCE
	case V4L2_CID_STATELESS_AV1_SEQUENCE:
		if ((p.p_av1_sequence->flags & V4L2_AV1_SEQUENCE_FLAG_MONO_CHROME) ||
		    !(p.p_av1_sequence->flags & V4L2_AV1_SEQUENCE_FLAG_SUBSAMPLING_X) ||
		    !(p.p_av1_sequence->flags & V4L2_AV1_SEQUENCE_FLAG_SUBSAMPLING_Y))
			return 0;
		*width = p.p_av1_sequence->max_frame_width_minus_1 + 1;
		*height = p.p_av1_sequence->max_frame_height_minus_1 + 1;
		luma = p.p_av1_sequence->bit_depth;
		break;
#endif
	default:
		return 0;
	}
	return luma == 8 || luma == 10 ? luma : 0;
}

static int daedalus_sl_try_ctrl(struct v4l2_ctrl *ctrl)
{
	struct daedalus_ctx *ctx = daedalus_sl_ctrl_ctx(ctrl);
	struct daedalus_caps caps;
	u32 width, height;

	if (!daedalus_sl_ctrl_depth(ctrl, ctrl->p_new, &width, &height))
		return -EINVAL;
	daedalus_ctx_caps(ctx, &caps);
	if (width > caps.max_width || height > caps.max_height)
		return -EINVAL;
	return 0;
}

/*
 * The stream's bit depth chooses the CAPTURE layout while CAPTURE has no
 * buffers; with buffers, a stream of another depth cannot be decoded
 * into them (EBUSY: the client reallocates first).
 */
static int daedalus_sl_s_ctrl(struct v4l2_ctrl *ctrl)
{
	struct daedalus_ctx *ctx = daedalus_sl_ctrl_ctx(ctrl);
	struct daedalus_caps caps;
	u32 width, height, depth;

	depth = daedalus_sl_ctrl_depth(ctrl, ctrl->p_new, &width, &height);
	if (!depth || depth == ctx->bit_depth)
		return 0;
	/* The controls' first setup, at open, sets no stream yet. */
	if (!ctx->bit_depth && depth == 8 && !width)
		return 0;
	if (vb2_is_busy(&ctx->cap_q))
		return -EBUSY;
	ctx->bit_depth = depth;
	daedalus_ctx_caps(ctx, &caps);
	daedalus_fmt_adjust_raw(&caps, depth, &ctx->cap_fmt);
	return 0;
}

static const struct v4l2_ctrl_ops daedalus_sl_ctrl_ops = {
	.try_ctrl = daedalus_sl_try_ctrl,
	.s_ctrl = daedalus_sl_s_ctrl,
};

/**
 * daedalus_sl_ctrls_init - the controls of a new stateless handle
 * @ctx: the handle
 *
 * Return: 0 or a negative errno.
 */
int daedalus_sl_ctrls_init(struct daedalus_ctx *ctx)
{
	struct v4l2_ctrl_handler *hdl = &ctx->hdl;
	unsigned int i;

	v4l2_ctrl_handler_init(hdl, ARRAY_SIZE(daedalus_sl_ctrl_defs) + DAEDALUS_CODEC_MENUS);
	for (i = 0; i < ARRAY_SIZE(daedalus_sl_ctrl_defs); i++) {
		struct v4l2_ctrl_config cfg = daedalus_sl_ctrl_defs[i].cfg;

		/* Decode modes and start codes: .min is the slice-based way. */
		if (slice_mode && daedalus_sl_is_mode_ctrl(cfg.id))
			cfg.def = cfg.min;
		v4l2_ctrl_new_custom(hdl, &cfg, NULL);
	}
	daedalus_codec_menus_add(hdl);
	if (hdl->error) {
		int ret = hdl->error;

		v4l2_ctrl_handler_free(hdl);
		return ret;
	}
	ctx->fh.ctrl_handler = hdl;
	return 0;
}
