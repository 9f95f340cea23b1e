// SPDX-License-Identifier: BSD-2-Clause
// The bridge protocol as the daemon speaks it. Mirrors
// kernel/include/uapi/linux/daedalus-v4l2.h; test/protocol-layout.test.ts
// fails if a constant, a size or an offset here differs from the header.
import * as v from "valibot";
import { array, chars, defineStruct, readStruct, type StructLayout, writeStruct } from "./layout";

export const PROTO_MAGIC = 0x34564444;
export const PROTO_VERSION = 1;
export const MSG_MAX_LEN = 4096;
export const MIN_DIMENSION = 16;
export const MAX_DIMENSION = 16384;
export const VERSION_LEN = 32;

export const MsgType = {
  HELLO: 0x0001,
  WELCOME: 0x0002,
  PING: 0x0003,
  PONG: 0x0004,
} as const;
export type MsgTypeName = keyof typeof MsgType;

/** Codec bit numbers, in the order the node enumerates them. */
export const Codec = { h264: 0, hevc: 1, vp8: 2, vp9: 3, av1: 4, mpeg2: 5 } as const;
export type CodecName = keyof typeof Codec;
export const CODEC_COUNT = 6;

/** CAPTURE layout bit numbers. */
export const PixFmt = { nv12: 0, yuv420: 1, p010: 2 } as const;
export type PixFmtName = keyof typeof PixFmt;
export const PIXFMT_COUNT = 3;

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
  ["reserved", "u32"],
  ["daemon_version", chars(VERSION_LEN)],
]);

export const WELCOME = defineStruct("daedalus_msg_welcome", [
  ["hdr", HEADER],
  ["codecs", "u32"],
  ["pixfmts", "u32"],
  ["max_width", "u32"],
  ["max_height", "u32"],
  ["reserved", array("u32", 2)],
  ["module_version", chars(VERSION_LEN)],
]);

export const PING = defineStruct("daedalus_msg_ping", [
  ["hdr", HEADER],
  ["cookie", "u64"],
]);

/** Every wire struct, for the layout test. */
export const LAYOUTS: readonly StructLayout[] = [HEADER, HELLO, WELCOME, PING];

const u32 = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(0xffffffff));
const bitSet = (count: number) => v.pipe(u32, v.maxValue(2 ** count - 1));
const dimension = v.pipe(u32, v.minValue(MIN_DIMENSION), v.maxValue(MAX_DIMENSION));
const cString = v.pipe(v.string(), v.regex(/^[\x20-\x7e]*$/, "a NUL-terminated printable string"));

const headerSchema = (type: number) =>
  v.strictObject({
    magic: v.literal(PROTO_MAGIC),
    version: v.literal(PROTO_VERSION),
    type: v.literal(type),
    length: u32,
    seq: u32,
    ctx_id: v.literal(0),
    reserved: v.literal(0),
  });

export const WelcomeSchema = v.strictObject({
  hdr: headerSchema(MsgType.WELCOME),
  codecs: bitSet(CODEC_COUNT),
  pixfmts: bitSet(PIXFMT_COUNT),
  max_width: dimension,
  max_height: dimension,
  reserved: v.tuple([v.literal(0), v.literal(0)]),
  module_version: cString,
});
export type Welcome = v.InferOutput<typeof WelcomeSchema>;

const pingSchema = (type: number) =>
  v.strictObject({ hdr: headerSchema(type), cookie: v.bigint() });
export const PingSchema = pingSchema(MsgType.PING);
export const PongSchema = pingSchema(MsgType.PONG);
export type Ping = v.InferOutput<typeof PingSchema>;

/** A message from the kernel, validated. */
export type KernelMessage =
  | { readonly type: "WELCOME"; readonly msg: Welcome }
  | { readonly type: "PING"; readonly msg: Ping }
  | { readonly type: "PONG"; readonly msg: Ping };

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
} as const;

/** Decodes and validates one whole message from the kernel. */
export function decodeKernelMessage(bytes: Uint8Array): KernelMessage {
  const head = peekHeader(bytes);
  if (!head) throw new ProtocolError(`message of ${bytes.length} bytes is shorter than a header`);
  const entry = KERNEL_MESSAGES[head.type as keyof typeof KERNEL_MESSAGES];
  if (!entry) throw new ProtocolError(`unexpected message type ${head.type}`);
  if (bytes.length !== entry.layout.size || head.length !== entry.layout.size) {
    throw new ProtocolError(`${entry.type}: ${bytes.length} bytes, length field ${head.length}, expected ${entry.layout.size}`);
  }
  const raw = readStruct(entry.layout, new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  const parsed = v.safeParse(entry.schema, raw);
  if (!parsed.success) throw new ProtocolError(`${entry.type}: ${v.summarize(parsed.issues)}`);
  return { type: entry.type, msg: parsed.output } as KernelMessage;
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
