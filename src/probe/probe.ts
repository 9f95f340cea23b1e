// SPDX-License-Identifier: BSD-2-Clause
// Probing a file: dd_probe's JSON, validated.
import { DD_PROBE_MAX_FRAMES, parseShimJson, probeJson } from "../shim/ffmpeg";
import { type ProbeResult, ProbeSchema } from "./schema";

export interface ProbeOptions {
  /** Per-block QP of the first `frames` frames (H.264 and VP9 only). */
  blocks?: boolean;
  frames?: number;
}

export function probeFile(path: string, opts: ProbeOptions = {}): ProbeResult {
  const frames = opts.frames ?? 1;
  if (!Number.isInteger(frames) || frames < 1 || frames > DD_PROBE_MAX_FRAMES) {
    throw new RangeError(`frames must be an integer from 1 to ${DD_PROBE_MAX_FRAMES}, not ${frames}`);
  }
  return parseShimJson(ProbeSchema, probeJson(path, { blocks: opts.blocks ?? false, frames }), "probe");
}
