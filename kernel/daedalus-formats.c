// SPDX-License-Identifier: GPL-2.0-only
/*
 * The formats of the two queues, filtered by what the connected daemon
 * announced, and the adjust-don't-reject rules of TRY_FMT/S_FMT.
 */
#include <linux/kernel.h>
#include <linux/sizes.h>
#include <media/v4l2-common.h>

#include "daedalus.h"

/*
 * Enumeration order is preference order. Start-code formats are parsed by
 * the daemon (libavcodec's parsers), so their buffers may hold any chunk of
 * the byte stream; VP8, VP9 and AV1 have no start codes and need one frame
 * (temporal unit) per buffer.
 */
static const struct daedalus_coded_fmt daedalus_coded_fmts[] = {
	{ V4L2_PIX_FMT_H264, DAEDALUS_CODEC_H264, NULL, true },
	{ V4L2_PIX_FMT_HEVC, DAEDALUS_CODEC_HEVC, NULL, true },
	{ V4L2_PIX_FMT_VP8, DAEDALUS_CODEC_VP8, NULL, false },
	{ V4L2_PIX_FMT_VP9, DAEDALUS_CODEC_VP9, NULL, false },
	{ V4L2_PIX_FMT_AV1, DAEDALUS_CODEC_AV1, "AV1", false },
	{ V4L2_PIX_FMT_MPEG2, DAEDALUS_CODEC_MPEG2, NULL, true },
};

/*
 * The stateless node's: one picture (or slice) per buffer, its headers
 * in the codec controls (dev-stateless-decoder.rst).
 */
static const struct daedalus_coded_fmt daedalus_sl_coded_fmts[] = {
	{ V4L2_PIX_FMT_H264_SLICE, DAEDALUS_CODEC_H264, NULL, false },
	{ V4L2_PIX_FMT_HEVC_SLICE, DAEDALUS_CODEC_HEVC, NULL, false },
	{ V4L2_PIX_FMT_VP8_FRAME, DAEDALUS_CODEC_VP8, NULL, false },
	{ V4L2_PIX_FMT_VP9_FRAME, DAEDALUS_CODEC_VP9, NULL, false },
	{ V4L2_PIX_FMT_AV1_FRAME, DAEDALUS_CODEC_AV1, NULL, false },
	{ V4L2_PIX_FMT_MPEG2_SLICE, DAEDALUS_CODEC_MPEG2, NULL, false },
};

/* NV12 first: it is what most clients (and Firefox's probe) look for. */
static const struct daedalus_raw_fmt daedalus_raw_fmts[] = {
	{ V4L2_PIX_FMT_NV12, DAEDALUS_PIXFMT_NV12 },
	{ V4L2_PIX_FMT_YUV420, DAEDALUS_PIXFMT_YUV420 },
	{ V4L2_PIX_FMT_P010, DAEDALUS_PIXFMT_P010 },
};

/* Bitstream buffers: never smaller than this, never larger than that. */
#define DAEDALUS_OUT_MIN_SIZE	SZ_1M
#define DAEDALUS_OUT_MAX_SIZE	SZ_64M

/**
 * daedalus_node_caps - what the node offers now
 * @ddev: the device
 * @caps: filled with the connected daemon's announcement; with no daemon,
 *	no codec and the one CAPTURE layout the node defaults to; @codecs are
 *	the stateful node's
 */
void daedalus_node_caps(struct daedalus_dev *ddev, struct daedalus_caps *caps)
{
	struct daedalus_bridge *br = &ddev->bridge;

	spin_lock(&br->lock);
	if (br->hello_done) {
		*caps = br->caps;
	} else {
		*caps = (struct daedalus_caps){
			.codecs = 0,
			.pixfmts = BIT(DAEDALUS_PIXFMT_NV12),
			.max_width = DAEDALUS_DEF_MAX_DIM,
			.max_height = DAEDALUS_DEF_MAX_DIM,
		};
	}
	spin_unlock(&br->lock);
}

/**
 * daedalus_ctx_caps - what the node of a handle offers now
 * @ctx: the handle
 * @caps: as daedalus_node_caps(), with @codecs those of @ctx's node
 */
void daedalus_ctx_caps(const struct daedalus_ctx *ctx, struct daedalus_caps *caps)
{
	daedalus_node_caps(ctx->dev, caps);
	if (ctx->stateless) {
		caps->codecs = caps->sl_codecs;
		caps->stateless = true;
	}
}

