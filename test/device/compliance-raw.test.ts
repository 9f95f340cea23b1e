// SPDX-License-Identifier: BSD-2-Clause
// v4l2-compliance 1.30 streaming raw elementary streams with plain
// --stream-from: it fills every bitstream buffer whole (1 MiB) and starts
// the file again at its end, so frames are split wherever a buffer ends,
// never on an access unit, and the last partial buffer's worth of the file
// is dropped at each wrap. Only the byte-stream formats (H.264, HEVC,
// MPEG-2: V4L2_FMT_FLAG_CONTINUOUS_BYTESTREAM) take that; VP8, VP9 and AV1
// want one frame per buffer, and arbitrary 1 MiB cuts of an IVF file are
// no stream of theirs (the per-frame case is compliance-stream.test.ts, and
// no v4l2-compliance release knows AV1's stateful fourcc at all).
import { afterAll, describe, expect, test } from "bun:test";
import { statSync } from "node:fs";
import { basename, dirname } from "node:path";
import { rawChunkClips } from "../helpers/decode-clips";
import { COMPLIANCE_TIMEOUT, compliance130, inVm, minimal, nodes, reportCompliance, restartDaemon } from "./helpers";

/** Bitstream buffers each streaming test fills: 1 MiB each, more than any clip holds. */
const BUFFERS = 4;
/** Minimal runs (each run sleeps 16 s in v4l2-compliance's blocking-wait test) stream H.264 alone. */
const CLIPS = inVm ? rawChunkClips().filter((c) => !minimal || c.codec === "h264") : [];

describe.skipIf(!inVm)("v4l2-compliance 1.30 -s --stream-from (raw chunks)", () => {
  afterAll(() => restartDaemon(), 60_000);

  for (const clip of CLIPS) {
    test(
      `${clip.codec} ${clip.width}x${clip.height}: streams with no failure`,
      async () => {
        // More than two buffers' worth (frames cut inside the stream), less
        // than BUFFERS (the file wraps within each streaming test).
        expect(statSync(clip.path).size).toBeGreaterThan(2 * 1024 * 1024);
        expect(statSync(clip.path).size).toBeLessThan(BUFFERS * 1024 * 1024);
        // It streams the node's default OUTPUT format: the daemon offers only this codec.
        await restartDaemon([clip.codec]);
        const r = compliance130(
          ["-d", nodes().video, `-s${BUFFERS}`, "--stream-from", `/mnt/${basename(clip.path)}`],
          dirname(clip.path),
        );
        const totals = reportCompliance(`v4l2-compliance 1.30 -s --stream-from ${clip.codec}`, r.out);
        expect(totals.failed).toBe(0);
        // Compact checks: a failed toMatch would print all of the output again.
        expect(r.out.includes("Detected Stateful Decoder")).toBe(true);
        expect(r.out.includes("test MMAP (select, REQBUFS): OK")).toBe(true);
      },
      COMPLIANCE_TIMEOUT,
    );
  }
});
