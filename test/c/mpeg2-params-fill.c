// SPDX-License-Identifier: BSD-2-Clause
/*
 * Test-only stand-in for a stateless MPEG-2 client, for
 * test/sl-mpeg2-headers.test.ts. "mpeg2-params-fill IN OUT" reads an MPEG-2
 * elementary stream, parses each sequence header, sequence extension,
 * picture header, picture coding extension and quant matrix extension into
 * the V4L2 control structs the way a client fills them (matrices in the
 * control's zig-zag order, the spec's defaults when not loaded), and writes
 * OUT with, for each picture, everything from the end of the previous
 * picture's slices to its first slice replaced by what
 * c/daemon/sl-mpeg2-headers.c synthesizes: GOP headers, user data and other
 * extensions go. Slices and the sequence end code are copied. One line per
 * picture goes to stdout. "mpeg2-params-fill --invalid" feeds out-of-range
 * structs to the writer and prints what it returned.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bits.h"
#include "sl-mpeg2-headers.h"

#define FILL_NAME "mpeg2-params-fill"
#include "fill-util.h"

/* Raster index of each zig-zag scan position (13818-2 Figure 7-2, scan 0). */
static const uint8_t zigzag[64] = {
	0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
	12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
	35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
	58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
};

/* The default intra matrix (6.3.11), in raster order as the spec prints it. */
static const uint8_t default_intra_raster[64] = {
	8, 16, 19, 22, 26, 27, 29, 34,
	16, 16, 22, 24, 27, 29, 34, 37,
	19, 22, 26, 27, 29, 34, 34, 38,
	22, 22, 26, 27, 29, 34, 37, 40,
	22, 26, 27, 29, 32, 35, 40, 48,
	26, 27, 29, 32, 35, 40, 48, 58,
	26, 27, 29, 34, 38, 46, 56, 69,
	27, 29, 35, 38, 46, 56, 69, 83,
};

static struct {
	struct v4l2_ctrl_mpeg2_sequence seq;
	struct v4l2_ctrl_mpeg2_picture pic;
	struct v4l2_ctrl_mpeg2_quantisation quant;
	bool seq_ext;		/* the sequence header's extension was seen */
	bool pic_ext;		/* the picture header's coding extension was seen */
	bool loaded;		/* a matrix was loaded since the sequence header */
	unsigned tref;		/* the picture's own temporal_reference */
} st;

/* 64 values as sent, in zig-zag order: the control's order too. */
static void read_matrix(struct dd_bitr *r, uint8_t *m, uint8_t *copy)
{
	for (unsigned i = 0; i < 64; i++) {
		m[i] = dd_bitr_u(r, 8);
		if (copy)
			copy[i] = m[i];
	}
	st.loaded = true;
}

static void parse_sequence(struct dd_bitr *r)
{
	struct v4l2_ctrl_mpeg2_quantisation *q = &st.quant;

	st.seq = (struct v4l2_ctrl_mpeg2_sequence){ 0 };
	st.seq.horizontal_size = dd_bitr_u(r, 12);
	st.seq.vertical_size = dd_bitr_u(r, 12);
	dd_bitr_skip(r, 4 + 4 + 18 + 1);	/* aspect, frame rate, bit rate, marker */
	st.seq.vbv_buffer_size = dd_bitr_u(r, 10);
	dd_bitr_skip(r, 1);			/* constrained_parameters_flag */
	/* A sequence header resets all four matrices (6.3.11). */
	st.loaded = false;
	for (unsigned i = 0; i < 64; i++) {
		q->intra_quantiser_matrix[i] = default_intra_raster[zigzag[i]];
		q->non_intra_quantiser_matrix[i] = 16;
	}
	if (dd_bitr_u(r, 1))
		read_matrix(r, q->intra_quantiser_matrix, NULL);
	if (dd_bitr_u(r, 1))
		read_matrix(r, q->non_intra_quantiser_matrix, NULL);
	memcpy(q->chroma_intra_quantiser_matrix, q->intra_quantiser_matrix, 64);
	memcpy(q->chroma_non_intra_quantiser_matrix, q->non_intra_quantiser_matrix, 64);
	st.seq_ext = false;
}

