// SPDX-License-Identifier: BSD-2-Clause
/*
 * HEVC VPS, SPS and PPS from the stateless controls: see sl-hevc-headers.h.
 * Syntax from the H.265 spec, 7.3.2.1 (VPS), 7.3.2.2 (SPS), 7.3.2.3 (PPS),
 * 7.3.3 (profile_tier_level) and 7.3.4 (scaling_list_data); field ranges
 * from their semantics in 7.4.3 and 7.4.5, and from the Main and Main 10
 * profiles (A.3.2, A.3.3).
 */
#include <assert.h>
#include <stdbool.h>

#include "bits.h"
#include "sl-hevc-headers.h"

/* The sizes the uAPI has had since 6.0 (docs/stateless-design.md, 1.2). */
static_assert(sizeof(struct v4l2_ctrl_hevc_sps) == 40, "HEVC SPS control size");
static_assert(sizeof(struct v4l2_ctrl_hevc_pps) == 64, "HEVC PPS control size");
static_assert(sizeof(struct v4l2_ctrl_hevc_scaling_matrix) == 1000, "HEVC scaling matrix size");

/*
 * An RBSP's worst case: a PPS with its 20 lists of up to 64 values, each
 * delta at most 17 bits, is about 3 KB; the VPS and SPS are far smaller.
 */
#define RBSP_MAX 4096

#define NAL_VPS 32
#define NAL_SPS 33
#define NAL_PPS 34

/* Level 6.2 (general_level_idc is 30 times the level): no size is too large. */
#define LEVEL_IDC 186

#define SPS_FLAGS_KNOWN (V4L2_HEVC_SPS_FLAG_STRONG_INTRA_SMOOTHING_ENABLED * 2 - 1)
#define PPS_FLAGS_KNOWN (V4L2_HEVC_PPS_FLAG_UNIFORM_SPACING * 2 - 1)

static unsigned min_u(unsigned a, unsigned b)
{
	return a < b ? a : b;
}

/* CtbLog2SizeY, MinCbLog2SizeY and MinTbLog2SizeY (7.4.3.2.1). */
static unsigned ctb_log2(const struct v4l2_ctrl_hevc_sps *sps)
{
	return sps->log2_min_luma_coding_block_size_minus3 + 3u +
	       sps->log2_diff_max_min_luma_coding_block_size;
}

static unsigned min_cb_log2(const struct v4l2_ctrl_hevc_sps *sps)
{
	return sps->log2_min_luma_coding_block_size_minus3 + 3u;
}

static unsigned min_tb_log2(const struct v4l2_ctrl_hevc_sps *sps)
{
	return sps->log2_min_luma_transform_block_size_minus2 + 2u;
}

/* PicWidthInCtbsY and PicHeightInCtbsY (7-15, 7-17). */
static unsigned width_ctbs(const struct v4l2_ctrl_hevc_sps *sps)
{
	unsigned ctb = 1u << ctb_log2(sps);

	return (sps->pic_width_in_luma_samples + ctb - 1) / ctb;
}

static unsigned height_ctbs(const struct v4l2_ctrl_hevc_sps *sps)
{
	unsigned ctb = 1u << ctb_log2(sps);

	return (sps->pic_height_in_luma_samples + ctb - 1) / ctb;
}

/*
 * Start code, the two-byte NAL header (forbidden_zero_bit 0, the type,
 * nuh_layer_id 0, nuh_temporal_id_plus1 1: parameter sets are in the base
 * layer and sub-layer 0), then the RBSP with emulation prevention: the
 * complete NAL unit, or -1.
 */
static long put_nal(uint8_t *dst, size_t cap, unsigned type, struct dd_bitw *w)
{
	long n;

	if (w->overflow || cap < 6)
		return -1;
	dst[0] = 0;
	dst[1] = 0;
	dst[2] = 0;
	dst[3] = 1;
	dst[4] = (uint8_t)(type << 1);
	dst[5] = 1;
	n = dd_nal_escape(dst + 6, cap - 6, w->buf, dd_bitw_bytes(w));
	return n < 0 ? -1 : n + 6;
}

