/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The daemon's per-context messages from the kernel go straight to the
 * context's worker in C: the pump thread reads JOB, CAPBUF, DRAIN, SL_JOB,
 * SL_FINISH and STOP and hands each to the worker of its context (a
 * struct dd_decoder, or a struct dd_sl_worker for a context whose START
 * was flagged DAEDALUS_START_STATELESS), checked field by field as
 * include/uapi/linux/daedalus-v4l2.h defines them. START and CLOSE, the
 * contexts' lifecycle, stay with the daemon's event loop, which opens,
 * restarts and closes the workers and tells the router with
 * dd_router_started() which worker a START left the context with.
 * Messages that come between a START and that answer wait here, so that
 * every worker sees its context's messages in the kernel's order.
 */
#ifndef DAEDALUS_CONTEXT_ROUTER_H
#define DAEDALUS_CONTEXT_ROUTER_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

struct dd_route;

struct dd_router {
	pthread_mutex_t lock;
	struct dd_route *routes;	/* one per context the kernel STARTed and did not CLOSE */
	uint64_t routed;		/* messages handed to a worker */
	uint64_t dropped;		/* for a context whose worker could not start */
};

/* What became of a message from the kernel. */
enum dd_route_result {
	DD_ROUTE_TAKEN,		/* handed to (or waiting for) its context's worker */
	DD_ROUTE_FORWARD,	/* for the event loop: the device's own, START and CLOSE */
	DD_ROUTE_FAULT,		/* malformed: the bridge connection is at fault */
};

void dd_router_init(struct dd_router *r);
void dd_router_destroy(struct dd_router *r);

/*
 * One whole message of @len bytes from the bridge. On DD_ROUTE_FAULT,
 * @why says what was wrong with it.
 */
enum dd_route_result dd_router_take(struct dd_router *r, const void *msg, size_t len,
				    char *why, size_t whylen);

/*
 * The event loop handled the oldest START of @ctx_id not yet answered:
 * the context's worker is now @worker (NULL if none could be started; its
 * messages are then dropped), of the kind its START named. Returns 0; -ENOENT if the context was
 * closed meanwhile (its CLOSE is on its way to the event loop); or the
 * worker's refusal of a message that waited for it.
 */
int dd_router_started(struct dd_router *r, uint32_t ctx_id, void *worker);

#endif
