/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * MPEG-2 headers re-synthesized from the stateless controls. A stateless
 * client sends only the slices (with their start codes) and the SEQUENCE,
 * PICTURE and QUANTISATION controls; libavcodec needs the headers in the
 * bitstream (docs/stateless-design.md, section 4.2 "MPEG-2"). The controls
 * come from an untrusted client: every field written is checked against
 * its range in ISO/IEC 13818-2 (6.3) and what cannot be coded is refused.
 */
#ifndef DAEDALUS_SL_MPEG2_HEADERS_H
#define DAEDALUS_SL_MPEG2_HEADERS_H

#include <stddef.h>
#include <stdint.h>
#include <linux/v4l2-controls.h>

/* Enough for every header dd_mpeg2_write_headers() writes, 4:4:4 included. */
#define DD_MPEG2_HEADERS_MAX 512

/*
 * Everything that must precede a picture's slices, into dst: sequence
 * header, sequence extension, picture header, picture coding extension and
 * quant matrix extension, each with its start code. Fields the controls do
 * not carry and decoding does not use (aspect ratio, frame rate, bit rate,
 * temporal reference, vbv delay) get fixed legal values. The matrices are
 * in the control's zig-zag order, which is the bitstream's.
 * The length written, or -1 if a field is out of range, the picture is a
 * field picture or not 4:2:0 (both refused for now), or dst is too small.
 */
long dd_mpeg2_write_headers(uint8_t *dst, size_t cap, const struct v4l2_ctrl_mpeg2_sequence *seq,
			    const struct v4l2_ctrl_mpeg2_picture *pic,
			    const struct v4l2_ctrl_mpeg2_quantisation *quant);

#endif
