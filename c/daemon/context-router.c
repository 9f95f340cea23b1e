// SPDX-License-Identifier: BSD-2-Clause
/*
 * Per-context messages from the kernel to their workers (context-router.h).
 * The checks are those of the header's documentation, the same the
 * daemon's TypeScript side makes of the messages it still reads: a
 * message that fails one means the bridge connection is broken, and the
 * daemon reconnects.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/daedalus-v4l2.h>

#include "context-router.h"
#include "decoder.h"
#include "sl-worker.h"

/* A message kept for a worker that its START's answer has not named yet. */
struct dd_pending {
	struct dd_pending *next;
	bool start;	/* a START's place: the event loop answers it */
	size_t len;
	unsigned char msg[];
};

struct dd_route {
	struct dd_route *next;
	uint32_t ctx_id;
	bool stateless;		/* the stateless node's: its worker is a struct dd_sl_worker */
	void *worker;		/* NULL before the first START's answer, or if it failed */
	struct dd_pending *head, **tail;	/* empty, or a START's place first */
};

/* Every message the router reads, whole. */
union dd_kmsg {
	struct daedalus_msg_hdr hdr;
	struct daedalus_msg_start start;
	struct daedalus_msg_ctl ctl;
	struct daedalus_msg_job job;
	struct daedalus_msg_capbuf capbuf;
	struct daedalus_msg_sl_job sl_job;
	struct daedalus_msg_sl_finish sl_finish;
};

void dd_router_init(struct dd_router *r)
{
	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->lock, NULL);
}

static void route_free(struct dd_route *rt)
{
	struct dd_pending *p = rt->head;

	while (p) {
		struct dd_pending *next = p->next;

		free(p);
		p = next;
	}
	free(rt);
}

/* The workers stay the event loop's to close. */
void dd_router_destroy(struct dd_router *r)
{
	struct dd_route *rt = r->routes;

	while (rt) {
		struct dd_route *next = rt->next;

		route_free(rt);
		rt = next;
	}
	r->routes = NULL;
	pthread_mutex_destroy(&r->lock);
}

/* Called with the lock held. */
static struct dd_route **route_slot(struct dd_router *r, uint32_t ctx_id)
{
	struct dd_route **slot = &r->routes;

	while (*slot && (*slot)->ctx_id != ctx_id)
		slot = &(*slot)->next;
	return slot;
}

static size_t msg_size(uint16_t type)
{
	switch (type) {
	case DAEDALUS_MSG_START:
		return sizeof(struct daedalus_msg_start);
	case DAEDALUS_MSG_STOP:
	case DAEDALUS_MSG_CLOSE:
	case DAEDALUS_MSG_DRAIN:
		return sizeof(struct daedalus_msg_ctl);
	case DAEDALUS_MSG_JOB:
		return sizeof(struct daedalus_msg_job);
	case DAEDALUS_MSG_CAPBUF:
		return sizeof(struct daedalus_msg_capbuf);
	case DAEDALUS_MSG_SL_JOB:
		return sizeof(struct daedalus_msg_sl_job);
	case DAEDALUS_MSG_SL_FINISH:
		return sizeof(struct daedalus_msg_sl_finish);
	default:
		return 0;
	}
}

static bool dimension_ok(uint32_t v)
{
	return v >= DAEDALUS_MIN_DIMENSION && v <= DAEDALUS_MAX_DIMENSION;
}

static const char *sl_job_wrong(const struct daedalus_msg_sl_job *j)
{
	if (le32toh(j->flags) & ~(uint32_t)DAEDALUS_SL_FLAGS_ALL)
		return "unknown flags";
	if (le32toh(j->ctrls_len) > DAEDALUS_SL_CTRLS_MAX)
		return "controls too large";
	if (!j->memory || !j->cap_memory)
		return "no memory name";
	if (le32toh(j->cap_pixfmt) >= DAEDALUS_PIXFMT_COUNT)
		return "pixel format out of range";
	if (!dimension_ok(le32toh(j->cap_width)) || !dimension_ok(le32toh(j->cap_height)))
		return "frame size out of range";
	return j->reserved ? "reserved field set" : NULL;
}

