/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dd_probe(): what daedalusd's FFmpeg sees in a file, as JSON. Keys (values
 * may be null where FFmpeg does not know):
 *
 *   file, container {format, long_name}, stream_index,
 *   codec {name, long_name, daedalus_id (-1 if not ours), decoder},
 *   profile {name, number}, level,
 *   declared_size {width, height}	from the stream headers
 *   coded_size {width, height}		decoder's coded size after one frame
 *   visible_size {width, height}	first decoded frame, cropping applied
 *   pix_fmt {name, bit_depth}, frame_rate {num, den},
 *   frame_count			demuxed packets of the stream
 *   container_frame_count		what the container claims
 *   duration				seconds
 *   decode_error, read_error		strings, or null
 *   blocks (null without DD_PROBE_BLOCKS) {error, frames: [{index, pts,
 *	pict_type, key, width, height, params_type, qp, nb_blocks,
 *	summary {min, max, mean}, blocks: [{src_x, src_y, w, h, delta_qp,
 *	qp}]}], summary {frames, blocks, min, max, mean}}
 *
 * A block's qp is the frame's base qp plus its delta_qp (VP9: saturated to
 * 0..255, as video_enc_params.h says). Summaries give min, max and the mean
 * weighted by block area; a frame without blocks (VP9 without segmentation)
 * counts as one block of the whole frame at its base qp.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ffmpeg.h"
#include "media-file.h"

/* A growable JSON text; on allocation failure it stops growing and says so. */
struct jbuf {
	char *buf;
	size_t len, cap;
	int oom;
};

static void jb_reserve(struct jbuf *j, size_t more)
{
	size_t cap;
	char *p;

	if (j->oom || j->len + more + 1 <= j->cap)
		return;
	cap = j->cap ? j->cap : 4096;
	while (cap < j->len + more + 1)
		cap *= 2;
	p = realloc(j->buf, cap);
	if (!p) {
		j->oom = 1;
		return;
	}
	j->buf = p;
	j->cap = cap;
}

static void __attribute__((format(printf, 2, 3)))
jb_printf(struct jbuf *j, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	jb_reserve(j, (size_t)n);
	if (j->oom)
		return;
	va_start(ap, fmt);
	vsnprintf(j->buf + j->len, j->cap - j->len, fmt, ap);
	va_end(ap);
	j->len += (size_t)n;
}

