// SPDX-License-Identifier: BSD-2-Clause
// v4l2-compliance 1.30 streaming real bitstreams through the node, one
// codec at a time: it streams the node's default OUTPUT format, so the
// daemon offers only the codec under test.
import { afterAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { basename, dirname } from "node:path";
import { hdrClips } from "../helpers/decode-clips";
import {
  COMPLIANCE_TIMEOUT,
  compliance130,
  complianceTotals,
  failLines,
  inVm,
  nodes,
  startDaemon,
  stopDaemon,
} from "./helpers";

const CONFIG = "/tmp/daedalusd-one-codec.json";

describe.skipIf(!inVm)("v4l2-compliance 1.30 -s --stream-from-hdr", () => {
  afterAll(async () => {
    await stopDaemon();
    await startDaemon();
  }, 60_000);

  for (const { clip, hdr } of inVm ? hdrClips() : []) {
    test(
      `${clip.codec} ${clip.width}x${clip.height}: streams with no failure`,
      async () => {
        await stopDaemon();
        writeFileSync(CONFIG, JSON.stringify({ decoder: { codecs: [clip.codec] } }));
        await startDaemon(["--config", CONFIG]);
        const r = compliance130(["-d", nodes().video, "-s", "--stream-from-hdr", `/mnt/${basename(hdr)}`], dirname(hdr));
        const totals = complianceTotals(r.out);
        console.log(`v4l2-compliance 1.30 -s ${clip.codec}: ${JSON.stringify(totals)}`);
        if (totals.failed) console.log(failLines(r.out).join("\n"));
        expect(r.out).toMatch(/Detected Stateful Decoder/);
        expect(r.out).toMatch(/test MMAP \(select, REQBUFS\): OK/);
        expect(totals.failed).toBe(0);
      },
      COMPLIANCE_TIMEOUT,
    );
  }
});
