/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A stateless H.264 request as libavcodec takes it: one Annex B access
 * unit of the parameter sets the controls describe, when they differ from
 * those sent before (or after a reset), then the picture's slices
 * (docs/stateless-design.md 4.2): all of them in one request
 * (frame-based), or one request per slice or field, gathered by the
 * caller (DAEDALUS_SL_CONTINUE).
 */
#ifndef DAEDALUS_SL_H264_H
#define DAEDALUS_SL_H264_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sl-ctrls.h"
#include "sl-unit.h"

/* An SPS or PPS NAL unit as written, escaped, with its start code. */
#define DD_SL_H264_PS_MAX 4096

struct dd_sl_h264 {
	uint8_t sps[DD_SL_H264_PS_MAX], pps[DD_SL_H264_PS_MAX];
	long sps_len, pps_len;	/* of those last sent; 0 after a reset */
};

/* The decoder forgot its parameter sets: send them again. */
void dd_sl_h264_reset(struct dd_sl_h264 *s);

/*
 * Adds one request to the access unit u: the first of a picture (first:
 * u is emptied) or a later one of the same picture, from its controls c
 * and its bitstream data (len bytes); the parameter sets go in before it
 * where they changed.
 * Returns 0, or -1 with the reason in why: a missing or invalid control,
 * an empty buffer, or no memory.
 */
int dd_sl_h264_unit(struct dd_sl_h264 *s, const struct dd_sl_ctrls *c, const uint8_t *data,
		    size_t len, bool first, struct dd_sl_unit *u, char *why, size_t whylen);

#endif
