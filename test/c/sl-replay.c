// SPDX-License-Identifier: BSD-2-Clause
/*
 * Plays a recording of the stateless daemon (c/daemon/sl-record.h: the
 * requests a real client such as GStreamer made, controls and bitstream)
 * back through the stateless node as a client, with raw ioctls and the
 * real daemon behind the node (test/device/stateless-robustness.test.ts):
 *
 *   sl-replay VIDEO MEDIA RECORDING [OPTION...]
 *     --rounds N        play the recording N times over (default 1)
 *     --fuzz SEED       alter one compound control of every request:
 *                       request i of round r takes the (i + r) mod count'th,
 *                       1 to 4 of its bytes set at random (xorshift from
 *                       SEED), so every control of the codec is hit; a set
 *                       the kernel refuses is replaced by the recorded one,
 *                       so the request still goes
 *     --drop-ref K      request K names, for its first reference, a
 *                       timestamp that no frame buffer carries
 *     --abandon K       queue requests 0 to K (at most 4) without
 *                       waiting, print "abandoned", and exit with them in
 *                       flight
 *     --slow MS         wait MS before each request, printing "queued I"
 *     --dmabuf N        frame buffers of DMABUF memory: N dmabufs, exported
 *                       by other handles of the node (so of the memory
 *                       the node's frame buffers are), queued in turn on
 *                       as many buffer indices as a round has requests
 *                       (fewer than N: no index is reused while its frame
 *                       may still be a reference), so from the second
 *                       round on an index carries another dmabuf each time
 *                       (as Chromium's GBM buffers do); each frame is read
 *                       from the dmabuf it was queued with, and "frame I
 *                       dmabuf D" says which (for an ERROR frame too)
 *     --read-only R     with --dmabuf, the first R dmabufs exported
 *                       read-only (a client's mistake: nothing may write
 *                       into them through a mapping)
 *
 * Requests go one at a time. Each prints "req I done HASH" (FNV-1a of the
 * frame), "req I error" (ERROR on the frame) or, with held pictures, "req
 * I held"; a refused control set adds "req I refused-ctrls". The last line
 * is "summary done D error E refused R". Exit 0 when every request came
 * back, 2 when the node ended the context (EIO: the daemon went away),
 * 1 with "FAIL why" for anything else, a request that never completes
 * included (10 s).
 *
 * Built for the guest's ABIs by scripts/build-test-clients.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/media.h>
#include <linux/videodev2.h>

#include "../../c/daemon/sl-record.h"

#define NOUT		4	/* OUTPUT buffers and requests */
#define NCAP		32	/* frame buffers: none reused within a short clip */
#define MAX_DMABUFS	64
#define DMABUFS_PER_EXPORTER	16	/* a node's queue holds at most 32 */
#define MAX_CTRLS	16
#define TIMEOUT_MS	10000
#define NO_SUCH_TS	((1ull << 62) + 12345)

struct job {
	struct dd_sl_record rec;
	uint8_t *ctrls, *bits;
};

static int video = -1, media = -1;
static struct job *jobs;
static unsigned int njobs;
static void *cap_addr[NCAP], *out_addr[NOUT];
static size_t cap_len[NCAP], out_len[NOUT];
static int reqs[NOUT];
static uint64_t rng;
/* --dmabuf: the dmabufs, mapped; the exporting handle; which one each index holds. */
static unsigned int ndmabufs, ro_dmabufs, ncap = NCAP;
static int dmabuf_fd[MAX_DMABUFS];
static void *dmabuf_addr[MAX_DMABUFS];
static size_t dmabuf_len[MAX_DMABUFS];
static unsigned int cap_dmabuf[NCAP];

static void fail(const char *fmt, ...)
{
	va_list ap;

	printf("FAIL ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	exit(1);
}

#define CHECK(cond, ...) do { if (!(cond)) fail(__VA_ARGS__); } while (0)

/* The node ended the context: the daemon is gone. */
static void eio(const char *what)
{
	printf("eio %s\n", what);
	exit(2);
}

static int xioctl(int fd, unsigned long req, void *arg)
{
	int r;

	do
		r = ioctl(fd, req, arg);
	while (r && errno == EINTR);
	return r ? errno : 0;
}

static uint32_t next_random(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 32);
}

