// SPDX-License-Identifier: BSD-2-Clause
// The stateless node's decode-order backend (c/daemon/backend-lavc-sl.c,
// docs/stateless-design.md 4.1): each access unit, fed in decode order,
// must give at once the picture decoded from it, B-frames and hidden
// VP8/VP9 alt-ref frames included, and say when libavcodec lets go of a
// picture. test/c/backend-sl-order.c drives it over clips made here, next
// to a plain libavcodec decode of the same units, in a build with
// AddressSanitizer (LeakSanitizer where it can run) and UBSan.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Glob } from "bun";

const ROOT = join(import.meta.dir, "..");
const SETUP_TIMEOUT = 240_000;
const RUN_TIMEOUT = 60_000;
// AVERROR(EPROTO): a VP9 unit that made two pictures (a whole superframe).
const AVERROR_EPROTO = -71;

let dir = "";
let driver = "";
const clips = { h264: "", vp8: "", vp9: "" };

function spawn(argv: string[], what: string, env: Record<string, string> = {}): { stdout: string; stderr: string } {
  const r = Bun.spawnSync(argv, { stdout: "pipe", stderr: "pipe", env: { ...process.env, ...env } });
  if (r.exitCode !== 0) throw new Error(`${what} exited ${r.exitCode}:\n${r.stderr}`);
  return { stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

function encode(out: string, frames: number, codecArgs: string[], twoPass: boolean): string {
  const input = ["-nostdin", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25",
    "-frames:v", String(frames), "-pix_fmt", "yuv420p", "-threads", "1", ...codecArgs,
    "-fflags", "+bitexact", "-flags:v", "+bitexact"];
  const path = join(dir, out);
  if (twoPass) {
    const log = join(dir, `${out}-pass`);
    spawn(["ffmpeg", ...input, "-pass", "1", "-passlogfile", log, "-f", "null", "-"], `pass 1 of ${out}`);
    spawn(["ffmpeg", ...input, "-pass", "2", "-passlogfile", log, "-y", path], `pass 2 of ${out}`);
  } else {
    spawn(["ffmpeg", ...input, "-y", path], `encoding ${out}`);
  }
  return path;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "daedalus-backend-sl-"));
  driver = join(dir, "backend-sl-order");
  const sources = [...new Glob("c/*/*.c").scanSync(ROOT)].map((f) => join(ROOT, f));
  spawn(["cc", "-std=gnu11", "-O1", "-g", "-Wall", "-Wextra", "-Werror", "-fsanitize=address,undefined",
    "-fno-sanitize-recover=all", "-DDAEDALUS_VERSION=\"test\"", "-I", join(ROOT, "c/common"),
    "-I", join(ROOT, "c/daemon"), "-I", join(ROOT, "kernel/include/uapi"), "-o", driver,
    join(ROOT, "test/c/backend-sl-order.c"), ...sources, "-ldl", "-lpthread", "-lnettle"], "building the driver");
  // B-frames (decode order differs from display order), four slices for the slice threads.
  clips.h264 = encode("b-frames.h264", 40,
    ["-c:v", "libx264", "-preset", "veryfast", "-bf", "3", "-x264-params", "slices=4", "-f", "h264"], false);
  // libvpx makes alt-ref frames only in two passes; VP9 packs them into superframes.
  const vpx = ["-b:v", "300k", "-deadline", "good", "-cpu-used", "4", "-auto-alt-ref", "1", "-lag-in-frames", "16"];
  clips.vp8 = encode("alt-ref.vp8.ivf", 30, ["-c:v", "libvpx", ...vpx], true);
  clips.vp9 = encode("alt-ref.vp9.ivf", 40, ["-c:v", "libvpx-vp9", "-row-mt", "0", ...vpx], true);
}, SETUP_TIMEOUT);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Unit {
  index: number;
  ok: boolean;
  err: number | null;
  pts: number | null;
  size: string | null;
  md5: string | null;
  allocs: number;
  ref: string;
  /** Earlier units whose pictures libavcodec held after this one was decoded. */
  held: number[];
}

interface Run {
  display: { pts: number; md5: string }[];
  units: Unit[];
  end: { held: number[]; live: number };
  reset: { held: number[]; live: number };
}

