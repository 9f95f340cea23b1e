// SPDX-License-Identifier: BSD-2-Clause
/*
 * A V4L2 stateful decoder client for `daedalusd decode`; see v4l2-client.h.
 * Written by hand because no library drives a V4L2 decoder from outside
 * FFmpeg's and GStreamer's own pipelines; the pixel packing is libavutil's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/daedalus-v4l2.h>
#include <linux/videodev2.h>

#include "ffmpeg.h"
#include "sys.h"
#include "v4l2-client.h"

#define OUT_BUFFERS	8
/* Frame buffers beyond the decoder's minimum: one held by us, and slack. */
#define CAP_EXTRA	3

struct mapping {
	void *addr;
	size_t len;
};

struct dd_client {
	int fd;
	int continuous;			/* the coded format may be cut anywhere */
	uint32_t want_pixfmt;
	enum AVPixelFormat av_fmt;

	struct mapping out[OUT_BUFFERS];
	uint32_t n_out;
	uint8_t out_busy[OUT_BUFFERS];

	struct mapping cap[VIDEO_MAX_FRAME];
	uint32_t n_cap;
	int cap_streaming;

	int change_pending;		/* a SOURCE_CHANGE CAPTURE is not set up for yet */
	int last_seen;			/* the LAST frame buffer came out */
	int ended;
	int held;			/* CAPTURE buffer the caller holds, or -1 */
	int held_last;
	uint32_t held_bytes;

	struct dd_client_event fmt;	/* the current CAPTURE format */
	char err[256];
};

_Static_assert(sizeof(struct dd_client_event) == 64, "dd_client_event layout is shared with TypeScript");

__attribute__((format(printf, 3, 4)))
static int fail(struct dd_client *c, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	return r;
}

/* A fourcc as text, e.g. "H264", in buf[5]. */
static const char *fourcc(uint32_t f, char *buf)
{
	for (int i = 0; i < 4; i++) {
		char ch = (char)((f >> (8 * i)) & 0xff);

		buf[i] = ch >= ' ' && ch <= '~' ? ch : '.';
	}
	buf[4] = 0;
	return buf;
}

#ifndef V4L2_PIX_FMT_AV1
#define V4L2_PIX_FMT_AV1	v4l2_fourcc('A', 'V', '0', '1')
#endif

/* The node's OUTPUT format of each DAEDALUS_CODEC_*, as daedalus-formats.c has it. */
static const uint32_t coded_fourccs[DAEDALUS_CODEC_COUNT] = {
	[DAEDALUS_CODEC_H264] = V4L2_PIX_FMT_H264,
	[DAEDALUS_CODEC_HEVC] = V4L2_PIX_FMT_HEVC,
	[DAEDALUS_CODEC_VP8] = V4L2_PIX_FMT_VP8,
	[DAEDALUS_CODEC_VP9] = V4L2_PIX_FMT_VP9,
	[DAEDALUS_CODEC_AV1] = V4L2_PIX_FMT_AV1,
	[DAEDALUS_CODEC_MPEG2] = V4L2_PIX_FMT_MPEG2,
};

static const uint32_t frame_fourccs[DAEDALUS_PIXFMT_COUNT] = {
	[DAEDALUS_PIXFMT_NV12] = V4L2_PIX_FMT_NV12,
	[DAEDALUS_PIXFMT_YUV420] = V4L2_PIX_FMT_YUV420,
	[DAEDALUS_PIXFMT_P010] = V4L2_PIX_FMT_P010,
};

static enum AVPixelFormat av_format(uint32_t pixelformat)
{
	switch (pixelformat) {
	case V4L2_PIX_FMT_NV12: return AV_PIX_FMT_NV12;
	case V4L2_PIX_FMT_YUV420: return AV_PIX_FMT_YUV420P;
	case V4L2_PIX_FMT_P010: return AV_PIX_FMT_P010LE;
	default: return AV_PIX_FMT_NONE;
	}
}

/* Finds the coded format on the OUTPUT queue; lists what there is if absent. */
static int find_coded_format(struct dd_client *c, uint32_t want, const char *path)
{
	char list[128] = "", a[5], b[5];
	size_t used = 0;

	for (uint32_t i = 0;; i++) {
		struct v4l2_fmtdesc d = { .index = i, .type = V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE };

		if (dd_ioctl(c->fd, VIDIOC_ENUM_FMT, &d) < 0)
			break;
		if (d.pixelformat == want) {
			c->continuous = !!(d.flags & V4L2_FMT_FLAG_CONTINUOUS_BYTESTREAM);
			return 0;
		}
		if (used < sizeof(list))
			used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s",
						 used ? " " : "", fourcc(d.pixelformat, b));
	}
	return fail(c, -ENOTSUP, "%s does not decode %s (it offers: %s): is daedalusd running, with that codec?",
		    path, fourcc(want, a), used ? list : "nothing");
}

