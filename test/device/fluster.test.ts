// SPDX-License-Identifier: BSD-2-Clause
// fluster, the conformance runner drivers report with, on the public
// conformance streams in ../shared/vectors (its README) and on the suites
// made here in the shapes those lack (build/vectors,
// scripts/lib/gen-vectors.ts: references from plain libavcodec), through
// both nodes: GStreamer's v4l2codecs decoders (stateless), FFmpeg's *_v4l2m2m
// and GStreamer's v4l2*dec (stateful), each against the same program's
// own libavcodec decoder on the same vectors in the same run, every output
// checked by fluster against the suite's reference MD5. Every vector the
// plain decoder decodes right must decode right through the node.
// DAEDALUS_FLUSTER=handful runs a few vectors per suite (scripts/test, on
// 6.12), =all every vector (--full); unset, the file is skipped (a guest
// without fluster: arm64).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { loadStatelessNode, restoreModule, run } from "./helpers";
import {
  ALL_VECTORS, GENERATED_VECTORS, haveGenerated, haveVectors, suiteHome, suiteVectors, VECTORS, vectorsWanted,
} from "./vectors";

const REGISTRY = "/tmp/gst-registry-fluster.bin";

/** A client through one of the nodes, and the plain decoder it must match: fluster's names. */
interface Pair {
  node: string;
  plain: string;
  /**
   * Vectors the plain decoder decodes right and the client through the
   * node does not yet, each with why: they must still fail (a fix shows as
   * a failure here too, to be struck off), and no other may.
   */
  gaps?: Record<string, string>;
  /**
   * Vectors not given to the client at all, each with why: a client that
   * crashes into GStreamer's fault handler spins, and fluster, waiting on
   * its pipes, never comes back from its timeout. Reported with the gaps.
   */
  skip?: Record<string, string>;
}

interface Suite {
  name: string;
  /** Made here (build/vectors), not one of ../shared/vectors. */
  generated?: boolean;
  pairs: Pair[];
  /** The vectors run by default: a handful across the suite. */
  handful: string[];
}

// The stateful node's clients are matched with the same program's own
// decoder: FFmpeg's wrapper with the ffmpeg command line (which decodes
// ahead while it probes: FRExt_MMCO4_Sony_B), GStreamer's v4l2*dec with
// avdec_*.
const H264: Pair[] = [
  { node: "GStreamer-H.264-V4L2SL-Gst1.0", plain: "GStreamer-H.264-Libav-Gst1.0" },
  { node: "FFmpeg-H.264-h264_v4l2m2m", plain: "FFmpeg-H.264" },
  { node: "GStreamer-H.264-V4L2-Gst1.0", plain: "GStreamer-H.264-Libav-Gst1.0" },
];

