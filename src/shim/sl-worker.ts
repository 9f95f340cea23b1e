// SPDX-License-Identifier: BSD-2-Clause
// The stateless node's decoding workers (c/daemon/sl-worker.h): one per
// stateless context, opened, restarted and closed by the event loop like
// the stateful ones (./decoder.ts); the bridge pump hands them their
// SL_JOB, SL_FINISH and STOP in C. They write FRAME and JOB_DONE to the
// bridge themselves and copy their ERRORs to the shared notify pipe.
import { FFIType, type Pointer } from "bun:ffi";
import { notifyPipe } from "./decoder";
import { cString, lazyShim, pointerOrNull } from "./load";
import { check } from "./sys";

const symbols = {
  dd_sl_worker_codecs: { args: [], returns: FFIType.i32 },
  dd_sl_worker_open: {
    args: [FFIType.u32, FFIType.u32, FFIType.i32, FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.i32],
    returns: FFIType.ptr,
  },
  dd_sl_worker_restart: { args: [FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
  dd_sl_worker_close: { args: [FFIType.ptr], returns: FFIType.void },
} as const;

const shim = lazyShim(symbols);

/** The DAEDALUS_CODEC_* bits the worker decodes stateless requests of (when libavcodec does). */
export function statelessCodecMask(): number {
  return shim().dd_sl_worker_codecs();
}

/** One stateless context's worker. */
export class SlWorker {
  private ptr: Pointer | null;

  private constructor(handle: Pointer) {
    this.ptr = handle;
  }

  /** Starts a worker; throws with the C side's reason. */
  static open(ctxId: number, codec: number, threads: number, bridgeFd: number): SlWorker {
    const err = new Uint8Array(new ArrayBuffer(256));
    const h = pointerOrNull(shim().dd_sl_worker_open(ctxId, codec, threads, bridgeFd, notifyPipe().writeFd, err, err.length));
    if (!h) throw new Error(cString(err));
    return new SlWorker(h);
  }

  /** The worker for dd_pump_started(); null once closed. */
  get handle(): Pointer | null {
    return this.ptr;
  }

  /** A START after a STOP of OUTPUT; the flags say nothing more to a stateless worker. */
  restart(codec: number, _flags: number): void {
    if (!this.ptr) throw new Error("stateless worker already closed");
    check("restart", shim().dd_sl_worker_restart(this.ptr, codec));
  }

  /** Returns at once; the worker frees itself after its current step. */
  close(): void {
    if (this.ptr) shim().dd_sl_worker_close(this.ptr);
    this.ptr = null;
  }
}
