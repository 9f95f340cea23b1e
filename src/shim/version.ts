// SPDX-License-Identifier: BSD-2-Clause
// The version the C shim was built as (c/common/version.c): the project's one.
import { FFIType } from "bun:ffi";
import { lazyShim } from "./load";

const shim = lazyShim({ dd_version: { args: [], returns: FFIType.cstring } });

export function shimVersion(): string {
  return String(shim().dd_version());
}
