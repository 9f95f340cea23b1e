// SPDX-License-Identifier: BSD-2-Clause
/*
 * A V4L2 stateful-decoder client for the device suite (seek.test.ts,
 * state-machine.test.ts): raw ioctls, MPLANE, MMAP, one H.264 access unit
 * per OUTPUT buffer. It runs the steps it is given in order and prints what
 * happened, one fact per line, so the tests can hold the node to
 * dev-decoder.rst. It asserts nothing itself.
 *
 *   m2m-seq split CLIP              "au <index> <offset> <size>" per access unit
 *   m2m-seq run DEVICE CLIP STEP... the steps below
 *
 * Steps (each first prints "step <step>"):
 *   fmt-out                 S_FMT OUTPUT to H264          "result fmt-out ok|<ERRNO>"
 *   fmt-out:W:H             the same, the coded size W x H given, as a client
 *                           that sets CAPTURE up before the stream is parsed
 *                           does (dev-decoder.rst, Initialization, step 4)
 *   fmt-out-mib:M           fmt-out asking for OUTPUT buffers of M MiB
 *   reqbufs-out:N           REQBUFS OUTPUT (0 frees)      "result reqbufs-out <count>|<ERRNO>"
 *   reqbufs-cap:N           REQBUFS CAPTURE in G_FMT's format
 *   create-cap:N:F          CREATE_BUFS CAPTURE, G_FMT's format F times wider
 *                           and higher                    "result create-cap <count> <first index>"
 *   streamon-out, streamoff-out, streamon-cap, streamoff-cap
 *                           "result <step> ok|<ERRNO>"; STREAMON CAPTURE queues
 *                           every CAPTURE buffer, STREAMOFF takes them all back
 *   feed:A:B                queue access units A..B-1     "queue <serial> <au>" each
 *   feed-eos:A:B            the same, an end-of-stream NAL after the last one
 *   feed-hold:A:B           the same, serving nothing meanwhile (no event is
 *                           taken before the next step); as many as there are
 *                           free OUTPUT buffers
 *   feed-bad:SEED:N         queue N access units, from the first on and round
 *                           again, damaged as a seeded generator picks: kept,
 *                           bits flipped or cut short after the parameter
 *                           sets, replaced by random bytes or by bytes of the
 *                           alien file (another codec's), or empty
 *   alien:PATH              the file feed-bad takes other-codec bytes from
 *                                                         "queue <serial> <au> <kind>" each
 *   frames:N                until N frames in all have come out
 *   stop, start             DECODER_CMD                   "result stop|start ok|<ERRNO>"
 *   last                    until the LAST buffer and every OUTPUT buffer are
 *                           back, then one more DQBUF
 *                                                         "result dqbuf-after-last ok|<ERRNO>"
 *   last-done               until a CAPTURE buffer is done with LAST, dequeuing
 *                           none                          "result last-done ok"
 *   settle:MS               serve both queues and events for MS ms
 *   query-out, query-cap    "state <queue> queued <n> done <n>" (QUERYBUF flags)
 *   distinct                tag the start of every mapped buffer of both
 *                           queues, then read every tag back: each mapping
 *                           must be memory of its own "result distinct <n>|clash"
 *   auto:off, auto:on       answer SOURCE_CHANGE with a CAPTURE setup (default on)
 *   setup:create:F          set CAPTURE up with create-cap:…:F instead of REQBUFS
 *   setup:dmabuf:N          set CAPTURE up with DMABUF memory: N dmabufs, more
 *                           than there are buffers, exported by another handle
 *                           of the node (whose memory is what the node's own
 *                           CAPTURE memory is: CMA on a Pi), queued in turn, so
 *                           that a buffer index carries another dmabuf each
 *                           time, as Chromium's GBM buffers do
 *   setup:dmabuf:N:R        the same, the first R of them exported read-only
 *                           (a client's mistake: nothing may write into them
 *                           through a mapping); an ERROR buffer then says
 *                           which dmabuf it carried "frame-error <serial>
 *                                                   <index> dmabuf <n>"
 *   wait-event              one event by a blocking DQEVENT (the only step that
 *                           blocks in the kernel)       "event ..." or
 *                                                       "result wait-event <ERRNO>"
 *   prime:DRM               from now on, every frame is also exported
 *                           (EXPBUF), imported into DRM device DRM and exported
 *                           from it again, and read there (MMAP only)
 *                                                       "result prime ok|<ERRNO>",
 *                                                       "prime <serial> <md5>|<ERRNO>"
 *   prime-formats:DRM       for each CAPTURE format the node offers, a buffer of
 *                           a new handle in that format through the same round
 *                           trip, its bytes compared "prime-format <fourcc>
 *                                                       ok <bytes>|<what> <ERRNO>"
 *   scribble                from now on, every frame buffer (MMAP) is filled with
 *                           a pattern once its frame is read, before it is queued
 *                           again: the buffer is the client's between DQBUF and
 *                           QBUF, and a client may draw into it
 *                                                       "scribbled <index> <bytes>"
 *
 * Whatever step runs, the node is served: done OUTPUT buffers are taken
 * back, frames are dequeued ("frame <serial> <md5> <index> <flags>", the
 * MD5 of the visible picture packed as FFmpeg's nv12; "frame-error" for an
 * ERROR buffer; "last <index> <bytesused>" for LAST) and queued again, and
 * events are dequeued ("event eos", "event source-change <changes>"). The
 * timestamp of the n-th OUTPUT buffer queued (serial n, from 1) is n ms, so
 * a frame names the queueing it came from. A wait that sees nothing happen
 * for 30 s prints "timeout <what>" and exits with 3.
 *
 * Built statically (scripts/build-test-clients), with prime.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <linux/videodev2.h>
#include <nettle/md5.h>

#include "prime.h"

#define MAX_BUFS	32
#define MAX_AUS		4096
#define MAX_DMABUFS	64
#define STALL_MS	30000

struct buf {
	void *addr;
	size_t len;
	bool queued;
	unsigned int dmabuf;	/* DMABUF memory: the one it was last queued with */
};

