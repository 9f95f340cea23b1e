/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * daedalus-v4l2: a V4L2 stateful video decoder whose decoding runs in a
 * userspace daemon. Internal definitions shared by the module's files.
 */
#ifndef _DAEDALUS_H_
#define _DAEDALUS_H_

#include <linux/atomic.h>
#include <linux/ctype.h>
#include <linux/ktime.h>
#include <linux/miscdevice.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <linux/kref.h>
#include <linux/uidgid.h>
#include <media/media-device.h>
#include <media/v4l2-ctrls.h>
#include <media/v4l2-device.h>
#include <media/v4l2-fh.h>
#include <media/videobuf2-v4l2.h>

#include <linux/daedalus-v4l2.h>

#include "daedalus-compat.h"

#define DAEDALUS_NAME		"daedalus-v4l2"
/*
 * One version for the whole project, package.json's: the build passes it
 * (scripts/ on the make command line, the DKMS package through
 * kernel/Makefile from its dkms.conf).
 */
#ifndef DAEDALUS_VERSION
#error "DAEDALUS_VERSION is not defined: build with kernel/Makefile, scripts/build-module or DKMS"
#endif

/* Placeholder frame size until a stream says otherwise. */
#define DAEDALUS_DEF_WIDTH	1280
#define DAEDALUS_DEF_HEIGHT	720
/* Frame-size limit while no daemon has announced its own. */
#define DAEDALUS_DEF_MAX_DIM	4096

/* CAPTURE mmap offsets sit above this, OUTPUT ones below (one node, two queues). */
#define DAEDALUS_CAP_MMAP_BASE	BIT(30)

/*
 * Messages waiting for the daemon to read them: replies to its own
 * messages wait for the queue to drop below DAEDALUS_TXQ_MAX; one
 * context's own (jobs, frame buffers, controls) fail beyond its share,
 * DAEDALUS_CTX_QUEUE_MAX (the uAPI header), far above what its buffers
 * need (a job and a frame buffer each, a few controls); all of them beyond
 * DAEDALUS_TXQ_HARD_MAX.
 */
#define DAEDALUS_TXQ_MAX	256
#define DAEDALUS_TXQ_HARD_MAX	8192

/**
 * struct daedalus_caps - what the connected daemon decodes
 * @codecs: bit set of DAEDALUS_CODEC_*; for one node's view
 *	(daedalus_ctx_caps()), the codecs that node offers
 * @pixfmts: bit set of DAEDALUS_PIXFMT_*
 * @max_width: largest coded width
 * @max_height: largest coded height
 * @sl_codecs: the codecs the stateless node offers
 * @stateless: the view is the stateless node's: @codecs name its formats
 */
struct daedalus_caps {
	u32 codecs;
	u32 pixfmts;
	u32 max_width;
	u32 max_height;
	u32 sl_codecs;
	bool stateless;
};

/* Why messages from the daemon were refused; one counter each. */
enum daedalus_reject {
	DAEDALUS_REJECT_SHORT,		/* shorter than a header */
	DAEDALUS_REJECT_MAGIC,
	DAEDALUS_REJECT_VERSION,
	DAEDALUS_REJECT_TYPE,		/* unknown, or wrong direction */
	DAEDALUS_REJECT_LENGTH,		/* length field vs write size vs type */
	DAEDALUS_REJECT_FIELD,		/* reserved, ctx_id or payload value */
	DAEDALUS_REJECT_STATE,		/* not valid now, e.g. a second HELLO */
	DAEDALUS_REJECT_CONTEXT,	/* a context that never existed */
	DAEDALUS_REJECT_BUFFER,		/* a buffer not with the daemon, or too small */
	DAEDALUS_REJECT_COUNT
};

/**
 * struct daedalus_bridge_stats - counters shown in sysfs and debugfs
 * @connects: opens of the bridge that were accepted
 * @busy: opens refused because the bridge was already open
 * @rx: messages accepted from the daemon
 * @tx: messages read by the daemon
 * @pings_rx: PINGs from the daemon, answered
 * @pongs_rx: PONGs from the daemon to the kernel's PINGs
 * @tx_dropped: kernel PINGs dropped because the daemon was not reading
 * @jobs: bitstream buffers handed to the daemon
 * @frames: frame buffers the daemon filled
 * @stale: replies that lost a race with the client, dropped quietly
 * @timeouts: contexts whose jobs timed out
 * @source_changes: dynamic resolution changes signalled to clients
 * @rejected: refused messages by reason
 */
