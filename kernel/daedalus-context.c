// SPDX-License-Identifier: GPL-2.0-only
/*
 * Decoding contexts by id. The daemon names a context in every reply; a
 * lookup takes a reference, so a handle closing meanwhile frees nothing
 * the reply is still looking at.
 *
 * A context costs the daemon a thread or more and its buffers: one local
 * user may have only so many that hold buffers, and all users together
 * only so many more (both nodes count). Opening a handle costs next to
 * nothing and stays unlimited, as V4L2 clients expect (v4l2-compliance
 * opens a node a hundred times): a handle counts from its first buffers
 * to its close.
 */
#include <linux/cred.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>

#include "daedalus.h"

static unsigned int max_contexts = 64;
module_param(max_contexts, uint, 0644);
MODULE_PARM_DESC(max_contexts, "handles with buffers at once, all users together (default 64)");

static unsigned int max_contexts_per_user = 32;
module_param(max_contexts_per_user, uint, 0644);
MODULE_PARM_DESC(max_contexts_per_user, "handles with buffers one user may have at once (default 32)");

/**
 * daedalus_ctx_claim - a handle allocates buffers: it counts from now on
 * @ctx: the handle, its lock held
 *
 * Return: 0, or -EBUSY (logged, rate-limited) if it would pass
 * max_contexts or max_contexts_per_user.
 */
int daedalus_ctx_claim(struct daedalus_ctx *ctx)
{
	struct daedalus_dev *ddev = ctx->dev;
	unsigned int total_max = READ_ONCE(max_contexts);
	unsigned int user_max = READ_ONCE(max_contexts_per_user);
	unsigned int total = 0, user = 0;
	struct daedalus_ctx *other;
	unsigned long id;
	int ret = 0;

	xa_lock(&ddev->ctxs);
	if (ctx->counted)
		goto out;
	xa_for_each(&ddev->ctxs, id, other) {
		if (!other->counted)
			continue;
		total++;
		user += uid_eq(other->uid, ctx->uid);
	}
	if (total >= total_max) {
		dev_warn_ratelimited(ddev->v4l2_dev.dev,
				     "buffers refused: %u handles hold buffers (max_contexts)\n",
				     total);
		ret = -EBUSY;
	} else if (user >= user_max) {
		dev_warn_ratelimited(ddev->v4l2_dev.dev,
				     "buffers refused: user %u has %u handles with buffers (max_contexts_per_user)\n",
				     from_kuid_munged(&init_user_ns, ctx->uid), user);
		ret = -EBUSY;
	} else {
		ctx->counted = true;
	}
out:
	xa_unlock(&ddev->ctxs);
	return ret;
}

/**
 * daedalus_ctx_register - give a new handle its id
 * @ctx: the handle, its ref already initialised
 *
 * Return: 0 or a negative errno.
 */
int daedalus_ctx_register(struct daedalus_ctx *ctx)
{
	struct daedalus_dev *ddev = ctx->dev;
	int ret;

	xa_lock(&ddev->ctxs);
	ret = __xa_alloc_cyclic(&ddev->ctxs, &ctx->id, ctx, XA_LIMIT(1, INT_MAX),
				&ddev->ctx_next, GFP_KERNEL);
	if (ret >= 0)
		ddev->ctx_highest = max(ddev->ctx_highest, ctx->id);
	xa_unlock(&ddev->ctxs);
	return ret < 0 ? ret : 0;
}

/**
 * daedalus_ctx_unregister - take a closing handle's id out of reach
 * @ctx: the handle
 */
void daedalus_ctx_unregister(struct daedalus_ctx *ctx)
{
	xa_erase(&ctx->dev->ctxs, ctx->id);
}

/**
 * daedalus_ctx_get - find a context for a reply from the daemon
 * @ddev: the device
 * @id: the reply's ctx_id
 * @stale: set when no context has @id but one had it once
 *
 * Return: the context with a reference the caller puts, or NULL.
 */
struct daedalus_ctx *daedalus_ctx_get(struct daedalus_dev *ddev, u32 id, bool *stale)
{
	struct daedalus_ctx *ctx;

	xa_lock(&ddev->ctxs);
	ctx = xa_load(&ddev->ctxs, id);
	if (ctx && !kref_get_unless_zero(&ctx->ref))
		ctx = NULL;
	*stale = !ctx && id && id <= ddev->ctx_highest;
	xa_unlock(&ddev->ctxs);
	return ctx;
}

static void daedalus_ctx_free(struct kref *ref)
{
	struct daedalus_ctx *ctx = container_of(ref, struct daedalus_ctx, ref);

	v4l2_ctrl_handler_free(&ctx->hdl);
	v4l2_fh_exit(&ctx->fh);
	mutex_destroy(&ctx->lock);
	kfree(ctx);
}

/**
 * daedalus_ctx_put - drop a reference
 * @ctx: the context
 */
void daedalus_ctx_put(struct daedalus_ctx *ctx)
{
	kref_put(&ctx->ref, daedalus_ctx_free);
}

/**
 * daedalus_ctx_for_each - call @fn on every open context
 * @ddev: the device
 * @fn: called without locks held, with a reference on its context
 * @arg: passed to @fn
 */
void daedalus_ctx_for_each(struct daedalus_dev *ddev,
			   void (*fn)(struct daedalus_ctx *ctx, void *arg), void *arg)
{
	struct daedalus_ctx *ctx;
	unsigned long id;

	xa_lock(&ddev->ctxs);
	xa_for_each(&ddev->ctxs, id, ctx) {
		if (!kref_get_unless_zero(&ctx->ref))
			continue;
		xa_unlock(&ddev->ctxs);
		fn(ctx, arg);
		daedalus_ctx_put(ctx);
		xa_lock(&ddev->ctxs);
	}
	xa_unlock(&ddev->ctxs);
}
