// SPDX-License-Identifier: BSD-2-Clause
/*
 * Test-only stand-in for a stateless HEVC client, for
 * test/sl-hevc-headers.test.ts. "hevc-params-fill [OPTIONS] IN OUT" reads
 * an Annex B stream, parses each SPS and PPS into the V4L2 control structs
 * the way a client fills them (the scaling lists in force resolved into
 * final lists, in the control's raster order, as GStreamer does), and
 * writes OUT with each VPS, SPS and PPS replaced by the one
 * c/daemon/sl-hevc-headers.c synthesizes from the structs (a VPS from the
 * next SPS that refers to it); every other byte is copied. One line per
 * replaced unit goes to stdout. Options:
 *   --null-matrix   pass no SCALING_MATRIX when the default lists are in
 *                   force (the writer's sm == NULL case)
 *   --extra-tiles   after each PPS, add two more made from it with tiles
 *                   (uniform, then explicit sizes), ids 62 and 63, which no
 *                   slice uses: x265 has no tiles, so ffmpeg's own parser
 *                   checks them instead of a decode
 * "hevc-params-fill --invalid" feeds out-of-range structs to the writers
 * and prints what each returned.
 *
 * The scan and default tables here are written out by hand, apart from the
 * writer's generated scan, so a wrong scan in either does not cancel out.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bits.h"
#include "sl-hevc-headers.h"

#define FILL_NAME "hevc-params-fill"
#include "fill-util.h"

/* Raster index of each up-right diagonal scan position (H.265 6.5.3). */
static const uint8_t diag4[16] = { 0, 4, 1, 8, 5, 2, 12, 9, 6, 3, 13, 10, 7, 14, 11, 15 };
static const uint8_t diag8[64] = {
	0, 8, 1, 16, 9, 2, 24, 17, 10, 3, 32, 25, 18, 11, 4, 40,
	33, 26, 19, 12, 5, 48, 41, 34, 27, 20, 13, 6, 56, 49, 42, 35,
	28, 21, 14, 7, 57, 50, 43, 36, 29, 22, 15, 58, 51, 44, 37, 30,
	23, 59, 52, 45, 38, 31, 60, 53, 46, 39, 61, 54, 47, 62, 55, 63,
};

/* Default 8x8 lists (Table 7-6), in diagonal scan order; the 4x4 default is flat 16 (7-5). */
static const uint8_t def_intra[64] = {
	16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 17, 16, 17, 16, 17, 18,
	17, 18, 18, 17, 18, 21, 19, 20, 21, 20, 19, 21, 24, 22, 22, 24,
	24, 22, 22, 24, 25, 25, 27, 30, 27, 25, 25, 29, 31, 35, 35, 31,
	29, 36, 41, 44, 41, 36, 47, 54, 54, 47, 65, 70, 65, 88, 88, 115,
};
static const uint8_t def_inter[64] = {
	16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 17, 17, 17, 17, 17, 18,
	18, 18, 18, 18, 18, 20, 20, 20, 20, 20, 20, 20, 24, 24, 24, 24,
	24, 24, 24, 24, 25, 25, 25, 25, 25, 25, 25, 28, 28, 28, 28, 28,
	28, 33, 33, 33, 33, 33, 41, 41, 41, 41, 54, 54, 54, 71, 71, 91,
};

/* ScalingList[sizeId][matrixId][i] in diagonal order, and the DC values of sizeId 2, 3. */
struct lists {
	uint8_t list[4][6][64];
	uint8_t dc[4][6];
};

struct sps_state {
	bool seen;
	struct v4l2_ctrl_hevc_sps ctrl;
	bool data;		/* sps_scaling_list_data_present_flag */
	struct lists lists;	/* its lists when data */
	unsigned crop[4];	/* conformance window, luma samples: left, right, top, bottom */
	unsigned nesting;	/* sps_temporal_id_nesting_flag */
};

static struct sps_state spss[16];

static void default_lists(struct lists *l)
{
	for (unsigned m = 0; m < 6; m++) {
		memset(l->list[0][m], 16, 16);
		for (unsigned s = 1; s < 4; s++) {
			memcpy(l->list[s][m], m < 3 ? def_intra : def_inter, 64);
			l->dc[s][m] = 16;
		}
	}
}

/* scaling_list_data() (7.3.4), prediction resolved as in 7.4.5. */
static void read_lists(struct dd_bitr *r, struct lists *l)
{
	struct lists def;

	default_lists(&def);
	for (unsigned s = 0; s < 4; s++) {
		unsigned step = s == 3 ? 3 : 1, n = s ? 64 : 16;

		for (unsigned m = 0; m < 6; m += step) {
			if (!dd_bitr_u(r, 1)) {
				uint32_t delta = dd_bitr_ue(r);

				if (delta > m / step)
					die("scaling_list_pred_matrix_id_delta %u", delta);
				/* 0: the default list; else a list sent before. */
				if (!delta) {
					memcpy(l->list[s][m], def.list[s][m], n);
					l->dc[s][m] = 16;
				} else {
					unsigned ref = m - delta * step;

					memcpy(l->list[s][m], l->list[s][ref], n);
					l->dc[s][m] = l->dc[s][ref];
				}
				continue;
			}
			int next = 8;

			if (s > 1) {
				int32_t dc = dd_bitr_se(r);

				if (dc < -7 || dc > 247)
					die("scaling_list_dc_coef_minus8 %d", dc);
				next = dc + 8;
				l->dc[s][m] = (uint8_t)next;
			}
			for (unsigned i = 0; i < n; i++) {
				int32_t delta = dd_bitr_se(r);

				if (delta < -128 || delta > 127)
					die("scaling_list_delta_coef %d", delta);
				next = (next + delta + 256) % 256;
				l->list[s][m][i] = (uint8_t)next;
			}
		}
	}
	/* 4:2:0 never uses the 32x32 chroma lists; fill them as 4:4:4 would. */
	for (unsigned m = 1; m < 6; m++) {
		if (m == 3)
			continue;
		memcpy(l->list[3][m], l->list[2][m], 64);
		l->dc[3][m] = l->dc[2][m];
	}
}

