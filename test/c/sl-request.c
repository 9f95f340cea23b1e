// SPDX-License-Identifier: BSD-2-Clause
/*
 * The stateless node's request path, driven from both ends by one process
 * (test/device/stateless-node.test.ts): it holds the bridge as the daemon
 * would (the real daemon is stopped) and is the client on the node, with
 * raw ioctls. No decoding happens: the "daemon" answers each job by hand,
 * so the test sees exactly what the module sends and what it does with
 * each answer.
 *
 *   sl-request serve SL_CODECS            HELLO, print "welcome sl_codecs <mask>",
 *                                         then read and drop the module's
 *                                         messages until stdin closes
 *   sl-request requests VIDEO MEDIA       the checks below, one "ok <what>" line
 *                                         each; the first that fails prints
 *                                         "FAIL <what>: <why>" and exits 1
 *   sl-request hold-request MEDIA         allocate a request, close everything
 *                                         else, print "ready", wait for stdin
 *
 * Built for the guest's ABI by scripts/build-test-clients.
 */
#define _GNU_SOURCE
#include <endian.h>
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
#include <linux/daedalus-v4l2.h>
#include <linux/media.h>
#include <linux/videodev2.h>

#define W 320
#define H 240

static int bridge = -1, video = -1, media = -1;
static const char *current = "setup";

static void fail(const char *fmt, ...)
{
	va_list ap;

	printf("FAIL %s: ", current);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	exit(1);
}

#define CHECK(cond, ...) do { if (!(cond)) fail(__VA_ARGS__); } while (0)

static void ok(void)
{
	printf("ok %s\n", current);
}

/* An ioctl's errno, 0 on success. */
static int xioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) ? errno : 0;
}

static void hdr(struct daedalus_msg_hdr *h, uint16_t type, uint32_t len, uint32_t ctx)
{
	memset(h, 0, sizeof(*h));
	h->magic = htole32(DAEDALUS_PROTO_MAGIC);
	h->version = htole16(DAEDALUS_PROTO_VERSION);
	h->type = htole16(type);
	h->length = htole32(len);
	h->ctx_id = htole32(ctx);
}

static void hello(uint32_t sl_codecs)
{
	struct daedalus_msg_hello m = { 0 };
	union { struct daedalus_msg_welcome w; char raw[DAEDALUS_MSG_MAX_LEN]; } r;

	bridge = open("/dev/" DAEDALUS_BRIDGE_NAME, O_RDWR);
	CHECK(bridge >= 0, "open the bridge: %s", strerror(errno));
	hdr(&m.hdr, DAEDALUS_MSG_HELLO, sizeof(m), 0);
	m.codecs = htole32(1u << DAEDALUS_CODEC_H264);
	m.pixfmts = htole32(7);
	m.max_width = htole32(4096);
	m.max_height = htole32(4096);
	m.sl_codecs = htole32(sl_codecs);
	strcpy(m.daemon_version, "sl-request");
	CHECK(write(bridge, &m, sizeof(m)) == sizeof(m), "HELLO: %s", strerror(errno));
	CHECK(read(bridge, &r, sizeof(r)) == sizeof(r.w), "no WELCOME");
	CHECK(le16toh(r.w.hdr.type) == DAEDALUS_MSG_WELCOME, "type %u", le16toh(r.w.hdr.type));
	printf("welcome sl_codecs %#x\n", le32toh(r.w.sl_codecs));
}

/* The next message from the module, whatever it is, within a second. */
static uint16_t bridge_read(void *buf)
{
	struct pollfd p = { bridge, POLLIN, 0 };
	struct daedalus_msg_hdr h;
	ssize_t n;

	CHECK(poll(&p, 1, 1000) == 1, "no message from the module");
	n = read(bridge, buf, DAEDALUS_MSG_MAX_LEN);
	CHECK(n >= (ssize_t)sizeof(h), "read: %s", strerror(errno));
	memcpy(&h, buf, sizeof(h));
	return le16toh(h.type);
}

/* The next SL_JOB, skipping the STARTs before it. */
static struct daedalus_msg_sl_job next_job(void)
{
	union { struct daedalus_msg_sl_job j; struct daedalus_msg_start s; char raw[DAEDALUS_MSG_MAX_LEN]; } m;
	uint16_t type;