struct daedalus_bridge_stats {
	atomic64_t connects;
	atomic64_t busy;
	atomic64_t rx;
	atomic64_t tx;
	atomic64_t pings_rx;
	atomic64_t pongs_rx;
	atomic64_t tx_dropped;
	atomic64_t jobs;
	atomic64_t frames;
	atomic64_t stale;
	atomic64_t timeouts;
	atomic64_t source_changes;
	atomic64_t rejected[DAEDALUS_REJECT_COUNT];
};

/**
 * struct daedalus_bridge - the daemon's side of the device
 * @misc: /dev/daedalus-v4l2
 * @lock: protects everything below except @stats
 * @owner: the open file of the daemon holding the bridge, NULL if none
 * @hello_done: that daemon's HELLO was accepted; @caps is valid
 * @session: counts accepted HELLOs; contexts remember the one they run under
 * @caps: what it decodes
 * @daemon_pid: its thread-group id, for the logs and sysfs
 * @daemon_version: the version string from its HELLO
 * @txq: messages for the daemon, oldest first
 * @txq_len: entries in @txq
 * @tx_seq: sequence numbers of kernel-originated messages
 * @ping_pending: a kernel PING awaits its PONG
 * @ping_seq: its seq
 * @ping_cookie: its cookie
 * @ping_sent: when it was queued
 * @ping_rtt_ns: round-trip time of the last answered one
 * @read_wq: woken when @txq gains a message or the bridge closes
 * @write_wq: woken when @txq has room again
 * @stats: counters
 */
struct daedalus_bridge {
	struct miscdevice misc;
	spinlock_t lock;	/* taken from process context only */
	struct file *owner;
	bool hello_done;
	u32 session;
	struct daedalus_caps caps;
	pid_t daemon_pid;
	char daemon_version[DAEDALUS_VERSION_LEN];
	struct list_head txq;
	unsigned int txq_len;
	u32 tx_seq;
	bool ping_pending;
	u32 ping_seq;
	u64 ping_cookie;
	ktime_t ping_sent;
	s64 ping_rtt_ns;
	wait_queue_head_t read_wq;
	wait_queue_head_t write_wq;
	struct daedalus_bridge_stats stats;
};

/**
 * struct daedalus_media - the media controller graph of an m2m decoder
 * @source: the video node as seen from the OUTPUT side
 * @proc: the decoder itself
 * @sink: the video node as seen from the CAPTURE side
 * @source_pad: @source's only pad
 * @proc_pads: @proc's sink and source pads
 * @sink_pad: @sink's only pad
 * @intf: the video node's devnode interface
 * @names: the entities' names
 */
struct daedalus_media {
	struct media_entity source;
	struct media_entity proc;
	struct media_entity sink;
	struct media_pad source_pad;
	struct media_pad proc_pads[2];
	struct media_pad sink_pad;
	struct media_intf_devnode *intf;
	/* The video node's name (64 bytes at most) and a suffix. */
	char names[3][72];
};

/**
 * struct daedalus_sl_node - the stateless decoder node (daedalus-sl-core.c)
 * @v4l2_dev: its own V4L2 device, whose media device supports requests;
 *	it holds a reference on the stateful node's, which owns the memory
 * @mdev: its media device
 * @vdev: the video node
 * @media: its media graph
 * @registered: the node exists (module parameter stateless)
 */
struct daedalus_sl_node {
	struct v4l2_device v4l2_dev;
	struct media_device mdev;
	struct video_device vdev;
	struct daedalus_media media;
	bool registered;
};

/**
 * struct daedalus_dev - one decoder device
 * @dev: the platform device's struct device, used for DMA allocations
 * @v4l2_dev: V4L2 device
 * @mdev: media device
 * @vdev: the decoder video node
 * @media: its media graph
 * @sl: the stateless node
 * @bridge: the daemon bridge
 * @debugfs: debugfs directory
 * @contexts: open video-node handles
 * @ctxs: the same, by context id, for the daemon's replies
 * @ctx_next: next id xa_alloc_cyclic() tries
 * @ctx_highest: highest id ever handed out: a reply for an id at most this
 *	that is no longer in @ctxs is stale, above it is invalid
 */
