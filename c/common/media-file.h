/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Opening a local media file with libavformat, as the probe and the
 * demuxer of `daedalusd decode` both do, and FFmpeg error reporting.
 * FFmpeg must be loaded (dd_ffmpeg_load).
 */
#ifndef DAEDALUS_MEDIA_FILE_H
#define DAEDALUS_MEDIA_FILE_H

#include <stddef.h>

#include "ffmpeg.h"

/*
 * Opens path (a local file only: no protocol but "file" is allowed), reads
 * its stream information and finds its best video stream. Returns that
 * stream's index with *fmt open, or a negative errno with *fmt NULL and a
 * message in msg: -ENOENT and the like from the file system, -EBADMSG not a
 * media file, -ENODATA no video stream, -ENOMEM.
 */
int dd_media_open(const char *path, AVFormatContext **fmt, char *msg, size_t msglen);

/* FFmpeg's text for an AVERROR, in buf. */
const char *dd_ff_errstr(int err, char *buf, size_t len);

/* An AVERROR as a negative errno; FFmpeg's own tags have no errno. */
int dd_ff_to_errno(int err);

#endif
