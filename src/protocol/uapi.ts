// SPDX-License-Identifier: BSD-2-Clause
// Every #define of kernel/include/uapi/linux/daedalus-v4l2.h, the wire
// protocol's one source of truth, under its name without DAEDALUS_. The
// rest of the TypeScript side takes these facts from here, never from a
// literal of its own; test/protocol-layout.test.ts fails if a definition
// of the header is missing here, if one here is not in the header, or if
// any value differs from what the C compiler sees.
export const UAPI = {
  BRIDGE_NAME: "daedalus-v4l2",
  CARD_NAME: "daedalus-dec",
  SL_CARD_NAME: "daedalus-dec-sl",
  PROTO_MAGIC: 0x34564444,
  PROTO_VERSION: 5,
  MSG_MAX_LEN: 4096,

  MSG_HELLO: 0x0001,
  MSG_WELCOME: 0x0002,
  MSG_PING: 0x0003,
  MSG_PONG: 0x0004,
  MSG_START: 0x0010,
  MSG_STOP: 0x0011,
  MSG_CLOSE: 0x0012,
  MSG_JOB: 0x0013,
  MSG_CAPBUF: 0x0014,
  MSG_DRAIN: 0x0015,
  MSG_SL_JOB: 0x0016,
  MSG_SL_FINISH: 0x0017,
  MSG_JOB_DONE: 0x0020,
  MSG_FRAME: 0x0021,
  MSG_STREAM_INFO: 0x0022,
  MSG_ERROR: 0x0023,

  CODEC_H264: 0,
  CODEC_HEVC: 1,
  CODEC_VP8: 2,
  CODEC_VP9: 3,
  CODEC_AV1: 4,
  CODEC_MPEG2: 5,
  CODEC_COUNT: 6,

  PIXFMT_NV12: 0,
  PIXFMT_YUV420: 1,
  PIXFMT_P010: 2,
  PIXFMT_COUNT: 3,

  MIN_DIMENSION: 16,
  MAX_DIMENSION: 16384,
  VERSION_LEN: 32,
  FRAME_ALIGN: 16,
  MAX_MIN_BUFFERS: 32,
  CTX_QUEUE_MAX: 256,

  QUEUE_OUTPUT: 0,
  QUEUE_CAPTURE: 1,

  JOB_ERROR: 0x01,

  FRAME_KEYFRAME: 0x01,
  FRAME_PFRAME: 0x02,
  FRAME_BFRAME: 0x04,
  FRAME_ERROR: 0x08,
  FRAME_LAST: 0x10,
  FRAME_END_OF_STREAM: 0x20,
  FRAME_FLAGS_ALL: 0x3f,

  ERR_UNSUPPORTED: 1,
  ERR_BITSTREAM: 2,
  ERR_NOMEM: 3,
  ERR_INTERNAL: 4,
  ERR_MAX: 4,
  ERROR_TEXT_LEN: 96,

  START_NEW_STREAM: 0x01,
  START_STATELESS: 0x02,

  SL_HOLD: 0x01,
  SL_CONTINUE: 0x02,
  SL_FLAGS_ALL: 0x03,
  SL_CTRLS_MAX: 16384,

  /** _IOWR(0xdd, 0x01, struct daedalus_expbuf) */
  IOC_EXPBUF: 0xc020dd01,
  /** _IOWR(0xdd, 0x02, struct daedalus_sl_ctrls) */
  IOC_SL_CTRLS: 0xc020dd02,
} as const;

/** The bridge device the daemon opens. */
export const BRIDGE_DEVICE = `/dev/${UAPI.BRIDGE_NAME}`;