/* A dmabuf of setup:dmabuf, mapped for reading the frames it receives. */
struct dmabuf {
	int fd;
	void *addr;
	size_t len;
	bool queued;
};

struct queue {
	uint32_t type;
	const char *name;
	struct buf bufs[MAX_BUFS];
	unsigned int n;
	bool streaming;
};

struct au {
	size_t offset, size;
};

static struct {
	int fd;
	struct queue out, cap;
	uint8_t *clip;
	size_t clip_len;
	struct au aus[MAX_AUS];
	unsigned int naus;
	uint32_t serial;
	struct v4l2_pix_format_mplane fmt;	/* CAPTURE, as last set up */
	struct v4l2_rect visible;
	unsigned int frames;			/* frames dequeued so far */
	bool last;				/* a LAST buffer was dequeued since STOP */
	bool auto_setup;
	unsigned int create_scale;		/* 0: set CAPTURE up with REQBUFS */
	uint64_t progress_ms;			/* when something last happened */
	uint8_t *alien;				/* feed-bad's other-codec bytes, or NULL */
	size_t alien_len;
	unsigned int ndmabufs;			/* setup:dmabuf's N; 0: MMAP */
	unsigned int ro_dmabufs;		/* of them, exported read-only */
	struct dmabuf dmabufs[MAX_DMABUFS];
	unsigned int dmabuf_next;		/* where the turn goes on */
	int exporter;				/* the handle that exported them */
	const char *device;
	int drm;				/* prime's DRM device, or -1 */
	bool scribble;				/* overwrite each frame once read */
} s = { .out = { V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE, "out" },
	.cap = { V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE, "cap" },
	.auto_setup = true, .drm = -1 };

static const char *errname(int e)
{
	static char other[16];

	switch (e) {
	case EBUSY: return "EBUSY";
	case EINVAL: return "EINVAL";
	case EPIPE: return "EPIPE";
	case EIO: return "EIO";
	case EAGAIN: return "EAGAIN";
	case ENOMEM: return "ENOMEM";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case ENOTTY: return "ENOTTY";
	case ENODEV: return "ENODEV";
	case EINTR: return "EINTR";
	}
	snprintf(other, sizeof(other), "E%d", e);
	return other;
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static __attribute__((noreturn)) void die(int code, const char *what)
{
	say("error %s", what);
	exit(code);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int xioctl(unsigned long req, void *arg)
{
	int r;

	do
		r = ioctl(s.fd, req, arg);
	while (r < 0 && errno == EINTR);
	return r < 0 ? errno : 0;
}

static void result(const char *step, int err)
{
	say("result %s %s", step, err ? errname(err) : "ok");
}

/* Annex B: access units start at an AUD, SPS, PPS or SEI, or at a slice with first_mb 0. */

static size_t next_start(const uint8_t *p, size_t len, size_t at)
{
	for (; at + 3 <= len; at++)
		if (!p[at] && !p[at + 1] && p[at + 2] == 1)
			return at;
	return len;
}

static void split(void)
{
	size_t at = next_start(s.clip, s.clip_len, 0);
	bool vcl_seen = false;

	s.naus = 0;
	while (at < s.clip_len) {
		size_t nal = at + 3, next = next_start(s.clip, s.clip_len, nal);
		/* A four-byte start code's zero belongs to the NAL that follows. */
		size_t begin = at > 0 && !s.clip[at - 1] ? at - 1 : at;
		unsigned int type = nal < s.clip_len ? s.clip[nal] & 0x1f : 0;
		bool vcl = type == 1 || type == 5;
		bool first_mb0 = vcl && nal + 1 < s.clip_len && (s.clip[nal + 1] & 0x80);
		bool starts = !s.naus || (vcl_seen && ((type >= 6 && type <= 9) ||
						       (type >= 14 && type <= 18) || first_mb0));

		if (starts) {
			if (s.naus == MAX_AUS)
				die(2, "too many access units");
			if (s.naus)
				s.aus[s.naus - 1].size = begin - s.aus[s.naus - 1].offset;
			s.aus[s.naus++].offset = begin;
			vcl_seen = false;
		}
		vcl_seen |= vcl;
		at = next;
	}
	if (s.naus)
		s.aus[s.naus - 1].size = s.clip_len - s.aus[s.naus - 1].offset;
}

/* @path mapped read-only, its size in @len; @what names it in the error. */
static uint8_t *map_file(const char *path, size_t *len, const char *what)
{
	static char why[64];
	struct stat st;
	uint8_t *p;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &st) || !st.st_size) {
		snprintf(why, sizeof(why), "cannot read %s", what);
		die(2, why);
	}
	*len = (size_t)st.st_size;
	p = mmap(NULL, *len, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		snprintf(why, sizeof(why), "cannot map %s", what);
		die(2, why);
	}
	return p;
}

static void load(const char *path)
{
	s.clip = map_file(path, &s.clip_len, "the clip");
	split();
}

static void load_alien(const char *path)
{
	s.alien = map_file(path, &s.alien_len, "the alien file");
}

/* Buffers. */

static uint32_t memory_of(const struct queue *q)
{
	return q == &s.cap && s.ndmabufs ? V4L2_MEMORY_DMABUF : V4L2_MEMORY_MMAP;
}

static void unmap_all(struct queue *q)
{
	for (unsigned int i = 0; i < q->n; i++)
		if (q->bufs[i].addr)
			munmap(q->bufs[i].addr, q->bufs[i].len);
	memset(q->bufs, 0, sizeof(q->bufs));
	q->n = 0;
}

static void map_buf(struct queue *q, unsigned int index)
{
	struct v4l2_plane planes[VIDEO_MAX_PLANES] = { 0 };
	struct v4l2_buffer b = { .type = q->type, .memory = V4L2_MEMORY_MMAP, .index = index,
				 .m.planes = planes, .length = VIDEO_MAX_PLANES };
	void *addr;

	if (index >= MAX_BUFS || xioctl(VIDIOC_QUERYBUF, &b))
		die(2, "QUERYBUF failed");
	addr = mmap(NULL, planes[0].length, PROT_READ | PROT_WRITE, MAP_SHARED, s.fd,
		    planes[0].m.mem_offset);
	if (addr == MAP_FAILED)
		die(2, "mmap failed");
	q->bufs[index] = (struct buf){ .addr = addr, .len = planes[0].length };
}

