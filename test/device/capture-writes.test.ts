// SPDX-License-Identifier: BSD-2-Clause
// A dequeued CAPTURE buffer is the client's until it queues it again, and a
// client may write into it (an overlay drawn in place, a buffer reused as
// scratch). The decoder must not read it afterwards: this is why the daemon
// copies each frame out of libavcodec's own pictures instead of letting
// libavcodec decode into the CAPTURE buffers (a get_buffer2 handing them
// out), where a frame the client holds could still be a reference of the
// frames after it. Here the client overwrites every frame buffer once it
// has read it, and every later frame must still be libavcodec's.
import { beforeAll, describe, expect, test } from "bun:test";
import type { Clip } from "../../scripts/lib/clips";
import { inVm } from "./helpers";
import { INIT, picture, type RefFrame, SEQ_TIMEOUT, seq, seqSetup } from "./m2m-seq";

let clip: Clip;
let ref: RefFrame[];

describe.skipIf(!inVm)("a client that writes into the frames it holds", () => {
  beforeAll(async () => {
    ({ clip, ref } = await seqSetup());
  }, 120_000);

  test("changes none of the frames decoded after them", () => {
    const t = seq(clip, [...INIT, "scribble", `feed:0:${clip.frames}`, "stop", "last"]);
    const frames = t.frames();
    // Each frame's buffer was really overwritten before it went back, whole.
    const scribbled = t.lineStarting("scribbled ").map((l) => l.split(" "));
    expect(scribbled.length).toBeGreaterThanOrEqual(frames.length);
    for (const [, , bytes] of scribbled) expect(Number(bytes)).toBeGreaterThan(0);
    // The clip has P pictures referring to earlier ones (an IDR every 10).
    expect(picture(frames)).toEqual(ref);
  }, SEQ_TIMEOUT);
});
