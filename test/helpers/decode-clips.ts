// SPDX-License-Identifier: BSD-2-Clause
// The clips the device suite decodes through the node. The VM shares the
// host's root read-only, so scripts/test makes them on the host first
// (`bun test/helpers/decode-clips.ts`); the suite then finds them cached.
import { type Clip, type ClipCodec, makeClip } from "./clips";
import { streamHdr } from "./stream-hdr";

/** Sizes the issue asks for: HD, and sizes that are not multiples of 16. */
export const SIZES = [
  [1920, 1080],
  [1280, 720],
  [854, 480],
  [426, 240],
] as const;

/** Codecs FFmpeg 5.1 has a *_v4l2m2m wrapper for. */
export const FFMPEG_CODECS: readonly ClipCodec[] = ["h264", "hevc", "vp8", "vp9", "mpeg2"];

/** Few frames at large sizes: the guest decodes under TCG. Enough for B-frame reordering. */
function framesFor(width: number): number {
  return width >= 1920 ? 8 : width >= 1280 ? 10 : 16;
}

export function decodeClips(): Clip[] {
  const clips: Clip[] = [];
  for (const codec of FFMPEG_CODECS) {
    for (const [width, height] of SIZES) {
      clips.push(makeClip({ codec, width, height, frames: framesFor(width) }));
    }
  }
  return clips;
}

/** AV1, which only GStreamer-free paths (v4l2-ctl) can feed with FFmpeg 5.1. */
export function av1Clip(): Clip {
  return makeClip({ codec: "av1", width: 854, height: 480, frames: 10, container: "ivf" });
}

/** 10-bit streams, delivered as P010. */
export function tenBitClips(): Clip[] {
  return [
    makeClip({ codec: "hevc", width: 854, height: 480, frames: 10, bitDepth: 10 }),
    makeClip({ codec: "vp9", width: 854, height: 480, frames: 10, bitDepth: 10 }),
  ];
}

/** Access-unit clips for --stream-from-hdr, one per codec, with their header files. */
export function hdrClips(): { clip: Clip; hdr: string }[] {
  return FFMPEG_CODECS.map((codec) => {
    const container = codec === "vp8" || codec === "vp9" ? "ivf" : "raw";
    const clip = makeClip({ codec, width: 854, height: 480, frames: 16, container });
    return { clip, hdr: streamHdr(clip) };
  });
}

if (import.meta.main) {
  const all = [...decodeClips(), av1Clip(), ...tenBitClips(), ...hdrClips().map((h) => h.clip)];
  console.log(`decode clips: ${all.length} ready in ${all[0]?.path.replace(/\/[^/]*$/, "")}`);
}
