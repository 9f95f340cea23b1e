/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * daedalus-v4l2: the protocol between the kernel module and its decoding
 * daemon, spoken through the misc device /dev/daedalus-v4l2.
 *
 * Every message is one fixed-layout, little-endian struct that starts with
 * struct daedalus_msg_hdr. One read() returns exactly one message; one
 * write() must carry exactly one whole message. A message that fails any
 * check is refused with EINVAL and counted; nothing in it is acted on.
 *
 * This header is the only definition of the protocol: the daemon's
 * TypeScript side is checked against it by a layout test.
 */
#ifndef _UAPI_LINUX_DAEDALUS_V4L2_H
#define _UAPI_LINUX_DAEDALUS_V4L2_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define DAEDALUS_BRIDGE_NAME		"daedalus-v4l2"
/* The decoder node's card (VIDIOC_QUERYCAP), by which clients and the daemon find it. */
#define DAEDALUS_CARD_NAME		"daedalus-dec"
/* The stateless node's card, also its media device's model. */
#define DAEDALUS_SL_CARD_NAME		"daedalus-dec-sl"

/* "DDV4" as it reads in memory on the little-endian wire. */
#define DAEDALUS_PROTO_MAGIC		0x34564444
#define DAEDALUS_PROTO_VERSION		5

/* No message is larger; a read() buffer of this size always suffices. */
#define DAEDALUS_MSG_MAX_LEN		4096

/* Message types; the direction each may travel is checked. */
#define DAEDALUS_MSG_HELLO		0x0001	/* daemon -> kernel */
#define DAEDALUS_MSG_WELCOME		0x0002	/* kernel -> daemon */
#define DAEDALUS_MSG_PING		0x0003	/* either way */
#define DAEDALUS_MSG_PONG		0x0004	/* answers a PING */

/* Decoding, kernel -> daemon. */
#define DAEDALUS_MSG_START		0x0010	/* OUTPUT began streaming */
#define DAEDALUS_MSG_STOP		0x0011	/* a queue stopped streaming */
#define DAEDALUS_MSG_CLOSE		0x0012	/* the handle was closed */
#define DAEDALUS_MSG_JOB		0x0013	/* a bitstream buffer to decode */
#define DAEDALUS_MSG_CAPBUF		0x0014	/* a frame buffer to fill */
#define DAEDALUS_MSG_DRAIN		0x0015	/* finish everything sent so far */
#define DAEDALUS_MSG_SL_JOB		0x0016	/* a stateless request to decode */
#define DAEDALUS_MSG_SL_FINISH		0x0017	/* a held picture is complete */

/* Decoding, daemon -> kernel. */
#define DAEDALUS_MSG_JOB_DONE		0x0020	/* a bitstream buffer is consumed */
#define DAEDALUS_MSG_FRAME		0x0021	/* a frame buffer is filled */
#define DAEDALUS_MSG_STREAM_INFO	0x0022	/* the stream's parameters */
#define DAEDALUS_MSG_ERROR		0x0023	/* the context cannot go on */

/* Codecs, as bit numbers in daedalus_msg_hello.codecs and .sl_codecs. Wire-stable. */
#define DAEDALUS_CODEC_H264		0
#define DAEDALUS_CODEC_HEVC		1
#define DAEDALUS_CODEC_VP8		2
#define DAEDALUS_CODEC_VP9		3
#define DAEDALUS_CODEC_AV1		4
#define DAEDALUS_CODEC_MPEG2		5
#define DAEDALUS_CODEC_COUNT		6

/* Decoded (CAPTURE) layouts, as bit numbers in .pixfmts. Wire-stable. */
#define DAEDALUS_PIXFMT_NV12		0
#define DAEDALUS_PIXFMT_YUV420		1
#define DAEDALUS_PIXFMT_P010		2
#define DAEDALUS_PIXFMT_COUNT		3

/* Frame-size limits a HELLO may announce. */
#define DAEDALUS_MIN_DIMENSION		16
#define DAEDALUS_MAX_DIMENSION		16384

