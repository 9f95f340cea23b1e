// SPDX-License-Identifier: BSD-2-Clause
// The clips the device suite decodes through the node. The VM shares the
// host's root read-only, so scripts/test makes them on the host first
// (`bun test/helpers/decode-clips.ts`); the suite then finds them cached.
import { type Clip, type ClipCodec, makeClip } from "../../scripts/lib/clips";
import { concatClip } from "../../scripts/lib/concat-clips";
import { GENERATED_VECTORS, generateVectors } from "../../scripts/lib/gen-vectors";
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

/** The same 10-bit streams as v4l2-ctl reads them: an HEVC elementary stream, VP9 in IVF. */
export function tenBitStreamClips(): Clip[] {
  return [
    makeClip({ codec: "hevc", width: 854, height: 480, frames: 10, bitDepth: 10, container: "raw" }),
    makeClip({ codec: "vp9", width: 854, height: 480, frames: 10, bitDepth: 10, container: "ivf" }),
  ];
}

/**
 * 4096x2160 (DCI 4K), 8-bit H.264 and 10-bit HEVC elementary streams: where
 * the frame size itself is under test. Few frames: the guest decodes under
 * TCG.
 */
export function largeClips(): Clip[] {
  return [
    makeClip({ codec: "h264", width: 4096, height: 2160, frames: 3, container: "raw" }),
    makeClip({ codec: "hevc", width: 4096, height: 2160, frames: 3, bitDepth: 10, container: "raw" }),
  ];
}

/** Codecs whose OUTPUT format takes any split of the stream (V4L2_FMT_FLAG_CONTINUOUS_BYTESTREAM). */
export const BYTESTREAM_CODECS: readonly ClipCodec[] = ["h264", "hevc", "mpeg2"];

/**
 * Elementary streams larger than two 1 MiB bitstream buffers, for plain
 * --stream-from (v4l2-ctl, v4l2-compliance): whole buffers of the stream,
 * split wherever 1 MiB falls. Noise makes them big at a small frame size,
 * so decoding them stays cheap under TCG.
 */
export function rawChunkClips(): Clip[] {
  return BYTESTREAM_CODECS.map((codec) =>
    makeClip({ codec, width: 640, height: 360, frames: 30, noise: 60, container: "raw" }),
  );
}

/**
 * What v4l2-ctl reads for @clip: a byte-stream codec's elementary stream as
 * it is (plain --stream-from fills whole buffers, split anywhere), any
 * other codec's IVF frames one per buffer (--stream-from-hdr; the header
 * file is made next to the clip, on the host).
 */
export function streamInput(clip: Clip): { clip: Clip; hdr: string | null } {
  if (BYTESTREAM_CODECS.includes(clip.codec)) {
    if (clip.container !== "raw") throw new Error(`${clip.path}: plain --stream-from wants an elementary stream`);
    return { clip, hdr: null };
  }
  return { clip, hdr: streamHdr(clip) };
}

/** What the v4l2-ctl tests decode at 854x480, one clip per codec: AV1 among them. */
export function v4l2ctlClips(): Clip[] {
  return [...hdrClips().map((h) => h.clip), av1Clip()];
}

/** Access-unit clips for --stream-from-hdr, one per codec, with their header files. */
export function hdrClips(): { clip: Clip; hdr: string }[] {
  return FFMPEG_CODECS.map((codec) => {
    const container = codec === "vp8" || codec === "vp9" ? "ivf" : "raw";
    const clip = makeClip({ codec, width: 854, height: 480, frames: 16, container });
    return { clip, hdr: streamHdr(clip) };
  });
}

/**
 * The subject of the seek and state-machine tests: an H.264 elementary
 * stream with B-frames and an IDR every 10 frames (closed GOPs), small so
 * that several whole decodes stay quick under TCG; 180 lines is not a
 * multiple of 16, so frames are cropped too.
 */
export function seekClip(): Clip {
  return makeClip({ codec: "h264", width: 320, height: 180, frames: 40, gop: 10, container: "raw" });
}

/**
 * GStreamer's dmabuf import: a size the node does not pad (both sides whole
 * macroblocks), since GStreamer imports only buffers laid out as its own
 * pool lays them out.
 */
export function importClip(): Clip {
  return makeClip({ codec: "h264", width: 320, height: 240, frames: 30, container: "raw" });
}

/**
 * The robustness tests' streams: a long 1080p clip that keeps a client busy
 * for seconds, a byte stream v4l2-ctl can loop, and a short one to check
 * that decoding still works afterwards.
 */
export function robustnessClips(): { long: Clip; raw: Clip; check: Clip } {
  return {
    long: makeClip({ codec: "h264", width: 1920, height: 1080, frames: 120, fps: 30 }),
    raw: makeClip({ codec: "h264", width: 640, height: 360, frames: 30, container: "raw", noise: 60 }),
    check: makeClip({ codec: "h264", width: 854, height: 480, frames: 16 }),
  };
}

