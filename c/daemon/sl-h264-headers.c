// SPDX-License-Identifier: BSD-2-Clause
/*
 * H.264 SPS and PPS from the stateless controls: see sl-h264-headers.h.
 * Syntax from the H.264 spec, 7.3.2.1.1 (SPS) and 7.3.2.2 (PPS); field
 * ranges from their semantics in 7.4.2.1.1 and 7.4.2.2.
 */
#include <assert.h>
#include <stdbool.h>

#include "bits.h"
#include "sl-h264-headers.h"

/* The sizes the uAPI has had since 5.11 (docs/stateless-design.md, 1.2). */
static_assert(sizeof(struct v4l2_ctrl_h264_sps) == 1048, "H.264 SPS control size");
static_assert(sizeof(struct v4l2_ctrl_h264_pps) == 12, "H.264 PPS control size");
static_assert(sizeof(struct v4l2_ctrl_h264_scaling_matrix) == 480, "H.264 scaling matrix size");

/*
 * An RBSP's worst case: an SPS with 255 offset_for_ref_frame of 63 bits
 * each is about 2 KB; a PPS with 12 lists of up to 17-bit deltas is 1 KB.
 */
#define RBSP_MAX 4096

/* The profiles whose SPS carries chroma_format_idc and bit depths. */
static bool high_profile(const struct v4l2_ctrl_h264_sps *sps)
{
	return V4L2_H264_SPS_HAS_CHROMA_FORMAT(sps);
}

/* se(v) values coded by a 32-bit ue(v): -2^31 has no code. */
static bool se32_ok(int32_t v)
{
	return v != INT32_MIN;
}

/*
 * Start code, NAL header byte, then the RBSP with emulation prevention:
 * the complete NAL unit, or -1.
 */
static long put_nal(uint8_t *dst, size_t cap, uint8_t header, struct dd_bitw *w)
{
	long n;

	if (w->overflow || cap < 5)
		return -1;
	dst[0] = 0;
	dst[1] = 0;
	dst[2] = 0;
	dst[3] = 1;
	dst[4] = header;
	n = dd_nal_escape(dst + 5, cap - 5, w->buf, dd_bitw_bytes(w));
	return n < 0 ? -1 : n + 5;
}

static bool sps_valid(const struct v4l2_ctrl_h264_sps *sps)
{
	uint32_t f = sps->flags;

	/* The two reserved_zero_2bits follow constraint_set5_flag. */
	if (sps->constraint_set_flags & ~0x3f || sps->seq_parameter_set_id > 31)
		return false;
	if (high_profile(sps)) {
		if (sps->chroma_format_idc > 3 || sps->bit_depth_luma_minus8 > 6 ||
		    sps->bit_depth_chroma_minus8 > 6)
			return false;
		if (f & V4L2_H264_SPS_FLAG_SEPARATE_COLOUR_PLANE && sps->chroma_format_idc != 3)
			return false;
	} else if (sps->chroma_format_idc != 1 || sps->bit_depth_luma_minus8 ||
		   sps->bit_depth_chroma_minus8 ||
		   f & (V4L2_H264_SPS_FLAG_SEPARATE_COLOUR_PLANE |
			V4L2_H264_SPS_FLAG_QPPRIME_Y_ZERO_TRANSFORM_BYPASS)) {
		/* Values these profiles infer: nothing else can be coded. */
		return false;
	}
	if (sps->log2_max_frame_num_minus4 > 12 || sps->pic_order_cnt_type > 2)
		return false;
	if (sps->pic_order_cnt_type == 0 && sps->log2_max_pic_order_cnt_lsb_minus4 > 12)
		return false;
	if (sps->pic_order_cnt_type == 1) {
		/* num_ref_frames_in_pic_order_cnt_cycle <= 255 holds by its type. */
		if (!se32_ok(sps->offset_for_non_ref_pic) ||
		    !se32_ok(sps->offset_for_top_to_bottom_field))
			return false;
		for (unsigned i = 0; i < sps->num_ref_frames_in_pic_order_cnt_cycle; i++)
			if (!se32_ok(sps->offset_for_ref_frame[i]))
				return false;
	}
	/* MaxDpbFrames is at most 16 at every level (A.3.1 h). */
	if (sps->max_num_ref_frames > 16)
		return false;
	if (f & V4L2_H264_SPS_FLAG_FRAME_MBS_ONLY) {
		/* mb_adaptive_frame_field_flag is not coded then. */
		if (f & V4L2_H264_SPS_FLAG_MB_ADAPTIVE_FRAME_FIELD)
			return false;
	} else if (!(f & V4L2_H264_SPS_FLAG_DIRECT_8X8_INFERENCE)) {
		/* 7.4.2.1.1: it shall be 1 when frame_mbs_only_flag is 0. */
		return false;
	}
	return true;
}

