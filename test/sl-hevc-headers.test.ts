// SPDX-License-Identifier: BSD-2-Clause
// A stateless HEVC client gives the SPS and PPS only as V4L2 controls (and
// no VPS at all); the daemon rebuilds VPS, SPS and PPS as NAL units for
// libavcodec (c/daemon/sl-hevc-headers.c, docs/stateless-design.md 4.2).
// Here test/c/hevc-params-fill.c plays the client: it parses the parameter
// sets of clips x265 makes into the control structs, has the writers
// rebuild them, and swaps them into the stream. Decoding the rewritten
// stream must give the same pictures, frame by frame. Built with
// AddressSanitizer and UBSan, so a read or write out of bounds fails the
// run too.
//
// x265 writes no tiles, so tiles are checked another way: the client adds
// PPSs with tiles that no slice uses, and ffmpeg's own parameter set parser
// (the trace_headers bitstream filter) must read back what was meant, while
// the decoder, which parses them too, must not complain.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildSanitized, runSanitized } from "./helpers/sanitized-c";

let dir = "";
let bin = "";

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "daedalus-sl-hevc-"));
  bin = buildSanitized(dir, "hevc-params-fill", ["c/daemon/sl-hevc-headers.c", "c/daemon/bits.c"]);
  writeFileSync(join(dir, "lists.txt"), scalingListFile());
  // A sanitized build takes seconds more on a busy machine.
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const spawn = runSanitized;