/** The sizes for a stream that changes resolution twice: up, then down to one not a multiple of 16. */
export const CHANGE_SIZES = [
  [640, 360],
  [1280, 720],
  [426, 240],
] as const;

/** A stream made of parts end to end, and the parts. */
export interface ChangeClip {
  clip: Clip;
  parts: Clip[];
}

function changeClip(parts: Clip[]): ChangeClip {
  return { clip: concatClip(parts), parts };
}

/**
 * Streams that change resolution mid-way (640x360, 1280x720, 426x240, each
 * part starting at a keyframe with its own headers), per codec whose
 * format flags V4L2_FMT_FLAG_DYN_RESOLUTION and FFmpeg 5.1 wraps:
 * elementary streams for the start-code codecs, IVF for VP9. Few frames at
 * 720p: TCG is slow. The last part is longer than FFmpeg's 16 OUTPUT
 * buffers: FFmpeg 5.1 drops everything after a change signalled while it
 * drains (its reinit clears the drain but starts no CAPTURE), and with a
 * short last part it reaches the end of its input, and drains, first.
 */
export function resolutionChangeClips(): ChangeClip[] {
  return (["h264", "hevc", "vp9"] as const).map((codec) =>
    changeClip(
      CHANGE_SIZES.map(([width, height]) =>
        makeClip({ codec, width, height, frames: width >= 1280 ? 5 : width < 640 ? 30 : 8, container: codec === "vp9" ? "ivf" : "raw" }),
      ),
    ),
  );
}

/**
 * Streams that go from 8 to 10 bits at one size, in the codecs that allow
 * it: HEVC Main to Main 10, VP9 profile 0 to profile 2.
 */
export function depthChangeClips(): ChangeClip[] {
  return (["hevc", "vp9"] as const).map((codec) =>
    changeClip(
      ([8, 10] as const).map((bitDepth) =>
        makeClip({ codec, width: 640, height: 360, frames: 8, bitDepth, container: codec === "vp9" ? "ivf" : "raw" }),
      ),
    ),
  );
}

/**
 * Eight streams decoded at once: every FFmpeg-wrapped codec, three sizes
 * (one not a multiple of 16). Long enough (48 frames) that each client is
 * still decoding when the last one opens the node.
 */
export function manyContextClips(): Clip[] {
  const specs = [
    ["h264", 854, 480], ["hevc", 426, 240], ["vp8", 854, 480], ["vp9", 426, 240],
    ["mpeg2", 854, 480], ["h264", 1280, 720], ["hevc", 854, 480], ["vp9", 854, 480],
  ] as const;
  return specs.map(([codec, width, height]) => makeClip({ codec, width, height, frames: 48 }));
}

/**
 * What the stateless node decodes through GStreamer's v4l2codecs elements:
 * H.264 (High: CABAC, 8x8 transform, B-frames) at every size, one clip
 * with four slices a picture and one interlaced (MBAFF); HEVC (x265:
 * explicit reference picture sets), VP8, VP9 (libvpx's hidden alt-ref
 * frames) and MPEG-2 (B-frames) at a size that is a multiple of 16 and one
 * that is not.
 */
export function statelessClips(): Clip[] {
  return [
    ...SIZES.map(([width, height]) => makeClip({ codec: "h264", width, height, frames: framesFor(width) })),
    makeClip({ codec: "h264", width: 854, height: 480, frames: 16, slices: 4 }),
    makeClip({ codec: "h264", width: 854, height: 480, frames: 16, interlaced: true }),
    ...(["hevc", "vp8", "vp9", "mpeg2"] as const).flatMap((codec) =>
      [[854, 480], [426, 240]].map(([width = 0, height = 0]) => makeClip({ codec, width, height, frames: 16 })),
    ),
  ];
}

if (import.meta.main) {
  const streamed = [
    ...v4l2ctlClips(), ...tenBitStreamClips(), ...rawChunkClips(),
    ...[...resolutionChangeClips(), ...depthChangeClips()].map((c) => c.clip),
  ];
  for (const clip of streamed) streamInput(clip);
  // v4l2-compliance streams the changing streams an access unit per buffer.
  for (const { clip } of [...resolutionChangeClips(), ...depthChangeClips()]) streamHdr(clip);
  const all = [...decodeClips(), av1Clip(), ...tenBitClips(), ...streamed, ...largeClips(), seekClip(), importClip(),
    ...Object.values(robustnessClips()), ...manyContextClips(), ...statelessClips()];
  const count = new Set(all.map((c) => c.path)).size;
  console.log(`decode clips: ${count} ready in ${all[0]?.path.replace(/\/[^/]*$/, "")}`);
  // The conformance suites made here (fluster.test.ts, conformance-decode.test.ts).
  console.log(`generated conformance suites: ${generateVectors().join(", ")} in ${GENERATED_VECTORS}`);
}
