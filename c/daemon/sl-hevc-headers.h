/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * HEVC VPS, SPS and PPS NAL units re-synthesized from the stateless
 * controls, for libavcodec, which takes parameter sets only as NAL units
 * (docs/stateless-design.md, section 4.2 "HEVC"). There is no VPS control:
 * the VPS is made from the SPS control. The controls come from an untrusted
 * client: every field written is checked against its range in the H.265
 * spec (7.4.3.1 to 7.4.3.3, and the Main/Main 10 constraints of A.3), and
 * what cannot be coded is refused.
 *
 * What the controls lack gets fixed values: profile, tier and level (Main
 * for 8-bit 4:2:0, Main 10 for 10-bit 4:2:0, other formats refused; main
 * tier; level 6.2, as libavcodec checks no level limit). Or it is left
 * out: the conformance window (libavcodec then returns the coded size; the
 * visible size is the client's business), VUI and extensions. The SPS's
 * short-term RPS sets and long-term reference POCs are not in the Linux
 * 6.1/6.12 controls either (only their counts are), so an SPS control
 * with num_short_term_ref_pic_sets > 0 or num_long_term_ref_pics_sps > 0
 * is refused: slices must then carry their RPS explicitly (x265 does).
 *
 * Fields and flags whose syntax element is absent under the other flags
 * (for instance LOOP_FILTER_ACROSS_TILES without TILES_ENABLED, or the PCM
 * fields without PCM_ENABLED) are neither written nor checked: parsers
 * give absent elements their inferred value, 1 for some, and GStreamer
 * copies it into the control. The two counts above are refused whatever
 * the flags say.
 */
#ifndef DAEDALUS_SL_HEVC_HEADERS_H
#define DAEDALUS_SL_HEVC_HEADERS_H

#include <stddef.h>
#include <stdint.h>
#include <linux/v4l2-controls.h>

/*
 * One VPS NAL unit (start code 00 00 00 01, NAL header 40 01, escaped
 * RBSP) for the SPS: its vps id, sub-layer count and DPB sizes, one layer
 * set, no timing information. The length written, or -1 if a field of the
 * SPS is out of range or dst is too small.
 */
long dd_hevc_write_vps(uint8_t *dst, size_t cap, const struct v4l2_ctrl_hevc_sps *sps);

/*
 * One SPS NAL unit (NAL header 42 01): DPB sizes for the highest sub-layer
 * only, no scaling list data (the final lists go in the PPS), no RPS sets,
 * no conformance window, no VUI. The length written, or -1 as above.
 */
long dd_hevc_write_sps(uint8_t *dst, size_t cap, const struct v4l2_ctrl_hevc_sps *sps);

/*
 * One PPS NAL unit (NAL header 44 01) for the SPS it refers to: every field
 * of the control, tiles as flagged (uniform, or explicit column widths and
 * row heights). If the SPS enables scaling lists, sm's lists (the final
 * ones, in raster order) are written explicitly; sm may be NULL, which
 * leaves the default lists of Table 7-6 in force. The length written, or
 * -1 as above.
 */
long dd_hevc_write_pps(uint8_t *dst, size_t cap, const struct v4l2_ctrl_hevc_pps *pps,
		       const struct v4l2_ctrl_hevc_sps *sps,
		       const struct v4l2_ctrl_hevc_scaling_matrix *sm);

#endif
