/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Decode order from libavcodec; see backend-lavc-sl.h and
 * docs/stateless-design.md 4.1.
 *
 * Output order is useless here: H.264 and HEVC output a picture after the
 * ones it precedes in display order, VP8/VP9 never output hidden frames.
 * So pictures are taken where they are born: get_buffer2 keeps a reference
 * to each allocation (its pts already the packet's: libavcodec's
 * ff_get_buffer() copies the packet's properties into the frame before it
 * calls get_buffer2), and with slice threads only every allocation of an
 * access unit happens inside the calls that send and receive it (frame
 * threads would finish pictures after they returned).
 *
 * Our reference holds the pixels; the decoder's buf[0] is swapped for a
 * wrapper of its own, whose free callback tells exactly when libavcodec
 * (its DPB, its outputs) no longer holds the picture: it is then no
 * reference frame any more.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/daedalus-v4l2.h>

#include "backend-lavc-sl.h"

/* Pictures whose release can be asked about: more than any DPB holds. */
#define DD_SL_HISTORY 64

/* Which allocation of an access unit is its picture. */
enum sl_pick {
	PICK_LAST,	/* H.264: frame_num gap fillers are allocated first */
	PICK_FIRST,	/* HEVC, MPEG-2: missing-reference and dummy pictures come after */
	PICK_ONLY,	/* VP8, VP9: one frame per unit, anything else is an error */
};

/* One allocation, alive while listed or while libavcodec holds the wrapper. */
struct sl_pic {
	struct dd_sl_backend *b;
	AVBufferRef *inner;	/* the pool's buf[0], owned by the wrapper */
	int64_t pts;		/* the access unit's */
	int released;		/* the wrapper was freed */
	int listed;		/* the current picture, or in the history */
};

struct dd_sl_backend {
	AVCodecContext *avctx;
	AVPacket *pkt;
	AVFrame *out;		/* receive_frame's target, unreffed unused */
	enum sl_pick pick;
	uint8_t *buf;		/* the unit, with FFmpeg's zeroed padding */
	size_t cap;

	/* During one decode: allocations so far, the chosen one and our reference to it. */
	int nalloc;
	struct sl_pic *cur;
	AVFrame *picture;

	struct sl_pic *history[DD_SL_HISTORY];
	unsigned int nhistory;	/* written, the newest at (nhistory - 1) % DD_SL_HISTORY */

	/* Wrappers may be freed from whichever thread unrefs the last frame. */
	pthread_mutex_t lock;
	int live;		/* wrappers not yet freed */
};

static void pic_unlist(struct dd_sl_backend *b, struct sl_pic *p)
{
	int gone;

	pthread_mutex_lock(&b->lock);
	p->listed = 0;
	gone = p->released;
	pthread_mutex_unlock(&b->lock);
	if (gone)
		free(p);
}

static void wrapper_free(void *opaque, uint8_t *data)
{
	struct sl_pic *p = opaque;
	struct dd_sl_backend *b = p->b;
	int gone;

	(void)data;
	dd_ff.av_buffer_unref(&p->inner);
	pthread_mutex_lock(&b->lock);
	p->released = 1;
	b->live--;
	gone = !p->listed;
	pthread_mutex_unlock(&b->lock);
	if (gone)
		free(p);
}

/* Drops the current picture; unlisted unless it went into the history. */
static void drop_current(struct dd_sl_backend *b)
{
	dd_ff.av_frame_unref(b->picture);
	if (b->cur)
		pic_unlist(b, b->cur);
	b->cur = NULL;
}

