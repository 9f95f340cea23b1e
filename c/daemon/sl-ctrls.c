/* SPDX-License-Identifier: BSD-2-Clause */
/* A request's controls, checked: see sl-ctrls.h. */
#include <stdio.h>
#include <string.h>

#include <linux/daedalus-v4l2.h>

#include "sl-ctrls.h"

/* Where each known control goes in struct dd_sl_ctrls, and the size its value must have. */
static const struct {
	uint32_t id;
	uint32_t size;
	size_t field;
} known[] = {
#define K(cid, type, member) { cid, sizeof(type), offsetof(struct dd_sl_ctrls, member) }
	K(V4L2_CID_STATELESS_H264_SPS, struct v4l2_ctrl_h264_sps, h264_sps),
	K(V4L2_CID_STATELESS_H264_PPS, struct v4l2_ctrl_h264_pps, h264_pps),
	K(V4L2_CID_STATELESS_H264_SCALING_MATRIX, struct v4l2_ctrl_h264_scaling_matrix,
	  h264_scaling),
	K(V4L2_CID_STATELESS_H264_DECODE_PARAMS, struct v4l2_ctrl_h264_decode_params,
	  h264_decode),
	K(V4L2_CID_STATELESS_H264_DECODE_MODE, int32_t, h264_decode_mode),
	K(V4L2_CID_STATELESS_H264_START_CODE, int32_t, h264_start_code),
	K(V4L2_CID_STATELESS_HEVC_SPS, struct v4l2_ctrl_hevc_sps, hevc_sps),
	K(V4L2_CID_STATELESS_HEVC_PPS, struct v4l2_ctrl_hevc_pps, hevc_pps),
	K(V4L2_CID_STATELESS_HEVC_SCALING_MATRIX, struct v4l2_ctrl_hevc_scaling_matrix,
	  hevc_scaling),
	K(V4L2_CID_STATELESS_HEVC_DECODE_PARAMS, struct v4l2_ctrl_hevc_decode_params,
	  hevc_decode),
	K(V4L2_CID_STATELESS_HEVC_DECODE_MODE, int32_t, hevc_decode_mode),
	K(V4L2_CID_STATELESS_HEVC_START_CODE, int32_t, hevc_start_code),
	K(V4L2_CID_STATELESS_MPEG2_SEQUENCE, struct v4l2_ctrl_mpeg2_sequence, mpeg2_sequence),
	K(V4L2_CID_STATELESS_MPEG2_PICTURE, struct v4l2_ctrl_mpeg2_picture, mpeg2_picture),
	K(V4L2_CID_STATELESS_MPEG2_QUANTISATION, struct v4l2_ctrl_mpeg2_quantisation,
	  mpeg2_quant),
	K(V4L2_CID_STATELESS_VP8_FRAME, struct v4l2_ctrl_vp8_frame, vp8_frame),
	K(V4L2_CID_STATELESS_VP9_FRAME, struct v4l2_ctrl_vp9_frame, vp9_frame),
#undef K
};

/* The uAPI sizes the kernel module copies; a header that differs would misread every blob. */
_Static_assert(sizeof(struct v4l2_ctrl_h264_sps) == 1048, "H.264 SPS");
_Static_assert(sizeof(struct v4l2_ctrl_h264_pps) == 12, "H.264 PPS");
_Static_assert(sizeof(struct v4l2_ctrl_h264_scaling_matrix) == 480, "H.264 scaling matrix");
_Static_assert(sizeof(struct v4l2_ctrl_h264_decode_params) == 560, "H.264 decode params");
_Static_assert(sizeof(struct v4l2_ctrl_hevc_sps) == 40, "HEVC SPS");
_Static_assert(sizeof(struct v4l2_ctrl_hevc_pps) == 64, "HEVC PPS");
_Static_assert(sizeof(struct v4l2_ctrl_hevc_scaling_matrix) == 1000, "HEVC scaling matrix");
_Static_assert(sizeof(struct v4l2_ctrl_hevc_decode_params) == 328, "HEVC decode params");

int dd_sl_ctrls_parse(const uint8_t *blob, size_t len, struct dd_sl_ctrls *c, char *why,
		      size_t whylen)
{
	size_t at = 0;

	memset(c, 0, sizeof(*c));
	while (at < len) {
		struct daedalus_sl_ctrl rec;
		const void **slot = NULL;
		size_t i;

		if (len - at < sizeof(rec)) {
			snprintf(why, whylen, "a control record cut short at byte %zu", at);
			return -1;
		}
		memcpy(&rec, blob + at, sizeof(rec));
		at += sizeof(rec);
		if (rec.size > len - at) {
			snprintf(why, whylen, "control %#x: %u bytes past the end", rec.id, rec.size);
			return -1;
		}
		for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			if (known[i].id == rec.id)
				break;
		if (i == sizeof(known) / sizeof(known[0])) {
			snprintf(why, whylen, "unknown control %#x", rec.id);
			return -1;
		}
		if (rec.size != known[i].size) {
			snprintf(why, whylen, "control %#x: %u bytes, expected %u", rec.id, rec.size,
				 known[i].size);
			return -1;
		}
		slot = (const void **)((char *)c + known[i].field);
		if (*slot) {
			snprintf(why, whylen, "control %#x twice", rec.id);
			return -1;
		}
		*slot = blob + at;
		at += (rec.size + 7u) & ~7u;
	}
	return 0;
}
