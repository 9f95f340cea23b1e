/* SPDX-License-Identifier: BSD-2-Clause */
/* A stateless context's worker thread: see sl-worker.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/dma-buf.h>

#include "backend-lavc-sl.h"
#include "bridge-msg.h"
#include "bufmap.h"
#include "convert.h"
#include "sl-ctrls.h"
#include "sl-h264.h"
#include "sl-hevc.h"
#include "sl-mpeg2.h"
#include "sl-record.h"
#include "sl-worker.h"

/* vb2 never has more buffers per queue. */
#define DD_SL_MAX_BUFFERS	64

enum sl_cmd_type { SL_CMD_JOB, SL_CMD_FINISH, SL_CMD_STOP_OUTPUT, SL_CMD_RESTART };

struct sl_cmd {
	struct sl_cmd *next;
	enum sl_cmd_type type;
	struct daedalus_msg_sl_job job;
	uint32_t codec;
	uint32_t out_gen, cap_gen;	/* the generations it was queued in */
};

struct dd_sl_worker {
	uint32_t ctx_id;
	int threads, bridge_fd, notify_fd;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;

	/* Under lock. */
	struct sl_cmd *head, **tail;
	uint32_t out_gen;	/* bumped by a STOP of OUTPUT, at once */
	uint32_t cap_gen;	/* bumped by a STOP of CAPTURE, at once */
	bool closing;

	/* The worker's own. */
	uint32_t codec;
	struct dd_sl_backend *backend;
	char backend_err[160];
	struct dd_bufmap maps[2][DD_SL_MAX_BUFFERS];
	struct dd_convert convert;
	struct dd_sl_h264 h264;
	struct dd_sl_hevc hevc;
	struct dd_sl_unit unit;
	struct dd_sl_recorder rec;
	/*
	 * A picture gathered from several requests (DAEDALUS_SL_HOLD): its
	 * first job (frame buffer, timestamp) and whether one of its requests
	 * could not be used (the picture then fails as a whole).
	 */
	bool open;
	bool broken;
	struct sl_cmd pic;
	uint64_t ctrls[DAEDALUS_SL_CTRLS_MAX / sizeof(uint64_t)];
};

static void log_request(struct dd_sl_worker *w, const struct daedalus_msg_sl_job *j,
			const char *why)
{
	fprintf(stderr, "daedalus: context %u: request %llu fails: %s\n", w->ctx_id,
		(unsigned long long)j->timestamp, why);
}

static struct dd_bufmap *map_buffer(struct dd_sl_worker *w, uint32_t queue, uint32_t index,
				    uint32_t tag, uint32_t memory, uint32_t gen, int *err)
{
	struct dd_bufmap *m;

	if (index >= DD_SL_MAX_BUFFERS) {
		*err = -EINVAL;
		return NULL;
	}
	m = &w->maps[queue][index];
	if (dd_bufmap_is(m, memory, gen))
		return m;
	dd_bufmap_close(m);
	*err = dd_bufmap_open(m, w->bridge_fd, w->ctx_id, queue, index, tag, memory, gen);
	return *err ? NULL : m;
}

/* The request's controls into w->ctrls; 0, -ESTALE (taken back), or another -errno. */
static int fetch_ctrls(struct dd_sl_worker *w, const struct daedalus_msg_sl_job *j)
{
	struct daedalus_sl_ctrls sc = { .ctx_id = w->ctx_id, .index = j->index, .tag = j->tag,
					.size = sizeof(w->ctrls), .ptr = (uintptr_t)w->ctrls };

	if (ioctl(w->bridge_fd, DAEDALUS_IOC_SL_CTRLS, &sc))
		return -errno;
	return sc.size == j->ctrls_len ? 0 : -EPROTO;
}

/* The codecs build_unit() rebuilds access units of. */
DD_EXPORT int dd_sl_worker_codecs(void)
{
	return 1 << DAEDALUS_CODEC_H264 | 1 << DAEDALUS_CODEC_HEVC | 1 << DAEDALUS_CODEC_VP8 |
	       1 << DAEDALUS_CODEC_VP9 | 1 << DAEDALUS_CODEC_MPEG2;
}