#define DAEDALUS_VERSION_LEN		32

/* Frame buffers are laid out in whole blocks of this many pixels each way. */
#define DAEDALUS_FRAME_ALIGN		16
/* Most frame buffers a STREAM_INFO may ask the client for (min_buffers). */
#define DAEDALUS_MAX_MIN_BUFFERS	32
/*
 * Most messages of one context waiting for the daemon to read them; past
 * it the context fails, but for STOP and CLOSE, which are never dropped.
 */
#define DAEDALUS_CTX_QUEUE_MAX		256

/* The two queues of a context, as messages and the EXPBUF ioctl name them. */
#define DAEDALUS_QUEUE_OUTPUT		0
#define DAEDALUS_QUEUE_CAPTURE		1

/* daedalus_msg_job_done.flags */
#define DAEDALUS_JOB_ERROR		0x01	/* the data could not be used */

/* daedalus_msg_frame.flags */
#define DAEDALUS_FRAME_KEYFRAME		0x01
#define DAEDALUS_FRAME_PFRAME		0x02
#define DAEDALUS_FRAME_BFRAME		0x04
#define DAEDALUS_FRAME_ERROR		0x08	/* decoded with errors */
#define DAEDALUS_FRAME_LAST		0x10	/* ends a DRAIN */
/* With LAST: an end-of-stream marking in the bitstream drained it, no DRAIN did. */
#define DAEDALUS_FRAME_END_OF_STREAM	0x20
#define DAEDALUS_FRAME_FLAGS_ALL	0x3f

/* daedalus_msg_error.code */
#define DAEDALUS_ERR_UNSUPPORTED	1	/* profile, size or chroma format */
#define DAEDALUS_ERR_BITSTREAM		2	/* undecodable beyond recovery */
#define DAEDALUS_ERR_NOMEM		3
#define DAEDALUS_ERR_INTERNAL		4
#define DAEDALUS_ERR_MAX		4

#define DAEDALUS_ERROR_TEXT_LEN		96

/**
 * struct daedalus_msg_hdr - starts every message
 * @magic: DAEDALUS_PROTO_MAGIC
 * @version: DAEDALUS_PROTO_VERSION; any other is refused
 * @type: one of DAEDALUS_MSG_*
 * @length: size of the whole message, this header included; must equal the
 *	size of the struct that @type names
 * @seq: chosen by the sender; a reply carries the @seq of its request
 * @ctx_id: decoding context the message is about, 0 for the device itself
 * @reserved: zero
 */
struct daedalus_msg_hdr {
	__le32 magic;
	__le16 version;
	__le16 type;
	__le32 length;
	__le32 seq;
	__le32 ctx_id;
	__le32 reserved;
};

/**
 * struct daedalus_msg_hello - the daemon introduces itself
 * @hdr: type DAEDALUS_MSG_HELLO, ctx_id 0
 * @codecs: bit set of DAEDALUS_CODEC_* the daemon decodes; the node
 *	enumerates exactly these on its OUTPUT queue
 * @pixfmts: bit set of DAEDALUS_PIXFMT_* the daemon writes; the node
 *	enumerates exactly these on its CAPTURE queue
 * @max_width: largest coded width decoded, DAEDALUS_MIN_DIMENSION to
 *	DAEDALUS_MAX_DIMENSION
 * @max_height: largest coded height decoded, same range
 * @flags: zero
 * @sl_codecs: bit set of DAEDALUS_CODEC_* the daemon decodes from
 *	stateless requests; the stateless node enumerates these of them that
 *	the running kernel has controls for
 * @daemon_version: NUL-terminated, printable; shown in debugfs and sysfs
 *
 * The first message on every open of the bridge; at most one per open.
 */
struct daedalus_msg_hello {
	struct daedalus_msg_hdr hdr;
	__le32 codecs;
	__le32 pixfmts;
	__le32 max_width;
	__le32 max_height;
	__le32 flags;
	__le32 sl_codecs;
	char daemon_version[DAEDALUS_VERSION_LEN];
};

