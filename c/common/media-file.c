// SPDX-License-Identifier: BSD-2-Clause
/* Opening a local media file with libavformat; see media-file.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "media-file.h"

const char *dd_ff_errstr(int err, char *buf, size_t len)
{
	if (dd_ff.av_strerror(err, buf, len) < 0)
		snprintf(buf, len, "error %d", err);
	return buf;
}

int dd_ff_to_errno(int err)
{
	if (err == AVERROR_INVALIDDATA || err == AVERROR_EOF)
		return -EBADMSG;
	if (err == AVERROR_DECODER_NOT_FOUND || err == AVERROR_DEMUXER_NOT_FOUND ||
	    err == AVERROR_PROTOCOL_NOT_FOUND)
		return -ENOSYS;
	if (err == AVERROR_STREAM_NOT_FOUND)
		return -ENODATA;
	if (err < 0 && err > -4096)
		return err;
	return -EIO;
}

int dd_media_open(const char *path, AVFormatContext **fmt, char *msg, size_t msglen)
{
	AVDictionary *opts = NULL;
	char e[128], *url;
	int r;

	*fmt = NULL;
	/* "file:" keeps a colon in the name from selecting a protocol. */
	url = malloc(strlen(path) + 6);
	if (!url) {
		snprintf(msg, msglen, "out of memory");
		return -ENOMEM;
	}
	sprintf(url, "file:%s", path);
	/* Only local files: a media file must never make us reach the network. */
	r = dd_ff.av_dict_set(&opts, "protocol_whitelist", "file", 0);
	if (r >= 0)
		r = dd_ff.avformat_open_input(fmt, url, NULL, &opts);
	dd_ff.av_dict_free(&opts);
	free(url);
	if (r < 0) {
		if (r == AVERROR_INVALIDDATA || r == AVERROR_EOF)
			snprintf(msg, msglen, "%s: not a media file FFmpeg can read (%s)",
				 path, dd_ff_errstr(r, e, sizeof(e)));
		else
			snprintf(msg, msglen, "cannot open %s: %s", path,
				 dd_ff_errstr(r, e, sizeof(e)));
		return dd_ff_to_errno(r);
	}
	r = dd_ff.avformat_find_stream_info(*fmt, NULL);
	if (r < 0) {
		snprintf(msg, msglen, "%s: cannot read stream information (%s container): %s",
			 path, (*fmt)->iformat->name, dd_ff_errstr(r, e, sizeof(e)));
		goto fail;
	}
	r = dd_ff.av_find_best_stream(*fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
	if (r < 0) {
		snprintf(msg, msglen, "%s: no video stream in this %s file", path,
			 (*fmt)->iformat->name);
		r = AVERROR_STREAM_NOT_FOUND;
		goto fail;
	}
	return r;
fail:
	dd_ff.avformat_close_input(fmt);
	return dd_ff_to_errno(r);
}