/*
 * The request into w->unit, as a picture's first (first) or a later part
 * of it; 0, or -1 with why. Only H.264 and HEVC pictures come in several
 * requests (the kernel offers holding for them only).
 */
static int build_unit(struct dd_sl_worker *w, const struct dd_sl_ctrls *c, const uint8_t *data,
		      size_t len, bool first, char *why, size_t whylen)
{
	if (!first && w->codec != DAEDALUS_CODEC_H264 && w->codec != DAEDALUS_CODEC_HEVC) {
		snprintf(why, whylen, "codec %u pictures come in one request", w->codec);
		return -1;
	}
	switch (w->codec) {
	case DAEDALUS_CODEC_H264:
		return dd_sl_h264_unit(&w->h264, c, data, len, first, &w->unit, why, whylen);
	case DAEDALUS_CODEC_HEVC:
		return dd_sl_hevc_unit(&w->hevc, c, data, len, first, &w->unit, why, whylen);
	case DAEDALUS_CODEC_MPEG2:
		return dd_sl_mpeg2_unit(c, data, len, &w->unit, why, whylen);
	case DAEDALUS_CODEC_VP8:
	case DAEDALUS_CODEC_VP9:
		/* The buffer is the whole frame, its headers included: decoded as it is. */
		w->unit.len = 0;
		if (!len) {
			snprintf(why, whylen, "an empty bitstream buffer");
			return -1;
		}
		if (dd_sl_unit_append(&w->unit, data, len)) {
			snprintf(why, whylen, "out of memory");
			return -1;
		}
		return 0;
	default:
		snprintf(why, whylen, "codec %u is not decoded statelessly yet", w->codec);
		return -1;
	}
}

/* Whether a picture fits the frame buffer the request brought for it. */
static bool picture_fits(const AVFrame *pic, const struct daedalus_msg_sl_job *j)
{
	int depth = dd_convert_depth(pic->format);

	return depth && (depth > 8) == (j->cap_pixfmt == DAEDALUS_PIXFMT_P010) &&
	       pic->width > 0 && pic->height > 0 &&
	       (uint32_t)pic->width <= j->cap_width && (uint32_t)pic->height <= j->cap_height;
}

/*
 * Writes the picture into the request's frame buffer and answers FRAME;
 * nothing if the kernel took the frame buffer back meanwhile.
 */