/**
 * struct daedalus_msg_welcome - the kernel accepts a HELLO
 * @hdr: type DAEDALUS_MSG_WELCOME, seq of the HELLO
 * @codecs: the codecs the node now enumerates
 * @pixfmts: the CAPTURE layouts the node now enumerates
 * @max_width: the frame-size limit the node now enforces
 * @max_height: likewise
 * @sl_codecs: the codecs the stateless node now enumerates, 0 if the
 *	module was loaded without it
 * @reserved: zero
 * @module_version: NUL-terminated version of the kernel module
 */
struct daedalus_msg_welcome {
	struct daedalus_msg_hdr hdr;
	__le32 codecs;
	__le32 pixfmts;
	__le32 max_width;
	__le32 max_height;
	__le32 sl_codecs;
	__le32 reserved;
	char module_version[DAEDALUS_VERSION_LEN];
};

/**
 * struct daedalus_msg_ping - liveness check, either direction
 * @hdr: type DAEDALUS_MSG_PING or DAEDALUS_MSG_PONG, ctx_id 0; a PONG
 *	carries the seq of its PING
 * @cookie: any value; a PONG echoes its PING's
 */
struct daedalus_msg_ping {
	struct daedalus_msg_hdr hdr;
	__le64 cookie;
};

/*
 * Decoding. A context is one open handle of the video node, named by
 * hdr.ctx_id. Its buffers are handed to the daemon one message each, with a
 * tag the kernel picks afresh for every hand-over; the daemon's reply names
 * the buffer by index and tag, and the kernel acts only if that buffer is
 * still with the daemon under that tag. Replies that lost a race with the
 * client (a STOP, a closed handle, a timeout) are dropped quietly; anything
 * else that does not match is refused. The pixels and the bitstream never
 * cross the bridge: the daemon maps the buffers (DAEDALUS_IOC_EXPBUF).
 */

/**
 * struct daedalus_msg_start - a context's OUTPUT queue began streaming
 * @hdr: type DAEDALUS_MSG_START
 * @codec: DAEDALUS_CODEC_* of the OUTPUT format
 * @width: coded width the client set on OUTPUT, 0 if none
 * @height: likewise
 * @flags: DAEDALUS_START_*
 *
 * Also sent after a STOP of OUTPUT (a seek) when streaming restarts; the
 * decoder keeps what it learned of the stream unless @codec changes or
 * @flags has DAEDALUS_START_NEW_STREAM.
 */
struct daedalus_msg_start {
	struct daedalus_msg_hdr hdr;
	__le32 codec;
	__le32 width;
	__le32 height;
	__le32 flags;
};

/*
 * daedalus_msg_start.flags: CAPTURE has no buffers (Initialization): the
 * decoder forgets the stream and describes it anew (STREAM_INFO).
 */
#define DAEDALUS_START_NEW_STREAM	0x01
/*
 * daedalus_msg_start.flags: the context is the stateless node's. Its work
 * comes as SL_JOB and SL_FINISH, never as JOB, CAPBUF or DRAIN, and the
 * daemon sends no STREAM_INFO for it: the client sets the formats.
 */
#define DAEDALUS_START_STATELESS	0x02

/**
 * struct daedalus_msg_ctl - STOP, CLOSE and DRAIN
 * @hdr: type DAEDALUS_MSG_STOP, DAEDALUS_MSG_CLOSE or DAEDALUS_MSG_DRAIN
 * @queue: for STOP, DAEDALUS_QUEUE_*: the buffers of that queue the daemon
 *	holds were taken back; for OUTPUT, decoding restarts at the next
 *	resume point. Zero otherwise.
 * @reserved: zero
 *
 * DRAIN: decode everything sent before it, emit every frame, and give the
 * last one (or an empty frame buffer) DAEDALUS_FRAME_LAST. CLOSE: forget
 * the context.
 */
struct daedalus_msg_ctl {
	struct daedalus_msg_hdr hdr;
	__le32 queue;
	__le32 reserved;
};