static bool sps_valid(const struct v4l2_ctrl_hevc_sps *sps)
{
	uint64_t f = sps->flags;
	unsigned ctb = ctb_log2(sps), min_cb = min_cb_log2(sps), min_tb = min_tb_log2(sps);
	unsigned max_tb = min_tb + sps->log2_diff_max_min_luma_transform_block_size;

	if (f & ~(uint64_t)SPS_FLAGS_KNOWN)
		return false;
	if (sps->video_parameter_set_id > 15 || sps->seq_parameter_set_id > 15 ||
	    sps->sps_max_sub_layers_minus1 > 6)
		return false;
	/*
	 * Main and Main 10 only: 4:2:0, luma and chroma of one depth (libavcodec
	 * decodes no other mix), 8 or 10 bits. A separate colour plane needs 4:4:4.
	 */
	if (sps->chroma_format_idc != 1 || f & V4L2_HEVC_SPS_FLAG_SEPARATE_COLOUR_PLANE)
		return false;
	if ((sps->bit_depth_luma_minus8 != 0 && sps->bit_depth_luma_minus8 != 2) ||
	    sps->bit_depth_chroma_minus8 != sps->bit_depth_luma_minus8)
		return false;
	if (sps->log2_max_pic_order_cnt_lsb_minus4 > 12)
		return false;
	/* MaxDpbSize is at most 16 at every level (A.4.2). */
	if (sps->sps_max_dec_pic_buffering_minus1 > 15 ||
	    sps->sps_max_num_reorder_pics > sps->sps_max_dec_pic_buffering_minus1)
		return false;
	/*
	 * Coding and transform block sizes: CtbLog2SizeY 4 to 6 (A.3.2),
	 * MinTbLog2SizeY < MinCbLog2SizeY, MaxTbLog2SizeY <= Min(CtbLog2SizeY, 5)
	 * (7.4.3.2.1); the sums are unsigned int, so no u8 can wrap into range.
	 */
	if (ctb < 4 || ctb > 6 || min_tb >= min_cb || max_tb > min_u(ctb, 5))
		return false;
	if (sps->max_transform_hierarchy_depth_inter > ctb - min_tb ||
	    sps->max_transform_hierarchy_depth_intra > ctb - min_tb)
		return false;
	/* Nonzero multiples of MinCbSizeY (7.4.3.2.1). */
	if (!sps->pic_width_in_luma_samples || !sps->pic_height_in_luma_samples ||
	    sps->pic_width_in_luma_samples & ((1u << min_cb) - 1) ||
	    sps->pic_height_in_luma_samples & ((1u << min_cb) - 1))
		return false;
	if (f & V4L2_HEVC_SPS_FLAG_PCM_ENABLED) {
		unsigned pcm_min = sps->log2_min_pcm_luma_coding_block_size_minus3 + 3u;
		unsigned pcm_max = pcm_min + sps->log2_diff_max_min_pcm_luma_coding_block_size;

		/* PCM samples no deeper than the picture's; block sizes within the CTB, <= 32. */
		if (sps->pcm_sample_bit_depth_luma_minus1 > sps->bit_depth_luma_minus8 + 7u ||
		    sps->pcm_sample_bit_depth_chroma_minus1 > sps->bit_depth_chroma_minus8 + 7u)
			return false;
		if (pcm_min < min_u(min_cb, 5) || pcm_max > min_u(ctb, 5))
			return false;
	}
	/* The sets are not in the controls (see the header). */
	return !sps->num_short_term_ref_pic_sets && !sps->num_long_term_ref_pics_sps;
}

/*
 * sps_temporal_id_nesting_flag, which the control lacks: it must be 1 with
 * one sub-layer; with more, 0 claims no restriction, which is always true.
 * The VPS copies it (7.4.3.2.1 requires the SPS's 1 when the VPS's is 1).
 */
static unsigned temporal_id_nesting(const struct v4l2_ctrl_hevc_sps *sps)
{
	return !sps->sps_max_sub_layers_minus1;
}

/*
 * profile_tier_level(1, maxNumSubLayersMinus1) (7.3.3): Main (1) or
 * Main 10 (2), main tier, progressive frames, as a plain encoder writes
 * it; no sub-layer profile or level.
 */
