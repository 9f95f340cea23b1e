// SPDX-License-Identifier: BSD-2-Clause
// Firefox's own V4L2 probe: Firefox decides whether to decode through a
// V4L2 decoder by running its v4l2test on the node, and trusts nothing
// else. Debian builds it for ARM only: scripts/arm64-root takes the real
// binary out of the arm64 firefox-esr package, so this runs in the arm64
// guests and says so elsewhere.
import { describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { inVm, nodes, run } from "./helpers";

const V4L2TEST = "/usr/lib/firefox-esr/v4l2test";
const present = inVm && existsSync(V4L2TEST);
if (inVm && !present) console.log(`firefox: no ${V4L2TEST} here (Debian ships it for ARM only); skipped`);

/** v4l2test's answers: each V4L2_* key on a line of its own, its value on the next. */
function probe(): Map<string, string> {
  const r = run([V4L2TEST, "-d", nodes().video]);
  if (r.code !== 0) throw new Error(`v4l2test failed (${r.code}): ${r.out}${r.err}`);
  const lines = r.out.split("\n").map((l) => l.trim());
  const answers = new Map<string, string>();
  lines.forEach((l, i) => {
    if (/^V4L2_\w+$/.test(l)) answers.set(l, lines[i + 1] ?? "");
  });
  return answers;
}

describe.skipIf(!present)("Firefox's v4l2test", () => {
  test("accepts the node: supported, multi-planar, NV12 out, the codecs in", () => {
    const p = probe();
    expect(p.get("V4L2_SUPPORTED")).toBe("TRUE");
    expect(p.get("V4L2_MPLANE")).toBe("TRUE");
    const capture = (p.get("V4L2_CAPTURE_FMTS") ?? "").split(/\s+/);
    const output = (p.get("V4L2_OUTPUT_FMTS") ?? "").split(/\s+/);
    expect(p.get("V4L2_SPLANE")).toBe("FALSE");
    expect(capture).toContain("NV12");
    for (const fourcc of ["H264", "HEVC", "VP80", "VP90"]) expect(output).toContain(fourcc);
  });
});
