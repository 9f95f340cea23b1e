/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A V4L2 stateful decoder client, as `daedalusd decode` drives the node:
 * the sequences of the kernel's dev-decoder.rst (initialization on
 * SOURCE_CHANGE, decoding, drain, dynamic resolution change) with MMAP
 * buffers on both queues. Never blocks longer than the timeout it is given;
 * `daedalusd decode` calls dd_client_step() until it reports the end.
 */
#ifndef DAEDALUS_V4L2_CLIENT_H
#define DAEDALUS_V4L2_CLIENT_H

#include <stdint.h>

#include "shim.h"

struct dd_client;

/* dd_client_step() outcomes */
#define DD_CLIENT_IDLE		0	/* nothing for the caller yet */
#define DD_CLIENT_FORMAT	1	/* CAPTURE is (re)configured: see the format fields */
#define DD_CLIENT_FRAME		2	/* a decoded frame is held: dd_client_take() it */
#define DD_CLIENT_END		3	/* the drain finished: no frame will follow */

/* What a step produced; read by the daemon, so fixed-size fields only. */
struct dd_client_event {
	/* DD_CLIENT_FRAME */
	int64_t timestamp_us;	/* of the OUTPUT buffer the frame came from (>= 0) */
	uint32_t sequence;
	uint32_t flags;		/* V4L2_BUF_FLAG_* (KEYFRAME, ERROR, LAST...) */
	uint32_t bytesused;	/* 0: no picture (an ERROR buffer the decoder made nothing of) */
	/* the CAPTURE format, valid from the first DD_CLIENT_FORMAT on */
	uint32_t pixelformat;
	uint32_t coded_width;
	uint32_t coded_height;
	uint32_t visible_left;
	uint32_t visible_top;
	uint32_t visible_width;
	uint32_t visible_height;
	uint32_t bytesperline;
	uint32_t buffers;	/* CAPTURE buffers allocated */
	uint32_t frame_size;	/* bytes dd_client_take() writes: the visible picture, packed */
};

/*
 * Opens the decoder node at path for a stream of codec (DAEDALUS_CODEC_*)
 * of about width x height, with bitstream buffers of out_size bytes.
 * pixfmt is the frame format wanted (DAEDALUS_PIXFMT_*, or -1 for the
 * node's choice). Returns the client, or NULL with the reason in err.
 */
DD_EXPORT struct dd_client *dd_client_open(const char *path, uint32_t codec, uint32_t width,
					   uint32_t height, uint32_t out_size, int32_t pixfmt,
					   char *err, int errlen);

/*
 * Queues bitstream bytes with a timestamp (>= 0). Returns how many bytes went into
 * one OUTPUT buffer (all of them, or a buffer's worth when the format is a
 * continuous byte stream), 0 if no OUTPUT buffer is free (step, then try
 * again), or a negative errno.
 */
DD_EXPORT int dd_client_queue(struct dd_client *c, const void *data, uint32_t size,
			      int64_t timestamp_us);

/* DECODER_CMD STOP: the frames of everything queued come out, then END. */
DD_EXPORT int dd_client_drain(struct dd_client *c);

/* Waits at most timeout_ms for progress; DD_CLIENT_* or a negative errno. */
DD_EXPORT int dd_client_step(struct dd_client *c, int timeout_ms, struct dd_client_event *ev);

/*
 * Copies the held frame's visible picture, packed (no row padding, planes
 * one after another, as FFmpeg's rawvideo and framemd5 lay it out), into
 * dst if it is not NULL, and gives the buffer back to the node. Returns the
 * bytes written or a negative errno.
 */
DD_EXPORT int64_t dd_client_take(struct dd_client *c, void *dst, int64_t dstlen);

/* Why the last call failed. */
DD_EXPORT const char *dd_client_error(const struct dd_client *c);

/* Stops both queues, unmaps and closes. */
DD_EXPORT void dd_client_close(struct dd_client *c);

#endif