/* Diagonal to the control's raster order; 32x32 keeps matrixId 0 and 3. */
static void to_control(const struct lists *l, struct v4l2_ctrl_hevc_scaling_matrix *sm)
{
	for (unsigned m = 0; m < 6; m++) {
		for (unsigned i = 0; i < 16; i++)
			sm->scaling_list_4x4[m][diag4[i]] = l->list[0][m][i];
		for (unsigned i = 0; i < 64; i++) {
			sm->scaling_list_8x8[m][diag8[i]] = l->list[1][m][i];
			sm->scaling_list_16x16[m][diag8[i]] = l->list[2][m][i];
		}
		sm->scaling_list_dc_coef_16x16[m] = l->dc[2][m];
	}
	for (unsigned k = 0; k < 2; k++) {
		for (unsigned i = 0; i < 64; i++)
			sm->scaling_list_32x32[k][diag8[i]] = l->list[3][3 * k][i];
		sm->scaling_list_dc_coef_32x32[k] = l->dc[3][3 * k];
	}
}

/* Whether a raster list differs from its transpose: a transposed scan would then show. */
static bool asymmetric(const uint8_t *raster, unsigned n)
{
	for (unsigned y = 0; y < n; y++)
		for (unsigned x = 0; x < y; x++)
			if (raster[y * n + x] != raster[x * n + y])
				return true;
	return false;
}

static bool matrix_asymmetric(const struct v4l2_ctrl_hevc_scaling_matrix *sm)
{
	for (unsigned m = 0; m < 6; m++)
		if (asymmetric(sm->scaling_list_4x4[m], 4) || asymmetric(sm->scaling_list_8x8[m], 8) ||
		    asymmetric(sm->scaling_list_16x16[m], 8))
			return true;
	return asymmetric(sm->scaling_list_32x32[0], 8) || asymmetric(sm->scaling_list_32x32[1], 8);
}

/* profile_tier_level(1, msl) (7.3.3): nothing in it reaches the controls. */
static void skip_ptl(struct dd_bitr *r, unsigned msl)
{
	bool profile[8], level[8];

	dd_bitr_skip(r, 88);	/* general profile, flags and constraints */
	dd_bitr_skip(r, 8);	/* general_level_idc */
	for (unsigned i = 0; i < msl; i++) {
		profile[i] = dd_bitr_u(r, 1);
		level[i] = dd_bitr_u(r, 1);
	}
	if (msl)
		dd_bitr_skip(r, 2 * (8 - msl));
	for (unsigned i = 0; i < msl; i++) {
		if (profile[i])
			dd_bitr_skip(r, 88);
		if (level[i])
			dd_bitr_skip(r, 8);
	}
}

/* Index of the rbsp_stop_one_bit. */
static size_t stop_bit(const uint8_t *rbsp, size_t len)
{
	while (len && !rbsp[len - 1])
		len--;
	if (!len)
		die("RBSP without a stop bit");
	return (len - 1) * 8 + 7 - __builtin_ctz(rbsp[len - 1]);
}

static uint8_t ue8(struct dd_bitr *r, const char *what, uint32_t max)
{
	uint32_t v = dd_bitr_ue(r);

	if (v > max)
		die("%s %u out of range", what, v);
	return (uint8_t)v;
}

