/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * daedalus-v4l2: the protocol between the kernel module and its decoding
 * daemon, spoken through the misc device /dev/daedalus-v4l2.
 *
 * Every message is one fixed-layout, little-endian struct that starts with
 * struct daedalus_msg_hdr. One read() returns exactly one message; one
 * write() must carry exactly one whole message. A message that fails any
 * check is refused with EINVAL and counted; nothing in it is acted on.
 *
 * This header is the only definition of the protocol: the daemon's
 * TypeScript side is checked against it by a layout test.
 */
#ifndef _UAPI_LINUX_DAEDALUS_V4L2_H
#define _UAPI_LINUX_DAEDALUS_V4L2_H

#include <linux/types.h>

#define DAEDALUS_BRIDGE_NAME		"daedalus-v4l2"

/* "DDV4" as it reads in memory on the little-endian wire. */
#define DAEDALUS_PROTO_MAGIC		0x34564444
#define DAEDALUS_PROTO_VERSION		1

/* No message is larger; a read() buffer of this size always suffices. */
#define DAEDALUS_MSG_MAX_LEN		4096

/* Message types; the direction each may travel is checked. */
#define DAEDALUS_MSG_HELLO		0x0001	/* daemon -> kernel */
#define DAEDALUS_MSG_WELCOME		0x0002	/* kernel -> daemon */
#define DAEDALUS_MSG_PING		0x0003	/* either way */
#define DAEDALUS_MSG_PONG		0x0004	/* answers a PING */

/* Codecs, as bit numbers in daedalus_msg_hello.codecs. Wire-stable. */
#define DAEDALUS_CODEC_H264		0
#define DAEDALUS_CODEC_HEVC		1
#define DAEDALUS_CODEC_VP8		2
#define DAEDALUS_CODEC_VP9		3
#define DAEDALUS_CODEC_AV1		4
#define DAEDALUS_CODEC_MPEG2		5
#define DAEDALUS_CODEC_COUNT		6

/* Decoded (CAPTURE) layouts, as bit numbers in .pixfmts. Wire-stable. */
#define DAEDALUS_PIXFMT_NV12		0
#define DAEDALUS_PIXFMT_YUV420		1
#define DAEDALUS_PIXFMT_P010		2
#define DAEDALUS_PIXFMT_COUNT		3

/* Frame-size limits a HELLO may announce. */
#define DAEDALUS_MIN_DIMENSION		16
#define DAEDALUS_MAX_DIMENSION		16384

#define DAEDALUS_VERSION_LEN		32

/**
 * struct daedalus_msg_hdr - starts every message
 * @magic: DAEDALUS_PROTO_MAGIC
 * @version: DAEDALUS_PROTO_VERSION; any other is refused
 * @type: one of DAEDALUS_MSG_*
 * @length: size of the whole message, this header included; must equal the
 *	size of the struct that @type names
 * @seq: chosen by the sender; a reply carries the @seq of its request
 * @ctx_id: decoding context the message is about, 0 for the device itself
 * @reserved: zero
 */
struct daedalus_msg_hdr {
	__le32 magic;
	__le16 version;
	__le16 type;
	__le32 length;
	__le32 seq;
	__le32 ctx_id;
	__le32 reserved;
};

/**
 * struct daedalus_msg_hello - the daemon introduces itself
 * @hdr: type DAEDALUS_MSG_HELLO, ctx_id 0
 * @codecs: bit set of DAEDALUS_CODEC_* the daemon decodes; the node
 *	enumerates exactly these on its OUTPUT queue
 * @pixfmts: bit set of DAEDALUS_PIXFMT_* the daemon writes; the node
 *	enumerates exactly these on its CAPTURE queue
 * @max_width: largest coded width decoded, DAEDALUS_MIN_DIMENSION to
 *	DAEDALUS_MAX_DIMENSION
 * @max_height: largest coded height decoded, same range
 * @flags: zero
 * @reserved: zero
 * @daemon_version: NUL-terminated, printable; shown in debugfs and sysfs
 *
 * The first message on every open of the bridge; at most one per open.
 */
struct daedalus_msg_hello {
	struct daedalus_msg_hdr hdr;
	__le32 codecs;
	__le32 pixfmts;
	__le32 max_width;
	__le32 max_height;
	__le32 flags;
	__le32 reserved;
	char daemon_version[DAEDALUS_VERSION_LEN];
};

/**
 * struct daedalus_msg_welcome - the kernel accepts a HELLO
 * @hdr: type DAEDALUS_MSG_WELCOME, seq of the HELLO
 * @codecs: the codecs the node now enumerates
 * @pixfmts: the CAPTURE layouts the node now enumerates
 * @max_width: the frame-size limit the node now enforces
 * @max_height: likewise
 * @reserved: zero
 * @module_version: NUL-terminated version of the kernel module
 */
struct daedalus_msg_welcome {
	struct daedalus_msg_hdr hdr;
	__le32 codecs;
	__le32 pixfmts;
	__le32 max_width;
	__le32 max_height;
	__le32 reserved[2];
	char module_version[DAEDALUS_VERSION_LEN];
};

/**
 * struct daedalus_msg_ping - liveness check, either direction
 * @hdr: type DAEDALUS_MSG_PING or DAEDALUS_MSG_PONG, ctx_id 0; a PONG
 *	carries the seq of its PING
 * @cookie: any value; a PONG echoes its PING's
 */
struct daedalus_msg_ping {
	struct daedalus_msg_hdr hdr;
	__le64 cookie;
};

#endif /* _UAPI_LINUX_DAEDALUS_V4L2_H */