function heldList(s: string | undefined): number[] {
  return !s || s === "-" ? [] : s.split(",").map(Number);
}

function parse(out: string): Run {
  const run: Run = { display: [], units: [], end: { held: [], live: -1 }, reset: { held: [], live: -1 } };
  for (const line of out.split("\n").filter(Boolean)) {
    const w = line.split(" ");
    if (w[0] === "display") {
      run.display.push({ pts: Number(w[1]), md5: w[2] ?? "" });
    } else if (w[0] === "au") {
      const ok = w[2] === "ok";
      // ok: au i ok pts WxH md5 allocs n ref r held l; err: au i err e allocs n ref r held l
      const rest = ok ? w.slice(6) : w.slice(4);
      run.units.push({
        index: Number(w[1]), ok, err: ok ? null : Number(w[3]), pts: ok ? Number(w[3]) : null,
        size: ok ? (w[4] ?? null) : null, md5: ok ? (w[5] ?? null) : null,
        allocs: Number(rest[1]), ref: rest[3] ?? "", held: heldList(rest[5]),
      });
    } else if (w[0] === "end" || w[0] === "reset") {
      run[w[0]] = { held: heldList(w[2]), live: Number(w[4]) };
    } else {
      throw new Error(`unexpected driver line: ${line}`);
    }
  }
  return run;
}

let leakCheck = true;

/** Runs the driver; fails on any sanitizer report, leaks included where LeakSanitizer can run. */
function drive(clip: string, threads: number, option?: string): Run {
  const argv = [driver, clip, String(threads), ...(option ? [option] : [])];
  let r = Bun.spawnSync(argv, {
    stdout: "pipe", stderr: "pipe", env: { ...process.env, ASAN_OPTIONS: `detect_leaks=${leakCheck ? 1 : 0}` },
  });
  // LeakSanitizer needs ptrace, which containers may refuse: then without it.
  if (r.exitCode !== 0 && leakCheck && r.stderr.toString().includes("LeakSanitizer has encountered a fatal error")) {
    leakCheck = false;
    console.warn("LeakSanitizer cannot run here: no leak check");
    r = Bun.spawnSync(argv, {
      stdout: "pipe", stderr: "pipe", env: { ...process.env, ASAN_OPTIONS: "detect_leaks=0" },
    });
  }
  const stderr = r.stderr.toString();
  if (r.exitCode !== 0 || /Sanitizer|runtime error:/.test(stderr)) {
    throw new Error(`backend-sl-order ${argv.slice(1).join(" ")} exited ${r.exitCode}:\n${stderr}`);
  }
  return parse(r.stdout.toString());
}

/** Each frame's MD5 from ffmpeg itself, in output order. */
function frameMd5s(file: string): string[] {
  const out = spawn(["ffmpeg", "-v", "error", "-i", file, "-fps_mode", "passthrough", "-f", "framemd5", "-"],
    `ffmpeg decoding ${file}`).stdout;
  return out.split("\n").filter((l) => l && !l.startsWith("#")).map((l) => l.split(",").at(-1)?.trim() ?? "");
}

/** Every unit gave its own picture: pts as set at allocation equals the unit's, one allocation. */
function expectAllPictures(run: Run): void {
  expect(run.units.length).toBeGreaterThan(0);
  for (const u of run.units) {
    expect({ index: u.index, ok: u.ok, pts: u.pts, allocs: u.allocs }).toEqual(
      { index: u.index, ok: true, pts: u.index, allocs: 1 });
  }
}

/** The first unit after which picture j was no longer held (released), or Infinity. */
function releasedAt(run: Run, j: number): number {
  for (const u of run.units) if (u.index > j && !u.held.includes(j)) return u.index;
  return run.end.held.includes(j) ? Number.POSITIVE_INFINITY : run.units.length;
}

