// SPDX-License-Identifier: BSD-2-Clause
// The video node's number. Raspberry Pi OS's Chromium opens only
// /dev/video10 (its GPU sandbox admits no other path), so on a Raspberry
// Pi 5 (device tree compatible brcm,bcm2712) the module asks for 10 by
// itself; anywhere else it takes the first free number. A number another
// driver holds is never taken from it: a Pi 4's /dev/video10 is its own
// hardware decoder. The arm64-16k guest boots with the Pi 5's compatible
// (scripts/vm), the others with their own.
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { connected, inVm, nodes, run, startDaemon, stopDaemon, waitFor } from "./helpers";

const MODULE = "daedalus_v4l2";
const PI5 = "brcm,bcm2712";

/** The machine's device-tree compatible strings; none on a machine without a device tree. */
function compatible(): string[] {
  const path = "/proc/device-tree/compatible";
  return existsSync(path) ? readFileSync(path, "latin1").split("\0").filter(Boolean) : [];
}

const params = (process.env.DAEDALUS_MODULE_PARAMS ?? "").split(" ").filter(Boolean);
const chosen = params.some((p) => p.startsWith("video_nr="));
/** The node number the module asks for by itself here. */
const wanted = compatible().includes(PI5) ? 10 : null;

describe.skipIf(!inVm || chosen)("the video node's number", () => {
  test(wanted ? "a Raspberry Pi 5: /dev/video10, as Chromium wants" : "not a Raspberry Pi 5: the first free number", () => {
    const all = run(["sh", "-c", "ls /sys/class/video4linux"]).out.split("\n").filter(Boolean);
    const ours = nodes().video;
    if (wanted) {
      expect(ours).toBe("/dev/video10");
    } else {
      // Nothing else had a node when the module loaded: it has the lowest.
      expect(ours).toBe(`/dev/${all.sort((a, b) => Number(a.slice(5)) - Number(b.slice(5)))[0]}`);
    }
  });

  test("a number another driver holds stays its own: the node takes the next free one", async () => {
    // vivid's capture node takes /dev/video10 first, as bcm2835-codec's
    // decoder has it on a Pi 4; where the module would not ask for 10 by
    // itself, video_nr=10 asks.
    await stopDaemon();
    const extra = wanted ? [] : ["video_nr=10"];
    const ko = process.env.DAEDALUS_KO;
    if (!ko) throw new Error("DAEDALUS_KO is not set: run the device suite through scripts/vm");
    try {
      expect(run(["rmmod", MODULE]).code).toBe(0);
      const vivid = run(["modprobe", "vivid", "n_devs=1", "node_types=0x1", "vid_cap_nr=10"]);
      expect(vivid.code, vivid.err).toBe(0);
      expect(readFileSync("/sys/class/video4linux/video10/name", "utf8")).toMatch(/vivid/);
      const insmod = run(["insmod", ko, ...params, ...extra]);
      expect(insmod.code, insmod.err).toBe(0);
      const ours = nodes().video;
      expect(ours).not.toBe("/dev/video10");
      expect(Number(ours.replace("/dev/video", ""))).toBeGreaterThan(10);
      expect(readFileSync("/sys/class/video4linux/video10/name", "utf8")).toMatch(/vivid/);
    } finally {
      run(["rmmod", MODULE]);
      run(["rmmod", "vivid"]);
      const back = run(["insmod", ko, ...params]);
      if (back.code !== 0) throw new Error(`insmod failed: ${back.err}`);
      await startDaemon();
      await waitFor("the daemon", connected);
    }
    if (wanted) expect(nodes().video).toBe("/dev/video10");
  }, 120_000);
});
