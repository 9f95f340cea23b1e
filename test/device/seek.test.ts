// SPDX-License-Identifier: BSD-2-Clause
// The Seek sequence of dev-decoder.rst, and STREAMOFF/STREAMON of CAPTURE
// alone, driven with raw ioctls by test/c/m2m-seq.c on an H.264 stream
// with an IDR every 10 access units (0, 10, 20, 30), one access unit per
// OUTPUT buffer. Every OUTPUT buffer gets a timestamp of its own, so a
// frame names the queueing it came from; every frame is compared with
// plain libavcodec's frame of its access unit.
import { beforeAll, describe, expect, test } from "bun:test";
import type { Clip } from "../../scripts/lib/clips";
import { inVm } from "./helpers";
import {
  clipPackets,
  expected,
  type Frame,
  INIT,
  picture,
  type RefFrame,
  SEQ_TIMEOUT,
  seq,
  seqSetup,
  splitClip,
  type Trace,
} from "./m2m-seq";

let clip: Clip;
let ref: RefFrame[];

/**
 * What a seek at @step (the first STREAMOFF of OUTPUT) left: the frames
 * before it, those after it from buffers queued before it (which the
 * document allows: "The decoder may return a number of remaining CAPTURE
 * buffers ... originating from the OUTPUT buffers queued before the seek"),
 * and those from buffers queued after it.
 */
function splitAtSeek(t: Trace, step = "streamoff-out") {
  const before = t.before(step);
  const lastBefore = Math.max(...before.serials());
  const after = t.from(step).frames();
  return {
    before: before.frames(),
    after,
    leftovers: after.filter((f) => f.serial <= lastBefore),
    fresh: after.filter((f) => f.serial > lastBefore),
  };
}

/** The drain that ends each run: LAST, then EPIPE (dev-decoder.rst, Drain). */
function expectDrained(t: Trace): void {
  expect(t.results("stop").at(-1)).toBe("ok");
  expect(t.lineStarting("last ").length).toBeGreaterThanOrEqual(1);
  expect(t.results("dqbuf-after-last").at(-1)).toBe("EPIPE");
}

/** Frames come in display order: those before a seek, and any left over, are libavcodec's first ones. */
function expectDisplayPrefix(frames: Frame[]): void {
  expect(picture(frames)).toEqual(ref.slice(0, frames.length));
}