long dd_h264_write_sps(uint8_t *dst, size_t cap, const struct v4l2_ctrl_h264_sps *sps)
{
	uint8_t rbsp[RBSP_MAX];
	struct dd_bitw w;
	uint32_t f = sps->flags;

	if (!sps_valid(sps))
		return -1;
	dd_bitw_init(&w, rbsp, sizeof(rbsp));
	dd_bitw_u(&w, 8, sps->profile_idc);
	/* V4L2 puts constraint_set0_flag in bit 0; the syntax sends it first. */
	for (unsigned i = 0; i < 6; i++)
		dd_bitw_u(&w, 1, sps->constraint_set_flags >> i & 1);
	dd_bitw_u(&w, 2, 0);
	dd_bitw_u(&w, 8, sps->level_idc);
	dd_bitw_ue(&w, sps->seq_parameter_set_id);
	if (high_profile(sps)) {
		dd_bitw_ue(&w, sps->chroma_format_idc);
		if (sps->chroma_format_idc == 3)
			dd_bitw_u(&w, 1, !!(f & V4L2_H264_SPS_FLAG_SEPARATE_COLOUR_PLANE));
		dd_bitw_ue(&w, sps->bit_depth_luma_minus8);
		dd_bitw_ue(&w, sps->bit_depth_chroma_minus8);
		dd_bitw_u(&w, 1, !!(f & V4L2_H264_SPS_FLAG_QPPRIME_Y_ZERO_TRANSFORM_BYPASS));
		/* seq_scaling_matrix_present_flag: the final lists go in the PPS. */
		dd_bitw_u(&w, 1, 0);
	}
	dd_bitw_ue(&w, sps->log2_max_frame_num_minus4);
	dd_bitw_ue(&w, sps->pic_order_cnt_type);
	if (sps->pic_order_cnt_type == 0) {
		dd_bitw_ue(&w, sps->log2_max_pic_order_cnt_lsb_minus4);
	} else if (sps->pic_order_cnt_type == 1) {
		dd_bitw_u(&w, 1, !!(f & V4L2_H264_SPS_FLAG_DELTA_PIC_ORDER_ALWAYS_ZERO));
		dd_bitw_se(&w, sps->offset_for_non_ref_pic);
		dd_bitw_se(&w, sps->offset_for_top_to_bottom_field);
		dd_bitw_ue(&w, sps->num_ref_frames_in_pic_order_cnt_cycle);
		for (unsigned i = 0; i < sps->num_ref_frames_in_pic_order_cnt_cycle; i++)
			dd_bitw_se(&w, sps->offset_for_ref_frame[i]);
	}
	dd_bitw_ue(&w, sps->max_num_ref_frames);
	dd_bitw_u(&w, 1, !!(f & V4L2_H264_SPS_FLAG_GAPS_IN_FRAME_NUM_VALUE_ALLOWED));
	dd_bitw_ue(&w, sps->pic_width_in_mbs_minus1);
	dd_bitw_ue(&w, sps->pic_height_in_map_units_minus1);
	dd_bitw_u(&w, 1, !!(f & V4L2_H264_SPS_FLAG_FRAME_MBS_ONLY));
	if (!(f & V4L2_H264_SPS_FLAG_FRAME_MBS_ONLY))
		dd_bitw_u(&w, 1, !!(f & V4L2_H264_SPS_FLAG_MB_ADAPTIVE_FRAME_FIELD));
	dd_bitw_u(&w, 1, !!(f & V4L2_H264_SPS_FLAG_DIRECT_8X8_INFERENCE));
	dd_bitw_u(&w, 1, 0);	/* frame_cropping_flag: the control has no window */
	dd_bitw_u(&w, 1, 0);	/* vui_parameters_present_flag: nor VUI */
	dd_bitw_trailing(&w);
	return put_nal(dst, cap, 0x67, &w);
}