static const struct daedalus_coded_fmt *daedalus_coded_table(const struct daedalus_caps *caps,
							     unsigned int *count)
{
	if (caps->stateless) {
		*count = ARRAY_SIZE(daedalus_sl_coded_fmts);
		return daedalus_sl_coded_fmts;
	}
	*count = ARRAY_SIZE(daedalus_coded_fmts);
	return daedalus_coded_fmts;
}

const struct daedalus_coded_fmt *daedalus_coded_enum(const struct daedalus_caps *caps,
						     unsigned int index)
{
	const struct daedalus_coded_fmt *fmts;
	unsigned int i, count;

	fmts = daedalus_coded_table(caps, &count);
	for (i = 0; i < count; i++) {
		if (!(caps->codecs & BIT(fmts[i].codec)))
			continue;
		if (!index--)
			return &fmts[i];
	}
	return NULL;
}

const struct daedalus_coded_fmt *daedalus_coded_find(const struct daedalus_caps *caps,
						     u32 fourcc)
{
	const struct daedalus_coded_fmt *fmts;
	unsigned int i, count;

	fmts = daedalus_coded_table(caps, &count);
	for (i = 0; i < count; i++)
		if (fmts[i].fourcc == fourcc && (caps->codecs & BIT(fmts[i].codec)))
			return &fmts[i];
	return NULL;
}

const struct daedalus_raw_fmt *daedalus_raw_enum(const struct daedalus_caps *caps,
						 unsigned int index)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(daedalus_raw_fmts); i++) {
		if (!(caps->pixfmts & BIT(daedalus_raw_fmts[i].pixfmt)))
			continue;
		if (!index--)
			return &daedalus_raw_fmts[i];
	}
	return NULL;
}

const struct daedalus_raw_fmt *daedalus_raw_find(const struct daedalus_caps *caps,
						 u32 fourcc)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(daedalus_raw_fmts); i++)
		if (daedalus_raw_fmts[i].fourcc == fourcc &&
		    (caps->pixfmts & BIT(daedalus_raw_fmts[i].pixfmt)))
			return &daedalus_raw_fmts[i];
	return NULL;
}

/* Colorimetry is the client's to state on OUTPUT; keep only known values. */
static void daedalus_fmt_adjust_colorimetry(struct v4l2_pix_format_mplane *pix)
{
	if (pix->colorspace == V4L2_COLORSPACE_DEFAULT ||
	    pix->colorspace > V4L2_COLORSPACE_DCI_P3)
		pix->colorspace = V4L2_COLORSPACE_REC709;
	if (pix->xfer_func > V4L2_XFER_FUNC_SMPTE2084)
		pix->xfer_func = V4L2_XFER_FUNC_DEFAULT;
	if (pix->ycbcr_enc > V4L2_YCBCR_ENC_SMPTE240M)
		pix->ycbcr_enc = V4L2_YCBCR_ENC_DEFAULT;
	if (pix->quantization > V4L2_QUANTIZATION_LIM_RANGE)
		pix->quantization = V4L2_QUANTIZATION_DEFAULT;
}

/**
 * daedalus_fmt_adjust_coded - make an OUTPUT format valid
 * @caps: what the daemon decodes
 * @pix: the format, adjusted in place
 *
 * An unknown coded format becomes the first one enumerated. 0x0 is kept: it
 * means "take the size from the stream". A sizeimage too small for the frame
 * size is raised; a larger one is kept, up to a bound.
 */
void daedalus_fmt_adjust_coded(const struct daedalus_caps *caps,
			       struct v4l2_pix_format_mplane *pix)
{
	const struct daedalus_coded_fmt *fmt;
	u32 need;

	fmt = daedalus_coded_find(caps, pix->pixelformat);
	if (!fmt)
		fmt = daedalus_coded_enum(caps, 0);
	if (fmt)
		pix->pixelformat = fmt->fourcc;
	else
		pix->pixelformat = caps->stateless ? V4L2_PIX_FMT_H264_SLICE : V4L2_PIX_FMT_H264;

	if (!pix->width || !pix->height) {
		pix->width = 0;
		pix->height = 0;
	} else {
		pix->width = clamp(pix->width, DAEDALUS_MIN_DIMENSION, caps->max_width);
		pix->height = clamp(pix->height, DAEDALUS_MIN_DIMENSION, caps->max_height);
	}

