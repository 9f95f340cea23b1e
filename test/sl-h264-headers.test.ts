// SPDX-License-Identifier: BSD-2-Clause
// A stateless H.264 client gives the SPS and PPS only as V4L2 controls; the
// daemon rebuilds them as NAL units for libavcodec
// (c/daemon/sl-h264-headers.c, docs/stateless-design.md 4.2). Here
// test/c/h264-params-fill.c plays the client: it parses the parameter sets
// of clips x264 makes into the control structs, has the writers rebuild
// them, and swaps them into the stream. Decoding the rewritten stream must
// give the same pictures, frame by frame. Built with AddressSanitizer and
// UBSan, so a read or write out of bounds fails the run too.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildSanitized, runSanitized } from "./helpers/sanitized-c";

let dir = "";
let bin = "";

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "daedalus-sl-h264-"));
  bin = buildSanitized(dir, "h264-params-fill", ["c/daemon/sl-h264-headers.c", "c/daemon/bits.c"]);
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const spawn = runSanitized;

/** Each decoded frame's MD5, in output order. */
function frameMd5s(file: string): string[] {
  const out = spawn(["ffmpeg", "-v", "error", "-i", file, "-f", "framemd5", "-"], `ffmpeg decoding ${file}`);
  return out.split("\n").filter((l) => l && !l.startsWith("#")).map((l) => l.split(",").at(-1)?.trim() ?? "");
}

interface Replaced {
  kind: "sps" | "pps";
  fields: Record<string, number>;
}

/** "sps id 0 in 24 bytes out 9 bytes profile 100 poc 0 field 0 mbaff 0" and the like. */
function parseLine(line: string): Replaced {
  const [kind, ...words] = line.split(" ").filter((w) => w !== "bytes");
  if (kind !== "sps" && kind !== "pps") throw new Error(`unexpected line: ${line}`);
  const fields: Record<string, number> = {};
  for (let i = 0; i + 1 < words.length; i += 2) fields[words[i] ?? ""] = Number(words[i + 1]);
  return { kind, fields };
}

// Asymmetric lists (x264 takes them in zig-zag order), so a transposed scan
// would change the pictures; the JVT defaults are symmetric and would not.
const ramp = (n: number, from: number, step: number) =>
  Array.from({ length: n }, (_, k) => from + step * k).join(",");
const CUSTOM_CQM = [
  `cqm4iy=${ramp(16, 4, 3)}`, `cqm4ic=${ramp(16, 9, 2)}`, `cqm4py=${ramp(16, 60, -3)}`,
  `cqm4pc=${ramp(16, 20, 1)}`, `cqm8i=${ramp(64, 6, 1)}`, `cqm8p=${ramp(64, 90, -1)}`,
].join(":");

interface Clip {
  name: string;
  args: string[];
  /** What the SPS/PPS lines must show, so the feature was really exercised. */
  sps?: Record<string, number>;
  pps?: Record<string, number>;
}

const CLIPS: Clip[] = [
  // x264 picks POC type 2 when there are no B-frames.
  { name: "baseline", args: ["-profile:v", "baseline"], sps: { profile: 66, poc: 2 } },
  // -g 8: SPS and PPS again at each IDR.
  { name: "main-cabac-bframes", args: ["-profile:v", "main", "-coder", "1", "-bf", "3", "-g", "8"],
    sps: { profile: 77, poc: 0 } },
  { name: "high-8x8", args: ["-profile:v", "high", "-x264-params", "8x8dct=1"], sps: { profile: 100 }, pps: { matrix: 0 } },
  { name: "high-cqm-jvt", args: ["-profile:v", "high", "-x264-params", "cqm=jvt"], pps: { matrix: 1 } },
  { name: "high-cqm-custom", args: ["-profile:v", "high", "-x264-params", CUSTOM_CQM], pps: { matrix: 1 } },
  { name: "mbaff", args: ["-profile:v", "high", "-x264-params", "interlaced=1"], sps: { field: 1, mbaff: 1 } },
  { name: "high10", args: ["-profile:v", "high10", "-pix_fmt", "yuv420p10le"], sps: { profile: 110 } },
  // 4:4:4 with lists: six 8x8 lists in the PPS.
  { name: "high444-cqm", args: ["-profile:v", "high444", "-pix_fmt", "yuv444p", "-x264-params", CUSTOM_CQM],
    sps: { profile: 244 }, pps: { matrix: 1 } },
];

describe("H.264 SPS/PPS from V4L2 controls", () => {
  const changed: string[] = [];

  for (const clip of CLIPS) {
    test(`${clip.name}: same frames after the parameter sets are rebuilt`, () => {
      const src = join(dir, `${clip.name}.h264`);
      const dst = join(dir, `${clip.name}.out.h264`);
      spawn(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=128x96:rate=25", "-frames:v", "16",
        "-c:v", "libx264", ...clip.args, src], `ffmpeg encoding ${clip.name}`);
      const lines = spawn([bin, src, dst], `h264-params-fill ${clip.name}`).trim().split("\n").map(parseLine);
      const sps = lines.filter((l) => l.kind === "sps");
      const pps = lines.filter((l) => l.kind === "pps");
      expect(sps.length).toBeGreaterThan(0);
      expect(pps.length).toBeGreaterThan(0);
      for (const l of sps) expect(l.fields).toMatchObject(clip.sps ?? {});
      for (const l of pps) expect(l.fields).toMatchObject(clip.pps ?? {});
      const want = frameMd5s(src);
      expect(want.length).toBeGreaterThan(0);
      expect(frameMd5s(dst)).toEqual(want);
      if (!readFileSync(src).equals(readFileSync(dst))) changed.push(clip.name);
    }, 120_000);
  }

  test("the rewritten streams are not copies", () => {
    // x264's SPS carries a VUI the synthesized one lacks, so all differ.
    expect(changed.length).toBeGreaterThan(0);
  });

  test("out-of-range control fields are refused", () => {
    const results = spawn([bin, "--invalid"], "h264-params-fill --invalid").trim().split("\n").map((l) => {
      const words = l.split(" ");
      return { name: `${words[0]} ${words[1]}`, ret: Number(words[2]) };
    });
    expect(results.length).toBeGreaterThan(20);
    for (const { name, ret } of results) {
      // The legal cases show the writers do write; every other one is broken.
      if (name === "sps valid" || name === "pps valid" || name === "pps high10_pic_init_qp_minus26=-38")
        expect({ name, ret: ret > 0 }).toEqual({ name, ret: true });
      else expect({ name, ret }).toEqual({ name, ret: -1 });
    }
    expect(results.map((r) => r.name)).toContain("sps log2_max_frame_num_minus4=13");
    expect(results.map((r) => r.name)).toContain("sps pic_order_cnt_type=3");
    expect(results.map((r) => r.name)).toContain("pps num_slice_groups_minus1=1");
  });
});
