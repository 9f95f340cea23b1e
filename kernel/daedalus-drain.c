// SPDX-License-Identifier: GPL-2.0-only
/*
 * The drain state machine of dev-decoder.rst (Drain). This file alone
 * writes ctx->drain; the decoder commands, the daemon's replies and the
 * queues call these functions, each with buf_lock held.
 *
 *   NONE --begin--> ACTIVE --last_sent--> LAST --last_dequeued--> STOPPED
 *
 * STOP begins a drain; the daemon decodes everything queued before it and
 * flags the last frame buffer LAST; the drain ends when the client
 * dequeues that buffer, after which DQBUF on CAPTURE says EPIPE and new
 * bitstream waits for START (resume). STREAMOFF on either queue, and a
 * context failing, abort a drain (back to NONE) at any point.
 */
#include "daedalus.h"

/**
 * daedalus_drain_busy - a drain is under way: its LAST buffer not dequeued
 * @ctx: the handle, buf_lock held
 */
bool daedalus_drain_busy(const struct daedalus_ctx *ctx)
{
	return ctx->drain == DAEDALUS_DRAIN_ACTIVE || ctx->drain == DAEDALUS_DRAIN_LAST;
}

/**
 * daedalus_drain_begin - the daemon was asked to drain (DECODER_CMD STOP)
 * @ctx: the handle, buf_lock held; no drain busy
 */
void daedalus_drain_begin(struct daedalus_ctx *ctx)
{
	ctx->drain = DAEDALUS_DRAIN_ACTIVE;
}

/**
 * daedalus_drain_holds_bitstream - bitstream waits instead of going to the daemon
 * @ctx: the handle, buf_lock held
 *
 * During a drain, and after it until START, new bitstream is not decoded.
 */
bool daedalus_drain_holds_bitstream(const struct daedalus_ctx *ctx)
{
	return ctx->drain != DAEDALUS_DRAIN_NONE;
}

/**
 * daedalus_drain_owes_last - the daemon owes the LAST buffer of a drain
 * @ctx: the handle, buf_lock held
 */
bool daedalus_drain_owes_last(const struct daedalus_ctx *ctx)
{
	return ctx->drain == DAEDALUS_DRAIN_ACTIVE;
}

/**
 * daedalus_drain_last_ok - may the daemon flag a frame buffer LAST now?
 * @ctx: the handle, buf_lock held
 * @end_of_stream: the daemon drains on its own at an end-of-stream marking
 *
 * LAST ends the drain the client asked for, or is the daemon's own drain
 * at an end-of-stream marking in the bitstream (dev-decoder.rst, End of
 * Stream) while no drain is under way.
 */
bool daedalus_drain_last_ok(const struct daedalus_ctx *ctx, bool end_of_stream)
{
	return ctx->drain == DAEDALUS_DRAIN_ACTIVE ||
	       (ctx->drain == DAEDALUS_DRAIN_NONE && end_of_stream);
}

/**
 * daedalus_drain_last_sent - the LAST buffer went back to the client
 * @ctx: the handle, buf_lock held
 */
void daedalus_drain_last_sent(struct daedalus_ctx *ctx)
{
	ctx->drain = DAEDALUS_DRAIN_LAST;
}

/**
 * daedalus_drain_last_dequeued - the client dequeued a buffer flagged LAST
 * @ctx: the handle, buf_lock held
 *
 * Return: true if it ended a drain (Drain 3); false for a LAST left over
 * from a drain a seek cut short, or one that is not a drain's.
 */
bool daedalus_drain_last_dequeued(struct daedalus_ctx *ctx)
{
	if (ctx->drain != DAEDALUS_DRAIN_LAST)
		return false;
	ctx->drain = DAEDALUS_DRAIN_STOPPED;
	return true;
}

/**
 * daedalus_drain_abort - STREAMOFF or a failure ends any drain
 * @ctx: the handle, buf_lock held
 */
void daedalus_drain_abort(struct daedalus_ctx *ctx)
{
	ctx->drain = DAEDALUS_DRAIN_NONE;
}

/**
 * daedalus_drain_resume - DECODER_CMD START: decoding goes on
 * @ctx: the handle, buf_lock held
 *
 * Return: 0, or -EBUSY while a drain is under way (dev-decoder.rst).
 */
int daedalus_drain_resume(struct daedalus_ctx *ctx)
{
	if (daedalus_drain_busy(ctx))
		return -EBUSY;
	ctx->drain = DAEDALUS_DRAIN_NONE;
	return 0;
}
