/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The libavcodec backend: libavcodec's parser splits the byte stream into
 * frames for the start-code formats (H.264, HEVC, MPEG-2), so a buffer may
 * hold any chunk of it; VP8, VP9 and AV1 arrive one frame per buffer and go
 * to the decoder as they are. Frame threading is on.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <linux/daedalus-v4l2.h>

#include "backend.h"

struct dd_backend {
	AVCodecContext *avctx;
	AVCodecParserContext *parser;	/* NULL for one-frame-per-buffer codecs */
	AVPacket *pkt;
	AVFrame *frame;
	uint32_t codec;
	/* Without a parser: what a one-thread decode of the first frame showed. */
	int probed, probe_width, probe_height, probe_format;
};

static int want_parser(uint32_t codec)
{
	return codec == DAEDALUS_CODEC_H264 || codec == DAEDALUS_CODEC_HEVC ||
	       codec == DAEDALUS_CODEC_MPEG2;
}

struct dd_backend *dd_backend_open(uint32_t codec, int threads, char *err, size_t errlen)
{
	const AVCodec *dec = dd_ffmpeg_find_decoder(codec);
	struct dd_backend *b;
	char why[128];
	int r;

	if (!dec) {
		snprintf(err, errlen, "libavcodec has no decoder for codec %u", codec);
		return NULL;
	}
	b = calloc(1, sizeof(*b));
	if (!b) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	b->codec = codec;
	b->avctx = dd_ff.avcodec_alloc_context3(dec);
	b->pkt = dd_ff.av_packet_alloc();
	b->frame = dd_ff.av_frame_alloc();
	if (want_parser(codec))
		b->parser = dd_ff.av_parser_init(dec->id);
	if (!b->avctx || !b->pkt || !b->frame || (want_parser(codec) && !b->parser)) {
		snprintf(err, errlen, "cannot set up %s: out of memory or no parser", dec->name);
		dd_backend_close(b);
		return NULL;
	}
	b->avctx->thread_count = threads;
	b->avctx->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;
	/* Timestamps are the V4L2 buffers' nanoseconds, passed through untouched. */
	b->avctx->pkt_timebase = (AVRational){ 1, 1000000000 };
	r = dd_ff.avcodec_open2(b->avctx, dec, NULL);
	if (r < 0) {
		dd_ff.av_strerror(r, why, sizeof(why));
		snprintf(err, errlen, "cannot open the %s decoder: %s", dec->name, why);
		dd_backend_close(b);
		return NULL;
	}
	return b;
}

/* Hands every frame the decoder has ready to emit. */
static int receive_all(struct dd_backend *b, dd_emit_fn emit, void *arg)
{
	for (;;) {
		int r = dd_ff.avcodec_receive_frame(b->avctx, b->frame);

		if (r == AVERROR(EAGAIN) || r == AVERROR_EOF)
			return 0;
		if (r < 0)
			return r;
		emit(arg, b->frame);
		dd_ff.av_frame_unref(b->frame);
	}
}

/* Sends one packet (NULL: end of stream), collecting frames as room is needed. */
static int send_packet(struct dd_backend *b, AVPacket *pkt, dd_emit_fn emit, void *arg)
{
	int r;

	for (;;) {
		r = dd_ff.avcodec_send_packet(b->avctx, pkt);
		if (r != AVERROR(EAGAIN))
			break;
		r = receive_all(b, emit, arg);
		if (r < 0)
			return r;
	}
	if (r < 0 && r != AVERROR_EOF)
		return r;
	return receive_all(b, emit, arg);
}

static void reset_parser(struct dd_backend *b)
{
	if (!b->parser)
		return;
	dd_ff.av_parser_close(b->parser);
	b->parser = dd_ff.av_parser_init(b->avctx->codec_id);
}

void dd_backend_reset(struct dd_backend *b)
{
	dd_ff.avcodec_flush_buffers(b->avctx);
	reset_parser(b);
}

/*
 * VP8, VP9 and AV1 have no parser that reports the frame size, and frame
 * threading holds the first frame back for a few buffers; clients want the
 * size after one (v4l2-compliance allows a second). A one-thread decoder
 * shows it at once: run the first frame through one, and keep only that.
 */
