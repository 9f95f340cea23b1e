// SPDX-License-Identifier: BSD-2-Clause
// dd_probe and `daedalusd probe` against real clips from Debian's encoders.
import { afterAll, beforeAll, describe, expect, spyOn, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCommand } from "citty";
import * as v from "valibot";
import probeCommand from "../src/commands/probe";
import { probeFile } from "../src/probe/probe";
import { formatReport, qpGrid, qpScale } from "../src/probe/report";
import { type BlockFrame, ProbeSchema } from "../src/probe/schema";
import { Codec } from "../src/protocol/messages";
import { AV_LOG, ShimError, probeJson, setFfmpegLogLevel } from "../src/shim/ffmpeg";
import { type Clip, type ClipSpec, makeClip } from "../scripts/lib/clips";

const ENCODE_TIMEOUT = 120_000;
const ceil = (x: number, to: number): number => Math.ceil(x / to) * to;

/**
 * The coded size FFmpeg reports (AVCodecContext.coded_width/height): H.264
 * rounds up to macroblocks, HEVC to the encoder's minimum CU (16 with x265's
 * ultrafast preset); the VP8, VP9, AV1 and MPEG-2 decoders report the
 * visible size.
 */
function expectedCoded(c: Clip): { width: number; height: number } {
  if (c.codec === "h264" || c.codec === "hevc") return { width: ceil(c.width, 16), height: ceil(c.height, 16) };
  return { width: c.width, height: c.height };
}

const SPECS: ClipSpec[] = [
  { codec: "h264", width: 426, height: 240, frames: 8, container: "mp4" },
  { codec: "h264", width: 854, height: 480, frames: 5, container: "raw", fps: 30 },
  { codec: "hevc", width: 426, height: 240, frames: 8, container: "mkv" },
  { codec: "hevc", width: 854, height: 480, frames: 5, container: "raw", fps: 30 },
  { codec: "hevc", width: 426, height: 240, frames: 6, container: "mkv", bitDepth: 10 },
  { codec: "vp8", width: 426, height: 240, frames: 8, container: "webm" },
  { codec: "vp8", width: 854, height: 480, frames: 5, container: "ivf", fps: 30 },
  { codec: "vp9", width: 426, height: 240, frames: 8, container: "webm" },
  { codec: "vp9", width: 854, height: 480, frames: 5, container: "ivf", fps: 30 },
  { codec: "vp9", width: 426, height: 240, frames: 6, container: "ivf", bitDepth: 10 },
  { codec: "av1", width: 426, height: 240, frames: 6, container: "ivf" },
  { codec: "av1", width: 854, height: 480, frames: 4, container: "mkv", fps: 30 },
  { codec: "mpeg2", width: 426, height: 240, frames: 8, container: "raw" },
  { codec: "mpeg2", width: 854, height: 480, frames: 5, container: "mkv", fps: 30 },
];

const specName = (s: ClipSpec): string =>
  `${s.codec} ${s.width}x${s.height} ${s.container} ${s.bitDepth ?? 8}-bit ${s.fps ?? 25} fps`;

let tmp = "";
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "daedalus-probe-"));
  setFfmpegLogLevel(AV_LOG.quiet);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("probe reports what was encoded", () => {
  for (const spec of SPECS) {
    test(
      specName(spec),
      () => {
        const clip = makeClip(spec);
        const p = probeFile(clip.path);
        expect(p.file).toBe(clip.path);
        expect(p.codec.name).toBe(clip.codec === "mpeg2" ? "mpeg2video" : clip.codec);
        expect(p.codec.daedalus_id).toBe(Codec[clip.codec]);
        expect(p.codec.decoder).not.toBeNull();
        expect(p.profile.name).toBe(clip.profile);
        if (clip.codec === "h264" || clip.codec === "hevc") expect(p.level).toBeGreaterThan(0);
        expect(p.visible_size).toEqual({ width: clip.width, height: clip.height });
        expect(p.coded_size).toEqual(expectedCoded(clip));
        expect(p.pix_fmt).toEqual({ name: clip.pixFmt, bit_depth: clip.bitDepth });
        expect(p.frame_rate).toEqual({ num: clip.fps, den: 1 });
        expect(p.frame_count).toBe(clip.frames);
        // Matroska keeps milliseconds; raw streams have no timestamps.
        if (clip.container !== "raw") expect(p.duration ?? 0).toBeCloseTo(clip.frames / clip.fps, 2);
        expect(p.decode_error).toBeNull();
        expect(p.read_error).toBeNull();
        expect(p.blocks).toBeNull();
      },
      ENCODE_TIMEOUT,
    );
  }
});