static void parse_sequence_ext(struct dd_bitr *r)
{
	st.seq.profile_and_level_indication = dd_bitr_u(r, 8);
	if (dd_bitr_u(r, 1))
		st.seq.flags |= V4L2_MPEG2_SEQ_FLAG_PROGRESSIVE;
	st.seq.chroma_format = dd_bitr_u(r, 2);
	st.seq.horizontal_size |= dd_bitr_u(r, 2) << 12;
	st.seq.vertical_size |= dd_bitr_u(r, 2) << 12;
	dd_bitr_skip(r, 12 + 1);		/* bit_rate_extension, marker */
	st.seq.vbv_buffer_size |= dd_bitr_u(r, 8) << 10;
	st.seq_ext = true;
}

static void parse_picture(struct dd_bitr *r)
{
	st.pic = (struct v4l2_ctrl_mpeg2_picture){ 0 };
	st.tref = dd_bitr_u(r, 10);
	st.pic.picture_coding_type = dd_bitr_u(r, 3);
	/* vbv_delay and the MPEG-1 f_codes: the extension has MPEG-2's. */
	st.pic_ext = false;
}

static void parse_picture_ext(struct dd_bitr *r)
{
	static const uint32_t flags[] = {
		V4L2_MPEG2_PIC_FLAG_TOP_FIELD_FIRST, V4L2_MPEG2_PIC_FLAG_FRAME_PRED_DCT,
		V4L2_MPEG2_PIC_FLAG_CONCEALMENT_MV, V4L2_MPEG2_PIC_FLAG_Q_SCALE_TYPE,
		V4L2_MPEG2_PIC_FLAG_INTRA_VLC, V4L2_MPEG2_PIC_FLAG_ALT_SCAN,
		V4L2_MPEG2_PIC_FLAG_REPEAT_FIRST,
	};

	for (unsigned s = 0; s < 2; s++)
		for (unsigned t = 0; t < 2; t++)
			st.pic.f_code[s][t] = dd_bitr_u(r, 4);
	st.pic.intra_dc_precision = dd_bitr_u(r, 2);
	st.pic.picture_structure = dd_bitr_u(r, 2);
	for (unsigned i = 0; i < 7; i++)
		if (dd_bitr_u(r, 1))
			st.pic.flags |= flags[i];
	dd_bitr_skip(r, 1);			/* chroma_420_type */
	if (dd_bitr_u(r, 1))
		st.pic.flags |= V4L2_MPEG2_PIC_FLAG_PROGRESSIVE;
	st.pic_ext = true;
}

/* Luma loads apply to chroma too, as after a sequence header. */
static void parse_quant_ext(struct dd_bitr *r)
{
	struct v4l2_ctrl_mpeg2_quantisation *q = &st.quant;

	if (dd_bitr_u(r, 1))
		read_matrix(r, q->intra_quantiser_matrix, q->chroma_intra_quantiser_matrix);
	if (dd_bitr_u(r, 1))
		read_matrix(r, q->non_intra_quantiser_matrix, q->chroma_non_intra_quantiser_matrix);
	if (dd_bitr_u(r, 1))
		read_matrix(r, q->chroma_intra_quantiser_matrix, NULL);
	if (dd_bitr_u(r, 1))
		read_matrix(r, q->chroma_non_intra_quantiser_matrix, NULL);
}

/* Next 00 00 01 xx at or after i, or len. */
static size_t next_start(const uint8_t *b, size_t len, size_t i)
{
	for (; i + 4 <= len; i++)
		if (!b[i] && !b[i + 1] && b[i + 2] == 1)
			return i;
	return len;
}

static void put(FILE *o, const uint8_t *p, size_t n)
{
	if (fwrite(p, 1, n, o) != n)
		die("cannot write the output");
}