static void probe_first_frame(struct dd_backend *b, const uint8_t *data, size_t len)
{
	AVCodecContext *ctx = dd_ff.avcodec_alloc_context3(b->avctx->codec);
	AVPacket *pkt = dd_ff.av_packet_alloc();
	AVFrame *frame = dd_ff.av_frame_alloc();

	b->probed = 1;
	if (!ctx || !pkt || !frame)
		goto out;
	ctx->thread_count = 1;
	if (dd_ff.avcodec_open2(ctx, b->avctx->codec, NULL) < 0)
		goto out;
	pkt->data = (uint8_t *)data;
	pkt->size = (int)len;
	if (dd_ff.avcodec_send_packet(ctx, pkt) >= 0 &&
	    dd_ff.avcodec_receive_frame(ctx, frame) >= 0) {
		b->probe_width = frame->width;
		b->probe_height = frame->height;
		b->probe_format = frame->format;
	} else {
		b->probed = 0;	/* not a frame to start from: try the next buffer */
	}
out:
	dd_ff.av_frame_free(&frame);
	dd_ff.av_packet_free(&pkt);
	dd_ff.avcodec_free_context(&ctx);
}

int dd_backend_decode(struct dd_backend *b, const uint8_t *data, size_t len, int64_t pts,
		      dd_emit_fn emit, void *arg)
{
	int first_error = 0, r;

	if (!b->parser) {
		if (data && len && !b->probed)
			probe_first_frame(b, data, len);
		if (data) {
			b->pkt->data = (uint8_t *)data;
			b->pkt->size = (int)len;
			b->pkt->pts = pts;
			r = len ? send_packet(b, b->pkt, emit, arg) : 0;
			dd_ff.av_packet_unref(b->pkt);
			return r;
		}
		r = send_packet(b, NULL, emit, arg);
		dd_backend_reset(b);
		return r;
	}

	if (data && !len)
		return 0;
	/* A drain is a chunk of length 0 until the parser has nothing left. */
	for (;;) {
		uint8_t *out = NULL;
		int outlen = 0, used;

		used = dd_ff.av_parser_parse2(b->parser, b->avctx, &out, &outlen,
					      data, (int)len, pts, AV_NOPTS_VALUE, 0);
		if (used < 0)
			return used;
		if (data) {
			data += used;
			len -= (size_t)used;
		}
		if (outlen) {
			b->pkt->data = out;
			b->pkt->size = outlen;
			b->pkt->pts = b->parser->pts;
			b->pkt->flags = b->parser->key_frame == 1 ? AV_PKT_FLAG_KEY : 0;
			r = send_packet(b, b->pkt, emit, arg);
			dd_ff.av_packet_unref(b->pkt);
			if (r < 0 && !first_error)
				first_error = r;
		}
		if (data ? !len : !outlen)
			break;
	}
	if (!data) {
		r = send_packet(b, NULL, emit, arg);
		if (r < 0 && !first_error)
			first_error = r;
		dd_backend_reset(b);
	}
	return first_error;
}

int dd_backend_delay(const struct dd_backend *b)
{
	int threads = b->avctx->active_thread_type & FF_THREAD_FRAME ? b->avctx->thread_count : 1;

	return b->avctx->has_b_frames + threads - 1;
}

int dd_backend_peek(const struct dd_backend *b, int *width, int *height, int *format)
{
	if (!b->parser) {
		if (!b->probed || b->probe_width <= 0)
			return 0;
		*width = b->probe_width;
		*height = b->probe_height;
		*format = b->probe_format;
		return 1;
	}
	if (b->parser->width <= 0 || b->parser->height <= 0 || b->parser->format < 0)
		return 0;
	*width = b->parser->width;
	*height = b->parser->height;
	*format = b->parser->format;
	return 1;
}

void dd_backend_close(struct dd_backend *b)
{
	if (!b)
		return;
	if (b->parser)
		dd_ff.av_parser_close(b->parser);
	dd_ff.avcodec_free_context(&b->avctx);
	dd_ff.av_packet_free(&b->pkt);
	dd_ff.av_frame_free(&b->frame);
	free(b);
}