static unsigned parse_sps(struct dd_bitr *r, struct sps_state *st)
{
	struct v4l2_ctrl_hevc_sps s = { 0 };
	unsigned msl, first, id, sub_w = 2, sub_h = 2;
	uint32_t v;

	*st = (struct sps_state){ .seen = true };
	s.video_parameter_set_id = dd_bitr_u(r, 4);
	msl = dd_bitr_u(r, 3);
	if (msl > 6)
		die("sps_max_sub_layers_minus1 %u", msl);
	s.sps_max_sub_layers_minus1 = msl;
	st->nesting = dd_bitr_u(r, 1);
	skip_ptl(r, msl);
	id = ue8(r, "sps id", 15);
	s.seq_parameter_set_id = id;
	s.chroma_format_idc = ue8(r, "chroma_format_idc", 3);
	if (s.chroma_format_idc == 3 && dd_bitr_u(r, 1))
		s.flags |= V4L2_HEVC_SPS_FLAG_SEPARATE_COLOUR_PLANE;
	if (s.chroma_format_idc != 1)
		sub_w = sub_h = 1;	/* near enough: the writer refuses these anyway */
	v = dd_bitr_ue(r);
	if (v > UINT16_MAX)
		die("pic_width_in_luma_samples %u", v);
	s.pic_width_in_luma_samples = (uint16_t)v;
	v = dd_bitr_ue(r);
	if (v > UINT16_MAX)
		die("pic_height_in_luma_samples %u", v);
	s.pic_height_in_luma_samples = (uint16_t)v;
	if (dd_bitr_u(r, 1)) {	/* conformance_window_flag */
		for (unsigned i = 0; i < 4; i++)
			st->crop[i] = dd_bitr_ue(r) * (i < 2 ? sub_w : sub_h);
	}
	s.bit_depth_luma_minus8 = ue8(r, "bit_depth_luma_minus8", 8);
	s.bit_depth_chroma_minus8 = ue8(r, "bit_depth_chroma_minus8", 8);
	s.log2_max_pic_order_cnt_lsb_minus4 = ue8(r, "log2_max_pic_order_cnt_lsb_minus4", 12);
	/* The control has the highest sub-layer's values (GStreamer's take sub-layer 0's). */
	first = dd_bitr_u(r, 1) ? 0 : msl;
	for (unsigned i = first; i <= msl; i++) {
		s.sps_max_dec_pic_buffering_minus1 = ue8(r, "sps_max_dec_pic_buffering_minus1", 15);
		s.sps_max_num_reorder_pics = ue8(r, "sps_max_num_reorder_pics", 15);
		s.sps_max_latency_increase_plus1 = ue8(r, "sps_max_latency_increase_plus1", 255);
	}
	/* Loose bounds, only to fit the u8 fields: the writer checks the real ones. */
	s.log2_min_luma_coding_block_size_minus3 = ue8(r, "log2_min_cb_minus3", 3);
	s.log2_diff_max_min_luma_coding_block_size = ue8(r, "log2_diff_max_min_cb", 3);
	s.log2_min_luma_transform_block_size_minus2 = ue8(r, "log2_min_tb_minus2", 3);
	s.log2_diff_max_min_luma_transform_block_size = ue8(r, "log2_diff_max_min_tb", 3);
	s.max_transform_hierarchy_depth_inter = ue8(r, "max_transform_hierarchy_depth_inter", 4);
	s.max_transform_hierarchy_depth_intra = ue8(r, "max_transform_hierarchy_depth_intra", 4);
	if (dd_bitr_u(r, 1)) {
		s.flags |= V4L2_HEVC_SPS_FLAG_SCALING_LIST_ENABLED;
		st->data = dd_bitr_u(r, 1);
		if (st->data)
			read_lists(r, &st->lists);
	}
	if (dd_bitr_u(r, 1))
		s.flags |= V4L2_HEVC_SPS_FLAG_AMP_ENABLED;
	if (dd_bitr_u(r, 1))
		s.flags |= V4L2_HEVC_SPS_FLAG_SAMPLE_ADAPTIVE_OFFSET;
	if (dd_bitr_u(r, 1)) {
		s.flags |= V4L2_HEVC_SPS_FLAG_PCM_ENABLED;
		s.pcm_sample_bit_depth_luma_minus1 = dd_bitr_u(r, 4);
		s.pcm_sample_bit_depth_chroma_minus1 = dd_bitr_u(r, 4);
		s.log2_min_pcm_luma_coding_block_size_minus3 = ue8(r, "log2_min_pcm_cb_minus3", 2);
		s.log2_diff_max_min_pcm_luma_coding_block_size = ue8(r, "log2_diff_max_min_pcm_cb", 2);
		if (dd_bitr_u(r, 1))
			s.flags |= V4L2_HEVC_SPS_FLAG_PCM_LOOP_FILTER_DISABLED;
	}
	/* The writer cannot carry RPS sets, so a stream with them is not for this test. */
	s.num_short_term_ref_pic_sets = ue8(r, "num_short_term_ref_pic_sets", 64);
	if (s.num_short_term_ref_pic_sets)
		die("sps id %u has short-term RPS sets, which the controls cannot carry", id);
	if (dd_bitr_u(r, 1)) {
		s.flags |= V4L2_HEVC_SPS_FLAG_LONG_TERM_REF_PICS_PRESENT;
		s.num_long_term_ref_pics_sps = ue8(r, "num_long_term_ref_pics_sps", 32);
		if (s.num_long_term_ref_pics_sps)
			die("sps id %u has long-term POCs, which the controls cannot carry", id);
	}
	if (dd_bitr_u(r, 1))
		s.flags |= V4L2_HEVC_SPS_FLAG_SPS_TEMPORAL_MVP_ENABLED;
	if (dd_bitr_u(r, 1))
		s.flags |= V4L2_HEVC_SPS_FLAG_STRONG_INTRA_SMOOTHING_ENABLED;
	/* VUI and extensions: not in the control, so not read. */
	if (r->error)
		die("SPS %u truncated", id);
	st->ctrl = s;
	return id;
}

/* Where the PPS's lists come from: none, the defaults, the SPS, the PPS. */
enum list_src { LISTS_OFF, LISTS_DEFAULT, LISTS_SPS, LISTS_PPS };

static unsigned parse_pps(struct dd_bitr *r, size_t stop, struct v4l2_ctrl_hevc_pps *p,
			  struct v4l2_ctrl_hevc_scaling_matrix *sm, struct sps_state **spsp,
			  enum list_src *src)
{
	unsigned id = ue8(r, "pps id", 63), sid = ue8(r, "pps sps id", 15);
	struct sps_state *st = &spss[sid];
	struct lists lists;

