/* SPDX-License-Identifier: BSD-2-Clause */
/* A decoding context's worker thread: see decoder.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/daedalus-v4l2.h>
#include <linux/dma-buf.h>
#include <linux/videodev2.h>

#include "backend.h"
#include "bridge-msg.h"
#include "bufmap.h"
#include "convert.h"
#include "decoder.h"

/* vb2 never has more buffers per queue. */
#define DD_MAX_BUFFERS		64
/* Frame buffers are laid out in whole macroblocks, as the kernel rounds them. */
#define DD_ALIGN(x)		(((x) + DAEDALUS_FRAME_ALIGN - 1u) & ~(DAEDALUS_FRAME_ALIGN - 1u))

enum cmd_type { CMD_JOB, CMD_DRAIN, CMD_STOP_OUTPUT, CMD_RESTART };

struct cmd {
	struct cmd *next;
	enum cmd_type type;
	uint32_t tag, index, bytesused, data_offset, codec, flags, memory;
	int64_t timestamp;
	uint32_t out_gen;	/* the OUTPUT generation it was queued in */
};

struct capbuf {
	uint32_t tag, index, pixfmt, width, height, bytesperline, size, memory;
};

/* What the kernel was last told of the stream (STREAM_INFO). */
struct stream_info {
	uint32_t width, height, visible_width, visible_height, depth;
	enum AVPixelFormat format;
	int colorspace, xfer, ycbcr, quant;
};

struct frame_node {
	struct frame_node *next;
	AVFrame *frame;
};

struct dd_decoder {
	uint32_t ctx_id;
	int threads, bridge_fd, notify_fd;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;

	/* Under lock. */
	struct cmd *head, **tail;
	struct capbuf pool[DD_MAX_BUFFERS];
	unsigned int npool;
	uint32_t out_gen;	/* bumped by a STOP of OUTPUT, at once */
	uint32_t cap_gen;	/* bumped by a STOP of CAPTURE, at once */
	bool await_cap_stop;	/* STREAM_INFO sent; the kernel's STOP of CAPTURE is due */
	bool closing;

	/* The worker's own. */
	uint32_t codec;
	struct dd_backend *backend;
	bool failed;		/* an ERROR was sent; wait for a restart */
	struct dd_bufmap maps[2][DD_MAX_BUFFERS];
	struct frame_node *frames, **frames_tail;
	unsigned int nframes;
	struct stream_info info;
	bool info_sent;
	struct dd_convert convert;
	/*
	 * While a JOB decodes: its OUTPUT generation, for frames delivered
	 * as they come out (deliver_ready()); 0 otherwise.
	 */
	uint32_t early_gen;
	bool early;
};

/* What became of a frame offered to the client's frame buffers. */
enum delivery {
	DELIVERED,
	NO_BUFFER,	/* none free now (only when not waiting for one) */
	CUT_SHORT,	/* a seek, a close or an error: the frame goes */
};

/*
 * Messages to the kernel, written by the worker itself (bridge-msg.h): the
 * kernel checks every field of each, so a trip through the event loop would
 * only add latency to every frame. STREAM_INFO and ERROR are also copied to
 * the event loop, which logs them.
 */

static void send_job_done(struct dd_decoder *d, uint32_t tag, uint32_t index, uint32_t flags)
{
	dd_msg_job_done(d->bridge_fd, d->ctx_id, tag, index, flags);
}

static void send_frame(struct dd_decoder *d, const struct capbuf *cb, uint32_t bytesused,
		       uint32_t flags, int64_t timestamp)
{
	dd_msg_frame(d->bridge_fd, d->ctx_id, cb->tag, cb->index, bytesused, flags, timestamp);
}

