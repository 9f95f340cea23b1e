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

void dd_sl_unit_free(struct dd_sl_unit *u)
{
	free(u->data);
	*u = (struct dd_sl_unit){ 0 };
}
