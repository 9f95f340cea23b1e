/* SPDX-License-Identifier: BSD-2-Clause */
/* Frames into CAPTURE layouts: see convert.h. */
#include <errno.h>

#include <linux/daedalus-v4l2.h>

#include "convert.h"

/* The JPEG-range formats are the same layout; swscale must not rescale their range. */
static enum AVPixelFormat layout_of(enum AVPixelFormat f)
{
	return f == AV_PIX_FMT_YUVJ420P ? AV_PIX_FMT_YUV420P : f;
}

/*
 * Monochrome (HEVC RExt 4:0:0, AV1 mono_chrome) goes out as 4:2:0 whose
 * chroma is neutral: the picture a client shows is the same, and swscale
 * fills the chroma as the ffmpeg command line's conversion does. (H.264's
 * 4:0:0 already comes out of libavcodec that way.)
 */
int dd_convert_depth(enum AVPixelFormat f)
{
	switch (layout_of(f)) {
	case AV_PIX_FMT_YUV420P:
	case AV_PIX_FMT_NV12:
	case AV_PIX_FMT_GRAY8:
		return 8;
	case AV_PIX_FMT_YUV420P10LE:
	case AV_PIX_FMT_P010LE:
	case AV_PIX_FMT_GRAY10LE:
		return 10;
	default:
		return 0;
	}
}

size_t dd_convert_size(uint32_t pixfmt, uint32_t bytesperline, uint32_t height)
{
	(void)pixfmt;	/* all three are 4:2:0 with half-height chroma after luma */
	return (size_t)bytesperline * height * 3 / 2;
}

long dd_convert_frame(struct dd_convert *c, const AVFrame *frame, uint8_t *dst, size_t size,
		      uint32_t pixfmt, uint32_t bytesperline, uint32_t height)
{
	enum AVPixelFormat src = layout_of(frame->format), out;
	size_t luma = (size_t)bytesperline * height;
	uint8_t *planes[4] = { dst, dst + luma, NULL, NULL };
	int strides[4] = { (int)bytesperline, (int)bytesperline, 0, 0 };
	size_t need = dd_convert_size(pixfmt, bytesperline, height);

	switch (pixfmt) {
	case DAEDALUS_PIXFMT_NV12:
		out = AV_PIX_FMT_NV12;
		break;
	case DAEDALUS_PIXFMT_YUV420:
		out = AV_PIX_FMT_YUV420P;
		strides[1] = strides[2] = (int)bytesperline / 2;
		planes[2] = planes[1] + (size_t)strides[1] * (height / 2);
		break;
	case DAEDALUS_PIXFMT_P010:
		out = AV_PIX_FMT_P010LE;
		break;
	default:
		return -EINVAL;
	}
	if (need > size || frame->height > (int)height)
		return -ENOSPC;

	if (!c->sws || c->width != frame->width || c->height != frame->height ||
	    c->src != src || c->dst != out) {
		dd_convert_free(c);
		c->sws = dd_ff.sws_getContext(frame->width, frame->height, src, frame->width,
					      frame->height, out, SWS_POINT | SWS_BITEXACT,
					      NULL, NULL, NULL);
		if (!c->sws)
			return -ENOTSUP;
		c->width = frame->width;
		c->height = frame->height;
		c->src = src;
		c->dst = out;
	}
	if (dd_ff.sws_scale(c->sws, (const uint8_t *const *)frame->data, frame->linesize, 0,
			    frame->height, planes, strides) != frame->height)
		return -EIO;
	return (long)need;
}

void dd_convert_free(struct dd_convert *c)
{
	if (c->sws)
		dd_ff.sws_freeContext(c->sws);
	c->sws = NULL;
}
