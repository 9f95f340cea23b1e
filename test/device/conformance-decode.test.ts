// SPDX-License-Identifier: BSD-2-Clause
// `daedalusd decode`, the project's own client of the stateful node, on the
// public conformance streams in ../shared/vectors: the MD5 of its whole
// output must be the suite's reference wherever plain libavcodec (the
// ffmpeg command line, run here on the same vector) gets it, and on the
// vectors whose frame size changes, where the command line rescales and a
// client that takes SOURCE_CHANGE's native sizes is right. Among the
// handful: the streams that once came out wrong through the node (a
// reorder depth the SPS leaves unsaid; field pairs with frames flagged
// ERROR whose pictures are right). DAEDALUS_FLUSTER=handful (scripts/test,
// 6.12) or all (--full); unset, the file is skipped.
import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import { daedalusdDecode } from "./helpers";
import { ALL_VECTORS, haveVectors, suiteVectors, VECTORS, vectorsWanted, type Vector } from "./vectors";

interface Suite {
  name: string;
  handful: string[];
  /** Vectors the ffmpeg command line gets wrong and the node's own client must get right. */
  beyondPlain: string[];
}

const SUITES: Suite[] = [
  { name: "JVT-AVC_V1", handful: ["BA1_Sony_D", "MR1_BT_A"], beyondPlain: [] },
  {
    name: "JVT-FR-EXT",
    handful: ["FRExt_MMCO4_Sony_B", "FRExt4_Panasonic_B"],
    beyondPlain: [],
  },
  {
    name: "VP8-TEST-VECTORS",
    handful: ["vp80-00-comprehensive-001", "vp80-03-segmentation-1436"],
    beyondPlain: ["vp80-03-segmentation-1425", "vp80-03-segmentation-1436"],
  },
];

/** The daedalusd decode --format for each output format the suites use. */
const NODE_FORMAT: Record<string, string> = { yuv420p: "yuv420" };
const OUT = "/tmp/conformance-decode.yuv";

const md5 = (bytes: Uint8Array) => createHash("md5").update(bytes).digest("hex");

/** The MD5 of plain libavcodec's output of @v, as fluster's FFmpeg decoders take it. */
function plainMd5(v: Vector): string {
  const p = Bun.spawnSync(
    ["ffmpeg", "-v", "error", "-i", v.path, "-f", "rawvideo", "-pix_fmt", v.outputFormat, "-fps_mode", "passthrough", "-"],
    { stdout: "pipe", stderr: "pipe", timeout: 300_000 },
  );
  if (p.exitCode !== 0) throw new Error(`ffmpeg on ${v.name} failed: ${p.stderr.toString()}`);
  return md5(p.stdout);
}

/** The MD5 of `daedalusd decode`'s output of @v, or why there is none. */
function nodeMd5(v: Vector): string {
  const format = NODE_FORMAT[v.outputFormat];
  if (!format) throw new Error(`${v.name}: no node format for ${v.outputFormat}`);
  rmSync(OUT, { force: true });
  const r = daedalusdDecode(v.path, ["--format", format, "--output", OUT]);
  if (r.code !== 0) return `exit ${r.code}: ${r.err.trim().split("\n").at(-1)}`;
  return md5(readFileSync(OUT));
}

if (vectorsWanted && !haveVectors) console.log(`conformance-decode: skipped: no conformance vectors at ${VECTORS}`);

describe.skipIf(!vectorsWanted || !haveVectors)("daedalusd decode on the conformance vectors, through the stateful node", () => {
  for (const suite of SUITES) {
    test(
      `${suite.name}: right wherever plain libavcodec is, and on the size changes`,
      () => {
        const vectors = suiteVectors(suite.name).filter((v) => ALL_VECTORS || suite.handful.includes(v.name));
        expect(vectors.length).toBe(ALL_VECTORS ? suiteVectors(suite.name).length : suite.handful.length);
        const wrong: string[] = [];
        let plainRight = 0;
        let nodeRight = 0;
        for (const v of vectors) {
          const plain = plainMd5(v) === v.result;
          const node = nodeMd5(v);
          plainRight += Number(plain);
          nodeRight += Number(node === v.result);
          if (node !== v.result && (plain || suite.beyondPlain.includes(v.name))) wrong.push(`${v.name}: ${node}`);
        }
        console.log(
          `conformance ${suite.name}: daedalusd decode ${nodeRight}/${vectors.length}, plain libavcodec ${plainRight}/${vectors.length}`,
        );
        expect(plainRight).toBeGreaterThan(0);
        expect(wrong).toEqual([]);
      },
      3_600_000,
    );
  }
});
