/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * FFmpeg as the shim sees it: a table of function pointers filled by
 * dd_ffmpeg_load() from libraries dlopen'ed at run time. Nothing here links
 * against FFmpeg; only its headers are used, for types and struct layouts.
 *
 * Because struct layouts change between FFmpeg majors, the loader accepts
 * only libraries whose major version equals the headers' (checked at run
 * time). Never call an FFmpeg function directly (the shim would then have an
 * undefined symbol and fail to load); call it through dd_ff, e.g.
 * dd_ff.avcodec_send_packet(...), after dd_ffmpeg_load() returned 0.
 * Header inline functions that call into FFmpeg (av_video_enc_params_block,
 * av_assert0...) are off limits for the same reason.
 *
 * To use another FFmpeg function, add it to the list of its library below:
 * it is then resolved at load time, and its absence is reported by name.
 */
#ifndef DAEDALUS_FFMPEG_H
#define DAEDALUS_FFMPEG_H

#include <stdint.h>

#include <libavcodec/avcodec.h>
#include <libavcodec/bsf.h>
#include <libavcodec/version.h>
#include <libavformat/avformat.h>
#include <libavformat/version.h>
#include <libavutil/avutil.h>
#include <libavutil/dict.h>
#include <libavutil/error.h>
#include <libavutil/frame.h>
#include <libavutil/imgutils.h>
#include <libavutil/log.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <libavutil/version.h>
#include <libavutil/video_enc_params.h>
#include <libswscale/swscale.h>
#include <libswscale/version.h>

#include "shim.h"

/* FFmpeg 5.1 to 7.x; the loader's soname ranges must cover the headers. */
#if LIBAVUTIL_VERSION_MAJOR < 57 || LIBAVUTIL_VERSION_MAJOR > 59 || \
	LIBAVCODEC_VERSION_MAJOR < 59 || LIBAVCODEC_VERSION_MAJOR > 61 || \
	LIBAVFORMAT_VERSION_MAJOR < 59 || LIBAVFORMAT_VERSION_MAJOR > 61 || \
	LIBSWSCALE_VERSION_MAJOR < 6 || LIBSWSCALE_VERSION_MAJOR > 8
#error "unsupported FFmpeg headers: the shim supports FFmpeg 5.1 to 7.x"
#endif

#define DD_FF_AVUTIL_SYMBOLS(X)			\
	X(avutil_version)			\
	X(av_version_info)			\
	X(av_log_set_level)			\
	X(av_strerror)				\
	X(av_dict_set)				\
	X(av_dict_free)				\
	X(av_frame_alloc)			\
	X(av_frame_free)			\
	X(av_frame_unref)			\
	X(av_frame_ref)				\
	X(av_frame_clone)			\
	X(av_frame_get_side_data)		\
	X(av_opt_set)				\
	X(av_opt_set_int)			\
	X(av_opt_get_int)			\
	X(av_pix_fmt_desc_get)			\
	X(av_get_pix_fmt_name)			\
	X(av_get_picture_type_char)		\
	X(av_image_copy_to_buffer)		\
	X(av_image_get_buffer_size)		\
	X(av_rescale_q)				\
	X(av_buffer_create)			\
	X(av_buffer_unref)

#define DD_FF_AVCODEC_SYMBOLS(X)		\
	X(avcodec_version)			\
	X(avcodec_find_decoder)			\
	X(avcodec_find_decoder_by_name)		\
	X(avcodec_descriptor_get)		\
	X(avcodec_get_name)			\
	X(avcodec_profile_name)			\
	X(avcodec_alloc_context3)		\
	X(avcodec_free_context)			\
	X(avcodec_parameters_to_context)	\
	X(avcodec_open2)			\
	X(avcodec_send_packet)			\
	X(avcodec_receive_frame)		\
	X(avcodec_flush_buffers)		\
	X(avcodec_default_get_buffer2)		\
	X(av_packet_alloc)			\
	X(av_packet_free)			\
	X(av_packet_unref)			\
	X(av_parser_init)			\
	X(av_parser_parse2)			\
	X(av_parser_close)			\
	X(av_bsf_get_by_name)			\
	X(av_bsf_alloc)				\
	X(av_bsf_init)				\
	X(av_bsf_send_packet)			\
	X(av_bsf_receive_packet)		\
	X(av_bsf_free)				\
	X(avcodec_parameters_copy)