static int map_buffer(struct dd_client *c, uint32_t type, uint32_t index, struct mapping *m)
{
	struct v4l2_plane plane = { 0 };
	struct v4l2_buffer b = {
		.type = type, .memory = V4L2_MEMORY_MMAP, .index = index,
		.m.planes = &plane, .length = 1,
	};
	int r = dd_ioctl(c->fd, VIDIOC_QUERYBUF, &b);

	if (r < 0)
		return fail(c, r, "QUERYBUF: %s", strerror(-r));
	m->addr = mmap(NULL, plane.length, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd,
		       plane.m.mem_offset);
	if (m->addr == MAP_FAILED) {
		m->addr = NULL;
		return fail(c, -errno, "mmap of buffer %u: %s", index, strerror(errno));
	}
	m->len = plane.length;
	return 0;
}

static void unmap_all(struct mapping *m, uint32_t *n)
{
	for (uint32_t i = 0; i < *n; i++)
		if (m[i].addr)
			munmap(m[i].addr, m[i].len);
	memset(m, 0, sizeof(*m) * *n);
	*n = 0;
}

/* REQBUFS and mmap; *n counts the mappings made, so that a failure leaks none. */
static int alloc_buffers(struct dd_client *c, uint32_t type, uint32_t count,
			 struct mapping *m, uint32_t *n, uint32_t max)
{
	struct v4l2_requestbuffers rb = { .count = count, .type = type, .memory = V4L2_MEMORY_MMAP };
	int r = dd_ioctl(c->fd, VIDIOC_REQBUFS, &rb);

	if (r < 0)
		return fail(c, r, "REQBUFS(%u): %s", count, strerror(-r));
	if (rb.count == 0 || rb.count > max)
		return fail(c, -EPROTO, "REQBUFS(%u) gave %u buffers", count, rb.count);
	for (*n = 0; *n < rb.count; (*n)++) {
		r = map_buffer(c, type, *n, &m[*n]);
		if (r < 0)
			return r;
	}
	return 0;
}

static int queue_capture(struct dd_client *c, uint32_t index)
{
	struct v4l2_plane plane = { 0 };
	struct v4l2_buffer b = {
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE, .memory = V4L2_MEMORY_MMAP,
		.index = index, .m.planes = &plane, .length = 1,
	};
	int r = dd_ioctl(c->fd, VIDIOC_QBUF, &b);

	return r < 0 ? fail(c, r, "QBUF of frame buffer %u: %s", index, strerror(-r)) : 0;
}

static int stream(struct dd_client *c, uint32_t type, int on)
{
	int r = dd_ioctl(c->fd, on ? VIDIOC_STREAMON : VIDIOC_STREAMOFF, &type);

	return r < 0 ? fail(c, r, "%s: %s", on ? "STREAMON" : "STREAMOFF", strerror(-r)) : 0;
}

/* Takes the CAPTURE format the node chose (or the one asked for). */
static int negotiate_capture(struct dd_client *c)
{
	struct v4l2_format f = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE };
	struct v4l2_pix_format_mplane *pix = &f.fmt.pix_mp;
	char a[5], b[5];
	int r = dd_ioctl(c->fd, VIDIOC_G_FMT, &f);

	if (r < 0)
		return fail(c, r, "G_FMT(CAPTURE): %s", strerror(-r));
	if (c->want_pixfmt && pix->pixelformat != c->want_pixfmt) {
		uint32_t offered = pix->pixelformat;

		pix->pixelformat = c->want_pixfmt;
		r = dd_ioctl(c->fd, VIDIOC_S_FMT, &f);
		if (r < 0)
			return fail(c, r, "S_FMT(CAPTURE, %s): %s", fourcc(c->want_pixfmt, a), strerror(-r));
		if (pix->pixelformat != c->want_pixfmt)
			return fail(c, -ENOTSUP, "the node cannot give %s frames for this stream (it offers %s)",
				    fourcc(c->want_pixfmt, a), fourcc(offered, b));
	}
	c->av_fmt = av_format(pix->pixelformat);
	if (c->av_fmt == AV_PIX_FMT_NONE || pix->num_planes != 1)
		return fail(c, -ENOTSUP, "frames in %s with %u memory planes: this client takes NV12, YU12 and P010",
			    fourcc(pix->pixelformat, a), pix->num_planes);
	c->fmt.pixelformat = pix->pixelformat;
	c->fmt.coded_width = pix->width;
	c->fmt.coded_height = pix->height;
	c->fmt.bytesperline = pix->plane_fmt[0].bytesperline;
	return 0;
}