const SUITES: Suite[] = [
  {
    name: "JVT-AVC_V1",
    pairs: H264,
    handful: ["BA1_Sony_D", "MIDR_MW_D", "SVA_BA1_B"],
  },
  {
    name: "JVT-FR-EXT",
    pairs: H264,
    // FRExt4_Panasonic_B: field pairs whose second field comes with another
    // PPS under the same id (one request per field: the PPS goes in again).
    // FRExt_MMCO4_Sony_B: no reorder depth in its SPS (the stateful node
    // takes its level's DPB size).
    handful: ["FRExt1_Panasonic_D", "HPCV_BRCM_A", "FRExt4_Panasonic_B", "FRExt_MMCO4_Sony_B"],
  },
  {
    name: "VP8-TEST-VECTORS",
    pairs: [
      {
        node: "GStreamer-VP8-V4L2SL-Gst1.0",
        plain: "GStreamer-VP8-Libav-Gst1.0",
        // GStreamer 1.22's VP8 base class takes a new size from ivfparse's caps
        // (set_format) before the key frame that brings it, so it never starts
        // a new sequence: the element keeps its old frame buffers and queues
        // bigger frames, which the node fails with ERROR, and renegotiating at
        // output then fails in the element itself.
        gaps: {
          "vp80-03-segmentation-1425": "the frame size changes mid-stream: GStreamer 1.22's v4l2slvp8dec does not renegotiate",
          "vp80-03-segmentation-1436": "the frame size changes mid-stream: GStreamer 1.22's v4l2slvp8dec does not renegotiate",
        },
      },
      { node: "FFmpeg-VP8-vp8_v4l2m2m", plain: "FFmpeg-VP8" },
      { node: "GStreamer-VP8-V4L2-Gst1.0", plain: "GStreamer-VP8-Libav-Gst1.0" },
    ],
    handful: ["vp80-00-comprehensive-001", "vp80-02-inter-1402", "vp80-03-segmentation-1401"],
  },
  {
    name: "DAEDALUS-H264",
    generated: true,
    pairs: H264,
    handful: ["mbaff-bff", "open-gop-joined", "intra-refresh-joined"],
  },
  {
    name: "DAEDALUS-H265",
    generated: true,
    pairs: [
      {
        node: "GStreamer-H.265-V4L2SL-Gst1.0",
        plain: "GStreamer-H.265-Libav-Gst1.0",
        skip: {
          // The same x265 stream without wavefronts decodes. The element
          // reads through a null pointer in its first slice (the kernel
          // logs "segfault at 0 ... in libgstv4l2codecs.so"), before it
          // queues any request.
          "main10-slices-wpp": "GStreamer 1.22's v4l2slh265dec crashes on wavefront entry points",
        },
      },
      {
        node: "GStreamer-H.265-V4L2-Gst1.0",
        plain: "GStreamer-H.265-Libav-Gst1.0",
        gaps: { "main10-slices-wpp": "GStreamer 1.22's v4l2h265dec does not negotiate 10-bit frames (P010): not-negotiated" },
      },
    ],
    // Not main10-slices-wpp: the crash leaves fluster waiting out its 300 s.
    handful: ["cra-joined", "temporal-layers"],
  },
  {
    name: "DAEDALUS-VP9",
    generated: true,
    pairs: [
      { node: "GStreamer-VP9-V4L2SL-Gst1.0", plain: "GStreamer-VP9-Libav-Gst1.0" },
      {
        node: "FFmpeg-VP9-vp9_v4l2m2m",
        plain: "FFmpeg-VP9",
        // Given these, it fails only after fluster's whole timeout (300 s).
        skip: {
          "p2-altref": "FFmpeg 5.1's wrapper has no 10-bit frame format (no P010 in its format table)",
          "p0-resize": "FFmpeg 5.1's wrapper waits for ever at a size change (README); plain FFmpeg rescales and fails it too",
        },
      },
    ],
    handful: ["p0-altref", "p2-altref", "p0-resize"],
  },
];

/**
 * Runs @decoders on @vectors of @suite, one job at a time (the guest has
 * two CPUs, and the node's contexts share the daemon); per decoder, each
 * vector's result ("Success", "Fail", "Error", "Timeout").
 */
function fluster(suite: string, decoders: string[], vectors: string[]): Map<string, Map<string, string>> {
  const out = mkdtempSync("/tmp/fluster-");
  const csv = join(out, "summary.csv");
  const { root } = suiteHome(suite);
  const r = run(
    [
      "fluster", "-ne", "-r", root, "-tsd", join(root, "suites"), "-o", out,
      "run", "-ts", suite, "-d", ...decoders, "-tv", ...vectors, "-j1", "-t", "300", "-f", "csv", "-so", csv,
    ],
    { timeoutMs: 3_600_000, env: { GST_REGISTRY: REGISTRY } },
  );
  if (!existsSync(csv)) throw new Error(`fluster wrote no summary (exit ${r.code}):\n${r.out}\n${r.err}`);
  // Rows: suite, decoders, "Vector,Result" pairs, then one row per vector with a pair per decoder.
  const rows = readFileSync(csv, "utf8").trim().split("\n").map((l) => l.split(","));
  rmSync(out, { recursive: true, force: true });
  const names = (rows[1] ?? []).filter((_, i) => i % 2 === 0);
  const results = new Map<string, Map<string, string>>();
  names.forEach((name, d) => {
    const m = new Map<string, string>();
    for (const row of rows.slice(3)) {
      const vector = row[2 * d];
      if (vector) m.set(vector, row[2 * d + 1] ?? "");
    }
    results.set(name, m);
  });
  return results;
}