static void load(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct dd_sl_record rec;

	CHECK(f, "open %s: %s", path, strerror(errno));
	while (fread(&rec, sizeof(rec), 1, f) == 1) {
		struct job *j;

		CHECK(rec.magic == DD_SL_RECORD_MAGIC && rec.ctrls_len <= 65536 &&
		      rec.bits_len <= 64u << 20, "record %u is not one", njobs);
		jobs = realloc(jobs, (njobs + 1) * sizeof(*jobs));
		CHECK(jobs, "out of memory");
		j = &jobs[njobs++];
		j->rec = rec;
		j->ctrls = malloc((rec.ctrls_len + 7) & ~7u);
		j->bits = malloc(((rec.bits_len + 7) & ~7u) + 1);
		CHECK(j->ctrls && j->bits, "out of memory");
		CHECK(fread(j->ctrls, 1, (rec.ctrls_len + 7) & ~7u, f) == ((rec.ctrls_len + 7) & ~7u) &&
		      fread(j->bits, 1, (rec.bits_len + 7) & ~7u, f) == ((rec.bits_len + 7) & ~7u),
		      "record %u is cut short", njobs - 1);
	}
	fclose(f);
	CHECK(njobs > 0, "%s holds no request", path);
}

/* A request's controls as V4L2 wants them: @c[], their count. */
static unsigned int parse_ctrls(uint8_t *blob, uint32_t len, struct v4l2_ext_control *c)
{
	unsigned int n = 0;
	uint32_t at = 0;

	while (at + sizeof(struct daedalus_sl_ctrl) <= len) {
		struct daedalus_sl_ctrl *rec = (struct daedalus_sl_ctrl *)(blob + at);

		CHECK(n < MAX_CTRLS && rec->size <= len - at - sizeof(*rec), "a bad control record");
		c[n++] = (struct v4l2_ext_control){ .id = rec->id, .size = rec->size, .ptr = rec + 1 };
		at += sizeof(*rec) + ((rec->size + 7) & ~7u);
	}
	return n;
}

/* Menu controls (decode mode, start code) are set on the node, before streaming. */
static bool has_payload(uint32_t id)
{
	struct v4l2_query_ext_ctrl q = { .id = id };

	CHECK(!xioctl(video, VIDIOC_QUERY_EXT_CTRL, &q), "QUERY_EXT_CTRL %#x: %s", id, strerror(errno));
	return q.flags & V4L2_CTRL_FLAG_HAS_PAYLOAD;
}

/* S_EXT_CTRLS of the payload (or, @menus, the other) controls of @c, in @req or on the node. */
static int set_ctrls(struct v4l2_ext_control *c, unsigned int n, int req, bool menus)
{
	struct v4l2_ext_control pick[MAX_CTRLS];
	struct v4l2_ext_controls cs = { .controls = pick };

	for (unsigned int i = 0; i < n; i++) {
		if (has_payload(c[i].id) == menus)
			continue;
		pick[cs.count] = c[i];
		if (menus)
			memcpy(&pick[cs.count].value, c[i].ptr, sizeof(int32_t));
		cs.count++;
	}
	if (req >= 0) {
		cs.which = V4L2_CTRL_WHICH_REQUEST_VAL;
		cs.request_fd = req;
	}
	return xioctl(video, VIDIOC_S_EXT_CTRLS, &cs);
}

static uint32_t output_fourcc(uint32_t codec)
{
	switch (codec) {
	case DAEDALUS_CODEC_H264: return V4L2_PIX_FMT_H264_SLICE;
	case DAEDALUS_CODEC_HEVC: return V4L2_PIX_FMT_HEVC_SLICE;
	case DAEDALUS_CODEC_VP8: return V4L2_PIX_FMT_VP8_FRAME;
	case DAEDALUS_CODEC_VP9: return V4L2_PIX_FMT_VP9_FRAME;
	case DAEDALUS_CODEC_MPEG2: return V4L2_PIX_FMT_MPEG2_SLICE;
	default: fail("codec %u cannot be replayed", codec);
	}
	return 0;
}