/* The visible rectangle (COMPOSE), which must lie inside the coded frame. */
static int visible_rect(struct dd_client *c)
{
	struct v4l2_selection s = {
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE, .target = V4L2_SEL_TGT_COMPOSE,
	};
	int r = dd_ioctl(c->fd, VIDIOC_G_SELECTION, &s);

	if (r < 0) {
		s.r.left = 0;
		s.r.top = 0;
		s.r.width = c->fmt.coded_width;
		s.r.height = c->fmt.coded_height;
	}
	if (s.r.left < 0 || s.r.top < 0 || (s.r.left | s.r.top) & 1 || !s.r.width || !s.r.height ||
	    (uint64_t)s.r.left + s.r.width > c->fmt.coded_width ||
	    (uint64_t)s.r.top + s.r.height > c->fmt.coded_height)
		return fail(c, -EPROTO, "visible rectangle %dx%d+%d+%d does not fit the %ux%u frame",
			    s.r.width, s.r.height, s.r.left, s.r.top, c->fmt.coded_width,
			    c->fmt.coded_height);
	c->fmt.visible_left = (uint32_t)s.r.left;
	c->fmt.visible_top = (uint32_t)s.r.top;
	c->fmt.visible_width = s.r.width;
	c->fmt.visible_height = s.r.height;
	r = dd_ff.av_image_get_buffer_size(c->av_fmt, (int)s.r.width, (int)s.r.height, 1);
	if (r < 0)
		return fail(c, -EINVAL, "no packed size for a %ux%u frame", s.r.width, s.r.height);
	c->fmt.frame_size = (uint32_t)r;
	return 0;
}

/* Capture setup (dev-decoder.rst, "Capture Setup"), after a SOURCE_CHANGE. */
static int configure_capture(struct dd_client *c)
{
	struct v4l2_control min = { .id = V4L2_CID_MIN_BUFFERS_FOR_CAPTURE };
	uint32_t type = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;
	int r;

	if (c->cap_streaming) {
		r = stream(c, type, 0);
		if (r < 0)
			return r;
		c->cap_streaming = 0;
	}
	unmap_all(c->cap, &c->n_cap);
	r = negotiate_capture(c);
	if (r < 0)
		return r;
	r = visible_rect(c);
	if (r < 0)
		return r;
	if (dd_ioctl(c->fd, VIDIOC_G_CTRL, &min) < 0 || min.value < 1)
		min.value = 1;
	if (min.value > VIDEO_MAX_FRAME - CAP_EXTRA)
		return fail(c, -EPROTO, "the node wants %d frame buffers", min.value);
	r = alloc_buffers(c, type, (uint32_t)min.value + CAP_EXTRA, c->cap, &c->n_cap,
			  VIDEO_MAX_FRAME);
	if (r < 0)
		return r;
	c->fmt.buffers = c->n_cap;
	for (uint32_t i = 0; i < c->n_cap; i++) {
		r = queue_capture(c, i);
		if (r < 0)
			return r;
	}
	r = stream(c, type, 1);
	if (r < 0)
		return r;
	c->cap_streaming = 1;
	c->change_pending = 0;
	c->last_seen = 0;
	return DD_CLIENT_FORMAT;
}