/* The fields of a context message after its header; NULL if fine, else what is wrong. */
static const char *fields_wrong(const union dd_kmsg *m, uint16_t type)
{
	uint32_t queue = le32toh(m->ctl.queue);

	switch (type) {
	case DAEDALUS_MSG_START:
		if (le32toh(m->start.codec) >= DAEDALUS_CODEC_COUNT)
			return "codec out of range";
		if (le32toh(m->start.flags) &
		    ~(uint32_t)(DAEDALUS_START_NEW_STREAM | DAEDALUS_START_STATELESS))
			return "unknown flags";
		return NULL;
	case DAEDALUS_MSG_STOP:
		if (queue != DAEDALUS_QUEUE_OUTPUT && queue != DAEDALUS_QUEUE_CAPTURE)
			return "no such queue";
		return m->ctl.reserved ? "reserved field set" : NULL;
	case DAEDALUS_MSG_CLOSE:
	case DAEDALUS_MSG_DRAIN:
		return queue || m->ctl.reserved ? "reserved field set" : NULL;
	case DAEDALUS_MSG_JOB:
		if (m->job.flags)
			return "flags set";
		return m->job.memory ? NULL : "no memory name";
	case DAEDALUS_MSG_SL_JOB:
		return sl_job_wrong(&m->sl_job);
	case DAEDALUS_MSG_SL_FINISH:
		return NULL;
	default:
		if (le32toh(m->capbuf.pixfmt) >= DAEDALUS_PIXFMT_COUNT)
			return "pixel format out of range";
		if (!dimension_ok(le32toh(m->capbuf.width)) || !dimension_ok(le32toh(m->capbuf.height)))
			return "frame size out of range";
		if (!m->capbuf.bytesperline || !m->capbuf.size || !m->capbuf.memory)
			return "empty field";
		return NULL;
	}
}

/*
 * Called with the lock held: @m to @d, now. Returns 0, or the worker's
 * refusal (-ENOMEM, or -ENOSPC for more frame buffers than vb2 has).
 */
/* A stateless context's worker takes its requests, their ends and STOPs. */
static int deliver_sl(struct dd_sl_worker *w, const union dd_kmsg *m)
{
	switch (le16toh(m->hdr.type)) {
	case DAEDALUS_MSG_SL_JOB:
		return dd_sl_worker_job(w, &m->sl_job);
	case DAEDALUS_MSG_SL_FINISH:
		return dd_sl_worker_finish(w, le32toh(m->sl_finish.cap_tag),
					   le32toh(m->sl_finish.cap_index));
	case DAEDALUS_MSG_STOP:
		return dd_sl_worker_stop(w, le32toh(m->ctl.queue));
	default:
		return -EPROTO;
	}
}

static int deliver(struct dd_router *r, const struct dd_route *rt, const union dd_kmsg *m)
{
	struct dd_decoder *d = rt->worker;
	uint16_t type = le16toh(m->hdr.type);

	if (!rt->worker) {
		r->dropped++;
		return 0;
	}
	r->routed++;
	if (rt->stateless)
		return deliver_sl(rt->worker, m);
	switch (type) {
	case DAEDALUS_MSG_JOB:
		return dd_decoder_job(d, le32toh(m->job.tag), le32toh(m->job.index),
			       le32toh(m->job.bytesused), le32toh(m->job.data_offset),
			       (int64_t)le64toh(m->job.timestamp), le32toh(m->job.memory));
	case DAEDALUS_MSG_CAPBUF:
		return dd_decoder_capbuf(d, le32toh(m->capbuf.tag), le32toh(m->capbuf.index),
				  le32toh(m->capbuf.pixfmt), le32toh(m->capbuf.width),
				  le32toh(m->capbuf.height), le32toh(m->capbuf.bytesperline),
				  le32toh(m->capbuf.size), le32toh(m->capbuf.memory));
	case DAEDALUS_MSG_DRAIN:
		return dd_decoder_drain(d);
	case DAEDALUS_MSG_SL_JOB:
	case DAEDALUS_MSG_SL_FINISH:
		/* A stateful context's worker has no use for them. */
		return -EPROTO;
	default:
		return dd_decoder_stop(d, le32toh(m->ctl.queue));
	}
}

/* Called with the lock held: keep @m in @rt's queue; false if out of memory. */
static bool keep(struct dd_route *rt, const void *m, size_t len, bool start)
{
	struct dd_pending *p = malloc(sizeof(*p) + len);

	if (!p)
		return false;
	p->next = NULL;
	p->start = start;
	p->len = len;
	memcpy(p->msg, m, len);
	*rt->tail = p;
	rt->tail = &p->next;
	return true;
}