static void map_buffers(uint32_t type, unsigned int count, void **addr, size_t *len)
{
	struct v4l2_requestbuffers rb = { .count = count, .type = type, .memory = V4L2_MEMORY_MMAP };

	CHECK(!xioctl(video, VIDIOC_REQBUFS, &rb) && rb.count == count, "REQBUFS %u: %s", count,
	      strerror(errno));
	for (unsigned int i = 0; i < count; i++) {
		struct v4l2_plane p[1];
		struct v4l2_buffer b = { .type = type, .memory = V4L2_MEMORY_MMAP, .index = i,
					 .m.planes = p, .length = 1 };

		CHECK(!xioctl(video, VIDIOC_QUERYBUF, &b), "QUERYBUF: %s", strerror(errno));
		len[i] = p[0].length;
		addr[i] = mmap(NULL, len[i], PROT_READ | PROT_WRITE, MAP_SHARED, video,
			       p[0].m.mem_offset);
		CHECK(addr[i] != MAP_FAILED, "mmap: %s", strerror(errno));
	}
}

/* The coded format from the first request, and its controls set on the handle in video. */
static void set_format(void)
{
	const struct dd_sl_record *r = &jobs[0].rec;
	struct v4l2_format f = { .type = V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE };
	struct v4l2_ext_control c[MAX_CTRLS];
	uint32_t biggest = 0, n;

	for (unsigned int i = 0; i < njobs; i++)
		if (jobs[i].rec.bits_len > biggest)
			biggest = jobs[i].rec.bits_len;
	f.fmt.pix_mp.pixelformat = output_fourcc(r->codec);
	f.fmt.pix_mp.width = r->width;
	f.fmt.pix_mp.height = r->height;
	f.fmt.pix_mp.num_planes = 1;
	f.fmt.pix_mp.plane_fmt[0].sizeimage = biggest + 4096;
	CHECK(!xioctl(video, VIDIOC_S_FMT, &f), "S_FMT OUTPUT: %s", strerror(errno));
	n = parse_ctrls(jobs[0].ctrls, r->ctrls_len, c);
	CHECK(!set_ctrls(c, n, -1, true), "the menu controls: %s", strerror(errno));
	CHECK(!set_ctrls(c, n, -1, false), "the first request's controls: %s", strerror(errno));
}

/*
 * --dmabuf: more handles, set up as the first, allocate ndmabufs frame
 * buffers (DMABUFS_PER_EXPORTER each) and export them; the first handle
 * takes ncap DMABUF buffers. The exporters stay open, as a client's
 * allocator would.
 */
static void export_dmabufs(const char *vpath)
{
	int self = video;

	for (unsigned int first = 0; first < ndmabufs; first += DMABUFS_PER_EXPORTER) {
		unsigned int n = ndmabufs - first < DMABUFS_PER_EXPORTER ? ndmabufs - first
									  : DMABUFS_PER_EXPORTER;

		video = open(vpath, O_RDWR | O_NONBLOCK);
		CHECK(video >= 0, "open: %s", strerror(errno));
		set_format();
		map_buffers(V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE, n, &dmabuf_addr[first],
			    &dmabuf_len[first]);
		for (unsigned int i = 0; i < n; i++) {
			struct v4l2_exportbuffer eb = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE,
							.index = i };
			unsigned int d = first + i;

			eb.flags = (d < ro_dmabufs ? O_RDONLY : O_RDWR) | O_CLOEXEC;

			CHECK(!xioctl(video, VIDIOC_EXPBUF, &eb), "EXPBUF: %s", strerror(errno));
			dmabuf_fd[d] = eb.fd;
			/* Frames are read through the dmabuf, not the exporter's own mapping. */
			munmap(dmabuf_addr[d], dmabuf_len[d]);
			dmabuf_addr[d] = mmap(NULL, dmabuf_len[d], PROT_READ, MAP_SHARED, eb.fd, 0);
			CHECK(dmabuf_addr[d] != MAP_FAILED, "mmap of a dmabuf: %s", strerror(errno));
		}
	}
	video = self;
	{
		struct v4l2_requestbuffers rb = { .count = ncap,
						  .type = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE,
						  .memory = V4L2_MEMORY_DMABUF };

		CHECK(!xioctl(video, VIDIOC_REQBUFS, &rb) && rb.count == ncap,
		      "REQBUFS DMABUF %u: %s", ncap, strerror(errno));
	}
	printf("dmabufs %u buffers %u\n", ndmabufs, ncap);
}

