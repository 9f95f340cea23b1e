/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Finds and dlopens FFmpeg's libraries and resolves dd_ff. See ffmpeg.h.
 *
 * Search: for each library, the soname of the headers' major first, then the
 * other supported majors newest first. Each soname is tried in
 * $DAEDALUS_FFMPEG_DIR (if set), then through the normal dynamic-linker
 * search. A library of another major is never used (struct layouts differ);
 * it is only opened to say precisely why loading failed.
 *
 * Test-only knobs (the loader runs once per process, so tests use a child):
 *   DAEDALUS_FFMPEG_TEST_NO_SYSTEM=libavcodec[,...]  skip the normal search
 *	for these libraries, so only $DAEDALUS_FFMPEG_DIR is looked at;
 *   DAEDALUS_FFMPEG_TEST_EXTRA_SYMBOL=libavformat:name  require one more
 *	symbol of that library.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/daedalus-v4l2.h>

#include "ffmpeg.h"

struct dd_ffmpeg dd_ff;

enum { LIB_AVUTIL, LIB_AVCODEC, LIB_AVFORMAT, LIB_SWSCALE, LIB_COUNT };

struct ff_lib {
	const char *name;
	int header_major;
	int min_major, max_major;
	const char *version_symbol;
	unsigned header_version;
	void *handle;
	char soname[32];
	char path[512];
	unsigned version;
};

/* Dependency order: each library's DT_NEEDED ones are loaded before it. */
static struct ff_lib libs[LIB_COUNT] = {
	[LIB_AVUTIL] = { "libavutil", LIBAVUTIL_VERSION_MAJOR, 57, 59,
			 "avutil_version", LIBAVUTIL_VERSION_INT },
	[LIB_AVCODEC] = { "libavcodec", LIBAVCODEC_VERSION_MAJOR, 59, 61,
			  "avcodec_version", LIBAVCODEC_VERSION_INT },
	[LIB_AVFORMAT] = { "libavformat", LIBAVFORMAT_VERSION_MAJOR, 59, 61,
			   "avformat_version", LIBAVFORMAT_VERSION_INT },
	[LIB_SWSCALE] = { "libswscale", LIBSWSCALE_VERSION_MAJOR, 6, 8,
			  "swscale_version", LIBSWSCALE_VERSION_INT },
};

struct ff_symbol {
	int lib;
	const char *name;
	size_t offset;
};

#define SYM(lib, name) { lib, #name, offsetof(struct dd_ffmpeg, name) },
#define AVUTIL_SYM(name) SYM(LIB_AVUTIL, name)
#define AVCODEC_SYM(name) SYM(LIB_AVCODEC, name)
#define AVFORMAT_SYM(name) SYM(LIB_AVFORMAT, name)
#define SWSCALE_SYM(name) SYM(LIB_SWSCALE, name)
static const struct ff_symbol symbols[] = {
	DD_FF_AVUTIL_SYMBOLS(AVUTIL_SYM)
	DD_FF_AVCODEC_SYMBOLS(AVCODEC_SYM)
	DD_FF_AVFORMAT_SYMBOLS(AVFORMAT_SYM)
	DD_FF_SWSCALE_SYMBOLS(SWSCALE_SYM)
};

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static int load_result;
static char load_error[2048];

/* Appends to a fixed buffer, silently truncating. */
static void __attribute__((format(printf, 3, 4)))
append(char *buf, size_t size, const char *fmt, ...)
{
	size_t len = strnlen(buf, size);
	va_list ap;

	if (len + 1 >= size)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + len, size - len, fmt, ap);
	va_end(ap);
}

static int in_list(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p = list;

	while (p && *p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len == n && !strncmp(p, name, n))
			return 1;
		p = end ? end + 1 : NULL;
	}
	return 0;
}

static void *try_open(const char *dir, const char *soname, char *dlerr, size_t dlerrlen)
{
	char full[1024];
	const char *file = soname;
	void *h;

	if (dir) {
		if ((size_t)snprintf(full, sizeof(full), "%s/%s", dir, soname) >= sizeof(full))
			return NULL;
		file = full;
	}
	h = dlopen(file, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		const char *e = dlerror();

		snprintf(dlerr, dlerrlen, "%s", e ? e : "unknown error");
	}
	return h;
}

static void handle_path(void *h, char *out, size_t outlen)
{
	struct link_map *lm = NULL;

	if (dlinfo(h, RTLD_DI_LINKMAP, &lm) == 0 && lm && lm->l_name && *lm->l_name)
		snprintf(out, outlen, "%s", lm->l_name);
	else
		snprintf(out, outlen, "unknown");
}

