/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The libavcodec backend: libavcodec's parser splits the byte stream into
 * frames for the start-code formats (H.264, HEVC, MPEG-2), so a buffer may
 * hold any chunk of it; VP8, VP9 and AV1 arrive one frame per buffer and go
 * to the decoder as they are. Frame threading is on.
 *
 * A drain (DECODER_CMD STOP) must get every frame out, which libavcodec
 * does only by ending the stream; decoding then starts again with no
 * reference frames. Yet after START the client goes on with the same
 * stream (dev-decoder.rst, Drain), mid-GOP. So the packets sent since the
 * last keyframe are kept, and after a drain they go through the decoder
 * again, marked, before the next chunk; their frames, already delivered,
 * are dropped.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/daedalus-v4l2.h>

#include "backend.h"

/* Chunks remembered for timestamps: more than a frame can span at once. */
#define DD_CHUNK_STARTS 64

/*
 * What the replay log may hold; past it (a stream with keyframes too far
 * apart, or none) a drain loses the references, as it would with no log.
 */
#define DD_REPLAY_MAX_PACKETS 600
#define DD_REPLAY_MAX_BYTES (64u << 20)

/* The pts of replayed packets: their frames were delivered before the drain. */
#define DD_REPLAY_PTS (INT64_MIN + 1)

struct replay_packet {
	uint8_t *data;
	int size;
	int64_t pts;
};

struct dd_backend {
	AVCodecContext *avctx;
	AVCodecParserContext *parser;	/* NULL for one-frame-per-buffer codecs */
	AVPacket *pkt;
	AVFrame *frame;
	uint32_t codec;
	/*
	 * What the first chunk showed at once: a one-thread decode of it
	 * without a parser, a parse of it on its own (as if the stream ended
	 * there) with one.
	 */
	int probed, probe_width, probe_height, probe_format;

	/*
	 * The chunk dd_backend_load() copied out of the client's buffer, with
	 * the zeroed tail FFmpeg may read past its end (the client's buffer
	 * can end right there). With a parser, also where the recent chunks
	 * began in the byte stream, so that every frame gets the pts of the
	 * chunk it started in (dev-decoder.rst); the parser itself gives that
	 * pts to the first such frame only.
	 */
	uint8_t *chunk;
	size_t chunk_cap, chunk_len;
	struct { int64_t offset, pts; } starts[DD_CHUNK_STARTS];
	unsigned int nstarts;	/* entries written, the newest at (nstarts - 1) % DD_CHUNK_STARTS */
	int64_t stream_offset;

	/* The end-of-stream scan across chunks: the last two bytes seen, a NAL header due. */
	uint8_t tail[2];
	size_t seen;
	int header_due;

	/*
	 * The packets sent since the last keyframe that came out, in decode
	 * order; broken once it overflowed, until a keyframe's packet is in it
	 * again. replay_due: a drain flushed the decoder; replay before the
	 * next chunk.
	 */
	struct replay_packet *log;
	unsigned int nlog;
	size_t log_bytes;
	int log_broken, replay_due;
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
	/*
	 * An H.264 stream whose SPS does not say how deep its pictures reorder
	 * (no VUI bitstream_restriction) gets the depth the standard infers,
	 * its level's DPB size, instead of libavcodec's guess, which grows
	 * only once a picture came out of order and drops that picture (the
	 * ffmpeg command line avoids it by decoding ahead in its probe; a
	 * decoder node cannot). Costs latency on such streams only.
	 */
	if (codec == DAEDALUS_CODEC_H264)
		b->avctx->strict_std_compliance = FF_COMPLIANCE_STRICT;
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

static void log_clear(struct dd_backend *b)
{
	for (unsigned int i = 0; i < b->nlog; i++)
		free(b->log[i].data);
	b->nlog = 0;
	b->log_bytes = 0;
}

/* Drops the first @n packets of the log. */
static void log_drop_head(struct dd_backend *b, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		b->log_bytes -= (size_t)b->log[i].size;
		free(b->log[i].data);
	}
	memmove(b->log, b->log + n, (b->nlog - n) * sizeof(*b->log));
	b->nlog -= n;
}

