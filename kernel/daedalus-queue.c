// SPDX-License-Identifier: GPL-2.0-only
/*
 * The two vb2 queues of every open handle: OUTPUT carries the bitstream,
 * CAPTURE the decoded frames. Written on vb2 directly, as Debian's kernels
 * have no v4l2-mem2mem; one consequence is that both queues share one mmap
 * offset space, split at DAEDALUS_CAP_MMAP_BASE.
 */
#include <linux/list.h>
#include <linux/moduleparam.h>
#include <media/videobuf2-vmalloc.h>
#if IS_ENABLED(CONFIG_VIDEOBUF2_DMA_CONTIG)
#include <media/videobuf2-dma-contig.h>
#endif
#if IS_ENABLED(CONFIG_VIDEOBUF2_DMA_SG)
#include <media/videobuf2-dma-sg.h>
#endif

#include "daedalus.h"

/*
 * What one handle's buffers of its own (MMAP; a client's dmabufs are its
 * own business) may take, both queues together: enough for 4K 10-bit with
 * a full DPB. Whatever the parameter says, each queue also stays within
 * its share of the mmap offset space, which on 6.1 vb2 fills with the
 * running sum of the buffers' sizes: OUTPUT below DAEDALUS_CAP_MMAP_BASE,
 * CAPTURE above it and below the 4 GiB a 32-bit offset reaches.
 */
static unsigned int max_buffer_mib = 2048;
module_param(max_buffer_mib, uint, 0644);
MODULE_PARM_DESC(max_buffer_mib, "MiB of buffers one handle may allocate, both queues together (default 2048)");

static const u64 daedalus_queue_room[] = {
	[DAEDALUS_QUEUE_OUTPUT] = DAEDALUS_CAP_MMAP_BASE,
	[DAEDALUS_QUEUE_CAPTURE] = SZ_4G - DAEDALUS_CAP_MMAP_BASE,
};

/**
 * daedalus_queue_id - the DAEDALUS_QUEUE_* a vb2 queue is, as the daemon names it
 * @vq: one of a handle's two queues
 *
 * Return: DAEDALUS_QUEUE_OUTPUT or DAEDALUS_QUEUE_CAPTURE.
 */
u32 daedalus_queue_id(const struct vb2_queue *vq)
{
	return V4L2_TYPE_IS_OUTPUT(vq->type) ? DAEDALUS_QUEUE_OUTPUT : DAEDALUS_QUEUE_CAPTURE;
}

/*
 * How many buffers of @bytes each @vq may allocate now, at most @wanted:
 * fewer when a limit is near (logged), 0 when not even one fits.
 */
static unsigned int daedalus_queue_fit(struct vb2_queue *vq, unsigned int wanted, u64 bytes)
{
	struct daedalus_ctx *ctx = vb2_get_drv_priv(vq);
	u32 q = daedalus_queue_id(vq);
	u64 limit = (u64)READ_ONCE(max_buffer_mib) * SZ_1M;
	u64 held = ctx->buf_bytes[DAEDALUS_QUEUE_OUTPUT] + ctx->buf_bytes[DAEDALUS_QUEUE_CAPTURE];
	u64 room = min(limit - min(limit, held), daedalus_queue_room[q] - ctx->buf_bytes[q]);
	u64 fits = div64_u64(room, bytes);

	if (vq->memory != VB2_MEMORY_MMAP || fits >= wanted)
		return wanted;
	dev_warn_ratelimited(ctx->dev->v4l2_dev.dev,
			     "context %u: %u of %u buffers of %llu bytes fit (max_buffer_mib %llu MiB held)\n",
			     ctx->id, (unsigned int)fits, wanted, bytes, held >> 20);
	return fits;
}

static const struct v4l2_pix_format_mplane *daedalus_queue_fmt(struct vb2_queue *vq)
{
	struct daedalus_ctx *ctx = vb2_get_drv_priv(vq);

	return V4L2_TYPE_IS_OUTPUT(vq->type) ? &ctx->out_fmt : &ctx->cap_fmt;
}

static struct list_head *daedalus_queue_pending(struct vb2_queue *vq)
{
	struct daedalus_ctx *ctx = vb2_get_drv_priv(vq);

	return V4L2_TYPE_IS_OUTPUT(vq->type) ? &ctx->out_pending : &ctx->cap_pending;
}

static int daedalus_queue_setup(struct vb2_queue *vq, unsigned int *nbuffers,
				unsigned int *nplanes, unsigned int sizes[],
				struct device *alloc_devs[])
{
	const struct v4l2_pix_format_mplane *pix = daedalus_queue_fmt(vq);
	u64 bytes = 0;
	unsigned int i;
	int ret;

	ret = daedalus_ctx_claim(vb2_get_drv_priv(vq));
	if (ret)
		return ret;