enum dd_route_result dd_router_take(struct dd_router *r, const void *msg, size_t len,
				    char *why, size_t whylen)
{
	union dd_kmsg m;
	uint16_t type;
	uint32_t ctx_id;
	struct dd_route **slot, *rt;
	const char *wrong;
	size_t size;
	int err = 0;

	if (len < sizeof(m.hdr))
		return DD_ROUTE_FORWARD;	/* the event loop names the fault */
	memcpy(&m.hdr, msg, sizeof(m.hdr));
	type = le16toh(m.hdr.type);
	size = msg_size(type);
	if (!size)
		return DD_ROUTE_FORWARD;	/* the device's own, or unknown: the event loop's */
	if (le32toh(m.hdr.magic) != DAEDALUS_PROTO_MAGIC ||
	    le16toh(m.hdr.version) != DAEDALUS_PROTO_VERSION) {
		snprintf(why, whylen, "message type %u: bad magic or version", type);
		return DD_ROUTE_FAULT;
	}
	if (len != size || le32toh(m.hdr.length) != size) {
		snprintf(why, whylen, "message type %u: %zu bytes, length field %u, expected %zu",
			 type, len, le32toh(m.hdr.length), size);
		return DD_ROUTE_FAULT;
	}
	memcpy(&m, msg, size);
	ctx_id = le32toh(m.hdr.ctx_id);
	wrong = !ctx_id ? "no context" : m.hdr.reserved ? "reserved field set" : fields_wrong(&m, type);
	if (wrong) {
		snprintf(why, whylen, "message type %u for context %u: %s", type, ctx_id, wrong);
		return DD_ROUTE_FAULT;
	}

	pthread_mutex_lock(&r->lock);
	slot = route_slot(r, ctx_id);
	rt = *slot;
	switch (type) {
	case DAEDALUS_MSG_START:
		if (!rt) {
			rt = calloc(1, sizeof(*rt));
			if (rt) {
				rt->ctx_id = ctx_id;
				rt->stateless = le32toh(m.start.flags) & DAEDALUS_START_STATELESS;
				rt->tail = &rt->head;
				*slot = rt;
			}
		}
		/* Its answer names the worker; what follows waits for it. */
		if (!rt || !keep(rt, &m, size, true)) {
			pthread_mutex_unlock(&r->lock);
			snprintf(why, whylen, "out of memory for context %u", ctx_id);
			return DD_ROUTE_FAULT;
		}
		pthread_mutex_unlock(&r->lock);
		return DD_ROUTE_FORWARD;
	case DAEDALUS_MSG_CLOSE:
		/* The event loop closes the worker; nothing reaches it from here again. */
		if (rt) {
			*slot = rt->next;
			route_free(rt);
		}
		pthread_mutex_unlock(&r->lock);
		return DD_ROUTE_FORWARD;
	}
	if (!rt) {
		r->dropped++;	/* never STARTed, or closed: the kernel's replies are stale too */
	} else if (rt->head) {
		if (!keep(rt, &m, size, false)) {
			pthread_mutex_unlock(&r->lock);
			snprintf(why, whylen, "out of memory for context %u", ctx_id);
			return DD_ROUTE_FAULT;
		}
	} else {
		err = deliver(r, rt, &m);
	}
	pthread_mutex_unlock(&r->lock);
	if (err) {
		snprintf(why, whylen, "the worker of context %u refused message type %u: %s",
			 ctx_id, type, strerror(-err));
		return DD_ROUTE_FAULT;
	}
	return DD_ROUTE_TAKEN;
}

int dd_router_started(struct dd_router *r, uint32_t ctx_id, void *worker)
{
	struct dd_route *rt;
	struct dd_pending *p;
	int err = 0;

	pthread_mutex_lock(&r->lock);
	rt = *route_slot(r, ctx_id);
	if (!rt || !rt->head || !rt->head->start) {
		pthread_mutex_unlock(&r->lock);
		return -ENOENT;
	}
	rt->worker = worker;
	/* The START answered goes, then everything up to the next START. */
	do {
		p = rt->head;
		rt->head = p->next;
		if (!p->start) {
			union dd_kmsg m;

			memcpy(&m, p->msg, p->len);
			if (!err)
				err = deliver(r, rt, &m);
		}
		free(p);
	} while (rt->head && !rt->head->start);
	if (!rt->head)
		rt->tail = &rt->head;
	pthread_mutex_unlock(&r->lock);
	return err;
}