struct daedalus_dev {
	struct device *dev;
	struct v4l2_device v4l2_dev;
	struct media_device mdev;
	struct video_device vdev;
	struct daedalus_media media;
	struct daedalus_sl_node sl;
	struct daedalus_bridge bridge;
	struct dentry *debugfs;
	atomic_t contexts;
	atomic64_t buffer_bytes;	/* every handle's MMAP buffers: 0 once all are freed */
	struct xarray ctxs;
	u32 ctx_next;
	u32 ctx_highest;
};

/* Where a handle is in the drain sequence of dev-decoder.rst. */
enum daedalus_drain {
	DAEDALUS_DRAIN_NONE,	/* decoding */
	DAEDALUS_DRAIN_ACTIVE,	/* STOP issued, LAST not yet given back */
	DAEDALUS_DRAIN_LAST,	/* LAST given back, not yet dequeued: still draining */
	DAEDALUS_DRAIN_STOPPED,	/* drained; new bitstream waits for START */
};

/* Bitstream buffers whose metadata frames may still refer to, at most. */
#define DAEDALUS_META_KEEP	64

/**
 * struct daedalus_meta - what a frame inherits from its bitstream buffer
 * @timestamp: the key: the frame's timestamp
 * @flags: V4L2_BUF_FLAG_TIMECODE and the timestamp source flags
 * @timecode: the timecode
 */
struct daedalus_meta {
	u64 timestamp;
	u32 flags;
	struct v4l2_timecode timecode;
};

/**
 * struct daedalus_ctx - one open handle of the video node: a decoding session
 * @fh: V4L2 file handle, first so file->private_data converts to it
 * @dev: the device
 * @id: names the context on the bridge
 * @stateless: a handle of the stateless node (dev-stateless-decoder.rst)
 * @ref: the handle holds one reference, a daemon reply in progress another
 * @lock: serialises this handle's ioctls; also both vb2 queues' lock
 * @out_q: OUTPUT (bitstream) queue
 * @cap_q: CAPTURE (decoded frames) queue
 * @hdl: controls
 * @min_cap_ctrl: MIN_BUFFERS_FOR_CAPTURE, set from the stream
 * @out_fmt: OUTPUT format
 * @cap_fmt: CAPTURE format (coded resolution of the frame buffers)
 * @visible: the visible rectangle within @cap_fmt
 * @bit_depth: of the stream, 0 until its headers were parsed
 * @watchdog: fails jobs the daemon sits on for longer than job_timeout_ms
 * @buf_lock: protects everything below
 * @closed: the handle is being released; the daemon's replies find nothing
 * @session: bridge session the daemon knows this context in, 0 for none
 * @failed: the daemon went away or gave up on the stream
 *	(@closed, @session and @failed: written by daedalus-lifecycle.c only)
 * @out_pending: OUTPUT buffers queued and not yet handed to the daemon
 * @out_active: OUTPUT buffers with the daemon
 * @cap_pending: CAPTURE buffers queued and not yet handed to the daemon
 * @cap_active: CAPTURE buffers with the daemon
 * @next_tag: tag of the next hand-over
 * @stale_below: per DAEDALUS_QUEUE_*, tags below which a reply is stale
 * @out_seq: sequence number of the next OUTPUT buffer given back
 * @cap_seq: sequence number of the next frame given back
 * @cap_paused, @cap_ready, @change*, @info_* and @bit_depth are
 *	written by daedalus-change.c only; in a stateless context, where no
 *	stream change happens, @bit_depth by daedalus-sl-ctrls.c only
 * @cap_paused: a SOURCE_CHANGE awaits the client's answer; frame buffers wait
 * @drain: drain state, written by daedalus-drain.c only
 * @cap_ready: frames given back and not yet dequeued
 * @change_pending: a dynamic source change (@change) waits for @cap_ready to reach 0
 * @change: the STREAM_INFO that waits
 * @change_last_owed: a dynamic change took effect with no CAPTURE buffer
 *	queued: the next one queued goes back as its LAST buffer
 * @change_epipe: the LAST buffer given back ends a dynamic change, not a drain
 * @change_unanswered: a dynamic change took effect and CAPTURE is not set up
 *	again yet: its STREAMOFF answers the change and ends no drain
 * @meta: ring of the last bitstream buffers' metadata
 * @meta_next: where the next goes in @meta
 * @memory_next: the last name given to a buffer's memory
 * @info_work: applies @info_next under @lock when the daemon found it held
 * @info_next: the newest STREAM_INFO from the daemon, not yet applied
 * @info_session: the bridge session it came in
 * @info_waiting: @info_next waits for @info_work
 * @sl_holding, @sl_held_tag, @sl_held_ts: a stateless picture's frame
 *	buffer held for more of its requests, by tag, and the picture's
 *	timestamp; written by daedalus-sl-hold.c only
 */