static int get_buffer(AVCodecContext *avctx, AVFrame *frame, int flags)
{
	struct dd_sl_backend *b = avctx->opaque;
	struct sl_pic *p;
	AVBufferRef *w;
	int keep, r;

	r = dd_ff.avcodec_default_get_buffer2(avctx, frame, flags);
	if (r < 0)
		return r;
	p = calloc(1, sizeof(*p));
	if (!p)
		goto nomem;
	p->b = b;
	p->inner = frame->buf[0];
	keep = b->pick == PICK_LAST || b->nalloc == 0;
	if (keep) {
		drop_current(b);
		/* Before the swap: our reference must not keep the wrapper alive. */
		if (dd_ff.av_frame_ref(b->picture, frame) < 0) {
			free(p);
			goto nomem;
		}
		p->listed = 1;
		b->cur = p;
	}
	w = dd_ff.av_buffer_create(p->inner->data, p->inner->size, wrapper_free, p, 0);
	if (!w) {
		if (keep) {
			dd_ff.av_frame_unref(b->picture);
			b->cur = NULL;
		}
		free(p);
		goto nomem;
	}
	frame->buf[0] = w;
	pthread_mutex_lock(&b->lock);
	b->live++;
	pthread_mutex_unlock(&b->lock);
	b->nalloc++;
	return 0;
nomem:
	dd_ff.av_frame_unref(frame);
	return AVERROR(ENOMEM);
}

static int pick_for(uint32_t codec, enum sl_pick *pick)
{
	switch (codec) {
	case DAEDALUS_CODEC_H264: *pick = PICK_LAST; return 0;
	case DAEDALUS_CODEC_HEVC:
	case DAEDALUS_CODEC_MPEG2: *pick = PICK_FIRST; return 0;
	case DAEDALUS_CODEC_VP8:
	case DAEDALUS_CODEC_VP9: *pick = PICK_ONLY; return 0;
	default: return -1;
	}
}

struct dd_sl_backend *dd_sl_open(uint32_t codec, int threads, char *err, size_t errlen)
{
	const AVCodec *dec;
	struct dd_sl_backend *b;
	enum sl_pick pick;
	char why[128];
	int r;

