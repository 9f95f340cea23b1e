// SPDX-License-Identifier: BSD-2-Clause
/*
 * Feeds an H.264 elementary stream to the codec backend in chunks of a
 * given size, each chunk placed at the very end of a mapping followed by an
 * inaccessible page (as a client's bitstream buffer filled to its end is),
 * chunk i with pts i * 1000, and overwritten as soon as it is loaded (the
 * daemon gives the client's buffer back before the decode). Prints
 * "frame <pts>" per frame.
 *
 *   backend-chunks FILE CHUNK_BYTES
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <linux/daedalus-v4l2.h>

#include "backend.h"

static void emit(void *arg, AVFrame *f)
{
	(void)arg;
	printf("frame %lld\n", (long long)f->pts);
}

int main(int argc, char **argv)
{
	size_t chunk, span, n, at;
	struct dd_backend *b;
	static uint8_t all[16 << 20];
	char err[256];
	uint8_t *m;
	FILE *fp;

	if (argc != 3 || !(fp = fopen(argv[1], "rb")) || (chunk = strtoul(argv[2], NULL, 0)) == 0)
		return 2;
	n = fread(all, 1, sizeof(all), fp);
	fclose(fp);
	if (dd_ffmpeg_load(err, sizeof(err)) ||
	    !(b = dd_backend_open(DAEDALUS_CODEC_H264, 2, err, sizeof(err)))) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	span = (chunk + 4095) & ~(size_t)4095;
	m = mmap(NULL, span + 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED || mprotect(m + span, 4096, PROT_NONE))
		return 1;
	for (at = 0; at < n; at += chunk) {
		size_t len = n - at < chunk ? n - at : chunk;

		memcpy(m + span - len, all + at, len);
		if (dd_backend_load(b, m + span - len, len))
			return 1;
		memset(m + span - len, 0xa5, len);
		dd_backend_end_of_stream(b);
		dd_backend_probe(b);
		dd_backend_decode(b, (int64_t)(at / chunk) * 1000, emit, NULL);
	}
	dd_backend_drain(b, emit, NULL);
	dd_backend_close(b);
	return 0;
}
