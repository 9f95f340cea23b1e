// SPDX-License-Identifier: BSD-2-Clause
/*
 * GStreamer's V4L2 decoder with capture-io-mode=dmabuf-import, as a display
 * sink that allocates its own buffers (Chromium's GBM buffers, kmssink's
 * dumb buffers) drives it: the decoder imports whatever dmabufs downstream's
 * pool hands it, and that pool holds more buffers than the decoder has
 * V4L2 indices, so each index carries one dmabuf after another.
 *
 *   gst-dmabuf-import DEVICE PIPELINE
 *
 * PIPELINE ends in "fakesink name=sink". This program answers the
 * decoder's ALLOCATION query at that sink with a pool of dmabufs exported
 * by another handle of the node at DEVICE (its CAPTURE buffers: what any
 * decoder's frame buffers are on that machine, CMA on a Pi, so the import
 * works wherever the node's own memory does), then prints, per frame, the
 * MD5 of the visible picture packed as FFmpeg's nv12 and the dmabuf it came
 * in: "frame <md5> <fd>"; and "dmabufs <n>" for the dmabufs made. Exit
 * status 0 at end of stream, 1 on a pipeline error, 2 on misuse.
 *
 * Built by scripts/build-test-clients where GStreamer's headers are (x86).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <gst/allocators/allocators.h>
#include <gst/gst.h>
#include <gst/video/video.h>
#include <linux/videodev2.h>

/* Frame buffers downstream's pool holds at least, beyond the decoder's own. */
#define POOL_MIN	8

static int exporter = -1;	/* the node's handle whose CAPTURE buffers are exported */
static guint made;

/* An allocator of dmabufs: CAPTURE buffers of the exporting handle. */
typedef GstDmaBufAllocator NodeAlloc;
typedef GstDmaBufAllocatorClass NodeAllocClass;
G_DEFINE_TYPE(NodeAlloc, node_alloc, GST_TYPE_DMABUF_ALLOCATOR)

static GstMemory *node_alloc_alloc(GstAllocator *a, gsize size, GstAllocationParams *p)
{
	struct v4l2_create_buffers cb = { .count = 1, .memory = V4L2_MEMORY_MMAP,
					  .format.type = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE };
	struct v4l2_exportbuffer eb = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE,
					.flags = O_RDWR | O_CLOEXEC };
	struct v4l2_plane_pix_format *plane = &cb.format.fmt.pix_mp.plane_fmt[0];

	(void)p;
	if (ioctl(exporter, VIDIOC_G_FMT, &cb.format)) {
		g_printerr("G_FMT on the exporting handle: %s\n", strerror(errno));
		return NULL;
	}
	if (plane->sizeimage < size)
		plane->sizeimage = (guint32)size;
	if (ioctl(exporter, VIDIOC_CREATE_BUFS, &cb) || cb.count != 1) {
		g_printerr("CREATE_BUFS on the exporting handle: %s\n", strerror(errno));
		return NULL;
	}
	eb.index = cb.index;
	if (ioctl(exporter, VIDIOC_EXPBUF, &eb)) {
		g_printerr("EXPBUF: %s\n", strerror(errno));
		return NULL;
	}
	made++;
	return gst_dmabuf_allocator_alloc(a, eb.fd, size);
}

static void node_alloc_class_init(NodeAllocClass *k)
{
	GST_ALLOCATOR_CLASS(k)->alloc = node_alloc_alloc;
}

static void node_alloc_init(NodeAlloc *a)
{
	(void)a;
}

/* The ALLOCATION query: a pool of our dmabufs, the allocator first (v4l2 re-applies param 0). */
static void answer_allocation(GstQuery *q)
{
	static GstAllocator *alloc;
	GstBufferPool *pool;
	GstStructure *cfg;
	GstVideoInfo vi;
	GstCaps *caps;

	gst_query_parse_allocation(q, &caps, NULL);
	if (!caps || !gst_video_info_from_caps(&vi, caps))
		return;
	if (!alloc)
		alloc = g_object_new(node_alloc_get_type(), NULL);
	pool = gst_video_buffer_pool_new();
	cfg = gst_buffer_pool_get_config(pool);
	gst_buffer_pool_config_set_params(cfg, caps, (guint)vi.size, POOL_MIN, 0);
	gst_buffer_pool_config_set_allocator(cfg, alloc, NULL);
	gst_buffer_pool_set_config(pool, cfg);
	gst_query_add_allocation_param(q, alloc, NULL);
	gst_query_add_allocation_pool(q, pool, (guint)vi.size, POOL_MIN, 0);
	gst_query_add_allocation_meta(q, GST_VIDEO_META_API_TYPE, NULL);
	gst_object_unref(pool);
}

