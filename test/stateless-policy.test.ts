// SPDX-License-Identifier: BSD-2-Clause
// The stateless node's default codecs (src/daemon/stateless-policy.ts): all
// of them, but HEVC on a Raspberry Pi 5, unless the config names them.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { machineCompatible, PI5_COMPATIBLE, statelessCodecs } from "../src/daemon/stateless-policy";

describe("stateless codec policy", () => {
  test("a machine that is not a Raspberry Pi 5 offers every codec", () => {
    const r = statelessCodecs(undefined, ["qemu,virt"]);
    expect(r.codecs).toContain("hevc");
    expect(r.codecs).toContain("h264");
    expect(r.note).toBeUndefined();
  });

  test("a Raspberry Pi 5 leaves HEVC to rpi-hevc-dec, and says so", () => {
    const r = statelessCodecs(undefined, ["raspberrypi,5-model-b", PI5_COMPATIBLE]);
    expect(r.codecs).not.toContain("hevc");
    expect(r.codecs).toContain("h264");
    expect(r.note).toContain("rpi-hevc-dec");
  });

  test("codecs the config names win on any machine", () => {
    expect(statelessCodecs(["hevc", "vp9"], [PI5_COMPATIBLE])).toEqual({ codecs: ["hevc", "vp9"] });
  });

  test("the device tree's compatible strings are read NUL-separated; none without a device tree", () => {
    const dir = mkdtempSync(join(tmpdir(), "dt-"));
    const path = join(dir, "compatible");
    writeFileSync(path, "raspberrypi,5-model-b\0brcm,bcm2712\0");
    expect(machineCompatible(path)).toEqual(["raspberrypi,5-model-b", "brcm,bcm2712"]);
    expect(machineCompatible(join(dir, "missing"))).toEqual([]);
  });
});
