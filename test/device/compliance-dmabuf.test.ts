// SPDX-License-Identifier: BSD-2-Clause
// v4l2-compliance 1.30 -e: bitstream buffers imported as DMABUF from
// another driver. vivid's video capture node exports them; compliance
// streams the node's OUTPUT queue from those dmabufs (it tests DMABUF only
// on the OUTPUT side of an m2m device) and, without -e, says "Cannot test".
// vivid's buffers must be at least as large as ours (1 MiB), so its capture
// format is set to 1280x720 YUYV (1.8 MB) first.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { hdrClips } from "../helpers/decode-clips";
import {
  compliance130,
  COMPLIANCE_TIMEOUT,
  inVm,
  nodes,
  reportCompliance,
  restartDaemon,
  run,
  trixie,
} from "./helpers";

const VIVID_CAP = "vivid-000-vid-cap";

/** Whether this kernel has vivid (Debian's do; the debug kernel is built without it). */
function haveVivid(): boolean {
  return inVm && run(["modprobe", "-n", "vivid"]).code === 0;
}

/** vivid's video capture node, once loaded. */
function vividNode(): string | null {
  const root = "/sys/class/video4linux";
  if (!existsSync(root)) return null;
  const name = readdirSync(root).find((n) => readFileSync(join(root, n, "name"), "utf8").trim() === VIVID_CAP);
  return name ? `/dev/${name}` : null;
}

describe.skipIf(!haveVivid())("v4l2-compliance 1.30 -e vivid (DMABUF import)", () => {
  let vivid = "";

  beforeAll(() => {
    // One instance with only a video capture node: no radio, SDR, CEC or media device.
    const r = run(["modprobe", "vivid", "n_devs=1", "node_types=0x1"]);
    if (r.code !== 0) throw new Error(`modprobe vivid failed: ${r.err}`);
    const node = vividNode();
    if (!node) throw new Error(`vivid loaded but no ${VIVID_CAP} node`);
    vivid = node;
    const fmt = trixie("v4l2-ctl", ["-d", vivid, "--set-fmt-video", "width=1280,height=720,pixelformat=YUYV"]);
    if (fmt.code !== 0) throw new Error(`cannot set vivid's format: ${fmt.err}`);
  });

  afterAll(async () => {
    run(["rmmod", "vivid"]);
    await restartDaemon();
  }, 60_000);

  test(
    "h264: streams from imported dmabufs with no failure",
    async () => {
      const entry = hdrClips().find((h) => h.clip.codec === "h264");
      if (!entry) throw new Error("no H.264 header clip");
      const { hdr } = entry;
      // It streams the node's default OUTPUT format: the daemon offers only H.264.
      await restartDaemon(["h264"]);
      const r = compliance130(
        ["-d", nodes().video, "-e", vivid, "-s", "--stream-from-hdr", `/mnt/${basename(hdr)}`],
        dirname(hdr),
      );
      const totals = reportCompliance(`v4l2-compliance 1.30 -s -e ${vivid}`, r.out);
      if (totals.warnings) console.log(r.out.split("\n").filter((l) => /\bwarn:/.test(l)).join("\n"));
      expect(totals.failed).toBe(0);
      // Compact checks: a failed toMatch would print all of the output again.
      expect(r.out.includes("Detected Stateful Decoder")).toBe(true);
      expect(r.out.includes("test DMABUF (select): OK")).toBe(true);
      expect(r.out.includes("Cannot test")).toBe(false);
    },
    COMPLIANCE_TIMEOUT,
  );
});