/* Keeps a copy of a packet about to be sent; on overflow the log breaks. */
static void log_packet(struct dd_backend *b, const AVPacket *pkt)
{
	struct replay_packet *e;

	if (!b->log) {
		b->log = calloc(DD_REPLAY_MAX_PACKETS, sizeof(*b->log));
		if (!b->log) {
			b->log_broken = 1;
			return;
		}
	}
	if (b->nlog == DD_REPLAY_MAX_PACKETS ||
	    b->log_bytes + (size_t)pkt->size > DD_REPLAY_MAX_BYTES) {
		log_clear(b);
		b->log_broken = 1;
	}
	e = &b->log[b->nlog];
	e->data = malloc((size_t)pkt->size + AV_INPUT_BUFFER_PADDING_SIZE);
	if (!e->data) {
		log_clear(b);
		b->log_broken = 1;
		return;
	}
	memcpy(e->data, pkt->data, (size_t)pkt->size);
	memset(e->data + pkt->size, 0, AV_INPUT_BUFFER_PADDING_SIZE);
	e->size = pkt->size;
	e->pts = pkt->pts;
	b->nlog++;
	b->log_bytes += (size_t)pkt->size;
}

/*
 * A keyframe came out: nothing sent before its packet is needed again. Its
 * packet is the oldest one logged with its pts (chunks of the byte stream
 * may give several packets one pts: keeping more is harmless).
 */
static void log_keyframe(struct dd_backend *b, int64_t pts)
{
	for (unsigned int i = 0; i < b->nlog; i++) {
		if (b->log[i].pts == pts) {
			log_drop_head(b, i);
			b->log_broken = 0;
			return;
		}
	}
}

/* Hands every frame the decoder has ready to emit; a replayed packet's frame is dropped. */
static int receive_all(struct dd_backend *b, dd_emit_fn emit, void *arg)
{
	for (;;) {
		int r = dd_ff.avcodec_receive_frame(b->avctx, b->frame);

		if (r == AVERROR(EAGAIN) || r == AVERROR_EOF)
			return 0;
		if (r < 0)
			return r;
		if (b->frame->pts != DD_REPLAY_PTS) {
			if (dd_frame_is_key(b->frame) && b->frame->pts != AV_NOPTS_VALUE)
				log_keyframe(b, b->frame->pts);
			emit(arg, b->frame);
		}
		dd_ff.av_frame_unref(b->frame);
	}
}

/* Sends one packet (NULL: end of stream), collecting frames as room is needed. */
static int send_packet(struct dd_backend *b, AVPacket *pkt, dd_emit_fn emit, void *arg)
{
	int r;

	if (pkt && pkt->pts != DD_REPLAY_PTS)
		log_packet(b, pkt);
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
	b->nstarts = 0;
	b->stream_offset = 0;
	b->seen = 0;
	b->header_due = 0;
	if (!b->parser)
		return;
	dd_ff.av_parser_close(b->parser);
	b->parser = dd_ff.av_parser_init(b->avctx->codec_id);
}

int dd_backend_load(struct dd_backend *b, const uint8_t *data, size_t len)
{
	size_t need = len + AV_INPUT_BUFFER_PADDING_SIZE;

	if (len > INT_MAX - AV_INPUT_BUFFER_PADDING_SIZE)
		return AVERROR(EINVAL);
	if (need > b->chunk_cap) {
		uint8_t *p = realloc(b->chunk, need);

		if (!p)
			return AVERROR(ENOMEM);
		b->chunk = p;
		b->chunk_cap = need;
	}
	memcpy(b->chunk, data, len);
	memset(b->chunk + len, 0, AV_INPUT_BUFFER_PADDING_SIZE);
	b->chunk_len = len;
	return 0;
}

