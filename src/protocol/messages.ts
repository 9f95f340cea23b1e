// SPDX-License-Identifier: BSD-2-Clause
// The bridge protocol as the daemon speaks it: the structs of
// kernel/include/uapi/linux/daedalus-v4l2.h, its constants taken from
// ./uapi.ts; test/protocol-layout.test.ts fails if a size or an offset
// here differs from the header.
import * as v from "valibot";
import { array, chars, defineStruct, readStruct, type StructLayout, writeStruct } from "./layout";
import { UAPI } from "./uapi";

export const PROTO_MAGIC: number = UAPI.PROTO_MAGIC;
export const PROTO_VERSION: number = UAPI.PROTO_VERSION;
export const MSG_MAX_LEN: number = UAPI.MSG_MAX_LEN;
export const MIN_DIMENSION: number = UAPI.MIN_DIMENSION;
export const MAX_DIMENSION: number = UAPI.MAX_DIMENSION;
export const VERSION_LEN: number = UAPI.VERSION_LEN;

export const MsgType = {
  HELLO: UAPI.MSG_HELLO,
  WELCOME: UAPI.MSG_WELCOME,
  PING: UAPI.MSG_PING,
  PONG: UAPI.MSG_PONG,
  START: UAPI.MSG_START,
  STOP: UAPI.MSG_STOP,
  CLOSE: UAPI.MSG_CLOSE,
  JOB: UAPI.MSG_JOB,
  CAPBUF: UAPI.MSG_CAPBUF,
  DRAIN: UAPI.MSG_DRAIN,
  SL_JOB: UAPI.MSG_SL_JOB,
  SL_FINISH: UAPI.MSG_SL_FINISH,
  JOB_DONE: UAPI.MSG_JOB_DONE,
  FRAME: UAPI.MSG_FRAME,
  STREAM_INFO: UAPI.MSG_STREAM_INFO,
  ERROR: UAPI.MSG_ERROR,
} as const;
export type MsgTypeName = keyof typeof MsgType;

/** Codec bit numbers, in the order the node enumerates them. */
export const Codec = {
  h264: UAPI.CODEC_H264,
  hevc: UAPI.CODEC_HEVC,
  vp8: UAPI.CODEC_VP8,
  vp9: UAPI.CODEC_VP9,
  av1: UAPI.CODEC_AV1,
  mpeg2: UAPI.CODEC_MPEG2,
} as const;
export type CodecName = keyof typeof Codec;
export const CODEC_COUNT: number = UAPI.CODEC_COUNT;

/** CAPTURE layout bit numbers. */
export const PixFmt = { nv12: UAPI.PIXFMT_NV12, yuv420: UAPI.PIXFMT_YUV420, p010: UAPI.PIXFMT_P010 } as const;
export type PixFmtName = keyof typeof PixFmt;
export const PIXFMT_COUNT: number = UAPI.PIXFMT_COUNT;

/** The queues of a context. */
export const Queue = { OUTPUT: UAPI.QUEUE_OUTPUT, CAPTURE: UAPI.QUEUE_CAPTURE } as const;
export const JOB_ERROR: number = UAPI.JOB_ERROR;
export const FrameFlag = {
  KEYFRAME: UAPI.FRAME_KEYFRAME,
  PFRAME: UAPI.FRAME_PFRAME,
  BFRAME: UAPI.FRAME_BFRAME,
  ERROR: UAPI.FRAME_ERROR,
  LAST: UAPI.FRAME_LAST,
  END_OF_STREAM: UAPI.FRAME_END_OF_STREAM,
} as const;
export const FRAME_FLAGS_ALL: number = UAPI.FRAME_FLAGS_ALL;
/** daedalus_msg_start.flags */
export const StartFlag = { NEW_STREAM: UAPI.START_NEW_STREAM, STATELESS: UAPI.START_STATELESS } as const;
/** daedalus_msg_sl_job.flags */
export const SlFlag = { HOLD: UAPI.SL_HOLD, CONTINUE: UAPI.SL_CONTINUE } as const;
/** daedalus_msg_error.code */
export const ErrorCode = {
  UNSUPPORTED: UAPI.ERR_UNSUPPORTED,
  BITSTREAM: UAPI.ERR_BITSTREAM,
  NOMEM: UAPI.ERR_NOMEM,
  INTERNAL: UAPI.ERR_INTERNAL,
} as const;
export const ERR_MAX: number = UAPI.ERR_MAX;
export const ERROR_TEXT_LEN: number = UAPI.ERROR_TEXT_LEN;

