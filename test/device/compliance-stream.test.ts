// SPDX-License-Identifier: BSD-2-Clause
// v4l2-compliance 1.30 streaming real bitstreams through the node, one
// codec at a time: it streams the node's default OUTPUT format, so the
// daemon offers only the codec under test.
import { afterAll, describe, expect, test } from "bun:test";
import { basename, dirname } from "node:path";
import { hdrClips } from "../helpers/decode-clips";
import { COMPLIANCE_TIMEOUT, compliance130, inVm, nodes, reduced, reportCompliance, restartDaemon } from "./helpers";

/** Reduced: a start-code codec and a frame-per-buffer one. */
const CLIPS = inVm ? hdrClips().filter(({ clip }) => !reduced || clip.codec === "h264" || clip.codec === "vp9") : [];

describe.skipIf(!inVm)("v4l2-compliance 1.30 -s --stream-from-hdr", () => {
  afterAll(() => restartDaemon(), 60_000);

  for (const { clip, hdr } of CLIPS) {
    test(
      `${clip.codec} ${clip.width}x${clip.height}: streams with no failure`,
      async () => {
        await restartDaemon([clip.codec]);
        const r = compliance130(["-d", nodes().video, "-s", "--stream-from-hdr", `/mnt/${basename(hdr)}`], dirname(hdr));
        const totals = reportCompliance(`v4l2-compliance 1.30 -s ${clip.codec}`, r.out);
        expect(r.out).toMatch(/Detected Stateful Decoder/);
        expect(r.out).toMatch(/test MMAP \(select, REQBUFS\): OK/);
        expect(totals.failed).toBe(0);
      },
      COMPLIANCE_TIMEOUT,
    );
  }
});