/** Recomputes a frame's QP summary: min, max and the area-weighted mean. */
function summarize(f: BlockFrame): { min: number; max: number; mean: number } {
  if (f.blocks.length === 0) return { min: f.qp, max: f.qp, mean: f.qp };
  let area = 0;
  let weighted = 0;
  for (const b of f.blocks) {
    area += b.w * b.h;
    weighted += b.w * b.h * b.qp;
  }
  const qps = f.blocks.map((b) => b.qp);
  return { min: Math.min(...qps), max: Math.max(...qps), mean: weighted / area };
}

function expectSummaryConsistent(frames: BlockFrame[], summary: { min: number; max: number; mean: number } | null) {
  for (const f of frames) {
    const s = summarize(f);
    expect(f.summary?.min).toBe(s.min);
    expect(f.summary?.max).toBe(s.max);
    expect(f.summary?.mean ?? Number.NaN).toBeCloseTo(s.mean, 4);
  }
  expect(summary).not.toBeNull();
  expect(summary?.min).toBe(Math.min(...frames.map((f) => summarize(f).min)));
  expect(summary?.max).toBe(Math.max(...frames.map((f) => summarize(f).max)));
  expect(summary?.min ?? 0).toBeLessThanOrEqual(summary?.mean ?? -1);
  expect(summary?.mean ?? Number.POSITIVE_INFINITY).toBeLessThanOrEqual(summary?.max ?? 0);
}

describe("--blocks", () => {
  for (const [width, height, container] of [
    [426, 240, "mp4"],
    [854, 480, "raw"],
  ] as const) {
    test(
      `h264 ${width}x${height}: one block per macroblock`,
      () => {
        const clip = makeClip({ codec: "h264", width, height, frames: 8, container });
        const p = probeFile(clip.path, { blocks: true, frames: 4 });
        const blocks = p.blocks;
        if (!blocks) throw new Error("no blocks");
        expect(blocks.error).toBeNull();
        expect(blocks.frames.map((f) => f.index)).toEqual([0, 1, 2, 3]);
        expect(blocks.frames[0]?.pict_type).toBe("I");
        expect(blocks.frames[0]?.key).toBe(true);
        expect(blocks.frames.some((f) => f.pict_type === "B")).toBe(true);
        const mbs = (width + 15 >> 4) * (height + 15 >> 4);
        for (const f of blocks.frames) {
          expect(f.params_type).toBe("h264");
          expect(f.nb_blocks).toBe(mbs);
          expect(f.blocks.length).toBe(mbs);
          const seen = new Set<string>();
          for (const b of f.blocks) {
            expect([b.w, b.h, b.src_x % 16, b.src_y % 16]).toEqual([16, 16, 0, 0]);
            expect(b.qp).toBe(f.qp + b.delta_qp);
            expect(b.qp).toBeGreaterThanOrEqual(0);
            expect(b.qp).toBeLessThanOrEqual(51);
            seen.add(`${b.src_x},${b.src_y}`);
          }
          expect(seen.size).toBe(mbs);
        }
        expectSummaryConsistent(blocks.frames, blocks.summary);
        expect(blocks.summary?.frames).toBe(4);
        expect(blocks.summary?.blocks).toBe(4 * mbs);
      },
      ENCODE_TIMEOUT,
    );
  }

  test(
    "vp9 with segmentation: blocks tile the frame in 8x8 units",
    () => {
      const clip = makeClip({ codec: "vp9", width: 426, height: 240, frames: 8, container: "webm" });
      const p = probeFile(clip.path, { blocks: true, frames: 3 });
      const blocks = p.blocks;
      if (!blocks) throw new Error("no blocks");
      expect(blocks.error).toBeNull();
      expect(blocks.frames).toHaveLength(3);
      for (const f of blocks.frames) {
        expect(f.params_type).toBe("vp9");
        expect(f.nb_blocks).toBe(f.blocks.length);
        expect(f.nb_blocks).toBeGreaterThan(0);
        // Each 8x8 cell of the visible frame lies in exactly one block.
        const cols = Math.ceil(clip.width / 8);
        const rows = Math.ceil(clip.height / 8);
        const cover = new Uint8Array(cols * rows);
        for (const b of f.blocks) {
          expect(b.qp).toBe(Math.min(255, Math.max(0, f.qp + b.delta_qp)));
          for (let y = b.src_y / 8; y < Math.min(rows, (b.src_y + b.h) / 8); y++) {
            for (let x = b.src_x / 8; x < Math.min(cols, (b.src_x + b.w) / 8); x++) {
              cover[y * cols + x] = (cover[y * cols + x] ?? 0) + 1;
            }
          }
        }
        expect(cover.every((c) => c === 1)).toBe(true);
      }
      expectSummaryConsistent(blocks.frames, blocks.summary);
    },
    ENCODE_TIMEOUT,
  );

  test(
    "codecs without venc_params export say so",
    () => {
      for (const codec of ["hevc", "av1", "mpeg2", "vp8"] as const) {
        const clip = makeClip({ codec, width: 426, height: 240, frames: codec === "av1" ? 6 : 8 });
        const p = probeFile(clip.path, { blocks: true, frames: 2 });
        expect(p.blocks?.error ?? "").toContain("only for h264 and vp9");
        expect(p.blocks?.frames).toEqual([]);
        expect(p.blocks?.summary).toBeNull();
        // The stream is still described.
        expect(p.visible_size).toEqual({ width: 426, height: 240 });
      }
    },
    ENCODE_TIMEOUT,
  );

  test("the report draws one QP character per macroblock", () => {
    const clip = makeClip({ codec: "h264", width: 426, height: 240, frames: 8, container: "mp4" });
    const p = probeFile(clip.path, { blocks: true, frames: 2 });
    const text = formatReport(p);
    const grid = text.split("\n").filter((l) => /^ {2}[0-9a-z.]+$/.test(l));
    expect(grid).toHaveLength(2 * 15);
    for (const row of grid) expect(row.trim()).toHaveLength(27);
    expect(text).toContain("one character per 16x16 pixels, 27x15");
    expect(text).toMatch(/qp summary +2 frames, 810 blocks, qp \d+\.\.\d+, mean/);
  });

  test("the QP map scales wide frames to at most 80 columns", () => {
    const frame: BlockFrame = {
      index: 0, pts: 0, pict_type: "I", key: true, width: 1920, height: 1080,
      params_type: "h264", qp: 30, nb_blocks: 0, summary: null, blocks: [],
    };
    for (let y = 0; y < 1088; y += 16) {
      for (let x = 0; x < 1920; x += 16) frame.blocks.push({ src_x: x, src_y: y, w: 16, h: 16, delta_qp: 0, qp: 30 + (x >> 9) });
    }
    frame.nb_blocks = frame.blocks.length;
    const { cell, rows } = qpGrid(frame, qpScale(30, 33));
    expect(cell).toBe(32);
    expect(rows).toHaveLength(34);
    expect(rows[0]).toBe(`${"0".repeat(16)}${"1".repeat(16)}${"2".repeat(16)}${"3".repeat(12)}`);
  });
});

