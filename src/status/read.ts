// SPDX-License-Identifier: BSD-2-Clause
// What sysfs says about the module: the bridge's state and counters under
// /sys/class/misc/daedalus-v4l2, and the decoder's video and media nodes.
// Readable without root, and without opening (and so disturbing) anything.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { codecNames, pixFmtNames } from "../protocol/messages";
import { UAPI } from "../protocol/uapi";

export const SYSFS_BRIDGE = `/sys/class/misc/${UAPI.BRIDGE_NAME}`;
const SYSFS_V4L = "/sys/class/video4linux";
const CARD = UAPI.CARD_NAME;

export interface Status {
  module: { loaded: boolean; version: string | null; protocolVersion: number | null };
  bridge: {
    connected: boolean;
    daemonPid: number | null;
    daemonVersion: string | null;
    codecs: string[];
    /** The codecs the stateless node offers (none without it). */
    slCodecs: string[];
    pixfmts: string[];
    maxWidth: number;
    maxHeight: number;
  };
  nodes: { video: string | null; media: string | null };
  /** The stateless node's, both null when the module was loaded without it. */
  slNodes: { video: string | null; media: string | null };
  counters: Record<string, number>;
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return null;
  }
}

/**
 * A decoder's /dev/videoN and the /dev/mediaN it belongs to: the stateful
 * node's, or the stateless node's for @card UAPI.SL_CARD_NAME. Both media
 * devices hang off the module's one platform device, so a media device is
 * told by its model, which the module sets to its node's card.
 */
export function findNodes(root = SYSFS_V4L, card: string = CARD): { video: string | null; media: string | null } {
  if (!existsSync(root)) return { video: null, media: null };
  for (const name of readdirSync(root).sort()) {
    if (readText(join(root, name, "name")) !== card) continue;
    const device = join(root, name, "device");
    const media = existsSync(device)
      ? readdirSync(device)
          .sort()
          .find((e) => /^media\d+$/.test(e) && readText(join(device, e, "model")) === card)
      : undefined;
    return { video: `/dev/${name}`, media: media ? `/dev/${media}` : null };
  }
  return { video: null, media: null };
}

export function readStatus(bridgeDir = SYSFS_BRIDGE): Status {
  const loaded = existsSync(bridgeDir);
  const caps = readText(join(bridgeDir, "caps")) ?? "";
  const field = (key: string) => caps.match(new RegExp(`${key}=(\\S+)`))?.[1];
  const [maxW, maxH] = (field("max") ?? "0x0").split("x").map(Number);
  const pid = Number(readText(join(bridgeDir, "daemon_pid")) ?? 0);
  const counters: Record<string, number> = {};
  const statsDir = join(bridgeDir, "statistics");
  if (existsSync(statsDir)) {
    for (const name of readdirSync(statsDir).sort()) counters[name] = Number(readText(join(statsDir, name)) ?? 0);
  }
  const protocol = readText(join(bridgeDir, "protocol_version"));
  return {
    module: {
      loaded,
      version: readText(join(bridgeDir, "module_version")),
      protocolVersion: protocol === null ? null : Number(protocol),
    },
    bridge: {
      connected: readText(join(bridgeDir, "connected")) === "1",
      daemonPid: pid > 0 ? pid : null,
      daemonVersion: readText(join(bridgeDir, "daemon_version")) || null,
      codecs: codecNames(Number(field("codecs") ?? 0)),
      slCodecs: codecNames(Number(field("sl_codecs") ?? 0)),
      pixfmts: pixFmtNames(Number(field("pixfmts") ?? 0)),
      maxWidth: maxW ?? 0,
      maxHeight: maxH ?? 0,
    },
    nodes: findNodes(),
    slNodes: findNodes(SYSFS_V4L, UAPI.SL_CARD_NAME),
    counters,
  };
}