DD_EXPORT struct dd_client *dd_client_open(const char *path, uint32_t codec, uint32_t width,
					   uint32_t height, uint32_t out_size, int32_t pixfmt,
					   char *err, int errlen)
{
	struct v4l2_event_subscription sub = { .type = V4L2_EVENT_SOURCE_CHANGE };
	struct v4l2_format f = { .type = V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE };
	struct v4l2_capability cap = { 0 };
	struct dd_client *c;
	int r;

	if (!err || errlen <= 0)
		return NULL;
	if (!path || codec >= DAEDALUS_CODEC_COUNT || pixfmt < -1 || pixfmt >= DAEDALUS_PIXFMT_COUNT) {
		snprintf(err, (size_t)errlen, "invalid arguments");
		return NULL;
	}
	if (dd_ffmpeg_load(err, errlen))
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, (size_t)errlen, "out of memory");
		return NULL;
	}
	c->held = -1;
	c->want_pixfmt = pixfmt < 0 ? 0 : frame_fourccs[pixfmt];
	c->fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (c->fd < 0) {
		fail(c, -errno, "cannot open %s: %s", path, strerror(errno));
		goto out;
	}
	r = dd_ioctl(c->fd, VIDIOC_QUERYCAP, &cap);
	if (r < 0 || !(cap.device_caps & V4L2_CAP_VIDEO_M2M_MPLANE) ||
	    !(cap.device_caps & V4L2_CAP_STREAMING)) {
		fail(c, -ENOTTY, "%s is not a multi-planar memory-to-memory device", path);
		goto out;
	}
	r = find_coded_format(c, coded_fourccs[codec], path);
	if (r < 0)
		goto out;

	f.fmt.pix_mp.pixelformat = coded_fourccs[codec];
	f.fmt.pix_mp.width = width;
	f.fmt.pix_mp.height = height;
	f.fmt.pix_mp.num_planes = 1;
	f.fmt.pix_mp.plane_fmt[0].sizeimage = out_size;
	r = dd_ioctl(c->fd, VIDIOC_S_FMT, &f);
	if (r < 0) {
		fail(c, r, "S_FMT(OUTPUT): %s", strerror(-r));
		goto out;
	}
	r = dd_ioctl(c->fd, VIDIOC_SUBSCRIBE_EVENT, &sub);
	if (r < 0) {
		fail(c, r, "cannot subscribe to SOURCE_CHANGE: %s", strerror(-r));
		goto out;
	}
	r = alloc_buffers(c, V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE, OUT_BUFFERS, c->out, &c->n_out,
			  OUT_BUFFERS);
	if (r < 0)
		goto out;
	r = stream(c, V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE, 1);
	if (r < 0)
		goto out;
	return c;
out:
	snprintf(err, (size_t)errlen, "%s", c->err);
	dd_client_close(c);
	return NULL;
}

DD_EXPORT int dd_client_queue(struct dd_client *c, const void *data, uint32_t size,
			      int64_t timestamp_us)
{
	struct v4l2_plane plane = { 0 };
	struct v4l2_buffer b = {
		.type = V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE, .memory = V4L2_MEMORY_MMAP,
		.m.planes = &plane, .length = 1,
	};
	uint32_t i, n;
	int r;

	if (!c || (!data && size) || timestamp_us < 0)
		return -EINVAL;
	for (i = 0; i < c->n_out && c->out_busy[i]; i++)
		;
	if (i == c->n_out)
		return 0;
	n = size;
	if (n > c->out[i].len) {
		if (!c->continuous)
			return fail(c, -E2BIG, "a %u-byte frame does not fit the node's %zu-byte bitstream buffers",
				    size, c->out[i].len);
		n = (uint32_t)c->out[i].len;
	}
	memcpy(c->out[i].addr, data, n);
	b.index = i;
	plane.bytesused = n;
	b.timestamp.tv_sec = timestamp_us / 1000000;
	b.timestamp.tv_usec = timestamp_us % 1000000;
	r = dd_ioctl(c->fd, VIDIOC_QBUF, &b);
	if (r < 0)
		return fail(c, r, "QBUF of bitstream buffer %u: %s", i, strerror(-r));
	c->out_busy[i] = 1;
	return (int)n;
}

DD_EXPORT int dd_client_drain(struct dd_client *c)
{
	struct v4l2_decoder_cmd cmd = { .cmd = V4L2_DEC_CMD_STOP };
	int r;

	if (!c)
		return -EINVAL;
	r = dd_ioctl(c->fd, VIDIOC_DECODER_CMD, &cmd);
	return r < 0 ? fail(c, r, "DECODER_CMD STOP: %s", strerror(-r)) : 0;
}

/* Dequeues the events; notes a resolution change. */
static int read_events(struct dd_client *c)
{
	struct v4l2_event ev;
	int r;

	while ((r = dd_ioctl(c->fd, VIDIOC_DQEVENT, &ev)) >= 0)
		if (ev.type == V4L2_EVENT_SOURCE_CHANGE &&
		    (ev.u.src_change.changes & V4L2_EVENT_SRC_CH_RESOLUTION))
			c->change_pending = 1;
	return r == -ENOENT ? 0 : fail(c, r, "DQEVENT: %s", strerror(-r));
}

