/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The stateless node's libavcodec backend: one access unit in, in decode
 * order, and at once the picture decoded from it, whether the codec would
 * show it later (B-frames) or never (VP8/VP9 hidden frames). Pictures are
 * taken where libavcodec allocates them, not where it outputs them
 * (docs/stateless-design.md 4.1). H.264, HEVC, VP8, VP9 and MPEG-2; AV1
 * has its own backend (libavcodec's AV1 decoding is libdav1d's, with its
 * own picture pool).
 *
 * One thread at a time per backend; FFmpeg must be loaded.
 */
#ifndef DAEDALUS_BACKEND_LAVC_SL_H
#define DAEDALUS_BACKEND_LAVC_SL_H

#include <stddef.h>
#include <stdint.h>

#include "ffmpeg.h"

struct dd_sl_backend;

/* A decoder for DAEDALUS_CODEC_* codec, slice threads only; threads 0 = one per CPU. */
struct dd_sl_backend *dd_sl_open(uint32_t codec, int threads, char *err, size_t errlen);

/*
 * Decodes one whole access unit (a VP9 superframe must come split) tagged
 * with pts. On success returns 0 and *picture is the picture born from it,
 * read-only and valid until the next call on b: as libavcodec allocated it,
 * so of the coded size (H.264 in whole macroblocks; cropping is the
 * client's) and with pts from the packet. Errors: a negative AVERROR from
 * libavcodec, AVERROR(ENODATA) if nothing was decoded from it (a skipped
 * picture), AVERROR(EPROTO) if a VP8/VP9 unit made several pictures.
 */
int dd_sl_decode(struct dd_sl_backend *b, const uint8_t *data, size_t len, int64_t pts,
		 const AVFrame **picture);

/*
 * Whether libavcodec has dropped every reference of the picture of the
 * access unit tagged pts (it is then no reference any more): 1 released,
 * 0 still held, -ENOENT unknown (never decoded, or too long ago).
 */
int dd_sl_released(const struct dd_sl_backend *b, int64_t pts);

/*
 * Pictures libavcodec allocated in the last dd_sl_decode(): more than one
 * when it made up pictures (H.264 frame_num gap fillers, HEVC missing
 * references).
 */
int dd_sl_allocations(const struct dd_sl_backend *b);

/* Pictures libavcodec still holds, the current one included. */
int dd_sl_held(const struct dd_sl_backend *b);

/* Forgets buffered data and references: the next unit starts anew (a seek, a new stream). */
void dd_sl_reset(struct dd_sl_backend *b);

void dd_sl_close(struct dd_sl_backend *b);

#endif