	if (!st->seen)
		die("pps id %u refers to sps id %u, unknown", id, sid);
	*p = (struct v4l2_ctrl_hevc_pps){ .pic_parameter_set_id = id };
#define FLAG(name) do { if (dd_bitr_u(r, 1)) p->flags |= V4L2_HEVC_PPS_FLAG_##name; } while (0)
	FLAG(DEPENDENT_SLICE_SEGMENT_ENABLED);
	FLAG(OUTPUT_FLAG_PRESENT);
	p->num_extra_slice_header_bits = dd_bitr_u(r, 3);
	FLAG(SIGN_DATA_HIDING_ENABLED);
	FLAG(CABAC_INIT_PRESENT);
	p->num_ref_idx_l0_default_active_minus1 = ue8(r, "num_ref_idx_l0_default_active_minus1", 14);
	p->num_ref_idx_l1_default_active_minus1 = ue8(r, "num_ref_idx_l1_default_active_minus1", 14);
	p->init_qp_minus26 = (int8_t)dd_bitr_se(r);
	FLAG(CONSTRAINED_INTRA_PRED);
	FLAG(TRANSFORM_SKIP_ENABLED);
	FLAG(CU_QP_DELTA_ENABLED);
	if (p->flags & V4L2_HEVC_PPS_FLAG_CU_QP_DELTA_ENABLED)
		p->diff_cu_qp_delta_depth = ue8(r, "diff_cu_qp_delta_depth", 3);
	p->pps_cb_qp_offset = (int8_t)dd_bitr_se(r);
	p->pps_cr_qp_offset = (int8_t)dd_bitr_se(r);
	FLAG(PPS_SLICE_CHROMA_QP_OFFSETS_PRESENT);
	FLAG(WEIGHTED_PRED);
	FLAG(WEIGHTED_BIPRED);
	FLAG(TRANSQUANT_BYPASS_ENABLED);
	FLAG(TILES_ENABLED);
	FLAG(ENTROPY_CODING_SYNC_ENABLED);
	/* Inferred when absent, as GStreamer's parser does: 1 (7.4.3.3.1). */
	p->flags |= V4L2_HEVC_PPS_FLAG_LOOP_FILTER_ACROSS_TILES_ENABLED |
		    V4L2_HEVC_PPS_FLAG_UNIFORM_SPACING;
	if (p->flags & V4L2_HEVC_PPS_FLAG_TILES_ENABLED) {
		p->num_tile_columns_minus1 = ue8(r, "num_tile_columns_minus1", 19);
		p->num_tile_rows_minus1 = ue8(r, "num_tile_rows_minus1", 21);
		if (!dd_bitr_u(r, 1)) {
			p->flags &= ~V4L2_HEVC_PPS_FLAG_UNIFORM_SPACING;
			for (unsigned i = 0; i < p->num_tile_columns_minus1; i++)
				p->column_width_minus1[i] = ue8(r, "column_width_minus1", 255);
			for (unsigned i = 0; i < p->num_tile_rows_minus1; i++)
				p->row_height_minus1[i] = ue8(r, "row_height_minus1", 255);
		}
		if (!dd_bitr_u(r, 1))
			p->flags &= ~V4L2_HEVC_PPS_FLAG_LOOP_FILTER_ACROSS_TILES_ENABLED;
	}
	FLAG(PPS_LOOP_FILTER_ACROSS_SLICES_ENABLED);
	FLAG(DEBLOCKING_FILTER_CONTROL_PRESENT);
	if (p->flags & V4L2_HEVC_PPS_FLAG_DEBLOCKING_FILTER_CONTROL_PRESENT) {
		FLAG(DEBLOCKING_FILTER_OVERRIDE_ENABLED);
		FLAG(PPS_DISABLE_DEBLOCKING_FILTER);
		if (!(p->flags & V4L2_HEVC_PPS_FLAG_PPS_DISABLE_DEBLOCKING_FILTER)) {
			p->pps_beta_offset_div2 = (int8_t)dd_bitr_se(r);
			p->pps_tc_offset_div2 = (int8_t)dd_bitr_se(r);
		}
	}
	*src = LISTS_OFF;
	if (dd_bitr_u(r, 1)) {	/* pps_scaling_list_data_present_flag */
		read_lists(r, &lists);
		*src = LISTS_PPS;
	} else if (st->ctrl.flags & V4L2_HEVC_SPS_FLAG_SCALING_LIST_ENABLED) {
		*src = st->data ? LISTS_SPS : LISTS_DEFAULT;
		if (st->data)
			lists = st->lists;
		else
			default_lists(&lists);
	}
	FLAG(LISTS_MODIFICATION_PRESENT);
	p->log2_parallel_merge_level_minus2 = ue8(r, "log2_parallel_merge_level_minus2", 4);
	FLAG(SLICE_SEGMENT_HEADER_EXTENSION_PRESENT);
#undef FLAG
	if (dd_bitr_u(r, 1))
		die("pps id %u has extensions", id);
	if (r->error || r->pos != stop)
		die("PPS %u truncated or too long", id);
	/* GStreamer zeroes the matrix when lists are off. */
	memset(sm, 0, sizeof(*sm));
	if (*src != LISTS_OFF)
		to_control(&lists, sm);
	*spsp = st;
	return id;
}

/* Next 00 00 01 at or after i, or len. */
static size_t next_start(const uint8_t *b, size_t len, size_t i)
{
	for (; i + 3 <= len; i++)
		if (!b[i] && !b[i + 1] && b[i + 2] == 1)
			return i;
	return len;
}

/* A NAL unit's bounds: from its header to before the next start code's zeros. */
struct nal {
	size_t sc, start, end, next;
	unsigned type;
};

static bool nal_at(const uint8_t *b, size_t len, size_t sc, struct nal *n)
{
	if (sc >= len)
		return false;
	n->sc = sc;
	n->start = sc + 3;
	n->next = next_start(b, len, n->start);
	n->end = n->next;
	while (n->end > n->start && !b[n->end - 1])
		n->end--;
	if (n->end < n->start + 2)
		die("NAL unit at %zu too short", sc);
	n->type = b[n->start] >> 1 & 0x3f;
	return true;
}

static size_t unescape(const uint8_t *b, const struct nal *n, uint8_t *rbsp, size_t cap)
{
	long rlen = dd_nal_unescape(rbsp, cap, b + n->start + 2, n->end - n->start - 2);

	if (rlen < 0)
		die("parameter set too large");
	return (size_t)rlen;
}