	/* CREATE_BUFS: the client's sizes must hold the current format. */
	if (*nplanes) {
		if (*nplanes != pix->num_planes)
			return -EINVAL;
		for (i = 0; i < pix->num_planes; i++)
			if (sizes[i] < pix->plane_fmt[i].sizeimage)
				return -EINVAL;
	} else {
		*nplanes = pix->num_planes;
		for (i = 0; i < pix->num_planes; i++)
			sizes[i] = pix->plane_fmt[i].sizeimage;
	}
	for (i = 0; i < *nplanes; i++)
		bytes += PAGE_ALIGN(sizes[i]);
	*nbuffers = daedalus_queue_fit(vq, *nbuffers, bytes);
	return *nbuffers ? 0 : -ENOMEM;
}

/* An MMAP buffer's memory is allocated: it counts against max_buffer_mib. */
static int daedalus_buf_init(struct vb2_buffer *vb)
{
	struct daedalus_ctx *ctx = vb2_get_drv_priv(vb->vb2_queue);
	struct daedalus_buf *buf = to_daedalus_buf(to_vb2_v4l2_buffer(vb));
	unsigned int i;

	if (vb->memory != VB2_MEMORY_MMAP)
		return 0;
	for (i = 0; i < vb->num_planes; i++)
		buf->charged += PAGE_ALIGN(vb2_plane_size(vb, i));
	ctx->buf_bytes[daedalus_queue_id(vb->vb2_queue)] += buf->charged;
	atomic64_add(buf->charged, &ctx->dev->buffer_bytes);
	return 0;
}

static int daedalus_buf_out_validate(struct vb2_buffer *vb)
{
	struct vb2_v4l2_buffer *vbuf = to_vb2_v4l2_buffer(vb);

	if (vbuf->field == V4L2_FIELD_ANY)
		vbuf->field = V4L2_FIELD_NONE;
	return vbuf->field == V4L2_FIELD_NONE ? 0 : -EINVAL;
}

/*
 * Called with buf_lock held: name the memory @buf holds for the daemon,
 * which keeps its mappings by that name. A client may queue a different
 * dmabuf under the same index each time (Chromium rotates its GBM
 * buffers); vb2 holds the attached one until another replaces it, so two
 * that differ never share an address here.
 */
static void daedalus_buf_name_memory(struct daedalus_ctx *ctx, struct daedalus_buf *buf)
{
	struct vb2_buffer *vb = &buf->vb.vb2_buf;
	const void *now = vb->memory == V4L2_MEMORY_DMABUF ? (void *)vb->planes[0].dbuf
							   : vb->planes[0].mem_priv;

	if (buf->memory && buf->memory_seen == now)
		return;
	buf->memory_seen = now;
	buf->memory = ++ctx->memory_next ?: ++ctx->memory_next;
}

static void daedalus_buf_queue(struct vb2_buffer *vb)
{
	struct daedalus_ctx *ctx = vb2_get_drv_priv(vb->vb2_queue);
	struct daedalus_buf *buf = to_daedalus_buf(to_vb2_v4l2_buffer(vb));
	bool sl_bitstream = ctx->stateless && V4L2_TYPE_IS_OUTPUT(vb->type);
	unsigned long flags;

	/* A request's controls are taken now, in process context (daedalus-sl-request.c). */
	if (sl_bitstream)
		daedalus_sl_buf_queued(ctx, vb);
	spin_lock_irqsave(&ctx->buf_lock, flags);
	if (sl_bitstream && daedalus_sl_refuses(ctx)) {
		/* Its request completes with it. */
		vb2_buffer_done(vb, VB2_BUF_STATE_ERROR);
		spin_unlock_irqrestore(&ctx->buf_lock, flags);
		return;
	}
	daedalus_buf_name_memory(ctx, buf);
	if (V4L2_TYPE_IS_OUTPUT(vb->type) || !daedalus_change_take_last(ctx, buf))
		list_add_tail(&buf->list, daedalus_queue_pending(vb->vb2_queue));
	spin_unlock_irqrestore(&ctx->buf_lock, flags);
	/* vb2 calls this under the queue lock, which is ctx->lock. */
	daedalus_handover_kick(ctx);
}

/* The buffer's memory is freed: so is what it kept for the daemon. */
static void daedalus_buf_cleanup(struct vb2_buffer *vb)
{
	struct daedalus_ctx *ctx = vb2_get_drv_priv(vb->vb2_queue);
	struct daedalus_buf *buf = to_daedalus_buf(to_vb2_v4l2_buffer(vb));

	ctx->buf_bytes[daedalus_queue_id(vb->vb2_queue)] -= buf->charged;
	atomic64_sub(buf->charged, &ctx->dev->buffer_bytes);
	buf->charged = 0;
	daedalus_sl_buf_release(buf);
}

static int daedalus_start_streaming(struct vb2_queue *vq, unsigned int count)
{
	return daedalus_handover_start(vb2_get_drv_priv(vq), vq);
}

/* Every buffer the driver or the daemon still holds goes back, flagged ERROR. */
static void daedalus_stop_streaming(struct vb2_queue *vq)
{
	daedalus_handover_stop(vb2_get_drv_priv(vq), vq);
}