	while ((type = bridge_read(&m)) == DAEDALUS_MSG_START)
		CHECK(le32toh(m.s.flags) == DAEDALUS_START_STATELESS, "START flags %#x", le32toh(m.s.flags));
	CHECK(type == DAEDALUS_MSG_SL_JOB, "message type %#x, not SL_JOB", type);
	return m.j;
}

/* A reply to the module; the errno of the write, 0 if taken. */
static int reply_frame(const struct daedalus_msg_sl_job *j, uint32_t bytes, uint32_t flags)
{
	struct daedalus_msg_frame f = { 0 };

	hdr(&f.hdr, DAEDALUS_MSG_FRAME, sizeof(f), le32toh(j->hdr.ctx_id));
	f.tag = j->cap_tag;
	f.index = j->cap_index;
	f.bytesused = htole32(bytes);
	f.flags = htole32(flags);
	return write(bridge, &f, sizeof(f)) == sizeof(f) ? 0 : errno;
}

static int reply_done(const struct daedalus_msg_sl_job *j)
{
	struct daedalus_msg_job_done d = { 0 };

	hdr(&d.hdr, DAEDALUS_MSG_JOB_DONE, sizeof(d), le32toh(j->hdr.ctx_id));
	d.tag = j->tag;
	d.index = j->index;
	return write(bridge, &d, sizeof(d)) == sizeof(d) ? 0 : errno;
}

static struct v4l2_ctrl_h264_sps sps(unsigned int depth)
{
	return (struct v4l2_ctrl_h264_sps){
		.profile_idc = depth > 8 ? 110 : 100, .level_idc = 40, .chroma_format_idc = 1,
		.bit_depth_luma_minus8 = depth - 8, .bit_depth_chroma_minus8 = depth - 8,
		.max_num_ref_frames = 4, .pic_width_in_mbs_minus1 = W / 16 - 1,
		.pic_height_in_map_units_minus1 = H / 16 - 1,
		.flags = V4L2_H264_SPS_FLAG_FRAME_MBS_ONLY,
	};
}

/* S_EXT_CTRLS of the SPS, in request @req (or none if negative); the errno. */
static int set_sps(int req, unsigned int depth)
{
	struct v4l2_ctrl_h264_sps s = sps(depth);
	struct v4l2_ctrl_h264_pps p = { .weighted_bipred_idc = 0 };
	struct v4l2_ctrl_h264_decode_params dp = { .frame_num = 1,
						   .flags = V4L2_H264_DECODE_PARAM_FLAG_IDR_PIC };
	struct v4l2_ext_control c[3] = {
		{ .id = V4L2_CID_STATELESS_H264_SPS, .size = sizeof(s), .ptr = &s },
		{ .id = V4L2_CID_STATELESS_H264_PPS, .size = sizeof(p), .ptr = &p },
		{ .id = V4L2_CID_STATELESS_H264_DECODE_PARAMS, .size = sizeof(dp), .ptr = &dp },
	};
	struct v4l2_ext_controls cs = { .count = req >= 0 ? 3 : 1, .controls = c };

	if (req >= 0) {
		cs.which = V4L2_CTRL_WHICH_REQUEST_VAL;
		cs.request_fd = req;
	}
	return xioctl(video, VIDIOC_S_EXT_CTRLS, &cs);
}

static struct v4l2_format cap_fmt(void)
{
	struct v4l2_format f = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE };

	CHECK(!xioctl(video, VIDIOC_G_FMT, &f), "G_FMT CAPTURE");
	return f;
}

