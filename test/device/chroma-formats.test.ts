// SPDX-License-Identifier: BSD-2-Clause
// Streams whose chroma is not 4:2:0. The node's frame formats are 4:2:0
// (NV12, YU12, P010). Monochrome goes out in them with neutral chroma: the
// same picture, bit-exact with the ffmpeg command line's conversion of
// libavcodec's frames. 4:2:2 and 4:4:4 are refused at their first frame,
// before any format is announced: the client gets EIO (dev-decoder.rst's
// fatal error) and the daemon's and the kernel's logs name the format,
// rather than frames with their chroma thrown away. Clips are encoded here
// by Debian's encoders, five frames each. The arm64 guests refuse one
// stream only (the refusal is the same C on every architecture; the
// monochrome conversion is not: swscale has NEON paths of its own).
import { beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  connected,
  DAEMON_LOG,
  daedalusd,
  daedalusdDecodeJson,
  ffmpegFrameMd5s,
  inVm,
  run,
  startDaemon,
} from "./helpers";

interface Encoding {
  name: string;
  encoder: string[];
  pixFmt: string;
  /** The container's extension, as FFmpeg picks the muxer. */
  ext: string;
  /** What the reference conversion adds: the node passes samples as decoded. */
  refArgs?: string[];
}

const MONO: Encoding[] = [
  // libavcodec gives H.264 4:0:0 as yuvj420p (full range, neutral chroma),
  // which the node passes as decoded; FFmpeg's conversion to nv12 would
  // squeeze it to limited range unless told to keep it.
  {
    name: "H.264 4:0:0",
    encoder: ["-c:v", "libx264"],
    pixFmt: "gray",
    ext: "mp4",
    refArgs: ["-vf", "scale=out_range=full"],
  },
  { name: "HEVC 4:0:0", encoder: ["-c:v", "libx265"], pixFmt: "gray", ext: "mp4" },
  { name: "HEVC 4:0:0 10-bit", encoder: ["-c:v", "libx265"], pixFmt: "gray10le", ext: "mp4" },
  { name: "AV1 monochrome", encoder: ["-c:v", "libaom-av1", "-cpu-used", "8"], pixFmt: "gray", ext: "ivf" },
];

/** With the format libavcodec decodes each to, as the logs name it. */
const REFUSED: (Encoding & { decoded: string })[] = [
  { name: "H.264 4:2:2", encoder: ["-c:v", "libx264", "-profile:v", "high422"], pixFmt: "yuv422p", ext: "mp4", decoded: "yuv422p" },
  { name: "H.264 4:4:4", encoder: ["-c:v", "libx264"], pixFmt: "yuv444p", ext: "mp4", decoded: "yuv444p" },
  { name: "HEVC 4:2:2", encoder: ["-c:v", "libx265"], pixFmt: "yuv422p", ext: "mp4", decoded: "yuv422p" },
  { name: "VP9 4:4:4 (profile 1)", encoder: ["-c:v", "libvpx-vp9"], pixFmt: "yuv444p", ext: "ivf", decoded: "yuv444p" },
  { name: "AV1 4:4:4", encoder: ["-c:v", "libaom-av1", "-cpu-used", "8"], pixFmt: "yuv444p", ext: "ivf", decoded: "yuv444p" },
];

const WHY = "only 4:2:0 or monochrome at 8 or 10 bits can be delivered";

let dir = "";

/** Five frames of a test pattern in @e, encoded here. */
function encode(e: Encoding): string {
  const path = join(dir, `${e.name.replace(/[^A-Za-z0-9]+/g, "-")}.${e.ext}`);
  const r = run([
    "ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25",
    "-frames:v", "5", "-pix_fmt", e.pixFmt, ...e.encoder, path,
  ]);
  if (r.code !== 0) throw new Error(`cannot encode ${e.name}: ${r.err}`);
  return path;
}

describe.skipIf(!inVm)("streams whose chroma is not 4:2:0", () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "chroma-"));
    if (!connected()) await startDaemon();
  }, 60_000);

  for (const e of MONO) {
    test(`${e.name}: 4:2:0 with neutral chroma, every frame as the ffmpeg command line converts libavcodec's`, () => {
      const path = encode(e);
      const r = daedalusdDecodeJson(path);
      const tenBit = e.pixFmt.includes("10");
      expect(r.formats.map((f) => f.pixelformat)).toEqual([tenBit ? "P010" : "NV12"]);
      expect(r.count).toBe(5);
      expect(r.damaged).toBe(0);
      expect(r.frames.map((f) => f.md5)).toEqual(ffmpegFrameMd5s(["-i", path, ...(e.refArgs ?? []), "-pix_fmt", r.ffmpeg_pix_fmt]));
    }, 180_000);
  }

  for (const e of process.arch === "arm64" ? REFUSED.slice(0, 1) : REFUSED) {
    test(`${e.name}: refused with a clear error, EIO in the client, the format named in both logs`, () => {
      const path = encode(e);
      run(["dmesg", "-C"]);
      const r = run(daedalusd("decode", path), { timeoutMs: 120_000 });
      expect(r.code).not.toBe(0);
      expect(r.err).toMatch(/Input\/output error|EIO/);
      // The kernel's log, cleared above, ties the line to this stream; the
      // daemon's log is only searched (a daemon restarted by an earlier test
      // writes it from its start again, over the old lines).
      expect(run(["dmesg"]).out).toContain(`the daemon cannot decode: frames in ${e.decoded}: ${WHY}`);
      expect(readFileSync(DAEMON_LOG, "utf8")).toContain(`frames in ${e.decoded}: ${WHY}`);
    }, 180_000);
  }
});
