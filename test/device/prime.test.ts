// SPDX-License-Identifier: BSD-2-Clause
// DRM PRIME: Raspberry Pi OS's FFmpeg (through which Kodi, mpv and Firefox
// decode) hands decoded frames on as DRM PRIME: CAPTURE buffers exported
// with VIDIOC_EXPBUF and imported into the display or GPU driver
// (DRM_IOCTL_PRIME_FD_TO_HANDLE). vgem stands in for that driver here: the
// node's dmabufs (dma-contig from CMA on the arm64 guests, as on a Pi)
// must import into it, and come back out of it as the same memory.
import { beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, readlinkSync } from "node:fs";
import type { Clip } from "../../scripts/lib/clips";
import { inVm, run } from "./helpers";
import { INIT, picture, type RefFrame, SEQ_TIMEOUT, seq, seqSetup } from "./m2m-seq";

/** vgem's node, loading the module first; null where the kernel has no vgem (the debug kernel has no DRM). */
function vgemNode(): string | null {
  if (run(["modprobe", "vgem"]).code !== 0) return null;
  const card = readdirSync("/sys/class/drm").find(
    (c) => /^card\d+$/.test(c) && readlinkSync(`/sys/class/drm/${c}`).includes("/vgem/"),
  );
  return card ? `/dev/dri/${card}` : null;
}

const drm = inVm ? vgemNode() : null;
if (inVm && !drm) console.log("prime: this kernel has no vgem; the DRM PRIME tests are skipped");

let clip: Clip;
let ref: RefFrame[];

describe.skipIf(!drm)("DRM PRIME: CAPTURE dmabufs import into a DRM device", () => {
  beforeAll(async () => {
    ({ clip, ref } = await seqSetup());
  }, 120_000);

  test("every decoded frame, exported, imported into vgem and exported again, is the frame", () => {
    const t = seq(clip, [...INIT, `prime:${drm}`, `feed:0:${clip.frames}`, "stop", "last"]);
    expect(t.result("prime")).toBe("ok");
    const frames = t.frames();
    expect(picture(frames)).toEqual(ref);
    const through = t.lineStarting("prime ").map((l) => l.split(" ").slice(1));
    expect(through).toEqual(frames.map((f) => [String(f.serial), f.md5]));
  }, SEQ_TIMEOUT);

  test("a buffer of each CAPTURE format makes the same round trip, byte for byte", () => {
    const t = seq(clip, [`prime-formats:${drm}`]);
    const formats = t.lineStarting("prime-format ");
    expect(formats.map((l) => l.split(" ")[1])).toEqual(["NV12", "YU12", "P010"]);
    for (const l of formats) expect(l).toMatch(/^prime-format \S+ ok \d+$/);
  }, SEQ_TIMEOUT);
});