static void put_ptl(struct dd_bitw *w, const struct v4l2_ctrl_hevc_sps *sps)
{
	unsigned profile = sps->bit_depth_luma_minus8 ? 2 : 1;
	unsigned sub = sps->sps_max_sub_layers_minus1;

	dd_bitw_u(w, 2, 0);		/* general_profile_space */
	dd_bitw_u(w, 1, 0);		/* general_tier_flag */
	dd_bitw_u(w, 5, profile);
	/* Compatible with its own profile; a Main stream is also a Main 10 one. */
	for (unsigned j = 0; j < 32; j++)
		dd_bitw_u(w, 1, j == profile || j == 2);
	dd_bitw_u(w, 1, 1);		/* general_progressive_source_flag */
	dd_bitw_u(w, 1, 0);		/* general_interlaced_source_flag */
	dd_bitw_u(w, 1, 0);		/* general_non_packed_constraint_flag */
	dd_bitw_u(w, 1, 1);		/* general_frame_only_constraint_flag */
	/* 43 reserved (constraint) bits and general_inbld_flag: all 0 here. */
	dd_bitw_u(w, 32, 0);
	dd_bitw_u(w, 12, 0);
	dd_bitw_u(w, 8, LEVEL_IDC);
	for (unsigned i = 0; i < sub; i++) {
		dd_bitw_u(w, 1, 0);	/* sub_layer_profile_present_flag */
		dd_bitw_u(w, 1, 0);	/* sub_layer_level_present_flag */
	}
	if (sub)
		for (unsigned i = sub; i < 8; i++)
			dd_bitw_u(w, 2, 0);	/* reserved_zero_2bits */
}

/*
 * sub_layer_ordering_info_present_flag 0, then the highest sub-layer's
 * values, which are inferred for the lower ones: the control has one set.
 */
static void put_ordering(struct dd_bitw *w, const struct v4l2_ctrl_hevc_sps *sps)
{
	dd_bitw_u(w, 1, 0);
	dd_bitw_ue(w, sps->sps_max_dec_pic_buffering_minus1);
	dd_bitw_ue(w, sps->sps_max_num_reorder_pics);
	dd_bitw_ue(w, sps->sps_max_latency_increase_plus1);
}

long dd_hevc_write_vps(uint8_t *dst, size_t cap, const struct v4l2_ctrl_hevc_sps *sps)
{
	uint8_t rbsp[RBSP_MAX];
	struct dd_bitw w;

	if (!sps_valid(sps))
		return -1;
	dd_bitw_init(&w, rbsp, sizeof(rbsp));
	dd_bitw_u(&w, 4, sps->video_parameter_set_id);
	dd_bitw_u(&w, 1, 1);		/* vps_base_layer_internal_flag */
	dd_bitw_u(&w, 1, 1);		/* vps_base_layer_available_flag */
	dd_bitw_u(&w, 6, 0);		/* vps_max_layers_minus1 */
	dd_bitw_u(&w, 3, sps->sps_max_sub_layers_minus1);
	dd_bitw_u(&w, 1, temporal_id_nesting(sps));
	dd_bitw_u(&w, 16, 0xffff);	/* vps_reserved_0xffff_16bits */
	put_ptl(&w, sps);
	put_ordering(&w, sps);
	dd_bitw_u(&w, 6, 0);		/* vps_max_layer_id */
	dd_bitw_ue(&w, 0);		/* vps_num_layer_sets_minus1 */
	dd_bitw_u(&w, 1, 0);		/* vps_timing_info_present_flag */
	dd_bitw_u(&w, 1, 0);		/* vps_extension_flag */
	dd_bitw_trailing(&w);
	return put_nal(dst, cap, NAL_VPS, &w);
}