/* The SPS a VPS is for: the next one in the stream that names it. */
static void sps_for_vps(const uint8_t *b, size_t len, const struct nal *vps, unsigned vps_id,
			struct sps_state *st)
{
	static uint8_t rbsp[1 << 16];
	struct nal n;

	for (size_t sc = vps->next; nal_at(b, len, sc, &n); sc = n.next) {
		struct dd_bitr r;
		size_t rlen;

		if (n.type != 33)
			continue;
		rlen = unescape(b, &n, rbsp, sizeof(rbsp));
		dd_bitr_init(&r, rbsp, rlen);
		if (dd_bitr_u(&r, 4) != vps_id)
			continue;
		dd_bitr_init(&r, rbsp, rlen);
		parse_sps(&r, st);
		return;
	}
	die("no SPS after the VPS %u", vps_id);
}

static void put(FILE *o, const uint8_t *p, size_t n, const char *out)
{
	if (fwrite(p, 1, n, o) != n)
		die("cannot write %s", out);
}

static void print_sps(const struct sps_state *st)
{
	const struct v4l2_ctrl_hevc_sps *s = &st->ctrl;
	unsigned min_cb = s->log2_min_luma_coding_block_size_minus3 + 3u;
	uint64_t f = s->flags;

#define SF(name) !!(f & V4L2_HEVC_SPS_FLAG_##name)
	printf(" depth %u ctb %u mincb %u width %u height %u", s->bit_depth_luma_minus8 + 8,
	       1u << (min_cb + s->log2_diff_max_min_luma_coding_block_size), 1u << min_cb,
	       s->pic_width_in_luma_samples, s->pic_height_in_luma_samples);
	printf(" crop_left %u crop_right %u crop_top %u crop_bottom %u", st->crop[0], st->crop[1],
	       st->crop[2], st->crop[3]);
	printf(" sublayers %u nesting %u reorder %u scaling %u spsdata %u",
	       s->sps_max_sub_layers_minus1 + 1u, st->nesting, s->sps_max_num_reorder_pics,
	       SF(SCALING_LIST_ENABLED), st->data);
	printf(" amp %u sao %u pcm %u tmvp %u sis %u ltr %u\n", SF(AMP_ENABLED),
	       SF(SAMPLE_ADAPTIVE_OFFSET), SF(PCM_ENABLED), SF(SPS_TEMPORAL_MVP_ENABLED),
	       SF(STRONG_INTRA_SMOOTHING_ENABLED), SF(LONG_TERM_REF_PICS_PRESENT));
#undef SF
}

static void print_pps(const struct v4l2_ctrl_hevc_pps *p, enum list_src src, bool matrix, bool asym)
{
	uint64_t f = p->flags;
	bool tiles = f & V4L2_HEVC_PPS_FLAG_TILES_ENABLED;

#define PF(name) !!(f & V4L2_HEVC_PPS_FLAG_##name)
	printf(" tiles %u cols %u rows %u uniform %u wpp %u", tiles,
	       tiles ? p->num_tile_columns_minus1 + 1u : 1u, tiles ? p->num_tile_rows_minus1 + 1u : 1u,
	       PF(UNIFORM_SPACING), PF(ENTROPY_CODING_SYNC_ENABLED));
	printf(" lists %u matrix %u asym %u", src, matrix, asym);
	printf(" initqp %d cuqpd %u cbqp %d crqp %d", p->init_qp_minus26 + 26, PF(CU_QP_DELTA_ENABLED),
	       p->pps_cb_qp_offset, p->pps_cr_qp_offset);
	printf(" dbkctl %u dbkoff %u beta %d tc %d", PF(DEBLOCKING_FILTER_CONTROL_PRESENT),
	       PF(PPS_DISABLE_DEBLOCKING_FILTER), p->pps_beta_offset_div2, p->pps_tc_offset_div2);
	printf(" tskip %u sdh %u cip %u wp %u wbp %u bypass %u cabacinit %u lfslices %u lftiles %u\n",
	       PF(TRANSFORM_SKIP_ENABLED), PF(SIGN_DATA_HIDING_ENABLED), PF(CONSTRAINED_INTRA_PRED),
	       PF(WEIGHTED_PRED), PF(WEIGHTED_BIPRED), PF(TRANSQUANT_BYPASS_ENABLED),
	       PF(CABAC_INIT_PRESENT), PF(PPS_LOOP_FILTER_ACROSS_SLICES_ENABLED),
	       PF(LOOP_FILTER_ACROSS_TILES_ENABLED));
#undef PF
}

/*
 * Two PPSs with tiles made from p, for a picture of wc x hc CTBs: 3 x 2
 * tiles (fewer if the picture is smaller) with uniform spacing, then
 * explicit sizes of 1 and 2 CTBs for all but the last column and 1 for
 * the first row. Printed with their sizes for the test to compare with
 * what ffmpeg reads back.
 */
