/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The stateless worker's recorder, a debugging aid: with the environment
 * variable DAEDALUS_SL_RECORD naming a directory, each stateless context
 * appends every request it takes to <dir>/ctx-<id>.rec, as a struct
 * dd_sl_record, the request's controls (the kernel's records, as
 * DAEDALUS_IOC_SL_CTRLS gave them) and its bitstream, each padded to 8
 * bytes. test/c/sl-replay.c plays such a file back through the node as a
 * client would: real clients' requests, replayed, altered or fuzzed. A bug
 * report can carry one.
 */
#ifndef DAEDALUS_SL_RECORD_H
#define DAEDALUS_SL_RECORD_H

#include <stdint.h>
#include <stdio.h>

#include <linux/daedalus-v4l2.h>

#define DD_SL_RECORD_MAGIC	0x524c5344u	/* "DSLR" */

/* Host byte order: a recording is read back on the machine that made it. */
struct dd_sl_record {
	uint32_t magic;
	uint32_t codec;		/* DAEDALUS_CODEC_* */
	uint32_t width;		/* the frame buffer's format */
	uint32_t height;
	uint32_t pixfmt;	/* DAEDALUS_PIXFMT_* */
	uint32_t flags;		/* the job's DAEDALUS_SL_* */
	uint32_t ctrls_len;
	uint32_t bits_len;
	uint64_t timestamp;
};

struct dd_sl_recorder {
	FILE *f;
};

/* Opens the context's recording if DAEDALUS_SL_RECORD asks for one. */
void dd_sl_record_open(struct dd_sl_recorder *r, uint32_t ctx_id);
void dd_sl_record(struct dd_sl_recorder *r, uint32_t codec, const struct daedalus_msg_sl_job *j,
		  const void *ctrls, const void *bits);
void dd_sl_record_close(struct dd_sl_recorder *r);

#endif
