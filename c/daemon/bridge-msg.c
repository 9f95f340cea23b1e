/* SPDX-License-Identifier: BSD-2-Clause */
/* Messages a worker writes to the kernel: see bridge-msg.h. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "bridge-msg.h"

void dd_msg_hdr(struct daedalus_msg_hdr *h, uint16_t type, uint32_t len, uint32_t ctx_id)
{
	h->magic = DAEDALUS_PROTO_MAGIC;
	h->version = DAEDALUS_PROTO_VERSION;
	h->type = type;
	h->length = len;
	h->seq = 0;
	h->ctx_id = ctx_id;
	h->reserved = 0;
}

/*
 * A write to the bridge is taken or refused whole, at once: a message about
 * a context is never queued, so EAGAIN is not expected, but is waited out
 * briefly like the event loop does.
 */
void dd_msg_send(int bridge_fd, const void *msg, size_t len)
{
	for (int attempt = 0; attempt < 100; attempt++) {
		if (write(bridge_fd, msg, len) >= 0 || (errno != EINTR && errno != EAGAIN))
			return;
		if (errno == EAGAIN)
			poll(&(struct pollfd){ .fd = bridge_fd, .events = POLLOUT }, 1, 5);
	}
}

void dd_msg_job_done(int bridge_fd, uint32_t ctx_id, uint32_t tag, uint32_t index,
		     uint32_t flags)
{
	struct daedalus_msg_job_done m = { .tag = tag, .index = index, .flags = flags };

	dd_msg_hdr(&m.hdr, DAEDALUS_MSG_JOB_DONE, sizeof(m), ctx_id);
	dd_msg_send(bridge_fd, &m, sizeof(m));
}

void dd_msg_frame(int bridge_fd, uint32_t ctx_id, uint32_t tag, uint32_t index,
		  uint32_t bytesused, uint32_t flags, int64_t timestamp)
{
	struct daedalus_msg_frame m = { .tag = tag, .index = index, .bytesused = bytesused,
					.flags = flags, .timestamp = (uint64_t)timestamp };

	dd_msg_hdr(&m.hdr, DAEDALUS_MSG_FRAME, sizeof(m), ctx_id);
	dd_msg_send(bridge_fd, &m, sizeof(m));
}

/* Each message is smaller than PIPE_BUF, so a write is whole even with other workers. */
void dd_msg_notify(int notify_fd, const void *msg, size_t len)
{
	while (write(notify_fd, msg, len) < 0 && errno == EINTR)
		;
}

void dd_msg_error(int bridge_fd, int notify_fd, uint32_t ctx_id, uint32_t code,
		  const char *text)
{
	struct daedalus_msg_error m = { .code = code };

	dd_msg_hdr(&m.hdr, DAEDALUS_MSG_ERROR, sizeof(m), ctx_id);
	strncpy(m.text, text, sizeof(m.text) - 1);
	for (char *p = m.text; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			*p = '?';
	dd_msg_send(bridge_fd, &m, sizeof(m));
	dd_msg_notify(notify_fd, &m, sizeof(m));
}
