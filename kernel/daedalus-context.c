// SPDX-License-Identifier: GPL-2.0-only
/*
 * Decoding contexts by id. The daemon names a context in every reply; a
 * lookup takes a reference, so a handle closing meanwhile frees nothing
 * the reply is still looking at.
 *
 * Each context costs the daemon a thread or more and its buffers: one
 * local user may open only so many, and all users together only so many
 * more (both nodes count).
 */
#include <linux/cred.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>

#include "daedalus.h"

static unsigned int max_contexts = 64;
module_param(max_contexts, uint, 0644);
MODULE_PARM_DESC(max_contexts, "decoding contexts open at once, all users together (default 64)");

static unsigned int max_contexts_per_user = 32;
module_param(max_contexts_per_user, uint, 0644);
MODULE_PARM_DESC(max_contexts_per_user, "decoding contexts one user may have open at once (default 32)");

/* Called with the xarray locked: -EBUSY, logged, if one more would pass a limit. */
static int daedalus_ctx_over_limit(struct daedalus_dev *ddev, kuid_t uid)
{
	unsigned int total_max = READ_ONCE(max_contexts);
	unsigned int user_max = READ_ONCE(max_contexts_per_user);
	unsigned int total = 0, user = 0;
	struct daedalus_ctx *other;
	unsigned long id;

	xa_for_each(&ddev->ctxs, id, other) {
		total++;
		user += uid_eq(other->uid, uid);
	}
	if (total >= total_max) {
		dev_warn_ratelimited(ddev->v4l2_dev.dev,
				     "open refused: %u contexts are open (max_contexts)\n", total);
		return -EBUSY;
	}
	if (user >= user_max) {
		dev_warn_ratelimited(ddev->v4l2_dev.dev,
				     "open refused: user %u has %u contexts open (max_contexts_per_user)\n",
				     from_kuid_munged(&init_user_ns, uid), user);
		return -EBUSY;
	}
	return 0;
}

/**
 * daedalus_ctx_register - give a new handle its id, within the limits
 * @ctx: the handle, its ref and uid already set
 *
 * Return: 0, -EBUSY past max_contexts or max_contexts_per_user, or
 * another negative errno.
 */
int daedalus_ctx_register(struct daedalus_ctx *ctx)
{
	struct daedalus_dev *ddev = ctx->dev;
	int ret;

	xa_lock(&ddev->ctxs);
	ret = daedalus_ctx_over_limit(ddev, ctx->uid);
	if (!ret)
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
