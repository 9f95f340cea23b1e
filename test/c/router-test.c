// SPDX-License-Identifier: BSD-2-Clause
/*
 * Drives c/daemon/context-router.c with stand-in workers that print each
 * call they get: test/context-router.test.ts runs one scenario per
 * invocation (argv[1]) and compares the printed trace with what the
 * kernel's order requires.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <linux/daedalus-v4l2.h>

#include "context-router.h"
#include "decoder.h"
#include "sl-worker.h"

/* Stand-in workers: a decoder pointer is just a name here. */
struct dd_decoder {
	const char *name;
	int refuse;	/* what dd_decoder_capbuf returns */
};

int dd_decoder_job(struct dd_decoder *d, uint32_t tag, uint32_t index, uint32_t bytesused,
		   uint32_t data_offset, int64_t timestamp, uint32_t memory)
{
	printf("%s job tag %u index %u bytes %u offset %u ts %lld memory %u\n", d->name, tag,
	       index, bytesused, data_offset, (long long)timestamp, memory);
	return 0;
}

int dd_decoder_capbuf(struct dd_decoder *d, uint32_t tag, uint32_t index, uint32_t pixfmt,
		      uint32_t width, uint32_t height, uint32_t bytesperline, uint32_t size,
		      uint32_t memory)
{
	printf("%s capbuf tag %u index %u pixfmt %u %ux%u stride %u size %u memory %u\n", d->name,
	       tag, index, pixfmt, width, height, bytesperline, size, memory);
	return d->refuse;
}

int dd_decoder_drain(struct dd_decoder *d)
{
	printf("%s drain\n", d->name);
	return 0;
}

int dd_decoder_stop(struct dd_decoder *d, uint32_t queue)
{
	printf("%s stop %u\n", d->name, queue);
	return 0;
}

/* A stateless worker stand-in: a name, as above. */
struct dd_sl_worker {
	const char *name;
};

int dd_sl_worker_job(struct dd_sl_worker *w, const struct daedalus_msg_sl_job *job)
{
	printf("%s sl-job tag %u index %u cap %u flags %u\n", w->name, job->tag, job->index,
	       job->cap_index, job->flags);
	return 0;
}

int dd_sl_worker_finish(struct dd_sl_worker *w, uint32_t cap_tag, uint32_t cap_index)
{
	printf("%s sl-finish tag %u index %u\n", w->name, cap_tag, cap_index);
	return 0;
}

int dd_sl_worker_stop(struct dd_sl_worker *w, uint32_t queue)
{
	printf("%s stop %u\n", w->name, queue);
	return 0;
}

static struct dd_router router;

static void hdr(struct daedalus_msg_hdr *h, uint16_t type, uint32_t len, uint32_t ctx)
{
	*h = (struct daedalus_msg_hdr){ .magic = DAEDALUS_PROTO_MAGIC,
					.version = DAEDALUS_PROTO_VERSION, .type = type,
					.length = len, .ctx_id = ctx };
}

static void take(const char *what, const void *m, size_t len)
{
	static const char *const results[] = { "taken", "forward", "fault" };
	char why[160] = "";
	enum dd_route_result r = dd_router_take(&router, m, len, why, sizeof(why));

	printf("%s: %s%s%s\n", what, results[r], *why ? ": " : "", why);
}

static void start(uint32_t ctx, uint32_t codec)
{
	struct daedalus_msg_start m = { .codec = codec };

	hdr(&m.hdr, DAEDALUS_MSG_START, sizeof(m), ctx);
	take("START", &m, sizeof(m));
}

static void ctl(uint16_t type, const char *name, uint32_t ctx, uint32_t queue)
{
	struct daedalus_msg_ctl m = { .queue = queue };

	hdr(&m.hdr, type, sizeof(m), ctx);
	take(name, &m, sizeof(m));
}

static void job(uint32_t ctx, uint32_t tag)
{
	struct daedalus_msg_job m = { .tag = tag, .index = tag % 4, .bytesused = 100 + tag,
				      .timestamp = 1000 * tag, .memory = 1 };

	hdr(&m.hdr, DAEDALUS_MSG_JOB, sizeof(m), ctx);
	take("JOB", &m, sizeof(m));
}

static void capbuf(uint32_t ctx, uint32_t tag, uint32_t pixfmt)
{
	struct daedalus_msg_capbuf m = { .tag = tag, .index = tag % 4, .pixfmt = pixfmt,
					 .width = 64, .height = 48, .bytesperline = 64,
					 .size = 64 * 48 * 3 / 2, .memory = 2 };

	hdr(&m.hdr, DAEDALUS_MSG_CAPBUF, sizeof(m), ctx);
	take("CAPBUF", &m, sizeof(m));
}

static void sl_job(uint32_t ctx, uint32_t tag, uint32_t flags)
{
	struct daedalus_msg_sl_job m = { .tag = tag, .index = tag % 4, .bytesused = 100,
					 .timestamp = 1000 * tag, .memory = 1, .flags = flags,
					 .cap_tag = tag + 1, .cap_memory = 2, .cap_width = 64,
					 .cap_height = 48, .cap_bytesperline = 64,
					 .cap_size = 64 * 48 * 3 / 2 };

	hdr(&m.hdr, DAEDALUS_MSG_SL_JOB, sizeof(m), ctx);
	take("SL_JOB", &m, sizeof(m));
}

