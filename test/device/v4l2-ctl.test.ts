// SPDX-License-Identifier: BSD-2-Clause
// v4l2-ctl (v4l-utils 1.30, from trixie's root) decoding through the node,
// compared byte for byte with plain libavcodec in the same guest: every
// codec at 854x480 (AV1 among them: FFmpeg 5.1 has no AV1 V4L2 wrapper, so
// this is AV1's way through the node), 10-bit streams in P010, and
// byte-stream clips larger than one bitstream buffer. 4096x2160 is in
// large.test.ts: v4l2-ctl cannot wait long enough for it under TCG.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { Clip, ClipCodec } from "../../scripts/lib/clips";
import { rawChunkClips, streamInput, tenBitStreamClips, v4l2ctlClips } from "../helpers/decode-clips";
import { readStreamHdr } from "../helpers/stream-hdr";
import { connected, counter, inVm, minimal, nodes, packedFrameMd5s, reduced, run, startDaemon, trixie } from "./helpers";

/**
 * Reduced: one start-code codec and AV1 (one frame per buffer), one 10-bit,
 * one byte-stream clip; minimal: AV1 in YU12 and the byte-stream clip (P010
 * is daedalusd decode's test then).
 */
const keep = (c: Clip, codecs: readonly ClipCodec[]) => !reduced || codecs.includes(c.codec);

const FOURCC: Record<ClipCodec, string> = {
  h264: "H264",
  hevc: "HEVC",
  vp8: "VP80",
  vp9: "VP90",
  av1: "AV01",
  mpeg2: "MPG2",
};

/** CAPTURE layouts under test and FFmpeg's name for the same packed picture. */
const LAYOUTS = { NV12: "nv12", YU12: "yuv420p", P010: "p010le" } as const;
type Layout = keyof typeof LAYOUTS;

/** Where v4l2-ctl and ffmpeg write: the guest's tmpfs. */
const OUT = "/tmp/v4l2-ctl-test";
const TIMEOUT = 240_000;

/**
 * Decodes @clip through the node with v4l2-ctl, CAPTURE set to @layout,
 * and returns what it wrote. P010 is written per buffer with headers
 * (--stream-to-hdr) so that its frames can be told apart: v4l2-ctl crops
 * only the layouts its FWHT table knows (NV12, YU12), and writes P010
 * buffers whole.
 */
function viaNode(clip: Clip, layout: Layout): { bytes: Uint8Array; log: string } {
  const input = streamInput(clip);
  const file = input.hdr ?? clip.path;
  const name = `${basename(clip.path)}.${layout}`;
  rmSync(join(OUT, name), { force: true });
  const r = trixie(
    "v4l2-ctl",
    [
      "-d", nodes().video,
      "--set-fmt-video-out", `pixelformat=${FOURCC[clip.codec]}`,
      "--set-fmt-video", `pixelformat=${layout}`,
      "--stream-out-mmap", "--stream-mmap",
      input.hdr ? "--stream-from-hdr" : "--stream-from", `/mnt/${basename(file)}`,
      layout === "P010" ? "--stream-to-hdr" : "--stream-to", `/tmp/${name}`,
    ],
    { mnt: dirname(file), tmp: OUT, timeoutMs: TIMEOUT },
  );
  if (r.code !== 0) {
    const gone = connected() ? "" : "; the daemon went away (its log: /tmp/daedalusd.log)";
    throw new Error(`v4l2-ctl failed (${r.code}) on ${basename(file)}${gone}:\n${r.out}${r.err}`);
  }
  const bytes = new Uint8Array(readFileSync(join(OUT, name)));
  rmSync(join(OUT, name), { force: true });
  return { bytes, log: `${r.out}${r.err}` };
}

/** Plain libavcodec's frames of @clip, packed in @layout's FFmpeg pixel format. */
function reference(clip: Clip, layout: Layout): Uint8Array {
  const out = join(OUT, `${basename(clip.path)}.ref`);
  const r = run(
    ["ffmpeg", "-nostdin", "-v", "error", "-i", clip.path, "-f", "rawvideo", "-pix_fmt", LAYOUTS[layout], "-y", out],
    { timeoutMs: TIMEOUT },
  );
  if (r.code !== 0) throw new Error(`ffmpeg failed on ${clip.path}: ${r.err}`);
  const bytes = new Uint8Array(readFileSync(out));
  rmSync(out, { force: true });
  return bytes;
}

/** Bytes of one packed 4:2:0 picture. */
function frameBytes(clip: Clip, layout: Layout): number {
  return (clip.width * clip.height * 3) / 2 * (layout === "P010" ? 2 : 1);
}