long dd_hevc_write_sps(uint8_t *dst, size_t cap, const struct v4l2_ctrl_hevc_sps *sps)
{
	uint8_t rbsp[RBSP_MAX];
	struct dd_bitw w;
	uint64_t f = sps->flags;

	if (!sps_valid(sps))
		return -1;
	dd_bitw_init(&w, rbsp, sizeof(rbsp));
	dd_bitw_u(&w, 4, sps->video_parameter_set_id);
	dd_bitw_u(&w, 3, sps->sps_max_sub_layers_minus1);
	dd_bitw_u(&w, 1, temporal_id_nesting(sps));
	put_ptl(&w, sps);
	dd_bitw_ue(&w, sps->seq_parameter_set_id);
	dd_bitw_ue(&w, sps->chroma_format_idc);	/* 1: no separate_colour_plane_flag */
	dd_bitw_ue(&w, sps->pic_width_in_luma_samples);
	dd_bitw_ue(&w, sps->pic_height_in_luma_samples);
	dd_bitw_u(&w, 1, 0);		/* conformance_window_flag: the control has none */
	dd_bitw_ue(&w, sps->bit_depth_luma_minus8);
	dd_bitw_ue(&w, sps->bit_depth_chroma_minus8);
	dd_bitw_ue(&w, sps->log2_max_pic_order_cnt_lsb_minus4);
	put_ordering(&w, sps);
	dd_bitw_ue(&w, sps->log2_min_luma_coding_block_size_minus3);
	dd_bitw_ue(&w, sps->log2_diff_max_min_luma_coding_block_size);
	dd_bitw_ue(&w, sps->log2_min_luma_transform_block_size_minus2);
	dd_bitw_ue(&w, sps->log2_diff_max_min_luma_transform_block_size);
	dd_bitw_ue(&w, sps->max_transform_hierarchy_depth_inter);
	dd_bitw_ue(&w, sps->max_transform_hierarchy_depth_intra);
	dd_bitw_u(&w, 1, !!(f & V4L2_HEVC_SPS_FLAG_SCALING_LIST_ENABLED));
	if (f & V4L2_HEVC_SPS_FLAG_SCALING_LIST_ENABLED)
		dd_bitw_u(&w, 1, 0);	/* sps_scaling_list_data_present_flag: lists go in the PPS */
	dd_bitw_u(&w, 1, !!(f & V4L2_HEVC_SPS_FLAG_AMP_ENABLED));
	dd_bitw_u(&w, 1, !!(f & V4L2_HEVC_SPS_FLAG_SAMPLE_ADAPTIVE_OFFSET));
	dd_bitw_u(&w, 1, !!(f & V4L2_HEVC_SPS_FLAG_PCM_ENABLED));
	if (f & V4L2_HEVC_SPS_FLAG_PCM_ENABLED) {
		dd_bitw_u(&w, 4, sps->pcm_sample_bit_depth_luma_minus1);
		dd_bitw_u(&w, 4, sps->pcm_sample_bit_depth_chroma_minus1);
		dd_bitw_ue(&w, sps->log2_min_pcm_luma_coding_block_size_minus3);
		dd_bitw_ue(&w, sps->log2_diff_max_min_pcm_luma_coding_block_size);
		dd_bitw_u(&w, 1, !!(f & V4L2_HEVC_SPS_FLAG_PCM_LOOP_FILTER_DISABLED));
	}
	dd_bitw_ue(&w, 0);		/* num_short_term_ref_pic_sets, checked above */
	dd_bitw_u(&w, 1, !!(f & V4L2_HEVC_SPS_FLAG_LONG_TERM_REF_PICS_PRESENT));
	if (f & V4L2_HEVC_SPS_FLAG_LONG_TERM_REF_PICS_PRESENT)
		dd_bitw_ue(&w, 0);	/* num_long_term_ref_pics_sps, likewise */
	dd_bitw_u(&w, 1, !!(f & V4L2_HEVC_SPS_FLAG_SPS_TEMPORAL_MVP_ENABLED));
	dd_bitw_u(&w, 1, !!(f & V4L2_HEVC_SPS_FLAG_STRONG_INTRA_SMOOTHING_ENABLED));
	dd_bitw_u(&w, 1, 0);		/* vui_parameters_present_flag */
	dd_bitw_u(&w, 1, 0);		/* sps_extension_present_flag */
	dd_bitw_trailing(&w);
	return put_nal(dst, cap, NAL_SPS, &w);
}

/*
 * Raster index of each up-right diagonal scan position in an n x n block
 * (6.5.3): anti-diagonals in turn, each from its bottom-left end up to its
 * top-right one. Scaling lists are coded in this order (7.4.5), the 16x16
 * and 32x32 ones as 8x8 lists.
 */
static void diag_scan(unsigned n, uint8_t *scan)
{
	unsigned k = 0;

	for (unsigned d = 0; d <= 2 * (n - 1); d++) {
		for (unsigned x = 0; x <= d; x++) {
			unsigned y = d - x;

			if (x < n && y < n)
				scan[k++] = (uint8_t)(y * n + x);
		}
	}
}

