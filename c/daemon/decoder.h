/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * One decoding context of the daemon: a worker thread that maps the
 * context's buffers (DAEDALUS_IOC_EXPBUF), decodes its bitstream with the
 * codec backend, writes frames into its frame buffers and reports each step
 * to the kernel as a bridge protocol message
 * (include/uapi/linux/daedalus-v4l2.h), written to the bridge by the worker
 * itself. Copies of STREAM_INFO and ERROR go to a notification fd for the
 * daemon's log. The daemon's event loop never waits for the worker.
 *
 * Calls mirror the kernel's messages and return at once: work is queued in
 * order (jobs, drains, STOPs of OUTPUT), except frame buffers and STOPs of
 * CAPTURE, which take effect immediately so that a worker waiting for a
 * frame buffer can be given one or told to give up. The daemon's event
 * loop opens, restarts and closes workers (DD_EXPORT); the bridge pump's
 * router (context-router.c) hands them the rest.
 */
#ifndef DAEDALUS_DECODER_H
#define DAEDALUS_DECODER_H

#include <stdint.h>

#include "shim.h"

struct dd_decoder;

/*
 * Starts a context's worker. codec is DAEDALUS_CODEC_*, threads the
 * backend's thread count (0 = one per CPU). Messages go to bridge_fd
 * (duplicated: the caller keeps its own), the log's copies to notify_fd (a
 * pipe; each is written whole). Returns the context or NULL, with the
 * reason in err.
 */
DD_EXPORT struct dd_decoder *dd_decoder_open(uint32_t ctx_id, uint32_t codec, int threads,
					     int bridge_fd, int notify_fd, char *err, int errlen);

/* A JOB message's fields: decode this bitstream buffer. */
int dd_decoder_job(struct dd_decoder *d, uint32_t tag, uint32_t index,
		   uint32_t bytesused, uint32_t data_offset, int64_t timestamp,
		   uint32_t memory);

/* A CAPBUF message's fields: a frame buffer to fill. */
int dd_decoder_capbuf(struct dd_decoder *d, uint32_t tag, uint32_t index,
		      uint32_t pixfmt, uint32_t width, uint32_t height,
		      uint32_t bytesperline, uint32_t size, uint32_t memory);

/* DRAIN: emit every frame; the last one (or an empty buffer) is flagged LAST. */
int dd_decoder_drain(struct dd_decoder *d);

/* STOP of DAEDALUS_QUEUE_OUTPUT (a seek) or DAEDALUS_QUEUE_CAPTURE. */
int dd_decoder_stop(struct dd_decoder *d, uint32_t queue);

/*
 * START again after a STOP of OUTPUT; a new codec, or flags with
 * DAEDALUS_START_NEW_STREAM, replaces the backend and the stream is
 * described anew.
 */
DD_EXPORT int dd_decoder_restart(struct dd_decoder *d, uint32_t codec, uint32_t flags);

/* Stops the worker without waiting for it; it frees everything. d is gone afterwards. */
DD_EXPORT void dd_decoder_close(struct dd_decoder *d);

#endif
