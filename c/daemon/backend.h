/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The codec backend: bitstream in, frames out, in display order. libavcodec
 * is the only backend today (backend-lavc.c); per-block work may move to
 * the daedalus-fourier kernels later behind this same interface.
 */
#ifndef DAEDALUS_BACKEND_H
#define DAEDALUS_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "ffmpeg.h"

struct dd_backend;

/* Receives each frame; the frame stays the backend's (take a reference to keep it). */
typedef void (*dd_emit_fn)(void *arg, AVFrame *frame);

/* A decoder for DAEDALUS_CODEC_* codec; threads 0 = one per CPU. NULL with err set on failure. */
struct dd_backend *dd_backend_open(uint32_t codec, int threads, char *err, size_t errlen);

/*
 * Copies a chunk of the byte stream (any split for codecs with a parser,
 * one frame per chunk for the others) out of the client's buffer. Every
 * call below reads this copy alone, so the client's buffer can go back
 * before the chunk is decoded. Returns 0, or a negative AVERROR.
 */
int dd_backend_load(struct dd_backend *b, const uint8_t *data, size_t len);

/*
 * Until the stream's size is known: learns it from the loaded chunk alone,
 * at once, without decoding in order (dd_backend_peek() then tells). Call
 * it before dd_backend_decode(), so that the client hears of the size
 * before the decode of a long chunk ends.
 */
void dd_backend_probe(struct dd_backend *b);

/*
 * Whether the loaded chunk holds an end-of-stream marking: H.264's end of
 * stream NAL unit (type 11) or HEVC's end of bitstream (type 37). Start
 * codes split between chunks are found too. No other codec has one:
 * MPEG-2's sequence_end_code may sit between two sequences of one stream.
 */
int dd_backend_end_of_stream(struct dd_backend *b);

/*
 * Decodes the loaded chunk, passing out every frame that becomes ready.
 * pts is the chunk's timestamp; frames carry the one of the chunk they
 * started in. Returns 0, or a negative AVERROR if some of the data could
 * not be decoded (decoding goes on with the next chunk).
 */
int dd_backend_decode(struct dd_backend *b, int64_t pts, dd_emit_fn emit, void *arg);

/*
 * Gets every remaining frame out. The stream may then go on where it was
 * (the reference frames come back before the next chunk is decoded) or,
 * after dd_backend_reset(), start anew. Returns as dd_backend_decode().
 */
int dd_backend_drain(struct dd_backend *b, dd_emit_fn emit, void *arg);

/* Forgets buffered data and reference frames: the next chunk starts anew (a seek, a new stream). */
void dd_backend_reset(struct dd_backend *b);

/* Frames the decoder may hold back before the first comes out: reordering plus threading. */
int dd_backend_delay(const struct dd_backend *b);

/*
 * What the parser learned of the stream so far, before any frame is
 * decoded: display size and pixel format (AVPixelFormat). Returns 1 if it
 * knows, 0 if not yet (or the codec has no parser).
 */
int dd_backend_peek(const struct dd_backend *b, int *width, int *height, int *format);

void dd_backend_close(struct dd_backend *b);

#endif