/*
 * Raster index of each zig-zag scan position in an n x n block (n = 4 or
 * 8): the frame scans of 8.5.6 and 8.5.7, which are also the scans of
 * scaling lists whatever the field coding (8.5.6). Walks the anti-diagonals,
 * going up and to the right on even ones and down to the left on odd ones.
 */
static void zigzag(unsigned n, uint8_t *scan)
{
	unsigned k = 0;

	for (unsigned d = 0; d <= 2 * (n - 1); d++) {
		for (unsigned t = 0; t <= d; t++) {
			unsigned x = d & 1 ? d - t : t, y = d - x;

			if (x < n && y < n)
				scan[k++] = (uint8_t)(y * n + x);
		}
	}
}

/*
 * scaling_list() (7.3.2.1.1.1) with every value explicit, from a list in
 * raster order: the V4L2 control stores the lists "after applying the
 * inverse scanning process ... in raster scan order" (kernel
 * Documentation/userspace-api/media/v4l/ext-ctrls-codec-stateless.rst,
 * V4L2_CID_STATELESS_H264_SCALING_MATRIX), so each is scanned back to
 * zig-zag and delta-coded. nextScale wraps modulo 256 (7.4.2.1.1.1).
 */
static void put_scaling_list(struct dd_bitw *w, const uint8_t *raster, unsigned n,
			     const uint8_t *scan)
{
	int last = 8;

	for (unsigned k = 0; k < n * n; k++) {
		int next = raster[scan[k]];

		dd_bitw_se(w, (int8_t)(uint8_t)(next - last));
		last = next;
	}
}

/*
 * Whether the lists the picture uses are Flat_4x4_16 / Flat_8x8_16: the
 * 8x8 lists a picture without the 8x8 transform never reads may hold
 * anything a client left there.
 */
static bool flat(const struct v4l2_ctrl_h264_scaling_matrix *sm, unsigned n8x8)
{
	for (unsigned i = 0; i < 6; i++)
		for (unsigned j = 0; j < 16; j++)
			if (sm->scaling_list_4x4[i][j] != 16)
				return false;
	for (unsigned i = 0; i < n8x8; i++)
		for (unsigned j = 0; j < 64; j++)
			if (sm->scaling_list_8x8[i][j] != 16)
				return false;
	return true;
}

/*
 * A 0 cannot be sent: as the first value it means "use the default list",
 * later it means "repeat the last value to the end".
 */
static bool lists_codable(const struct v4l2_ctrl_h264_scaling_matrix *sm, unsigned n8x8)
{
	for (unsigned i = 0; i < 6; i++)
		for (unsigned j = 0; j < 16; j++)
			if (!sm->scaling_list_4x4[i][j])
				return false;
	for (unsigned i = 0; i < n8x8; i++)
		for (unsigned j = 0; j < 64; j++)
			if (!sm->scaling_list_8x8[i][j])
				return false;
	return true;
}

static bool pps_valid(const struct v4l2_ctrl_h264_pps *pps, const struct v4l2_ctrl_h264_sps *sps)
{
	int qp_bd_offset = 6 * sps->bit_depth_luma_minus8;

	/* pic_parameter_set_id <= 255 holds by its type. */
	if (pps->seq_parameter_set_id > 31 || pps->seq_parameter_set_id != sps->seq_parameter_set_id)
		return false;
	/* FMO: the control has no slice group map, and libavcodec has no FMO. */
	if (pps->num_slice_groups_minus1)
		return false;
	if (pps->num_ref_idx_l0_default_active_minus1 > 31 ||
	    pps->num_ref_idx_l1_default_active_minus1 > 31 || pps->weighted_bipred_idc > 2)
		return false;
	if (pps->pic_init_qp_minus26 < -(26 + qp_bd_offset) || pps->pic_init_qp_minus26 > 25 ||
	    pps->pic_init_qs_minus26 < -26 || pps->pic_init_qs_minus26 > 25)
		return false;
	return pps->chroma_qp_index_offset >= -12 && pps->chroma_qp_index_offset <= 12 &&
	       pps->second_chroma_qp_index_offset >= -12 &&
	       pps->second_chroma_qp_index_offset <= 12;
}