/* Formats from the first request, its controls set on the node, buffers, streaming. */
static void setup(const char *vpath, const char *mpath)
{
	int type;

	video = open(vpath, O_RDWR | O_NONBLOCK);
	media = open(mpath, O_RDWR);
	CHECK(video >= 0 && media >= 0, "open: %s", strerror(errno));
	set_format();
	map_buffers(V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE, NOUT, out_addr, out_len);
	if (ndmabufs)
		export_dmabufs(vpath);
	else
		map_buffers(V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE, NCAP, cap_addr, cap_len);
	for (int i = 0; i < NOUT; i++)
		CHECK(!xioctl(media, MEDIA_IOC_REQUEST_ALLOC, &reqs[i]), "REQUEST_ALLOC: %s",
		      strerror(errno));
	type = V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE;
	CHECK(!xioctl(video, VIDIOC_STREAMON, &type), "STREAMON OUTPUT: %s", strerror(errno));
	type = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;
	CHECK(!xioctl(video, VIDIOC_STREAMON, &type), "STREAMON CAPTURE: %s", strerror(errno));
}

/* @c's first reference (by the codec's rules) renamed to a timestamp no buffer has. */
static bool drop_ref(uint32_t codec, struct v4l2_ext_control *c, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		if (codec == DAEDALUS_CODEC_H264 && c[i].id == V4L2_CID_STATELESS_H264_DECODE_PARAMS) {
			struct v4l2_ctrl_h264_decode_params *dp = c[i].ptr;

			for (int e = 0; e < 16; e++)
				if (dp->dpb[e].flags & V4L2_H264_DPB_ENTRY_FLAG_ACTIVE) {
					dp->dpb[e].reference_ts = NO_SUCH_TS;
					return true;
				}
		}
		if (codec == DAEDALUS_CODEC_HEVC && c[i].id == V4L2_CID_STATELESS_HEVC_DECODE_PARAMS) {
			struct v4l2_ctrl_hevc_decode_params *dp = c[i].ptr;

			if (dp->num_active_dpb_entries) {
				dp->dpb[0].timestamp = NO_SUCH_TS;
				return true;
			}
		}
		if (codec == DAEDALUS_CODEC_VP8 && c[i].id == V4L2_CID_STATELESS_VP8_FRAME) {
			struct v4l2_ctrl_vp8_frame *fr = c[i].ptr;

			if (!(fr->flags & V4L2_VP8_FRAME_FLAG_KEY_FRAME)) {
				fr->last_frame_ts = NO_SUCH_TS;
				return true;
			}
		}
		if (codec == DAEDALUS_CODEC_VP9 && c[i].id == V4L2_CID_STATELESS_VP9_FRAME) {
			struct v4l2_ctrl_vp9_frame *fr = c[i].ptr;

			if (!(fr->flags & (V4L2_VP9_FRAME_FLAG_KEY_FRAME | V4L2_VP9_FRAME_FLAG_INTRA_ONLY))) {
				fr->last_frame_ts = NO_SUCH_TS;
				return true;
			}
		}
		if (codec == DAEDALUS_CODEC_MPEG2 && c[i].id == V4L2_CID_STATELESS_MPEG2_PICTURE) {
			struct v4l2_ctrl_mpeg2_picture *p = c[i].ptr;

			if (p->picture_coding_type == V4L2_MPEG2_PIC_CODING_TYPE_P ||
			    p->picture_coding_type == V4L2_MPEG2_PIC_CODING_TYPE_B) {
				p->forward_ref_ts = NO_SUCH_TS;
				return true;
			}
		}
	}
	return false;
}

/* 1 to 4 bytes of the payload of @c set at random. */
static void mutate(struct v4l2_ext_control *c)
{
	unsigned int count = 1 + next_random() % 4;

	for (unsigned int k = 0; k < count && c->size; k++) {
		uint8_t *p = (uint8_t *)c->ptr + next_random() % c->size;

		switch (next_random() % 4) {
		case 0: *p = 0xff; break;
		case 1: *p = 0; break;
		case 2: *p ^= 1u << (next_random() % 8); break;
		default: *p = (uint8_t)next_random(); break;
		}
	}
}

