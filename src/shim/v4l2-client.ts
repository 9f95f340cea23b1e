// SPDX-License-Identifier: BSD-2-Clause
// The V4L2 client side of the C shim, for `daedalusd decode`: a file's
// video stream demuxed by libavformat (c/client/demux.h) and the decoder node
// driven as a stateful decoder client (c/v4l2-client.h). The calls block
// for at most the timeout they are given; decode is a one-shot command.
import { FFIType, type Pointer } from "bun:ffi";
import { chars, defineStruct, readStruct } from "../protocol/layout";
import { cString } from "./load";
import { cPath, lazyShim, pointerOrNull } from "./load";
import { SysError } from "./sys";

/** struct dd_demux_info (c/client/demux.h); the layout test checks it against C. */
export const DEMUX_INFO = defineStruct("dd_demux_info", [
  ["codec", "u32"],
  ["width", "u32"],
  ["height", "u32"],
  ["bit_depth", "u32"],
  ["frames", "u64"],
  ["fps_num", "u32"],
  ["fps_den", "u32"],
  ["codec_name", chars(32)],
  ["container", chars(32)],
]);

/** struct dd_demux_packet (c/client/demux.h). */
export const DEMUX_PACKET = defineStruct("dd_demux_packet", [
  ["data", "u64"],
  ["size", "u32"],
  ["keyframe", "u32"],
  ["pts_us", "u64"],
]);

/** struct dd_client_event (c/v4l2-client.h). */
export const CLIENT_EVENT = defineStruct("dd_client_event", [
  ["timestamp_us", "u64"],
  ["sequence", "u32"],
  ["flags", "u32"],
  ["bytesused", "u32"],
  ["pixelformat", "u32"],
  ["coded_width", "u32"],
  ["coded_height", "u32"],
  ["visible_left", "u32"],
  ["visible_top", "u32"],
  ["visible_width", "u32"],
  ["visible_height", "u32"],
  ["bytesperline", "u32"],
  ["buffers", "u32"],
  ["frame_size", "u32"],
]);

export const SHIM_LAYOUTS = [DEMUX_INFO, DEMUX_PACKET, CLIENT_EVENT] as const;

const symbols = {
  dd_demux_open: { args: [FFIType.cstring, FFIType.ptr, FFIType.ptr, FFIType.i32], returns: FFIType.ptr },
  dd_demux_read: { args: [FFIType.ptr, FFIType.ptr, FFIType.ptr, FFIType.i32], returns: FFIType.i32 },
  dd_demux_close: { args: [FFIType.ptr], returns: FFIType.void },
  dd_client_open: {
    args: [FFIType.cstring, FFIType.u32, FFIType.u32, FFIType.u32, FFIType.u32, FFIType.i32, FFIType.ptr, FFIType.i32],
    returns: FFIType.ptr,
  },
  dd_client_queue: { args: [FFIType.ptr, FFIType.u64, FFIType.u32, FFIType.i64], returns: FFIType.i32 },
  dd_client_drain: { args: [FFIType.ptr], returns: FFIType.i32 },
  dd_client_step: { args: [FFIType.ptr, FFIType.i32, FFIType.ptr], returns: FFIType.i32 },
  dd_client_take: { args: [FFIType.ptr, FFIType.ptr, FFIType.i64], returns: FFIType.i64_fast },
  dd_client_error: { args: [FFIType.ptr], returns: FFIType.cstring },
  dd_client_close: { args: [FFIType.ptr], returns: FFIType.void },
} as const;

const shim = lazyShim(symbols);

export interface StreamInfo {
  /** DAEDALUS_CODEC_* */
  codec: number;
  codecName: string;
  container: string;
  width: number;
  height: number;
  bitDepth: number;
  /** The container's frame count or an estimate; 0 if unknown. */
  frames: number;
  /** Frames per second, 0 if unknown. */
  fps: number;
}

export interface Packet {
  /** Valid until the next read(). */
  data: number;
  size: number;
  keyframe: boolean;
  /** Microseconds, or null if the container has no time for it. */
  ptsUs: number | null;
}

/** A file's video stream, packet by packet (c/client/demux.h). */
export class Demuxer {
  readonly info: StreamInfo;
  private handle: Pointer | null;
  private readonly pktBytes = new Uint8Array(new ArrayBuffer(DEMUX_PACKET.size));
  private readonly pkt = new DataView(this.pktBytes.buffer);
  private readonly err = new Uint8Array(new ArrayBuffer(512));

  constructor(path: string) {
    const info = new Uint8Array(new ArrayBuffer(DEMUX_INFO.size));
    const handle = pointerOrNull(shim().dd_demux_open(cPath(path), info, this.err, this.err.length));
    if (!handle) throw new Error(cString(this.err));
    this.handle = handle;
    const i = readStruct(DEMUX_INFO, new DataView(info.buffer));
    this.info = {
      codec: Number(i.codec),
      codecName: String(i.codec_name),
      container: String(i.container),
      width: Number(i.width),
      height: Number(i.height),
      bitDepth: Number(i.bit_depth),
      frames: Number(i.frames),
      fps: Number(i.fps_den) ? Number(i.fps_num) / Number(i.fps_den) : 0,
    };
  }

