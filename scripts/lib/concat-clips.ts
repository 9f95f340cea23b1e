// SPDX-License-Identifier: BSD-2-Clause
// Streams whose size or bit depth changes mid-way: clips of one codec put
// end to end. Elementary streams (H.264, HEVC) concatenate as they are,
// each part starting with its own parameter sets and a keyframe; IVF files
// (VP8, VP9, AV1) keep the first header and renumber the frames.
import { createHash } from "node:crypto";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { type Clip, clipsDir } from "./clips";

const IVF_FRAME_HEADER = 12;

/** The frames of an IVF file, as (size, pts, data) records without the file header. */
function ivfFrames(bytes: Uint8Array): Uint8Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (String.fromCharCode(...bytes.subarray(0, 4)) !== "DKIF") throw new Error("not an IVF file");
  const frames: Uint8Array[] = [];
  for (let at = view.getUint16(6, true); at + IVF_FRAME_HEADER <= bytes.length; ) {
    const end = at + IVF_FRAME_HEADER + view.getUint32(at, true);
    if (end > bytes.length) throw new Error("IVF frame runs past the end of the file");
    frames.push(bytes.slice(at, end));
    at = end;
  }
  return frames;
}

export function concatIvf(parts: Uint8Array[]): Uint8Array {
  const first = parts[0];
  if (!first) throw new Error("nothing to concatenate");
  const header = first.slice(0, new DataView(first.buffer, first.byteOffset).getUint16(6, true));
  const frames = parts.flatMap(ivfFrames);
  frames.forEach((f, i) => new DataView(f.buffer, f.byteOffset).setBigUint64(4, BigInt(i), true));
  new DataView(header.buffer).setUint32(24, frames.length, true);
  return Buffer.concat([header, ...frames]);
}

/**
 * @parts end to end, as one clip of their codec and container (raw or
 * ivf), cached next to them. Its width, height and bit depth are the
 * first part's; frames is the sum.
 */
export function concatClip(parts: Clip[]): Clip {
  const [first] = parts;
  if (!first || parts.length < 2) throw new Error("a concatenation needs at least two clips");
  for (const p of parts) {
    if (p.codec !== first.codec || p.container !== first.container) throw new Error("parts differ in codec or container");
  }
  if (first.container !== "raw" && first.container !== "ivf") throw new Error(`cannot concatenate ${first.container} files`);

  const hash = createHash("sha256").update(parts.map((p) => basename(p.path)).join("\n")).digest("hex").slice(0, 10);
  const sizes = parts.map((p) => `${p.width}x${p.height}${p.bitDepth === 10 ? "p10" : ""}`).join("-");
  const ext = first.path.slice(first.path.lastIndexOf("."));
  const path = join(clipsDir(), `concat-${first.codec}-${sizes}-${hash}${ext}`);
  const clip: Clip = { ...first, path, frames: parts.reduce((n, p) => n + p.frames, 0) };
  if (existsSync(path)) return clip;

  const bytes = parts.map((p) => new Uint8Array(readFileSync(p.path)));
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, first.container === "ivf" ? concatIvf(bytes) : Buffer.concat(bytes));
  renameSync(tmp, path);
  return clip;
}