describe.skipIf(!inVm)("Seek (dev-decoder.rst)", () => {
  beforeAll(async () => {
    ({ clip, ref } = await seqSetup());
  }, 120_000);

  // The timestamps tie frames to access units only if the client's access
  // units are the pictures libavcodec numbers.
  test("the client cuts the clip into the access units libavformat finds, one per picture", () => {
    const aus = splitClip(clip);
    expect(aus).toEqual(clipPackets(clip));
    expect(aus).toHaveLength(clip.frames);
    expect(ref.map((f) => f.au).sort((a, b) => a - b)).toEqual([...Array(clip.frames).keys()]);
  }, SEQ_TIMEOUT);

  // Seek 1: "The decoder will drop all the pending OUTPUT buffers and they
  // must be treated as returned to the client"; 2-4: after STREAMON the
  // decoder takes new bitstream and returns frames once a resume point is
  // found. Warning: "The decoder may return a number of remaining CAPTURE
  // buffers ... from the OUTPUT buffers queued before the seek": any such
  // frame comes before the first frame of the new position, never after.
  for (const [target, label] of [
    [30, "forwards, over undecoded access units"],
    [10, "backwards, to access units decoded before"],
  ] as const) {
    test(`STREAMOFF/STREAMON on OUTPUT mid-stream, ${label}: decoding resumes at the IDR queued after`, () => {
      const t = seq(clip, [
        ...INIT, "feed:0:25", "frames:3", "streamoff-out", "query-out", "streamon-out",
        `feed:${target}:40`, "stop", "last",
      ]);
      const seek = t.from("streamoff-out");
      expect(seek.result("streamoff-out")).toBe("ok");
      expect(seek.result("streamon-out")).toBe("ok");
      // Every OUTPUT buffer is the client's again: none queued, none done.
      expect(seek.lineStarting("state out")[0]).toBe("state out queued 0 done 0");

      const s = splitAtSeek(t);
      expect(s.before.length).toBeGreaterThanOrEqual(3);
      expect(s.after.slice(0, s.leftovers.length)).toEqual(s.leftovers);
      expectDisplayPrefix([...s.before, ...s.leftovers]);
      expect(picture(s.fresh)).toEqual(expected(ref, target, 40));
      expectDrained(t);
    }, SEQ_TIMEOUT);
  }

  // Seek note: "To achieve instantaneous seek, the client may restart
  // streaming on the CAPTURE queue too to discard decoded, but not yet
  // dequeued buffers": then no frame from before the seek may come out.
  test("instantaneous seek (both queues restarted): every frame after it is from OUTPUT buffers queued after it", () => {
    const t = seq(clip, [
      ...INIT, "feed:0:25", "frames:3", "streamoff-out", "streamoff-cap", "query-cap", "streamon-cap", "streamon-out",
      "feed:10:40", "stop", "last",
    ]);
    const seek = t.from("streamoff-out");
    for (const r of ["streamoff-out", "streamoff-cap", "streamon-cap", "streamon-out"]) expect(seek.result(r)).toBe("ok");
    expect(t.from("streamoff-cap").lineStarting("state cap")[0]).toBe("state cap queued 0 done 0");
    const s = splitAtSeek(t);
    expect(s.leftovers).toEqual([]);
    expect(picture(s.fresh)).toEqual(expected(ref, 10, 40));
    expectDisplayPrefix(s.before);
    expectDrained(t);
  }, SEQ_TIMEOUT);

  // Seek 3, note: "There is no requirement to begin queuing coded data
  // starting exactly from a resume point ... Any queued OUTPUT buffers will
  // be processed and returned to the client until a suitable resume point
  // is found. While looking for a resume point, the decoder should not
  // produce any decoded frames"; and no fatal error may come of it.
  test("a seek to access units that are no resume point: nothing until the next IDR, then its frames", () => {
    const t = seq(clip, [
      ...INIT, "feed:0:15", "frames:2", "streamoff-out", "streamon-out", "feed:24:40", "stop", "last",
    ]);
    const s = splitAtSeek(t);
    expect(s.after.slice(0, s.leftovers.length)).toEqual(s.leftovers);
    expectDisplayPrefix([...s.before, ...s.leftovers]);
    // Access units 24-29 reference pictures the decoder never saw.
    expect(picture(s.fresh)).toEqual(expected(ref, 30, 40));
    expect(t.lineStarting("frame-error")).toEqual([]);
    expectDrained(t);
  }, SEQ_TIMEOUT);

  // State machine: Decoding -> Stopped on STREAMOFF(CAPTURE), Stopped ->
  // Decoding on STREAMON(CAPTURE). STREAMOFF returns every CAPTURE buffer
  // to the client (standard semantics); decoding goes on with the state it
  // had, so the P and B pictures after the restart (access units 15-19)
  // still find their references.
  test("STREAMOFF/STREAMON on CAPTURE alone returns its buffers, and decoding continues", () => {
    const t = seq(clip, [
      ...INIT, "feed:0:15", "frames:3", "streamoff-cap", "query-cap", "streamon-cap", "feed:15:40", "stop", "last",
    ]);
    expect(t.result("streamoff-cap")).toBe("ok");
    expect(t.result("streamon-cap")).toBe("ok");
    expect(t.from("streamoff-cap").lineStarting("state cap")[0]).toBe("state cap queued 0 done 0");
    const before = t.before("streamoff-cap").frames();
    const after = t.from("streamoff-cap").frames();
    expectDisplayPrefix(before);
    // Frames decoded but not dequeued when CAPTURE stopped may be lost;
    // every frame that comes is libavcodec's, in display order...
    const rank = new Map(ref.map((f, i) => [f.au, i]));
    const all = picture([...before, ...after]);
    for (const f of all) expect(f).toEqual(ref[rank.get(f.au) ?? -1] ?? { au: -1, md5: "" });
    const ranks = all.map((f) => rank.get(f.au) ?? -1);
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    // ...and none from the access units queued after the restart is missing.
    expect(picture(after.filter((f) => f.au >= 15))).toEqual(expected(ref, 15, 40));
    expectDrained(t);
  }, SEQ_TIMEOUT);
});