/* Takes back the bitstream buffers the decoder is done with. */
static int reclaim_output(struct dd_client *c)
{
	for (;;) {
		struct v4l2_plane plane = { 0 };
		struct v4l2_buffer b = {
			.type = V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE, .memory = V4L2_MEMORY_MMAP,
			.m.planes = &plane, .length = 1,
		};
		int r = dd_ioctl(c->fd, VIDIOC_DQBUF, &b);

		if (r == -EAGAIN)
			return 0;
		if (r < 0)
			return fail(c, r, "DQBUF(OUTPUT): %s", strerror(-r));
		if (b.index >= c->n_out)
			return fail(c, -EPROTO, "DQBUF(OUTPUT) gave buffer %u of %u", b.index, c->n_out);
		c->out_busy[b.index] = 0;
	}
}

/*
 * After the LAST buffer: a new format if one is pending (resolution change),
 * else the end. The node queues SOURCE_CHANGE before it returns that buffer,
 * but possibly after this poll's events were read: read them again.
 */
static int after_last(struct dd_client *c)
{
	int r = read_events(c);

	if (r < 0)
		return r;
	if (c->change_pending)
		return configure_capture(c);
	c->ended = 1;
	return DD_CLIENT_END;
}

static int dequeue_frame(struct dd_client *c, struct dd_client_event *ev)
{
	struct v4l2_plane plane = { 0 };
	struct v4l2_buffer b = {
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE, .memory = V4L2_MEMORY_MMAP,
		.m.planes = &plane, .length = 1,
	};
	int r = dd_ioctl(c->fd, VIDIOC_DQBUF, &b);

	if (r == -EAGAIN)
		return DD_CLIENT_IDLE;
	if (r == -EPIPE) {
		c->last_seen = 1;
		return after_last(c);
	}
	if (r < 0)
		return fail(c, r, "DQBUF(CAPTURE): %s", strerror(-r));
	if (b.index >= c->n_cap)
		return fail(c, -EPROTO, "DQBUF(CAPTURE) gave buffer %u of %u", b.index, c->n_cap);
	if (b.flags & V4L2_BUF_FLAG_LAST)
		c->last_seen = 1;
	if (!plane.bytesused && !(b.flags & V4L2_BUF_FLAG_ERROR)) {
		/* An empty buffer: only LAST's carrier, or nothing at all. */
		if (c->last_seen)
			return after_last(c);
		r = queue_capture(c, b.index);
		return r < 0 ? r : DD_CLIENT_IDLE;
	}
	c->held = (int)b.index;
	c->held_bytes = plane.bytesused;
	c->held_last = c->last_seen;
	ev->timestamp_us = (int64_t)b.timestamp.tv_sec * 1000000 + b.timestamp.tv_usec;
	ev->sequence = b.sequence;
	ev->flags = b.flags;
	ev->bytesused = plane.bytesused;
	return DD_CLIENT_FRAME;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* One poll, then whatever it says is ready: events, bitstream buffers, a frame. */
static int wait_and_dequeue(struct dd_client *c, int timeout_ms, struct dd_client_event *ev)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN | POLLOUT | POLLPRI };
	int r = poll(&p, 1, timeout_ms);

	if (r < 0 && errno != EINTR)
		return fail(c, -errno, "poll: %s", strerror(errno));
	/* ERR alone: neither queue can complete a buffer yet; do not spin. */
	if (r > 0 && p.revents == POLLERR)
		sleep_ms(timeout_ms < 10 ? timeout_ms : 10);
	r = read_events(c);
	if (r < 0)
		return r;
	r = reclaim_output(c);
	if (r < 0)
		return r;
	if (c->change_pending && !c->cap_streaming)
		return configure_capture(c);
	return c->cap_streaming ? dequeue_frame(c, ev) : DD_CLIENT_IDLE;
}