static void extra_tiles(FILE *o, const char *out, const struct v4l2_ctrl_hevc_pps *p,
			const struct sps_state *st, const struct v4l2_ctrl_hevc_scaling_matrix *sm,
			unsigned wc, unsigned hc)
{
	static uint8_t nal[1 << 16];

	for (unsigned k = 0; k < 2; k++) {
		struct v4l2_ctrl_hevc_pps t = *p;
		long n;

		t.pic_parameter_set_id = 62 + k;
		t.flags |= V4L2_HEVC_PPS_FLAG_TILES_ENABLED;
		t.num_tile_columns_minus1 = wc > 3 ? 2 : (uint8_t)(wc - 1);
		t.num_tile_rows_minus1 = hc > 2 ? 1 : (uint8_t)(hc - 1);
		if (!t.num_tile_columns_minus1 && !t.num_tile_rows_minus1)
			die("picture too small for tiles");
		if (k) {
			t.flags &= ~(V4L2_HEVC_PPS_FLAG_UNIFORM_SPACING |
				     V4L2_HEVC_PPS_FLAG_LOOP_FILTER_ACROSS_TILES_ENABLED);
			for (unsigned i = 0; i < t.num_tile_columns_minus1; i++)
				t.column_width_minus1[i] = (uint8_t)i;
			t.row_height_minus1[0] = 0;
		} else {
			t.flags |= V4L2_HEVC_PPS_FLAG_UNIFORM_SPACING |
				   V4L2_HEVC_PPS_FLAG_LOOP_FILTER_ACROSS_TILES_ENABLED;
		}
		n = dd_hevc_write_pps(nal, sizeof(nal), &t, &st->ctrl, sm);
		if (n < 0)
			die("tiles pps id %u: the writer refused it", t.pic_parameter_set_id);
		put(o, nal, (size_t)n, out);
		printf("xpps id %u out %ld bytes", t.pic_parameter_set_id, n - 4);
		print_pps(&t, LISTS_OFF, false, false);
	}
}

static void fill(const char *in, const char *out, bool null_matrix, bool xtiles)
{
	size_t len, region = 0, sc;
	uint8_t *b = read_file(in, &len);
	FILE *o = fopen(out, "wb");
	static uint8_t rbsp[1 << 16], nal[1 << 16];
	struct nal n;

	if (!o)
		die("cannot create %s", out);
	sc = next_start(b, len, 0);
	if (sc == len)
		die("%s: no start code", in);
	for (; nal_at(b, len, sc, &n); sc = n.next) {
		struct dd_bitr r;
		struct sps_state vst;
		struct v4l2_ctrl_hevc_pps p;
		struct v4l2_ctrl_hevc_scaling_matrix sm;
		struct sps_state *st = NULL;
		enum list_src src = LISTS_OFF;
		bool matrix = false;
		const char *kind;
		unsigned id;
		long w;

		if (n.type < 32 || n.type > 34)
			continue;
		kind = n.type == 32 ? "vps" : n.type == 33 ? "sps" : "pps";
		dd_bitr_init(&r, rbsp, unescape(b, &n, rbsp, sizeof(rbsp)));
		if (n.type == 32) {
			id = dd_bitr_u(&r, 4);
			sps_for_vps(b, len, &n, id, &vst);
			w = dd_hevc_write_vps(nal, sizeof(nal), &vst.ctrl);
		} else if (n.type == 33) {
			struct sps_state s;

			id = parse_sps(&r, &s);
			spss[id] = s;
			w = dd_hevc_write_sps(nal, sizeof(nal), &s.ctrl);
		} else {
			id = parse_pps(&r, stop_bit(rbsp, r.len / 8), &p, &sm, &st, &src);
			/* What a client sends: the lists in force, or none for the defaults. */
			matrix = src != LISTS_OFF && !(null_matrix && src == LISTS_DEFAULT);
			w = dd_hevc_write_pps(nal, sizeof(nal), &p, &st->ctrl, matrix ? &sm : NULL);
		}
		if (w < 0)
			die("%s id %u: the writer refused it", kind, id);
		/* The region's leading bytes, then our unit for this one. */
		put(o, b + region, n.sc - region, out);
		put(o, nal, (size_t)w, out);
		region = n.end;
		if (n.type == 32) {
			printf("vps id %u in %zu bytes out %ld bytes", id, n.end - n.start, w - 4);
			printf(" sublayers %u\n", vst.ctrl.sps_max_sub_layers_minus1 + 1);
		} else if (n.type == 33) {
			printf("sps id %u in %zu bytes out %ld bytes", id, n.end - n.start, w - 4);
			print_sps(&spss[id]);
		} else {
			unsigned ctb = 1u << (st->ctrl.log2_min_luma_coding_block_size_minus3 + 3 +
					      st->ctrl.log2_diff_max_min_luma_coding_block_size);

			printf("pps id %u in %zu bytes out %ld bytes", id, n.end - n.start, w - 4);
			print_pps(&p, src, matrix, matrix && matrix_asymmetric(&sm));
			if (xtiles)
				extra_tiles(o, out, &p, st, matrix ? &sm : NULL,
					    (st->ctrl.pic_width_in_luma_samples + ctb - 1) / ctb,
					    (st->ctrl.pic_height_in_luma_samples + ctb - 1) / ctb);
		}
	}
	put(o, b + region, len - region, out);
	if (fclose(o))
		die("cannot write %s", out);
	free(b);
}

