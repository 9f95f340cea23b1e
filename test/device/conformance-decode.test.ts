// SPDX-License-Identifier: BSD-2-Clause
// Clients of the stateful node that fluster 0.1.0 cannot run, on the
// conformance vectors (the public ones in ../shared/vectors and the suites
// made here, build/vectors): `daedalusd decode`, the project's own client,
// on every suite (it takes AV1, MPEG-2 and 10-bit), and FFmpeg's
// hevc_v4l2m2m and mpeg2_v4l2m2m, which fluster has no decoder entry for,
// run with fluster's own ffmpeg command. The MD5 of each client's whole
// output must be the suite's reference wherever plain libavcodec (the
// ffmpeg command line as fluster runs it, on the same vector in the same
// run) gets it, and `daedalusd decode` must also be right where the frame
// size changes: the command line rescales to the first size, a client that
// takes SOURCE_CHANGE's native sizes does not. Among the handful: the
// streams that once came out wrong through the node (a reorder depth the
// SPS leaves unsaid; field pairs with frames flagged ERROR whose pictures
// are right). DAEDALUS_FLUSTER=handful (scripts/test, 6.12) or all
// (--full); unset, the file is skipped.
import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import { flusterFfmpegArgs } from "../../scripts/lib/gen-vectors";
import { daedalusdDecode } from "./helpers";
import {
  ALL_VECTORS, GENERATED_VECTORS, haveGenerated, haveVectors, suiteVectors, VECTORS, vectorsWanted, type Vector,
} from "./vectors";

/** A client: its name, as fluster would give it, and the MD5 of its whole output of a vector, or why there is none. */
interface Client {
  name: string;
  md5: (v: Vector) => string;
  /** Whether it can take the vector's format at all (FFmpeg 5.1's wrapper: no 10-bit). */
  takes?: (v: Vector) => boolean;
}

interface Suite {
  name: string;
  generated?: boolean;
  clients: Client[];
  handful: string[];
  /** Vectors the ffmpeg command line gets wrong (it rescales) and `daedalusd decode` must get right. */
  beyondPlain: string[];
}

const OUT = "/tmp/conformance-decode.yuv";
const md5 = (bytes: Uint8Array) => createHash("md5").update(bytes).digest("hex");

/** The ffmpeg command as fluster's FFmpeg decoders run it, through @decoder if given; the MD5 of its output, or why none. */
function ffmpegMd5(v: Vector, decoder?: string): string {
  const p = Bun.spawnSync(["ffmpeg", "-v", "error", ...flusterFfmpegArgs(v.path, v.outputFormat, { decoder })], {
    stdout: "pipe", stderr: "pipe", timeout: 300_000,
  });
  if (p.exitCode !== 0) return `ffmpeg exit ${p.exitCode}: ${p.stderr.toString().trim().split("\n").at(-1)}`;
  return md5(p.stdout);
}

/**
 * P010 frames of @width x @height (10 bits at the top of 16, chroma
 * interleaved) as yuv420p10le (at the bottom, planar), the suites' format.
 */
function p010ToYuv420p10(p010: Uint8Array, width: number, height: number): Uint8Array {
  const luma = width * height;
  const frame = luma * 3;
  if (!frame || p010.length % frame) throw new Error(`${p010.length} bytes are no whole number of ${width}x${height} P010 frames`);
  const src = new Uint16Array(p010.buffer, p010.byteOffset, p010.length / 2);
  const dst = new Uint16Array(src.length);
  for (let f = 0; f < src.length; f += luma * 3 / 2) {
    for (let i = 0; i < luma; i++) dst[f + i] = (src[f + i] ?? 0) >> 6;
    const quarter = luma / 4;
    for (let i = 0; i < quarter; i++) {
      dst[f + luma + i] = (src[f + luma + 2 * i] ?? 0) >> 6;
      dst[f + luma + quarter + i] = (src[f + luma + 2 * i + 1] ?? 0) >> 6;
    }
  }
  return new Uint8Array(dst.buffer);
}

const daedalusd: Client = {
  name: "daedalusd decode",
  md5: (v) => {
    const tenBit = v.outputFormat === "yuv420p10le";
    if (!tenBit && v.outputFormat !== "yuv420p") throw new Error(`${v.name}: no node format for ${v.outputFormat}`);
    rmSync(OUT, { force: true });
    const r = daedalusdDecode(v.path, ["--format", tenBit ? "p010" : "yuv420", "--output", OUT]);
    if (r.code !== 0) return `exit ${r.code}: ${r.err.trim().split("\n").at(-1)}`;
    const out = new Uint8Array(readFileSync(OUT));
    if (!tenBit) return md5(out);
    const formats = (JSON.parse(r.out) as { formats: { visible: { width: number; height: number } }[] }).formats;
    const [only] = formats;
    if (formats.length !== 1 || !only) return `${formats.length} frame formats: the test converts one`;
    return md5(p010ToYuv420p10(out, only.visible.width, only.visible.height));
  },
};

