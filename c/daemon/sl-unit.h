/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The access unit a stateless request is rebuilt into for libavcodec: a
 * byte buffer that grows as the headers and the bitstream are appended,
 * kept by the worker from one request to the next.
 */
#ifndef DAEDALUS_SL_UNIT_H
#define DAEDALUS_SL_UNIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dd_sl_unit {
	uint8_t *data;
	size_t len, cap;
};

/* Appends n bytes; 0, or -1 without memory (u unchanged). */
int dd_sl_unit_append(struct dd_sl_unit *u, const uint8_t *p, size_t n);

/*
 * Appends a parameter set (len bytes at now) unless it equals the one last
 * sent (last, *last_len) and not force; remembers it as sent. Returns 1 if
 * it went in, 0 if not, -1 without memory.
 */
int dd_sl_unit_put_changed(struct dd_sl_unit *u, uint8_t *last, long *last_len,
			   const uint8_t *now, long len, bool force);

void dd_sl_unit_free(struct dd_sl_unit *u);

#endif
