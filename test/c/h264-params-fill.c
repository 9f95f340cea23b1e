// SPDX-License-Identifier: BSD-2-Clause
/*
 * Test-only stand-in for a stateless H.264 client, for
 * test/sl-h264-headers.test.ts. "h264-params-fill IN OUT" reads an Annex B
 * stream, parses each SPS and PPS into the V4L2 control structs the way a
 * client fills them (scaling lists resolved through the spec's fall-back
 * rules into final lists, in the control's raster order), and writes OUT
 * with each of those NAL units replaced by the one c/daemon/sl-h264-headers.c
 * synthesizes from the structs; every other byte is copied. One line per
 * replaced unit goes to stdout. "h264-params-fill --invalid" feeds
 * out-of-range structs to the writers and prints what each returned.
 *
 * The scan tables here are written out by hand, apart from the writer's
 * generated ones, so a wrong scan in either does not cancel out.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bits.h"
#include "sl-h264-headers.h"

#define FILL_NAME "h264-params-fill"
#include "fill-util.h"

/* Raster index of each zig-zag position (H.264 8.5.6 and 8.5.7, frame scans). */
static const uint8_t zz4[16] = { 0, 1, 4, 8, 5, 2, 3, 6, 9, 12, 13, 10, 7, 11, 14, 15 };
static const uint8_t zz8[64] = {
	0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
	12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
	35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
	58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
};

/* Default scaling lists (Tables 7-3, 7-4), in zig-zag order. */
static const uint8_t def4_intra[16] = { 6, 13, 13, 20, 20, 20, 28, 28, 28, 28, 32, 32, 32, 37, 37, 42 };
static const uint8_t def4_inter[16] = { 10, 14, 14, 20, 20, 20, 24, 24, 24, 24, 27, 27, 27, 30, 30, 34 };
static const uint8_t def8_intra[64] = {
	6, 10, 10, 13, 11, 13, 16, 16, 16, 16, 18, 18, 18, 18, 18, 23,
	23, 23, 23, 23, 23, 25, 25, 25, 25, 25, 25, 25, 27, 27, 27, 27,
	27, 27, 27, 27, 29, 29, 29, 29, 29, 29, 29, 31, 31, 31, 31, 31,
	31, 33, 33, 33, 33, 33, 36, 36, 36, 36, 38, 38, 38, 40, 40, 42,
};
static const uint8_t def8_inter[64] = {
	9, 13, 13, 15, 13, 15, 17, 17, 17, 17, 19, 19, 19, 19, 19, 21,
	21, 21, 21, 21, 21, 22, 22, 22, 22, 22, 22, 22, 24, 24, 24, 24,
	24, 24, 24, 24, 25, 25, 25, 25, 25, 25, 25, 27, 27, 27, 27, 27,
	27, 28, 28, 28, 28, 28, 30, 30, 30, 30, 32, 32, 32, 33, 33, 35,
};

/* Lists 0-5 are 4x4 (first 16 used), 6-11 are 8x8; zig-zag order. */
typedef uint8_t lists_t[12][64];

struct sps_state {
	bool seen;
	struct v4l2_ctrl_h264_sps ctrl;
	bool matrix;		/* seq_scaling_matrix_present_flag */
	lists_t lists;		/* resolved: Flat_16 when !matrix */
};

static struct sps_state spss[32];

static unsigned list_size(unsigned i)
{
	return i < 6 ? 16 : 64;
}

static const uint8_t *default_list(unsigned i)
{
	if (i < 6)
		return i < 3 ? def4_intra : def4_inter;
	return i % 2 == 0 ? def8_intra : def8_inter;
}

/* scaling_list() (7.3.2.1.1.1): whether useDefaultScalingMatrixFlag. */
static bool read_list(struct dd_bitr *r, uint8_t *list, unsigned size)
{
	int last = 8, next = 8;

	for (unsigned j = 0; j < size; j++) {
		if (next) {
			int32_t delta = dd_bitr_se(r);

			if (delta < -128 || delta > 127)
				die("delta_scale %d out of range", delta);
			next = (last + delta + 256) % 256;
			if (!j && !next)
				return true;
		}
		list[j] = next ? next : last;
		last = list[j];
	}
	return false;
}