static const struct vb2_ops daedalus_qops = {
	.queue_setup = daedalus_queue_setup,
	.buf_out_validate = daedalus_buf_out_validate,
	/*
	 * No buf_prepare: vb2 checks every plane against the size the queue was
	 * set up with, and a frame buffer left too small by a later resolution
	 * change still carries an empty LAST buffer; frames only go to buffers
	 * that hold them (the daemon picks those, and a FRAME reply is checked
	 * against the plane size).
	 */
	.buf_init = daedalus_buf_init,
	.buf_queue = daedalus_buf_queue,
	.buf_cleanup = daedalus_buf_cleanup,
	.buf_request_complete = daedalus_sl_buf_request_complete,
	.start_streaming = daedalus_start_streaming,
	.stop_streaming = daedalus_stop_streaming,
	DAEDALUS_VB2_WAIT_OPS
};

/**
 * daedalus_capture_mem_ops - the allocator the capture_mem parameter names
 * @mem: DAEDALUS_MEM_*
 *
 * Return: its vb2 memops, or NULL if this kernel was built without it.
 */
const struct vb2_mem_ops *daedalus_capture_mem_ops(unsigned int mem)
{
	switch (mem) {
#if IS_ENABLED(CONFIG_VIDEOBUF2_DMA_CONTIG)
	case DAEDALUS_MEM_DMA_CONTIG:
		return &vb2_dma_contig_memops;
#endif
#if IS_ENABLED(CONFIG_VIDEOBUF2_DMA_SG)
	case DAEDALUS_MEM_DMA_SG:
		return &vb2_dma_sg_memops;
#endif
	case DAEDALUS_MEM_VMALLOC:
		return &vb2_vmalloc_memops;
	default:
		return NULL;
	}
}

static int daedalus_queue_init_one(struct daedalus_ctx *ctx, struct vb2_queue *q,
				   u32 type, const struct vb2_mem_ops *mem_ops)
{
	q->type = type;
	q->io_modes = VB2_MMAP | VB2_DMABUF;
	q->drv_priv = ctx;
	q->buf_struct_size = sizeof(struct daedalus_buf);
	q->ops = &daedalus_qops;
	q->mem_ops = mem_ops;
	q->timestamp_flags = V4L2_BUF_FLAG_TIMESTAMP_COPY;
	q->lock = &ctx->lock;
	q->dev = ctx->dev->dev;
	/* An empty bitstream buffer is legal and means nothing. */
	q->allow_zero_bytesused = V4L2_TYPE_IS_OUTPUT(type);
	/*
	 * A frame too large for the allocator (dma-contig beyond what the
	 * page allocator or CMA can give) fails REQBUFS with ENOMEM; that is
	 * the client's answer, not a reason for a kernel warning.
	 */
	q->gfp_flags = __GFP_NOWARN;
	/* Charged to the caller's memory cgroup where the allocator lets it (dma-sg). */
	q->gfp_flags |= __GFP_ACCOUNT;
	/* dev-stateless-decoder.rst: every bitstream buffer comes in a request. */
	if (ctx->stateless && V4L2_TYPE_IS_OUTPUT(type)) {
		q->supports_requests = true;
		q->requires_requests = true;
	}
	return vb2_queue_init(q);
}

/**
 * daedalus_queues_init - set up both queues of a new handle
 * @ctx: the handle
 *
 * Bitstream buffers are CPU-only, so vmalloc serves them; frame buffers
 * use the memory chosen by the capture_mem module parameter.
 *
 * Return: 0 or a negative errno.
 */
int daedalus_queues_init(struct daedalus_ctx *ctx)
{
	int ret;

	ret = daedalus_queue_init_one(ctx, &ctx->out_q, V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE,
				      &vb2_vmalloc_memops);
	if (ret)
		return ret;
	ret = daedalus_queue_init_one(ctx, &ctx->cap_q, V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE,
				      daedalus_capture_mem_ops(daedalus_capture_mem));
	if (ret)
		vb2_queue_release(&ctx->out_q);
	return ret;
}

/**
 * daedalus_queue_for - the queue a buffer type addresses
 * @ctx: the handle
 * @type: V4L2_BUF_TYPE_* from userspace
 *
 * Return: the queue, or NULL for a type this node does not have.
 */
struct vb2_queue *daedalus_queue_for(struct daedalus_ctx *ctx, u32 type)
{
	switch (type) {
	case V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE:
		return &ctx->out_q;
	case V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE:
		return &ctx->cap_q;
	default:
		return NULL;
	}
}

/**
 * daedalus_queue_fix_offsets - move CAPTURE mmap offsets above OUTPUT's
 * @q: the queue @buf belongs to
 * @buf: a buffer just filled in by vb2 for userspace
 */
void daedalus_queue_fix_offsets(struct vb2_queue *q, struct v4l2_buffer *buf)
{
	unsigned int i;

	if (V4L2_TYPE_IS_OUTPUT(q->type) || buf->memory != V4L2_MEMORY_MMAP)
		return;
	for (i = 0; i < buf->length; i++)
		buf->m.planes[i].m.mem_offset += DAEDALUS_CAP_MMAP_BASE;
}