static void __attribute__((format(printf, 3, 4)))
send_error(struct dd_decoder *d, uint32_t code, const char *fmt, ...)
{
	char text[DAEDALUS_ERROR_TEXT_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	dd_msg_error(d->bridge_fd, d->notify_fd, d->ctx_id, code, text);
	d->failed = true;
}

/*
 * FFmpeg's colour description in V4L2's terms; unknown values become
 * defaults. f may be NULL before any frame: all is unknown then.
 */
static void colorimetry(struct stream_info *si, int height, enum AVPixelFormat format,
			const AVFrame *f)
{
	enum AVColorPrimaries primaries = f ? f->color_primaries : AVCOL_PRI_UNSPECIFIED;
	enum AVColorTransferCharacteristic trc = f ? f->color_trc : AVCOL_TRC_UNSPECIFIED;
	enum AVColorSpace space = f ? f->colorspace : AVCOL_SPC_UNSPECIFIED;
	enum AVColorRange range = f ? f->color_range : AVCOL_RANGE_UNSPECIFIED;

	switch (primaries) {
	case AVCOL_PRI_BT2020:
		si->colorspace = V4L2_COLORSPACE_BT2020;
		break;
	case AVCOL_PRI_BT470BG:
	case AVCOL_PRI_SMPTE170M:
		si->colorspace = V4L2_COLORSPACE_SMPTE170M;
		break;
	case AVCOL_PRI_BT709:
		si->colorspace = V4L2_COLORSPACE_REC709;
		break;
	default:
		/* What V4L2 assumes for unlabelled video: SDTV vs HDTV by size. */
		si->colorspace = height > 576 ? V4L2_COLORSPACE_REC709 : V4L2_COLORSPACE_SMPTE170M;
	}
	switch (trc) {
	case AVCOL_TRC_BT709:
		si->xfer = V4L2_XFER_FUNC_709;
		break;
	case AVCOL_TRC_SMPTE2084:
		si->xfer = V4L2_XFER_FUNC_SMPTE2084;
		break;
	default:
		si->xfer = V4L2_XFER_FUNC_DEFAULT;
	}
	switch (space) {
	case AVCOL_SPC_BT709:
		si->ycbcr = V4L2_YCBCR_ENC_709;
		break;
	case AVCOL_SPC_BT470BG:
	case AVCOL_SPC_SMPTE170M:
		si->ycbcr = V4L2_YCBCR_ENC_601;
		break;
	case AVCOL_SPC_BT2020_NCL:
		si->ycbcr = V4L2_YCBCR_ENC_BT2020;
		break;
	default:
		si->ycbcr = V4L2_YCBCR_ENC_DEFAULT;
	}
	si->quant = range == AVCOL_RANGE_JPEG || format == AV_PIX_FMT_YUVJ420P
		    ? V4L2_QUANTIZATION_FULL_RANGE : V4L2_QUANTIZATION_LIM_RANGE;
}

static bool info_equal(const struct stream_info *a, const struct stream_info *b)
{
	return a->width == b->width && a->height == b->height &&
	       a->visible_width == b->visible_width && a->visible_height == b->visible_height &&
	       a->depth == b->depth;
}

/* Tells the kernel what the stream is, once and whenever that changes. */
static void send_stream_info(struct dd_decoder *d, const struct stream_info *si)
{
	struct daedalus_msg_stream_info m = {
		.width = si->width,
		.height = si->height,
		.visible_width = si->visible_width,
		.visible_height = si->visible_height,
		.pixfmt = si->depth > 8 ? DAEDALUS_PIXFMT_P010 : DAEDALUS_PIXFMT_NV12,
		.bit_depth = si->depth,
		.colorspace = (uint32_t)si->colorspace,
		.xfer_func = (uint32_t)si->xfer,
		.ycbcr_enc = (uint32_t)si->ycbcr,
		.quantization = (uint32_t)si->quant,
	};
	int min = dd_backend_delay(d->backend) + 2;

	/* Enough frame buffers that the decoder never waits on the client's last few. */
	m.min_buffers = (uint32_t)(min < 2 ? 2 : min > DAEDALUS_MAX_MIN_BUFFERS ? DAEDALUS_MAX_MIN_BUFFERS : min);
	dd_msg_hdr(&m.hdr, DAEDALUS_MSG_STREAM_INFO, sizeof(m), d->ctx_id);
	/* The kernel takes every frame buffer back in answer: none is ours until then. */
	pthread_mutex_lock(&d->lock);
	d->npool = 0;
	d->await_cap_stop = true;
	pthread_mutex_unlock(&d->lock);
	dd_msg_send(d->bridge_fd, &m, sizeof(m));
	dd_msg_notify(d->notify_fd, &m, sizeof(m));
	d->info = *si;
	d->info_sent = true;
}

/* Returns false (after an ERROR to the kernel) for a stream no layout carries. */
static bool stream_info_of(struct dd_decoder *d, int width, int height, enum AVPixelFormat f,
			   const AVFrame *frame, struct stream_info *si)
{
	int depth = dd_convert_depth(f);

	if (!depth) {
		const char *name = dd_ff.av_get_pix_fmt_name(f);

		send_error(d, DAEDALUS_ERR_UNSUPPORTED,
			   "frames in %s: only 4:2:0 or monochrome at 8 or 10 bits can be delivered",
			   name ? name : "an unknown format");
		return false;
	}
	if (width < DAEDALUS_MIN_DIMENSION || height < DAEDALUS_MIN_DIMENSION) {
		send_error(d, DAEDALUS_ERR_UNSUPPORTED, "frame size %dx%d is too small",
			   width, height);
		return false;
	}
	memset(si, 0, sizeof(*si));
	si->width = DD_ALIGN((uint32_t)width);
	si->height = DD_ALIGN((uint32_t)height);
	si->visible_width = (uint32_t)width;
	si->visible_height = (uint32_t)height;
	si->depth = (uint32_t)depth;
	si->format = f;
	colorimetry(si, height, f, frame);
	return true;
}

static void drop_frames(struct dd_decoder *d)
{
	while (d->frames) {
		struct frame_node *n = d->frames;

		d->frames = n->next;
		dd_ff.av_frame_free(&n->frame);
		free(n);
	}
	d->frames_tail = &d->frames;
	d->nframes = 0;
}

static void unmap_queue(struct dd_decoder *d, uint32_t queue)
{
	for (int i = 0; i < DD_MAX_BUFFERS; i++)
		dd_bufmap_close(&d->maps[queue][i]);
}

static bool capbuf_fits(const struct dd_decoder *d, const struct capbuf *cb)
{
	bool ten = d->info.depth > 8;

	return cb->width == d->info.width && cb->height == d->info.height &&
	       (cb->pixfmt == DAEDALUS_PIXFMT_P010) == ten &&
	       cb->size >= dd_convert_size(cb->pixfmt, cb->bytesperline, cb->height);
}

/*
 * A frame buffer (one laid out for the stream, or any for an empty LAST),
 * waited for if wait. Returns DELIVERED with it, NO_BUFFER if none is free
 * and not wait, CUT_SHORT if a STOP of OUTPUT queued after gen or a close
 * came first.
 */
static enum delivery take_capbuf(struct dd_decoder *d, uint32_t gen, bool any, bool wait,
				 struct capbuf *out, uint32_t *cap_gen)
{
	enum delivery r = CUT_SHORT;

	pthread_mutex_lock(&d->lock);
	for (;;) {
		unsigned int i;

		if (d->closing || d->out_gen != gen)
			break;
		for (i = 0; i < d->npool && !d->await_cap_stop; i++)
			if (any || capbuf_fits(d, &d->pool[i]))
				break;
		if (i < d->npool && !d->await_cap_stop) {
			*out = d->pool[i];
			*cap_gen = d->cap_gen;
			memmove(&d->pool[i], &d->pool[i + 1], (d->npool - i - 1) * sizeof(*d->pool));
			d->npool--;
			r = DELIVERED;
			break;
		}
		if (!wait) {
			r = NO_BUFFER;
			break;
		}
		pthread_cond_wait(&d->cond, &d->lock);
	}
	pthread_mutex_unlock(&d->lock);
	return r;
}

/*
 * The mapping of a buffer, made on first use in this generation of its
 * queue and again whenever the client queued other memory under its index.
 */
static struct dd_bufmap *map_buffer(struct dd_decoder *d, uint32_t queue, uint32_t index,
				    uint32_t tag, uint32_t memory, uint32_t gen, int *err)
{
	struct dd_bufmap *m;

	if (index >= DD_MAX_BUFFERS) {
		*err = -EINVAL;
		return NULL;
	}
	m = &d->maps[queue][index];
	if (dd_bufmap_is(m, memory, gen))
		return m;
	dd_bufmap_close(m);
	*err = dd_bufmap_open(m, d->bridge_fd, d->ctx_id, queue, index, tag, memory, gen);
	return *err ? NULL : m;
}

static uint32_t frame_flags(const AVFrame *f)
{
	uint32_t flags = 0;

	if (dd_frame_is_key(f))
		flags |= DAEDALUS_FRAME_KEYFRAME;
	else if (f->pict_type == AV_PICTURE_TYPE_B)
		flags |= DAEDALUS_FRAME_BFRAME;
	else
		flags |= DAEDALUS_FRAME_PFRAME;
	if (f->decode_error_flags || (f->flags & AV_FRAME_FLAG_CORRUPT))
		flags |= DAEDALUS_FRAME_ERROR;
	return flags;
}

/* Writes one frame into a frame buffer, waiting for one if wait. */
static enum delivery deliver_one(struct dd_decoder *d, uint32_t gen, AVFrame *f,
				 uint32_t extra_flags, bool wait)
{
	struct stream_info si;
	struct dd_bufmap *m;
	struct capbuf cb;
	enum delivery r;
	uint32_t cap_gen;
	long used;
	int err = 0;

	if (!stream_info_of(d, f->width, f->height, f->format, f, &si))
		return CUT_SHORT;
	if (!d->info_sent || !info_equal(&si, &d->info))
		send_stream_info(d, &si);

	for (;;) {
		r = take_capbuf(d, gen, false, wait, &cb, &cap_gen);
		if (r != DELIVERED)
			return r;
		m = map_buffer(d, DAEDALUS_QUEUE_CAPTURE, cb.index, cb.tag, cb.memory, cap_gen,
			       &err);
		if (m)
			break;
		/* Taken back by the kernel meanwhile (-ESTALE): try the next one. */
		if (err == -ESTALE)
			continue;
		/*
		 * One that cannot be mapped goes back to the client at once,
		 * flagged ERROR, rather than sit here until the kernel's
		 * watchdog fails the context; the picture takes the next one.
		 */
		fprintf(stderr, "daedalus: context %u: cannot map frame buffer %u: %s\n",
			d->ctx_id, cb.index, strerror(-err));
		send_frame(d, &cb, 0, DAEDALUS_FRAME_ERROR, 0);
	}
	dd_bufmap_sync(m, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
	used = dd_convert_frame(&d->convert, f, m->addr, m->size, cb.pixfmt, cb.bytesperline,
				cb.height);
	dd_bufmap_sync(m, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
	if (used < 0) {
		send_frame(d, &cb, 0, DAEDALUS_FRAME_ERROR | extra_flags, f->pts);
		return DELIVERED;
	}
	send_frame(d, &cb, (uint32_t)used, frame_flags(f) | extra_flags,
		   f->pts != AV_NOPTS_VALUE ? f->pts : f->best_effort_timestamp);
	return DELIVERED;
}

/* The oldest waiting frame is gone to the client. */
static void pop_frame(struct dd_decoder *d)
{
	struct frame_node *n = d->frames;

	d->frames = n->next;
	if (!d->frames)
		d->frames_tail = &d->frames;
	d->nframes--;
	dd_ff.av_frame_free(&n->frame);
	free(n);
}

/*
 * While a JOB decodes, its frames go out as soon as a frame buffer is free
 * for them, never waiting for one: a chunk of many frames (a byte stream
 * cut into large buffers) would otherwise leave the client without a
 * frame until the whole chunk is decoded, which some clients take for a
 * stall. What is left goes out in deliver().
 */
static void deliver_ready(struct dd_decoder *d)
{
	while (d->early && d->frames && !d->failed &&
	       deliver_one(d, d->early_gen, d->frames->frame, 0, false) == DELIVERED)
		pop_frame(d);
}

/* Frames out of the backend wait for frame buffers, unless one is free for them at once. */
static void emit_frame(void *arg, AVFrame *frame)
{
	struct dd_decoder *d = arg;
	struct frame_node *n = malloc(sizeof(*n));

	if (n)
		n->frame = dd_ff.av_frame_clone(frame);
	if (!n || !n->frame) {
		free(n);
		return;	/* dropped; the stream goes on */
	}
	n->next = NULL;
	*d->frames_tail = n;
	d->frames_tail = &n->next;
	d->nframes++;
	deliver_ready(d);
}

/*
 * Delivers the waiting frames; last_flags (LAST, and END_OF_STREAM for a
 * drain of the stream's own) go on the final one, which ends a drain.
 */
static void deliver(struct dd_decoder *d, uint32_t gen, uint32_t last_flags)
{
	struct capbuf cb;
	uint32_t cap_gen;

	if (last_flags && !d->frames) {
		/* Nothing left to show: an empty buffer carries LAST. */
		if (take_capbuf(d, gen, true, true, &cb, &cap_gen) == DELIVERED)
			send_frame(d, &cb, 0, last_flags, 0);
		return;
	}
	while (d->frames && !d->failed &&
	       deliver_one(d, gen, d->frames->frame, d->frames->next ? 0 : last_flags,
			   true) == DELIVERED)
		pop_frame(d);
	if (d->frames)
		drop_frames(d);	/* cut short: a seek or close discards them */
}

/* Before any frame: the parser may already know the size, so the client can set up. */
static void announce_early(struct dd_decoder *d)
{
	struct stream_info si;
	int w, h, format;

	if (d->info_sent || !dd_backend_peek(d->backend, &w, &h, &format))
		return;
	if (stream_info_of(d, w, h, format, NULL, &si))
		send_stream_info(d, &si);
}

/* Every frame out; the final one (or an empty buffer) carries last_flags. */
static void do_drain(struct dd_decoder *d, uint32_t gen, uint32_t last_flags)
{
	if (d->backend && !d->failed)
		dd_backend_drain(d->backend, emit_frame, d);
	deliver(d, gen, last_flags);
}

static void do_job(struct dd_decoder *d, const struct cmd *c)
{
	struct dd_bufmap *m;
	bool eos, returned;
	int err = 0, r;

	if (d->failed || !d->backend) {
		send_job_done(d, c->tag, c->index, DAEDALUS_JOB_ERROR);
		return;
	}
	m = map_buffer(d, DAEDALUS_QUEUE_OUTPUT, c->index, c->tag, c->memory, c->out_gen, &err);
	if (!m) {
		/* -ESTALE: the kernel took it back already; nobody waits for it. */
		if (err != -ESTALE)
			send_job_done(d, c->tag, c->index, DAEDALUS_JOB_ERROR);
		return;
	}
	if ((size_t)c->data_offset + c->bytesused > m->size) {
		send_job_done(d, c->tag, c->index, DAEDALUS_JOB_ERROR);
		return;
	}
	dd_bufmap_sync(m, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	r = dd_backend_load(d->backend, m->addr + c->data_offset, c->bytesused);
	dd_bufmap_sync(m, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	if (r < 0) {
		send_job_done(d, c->tag, c->index, DAEDALUS_JOB_ERROR);
		return;
	}
	eos = dd_backend_end_of_stream(d->backend);
	dd_backend_probe(d->backend);
	announce_early(d);
	/*
	 * The bitstream is copied: once the client knows the stream's format,
	 * its buffer goes back before the decode, as a hardware decoder's does
	 * once the bytes are in. FFmpeg's wrapper queues one buffer each time
	 * it wakes, so the next chunk is then here by the time this one is
	 * decoded, and libavcodec's threads do not wait for the round trip.
	 * Before that the buffer waits, so that the source change event comes
	 * before the buffer that completed the headers. Decoding errors from
	 * then on show on the frames (libavcodec flags the damaged ones).
	 */
	returned = d->info_sent;
	if (returned)
		send_job_done(d, c->tag, c->index, 0);
	d->early = true;
	d->early_gen = c->out_gen;
	r = dd_backend_decode(d->backend, c->timestamp, emit_frame, d);
	d->early = false;
	if (!returned) {
		announce_early(d);
		send_job_done(d, c->tag, c->index, r < 0 ? DAEDALUS_JOB_ERROR : 0);
	}
	deliver(d, c->out_gen, 0);
	/*
	 * dev-decoder.rst, End of Stream: the marking drains as STOP would.
	 * What follows it starts at a random access point (IDR or IRAP), so
	 * there are no references to bring back.
	 */
	if (eos) {
		do_drain(d, c->out_gen, DAEDALUS_FRAME_LAST | DAEDALUS_FRAME_END_OF_STREAM);
		if (d->backend)
			dd_backend_reset(d->backend);
	}
}

/* Names the calling thread @prefix<ctx_id>, as far as the 15 characters allow. */
static void name_thread(const char *prefix, uint32_t ctx_id)
{
	char name[16];

	snprintf(name, sizeof(name), "%s%u", prefix, ctx_id);
	pthread_setname_np(pthread_self(), name);
}

static void do_restart(struct dd_decoder *d, uint32_t codec, uint32_t flags)
{
	char err[160];

	d->failed = false;
	if (d->backend && codec == d->codec && !(flags & DAEDALUS_START_NEW_STREAM))
		return;
	dd_backend_close(d->backend);
	d->codec = codec;
	d->info_sent = false;
	/*
	 * libavcodec's threads start here and inherit the name: top -H and
	 * /proc tell a context's decoding threads from its worker.
	 */
	name_thread("dd-lavc", d->ctx_id);
	d->backend = dd_backend_open(codec, d->threads, err, sizeof(err));
	name_thread("dd-ctx", d->ctx_id);
	if (!d->backend)
		send_error(d, DAEDALUS_ERR_UNSUPPORTED, "%s", err);
}

static void *worker(void *arg)
{
	struct dd_decoder *d = arg;

	for (;;) {
		struct cmd *c;
		uint32_t gen;

		pthread_mutex_lock(&d->lock);
		while (!d->head && !d->closing)
			pthread_cond_wait(&d->cond, &d->lock);
		if (d->closing) {
			pthread_mutex_unlock(&d->lock);
			break;
		}
		c = d->head;
		d->head = c->next;
		if (!d->head)
			d->tail = &d->head;
		gen = d->out_gen;
		pthread_mutex_unlock(&d->lock);

		switch (c->type) {
		case CMD_JOB:
			/* Work queued before a STOP of OUTPUT was taken back by the kernel. */
			if (c->out_gen == gen)
				do_job(d, c);
			break;
		case CMD_DRAIN:
			if (c->out_gen == gen)
				do_drain(d, gen, DAEDALUS_FRAME_LAST);
			break;
		case CMD_STOP_OUTPUT:
			drop_frames(d);
			if (d->backend)
				dd_backend_reset(d->backend);
			unmap_queue(d, DAEDALUS_QUEUE_OUTPUT);
			break;
		case CMD_RESTART:
			do_restart(d, c->codec, c->flags);
			break;
		}
		free(c);
	}
	/* Closed: the thread is detached and the context is the worker's to free. */
	drop_frames(d);
	unmap_queue(d, DAEDALUS_QUEUE_OUTPUT);
	unmap_queue(d, DAEDALUS_QUEUE_CAPTURE);
	while (d->head) {
		struct cmd *c = d->head;

		d->head = c->next;
		free(c);
	}
	dd_backend_close(d->backend);
	dd_convert_free(&d->convert);
	close(d->bridge_fd);
	pthread_mutex_destroy(&d->lock);
	pthread_cond_destroy(&d->cond);
	free(d);
	/*
	 * A context's frames and decoder are tens of MiB, freed into whichever
	 * malloc arenas its threads used; glibc keeps them there. Hand them
	 * back, so that an idle daemon shrinks to its size between streams.
	 */
	malloc_trim(0);
	return NULL;
}

static int enqueue(struct dd_decoder *d, enum cmd_type type, const struct cmd *fields)
{
	struct cmd *c = malloc(sizeof(*c));

	if (!c)
		return -ENOMEM;
	*c = fields ? *fields : (struct cmd){ 0 };
	c->type = type;
	c->next = NULL;
	pthread_mutex_lock(&d->lock);
	if (type == CMD_STOP_OUTPUT)
		d->out_gen++;
	c->out_gen = d->out_gen;
	*d->tail = c;
	d->tail = &c->next;
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);
	return 0;
}

DD_EXPORT struct dd_decoder *dd_decoder_open(uint32_t ctx_id, uint32_t codec, int threads,
					     int bridge_fd, int notify_fd, char *err, int errlen)
{
	struct dd_decoder *d;
	int r;

	r = dd_ffmpeg_load(err, errlen);
	if (r)
		return NULL;
	d = calloc(1, sizeof(*d));
	if (!d) {
		snprintf(err, (size_t)errlen, "out of memory");
		return NULL;
	}
	d->ctx_id = ctx_id;
	d->threads = threads;
	/* Its own descriptor: the daemon may close and reopen the bridge before the worker ends. */
	d->bridge_fd = fcntl(bridge_fd, F_DUPFD_CLOEXEC, 0);
	if (d->bridge_fd < 0) {
		snprintf(err, (size_t)errlen, "cannot duplicate the bridge fd: %s", strerror(errno));
		free(d);
		return NULL;
	}
	d->notify_fd = notify_fd;
	d->tail = &d->head;
	d->frames_tail = &d->frames;
	for (int q = 0; q < 2; q++)
		for (int i = 0; i < DD_MAX_BUFFERS; i++)
			d->maps[q][i].fd = -1;
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->cond, NULL);
	/* The backend opens on the worker, like every later restart. */
	enqueue(d, CMD_RESTART, &(struct cmd){ .codec = codec });
	r = pthread_create(&d->thread, NULL, worker, d);
	if (r) {
		snprintf(err, (size_t)errlen, "cannot start a thread: %s", strerror(r));
		free(d->head);
		close(d->bridge_fd);
		free(d);
		return NULL;
	}
	pthread_detach(d->thread);
	return d;
}

int dd_decoder_job(struct dd_decoder *d, uint32_t tag, uint32_t index,
		   uint32_t bytesused, uint32_t data_offset, int64_t timestamp,
		   uint32_t memory)
{
	return enqueue(d, CMD_JOB, &(struct cmd){ .tag = tag, .index = index,
						   .bytesused = bytesused,
						   .data_offset = data_offset,
						   .timestamp = timestamp, .memory = memory });
}

int dd_decoder_capbuf(struct dd_decoder *d, uint32_t tag, uint32_t index,
		      uint32_t pixfmt, uint32_t width, uint32_t height,
		      uint32_t bytesperline, uint32_t size, uint32_t memory)
{
	int ret = 0;

	pthread_mutex_lock(&d->lock);
	if (d->npool >= DD_MAX_BUFFERS || index >= DD_MAX_BUFFERS) {
		ret = -ENOSPC;
	} else if (d->await_cap_stop) {
		/* Handed over before the kernel saw STREAM_INFO: it takes it back. */
	} else {
		d->pool[d->npool++] = (struct capbuf){ tag, index, pixfmt, width, height,
						       bytesperline, size, memory };
		pthread_cond_broadcast(&d->cond);
	}
	pthread_mutex_unlock(&d->lock);
	return ret;
}

int dd_decoder_drain(struct dd_decoder *d)
{
	return enqueue(d, CMD_DRAIN, NULL);
}

int dd_decoder_stop(struct dd_decoder *d, uint32_t queue)
{
	if (queue == DAEDALUS_QUEUE_OUTPUT)
		return enqueue(d, CMD_STOP_OUTPUT, NULL);
	if (queue != DAEDALUS_QUEUE_CAPTURE)
		return -EINVAL;
	/* The kernel has them back: forget them now; their mappings go with the generation. */
	pthread_mutex_lock(&d->lock);
	d->npool = 0;
	d->cap_gen++;
	d->await_cap_stop = false;
	pthread_mutex_unlock(&d->lock);
	return 0;
}

DD_EXPORT int dd_decoder_restart(struct dd_decoder *d, uint32_t codec, uint32_t flags)
{
	return enqueue(d, CMD_RESTART, &(struct cmd){ .codec = codec, .flags = flags });
}

DD_EXPORT void dd_decoder_close(struct dd_decoder *d)
{
	/* Returns at once: the worker finishes its current step, then frees it all. */
	pthread_mutex_lock(&d->lock);
	d->closing = true;
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);
}
