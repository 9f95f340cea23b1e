// SPDX-License-Identifier: BSD-2-Clause
// v4l2-ctl's and v4l2-compliance's --stream-from-hdr files: one record per
// access unit, "rdhV" (0x72646856 big-endian), a big-endian u32 length,
// then the bytes. Made from an IVF file (VP8, VP9, AV1: one record per IVF
// frame) or from an elementary stream split where ffprobe says its
// packets are (H.264, HEVC, MPEG-2).
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import type { Clip } from "../../scripts/lib/clips";

const MAGIC = 0x72646856;

function record(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + payload.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, MAGIC, false);
  view.setUint32(4, payload.length, false);
  out.set(payload, 8);
  return out;
}

/** The access units of an IVF file: 32-byte header, then (LE32 size, LE64 pts, data) per frame. */
function ivfUnits(bytes: Uint8Array): Uint8Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (String.fromCharCode(...bytes.subarray(0, 4)) !== "DKIF") throw new Error("not an IVF file");
  const units: Uint8Array[] = [];
  for (let at = view.getUint16(6, true); at + 12 <= bytes.length; ) {
    const size = view.getUint32(at, true);
    units.push(bytes.subarray(at + 12, at + 12 + size));
    at += 12 + size;
  }
  return units;
}

/** The packets of an elementary stream, where ffprobe's parser puts them. */
function esUnits(path: string, bytes: Uint8Array): Uint8Array[] {
  const p = Bun.spawnSync(["ffprobe", "-v", "error", "-show_entries", "packet=pos,size", "-of", "csv=p=0", path]);
  if (!p.success) throw new Error(`ffprobe failed on ${path}: ${p.stderr}`);
  const units = p.stdout
    .toString()
    .trim()
    .split("\n")
    .map((l) => {
      const [size, pos] = l.split(",").map(Number);
      if (size === undefined || pos === undefined || Number.isNaN(size + pos)) throw new Error(`bad ffprobe line ${l}`);
      return bytes.subarray(pos, pos + size);
    });
  const total = units.reduce((n, u) => n + u.length, 0);
  if (total !== bytes.length) throw new Error(`${path}: packets cover ${total} of ${bytes.length} bytes`);
  return units;
}

/** The header file for @clip (an IVF or raw elementary stream clip), made next to it once. */
export function streamHdr(clip: Clip): string {
  const path = `${clip.path}.hdr`;
  if (existsSync(path)) return path;
  const bytes = new Uint8Array(readFileSync(clip.path));
  const units = clip.container === "ivf" ? ivfUnits(bytes) : esUnits(clip.path, bytes);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, Buffer.concat(units.map(record)));
  renameSync(tmp, path);
  return path;
}

/** The payloads of a header file, as v4l2-ctl --stream-to-hdr writes them (one plane per record). */
export function readStreamHdr(bytes: Uint8Array): Uint8Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; ) {
    if (at + 8 > bytes.length || view.getUint32(at, false) !== MAGIC) {
      throw new Error(`not a header record at byte ${at} of ${bytes.length}`);
    }
    const size = view.getUint32(at + 4, false);
    if (at + 8 + size > bytes.length) throw new Error(`record at byte ${at} runs past the end`);
    records.push(bytes.subarray(at + 8, at + 8 + size));
    at += 8 + size;
  }
  return records;
}