struct daedalus_ctx {
	struct v4l2_fh fh;
	struct daedalus_dev *dev;
	u32 id;
	kuid_t uid;	/* who opened it, for max_contexts_per_user */
	bool counted;	/* holds buffers: counts against the limits (xarray lock) */
	bool stateless;
	struct kref ref;
	struct mutex lock;	/* ioctls of this handle, and vb2's queue lock */
	struct vb2_queue out_q;
	struct vb2_queue cap_q;
	struct v4l2_ctrl_handler hdl;
	struct v4l2_ctrl *min_cap_ctrl;
	struct v4l2_pix_format_mplane out_fmt;
	struct v4l2_pix_format_mplane cap_fmt;
	struct v4l2_rect visible;
	u32 bit_depth;
	struct delayed_work watchdog;
	spinlock_t buf_lock;	/* buffer lists and decode state; vb2 callbacks may be atomic */
	bool closed;
	u32 session;
	bool failed;
	atomic_t failed_polls;	/* polls since it failed: see daedalus_poll() */
	struct list_head out_pending;
	struct list_head out_active;
	struct list_head cap_pending;
	struct list_head cap_active;
	u32 next_tag;
	u32 stale_below[2];
	u32 out_seq;
	u32 cap_seq;
	bool cap_paused;
	enum daedalus_drain drain;
	unsigned int cap_ready;
	bool change_pending;
	struct daedalus_msg_stream_info change;
	bool change_last_owed;
	bool change_epipe;
	bool change_unanswered;
	struct daedalus_meta meta[DAEDALUS_META_KEEP];
	unsigned int meta_next;
	u32 memory_next;
	struct work_struct info_work;
	struct daedalus_msg_stream_info info_next;
	u32 info_session;
	bool info_waiting;
	bool sl_holding;
	u32 sl_held_tag;
	u64 sl_held_ts;
	unsigned int txq_queued;	/* its messages in the bridge's queue, under its lock */
	u64 buf_bytes[2];	/* its MMAP buffers' memory, per DAEDALUS_QUEUE_* (under @lock) */
};

/**
 * struct daedalus_buf - a vb2 buffer of either queue
 * @vb: vb2 buffer, first as vb2 requires
 * @list: entry in a pending or active list
 * @tag: the tag it was last handed to the daemon with
 * @memory: names its memory for the daemon (daedalus_msg_capbuf.memory)
 * @memory_seen: that memory (a dmabuf, or vb2's own allocation), only
 *	ever compared
 * @sl_ctrls: a stateless OUTPUT buffer's request controls for the daemon
 *	(daedalus-sl-request.c), NULL if it has none
 * @sl_ctrls_len: their size in bytes
 * @pair_tag: a stateless OUTPUT buffer with the daemon: the tag of the
 *	CAPTURE buffer handed over with it
 * @sl_hold: that job went with DAEDALUS_SL_HOLD: its picture goes on
 * @sl_bad_ref: a stateless CAPTURE buffer's picture names a reference no
 *	frame buffer carries (daedalus-sl-refs.c): it completes with ERROR
 * @charged: bytes of its memory counted in its handle's buf_bytes
 */
struct daedalus_buf {
	struct vb2_v4l2_buffer vb;
	struct list_head list;
	u32 tag;
	u32 memory;
	const void *memory_seen;
	void *sl_ctrls;
	u32 sl_ctrls_len;
	u32 pair_tag;
	bool sl_hold;
	bool sl_bad_ref;
	u64 charged;
};