DD_EXPORT int dd_client_step(struct dd_client *c, int timeout_ms, struct dd_client_event *ev)
{
	int r;

	if (!c || !ev)
		return -EINVAL;
	memset(ev, 0, sizeof(*ev));
	if (c->held >= 0)
		return fail(c, -EBUSY, "a frame is held: take it first");
	if (c->ended)
		r = DD_CLIENT_END;
	else if (c->last_seen)
		r = after_last(c);
	else if (c->change_pending && !c->cap_streaming)
		r = configure_capture(c);
	else
		r = wait_and_dequeue(c, timeout_ms, ev);
	*ev = (struct dd_client_event){
		.timestamp_us = ev->timestamp_us, .sequence = ev->sequence, .flags = ev->flags,
		.bytesused = ev->bytesused,
		.pixelformat = c->fmt.pixelformat, .coded_width = c->fmt.coded_width,
		.coded_height = c->fmt.coded_height, .visible_left = c->fmt.visible_left,
		.visible_top = c->fmt.visible_top, .visible_width = c->fmt.visible_width,
		.visible_height = c->fmt.visible_height, .bytesperline = c->fmt.bytesperline,
		.buffers = c->fmt.buffers, .frame_size = c->fmt.frame_size,
	};
	return r;
}

/* The planes of a frame buffer as libavutil sees them, cropped to the visible rectangle. */
static int frame_planes(struct dd_client *c, const struct mapping *m, const uint8_t *data[4],
			int linesize[4])
{
	const struct dd_client_event *f = &c->fmt;
	size_t luma = (size_t)f->bytesperline * f->coded_height, need;
	uint32_t bps = f->pixelformat == V4L2_PIX_FMT_P010 ? 2 : 1;
	const uint8_t *base = m->addr;

	memset(data, 0, sizeof(data[0]) * 4);
	memset(linesize, 0, sizeof(linesize[0]) * 4);
	/* V4L2's single-buffer layouts: chroma right after the coded luma plane. */
	data[0] = base + (size_t)f->visible_top * f->bytesperline + f->visible_left * bps;
	linesize[0] = (int)f->bytesperline;
	if (f->pixelformat == V4L2_PIX_FMT_YUV420) {
		size_t chroma = (size_t)(f->bytesperline / 2) * (f->coded_height / 2);
		size_t at = (size_t)(f->visible_top / 2) * (f->bytesperline / 2) + f->visible_left / 2;

		data[1] = base + luma + at;
		data[2] = base + luma + chroma + at;
		linesize[1] = linesize[2] = (int)(f->bytesperline / 2);
		need = luma + 2 * chroma;
	} else {
		data[1] = base + luma + (size_t)(f->visible_top / 2) * f->bytesperline +
			  f->visible_left * bps;
		linesize[1] = (int)f->bytesperline;
		need = luma + luma / 2;
	}
	if (need > m->len || need > c->held_bytes)
		return fail(c, -EPROTO, "a %ux%u %s frame takes %zu bytes; the node filled %u of %zu",
			    f->coded_width, f->coded_height,
			    dd_ff.av_get_pix_fmt_name(c->av_fmt), need, c->held_bytes, m->len);
	return 0;
}

DD_EXPORT int64_t dd_client_take(struct dd_client *c, void *dst, int64_t dstlen)
{
	const uint8_t *data[4];
	int linesize[4], r = 0;
	uint32_t index;

	if (!c)
		return -EINVAL;
	if (c->held < 0)
		return fail(c, -ENOENT, "no frame is held");
	index = (uint32_t)c->held;
	if (dst) {
		if (dstlen < c->fmt.frame_size)
			return fail(c, -ENOSPC, "a frame needs %u bytes", c->fmt.frame_size);
		r = frame_planes(c, &c->cap[index], data, linesize);
		if (r >= 0 && dd_ff.av_image_copy_to_buffer(dst, (int)dstlen, data, linesize,
							    c->av_fmt, (int)c->fmt.visible_width,
							    (int)c->fmt.visible_height, 1) < 0)
			r = fail(c, -EIO, "packing the frame failed");
		else if (r >= 0)
			r = (int)c->fmt.frame_size;
	}
	c->held = -1;
	/* The LAST buffer stays out: the queue restarts with a new format or not at all. */
	if (!c->held_last) {
		int q = queue_capture(c, index);

		if (q < 0)
			return q;
	}
	return r;
}

DD_EXPORT const char *dd_client_error(const struct dd_client *c)
{
	return c ? c->err : "no client";
}

DD_EXPORT void dd_client_close(struct dd_client *c)
{
	if (!c)
		return;
	if (c->fd >= 0) {
		uint32_t out = V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE;
		uint32_t cap = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;

		dd_ioctl(c->fd, VIDIOC_STREAMOFF, &out);
		dd_ioctl(c->fd, VIDIOC_STREAMOFF, &cap);
	}
	unmap_all(c->out, &c->n_out);
	unmap_all(c->cap, &c->n_cap);
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}
