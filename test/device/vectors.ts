// SPDX-License-Identifier: BSD-2-Clause
// The public conformance streams in ../shared/vectors (its README): test
// data beside the checkout, laid out as fluster reads them, each suite's
// JSON listing its vectors with the reference MD5 of the whole output.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { inVm, ROOT } from "./helpers";

export const VECTORS = join(ROOT, "..", "shared", "vectors");
export const haveVectors = existsSync(join(VECTORS, "suites"));

/** How many vectors a run takes: DAEDALUS_FLUSTER=handful (CI, 6.12) or all (--full); unset, none. */
export const VECTOR_MODE = process.env.DAEDALUS_FLUSTER ?? "";
/** Every vector of each suite (--full), not the handful. */
export const ALL_VECTORS = VECTOR_MODE === "all";
/** Whether this run takes vectors at all: in a guest, with DAEDALUS_FLUSTER set. */
export const vectorsWanted = inVm && (VECTOR_MODE === "handful" || ALL_VECTORS);

export interface Vector {
  name: string;
  /** The stream's path. */
  path: string;
  /** The MD5 of the whole decoded output, in outputFormat (FFmpeg's pix_fmt name). */
  result: string;
  outputFormat: string;
}

/** The vectors of @suite as its JSON lists them. */
export function suiteVectors(suite: string): Vector[] {
  const json = JSON.parse(readFileSync(join(VECTORS, "suites", `${suite}.json`), "utf8")) as {
    test_vectors: { name: string; input_file: string; result: string; output_format: string }[];
  };
  return json.test_vectors.map((v) => ({
    name: v.name,
    path: join(VECTORS, suite, v.name, v.input_file),
    result: v.result,
    outputFormat: v.output_format,
  }));
}
