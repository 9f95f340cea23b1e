/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The messages a decoding worker writes to the kernel itself (JOB_DONE,
 * FRAME, ERROR), for both kinds of worker (decoder.c, sl-worker.c). The
 * kernel checks every field of each; the shim runs on little-endian hosts
 * only, as the wire is.
 */
#ifndef DAEDALUS_BRIDGE_MSG_H
#define DAEDALUS_BRIDGE_MSG_H

#include <stddef.h>
#include <stdint.h>

#include <linux/daedalus-v4l2.h>

void dd_msg_hdr(struct daedalus_msg_hdr *h, uint16_t type, uint32_t len, uint32_t ctx_id);

/*
 * Writes one whole message to the bridge. A refusal is not reported: it
 * means the bridge closed or was reopened after the context went away,
 * and the kernel counts it.
 */
void dd_msg_send(int bridge_fd, const void *msg, size_t len);

void dd_msg_job_done(int bridge_fd, uint32_t ctx_id, uint32_t tag, uint32_t index,
		     uint32_t flags);

void dd_msg_frame(int bridge_fd, uint32_t ctx_id, uint32_t tag, uint32_t index,
		  uint32_t bytesused, uint32_t flags, int64_t timestamp);

/*
 * An ERROR about the context, its text made printable, also copied to
 * notify_fd (a pipe the event loop logs from; each message is written whole).
 */
void dd_msg_error(int bridge_fd, int notify_fd, uint32_t ctx_id, uint32_t code,
		  const char *text);

/* A copy of a message for the event loop's log. */
void dd_msg_notify(int notify_fd, const void *msg, size_t len);

#endif