/*
 * Reads the n present flags and lists, resolving absent ones by fall-back
 * rule A (seq == NULL) or B (seq: the sequence-level lists), Table 7-2.
 * Lists past n are resolved the same way, as if absent.
 */
static void read_lists(struct dd_bitr *r, unsigned n, lists_t out, lists_t seq)
{
	for (unsigned i = 0; i < 12; i++) {
		unsigned size = list_size(i);
		bool present = i < n && dd_bitr_u(r, 1);

		if (present) {
			if (read_list(r, out[i], size))
				memcpy(out[i], default_list(i), size);
		} else if (i == 0 || i == 3 || i == 6 || i == 7) {
			memcpy(out[i], seq ? seq[i] : default_list(i), size);
		} else {
			memcpy(out[i], out[i < 6 ? i - 1 : i - 2], size);
		}
	}
}

static void flat_lists(lists_t out)
{
	memset(out, 16, sizeof(lists_t));
}

/* Index of the rbsp_stop_one_bit, to tell more_rbsp_data(). */
static size_t stop_bit(const uint8_t *rbsp, size_t len)
{
	while (len && !rbsp[len - 1])
		len--;
	if (!len)
		die("RBSP without a stop bit");
	return (len - 1) * 8 + 7 - __builtin_ctz(rbsp[len - 1]);
}

static bool high_profile(unsigned p)
{
	struct v4l2_ctrl_h264_sps s = { .profile_idc = p };

	return V4L2_H264_SPS_HAS_CHROMA_FORMAT(&s);
}

static unsigned parse_sps(struct dd_bitr *r)
{
	struct v4l2_ctrl_h264_sps s = { .chroma_format_idc = 1 };
	struct sps_state *st;
	uint32_t v, cs, id;
	bool matrix = false;
	lists_t lists;

	s.profile_idc = dd_bitr_u(r, 8);
	cs = dd_bitr_u(r, 8);
	for (unsigned i = 0; i < 6; i++)
		if (cs & 0x80 >> i)
			s.constraint_set_flags |= 1 << i;
	s.level_idc = dd_bitr_u(r, 8);
	id = dd_bitr_ue(r);
	if (id > 31)
		die("sps id %u", id);
	s.seq_parameter_set_id = id;
	flat_lists(lists);
	if (high_profile(s.profile_idc)) {
		s.chroma_format_idc = dd_bitr_ue(r);
		if (s.chroma_format_idc == 3 && dd_bitr_u(r, 1))
			s.flags |= V4L2_H264_SPS_FLAG_SEPARATE_COLOUR_PLANE;
		s.bit_depth_luma_minus8 = dd_bitr_ue(r);
		s.bit_depth_chroma_minus8 = dd_bitr_ue(r);
		if (dd_bitr_u(r, 1))
			s.flags |= V4L2_H264_SPS_FLAG_QPPRIME_Y_ZERO_TRANSFORM_BYPASS;
		matrix = dd_bitr_u(r, 1);
		if (matrix)
			read_lists(r, s.chroma_format_idc == 3 ? 12 : 8, lists, NULL);
	}
	s.log2_max_frame_num_minus4 = dd_bitr_ue(r);
	s.pic_order_cnt_type = dd_bitr_ue(r);
	if (s.pic_order_cnt_type == 0) {
		s.log2_max_pic_order_cnt_lsb_minus4 = dd_bitr_ue(r);
	} else if (s.pic_order_cnt_type == 1) {
		if (dd_bitr_u(r, 1))
			s.flags |= V4L2_H264_SPS_FLAG_DELTA_PIC_ORDER_ALWAYS_ZERO;
		s.offset_for_non_ref_pic = dd_bitr_se(r);
		s.offset_for_top_to_bottom_field = dd_bitr_se(r);
		v = dd_bitr_ue(r);
		if (v > 255)
			die("num_ref_frames_in_pic_order_cnt_cycle %u", v);
		s.num_ref_frames_in_pic_order_cnt_cycle = v;
		for (unsigned i = 0; i < v; i++)
			s.offset_for_ref_frame[i] = dd_bitr_se(r);
	}
	s.max_num_ref_frames = dd_bitr_ue(r);
	if (dd_bitr_u(r, 1))
		s.flags |= V4L2_H264_SPS_FLAG_GAPS_IN_FRAME_NUM_VALUE_ALLOWED;
	s.pic_width_in_mbs_minus1 = dd_bitr_ue(r);
	s.pic_height_in_map_units_minus1 = dd_bitr_ue(r);
	if (dd_bitr_u(r, 1))
		s.flags |= V4L2_H264_SPS_FLAG_FRAME_MBS_ONLY;
	else if (dd_bitr_u(r, 1))
		s.flags |= V4L2_H264_SPS_FLAG_MB_ADAPTIVE_FRAME_FIELD;
	if (dd_bitr_u(r, 1))
		s.flags |= V4L2_H264_SPS_FLAG_DIRECT_8X8_INFERENCE;
	/* Cropping and VUI: not in the control, so not read. */
	if (r->error)
		die("SPS %u truncated", id);
	st = &spss[id];
	*st = (struct sps_state){ .seen = true, .ctrl = s, .matrix = matrix };
	memcpy(st->lists, lists, sizeof(lists));
	return id;
}

