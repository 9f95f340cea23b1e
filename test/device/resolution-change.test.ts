// SPDX-License-Identifier: BSD-2-Clause
// Dynamic Resolution Change (dev-decoder.rst): streams whose frame size
// changes twice (640x360, 1280x720, 426x240) or whose bit depth goes from
// 8 to 10 mid-way decode through the node frame for frame as plain
// libavcodec decodes them, with every client that can take the change:
// FFmpeg and GStreamer for sizes (FFmpeg 5.1 and GStreamer 1.22 have no
// P010), `daedalusd decode` for both, and v4l2-compliance, which streams
// each stream in a loop through every change without checking pixels.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { basename, dirname } from "node:path";
import { type ChangeClip, depthChangeClips, resolutionChangeClips } from "../helpers/decode-clips";
import { streamHdr } from "../helpers/stream-hdr";
import {
  COMPLIANCE_TIMEOUT,
  compliance130,
  connected,
  counter,
  daedalusdDecodeJson,
  ffmpegFrameMd5s,
  gstFrameMd5s,
  inVm,
  minimal,
  nodes,
  reduced,
  reportCompliance,
  restartDaemon,
  startDaemon,
  visibleCrop,
} from "./helpers";

const SIZE_CHANGES = inVm ? resolutionChangeClips() : [];
const DEPTH_CHANGES = inVm ? depthChangeClips() : [];
/** Size and depth changes; reduced, one of each (H.264 sizes, VP9 depth). */
const ALL_CHANGES = reduced
  ? [...SIZE_CHANGES.filter((c) => c.clip.codec === "h264"), ...DEPTH_CHANGES.filter((c) => c.clip.codec === "vp9")]
  : [...SIZE_CHANGES, ...DEPTH_CHANGES];
const label = ({ clip, parts }: ChangeClip) =>
  `${clip.codec} ${parts.map((p) => `${p.width}x${p.height}${p.bitDepth > 8 ? ` ${p.bitDepth}-bit` : ""}`).join(" -> ")}`;

describe.skipIf(!inVm)("dynamic resolution change", () => {
  beforeAll(async () => {
    if (!connected()) await startDaemon();
    // GStreamer lists its v4l2 decoders from what the node offers when it scans.
    Bun.spawnSync(["gst-inspect-1.0", "v4l2h264dec"], { stdout: "ignore", stderr: "ignore" });
  }, 60_000);

  describe("ffmpeg *_v4l2m2m gives libavcodec's frames, bit for bit, across each change", () => {
    for (const c of SIZE_CHANGES) {
      test(label(c), () => {
        const viaNode = ffmpegFrameMd5s(["-c:v", `${c.clip.codec}_v4l2m2m`, "-i", c.clip.path, ...visibleCrop()]);
        const reference = ffmpegFrameMd5s(["-i", c.clip.path, ...visibleCrop()]);
        expect(reference).toHaveLength(c.clip.frames);
        expect(viaNode).toEqual(reference);
      }, 300_000);
    }
  });

  describe("GStreamer's v4l2 decoders give avdec's frames across each change", () => {
    // Depth changes are not here: GStreamer 1.22's v4l2 elements have no P010 ("V4L2 format P010 not supported").
    for (const c of SIZE_CHANGES) {
      test(label(c), () => {
        const reference = gstFrameMd5s(c.clip, "av");
        expect(reference).toHaveLength(c.clip.frames);
        expect(gstFrameMd5s(c.clip, "v4l2")).toEqual(reference);
      }, 300_000);
    }
  });

  describe("daedalusd decode sets CAPTURE up again at each change; its frames are libavcodec's", () => {
    /** libavcodec's frames of each part, in the layout the node gives its depth. */
    const reference = (c: ChangeClip) =>
      c.parts.flatMap((p) => ffmpegFrameMd5s(["-i", p.path, "-pix_fmt", p.bitDepth > 8 ? "p010le" : "nv12"]));

    for (const c of ALL_CHANGES) {
      test(label(c), () => {
        const changes = counter("source_changes");
        const r = daedalusdDecodeJson(c.clip.path);
        expect(r.formats).toEqual(
          c.parts.map((p) => ({
            pixelformat: p.bitDepth > 8 ? "P010" : "NV12",
            visible: { width: p.width, height: p.height },
          })),
        );
        expect(r.count).toBe(c.clip.frames);
        expect(r.damaged).toBe(0);
        expect(r.frames.map((f) => f.md5)).toEqual(reference(c));
        expect(counter("source_changes") - changes).toBe(c.parts.length - 1);
      }, 300_000);
    }
  });

  describe("v4l2-compliance 1.30 streams through each change, looping, with no failure", () => {
    // Minimal runs stream the size change alone: each run sleeps 16 s in
    // v4l2-compliance's blocking-wait test, and the clients above take both.
    // It streams the node's default OUTPUT format: the daemon offers only the codec under test.
    afterAll(() => restartDaemon(), 60_000);

    for (const c of minimal ? ALL_CHANGES.slice(0, 1) : ALL_CHANGES) {
      test(label(c), async () => {
        await restartDaemon([c.clip.codec]);
        const changes = counter("source_changes");
        // One access unit per buffer: the stream is smaller than one buffer of arbitrary chunks.
        const hdr = streamHdr(c.clip);
        const r = compliance130(["-d", nodes().video, "-s", "--stream-from-hdr", `/mnt/${basename(hdr)}`], dirname(hdr));
        const totals = reportCompliance(`v4l2-compliance 1.30 -s ${label(c)}`, r.out);
        expect(r.out).toMatch(/test MMAP \(select, REQBUFS\): OK/);
        expect(totals.failed).toBe(0);
        // Each of its four streaming runs crossed at least one change.
        expect(counter("source_changes") - changes).toBeGreaterThanOrEqual(4);
      }, COMPLIANCE_TIMEOUT);
    }
  });
});