static void qbuf_flags(uint32_t type, uint32_t index, int req, uint64_t ts_us, uint32_t flags,
		       int want)
{
	struct v4l2_plane planes[1] = { { .bytesused = V4L2_TYPE_IS_OUTPUT(type) ? 100 : 0 } };
	struct v4l2_buffer b = { .type = type, .memory = V4L2_MEMORY_MMAP, .index = index,
				 .m.planes = planes, .length = 1 };
	int err;

	b.timestamp.tv_sec = ts_us / 1000000;
	b.timestamp.tv_usec = ts_us % 1000000;
	b.flags = flags;
	if (req >= 0) {
		b.flags |= V4L2_BUF_FLAG_REQUEST_FD;
		b.request_fd = req;
	}
	err = xioctl(video, VIDIOC_QBUF, &b);
	CHECK(err == want, "QBUF %s %u: %s, expected %s", V4L2_TYPE_IS_OUTPUT(type) ? "OUTPUT" : "CAPTURE",
	      index, strerror(err), strerror(want));
}

static void qbuf(uint32_t type, uint32_t index, int req, uint64_t ts_us, int want)
{
	qbuf_flags(type, index, req, ts_us, 0, want);
}

/* Nothing to dequeue on that queue now. */
static bool idle(uint32_t type)
{
	struct pollfd p = { video, V4L2_TYPE_IS_OUTPUT(type) ? POLLOUT : POLLIN, 0 };

	return poll(&p, 1, 100) == 0;
}

static struct v4l2_buffer dqbuf(uint32_t type)
{
	static struct v4l2_plane planes[1];
	struct v4l2_buffer b = { .type = type, .memory = V4L2_MEMORY_MMAP, .m.planes = planes,
				 .length = 1 };
	struct pollfd p = { video, V4L2_TYPE_IS_OUTPUT(type) ? POLLOUT : POLLIN, 0 };

	CHECK(poll(&p, 1, 1000) == 1, "nothing to dequeue");
	CHECK(!xioctl(video, VIDIOC_DQBUF, &b), "DQBUF: %s", strerror(errno));
	return b;
}

static int request(void)
{
	int fd;

	CHECK(!xioctl(media, MEDIA_IOC_REQUEST_ALLOC, &fd), "REQUEST_ALLOC: %s", strerror(errno));
	return fd;
}

static void request_done(int req)
{
	struct pollfd p = { req, POLLPRI, 0 };

	CHECK(poll(&p, 1, 1000) == 1 && (p.revents & POLLPRI), "the request did not complete");
}

static uint64_t ts_ns(const struct v4l2_buffer *b)
{
	return (uint64_t)b->timestamp.tv_sec * 1000000000ull + b->timestamp.tv_usec * 1000ull;
}

/* The job's controls: every record's id and size; the SPS's width. */
static void check_ctrls(const struct daedalus_msg_sl_job *j, uint32_t want_depth)
{
	static const struct { uint32_t id; uint32_t size; } want[] = {
		{ V4L2_CID_STATELESS_H264_SPS, sizeof(struct v4l2_ctrl_h264_sps) },
		{ V4L2_CID_STATELESS_H264_PPS, sizeof(struct v4l2_ctrl_h264_pps) },
		{ V4L2_CID_STATELESS_H264_SCALING_MATRIX, sizeof(struct v4l2_ctrl_h264_scaling_matrix) },
		{ V4L2_CID_STATELESS_H264_DECODE_PARAMS, sizeof(struct v4l2_ctrl_h264_decode_params) },
		{ V4L2_CID_STATELESS_H264_DECODE_MODE, 4 },
		{ V4L2_CID_STATELESS_H264_START_CODE, 4 },
	};
	uint32_t len = le32toh(j->ctrls_len), at = 0;
	static uint8_t blob[DAEDALUS_SL_CTRLS_MAX];
	struct daedalus_sl_ctrls sc = { .ctx_id = le32toh(j->hdr.ctx_id), .index = le32toh(j->index),
					.tag = le32toh(j->tag), .size = len - 1,
					.ptr = (uintptr_t)blob };
	unsigned int i;

	CHECK(len > 0 && len <= sizeof(blob), "ctrls_len %u", len);
	CHECK(xioctl(bridge, DAEDALUS_IOC_SL_CTRLS, &sc) == ENOSPC, "a short buffer is not ENOSPC");
	sc.size = sizeof(blob);
	sc.tag++;
	CHECK(xioctl(bridge, DAEDALUS_IOC_SL_CTRLS, &sc) != 0, "another tag's controls were given");
	sc.tag--;
	CHECK(!xioctl(bridge, DAEDALUS_IOC_SL_CTRLS, &sc), "SL_CTRLS: %s", strerror(errno));
	CHECK(sc.size == len, "SL_CTRLS wrote %u bytes, SL_JOB said %u", sc.size, len);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct daedalus_sl_ctrl rec;

		CHECK(at + sizeof(rec) <= len, "record %u missing", i);
		memcpy(&rec, blob + at, sizeof(rec));
		CHECK(rec.id == want[i].id && rec.size == want[i].size,
		      "record %u: id %#x size %u, expected %#x size %u", i, rec.id, rec.size,
		      want[i].id, want[i].size);
		if (rec.id == V4L2_CID_STATELESS_H264_SPS) {
			struct v4l2_ctrl_h264_sps s;

			memcpy(&s, blob + at + sizeof(rec), sizeof(s));
			CHECK(s.pic_width_in_mbs_minus1 == W / 16 - 1 &&
			      s.bit_depth_luma_minus8 == want_depth - 8, "the SPS is not the request's");
		}
		if (rec.id == V4L2_CID_STATELESS_H264_DECODE_MODE) {
			int32_t mode;

			memcpy(&mode, blob + at + sizeof(rec), sizeof(mode));
			CHECK(mode == V4L2_STATELESS_H264_DECODE_MODE_FRAME_BASED, "decode mode %d", mode);
		}
		at += sizeof(rec) + ((rec.size + 7) & ~7u);
	}
	CHECK(at == len, "%u bytes after the last record", len - at);
}