static unsigned parse_pps(struct dd_bitr *r, size_t stop, struct v4l2_ctrl_h264_pps *p,
			  struct v4l2_ctrl_h264_scaling_matrix *sm, struct sps_state **spsp)
{
	uint32_t id = dd_bitr_ue(r), sid = dd_bitr_ue(r);
	struct sps_state *st;
	bool matrix = false;
	lists_t lists;

	if (id > 255 || sid > 31 || !spss[sid].seen)
		die("pps id %u refers to sps id %u, unknown", id, sid);
	st = &spss[sid];
	*p = (struct v4l2_ctrl_h264_pps){ .pic_parameter_set_id = id, .seq_parameter_set_id = sid };
	if (dd_bitr_u(r, 1))
		p->flags |= V4L2_H264_PPS_FLAG_ENTROPY_CODING_MODE;
	if (dd_bitr_u(r, 1))
		p->flags |= V4L2_H264_PPS_FLAG_BOTTOM_FIELD_PIC_ORDER_IN_FRAME_PRESENT;
	if (dd_bitr_ue(r))
		die("pps id %u uses FMO", id);
	p->num_ref_idx_l0_default_active_minus1 = dd_bitr_ue(r);
	p->num_ref_idx_l1_default_active_minus1 = dd_bitr_ue(r);
	if (dd_bitr_u(r, 1))
		p->flags |= V4L2_H264_PPS_FLAG_WEIGHTED_PRED;
	p->weighted_bipred_idc = dd_bitr_u(r, 2);
	p->pic_init_qp_minus26 = dd_bitr_se(r);
	p->pic_init_qs_minus26 = dd_bitr_se(r);
	p->chroma_qp_index_offset = dd_bitr_se(r);
	p->second_chroma_qp_index_offset = p->chroma_qp_index_offset;
	if (dd_bitr_u(r, 1))
		p->flags |= V4L2_H264_PPS_FLAG_DEBLOCKING_FILTER_CONTROL_PRESENT;
	if (dd_bitr_u(r, 1))
		p->flags |= V4L2_H264_PPS_FLAG_CONSTRAINED_INTRA_PRED;
	if (dd_bitr_u(r, 1))
		p->flags |= V4L2_H264_PPS_FLAG_REDUNDANT_PIC_CNT_PRESENT;
	if (r->pos < stop) {	/* more_rbsp_data() */
		bool t8x8 = dd_bitr_u(r, 1);

		if (t8x8)
			p->flags |= V4L2_H264_PPS_FLAG_TRANSFORM_8X8_MODE;
		matrix = dd_bitr_u(r, 1);
		if (matrix)
			/* Rule A if the SPS had no lists, else B (7.4.2.2). */
			read_lists(r, 6 + (st->ctrl.chroma_format_idc == 3 ? 6 : 2) * t8x8, lists,
				   st->matrix ? st->lists : NULL);
		p->second_chroma_qp_index_offset = dd_bitr_se(r);
	}
	if (r->error || r->pos != stop)
		die("PPS %u truncated or too long", id);
	if (!matrix)
		memcpy(lists, st->lists, sizeof(lists));
	/* The client's flag: a non-flat matrix applies (from SPS or PPS). */
	if (matrix || st->matrix)
		p->flags |= V4L2_H264_PPS_FLAG_SCALING_MATRIX_PRESENT;
	/* Zig-zag to the control's raster order; 8x8 indices as Table 7-2. */
	for (unsigned i = 0; i < 6; i++) {
		for (unsigned k = 0; k < 16; k++)
			sm->scaling_list_4x4[i][zz4[k]] = lists[i][k];
		for (unsigned k = 0; k < 64; k++)
			sm->scaling_list_8x8[i][zz8[k]] = lists[6 + i][k];
	}
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

static void fill(const char *in, const char *out)
{
	size_t len, region = 0, sc;
	uint8_t *b = read_file(in, &len);
	FILE *o = fopen(out, "wb");
	static uint8_t rbsp[1 << 16], nal[1 << 16];

	if (!o)
		die("cannot create %s", out);
	sc = next_start(b, len, 0);
	if (sc == len)
		die("%s: no start code", in);
	while (sc < len) {
		size_t start = sc + 3, next = next_start(b, len, start), end = next;
		unsigned type;
		long n = -1, rlen;
		struct dd_bitr r;
		unsigned id;
		const char *what;
		unsigned pflags = 0;

		/* Zeros before the next start code are not this unit's. */
		while (end > start && !b[end - 1])
			end--;
		if (end == start)
			die("empty NAL unit at %zu", sc);
		type = b[start] & 0x1f;
		if (type == 7 || type == 8) {
			rlen = dd_nal_unescape(rbsp, sizeof(rbsp), b + start + 1, end - start - 1);
			if (rlen < 0)
				die("parameter set too large");
			dd_bitr_init(&r, rbsp, rlen);
			if (type == 7) {
				id = parse_sps(&r);
				what = "sps";
				n = dd_h264_write_sps(nal, sizeof(nal), &spss[id].ctrl);
			} else {
				struct v4l2_ctrl_h264_pps p;
				struct v4l2_ctrl_h264_scaling_matrix sm;
				struct sps_state *st;

				id = parse_pps(&r, stop_bit(rbsp, rlen), &p, &sm, &st);
				what = "pps";
				n = dd_h264_write_pps(nal, sizeof(nal), &p, &st->ctrl, &sm);
				pflags = p.flags;
			}
			if (n < 0)
				die("%s id %u: the writer refused it", what, id);
			/* The region's leading bytes, then our unit for this one. */
			if (fwrite(b + region, 1, sc - region, o) != sc - region ||
			    fwrite(nal, 1, n, o) != (size_t)n)
				die("cannot write %s", out);
			printf("%s id %u in %zu bytes out %ld bytes", what, id, end - start, n - 4);
			if (type == 7)
				printf(" profile %u poc %u field %u mbaff %u\n", spss[id].ctrl.profile_idc,
				       spss[id].ctrl.pic_order_cnt_type,
				       !(spss[id].ctrl.flags & V4L2_H264_SPS_FLAG_FRAME_MBS_ONLY),
				       !!(spss[id].ctrl.flags & V4L2_H264_SPS_FLAG_MB_ADAPTIVE_FRAME_FIELD));
			else
				printf(" matrix %u\n", !!(pflags & V4L2_H264_PPS_FLAG_SCALING_MATRIX_PRESENT));
			region = end;
		}
		sc = next;
	}
	if (fwrite(b + region, 1, len - region, o) != len - region || fclose(o))
		die("cannot write %s", out);
	free(b);
}

/* A legal Baseline SPS/PPS pair, each case breaking one field. */
static void invalid(void)
{
	static const struct v4l2_ctrl_h264_sps base_sps = {
		.profile_idc = 66, .level_idc = 30, .chroma_format_idc = 1,
		.max_num_ref_frames = 1, .pic_width_in_mbs_minus1 = 3,
		.pic_height_in_map_units_minus1 = 3,
		.flags = V4L2_H264_SPS_FLAG_FRAME_MBS_ONLY | V4L2_H264_SPS_FLAG_DIRECT_8X8_INFERENCE,
	};
	static const struct v4l2_ctrl_h264_pps base_pps = { 0 };
	static struct v4l2_ctrl_h264_sps s;
	struct v4l2_ctrl_h264_pps p;
	struct v4l2_ctrl_h264_scaling_matrix sm;
	static uint8_t buf[8192];
	size_t cap;

#define SPS_CASE(name, stmt) do { \
		s = base_sps; stmt; \
		printf("sps %s %ld\n", name, dd_h264_write_sps(buf, sizeof(buf), &s)); \
	} while (0)
#define PPS_CASE(name, stmt) do { \
		s = base_sps; p = base_pps; memset(&sm, 16, sizeof(sm)); cap = sizeof(buf); stmt; \
		printf("pps %s %ld\n", name, dd_h264_write_pps(buf, cap, &p, &s, &sm)); \
	} while (0)
	SPS_CASE("valid", (void)0);
	SPS_CASE("log2_max_frame_num_minus4=13", s.log2_max_frame_num_minus4 = 13);
	SPS_CASE("pic_order_cnt_type=3", s.pic_order_cnt_type = 3);
	SPS_CASE("log2_max_pic_order_cnt_lsb_minus4=13", s.log2_max_pic_order_cnt_lsb_minus4 = 13);
	SPS_CASE("seq_parameter_set_id=32", s.seq_parameter_set_id = 32);
	SPS_CASE("chroma_format_idc=4", (s.profile_idc = 100, s.chroma_format_idc = 4));
	SPS_CASE("bit_depth_luma_minus8=7", (s.profile_idc = 100, s.bit_depth_luma_minus8 = 7));
	SPS_CASE("baseline_chroma_format_idc=2", s.chroma_format_idc = 2);
	SPS_CASE("separate_colour_plane_420", (s.profile_idc = 244,
			s.flags |= V4L2_H264_SPS_FLAG_SEPARATE_COLOUR_PLANE));
	SPS_CASE("max_num_ref_frames=17", s.max_num_ref_frames = 17);
	SPS_CASE("offset_for_ref_frame=INT32_MIN", (s.pic_order_cnt_type = 1,
			s.num_ref_frames_in_pic_order_cnt_cycle = 1, s.offset_for_ref_frame[0] = INT32_MIN));
	SPS_CASE("constraint_set_flags=0x40", s.constraint_set_flags = 0x40);
	SPS_CASE("mbaff_with_frame_mbs_only", s.flags |= V4L2_H264_SPS_FLAG_MB_ADAPTIVE_FRAME_FIELD);
	SPS_CASE("field_without_direct_8x8", s.flags = 0);
	PPS_CASE("valid", (void)0);
	PPS_CASE("num_slice_groups_minus1=1", p.num_slice_groups_minus1 = 1);
	PPS_CASE("num_ref_idx_l0_default_active_minus1=32", p.num_ref_idx_l0_default_active_minus1 = 32);
	PPS_CASE("weighted_bipred_idc=3", p.weighted_bipred_idc = 3);
	PPS_CASE("pic_init_qp_minus26=26", p.pic_init_qp_minus26 = 26);
	PPS_CASE("pic_init_qp_minus26=-27", p.pic_init_qp_minus26 = -27);
	PPS_CASE("pic_init_qs_minus26=-27", p.pic_init_qs_minus26 = -27);
	PPS_CASE("chroma_qp_index_offset=13", p.chroma_qp_index_offset = 13);
	PPS_CASE("second_chroma_qp_index_offset=-13", (s.profile_idc = 100,
			p.second_chroma_qp_index_offset = -13));
	PPS_CASE("sps_id_mismatch", p.seq_parameter_set_id = 1);
	PPS_CASE("baseline_transform_8x8", p.flags = V4L2_H264_PPS_FLAG_TRANSFORM_8X8_MODE);
	PPS_CASE("scaling_value_0", (s.profile_idc = 100, sm.scaling_list_4x4[2][5] = 0));
	PPS_CASE("buffer_too_small", (s.profile_idc = 100, sm.scaling_list_4x4[0][0] = 17, cap = 16));
	/* Legal only from High 10 on: QpBdOffsetY widens the lower bound. */
	PPS_CASE("high10_pic_init_qp_minus26=-38", (s.profile_idc = 110, s.bit_depth_luma_minus8 = 2,
			p.pic_init_qp_minus26 = -38));
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "--invalid")) {
		invalid();
		return 0;
	}
	if (argc != 3)
		die("usage: h264-params-fill IN.h264 OUT.h264 | --invalid");
	fill(argv[1], argv[2]);
	return 0;
}
