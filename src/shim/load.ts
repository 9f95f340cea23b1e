// SPDX-License-Identifier: BSD-2-Clause
// Loading the C shim's functions with bun:ffi: each module declares the
// symbols it calls and gets them on first use, so commands that need no
// shim (status) never load it.
import { dlopen, type Library, type Pointer, type Symbols } from "bun:ffi";
import { shimPath } from "./path";

/** A getter of @symbols from the shim, which dlopens it the first time it is called. */
export function lazyShim<const S extends Symbols>(symbols: S): () => Library<S>["symbols"] {
  let lib: Library<S>["symbols"] | undefined;
  return () => {
    lib ??= dlopen(shimPath(), symbols).symbols;
    return lib;
  };
}

/** A pointer a shim function returned, or null; Bun types it as possibly a bigint, which a real one never is. */
export function pointerOrNull(p: Pointer | bigint | null): Pointer | null {
  return p && typeof p !== "bigint" ? p : null;
}

/** A path as a NUL-terminated C string; a NUL inside would silently cut it short. */
export function cPath(path: string): Buffer {
  if (path.includes("\0")) throw new Error("a path cannot contain NUL");
  return Buffer.from(`${path}\0`);
}

const utf8 = new TextDecoder();

/** The NUL-terminated string C wrote into @buf. */
export function cString(buf: Uint8Array): string {
  const end = buf.indexOf(0);
  return utf8.decode(end < 0 ? buf : buf.subarray(0, end));
}