static void deliver(struct dd_sl_worker *w, const struct sl_cmd *c, const AVFrame *pic)
{
	const struct daedalus_msg_sl_job *j = &c->job;
	uint32_t flags = 0;
	struct dd_bufmap *m;
	long used;
	int err = 0;

	m = map_buffer(w, DAEDALUS_QUEUE_CAPTURE, j->cap_index, j->cap_tag, j->cap_memory,
		       c->cap_gen, &err);
	if (!m) {
		if (err != -ESTALE) {
			log_request(w, j, "its frame buffer cannot be mapped");
			dd_msg_frame(w->bridge_fd, w->ctx_id, j->cap_tag, j->cap_index, 0,
				     DAEDALUS_FRAME_ERROR, 0);
		}
		return;
	}
	dd_bufmap_sync(m, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
	used = dd_convert_frame(&w->convert, pic, m->addr, m->size, j->cap_pixfmt,
				j->cap_bytesperline, j->cap_height);
	dd_bufmap_sync(m, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
	if (used <= 0) {
		used = 0;
		flags = DAEDALUS_FRAME_ERROR;
	} else if (pic->decode_error_flags || (pic->flags & AV_FRAME_FLAG_CORRUPT)) {
		flags = DAEDALUS_FRAME_ERROR;
	}
	dd_msg_frame(w->bridge_fd, w->ctx_id, j->cap_tag, j->cap_index, (uint32_t)used, flags, 0);
}

/*
 * Decodes the gathered unit and writes the picture into the frame buffer
 * of job c (its first request's), answering FRAME; a broken picture or a
 * failed decode answers FRAME with ERROR.
 */
static void decode_picture(struct dd_sl_worker *w, const struct sl_cmd *c, bool broken)
{
	const struct daedalus_msg_sl_job *j = &c->job;
	const AVFrame *pic = NULL;
	int r = -1;

	if (!broken)
		r = dd_sl_decode(w->backend, w->unit.data, w->unit.len, (int64_t)j->timestamp, &pic);
	if (r || !picture_fits(pic, j)) {
		/* The bitstream was used: only the picture failed (dev-stateless-decoder.rst). */
		if (!broken)
			log_request(w, j, r ? "libavcodec made no picture of it"
					    : "its picture does not fit its frame buffer");
		dd_msg_frame(w->bridge_fd, w->ctx_id, j->cap_tag, j->cap_index, 0,
			     DAEDALUS_FRAME_ERROR, 0);
		return;
	}
	deliver(w, c, pic);
}

/* The picture being gathered is complete (SL_FINISH, or a new picture began). */
static void finish_picture(struct dd_sl_worker *w)
{
	if (!w->open)
		return;
	w->open = false;
	decode_picture(w, &w->pic, w->broken);
}

/*
 * Reads the request's controls and bitstream into the unit, as the first
 * or a later part of its picture; 0, -ESTALE if the kernel took the
 * request back, or -1 with why.
 */
static int take_request(struct dd_sl_worker *w, const struct sl_cmd *c, bool first, char *why,
			size_t whylen)
{
	const struct daedalus_msg_sl_job *j = &c->job;
	struct dd_sl_ctrls ctrls;
	struct dd_bufmap *m;
	int err, r;

	if (!w->backend) {
		snprintf(why, whylen, "%s", w->backend_err);
		return -1;
	}
	err = fetch_ctrls(w, j);
	if (err == -ESTALE)
		return err;
	if (err) {
		snprintf(why, whylen, "its controls cannot be read: %s", strerror(-err));
		return -1;
	}
	if (dd_sl_ctrls_parse((const uint8_t *)w->ctrls, j->ctrls_len, &ctrls, why, whylen))
		return -1;
	m = map_buffer(w, DAEDALUS_QUEUE_OUTPUT, j->index, j->tag, j->memory, c->out_gen, &err);
	if (!m) {
		if (err == -ESTALE)
			return err;
		snprintf(why, whylen, "its bitstream buffer cannot be mapped");
		return -1;
	}
	if ((size_t)j->data_offset + j->bytesused > m->size) {
		snprintf(why, whylen, "its bitstream lies outside its buffer");
		return -1;
	}
	dd_bufmap_sync(m, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	dd_sl_record(&w->rec, w->codec, j, w->ctrls, m->addr + j->data_offset);
	r = build_unit(w, &ctrls, m->addr + j->data_offset, j->bytesused, first, why, whylen);
	dd_bufmap_sync(m, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	return r;
}

/*
 * One request. Without DAEDALUS_SL_CONTINUE it begins a picture (ending
 * one still gathered, which the kernel should have finished); with
 * DAEDALUS_SL_HOLD more requests of its picture follow, so it is answered
 * by JOB_DONE alone once its bytes are in; the last one decodes the
 * picture and is answered FRAME, then JOB_DONE.
 */
static void do_job(struct dd_sl_worker *w, const struct sl_cmd *c)
{
	const struct daedalus_msg_sl_job *j = &c->job;
	bool first = !(j->flags & DAEDALUS_SL_CONTINUE);
	bool hold = j->flags & DAEDALUS_SL_HOLD;
	char why[160];
	int r;

	if (first) {
		finish_picture(w);
		w->open = true;
		w->broken = false;
		w->pic = *c;
	} else if (!w->open || w->pic.job.cap_tag != j->cap_tag) {
		/* Not the picture being gathered: the kernel and this worker disagree. */
		log_request(w, j, "it continues a picture that was never begun");
		if (!hold)
			dd_msg_frame(w->bridge_fd, w->ctx_id, j->cap_tag, j->cap_index, 0,
				     DAEDALUS_FRAME_ERROR, 0);
		dd_msg_job_done(w->bridge_fd, w->ctx_id, j->tag, j->index, DAEDALUS_JOB_ERROR);
		return;
	}
	r = take_request(w, c, first, why, sizeof(why));
	if (r == -ESTALE) {
		w->open = false;	/* taken back: nobody waits for the picture */
		return;
	}
	if (r) {
		log_request(w, j, why);
		w->broken = true;
	}
	if (hold) {
		dd_msg_job_done(w->bridge_fd, w->ctx_id, j->tag, j->index, r ? DAEDALUS_JOB_ERROR : 0);
		return;
	}
	w->open = false;
	decode_picture(w, &w->pic, w->broken);
	/* The frame first: the kernel completes the request with the bitstream buffer. */
	dd_msg_job_done(w->bridge_fd, w->ctx_id, j->tag, j->index, r ? DAEDALUS_JOB_ERROR : 0);
}

/* SL_FINISH: the held picture is complete, whatever more was announced. */
static void do_finish(struct dd_sl_worker *w, uint32_t cap_tag)
{
	if (w->open && w->pic.job.cap_tag == cap_tag)
		finish_picture(w);
}

static void unmap_queue(struct dd_sl_worker *w, uint32_t queue)
{
	for (int i = 0; i < DD_SL_MAX_BUFFERS; i++)
		dd_bufmap_close(&w->maps[queue][i]);
}

/* Decoding restarts: a seek, or a new codec. */
static void do_restart(struct dd_sl_worker *w, uint32_t codec)
{
	w->open = false;
	dd_sl_h264_reset(&w->h264);
	dd_sl_hevc_reset(&w->hevc);
	if (w->backend && codec == w->codec) {
		dd_sl_reset(w->backend);
		return;
	}
	if (w->backend)
		dd_sl_close(w->backend);
	w->codec = codec;
	w->backend = dd_sl_open(codec, w->threads, w->backend_err, sizeof(w->backend_err));
	if (!w->backend)
		dd_msg_error(w->bridge_fd, w->notify_fd, w->ctx_id, DAEDALUS_ERR_UNSUPPORTED,
			     w->backend_err);
}

static void *worker(void *arg)
{
	struct dd_sl_worker *w = arg;

	pthread_setname_np(pthread_self(), "dd-sl");
	for (;;) {
		struct sl_cmd *c;
		uint32_t gen;

		pthread_mutex_lock(&w->lock);
		while (!w->head && !w->closing)
			pthread_cond_wait(&w->cond, &w->lock);
		if (w->closing) {
			pthread_mutex_unlock(&w->lock);
			break;
		}
		c = w->head;
		w->head = c->next;
		if (!w->head)
			w->tail = &w->head;
		gen = w->out_gen;
		pthread_mutex_unlock(&w->lock);

		switch (c->type) {
		case SL_CMD_JOB:
			/* Jobs queued before a STOP of OUTPUT were taken back by the kernel. */
			if (c->out_gen == gen)
				do_job(w, c);
			break;
		case SL_CMD_FINISH:
			if (c->out_gen == gen)
				do_finish(w, c->job.cap_tag);
			break;
		case SL_CMD_STOP_OUTPUT:
			/* The kernel took back the held frame buffer with the jobs. */
			w->open = false;
			if (w->backend)
				dd_sl_reset(w->backend);
			dd_sl_h264_reset(&w->h264);
			dd_sl_hevc_reset(&w->hevc);
			unmap_queue(w, DAEDALUS_QUEUE_OUTPUT);
			break;
		case SL_CMD_RESTART:
			do_restart(w, c->codec);
			break;
		}
		free(c);
	}
	/* Closed: the thread is detached and the worker is its own to free. */
	unmap_queue(w, DAEDALUS_QUEUE_OUTPUT);
	unmap_queue(w, DAEDALUS_QUEUE_CAPTURE);
	while (w->head) {
		struct sl_cmd *c = w->head;

		w->head = c->next;
		free(c);
	}
	if (w->backend)
		dd_sl_close(w->backend);
	dd_convert_free(&w->convert);
	dd_sl_unit_free(&w->unit);
	dd_sl_record_close(&w->rec);
	close(w->bridge_fd);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
	free(w);
	malloc_trim(0);
	return NULL;
}

static int enqueue(struct dd_sl_worker *w, enum sl_cmd_type type, const struct sl_cmd *fields)
{
	struct sl_cmd *c = malloc(sizeof(*c));

	if (!c)
		return -ENOMEM;
	*c = fields ? *fields : (struct sl_cmd){ 0 };
	c->type = type;
	c->next = NULL;
	pthread_mutex_lock(&w->lock);
	if (type == SL_CMD_STOP_OUTPUT)
		w->out_gen++;
	c->out_gen = w->out_gen;
	c->cap_gen = w->cap_gen;
	*w->tail = c;
	w->tail = &c->next;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	return 0;
}

DD_EXPORT struct dd_sl_worker *dd_sl_worker_open(uint32_t ctx_id, uint32_t codec, int threads,
						 int bridge_fd, int notify_fd, char *err,
						 int errlen)
{
	struct dd_sl_worker *w;
	int r;

	r = dd_ffmpeg_load(err, errlen);
	if (r)
		return NULL;
	w = calloc(1, sizeof(*w));
	if (!w) {
		snprintf(err, (size_t)errlen, "out of memory");
		return NULL;
	}
	w->ctx_id = ctx_id;
	w->threads = threads;
	w->notify_fd = notify_fd;
	/* Its own descriptor: the daemon may close and reopen the bridge before the worker ends. */
	w->bridge_fd = fcntl(bridge_fd, F_DUPFD_CLOEXEC, 0);
	if (w->bridge_fd < 0) {
		snprintf(err, (size_t)errlen, "cannot duplicate the bridge fd: %s", strerror(errno));
		free(w);
		return NULL;
	}
	w->tail = &w->head;
	for (int q = 0; q < 2; q++)
		for (int i = 0; i < DD_SL_MAX_BUFFERS; i++)
			w->maps[q][i].fd = -1;
	dd_sl_record_open(&w->rec, ctx_id);
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	/* The backend opens on the worker, like every later restart. */
	enqueue(w, SL_CMD_RESTART, &(struct sl_cmd){ .codec = codec });
	r = pthread_create(&w->thread, NULL, worker, w);
	if (r) {
		snprintf(err, (size_t)errlen, "cannot start a thread: %s", strerror(r));
		dd_sl_record_close(&w->rec);
		free(w->head);
		close(w->bridge_fd);
		free(w);
		return NULL;
	}
	pthread_detach(w->thread);
	return w;
}

int dd_sl_worker_job(struct dd_sl_worker *w, const struct daedalus_msg_sl_job *job)
{
	return enqueue(w, SL_CMD_JOB, &(struct sl_cmd){ .job = *job });
}

int dd_sl_worker_finish(struct dd_sl_worker *w, uint32_t cap_tag, uint32_t cap_index)
{
	return enqueue(w, SL_CMD_FINISH,
		       &(struct sl_cmd){ .job = { .cap_tag = cap_tag, .cap_index = cap_index } });
}

int dd_sl_worker_stop(struct dd_sl_worker *w, uint32_t queue)
{
	if (queue == DAEDALUS_QUEUE_OUTPUT)
		return enqueue(w, SL_CMD_STOP_OUTPUT, NULL);
	if (queue != DAEDALUS_QUEUE_CAPTURE)
		return -EINVAL;
	/* The kernel has its frame buffers back: mappings made before are of another generation. */
	pthread_mutex_lock(&w->lock);
	w->cap_gen++;
	pthread_mutex_unlock(&w->lock);
	return 0;
}

DD_EXPORT int dd_sl_worker_restart(struct dd_sl_worker *w, uint32_t codec)
{
	return enqueue(w, SL_CMD_RESTART, &(struct sl_cmd){ .codec = codec });
}

DD_EXPORT void dd_sl_worker_close(struct dd_sl_worker *w)
{
	pthread_mutex_lock(&w->lock);
	w->closing = true;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
}
