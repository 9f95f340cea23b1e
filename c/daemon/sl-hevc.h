/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A stateless HEVC request as libavcodec takes it: an Annex B access unit
 * of the VPS, SPS and PPS the controls describe (sl-hevc-headers.c), when
 * they differ from those sent before (or after a reset), then the
 * picture's slice segments, all in one request or one request per slice
 * gathered by the caller (DAEDALUS_SL_CONTINUE). Slices pass as they come:
 * their reference picture sets must be explicit (the SPS's sets are not in
 * the controls; sl-hevc-headers.h).
 */
#ifndef DAEDALUS_SL_HEVC_H
#define DAEDALUS_SL_HEVC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sl-ctrls.h"
#include "sl-unit.h"

/* A VPS, SPS or PPS NAL unit as written, escaped, with its start code. */
#define DD_SL_HEVC_PS_MAX 4096

struct dd_sl_hevc {
	uint8_t vps[DD_SL_HEVC_PS_MAX], sps[DD_SL_HEVC_PS_MAX], pps[DD_SL_HEVC_PS_MAX];
	long vps_len, sps_len, pps_len;	/* of those last sent; 0 after a reset */
};

/* The decoder forgot its parameter sets: send them again. */
void dd_sl_hevc_reset(struct dd_sl_hevc *s);

/* As dd_sl_h264_unit(), for HEVC. */
int dd_sl_hevc_unit(struct dd_sl_hevc *s, const struct dd_sl_ctrls *c, const uint8_t *data,
		    size_t len, bool first, struct dd_sl_unit *u, char *why, size_t whylen);

#endif
