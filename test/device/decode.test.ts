// SPDX-License-Identifier: BSD-2-Clause
// Decoding through the node with unmodified clients, compared frame by
// frame with plain libavcodec decoding the same clip in the same guest.
import { beforeAll, describe, expect, test } from "bun:test";
import type { Clip } from "../../scripts/lib/clips";
import { decodeClips, FFMPEG_CODECS } from "../helpers/decode-clips";
import { connected, counter, ffmpegFrameMd5s, gstRawFrameMd5s, inVm, minimal, reduced, run, startDaemon } from "./helpers";

const CLIPS = inVm ? decodeClips() : [];
/** Reduced: one size per codec, not a multiple of 16; minimal: H.264 at that size. */
const FFMPEG_CLIPS = reduced ? CLIPS.filter((c) => c.width === 854 && (!minimal || c.codec === "h264")) : CLIPS;

/** Per-frame MD5s of @clip decoded by @decoder, or by plain libavcodec. */
function ffmpegFrames(clip: Clip, decoder?: string): string[] {
  return ffmpegFrameMd5s([...(decoder ? ["-c:v", decoder] : []), "-i", clip.path]);
}

describe.skipIf(!inVm)("decoding through the node", () => {
  beforeAll(async () => {
    if (!connected()) await startDaemon();
  }, 60_000);

  describe("ffmpeg *_v4l2m2m gives libavcodec's frames, bit for bit", () => {
    for (const clip of FFMPEG_CLIPS) {
      test(`${clip.codec} ${clip.width}x${clip.height}`, () => {
        const jobs = counter("jobs");
        const viaNode = ffmpegFrames(clip, `${clip.codec}_v4l2m2m`);
        const reference = ffmpegFrames(clip);
        expect(reference).toHaveLength(clip.frames);
        expect(viaNode).toEqual(reference);
        // The frames really went through the module, not a fallback.
        expect(counter("jobs")).toBeGreaterThan(jobs);
      }, 300_000);
    }
  });

  // The decoded YUV itself, sample for sample (gstRawFrameMd5s: no colour
  // conversion that could hide a small error), against plain libavcodec;
  // 854x480 is padded by the node (864 wide), so GStreamer has to follow
  // the node's strides too.
  describe("GStreamer's v4l2 decoders give libavcodec's frames, sample for sample", () => {
    const sized = CLIPS.filter((c) => c.width === 854);
    for (const codec of minimal ? (["h264"] as const) : FFMPEG_CODECS) {
      const clip = sized.find((c) => c.codec === codec);
      if (!clip) continue;
      test(`${codec} ${clip.width}x${clip.height}`, () => {
        const reference = ffmpegFrameMd5s(["-i", clip.path, "-pix_fmt", "nv12"]);
        expect(reference).toHaveLength(clip.frames);
        expect(gstRawFrameMd5s(clip, { which: "v4l2" })).toEqual(reference);
      }, 300_000);
    }

    test("playbin picks the node's decoder by itself", () => {
      const clip = sized.find((c) => c.codec === "h264");
      if (!clip) throw new Error("no h264 clip");
      const r = run(
        ["gst-launch-1.0", "-v", "playbin", `uri=file://${clip.path}`, "video-sink=fakesink", "audio-sink=fakesink"],
        { timeoutMs: 240_000 },
      );
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/v4l2h264dec/);
    }, 300_000);
  });
});