/* A legal Main SPS (416x240, 32x32 CTBs) and PPS, each case breaking one field. */
static void invalid(void)
{
	static const struct v4l2_ctrl_hevc_sps base_sps = {
		.pic_width_in_luma_samples = 416, .pic_height_in_luma_samples = 240,
		.chroma_format_idc = 1, .log2_max_pic_order_cnt_lsb_minus4 = 4,
		.sps_max_dec_pic_buffering_minus1 = 4, .sps_max_num_reorder_pics = 2,
		.log2_min_luma_coding_block_size_minus3 = 0,
		.log2_diff_max_min_luma_coding_block_size = 2,
		.log2_min_luma_transform_block_size_minus2 = 0,
		.log2_diff_max_min_luma_transform_block_size = 3,
		.max_transform_hierarchy_depth_inter = 1, .max_transform_hierarchy_depth_intra = 1,
		.pcm_sample_bit_depth_luma_minus1 = 7, .pcm_sample_bit_depth_chroma_minus1 = 7,
		.log2_min_pcm_luma_coding_block_size_minus3 = 0,
		.log2_diff_max_min_pcm_luma_coding_block_size = 2,
		.flags = V4L2_HEVC_SPS_FLAG_SPS_TEMPORAL_MVP_ENABLED,
	};
	static const struct v4l2_ctrl_hevc_pps base_pps = { .log2_parallel_merge_level_minus2 = 0 };
	static struct v4l2_ctrl_hevc_sps s;
	static struct v4l2_ctrl_hevc_pps p;
	static struct v4l2_ctrl_hevc_scaling_matrix sm;
	static uint8_t buf[8192];
	size_t cap;

#define VPS_CASE(name, stmt) do { \
		s = base_sps; stmt; \
		printf("vps %s %ld\n", name, dd_hevc_write_vps(buf, sizeof(buf), &s)); \
	} while (0)
#define SPS_CASE(name, stmt) do { \
		s = base_sps; stmt; \
		printf("sps %s %ld\n", name, dd_hevc_write_sps(buf, sizeof(buf), &s)); \
	} while (0)
#define PPS_CASE(name, stmt) do { \
		s = base_sps; p = base_pps; memset(&sm, 16, sizeof(sm)); cap = sizeof(buf); stmt; \
		printf("pps %s %ld\n", name, dd_hevc_write_pps(buf, cap, &p, &s, &sm)); \
	} while (0)