static void fill(const char *in, const char *out)
{
	size_t len, copy_from = 0, region = 0, sc;
	uint8_t *b = read_file(in, &len);
	FILE *o = fopen(out, "wb");
	bool in_region = false;
	unsigned pictures = 0;
	static uint8_t hdr[DD_MPEG2_HEADERS_MAX];

	if (!o)
		die("cannot create %s", out);
	for (sc = next_start(b, len, 0); sc < len; sc = next_start(b, len, sc + 4)) {
		unsigned code = b[sc + 3];
		size_t end = next_start(b, len, sc + 4);
		struct dd_bitr r;
		long n;

		if (code >= 0x01 && code <= 0xaf) {
			if (!in_region)
				continue;	/* a later slice: copied as part of the run */
			if (!st.seq_ext || !st.pic_ext)
				die("picture %u: a slice before the headers it needs", pictures);
			n = dd_mpeg2_write_headers(hdr, sizeof(hdr), &st.seq, &st.pic, &st.quant);
			if (n < 0)
				die("picture %u: the writer refused it", pictures);
			put(o, hdr, n);
			printf("picture %u type %u tref %u in %zu bytes out %ld bytes width %u height %u "
			       "progressive %u alt %u vlc %u qst %u dc %u matrix %u\n",
			       pictures, st.pic.picture_coding_type, st.tref, sc - region, n,
			       st.seq.horizontal_size, st.seq.vertical_size,
			       !!(st.pic.flags & V4L2_MPEG2_PIC_FLAG_PROGRESSIVE),
			       !!(st.pic.flags & V4L2_MPEG2_PIC_FLAG_ALT_SCAN),
			       !!(st.pic.flags & V4L2_MPEG2_PIC_FLAG_INTRA_VLC),
			       !!(st.pic.flags & V4L2_MPEG2_PIC_FLAG_Q_SCALE_TYPE),
			       st.pic.intra_dc_precision, st.loaded);
			pictures++;
			st.pic_ext = false;	/* the next picture needs its own */
			in_region = false;
			copy_from = sc;
			continue;
		}
		if (code == 0xb7) {		/* sequence_end_code: kept with the slices */
			if (in_region)
				die("headers without a picture before the sequence end");
			continue;
		}
		if (!in_region) {
			put(o, b + copy_from, sc - copy_from);
			in_region = true;
			region = sc;
		}
		dd_bitr_init(&r, b + sc + 4, (end - sc - 4) * 8);
		if (code == 0xb3) {
			parse_sequence(&r);
		} else if (code == 0x00) {
			parse_picture(&r);
		} else if (code == 0xb5) {
			unsigned id = dd_bitr_u(&r, 4);

			if (id == 1)
				parse_sequence_ext(&r);
			else if (id == 8)
				parse_picture_ext(&r);
			else if (id == 3)
				parse_quant_ext(&r);
			/* Display and scalable extensions: nothing a control carries. */
		}
		/* 0xb8 GOP, 0xb2 user data: nothing a control carries. */
		if (r.error)
			die("start code %02x at %zu: truncated", code, sc);
	}
	if (in_region)
		die("headers without a picture at the end");
	put(o, b + copy_from, len - copy_from);
	if (fclose(o))
		die("cannot write %s", out);
	if (!pictures)
		die("%s: no picture", in);
	free(b);
}

/* A legal 4:2:0 I picture, each case changing one thing. */
static void invalid(void)
{
	static const struct v4l2_ctrl_mpeg2_sequence base_seq = {
		.horizontal_size = 128, .vertical_size = 96, .vbv_buffer_size = 112,
		.profile_and_level_indication = 0x48, .chroma_format = 1,
		.flags = V4L2_MPEG2_SEQ_FLAG_PROGRESSIVE,
	};
	static const struct v4l2_ctrl_mpeg2_picture base_pic = {
		.f_code = { { 15, 15 }, { 15, 15 } },
		.picture_coding_type = V4L2_MPEG2_PIC_CODING_TYPE_I,
		.picture_structure = V4L2_MPEG2_PIC_FRAME,
		.flags = V4L2_MPEG2_PIC_FLAG_FRAME_PRED_DCT | V4L2_MPEG2_PIC_FLAG_PROGRESSIVE,
	};
	struct v4l2_ctrl_mpeg2_sequence s;
	struct v4l2_ctrl_mpeg2_picture p;
	struct v4l2_ctrl_mpeg2_quantisation q;
	static uint8_t buf[DD_MPEG2_HEADERS_MAX];
	size_t cap;
	long full;

	/* Names starting "legal" must be written; every other one refused. */
#define CASE(name, stmt) do { \
		s = base_seq; p = base_pic; memset(&q, 16, sizeof(q)); cap = sizeof(buf); stmt; \
		printf("%s %ld\n", name, dd_mpeg2_write_headers(buf, cap, &s, &p, &q)); \
	} while (0)