export const HEADER = defineStruct("daedalus_msg_hdr", [
  ["magic", "u32"],
  ["version", "u16"],
  ["type", "u16"],
  ["length", "u32"],
  ["seq", "u32"],
  ["ctx_id", "u32"],
  ["reserved", "u32"],
]);

export const HELLO = defineStruct("daedalus_msg_hello", [
  ["hdr", HEADER],
  ["codecs", "u32"],
  ["pixfmts", "u32"],
  ["max_width", "u32"],
  ["max_height", "u32"],
  ["flags", "u32"],
  ["sl_codecs", "u32"],
  ["daemon_version", chars(VERSION_LEN)],
]);

export const WELCOME = defineStruct("daedalus_msg_welcome", [
  ["hdr", HEADER],
  ["codecs", "u32"],
  ["pixfmts", "u32"],
  ["max_width", "u32"],
  ["max_height", "u32"],
  ["sl_codecs", "u32"],
  ["reserved", "u32"],
  ["module_version", chars(VERSION_LEN)],
]);

export const PING = defineStruct("daedalus_msg_ping", [
  ["hdr", HEADER],
  ["cookie", "u64"],
]);

export const START = defineStruct("daedalus_msg_start", [
  ["hdr", HEADER],
  ["codec", "u32"],
  ["width", "u32"],
  ["height", "u32"],
  ["flags", "u32"],
]);

export const CTL = defineStruct("daedalus_msg_ctl", [
  ["hdr", HEADER],
  ["queue", "u32"],
  ["reserved", "u32"],
]);

export const JOB = defineStruct("daedalus_msg_job", [
  ["hdr", HEADER],
  ["tag", "u32"],
  ["index", "u32"],
  ["bytesused", "u32"],
  ["data_offset", "u32"],
  ["timestamp", "u64"],
  ["flags", "u32"],
  ["memory", "u32"],
]);

export const CAPBUF = defineStruct("daedalus_msg_capbuf", [
  ["hdr", HEADER],
  ["tag", "u32"],
  ["index", "u32"],
  ["pixfmt", "u32"],
  ["width", "u32"],
  ["height", "u32"],
  ["bytesperline", "u32"],
  ["size", "u32"],
  ["memory", "u32"],
]);

export const JOB_DONE = defineStruct("daedalus_msg_job_done", [
  ["hdr", HEADER],
  ["tag", "u32"],
  ["index", "u32"],
  ["flags", "u32"],
  ["reserved", "u32"],
]);

export const FRAME = defineStruct("daedalus_msg_frame", [
  ["hdr", HEADER],
  ["tag", "u32"],
  ["index", "u32"],
  ["bytesused", "u32"],
  ["flags", "u32"],
  ["timestamp", "u64"],
]);

export const STREAM_INFO = defineStruct("daedalus_msg_stream_info", [
  ["hdr", HEADER],
  ["width", "u32"],
  ["height", "u32"],
  ["visible_left", "u32"],
  ["visible_top", "u32"],
  ["visible_width", "u32"],
  ["visible_height", "u32"],
  ["pixfmt", "u32"],
  ["bit_depth", "u32"],
  ["min_buffers", "u32"],
  ["colorspace", "u32"],
  ["xfer_func", "u32"],
  ["ycbcr_enc", "u32"],
  ["quantization", "u32"],
  ["reserved", "u32"],
]);

