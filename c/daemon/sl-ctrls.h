/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A stateless request's controls, as DAEDALUS_IOC_SL_CTRLS hands them over:
 * a run of struct daedalus_sl_ctrl records, each followed by one control's
 * value in its uAPI layout. The blob comes from the kernel, which copied it
 * from an untrusted client: every record's id and size is checked here
 * against the uAPI struct it must hold, before anything reads it. The
 * values themselves are checked by whatever uses them (sl-h264-headers.c
 * and its kin).
 */
#ifndef DAEDALUS_SL_CTRLS_H
#define DAEDALUS_SL_CTRLS_H

#include <stddef.h>
#include <stdint.h>

#include <linux/v4l2-controls.h>

/* The controls a request carried, each NULL if absent; pointers into the blob. */
struct dd_sl_ctrls {
	const struct v4l2_ctrl_h264_sps *h264_sps;
	const struct v4l2_ctrl_h264_pps *h264_pps;
	const struct v4l2_ctrl_h264_scaling_matrix *h264_scaling;
	const struct v4l2_ctrl_h264_decode_params *h264_decode;
	const int32_t *h264_decode_mode;
	const int32_t *h264_start_code;
	const struct v4l2_ctrl_hevc_sps *hevc_sps;
	const struct v4l2_ctrl_hevc_pps *hevc_pps;
	const struct v4l2_ctrl_hevc_scaling_matrix *hevc_scaling;
	const struct v4l2_ctrl_hevc_decode_params *hevc_decode;
	const int32_t *hevc_decode_mode;
	const int32_t *hevc_start_code;
	const struct v4l2_ctrl_mpeg2_sequence *mpeg2_sequence;
	const struct v4l2_ctrl_mpeg2_picture *mpeg2_picture;
	const struct v4l2_ctrl_mpeg2_quantisation *mpeg2_quant;
	const struct v4l2_ctrl_vp8_frame *vp8_frame;
	const struct v4l2_ctrl_vp9_frame *vp9_frame;
};

/*
 * Parses blob (len bytes, 8-byte aligned) into c. Returns 0, or -1 with
 * the reason in why (a record that runs past the end, an unknown id, a
 * size that is not its struct's, a control twice).
 */
int dd_sl_ctrls_parse(const uint8_t *blob, size_t len, struct dd_sl_ctrls *c, char *why,
		      size_t whylen);

#endif
