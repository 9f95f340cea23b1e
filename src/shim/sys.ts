// SPDX-License-Identifier: BSD-2-Clause
// System calls through the C shim (c/common/sys.c, c/daemon/bridge-pump.c). Each returns
// a negative errno on failure, turned here into a SysError that names the
// operation and the errno. Loaded on first use, so commands that need no
// shim (status) never load it.
import { FFIType, type Pointer } from "bun:ffi";
import { constants } from "node:os";
import { cPath, cString, lazyShim, pointerOrNull } from "./load";

const symbols = {
  dd_open: { args: [FFIType.cstring, FFIType.i32], returns: FFIType.i32 },
  dd_close: { args: [FFIType.i32], returns: FFIType.i32 },
  dd_read: { args: [FFIType.i32, FFIType.ptr, FFIType.i64], returns: FFIType.i64_fast },
  dd_write: { args: [FFIType.i32, FFIType.ptr, FFIType.i64], returns: FFIType.i64_fast },
  dd_poll: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  dd_pump_start: { args: [FFIType.i32, FFIType.ptr], returns: FFIType.ptr },
  dd_pump_started: { args: [FFIType.ptr, FFIType.u32, FFIType.ptr], returns: FFIType.i32 },
  dd_pump_stop: { args: [FFIType.ptr, FFIType.ptr, FFIType.i32], returns: FFIType.i32 },
  dd_pipe: { args: [FFIType.ptr], returns: FFIType.i32 },
} as const;

const sys = lazyShim(symbols);

// Aliases share a number (EAGAIN and EWOULDBLOCK): the first name listed wins.
const ERRNO_NAMES = new Map<number, string>();
for (const [name, num] of Object.entries(constants.errno)) if (!ERRNO_NAMES.has(num)) ERRNO_NAMES.set(num, name);

export class SysError extends Error {
  override readonly name = "SysError";
  /** Positive errno value. */
  readonly errno: number;
  /** Its symbolic name, e.g. "EBUSY". */
  readonly code: string;

  constructor(op: string, negErrno: number) {
    const errno = -negErrno;
    const code = ERRNO_NAMES.get(errno) ?? `errno ${errno}`;
    super(`${op}: ${code}`);
    this.errno = errno;
    this.code = code;
  }
}

/** Throws a SysError for a negative errno return; passes anything else through. */
export function check(op: string, r: number): number {
  if (r < 0) throw new SysError(op, r);
  return r;
}

export const OPEN_NONBLOCK = 1;
export const POLLIN = 0x001;
export const POLLOUT = 0x004;

export function open(path: string, flags = 0): number {
  return check(`open ${path}`, sys().dd_open(cPath(path), flags));
}

export function close(fd: number): void {
  check("close", sys().dd_close(fd));
}

/** One read(); returns the bytes read. */
export function read(fd: number, buf: Uint8Array): number {
  return check("read", Number(sys().dd_read(fd, buf, buf.byteLength)));
}

/** Writes without throwing: the count, or a negative errno. */
export function tryWrite(fd: number, buf: Uint8Array): number {
  return Number(sys().dd_write(fd, buf, buf.byteLength));
}

/** Returns revents, 0 on timeout. */
export function poll(fd: number, events: number, timeoutMs: number): number {
  return check("poll", sys().dd_poll(fd, events, timeoutMs));
}

/** A running bridge pump and the pipe its messages come out of. */
export interface Pump {
  readonly handle: Pointer;
  readonly readFd: number;
}

export function pumpStart(devFd: number): Pump {
  // A fresh ArrayBuffer per call: a cached ptr() can read back stale (Bun #32054).
  const out = new Int32Array(new ArrayBuffer(4));
  const handle = pointerOrNull(sys().dd_pump_start(devFd, out));
  const readFd = out[0] ?? -1;
  if (!handle) throw new SysError("start the bridge pump", readFd);
  return { handle, readFd };
}

/**
 * Tells the pump which worker (null: none) takes a context's messages
 * after its START: 0, -ENOENT if the context was closed meanwhile, or the
 * worker's refusal of a message that waited for it.
 */
export function pumpStarted(pump: Pump, ctxId: number, worker: Pointer | null): number {
  return sys().dd_pump_started(pump.handle, ctxId, worker);
}

/**
 * Stops the pump's thread. Returns why it had ended (0 if it was running)
 * and, for a malformed message (EPROTO), what was wrong with it.
 */
export function pumpStop(pump: Pump): { error: number; why: string } {
  const why = new Uint8Array(new ArrayBuffer(256));
  const error = sys().dd_pump_stop(pump.handle, why, why.length);
  return { error, why: cString(why) };
}

/** A close-on-exec pipe. */
export function pipe(): { readFd: number; writeFd: number } {
  const fds = new Int32Array(new ArrayBuffer(8));
  check("pipe", sys().dd_pipe(fds));
  return { readFd: fds[0] ?? -1, writeFd: fds[1] ?? -1 };
}