static uint32_t memory_of(uint32_t type)
{
	return ndmabufs && !V4L2_TYPE_IS_OUTPUT(type) ? V4L2_MEMORY_DMABUF : V4L2_MEMORY_MMAP;
}

/* With --dmabuf, a frame buffer is queued with dmabuf @dmabuf. */
static void qbuf(uint32_t type, unsigned int index, int req, uint32_t bytes, uint64_t ts,
		 uint32_t flags, unsigned int dmabuf)
{
	struct v4l2_plane p[1] = { { .bytesused = bytes } };
	struct v4l2_buffer b = { .type = type, .memory = memory_of(type), .index = index,
				 .m.planes = p, .length = 1, .flags = flags };
	int err;

	if (b.memory == V4L2_MEMORY_DMABUF) {
		p[0].m.fd = dmabuf_fd[dmabuf];
		p[0].length = (uint32_t)dmabuf_len[dmabuf];
		cap_dmabuf[index] = dmabuf;
	}
	b.timestamp.tv_sec = ts / 1000000000ull;
	b.timestamp.tv_usec = ts % 1000000000ull / 1000;
	if (req >= 0) {
		b.flags |= V4L2_BUF_FLAG_REQUEST_FD;
		b.request_fd = req;
	}
	err = xioctl(video, VIDIOC_QBUF, &b);
	if (err == EIO)
		eio("QBUF");
	CHECK(!err, "QBUF %s %u: %s", V4L2_TYPE_IS_OUTPUT(type) ? "OUTPUT" : "CAPTURE", index,
	      strerror(err));
}

/* The next buffer of @type, which must come within the time limit. */
static struct v4l2_buffer dqbuf(uint32_t type)
{
	static struct v4l2_plane p[1];
	struct v4l2_buffer b = { .type = type, .memory = memory_of(type), .m.planes = p,
				 .length = 1 };
	struct pollfd pf = { video, V4L2_TYPE_IS_OUTPUT(type) ? POLLOUT : POLLIN, 0 };
	int err;

	CHECK(poll(&pf, 1, TIMEOUT_MS) == 1, "no %s buffer came back",
	      V4L2_TYPE_IS_OUTPUT(type) ? "OUTPUT" : "CAPTURE");
	err = xioctl(video, VIDIOC_DQBUF, &b);
	if (err == EIO || err == EPIPE)
		eio("DQBUF");
	CHECK(!err, "DQBUF: %s", strerror(err));
	return b;
}

static uint64_t fnv1a(const uint8_t *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;

	while (len--)
		h = (h ^ *p++) * 0x100000001b3ull;
	return h;
}

