// SPDX-License-Identifier: BSD-2-Clause
/*
 * MPEG-2 headers from the stateless controls: see sl-mpeg2-headers.h.
 * Syntax from ISO/IEC 13818-2, 6.2.2.1 (sequence header), 6.2.2.3
 * (sequence extension), 6.2.3 (picture header), 6.2.3.1 (picture coding
 * extension) and 6.2.3.2 (quant matrix extension); ranges from their
 * semantics in 6.3.
 */
#include <assert.h>
#include <stdbool.h>

#include "bits.h"
#include "sl-mpeg2-headers.h"

/* The sizes the uAPI has had since 5.14 (docs/stateless-design.md, 1.2). */
static_assert(sizeof(struct v4l2_ctrl_mpeg2_sequence) == 12, "MPEG-2 sequence control size");
static_assert(sizeof(struct v4l2_ctrl_mpeg2_picture) == 32, "MPEG-2 picture control size");
static_assert(sizeof(struct v4l2_ctrl_mpeg2_quantisation) == 256, "MPEG-2 quantisation size");

/* Start code values (Table 6-1) and extension ids (Table 6-2). */
#define SC_PICTURE	0x00
#define SC_SEQUENCE	0xb3
#define SC_EXTENSION	0xb5
#define EXT_SEQUENCE	1
#define EXT_QUANT	3
#define EXT_PICTURE	8

/*
 * Values for what the controls do not carry. None of them changes a
 * decoded sample: libavcodec reads them for metadata and rate control.
 */
#define ASPECT_SQUARE	1	/* 1:1 sample aspect ratio */
#define FRAME_RATE_25	3	/* 25 Hz (Table 6-4) */
/* 15 Mbit/s in units of 400 bit/s, MP@ML's maximum; 0 is forbidden. */
#define BIT_RATE	37500
/* MP@ML's VBV size in units of 16 kbit, for a client that sends 0. */
#define VBV_DEFAULT	112
#define VBV_DELAY_NONE	0xffff	/* "not specified": variable bit rate */

/* The V4L2 picture flags, in the order picture_coding_extension sends them. */
static const uint32_t coding_ext_flags[] = {
	V4L2_MPEG2_PIC_FLAG_TOP_FIELD_FIRST,
	V4L2_MPEG2_PIC_FLAG_FRAME_PRED_DCT,
	V4L2_MPEG2_PIC_FLAG_CONCEALMENT_MV,
	V4L2_MPEG2_PIC_FLAG_Q_SCALE_TYPE,
	V4L2_MPEG2_PIC_FLAG_INTRA_VLC,
	V4L2_MPEG2_PIC_FLAG_ALT_SCAN,
	V4L2_MPEG2_PIC_FLAG_REPEAT_FIRST,
};

/*
 * A size is coded as 12 low bits in the sequence header and 2 high bits in
 * the extension; the low part may not be 0 (6.3.3: a size may not be a
 * multiple of 4096, so no start code can be emulated; libavcodec refuses
 * it too).
 */
static bool size_ok(unsigned v)
{
	return v >= 1 && v <= 16383 && (v & 0xfff);
}

/*
 * f_code (6.3.10): 1 to 9 where the picture uses it, 15 where it does not
 * (the spec requires 15 there, libavcodec ignores the value, so 1 to 9 is
 * taken too). 0 and 10 to 14 are reserved.
 */
static bool f_code_ok(unsigned v, bool used)
{
	return (v >= 1 && v <= 9) || (!used && v == 15);
}

/* A 0 would make the decoder divide by 0, and could emulate a start code. */
static bool matrix_ok(const uint8_t *m)
{
	for (unsigned i = 0; i < 64; i++)
		if (!m[i])
			return false;
	return true;
}