/*
 * One list of scaling_list_data() (7.3.4) with scaling_list_pred_mode_flag
 * 1, every value explicit, from a list in raster order: the V4L2 control
 * stores them "in raster scan order" (kernel Documentation/userspace-api/
 * media/v4l/ext-ctrls-codec-stateless.rst,
 * V4L2_CID_STATELESS_HEVC_SCALING_MATRIX). dc is the DC value of a 16x16
 * or 32x32 list, which the first delta is taken from, or -1 for smaller
 * ones. nextCoef wraps modulo 256 (7.4.5).
 */
static void put_scaling_list(struct dd_bitw *w, const uint8_t *raster, unsigned n,
			     const uint8_t *scan, int dc)
{
	int last = 8;

	dd_bitw_u(w, 1, 1);
	if (dc >= 0) {
		dd_bitw_se(w, dc - 8);	/* scaling_list_dc_coef_minus8 */
		last = dc;
	}
	for (unsigned k = 0; k < n * n; k++) {
		int next = raster[scan[k]];

		dd_bitw_se(w, (int8_t)(uint8_t)(next - last));
		last = next;
	}
}

/*
 * ScalingList values and the DC coefficients are 1 to 255 (7.4.5): a 0
 * has no code.
 */
static bool lists_codable(const struct v4l2_ctrl_hevc_scaling_matrix *sm)
{
	const uint8_t *v = (const uint8_t *)sm;

	/* Six arrays of u8 and nothing else (the size is asserted above). */
	for (size_t i = 0; i < sizeof(*sm); i++)
		if (!v[i])
			return false;
	return true;
}

/* scaling_list_data() with the control's lists, in the coded order. */
static void put_scaling_lists(struct dd_bitw *w, const struct v4l2_ctrl_hevc_scaling_matrix *sm)
{
	uint8_t scan4[16], scan8[64];

	diag_scan(4, scan4);
	diag_scan(8, scan8);
	for (unsigned m = 0; m < 6; m++)
		put_scaling_list(w, sm->scaling_list_4x4[m], 4, scan4, -1);
	for (unsigned m = 0; m < 6; m++)
		put_scaling_list(w, sm->scaling_list_8x8[m], 8, scan8, -1);
	for (unsigned m = 0; m < 6; m++)
		put_scaling_list(w, sm->scaling_list_16x16[m], 8, scan8,
				 sm->scaling_list_dc_coef_16x16[m]);
	/* 32x32: matrixId 0 and 3 (Intra Y, Inter Y), the control's 0 and 1. */
	for (unsigned m = 0; m < 2; m++)
		put_scaling_list(w, sm->scaling_list_32x32[m], 8, scan8,
				 sm->scaling_list_dc_coef_32x32[m]);
}

/*
 * Tile columns or rows: count - 1 in 0 to the picture's CTBs - 1 and
 * within the control's array; explicit sizes must leave at least one CTB
 * for the last one, whose size is implied (7.4.3.3.1).
 */
static bool tiles_valid(unsigned minus1, unsigned max_minus1, const uint8_t *sizes_minus1,
			unsigned ctbs, bool uniform)
{
	unsigned sum = 0;

	if (minus1 > max_minus1 || minus1 >= ctbs)
		return false;
	if (uniform)
		return true;
	for (unsigned i = 0; i < minus1; i++)
		sum += sizes_minus1[i] + 1u;
	return sum < ctbs;
}