	if (pick_for(codec, &pick) || !(dec = dd_ffmpeg_find_decoder(codec))) {
		snprintf(err, errlen, "no libavcodec decode-order decoder for codec %u", codec);
		return NULL;
	}
	b = calloc(1, sizeof(*b));
	if (!b || pthread_mutex_init(&b->lock, NULL)) {
		free(b);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	b->pick = pick;
	b->avctx = dd_ff.avcodec_alloc_context3(dec);
	b->pkt = dd_ff.av_packet_alloc();
	b->out = dd_ff.av_frame_alloc();
	b->picture = dd_ff.av_frame_alloc();
	if (!b->avctx || !b->pkt || !b->out || !b->picture) {
		snprintf(err, errlen, "cannot set up %s: out of memory", dec->name);
		dd_sl_close(b);
		return NULL;
	}
	b->avctx->opaque = b;
	b->avctx->get_buffer2 = get_buffer;
	b->avctx->thread_count = threads;
	/* Frame threads would finish pictures after the call that sent them returned. */
	b->avctx->thread_type = FF_THREAD_SLICE;
	r = dd_ff.avcodec_open2(b->avctx, dec, NULL);
	if (r < 0) {
		dd_ff.av_strerror(r, why, sizeof(why));
		snprintf(err, errlen, "cannot open the %s decoder: %s", dec->name, why);
		dd_sl_close(b);
		return NULL;
	}
	return b;
}

/*
 * Takes every frame out: FFmpeg 5.1 decodes no further while one is
 * buffered, and a packet split inside libavcodec (a VP9 superframe)
 * decodes its later frames only here. The frames themselves are not needed.
 */
static int receive_all(struct dd_sl_backend *b)
{
	for (;;) {
		int r = dd_ff.avcodec_receive_frame(b->avctx, b->out);

		if (r == AVERROR(EAGAIN) || r == AVERROR_EOF)
			return 0;
		if (r < 0)
			return r;
		dd_ff.av_frame_unref(b->out);
	}
}

static void history_add(struct dd_sl_backend *b, struct sl_pic *p)
{
	unsigned int i = b->nhistory++ % DD_SL_HISTORY;

	if (b->nhistory > DD_SL_HISTORY)
		pic_unlist(b, b->history[i]);
	b->history[i] = p;
}

int dd_sl_decode(struct dd_sl_backend *b, const uint8_t *data, size_t len, int64_t pts,
		 const AVFrame **picture)
{
	size_t need = len + AV_INPUT_BUFFER_PADDING_SIZE;
	int r;

	*picture = NULL;
	/* The previous picture is in the history (or was unlisted): just our pixels go. */
	dd_ff.av_frame_unref(b->picture);
	b->cur = NULL;
	b->nalloc = 0;
	if (!len || len > INT_MAX - AV_INPUT_BUFFER_PADDING_SIZE)
		return AVERROR(EINVAL);
	if (need > b->cap) {
		uint8_t *p = realloc(b->buf, need);

		if (!p)
			return AVERROR(ENOMEM);
		b->buf = p;
		b->cap = need;
	}
	memcpy(b->buf, data, len);
	memset(b->buf + len, 0, AV_INPUT_BUFFER_PADDING_SIZE);
	b->pkt->data = b->buf;
	b->pkt->size = (int)len;
	b->pkt->pts = pts;
	b->pkt->dts = AV_NOPTS_VALUE;

	r = dd_ff.avcodec_send_packet(b->avctx, b->pkt);
	if (r == AVERROR(EAGAIN)) {
		/* Not expected (every frame was taken out before): make room once. */
		r = receive_all(b);
		if (r >= 0)
			r = dd_ff.avcodec_send_packet(b->avctx, b->pkt);
	}
	if (r >= 0)
		r = receive_all(b);
	dd_ff.av_packet_unref(b->pkt);
	if (r >= 0 && !b->nalloc)
		r = AVERROR(ENODATA);
	if (r >= 0 && b->pick == PICK_ONLY && b->nalloc > 1)
		r = AVERROR(EPROTO);
	if (r < 0) {
		drop_current(b);
		return r;
	}
	b->cur->pts = pts;
	history_add(b, b->cur);
	*picture = b->picture;
	return 0;
}

int dd_sl_released(const struct dd_sl_backend *b, int64_t pts)
{
	unsigned int n = b->nhistory < DD_SL_HISTORY ? b->nhistory : DD_SL_HISTORY;
	int r = -ENOENT;

	pthread_mutex_lock((pthread_mutex_t *)&b->lock);
	for (unsigned int k = 1; k <= n; k++) {
		const struct sl_pic *p = b->history[(b->nhistory - k) % DD_SL_HISTORY];

		if (p->pts == pts) {
			r = p->released;
			break;
		}
	}
	pthread_mutex_unlock((pthread_mutex_t *)&b->lock);
	return r;
}

int dd_sl_allocations(const struct dd_sl_backend *b)
{
	return b->nalloc;
}

int dd_sl_held(const struct dd_sl_backend *b)
{
	int n;

	pthread_mutex_lock((pthread_mutex_t *)&b->lock);
	n = b->live;
	pthread_mutex_unlock((pthread_mutex_t *)&b->lock);
	return n;
}

void dd_sl_reset(struct dd_sl_backend *b)
{
	dd_ff.av_frame_unref(b->picture);
	b->cur = NULL;
	dd_ff.avcodec_flush_buffers(b->avctx);
}

void dd_sl_close(struct dd_sl_backend *b)
{
	unsigned int n;

	if (!b)
		return;
	if (b->picture)
		dd_ff.av_frame_unref(b->picture);
	b->cur = NULL;
	/* Frees every picture libavcodec holds, so every wrapper, before the list goes. */
	dd_ff.avcodec_free_context(&b->avctx);
	n = b->nhistory < DD_SL_HISTORY ? b->nhistory : DD_SL_HISTORY;
	for (unsigned int i = 0; i < n; i++)
		pic_unlist(b, b->history[i]);
	b->nhistory = 0;
	dd_ff.av_packet_free(&b->pkt);
	dd_ff.av_frame_free(&b->out);
	dd_ff.av_frame_free(&b->picture);
	free(b->buf);
	b->buf = NULL;
	/* A wrapper still alive would call back into b: keep b rather than risk that. */
	if (dd_sl_held(b))
		return;
	pthread_mutex_destroy(&b->lock);
	free(b);
}
