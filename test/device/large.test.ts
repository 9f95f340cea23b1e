// SPDX-License-Identifier: BSD-2-Clause
// 4096x2160 through the node, bit-exact against plain libavcodec in the
// same guest: 8-bit H.264 through ffmpeg's h264_v4l2m2m, 10-bit HEVC in
// P010 through `daedalusd decode` (FFmpeg 5.1's V4L2 wrapper has no P010,
// GStreamer 1.22's neither). A 4K frame is 13 MiB in NV12 and 26 MiB in
// P010: more than the page allocator's largest block, so this is also the
// test of the CAPTURE allocator the module picks where there is no CMA.
//
// Not v4l2-ctl: once its input has run out it gives up after 0.5 s without
// an event, and a 4K Main 10 frame takes about 0.9 s to decode under TCG
// (strace: CAPTURE streams, 0.5 s of select, exit 0 with no frame).
import { beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { basename, join } from "node:path";
import type { Clip } from "../../scripts/lib/clips";
import { largeClips } from "../helpers/decode-clips";
import { connected, counter, daedalusd, ffmpegFrameMd5s, inVm, minimal, packedFrameMd5s, run, startDaemon } from "./helpers";

const TIMEOUT = 300_000;
const OUT = "/tmp/large-test";

function clip(codec: string): Clip {
  const c = largeClips().find((l) => l.codec === codec);
  if (!c) throw new Error(`no 4096x2160 ${codec} clip`);
  return c;
}

describe.skipIf(!inVm)("4096x2160 decodes bit-exact", () => {
  beforeAll(async () => {
    if (!connected()) await startDaemon();
    mkdirSync(OUT, { recursive: true });
  }, 60_000);

  test(
    "h264 8-bit, NV12, through ffmpeg's h264_v4l2m2m",
    () => {
      const c = clip("h264");
      const jobs = counter("jobs");
      const viaNode = ffmpegFrameMd5s(["-c:v", "h264_v4l2m2m", "-i", c.path, "-pix_fmt", "nv12"], TIMEOUT);
      const reference = ffmpegFrameMd5s(["-i", c.path, "-pix_fmt", "nv12"], TIMEOUT);
      expect(reference).toHaveLength(c.frames);
      expect(viaNode).toEqual(reference);
      expect(counter("jobs")).toBeGreaterThan(jobs);
    },
    TIMEOUT,
  );

  // Minimal: the 8-bit clip alone takes the CAPTURE allocator past the page allocator's limit.
  test.skipIf(minimal)(
    "hevc 10-bit, P010, through daedalusd decode",
    () => {
      const c = clip("hevc");
      const out = join(OUT, `${basename(c.path)}.p010`);
      const jobs = counter("jobs");
      const r = run(
        daedalusd("decode", "--json", "--format", "p010", "--output", out, c.path),
        { timeoutMs: TIMEOUT },
      );
      if (r.code !== 0) throw new Error(`daedalusd decode failed (${r.code}): ${r.err}${r.out}`);
      const result = JSON.parse(r.out);
      expect(result.formats.map((f: { pixelformat: string }) => f.pixelformat)).toEqual(["P010"]);
      // Its --output is the frames packed as FFmpeg packs p010le; compared
      // here byte for byte, not through the tool's own digests.
      const bytes = new Uint8Array(readFileSync(out));
      rmSync(out, { force: true });
      const size = c.width * c.height * 3;
      const ref = join(OUT, `${basename(c.path)}.ref`);
      const f = run(["ffmpeg", "-nostdin", "-v", "error", "-i", c.path, "-f", "rawvideo", "-pix_fmt", "p010le", "-y", ref], {
        timeoutMs: TIMEOUT,
      });
      if (f.code !== 0) throw new Error(`ffmpeg failed on ${c.path}: ${f.err}`);
      const reference = packedFrameMd5s(new Uint8Array(readFileSync(ref)), size);
      rmSync(ref, { force: true });
      expect(reference).toHaveLength(c.frames);
      expect(packedFrameMd5s(bytes, size)).toEqual(reference);
      expect(counter("jobs")).toBeGreaterThan(jobs);
    },
    TIMEOUT,
  );
});