/* A dmabuf's size, as it tells it through lseek; 0 if it does not. */
static size_t dmabuf_size(int fd)
{
	off_t len = lseek(fd, 0, SEEK_END);

	return len > 0 ? (size_t)len : 0;
}

/*
 * setup:dmabuf's dmabufs: CAPTURE buffers of a second handle of the node,
 * as large as this one's frames need, exported and mapped.
 */
static void export_dmabufs(const char *device)
{
	struct v4l2_create_buffers cb = { .count = s.ndmabufs, .memory = V4L2_MEMORY_MMAP,
					  .format.type = s.cap.type };
	struct v4l2_pix_format_mplane *pix = &cb.format.fmt.pix_mp;
	int fd = open(device, O_RDWR | O_CLOEXEC);

	if (fd < 0 || ioctl(fd, VIDIOC_G_FMT, &cb.format))
		die(2, "cannot open the exporting handle");
	/* Its own format may be larger; a dmabuf larger than needed is imported as well. */
	if (pix->plane_fmt[0].sizeimage < s.fmt.plane_fmt[0].sizeimage)
		pix->plane_fmt[0].sizeimage = s.fmt.plane_fmt[0].sizeimage;
	if (ioctl(fd, VIDIOC_CREATE_BUFS, &cb) || cb.count != s.ndmabufs)
		die(2, "the exporting handle has no buffers");
	for (unsigned int i = 0; i < s.ndmabufs; i++) {
		struct v4l2_exportbuffer eb = { .type = s.cap.type, .index = cb.index + i,
						.flags = (i < s.ro_dmabufs ? O_RDONLY : O_RDWR) |
							 O_CLOEXEC };
		struct dmabuf *d = &s.dmabufs[i];
		size_t len;

		if (ioctl(fd, VIDIOC_EXPBUF, &eb))
			die(2, "EXPBUF failed");
		len = dmabuf_size(eb.fd);
		d->addr = len ? mmap(NULL, len, PROT_READ, MAP_SHARED, eb.fd, 0) : MAP_FAILED;
		if (d->addr == MAP_FAILED)
			die(2, "cannot map an exported dmabuf");
		d->fd = eb.fd;
		d->len = len;
	}
	s.exporter = fd;
}

static int reqbufs(struct queue *q, unsigned int count)
{
	struct v4l2_requestbuffers rb = { .count = count, .type = q->type,
					  .memory = memory_of(q) };
	int err = xioctl(VIDIOC_REQBUFS, &rb);

	if (err)
		return -err;
	unmap_all(q);
	if (rb.count > MAX_BUFS)
		die(2, "too many buffers");
	for (unsigned int i = 0; i < rb.count && rb.memory == V4L2_MEMORY_MMAP; i++)
		map_buf(q, i);
	for (unsigned int i = 0; i < rb.count && rb.memory == V4L2_MEMORY_DMABUF; i++)
		q->bufs[i].len = s.dmabufs[0].len;
	q->n = rb.count;
	return (int)rb.count;
}

/* The next dmabuf in turn that no buffer holds: there are more than buffers. */
static unsigned int next_dmabuf(void)
{
	for (unsigned int k = 0; k < s.ndmabufs; k++) {
		unsigned int d = (s.dmabuf_next + k) % s.ndmabufs;

		if (!s.dmabufs[d].queued) {
			s.dmabuf_next = d + 1;
			return d;
		}
	}
	die(2, "every dmabuf is queued");
}

static int qbuf(struct queue *q, unsigned int index, size_t used, uint32_t serial)
{
	struct v4l2_plane planes[1] = { { .bytesused = (uint32_t)used } };
	struct v4l2_buffer b = { .type = q->type, .memory = memory_of(q), .index = index,
				 .m.planes = planes, .length = 1 };
	unsigned int d = 0;
	int err;

	if (b.memory == V4L2_MEMORY_DMABUF) {
		d = next_dmabuf();
		planes[0].m.fd = s.dmabufs[d].fd;
		planes[0].length = (uint32_t)s.dmabufs[d].len;
	}
	b.timestamp.tv_sec = serial / 1000;
	b.timestamp.tv_usec = (serial % 1000) * 1000;
	err = xioctl(VIDIOC_QBUF, &b);
	if (!err) {
		q->bufs[index].queued = true;
		q->bufs[index].dmabuf = d;
		if (b.memory == V4L2_MEMORY_DMABUF)
			s.dmabufs[d].queued = true;
	}
	return err;
}

/* The buffer is the client's again: so is the dmabuf it was queued with. */
static void unqueued(struct queue *q, unsigned int index)
{
	struct buf *b = &q->bufs[index];

	if (b->queued && memory_of(q) == V4L2_MEMORY_DMABUF)
		s.dmabufs[b->dmabuf].queued = false;
	b->queued = false;
}

/* Where the frame in buffer @index is: its mapping, or that of the dmabuf it was queued with. */
static const uint8_t *frame_data(unsigned int index)
{
	const struct buf *b = &s.cap.bufs[index];

	return memory_of(&s.cap) == V4L2_MEMORY_DMABUF ? s.dmabufs[b->dmabuf].addr : b->addr;
}

static void queue_all_cap(void)
{
	for (unsigned int i = 0; i < s.cap.n; i++)
		if (!s.cap.bufs[i].queued && qbuf(&s.cap, i, 0, 0))
			die(2, "QBUF on CAPTURE failed");
}

static int stream(struct queue *q, bool on)
{
	int type = (int)q->type;
	int err = xioctl(on ? VIDIOC_STREAMON : VIDIOC_STREAMOFF, &type);

	if (err)
		return err;
	q->streaming = on;
	if (!on)
		for (unsigned int i = 0; i < q->n; i++)
			unqueued(q, i);
	else if (q == &s.cap)
		queue_all_cap();
	return 0;
}

