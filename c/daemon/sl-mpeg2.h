/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A stateless MPEG-2 request as libavcodec takes it: the sequence and
 * picture headers the controls describe (sl-mpeg2-headers.c), then the
 * request's slices with their start codes, as a stateless client sends
 * them (docs/stateless-design.md 4.2).
 */
#ifndef DAEDALUS_SL_MPEG2_H
#define DAEDALUS_SL_MPEG2_H

#include <stddef.h>
#include <stdint.h>

#include "sl-ctrls.h"
#include "sl-unit.h"

/*
 * Builds the unit of one request into u (emptied first). Returns 0, or -1
 * with the reason in why.
 */
int dd_sl_mpeg2_unit(const struct dd_sl_ctrls *c, const uint8_t *data, size_t len,
		     struct dd_sl_unit *u, char *why, size_t whylen);

#endif