/**
 * struct daedalus_msg_job - a bitstream buffer to decode
 * @hdr: type DAEDALUS_MSG_JOB
 * @tag: names this hand-over
 * @index: the OUTPUT buffer's index
 * @bytesused: bytes of bitstream, starting at @data_offset
 * @data_offset: where the bitstream starts in the buffer
 * @timestamp: the buffer's timestamp (ns); frames decoded from it carry it
 * @flags: zero
 * @memory: names the memory the buffer holds now, never zero: as for CAPBUF
 *
 * The buffer may hold a whole access unit or any chunk of the byte stream.
 */
struct daedalus_msg_job {
	struct daedalus_msg_hdr hdr;
	__le32 tag;
	__le32 index;
	__le32 bytesused;
	__le32 data_offset;
	__le64 timestamp;
	__le32 flags;
	__le32 memory;
};

/**
 * struct daedalus_msg_capbuf - a frame buffer for the daemon to fill
 * @hdr: type DAEDALUS_MSG_CAPBUF
 * @tag: names this hand-over
 * @index: the CAPTURE buffer's index
 * @pixfmt: DAEDALUS_PIXFMT_* of its layout
 * @width: the coded width the layout is for
 * @height: likewise
 * @bytesperline: of the first plane; planes follow each other
 * @size: bytes the buffer holds
 * @memory: names the memory the buffer holds now, never zero
 *
 * A client may queue a different dmabuf under the same index each time
 * (DMABUF memory); DAEDALUS_IOC_EXPBUF exports the one attached now. The
 * kernel gives a buffer a new @memory (unique within the context) whenever
 * its memory changes, so a mapping made under another @memory must not be
 * used for it: it is of memory the client no longer queues there.
 */
struct daedalus_msg_capbuf {
	struct daedalus_msg_hdr hdr;
	__le32 tag;
	__le32 index;
	__le32 pixfmt;
	__le32 width;
	__le32 height;
	__le32 bytesperline;
	__le32 size;
	__le32 memory;
};

/**
 * struct daedalus_msg_job_done - the daemon is finished with a bitstream buffer
 * @hdr: type DAEDALUS_MSG_JOB_DONE
 * @tag: of the JOB
 * @index: of the JOB
 * @flags: DAEDALUS_JOB_*
 * @reserved: zero
 */
struct daedalus_msg_job_done {
	struct daedalus_msg_hdr hdr;
	__le32 tag;
	__le32 index;
	__le32 flags;
	__le32 reserved;
};

/**
 * struct daedalus_msg_frame - a frame buffer was filled
 * @hdr: type DAEDALUS_MSG_FRAME
 * @tag: of the CAPBUF
 * @index: of the CAPBUF
 * @bytesused: bytes written, at most the buffer's size; 0 only with
 *	DAEDALUS_FRAME_LAST or DAEDALUS_FRAME_ERROR
 * @flags: DAEDALUS_FRAME_*
 * @timestamp: that of the JOB the frame was decoded from
 */
struct daedalus_msg_frame {
	struct daedalus_msg_hdr hdr;
	__le32 tag;
	__le32 index;
	__le32 bytesused;
	__le32 flags;
	__le64 timestamp;
};

/**
 * struct daedalus_msg_stream_info - what the stream's headers say
 * @hdr: type DAEDALUS_MSG_STREAM_INFO
 * @width: coded width of the decoded frames
 * @height: coded height
 * @visible_left: the visible rectangle within the coded frame
 * @visible_top: likewise
 * @visible_width: likewise
 * @visible_height: likewise
 * @pixfmt: DAEDALUS_PIXFMT_* the frames are best delivered in
 * @bit_depth: 8 or 10
 * @min_buffers: frame buffers the client needs for decoding to flow
 * @colorspace: enum v4l2_colorspace
 * @xfer_func: enum v4l2_xfer_func
 * @ycbcr_enc: enum v4l2_ycbcr_encoding
 * @quantization: enum v4l2_quantization
 * @reserved: zero
 *
 * Sent before the first frame and whenever these change; the kernel
 * signals V4L2_EVENT_SOURCE_CHANGE. @width and @height become the CAPTURE
 * format's (rounded up to 16 if they are not already). The kernel answers
 * every STREAM_INFO with a STOP of CAPTURE, taking back the frame buffers
 * the daemon holds, and hands frame buffers over again once the client has
 * seen the event and answered it (dev-decoder.rst, Capture Setup). The
 * daemon fills no frame buffer between sending STREAM_INFO and that STOP.
 */