describe("the command", () => {
  async function run(args: string[]): Promise<{ out: string; code: number }> {
    let out = "";
    const spy = spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      out += typeof chunk === "string" ? chunk : new TextDecoder().decode(chunk);
      return true;
    });
    const before = process.exitCode;
    process.exitCode = 0;
    try {
      await runCommand(probeCommand, { rawArgs: [...args, "--quiet"] });
      return { out, code: Number(process.exitCode ?? 0) };
    } finally {
      spy.mockRestore();
      process.exitCode = before;
    }
  }

  test("prints aligned key/value lines", async () => {
    const clip = makeClip({ codec: "h264", width: 426, height: 240, frames: 8, container: "mp4" });
    const { out, code } = await run([clip.path]);
    expect(code).toBe(0);
    expect(out).toContain("coded size      432x240\n");
    expect(out).toContain("visible size    426x240\n");
    expect(out).toContain("profile         High (100)\n");
    expect(out).toContain("frames          8\n");
  });

  test("--json writes one document that validates, in schema key order", async () => {
    const clip = makeClip({ codec: "vp9", width: 426, height: 240, frames: 8, container: "webm" });
    const { out, code } = await run([clip.path, "--json", "--blocks", "--frames", "2"]);
    expect(code).toBe(0);
    const doc: unknown = JSON.parse(out);
    const parsed = v.parse(ProbeSchema, doc);
    expect(Object.keys(doc as object)).toEqual(Object.keys(ProbeSchema.entries));
    expect(parsed.blocks?.frames).toHaveLength(2);
  });

  test("a missing file fails with exit code 1 and nothing on stdout", async () => {
    const { out, code } = await run([join(tmp, "missing.mp4")]);
    expect(code).toBe(1);
    expect(out).toBe("");
  });

  test("a bad --frames is refused", async () => {
    const clip = makeClip({ codec: "h264", width: 426, height: 240, frames: 8, container: "mp4" });
    for (const frames of ["0", "abc", "1.5", "100000"]) {
      const { out, code } = await run([clip.path, "--blocks", "--frames", frames]);
      expect(code).toBe(2);
      expect(out).toBe("");
    }
  });
});

/** Deterministic pseudo-random bytes. */
function noise(n: number): Uint8Array {
  let seed = 12345;
  return new Uint8Array(n).map(() => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed >>> 24;
  });
}

