/* SPDX-License-Identifier: BSD-2-Clause */
/* The stateless worker's recorder: see sl-record.h. */
#include <stdlib.h>

#include "sl-record.h"

void dd_sl_record_open(struct dd_sl_recorder *r, uint32_t ctx_id)
{
	const char *dir = getenv("DAEDALUS_SL_RECORD");
	char path[4096];

	r->f = NULL;
	if (!dir || !*dir)
		return;
	snprintf(path, sizeof(path), "%s/ctx-%u.rec", dir, ctx_id);
	r->f = fopen(path, "ab");
	if (!r->f)
		fprintf(stderr, "daedalus: context %u: cannot record to %s\n", ctx_id, path);
}

/* @len bytes of @p, then zeros up to the next multiple of 8. */
static void put_padded(FILE *f, const void *p, size_t len)
{
	static const uint8_t zeros[8];

	fwrite(p, 1, len, f);
	fwrite(zeros, 1, (8 - len % 8) % 8, f);
}

void dd_sl_record(struct dd_sl_recorder *r, uint32_t codec, const struct daedalus_msg_sl_job *j,
		  const void *ctrls, const void *bits)
{
	struct dd_sl_record rec = {
		.magic = DD_SL_RECORD_MAGIC, .codec = codec, .width = j->cap_width,
		.height = j->cap_height, .pixfmt = j->cap_pixfmt, .flags = j->flags,
		.ctrls_len = j->ctrls_len, .bits_len = j->bytesused, .timestamp = j->timestamp,
	};

	if (!r->f)
		return;
	fwrite(&rec, sizeof(rec), 1, r->f);
	put_padded(r->f, ctrls, rec.ctrls_len);
	put_padded(r->f, bits, rec.bits_len);
	/* A recording is read while the daemon still runs. */
	fflush(r->f);
}

void dd_sl_record_close(struct dd_sl_recorder *r)
{
	if (r->f)
		fclose(r->f);
	r->f = NULL;
}
