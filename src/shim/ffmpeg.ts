// SPDX-License-Identifier: BSD-2-Clause
// The FFmpeg side of the C shim: loading FFmpeg, what was loaded, and
// dd_probe. Every call here blocks the event loop while it runs; fine for
// the load (once) and for the one-shot probe command, not for per-frame work.
import { FFIType } from "bun:ffi";
import { constants } from "node:os";
import * as v from "valibot";
import { Codec, type CodecName } from "../protocol/messages";
import { cPath, cString, lazyShim } from "./load";

const utf8 = new TextDecoder();

const symbols = {
  dd_ffmpeg_load: { args: [FFIType.ptr, FFIType.i32], returns: FFIType.i32 },
  dd_ffmpeg_versions: { args: [FFIType.ptr, FFIType.i32], returns: FFIType.i32 },
  dd_ffmpeg_decoder_mask: { args: [], returns: FFIType.i32 },
  dd_ffmpeg_set_log_level: { args: [FFIType.i32], returns: FFIType.i32 },
  dd_probe: {
    args: [FFIType.ptr, FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.i32, FFIType.ptr],
    returns: FFIType.i32,
  },
} as const;

const lib = lazyShim(symbols);

const ERRNO_NAMES = new Map<number, string>(
  Object.entries(constants.errno).map(([name, n]) => [n, name]),
);
const ENOSPC = constants.errno.ENOSPC;

/** A failed shim call: message from C, errno name in code. */
export class ShimError extends Error {
  readonly errno: number;
  readonly code: string;
  constructor(message: string, ret: number) {
    super(message);
    this.name = "ShimError";
    this.errno = -ret;
    this.code = ERRNO_NAMES.get(-ret) ?? `E${-ret}`;
  }
}

let loaded = false;

/** Loads FFmpeg once; throws ShimError with the loader's exact complaint. */
export function loadFfmpeg(): void {
  if (loaded) return;
  const err = new Uint8Array(2048);
  const r = lib().dd_ffmpeg_load(err, err.length);
  if (r !== 0) throw new ShimError(`cannot load FFmpeg: ${cString(err)}`, r);
  loaded = true;
}

const LibraryVersionSchema = v.strictObject({
  soname: v.string(),
  path: v.string(),
  version: v.pipe(v.string(), v.regex(/^\d+\.\d+\.\d+$/)),
  header_version: v.pipe(v.string(), v.regex(/^\d+\.\d+\.\d+$/)),
});

export const FfmpegVersionsSchema = v.strictObject({
  ffmpeg: v.string(),
  libavutil: LibraryVersionSchema,
  libavcodec: LibraryVersionSchema,
  libavformat: LibraryVersionSchema,
  libswscale: LibraryVersionSchema,
});
export type FfmpegVersions = v.InferOutput<typeof FfmpegVersionsSchema>;

/** Parses JSON written by C and checks it against schema (C is a boundary). */
export function parseShimJson<S extends v.GenericSchema>(
  schema: S,
  text: string,
  what: string,
): v.InferOutput<S> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new Error(`the shim wrote invalid JSON for ${what}: ${(e as Error).message}`);
  }
  const result = v.safeParse(schema, value);
  if (!result.success) {
    throw new Error(`the shim's ${what} JSON does not match its schema:\n${v.summarize(result.issues)}`);
  }
  return result.output;
}

export function ffmpegVersions(): FfmpegVersions {
  loadFfmpeg();
  for (let size = 4096; ; size *= 2) {
    const out = new Uint8Array(size);
    const r = lib().dd_ffmpeg_versions(out, size);
    if (r >= 0) return parseShimJson(FfmpegVersionsSchema, utf8.decode(out.subarray(0, r)), "versions");
    if (r !== -ENOSPC || size >= 1 << 20) throw new ShimError("dd_ffmpeg_versions failed", r);
  }
}

/** Bit set of DAEDALUS_CODEC_* that the loaded libavcodec can decode. */
export function decoderMask(): number {
  loadFfmpeg();
  const r = lib().dd_ffmpeg_decoder_mask();
  if (r < 0) throw new ShimError("dd_ffmpeg_decoder_mask failed", r);
  return r;
}

/** The codecs of a decoder mask, by their protocol names. */
export function decoderCodecs(mask = decoderMask()): CodecName[] {
  return (Object.keys(Codec) as CodecName[]).filter((c) => (mask & (1 << Codec[c])) !== 0);
}

/** AV_LOG_* levels of libavutil/log.h. */
export const AV_LOG = { quiet: -8, panic: 0, fatal: 8, error: 16, warning: 24, info: 32, verbose: 40, debug: 48 } as const;

export function setFfmpegLogLevel(level: number): void {
  loadFfmpeg();
  const r = lib().dd_ffmpeg_set_log_level(level);
  if (r < 0) throw new ShimError("dd_ffmpeg_set_log_level failed", r);
}

export const DD_PROBE_BLOCKS = 1;
export const DD_PROBE_MAX_FRAMES = 10000;

/**
 * dd_probe's JSON text for path, unvalidated (see src/probe for the schema).
 * Throws ShimError (code ENOENT, EBADMSG, ENODATA, ...) when the file cannot
 * be probed at all.
 */
export function probeJson(
  path: string,
  opts: { blocks?: boolean; frames?: number; initialSize?: number } = {},
): string {
  loadFfmpeg();
  const flags = opts.blocks ? DD_PROBE_BLOCKS : 0;
  const frames = opts.frames ?? 1;
  const cpath = cPath(path);
  // A guess; a wrong one costs a second probe run with the exact size.
  let size = opts.initialSize ?? (opts.blocks ? 256 * 1024 * Math.min(frames, 64) : 64 * 1024);
  for (let attempt = 0; attempt < 3; attempt++) {
    const out = new Uint8Array(size);
    const needed = new Int32Array(1);
    const r = lib().dd_probe(cpath, flags, frames, out, size, needed);
    if (r >= 0) return utf8.decode(out.subarray(0, r));
    if (r !== -ENOSPC) throw new ShimError(cString(out), r);
    size = Math.max(needed[0] ?? 0, size * 2);
  }
  throw new Error(`the probe result for ${path} kept growing`);
}