static void note_chunk(struct dd_backend *b, size_t len, int64_t pts)
{
	unsigned int i = b->nstarts++ % DD_CHUNK_STARTS;

	b->starts[i].offset = b->stream_offset;
	b->starts[i].pts = pts;
	b->stream_offset += (int64_t)len;
}

/* The pts of the chunk holding byte offset of the stream. */
static int64_t pts_at(const struct dd_backend *b, int64_t offset)
{
	unsigned int n = b->nstarts < DD_CHUNK_STARTS ? b->nstarts : DD_CHUNK_STARTS;

	for (unsigned int k = 1; k <= n; k++) {
		unsigned int i = (b->nstarts - k) % DD_CHUNK_STARTS;

		if (b->starts[i].offset <= offset)
			return b->starts[i].pts;
	}
	return AV_NOPTS_VALUE;
}

static int ends_stream(uint32_t codec, uint8_t nal_header)
{
	if (codec == DAEDALUS_CODEC_H264)
		return (nal_header & 0x1f) == 11;
	return ((nal_header >> 1) & 0x3f) == 37;
}

/*
 * A hand-written scan: libavcodec's parsers skip these NAL units without
 * telling. Start codes (00 00 01) never occur inside a NAL unit, so every
 * 01 byte after two zeros starts one; memchr keeps the scan cheap.
 */
int dd_backend_end_of_stream(struct dd_backend *b)
{
	const uint8_t *data = b->chunk, *p = data, *end = data + b->chunk_len;
	size_t len = b->chunk_len;
	int found = 0;

	if (b->codec != DAEDALUS_CODEC_H264 && b->codec != DAEDALUS_CODEC_HEVC)
		return 0;
	if (!len)
		return 0;
	if (b->header_due) {
		b->header_due = 0;
		found = ends_stream(b->codec, data[0]);
	}
	while (!found && (p = memchr(p, 1, (size_t)(end - p)))) {
		size_t i = (size_t)(p - data);
		/* The two bytes before it, from the previous chunk if need be. */
		uint8_t z1 = i >= 1 ? data[i - 1] : b->tail[1];
		uint8_t z2 = i >= 2 ? data[i - 2] : i == 1 ? b->tail[1] : b->tail[0];

		if (z1 == 0 && z2 == 0 && (i >= 2 || b->seen + i >= 2)) {
			if (p + 1 < end)
				found = ends_stream(b->codec, p[1]);
			else
				b->header_due = 1;
		}
		p++;
	}
	b->tail[0] = len >= 2 ? data[len - 2] : b->tail[1];
	b->tail[1] = data[len - 1];
	b->seen += len;
	return found;
}

void dd_backend_reset(struct dd_backend *b)
{
	dd_ff.avcodec_flush_buffers(b->avctx);
	reset_parser(b);
	log_clear(b);
	b->log_broken = 0;
	b->replay_due = 0;
}

/* After a drain: ready for more of the same stream, its references to be replayed. */
static void reset_for_replay(struct dd_backend *b)
{
	dd_ff.avcodec_flush_buffers(b->avctx);
	reset_parser(b);
	b->replay_due = !b->log_broken && b->nlog;
}