/**
 * struct daedalus_coded_fmt - a compressed format of the OUTPUT queue
 * @fourcc: V4L2 pixel format
 * @codec: DAEDALUS_CODEC_* the daemon must announce for it
 * @description: for ENUM_FMT, where the running kernel may not know @fourcc
 * @continuous: a buffer may hold any chunk of the byte stream
 */
struct daedalus_coded_fmt {
	u32 fourcc;
	unsigned int codec;
	const char *description;
	bool continuous;
};

/**
 * struct daedalus_raw_fmt - a decoded format of the CAPTURE queue
 * @fourcc: V4L2 pixel format (single-buffer, planes contiguous)
 * @pixfmt: DAEDALUS_PIXFMT_* the daemon must announce for it
 */
struct daedalus_raw_fmt {
	u32 fourcc;
	unsigned int pixfmt;
};

static inline struct daedalus_ctx *file_to_ctx(struct file *file)
{
	return container_of(file->private_data, struct daedalus_ctx, fh);
}

static inline struct daedalus_buf *to_daedalus_buf(struct vb2_v4l2_buffer *vbuf)
{
	return container_of(vbuf, struct daedalus_buf, vb);
}

/*
 * Called with buf_lock held: whether the daemon may get this context's
 * buffers. The fields are daedalus-lifecycle.c's to write.
 */
static inline bool daedalus_ctx_live(const struct daedalus_ctx *ctx)
{
	return ctx->session && !ctx->failed && !ctx->closed;
}

/*
 * Whether a stateless context refuses bitstream buffers: it failed while
 * its OUTPUT queue streams (daedalus-lifecycle.c). QBUF and a request's
 * validation then fail with EIO, and a buffer that gets past them (the
 * context failed in between) is returned with ERROR when it reaches the
 * driver, under buf_lock, which the failure holds while it takes every
 * buffer back: none is left behind.
 */
static inline bool daedalus_sl_refuses(struct daedalus_ctx *ctx)
{
	return READ_ONCE(ctx->failed) && vb2_start_streaming_called(&ctx->out_q);
}

/*
 * Called with buf_lock held: every buffer of @queue, pending or with the
 * daemon, moves to @to; the daemon's replies about them are stale.
 */
static inline void daedalus_buffers_take_back(struct daedalus_ctx *ctx, u32 queue,
					      struct list_head *to)
{
	if (queue == DAEDALUS_QUEUE_OUTPUT) {
		list_splice_tail_init(&ctx->out_active, to);
		list_splice_tail_init(&ctx->out_pending, to);
	} else {
		list_splice_tail_init(&ctx->cap_active, to);
		list_splice_tail_init(&ctx->cap_pending, to);
	}
	ctx->stale_below[queue] = ctx->next_tag;
}

/* The buffers on @list go back to vb2 in @state. */
static inline void daedalus_buffers_return(struct list_head *list, enum vb2_buffer_state state)
{
	struct daedalus_buf *buf, *tmp;

	list_for_each_entry_safe(buf, tmp, list, list) {
		list_del(&buf->list);
		vb2_buffer_done(&buf->vb.vb2_buf, state);
	}
}

/* A fixed-size string field from the daemon: NUL-terminated within its size, printable before. */
static inline bool daedalus_string_ok(const char *s, size_t size)
{
	size_t i;

	for (i = 0; i < size && s[i]; i++)
		if (!isprint(s[i]))
			return false;
	return i < size;
}

/* CAPTURE buffer allocators, as the capture_mem module parameter numbers them. */
enum daedalus_mem {
	DAEDALUS_MEM_DMA_CONTIG,
	DAEDALUS_MEM_DMA_SG,
	DAEDALUS_MEM_VMALLOC,
};

/* daedalus-core.c */
extern unsigned int daedalus_capture_mem;
extern unsigned int daedalus_job_timeout_ms;

/* daedalus-media.c */
int daedalus_media_register(struct media_device *mdev, struct video_device *vdev,
			    struct daedalus_media *m);
void daedalus_media_unregister(struct media_device *mdev, struct daedalus_media *m);