const align16 = (n: number) => Math.ceil(n / 16) * 16;

/**
 * The visible picture of each P010 buffer v4l2-ctl wrote, packed as
 * FFmpeg's p010le: the node lays frames out in whole 16-line macroblock
 * rows, the luma plane then the CbCr plane at one bytesperline, which is
 * what is left to find.
 */
function cropP010(records: Uint8Array[], width: number, height: number): Uint8Array {
  const coded = align16(height);
  const row = width * 2;
  const out = new Uint8Array(records.length * row * height * 1.5);
  let o = 0;
  for (const [i, rec] of records.entries()) {
    const bpl = rec.length / (coded * 1.5);
    if (!Number.isInteger(bpl) || bpl < row) {
      throw new Error(`P010 buffer ${i} holds ${rec.length} bytes: not ${coded} + ${coded / 2} lines of >= ${row} bytes`);
    }
    for (let y = 0; y < height; y++, o += row) out.set(rec.subarray(y * bpl, y * bpl + row), o);
    const chroma = bpl * coded;
    for (let y = 0; y < height / 2; y++, o += row) out.set(rec.subarray(chroma + y * bpl, chroma + y * bpl + row), o);
  }
  return out;
}

/** Decodes through the node and with libavcodec; expects the same frames, all of them. */
function expectBitExact(clip: Clip, layout: Layout): void {
  const jobs = counter("jobs");
  const { bytes, log } = viaNode(clip, layout);
  const node = layout === "P010" ? cropP010(readStreamHdr(bytes), clip.width, clip.height) : bytes;
  const ref = reference(clip, layout);
  const size = frameBytes(clip, layout);
  expect(packedFrameMd5s(ref, size)).toHaveLength(clip.frames);
  const got = packedFrameMd5s(node, size);
  // v4l2-ctl exits 0 even when it gave up early: its own account then says why.
  if (got.length !== clip.frames) console.log(`v4l2-ctl wrote ${got.length} of ${clip.frames} frames:\n${log}`);
  expect(got).toEqual(packedFrameMd5s(ref, size));
  // The frames really came through the module.
  expect(counter("jobs")).toBeGreaterThan(jobs);
}

describe.skipIf(!inVm)("v4l2-ctl gives libavcodec's frames, byte for byte", () => {
  beforeAll(async () => {
    if (!connected()) await startDaemon();
    mkdirSync(OUT, { recursive: true });
  }, 60_000);

  // A daemon that died in one test would fail every later one too.
  beforeEach(async () => {
    if (!connected()) await startDaemon();
  }, 60_000);

  afterAll(() => rmSync(OUT, { recursive: true, force: true }));

  // H.264, HEVC and MPEG-2 go in as plain --stream-from: each of these
  // streams fits in one 1 MiB buffer, so v4l2-ctl says STOP right after
  // STREAMON(OUTPUT), before the SOURCE_CHANGE that lets it set CAPTURE up;
  // every frame must still come out, then LAST. VP8, VP9 and AV1 go in one
  // frame per buffer (--stream-from-hdr).
  describe("854x480 in NV12, every codec", () => {
    for (const clip of inVm ? v4l2ctlClips().filter((c) => !minimal && keep(c, ["h264", "av1"])) : []) {
      test(`${clip.codec}`, () => expectBitExact(clip, "NV12"), TIMEOUT);
    }
  });

  test("av1 854x480 in YU12", () => {
    const clip = v4l2ctlClips().find((c) => c.codec === "av1");
    if (!clip) throw new Error("no AV1 clip");
    expectBitExact(clip, "YU12");
  }, TIMEOUT);

  describe("10-bit in P010", () => {
    for (const clip of inVm ? tenBitStreamClips().filter((c) => !minimal && keep(c, ["hevc"])) : []) {
      test(`${clip.codec} ${clip.width}x${clip.height}`, () => expectBitExact(clip, "P010"), TIMEOUT);
    }
  });

  // Streams of 2.4 to 4 MiB: v4l2-ctl fills 1 MiB buffers, so frames are
  // split across buffers wherever 1 MiB falls, as a byte-stream format allows.
  describe("byte-stream clips over several buffers", () => {
    for (const clip of inVm ? rawChunkClips().filter((c) => keep(c, ["h264"])) : []) {
      test(`${clip.codec} ${clip.width}x${clip.height}`, () => expectBitExact(clip, "NV12"), TIMEOUT);
    }
  });
});