/** FFmpeg's wrapper of the stateful node for a codec fluster 0.1.0 has no entry for, as fluster would run it. */
const wrapper = (name: string, decoder: string): Client => ({
  name,
  md5: (v) => ffmpegMd5(v, decoder),
  takes: (v) => v.outputFormat === "yuv420p",
});

const SUITES: Suite[] = [
  { name: "JVT-AVC_V1", clients: [daedalusd], handful: ["BA1_Sony_D", "MR1_BT_A"], beyondPlain: [] },
  { name: "JVT-FR-EXT", clients: [daedalusd], handful: ["FRExt_MMCO4_Sony_B", "FRExt4_Panasonic_B"], beyondPlain: [] },
  {
    name: "VP8-TEST-VECTORS",
    clients: [daedalusd],
    handful: ["vp80-00-comprehensive-001", "vp80-03-segmentation-1436"],
    beyondPlain: ["vp80-03-segmentation-1425", "vp80-03-segmentation-1436"],
  },
  { name: "DAEDALUS-H264", generated: true, clients: [daedalusd], handful: ["mbaff-tff", "open-gop-joined"], beyondPlain: [] },
  {
    name: "DAEDALUS-H265",
    generated: true,
    clients: [daedalusd, wrapper("FFmpeg-H.265-hevc_v4l2m2m", "hevc_v4l2m2m")],
    handful: ["cra-rasl", "temporal-layers", "main10-slices-wpp"],
    beyondPlain: [],
  },
  { name: "DAEDALUS-VP9", generated: true, clients: [daedalusd], handful: ["p2-altref", "p0-resize"], beyondPlain: ["p0-resize"] },
  { name: "DAEDALUS-AV1", generated: true, clients: [daedalusd], handful: ["tiles-2x2", "film-grain"], beyondPlain: [] },
  {
    name: "DAEDALUS-MPEG2",
    generated: true,
    clients: [daedalusd, wrapper("FFmpeg-MPEG2-mpeg2_v4l2m2m", "mpeg2_v4l2m2m")],
    handful: ["interlaced-tff", "interlaced-bff"],
    beyondPlain: [],
  },
];

if (vectorsWanted && !haveVectors) console.log(`conformance-decode: the public suites skipped: no conformance vectors at ${VECTORS}`);
if (vectorsWanted && !haveGenerated) throw new Error(`no generated suites at ${GENERATED_VECTORS}: run bun test/helpers/decode-clips.ts`);

describe.skipIf(!vectorsWanted)("the node's clients beyond fluster on the conformance vectors, through the stateful node", () => {
  for (const suite of SUITES.filter((s) => s.generated || haveVectors)) {
    test(
      `${suite.name}: ${suite.clients.map((c) => c.name).join(", ")}: right wherever plain libavcodec is, and on the size changes`,
      () => {
        const vectors = suiteVectors(suite.name).filter((v) => ALL_VECTORS || suite.handful.includes(v.name));
        expect(vectors.length).toBe(ALL_VECTORS ? suiteVectors(suite.name).length : suite.handful.length);
        const plain = new Map(vectors.map((v) => [v.name, ffmpegMd5(v) === v.result]));
        const plainRight = [...plain.values()].filter(Boolean).length;
        const wrong: string[] = [];
        for (const client of suite.clients) {
          const taken = vectors.filter((v) => client.takes?.(v) ?? true);
          let right = 0;
          for (const v of taken) {
            const got = client.md5(v);
            right += Number(got === v.result);
            const owed = plain.get(v.name) || (client === daedalusd && suite.beyondPlain.includes(v.name));
            if (got !== v.result && owed) wrong.push(`${client.name} ${v.name}: ${got}`);
          }
          console.log(
            `conformance ${suite.name}: ${client.name} ${right}/${taken.length}` +
              `${taken.length < vectors.length ? ` (of ${vectors.length}: the rest are 10-bit)` : ""}, plain libavcodec ${plainRight}/${vectors.length}`,
          );
        }
        expect(plainRight).toBeGreaterThan(0);
        expect(wrong).toEqual([]);
      },
      3_600_000,
    );
  }
});