export const ERROR = defineStruct("daedalus_msg_error", [
  ["hdr", HEADER],
  ["code", "u32"],
  ["reserved", "u32"],
  ["text", chars(ERROR_TEXT_LEN)],
]);

/** The bridge's EXPBUF ioctl argument; used by the C shim, listed for the layout test. */
export const EXPBUF = defineStruct("daedalus_expbuf", [
  ["ctx_id", "u32"],
  ["queue", "u32"],
  ["index", "u32"],
  ["tag", "u32"],
  ["fd", "u32"],
  ["reserved", array("u32", 3)],
]);

export const SL_JOB = defineStruct("daedalus_msg_sl_job", [
  ["hdr", HEADER],
  ["tag", "u32"],
  ["index", "u32"],
  ["bytesused", "u32"],
  ["data_offset", "u32"],
  ["timestamp", "u64"],
  ["memory", "u32"],
  ["flags", "u32"],
  ["ctrls_len", "u32"],
  ["cap_tag", "u32"],
  ["cap_index", "u32"],
  ["cap_memory", "u32"],
  ["cap_pixfmt", "u32"],
  ["cap_width", "u32"],
  ["cap_height", "u32"],
  ["cap_bytesperline", "u32"],
  ["cap_size", "u32"],
  ["reserved", "u32"],
]);

export const SL_FINISH = defineStruct("daedalus_msg_sl_finish", [
  ["hdr", HEADER],
  ["cap_tag", "u32"],
  ["cap_index", "u32"],
]);

/** A record of DAEDALUS_IOC_SL_CTRLS's blob; its payload follows. */
export const SL_CTRL = defineStruct("daedalus_sl_ctrl", [
  ["id", "u32"],
  ["size", "u32"],
]);

export const SL_CTRLS = defineStruct("daedalus_sl_ctrls", [
  ["ctx_id", "u32"],
  ["index", "u32"],
  ["tag", "u32"],
  ["size", "u32"],
  ["ptr", "u64"],
  ["reserved", array("u32", 2)],
]);

/** Every wire struct, for the layout test. */
export const LAYOUTS: readonly StructLayout[] = [
  HEADER, HELLO, WELCOME, PING, START, CTL, JOB, CAPBUF, JOB_DONE, FRAME, STREAM_INFO, ERROR, EXPBUF,
  SL_JOB, SL_FINISH, SL_CTRL, SL_CTRLS,
];

const u32 = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(0xffffffff));
const bitSet = (count: number) => v.pipe(u32, v.maxValue(2 ** count - 1));
const dimension = v.pipe(u32, v.minValue(MIN_DIMENSION), v.maxValue(MAX_DIMENSION));
const cString = v.pipe(v.string(), v.regex(/^[\x20-\x7e]*$/, "a NUL-terminated printable string"));

const positive = v.pipe(u32, v.minValue(1));
/** @ctx: whether the message is about a context (a non-zero ctx_id) or the device (0). */
const headerSchema = (type: number, ctx = false) =>
  v.strictObject({
    magic: v.literal(PROTO_MAGIC),
    version: v.literal(PROTO_VERSION),
    type: v.literal(type),
    length: u32,
    seq: u32,
    ctx_id: ctx ? positive : v.literal(0),
    reserved: v.literal(0),
  });

export const WelcomeSchema = v.strictObject({
  hdr: headerSchema(MsgType.WELCOME),
  codecs: bitSet(CODEC_COUNT),
  pixfmts: bitSet(PIXFMT_COUNT),
  max_width: dimension,
  max_height: dimension,
  sl_codecs: bitSet(CODEC_COUNT),
  reserved: v.literal(0),
  module_version: cString,
});
export type Welcome = v.InferOutput<typeof WelcomeSchema>;

const pingSchema = (type: number) =>
  v.strictObject({ hdr: headerSchema(type), cookie: v.bigint() });
export const PingSchema = pingSchema(MsgType.PING);
export const PongSchema = pingSchema(MsgType.PONG);
export type Ping = v.InferOutput<typeof PingSchema>;