static void setup(const char *vpath, const char *mpath)
{
	struct v4l2_format f = { .type = V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE };
	struct v4l2_requestbuffers rb = { .count = 2, .memory = V4L2_MEMORY_MMAP };
	struct v4l2_capability cap;

	current = "open";
	video = open(vpath, O_RDWR | O_NONBLOCK);
	media = open(mpath, O_RDWR);
	CHECK(video >= 0 && media >= 0, "%s", strerror(errno));
	CHECK(!xioctl(video, VIDIOC_QUERYCAP, &cap), "QUERYCAP");
	CHECK(!strcmp((char *)cap.card, DAEDALUS_SL_CARD_NAME), "card %s", cap.card);
	ok();

	current = "formats: S264 on OUTPUT, NV12 of its size on CAPTURE, P010 for a 10-bit SPS";
	f.fmt.pix_mp.pixelformat = V4L2_PIX_FMT_H264_SLICE;
	f.fmt.pix_mp.width = W;
	f.fmt.pix_mp.height = H;
	CHECK(!xioctl(video, VIDIOC_S_FMT, &f), "S_FMT OUTPUT");
	CHECK(f.fmt.pix_mp.pixelformat == V4L2_PIX_FMT_H264_SLICE, "OUTPUT is %.4s",
	      (char *)&f.fmt.pix_mp.pixelformat);
	f = cap_fmt();
	CHECK(f.fmt.pix_mp.pixelformat == V4L2_PIX_FMT_NV12 && f.fmt.pix_mp.width == W &&
	      f.fmt.pix_mp.height == H, "CAPTURE %.4s %ux%u", (char *)&f.fmt.pix_mp.pixelformat,
	      f.fmt.pix_mp.width, f.fmt.pix_mp.height);
	CHECK(!set_sps(-1, 10), "a 10-bit SPS: %s", strerror(errno));
	CHECK(cap_fmt().fmt.pix_mp.pixelformat == V4L2_PIX_FMT_P010, "not P010 after a 10-bit SPS");
	CHECK(set_sps(-1, 9) == EINVAL, "a 9-bit SPS was taken");
	CHECK(!set_sps(-1, 8), "an 8-bit SPS: %s", strerror(errno));
	CHECK(cap_fmt().fmt.pix_mp.pixelformat == V4L2_PIX_FMT_NV12, "not NV12 after an 8-bit SPS");
	ok();

	current = "buffers: OUTPUT only in requests (EBADR without), CAPTURE never (EPERM)";
	rb.type = V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE;
	CHECK(!xioctl(video, VIDIOC_REQBUFS, &rb) && rb.count == 2, "REQBUFS OUTPUT");
	CHECK(rb.capabilities & V4L2_BUF_CAP_SUPPORTS_REQUESTS, "OUTPUT does not support requests");
	CHECK(rb.capabilities & V4L2_BUF_CAP_SUPPORTS_M2M_HOLD_CAPTURE_BUF,
	      "H.264 OUTPUT does not offer HOLD_CAPTURE_BUF");
	rb.type = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;
	rb.count = 2;
	CHECK(!xioctl(video, VIDIOC_REQBUFS, &rb) && rb.count == 2, "REQBUFS CAPTURE");
	CHECK(!(rb.capabilities & V4L2_BUF_CAP_SUPPORTS_REQUESTS), "CAPTURE supports requests");
	qbuf(V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE, 0, -1, 1, EBADR);
	{
		int req = request();

		qbuf(V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE, 0, req, 1, EPERM);
		CHECK(ioctl(req, MEDIA_REQUEST_IOC_QUEUE) && errno == ENOENT,
		      "an empty request was not ENOENT");
		close(req);
	}
	ok();
}