static bool valid(const struct v4l2_ctrl_mpeg2_sequence *seq,
		  const struct v4l2_ctrl_mpeg2_picture *pic,
		  const struct v4l2_ctrl_mpeg2_quantisation *q)
{
	unsigned type = pic->picture_coding_type;
	bool fwd = type == V4L2_MPEG2_PIC_CODING_TYPE_P || type == V4L2_MPEG2_PIC_CODING_TYPE_B ||
		   pic->flags & V4L2_MPEG2_PIC_FLAG_CONCEALMENT_MV;
	bool bwd = type == V4L2_MPEG2_PIC_CODING_TYPE_B;

	if (!size_ok(seq->horizontal_size) || !size_ok(seq->vertical_size))
		return false;
	/* 8 bits in the sequence extension; 18 bits of VBV size in all. */
	if (seq->profile_and_level_indication > 0xff || seq->vbv_buffer_size > 0x3ffff)
		return false;
	/*
	 * 4:2:2 and 4:4:4 would decode, but the node offers 4:2:0 CAPTURE
	 * formats only (design 2.5) and the chroma matrices below are untested
	 * until it does.
	 */
	if (seq->chroma_format != 1)
		return false;
	/* D pictures (4) are MPEG-1 only and have no slices as MPEG-2 codes them. */
	if (type < V4L2_MPEG2_PIC_CODING_TYPE_I || type > V4L2_MPEG2_PIC_CODING_TYPE_B)
		return false;
	if (!f_code_ok(pic->f_code[0][0], fwd) || !f_code_ok(pic->f_code[0][1], fwd) ||
	    !f_code_ok(pic->f_code[1][0], bwd) || !f_code_ok(pic->f_code[1][1], bwd))
		return false;
	if (pic->intra_dc_precision > 3)
		return false;
	/*
	 * Field pictures: refused until it is known what a client submits for
	 * them (design 4.2, v1). 0 is reserved.
	 */
	if (pic->picture_structure != V4L2_MPEG2_PIC_FRAME)
		return false;
	/* The chroma matrices are not sent for 4:2:0 (see put_quant_ext). */
	return matrix_ok(q->intra_quantiser_matrix) && matrix_ok(q->non_intra_quantiser_matrix);
}

/* next_start_code(), then a start code: byte-aligned 00 00 01 and its value. */
static void put_start(struct dd_bitw *w, unsigned code)
{
	dd_bitw_align(w);
	dd_bitw_u(w, 24, 1);
	dd_bitw_u(w, 8, code);
}

/*
 * 64 values in zig-zag order: the bitstream's order, and the control's
 * ("in zigzag scanning order", kernel Documentation/userspace-api/media/
 * v4l/ext-ctrls-codec-stateless.rst, V4L2_CID_STATELESS_MPEG2_QUANTISATION),
 * so no rescan. The scan does not depend on alternate_scan (6.3.7).
 * The intra DC entry must be 8 (6.3.3) and is never used (intra DC is
 * scaled by intra_dc_precision): libavcodec logs and replaces any other
 * value, so 8 is written whatever the client sent.
 */
static void put_matrix(struct dd_bitw *w, const uint8_t *m, bool intra)
{
	dd_bitw_u(w, 8, intra ? 8 : m[0]);
	for (unsigned i = 1; i < 64; i++)
		dd_bitw_u(w, 8, m[i]);
}

static void put_sequence(struct dd_bitw *w, const struct v4l2_ctrl_mpeg2_sequence *seq,
			 const struct v4l2_ctrl_mpeg2_quantisation *q)
{
	uint32_t vbv = seq->vbv_buffer_size ? seq->vbv_buffer_size : VBV_DEFAULT;

	put_start(w, SC_SEQUENCE);
	dd_bitw_u(w, 12, seq->horizontal_size & 0xfff);
	dd_bitw_u(w, 12, seq->vertical_size & 0xfff);
	dd_bitw_u(w, 4, ASPECT_SQUARE);
	dd_bitw_u(w, 4, FRAME_RATE_25);
	dd_bitw_u(w, 18, BIT_RATE);
	dd_bitw_u(w, 1, 1);			/* marker_bit */
	dd_bitw_u(w, 10, vbv & 0x3ff);
	dd_bitw_u(w, 1, 0);			/* constrained_parameters_flag: MPEG-1 only */
	/* Both matrices loaded: a sequence header otherwise resets them to the defaults. */
	dd_bitw_u(w, 1, 1);
	put_matrix(w, q->intra_quantiser_matrix, true);
	dd_bitw_u(w, 1, 1);
	put_matrix(w, q->non_intra_quantiser_matrix, false);

	put_start(w, SC_EXTENSION);
	dd_bitw_u(w, 4, EXT_SEQUENCE);
	dd_bitw_u(w, 8, seq->profile_and_level_indication);
	dd_bitw_u(w, 1, !!(seq->flags & V4L2_MPEG2_SEQ_FLAG_PROGRESSIVE));
	dd_bitw_u(w, 2, seq->chroma_format);
	dd_bitw_u(w, 2, seq->horizontal_size >> 12);
	dd_bitw_u(w, 2, seq->vertical_size >> 12);
	dd_bitw_u(w, 12, 0);			/* bit_rate_extension */
	dd_bitw_u(w, 1, 1);			/* marker_bit */
	dd_bitw_u(w, 8, vbv >> 10);
	/*
	 * low_delay: not in the controls. 0 allows B pictures; it decides only
	 * when libavcodec returns pictures, never what it decodes.
	 */
	dd_bitw_u(w, 1, 0);
	dd_bitw_u(w, 2, 0);			/* frame_rate_extension_n */
	dd_bitw_u(w, 5, 0);			/* frame_rate_extension_d */
}