describe("bad input", () => {
  function errorOf(fn: () => unknown): ShimError {
    try {
      fn();
    } catch (e) {
      if (e instanceof ShimError) return e;
      throw e;
    }
    throw new Error("no error thrown");
  }

  test("a missing file", () => {
    const e = errorOf(() => probeFile(join(tmp, "nope.mkv")));
    expect(e.code).toBe("ENOENT");
    expect(e.message).toBe(`cannot open ${join(tmp, "nope.mkv")}: No such file or directory`);
  });

  test("garbage, an empty file and a text file", () => {
    const garbage = noise(200_000);
    for (const [name, data] of [
      ["garbage.mp4", garbage],
      ["garbage", garbage],
      ["empty.mkv", new Uint8Array(0)],
      ["notes.txt", new TextEncoder().encode("this is not a video\n")],
    ] as const) {
      const path = join(tmp, name);
      writeFileSync(path, data);
      const e = errorOf(() => probeFile(path, { blocks: true, frames: 3 }));
      expect(e.code).toBe("EBADMSG");
      expect(e.message).toContain(`${path}: not a media file FFmpeg can read`);
    }
  });

  test("a format FFmpeg reads but daedalus does not decode", () => {
    // ".bin" selects FFmpeg's "Binary text" demuxer, which takes any bytes.
    const path = join(tmp, "noise.bin");
    writeFileSync(path, noise(200_000));
    const p = probeFile(path, { blocks: true });
    expect(p.container.format).toBe("bin");
    expect(p.codec.name).toBe("bintext");
    expect(p.codec.daedalus_id).toBe(-1);
    expect(formatReport(p)).toContain("daedalus does not decode this codec");
  });

  test("a directory", () => {
    const e = errorOf(() => probeFile(tmp));
    expect(e.message).toContain(`cannot open ${tmp}`);
  });

  test("a colon in the name is a file name, not a protocol", () => {
    const clip = makeClip({ codec: "h264", width: 426, height: 240, frames: 8, container: "mp4" });
    const path = join(tmp, "http:clip.mp4");
    writeFileSync(path, readFileSync(clip.path));
    expect(probeFile(path).frame_count).toBe(8);
  });

  test(
    "damaged data is described, not fatal",
    () => {
      const clip = makeClip({ codec: "h264", width: 854, height: 480, frames: 5, container: "raw", fps: 30 });
      const data = readFileSync(clip.path);
      for (let i = 3000; i < data.length; i += 7) data[i] = (data[i] ?? 0) ^ 0x5a;
      const path = join(tmp, "damaged.h264");
      writeFileSync(path, data);
      const p = probeFile(path, { blocks: true, frames: 5 });
      expect(p.codec.name).toBe("h264");
      expect(p.frame_count).toBeGreaterThan(0);

      // An MP4 cut short: fewer packets than the index promises.
      const mp4 = makeClip({ codec: "h264", width: 854, height: 480, frames: 5, container: "mp4", fps: 30 });
      const whole = readFileSync(mp4.path);
      const cut = join(tmp, "cut.mp4");
      writeFileSync(cut, whole.subarray(0, Math.floor(whole.length * 0.6)));
      const q = probeFile(cut);
      expect(q.container_frame_count).toBe(5);
      expect(q.frame_count).toBeLessThan(5);
    },
    ENCODE_TIMEOUT,
  );

  test("frames out of range", () => {
    const clip = makeClip({ codec: "h264", width: 426, height: 240, frames: 8, container: "mp4" });
    expect(() => probeFile(clip.path, { blocks: true, frames: 0 })).toThrow(RangeError);
    const e = errorOf(() => probeJson(clip.path, { blocks: true, frames: 0 }));
    expect(e.code).toBe("EINVAL");
  });
});

describe("buffers", () => {
  test("a too small buffer is grown to the size dd_probe asks for", () => {
    const clip = makeClip({ codec: "h264", width: 426, height: 240, frames: 8, container: "mp4" });
    const big = probeJson(clip.path, { blocks: true, frames: 2 });
    expect(probeJson(clip.path, { blocks: true, frames: 2, initialSize: 16 })).toBe(big);
    expect(probeJson(clip.path, { initialSize: 0 })).toBe(probeJson(clip.path));
  });
});

describe("clips", () => {
  test(
    "are deterministic and cached by their parameters",
    () => {
      const spec: ClipSpec = { codec: "vp9", width: 426, height: 240, frames: 3, container: "ivf" };
      const a = makeClip(spec, { dir: join(tmp, "a") });
      const b = makeClip(spec, { dir: join(tmp, "b") });
      expect(readFileSync(a.path).equals(readFileSync(b.path))).toBe(true);
      expect(makeClip({ ...spec, frames: 4 }, { dir: join(tmp, "a") }).path).not.toBe(a.path);
      expect(makeClip(spec, { dir: join(tmp, "a") }).path).toBe(a.path);
    },
    ENCODE_TIMEOUT,
  );
});
