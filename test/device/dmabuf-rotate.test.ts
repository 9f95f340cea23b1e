// SPDX-License-Identifier: BSD-2-Clause
// Imported dmabufs on CAPTURE, as Chromium uses them: it allocates its
// frame buffers with GBM and queues whichever is free, so a buffer index
// carries a different dmabuf from one QBUF to the next. vb2 attaches the
// dmabuf queued; frames must land in it, not in one the daemon mapped for
// that index before. test/c/m2m-seq.c rotates more dmabufs (exported by a
// second handle of the node, so from the memory the node's CAPTURE queue
// uses: CMA on a Pi) than there are buffers, and reads each frame from the
// dmabuf it queued. GStreamer's decoder with capture-io-mode=dmabuf-import
// does the same with the dmabufs of a pool downstream hands it
// (test/c/gst-dmabuf-import.c); that client is built for x86 only. A
// dmabuf the daemon cannot map for writing comes back flagged ERROR.
import { beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Clip } from "../../scripts/lib/clips";
import { importClip } from "../helpers/decode-clips";
import { ffmpegFrameMd5s, inVm, nodes, run } from "./helpers";
import { INIT, picture, type RefFrame, SEQ_TIMEOUT, seq, seqSetup } from "./m2m-seq";

let clip: Clip;
let ref: RefFrame[];

/** More dmabufs than the CAPTURE buffers the clip asks for. */
const DMABUFS = 24;

describe.skipIf(!inVm)("rotating imported dmabufs on CAPTURE", () => {
  beforeAll(async () => {
    ({ clip, ref } = await seqSetup());
  }, 120_000);

  test(`${DMABUFS} dmabufs queued in turn on fewer buffers: every frame is in the dmabuf queued`, () => {
    const t = seq(clip, [...INIT, `setup:dmabuf:${DMABUFS}`, `feed:0:${clip.frames}`, "stop", "last"]);
    const setup = t.lineStarting("setup ")[0] ?? "";
    expect(setup).toEndWith(" dmabuf");
    const buffers = Number(setup.match(/ buffers (\d+) /)?.[1]);
    expect(buffers).toBeLessThan(DMABUFS);
    expect(picture(t.frames())).toEqual(ref);
    expect(t.lineStarting("frame-error")).toEqual([]);
    expect(t.results("dqbuf-after-last").at(-1)).toBe("EPIPE");
  }, SEQ_TIMEOUT);

  test("the same across a seek, which the daemon answers by unmapping", () => {
    const t = seq(clip, [
      ...INIT, `setup:dmabuf:${DMABUFS}`, "feed:0:20", "frames:5", "streamoff-out", "streamoff-cap",
      "streamon-cap", "streamon-out", "feed:20:40", "stop", "last",
    ]);
    const after = t.from("streamoff-out").frames();
    expect(picture(after)).toEqual(ref.filter((f) => f.au >= 20));
    expect(picture(t.before("streamoff-out").frames())).toEqual(ref.slice(0, t.before("streamoff-out").frames().length));
  }, SEQ_TIMEOUT);

  // A dmabuf exported read-only cannot be mapped for writing (EACCES): the
  // daemon gives such a buffer back flagged ERROR at once, not after the
  // watchdog's seconds, and the picture goes to the next buffer queued.
  test("read-only dmabufs come back flagged ERROR at once; every picture lands in the others", () => {
    const readOnly = 4;
    const t = seq(clip, [...INIT, `setup:dmabuf:${DMABUFS}:${readOnly}`, `feed:0:${clip.frames}`, "stop", "last"]);
    const errors = t.lineStarting("frame-error ").map((l) => Number(l.split(" ")[4]));
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.filter((d) => d >= readOnly)).toEqual([]);
    expect(picture(t.frames())).toEqual(ref);
    expect(t.results("dqbuf-after-last").at(-1)).toBe("EPIPE");
  }, SEQ_TIMEOUT);

  const gst = join(process.env.DAEDALUS_TEST_CLIENTS ?? "", "gst-dmabuf-import");
  test.skipIf(!existsSync(gst))("GStreamer, capture-io-mode=dmabuf-import: its pool's dmabufs get the frames", () => {
    const clip = importClip();
    const pipeline = `filesrc location=${clip.path} ! h264parse ! v4l2h264dec capture-io-mode=dmabuf-import ! ` +
      "video/x-raw,format=NV12 ! fakesink name=sink";
    const r = run([gst, nodes().video, pipeline], { timeoutMs: SEQ_TIMEOUT });
    expect(r.code, r.err).toBe(0);
    const frames = r.out.split("\n").filter((l) => l.startsWith("frame ")).map((l) => l.split(" "));
    expect(frames.map((f) => f[1])).toEqual(ffmpegFrameMd5s(["-i", clip.path, "-pix_fmt", "nv12"]));
    // Every frame came in one of the pool's dmabufs, and the pool held more
    // of them than the decoder has buffers (GStreamer adds its own count).
    const fds = new Set(frames.map((f) => Number(f[2])));
    expect([...fds].every((fd) => fd >= 0)).toBe(true);
    const made = Number(r.out.match(/^dmabufs (\d+)$/m)?.[1]);
    expect(fds.size).toBeGreaterThan(8);
    expect(made).toBeGreaterThanOrEqual(fds.size);
  }, SEQ_TIMEOUT);
});
