/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A file's video stream as a V4L2 stateful decoder takes it, for
 * `daedalusd decode`: libavformat reads the packets of the best video
 * stream, and H.264 and HEVC from MP4 or Matroska are turned into the
 * Annex B byte stream V4L2_PIX_FMT_H264/HEVC carry by FFmpeg's
 * mp4toannexb bitstream filters (which pass Annex B input through).
 */
#ifndef DAEDALUS_DEMUX_H
#define DAEDALUS_DEMUX_H

#include <stdint.h>

#include "shim.h"

struct dd_demux;

/* What dd_demux_open() found; read by the daemon, so fixed-size fields only. */
struct dd_demux_info {
	int32_t codec;		/* DAEDALUS_CODEC_* */
	int32_t width;
	int32_t height;
	int32_t bit_depth;	/* of the luma samples, 0 if unknown */
	int64_t frames;		/* the container's count or an estimate, 0 if unknown */
	int32_t fps_num;	/* frame rate, 0/0 if unknown */
	int32_t fps_den;
	char codec_name[32];	/* FFmpeg's name of the codec */
	char container[32];	/* FFmpeg's name of the container */
};

/* One packet: data valid until the next dd_demux_read() or dd_demux_close(). */
struct dd_demux_packet {
	uint64_t data;		/* a pointer */
	int32_t size;
	int32_t keyframe;
	int64_t pts_us;		/* presentation time in microseconds, INT64_MIN if unknown */
};

/*
 * Opens path. Returns the demuxer, or NULL with a message in err: no such
 * file, not a media file, no video stream, or a codec the node has no
 * format for.
 */
DD_EXPORT struct dd_demux *dd_demux_open(const char *path, struct dd_demux_info *info,
					 char *err, int errlen);

/* The next packet: 1, 0 at the end, or a negative errno with the reason in err. */
DD_EXPORT int dd_demux_read(struct dd_demux *d, struct dd_demux_packet *pkt, char *err,
			    int errlen);

DD_EXPORT void dd_demux_close(struct dd_demux *d);

#endif