static void jb_str(struct jbuf *j, const char *s)
{
	if (!s) {
		jb_printf(j, "null");
		return;
	}
	jb_printf(j, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			jb_printf(j, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			jb_printf(j, "\\u%04x", c);
		else
			jb_printf(j, "%c", c);
	}
	jb_printf(j, "\"");
}

static void jb_num(struct jbuf *j, double v, int have)
{
	if (have && v == v && v - v == 0)	/* finite */
		jb_printf(j, "%.6f", v);
	else
		jb_printf(j, "null");
}

static void jb_int(struct jbuf *j, long long v, int have)
{
	if (have)
		jb_printf(j, "%lld", v);
	else
		jb_printf(j, "null");
}

static void jb_size(struct jbuf *j, int w, int h)
{
	if (w > 0 && h > 0)
		jb_printf(j, "{\"width\":%d,\"height\":%d}", w, h);
	else
		jb_printf(j, "null");
}

/* The mean is weighted by block area: VP9 blocks range from 4x4 to 64x64. */
struct qp_stats {
	long long samples, area, weighted;
	int min, max;
};

static void qp_add(struct qp_stats *s, int qp, int w, int h)
{
	long long area = w > 0 && h > 0 ? (long long)w * h : 0;

	if (!s->samples || qp < s->min)
		s->min = qp;
	if (!s->samples || qp > s->max)
		s->max = qp;
	s->samples++;
	s->area += area;
	s->weighted += area * qp;
}

static void jb_qp_summary(struct jbuf *j, const struct qp_stats *s)
{
	if (!s->samples) {
		jb_printf(j, "null");
		return;
	}
	jb_printf(j, "{\"min\":%d,\"max\":%d,\"mean\":", s->min, s->max);
	jb_num(j, s->area ? (double)s->weighted / (double)s->area : s->min, 1);
	jb_printf(j, "}");
}

struct probe {
	const char *path;
	int flags, want_frames;

	AVFormatContext *fmt;
	AVCodecContext *ctx;
	AVPacket *pkt;
	AVFrame *frame;
	const AVCodec *dec;
	AVStream *st;
	int idx;

	int decoding, frames_out;
	long long packets;
	int64_t pts_min, pts_end;
	int pts_ok, pts_seen;

	int visible_w, visible_h, coded_w, coded_h, pix_fmt;
	int decode_failures, last_decode_err;
	char decode_error[256], read_error[256];

	/* blocks */
	struct jbuf bj;
	int blocks_frames;
	char blocks_error[256];
	struct qp_stats all;
	long long all_blocks;
};

static const char *params_type_name(enum AVVideoEncParamsType t)
{
	switch (t) {
	case AV_VIDEO_ENC_PARAMS_H264: return "h264";
	case AV_VIDEO_ENC_PARAMS_VP9: return "vp9";
	case AV_VIDEO_ENC_PARAMS_MPEG2: return "mpeg2";
	default: return "unknown";
	}
}

/* Side data is read defensively: a decoder bug must not become our crash. */
static void add_frame_blocks(struct probe *p, const AVFrame *f, int index)
{
	const AVFrameSideData *sd =
		dd_ff.av_frame_get_side_data(f, AV_FRAME_DATA_VIDEO_ENC_PARAMS);
	const size_t block_min = offsetof(AVVideoBlockParams, delta_qp) + sizeof(int32_t);
	const AVVideoEncParams *par;
	struct qp_stats s = { 0 };
	struct jbuf *j = &p->bj;
	int64_t pts = f->pts != AV_NOPTS_VALUE ? f->pts : f->best_effort_timestamp;
	int key;

	if (!sd) {
		snprintf(p->blocks_error, sizeof(p->blocks_error),
			 "decoder %s exported no encoding parameters for frame %d",
			 p->dec->name, index);
		return;
	}
	par = (const AVVideoEncParams *)sd->data;
	if (sd->size < sizeof(*par) ||
	    (par->nb_blocks &&
	     (par->block_size < block_min || par->blocks_offset > sd->size ||
	      (sd->size - par->blocks_offset) / par->block_size < par->nb_blocks))) {
		snprintf(p->blocks_error, sizeof(p->blocks_error),
			 "frame %d has malformed encoding parameters", index);
		return;
	}

	key = dd_frame_is_key(f);
	/* No blocks (VP9 without segmentation): the base qp holds everywhere. */
	if (!par->nb_blocks) {
		qp_add(&s, par->qp, f->width, f->height);
		qp_add(&p->all, par->qp, f->width, f->height);
	}
	p->all_blocks += par->nb_blocks;
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1) {
			jb_printf(j, "%s{\"index\":%d,\"pts\":", p->blocks_frames ? "," : "", index);
			jb_int(j, pts, pts != AV_NOPTS_VALUE);
			jb_printf(j, ",\"pict_type\":\"%c\",\"key\":%s,\"width\":%d,\"height\":%d,"
				  "\"params_type\":\"%s\",\"qp\":%d,\"nb_blocks\":%u,\"summary\":",
				  dd_ff.av_get_picture_type_char(f->pict_type), key ? "true" : "false",
				  f->width, f->height, params_type_name(par->type), par->qp,
				  par->nb_blocks);
			jb_qp_summary(j, &s);
			jb_printf(j, ",\"blocks\":[");
		}
		for (unsigned i = 0; i < par->nb_blocks; i++) {
			const AVVideoBlockParams *b = (const AVVideoBlockParams *)
				((const uint8_t *)par + par->blocks_offset + i * par->block_size);
			int qp = par->qp + b->delta_qp;

			if (par->type == AV_VIDEO_ENC_PARAMS_VP9)
				qp = qp < 0 ? 0 : qp > 255 ? 255 : qp;
			if (pass == 0) {
				qp_add(&s, qp, b->w, b->h);
				qp_add(&p->all, qp, b->w, b->h);
				continue;
			}
			jb_printf(j, "%s{\"src_x\":%d,\"src_y\":%d,\"w\":%d,\"h\":%d,"
				  "\"delta_qp\":%d,\"qp\":%d}", i ? "," : "", b->src_x, b->src_y,
				  b->w, b->h, b->delta_qp, qp);
		}
	}
	jb_printf(j, "]}");
	p->blocks_frames++;
}

