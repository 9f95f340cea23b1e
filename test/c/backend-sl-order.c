// SPDX-License-Identifier: BSD-2-Clause
/*
 * Drives the decode-order backend (c/daemon/backend-lavc-sl.c) over a clip,
 * as the stateless worker will: the clip is demuxed into access units (VP9
 * superframes split into their frames, as a stateless client submits them),
 * and unit i goes in with pts i, in decode order. Prints:
 *
 *   display <pts> <md5>		per frame of a plain libavcodec decode of the
 *					same units, in output order
 *   au <i> ok <pts> <w>x<h> <md5> allocs <n> ref <r> held <list>
 *   au <i> err <averror> allocs <n> ref <r> held <list>
 *					per unit: the picture's pts (as set at its
 *					allocation) and coded size, the MD5 of its
 *					visible part, the pictures allocated while
 *					decoding it; r the H.264 nal_ref_idc != 0
 *					(- for other codecs); the earlier units whose
 *					pictures libavcodec still holds (- for none)
 *   end held <list> live <n>		after the last unit
 *   reset held <list> live <n>		after a reset
 *
 * MD5s are of the visible planes packed one after another, as FFmpeg's
 * framemd5 hashes rawvideo. Exit 0, or 1 on a setup failure. "whole"
 * leaves VP9 superframes whole; "drop=N" removes unit N (an H.264 frame_num
 * gap for the decoder to fill).
 *
 *   backend-sl-order FILE THREADS [whole | drop=N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nettle/md5.h>

#include <linux/daedalus-v4l2.h>

#include "backend-lavc-sl.h"
#include "media-file.h"

struct unit {
	uint8_t *data;
	int size;
};

static struct unit *units;
static int nunits;

static int add_unit(const AVPacket *pkt)
{
	struct unit *u = realloc(units, (size_t)(nunits + 1) * sizeof(*units));

	if (!u)
		return -1;
	units = u;
	u = &units[nunits];
	u->data = malloc((size_t)pkt->size);
	if (!u->data)
		return -1;
	memcpy(u->data, pkt->data, (size_t)pkt->size);
	u->size = pkt->size;
	nunits++;
	return 0;
}

/* Every access unit of the best video stream, VP9 superframes split. */
static int demux(const char *path, int split, enum AVCodecID *id, int *w, int *h)
{
	AVFormatContext *fmt;
	AVBSFContext *bsf = NULL;
	AVPacket *pkt = dd_ff.av_packet_alloc();
	char msg[256];
	int si, r = 0;

	si = dd_media_open(path, &fmt, msg, sizeof(msg));
	if (si < 0 || !pkt) {
		fprintf(stderr, "%s\n", msg);
		dd_ff.av_packet_free(&pkt);
		return -1;
	}
	*id = fmt->streams[si]->codecpar->codec_id;
	*w = fmt->streams[si]->codecpar->width;
	*h = fmt->streams[si]->codecpar->height;
	if (*id == AV_CODEC_ID_VP9 && split &&
	    (dd_ff.av_bsf_alloc(dd_ff.av_bsf_get_by_name("vp9_superframe_split"), &bsf) < 0 ||
	     dd_ff.avcodec_parameters_copy(bsf->par_in, fmt->streams[si]->codecpar) < 0 ||
	     dd_ff.av_bsf_init(bsf) < 0))
		r = -1;
	while (!r && dd_ff.av_read_frame(fmt, pkt) >= 0) {
		if (pkt->stream_index != si) {
			dd_ff.av_packet_unref(pkt);
			continue;
		}
		if (!bsf) {
			r = add_unit(pkt);
			dd_ff.av_packet_unref(pkt);
			continue;
		}
		if (dd_ff.av_bsf_send_packet(bsf, pkt) < 0)
			r = -1;
		while (!r && dd_ff.av_bsf_receive_packet(bsf, pkt) >= 0) {
			r = add_unit(pkt);
			dd_ff.av_packet_unref(pkt);
		}
	}
	dd_ff.av_bsf_free(&bsf);
	dd_ff.av_packet_free(&pkt);
	dd_ff.avformat_close_input(&fmt);
	return r;
}

/* MD5 of the top-left w x h of each plane, packed, as hex. */
static void picture_md5(const AVFrame *f, int w, int h, char out[33])
{
	const AVPixFmtDescriptor *d = dd_ff.av_pix_fmt_desc_get(f->format);
	int bytes = (d->comp[0].depth + 7) / 8, planes = 0;
	uint8_t digest[MD5_DIGEST_SIZE];
	struct md5_ctx md5;

	for (int c = 0; c < d->nb_components; c++)
		if (d->comp[c].plane + 1 > planes)
			planes = d->comp[c].plane + 1;
	md5_init(&md5);
	for (int p = 0; p < planes; p++) {
		int pw = p == 1 || p == 2 ? -((-w) >> d->log2_chroma_w) : w;
		int ph = p == 1 || p == 2 ? -((-h) >> d->log2_chroma_h) : h;

		for (int y = 0; y < ph; y++)
			md5_update(&md5, (size_t)pw * bytes, f->data[p] + (ptrdiff_t)y * f->linesize[p]);
	}
	md5_digest(&md5, sizeof(digest), digest);
	for (int i = 0; i < MD5_DIGEST_SIZE; i++)
		sprintf(out + 2 * i, "%02x", digest[i]);
}