/* daedalus-video.c: the stateful node, and what the stateless one shares */
extern const struct v4l2_file_operations daedalus_fops;
extern const struct v4l2_ioctl_ops daedalus_ioctl_ops;
#define DAEDALUS_CODEC_MENUS	6
void daedalus_codec_menus_add(struct v4l2_ctrl_handler *hdl);
int daedalus_ctx_open(struct file *file, bool stateless);
int daedalus_ctx_release(struct file *file);
__poll_t daedalus_poll(struct file *file, poll_table *wait);
int daedalus_mmap(struct file *file, struct vm_area_struct *vma);
bool daedalus_is_dqevent(unsigned int cmd);
int daedalus_enum_fmt(struct file *file, void *priv, struct v4l2_fmtdesc *f);
int daedalus_g_fmt(struct file *file, void *priv, struct v4l2_format *f);
int daedalus_try_fmt_out(struct file *file, void *priv, struct v4l2_format *f);
int daedalus_try_fmt_cap(struct file *file, void *priv, struct v4l2_format *f);
int daedalus_s_fmt_out(struct file *file, void *priv, struct v4l2_format *f);
int daedalus_s_fmt_cap(struct file *file, void *priv, struct v4l2_format *f);
int daedalus_enum_framesizes(struct file *file, void *priv, struct v4l2_frmsizeenum *fsize);
int daedalus_reqbufs(struct file *file, void *priv, struct v4l2_requestbuffers *rb);
int daedalus_create_bufs(struct file *file, void *priv, struct v4l2_create_buffers *cb);
int daedalus_querybuf(struct file *file, void *priv, struct v4l2_buffer *b);
int daedalus_qbuf(struct file *file, void *priv, struct v4l2_buffer *b);
int daedalus_prepare_buf(struct file *file, void *priv, struct v4l2_buffer *b);
int daedalus_expbuf(struct file *file, void *priv, struct v4l2_exportbuffer *eb);
int daedalus_streamon(struct file *file, void *priv, enum v4l2_buf_type type);

/* daedalus-sl-core.c */
extern bool daedalus_stateless;
int daedalus_sl_register(struct daedalus_dev *ddev);
void daedalus_sl_unregister(struct daedalus_dev *ddev);

/* daedalus-sl-video.c */
extern const struct v4l2_file_operations daedalus_sl_fops;
extern const struct v4l2_ioctl_ops daedalus_sl_ioctl_ops;

/* daedalus-sl-request.c */
extern const struct media_device_ops daedalus_sl_media_ops;
void daedalus_sl_buf_queued(struct daedalus_ctx *ctx, struct vb2_buffer *vb);
void daedalus_sl_buf_request_complete(struct vb2_buffer *vb);
void daedalus_sl_buf_release(struct daedalus_buf *buf);
long daedalus_sl_ctrls_for_daemon(struct daedalus_dev *ddev, u32 session,
				  struct daedalus_sl_ctrls __user *uarg);

/* daedalus-sl-ctrls.c */
int daedalus_sl_ctrls_init(struct daedalus_ctx *ctx);
u32 daedalus_sl_kernel_codecs(void);

/* daedalus-sl-dispatch.c */
void daedalus_sl_kick(struct daedalus_ctx *ctx);
int daedalus_sl_flush(struct daedalus_ctx *ctx);

/* daedalus-sl-hold.c: each but the last called with buf_lock held */
struct daedalus_buf *daedalus_sl_hold_find(struct daedalus_ctx *ctx);
bool daedalus_sl_hold_continues(struct daedalus_ctx *ctx, const struct daedalus_buf *out);
void daedalus_sl_hold_begin(struct daedalus_ctx *ctx, const struct daedalus_buf *cap, u64 ts);
struct daedalus_buf *daedalus_sl_hold_end(struct daedalus_ctx *ctx);
struct daedalus_buf *daedalus_sl_hold_flush(struct daedalus_ctx *ctx);
void daedalus_sl_hold_caps(struct daedalus_ctx *ctx);

/* daedalus-sl-refs.c */
bool daedalus_sl_refs_check(struct daedalus_ctx *ctx, const struct daedalus_buf *out);

/* daedalus-sl-replies.c */
int daedalus_sl_rx_job_done(struct daedalus_ctx *ctx, u32 session,
			    const struct daedalus_msg_job_done *done);
int daedalus_sl_rx_frame(struct daedalus_ctx *ctx, u32 session,
			 const struct daedalus_msg_frame *frame);

