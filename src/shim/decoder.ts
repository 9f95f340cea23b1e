// SPDX-License-Identifier: BSD-2-Clause
// The decoding workers of the C shim (c/daemon/decoder.h): one per context. The
// event loop opens, restarts and closes them; the bridge pump hands them
// their context's buffers in C. The workers write their protocol messages
// to the bridge themselves, and copy STREAM_INFO and ERROR to one pipe
// shared by all of them (notifyPipe), which the event loop reads for its
// log.
import { FFIType, type Pointer } from "bun:ffi";
import { lazyShim, pointerOrNull } from "./load";
import { cString } from "./load";
import { check, pipe } from "./sys";

const symbols = {
  dd_decoder_open: {
    args: [FFIType.u32, FFIType.u32, FFIType.i32, FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.i32],
    returns: FFIType.ptr,
  },
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

/** A worker as the C side knows it, for the bridge pump. */
export type DecoderHandle = Pointer;

/** One context's worker. */
export class Decoder {
  private ptr: Pointer | null;

  private constructor(handle: Pointer) {
    this.ptr = handle;
  }

  /** Starts a worker; throws with the C side's reason. */
  static open(ctxId: number, codec: number, threads: number, bridgeFd: number): Decoder {
    const err = new Uint8Array(new ArrayBuffer(256));
    const h = pointerOrNull(shim().dd_decoder_open(ctxId, codec, threads, bridgeFd, notifyPipe().writeFd, err, err.length));
    if (!h) throw new Error(cString(err));
    return new Decoder(h);
  }

  /** The worker for dd_pump_started(); null once closed. */
  get handle(): DecoderHandle | null {
    return this.ptr;
  }

  private get h(): Pointer {
    if (!this.ptr) throw new Error("decoder already closed");
    return this.ptr;
  }

  restart(codec: number, flags: number): void {
    check("restart", shim().dd_decoder_restart(this.h, codec, flags));
  }

  /** Returns at once; the worker frees itself after its current step. */
  close(): void {
    if (this.ptr) shim().dd_decoder_close(this.ptr);
    this.ptr = null;
  }
}
