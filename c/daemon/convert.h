/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Decoded frames into the CAPTURE layouts (NV12, YU12, P010: one buffer,
 * planes back to back as v4l2_fill_pixfmt_mp lays them out), with
 * libswscale's unscaled converters, which copy samples exactly.
 */
#ifndef DAEDALUS_CONVERT_H
#define DAEDALUS_CONVERT_H

#include <stddef.h>
#include <stdint.h>

#include "ffmpeg.h"

struct dd_convert {
	struct SwsContext *sws;
	int width, height;
	enum AVPixelFormat src, dst;
};

/* Bit depth of the frames of format f that the CAPTURE layouts carry; 0 if none does. */
int dd_convert_depth(enum AVPixelFormat f);

/* Bytes a frame buffer of this layout holds. */
size_t dd_convert_size(uint32_t pixfmt, uint32_t bytesperline, uint32_t height);

/*
 * Writes frame into dst (size bytes) laid out as pixfmt (DAEDALUS_PIXFMT_*)
 * with the first plane's bytesperline and the buffer's coded height.
 * Returns the bytes used, or a negative errno.
 */
long dd_convert_frame(struct dd_convert *c, const AVFrame *frame, uint8_t *dst, size_t size,
		      uint32_t pixfmt, uint32_t bytesperline, uint32_t height);

void dd_convert_free(struct dd_convert *c);

#endif