/* The packets since the last keyframe through the decoder again; their frames are dropped. */
static void replay(struct dd_backend *b, dd_emit_fn emit, void *arg)
{
	b->replay_due = 0;
	for (unsigned int i = 0; i < b->nlog; i++) {
		b->pkt->data = b->log[i].data;
		b->pkt->size = b->log[i].size;
		b->pkt->pts = DD_REPLAY_PTS;
		/* A damaged packet decodes as badly as the first time: nothing to report. */
		send_packet(b, b->pkt, emit, arg);
		dd_ff.av_packet_unref(b->pkt);
	}
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

/*
 * The parser completes a frame only when it sees where the next one starts,
 * so the stream's size would come one buffer late, after the client may
 * have given up waiting (v4l2-ctl waits 0.5 s once its input has run out).
 * A throwaway parser, flushed right after the first chunk, knows it now.
 */
static void probe_first_chunk(struct dd_backend *b, const uint8_t *data, size_t len)
{
	AVCodecParserContext *p = dd_ff.av_parser_init(b->avctx->codec_id);
	AVCodecContext *ctx = dd_ff.avcodec_alloc_context3(b->avctx->codec);
	uint8_t *out;
	int outlen;

	if (p && ctx) {
		while (len) {
			int used = dd_ff.av_parser_parse2(p, ctx, &out, &outlen, data, (int)len,
							  AV_NOPTS_VALUE, AV_NOPTS_VALUE, 0);

			if (used <= 0)
				break;
			data += used;
			len -= (size_t)used;
		}
		dd_ff.av_parser_parse2(p, ctx, &out, &outlen, NULL, 0, AV_NOPTS_VALUE,
				       AV_NOPTS_VALUE, 0);
		if (p->width > 0 && p->height > 0 && p->format >= 0) {
			b->probed = 1;
			b->probe_width = p->width;
			b->probe_height = p->height;
			b->probe_format = p->format;
		}
	}
	if (p)
		dd_ff.av_parser_close(p);
	dd_ff.avcodec_free_context(&ctx);
}

void dd_backend_probe(struct dd_backend *b)
{
	if (b->probed || !b->chunk_len)
		return;
	if (!b->parser)
		probe_first_frame(b, b->chunk, b->chunk_len);
	else
		probe_first_chunk(b, b->chunk, b->chunk_len);
}

/* The loaded chunk through the parser (data NULL: what the parser holds back), packet by packet. */
static int parse_and_send(struct dd_backend *b, const uint8_t *data, size_t len, int64_t pts,
			  dd_emit_fn emit, void *arg)
{
	int first_error = 0, r;

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
			b->pkt->pts = pts_at(b, b->parser->frame_offset);
			b->pkt->flags = b->parser->key_frame == 1 ? AV_PKT_FLAG_KEY : 0;
			r = send_packet(b, b->pkt, emit, arg);
			dd_ff.av_packet_unref(b->pkt);
			if (r < 0 && !first_error)
				first_error = r;
		}
		/* A drain is a chunk of length 0 until the parser has nothing left. */
		if (data ? !len : !outlen)
			break;
	}
	return first_error;
}

int dd_backend_decode(struct dd_backend *b, int64_t pts, dd_emit_fn emit, void *arg)
{
	size_t len = b->chunk_len;
	int r;

	if (!len)
		return 0;
	b->chunk_len = 0;
	if (b->replay_due)
		replay(b, emit, arg);
	if (!b->parser) {
		b->pkt->data = b->chunk;
		b->pkt->size = (int)len;
		b->pkt->pts = pts;
		r = send_packet(b, b->pkt, emit, arg);
		dd_ff.av_packet_unref(b->pkt);
		return r;
	}
	note_chunk(b, len, pts);
	return parse_and_send(b, b->chunk, len, pts, emit, arg);
}

int dd_backend_drain(struct dd_backend *b, dd_emit_fn emit, void *arg)
{
	int first_error = 0, r;

	b->chunk_len = 0;
	if (b->parser)
		first_error = parse_and_send(b, NULL, 0, 0, emit, arg);
	r = send_packet(b, NULL, emit, arg);
	if (r < 0 && !first_error)
		first_error = r;
	reset_for_replay(b);
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
	if (b->parser->width <= 0 || b->parser->height <= 0 || b->parser->format < 0) {
		if (!b->probed)
			return 0;
		*width = b->probe_width;
		*height = b->probe_height;
		*format = b->probe_format;
		return 1;
	}
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
	log_clear(b);
	free(b->log);
	free(b->chunk);
	dd_ff.avcodec_free_context(&b->avctx);
	dd_ff.av_packet_free(&b->pkt);
	dd_ff.av_frame_free(&b->frame);
	free(b);
}
