/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The worker of a stateless node's context (dev-stateless-decoder.rst):
 * each SL_JOB is one request. The worker fetches its controls
 * (DAEDALUS_IOC_SL_CTRLS), maps its bitstream and frame buffers
 * (DAEDALUS_IOC_EXPBUF), rebuilds the access unit the controls describe
 * (sl-h264.c, sl-hevc.c, sl-mpeg2.c; VP8 and VP9 frames come whole),
 * decodes it in decode order (backend-lavc-sl.c), writes the picture born
 * from it into the request's frame buffer and answers FRAME,
 * then JOB_DONE. A picture may come in several requests (slices, fields:
 * DAEDALUS_SL_HOLD, _CONTINUE, SL_FINISH), gathered into one unit. A
 * request that cannot be used fails its picture (frame ERROR) and its own
 * bitstream buffer (ERROR); the context goes on.
 *
 * Calls mirror the kernel's messages and return at once; the work is done
 * in order on the worker's own thread. The daemon's event loop opens,
 * restarts and closes workers (DD_EXPORT); the bridge pump's router
 * (context-router.c) hands them the rest.
 */
#ifndef DAEDALUS_SL_WORKER_H
#define DAEDALUS_SL_WORKER_H

#include <stdint.h>

#include <linux/daedalus-v4l2.h>

#include "shim.h"

struct dd_sl_worker;

/* The DAEDALUS_CODEC_* bits this worker decodes requests of, when libavcodec does. */
DD_EXPORT int dd_sl_worker_codecs(void);

/*
 * Starts the worker of a stateless context decoding codec
 * (DAEDALUS_CODEC_*) with threads slice threads (0 = one per CPU).
 * bridge_fd is duplicated; notify_fd takes copies of its ERRORs for the
 * daemon's log. Returns it, or NULL with the reason in err.
 */
DD_EXPORT struct dd_sl_worker *dd_sl_worker_open(uint32_t ctx_id, uint32_t codec, int threads,
						 int bridge_fd, int notify_fd, char *err,
						 int errlen);

/* An SL_JOB message, fields checked by the router. */
int dd_sl_worker_job(struct dd_sl_worker *w, const struct daedalus_msg_sl_job *job);

/* An SL_FINISH message. */
int dd_sl_worker_finish(struct dd_sl_worker *w, uint32_t cap_tag, uint32_t cap_index);

/* A STOP of DAEDALUS_QUEUE_OUTPUT (jobs sent before it were taken back) or _CAPTURE. */
int dd_sl_worker_stop(struct dd_sl_worker *w, uint32_t queue);

/* START again after a STOP of OUTPUT: decoding restarts, of codec. */
DD_EXPORT int dd_sl_worker_restart(struct dd_sl_worker *w, uint32_t codec);

/* Stops the worker without waiting for it; it frees everything. */
DD_EXPORT void dd_sl_worker_close(struct dd_sl_worker *w);

#endif