static bool pps_valid(const struct v4l2_ctrl_hevc_pps *pps, const struct v4l2_ctrl_hevc_sps *sps)
{
	uint64_t f = pps->flags;
	int qp_bd_offset = 6 * sps->bit_depth_luma_minus8;

	if (f & ~(uint64_t)PPS_FLAGS_KNOWN || pps->pic_parameter_set_id > 63)
		return false;
	/*
	 * Values above 2 are reserved, but decoders must accept them
	 * (7.4.3.3.1), and u(3) codes up to 7.
	 */
	if (pps->num_extra_slice_header_bits > 7)
		return false;
	if (pps->num_ref_idx_l0_default_active_minus1 > 14 ||
	    pps->num_ref_idx_l1_default_active_minus1 > 14)
		return false;
	if (pps->init_qp_minus26 < -(26 + qp_bd_offset) || pps->init_qp_minus26 > 25)
		return false;
	if (f & V4L2_HEVC_PPS_FLAG_CU_QP_DELTA_ENABLED &&
	    pps->diff_cu_qp_delta_depth > sps->log2_diff_max_min_luma_coding_block_size)
		return false;
	if (pps->pps_cb_qp_offset < -12 || pps->pps_cb_qp_offset > 12 ||
	    pps->pps_cr_qp_offset < -12 || pps->pps_cr_qp_offset > 12)
		return false;
	if (f & V4L2_HEVC_PPS_FLAG_TILES_ENABLED) {
		bool uniform = f & V4L2_HEVC_PPS_FLAG_UNIFORM_SPACING;

		/* One tile is coded with tiles_enabled_flag 0 (7.4.3.3.1). */
		if (!pps->num_tile_columns_minus1 && !pps->num_tile_rows_minus1)
			return false;
		if (!tiles_valid(pps->num_tile_columns_minus1, sizeof(pps->column_width_minus1) - 1,
				 pps->column_width_minus1, width_ctbs(sps), uniform) ||
		    !tiles_valid(pps->num_tile_rows_minus1, sizeof(pps->row_height_minus1) - 1,
				 pps->row_height_minus1, height_ctbs(sps), uniform))
			return false;
	}
	if (f & V4L2_HEVC_PPS_FLAG_DEBLOCKING_FILTER_CONTROL_PRESENT &&
	    !(f & V4L2_HEVC_PPS_FLAG_PPS_DISABLE_DEBLOCKING_FILTER) &&
	    (pps->pps_beta_offset_div2 < -6 || pps->pps_beta_offset_div2 > 6 ||
	     pps->pps_tc_offset_div2 < -6 || pps->pps_tc_offset_div2 > 6))
		return false;
	return pps->log2_parallel_merge_level_minus2 <= ctb_log2(sps) - 2;
}