static void got_frame(struct probe *p)
{
	AVFrame *f = p->frame;
	int index = p->frames_out++;

	if (index == 0) {
		p->visible_w = f->width;
		p->visible_h = f->height;
		p->pix_fmt = f->format;
		/* Not an AVOption; set by the decoder once it parsed a frame. */
		p->coded_w = p->ctx->coded_width;
		p->coded_h = p->ctx->coded_height;
	}
	if ((p->flags & DD_PROBE_BLOCKS) && !*p->blocks_error && index < p->want_frames)
		add_frame_blocks(p, f, index);
	if (p->frames_out >= p->want_frames)
		p->decoding = 0;
	dd_ff.av_frame_unref(f);
}

static void note_decode_error(struct probe *p, int err)
{
	p->decode_failures++;
	p->last_decode_err = err;
}

static void receive_frames(struct probe *p)
{
	for (;;) {
		int r = dd_ff.avcodec_receive_frame(p->ctx, p->frame);

		if (r == AVERROR(EAGAIN) || r == AVERROR_EOF)
			return;
		if (r < 0) {
			note_decode_error(p, r);
			return;
		}
		got_frame(p);
	}
}

/* pkt NULL drains the decoder. */
static void decode(struct probe *p, const AVPacket *pkt)
{
	int r = dd_ff.avcodec_send_packet(p->ctx, pkt);

	if (r == AVERROR(EAGAIN)) {
		receive_frames(p);
		r = dd_ff.avcodec_send_packet(p->ctx, pkt);
	}
	if (r < 0 && r != AVERROR_EOF)
		note_decode_error(p, r);
	receive_frames(p);
}

static void count_packet(struct probe *p, const AVPacket *pkt)
{
	p->packets++;
	if (pkt->pts == AV_NOPTS_VALUE || pkt->duration <= 0) {
		p->pts_ok = 0;
		return;
	}
	if (!p->pts_seen || pkt->pts < p->pts_min)
		p->pts_min = pkt->pts;
	if (!p->pts_seen || pkt->pts + pkt->duration > p->pts_end)
		p->pts_end = pkt->pts + pkt->duration;
	p->pts_seen = 1;
}

static int open_decoder(struct probe *p)
{
	char e[128];
	int r;

	p->dec = dd_ff.avcodec_find_decoder(p->st->codecpar->codec_id);
	if (!p->dec) {
		snprintf(p->decode_error, sizeof(p->decode_error),
			 "this libavcodec has no decoder for %s",
			 dd_ff.avcodec_get_name(p->st->codecpar->codec_id));
		return -ENOSYS;
	}
	p->ctx = dd_ff.avcodec_alloc_context3(p->dec);
	if (!p->ctx)
		return -ENOMEM;
	r = dd_ff.avcodec_parameters_to_context(p->ctx, p->st->codecpar);
	if (r >= 0)
		r = dd_ff.av_opt_set_int(p->ctx, "threads", 1, 0);
	if (r >= 0 && (p->flags & DD_PROBE_BLOCKS) && !*p->blocks_error)
		r = dd_ff.av_opt_set(p->ctx, "export_side_data", "venc_params", 0);
	if (r >= 0)
		r = dd_ff.avcodec_open2(p->ctx, p->dec, NULL);
	if (r < 0) {
		snprintf(p->decode_error, sizeof(p->decode_error),
			 "cannot open decoder %s: %s", p->dec->name, dd_ff_errstr(r, e, sizeof(e)));
		return dd_ff_to_errno(r);
	}
	p->decoding = 1;
	return 0;
}

