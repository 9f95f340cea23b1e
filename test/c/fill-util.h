/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What the test-only stateless clients (h264-params-fill.c,
 * mpeg2-params-fill.c, hevc-params-fill.c) share: failing with a message,
 * reading a whole stream. Define FILL_NAME, the program's name for messages, first.
 */
#ifndef DAEDALUS_TEST_FILL_UTIL_H
#define DAEDALUS_TEST_FILL_UTIL_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs(FILL_NAME ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f)
		die("cannot open %s", path);
	for (;;) {
		if (n == cap) {
			cap = cap ? 2 * cap : 1 << 16;
			buf = realloc(buf, cap);
			if (!buf)
				die("out of memory");
		}
		size_t got = fread(buf + n, 1, cap - n, f);

		if (!got)
			break;
		n += got;
	}
	if (ferror(f))
		die("cannot read %s", path);
	fclose(f);
	*len = n;
	return buf;
}

#endif