/* daedalus-queue.c */
int daedalus_queues_init(struct daedalus_ctx *ctx);
const struct vb2_mem_ops *daedalus_capture_mem_ops(unsigned int mem);
struct vb2_queue *daedalus_queue_for(struct daedalus_ctx *ctx, u32 type);
u32 daedalus_queue_id(const struct vb2_queue *vq);
void daedalus_queue_fix_offsets(struct vb2_queue *q, struct v4l2_buffer *buf);

/* daedalus-decoder-cmd.c */
int daedalus_try_decoder_cmd(struct file *file, void *priv, struct v4l2_decoder_cmd *dc);
int daedalus_decoder_cmd(struct file *file, void *priv, struct v4l2_decoder_cmd *dc);

/* daedalus-drain.c: each called with buf_lock held */
bool daedalus_drain_busy(const struct daedalus_ctx *ctx);
void daedalus_drain_begin(struct daedalus_ctx *ctx);
bool daedalus_drain_holds_bitstream(const struct daedalus_ctx *ctx);
bool daedalus_drain_owes_last(const struct daedalus_ctx *ctx);
bool daedalus_drain_last_ok(const struct daedalus_ctx *ctx, bool end_of_stream);
void daedalus_drain_last_sent(struct daedalus_ctx *ctx);
bool daedalus_drain_last_dequeued(struct daedalus_ctx *ctx);
void daedalus_drain_abort(struct daedalus_ctx *ctx);
int daedalus_drain_resume(struct daedalus_ctx *ctx);

/* daedalus-change.c */
bool daedalus_change_stream(struct daedalus_ctx *ctx, const struct daedalus_msg_stream_info *si);
void daedalus_change_dequeued(struct daedalus_ctx *ctx);
bool daedalus_change_take_last(struct daedalus_ctx *ctx, struct daedalus_buf *buf);
bool daedalus_change_cap_stopped(struct daedalus_ctx *ctx);
void daedalus_change_flush(struct daedalus_ctx *ctx);
void daedalus_change_received(struct daedalus_ctx *ctx, u32 session,
			      const struct daedalus_msg_stream_info *si);
bool daedalus_change_info_apply(struct daedalus_ctx *ctx);
void daedalus_change_forget(struct daedalus_ctx *ctx);
void daedalus_change_new_stream(struct daedalus_ctx *ctx);
bool daedalus_change_holds_frames(const struct daedalus_ctx *ctx);
void daedalus_change_cap_started(struct daedalus_ctx *ctx);
void daedalus_change_resume(struct daedalus_ctx *ctx);
void daedalus_change_frame_given(struct daedalus_ctx *ctx);
bool daedalus_change_last_dequeued(struct daedalus_ctx *ctx);

/* daedalus-context.c */
int daedalus_ctx_register(struct daedalus_ctx *ctx);
int daedalus_ctx_claim(struct daedalus_ctx *ctx);
void daedalus_ctx_unregister(struct daedalus_ctx *ctx);
struct daedalus_ctx *daedalus_ctx_get(struct daedalus_dev *ddev, u32 id, bool *stale);
void daedalus_ctx_put(struct daedalus_ctx *ctx);
void daedalus_ctx_for_each(struct daedalus_dev *ddev,
			   void (*fn)(struct daedalus_ctx *ctx, void *arg), void *arg);

/* daedalus-lifecycle.c */
/* Why a context failed, for the log: the daemon left. */
#define DAEDALUS_WHY_GONE		"the daemon went away"
bool daedalus_ctx_live_for(struct daedalus_ctx *ctx, u32 session);
void daedalus_ctx_fail(struct daedalus_ctx *ctx, const char *why);
void daedalus_ctx_tell(struct daedalus_ctx *ctx, u16 type, u32 queue);
int daedalus_ctx_start(struct daedalus_ctx *ctx);
void daedalus_ctx_close(struct daedalus_ctx *ctx);
void daedalus_ctx_daemon_lost(struct daedalus_dev *ddev, u32 session);

/* daedalus-handover.c */
void daedalus_handover_touch(struct daedalus_ctx *ctx);
void daedalus_handover_kick(struct daedalus_ctx *ctx);
int daedalus_handover_start(struct daedalus_ctx *ctx, struct vb2_queue *vq);
void daedalus_handover_stop(struct daedalus_ctx *ctx, struct vb2_queue *vq);
int daedalus_handover_find(struct daedalus_ctx *ctx, u32 session, u32 queue, u32 tag,
			   u32 index, struct daedalus_buf **found);
