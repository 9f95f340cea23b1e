// SPDX-License-Identifier: BSD-2-Clause
// The human-readable probe report: aligned key/value lines, and with blocks
// one ASCII QP map per frame.
import { Codec } from "../protocol/messages";
import type { BlockFrame, Blocks, ProbeResult } from "./schema";

/** Widest QP map, in characters. */
export const GRID_MAX_COLUMNS = 80;
/** One character stands for this many pixels square, doubled until the map fits. */
const GRID_BASE_CELL = 16;
const SCALE = "0123456789abcdefghijklmnopqrstuvwxyz";
const NO_BLOCK = ".";

type Line = [key: string, value: string];

function size(s: { width: number; height: number } | null, unknown = "unknown"): string {
  return s ? `${s.width}x${s.height}` : unknown;
}

function num(x: number, digits: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(digits);
}

function align(lines: Line[]): string[] {
  const width = Math.max(...lines.map(([k]) => k.length)) + 2;
  return lines.map(([k, val]) => (k ? k.padEnd(width) + val : val).trimEnd());
}

function daedalusName(id: number): string {
  const entry = Object.entries(Codec).find(([, n]) => n === id);
  return entry ? `${entry[0]} (DAEDALUS_CODEC bit ${id})` : "none: daedalus does not decode this codec";
}

export function streamLines(p: ProbeResult): Line[] {
  const lines: Line[] = [
    ["file", p.file],
    ["container", p.container.long_name ? `${p.container.format} (${p.container.long_name})` : p.container.format],
    ["stream", `#${p.stream_index}`],
    ["codec", p.codec.long_name ? `${p.codec.name} (${p.codec.long_name})` : p.codec.name],
    ["daedalus codec", daedalusName(p.codec.daedalus_id)],
    ["decoder", p.codec.decoder ?? "none in this libavcodec"],
    [
      "profile",
      p.profile.number === null
        ? "unknown"
        : p.profile.name
          ? `${p.profile.name} (${p.profile.number})`
          : String(p.profile.number),
    ],
    ["level", p.level === null ? "unknown" : String(p.level)],
    ["declared size", size(p.declared_size)],
    ["coded size", size(p.coded_size, "unknown (no frame decoded)")],
    ["visible size", size(p.visible_size, "unknown (no frame decoded)")],
    [
      "pixel format",
      p.pix_fmt.name === null
        ? "unknown"
        : p.pix_fmt.bit_depth === null
          ? p.pix_fmt.name
          : `${p.pix_fmt.name} (${p.pix_fmt.bit_depth}-bit)`,
    ],
    [
      "frame rate",
      p.frame_rate ? `${p.frame_rate.num}/${p.frame_rate.den} (${num(p.frame_rate.num / p.frame_rate.den, 3)} fps)` : "unknown",
    ],
    [
      "frames",
      p.container_frame_count === null || p.container_frame_count === p.frame_count
        ? String(p.frame_count)
        : `${p.frame_count} (the container says ${p.container_frame_count})`,
    ],
    ["duration", p.duration === null ? "unknown" : `${num(p.duration, 3)} s`],
  ];
  if (p.decode_error) lines.push(["decode error", p.decode_error]);
  if (p.read_error) lines.push(["read error", p.read_error]);
  return lines;
}

/** Maps a QP to one character over the range [lo, hi]. */
export interface QpScale {
  lo: number;
  hi: number;
  /** QP values per character. */
  step: number;
}

export function qpScale(lo: number, hi: number): QpScale {
  return { lo, hi, step: Math.max(1, Math.ceil((hi - lo + 1) / SCALE.length)) };
}

export function qpChar(scale: QpScale, qp: number): string {
  const i = Math.floor((qp - scale.lo) / scale.step);
  return SCALE[Math.min(SCALE.length - 1, Math.max(0, i))] ?? NO_BLOCK;
}

/**
 * The frame's QP map: one character per cell of cell x cell pixels of the
 * visible frame, showing the block under the cell's centre (the last
 * row/column, which may stick out of the frame, samples the frame's edge).
 */
export function qpGrid(frame: BlockFrame, scale: QpScale): { cell: number; rows: string[] } {
  let cell = GRID_BASE_CELL;
  while (Math.ceil(frame.width / cell) > GRID_MAX_COLUMNS) cell *= 2;
  const cols = Math.ceil(frame.width / cell);
  const rows = Math.ceil(frame.height / cell);
  const grid: string[] = new Array<string>(cols * rows).fill(NO_BLOCK);
  const half = cell / 2;
  // First of n cells whose sample point, min(centre, limit - 1), is >= p;
  // the sample points grow with the cell index, so blocks paint ranges.
  const firstAt = (p: number, n: number, limit: number): number =>
    p > limit - 1 ? n : Math.min(n, Math.max(0, Math.ceil((p - half) / cell)));

  for (const b of frame.blocks) {
    const ch = qpChar(scale, b.qp);
    const x0 = firstAt(b.src_x, cols, frame.width);
    const x1 = firstAt(b.src_x + b.w, cols, frame.width);
    const y1 = firstAt(b.src_y + b.h, rows, frame.height);
    for (let y = firstAt(b.src_y, rows, frame.height); y < y1; y++) {
      for (let x = x0; x < x1; x++) grid[y * cols + x] = ch;
    }
  }
  const out: string[] = [];
  for (let y = 0; y < rows; y++) out.push(grid.slice(y * cols, (y + 1) * cols).join(""));
  return { cell, rows: out };
}

function summaryText(s: { min: number; max: number; mean: number }): string {
  return s.min === s.max ? `qp ${s.min}` : `qp ${s.min}..${s.max}, mean ${num(s.mean, 2)}`;
}

export function blocksLines(blocks: Blocks): string[] {
  if (blocks.frames.length === 0) {
    return align([["qp map", `unavailable: ${blocks.error ?? "no frame was decoded"}`]]);
  }
  const out: string[] = [];
  const scale = blocks.summary ? qpScale(blocks.summary.min, blocks.summary.max) : qpScale(0, 0);

  for (const f of blocks.frames) {
    const head = `${f.pict_type}${f.key ? " key" : ""}, base qp ${f.qp}, ${f.nb_blocks} blocks`;
    out.push(...align([[`frame ${f.index}`, f.summary ? `${head}, ${summaryText(f.summary)}` : head]]));
    if (f.nb_blocks === 0) {
      out.push(`  no per-block data: the whole frame is coded at base qp ${f.qp}`);
      continue;
    }
    const { cell, rows } = qpGrid(f, scale);
    out.push(`  one character per ${cell}x${cell} pixels, ${rows[0]?.length ?? 0}x${rows.length}:`);
    for (const row of rows) out.push(`  ${row}`);
  }
  const lines: Line[] = [];
  if (blocks.summary) {
    const last = qpChar(scale, scale.hi);
    lines.push([
      "qp scale",
      `'0' = qp ${scale.lo} .. '${last}' = qp ${scale.hi}, ${scale.step} qp per character; '${NO_BLOCK}' = no block`,
    ]);
    const s = blocks.summary;
    lines.push(["qp summary", `${s.frames} frames, ${s.blocks} blocks, ${summaryText(s)} (mean weighted by area)`]);
  }
  if (blocks.error) lines.push(["qp map error", blocks.error]);
  if (lines.length) out.push(...align(lines));
  return out;
}

export function formatReport(p: ProbeResult): string {
  const out = align(streamLines(p));
  if (p.blocks) out.push("", ...blocksLines(p.blocks));
  return `${out.join("\n")}\n`;
}
