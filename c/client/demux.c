// SPDX-License-Identifier: BSD-2-Clause
/* Reading a file's video stream for `daedalusd decode`; see demux.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/daedalus-v4l2.h>

#include "demux.h"
#include "ffmpeg.h"
#include "media-file.h"

struct dd_demux {
	AVFormatContext *fmt;
	int stream;
	AVBSFContext *bsf;	/* NULL when packets go out as read */
	AVPacket *pkt;		/* the packet handed out last */
	int bsf_flushed;
	int eof;
};

_Static_assert(sizeof(struct dd_demux_info) == 96, "dd_demux_info layout is shared with TypeScript");
_Static_assert(sizeof(struct dd_demux_packet) == 24, "dd_demux_packet layout is shared with TypeScript");

static int open_bsf(struct dd_demux *d, const AVStream *st, char *err, int errlen)
{
	const char *name = st->codecpar->codec_id == AV_CODEC_ID_H264 ? "h264_mp4toannexb" :
			   st->codecpar->codec_id == AV_CODEC_ID_HEVC ? "hevc_mp4toannexb" : NULL;
	const AVBitStreamFilter *f;
	char e[128];
	int r;

	if (!name)
		return 0;
	f = dd_ff.av_bsf_get_by_name(name);
	if (!f) {
		snprintf(err, (size_t)errlen, "this libavcodec has no %s bitstream filter", name);
		return -ENOSYS;
	}
	r = dd_ff.av_bsf_alloc(f, &d->bsf);
	if (r >= 0)
		r = dd_ff.avcodec_parameters_copy(d->bsf->par_in, st->codecpar);
	if (r >= 0) {
		d->bsf->time_base_in = st->time_base;
		r = dd_ff.av_bsf_init(d->bsf);
	}
	if (r < 0) {
		snprintf(err, (size_t)errlen, "cannot start %s: %s", name,
			 dd_ff_errstr(r, e, sizeof(e)));
		return dd_ff_to_errno(r);
	}
	return 0;
}

static void describe(const AVFormatContext *fmt, const AVStream *st, int codec,
		     struct dd_demux_info *info)
{
	const AVCodecParameters *par = st->codecpar;
	const AVPixFmtDescriptor *pd = par->format >= 0 ? dd_ff.av_pix_fmt_desc_get(par->format) : NULL;
	AVRational fr = dd_ff.av_guess_frame_rate((AVFormatContext *)fmt, (AVStream *)st, NULL);

	memset(info, 0, sizeof(*info));
	info->codec = codec;
	info->width = par->width;
	info->height = par->height;
	info->bit_depth = pd ? pd->comp[0].depth : par->bits_per_raw_sample;
	if (fr.num > 0 && fr.den > 0) {
		info->fps_num = fr.num;
		info->fps_den = fr.den;
	}
	if (st->nb_frames > 0)
		info->frames = st->nb_frames;
	else if (fr.num > 0 && fr.den > 0 && fmt->duration > 0)
		info->frames = (int64_t)((double)fmt->duration / AV_TIME_BASE * fr.num / fr.den + 0.5);
	snprintf(info->codec_name, sizeof(info->codec_name), "%s",
		 dd_ff.avcodec_get_name(par->codec_id));
	snprintf(info->container, sizeof(info->container), "%s", fmt->iformat->name);
}

DD_EXPORT struct dd_demux *dd_demux_open(const char *path, struct dd_demux_info *info,
					 char *err, int errlen)
{
	struct dd_demux *d;
	const AVStream *st;
	int codec;

	if (!path || !info || !err || errlen <= 0)
		return NULL;
	if (dd_ffmpeg_load(err, errlen))
		return NULL;
	d = calloc(1, sizeof(*d));
	if (!d) {
		snprintf(err, (size_t)errlen, "out of memory");
		return NULL;
	}
	d->stream = dd_media_open(path, &d->fmt, err, (size_t)errlen);
	if (d->stream < 0)
		goto fail;
	st = d->fmt->streams[d->stream];
	codec = dd_ffmpeg_codec_to_daedalus(st->codecpar->codec_id);
	if (codec < 0) {
		snprintf(err, (size_t)errlen, "%s: its video is %s, which the decoder node does not take",
			 path, dd_ff.avcodec_get_name(st->codecpar->codec_id));
		goto fail;
	}
	describe(d->fmt, st, codec, info);
	d->pkt = dd_ff.av_packet_alloc();
	if (!d->pkt) {
		snprintf(err, (size_t)errlen, "out of memory");
		goto fail;
	}
	if (open_bsf(d, st, err, errlen) < 0)
		goto fail;
	return d;
fail:
	dd_demux_close(d);
	return NULL;
}

/* The next packet of our stream as read from the file, or an AVERROR. */
static int read_packet(struct dd_demux *d)
{
	int r;

	do {
		dd_ff.av_packet_unref(d->pkt);
		r = dd_ff.av_read_frame(d->fmt, d->pkt);
	} while (r >= 0 && d->pkt->stream_index != d->stream);
	return r;
}

/* The next packet out of the bitstream filter, or an AVERROR. */
static int filter_packet(struct dd_demux *d)
{
	int r;

	for (;;) {
		r = dd_ff.av_bsf_receive_packet(d->bsf, d->pkt);
		if (r != AVERROR(EAGAIN))
			return r;
		if (d->bsf_flushed)
			return AVERROR_EOF;
		r = read_packet(d);
		if (r == AVERROR_EOF) {
			d->bsf_flushed = 1;
			r = dd_ff.av_bsf_send_packet(d->bsf, NULL);
		} else if (r >= 0) {
			r = dd_ff.av_bsf_send_packet(d->bsf, d->pkt);
		}
		if (r < 0)
			return r;
	}
}

DD_EXPORT int dd_demux_read(struct dd_demux *d, struct dd_demux_packet *pkt, char *err,
			    int errlen)
{
	AVRational tb;
	char e[128];
	int r;

	if (!d || !pkt || !err || errlen <= 0)
		return -EINVAL;
	if (d->eof)
		return 0;
	dd_ff.av_packet_unref(d->pkt);
	r = d->bsf ? filter_packet(d) : read_packet(d);
	if (r == AVERROR_EOF) {
		d->eof = 1;
		return 0;
	}
	if (r < 0) {
		snprintf(err, (size_t)errlen, "reading the file failed: %s",
			 dd_ff_errstr(r, e, sizeof(e)));
		return dd_ff_to_errno(r);
	}
	tb = d->fmt->streams[d->stream]->time_base;
	pkt->data = (uint64_t)(uintptr_t)d->pkt->data;
	pkt->size = d->pkt->size;
	pkt->keyframe = !!(d->pkt->flags & AV_PKT_FLAG_KEY);
	pkt->pts_us = d->pkt->pts == AV_NOPTS_VALUE ? INT64_MIN :
		      dd_ff.av_rescale_q(d->pkt->pts, tb, (AVRational){ 1, 1000000 });
	return 1;
}

DD_EXPORT void dd_demux_close(struct dd_demux *d)
{
	if (!d)
		return;
	dd_ff.av_bsf_free(&d->bsf);
	dd_ff.av_packet_free(&d->pkt);
	dd_ff.avformat_close_input(&d->fmt);
	free(d);
}