if (vectorsWanted && !haveVectors) console.log(`fluster: the public suites skipped: no conformance vectors at ${VECTORS}`);
if (vectorsWanted && !Bun.which("fluster")) throw new Error("fluster is not installed (scripts/bootstrap installs it)");
// The host makes them before any guest starts: missing, the run is broken.
if (vectorsWanted && !haveGenerated) throw new Error(`no generated suites at ${GENERATED_VECTORS}: run bun test/helpers/decode-clips.ts`);

describe.skipIf(!vectorsWanted)("fluster on the conformance vectors, through both nodes", () => {
  beforeAll(async () => {
    await loadStatelessNode();
    rmSync(REGISTRY, { force: true });
  }, 60_000);

  afterAll(restoreModule, 60_000);

  for (const suite of SUITES.filter((s) => s.generated || haveVectors)) {
    test(
      `${suite.name}: every vector the plain decoders decode right decodes right through the nodes`,
      () => {
        const vectors = ALL_VECTORS ? suiteVectors(suite.name).map((v) => v.name) : suite.handful;
        // One fluster run per set of vectors: the decoders that take them all, then each that skips some.
        const results = new Map<string, Map<string, string>>();
        const whole = [...new Set(suite.pairs.flatMap((p) => (p.skip ? [p.plain] : [p.plain, p.node])))];
        for (const [name, m] of fluster(suite.name, whole, vectors)) results.set(name, m);
        for (const pair of suite.pairs.filter((p) => p.skip)) {
          const taken = vectors.filter((v) => !pair.skip?.[v]);
          const skipped = vectors.filter((v) => pair.skip?.[v]);
          const mine = taken.length ? fluster(suite.name, [pair.node], taken) : new Map<string, Map<string, string>>();
          const [name, m] = [...mine][0] ?? [pair.node, new Map<string, string>()];
          for (const v of skipped) m.set(v, "Skipped");
          results.set(name, m);
        }
        // fluster's summary cuts each name at its first ":", or, with none,
        // drops its last character: the longest name that begins the decoder's.
        const of = (decoder: string) =>
          [...results]
            .filter(([name]) => name && decoder.startsWith(name))
            .sort(([a], [b]) => b.length - a.length)[0]?.[1] ?? new Map<string, string>();
        const score = (m: Map<string, string>) => [...m.values()].filter((r) => r === "Success").length;
        const wrong: string[] = [];
        for (const pair of suite.pairs) {
          const plain = of(pair.plain);
          const node = of(pair.node);
          const gaps = { ...pair.gaps, ...pair.skip };
          console.log(
            `fluster ${suite.name}: ${pair.node} ${score(node)}/${vectors.length}, ` +
              `${pair.plain} ${score(plain)}/${vectors.length}`,
          );
          expect(plain.size).toBe(vectors.length);
          const lost = vectors.filter((v) => plain.get(v) === "Success" && node.get(v) !== "Success");
          for (const v of lost.filter((x) => gaps[x])) console.log(`  known gap: ${pair.node} ${v}: ${gaps[v]}`);
          wrong.push(...lost.filter((v) => !gaps[v]).map((v) => `${pair.node} ${v}: ${node.get(v)}`));
          const fixed = vectors.filter((v) => gaps[v] && node.get(v) === "Success");
          wrong.push(...fixed.map((v) => `${pair.node} ${v} passes now: strike it off the gaps`));
        }
        expect(wrong).toEqual([]);
      },
      3_600_000,
    );
  }
});
