/* SPDX-License-Identifier: BSD-2-Clause */
/* A stateless HEVC request as an access unit: see sl-hevc.h. */
#include <stdio.h>

#include "sl-hevc-headers.h"
#include "sl-hevc.h"

void dd_sl_hevc_reset(struct dd_sl_hevc *s)
{
	s->vps_len = 0;
	s->sps_len = 0;
	s->pps_len = 0;
}

int dd_sl_hevc_unit(struct dd_sl_hevc *s, const struct dd_sl_ctrls *c, const uint8_t *data,
		    size_t len, bool first, struct dd_sl_unit *u, char *why, size_t whylen)
{
	static const uint8_t start_code[3] = { 0, 0, 1 };
	uint8_t vps[DD_SL_HEVC_PS_MAX], sps[DD_SL_HEVC_PS_MAX], pps[DD_SL_HEVC_PS_MAX];
	long vps_len, sps_len, pps_len;
	int r;

	if (first)
		u->len = 0;
	if (!c->hevc_sps || !c->hevc_pps) {
		snprintf(why, whylen, "the request has no SPS or PPS");
		return -1;
	}
	if (!len) {
		snprintf(why, whylen, "an empty bitstream buffer");
		return -1;
	}
	if (!first)
		goto slices;
	vps_len = dd_hevc_write_vps(vps, sizeof(vps), c->hevc_sps);
	sps_len = dd_hevc_write_sps(sps, sizeof(sps), c->hevc_sps);
	pps_len = dd_hevc_write_pps(pps, sizeof(pps), c->hevc_pps, c->hevc_sps, c->hevc_scaling);
	if (vps_len < 0 || sps_len < 0 || pps_len < 0) {
		snprintf(why, whylen, "the %s control holds values HEVC cannot code (or sets the controls do not carry)",
			 vps_len < 0 || sps_len < 0 ? "SPS" : "PPS");
		return -1;
	}
	/* A new VPS or SPS is followed by the sets that refer to it, as libavcodec re-reads them. */
	r = dd_sl_unit_put_changed(u, s->vps, &s->vps_len, vps, vps_len, false);
	if (r >= 0)
		r = dd_sl_unit_put_changed(u, s->sps, &s->sps_len, sps, sps_len, r > 0);
	if (r >= 0)
		r = dd_sl_unit_put_changed(u, s->pps, &s->pps_len, pps, pps_len, r > 0);
	if (r < 0)
		goto nomem;
slices:
	/* Without start codes, a buffer is one NAL unit (a slice-based request's slice segment). */
	if (c->hevc_start_code && *c->hevc_start_code == V4L2_STATELESS_HEVC_START_CODE_NONE &&
	    dd_sl_unit_append(u, start_code, sizeof(start_code)))
		goto nomem;
	if (dd_sl_unit_append(u, data, len))
		goto nomem;
	return 0;
nomem:
	snprintf(why, whylen, "out of memory");
	return -1;
}