const codecNumber = v.pipe(u32, v.maxValue(CODEC_COUNT - 1));
const pixfmtNumber = v.pipe(u32, v.maxValue(PIXFMT_COUNT - 1));
const queueNumber = v.picklist([Queue.OUTPUT, Queue.CAPTURE]);

export const StartSchema = v.strictObject({
  hdr: headerSchema(MsgType.START, true),
  codec: codecNumber,
  width: u32,
  height: u32,
  flags: v.picklist([0, StartFlag.NEW_STREAM, StartFlag.STATELESS]),
});
export type Start = v.InferOutput<typeof StartSchema>;

const ctlSchema = (type: number, queue: v.GenericSchema<number>) =>
  v.strictObject({ hdr: headerSchema(type, true), queue, reserved: v.literal(0) });
export const StopSchema = ctlSchema(MsgType.STOP, queueNumber);
export const CloseSchema = ctlSchema(MsgType.CLOSE, v.literal(0));
export const DrainSchema = ctlSchema(MsgType.DRAIN, v.literal(0));
export type Ctl = v.InferOutput<typeof StopSchema>;

export const JobSchema = v.strictObject({
  hdr: headerSchema(MsgType.JOB, true),
  tag: u32,
  index: u32,
  bytesused: u32,
  data_offset: u32,
  timestamp: v.bigint(),
  flags: v.literal(0),
  memory: positive,
});
export type Job = v.InferOutput<typeof JobSchema>;

export const CapbufSchema = v.strictObject({
  hdr: headerSchema(MsgType.CAPBUF, true),
  tag: u32,
  index: u32,
  pixfmt: pixfmtNumber,
  width: dimension,
  height: dimension,
  bytesperline: positive,
  size: positive,
  memory: positive,
});
export type Capbuf = v.InferOutput<typeof CapbufSchema>;

export const SlJobSchema = v.strictObject({
  hdr: headerSchema(MsgType.SL_JOB, true),
  tag: u32,
  index: u32,
  bytesused: u32,
  data_offset: u32,
  timestamp: v.bigint(),
  memory: positive,
  flags: v.pipe(u32, v.maxValue(UAPI.SL_FLAGS_ALL)),
  ctrls_len: v.pipe(u32, v.maxValue(UAPI.SL_CTRLS_MAX)),
  cap_tag: u32,
  cap_index: u32,
  cap_memory: positive,
  cap_pixfmt: pixfmtNumber,
  cap_width: dimension,
  cap_height: dimension,
  cap_bytesperline: positive,
  cap_size: positive,
  reserved: v.literal(0),
});
export type SlJob = v.InferOutput<typeof SlJobSchema>;

export const SlFinishSchema = v.strictObject({
  hdr: headerSchema(MsgType.SL_FINISH, true),
  cap_tag: u32,
  cap_index: u32,
});
export type SlFinish = v.InferOutput<typeof SlFinishSchema>;

/*
 * What the decoding workers copy to the event loop for its log: they write
 * their messages to the kernel themselves, and the kernel checks those.
 */

export const StreamInfoSchema = v.pipe(
  v.strictObject({
    hdr: headerSchema(MsgType.STREAM_INFO, true),
    width: dimension,
    height: dimension,
    visible_left: u32,
    visible_top: u32,
    visible_width: positive,
    visible_height: positive,
    pixfmt: pixfmtNumber,
    bit_depth: v.picklist([8, 10]),
    min_buffers: v.pipe(u32, v.minValue(1), v.maxValue(UAPI.MAX_MIN_BUFFERS)),
    colorspace: u32,
    xfer_func: u32,
    ycbcr_enc: u32,
    quantization: u32,
    reserved: v.literal(0),
  }),
  v.check(
    (s) => s.visible_left + s.visible_width <= s.width && s.visible_top + s.visible_height <= s.height,
    "the visible rectangle must lie within the coded frame",
  ),
);
export type StreamInfo = v.InferOutput<typeof StreamInfoSchema>;