/* Opens one library; 0, or a negative errno with load_error set. */
static int open_lib(struct ff_lib *lib)
{
	const char *dir = getenv("DAEDALUS_FFMPEG_DIR");
	int use_system = !in_list(getenv("DAEDALUS_FFMPEG_TEST_NO_SYSTEM"), lib->name);
	char tried[256] = "", mismatch[1024] = "", dlerr[512] = "";
	int majors[8], n = 0;

	if (dir && !*dir)
		dir = NULL;
	majors[n++] = lib->header_major;
	for (int m = lib->max_major; m >= lib->min_major; m--)
		if (m != lib->header_major)
			majors[n++] = m;

	for (int i = 0; i < n; i++) {
		char soname[32];

		snprintf(soname, sizeof(soname), "%s.so.%d", lib->name, majors[i]);
		append(tried, sizeof(tried), "%s%s", *tried ? ", " : "", soname);
		for (int pass = 0; pass < 2; pass++) {
			const char *where = pass == 0 ? dir : NULL;
			unsigned (*version)(void);
			char path[512];
			void *h;

			if ((pass == 0 && !dir) || (pass == 1 && !use_system))
				continue;
			h = try_open(where, soname, dlerr, sizeof(dlerr));
			if (!h)
				continue;
			handle_path(h, path, sizeof(path));
			*(void **)&version = dlsym(h, lib->version_symbol);
			if (!version) {
				append(mismatch, sizeof(mismatch), "%s%s (%s) has no %s",
				       *mismatch ? "; " : "", soname, path, lib->version_symbol);
				dlclose(h);
				continue;
			}
			if ((int)(version() >> 16) != lib->header_major) {
				append(mismatch, sizeof(mismatch),
				       "%s%s found (%s, version %u.%u.%u), but this shim was built against %s %d headers",
				       *mismatch ? "; " : "", soname, path, version() >> 16,
				       (version() >> 8) & 0xff, version() & 0xff, lib->name,
				       lib->header_major);
				dlclose(h);
				continue;
			}
			lib->handle = h;
			lib->version = version();
			snprintf(lib->soname, sizeof(lib->soname), "%s", soname);
			snprintf(lib->path, sizeof(lib->path), "%s", path);
			return 0;
		}
	}

	if (*mismatch) {
		snprintf(load_error, sizeof(load_error),
			 "%s: %s; rebuild the shim against the installed FFmpeg headers or install %s.so.%d",
			 lib->name, mismatch, lib->name, lib->header_major);
		return -ENOEXEC;
	}
	if (!dir && !use_system) {
		snprintf(load_error, sizeof(load_error),
			 "%s not searched for: DAEDALUS_FFMPEG_TEST_NO_SYSTEM names it and DAEDALUS_FFMPEG_DIR is unset",
			 lib->name);
		return -ENOENT;
	}
	snprintf(load_error, sizeof(load_error),
		 "%s not found: tried %s in %s%s%s (last error: %s)", lib->name, tried,
		 dir ? dir : "", dir && use_system ? " and " : "",
		 use_system ? "the system library path" : "", dlerr);
	return -ENOENT;
}

static int resolve_symbols(void)
{
	const char *extra = getenv("DAEDALUS_FFMPEG_TEST_EXTRA_SYMBOL");
	char missing[LIB_COUNT][512];
	int nmissing = 0;

	memset(missing, 0, sizeof(missing));
	for (size_t i = 0; i < sizeof(symbols) / sizeof(symbols[0]); i++) {
		void *p = dlsym(libs[symbols[i].lib].handle, symbols[i].name);

		if (!p) {
			append(missing[symbols[i].lib], sizeof(missing[0]), "%s%s",
			       *missing[symbols[i].lib] ? ", " : "", symbols[i].name);
			nmissing++;
		}
		*(void **)((char *)&dd_ff + symbols[i].offset) = p;
	}
	if (extra && *extra) {
		const char *colon = strchr(extra, ':');

		for (int l = 0; colon && l < LIB_COUNT; l++) {
			if (strlen(libs[l].name) != (size_t)(colon - extra) ||
			    strncmp(libs[l].name, extra, colon - extra))
				continue;
			if (!dlsym(libs[l].handle, colon + 1)) {
				append(missing[l], sizeof(missing[0]), "%s%s",
				       *missing[l] ? ", " : "", colon + 1);
				nmissing++;
			}
		}
	}
	if (!nmissing)
		return 0;

	snprintf(load_error, sizeof(load_error), "FFmpeg lacks symbols the shim needs:");
	for (int l = 0; l < LIB_COUNT; l++)
		if (*missing[l])
			append(load_error, sizeof(load_error), " %s (%s) lacks %s;",
			       libs[l].soname, libs[l].path, missing[l]);
	load_error[strlen(load_error) - 1] = '\0';
	return -ENOSYS;
}