#define DD_FF_AVFORMAT_SYMBOLS(X)		\
	X(avformat_version)			\
	X(avformat_open_input)			\
	X(avformat_close_input)			\
	X(avformat_find_stream_info)		\
	X(av_find_best_stream)			\
	X(av_read_frame)			\
	X(av_guess_frame_rate)

#define DD_FF_SWSCALE_SYMBOLS(X)		\
	X(swscale_version)			\
	X(sws_getContext)			\
	X(sws_scale)				\
	X(sws_freeContext)

#define DD_FF_MEMBER(name) __typeof__(name) *name;
struct dd_ffmpeg {
	DD_FF_AVUTIL_SYMBOLS(DD_FF_MEMBER)
	DD_FF_AVCODEC_SYMBOLS(DD_FF_MEMBER)
	DD_FF_AVFORMAT_SYMBOLS(DD_FF_MEMBER)
	DD_FF_SWSCALE_SYMBOLS(DD_FF_MEMBER)
};
#undef DD_FF_MEMBER

/* Filled once by dd_ffmpeg_load(); read-only afterwards. */
extern struct dd_ffmpeg dd_ff;

/*
 * Loads FFmpeg once per process (later calls return the first outcome).
 * Returns 0, or a negative errno with a message naming what is missing:
 * -ENOENT a library (the sonames tried), -ENOEXEC a library of another
 * major version than the headers, -ENOSYS symbols (each named, with its
 * library). err receives the message (NUL-terminated, truncated to errlen;
 * may be NULL). Thread-safe.
 */
DD_EXPORT int dd_ffmpeg_load(char *err, int errlen);

/*
 * Writes {"ffmpeg": release, "libavutil": {soname, path, version,
 * header_version}, "libavcodec": ..., "libavformat": ..., "libswscale": ...}
 * into out. Returns the JSON length, -ENOSPC if out is too small, or the
 * load error.
 */
DD_EXPORT int dd_ffmpeg_versions(char *out, int outlen);

/* Bit set of DAEDALUS_CODEC_* with a decoder in libavcodec, or the load error. */
DD_EXPORT int dd_ffmpeg_decoder_mask(void);

/* av_log_set_level() for the whole process (AV_LOG_* values); 0 or load error. */
DD_EXPORT int dd_ffmpeg_set_log_level(int level);

/* dd_probe() flags */
#define DD_PROBE_BLOCKS		(1 << 0)	/* per-block QP of the first frames */
#define DD_PROBE_MAX_FRAMES	10000

/*
 * Describes the best video stream of the file at path as one JSON object
 * (see probe.c for its keys). With DD_PROBE_BLOCKS, the first max_frames
 * (1 to DD_PROBE_MAX_FRAMES) decoded frames carry their per-block QP.
 *
 * Returns the JSON length (>= 0), with the NUL-terminated JSON in out.
 * If outlen is too small: -ENOSPC, out untouched, and *needed (if not NULL)
 * is the size to pass next time, NUL included (the probe then runs again).
 * Any other failure: a negative errno (-ENOENT no such file, -EBADMSG not a
 * media file, -ENODATA no video stream, -EINVAL bad arguments, the loader's
 * errors...), with a NUL-terminated message in out (truncated to outlen).
 * Problems after the file was opened (no decoder, undecodable data, a read
 * error) are reported inside the JSON instead.
 */
DD_EXPORT int dd_probe(const char *path, int flags, int max_frames, char *out,
		       int outlen, int *needed);

/* Our DAEDALUS_CODEC_* number of an FFmpeg codec id, or -1. */
int dd_ffmpeg_codec_to_daedalus(enum AVCodecID id);

/*
 * The software decoder used for DAEDALUS_CODEC_* codec, or NULL. For AV1
 * that is libdav1d or libaom: FFmpeg's native AV1 decoder only drives
 * hardware. FFmpeg must be loaded.
 */
const AVCodec *dd_ffmpeg_find_decoder(uint32_t codec);

/* Whether a decoded frame is a keyframe: FFmpeg 6.1 moved the flag into flags. */
static inline int dd_frame_is_key(const AVFrame *f)
{
#ifdef AV_FRAME_FLAG_KEY
	return !!(f->flags & AV_FRAME_FLAG_KEY);
#else
	return f->key_frame;
#endif
}

#endif
