// SPDX-License-Identifier: BSD-2-Clause
// 32-bit clients: Raspberry Pi OS 32-bit (armhf over the Pi 5's 64-bit
// kernel) and i386 programs reach the node through the kernel's compat
// ioctl path, where every ioctl whose struct holds a pointer or a time
// (QBUF, DQBUF, QUERYBUF, DQEVENT...) has a command number of its own.
// test/c/m2m-seq.c built for the guest's 32-bit ABI decodes the seek clip
// bit-exact, having waited for the first SOURCE_CHANGE in a blocking
// DQEVENT: that wait must leave the daemon free to send what the event
// reports, and to stop.
import { beforeAll, describe, expect, test } from "bun:test";
import type { Clip } from "../../scripts/lib/clips";
import { daedalusdDecodeJson, daemonPid, inVm, liveContexts, restartDaemon, waitFor } from "./helpers";
import { INIT, picture, type RefFrame, SEQ_TIMEOUT, seq, seqSetup } from "./m2m-seq";

let clip: Clip;
let ref: RefFrame[];

describe.skipIf(!inVm)("32-bit clients (compat ioctls)", () => {
  beforeAll(async () => {
    ({ clip, ref } = await seqSetup());
  }, 120_000);

  test("a blocking DQEVENT gets the first SOURCE_CHANGE, then the clip decodes bit-exact", () => {
    // The first access unit is queued and nothing is served: the event
    // can only be taken by the blocking DQEVENT, while the daemon sends
    // the STREAM_INFO it reports.
    const t = seq(clip, [...INIT, "feed-hold:0:1", "wait-event", `feed:1:${clip.frames}`, "stop", "last"], "32");
    const waited = t.from("wait-event").lines;
    expect(waited[1]).toBe("event source-change 1");
    expect(t.before("wait-event").lineStarting("event ")).toEqual([]);
    expect(picture(t.frames())).toEqual(ref);
    expect(t.lineStarting("frame-error")).toEqual([]);
    expect(t.results("dqbuf-after-last").at(-1)).toBe("EPIPE");
  }, SEQ_TIMEOUT);

  test("the 64-bit build of the same client gives the same frames", () => {
    const t = seq(clip, [...INIT, "feed-hold:0:1", "wait-event", `feed:1:${clip.frames}`, "stop", "last"]);
    expect(t.from("wait-event").lines[1]).toBe("event source-change 1");
    expect(picture(t.frames())).toEqual(ref);
  }, SEQ_TIMEOUT);

  // A daemon whose reply waited for a lock the sleeping client held could
  // not be stopped: its worker slept uninterruptibly in the kernel.
  test("after the 32-bit runs, the daemon stops on SIGTERM, restarts and decodes", async () => {
    await waitFor("every context to close", () => liveContexts() === 0);
    const before = daemonPid();
    await restartDaemon();
    expect(daemonPid()).not.toBe(before);
    const r = daedalusdDecodeJson(clip.path);
    expect(r.count).toBe(clip.frames);
  }, SEQ_TIMEOUT);
});