describe("H.264 with B-frames: every unit's picture at once, in decode order", () => {
  for (const threads of [1, 2]) {
    test(`${threads} slice thread(s): the pictures, put in display order, are ffmpeg's frames`, () => {
      const run = drive(clips.h264, threads);
      expectAllPictures(run);
      const reference = frameMd5s(clips.h264);
      // The plain decode hashes as ffmpeg's framemd5 does.
      expect(run.display.map((d) => d.md5)).toEqual(reference);
      // Decode order really differs from display order.
      const order = run.display.map((d) => d.pts);
      expect([...order].sort((a, b) => a - b)).toEqual(run.units.map((u) => u.index));
      expect(order).not.toEqual(run.units.map((u) => u.index));
      expect(order.map((pts) => run.units[pts]?.md5)).toEqual(reference);
    }, RUN_TIMEOUT);
  }

  test("release tracking: non-reference pictures go soon after their decode, references stay, a reset frees all", () => {
    const run = drive(clips.h264, 2);
    const nonRef = run.units.filter((u) => u.ref === "0").map((u) => u.index);
    const ref = run.units.filter((u) => u.ref === "1").map((u) => u.index);
    expect(nonRef.length).toBeGreaterThan(5);
    // Held until output (a few units later with -bf 3), then released; the
    // last ones wait for output that only the end of the stream would give.
    const early = nonRef.filter((j) => j < run.units.length - 4);
    expect(Math.max(...early.map((j) => releasedAt(run, j) - j))).toBeLessThanOrEqual(4);
    // A released picture never comes back.
    for (const j of [...nonRef, ...ref]) {
      const at = releasedAt(run, j);
      for (const u of run.units) if (u.index >= at) expect(u.held.includes(j)).toBe(false);
    }
    // References stay in the DPB well after their decode.
    expect(Math.max(...ref.map((j) => releasedAt(run, j) - j))).toBeGreaterThan(4);
    expect(run.end.held.length).toBeGreaterThan(1);
    expect(run.end.live).toBe(run.end.held.length);
    expect(run.reset).toEqual({ held: [], live: 0 });
  }, RUN_TIMEOUT);

  test("a frame_num gap: the picture is the unit's own, not the gap filler allocated before it", () => {
    const full = drive(clips.h264, 1);
    // A reference right before another: dropping it leaves a frame_num gap.
    const drop = full.units.findIndex((u, i) => i > 0 && u.ref === "1" && full.units[i + 1]?.ref === "1");
    expect(drop).toBeGreaterThan(0);
    const run = drive(clips.h264, 1, `drop=${drop}`);
    const u = run.units[drop];
    expect(u?.ok).toBe(true);
    expect(u?.pts).toBe(drop);
    expect(u?.allocs).toBeGreaterThanOrEqual(2);
    // The filler copies an earlier picture; the unit's own picture is new.
    const earlier = run.units.slice(0, drop).map((e) => e.md5);
    expect(earlier).not.toContain(u?.md5 ?? "");
    expect(run.reset.live).toBe(0);
  }, RUN_TIMEOUT);
});

describe("VP8 and VP9 hidden alt-ref frames get their pictures too", () => {
  for (const codec of ["vp8", "vp9"] as const) {
    test(`${codec}: every unit a picture, every shown frame among them, hidden ones too`, () => {
      const run = drive(clips[codec], 2);
      expectAllPictures(run);
      expect(run.display.map((d) => d.md5)).toEqual(frameMd5s(clips[codec]));
      // Hidden frames exist: more units with a picture than frames shown.
      expect(run.units.length).toBeGreaterThan(run.display.length);
      const pictures = new Set(run.units.map((u) => u.md5));
      for (const d of run.display) {
        expect(pictures.has(d.md5)).toBe(true);
        // A shown frame is the picture of its own unit.
        expect(run.units[d.pts]?.md5).toBe(d.md5);
      }
      expect(run.end.live).toBe(run.end.held.length);
      // libavcodec's VP9 flush keeps its next references until the next frame; VP8 drops all.
      if (codec === "vp8") expect(run.reset).toEqual({ held: [], live: 0 });
    }, RUN_TIMEOUT);
  }

  test("vp9: a whole superframe (hidden frame and shown frame in one unit) is refused", () => {
    const split = drive(clips.vp9, 1);
    const whole = drive(clips.vp9, 1, "whole");
    const refused = whole.units.filter((u) => !u.ok);
    expect(refused.length).toBe(split.units.length - whole.units.length);
    expect(refused.length).toBeGreaterThan(0);
    for (const u of refused) expect({ err: u.err, allocs: u.allocs }).toEqual({ err: AVERROR_EPROTO, allocs: 2 });
  }, RUN_TIMEOUT);
});