export const ErrorSchema = v.strictObject({
  hdr: headerSchema(MsgType.ERROR, true),
  code: v.pipe(u32, v.minValue(1), v.maxValue(ERR_MAX)),
  reserved: v.literal(0),
  text: cString,
});
export type ErrorMsg = v.InferOutput<typeof ErrorSchema>;

/** A message from the kernel, validated. */
export type KernelMessage =
  | { readonly type: "WELCOME"; readonly msg: Welcome }
  | { readonly type: "PING"; readonly msg: Ping }
  | { readonly type: "PONG"; readonly msg: Ping }
  | { readonly type: "START"; readonly msg: Start }
  | { readonly type: "STOP"; readonly msg: Ctl }
  | { readonly type: "CLOSE"; readonly msg: Ctl }
  | { readonly type: "DRAIN"; readonly msg: Ctl }
  | { readonly type: "JOB"; readonly msg: Job }
  | { readonly type: "CAPBUF"; readonly msg: Capbuf }
  | { readonly type: "SL_JOB"; readonly msg: SlJob }
  | { readonly type: "SL_FINISH"; readonly msg: SlFinish };

/** A decoding worker's copy of a message it sent, validated. */
export type WorkerMessage =
  | { readonly type: "STREAM_INFO"; readonly msg: StreamInfo }
  | { readonly type: "ERROR"; readonly msg: ErrorMsg };

/** What of a context reaches the daemon's event loop: its lifecycle (the rest goes to its worker in C). */
export type ContextMessage = Extract<KernelMessage, { readonly type: "START" | "CLOSE" }>;

export class ProtocolError extends Error {
  override readonly name = "ProtocolError";
}

function header(type: number, length: number, seq: number) {
  return { magic: PROTO_MAGIC, version: PROTO_VERSION, type, length, seq, ctx_id: 0, reserved: 0 };
}

function encode(layout: StructLayout, value: Parameters<typeof writeStruct>[2]): Uint8Array {
  const bytes = new Uint8Array(layout.size);
  writeStruct(layout, new DataView(bytes.buffer), value);
  return bytes;
}

export interface HelloFields {
  codecs: number;
  /** Codecs decoded from stateless requests; 0 if none. */
  slCodecs?: number;
  pixfmts: number;
  maxWidth: number;
  maxHeight: number;
  daemonVersion: string;
}

export function encodeHello(seq: number, f: HelloFields): Uint8Array {
  return encode(HELLO, {
    hdr: header(MsgType.HELLO, HELLO.size, seq),
    codecs: f.codecs,
    pixfmts: f.pixfmts,
    max_width: f.maxWidth,
    max_height: f.maxHeight,
    sl_codecs: f.slCodecs ?? 0,
    daemon_version: f.daemonVersion,
  });
}

export function encodePing(type: "PING" | "PONG", seq: number, cookie: bigint): Uint8Array {
  return encode(PING, { hdr: header(MsgType[type], PING.size, seq), cookie });
}

/** Reads the header of the message at the start of @bytes, unvalidated. */
export function peekHeader(bytes: Uint8Array): { type: number; length: number } | undefined {
  if (bytes.length < HEADER.size) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { type: view.getUint16(6, true), length: view.getUint32(8, true) };
}

const KERNEL_MESSAGES = {
  [MsgType.WELCOME]: { type: "WELCOME", layout: WELCOME, schema: WelcomeSchema },
  [MsgType.PING]: { type: "PING", layout: PING, schema: PingSchema },
  [MsgType.PONG]: { type: "PONG", layout: PING, schema: PongSchema },
  [MsgType.START]: { type: "START", layout: START, schema: StartSchema },
  [MsgType.STOP]: { type: "STOP", layout: CTL, schema: StopSchema },
  [MsgType.CLOSE]: { type: "CLOSE", layout: CTL, schema: CloseSchema },
  [MsgType.DRAIN]: { type: "DRAIN", layout: CTL, schema: DrainSchema },
  [MsgType.JOB]: { type: "JOB", layout: JOB, schema: JobSchema },
  [MsgType.CAPBUF]: { type: "CAPBUF", layout: CAPBUF, schema: CapbufSchema },
  [MsgType.SL_JOB]: { type: "SL_JOB", layout: SL_JOB, schema: SlJobSchema },
  [MsgType.SL_FINISH]: { type: "SL_FINISH", layout: SL_FINISH, schema: SlFinishSchema },
} as const;

