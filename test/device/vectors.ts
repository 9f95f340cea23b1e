// SPDX-License-Identifier: BSD-2-Clause
// The conformance vectors: the public streams in ../shared/vectors (its
// README), and the suites made here in the shapes those lack
// (scripts/lib/gen-vectors.ts, under build/vectors). Both are laid out as
// fluster reads them, each suite's JSON listing its vectors with the
// reference MD5 of the whole output.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { GENERATED_VECTORS, NON_FLUSTER_SUITES } from "../../scripts/lib/gen-vectors";
import { inVm, ROOT } from "./helpers";

export const VECTORS = join(ROOT, "..", "shared", "vectors");
export const haveVectors = existsSync(join(VECTORS, "suites"));
export { GENERATED_VECTORS };
/** Made on the host before the guests start (test/helpers/decode-clips.ts). */
export const haveGenerated = existsSync(join(GENERATED_VECTORS, "suites"));

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

/** Where @suite is: the fluster resources root that holds it and its JSON file. */
export function suiteHome(suite: string): { root: string; json: string } {
  for (const root of [VECTORS, GENERATED_VECTORS]) {
    for (const dir of ["suites", NON_FLUSTER_SUITES]) {
      const json = join(root, dir, `${suite}.json`);
      if (existsSync(json)) return { root, json };
    }
  }
  throw new Error(`no suite ${suite} in ${VECTORS} or ${GENERATED_VECTORS}`);
}

/** The vectors of @suite as its JSON lists them. */
export function suiteVectors(suite: string): Vector[] {
  const { root, json } = suiteHome(suite);
  const parsed = JSON.parse(readFileSync(json, "utf8")) as {
    test_vectors: { name: string; input_file: string; result: string; output_format: string }[];
  };
  return parsed.test_vectors.map((v) => ({
    name: v.name,
    path: join(root, suite, v.name, v.input_file),
    result: v.result,
    outputFormat: v.output_format,
  }));
}