int main(int argc, char **argv)
{
	unsigned int rounds = 1, seq = 0, done = 0, errors = 0, refused = 0, cap_next = 0;
	long drop = -1, abandon = -1, slow = 0;
	bool fuzz = false;

	if (argc < 4)
		fail("usage: sl-replay VIDEO MEDIA RECORDING [--rounds N] [--fuzz SEED] [--drop-ref K] [--abandon K] [--slow MS] [--dmabuf N [--read-only R]]");
	for (int a = 4; a + 1 < argc; a += 2) {
		long v = strtol(argv[a + 1], NULL, 0);

		if (!strcmp(argv[a], "--rounds"))
			rounds = (unsigned int)v;
		else if (!strcmp(argv[a], "--fuzz"))
			fuzz = true, rng = 0x9e3779b97f4a7c15ull ^ (uint64_t)v;
		else if (!strcmp(argv[a], "--drop-ref"))
			drop = v;
		else if (!strcmp(argv[a], "--abandon"))
			abandon = v;
		else if (!strcmp(argv[a], "--slow"))
			slow = v;
		else if (!strcmp(argv[a], "--dmabuf"))
			ndmabufs = (unsigned int)v;
		else if (!strcmp(argv[a], "--read-only"))
			ro_dmabufs = (unsigned int)v;
		else
			fail("unknown option %s", argv[a]);
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	load(argv[3]);
	if (ndmabufs) {
		ncap = njobs < NCAP ? njobs : NCAP;
		CHECK(ndmabufs > ncap && ndmabufs <= MAX_DMABUFS,
		      "--dmabuf takes more than this recording's %u requests, at most %u", ncap,
		      MAX_DMABUFS);
	}
	CHECK(ro_dmabufs < ndmabufs || !ro_dmabufs, "--read-only takes fewer than --dmabuf's dmabufs");
	setup(argv[1], argv[2]);

	for (unsigned int r = 0; r < rounds; r++) {
		for (unsigned int i = 0; i < njobs; i++, seq++) {
			const struct job *j = &jobs[i];
			struct v4l2_ext_control c[MAX_CTRLS];
			uint8_t blob[DAEDALUS_SL_CTRLS_MAX];
			unsigned int n, slot = seq % NOUT;
			bool hold = j->rec.flags & DAEDALUS_SL_HOLD;
			bool begins = !(j->rec.flags & DAEDALUS_SL_CONTINUE);
			int req = reqs[slot], err;

			if (slow) {
				usleep((useconds_t)slow * 1000);
				printf("queued %u\n", seq);
			}
			CHECK(j->rec.ctrls_len <= sizeof(blob), "request %u: controls too big", seq);
			memcpy(blob, j->ctrls, j->rec.ctrls_len);
			n = parse_ctrls(blob, j->rec.ctrls_len, c);
			if ((long)seq == drop && !drop_ref(j->rec.codec, c, n))
				fail("request %u names no reference to drop", seq);
			if (fuzz) {
				unsigned int payload[MAX_CTRLS], np = 0;

				for (unsigned int k = 0; k < n; k++)
					if (has_payload(c[k].id))
						payload[np++] = k;
				CHECK(np, "request %u has no compound control", seq);
				mutate(&c[payload[(i + r) % np]]);
			}
			err = set_ctrls(c, n, req, false);
			if (err && fuzz) {
				printf("req %u refused-ctrls\n", seq);
				refused++;
				n = parse_ctrls(j->ctrls, j->rec.ctrls_len, c);
				err = set_ctrls(c, n, req, false);
			}
			CHECK(!err, "request %u: its controls: %s", seq, strerror(err));
			memcpy(out_addr[slot], j->bits, j->rec.bits_len);
			if (begins) {
				qbuf(V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE, cap_next % ncap, -1, 0, 0, 0,
				     ndmabufs ? cap_next % ndmabufs : 0);
				cap_next++;
			}
			qbuf(V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE, slot, req, j->rec.bits_len,
			     j->rec.timestamp, hold ? V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF : 0, 0);
			err = xioctl(req, MEDIA_REQUEST_IOC_QUEUE, NULL);
			if (err == EIO)
				eio("MEDIA_REQUEST_IOC_QUEUE");
			CHECK(!err, "request %u: QUEUE: %s", seq, strerror(err));
			if (abandon >= 0) {
				/* In flight on purpose: several at once, nobody waiting. */
				if ((long)seq == abandon || slot == NOUT - 1) {
					printf("abandoned\n");
					_exit(0);
				}
				continue;
			}
			{
				struct pollfd pf = { req, POLLPRI, 0 };

				CHECK(poll(&pf, 1, TIMEOUT_MS) == 1, "request %u never completed", seq);
			}
			(void)dqbuf(V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE);
			if (hold) {
				printf("req %u held\n", seq);
			} else {
				struct v4l2_buffer b = dqbuf(V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE);

				if (b.flags & V4L2_BUF_FLAG_ERROR) {
					if (ndmabufs)
						printf("frame %u dmabuf %u\n", seq, cap_dmabuf[b.index]);
					printf("req %u error\n", seq);
					errors++;
				} else {
					const uint8_t *frame = cap_addr[b.index];
					size_t room = cap_len[b.index];

					if (ndmabufs) {
						frame = dmabuf_addr[cap_dmabuf[b.index]];
						room = dmabuf_len[cap_dmabuf[b.index]];
						printf("frame %u dmabuf %u\n", seq, cap_dmabuf[b.index]);
					}
					CHECK(b.m.planes[0].bytesused <= room, "a frame larger than its buffer");
					printf("req %u done %016llx\n", seq,
					       (unsigned long long)fnv1a(frame, b.m.planes[0].bytesused));
					done++;
				}
			}
			CHECK(!xioctl(req, MEDIA_REQUEST_IOC_REINIT, NULL), "REINIT: %s", strerror(errno));
		}
	}
	printf("summary done %u error %u refused %u\n", done, errors, refused);
	return 0;
}