static void write_json(struct probe *p, struct jbuf *j)
{
	const AVCodecParameters *par = p->st->codecpar;
	const AVCodecDescriptor *cd = dd_ff.avcodec_descriptor_get(par->codec_id);
	int pix_fmt = p->frames_out ? p->pix_fmt : par->format;
	const AVPixFmtDescriptor *pd = pix_fmt >= 0 ? dd_ff.av_pix_fmt_desc_get(pix_fmt) : NULL;
	AVRational fr = dd_ff.av_guess_frame_rate(p->fmt, p->st, NULL);
	int64_t profile = par->profile, level = par->level;
	const char *profile_name;
	double duration = 0;
	int have_duration = 1;

	/* The decoder may have learnt what the container did not say. */
	if (p->ctx && profile < 0)
		dd_ff.av_opt_get_int(p->ctx, "profile", 0, &profile);
	if (p->ctx && level < 0)
		dd_ff.av_opt_get_int(p->ctx, "level", 0, &level);
	profile_name = profile >= 0 ? dd_ff.avcodec_profile_name(par->codec_id, (int)profile) : NULL;

	if (p->pts_ok && p->pts_seen)
		duration = (double)(p->pts_end - p->pts_min) * av_q2d(p->st->time_base);
	else if (p->st->duration != AV_NOPTS_VALUE && p->st->duration > 0)
		duration = (double)p->st->duration * av_q2d(p->st->time_base);
	else if (p->fmt->duration != AV_NOPTS_VALUE && p->fmt->duration > 0)
		duration = (double)p->fmt->duration / AV_TIME_BASE;
	else
		have_duration = 0;

	jb_printf(j, "{\"file\":");
	jb_str(j, p->path);
	jb_printf(j, ",\"container\":{\"format\":");
	jb_str(j, p->fmt->iformat->name);
	jb_printf(j, ",\"long_name\":");
	jb_str(j, p->fmt->iformat->long_name);
	jb_printf(j, "},\"stream_index\":%d,\"codec\":{\"name\":", p->idx);
	jb_str(j, dd_ff.avcodec_get_name(par->codec_id));
	jb_printf(j, ",\"long_name\":");
	jb_str(j, cd ? cd->long_name : NULL);
	jb_printf(j, ",\"daedalus_id\":%d,\"decoder\":", dd_ffmpeg_codec_to_daedalus(par->codec_id));
	jb_str(j, p->dec ? p->dec->name : NULL);
	jb_printf(j, "},\"profile\":{\"name\":");
	jb_str(j, profile_name);
	jb_printf(j, ",\"number\":");
	jb_int(j, profile, profile >= 0);
	jb_printf(j, "},\"level\":");
	jb_int(j, level, level >= 0);
	jb_printf(j, ",\"declared_size\":");
	jb_size(j, par->width, par->height);
	jb_printf(j, ",\"coded_size\":");
	jb_size(j, p->coded_w, p->coded_h);
	jb_printf(j, ",\"visible_size\":");
	jb_size(j, p->visible_w, p->visible_h);
	jb_printf(j, ",\"pix_fmt\":{\"name\":");
	jb_str(j, pix_fmt >= 0 ? dd_ff.av_get_pix_fmt_name(pix_fmt) : NULL);
	jb_printf(j, ",\"bit_depth\":");
	jb_int(j, pd ? pd->comp[0].depth : 0, pd != NULL);
	jb_printf(j, "},\"frame_rate\":");
	if (fr.num > 0 && fr.den > 0)
		jb_printf(j, "{\"num\":%d,\"den\":%d}", fr.num, fr.den);
	else
		jb_printf(j, "null");
	jb_printf(j, ",\"frame_count\":%lld,\"container_frame_count\":", p->packets);
	jb_int(j, p->st->nb_frames, p->st->nb_frames > 0);
	jb_printf(j, ",\"duration\":");
	jb_num(j, duration, have_duration);
	jb_printf(j, ",\"decode_error\":");
	jb_str(j, *p->decode_error ? p->decode_error : NULL);
	jb_printf(j, ",\"read_error\":");
	jb_str(j, *p->read_error ? p->read_error : NULL);
	jb_printf(j, ",\"blocks\":");
	if (p->flags & DD_PROBE_BLOCKS) {
		jb_printf(j, "{\"error\":");
		jb_str(j, *p->blocks_error ? p->blocks_error : NULL);
		jb_printf(j, ",\"frames\":[");
		if (p->bj.len && !p->bj.oom)
			jb_printf(j, "%s", p->bj.buf);
		j->oom |= p->bj.oom;
		jb_printf(j, "],\"summary\":");
		if (p->all.samples) {
			jb_printf(j, "{\"frames\":%d,\"blocks\":%lld,\"min\":%d,\"max\":%d,\"mean\":",
				  p->blocks_frames, p->all_blocks, p->all.min, p->all.max);
			jb_num(j, p->all.area ? (double)p->all.weighted / (double)p->all.area
					      : p->all.min, 1);
			jb_printf(j, "}");
		} else {
			jb_printf(j, "null");
		}
		jb_printf(j, "}");
	} else {
		jb_printf(j, "null");
	}
	jb_printf(j, "}");
}