const WORKER_MESSAGES = {
  [MsgType.STREAM_INFO]: { type: "STREAM_INFO", layout: STREAM_INFO, schema: StreamInfoSchema },
  [MsgType.ERROR]: { type: "ERROR", layout: ERROR, schema: ErrorSchema },
} as const;

interface Entry {
  readonly type: string;
  readonly layout: StructLayout;
  readonly schema: v.GenericSchema<unknown, unknown>;
}

function decodeWith(table: Readonly<Record<number, Entry>>, bytes: Uint8Array): { type: string; msg: unknown } {
  const head = peekHeader(bytes);
  if (!head) throw new ProtocolError(`message of ${bytes.length} bytes is shorter than a header`);
  const entry = table[head.type];
  if (!entry) throw new ProtocolError(`unexpected message type ${head.type}`);
  if (bytes.length !== entry.layout.size || head.length !== entry.layout.size) {
    throw new ProtocolError(`${entry.type}: ${bytes.length} bytes, length field ${head.length}, expected ${entry.layout.size}`);
  }
  const raw = readStruct(entry.layout, new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  const parsed = v.safeParse(entry.schema, raw);
  if (!parsed.success) throw new ProtocolError(`${entry.type}: ${v.summarize(parsed.issues)}`);
  return { type: entry.type, msg: parsed.output };
}

/** Decodes and validates one whole message from a decoding worker. */
export function decodeWorkerMessage(bytes: Uint8Array): WorkerMessage {
  return decodeWith(WORKER_MESSAGES, bytes) as WorkerMessage;
}

/** Decodes and validates one whole message from the kernel. */
export function decodeKernelMessage(bytes: Uint8Array): KernelMessage {
  return decodeWith(KERNEL_MESSAGES, bytes) as KernelMessage;
}

/** Splits a byte stream of back-to-back messages; keeps a partial tail. */
export class MessageSplitter {
  private pending = new Uint8Array(0);

  push(chunk: Uint8Array): Uint8Array[] {
    const buf = new Uint8Array(this.pending.length + chunk.length);
    buf.set(this.pending);
    buf.set(chunk, this.pending.length);
    const out: Uint8Array[] = [];
    let at = 0;
    for (;;) {
      const head = peekHeader(buf.subarray(at));
      if (!head) break;
      if (head.length < HEADER.size || head.length > MSG_MAX_LEN) {
        throw new ProtocolError(`message length ${head.length} out of range`);
      }
      if (buf.length - at < head.length) break;
      out.push(buf.slice(at, at + head.length));
      at += head.length;
    }
    this.pending = buf.slice(at);
    return out;
  }
}

export function codecMask(names: readonly CodecName[]): number {
  return names.reduce((m, n) => m | (1 << Codec[n]), 0);
}

export function codecNames(mask: number): CodecName[] {
  return (Object.keys(Codec) as CodecName[]).filter((n) => mask & (1 << Codec[n]));
}

export function pixFmtNames(mask: number): PixFmtName[] {
  return (Object.keys(PixFmt) as PixFmtName[]).filter((n) => mask & (1 << PixFmt[n]));
}

/** An ERROR about a context, for failures of the daemon's own before any worker exists. */
export function encodeError(ctxId: number, code: number, text: string): Uint8Array {
  return encode(ERROR, {
    hdr: { ...header(MsgType.ERROR, ERROR.size, 0), ctx_id: ctxId },
    code,
    text: text.replace(/[^\x20-\x7e]/g, "?").slice(0, ERROR_TEXT_LEN - 1),
  });
}