/* The plain decode, in display order: what the units must reproduce. */
static int display_order(enum AVCodecID id)
{
	const AVCodec *dec = dd_ffmpeg_find_decoder(dd_ffmpeg_codec_to_daedalus(id));
	AVCodecContext *c = dd_ff.avcodec_alloc_context3(dec);
	AVPacket *pkt = dd_ff.av_packet_alloc();
	AVFrame *f = dd_ff.av_frame_alloc();
	char md5[33];

	if (!c || !pkt || !f || dd_ff.avcodec_open2(c, dec, NULL) < 0)
		return -1;
	for (int i = 0; i <= nunits; i++) {
		if (i < nunits) {
			pkt->data = units[i].data;
			pkt->size = units[i].size;
			pkt->pts = i;
		}
		dd_ff.avcodec_send_packet(c, i < nunits ? pkt : NULL);
		while (dd_ff.avcodec_receive_frame(c, f) >= 0) {
			picture_md5(f, f->width, f->height, md5);
			printf("display %lld %s\n", (long long)f->pts, md5);
			dd_ff.av_frame_unref(f);
		}
	}
	dd_ff.av_frame_free(&f);
	dd_ff.av_packet_free(&pkt);
	dd_ff.avcodec_free_context(&c);
	return 0;
}

/* H.264: whether the unit's first slice is a reference (nal_ref_idc != 0). */
static const char *h264_ref(const struct unit *u)
{
	for (int i = 0; i + 3 < u->size; i++) {
		int type = u->data[i + 3] & 0x1f;

		if (u->data[i] || u->data[i + 1] || u->data[i + 2] != 1)
			continue;
		if (type == 1 || type == 5)
			return u->data[i + 3] & 0x60 ? "1" : "0";
	}
	return "?";
}

static void print_held(const struct dd_sl_backend *b, int upto)
{
	int any = 0;

	for (int j = 0; j < upto; j++) {
		if (dd_sl_released(b, j) == 0) {
			printf("%s%d", any ? "," : "", j);
			any = 1;
		}
	}
	printf("%s", any ? "" : "-");
}

int main(int argc, char **argv)
{
	struct dd_sl_backend *b;
	enum AVCodecID id;
	char err[512], md5[33];
	const char *opt = argc == 4 ? argv[3] : "";
	int w, h, drop = -1;

	if (argc != 3 && argc != 4)
		return 2;
	if (!strncmp(opt, "drop=", 5))
		drop = atoi(opt + 5);
	if (dd_ffmpeg_load(err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (demux(argv[1], strcmp(opt, "whole"), &id, &w, &h))
		return 1;
	if (drop >= 0 && drop < nunits) {
		free(units[drop].data);
		memmove(&units[drop], &units[drop + 1], (size_t)(nunits - drop - 1) * sizeof(*units));
		nunits--;
	}
	if (display_order(id))
		return 1;
	b = dd_sl_open(dd_ffmpeg_codec_to_daedalus(id), atoi(argv[2]), err, sizeof(err));
	if (!b) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	for (int i = 0; i < nunits; i++) {
		const char *ref = id == AV_CODEC_ID_H264 ? h264_ref(&units[i]) : "-";
		const AVFrame *f;
		int r = dd_sl_decode(b, units[i].data, (size_t)units[i].size, i, &f);

		if (r < 0) {
			printf("au %d err %d allocs %d ref %s held ", i, r, dd_sl_allocations(b), ref);
		} else if (f->width < w || f->height < h) {
			printf("au %d small %dx%d allocs %d ref %s held ", i, f->width, f->height,
			       dd_sl_allocations(b), ref);
		} else {
			picture_md5(f, w, h, md5);
			printf("au %d ok %lld %dx%d %s allocs %d ref %s held ", i, (long long)f->pts,
			       f->width, f->height, md5, dd_sl_allocations(b), ref);
		}
		print_held(b, i);
		printf("\n");
	}
	printf("end held ");
	print_held(b, nunits);
	printf(" live %d\n", dd_sl_held(b));
	dd_sl_reset(b);
	printf("reset held ");
	print_held(b, nunits);
	printf(" live %d\n", dd_sl_held(b));
	dd_sl_close(b);
	for (int i = 0; i < nunits; i++)
		free(units[i].data);
	free(units);
	return 0;
}