struct daedalus_msg_stream_info {
	struct daedalus_msg_hdr hdr;
	__le32 width;
	__le32 height;
	__le32 visible_left;
	__le32 visible_top;
	__le32 visible_width;
	__le32 visible_height;
	__le32 pixfmt;
	__le32 bit_depth;
	__le32 min_buffers;
	__le32 colorspace;
	__le32 xfer_func;
	__le32 ycbcr_enc;
	__le32 quantization;
	__le32 reserved;
};

/**
 * struct daedalus_msg_error - the context cannot be decoded further
 * @hdr: type DAEDALUS_MSG_ERROR
 * @code: DAEDALUS_ERR_*
 * @reserved: zero
 * @text: NUL-terminated, printable: what went wrong, for the kernel log
 *
 * The kernel fails the context: its queues report EIO until restarted.
 */
struct daedalus_msg_error {
	struct daedalus_msg_hdr hdr;
	__le32 code;
	__le32 reserved;
	char text[DAEDALUS_ERROR_TEXT_LEN];
};

/*
 * Stateless decoding (dev-stateless-decoder.rst). Each request the client
 * queues carries one OUTPUT buffer and the codec controls it was queued
 * with; the kernel pairs it with a CAPTURE buffer and sends one SL_JOB for
 * both. The daemon answers FRAME for the CAPTURE buffer, then JOB_DONE for
 * the OUTPUT buffer (which completes the request). A picture may come in
 * several requests (slices, V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF): all but
 * the last carry DAEDALUS_SL_HOLD, and the daemon answers each of those
 * with JOB_DONE alone; the picture is finished by the first SL_JOB without
 * HOLD or by an SL_FINISH. CAPTURE buffers come back in the order they were
 * sent; FRAME's timestamp and frame-type flags are ignored (the kernel
 * copies them from the OUTPUT buffer), only DAEDALUS_FRAME_ERROR counts.
 * A STOP of OUTPUT takes back the CAPTURE buffers of the jobs with the
 * daemon as well: it drops those jobs, and pictures not yet finished.
 */

/* daedalus_msg_sl_job.flags */
#define DAEDALUS_SL_HOLD		0x01	/* more requests follow for this picture */
#define DAEDALUS_SL_CONTINUE		0x02	/* the same CAPTURE buffer as the last SL_JOB */
#define DAEDALUS_SL_FLAGS_ALL		0x03

/**
 * struct daedalus_msg_sl_job - a stateless request to decode
 * @hdr: type DAEDALUS_MSG_SL_JOB
 * @tag: names this hand-over of the OUTPUT buffer
 * @index: the OUTPUT buffer's index
 * @bytesused: bytes of bitstream, starting at @data_offset
 * @data_offset: where the bitstream starts in the buffer
 * @timestamp: the OUTPUT buffer's timestamp (ns): the picture's name, by
 *	which later requests refer to it
 * @memory: names the OUTPUT buffer's memory, as daedalus_msg_job.memory
 * @flags: DAEDALUS_SL_*
 * @ctrls_len: bytes of the request's controls, fetched with
 *	DAEDALUS_IOC_SL_CTRLS; at most DAEDALUS_SL_CTRLS_MAX
 * @cap_tag: names this hand-over of the CAPTURE buffer
 * @cap_index: the CAPTURE buffer's index
 * @cap_memory: names its memory
 * @cap_pixfmt: DAEDALUS_PIXFMT_* of its layout
 * @cap_width: the coded width the layout is for
 * @cap_height: likewise
 * @cap_bytesperline: of its first plane; planes follow each other
 * @cap_size: bytes the CAPTURE buffer holds
 * @reserved: zero
 */