/** ffmpeg's stdout and stderr; throws if it fails. */
function ffmpeg(args: string[], what: string): { stdout: string; stderr: string } {
  const r = Bun.spawnSync(["ffmpeg", "-hide_banner", ...args], { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`ffmpeg ${what} exited ${r.exitCode}:\n${r.stderr}`);
  return { stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

/**
 * Each decoded frame's MD5, in output order, and whatever the decoder
 * complained about. @crop: the visible area, for a rewritten stream whose
 * SPS lost its conformance window.
 */
function frameMd5s(file: string, crop?: string): { md5s: string[]; errors: string } {
  const vf = crop ? ["-vf", `crop=${crop}`] : [];
  const { stdout, stderr } = ffmpeg(["-v", "error", "-i", file, ...vf, "-f", "framemd5", "-"], `decoding ${file}`);
  const md5s = stdout.split("\n").filter((l) => l && !l.startsWith("#")).map((l) => l.split(",").at(-1)?.trim() ?? "");
  return { md5s, errors: stderr };
}

interface Replaced {
  kind: "vps" | "sps" | "pps" | "xpps";
  fields: Record<string, number>;
}

/** "sps id 0 in 24 bytes out 30 bytes depth 8 ctb 32 ..." and the like. */
function parseLine(line: string): Replaced {
  const [kind, ...words] = line.split(" ").filter((w) => w !== "bytes");
  if (kind !== "vps" && kind !== "sps" && kind !== "pps" && kind !== "xpps")
    throw new Error(`unexpected line: ${line}`);
  const fields: Record<string, number> = {};
  for (let i = 0; i + 1 < words.length; i += 2) fields[words[i] ?? ""] = Number(words[i + 1]);
  return { kind, fields };
}

// A scaling list file in the format x265 reads (HM's: each list in raster
// order, the DC values of 16x16 and 32x32 apart). The lists are asymmetric,
// so a transposed scan would change the pictures; the default lists are
// symmetric and would not. Inter 4x4 Cr repeats Cb and intra 4x4 Y is the
// (flat) default, so x265 predicts those two and the client's prediction
// path runs too.
const NAMES = [
  ["INTRA4X4_LUMA", "INTRA4X4_CHROMAU", "INTRA4X4_CHROMAV", "INTER4X4_LUMA", "INTER4X4_CHROMAU", "INTER4X4_CHROMAV"],
  ["INTRA8X8_LUMA", "INTRA8X8_CHROMAU", "INTRA8X8_CHROMAV", "INTER8X8_LUMA", "INTER8X8_CHROMAU", "INTER8X8_CHROMAV"],
  ["INTRA16X16_LUMA", "INTRA16X16_CHROMAU", "INTRA16X16_CHROMAV", "INTER16X16_LUMA", "INTER16X16_CHROMAU",
    "INTER16X16_CHROMAV"],
  ["INTRA32X32_LUMA", "INTRA32X32_CHROMAU_FROM16x16_CHROMAU", "INTRA32X32_CHROMAV_FROM16x16_CHROMAV",
    "INTER32X32_LUMA", "INTER32X32_CHROMAU_FROM16x16_CHROMAU", "INTER32X32_CHROMAV_FROM16x16_CHROMAV"],
];

// Each list is a ramp base + a * x + b * y + matrixId, by sizeId.
const RAMPS: readonly (readonly [number, number, number])[] = [[8, 3, 1], [10, 2, 1], [12, 1, 3], [14, 3, 2]];

/** A list's value at (x, y); 32x32 chroma lists, unused in 4:2:0, copy 16x16's as x265 does. */
function listValue(s: number, m: number, x: number, y: number): number {
  if (s === 0 && m === 0) return 16;
  if (s === 0 && m === 5) return listValue(0, 4, x, y);
  if (s === 3 && m % 3) return listValue(2, m, x, y);
  const [base, a, b] = RAMPS[s] ?? [0, 0, 0];
  return base + a * x + b * y + m;
}

function dcValue(s: number, m: number): number {
  return s === 3 && m % 3 ? dcValue(2, m) : 20 + 10 * (s - 2) + m;
}

function scalingListFile(): string {
  let text = "";
  for (let s = 0; s < 4; s++) {
    const n = s ? 8 : 4;
    for (let m = 0; m < 6; m++) {
      const name = NAMES[s]?.[m] ?? "";
      text += `${name} =\n`;
      for (let y = 0; y < n; y++) text += `${Array.from({ length: n }, (_, x) => listValue(s, m, x, y)).join(",")},\n`;
      // INTRA16X16_LUMA_DC, INTRA32X32_CHROMAU_DC_FROM16x16_CHROMAU, ...
      if (s > 1) text += `${name.replace(/_FROM|$/, (t) => `_DC${t}`)} =\n${dcValue(s, m)}\n`;
    }
  }
  return text;
}

interface Clip {
  name: string;
  size?: string;
  pixFmt?: string;
  /** x265 parameters beyond the fixed ones. */
  x265?: string;
  /** Options of hevc-params-fill. */
  fill?: string[];
  /** What the lines must show, so the feature was really exercised. */
  vps?: Record<string, number>;
  sps?: Record<string, number>;
  pps?: Record<string, number>;
  /** How many times each parameter set must have been replaced; default 1. */
  sets?: number;
  /** More checks on the rewritten stream. */
  check?: (dst: string, lines: Replaced[]) => void;
}

// Fixed: one frame thread, quiet; each clip picks pools=none (single
// thread) or pools=1 where x265 needs a pool (wavefront, slices).
const X265 = "log-level=error:frame-threads=1";
// 400 is a multiple of the 16-sample minimum CU but not of the CTB, so the
// last CTB column is partial without a conformance window.
const CLIPS: Clip[] = [
  // keyint=5 with repeat-headers: the parameter sets again at the second keyframe.
  { name: "main", x265: "pools=none:keyint=5:repeat-headers=1", sets: 2,
    vps: { sublayers: 1 }, sps: { depth: 8, ctb: 32, width: 400, crop_right: 0, sublayers: 1, reorder: 2 },
    pps: { wpp: 0, tiles: 0, lists: 0 } },
  { name: "main10", pixFmt: "yuv420p10le", x265: "pools=none", sps: { depth: 10 } },
  // 426 is not a multiple of the minimum CU: x265 codes 432 and crops.
  { name: "cropped", size: "426x240", x265: "pools=none", sps: { width: 432, crop_right: 6 } },
  // Two slices per picture too (x265 needs a pool for them as well).
  { name: "wavefront-slices", x265: "pools=1:wpp=1:slices=2", pps: { wpp: 1 } },
  { name: "scaling-default", x265: "pools=none:scaling-list=default",
    sps: { scaling: 1, spsdata: 0 }, pps: { lists: 1, matrix: 1 } },
  { name: "scaling-default-null", x265: "pools=none:scaling-list=default", fill: ["--null-matrix"],
    sps: { scaling: 1, spsdata: 0 }, pps: { lists: 1, matrix: 0 } },
  // LISTS: scalingListFile()'s lists.
  { name: "scaling-custom", x265: "pools=none:scaling-list=LISTS",
    sps: { scaling: 1, spsdata: 1 }, pps: { lists: 2, matrix: 1, asym: 1 } },
  // Most coding tools x265 can switch on; tskip needs rd >= 3, cu_qp_delta needs aq.
  { name: "tools",
    x265: ["pools=none", "ctu=64", "min-cu-size=8", "tu-intra-depth=3", "tu-inter-depth=2", "max-tu-size=16",
      "sao=1", "amp=1", "rect=1", "rd=3", "tskip=1", "signhide=1", "constrained-intra=1", "weightp=1", "weightb=1",
      "deblock=2,-1", "cbqpoffs=3", "crqpoffs=-2", "aq-mode=2", "no-strong-intra-smoothing=1"].join(":"),
    sps: { ctb: 64, mincb: 8, amp: 1, sao: 1, sis: 0 },
    pps: { tskip: 1, sdh: 1, cip: 1, wp: 1, wbp: 1, dbkctl: 1, dbkoff: 0, beta: -1, tc: 2, cbqp: 3, crqp: -2,
      cuqpd: 1 } },
  { name: "no-deblock-no-tmvp", x265: "pools=none:no-deblock=1:temporal-mvp=0", sps: { tmvp: 0 },
    pps: { dbkctl: 1, dbkoff: 1 } },
  { name: "lossless-ctu16", x265: "pools=none:lossless=1:ctu=16", sps: { ctb: 16 }, pps: { bypass: 1 } },
  // Unreferenced B-frames in a second temporal sub-layer.
  { name: "sub-layers", x265: "pools=none:temporal-layers=1:bframes=3", vps: { sublayers: 2 },
    sps: { sublayers: 2, nesting: 0 } },
  { name: "tiles", x265: "pools=none", fill: ["--extra-tiles"], check: checkTiles },
];

/** ffmpeg's reading of each PPS (trace_headers), by pps id, its fields by name. */
function tracedPps(file: string): Map<number, Record<string, number>> {
  const { stderr } = ffmpeg(["-v", "info", "-i", file, "-c", "copy", "-bsf:v", "trace_headers", "-f", "null", "-"],
    `tracing ${file}`);
  const out = new Map<number, Record<string, number>>();
  let cur: Record<string, number> | null = null;
  for (const line of stderr.split("\n")) {
    const text = /^\[trace_headers @ [^\]]*\] (.*)$/.exec(line)?.[1];
    if (text === undefined) continue;
    // "16   pps_pic_parameter_set_id   1 = 0" (bit position, name, bits, value), or a section's title.
    const field = /^\d+\s+(\S+)\s+[01]+ = (-?\d+)$/.exec(text);
    if (!field) {
      cur = text === "Picture Parameter Set" ? {} : null;
    } else if (cur && field[1] && field[2]) {
      cur[field[1]] = Number(field[2]);
      if (field[1] === "pps_pic_parameter_set_id") out.set(Number(field[2]), cur);
    }
  }
  return out;
}

/** The tiles clip: ffmpeg must read back the tile layout of the two extra PPSs. */
function checkTiles(dst: string, lines: Replaced[]): void {
  expect(lines.filter((l) => l.kind === "xpps").map((l) => l.fields.id)).toEqual([62, 63]);
  const traced = tracedPps(dst);
  // 400x240 in 32x32 CTBs: 13 x 8, so 3 x 2 tiles.
  expect(traced.get(62)).toMatchObject({
    tiles_enabled_flag: 1, num_tile_columns_minus1: 2, num_tile_rows_minus1: 1, uniform_spacing_flag: 1,
    loop_filter_across_tiles_enabled_flag: 1,
  });
  expect(traced.get(63)).toMatchObject({
    tiles_enabled_flag: 1, num_tile_columns_minus1: 2, num_tile_rows_minus1: 1, uniform_spacing_flag: 0,
    "column_width_minus1[0]": 0, "column_width_minus1[1]": 1, "row_height_minus1[0]": 0,
    loop_filter_across_tiles_enabled_flag: 0,
  });
  // The rest of each extra PPS is the clip's own.
  const own = traced.get(0) ?? {};
  expect(Object.keys(own).length).toBeGreaterThan(20);
  for (const id of [62, 63]) {
    const t = traced.get(id) ?? {};
    for (const k of ["init_qp_minus26", "cu_qp_delta_enabled_flag", "sign_data_hiding_enabled_flag",
      "pps_loop_filter_across_slices_enabled_flag", "entropy_coding_sync_enabled_flag"])
      expect({ id, k, v: t[k] }).toEqual({ id, k, v: own[k] });
  }
}

describe("HEVC VPS/SPS/PPS from V4L2 controls", () => {
  const changed: string[] = [];

  for (const clip of CLIPS) {
    test(`${clip.name}: same frames after the parameter sets are rebuilt`, () => {
      const src = join(dir, `${clip.name}.hevc`);
      const dst = join(dir, `${clip.name}.out.hevc`);
      const params = [X265, clip.x265 ?? ""].filter(Boolean).join(":").replace("LISTS", join(dir, "lists.txt"));
      ffmpeg(["-v", "error", "-y", "-f", "lavfi", "-i", `testsrc2=size=${clip.size ?? "400x240"}:rate=25`,
        "-frames:v", "10", "-pix_fmt", clip.pixFmt ?? "yuv420p", "-c:v", "libx265", "-preset", "ultrafast",
        "-x265-params", params, "-fflags", "+bitexact", "-flags:v", "+bitexact", src], `encoding ${clip.name}`);
      const lines = spawn([bin, ...(clip.fill ?? []), src, dst], `hevc-params-fill ${clip.name}`)
        .trim().split("\n").map(parseLine);
      const of = (kind: Replaced["kind"]) => lines.filter((l) => l.kind === kind);
      for (const kind of ["vps", "sps", "pps"] as const)
        expect({ kind, n: of(kind).length }).toEqual({ kind, n: clip.sets ?? 1 });
      for (const l of of("vps")) expect(l.fields).toMatchObject(clip.vps ?? {});
      for (const l of of("sps")) expect(l.fields).toMatchObject(clip.sps ?? {});
      for (const l of of("pps")) expect(l.fields).toMatchObject(clip.pps ?? {});

      const want = frameMd5s(src);
      expect(want.md5s.length).toBe(10);
      // The synthesized SPS has no conformance window: crop as the original did.
      const sps = of("sps")[0]?.fields ?? {};
      const [w, h] = (clip.size ?? "400x240").split("x");
      const cropped = sps.crop_left || sps.crop_right || sps.crop_top || sps.crop_bottom;
      const got = frameMd5s(dst, cropped ? `${w}:${h}:${sps.crop_left}:${sps.crop_top}` : undefined);
      expect(got.errors).toBe("");
      expect(got.md5s).toEqual(want.md5s);
      clip.check?.(dst, lines);
      if (!readFileSync(src).equals(readFileSync(dst))) changed.push(clip.name);
    }, 120_000);
  }

  test("the rewritten streams are not copies", () => {
    // x265's SPS carries a VUI the synthesized one lacks, so all differ.
    expect(changed.length).toBe(CLIPS.length);
  });

  test("out-of-range control fields are refused", () => {
    const results = spawn([bin, "--invalid"], "hevc-params-fill --invalid").trim().split("\n").map((l) => {
      const words = l.split(" ");
      return { name: `${words[0]} ${words[1]}`, ret: Number(words[2]) };
    });
    expect(results.length).toBeGreaterThan(50);
    for (const { name, ret } of results) {
      // The legal cases show the writers do write; every other one is broken.
      if (name.endsWith("valid")) expect({ name, ret: ret > 0 }).toEqual({ name, ret: true });
      else expect({ name, ret }).toEqual({ name, ret: -1 });
    }
    const names = results.map((r) => r.name);
    for (const name of ["sps chroma_format_idc=2", "sps bit_depth=12", "sps num_short_term_ref_pic_sets=1",
      "sps num_long_term_ref_pics_sps=1", "vps num_short_term_ref_pic_sets=1", "pps tiles_one_tile"])
      expect(names).toContain(name);
  });
});
