// SPDX-License-Identifier: GPL-2.0-only
/*
 * DAEDALUS_IOC_EXPBUF: the daemon maps a buffer it holds through a dmabuf
 * of it. Only a buffer that is with the daemon under the tag given is
 * exported, OUTPUT buffers read-only. A client's imported dmabuf is handed
 * on as it is, so frames land in whatever memory the client queued.
 */
#include <linux/dma-buf.h>

#include "daedalus.h"

MODULE_IMPORT_NS(DMA_BUF);

/**
 * daedalus_expbuf_for_daemon - a buffer the daemon holds, as a dmabuf
 * @ddev: the device
 * @session: the caller's bridge session
 * @eb: what the daemon asked for
 *
 * Return: a dma_buf the caller owns a reference to, or an ERR_PTR: -ENOENT
 * for an unknown context, -ESTALE for a buffer no longer with the daemon,
 * -ERESTARTSYS when a signal came while it waited for the handle's lock.
 */
struct dma_buf *daedalus_expbuf_for_daemon(struct daedalus_dev *ddev, u32 session,
					   const struct daedalus_expbuf *eb)
{
	struct daedalus_buf *buf = NULL;
	struct dma_buf *dbuf = ERR_PTR(-ESTALE);
	struct daedalus_ctx *ctx;
	struct vb2_buffer *vb;
	unsigned long flags;
	bool stale;
	int ret;

	if (eb->queue > DAEDALUS_QUEUE_CAPTURE)
		return ERR_PTR(-EINVAL);
	ctx = daedalus_ctx_get(ddev, eb->ctx_id, &stale);
	if (!ctx)
		return ERR_PTR(stale ? -ESTALE : -ENOENT);

	/*
	 * The handle's lock keeps the buffer allocated while it is exported.
	 * No client holds it for long (an ioctl at a time, never waiting for
	 * the daemon), and a signal ends the wait.
	 */
	if (mutex_lock_interruptible(&ctx->lock)) {
		daedalus_ctx_put(ctx);
		return ERR_PTR(-ERESTARTSYS);
	}
	spin_lock_irqsave(&ctx->buf_lock, flags);
	ret = daedalus_handover_find(ctx, session, eb->queue, eb->tag, eb->index, &buf);
	spin_unlock_irqrestore(&ctx->buf_lock, flags);
	if (ret == 0) {
		vb = &buf->vb.vb2_buf;
		if (vb->memory == V4L2_MEMORY_DMABUF) {
			dbuf = vb->planes[0].dbuf;
			get_dma_buf(dbuf);
		} else if (vb->vb2_queue->mem_ops->get_dmabuf) {
			dbuf = vb->vb2_queue->mem_ops->get_dmabuf(vb, vb->planes[0].mem_priv,
				eb->queue == DAEDALUS_QUEUE_OUTPUT ? O_RDONLY : O_RDWR);
			if (!dbuf)
				dbuf = ERR_PTR(-ENOMEM);
		} else {
			dbuf = ERR_PTR(-EOPNOTSUPP);
		}
	} else if (ret < 0) {
		dbuf = ERR_PTR(-EINVAL);
	}
	mutex_unlock(&ctx->lock);
	daedalus_ctx_put(ctx);
	return dbuf;
}
