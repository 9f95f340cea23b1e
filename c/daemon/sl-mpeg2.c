/* SPDX-License-Identifier: BSD-2-Clause */
/* A stateless MPEG-2 request as a unit: see sl-mpeg2.h. */
#include <stdio.h>

#include "sl-mpeg2-headers.h"
#include "sl-mpeg2.h"

int dd_sl_mpeg2_unit(const struct dd_sl_ctrls *c, const uint8_t *data, size_t len,
		     struct dd_sl_unit *u, char *why, size_t whylen)
{
	uint8_t headers[DD_MPEG2_HEADERS_MAX];
	long n;

	u->len = 0;
	if (!c->mpeg2_sequence || !c->mpeg2_picture || !c->mpeg2_quant) {
		snprintf(why, whylen, "the request lacks its sequence, picture or quantisation");
		return -1;
	}
	if (!len) {
		snprintf(why, whylen, "an empty bitstream buffer");
		return -1;
	}
	n = dd_mpeg2_write_headers(headers, sizeof(headers), c->mpeg2_sequence, c->mpeg2_picture,
				   c->mpeg2_quant);
	if (n < 0) {
		snprintf(why, whylen, "the controls hold a picture MPEG-2 headers cannot describe");
		return -1;
	}
	if (dd_sl_unit_append(u, headers, (size_t)n) || dd_sl_unit_append(u, data, len)) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	return 0;
}