static void load(void)
{
	int r = 0;

	for (int l = 0; l < LIB_COUNT && !r; l++)
		r = open_lib(&libs[l]);
	if (!r)
		r = resolve_symbols();
	if (r) {
		memset(&dd_ff, 0, sizeof(dd_ff));
		for (int l = LIB_COUNT - 1; l >= 0; l--) {
			if (libs[l].handle)
				dlclose(libs[l].handle);
			libs[l].handle = NULL;
		}
	}
	load_result = r;
}

DD_EXPORT int dd_ffmpeg_load(char *err, int errlen)
{
	pthread_once(&load_once, load);
	if (err && errlen > 0)
		snprintf(err, errlen, "%s", load_result ? load_error : "");
	return load_result;
}

/* Writes s as a JSON string; paths are the only untrusted text here. */
static void append_json_string(char *buf, size_t size, const char *s)
{
	append(buf, size, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			append(buf, size, "\\%c", c);
		else if (c < 0x20)
			append(buf, size, "\\u%04x", c);
		else
			append(buf, size, "%c", c);
	}
	append(buf, size, "\"");
}

DD_EXPORT int dd_ffmpeg_versions(char *out, int outlen)
{
	char buf[4096] = "";
	size_t len;
	int r = dd_ffmpeg_load(NULL, 0);

	if (r)
		return r;
	append(buf, sizeof(buf), "{\"ffmpeg\":");
	append_json_string(buf, sizeof(buf), dd_ff.av_version_info());
	for (int l = 0; l < LIB_COUNT; l++) {
		unsigned v = libs[l].version, h = libs[l].header_version;

		append(buf, sizeof(buf), ",\"%s\":{\"soname\":", libs[l].name);
		append_json_string(buf, sizeof(buf), libs[l].soname);
		append(buf, sizeof(buf), ",\"path\":");
		append_json_string(buf, sizeof(buf), libs[l].path);
		append(buf, sizeof(buf),
		       ",\"version\":\"%u.%u.%u\",\"header_version\":\"%u.%u.%u\"}",
		       v >> 16, (v >> 8) & 0xff, v & 0xff, h >> 16, (h >> 8) & 0xff, h & 0xff);
	}
	append(buf, sizeof(buf), "}");
	len = strlen(buf);
	if (len + 1 >= sizeof(buf))
		return -E2BIG;
	if (!out || outlen < 0 || len + 1 > (size_t)outlen)
		return -ENOSPC;
	memcpy(out, buf, len + 1);
	return (int)len;
}

int dd_ffmpeg_codec_to_daedalus(enum AVCodecID id)
{
	switch (id) {
	case AV_CODEC_ID_H264: return DAEDALUS_CODEC_H264;
	case AV_CODEC_ID_HEVC: return DAEDALUS_CODEC_HEVC;
	case AV_CODEC_ID_VP8: return DAEDALUS_CODEC_VP8;
	case AV_CODEC_ID_VP9: return DAEDALUS_CODEC_VP9;
	case AV_CODEC_ID_AV1: return DAEDALUS_CODEC_AV1;
	case AV_CODEC_ID_MPEG2VIDEO: return DAEDALUS_CODEC_MPEG2;
	default: return -1;
	}
}

const AVCodec *dd_ffmpeg_find_decoder(uint32_t codec)
{
	static const enum AVCodecID ids[DAEDALUS_CODEC_COUNT] = {
		[DAEDALUS_CODEC_H264] = AV_CODEC_ID_H264,
		[DAEDALUS_CODEC_HEVC] = AV_CODEC_ID_HEVC,
		[DAEDALUS_CODEC_VP8] = AV_CODEC_ID_VP8,
		[DAEDALUS_CODEC_VP9] = AV_CODEC_ID_VP9,
		[DAEDALUS_CODEC_AV1] = AV_CODEC_ID_AV1,
		[DAEDALUS_CODEC_MPEG2] = AV_CODEC_ID_MPEG2VIDEO,
	};
	const AVCodec *c;

	if (codec >= DAEDALUS_CODEC_COUNT)
		return NULL;
	if (codec == DAEDALUS_CODEC_AV1) {
		c = dd_ff.avcodec_find_decoder_by_name("libdav1d");
		return c ? c : dd_ff.avcodec_find_decoder_by_name("libaom-av1");
	}
	return dd_ff.avcodec_find_decoder(ids[codec]);
}

DD_EXPORT int dd_ffmpeg_decoder_mask(void)
{
	int r = dd_ffmpeg_load(NULL, 0), mask = 0;

	if (r)
		return r;
	for (uint32_t codec = 0; codec < DAEDALUS_CODEC_COUNT; codec++)
		if (dd_ffmpeg_find_decoder(codec))
			mask |= 1 << codec;
	return mask;
}

DD_EXPORT int dd_ffmpeg_set_log_level(int level)
{
	int r = dd_ffmpeg_load(NULL, 0);

	if (r)
		return r;
	dd_ff.av_log_set_level(level);
	return 0;
}