#define SCALING V4L2_HEVC_SPS_FLAG_SCALING_LIST_ENABLED
#define LTR V4L2_HEVC_SPS_FLAG_LONG_TERM_REF_PICS_PRESENT
#define TILES V4L2_HEVC_PPS_FLAG_TILES_ENABLED
#define UNIFORM V4L2_HEVC_PPS_FLAG_UNIFORM_SPACING
#define DBK V4L2_HEVC_PPS_FLAG_DEBLOCKING_FILTER_CONTROL_PRESENT
	VPS_CASE("valid", (void)0);
	VPS_CASE("sub_layers_valid", s.sps_max_sub_layers_minus1 = 6);
	VPS_CASE("video_parameter_set_id=16", s.video_parameter_set_id = 16);
	VPS_CASE("chroma_format_idc=2", s.chroma_format_idc = 2);
	VPS_CASE("num_short_term_ref_pic_sets=1", s.num_short_term_ref_pic_sets = 1);
	SPS_CASE("valid", (void)0);
	SPS_CASE("main10_valid", (s.bit_depth_luma_minus8 = 2, s.bit_depth_chroma_minus8 = 2));
	SPS_CASE("pcm_valid", s.flags |= V4L2_HEVC_SPS_FLAG_PCM_ENABLED);
	SPS_CASE("ltr_present_valid", s.flags |= LTR);
	SPS_CASE("video_parameter_set_id=16", s.video_parameter_set_id = 16);
	SPS_CASE("seq_parameter_set_id=16", s.seq_parameter_set_id = 16);
	SPS_CASE("sps_max_sub_layers_minus1=7", s.sps_max_sub_layers_minus1 = 7);
	SPS_CASE("chroma_format_idc=0", s.chroma_format_idc = 0);
	SPS_CASE("chroma_format_idc=2", s.chroma_format_idc = 2);
	SPS_CASE("chroma_format_idc=3", s.chroma_format_idc = 3);
	SPS_CASE("separate_colour_plane", s.flags |= V4L2_HEVC_SPS_FLAG_SEPARATE_COLOUR_PLANE);
	SPS_CASE("bit_depth=12", (s.bit_depth_luma_minus8 = 4, s.bit_depth_chroma_minus8 = 4));
	SPS_CASE("bit_depth=9", (s.bit_depth_luma_minus8 = 1, s.bit_depth_chroma_minus8 = 1));
	SPS_CASE("bit_depth_chroma_minus8=2", s.bit_depth_chroma_minus8 = 2);
	SPS_CASE("log2_max_pic_order_cnt_lsb_minus4=13", s.log2_max_pic_order_cnt_lsb_minus4 = 13);
	SPS_CASE("sps_max_dec_pic_buffering_minus1=16", s.sps_max_dec_pic_buffering_minus1 = 16);
	SPS_CASE("sps_max_num_reorder_pics=5", s.sps_max_num_reorder_pics = 5);
	SPS_CASE("ctb=128", s.log2_diff_max_min_luma_coding_block_size = 4);
	SPS_CASE("ctb=8", s.log2_diff_max_min_luma_coding_block_size = 0);
	SPS_CASE("min_cb_size_minus3=255", s.log2_min_luma_coding_block_size_minus3 = 255);
	SPS_CASE("min_tb=min_cb", s.log2_min_luma_transform_block_size_minus2 = 1);
	SPS_CASE("max_tb=64", s.log2_diff_max_min_luma_transform_block_size = 4);
	SPS_CASE("max_transform_hierarchy_depth_inter=4", s.max_transform_hierarchy_depth_inter = 4);
	SPS_CASE("max_transform_hierarchy_depth_intra=4", s.max_transform_hierarchy_depth_intra = 4);
	SPS_CASE("pic_width_in_luma_samples=0", s.pic_width_in_luma_samples = 0);
	SPS_CASE("pic_width_in_luma_samples=420", s.pic_width_in_luma_samples = 420);
	SPS_CASE("pic_height_in_luma_samples=244", s.pic_height_in_luma_samples = 244);
	SPS_CASE("pcm_sample_bit_depth_luma_minus1=8", (s.flags |= V4L2_HEVC_SPS_FLAG_PCM_ENABLED,
			s.pcm_sample_bit_depth_luma_minus1 = 8));
	SPS_CASE("pcm_size=64", (s.flags |= V4L2_HEVC_SPS_FLAG_PCM_ENABLED,
			s.log2_diff_max_min_pcm_luma_coding_block_size = 3));
	SPS_CASE("num_short_term_ref_pic_sets=1", s.num_short_term_ref_pic_sets = 1);
	SPS_CASE("num_long_term_ref_pics_sps=1", (s.flags |= LTR, s.num_long_term_ref_pics_sps = 1));
	SPS_CASE("unknown_flag", s.flags |= 1ULL << 9);
	PPS_CASE("valid", (void)0);
	PPS_CASE("scaling_valid", s.flags |= SCALING);
	PPS_CASE("scaling_off_zero_matrix_valid", memset(&sm, 0, sizeof(sm)));
	PPS_CASE("tiles_uniform_valid", (p.flags = TILES | UNIFORM,
			p.num_tile_columns_minus1 = 12, p.num_tile_rows_minus1 = 7));
	PPS_CASE("tiles_explicit_valid", (p.flags = TILES, p.num_tile_columns_minus1 = 2,
			p.column_width_minus1[0] = 5, p.column_width_minus1[1] = 5));
	PPS_CASE("lf_across_tiles_without_tiles_valid",
		 p.flags = V4L2_HEVC_PPS_FLAG_LOOP_FILTER_ACROSS_TILES_ENABLED);
	PPS_CASE("beta_unused_valid", p.pps_beta_offset_div2 = 7);
	PPS_CASE("main10_init_qp_minus26=-38_valid", (s.bit_depth_luma_minus8 = 2,
			s.bit_depth_chroma_minus8 = 2, p.init_qp_minus26 = -38));
	PPS_CASE("invalid_sps", s.chroma_format_idc = 2);
	PPS_CASE("pic_parameter_set_id=64", p.pic_parameter_set_id = 64);
	PPS_CASE("num_extra_slice_header_bits=8", p.num_extra_slice_header_bits = 8);
	PPS_CASE("num_ref_idx_l0_default_active_minus1=15",
		 p.num_ref_idx_l0_default_active_minus1 = 15);
	PPS_CASE("num_ref_idx_l1_default_active_minus1=15",
		 p.num_ref_idx_l1_default_active_minus1 = 15);
	PPS_CASE("init_qp_minus26=26", p.init_qp_minus26 = 26);
	PPS_CASE("init_qp_minus26=-27", p.init_qp_minus26 = -27);
	PPS_CASE("diff_cu_qp_delta_depth=3", (p.flags = V4L2_HEVC_PPS_FLAG_CU_QP_DELTA_ENABLED,
			p.diff_cu_qp_delta_depth = 3));
	PPS_CASE("pps_cb_qp_offset=13", p.pps_cb_qp_offset = 13);
	PPS_CASE("pps_cr_qp_offset=-13", p.pps_cr_qp_offset = -13);
	PPS_CASE("tiles_one_tile", p.flags = TILES);
	PPS_CASE("num_tile_columns_minus1=13", (p.flags = TILES | UNIFORM,
			p.num_tile_columns_minus1 = 13));
	PPS_CASE("num_tile_rows_minus1=8", (p.flags = TILES | UNIFORM,
			p.num_tile_rows_minus1 = 8));
	PPS_CASE("num_tile_columns_minus1=20", (s.pic_width_in_luma_samples = 1024,
			p.flags = TILES | UNIFORM, p.num_tile_columns_minus1 = 20));
	PPS_CASE("column_widths_too_wide", (p.flags = TILES, p.num_tile_columns_minus1 = 2,
			p.column_width_minus1[0] = 5, p.column_width_minus1[1] = 6));
	PPS_CASE("row_heights_too_tall", (p.flags = TILES, p.num_tile_rows_minus1 = 1,
			p.row_height_minus1[0] = 7));
	PPS_CASE("pps_beta_offset_div2=7", (p.flags = DBK, p.pps_beta_offset_div2 = 7));
	PPS_CASE("pps_tc_offset_div2=-7", (p.flags = DBK, p.pps_tc_offset_div2 = -7));
	PPS_CASE("log2_parallel_merge_level_minus2=4", p.log2_parallel_merge_level_minus2 = 4);
	PPS_CASE("unknown_flag", p.flags = 1ULL << 21);
	PPS_CASE("scaling_value_0", (s.flags |= SCALING, sm.scaling_list_8x8[4][9] = 0));
	PPS_CASE("scaling_dc_0", (s.flags |= SCALING, sm.scaling_list_dc_coef_32x32[1] = 0));
	PPS_CASE("buffer_too_small", (s.flags |= SCALING, cap = 64));
#undef SCALING
#undef LTR
#undef TILES
#undef UNIFORM
#undef DBK
}

int main(int argc, char **argv)
{
	bool null_matrix = false, xtiles = false;
	int i = 1;

	if (argc == 2 && !strcmp(argv[1], "--invalid")) {
		invalid();
		return 0;
	}
	for (; i < argc && !strncmp(argv[i], "--", 2); i++) {
		if (!strcmp(argv[i], "--null-matrix"))
			null_matrix = true;
		else if (!strcmp(argv[i], "--extra-tiles"))
			xtiles = true;
		else
			die("unknown option %s", argv[i]);
	}
	if (argc - i != 2)
		die("usage: hevc-params-fill [--null-matrix] [--extra-tiles] IN OUT | --invalid");
	fill(argv[i], argv[i + 1], null_matrix, xtiles);
	return 0;
}