  /** The next packet, or null at the end of the file. */
  read(): Packet | null {
    if (!this.handle) throw new Error("demuxer already closed");
    const r = shim().dd_demux_read(this.handle, this.pktBytes, this.err, this.err.length);
    if (r < 0) throw new Error(cString(this.err));
    if (r === 0) return null;
    const pts = this.pkt.getBigInt64(16, true);
    return {
      data: Number(this.pkt.getBigUint64(0, true)),
      size: this.pkt.getUint32(8, true),
      keyframe: this.pkt.getUint32(12, true) !== 0,
      ptsUs: pts === -(2n ** 63n) ? null : Number(pts),
    };
  }

  close(): void {
    if (this.handle) shim().dd_demux_close(this.handle);
    this.handle = null;
  }
}

/** dd_client_step() outcomes */
export const ClientStep = { idle: 0, format: 1, frame: 2, end: 3 } as const;

export interface FrameFormat {
  /** V4L2 fourcc as text, e.g. "NV12". */
  pixelformat: string;
  codedWidth: number;
  codedHeight: number;
  visible: { left: number; top: number; width: number; height: number };
  bytesperline: number;
  buffers: number;
  /** Bytes of one packed visible frame. */
  frameSize: number;
}

export type ClientEvent =
  | { kind: "idle" }
  | { kind: "end" }
  | { kind: "format"; format: FrameFormat }
  | { kind: "frame"; timestampUs: number; sequence: number; flags: number; bytesused: number };

/** V4L2_BUF_FLAG_* a frame may carry that decode reports. */
export const BufFlag = { keyframe: 0x8, pframe: 0x10, bframe: 0x20, error: 0x40, last: 0x100000 } as const;

function fourccText(f: number): string {
  return String.fromCharCode(f & 0xff, (f >> 8) & 0xff, (f >> 16) & 0xff, (f >>> 24) & 0xff);
}

/** The decoder node as a V4L2 stateful decoder client sees it (c/v4l2-client.h). */
export class V4l2Client {
  private handle: Pointer | null;
  private readonly evBytes = new Uint8Array(new ArrayBuffer(CLIENT_EVENT.size));

  /** pixfmt is DAEDALUS_PIXFMT_*, or -1 for the node's choice. */
  constructor(node: string, codec: number, width: number, height: number, outSize: number, pixfmt: number) {
    const err = new Uint8Array(new ArrayBuffer(512));
    const handle = pointerOrNull(shim().dd_client_open(cPath(node), codec, width, height, outSize, pixfmt, err, err.length));
    if (!handle) throw new Error(cString(err));
    this.handle = handle;
  }

  private get h(): Pointer {
    if (!this.handle) throw new Error("V4L2 client already closed");
    return this.handle;
  }

  /** Throws the C side's reason for the failed call. */
  private fail(r: number): never {
    const why = shim().dd_client_error(this.h)?.toString();
    throw new Error(why || new SysError("V4L2 client", r).message);
  }

  /** Queues bytes at @data (a pointer); returns how many went in, 0 if no buffer is free. */
  queue(data: number, size: number, timestampUs: number): number {
    const r = shim().dd_client_queue(this.h, data, size, BigInt(timestampUs));
    return r < 0 ? this.fail(r) : r;
  }

  drain(): void {
    const r = shim().dd_client_drain(this.h);
    if (r < 0) this.fail(r);
  }

  step(timeoutMs: number): ClientEvent {
    const r = shim().dd_client_step(this.h, timeoutMs, this.evBytes);
    if (r < 0) this.fail(r);
    const e = readStruct(CLIENT_EVENT, new DataView(this.evBytes.buffer));
    switch (r) {
      case ClientStep.format:
        return {
          kind: "format",
          format: {
            pixelformat: fourccText(Number(e.pixelformat)),
            codedWidth: Number(e.coded_width),
            codedHeight: Number(e.coded_height),
            visible: {
              left: Number(e.visible_left),
              top: Number(e.visible_top),
              width: Number(e.visible_width),
              height: Number(e.visible_height),
            },
            bytesperline: Number(e.bytesperline),
            buffers: Number(e.buffers),
            frameSize: Number(e.frame_size),
          },
        };
      case ClientStep.frame:
        return {
          kind: "frame",
          timestampUs: Number(e.timestamp_us),
          sequence: Number(e.sequence),
          flags: Number(e.flags),
          bytesused: Number(e.bytesused),
        };
      case ClientStep.end:
        return { kind: "end" };
      default:
        return { kind: "idle" };
    }
  }

  /** Packs the held frame into @dst (or drops it if null) and gives the buffer back. */
  take(dst: Uint8Array | null): number {
    const r = Number(shim().dd_client_take(this.h, dst, dst ? dst.byteLength : 0));
    return r < 0 ? this.fail(r) : r;
  }

  close(): void {
    if (this.handle) shim().dd_client_close(this.handle);
    this.handle = null;
  }
}