static void put_picture(struct dd_bitw *w, const struct v4l2_ctrl_mpeg2_picture *pic,
			const struct v4l2_ctrl_mpeg2_sequence *seq)
{
	unsigned type = pic->picture_coding_type;
	bool progressive = pic->flags & V4L2_MPEG2_PIC_FLAG_PROGRESSIVE;

	put_start(w, SC_PICTURE);
	/*
	 * temporal_reference: display order, which the client resolved already;
	 * libavcodec orders output by picture type, not by this.
	 */
	dd_bitw_u(w, 10, 0);
	dd_bitw_u(w, 3, type);
	dd_bitw_u(w, 16, VBV_DELAY_NONE);
	/* MPEG-2 moves the f_codes to the extension: these must be 0 and 7 (6.3.9). */
	if (type == V4L2_MPEG2_PIC_CODING_TYPE_P || type == V4L2_MPEG2_PIC_CODING_TYPE_B) {
		dd_bitw_u(w, 1, 0);		/* full_pel_forward_vector */
		dd_bitw_u(w, 3, 7);		/* forward_f_code */
	}
	if (type == V4L2_MPEG2_PIC_CODING_TYPE_B) {
		dd_bitw_u(w, 1, 0);		/* full_pel_backward_vector */
		dd_bitw_u(w, 3, 7);		/* backward_f_code */
	}
	dd_bitw_u(w, 1, 0);			/* extra_bit_picture */

	put_start(w, SC_EXTENSION);
	dd_bitw_u(w, 4, EXT_PICTURE);
	dd_bitw_u(w, 4, pic->f_code[0][0]);
	dd_bitw_u(w, 4, pic->f_code[0][1]);
	dd_bitw_u(w, 4, pic->f_code[1][0]);
	dd_bitw_u(w, 4, pic->f_code[1][1]);
	dd_bitw_u(w, 2, pic->intra_dc_precision);
	dd_bitw_u(w, 2, pic->picture_structure);
	for (unsigned i = 0; i < sizeof(coding_ext_flags) / sizeof(coding_ext_flags[0]); i++)
		dd_bitw_u(w, 1, !!(pic->flags & coding_ext_flags[i]));
	/* chroma_420_type: not in the controls; 6.3.10 makes it progressive_frame for 4:2:0. */
	dd_bitw_u(w, 1, seq->chroma_format == 1 && progressive);
	dd_bitw_u(w, 1, progressive);		/* progressive_frame */
	dd_bitw_u(w, 1, 0);			/* composite_display_flag */
}

/*
 * All matrices again in a quant matrix extension, so the picture's
 * matrices hold whatever came before. For 4:2:0 the chroma load flags must
 * be 0 (6.3.11): the chroma blocks use the two matrices just loaded, which
 * is what libavcodec does too, and the control's chroma matrices, "only
 * relevant for non-4:2:0" in the uAPI, may hold anything.
 */
static void put_quant_ext(struct dd_bitw *w, const struct v4l2_ctrl_mpeg2_quantisation *q,
			  bool chroma)
{
	put_start(w, SC_EXTENSION);
	dd_bitw_u(w, 4, EXT_QUANT);
	dd_bitw_u(w, 1, 1);
	put_matrix(w, q->intra_quantiser_matrix, true);
	dd_bitw_u(w, 1, 1);
	put_matrix(w, q->non_intra_quantiser_matrix, false);
	dd_bitw_u(w, 1, chroma);
	if (chroma)
		put_matrix(w, q->chroma_intra_quantiser_matrix, true);
	dd_bitw_u(w, 1, chroma);
	if (chroma)
		put_matrix(w, q->chroma_non_intra_quantiser_matrix, false);
	dd_bitw_align(w);
}

long dd_mpeg2_write_headers(uint8_t *dst, size_t cap, const struct v4l2_ctrl_mpeg2_sequence *seq,
			    const struct v4l2_ctrl_mpeg2_picture *pic,
			    const struct v4l2_ctrl_mpeg2_quantisation *quant)
{
	struct dd_bitw w;

	if (!valid(seq, pic, quant))
		return -1;
	dd_bitw_init(&w, dst, cap);
	put_sequence(&w, seq, quant);
	put_picture(&w, pic, seq);
	put_quant_ext(&w, quant, seq->chroma_format != 1);
	if (w.overflow)
		return -1;
	return (long)dd_bitw_bytes(&w);
}
