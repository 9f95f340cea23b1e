// SPDX-License-Identifier: BSD-2-Clause
// The decoder state machine of dev-decoder.rst (Initialization, Capture
// Setup, Decoding, Drain, End of Stream, Stopped, Seek) and its Commit
// Points, driven with raw ioctls by test/c/m2m-seq.c on an H.264 stream
// with an IDR every 10 access units (0, 10, 20, 30), one access unit per
// OUTPUT buffer. Where a run decodes, every frame is compared with plain
// libavcodec's frame of its access unit. Seek and CAPTURE restarts are in
// seek.test.ts.
import { beforeAll, describe, expect, test } from "bun:test";
import type { Clip } from "../../scripts/lib/clips";
import { inVm } from "./helpers";
import { expected, INIT, picture, type RefFrame, SEQ_TIMEOUT, seq, seqSetup, type Trace } from "./m2m-seq";

let clip: Clip;
let ref: RefFrame[];

/** Frames of OUTPUT buffers queued after the @nth `step @step`, as pictures. */
function framesQueuedFrom(t: Trace, step: string, nth = 0) {
  const first = Math.min(...t.from(step, nth).serials());
  return picture(t.frames().filter((f) => f.serial >= first));
}

/** Drain 2-3, @n times: the last STOP accepted, a LAST buffer each, then EPIPE. */
function expectDrain(t: Trace, n = 1): void {
  expect(t.results("stop").at(-1)).toBe("ok");
  expect(t.lineStarting("last ")).toHaveLength(n);
  expect(t.results("dqbuf-after-last")).toEqual(new Array(n).fill("EPIPE"));
}