	/* At least half of a 4:2:0 frame: compression is never worse than 3:1. */
	need = PAGE_ALIGN(pix->width * pix->height / 2);
	need = max_t(u32, need, DAEDALUS_OUT_MIN_SIZE);
	pix->num_planes = 1;
	pix->plane_fmt[0].bytesperline = 0;
	pix->plane_fmt[0].sizeimage = clamp_t(u32, pix->plane_fmt[0].sizeimage,
					      need, DAEDALUS_OUT_MAX_SIZE);
	memset(pix->plane_fmt[0].reserved, 0, sizeof(pix->plane_fmt[0].reserved));
	pix->field = V4L2_FIELD_NONE;
	pix->flags = 0;
	daedalus_fmt_adjust_colorimetry(pix);
	memset(pix->reserved, 0, sizeof(pix->reserved));
}

/**
 * daedalus_raw_fits_depth - whether a CAPTURE layout can carry a stream
 * @fmt: the layout
 * @bit_depth: the stream's, or 0 while it is not known
 */
bool daedalus_raw_fits_depth(const struct daedalus_raw_fmt *fmt, u32 bit_depth)
{
	if (!bit_depth)
		return true;
	return (fmt->pixfmt == DAEDALUS_PIXFMT_P010) == (bit_depth > 8);
}

/**
 * daedalus_raw_pixfmt - the DAEDALUS_PIXFMT_* of a CAPTURE fourcc
 * @fourcc: one of the fourccs daedalus_raw_fmts lists
 *
 * Return: its bit number, or DAEDALUS_PIXFMT_COUNT for any other fourcc.
 */
u32 daedalus_raw_pixfmt(u32 fourcc)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(daedalus_raw_fmts); i++)
		if (daedalus_raw_fmts[i].fourcc == fourcc)
			return daedalus_raw_fmts[i].pixfmt;
	return DAEDALUS_PIXFMT_COUNT;
}

/**
 * daedalus_raw_enum_depth - the @index-th CAPTURE layout for a stream
 * @caps: what the daemon writes
 * @bit_depth: the stream's, 0 while unknown
 * @index: from ENUM_FMT
 *
 * Return: the layout, or NULL past the end.
 */
const struct daedalus_raw_fmt *daedalus_raw_enum_depth(const struct daedalus_caps *caps,
						       u32 bit_depth, unsigned int index)
{
	const struct daedalus_raw_fmt *fmt;
	unsigned int i;

	for (i = 0; (fmt = daedalus_raw_enum(caps, i)); i++) {
		if (!daedalus_raw_fits_depth(fmt, bit_depth))
			continue;
		if (!index--)
			return fmt;
	}
	return NULL;
}

/**
 * daedalus_fmt_adjust_raw - make a CAPTURE format valid
 * @caps: what the daemon decodes
 * @bit_depth: the stream's, 0 while unknown: 10-bit streams need P010,
 *	8-bit ones an 8-bit layout
 * @pix: the format, adjusted in place; its width and height are the coded
 *	(frame buffer) size, rounded up to whole macroblocks
 *
 * The plane layout comes from the V4L2 format tables: one buffer, planes
 * back to back, chroma right after bytesperline x height of luma.
 */
void daedalus_fmt_adjust_raw(const struct daedalus_caps *caps, u32 bit_depth,
			     struct v4l2_pix_format_mplane *pix)
{
	const struct daedalus_raw_fmt *fmt;
	u32 width, height;

	fmt = daedalus_raw_find(caps, pix->pixelformat);
	if (!fmt || !daedalus_raw_fits_depth(fmt, bit_depth))
		fmt = daedalus_raw_enum_depth(caps, bit_depth, 0);
	width = clamp(ALIGN(pix->width, DAEDALUS_FRAME_ALIGN), DAEDALUS_MIN_DIMENSION,
		      ALIGN(caps->max_width, DAEDALUS_FRAME_ALIGN));
	height = clamp(ALIGN(pix->height, DAEDALUS_FRAME_ALIGN), DAEDALUS_MIN_DIMENSION,
		       ALIGN(caps->max_height, DAEDALUS_FRAME_ALIGN));

	v4l2_fill_pixfmt_mp(pix, fmt ? fmt->fourcc : V4L2_PIX_FMT_NV12, width, height);
	pix->field = V4L2_FIELD_NONE;
	pix->flags = 0;
	daedalus_fmt_adjust_colorimetry(pix);
	memset(pix->reserved, 0, sizeof(pix->reserved));
}