#define P_PIC (p.picture_coding_type = V4L2_MPEG2_PIC_CODING_TYPE_P, p.f_code[0][0] = 2, \
	       p.f_code[0][1] = 2)
#define B_PIC (P_PIC, p.picture_coding_type = V4L2_MPEG2_PIC_CODING_TYPE_B, \
	       p.f_code[1][0] = 3, p.f_code[1][1] = 3)
	CASE("legal_i", (void)0);
	CASE("legal_p", P_PIC);
	CASE("legal_b", B_PIC);
	CASE("legal_size_16383x4095", (s.horizontal_size = 16383, s.vertical_size = 4095));
	CASE("legal_vbv_buffer_size_0", s.vbv_buffer_size = 0);
	CASE("legal_i_unused_f_code_1", p.f_code[1][1] = 1);
	CASE("legal_concealment_mv_i", (p.flags |= V4L2_MPEG2_PIC_FLAG_CONCEALMENT_MV,
			p.f_code[0][0] = 1, p.f_code[0][1] = 1));
	CASE("legal_420_chroma_matrix_0", memset(q.chroma_intra_quantiser_matrix, 0, 64));
	CASE("legal_intra_dc_precision_3", p.intra_dc_precision = 3);
	CASE("horizontal_size_0", s.horizontal_size = 0);
	CASE("horizontal_size_4096", s.horizontal_size = 4096);
	CASE("horizontal_size_16384", s.horizontal_size = 16384);
	CASE("vertical_size_0", s.vertical_size = 0);
	CASE("vertical_size_8192", s.vertical_size = 8192);
	CASE("chroma_format_0", s.chroma_format = 0);
	CASE("chroma_format_2", s.chroma_format = 2);
	CASE("chroma_format_3", s.chroma_format = 3);
	CASE("profile_and_level_indication_256", s.profile_and_level_indication = 256);
	CASE("vbv_buffer_size_262144", s.vbv_buffer_size = 1 << 18);
	CASE("picture_coding_type_0", p.picture_coding_type = 0);
	CASE("picture_coding_type_4", p.picture_coding_type = V4L2_MPEG2_PIC_CODING_TYPE_D);
	CASE("p_f_code_0", (P_PIC, p.f_code[0][0] = 0));
	CASE("p_f_code_10", (P_PIC, p.f_code[0][1] = 10));
	CASE("p_f_code_15", (P_PIC, p.f_code[0][0] = 15));
	CASE("b_backward_f_code_15", (B_PIC, p.f_code[1][1] = 15));
	CASE("i_f_code_14", p.f_code[1][0] = 14);
	CASE("concealment_mv_i_f_code_15", p.flags |= V4L2_MPEG2_PIC_FLAG_CONCEALMENT_MV);
	CASE("intra_dc_precision_4", p.intra_dc_precision = 4);
	CASE("picture_structure_0", p.picture_structure = 0);
	CASE("picture_structure_top_field", p.picture_structure = V4L2_MPEG2_PIC_TOP_FIELD);
	CASE("picture_structure_bottom_field", p.picture_structure = V4L2_MPEG2_PIC_BOTTOM_FIELD);
	CASE("intra_matrix_value_0", q.intra_quantiser_matrix[63] = 0);
	CASE("non_intra_matrix_value_0", q.non_intra_quantiser_matrix[5] = 0);
	CASE("buffer_0", cap = 0);
	/* The exact length fits; one byte less does not. */
	s = base_seq;
	p = base_pic;
	memset(&q, 16, sizeof(q));
	full = dd_mpeg2_write_headers(buf, sizeof(buf), &s, &p, &q);
	CASE("legal_buffer_exact", cap = full);
	CASE("buffer_one_short", cap = full - 1);
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "--invalid")) {
		invalid();
		return 0;
	}
	if (argc != 3)
		die("usage: mpeg2-params-fill IN.m2v OUT.m2v | --invalid");
	fill(argv[1], argv[2]);
	return 0;
}
