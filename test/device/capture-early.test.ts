// SPDX-License-Identifier: BSD-2-Clause
// A client that sets CAPTURE up before the stream is parsed
// (dev-decoder.rst, Initialization, step 4's note: it gives the coded size
// on OUTPUT and goes on to Capture Setup; "if the values configured by the
// client do not match those parsed by the decoder, a Dynamic Resolution
// Change will be triggered"). FFmpeg's *_v4l2m2m works this way. The
// context pauses its frame buffers when the daemon describes the stream;
// neither case may leave it paused with nothing that tells the client to
// answer (issue 15, point 5):
// - the client's format is the stream's: decoding goes on in its buffers;
// - a larger one: a dynamic change (LAST, SOURCE_CHANGE), and START says
//   the buffers fit (Capture Setup, step 6), so they are used as they are,
//   laid out in the stream's format.
// m2m-seq prints "timeout" and fails the test when nothing comes for 30 s.
import { beforeAll, describe, expect, test } from "bun:test";
import type { Clip } from "../../scripts/lib/clips";
import { inVm } from "./helpers";
import { picture, type RefFrame, SEQ_TIMEOUT, seq, seqSetup, type Trace } from "./m2m-seq";

let clip: Clip;
let ref: RefFrame[];

/** Initialization with the coded size given, then Capture Setup at once: @buffers in G_FMT's format. */
const early = (width: number, height: number, buffers: number) => [
  `fmt-out:${width}:${height}`, "reqbufs-out:8", "streamon-out", `reqbufs-cap:${buffers}`, "streamon-cap",
];

/** The "last" lines of buffers dequeued before the client's own STOP. */
const lastBeforeStop = (t: Trace) => t.before("stop").lineStarting("last ");

describe.skipIf(!inVm)("CAPTURE set up before the stream is parsed", () => {
  beforeAll(async () => {
    ({ clip, ref } = await seqSetup());
  }, 120_000);

  test("in the stream's own format: every frame, with no answer to the event needed", () => {
    // auto:off: the client answers nothing; the event only tells it the format is the stream's.
    const t = seq(clip, ["auto:off", ...early(clip.width, clip.height, 6), `feed:0:${clip.frames}`, "stop", "last"]);
    expect(t.result("streamon-cap")).toBe("ok");
    expect(t.lineStarting("event source-change")).toHaveLength(1);
    expect(lastBeforeStop(t)).toEqual([]);
    expect(picture(t.frames())).toEqual(ref);
    expect(t.lineStarting("frame-error")).toEqual([]);
    expect(t.results("dqbuf-after-last")).toEqual(["EPIPE"]);
  }, SEQ_TIMEOUT);

  test("in a larger format: a dynamic change, and START resumes in the buffers as they are", () => {
    const t = seq(clip, [...early(clip.width * 2, clip.height * 2, 8), `feed:0:${clip.frames}`, "stop", "last"]);
    expect(t.result("streamon-cap")).toBe("ok");
    // Dynamic Resolution Change: the event, and an empty buffer flagged LAST.
    expect(t.lineStarting("event source-change")).toHaveLength(1);
    expect(lastBeforeStop(t)).toEqual([expect.stringMatching(/^last \d+ 0$/)]);
    // Capture Setup 6: the client's buffers fit, it says START, no new setup.
    expect(t.result("setup-start")).toBe("ok");
    expect(t.lineStarting("setup ")).toEqual([]);
    expect(picture(t.frames())).toEqual(ref);
    expect(t.lineStarting("frame-error")).toEqual([]);
  }, SEQ_TIMEOUT);
});