/* A request of @ts_us on OUTPUT buffer @index, with no controls of its own; its fd. */
static int queue_request(uint32_t index, uint64_t ts_us, uint32_t flags)
{
	int req = request();

	qbuf_flags(V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE, index, req, ts_us, flags, 0);
	CHECK(!ioctl(req, MEDIA_REQUEST_IOC_QUEUE), "QUEUE: %s", strerror(errno));
	return req;
}

/* The next message is SL_FINISH for the frame buffer of @j. */
static void expect_finish(const struct daedalus_msg_sl_job *j)
{
	union { struct daedalus_msg_sl_finish f; char raw[DAEDALUS_MSG_MAX_LEN]; } m;
	uint16_t type = bridge_read(&m);

	CHECK(type == DAEDALUS_MSG_SL_FINISH, "message type %#x, not SL_FINISH", type);
	CHECK(m.f.cap_tag == j->cap_tag && m.f.cap_index == j->cap_index,
	      "SL_FINISH names frame buffer %u tag %u", le32toh(m.f.cap_index), le32toh(m.f.cap_tag));
}

/* Held pictures: the rules of HOLD_CAPTURE_BUF and FLUSH. */
static void hold(void)
{
	const uint32_t hold_flag = V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF;
	const uint32_t out = V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE, cap = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;
	struct daedalus_msg_sl_job a, b;
	struct v4l2_decoder_cmd flush = { .cmd = V4L2_DEC_CMD_FLUSH };
	struct v4l2_buffer got;
	int ra, rb;

	current = "a held picture: its first request completes alone, the last goes into the same frame buffer";
	qbuf(cap, 0, -1, 0, 0);
	ra = queue_request(0, 10, hold_flag);
	a = next_job();
	CHECK(le32toh(a.flags) == DAEDALUS_SL_HOLD, "flags %#x, not HOLD", le32toh(a.flags));
	CHECK(reply_frame(&a, W * H * 3 / 2, 0) == EINVAL, "FRAME of a held buffer was taken");
	CHECK(!reply_done(&a), "JOB_DONE of a held request: %s", strerror(errno));
	request_done(ra);
	got = dqbuf(out);
	CHECK(got.index == 0, "OUTPUT %u", got.index);
	CHECK(idle(cap), "the held frame came back before its picture ended");
	rb = queue_request(0, 10, 0);
	b = next_job();
	CHECK(le32toh(b.flags) == DAEDALUS_SL_CONTINUE && b.cap_tag == a.cap_tag,
	      "flags %#x cap tag %u, not CONTINUE into %u", le32toh(b.flags), le32toh(b.cap_tag),
	      le32toh(a.cap_tag));
	CHECK(!reply_frame(&b, W * H * 3 / 2, 0) && !reply_done(&b), "answers: %s", strerror(errno));
	request_done(rb);
	got = dqbuf(cap);
	CHECK(got.index == 0 && ts_ns(&got) == 10000, "CAPTURE %u ts %llu", got.index,
	      (unsigned long long)ts_ns(&got));
	dqbuf(out);
	close(ra);
	close(rb);
	ok();

	current = "a request of another picture ends the held one first (SL_FINISH)";
	qbuf(cap, 0, -1, 0, 0);
	qbuf(cap, 1, -1, 0, 0);
	ra = queue_request(0, 20, hold_flag);
	a = next_job();
	CHECK(!reply_done(&a), "JOB_DONE: %s", strerror(errno));
	request_done(ra);
	dqbuf(out);
	rb = queue_request(0, 30, 0);
	expect_finish(&a);
	b = next_job();
	CHECK(!b.flags && b.cap_tag != a.cap_tag, "flags %#x cap tag %u", le32toh(b.flags),
	      le32toh(b.cap_tag));
	CHECK(!reply_frame(&a, W * H * 3 / 2, 0), "the finished picture's FRAME: %s", strerror(errno));
	CHECK(!reply_frame(&b, W * H * 3 / 2, 0) && !reply_done(&b), "answers: %s", strerror(errno));
	request_done(rb);
	got = dqbuf(cap);
	CHECK(ts_ns(&got) == 20000, "first frame ts %llu", (unsigned long long)ts_ns(&got));
	got = dqbuf(cap);
	CHECK(ts_ns(&got) == 30000, "second frame ts %llu", (unsigned long long)ts_ns(&got));
	dqbuf(out);
	close(ra);
	close(rb);
	ok();

	current = "FLUSH ends the held picture";
	qbuf(cap, 0, -1, 0, 0);
	ra = queue_request(0, 40, hold_flag);
	a = next_job();
	CHECK(!reply_done(&a), "JOB_DONE: %s", strerror(errno));
	request_done(ra);
	dqbuf(out);
	CHECK(!xioctl(video, VIDIOC_DECODER_CMD, &flush), "FLUSH: %s", strerror(errno));
	expect_finish(&a);
	CHECK(!reply_frame(&a, W * H * 3 / 2, 0), "FRAME: %s", strerror(errno));
	got = dqbuf(cap);
	CHECK(ts_ns(&got) == 40000, "frame ts %llu", (unsigned long long)ts_ns(&got));
	close(ra);
	ok();
}