/*
 * A client storming the daemon's queue: @rounds of STREAMOFF and STREAMON
 * on CAPTURE, its buffers queued again each time (each round asks the
 * kernel for a STOP and hands the buffers over anew). Counts the rounds
 * that failed, and names the first error.
 */
static void storm(unsigned int rounds)
{
	int type = (int)s.cap.type;
	unsigned int failed = 0;
	int first = 0;

	for (unsigned int r = 0; r < rounds; r++) {
		int err = xioctl(VIDIOC_STREAMOFF, &type);

		for (unsigned int i = 0; i < s.cap.n; i++)
			unqueued(&s.cap, i);
		if (!err)
			err = xioctl(VIDIOC_STREAMON, &type);
		for (unsigned int i = 0; !err && i < s.cap.n; i++)
			err = qbuf(&s.cap, i, 0, 0);
		if (err) {
			failed++;
			first = first ? first : err;
		}
	}
	say("storm %u failed %u first %s", rounds, failed, first ? errname(first) : "none");
}

/* The visible picture, packed without padding, as FFmpeg's nv12. */
static void frame_md5(const uint8_t *p, char out[33])
{
	uint32_t bpl = s.fmt.plane_fmt[0].bytesperline;
	const uint8_t *chroma = p + (size_t)bpl * s.fmt.height;
	struct md5_ctx md5;
	uint8_t d[MD5_DIGEST_SIZE];

	md5_init(&md5);
	for (uint32_t y = 0; y < s.visible.height; y++)
		md5_update(&md5, s.visible.width,
			   p + (size_t)(s.visible.top + y) * bpl + s.visible.left);
	for (uint32_t y = 0; y < s.visible.height / 2; y++)
		md5_update(&md5, s.visible.width,
			   chroma + (size_t)(s.visible.top / 2 + y) * bpl + s.visible.left);
	md5_digest(&md5, sizeof(d), d);
	for (int i = 0; i < 16; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

/* CAPTURE setup (dev-decoder.rst): the format the stream asks for, and buffers for it. */

static void read_capture_format(void)
{
	struct v4l2_format f = { .type = s.cap.type };
	struct v4l2_selection sel = { .type = s.cap.type, .target = V4L2_SEL_TGT_COMPOSE };

	if (xioctl(VIDIOC_G_FMT, &f) || xioctl(VIDIOC_G_SELECTION, &sel))
		die(2, "G_FMT or G_SELECTION on CAPTURE failed");
	if (f.fmt.pix_mp.pixelformat != V4L2_PIX_FMT_NV12 || f.fmt.pix_mp.num_planes != 1)
		die(2, "CAPTURE is not single-plane NV12");
	s.fmt = f.fmt.pix_mp;
	s.visible = sel.r;
}

static unsigned int min_capture(void)
{
	struct v4l2_control c = { .id = V4L2_CID_MIN_BUFFERS_FOR_CAPTURE };

	if (xioctl(VIDIOC_G_CTRL, &c))
		die(2, "no MIN_BUFFERS_FOR_CAPTURE");
	return (unsigned int)c.value;
}

static int create_cap(unsigned int count, unsigned int scale, unsigned int *first)
{
	struct v4l2_create_buffers cb = { .count = count, .memory = V4L2_MEMORY_MMAP,
					  .format.type = s.cap.type };
	struct v4l2_pix_format_mplane *pix = &cb.format.fmt.pix_mp;
	int err;

	if (xioctl(VIDIOC_G_FMT, &cb.format))
		die(2, "G_FMT on CAPTURE failed");
	/* A format for frames scale times the size in each direction. */
	pix->width *= scale;
	pix->height *= scale;
	pix->plane_fmt[0].bytesperline *= scale;
	pix->plane_fmt[0].sizeimage *= scale * scale;
	err = xioctl(VIDIOC_CREATE_BUFS, &cb);
	if (err)
		return -err;
	if (cb.index + cb.count > MAX_BUFS)
		die(2, "too many buffers");
	for (unsigned int i = cb.index; i < cb.index + cb.count; i++)
		map_buf(&s.cap, i);
	if (cb.index + cb.count > s.cap.n)
		s.cap.n = cb.index + cb.count;
	*first = cb.index;
	return (int)cb.count;
}

static bool capture_fits(unsigned int min)
{
	if (s.cap.n < min)
		return false;
	for (unsigned int i = 0; i < s.cap.n; i++)
		if (s.cap.bufs[i].len < s.fmt.plane_fmt[0].sizeimage)
			return false;
	return true;
}

static void on_source_change(void)
{
	unsigned int min, first;
	int n;

	read_capture_format();
	if (!s.auto_setup)
		return;
	min = min_capture();
	if (s.cap.n) {
		/* Capture Setup step 6: buffers that fit resume decoding as they are. */
		if (!capture_fits(min))
			die(2, "CAPTURE buffers no longer fit; this client does not reallocate");
		if (s.cap.streaming) {
			struct v4l2_decoder_cmd dc = { .cmd = V4L2_DEC_CMD_START };

			result("setup-start", xioctl(VIDIOC_DECODER_CMD, &dc));
		} else {
			result("setup-streamon", stream(&s.cap, true));
		}
		return;
	}
	if (s.ndmabufs && !s.dmabufs[0].len)
		export_dmabufs(s.device);
	if (s.ndmabufs && min + 2 >= s.ndmabufs)
		die(2, "setup:dmabuf needs more dmabufs than CAPTURE buffers");
	n = s.create_scale ? create_cap(min + 2, s.create_scale, &first) : reqbufs(&s.cap, min + 2);
	if (n <= 0)
		die(2, "cannot allocate CAPTURE buffers");
	say("setup %ux%u visible %ux%u bytesperline %u buffers %d min %u %s", s.fmt.width,
	    s.fmt.height, s.visible.width, s.visible.height, s.fmt.plane_fmt[0].bytesperline, n,
	    min, s.create_scale ? "create" : s.ndmabufs ? "dmabuf" : "reqbufs");
	if (stream(&s.cap, true))
		die(2, "STREAMON on CAPTURE failed");
}

/* Serving the node. */

static void on_event(const struct v4l2_event *ev)
{
	if (ev->type == V4L2_EVENT_EOS) {
		say("event eos");
	} else if (ev->type == V4L2_EVENT_SOURCE_CHANGE) {
		say("event source-change %u", ev->u.src_change.changes);
		if (ev->u.src_change.changes & V4L2_EVENT_SRC_CH_RESOLUTION)
			on_source_change();
	} else {
		say("event other %u", ev->type);
	}
}

static bool take_events(void)
{
	struct v4l2_event ev;
	bool any = false;

	while (!xioctl(VIDIOC_DQEVENT, &ev)) {
		any = true;
		on_event(&ev);
	}
	return any;
}

static void wait_event_stalled(int sig)
{
	static const char msg[] = "timeout wait-event\n";

	(void)sig;
	if (write(STDOUT_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(4);
	_exit(3);
}

/*
 * A blocking DQEVENT, the file made blocking for it: it sleeps in the
 * kernel until the daemon has sent what the event reports, so the daemon
 * must be able to reach this context meanwhile.
 */
static void wait_event(void)
{
	int flags = fcntl(s.fd, F_GETFL);
	struct v4l2_event ev;
	int err;

	signal(SIGALRM, wait_event_stalled);
	alarm(STALL_MS / 1000);
	if (flags < 0 || fcntl(s.fd, F_SETFL, flags & ~O_NONBLOCK))
		die(2, "cannot make the file blocking");
	err = xioctl(VIDIOC_DQEVENT, &ev);
	if (fcntl(s.fd, F_SETFL, flags))
		die(2, "cannot make the file non-blocking again");
	alarm(0);
	if (err)
		result("wait-event", err);
	else
		on_event(&ev);
	s.progress_ms = now_ms();
}

static int dqbuf(struct queue *q, struct v4l2_buffer *b, struct v4l2_plane *planes)
{
	*b = (struct v4l2_buffer){ .type = q->type, .memory = memory_of(q),
				   .m.planes = planes, .length = 1 };
	return xioctl(VIDIOC_DQBUF, b);
}

static bool take_output(void)
{
	struct v4l2_plane planes[1];
	struct v4l2_buffer b;
	bool any = false;

	while (s.out.streaming && !dqbuf(&s.out, &b, planes)) {
		unqueued(&s.out, b.index);
		if (b.flags & V4L2_BUF_FLAG_ERROR)
			say("out-error %u", b.index);
		any = true;
	}
	return any;
}

/* The frame in CAPTURE buffer @index through the DRM device and back (prime:). */
static void prime_frame(unsigned int index, unsigned long long serial)
{
	struct v4l2_exportbuffer eb = { .type = s.cap.type, .index = index,
					.flags = O_RDONLY | O_CLOEXEC };
	char md5[33];
	size_t len;
	void *addr;
	int fd, err;

	err = xioctl(VIDIOC_EXPBUF, &eb);
	if (err) {
		say("prime %llu EXPBUF-%s", serial, errname(err));
		return;
	}
	fd = prime_roundtrip(s.drm, eb.fd);
	close(eb.fd);
	if (fd < 0) {
		say("prime %llu %s", serial, errname(-fd));
		return;
	}
	len = dmabuf_size(fd);
	addr = len ? mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0) : MAP_FAILED;
	if (addr == MAP_FAILED) {
		say("prime %llu mmap-%s", serial, errname(errno));
	} else {
		frame_md5(addr, md5);
		say("prime %llu %s", serial, md5);
		munmap(addr, len);
	}
	close(fd);
}

/*
 * One buffer of a new handle in CAPTURE format @fourcc through the DRM
 * device and back: what is written through the node's mapping is read
 * through the dmabuf the DRM device gave.
 */
static void prime_format(uint32_t fourcc)
{
	char name[5] = { fourcc, fourcc >> 8, fourcc >> 16, fourcc >> 24, 0 };
	struct v4l2_format f = { .type = s.cap.type };
	struct v4l2_requestbuffers rb = { .count = 1, .type = s.cap.type,
					  .memory = V4L2_MEMORY_MMAP };
	struct v4l2_plane planes[VIDEO_MAX_PLANES] = { 0 };
	struct v4l2_buffer b = { .type = s.cap.type, .memory = V4L2_MEMORY_MMAP,
				 .m.planes = planes, .length = VIDEO_MAX_PLANES };
	struct v4l2_exportbuffer eb = { .type = s.cap.type, .flags = O_RDWR | O_CLOEXEC };
	const char *what = NULL;
	uint8_t *mine = MAP_FAILED, *theirs = MAP_FAILED;
	int fd = open(s.device, O_RDWR | O_CLOEXEC), back = -1, err = 0;
	size_t len = 0;

	f.fmt.pix_mp.pixelformat = fourcc;
	if (fd < 0)
		what = "open", err = errno;
	else if (ioctl(fd, VIDIOC_S_FMT, &f))
		what = "S_FMT", err = errno;
	else if (f.fmt.pix_mp.pixelformat != fourcc)
		what = "S_FMT", err = EINVAL;
	else if (ioctl(fd, VIDIOC_REQBUFS, &rb) || ioctl(fd, VIDIOC_QUERYBUF, &b))
		what = "REQBUFS", err = errno;
	else if (ioctl(fd, VIDIOC_EXPBUF, &eb))
		what = "EXPBUF", err = errno;
	if (!what) {
		back = prime_roundtrip(s.drm, eb.fd);
		close(eb.fd);
		if (back < 0)
			what = "PRIME", err = -back;
	}
	if (!what) {
		len = planes[0].length;
		mine = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			    planes[0].m.mem_offset);
		theirs = dmabuf_size(back) >= len ?
			 mmap(NULL, len, PROT_READ, MAP_SHARED, back, 0) : MAP_FAILED;
		if (mine == MAP_FAILED || theirs == MAP_FAILED)
			what = "mmap", err = errno ? errno : EINVAL;
	}
	if (!what) {
		for (size_t i = 0; i < len; i++)
			mine[i] = (uint8_t)(i * 7 + fourcc);
		if (memcmp(mine, theirs, len))
			what = "bytes", err = EIO;
	}
	if (what)
		say("prime-format %s %s %s", name, what, errname(err));
	else
		say("prime-format %s ok %zu", name, len);
	if (mine != MAP_FAILED)
		munmap(mine, len);
	if (theirs != MAP_FAILED)
		munmap(theirs, len);
	if (back >= 0)
		close(back);
	if (fd >= 0)
		close(fd);
}

static void prime_formats(void)
{
	struct v4l2_fmtdesc d = { .type = s.cap.type };

	for (d.index = 0; !xioctl(VIDIOC_ENUM_FMT, &d); d.index++)
		prime_format(d.pixelformat);
}

/* Dequeues at most @limit frames, reports them and queues their buffers again. */
static bool take_frames(unsigned int limit)
{
	struct v4l2_plane planes[1];
	const uint8_t *frame;
	struct v4l2_buffer b;
	bool any = false;

	while (limit-- && s.cap.streaming && !dqbuf(&s.cap, &b, planes)) {
		uint64_t ns = (uint64_t)b.timestamp.tv_sec * 1000000000u +
			      (uint64_t)b.timestamp.tv_usec * 1000u;
		uint64_t serial = ns % 1000000u ? 0 : ns / 1000000u;

		any = true;
		frame = frame_data(b.index);
		unqueued(&s.cap, b.index);
		if (b.flags & V4L2_BUF_FLAG_ERROR && memory_of(&s.cap) == V4L2_MEMORY_DMABUF) {
			say("frame-error %llu %u dmabuf %u", (unsigned long long)serial, b.index,
			    s.cap.bufs[b.index].dmabuf);
		} else if (b.flags & V4L2_BUF_FLAG_ERROR) {
			say("frame-error %llu %u", (unsigned long long)serial, b.index);
		} else if (planes[0].bytesused) {
			char md5[33];

			if (planes[0].bytesused < s.fmt.plane_fmt[0].sizeimage)
				die(2, "a frame smaller than the CAPTURE format");
			frame_md5(frame, md5);
			s.frames++;
			say("frame %llu %s %u 0x%x", (unsigned long long)serial, md5, b.index,
			    b.flags);
			if (s.drm >= 0 && memory_of(&s.cap) == V4L2_MEMORY_MMAP)
				prime_frame(b.index, (unsigned long long)serial);
		}
		if (s.scribble && memory_of(&s.cap) == V4L2_MEMORY_MMAP) {
			memset(s.cap.bufs[b.index].addr, 0xa5, s.cap.bufs[b.index].len);
			say("scribbled %u %zu", b.index, s.cap.bufs[b.index].len);
		}
		if (b.flags & V4L2_BUF_FLAG_LAST) {
			say("last %u %u", b.index, planes[0].bytesused);
			s.last = true;
		}
		if (qbuf(&s.cap, b.index, 0, 0))
			die(2, "QBUF on CAPTURE failed");
	}
	return any;
}

/* One round: waits up to @ms for the node, then takes what it has. */
static void serve(int ms, bool frames)
{
	struct pollfd p = { .fd = s.fd, .events = POLLIN | POLLOUT | POLLPRI };
	bool any;
	int r;

	r = poll(&p, 1, ms);
	if (r < 0 && errno != EINTR)
		die(2, "poll failed");
	any = take_events();
	any |= take_output();
	if (frames)
		any |= take_frames(UINT_MAX);
	if (any)
		s.progress_ms = now_ms();
	else if (r > 0)
		usleep(2000);	/* ERR, or IN after LAST: poll answers at once, with nothing to take */
}

static void stalled(const char *what)
{
	if (now_ms() - s.progress_ms > STALL_MS) {
		say("timeout %s", what);
		exit(3);
	}
}

/* A free OUTPUT buffer, serving the node until one is. */
static unsigned int free_output(void)
{
	unsigned int i;

	for (;;) {
		for (i = 0; i < s.out.n && s.out.bufs[i].queued; i++)
			;
		if (i < s.out.n)
			return i;
		serve(100, true);
		stalled("a free OUTPUT buffer");
	}
}

static void feed(unsigned int a, unsigned int b, bool eos, bool hold)
{
	static const uint8_t eos_nal[] = { 0, 0, 0, 1, 11 };

	if (a > b || b > s.naus)
		die(2, "no such access units");
	s.progress_ms = now_ms();
	for (unsigned int au = a; au < b; au++) {
		size_t len = s.aus[au].size;
		bool with_eos = eos && au + 1 == b;
		unsigned int i = hold ? 0 : free_output();

		while (hold && i < s.out.n && s.out.bufs[i].queued)
			i++;
		if (i == s.out.n)
			die(2, "feed-hold: no free OUTPUT buffer");
		if (len + (with_eos ? sizeof(eos_nal) : 0) > s.out.bufs[i].len)
			die(2, "an access unit larger than an OUTPUT buffer");
		memcpy(s.out.bufs[i].addr, s.clip + s.aus[au].offset, len);
		if (with_eos) {
			memcpy((uint8_t *)s.out.bufs[i].addr + len, eos_nal, sizeof(eos_nal));
			len += sizeof(eos_nal);
		}
		s.serial++;
		if (qbuf(&s.out, i, len, s.serial))
			die(2, "QBUF on OUTPUT failed");
		say("queue %u %u", s.serial, au);
		if (!hold)
			serve(0, true);
	}
}

/* xorshift64: feed-bad's damage is the same for the same seed. */
static uint64_t next_random(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* Where an access unit's first slice starts: its parameter sets are kept whole. */
static size_t first_slice(const uint8_t *p, size_t len)
{
	for (size_t at = next_start(p, len, 0); at < len; at = next_start(p, len, at + 3)) {
		unsigned int type = at + 3 < len ? p[at + 3] & 0x1f : 0;

		if (type == 1 || type == 5)
			return at;
	}
	return len;
}

static void feed_bad(uint64_t seed, unsigned int count)
{
	static const char *const kinds[] = { "kept", "flipped", "cut", "random", "alien", "empty" };
	uint64_t x = seed ? seed : 1;

	if (!s.naus)
		die(2, "no access units");
	s.progress_ms = now_ms();
	for (unsigned int n = 0; n < count; n++) {
		unsigned int au = n % s.naus, i = free_output(), kind, roll;
		const uint8_t *src = s.clip + s.aus[au].offset;
		size_t len = s.aus[au].size, body = first_slice(src, len);
		uint8_t *dst = s.out.bufs[i].addr;

		if (len > s.out.bufs[i].len)
			die(2, "an access unit larger than an OUTPUT buffer");
		/* Out of 100: 40 kept, 20 flipped, 15 cut, 10 random, 10 alien, 5 empty. */
		roll = (unsigned int)(next_random(&x) % 100);
		kind = roll < 40 ? 0 : roll < 60 ? 1 : roll < 75 ? 2 : roll < 85 ? 3 : roll < 95 ? 4 : 5;
		if (kind == 4 && !s.alien)
			kind = 3;
		memcpy(dst, src, len);
		if (kind == 1 && body < len) {
			unsigned int flips = 1 + (unsigned int)(next_random(&x) % 8);

			for (unsigned int f = 0; f < flips; f++) {
				size_t at = body + next_random(&x) % (len - body);

				dst[at] ^= (uint8_t)(1u << (next_random(&x) % 8));
			}
		} else if (kind == 2 && body < len) {
			len = body + next_random(&x) % (len - body);
		} else if (kind == 3 || kind == 4) {
			len = 1 + next_random(&x) % 4096;
			for (size_t k = 0; k < len; k++)
				dst[k] = kind == 3 ? (uint8_t)next_random(&x)
					 : s.alien[(k + next_random(&x) % s.alien_len) % s.alien_len];
		} else if (kind == 5) {
			len = 0;
		}
		s.serial++;
		if (qbuf(&s.out, i, len, s.serial))
			die(2, "QBUF on OUTPUT failed");
		say("queue %u %u %s", s.serial, au, kinds[kind]);
		serve(0, true);
	}
}

static void wait_frames(unsigned int n)
{
	s.progress_ms = now_ms();
	while (s.frames < n) {
		serve(100, true);
		stalled("frames");
	}
}

static bool output_queued(void)
{
	for (unsigned int i = 0; i < s.out.n; i++)
		if (s.out.bufs[i].queued)
			return true;
	return false;
}

/* The end of a drain: the LAST frame, and every OUTPUT buffer back (dev-decoder.rst, Drain 2). */
static void wait_last(void)
{
	struct v4l2_plane planes[1];
	struct v4l2_buffer b;

	s.progress_ms = now_ms();
	while (!s.last || (s.out.streaming && output_queued())) {
		serve(100, true);
		stalled("the LAST buffer and every OUTPUT buffer");
	}
	result("dqbuf-after-last", dqbuf(&s.cap, &b, planes));
	take_events();
}

/*
 * Until a CAPTURE buffer is done with LAST, which stays undequeued: done
 * frames before it are dequeued (DQBUF takes the oldest first, and LAST
 * is the last), as many as QUERYBUF showed done without LAST.
 */
static void wait_last_done(void)
{
	s.progress_ms = now_ms();
	for (;;) {
		unsigned int done = 0;

		for (unsigned int i = 0; i < s.cap.n; i++) {
			struct v4l2_plane planes[VIDEO_MAX_PLANES];
			struct v4l2_buffer b = { .type = s.cap.type, .memory = memory_of(&s.cap),
						 .index = i, .m.planes = planes,
						 .length = VIDEO_MAX_PLANES };

			if (xioctl(VIDIOC_QUERYBUF, &b))
				die(2, "QUERYBUF failed");
			if ((b.flags & V4L2_BUF_FLAG_DONE) && (b.flags & V4L2_BUF_FLAG_LAST)) {
				result("last-done", 0);
				return;
			}
			done += !!(b.flags & V4L2_BUF_FLAG_DONE);
		}
		if (take_frames(done))
			s.progress_ms = now_ms();
		serve(20, false);
		stalled("a done LAST buffer");
	}
}

static void settle(unsigned int ms)
{
	uint64_t end = now_ms() + ms;

	while (now_ms() < end)
		serve((int)(end - now_ms()), true);
}

/*
 * Two buffers whose mmap offsets collide map the same memory (or the second
 * fails to map): a tag written through one mapping shows through the other.
 */
static void distinct(void)
{
	struct queue *qs[] = { &s.out, &s.cap };
	unsigned int n = 0;

	for (int pass = 0; pass < 2; pass++) {
		for (unsigned int k = 0; k < 2; k++) {
			for (unsigned int i = 0; i < qs[k]->n; i++) {
				uint32_t tag = k << 16 | i, *at = qs[k]->bufs[i].addr;

				if (!at || qs[k]->bufs[i].len < sizeof(tag))
					continue;
				if (!pass) {
					*at = tag;
				} else if (*at != tag) {
					say("result distinct clash");
					return;
				} else {
					n++;
				}
			}
		}
	}
	say("result distinct %u", n);
}

static void query(struct queue *q)
{
	unsigned int queued = 0, done = 0;

	for (unsigned int i = 0; i < q->n; i++) {
		struct v4l2_plane planes[VIDEO_MAX_PLANES];
		struct v4l2_buffer b = { .type = q->type, .memory = memory_of(q), .index = i,
					 .m.planes = planes, .length = VIDEO_MAX_PLANES };

		if (xioctl(VIDIOC_QUERYBUF, &b))
			die(2, "QUERYBUF failed");
		queued += !!(b.flags & V4L2_BUF_FLAG_QUEUED);
		done += !!(b.flags & V4L2_BUF_FLAG_DONE);
	}
	say("state %s queued %u done %u", q->name, queued, done);
}

static int decoder_cmd(uint32_t cmd)
{
	struct v4l2_decoder_cmd dc = { .cmd = cmd };

	return xioctl(VIDIOC_DECODER_CMD, &dc);
}

static void step(const char *arg)
{
	unsigned int a = 0, b = 0;
	char name[32] = "";
	int n;

	say("step %s", arg);
	sscanf(arg, "%31[^:]:%u:%u", name, &a, &b);
	if (!strcmp(name, "fmt-out") || !strcmp(name, "fmt-out-mib")) {
		struct v4l2_format f = { .type = s.out.type };
		bool mib = name[7] == '-';

		f.fmt.pix_mp.pixelformat = V4L2_PIX_FMT_H264;
		f.fmt.pix_mp.width = mib ? 0 : a;
		f.fmt.pix_mp.height = mib ? 0 : b;
		f.fmt.pix_mp.num_planes = 1;
		f.fmt.pix_mp.plane_fmt[0].sizeimage = mib ? a << 20 : 512 * 1024;
		result("fmt-out", xioctl(VIDIOC_S_FMT, &f));
	} else if (!strcmp(name, "reqbufs-out") || !strcmp(name, "reqbufs-cap")) {
		struct queue *q = name[8] == 'o' ? &s.out : &s.cap;

		if (q == &s.cap && a)
			read_capture_format();
		n = reqbufs(q, a);
		if (n < 0)
			say("result %s %s", name, errname(-n));
		else
			say("result %s %d", name, n);
	} else if (!strcmp(name, "create-cap")) {
		unsigned int first = 0;

		read_capture_format();
		n = create_cap(a, b ? b : 1, &first);
		if (n < 0) {
			say("result create-cap %s", errname(-n));
		} else {
			say("result create-cap %d %u", n, first);
			if (s.cap.streaming)
				queue_all_cap();
		}
	} else if (!strcmp(name, "streamon-out") || !strcmp(name, "streamoff-out") ||
		   !strcmp(name, "streamon-cap") || !strcmp(name, "streamoff-cap")) {
		struct queue *q = strstr(name, "out") ? &s.out : &s.cap;

		if (q == &s.cap && !strcmp(name, "streamon-cap") && s.cap.n)
			read_capture_format();
		result(name, stream(q, name[7] == 'n'));
		if (q == &s.cap)
			s.last = false;
	} else if (!strcmp(name, "feed") || !strcmp(name, "feed-eos") ||
		   !strcmp(name, "feed-hold")) {
		feed(a, b, !strcmp(name, "feed-eos"), !strcmp(name, "feed-hold"));
	} else if (!strncmp(arg, "alien:", 6)) {
		load_alien(arg + 6);
	} else if (!strcmp(name, "feed-bad")) {
		feed_bad(a, b);
	} else if (!strcmp(name, "frames")) {
		wait_frames(a);
	} else if (!strcmp(name, "stop") || !strcmp(name, "start")) {
		s.last = false;
		result(name, decoder_cmd(name[2] == 'o' ? V4L2_DEC_CMD_STOP : V4L2_DEC_CMD_START));
	} else if (!strcmp(name, "last")) {
		wait_last();
	} else if (!strcmp(name, "last-done")) {
		wait_last_done();
	} else if (!strcmp(name, "storm")) {
		storm(a);
	} else if (!strcmp(name, "settle")) {
		settle(a);
	} else if (!strcmp(name, "query-out") || !strcmp(name, "query-cap")) {
		query(name[6] == 'o' ? &s.out : &s.cap);
	} else if (!strcmp(name, "distinct")) {
		distinct();
	} else if (!strcmp(arg, "auto:on") || !strcmp(arg, "auto:off")) {
		s.auto_setup = arg[6] == 'n';
	} else if (!strncmp(arg, "setup:create:", 13)) {
		s.create_scale = (unsigned int)atoi(arg + 13);
	} else if (!strncmp(arg, "setup:dmabuf:", 13)) {
		const char *ro = strchr(arg + 13, ':');

		s.ndmabufs = (unsigned int)atoi(arg + 13);
		s.ro_dmabufs = ro ? (unsigned int)atoi(ro + 1) : 0;
		if (!s.ndmabufs || s.ndmabufs > MAX_DMABUFS || s.ro_dmabufs >= s.ndmabufs)
			die(2, "setup:dmabuf wants 1 to 64 dmabufs, not all of them read-only");
	} else if (!strcmp(name, "wait-event")) {
		wait_event();
	} else if (!strcmp(name, "scribble")) {
		s.scribble = true;
	} else if (!strncmp(arg, "prime:", 6) || !strncmp(arg, "prime-formats:", 14)) {
		const char *path = strchr(arg, ':') + 1;

		if (s.drm < 0)
			s.drm = prime_open(path);
		if (s.drm < 0) {
			result("prime", -s.drm);
			s.drm = -1;
		} else if (arg[5] == ':') {
			result("prime", 0);
		} else {
			prime_formats();
		}
	} else {
		die(2, "unknown step");
	}
}

int main(int argc, char **argv)
{
	static const uint32_t events[] = { V4L2_EVENT_SOURCE_CHANGE, V4L2_EVENT_EOS };

	if (argc == 3 && !strcmp(argv[1], "split")) {
		load(argv[2]);
		for (unsigned int i = 0; i < s.naus; i++)
			say("au %u %zu %zu", i, s.aus[i].offset, s.aus[i].size);
		return 0;
	}
	if (argc < 4 || strcmp(argv[1], "run")) {
		fprintf(stderr, "usage: m2m-seq split CLIP | m2m-seq run DEVICE CLIP STEP...\n");
		return 2;
	}
	load(argv[3]);
	s.device = argv[2];
	s.fd = open(argv[2], O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (s.fd < 0)
		die(2, "cannot open the device");
	/* A stateless node has no decoder events: M2M_SEQ_NO_EVENTS=1 for one. */
	for (size_t i = 0; !getenv("M2M_SEQ_NO_EVENTS") && i < sizeof(events) / sizeof(events[0]); i++) {
		struct v4l2_event_subscription sub = { .type = events[i] };

		if (xioctl(VIDIOC_SUBSCRIBE_EVENT, &sub))
			die(2, "SUBSCRIBE_EVENT failed");
	}
	for (int i = 4; i < argc; i++)
		step(argv[i]);
	say("done");
	return 0;
}
