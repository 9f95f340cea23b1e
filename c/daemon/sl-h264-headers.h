/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * H.264 SPS and PPS NAL units re-synthesized from the stateless controls,
 * for libavcodec, which takes parameter sets only as NAL units
 * (docs/stateless-design.md, section 4.2 "H.264"). The controls come from
 * an untrusted client: every field written is checked against its range in
 * the H.264 spec (7.4.2.1.1, 7.4.2.2), and what cannot be coded is refused.
 */
#ifndef DAEDALUS_SL_H264_HEADERS_H
#define DAEDALUS_SL_H264_HEADERS_H

#include <stddef.h>
#include <stdint.h>
#include <linux/v4l2-controls.h>

/*
 * One SPS NAL unit (start code 00 00 00 01, header 0x67, escaped RBSP)
 * into dst: no scaling lists (they go in the PPS), no cropping, no VUI.
 * The length written, or -1 if a field is out of range or dst is too small.
 */
long dd_h264_write_sps(uint8_t *dst, size_t cap, const struct v4l2_ctrl_h264_sps *sps);

/*
 * One PPS NAL unit (header 0x68) for the SPS it refers to. sm may be NULL
 * (flat lists); otherwise its lists are the final ones, in raster order, and
 * are written explicitly when the PPS flags them or they are not flat.
 * The length written, or -1 as above (FMO is refused).
 */
long dd_h264_write_pps(uint8_t *dst, size_t cap, const struct v4l2_ctrl_h264_pps *pps,
		       const struct v4l2_ctrl_h264_sps *sps,
		       const struct v4l2_ctrl_h264_scaling_matrix *sm);

#endif
