// SPDX-License-Identifier: BSD-2-Clause
// The clips scripts/demo decodes, encoded on the host with Debian's encoders
// (the guest sees the host read-only) and cached in build/clips. Run, it
// prints one path per line, the H.264 clip first.
import { type Clip, makeClip } from "./clips";

export function demoClips(): Clip[] {
  return [
    makeClip({ codec: "h264", width: 1280, height: 720, frames: 60, fps: 30 }),
    makeClip({ codec: "hevc", width: 854, height: 480, frames: 30, fps: 30, bitDepth: 10 }),
    makeClip({ codec: "vp9", width: 854, height: 480, frames: 30, fps: 30 }),
    makeClip({ codec: "av1", width: 640, height: 360, frames: 30, fps: 30, container: "mkv" }),
  ];
}

if (import.meta.main) for (const c of demoClips()) console.log(c.path);