void daedalus_handover_recall_frames(struct daedalus_ctx *ctx);
void daedalus_handover_watchdog(struct work_struct *work);

/* daedalus-meta.c */
void daedalus_meta_keep(struct daedalus_ctx *ctx, const struct vb2_v4l2_buffer *vbuf);
void daedalus_meta_copy(struct daedalus_ctx *ctx, struct vb2_v4l2_buffer *vbuf);
void daedalus_meta_pair(const struct vb2_v4l2_buffer *out, struct vb2_v4l2_buffer *cap);

/* daedalus-replies.c */
int daedalus_replies_rx(struct daedalus_dev *ddev, u32 session, u16 type, const void *msg);
void daedalus_replies_info_work(struct work_struct *work);

/* daedalus-expbuf.c */
struct dma_buf *daedalus_expbuf_for_daemon(struct daedalus_dev *ddev, u32 session,
					   const struct daedalus_expbuf *eb);

/* daedalus-formats.c */
void daedalus_node_caps(struct daedalus_dev *ddev, struct daedalus_caps *caps);
void daedalus_ctx_caps(const struct daedalus_ctx *ctx, struct daedalus_caps *caps);
const struct daedalus_coded_fmt *daedalus_coded_enum(const struct daedalus_caps *caps,
						     unsigned int index);
const struct daedalus_coded_fmt *daedalus_coded_find(const struct daedalus_caps *caps,
						     u32 fourcc);
const struct daedalus_raw_fmt *daedalus_raw_enum(const struct daedalus_caps *caps,
						 unsigned int index);
const struct daedalus_raw_fmt *daedalus_raw_find(const struct daedalus_caps *caps,
						 u32 fourcc);
void daedalus_fmt_adjust_coded(const struct daedalus_caps *caps,
			       struct v4l2_pix_format_mplane *pix);
void daedalus_fmt_adjust_raw(const struct daedalus_caps *caps, u32 bit_depth,
			     struct v4l2_pix_format_mplane *pix);
u32 daedalus_raw_pixfmt(u32 fourcc);
bool daedalus_raw_fits_depth(const struct daedalus_raw_fmt *fmt, u32 bit_depth);
const struct daedalus_raw_fmt *daedalus_raw_enum_depth(const struct daedalus_caps *caps,
						       u32 bit_depth, unsigned int index);

/* daedalus-bridge.c */
int daedalus_bridge_register(struct daedalus_dev *ddev);
void daedalus_bridge_unregister(struct daedalus_dev *ddev);

/* daedalus-bridge-queue.c */
void *daedalus_bridge_msg_new(u16 type, u32 len, u32 ctx_id);
struct daedalus_msg_ctl *daedalus_bridge_ctl_new(u16 type, u32 ctx_id);
void daedalus_bridge_msg_free(void *msg);
void daedalus_bridge_take_all(struct daedalus_bridge *br, struct list_head *list);
void daedalus_bridge_msgs_free(struct list_head *list);
u32 daedalus_bridge_session(struct daedalus_dev *ddev);
int daedalus_bridge_send(struct daedalus_ctx *ctx, u32 session, void *msg);
const char *daedalus_bridge_send_failed(int ret);
int daedalus_bridge_reply(struct daedalus_bridge *br, struct file *file, void *msg);
int daedalus_bridge_welcome(struct daedalus_bridge *br, struct file *file,
			    const struct daedalus_caps *caps, const char *version,
			    void *welcome);
ssize_t daedalus_bridge_read_msg(struct daedalus_bridge *br, struct file *file,
				 char __user *buf, size_t count);
__poll_t daedalus_bridge_queue_poll(struct daedalus_bridge *br);
int daedalus_bridge_ping(struct daedalus_dev *ddev, u64 cookie);

/* daedalus-sysfs.c */
const char *daedalus_reject_name(enum daedalus_reject reason);
extern const struct attribute_group *daedalus_bridge_groups[];

/* daedalus-debugfs.c */
void daedalus_debugfs_init(struct daedalus_dev *ddev);
void daedalus_debugfs_exit(struct daedalus_dev *ddev);

#endif /* _DAEDALUS_H_ */
