/* SPDX-License-Identifier: BSD-2-Clause */
/* A rebuilt access unit's bytes: see sl-unit.h. */
#include <stdlib.h>
#include <string.h>

#include "sl-unit.h"

int dd_sl_unit_append(struct dd_sl_unit *u, const uint8_t *p, size_t n)
{
	if (u->cap - u->len < n) {
		size_t cap = u->cap ? u->cap : 65536;
		uint8_t *grown;

		while (cap - u->len < n)
			cap *= 2;
		grown = realloc(u->data, cap);
		if (!grown)
			return -1;
		u->data = grown;
		u->cap = cap;
	}
	memcpy(u->data + u->len, p, n);
	u->len += n;
	return 0;
}

int dd_sl_unit_put_changed(struct dd_sl_unit *u, uint8_t *last, long *last_len,
			   const uint8_t *now, long len, bool force)
{
	if (!force && *last_len == len && !memcmp(last, now, (size_t)len))
		return 0;
	if (dd_sl_unit_append(u, now, (size_t)len))
		return -1;
	memcpy(last, now, (size_t)len);
	*last_len = len;
	return 1;
}

void dd_sl_unit_free(struct dd_sl_unit *u)
{
	free(u->data);
	*u = (struct dd_sl_unit){ 0 };
}