static void requests(void)
{
	struct v4l2_buffer b;
	int type = V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE;
	struct daedalus_msg_sl_job j;
	int req;

	CHECK(!xioctl(video, VIDIOC_STREAMON, &type), "STREAMON OUTPUT");
	type = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;
	CHECK(!xioctl(video, VIDIOC_STREAMON, &type), "STREAMON CAPTURE");

	current = "a request goes to the daemon as one SL_JOB with its frame buffer and controls";
	req = request();
	CHECK(!set_sps(req, 8), "controls in the request: %s", strerror(errno));
	qbuf(V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE, 0, req, 1, 0);
	CHECK(!ioctl(req, MEDIA_REQUEST_IOC_QUEUE), "QUEUE: %s", strerror(errno));
	qbuf(V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE, 0, -1, 0, 0);
	j = next_job();
	CHECK(le32toh(j.index) == 0 && le32toh(j.bytesused) == 100 &&
	      le64toh(j.timestamp) == 1000 && le32toh(j.cap_index) == 0 && !j.flags,
	      "index %u bytes %u ts %llu cap %u flags %#x", le32toh(j.index), le32toh(j.bytesused),
	      (unsigned long long)le64toh(j.timestamp), le32toh(j.cap_index), le32toh(j.flags));
	CHECK(le32toh(j.cap_pixfmt) == DAEDALUS_PIXFMT_NV12 && le32toh(j.cap_width) == W &&
	      le32toh(j.cap_height) == H && le32toh(j.cap_size) >= W * H * 3 / 2,
	      "frame buffer %u %ux%u size %u", le32toh(j.cap_pixfmt), le32toh(j.cap_width),
	      le32toh(j.cap_height), le32toh(j.cap_size));
	check_ctrls(&j, 8);
	ok();

	current = "the daemon answers the frame before the bitstream, with no flag but ERROR";
	CHECK(reply_done(&j) == EINVAL, "JOB_DONE before FRAME was taken");
	CHECK(reply_frame(&j, W * H * 3 / 2, DAEDALUS_FRAME_LAST) == EINVAL, "FRAME LAST was taken");
	CHECK(!reply_frame(&j, W * H * 3 / 2, 0), "FRAME: %s", strerror(errno));
	CHECK(!reply_done(&j), "JOB_DONE: %s", strerror(errno));
	ok();

	current = "the request completes; the frame carries its timestamp";
	request_done(req);
	b = dqbuf(V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE);
	CHECK(b.index == 0 && ts_ns(&b) == 1000 && !(b.flags & V4L2_BUF_FLAG_ERROR) &&
	      b.m.planes[0].bytesused == W * H * 3 / 2, "CAPTURE %u ts %llu flags %#x bytes %u",
	      b.index, (unsigned long long)ts_ns(&b), b.flags, b.m.planes[0].bytesused);
	b = dqbuf(V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE);
	CHECK(b.index == 0 && !(b.flags & V4L2_BUF_FLAG_ERROR), "OUTPUT %u flags %#x", b.index, b.flags);
	close(req);
	ok();

	current = "controls carry over to a request without them; a failed decode is CAPTURE ERROR";
	req = request();
	qbuf(V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE, 1, req, 2, 0);
	CHECK(!ioctl(req, MEDIA_REQUEST_IOC_QUEUE), "QUEUE: %s", strerror(errno));
	qbuf(V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE, 1, -1, 0, 0);
	j = next_job();
	check_ctrls(&j, 8);
	CHECK(!reply_frame(&j, 0, DAEDALUS_FRAME_ERROR), "FRAME ERROR: %s", strerror(errno));
	CHECK(!reply_done(&j), "JOB_DONE: %s", strerror(errno));
	request_done(req);
	b = dqbuf(V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE);
	CHECK(b.index == 1 && ts_ns(&b) == 2000 && (b.flags & V4L2_BUF_FLAG_ERROR),
	      "CAPTURE %u ts %llu flags %#x", b.index, (unsigned long long)ts_ns(&b), b.flags);
	dqbuf(V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE);
	close(req);
	ok();

	hold();

	current = "STREAMOFF with a job at the daemon: the request completes, late answers are stale";
	req = request();
	qbuf(V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE, 0, req, 3, 0);
	CHECK(!ioctl(req, MEDIA_REQUEST_IOC_QUEUE), "QUEUE: %s", strerror(errno));
	qbuf(V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE, 0, -1, 0, 0);
	j = next_job();
	type = V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE;
	CHECK(!xioctl(video, VIDIOC_STREAMOFF, &type), "STREAMOFF OUTPUT");
	request_done(req);
	CHECK(!reply_frame(&j, W * H * 3 / 2, 0), "a late FRAME was refused, not dropped");
	CHECK(!reply_done(&j), "a late JOB_DONE was refused, not dropped");
	close(req);
	ok();
}

