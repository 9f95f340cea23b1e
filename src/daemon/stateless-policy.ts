// SPDX-License-Identifier: BSD-2-Clause
// Which codecs the stateless node offers when the config does not say. On
// a Raspberry Pi 5 (device tree "brcm,bcm2712") HEVC is left out: the Pi's
// own stateless HEVC decoder (rpi-hevc-dec, in hardware) serves the same
// clients, and GStreamer's v4l2codecs would otherwise register this node's
// v4l2slh265dec beside it and could pick the software one. Everything else
// is offered wherever it decodes.
import { readFileSync } from "node:fs";
import { Codec } from "../protocol/messages";

type CodecName = keyof typeof Codec;

/** The machine's device-tree compatible strings (none on a machine without one). */
export function machineCompatible(path = "/proc/device-tree/compatible"): string[] {
  try {
    return readFileSync(path, "latin1").split("\0").filter(Boolean);
  } catch {
    return [];
  }
}

export const PI5_COMPATIBLE = "brcm,bcm2712";

/**
 * The codecs to offer on the stateless node: @configured if the config
 * names them, else every codec but those this machine decodes better
 * itself; with a line for the log when something was left out.
 */
export function statelessCodecs(
  configured: readonly CodecName[] | undefined,
  compatible: readonly string[] = machineCompatible(),
): { codecs: CodecName[]; note?: string } {
  if (configured) return { codecs: [...configured] };
  const all = Object.keys(Codec) as CodecName[];
  if (!compatible.includes(PI5_COMPATIBLE)) return { codecs: all };
  return {
    codecs: all.filter((c) => c !== "hevc"),
    note: "Raspberry Pi 5: stateless HEVC is left to its own decoder (rpi-hevc-dec); list hevc in stateless.codecs to offer it",
  };
}
