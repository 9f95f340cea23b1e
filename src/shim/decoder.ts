// SPDX-License-Identifier: BSD-2-Clause
// The decoding workers of the C shim (c/decoder.h): one per context. Every
// call only queues work for the worker and returns at once. The workers
// write their protocol messages to the bridge themselves, and copy
// STREAM_INFO and ERROR to one pipe shared by all of them (notifyPipe),
// which the event loop reads for its log.
import { FFIType, type Pointer } from "bun:ffi";
import { lazyShim, pointerOrNull } from "./load";
import { cString } from "./ffmpeg";
import { check, pipe } from "./sys";

const symbols = {
  dd_decoder_open: {
    args: [FFIType.u32, FFIType.u32, FFIType.i32, FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.i32],
    returns: FFIType.ptr,
  },
  dd_decoder_job: {
    args: [FFIType.ptr, FFIType.u32, FFIType.u32, FFIType.u32, FFIType.u32, FFIType.i64, FFIType.u32],
    returns: FFIType.i32,
  },
  dd_decoder_capbuf: {
    args: [FFIType.ptr, FFIType.u32, FFIType.u32, FFIType.u32, FFIType.u32, FFIType.u32, FFIType.u32, FFIType.u32, FFIType.u32],
    returns: FFIType.i32,
  },
  dd_decoder_drain: { args: [FFIType.ptr], returns: FFIType.i32 },
  dd_decoder_stop: { args: [FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
  dd_decoder_restart: { args: [FFIType.ptr, FFIType.u32, FFIType.u32], returns: FFIType.i32 },
  dd_decoder_close: { args: [FFIType.ptr], returns: FFIType.void },
} as const;

const shim = lazyShim(symbols);

let pipeFds: { readFd: number; writeFd: number } | undefined;

/**
 * The pipe every worker copies its log-worthy messages to. Made once and never closed:
 * a worker that is finishing after its context was closed may still write.
 */
export function notifyPipe(): { readFd: number; writeFd: number } {
  pipeFds ??= pipe();
  return pipeFds;
}

/** One context's worker. */
export class Decoder {
  private handle: Pointer | null;

  private constructor(handle: Pointer) {
    this.handle = handle;
  }

  /** Starts a worker; throws with the C side's reason. */
  static open(ctxId: number, codec: number, threads: number, bridgeFd: number): Decoder {
    const err = new Uint8Array(new ArrayBuffer(256));
    const h = pointerOrNull(shim().dd_decoder_open(ctxId, codec, threads, bridgeFd, notifyPipe().writeFd, err, err.length));
    if (!h) throw new Error(cString(err));
    return new Decoder(h);
  }

  private get h(): Pointer {
    if (!this.handle) throw new Error("decoder already closed");
    return this.handle;
  }

  job(tag: number, index: number, bytesused: number, dataOffset: number, timestamp: bigint, memory: number): void {
    check("queue a job", shim().dd_decoder_job(this.h, tag, index, bytesused, dataOffset, timestamp, memory));
  }

  capbuf(
    tag: number,
    index: number,
    pixfmt: number,
    width: number,
    height: number,
    bytesperline: number,
    size: number,
    memory: number,
  ): void {
    check(
      "hand over a frame buffer",
      shim().dd_decoder_capbuf(this.h, tag, index, pixfmt, width, height, bytesperline, size, memory),
    );
  }

  drain(): void {
    check("queue a drain", shim().dd_decoder_drain(this.h));
  }

  stop(queue: number): void {
    check("stop a queue", shim().dd_decoder_stop(this.h, queue));
  }

  restart(codec: number, flags: number): void {
    check("restart", shim().dd_decoder_restart(this.h, codec, flags));
  }

  /** Returns at once; the worker frees itself after its current step. */
  close(): void {
    if (this.handle) shim().dd_decoder_close(this.handle);
    this.handle = null;
  }
}