int main(int argc, char **argv)
{
	char c;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "serve")) {
		char buf[DAEDALUS_MSG_MAX_LEN];
		struct pollfd p[2] = { { 0, POLLIN, 0 }, { -1, POLLIN, 0 } };

		hello(strtoul(argv[2], NULL, 0));
		p[1].fd = bridge;
		for (;;) {
			CHECK(poll(p, 2, -1) > 0, "poll: %s", strerror(errno));
			if (p[0].revents && read(0, &c, 1) <= 0)
				return 0;
			if (p[1].revents & POLLIN)
				CHECK(read(bridge, buf, sizeof(buf)) > 0, "read: %s", strerror(errno));
		}
	}
	if (argc == 4 && !strcmp(argv[1], "requests")) {
		hello(1u << DAEDALUS_CODEC_H264);
		setup(argv[2], argv[3]);
		requests();
		printf("done\n");
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "hold-request")) {
		int req;

		current = "hold-request";
		media = open(argv[2], O_RDWR);
		CHECK(media >= 0, "open %s: %s", argv[2], strerror(errno));
		req = request();
		close(media);
		printf("ready %d\n", req);
		while (read(0, &c, 1) > 0)
			;
		return 0;
	}
	fprintf(stderr, "usage: sl-request serve SL_CODECS | requests VIDEO MEDIA | hold-request MEDIA\n");
	return 2;
}