static void started(uint32_t ctx, struct dd_decoder *d)
{
	printf("started %u %s: %d\n", ctx, d ? d->name : "none", dd_router_started(&router, ctx, d));
}

static void started_sl(uint32_t ctx, struct dd_sl_worker *w)
{
	printf("started %u %s: %d\n", ctx, w->name, dd_router_started(&router, ctx, w));
}

int main(int argc, char **argv)
{
	struct dd_decoder a = { "A", 0 }, b = { "B", 0 };
	const char *s = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	dd_router_init(&router);
	if (!strcmp(s, "order")) {
		start(1, DAEDALUS_CODEC_H264);
		job(1, 1);
		capbuf(1, 2, DAEDALUS_PIXFMT_NV12);
		start(2, DAEDALUS_CODEC_VP9);
		job(2, 3);
		started(1, &a);
		job(1, 4);
		ctl(DAEDALUS_MSG_DRAIN, "DRAIN", 1, 0);
		started(2, &b);
	} else if (!strcmp(s, "restart")) {
		start(1, DAEDALUS_CODEC_H264);
		started(1, &a);
		ctl(DAEDALUS_MSG_STOP, "STOP", 1, DAEDALUS_QUEUE_OUTPUT);
		start(1, DAEDALUS_CODEC_H264);
		job(1, 5);
		ctl(DAEDALUS_MSG_STOP, "STOP", 1, DAEDALUS_QUEUE_OUTPUT);
		start(1, DAEDALUS_CODEC_HEVC);
		job(1, 6);
		started(1, &a);
		started(1, &a);
		job(1, 7);
	} else if (!strcmp(s, "close")) {
		start(1, DAEDALUS_CODEC_H264);
		job(1, 1);
		ctl(DAEDALUS_MSG_CLOSE, "CLOSE", 1, 0);
		started(1, &a);
		job(1, 2);
		job(9, 3);
	} else if (!strcmp(s, "no-worker")) {
		start(1, DAEDALUS_CODEC_AV1);
		job(1, 1);
		started(1, NULL);
		job(1, 2);
	} else if (!strcmp(s, "stateless")) {
		struct daedalus_msg_sl_finish f = { .cap_tag = 4, .cap_index = 0 };
		struct daedalus_msg_start m = { .codec = DAEDALUS_CODEC_H264,
						.flags = DAEDALUS_START_STATELESS };
		struct dd_sl_worker s1 = { "S" };

		hdr(&m.hdr, DAEDALUS_MSG_START, sizeof(m), 1);
		take("START stateless", &m, sizeof(m));
		sl_job(1, 1, 0);
		started_sl(1, &s1);
		sl_job(1, 3, DAEDALUS_SL_HOLD);
		hdr(&f.hdr, DAEDALUS_MSG_SL_FINISH, sizeof(f), 1);
		take("SL_FINISH", &f, sizeof(f));
		ctl(DAEDALUS_MSG_STOP, "STOP", 1, DAEDALUS_QUEUE_OUTPUT);
		job(1, 9);
		sl_job(1, 5, 0x80);
		hdr(&m.hdr, DAEDALUS_MSG_START, sizeof(m), 3);
		take("START stateless", &m, sizeof(m));
		started(3, NULL);
		sl_job(3, 11, 0);
		start(2, DAEDALUS_CODEC_H264);
		started(2, &a);
		sl_job(2, 7, 0);
	} else if (!strcmp(s, "refused")) {
		a.refuse = -ENOSPC;
		start(1, DAEDALUS_CODEC_H264);
		started(1, &a);
		capbuf(1, 1, DAEDALUS_PIXFMT_NV12);
	} else if (!strcmp(s, "malformed")) {
		struct daedalus_msg_job j = { .memory = 1 };
		struct daedalus_msg_ping p = { 0 };
		struct daedalus_msg_hdr h;

		start(1, DAEDALUS_CODEC_H264);
		started(1, &a);
		job(0, 1);
		capbuf(1, 1, DAEDALUS_PIXFMT_COUNT);
		ctl(DAEDALUS_MSG_STOP, "STOP", 1, 7);
		ctl(DAEDALUS_MSG_DRAIN, "DRAIN", 1, 1);
		start(1, DAEDALUS_CODEC_COUNT);
		hdr(&j.hdr, DAEDALUS_MSG_JOB, sizeof(j) - 8, 1);
		take("JOB short", &j, sizeof(j) - 8);
		hdr(&j.hdr, DAEDALUS_MSG_JOB, sizeof(j), 1);
		j.flags = 1;
		take("JOB flags", &j, sizeof(j));
		j.flags = 0;
		j.hdr.magic = 0;
		take("JOB magic", &j, sizeof(j));
		hdr(&p.hdr, DAEDALUS_MSG_PING, sizeof(p), 0);
		take("PING", &p, sizeof(p));
		hdr(&h, 0x99, sizeof(h), 1);
		take("type 0x99", &h, sizeof(h));
	} else {
		fprintf(stderr, "no scenario %s\n", s);
		return 2;
	}
	dd_router_destroy(&router);
	return 0;
}