describe.skipIf(!inVm)("decoder state machine (dev-decoder.rst)", () => {
  beforeAll(async () => {
    ({ clip, ref } = await seqSetup());
  }, 120_000);

  // open() -> Initialization -> Capture Setup ("CAPTURE format
  // established": SOURCE_CHANGE, Initialization 4) -> Stopped ("CAPTURE
  // buffers ready") -> Decoding (STREAMON(CAPTURE)) -> Drain
  // (V4L2_DEC_CMD_STOP) -> Stopped ("All CAPTURE buffers dequeued").
  // Drain 2: the last buffer is flagged LAST and "Any attempt to dequeue
  // more CAPTURE buffers beyond the buffer marked with V4L2_BUF_FLAG_LAST
  // will result in a -EPIPE error"; the decoder "will signal a
  // V4L2_EVENT_EOS event" (v4l2-compliance: exactly one).
  test("a whole decode: SOURCE_CHANGE, frames equal to libavcodec's with their timestamps, LAST, EPIPE, one EOS", () => {
    const t = seq(clip, [...INIT, "feed:0:40", "stop", "last"]);
    expect(t.result("fmt-out")).toBe("ok");
    expect(t.result("reqbufs-out")).toBe("8");
    expect(t.result("streamon-out")).toBe("ok");
    // Initialization 4: no frame before the event.
    const change = t.lines.findIndex((l) => l.startsWith("event source-change"));
    const firstFrame = t.lines.findIndex((l) => l.startsWith("frame "));
    expect(change).toBeGreaterThanOrEqual(0);
    expect(change).toBeLessThan(firstFrame);
    expect(t.lineStarting("setup ")[0]).toMatch(/^setup \d+x\d+ visible 320x180 /);
    expect(picture(t.frames())).toEqual(ref);
    expectDrain(t);
    expect(t.count("event eos")).toBe(1);
  }, SEQ_TIMEOUT);

  // Drain 3: "V4L2_DEC_CMD_START - the decoder will not be reset and will
  // resume operation normally, with all the state from before the drain".
  // Resuming at an IDR needs no state; resuming mid-GOP (access unit 15, a
  // P picture) needs the references from before the drain.
  for (const resume of [20, 15]) {
    test(`Drain -> Stopped -> Decoding by DECODER_CMD START, resuming at access unit ${resume}`, () => {
      const t = seq(clip, [...INIT, `feed:0:${resume}`, "stop", "last", "start", `feed:${resume}:40`, "stop", "last"]);
      expect(t.result("start")).toBe("ok");
      expectDrain(t, 2);
      expect(t.count("event eos")).toBe(2);
      expect(picture(t.before("start").frames())).toEqual(expected(ref, 0, resume));
      expect(picture(t.from("start").frames())).toEqual(expected(ref, resume, 40));
    }, SEQ_TIMEOUT);
  }

  // Drain 3: once stopped, the decoder "will accept, but not process, any
  // newly queued OUTPUT buffers until the client issues" START (or a
  // restart of either queue).
  test("Stopped: OUTPUT buffers queued after a drain wait for START, then decode", () => {
    const t = seq(clip, [
      ...INIT, "feed:0:20", "stop", "last", "feed:20:24", "settle:500", "query-out", "start", "feed:24:40", "stop", "last",
    ]);
    const waiting = t.from("feed:20:24").before("start");
    expect(waiting.frames()).toEqual([]);
    expect(waiting.lineStarting("state out")[0]).toBe("state out queued 4 done 0");
    expect(picture(t.frames())).toEqual(ref);
    expectDrain(t, 2);
  }, SEQ_TIMEOUT);

  // Drain note: "The client is not allowed to issue V4L2_DEC_CMD_START or
  // V4L2_DEC_CMD_STOP again while the drain sequence is in progress and
  // they will fail with -EBUSY"; the sequence lasts until "the last
  // CAPTURE buffer is dequeued" (Drain 3), so also while the LAST buffer
  // is done but not yet dequeued.
  test("Drain: STOP and START during the drain give EBUSY, until the LAST buffer is dequeued", () => {
    const t = seq(clip, [
      ...INIT, "feed:0:20", "stop", "stop", "start", "last-done", "stop", "start", "last", "start", "feed:20:40", "stop",
      "last",
    ]);
    expect(t.result("last-done")).toBe("ok");
    expect(t.results("stop")).toEqual(["ok", "EBUSY", "EBUSY", "ok"]);
    expect(t.results("start")).toEqual(["EBUSY", "EBUSY", "ok"]);
    expect(picture(t.frames())).toEqual(ref);
    expectDrain(t, 2);
  }, SEQ_TIMEOUT);

  // State machine: Drain -> Stopped on STREAMOFF(CAPTURE); Stopped ->
  // Decoding on STREAMON(CAPTURE) (Drain 3: "the decoder will resume the
  // operation normally").
  test("Stopped -> Decoding by STREAMOFF/STREAMON on CAPTURE after a drain", () => {
    const t = seq(clip, [
      ...INIT, "feed:0:20", "stop", "last", "streamoff-cap", "streamon-cap", "feed:20:40", "stop", "last",
    ]);
    expect(t.results("stop")).toEqual(["ok", "ok"]);
    expect(t.result("streamon-cap")).toBe("ok");
    expect(picture(t.frames())).toEqual(ref);
    expect(t.lineStarting("last ")).toHaveLength(2);
    expect(t.results("dqbuf-after-last")).toEqual(["EPIPE", "EPIPE"]);
  }, SEQ_TIMEOUT);

  // State machine: Stopped -> Seek on STREAMOFF(OUTPUT), Seek -> Decoding
  // on STREAMON(OUTPUT) (Drain 3: "any pending source buffers will be
  // returned to the client and the Seek sequence will be triggered").
  test("Stopped -> Seek -> Decoding: after a drain, STREAMOFF/STREAMON on OUTPUT and decoding from an IDR", () => {
    const t = seq(clip, [
      ...INIT, "feed:0:20", "stop", "last", "streamoff-out", "streamon-out", "feed:30:40", "stop", "last",
    ]);
    expect(t.from("streamoff-out").result("streamon-out")).toBe("ok");
    expect(picture(t.before("streamoff-out").frames())).toEqual(expected(ref, 0, 20));
    expect(picture(t.from("streamoff-out").frames())).toEqual(expected(ref, 30, 40));
    expectDrain(t, 2);
  }, SEQ_TIMEOUT);

  // State machine: Drain -> Seek on STREAMOFF(OUTPUT), here with the LAST
  // buffer done but not dequeued (the drain still in progress, Drain 3).
  // The seek aborts the drain (Drain note); decoding resumes after it and
  // a later drain ends as any other.
  test("Drain -> Seek -> Decoding: STREAMOFF/STREAMON on OUTPUT during a drain", () => {
    const t = seq(clip, [
      ...INIT, "feed:0:20", "stop", "last-done", "streamoff-out", "streamon-out", "feed:30:40", "stop", "last",
    ]);
    expect(t.from("streamoff-out").result("streamon-out")).toBe("ok");
    expect(framesQueuedFrom(t, "feed:30:40")).toEqual(expected(ref, 30, 40));
    expect(t.results("stop")).toEqual(["ok", "ok"]);
    expect(t.results("dqbuf-after-last")).toEqual(["EPIPE"]);
  }, SEQ_TIMEOUT);

  // End of Stream: "If the decoder encounters an end of stream marking in
  // the stream, the decoder will initiate the Drain sequence ... skipping
  // the initial VIDIOC_DECODER_CMD" (state machine: Decoding -> EoS ->
  // Drain). H.264's marking is the end-of-stream NAL unit (type 11).
  // End of Stream: "If the decoder encounters an end of stream marking in
  // the stream, the decoder will initiate the Drain sequence ... skipping
  // the initial VIDIOC_DECODER_CMD."
  test("End of Stream: an end-of-stream NAL unit drains without DECODER_CMD STOP", () => {
    const t = seq(clip, [...INIT, "feed-eos:0:40", "last"]);
    expect(t.results("stop")).toEqual([]);
    expect(picture(t.frames())).toEqual(ref);
    expect(t.lineStarting("last ")).toHaveLength(1);
    expect(t.result("dqbuf-after-last")).toBe("EPIPE");
  }, SEQ_TIMEOUT);

  // Commit Points 5: "While buffers are allocated on any of the OUTPUT or
  // CAPTURE queues, the client must not change the format on the OUTPUT
  // queue. Drivers will return the -EBUSY error code".
  test("Commit points: S_FMT on OUTPUT gives EBUSY while OUTPUT buffers are allocated, streaming or not", () => {
    const t = seq(clip, [
      "fmt-out", "reqbufs-out:4", "fmt-out", "streamon-out", "fmt-out", "streamoff-out", "fmt-out", "reqbufs-out:0",
      "fmt-out",
    ]);
    expect(t.results("fmt-out")).toEqual(["ok", "EBUSY", "EBUSY", "EBUSY", "ok"]);
    expect(t.results("reqbufs-out")).toEqual(["4", "0"]);
  }, SEQ_TIMEOUT);

  test("Commit points: S_FMT on OUTPUT gives EBUSY while CAPTURE buffers are allocated", () => {
    const t = seq(clip, ["fmt-out", "reqbufs-cap:4", "fmt-out", "reqbufs-cap:0", "fmt-out"]);
    expect(t.results("reqbufs-cap")).toEqual(["4", "0"]);
    expect(t.results("fmt-out")).toEqual(["ok", "EBUSY", "ok"]);
  }, SEQ_TIMEOUT);

  // VIDIOC_STREAMON (the general V4L2 rules apply, Conventions 1): EINVAL
  // when "no buffers have been allocated"; REQBUFS(0) frees them, and a
  // queue streaming cannot free its buffers (EBUSY, VIDIOC_REQBUFS).
  test("STREAMON with no buffers gives EINVAL, before any allocation and after REQBUFS(0)", () => {
    const t = seq(clip, [
      "streamon-out", "streamon-cap", "fmt-out", "reqbufs-out:2", "reqbufs-cap:2", "streamon-out", "reqbufs-out:0",
      "streamoff-out", "reqbufs-out:0", "streamon-out", "streamoff-cap", "reqbufs-cap:0", "streamon-cap",
    ]);
    expect(t.results("streamon-out")).toEqual(["EINVAL", "ok", "EINVAL"]);
    expect(t.results("streamon-cap")).toEqual(["EINVAL", "EINVAL"]);
    expect(t.results("reqbufs-out")).toEqual(["2", "EBUSY", "0"]);
    expect(t.results("reqbufs-cap")).toEqual(["2", "0"]);
  }, SEQ_TIMEOUT);

  // Capture Setup 10: "VIDIOC_CREATE_BUFS on the CAPTURE queue can be used
  // ... by allocating buffers larger than the current CAPTURE format";
  // the frames decoded into them must be the same.
  test("Capture setup with CREATE_BUFS for frames twice as wide and high: the frames are libavcodec's", () => {
    const t = seq(clip, ["setup:create:2", ...INIT, "feed:0:40", "stop", "last"]);
    expect(t.lineStarting("setup ")[0]).toMatch(/ create$/);
    expect(picture(t.frames())).toEqual(ref);
    expectDrain(t);
  }, SEQ_TIMEOUT);

  // Decoding -> Stopped (STREAMOFF(CAPTURE)), then a new CAPTURE buffer
  // set: REQBUFS(0) (Capture Setup 9) and CREATE_BUFS with a larger
  // format (Capture Setup 10), STREAMON (11). Only the new buffers exist,
  // so they serve all later decoding.
  test("CAPTURE REQBUFS(0) after STREAMOFF, then larger buffers by CREATE_BUFS serve later decoding", () => {
    const t = seq(clip, [
      ...INIT, "feed:0:20", "frames:2", "streamoff-cap", "reqbufs-cap:0", "create-cap:6:2", "streamon-cap", "feed:20:40",
      "stop", "last",
    ]);
    expect(t.result("reqbufs-cap")).toBe("0");
    expect(t.result("create-cap")).toBe("6 0");
    expect(t.result("streamon-cap")).toBe("ok");
    expect(framesQueuedFrom(t, "feed:20:40")).toEqual(expected(ref, 20, 40));
    expectDrain(t);
  }, SEQ_TIMEOUT);

  // State machine: Seek -> Initialization on REQBUFS(OUTPUT, 0); then
  // Initialization 2-3 again (new OUTPUT buffers, STREAMON) and decoding
  // from an IDR, with CAPTURE set up as before.
  test("Seek -> Initialization: OUTPUT REQBUFS(0) after STREAMOFF, new OUTPUT buffers, decoding again", () => {
    const t = seq(clip, [
      ...INIT, "feed:0:25", "frames:3", "reqbufs-out:0", "streamoff-out", "reqbufs-out:0", "reqbufs-out:4", "streamon-out",
      "feed:10:40", "stop", "last",
    ]);
    expect(t.results("reqbufs-out")).toEqual(["8", "EBUSY", "0", "4"]);
    expect(t.results("streamon-out")).toEqual(["ok", "ok"]);
    expect(framesQueuedFrom(t, "feed:10:40")).toEqual(expected(ref, 10, 40));
    expectDrain(t);
  }, SEQ_TIMEOUT);

  // Decoding: "In case of a fatal failure ... reinitialize the instance by
  // stopping streaming on both queues, releasing all buffers and
  // performing the Initialization sequence again": that includes the
  // SOURCE_CHANGE of Initialization 4, and a new Capture Setup.
  // Initialization again: with no CAPTURE buffers the client waits for
  // SOURCE_CHANGE, even for the stream it decoded before (the kernel's
  // START says DAEDALUS_START_NEW_STREAM).
  test("both queues stopped and freed, then Initialization again: a new SOURCE_CHANGE, and every frame", () => {
    const t = seq(clip, [
      ...INIT, "feed:0:25", "frames:3", "streamoff-out", "streamoff-cap", "reqbufs-cap:0", "reqbufs-out:0", "fmt-out",
      "reqbufs-out:8", "streamon-out", "feed:0:40", "stop", "last",
    ]);
    expect(t.results("fmt-out")).toEqual(["ok", "ok"]);
    const again = t.from("fmt-out", 1);
    expect(again.lineStarting("event source-change")).toHaveLength(1);
    expect(again.lineStarting("setup ")).toHaveLength(1);
    expect(framesQueuedFrom(t, "feed:0:40")).toEqual(ref);
    expectDrain(t);
  }, SEQ_TIMEOUT);
});