struct daedalus_msg_sl_job {
	struct daedalus_msg_hdr hdr;
	__le32 tag;
	__le32 index;
	__le32 bytesused;
	__le32 data_offset;
	__le64 timestamp;
	__le32 memory;
	__le32 flags;
	__le32 ctrls_len;
	__le32 cap_tag;
	__le32 cap_index;
	__le32 cap_memory;
	__le32 cap_pixfmt;
	__le32 cap_width;
	__le32 cap_height;
	__le32 cap_bytesperline;
	__le32 cap_size;
	__le32 reserved;
};

/**
 * struct daedalus_msg_sl_finish - the held picture is complete
 * @hdr: type DAEDALUS_MSG_SL_FINISH
 * @cap_tag: of the SL_JOB that handed the CAPTURE buffer over
 * @cap_index: the CAPTURE buffer's index
 *
 * Sent when the next request names another picture, on V4L2_DEC_CMD_FLUSH,
 * and never while an SL_JOB for that buffer lacks its JOB_DONE. The daemon
 * decodes what it gathered and answers FRAME.
 */
struct daedalus_msg_sl_finish {
	struct daedalus_msg_hdr hdr;
	__le32 cap_tag;
	__le32 cap_index;
};

/* Most bytes of controls one request carries. */
#define DAEDALUS_SL_CTRLS_MAX		16384

/**
 * struct daedalus_sl_ctrl - one control in DAEDALUS_IOC_SL_CTRLS's blob
 * @id: V4L2_CID_STATELESS_*
 * @size: bytes of payload that follow: the control's value in its uAPI
 *	layout (dynamic arrays: the elements set); the next record starts at
 *	the next multiple of 8
 */
struct daedalus_sl_ctrl {
	__u32 id;
	__u32 size;
};

/**
 * struct daedalus_sl_ctrls - DAEDALUS_IOC_SL_CTRLS: a request's controls
 * @ctx_id: the context
 * @index: the OUTPUT buffer's index
 * @tag: its SL_JOB's tag; the buffer must still be with the daemon
 * @size: bytes at @ptr; returned: bytes written, the SL_JOB's ctrls_len
 * @ptr: where to write the run of struct daedalus_sl_ctrl records
 * @reserved: zero
 *
 * The controls are those the request was queued with, taken when it was
 * queued. ENOSPC if @size is smaller than ctrls_len (nothing written).
 */
struct daedalus_sl_ctrls {
	__u32 ctx_id;
	__u32 index;
	__u32 tag;
	__u32 size;
	__u64 ptr;
	__u32 reserved[2];
};

#define DAEDALUS_IOC_SL_CTRLS	_IOWR(0xdd, 0x02, struct daedalus_sl_ctrls)

/**
 * struct daedalus_expbuf - DAEDALUS_IOC_EXPBUF: a buffer as a dmabuf
 * @ctx_id: the context
 * @queue: DAEDALUS_QUEUE_*
 * @index: the buffer's index
 * @tag: the tag it was handed over with; it must still be with the daemon
 * @fd: returned: a new O_CLOEXEC dmabuf fd; read-only for an OUTPUT
 *	buffer the node allocated. A client's own dmabuf is handed on as
 *	the client made it (its exporter decides what may write it); the
 *	daemon maps every OUTPUT buffer read-only.
 * @reserved: zero
 *
 * The dmabuf keeps the memory alive for as long as it is open or mapped,
 * so the daemon may keep one mapping per buffer until a STOP of its queue
 * or until the buffer comes with another memory name (a client that
 * imports dmabufs may queue another one at the same index). The wait for
 * the client's ioctl of the moment ends early on a signal (EINTR).
 */
struct daedalus_expbuf {
	__u32 ctx_id;
	__u32 queue;
	__u32 index;
	__u32 tag;
	__s32 fd;
	__u32 reserved[3];
};

#define DAEDALUS_IOC_EXPBUF	_IOWR(0xdd, 0x01, struct daedalus_expbuf)

#endif /* _UAPI_LINUX_DAEDALUS_V4L2_H */
