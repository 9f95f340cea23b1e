/* SPDX-License-Identifier: BSD-2-Clause */
/* A stateless H.264 request as an access unit: see sl-h264.h. */
#include <stdio.h>

#include "sl-h264-headers.h"
#include "sl-h264.h"

void dd_sl_h264_reset(struct dd_sl_h264 *s)
{
	s->sps_len = 0;
	s->pps_len = 0;
}

int dd_sl_h264_unit(struct dd_sl_h264 *s, const struct dd_sl_ctrls *c, const uint8_t *data,
		    size_t len, bool first, struct dd_sl_unit *u, char *why, size_t whylen)
{
	static const uint8_t start_code[3] = { 0, 0, 1 };
	uint8_t sps[DD_SL_H264_PS_MAX], pps[DD_SL_H264_PS_MAX];
	long sps_len, pps_len;
	int r;

	if (first)
		u->len = 0;
	if (!c->h264_sps || !c->h264_pps) {
		snprintf(why, whylen, "the request has no SPS or PPS");
		return -1;
	}
	if (!len) {
		snprintf(why, whylen, "an empty bitstream buffer");
		return -1;
	}
	/*
	 * Every request, not only a picture's first: a field pair is one
	 * picture of two requests, and a stream may change the PPS between
	 * its fields under the same id (FRExt4_Panasonic: one more reference
	 * by default for the second field). Unchanged sets are not repeated.
	 */
	sps_len = dd_h264_write_sps(sps, sizeof(sps), c->h264_sps);
	if (sps_len < 0) {
		snprintf(why, whylen, "the SPS control holds values H.264 cannot code");
		return -1;
	}
	pps_len = dd_h264_write_pps(pps, sizeof(pps), c->h264_pps, c->h264_sps, c->h264_scaling);
	if (pps_len < 0) {
		snprintf(why, whylen, "the PPS control holds values H.264 cannot code");
		return -1;
	}
	/* libavcodec ties a PPS to the SPS it was parsed with: a new SPS needs it again. */
	r = dd_sl_unit_put_changed(u, s->sps, &s->sps_len, sps, sps_len, false);
	if (r >= 0)
		r = dd_sl_unit_put_changed(u, s->pps, &s->pps_len, pps, pps_len, r > 0);
	if (r < 0)
		goto nomem;
	/* Without start codes, a buffer is one NAL unit (a slice-based request's slice). */
	if (c->h264_start_code && *c->h264_start_code == V4L2_STATELESS_H264_START_CODE_NONE &&
	    dd_sl_unit_append(u, start_code, sizeof(start_code)))
		goto nomem;
	if (dd_sl_unit_append(u, data, len))
		goto nomem;
	return 0;
nomem:
	snprintf(why, whylen, "out of memory");
	return -1;
}
