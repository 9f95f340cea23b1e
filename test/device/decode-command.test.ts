// SPDX-License-Identifier: BSD-2-Clause
// `daedalusd decode`: a V4L2 client of the node. Its per-frame MD5s must
// equal FFmpeg's framemd5 of plain libavcodec in the pixel format the node
// delivered, and its failures must say what went wrong.
import { beforeAll, describe, expect, test } from "bun:test";
import type { Clip } from "../../scripts/lib/clips";
import { av1Clip, decodeClips, tenBitClips } from "../helpers/decode-clips";
import {
  connected,
  daedalusd,
  daedalusdDecode,
  daedalusdDecodeJson,
  ffmpegFrameMd5s,
  inVm,
  minimal,
  reduced,
  run,
  startDaemon,
  stopDaemon,
} from "./helpers";

/** libavcodec's frames of @clip, packed in @pixFmt, as MD5s. */
function reference(clip: Clip, pixFmt: string): string[] {
  return ffmpegFrameMd5s(["-i", clip.path, "-pix_fmt", pixFmt]);
}

/**
 * One clip per codec at a size that is not a multiple of 16, AV1, and
 * 10-bit; reduced, one of each kind; minimal, no AV1 (v4l2-ctl's test
 * takes it through the node).
 */
function clips(): Clip[] {
  const odd = decodeClips().filter((c) => c.width === 854 && (!reduced || c.codec === "h264"));
  const ten = tenBitClips().filter((c) => !reduced || c.codec === "hevc");
  return [...odd, ...(minimal ? [] : [av1Clip()]), ...ten];
}

describe.skipIf(!inVm)("daedalusd decode", () => {
  beforeAll(async () => {
    if (!connected()) await startDaemon();
  }, 60_000);

  for (const clip of inVm ? clips() : []) {
    test(`${clip.codec} ${clip.width}x${clip.height} ${clip.bitDepth}-bit: every frame's MD5 is libavcodec's`, () => {
      const r = daedalusdDecodeJson(clip.path);
      const expectedFormat = (clip.bitDepth) > 8 ? "P010" : "NV12";
      expect(r.formats.map((f) => f.pixelformat)).toEqual([expectedFormat]);
      expect(r.formats[0]?.visible).toEqual({ width: clip.width, height: clip.height });
      expect(r.count).toBe(clip.frames);
      expect(r.damaged).toBe(0);
      expect(r.frames.map((f) => f.md5)).toEqual(reference(clip, r.ffmpeg_pix_fmt));
      expect(r.frames[0]?.keyframe).toBe(true);
    }, 300_000);
  }

  test("--format yuv420 gives YU12 frames equal to libavcodec's yuv420p, and --frames stops early", () => {
    const clip = decodeClips().find((c) => c.codec === "h264" && c.width === 854);
    if (!clip) throw new Error("no h264 854x480 clip");
    const r = daedalusdDecodeJson(clip.path, ["--format", "yuv420", "--frames", "5"]);
    expect(r.formats.map((f) => f.pixelformat)).toEqual(["YU12"]);
    expect(r.ffmpeg_pix_fmt).toBe("yuv420p");
    expect(r.count).toBe(5);
    expect(r.frames.map((f) => f.md5)).toEqual(reference(clip, "yuv420p").slice(0, 5));
  }, 300_000);

  test("a file that is not video fails with a clear message", () => {
    const r = run(daedalusd("decode", "/etc/passwd"));
    expect(r.code).toBe(1);
    expect(r.err).toContain("not a media file");
  });

  test("with no daemon, it says the node offers nothing, and the node works again after", async () => {
    const clip = av1Clip();
    await stopDaemon();
    try {
      const r = daedalusdDecode(clip.path);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/does not decode AV01 \(it offers: nothing\): is daedalusd running/);
    } finally {
      await startDaemon();
    }
    expect(daedalusdDecodeJson(clip.path).count).toBe(clip.frames);
  }, 120_000);
});