/* Fills the probe; 0, or a negative errno with msg set. */
static int run(struct probe *p, char *msg, size_t msglen)
{
	char e[128];
	int r;

	r = dd_media_open(p->path, &p->fmt, msg, msglen);
	if (r < 0)
		return r;
	p->idx = r;
	p->st = p->fmt->streams[r];

	if ((p->flags & DD_PROBE_BLOCKS) && p->st->codecpar->codec_id != AV_CODEC_ID_H264 &&
	    p->st->codecpar->codec_id != AV_CODEC_ID_VP9)
		snprintf(p->blocks_error, sizeof(p->blocks_error),
			 "libavcodec exports per-block QP (venc_params) only for h264 and vp9, not %s",
			 dd_ff.avcodec_get_name(p->st->codecpar->codec_id));

	p->pkt = dd_ff.av_packet_alloc();
	p->frame = dd_ff.av_frame_alloc();
	if (!p->pkt || !p->frame) {
		snprintf(msg, msglen, "out of memory");
		return -ENOMEM;
	}
	r = open_decoder(p);
	if (r == -ENOMEM) {
		snprintf(msg, msglen, "out of memory");
		return r;
	}

	p->pts_ok = 1;
	while ((r = dd_ff.av_read_frame(p->fmt, p->pkt)) >= 0) {
		if (p->pkt->stream_index == p->idx) {
			count_packet(p, p->pkt);
			if (p->decoding)
				decode(p, p->pkt);
		}
		dd_ff.av_packet_unref(p->pkt);
	}
	if (r != AVERROR_EOF)
		snprintf(p->read_error, sizeof(p->read_error), "reading stopped after %lld packets: %s",
			 p->packets, dd_ff_errstr(r, e, sizeof(e)));
	if (p->decoding)
		decode(p, NULL);

	if (p->ctx && !p->frames_out && !*p->decode_error) {
		if (p->decode_failures)
			snprintf(p->decode_error, sizeof(p->decode_error),
				 "no frame could be decoded (%d errors, last: %s)",
				 p->decode_failures, dd_ff_errstr(p->last_decode_err, e, sizeof(e)));
		else
			snprintf(p->decode_error, sizeof(p->decode_error),
				 "the decoder returned no frame");
	}
	return 0;
}

static void put_message(char *out, int outlen, int *needed, const char *msg)
{
	if (needed)
		*needed = (int)strlen(msg) + 1;
	if (out && outlen > 0)
		snprintf(out, (size_t)outlen, "%s", msg);
}

DD_EXPORT int dd_probe(const char *path, int flags, int max_frames, char *out, int outlen,
		       int *needed)
{
	struct probe p = { 0 };
	struct jbuf j = { 0 };
	char msg[1024] = "";
	int r;

	if (!path || !*path || outlen < 0 || (outlen > 0 && !out) ||
	    (flags & ~DD_PROBE_BLOCKS) ||
	    ((flags & DD_PROBE_BLOCKS) && (max_frames < 1 || max_frames > DD_PROBE_MAX_FRAMES))) {
		snprintf(msg, sizeof(msg), "invalid arguments (path %s, flags %#x, max_frames %d)",
			 path && *path ? "set" : "missing", (unsigned)flags, max_frames);
		put_message(out, outlen, needed, msg);
		return -EINVAL;
	}
	r = dd_ffmpeg_load(msg, sizeof(msg));
	if (r) {
		put_message(out, outlen, needed, msg);
		return r;
	}

	p.path = path;
	p.flags = flags;
	p.want_frames = (flags & DD_PROBE_BLOCKS) ? max_frames : 1;
	p.pix_fmt = AV_PIX_FMT_NONE;
	r = run(&p, msg, sizeof(msg));
	if (!r) {
		write_json(&p, &j);
		if (j.oom) {
			snprintf(msg, sizeof(msg), "out of memory writing the probe result");
			r = -ENOMEM;
		}
	}

	dd_ff.av_frame_free(&p.frame);
	dd_ff.av_packet_free(&p.pkt);
	dd_ff.avcodec_free_context(&p.ctx);
	dd_ff.avformat_close_input(&p.fmt);
	free(p.bj.buf);

	if (r) {
		put_message(out, outlen, needed, msg);
	} else if (j.len > INT_MAX - 1) {
		put_message(out, outlen, needed, "the probe result exceeds 2 GiB");
		r = -E2BIG;
	} else {
		if (needed)
			*needed = (int)j.len + 1;
		if ((size_t)outlen < j.len + 1) {
			r = -ENOSPC;
		} else {
			memcpy(out, j.buf, j.len + 1);
			r = (int)j.len;
		}
	}
	free(j.buf);
	return r;
}
