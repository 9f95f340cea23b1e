// SPDX-License-Identifier: BSD-2-Clause
// fluster, the conformance runner stateless drivers report with, on the
// public conformance streams in ../shared/vectors (its README), through
// the stateless node: GStreamer's v4l2codecs decoders against GStreamer's
// libav decoders on the same vectors in the same run, each output checked
// by fluster against the suite's reference MD5. Every vector libav decodes
// right must decode right through the node. DAEDALUS_FLUSTER=handful runs a
// few vectors per suite (scripts/test, on 6.12), =all every vector
// (--full); unset, the file is skipped (a guest without fluster: arm64).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { inVm, loadStatelessNode, restoreModule, run } from "./helpers";
import { haveVectors, suiteVectors, VECTOR_MODE, VECTORS } from "./vectors";

const REGISTRY = "/tmp/gst-registry-fluster.bin";
const ALL = VECTOR_MODE === "all";

interface Suite {
  name: string;
  /** fluster's names for the node's decoder and libav's. */
  node: string;
  libav: string;
  /** The vectors run by default: a handful across the suite. */
  handful: string[];
  /**
   * Vectors libav decodes right and the node does not yet, each with why:
   * they must still fail (a fix shows as a failure here too, to be struck
   * off), and no other may.
   */
  gaps: Record<string, string>;
}

const SUITES: Suite[] = [
  {
    name: "JVT-AVC_V1",
    node: "GStreamer-H.264-V4L2SL-Gst1.0",
    libav: "GStreamer-H.264-Libav-Gst1.0",
    handful: ["BA1_Sony_D", "BAMQ1_JVC_C", "MIDR_MW_D", "NRF_MW_E", "SVA_BA1_B"],
    gaps: {},
  },
  {
    name: "JVT-FR-EXT",
    node: "GStreamer-H.264-V4L2SL-Gst1.0",
    libav: "GStreamer-H.264-Libav-Gst1.0",
    // FRExt4_Panasonic_B: field pairs whose second field comes with another
    // PPS under the same id (one request per field: the PPS goes in again).
    handful: ["FRExt1_Panasonic_D", "HCAFR1_HHI_C", "HPCV_BRCM_A", "HPCVMOLQ_BRCM_B", "FRExt3_Panasonic_E", "FRExt4_Panasonic_B"],
    gaps: {},
  },
  {
    name: "VP8-TEST-VECTORS",
    node: "GStreamer-VP8-V4L2SL-Gst1.0",
    libav: "GStreamer-VP8-Libav-Gst1.0",
    handful: ["vp80-00-comprehensive-001", "vp80-01-intra-1400", "vp80-02-inter-1402", "vp80-03-segmentation-1401", "vp80-05-sharpness-1428"],
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
];

/**
 * Runs @decoders on @vectors of @suite, one job at a time (the guest has
 * two CPUs, and the node's contexts share the daemon); per decoder, each
 * vector's result ("Success", "Fail", "Error", "Timeout").
 */
function fluster(suite: string, decoders: string[], vectors: string[]): Map<string, Map<string, string>> {
  const out = mkdtempSync("/tmp/fluster-");
  const csv = join(out, "summary.csv");
  const r = run(
    [
      "fluster", "-ne", "-r", VECTORS, "-tsd", join(VECTORS, "suites"), "-o", out,
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

const wanted = inVm && (VECTOR_MODE === "handful" || ALL);
if (wanted && !haveVectors) console.log(`fluster: skipped: no conformance vectors at ${VECTORS}`);
if (wanted && !Bun.which("fluster")) throw new Error("fluster is not installed (scripts/bootstrap installs it)");

describe.skipIf(!wanted || !haveVectors)("fluster on the conformance vectors, through the stateless node", () => {
  beforeAll(async () => {
    await loadStatelessNode();
    rmSync(REGISTRY, { force: true });
  }, 60_000);

  afterAll(restoreModule, 60_000);

  for (const suite of SUITES) {
    test(
      `${suite.name}: every vector libav decodes right decodes right through the node`,
      () => {
        const vectors = ALL ? suiteVectors(suite.name).map((v) => v.name) : suite.handful;
        const results = fluster(suite.name, [suite.libav, suite.node], vectors);
        // fluster's summary cuts each name at its first ":", or, with none, drops its last character.
        const of = (decoder: string) =>
          [...results].find(([name]) => name && decoder.startsWith(name))?.[1] ?? new Map<string, string>();
        const libav = of(suite.libav);
        const node = of(suite.node);
        const score = (m: Map<string, string>) => [...m.values()].filter((r) => r === "Success").length;
        console.log(
          `fluster ${suite.name}: ${suite.node} ${score(node)}/${vectors.length}, ` +
            `${suite.libav} ${score(libav)}/${vectors.length}`,
        );
        expect(libav.size).toBe(vectors.length);
        const lost = vectors.filter((v) => libav.get(v) === "Success" && node.get(v) !== "Success");
        for (const v of lost.filter((x) => suite.gaps[x])) console.log(`  known gap: ${v}: ${suite.gaps[v]}`);
        expect(lost.filter((v) => !suite.gaps[v]).map((v) => `${v}: ${node.get(v)}`)).toEqual([]);
        const fixed = vectors.filter((v) => suite.gaps[v] && node.get(v) === "Success");
        expect(fixed.map((v) => `${v} passes now: strike it off the gaps`)).toEqual([]);
      },
      3_600_000,
    );
  }
});