long dd_h264_write_pps(uint8_t *dst, size_t cap, const struct v4l2_ctrl_h264_pps *pps,
		       const struct v4l2_ctrl_h264_sps *sps,
		       const struct v4l2_ctrl_h264_scaling_matrix *sm)
{
	uint8_t rbsp[RBSP_MAX], scan4[16], scan8[64];
	struct dd_bitw w;
	uint16_t f = pps->flags;
	bool t8x8 = f & V4L2_H264_PPS_FLAG_TRANSFORM_8X8_MODE;
	/* 8x8 lists sent: Y only, or Y, Cb and Cr for 4:4:4 (7.3.2.2). */
	unsigned n8x8 = t8x8 ? (sps->chroma_format_idc == 3 ? 6 : 2) : 0;
	bool lists = sm && (f & V4L2_H264_PPS_FLAG_SCALING_MATRIX_PRESENT || !flat(sm, n8x8));
	bool tail = t8x8 || lists ||
		    pps->second_chroma_qp_index_offset != pps->chroma_qp_index_offset;

	if (!sps_valid(sps) || !pps_valid(pps, sps))
		return -1;
	/*
	 * Baseline, Main and Extended end the PPS before transform_8x8_mode_flag
	 * (their constraints in A.2), and libavcodec reads no further there.
	 */
	if (tail && !high_profile(sps))
		return -1;
	if (lists && !lists_codable(sm, n8x8))
		return -1;
	dd_bitw_init(&w, rbsp, sizeof(rbsp));
	dd_bitw_ue(&w, pps->pic_parameter_set_id);
	dd_bitw_ue(&w, pps->seq_parameter_set_id);
	dd_bitw_u(&w, 1, !!(f & V4L2_H264_PPS_FLAG_ENTROPY_CODING_MODE));
	dd_bitw_u(&w, 1, !!(f & V4L2_H264_PPS_FLAG_BOTTOM_FIELD_PIC_ORDER_IN_FRAME_PRESENT));
	dd_bitw_ue(&w, 0);	/* num_slice_groups_minus1, checked above */
	dd_bitw_ue(&w, pps->num_ref_idx_l0_default_active_minus1);
	dd_bitw_ue(&w, pps->num_ref_idx_l1_default_active_minus1);
	dd_bitw_u(&w, 1, !!(f & V4L2_H264_PPS_FLAG_WEIGHTED_PRED));
	dd_bitw_u(&w, 2, pps->weighted_bipred_idc);
	dd_bitw_se(&w, pps->pic_init_qp_minus26);
	dd_bitw_se(&w, pps->pic_init_qs_minus26);
	dd_bitw_se(&w, pps->chroma_qp_index_offset);
	dd_bitw_u(&w, 1, !!(f & V4L2_H264_PPS_FLAG_DEBLOCKING_FILTER_CONTROL_PRESENT));
	dd_bitw_u(&w, 1, !!(f & V4L2_H264_PPS_FLAG_CONSTRAINED_INTRA_PRED));
	dd_bitw_u(&w, 1, !!(f & V4L2_H264_PPS_FLAG_REDUNDANT_PIC_CNT_PRESENT));
	if (tail) {
		dd_bitw_u(&w, 1, t8x8);
		dd_bitw_u(&w, 1, lists);
		if (lists) {
			/*
			 * Every list present and explicit: the control holds
			 * final lists, so neither fall-back rule A nor B applies.
			 * The 4x4 lists are the spec's indices 0-5 in order; the
			 * control's 8x8 order (Intra Y, Inter Y, Intra Cb, ...)
			 * is the spec's indices 6-11 (Table 7-2).
			 */
			zigzag(4, scan4);
			zigzag(8, scan8);
			for (unsigned i = 0; i < 6; i++) {
				dd_bitw_u(&w, 1, 1);
				put_scaling_list(&w, sm->scaling_list_4x4[i], 4, scan4);
			}
			for (unsigned i = 0; i < n8x8; i++) {
				dd_bitw_u(&w, 1, 1);
				put_scaling_list(&w, sm->scaling_list_8x8[i], 8, scan8);
			}
		}
		dd_bitw_se(&w, pps->second_chroma_qp_index_offset);
	}
	dd_bitw_trailing(&w);
	return put_nal(dst, cap, 0x68, &w);
}