long dd_hevc_write_pps(uint8_t *dst, size_t cap, const struct v4l2_ctrl_hevc_pps *pps,
		       const struct v4l2_ctrl_hevc_sps *sps,
		       const struct v4l2_ctrl_hevc_scaling_matrix *sm)
{
	uint8_t rbsp[RBSP_MAX];
	struct dd_bitw w;
	uint64_t f = pps->flags;
	/* Only with the SPS's scaling_list_enabled_flag (7.4.3.3.1). */
	bool lists = sm && sps->flags & V4L2_HEVC_SPS_FLAG_SCALING_LIST_ENABLED;

	if (!sps_valid(sps) || !pps_valid(pps, sps))
		return -1;
	if (lists && !lists_codable(sm))
		return -1;
	dd_bitw_init(&w, rbsp, sizeof(rbsp));
	dd_bitw_ue(&w, pps->pic_parameter_set_id);
	dd_bitw_ue(&w, sps->seq_parameter_set_id);
	dd_bitw_u(&w, 1, !!(f & V4L2_HEVC_PPS_FLAG_DEPENDENT_SLICE_SEGMENT_ENABLED));
	dd_bitw_u(&w, 1, !!(f & V4L2_HEVC_PPS_FLAG_OUTPUT_FLAG_PRESENT));
	dd_bitw_u(&w, 3, pps->num_extra_slice_header_bits);
	dd_bitw_u(&w, 1, !!(f & V4L2_HEVC_PPS_FLAG_SIGN_DATA_HIDING_ENABLED));
	dd_bitw_u(&w, 1, !!(f & V4L2_HEVC_PPS_FLAG_CABAC_INIT_PRESENT));
	dd_bitw_ue(&w, pps->num_ref_idx_l0_default_active_minus1);
	dd_bitw_ue(&w, pps->num_ref_idx_l1_default_active_minus1);
	dd_bitw_se(&w, pps->init_qp_minus26);
	dd_bitw_u(&w, 1, !!(f & V4L2_HEVC_PPS_FLAG_CONSTRAINED_INTRA_PRED));
	dd_bitw_u(&w, 1, !!(f & V4L2_HEVC_PPS_FLAG_TRANSFORM_SKIP_ENABLED));
	dd_bitw_u(&w, 1, !!(f & V4L2_HEVC_PPS_FLAG_CU_QP_DELTA_ENABLED));
	if (f & V4L2_HEVC_PPS_FLAG_CU_QP_DELTA_ENABLED)
		dd_bitw_ue(&w, pps->diff_cu_qp_delta_depth);
	dd_bitw_se(&w, pps->pps_cb_qp_offset);
	dd_bitw_se(&w, pps->pps_cr_qp_offset);
	dd_bitw_u(&w, 1, !!(f & V4L2_HEVC_PPS_FLAG_PPS_SLICE_CHROMA_QP_OFFSETS_PRESENT));
	dd_bitw_u(&w, 1, !!(f & V4L2_HEVC_PPS_FLAG_WEIGHTED_PRED));
	dd_bitw_u(&w, 1, !!(f & V4L2_HEVC_PPS_FLAG_WEIGHTED_BIPRED));
	dd_bitw_u(&w, 1, !!(f & V4L2_HEVC_PPS_FLAG_TRANSQUANT_BYPASS_ENABLED));
	dd_bitw_u(&w, 1, !!(f & V4L2_HEVC_PPS_FLAG_TILES_ENABLED));
	dd_bitw_u(&w, 1, !!(f & V4L2_HEVC_PPS_FLAG_ENTROPY_CODING_SYNC_ENABLED));
	if (f & V4L2_HEVC_PPS_FLAG_TILES_ENABLED) {
		bool uniform = f & V4L2_HEVC_PPS_FLAG_UNIFORM_SPACING;

		dd_bitw_ue(&w, pps->num_tile_columns_minus1);
		dd_bitw_ue(&w, pps->num_tile_rows_minus1);
		dd_bitw_u(&w, 1, uniform);
		if (!uniform) {
			/* The last column's width and row's height are implied. */
			for (unsigned i = 0; i < pps->num_tile_columns_minus1; i++)
				dd_bitw_ue(&w, pps->column_width_minus1[i]);
			for (unsigned i = 0; i < pps->num_tile_rows_minus1; i++)
				dd_bitw_ue(&w, pps->row_height_minus1[i]);
		}
		dd_bitw_u(&w, 1, !!(f & V4L2_HEVC_PPS_FLAG_LOOP_FILTER_ACROSS_TILES_ENABLED));
	}
	dd_bitw_u(&w, 1, !!(f & V4L2_HEVC_PPS_FLAG_PPS_LOOP_FILTER_ACROSS_SLICES_ENABLED));
	dd_bitw_u(&w, 1, !!(f & V4L2_HEVC_PPS_FLAG_DEBLOCKING_FILTER_CONTROL_PRESENT));
	if (f & V4L2_HEVC_PPS_FLAG_DEBLOCKING_FILTER_CONTROL_PRESENT) {
		dd_bitw_u(&w, 1, !!(f & V4L2_HEVC_PPS_FLAG_DEBLOCKING_FILTER_OVERRIDE_ENABLED));
		dd_bitw_u(&w, 1, !!(f & V4L2_HEVC_PPS_FLAG_PPS_DISABLE_DEBLOCKING_FILTER));
		if (!(f & V4L2_HEVC_PPS_FLAG_PPS_DISABLE_DEBLOCKING_FILTER)) {
			dd_bitw_se(&w, pps->pps_beta_offset_div2);
			dd_bitw_se(&w, pps->pps_tc_offset_div2);
		}
	}
	/*
	 * pps_scaling_list_data_present_flag: the control's final lists, or
	 * with both this and the SPS's flag 0, the default lists (7.4.3.2.1).
	 */
	dd_bitw_u(&w, 1, lists);
	if (lists)
		put_scaling_lists(&w, sm);
	dd_bitw_u(&w, 1, !!(f & V4L2_HEVC_PPS_FLAG_LISTS_MODIFICATION_PRESENT));
	dd_bitw_ue(&w, pps->log2_parallel_merge_level_minus2);
	dd_bitw_u(&w, 1, !!(f & V4L2_HEVC_PPS_FLAG_SLICE_SEGMENT_HEADER_EXTENSION_PRESENT));
	dd_bitw_u(&w, 1, 0);		/* pps_extension_present_flag */
	dd_bitw_trailing(&w);
	return put_nal(dst, cap, NAL_PPS, &w);
}