/* The visible picture, packed without padding as FFmpeg's nv12, and its dmabuf. */
static void report_frame(GstPad *pad, GstBuffer *b)
{
	GstCaps *caps = gst_pad_get_current_caps(pad);
	GstMemory *m = gst_buffer_peek_memory(b, 0);
	GChecksum *md5 = g_checksum_new(G_CHECKSUM_MD5);
	GstVideoFrame frame;
	GstVideoInfo vi;

	if (!caps || !gst_video_info_from_caps(&vi, caps) ||
	    GST_VIDEO_INFO_FORMAT(&vi) != GST_VIDEO_FORMAT_NV12 ||
	    !gst_video_frame_map(&frame, &vi, b, GST_MAP_READ)) {
		g_print("frame unreadable\n");
	} else {
		for (guint p = 0; p < 2; p++) {
			const guint8 *data = GST_VIDEO_FRAME_PLANE_DATA(&frame, p);
			gint stride = GST_VIDEO_FRAME_PLANE_STRIDE(&frame, p);
			guint rows = p ? (vi.height + 1) / 2 : vi.height;

			for (guint y = 0; y < rows; y++)
				g_checksum_update(md5, data + (gsize)y * stride, vi.width);
		}
		gst_video_frame_unmap(&frame);
		g_print("frame %s %d\n", g_checksum_get_string(md5),
			gst_is_dmabuf_memory(m) ? gst_dmabuf_memory_get_fd(m) : -1);
	}
	g_checksum_free(md5);
	if (caps)
		gst_caps_unref(caps);
}

static GstPadProbeReturn probe(GstPad *pad, GstPadProbeInfo *info, gpointer user)
{
	(void)user;
	if (info->type & GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM) {
		GstQuery *q = GST_PAD_PROBE_INFO_QUERY(info);

		if (GST_QUERY_TYPE(q) != GST_QUERY_ALLOCATION)
			return GST_PAD_PROBE_OK;
		answer_allocation(q);
		return GST_PAD_PROBE_HANDLED;
	}
	if (info->type & GST_PAD_PROBE_TYPE_BUFFER)
		report_frame(pad, GST_PAD_PROBE_INFO_BUFFER(info));
	return GST_PAD_PROBE_OK;
}

int main(int argc, char **argv)
{
	GstElement *pipe, *sink;
	GError *err = NULL;
	GstMessage *msg;
	GstPad *pad;
	int status;

	gst_init(&argc, &argv);
	if (argc != 3) {
		g_printerr("usage: gst-dmabuf-import DEVICE 'PIPELINE ! fakesink name=sink'\n");
		return 2;
	}
	exporter = open(argv[1], O_RDWR | O_CLOEXEC);
	if (exporter < 0) {
		g_printerr("%s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	pipe = gst_parse_launch(argv[2], &err);
	sink = pipe ? gst_bin_get_by_name(GST_BIN(pipe), "sink") : NULL;
	if (!sink) {
		g_printerr("%s\n", err ? err->message : "no element named sink");
		return 2;
	}
	pad = gst_element_get_static_pad(sink, "sink");
	gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM | GST_PAD_PROBE_TYPE_BUFFER,
			  probe, NULL, NULL);
	gst_element_set_state(pipe, GST_STATE_PLAYING);
	msg = gst_bus_timed_pop_filtered(GST_ELEMENT_BUS(pipe), GST_CLOCK_TIME_NONE,
					 GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
	status = GST_MESSAGE_TYPE(msg) == GST_MESSAGE_EOS ? 0 : 1;
	if (status) {
		gchar *dbg = NULL;

		gst_message_parse_error(msg, &err, &dbg);
		g_printerr("error: %s\n%s\n", err->message, dbg ? dbg : "");
		g_free(dbg);
	}
	gst_message_unref(msg);
	gst_element_set_state(pipe, GST_STATE_NULL);
	g_print("dmabufs %u\n", made);
	return status;
}
